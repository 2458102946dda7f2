"""张量的广播规则。

对应页面 ``docs/preliminaries/ndarray.md``。页面用 PyTorch 自己的函数演示张量的创建、索引、
运算和内存；这里只有一个课程函数 :func:`broadcast_shape`：照广播规则算出两个形状广播后的形状，
页面和测试再拿它与 ``torch.broadcast_shapes`` 比较。
"""

from __future__ import annotations

import torch

__all__ = ["broadcast_shape"]


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
