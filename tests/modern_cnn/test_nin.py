"""lessons_src/modern_cnn/nin.py 的测试；页面见 docs/modern-cnn/nin.md。"""

import re

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from lessons_src.cnn.lenet import count_parameters, layer_summary
from lessons_src.modern_cnn.alexnet import alexnet
from lessons_src.modern_cnn.nin import nin, nin_block


def meta(build, *args, **kwargs) -> nn.Module:
    with torch.device("meta"):
        return build(*args, **kwargs)


def nin_block_params(c_in: int, c_out: int, k: int) -> int:
    """k×k 卷积 + 两个 1×1 卷积：(k²·c_in·c_out + c_out) + 2·(c_out·c_out + c_out)。"""
    return (k * k * c_in * c_out + c_out) + 2 * (c_out * c_out + c_out)


@settings(max_examples=25, deadline=None)
@given(
    c_in=st.integers(1, 4),
    c_out=st.integers(1, 6),
    k=st.integers(1, 5),
    stride=st.integers(1, 3),
    padding=st.integers(0, 2),
    size=st.integers(5, 12),
)
def test_nin_block_shape_and_parameter_count(c_in, c_out, k, stride, padding, size):
    block = nin_block(c_in, c_out, kernel_size=k, stride=stride, padding=padding)
    assert count_parameters(block) == nin_block_params(c_in, c_out, k)
    side = (size + 2 * padding - k) // stride + 1
    Y = block(torch.rand(2, c_in, size, size))
    assert Y.shape == (2, c_out, side, side)
    assert (Y >= 0).all()  # 最后一层是 ReLU


def test_one_by_one_convolution_is_a_per_pixel_linear_layer():
    torch.manual_seed(0)
    block = nin_block(3, 5, kernel_size=3, stride=1, padding=1)
    conv = block[2]
    assert conv.kernel_size == (1, 1)
    X = torch.rand(2, 5, 4, 6)
    linear = nn.Linear(5, 5)
    with torch.no_grad():
        linear.weight.copy_(conv.weight.reshape(5, 5))
        linear.bias.copy_(conv.bias)
        expected = linear(X.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        assert torch.allclose(conv(X), expected, atol=1e-6)


def test_nin_table_at_224():
    rows = layer_summary(meta(nin), (1, 1, 224, 224))
    assert [(name, shape) for name, shape, _ in rows] == [
        ("Sequential", (1, 96, 54, 54)),
        ("MaxPool2d", (1, 96, 26, 26)),
        ("Sequential", (1, 256, 26, 26)),
        ("MaxPool2d", (1, 256, 12, 12)),
        ("Sequential", (1, 384, 12, 12)),
        ("MaxPool2d", (1, 384, 5, 5)),
        ("Dropout", (1, 384, 5, 5)),
        ("Sequential", (1, 10, 5, 5)),
        ("AdaptiveAvgPool2d", (1, 10, 1, 1)),
        ("Flatten", (1, 10)),
    ]


@pytest.mark.parametrize(("in_channels", "num_classes"), [(1, 10), (3, 1000)])
def test_parameter_count_matches_formula(in_channels, num_classes):
    expected = (
        nin_block_params(in_channels, 96, 11) + nin_block_params(96, 256, 5)
        + nin_block_params(256, 384, 3) + nin_block_params(384, num_classes, 3)
    )
    assert count_parameters(meta(nin, in_channels, num_classes)) == expected
    if (in_channels, num_classes) == (1, 10):
        assert expected == 1_992_166


def test_far_fewer_parameters_than_alexnet():
    assert count_parameters(meta(alexnet)) > 20 * count_parameters(meta(nin))
    assert not any(isinstance(m, nn.Linear) for m in nin().modules())


@pytest.mark.parametrize("size", [67, 96, 150, 224, 300])
def test_global_average_pooling_accepts_many_input_sizes(size):
    assert layer_summary(meta(nin), (2, 1, size, size))[-1][1] == (2, 10)


def test_output_is_channel_mean_of_the_last_block():
    torch.manual_seed(0)
    net = nin().eval()
    X = torch.rand(2, 1, 150, 150)
    with torch.no_grad():
        features = net[:-2](X)
        assert features.shape == (2, 10, 3, 3)  # 150×150 的输入到最后一个 NiN 块时是 3×3
        assert torch.allclose(net(X), features.mean(dim=(2, 3)), atol=1e-6)


# ----- 错误的输入 -----


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"in_channels": 0}, ValueError, "in_channels 应为正整数，实际得到 0"),
        ({"out_channels": -2}, ValueError, "out_channels 应为正整数"),
        ({"kernel_size": 0}, ValueError, "kernel_size 应为正整数"),
        ({"stride": 0}, ValueError, "stride 应为正整数"),
        ({"padding": -1}, ValueError, "padding 应为不小于 0 的整数，实际得到 -1"),
        ({"padding": 1.5}, TypeError, "padding 应为整数，实际得到 float"),
        ({"kernel_size": (3, 3)}, TypeError, "kernel_size 应为正整数，实际得到 tuple"),
    ],
)
def test_bad_nin_block_arguments(kwargs, error, message):
    arguments = {"in_channels": 1, "out_channels": 4, "kernel_size": 3, "stride": 1, "padding": 1} | kwargs
    with pytest.raises(error, match=message):
        nin_block(**arguments)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"in_channels": 0}, ValueError, "in_channels 应为正整数"),
        ({"num_classes": None}, TypeError, "num_classes 应为正整数，实际得到 NoneType"),
        ({"dropout": 1.0}, ValueError, r"\[0, 1\)"),
        ({"dropout": -0.5}, ValueError, r"dropout（暂退概率）应在 \[0, 1\) 内，实际得到 -0.5"),
    ],
)
def test_bad_nin_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        nin(**kwargs)


@pytest.mark.parametrize("shape", [(1, 1, 32, 32), (1, 3, 224, 224), (1, 1, 224)])
def test_wrong_input_shape_gives_a_clear_error(shape):
    with pytest.raises(ValueError, match="不接受形状为"):
        layer_summary(meta(nin), shape)


def test_padding_zero_is_allowed():
    assert nin_block(1, 2, kernel_size=3, stride=1, padding=0)(torch.zeros(1, 1, 5, 5)).shape == (1, 2, 3, 3)


@pytest.mark.parametrize("shape", [(1, 1, 66, 66), (1, 3, 224, 224), (1, 1, 224), (1, 1, 224, 40)])
def test_calling_the_net_with_a_wrong_shape_says_what_it_expects(shape):
    message = r"nin 的输入应为形状 \(批量大小, 1, 高, 宽\) 的四维张量，高和宽都不小于 67，实际形状为 "
    with pytest.raises(ValueError, match=message + re.escape(str(shape))):
        meta(nin)(torch.zeros(shape, device="meta"))


def test_the_smallest_accepted_input_is_the_smallest_that_works():
    net = meta(nin)
    assert net(torch.zeros(1, 1, 67, 67, device="meta")).shape == (1, 10)
    with pytest.raises(ValueError, match="不接受形状为"):
        layer_summary(net, (1, 1, 66, 66))  # 不经过入口的钩子：第三个汇聚层之后不剩任何位置


def test_class_scores_are_non_negative_and_work_with_cross_entropy():
    torch.manual_seed(0)
    net = nin().eval()
    with torch.no_grad():
        scores = net(torch.rand(4, 1, 96, 96))
    assert (scores >= 0).all()
    # softmax 不受所有得分同加一个常数的影响：非负的得分与任意 logit 一样能表示任何类别概率
    logits = torch.randn(4, 10)
    shifted = logits - logits.min(dim=1, keepdim=True).values
    assert (shifted >= 0).all()
    y = torch.tensor([0, 3, 5, 9])
    assert torch.allclose(nn.functional.cross_entropy(shifted, y), nn.functional.cross_entropy(logits, y))


@pytest.mark.parametrize("ratio", [2, 8, 32])
def test_nin_ratio_narrows_the_first_three_blocks(ratio):
    with torch.device("meta"):
        net = nin(ratio=ratio)
    assert [net[i][0].out_channels for i in (0, 2, 4, 7)] == [96 // ratio, 256 // ratio, 384 // ratio, 10]
    assert net(torch.zeros(2, 1, 67, 67, device="meta")).shape == (2, 10)


def test_nin_ratio_one_is_the_full_network():
    with torch.device("meta"):
        assert count_parameters(nin(ratio=1)) == count_parameters(nin()) == 1_992_166


@pytest.mark.parametrize(("ratio", "error", "message"), [
    (3, ValueError, "参数 ratio 应为 1 或 2 或 4 或 8 或 16 或 32，实际得到 3"),
    (64, ValueError, "参数 ratio 应为 1 或 2 或 4 或 8 或 16 或 32"),
    (0, ValueError, "ratio 应为正整数"),
    ("8", TypeError, "ratio 应为正整数"),
])
def test_nin_bad_ratio(ratio, error, message):
    with pytest.raises(error, match=message):
        nin(ratio=ratio)
