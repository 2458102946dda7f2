"""lessons_src/checks.py 的测试。"""

import math

import pytest
import torch
from torch import nn

from lessons_src.checks import (
    require_int,
    require_module,
    require_positive_int,
    require_range,
    require_real,
    require_tensor,
)


def test_require_tensor_returns_the_tensor():
    x = torch.ones(3)
    assert require_tensor(x, "x") is x
    assert require_tensor(x, "x", floating=True) is x
    assert require_tensor(torch.tensor([1, 2]), "x") is not None


@pytest.mark.parametrize("value", [[1.0], 1.0, None, "tensor"])
def test_require_tensor_rejects_non_tensors(value):
    with pytest.raises(TypeError, match=f"参数 weights 应为 torch.Tensor，实际得到 {type(value).__name__}"):
        require_tensor(value, "weights")


def test_require_tensor_floating():
    with pytest.raises(TypeError, match="参数 x 应为浮点张量.*torch.int64.*x.float"):
        require_tensor(torch.tensor([1, 2]), "x", floating=True)


def test_require_real():
    assert require_real(3, "n") == 3.0
    assert isinstance(require_real(3, "n"), float)
    assert require_real(0.0, "p", minimum=0.0) == 0.0
    with pytest.raises(TypeError, match="实际得到 bool"):
        require_real(False, "p")
    with pytest.raises(TypeError, match="实际得到 Tensor"):
        require_real(torch.tensor(1.0), "p")
    with pytest.raises(ValueError, match="有限实数"):
        require_real(math.inf, "p")
    with pytest.raises(ValueError, match="应不小于 0.5"):
        require_real(0.1, "p", minimum=0.5)


def test_require_positive_int():
    assert require_positive_int(3, "n") == 3
    with pytest.raises(TypeError, match="参数 n 应为正整数，实际得到 float"):
        require_positive_int(3.0, "n")
    with pytest.raises(TypeError, match="实际得到 bool"):
        require_positive_int(True, "n")
    with pytest.raises(TypeError, match="实际得到 str"):
        require_positive_int("3", "n")
    with pytest.raises(ValueError, match="参数 n 应为正整数，实际得到 -1"):
        require_positive_int(-1, "n")
    with pytest.raises(ValueError, match="实际得到 0"):
        require_positive_int(0, "n")


def test_require_module():
    layer = nn.ReLU()
    assert require_module(layer, "module") is layer
    with pytest.raises(TypeError, match=r"实际得到类 Linear 本身；请先实例化，例如写 Linear\(\)"):
        require_module(nn.Linear, "net")
    with pytest.raises(TypeError, match="参数 net 应为 nn.Module 的实例，实际得到 str"):
        require_module("net", "net")


def test_require_int():
    assert require_int(0, "degree", minimum=0) == 0
    with pytest.raises(ValueError, match="参数 k 应为不小于 2 的整数，实际得到 1"):
        require_int(1, "k", minimum=2)
    with pytest.raises(TypeError, match="参数 k 应为整数，实际得到 float"):
        require_int(2.0, "k", minimum=2)
    with pytest.raises(TypeError, match="实际得到 bool"):
        require_int(True, "k", minimum=0)


def test_require_range():
    assert require_range((0, 1.5), "x_range") == (0.0, 1.5)
    with pytest.raises(TypeError, match=r"x_range 应为 \(low, high\) 二元组"):
        require_range([0, 1], "x_range")
    with pytest.raises(TypeError, match=r"x_range\[1\] 应为实数"):
        require_range((0, "1"), "x_range")
    with pytest.raises(ValueError, match="应满足 low < high"):
        require_range((1, 1), "x_range")
