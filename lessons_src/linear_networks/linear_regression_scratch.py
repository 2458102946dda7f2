"""线性回归的从零实现：生成数据、小批量读取、模型、平方损失和小批量随机梯度下降。

对应页面 ``docs/linear-networks/linear-regression-scratch.md``。这里只用张量和自动求导，
不用 ``torch.nn`` 和 ``torch.optim``，每一步都照公式写出。:func:`gaussian_nll` 是噪声服从正态分布时
标签的负对数似然，说明最大似然估计为什么给出平方损失。
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import torch

from lessons_src.checks import require_positive, require_positive_int, require_real, require_tensor

__all__ = ["data_iter", "gaussian_nll", "linreg", "sgd", "squared_loss", "synthetic_data"]


def check_synthetic_data_args(w: object, b: object, num_examples: object, noise_std: object) -> None:
    """检查 :func:`synthetic_data` 的参数：``w`` 是一维浮点张量，``b`` 是实数，``num_examples`` 是正整数，
    ``noise_std`` 是非负实数。"""
    require_tensor(w, "w", floating=True)
    if w.dim() != 1:
        raise ValueError(f"参数 w 应为一维张量（特征数,），实际形状为 {tuple(w.shape)}")
    require_real(b, "b")
    require_positive_int(num_examples, "num_examples")
    require_real(noise_std, "noise_std", minimum=0.0)


def check_data_iter_args(batch_size: object, features: object, labels: object) -> None:
    """检查 :func:`data_iter` 的参数：正整数的批量大小，样本数相同的两个张量。"""
    require_positive_int(batch_size, "batch_size")
    require_tensor(features, "features")
    require_tensor(labels, "labels")
    if len(features) != len(labels):
        raise ValueError(f"features 和 labels 的样本数应相同，实际为 {len(features)} 和 {len(labels)}")


def check_linreg_args(X: object, w: object, b: object) -> None:
    """检查 :func:`linreg` 的参数：三个浮点张量，``X`` 的形状为 ``(n, d)``，``w`` 的形状为 ``(d, 1)``。"""
    for value, name in ((X, "X"), (w, "w"), (b, "b")):
        require_tensor(value, name, floating=True)
    if X.dim() != 2 or w.shape != (X.shape[1], 1):
        raise ValueError(
            f"X 的形状应为 (n, d)、w 的形状应为 (d, 1)，实际为 {tuple(X.shape)} 和 {tuple(w.shape)}"
        )


def check_squared_loss_args(y_hat: object, y: object) -> None:
    """检查 :func:`squared_loss` 的参数：``y_hat`` 是浮点张量，``y`` 是张量，两者的元素个数相同。"""
    require_tensor(y_hat, "y_hat", floating=True)
    require_tensor(y, "y")
    if y.numel() != y_hat.numel():
        raise ValueError(f"y_hat 和 y 的元素个数应相同，实际形状为 {tuple(y_hat.shape)} 和 {tuple(y.shape)}")


def check_gaussian_nll_args(y_hat: object, y: object, variance: object) -> float:
    """检查 :func:`gaussian_nll` 的参数：``y_hat`` 和 ``y`` 同 :func:`squared_loss`，``variance`` 是正数；
    返回 ``float(variance)``。"""
    check_squared_loss_args(y_hat, y)
    return require_positive(variance, "variance", what="噪声的方差 σ²")


def check_sgd_args(params: object, lr: object, batch_size: object) -> None:
    """检查 :func:`sgd` 的参数：``params`` 是由已经有梯度的张量组成的列表，``lr`` 非负，``batch_size`` 是正整数。"""
    if not isinstance(params, (list, tuple)):
        raise TypeError(f"参数 params 应为由张量组成的列表，如 [w, b]，实际得到 {type(params).__name__}")
    require_real(lr, "lr", minimum=0.0)
    require_positive_int(batch_size, "batch_size")
    for index, param in enumerate(params):
        require_tensor(param, f"params[{index}]")
        if param.grad is None:
            raise ValueError(f"params[{index}] 还没有梯度：先对损失调用 backward()，并确认它的 requires_grad=True")


# --8<-- [start:synthetic_data]
def synthetic_data(
    w: torch.Tensor,
    b: float,
    num_examples: int,
    *,
    noise_std: float = 0.01,
) -> tuple[torch.Tensor, torch.Tensor]:
    """按 y = Xw + b + ε 生成数据，X 的元素和噪声 ε 都服从正态分布。

    Args:
        w: 真实权重，形状为 ``(d,)`` 的浮点张量。
        b: 真实偏置。
        num_examples: 样本数 n。
        noise_std: 噪声 ε 的标准差。

    Returns:
        ``(features, labels)``，形状分别为 ``(n, d)`` 和 ``(n, 1)``。

    Examples:
        >>> features, labels = synthetic_data(torch.tensor([2.0, -3.4]), 4.2, 5)
        >>> features.shape, labels.shape
        (torch.Size([5, 2]), torch.Size([5, 1]))
    """
    check_synthetic_data_args(w, b, num_examples, noise_std)
    X = torch.normal(0.0, 1.0, (num_examples, len(w)), dtype=w.dtype)
    y = X @ w + b
    y += torch.normal(0.0, noise_std, y.shape, dtype=w.dtype)
    return X, y.reshape(-1, 1)
# --8<-- [end:synthetic_data]


# --8<-- [start:data_iter]
def data_iter(
    batch_size: int,
    features: torch.Tensor,
    labels: torch.Tensor,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """每次调用遍历一遍数据集（一轮）：先随机打乱样本下标，再按顺序切成小批量。

    每个样本在一轮中恰好出现一次。样本数不能被 ``batch_size`` 整除时，最后一个小批量较小。

    Examples:
        >>> X, y = torch.arange(10.0).reshape(5, 2), torch.arange(5.0)
        >>> [len(y_batch) for _, y_batch in data_iter(2, X, y)]
        [2, 2, 1]
    """
    check_data_iter_args(batch_size, features, labels)
    num_examples = len(features)
    indices = torch.randperm(num_examples)
    for start in range(0, num_examples, batch_size):
        batch_indices = indices[start : start + batch_size]
        yield features[batch_indices], labels[batch_indices]
# --8<-- [end:data_iter]


# --8<-- [start:linreg]
def linreg(X: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """线性回归模型 ŷ = Xw + b。``X`` 为 ``(n, d)``，``w`` 为 ``(d, 1)``，``b`` 广播到每个样本。

    Examples:
        >>> linreg(torch.tensor([[1.0, 2.0]]), torch.tensor([[3.0], [4.0]]), torch.tensor([0.5]))
        tensor([[11.5000]])
    """
    check_linreg_args(X, w, b)
    return X @ w + b
# --8<-- [end:linreg]


# --8<-- [start:squared_loss]
def squared_loss(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """逐样本的平方损失 l = (ŷ - y)² / 2（系数 1/2 让 ∂l/∂ŷ = ŷ - y）。

    约定：``y_hat`` 是浮点张量（模型输出，通常形状为 ``(n, 1)``）；``y`` 的元素个数与它相同，形状可以不同
    （例如 ``(n,)``），先被改成 ``y_hat`` 的形状再相减，避免 ``(n, 1)`` 与 ``(n,)`` 相减时广播成 ``(n, n)``。
    返回与 ``y_hat`` 同形状的逐样本损失，不求和、不平均：小批量上的总损失是 ``.sum()``，
    平均损失是 ``.mean()``，即 ‖ŷ - y‖² / (2n)。

    Examples:
        >>> squared_loss(torch.tensor([[1.0], [3.0]]), torch.tensor([2.0, 3.0]))
        tensor([[0.5000],
                [0.0000]])
    """
    check_squared_loss_args(y_hat, y)
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2
# --8<-- [end:squared_loss]


# --8<-- [start:sgd]
def sgd(params: Sequence[torch.Tensor], lr: float, batch_size: int) -> None:
    """小批量随机梯度下降：对每个参数执行 param -= lr * param.grad / batch_size，然后把梯度清零。

    ``param.grad`` 应是小批量上损失之**和**的梯度，``batch_size`` 应是这个小批量**实际**的样本数，
    两者相除得到平均梯度。更新在 ``torch.no_grad()`` 下原地进行，不被自动求导记录。

    Examples:
        >>> w = torch.tensor([1.0], requires_grad=True)
        >>> (3 * w).sum().backward()
        >>> sgd([w], lr=0.1, batch_size=1)
        >>> w, w.grad
        (tensor([0.7000], requires_grad=True), tensor([0.]))
    """
    check_sgd_args(params, lr, batch_size)
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()
# --8<-- [end:sgd]


# --8<-- [start:gaussian_nll]
def gaussian_nll(y_hat: torch.Tensor, y: torch.Tensor, variance: float) -> torch.Tensor:
    """噪声 ε ~ N(0, σ²) 时标签的负对数似然：-log P(y | X) = n/2·log(2πσ²) + Σ(y - ŷ)²/(2σ²)。

    ``y_hat`` 是模型的预测（正态分布的均值），``y`` 的元素个数与它相同（形状约定同 :func:`squared_loss`），
    ``variance`` 是噪声的方差 σ²。返回全部 n 个样本之和（一个标量）。

    Examples:
        >>> nll = gaussian_nll(torch.tensor([[0.0], [1.0]]), torch.tensor([0.0, 1.0]), 1.0)
        >>> round(nll.item(), 4), round(math.log(2 * math.pi), 4)   # 残差为 0：只剩常数项
        (1.8379, 1.8379)
    """
    variance = check_gaussian_nll_args(y_hat, y, variance)
    n = y_hat.numel()
    residual = y.reshape(y_hat.shape) - y_hat
    return n / 2 * math.log(2 * math.pi * variance) + (residual**2).sum() / (2 * variance)
# --8<-- [end:gaussian_nll]
