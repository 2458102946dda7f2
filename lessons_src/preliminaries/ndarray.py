"""张量的广播规则，以及用 ``unsqueeze`` 和 ``cat`` 拼出的 ``stack``。

对应页面 ``docs/preliminaries/ndarray.md``。页面用 PyTorch 自己的函数演示张量的创建、索引、
运算和内存；这里有两个课程函数：:func:`broadcast_shape` 照广播规则算出两个形状广播后的形状，
:func:`stack` 先给每个张量加一个长度为 1 的轴、再沿这个轴连结。页面和测试拿它们与
``torch.broadcast_shapes``、``torch.stack`` 比较。
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from lessons_src.checks import require_int, require_tensor

__all__ = ["broadcast_shape", "stack"]


def check_shape(shape: object, name: str) -> tuple[int, ...]:
    """确认 ``shape`` 是由不小于 0 的整数组成的 tuple、list 或 torch.Size，返回 tuple。"""
    if not isinstance(shape, (tuple, list, torch.Size)):
        raise TypeError(
            f"参数 {name} 应为由整数组成的 tuple、list 或 torch.Size，实际得到 {type(shape).__name__}"
        )
    for size in shape:
        if isinstance(size, bool) or not isinstance(size, int):
            raise TypeError(f"参数 {name} 中每个轴的长度应为整数，实际得到 {size!r}（{type(size).__name__}）")
        if size < 0:
            raise ValueError(f"参数 {name} 中每个轴的长度应不小于 0，实际得到 {tuple(shape)}")
    return tuple(shape)


def check_broadcast_shape_args(shape_a: object, shape_b: object) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """检查两个形状都由非负整数组成，并且能够广播；返回两个形状（tuple）。

    右对齐以后逐个轴比较：两个长度既不相等、也没有一个是 1 时报错，指出是哪一个轴。
    轴按广播结果的轴编号，从 0 数起，与 PyTorch 报错信息中的 dimension 一致。
    """
    a = check_shape(shape_a, "shape_a")
    b = check_shape(shape_b, "shape_b")
    ndim = max(len(a), len(b))
    a_padded = (1,) * (ndim - len(a)) + a
    b_padded = (1,) * (ndim - len(b)) + b
    for axis, (size_a, size_b) in enumerate(zip(a_padded, b_padded)):
        if size_a != size_b and 1 not in (size_a, size_b):
            raise ValueError(
                f"形状 {a} 和 {b} 无法广播：右对齐后，轴 {axis} 上的长度分别是 "
                f"{size_a} 和 {size_b}，既不相等，也没有一个是 1"
            )
    return a, b


# --8<-- [start:broadcast_shape]
def broadcast_shape(shape_a: tuple[int, ...], shape_b: tuple[int, ...]) -> tuple[int, ...]:
    """按广播规则算出形状为 ``shape_a`` 和 ``shape_b`` 的两个张量运算后的形状。

    规则：把两个形状右对齐，较短的形状在左边补 1；然后逐个轴比较，
    两个长度相等，或者其中一个是 1，这个轴才能广播，结果取不是 1 的那个长度。

    Args:
        shape_a: 第一个张量的形状，例如 ``(3, 1)`` 或 ``x.shape``（tuple、list 或 torch.Size）。
        shape_b: 第二个张量的形状。

    Returns:
        广播后的形状。

    Raises:
        ValueError: 某个轴上的两个长度既不相等、也没有一个是 1。

    Examples:
        >>> broadcast_shape((3, 1), (1, 2))
        (3, 2)
        >>> broadcast_shape((2, 3, 4), (4,))
        (2, 3, 4)
    """
    a, b = check_broadcast_shape_args(shape_a, shape_b)
    ndim = max(len(a), len(b))
    a = (1,) * (ndim - len(a)) + a  # 左边补 1，右对齐
    b = (1,) * (ndim - len(b)) + b
    # 每个轴上两个长度相等或有一个是 1（上面一行已确认），结果取不是 1 的那个
    return tuple(size_b if size_a == 1 else size_a for size_a, size_b in zip(a, b))
# --8<-- [end:broadcast_shape]


def check_stack_args(tensors: object, dim: object) -> None:
    """检查 :func:`stack` 的参数：非空的张量序列，形状全都相同；``dim`` 是结果中存在的轴。

    结果比输入多一个轴，所以 ``dim`` 可以取 ``-(ndim + 1)`` 到 ``ndim``（``ndim`` 是输入的轴数）。
    """
    if not isinstance(tensors, (list, tuple)) or len(tensors) == 0:
        raise TypeError(
            f"参数 tensors 应为非空的张量 list 或 tuple，实际得到 {type(tensors).__name__}"
            + ("（空序列）" if isinstance(tensors, (list, tuple)) else "")
        )
    for i, tensor in enumerate(tensors):
        require_tensor(tensor, f"tensors[{i}]")
        if tensor.shape != tensors[0].shape:
            raise ValueError(
                f"参数 tensors 中的张量形状应全都相同，tensors[0] 的形状是 {tuple(tensors[0].shape)}，"
                f"tensors[{i}] 的形状是 {tuple(tensor.shape)}"
            )
    ndim = tensors[0].dim()
    require_int(dim, "dim")
    if not -(ndim + 1) <= dim <= ndim:
        raise ValueError(
            f"参数 dim 应在 {-(ndim + 1)} 到 {ndim} 之间（结果有 {ndim + 1} 个轴），实际得到 {dim}"
        )


# --8<-- [start:stack]
def stack(tensors: Sequence[torch.Tensor], dim: int = 0) -> torch.Tensor:
    """把形状相同的若干张量沿一个**新的**轴 ``dim`` 堆叠起来，与 ``torch.stack`` 相同。

    做法：先用 ``unsqueeze(dim)`` 给每个张量在位置 ``dim`` 加一个长度为 1 的轴，
    再沿这个轴用 ``torch.cat`` 连结。``n`` 个形状为 ``s`` 的张量，结果在轴 ``dim`` 上的长度是 ``n``。

    Args:
        tensors: 形状相同的张量组成的 list 或 tuple。
        dim: 新轴在结果中的位置，可以是负数（``-1`` 表示放在最后）。

    Returns:
        比每个输入多一个轴的张量。

    Raises:
        TypeError: ``tensors`` 不是非空的张量序列，或 ``dim`` 不是整数。
        ValueError: 张量的形状不全相同，或 ``dim`` 超出范围。

    Examples:
        >>> a, b = torch.tensor([1, 2, 3]), torch.tensor([4, 5, 6])
        >>> stack([a, b])
        tensor([[1, 2, 3],
                [4, 5, 6]])
        >>> stack([a, b], dim=1).shape
        torch.Size([3, 2])
    """
    check_stack_args(tensors, dim)
    return torch.cat([t.unsqueeze(dim) for t in tensors], dim=dim)
# --8<-- [end:stack]
