"""lessons_src/cnn/channels.py 的测试；页面见 docs/cnn/channels.md。"""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from lessons_src.cnn.channels import (
    corr2d_multi_in,
    corr2d_multi_in_out,
    corr2d_multi_in_out_1x1,
)

SETTINGS = settings(max_examples=40, deadline=None)


@st.composite
def multi_channel(draw, *, one_by_one: bool = False):
    c_i, c_o = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    n_h, n_w = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    k_h, k_w = (1, 1) if one_by_one else (draw(st.integers(1, n_h)), draw(st.integers(1, n_w)))
    generator = torch.Generator().manual_seed(draw(st.integers(0, 2**31 - 1)))
    X = torch.randn(c_i, n_h, n_w, generator=generator, dtype=torch.float64)
    K = torch.randn(c_o, c_i, k_h, k_w, generator=generator, dtype=torch.float64)
    return X, K


@SETTINGS
@given(multi_channel())
def test_multi_in_out_matches_f_conv2d(data):
    X, K = data
    expected = F.conv2d(X[None], K)[0]
    assert torch.allclose(corr2d_multi_in_out(X, K), expected, atol=1e-12)
    # 每个输出通道就是一次多输入互相关
    for o in range(K.shape[0]):
        assert torch.allclose(corr2d_multi_in(X, K[o]), expected[o], atol=1e-12)


@SETTINGS
@given(multi_channel(one_by_one=True))
def test_1x1_matches_general_function_conv_and_per_pixel_linear(data):
    X, K = data
    Y = corr2d_multi_in_out_1x1(X, K)
    assert torch.allclose(Y, corr2d_multi_in_out(X, K), atol=1e-12)
    assert torch.allclose(Y, F.conv2d(X[None], K)[0], atol=1e-12)
    per_pixel = torch.einsum("oc,chw->ohw", K[:, :, 0, 0], X)
    assert torch.allclose(Y, per_pixel, atol=1e-12)


def test_known_example():
    X = torch.stack([torch.arange(9.0).reshape(3, 3), torch.arange(1.0, 10.0).reshape(3, 3)])
    K = torch.tensor([[[0.0, 1.0], [2.0, 3.0]], [[1.0, 2.0], [3.0, 4.0]]])
    assert torch.equal(corr2d_multi_in(X, K), torch.tensor([[56.0, 72.0], [104.0, 120.0]]))
    Y = corr2d_multi_in_out(X, torch.stack((K, K + 1, K + 2)))
    assert Y.shape == (3, 2, 2)
    assert torch.equal(Y[1], torch.tensor([[76.0, 100.0], [148.0, 172.0]]))


def test_1x1_equals_nn_linear_applied_to_every_pixel():
    torch.manual_seed(0)
    X = torch.randn(3, 4, 5)
    dense = nn.Linear(3, 2, bias=False)
    K = dense.weight.detach().reshape(2, 3, 1, 1)
    Y = dense(X.permute(1, 2, 0)).permute(2, 0, 1)
    assert torch.allclose(corr2d_multi_in_out_1x1(X, K), Y, atol=1e-6)


# ----- 错误的输入 -----


def test_channel_mismatch_is_rejected():
    with pytest.raises(ValueError, match="X 有 3 个输入通道，K 却有 2 个"):
        corr2d_multi_in(torch.ones(3, 4, 4), torch.ones(2, 2, 2))
    with pytest.raises(ValueError, match="X 有 3 个输入通道，K 的第 1 维却是 2"):
        corr2d_multi_in_out(torch.ones(3, 4, 4), torch.ones(5, 2, 2, 2))
    with pytest.raises(ValueError, match="X 有 3 个输入通道，K 的第 1 维却是 2"):
        corr2d_multi_in_out_1x1(torch.ones(3, 4, 4), torch.ones(5, 2, 1, 1))
    with pytest.raises(ValueError, match="至少要有 1 个输入通道"):
        corr2d_multi_in(torch.ones(0, 4, 4), torch.ones(0, 2, 2))


def test_wrong_ranks_are_rejected():
    with pytest.raises(ValueError, match=r"参数 X 应为 3 维张量，实际形状为 \(4, 4\)"):
        corr2d_multi_in(torch.ones(4, 4), torch.ones(1, 2, 2))
    with pytest.raises(ValueError, match="参数 K 应为 3 维张量"):
        corr2d_multi_in(torch.ones(1, 4, 4), torch.ones(1, 1, 2, 2))
    with pytest.raises(ValueError, match="参数 K 应为 4 维张量"):
        corr2d_multi_in_out(torch.ones(1, 4, 4), torch.ones(1, 2, 2))
    with pytest.raises(ValueError, match="参数 X 应为 3 维张量"):
        corr2d_multi_in_out(torch.ones(1, 1, 4, 4), torch.ones(1, 1, 2, 2))
    with pytest.raises(TypeError, match="参数 X 应为 torch.Tensor"):
        corr2d_multi_in_out_1x1([[[1.0]]], torch.ones(1, 1, 1, 1))


def test_1x1_rejects_larger_kernels_and_kernel_too_large():
    with pytest.raises(ValueError, match=r"K 的后两维应为 \(1, 1\)"):
        corr2d_multi_in_out_1x1(torch.ones(2, 4, 4), torch.ones(3, 2, 3, 3))
    with pytest.raises(ValueError, match="不大于输入"):
        corr2d_multi_in_out(torch.ones(2, 2, 2), torch.ones(1, 2, 3, 3))
