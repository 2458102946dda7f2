"""lessons_src/modern_cnn/alexnet.py 的测试；页面见 docs/modern-cnn/alexnet.md。

形状检查多数在 meta 设备上进行：那里的张量只有形状、没有数据，构建和前向传播都几乎不花时间。
"""

import copy
import re

import pytest
import torch
from torch import nn

from lessons_src.cnn.lenet import count_parameters, layer_summary
from lessons_src.modern_cnn.alexnet import InputShape, alexnet, multiply_adds


def meta_alexnet(**kwargs) -> nn.Sequential:
    with torch.device("meta"):
        return alexnet(**kwargs)


def out_size(n: int, k: int, p: int = 0, s: int = 1) -> int:
    """卷积或汇聚的输出边长 ⌊(n + 2p - k) / s⌋ + 1（p 为每一侧的填充）。"""
    return (n + 2 * p - k) // s + 1


def conv_params(k: int, c_in: int, c_out: int) -> int:
    return k * k * c_in * c_out + c_out


def linear_params(n_in: int, n_out: int) -> int:
    return n_in * n_out + n_out


def final_size(n: int) -> int:
    """按公式逐层计算：输入边长为 n 时，最后一个汇聚层输出的边长。"""
    n = out_size(n, 11, p=1, s=4)
    n = out_size(n, 3, s=2)
    n = out_size(n, 5, p=2)
    n = out_size(n, 3, s=2)
    n = out_size(n, 3, p=1)  # 三个 3×3 卷积（填充 1）不改变边长
    return out_size(n, 3, s=2)


@pytest.fixture(scope="module")
def real_net() -> nn.Sequential:
    torch.manual_seed(0)
    return alexnet()


def test_layer_table_at_224():
    rows = layer_summary(meta_alexnet(), (1, 1, 224, 224))
    shapes = [shape for name, shape, _ in rows if name in ("Conv2d", "MaxPool2d", "Flatten", "Linear")]
    assert shapes == [
        (1, 96, 54, 54), (1, 96, 26, 26),
        (1, 256, 26, 26), (1, 256, 12, 12),
        (1, 384, 12, 12), (1, 384, 12, 12), (1, 256, 12, 12), (1, 256, 5, 5),
        (1, 6400), (1, 4096), (1, 4096), (1, 10),
    ]
    assert [name for name, _, _ in rows].count("ReLU") == 7
    assert [name for name, _, _ in rows].count("Dropout") == 2


def test_structure():
    net = meta_alexnet(in_channels=3, num_classes=1000)
    convs = [m for m in net if isinstance(m, nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size, c.stride) for c in convs] == [
        (3, 96, (11, 11), (4, 4)),
        (96, 256, (5, 5), (1, 1)),
        (256, 384, (3, 3), (1, 1)),
        (384, 384, (3, 3), (1, 1)),
        (384, 256, (3, 3), (1, 1)),
    ]
    linears = [m for m in net if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(6400, 4096), (4096, 4096), (4096, 1000)]
    assert [m.p for m in net if isinstance(m, nn.Dropout)] == [0.5, 0.5]
    assert all(isinstance(m, nn.MaxPool2d) for m in net if isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)))
    assert not any(isinstance(m, nn.Sigmoid) for m in net)


@pytest.mark.parametrize(("in_channels", "num_classes"), [(1, 10), (3, 1000), (3, 10)])
def test_parameter_count_matches_formula(in_channels, num_classes):
    expected = (
        conv_params(11, in_channels, 96) + conv_params(5, 96, 256) + conv_params(3, 256, 384)
        + conv_params(3, 384, 384) + conv_params(3, 384, 256)
        + linear_params(6400, 4096) + linear_params(4096, 4096) + linear_params(4096, num_classes)
    )
    net = meta_alexnet(in_channels=in_channels, num_classes=num_classes)
    assert count_parameters(net) == expected
    assert sum(n for _, _, n in layer_summary(net, (1, in_channels, 224, 224))) == expected
    if (in_channels, num_classes) == (1, 10):
        assert expected == 46_764_746


def test_accepted_input_sizes_follow_the_shape_formula():
    net = meta_alexnet()
    accepted = []
    for size in range(180, 240):
        if final_size(size) == 5:
            assert layer_summary(net, (2, 1, size, size))[-1][1] == (2, 10)
            accepted.append(size)
        else:
            with pytest.raises(ValueError, match="不接受形状"):
                layer_summary(net, (2, 1, size, size))
    assert accepted == list(range(193, 225))


def test_real_forward_and_dropout_modes(real_net):
    X = torch.rand(2, 1, 224, 224)
    real_net.eval()
    with torch.no_grad():
        first, second = real_net(X), real_net(X)
    assert first.shape == (2, 10)
    assert torch.isfinite(first).all()
    assert torch.equal(first, second)  # 评估模式下暂退法不起作用，输出确定
    real_net.train()
    torch.manual_seed(1)
    with torch.no_grad():
        third, fourth = real_net(X), real_net(X)
    assert not torch.equal(third, fourth)  # 训练模式下每次随机丢弃不同的单元


def test_dropout_can_be_changed():
    net = meta_alexnet(dropout=0.0)
    assert [m.p for m in net if isinstance(m, nn.Dropout)] == [0.0, 0.0]


# ----- 错误的输入 -----


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"in_channels": 0}, ValueError, "in_channels 应为正整数，实际得到 0"),
        ({"in_channels": -3}, ValueError, "in_channels 应为正整数"),
        ({"in_channels": 1.0}, TypeError, "in_channels 应为正整数，实际得到 float"),
        ({"num_classes": 0}, ValueError, "num_classes 应为正整数"),
        ({"num_classes": True}, TypeError, "num_classes 应为正整数，实际得到 bool"),
        ({"dropout": 1.0}, ValueError, r"\[0, 1\)"),
        ({"dropout": -0.1}, ValueError, r"dropout（暂退概率）应在 \[0, 1\) 内，实际得到 -0.1"),
        ({"dropout": "0.5"}, TypeError, "应为实数"),
    ],
)
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        alexnet(**kwargs)


@pytest.mark.parametrize("shape", [(1, 224, 224), (1, 3, 224, 224), (1, 1, 96, 96), (1, 1, 300, 300)])
def test_wrong_input_shape_gives_a_clear_error(shape):
    with pytest.raises(ValueError, match=r"第 \d+ 层 .* 不接受形状为"):
        layer_summary(meta_alexnet(), shape)


@pytest.mark.parametrize(
    "shape",
    [(1, 224, 224), (1, 3, 224, 224), (1, 1, 192, 192), (1, 1, 225, 225), (1, 1, 224, 100), (2, 1, 1, 224, 224)],
)
def test_calling_the_net_with_a_wrong_shape_says_what_it_expects(shape):
    expected = r"alexnet 的输入应为形状 \(批量大小, 1, 高, 宽\) 的四维张量，高和宽都在 193 到 224 之间"
    with pytest.raises(ValueError, match=rf"{expected}，实际形状为 {re.escape(str(shape))}"):
        meta_alexnet()(torch.zeros(shape, device="meta"))


def test_the_input_check_accepts_every_size_that_works():
    net = meta_alexnet(in_channels=3)
    for size in (193, 200, 224):
        assert net(torch.zeros(2, 3, size, size, device="meta")).shape == (2, 10)
    assert net(torch.zeros(2, 3, 193, 224, device="meta")).shape == (2, 10)  # 高和宽可以不同


def test_the_input_check_rejects_non_tensors_and_integer_tensors():
    net = meta_alexnet()
    with pytest.raises(TypeError, match="参数 X 应为 torch.Tensor，实际得到 list"):
        net([[0.0]])
    with pytest.raises(TypeError, match="参数 X 应为浮点张量"):
        net(torch.zeros(1, 1, 224, 224, dtype=torch.long, device="meta"))


def test_input_shape_messages():
    assert InputShape("m", 3).expected() == "(批量大小, 3, 高, 宽) 的四维张量"
    assert InputShape("m", 1, min_size=28, max_size=28).expected() == "(批量大小, 1, 28, 28) 的四维张量"
    assert InputShape("m", 1, min_size=67).expected() == "(批量大小, 1, 高, 宽) 的四维张量，高和宽都不小于 67"


def test_the_hook_survives_a_deep_copy():
    net = meta_alexnet()
    with pytest.raises(ValueError, match="alexnet 的输入应为形状"):
        copy.deepcopy(net)(torch.zeros(1, 1, 96, 96, device="meta"))


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        ((3, 1), {}, TypeError, "参数 model 应为网络的名字（str），实际得到 int"),
        (("m", 0), {}, ValueError, "channels 应为正整数，实际得到 0"),
        (("m", 1), {"min_size": 0}, ValueError, "min_size 应为正整数"),
        (("m", 1), {"min_size": 5, "max_size": 4}, ValueError, "max_size 应为不小于 5 的整数，实际得到 4"),
        (("m", 1), {"max_size": 2.5}, TypeError, "max_size 应为整数"),
    ],
)
def test_bad_input_shape_arguments(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        InputShape(*args, **kwargs)


# ----- multiply_adds -----


def test_multiply_adds_follow_the_formulas():
    net = nn.Sequential(
        nn.Conv2d(3, 8, kernel_size=3, padding=1), nn.ReLU(),
        nn.Conv2d(8, 4, kernel_size=5, stride=2, groups=2), nn.Flatten(),
        nn.Linear(4 * 6 * 6, 7),
    )
    counts = multiply_adds(net, (2, 3, 16, 16))
    assert counts == {
        "0": 2 * (3 * 3 * 3) * (8 * 16 * 16),  # 批量 × 每个输出元素的乘加 × 输出元素个数
        "2": 2 * (4 * 5 * 5) * (4 * 6 * 6),  # groups=2：每个输出通道只看 8 / 2 = 4 个输入通道
        "4": 2 * (4 * 6 * 6) * 7,
    }


def test_multiply_adds_of_alexnet_on_meta_and_real_devices(real_net):
    meta_counts = multiply_adds(meta_alexnet(), (1, 1, 224, 224))
    convs = [11 * 11 * 1 * 96 * 54 * 54, 5 * 5 * 96 * 256 * 26 * 26, 3 * 3 * 256 * 384 * 12 * 12,
             3 * 3 * 384 * 384 * 12 * 12, 3 * 3 * 384 * 256 * 12 * 12]
    assert list(meta_counts.values()) == [*convs, 6400 * 4096, 4096 * 4096, 4096 * 10]
    assert multiply_adds(real_net, (1, 1, 224, 224)) == meta_counts


def test_multiply_adds_nested_modules_and_hooks_removed():
    inner = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
    net = nn.Sequential(inner, nn.Linear(3, 2))
    assert multiply_adds(net, (5, 4)) == {"0.0": 5 * 4 * 3, "1": 5 * 3 * 2}
    assert not any(module._forward_hooks for module in net.modules())
    assert multiply_adds(nn.Sequential(nn.ReLU()), (2, 3)) == {}


def test_multiply_adds_removes_hooks_when_the_forward_pass_fails():
    net = meta_alexnet()
    with pytest.raises(ValueError, match="alexnet 的输入应为形状"):
        multiply_adds(net, (1, 1, 96, 96))
    assert not any(module._forward_hooks for module in net.modules())


@pytest.mark.parametrize(
    ("net", "shape", "error", "message"),
    [
        (nn.Linear, (1, 2), TypeError, "参数 net 应为 nn.Module 的实例，实际得到类 Linear 本身"),
        ("net", (1, 2), TypeError, "参数 net 应为 nn.Module 的实例，实际得到 str"),
        (nn.Linear(2, 1), [1, 2], TypeError, r"input_shape 应为由正整数组成的非空元组，例如 \(1, 1, 224, 224\)"),
        (nn.Linear(2, 1), (), TypeError, "input_shape 应为由正整数组成的非空元组"),
        (nn.Linear(2, 1), (1, 0), ValueError, r"input_shape\[1\] 应为正整数，实际得到 0"),
        (nn.Linear(2, 1), (1, 2.0), TypeError, r"input_shape\[1\] 应为正整数，实际得到 float"),
    ],
)
def test_bad_multiply_adds_arguments(net, shape, error, message):
    with pytest.raises(error, match=message):
        multiply_adds(net, shape)


@pytest.mark.parametrize("ratio", [2, 16, 32])
def test_ratio_divides_every_width(ratio):
    net = meta_alexnet(ratio=ratio)
    widths = [m.out_channels for m in net if isinstance(m, nn.Conv2d)]
    assert widths == [96 // ratio, 256 // ratio, 384 // ratio, 384 // ratio, 256 // ratio]
    hidden = [m.out_features for m in net if isinstance(m, nn.Linear)]
    assert hidden == [4096 // ratio, 4096 // ratio, 10]
    assert net(torch.zeros(2, 1, 224, 224, device="meta")).shape == (2, 10)


def test_ratio_one_is_the_full_network():
    assert count_parameters(meta_alexnet(ratio=1)) == count_parameters(meta_alexnet())


@pytest.mark.parametrize("ratio", [3, 64])
def test_bad_ratio(ratio):
    with pytest.raises(ValueError, match=r"参数 ratio 应为 1 或 2 或 4 或 8 或 16 或 32，实际得到"):
        alexnet(ratio=ratio)


@pytest.mark.parametrize(("ratio", "error"), [(0, ValueError), (True, TypeError), (2.0, TypeError)])
def test_ratio_must_be_a_positive_int(ratio, error):
    with pytest.raises(error, match="ratio 应为正整数"):
        alexnet(ratio=ratio)


def test_init_kaiming_uses_variance_two_over_fan_in():
    from lessons_src.modern_cnn.alexnet import init_kaiming

    torch.manual_seed(0)
    conv, linear = nn.Conv2d(64, 128, kernel_size=3), nn.Linear(2000, 300)
    for layer, fan_in in [(conv, 64 * 9), (linear, 2000)]:
        init_kaiming(layer)
        assert torch.all(layer.bias == 0)
        assert layer.weight.var().item() == pytest.approx(2 / fan_in, rel=0.05)
    relu = nn.ReLU()
    init_kaiming(relu)  # 没有参数的模块不变，也不报错
    with pytest.raises(TypeError, match="module"):
        init_kaiming("conv")
