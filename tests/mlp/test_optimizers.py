"""lessons_src/mlp/optimizers.py 的测试；页面见 docs/mlp/optimizers.md。"""

import copy
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.optim import lr_scheduler

from lessons_src.linear_networks.image_classification_dataset import digits_loaders
from lessons_src.linear_networks.softmax_regression import SGDScratch, fit, train_epoch
from lessons_src.mlp.optimizers import (
    AdamScratch,
    AdamWScratch,
    SGDMomentumScratch,
    cosine_lr,
    fit_with_scheduler,
    plot_curves,
    step_lr,
    warmup_cosine_lr,
)


def train_both(make_scratch, make_torch, *, num_steps=20, dtype=torch.float64, seed=0):
    """同一个小网络的两份拷贝分别用从零实现和 torch.optim 训练，返回两份参数。"""
    torch.manual_seed(seed)
    X, y = torch.randn(24, 5, dtype=dtype), torch.randint(0, 3, (24,))
    net = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3)).to(dtype)
    twin = copy.deepcopy(net)
    updaters = [(net, make_scratch(net.parameters())), (twin, make_torch(twin.parameters()))]
    for _ in range(num_steps):
        for model, updater in updaters:
            updater.zero_grad()
            nn.functional.cross_entropy(model(X), y).backward()
            updater.step()
    return list(net.parameters()), list(twin.parameters())


def assert_same(make_scratch, make_torch, **kwargs):
    mine, theirs = train_both(make_scratch, make_torch, **kwargs)
    for a, b in zip(mine, theirs):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    "hyper",
    [dict(lr=0.1, momentum=0.9), dict(lr=0.05, momentum=0.0), dict(lr=0.2, momentum=0.5, weight_decay=0.1)],
)
def test_momentum_equals_torch_sgd(hyper):
    assert_same(lambda p: SGDMomentumScratch(p, **hyper), lambda p: torch.optim.SGD(p, **hyper))


ADAM_SETTINGS = [
    dict(),
    dict(lr=0.01, weight_decay=0.05),
    dict(lr=0.03, betas=(0.5, 0.9), eps=1e-6),
    dict(lr=0.02, betas=(0.0, 0.99), weight_decay=0.5),
]


@pytest.mark.parametrize("hyper", ADAM_SETTINGS)
def test_adam_equals_torch_adam(hyper):
    assert_same(lambda p: AdamScratch(p, **hyper), lambda p: torch.optim.Adam(p, **hyper))


@pytest.mark.parametrize("hyper", [*ADAM_SETTINGS, dict(lr=0.05, weight_decay=0.0)])
def test_adamw_equals_torch_adamw(hyper):
    assert_same(lambda p: AdamWScratch(p, **hyper), lambda p: torch.optim.AdamW(p, **hyper))


def test_float32_agrees_to_rounding():
    mine, theirs = train_both(
        lambda p: AdamWScratch(p, lr=0.01, weight_decay=0.1),
        lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1),
        dtype=torch.float32,
    )
    assert max((a - b).abs().max().item() for a, b in zip(mine, theirs)) < 1e-5


@settings(deadline=None, max_examples=20)
@given(
    lr=st.floats(1e-4, 0.1),
    beta1=st.floats(0.0, 0.99),
    beta2=st.floats(0.5, 0.9999),
    weight_decay=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**16),
)
def test_adam_and_adamw_match_torch_for_random_hyper_parameters(lr, beta1, beta2, weight_decay, seed):
    hyper = dict(lr=lr, betas=(beta1, beta2), weight_decay=weight_decay)
    assert_same(lambda p: AdamScratch(p, **hyper), lambda p: torch.optim.Adam(p, **hyper), num_steps=5, seed=seed)
    assert_same(lambda p: AdamWScratch(p, **hyper), lambda p: torch.optim.AdamW(p, **hyper), num_steps=5, seed=seed)


def test_scratch_optimizers_reuse_sgd_scratch():
    # zero_grad() 与参数、学习率的检查都来自 SGDScratch，只有 step() 是新的
    for kind in (SGDMomentumScratch, AdamScratch, AdamWScratch):
        assert issubclass(kind, SGDScratch)
        assert kind.zero_grad is SGDScratch.zero_grad
    assert AdamWScratch.step is AdamScratch.step


def test_parameters_without_gradient_are_skipped_like_torch():
    a = torch.ones(2, dtype=torch.float64, requires_grad=True)
    b = torch.ones(2, dtype=torch.float64, requires_grad=True)
    a2, b2 = a.detach().clone().requires_grad_(True), b.detach().clone().requires_grad_(True)
    mine, theirs = AdamWScratch([a, b], lr=0.1), torch.optim.AdamW([a2, b2], lr=0.1)
    for step in range(4):
        for updater, x, y in ((mine, a, b), (theirs, a2, b2)):
            updater.zero_grad()
            loss = (x**2).sum() + ((y**2).sum() if step % 2 else 0.0)  # b 每隔一步才有梯度
            loss.backward()
            updater.step()
    torch.testing.assert_close(a, a2)
    torch.testing.assert_close(b, b2)


def test_adam_first_step_is_lr_whatever_the_gradient_scale():
    for scale in (1e-4, 1.0, 1e4):
        w = torch.zeros(3, dtype=torch.float64, requires_grad=True)
        updater = AdamScratch([w], lr=0.01)
        g = scale * torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64)
        (g * w).sum().backward()
        updater.step()
        torch.testing.assert_close(w.detach(), -0.01 * g / (g.abs() + 1e-8))  # 约为 -0.01·sign(g)
        assert torch.allclose(w.detach().abs(), torch.full((3,), 0.01, dtype=torch.float64), rtol=1e-3)


def test_adam_l2_decay_is_rescaled_but_adamw_decay_is_not():
    # 只有衰减（梯度为 0）：Adam(weight_decay) 每个分量走约 lr，AdamW 按比例缩小
    results = {}
    for kind in (AdamScratch, AdamWScratch):
        w = torch.tensor([10.0, 0.1], requires_grad=True)
        updater = kind([w], lr=0.1, weight_decay=0.01)
        (0 * w).sum().backward()
        updater.step()
        results[kind] = w.detach()
    torch.testing.assert_close(results[AdamScratch], torch.tensor([9.9, 0.0]), atol=1e-5, rtol=0)
    torch.testing.assert_close(results[AdamWScratch], torch.tensor([9.99, 0.0999]))


def test_scratch_optimizers_work_with_train_epoch_and_fit():
    train_iter, test_iter = digits_loaders(batch_size=128)
    for kind in (SGDMomentumScratch, AdamScratch, AdamWScratch):
        torch.manual_seed(0)
        net = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
        lr = 0.1 if kind is SGDMomentumScratch else 0.01
        loss, acc = train_epoch(net, train_iter, nn.CrossEntropyLoss(), kind(net.parameters(), lr=lr))
        assert math.isfinite(loss) and 0 <= acc <= 1
        history = fit(net, train_iter, test_iter, nn.CrossEntropyLoss(), kind(net.parameters(), lr=lr), 2,
                      progress=False)
        assert history.test_acc[-1] > 0.8


def torch_lrs(make_scheduler, num_steps, base_lr):
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base_lr)
    scheduler = make_scheduler(optimizer)
    lrs = []
    for _ in range(num_steps + 1):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return lrs


@pytest.mark.parametrize(("step_size", "gamma", "base_lr"), [(1, 0.5, 1.0), (3, 0.1, 0.05), (7, 0.9, 2.0)])
def test_step_lr_equals_torch(step_size, gamma, base_lr):
    expected = torch_lrs(lambda o: lr_scheduler.StepLR(o, step_size=step_size, gamma=gamma), 30, base_lr)
    assert [step_lr(t, base_lr, step_size, gamma) for t in range(31)] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("T_max", "eta_min", "base_lr"), [(10, 0.0, 0.1), (25, 0.001, 0.5), (1, 0.2, 1.0)])
def test_cosine_lr_equals_torch(T_max, eta_min, base_lr):
    expected = torch_lrs(lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=T_max, eta_min=eta_min), T_max, base_lr)
    got = [cosine_lr(t, base_lr, T_max, eta_min) for t in range(T_max + 1)]
    assert got == pytest.approx(expected, rel=1e-10, abs=1e-14)
    assert got[0] == base_lr and got[-1] == pytest.approx(eta_min, abs=1e-15)


@pytest.mark.parametrize(
    ("warmup", "total", "start_factor", "eta_min"), [(5, 20, 0.1, 0.0), (1, 4, 0.5, 0.01), (10, 11, 0.01, 0.0)]
)
def test_warmup_cosine_lr_equals_torch_sequential_lr(warmup, total, start_factor, eta_min):
    def make(optimizer):
        return lr_scheduler.SequentialLR(
            optimizer,
            [
                lr_scheduler.LinearLR(optimizer, start_factor=start_factor, total_iters=warmup),
                lr_scheduler.CosineAnnealingLR(optimizer, T_max=total - warmup, eta_min=eta_min),
            ],
            milestones=[warmup],
        )

    expected = torch_lrs(make, total, 0.3)
    got = [warmup_cosine_lr(t, 0.3, warmup, total, start_factor, eta_min) for t in range(total + 1)]
    assert got == pytest.approx(expected, rel=1e-10, abs=1e-14)
    assert got[warmup] == pytest.approx(0.3)


def test_fit_with_scheduler_steps_once_per_epoch_without_warning(recwarn):
    train_iter, test_iter = digits_loaders(batch_size=256)
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
    optimizer = torch.optim.SGD(net.parameters(), lr=0.4)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    history = fit_with_scheduler(net, train_iter, test_iter, nn.CrossEntropyLoss(), optimizer, 5, scheduler)
    assert history.lr == pytest.approx([step_lr(t, 0.4, 2, 0.5) for t in range(5)])
    assert set(history.metrics) == {"train_loss", "test_acc", "lr", "seconds"}
    assert not [w for w in recwarn if "lr_scheduler.step()" in str(w.message)]
    plain = fit_with_scheduler(net, train_iter, test_iter, nn.CrossEntropyLoss(), optimizer, 1)
    assert plain.lr == [optimizer.param_groups[0]["lr"]]


def test_plot_curves():
    figure = plot_curves({"a": [1.0, 0.5, 0.2], "b": [0.9, 0.1, 0.01]}, logy=True, start=0, title="两条曲线")
    axes = figure.axes[0]
    assert [line.get_label() for line in axes.lines] == ["a", "b"]
    assert list(axes.lines[0].get_xdata()) == [0, 1, 2]
    assert axes.get_yscale() == "log" and figure.get_label() == "两条曲线"


# ---- 错误的输入 ----


def w():
    return [torch.zeros(2, requires_grad=True)]


@pytest.mark.parametrize("kind", [SGDMomentumScratch, AdamScratch, AdamWScratch])
def test_bad_params_and_lr(kind):
    with pytest.raises(ValueError, match="没有任何张量"):
        kind([], lr=0.1)
    with pytest.raises(TypeError, match="由张量组成的列表"):
        kind(torch.zeros(2), lr=0.1)
    with pytest.raises(TypeError, match=r"params\[1\]"):
        kind([torch.zeros(1), [1.0]], lr=0.1)
    with pytest.raises(TypeError, match="浮点张量"):
        kind([torch.zeros(2, dtype=torch.int64)], lr=0.1)
    for lr in (0.0, -0.1):
        with pytest.raises(ValueError, match="lr"):
            kind(w(), lr=lr)


def test_bad_momentum_and_weight_decay():
    with pytest.raises(ValueError, match=r"momentum.*\[0, 1\)"):
        SGDMomentumScratch(w(), lr=0.1, momentum=1.0)
    with pytest.raises(ValueError, match="momentum"):
        SGDMomentumScratch(w(), lr=0.1, momentum=-0.1)
    with pytest.raises(TypeError, match="momentum"):
        SGDMomentumScratch(w(), lr=0.1, momentum="0.9")
    with pytest.raises(ValueError, match="weight_decay"):
        SGDMomentumScratch(w(), lr=0.1, weight_decay=-1e-3)


@pytest.mark.parametrize("kind", [AdamScratch, AdamWScratch])
def test_bad_adam_arguments(kind):
    for betas in ((1.0, 0.999), (0.9, 1.0), (-0.1, 0.9)):
        with pytest.raises(ValueError, match=r"betas\[[01]\].*\[0, 1\)"):
            kind(w(), betas=betas)
    for betas in (0.9, (0.9,), (0.9, 0.99, 0.999)):
        with pytest.raises(TypeError, match="betas 应为两个数组成的元组"):
            kind(w(), betas=betas)
    with pytest.raises(ValueError, match="eps"):
        kind(w(), eps=0.0)
    with pytest.raises(ValueError, match="weight_decay"):
        kind(w(), weight_decay=-0.01)


def test_bad_schedule_arguments():
    with pytest.raises(ValueError, match="步数"):
        step_lr(-1, 0.1, 5)
    with pytest.raises(TypeError, match="t"):
        cosine_lr(1.5, 0.1, 10)
    with pytest.raises(ValueError, match="base_lr"):
        cosine_lr(0, 0.0, 10)
    with pytest.raises(ValueError, match="step_size"):
        step_lr(3, 0.1, 0)
    with pytest.raises(ValueError, match="T_max"):
        cosine_lr(3, 0.1, 0)
    with pytest.raises(ValueError, match="total_steps - warmup_steps"):
        warmup_cosine_lr(0, 0.1, warmup_steps=10, total_steps=10)
    with pytest.raises(ValueError, match="warmup_steps"):
        warmup_cosine_lr(0, 0.1, warmup_steps=0, total_steps=10)


def test_bad_fit_with_scheduler_arguments():
    train_iter, test_iter = digits_loaders(batch_size=256)
    net = nn.Linear(64, 10)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    other = torch.optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="num_epochs"):
        fit_with_scheduler(net, train_iter, test_iter, nn.CrossEntropyLoss(), optimizer, 0)
    with pytest.raises(TypeError, match="scheduler"):
        fit_with_scheduler(net, train_iter, test_iter, nn.CrossEntropyLoss(), optimizer, 1, scheduler="cosine")
    with pytest.raises(ValueError, match="另一个优化器"):
        fit_with_scheduler(net, train_iter, test_iter, nn.CrossEntropyLoss(), optimizer, 1,
                           lr_scheduler.StepLR(other, step_size=1))


def test_bad_plot_curves_arguments():
    with pytest.raises(ValueError, match="非空的字典"):
        plot_curves({})
    with pytest.raises(TypeError, match="非空的数列"):
        plot_curves({"a": []})
    with pytest.raises(TypeError, match="非空的数列"):
        plot_curves({"a": 1.0})
