"""lessons_src/preliminaries/autograd.py 的测试；页面见 docs/preliminaries/autograd.md。"""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lessons_src.preliminaries.autograd import f_with_control_flow, gradient

nonzero = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False).filter(lambda v: abs(v) > 1e-6)


def test_gradient_of_two_x_dot_x_is_four_x():
    x = torch.arange(4.0)
    assert torch.equal(gradient(lambda v: 2 * torch.dot(v, v), x), 4 * x)


@settings(deadline=None)
@given(st.lists(st.floats(min_value=-10, max_value=10), min_size=1, max_size=8))
def test_gradient_matches_closed_forms(values):
    x = torch.tensor(values, dtype=torch.float64)
    assert torch.allclose(gradient(lambda v: torch.sin(v).sum(), x), torch.cos(x))
    assert torch.allclose(gradient(lambda v: (v**3).sum(), x), 3 * x**2)


def test_gradient_does_not_touch_its_input_or_accumulate():
    x = torch.ones(3)
    first = gradient(lambda v: (v * v).sum(), x)
    second = gradient(lambda v: (v * v).sum(), x)
    assert torch.equal(first, second)
    assert torch.equal(first, torch.full((3,), 2.0))
    assert not x.requires_grad and x.grad is None

    leaf = torch.ones(3, requires_grad=True)
    gradient(lambda v: v.sum(), leaf)
    assert leaf.grad is None


def test_pytorch_accumulates_gradients_until_zeroed():
    x = torch.arange(4.0, requires_grad=True)
    (2 * torch.dot(x, x)).backward()
    x.sum().backward()
    assert torch.equal(x.grad, 4 * x.detach() + 1)
    x.grad.zero_()
    x.sum().backward()
    assert torch.equal(x.grad, torch.ones(4))


def test_detach_blocks_the_gradient():
    x = torch.arange(4.0, requires_grad=True)
    y = x * x
    u = y.detach()
    (u * x).sum().backward()
    assert torch.equal(x.grad, u)


@settings(deadline=None)
@given(nonzero)
def test_control_flow_gradient_is_f_over_a(value):
    a = torch.tensor(value, dtype=torch.float64, requires_grad=True)
    d = f_with_control_flow(a)
    d.backward()
    ratio = (d / a).item()
    assert a.grad.item() == pytest.approx(ratio, rel=1e-12)
    # 结果是 a 乘上 2 的幂（a 为负时再乘 100），并且范数至少 1000
    k = a.grad.item() if value > 0 else a.grad.item() / 100
    assert k > 0 and k == 2.0 ** round(torch.log2(torch.tensor(k)).item())
    assert abs(d.item()) >= 1000


def test_control_flow_known_values_and_vectors():
    assert f_with_control_flow(torch.tensor(1.0)).item() == 1024.0
    assert f_with_control_flow(torch.tensor(-1.0)).item() == -102400.0
    a = torch.tensor([1.0, -0.5, 0.0], requires_grad=True)
    d = f_with_control_flow(a)
    d.sum().backward()
    k = (d[0] / a[0]).item()
    assert torch.allclose(a.grad, torch.full((3,), k))


# ----- 错误的输入 -----


def test_bad_gradient_arguments():
    with pytest.raises(TypeError, match="可调用的函数，实际得到 str"):
        gradient("sum", torch.ones(2))
    with pytest.raises(TypeError, match="参数 x 应为 torch.Tensor，实际得到 list"):
        gradient(torch.sum, [1.0, 2.0])
    with pytest.raises(TypeError, match="浮点张量.*torch.int64"):
        gradient(torch.sum, torch.tensor([1, 2]))


def test_non_scalar_output_is_rejected():
    # backward() 自己拒绝非标量输出，报错与页面“非标量输出的反向传播”一节展示的相同
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        gradient(lambda v: v * v, torch.ones(3))


def test_output_must_depend_on_x():
    with pytest.raises(RuntimeError, match="does not require grad"):
        gradient(lambda v: torch.tensor(1.0), torch.ones(3))
    with pytest.raises(AttributeError, match="'float' object has no attribute 'backward'"):
        gradient(lambda v: 1.0, torch.ones(3))


def test_bad_control_flow_inputs():
    with pytest.raises(ValueError, match="不能全为 0.*永远不会结束"):
        f_with_control_flow(torch.tensor(0.0))
    with pytest.raises(ValueError, match="不能全为 0"):
        f_with_control_flow(torch.zeros(3))
    with pytest.raises(ValueError, match="inf 或 nan"):
        f_with_control_flow(torch.tensor(float("nan")))
    with pytest.raises(TypeError, match="参数 a 应为 torch.Tensor"):
        f_with_control_flow(1.0)
    with pytest.raises(TypeError, match="浮点张量"):
        f_with_control_flow(torch.tensor(3))
