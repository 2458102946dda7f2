"""多层感知机：单隐藏层网络的前向计算、从零实现的模型和参数计数。

对应页面 ``docs/mlp/multilayer-perceptron.md``。与 PyTorch 一致，一行是一个样本：
``H = ReLU(X W1 + b1)``，``O = H W2 + b2``。页面用
:func:`lessons_src.linear_networks.softmax_regression.fit` 在 digits 数据集上训练这些模型。
"""

from __future__ import annotations

import torch
from torch import nn

from lessons_src.checks import require_instance, require_positive_int, require_real, require_tensor
from lessons_src.mlp.activation_functions import relu

__all__ = ["MLPScratch", "count_parameters", "mlp_forward"]


def check_mlp_forward_args(X: object, W1: object, b1: object, W2: object, b2: object) -> None:
    """检查 :func:`mlp_forward` 的参数：五个浮点张量，``X``、``W1``、``W2`` 为二维，``b1``、``b2`` 为一维，
    形状为 ``X (n, d)``、``W1 (d, h)``、``b1 (h,)``、``W2 (h, q)``、``b2 (q,)``。"""
    tensors = {"X": X, "W1": W1, "b1": b1, "W2": W2, "b2": b2}
    for name, value in tensors.items():
        require_tensor(value, name, floating=True)
    shapes = {name: tuple(value.shape) for name, value in tensors.items()}
    if [len(shape) for shape in shapes.values()] != [2, 2, 1, 2, 1]:
        raise ValueError(f"X、W1、W2 应为二维张量，b1、b2 应为一维张量，实际形状为 {list(shapes.values())}")
    d, h, q = W1.shape[0], W1.shape[1], W2.shape[1]
    if (X.shape[1], b1.shape[0], W2.shape[0], b2.shape[0]) != (d, h, h, q):
        raise ValueError(
            "形状不匹配：应为 X (n, d)、W1 (d, h)、b1 (h,)、W2 (h, q)、b2 (q,)，实际为 "
            + "、".join(f"{name} {shape}" for name, shape in shapes.items())
        )


def check_mlp_scratch_init_args(num_inputs: object, num_hiddens: object, num_outputs: object, sigma: object) -> float:
    """检查 :class:`MLPScratch` 的构造参数：三个正整数和一个非负的标准差，返回 ``float(sigma)``。"""
    for name, value in (("num_inputs", num_inputs), ("num_hiddens", num_hiddens), ("num_outputs", num_outputs)):
        require_positive_int(value, name)
    return require_real(sigma, "sigma", minimum=0.0)


def check_mlp_scratch_forward_args(X: object, num_inputs: int) -> None:
    """检查 :class:`MLPScratch` 的输入：浮点张量，每个样本（第 0 维的一项）恰有 ``num_inputs`` 个元素。"""
    require_tensor(X, "X", floating=True)
    if X.dim() == 0 or X[0].numel() != num_inputs:
        raise ValueError(f"每个样本应有 num_inputs={num_inputs} 个元素，实际输入形状为 {tuple(X.shape)}")


# --8<-- [start:mlp_forward]
def mlp_forward(
    X: torch.Tensor, W1: torch.Tensor, b1: torch.Tensor, W2: torch.Tensor, b2: torch.Tensor
) -> torch.Tensor:
    """单隐藏层多层感知机的前向计算：``H = ReLU(X @ W1 + b1)``，返回 ``O = H @ W2 + b2``。

    形状：``X`` 为 ``(n, d)``，``W1`` 为 ``(d, h)``，``b1`` 为 ``(h,)``，
    ``W2`` 为 ``(h, q)``，``b2`` 为 ``(q,)``，输出 ``O`` 为 ``(n, q)``。

    Examples:
        >>> X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
        >>> W1, b1 = torch.ones(2, 2), torch.tensor([0.0, -1.0])
        >>> W2, b2 = torch.tensor([[1.0], [-2.0]]), torch.zeros(1)
        >>> mlp_forward(X, W1, b1, W2, b2).squeeze(1)  # 异或（XOR）
        tensor([0., 1., 1., 0.])
    """
    check_mlp_forward_args(X, W1, b1, W2, b2)
    H = relu(X @ W1 + b1)  # 隐藏层输出，形状 (n, h)
    return H @ W2 + b2  # 输出层，形状 (n, q)
# --8<-- [end:mlp_forward]


# --8<-- [start:MLPScratch]
class MLPScratch(nn.Module):
    """从零实现的单隐藏层多层感知机，参数是四个 ``nn.Parameter``。

    权重从均值为 0、标准差为 ``sigma`` 的正态分布中抽取，偏置初始化为 0。
    前向计算先把每个样本展平成长度为 ``num_inputs`` 的向量，再调用 :func:`mlp_forward`。

    Examples:
        >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
        <torch._C.Generator object at ...>
        >>> net = MLPScratch(64, 32, 10)
        >>> net(torch.rand(5, 1, 8, 8)).shape
        torch.Size([5, 10])
        >>> [tuple(p.shape) for p in net.parameters()]
        [(64, 32), (32,), (32, 10), (10,)]
    """

    def __init__(self, num_inputs: int, num_hiddens: int, num_outputs: int, *, sigma: float = 0.1) -> None:
        super().__init__()
        sigma = check_mlp_scratch_init_args(num_inputs, num_hiddens, num_outputs, sigma)
        self.num_inputs = num_inputs
        self.W1 = nn.Parameter(torch.randn(num_inputs, num_hiddens) * sigma)
        self.b1 = nn.Parameter(torch.zeros(num_hiddens))
        self.W2 = nn.Parameter(torch.randn(num_hiddens, num_outputs) * sigma)
        self.b2 = nn.Parameter(torch.zeros(num_outputs))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        check_mlp_scratch_forward_args(X, self.num_inputs)
        X = X.reshape(-1, self.num_inputs)  # 展平：(n, 1, 8, 8) -> (n, 64)
        return mlp_forward(X, self.W1, self.b1, self.W2, self.b2)
# --8<-- [end:MLPScratch]


def count_parameters(model: nn.Module) -> int:
    """模型中可学习参数（``requires_grad=True``）的元素总数。

    Examples:
        >>> count_parameters(nn.Linear(64, 10))
        650
    """
    require_instance(model, "model", nn.Module)
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
