"""读写文件：保存模型参数（``state_dict``），再安全地加载到同样结构的新模型中。

对应页面 ``docs/deep-learning-computation/read-write.md``。
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

from lessons_src.checks import require_module, require_path

__all__ = ["load_params", "save_params"]


def check_save_params_args(model: object, path: object) -> None:
    """检查 :func:`save_params` 的参数：``model`` 是 ``nn.Module`` 的实例，``path`` 是文件路径。"""
    require_module(model, "model")
    require_path(path, "path")


def check_load_params_args(model: object, path: object) -> None:
    """检查 :func:`load_params` 的参数：在 :func:`check_save_params_args` 之外，还要求文件已经存在。"""
    check_save_params_args(model, path)
    if not Path(path).is_file():
        raise FileNotFoundError(f"参数文件 {path} 不存在")


# --8<-- [start:save_load_params]
def save_params(model: nn.Module, path: str | os.PathLike) -> Path:
    """把 ``model.state_dict()``（参数和缓冲区）保存到 ``path``，返回该路径。

    Examples:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     save_params(nn.Linear(2, 1), Path(folder) / "linear.params").name
        'linear.params'
    """
    check_save_params_args(model, path)
    torch.save(model.state_dict(), path)
    return Path(path)


def load_params(model: nn.Module, path: str | os.PathLike, *, map_location: str | torch.device = "cpu") -> nn.Module:
    """把 :func:`save_params` 保存的参数加载进结构相同的 ``model``，切换到评估模式后返回它。

    只加载张量（``weights_only=True``），文件里混有任意 Python 对象时拒绝加载。

    Args:
        model: 已经实例化、结构与保存时相同的模型。
        path: 参数文件。
        map_location: 把张量放到哪个设备上。``torch.load`` 不给这个参数时，张量回到保存时所在的设备
            （在 GPU 上保存的文件，到了没有 GPU 的机器上就读不了）；这里默认 ``"cpu"``，在什么设备上保存的文件都能读。

    Raises:
        FileNotFoundError: 文件不存在。
        RuntimeError: 文件中的参数名或形状与 ``model`` 不一致（来自 ``load_state_dict``）。

    Examples:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = save_params(nn.Linear(2, 1), Path(folder) / "linear.params")
        ...     clone = load_params(nn.Linear(2, 1), path)
        >>> clone.training
        False
    """
    check_load_params_args(model, path)
    state_dict = torch.load(path, map_location=map_location, weights_only=True)  # 第一个参数是文件
    model.load_state_dict(state_dict)  # 键或形状不一致时报 RuntimeError
    model.eval()
    return model
# --8<-- [end:save_load_params]
