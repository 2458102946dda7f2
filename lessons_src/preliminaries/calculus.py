"""导数的数值近似、数值梯度，以及函数与切线的图像。

对应页面 ``docs/preliminaries/calculus.md``。
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from matplotlib.figure import Figure

from lessons_src.checks import require_range, require_real, require_tensor

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


# --8<-- [start:numerical_derivative]
def numerical_derivative(
    function: Callable[[float], float], x: float, h: float, *, method: str = "forward"
) -> float:
    """用差商近似 ``function`` 在 ``x`` 处的导数。

    Args:
        function: 一元实函数。
        x: 求导的位置。
        h: 步长，要求 h > 0。
        method: ``"forward"`` 是单侧差商 (f(x+h) - f(x)) / h，误差是 O(h)；
            ``"central"`` 是双侧（中心）差商 (f(x+h) - f(x-h)) / (2h)，误差是 O(h²)。

    Examples:
        >>> round(numerical_derivative(f, 1.0, 0.1), 6)
        2.3
        >>> round(numerical_derivative(f, 1.0, 0.1, method="central"), 6)
        2.0
    """
    if not callable(function):
        raise TypeError(f"参数 function 应为可调用的函数，实际得到 {type(function).__name__}")
    x = require_real(x, "x")
    h = require_real(h, "h")
    if h <= 0:
        raise ValueError(f"参数 h 应为正数，实际得到 {h}")
    if method == "forward":
        return (function(x + h) - function(x)) / h
    if method == "central":
        return (function(x + h) - function(x - h)) / (2 * h)
    raise ValueError(f"参数 method 应为 'forward' 或 'central'，实际得到 {method!r}")
# --8<-- [end:numerical_derivative]


# --8<-- [start:numerical_gradient]
def numerical_gradient(
    function: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, h: float = 1e-6
) -> torch.Tensor:
    """用中心差商逐个分量近似梯度，计算在 float64 下进行。

    ``function`` 把形状为 ``(n,)`` 的向量映射成标量或形状为 ``(m,)`` 的向量。
    标量函数返回梯度（形状 ``(n,)``）；向量函数按本页的约定返回形状为 ``(n, m)`` 的矩阵，
    第 i 行第 j 列是 ∂y_j/∂x_i。

    Examples:
        >>> A = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=torch.float64)
        >>> numerical_gradient(lambda x: A @ x, torch.zeros(2, dtype=torch.float64)).round(decimals=4)
        tensor([[1., 3., 5.],
                [2., 4., 6.]], dtype=torch.float64)
    """
    if not callable(function):
        raise TypeError(f"参数 function 应为可调用的函数，实际得到 {type(function).__name__}")
    require_tensor(x, "x", floating=True)
    if x.dim() != 1:
        raise ValueError(f"参数 x 应为向量（1 维张量），实际形状为 {tuple(x.shape)}")
    h = require_real(h, "h")
    if h <= 0:
        raise ValueError(f"参数 h 应为正数，实际得到 {h}")
    x = x.detach().to(torch.float64)
    rows = []
    for i in range(len(x)):
        step = torch.zeros_like(x)
        step[i] = h
        rows.append((function(x + step) - function(x - step)) / (2 * h))  # 对 x_i 的偏导数
    gradient = torch.stack(rows)
    if gradient.dim() > 2:
        raise ValueError(f"参数 function 的输出应为标量或向量，实际形状为 {tuple(gradient.shape[1:])}")
    return gradient
# --8<-- [end:numerical_gradient]


def plot_tangent(
    function: Callable[[float], float] = f,
    x0: float = 1.0,
    *,
    x_range: tuple[float, float] = (0.0, 3.0),
    h: float = 1e-5,
) -> Figure:
    """画出 ``function`` 在 ``x_range`` 上的图像和它在 ``x0`` 处的切线，返回 ``Figure``。

    切线的斜率用中心差商估计：y = f(x0) + f'(x0)(x - x0)。

    Examples:
        >>> figure = plot_tangent()
        >>> figure.axes[0].get_legend_handles_labels()[1]
        ['f(x)', 'tangent at x=1']
    """
    if not callable(function):
        raise TypeError(f"参数 function 应为可调用的函数，实际得到 {type(function).__name__}")
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
