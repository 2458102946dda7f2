"""模型选择、欠拟合和过拟合：K 折交叉验证的下标划分与多项式回归实验。

对应页面 ``docs/mlp/model-selection.md``。多项式回归用 :func:`polynomial_features` 生成特征，
先用 :func:`fit_least_squares` 求最小二乘的解析解（每种模型在训练集上能做到的最好结果），
再用 :func:`train_polynomial`（小批量随机梯度下降）拟合，逐轮记录训练损失和测试损失
（:class:`LossCurves`），最后用 :func:`plot_loss_curves` 把几种情况画在一张图里。
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import torch
from matplotlib.figure import Figure

from lessons_src.checks import require_instance, require_int, require_positive, require_real, require_tensor

__all__ = [
    "LossCurves",
    "cross_validation_loss",
    "fit_least_squares",
    "k_fold_indices",
    "make_polynomial_data",
    "minibatch_indices",
    "plot_loss_curves",
    "polynomial_features",
    "train_polynomial",
]


def check_features_labels(X: object, y: object, x_name: str = "X", y_name: str = "y") -> None:
    """检查特征矩阵与标签：浮点张量，形状为 ``(样本数, 特征数)`` 和 ``(样本数,)``。"""
    require_tensor(X, x_name, floating=True)
    require_tensor(y, y_name, floating=True)
    if X.dim() != 2 or y.shape != X.shape[:1]:
        raise ValueError(
            f"{x_name} 的形状应为 (样本数, 特征数)、{y_name} 的形状应为 (样本数,)，"
            f"实际为 {tuple(X.shape)} 和 {tuple(y.shape)}"
        )


def check_train_test_args(train_X: object, train_y: object, test_X: object, test_y: object) -> None:
    """检查训练集和测试集：各自的特征与标签相容（见 :func:`check_features_labels`），而且特征数相同。"""
    check_features_labels(train_X, train_y, "train_X", "train_y")
    check_features_labels(test_X, test_y, "test_X", "test_y")
    if train_X.shape[1] != test_X.shape[1]:
        raise ValueError(f"训练集和测试集的特征数应相同，实际为 {train_X.shape[1]} 和 {test_X.shape[1]}")


def check_k_fold_indices_args(num_examples: object, k: object) -> None:
    """检查 :func:`k_fold_indices` 的参数：``k >= 2``，每一折至少有一个样本。"""
    require_int(k, "k", minimum=2)
    require_int(num_examples, "num_examples", minimum=1)
    if num_examples < k:
        raise ValueError(f"样本数 num_examples={num_examples} 少于折数 k={k}，至少每折要有一个样本")


def check_minibatch_indices_args(num_examples: object, batch_size: object, generator: object) -> None:
    """检查 :func:`minibatch_indices` 的参数：两个正整数，``generator`` 为 ``torch.Generator`` 或 ``None``。"""
    require_int(num_examples, "num_examples", minimum=1)
    require_int(batch_size, "batch_size", minimum=1)
    if generator is not None:
        require_instance(generator, "generator", torch.Generator, label="torch.Generator 或 None")


def check_polynomial_features_args(x: object, num_features: object) -> None:
    """检查 :func:`polynomial_features` 的参数：``x`` 是一维浮点张量，``num_features`` 是正整数。"""
    require_tensor(x, "x", floating=True)
    if x.dim() != 1:
        raise ValueError(f"参数 x 应为一维张量（每个样本一个数），实际形状为 {tuple(x.shape)}")
    require_int(num_features, "num_features", minimum=1)


def check_make_polynomial_data_args(
    num_train: object, num_test: object, num_features: object, noise: object, coefficients: object
) -> tuple[float, list[float]]:
    """检查 :func:`make_polynomial_data` 的参数，返回 ``(噪声标准差, 系数列表)``。"""
    require_int(num_train, "num_train", minimum=1)
    require_int(num_test, "num_test", minimum=1)
    require_int(num_features, "num_features", minimum=1)
    sigma = require_real(noise, "noise", minimum=0.0)
    values = [require_real(c, "coefficients 的元素") for c in coefficients]
    if not 0 < len(values) <= num_features:
        raise ValueError(f"coefficients 应有 1 到 num_features={num_features} 个元素，实际有 {len(values)} 个")
    return sigma, values


def check_train_polynomial_args(
    train_X: object, train_y: object, test_X: object, test_y: object, num_epochs: object, lr: object
) -> float:
    """检查 :func:`train_polynomial` 的参数（数据见 :func:`check_train_test_args`），返回学习率。"""
    check_train_test_args(train_X, train_y, test_X, test_y)
    require_int(num_epochs, "num_epochs", minimum=1)
    return require_positive(lr, "lr", what="学习率")


# --8<-- [start:k_fold_indices]
def k_fold_indices(num_examples: int, k: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """把下标 ``0, 1, ..., num_examples - 1`` 依次切成 ``k`` 份，返回 ``k`` 组 ``(训练下标, 验证下标)``。

    第 ``i`` 组以第 ``i`` 份为验证集、其余 ``k - 1`` 份为训练集。样本数不能被 ``k`` 整除时，
    前 ``num_examples % k`` 份各多一个样本（与 ``sklearn.model_selection.KFold`` 相同）。
    数据若按某种顺序排列（例如按类别），应先打乱再划分。

    Examples:
        >>> for train_idx, valid_idx in k_fold_indices(5, 2):
        ...     print(train_idx.tolist(), valid_idx.tolist())
        [3, 4] [0, 1, 2]
        [0, 1, 2] [3, 4]
    """
    check_k_fold_indices_args(num_examples, k)
    sizes = [num_examples // k + (1 if i < num_examples % k else 0) for i in range(k)]
    indices = torch.arange(num_examples)
    folds = []
    start = 0
    for size in sizes:
        valid_idx = indices[start : start + size]
        train_idx = torch.cat([indices[:start], indices[start + size :]])
        folds.append((train_idx, valid_idx))
        start += size
    return folds
# --8<-- [end:k_fold_indices]


# --8<-- [start:minibatch_indices]
def minibatch_indices(
    num_examples: int, batch_size: int, *, generator: torch.Generator | None = None
) -> list[torch.Tensor]:
    """随机打乱 ``0, ..., num_examples - 1``，再按 ``batch_size`` 切成小批量的下标（最后一批可能不满）。

    Examples:
        >>> batches = minibatch_indices(5, 2, generator=torch.Generator().manual_seed(0))
        >>> [len(batch) for batch in batches]
        [2, 2, 1]
        >>> sorted(torch.cat(batches).tolist())
        [0, 1, 2, 3, 4]
    """
    check_minibatch_indices_args(num_examples, batch_size, generator)
    order = torch.randperm(num_examples, generator=generator)
    return list(order.split(batch_size))
# --8<-- [end:minibatch_indices]


# --8<-- [start:polynomial_features]
def polynomial_features(x: torch.Tensor, num_features: int) -> torch.Tensor:
    """由一维输入 ``x`` 生成 ``num_features`` 个特征 ``x^i / i!``（``i = 0, ..., num_features - 1``）。

    除以 ``i!`` 是为了让高次项不至于大得离谱，梯度下降才能用同一个学习率训练所有系数。

    Examples:
        >>> polynomial_features(torch.tensor([2.0]), 4)
        tensor([[1.0000, 2.0000, 2.0000, 1.3333]])
    """
    check_polynomial_features_args(x, num_features)
    powers = torch.arange(num_features, dtype=x.dtype)
    factorials = torch.exp(torch.lgamma(powers + 1))  # Γ(i + 1) = i!
    return x.unsqueeze(1) ** powers / factorials
# --8<-- [end:polynomial_features]


# --8<-- [start:make_polynomial_data]
def make_polynomial_data(
    num_train: int,
    num_test: int,
    *,
    coefficients: Sequence[float] = (5.0, 1.2, -3.4, 5.6),
    num_features: int = 20,
    noise: float = 0.1,
    seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """生成多项式回归的数据：``y = Σ_i coefficients[i] · x^i / i! + ε``，``x ~ N(0, 1)``，``ε ~ N(0, noise²)``。

    默认系数对应三阶多项式 ``5 + 1.2x - 3.4x²/2! + 5.6x³/3!``。返回
    ``(训练特征, 训练标签, 测试特征, 测试标签)``，特征共 ``num_features`` 列，
    其中第 ``len(coefficients)`` 列以后的真实系数都是 0。

    Examples:
        >>> X_train, y_train, X_test, y_test = make_polynomial_data(20, 100)
        >>> X_train.shape, y_train.shape, X_test.shape
        (torch.Size([20, 20]), torch.Size([20]), torch.Size([100, 20]))
    """
    sigma, values = check_make_polynomial_data_args(num_train, num_test, num_features, noise, coefficients)
    true_w = torch.zeros(num_features)
    true_w[: len(values)] = torch.tensor(values)
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(num_train + num_test, generator=generator)
    features = polynomial_features(x, num_features)
    labels = features @ true_w + sigma * torch.randn(num_train + num_test, generator=generator)
    return features[:num_train], labels[:num_train], features[num_train:], labels[num_train:]
# --8<-- [end:make_polynomial_data]


# --8<-- [start:fit_least_squares]
def fit_least_squares(
    train_X: torch.Tensor, train_y: torch.Tensor, test_X: torch.Tensor, test_y: torch.Tensor
) -> tuple[float, float, torch.Tensor]:
    """最小二乘的解析解：在 float64 下求使训练均方误差最小的 ``w``，返回 ``(训练损失, 测试损失, w)``。

    ``torch.linalg.lstsq`` 会把小到与舍入误差无法区分的奇异值当作 0 处理，所以方程组病态时
    得到的不一定是精确解，但仍是数值上能得到的最小二乘解。

    Examples:
        >>> X_train, y_train, X_test, y_test = make_polynomial_data(20, 100)
        >>> train_loss, test_loss, w = fit_least_squares(X_train[:, :4], y_train, X_test[:, :4], y_test)
        >>> round(train_loss, 3), round(test_loss, 3), w.dtype
        (0.013, 0.019, torch.float64)
    """
    check_train_test_args(train_X, train_y, test_X, test_y)
    X, y = train_X.double(), train_y.double()
    w = torch.linalg.lstsq(X, y.unsqueeze(1)).solution.squeeze(1)
    train_loss = ((X @ w - y) ** 2).mean().item()
    test_loss = ((test_X.double() @ w - test_y.double()) ** 2).mean().item()
    return train_loss, test_loss, w
# --8<-- [end:fit_least_squares]


# --8<-- [start:LossCurves]
@dataclass
class LossCurves:
    """一次训练逐轮记录的训练损失、测试损失，以及训练结束时的权重。"""

    train_loss: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    weight: torch.Tensor | None = None
# --8<-- [end:LossCurves]


# --8<-- [start:train_polynomial]
def train_polynomial(
    train_X: torch.Tensor,
    train_y: torch.Tensor,
    test_X: torch.Tensor,
    test_y: torch.Tensor,
    *,
    num_epochs: int = 1000,
    lr: float = 0.2,
    batch_size: int = 10,
    seed: int = 0,
) -> LossCurves:
    """用小批量随机梯度下降拟合线性模型 ``X @ w``（常数项已在特征的第 0 列），损失为均方误差。

    权重从 0 开始；每轮结束时在整个训练集和测试集上计算均方误差并记录。

    Examples:
        >>> X_train, y_train, X_test, y_test = make_polynomial_data(20, 100)
        >>> curves = train_polynomial(X_train[:, :4], y_train, X_test[:, :4], y_test, num_epochs=5)
        >>> len(curves.train_loss), curves.weight.shape
        (5, torch.Size([4]))
    """
    lr = check_train_polynomial_args(train_X, train_y, test_X, test_y, num_epochs, lr)
    generator = torch.Generator().manual_seed(seed)
    w = torch.zeros(train_X.shape[1], dtype=train_X.dtype, requires_grad=True)
    optimizer = torch.optim.SGD([w], lr=lr)
    curves = LossCurves()
    for _ in range(num_epochs):
        for idx in minibatch_indices(len(train_y), batch_size, generator=generator):
            loss = ((train_X[idx] @ w - train_y[idx]) ** 2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            curves.train_loss.append(((train_X @ w - train_y) ** 2).mean().item())
            curves.test_loss.append(((test_X @ w - test_y) ** 2).mean().item())
    curves.weight = w.detach()
    return curves
# --8<-- [end:train_polynomial]


# --8<-- [start:cross_validation_loss]
def cross_validation_loss(X: torch.Tensor, y: torch.Tensor, k: int, **train_kwargs: object) -> float:
    """K 折交叉验证：轮流用每一折做验证集、其余做训练集，返回 ``k`` 个验证损失的平均值。

    ``train_kwargs`` 原样传给 :func:`train_polynomial`（如 ``num_epochs``、``lr``）。

    Examples:
        >>> X_train, y_train, _, _ = make_polynomial_data(20, 1)
        >>> round(cross_validation_loss(X_train[:, :4], y_train, 5, num_epochs=200), 2)
        0.02
    """
    check_features_labels(X, y)
    losses = []
    for train_idx, valid_idx in k_fold_indices(len(y), k):
        curves = train_polynomial(X[train_idx], y[train_idx], X[valid_idx], y[valid_idx], **train_kwargs)
        losses.append(curves.test_loss[-1])
    return sum(losses) / len(losses)
# --8<-- [end:cross_validation_loss]


def plot_loss_curves(
    curves: Mapping[str, LossCurves], *, title: str = "训练损失和测试损失随轮数的变化", test_label: str = "test"
) -> Figure:
    """每种情况一个子图，以对数纵轴画出训练损失和测试损失随轮数的变化。

    Args:
        curves: 子图标题（英文或数学记号）→ :class:`LossCurves`。
        title: 图的中文说明（网页上图片的替代文本）。
        test_label: 第二条曲线的图例，例如 ``"test"`` 或 ``"validation"``。

    Examples:
        >>> figure = plot_loss_curves({"degree 3": LossCurves([1.0, 0.1], [1.2, 0.2])})
        >>> [line.get_label() for line in figure.axes[0].lines]
        ['train', 'test']
    """
    if not isinstance(curves, Mapping) or len(curves) == 0:
        raise ValueError("参数 curves 应为非空的字典：子图标题 → LossCurves")
    for name, item in curves.items():
        if not isinstance(item, LossCurves):
            raise TypeError(f"curves[{name!r}] 应为 LossCurves，实际得到 {type(item).__name__}")
        if not item.train_loss or len(item.train_loss) != len(item.test_loss):
            raise ValueError(f"curves[{name!r}] 的训练损失和测试损失应非空且轮数相同")
    figure = Figure(figsize=(3.4 * len(curves), 3.0), layout="constrained")
    figure.set_label(title)
    grid = figure.subplots(1, len(curves), squeeze=False, sharey=True)
    for axes, (name, item) in zip(grid[0], curves.items()):
        epochs = range(1, len(item.train_loss) + 1)
        axes.semilogy(epochs, item.train_loss, label="train")
        axes.semilogy(epochs, item.test_loss, "--", label=test_label)
        axes.set_title(name)
        axes.set_xlabel("epoch")
        axes.grid(alpha=0.3)
    grid[0][0].set_ylabel("loss")
    grid[0][0].legend()
    return figure
