"""lessons_src/workflow/dataloader.py 的测试；页面见 docs/workflow/dataloader.md。"""

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch.utils.data import DataLoader, TensorDataset

from lessons_src.workflow.dataloader import (
    describe_batch,
    loader_stats,
    num_batches,
    pad_collate,
)

# ----- num_batches / loader_stats -----


@given(st.integers(1, 300), st.integers(1, 70), st.booleans())
def test_num_batches_matches_dataloader(n, b, drop_last):
    loader = DataLoader(TensorDataset(torch.arange(n)), batch_size=b, drop_last=drop_last)
    expected = n // b if drop_last else math.ceil(n / b)
    assert num_batches(n, b, drop_last=drop_last) == expected == len(loader)


@pytest.mark.parametrize(
    ("n", "b", "drop_last", "sizes"),
    [
        (10, 4, False, [4, 4, 2]),
        (10, 4, True, [4, 4]),
        (8, 4, True, [4, 4]),
        (3, 5, False, [3]),
        (1797, 64, False, [64] * 28 + [5]),
    ],
)
def test_loader_stats_counts_every_batch(n, b, drop_last, sizes):
    loader = DataLoader(TensorDataset(torch.zeros(n, 2), torch.zeros(n)), batch_size=b, drop_last=drop_last)
    assert loader_stats(loader) == (len(sizes), sizes)


def test_loader_stats_drop_last_can_leave_no_batch():
    loader = DataLoader(TensorDataset(torch.arange(3)), batch_size=5, drop_last=True)
    assert loader_stats(loader) == (0, [])


def test_loader_stats_with_plain_tensor_batches_and_custom_collate():
    assert loader_stats(DataLoader(torch.arange(7), batch_size=3)) == (3, [3, 3, 1])
    data = [(torch.ones(k), 0) for k in (1, 2, 3, 4, 5)]
    assert loader_stats(DataLoader(data, batch_size=2, collate_fn=pad_collate)) == (3, [2, 2, 1])


@pytest.mark.parametrize(
    ("args", "error", "match"),
    [
        ((10, 0), ValueError, "batch_size"),
        ((10, -3), ValueError, "batch_size"),
        ((10, 2.0), TypeError, "batch_size"),
        ((0, 4), ValueError, "num_examples"),
        ((True, 4), TypeError, "num_examples"),
    ],
)
def test_num_batches_bad_input(args, error, match):
    with pytest.raises(error, match=match):
        num_batches(*args)


def test_num_batches_drop_last_must_be_bool():
    with pytest.raises(TypeError, match="drop_last"):
        num_batches(10, 4, drop_last="yes")


def test_loader_stats_bad_input():
    with pytest.raises(ValueError, match="数据集为空"):
        loader_stats(DataLoader(TensorDataset(torch.zeros(0, 2)), batch_size=4))
    with pytest.raises(TypeError, match="DataLoader"):
        loader_stats([torch.zeros(2)])


# ----- shuffle: 页面上讲的性质 -----


def test_shuffle_with_generator_is_reproducible_and_changes_every_epoch():
    def epochs(seed):
        loader = DataLoader(
            TensorDataset(torch.arange(20)), batch_size=6, shuffle=True, generator=torch.Generator().manual_seed(seed)
        )
        return [torch.cat([b for (b,) in loader]).tolist() for _ in range(3)]

    first = epochs(0)
    torch.rand(10)
    assert first == epochs(0)
    assert first[0] != first[1] != first[2]
    assert all(sorted(order) == list(range(20)) for order in first)
    assert first != epochs(1)


# ----- describe_batch -----


def test_describe_batch_on_digits_like_batch():
    X = torch.rand(8, 1, 4, 4)
    y = torch.tensor([3, 1, 3, 0, 1, 3, 9, 0])
    summary = describe_batch(X, y)
    assert summary["shape"] == (8, 1, 4, 4)
    assert summary["dtype"] == torch.float32
    assert summary["min"] == pytest.approx(X.min().item()) and summary["max"] == pytest.approx(X.max().item())
    assert summary["label_counts"] == {0: 2, 1: 2, 3: 3, 9: 1}
    assert list(summary["label_counts"]) == sorted(summary["label_counts"])


@pytest.mark.parametrize(
    ("X", "y", "error", "match"),
    [
        ([1.0], torch.tensor([0]), TypeError, "X"),
        (torch.zeros(2, 3), [0, 1], TypeError, "y"),
        (torch.zeros(2, 3), torch.tensor([0.0, 1.0]), ValueError, "整数类别标签"),
        (torch.zeros(2, 3), torch.zeros(2, 1, dtype=torch.int64), ValueError, "一维"),
        (torch.zeros(3, 3), torch.tensor([0, 1]), ValueError, "批量大小"),
        (torch.tensor(1.0), torch.tensor([0]), ValueError, "批量大小"),
        (torch.zeros(0, 3), torch.zeros(0, dtype=torch.int64), ValueError, "为空"),
    ],
)
def test_describe_batch_bad_input(X, y, error, match):
    with pytest.raises(error, match=match):
        describe_batch(X, y)


# ----- pad_collate -----


def test_pad_collate_pads_and_keeps_lengths():
    batch = [(torch.tensor([5, 3, 8]), 0), (torch.tensor([2]), 1), (torch.tensor([7, 7]), 1)]
    padded, lengths, labels = pad_collate(batch)
    assert padded.tolist() == [[5, 3, 8], [2, 0, 0], [7, 7, 0]]
    assert lengths.tolist() == [3, 1, 2] and labels.tolist() == [0, 1, 1]
    for row, length, (sequence, _) in zip(padded, lengths, batch):
        assert torch.equal(row[:length], sequence)


def test_pad_collate_inside_a_dataloader():
    data = [(torch.arange(k), k % 2) for k in range(1, 8)]
    batches = list(DataLoader(data, batch_size=3, collate_fn=pad_collate))
    assert [b[0].shape for b in batches] == [(3, 3), (3, 6), (1, 7)]


@pytest.mark.parametrize(
    ("batch", "error", "match"),
    [
        ([], ValueError, "非空"),
        ([torch.zeros(3)], TypeError, "二元组"),
        ([(torch.zeros(2, 2), 0)], ValueError, "一维"),
        ([([1, 2], 0)], TypeError, "二元组"),
    ],
)
def test_pad_collate_bad_input(batch, error, match):
    with pytest.raises(error, match=match):
        pad_collate(batch)
