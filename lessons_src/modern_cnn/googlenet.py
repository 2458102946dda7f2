"""含并行连结的网络 GoogLeNet：Inception 块和由五个模块组成的 GoogLeNet（96×96 输入的版本）。

对应页面 ``docs/modern-cnn/googlenet.md``。
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from lessons_src.checks import require_positive_int, require_tensor

__all__ = ["Inception", "googlenet"]


# --8<-- [start:checks]
def _require_pair(value: object, name: str) -> tuple[int, int]:
    if isinstance(value, (str, bytes)) or not (isinstance(value, Sequence) and len(value) == 2):
        raise TypeError(f"参数 {name} 应为由两个正整数组成的二元组（1×1 卷积的输出通道数, 第二个卷积的输出通道数），"
                        f"实际得到 {value!r}")
    return require_positive_int(value[0], f"{name}[0]"), require_positive_int(value[1], f"{name}[1]")
# --8<-- [end:checks]


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
        self.in_channels = require_positive_int(in_channels, "in_channels")
        c1 = require_positive_int(c1, "c1")
        c2 = _require_pair(c2, "c2")
        c3 = _require_pair(c3, "c3")
        c4 = require_positive_int(c4, "c4")
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

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        require_tensor(X, "X", floating=True)
        if X.dim() != 4 or X.shape[1] != self.in_channels:
            raise ValueError(
                f"输入应为形状 (批量大小, {self.in_channels}, 高, 宽) 的四维张量，实际形状为 {tuple(X.shape)}"
            )
        p1 = F.relu(self.p1_1(X))
        p2 = F.relu(self.p2_2(F.relu(self.p2_1(X))))
        p3 = F.relu(self.p3_2(F.relu(self.p3_1(X))))
        p4 = F.relu(self.p4_2(self.p4_1(X)))
        # 四条路径的输出高宽相同，在通道维（dim=1）上连结
        return torch.cat((p1, p2, p3, p4), dim=1)
# --8<-- [end:Inception]


# --8<-- [start:googlenet]
def googlenet(in_channels: int = 1, num_classes: int = 10) -> nn.Sequential:
    """GoogLeNet：五个模块 b1–b5 加一个全连接输出层，共 9 个 Inception 块。

    b1、b2 是普通的卷积层和最大汇聚层；b3、b4、b5 分别含 2、5、2 个 Inception 块；
    b5 以全局平均汇聚层结束，输出 1024 维的特征。b1–b4 各以一个步幅 2 的汇聚层结束，
    b1 的卷积层步幅也是 2，所以高和宽共缩小 32 倍：96×96 的输入到 b5 时是 3×3。

    Examples:
        >>> net = googlenet()
        >>> net(torch.zeros(1, 1, 96, 96)).shape
        torch.Size([1, 10])
    """
    require_positive_int(in_channels, "in_channels")
    require_positive_int(num_classes, "num_classes")
    b1 = nn.Sequential(
        nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
    )
    b2 = nn.Sequential(
        nn.Conv2d(64, 64, kernel_size=1), nn.ReLU(),
        nn.Conv2d(64, 192, kernel_size=3, padding=1), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
    )
    b3 = nn.Sequential(
        Inception(192, 64, (96, 128), (16, 32), 32),  # 64 + 128 + 32 + 32 = 256
        Inception(256, 128, (128, 192), (32, 96), 64),  # 128 + 192 + 96 + 64 = 480
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
    )
    b4 = nn.Sequential(
        Inception(480, 192, (96, 208), (16, 48), 64),  # 512
        Inception(512, 160, (112, 224), (24, 64), 64),  # 512
        Inception(512, 128, (128, 256), (24, 64), 64),  # 512
        Inception(512, 112, (144, 288), (32, 64), 64),  # 528
        Inception(528, 256, (160, 320), (32, 128), 128),  # 832
        nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
    )
    b5 = nn.Sequential(
        Inception(832, 256, (160, 320), (32, 128), 128),  # 832
        Inception(832, 384, (192, 384), (48, 128), 128),  # 1024
        nn.AdaptiveAvgPool2d((1, 1)),
        nn.Flatten(),
    )
    return nn.Sequential(b1, b2, b3, b4, b5, nn.Linear(1024, num_classes))
# --8<-- [end:googlenet]
