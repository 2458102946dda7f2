"""参数检查：课程函数在入口处调用这些函数，错误的输入会得到一条说清楚问题的异常。

报错信息用中文说明哪里不对、期望什么，标识符（参数名、类型名）保持英文。
"""

from __future__ import annotations

import math
import numbers

import torch
from torch import nn

__all__ = ["require_int", "require_module", "require_positive_int", "require_range", "require_real", "require_tensor"]


def require_tensor(value: object, name: str, *, floating: bool = False) -> torch.Tensor:
    """确认 ``value`` 是 ``torch.Tensor``，并原样返回。

    Args:
        value: 要检查的对象。
        name: 参数名，写进报错信息。
        floating: 为 ``True`` 时还要求浮点类型（求导、激活函数都需要）。

    Returns:
        通过检查的张量本身。

    Raises:
        TypeError: ``value`` 不是张量，或者要求浮点而它不是浮点张量。

    Examples:
        >>> require_tensor(torch.zeros(2), "x").shape
        torch.Size([2])
        >>> require_tensor([1.0, 2.0], "x")
        Traceback (most recent call last):
        ...
        TypeError: 参数 x 应为 torch.Tensor，实际得到 list；可以先用 torch.tensor(...) 转换
    """
    if not isinstance(value, torch.Tensor):
        raise TypeError(
            f"参数 {name} 应为 torch.Tensor，实际得到 {type(value).__name__}；"
            "可以先用 torch.tensor(...) 转换"
        )
    if floating and not value.is_floating_point():
        raise TypeError(
            f"参数 {name} 应为浮点张量（如 torch.float32），实际 dtype 为 {value.dtype}；"
            "可以用 x.float() 转换"
        )
    return value


def require_real(value: object, name: str, *, minimum: float | None = None) -> float:
    """确认 ``value`` 是有限的实数（``bool`` 不算），返回 ``float``。

    Args:
        value: 要检查的对象。
        name: 参数名，写进报错信息。
        minimum: 若给出，要求 ``value >= minimum``。

    Returns:
        转换成 ``float`` 的数值。

    Raises:
        TypeError: ``value`` 不是实数。
        ValueError: ``value`` 是 NaN、无穷大，或小于 ``minimum``。

    Examples:
        >>> require_real(0.01, "negative_slope", minimum=0.0)
        0.01
        >>> require_real("0.01", "negative_slope")
        Traceback (most recent call last):
        ...
        TypeError: 参数 negative_slope 应为实数（int 或 float），实际得到 str
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"参数 {name} 应为实数（int 或 float），实际得到 {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"参数 {name} 应为有限实数，实际得到 {number}")
    if minimum is not None and number < minimum:
        raise ValueError(f"参数 {name} 应不小于 {minimum}，实际得到 {number}")
    return number


def require_int(value: object, name: str, *, minimum: int) -> int:
    """确认 ``value`` 是不小于 ``minimum`` 的整数（``bool`` 不算），原样返回。

    Examples:
        >>> require_int(0, "degree", minimum=0)
        0
        >>> require_int(1, "k", minimum=2)
        Traceback (most recent call last):
        ...
        ValueError: 参数 k 应为不小于 2 的整数，实际得到 1
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"参数 {name} 应为整数，实际得到 {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"参数 {name} 应为不小于 {minimum} 的整数，实际得到 {value}")
    return value


def require_range(value: object, name: str) -> tuple[float, float]:
    """确认 ``value`` 是 ``(low, high)`` 二元组、两端都是有限实数且 ``low < high``，返回 ``(low, high)``。

    Examples:
        >>> require_range((-3, 3), "x_range")
        (-3.0, 3.0)
        >>> require_range((2, 1), "x_range")
        Traceback (most recent call last):
        ...
        ValueError: 参数 x_range 应满足 low < high，实际得到 (2, 1)
    """
    if not (isinstance(value, tuple) and len(value) == 2):
        raise TypeError(f"参数 {name} 应为 (low, high) 二元组，实际得到 {value!r}")
    low = require_real(value[0], f"{name}[0]")
    high = require_real(value[1], f"{name}[1]")
    if low >= high:
        raise ValueError(f"参数 {name} 应满足 low < high，实际得到 {value}")
    return low, high


def require_positive_int(value: object, name: str) -> int:
    """确认 ``value`` 是正整数（``bool`` 不算），原样返回。

    Raises:
        TypeError: ``value`` 不是整数。
        ValueError: ``value`` 不大于 0。

    Examples:
        >>> require_positive_int(3, "num_epochs")
        3
        >>> require_positive_int(0, "num_hiddens")
        Traceback (most recent call last):
        ...
        ValueError: 参数 num_hiddens 应为正整数，实际得到 0
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"参数 {name} 应为正整数，实际得到 {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"参数 {name} 应为正整数，实际得到 {value}")
    return value


def require_module(value: object, name: str) -> nn.Module:
    """确认 ``value`` 是 ``nn.Module`` 的实例（而不是类本身或别的对象），原样返回。

    Examples:
        >>> require_module(nn.ReLU, "module")
        Traceback (most recent call last):
        ...
        TypeError: 参数 module 应为 nn.Module 的实例，实际得到类 ReLU 本身；请先实例化，例如写 ReLU()
    """
    if isinstance(value, type) and issubclass(value, nn.Module):
        raise TypeError(
            f"参数 {name} 应为 nn.Module 的实例，实际得到类 {value.__name__} 本身；"
            f"请先实例化，例如写 {value.__name__}()"
        )
    if not isinstance(value, nn.Module):
        raise TypeError(f"参数 {name} 应为 nn.Module 的实例，实际得到 {type(value).__name__}")
    return value
