"""lessons_src/mlp/weight_decay.py 的测试；页面见 docs/mlp/weight-decay.md。"""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from lessons_src.linear_networks import linear_regression_scratch
from lessons_src.linear_networks.linear_regression_scratch import squared_loss
from lessons_src.mlp import weight_decay
from lessons_src.mlp.weight_decay import (
    high_dim_linear_data,
    l2_penalty,
    train_concise,
    train_scratch,
)

SMALL = high_dim_linear_data(10, 20, 30)


def test_data_follows_the_generating_formula():
    X_train, y_train, X_test, y_test = high_dim_linear_data(noise=0.0)
    assert X_train.shape == (20, 200) and X_test.shape == (100, 200)
    torch.testing.assert_close(y_train, X_train @ torch.full((200,), 0.01) + 0.05)
    torch.testing.assert_close(y_test, X_test @ torch.full((200,), 0.01) + 0.05)
    first, second = high_dim_linear_data(seed=3), high_dim_linear_data(seed=3)
    assert all(torch.equal(a, b) for a, b in zip(first, second))


@given(st.lists(st.floats(-100, 100, allow_nan=False), min_size=1, max_size=30))
def test_penalty_and_loss_match_references(values):
    w = torch.tensor(values, dtype=torch.float64)
    torch.testing.assert_close(l2_penalty(w), torch.linalg.vector_norm(w) ** 2 / 2)
    y = torch.flip(w, dims=[0])
    torch.testing.assert_close(squared_loss(w, y).mean(), F.mse_loss(w, y) / 2)


def test_uses_the_squared_loss_of_linear_regression():
    # 只有一个 squared_loss：权重衰减用的就是线性回归一章定义的那个（逐样本 (ŷ - y)² / 2）
    assert weight_decay.squared_loss is linear_regression_scratch.squared_loss
    y_hat, y = torch.tensor([1.0, 3.0]), torch.tensor([1.0, 1.0])
    assert torch.equal(squared_loss(y_hat, y), torch.tensor([0.0, 2.0]))


def test_penalty_gradient_is_w():
    w = torch.randn(7, dtype=torch.float64, requires_grad=True)
    l2_penalty(w).backward()
    torch.testing.assert_close(w.grad, w.detach())


@settings(deadline=None, max_examples=25)
@given(lr=st.floats(0.001, 0.5), lambd=st.floats(0.0, 1.5), seed=st.integers(0, 2**16))
def test_sgd_step_is_decay_then_gradient_step(lr, lambd, seed):
    torch.manual_seed(seed)
    X, y = torch.randn(5, 4, dtype=torch.float64), torch.randn(5, dtype=torch.float64)
    w0 = torch.randn(4, dtype=torch.float64)
    # 从零实现：对 数据损失 + λ/2 ||w||² 求导
    w = w0.clone().requires_grad_(True)
    (squared_loss(X @ w, y).mean() + lambd * l2_penalty(w)).backward()
    scratch = w.detach() - lr * w.grad
    # 公式：(1 - ηλ) w - η · 数据损失的平均梯度（平方损失的梯度有闭式）
    data_grad = X.T @ (X @ w0 - y) / len(y)
    formula = (1 - lr * lambd) * w0 - lr * data_grad
    # 优化器的 weight_decay
    w = w0.clone().requires_grad_(True)
    squared_loss(X @ w, y).mean().backward()
    torch.optim.SGD([w], lr=lr, weight_decay=lambd).step()
    torch.testing.assert_close(scratch, formula)
    torch.testing.assert_close(w.detach(), formula)


@pytest.mark.parametrize("lambd", [0.0, 1.0, 3.0])
def test_scratch_and_concise_agree(lambd):
    # 从零实现只惩罚 w、不惩罚 b；两者一致说明简洁实现的参数组同样没有衰减偏置
    scratch = train_scratch(lambd, SMALL, num_epochs=10)
    concise = train_concise(lambd, SMALL, num_epochs=10)
    torch.testing.assert_close(concise.weight, scratch.weight, rtol=1e-5, atol=1e-6)
    assert concise.test_loss == pytest.approx(scratch.test_loss, rel=1e-5)
    assert concise.train_loss == pytest.approx(scratch.train_loss, rel=1e-5, abs=1e-9)


def test_larger_lambda_gives_smaller_weights_and_less_overfitting():
    data = high_dim_linear_data()
    runs = [train_scratch(lambd, data, num_epochs=30) for lambd in (0.0, 1.0, 3.0)]
    norms = [run.weight.norm().item() for run in runs]
    assert norms[0] > norms[1] > norms[2]
    assert runs[2].test_loss[-1] < runs[0].test_loss[-1]
    assert runs[0].train_loss[-1] < runs[0].test_loss[-1] / 100  # 不加正则化时严重过拟合


# ----- 错误的输入 -----


def test_data_rejects_bad_arguments():
    with pytest.raises(ValueError, match="参数 num_train 应为不小于 1"):
        high_dim_linear_data(0)
    with pytest.raises(TypeError, match="参数 num_inputs 应为整数"):
        high_dim_linear_data(num_inputs=2.0)
    with pytest.raises(ValueError, match="参数 noise 应不小于 0"):
        high_dim_linear_data(noise=-0.1)


def test_loss_and_penalty_reject_bad_arguments():
    with pytest.raises(TypeError, match="参数 w 应为 torch.Tensor"):
        l2_penalty([1.0])
    with pytest.raises(TypeError, match="参数 w 应为浮点张量"):
        l2_penalty(torch.tensor([1, 2]))
    with pytest.raises(ValueError, match="元素个数应相同"):
        squared_loss(torch.zeros(3), torch.zeros(4))


@pytest.mark.parametrize("train", [train_scratch, train_concise])
def test_training_rejects_bad_arguments(train):
    with pytest.raises(ValueError, match="应不小于 0"):
        train(-1.0, SMALL)
    with pytest.raises(TypeError, match="四元组"):
        train(1.0, SMALL[:2])
    X_train, y_train, X_test, y_test = SMALL
    with pytest.raises(ValueError, match="特征数应相同"):
        train(1.0, (X_train, y_train, X_test[:, :5], y_test))
    with pytest.raises(ValueError, match="y_train 的形状应为"):
        train(1.0, (X_train, y_train[:3], X_test, y_test))
    with pytest.raises(ValueError, match="num_epochs 应为不小于 1"):
        train(1.0, SMALL, num_epochs=0)
    with pytest.raises(ValueError, match="参数 lr 应不小于 0"):
        train(1.0, SMALL, lr=-1.0)
