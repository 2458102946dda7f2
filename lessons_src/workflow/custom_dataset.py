"""自定义数据集：从一个图像文件夹和一份 CSV 标注文件读取样本。

对应页面 ``docs/workflow/custom-dataset.md``。:func:`write_digits_folder` 把 scikit-learn 的手写数字
写成真实的 PNG 文件和一份 CSV 标注文件；:class:`CsvImageDataset` 是读取这种布局的 ``Dataset``，
它在构造时检查标注文件和全部图像文件，出错时说清楚哪一行、哪个文件有问题。
"""

from __future__ import annotations

import csv
import operator
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from PIL import Image
from torch.utils.data import Dataset
from torchvision.transforms.v2.functional import pil_to_tensor

from lessons_src.checks import require_positive_int
from lessons_src.linear_networks.image_classification_dataset import load_digits_tensors

__all__ = ["CsvImageDataset", "read_annotations", "to_uint8_images", "write_digits_folder"]


def to_uint8_images(images: torch.Tensor) -> torch.Tensor:
    """把取值在 [0, 1] 的浮点图像换算成 0–255 的 ``uint8``（四舍五入），PNG 文件存的就是这种整数。

    Examples:
        >>> to_uint8_images(torch.tensor([0.0, 0.5, 1.0]))
        tensor([  0, 128, 255], dtype=torch.uint8)
    """
    if not isinstance(images, torch.Tensor) or not images.is_floating_point():
        raise TypeError(f"参数 images 应为浮点张量，实际得到 {type(images).__name__}")
    if images.numel() and (images.min() < 0 or images.max() > 1):
        raise ValueError("参数 images 的取值应在 [0, 1] 之间")
    return (images * 255).round().to(torch.uint8)


def check_write_digits_folder_args(count: object, available: int) -> None:
    """检查 :func:`write_digits_folder` 的 ``count``：正整数，且不超过数据集的样本数 ``available``。"""
    if require_positive_int(count, "count") > available:
        raise ValueError(f"参数 count 不能超过数据集的样本数 {available}，实际得到 {count}")


# --8<-- [start:write_digits_folder]
def write_digits_folder(
    root: str | os.PathLike, count: int = 40, *, annotations_name: str = "annotations.csv"
) -> tuple[Path, Path]:
    """把前 ``count`` 张手写数字写成 ``root/images/`` 下的 PNG 文件，并写出标注文件 ``root/annotations.csv``。

    标注文件的表头是 ``file,label``，之后每行是一张图像的文件名和它的类别下标。

    Returns:
        ``(标注文件路径, 图像文件夹路径)``。

    Examples:
        >>> import tempfile
        >>> annotations_file, img_dir = write_digits_folder(tempfile.mkdtemp(), count=3)
        >>> annotations_file.read_text(encoding="utf-8").splitlines()
        ['file,label', 'digit_0000.png,0', 'digit_0001.png,1', 'digit_0002.png,2']
        >>> sorted(path.name for path in img_dir.iterdir())
        ['digit_0000.png', 'digit_0001.png', 'digit_0002.png']
    """
    root = Path(root)
    images, labels = load_digits_tensors()
    check_write_digits_folder_args(count, available=len(labels))
    img_dir = root / "images"
    img_dir.mkdir(parents=True, exist_ok=True)
    pixels = to_uint8_images(images[:count])  # (count, 1, 8, 8)，0–255 的整数
    annotations_file = root / annotations_name
    with open(annotations_file, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["file", "label"])
        for index in range(count):
            file_name = f"digit_{index:04d}.png"
            Image.fromarray(pixels[index, 0].numpy()).save(img_dir / file_name)  # 8 位灰度 PNG
            writer.writerow([file_name, int(labels[index])])
    return annotations_file, img_dir
# --8<-- [end:write_digits_folder]


def check_annotation_row(path: Path, line: int, row: dict, file_column: str, label_column: str) -> None:
    """检查标注文件第 ``line`` 行：文件名不为空，标签是非负整数（只由 ASCII 数字组成）。"""
    if not (row[file_column] or "").strip():
        raise ValueError(f"标注文件 {path} 第 {line} 行的文件名（列 {file_column!r}）为空")
    text = (row[label_column] or "").strip()
    if not (text.isascii() and text.isdigit()):
        raise ValueError(
            f"标注文件 {path} 第 {line} 行的标签 {text!r} 不是非负整数；"
            f"列 {label_column!r} 应为类别下标 0, 1, 2, …"
        )


def check_annotations_file(annotations_file: str | os.PathLike, file_column: str, label_column: str) -> None:
    """把标注文件检查一遍：文件存在，表头里有 ``file_column`` 和 ``label_column`` 两列，
    至少有一行数据，每一行都通过 :func:`check_annotation_row`。出错时报告文件名和行号。
    """
    path = Path(annotations_file)
    if not path.is_file():
        raise FileNotFoundError(f"标注文件 {path} 不存在")
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        columns = reader.fieldnames or []
        missing = [name for name in (file_column, label_column) if name not in columns]
        if missing and columns:
            raise ValueError(
                f"标注文件 {path} 缺少列 {missing}：期望的列为 {[file_column, label_column]}，"
                f"实际的列为 {columns}"
            )
        rows = 0
        for row in reader:  # reader.line_num 是文件中的行号，表头是第 1 行
            check_annotation_row(path, reader.line_num, row, file_column, label_column)
            rows += 1
    if rows == 0:
        raise ValueError(f"数据集为空：标注文件 {path} 中除表头外没有任何数据行")


# --8<-- [start:read_annotations]
def read_annotations(
    annotations_file: str | os.PathLike, *, file_column: str = "file", label_column: str = "label"
) -> list[tuple[str, int]]:
    """读取 CSV 标注文件，返回 ``[(文件名, 标签), ...]``。

    第一行是表头，按列名（而不是列的位置）取出文件名和标签；标签必须是非负整数（类别下标）。
    读取之前，:func:`check_annotations_file` 先把文件逐行检查一遍，出错时指出是第几行。

    Raises:
        FileNotFoundError: 标注文件不存在。
        ValueError: 缺少需要的列、没有数据行、文件名为空或标签不是非负整数。

    Examples:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "labels.csv"
        >>> _ = path.write_text("label,file\\n3,a.png\\n1,b.png\\n", encoding="utf-8")
        >>> read_annotations(path)
        [('a.png', 3), ('b.png', 1)]
    """
    check_annotations_file(annotations_file, file_column, label_column)
    # utf-8-sig：用 Excel 另存为的 CSV 开头带一个 BOM，不去掉的话第一列的列名会变成 "\ufefffile"
    with open(annotations_file, newline="", encoding="utf-8-sig") as f:
        return [(row[file_column].strip(), int(row[label_column])) for row in csv.DictReader(f)]
# --8<-- [end:read_annotations]


def check_csv_image_dataset_args(
    img_dir: Path, samples: list[tuple[str, int]], transform: object, target_transform: object
) -> None:
    """检查 :class:`CsvImageDataset` 的参数：图像文件夹存在，标注列出的每个图像文件都在，
    两个变换可调用或为 ``None``。
    """
    if not img_dir.is_dir():
        raise FileNotFoundError(f"图像文件夹 {img_dir} 不存在")
    for name, function in (("transform", transform), ("target_transform", target_transform)):
        if function is not None and not callable(function):
            raise TypeError(f"参数 {name} 应为可调用对象或 None，实际得到 {type(function).__name__}")
    missing = [name for name, _ in samples if not (img_dir / name).is_file()]
    if missing:
        raise FileNotFoundError(f"标注文件列出的 {len(missing)} 个图像在 {img_dir} 中不存在，例如 {missing[:3]}")


def check_index(idx: object, length: int) -> int:
    """确认 ``idx`` 是 ``[-length, length)`` 中的整数下标并返回它（接受 int、NumPy 整数等，拒绝 1.0 这样的浮点数）。"""
    index = operator.index(idx)  # type: ignore[arg-type]
    if not -length <= index < length:
        raise IndexError(f"下标 {index} 超出范围：数据集共有 {length} 个样本，下标应在 0 到 {length - 1} 之间")
    return index


# --8<-- [start:CsvImageDataset]
class CsvImageDataset(Dataset):
    """按 CSV 标注文件读取图像文件夹中的图像，每个样本是 ``(图像, 标签)``。

    图像在 ``__getitem__`` 中才从磁盘读取（``uint8``、形状 ``(C, H, W)``），
    所以内存里只保存文件名和标签，数据集再大也放得下。

    Args:
        annotations_file: CSV 标注文件，第一行是表头。
        img_dir: 图像所在的文件夹，CSV 里的文件名相对于它。
        transform: 作用在图像上的变换（可调用对象），``None`` 表示不变换。
        target_transform: 作用在标签上的变换，``None`` 表示不变换。
        file_column: 文件名所在列的列名。
        label_column: 标签所在列的列名。

    Raises:
        FileNotFoundError: 标注文件、图像文件夹或 CSV 列出的某个图像不存在。
        ValueError: 标注文件的内容有问题（见 :func:`read_annotations`）。

    Examples:
        >>> import tempfile
        >>> annotations_file, img_dir = write_digits_folder(tempfile.mkdtemp(), count=5)
        >>> dataset = CsvImageDataset(annotations_file, img_dir)
        >>> image, label = dataset[3]
        >>> len(dataset), image.shape, image.dtype, label
        (5, torch.Size([1, 8, 8]), torch.uint8, 3)
    """

    def __init__(
        self,
        annotations_file: str | os.PathLike,
        img_dir: str | os.PathLike,
        transform: Callable[[torch.Tensor], Any] | None = None,
        target_transform: Callable[[int], Any] | None = None,
        *,
        file_column: str = "file",
        label_column: str = "label",
    ) -> None:
        self.img_dir = Path(img_dir)
        self.samples = read_annotations(annotations_file, file_column=file_column, label_column=label_column)
        # 现在就检查每个文件都在：缺文件的错误在构造时报出来，而不是训练到第 3 轮才在某个小批量里出现
        check_csv_image_dataset_args(self.img_dir, self.samples, transform, target_transform)
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, idx: int) -> tuple[Any, Any]:
        index = check_index(idx, len(self))  # 越界时抛出 IndexError
        file_name, label = self.samples[index]
        with Image.open(self.img_dir / file_name) as picture:
            image = pil_to_tensor(picture)  # uint8，形状 (C, H, W)；灰度图 C = 1，彩色图 C = 3
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label
# --8<-- [end:CsvImageDataset]
