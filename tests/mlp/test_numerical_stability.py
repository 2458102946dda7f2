"""lessons_src/mlp/numerical_stability.py 的测试；页面见 docs/mlp/numerical-stability.md。"""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from lessons_src.mlp.numerical_stability import (
    INIT_SCHEMES,
    LayerStatistics,
    clip_grad_norm,
    count_distinct_rows,
    init_std,
    layer_statistics,
    make_deep_mlp,
    plot_layer_statistics,
    random_matrix_product,
    train_with_constant_init,
)


@given(st.integers(1, 4096), st.integers(1, 4096))
def test_init_std_formulas(fan_in, fan_out):
    assert init_std("lecun", fan_in, fan_out) == pytest.approx(1 / math.sqrt(fan_in))
    assert init_std("xavier", fan_in, fan_out) == pytest.approx(math.sqrt(2 / (fan_in + fan_out)))
    assert init_std("he", fan_in, fan_out) == pytest.approx(nn.init.calculate_gain("relu") / math.sqrt(fan_in))
    assert init_std(0.01, fan_in, fan_out) == 0.01


@pytest.mark.parametrize(
    ("scheme", "initializer"),
    [
        ("xavier", nn.init.xavier_normal_),
        ("he", lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu")),
    ],
)
def test_init_std_matches_torch_init(scheme, initializer):
    torch.manual_seed(0)
    weight = initializer(torch.empty(300, 500))  # (fan_out, fan_in)
    assert weight.std().item() == pytest.approx(init_std(scheme, 500, 300), rel=0.01)


def test_random_matrix_product_uses_the_seeded_matrices():
    generator = torch.Generator().manual_seed(5)
    first = torch.randn(3, 3, generator=generator, dtype=torch.float64) * 2.0
    second = torch.randn(3, 3, generator=generator, dtype=torch.float64) * 2.0
    assert torch.allclose(random_matrix_product(2, 3, std=2.0, seed=5), second @ first)
    x = torch.randn(3, 1, generator=generator, dtype=torch.float64)
    assert torch.allclose(random_matrix_product(2, 3, std=2.0, seed=5, start=x), second @ first @ x)
    assert torch.equal(random_matrix_product(1, 4, std=0.0), torch.zeros(4, 4, dtype=torch.float64))


def test_random_matrix_product_explodes_with_unit_variance():
    assert torch.linalg.norm(random_matrix_product(100, 4, std=1.0)).item() > 1e10
    x = torch.ones(128, 1, dtype=torch.float64) / math.sqrt(128)
    scaled = random_matrix_product(50, 128, std=1 / math.sqrt(128), start=x)
    assert 0.1 < torch.linalg.norm(scaled).item() < 10


def test_make_deep_mlp_structure_and_init():
    net = make_deep_mlp(4, 200, "tanh", "xavier", seed=3)
    assert len(net) == 8
    assert all(isinstance(net[i], nn.Linear) for i in range(0, 8, 2))
    assert all(isinstance(net[i], nn.Tanh) for i in range(1, 8, 2))
    weights = torch.cat([net[i].weight.detach().reshape(-1) for i in range(0, 8, 2)])
    assert weights.std().item() == pytest.approx(math.sqrt(2 / 400), rel=0.02)
    assert all(torch.equal(net[i].bias, torch.zeros(200)) for i in range(0, 8, 2))
    again = make_deep_mlp(4, 200, "tanh", "xavier", seed=3)
    assert torch.equal(net[6].weight, again[6].weight)
    assert isinstance(make_deep_mlp(1, 3, "relu", 0.5)[1], nn.ReLU)


@given(st.integers(1, 6), st.integers(1, 5), st.integers(0, 1000))
def test_count_distinct_rows_on_repeated_rows(distinct, copies, seed):
    generator = torch.Generator().manual_seed(seed)
    rows = torch.randn(distinct, 4, generator=generator)
    weight = rows.repeat(copies, 1)[torch.randperm(distinct * copies, generator=generator)]
    assert count_distinct_rows(weight) == distinct


def test_constant_initialization_keeps_hidden_units_identical():
    zero = train_with_constant_init(0.0, steps=10)
    assert torch.equal(zero[0].weight, torch.zeros(6, 4))
    assert torch.equal(zero[2].weight, torch.zeros(1, 6))
    assert zero[2].bias.abs().item() > 0  # 只有输出层的偏置在学

    constant = train_with_constant_init(0.3, steps=20)
    assert count_distinct_rows(constant[0].weight) == 1
    assert count_distinct_rows(constant[0].weight.T) > 1  # 行内各列不同：确实在学习
    assert not torch.allclose(constant[0].weight, torch.full((6, 4), 0.3))

    assert count_distinct_rows(train_with_constant_init(None, steps=5)[0].weight) == 6


def test_layer_statistics_agree_with_running_the_network():
    stats = layer_statistics("relu", "he", depth=5, width=32, batch_size=16, seed=2)
    assert isinstance(stats, LayerStatistics)
    assert stats.label == "relu, He"
    net = make_deep_mlp(5, 32, "relu", "he", seed=2)
    generator = torch.Generator().manual_seed(3)
    X = torch.randn(16, 32, generator=generator)
    direction = torch.randn(16, 32, generator=generator)
    hidden = [net[:2 * (layer + 1)](X) for layer in range(5)]
    assert [h.std().item() for h in hidden] == pytest.approx(stats.activation_std, rel=1e-5)
    ((hidden[-1] * direction).sum() / 16).backward()
    reference = [net[2 * layer].weight.grad.std().item() for layer in range(5)]
    assert reference == pytest.approx(stats.gradient_std, rel=1e-5)


def test_layer_statistics_show_vanishing_and_stable_regimes():
    small = layer_statistics("tanh", 0.01, depth=20, width=128)
    he = layer_statistics("relu", "he", depth=20, width=128)
    xavier = layer_statistics("tanh", "xavier", depth=20, width=128)
    assert small.activation_std[-1] < 1e-12 and small.gradient_std[0] < 1e-12
    assert 0.1 < he.activation_std[-1] < 10
    assert 0.05 < xavier.activation_std[-1] < 1
    assert LayerStatistics("tanh", 0.01, [], []).label == "tanh, std=0.01"


def test_plot_layer_statistics():
    results = [layer_statistics("tanh", init, depth=4, width=16) for init in (0.01, "he")]
    figure = plot_layer_statistics(results)
    assert len(figure.axes) == 2
    assert all(axes.get_yscale() == "log" for axes in figure.axes)
    assert all(len(axes.lines) == 2 for axes in figure.axes)
    assert "标准差" in figure.get_label()
    assert [line.get_label() for line in figure.axes[0].lines] == ["tanh, std=0.01", "tanh, He"]


@settings(deadline=None)
@given(st.integers(1, 4), st.floats(0.01, 100.0), st.integers(0, 1000))
def test_clip_grad_norm_matches_pytorch(n_tensors, max_norm, seed):
    generator = torch.Generator().manual_seed(seed)
    ours = [torch.zeros(3, 2, requires_grad=True) for _ in range(n_tensors)]
    theirs = [torch.zeros(3, 2, requires_grad=True) for _ in range(n_tensors)]
    for a, b in zip(ours, theirs):
        a.grad = torch.randn(3, 2, generator=generator) * 10
        b.grad = a.grad.clone()
    before = clip_grad_norm(ours, max_norm)
    reference = torch.nn.utils.clip_grad_norm_(theirs, max_norm)
    assert before == pytest.approx(reference.item(), rel=1e-5)
    for a, b in zip(ours, theirs):
        assert torch.allclose(a.grad, b.grad, rtol=1e-5, atol=1e-7)
    after = math.sqrt(sum((a.grad**2).sum().item() for a in ours))
    assert after <= max_norm * (1 + 1e-5) or after == pytest.approx(before)


def test_clip_grad_norm_leaves_small_gradients_alone():
    w = torch.zeros(2, requires_grad=True)
    w.grad = torch.tensor([0.3, 0.4])
    assert clip_grad_norm([w], max_norm=1.0) == pytest.approx(0.5)
    assert torch.equal(w.grad, torch.tensor([0.3, 0.4]))


def test_init_schemes_constant():
    assert INIT_SCHEMES == ("lecun", "xavier", "he")


# ----- 错误的输入 -----


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        (("kaiming", 4, 4), ValueError, "未知的初始化方案 'kaiming'"),
        ((0.0, 4, 4), ValueError, "全零初始化"),
        ((-0.1, 4, 4), ValueError, "不小于 0"),
        ((None, 4, 4), TypeError, "应为实数"),
        (("he", 0, 4), ValueError, "fan_in 应为正整数"),
        (("he", 4, 2.0), TypeError, "fan_out 应为正整数.*float"),
    ],
)
def test_bad_init_std_arguments(args, error, message):
    with pytest.raises(error, match=message):
        init_std(*args)


def test_other_bad_arguments():
    with pytest.raises(ValueError, match="参数 activation 应为 'tanh' 或 'relu'，实际得到 'sigmoid'"):
        make_deep_mlp(2, 4, "sigmoid", "he")
    with pytest.raises(ValueError, match="depth 应为正整数"):
        make_deep_mlp(0, 4, "relu", "he")
    with pytest.raises(ValueError, match="batch_size 应为正整数"):
        layer_statistics("relu", "he", depth=2, width=4, batch_size=0)
    with pytest.raises(ValueError, match="二维张量"):
        count_distinct_rows(torch.zeros(3))
    with pytest.raises(TypeError, match="浮点张量"):
        count_distinct_rows(torch.zeros(2, 2, dtype=torch.int64))
    with pytest.raises(ValueError, match="steps 应为正整数"):
        train_with_constant_init(0.1, steps=0)
    with pytest.raises(TypeError, match="value 应为实数"):
        train_with_constant_init("0.1")
    with pytest.raises(ValueError, match="n_matrices 应为正整数"):
        random_matrix_product(0, 3)
    with pytest.raises(ValueError, match=r"start 的形状应为 \(3, k\)"):
        random_matrix_product(2, 3, start=torch.ones(2, 1))


def test_bad_clip_and_plot_arguments():
    w = torch.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="没有任何梯度"):
        clip_grad_norm([w], 1.0)
    w.grad = torch.ones(2)
    with pytest.raises(ValueError, match="max_norm 应不小于 0"):
        clip_grad_norm([w], -1.0)
    with pytest.raises(TypeError, match="应为 torch.Tensor"):
        clip_grad_norm([w, "w"], 1.0)
    with pytest.raises(ValueError, match="不能为空"):
        plot_layer_statistics([])
    with pytest.raises(TypeError, match="LayerStatistics 组成的列表"):
        plot_layer_statistics(layer_statistics("relu", "he", depth=1, width=2))
    with pytest.raises(TypeError, match="每个元素"):
        plot_layer_statistics([1, 2])
