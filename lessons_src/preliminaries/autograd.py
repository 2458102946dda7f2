"""自动求导：一个方便比较的求梯度函数，以及一个带 Python 控制流的函数。

对应页面 ``docs/preliminaries/autograd.md``。
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from lessons_src.checks import require_tensor

__all__ = ["f_with_control_flow", "gradient"]


# --8<-- [start:gradient]
def gradient(function: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """用自动求导算出标量函数 ``function`` 在 ``x`` 处的梯度。

    在 ``x`` 的一份新副本上打开 ``requires_grad``，所以不会改动 ``x``，也不会把梯度累加到
    ``x.grad`` 上。``function`` 的输出必须是标量（只含一个元素的张量）。

    Examples:
        >>> gradient(lambda x: 2 * torch.dot(x, x), torch.arange(4.0))
        tensor([ 0.,  4.,  8., 12.])
    """
    if not callable(function):
        raise TypeError(f"参数 function 应为可调用的函数，实际得到 {type(function).__name__}")
    require_tensor(x, "x", floating=True)
    x = x.detach().clone().requires_grad_(True)
    y = function(x)
    require_tensor(y, "function(x)")
    if y.numel() != 1:
        raise ValueError(
            f"function(x) 应为标量，实际形状为 {tuple(y.shape)}；"
            "对非标量输出，可以先求和（y.sum()）再求梯度"
        )
    if not y.requires_grad:
        raise ValueError("function(x) 与 x 没有可求导的依赖关系（输出不需要梯度），无法求梯度")
    y.backward()
    return x.grad
# --8<-- [end:gradient]


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
    require_tensor(a, "a", floating=True)
    if not torch.isfinite(a).all():
        raise ValueError("参数 a 的元素应为有限实数，实际含有 inf 或 nan")
    if not (a != 0).any():
        raise ValueError("参数 a 不能全为 0：此时 b 的范数始终是 0，while 循环永远不会结束")
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c
# --8<-- [end:f_with_control_flow]
