"""层和块：自定义块 MLP、手写的顺序块 MySequential、在前向传播中执行任意代码的 FixedHiddenMLP、嵌套块 NestMLP，
以及登记顺序与前向传播顺序不同的 OutOfOrderMLP。

对应页面 ``docs/deep-learning-computation/model-construction.md``。页面展示的方法最多一行参数检查，
写在各个类上方的 ``check_<类名>_…_args`` 里；``forward`` 第一步就是 ``nn.Linear`` 的块不再检查输入，
形状不对时 ``nn.Linear`` 的报错给出两边的形状。:func:`require_features` 检查输入的特征数，本章其他模块也用它。
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from lessons_src.checks import require_module, require_positive_int, require_tensor

__all__ = [
    "MLP",
    "FixedHiddenMLP",
    "MySequential",
    "NestMLP",
    "OutOfOrderMLP",
    "require_features",
]


def require_features(X: object, num_features: int, name: str = "X") -> torch.Tensor:
    """确认 ``X`` 是浮点张量，且最后一维（特征维）的长度是 ``num_features``，原样返回。

    Examples:
        >>> require_features(torch.rand(2, 3), 4)
        Traceback (most recent call last):
        ...
        ValueError: 参数 X 的最后一维应有 4 个特征，实际形状为 (2, 3)；例如形状 (批量大小, 4)
    """
    require_tensor(X, name, floating=True)
    if X.dim() == 0 or X.shape[-1] != num_features:
        raise ValueError(
            f"参数 {name} 的最后一维应有 {num_features} 个特征，实际形状为 {tuple(X.shape)}；"
            f"例如形状 (批量大小, {num_features})"
        )
    return X


def check_mlp_args(num_inputs: object, num_hiddens: object, num_outputs: object) -> None:
    """检查 :class:`MLP` 的三个尺寸：都应是正整数。"""
    require_positive_int(num_inputs, "num_inputs")
    require_positive_int(num_hiddens, "num_hiddens")
    require_positive_int(num_outputs, "num_outputs")


# --8<-- [start:MLP]
class MLP(nn.Module):
    """两层的多层感知机：全连接隐藏层 + ReLU + 全连接输出层。

    Args:
        num_inputs: 输入特征数。
        num_hiddens: 隐藏单元数。
        num_outputs: 输出数。

    Examples:
        >>> net = MLP()
        >>> net(torch.rand(2, 20)).shape
        torch.Size([2, 10])
    """

    def __init__(self, num_inputs: int = 20, num_hiddens: int = 256, num_outputs: int = 10) -> None:
        super().__init__()  # 先让 nn.Module 完成自己的初始化，子模块和参数才能被登记
        check_mlp_args(num_inputs, num_hiddens, num_outputs)
        self.hidden = nn.Linear(num_inputs, num_hiddens)
        self.out = nn.Linear(num_hiddens, num_outputs)

    def forward(self, X: torch.Tensor) -> torch.Tensor:  # 输入的形状由 nn.Linear 自己检查
        return self.out(F.relu(self.hidden(X)))  # ReLU 用函数形式，它没有参数，不必做成子模块
# --8<-- [end:MLP]


def check_my_sequential_args(modules: tuple[object, ...]) -> None:
    """检查 :class:`MySequential` 的参数：每一个都应是 ``nn.Module`` 的实例（不是类本身，也不是普通函数）。"""
    for index, module in enumerate(modules):
        require_module(module, f"modules[{index}]")


# --8<-- [start:MySequential]
class MySequential(nn.Module):
    """按顺序连接若干个块，功能上与 ``nn.Sequential`` 相同。

    Args:
        *modules: 按执行顺序排列的块，每个都必须是 ``nn.Module`` 的实例。

    Raises:
        TypeError: 某个参数不是 ``nn.Module`` 的实例（例如写成了 ``nn.ReLU`` 而不是 ``nn.ReLU()``）。

    Examples:
        >>> net = MySequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10))
        >>> net(torch.rand(2, 20)).shape
        torch.Size([2, 10])
        >>> len(list(net.parameters()))
        4
    """

    def __init__(self, *modules: nn.Module) -> None:
        super().__init__()
        check_my_sequential_args(modules)
        for index, module in enumerate(modules):
            # add_module 把子块登记到 self._modules 中（一个有序字典），
            # parameters()、to(device)、state_dict() 都通过它找到子块的参数
            self.add_module(str(index), module)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        # 遍历 _modules 而不是 children()：children() 会去掉重复的块，
        # 同一个块出现两次（参数绑定）时只会执行一次
        for block in self._modules.values():
            X = block(X)
        return X
# --8<-- [end:MySequential]


def check_fixed_hidden_mlp_forward_args(X: object) -> None:
    """检查 :meth:`FixedHiddenMLP.forward` 的输入：最后一维有 20 个特征的浮点张量，且不含 NaN 和无穷大。"""
    require_features(X, 20)
    if not torch.isfinite(X).all():
        raise ValueError("参数 X 中有 NaN 或无穷大；下面的 while 循环对无穷大不会终止")


# --8<-- [start:FixedHiddenMLP]
class FixedHiddenMLP(nn.Module):
    """前向传播中带有常量权重、复用同一层、含 Python 控制流的块。

    ``rand_weight`` 是用 ``register_buffer`` 登记的缓冲区：它不是参数，不参与训练，
    但会随 ``to(device)`` 移动，也会保存在 ``state_dict()`` 中。

    Examples:
        >>> net = FixedHiddenMLP()
        >>> net(torch.rand(2, 20)).shape  # 输出是一个标量
        torch.Size([])
        >>> [name for name, _ in net.named_parameters()]
        ['linear.weight', 'linear.bias']
    """

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("rand_weight", torch.rand(20, 20))  # 常量，不计算梯度
        self.linear = nn.Linear(20, 20)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        check_fixed_hidden_mlp_forward_args(X)
        X = self.linear(X)
        X = F.relu(X @ self.rand_weight + 1)
        X = self.linear(X)  # 再用一次同一个全连接层：两次使用共享同一组参数
        while X.abs().sum() > 1:  # 普通的 Python 控制流
            X = X / 2
        return X.sum()
# --8<-- [end:FixedHiddenMLP]


# --8<-- [start:NestMLP]
class NestMLP(nn.Module):
    """块里再套块：一个 ``nn.Sequential`` 子块后接一个全连接层，20 → 64 → 32 → 16。

    Examples:
        >>> NestMLP()(torch.rand(2, 20)).shape
        torch.Size([2, 16])
    """

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU())
        self.linear = nn.Linear(32, 16)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.linear(self.net(X))
# --8<-- [end:NestMLP]


# --8<-- [start:OutOfOrderMLP]
class OutOfOrderMLP(nn.Module):
    """与 :class:`MLP` 计算相同，只是 ``__init__`` 先给 ``out``、后给 ``hidden`` 赋值。

    子模块按赋值的先后登记，所以 ``print``、``named_children()``、``state_dict()`` 都先列出 ``out``；
    ``forward`` 却先用 ``hidden``。

    Args:
        num_inputs: 输入特征数。
        num_hiddens: 隐藏单元数。
        num_outputs: 输出数。

    Examples:
        >>> net = OutOfOrderMLP()
        >>> [name for name, _ in net.named_children()]
        ['out', 'hidden']
        >>> net(torch.rand(2, 20)).shape
        torch.Size([2, 10])
    """

    def __init__(self, num_inputs: int = 20, num_hiddens: int = 256, num_outputs: int = 10) -> None:
        super().__init__()
        check_mlp_args(num_inputs, num_hiddens, num_outputs)
        self.out = nn.Linear(num_hiddens, num_outputs)  # 先登记 out
        self.hidden = nn.Linear(num_inputs, num_hiddens)  # 后登记 hidden

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.out(F.relu(self.hidden(X)))  # 先用 hidden，再用 out
# --8<-- [end:OutOfOrderMLP]
