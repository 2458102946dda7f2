"""稠密连接网络（DenseNet）：卷积块、稠密块、过渡层和完整的 DenseNet。

对应页面 ``docs/modern-cnn/densenet.md``。
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from lessons_src.checks import require_positive_int
from lessons_src.modern_cnn.alexnet import InputShape

__all__ = ["DenseBlock", "conv_block", "densenet", "transition_block"]


def check_block_channels_args(input_channels: object, num_channels: object) -> None:
    """检查 :func:`conv_block` 和 :func:`transition_block` 的参数：输入、输出通道数都是正整数。"""
    require_positive_int(input_channels, "input_channels")
    require_positive_int(num_channels, "num_channels")


# --8<-- [start:conv_block]
def conv_block(input_channels: int, num_channels: int) -> nn.Sequential:
    """DenseNet 的卷积块：批量规范化 → ReLU → 3×3 卷积（填充 1，高和宽不变）。

    Examples:
        >>> conv_block(3, 10)(torch.zeros(4, 3, 8, 8)).shape
        torch.Size([4, 10, 8, 8])
    """
    check_block_channels_args(input_channels, num_channels)
    return nn.Sequential(
        nn.BatchNorm2d(input_channels), nn.ReLU(),
        nn.Conv2d(input_channels, num_channels, kernel_size=3, padding=1),
    )
# --8<-- [end:conv_block]


def check_dense_block_init_args(num_convs: object, input_channels: object, growth_rate: object) -> None:
    """检查 :class:`DenseBlock` 的构造参数：卷积块个数、输入通道数、增长率都是正整数。"""
    for name, value in (("num_convs", num_convs), ("input_channels", input_channels), ("growth_rate", growth_rate)):
        require_positive_int(value, name)


# --8<-- [start:DenseBlock]
class DenseBlock(nn.Module):
    """稠密块：``num_convs`` 个卷积块，每个块的输出在通道维上与它的输入连结，作为下一个块的输入。

    每个卷积块输出 ``growth_rate`` 个通道（增长率），第 i 个块（从 0 数）的输入有
    ``input_channels + i * growth_rate`` 个通道，整个稠密块输出
    ``input_channels + num_convs * growth_rate`` 个通道，高和宽不变。

    Examples:
        >>> block = DenseBlock(2, 3, 10)
        >>> block(torch.zeros(4, 3, 8, 8)).shape, block.out_channels
        (torch.Size([4, 23, 8, 8]), 23)
    """

    def __init__(self, num_convs: int, input_channels: int, growth_rate: int) -> None:
        super().__init__()
        check_dense_block_init_args(num_convs, input_channels, growth_rate)
        self.input_channels = input_channels
        self.net = nn.Sequential(
            *[conv_block(input_channels + i * growth_rate, growth_rate) for i in range(num_convs)]
        )
        self.out_channels = input_channels + num_convs * growth_rate
        # 调用块时先检查输入：四维、input_channels 个通道（见 AlexNet 一节的 InputShape）
        self.register_forward_pre_hook(InputShape("DenseBlock", input_channels))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        for block in self.net:
            Y = block(X)
            X = torch.cat((X, Y), dim=1)  # 在通道维上连结输入和输出
        return X
# --8<-- [end:DenseBlock]


# --8<-- [start:transition_block]
def transition_block(input_channels: int, num_channels: int) -> nn.Sequential:
    """过渡层：批量规范化 → ReLU → 1×1 卷积（改变通道数）→ 2×2、步幅 2 的平均汇聚层（高和宽减半）。

    Examples:
        >>> transition_block(23, 10)(torch.zeros(4, 23, 8, 8)).shape
        torch.Size([4, 10, 4, 4])
    """
    check_block_channels_args(input_channels, num_channels)
    return nn.Sequential(
        nn.BatchNorm2d(input_channels), nn.ReLU(),
        nn.Conv2d(input_channels, num_channels, kernel_size=1),
        nn.AvgPool2d(kernel_size=2, stride=2),
    )
# --8<-- [end:transition_block]


def check_densenet_args(
    convs_in_dense_blocks: object, growth_rate: object, num_channels: object, in_channels: object, num_classes: object
) -> None:
    """检查 :func:`densenet` 的参数：``convs_in_dense_blocks`` 是非空序列（其中的数由 :class:`DenseBlock` 检查），
    增长率、通道数、类别数是正整数。"""
    if (isinstance(convs_in_dense_blocks, (str, bytes)) or not isinstance(convs_in_dense_blocks, Sequence)
            or len(convs_in_dense_blocks) == 0):
        raise TypeError(f"参数 convs_in_dense_blocks 应为由正整数组成的非空序列，实际得到 {convs_in_dense_blocks!r}")
    for name, value in [("growth_rate", growth_rate), ("num_channels", num_channels),
                        ("in_channels", in_channels), ("num_classes", num_classes)]:
        require_positive_int(value, name)


# --8<-- [start:densenet]
def densenet(
    convs_in_dense_blocks: Sequence[int] = (4, 4, 4, 4),
    growth_rate: int = 32,
    *,
    num_channels: int = 64,
    in_channels: int = 1,
    num_classes: int = 10,
) -> nn.Sequential:
    """DenseNet：主干层、稠密块与过渡层交替、批量规范化 → ReLU → 全局平均汇聚 → 展平 → 全连接层。

    主干层与 ResNet 相同（7×7 卷积、步幅 2、不带偏置 → 批量规范化 → ReLU → 3×3 最大汇聚、步幅 2），输出
    ``num_channels`` 个通道。每两个稠密块之间放一个过渡层，把通道数减半（向下取整）、高和宽减半；
    最后一个稠密块之后不放。

    Examples:
        >>> net = densenet((2, 2), growth_rate=8, num_channels=16)
        >>> net(torch.zeros(2, 1, 32, 32)).shape
        torch.Size([2, 10])
    """
    check_densenet_args(convs_in_dense_blocks, growth_rate, num_channels, in_channels, num_classes)
    layers: list[nn.Module] = [nn.Sequential(
        nn.Conv2d(in_channels, num_channels, kernel_size=7, stride=2, padding=3, bias=False),
        nn.BatchNorm2d(num_channels), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
    )]
    for i, num_convs in enumerate(convs_in_dense_blocks):
        block = DenseBlock(num_convs, num_channels, growth_rate)
        layers.append(block)
        num_channels = block.out_channels
        if i != len(convs_in_dense_blocks) - 1:
            layers.append(transition_block(num_channels, num_channels // 2))
            num_channels = num_channels // 2
    layers += [
        nn.BatchNorm2d(num_channels), nn.ReLU(),
        nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),
        nn.Linear(num_channels, num_classes),
    ]
    net = nn.Sequential(*layers)
    # 入口处检查输入形状（见 AlexNet 一节的 InputShape）。主干把边长缩小到约 1/4，
    # 每个过渡层再减半：边长至少 4·2^(过渡层数) - 3，最后一个稠密块才至少剩 1×1
    smallest = 4 * 2 ** (len(convs_in_dense_blocks) - 1) - 3
    net.register_forward_pre_hook(InputShape("densenet", in_channels, min_size=smallest))
    return net
# --8<-- [end:densenet]
