"""lessons_src/modern_cnn/densenet.py 的测试；页面见 docs/modern-cnn/densenet.md。"""

import re

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from lessons_src.cnn.lenet import count_parameters, layer_summary
from lessons_src.modern_cnn.densenet import DenseBlock, conv_block, densenet, transition_block


def test_conv_block_order_and_shape():
    block = conv_block(3, 10)
    assert [type(layer) for layer in block] == [nn.BatchNorm2d, nn.ReLU, nn.Conv2d]
    assert block[2].kernel_size == (3, 3) and block[2].padding == (1, 1)
    assert block(torch.zeros(4, 3, 8, 8)).shape == (4, 10, 8, 8)


def test_dense_block_example_from_the_page():
    block = DenseBlock(2, 3, 10)
    X = torch.randn(4, 3, 8, 8)
    Y = block(X)
    assert Y.shape == (4, 23, 8, 8) and block.out_channels == 23
    assert torch.equal(Y[:, :3], X)
    assert [b[2].in_channels for b in block.net] == [3, 13]


@settings(max_examples=12, deadline=None)
@given(num_convs=st.integers(1, 4), in_channels=st.integers(1, 6), growth=st.integers(1, 6), size=st.integers(1, 6))
def test_dense_block_channel_arithmetic(num_convs, in_channels, growth, size):
    block = DenseBlock(num_convs, in_channels, growth)
    X = torch.randn(2, in_channels, size, size)
    Y = block(X)
    assert block.out_channels == in_channels + num_convs * growth
    assert Y.shape == (2, block.out_channels, size, size)
    assert torch.equal(Y[:, :in_channels], X)  # 连结而不是相加：输入原样保留


def test_dense_block_forward_by_hand():
    torch.manual_seed(0)
    block = DenseBlock(3, 2, 4).eval()
    X = torch.randn(2, 2, 5, 5)
    expected = X
    for b in block.net:
        expected = torch.cat((expected, b(expected)), dim=1)
    assert torch.allclose(block(X), expected)


@pytest.mark.parametrize("channels, size", [(23, 8), (192, 24), (5, 7)])
def test_transition_block_halves_channels_and_size(channels, size):
    block = transition_block(channels, channels // 2)
    assert [type(layer) for layer in block] == [nn.BatchNorm2d, nn.ReLU, nn.Conv2d, nn.AvgPool2d]
    assert block[2].kernel_size == (1, 1)
    assert block(torch.zeros(2, channels, size, size)).shape == (2, channels // 2, size // 2, size // 2)


def test_densenet_shape_table_and_parameter_count():
    net = densenet()
    rows = layer_summary(net, (1, 1, 96, 96))
    assert [shape for _, shape, _ in rows] == [
        (1, 64, 24, 24), (1, 192, 24, 24), (1, 96, 12, 12), (1, 224, 12, 12), (1, 112, 6, 6),
        (1, 240, 6, 6), (1, 120, 3, 3), (1, 248, 3, 3), (1, 248, 3, 3), (1, 248, 3, 3),
        (1, 248, 1, 1), (1, 248), (1, 10),
    ]
    assert [name for name, _, _ in rows].count("DenseBlock") == 4
    assert count_parameters(net) == sum(p for _, _, p in rows) == 758_162


def test_densenet_parameter_count_by_hand():
    def bn(c):
        return 2 * c

    def conv(c_in, c_out, k):
        return c_in * c_out * k * k + c_out

    total = conv(1, 64, 7) - 64 + bn(64)  # 主干的卷积层紧跟批量规范化，不带偏置
    channels = 64
    for index in range(4):
        for i in range(4):
            total += bn(channels + 32 * i) + conv(channels + 32 * i, 32, 3)
        channels += 4 * 32
        if index < 3:
            total += bn(channels) + conv(channels, channels // 2, 1)
            channels //= 2
    total += bn(channels) + channels * 10 + 10
    assert count_parameters(densenet()) == total


def test_densenet_other_configurations():
    net = densenet((2, 3), growth_rate=8, num_channels=16, in_channels=3, num_classes=5)
    assert net(torch.zeros(2, 3, 32, 32)).shape == (2, 5)
    assert net[-1].in_features == ((16 + 2 * 8) // 2) + 3 * 8
    assert sum(isinstance(m, DenseBlock) for m in net) == 2


# ----- 错误的输入 -----


def test_channel_mismatch_is_rejected():
    with pytest.raises(ValueError, match=r"形状 \(批量大小, 3, 高, 宽\) 的四维张量，实际形状为 \(4, 5, 8, 8\)"):
        DenseBlock(2, 3, 10)(torch.zeros(4, 5, 8, 8))
    with pytest.raises(ValueError, match="四维张量"):
        DenseBlock(2, 3, 10)(torch.zeros(3, 8, 8))
    with pytest.raises(TypeError, match="参数 X 应为 torch.Tensor"):
        DenseBlock(2, 3, 10)([[1.0]])


@pytest.mark.parametrize("args, error, message", [
    ((0, 3, 10), ValueError, "num_convs 应为正整数，实际得到 0"),
    ((2, -3, 10), ValueError, "input_channels 应为正整数"),
    ((2, 3, 0), ValueError, "growth_rate 应为正整数"),
    ((2.5, 3, 10), TypeError, "num_convs 应为正整数，实际得到 float"),
])
def test_bad_dense_block_arguments(args, error, message):
    with pytest.raises(error, match=message):
        DenseBlock(*args)


def test_bad_block_and_network_arguments():
    with pytest.raises(ValueError, match="num_channels 应为正整数"):
        conv_block(3, 0)
    with pytest.raises(ValueError, match="input_channels 应为正整数"):
        transition_block(0, 3)
    with pytest.raises(TypeError, match="convs_in_dense_blocks 应为由正整数组成的非空序列"):
        densenet(())
    with pytest.raises(TypeError, match="convs_in_dense_blocks 应为由正整数组成的非空序列"):
        densenet(4)
    with pytest.raises(ValueError, match="num_convs 应为正整数"):
        densenet((4, 0))
    with pytest.raises(ValueError, match="growth_rate 应为正整数"):
        densenet(growth_rate=-1)
    with pytest.raises(TypeError, match="num_classes 应为正整数，实际得到 bool"):
        densenet(num_classes=True)


@pytest.mark.parametrize("shape", [(1, 1, 28, 28), (1, 3, 96, 96), (1, 96, 96)])
def test_calling_the_net_with_a_wrong_shape_says_what_it_expects(shape):
    message = r"densenet 的输入应为形状 \(批量大小, 1, 高, 宽\) 的四维张量，高和宽都不小于 29，实际形状为 "
    with torch.device("meta"):
        net = densenet()
    with pytest.raises(ValueError, match=message + re.escape(str(shape))):
        net(torch.zeros(shape, device="meta"))


@pytest.mark.parametrize("blocks", [(4,), (2, 2), (1, 1, 1), (4, 4, 4, 4), (1, 1, 1, 1, 1)])
def test_the_smallest_accepted_input_is_the_smallest_that_works(blocks):
    with torch.device("meta"):
        net = densenet(blocks, growth_rate=4, num_channels=8)
    smallest = 4 * 2 ** (len(blocks) - 1) - 3
    assert net(torch.zeros(2, 1, smallest, smallest, device="meta")).shape == (2, 10)
    if smallest > 1:
        with pytest.raises(ValueError, match="不接受形状为"):
            layer_summary(net, (2, 1, smallest - 1, smallest - 1))  # 不经过入口的钩子，在网络里面出错
