"""lessons_src/deep_learning_computation/model_construction.py 的测试；
页面见 docs/deep-learning-computation/model-construction.md。
"""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from lessons_src.deep_learning_computation.model_construction import (
    MLP,
    FixedHiddenMLP,
    MySequential,
    NestMLP,
    OutOfOrderMLP,
    require_features,
)


def test_mlp_matches_a_manual_computation():
    torch.manual_seed(0)
    net = MLP()
    X = torch.rand(3, 20)
    expected = F.relu(X @ net.hidden.weight.T + net.hidden.bias) @ net.out.weight.T + net.out.bias
    assert torch.allclose(net(X), expected, atol=1e-6)
    assert [name for name, _ in net.named_parameters()] == ["hidden.weight", "hidden.bias", "out.weight", "out.bias"]


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 30), st.integers(1, 30), st.integers(1, 30), st.integers(1, 5))
def test_mlp_sizes(num_inputs, num_hiddens, num_outputs, batch):
    net = MLP(num_inputs, num_hiddens, num_outputs)
    assert net(torch.rand(batch, num_inputs)).shape == (batch, num_outputs)
    assert sum(p.numel() for p in net.parameters()) == (num_inputs + 1) * num_hiddens + (num_hiddens + 1) * num_outputs


def test_mlp_is_trainable():
    torch.manual_seed(0)
    net = MLP(4, 16, 1)
    X, y = torch.randn(64, 4), torch.randn(64, 1)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    before = F.mse_loss(net(X), y).item()
    for _ in range(50):
        loss = F.mse_loss(net(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert F.mse_loss(net(X), y).item() < before


def test_my_sequential_matches_nn_sequential():
    torch.manual_seed(0)
    layers = [nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10)]
    mine, reference = MySequential(*layers), nn.Sequential(*layers)
    X = torch.rand(4, 20)
    assert torch.equal(mine(X), reference(X))
    assert list(mine.state_dict()) == list(reference.state_dict())
    assert str(mine).replace("MySequential", "Sequential") == str(reference)


def test_my_sequential_runs_a_repeated_block_twice():
    shared = nn.Linear(3, 3)
    X = torch.rand(2, 3)
    assert torch.allclose(MySequential(shared, shared)(X), shared(shared(X)))
    assert torch.allclose(MySequential(shared, shared)(X), nn.Sequential(shared, shared)(X))


def test_empty_my_sequential_is_the_identity():
    X = torch.rand(2, 3)
    assert MySequential()(X) is X


def test_fixed_hidden_mlp_buffer_is_not_trained_but_saved():
    torch.manual_seed(0)
    net = FixedHiddenMLP()
    assert [name for name, _ in net.named_parameters()] == ["linear.weight", "linear.bias"]
    assert "rand_weight" in net.state_dict()
    assert not net.rand_weight.requires_grad
    before = net.rand_weight.clone()
    out = net(torch.rand(2, 20))
    out.backward()
    assert net.linear.weight.grad is not None
    torch.optim.SGD(net.parameters(), lr=1.0).step()
    assert torch.equal(net.rand_weight, before)


@settings(max_examples=25, deadline=None)
@given(st.floats(-1e3, 1e3, allow_nan=False), st.integers(1, 4))
def test_fixed_hidden_mlp_output_is_a_scalar_at_most_one_in_absolute_sum(scale, batch):
    torch.manual_seed(0)
    net = FixedHiddenMLP()
    X = torch.rand(batch, 20) * scale
    output = net(X)
    assert output.shape == torch.Size([])
    # 与按定义一步步写出的参考实现比较
    H = net.linear(X)
    H = F.relu(H @ net.rand_weight + 1)
    H = net.linear(H)
    while H.abs().sum() > 1:
        H = H / 2
    assert torch.allclose(output, H.sum())
    assert abs(output.item()) <= 1 + 1e-6


def test_nest_mlp_and_chimera():
    torch.manual_seed(0)
    nest = NestMLP()
    X = torch.rand(2, 20)
    assert torch.allclose(nest(X), nest.linear(nest.net(X)))
    chimera = nn.Sequential(NestMLP(), nn.Linear(16, 20), FixedHiddenMLP())
    assert chimera(X).shape == torch.Size([])
    names = [name for name, _ in chimera.named_parameters()]
    assert names[0] == "0.net.0.weight" and names[-1] == "2.linear.bias"
    assert "(linear): Linear(in_features=32, out_features=16, bias=True)" in str(chimera)


# ----- 错误的输入 -----


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((0,), ValueError, "num_inputs 应为正整数，实际得到 0"),
        ((20, -1), ValueError, "num_hiddens 应为正整数"),
        ((20, 256, 2.5), TypeError, "num_outputs 应为正整数，实际得到 float"),
        ((True,), TypeError, "num_inputs 应为正整数，实际得到 bool"),
    ],
)
def test_mlp_bad_sizes(args, error, message):
    with pytest.raises(error, match=message):
        MLP(*args)


def test_bad_inputs_to_forward():
    block = FixedHiddenMLP()
    with pytest.raises(ValueError, match=r"最后一维应有 20 个特征，实际形状为 \(2, 10\)"):
        block(torch.rand(2, 10))
    with pytest.raises(ValueError, match=r"实际形状为 \(\)"):
        block(torch.tensor(1.0))


@pytest.mark.parametrize("block", [MLP(), NestMLP()], ids=["MLP", "NestMLP"])
def test_forward_relies_on_the_first_linear_layer_for_the_input_shape(block):
    """这两个块的 forward 先调用 nn.Linear，输入的形状由它检查：报错给出输入和权重的形状。"""
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x10 and 20x"):
        block(torch.rand(2, 10))
    with pytest.raises(TypeError, match="must be Tensor, not list"):
        block([[0.0] * 20])
    with pytest.raises(RuntimeError, match="must have the same dtype, but got Long and Float"):
        block(torch.ones(2, 20, dtype=torch.int64))


def test_fixed_hidden_mlp_rejects_non_finite_input():
    X = torch.rand(2, 20)
    X[0, 0] = float("inf")
    with pytest.raises(ValueError, match="NaN 或无穷大"):
        FixedHiddenMLP()(X)


def test_my_sequential_rejects_classes_and_other_objects():
    message = r"参数 modules\[1\] 应为 nn.Module 的实例，实际得到类 ReLU 本身；请先实例化，例如写 ReLU\(\)"
    with pytest.raises(TypeError, match=message):
        MySequential(nn.Linear(2, 2), nn.ReLU)
    with pytest.raises(TypeError, match=r"参数 modules\[0\] 应为 nn.Module 的实例，实际得到 function"):
        MySequential(F.relu)


def test_check_functions_accept_good_values():
    X = torch.rand(2, 5)
    assert require_features(X, 5) is X
    assert require_features(torch.rand(5), 5).shape == (5,)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: require_features(torch.rand(2, 3), 4, "inputs"), ValueError, r"参数 inputs 的最后一维应有 4 个特征"),
        (lambda: require_features(torch.ones(2, 4, dtype=torch.int32), 4), TypeError, "浮点张量"),
    ],
)
def test_check_functions_reject_bad_values(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ----- 登记顺序与前向传播顺序 -----


def test_out_of_order_mlp_registers_in_assignment_order():
    net = OutOfOrderMLP()
    assert list(net._modules) == ["out", "hidden"]
    assert [name for name, _ in net.named_children()] == ["out", "hidden"]
    assert list(net.state_dict()) == ["out.weight", "out.bias", "hidden.weight", "hidden.bias"]
    assert next(iter(net.parameters())).shape == (10, 256)


def test_out_of_order_mlp_computes_the_same_as_mlp():
    torch.manual_seed(0)
    net, reference = OutOfOrderMLP(), MLP()
    reference.load_state_dict(net.state_dict())  # 按名字对应，与顺序无关
    X = torch.rand(5, 20)
    assert torch.equal(net(X), reference(X))
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        nn.Sequential(*net.children())(X)  # children() 的顺序是登记顺序：先 out


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [((0,), ValueError, "num_inputs 应为正整数"), ((20, 256, 1.5), TypeError, "num_outputs 应为正整数")],
)
def test_out_of_order_mlp_bad_sizes(args, error, message):
    with pytest.raises(error, match=message):
        OutOfOrderMLP(*args)
