"""汇聚层：从零实现的最大汇聚和平均汇聚（带填充和步幅），以及逐通道的版本。

对应页面 ``docs/cnn/pooling.md``。参数的含义与 ``nn.MaxPool2d`` / ``nn.AvgPool2d`` 相同：
``padding`` 是每一侧的填充，``stride`` 省略时等于窗口大小。
"""

from __future__ import annotations

import torch

from lessons_src.checks import require_choice, require_tensor
from lessons_src.cnn.conv_layer import to_pair
from lessons_src.cnn.padding_and_strides import conv_output_shape

__all__ = ["pool2d", "pool2d_per_channel"]


def check_pool2d_args(X: object, pool_size: object, mode: object, padding: object) -> None:
    """检查 :func:`pool2d` 的参数：二维浮点张量 ``X``，``mode`` 是 ``'max'`` 或 ``'avg'``，
    每侧的填充不超过窗口的一半（与 PyTorch 相同）。步幅由 :func:`to_pair` 检查。
    """
    require_tensor(X, "X", floating=True, ndim=2)
    require_choice(mode, "mode", ("max", "avg"))
    k_h, k_w = to_pair(pool_size, "pool_size")
    pad_h, pad_w = to_pair(padding, "padding", minimum=0)
    if pad_h > k_h // 2 or pad_w > k_w // 2:
        raise ValueError(f"每侧的填充 {(pad_h, pad_w)} 不应超过窗口 {(k_h, k_w)} 的一半（与 PyTorch 相同）")


# --8<-- [start:pool2d]
def pool2d(
    X: torch.Tensor,
    pool_size: int | tuple[int, int],
    mode: str = "max",
    *,
    padding: int | tuple[int, int] = 0,
    stride: int | tuple[int, int] | None = None,
) -> torch.Tensor:
    """二维汇聚：窗口在 ``X`` 上滑动，``mode='max'`` 取窗口内的最大值，``mode='avg'`` 取平均值。

    与 PyTorch 一致：最大汇聚把填充位置当作 -inf（永远不会被选中），平均汇聚把填充位置当作 0
    并计入分母（``nn.AvgPool2d`` 的默认 ``count_include_pad=True``）；每侧填充不超过窗口的一半。

    Examples:
        >>> X = torch.arange(9.0).reshape(3, 3)
        >>> pool2d(X, 2, stride=1)
        tensor([[4., 5.],
                [7., 8.]])
        >>> pool2d(X, 2, "avg", stride=1)
        tensor([[2., 3.],
                [5., 6.]])
    """
    check_pool2d_args(X, pool_size, mode, padding)
    k_h, k_w = to_pair(pool_size, "pool_size")
    pad_h, pad_w = to_pair(padding, "padding", minimum=0)  # 每一侧的填充
    s_h, s_w = to_pair((k_h, k_w) if stride is None else stride, "stride")
    out_h, out_w = conv_output_shape(
        tuple(X.shape), (k_h, k_w), total_padding=(2 * pad_h, 2 * pad_w), stride=(s_h, s_w)
    )
    fill = float("-inf") if mode == "max" else 0.0
    padded = torch.full((X.shape[0] + 2 * pad_h, X.shape[1] + 2 * pad_w), fill, dtype=X.dtype, device=X.device)
    padded[pad_h:pad_h + X.shape[0], pad_w:pad_w + X.shape[1]] = X
    Y = torch.zeros(out_h, out_w, dtype=X.dtype, device=X.device)
    for i in range(out_h):
        for j in range(out_w):
            window = padded[i * s_h:i * s_h + k_h, j * s_w:j * s_w + k_w]
            Y[i, j] = window.max() if mode == "max" else window.mean()
    return Y
# --8<-- [end:pool2d]


def check_pool2d_per_channel_args(X: object) -> None:
    """检查 :func:`pool2d_per_channel` 的输入：三维或四维的浮点张量，且至少有一个通道。"""
    require_tensor(X, "X", floating=True)
    if X.dim() not in (3, 4):
        raise ValueError(
            f"参数 X 应为 3 维（通道, 高, 宽）或 4 维（批量, 通道, 高, 宽）张量，实际形状为 {tuple(X.shape)}"
        )
    if X.shape[:-2].numel() == 0:
        raise ValueError(f"X 中没有任何通道，实际形状为 {tuple(X.shape)}")


# --8<-- [start:pool2d_per_channel]
def pool2d_per_channel(
    X: torch.Tensor,
    pool_size: int | tuple[int, int],
    mode: str = "max",
    *,
    padding: int | tuple[int, int] = 0,
    stride: int | tuple[int, int] | None = None,
) -> torch.Tensor:
    """对 ``(通道, 高, 宽)`` 或 ``(批量, 通道, 高, 宽)`` 的输入逐通道做 :func:`pool2d`。

    通道之间不相加，输出的通道数（和批量大小）与输入相同。

    Examples:
        >>> X = torch.arange(32.0).reshape(1, 2, 4, 4)
        >>> pool2d_per_channel(X, 2).shape
        torch.Size([1, 2, 2, 2])
    """
    check_pool2d_per_channel_args(X)
    h, w = X.shape[-2:]
    slices = X.reshape(-1, h, w)  # 每个通道（以及每个样本的每个通道）是一片二维张量
    Y = torch.stack([pool2d(x, pool_size, mode, padding=padding, stride=stride) for x in slices])
    return Y.reshape(*X.shape[:-2], *Y.shape[-2:])
# --8<-- [end:pool2d_per_channel]
