"""多层感知机：单隐藏层网络的前向计算、从零实现的模型和参数计数。

对应页面 ``docs/mlp/multilayer-perceptron.md``。与 PyTorch 一致，一行是一个样本：
``H = ReLU(X W1 + b1)``，``O = H W2 + b2``。页面用
:func:`lessons_src.linear_networks.softmax_regression.fit` 在 digits 数据集上训练这些模型。
"""

from __future__ import annotations

import torch
from torch import nn

from lessons_src.checks import require_real, require_tensor
from lessons_src.mlp.activation_functions import relu

__all__ = ["MLPScratch", "count_parameters", "mlp_forward"]


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
    for value, name in ((X, "X"), (W1, "W1"), (b1, "b1"), (W2, "W2"), (b2, "b2")):
        require_tensor(value, name, floating=True)
    if X.dim() != 2 or W1.dim() != 2 or W2.dim() != 2 or b1.dim() != 1 or b2.dim() != 1:
        raise ValueError("X、W1、W2 应为二维张量，b1、b2 应为一维张量，实际形状为 "
                         f"{[tuple(t.shape) for t in (X, W1, b1, W2, b2)]}")
    if X.shape[1] != W1.shape[0] or W1.shape[1] != b1.shape[0] or W1.shape[1] != W2.shape[0] \
            or W2.shape[1] != b2.shape[0]:
        raise ValueError(
            "形状不匹配：应为 X (n, d)、W1 (d, h)、b1 (h,)、W2 (h, q)、b2 (q,)，实际为 "
            f"X {tuple(X.shape)}、W1 {tuple(W1.shape)}、b1 {tuple(b1.shape)}、"
            f"W2 {tuple(W2.shape)}、b2 {tuple(b2.shape)}"
        )
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
        sizes = {"num_inputs": num_inputs, "num_hiddens": num_hiddens, "num_outputs": num_outputs}
        for name, value in sizes.items():
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"参数 {name} 应为正整数，实际得到 {value!r}")
        sigma = require_real(sigma, "sigma", minimum=0.0)
        self.num_inputs = num_inputs
        self.W1 = nn.Parameter(torch.randn(num_inputs, num_hiddens) * sigma)
        self.b1 = nn.Parameter(torch.zeros(num_hiddens))
        self.W2 = nn.Parameter(torch.randn(num_hiddens, num_outputs) * sigma)
        self.b2 = nn.Parameter(torch.zeros(num_outputs))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        require_tensor(X, "X", floating=True)
        if X.dim() == 0 or X[0].numel() != self.num_inputs:
            raise ValueError(f"每个样本应有 num_inputs={self.num_inputs} 个元素，实际输入形状为 {tuple(X.shape)}")
        X = X.reshape(-1, self.num_inputs)  # 展平：(n, 1, 8, 8) -> (n, 64)
        return mlp_forward(X, self.W1, self.b1, self.W2, self.b2)
# --8<-- [end:MLPScratch]


def count_parameters(model: nn.Module) -> int:
    """模型中可学习参数（``requires_grad=True``）的元素总数。

    Examples:
        >>> count_parameters(nn.Linear(64, 10))
        650
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"参数 model 应为 nn.Module，实际得到 {type(model).__name__}")
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
