"""卷积神经网络 LeNet-5：模型定义、Xavier 初始化、逐层的形状与参数个数。

对应页面 ``docs/cnn/lenet.md``。训练用 :mod:`lessons_src.linear_networks.softmax_regression`
中的 :func:`~lessons_src.linear_networks.softmax_regression.fit`。
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["count_parameters", "init_xavier", "layer_summary", "lenet"]


# --8<-- [start:lenet]
def lenet() -> nn.Sequential:
    """LeNet-5（输入 1×28×28，输出 10 个类别的 logit）：两个卷积块加三个全连接层。

    每个卷积块是 5×5 卷积层、sigmoid 激活函数和 2×2、步幅 2 的平均汇聚层；
    全连接层的输出依次是 120、84、10。最后一层不加 softmax，交给 ``nn.CrossEntropyLoss``。

    Examples:
        >>> lenet()(torch.zeros(2, 1, 28, 28)).shape
        torch.Size([2, 10])
    """
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10),
    )
# --8<-- [end:lenet]


# --8<-- [start:init_xavier]
def init_xavier(module: nn.Module) -> None:
    """对 ``nn.Linear`` 和 ``nn.Conv2d`` 的权重做 Xavier 均匀初始化，偏置置 0；其他层不变。

    用法：``net.apply(init_xavier)``，``apply`` 会对网络中的每个子模块调用它。

    Examples:
        >>> layer = nn.Linear(400, 120)
        >>> init_xavier(layer)
        >>> bound = (6 / (400 + 120)) ** 0.5
        >>> bool(layer.weight.abs().max() <= bound), bool((layer.bias == 0).all())
        (True, True)
    """
    if not isinstance(module, nn.Module):
        raise TypeError(f"参数 module 应为 nn.Module，实际得到 {type(module).__name__}")
    if isinstance(module, (nn.Linear, nn.Conv2d)):
        nn.init.xavier_uniform_(module.weight)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
# --8<-- [end:init_xavier]


# --8<-- [start:layer_summary]
def count_parameters(module: nn.Module) -> int:
    """模块中所有参数的元素个数之和。

    Examples:
        >>> count_parameters(nn.Conv2d(1, 6, kernel_size=5))
        156
    """
    if not isinstance(module, nn.Module):
        raise TypeError(f"参数 module 应为 nn.Module，实际得到 {type(module).__name__}")
    return sum(p.numel() for p in module.parameters())


def layer_summary(net: nn.Sequential, input_shape: tuple[int, ...]) -> list[tuple[str, tuple[int, ...], int]]:
    """把形状为 ``input_shape`` 的全零输入逐层送进 ``net``，返回每层的 ``(层名, 输出形状, 参数个数)``。

    Examples:
        >>> layer_summary(nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten()), (1, 1, 4, 4))
        [('Conv2d', (1, 2, 2, 2), 20), ('Flatten', (1, 8), 0)]
    """
    if not isinstance(net, nn.Sequential):
        raise TypeError(f"参数 net 应为 nn.Sequential，实际得到 {type(net).__name__}")
    if not (isinstance(input_shape, tuple) and input_shape
            and all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in input_shape)):
        raise ValueError(f"参数 input_shape 应为由正整数组成的非空元组，实际得到 {input_shape!r}")
    parameter = next(net.parameters(), None)
    X = torch.zeros(input_shape, device=parameter.device if parameter is not None else None)
    rows = []
    with torch.no_grad():
        for index, layer in enumerate(net):
            try:
                X = layer(X)
            except RuntimeError as error:
                raise ValueError(
                    f"第 {index} 层 {layer} 不接受形状为 {tuple(X.shape)} 的输入，请检查 input_shape={input_shape}"
                ) from error
            rows.append((layer.__class__.__name__, tuple(X.shape), count_parameters(layer)))
    return rows
# --8<-- [end:layer_summary]
