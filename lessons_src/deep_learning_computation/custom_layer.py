"""自定义层：不带参数的 CenteredLayer，带参数的 MyLinear，用 ParameterList / ParameterDict 管理参数的层，
以及把扁平输入变回图片形状的 Reshape。

对应页面 ``docs/deep-learning-computation/custom-layer.md``。检查写在各个类上方的 ``check_<类名>_…_args`` 里
（输入的特征数用 :func:`~lessons_src.deep_learning_computation.model_construction.require_features`），
页面展示的方法最多一行；``forward`` 只做矩阵乘法的层把形状的检查留给矩阵乘法本身的报错。
"""

from __future__ import annotations

import math

import torch
from torch import nn

from lessons_src.checks import require_instance, require_positive_int, require_tensor
from lessons_src.deep_learning_computation.model_construction import require_features

__all__ = ["CenteredLayer", "MyDictDense", "MyLinear", "MyListDense", "Reshape"]


def check_centered_layer_forward_args(X: object) -> None:
    """检查 :meth:`CenteredLayer.forward` 的输入：非空的浮点张量（空张量没有均值）。"""
    require_tensor(X, "X", floating=True)
    if X.numel() == 0:
        raise ValueError("参数 X 不能是空张量：空张量没有均值")


# --8<-- [start:CenteredLayer]
class CenteredLayer(nn.Module):
    """从输入中减去它的均值（对全部元素求均值），输出的均值为 0。这个层没有参数。

    Examples:
        >>> CenteredLayer()(torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0]))
        tensor([-2., -1.,  0.,  1.,  2.])
    """

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        check_centered_layer_forward_args(X)
        return X - X.mean()
# --8<-- [end:CenteredLayer]


def check_my_linear_args(in_units: object, units: object) -> None:
    """检查 :class:`MyLinear` 的两个尺寸：都应是正整数。"""
    require_positive_int(in_units, "in_units")
    require_positive_int(units, "units")


# --8<-- [start:MyLinear]
class MyLinear(nn.Module):
    """手写的全连接层：输出 ``X @ weight + bias``。

    ``weight`` 的形状是 ``(in_units, units)``，``bias`` 的形状是 ``(units,)``；
    两者都是 ``nn.Parameter``，赋值给属性时会被自动登记为模型参数。

    Args:
        in_units: 输入特征数。
        units: 输出特征数。

    Examples:
        >>> layer = MyLinear(5, 3)
        >>> layer(torch.rand(2, 5)).shape
        torch.Size([2, 3])
        >>> [(name, tuple(p.shape)) for name, p in layer.named_parameters()]
        [('weight', (5, 3)), ('bias', (3,))]
    """

    def __init__(self, in_units: int, units: int) -> None:
        super().__init__()
        check_my_linear_args(in_units, units)
        self.in_units, self.units = in_units, units
        self.weight = nn.Parameter(torch.randn(in_units, units) * 0.01)
        self.bias = nn.Parameter(torch.zeros(units))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        # 直接用参数本身，不要用 .data，否则梯度传不到参数；X 的形状不对时，矩阵乘法报出两边的形状
        return X @ self.weight + self.bias

    def extra_repr(self) -> str:  # print(layer) 时显示的内容
        return f"in_units={self.in_units}, units={self.units}"
# --8<-- [end:MyLinear]


# --8<-- [start:MyListDense]
class MyListDense(nn.Module):
    """用 ``nn.ParameterList`` 存放 4 个矩阵，前向传播时依次右乘：4 → 4 → 4 → 4 → 1。

    Examples:
        >>> net = MyListDense()
        >>> net(torch.ones(2, 4)).shape
        torch.Size([2, 1])
        >>> len(list(net.parameters()))
        4
    """

    def __init__(self) -> None:
        super().__init__()
        self.params = nn.ParameterList([nn.Parameter(torch.randn(4, 4)) for _ in range(3)])
        self.params.append(nn.Parameter(torch.randn(4, 1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for weight in self.params:  # 形状不对时，矩阵乘法报出两边的形状
            x = x @ weight
        return x  # 别忘了返回结果
# --8<-- [end:MyListDense]


def check_my_dict_dense_forward_args(x: object, choice: object, params: nn.ParameterDict) -> None:
    """检查 :meth:`MyDictDense.forward` 的参数：``x`` 有 4 个特征，``choice`` 是 ``params`` 中某个参数的名字。"""
    require_features(x, 4, "x")
    require_instance(choice, "choice", str, label="str（参数的名字）")
    if choice not in params:
        raise ValueError(f"参数 choice 应为 {list(params.keys())} 之一，实际得到 {choice!r}")


# --8<-- [start:MyDictDense]
class MyDictDense(nn.Module):
    """用 ``nn.ParameterDict`` 按名字存放 3 个矩阵，前向传播时由 ``choice`` 选用其中一个。

    Examples:
        >>> net = MyDictDense()
        >>> [net(torch.ones(1, 4), choice).shape[1] for choice in ("linear1", "linear2", "linear3")]
        [4, 1, 2]
    """

    def __init__(self) -> None:
        super().__init__()
        self.params = nn.ParameterDict({
            "linear1": nn.Parameter(torch.randn(4, 4)),
            "linear2": nn.Parameter(torch.randn(4, 1)),
        })
        self.params.update({"linear3": nn.Parameter(torch.randn(4, 2))})

    def forward(self, x: torch.Tensor, choice: str = "linear1") -> torch.Tensor:
        check_my_dict_dense_forward_args(x, choice, self.params)
        return x @ self.params[choice]
# --8<-- [end:MyDictDense]


def check_reshape_args(shape: object) -> None:
    """检查 :class:`Reshape` 的目标形状：至少一个轴，每个轴的长度都是正整数。"""
    if not isinstance(shape, tuple) or len(shape) == 0:
        raise ValueError("Reshape 没有给出每个样本的目标形状：至少需要一个轴的长度，例如 Reshape(1, 8, 8)")
    for size in shape:
        require_positive_int(size, "shape", what="每个轴的长度")


def check_reshape_forward_args(X: object, shape: tuple[int, ...]) -> None:
    """检查 :meth:`Reshape.forward` 的输入：带批量轴的张量，每个样本的元素个数等于目标形状的元素个数。"""
    require_tensor(X, "X")
    if X.dim() == 0:
        raise ValueError("参数 X 应带有批量轴（轴 0），实际得到零维张量；例如形状 (批量大小, 64)")
    per_sample, needed = math.prod(X.shape[1:]), math.prod(shape)
    if per_sample != needed:
        raise ValueError(
            f"参数 X 的形状是 {tuple(X.shape)}，每个样本有 {per_sample} 个元素，"
            f"无法变成形状 {shape}（需要 {needed} 个元素）"
        )


# --8<-- [start:Reshape]
class Reshape(nn.Module):
    """把每个样本变成给定的形状，批量轴（轴 0）不变：``(n, ...)`` → ``(n, *shape)``。

    Args:
        *shape: 每个样本的目标形状，例如 ``Reshape(1, 8, 8)`` 把 64 维向量变成 1 × 8 × 8 的单通道图片。

    Examples:
        >>> Reshape(1, 8, 8)(torch.zeros(5, 64)).shape
        torch.Size([5, 1, 8, 8])
        >>> Reshape(1, 8, 8)
        Reshape(shape=(1, 8, 8))
    """

    def __init__(self, *shape: int) -> None:
        super().__init__()
        check_reshape_args(shape)
        self.shape = shape

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        check_reshape_forward_args(X, self.shape)
        return X.reshape(X.shape[0], *self.shape)  # 批量轴的长度照搬输入

    def extra_repr(self) -> str:  # print 时括号里显示的内容
        return f"shape={self.shape}"
# --8<-- [end:Reshape]
