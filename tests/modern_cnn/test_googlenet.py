"""lessons_src/modern_cnn/googlenet.py 的测试；页面见 docs/modern-cnn/googlenet.md。"""

import itertools
import re

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.nn import functional as F

from lessons_src.cnn.lenet import count_parameters, layer_summary
from lessons_src.modern_cnn.googlenet import Inception, googlenet


def meta_googlenet(**kwargs) -> nn.Sequential:
    with torch.device("meta"):
        return googlenet(**kwargs)


def conv_params(k: int, c_in: int, c_out: int) -> int:
    return k * k * c_in * c_out + c_out


def inception_params(c_in, c1, c2, c3, c4) -> int:
    return (
        conv_params(1, c_in, c1)
        + conv_params(1, c_in, c2[0]) + conv_params(3, c2[0], c2[1])
        + conv_params(1, c_in, c3[0]) + conv_params(5, c3[0], c3[1])
        + conv_params(1, c_in, c4)
    )


# GoogLeNet 中 9 个 Inception 块的参数，按 b3、b4、b5 的顺序
CONFIGS = [
    (192, 64, (96, 128), (16, 32), 32),
    (256, 128, (128, 192), (32, 96), 64),
    (480, 192, (96, 208), (16, 48), 64),
    (512, 160, (112, 224), (24, 64), 64),
    (512, 128, (128, 256), (24, 64), 64),
    (512, 112, (144, 288), (32, 64), 64),
    (528, 256, (160, 320), (32, 128), 128),
    (832, 256, (160, 320), (32, 128), 128),
    (832, 384, (192, 384), (48, 128), 128),
]

channels = st.integers(1, 5)


@settings(max_examples=25, deadline=None)
@given(
    c_in=channels, c1=channels, c2=st.tuples(channels, channels), c3=st.tuples(channels, channels),
    c4=channels, size=st.integers(1, 7),
)
def test_inception_concatenates_the_four_paths(c_in, c1, c2, c3, c4, size):
    block = Inception(c_in, c1, c2, c3, c4)
    assert block.out_channels == c1 + c2[1] + c3[1] + c4
    assert count_parameters(block) == inception_params(c_in, c1, c2, c3, c4)
    X = torch.rand(2, c_in, size, size)
    Y = block(X)
    assert Y.shape == (2, block.out_channels, size, size)
    # 独立地按路径计算，与输出在通道维上的四段逐一比较
    paths = [
        F.relu(block.p1_1(X)),
        F.relu(block.p2_2(F.relu(block.p2_1(X)))),
        F.relu(block.p3_2(F.relu(block.p3_1(X)))),
        F.relu(block.p4_2(F.max_pool2d(X, kernel_size=3, stride=1, padding=1))),
    ]
    assert torch.equal(Y, torch.cat(paths, dim=1))
    assert [p.shape[1] for p in paths] == [c1, c2[1], c3[1], c4]


def test_first_inception_block_of_b3():
    block = Inception(*CONFIGS[0])
    assert block.out_channels == 64 + 128 + 32 + 32 == 256
    assert block(torch.zeros(1, 192, 12, 12)).shape == (1, 256, 12, 12)
    assert count_parameters(block) == 163_696


def test_one_by_one_bottleneck_saves_parameters():
    direct = nn.Conv2d(192, 32, kernel_size=5, padding=2)
    bottleneck = nn.Sequential(nn.Conv2d(192, 16, kernel_size=1), nn.Conv2d(16, 32, kernel_size=5, padding=2))
    assert count_parameters(direct) == conv_params(5, 192, 32) == 153_632
    assert count_parameters(bottleneck) == conv_params(1, 192, 16) + conv_params(5, 16, 32) == 15_920
    X = torch.rand(1, 192, 6, 6)
    assert direct(X).shape == bottleneck(X).shape


def test_channel_chain_of_the_inception_blocks():
    net = meta_googlenet()
    blocks = [m for m in net.modules() if isinstance(m, Inception)]
    assert len(blocks) == 9
    assert [(b.in_channels, b.out_channels) for b in blocks] == [
        (192, 256), (256, 480), (480, 512), (512, 512), (512, 512), (512, 528), (528, 832), (832, 832), (832, 1024)
    ]
    for previous, current in itertools.pairwise(blocks):
        assert previous.out_channels == current.in_channels


def test_stage_table_at_96():
    rows = layer_summary(meta_googlenet(), (1, 1, 96, 96))
    assert [shape for _, shape, _ in rows] == [
        (1, 64, 24, 24), (1, 192, 12, 12), (1, 480, 6, 6), (1, 832, 3, 3), (1, 1024), (1, 10)
    ]


@pytest.mark.parametrize(("in_channels", "num_classes"), [(1, 10), (3, 1000)])
def test_parameter_count_matches_formula(in_channels, num_classes):
    expected = (
        conv_params(7, in_channels, 64)
        + conv_params(1, 64, 64) + conv_params(3, 64, 192)
        + sum(inception_params(*config) for config in CONFIGS)
        + 1024 * num_classes + num_classes
    )
    assert count_parameters(meta_googlenet(in_channels=in_channels, num_classes=num_classes)) == expected
    if (in_channels, num_classes) == (1, 10):
        assert expected == 5_977_530


@pytest.mark.parametrize("size", [8, 32, 64, 96, 224])
def test_global_average_pooling_accepts_many_input_sizes(size):
    assert layer_summary(meta_googlenet(), (2, 1, size, size))[-1][1] == (2, 10)


def test_real_forward():
    torch.manual_seed(0)
    net = googlenet(in_channels=3, num_classes=5).eval()
    with torch.no_grad():
        Y = net(torch.rand(2, 3, 64, 64))
    assert Y.shape == (2, 5)
    assert torch.isfinite(Y).all()


# ----- 错误的输入 -----


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((0, 64, (96, 128), (16, 32), 32), ValueError, "in_channels 应为正整数，实际得到 0"),
        ((192, -1, (96, 128), (16, 32), 32), ValueError, "c1 应为正整数"),
        ((192, 64, (96,), (16, 32), 32), TypeError, "c2 应为由两个正整数组成的二元组"),
        ((192, 64, "ab", (16, 32), 32), TypeError, "c2 应为由两个正整数组成的二元组"),
        ((192, 64, (96, 128), (16, 0), 32), ValueError, r"c3\[1\] 应为正整数"),
        ((192, 64, (96, 128), (16, 32), 32.0), TypeError, "c4 应为正整数，实际得到 float"),
    ],
)
def test_bad_inception_arguments(args, error, message):
    with pytest.raises(error, match=message):
        Inception(*args)


def test_bad_inception_input():
    block = Inception(4, 1, (2, 3), (2, 3), 1)
    with pytest.raises(ValueError, match=r"形状 \(批量大小, 4, 高, 宽\) 的四维张量，实际形状为 \(4, 6, 6\)"):
        block(torch.zeros(4, 6, 6))
    with pytest.raises(ValueError, match=r"实际形状为 \(1, 3, 6, 6\)"):
        block(torch.zeros(1, 3, 6, 6))
    with pytest.raises(TypeError, match="浮点张量"):
        block(torch.zeros(1, 4, 6, 6, dtype=torch.int64))
    with pytest.raises(TypeError, match="应为 torch.Tensor"):
        block([[1.0]])


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"in_channels": 0}, ValueError, "in_channels 应为正整数"),
        ({"num_classes": "10"}, TypeError, "num_classes 应为正整数，实际得到 str"),
    ],
)
def test_bad_googlenet_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        googlenet(**kwargs)


def test_wrong_input_shape_gives_a_clear_error():
    with pytest.raises(ValueError, match="不接受形状为"):
        layer_summary(meta_googlenet(), (1, 3, 96, 96))
    # 三维输入被卷积层当作不带批量维的单个样本，到第一个 Inception 块时被拦下
    with pytest.raises(ValueError, match="四维张量"):
        layer_summary(meta_googlenet(), (1, 96, 96))


@pytest.mark.parametrize("shape", [(1, 3, 96, 96), (1, 96, 96), (1, 1, 1, 96, 96)])
def test_calling_the_net_with_a_wrong_shape_says_what_it_expects(shape):
    message = r"googlenet 的输入应为形状 \(批量大小, 1, 高, 宽\) 的四维张量，实际形状为 " + re.escape(str(shape))
    with pytest.raises(ValueError, match=message):
        meta_googlenet()(torch.zeros(shape, device="meta"))


def test_the_input_check_accepts_any_side_length():
    net = meta_googlenet(in_channels=3)
    for size in (1, 7, 96, 300):
        assert net(torch.zeros(2, 3, size, size, device="meta")).shape == (2, 10)


@pytest.mark.parametrize("ratio", [1, 2, 4, 8])
def test_googlenet_ratio_divides_every_channel_count(ratio):
    net = meta_googlenet(ratio=ratio)
    blocks = [m for m in net.modules() if isinstance(m, Inception)]
    assert [b.out_channels for b in blocks] == [c // ratio for c in (256, 480, 512, 512, 512, 528, 832, 832, 1024)]
    assert all(a.out_channels == b.in_channels for a, b in itertools.pairwise(blocks))
    assert net[-1].in_features == 1024 // ratio
    assert net(torch.zeros(2, 1, 32, 32, device="meta")).shape == (2, 10)


def test_googlenet_ratio_eight_parameter_count():
    assert count_parameters(meta_googlenet(ratio=8)) == 95_668


@pytest.mark.parametrize(("ratio", "error", "message"), [
    (3, ValueError, "参数 ratio 应为 1 或 2 或 4 或 8，实际得到 3"),
    (16, ValueError, "参数 ratio 应为 1 或 2 或 4 或 8，实际得到 16"),
    (0, ValueError, "ratio 应为正整数"),
    (2.0, TypeError, "ratio 应为正整数"),
])
def test_googlenet_bad_ratio(ratio, error, message):
    with pytest.raises(error, match=message):
        googlenet(ratio=ratio)
