"""深度卷积神经网络 AlexNet：《动手学深度学习》使用的单 GPU 简化版本，以及本章网络共用的输入形状检查。

对应页面 ``docs/modern-cnn/alexnet.md``。逐层的输出形状和参数个数用
:func:`lessons_src.cnn.lenet.layer_summary` 和 :func:`lessons_src.cnn.lenet.count_parameters` 查看。
本章的网络构造函数都给返回的网络装上 :class:`InputShape` 钩子，输入形状不对时在入口处给出清楚的报错。
:func:`multiply_adds` 数出每个卷积层和全连接层的乘加次数（本章练习用它比较各网络的计算量）。
``ratio`` 参数把网络变窄，页面上训练的缩小版就是 ``alexnet(ratio=16)``；
:func:`init_kaiming` 是本章没有批量规范化的 ReLU 网络共用的 He 初始化。
"""

from __future__ import annotations

import torch
from torch import nn

from lessons_src.checks import (
    require_choice,
    require_int,
    require_module,
    require_positive_int,
    require_real,
    require_tensor,
)

__all__ = ["WIDTH_RATIOS", "InputShape", "alexnet", "init_kaiming", "multiply_adds"]


def check_input_shape_init_args(model: object, channels: object, min_size: object, max_size: object) -> None:
    """检查 :class:`InputShape` 的构造参数：``model`` 是字符串，``channels``、``min_size`` 是正整数，
    ``max_size`` 是 ``None`` 或不小于 ``min_size`` 的整数。"""
    if not isinstance(model, str):
        raise TypeError(f"参数 model 应为网络的名字（str），实际得到 {type(model).__name__}")
    require_positive_int(channels, "channels")
    require_positive_int(min_size, "min_size")
    if max_size is not None:
        require_int(max_size, "max_size", minimum=min_size)


# --8<-- [start:InputShape]
class InputShape:
    """前向预钩子（forward pre-hook）：在网络的第一层之前检查输入的形状。

    用 ``net.register_forward_pre_hook(InputShape(...))`` 装到网络上之后，每次调用 ``net(X)``，
    PyTorch 都先调用它。输入应为 ``(批量大小, channels, 高, 宽)`` 的四维浮点张量，高和宽都在
    ``min_size`` 到 ``max_size`` 之间（``max_size=None`` 表示没有上限）；不是这样时抛出 ``ValueError``，
    说明期望的形状和实际的形状，而不是等到网络深处的某一层才由 PyTorch 报出形状错误。

    装在整个网络上的钩子只在调用整个网络时运行；:func:`~lessons_src.cnn.lenet.layer_summary`
    逐层调用网络的子模块，不经过它。

    Examples:
        >>> net = nn.Sequential(nn.Conv2d(1, 2, kernel_size=3))
        >>> _ = net.register_forward_pre_hook(InputShape("net", 1, min_size=3))
        >>> net(torch.zeros(1, 1, 4, 4)).shape
        torch.Size([1, 2, 2, 2])
        >>> net(torch.zeros(1, 1, 2, 2))
        Traceback (most recent call last):
        ...
        ValueError: net 的输入应为形状 (批量大小, 1, 高, 宽) 的四维张量，高和宽都不小于 3，实际形状为 (1, 1, 2, 2)
    """

    def __init__(self, model: str, channels: int, *, min_size: int = 1, max_size: int | None = None) -> None:
        check_input_shape_init_args(model, channels, min_size, max_size)
        self.model, self.channels, self.min_size, self.max_size = model, channels, min_size, max_size

    def expected(self) -> str:
        """期望的输入形状，用中文写出（报错信息的一部分）。"""
        if self.min_size == self.max_size:
            return f"(批量大小, {self.channels}, {self.min_size}, {self.min_size}) 的四维张量"
        text = f"(批量大小, {self.channels}, 高, 宽) 的四维张量"
        if self.max_size is not None:
            return f"{text}，高和宽都在 {self.min_size} 到 {self.max_size} 之间"
        return f"{text}，高和宽都不小于 {self.min_size}" if self.min_size > 1 else text

    def __call__(self, module: nn.Module, args: tuple[object, ...]) -> None:
        X = require_tensor(args[0] if args else None, "X", floating=True)
        high = self.max_size if self.max_size is not None else float("inf")
        sides_ok = all(self.min_size <= side <= high for side in X.shape[2:])
        if X.dim() != 4 or X.shape[1] != self.channels or not sides_ok:
            raise ValueError(f"{self.model} 的输入应为形状 {self.expected()}，实际形状为 {tuple(X.shape)}")
# --8<-- [end:InputShape]


WIDTH_RATIOS = (1, 2, 4, 8, 16, 32)
""":func:`alexnet` 和 NiN 的 ``ratio`` 可取的值：它们都能整除 96、256、384 和 4096。"""


def check_alexnet_args(in_channels: object, num_classes: object, dropout: object, ratio: object) -> None:
    """检查 :func:`alexnet` 的参数：通道数和类别数是正整数，暂退概率在 [0, 1) 内，
    ``ratio`` 是 :data:`WIDTH_RATIOS` 之一。"""
    require_positive_int(in_channels, "in_channels")
    require_positive_int(num_classes, "num_classes")
    require_real(dropout, "dropout", within="[0, 1)", what="暂退概率")
    require_choice(require_positive_int(ratio, "ratio"), "ratio", WIDTH_RATIOS)


# --8<-- [start:alexnet]
def alexnet(
    in_channels: int = 1, num_classes: int = 10, *, dropout: float = 0.5, ratio: int = 1
) -> nn.Sequential:
    """AlexNet：5 个卷积层和 3 个全连接层，激活函数是 ReLU，前两个全连接层后接暂退法。

    按 224×224 的输入设计：三次 3×3、步幅 2 的最大汇聚层之后特征图是 256×5×5，
    展平后正好是第一个全连接层的 6400 个输入。边长在 193 到 224 之间的输入都得到 5×5 的特征图，
    网络入口的 :class:`InputShape` 钩子只接受这个范围内的输入。

    Args:
        in_channels: 输入通道数（灰度图为 1，彩色图为 3）。
        num_classes: 类别数，即最后一层的输出个数。
        dropout: 全连接层后暂退法的概率，在 [0, 1) 内。
        ratio: 各层的通道数和全连接隐藏层的宽度都除以 ``ratio``（1、2、4、8、16 或 32），
            得到一个更窄的网络；层数、窗口和步幅不变。

    Examples:
        >>> net = alexnet()
        >>> net(torch.zeros(1, 1, 224, 224)).shape
        torch.Size([1, 10])
        >>> alexnet(ratio=16)[0]
        Conv2d(1, 6, kernel_size=(11, 11), stride=(4, 4), padding=(1, 1))
    """
    check_alexnet_args(in_channels, num_classes, dropout, ratio)
    c1, c2, c3, hidden = 96 // ratio, 256 // ratio, 384 // ratio, 4096 // ratio
    net = nn.Sequential(
        # 大窗口（11×11）、大步幅（4）：一开始就把 224×224 缩小到 54×54
        nn.Conv2d(in_channels, c1, kernel_size=11, stride=4, padding=1), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        # 5×5 窗口，填充 2 保持高宽不变，通道数增加到 c2（原始网络是 256）
        nn.Conv2d(c1, c2, kernel_size=5, padding=2), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        # 三个连续的 3×3 卷积层，中间不做汇聚
        nn.Conv2d(c2, c3, kernel_size=3, padding=1), nn.ReLU(),
        nn.Conv2d(c3, c3, kernel_size=3, padding=1), nn.ReLU(),
        nn.Conv2d(c3, c2, kernel_size=3, padding=1), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Flatten(),
        # 两个全连接隐藏层（原始网络各 4096 维），各接一个暂退层
        nn.Linear(c2 * 5 * 5, hidden), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(hidden, hidden), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(hidden, num_classes),
    )
    # 入口处检查输入形状：边长 193 到 224 的输入最后都是 5×5，与第一个全连接层的输入个数对得上
    net.register_forward_pre_hook(InputShape("alexnet", in_channels, min_size=193, max_size=224))
    return net
# --8<-- [end:alexnet]


# --8<-- [start:init_kaiming]
def init_kaiming(module: nn.Module) -> None:
    """He 初始化（Kaiming 初始化）：卷积层和全连接层的权重取自均值 0、方差 ``2 / fan_in`` 的正态分布，偏置置 0。

    ReLU 把激活值的二阶矩减半，方差取 ``2 / fan_in`` 正好补回来（见“数值稳定性与模型初始化”一节），
    所以它适合没有批量规范化的深层 ReLU 网络。用 ``net.apply(init_kaiming)`` 作用到每一层；
    其他模块（ReLU、汇聚层、批量规范化层……）保持不变。

    Examples:
        >>> layer = nn.Linear(1000, 500)
        >>> init_kaiming(layer)
        >>> round(layer.weight.var().item() * 1000, 1), bool((layer.bias == 0).all())
        (2.0, True)
    """
    require_module(module, "module")
    if isinstance(module, nn.Conv2d | nn.Linear):
        nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
        if module.bias is not None:
            nn.init.zeros_(module.bias)
# --8<-- [end:init_kaiming]


def check_multiply_adds_args(net: object, input_shape: object) -> None:
    """检查 :func:`multiply_adds` 的参数：``net`` 是 ``nn.Module`` 的实例，``input_shape`` 是由正整数组成的非空元组。"""
    require_module(net, "net")
    if not isinstance(input_shape, tuple) or len(input_shape) == 0:
        raise TypeError(f"参数 input_shape 应为由正整数组成的非空元组，例如 (1, 1, 224, 224)，实际得到 {input_shape!r}")
    for index, size in enumerate(input_shape):
        require_positive_int(size, f"input_shape[{index}]")


# --8<-- [start:multiply_adds]
def multiply_adds(net: nn.Module, input_shape: tuple[int, ...]) -> dict[str, int]:
    """把形状为 ``input_shape`` 的全零输入送进 ``net``，数出每个卷积层和全连接层做了多少次乘加。

    输出张量的每个元素是“权重的一行（一个输出通道的卷积核）与输入的对应部分”的内积，
    要做的乘加次数等于一个输出通道的权重个数：卷积层是 ``(c_in / groups) × k_h × k_w``，全连接层是 ``n_in``。
    所以一层的乘加次数是 ``weight[0].numel() × 输出的元素个数``（整个批量合计）。
    只数 ``nn.Conv2d`` 和 ``nn.Linear``：激活函数、汇聚层、批量规范化的计算量相对很小，不计入。
    计数靠前向钩子（forward hook）：PyTorch 在每层算完之后把输入和输出交给钩子。
    只用到输出的形状，所以在 meta 设备上构造的网络也可以数。

    Returns:
        ``{层的名字: 乘加次数}``，名字即 ``net.named_modules()`` 中的名字，按前向传播的顺序。

    Examples:
        >>> counts = multiply_adds(nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(8, 3)), (1, 1, 4, 4))
        >>> counts  # 卷积层：9 × (2·2·2)；全连接层：8 × 3
        {'0': 72, '2': 24}
    """
    check_multiply_adds_args(net, input_shape)
    counts: dict[str, int] = {}
    names = {module: name for name, module in net.named_modules() if isinstance(module, nn.Conv2d | nn.Linear)}

    def hook(module: nn.Module, args: tuple[object, ...], output: torch.Tensor) -> None:
        name = names[module]
        counts[name] = counts.get(name, 0) + module.weight[0].numel() * output.numel()

    handles = [module.register_forward_hook(hook) for module in names]
    parameter = next(net.parameters(), None)  # 输入放在参数所在的设备上
    try:
        with torch.no_grad():
            net(torch.zeros(input_shape, device=parameter.device if parameter is not None else None))
    finally:
        for handle in handles:  # 数完就把钩子取下，网络恢复原样
            handle.remove()
    return counts
# --8<-- [end:multiply_adds]
