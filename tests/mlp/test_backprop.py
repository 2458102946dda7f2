"""lessons_src/mlp/backprop.py 的测试；页面见 docs/mlp/backprop.md。"""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from lessons_src.mlp.backprop import (
    PARAM_NAMES,
    backward,
    backward_regularized,
    binary_cross_entropy,
    check_columns,
    check_params,
    forward,
    init_params,
    make_xor_data,
    regularization_term,
    saved_tensor_bytes,
    to_sequential,
)


def autograd_grads(X, Y, params):
    leaves = {name: value.clone().requires_grad_(True) for name, value in params.items()}
    binary_cross_entropy(forward(X, leaves)[0], Y).backward()
    return {name: leaf.grad for name, leaf in leaves.items()}


def random_problem(n_x, n_h, n_y, m, seed):
    generator = torch.Generator().manual_seed(seed)
    X = torch.randn(n_x, m, generator=generator, dtype=torch.float64)
    Y = (torch.rand(n_y, m, generator=generator, dtype=torch.float64) > 0.5).double()
    return X, Y, init_params(n_x, n_h, n_y, seed=seed)


def test_init_params_shapes_dtype_and_reproducibility():
    params = init_params(5, 7, 3, seed=1)
    assert list(params) == list(PARAM_NAMES)
    assert [tuple(params[name].shape) for name in PARAM_NAMES] == [(7, 5), (7, 1), (3, 7), (3, 1)]
    assert all(value.dtype == torch.float64 for value in params.values())
    assert torch.equal(params["b1"], torch.zeros(7, 1, dtype=torch.float64))
    again = init_params(5, 7, 3, seed=1)
    assert all(torch.equal(params[name], again[name]) for name in PARAM_NAMES)
    assert not torch.equal(params["W1"], init_params(5, 7, 3, seed=2)["W1"])
    assert init_params(2, 3, dtype=torch.float32)["W1"].dtype == torch.float32


def test_init_params_variance_is_one_over_fan_in():
    params = init_params(400, 500, 300)
    assert params["W1"].var().item() == pytest.approx(1 / 400, rel=0.03)
    assert params["W2"].var().item() == pytest.approx(1 / 500, rel=0.03)


def test_forward_matches_explicit_per_sample_computation():
    X, _, params = random_problem(3, 4, 2, 6, seed=0)
    A2, cache = forward(X, params)
    assert sorted(cache) == ["A1", "A2", "Z1", "Z2"]
    for i in range(X.shape[1]):
        x = X[:, i : i + 1]
        z1 = params["W1"] @ x + params["b1"]
        a1 = torch.tanh(z1)
        a2 = torch.sigmoid(params["W2"] @ a1 + params["b2"])
        assert torch.allclose(cache["Z1"][:, i : i + 1], z1)
        assert torch.allclose(cache["A1"][:, i : i + 1], a1)
        assert torch.allclose(A2[:, i : i + 1], a2)
    assert ((A2 > 0) & (A2 < 1)).all()


@given(
    st.lists(st.floats(min_value=1e-6, max_value=1 - 1e-6), min_size=1, max_size=20),
    st.integers(min_value=0, max_value=2**16),
)
def test_binary_cross_entropy_matches_pytorch(probabilities, seed):
    A2 = torch.tensor([probabilities], dtype=torch.float64)
    Y = (torch.rand(A2.shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) > 0.5).double()
    assert binary_cross_entropy(A2, Y).item() == pytest.approx(F.binary_cross_entropy(A2, Y).item(), rel=1e-12)


@settings(max_examples=30, deadline=None)
@given(
    st.integers(1, 5), st.integers(1, 6), st.integers(1, 3), st.integers(1, 8), st.integers(0, 10_000)
)
def test_backward_matches_autograd(n_x, n_h, n_y, m, seed):
    X, Y, params = random_problem(n_x, n_h, n_y, m, seed)
    grads = backward(X, Y, params, forward(X, params)[1])
    reference = autograd_grads(X, Y, params)
    for name in PARAM_NAMES:
        assert grads[name].shape == params[name].shape
        assert (grads[name] - reference[name]).abs().max().item() < 1e-10, name


def test_backward_on_xor_data_and_training_reduces_loss():
    X, Y = make_xor_data(100, seed=3)
    params = init_params(2, 8, seed=3)
    start = binary_cross_entropy(forward(X, params)[0], Y).item()
    for _ in range(60):
        grads = backward(X, Y, params, forward(X, params)[1])
        params = {name: params[name] - 1.0 * grads[name] for name in params}
    assert binary_cross_entropy(forward(X, params)[0], Y).item() < 0.7 * start


def test_make_xor_data_labels_follow_the_quadrants():
    X, Y = make_xor_data(500, seed=7)
    assert X.shape == (2, 500) and Y.shape == (1, 500)
    assert X.abs().max() <= 1
    assert torch.equal(Y[0], (X[0] * X[1] > 0).double())
    assert 0.4 < Y.mean().item() < 0.6
    assert torch.equal(make_xor_data(5, seed=1)[0], make_xor_data(5, seed=1)[0])


def test_to_sequential_computes_the_same_function_and_gradients():
    X, Y, params = random_problem(3, 5, 1, 7, seed=4)
    net = to_sequential(params)
    assert net[0].weight.shape == params["W1"].shape  # nn.Linear 的 weight 是 (out, in)
    output = net(X.T)
    assert output.shape == (7, 1)
    assert torch.allclose(output, forward(X, params)[0].T, rtol=0, atol=1e-12)
    F.binary_cross_entropy(output, Y.T).backward()
    grads = backward(X, Y, params, forward(X, params)[1])
    assert torch.allclose(net[0].weight.grad, grads["W1"], atol=1e-12)
    assert torch.allclose(net[0].bias.grad, grads["b1"].squeeze(1), atol=1e-12)
    assert torch.allclose(net[2].weight.grad, grads["W2"], atol=1e-12)
    assert torch.allclose(net[2].bias.grad, grads["b2"].squeeze(1), atol=1e-12)


def test_saved_tensor_bytes_grows_linearly_with_batch_size():
    params = {name: value.requires_grad_(True) for name, value in init_params(2, 8).items()}

    def saved(m):
        X, Y = make_xor_data(m)
        return saved_tensor_bytes(lambda: binary_cross_entropy(forward(X, params)[0], Y))

    small, large, larger = saved(100), saved(1000), saved(2000)
    per_sample = (larger - large) / 1000
    assert per_sample == pytest.approx((large - small) / 900, rel=0.01)
    assert per_sample >= 8 * (2 + 8 + 1)  # 至少要存 X、A1、A2 这几列（float64）
    with torch.no_grad():
        assert saved_tensor_bytes(lambda: forward(make_xor_data(100)[0], params)[0].sum()) == 0


def test_saved_tensor_bytes_counts_tanh_output():
    w = torch.ones(250, dtype=torch.float64, requires_grad=True)
    assert saved_tensor_bytes(lambda: torch.tanh(w).sum()) == 250 * 8


def test_check_params_returns_sizes():
    assert check_params(init_params(3, 4, 2)) == (3, 4, 2)


# ----- 错误的输入 -----


def test_bad_params_are_rejected():
    params = init_params(3, 4)
    X = torch.zeros(3, 2, dtype=torch.float64)
    with pytest.raises(TypeError, match="应为字典"):
        forward(X, [params["W1"]])
    with pytest.raises(ValueError, match=r"缺少 \['b2'\]"):
        forward(X, {name: params[name] for name in ["W1", "b1", "W2"]})
    with pytest.raises(ValueError, match=r"params\['b1'\] 的形状应为 \(4, 1\)"):
        forward(X, {**params, "b1": torch.zeros(4, 2, dtype=torch.float64)})
    with pytest.raises(ValueError, match="二维张量"):
        forward(X, {**params, "b1": torch.zeros(4, dtype=torch.float64)})
    with pytest.raises(TypeError, match="浮点张量"):
        forward(X, {**params, "W1": torch.zeros(4, 3, dtype=torch.int64)})


def test_row_layout_input_gets_a_helpful_message():
    params = init_params(3, 4)
    with pytest.raises(ValueError, match=r"\(n_x, m\) = \(3, m\).*X\.T"):
        forward(torch.zeros(5, 3, dtype=torch.float64), params)
    with pytest.raises(TypeError, match="参数 X 应为 torch.Tensor"):
        forward([[0.0]], params)
    with pytest.raises(ValueError, match="每一列是一个样本"):
        check_columns(torch.zeros(3), 3)


def test_bad_labels_are_rejected():
    params = init_params(3, 4)
    X = torch.zeros(3, 5, dtype=torch.float64)
    cache = forward(X, params)[1]
    with pytest.raises(ValueError, match=r"Y 的形状应为 \(n_y, m\) = \(1, 5\)"):
        backward(X, torch.zeros(5, 1, dtype=torch.float64), params, cache)
    with pytest.raises(ValueError, match="形状应相同"):
        binary_cross_entropy(torch.full((1, 5), 0.5), torch.zeros(1, 4))
    with pytest.raises(TypeError, match="参数 Y 应为浮点张量"):
        binary_cross_entropy(torch.full((1, 2), 0.5), torch.tensor([[0, 1]]))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"n_x": 0, "n_h": 3}, ValueError, "n_x 应为正整数"),
        ({"n_x": 2.5, "n_h": 3}, TypeError, "n_x 应为正整数.*float"),
        ({"n_x": 2, "n_h": True}, TypeError, "n_h 应为正整数.*bool"),
        ({"n_x": 2, "n_h": 3, "dtype": torch.int32}, TypeError, "浮点类型"),
    ],
)
def test_bad_init_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        init_params(**kwargs)


def test_other_bad_arguments():
    with pytest.raises(ValueError, match="m 应为正整数"):
        make_xor_data(0)
    with pytest.raises(TypeError, match="参数 compute 应为可调用的函数"):
        saved_tensor_bytes(torch.zeros(3))
    with pytest.raises(TypeError, match="应为字典"):
        to_sequential(None)


def test_regularization_term_is_half_lambda_times_squared_weight_norms():
    params = init_params(3, 4, seed=2)
    expected = 0.3 / 2 * (params["W1"].pow(2).sum() + params["W2"].pow(2).sum())
    assert torch.allclose(regularization_term(params, 0.3), expected)
    assert regularization_term(params, 0).item() == 0.0
    with_bias = dict(params, b1=params["b1"] + 5.0)  # 偏置不受惩罚
    assert torch.equal(regularization_term(with_bias, 0.3), regularization_term(params, 0.3))


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 4), st.integers(1, 5), st.integers(1, 6), st.floats(0.0, 2.0), st.integers(0, 10_000))
def test_backward_regularized_matches_autograd_of_loss_plus_penalty(n_x, n_h, m, lambd, seed):
    X, Y, params = random_problem(n_x, n_h, 1, m, seed)
    grads = backward_regularized(X, Y, params, forward(X, params)[1], lambd)
    leaves = {name: value.clone().requires_grad_(True) for name, value in params.items()}
    J = binary_cross_entropy(forward(X, leaves)[0], Y) + regularization_term(leaves, lambd)
    J.backward()
    for name in PARAM_NAMES:
        assert (grads[name] - leaves[name].grad).abs().max().item() < 1e-10, name


def test_backward_regularized_with_zero_lambda_is_backward():
    X, Y, params = random_problem(2, 3, 1, 5, seed=4)
    cache = forward(X, params)[1]
    plain, regularized = backward(X, Y, params, cache), backward_regularized(X, Y, params, cache, 0.0)
    assert all(torch.equal(plain[name], regularized[name]) for name in PARAM_NAMES)


def test_bad_regularization_arguments():
    X, Y, params = random_problem(2, 3, 1, 5, seed=0)
    cache = forward(X, params)[1]
    with pytest.raises(ValueError, match="lambd（正则化常数）应不小于 0.0"):
        regularization_term(params, -0.1)
    with pytest.raises(TypeError, match="lambd（正则化常数）应为实数"):
        backward_regularized(X, Y, params, cache, "0.1")
    with pytest.raises(ValueError, match="lambd（正则化常数）应不小于 0.0"):
        backward_regularized(X, Y, params, cache, -1)
    with pytest.raises(TypeError, match="应为字典"):
        regularization_term(None, 0.1)
