"""线性回归的简洁实现：用 ``DataLoader`` 读数据，用 ``nn.Linear``、``nn.MSELoss`` 和 ``torch.optim.SGD`` 训练。

对应页面 ``docs/linear-networks/linear-regression-concise.md``。
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from lessons_src.checks import require_positive_int, require_tensor

__all__ = ["load_array", "train_regression"]


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
    if isinstance(data_arrays, torch.Tensor) or not isinstance(data_arrays, Sequence) or len(data_arrays) == 0:
        raise TypeError("参数 data_arrays 应为由张量组成的非空元组，如 (features, labels)")
    for index, array in enumerate(data_arrays):
        require_tensor(array, f"data_arrays[{index}]")
    sizes = [len(array) for array in data_arrays]
    if len(set(sizes)) != 1:
        raise ValueError(f"data_arrays 中各张量的第一维（样本数）应相同，实际为 {sizes}")
    require_positive_int(batch_size, "batch_size")
    if not isinstance(is_train, bool):
        raise TypeError(f"参数 is_train 应为 bool，实际得到 {type(is_train).__name__}")
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"参数 generator 应为 torch.Generator 或 None，实际得到 {type(generator).__name__}")
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
    if not isinstance(net, nn.Module):
        raise TypeError(f"参数 net 应为 nn.Module，实际得到 {type(net).__name__}")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"参数 optimizer 应为 torch.optim.Optimizer，实际得到 {type(optimizer).__name__}")
    require_positive_int(num_epochs, "num_epochs")
    require_tensor(features, "features", floating=True)
    require_tensor(labels, "labels", floating=True)
    losses = []
    for _ in range(num_epochs):
        for X, y in data_iter:
            loss = loss_fn(net(X), y)
            if loss.dim() != 0:
                raise ValueError(f"loss_fn 应返回标量，实际返回了形状为 {tuple(loss.shape)} 的张量")
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            losses.append(loss_fn(net(features), labels).item())
    return losses
# --8<-- [end:train_regression]
