"""使用块的网络 VGG：VGG 块、由块的配置生成的 VGG 网络（VGG-11 及其缩小通道的版本）。

对应页面 ``docs/modern-cnn/vgg.md``。训练用 :mod:`lessons_src.linear_networks.softmax_regression`
中的 :func:`~lessons_src.linear_networks.softmax_regression.fit`。
"""

from __future__ import annotations

from collections.abc import Sequence

import torch  # noqa: F401  文档字符串中的示例用到 torch
from torch import nn

from lessons_src.checks import require_positive_int, require_real
from lessons_src.modern_cnn.alexnet import InputShape

__all__ = ["VGG11_ARCH", "scale_channels", "vgg", "vgg_block"]


def check_conv_arch(conv_arch: object) -> list[tuple[int, int]]:
    """确认 ``conv_arch`` 是非空的 ``(卷积层数, 输出通道数)`` 序列，返回列表。"""
    if isinstance(conv_arch, (str, bytes)) or not isinstance(conv_arch, Sequence):
        raise TypeError(
            f"参数 conv_arch 应为由 (num_convs, out_channels) 组成的序列，实际得到 {type(conv_arch).__name__}"
        )
    if len(conv_arch) == 0:
        raise ValueError("参数 conv_arch 不能为空：至少要有一个 VGG 块")
    arch = []
    for index, pair in enumerate(conv_arch):
        if not (isinstance(pair, Sequence) and len(pair) == 2):
            raise TypeError(f"conv_arch[{index}] 应为 (num_convs, out_channels) 二元组，实际得到 {pair!r}")
        arch.append((
            require_positive_int(pair[0], f"conv_arch[{index}] 的 num_convs"),
            require_positive_int(pair[1], f"conv_arch[{index}] 的 out_channels"),
        ))
    return arch


def check_vgg_block_args(num_convs: object, in_channels: object, out_channels: object) -> None:
    """检查 :func:`vgg_block` 的参数：三个正整数。"""
    for name, value in (("num_convs", num_convs), ("in_channels", in_channels), ("out_channels", out_channels)):
        require_positive_int(value, name)


# --8<-- [start:vgg_block]
def vgg_block(num_convs: int, in_channels: int, out_channels: int) -> nn.Sequential:
    """VGG 块：``num_convs`` 个“3×3 卷积（填充 1）+ ReLU”，最后接 2×2、步幅 2 的最大汇聚层。

    卷积层不改变高和宽，汇聚层把高和宽各减半；只有第一个卷积层把通道数从
    ``in_channels`` 变为 ``out_channels``。

    Examples:
        >>> block = vgg_block(2, 3, 8)
        >>> block(torch.zeros(1, 3, 16, 16)).shape
        torch.Size([1, 8, 8, 8])
    """
    check_vgg_block_args(num_convs, in_channels, out_channels)
    layers = []
    for _ in range(num_convs):
        layers.append(nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1))
        layers.append(nn.ReLU())
        in_channels = out_channels
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*layers)
# --8<-- [end:vgg_block]


def check_vgg_args(
    conv_arch: object, in_channels: object, num_classes: object, image_size: object, fc_hidden: object, dropout: object
) -> list[tuple[int, int]]:
    """检查 :func:`vgg` 的参数，返回块的配置列表：``conv_arch`` 见 :func:`check_conv_arch`；
    通道数、类别数、边长、隐藏层宽度是正整数，边长至少是 ``2**len(conv_arch)``（每个块把边长减半，
    最后至少剩 1），暂退概率在 [0, 1) 内。"""
    arch = check_conv_arch(conv_arch)
    for name, value in (("in_channels", in_channels), ("num_classes", num_classes),
                        ("image_size", image_size), ("fc_hidden", fc_hidden)):
        require_positive_int(value, name)
    require_real(dropout, "dropout", within="[0, 1)", what="暂退概率")
    if image_size < 2 ** len(arch):
        raise ValueError(
            f"{len(arch)} 个 VGG 块会把边长减半 {len(arch)} 次，image_size 至少应为 {2 ** len(arch)}，"
            f"实际得到 {image_size}"
        )
    return arch


# --8<-- [start:vgg]
VGG11_ARCH = ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))
"""VGG-11 的卷积部分：5 个块的 ``(卷积层数, 输出通道数)``，共 8 个卷积层。"""


def vgg(
    conv_arch: Sequence[tuple[int, int]],
    *,
    in_channels: int = 1,
    num_classes: int = 10,
    image_size: int = 224,
    fc_hidden: int = 4096,
    dropout: float = 0.5,
) -> nn.Sequential:
    """按 ``conv_arch`` 依次堆叠 VGG 块，再接三个全连接层（两个隐藏层各接暂退法）。

    每个块把高和宽减半，``len(conv_arch)`` 个块之后边长是 ``image_size // 2**len(conv_arch)``，
    由此算出第一个全连接层的输入个数。网络只接受边长为 ``image_size`` 的正方形输入，
    入口的 :class:`~lessons_src.modern_cnn.alexnet.InputShape` 钩子检查这一点。

    Args:
        conv_arch: 每个块的 ``(卷积层数, 输出通道数)``，例如 :data:`VGG11_ARCH`。
        in_channels: 输入通道数。
        num_classes: 类别数。
        image_size: 输入图像的边长，至少为 ``2**len(conv_arch)``。
        fc_hidden: 两个全连接隐藏层的宽度（原始 VGG 为 4096）。
        dropout: 暂退概率，在 [0, 1) 内。

    Examples:
        >>> net = vgg(((1, 4), (2, 8)), image_size=16, fc_hidden=32)
        >>> net(torch.zeros(2, 1, 16, 16)).shape
        torch.Size([2, 10])
    """
    arch = check_vgg_args(conv_arch, in_channels, num_classes, image_size, fc_hidden, dropout)
    final_size = image_size // 2 ** len(arch)  # 每个块把高和宽减半
    blocks, channels = [], in_channels
    for num_convs, out_channels in arch:
        blocks.append(vgg_block(num_convs, channels, out_channels))
        channels = out_channels
    net = nn.Sequential(
        *blocks,
        nn.Flatten(),
        nn.Linear(channels * final_size * final_size, fc_hidden), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(fc_hidden, fc_hidden), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(fc_hidden, num_classes),
    )
    # 入口处检查输入形状（见 AlexNet 一节的 InputShape）：只接受 image_size×image_size 的输入
    net.register_forward_pre_hook(InputShape("vgg", in_channels, min_size=image_size, max_size=image_size))
    return net
# --8<-- [end:vgg]


def check_scale_channels_args(conv_arch: object, ratio: object) -> list[tuple[int, int]]:
    """检查 :func:`scale_channels` 的参数，返回块的配置列表：``ratio`` 是正整数，
    且不大于最窄的块的通道数（否则除完是 0 个通道）。"""
    arch = check_conv_arch(conv_arch)
    require_positive_int(ratio, "ratio")
    narrowest = min(out_channels for _, out_channels in arch)
    if ratio > narrowest:
        raise ValueError(f"ratio={ratio} 太大：最窄的块只有 {narrowest} 个通道，除以 ratio 后为 0")
    return arch


# --8<-- [start:scale_channels]
def scale_channels(conv_arch: Sequence[tuple[int, int]], ratio: int) -> tuple[tuple[int, int], ...]:
    """把每个块的输出通道数除以 ``ratio``（向下取整），卷积层数不变，得到一个更窄的网络。

    Examples:
        >>> scale_channels(VGG11_ARCH, 4)
        ((1, 16), (1, 32), (2, 64), (2, 128), (2, 128))
    """
    arch = check_scale_channels_args(conv_arch, ratio)
    return tuple((num_convs, out_channels // ratio) for num_convs, out_channels in arch)
# --8<-- [end:scale_channels]
