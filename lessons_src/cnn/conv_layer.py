"""图像卷积：二维互相关运算、从零实现的卷积层、边缘检测、学习卷积核、感受野，
以及没有激活函数的两个卷积层合并成一个卷积层。

对应页面 ``docs/cnn/conv-layer.md``。本章其他模块复用这里的 :func:`corr2d`，
以及把整数或 ``(高, 宽)`` 二元组统一成二元组的 :func:`to_pair`。

页面展示的函数开头只有一行参数检查，调用写在各函数上方的 ``check_<函数名>_args``；
检查用的是 :mod:`lessons_src.checks` 中的共用词汇。
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from lessons_src.checks import require_instance, require_int, require_positive, require_positive_int, require_tensor

__all__ = [
    "Conv2D",
    "corr2d",
    "learn_kernel",
    "merge_conv2d",
    "receptive_field",
    "require_dims",
    "to_pair",
]


def require_dims(X: object, name: str, ndim: int) -> torch.Tensor:
    """确认 ``X`` 是 ``ndim`` 维的浮点张量，并原样返回；等同于 ``require_tensor(X, name, floating=True, ndim=ndim)``。

    Examples:
        >>> require_dims(torch.zeros(2, 3), "X", 2).shape
        torch.Size([2, 3])
        >>> require_dims(torch.zeros(2, 3), "X", 3)
        Traceback (most recent call last):
        ...
        ValueError: 参数 X 应为 3 维张量，实际形状为 (2, 3)
    """
    return require_tensor(X, name, floating=True, ndim=ndim)


def to_pair(value: object, name: str, *, minimum: int = 1) -> tuple[int, int]:
    """把整数或 ``(高, 宽)`` 二元组统一成二元组，并要求每个数都是不小于 ``minimum`` 的整数。

    与 PyTorch 的卷积层、汇聚层一样，一个整数表示高和宽取同一个值。

    Examples:
        >>> to_pair(3, "kernel_size")
        (3, 3)
        >>> to_pair((0, 1), "padding", minimum=0)
        (0, 1)
        >>> to_pair(0, "stride")
        Traceback (most recent call last):
        ...
        ValueError: 参数 stride 应为不小于 1 的整数，实际得到 0
        >>> to_pair((2, 0), "stride")
        Traceback (most recent call last):
        ...
        ValueError: 参数 stride[1] 应为不小于 1 的整数，实际得到 0
    """
    if not isinstance(value, tuple | list):
        number = require_int(value, name, minimum=minimum)
        return number, number
    if len(value) != 2:
        raise TypeError(f"参数 {name} 应为整数或 (高, 宽) 二元组，实际得到 {value!r}")
    return require_int(value[0], f"{name}[0]", minimum=minimum), require_int(value[1], f"{name}[1]", minimum=minimum)


def check_corr2d_args(X: object, K: object) -> None:
    """检查 :func:`corr2d` 的参数：``X``、``K`` 都是二维浮点张量，``K`` 非空且不大于 ``X``。"""
    require_tensor(X, "X", floating=True, ndim=2)
    require_tensor(K, "K", floating=True, ndim=2)
    h, w = K.shape
    if h == 0 or w == 0 or h > X.shape[0] or w > X.shape[1]:
        raise ValueError(f"卷积核 K 的形状 {tuple(K.shape)} 应非空且不大于输入 X 的形状 {tuple(X.shape)}")


# --8<-- [start:corr2d]
def corr2d(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """二维互相关运算：卷积核 ``K`` 在 ``X`` 上逐个位置滑动，窗口内对应元素相乘再求和。

    输出形状为 ``(n_h - k_h + 1, n_w - k_w + 1)``。

    Examples:
        >>> X = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
        >>> K = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
        >>> corr2d(X, K)
        tensor([[19., 25.],
                [37., 43.]])
    """
    check_corr2d_args(X, K)
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=torch.result_type(X, K), device=X.device)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y
# --8<-- [end:corr2d]


# --8<-- [start:Conv2D]
class Conv2D(nn.Module):
    """从零实现的二维卷积层：对输入做互相关运算，再加上一个标量偏置。

    卷积核权重按 [0, 1) 上的均匀分布随机初始化，偏置初始化为 0。

    Examples:
        >>> layer = Conv2D((1, 2))
        >>> layer.weight.shape, layer.bias.shape
        (torch.Size([1, 2]), torch.Size([1]))
        >>> layer(torch.zeros(3, 4)).shape
        torch.Size([3, 3])
    """

    def __init__(self, kernel_size: int | tuple[int, int]) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.rand(to_pair(kernel_size, "kernel_size")))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return corr2d(X, self.weight) + self.bias
# --8<-- [end:Conv2D]


def check_learn_kernel_args(X: object, Y: object, kernel_size: object, num_epochs: object, lr: object) -> None:
    """检查 :func:`learn_kernel` 的参数：``X``、``Y`` 是二维浮点张量，``Y`` 的形状等于 ``X`` 配这个卷积核的输出形状，
    ``num_epochs`` 是正整数，``lr`` 是正数。
    """
    require_tensor(X, "X", floating=True, ndim=2)
    require_tensor(Y, "Y", floating=True, ndim=2)
    kh, kw = to_pair(kernel_size, "kernel_size")
    expected = (X.shape[0] - kh + 1, X.shape[1] - kw + 1)
    if tuple(Y.shape) != expected:
        raise ValueError(
            f"输入形状 {tuple(X.shape)} 配 {kh}×{kw} 的卷积核，输出 Y 的形状应为 {expected}，实际为 {tuple(Y.shape)}"
        )
    require_positive_int(num_epochs, "num_epochs")
    require_positive(lr, "lr")


# --8<-- [start:learn_kernel]
def learn_kernel(
    X: torch.Tensor, Y: torch.Tensor, kernel_size: int | tuple[int, int], *, num_epochs: int = 10, lr: float = 3e-2
) -> tuple[nn.Conv2d, list[float]]:
    """只给输入 ``X`` 和输出 ``Y``，用梯度下降学出把 ``X`` 变成 ``Y`` 的卷积核。

    模型是一个没有偏置的单通道 ``nn.Conv2d``；损失是平方误差之和；每轮用整幅图像更新一次。

    Returns:
        ``(学到的卷积层, 每轮更新前的损失)``。

    Examples:
        >>> X = torch.ones(6, 8)
        >>> X[:, 2:6] = 0
        >>> Y = corr2d(X, torch.tensor([[1.0, -1.0]]))
        >>> _ = torch.manual_seed(0)
        >>> conv, losses = learn_kernel(X, Y, (1, 2), num_epochs=30)
        >>> losses[-1] < 1e-3
        True
    """
    check_learn_kernel_args(X, Y, kernel_size, num_epochs, lr)
    conv2d = nn.Conv2d(1, 1, kernel_size=kernel_size, bias=False).to(dtype=X.dtype, device=X.device)
    # nn.Conv2d 的输入和输出都是四维的：（批量大小, 通道数, 高, 宽）
    X, Y = X.reshape(1, 1, *X.shape), Y.reshape(1, 1, *Y.shape)
    losses = []
    for _ in range(num_epochs):
        loss = ((conv2d(X) - Y) ** 2).sum()
        conv2d.zero_grad()
        loss.backward()
        with torch.no_grad():
            conv2d.weight -= lr * conv2d.weight.grad
        losses.append(loss.item())
    return conv2d, losses
# --8<-- [end:learn_kernel]


def check_receptive_field_args(kernel_sizes: object, strides: object) -> None:
    """检查 :func:`receptive_field` 的参数：``kernel_sizes`` 是非空的正整数列表，
    ``strides`` 是 ``None`` 或与它等长的正整数列表。
    """
    if not isinstance(kernel_sizes, list | tuple) or len(kernel_sizes) == 0:
        raise TypeError(f"参数 kernel_sizes 应为非空的整数列表，实际得到 {kernel_sizes!r}")
    if strides is not None and (not isinstance(strides, list | tuple) or len(strides) != len(kernel_sizes)):
        raise ValueError(f"参数 strides 应为与 kernel_sizes 等长的整数列表，实际得到 {strides!r}")
    for name, values in (("kernel_sizes", kernel_sizes), ("strides", strides or [])):
        for index, value in enumerate(values):
            require_positive_int(value, f"{name}[{index}]")


# --8<-- [start:receptive_field]
def receptive_field(
    kernel_sizes: list[int] | tuple[int, ...],
    strides: list[int] | tuple[int, ...] | None = None,
) -> int:
    """依次堆叠的卷积（或汇聚）层中，最后一层的一个元素在输入上的感受野边长。

    r = 1 + sum_l (k_l - 1) * (s_1 * ... * s_{l-1})，``strides`` 省略时每层步幅都是 1。

    Examples:
        >>> receptive_field([3, 3])
        5
        >>> receptive_field([5, 2, 5, 2], strides=[1, 2, 1, 2])  # LeNet 的两个卷积块
        16
    """
    check_receptive_field_args(kernel_sizes, strides)
    strides = [1] * len(kernel_sizes) if strides is None else strides
    size, jump = 1, 1
    for k, s in zip(kernel_sizes, strides):
        size += (k - 1) * jump
        jump *= s
    return size
# --8<-- [end:receptive_field]


def check_merge_conv2d_args(first: object, second: object) -> None:
    """检查 :func:`merge_conv2d` 的参数：两个步幅 1、不填充、不膨胀、不分组的 ``nn.Conv2d``，通道数接得上。"""
    for name, layer in [("first", first), ("second", second)]:
        require_instance(layer, name, nn.Conv2d, label="nn.Conv2d")
        settings = (layer.stride, layer.padding, layer.dilation, layer.groups)
        if settings != ((1, 1), (0, 0), (1, 1), 1):
            raise ValueError(
                f"参数 {name} 应为步幅 1、不填充、dilation=1、groups=1 的卷积层，"
                f"实际 stride={layer.stride}, padding={layer.padding}, "
                f"dilation={layer.dilation}, groups={layer.groups}"
            )
    if second.in_channels != first.out_channels:
        raise ValueError(
            f"second 的输入通道数 {second.in_channels} 应等于 first 的输出通道数 {first.out_channels}"
        )


# --8<-- [start:merge_conv2d]
def merge_conv2d(first: nn.Conv2d, second: nn.Conv2d) -> nn.Conv2d:
    """把直接相连（中间没有激活函数）的两个卷积层合并成一个等价的卷积层。

    合并后的卷积核高为 ``k1_h + k2_h - 1``、宽为 ``k1_w + k2_w - 1``，
    偏置是 ``b2 + sum(K2) · b1``。两个层都应是步幅 1、不填充的卷积层。

    Examples:
        >>> first, second = nn.Conv2d(2, 3, kernel_size=3), nn.Conv2d(3, 4, kernel_size=2)
        >>> merged = merge_conv2d(first, second)
        >>> merged
        Conv2d(2, 4, kernel_size=(4, 4), stride=(1, 1))
        >>> X = torch.randn(1, 2, 9, 9)
        >>> bool(torch.allclose(merged(X), second(first(X)), atol=1e-5))
        True
    """
    check_merge_conv2d_args(first, second)
    K1, K2 = first.weight.detach(), second.weight.detach()  # (c_m, c_i, ·, ·), (c_o, c_m, ·, ·)
    k2_h, k2_w = K2.shape[2:]
    # K[o, i] = sum_m (K1[m, i] 与 K2[o, m] 的严格意义上的卷积)：
    # K1 四周补 k2 - 1 圈 0，再与翻转后的 K2 做互相关；批量维放输入通道 i
    K = F.conv2d(K1.transpose(0, 1), K2.flip(2, 3), padding=(k2_h - 1, k2_w - 1))
    K = K.transpose(0, 1)  # (c_i, c_o, ·, ·) -> (c_o, c_i, ·, ·)
    b1 = first.bias.detach() if first.bias is not None else K1.new_zeros(K1.shape[0])
    b2 = second.bias.detach() if second.bias is not None else K2.new_zeros(K2.shape[0])
    bias = b2 + K2.sum(dim=(2, 3)) @ b1  # 常数 b1 经过第二层，乘上 K2 的元素之和
    merged = nn.Conv2d(K.shape[1], K.shape[0], kernel_size=tuple(K.shape[2:]))
    with torch.no_grad():
        merged.weight.copy_(K)
        merged.bias.copy_(bias)
    return merged
# --8<-- [end:merge_conv2d]
