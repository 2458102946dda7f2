"""让训练更快：在自己的机器上测量运行时间，比较几种写法的速度。

对应页面 ``docs/workflow/speed.md``。:func:`measure` 是计时工具，在 GPU 上会先同步再读时钟；
:class:`EncodedDigits` 是一个“读取慢”的数据集，用来比较 ``DataLoader`` 开不开工作进程。
数据集类必须写在可导入的模块里（而不是笔记本里），用 spawn 或 forkserver 方式启动的工作进程才能找到它。
"""

from __future__ import annotations

import math
import numbers
import statistics
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import Dataset

from lessons_src.checks import (
    require_instance,
    require_int,
    require_module,
    require_positive_int,
    require_real,
    require_tensor,
)
from lessons_src.workflow.custom_dataset import check_index

__all__ = ["EncodedDigits", "Timing", "measure", "train_epoch_loss", "train_step"]


def check_timing_samples(samples: object) -> tuple[float, ...]:
    """检查 :class:`Timing` 的 ``samples``：至少一项，每一项都是有限的非负秒数；返回 ``float`` 组成的元组。"""
    samples = tuple(samples)  # type: ignore[arg-type]
    if not samples:
        raise ValueError("Timing 至少需要一次计时结果，samples 不能为空")
    for value in samples:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"samples 中的每一项应为秒数（int 或 float），实际得到 {type(value).__name__}")
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"samples 中的秒数应为有限的非负数，实际得到 {value}")
    return tuple(float(value) for value in samples)


def check_measure_args(
    fn: object, repeat: object, number: object, warmup: object, device: object, clock: object
) -> None:
    """检查 :func:`measure` 的参数：``fn`` 和 ``clock`` 可调用，次数是整数（``repeat``、``number`` 至少 1，
    ``warmup`` 至少 0），``device`` 是 ``None`` 或合法的设备名；指定了 CUDA 设备时，这台机器上要有 GPU。
    """
    if not callable(fn):
        raise TypeError(f"参数 fn 应为不带参数的函数（可调用对象），实际得到 {type(fn).__name__}；"
                        "要计时 f(x)，可以传入 lambda: f(x)")
    if not callable(clock):
        raise TypeError(f"参数 clock 应为返回秒数的函数，实际得到 {type(clock).__name__}")
    require_positive_int(repeat, "repeat")
    require_positive_int(number, "number")
    require_int(warmup, "warmup", minimum=0)
    if device is None:
        return
    require_instance(device, "device", (str, torch.device), label="torch.device、字符串或 None")
    try:
        device = torch.device(device)
    except RuntimeError as error:
        raise ValueError(f"参数 device 不是合法的设备名：{device!r}（例如 'cpu'、'cuda:0'）") from error
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"参数 device 为 {device}，但这台机器上没有可用的 CUDA GPU")


# --8<-- [start:measure]
@dataclass(frozen=True)
class Timing:
    """多次计时的结果：``samples`` 是每次调用所用的秒数。

    报告中位数（median）而不是平均值：偶尔一次被别的程序打断、变得很慢，不会把中位数带偏。

    Examples:
        >>> timing = Timing((0.003, 0.001, 0.002, 0.010))
        >>> timing.median, timing.min
        (0.0025, 0.001)
    """

    samples: tuple[float, ...]

    def __post_init__(self) -> None:
        samples = check_timing_samples(self.samples)  # 非空、有限的非负秒数，转成 float
        object.__setattr__(self, "samples", samples)  # frozen 的数据类只能这样改写字段

    @property
    def median(self) -> float:
        """每次调用耗时的中位数（秒）。"""
        return statistics.median(self.samples)

    @property
    def min(self) -> float:
        """最快一次调用的耗时（秒）。"""
        return min(self.samples)


def _synchronizer(device: torch.device | str | None) -> Callable[[], None]:
    """返回一个“等设备把排队的运算做完”的函数；CPU 上什么也不做。"""
    if device is None:
        return torch.cuda.synchronize if torch.cuda.is_available() else (lambda: None)
    device = torch.device(device)
    if device.type != "cuda":
        return lambda: None
    return lambda: torch.cuda.synchronize(device)


def measure(
    fn: Callable[[], object],
    *,
    repeat: int = 5,
    number: int = 1,
    warmup: int = 1,
    device: torch.device | str | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> Timing:
    """调用 ``fn()`` 计时：先空跑 ``warmup`` 次，再计时 ``repeat`` 轮，每轮连续调用 ``number`` 次。

    每轮的耗时除以 ``number`` 得到“一次调用的秒数”，``repeat`` 轮的结果放在 :class:`Timing` 里。
    CUDA 上的运算是异步的：``fn()`` 返回时 GPU 可能还在计算。所以在 GPU 上，开始计时前和读取
    结束时间前都要调用 ``torch.cuda.synchronize()``，等排队的运算全部完成，否则量到的只是
    “把任务交给 GPU”的时间。``device`` 为 ``None`` 时，只要 CUDA 可用就同步；CPU 上不需要同步。

    Args:
        fn: 不带参数的函数，例如 ``lambda: X @ W``。
        repeat: 计时的轮数（至少 1）。
        number: 每轮连续调用的次数（至少 1）；``fn`` 很快时取大一些，减小时钟精度的影响。
        warmup: 计时前空跑的次数（可以为 0）；第一次调用常常更慢（分配内存、初始化、启动进程）。
        device: ``fn`` 在哪个设备上运算，决定是否需要同步。
        clock: 读取时间（秒）的函数，默认 ``time.perf_counter``；测试时可以换成假时钟。

    Returns:
        包含 ``repeat`` 个结果的 :class:`Timing`。

    Raises:
        TypeError: ``fn`` 或 ``clock`` 不可调用，次数不是整数，``device`` 类型不对。
        ValueError: ``repeat`` 或 ``number`` 小于 1，``warmup`` 小于 0，``device`` 是 CUDA 但 GPU 不可用。

    Examples:
        >>> timing = measure(lambda: sum(range(1000)), repeat=3, number=10)
        >>> len(timing.samples), timing.min <= timing.median
        (3, True)
    """
    check_measure_args(fn, repeat, number, warmup, device, clock)
    synchronize = _synchronizer(device)
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        synchronize()  # 之前排队的运算不算在这一轮里
        start = clock()
        for _ in range(number):
            fn()
        synchronize()  # 等这一轮的运算真正做完，再读时钟
        samples.append((clock() - start) / number)
    return Timing(tuple(samples))
# --8<-- [end:measure]


# --8<-- [start:train_step]
def train_step(
    model: nn.Module,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    X: torch.Tensor,
    y: torch.Tensor,
) -> torch.Tensor:
    """在一个小批量上做一步训练（前向、反向、更新参数），返回这一步的平均损失。

    返回的损失已经 ``detach()``，仍留在设备上：这里不调用 ``.item()``，不与 GPU 同步。

    Examples:
        >>> _ = torch.manual_seed(0)
        >>> net = nn.Linear(4, 3)
        >>> optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
        >>> X, y = torch.randn(8, 4), torch.randint(0, 3, (8,))
        >>> loss = train_step(net, nn.CrossEntropyLoss(), optimizer, X, y)
        >>> loss.shape, loss.requires_grad
        (torch.Size([]), False)
    """
    optimizer.zero_grad()
    loss = loss_fn(model(X), y)
    loss.backward()
    optimizer.step()
    return loss.detach()
# --8<-- [end:train_step]


def check_train_epoch_loss_args(model: object, data_iter: object, optimizer: object, item_every_step: object) -> None:
    """检查 :func:`train_epoch_loss` 的参数：模型是 ``nn.Module``，``data_iter`` 不是空的列表或加载器，
    优化器是 ``torch.optim.Optimizer``，``item_every_step`` 是 ``bool``。
    """
    require_module(model, "model")
    if hasattr(data_iter, "__len__") and len(data_iter) == 0:  # type: ignore[arg-type]
        raise ValueError("data_iter 中没有样本（长度为 0），训练一轮至少要有一个小批量")
    require_instance(optimizer, "optimizer", torch.optim.Optimizer)
    require_instance(item_every_step, "item_every_step", bool, label="True 或 False")


# --8<-- [start:train_epoch_loss]
def train_epoch_loss(
    model: nn.Module,
    data_iter: Iterable[tuple[torch.Tensor, torch.Tensor]],
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    *,
    item_every_step: bool = False,
) -> float:
    """训练一轮，返回训练集上的平均损失。

    ``item_every_step=True`` 时每一步都用 ``loss.item()`` 把损失取回 CPU（在 GPU 上每一步同步一次）；
    默认在设备上累加 ``loss * 样本数``，整轮结束时只调用一次 ``.item()``。两种写法的结果相同。

    Raises:
        TypeError: ``model``、``optimizer`` 或 ``item_every_step`` 的类型不对。
        ValueError: ``data_iter`` 是空的（有长度、长度为 0 的列表或 ``DataLoader``）。

    Examples:
        >>> _ = torch.manual_seed(0)
        >>> net = nn.Linear(4, 3)
        >>> optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
        >>> batches = [(torch.randn(8, 4), torch.randint(0, 3, (8,))) for _ in range(5)]
        >>> loss = train_epoch_loss(net, batches, nn.CrossEntropyLoss(), optimizer)
        >>> isinstance(loss, float) and loss > 0
        True
    """
    check_train_epoch_loss_args(model, data_iter, optimizer, item_every_step)
    device = next(model.parameters()).device
    model.train()
    total = 0.0 if item_every_step else torch.zeros((), device=device)
    count = 0
    for X, y in data_iter:
        X, y = X.to(device), y.to(device)
        loss = train_step(model, loss_fn, optimizer, X, y)
        if item_every_step:
            total += loss.item() * len(y)  # 每一步：等 GPU 算完，再把一个数传回 CPU
        else:
            total += loss * len(y)  # 留在设备上累加，不需要等待
        count += len(y)
    return float(total) / count  # 整轮只同步这一次
# --8<-- [end:train_epoch_loss]


def check_encoded_digits_args(images: object, labels: object, size: object, delay: object) -> None:
    """检查 :class:`EncodedDigits` 的参数：``images`` 是形状 ``(n, 1, h, w)``、取值在 [0, 1] 的浮点张量，
    ``labels`` 是形状 ``(n,)`` 的整数张量，``size`` 是正整数，``delay`` 是非负秒数。
    """
    require_tensor(images, "images", floating=True)
    require_tensor(labels, "labels")
    if images.dim() != 4 or images.shape[1] != 1:
        raise ValueError(f"images 的形状应为 (n, 1, h, w)，实际为 {tuple(images.shape)}")
    if labels.shape != (len(images),) or labels.is_floating_point():
        raise ValueError(
            f"labels 应为形状 ({len(images)},) 的整数张量，"
            f"实际形状为 {tuple(labels.shape)}、dtype 为 {labels.dtype}"
        )
    if len(images) and (images.min() < 0 or images.max() > 1):
        raise ValueError("images 的取值应在 [0, 1] 之间（例如灰度值除以最大值）")
    require_positive_int(size, "size")
    require_real(delay, "delay", minimum=0.0)


# --8<-- [start:encoded_digits]
class EncodedDigits(Dataset):
    """以压缩字节保存的手写数字：每取一个样本都要解压、转换成浮点张量、放大到 ``size × size``。

    这模拟了读取图片文件的数据集：磁盘上存的是压缩过的字节（如 PNG、JPEG），``__getitem__`` 每次
    都要解码。``delay`` 秒的等待（``time.sleep``）模拟从硬盘或网络存储读取文件的时间。
    取出的样本只取决于下标，与在哪个进程里读取无关。

    Args:
        images: 形状为 ``(n, 1, h, w)``、取值在 [0, 1] 的浮点张量，保存时量化为 0–255 的整数。
        labels: 形状为 ``(n,)`` 的整数标签。
        size: 取出的图像放大到的边长。
        delay: 每取一个样本额外等待的秒数（默认 0）。

    Raises:
        TypeError: 参数类型不对。
        ValueError: 形状不符、取值超出 [0, 1]、``size`` 不是正整数或 ``delay`` 为负。

    Examples:
        >>> images = torch.rand(5, 1, 8, 8)
        >>> dataset = EncodedDigits(images, torch.arange(5), size=16)
        >>> len(dataset)
        5
        >>> X, y = dataset[2]
        >>> X.shape, X.dtype, int(y)
        (torch.Size([1, 16, 16]), torch.float32, 2)
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, *, size: int = 32, delay: float = 0.0) -> None:
        check_encoded_digits_args(images, labels, size, delay)
        self.size, self.delay = size, float(delay)
        self.shape = tuple(images.shape[1:])
        pixels = (images * 255).round().to(torch.uint8).numpy()
        self.blobs = [zlib.compress(image.tobytes()) for image in pixels]
        self.labels = labels.clone()

    def __len__(self) -> int:
        return len(self.blobs)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        index = check_index(index, len(self))  # 越界时抛出 IndexError
        if self.delay:
            time.sleep(self.delay)  # 模拟等待硬盘或网络
        raw = np.frombuffer(zlib.decompress(self.blobs[index]), dtype=np.uint8).reshape(self.shape)
        image = torch.from_numpy(raw.astype(np.float32) / 255)
        image = F.interpolate(image.unsqueeze(0), size=(self.size, self.size), mode="bilinear", align_corners=False)
        return image.squeeze(0), self.labels[index]
# --8<-- [end:encoded_digits]
