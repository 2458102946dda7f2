"""torchvision 的数据集和变换：Fashion-MNIST、CIFAR-10、ImageFolder，以及按通道的规范化统计量。

对应页面 ``docs/workflow/torchvision-datasets.md``。网站和测试不联网：:func:`write_fake_cifar10` 按
torchvision 读取的格式写出小的 CIFAR-10 文件，:func:`cifar10_with_checksums` 让 torchvision 用这些文件的
MD5 做完整性检查；Fashion-MNIST 的小文件由
:func:`lessons_src.linear_networks.image_classification_dataset.write_fake_fashion_mnist` 生成。
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset, IterableDataset
from torchvision.datasets import CIFAR10, MNIST, VisionDataset
from torchvision.datasets.utils import calculate_md5

from lessons_src.checks import require_instance, require_positive_int

__all__ = [
    "CIFAR10_LABELS",
    "channel_mean_std",
    "cifar10_with_checksums",
    "expected_location",
    "open_dataset",
    "write_fake_cifar10",
    "write_image_folder",
]

CIFAR10_LABELS = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
"""CIFAR-10 的 10 个类别（英文名，按标签 0–9 的顺序），与真实数据 ``batches.meta`` 中的 ``label_names`` 相同。"""


def check_write_fake_cifar10_args(per_batch: object, n_test: object) -> None:
    """检查 :func:`write_fake_cifar10` 的参数：每个训练批次和测试集的图像数都是正整数。"""
    require_positive_int(per_batch, "per_batch")
    require_positive_int(n_test, "n_test")


# --8<-- [start:write_fake_cifar10]
def write_fake_cifar10(
    root: str | os.PathLike,
    *,
    per_batch: int = 20,
    n_test: int = 20,
    seed: int = 0,
) -> dict[str, str]:
    """在 ``root/cifar-10-batches-py/`` 下按 CIFAR-10 的格式写出小数据集，返回 ``{文件名: MD5}``。

    真实数据有 5 个训练批次文件（``data_batch_1`` … ``data_batch_5``，每个 10000 张）、一个测试批次文件
    ``test_batch`` 和元数据文件 ``batches.meta``，都是用 pickle 保存的字典：``"data"`` 是形状为
    ``(N, 3072)`` 的 ``uint8`` 数组（每行依次是 1024 个红色、1024 个绿色、1024 个蓝色像素，各按 32×32 逐行排列），
    ``"labels"`` 是 N 个 0–9 的整数。这里每个训练批次只有 ``per_batch`` 张随机图像，三个通道的取值范围不同。

    Examples:
        >>> import tempfile
        >>> checksums = write_fake_cifar10(tempfile.mkdtemp(), per_batch=2, n_test=3)
        >>> sorted(checksums)
        ['batches.meta', 'data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5', 'test_batch']
    """
    check_write_fake_cifar10_args(per_batch, n_test)
    folder = Path(root) / CIFAR10.base_folder
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    low, high = np.array([0, 40, 80]), np.array([256, 200, 160])  # 红、绿、蓝三个通道的取值范围
    names = [name for name, _ in CIFAR10.train_list] + [name for name, _ in CIFAR10.test_list]
    checksums = {}
    for name in names:
        count = n_test if name == "test_batch" else per_batch
        pixels = rng.integers(low[:, None, None], high[:, None, None], size=(count, 3, 32, 32)).astype(np.uint8)
        labels = rng.integers(0, 10, size=count).tolist()
        # 键是 str：torchvision 用 pickle.load(f, encoding="latin1") 读，真实文件里的键读出来也是 str
        batch = {"batch_label": name, "data": pixels.reshape(count, 3072), "labels": labels}
        with open(folder / name, "wb") as f:
            pickle.dump(batch, f)
    meta = {"label_names": CIFAR10_LABELS, "num_cases_per_batch": per_batch, "num_vis": 3072}
    with open(folder / CIFAR10.meta["filename"], "wb") as f:
        pickle.dump(meta, f)
    for name in [*names, CIFAR10.meta["filename"]]:
        checksums[name] = calculate_md5(folder / name)
    return checksums
# --8<-- [end:write_fake_cifar10]


def check_cifar10_with_checksums_args(checksums: object) -> None:
    """确认 ``checksums`` 是 ``{文件名: MD5}`` 的字典，而且 CIFAR-10 的 7 个文件都有。"""
    require_instance(checksums, "checksums", Mapping, label="{文件名: MD5} 的字典")
    needed = [name for name, _ in CIFAR10.train_list + CIFAR10.test_list] + [CIFAR10.meta["filename"]]
    missing = [name for name in needed if name not in checksums]  # type: ignore[operator]
    if missing:
        raise ValueError(f"checksums 缺少这些文件的 MD5：{missing}；应包含 {needed}")


# --8<-- [start:cifar10_with_checksums]
def cifar10_with_checksums(checksums: Mapping[str, str]) -> type[CIFAR10]:
    """返回 ``torchvision.datasets.CIFAR10`` 的一个子类，它用 ``checksums`` 中的 MD5 检查文件。

    读取、解析文件的代码全部继承自 ``CIFAR10``，只有类属性 ``train_list``、``test_list`` 和 ``meta``
    里记录的校验和换成了给定的值。

    Examples:
        >>> import tempfile
        >>> root = tempfile.mkdtemp()
        >>> LocalCIFAR10 = cifar10_with_checksums(write_fake_cifar10(root, per_batch=2, n_test=3))
        >>> issubclass(LocalCIFAR10, CIFAR10), len(LocalCIFAR10(root, train=True)), len(LocalCIFAR10(root, train=False))
        (True, 10, 3)
    """
    check_cifar10_with_checksums_args(checksums)
    attributes = {
        "train_list": [[name, checksums[name]] for name, _ in CIFAR10.train_list],
        "test_list": [[name, checksums[name]] for name, _ in CIFAR10.test_list],
        "meta": {**CIFAR10.meta, "md5": checksums[CIFAR10.meta["filename"]]},
        "__module__": __name__,
    }
    return type("LocalCIFAR10", (CIFAR10,), attributes)
# --8<-- [end:cifar10_with_checksums]


def check_open_dataset_args(dataset_class: object, train: object, download: object) -> None:
    """检查 :func:`open_dataset` 的参数：``dataset_class`` 是 torchvision 的数据集类，
    ``train``、``download`` 是 ``bool``。
    """
    if not (isinstance(dataset_class, type) and issubclass(dataset_class, VisionDataset)):
        raise TypeError(f"参数 dataset_class 应为 torchvision 的数据集类（如 CIFAR10），实际得到 {dataset_class!r}")
    for name, flag in (("train", train), ("download", download)):
        require_instance(flag, name, bool, label="True 或 False")


# --8<-- [start:open_dataset]
def expected_location(dataset_class: type[VisionDataset], root: str | os.PathLike) -> Path:
    """torchvision 在哪个文件夹里找 ``dataset_class`` 的数据文件。

    Examples:
        >>> from torchvision import datasets
        >>> expected_location(datasets.FashionMNIST, "data").as_posix()
        'data/FashionMNIST/raw'
        >>> expected_location(datasets.CIFAR10, "data").as_posix()
        'data/cifar-10-batches-py'
    """
    if issubclass(dataset_class, MNIST):  # MNIST、FashionMNIST 等：root/类名/raw/
        return Path(root) / dataset_class.__name__ / "raw"
    base_folder = getattr(dataset_class, "base_folder", None)  # CIFAR10：root/cifar-10-batches-py/
    return Path(root) / base_folder if base_folder else Path(root)


def open_dataset(
    dataset_class: type[VisionDataset],
    root: str | os.PathLike,
    *,
    train: bool = True,
    transform: Any = None,
    download: bool = False,
) -> VisionDataset:
    """创建 torchvision 的数据集 ``dataset_class(root, train=..., transform=..., download=...)``。

    文件缺失或校验失败时，torchvision 抛出的 ``RuntimeError`` 只说 “Dataset not found”；这里把它换成
    ``FileNotFoundError``，说明它在哪个文件夹里找文件、可以怎么办。

    Raises:
        TypeError: ``dataset_class`` 不是 torchvision 数据集类，或 ``train``、``download`` 不是 ``bool``。
        FileNotFoundError: 找不到数据文件，或文件与记录的 MD5 不符。

    Examples:
        >>> import tempfile
        >>> from torchvision import datasets
        >>> from lessons_src.linear_networks.image_classification_dataset import write_fake_fashion_mnist
        >>> root = tempfile.mkdtemp()
        >>> _ = write_fake_fashion_mnist(root, n_train=8, n_test=4)
        >>> len(open_dataset(datasets.FashionMNIST, root, train=False))
        4
        >>> open_dataset(datasets.CIFAR10, root)
        Traceback (most recent call last):
        ...
        FileNotFoundError: CIFAR10 的数据文件在 ... 中不存在或已损坏...
    """
    check_open_dataset_args(dataset_class, train, download)
    with explain_missing_files(dataset_class, root):
        return dataset_class(root, train=train, transform=transform, download=download)


@contextmanager
def explain_missing_files(dataset_class: type[VisionDataset], root: str | os.PathLike) -> Iterator[None]:
    """把 torchvision 找不到数据文件（或校验失败）时的 ``RuntimeError`` 换成说明文件夹位置的 ``FileNotFoundError``。"""
    try:
        yield
    except RuntimeError as error:
        folder = expected_location(dataset_class, root)
        hint = "有网络时传入 download=True 自动下载，否则把数据文件放到这个文件夹"
        message = f"{dataset_class.__name__} 的数据文件在 {folder} 中不存在或已损坏（torchvision：{error}）；{hint}"
        raise FileNotFoundError(message) from error
# --8<-- [end:open_dataset]


def check_images(images: object, *, single: bool = False) -> None:
    """确认 ``images`` 是浮点图像张量：单个样本 ``(C, H, W)``（``single=True``），或小批量 ``(N, C, H, W)``。"""
    if not isinstance(images, torch.Tensor) or not images.is_floating_point():
        kind = type(images).__name__ if not isinstance(images, torch.Tensor) else f"dtype 为 {images.dtype} 的张量"
        raise TypeError(
            f"图像应为取值在 [0, 1] 的浮点张量，实际得到 {kind}；"
            "请在 transform 中加入 v2.ToImage() 和 v2.ToDtype(torch.float32, scale=True)"
        )
    if images.dim() != (3 if single else 4) or images.shape[-3] == 0:
        what = "每个样本的图像形状应为 (C, H, W)" if single else "每个小批量的图像形状应为 (N, C, H, W)"
        raise ValueError(f"{what}，实际为 {tuple(images.shape)}")


def check_batch_images(images: object, total: torch.Tensor | float) -> None:
    """检查 :func:`channel_mean_std` 读到的一个小批量：``(N, C, H, W)`` 的浮点张量，
    通道数与已经累加的和 ``total``（第一个小批量之前是 ``0.0``）一致。
    """
    check_images(images)
    channels = images.shape[1]  # type: ignore[union-attr]
    if isinstance(total, torch.Tensor) and len(total) != channels:
        raise ValueError(f"各个小批量的通道数不一致：先是 {len(total)}，后来是 {channels}")


def check_image_data(data: object, batch_size: object) -> None:
    """检查 :func:`channel_mean_std` 的输入：``Dataset`` 或 ``DataLoader``；有长度时不为空；
    映射式数据集的第一个样本是 ``(C, H, W)`` 的浮点图像（PIL 图像在拼成小批量时才报错，那条报错说不清原因）；
    ``data`` 是数据集时 ``batch_size`` 是正整数。
    """
    if isinstance(data, Dataset):
        require_positive_int(batch_size, "batch_size")
        sized = data
    elif isinstance(data, DataLoader):
        sized = data.dataset
    else:
        raise TypeError(f"参数 data 应为 Dataset 或 DataLoader，实际得到 {type(data).__name__}")
    if isinstance(sized, IterableDataset) or not hasattr(sized, "__len__"):
        return
    if len(sized) == 0:
        raise ValueError("数据集为空，无法计算均值和标准差")
    if isinstance(data, Dataset):
        sample = data[0]
        check_images(sample[0] if isinstance(sample, (tuple, list)) else sample, single=True)


# --8<-- [start:channel_mean_std]
def channel_mean_std(data: Dataset | DataLoader, *, batch_size: int = 256) -> tuple[torch.Tensor, torch.Tensor]:
    """逐个小批量地计算图像每个通道的均值和（总体）标准差，返回两个形状为 ``(C,)`` 的 ``float64`` 张量。

    样本（或小批量的第一个元素）应为取值在 [0, 1] 的浮点图像，数据集的形状为 ``(C, H, W)``，
    加载器的小批量为 ``(N, C, H, W)``。统计量是对所有图像的所有像素求的：每个通道的像素数为
    :math:`N H W`，标准差除以像素数（``correction=0``）。累加用 ``float64``，避免大量像素求和时丢失精度。

    Args:
        data: 映射式数据集（内部按 ``batch_size`` 包装成 ``DataLoader``），或者 ``DataLoader``。
        batch_size: ``data`` 是数据集时，每次读取的样本数。

    Raises:
        ValueError: 数据集（有长度时）为空，或图像的形状、通道数不对。
        TypeError: 样本不是浮点张量（例如忘了 ``ToImage()``/``ToDtype(..., scale=True)``）。

    Examples:
        >>> from torch.utils.data import TensorDataset
        >>> images = torch.stack([torch.zeros(2, 4, 4), torch.ones(2, 4, 4)])
        >>> mean, std = channel_mean_std(TensorDataset(images, torch.tensor([0, 1])))
        >>> mean.tolist(), std.tolist()
        ([0.5, 0.5], [0.5, 0.5])
    """
    total = total_sq = 0.0  # 读到第一个小批量之后变成形状为 (C,) 的张量
    count = 0
    for batch in as_loader(data, batch_size):
        images = batch[0] if isinstance(batch, (tuple, list)) else batch  # (图像, 标签) 或只有图像
        check_batch_images(images, total)  # (N, C, H, W) 的浮点张量，通道数与前面的小批量相同
        x = images.detach().to(torch.float64)
        total = total + x.sum(dim=(0, 2, 3))
        total_sq = total_sq + (x * x).sum(dim=(0, 2, 3))
        count += x.shape[0] * x.shape[2] * x.shape[3]
    mean = total / count
    variance = (total_sq / count - mean**2).clamp_min(0)  # E[x²] − (E[x])²，舍入误差可能让它略小于 0
    return mean, variance.sqrt()


def as_loader(data: Dataset | DataLoader, batch_size: int) -> DataLoader:
    """``DataLoader`` 原样返回；数据集按 ``batch_size`` 包装成 ``DataLoader``。"""
    check_image_data(data, batch_size)
    return data if isinstance(data, DataLoader) else DataLoader(data, batch_size=batch_size)
# --8<-- [end:channel_mean_std]


def check_write_image_folder_args(images: object, labels: object, class_names: object) -> None:
    """检查 :func:`write_image_folder` 的参数：``(N, 1, H, W)`` 的 ``uint8`` 图像，形状 ``(N,)`` 的标签，
    互不相同的类别文件夹名，标签都是 ``class_names`` 的下标。
    """
    if not isinstance(images, torch.Tensor) or images.dtype != torch.uint8 or images.dim() != 4 or images.shape[1] != 1:
        raise ValueError("参数 images 应为形状 (N, 1, H, W)、dtype 为 uint8 的张量")
    if not isinstance(labels, torch.Tensor) or labels.shape != (len(images),):
        raise ValueError(f"参数 labels 应为形状 ({len(images)},) 的整数张量")
    if isinstance(class_names, str) or len(set(class_names)) != len(class_names) or not class_names:
        raise ValueError("参数 class_names 应为互不相同的文件夹名组成的非空列表")
    if len(labels) and (labels.min() < 0 or labels.max() >= len(class_names)):
        raise ValueError(f"labels 的取值应在 0 到 {len(class_names) - 1} 之间")


# --8<-- [start:write_image_folder]
def write_image_folder(
    root: str | os.PathLike, images: torch.Tensor, labels: torch.Tensor, class_names: Sequence[str]
) -> Path:
    """按 ``ImageFolder`` 的布局把灰度图像写成 PNG：类别 ``k`` 的图像放在 ``root/class_names[k]/`` 下。

    Args:
        root: 数据集的根文件夹（不存在时创建）。
        images: 形状为 ``(N, 1, H, W)``、类型为 ``uint8`` 的张量。
        labels: 形状为 ``(N,)`` 的类别下标，取值在 ``0`` 到 ``len(class_names) - 1`` 之间。
        class_names: 每个类别的文件夹名。

    Examples:
        >>> import tempfile
        >>> images = torch.zeros(3, 1, 4, 4, dtype=torch.uint8)
        >>> root = write_image_folder(tempfile.mkdtemp(), images, torch.tensor([1, 0, 1]), ["cat", "dog"])
        >>> sorted(path.relative_to(root).as_posix() for path in root.rglob("*.png"))
        ['cat/0001.png', 'dog/0000.png', 'dog/0002.png']
    """
    check_write_image_folder_args(images, labels, class_names)
    root = Path(root)
    for name in class_names:
        (root / name).mkdir(parents=True, exist_ok=True)
    for index, (image, label) in enumerate(zip(images, labels.tolist())):
        Image.fromarray(image[0].numpy()).save(root / class_names[label] / f"{index:04d}.png")
    return root
# --8<-- [end:write_image_folder]
