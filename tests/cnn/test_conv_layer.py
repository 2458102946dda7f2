"""lessons_src/cnn/conv_layer.py 的测试；页面见 docs/cnn/conv-layer.md。"""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal
from torch import nn

from lessons_src.cnn.conv_layer import (
    Conv2D,
    corr2d,
    learn_kernel,
    merge_conv2d,
    receptive_field,
    require_dims,
    to_pair,
)

SETTINGS = settings(max_examples=60, deadline=None)


def edge_image() -> torch.Tensor:
    X = torch.ones(6, 8)
    X[:, 2:6] = 0
    return X


@st.composite
def input_and_kernel(draw):
    n_h, n_w = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    k_h, k_w = draw(st.integers(1, n_h)), draw(st.integers(1, n_w))
    generator = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    X = torch.randn(n_h, n_w, generator=generator, dtype=torch.float64)
    K = torch.randn(k_h, k_w, generator=generator, dtype=torch.float64)
    return X, K


@SETTINGS
@given(input_and_kernel())
def test_corr2d_matches_f_conv2d(pair):
    X, K = pair
    expected = F.conv2d(X[None, None], K[None, None])[0, 0]
    Y = corr2d(X, K)
    assert Y.shape == (X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1)
    assert Y.dtype == torch.float64
    assert torch.allclose(Y, expected, atol=1e-12)


@SETTINGS
@given(input_and_kernel())
def test_corr2d_is_scipy_correlation_and_flipped_kernel_gives_convolution(pair):
    X, K = pair
    correlation = torch.from_numpy(signal.correlate2d(X.numpy(), K.numpy(), mode="valid"))
    convolution = torch.from_numpy(signal.convolve2d(X.numpy(), K.numpy(), mode="valid"))
    assert torch.allclose(corr2d(X, K), correlation, atol=1e-12)
    assert torch.allclose(corr2d(X, K.flip(0, 1)), convolution, atol=1e-12)


def test_corr2d_known_example():
    X = torch.arange(9.0).reshape(3, 3)
    K = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
    assert torch.equal(corr2d(X, K), torch.tensor([[19.0, 25.0], [37.0, 43.0]]))


def test_corr2d_gradients_match_f_conv2d():
    torch.manual_seed(0)
    X = torch.randn(5, 6, requires_grad=True)
    K = torch.randn(2, 3, requires_grad=True)
    corr2d(X, K).sum().backward()
    X_ref = X.detach().clone().requires_grad_(True)
    K_ref = K.detach().clone().requires_grad_(True)
    F.conv2d(X_ref[None, None], K_ref[None, None]).sum().backward()
    assert torch.allclose(X.grad, X_ref.grad, atol=1e-6)
    assert torch.allclose(K.grad, K_ref.grad, atol=1e-6)


def test_edge_detection():
    X = edge_image()
    K = torch.tensor([[1.0, -1.0]])
    Y = corr2d(X, K)
    expected = torch.zeros(6, 7)
    expected[:, 1] = 1
    expected[:, 5] = -1
    assert torch.equal(Y, expected)
    assert torch.equal(corr2d(X.t(), K), torch.zeros(8, 5))
    assert torch.equal(corr2d(X.t(), K.t()), expected.t())


def test_conv2d_layer_registers_parameters_and_matches_nn_conv2d():
    torch.manual_seed(0)
    layer = Conv2D(3)
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    assert layer.weight.shape == (3, 3) and torch.equal(layer.bias.detach(), torch.zeros(1))
    assert ((layer.weight >= 0) & (layer.weight < 1)).all()
    reference = nn.Conv2d(1, 1, 3)
    with torch.no_grad():
        reference.weight.copy_(layer.weight[None, None])
        layer.bias.fill_(-0.25)
        reference.bias.fill_(-0.25)
    X = torch.randn(6, 5)
    assert torch.allclose(layer(X), reference(X[None, None])[0, 0], atol=1e-6)


def test_conv2d_layer_gradients_match_nn_conv2d():
    torch.manual_seed(1)
    X = edge_image()
    Y = corr2d(X, torch.tensor([[1.0, -1.0]]))
    layer = Conv2D((1, 2))
    reference = nn.Conv2d(1, 1, (1, 2))
    with torch.no_grad():
        reference.weight.copy_(layer.weight[None, None])
        reference.bias.copy_(layer.bias)
    ((layer(X) - Y) ** 2).sum().backward()
    ((reference(X[None, None])[0, 0] - Y) ** 2).sum().backward()
    assert torch.allclose(layer.weight.grad, reference.weight.grad[0, 0], atol=1e-5)
    assert torch.allclose(layer.bias.grad, reference.bias.grad, atol=1e-5)


def test_learn_kernel_recovers_the_edge_detector():
    X = edge_image()
    K = torch.tensor([[1.0, -1.0]])
    torch.manual_seed(0)
    conv, losses = learn_kernel(X, corr2d(X, K), (1, 2), num_epochs=10, lr=3e-2)
    assert isinstance(conv, nn.Conv2d) and conv.bias is None
    assert len(losses) == 10 and losses[-1] < losses[0]
    assert torch.allclose(conv.weight.detach().reshape(1, 2), K, atol=0.05)

    torch.manual_seed(0)
    conv, _ = learn_kernel(X.t(), corr2d(X.t(), K.t()), (2, 1), num_epochs=30)
    assert torch.allclose(conv.weight.detach().reshape(2, 1), K.t(), atol=0.05)


def test_learn_kernel_keeps_float64():
    X = edge_image().double()
    conv, _ = learn_kernel(X, corr2d(X, torch.tensor([[1.0, -1.0]], dtype=torch.float64)), (1, 2), num_epochs=2)
    assert conv.weight.dtype == torch.float64


def test_receptive_field_known_values():
    assert receptive_field([1]) == 1
    assert receptive_field([3]) == 3
    assert receptive_field([2, 2]) == 3
    assert receptive_field([3, 3, 3]) == 7
    assert receptive_field((5, 2, 5, 2), strides=(1, 2, 1, 2)) == 16


@SETTINGS
@given(st.lists(st.tuples(st.integers(1, 4), st.integers(1, 3)), min_size=1, max_size=3))
def test_receptive_field_matches_autograd(layers):
    kernels = [k for k, _ in layers]
    strides = [s for _, s in layers]
    r = receptive_field(kernels, strides)
    convs = [nn.Conv2d(1, 1, k, stride=s, bias=False) for k, s in layers]
    for conv in convs:
        nn.init.ones_(conv.weight)
    X = torch.zeros(1, 1, r + 3, r + 3, requires_grad=True)
    nn.Sequential(*convs)(X)[0, 0, 0, 0].backward()
    rows, cols = (X.grad[0, 0] != 0).nonzero(as_tuple=True)
    assert (int(rows.max()) + 1, int(cols.max()) + 1) == (r, r)
    assert int(rows.min()) == int(cols.min()) == 0


def test_helpers():
    assert to_pair(2, "k") == (2, 2)
    assert to_pair([1, 3], "k") == (1, 3)
    assert to_pair((0, 0), "p", minimum=0) == (0, 0)
    X = torch.zeros(1, 2, 3)
    assert require_dims(X, "X", 3) is X


# ----- 错误的输入 -----


def test_corr2d_rejects_bad_input():
    with pytest.raises(TypeError, match="参数 X 应为 torch.Tensor，实际得到 list"):
        corr2d([[1.0]], torch.ones(1, 1))
    with pytest.raises(TypeError, match="参数 K 应为浮点张量"):
        corr2d(torch.ones(2, 2), torch.ones(1, 1, dtype=torch.int64))
    with pytest.raises(ValueError, match=r"参数 X 应为 2 维张量，实际形状为 \(1, 3, 3\)"):
        corr2d(torch.ones(1, 3, 3), torch.ones(2, 2))
    with pytest.raises(ValueError, match=r"参数 K 应为 2 维张量"):
        corr2d(torch.ones(3, 3), torch.ones(2))
    with pytest.raises(ValueError, match=r"卷积核 K 的形状 \(3, 3\) 应非空且不大于输入 X 的形状 \(2, 2\)"):
        corr2d(torch.ones(2, 2), torch.ones(3, 3))
    with pytest.raises(ValueError, match="不大于输入"):
        corr2d(torch.ones(4, 2), torch.ones(1, 3))
    with pytest.raises(ValueError, match="应非空"):
        corr2d(torch.ones(4, 4), torch.ones(0, 2))


@pytest.mark.parametrize(
    ("kernel_size", "error", "message"),
    [
        (0, ValueError, "参数 kernel_size 应为不小于 1 的整数，实际得到 0"),
        ((2, -1), ValueError, r"参数 kernel_size\[1\] 应为不小于 1 的整数，实际得到 -1"),
        ("3", TypeError, "参数 kernel_size 应为整数，实际得到 str"),
        ((1, 2, 3), TypeError, "整数或 \\(高, 宽\\) 二元组"),
        ((1.0, 2), TypeError, r"参数 kernel_size\[0\] 应为整数，实际得到 float"),
        (True, TypeError, "参数 kernel_size 应为整数，实际得到 bool"),
    ],
)
def test_bad_kernel_size(kernel_size, error, message):
    with pytest.raises(error, match=message):
        Conv2D(kernel_size)


def test_learn_kernel_rejects_bad_input():
    X = edge_image()
    Y = corr2d(X, torch.tensor([[1.0, -1.0]]))
    with pytest.raises(ValueError, match=r"输出 Y 的形状应为 \(5, 8\)，实际为 \(6, 7\)"):
        learn_kernel(X, Y, (2, 1))
    with pytest.raises(ValueError, match="num_epochs 应为正整数"):
        learn_kernel(X, Y, (1, 2), num_epochs=0)
    with pytest.raises(ValueError, match="lr 应为正数"):
        learn_kernel(X, Y, (1, 2), lr=-0.1)
    with pytest.raises(TypeError, match="lr 应为实数"):
        learn_kernel(X, Y, (1, 2), lr="0.1")
    with pytest.raises(ValueError, match="2 维张量"):
        learn_kernel(X[None], Y, (1, 2))


def test_receptive_field_rejects_bad_input():
    with pytest.raises(TypeError, match="非空的整数列表"):
        receptive_field([])
    with pytest.raises(TypeError, match="非空的整数列表"):
        receptive_field(3)
    with pytest.raises(ValueError, match="等长"):
        receptive_field([3, 3], strides=[1])
    with pytest.raises(ValueError, match=r"参数 kernel_sizes\[1\] 应为正整数，实际得到 0"):
        receptive_field([3, 0])
    with pytest.raises(TypeError, match=r"参数 kernel_sizes\[0\] 应为正整数，实际得到 bool"):
        receptive_field([True, 3])
    with pytest.raises(ValueError, match=r"参数 strides\[1\] 应为正整数，实际得到 0"):
        receptive_field([3, 3], strides=[1, 0])


# ----- merge_conv2d -----


@pytest.mark.parametrize(
    ("c_i", "c_m", "c_o", "k1", "k2", "bias"),
    [(1, 1, 1, 3, 2, True), (3, 4, 2, 3, 3, True), (2, 5, 3, (1, 3), (2, 1), False), (1, 2, 1, 1, 1, True)],
)
def test_merge_conv2d_equals_two_layers(c_i, c_m, c_o, k1, k2, bias):
    torch.manual_seed(0)
    first = nn.Conv2d(c_i, c_m, kernel_size=k1, bias=bias)
    second = nn.Conv2d(c_m, c_o, kernel_size=k2)
    merged = merge_conv2d(first, second)
    k1, k2 = to_pair(k1, "k1"), to_pair(k2, "k2")
    assert merged.kernel_size == (k1[0] + k2[0] - 1, k1[1] + k2[1] - 1)
    assert (merged.in_channels, merged.out_channels) == (c_i, c_o)
    X = torch.randn(2, c_i, 9, 8)
    with torch.no_grad():
        assert torch.allclose(merged(X), second(first(X)), atol=1e-5)


def test_merge_conv2d_kernel_is_full_convolution_and_commutes_for_one_channel():
    torch.manual_seed(0)
    first, second = nn.Conv2d(1, 1, 3), nn.Conv2d(1, 1, 2)
    K1, K2 = first.weight.detach()[0, 0].double(), second.weight.detach()[0, 0].double()
    full = torch.from_numpy(signal.convolve2d(K1.numpy(), K2.numpy(), mode="full"))
    merged = merge_conv2d(first, second)
    assert torch.allclose(merged.weight.detach()[0, 0].double(), full, atol=1e-6)
    swapped = nn.Conv2d(1, 1, 2, bias=False), nn.Conv2d(1, 1, 3, bias=False)
    with torch.no_grad():
        swapped[0].weight.copy_(second.weight)
        swapped[1].weight.copy_(first.weight)
    assert torch.allclose(merge_conv2d(*swapped).weight, merged.weight, atol=1e-6)
    assert merged.weight.requires_grad  # 合并的层是普通的、可训练的卷积层


def test_merge_conv2d_bias_formula():
    first, second = nn.Conv2d(1, 2, 1), nn.Conv2d(2, 1, 2)
    with torch.no_grad():
        first.weight.zero_()
        first.bias.copy_(torch.tensor([1.0, 2.0]))
        second.weight.fill_(0.5)
        second.bias.fill_(3.0)
    merged = merge_conv2d(first, second)
    # 常数 1 和 2 各经过 4 个 0.5 的和 2：3 + 1·2 + 2·2 = 9
    assert merged.bias.item() == 9.0


def test_merge_conv2d_bad_input():
    with pytest.raises(TypeError, match="参数 first 应为 nn.Conv2d，实际得到 Linear"):
        merge_conv2d(nn.Linear(2, 2), nn.Conv2d(1, 1, 3))
    with pytest.raises(ValueError, match="参数 first 应为步幅 1、不填充.*padding=\\(1, 1\\)"):
        merge_conv2d(nn.Conv2d(1, 1, 3, padding=1), nn.Conv2d(1, 1, 3))
    with pytest.raises(ValueError, match="参数 second 应为步幅 1.*stride=\\(2, 2\\)"):
        merge_conv2d(nn.Conv2d(1, 1, 3), nn.Conv2d(1, 1, 3, stride=2))
    with pytest.raises(ValueError, match="second 的输入通道数 3 应等于 first 的输出通道数 2"):
        merge_conv2d(nn.Conv2d(1, 2, 3), nn.Conv2d(3, 1, 3))
