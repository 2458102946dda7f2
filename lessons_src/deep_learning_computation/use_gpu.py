"""GPU：选择计算设备（没有 GPU 时退回 CPU），检查模型参数在哪个设备上。

对应页面 ``docs/deep-learning-computation/use-gpu.md``。本模块的函数在只有 CPU 的机器上同样可用。
"""

from __future__ import annotations

import torch
from torch import nn

from lessons_src.checks import require_instance, require_int, require_module

__all__ = ["parameter_devices", "try_all_gpus", "try_gpu"]


def check_try_gpu_args(i: object, strict: object) -> None:
    """检查 :func:`try_gpu` 的参数：``i`` 是非负整数（GPU 编号），``strict`` 是布尔值；
    ``strict=True`` 时还要求第 ``i`` 块 GPU 存在。
    """
    require_int(i, "i", minimum=0, what="GPU 编号")
    require_instance(strict, "strict", bool, label="True 或 False")
    count = torch.cuda.device_count()
    if strict and i >= count:
        raise RuntimeError(f"找不到 GPU cuda:{i}：这台机器上可用的 GPU 有 {count} 块")


# --8<-- [start:try_gpu]
def try_gpu(i: int = 0, *, strict: bool = False) -> torch.device:
    """如果第 ``i`` 块 GPU 存在，返回 ``cuda:i``；否则返回 CPU。

    注意这个“否则”：在只有一块 GPU 的机器上，``try_gpu(1)`` 不会报错，而是悄悄返回 CPU。
    需要确保用上 GPU 时，传 ``strict=True``，找不到就抛出异常。

    Args:
        i: GPU 编号，从 0 开始。
        strict: 为 ``True`` 时，第 ``i`` 块 GPU 不存在就抛出 ``RuntimeError``，而不是退回 CPU。

    Raises:
        TypeError: ``i`` 不是整数，或 ``strict`` 不是布尔值。
        ValueError: ``i`` 是负数。
        RuntimeError: ``strict=True`` 且第 ``i`` 块 GPU 不存在。

    Examples:
        >>> try_gpu(torch.cuda.device_count())  # 编号超出范围，退回 CPU
        device(type='cpu')
    """
    check_try_gpu_args(i, strict)  # strict=True 时，GPU 不存在就在这里报错
    if i < torch.cuda.device_count():
        return torch.device(f"cuda:{i}")
    return torch.device("cpu")


def try_all_gpus() -> list[torch.device]:
    """返回所有可用的 GPU；一块也没有时返回 ``[cpu]``。

    Examples:
        >>> len(try_all_gpus()) == max(torch.cuda.device_count(), 1)
        True
    """
    devices = [torch.device(f"cuda:{i}") for i in range(torch.cuda.device_count())]
    return devices if devices else [torch.device("cpu")]
# --8<-- [end:try_gpu]


def check_parameter_devices_args(model: object) -> None:
    """检查 :func:`parameter_devices` 的参数：``nn.Module`` 的实例，且至少有一个参数或缓冲区。"""
    require_module(model, "model")
    if next(model.parameters(), None) is None and next(model.buffers(), None) is None:
        raise ValueError("参数 model 没有任何参数或缓冲区，无从判断它在哪个设备上")


# --8<-- [start:parameter_devices]
def parameter_devices(model: nn.Module) -> set[torch.device]:
    """模型的参数和缓冲区所在设备的集合；只有一个元素，说明它们都在同一个设备上。

    Examples:
        >>> parameter_devices(nn.Linear(2, 1))
        {device(type='cpu')}
    """
    check_parameter_devices_args(model)
    return {tensor.device for tensor in [*model.parameters(), *model.buffers()]}
# --8<-- [end:parameter_devices]
