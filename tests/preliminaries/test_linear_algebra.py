"""lessons_src/preliminaries/linear_algebra.py 的测试；页面见 docs/preliminaries/linear-algebra.md。"""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lessons_src.preliminaries.linear_algebra import (
    dot,
    frobenius_norm,
    lp_norm,
    matmul,
    matvec,
)

sizes = st.integers(min_value=1, max_value=6)
seeds = st.integers(min_value=0, max_value=2**31 - 1)


def randn(seed, *shape):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


@settings(deadline=None)
@given(sizes, seeds)
def test_dot_matches_torch(n, seed):
    x, y = randn(seed, 2, n)
    assert torch.allclose(dot(x, y), torch.dot(x, y))
    assert dot(x, y).shape == torch.Size([])


@settings(deadline=None)
@given(sizes, sizes, seeds)
def test_matvec_matches_torch(m, n, seed):
    A = randn(seed, m, n)
    x = randn(seed + 1, n)
    assert torch.allclose(matvec(A, x), torch.mv(A, x))


@settings(max_examples=50, deadline=None)
@given(sizes, sizes, sizes, seeds)
def test_matmul_matches_torch(n, k, m, seed):
    A = randn(seed, n, k)
    B = randn(seed + 1, k, m)
    assert torch.allclose(matmul(A, B), torch.mm(A, B))


def test_integer_tensors_are_exact():
    A = torch.arange(12).reshape(3, 4)
    B = torch.arange(8).reshape(4, 2)
    assert torch.equal(dot(A[0], A[1]), torch.dot(A[0], A[1]))
    assert torch.equal(matvec(A, A[0]), A @ A[0])
    assert torch.equal(matmul(A, B), A @ B)
    assert matmul(A, B).dtype == torch.int64


def test_empty_dimensions():
    assert dot(torch.zeros(0), torch.zeros(0)).item() == 0.0
    assert matvec(torch.zeros(0, 3), torch.ones(3)).shape == (0,)
    assert torch.equal(matmul(torch.zeros(2, 0), torch.zeros(0, 3)), torch.zeros(2, 3))


@settings(deadline=None)
@given(sizes, seeds, st.floats(min_value=1.0, max_value=6.0))
def test_lp_norm_matches_torch(n, seed, p):
    x = randn(seed, n)
    assert torch.allclose(lp_norm(x, p), torch.linalg.vector_norm(x, ord=p))


@settings(deadline=None)
@given(sizes, seeds, st.floats(min_value=-5, max_value=5), st.sampled_from([1, 2, 3.5]))
def test_norm_axioms(n, seed, alpha, p):
    x, y = randn(seed, 2, n)
    assert lp_norm(x + y, p) <= lp_norm(x, p) + lp_norm(y, p) + 1e-12
    assert torch.isclose(lp_norm(alpha * x, p), abs(alpha) * lp_norm(x, p), atol=1e-12)
    assert lp_norm(x, p) >= 0


def test_norm_known_values():
    u = torch.tensor([3.0, -4.0])
    assert lp_norm(u, 1).item() == 7.0
    assert lp_norm(u).item() == 5.0
    assert lp_norm(torch.zeros(3)).item() == 0.0
    assert frobenius_norm(torch.ones(4, 9)).item() == 6.0


@settings(deadline=None)
@given(sizes, sizes, seeds)
def test_frobenius_norm_matches_torch_and_flattened_l2(m, n, seed):
    X = randn(seed, m, n)
    assert torch.allclose(frobenius_norm(X), torch.linalg.matrix_norm(X))
    assert torch.allclose(frobenius_norm(X), lp_norm(X.reshape(-1), 2))
    assert math.isclose(frobenius_norm(X).item() ** 2, torch.trace(X.T @ X).item(), rel_tol=1e-9)


# ----- 错误的输入 -----


def test_non_tensor_inputs():
    with pytest.raises(TypeError, match="参数 x 应为 torch.Tensor，实际得到 list"):
        dot([1.0], torch.ones(1))
    with pytest.raises(TypeError, match="参数 A 应为 torch.Tensor"):
        matvec([[1.0]], torch.ones(1))
    with pytest.raises(TypeError, match="参数 B 应为 torch.Tensor"):
        matmul(torch.ones(1, 1), 2.0)


def test_wrong_number_of_dimensions():
    with pytest.raises(ValueError, match=r"参数 x 应为 1 维张量，实际形状为 \(2, 2\)"):
        dot(torch.ones(2, 2), torch.ones(2))
    with pytest.raises(ValueError, match=r"参数 A 应为 2 维张量，实际形状为 \(3,\)"):
        matvec(torch.ones(3), torch.ones(3))
    with pytest.raises(ValueError, match="参数 B 应为 2 维张量"):
        matmul(torch.ones(2, 2), torch.ones(2))
    with pytest.raises(ValueError, match="参数 x 应为 1 维张量"):
        lp_norm(torch.ones(2, 2))
    with pytest.raises(ValueError, match="参数 X 应为 2 维张量"):
        frobenius_norm(torch.ones(3))


def test_incompatible_sizes():
    with pytest.raises(ValueError, match="长度应相等，实际为 3 和 2"):
        dot(torch.ones(3), torch.ones(2))
    with pytest.raises(ValueError, match=r"列数应等于向量 x 的长度.*\(2, 3\).*2"):
        matvec(torch.ones(2, 3), torch.ones(2))
    with pytest.raises(ValueError, match=r"列数应等于矩阵 B 的行数.*\(2, 3\) 和 \(2, 3\)"):
        matmul(torch.ones(2, 3), torch.ones(2, 3))


def test_mixed_dtypes_are_rejected():
    with pytest.raises(TypeError, match="dtype 应相同.*torch.float32 和 torch.int64"):
        dot(torch.ones(2), torch.ones(2, dtype=torch.int64))
    with pytest.raises(TypeError, match="dtype 应相同"):
        matmul(torch.ones(2, 2), torch.ones(2, 2, dtype=torch.float64))


@pytest.mark.parametrize(
    ("p", "error", "message"),
    [(0.5, ValueError, "不小于 1.0"), ("2", TypeError, "应为实数.*str"), (float("inf"), ValueError, "有限实数")],
)
def test_bad_p(p, error, message):
    with pytest.raises(error, match=message):
        lp_norm(torch.ones(3), p)


def test_norms_need_floating_tensors():
    with pytest.raises(TypeError, match="浮点张量.*torch.int64"):
        lp_norm(torch.tensor([3, 4]))
    with pytest.raises(TypeError, match="浮点张量"):
        frobenius_norm(torch.ones(2, 2, dtype=torch.int64))
