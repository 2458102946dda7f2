"""残差网络（ResNet）：残差块、由残差块组成的阶段，以及 ResNet-18 和它的缩小版。

对应页面 ``docs/modern-cnn/resnet.md``。训练用 :mod:`lessons_src.linear_networks.softmax_regression`
中的 :func:`~lessons_src.linear_networks.softmax_regression.fit`。
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from lessons_src.checks import require_instance, require_positive_int
from lessons_src.modern_cnn.alexnet import InputShape

__all__ = ["Residual", "resnet", "resnet18", "resnet_block"]


def check_residual_init_args(
    input_channels: object, num_channels: object, use_1x1conv: object, strides: object
) -> None:
    """检查 :class:`Residual` 的构造参数：通道数和步幅是正整数，``use_1x1conv`` 是 ``bool``；
    不用 1×1 卷积时，主路径不能改变形状（输入输出通道数相同、步幅为 1），否则捷径与主路径无法相加。"""
    require_positive_int(input_channels, "input_channels")
    require_positive_int(num_channels, "num_channels")
    require_positive_int(strides, "strides")
    require_instance(use_1x1conv, "use_1x1conv", bool)
    if not use_1x1conv and (input_channels != num_channels or strides != 1):
        raise ValueError(
            f"输入通道数 {input_channels}、输出通道数 {num_channels}、步幅 {strides} 会让主路径与捷径的形状不同，"
            "无法相加；请设 use_1x1conv=True"
        )


# --8<-- [start:Residual]
class Residual(nn.Module):
    """残差块：两个 3×3 卷积层（各接批量规范化），加上输入之后再做 ReLU。

    主路径是 ``3×3 卷积 → 批量规范化 → ReLU → 3×3 卷积 → 批量规范化``（卷积层紧跟批量规范化，不带偏置），
    捷径（shortcut）把输入直接加到主路径的输出上。主路径改变了通道数或用了步幅 2 时，
    两者形状不同，必须令 ``use_1x1conv=True``，在捷径上用 1×1 卷积（步幅相同）把输入变成同样的形状。

    Args:
        input_channels: 输入通道数。
        num_channels: 输出通道数。
        use_1x1conv: 捷径上是否使用 1×1 卷积。
        strides: 第一个 3×3 卷积和 1×1 卷积的步幅。

    Examples:
        >>> X = torch.rand(4, 3, 6, 6)
        >>> Residual(3, 3)(X).shape
        torch.Size([4, 3, 6, 6])
        >>> Residual(3, 6, use_1x1conv=True, strides=2)(X).shape
        torch.Size([4, 6, 3, 3])
    """

    def __init__(self, input_channels: int, num_channels: int, *, use_1x1conv: bool = False, strides: int = 1) -> None:
        super().__init__()
        check_residual_init_args(input_channels, num_channels, use_1x1conv, strides)
        self.input_channels = input_channels
        # 卷积层后面紧跟批量规范化，偏置会被减均值抵消（见批量规范化一节），所以不用偏置
        self.conv1 = nn.Conv2d(input_channels, num_channels, kernel_size=3, padding=1, stride=strides, bias=False)
        self.conv2 = nn.Conv2d(num_channels, num_channels, kernel_size=3, padding=1, bias=False)
        self.conv3 = nn.Conv2d(input_channels, num_channels, kernel_size=1, stride=strides) if use_1x1conv else None
        self.bn1 = nn.BatchNorm2d(num_channels)
        self.bn2 = nn.BatchNorm2d(num_channels)
        # 调用块时先检查输入：四维、input_channels 个通道（见 AlexNet 一节的 InputShape）
        self.register_forward_pre_hook(InputShape("Residual", input_channels))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        if self.conv3 is not None:
            X = self.conv3(X)
        return F.relu(Y + X)
# --8<-- [end:Residual]


def check_resnet_block_args(
    input_channels: object, num_channels: object, num_residuals: object, first_block: object
) -> None:
    """检查 :func:`resnet_block` 的参数：``num_residuals`` 是正整数，``first_block`` 是 ``bool``；
    第一个阶段不改变形状，要求输入输出通道数相同。通道数本身由 :class:`Residual` 检查。"""
    require_positive_int(num_residuals, "num_residuals")
    require_instance(first_block, "first_block", bool)
    if first_block and input_channels != num_channels:
        raise ValueError(
            f"第一个阶段不改变形状，要求 input_channels == num_channels，实际为 {input_channels} 和 {num_channels}"
        )


# --8<-- [start:resnet_block]
def resnet_block(
    input_channels: int, num_channels: int, num_residuals: int, *, first_block: bool = False
) -> nn.Sequential:
    """ResNet 的一个阶段：``num_residuals`` 个残差块。

    除第一个阶段外，阶段的第一个残差块用步幅 2 把高和宽减半、用 1×1 卷积把通道数变成 ``num_channels``；
    第一个阶段前面已经有步幅 2 的最大汇聚层，所以不再减半（``first_block=True``），
    此时要求 ``input_channels == num_channels``。

    Examples:
        >>> stage = resnet_block(64, 128, 2)
        >>> stage(torch.zeros(1, 64, 24, 24)).shape
        torch.Size([1, 128, 12, 12])
    """
    check_resnet_block_args(input_channels, num_channels, num_residuals, first_block)
    blocks = []
    for i in range(num_residuals):
        if i == 0 and not first_block:
            blocks.append(Residual(input_channels, num_channels, use_1x1conv=True, strides=2))
        else:
            blocks.append(Residual(num_channels, num_channels))
    return nn.Sequential(*blocks)
# --8<-- [end:resnet_block]


def check_resnet_args(stage_channels: object, in_channels: object, num_classes: object) -> None:
    """检查 :func:`resnet` 的参数：``stage_channels`` 是由正整数组成的非空序列，通道数和类别数是正整数。
    ``num_residuals`` 由 :func:`resnet_block` 检查。"""
    if isinstance(stage_channels, (str, bytes)) or not isinstance(stage_channels, Sequence) or len(stage_channels) == 0:
        raise TypeError(f"参数 stage_channels 应为由正整数组成的非空序列，实际得到 {stage_channels!r}")
    for index, channels in enumerate(stage_channels):
        require_positive_int(channels, f"stage_channels[{index}]")
    require_positive_int(in_channels, "in_channels")
    require_positive_int(num_classes, "num_classes")


# --8<-- [start:resnet]
def resnet(
    stage_channels: Sequence[int] = (64, 128, 256, 512),
    num_residuals: int = 2,
    *,
    in_channels: int = 1,
    num_classes: int = 10,
) -> nn.Sequential:
    """按 ResNet-18 的结构搭网络：主干层、若干阶段、全局平均汇聚层、展平、全连接层。

    主干层是 7×7 卷积（步幅 2、填充 3，输出 ``stage_channels[0]`` 个通道，不带偏置）→ 批量规范化 → ReLU
    → 3×3 最大汇聚层（步幅 2、填充 1）；第 i 个阶段有 ``num_residuals`` 个残差块、``stage_channels[i]`` 个输出通道。

    Examples:
        >>> net = resnet((8, 16), num_residuals=1, in_channels=1, num_classes=10)
        >>> net(torch.zeros(2, 1, 32, 32)).shape
        torch.Size([2, 10])
    """
    check_resnet_args(stage_channels, in_channels, num_classes)
    first = stage_channels[0]
    stem = nn.Sequential(
        nn.Conv2d(in_channels, first, kernel_size=7, stride=2, padding=3, bias=False),
        nn.BatchNorm2d(first), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
    )
    stages = [resnet_block(first, first, num_residuals, first_block=True)]
    for i in range(1, len(stage_channels)):
        stages.append(resnet_block(stage_channels[i - 1], stage_channels[i], num_residuals))
    net = nn.Sequential(
        stem, *stages,
        nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),
        nn.Linear(stage_channels[-1], num_classes),
    )
    # 入口处检查输入形状（见 AlexNet 一节的 InputShape）：四维、通道数对，高和宽不限
    net.register_forward_pre_hook(InputShape("resnet", in_channels))
    return net


def resnet18(in_channels: int = 1, num_classes: int = 10) -> nn.Sequential:
    """ResNet-18：4 个阶段、每阶段 2 个残差块，通道数 64、128、256、512。

    4 × 2 × 2 = 16 个卷积层，加上主干的 7×7 卷积层和最后的全连接层，共 18 层。

    Examples:
        >>> resnet18()(torch.zeros(1, 1, 96, 96)).shape
        torch.Size([1, 10])
    """
    return resnet((64, 128, 256, 512), 2, in_channels=in_channels, num_classes=num_classes)
# --8<-- [end:resnet]
