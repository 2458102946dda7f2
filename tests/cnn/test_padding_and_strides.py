"""lessons_src/cnn/padding_and_strides.py 的测试；页面见 docs/cnn/padding-and-strides.md。"""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from torch import nn

from lessons_src.cnn.padding_and_strides import (
    comp_conv2d,
    conv_output_shape,
    corr2d_pad_stride,
)

SETTINGS = settings(max_examples=150, deadline=None)


@st.composite
def conv_config(draw, *, pool: bool = False):
    """随机的 (输入大小, 卷积核, PyTorch 的每侧填充, 步幅)，保证窗口至少放得下一次。"""
    kernel = (draw(st.integers(1, 6)), draw(st.integers(1, 6)))
    if pool:  # PyTorch 的汇聚层要求每侧填充不超过窗口的一半
        padding = (draw(st.integers(0, kernel[0] // 2)), draw(st.integers(0, kernel[1] // 2)))
    else:
        padding = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
    size = tuple(
        draw(st.integers(max(1, k - 2 * p), 20)) for k, p in zip(kernel, padding)
    )
    stride = (draw(st.integers(1, 5)), draw(st.integers(1, 5)))
    return size, kernel, padding, stride


def total(padding):
    return (2 * padding[0], 2 * padding[1])


@SETTINGS
@given(conv_config())
def test_formula_matches_f_conv2d(config):
    size, kernel, padding, stride = config
    X = torch.zeros(1, 1, *size)
    weight = torch.zeros(1, 1, *kernel)
    expected = tuple(F.conv2d(X, weight, padding=padding, stride=stride).shape[2:])
    assert conv_output_shape(size, kernel, total_padding=total(padding), stride=stride) == expected


@SETTINGS
@given(conv_config(pool=True))
def test_formula_matches_max_and_avg_pooling(config):
    size, kernel, padding, stride = config
    X = torch.zeros(1, 1, *size)
    formula = conv_output_shape(size, kernel, total_padding=total(padding), stride=stride)
    assert tuple(F.max_pool2d(X, kernel, stride=stride, padding=padding).shape[2:]) == formula
    assert tuple(F.avg_pool2d(X, kernel, stride=stride, padding=padding).shape[2:]) == formula


@SETTINGS
@given(st.integers(1, 12), st.integers(1, 5), st.integers(0, 5), st.integers(1, 4))
def test_odd_total_padding_matches_asymmetric_f_pad(n, k, p_total, s):
    assume(k <= n + p_total)
    X = torch.zeros(1, 1, n, n)
    top = p_total // 2
    padded = F.pad(X, (top, p_total - top, top, p_total - top))  # 左、右、上、下
    expected = tuple(F.conv2d(padded, torch.zeros(1, 1, k, k), stride=s).shape[2:])
    assert conv_output_shape(n, k, total_padding=p_total, stride=s) == expected


def test_special_cases_from_the_text():
    # p = k - 1 时输出为 floor((n + s - 1) / s)；n 能被 s 整除时就是 n / s
    for n in range(1, 15):
        for k in (1, 3, 5):
            for s in (1, 2, 3):
                assert conv_output_shape(n, k, total_padding=k - 1, stride=s)[0] == (n + s - 1) // s
                if n % s == 0:
                    assert conv_output_shape(n, k, total_padding=k - 1, stride=s)[0] == n // s
    assert conv_output_shape(8, 3) == (6, 6)


@SETTINGS
@given(conv_config(), st.integers(0, 1000))
def test_corr2d_pad_stride_matches_f_conv2d(config, seed):
    size, kernel, padding, stride = config
    generator = torch.Generator().manual_seed(seed)
    X = torch.randn(*size, generator=generator, dtype=torch.float64)
    K = torch.randn(*kernel, generator=generator, dtype=torch.float64)
    expected = F.conv2d(X[None, None], K[None, None], padding=padding, stride=stride)[0, 0]
    assert torch.allclose(corr2d_pad_stride(X, K, padding=padding, stride=stride), expected, atol=1e-12)


def test_comp_conv2d_returns_the_output_height_and_width():
    X = torch.rand(8, 8)
    shape = comp_conv2d(nn.Conv2d(1, 1, kernel_size=3, padding=1), X)
    assert isinstance(shape, torch.Size) and shape == (8, 8)
    assert comp_conv2d(nn.Conv2d(1, 1, kernel_size=(5, 3), padding=(2, 1)), X) == (8, 8)
    assert comp_conv2d(nn.Conv2d(1, 1, kernel_size=(3, 5), padding=(0, 1), stride=(3, 4)), X) == (2, 2)
    assert comp_conv2d(nn.Conv2d(1, 4, kernel_size=3), X) == (6, 6)
    assert comp_conv2d(nn.MaxPool2d(3, padding=1, stride=2), X) == (4, 4)


# ----- 错误的输入 -----


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"input_size": 4, "kernel_size": 7, "total_padding": 2}, ValueError,
         r"卷积核 \(7, 7\) 大于填充后的输入 \(6, 6\)"),
        ({"input_size": (9, 3), "kernel_size": (3, 4)}, ValueError, "大于填充后的输入"),
        ({"input_size": 8, "kernel_size": 3, "stride": 0}, ValueError, "参数 stride 应为不小于 1 的整数，实际得到 0"),
        ({"input_size": 8, "kernel_size": 3, "stride": (1, -2)}, ValueError, r"参数 stride\[1\] 应为不小于 1 的整数"),
        ({"input_size": 8, "kernel_size": 3, "total_padding": -1}, ValueError, "total_padding 应为不小于 0 的整数"),
        ({"input_size": 0, "kernel_size": 1}, ValueError, "input_size 应为不小于 1 的整数"),
        ({"input_size": 8, "kernel_size": 0}, ValueError, "kernel_size 应为不小于 1 的整数"),
        ({"input_size": 8, "kernel_size": 2.5}, TypeError, "参数 kernel_size 应为整数，实际得到 float"),
        ({"input_size": 8, "kernel_size": (2, 2.0)}, TypeError, r"参数 kernel_size\[1\] 应为整数，实际得到 float"),
        ({"input_size": 8, "kernel_size": (2, 2, 2)}, TypeError, r"kernel_size 应为整数或 \(高, 宽\) 二元组"),
        ({"input_size": 8, "kernel_size": 3, "stride": True}, TypeError, "参数 stride 应为整数，实际得到 bool"),
    ],
)
def test_conv_output_shape_rejects_bad_configs(kwargs, error, message):
    with pytest.raises(error, match=message):
        conv_output_shape(**kwargs)


def test_comp_conv2d_rejects_bad_input():
    with pytest.raises(TypeError, match="conv2d 应为 nn.Module"):
        comp_conv2d(lambda x: x, torch.rand(4, 4))
    with pytest.raises(ValueError, match="只有 1 个输入通道，实际 in_channels=3"):
        comp_conv2d(nn.Conv2d(3, 1, 3), torch.rand(4, 4))
    with pytest.raises(ValueError, match="2 维张量"):
        comp_conv2d(nn.Conv2d(1, 1, 3), torch.rand(1, 4, 4))


def test_corr2d_pad_stride_rejects_bad_input():
    with pytest.raises(ValueError, match="大于填充后的输入"):
        corr2d_pad_stride(torch.ones(2, 2), torch.ones(5, 5), padding=1)
    with pytest.raises(ValueError, match="stride 应为不小于 1 的整数"):
        corr2d_pad_stride(torch.ones(4, 4), torch.ones(2, 2), stride=0)
    with pytest.raises(ValueError, match="padding 应为不小于 0 的整数"):
        corr2d_pad_stride(torch.ones(4, 4), torch.ones(2, 2), padding=-1)
    with pytest.raises(ValueError, match="2 维张量"):
        corr2d_pad_stride(torch.ones(4), torch.ones(2, 2))
    with pytest.raises(TypeError, match="浮点张量"):
        corr2d_pad_stride(torch.ones(4, 4, dtype=torch.int32), torch.ones(2, 2))
