"""lessons_src/mlp/data_augmentation.py 的测试；页面见 docs/mlp/data-augmentation.md。"""

import pytest
import torch
from torch.utils.data import DataLoader
from torchvision.transforms import v2

from lessons_src.mlp.data_augmentation import (
    AugmentedDataset,
    digit_augmentation,
    plot_augmentations,
    train_small_mlp,
)


def _digit():
    image = torch.zeros(1, 16, 16)
    image[0, 3:13, 7:9] = 1.0  # 一道竖线
    return image


def test_digit_augmentation_parameters():
    transform = digit_augmentation(10.0, 0.2, 0.05)
    assert isinstance(transform, v2.RandomAffine)
    assert transform.degrees == [-10.0, 10.0]
    assert transform.translate == (0.2, 0.2)
    assert transform.scale == pytest.approx((0.95, 1.05))
    assert transform.interpolation == v2.InterpolationMode.BILINEAR


def test_augmentation_keeps_shape_dtype_and_changes_content():
    torch.manual_seed(0)
    image = _digit()
    out = digit_augmentation()(image)
    assert out.shape == image.shape and out.dtype == image.dtype
    assert not torch.equal(out, image)
    assert 0 <= out.min() and out.max() <= 1 + 1e-6  # 双线性插值不会越出原来的取值范围


def test_zero_ranges_give_the_identity():
    image = _digit()
    assert torch.allclose(digit_augmentation(0.0, 0.0, 0.0)(image), image, atol=1e-6)


def test_augmented_dataset_transforms_on_the_fly_and_keeps_labels():
    torch.manual_seed(0)
    images = torch.stack([_digit()] * 6)
    labels = torch.arange(6)
    data = AugmentedDataset(images, labels, digit_augmentation())
    assert len(data) == 6
    (X1, y1), (X2, y2) = data[3], data[3]
    assert int(y1) == int(y2) == 3
    assert not torch.equal(X1, X2)
    assert torch.equal(images[3], _digit())  # 原始图像不被修改
    X, y = next(iter(DataLoader(data, batch_size=6)))
    assert X.shape == (6, 1, 16, 16) and torch.equal(y, labels)
    # 逐个样本变换：同一张图在一个批量里得到不同的版本
    assert not torch.equal(X[0], X[1])


def test_identity_transform_returns_the_stored_samples():
    images, labels = torch.rand(3, 1, 8, 8), torch.tensor([1, 2, 3])
    data = AugmentedDataset(images, labels, lambda x: x)
    assert torch.equal(data[1][0], images[1]) and int(data[1][1]) == 2


def test_batch_call_shares_one_set_of_random_parameters():
    torch.manual_seed(0)
    out = digit_augmentation()(torch.stack([_digit(), _digit()]))
    assert torch.equal(out[0], out[1])


def test_plot_has_original_and_augmented_panels():
    figure = plot_augmentations(_digit(), digit_augmentation(), num=4, seed=1)
    assert [axes.get_title() for axes in figure.axes] == ["original"] + [f"augmented {i}" for i in range(1, 5)]
    assert "随机变换" in figure.get_label()
    assert torch.equal(torch.tensor(figure.axes[0].images[0].get_array()), _digit()[0])
    again = plot_augmentations(_digit(), digit_augmentation(), num=4, seed=1)
    assert (figure.axes[2].images[0].get_array() == again.axes[2].images[0].get_array()).all()
    assert plot_augmentations(_digit(), v2.RandomHorizontalFlip(1.0), num=1, label="翻转").get_label() == "翻转"


# ----- 错误的输入 -----


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"degrees": -1}, ValueError, r"参数 degrees（最大旋转角度）应在 \[0, 180\] 内，实际得到 -1.0"),
        ({"degrees": 200}, ValueError, r"degrees（最大旋转角度）应在 \[0, 180\] 内"),
        ({"translate": 1.5}, ValueError, r"translate（最大平移比例）应在 \[0, 1\] 内"),
        ({"translate": -0.1}, ValueError, r"translate（最大平移比例）应在 \[0, 1\] 内"),
        ({"scale": 1.0}, ValueError, r"scale（缩放幅度，缩放倍数 1 - scale 须为正）应在 \[0, 1\) 内"),
        ({"scale": "0.1"}, TypeError, "scale（.*）应为实数"),
        ({"interpolation": "nearest"}, TypeError, "interpolation 应为 v2.InterpolationMode"),
    ],
)
def test_bad_augmentation_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        digit_augmentation(**kwargs)


def test_bad_dataset_and_plot_arguments():
    images, labels = torch.rand(3, 1, 8, 8), torch.arange(3)
    with pytest.raises(TypeError, match="参数 images 应为浮点张量"):
        AugmentedDataset(images.long(), labels, digit_augmentation())
    with pytest.raises(ValueError, match=r"\(n, C, H, W\)"):
        AugmentedDataset(images[:, 0], labels, digit_augmentation())
    with pytest.raises(ValueError, match=r"\(n, C, H, W\)"):
        AugmentedDataset(images, labels[:2], digit_augmentation())
    with pytest.raises(TypeError, match="transform 应可调用"):
        AugmentedDataset(images, labels, "rotate")
    with pytest.raises(ValueError, match=r"\(1, H, W\)"):
        plot_augmentations(torch.rand(3, 8, 8), digit_augmentation())
    with pytest.raises(ValueError, match="num 应为正整数"):
        plot_augmentations(_digit(), digit_augmentation(), num=0)
    with pytest.raises(TypeError, match="num 应为正整数，实际得到 float"):
        plot_augmentations(_digit(), digit_augmentation(), num=2.0)
    with pytest.raises(TypeError, match="transform 应可调用"):
        plot_augmentations(_digit(), None)
    with pytest.raises(TypeError, match="label 应为字符串"):
        plot_augmentations(_digit(), digit_augmentation(), label=3)


def test_nearest_interpolation_keeps_pixel_values():
    torch.manual_seed(0)
    image = torch.randint(0, 17, (1, 8, 8)).float() / 16
    nearest = digit_augmentation(10, 0, 0, interpolation=v2.InterpolationMode.NEAREST)
    assert nearest.interpolation == v2.InterpolationMode.NEAREST
    values = set((image * 16).round().flatten().tolist())
    for _ in range(5):
        out = nearest(image)
        assert set((out * 16).flatten().tolist()) <= values | {0.0}  # 只挪位置，出画的地方补 0


def test_train_small_mlp_is_reproducible_and_fits_the_training_set():
    torch.manual_seed(1)
    images = torch.rand(30, 1, 8, 8)
    labels = torch.arange(30) % 10
    a = train_small_mlp(images, labels, None, num_epochs=30, seed=3)
    b = train_small_mlp(images, labels, None, num_epochs=30, seed=3)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    with torch.no_grad():
        assert (a(images).argmax(dim=1) == labels).float().mean() > 0.9
    augmented = train_small_mlp(images, labels, digit_augmentation(), num_epochs=2, seed=3)
    assert not all(torch.equal(p, q) for p, q in zip(a.parameters(), augmented.parameters()))


def test_bad_train_small_mlp_arguments():
    images, labels = torch.rand(4, 1, 8, 8), torch.arange(4)
    with pytest.raises(ValueError, match=r"\(n, 1, 8, 8\)"):
        train_small_mlp(torch.rand(4, 1, 16, 16), labels, None)
    with pytest.raises(TypeError, match="参数 images 应为浮点张量"):
        train_small_mlp(images.long(), labels, None)
    with pytest.raises(ValueError, match="labels 的形状应为"):
        train_small_mlp(images, labels[:3], None)
    with pytest.raises(TypeError, match="transform 应可调用"):
        train_small_mlp(images, labels, "rotate")
    with pytest.raises(ValueError, match="num_epochs 应为正整数"):
        train_small_mlp(images, labels, None, num_epochs=0)
