"""用 ``DataLoader`` 批量读取数据：小批量的个数、检查一个小批量、变长序列的整理函数。

对应页面 ``docs/workflow/dataloader.md``。
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch.utils.data import DataLoader

from lessons_src.checks import require_instance, require_positive_int, require_tensor

__all__ = ["describe_batch", "loader_stats", "num_batches", "pad_collate"]


def check_num_batches_args(num_examples: object, batch_size: object, drop_last: object) -> None:
    """检查 :func:`num_batches` 的参数：样本数和批量大小是正整数，``drop_last`` 是 ``bool``。"""
    require_positive_int(num_examples, "num_examples")
    require_positive_int(batch_size, "batch_size")
    require_instance(drop_last, "drop_last", bool, label="True 或 False")


def check_loader_stats_args(loader: object) -> None:
    """确认 ``loader`` 是 ``DataLoader``，而且它的数据集不为空。"""
    require_instance(loader, "loader", DataLoader, label="torch.utils.data.DataLoader")
    if len(loader.dataset) == 0:  # type: ignore[arg-type, attr-defined]
        raise ValueError("loader 的数据集为空（长度为 0），遍历它得不到任何小批量")


# --8<-- [start:num_batches]
def num_batches(num_examples: int, batch_size: int, *, drop_last: bool = False) -> int:
    """``num_examples`` 个样本按 ``batch_size`` 分批得到的小批量个数。

    不丢弃时是 ⌈n/b⌉（最后一批可能不满），``drop_last=True`` 时是 ⌊n/b⌋（丢掉不满的最后一批）。

    Examples:
        >>> num_batches(10, 4), num_batches(10, 4, drop_last=True), num_batches(8, 4, drop_last=True)
        (3, 2, 2)
    """
    check_num_batches_args(num_examples, batch_size, drop_last)
    return num_examples // batch_size if drop_last else math.ceil(num_examples / batch_size)


def loader_stats(loader: DataLoader) -> tuple[int, list[int]]:
    """遍历一遍 ``loader``，返回 ``(小批量个数, 每个小批量的样本数)``。

    Examples:
        >>> from torch.utils.data import TensorDataset
        >>> loader_stats(DataLoader(TensorDataset(torch.arange(10)), batch_size=4))
        (3, [4, 4, 2])
    """
    check_loader_stats_args(loader)
    sizes = []
    for batch in loader:
        first = batch[0] if isinstance(batch, (tuple, list)) else batch
        sizes.append(len(first))
    return len(sizes), sizes
# --8<-- [end:num_batches]


def check_describe_batch_args(X: object, y: object) -> None:
    """检查 :func:`describe_batch` 的参数：``X`` 是张量，``y`` 是整数类别标签的一维张量，
    两者的批量大小相同且不为 0。
    """
    require_tensor(X, "X")
    require_tensor(y, "y")
    if y.dim() != 1 or y.is_floating_point() or y.is_complex():
        raise ValueError(f"y 应为整数类别标签组成的一维张量，实际形状为 {tuple(y.shape)}、dtype 为 {y.dtype}")
    if X.dim() == 0 or len(X) != len(y):
        raise ValueError(f"X 的第一维（批量大小）应与 y 的长度相同，实际形状为 {tuple(X.shape)} 和 {tuple(y.shape)}")
    if len(y) == 0:
        raise ValueError("小批量为空（批量大小为 0）")


# --8<-- [start:describe_batch]
def describe_batch(X: torch.Tensor, y: torch.Tensor) -> dict[str, object]:
    """一个小批量的概况：特征的形状、类型和取值范围，以及每个类别的样本数。

    Examples:
        >>> describe_batch(torch.tensor([[0.0, 0.5], [1.0, 0.25]]), torch.tensor([3, 1]))
        {'shape': (2, 2), 'dtype': torch.float32, 'min': 0.0, 'max': 1.0, 'label_counts': {1: 1, 3: 1}}
    """
    check_describe_batch_args(X, y)
    labels, counts = torch.unique(y, return_counts=True)
    return {
        "shape": tuple(X.shape),
        "dtype": X.dtype,
        "min": X.min().item(),
        "max": X.max().item(),
        "label_counts": dict(zip(labels.tolist(), counts.tolist())),
    }
# --8<-- [end:describe_batch]


def check_pad_collate_args(batch: object) -> None:
    """确认 ``batch`` 是非空的样本列表，每个样本是 ``(一维序列张量, 标签)`` 二元组。"""
    if not isinstance(batch, Sequence) or len(batch) == 0:
        raise ValueError("batch 应为非空的样本列表，每个样本是 (一维序列张量, 标签)")
    for sample in batch:
        if not (isinstance(sample, (tuple, list)) and len(sample) == 2 and isinstance(sample[0], torch.Tensor)):
            raise TypeError(f"每个样本应为 (一维序列张量, 标签) 二元组，实际得到 {type(sample).__name__}")
        if sample[0].dim() != 1:
            raise ValueError(f"序列应为一维张量，实际形状为 {tuple(sample[0].shape)}")


# --8<-- [start:pad_collate]
def pad_collate(batch: Sequence[tuple[torch.Tensor, int]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """把长度不同的一维序列补零到同样长，返回 ``(补齐的序列, 原长度, 标签)``。

    用作 ``DataLoader(..., collate_fn=pad_collate)``：``batch`` 是 ``batch_size`` 个
    ``(序列, 标签)`` 样本组成的列表。

    Examples:
        >>> padded, lengths, labels = pad_collate([(torch.tensor([1, 2, 3]), 0), (torch.tensor([4]), 1)])
        >>> padded
        tensor([[1, 2, 3],
                [4, 0, 0]])
        >>> lengths, labels
        (tensor([3, 1]), tensor([0, 1]))
    """
    check_pad_collate_args(batch)
    sequences = [sequence for sequence, _ in batch]
    labels = [label for _, label in batch]
    lengths = torch.tensor([len(s) for s in sequences])
    padded = torch.nn.utils.rnn.pad_sequence(sequences, batch_first=True, padding_value=0)
    return padded, lengths, torch.tensor(labels)
# --8<-- [end:pad_collate]
