"""lessons_src/workflow/custom_dataset.py 的测试；页面见 docs/workflow/custom-dataset.md。"""

import pickle

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader
from torchvision.transforms import v2

from lessons_src.linear_networks.image_classification_dataset import load_digits_tensors
from lessons_src.workflow.custom_dataset import (
    CsvImageDataset,
    read_annotations,
    to_uint8_images,
    write_digits_folder,
)


@pytest.fixture
def digits_folder(tmp_path):
    return write_digits_folder(tmp_path, count=12)


def write_csv(path, text):
    path.write_text(text, encoding="utf-8")
    return path


# ----- to_uint8_images -----


def test_to_uint8_images_rounds_and_checks_range():
    values = torch.tensor([0.0, 1 / 255, 0.5, 254.4 / 255, 1.0])
    assert to_uint8_images(values).tolist() == [0, 1, 128, 254, 255]
    with pytest.raises(TypeError, match="浮点张量"):
        to_uint8_images(torch.tensor([0, 255], dtype=torch.uint8))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        to_uint8_images(torch.tensor([0.0, 1.5]))


# ----- write_digits_folder -----


def test_write_digits_folder_writes_png_files_and_csv(tmp_path):
    annotations_file, img_dir = write_digits_folder(tmp_path / "new" / "data", count=7)
    assert annotations_file == tmp_path / "new" / "data" / "annotations.csv"
    lines = annotations_file.read_text(encoding="utf-8").splitlines()
    images, labels = load_digits_tensors()
    assert lines[0] == "file,label"
    assert lines[1:] == [f"digit_{i:04d}.png,{int(labels[i])}" for i in range(7)]
    files = sorted(img_dir.iterdir())
    assert [path.name for path in files] == [f"digit_{i:04d}.png" for i in range(7)]
    for i, path in enumerate(files):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"  # 真的是 PNG 文件
        with Image.open(path) as picture:
            assert picture.mode == "L" and picture.size == (8, 8)
            pixels = np.asarray(picture)
        expected = (images[i, 0] * 255).round().to(torch.uint8).numpy()
        assert np.array_equal(pixels, expected)


def test_write_digits_folder_bad_count(tmp_path):
    with pytest.raises(ValueError, match="正整数"):
        write_digits_folder(tmp_path, count=0)
    with pytest.raises(ValueError, match="1797"):
        write_digits_folder(tmp_path, count=1798)
    with pytest.raises(TypeError, match="正整数"):
        write_digits_folder(tmp_path, count=2.0)


# ----- read_annotations -----


def test_read_annotations_uses_column_names_not_positions(tmp_path):
    path = write_csv(tmp_path / "a.csv", "id,label,extra,file\n7,3,x,a.png\n8, 12 ,y, b.png \n")
    assert read_annotations(path) == [("a.png", 3), ("b.png", 12)]
    assert read_annotations(path, file_column="extra", label_column="id") == [("x", 7), ("y", 8)]


def test_read_annotations_accepts_excel_bom(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("file,label\r\na.png,1\r\n".encode("utf-8-sig"))
    assert read_annotations(path) == [("a.png", 1)]


def test_read_annotations_missing_file(tmp_path):
    missing = tmp_path / "nope.csv"
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        read_annotations(missing)


def test_read_annotations_missing_columns_lists_found_and_expected(tmp_path):
    path = write_csv(tmp_path / "a.csv", "filename,class\na.png,1\n")
    with pytest.raises(
        ValueError,
        match=r"缺少列 \['file', 'label'\].*期望.*'file', 'label'.*实际.*'filename', 'class'",
    ):
        read_annotations(path)
    path = write_csv(tmp_path / "b.csv", "file,labels\na.png,1\n")
    with pytest.raises(ValueError, match=r"缺少列 \['label'\]"):
        read_annotations(path)


@pytest.mark.parametrize("text", ["", "file,label\n", "file,label\r\n\r\n"])
def test_read_annotations_empty(tmp_path, text):
    path = write_csv(tmp_path / "a.csv", text)
    with pytest.raises(ValueError, match="数据集为空"):
        read_annotations(path)


@pytest.mark.parametrize("bad", ["one", "1.0", "-1", "", "３"])
def test_read_annotations_label_not_integer_names_line(tmp_path, bad):
    path = write_csv(tmp_path / "a.csv", f"file,label\na.png,0\nb.png,1\nc.png,{bad}\n")
    with pytest.raises(ValueError, match=f"第 4 行的标签 '{bad}' 不是非负整数"):
        read_annotations(path)


def test_read_annotations_short_row_and_empty_file_name(tmp_path):
    path = write_csv(tmp_path / "a.csv", "file,label\na.png\n")
    with pytest.raises(ValueError, match="第 2 行的标签 '' 不是非负整数"):
        read_annotations(path)
    path = write_csv(tmp_path / "b.csv", "file,label\na.png,0\n ,1\n")
    with pytest.raises(ValueError, match="第 3 行的文件名.*为空"):
        read_annotations(path)


# ----- CsvImageDataset -----


def test_dataset_reads_back_written_images_and_labels(digits_folder):
    annotations_file, img_dir = digits_folder
    dataset = CsvImageDataset(annotations_file, img_dir)
    images, labels = load_digits_tensors()
    assert len(dataset) == 12
    for i in range(12):
        image, label = dataset[i]
        assert image.dtype == torch.uint8 and image.shape == (1, 8, 8)
        assert torch.equal(image, to_uint8_images(images[i]))
        assert isinstance(label, int) and label == int(labels[i])


def test_dataset_label_comes_from_label_column_not_first_column(tmp_path):
    annotations_file, img_dir = write_digits_folder(tmp_path, count=3)
    # 列的顺序调换、标签故意与数字不同：数据集必须按列名读标签
    path = write_csv(tmp_path / "swapped.csv", "label,file\n7,digit_0000.png\n5,digit_0001.png\n2,digit_0002.png\n")
    dataset = CsvImageDataset(path, img_dir)
    assert [dataset[i][1] for i in range(3)] == [7, 5, 2]
    # 种子代码的错误（把文件名当标签）在构造时就被发现
    with pytest.raises(ValueError, match="'digit_0000.png' 不是非负整数"):
        CsvImageDataset(annotations_file, img_dir, label_column="file")


def test_dataset_indexing(digits_folder):
    dataset = CsvImageDataset(*digits_folder)
    assert torch.equal(dataset[-1][0], dataset[11][0])
    assert dataset[np.int64(2)][1] == dataset[2][1]
    assert dataset[torch.tensor(4)][1] == dataset[4][1]
    assert sum(1 for _ in dataset) == 12  # 依靠 IndexError 结束的旧式迭代
    for bad in (12, 100, -13):
        with pytest.raises(IndexError, match="共有 12 个样本"):
            dataset[bad]
    with pytest.raises(TypeError):
        dataset[1.0]


def test_dataset_transforms(digits_folder):
    dataset = CsvImageDataset(
        *digits_folder,
        transform=v2.ToDtype(torch.float32, scale=True),
        target_transform=lambda label: torch.nn.functional.one_hot(torch.tensor(label), 10).float(),
    )
    raw = CsvImageDataset(*digits_folder)
    image, target = dataset[5]
    assert image.dtype == torch.float32 and 0 <= image.min() and image.max() <= 1
    assert torch.allclose(image, raw[5][0].float() / 255)
    assert target.shape == (10,) and target.sum() == 1 and int(target.argmax()) == raw[5][1]


def test_dataset_with_dataloader(digits_folder):
    dataset = CsvImageDataset(*digits_folder, transform=v2.ToDtype(torch.float32, scale=True))
    batches = list(DataLoader(dataset, batch_size=5))
    assert [X.shape for X, _ in batches] == [(5, 1, 8, 8), (5, 1, 8, 8), (2, 1, 8, 8)]
    assert torch.cat([y for _, y in batches]).tolist() == [dataset[i][1] for i in range(12)]


def test_dataset_is_picklable_for_worker_processes(digits_folder):
    dataset = CsvImageDataset(*digits_folder, transform=v2.ToDtype(torch.float32, scale=True))
    clone = pickle.loads(pickle.dumps(dataset))
    assert torch.equal(clone[3][0], dataset[3][0])


def test_dataset_missing_annotations_or_folder(digits_folder, tmp_path):
    annotations_file, img_dir = digits_folder
    with pytest.raises(FileNotFoundError, match="标注文件 .*missing.csv 不存在"):
        CsvImageDataset(tmp_path / "missing.csv", img_dir)
    with pytest.raises(FileNotFoundError, match="图像文件夹 .*photos 不存在"):
        CsvImageDataset(annotations_file, tmp_path / "photos")
    with pytest.raises(FileNotFoundError, match="图像文件夹"):
        CsvImageDataset(annotations_file, annotations_file)  # 是文件，不是文件夹


def test_dataset_missing_image_files_fail_at_construction(digits_folder, tmp_path):
    annotations_file, img_dir = digits_folder
    (img_dir / "digit_0003.png").unlink()
    (img_dir / "digit_0007.png").unlink()
    with pytest.raises(FileNotFoundError, match=r"2 个图像.*\['digit_0003.png', 'digit_0007.png'\]"):
        CsvImageDataset(annotations_file, img_dir)


def test_dataset_bad_csv_content(digits_folder, tmp_path):
    _, img_dir = digits_folder
    with pytest.raises(ValueError, match="数据集为空"):
        CsvImageDataset(write_csv(tmp_path / "a.csv", "file,label\n"), img_dir)
    with pytest.raises(ValueError, match="缺少列"):
        CsvImageDataset(write_csv(tmp_path / "b.csv", "name,y\ndigit_0000.png,0\n"), img_dir)
    dataset = CsvImageDataset(
        write_csv(tmp_path / "c.csv", "name,y\ndigit_0000.png,0\n"), img_dir, file_column="name", label_column="y"
    )
    assert len(dataset) == 1


def test_dataset_bad_transform_and_path_types(digits_folder):
    annotations_file, img_dir = digits_folder
    with pytest.raises(TypeError, match="transform 应为可调用对象"):
        CsvImageDataset(annotations_file, img_dir, transform="ToTensor")
    with pytest.raises(TypeError, match="target_transform 应为可调用对象"):
        CsvImageDataset(annotations_file, img_dir, target_transform=10)
    with pytest.raises(TypeError):
        CsvImageDataset(annotations_file, 3)
