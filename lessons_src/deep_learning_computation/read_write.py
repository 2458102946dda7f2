"""读写文件：保存模型参数（``state_dict``），再安全地加载到同样结构的新模型中。

对应页面 ``docs/deep-learning-computation/read-write.md``。
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

from lessons_src.checks import require_module

__all__ = ["load_params", "save_params"]


# --8<-- [start:save_load_params]
def _require_path(path: object) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"参数 path 应为文件路径（str 或 pathlib.Path），实际得到 {type(path).__name__}")
    return Path(path)


def save_params(model: nn.Module, path: str | os.PathLike) -> Path:
    """把 ``model.state_dict()``（参数和缓冲区）保存到 ``path``，返回该路径。

    Examples:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     save_params(nn.Linear(2, 1), Path(folder) / "linear.params").name
        'linear.params'
    """
    require_module(model, "model")
    path = _require_path(path)
    torch.save(model.state_dict(), path)
    return path


def load_params(model: nn.Module, path: str | os.PathLike, *, map_location: str | torch.device = "cpu") -> nn.Module:
    """把 :func:`save_params` 保存的参数加载进结构相同的 ``model``，切换到评估模式后返回它。

    只加载张量（``weights_only=True``），文件里混有任意 Python 对象时拒绝加载。

    Args:
        model: 已经实例化、结构与保存时相同的模型。
        path: 参数文件。
        map_location: 把张量放到哪个设备上；默认 ``"cpu"``，在 GPU 上保存的文件在没有 GPU 的机器上也能读。

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
    require_module(model, "model")
    path = _require_path(path)
    if not path.is_file():
        raise FileNotFoundError(f"参数文件 {path} 不存在")
    state_dict = torch.load(path, map_location=map_location, weights_only=True)  # 第一个参数是文件
    model.load_state_dict(state_dict)  # 键或形状不一致时报 RuntimeError
    model.eval()
    return model
# --8<-- [end:save_load_params]
