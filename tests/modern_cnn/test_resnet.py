"""lessons_src/modern_cnn/resnet.py 的测试；页面见 docs/modern-cnn/resnet.md。"""

import re

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from lessons_src.cnn.lenet import count_parameters, layer_summary
from lessons_src.modern_cnn.resnet import Residual, resnet, resnet18, resnet_block


def _conv_out(size, kernel, stride, padding):
    return (size + 2 * padding - kernel) // stride + 1


def test_residual_shapes_with_and_without_1x1_conv():
    X = torch.rand(4, 3, 6, 6)
    assert Residual(3, 3)(X).shape == (4, 3, 6, 6)
    assert Residual(3, 6, use_1x1conv=True, strides=2)(X).shape == (4, 6, 3, 3)
    assert Residual(3, 6, use_1x1conv=True)(X).shape == (4, 6, 6, 6)
    assert Residual(3, 3, use_1x1conv=True)(X).shape == (4, 3, 6, 6)


@settings(max_examples=12, deadline=None)
@given(
    in_channels=st.integers(1, 6), out_channels=st.integers(1, 6),
    strides=st.integers(1, 3), size=st.integers(1, 9),
)
def test_residual_output_shape_follows_the_conv_formula(in_channels, out_channels, strides, size):
    block = Residual(in_channels, out_channels, use_1x1conv=True, strides=strides)
    out = _conv_out(size, 3, strides, 1)
    assert out == _conv_out(size, 1, strides, 0)  # 主路径和捷径的形状总是一致
    assert block(torch.rand(2, in_channels, size, size)).shape == (2, out_channels, out, out)


def test_residual_structure_and_forward_by_hand():
    block = Residual(3, 6, use_1x1conv=True, strides=2)
    for conv in (block.conv1, block.conv2):
        assert conv.kernel_size == (3, 3) and conv.padding == (1, 1)
        assert conv.bias is None  # 紧跟批量规范化的卷积层不用偏置
    assert block.conv3.bias is not None
    assert block.conv1.stride == (2, 2) and block.conv2.stride == (1, 1)
    assert block.conv3.kernel_size == (1, 1) and block.conv3.stride == (2, 2)
    assert isinstance(block.bn1, nn.BatchNorm2d) and isinstance(block.bn2, nn.BatchNorm2d)
    assert Residual(3, 3).conv3 is None

    torch.manual_seed(0)
    X = torch.randn(2, 3, 6, 6)
    block.eval()
    main = block.bn2(block.conv2(torch.relu(block.bn1(block.conv1(X)))))
    assert torch.allclose(block(X), torch.relu(main + block.conv3(X)))


def test_identity_block_with_zero_main_path_is_relu_of_input():
    block = Residual(2, 2).eval()
    nn.init.zeros_(block.bn2.weight)  # gamma = 0, beta = 0：主路径输出为 0
    X = torch.randn(3, 2, 5, 5)
    assert torch.allclose(block(X), torch.relu(X))
    X_before = X.clone()
    block(X)
    assert torch.equal(X, X_before)  # 不会原地改写输入


def test_resnet_block_first_and_later_stages():
    first = resnet_block(64, 64, 2, first_block=True)
    later = resnet_block(64, 128, 2)
    assert len(first) == len(later) == 2
    assert all(block.conv3 is None for block in first)
    assert later[0].conv3 is not None and later[1].conv3 is None
    assert first(torch.zeros(1, 64, 8, 8)).shape == (1, 64, 8, 8)
    assert later(torch.zeros(1, 64, 8, 8)).shape == (1, 128, 4, 4)


def test_resnet18_shape_table_and_parameter_count():
    net = resnet18()
    rows = layer_summary(net, (1, 1, 96, 96))
    assert [shape for _, shape, _ in rows] == [
        (1, 64, 24, 24), (1, 64, 24, 24), (1, 128, 12, 12), (1, 256, 6, 6), (1, 512, 3, 3),
        (1, 512, 1, 1), (1, 512), (1, 10),
    ]
    total = count_parameters(net)
    assert total == sum(p for _, _, p in rows) == 11_174_474
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d) and m.kernel_size != (1, 1)]
    linears = [m for m in net.modules() if isinstance(m, nn.Linear)]
    assert len(convs) + len(linears) == 18


def test_resnet18_parameter_count_by_hand():
    def conv(c_in, c_out, k, bias=True):
        return c_in * c_out * k * k + (c_out if bias else 0)

    def residual(c_in, c_out, shortcut):
        # 两个 3×3 卷积紧跟批量规范化，不带偏置；捷径上的 1×1 卷积后面没有批量规范化，带偏置
        main = conv(c_in, c_out, 3, bias=False) + conv(c_out, c_out, 3, bias=False) + 4 * c_out
        return main + (conv(c_in, c_out, 1) if shortcut else 0)

    stem = conv(1, 64, 7, bias=False) + 2 * 64
    stages = 2 * residual(64, 64, False)
    for c_in, c_out in [(64, 128), (128, 256), (256, 512)]:
        stages += residual(c_in, c_out, True) + residual(c_out, c_out, False)
    assert count_parameters(resnet18()) == stem + stages + 512 * 10 + 10


def test_small_resnet_and_other_inputs():
    net = resnet((16, 32, 64), in_channels=3, num_classes=7)
    assert net(torch.zeros(2, 3, 32, 32)).shape == (2, 7)
    assert len(net) == 1 + 3 + 3
    assert resnet((8,), num_residuals=1)(torch.zeros(2, 1, 16, 16)).shape == (2, 10)


# ----- 错误的输入 -----


@pytest.mark.parametrize("args, kwargs", [((3, 6), {}), ((3, 3), {"strides": 2})])
def test_shape_changing_block_without_1x1_conv_is_rejected(args, kwargs):
    with pytest.raises(ValueError, match="请设 use_1x1conv=True"):
        Residual(*args, **kwargs)


def test_channel_mismatch_at_forward_is_rejected():
    with pytest.raises(ValueError, match=r"形状 \(批量大小, 3, 高, 宽\) 的四维张量，实际形状为 \(2, 4, 6, 6\)"):
        Residual(3, 3)(torch.zeros(2, 4, 6, 6))
    with pytest.raises(ValueError, match="四维张量"):
        Residual(3, 3)(torch.zeros(3, 6, 6))
    with pytest.raises(TypeError, match="参数 X 应为浮点张量"):
        Residual(3, 3)(torch.zeros(2, 3, 6, 6, dtype=torch.long))


@pytest.mark.parametrize("kwargs, error, message", [
    ({"input_channels": 0, "num_channels": 3}, ValueError, "input_channels 应为正整数，实际得到 0"),
    ({"input_channels": 3, "num_channels": -1}, ValueError, "num_channels 应为正整数"),
    ({"input_channels": 3, "num_channels": 3, "strides": 0}, ValueError, "strides 应为正整数"),
    ({"input_channels": 3.0, "num_channels": 3}, TypeError, "input_channels 应为正整数，实际得到 float"),
    ({"input_channels": 3, "num_channels": 3, "use_1x1conv": 1}, TypeError, "use_1x1conv 应为 bool"),
])
def test_bad_residual_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        Residual(**kwargs)


def test_bad_stage_and_network_arguments():
    with pytest.raises(ValueError, match="num_residuals 应为正整数"):
        resnet_block(64, 64, 0, first_block=True)
    with pytest.raises(ValueError, match="第一个阶段不改变形状"):
        resnet_block(64, 128, 2, first_block=True)
    with pytest.raises(TypeError, match="stage_channels 应为由正整数组成的非空序列"):
        resnet(())
    with pytest.raises(TypeError, match="stage_channels 应为由正整数组成的非空序列"):
        resnet(64)
    with pytest.raises(ValueError, match=r"stage_channels\[1\] 应为正整数"):
        resnet((16, 0))
    with pytest.raises(ValueError, match="num_classes 应为正整数"):
        resnet18(num_classes=0)
    with pytest.raises(ValueError, match="in_channels 应为正整数"):
        resnet18(in_channels=-3)
    with pytest.raises(TypeError, match="参数 first_block 应为 bool，实际得到 int"):
        resnet_block(64, 64, 2, first_block=1)


def test_zero_gamma_in_the_last_batch_norm_makes_the_block_an_identity_on_non_negative_inputs():
    block = Residual(3, 3)  # 训练模式：批量规范化用小批量统计量
    nn.init.zeros_(block.bn2.weight)  # torchvision 的 zero_init_residual=True 就是这样初始化的
    X = torch.rand(4, 3, 6, 6)  # 非负，与上一个块 ReLU 之后的输出一样
    assert torch.equal(block(X), X)


def test_relu_after_the_addition_masks_the_identity_path():
    torch.manual_seed(0)
    g = nn.Sequential(nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 4))
    x = torch.randn(4)
    J = torch.autograd.functional.jacobian(lambda x: torch.relu(g(x) + x), x)
    J_g = torch.autograd.functional.jacobian(g, x)
    mask = (g(x) + x > 0).float()
    assert torch.allclose(J, torch.diag(mask) @ (J_g + torch.eye(4)))


@pytest.mark.parametrize("shape", [(1, 3, 96, 96), (1, 96, 96), (1, 1, 1, 96, 96)])
def test_calling_the_net_with_a_wrong_shape_says_what_it_expects(shape):
    message = r"resnet 的输入应为形状 \(批量大小, 1, 高, 宽\) 的四维张量，实际形状为 " + re.escape(str(shape))
    with torch.device("meta"):
        net = resnet18()
    with pytest.raises(ValueError, match=message):
        net(torch.zeros(shape, device="meta"))
    with pytest.raises(ValueError, match=r"resnet 的输入应为形状 \(批量大小, 3, 高, 宽\)"):
        resnet((8,), num_residuals=1, in_channels=3)(torch.zeros(2, 1, 16, 16))
