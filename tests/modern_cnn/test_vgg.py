"""lessons_src/modern_cnn/vgg.py 的测试；页面见 docs/modern-cnn/vgg.md。

完整的 VGG-11 有 1.3 亿个参数，形状和参数个数的检查在 meta 设备上进行（只有形状、没有数据）。
"""

import re

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from lessons_src.cnn.lenet import count_parameters, layer_summary
from lessons_src.modern_cnn.vgg import VGG11_ARCH, scale_channels, vgg, vgg_block


def meta_vgg(conv_arch, **kwargs) -> nn.Sequential:
    with torch.device("meta"):
        return vgg(conv_arch, **kwargs)


def block_params(num_convs: int, c_in: int, c_out: int) -> int:
    """VGG 块的参数个数：Σ (3·3·c_in·c_out + c_out)，第一个卷积层之后输入通道数都是 c_out。"""
    total = 0
    for _ in range(num_convs):
        total += 3 * 3 * c_in * c_out + c_out
        c_in = c_out
    return total


def vgg_params(conv_arch, in_channels=1, num_classes=10, image_size=224, fc_hidden=4096) -> int:
    total, c_in = 0, in_channels
    for num_convs, c_out in conv_arch:
        total += block_params(num_convs, c_in, c_out)
        c_in = c_out
    side = image_size // 2 ** len(conv_arch)
    flat = c_in * side * side
    return (
        total
        + (flat * fc_hidden + fc_hidden)
        + (fc_hidden * fc_hidden + fc_hidden)
        + (fc_hidden * num_classes + num_classes)
    )


@settings(max_examples=25, deadline=None)
@given(
    num_convs=st.integers(1, 3),
    c_in=st.integers(1, 6),
    c_out=st.integers(1, 6),
    size=st.integers(2, 12),
)
def test_vgg_block_shape_and_parameter_count(num_convs, c_in, c_out, size):
    block = vgg_block(num_convs, c_in, c_out)
    assert len(block) == 2 * num_convs + 1
    assert count_parameters(block) == block_params(num_convs, c_in, c_out)
    Y = block(torch.rand(2, c_in, size, size))
    assert Y.shape == (2, c_out, size // 2, size // 2)


def test_vgg_block_layers():
    block = vgg_block(2, 3, 8)
    convs = [m for m in block if isinstance(m, nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size, c.padding) for c in convs] == [
        (3, 8, (3, 3), (1, 1)), (8, 8, (3, 3), (1, 1))
    ]
    assert isinstance(block[-1], nn.MaxPool2d) and block[-1].kernel_size == 2 and block[-1].stride == 2
    assert sum(isinstance(m, nn.ReLU) for m in block) == 2


def test_two_3x3_convs_see_a_5x5_window():
    torch.manual_seed(0)
    stack = nn.Sequential(nn.Conv2d(1, 1, 3), nn.Conv2d(1, 1, 3)).double()
    X = torch.rand(1, 1, 9, 9, dtype=torch.float64, requires_grad=True)
    stack(X)[0, 0, 2, 2].backward()
    rows, cols = torch.nonzero(X.grad[0, 0], as_tuple=True)
    assert (rows.min().item(), rows.max().item(), cols.min().item(), cols.max().item()) == (2, 6, 2, 6)
    assert count_parameters(stack) == 2 * (9 + 1) < count_parameters(nn.Conv2d(1, 1, 5)) == 26


def test_vgg11_block_table_and_parameter_count():
    net = meta_vgg(VGG11_ARCH)
    rows = layer_summary(net, (1, 1, 224, 224))
    assert [shape for _, shape, _ in rows[:6]] == [
        (1, 64, 112, 112), (1, 128, 56, 56), (1, 256, 28, 28), (1, 512, 14, 14), (1, 512, 7, 7), (1, 25088)
    ]
    assert rows[-1][1] == (1, 10)
    assert count_parameters(net) == vgg_params(VGG11_ARCH) == 128_806_154
    # VGG-11 的 11 个带权重的层：8 个卷积层和 3 个全连接层
    assert sum(isinstance(m, nn.Conv2d) for m in net.modules()) == 8
    assert sum(isinstance(m, nn.Linear) for m in net.modules()) == 3


def test_channel_reduced_vgg11():
    small = scale_channels(VGG11_ARCH, 4)
    assert small == ((1, 16), (1, 32), (2, 64), (2, 128), (2, 128))
    net = meta_vgg(small)
    assert count_parameters(net) == vgg_params(small) == 43_093_322
    assert layer_summary(net, (1, 1, 224, 224))[4][1] == (1, 128, 7, 7)


@pytest.mark.parametrize("image_size", [32, 64, 100, 224])
def test_vgg11_on_other_image_sizes(image_size):
    net = meta_vgg(VGG11_ARCH, image_size=image_size, fc_hidden=64)
    side = image_size // 32
    rows = layer_summary(net, (3, 1, image_size, image_size))
    assert rows[4][1] == (3, 512, side, side)
    assert rows[-1][1] == (3, 10)
    assert count_parameters(net) == vgg_params(VGG11_ARCH, image_size=image_size, fc_hidden=64)


def test_small_vgg_runs_and_learns_one_batch():
    torch.manual_seed(0)
    net = vgg(scale_channels(VGG11_ARCH, 16), in_channels=2, num_classes=3, image_size=32, fc_hidden=16, dropout=0.0)
    X, y = torch.rand(4, 2, 32, 32), torch.tensor([0, 1, 2, 0])
    assert net(X).shape == (4, 3)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
    losses = []
    for _ in range(30):
        loss = nn.functional.cross_entropy(net(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


def test_scale_channels_ratio_one_is_identity():
    assert scale_channels(VGG11_ARCH, 1) == VGG11_ARCH
    assert scale_channels([[1, 10], [2, 7]], 3) == ((1, 3), (2, 2))


# ----- 错误的输入 -----


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((0, 1, 8), ValueError, "num_convs 应为正整数，实际得到 0"),
        ((1, 0, 8), ValueError, "in_channels 应为正整数"),
        ((1, 1, -8), ValueError, "out_channels 应为正整数"),
        ((1, 1, 8.0), TypeError, "out_channels 应为正整数，实际得到 float"),
    ],
)
def test_bad_vgg_block_arguments(args, error, message):
    with pytest.raises(error, match=message):
        vgg_block(*args)


@pytest.mark.parametrize(
    ("conv_arch", "error", "message"),
    [
        ((), ValueError, "不能为空"),
        ([], ValueError, "不能为空"),
        ("vgg11", TypeError, "序列，实际得到 str"),
        (None, TypeError, "序列，实际得到 NoneType"),
        (((1, 64), (2,)), TypeError, r"conv_arch\[1\] 应为 \(num_convs, out_channels\) 二元组"),
        (((1, 64), (0, 128)), ValueError, r"conv_arch\[1\] 的 num_convs 应为正整数"),
        (((1, -64),), ValueError, r"conv_arch\[0\] 的 out_channels 应为正整数"),
    ],
)
def test_bad_conv_arch(conv_arch, error, message):
    with pytest.raises(error, match=message):
        vgg(conv_arch)
    with pytest.raises(error, match=message):
        scale_channels(conv_arch, 2)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"in_channels": 0}, ValueError, "in_channels 应为正整数"),
        ({"num_classes": -1}, ValueError, "num_classes 应为正整数"),
        ({"fc_hidden": 0}, ValueError, "fc_hidden 应为正整数"),
        ({"image_size": 16}, ValueError, "image_size 至少应为 32，实际得到 16"),
        ({"image_size": "224"}, TypeError, "image_size 应为正整数，实际得到 str"),
        ({"dropout": 1}, ValueError, r"\[0, 1\)"),
    ],
)
def test_bad_vgg_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        vgg(VGG11_ARCH, **kwargs)


def test_bad_ratio():
    with pytest.raises(ValueError, match="ratio 应为正整数"):
        scale_channels(VGG11_ARCH, 0)
    with pytest.raises(TypeError, match="ratio 应为正整数，实际得到 float"):
        scale_channels(VGG11_ARCH, 2.0)
    with pytest.raises(ValueError, match="ratio=128 太大.*64 个通道"):
        scale_channels(VGG11_ARCH, 128)


@pytest.mark.parametrize("shape", [(1, 1, 32, 32), (1, 3, 224, 224), (1, 224, 224)])
def test_wrong_input_shape_gives_a_clear_error(shape):
    with pytest.raises(ValueError, match="不接受形状为"):
        layer_summary(meta_vgg(VGG11_ARCH), shape)


@pytest.mark.parametrize("shape", [(1, 1, 32, 32), (1, 3, 224, 224), (1, 224, 224), (1, 1, 225, 225), (1, 1, 224, 192)])
def test_calling_the_net_with_a_wrong_shape_says_what_it_expects(shape):
    message = r"vgg 的输入应为形状 \(批量大小, 1, 224, 224\) 的四维张量，实际形状为 " + re.escape(str(shape))
    with pytest.raises(ValueError, match=message):
        meta_vgg(VGG11_ARCH)(torch.zeros(shape, device="meta"))


def test_the_input_check_follows_image_size_and_in_channels():
    net = vgg(((1, 4), (1, 8)), in_channels=3, image_size=12, fc_hidden=8)
    assert net(torch.zeros(2, 3, 12, 12)).shape == (2, 10)
    with pytest.raises(ValueError, match=r"\(批量大小, 3, 12, 12\)"):
        net(torch.zeros(2, 3, 16, 16))
