"""lessons_src/workflow/torchvision_datasets.py 的测试；页面见 docs/workflow/torchvision-datasets.md。"""

import pickle

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, IterableDataset, TensorDataset
from torchvision import datasets, transforms
from torchvision.datasets import CIFAR10
from torchvision.datasets.utils import calculate_md5
from torchvision.transforms import v2

from lessons_src.linear_networks.image_classification_dataset import (
    write_fake_fashion_mnist,
)
from lessons_src.workflow.torchvision_datasets import (
    CIFAR10_LABELS,
    channel_mean_std,
    cifar10_with_checksums,
    expected_location,
    open_dataset,
    write_fake_cifar10,
    write_image_folder,
)

TO_TENSOR = v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True)])


@pytest.fixture
def cifar(tmp_path):
    checksums = write_fake_cifar10(tmp_path, per_batch=4, n_test=6)
    return tmp_path, checksums


# ----- write_fake_cifar10 / cifar10_with_checksums -----


def test_write_fake_cifar10_format(cifar):
    root, checksums = cifar
    folder = root / "cifar-10-batches-py"
    expected = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch", "batches.meta"]
    assert sorted(checksums) == sorted(expected)
    for name, md5 in checksums.items():
        assert calculate_md5(folder / name) == md5
    with open(folder / "data_batch_3", "rb") as f:
        batch = pickle.load(f, encoding="latin1")
    assert batch["data"].dtype == np.uint8 and batch["data"].shape == (4, 3072)
    assert len(batch["labels"]) == 4 and all(0 <= y < 10 for y in batch["labels"])
    pixels = batch["data"].reshape(4, 3, 32, 32)
    assert pixels[:, 1].min() >= 40 and pixels[:, 1].max() < 200  # 绿色通道的范围
    assert pixels[:, 2].min() >= 80 and pixels[:, 2].max() < 160  # 蓝色通道的范围
    with open(folder / "batches.meta", "rb") as f:
        assert pickle.load(f, encoding="latin1")["label_names"] == CIFAR10_LABELS


def test_write_fake_cifar10_is_reproducible(tmp_path):
    a = write_fake_cifar10(tmp_path / "a", per_batch=2, n_test=2, seed=3)
    b = write_fake_cifar10(tmp_path / "b", per_batch=2, n_test=2, seed=3)
    c = write_fake_cifar10(tmp_path / "c", per_batch=2, n_test=2, seed=4)
    assert a == b and a["data_batch_1"] != c["data_batch_1"]


def test_write_fake_cifar10_bad_sizes(tmp_path):
    with pytest.raises(ValueError, match="per_batch"):
        write_fake_cifar10(tmp_path, per_batch=0)
    with pytest.raises(TypeError, match="n_test"):
        write_fake_cifar10(tmp_path, n_test=1.5)


def test_real_cifar10_class_rejects_generated_files(cifar):
    root, _ = cifar
    with pytest.raises(RuntimeError, match="not found or corrupted"):
        CIFAR10(root, train=True)


def test_local_cifar10_reads_with_the_unchanged_torchvision_code(cifar):
    root, checksums = cifar
    LocalCIFAR10 = cifar10_with_checksums(checksums)
    assert issubclass(LocalCIFAR10, CIFAR10)
    assert LocalCIFAR10.__getitem__ is CIFAR10.__getitem__ and LocalCIFAR10.__init__ is CIFAR10.__init__
    assert CIFAR10.train_list[0][1] == "c99cafc152244af753f735de768cd75f"  # 原类的校验和没有被改动
    train = LocalCIFAR10(root, train=True)
    test = LocalCIFAR10(root, train=False, transform=TO_TENSOR)
    assert len(train) == 20 and len(test) == 6
    assert train.classes == CIFAR10_LABELS and train.class_to_idx["truck"] == 9
    with open(root / "cifar-10-batches-py" / "data_batch_2", "rb") as f:
        batch = pickle.load(f, encoding="latin1")
    image, label = train[5]  # 第二个批次的第 2 张
    assert np.array_equal(np.asarray(image), batch["data"][1].reshape(3, 32, 32).transpose(1, 2, 0))
    assert label == batch["labels"][1]
    x, _ = test[0]
    assert x.shape == (3, 32, 32) and x.dtype == torch.float32


def test_local_cifar10_detects_changed_files(cifar):
    root, checksums = cifar
    LocalCIFAR10 = cifar10_with_checksums(checksums)
    path = root / "cifar-10-batches-py" / "data_batch_4"
    data = bytearray(path.read_bytes())
    data[-20] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(RuntimeError, match="corrupted"):
        LocalCIFAR10(root, train=True)
    with pytest.raises(FileNotFoundError, match="不存在或已损坏"):
        open_dataset(LocalCIFAR10, root, train=True)


def test_cifar10_with_checksums_bad_input(cifar):
    _, checksums = cifar
    incomplete = {name: md5 for name, md5 in checksums.items() if name != "batches.meta"}
    with pytest.raises(ValueError, match=r"缺少.*\['batches.meta'\]"):
        cifar10_with_checksums(incomplete)
    with pytest.raises(TypeError, match="字典"):
        cifar10_with_checksums(list(checksums.items()))


# ----- open_dataset -----


def test_open_dataset_fashion_mnist(tmp_path):
    write_fake_fashion_mnist(tmp_path, n_train=8, n_test=4)
    train = open_dataset(datasets.FashionMNIST, tmp_path, train=True, transform=TO_TENSOR)
    test = open_dataset(datasets.FashionMNIST, tmp_path, train=False)
    assert len(train) == 8 and len(test) == 4
    x, y = train[0]
    assert x.shape == (1, 28, 28) and x.dtype == torch.float32 and isinstance(y, int)
    raw = datasets.FashionMNIST(tmp_path, train=True)
    assert torch.allclose(x, transforms.ToTensor()(raw[0][0]), atol=2**-24, rtol=0)


@pytest.mark.parametrize(
    ("dataset_class", "folder"),
    [
        (datasets.FashionMNIST, "FashionMNIST/raw"),
        (datasets.MNIST, "MNIST/raw"),
        (datasets.CIFAR10, "cifar-10-batches-py"),
    ],
)
def test_open_dataset_missing_files_names_folder(tmp_path, dataset_class, folder):
    assert expected_location(dataset_class, tmp_path) == tmp_path / folder
    with pytest.raises(FileNotFoundError, match="download=True") as info:
        open_dataset(dataset_class, tmp_path / "nothing")
    assert str(tmp_path / "nothing" / folder) in str(info.value)
    assert isinstance(info.value.__cause__, RuntimeError)


def test_open_dataset_bad_arguments(tmp_path):
    with pytest.raises(TypeError, match="数据集类"):
        open_dataset("FashionMNIST", tmp_path)
    with pytest.raises(TypeError, match="数据集类"):
        open_dataset(TensorDataset, tmp_path)
    with pytest.raises(TypeError, match="train 应为 True 或 False"):
        open_dataset(datasets.FashionMNIST, tmp_path, train="yes")
    with pytest.raises(TypeError, match="download 应为 True 或 False"):
        open_dataset(datasets.FashionMNIST, tmp_path, download=1)


# ----- channel_mean_std -----


def test_channel_mean_std_matches_std_mean_on_stacked_tensor():
    generator = torch.Generator().manual_seed(0)
    images = torch.rand(37, 3, 5, 7, generator=generator) * torch.tensor([1.0, 0.5, 0.2]).view(1, 3, 1, 1)
    dataset = TensorDataset(images, torch.zeros(37, dtype=torch.int64))
    std_expected, mean_expected = torch.std_mean(images.double(), dim=(0, 2, 3), correction=0)
    for data in (dataset, DataLoader(dataset, batch_size=8), DataLoader(dataset, batch_size=100)):
        mean, std = channel_mean_std(data)
        assert mean.dtype == torch.float64 and mean.shape == (3,)
        assert torch.allclose(mean, mean_expected) and torch.allclose(std, std_expected)
    mean, std = channel_mean_std(dataset, batch_size=5)
    assert torch.allclose(std, std_expected)


def test_channel_mean_std_loader_of_bare_tensors_and_iterable_dataset():
    images = torch.rand(10, 2, 3, 3)

    class Stream(IterableDataset):
        def __iter__(self):
            return iter(images)

    expected = images.double().mean(dim=(0, 2, 3))
    assert torch.allclose(channel_mean_std(DataLoader(images, batch_size=4))[0], expected)
    assert torch.allclose(channel_mean_std(Stream(), batch_size=3)[0], expected)
    with pytest.raises(ValueError, match="数据集为空"):
        channel_mean_std(DataLoader(torch.zeros(0, 2, 3, 3)))


def test_channel_mean_std_normalize_gives_zero_mean_unit_std(cifar):
    root, checksums = cifar
    LocalCIFAR10 = cifar10_with_checksums(checksums)
    mean, std = channel_mean_std(LocalCIFAR10(root, transform=TO_TENSOR), batch_size=7)
    normalize = v2.Compose([TO_TENSOR, v2.Normalize(mean.tolist(), std.tolist())])
    mean_after, std_after = channel_mean_std(LocalCIFAR10(root, transform=normalize))
    assert torch.allclose(mean_after, torch.zeros(3, dtype=torch.float64), atol=1e-6)
    assert torch.allclose(std_after, torch.ones(3, dtype=torch.float64), atol=1e-6)
    assert std[0] > std[1] > std[2]  # 三个通道的取值范围依次变窄


def test_channel_mean_std_constant_image_has_zero_std():
    mean, std = channel_mean_std(TensorDataset(torch.full((4, 1, 3, 3), 0.3)))
    assert torch.allclose(mean, torch.tensor([0.3], dtype=torch.float64))
    assert not torch.isnan(std).any() and std.item() < 1e-7  # 舍入误差不会让方差变成负数而得到 NaN


def test_channel_mean_std_errors(cifar):
    root, checksums = cifar
    with pytest.raises(ValueError, match="数据集为空"):
        channel_mean_std(TensorDataset(torch.zeros(0, 3, 4, 4)))
    with pytest.raises(ValueError, match=r"\(C, H, W\).*\(28, 28\)"):
        channel_mean_std(TensorDataset(torch.zeros(5, 28, 28)))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\).*\(5, 28, 28\)"):
        channel_mean_std(DataLoader(torch.zeros(5, 28, 28), batch_size=5))
    with pytest.raises(TypeError, match="ToDtype"):
        channel_mean_std(cifar10_with_checksums(checksums)(root))  # 样本是 PIL 图像
    with pytest.raises(TypeError, match="uint8"):
        channel_mean_std(TensorDataset(torch.zeros(3, 1, 4, 4, dtype=torch.uint8)))
    with pytest.raises(TypeError, match="Dataset 或 DataLoader"):
        channel_mean_std(torch.zeros(2, 3, 4, 4))
    with pytest.raises(ValueError, match="batch_size"):
        channel_mean_std(TensorDataset(torch.zeros(2, 3, 4, 4)), batch_size=0)

    class Mixed(IterableDataset):
        def __iter__(self):
            yield torch.zeros(2, 3, 4, 4)
            yield torch.zeros(2, 1, 4, 4)

    with pytest.raises(ValueError, match="通道数不一致"):
        channel_mean_std(DataLoader(Mixed(), batch_size=None))


# ----- write_image_folder + ImageFolder -----


def test_write_image_folder_and_image_folder_classes(tmp_path):
    images = torch.arange(6 * 16, dtype=torch.uint8).reshape(6, 1, 4, 4)
    labels = torch.tensor([2, 0, 1, 2, 0, 1])
    root = write_image_folder(tmp_path / "photos", images, labels, ["zero", "one", "two"])
    dataset = datasets.ImageFolder(root, transform=TO_TENSOR)
    assert dataset.classes == ["one", "two", "zero"]  # 按文件夹名排序
    assert dataset.class_to_idx == {"one": 0, "two": 1, "zero": 2}
    assert len(dataset) == 6
    x, target = dataset[0]
    assert x.shape == (3, 4, 4)  # 默认读取函数转成 RGB
    for path, target in dataset.samples:
        index = int(path.rsplit("/", 1)[-1].split(".")[0])
        assert dataset.classes[target] == ["zero", "one", "two"][labels[index]]


def test_write_image_folder_bad_input(tmp_path):
    images = torch.zeros(2, 1, 4, 4, dtype=torch.uint8)
    with pytest.raises(ValueError, match="uint8"):
        write_image_folder(tmp_path, images.float(), torch.tensor([0, 1]), ["a", "b"])
    with pytest.raises(ValueError, match=r"\(N, 1, H, W\)"):
        write_image_folder(tmp_path, torch.zeros(2, 3, 4, 4, dtype=torch.uint8), torch.tensor([0, 1]), ["a", "b"])
    with pytest.raises(ValueError, match=r"形状 \(2,\)"):
        write_image_folder(tmp_path, images, torch.tensor([0]), ["a", "b"])
    with pytest.raises(ValueError, match="0 到 1"):
        write_image_folder(tmp_path, images, torch.tensor([0, 2]), ["a", "b"])
    with pytest.raises(ValueError, match="互不相同"):
        write_image_folder(tmp_path, images, torch.tensor([0, 1]), ["a", "a"])
    with pytest.raises(ValueError, match="互不相同"):
        write_image_folder(tmp_path, images, torch.tensor([0, 1]), "ab")
