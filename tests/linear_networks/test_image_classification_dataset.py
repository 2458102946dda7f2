"""lessons_src/linear_networks/image_classification_dataset.py 的测试；
页面见 docs/linear-networks/image-classification-dataset.md。
"""

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torchvision.datasets.mnist import read_sn3_pascalvincent_tensor

from lessons_src.linear_networks.image_classification_dataset import (
    DIGITS_LABELS,
    FASHION_MNIST_LABELS,
    digits_loaders,
    fashion_mnist_loaders,
    load_digits_tensors,
    show_images,
    write_fake_fashion_mnist,
    write_idx,
)


def test_label_names():
    assert DIGITS_LABELS == [str(digit) for digit in range(10)]
    assert len(FASHION_MNIST_LABELS) == len(set(FASHION_MNIST_LABELS)) == 10
    assert FASHION_MNIST_LABELS[0] == "T恤" and FASHION_MNIST_LABELS[9] == "短靴"


# ----- digits -----


def test_load_digits_tensors_matches_scikit_learn():
    images, labels = load_digits_tensors()
    digits = load_digits()
    assert images.shape == (1797, 1, 8, 8) and images.dtype == torch.float32
    assert labels.shape == (1797,) and labels.dtype == torch.int64
    assert torch.allclose(images[:, 0], torch.tensor(digits.images, dtype=torch.float32) / 16)
    assert torch.equal(labels, torch.tensor(digits.target))
    assert images.min() == 0 and images.max() == 1


def test_digits_loaders_split_is_stratified_and_disjoint():
    train_iter, test_iter = digits_loaders(batch_size=64)
    X_train, y_train = train_iter.dataset.tensors
    X_test, y_test = test_iter.dataset.tensors
    assert len(y_train) == 1347 and len(y_test) == 450
    _, labels = load_digits_tensors()
    expected = torch.bincount(labels).double() * 0.25
    assert (torch.bincount(y_test, minlength=10).double() - expected).abs().max() <= 1
    # 训练集与测试集合起来恰好是整个数据集（按图像内容比较，没有重复也没有遗漏）
    images, _ = load_digits_tensors()
    together = torch.cat([X_train, X_test]).reshape(1797, -1)
    assert torch.equal(together.sum(dim=0), images.reshape(1797, -1).sum(dim=0))
    assert torch.equal(torch.bincount(torch.cat([y_train, y_test])), torch.bincount(labels))


def test_digits_loaders_batches_and_shuffling():
    train_iter, test_iter = digits_loaders(batch_size=100)
    sizes = [len(y) for _, y in train_iter]
    assert sizes == [100] * 13 + [47]
    X, y = next(iter(train_iter))
    assert X.shape == (100, 1, 8, 8) and X.dtype == torch.float32 and y.dtype == torch.int64
    first = torch.cat([y for _, y in train_iter])
    second = torch.cat([y for _, y in train_iter])
    assert not torch.equal(first, second)  # 训练集每轮重新打乱
    assert torch.equal(torch.cat([y for _, y in test_iter]), test_iter.dataset.tensors[1])  # 测试集不打乱


def test_digits_loaders_seed_controls_split_and_order():
    def first_epoch(seed):
        train_iter, _ = digits_loaders(batch_size=32, seed=seed)
        return torch.cat([y for _, y in train_iter])

    torch.manual_seed(0)
    a = first_epoch(0)
    torch.manual_seed(123)  # 全局随机数状态不影响结果
    b = first_epoch(0)
    assert torch.equal(a, b)
    assert not torch.equal(a, first_epoch(1))


def test_digits_loaders_test_fraction_and_resize():
    train_iter, test_iter = digits_loaders(test_fraction=0.5)
    assert len(test_iter.dataset) == 899 and len(train_iter.dataset) == 898
    train_iter, _ = digits_loaders(batch_size=4, resize=28)
    X, _ = next(iter(train_iter))
    assert X.shape == (4, 1, 28, 28)
    # 与先按同样的种子分层划分、再对训练集图像做双线性插值的结果一致
    images, labels = load_digits_tensors()
    train_idx, _ = train_test_split(np.arange(1797), test_size=0.25, random_state=0, stratify=labels.numpy())
    reference = torch.nn.functional.interpolate(images[train_idx], size=(28, 28), mode="bilinear")
    assert torch.allclose(train_iter.dataset.tensors[0], reference)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"batch_size": 0}, ValueError, "batch_size 应为正整数"),
        ({"batch_size": 2.0}, TypeError, "batch_size 应为正整数"),
        ({"test_fraction": 1.0}, ValueError, r"test_fraction 应在 \(0, 1\) 内，实际得到 1.0"),
        ({"test_fraction": "0.2"}, TypeError, "test_fraction 应为实数"),
        ({"resize": 0}, ValueError, "resize 应为正整数"),
        ({"resize": 28.0}, TypeError, "resize 应为正整数"),
    ],
)
def test_digits_loaders_bad_input(kwargs, error, message):
    with pytest.raises(error, match=message):
        digits_loaders(**kwargs)


# ----- IDX 文件与 Fashion-MNIST -----


def test_write_idx_round_trip_with_torchvision_reader(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    labels = np.array([3, 1, 4], dtype=np.uint8)
    image_path = write_idx(tmp_path / "sub" / "images-idx3-ubyte", images)
    label_path = write_idx(tmp_path / "labels-idx1-ubyte", labels)
    assert image_path.stat().st_size == 4 + 3 * 4 + images.size
    assert torch.equal(read_sn3_pascalvincent_tensor(str(image_path)), torch.from_numpy(images))
    assert torch.equal(read_sn3_pascalvincent_tensor(str(label_path)), torch.from_numpy(labels))


@pytest.mark.parametrize(
    ("array", "error", "message"),
    [
        ([1, 2, 3], TypeError, "uint8 的 numpy 数组.*list"),
        (np.zeros(3, dtype=np.int64), TypeError, "uint8 的 numpy 数组"),
        (np.zeros((2, 2), dtype=np.uint8), ValueError, "实际维数为 2"),
        (np.zeros((1, 1, 2, 2), dtype=np.uint8), ValueError, "实际维数为 4"),
    ],
)
def test_write_idx_bad_input(tmp_path, array, error, message):
    with pytest.raises(error, match=message):
        write_idx(tmp_path / "file", array)
    assert not (tmp_path / "file").exists()


def test_write_fake_fashion_mnist_files(tmp_path):
    raw = write_fake_fashion_mnist(tmp_path, n_train=5, n_test=3)
    assert raw == tmp_path / "FashionMNIST" / "raw"
    names = sorted(path.name for path in raw.iterdir())
    assert names == [
        "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", "train-images-idx3-ubyte", "train-labels-idx1-ubyte"
    ]
    assert read_sn3_pascalvincent_tensor(str(raw / "train-images-idx3-ubyte")).shape == (5, 28, 28)
    assert read_sn3_pascalvincent_tensor(str(raw / "t10k-labels-idx1-ubyte")).max() < 10


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"n_train": 0}, ValueError, "n_train 应为正整数"),
        ({"n_test": 1.5}, TypeError, "n_test 应为正整数"),
    ],
)
def test_write_fake_fashion_mnist_bad_input(tmp_path, kwargs, error, message):
    with pytest.raises(error, match=message):
        write_fake_fashion_mnist(tmp_path, **kwargs)


def test_fashion_mnist_loaders_read_the_idx_files(tmp_path):
    raw = write_fake_fashion_mnist(tmp_path, n_train=20, n_test=10)
    train_iter, test_iter = fashion_mnist_loaders(tmp_path, batch_size=4)
    assert len(train_iter.dataset) == 20 and len(test_iter.dataset) == 10
    assert [len(y) for _, y in test_iter] == [4, 4, 2]
    X, y = next(iter(test_iter))  # 测试集不打乱，应与文件内容逐字节对应
    assert X.shape == (4, 1, 28, 28) and X.dtype == torch.float32 and y.dtype == torch.int64
    pixels = read_sn3_pascalvincent_tensor(str(raw / "t10k-images-idx3-ubyte"))
    labels = read_sn3_pascalvincent_tensor(str(raw / "t10k-labels-idx1-ubyte"))
    assert torch.allclose(X[:, 0], pixels[:4].float() / 255)
    assert torch.equal(y, labels[:4].long())


def test_fashion_mnist_loaders_resize_and_workers(tmp_path):
    write_fake_fashion_mnist(tmp_path, n_train=8, n_test=4)
    train_iter, _ = fashion_mnist_loaders(str(tmp_path), batch_size=8, resize=32)
    X, _ = next(iter(train_iter))
    assert X.shape == (8, 1, 32, 32)
    assert 0 <= X.min() and X.max() <= 1
    train_iter, _ = fashion_mnist_loaders(tmp_path, batch_size=8, num_workers=1)
    assert train_iter.num_workers == 1
    assert sum(len(y) for _, y in train_iter) == 8


def test_fashion_mnist_loaders_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="找不到 Fashion-MNIST 的数据文件.*download=True"):
        fashion_mnist_loaders(tmp_path)
    raw = write_fake_fashion_mnist(tmp_path, n_train=2, n_test=2)
    (raw / "t10k-labels-idx1-ubyte").unlink()  # 只缺一个文件也要报错
    with pytest.raises(FileNotFoundError, match="找不到 Fashion-MNIST 的数据文件"):
        fashion_mnist_loaders(tmp_path)
    with pytest.raises(TypeError, match="参数 root 应为文件路径"):
        fashion_mnist_loaders(None)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"batch_size": 0}, ValueError, "batch_size 应为正整数"),
        ({"batch_size": "8"}, TypeError, "batch_size 应为正整数"),
        ({"num_workers": -1}, ValueError, "num_workers 应为不小于 0 的整数"),
        ({"num_workers": 1.5}, TypeError, "num_workers 应为整数"),
        ({"num_workers": True}, TypeError, "num_workers 应为整数"),
        ({"resize": -3}, ValueError, "resize 应为正整数"),
        ({"download": "no"}, TypeError, "download 应为 bool"),
    ],
)
def test_fashion_mnist_loaders_bad_input(tmp_path, kwargs, error, message):
    write_fake_fashion_mnist(tmp_path, n_train=2, n_test=2)
    with pytest.raises(error, match=message):
        fashion_mnist_loaders(tmp_path, **kwargs)


# ----- show_images -----


def test_show_images_grid_titles_and_label():
    images = torch.rand(10, 1, 8, 8)
    figure = show_images(images, [str(i) for i in range(10)], num_cols=4, label="十张随机图像")
    assert figure.get_label() == "十张随机图像"
    assert len(figure.axes) == 12  # 3 行 × 4 列，多出的两格留空
    assert [axes.get_title() for axes in figure.axes[:10]] == [str(i) for i in range(10)]
    assert all(len(axes.images) == 0 for axes in figure.axes[10:])
    assert np.allclose(figure.axes[3].images[0].get_array(), images[3, 0].numpy())


def test_show_images_accepts_three_dimensional_input_and_no_titles():
    figure = show_images(torch.rand(3, 5, 5))
    assert len(figure.axes) == 3 and all(axes.get_title() == "" for axes in figure.axes)
    assert "图像" in figure.get_label()


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        (([[0.0]],), {}, TypeError, "参数 images 应为 torch.Tensor"),
        ((torch.zeros(2, 8, 8, dtype=torch.uint8),), {}, TypeError, "浮点张量"),
        ((torch.zeros(2, 3, 8, 8),), {}, ValueError, r"实际为 \(2, 3, 8, 8\)"),
        ((torch.zeros(0, 8, 8),), {}, ValueError, "n ≥ 1"),
        ((torch.zeros(2, 8, 8), "ab"), {}, TypeError, "titles 应为字符串列表"),
        ((torch.zeros(2, 8, 8), ["a"]), {}, ValueError, "titles 的长度应与图像数相同"),
        ((torch.zeros(2, 8, 8),), {"num_cols": 0}, ValueError, "num_cols 应为正整数"),
        ((torch.zeros(2, 8, 8),), {"label": ""}, TypeError, "label 应为非空字符串"),
    ],
)
def test_show_images_bad_input(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        show_images(*args, **kwargs)
