"""lessons_src/deep_learning_computation/parameters.py 的测试；页面见 docs/deep-learning-computation/parameters.md。"""

import copy
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from lessons_src.deep_learning_computation.parameters import (
    block1,
    block2,
    init_constant,
    init_normal,
    init_xavier,
    my_init,
    tied_net,
)


def test_block1_and_block2_structure():
    assert block1()(torch.rand(3, 4)).shape == (3, 4)
    net = block2()
    assert [name for name, _ in net.named_children()] == ["block0", "block1", "block2", "block3"]
    rgnet = nn.Sequential(net, nn.Linear(4, 1))
    assert rgnet(torch.rand(2, 4)).shape == (2, 1)
    assert rgnet[0][1][0].bias is rgnet[0].block1[0].bias
    assert torch.equal(rgnet.state_dict()["0.block1.0.bias"], rgnet[0][1][0].bias.detach())
    assert len(list(rgnet.parameters())) == 4 * 4 + 2


def test_init_normal_statistics():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(200, 300), nn.ReLU(), nn.Linear(300, 10)).apply(init_normal)
    weight = net[0].weight
    assert weight.mean().item() == pytest.approx(0.0, abs=1e-3)
    assert weight.std().item() == pytest.approx(0.01, rel=0.05)
    assert torch.count_nonzero(weight) == weight.numel()  # std 不为 0，权重不会全是 0
    assert torch.equal(net[0].bias, torch.zeros(300)) and torch.equal(net[2].bias, torch.zeros(10))


def test_init_functions_skip_non_linear_modules_and_missing_bias():
    relu = nn.ReLU()
    for init in (init_normal, init_xavier, my_init, init_constant):
        init(relu)  # 没有参数，什么也不做
    layer = nn.Linear(3, 2, bias=False)
    for init in (init_normal, init_xavier, my_init, init_constant):
        init(layer)
    conv = nn.Conv2d(1, 1, 3)
    before = conv.weight.detach().clone()
    init_constant(conv, 7.0)
    assert torch.equal(conv.weight, before)


@given(st.floats(-100, 100, allow_nan=False))
def test_init_constant(value):
    layer = nn.Linear(3, 4)
    init_constant(layer, value)
    assert torch.all(layer.weight == torch.tensor(value, dtype=torch.float32))
    assert torch.all(layer.bias == 0)


def test_init_constant_with_apply_on_one_block():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    first = net[0].weight.detach().clone()
    net[2].apply(lambda module: init_constant(module, 42))
    assert torch.equal(net[0].weight, first)
    assert torch.all(net[2].weight == 42)


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 64), st.integers(1, 64))
def test_init_xavier_bound(fan_in, fan_out):
    layer = nn.Linear(fan_in, fan_out)
    init_xavier(layer)
    assert layer.weight.abs().max().item() <= math.sqrt(6 / (fan_in + fan_out)) + 1e-6
    assert torch.all(layer.bias == 0)


def test_init_xavier_variance():
    torch.manual_seed(0)
    layer = nn.Linear(400, 600)
    init_xavier(layer)
    assert layer.weight.var().item() == pytest.approx(2 / (400 + 600), rel=0.05)


def test_my_init_distribution():
    torch.manual_seed(0)
    layer = nn.Linear(200, 200)
    bias = layer.bias.detach().clone()
    my_init(layer)
    w = layer.weight.detach()
    nonzero = w[w != 0].abs()
    assert (w == 0).float().mean().item() == pytest.approx(0.5, abs=0.02)
    assert (w > 0).float().mean().item() == pytest.approx(0.25, abs=0.02)
    assert nonzero.min().item() >= 5 and nonzero.max().item() <= 10
    assert torch.equal(layer.bias, bias)
    assert layer.weight.requires_grad and layer.weight.grad_fn is None  # 仍是可训练的叶子参数


def test_tied_net_shares_one_object_and_sums_gradients():
    torch.manual_seed(0)
    net = tied_net()
    assert net[2] is net[4]
    assert net[2].weight.data_ptr() == net[4].weight.data_ptr()
    with torch.no_grad():
        net[2].weight[0, 0] = 100
    assert net[4].weight[0, 0].item() == 100
    assert sum(p.numel() for p in net.parameters()) == 121

    untied = copy.deepcopy(net)
    assert untied[2] is untied[4]  # deepcopy 保留绑定
    untied[4] = copy.deepcopy(untied[2])
    assert sum(p.numel() for p in untied.parameters()) == 193
    X = torch.rand(5, 4)
    assert torch.allclose(net(X), untied(X))
    net(X).pow(2).sum().backward()
    untied(X).pow(2).sum().backward()
    assert torch.allclose(net[2].weight.grad, untied[2].weight.grad + untied[4].weight.grad, atol=1e-6)
    assert torch.allclose(net[2].bias.grad, untied[2].bias.grad + untied[4].bias.grad, atol=1e-6)


def test_tied_net_uses_the_given_layer():
    shared = nn.Linear(8, 8)
    net = tied_net(shared)
    assert net[2] is shared and net[4] is shared


# ----- 错误的输入 -----


@pytest.mark.parametrize("init", [init_normal, init_constant, init_xavier, my_init])
def test_init_functions_reject_non_modules(init):
    with pytest.raises(TypeError, match="参数 module 应为 nn.Module 的实例，实际得到 Tensor"):
        init(torch.zeros(3))


def test_bad_arguments():
    with pytest.raises(TypeError, match="参数 value 应为实数.*str"):
        init_constant(nn.Linear(2, 2), "42")
    with pytest.raises(ValueError, match="有限实数"):
        init_constant(nn.Linear(2, 2), float("nan"))
    with pytest.raises(ValueError, match="num_blocks 应为正整数，实际得到 0"):
        block2(0)
    with pytest.raises(TypeError, match="num_blocks 应为正整数，实际得到 float"):
        block2(2.0)
    with pytest.raises(TypeError, match="参数 shared 应为 nn.Linear，实际得到 ReLU"):
        tied_net(nn.ReLU())
    with pytest.raises(ValueError, match=r"nn.Linear\(8, 8\)"):
        tied_net(nn.Linear(4, 8))
