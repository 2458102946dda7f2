"""lessons_src/mlp/gradient_checking.py 的测试；页面见 docs/mlp/gradient-checking.md。"""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.autograd import gradcheck
from torch.autograd.gradcheck import GradcheckError

from lessons_src.mlp.backprop import (
    PARAM_NAMES,
    backward,
    binary_cross_entropy,
    forward,
    init_params,
    make_xor_data,
)
from lessons_src.mlp.gradient_checking import (
    BrokenTwoLayerBCE,
    TwoLayerBCE,
    backward_without_activation_grad,
    central_difference,
    forward_difference,
    gradient_check,
    judge,
    numerical_grads,
    relative_error,
)


def problem(n_h=5, m=30, seed=0, scale=1.0):
    X, Y = make_xor_data(m, seed=seed)
    params = {name: value * scale for name, value in init_params(2, n_h, seed=seed).items()}

    def J(p):
        return binary_cross_entropy(forward(X, p)[0], Y)

    return X, Y, params, J


@given(st.floats(min_value=-3, max_value=3))
def test_differences_approximate_the_derivative(x):
    assert forward_difference(math.sin, x, 1e-6) == pytest.approx(math.cos(x), abs=1e-5)
    assert central_difference(math.sin, x, 1e-5) == pytest.approx(math.cos(x), abs=1e-9)


def test_error_orders_one_and_two():
    errors_one = [abs(forward_difference(math.exp, 0.0, eps) - 1) for eps in (1e-2, 1e-3)]
    errors_two = [abs(central_difference(math.exp, 0.0, eps) - 1) for eps in (1e-2, 1e-3)]
    assert errors_one[0] / errors_one[1] == pytest.approx(10, rel=0.01)    # O(eps)
    assert errors_two[0] / errors_two[1] == pytest.approx(100, rel=0.01)   # O(eps²)
    assert errors_one[1] == pytest.approx(1e-3 / 2, rel=0.01)              # 主项 eps·f''/2
    assert errors_two[1] == pytest.approx(1e-6 / 6, rel=0.01)              # 主项 eps²·f'''/6


@given(
    st.lists(st.floats(-10, 10), min_size=1, max_size=10),
    st.lists(st.floats(-10, 10), min_size=1, max_size=10),
)
def test_relative_error_properties(a, b):
    n = min(len(a), len(b))
    x, y = torch.tensor(a[:n], dtype=torch.float64), torch.tensor(b[:n], dtype=torch.float64)
    error = relative_error(x, y)
    assert 0 <= error <= 1 + 1e-12
    assert error == pytest.approx(relative_error(y, x))
    assert relative_error(x, x) == 0
    if torch.linalg.norm(x) > 0:
        assert relative_error(x, -x) == pytest.approx(1.0)
        assert relative_error(3 * x, 3 * y) == pytest.approx(error)


def test_relative_error_of_zero_vectors_is_zero():
    assert relative_error(torch.zeros(3), torch.zeros(3)) == 0.0


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 1000))
def test_numerical_grads_matches_autograd_and_leaves_params_untouched(seed):
    generator = torch.Generator().manual_seed(seed)
    params = {
        "a": torch.randn(3, 2, generator=generator, dtype=torch.float64),
        "b": torch.randn(4, generator=generator, dtype=torch.float64),
    }
    original = {name: value.clone() for name, value in params.items()}

    def f(p):
        return torch.sin(p["a"]).sum() * torch.exp(p["b"] / 4).sum() + (p["a"] ** 3).sum()

    approx = numerical_grads(f, params, eps=1e-6)
    leaves = {name: value.clone().requires_grad_(True) for name, value in params.items()}
    f(leaves).backward()
    for name, value in params.items():
        assert torch.allclose(approx[name], leaves[name].grad, atol=1e-7)
        assert torch.equal(value, original[name])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_correct_backward_passes(seed):
    X, Y, params, J = problem(seed=seed)
    grads = backward(X, Y, params, forward(X, params)[1])
    assert gradient_check(J, params, grads) < 1e-7


@pytest.mark.parametrize("seed", [0, 1])
def test_broken_backward_is_flagged_and_localized(seed):
    X, Y, params, J = problem(seed=seed)
    cache = forward(X, params)[1]
    broken = backward_without_activation_grad(X, Y, params, cache)
    correct = backward(X, Y, params, cache)
    assert gradient_check(J, params, broken) > 1e-3
    assert torch.equal(broken["W2"], correct["W2"]) and torch.equal(broken["b2"], correct["b2"])
    approx = numerical_grads(J, params)
    assert relative_error(approx["W1"], broken["W1"]) > 1e-3
    assert relative_error(approx["W2"], broken["W2"]) < 1e-7


def test_small_weights_hide_the_bug():
    X, Y, params, J = problem(scale=0.01)
    broken = backward_without_activation_grad(X, Y, params, forward(X, params)[1])
    assert 1e-7 < gradient_check(J, params, broken) < 1e-4


def test_judge_thresholds():
    assert [judge(e) for e in (0.0, 9.9e-8, 1e-7, 9.9e-6, 1e-5, 9.9e-4, 1e-3, 1.0)] == [
        "很好", "很好", "基本可以，逐项看看", "基本可以，逐项看看",
        "可疑，需要检查", "可疑，需要检查", "很可能有错误", "很可能有错误",
    ]


def test_custom_functions_with_gradcheck():
    X, Y, params, _ = problem(n_h=3, m=8)
    weights = [params[name].clone().requires_grad_(True) for name in PARAM_NAMES]
    loss = TwoLayerBCE.apply(X, Y, *weights)
    assert loss.item() == pytest.approx(binary_cross_entropy(forward(X, params)[0], Y).item())
    loss.backward()
    grads = backward(X, Y, params, forward(X, params)[1])
    for name, weight in zip(PARAM_NAMES, weights):
        assert torch.allclose(weight.grad, grads[name])
    weights = [params[name].clone().requires_grad_(True) for name in PARAM_NAMES]
    assert gradcheck(TwoLayerBCE.apply, (X, Y, *weights))
    assert not gradcheck(BrokenTwoLayerBCE.apply, (X, Y, *weights), raise_exception=False)
    with pytest.raises(GradcheckError, match="with respect to input 0"):
        gradcheck(BrokenTwoLayerBCE.apply, (X, Y, *weights))


def test_custom_function_scales_by_upstream_gradient():
    X, Y, params, _ = problem(n_h=3, m=8)
    weights = [params[name].clone().requires_grad_(True) for name in PARAM_NAMES]
    (3.0 * TwoLayerBCE.apply(X, Y, *weights)).backward()
    grads = backward(X, Y, params, forward(X, params)[1])
    assert torch.allclose(weights[0].grad, 3.0 * grads["W1"])


# ----- 错误的输入 -----


def test_gradient_check_requires_float64():
    params = {"w": torch.ones(2)}
    with pytest.raises(ValueError, match=r"float64.*params\['w'\].*torch.float32"):
        gradient_check(lambda p: p["w"].sum(), params, {"w": torch.ones(2)})


def test_gradient_check_bad_arguments():
    w = {"w": torch.ones(2, dtype=torch.float64)}

    def f(p):
        return (p["w"] ** 2).sum()

    with pytest.raises(ValueError, match=r"键应与 params 相同"):
        gradient_check(f, w, {"v": torch.ones(2, dtype=torch.float64)})
    with pytest.raises(ValueError, match="形状应与参数相同"):
        gradient_check(f, w, {"w": torch.ones(3, dtype=torch.float64)})
    with pytest.raises(TypeError, match="非空字典"):
        gradient_check(f, {}, {})
    with pytest.raises(TypeError, match="非空字典"):
        numerical_grads(f, [torch.ones(2)])
    with pytest.raises(TypeError, match="参数 f 应为可调用的函数"):
        numerical_grads("f", w)
    with pytest.raises(ValueError, match=r"参数 eps（步长）应为正数，实际得到 0.0"):
        numerical_grads(f, w, eps=0.0)
    with pytest.raises(TypeError, match="浮点张量"):
        numerical_grads(f, {"w": torch.ones(2, dtype=torch.int64)})


def test_other_bad_arguments():
    with pytest.raises(TypeError, match="参数 f 应为可调用的函数"):
        central_difference(3.0, 1.0, 1e-3)
    with pytest.raises(ValueError, match=r"参数 eps（步长）应为正数，实际得到 -0.001"):
        forward_difference(math.sin, 1.0, -1e-3)
    with pytest.raises(TypeError, match="参数 eps（步长）应为实数"):
        central_difference(math.sin, 1.0, "1e-3")
    with pytest.raises(TypeError, match="参数 x 应为实数"):
        central_difference(math.sin, "1", 1e-3)
    with pytest.raises(ValueError, match="形状应相同"):
        relative_error(torch.zeros(2), torch.zeros(3))
    with pytest.raises(TypeError, match="参数 exact 应为 torch.Tensor"):
        relative_error(torch.zeros(2), [0.0, 0.0])
    with pytest.raises(ValueError, match="不小于 0"):
        judge(-1.0)
