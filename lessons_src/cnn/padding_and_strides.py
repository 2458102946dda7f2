"""填充和步幅：卷积输出形状的公式、查看卷积层输出形状的辅助函数、带填充和步幅的互相关。

对应页面 ``docs/cnn/padding-and-strides.md``。

关于填充的两种记法：公式里的 ``p_h``、``p_w`` 是**两侧合计**填充的行数和列数
（:func:`conv_output_shape` 的参数 ``total_padding``）；PyTorch 的 ``padding=p`` 和
:func:`corr2d_pad_stride` 的 ``padding`` 是**每一侧**填充的数目，合计是 ``2p``。
"""

from __future__ import annotations

import torch
from torch import nn

from lessons_src.checks import require_module, require_tensor
from lessons_src.cnn.conv_layer import to_pair

__all__ = ["comp_conv2d", "conv_output_shape", "corr2d_pad_stride"]


def check_conv_output_shape_args(input_size: tuple[int, int], kernel_size: tuple[int, int],
                                 total_padding: tuple[int, int]) -> None:
    """检查 :func:`conv_output_shape` 的参数（已统一成二元组）：卷积核不大于填充后的输入，窗口至少放得下一次。"""
    (n_h, n_w), (k_h, k_w), (p_h, p_w) = input_size, kernel_size, total_padding
    if k_h > n_h + p_h or k_w > n_w + p_w:
        raise ValueError(
            f"卷积核 {(k_h, k_w)} 大于填充后的输入 {(n_h + p_h, n_w + p_w)}，"
            "窗口一次也放不下；请减小卷积核或增加填充"
        )


# --8<-- [start:conv_output_shape]
def conv_output_shape(
    input_size: int | tuple[int, int],
    kernel_size: int | tuple[int, int],
    *,
    total_padding: int | tuple[int, int] = 0,
    stride: int | tuple[int, int] = 1,
) -> tuple[int, int]:
    """卷积（或汇聚）输出的 ``(高, 宽)``：⌊(n - k + p + s) / s⌋，p 是两侧合计的填充。

    PyTorch 的 ``nn.Conv2d(..., padding=p)`` 在每一侧各填充 p，对应 ``total_padding=2 * p``。

    Examples:
        >>> conv_output_shape(8, 3, total_padding=2)
        (8, 8)
        >>> conv_output_shape((8, 8), (3, 5), total_padding=(0, 2), stride=(3, 4))
        (2, 2)
    """
    n_h, n_w = to_pair(input_size, "input_size")
    k_h, k_w = to_pair(kernel_size, "kernel_size")
    p_h, p_w = to_pair(total_padding, "total_padding", minimum=0)
    s_h, s_w = to_pair(stride, "stride")
    check_conv_output_shape_args((n_h, n_w), (k_h, k_w), (p_h, p_w))
    return (n_h - k_h + p_h + s_h) // s_h, (n_w - k_w + p_w + s_w) // s_w
# --8<-- [end:conv_output_shape]


def check_comp_conv2d_args(conv2d: object, X: object) -> None:
    """检查 :func:`comp_conv2d` 的参数：``conv2d`` 是只有 1 个输入通道的层，``X`` 是二维浮点张量。"""
    require_module(conv2d, "conv2d")
    if getattr(conv2d, "in_channels", 1) != 1:
        raise ValueError(f"conv2d 应只有 1 个输入通道，实际 in_channels={conv2d.in_channels}")
    require_tensor(X, "X", floating=True, ndim=2)


# --8<-- [start:comp_conv2d]
def comp_conv2d(conv2d: nn.Module, X: torch.Tensor) -> torch.Size:
    """把二维张量 ``X`` 送进单输入通道的卷积（或汇聚）层，返回输出的 ``(高, 宽)``。

    PyTorch 的层需要四维输入（批量大小, 通道数, 高, 宽），这里先在前面补上两个长度为 1 的维度。

    Examples:
        >>> comp_conv2d(nn.Conv2d(1, 1, kernel_size=3, padding=1), torch.rand(8, 8))
        torch.Size([8, 8])
    """
    check_comp_conv2d_args(conv2d, X)
    Y = conv2d(X.reshape((1, 1, *X.shape)))
    return Y.shape[2:]
# --8<-- [end:comp_conv2d]


def check_corr2d_pad_stride_args(X: object, K: object) -> None:
    """检查 :func:`corr2d_pad_stride` 的张量参数：``X``、``K`` 都是二维浮点张量（填充和步幅由 to_pair 检查）。"""
    require_tensor(X, "X", floating=True, ndim=2)
    require_tensor(K, "K", floating=True, ndim=2)


# --8<-- [start:corr2d_pad_stride]
def corr2d_pad_stride(
    X: torch.Tensor,
    K: torch.Tensor,
    *,
    padding: int | tuple[int, int] = 0,
    stride: int | tuple[int, int] = 1,
) -> torch.Tensor:
    """带填充和步幅的二维互相关：四周各补 ``padding`` 行/列 0，窗口每次移动 ``stride``。

    ``padding`` 与 PyTorch 的含义相同，指每一侧的填充；两侧合计是 ``2 * padding``。

    Examples:
        >>> X = torch.arange(16.0).reshape(4, 4)
        >>> corr2d_pad_stride(X, torch.ones(2, 2), padding=1, stride=2)
        tensor([[ 0.,  3.,  3.],
                [12., 30., 18.],
                [12., 27., 15.]])
    """
    check_corr2d_pad_stride_args(X, K)
    p_h, p_w = to_pair(padding, "padding", minimum=0)
    s_h, s_w = to_pair(stride, "stride")
    out_h, out_w = conv_output_shape(
        tuple(X.shape), tuple(K.shape), total_padding=(2 * p_h, 2 * p_w), stride=(s_h, s_w)
    )
    dtype = torch.result_type(X, K)
    padded = torch.zeros(X.shape[0] + 2 * p_h, X.shape[1] + 2 * p_w, dtype=dtype, device=X.device)
    padded[p_h:p_h + X.shape[0], p_w:p_w + X.shape[1]] = X
    k_h, k_w = K.shape
    Y = torch.zeros(out_h, out_w, dtype=dtype, device=X.device)
    for i in range(out_h):
        for j in range(out_w):
            window = padded[i * s_h:i * s_h + k_h, j * s_w:j * s_w + k_w]
            Y[i, j] = (window * K).sum()
    return Y
# --8<-- [end:corr2d_pad_stride]
