"""数值稳定性与模型初始化：梯度消失与爆炸、对称性、初始化方差、梯度裁剪。

对应页面 ``docs/mlp/numerical-stability.md``。核心实验 :func:`layer_statistics` 在一个
很深的多层感知机上，记录每一层激活值和权重梯度的标准差，比较不同的初始化方式。
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import torch
from matplotlib.figure import Figure
from torch import nn

from lessons_src.checks import require_choice, require_positive_int, require_real, require_tensor

__all__ = [
    "INIT_SCHEMES",
    "LayerStatistics",
    "clip_grad_norm",
    "count_distinct_rows",
    "init_std",
    "layer_statistics",
    "make_deep_mlp",
    "plot_layer_statistics",
    "random_matrix_product",
    "train_with_constant_init",
]

INIT_SCHEMES = ("lecun", "xavier", "he")
""":func:`init_std` 认识的初始化方案名。"""

ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU}


def check_init_std_args(scheme: object, fan_in: object, fan_out: object) -> None:
    """检查 :func:`init_std` 的参数：两个正整数；``scheme`` 是 :data:`INIT_SCHEMES` 之一或一个正数。"""
    require_positive_int(fan_in, "fan_in")
    require_positive_int(fan_out, "fan_out")
    if isinstance(scheme, str):
        if scheme not in INIT_SCHEMES:
            raise ValueError(f"未知的初始化方案 {scheme!r}；可选的有 {list(INIT_SCHEMES)}，或者直接给出标准差（正数）")
    elif require_real(scheme, "scheme", minimum=0.0) == 0:
        raise ValueError("标准差为 0 就是全零初始化，所有隐藏单元完全相同；请给出正数")


def check_count_distinct_rows_args(weight: object, atol: object) -> float:
    """检查 :func:`count_distinct_rows` 的参数：二维浮点张量和非负的容差，返回 ``float(atol)``。"""
    require_tensor(weight, "weight", floating=True)
    if weight.dim() != 2:
        raise ValueError(f"参数 weight 应为二维张量，实际形状为 {tuple(weight.shape)}")
    return require_real(atol, "atol", minimum=0.0)


def check_train_with_constant_init_args(
    value: object, steps: object, learning_rate: object
) -> tuple[float | None, float]:
    """检查 :func:`train_with_constant_init` 的参数，返回 ``(value, learning_rate)``（``value`` 可以是 ``None``）。"""
    require_positive_int(steps, "steps")
    learning_rate = require_real(learning_rate, "learning_rate", minimum=0.0)
    return (None if value is None else require_real(value, "value")), learning_rate


def check_clip_grad_norm_args(parameters: object, max_norm: object) -> tuple[list[torch.Tensor], float]:
    """检查 :func:`clip_grad_norm` 的参数：张量组成的可迭代对象，其中至少一个有梯度；``max_norm`` 非负。

    Returns:
        ``(参数列表, float(max_norm))``；``parameters`` 可以是 ``net.parameters()`` 这样只能遍历一次的生成器。
    """
    max_norm = require_real(max_norm, "max_norm", minimum=0.0)
    parameters = [require_tensor(p, f"parameters[{i}]") for i, p in enumerate(parameters)]
    if all(p.grad is None for p in parameters):
        raise ValueError("参数中没有任何梯度：请先调用 loss.backward()")
    return parameters, max_norm


# --8<-- [start:init_std]
def init_std(scheme: str | float, fan_in: int, fan_out: int) -> float:
    """按初始化方案返回权重的**标准差**（方差的平方根）。

    - ``"lecun"``：Var(w) = 1 / fan_in，适合 tanh；
    - ``"xavier"``：Var(w) = 2 / (fan_in + fan_out)，兼顾前向与反向；
    - ``"he"``：Var(w) = 2 / fan_in，适合 ReLU；
    - 一个正数：直接把它当作标准差（例如 0.01）。

    Examples:
        >>> init_std("he", 256, 256)  # sqrt(2 / 256)
        0.08838834764831845
        >>> init_std(0.01, 256, 256)
        0.01
    """
    check_init_std_args(scheme, fan_in, fan_out)
    if isinstance(scheme, str):
        variances = {"lecun": 1 / fan_in, "xavier": 2 / (fan_in + fan_out), "he": 2 / fan_in}
        return math.sqrt(variances[scheme])
    return float(scheme)
# --8<-- [end:init_std]


def random_matrix_product(
    n_matrices: int, size: int, *, std: float = 1.0, seed: int = 0, start: torch.Tensor | None = None
) -> torch.Tensor:
    """依次左乘 ``n_matrices`` 个 ``size × size`` 的随机矩阵（元素服从 N(0, std²)），float64。

    返回 M_k ⋯ M_2 M_1 · start；``start`` 默认是单位矩阵，即返回矩阵的乘积本身。
    传入一个 ``(size, 1)`` 的向量，就得到这个向量连续经过 k 个随机线性层之后的结果，计算量小得多。

    Examples:
        >>> random_matrix_product(3, 2).shape
        torch.Size([2, 2])
        >>> random_matrix_product(3, 2, start=torch.ones(2, 1, dtype=torch.float64)).shape
        torch.Size([2, 1])
    """
    require_positive_int(n_matrices, "n_matrices")
    require_positive_int(size, "size")
    std = require_real(std, "std", minimum=0.0)
    if start is None:
        start = torch.eye(size, dtype=torch.float64)
    require_tensor(start, "start", floating=True)
    if start.dim() != 2 or start.shape[0] != size:
        raise ValueError(f"参数 start 的形状应为 ({size}, k)，实际为 {tuple(start.shape)}")
    generator = torch.Generator().manual_seed(seed)
    product = start.double()
    for _ in range(n_matrices):
        product = (torch.randn(size, size, generator=generator, dtype=torch.float64) * std) @ product
    return product


def make_deep_mlp(
    depth: int, width: int, activation: str, init: str | float, *, seed: int = 0
) -> nn.Sequential:
    """``depth`` 个“全连接层 + 激活函数”组成的网络，每层都是 ``width → width``。

    权重服从均值为 0、标准差为 ``init_std(init, width, width)`` 的正态分布，偏置为 0。

    Examples:
        >>> net = make_deep_mlp(3, 8, "relu", "he")
        >>> len(net), net[0].weight.shape
        (6, torch.Size([8, 8]))
    """
    require_positive_int(depth, "depth")
    require_positive_int(width, "width")
    activation = require_choice(activation, "activation", tuple(ACTIVATIONS))
    std = init_std(init, width, width)
    generator = torch.Generator().manual_seed(seed)
    layers: list[nn.Module] = []
    for _ in range(depth):
        linear = nn.Linear(width, width)
        with torch.no_grad():
            linear.weight.copy_(torch.randn(width, width, generator=generator) * std)
            linear.bias.zero_()
        layers += [linear, ACTIVATIONS[activation]()]
    return nn.Sequential(*layers)


# --8<-- [start:symmetry]
def count_distinct_rows(weight: torch.Tensor, atol: float = 1e-6) -> int:
    """权重矩阵中互不相同的行有几种（每一行对应一个隐藏单元）。

    Examples:
        >>> count_distinct_rows(torch.tensor([[1.0, 2.0], [1.0, 2.0], [0.0, 1.0]]))
        2
    """
    atol = check_count_distinct_rows_args(weight, atol)
    distinct: list[torch.Tensor] = []
    for row in weight:
        if not any(torch.allclose(row, other, rtol=0, atol=atol) for other in distinct):
            distinct.append(row)
    return len(distinct)


def train_with_constant_init(
    value: float | None, *, steps: int = 50, learning_rate: float = 0.1, seed: int = 0
) -> nn.Sequential:
    """在随机回归数据上训练一个 4 → 6 → 1 的 tanh 网络，返回训练后的网络。

    ``value`` 为一个数时，所有权重都初始化为这个常数、偏置为 0；
    ``value`` 为 ``None`` 时用 PyTorch 的默认随机初始化作对照。

    Examples:
        >>> net = train_with_constant_init(0.3, steps=5)
        >>> count_distinct_rows(net[0].weight)  # 6 个隐藏单元仍然一模一样
        1
    """
    value, learning_rate = check_train_with_constant_init_args(value, steps, learning_rate)
    generator = torch.Generator().manual_seed(seed)
    X = torch.randn(64, 4, generator=generator)
    y = torch.randn(64, 1, generator=generator)
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 1))
    if value is not None:
        for layer in (net[0], net[2]):
            nn.init.constant_(layer.weight, value)
            nn.init.zeros_(layer.bias)
    for _ in range(steps):
        net.zero_grad()
        nn.functional.mse_loss(net(X), y).backward()
        with torch.no_grad():
            for param in net.parameters():
                param -= learning_rate * param.grad
    return net
# --8<-- [end:symmetry]


@dataclass
class LayerStatistics:
    """一次实验的结果：每一层激活值的标准差、每一层权重梯度的标准差（第 1 层最靠近输入）。"""

    activation: str
    init: str | float
    activation_std: list[float]
    gradient_std: list[float]

    @property
    def label(self) -> str:
        """图例用的名字，例如 ``"relu, He"``。"""
        names = {"lecun": "LeCun", "xavier": "Xavier", "he": "He"}
        init = names.get(self.init, self.init) if isinstance(self.init, str) else f"std={self.init:g}"
        return f"{self.activation}, {init}"


# --8<-- [start:layer_statistics]
def layer_statistics(
    activation: str,
    init: str | float,
    *,
    depth: int = 30,
    width: int = 256,
    batch_size: int = 64,
    seed: int = 0,
) -> LayerStatistics:
    """在随机输入上前向、反向各一次，记录每一层激活值和权重梯度的标准差。

    输入服从标准正态分布。损失取输出与一个固定的标准正态随机张量的内积（再除以批量大小），
    相当于从输出端送回一个与输出大小无关的随机梯度，这样看到的梯度大小只取决于网络本身。

    Examples:
        >>> stats = layer_statistics("relu", "he", depth=3, width=16)
        >>> len(stats.activation_std), len(stats.gradient_std)
        (3, 3)
    """
    require_positive_int(batch_size, "batch_size")
    net = make_deep_mlp(depth, width, activation, init, seed=seed)
    generator = torch.Generator().manual_seed(seed + 1)
    X = torch.randn(batch_size, width, generator=generator)
    direction = torch.randn(batch_size, width, generator=generator)

    activation_std = []
    H = X
    for layer in range(depth):
        H = net[2 * layer + 1](net[2 * layer](H))  # 全连接层，然后激活函数
        activation_std.append(H.std().item())
    loss = (H * direction).sum() / batch_size
    loss.backward()
    gradient_std = [net[2 * layer].weight.grad.std().item() for layer in range(depth)]
    return LayerStatistics(activation, init, activation_std, gradient_std)
# --8<-- [end:layer_statistics]


def plot_layer_statistics(results: Sequence[LayerStatistics]) -> Figure:
    """左图画每层激活值的标准差，右图画每层权重梯度的标准差，纵轴为对数坐标。

    Examples:
        >>> figure = plot_layer_statistics([layer_statistics("tanh", "xavier", depth=3, width=16)])
        >>> [axes.get_yscale() for axes in figure.axes]
        ['log', 'log']
    """
    if isinstance(results, LayerStatistics) or not isinstance(results, Sequence):
        raise TypeError(f"参数 results 应为 LayerStatistics 组成的列表，实际得到 {type(results).__name__}")
    if len(results) == 0:
        raise ValueError("参数 results 不能为空列表")
    if not all(isinstance(result, LayerStatistics) for result in results):
        raise TypeError("参数 results 的每个元素都应为 LayerStatistics（由 layer_statistics 得到）")

    figure = Figure(figsize=(10, 4), layout="constrained")
    figure.set_label(
        "深层多层感知机中每一层激活值（左）和权重梯度（右）的标准差随层数的变化，纵轴为对数坐标，"
        "比较 tanh 与 ReLU 在不同初始化下的表现"
    )
    left, right = figure.subplots(1, 2, sharex=True)
    styles = {"tanh": "-", "relu": "--"}
    colors: dict[str, str] = {}  # 同一种初始化用同一种颜色
    for result in results:
        layers = range(1, len(result.activation_std) + 1)
        color = colors.setdefault(str(result.init), f"C{len(colors)}")
        style = {"linestyle": styles.get(result.activation, ":"), "color": color, "label": result.label}
        left.plot(layers, result.activation_std, **style)
        right.plot(layers, result.gradient_std, **style)
    for axes, title in ((left, "std of activations"), (right, "std of weight gradients")):
        axes.set_yscale("log")
        axes.set_xlabel("layer")
        axes.set_title(title)
        axes.grid(alpha=0.3, which="both")
    right.legend(fontsize="small", loc="best")
    return figure


# --8<-- [start:clip_grad_norm]
def clip_grad_norm(parameters: Iterable[torch.Tensor], max_norm: float) -> float:
    """梯度裁剪：所有参数的梯度拼成一个向量，若其 L2 范数超过 ``max_norm``，就整体缩放到 ``max_norm``。

    与 ``torch.nn.utils.clip_grad_norm_`` 相同，缩放系数是 max_norm / (总范数 + 1e-6)，
    方向不变；返回裁剪**之前**的总范数。

    Examples:
        >>> w = torch.zeros(2, requires_grad=True)
        >>> w.grad = torch.tensor([3.0, 4.0])
        >>> clip_grad_norm([w], max_norm=1.0), w.grad
        (5.0, tensor([0.6000, 0.8000]))
    """
    parameters, max_norm = check_clip_grad_norm_args(parameters, max_norm)
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = torch.sqrt(sum((g.double() ** 2).sum() for g in grads)).item()
    if total_norm > max_norm:
        scale = max_norm / (total_norm + 1e-6)
        for g in grads:
            g.mul_(scale)
    return total_norm
# --8<-- [end:clip_grad_norm]
