"""lessons_src/preliminaries/ndarray.py 的测试；页面见 docs/preliminaries/ndarray.md。"""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lessons_src.preliminaries.ndarray import broadcast_shape, stack

shapes = st.lists(st.integers(min_value=0, max_value=3), max_size=4).map(tuple)


@settings(deadline=None, max_examples=60)
@given(shapes, shapes)
def test_agrees_with_torch_broadcast_shapes(shape_a, shape_b):
    try:
        expected = tuple(torch.broadcast_shapes(shape_a, shape_b))
    except RuntimeError:
        with pytest.raises(ValueError, match="无法广播"):
            broadcast_shape(shape_a, shape_b)
    else:
        assert broadcast_shape(shape_a, shape_b) == expected


@settings(deadline=None)
@given(shapes, shapes)
def test_is_symmetric(shape_a, shape_b):
    try:
        forward = broadcast_shape(shape_a, shape_b)
    except ValueError:
        with pytest.raises(ValueError):
            broadcast_shape(shape_b, shape_a)
    else:
        assert broadcast_shape(shape_b, shape_a) == forward


@pytest.mark.parametrize(
    ("shape_a", "shape_b", "expected"),
    [
        ((3, 1), (1, 2), (3, 2)),
        ((2, 3, 4), (4,), (2, 3, 4)),
        ((5, 1, 4), (3, 1), (5, 3, 4)),
        ((0,), (1,), (0,)),
        ((), (), ()),
        ((), (2, 3), (2, 3)),
    ],
)
def test_known_shapes_match_real_tensor_operations(shape_a, shape_b, expected):
    assert broadcast_shape(shape_a, shape_b) == expected
    assert tuple((torch.zeros(shape_a) + torch.zeros(shape_b)).shape) == expected


def test_accepts_lists_and_torch_size():
    assert broadcast_shape([3, 1], torch.Size([4])) == (3, 4)
    assert broadcast_shape(torch.zeros(2, 1).shape, torch.zeros(5).shape) == (2, 5)


# ----- 错误的输入 -----


def test_incompatible_shapes_name_the_dimension():
    # 轴的编号是右对齐以后的编号，与 PyTorch 报错信息里的 dimension 相同
    with pytest.raises(ValueError, match=r"形状 \(2, 3\) 和 \(2,\) 无法广播：右对齐后，轴 1 上的长度分别是 3 和 2"):
        broadcast_shape((2, 3), (2,))
    with pytest.raises(RuntimeError, match="at non-singleton dimension 1"):
        torch.ones(2, 3) + torch.ones(2)
    with pytest.raises(ValueError, match="轴 0 上的长度分别是 2 和 3"):
        broadcast_shape((2, 1, 1), (3, 4, 5))
    with pytest.raises(ValueError, match="轴 1 上的长度分别是 2 和 3"):
        broadcast_shape((2, 1), (5, 3, 1))


@pytest.mark.parametrize(
    ("shape", "error", "message"),
    [
        ("3", TypeError, "tuple、list 或 torch.Size.*str"),
        (3, TypeError, "tuple、list 或 torch.Size.*int"),
        ((2.0, 3), TypeError, "每个轴的长度应为整数.*float"),
        ((True, 3), TypeError, "每个轴的长度应为整数.*bool"),
        ((2, -1), ValueError, "每个轴的长度应不小于 0"),
    ],
)
def test_bad_shapes(shape, error, message):
    with pytest.raises(error, match=message):
        broadcast_shape(shape, (1,))
    with pytest.raises(error, match=message.replace("shape_a", "shape_b")):
        broadcast_shape((1,), shape)


def test_error_names_the_parameter():
    with pytest.raises(TypeError, match="参数 shape_a"):
        broadcast_shape("3", (1,))
    with pytest.raises(TypeError, match="参数 shape_b"):
        broadcast_shape((1,), "3")


# ----- stack：unsqueeze 加 cat -----


@settings(deadline=None, max_examples=40)
@given(
    st.lists(st.integers(min_value=0, max_value=3), max_size=3).map(tuple),
    st.integers(min_value=1, max_value=4),
    st.data(),
)
def test_stack_agrees_with_torch_stack(shape, count, data):
    ndim = len(shape)
    dim = data.draw(st.integers(min_value=-(ndim + 1), max_value=ndim))
    tensors = [torch.randn(shape) for _ in range(count)]
    result = stack(tensors, dim=dim)
    assert torch.equal(result, torch.stack(tensors, dim=dim))
    assert result.shape[dim] == count


def test_stack_accepts_tuples_and_keeps_dtype():
    a, b = torch.tensor([1, 2]), torch.tensor([3, 4])
    result = stack((a, b), dim=1)
    assert result.dtype == torch.int64
    assert result.tolist() == [[1, 3], [2, 4]]


@pytest.mark.parametrize(
    ("tensors", "dim", "error", "message"),
    [
        ([], 0, TypeError, "非空的张量 list 或 tuple.*空序列"),
        (torch.ones(2, 3), 0, TypeError, "非空的张量 list 或 tuple，实际得到 Tensor"),
        ([torch.ones(2), [1.0, 2.0]], 0, TypeError, r"参数 tensors\[1\] 应为 torch.Tensor"),
        ([torch.ones(3), torch.ones(4)], 0, ValueError, r"形状应全都相同.*\(3,\).*tensors\[1\] 的形状是 \(4,\)"),
        ([torch.ones(2, 3)], 3, ValueError, "dim 应在 -3 到 2 之间"),
        ([torch.ones(2, 3)], -4, ValueError, "dim 应在 -3 到 2 之间"),
        ([torch.ones(2, 3)], 1.0, TypeError, "dim"),
    ],
)
def test_stack_rejects_bad_input(tensors, dim, error, message):
    with pytest.raises(error, match=message):
        stack(tensors, dim=dim)
