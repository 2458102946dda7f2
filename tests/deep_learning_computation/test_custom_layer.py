"""lessons_src/deep_learning_computation/custom_layer.py 的测试；
页面见 docs/deep-learning-computation/custom-layer.md。
"""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from torch import nn

from lessons_src.deep_learning_computation.custom_layer import (
    CenteredLayer,
    MyDictDense,
    MyLinear,
    MyListDense,
    Reshape,
)


@settings(max_examples=30, deadline=None)
@given(hnp.arrays("float64", hnp.array_shapes(min_dims=1, max_dims=3, max_side=5), elements=st.floats(-1e3, 1e3)))
def test_centered_layer_has_zero_mean(array):
    X = torch.from_numpy(array)
    Y = CenteredLayer()(X)
    assert Y.shape == X.shape
    assert abs(Y.mean().item()) < 1e-9
    assert torch.allclose(Y, X - X.mean())


def test_centered_layer_has_no_parameters_and_passes_gradients():
    layer = CenteredLayer()
    assert list(layer.parameters()) == []
    X = torch.rand(3, 4, requires_grad=True)
    layer(X).pow(2).sum().backward()
    reference = X.detach().clone().requires_grad_(True)
    (reference - reference.mean()).pow(2).sum().backward()
    assert torch.allclose(X.grad, reference.grad)


def test_my_linear_matches_nn_linear():
    torch.manual_seed(0)
    mine = MyLinear(5, 3)
    reference = nn.Linear(5, 3)
    with torch.no_grad():
        reference.weight.copy_(mine.weight.T)  # nn.Linear 存的是转置
        reference.bias.copy_(mine.bias)
    X = torch.rand(4, 5)
    assert torch.allclose(mine(X), reference(X), atol=1e-6)
    mine(X).sum().backward()
    reference(X).sum().backward()
    assert torch.allclose(mine.weight.grad, reference.weight.grad.T)
    assert torch.allclose(mine.bias.grad, reference.bias.grad)
    assert str(mine) == "MyLinear(in_units=5, units=3)"


def test_my_linear_learns_a_linear_function():
    torch.manual_seed(0)
    true_w, true_b = torch.tensor([[2.0], [-3.4]]), 4.2
    features = torch.randn(500, 2)
    labels = features @ true_w + true_b + 0.01 * torch.randn(500, 1)
    model = nn.Sequential(MyLinear(2, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(3):
        for indices in torch.randperm(500).split(25):
            loss = nn.functional.mse_loss(model(features[indices]), labels[indices])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    assert (model[0].weight - true_w).abs().max().item() < 0.05
    assert abs(model[0].bias.item() - true_b) < 0.05


def test_my_list_dense_returns_the_product():
    torch.manual_seed(0)
    net = MyListDense()
    x = torch.rand(3, 4)
    expected = x
    for weight in net.params:
        expected = expected @ weight
    output = net(x)
    assert output is not None and output.shape == (3, 1)
    assert torch.allclose(output, expected)
    assert [name for name, _ in net.named_parameters()] == ["params.0", "params.1", "params.2", "params.3"]
    output.sum().backward()
    assert all(param.grad is not None for param in net.parameters())


def test_my_dict_dense_branches():
    torch.manual_seed(0)
    net = MyDictDense()
    x = torch.rand(2, 4)
    assert len(list(net.named_parameters())) == 3
    for choice, width in [("linear1", 4), ("linear2", 1), ("linear3", 2)]:
        assert torch.allclose(net(x, choice), x @ net.params[choice])
        assert net(x, choice).shape == (2, width)
    assert torch.equal(net(x), net(x, "linear1"))
    net(x, "linear3").sum().backward()
    assert net.params["linear3"].grad is not None and net.params["linear1"].grad is None


def test_custom_layers_in_a_state_dict():
    keys = nn.Sequential(MyLinear(4, 4), MyDictDense()).state_dict().keys()
    assert list(keys) == ["0.weight", "0.bias", "1.params.linear1", "1.params.linear2", "1.params.linear3"]


# ----- 错误的输入 -----


def test_centered_layer_bad_input():
    with pytest.raises(TypeError, match="应为 torch.Tensor，实际得到 list"):
        CenteredLayer()([1.0, 2.0])
    with pytest.raises(TypeError, match="浮点张量"):
        CenteredLayer()(torch.tensor([1, 2]))
    with pytest.raises(ValueError, match="不能是空张量"):
        CenteredLayer()(torch.zeros(0))


def test_my_linear_bad_arguments():
    with pytest.raises(ValueError, match="in_units 应为正整数，实际得到 0"):
        MyLinear(0, 3)
    with pytest.raises(TypeError, match="units 应为正整数，实际得到 float"):
        MyLinear(5, 3.0)
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x4 and 5x3\)"):
        MyLinear(5, 3)(torch.rand(2, 4))  # 形状由矩阵乘法自己检查


def test_dense_layers_bad_arguments():
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x4\)"):
        MyListDense()(torch.rand(2, 3))  # 形状由矩阵乘法自己检查
    with pytest.raises(ValueError, match=r"choice 应为 \['linear1', 'linear2', 'linear3'\] 之一，实际得到 'linear4'"):
        MyDictDense()(torch.rand(2, 4), "linear4")
    with pytest.raises(TypeError, match="参数 choice 应为 str（参数的名字），实际得到 int"):
        MyDictDense()(torch.rand(2, 4), 1)


# ----- Reshape：让模型接受扁平的输入 -----


def test_reshape_keeps_the_batch_axis_and_matches_unflatten():
    X = torch.randn(5, 64)
    out = Reshape(1, 8, 8)(X)
    assert out.shape == (5, 1, 8, 8)
    assert torch.equal(out, nn.Unflatten(1, (1, 8, 8))(X))
    assert torch.equal(nn.Flatten()(out), X)
    assert Reshape(4, 16)(torch.randn(3, 8, 8)).shape == (3, 4, 16)  # 任意形状的样本都可以
    assert Reshape(64)(torch.randn(0, 1, 8, 8)).shape == (0, 64)  # 空批量也可以
    assert list(Reshape(1, 8, 8).parameters()) == []
    assert repr(Reshape(1, 8, 8)) == "Reshape(shape=(1, 8, 8))"


def test_reshape_lets_a_conv_net_take_flat_input_and_is_differentiable():
    torch.manual_seed(0)
    net = nn.Sequential(Reshape(1, 8, 8), nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(2 * 6 * 6, 3))
    X = torch.randn(4, 64, requires_grad=True)
    net(X).sum().backward()
    assert X.grad.shape == (4, 64)


@pytest.mark.parametrize(
    ("shape", "error", "message"),
    [
        ((), ValueError, "没有给出每个样本的目标形状"),
        ((1, 0, 8), ValueError, r"参数 shape（每个轴的长度）应为正整数，实际得到 0"),
        ((1, 8.0, 8), TypeError, r"参数 shape（每个轴的长度）应为正整数，实际得到 float"),
        (((1, 8, 8),), TypeError, "参数 shape（每个轴的长度）应为正整数"),
    ],
)
def test_reshape_rejects_bad_shapes(shape, error, message):
    with pytest.raises(error, match=message):
        Reshape(*shape)


@pytest.mark.parametrize(
    ("X", "error", "message"),
    [
        (torch.zeros(3, 63), ValueError, r"形状是 \(3, 63\)，每个样本有 63 个元素.*需要 64 个元素"),
        (torch.tensor(1.0), ValueError, "应带有批量轴"),
        ([[0.0] * 64], TypeError, "参数 X 应为 torch.Tensor"),
    ],
)
def test_reshape_rejects_bad_input(X, error, message):
    with pytest.raises(error, match=message):
        Reshape(1, 8, 8)(X)
