"""激活函数：sigmoid、tanh、ReLU、Leaky ReLU 及其导数。

对应页面 ``docs/mlp/activation-functions.md``。每个函数都直接照公式写成，
页面再把它们与 PyTorch 的内置实现、自动求导的结果逐点比较。
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from matplotlib.figure import Figure

from lessons_src.checks import require_range, require_real, require_tensor

__all__ = [
    "ACTIVATIONS",
    "leaky_relu",
    "leaky_relu_grad",
    "max_abs_error_vs_autograd",
    "max_abs_error_vs_torch",
    "plot_activations",
    "relu",
    "relu_grad",
    "sigmoid",
    "sigmoid_grad",
    "tanh",
    "tanh_grad",
]


# --8<-- [start:sigmoid]
def sigmoid(x: torch.Tensor) -> torch.Tensor:
    """sigmoid(x) = 1 / (1 + exp(-x))，把任意实数压到 (0, 1)。

    Examples:
        >>> sigmoid(torch.tensor([0.0]))
        tensor([0.5000])
    """
    require_tensor(x, "x", floating=True)
    return 1 / (1 + torch.exp(-x))


def sigmoid_grad(x: torch.Tensor) -> torch.Tensor:
    """sigmoid 的导数 sigmoid(x) * (1 - sigmoid(x))，最大值 0.25 在 x = 0 处取得。

    为了能单独调用，这里接收 ``x`` 并重新算一次 sigmoid(x)；自动求导则直接用前向传播保存的输出。

    Examples:
        >>> sigmoid_grad(torch.tensor([0.0]))
        tensor([0.2500])
    """
    s = sigmoid(x)
    return s * (1 - s)
# --8<-- [end:sigmoid]


# --8<-- [start:tanh]
def tanh(x: torch.Tensor) -> torch.Tensor:
    """tanh(x) = (1 - exp(-2x)) / (1 + exp(-2x))，先对 |x| 计算，再添上 x 的符号。

    记 e = exp(-2|x|) - 1（用 expm1 计算，x 接近 0 时也精确），则 tanh(|x|) = -e / (2 + e)：
    不会溢出，也没有两个几乎相等的数相减。

    Examples:
        >>> tanh(torch.tensor([-100.0, 0.0, 100.0]))
        tensor([-1.,  0.,  1.])
        >>> x = torch.tensor([1e-6])
        >>> torch.allclose(tanh(x), torch.tanh(x), rtol=1e-6, atol=0)
        True
    """
    require_tensor(x, "x", floating=True)
    e = torch.expm1(-2 * x.abs())
    return torch.sign(x) * (-e / (2 + e))


def tanh_grad(x: torch.Tensor) -> torch.Tensor:
    """tanh 的导数 1 - tanh(x)^2，最大值 1 在 x = 0 处取得（与 :func:`sigmoid_grad` 一样重新算一次 tanh(x)）。

    Examples:
        >>> tanh_grad(torch.tensor([0.0]))
        tensor([1.])
    """
    t = tanh(x)
    return 1 - t**2
# --8<-- [end:tanh]


# --8<-- [start:relu]
def relu(x: torch.Tensor) -> torch.Tensor:
    """ReLU(x) = max(x, 0)。

    Examples:
        >>> relu(torch.tensor([-2.0, 0.0, 3.0]))
        tensor([0., 0., 3.])
    """
    require_tensor(x, "x", floating=True)
    return x.clamp(min=0)


def relu_grad(x: torch.Tensor) -> torch.Tensor:
    """ReLU 的导数：x > 0 时为 1，x < 0 时为 0；x = 0 处不可导，与 PyTorch 一样取 0。

    Examples:
        >>> relu_grad(torch.tensor([-2.0, 0.0, 3.0]))
        tensor([0., 0., 1.])
    """
    require_tensor(x, "x", floating=True)
    return (x > 0).to(x.dtype)
# --8<-- [end:relu]


def check_leaky_relu_args(x: object, negative_slope: object) -> float:
    """检查 :func:`leaky_relu` 和 :func:`leaky_relu_grad` 的参数：``x`` 是浮点张量，斜率在 [0, 1) 内；返回斜率。"""
    require_tensor(x, "x", floating=True)
    slope = require_real(negative_slope, "negative_slope", minimum=0.0)
    if slope >= 1:
        raise ValueError(
            f"参数 negative_slope 应在 [0, 1) 内，实际得到 {slope}；"
            "斜率为 1 时函数就是恒等映射，不再是激活函数"
        )
    return slope


# --8<-- [start:leaky_relu]
def leaky_relu(x: torch.Tensor, negative_slope: float = 0.01) -> torch.Tensor:
    """Leaky ReLU：x > 0 时为 x，否则为 negative_slope * x。

    Examples:
        >>> leaky_relu(torch.tensor([-2.0, 0.0, 3.0]), negative_slope=0.1)
        tensor([-0.2000,  0.0000,  3.0000])
    """
    slope = check_leaky_relu_args(x, negative_slope)
    return torch.where(x > 0, x, slope * x)


def leaky_relu_grad(x: torch.Tensor, negative_slope: float = 0.01) -> torch.Tensor:
    """Leaky ReLU 的导数：x > 0 时为 1，否则为 negative_slope（x = 0 处同 PyTorch 取斜率）。

    Examples:
        >>> leaky_relu_grad(torch.tensor([-2.0, 0.0, 3.0]), negative_slope=0.1)
        tensor([0.1000, 0.1000, 1.0000])
    """
    slope = check_leaky_relu_args(x, negative_slope)
    return torch.where(x > 0, torch.ones_like(x), torch.full_like(x, slope))
# --8<-- [end:leaky_relu]


Activation = Callable[[torch.Tensor], torch.Tensor]

ACTIVATIONS: dict[str, tuple[Activation, Activation, Activation]] = {
    "sigmoid": (sigmoid, sigmoid_grad, torch.sigmoid),
    "tanh": (tanh, tanh_grad, torch.tanh),
    "relu": (relu, relu_grad, torch.relu),
    "leaky_relu": (leaky_relu, leaky_relu_grad, torch.nn.functional.leaky_relu),
}
"""名字 → (按公式写的函数, 按公式写的导数, PyTorch 的内置实现)。

Leaky ReLU 的三个函数都使用默认斜率 0.01。
"""


def _lookup(names: Sequence[str] | None) -> list[str]:
    if names is None:
        return list(ACTIVATIONS)
    if isinstance(names, str) or not isinstance(names, Sequence):
        raise TypeError(f"参数 names 应为由名字组成的列表，实际得到 {type(names).__name__}")
    unknown = [name for name in names if name not in ACTIVATIONS]
    if unknown:
        raise ValueError(f"未知的激活函数 {unknown}；可选的有 {list(ACTIVATIONS)}")
    return list(names)


def max_abs_error_vs_torch(x: torch.Tensor, names: Sequence[str] | None = None) -> dict[str, float]:
    """在输入 ``x`` 上比较按公式写的激活函数与 PyTorch 内置实现，返回各自的最大绝对误差。

    Examples:
        >>> errors = max_abs_error_vs_torch(torch.linspace(-5, 5, 11))
        >>> all(error < 1e-6 for error in errors.values())
        True
    """
    require_tensor(x, "x", floating=True)
    return {
        name: (ACTIVATIONS[name][0](x) - ACTIVATIONS[name][2](x)).abs().max().item()
        for name in _lookup(names)
    }


def max_abs_error_vs_autograd(x: torch.Tensor, names: Sequence[str] | None = None) -> dict[str, float]:
    """把按公式写的导数与自动求导在 ``x`` 上算出的导数比较，返回各自的最大绝对误差。

    自动求导对 PyTorch 的内置实现求导，因此比较的两边来源完全独立。

    Examples:
        >>> errors = max_abs_error_vs_autograd(torch.linspace(-5, 5, 11))
        >>> all(error < 1e-6 for error in errors.values())
        True
    """
    require_tensor(x, "x", floating=True)
    errors = {}
    for name in _lookup(names):
        _, derivative, reference = ACTIVATIONS[name]
        x_leaf = x.detach().clone().requires_grad_(True)
        reference(x_leaf).sum().backward()
        errors[name] = (derivative(x.detach()) - x_leaf.grad).abs().max().item()
    return errors


def plot_activations(
    names: Sequence[str] | None = None, *, x_range: tuple[float, float] = (-6.0, 6.0)
) -> Figure:
    """画出激活函数（上排）和它们的导数（下排），返回 matplotlib 的 ``Figure``。

    Args:
        names: 要画的激活函数名，默认是 :data:`ACTIVATIONS` 中的全部四个。
        x_range: 横轴范围 ``(low, high)``，要求 ``low < high``。

    Examples:
        >>> figure = plot_activations(["relu"])
        >>> [axes.get_title() for axes in figure.axes]
        ['relu(x)', "relu'(x)"]
    """
    chosen = _lookup(names)
    if len(chosen) == 0:
        raise ValueError("参数 names 不能为空列表")
    low, high = require_range(x_range, "x_range")

    x = torch.linspace(low, high, 401)
    figure = Figure(figsize=(2.6 * len(chosen), 4.6), layout="constrained")
    figure.set_label(f"{'、'.join(chosen)} 的函数图像（上排）和导数图像（下排），横轴范围 [{low:g}, {high:g}]")
    grid = figure.subplots(2, len(chosen), squeeze=False, sharex=True)
    for column, name in enumerate(chosen):
        function, derivative, _ = ACTIVATIONS[name]
        for row, (curve, label, color) in enumerate(
            [(function, f"{name}(x)", "C0"), (derivative, f"{name}'(x)", "C1")]
        ):
            axes = grid[row][column]
            axes.plot(x.numpy(), curve(x).numpy(), color=color)
            axes.axhline(0, color="0.6", linewidth=0.8)
            axes.axvline(0, color="0.6", linewidth=0.8)
            axes.set_title(label)
            axes.grid(alpha=0.3)
        grid[1][column].set_xlabel("x")
    return figure
