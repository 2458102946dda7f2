"""lessons_src/cnn/why_conv.py 的测试；页面见 docs/cnn/why-conv.md。"""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from lessons_src.cnn.why_conv import (
    conv_as_dense_weight,
    conv_by_matmul,
    dense_hidden,
    hidden_layer_param_counts,
)

SETTINGS = settings(max_examples=40, deadline=None)


def n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@SETTINGS
@given(st.integers(1, 9), st.integers(1, 9), st.integers(0, 3))
def test_param_counts_match_real_layers(h, w, delta):
    if delta >= max(h, w):
        return
    counts = hidden_layer_param_counts(h, w, delta)
    dense = nn.Linear(h * w, h * w)
    shift_only = nn.Conv2d(1, 1, kernel_size=(2 * h - 1, 2 * w - 1), padding=(h - 1, w - 1))
    local = nn.Conv2d(1, 1, kernel_size=2 * delta + 1, padding=delta)
    assert counts == {
        "全连接": n_params(dense),
        "平移不变性": n_params(shift_only),
        "平移不变性 + 局部性": n_params(local),
    }
    X = torch.zeros(1, 1, h, w)
    assert shift_only(X).shape == local(X).shape == X.shape


def test_param_counts_for_a_megapixel_image():
    counts = hidden_layer_param_counts(1000, 1000, 5)
    assert counts["全连接"] == 10**12 + 10**6
    assert counts["平移不变性"] == 1999 * 1999 + 1
    assert counts["平移不变性 + 局部性"] == 122


@SETTINGS
@given(st.integers(1, 6), st.integers(1, 6), st.sampled_from([1, 3, 5]), st.sampled_from([1, 3]), st.integers(0, 1000))
def test_dense_weight_reproduces_padded_convolution(h, w, k_h, k_w, seed):
    generator = torch.Generator().manual_seed(seed)
    V = torch.randn(k_h, k_w, generator=generator, dtype=torch.float64)
    X = torch.randn(h, w, generator=generator, dtype=torch.float64)
    W = conv_as_dense_weight(V, h, w)
    assert W.shape == (h, w, h, w)
    expected = F.conv2d(X[None, None], V[None, None], padding=(k_h // 2, k_w // 2))[0, 0]
    assert torch.allclose(dense_hidden(W, X), expected, atol=1e-12)
    # 展平成普通全连接层的矩阵，结果一样
    assert torch.allclose((W.reshape(h * w, h * w) @ X.reshape(-1)).reshape(h, w), expected, atol=1e-12)


def test_dense_weight_is_mostly_zero_and_shared():
    V = torch.arange(1.0, 10.0).reshape(3, 3)
    W = conv_as_dense_weight(V, 4, 5)
    assert int((W != 0).sum()) == 130
    assert torch.equal(W[2, 2, 1:4, 1:4], V)
    assert torch.equal(W[1, 1, 0:3, 0:3], V)
    assert torch.equal(W[0, 0, :2, :2], V[1:, 1:])


def test_dense_hidden_matches_einsum_free_loop():
    torch.manual_seed(0)
    W = torch.randn(2, 3, 2, 3)
    X = torch.randn(2, 3)
    expected = torch.tensor([[float((W[i, j] * X).sum()) for j in range(3)] for i in range(2)])
    assert torch.allclose(dense_hidden(W, X), expected, atol=1e-6)


# ----- 错误的输入 -----


def test_bad_param_count_arguments():
    with pytest.raises(ValueError, match="参数 height 应为正整数，实际得到 0"):
        hidden_layer_param_counts(0, 5, 1)
    with pytest.raises(TypeError, match="参数 height 应为正整数，实际得到 float"):
        hidden_layer_param_counts(5.0, 5, 1)
    with pytest.raises(ValueError, match="参数 width 应为正整数，实际得到 -2"):
        hidden_layer_param_counts(5, -2, 1)
    with pytest.raises(ValueError, match="参数 delta 应为不小于 0 的整数，实际得到 -1"):
        hidden_layer_param_counts(5, 5, -1)
    with pytest.raises(TypeError, match="参数 delta 应为整数，实际得到 bool"):
        hidden_layer_param_counts(5, 5, True)
    with pytest.raises(ValueError, match="应小于图像的高和宽中较大的一个 5"):
        hidden_layer_param_counts(5, 3, 5)


def test_bad_dense_weight_arguments():
    with pytest.raises(ValueError, match="奇数"):
        conv_as_dense_weight(torch.ones(2, 3), 4, 4)
    with pytest.raises(ValueError, match="2 维张量"):
        conv_as_dense_weight(torch.ones(3), 4, 4)
    with pytest.raises(TypeError, match="浮点张量"):
        conv_as_dense_weight(torch.ones(3, 3, dtype=torch.int64), 4, 4)
    with pytest.raises(ValueError, match="参数 height 应为正整数，实际得到 0"):
        conv_as_dense_weight(torch.ones(3, 3), 0, 4)
    with pytest.raises(TypeError, match="参数 width 应为正整数，实际得到 str"):
        conv_as_dense_weight(torch.ones(3, 3), 4, "4")
    with pytest.raises(ValueError, match=r"W 的后两维 \(2, 2\) 应与 X 的形状 \(3, 3\) 相同"):
        dense_hidden(torch.ones(3, 3, 2, 2), torch.ones(3, 3))
    with pytest.raises(ValueError, match="4 维张量"):
        dense_hidden(torch.ones(9, 9), torch.ones(3, 3))


# ----- conv_by_matmul -----


@pytest.mark.parametrize(
    ("n", "h", "w", "k_h", "k_w"), [(1, 4, 5, 3, 3), (3, 7, 6, 5, 3), (2, 2, 2, 5, 5), (1, 3, 3, 1, 1)]
)
def test_conv_by_matmul_matches_conv2d_and_dense_weight(n, h, w, k_h, k_w):
    torch.manual_seed(0)
    X, V = torch.randn(n, h, w, dtype=torch.float64), torch.randn(k_h, k_w, dtype=torch.float64)
    H = conv_by_matmul(X, V)
    reference = F.conv2d(X[:, None], V[None, None], padding=(k_h // 2, k_w // 2))[:, 0]
    assert H.shape == (n, h, w)
    assert torch.allclose(H, reference)
    W = conv_as_dense_weight(V, h, w)
    assert torch.allclose(H[0], dense_hidden(W, X[0]))


def test_conv_by_matmul_bad_input():
    with pytest.raises(ValueError, match=r"参数 X 应为 3 维张量，实际形状为 \(1, 1, 4, 4\)"):
        conv_by_matmul(torch.zeros(1, 1, 4, 4), torch.zeros(3, 3))
    with pytest.raises(ValueError, match="卷积核 V 的高和宽应为奇数 2Δ\\+1，实际形状为 \\(2, 3\\)"):
        conv_by_matmul(torch.zeros(1, 4, 4), torch.zeros(2, 3))
    with pytest.raises(TypeError, match="参数 V 应为浮点张量"):
        conv_by_matmul(torch.zeros(1, 4, 4), torch.ones(3, 3, dtype=torch.long))
