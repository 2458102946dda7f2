"""卷积神经网络 LeNet-5：模型定义（``nn.Sequential`` 和 ``nn.Module`` 子类两种写法）、
Xavier 初始化（含 sigmoid 网络的增益）、逐层的形状与参数个数。

对应页面 ``docs/cnn/lenet.md``。训练用 :mod:`lessons_src.linear_networks.softmax_regression`
中的 :func:`~lessons_src.linear_networks.softmax_regression.fit`。
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import nn

from lessons_src.checks import require_instance, require_module, require_positive_int, require_tensor

__all__ = ["LeNetReLU", "count_parameters", "init_xavier", "init_xavier_sigmoid", "layer_summary", "lenet"]


def check_lenet_args(activation: object, pooling: object) -> None:
    """检查 :func:`lenet` 的参数：两者都是 ``nn.Module`` 的子类（类本身，而不是实例）。"""
    for name, value, example in [("activation", activation, "nn.ReLU"), ("pooling", pooling, "nn.MaxPool2d")]:
        if not (isinstance(value, type) and issubclass(value, nn.Module)):
            raise TypeError(
                f"参数 {name} 应为 nn.Module 的子类（类本身，例如 {example}），实际得到 {value!r}"
            )


# --8<-- [start:lenet]
def lenet(
    activation: type[nn.Module] = nn.Sigmoid, pooling: type[nn.Module] = nn.AvgPool2d
) -> nn.Sequential:
    """LeNet-5（输入 1×28×28，输出 10 个类别的 logit）：两个卷积块加三个全连接层。

    每个卷积块是 5×5 卷积层、激活函数（默认 sigmoid）和 2×2、步幅 2 的汇聚层
    （默认平均汇聚）；全连接层的输出依次是 120、84、10。
    最后一层不加 softmax，交给 ``nn.CrossEntropyLoss``。

    Args:
        activation: 激活函数的类，例如 ``nn.Sigmoid``、``nn.ReLU``。
        pooling: 汇聚层的类，例如 ``nn.AvgPool2d``、``nn.MaxPool2d``。

    Examples:
        >>> lenet()(torch.zeros(2, 1, 28, 28)).shape
        torch.Size([2, 10])
        >>> lenet(nn.ReLU, nn.MaxPool2d)[1]
        ReLU()
    """
    check_lenet_args(activation, pooling)
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), activation(),
        pooling(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), activation(),
        pooling(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), activation(),
        nn.Linear(120, 84), activation(),
        nn.Linear(84, 10),
    )
# --8<-- [end:lenet]


# --8<-- [start:LeNetReLU]
class LeNetReLU(nn.Module):
    """写成 ``nn.Module`` 子类的 LeNet：ReLU 激活函数，2×2 最大汇聚。

    层的形状与 :func:`lenet` 相同；``forward`` 用 ``torch.nn.functional``
    中的 ``F.relu`` 和 ``F.max_pool2d``，它们没有参数，不必在 ``__init__`` 中创建。

    Examples:
        >>> LeNetReLU()(torch.zeros(2, 1, 28, 28)).shape
        torch.Size([2, 10])
    """

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, kernel_size=5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, kernel_size=5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        require_tensor(X, "X", floating=True, ndim=4)
        X = F.max_pool2d(F.relu(self.conv1(X)), kernel_size=2)  # 步幅默认等于窗口
        X = F.max_pool2d(F.relu(self.conv2(X)), kernel_size=2)
        X = torch.flatten(X, start_dim=1)  # (n, 16, 5, 5) -> (n, 400)
        X = F.relu(self.fc1(X))
        X = F.relu(self.fc2(X))
        return self.fc3(X)
# --8<-- [end:LeNetReLU]


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


# --8<-- [start:init_xavier_sigmoid]
def init_xavier_sigmoid(net: nn.Sequential) -> None:
    """Xavier 均匀初始化，紧跟着 ``nn.Sigmoid`` 的层把增益（gain）取 4，其余层取 1；偏置置 0。

    sigmoid 在 0 附近近似于 ``1/2 + x/4``，斜率只有 1/4；权重放大 4 倍，
    正好抵消这个斜率，让前向和反向传播中随输入变化的部分不至于逐层缩小。

    Examples:
        >>> net = nn.Sequential(nn.Linear(8, 8), nn.Sigmoid(), nn.Linear(8, 2))
        >>> torch.manual_seed(0) is not None
        True
        >>> init_xavier_sigmoid(net)
        >>> plain = [(6 / (8 + 8)) ** 0.5, (6 / (8 + 2)) ** 0.5]  # 增益为 1 时的上界
        >>> bool(net[0].weight.abs().max() > plain[0]), bool(net[2].weight.abs().max() <= plain[1])
        (True, True)
    """
    require_instance(net, "net", nn.Sequential, label="nn.Sequential")
    layers = list(net)
    for layer, following in zip(layers, [*layers[1:], None]):
        if isinstance(layer, nn.Linear | nn.Conv2d):
            gain = 4.0 if isinstance(following, nn.Sigmoid) else 1.0
            nn.init.xavier_uniform_(layer.weight, gain=gain)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
# --8<-- [end:init_xavier_sigmoid]


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
