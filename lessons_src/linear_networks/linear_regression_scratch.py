"""线性回归的从零实现：生成数据、小批量读取、模型、平方损失和小批量随机梯度下降。

对应页面 ``docs/linear-networks/linear-regression-scratch.md``。这里只用张量和自动求导，
不用 ``torch.nn`` 和 ``torch.optim``，每一步都照公式写出。
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch

from lessons_src.checks import require_positive_int, require_real, require_tensor

__all__ = ["data_iter", "linreg", "require_positive_int", "sgd", "squared_loss", "synthetic_data"]


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
    require_tensor(w, "w", floating=True)
    if w.dim() != 1:
        raise ValueError(f"参数 w 应为一维张量（特征数,），实际形状为 {tuple(w.shape)}")
    b = require_real(b, "b")
    n = require_positive_int(num_examples, "num_examples")
    noise_std = require_real(noise_std, "noise_std", minimum=0.0)
    X = torch.normal(0.0, 1.0, (n, len(w)), dtype=w.dtype)
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
    batch_size = require_positive_int(batch_size, "batch_size")
    require_tensor(features, "features")
    require_tensor(labels, "labels")
    if len(features) != len(labels):
        raise ValueError(f"features 和 labels 的样本数应相同，实际为 {len(features)} 和 {len(labels)}")
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
    require_tensor(X, "X", floating=True)
    require_tensor(w, "w", floating=True)
    require_tensor(b, "b", floating=True)
    if X.dim() != 2 or w.shape != (X.shape[1], 1):
        raise ValueError(
            f"X 的形状应为 (n, d)、w 的形状应为 (d, 1)，实际为 {tuple(X.shape)} 和 {tuple(w.shape)}"
        )
    return X @ w + b
# --8<-- [end:linreg]


# --8<-- [start:squared_loss]
def squared_loss(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """逐样本的平方损失 (ŷ - y)² / 2，返回与 ``y_hat`` 同形状的张量（不求和、不平均）。

    ``y`` 先被改成 ``y_hat`` 的形状，避免 ``(n, 1)`` 与 ``(n,)`` 相减时广播成 ``(n, n)``。

    Examples:
        >>> squared_loss(torch.tensor([[1.0], [3.0]]), torch.tensor([2.0, 3.0]))
        tensor([[0.5000],
                [0.0000]])
    """
    require_tensor(y_hat, "y_hat", floating=True)
    require_tensor(y, "y")
    if y.numel() != y_hat.numel():
        raise ValueError(f"y_hat 和 y 的元素个数应相同，实际形状为 {tuple(y_hat.shape)} 和 {tuple(y.shape)}")
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
    if not isinstance(params, (list, tuple)):
        raise TypeError(f"参数 params 应为由张量组成的列表，如 [w, b]，实际得到 {type(params).__name__}")
    lr = require_real(lr, "lr", minimum=0.0)
    batch_size = require_positive_int(batch_size, "batch_size")
    for index, param in enumerate(params):
        require_tensor(param, f"params[{index}]")
        if param.grad is None:
            raise ValueError(f"params[{index}] 还没有梯度：先对损失调用 backward()，并确认它的 requires_grad=True")
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()
# --8<-- [end:sgd]
