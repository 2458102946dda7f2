"""深度卷积神经网络 AlexNet：《动手学深度学习》使用的单 GPU 简化版本。

对应页面 ``docs/modern-cnn/alexnet.md``。逐层的输出形状和参数个数用
:func:`lessons_src.cnn.lenet.layer_summary` 和 :func:`lessons_src.cnn.lenet.count_parameters` 查看。
"""

from __future__ import annotations

import torch  # noqa: F401  文档字符串中的示例用到 torch
from torch import nn

from lessons_src.checks import require_positive_int, require_real

__all__ = ["alexnet"]


# --8<-- [start:checks]
def _require_probability(value: object, name: str) -> float:
    p = require_real(value, name, minimum=0.0)
    if p >= 1:
        raise ValueError(f"参数 {name} 是暂退概率，应在 [0, 1) 内，实际得到 {p}")
    return p
# --8<-- [end:checks]


# --8<-- [start:alexnet]
def alexnet(in_channels: int = 1, num_classes: int = 10, *, dropout: float = 0.5) -> nn.Sequential:
    """AlexNet：5 个卷积层和 3 个全连接层，激活函数是 ReLU，前两个全连接层后接暂退法。

    按 224×224 的输入设计：三次 3×3、步幅 2 的最大汇聚层之后特征图是 256×5×5，
    展平后正好是第一个全连接层的 6400 个输入。

    Args:
        in_channels: 输入通道数（灰度图为 1，彩色图为 3）。
        num_classes: 类别数，即最后一层的输出个数。
        dropout: 全连接层后暂退法的概率，在 [0, 1) 内。

    Examples:
        >>> net = alexnet()
        >>> net(torch.zeros(1, 1, 224, 224)).shape
        torch.Size([1, 10])
    """
    require_positive_int(in_channels, "in_channels")
    require_positive_int(num_classes, "num_classes")
    p = _require_probability(dropout, "dropout")
    return nn.Sequential(
        # 大窗口（11×11）、大步幅（4）：一开始就把 224×224 缩小到 54×54
        nn.Conv2d(in_channels, 96, kernel_size=11, stride=4, padding=1), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        # 5×5 窗口，填充 2 保持高宽不变，通道数增加到 256
        nn.Conv2d(96, 256, kernel_size=5, padding=2), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        # 三个连续的 3×3 卷积层，中间不做汇聚
        nn.Conv2d(256, 384, kernel_size=3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 384, kernel_size=3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Flatten(),
        # 两个 4096 维的全连接隐藏层，各接一个暂退层
        nn.Linear(256 * 5 * 5, 4096), nn.ReLU(), nn.Dropout(p),
        nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(p),
        nn.Linear(4096, num_classes),
    )
# --8<-- [end:alexnet]
