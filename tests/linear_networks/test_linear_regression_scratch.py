"""lessons_src/linear_networks/linear_regression_scratch.py 的测试；
页面见 docs/linear-networks/linear-regression-scratch.md。
"""

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from lessons_src.linear_networks.linear_regression_scratch import (
    data_iter,
    gaussian_nll,
    linreg,
    sgd,
    squared_loss,
    synthetic_data,
)

TRUE_W = torch.tensor([2.0, -3.4])
TRUE_B = 4.2


# ----- synthetic_data -----


def test_synthetic_data_shapes_and_dtype():
    torch.manual_seed(0)
    features, labels = synthetic_data(TRUE_W, TRUE_B, 50)
    assert features.shape == (50, 2) and labels.shape == (50, 1)
    assert features.dtype == labels.dtype == torch.float32
    features64, labels64 = synthetic_data(TRUE_W.double(), TRUE_B, 3)
    assert features64.dtype == labels64.dtype == torch.float64


def test_synthetic_data_follows_the_linear_model():
    torch.manual_seed(0)
    features, labels = synthetic_data(TRUE_W, TRUE_B, 5000, noise_std=0.01)
    residual = labels.reshape(-1) - (features @ TRUE_W + TRUE_B)
    assert residual.mean().abs() < 1e-3
    assert residual.std().item() == pytest.approx(0.01, rel=0.05)
    assert features.mean().abs() < 0.05 and features.std().item() == pytest.approx(1.0, rel=0.05)


def test_synthetic_data_without_noise_is_exact():
    features, labels = synthetic_data(TRUE_W, TRUE_B, 20, noise_std=0)
    assert torch.allclose(labels.reshape(-1), features @ TRUE_W + TRUE_B, atol=1e-6)


def test_synthetic_data_is_reproducible_with_the_global_seed():
    torch.manual_seed(1)
    first = synthetic_data(TRUE_W, TRUE_B, 10)
    torch.manual_seed(1)
    second = synthetic_data(TRUE_W, TRUE_B, 10)
    assert all(torch.equal(a, b) for a, b in zip(first, second, strict=True))


# ----- data_iter -----


@given(n=st.integers(1, 60), batch_size=st.integers(1, 70))
@settings(max_examples=40, deadline=None)
def test_data_iter_yields_every_example_once(n, batch_size):
    features = torch.arange(n, dtype=torch.float32).reshape(n, 1).repeat(1, 2)
    labels = torch.arange(n)
    batches = list(data_iter(batch_size, features, labels))
    sizes = [len(y) for _, y in batches]
    assert sizes[:-1] == [batch_size] * (len(sizes) - 1)
    assert 1 <= sizes[-1] <= batch_size
    assert sum(sizes) == n and len(batches) == -(-n // batch_size)
    seen = torch.cat([y for _, y in batches])
    assert torch.equal(seen.sort().values, labels)
    for X, y in batches:  # 特征和标签保持配对
        assert torch.equal(X[:, 0].long(), y)


def test_data_iter_shuffles_and_each_call_is_a_new_epoch():
    torch.manual_seed(0)
    features, labels = torch.zeros(100, 2), torch.arange(100)
    first = torch.cat([y for _, y in data_iter(10, features, labels)])
    second = torch.cat([y for _, y in data_iter(10, features, labels)])
    assert not torch.equal(first, labels)
    assert not torch.equal(first, second)


# ----- linreg -----


def test_linreg_matches_nn_linear():
    layer = torch.nn.Linear(3, 1)
    X = torch.randn(7, 3)
    ours = linreg(X, layer.weight.detach().T, layer.bias.detach())
    assert torch.allclose(ours, layer(X).detach(), atol=1e-6)
    assert ours.shape == (7, 1)


# ----- squared_loss -----


def test_squared_loss_values_and_shape():
    y_hat = torch.tensor([[1.0], [3.0], [-2.0]])
    y = torch.tensor([2.0, 3.0, 2.0])
    loss = squared_loss(y_hat, y)
    assert loss.shape == (3, 1)
    assert torch.equal(loss, torch.tensor([[0.5], [0.0], [8.0]]))


def test_squared_loss_is_half_of_mse():
    y_hat, y = torch.randn(20, 1), torch.randn(20, 1)
    assert torch.allclose(2 * squared_loss(y_hat, y).mean(), torch.nn.functional.mse_loss(y_hat, y))


def test_squared_loss_gradient_is_the_residual():
    y_hat = torch.randn(5, 1, requires_grad=True)
    y = torch.randn(5, 1)
    squared_loss(y_hat, y).sum().backward()
    assert torch.allclose(y_hat.grad, y_hat.detach() - y)


# ----- sgd -----


def test_sgd_update_and_zeroed_gradients():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    b = torch.tensor([0.5], requires_grad=True)
    (w * torch.tensor([4.0, -2.0])).sum().add(3 * b.sum()).backward()
    sgd([w, b], lr=0.1, batch_size=2)
    assert torch.allclose(w.detach(), torch.tensor([0.8, 2.1]))
    assert torch.allclose(b.detach(), torch.tensor([0.35]))
    assert torch.equal(w.grad, torch.zeros(2)) and torch.equal(b.grad, torch.zeros(1))
    assert w.requires_grad and w.is_leaf and w.grad_fn is None


def test_sgd_with_actual_batch_size_matches_torch_optim_on_mean_loss():
    torch.manual_seed(0)
    X, y = torch.randn(4, 2), torch.randn(4, 1)  # 一个只有 4 个样本的“最后一批”
    w1 = torch.randn(2, 1, requires_grad=True)
    b1 = torch.zeros(1, requires_grad=True)
    w2 = w1.detach().clone().requires_grad_(True)
    b2 = b1.detach().clone().requires_grad_(True)
    squared_loss(linreg(X, w1, b1), y).sum().backward()
    sgd([w1, b1], lr=0.1, batch_size=len(y))
    optimizer = torch.optim.SGD([w2, b2], lr=0.1)
    squared_loss(linreg(X, w2, b2), y).mean().backward()
    optimizer.step()
    assert torch.allclose(w1, w2) and torch.allclose(b1, b2)


def test_full_training_recovers_the_true_parameters():
    torch.manual_seed(0)
    features, labels = synthetic_data(TRUE_W, TRUE_B, 1000)
    w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    for _ in range(3):
        for X, y in data_iter(12, features, labels):
            squared_loss(linreg(X, w, b), y).sum().backward()
            sgd([w, b], 0.03, len(y))
    assert (w.detach().reshape(-1) - TRUE_W).abs().max() < 0.05
    assert abs(b.item() - TRUE_B) < 0.05
    # 与最小二乘的解析解一致
    X1 = torch.cat([features, torch.ones(len(features), 1)], dim=1)
    solution = torch.linalg.lstsq(X1, labels).solution.reshape(-1)
    assert torch.allclose(torch.cat([w.detach().reshape(-1), b.detach()]), solution, atol=0.01)


# ----- 错误的输入 -----


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        (([2.0, -3.4], 4.2, 10), {}, TypeError, "参数 w 应为 torch.Tensor"),
        ((torch.tensor([2, 3]), 4.2, 10), {}, TypeError, "浮点张量"),
        ((torch.zeros(2, 1), 4.2, 10), {}, ValueError, "一维张量"),
        ((TRUE_W, "4.2", 10), {}, TypeError, "参数 b 应为实数"),
        ((TRUE_W, 4.2, 0), {}, ValueError, "num_examples 应为正整数"),
        ((TRUE_W, 4.2, 10.0), {}, TypeError, "num_examples 应为正整数"),
        ((TRUE_W, 4.2, 10), {"noise_std": -0.1}, ValueError, "noise_std 应不小于 0"),
        ((TRUE_W, 4.2, 10), {"noise_std": float("nan")}, ValueError, "有限实数"),
    ],
)
def test_synthetic_data_bad_input(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        synthetic_data(*args, **kwargs)


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((0, torch.zeros(3, 2), torch.zeros(3)), ValueError, "batch_size 应为正整数"),
        (("2", torch.zeros(3, 2), torch.zeros(3)), TypeError, "batch_size 应为正整数"),
        ((2, [[0.0, 0.0]], torch.zeros(1)), TypeError, "参数 features 应为 torch.Tensor"),
        ((2, torch.zeros(3, 2), [0.0, 0.0, 0.0]), TypeError, "参数 labels 应为 torch.Tensor"),
        ((2, torch.zeros(3, 2), torch.zeros(4)), ValueError, "样本数应相同.*3 和 4"),
    ],
)
def test_data_iter_bad_input(args, error, message):
    with pytest.raises(error, match=message):
        next(data_iter(*args))


@pytest.mark.parametrize(
    ("X", "w", "b", "error", "message"),
    [
        ([[1.0, 2.0]], torch.zeros(2, 1), torch.zeros(1), TypeError, "参数 X 应为 torch.Tensor"),
        (torch.zeros(3, 2), torch.zeros(2, 1, dtype=torch.int64), torch.zeros(1), TypeError, "参数 w 应为浮点张量"),
        (torch.zeros(3, 2), torch.zeros(2, 1), 0.0, TypeError, "参数 b 应为 torch.Tensor"),
        (torch.zeros(3, 2), torch.zeros(2), torch.zeros(1), ValueError, r"w 的形状应为 \(d, 1\)"),
        (torch.zeros(3, 2), torch.zeros(3, 1), torch.zeros(1), ValueError, r"实际为 \(3, 2\) 和 \(3, 1\)"),
        (torch.zeros(2), torch.zeros(2, 1), torch.zeros(1), ValueError, r"X 的形状应为 \(n, d\)"),
    ],
)
def test_linreg_bad_input(X, w, b, error, message):
    with pytest.raises(error, match=message):
        linreg(X, w, b)


def test_squared_loss_bad_input():
    with pytest.raises(TypeError, match="参数 y_hat 应为 torch.Tensor"):
        squared_loss([1.0], torch.zeros(1))
    with pytest.raises(TypeError, match="参数 y 应为 torch.Tensor"):
        squared_loss(torch.zeros(1), [1.0])
    with pytest.raises(ValueError, match="元素个数应相同"):
        squared_loss(torch.zeros(3, 1), torch.zeros(4))


def test_sgd_bad_input():
    w = torch.zeros(2, requires_grad=True)
    with pytest.raises(TypeError, match="由张量组成的列表"):
        sgd(w, 0.1, 1)
    with pytest.raises(TypeError, match="参数 params\\[0\\] 应为 torch.Tensor"):
        sgd([1.0], 0.1, 1)
    with pytest.raises(ValueError, match="还没有梯度.*backward"):
        sgd([w], 0.1, 1)
    w.sum().backward()
    with pytest.raises(ValueError, match="参数 lr 应不小于 0"):
        sgd([w], -0.1, 1)
    with pytest.raises(TypeError, match="参数 lr 应为实数"):
        sgd([w], "0.1", 1)
    with pytest.raises(ValueError, match="batch_size 应为正整数"):
        sgd([w], 0.1, 0)
    assert torch.equal(w.detach(), torch.zeros(2))  # 出错时参数保持不变


# ----- gaussian_nll -----


def test_gaussian_nll_matches_normal_log_prob_and_f_gaussian_nll_loss():
    torch.manual_seed(0)
    y_hat = torch.randn(20, 1, dtype=torch.float64)
    y = y_hat.reshape(-1) + 0.3 * torch.randn(20, dtype=torch.float64)  # 形状 (n,) 也可以
    for variance in (0.01, 0.09, 1.0):
        ours = gaussian_nll(y_hat, y, variance)
        expected = -torch.distributions.Normal(y_hat, math.sqrt(variance)).log_prob(y.reshape(-1, 1)).sum()
        assert ours.item() == pytest.approx(expected.item(), rel=1e-12)
        builtin = F.gaussian_nll_loss(
            y_hat, y.reshape(-1, 1), torch.full_like(y_hat, variance), full=True, reduction="sum"
        )
        assert ours.item() == pytest.approx(builtin.item(), rel=1e-12)


def test_gaussian_nll_is_a_constant_plus_the_squared_loss_over_the_variance():
    torch.manual_seed(0)
    y_hat, y = torch.randn(30, 1, dtype=torch.float64), torch.randn(30, 1, dtype=torch.float64)
    variance = 0.25
    constant = 30 / 2 * math.log(2 * math.pi * variance)
    expected = constant + squared_loss(y_hat, y).sum() / variance
    assert gaussian_nll(y_hat, y, variance).item() == pytest.approx(expected.item(), rel=1e-12)


@given(st.integers(0, 1000))
@settings(max_examples=30, deadline=None)
def test_the_mean_squared_residual_minimizes_the_gaussian_nll_over_the_variance(seed):
    generator = torch.Generator().manual_seed(seed)
    y_hat = torch.randn(15, 1, generator=generator, dtype=torch.float64)
    y = torch.randn(15, 1, generator=generator, dtype=torch.float64)
    sigma2_hat = ((y - y_hat) ** 2).mean().item()
    best = gaussian_nll(y_hat, y, sigma2_hat).item()
    for factor in (0.5, 0.9, 0.99, 1.01, 1.1, 2.0):
        assert gaussian_nll(y_hat, y, factor * sigma2_hat).item() > best


def test_gaussian_nll_bad_input():
    y_hat = torch.zeros(3, 1)
    with pytest.raises(ValueError, match="variance（噪声的方差 σ²）应为正数"):
        gaussian_nll(y_hat, torch.zeros(3), 0.0)
    with pytest.raises(ValueError, match="应为正数"):
        gaussian_nll(y_hat, torch.zeros(3), -1.0)
    with pytest.raises(TypeError, match="variance"):
        gaussian_nll(y_hat, torch.zeros(3), "0.1")
    with pytest.raises(ValueError, match="元素个数应相同"):
        gaussian_nll(y_hat, torch.zeros(4), 0.1)
