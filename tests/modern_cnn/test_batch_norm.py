"""lessons_src/modern_cnn/batch_norm.py 的测试；页面见 docs/modern-cnn/batch-norm.md。"""

import re

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from lessons_src.cnn.lenet import count_parameters, lenet
from lessons_src.modern_cnn.batch_norm import BatchNorm, batch_norm, compare_with_builtin, lenet_batch_norm


def _stats(num_features, dtype=torch.float32):
    return (torch.ones(num_features, dtype=dtype), torch.zeros(num_features, dtype=dtype),
            torch.zeros(num_features, dtype=dtype), torch.ones(num_features, dtype=dtype))


@pytest.mark.parametrize("shape", [(16, 4), (8, 3, 5, 5)], ids=["fc", "conv"])
def test_training_statistics_follow_the_formula(shape):
    torch.manual_seed(0)
    X = torch.randn(shape, dtype=torch.float64) * 3 + 2
    dims = (0,) if len(shape) == 2 else (0, 2, 3)
    view = (1, -1) if len(shape) == 2 else (1, -1, 1, 1)
    gamma = torch.rand(shape[1], dtype=torch.float64) + 0.5
    beta = torch.randn(shape[1], dtype=torch.float64)
    running_mean = torch.randn(shape[1], dtype=torch.float64)
    running_var = torch.rand(shape[1], dtype=torch.float64) + 1
    Y, new_mean, new_var = batch_norm(X, gamma, beta, running_mean, running_var, training=True, momentum=0.3)
    mean, var = X.mean(dim=dims), X.var(dim=dims, unbiased=False)
    expected = (
        gamma.reshape(view) * (X - mean.reshape(view)) / torch.sqrt(var.reshape(view) + 1e-5)
        + beta.reshape(view)
    )
    assert torch.allclose(Y, expected)
    assert torch.allclose(new_mean, 0.7 * running_mean + 0.3 * mean)
    assert torch.allclose(new_var, 0.7 * running_var + 0.3 * X.var(dim=dims, unbiased=True))


def test_normalized_output_has_zero_mean_and_unit_variance_per_channel():
    torch.manual_seed(1)
    X = torch.randn(6, 4, 3, 3) * 10 - 7
    Y, _, _ = batch_norm(X, *_stats(4), training=True)
    assert Y.mean(dim=(0, 2, 3)).abs().max() < 1e-5
    assert torch.allclose(Y.var(dim=(0, 2, 3), unbiased=False), torch.ones(4), atol=1e-4)


def test_eval_mode_uses_running_statistics_and_leaves_them_unchanged():
    X = torch.tensor([[1.0, 2.0], [3.0, 6.0]])
    gamma, beta = torch.tensor([2.0, 1.0]), torch.tensor([0.5, -1.0])
    running_mean, running_var = torch.tensor([1.0, 2.0]), torch.tensor([4.0, 9.0])
    Y, mean, var = batch_norm(X, gamma, beta, running_mean, running_var, training=False, eps=1e-12)
    assert torch.allclose(Y, torch.tensor([[0.5, -1.0], [2.5, 4 / 3 - 1]]))
    assert mean is running_mean and var is running_var


def test_inputs_are_not_modified():
    X = torch.randn(5, 3)
    stats = _stats(3)
    copies = [t.clone() for t in (X, *stats)]
    batch_norm(X, *stats, training=True)
    for original, copy in zip((X, *stats), copies):
        assert torch.equal(original, copy)


@settings(max_examples=20, deadline=None)
@given(
    conv=st.booleans(),
    batch=st.integers(2, 6),
    channels=st.integers(1, 5),
    size=st.integers(1, 4),
    steps=st.integers(1, 4),
    momentum=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**16),
)
def test_matches_builtin_layers_over_several_steps(conv, batch, channels, size, steps, momentum, seed):
    generator = torch.Generator().manual_seed(seed)
    shape = (batch, channels, size, size) if conv else (batch, channels)
    batches = [torch.randn(shape, generator=generator, dtype=torch.float64) * 2 + 1 for _ in range(steps)]
    errors = compare_with_builtin(batches, momentum=momentum, seed=seed)
    assert set(errors) == {"train_output", "running_mean", "running_var", "eval_output"}
    for key, error in errors.items():
        assert error < 1e-9, key


@pytest.mark.parametrize("shape", [(32, 7), (16, 3, 6, 6)], ids=["fc", "conv"])
def test_matches_builtin_in_float32(shape):
    torch.manual_seed(0)
    errors = compare_with_builtin([torch.randn(shape) * 3 + 1 for _ in range(5)])
    assert all(error < 1e-5 for error in errors.values()), errors


@pytest.mark.parametrize("shape", [(10, 4), (4, 3, 5, 5)], ids=["fc", "conv"])
def test_module_buffers_and_gradients_match_builtin(shape):
    torch.manual_seed(0)
    ours = BatchNorm(shape[1], num_dims=len(shape)).double()
    reference = (nn.BatchNorm1d if len(shape) == 2 else nn.BatchNorm2d)(shape[1]).double()
    for _ in range(3):
        X = torch.randn(shape, dtype=torch.float64)
        X1 = X.clone().requires_grad_(True)
        X2 = X.clone().requires_grad_(True)
        weights = torch.randn(shape, dtype=torch.float64)
        (ours(X1) * weights).sum().backward()
        (reference(X2) * weights).sum().backward()
        assert torch.allclose(X1.grad, X2.grad)
    assert torch.allclose(ours.gamma.grad, reference.weight.grad)
    assert torch.allclose(ours.beta.grad, reference.bias.grad)
    assert torch.allclose(ours.running_mean, reference.running_mean)
    assert torch.allclose(ours.running_var, reference.running_var)


def test_buffers_are_in_state_dict_but_not_parameters():
    layer = BatchNorm(4, num_dims=2)
    assert [name for name, _ in layer.named_parameters()] == ["gamma", "beta"]
    assert list(layer.state_dict()) == ["gamma", "beta", "running_mean", "running_var"]
    layer = layer.double()
    assert layer.running_mean.dtype == torch.float64


def test_eval_mode_output_is_independent_of_the_rest_of_the_batch():
    torch.manual_seed(0)
    layer = BatchNorm(3, num_dims=2)
    layer(torch.randn(8, 3) * 2)  # 更新一次移动平均
    layer.eval()
    X = torch.randn(5, 3)
    assert torch.allclose(layer(X[:1]), layer(X)[:1])
    before = layer.running_mean.clone()
    layer(X)
    assert torch.equal(layer.running_mean, before)


def test_lenet_batch_norm_inserts_one_layer_before_each_sigmoid():
    for builtin, conv_type, fc_type in [(False, BatchNorm, BatchNorm), (True, nn.BatchNorm2d, nn.BatchNorm1d)]:
        net = lenet_batch_norm(builtin=builtin)
        layers = list(net)
        norm_types = (BatchNorm, nn.BatchNorm1d, nn.BatchNorm2d)
        norm_positions = [i for i, layer in enumerate(layers) if isinstance(layer, norm_types)]
        assert len(norm_positions) == 4
        for i in norm_positions:
            assert isinstance(layers[i + 1], nn.Sigmoid)
            assert isinstance(layers[i - 1], (nn.Conv2d, nn.Linear))
        assert isinstance(layers[1], conv_type) and isinstance(layers[10], fc_type)
        assert isinstance(layers[-1], nn.Linear)
        assert count_parameters(net) == count_parameters(lenet()) + 2 * (6 + 16 + 120 + 84)
        assert net(torch.zeros(3, 1, 28, 28)).shape == (3, 10)


# ----- 错误的输入 -----


def test_wrong_number_of_dimensions_is_rejected():
    with pytest.raises(ValueError, match="二维 .* 或四维"):
        batch_norm(torch.zeros(2, 3, 4), *_stats(3), training=True)
    with pytest.raises(ValueError, match="num_dims 应为 2（全连接层）或 4（卷积层）"):
        BatchNorm(3, num_dims=3)
    with pytest.raises(ValueError, match="num_dims=4 创建，输入 X 却是 2 维"):
        BatchNorm(3, num_dims=4)(torch.zeros(2, 3))


def test_channel_mismatch_is_rejected():
    with pytest.raises(ValueError, match=r"gamma 的形状应为 \(4,\)"):
        batch_norm(torch.zeros(2, 4), *_stats(3), training=True)
    with pytest.raises(ValueError, match="这一层有 3 个特征（通道），输入 X 的第 1 维却是 5"):
        BatchNorm(3, num_dims=2)(torch.zeros(2, 5))


def test_single_value_per_channel_in_training_is_rejected():
    with pytest.raises(ValueError, match="至少需要 2 个值"):
        batch_norm(torch.zeros(1, 3), *_stats(3), training=True)
    with pytest.raises(ValueError):
        nn.BatchNorm1d(3)(torch.zeros(1, 3))  # PyTorch 同样拒绝
    assert batch_norm(torch.zeros(1, 3, 2, 2), *_stats(3), training=True)[0].shape == (1, 3, 2, 2)


@pytest.mark.parametrize("num_features, error, message", [
    (0, ValueError, "num_features 应为正整数，实际得到 0"),
    (-2, ValueError, "num_features 应为正整数"),
    (2.0, TypeError, "num_features 应为正整数，实际得到 float"),
    (True, TypeError, "num_features 应为正整数，实际得到 bool"),
])
def test_bad_num_features(num_features, error, message):
    with pytest.raises(error, match=message):
        BatchNorm(num_features, num_dims=2)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"eps": 0.0}, ValueError, "eps 应为正数"),
    ({"eps": -1e-5}, ValueError, "eps 应为正数"),
    ({"momentum": 1.5}, ValueError, r"momentum 应在 \[0, 1\] 内"),
    ({"momentum": -0.1}, ValueError, r"momentum 应在 \[0, 1\] 内，实际得到 -0.1"),
    ({"momentum": "0.1"}, TypeError, "momentum 应为实数"),
])
def test_bad_eps_and_momentum(kwargs, error, message):
    with pytest.raises(error, match=message):
        batch_norm(torch.zeros(4, 3), *_stats(3), training=True, **kwargs)
    with pytest.raises(error, match=message):
        BatchNorm(3, num_dims=2, **kwargs)


def test_bad_tensors_and_flags():
    with pytest.raises(TypeError, match="参数 X 应为 torch.Tensor"):
        batch_norm([[1.0, 2.0]], *_stats(2), training=True)
    with pytest.raises(TypeError, match="参数 X 应为浮点张量"):
        batch_norm(torch.zeros(4, 2, dtype=torch.long), *_stats(2), training=True)
    with pytest.raises(TypeError, match="training 应为 bool"):
        batch_norm(torch.zeros(4, 2), *_stats(2), training=1)
    with pytest.raises(TypeError, match="builtin 应为 bool"):
        lenet_batch_norm(builtin="yes")


def test_bad_batches_for_comparison():
    with pytest.raises(TypeError, match="非空列表"):
        compare_with_builtin([])
    with pytest.raises(TypeError, match="非空列表"):
        compare_with_builtin(torch.zeros(4, 3))
    with pytest.raises(ValueError, match="维数或通道数不一致"):
        compare_with_builtin([torch.randn(4, 3), torch.randn(4, 5)])
    with pytest.raises(ValueError, match="二维或四维"):
        compare_with_builtin([torch.randn(4, 3, 2)])
    with pytest.raises(TypeError, match=r"batches\[1\] 应为浮点张量"):
        compare_with_builtin([torch.randn(4, 3), torch.zeros(4, 3, dtype=torch.long)])


@pytest.mark.parametrize("builtin", [False, True])
@pytest.mark.parametrize("shape", [(2, 1, 32, 32), (2, 3, 28, 28), (2, 28, 28), (2, 1, 28, 27)])
def test_calling_lenet_batch_norm_with_a_wrong_shape_says_what_it_expects(builtin, shape):
    message = r"lenet_batch_norm 的输入应为形状 \(批量大小, 1, 28, 28\) 的四维张量，实际形状为 "
    with pytest.raises(ValueError, match=message + re.escape(str(shape))):
        lenet_batch_norm(builtin=builtin)(torch.zeros(shape))
