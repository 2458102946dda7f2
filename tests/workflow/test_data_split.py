"""lessons_src/workflow/data_split.py 的测试；页面见 docs/workflow/data-split.md。"""

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import Subset, TensorDataset

from lessons_src.workflow.data_split import (
    cross_validate,
    kfold_subsets,
    split_dataset,
    stack_samples,
    standardize,
    stratified_split,
    train_and_evaluate,
    train_statistics,
)


def _dataset(n: int = 20, num_classes: int = 2) -> TensorDataset:
    X = torch.arange(n * 3, dtype=torch.float32).reshape(n, 3)
    return TensorDataset(X, torch.arange(n) % num_classes)


def _indices(parts) -> list[set[int]]:
    return [set(part.indices) for part in parts]


# ----- split_dataset -----


@pytest.mark.parametrize("lengths", [[0.7, 0.15, 0.15], [0.5, 0.5], [14, 3, 3], [20, 0]])
def test_split_dataset_parts_are_disjoint_and_cover_everything(lengths):
    parts = split_dataset(_dataset(), lengths, seed=0)
    assert len(parts) == len(lengths)
    sets = _indices(parts)
    assert sum(len(s) for s in sets) == 20
    assert set().union(*sets) == set(range(20))
    assert all(isinstance(part, Subset) for part in parts)


def test_split_dataset_fraction_lengths_follow_random_split_rounding():
    parts = split_dataset(TensorDataset(torch.arange(1797)), [0.7, 0.15, 0.15], seed=0)
    assert [len(part) for part in parts] == [1258, 270, 269]


def test_split_dataset_is_reproducible_and_ignores_global_rng():
    dataset = _dataset(100)
    first = split_dataset(dataset, [0.8, 0.2], seed=3)
    torch.rand(50)  # 消耗全局随机数不影响划分
    second = split_dataset(dataset, [0.8, 0.2], seed=3)
    other = split_dataset(dataset, [0.8, 0.2], seed=4)
    assert first[1].indices == second[1].indices
    assert first[1].indices != other[1].indices


def test_split_dataset_accepts_numpy_integers():
    parts = split_dataset(_dataset(), [np.int64(15), np.int64(5)], seed=0)
    assert [len(p) for p in parts] == [15, 5]


@pytest.mark.parametrize(
    ("lengths", "error", "match"),
    [
        ([0.7, 0.2], ValueError, "总和为 1"),
        ([1.2, -0.2], ValueError, r"\(0, 1\]"),
        ([10, 5], ValueError, "总和等于数据集长度 20"),
        ([25, -5], ValueError, "非负整数"),
        ([10, 0.5], TypeError, "不能混用"),
        ([True, False], TypeError, "不能混用"),
        ([20], TypeError, "至少两个数"),
        ("ab", TypeError, "至少两个数"),
    ],
)
def test_split_dataset_bad_lengths(lengths, error, match):
    with pytest.raises(error, match=match):
        split_dataset(_dataset(), lengths, seed=0)


def test_split_dataset_bad_dataset_and_seed():
    with pytest.raises(ValueError, match="为空"):
        split_dataset(TensorDataset(torch.zeros(0, 2)), [0.5, 0.5], seed=0)
    with pytest.raises(TypeError, match="__len__ 和 __getitem__"):
        split_dataset(iter(range(5)), [0.5, 0.5], seed=0)
    with pytest.raises(ValueError, match="seed"):
        split_dataset(_dataset(), [0.5, 0.5], seed=-1)
    with pytest.raises(TypeError, match="seed"):
        split_dataset(_dataset(), [0.5, 0.5], seed=0.5)


# ----- stratified_split -----


def test_stratified_split_keeps_class_proportions():
    labels = torch.tensor([0] * 40 + [1] * 10)
    dataset = TensorDataset(torch.zeros(50, 1), labels)
    first, second = stratified_split(dataset, labels, test_fraction=0.2, seed=0)
    assert len(first) == 40 and len(second) == 10
    assert torch.bincount(labels[second.indices]).tolist() == [8, 2]
    assert set(first.indices).isdisjoint(second.indices)
    assert set(first.indices) | set(second.indices) == set(range(50))


@pytest.mark.parametrize("labels", [[0, 1] * 10, np.array([0, 1] * 10), torch.tensor([0, 1] * 10)])
def test_stratified_split_accepts_list_array_and_tensor(labels):
    first, second = stratified_split(_dataset(), labels, test_fraction=0.5, seed=1)
    assert len(first) == len(second) == 10


def test_stratified_split_bad_input():
    with pytest.raises(ValueError, match="长度等于样本数 20"):
        stratified_split(_dataset(), [0, 1] * 5, test_fraction=0.5, seed=0)
    with pytest.raises(ValueError, match="一维"):
        stratified_split(_dataset(), torch.zeros(20, 2), test_fraction=0.5, seed=0)
    with pytest.raises(TypeError, match="类别标签"):
        stratified_split(_dataset(), 3, test_fraction=0.5, seed=0)
    with pytest.raises(ValueError, match=r"\(0, 1\)"):
        stratified_split(_dataset(), [0, 1] * 10, test_fraction=1.0, seed=0)
    with pytest.raises(ValueError, match="为空"):
        stratified_split(TensorDataset(torch.zeros(0)), [], test_fraction=0.5, seed=0)


# ----- kfold_subsets -----


@pytest.mark.parametrize(("n", "k"), [(10, 2), (11, 3), (20, 5), (7, 7)])
def test_kfold_validation_parts_partition_the_data(n, k):
    folds = kfold_subsets(_dataset(n), k, seed=0)
    assert len(folds) == k
    valid = [i for _, v in folds for i in v.indices]
    assert sorted(valid) == list(range(n))
    for train, v in folds:
        assert set(train.indices).isdisjoint(v.indices)
        assert len(train) + len(v) == n
    assert sorted(len(v) for _, v in folds) == sorted([n // k + (i < n % k) for i in range(k)])


def test_kfold_shuffles_and_is_reproducible():
    dataset = _dataset(20)
    first = kfold_subsets(dataset, 4, seed=0)
    again = kfold_subsets(dataset, 4, seed=0)
    other = kfold_subsets(dataset, 4, seed=1)
    assert [v.indices for _, v in first] == [v.indices for _, v in again]
    assert [v.indices for _, v in first] != [v.indices for _, v in other]
    assert first[0][1].indices != list(range(5))  # 先打乱，不是按顺序切块


def test_stratified_kfold_balances_classes():
    labels = torch.tensor([0] * 30 + [1] * 10)
    dataset = TensorDataset(torch.zeros(40, 1), labels)
    for _, valid in kfold_subsets(dataset, 5, seed=0, stratify=labels):
        assert torch.bincount(labels[valid.indices]).tolist() == [6, 2]


def test_kfold_bad_input():
    dataset = _dataset(6)
    with pytest.raises(ValueError, match="不小于 2"):
        kfold_subsets(dataset, 1, seed=0)
    with pytest.raises(ValueError, match="不能超过样本数 6"):
        kfold_subsets(dataset, 7, seed=0)
    with pytest.raises(TypeError, match="整数"):
        kfold_subsets(dataset, 2.0, seed=0)
    with pytest.raises(ValueError, match="为空"):
        kfold_subsets(TensorDataset(torch.zeros(0)), 2, seed=0)
    with pytest.raises(ValueError, match="长度等于样本数 6"):
        kfold_subsets(dataset, 2, seed=0, stratify=[0, 1, 0])
    with pytest.raises(ValueError, match="每个类别至少有 k=3 个样本"):
        kfold_subsets(dataset, 3, seed=0, stratify=[0, 0, 0, 0, 1, 1])


# ----- standardize -----


def test_train_statistics_and_standardize():
    train = TensorDataset(torch.tensor([[1.0, 3.0], [5.0, 7.0]]), torch.tensor([0, 1]))
    mean, std = train_statistics(train)
    assert mean == pytest.approx(4.0)
    assert std == pytest.approx(torch.tensor([1.0, 3.0, 5.0, 7.0]).std().item())
    standardized = standardize(train, mean, std)
    X, y = standardized.tensors
    assert X.mean().item() == pytest.approx(0.0, abs=1e-6)
    assert X.std().item() == pytest.approx(1.0)
    assert torch.equal(y, torch.tensor([0, 1]))


def test_statistics_come_from_the_training_part_only():
    dataset = TensorDataset(torch.tensor([[0.0], [2.0], [100.0]]), torch.tensor([0, 1, 0]))
    train, valid = Subset(dataset, [0, 1]), Subset(dataset, [2])
    mean, std = train_statistics(train)
    assert mean == pytest.approx(1.0)
    assert standardize(valid, mean, std).tensors[0].item() == pytest.approx(99 / std)


def test_stack_samples_stacks_features_and_labels():
    X, y = stack_samples(_dataset(5))
    assert torch.equal(X, _dataset(5).tensors[0]) and y.tolist() == [0, 1, 0, 1, 0]
    with pytest.raises(TypeError, match="__len__ 和 __getitem__"):
        stack_samples(3)


def test_standardize_bad_input():
    dataset = _dataset(4)
    with pytest.raises(ValueError, match="std 应为正数"):
        standardize(dataset, 0.0, 0.0)
    with pytest.raises(TypeError, match="mean"):
        standardize(dataset, "0", 1.0)
    with pytest.raises(TypeError, match="二元组"):
        train_statistics(TensorDataset(torch.zeros(3, 2)))
    with pytest.raises(ValueError, match="为空"):
        train_statistics(TensorDataset(torch.zeros(0, 2), torch.zeros(0)))


# ----- train_and_evaluate / cross_validate -----


def _separable(n: int = 60) -> tuple[TensorDataset, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    y = torch.arange(n) % 2
    X = torch.randn(n, 2, generator=generator) * 0.3 + (2.0 * y - 1.0).unsqueeze(1)
    return TensorDataset(X, y), y


def _make_model() -> nn.Module:
    return nn.Linear(2, 2)


def test_cross_validate_returns_one_accuracy_per_fold():
    dataset, y = _separable()
    torch.manual_seed(0)
    scores = cross_validate(dataset, 3, _make_model, seed=0, stratify=y, num_epochs=20, batch_size=8, lr=0.05)
    assert len(scores) == 3
    assert all(0.9 <= score <= 1.0 for score in scores)


def test_cross_validate_uses_a_new_model_per_fold():
    dataset, _ = _separable(12)
    created = []

    def make_model():
        created.append(nn.Linear(2, 2))
        return created[-1]

    cross_validate(dataset, 4, make_model, seed=0, num_epochs=1)
    assert len(created) == 4 and len({id(m) for m in created}) == 4


def test_train_and_evaluate_is_reproducible():
    dataset, _ = _separable()
    train, valid = Subset(dataset, range(40)), Subset(dataset, range(40, 60))
    results = []
    for _ in range(2):
        torch.manual_seed(0)
        results.append(train_and_evaluate(train, valid, _make_model, seed=0, num_epochs=3, batch_size=8))
    assert results[0] == results[1]


def test_train_and_evaluate_and_cross_validate_bad_input():
    dataset, _ = _separable(12)
    with pytest.raises(TypeError, match="make_model"):
        cross_validate(dataset, 2, nn.Linear(2, 2), seed=0)
    with pytest.raises(TypeError, match="nn.Module 的实例"):
        train_and_evaluate(dataset, dataset, lambda: "not a model", seed=0)
    with pytest.raises(ValueError, match="num_epochs"):
        train_and_evaluate(dataset, dataset, _make_model, seed=0, num_epochs=0)
    with pytest.raises(ValueError, match="lr"):
        train_and_evaluate(dataset, dataset, _make_model, seed=0, lr=-1.0)
