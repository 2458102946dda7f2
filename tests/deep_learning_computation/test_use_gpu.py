"""lessons_src/deep_learning_computation/use_gpu.py 的测试；页面见 docs/deep-learning-computation/use-gpu.md。

测试与设备无关：在只有 CPU 的机器和有 GPU 的机器上都能运行，期望的结果由 torch.cuda.device_count() 算出。
"""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from lessons_src.deep_learning_computation.model_construction import FixedHiddenMLP
from lessons_src.deep_learning_computation.use_gpu import (
    parameter_devices,
    try_all_gpus,
    try_gpu,
)

COUNT = torch.cuda.device_count()


@given(st.integers(0, 64))
def test_try_gpu_falls_back_to_cpu(i):
    expected = torch.device(f"cuda:{i}") if i < COUNT else torch.device("cpu")
    assert try_gpu(i) == expected


def test_try_gpu_default_and_strict():
    assert try_gpu() == (torch.device("cuda:0") if COUNT else torch.device("cpu"))
    with pytest.raises(RuntimeError, match=rf"找不到 GPU cuda:{COUNT}：这台机器上可用的 GPU 有 {COUNT} 块"):
        try_gpu(COUNT, strict=True)
    if COUNT:
        assert try_gpu(COUNT - 1, strict=True) == torch.device(f"cuda:{COUNT - 1}")


def test_try_gpu_without_gpus(monkeypatch):
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    assert try_gpu(0) == torch.device("cpu")
    assert try_all_gpus() == [torch.device("cpu")]
    with pytest.raises(RuntimeError, match="可用的 GPU 有 0 块"):
        try_gpu(0, strict=True)


def test_try_gpu_with_two_pretend_gpus(monkeypatch):
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert try_gpu(1) == torch.device("cuda:1")
    assert try_gpu(2) == torch.device("cpu")
    assert try_all_gpus() == [torch.device("cuda:0"), torch.device("cuda:1")]


def test_try_all_gpus():
    devices = try_all_gpus()
    assert devices == ([torch.device(f"cuda:{i}") for i in range(COUNT)] or [torch.device("cpu")])


def test_cuda_device_is_a_context_manager_not_a_device():
    assert not isinstance(torch.cuda.device(0), torch.device)
    assert isinstance(torch.device("cuda:0"), torch.device)


def test_tensors_and_models_move_to_the_chosen_device():
    device = try_gpu()
    X = torch.ones(2, 3, device=device)
    net = nn.Sequential(nn.Linear(3, 20), FixedHiddenMLP())
    assert parameter_devices(net) == {torch.device("cpu")}
    assert net.to(device) is net
    assert parameter_devices(net) == {device}
    assert net[1].rand_weight.device == device  # 缓冲区也一起移动
    assert net(X).device == device


def test_parameter_devices_sees_buffers():
    net = nn.BatchNorm1d(3)
    assert parameter_devices(net) == {torch.device("cpu")}
    assert parameter_devices(FixedHiddenMLP()) == {torch.device("cpu")}


# ----- 错误的输入 -----


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        (("0",), {}, TypeError, "参数 i（GPU 编号）应为整数，实际得到 str"),
        ((1.0,), {}, TypeError, "参数 i（GPU 编号）应为整数，实际得到 float"),
        ((True,), {}, TypeError, "参数 i（GPU 编号）应为整数，实际得到 bool"),
        ((-1,), {}, ValueError, "参数 i（GPU 编号）应为不小于 0 的整数，实际得到 -1"),
        ((0,), {"strict": 1}, TypeError, "参数 strict 应为 True 或 False.*int"),
    ],
)
def test_try_gpu_bad_arguments(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        try_gpu(*args, **kwargs)


def test_parameter_devices_bad_arguments():
    with pytest.raises(TypeError, match="参数 model 应为 nn.Module 的实例，实际得到 Tensor"):
        parameter_devices(torch.zeros(2))
    with pytest.raises(ValueError, match="没有任何参数或缓冲区"):
        parameter_devices(nn.ReLU())
