"""导数的数值近似（单边差分与中心差分）、数值梯度，以及函数与切线的图像。

对应页面 ``docs/preliminaries/calculus.md``。
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from matplotlib.figure import Figure

from lessons_src.checks import (
    require_callable,
    require_choice,
    require_positive,
    require_range,
    require_real,
    require_tensor,
)

__all__ = ["f", "numerical_derivative", "numerical_gradient", "plot_tangent"]


# --8<-- [start:f]
def f(x: float) -> float:
    """页面的例子 f(x) = 3x² - 4x，它的导数是 f'(x) = 6x - 4，所以 f'(1) = 2。

    Examples:
        >>> f(1.0)
        -1.0
    """
    return 3 * x**2 - 4 * x
# --8<-- [end:f]


def check_numerical_derivative_args(function: object, x: object, h: object, method: object) -> None:
    """检查 :func:`numerical_derivative` 的参数：可调用的函数、实数 x、正的步长 h、两种方法之一。"""
    require_callable(function, "function")
    require_real(x, "x")
    require_positive(h, "h")
    require_choice(method, "method", ("forward", "central"))


# --8<-- [start:numerical_derivative]
def numerical_derivative(
    function: Callable[[float], float], x: float, h: float, *, method: str = "forward"
) -> float:
    """用差分近似一元函数 ``function`` 在 ``x`` 处的导数。

    Args:
        function: 一元实函数。
        x: 求导的位置（实数）。
        h: 步长，要求 h > 0。
        method: ``"forward"`` 是单边差分 (f(x+h) - f(x)) / h，误差是 O(h)；
            ``"central"`` 是中心差分 (f(x+h) - f(x-h)) / (2h)，误差是 O(h²)。

    Returns:
        导数的近似值。

    Examples:
        >>> round(numerical_derivative(f, 1.0, 0.1), 6)
        2.3
        >>> round(numerical_derivative(f, 1.0, 0.1, method="central"), 6)
        2.0
    """
    check_numerical_derivative_args(function, x, h, method)
    if method == "forward":
        return (function(x + h) - function(x)) / h
    return (function(x + h) - function(x - h)) / (2 * h)  # method == "central"
# --8<-- [end:numerical_derivative]


def check_numerical_gradient_args(function: object, x: object, h: object) -> None:
    """检查 :func:`numerical_gradient` 的参数：可调用的函数、浮点向量 x（1 维张量）、正的步长 h，
    并且 ``function`` 在 x 处（按 float64 计算）输出标量或向量张量。"""
    require_callable(function, "function")
    require_tensor(x, "x", floating=True, ndim=1)
    require_positive(h, "h")
    y = function(x.detach().to(torch.float64))
    require_tensor(y, "function(x)")
    if y.dim() > 1:
        raise ValueError(f"参数 function 的输出应为标量或向量，实际形状为 {tuple(y.shape)}")


# --8<-- [start:numerical_gradient]
def numerical_gradient(
    function: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, h: float = 1e-6
) -> torch.Tensor:
    """用中心差分逐个分量近似导数，计算在 float64 下进行。

    Args:
        function: 把形状为 ``(n,)`` 的向量映射成标量（零维张量）或形状为 ``(m,)`` 的向量的函数；
            应是确定的函数（同样的输入总给出同样的输出），它会被调用 2n + 1 次（多出的一次检查输出形状）。
        x: 求导的位置，形状为 ``(n,)`` 的浮点张量；不会被修改。
        h: 步长，要求 h > 0。

    Returns:
        float64 张量。标量函数得到梯度，形状 ``(n,)``；向量函数按微积分页的约定得到
        形状为 ``(n, m)`` 的矩阵，第 i 行第 j 列是 ∂y_j/∂x_i（雅可比矩阵的转置）。

    Examples:
        >>> A = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=torch.float64)
        >>> numerical_gradient(lambda x: A @ x, torch.zeros(2, dtype=torch.float64)).round(decimals=4)
        tensor([[1., 3., 5.],
                [2., 4., 6.]], dtype=torch.float64)
    """
    check_numerical_gradient_args(function, x, h)
    x = x.detach().to(torch.float64)
    rows = []
    for i in range(len(x)):
        step = torch.zeros_like(x)
        step[i] = h
        rows.append((function(x + step) - function(x - step)) / (2 * h))  # 对 x_i 的偏导数
    return torch.stack(rows)
# --8<-- [end:numerical_gradient]


def plot_tangent(
    function: Callable[[float], float] = f,
    x0: float = 1.0,
    *,
    x_range: tuple[float, float] = (0.0, 3.0),
    h: float = 1e-5,
) -> Figure:
    """画出 ``function`` 在 ``x_range`` 上的图像和它在 ``x0`` 处的切线，返回 ``Figure``。

    切线的斜率用中心差分估计：y = f(x0) + f'(x0)(x - x0)。

    Examples:
        >>> figure = plot_tangent()
        >>> figure.axes[0].get_legend_handles_labels()[1]
        ['f(x)', 'tangent at x=1']
    """
    require_callable(function, "function")
    x0 = require_real(x0, "x0")
    low, high = require_range(x_range, "x_range")
    slope = numerical_derivative(function, x0, h, method="central")
    xs = torch.linspace(low, high, 301, dtype=torch.float64).tolist()
    figure = Figure(figsize=(4.5, 3.2), layout="constrained")
    figure.set_label(
        f"函数曲线与它在 x = {x0:g} 处的切线，切线斜率约为 {slope:.3f}，横轴范围 [{low:g}, {high:g}]"
    )
    axes = figure.subplots()
    axes.plot(xs, [function(x) for x in xs], label="f(x)")
    axes.plot(xs, [function(x0) + slope * (x - x0) for x in xs], "--", label=f"tangent at x={x0:g}")
    axes.plot([x0], [function(x0)], "o", color="C3")
    axes.set_xlabel("x")
    axes.set_ylabel("f(x)")
    axes.grid(alpha=0.3)
    axes.legend()
    return figure
