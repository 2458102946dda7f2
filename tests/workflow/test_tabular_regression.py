"""lessons_src/workflow/tabular_regression.py 的测试；页面见 docs/workflow/tabular-regression.md。"""

import math

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_absolute_error, root_mean_squared_error
from sklearn.metrics import r2_score as sklearn_r2_score

from lessons_src.workflow.tabular_regression import (
    DIABETES_FEATURES,
    column_statistics,
    cross_validate_regression,
    load_diabetes_tensors,
    log_rmse,
    mae,
    mlp_predict,
    one_hot_column,
    plot_predictions,
    predict_mean,
    r2_score,
    ridge_predict,
    rmse,
    standardize_columns,
    train_and_score,
)


def _regression_data(n: int = 40, d: int = 3, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    X = 10 * torch.randn(n, d, generator=generator) + torch.arange(d) * 100
    y = X @ torch.linspace(1.0, 2.0, d) + torch.randn(n, generator=generator)
    return X, y


# ----- data -----


def test_load_diabetes_tensors_returns_raw_features():
    X, y = load_diabetes_tensors()
    assert X.shape == (442, len(DIABETES_FEATURES)) and y.shape == (442,)
    assert X.dtype == y.dtype == torch.float32
    assert set(X[:, 1].tolist()) == {1.0, 2.0}                # sex 是原始的 1/2 代号
    assert 15 <= X[:, 0].min() and X[:, 0].max() <= 90       # age 是岁数，没有缩放
    assert float(y.min()) == 25.0 and float(y.max()) == 346.0


# ----- one_hot_column -----


def test_one_hot_column_replaces_column_in_place():
    X = torch.tensor([[1.0, 5.0, 7.0], [3.0, 6.0, 7.0], [2.0, 5.0, 7.0]])
    encoded, values = one_hot_column(X, 1)
    assert values == [5.0, 6.0]
    assert encoded.tolist() == [[1.0, 1.0, 0.0, 7.0], [3.0, 0.0, 1.0, 7.0], [2.0, 1.0, 0.0, 7.0]]
    encoded, values = one_hot_column(X, 0)
    assert values == [1.0, 2.0, 3.0] and encoded.shape == (3, 5)
    assert torch.equal(encoded[:, :3].sum(dim=1), torch.ones(3))


def test_one_hot_column_bad_input():
    X = torch.zeros(3, 2)
    with pytest.raises(ValueError, match="应小于特征数 2"):
        one_hot_column(X, 2)
    with pytest.raises(ValueError, match="不小于 0"):
        one_hot_column(X, -1)
    with pytest.raises(TypeError, match="浮点"):
        one_hot_column(torch.zeros(3, 2, dtype=torch.long), 0)
    with pytest.raises(ValueError, match="2 维"):
        one_hot_column(torch.zeros(3), 0)


# ----- standardization -----


def test_column_statistics_match_numpy():
    X, _ = _regression_data()
    mean, std = column_statistics(X)
    np.testing.assert_allclose(mean.numpy(), X.numpy().mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(std.numpy(), X.numpy().std(axis=0, ddof=1), rtol=1e-5)


def test_standardize_columns_with_training_statistics():
    X, _ = _regression_data()
    train, valid = X[:30], X[30:]
    mean, std = column_statistics(train)
    train_std = standardize_columns(train, mean, std)
    assert torch.allclose(train_std.mean(dim=0), torch.zeros(3), atol=1e-5)
    assert torch.allclose(train_std.std(dim=0), torch.ones(3), atol=1e-5)
    assert torch.allclose(standardize_columns(valid, mean, std), (valid - mean) / std)


def test_standardization_bad_input():
    with pytest.raises(ValueError, match="至少要有 2 个样本"):
        column_statistics(torch.zeros(1, 3))
    with pytest.raises(ValueError, match="长度应等于 X 的特征数 3"):
        standardize_columns(torch.zeros(4, 3), torch.zeros(2), torch.ones(3))
    with pytest.raises(ValueError, match="std 应全为正数"):
        standardize_columns(torch.zeros(4, 3), torch.zeros(3), torch.tensor([1.0, 0.0, 1.0]))
    with pytest.raises(TypeError, match="torch.Tensor"):
        standardize_columns(torch.zeros(4, 3), [0.0, 0.0, 0.0], torch.ones(3))


# ----- metrics -----


def test_metrics_equal_sklearn():
    generator = torch.Generator().manual_seed(1)
    y = 100 + 50 * torch.rand(30, generator=generator)
    y_hat = y + 10 * torch.randn(30, generator=generator)
    assert math.isclose(rmse(y_hat, y), root_mean_squared_error(y, y_hat), rel_tol=1e-6)
    assert math.isclose(mae(y_hat, y), mean_absolute_error(y, y_hat), rel_tol=1e-6)
    assert math.isclose(r2_score(y_hat, y), sklearn_r2_score(y, y_hat), rel_tol=1e-6)
    expected = np.sqrt(np.mean((np.log(y_hat.double().numpy()) - np.log(y.double().numpy())) ** 2))
    assert math.isclose(log_rmse(y_hat, y), expected, rel_tol=1e-6)


def test_log_rmse_measures_relative_error():
    assert math.isclose(log_rmse(torch.tensor([110.0]), torch.tensor([100.0])),
                        log_rmse(torch.tensor([1100.0]), torch.tensor([1000.0])), rel_tol=1e-6)


def test_metrics_bad_input():
    with pytest.raises(ValueError, match=r"形状相同.*\(3, 1\).*squeeze\(1\)"):
        rmse(torch.zeros(3, 1), torch.zeros(3))
    with pytest.raises(ValueError, match="形状相同"):
        mae(torch.zeros(2), torch.zeros(3))
    with pytest.raises(ValueError, match="非空"):
        r2_score(torch.zeros(0), torch.zeros(0))
    with pytest.raises(TypeError, match="浮点"):
        rmse(torch.zeros(3, dtype=torch.long), torch.zeros(3))
    with pytest.raises(ValueError, match="全为正数"):
        log_rmse(torch.tensor([1.0, -1.0]), torch.tensor([1.0, 1.0]))


# ----- regressors -----


def test_predict_mean_ignores_features():
    y_hat = predict_mean(torch.randn(4, 2), torch.tensor([1.0, 2.0, 3.0, 6.0]), torch.randn(3, 2))
    assert y_hat.tolist() == [3.0, 3.0, 3.0]


@pytest.mark.parametrize("lam", [0.0, 0.5, 20.0])
def test_ridge_predict_equals_sklearn_ridge(lam):
    X, y = _regression_data()
    ours = ridge_predict(X[:30], y[:30], X[30:], lam=lam)
    theirs = Ridge(alpha=lam).fit(X[:30].double().numpy(), y[:30].double().numpy()).predict(X[30:].double().numpy())
    np.testing.assert_allclose(ours.numpy(), theirs, rtol=1e-4, atol=1e-3)
    assert ours.dtype == torch.float32


def test_regressors_bad_input():
    X, y = _regression_data()
    with pytest.raises(ValueError, match="不小于 0.0"):
        ridge_predict(X, y, X, lam=-1.0)
    with pytest.raises(ValueError, match="列数应与 X_train 相同"):
        ridge_predict(X, y, X[:, :2])
    with pytest.raises(ValueError, match="y_train 应有"):
        predict_mean(X, y[:5], X)
    with pytest.raises(ValueError, match="num_hiddens 应为正整数"):
        mlp_predict(X, y, X, num_hiddens=0)
    with pytest.raises(ValueError, match="lr 应为正数"):
        mlp_predict(X, y, X, lr=0.0)
    with pytest.raises(ValueError, match="weight_decay 应不小于"):
        mlp_predict(X, y, X, weight_decay=-0.1)


def test_mlp_predict_learns_and_is_reproducible():
    X, y = _regression_data(60)
    mean, std = column_statistics(X)
    Z = standardize_columns(X, mean, std)
    first = mlp_predict(Z, y, Z, num_epochs=300, seed=3)
    second = mlp_predict(Z, y, Z, num_epochs=300, seed=3)
    assert torch.equal(first, second)
    assert rmse(first, y) < 0.2 * rmse(predict_mean(Z, y, Z), y)


# ----- train_and_score / cross_validate_regression -----


def test_train_and_score_uses_only_training_statistics():
    X, y = _regression_data()
    X_train, y_train, X_eval, y_eval = X[:30], y[:30], X[30:], y[30:]
    seen = {}

    def spy(X_tr, y_tr, X_ev):
        seen["train"], seen["eval"] = X_tr, X_ev
        return ridge_predict(X_tr, y_tr, X_ev)

    _, y_hat = train_and_score(X_train, y_train, X_eval, y_eval, spy)
    mean, std = X_train.mean(dim=0), X_train.std(dim=0)
    assert torch.allclose(seen["train"], (X_train - mean) / std)
    assert torch.allclose(seen["eval"], (X_eval - mean) / std)      # 评估部分用训练部分的 mean、std

    # 把评估部分的其他样本改得面目全非：统计量不变，第 0 个评估样本的预测也不变
    changed = X_eval.clone()
    changed[1:] = changed[1:] * 1000 + 5000
    _, y_hat_changed = train_and_score(X_train, y_train, changed, y_eval, spy)
    assert torch.allclose(seen["eval"][0], (X_eval[0] - mean) / std)
    assert torch.allclose(y_hat_changed[0], y_hat[0])


def test_train_and_score_returns_rmse_and_passes_hyperparams():
    X, y = _regression_data()
    score, y_hat = train_and_score(X[:30], y[:30], X[30:], y[30:], ridge_predict, lam=3.0)
    assert math.isclose(score, rmse(y_hat, y[30:]))
    mean, std = column_statistics(X[:30])
    expected = ridge_predict(standardize_columns(X[:30], mean, std), y[:30],
                             standardize_columns(X[30:], mean, std), lam=3.0)
    assert torch.allclose(y_hat, expected)
    assert not torch.allclose(y_hat, train_and_score(X[:30], y[:30], X[30:], y[30:], ridge_predict)[1])


def test_cross_validate_regression_folds_do_not_overlap():
    n, k = 23, 5
    X = torch.randn(n, 2, generator=torch.Generator().manual_seed(0))
    y = torch.arange(n, dtype=torch.float32)          # 目标就是样本编号
    train_ids, eval_sizes = [], []

    def spy(X_tr, y_tr, X_ev):
        train_ids.append(set(int(v) for v in y_tr.tolist()))
        eval_sizes.append(len(X_ev))
        return predict_mean(X_tr, y_tr, X_ev)

    scores = cross_validate_regression(X, y, spy, k=k, seed=0)
    assert len(scores) == k
    eval_ids = [set(range(n)) - ids for ids in train_ids]
    assert [len(ids) for ids in eval_ids] == eval_sizes                     # 训练部分与验证部分不重叠
    assert all(a.isdisjoint(b) for i, a in enumerate(eval_ids) for b in eval_ids[i + 1:])
    assert set().union(*eval_ids) == set(range(n))                          # 每个样本恰好验证一次


def test_cross_validate_regression_is_reproducible():
    X, y = _regression_data()
    assert cross_validate_regression(X, y, ridge_predict, seed=1) == cross_validate_regression(
        X, y, ridge_predict, seed=1
    )
    assert cross_validate_regression(X, y, ridge_predict, seed=1) != cross_validate_regression(
        X, y, ridge_predict, seed=2
    )


def test_cross_validate_regression_bad_input():
    X, y = _regression_data()
    with pytest.raises(TypeError, match="fit_predict"):
        cross_validate_regression(X, y, "ridge")
    with pytest.raises(ValueError, match="y 应有 len"):
        cross_validate_regression(X, y[:10], ridge_predict)
    with pytest.raises(ValueError, match="不小于 2"):
        cross_validate_regression(X, y, ridge_predict, k=1)
    with pytest.raises(ValueError, match="不能超过样本数"):
        cross_validate_regression(X, y, ridge_predict, k=41)
    with pytest.raises(ValueError, match="y_eval 应有"):
        train_and_score(X[:30], y[:30], X[30:], y[:3], ridge_predict)


# ----- plot_predictions -----


def test_plot_predictions_one_axes_per_model():
    y = torch.tensor([1.0, 2.0, 3.0])
    figure = plot_predictions(y, {"ridge": y + 1, "MLP": y - 1}, title="说明")
    assert isinstance(figure, Figure) and len(figure.axes) == 2
    assert figure.get_label() == "说明"
    assert figure.axes[0].get_title() == "ridge: RMSE 1.0"


def test_plot_predictions_bad_input():
    y = torch.tensor([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="非空的字典"):
        plot_predictions(y, {})
    with pytest.raises(ValueError, match="形状应与 y 相同"):
        plot_predictions(y, {"ridge": torch.zeros(2)})
