"""lessons_src/mlp/model_selection.py 的测试；页面见 docs/mlp/model-selection.md。"""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.model_selection import KFold

from lessons_src.mlp.model_selection import (
    LossCurves,
    cross_validation_loss,
    fit_least_squares,
    k_fold_indices,
    make_polynomial_data,
    minibatch_indices,
    plot_loss_curves,
    polynomial_features,
    train_polynomial,
)


@settings(deadline=None, max_examples=60)
@given(data=st.data())
def test_k_fold_matches_sklearn(data):
    k = data.draw(st.integers(2, 10))
    n = data.draw(st.integers(k, 60))
    ours = k_fold_indices(n, k)
    theirs = list(KFold(n_splits=k).split(range(n)))
    assert len(ours) == k
    for (train_idx, valid_idx), (train_ref, valid_ref) in zip(ours, theirs):
        assert train_idx.tolist() == train_ref.tolist()
        assert valid_idx.tolist() == valid_ref.tolist()


def test_k_fold_partitions_the_data():
    folds = k_fold_indices(23, 4)
    validation = torch.cat([valid_idx for _, valid_idx in folds])
    assert sorted(validation.tolist()) == list(range(23))
    for train_idx, valid_idx in folds:
        assert set(train_idx.tolist()).isdisjoint(valid_idx.tolist())
        assert len(train_idx) + len(valid_idx) == 23
    assert [len(v) for _, v in folds] == [6, 6, 6, 5]


def test_minibatch_indices_is_a_reproducible_permutation():
    batches = minibatch_indices(11, 4, generator=torch.Generator().manual_seed(3))
    assert [len(b) for b in batches] == [4, 4, 3]
    assert sorted(torch.cat(batches).tolist()) == list(range(11))
    again = minibatch_indices(11, 4, generator=torch.Generator().manual_seed(3))
    assert all(torch.equal(a, b) for a, b in zip(batches, again))
    assert [len(b) for b in minibatch_indices(3, 10)] == [3]


@given(st.lists(st.floats(-3, 3, allow_nan=False), min_size=1, max_size=20), st.integers(1, 12))
def test_polynomial_features_formula(values, num_features):
    x = torch.tensor(values, dtype=torch.float64)
    features = polynomial_features(x, num_features)
    assert features.shape == (len(values), num_features)
    assert features.dtype == torch.float64
    expected = torch.tensor([[v**i / math.factorial(i) for i in range(num_features)] for v in values],
                            dtype=torch.float64)
    torch.testing.assert_close(features, expected)


def test_polynomial_data_follows_the_generating_formula():
    X_train, y_train, X_test, y_test = make_polynomial_data(30, 10, noise=0.0, num_features=6)
    true_w = torch.tensor([5.0, 1.2, -3.4, 5.6, 0.0, 0.0])
    torch.testing.assert_close(y_train, X_train @ true_w)
    torch.testing.assert_close(y_test, X_test @ true_w)
    torch.testing.assert_close(X_train[:, 1] ** 3 / 6, X_train[:, 3])
    # 噪声的标准差约为 noise
    X, y, _, _ = make_polynomial_data(5000, 1, noise=0.1)
    residual = y - X[:, :4] @ true_w[:4]
    assert residual.std().item() == pytest.approx(0.1, rel=0.05)


def test_polynomial_data_is_reproducible():
    first = make_polynomial_data(5, 5, seed=7)
    second = make_polynomial_data(5, 5, seed=7)
    assert all(torch.equal(a, b) for a, b in zip(first, second))
    assert not torch.equal(first[0], make_polynomial_data(5, 5, seed=8)[0])


def test_train_polynomial_reaches_the_least_squares_solution():
    X_train, y_train, X_test, y_test = make_polynomial_data(100, 20)
    X_train, X_test = X_train[:, :4], X_test[:, :4]
    curves = train_polynomial(X_train, y_train, X_test, y_test, num_epochs=100, lr=0.1, batch_size=10)
    solution = torch.linalg.lstsq(X_train, y_train.unsqueeze(1)).solution.squeeze(1)
    torch.testing.assert_close(curves.weight, solution, atol=0.05, rtol=0)
    assert len(curves.train_loss) == len(curves.test_loss) == 100
    assert curves.train_loss[-1] < curves.train_loss[0]
    expected_train = ((X_train @ curves.weight - y_train) ** 2).mean().item()
    assert curves.train_loss[-1] == pytest.approx(expected_train, rel=1e-5)


def test_least_squares_solves_the_normal_equations():
    X_train, y_train, X_test, y_test = make_polynomial_data(50, 30)
    X_train, X_test = X_train[:, :4], X_test[:, :4]
    train_loss, test_loss, w = fit_least_squares(X_train, y_train, X_test, y_test)
    X, y = X_train.double(), y_train.double()
    torch.testing.assert_close(w, torch.linalg.solve(X.T @ X, X.T @ y))  # 正规方程 XᵀX w = Xᵀy
    assert train_loss == pytest.approx(((X @ w - y) ** 2).mean().item())
    assert test_loss == pytest.approx(((X_test.double() @ w - y_test.double()) ** 2).mean().item())
    # 梯度下降训练够久，就走到解析解附近
    curves = train_polynomial(X_train, y_train, X_test, y_test, num_epochs=300)
    torch.testing.assert_close(curves.weight.double(), w, atol=0.05, rtol=0)


def test_least_squares_with_as_many_coefficients_as_samples_fits_the_noise():
    X_train, y_train, X_test, y_test = make_polynomial_data(20, 100)
    cubic = fit_least_squares(X_train[:, :4], y_train, X_test[:, :4], y_test)
    full = fit_least_squares(X_train, y_train, X_test, y_test)
    assert full[0] < 0.01 < cubic[0]  # 训练损失低于噪声的方差 0.1²
    assert full[1] > 1e6 * cubic[1]


def test_least_squares_rejects_bad_arguments():
    X, y, X_test, y_test = make_polynomial_data(10, 5)
    with pytest.raises(ValueError, match="test_y 的形状应为"):
        fit_least_squares(X, y, X_test, y_test[:2])
    with pytest.raises(ValueError, match="特征数应相同"):
        fit_least_squares(X[:, :2], y, X_test, y_test)
    with pytest.raises(TypeError, match="参数 train_y 应为浮点张量"):
        fit_least_squares(X, y.long(), X_test, y_test)


def test_underfitting_model_has_a_large_training_loss():
    X_train, y_train, X_test, y_test = make_polynomial_data(20, 50)
    linear = train_polynomial(X_train[:, :2], y_train, X_test[:, :2], y_test, num_epochs=100)
    cubic = train_polynomial(X_train[:, :4], y_train, X_test[:, :4], y_test, num_epochs=100)
    assert linear.train_loss[-1] > 10 * cubic.train_loss[-1]


def test_cross_validation_loss_is_the_mean_over_folds():
    X, y, _, _ = make_polynomial_data(12, 1)
    X = X[:, :3]
    expected = []
    for train_idx, valid_idx in k_fold_indices(12, 3):
        curves = train_polynomial(X[train_idx], y[train_idx], X[valid_idx], y[valid_idx], num_epochs=20)
        expected.append(curves.test_loss[-1])
    assert cross_validation_loss(X, y, 3, num_epochs=20) == pytest.approx(sum(expected) / 3)


def test_plot_loss_curves():
    curves = {"a": LossCurves([1.0, 0.5], [2.0, 1.0]), "b": LossCurves([3.0, 1.0], [3.0, 2.0])}
    figure = plot_loss_curves(curves, test_label="validation")
    assert [axes.get_title() for axes in figure.axes] == ["a", "b"]
    assert [line.get_label() for line in figure.axes[0].lines] == ["train", "validation"]
    assert figure.axes[0].get_yscale() == "log"
    assert "损失" in figure.get_label()


# ----- 错误的输入 -----


def test_k_fold_rejects_bad_arguments():
    with pytest.raises(ValueError, match="参数 k 应为不小于 2 的整数"):
        k_fold_indices(10, 1)
    with pytest.raises(TypeError, match="参数 k 应为整数，实际得到 float"):
        k_fold_indices(10, 2.0)
    with pytest.raises(ValueError, match="少于折数"):
        k_fold_indices(3, 5)
    with pytest.raises(TypeError, match="参数 num_examples 应为整数"):
        k_fold_indices(True, 2)


def test_minibatch_indices_rejects_bad_arguments():
    with pytest.raises(ValueError, match="参数 batch_size 应为不小于 1"):
        minibatch_indices(5, 0)
    with pytest.raises(TypeError, match="参数 generator 应为 torch.Generator 或 None，实际得到 int"):
        minibatch_indices(5, 2, generator=0)


def test_polynomial_features_rejects_bad_arguments():
    with pytest.raises(ValueError, match="一维张量"):
        polynomial_features(torch.zeros(2, 2), 3)
    with pytest.raises(TypeError, match="浮点张量"):
        polynomial_features(torch.arange(3), 3)
    with pytest.raises(ValueError, match="num_features 应为不小于 1"):
        polynomial_features(torch.zeros(3), 0)


def test_make_polynomial_data_rejects_bad_arguments():
    with pytest.raises(ValueError, match="参数 noise 应不小于 0"):
        make_polynomial_data(5, 5, noise=-1.0)
    with pytest.raises(ValueError, match="coefficients 应有 1 到 num_features=3"):
        make_polynomial_data(5, 5, num_features=3)
    with pytest.raises(TypeError, match="coefficients 的元素 应为实数"):
        make_polynomial_data(5, 5, coefficients=("a",))


def test_train_polynomial_rejects_bad_arguments():
    X, y, X_test, y_test = make_polynomial_data(10, 5)
    with pytest.raises(ValueError, match="train_y 的形状应为"):
        train_polynomial(X, y[:5], X_test, y_test)
    with pytest.raises(ValueError, match="特征数应相同"):
        train_polynomial(X[:, :3], y, X_test[:, :4], y_test)
    with pytest.raises(TypeError, match="参数 test_X 应为 torch.Tensor"):
        train_polynomial(X, y, X_test.tolist(), y_test)
    with pytest.raises(ValueError, match="num_epochs 应为不小于 1"):
        train_polynomial(X, y, X_test, y_test, num_epochs=0)
    with pytest.raises(ValueError, match="参数 lr（学习率）应为正数，实际得到 -0.1"):
        train_polynomial(X, y, X_test, y_test, lr=-0.1)
    with pytest.raises(ValueError, match="参数 lr（学习率）应为正数，实际得到 0.0"):
        train_polynomial(X, y, X_test, y_test, lr=0)


def test_plot_loss_curves_rejects_bad_arguments():
    with pytest.raises(ValueError, match="非空的字典"):
        plot_loss_curves({})
    with pytest.raises(TypeError, match="应为 LossCurves，实际得到 list"):
        plot_loss_curves({"a": [1.0]})
    with pytest.raises(ValueError, match="轮数相同"):
        plot_loss_curves({"a": LossCurves([1.0], [])})
