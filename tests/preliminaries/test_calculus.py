"""lessons_src/preliminaries/calculus.py 的测试；页面见 docs/preliminaries/calculus.md。"""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lessons_src.preliminaries.calculus import (
    f,
    numerical_derivative,
    numerical_gradient,
    plot_tangent,
)

seeds = st.integers(min_value=0, max_value=2**31 - 1)


def randn(seed, *shape):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def test_f_and_its_derivative():
    assert f(1.0) == -1.0
    assert f(0.0) == 0.0
    for h in (0.1, 0.01, 0.001):
        # 单边差分恰好是 2 + 3h，中心差分对二次函数是精确的
        assert numerical_derivative(f, 1.0, h) == pytest.approx(2 + 3 * h, abs=1e-9)
        assert numerical_derivative(f, 1.0, h, method="central") == pytest.approx(2.0, abs=1e-9)


@given(st.floats(min_value=-3, max_value=3))
def test_central_difference_matches_closed_forms(x):
    assert numerical_derivative(math.sin, x, 1e-5, method="central") == pytest.approx(math.cos(x), abs=1e-9)
    assert numerical_derivative(math.exp, x, 1e-5, method="central") == pytest.approx(math.exp(x), rel=1e-9)
    assert numerical_derivative(f, x, 1e-5) == pytest.approx(6 * x - 4, abs=1e-4)


def test_error_orders():
    """h 缩小 10 倍：单边差分的误差缩小约 10 倍（O(h)），中心差分约 100 倍（O(h²)）。"""
    def error(h, method):
        return abs(numerical_derivative(math.exp, 1.0, h, method=method) - math.e)

    assert error(1e-2, "forward") / error(1e-3, "forward") == pytest.approx(10, rel=0.05)
    assert error(1e-2, "central") / error(1e-3, "central") == pytest.approx(100, rel=0.05)
    assert error(1e-2, "central") == pytest.approx(math.e / 6 * 1e-4, rel=0.01)


@settings(deadline=None, max_examples=30)
@given(seeds, st.integers(min_value=1, max_value=5), st.integers(min_value=1, max_value=5))
def test_gradient_identities(seed, n, m):
    x = randn(seed, n)
    A_wide, A_tall, A_square = randn(seed + 1, m, n), randn(seed + 2, n, m), randn(seed + 3, n, n)
    pairs = [
        (numerical_gradient(lambda v: A_wide @ v, x), A_wide.T),
        (numerical_gradient(lambda v: v @ A_tall, x), A_tall),
        (numerical_gradient(lambda v: v @ A_square @ v, x), (A_square + A_square.T) @ x),
        (numerical_gradient(lambda v: v @ v, x), 2 * x),
    ]
    for numeric, formula in pairs:
        assert numeric.shape == formula.shape
        assert torch.allclose(numeric, formula, atol=1e-6)


@settings(deadline=None, max_examples=30)
@given(seeds, st.integers(min_value=1, max_value=5))
def test_numerical_gradient_matches_autograd(seed, n):
    x = randn(seed, n)

    def function(v):
        return torch.sin(v).sum() * torch.exp(v[0]) + (v**3).sum()

    leaf = x.clone().requires_grad_(True)
    function(leaf).backward()
    assert torch.allclose(numerical_gradient(function, x), leaf.grad, atol=1e-6)


def test_numerical_gradient_uses_float64_and_leaves_x_alone():
    x = torch.tensor([1.0, 2.0])
    gradient = numerical_gradient(lambda v: (v**2).sum(), x)
    assert gradient.dtype == torch.float64
    assert torch.allclose(gradient, torch.tensor([2.0, 4.0], dtype=torch.float64))
    assert torch.equal(x, torch.tensor([1.0, 2.0])) and x.dtype == torch.float32


def test_plot_tangent():
    figure = plot_tangent()
    assert "切线" in figure.get_label()
    curve, tangent, point = figure.axes[0].lines
    xs, ys = tangent.get_xdata(), tangent.get_ydata()
    slope = (ys[-1] - ys[0]) / (xs[-1] - xs[0])
    assert slope == pytest.approx(2.0, abs=1e-6)
    assert ys[0] == pytest.approx(2 * xs[0] - 3, abs=1e-6)  # 切线 y = 2x - 3
    assert point.get_ydata()[0] == pytest.approx(-1.0)
    assert max(curve.get_ydata()) == pytest.approx(f(3.0))


def test_plot_other_function():
    figure = plot_tangent(math.sin, 0.0, x_range=(-1.0, 1.0))
    tangent = figure.axes[0].lines[1]
    assert tangent.get_ydata()[-1] == pytest.approx(1.0, abs=1e-6)  # sin 在 0 处的切线是 y = x


# ----- 错误的输入 -----


def test_bad_numerical_derivative_arguments():
    with pytest.raises(TypeError, match="可调用的函数，实际得到 int"):
        numerical_derivative(3, 1.0, 0.1)
    with pytest.raises(TypeError, match="参数 x 应为实数.*str"):
        numerical_derivative(f, "1", 0.1)
    with pytest.raises(ValueError, match="参数 h 应为正数，实际得到 0.0"):
        numerical_derivative(f, 1.0, 0.0)
    with pytest.raises(ValueError, match="参数 h 应为正数"):
        numerical_derivative(f, 1.0, -0.1)
    with pytest.raises(ValueError, match="'forward' 或 'central'.*'backward'"):
        numerical_derivative(f, 1.0, 0.1, method="backward")


def test_bad_numerical_gradient_arguments():
    with pytest.raises(TypeError, match="可调用的函数"):
        numerical_gradient(None, torch.zeros(2))
    with pytest.raises(TypeError, match="参数 x 应为 torch.Tensor"):
        numerical_gradient(torch.sum, [1.0, 2.0])
    with pytest.raises(TypeError, match="浮点张量"):
        numerical_gradient(torch.sum, torch.tensor([1, 2]))
    with pytest.raises(ValueError, match=r"参数 x 应为 1 维张量，实际形状为 \(2, 2\)"):
        numerical_gradient(torch.sum, torch.zeros(2, 2))
    with pytest.raises(ValueError, match="参数 h 应为正数"):
        numerical_gradient(torch.sum, torch.zeros(2), h=0)
    with pytest.raises(ValueError, match=r"输出应为标量或向量，实际形状为 \(2, 2\)"):
        numerical_gradient(lambda v: torch.outer(v, v), torch.zeros(2, dtype=torch.float64))
    with pytest.raises(TypeError, match=r"参数 function\(x\) 应为 torch.Tensor，实际得到 float"):
        numerical_gradient(lambda v: float(v.sum()), torch.zeros(2))


def test_bad_plot_arguments():
    with pytest.raises(TypeError, match="可调用的函数"):
        plot_tangent("f")
    with pytest.raises(TypeError, match="二元组"):
        plot_tangent(x_range=[0.0, 3.0])
    with pytest.raises(ValueError, match="low < high"):
        plot_tangent(x_range=(3.0, 0.0))
    with pytest.raises(ValueError, match="有限实数"):
        plot_tangent(f, float("nan"))
