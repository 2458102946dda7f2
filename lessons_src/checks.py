"""参数检查：课程函数在入口处调用这些函数，错误的输入会得到一条说清楚问题的异常。

报错信息用中文说明哪里不对、期望什么，标识符（参数名、类型名）保持英文。

词汇（都以 ``require_`` 开头，通过时返回检查过的值，可以直接赋值）：

- 数：:func:`require_real`（可给 ``minimum`` 或区间 ``within="[0, 1)"``，开闭端照数学写法）、
  :func:`require_positive`、:func:`require_int`（可给 ``minimum``）、:func:`require_positive_int`、
  :func:`require_range`（``(low, high)`` 二元组）；
- 张量：:func:`require_tensor`（可要求浮点、指定维数 ``ndim=2`` 或 ``ndim=(2, 4)``）；
- 其他对象：:func:`require_module`、:func:`require_instance`、:func:`require_callable`、
  :func:`require_choice`、:func:`require_path`。

一个课程函数需要检查好几个参数时，在它的模块里写一个 ``check_<函数名>_args(...)``（或类似名字）的辅助函数，
用这些词汇组合起来；页面展示的函数体里只留一行调用。
"""

from __future__ import annotations

import math
import numbers
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from torch import nn

__all__ = [
    "require_callable",
    "require_choice",
    "require_instance",
    "require_int",
    "require_module",
    "require_path",
    "require_positive",
    "require_positive_int",
    "require_range",
    "require_real",
    "require_tensor",
]


def _label(name: str, what: str | None) -> str:
    """报错信息的主语：``参数 p `` 或 ``参数 p（暂退概率）``（后面直接接“应为……”）。"""
    return f"参数 {name}（{what}）" if what else f"参数 {name} "


def require_tensor(
    value: object, name: str, *, floating: bool = False, ndim: int | Sequence[int] | None = None
) -> torch.Tensor:
    """确认 ``value`` 是 ``torch.Tensor``，并原样返回。

    Args:
        value: 要检查的对象。
        name: 参数名，写进报错信息。
        floating: 为 ``True`` 时还要求浮点类型（求导、激活函数都需要）。
        ndim: 若给出，要求张量的维数是它（一个整数），或是其中之一（整数的序列）。

    Returns:
        通过检查的张量本身。

    Raises:
        TypeError: ``value`` 不是张量，或者要求浮点而它不是浮点张量。
        ValueError: 维数不对。

    Examples:
        >>> require_tensor(torch.zeros(2), "x").shape
        torch.Size([2])
        >>> require_tensor([1.0, 2.0], "x")
        Traceback (most recent call last):
        ...
        TypeError: 参数 x 应为 torch.Tensor，实际得到 list；可以先用 torch.tensor(...) 转换
        >>> require_tensor(torch.zeros(3), "X", ndim=(2, 4))
        Traceback (most recent call last):
        ...
        ValueError: 参数 X 应为 2 维或 4 维张量，实际形状为 (3,)
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
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if value.dim() not in allowed:
            wanted = "或 ".join(f"{d} 维" for d in allowed)
            raise ValueError(f"参数 {name} 应为 {wanted}张量，实际形状为 {tuple(value.shape)}")
    return value


_INTERVAL = re.compile(r"^\s*([\[(])\s*([^,\s]+)\s*,\s*([^\])\s]+)\s*([\])])\s*$")


def _interval(within: str) -> tuple[float, float, bool, bool]:
    """把 ``"[0, 1)"`` 这样的写法解析成 ``(low, high, 含左端, 含右端)``。"""
    match = _INTERVAL.match(within)
    if match is None:
        raise ValueError(f"区间应写成 \"[0, 1)\" 这样的形式，实际得到 {within!r}")
    opening, low, high, closing = match.groups()
    return float(low), float(high), opening == "[", closing == "]"


def require_real(
    value: object, name: str, *, minimum: float | None = None, within: str | None = None, what: str | None = None
) -> float:
    """确认 ``value`` 是有限的实数（``bool`` 不算），返回 ``float``。

    Args:
        value: 要检查的对象。
        name: 参数名，写进报错信息。
        minimum: 若给出，要求 ``value >= minimum``。
        within: 若给出，要求 ``value`` 在这个区间里，照数学写法，例如 ``"[0, 1)"``（含 0 不含 1）、
            ``"(0, 1)"``、``"[0, 1]"``；端点可以写 ``inf``。
        what: 参数的含义，写进报错信息，例如 ``"暂退概率"``。

    Returns:
        转换成 ``float`` 的数值。

    Raises:
        TypeError: ``value`` 不是实数。
        ValueError: ``value`` 是 NaN、无穷大，小于 ``minimum``，或不在 ``within`` 里。

    Examples:
        >>> require_real(0.01, "negative_slope", minimum=0.0)
        0.01
        >>> require_real("0.01", "negative_slope")
        Traceback (most recent call last):
        ...
        TypeError: 参数 negative_slope 应为实数（int 或 float），实际得到 str
        >>> require_real(1, "p", within="[0, 1)", what="暂退概率")
        Traceback (most recent call last):
        ...
        ValueError: 参数 p（暂退概率）应在 [0, 1) 内，实际得到 1.0
    """
    label = _label(name, what)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{label}应为实数（int 或 float），实际得到 {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{label}应为有限实数，实际得到 {number}")
    if minimum is not None and number < minimum:
        raise ValueError(f"{label}应不小于 {minimum}，实际得到 {number}")
    if within is not None:
        low, high, closed_low, closed_high = _interval(within)
        above = number >= low if closed_low else number > low
        below = number <= high if closed_high else number < high
        if not (above and below):
            raise ValueError(f"{label}应在 {within.strip()} 内，实际得到 {number}")
    return number


def require_positive(value: object, name: str, *, what: str | None = None) -> float:
    """确认 ``value`` 是有限的正实数，返回 ``float``。

    Examples:
        >>> require_positive(0.1, "lr")
        0.1
        >>> require_positive(0, "lr", what="学习率")
        Traceback (most recent call last):
        ...
        ValueError: 参数 lr（学习率）应为正数，实际得到 0.0
    """
    number = require_real(value, name, what=what)
    if number <= 0:
        raise ValueError(f"{_label(name, what)}应为正数，实际得到 {number}")
    return number


def require_int(value: object, name: str, *, minimum: int | None = None, what: str | None = None) -> int:
    """确认 ``value`` 是整数（``bool`` 不算），给出 ``minimum`` 时还要求不小于它，原样返回。

    Examples:
        >>> require_int(0, "degree", minimum=0)
        0
        >>> require_int(1, "k", minimum=2)
        Traceback (most recent call last):
        ...
        ValueError: 参数 k 应为不小于 2 的整数，实际得到 1
    """
    label = _label(name, what)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{label}应为整数，实际得到 {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{label}应为不小于 {minimum} 的整数，实际得到 {value}")
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


def require_positive_int(value: object, name: str, *, what: str | None = None) -> int:
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
    label = _label(name, what)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{label}应为正整数，实际得到 {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{label}应为正整数，实际得到 {value}")
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


def _type_name(kind: type) -> str:
    module = kind.__module__
    if module == "builtins":
        return kind.__qualname__
    # torch.optim.optimizer.Optimizer 写成读者熟悉的 torch.optim.Optimizer
    public = {"torch.optim.optimizer": "torch.optim", "torch.nn.modules.module": "nn", "pathlib": "pathlib"}
    return f"{public.get(module, module)}.{kind.__qualname__}"


def require_instance(value: object, name: str, kinds: type | tuple[type, ...], *, label: str | None = None) -> object:
    """确认 ``value`` 是 ``kinds`` 中某个类型的实例，原样返回；``label`` 是报错信息里对期望类型的说法。

    Examples:
        >>> require_instance(torch.Generator(), "generator", torch.Generator) is not None
        True
        >>> require_instance(nn.Linear(2, 1), "optimizer", torch.optim.Optimizer)
        Traceback (most recent call last):
        ...
        TypeError: 参数 optimizer 应为 torch.optim.Optimizer，实际得到 Linear
    """
    if not isinstance(value, kinds):
        expected = label or " 或 ".join(_type_name(kind) for kind in (kinds if isinstance(kinds, tuple) else (kinds,)))
        raise TypeError(f"参数 {name} 应为 {expected}，实际得到 {type(value).__name__}")
    return value


def require_callable(value: object, name: str) -> Callable:
    """确认 ``value`` 可以调用（函数、lambda、``nn.Module`` 等），原样返回。

    Examples:
        >>> require_callable(3.0, "function")
        Traceback (most recent call last):
        ...
        TypeError: 参数 function 应为可调用的函数，实际得到 float
    """
    if not callable(value):
        raise TypeError(f"参数 {name} 应为可调用的函数，实际得到 {type(value).__name__}")
    return value


def require_choice(value: object, name: str, choices: Sequence[object]) -> object:
    """确认 ``value`` 是 ``choices`` 之一，原样返回。

    Examples:
        >>> require_choice("max", "mode", ("max", "avg"))
        'max'
        >>> require_choice("mean", "mode", ("max", "avg"))
        Traceback (most recent call last):
        ...
        ValueError: 参数 mode 应为 'max' 或 'avg'，实际得到 'mean'
    """
    if isinstance(value, bool) or value not in choices:
        options = " 或 ".join(repr(choice) for choice in choices)
        raise ValueError(f"参数 {name} 应为 {options}，实际得到 {value!r}")
    return value


def require_path(value: object, name: str) -> Path:
    """确认 ``value`` 是文件路径（``str`` 或 ``os.PathLike``），返回 ``pathlib.Path``。

    Examples:
        >>> require_path("model.pt", "path")
        PosixPath('model.pt')
        >>> require_path(3, "path")
        Traceback (most recent call last):
        ...
        TypeError: 参数 path 应为文件路径（str 或 pathlib.Path），实际得到 int
    """
    if not isinstance(value, str | os.PathLike):
        raise TypeError(f"参数 {name} 应为文件路径（str 或 pathlib.Path），实际得到 {type(value).__name__}")
    return Path(value)
