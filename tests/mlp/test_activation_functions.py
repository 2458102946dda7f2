"""lessons_src/mlp/activation_functions.py 的测试；页面见 docs/mlp/activation-functions.md。"""

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from lessons_src.mlp.activation_functions import (
    ACTIVATIONS,
    leaky_relu,
    leaky_relu_grad,
    max_abs_error_vs_autograd,
    max_abs_error_vs_torch,
    plot_activations,
    relu,
    relu_grad,
    sigmoid,
    sigmoid_grad,
    tanh,
    tanh_grad,
)

GRID = torch.linspace(-20, 20, 4001)
EDGES = torch.tensor([-1e4, -88.0, -30.0, -1e-8, 0.0, 1e-8, 30.0, 88.0, 1e4])

finite_floats = st.floats(min_value=-60, max_value=60, allow_nan=False, width=32)


@pytest.mark.parametrize("x", [GRID, EDGES, GRID.double()], ids=["grid", "edges", "float64"])
def test_functions_match_pytorch(x):
    errors = max_abs_error_vs_torch(x)
    assert set(errors) == set(ACTIVATIONS)
    for name, error in errors.items():
        assert error < 1e-6, name


@pytest.mark.parametrize("x", [GRID, EDGES], ids=["grid", "edges"])
def test_derivatives_match_autograd(x):
    for name, error in max_abs_error_vs_autograd(x).items():
        assert error < 1e-6, name


@given(st.lists(finite_floats, min_size=1, max_size=50))
def test_derivatives_match_autograd_on_random_points(values):
    x = torch.tensor(values, dtype=torch.float64)
    for name, error in max_abs_error_vs_autograd(x).items():
        assert error < 1e-9, name


def test_known_values():
    zero = torch.tensor([0.0])
    assert sigmoid(zero).item() == 0.5
    assert sigmoid_grad(zero).item() == 0.25
    assert tanh(zero).item() == 0.0
    assert tanh_grad(zero).item() == 1.0
    assert sigmoid(torch.tensor([1.0])).item() == pytest.approx(1 / (1 + math.exp(-1)))
    assert tanh(torch.tensor([0.5])).item() == pytest.approx(math.tanh(0.5), abs=1e-7)


def test_derivative_maxima():
    assert sigmoid_grad(GRID).max().item() == pytest.approx(0.25)
    assert tanh_grad(GRID).max().item() == pytest.approx(1.0)
    assert sigmoid_grad(GRID).argmax() == tanh_grad(GRID).argmax() == GRID.abs().argmin()


def test_tanh_is_finite_where_the_naive_formula_overflows():
    x = torch.tensor([-100.0, -1000.0])
    naive = (1 - torch.exp(-2 * x)) / (1 + torch.exp(-2 * x))
    assert torch.isnan(naive).all()
    assert torch.equal(tanh(x), torch.tensor([-1.0, -1.0]))


def test_relu_convention_at_zero_matches_pytorch():
    zero = torch.zeros(1, requires_grad=True)
    torch.relu(zero).backward()
    assert relu_grad(torch.zeros(1)).item() == zero.grad.item() == 0.0

    zero = torch.zeros(1, requires_grad=True)
    F.leaky_relu(zero, 0.2).backward()
    assert leaky_relu_grad(torch.zeros(1), 0.2).item() == pytest.approx(zero.grad.item()) == pytest.approx(0.2)


@pytest.mark.parametrize("slope", [0.0, 0.01, 0.2, 0.99, 1])
def test_leaky_relu_slopes(slope):
    slope = min(slope, 0.99)
    x = torch.linspace(-3, 3, 61)
    assert torch.allclose(leaky_relu(x, slope), F.leaky_relu(x, slope))
    assert torch.equal(leaky_relu(x, 0.0), relu(x))


def test_dtype_and_shape_are_preserved():
    x = torch.randn(2, 3, 4, dtype=torch.float64)
    for function, derivative, _ in ACTIVATIONS.values():
        for output in (function(x), derivative(x)):
            assert output.shape == x.shape
            assert output.dtype == torch.float64


def test_plot_has_one_column_per_function_and_chinese_label():
    figure = plot_activations()
    assert len(figure.axes) == 2 * len(ACTIVATIONS)
    titles = [axes.get_title() for axes in figure.axes]
    assert titles[:4] == ["sigmoid(x)", "tanh(x)", "relu(x)", "leaky_relu(x)"]
    assert titles[4:] == ["sigmoid'(x)", "tanh'(x)", "relu'(x)", "leaky_relu'(x)"]
    assert "导数" in figure.get_label()
    line = figure.axes[4].lines[0]
    assert max(line.get_ydata()) == pytest.approx(0.25, abs=1e-3)


# ----- 错误的输入 -----


@pytest.mark.parametrize("function", [sigmoid, tanh, relu, leaky_relu, sigmoid_grad, tanh_grad, relu_grad])
def test_non_tensor_input_is_rejected(function):
    with pytest.raises(TypeError, match="参数 x 应为 torch.Tensor，实际得到 list"):
        function([1.0, 2.0])


@pytest.mark.parametrize("function", [sigmoid, relu, leaky_relu_grad])
def test_integer_tensor_is_rejected(function):
    with pytest.raises(TypeError, match=r"浮点张量.*torch.int64"):
        function(torch.tensor([1, 2]))


@pytest.mark.parametrize(
    ("slope", "error", "message"),
    [
        ("0.1", TypeError, "应为实数.*str"),
        (None, TypeError, "应为实数.*NoneType"),
        (True, TypeError, "应为实数.*bool"),
        (float("nan"), ValueError, "有限实数"),
        (-0.1, ValueError, "不小于 0"),
        (1.0, ValueError, r"\[0, 1\)"),
    ],
)
def test_bad_negative_slope(slope, error, message):
    for function in (leaky_relu, leaky_relu_grad):
        with pytest.raises(error, match=message):
            function(torch.zeros(3), negative_slope=slope)


def test_bad_names_and_ranges():
    with pytest.raises(ValueError, match="未知的激活函数.*'gelu'"):
        max_abs_error_vs_torch(GRID, ["gelu"])
    with pytest.raises(TypeError, match="由名字组成的列表"):
        max_abs_error_vs_autograd(GRID, "relu")
    with pytest.raises(ValueError, match="不能为空"):
        plot_activations([])
    with pytest.raises(ValueError, match="low < high"):
        plot_activations(x_range=(1.0, -1.0))
    with pytest.raises(TypeError, match="二元组"):
        plot_activations(x_range=[-1.0, 1.0])


def test_tanh_is_accurate_relative_to_its_value_near_zero():
    # 2·sigmoid(2x) - 1 在这里会灾难性抵消：tanh(1e-6) 错 7%，tanh(1e-8) 变成 0
    x = torch.tensor([1e-8, 1e-6, -1e-6, 1e-3, 0.5, 5.0, -20.0])
    relative = ((tanh(x) - torch.tanh(x)).abs() / torch.tanh(x).abs()).max().item()
    assert relative < 1e-6
    assert torch.equal(torch.sign(tanh(x)), torch.sign(x))
