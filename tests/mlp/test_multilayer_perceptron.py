"""lessons_src/mlp/multilayer_perceptron.py 的测试；页面见 docs/mlp/multilayer-perceptron.md。"""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from lessons_src.mlp.multilayer_perceptron import (
    MLPScratch,
    count_parameters,
    mlp_forward,
)

sizes = st.integers(min_value=1, max_value=6)


def _random_params(d, h, q, dtype=torch.float32):
    return (torch.randn(d, h, dtype=dtype), torch.randn(h, dtype=dtype),
            torch.randn(h, q, dtype=dtype), torch.randn(q, dtype=dtype))


@settings(deadline=None, max_examples=30)
@given(n=sizes, d=sizes, h=sizes, q=sizes, seed=st.integers(0, 2**16))
def test_forward_matches_nn_sequential(n, d, h, q, seed):
    torch.manual_seed(seed)
    X = torch.randn(n, d, dtype=torch.float64)
    W1, b1, W2, b2 = _random_params(d, h, q, torch.float64)
    reference = nn.Sequential(nn.Linear(d, h), nn.ReLU(), nn.Linear(h, q)).double()
    with torch.no_grad():
        reference[0].weight.copy_(W1.T)  # nn.Linear 存的是 (输出数, 输入数)
        reference[0].bias.copy_(b1)
        reference[2].weight.copy_(W2.T)
        reference[2].bias.copy_(b2)
        expected = reference(X)
    torch.testing.assert_close(mlp_forward(X, W1, b1, W2, b2), expected)


def test_forward_formula_and_shape():
    torch.manual_seed(0)
    X = torch.randn(5, 3)
    W1, b1, W2, b2 = _random_params(3, 4, 2)
    output = mlp_forward(X, W1, b1, W2, b2)
    assert output.shape == (5, 2)
    torch.testing.assert_close(output, torch.clamp(X @ W1 + b1, min=0) @ W2 + b2)


def test_xor_is_computed_exactly():
    X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    output = mlp_forward(X, torch.ones(2, 2), torch.tensor([0.0, -1.0]), torch.tensor([[1.0], [-2.0]]), torch.zeros(1))
    assert output.squeeze(1).tolist() == [0.0, 1.0, 1.0, 0.0]


def test_scratch_model_parameters_and_forward():
    torch.manual_seed(0)
    net = MLPScratch(64, 16, 10)
    names = [name for name, _ in net.named_parameters()]
    assert names == ["W1", "b1", "W2", "b2"]
    assert [tuple(p.shape) for p in net.parameters()] == [(64, 16), (16,), (16, 10), (10,)]
    assert torch.equal(net.b1, torch.zeros(16)) and torch.equal(net.b2, torch.zeros(10))
    X = torch.rand(7, 1, 8, 8)
    torch.testing.assert_close(net(X), mlp_forward(X.reshape(7, 64), net.W1, net.b1, net.W2, net.b2))


def test_scratch_model_init_scale():
    torch.manual_seed(0)
    net = MLPScratch(500, 400, 10, sigma=0.1)
    assert net.W1.std().item() == pytest.approx(0.1, rel=0.02)
    assert net.W1.mean().item() == pytest.approx(0.0, abs=0.002)
    assert torch.count_nonzero(MLPScratch(4, 3, 2, sigma=0.0).W1) == 0


def test_scratch_model_gradients_reach_every_parameter():
    torch.manual_seed(0)
    net = MLPScratch(8, 5, 3)
    loss = nn.CrossEntropyLoss()(net(torch.randn(6, 8)), torch.tensor([0, 1, 2, 0, 1, 2]))
    loss.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in net.parameters())


def test_scratch_model_learns_xor():
    torch.manual_seed(0)
    X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = torch.tensor([0, 1, 1, 0])
    net = MLPScratch(2, 16, 2, sigma=1.0)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    for _ in range(500):
        loss = nn.CrossEntropyLoss()(net(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert torch.equal(net(X).argmax(dim=1), y)


@pytest.mark.parametrize("h", [1, 16, 128, 1024])
def test_count_parameters_closed_form(h):
    net = nn.Sequential(nn.Flatten(), nn.Linear(64, h), nn.ReLU(), nn.Linear(h, 10))
    assert count_parameters(net) == 75 * h + 10
    assert count_parameters(MLPScratch(64, h, 10)) == 75 * h + 10


def test_count_parameters_skips_frozen():
    net = nn.Linear(3, 2)
    net.bias.requires_grad_(False)
    assert count_parameters(net) == 6


# ----- 错误的输入 -----


def test_forward_rejects_bad_inputs():
    X = torch.randn(2, 3)
    W1, b1, W2, b2 = _random_params(3, 4, 2)
    with pytest.raises(TypeError, match="参数 X 应为 torch.Tensor"):
        mlp_forward([[1.0, 2.0, 3.0]], W1, b1, W2, b2)
    with pytest.raises(TypeError, match="参数 W1 应为浮点张量"):
        mlp_forward(X, W1.long(), b1, W2, b2)
    with pytest.raises(ValueError, match="应为二维张量"):
        mlp_forward(X.reshape(-1), W1, b1, W2, b2)
    with pytest.raises(ValueError, match=r"形状不匹配.*W1 \(4, 4\)"):
        mlp_forward(X, torch.randn(4, 4), b1, W2, b2)
    with pytest.raises(ValueError, match="形状不匹配"):
        mlp_forward(X, W1, b1, W2, torch.randn(3))


@pytest.mark.parametrize(
    ("bad", "error"), [(0, ValueError), (-1, ValueError), (2.5, TypeError), ("8", TypeError), (True, TypeError)]
)
def test_scratch_model_rejects_bad_sizes(bad, error):
    with pytest.raises(error, match="参数 num_hiddens 应为正整数"):
        MLPScratch(4, bad, 2)


def test_scratch_model_rejects_bad_sigma_and_input():
    with pytest.raises(ValueError, match="参数 sigma 应不小于 0"):
        MLPScratch(4, 3, 2, sigma=-0.1)
    with pytest.raises(TypeError, match="参数 sigma 应为实数"):
        MLPScratch(4, 3, 2, sigma="0.1")
    net = MLPScratch(4, 3, 2)
    with pytest.raises(ValueError, match="num_inputs=4"):
        net(torch.randn(5, 3))
    with pytest.raises(TypeError, match="浮点张量"):
        net(torch.ones(5, 4, dtype=torch.int64))


def test_count_parameters_rejects_non_module():
    with pytest.raises(TypeError, match="参数 model 应为 nn.Module，实际得到 list"):
        count_parameters([torch.zeros(2)])
