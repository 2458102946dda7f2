"""从全连接层到卷积：平移不变性和局部性怎样把参数量从 (hw)² 降到 (2Δ+1)²，
以及卷积怎样写成一次矩阵乘法（im2col）。

对应页面 ``docs/cnn/why-conv.md``。
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from lessons_src.checks import require_int, require_positive_int, require_tensor

__all__ = ["conv_as_dense_weight", "conv_by_matmul", "dense_hidden", "hidden_layer_param_counts"]


def check_hidden_layer_param_counts_args(height: object, width: object, delta: object) -> None:
    """检查 :func:`hidden_layer_param_counts` 的参数：高和宽是正整数，``delta`` 是小于两者中较大者的非负整数。"""
    require_positive_int(height, "height")
    require_positive_int(width, "width")
    require_int(delta, "delta", minimum=0)
    if delta >= max(height, width):
        raise ValueError(f"参数 delta 应小于图像的高和宽中较大的一个 {max(height, width)}，实际得到 {delta}")


# --8<-- [start:hidden_layer_param_counts]
def hidden_layer_param_counts(height: int, width: int, delta: int) -> dict[str, int]:
    """单通道 ``height × width`` 图像映射到同样大小的隐藏表示时，三种层的参数个数（权重加偏置）。

    - 全连接：4 阶权重张量 W 有 (hw)² 个元素，偏置 U 有 hw 个；
    - 加上平移不变性：V 只依赖偏移 (a, b)，a 有 2h-1 种取值、b 有 2w-1 种，偏置只剩一个标量 u；
    - 再加上局部性：只保留 |a|, |b| ≤ Δ 的 (2Δ+1)² 个权重。

    Examples:
        >>> hidden_layer_param_counts(28, 28, 2)
        {'全连接': 615440, '平移不变性': 3026, '平移不变性 + 局部性': 26}
    """
    check_hidden_layer_param_counts_args(height, width, delta)
    h, w = height, width
    return {
        "全连接": (h * w) ** 2 + h * w,
        "平移不变性": (2 * h - 1) * (2 * w - 1) + 1,
        "平移不变性 + 局部性": (2 * delta + 1) ** 2 + 1,
    }
# --8<-- [end:hidden_layer_param_counts]


def check_conv_as_dense_weight_args(V: object, height: object, width: object) -> None:
    """检查 :func:`conv_as_dense_weight` 的参数：二维浮点张量 ``V``，高和宽都是奇数；图像的高和宽是正整数。"""
    require_tensor(V, "V", floating=True, ndim=2)
    if V.shape[0] % 2 == 0 or V.shape[1] % 2 == 0:
        raise ValueError(f"卷积核 V 的高和宽应为奇数 2Δ+1，实际形状为 {tuple(V.shape)}")
    require_positive_int(height, "height")
    require_positive_int(width, "width")


# --8<-- [start:conv_as_dense_weight]
def conv_as_dense_weight(V: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """把 (2Δ+1)×(2Δ+1) 的卷积核 ``V`` 写成全连接层的 4 阶权重张量 W。

    ``W[i, j, k, l] = V[k - i + Δ, l - j + Δ]``（偏移超出 Δ 或超出图像的位置为 0），于是
    ``H[i, j] = sum_{k,l} W[i, j, k, l] * X[k, l]``，与在四周各补 Δ 行/列 0 之后做互相关的结果相同。

    Examples:
        >>> W = conv_as_dense_weight(torch.ones(3, 3), 4, 4)
        >>> W.shape, int((W != 0).sum())
        (torch.Size([4, 4, 4, 4]), 100)
    """
    check_conv_as_dense_weight_args(V, height, width)
    h, w = height, width
    dh, dw = V.shape[0] // 2, V.shape[1] // 2  # 即 Δ
    W = torch.zeros(h, w, h, w, dtype=V.dtype)
    for i in range(h):
        for j in range(w):
            for a in range(-dh, dh + 1):
                for b in range(-dw, dw + 1):
                    if 0 <= i + a < h and 0 <= j + b < w:
                        W[i, j, i + a, j + b] = V[a + dh, b + dw]
    return W
# --8<-- [end:conv_as_dense_weight]


def check_dense_hidden_args(W: object, X: object) -> None:
    """检查 :func:`dense_hidden` 的参数：四维的 ``W``、二维的 ``X``（浮点），``W`` 的后两维等于 ``X`` 的形状。"""
    require_tensor(W, "W", floating=True, ndim=4)
    require_tensor(X, "X", floating=True, ndim=2)
    if W.shape[2:] != X.shape:
        raise ValueError(f"W 的后两维 {tuple(W.shape[2:])} 应与 X 的形状 {tuple(X.shape)} 相同")


# --8<-- [start:dense_hidden]
def dense_hidden(W: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
    """全连接层（不含偏置）：``H[i, j] = sum_{k,l} W[i, j, k, l] * X[k, l]``。

    Examples:
        >>> X = torch.arange(4.0).reshape(2, 2)
        >>> W = torch.zeros(2, 2, 2, 2)
        >>> W[0, 0, 1, 1] = 10.0
        >>> dense_hidden(W, X)
        tensor([[30.,  0.],
                [ 0.,  0.]])
    """
    check_dense_hidden_args(W, X)
    return torch.einsum("ijkl,kl->ij", W, X)
# --8<-- [end:dense_hidden]


def check_conv_by_matmul_args(X: object, V: object) -> None:
    """检查 :func:`conv_by_matmul` 的参数：三维浮点张量 ``X``（图像个数, 高, 宽），高和宽为奇数的二维浮点张量 ``V``。"""
    require_tensor(X, "X", floating=True, ndim=3)
    check_conv_as_dense_weight_args(V, X.shape[1], X.shape[2])


# --8<-- [start:conv_by_matmul]
def conv_by_matmul(X: torch.Tensor, V: torch.Tensor) -> torch.Tensor:
    """用一次矩阵乘法算出一批单通道图像的卷积层输出（四周各补 Δ 行/列 0，不含偏置）。

    ``F.unfold`` 把每个位置周围 (2Δ+1)×(2Δ+1) 的窗口展成一列（im2col），
    所有图像、所有位置的输出就是行向量 V 与这些列的乘积。

    Examples:
        >>> X = torch.arange(9.0).reshape(1, 3, 3)
        >>> conv_by_matmul(X, torch.ones(3, 3))  # 每个位置周围 3×3 窗口之和
        tensor([[[ 8., 15., 12.],
                 [21., 36., 27.],
                 [20., 33., 24.]]])
    """
    check_conv_by_matmul_args(X, V)
    n, h, w = X.shape
    delta = (V.shape[0] // 2, V.shape[1] // 2)
    windows = F.unfold(X[:, None], V.shape, padding=delta)  # (n, (2Δ+1)², h·w)
    columns = windows.transpose(0, 1).reshape(V.numel(), n * h * w)
    return (V.reshape(1, -1) @ columns).reshape(n, h, w)
# --8<-- [end:conv_by_matmul]
