"""lessons_src/checks.py 的测试。"""

import math

import pytest
import torch

from lessons_src.checks import require_real, require_tensor


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
