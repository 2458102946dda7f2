"""卷积神经网络 LeNet-5：模型定义、Xavier 初始化、逐层的形状与参数个数。

对应页面 ``docs/cnn/lenet.md``。训练用 :mod:`lessons_src.linear_networks.softmax_regression`
中的 :func:`~lessons_src.linear_networks.softmax_regression.fit`。
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn

from lessons_src.checks import require_instance, require_module, require_positive_int

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
    require_module(module, "module")
    if isinstance(module, nn.Linear | nn.Conv2d):
        nn.init.xavier_uniform_(module.weight)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
# --8<-- [end:init_xavier]


def check_layer_summary_args(net: object, input_shape: object) -> None:
    """检查 :func:`layer_summary` 的参数：``net`` 是 ``nn.Sequential``，``input_shape`` 是由正整数组成的非空元组。"""
    require_instance(net, "net", nn.Sequential, label="nn.Sequential")
    require_instance(input_shape, "input_shape", tuple, label="tuple（由正整数组成的非空元组）")
    if len(input_shape) == 0:
        raise ValueError("参数 input_shape 应为由正整数组成的非空元组，实际得到 ()")
    for index, size in enumerate(input_shape):
        require_positive_int(size, f"input_shape[{index}]")


@contextmanager
def explain_shape_error(index: int, layer: nn.Module, X: torch.Tensor, input_shape: tuple[int, ...]) -> Iterator[None]:
    """第 ``index`` 层不接受 ``X`` 的形状时（PyTorch 报 ``RuntimeError``），改报指出是哪一层的 ``ValueError``。"""
    try:
        yield
    except RuntimeError as error:
        raise ValueError(
            f"第 {index} 层 {layer} 不接受形状为 {tuple(X.shape)} 的输入，请检查 input_shape={input_shape}"
        ) from error


# --8<-- [start:layer_summary]
def count_parameters(module: nn.Module) -> int:
    """模块中所有参数的元素个数之和。

    Examples:
        >>> count_parameters(nn.Conv2d(1, 6, kernel_size=5))
        156
    """
    require_module(module, "module")
    return sum(p.numel() for p in module.parameters())


def layer_summary(net: nn.Sequential, input_shape: tuple[int, ...]) -> list[tuple[str, tuple[int, ...], int]]:
    """把形状为 ``input_shape`` 的全零输入逐层送进 ``net``，返回每层的 ``(层名, 输出形状, 参数个数)``。

    Examples:
        >>> layer_summary(nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten()), (1, 1, 4, 4))
        [('Conv2d', (1, 2, 2, 2), 20), ('Flatten', (1, 8), 0)]
    """
    check_layer_summary_args(net, input_shape)
    parameter = next(net.parameters(), None)  # 输入放在参数所在的设备上
    X = torch.zeros(input_shape, device=parameter.device if parameter is not None else None)
    rows = []
    with torch.no_grad():
        for index, layer in enumerate(net):
            with explain_shape_error(index, layer, X, input_shape):  # 形状不对时，报错指出是哪一层
                X = layer(X)
            rows.append((layer.__class__.__name__, tuple(X.shape), count_parameters(layer)))
    return rows
# --8<-- [end:layer_summary]
