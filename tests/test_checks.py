"""lessons_src/checks.py 的测试。"""

import math
import re

import pytest
import torch
from torch import nn

from lessons_src.checks import (
    require_callable,
    require_choice,
    require_instance,
    require_int,
    require_module,
    require_path,
    require_positive,
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


@pytest.mark.parametrize(
    ("within", "inside", "outside"),
    [
        ("[0, 1)", [0, 0.5, 0.999], [1, -0.001]),
        ("(0, 1)", [0.001, 0.5], [0, 1]),
        ("[0, 1]", [0, 1], [1.0001, -1]),
        ("(0, inf)", [1e-9, 1e9], [0, -1]),
    ],
)
def test_require_real_within_interval(within, inside, outside):
    for value in inside:
        assert require_real(value, "p", within=within) == float(value)
    for value in outside:
        with pytest.raises(ValueError, match=rf"参数 p 应在 {re.escape(within)} 内，实际得到 {float(value)}"):
            require_real(value, "p", within=within)


def test_require_real_interval_spelling_is_checked():
    with pytest.raises(ValueError, match="区间应写成"):
        require_real(0.5, "p", within="0..1")


def test_what_names_the_meaning():
    with pytest.raises(ValueError, match=r"^参数 p（暂退概率）应在 \[0, 1\) 内，实际得到 1.0$"):
        require_real(1, "p", within="[0, 1)", what="暂退概率")
    with pytest.raises(TypeError, match=r"^参数 n（层数）应为正整数，实际得到 float$"):
        require_positive_int(2.0, "n", what="层数")


def test_require_positive():
    assert require_positive(2, "lr") == 2.0
    for value in (0, -1e-3):
        with pytest.raises(ValueError, match="参数 lr 应为正数"):
            require_positive(value, "lr")
    with pytest.raises(TypeError, match="实际得到 bool"):
        require_positive(True, "lr")


def test_require_int_without_minimum():
    assert require_int(-3, "shift") == -3
    with pytest.raises(TypeError, match="参数 shift 应为整数，实际得到 bool"):
        require_int(True, "shift")


def test_require_tensor_ndim():
    assert require_tensor(torch.zeros(2, 3), "X", ndim=2).shape == (2, 3)
    assert require_tensor(torch.zeros(1, 1, 2, 2), "X", ndim=(2, 4)).dim() == 4
    with pytest.raises(ValueError, match=r"参数 X 应为 2 维张量，实际形状为 \(3,\)"):
        require_tensor(torch.zeros(3), "X", ndim=2)
    with pytest.raises(ValueError, match=r"参数 X 应为 2 维或 4 维张量，实际形状为 \(1, 2, 3\)"):
        require_tensor(torch.zeros(1, 2, 3), "X", ndim=(2, 4))


def test_require_instance_callable_choice_path(tmp_path):
    generator = torch.Generator()
    assert require_instance(generator, "generator", torch.Generator) is generator
    with pytest.raises(TypeError, match="参数 optimizer 应为 torch.optim.Optimizer，实际得到 Linear"):
        require_instance(nn.Linear(1, 1), "optimizer", torch.optim.Optimizer)
    with pytest.raises(TypeError, match="参数 g 应为 torch.Generator 或 None，实际得到 int"):
        require_instance(3, "g", (torch.Generator, type(None)), label="torch.Generator 或 None")
    assert require_callable(abs, "function") is abs
    with pytest.raises(TypeError, match="参数 function 应为可调用的函数，实际得到 int"):
        require_callable(1, "function")
    assert require_choice("avg", "mode", ("max", "avg")) == "avg"
    with pytest.raises(ValueError, match="参数 mode 应为 'max' 或 'avg'，实际得到 'sum'"):
        require_choice("sum", "mode", ("max", "avg"))
    assert require_path(tmp_path, "path") == tmp_path
    with pytest.raises(TypeError, match="参数 path 应为文件路径"):
        require_path(None, "path")
