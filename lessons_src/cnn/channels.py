"""多输入多输出通道：对输入通道求和、按输出通道堆叠，以及 1×1 卷积。

对应页面 ``docs/cnn/channels.md``。形状约定与 PyTorch 相同：输入 ``X`` 为
``(c_i, n_h, n_w)``，卷积核 ``K`` 为 ``(c_o, c_i, k_h, k_w)``，只是少了批量维。
"""

from __future__ import annotations

import torch

from lessons_src.checks import require_tensor
from lessons_src.cnn.conv_layer import corr2d

__all__ = ["corr2d_multi_in", "corr2d_multi_in_out", "corr2d_multi_in_out_1x1"]


def check_corr2d_multi_in_args(X: object, K: object) -> None:
    """检查 :func:`corr2d_multi_in` 的参数：三维浮点张量 ``X``、``K``，通道数相等且至少为 1。"""
    require_tensor(X, "X", floating=True, ndim=3)
    require_tensor(K, "K", floating=True, ndim=3)
    if X.shape[0] != K.shape[0]:
        raise ValueError(f"X 有 {X.shape[0]} 个输入通道，K 却有 {K.shape[0]} 个；两者的第 0 维应相等")
    if X.shape[0] == 0:
        raise ValueError("X 至少要有 1 个输入通道，实际为 0")


# --8<-- [start:corr2d_multi_in]
def corr2d_multi_in(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """多输入通道的互相关：每个输入通道与卷积核的对应通道做互相关，再把结果相加。

    ``X`` 的形状为 ``(c_i, n_h, n_w)``，``K`` 的形状为 ``(c_i, k_h, k_w)``，输出是一个二维张量。

    Examples:
        >>> X = torch.stack([torch.arange(9.0).reshape(3, 3), torch.arange(1.0, 10.0).reshape(3, 3)])
        >>> K = torch.tensor([[[0.0, 1.0], [2.0, 3.0]], [[1.0, 2.0], [3.0, 4.0]]])
        >>> corr2d_multi_in(X, K)
        tensor([[ 56.,  72.],
                [104., 120.]])
    """
    check_corr2d_multi_in_args(X, K)
    return sum(corr2d(x, k) for x, k in zip(X, K))
# --8<-- [end:corr2d_multi_in]


def check_corr2d_multi_in_out_args(X: object, K: object) -> None:
    """检查 :func:`corr2d_multi_in_out` 的参数：三维的 ``X``、四维的 ``K``，``K`` 的第 1 维是 ``X`` 的通道数。"""
    require_tensor(X, "X", floating=True, ndim=3)
    require_tensor(K, "K", floating=True, ndim=4)
    if X.shape[0] != K.shape[1]:
        raise ValueError(f"X 有 {X.shape[0]} 个输入通道，K 的第 1 维却是 {K.shape[1]}；两者应相等")


# --8<-- [start:corr2d_multi_in_out]
def corr2d_multi_in_out(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """多输入多输出通道的互相关：对 ``K`` 的每个输出通道 ``K[o]`` 计算一次多输入互相关，再堆叠起来。

    ``X`` 的形状为 ``(c_i, n_h, n_w)``，``K`` 的形状为 ``(c_o, c_i, k_h, k_w)``，
    输出形状为 ``(c_o, n_h - k_h + 1, n_w - k_w + 1)``。

    Examples:
        >>> X = torch.ones(2, 3, 3)
        >>> K = torch.stack([torch.ones(2, 2, 2), 2 * torch.ones(2, 2, 2)])
        >>> corr2d_multi_in_out(X, K).shape
        torch.Size([2, 2, 2])
    """
    check_corr2d_multi_in_out_args(X, K)
    return torch.stack([corr2d_multi_in(X, k) for k in K], 0)
# --8<-- [end:corr2d_multi_in_out]


def check_corr2d_multi_in_out_1x1_args(X: object, K: object) -> None:
    """检查 :func:`corr2d_multi_in_out_1x1` 的参数：同 :func:`check_corr2d_multi_in_out_args`，且 ``K`` 是 1×1 的。"""
    require_tensor(X, "X", floating=True, ndim=3)
    require_tensor(K, "K", floating=True, ndim=4)
    if K.shape[2:] != (1, 1):
        raise ValueError(f"K 的后两维应为 (1, 1)，实际形状为 {tuple(K.shape)}；一般的卷积核请用 corr2d_multi_in_out")
    check_corr2d_multi_in_out_args(X, K)


# --8<-- [start:corr2d_multi_in_out_1x1]
def corr2d_multi_in_out_1x1(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """1×1 卷积写成矩阵乘法：把每个像素的 c_i 个通道值看作一个样本，用 (c_o, c_i) 的权重做全连接。

    Examples:
        >>> X = torch.ones(3, 2, 2)
        >>> K = torch.arange(6.0).reshape(2, 3, 1, 1)
        >>> corr2d_multi_in_out_1x1(X, K)
        tensor([[[ 3.,  3.],
                 [ 3.,  3.]],
        <BLANKLINE>
                [[12., 12.],
                 [12., 12.]]])
    """
    check_corr2d_multi_in_out_1x1_args(X, K)
    c_i, h, w = X.shape
    c_o = K.shape[0]
    X = X.reshape(c_i, h * w)  # 每一列是一个像素的 c_i 个通道值
    K = K.reshape(c_o, c_i)
    Y = K @ X  # 全连接层中的矩阵乘法
    return Y.reshape(c_o, h, w)
# --8<-- [end:corr2d_multi_in_out_1x1]
