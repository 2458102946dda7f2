"""权重衰减（L2 正则化）：从零实现与在优化器中设置 ``weight_decay`` 的简洁实现。

对应页面 ``docs/mlp/weight-decay.md``。实验用 :func:`high_dim_linear_data` 生成一个容易过拟合的
高维线性回归问题（200 维输入、只有 20 个训练样本），分别不加和加上权重衰减训练，
逐轮记录训练损失、测试损失（:class:`~lessons_src.mlp.model_selection.LossCurves`）。
平方损失沿用线性回归一章的
:func:`~lessons_src.linear_networks.linear_regression_scratch.squared_loss`（逐样本的 (ŷ - y)² / 2）。
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from lessons_src.checks import require_int, require_real, require_tensor
from lessons_src.linear_networks.linear_regression_scratch import squared_loss
from lessons_src.mlp.model_selection import LossCurves, minibatch_indices

__all__ = [
    "high_dim_linear_data",
    "l2_penalty",
    "train_concise",
    "train_scratch",
]

# --8<-- [start:record]
Data = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]
"""``(X_train, y_train, X_test, y_test)``。"""


def _record(curves: LossCurves, forward: Callable[[torch.Tensor], torch.Tensor], data: Data) -> None:
    """每轮结束时，在整个训练集和测试集上记录平均的平方损失（不含惩罚项）。"""
    X_train, y_train, X_test, y_test = data
    with torch.no_grad():
        curves.train_loss.append(squared_loss(forward(X_train), y_train).mean().item())
        curves.test_loss.append(squared_loss(forward(X_test), y_test).mean().item())
# --8<-- [end:record]


def check_data(data: object) -> Data:
    """检查 ``(X_train, y_train, X_test, y_test)`` 四元组：浮点张量，形状相容，训练集与测试集的特征数相同。"""
    if not isinstance(data, tuple) or len(data) != 4:
        raise TypeError("参数 data 应为 (X_train, y_train, X_test, y_test) 四元组，"
                        f"实际得到 {type(data).__name__}")
    X_train, y_train, X_test, y_test = data
    for X, y, x_name, y_name in ((X_train, y_train, "X_train", "y_train"), (X_test, y_test, "X_test", "y_test")):
        require_tensor(X, x_name, floating=True)
        require_tensor(y, y_name, floating=True)
        if X.dim() != 2 or y.shape != X.shape[:1]:
            raise ValueError(f"{x_name} 的形状应为 (样本数, 特征数)、{y_name} 的形状应为 (样本数,)，"
                             f"实际为 {tuple(X.shape)} 和 {tuple(y.shape)}")
    if X_train.shape[1] != X_test.shape[1]:
        raise ValueError(f"训练集和测试集的特征数应相同，实际为 {X_train.shape[1]} 和 {X_test.shape[1]}")
    return data


def check_training_args(
    data: object, decay: object, decay_name: str, num_epochs: object, lr: object
) -> tuple[float, float]:
    """检查 :func:`train_scratch` 和 :func:`train_concise` 的参数，返回 ``(衰减系数, 学习率)``。

    ``data`` 见 :func:`check_data`；衰减系数（名字为 ``decay_name``）和学习率不小于 0，轮数是正整数。
    """
    check_data(data)
    require_int(num_epochs, "num_epochs", minimum=1)
    return require_real(decay, decay_name, minimum=0.0), require_real(lr, "lr", minimum=0.0)


def check_high_dim_linear_data_args(
    num_train: object, num_test: object, num_inputs: object, true_w: object, true_b: object, noise: object
) -> tuple[float, float, float]:
    """检查 :func:`high_dim_linear_data` 的参数，返回 ``(true_w, true_b, noise)``（都转成 ``float``）。"""
    for value, name in ((num_train, "num_train"), (num_test, "num_test"), (num_inputs, "num_inputs")):
        require_int(value, name, minimum=1)
    return require_real(true_w, "true_w"), require_real(true_b, "true_b"), require_real(noise, "noise", minimum=0.0)


# --8<-- [start:high_dim_linear_data]
def high_dim_linear_data(
    num_train: int = 20,
    num_test: int = 100,
    num_inputs: int = 200,
    *,
    true_w: float = 0.01,
    true_b: float = 0.05,
    noise: float = 0.01,
    seed: int = 1,
) -> Data:
    """生成 ``y = x·w + b + ε`` 的数据，``w`` 的每个分量都是 ``true_w``，``x ~ N(0, I)``，``ε ~ N(0, noise²)``。

    返回 ``(X_train, y_train, X_test, y_test)``；``X`` 的形状为 ``(样本数, num_inputs)``，``y`` 为 ``(样本数,)``。

    Examples:
        >>> X_train, y_train, X_test, y_test = high_dim_linear_data()
        >>> X_train.shape, y_train.shape, X_test.shape
        (torch.Size([20, 200]), torch.Size([20]), torch.Size([100, 200]))
    """
    w, b, sigma = check_high_dim_linear_data_args(num_train, num_test, num_inputs, true_w, true_b, noise)
    generator = torch.Generator().manual_seed(seed)
    X = torch.randn(num_train + num_test, num_inputs, generator=generator)
    y = X.sum(dim=1) * w + b + sigma * torch.randn(num_train + num_test, generator=generator)
    return X[:num_train], y[:num_train], X[num_train:], y[num_train:]
# --8<-- [end:high_dim_linear_data]


# --8<-- [start:l2_penalty]
def l2_penalty(w: torch.Tensor) -> torch.Tensor:
    """L2 惩罚项 ``‖w‖² / 2``（所有元素的平方和的一半）。

    Examples:
        >>> l2_penalty(torch.tensor([3.0, 4.0]))
        tensor(12.5000)
    """
    require_tensor(w, "w", floating=True)
    return (w**2).sum() / 2
# --8<-- [end:l2_penalty]


# --8<-- [start:train_scratch]
def train_scratch(
    lambd: float, data: Data, *, num_epochs: int = 100, lr: float = 0.003, batch_size: int = 5, seed: int = 0
) -> LossCurves:
    """从零实现：在小批量平均损失上加 ``lambd * l2_penalty(w)``，用 SGD 训练线性回归。

    ``w`` 从标准正态分布初始化（由 ``seed`` 固定），``b`` 从 0 开始。记录的损失是不含惩罚项的平方损失。

    Examples:
        >>> curves = train_scratch(3.0, high_dim_linear_data(), num_epochs=2)
        >>> len(curves.test_loss), curves.weight.shape
        (2, torch.Size([200]))
    """
    lambd, lr = check_training_args(data, lambd, "lambd", num_epochs, lr)
    X_train, y_train, _, _ = data
    generator = torch.Generator().manual_seed(seed)
    w = torch.randn(X_train.shape[1], generator=generator).requires_grad_(True)
    b = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([w, b], lr=lr)
    curves = LossCurves()
    for _ in range(num_epochs):
        for idx in minibatch_indices(len(y_train), batch_size, generator=generator):
            loss = squared_loss(X_train[idx] @ w + b, y_train[idx]).mean() + lambd * l2_penalty(w)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        _record(curves, lambda X: X @ w + b, data)
    curves.weight = w.detach()
    return curves
# --8<-- [end:train_scratch]


# --8<-- [start:train_concise]
def train_concise(
    weight_decay: float,
    data: Data,
    *,
    num_epochs: int = 100,
    lr: float = 0.003,
    batch_size: int = 5,
    seed: int = 0,
) -> LossCurves:
    """简洁实现：``nn.Linear`` 加上优化器的 ``weight_decay``，只对权重衰减、不对偏置衰减。

    初始化、小批量顺序都与 :func:`train_scratch` 相同，所以两者的结果应当一致。

    Examples:
        >>> curves = train_concise(3.0, high_dim_linear_data(), num_epochs=2)
        >>> len(curves.train_loss), curves.weight.shape
        (2, torch.Size([200]))
    """
    weight_decay, lr = check_training_args(data, weight_decay, "weight_decay", num_epochs, lr)
    X_train, y_train, _, _ = data
    generator = torch.Generator().manual_seed(seed)
    net = nn.Linear(X_train.shape[1], 1)
    with torch.no_grad():
        net.weight.copy_(torch.randn(X_train.shape[1], generator=generator))
        net.bias.zero_()
    optimizer = torch.optim.SGD(
        [
            {"params": [net.weight], "weight_decay": weight_decay},  # 权重衰减
            {"params": [net.bias]},  # 偏置不衰减（weight_decay 默认为 0）
        ],
        lr=lr,
    )
    curves = LossCurves()
    for _ in range(num_epochs):
        for idx in minibatch_indices(len(y_train), batch_size, generator=generator):
            loss = squared_loss(net(X_train[idx]).squeeze(1), y_train[idx]).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        _record(curves, lambda X: net(X).squeeze(1), data)
    curves.weight = net.weight.detach().squeeze(0)
    return curves
# --8<-- [end:train_concise]
