"""网络中的网络 NiN：NiN 块（一个卷积层加两个 1×1 卷积层）和以全局平均汇聚层收尾的 NiN。

对应页面 ``docs/modern-cnn/nin.md``。``nin(ratio=8)`` 是页面上训练的缩小版。
"""

from __future__ import annotations

import torch  # noqa: F401  文档字符串中的示例用到 torch
from torch import nn

from lessons_src.checks import require_choice, require_int, require_positive_int, require_real
from lessons_src.modern_cnn.alexnet import WIDTH_RATIOS, InputShape

__all__ = ["nin", "nin_block"]


def check_nin_block_args(
    in_channels: object, out_channels: object, kernel_size: object, stride: object, padding: object
) -> None:
    """检查 :func:`nin_block` 的参数：通道数、窗口边长、步幅是正整数，填充是非负整数。"""
    for name, value in (("in_channels", in_channels), ("out_channels", out_channels),
                        ("kernel_size", kernel_size), ("stride", stride)):
        require_positive_int(value, name)
    require_int(padding, "padding", minimum=0)


# --8<-- [start:nin_block]
def nin_block(in_channels: int, out_channels: int, kernel_size: int, stride: int, padding: int) -> nn.Sequential:
    """NiN 块：一个普通卷积层，再接两个 1×1 卷积层，每个卷积层后都是 ReLU。

    两个 1×1 卷积层相当于在每个像素位置上、沿通道方向作用的两层全连接网络（共用同一组权重）。

    Examples:
        >>> nin_block(1, 8, kernel_size=3, stride=1, padding=1)(torch.zeros(2, 1, 6, 6)).shape
        torch.Size([2, 8, 6, 6])
    """
    check_nin_block_args(in_channels, out_channels, kernel_size, stride, padding)
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU(),
    )
# --8<-- [end:nin_block]


def check_nin_args(in_channels: object, num_classes: object, dropout: object, ratio: object) -> None:
    """检查 :func:`nin` 的参数：通道数和类别数是正整数，暂退概率在 [0, 1) 内，
    ``ratio`` 是 :data:`~lessons_src.modern_cnn.alexnet.WIDTH_RATIOS` 之一。"""
    require_positive_int(in_channels, "in_channels")
    require_positive_int(num_classes, "num_classes")
    require_real(dropout, "dropout", within="[0, 1)", what="暂退概率")
    require_choice(require_positive_int(ratio, "ratio"), "ratio", WIDTH_RATIOS)


# --8<-- [start:nin]
def nin(
    in_channels: int = 1, num_classes: int = 10, *, dropout: float = 0.5, ratio: int = 1
) -> nn.Sequential:
    """NiN：四个 NiN 块，前三个之后各接 3×3、步幅 2 的最大汇聚层，没有全连接层。

    最后一个 NiN 块输出 ``num_classes`` 个通道，全局平均汇聚层把每个通道平均成一个数，
    展平后就是各类别的得分，直接交给 ``nn.CrossEntropyLoss``。块的最后一层是 ReLU，所以这些得分都不小于 0。
    按 224×224 的输入设计；因为最后是全局平均汇聚，其他尺寸的输入同样可以运行，
    只要边长不小于 67（再小的话，第三个汇聚层之后就不剩任何位置了）。
    ``ratio`` 把前三个块的通道数（96、256、384）都除以它，得到一个更窄的网络。

    Examples:
        >>> net = nin()
        >>> net(torch.zeros(1, 1, 224, 224)).shape
        torch.Size([1, 10])
        >>> nin(ratio=8)[0][0]
        Conv2d(1, 12, kernel_size=(11, 11), stride=(4, 4))
    """
    check_nin_args(in_channels, num_classes, dropout, ratio)
    c1, c2, c3 = 96 // ratio, 256 // ratio, 384 // ratio  # ratio=1 时与 AlexNet 相同
    net = nn.Sequential(
        nin_block(in_channels, c1, kernel_size=11, stride=4, padding=0),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nin_block(c1, c2, kernel_size=5, stride=1, padding=2),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nin_block(c2, c3, kernel_size=3, stride=1, padding=1),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Dropout(dropout),
        # 最后一个块的输出通道数等于类别数
        nin_block(c3, num_classes, kernel_size=3, stride=1, padding=1),
        nn.AdaptiveAvgPool2d((1, 1)),  # 全局平均汇聚：每个通道的整张特征图平均成一个数
        nn.Flatten(),  # (批量大小, num_classes, 1, 1) -> (批量大小, num_classes)
    )
    # 入口处检查输入形状（见 AlexNet 一节的 InputShape）：边长至少 67，三次汇聚之后才不会一个位置都不剩
    net.register_forward_pre_hook(InputShape("nin", in_channels, min_size=67))
    return net
# --8<-- [end:nin]
