"""图像分类数据集：scikit-learn 自带的手写数字（不需要下载）与 torchvision 的 Fashion-MNIST。

对应页面 ``docs/linear-networks/image-classification-dataset.md``。网站上的训练都用 digits 数据集，
它随 scikit-learn 一起安装，页面上的准确率是真实训练出来的；Fashion-MNIST 的读取代码供读者在
自己的机器上使用，测试用 :func:`write_idx` 生成的小文件检查它。
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from matplotlib.figure import Figure
from torch.utils.data import DataLoader, TensorDataset

from lessons_src.checks import (
    require_instance,
    require_int,
    require_path,
    require_positive_int,
    require_real,
    require_tensor,
)

__all__ = [
    "DIGITS_LABELS",
    "FASHION_MNIST_FILES",
    "FASHION_MNIST_LABELS",
    "digits_loaders",
    "fashion_mnist_loaders",
    "load_digits_tensors",
    "show_images",
    "write_fake_fashion_mnist",
    "write_idx",
]

DIGITS_LABELS = [str(digit) for digit in range(10)]
"""digits 数据集的类别名：数字 0 到 9。"""

FASHION_MNIST_LABELS = ["T恤", "裤子", "套衫", "连衣裙", "外套", "凉鞋", "衬衫", "运动鞋", "包", "短靴"]
"""Fashion-MNIST 的 10 个类别，按标签 0–9 的顺序。"""


def check_digits_loaders_args(batch_size: object, test_fraction: object, resize: object) -> None:
    """检查 :func:`digits_loaders` 的参数：``batch_size`` 是正整数，``test_fraction`` 在 (0, 1) 内，
    ``resize`` 是正整数或 ``None``。"""
    require_positive_int(batch_size, "batch_size")
    require_real(test_fraction, "test_fraction", within="(0, 1)")
    if resize is not None:
        require_positive_int(resize, "resize")


FASHION_MNIST_FILES = (
    "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"
)
"""Fashion-MNIST 解压后的四个数据文件，torchvision 在 ``root/FashionMNIST/raw/`` 下找它们。"""


def check_fashion_mnist_loaders_args(
    root: object, batch_size: object, resize: object, download: object, num_workers: object
) -> Path:
    """检查 :func:`fashion_mnist_loaders` 的参数：``batch_size`` 是正整数，``resize`` 是正整数或 ``None``，
    ``num_workers`` 是非负整数；不下载（``download=False``）时四个数据文件都要在；返回 ``Path(root)``。"""
    root = require_path(root, "root")
    require_positive_int(batch_size, "batch_size")
    if resize is not None:
        require_positive_int(resize, "resize")
    require_instance(download, "download", bool)
    require_int(num_workers, "num_workers", minimum=0)
    raw = root / "FashionMNIST" / "raw"
    if not download and not all((raw / name).is_file() for name in FASHION_MNIST_FILES):
        raise FileNotFoundError(
            f"在 {raw} 下找不到 Fashion-MNIST 的数据文件；"
            "可以传入 download=True 联网下载，或把四个 *-ubyte 文件放到该目录"
        )
    return root


# --8<-- [start:load_digits_tensors]
def load_digits_tensors() -> tuple[torch.Tensor, torch.Tensor]:
    """读取 scikit-learn 自带的 8×8 手写数字，返回 ``(图像, 标签)``。

    图像形状为 ``(1797, 1, 8, 8)``、取值在 [0, 1] 之间（原始灰度 0–16 除以 16），
    标签形状为 ``(1797,)``、类型为 ``torch.int64``。

    Examples:
        >>> images, labels = load_digits_tensors()
        >>> images.shape, labels.shape
        (torch.Size([1797, 1, 8, 8]), torch.Size([1797]))
        >>> float(images.min()), float(images.max())
        (0.0, 1.0)
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16
    labels = torch.tensor(digits.target, dtype=torch.int64)
    return images, labels
# --8<-- [end:load_digits_tensors]


# --8<-- [start:digits_loaders]
def digits_loaders(
    batch_size: int = 64, *, test_fraction: float = 0.25, seed: int = 0, resize: int | None = None
) -> tuple[DataLoader, DataLoader]:
    """把 digits 按类别分层地划分为训练集和测试集，返回两个 ``DataLoader``。

    训练集的加载器每轮打乱顺序；打乱用的随机数生成器由 ``seed`` 固定，结果可以复现。

    Args:
        batch_size: 小批量大小。
        test_fraction: 测试集所占比例，在 (0, 1) 之间。
        seed: 划分和打乱用的随机种子。
        resize: 若给出，用双线性插值把 8×8 的图像放大到 ``resize × resize``
            （例如 LeNet 按 28×28 的输入设计）。

    Examples:
        >>> train_iter, test_iter = digits_loaders(batch_size=32)
        >>> len(train_iter.dataset), len(test_iter.dataset)
        (1347, 450)
        >>> X, y = next(iter(train_iter))
        >>> X.shape, y.shape
        (torch.Size([32, 1, 8, 8]), torch.Size([32]))
    """
    from sklearn.model_selection import train_test_split

    check_digits_loaders_args(batch_size, test_fraction, resize)
    images, labels = load_digits_tensors()
    if resize is not None:
        images = torch.nn.functional.interpolate(images, size=(resize, resize), mode="bilinear", align_corners=False)
    train_idx, test_idx = train_test_split(
        np.arange(len(labels)), test_size=test_fraction, random_state=seed, stratify=labels.numpy()
    )
    train_set = TensorDataset(images[train_idx], labels[train_idx])
    test_set = TensorDataset(images[test_idx], labels[test_idx])
    generator = torch.Generator().manual_seed(seed)
    return (
        DataLoader(train_set, batch_size=batch_size, shuffle=True, generator=generator),
        DataLoader(test_set, batch_size=batch_size, shuffle=False),
    )
# --8<-- [end:digits_loaders]


# --8<-- [start:fashion_mnist_loaders]
def fashion_mnist_loaders(
    root: str | Path,
    batch_size: int = 256,
    *,
    resize: int | None = None,
    download: bool = False,
    num_workers: int = 0,
) -> tuple[DataLoader, DataLoader]:
    """用 torchvision 读取 Fashion-MNIST，返回训练集和测试集的 ``DataLoader``。

    图像被转换为形状 ``(1, 28, 28)``（或 ``(1, resize, resize)``）、取值在 [0, 1] 的浮点张量。

    Args:
        root: 数据所在的目录；文件位于 ``root/FashionMNIST/raw/``。
        batch_size: 小批量大小。
        resize: 若给出，把图像缩放到 ``resize × resize``（例如 AlexNet 需要更大的输入）。
        download: 目录里没有数据时是否联网下载。默认不下载，缺文件时报错并说明怎么办。
        num_workers: 读取数据的工作进程数；大于 0 时，在 Windows、macOS（spawn）和 Python 3.14 起的 Linux
            （forkserver）上，脚本的主体必须放在 ``if __name__ == "__main__":`` 之下。

    Raises:
        FileNotFoundError: ``download=False`` 而 ``root/FashionMNIST/raw/`` 下缺少数据文件。
    """
    import torchvision
    from torchvision.transforms import v2

    root = check_fashion_mnist_loaders_args(root, batch_size, resize, download, num_workers)
    steps = [v2.ToImage(), v2.ToDtype(torch.float32, scale=True)]  # uint8 的 Pillow 图像 → [0, 1] 的 float32
    if resize is not None:
        steps.insert(0, v2.Resize(resize))  # 先在 Pillow 图像上缩放
    transform = v2.Compose(steps)
    train = torchvision.datasets.FashionMNIST(root, train=True, transform=transform, download=download)
    test = torchvision.datasets.FashionMNIST(root, train=False, transform=transform, download=download)
    return (
        DataLoader(train, batch_size, shuffle=True, num_workers=num_workers),
        DataLoader(test, batch_size, shuffle=False, num_workers=num_workers),
    )
# --8<-- [end:fashion_mnist_loaders]


def write_idx(path: str | Path, array: np.ndarray) -> Path:
    """把 ``uint8`` 数组写成 MNIST 系列数据集使用的 IDX 文件（大端序的维数头 + 原始字节）。

    Examples:
        >>> import tempfile
        >>> folder = tempfile.mkdtemp()
        >>> path = write_idx(f"{folder}/labels-idx1-ubyte", np.array([3, 1, 4], dtype=np.uint8))
        >>> path.read_bytes()[:4], path.stat().st_size
        (b'\\x00\\x00\\x08\\x01', 11)
    """
    if not isinstance(array, np.ndarray) or array.dtype != np.uint8:
        raise TypeError(f"参数 array 应为 dtype 为 uint8 的 numpy 数组，实际得到 {type(array).__name__}")
    if array.ndim not in (1, 3):
        raise ValueError(f"IDX 文件中标签是 1 维、图像是 3 维 (N, H, W)，实际维数为 {array.ndim}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.tobytes())
    return path


def write_fake_fashion_mnist(root: str | Path, *, n_train: int = 64, n_test: int = 16, seed: int = 0) -> Path:
    """在 ``root/FashionMNIST/raw/`` 下写出格式与真实数据相同、内容随机的小数据集，返回该目录。

    用于在没有网络的环境里运行 :func:`fashion_mnist_loaders` 的真实读取代码。
    """
    require_positive_int(n_train, "n_train")
    require_positive_int(n_test, "n_test")
    rng = np.random.default_rng(seed)
    raw = Path(root) / "FashionMNIST" / "raw"
    for prefix, count in (("train", n_train), ("t10k", n_test)):
        write_idx(raw / f"{prefix}-images-idx3-ubyte", rng.integers(0, 256, (count, 28, 28), dtype=np.uint8))
        write_idx(raw / f"{prefix}-labels-idx1-ubyte", rng.integers(0, 10, count, dtype=np.uint8))
    return raw


# --8<-- [start:show_images]
def show_images(
    images: torch.Tensor,
    titles: Sequence[str] | None = None,
    *,
    num_cols: int = 8,
    label: str = "数据集中的示例图像，每张图上方是它的标签",
) -> Figure:
    """把一批灰度图像排成网格画出来，返回 matplotlib 的 ``Figure``。

    Args:
        images: 形状为 ``(n, 1, H, W)`` 或 ``(n, H, W)`` 的浮点张量。
        titles: 每张图的标题（例如类别名），长度应为 n；``None`` 时不加标题。
        num_cols: 每行最多放几张图。
        label: 图的中文说明，用作网页上图片的替代文本。

    Examples:
        >>> figure = show_images(torch.rand(5, 1, 8, 8), ["a", "b", "c", "d", "e"], num_cols=3)
        >>> len(figure.axes), figure.axes[1].get_title()
        (6, 'b')
    """
    require_tensor(images, "images", floating=True)
    if images.dim() == 4 and images.shape[1] == 1:
        images = images[:, 0]
    if images.dim() != 3 or len(images) == 0:
        raise ValueError(f"参数 images 的形状应为 (n, 1, H, W) 或 (n, H, W) 且 n ≥ 1，实际为 {tuple(images.shape)}")
    if titles is not None:
        if isinstance(titles, str) or not isinstance(titles, Sequence):
            raise TypeError(f"参数 titles 应为字符串列表或 None，实际得到 {type(titles).__name__}")
        if len(titles) != len(images):
            raise ValueError(f"titles 的长度应与图像数相同，实际为 {len(titles)} 和 {len(images)}")
    num_cols = min(require_positive_int(num_cols, "num_cols"), len(images))
    if not isinstance(label, str) or not label.strip():
        raise TypeError("参数 label 应为非空字符串（图的中文说明）")
    num_rows = math.ceil(len(images) / num_cols)
    figure = Figure(figsize=(1.1 * num_cols, 1.3 * num_rows), layout="constrained")
    figure.set_label(label)
    grid = figure.subplots(num_rows, num_cols, squeeze=False)
    for index, axes in enumerate(grid.flat):
        axes.set_axis_off()
        if index < len(images):
            axes.imshow(images[index].detach().cpu().numpy(), cmap="gray")
            if titles is not None:
                axes.set_title(str(titles[index]))
    return figure
# --8<-- [end:show_images]
