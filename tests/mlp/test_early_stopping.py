"""lessons_src/mlp/early_stopping.py 的测试；页面见 docs/mlp/early-stopping.md。"""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from lessons_src.linear_networks.softmax_regression import History, evaluate_accuracy
from lessons_src.mlp.early_stopping import (
    EarlyStopping,
    corrupt_labels,
    evaluate_loss,
    fit_early_stopping,
    plot_early_stopping,
)


def _toy_data(n=64, seed=0):
    generator = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 4, generator=generator)
    y = (X[:, 0] > 0).long()
    return DataLoader(TensorDataset(X, y), batch_size=16)


# ----- corrupt_labels -----


@settings(max_examples=30, deadline=None)
@given(n=st.integers(0, 200), fraction=st.floats(0, 1), num_classes=st.integers(2, 12), seed=st.integers(0, 99))
def test_corrupt_labels_changes_exactly_the_requested_number(n, fraction, num_classes, seed):
    y = torch.randint(0, num_classes, (n,), generator=torch.Generator().manual_seed(seed))
    original = y.clone()
    noisy = corrupt_labels(y, fraction, num_classes, seed=seed)
    assert torch.equal(y, original)  # 不修改输入
    assert int((noisy != y).sum()) == round(fraction * n)
    assert noisy.dtype == torch.int64 and noisy.shape == y.shape
    if n:
        assert 0 <= noisy.min() and noisy.max() < num_classes


def test_corrupt_labels_is_reproducible():
    y = torch.arange(100) % 10
    assert torch.equal(corrupt_labels(y, 0.3, 10, seed=1), corrupt_labels(y, 0.3, 10, seed=1))
    assert not torch.equal(corrupt_labels(y, 0.3, 10, seed=1), corrupt_labels(y, 0.3, 10, seed=2))


# ----- evaluate_loss -----


def test_evaluate_loss_is_the_per_sample_mean_and_restores_the_mode():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 2), nn.Dropout(0.5))
    data = DataLoader(TensorDataset(torch.randn(50, 4), torch.randint(0, 2, (50,))), batch_size=16)  # 末批 2 个
    X, y = data.dataset.tensors
    model.eval()
    expected = nn.functional.cross_entropy(model(X), y).item()
    model.train()
    assert evaluate_loss(model, data, nn.CrossEntropyLoss()) == pytest.approx(expected, rel=1e-6)
    assert model.training


def test_evaluate_loss_restores_the_mode_even_when_the_loss_fails():
    # 这个函数以前没有 try/finally：损失函数出错时，模型会一直停在评估模式
    model = nn.Sequential(nn.Linear(4, 2), nn.Dropout(0.5)).train()

    def broken_loss(outputs, y):
        assert not model.training and not torch.is_grad_enabled()  # 在评估模式、不记录梯度时调用
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        evaluate_loss(model, _toy_data(), broken_loss)
    assert model.training and model[1].training and torch.is_grad_enabled()


# ----- EarlyStopping -----


def test_early_stopping_counts_epochs_without_improvement():
    model = nn.Linear(2, 1)
    stopper = EarlyStopping(patience=3)
    decisions = [stopper.step(loss, model) for loss in [1.0, 0.8, 0.9, 0.7, 0.75, 0.71, 0.72]]
    assert decisions == [False, False, False, False, False, False, True]
    assert stopper.best_epoch == 4 and stopper.best_loss == 0.7


def test_min_delta_requires_a_large_enough_improvement():
    model = nn.Linear(2, 1)
    stopper = EarlyStopping(patience=2, min_delta=0.1)
    assert [stopper.step(loss, model) for loss in [1.0, 0.95, 0.92]] == [False, False, True]
    assert stopper.best_epoch == 1


def test_best_state_is_a_deep_copy_and_restore_loads_it():
    model = nn.Linear(2, 1)
    stopper = EarlyStopping(patience=5)
    stopper.step(0.5, model)
    saved = model.weight.detach().clone()
    with torch.no_grad():
        model.weight.add_(1.0)
    stopper.step(0.9, model)
    assert torch.equal(stopper.best_state["weight"], saved)
    stopper.restore(model)
    assert torch.equal(model.weight, saved)


# ----- fit_early_stopping -----


def test_fit_restores_the_best_epoch():
    torch.manual_seed(0)
    train, val = _toy_data(64, 0), _toy_data(64, 1)
    model = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 2))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    history = fit_early_stopping(model, train, val, nn.CrossEntropyLoss(), optimizer, max_epochs=40, patience=3)
    assert isinstance(history, History)
    assert list(history.metrics) == ["train_loss", "train_acc", "val_loss", "val_acc", "param_norm"]
    assert 1 <= history.best_epoch <= history.epochs <= 40
    best = history.best_epoch - 1
    assert history.val_loss[best] == min(history.val_loss)
    assert evaluate_loss(model, val, nn.CrossEntropyLoss()) == pytest.approx(history.val_loss[best], abs=1e-6)
    assert evaluate_accuracy(model, val) == history.val_acc[best]
    if history.epochs < 40:  # 提前停下时，最后 patience 轮都没有改进
        assert history.epochs - history.best_epoch == 3
    assert len(history.param_norm) == history.epochs
    expected_norm = math.sqrt(sum(float((p.detach() ** 2).sum()) for p in model.parameters()))
    assert history.param_norm[best] == pytest.approx(expected_norm, rel=1e-5)


def test_fit_runs_all_epochs_when_the_loss_keeps_improving():
    torch.manual_seed(0)
    train = _toy_data(64, 0)
    model = nn.Linear(4, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    history = fit_early_stopping(model, train, train, nn.CrossEntropyLoss(), optimizer, max_epochs=5, patience=2)
    assert history.epochs == 5 and history.best_epoch == 5


def test_plot_marks_the_best_epoch():
    history = History(train_loss=[1.0, 0.5, 0.3], train_acc=[0.5, 0.7, 0.9], val_loss=[0.9, 0.6, 0.8],
                      val_acc=[0.6, 0.8, 0.7], best_epoch=2)
    figure = plot_early_stopping(history)
    assert len(figure.axes) == 2
    assert "早停" in figure.get_label() and "第 2 轮" in figure.get_label()
    vertical = figure.axes[0].lines[-1]
    assert list(vertical.get_xdata()) == [2, 2]
    assert [line.get_label() for line in figure.axes[1].lines] == ["train acc", "validation acc", "best epoch = 2"]


def test_plot_uses_the_recorded_epoch_numbers():
    history = History(epoch=[11, 12, 13], train_loss=[1.0, 0.5, 0.3], train_acc=[0.5, 0.7, 0.9],
                      val_loss=[0.9, 0.6, 0.8], val_acc=[0.6, 0.8, 0.7], best_epoch=12)
    figure = plot_early_stopping(history)
    assert list(figure.axes[0].lines[0].get_xdata()) == [11, 12, 13]
    assert list(figure.axes[0].lines[-1].get_xdata()) == [12, 12]


# ----- 错误的输入 -----


def test_bad_corrupt_labels_arguments():
    y = torch.tensor([0, 1, 2])
    with pytest.raises(TypeError, match="参数 y 应为 torch.Tensor"):
        corrupt_labels([0, 1], 0.1, 10)
    with pytest.raises(TypeError, match="一维的 torch.int64"):
        corrupt_labels(y.float(), 0.1, 10)
    with pytest.raises(ValueError, match=r"fraction 应在 \[0, 1\] 内"):
        corrupt_labels(y, 1.5, 10)
    with pytest.raises(TypeError, match="fraction 应为实数"):
        corrupt_labels(y, "0.1", 10)
    with pytest.raises(ValueError, match="num_classes（类别数，至少 2 个才有错误的类别可换）应为不小于 2 的整数"):
        corrupt_labels(y, 0.1, 1)
    with pytest.raises(TypeError, match="num_classes（类别数.*应为整数"):
        corrupt_labels(y, 0.1, 2.0)
    with pytest.raises(ValueError, match=r"标签应在 \[0, 2\) 内"):
        corrupt_labels(y, 0.1, 2)


def test_bad_early_stopping_arguments():
    with pytest.raises(ValueError, match="patience 应为正整数，实际得到 0"):
        EarlyStopping(0)
    with pytest.raises(TypeError, match="patience 应为正整数，实际得到 float"):
        EarlyStopping(2.5)
    with pytest.raises(ValueError, match="min_delta 应不小于 0"):
        EarlyStopping(2, min_delta=-1)
    stopper = EarlyStopping(2)
    with pytest.raises(ValueError, match="请先调用 step"):
        stopper.restore(nn.Linear(1, 1))
    with pytest.raises(TypeError, match="model 应为 nn.Module"):
        stopper.step(0.5, "model")
    with pytest.raises(ValueError, match="val_loss 应为有限实数"):
        stopper.step(float("nan"), nn.Linear(1, 1))


def test_bad_fit_and_plot_arguments():
    data = _toy_data()
    model = nn.Linear(4, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="max_epochs 应为正整数"):
        fit_early_stopping(model, data, data, nn.CrossEntropyLoss(), optimizer, max_epochs=0, patience=1)
    with pytest.raises(TypeError, match="model 应为 nn.Module"):
        fit_early_stopping(None, data, data, nn.CrossEntropyLoss(), optimizer, max_epochs=1, patience=1)
    with pytest.raises(ValueError, match="没有样本"):
        evaluate_loss(model, [], nn.CrossEntropyLoss())
    with pytest.raises(TypeError, match="参数 history 应为 History"):
        plot_early_stopping({"val_loss": [1.0]})
    with pytest.raises(ValueError, match="还没有任何一轮"):
        plot_early_stopping(History())
    with pytest.raises(ValueError, match=r"缺少指标 \['val_loss', 'val_acc'\]"):
        plot_early_stopping(History(train_loss=[1.0], train_acc=[0.5], test_acc=[0.4]))
    two_epochs = {name: [1, 1] for name in ("train_loss", "train_acc", "val_loss", "val_acc")}
    with pytest.raises(ValueError, match="best_epoch 应是记录了的轮次 1 到 2 之一，实际为 0"):
        plot_early_stopping(History(**two_epochs))  # 没有选中任何一轮
