"""照定义写出的线性代数运算：点积、矩阵-向量积、矩阵乘法和范数。

对应页面 ``docs/preliminaries/linear-algebra.md``。这些函数故意用循环和求和照公式逐项计算，
以便与公式对照；实际使用时请用 ``torch.dot``、``torch.mv``、``torch.mm``（或 ``@``）和
``torch.linalg.norm``，它们快得多。页面和测试用这些内置函数检查这里的实现。
"""

from __future__ import annotations

import torch

from lessons_src.checks import require_real, require_tensor

__all__ = ["dot", "frobenius_norm", "lp_norm", "matmul", "matvec"]


def check_same_dtype(x: torch.Tensor, y: torch.Tensor, names: str) -> None:
    """检查两个张量的 dtype 相同（这里的循环实现不做类型提升）。"""
    if x.dtype != y.dtype:
        raise TypeError(
            f"参数 {names} 的 dtype 应相同，实际为 {x.dtype} 和 {y.dtype}；可以先用 .to(...) 统一类型"
        )


def check_dot_args(x: object, y: object) -> None:
    """检查 :func:`dot` 的参数：两个 dtype 相同、长度相等的向量（1 维张量）。"""
    require_tensor(x, "x", ndim=1)
    require_tensor(y, "y", ndim=1)
    if len(x) != len(y):
        raise ValueError(f"参数 x 和 y 的长度应相等，实际为 {len(x)} 和 {len(y)}")
    check_same_dtype(x, y, "x 和 y")


def check_matvec_args(A: object, x: object) -> None:
    """检查 :func:`matvec` 的参数：矩阵 A（2 维）的列数等于向量 x（1 维）的长度，dtype 相同。"""
    require_tensor(A, "A", ndim=2)
    require_tensor(x, "x", ndim=1)
    if A.shape[1] != len(x):
        raise ValueError(
            f"矩阵 A 的列数应等于向量 x 的长度，实际 A 的形状为 {tuple(A.shape)}，x 的长度为 {len(x)}"
        )
    check_same_dtype(A, x, "A 和 x")


def check_matmul_args(A: object, B: object) -> None:
    """检查 :func:`matmul` 的参数：两个矩阵（2 维），A 的列数等于 B 的行数，dtype 相同。"""
    require_tensor(A, "A", ndim=2)
    require_tensor(B, "B", ndim=2)
    if A.shape[1] != B.shape[0]:
        raise ValueError(
            f"矩阵 A 的列数应等于矩阵 B 的行数，实际形状为 {tuple(A.shape)} 和 {tuple(B.shape)}"
        )
    check_same_dtype(A, B, "A 和 B")


def check_lp_norm_args(x: object, p: object) -> float:
    """检查 :func:`lp_norm` 的参数：x 是浮点向量（1 维），p 是不小于 1 的实数；返回 ``float(p)``。"""
    require_tensor(x, "x", floating=True, ndim=1)
    return require_real(p, "p", minimum=1.0)


# --8<-- [start:dot]
def dot(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """两个等长向量的点积 sum_i x_i * y_i，返回零维张量。

    Examples:
        >>> dot(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([4.0, 5.0, 6.0]))
        tensor(32.)
    """
    check_dot_args(x, y)
    total = torch.zeros((), dtype=x.dtype)
    for i in range(len(x)):
        total = total + x[i] * y[i]
    return total
# --8<-- [end:dot]


# --8<-- [start:matvec]
def matvec(A: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """矩阵-向量积 Ax：结果的第 i 个元素是 A 的第 i 行与 x 的点积。

    Examples:
        >>> matvec(torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), torch.tensor([1.0, -1.0]))
        tensor([-1., -1., -1.])
    """
    check_matvec_args(A, x)
    return torch.stack([dot(A[i], x) for i in range(A.shape[0])]) if A.shape[0] else A.new_zeros(0)
# --8<-- [end:matvec]


# --8<-- [start:matmul]
def matmul(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """矩阵乘法 C = AB：C[i, j] 是 A 的第 i 行与 B 的第 j 列的点积。

    Examples:
        >>> matmul(torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[0.0, 1.0], [1.0, 0.0]]))
        tensor([[2., 1.],
                [4., 3.]])
    """
    check_matmul_args(A, B)
    C = torch.zeros(A.shape[0], B.shape[1], dtype=A.dtype)
    for i in range(A.shape[0]):
        for j in range(B.shape[1]):
            C[i, j] = dot(A[i], B[:, j])
    return C
# --8<-- [end:matmul]


# --8<-- [start:norms]
def lp_norm(x: torch.Tensor, p: float = 2) -> torch.Tensor:
    """向量的 Lp 范数 (sum_i |x_i|^p)^(1/p)，要求 p >= 1。

    p = 1 是各元素绝对值之和，p = 2 是欧几里得长度。

    Examples:
        >>> lp_norm(torch.tensor([3.0, -4.0]), p=1)
        tensor(7.)
        >>> lp_norm(torch.tensor([3.0, -4.0]))
        tensor(5.)
    """
    p = check_lp_norm_args(x, p)
    return (x.abs() ** p).sum() ** (1 / p)


def frobenius_norm(X: torch.Tensor) -> torch.Tensor:
    """矩阵的 Frobenius 范数 sqrt(sum_ij x_ij^2)：把矩阵看成一个长向量时的 L2 范数。

    Examples:
        >>> frobenius_norm(torch.ones(4, 9))
        tensor(6.)
    """
    require_tensor(X, "X", floating=True, ndim=2)
    return torch.sqrt((X**2).sum())
# --8<-- [end:norms]
