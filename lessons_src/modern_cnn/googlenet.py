"""含并行连结的网络 GoogLeNet：Inception 块和由五个阶段组成的 GoogLeNet（96×96 输入的版本）。

对应页面 ``docs/modern-cnn/googlenet.md``。``googlenet(ratio=8)`` 是页面上训练的缩小版。
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from lessons_src.checks import require_choice, require_positive_int
from lessons_src.modern_cnn.alexnet import InputShape

__all__ = ["Inception", "googlenet"]


def check_channel_pair(value: object, name: str) -> tuple[int, int]:
    """确认 ``value`` 是两个正整数组成的二元组（1×1 卷积的输出通道数, 第二个卷积的输出通道数），返回元组。"""
    if isinstance(value, (str, bytes)) or not (isinstance(value, Sequence) and len(value) == 2):
        raise TypeError(f"参数 {name} 应为由两个正整数组成的二元组（1×1 卷积的输出通道数, 第二个卷积的输出通道数），"
                        f"实际得到 {value!r}")
    return require_positive_int(value[0], f"{name}[0]"), require_positive_int(value[1], f"{name}[1]")


def check_inception_init_args(
    in_channels: object, c1: object, c2: object, c3: object, c4: object
) -> tuple[int, tuple[int, int], tuple[int, int], int]:
    """检查 :class:`Inception` 的构造参数：``in_channels``、``c1``、``c4`` 是正整数，
    ``c2``、``c3`` 是两个正整数组成的二元组；返回 ``(c1, c2, c3, c4)``，``c2``、``c3`` 转成元组。"""
    require_positive_int(in_channels, "in_channels")
    c1 = require_positive_int(c1, "c1")
    c2, c3 = check_channel_pair(c2, "c2"), check_channel_pair(c3, "c3")
    return c1, c2, c3, require_positive_int(c4, "c4")


# --8<-- [start:Inception]
class Inception(nn.Module):
    """Inception 块：四条并行路径，输出在通道维上连结，高和宽与输入相同。

    - 路径 1：1×1 卷积，输出 ``c1`` 个通道；
    - 路径 2：1×1 卷积降到 ``c2[0]`` 个通道，再做 3×3 卷积（填充 1），输出 ``c2[1]`` 个通道；
    - 路径 3：1×1 卷积降到 ``c3[0]`` 个通道，再做 5×5 卷积（填充 2），输出 ``c3[1]`` 个通道；
    - 路径 4：3×3 最大汇聚（步幅 1、填充 1），再做 1×1 卷积，输出 ``c4`` 个通道。

    每个卷积层后都接 ReLU。输出通道数是 ``c1 + c2[1] + c3[1] + c4``，记在属性 ``out_channels`` 中。

    Examples:
        >>> block = Inception(192, 64, (96, 128), (16, 32), 32)
        >>> block.out_channels
        256
        >>> block(torch.zeros(1, 192, 12, 12)).shape
        torch.Size([1, 256, 12, 12])
    """

    def __init__(
        self, in_channels: int, c1: int, c2: Sequence[int], c3: Sequence[int], c4: int
    ) -> None:
        super().__init__()
        c1, c2, c3, c4 = check_inception_init_args(in_channels, c1, c2, c3, c4)
        self.in_channels = in_channels
        self.out_channels = c1 + c2[1] + c3[1] + c4
        # 路径 1：单个 1×1 卷积层
        self.p1_1 = nn.Conv2d(in_channels, c1, kernel_size=1)
        # 路径 2：1×1 卷积层减少通道，再接 3×3 卷积层
        self.p2_1 = nn.Conv2d(in_channels, c2[0], kernel_size=1)
        self.p2_2 = nn.Conv2d(c2[0], c2[1], kernel_size=3, padding=1)
        # 路径 3：1×1 卷积层减少通道，再接 5×5 卷积层
        self.p3_1 = nn.Conv2d(in_channels, c3[0], kernel_size=1)
        self.p3_2 = nn.Conv2d(c3[0], c3[1], kernel_size=5, padding=2)
        # 路径 4：3×3 最大汇聚层，再接 1×1 卷积层
        self.p4_1 = nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
        self.p4_2 = nn.Conv2d(in_channels, c4, kernel_size=1)
        # 调用块时先检查输入：四维、in_channels 个通道（见 AlexNet 一节的 InputShape）
        self.register_forward_pre_hook(InputShape("Inception", in_channels))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        p1 = F.relu(self.p1_1(X))
        p2 = F.relu(self.p2_2(F.relu(self.p2_1(X))))
        p3 = F.relu(self.p3_2(F.relu(self.p3_1(X))))
        p4 = F.relu(self.p4_2(self.p4_1(X)))
        # 四条路径的输出高宽相同，在通道维（dim=1）上连结
        return torch.cat((p1, p2, p3, p4), dim=1)
# --8<-- [end:Inception]


def check_googlenet_args(in_channels: object, num_classes: object, ratio: object) -> None:
    """检查 :func:`googlenet` 的参数：通道数和类别数是正整数，``ratio`` 是 1、2、4 或 8
    （它们都能整除网络中的每个通道数，各路径的通道数之和才与下一个块的输入对得上）。"""
    require_positive_int(in_channels, "in_channels")
    require_positive_int(num_classes, "num_classes")
    require_choice(require_positive_int(ratio, "ratio"), "ratio", (1, 2, 4, 8))


# --8<-- [start:googlenet]
def googlenet(in_channels: int = 1, num_classes: int = 10, *, ratio: int = 1) -> nn.Sequential:
    """GoogLeNet：五个阶段 b1–b5 加一个全连接输出层，共 9 个 Inception 块。

    b1、b2 是普通的卷积层和最大汇聚层；b3、b4、b5 分别含 2、5、2 个 Inception 块；
    b5 以全局平均汇聚层结束，输出 1024 维的特征。b1–b4 各以一个步幅 2 的汇聚层结束，
    b1 的卷积层步幅也是 2，所以高和宽共缩小 32 倍：96×96 的输入到 b5 时是 3×3。
    因为最后是全局平均汇聚，任意边长的输入都可以运行（入口的钩子只检查四维和通道数）。
    ``ratio``（1、2、4 或 8）把每个通道数都除以它，得到一个更窄的网络。

    Examples:
        >>> net = googlenet()
        >>> net(torch.zeros(1, 1, 96, 96)).shape
        torch.Size([1, 10])
        >>> googlenet(ratio=8)[-1]
        Linear(in_features=128, out_features=10, bias=True)
    """
    check_googlenet_args(in_channels, num_classes, ratio)

    def c(n: int) -> int:  # 通道数除以 ratio；ratio=1 时就是原始的通道数
        return n // ratio

    def inception(n_in: int, c1: int, c2: tuple[int, int],
                  c3: tuple[int, int], c4: int) -> Inception:  # 按原始通道数写，再除以 ratio
        return Inception(c(n_in), c(c1), (c(c2[0]), c(c2[1])),
                         (c(c3[0]), c(c3[1])), c(c4))

    b1 = nn.Sequential(
        nn.Conv2d(in_channels, c(64), kernel_size=7, stride=2, padding=3), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
    )
    b2 = nn.Sequential(
        nn.Conv2d(c(64), c(64), kernel_size=1), nn.ReLU(),
        nn.Conv2d(c(64), c(192), kernel_size=3, padding=1), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
    )
    b3 = nn.Sequential(
        inception(192, 64, (96, 128), (16, 32), 32),  # 64 + 128 + 32 + 32 = 256
        inception(256, 128, (128, 192), (32, 96), 64),  # 128 + 192 + 96 + 64 = 480
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
    )
    b4 = nn.Sequential(
        inception(480, 192, (96, 208), (16, 48), 64),  # 512
        inception(512, 160, (112, 224), (24, 64), 64),  # 512
        inception(512, 128, (128, 256), (24, 64), 64),  # 512
        inception(512, 112, (144, 288), (32, 64), 64),  # 528
        inception(528, 256, (160, 320), (32, 128), 128),  # 832
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
    )
    b5 = nn.Sequential(
        inception(832, 256, (160, 320), (32, 128), 128),  # 832
        inception(832, 384, (192, 384), (48, 128), 128),  # 1024
        nn.AdaptiveAvgPool2d((1, 1)),
        nn.Flatten(),
    )
    net = nn.Sequential(b1, b2, b3, b4, b5, nn.Linear(c(1024), num_classes))
    # 入口处检查输入形状（见 AlexNet 一节的 InputShape）：四维、通道数对，高和宽不限
    net.register_forward_pre_hook(InputShape("googlenet", in_channels))
    return net
# --8<-- [end:googlenet]
