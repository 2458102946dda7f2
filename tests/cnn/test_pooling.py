"""lessons_src/cnn/pooling.py 的测试；页面见 docs/cnn/pooling.md。"""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from lessons_src.cnn.pooling import pool2d, pool2d_per_channel

SETTINGS = settings(max_examples=80, deadline=None)


@st.composite
def pool_config(draw):
    pool_size = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    padding = (draw(st.integers(0, pool_size[0] // 2)), draw(st.integers(0, pool_size[1] // 2)))
    size = tuple(draw(st.integers(max(1, k - 2 * p), 9)) for k, p in zip(pool_size, padding))
    stride = draw(st.none() | st.tuples(st.integers(1, 3), st.integers(1, 3)))
    seed = draw(st.integers(0, 2**31 - 1))
    return size, pool_size, padding, stride, seed


@SETTINGS
@given(pool_config())
def test_pool2d_matches_pytorch(config):
    size, pool_size, padding, stride, seed = config
    X = torch.randn(*size, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    max_ref = F.max_pool2d(X[None, None], pool_size, stride=stride, padding=padding)[0, 0]
    avg_ref = F.avg_pool2d(X[None, None], pool_size, stride=stride, padding=padding)[0, 0]
    assert torch.equal(pool2d(X, pool_size, "max", padding=padding, stride=stride), max_ref)
    assert torch.allclose(pool2d(X, pool_size, "avg", padding=padding, stride=stride), avg_ref, atol=1e-12)


@SETTINGS
@given(st.integers(1, 2), st.integers(1, 3), pool_config())
def test_pool2d_per_channel_matches_nn_layers_and_keeps_channels(batch, channels, config):
    size, pool_size, padding, stride, seed = config
    X = torch.randn(batch, channels, *size, generator=torch.Generator().manual_seed(seed))
    for mode, Layer in (("max", nn.MaxPool2d), ("avg", nn.AvgPool2d)):
        expected = Layer(pool_size, stride=stride, padding=padding)(X)
        ours = pool2d_per_channel(X, pool_size, mode, padding=padding, stride=stride)
        assert ours.shape[:2] == (batch, channels)
        assert torch.allclose(ours, expected, atol=1e-6)
        # 三维输入（不带批量维）也可以
        assert torch.allclose(pool2d_per_channel(X[0], pool_size, mode, padding=padding, stride=stride), expected[0],
                              atol=1e-6)


def test_known_values_and_default_stride():
    X = torch.arange(9.0).reshape(3, 3)
    assert torch.equal(pool2d(X, 2, stride=1), torch.tensor([[4.0, 5.0], [7.0, 8.0]]))
    assert torch.equal(pool2d(X, (2, 2), "avg", stride=1), torch.tensor([[2.0, 3.0], [5.0, 6.0]]))
    X = torch.arange(16.0).reshape(4, 4)
    assert torch.equal(pool2d(X, 3), torch.tensor([[10.0]]))  # 默认步幅等于窗口大小
    assert torch.equal(pool2d(X, 3), nn.MaxPool2d(3)(X[None, None])[0, 0])


def test_padding_counts_in_the_average_and_never_wins_the_max():
    X = -torch.ones(2, 2)
    assert torch.equal(pool2d(X, 3, padding=1, stride=1), -torch.ones(2, 2))
    avg = pool2d(torch.ones(2, 2), 3, "avg", padding=1, stride=1)
    assert torch.allclose(avg, torch.full((2, 2), 4 / 9))


def test_max_pooling_gradient_matches_pytorch():
    torch.manual_seed(0)
    X = torch.randn(5, 6, requires_grad=True)
    pool2d(X, 2, padding=1).sum().backward()
    X_ref = X.detach().clone().requires_grad_(True)
    F.max_pool2d(X_ref[None, None], 2, padding=1).sum().backward()
    assert torch.equal(X.grad, X_ref.grad)


# ----- 错误的输入 -----


@pytest.mark.parametrize("mode", ["mean", "MAX", None, ""])
def test_invalid_mode_is_rejected(mode):
    with pytest.raises(ValueError, match="参数 mode 应为 'max' 或 'avg'"):
        pool2d(torch.ones(3, 3), 2, mode)
    with pytest.raises(ValueError, match="参数 mode 应为 'max' 或 'avg'"):
        pool2d_per_channel(torch.ones(1, 3, 3), 2, mode)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"pool_size": 4}, ValueError, "大于填充后的输入"),
        ({"pool_size": 2, "stride": 0}, ValueError, "参数 stride 应为不小于 1 的整数，实际得到 0"),
        ({"pool_size": 2, "stride": (1, -1)}, ValueError, r"参数 stride\[1\] 应为不小于 1 的整数"),
        ({"pool_size": 0}, ValueError, "pool_size 应为不小于 1 的整数"),
        ({"pool_size": 2, "padding": 2}, ValueError, "不应超过窗口"),
        ({"pool_size": 2, "padding": -1}, ValueError, "padding 应为不小于 0 的整数"),
        ({"pool_size": "2"}, TypeError, "参数 pool_size 应为整数，实际得到 str"),
        ({"pool_size": (2, 2, 2)}, TypeError, r"pool_size 应为整数或 \(高, 宽\) 二元组"),
    ],
)
def test_bad_pool_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        pool2d(torch.ones(3, 3), **kwargs)


def test_wrong_ranks_and_types_are_rejected():
    with pytest.raises(ValueError, match="参数 X 应为 2 维张量"):
        pool2d(torch.ones(1, 3, 3), 2)
    with pytest.raises(TypeError, match="浮点张量"):
        pool2d(torch.ones(3, 3, dtype=torch.int64), 2)
    with pytest.raises(ValueError, match="3 维（通道, 高, 宽）或 4 维"):
        pool2d_per_channel(torch.ones(3, 3), 2)
    with pytest.raises(ValueError, match="3 维（通道, 高, 宽）或 4 维"):
        pool2d_per_channel(torch.ones(1, 1, 1, 3, 3), 2)
    with pytest.raises(ValueError, match="没有任何通道"):
        pool2d_per_channel(torch.ones(0, 3, 3), 2)
    with pytest.raises(TypeError, match="参数 X 应为 torch.Tensor"):
        pool2d_per_channel([[[1.0]]], 1)
