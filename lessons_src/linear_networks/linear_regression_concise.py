"""线性回归的简洁实现：用 ``DataLoader`` 读数据，用 ``nn.Linear``、``nn.MSELoss`` 和 ``torch.optim.SGD`` 训练。

对应页面 ``docs/linear-networks/linear-regression-concise.md``。
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from lessons_src.checks import require_instance, require_module, require_positive_int, require_tensor

__all__ = ["load_array", "train_regression"]


def check_load_array_args(data_arrays: object, batch_size: object, is_train: object, generator: object) -> None:
    """检查 :func:`load_array` 的参数：``data_arrays`` 是第一维（样本数）相同的张量组成的非空元组，
    ``batch_size`` 是正整数，``is_train`` 是 ``bool``，``generator`` 是 ``torch.Generator`` 或 ``None``。"""
    if isinstance(data_arrays, torch.Tensor) or not isinstance(data_arrays, Sequence) or len(data_arrays) == 0:
        raise TypeError("参数 data_arrays 应为由张量组成的非空元组，如 (features, labels)")
    for index, array in enumerate(data_arrays):
        require_tensor(array, f"data_arrays[{index}]")
    sizes = [len(array) for array in data_arrays]
    if len(set(sizes)) != 1:
        raise ValueError(f"data_arrays 中各张量的第一维（样本数）应相同，实际为 {sizes}")
    require_positive_int(batch_size, "batch_size")
    require_instance(is_train, "is_train", bool)
    if generator is not None:
        require_instance(generator, "generator", torch.Generator, label="torch.Generator 或 None")


def check_train_regression_args(
    net: object, loss_fn: Callable, optimizer: object, num_epochs: object, features: object, labels: object
) -> None:
    """检查 :func:`train_regression` 的参数，并在全部数据上试算一次损失，确认 ``loss_fn`` 返回标量：
    这样出错时一步也还没有训练。"""
    require_module(net, "net")
    require_instance(optimizer, "optimizer", torch.optim.Optimizer)
    require_positive_int(num_epochs, "num_epochs")
    require_tensor(features, "features", floating=True)
    require_tensor(labels, "labels", floating=True)
    with torch.no_grad():
        loss = loss_fn(net(features), labels)
    if not isinstance(loss, torch.Tensor) or loss.dim() != 0:
        shape = tuple(loss.shape) if isinstance(loss, torch.Tensor) else type(loss).__name__
        raise ValueError(f"loss_fn 应返回标量（小批量上的平均损失），实际返回了 {shape}；可以在末尾加 .mean()")


# --8<-- [start:load_array]
def load_array(
    data_arrays: Sequence[torch.Tensor],
    batch_size: int,
    is_train: bool = True,
    *,
    generator: torch.Generator | None = None,
) -> DataLoader:
    """把若干个第一维相同的张量包装成 ``TensorDataset``，再交给 ``DataLoader`` 按小批量读取。

    Args:
        data_arrays: 例如 ``(features, labels)``。
        batch_size: 小批量大小。
        is_train: 为 ``True`` 时每一轮重新打乱样本顺序（训练用），否则按原顺序读取（评估用）。
        generator: 打乱用的随机数生成器；``None`` 时用 PyTorch 的全局随机数状态。

    Examples:
        >>> loader = load_array((torch.zeros(10, 2), torch.zeros(10, 1)), batch_size=4)
        >>> [len(y) for _, y in loader]
        [4, 4, 2]
    """
    check_load_array_args(data_arrays, batch_size, is_train, generator)
    dataset = TensorDataset(*data_arrays)
    return DataLoader(dataset, batch_size=batch_size, shuffle=is_train, generator=generator)
# --8<-- [end:load_array]


# --8<-- [start:train_regression]
def train_regression(
    net: nn.Module,
    data_iter: Iterable[tuple[torch.Tensor, torch.Tensor]],
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    num_epochs: int,
    features: torch.Tensor,
    labels: torch.Tensor,
) -> list[float]:
    """训练 ``num_epochs`` 轮；每轮结束后在全部数据上计算一次损失，返回逐轮的损失。

    每个小批量都是同样的四步：前向计算损失、清零梯度、反向传播、更新参数。

    Examples:
        >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
        <torch._C.Generator object at ...>
        >>> X = torch.randn(100, 2)
        >>> y = X @ torch.tensor([[2.0], [-1.0]]) + 0.5
        >>> net = nn.Linear(2, 1)
        >>> losses = train_regression(net, load_array((X, y), 10), nn.MSELoss(),
        ...                           torch.optim.SGD(net.parameters(), lr=0.1), 5, X, y)
        >>> len(losses), losses[-1] < 1e-4
        (5, True)
    """
    check_train_regression_args(net, loss_fn, optimizer, num_epochs, features, labels)
    losses = []
    for _ in range(num_epochs):
        for X, y in data_iter:
            loss = loss_fn(net(X), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            losses.append(loss_fn(net(features), labels).item())
    return losses
# --8<-- [end:train_regression]
