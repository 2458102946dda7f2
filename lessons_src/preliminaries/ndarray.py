"""张量的广播规则。

对应页面 ``docs/preliminaries/ndarray.md``。页面用 PyTorch 自己的函数演示张量的创建、索引、
运算和内存；这里只有一个函数 :func:`broadcast_shape`：照广播规则算出两个形状广播后的形状，
页面和测试再拿它与 ``torch.broadcast_shapes`` 比较。
"""

from __future__ import annotations

import torch

__all__ = ["broadcast_shape"]


# --8<-- [start:broadcast_shape]
def _check_shape(shape: object, name: str) -> tuple[int, ...]:
    if not isinstance(shape, (tuple, list, torch.Size)):
        raise TypeError(
            f"参数 {name} 应为由整数组成的 tuple、list 或 torch.Size，实际得到 {type(shape).__name__}"
        )
    for size in shape:
        if isinstance(size, bool) or not isinstance(size, int):
            raise TypeError(f"参数 {name} 的每一维应为整数，实际得到 {size!r}（{type(size).__name__}）")
        if size < 0:
            raise ValueError(f"参数 {name} 的每一维应不小于 0，实际得到 {tuple(shape)}")
    return tuple(shape)


def broadcast_shape(shape_a: tuple[int, ...], shape_b: tuple[int, ...]) -> tuple[int, ...]:
    """按广播规则算出形状为 ``shape_a`` 和 ``shape_b`` 的两个张量运算后的形状。

    规则：把两个形状右对齐，较短的形状在左边补 1；然后逐维比较，
    两个长度相等，或者其中一个是 1，这一维才能广播，结果取不是 1 的那个长度。

    Args:
        shape_a: 第一个张量的形状，例如 ``(3, 1)`` 或 ``x.shape``（tuple、list 或 torch.Size）。
        shape_b: 第二个张量的形状。

    Returns:
        广播后的形状。

    Raises:
        ValueError: 某一维的两个长度既不相等、也没有一个是 1。

    Examples:
        >>> broadcast_shape((3, 1), (1, 2))
        (3, 2)
        >>> broadcast_shape((2, 3, 4), (4,))
        (2, 3, 4)
    """
    a = _check_shape(shape_a, "shape_a")
    b = _check_shape(shape_b, "shape_b")
    ndim = max(len(a), len(b))
    a_padded = (1,) * (ndim - len(a)) + a  # 左边补 1，右对齐
    b_padded = (1,) * (ndim - len(b)) + b
    result = []
    for position, (size_a, size_b) in enumerate(zip(a_padded, b_padded)):
        if size_a == size_b or size_b == 1:
            result.append(size_a)
        elif size_a == 1:
            result.append(size_b)
        else:
            raise ValueError(
                f"形状 {a} 和 {b} 无法广播：从右往左数第 {ndim - position} 维的长度分别是 "
                f"{size_a} 和 {size_b}，既不相等，也没有一个是 1"
            )
    return tuple(result)
# --8<-- [end:broadcast_shape]
