"""数据增广：用 torchvision 的随机变换为训练图像生成“新”样本。

对应页面 ``docs/mlp/data-augmentation.md``。增广只用在训练集上，并且在每次取样本时重新随机变换
（:class:`AugmentedDataset`），所以每一轮网络看到的都是同一批图像的不同版本。
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from matplotlib.figure import Figure
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset
from torchvision.transforms import v2

from lessons_src.checks import require_instance, require_positive_int, require_real, require_tensor
from lessons_src.linear_networks.softmax_regression import train_epoch

__all__ = ["AugmentedDataset", "digit_augmentation", "plot_augmentations", "train_small_mlp"]


def check_digit_augmentation_args(
    degrees: object, translate: object, scale: object, interpolation: object = v2.InterpolationMode.BILINEAR
) -> tuple[float, float, float]:
    """检查 :func:`digit_augmentation` 的三个范围和插值方式，返回 ``(degrees, translate, scale)``（``float``）。"""
    require_instance(interpolation, "interpolation", v2.InterpolationMode, label="v2.InterpolationMode")
    return (
        require_real(degrees, "degrees", within="[0, 180]", what="最大旋转角度"),
        require_real(translate, "translate", within="[0, 1]", what="最大平移比例"),
        require_real(scale, "scale", within="[0, 1)", what="缩放幅度，缩放倍数 1 - scale 须为正"),
    )


def check_augmented_dataset_args(images: object, labels: object, transform: object) -> None:
    """检查 :class:`AugmentedDataset` 的参数：``(n, C, H, W)`` 的浮点图像、``(n,)`` 的标签和可调用的变换。"""
    require_tensor(images, "images", floating=True)
    require_tensor(labels, "labels")
    if images.dim() != 4 or labels.shape != images.shape[:1]:
        raise ValueError(
            f"images 的形状应为 (n, C, H, W)、labels 的形状应为 (n,)，"
            f"实际为 {tuple(images.shape)} 和 {tuple(labels.shape)}"
        )
    if not callable(transform):
        raise TypeError(f"参数 transform 应可调用（如 v2.RandomAffine(...)），实际得到 {type(transform).__name__}")


# --8<-- [start:digit_augmentation]
def digit_augmentation(
    degrees: float = 15.0,
    translate: float = 0.1,
    scale: float = 0.1,
    *,
    interpolation: v2.InterpolationMode = v2.InterpolationMode.BILINEAR,
) -> v2.RandomAffine:
    """适合手写数字的增广：小角度旋转、小幅平移和缩放（不做翻转）。

    Args:
        degrees: 最大旋转角度（度），在 [0, 180] 内；实际角度在 ``[-degrees, degrees]`` 中均匀选取。
        translate: 最大平移量占图像宽（高）的比例，在 [0, 1] 内。
        scale: 缩放幅度，在 [0, 1) 内；缩放倍数在 ``[1 - scale, 1 + scale]`` 中均匀选取。
        interpolation: 插值方式。双线性（默认）让放大后的图像笔画平滑；
            在 8×8 的小图上它会把笔画抹淡，训练时改用 ``v2.InterpolationMode.NEAREST``（最近邻）。

    Examples:
        >>> digit_augmentation()
        RandomAffine(degrees=[-15.0, 15.0], translate=(0.1, 0.1), scale=(0.9, 1.1), ...)
        >>> digit_augmentation(10, 0, 0, interpolation=v2.InterpolationMode.NEAREST).interpolation
        <InterpolationMode.NEAREST: 'nearest'>
    """
    degrees, translate, scale = check_digit_augmentation_args(degrees, translate, scale, interpolation)
    return v2.RandomAffine(
        degrees=degrees,
        translate=(translate, translate),
        scale=(1 - scale, 1 + scale),
        interpolation=interpolation,
    )
# --8<-- [end:digit_augmentation]


# --8<-- [start:AugmentedDataset]
Transform = Callable[[torch.Tensor], torch.Tensor]  # 把一张图像变成另一张图像的函数


class AugmentedDataset(Dataset):
    """每次取出一个样本时，对图像重新做一次随机变换；标签不变。

    Args:
        images: 形状为 ``(n, C, H, W)`` 的浮点张量。
        labels: 形状为 ``(n,)`` 的标签张量。
        transform: 作用在单张图像 ``(C, H, W)`` 上的变换，例如 :func:`digit_augmentation` 的返回值。

    Examples:
        >>> data = AugmentedDataset(torch.rand(4, 1, 8, 8), torch.arange(4), digit_augmentation())
        >>> X, y = data[1]
        >>> len(data), X.shape, int(y)
        (4, torch.Size([1, 8, 8]), 1)
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, transform: Transform) -> None:
        check_augmented_dataset_args(images, labels, transform)
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.transform(self.images[index]), self.labels[index]
# --8<-- [end:AugmentedDataset]


def check_train_small_mlp_args(
    images: object, labels: object, transform: object, num_epochs: object
) -> None:
    """检查 :func:`train_small_mlp` 的参数：``(n, 1, 8, 8)`` 的浮点图像、``(n,)`` 的标签、
    ``None`` 或可调用的变换、正整数轮数。"""
    require_tensor(images, "images", floating=True)
    if images.dim() != 4 or tuple(images.shape[1:]) != (1, 8, 8):
        raise ValueError(f"images 的形状应为 (n, 1, 8, 8)（digits 图像），实际为 {tuple(images.shape)}")
    check_augmented_dataset_args(images, labels, transform if transform is not None else (lambda x: x))
    require_positive_int(num_epochs, "num_epochs")


# --8<-- [start:train_small_mlp]
def train_small_mlp(
    images: torch.Tensor,
    labels: torch.Tensor,
    transform: Transform | None,
    *,
    num_epochs: int = 80,
    seed: int = 0,
) -> nn.Module:
    """在一个小训练集上训练单隐藏层的多层感知机；``transform`` 不为 ``None`` 时每次取样本都重新增广。

    网络是 64 → 256 → 10（ReLU），优化器是学习率 1e-3 的 Adam，小批量大小 20。
    ``seed`` 同时固定初始化、小批量的顺序和增广的随机数，所以同一个 ``seed`` 下增广与否的两次训练
    从同一组初始参数出发。

    Examples:
        >>> images, labels = torch.rand(40, 1, 8, 8), torch.arange(40) % 10
        >>> net = train_small_mlp(images, labels, None, num_epochs=2)
        >>> net(images).shape
        torch.Size([40, 10])
    """
    check_train_small_mlp_args(images, labels, transform, num_epochs)
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Flatten(), nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 10))
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    if transform is None:
        data = TensorDataset(images, labels)
    else:
        data = AugmentedDataset(images, labels, transform)
    train_iter = DataLoader(data, batch_size=20, shuffle=True)
    for _ in range(num_epochs):
        train_epoch(net, train_iter, nn.CrossEntropyLoss(), optimizer)
    return net
# --8<-- [end:train_small_mlp]


def plot_augmentations(
    image: torch.Tensor, transform: Transform, *, num: int = 7, seed: int = 0, label: str | None = None
) -> Figure:
    """把原图和 ``num`` 个随机变换后的版本排成一行，返回 ``Figure``。

    Args:
        image: 单张灰度图像，形状为 ``(1, H, W)``。
        transform: 作用在这张图像上的随机变换。
        num: 变换后的版本个数，正整数。
        seed: 变换前用 ``torch.manual_seed(seed)`` 固定随机数，图可以复现。
        label: 图的中文说明（网页上图片的替代文本）；默认自动生成。

    Examples:
        >>> figure = plot_augmentations(torch.rand(1, 8, 8), digit_augmentation(), num=3)
        >>> [axes.get_title() for axes in figure.axes]
        ['original', 'augmented 1', 'augmented 2', 'augmented 3']
    """
    require_tensor(image, "image", floating=True)
    if image.dim() != 3 or image.shape[0] != 1:
        raise ValueError(f"参数 image 应为形状 (1, H, W) 的单张灰度图像，实际形状为 {tuple(image.shape)}")
    if not callable(transform):
        raise TypeError(f"参数 transform 应可调用，实际得到 {type(transform).__name__}")
    require_positive_int(num, "num")
    if label is not None and not isinstance(label, str):
        raise TypeError(f"参数 label 应为字符串，实际得到 {type(label).__name__}")
    torch.manual_seed(seed)
    versions = [image] + [transform(image) for _ in range(num)]
    figure = Figure(figsize=(1.3 * (num + 1), 1.6), layout="constrained")
    figure.set_label(label or f"一张手写数字图像（最左）和它经过随机变换得到的 {num} 个版本")
    for index, (axes, version) in enumerate(zip(figure.subplots(1, num + 1), versions)):
        axes.imshow(version[0].detach().numpy(), cmap="gray_r", vmin=0, vmax=1)
        axes.set_title("original" if index == 0 else f"augmented {index}", fontsize=8)
        axes.set_xticks([])
        axes.set_yticks([])
    return figure
