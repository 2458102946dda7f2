"""划分训练集、验证集和测试集：随机划分、分层划分、K 折交叉验证，以及不泄漏信息的标准化。

对应页面 ``docs/workflow/data-split.md``。划分函数只产生样本下标，用 ``torch.utils.data.Subset``
包装原数据集，不复制数据；训练和评估用
:mod:`lessons_src.linear_networks.softmax_regression` 中的 :func:`train_epoch` 和
:func:`evaluate_accuracy`。
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, Subset, TensorDataset, random_split

from lessons_src.checks import (
    require_int,
    require_module,
    require_positive,
    require_positive_int,
    require_real,
)
from lessons_src.linear_networks.softmax_regression import (
    evaluate_accuracy,
    train_epoch,
)

__all__ = [
    "cross_validate",
    "kfold_subsets",
    "split_dataset",
    "stack_samples",
    "standardize",
    "stratified_split",
    "train_and_evaluate",
    "train_statistics",
]


def check_dataset(dataset: object, name: str = "dataset") -> int:
    """确认 ``dataset`` 是可以按下标取样本、长度大于 0 的数据集，返回它的长度。"""
    if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
        raise TypeError(
            f"参数 {name} 应为可以按下标取样本的数据集（有 __len__ 和 __getitem__，例如 TensorDataset），"
            f"实际得到 {type(dataset).__name__}"
        )
    n = len(dataset)  # type: ignore[arg-type]
    if n == 0:
        raise ValueError(f"数据集 {name} 为空（长度为 0），没有可以划分的样本")
    return n


def labels_array(labels: object, n: int, name: str) -> np.ndarray:
    """把类别标签转换成长度为 ``n`` 的一维 NumPy 数组，类型或长度不对时报错。"""
    if isinstance(labels, torch.Tensor):
        array = labels.detach().cpu().numpy()
    elif isinstance(labels, (np.ndarray, Sequence)) and not isinstance(labels, (str, bytes)):
        array = np.asarray(labels)
    else:
        raise TypeError(
            f"参数 {name} 应为类别标签的张量、NumPy 数组或列表，实际得到 {type(labels).__name__}"
        )
    if array.ndim != 1 or len(array) != n:
        raise ValueError(
            f"参数 {name} 应为长度等于样本数 {n} 的一维标签，实际形状为 {array.shape}"
        )
    return array


def check_split_dataset_args(dataset: object, lengths: object, seed: object) -> list[int] | list[float]:
    """检查 :func:`split_dataset` 的参数：非空数据集；``lengths`` 全是样本数（非负整数、和为数据集长度）
    或全是比例（(0, 1] 中的小数、和为 1）；``seed`` 是非负整数。返回转换成 ``int`` 或 ``float`` 的 ``lengths``。
    """
    n = check_dataset(dataset)
    if isinstance(lengths, (str, bytes)) or not isinstance(lengths, Sequence) or len(lengths) < 2:
        raise TypeError(f"参数 lengths 应为至少两个数的列表（样本数或比例），实际得到 {lengths!r}")
    if all(isinstance(x, numbers.Integral) and not isinstance(x, bool) for x in lengths):
        counts = [int(x) for x in lengths]
        if min(counts) < 0 or sum(counts) != n:
            raise ValueError(
                f"lengths 中的样本数应为非负整数且总和等于数据集长度 {n}，实际为 {counts}（和为 {sum(counts)}）"
            )
        checked: list[int] | list[float] = counts
    elif all(isinstance(x, float) for x in lengths):
        fractions = [float(x) for x in lengths]
        if not all(0 < x <= 1 for x in fractions) or not math.isclose(sum(fractions), 1.0, abs_tol=1e-9):
            raise ValueError(
                f"lengths 中的比例应在 (0, 1] 之间且总和为 1，实际为 {fractions}（和为 {sum(fractions)}）"
            )
        checked = fractions
    else:
        raise TypeError(f"lengths 应全部是整数（样本数）或全部是小数（比例），不能混用，实际为 {list(lengths)!r}")
    require_int(seed, "seed", minimum=0)
    return checked


# --8<-- [start:split_dataset]
def split_dataset(dataset: Dataset, lengths: Sequence[int | float], *, seed: int) -> list[Subset]:
    """用固定种子的随机数生成器把数据集随机划分成几个互不重叠的 ``Subset``。

    ``lengths`` 可以是各部分的样本数（整数，和等于数据集长度），也可以是各部分的比例
    （(0, 1] 中的小数，和为 1；除不尽的余数由 ``random_split`` 从第一部分起每部分加 1）。

    Args:
        dataset: 要划分的数据集。
        lengths: 各部分的样本数或比例。
        seed: 随机种子；种子相同，划分就相同。

    Examples:
        >>> dataset = TensorDataset(torch.arange(10))
        >>> train, valid = split_dataset(dataset, [0.8, 0.2], seed=0)
        >>> len(train), len(valid)
        (8, 2)
        >>> sorted(train.indices + valid.indices) == list(range(10))
        True
    """
    lengths = check_split_dataset_args(dataset, lengths, seed)
    return random_split(dataset, lengths, generator=torch.Generator().manual_seed(seed))
# --8<-- [end:split_dataset]


def check_stratified_split_args(dataset: object, labels: object, test_fraction: object, seed: object) -> np.ndarray:
    """检查 :func:`stratified_split` 的参数：非空数据集、每个样本一个标签、比例在 (0, 1) 内、种子是非负整数。

    返回标签的一维 NumPy 数组。
    """
    y = labels_array(labels, check_dataset(dataset), "labels")
    require_real(test_fraction, "test_fraction", within="(0, 1)")
    require_int(seed, "seed", minimum=0)
    return y


# --8<-- [start:stratified_split]
def stratified_split(
    dataset: Dataset, labels: object, *, test_fraction: float, seed: int
) -> tuple[Subset, Subset]:
    """按类别分层地把数据集分成两部分，每个类别在两部分中所占的比例与整体相同。

    Args:
        dataset: 要划分的数据集。
        labels: 每个样本的类别（长度等于数据集长度）。
        test_fraction: 第二部分所占的比例，在 (0, 1) 之间。
        seed: 随机种子。

    Examples:
        >>> dataset = TensorDataset(torch.arange(8))
        >>> first, second = stratified_split(dataset, [0, 0, 0, 0, 1, 1, 1, 1], test_fraction=0.5, seed=0)
        >>> sorted(i // 4 for i in second.indices)   # 两个类别各 2 个
        [0, 0, 1, 1]
    """
    from sklearn.model_selection import train_test_split

    y = check_stratified_split_args(dataset, labels, test_fraction, seed)
    indices = np.arange(len(dataset))
    first, second = train_test_split(indices, test_size=test_fraction, random_state=seed, stratify=y)
    return Subset(dataset, first.tolist()), Subset(dataset, second.tolist())
# --8<-- [end:stratified_split]


def check_kfold_subsets_args(dataset: object, k: object, seed: object, stratify: object) -> np.ndarray | None:
    """检查 :func:`kfold_subsets` 的参数：非空数据集；``2 <= k <= 样本数``；种子是非负整数；
    给出 ``stratify`` 时每个样本一个标签，且每个类别至少有 ``k`` 个样本（每一折都要分到它）。

    返回标签的一维 NumPy 数组（``stratify`` 为 ``None`` 时返回 ``None``）。
    """
    n = check_dataset(dataset)
    require_int(k, "k", minimum=2)
    if k > n:
        raise ValueError(f"折数 k={k} 不能超过样本数 {n}：每一折至少要有一个验证样本")
    require_int(seed, "seed", minimum=0)
    if stratify is None:
        return None
    y = labels_array(stratify, n, "stratify")
    _, counts = np.unique(y, return_counts=True)
    if counts.min() < k:
        raise ValueError(f"分层 K 折要求每个类别至少有 k={k} 个样本，最少的类别只有 {counts.min()} 个")
    return y


# --8<-- [start:kfold_subsets]
def kfold_subsets(
    dataset: Dataset, k: int, *, seed: int, stratify: object | None = None
) -> list[tuple[Subset, Subset]]:
    """K 折交叉验证：先打乱，再把样本分成 ``k`` 份，返回 ``k`` 对 ``(训练部分, 验证部分)``。

    第 i 对以第 i 份为验证部分、其余 k-1 份为训练部分；每个样本恰好在一个验证部分中出现一次。
    给出 ``stratify``（每个样本的类别）时用 ``StratifiedKFold``，每一折的类别比例与整体一致。

    Args:
        dataset: 要划分的数据集。
        k: 折数，至少为 2，不超过样本数。
        seed: 打乱用的随机种子。
        stratify: 每个样本的类别；``None`` 时用不分层的 ``KFold``。

    Examples:
        >>> folds = kfold_subsets(TensorDataset(torch.arange(10)), 5, seed=0)
        >>> [(len(train), len(valid)) for train, valid in folds]
        [(8, 2), (8, 2), (8, 2), (8, 2), (8, 2)]
        >>> sorted(i for _, valid in folds for i in valid.indices) == list(range(10))
        True
    """
    from sklearn.model_selection import KFold, StratifiedKFold

    y = check_kfold_subsets_args(dataset, k, seed, stratify)
    n = len(dataset)
    if y is None:
        splits = KFold(n_splits=k, shuffle=True, random_state=seed).split(np.arange(n))
    else:
        splits = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(np.zeros(n), y)
    return [(Subset(dataset, train.tolist()), Subset(dataset, valid.tolist())) for train, valid in splits]
# --8<-- [end:kfold_subsets]


def check_standardize_args(mean: object, std: object) -> tuple[float, float]:
    """检查 :func:`standardize` 的参数：``mean`` 是有限实数、``std`` 是正数；返回 ``(mean, std)``。"""
    return require_real(mean, "mean"), require_positive(std, "std")


def stack_samples(dataset: Dataset) -> tuple[torch.Tensor, torch.Tensor]:
    """把数据集中的 ``(X, y)`` 样本逐个取出，堆叠成两个张量；数据集为空或样本不是二元组时报错。

    Examples:
        >>> X, y = stack_samples(TensorDataset(torch.zeros(3, 2), torch.tensor([0, 1, 0])))
        >>> X.shape, y.tolist()
        (torch.Size([3, 2]), [0, 1, 0])
    """
    n = check_dataset(dataset)
    samples = [dataset[i] for i in range(n)]  # type: ignore[index]
    if not all(isinstance(s, (tuple, list)) and len(s) == 2 and isinstance(s[0], torch.Tensor) for s in samples):
        raise TypeError("数据集的每个样本应为 (特征张量, 标签) 二元组")
    return torch.stack([x for x, _ in samples]), torch.stack([torch.as_tensor(y) for _, y in samples])


# --8<-- [start:standardize]
def train_statistics(train_set: Dataset) -> tuple[float, float]:
    """训练部分所有特征值的均值和标准差（标准化只能用训练部分的统计量）。

    Examples:
        >>> train_statistics(TensorDataset(torch.tensor([[0.0], [2.0]]), torch.tensor([0, 1])))
        (1.0, 1.4142135381698608)
    """
    X, _ = stack_samples(train_set)  # 数据集为空或样本不是 (X, y) 时报错
    return X.float().mean().item(), X.float().std().item()


def standardize(dataset: Dataset, mean: float, std: float) -> TensorDataset:
    """返回 ``(X - mean) / std`` 之后的新数据集（标签不变）；``mean`` 和 ``std`` 应来自训练部分。

    Examples:
        >>> data = standardize(TensorDataset(torch.tensor([[0.0], [2.0]]), torch.tensor([0, 1])), 1.0, 2.0)
        >>> data.tensors[0].flatten().tolist()
        [-0.5, 0.5]
    """
    mean, std = check_standardize_args(mean, std)
    X, y = stack_samples(dataset)
    return TensorDataset((X.float() - mean) / std, y)
# --8<-- [end:standardize]


def check_train_and_evaluate_args(model: object, num_epochs: object, batch_size: object, lr: object) -> None:
    """检查 :func:`train_and_evaluate` 的参数：``make_model()`` 返回的是模型，轮数和批量大小是正整数，学习率非负。"""
    require_module(model, "make_model()")
    require_positive_int(num_epochs, "num_epochs")
    require_positive_int(batch_size, "batch_size")
    require_real(lr, "lr", minimum=0.0)


def check_cross_validate_args(make_model: object) -> None:
    """确认 ``make_model`` 是创建新模型的函数，而不是一个（会在各折之间共用的）模型。"""
    if isinstance(make_model, nn.Module) or not callable(make_model):
        raise TypeError(
            f"参数 make_model 应为每次返回一个新模型的函数（例如 lambda: nn.Linear(64, 10)），"
            f"实际得到 {type(make_model).__name__}；每一折都要从未训练的新模型开始"
        )


# --8<-- [start:cross_validate]
def train_and_evaluate(
    train_part: Dataset,
    eval_part: Dataset,
    make_model: Callable[[], nn.Module],
    *,
    seed: int,
    num_epochs: int = 5,
    batch_size: int = 64,
    lr: float = 0.01,
) -> float:
    """用训练部分的统计量标准化两部分，在训练部分上训练一个新模型（Adam），返回它在评估部分上的准确率。

    ``make_model()`` 每次调用都应返回一个新的、未训练的模型；``seed`` 固定训练集的打乱顺序。
    """
    model = make_model()
    check_train_and_evaluate_args(model, num_epochs, batch_size, lr)
    mean, std = train_statistics(train_part)          # 只看训练部分
    train_set = standardize(train_part, mean, std)
    eval_set = standardize(eval_part, mean, std)      # 评估部分用同样的 mean、std
    train_iter = DataLoader(train_set, batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed))
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(num_epochs):
        train_epoch(model, train_iter, loss_fn, optimizer)
    return evaluate_accuracy(model, DataLoader(eval_set, batch_size))


def cross_validate(
    dataset: Dataset,
    k: int,
    make_model: Callable[[], nn.Module],
    *,
    seed: int,
    stratify: object | None = None,
    **train_kwargs: object,
) -> list[float]:
    """K 折交叉验证：每一折训练一个新模型，返回 ``k`` 个验证准确率。

    ``train_kwargs``（``num_epochs``、``batch_size``、``lr``）传给 :func:`train_and_evaluate`。
    """
    check_cross_validate_args(make_model)
    folds = kfold_subsets(dataset, k, seed=seed, stratify=stratify)
    return [
        train_and_evaluate(train_part, valid_part, make_model, seed=seed + fold, **train_kwargs)
        for fold, (train_part, valid_part) in enumerate(folds)
    ]
# --8<-- [end:cross_validate]
