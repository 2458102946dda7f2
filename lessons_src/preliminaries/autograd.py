"""自动求导：一个方便比较的求梯度函数，以及一个带 Python 控制流的函数。

对应页面 ``docs/preliminaries/autograd.md``。
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from lessons_src.checks import require_callable, require_tensor

__all__ = ["f_with_control_flow", "gradient"]


def check_gradient_args(function: object, x: object) -> None:
    """检查 :func:`gradient` 的参数：可调用的函数和浮点张量 x。"""
    require_callable(function, "function")
    require_tensor(x, "x", floating=True)


# --8<-- [start:gradient]
def gradient(function: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """用自动求导算出标量函数 ``function`` 在 ``x`` 处的梯度。

    在 ``x`` 的一份新副本上打开 ``requires_grad``，所以不会改动 ``x``，也不会把梯度累加到
    ``x.grad`` 上。``function`` 的输出必须是依赖于 ``x`` 的标量张量（只含一个元素）。

    Raises:
        TypeError: ``function`` 不可调用，或 ``x`` 不是浮点张量。
        RuntimeError: ``function(x)`` 不是标量，或与 ``x`` 没有可求导的依赖关系（PyTorch 的
            ``backward()`` 报的错；非标量输出可以先求和，见页面“非标量输出的反向传播”一节）。

    Examples:
        >>> gradient(lambda x: 2 * torch.dot(x, x), torch.arange(4.0))
        tensor([ 0.,  4.,  8., 12.])
    """
    check_gradient_args(function, x)
    x = x.detach().clone().requires_grad_(True)
    y = function(x)
    y.backward()
    return x.grad
# --8<-- [end:gradient]


def check_f_with_control_flow_args(a: object) -> None:
    """检查 :func:`f_with_control_flow` 的参数：元素有限、不全为 0 的浮点张量（全为 0 时循环不会结束）。"""
    require_tensor(a, "a", floating=True)
    if not torch.isfinite(a).all():
        raise ValueError("参数 a 的元素应为有限实数，实际含有 inf 或 nan")
    if not (a != 0).any():
        raise ValueError("参数 a 不能全为 0：此时 b 的范数始终是 0，while 循环永远不会结束")


# --8<-- [start:f_with_control_flow]
def f_with_control_flow(a: torch.Tensor) -> torch.Tensor:
    """一个用 while 和 if 写成的函数：不断把 2a 翻倍，直到范数不小于 1000，再按符号决定是否乘 100。

    不论走哪条分支，结果都是 k·a，k 是取决于 a 的正常数，所以导数就是 k = f(a) / a。
    a 的元素全为 0 时 while 循环永远不会结束，因此这种输入会被拒绝。

    Examples:
        >>> f_with_control_flow(torch.tensor(1.0))
        tensor(1024.)
        >>> f_with_control_flow(torch.tensor(-1.0))
        tensor(-102400.)
    """
    check_f_with_control_flow_args(a)
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c
# --8<-- [end:f_with_control_flow]
