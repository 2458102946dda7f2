"""lessons_src/workflow/speed.py 的测试；页面见 docs/workflow/speed.md。"""

import pickle
import time

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader

from lessons_src.workflow.speed import (
    EncodedDigits,
    Timing,
    measure,
    train_epoch_loss,
    train_step,
)


class FakeClock:
    """假时钟：第 k 次被读取后，时间前进 steps[k] 秒。"""

    def __init__(self, steps):
        self.steps = list(steps)
        self.now = 0.0

    def __call__(self):
        value = self.now
        if self.steps:
            self.now += self.steps.pop(0)
        return value


# ---------------------------------------------------------------- Timing


def test_timing_median_and_min():
    assert Timing((3.0, 1.0, 2.0)).median == 2.0
    assert Timing((4.0, 1.0, 3.0, 2.0)).median == 2.5  # 偶数个取中间两个的平均
    assert Timing((0.5,)).median == Timing((0.5,)).min == 0.5
    assert Timing((0.2, 9.0, 0.1)).min == 0.1
    assert Timing((1, 2, 3)).samples == (1.0, 2.0, 3.0)


def test_timing_median_ignores_one_slow_outlier():
    timing = Timing((0.010, 0.011, 0.009, 5.0, 0.010))
    assert timing.median == 0.010
    assert sum(timing.samples) / 5 > 1.0  # 平均值被一次慢的结果拖了上去


@pytest.mark.parametrize(
    ("samples", "error", "match"),
    [
        ((), ValueError, "不能为空"),
        ((1.0, -0.5), ValueError, "非负"),
        ((float("nan"),), ValueError, "有限"),
        ((1.0, "2"), TypeError, "秒数"),
        ((True,), TypeError, "秒数"),
    ],
)
def test_timing_rejects_bad_samples(samples, error, match):
    with pytest.raises(error, match=match):
        Timing(samples)


# ---------------------------------------------------------------- measure


def test_measure_with_fake_clock_divides_by_number():
    calls = []
    # 每轮读两次时钟：开始时前进 0.6 秒（这一轮 3 次调用共 0.6 秒），结束时前进 0
    clock = FakeClock([0.6, 0.0, 0.3, 0.0, 0.9, 0.0])
    timing = measure(lambda: calls.append(1), repeat=3, number=3, warmup=2, clock=clock)
    assert len(calls) == 2 + 3 * 3
    assert timing.samples == pytest.approx((0.2, 0.1, 0.3))
    assert timing.median == pytest.approx(0.2)
    assert timing.min == pytest.approx(0.1)


def test_measure_warmup_is_not_timed():
    calls = []
    clock = FakeClock([1.0, 0.0])
    measure(lambda: calls.append(1), repeat=1, warmup=0, clock=clock)
    assert len(calls) == 1


def test_measure_sleep_gives_plausible_median():
    timing = measure(lambda: time.sleep(0.02), repeat=3, warmup=0)
    assert len(timing.samples) == 3
    assert 0.0199 <= timing.min <= timing.median < 1.0


def test_measure_does_not_synchronize_for_cpu(monkeypatch):
    def fail(*args):
        raise AssertionError("CPU 上不应同步")

    monkeypatch.setattr(torch.cuda, "synchronize", fail)
    measure(lambda: None, repeat=2, device="cpu")
    measure(lambda: None, repeat=2, device=torch.device("cpu"))


def test_measure_synchronizes_before_reading_the_clock_on_cuda(monkeypatch):
    events = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "synchronize", lambda device=None: events.append(("sync", device)))

    def clock():
        events.append("clock")
        return 0.0

    measure(lambda: events.append("fn"), repeat=2, number=2, warmup=1, device="cuda:0", clock=clock)
    sync = ("sync", torch.device("cuda:0"))
    one_round = [sync, "clock", "fn", "fn", sync, "clock"]
    assert events == ["fn", *one_round, *one_round]


def test_measure_device_none_synchronizes_when_cuda_is_available(monkeypatch):
    events = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "synchronize", lambda device=None: events.append("sync"))
    measure(lambda: None, repeat=3, warmup=0)
    assert events == ["sync"] * 6


def test_measure_cuda_device_without_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="没有可用的 CUDA GPU"):
        measure(lambda: None, device="cuda")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"fn": 42}, TypeError, "参数 fn 应为不带参数的函数"),
        ({"repeat": 0}, ValueError, "参数 repeat 应为正整数"),
        ({"repeat": 2.0}, TypeError, "参数 repeat 应为正整数"),
        ({"number": 0}, ValueError, "参数 number 应为正整数"),
        ({"warmup": -1}, ValueError, "参数 warmup 应为不小于 0 的整数"),
        ({"warmup": True}, TypeError, "参数 warmup 应为整数"),
        ({"clock": 1.0}, TypeError, "参数 clock 应为返回秒数的函数"),
        ({"device": 0}, TypeError, "参数 device 应为"),
        ({"device": "gpu"}, ValueError, "不是合法的设备名"),
    ],
)
def test_measure_rejects_bad_arguments(kwargs, error, match):
    arguments = {"fn": lambda: None, **kwargs}
    fn = arguments.pop("fn")
    with pytest.raises(error, match=match):
        measure(fn, **arguments)


def test_measure_rejects_bad_arguments_before_calling_fn():
    calls = []
    with pytest.raises(ValueError):
        measure(lambda: calls.append(1), repeat=0)
    assert calls == []


# ---------------------------------------------------------------- train_step / train_epoch_loss


def _model_and_batches(seed=0):
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Flatten(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 3))
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    generator = torch.Generator().manual_seed(1)
    batches = [(torch.rand(n, 1, 4, 4, generator=generator), torch.randint(0, 3, (n,), generator=generator))
               for n in (8, 8, 5)]
    return net, optimizer, batches


def test_train_step_updates_parameters_and_returns_detached_loss():
    net, optimizer, batches = _model_and_batches()
    before = [p.clone() for p in net.parameters()]
    X, y = batches[0]
    expected = nn.CrossEntropyLoss()(net(X), y).item()
    loss = train_step(net, nn.CrossEntropyLoss(), optimizer, X, y)
    assert loss.item() == pytest.approx(expected)
    assert not loss.requires_grad
    assert any(not torch.equal(a, b) for a, b in zip(before, net.parameters()))


def test_train_epoch_loss_is_sample_weighted_mean_and_same_both_ways():
    results = []
    for item_every_step in (True, False):
        net, optimizer, batches = _model_and_batches()
        # 手工重复同样的训练，记录每一步的损失
        reference_net, reference_optimizer, _ = _model_and_batches()
        losses = [train_step(reference_net, nn.CrossEntropyLoss(), reference_optimizer, X, y).item() * len(y)
                  for X, y in batches]
        loss = train_epoch_loss(net, batches, nn.CrossEntropyLoss(), optimizer, item_every_step=item_every_step)
        assert isinstance(loss, float)
        assert loss == pytest.approx(sum(losses) / 21, rel=1e-6)
        results.append(loss)
    assert results[0] == pytest.approx(results[1], rel=1e-6)


def test_train_epoch_loss_switches_to_training_mode():
    net, optimizer, batches = _model_and_batches()
    net.eval()
    train_epoch_loss(net, batches, nn.CrossEntropyLoss(), optimizer)
    assert net.training


def test_train_epoch_loss_bad_input():
    net, optimizer, batches = _model_and_batches()
    loss_fn = nn.CrossEntropyLoss()
    with pytest.raises(ValueError, match="没有样本"):
        train_epoch_loss(net, [], loss_fn, optimizer)
    with pytest.raises(TypeError, match="nn.Module"):
        train_epoch_loss(nn.Sequential, batches, loss_fn, optimizer)
    with pytest.raises(TypeError, match="optimizer"):
        train_epoch_loss(net, batches, loss_fn, "sgd")
    with pytest.raises(TypeError, match="item_every_step"):
        train_epoch_loss(net, batches, loss_fn, optimizer, item_every_step=1)


# ---------------------------------------------------------------- EncodedDigits


def _images(n=6, seed=0):
    return torch.rand(n, 1, 8, 8, generator=torch.Generator().manual_seed(seed))


def test_encoded_digits_decodes_to_quantized_upsampled_image():
    images = _images()
    dataset = EncodedDigits(images, torch.arange(6), size=8)
    X, y = dataset[3]
    assert X.shape == (1, 8, 8) and X.dtype == torch.float32
    assert int(y) == 3
    # size 等于原尺寸时插值不改变数值，只剩 0–255 量化带来的误差
    assert torch.allclose(X, images[3], atol=0.5 / 255 + 1e-6)
    big, _ = EncodedDigits(images, torch.arange(6), size=32)[3]
    assert big.shape == (1, 32, 32)
    assert 0 <= float(big.min()) and float(big.max()) <= 1


def test_encoded_digits_indexing():
    dataset = EncodedDigits(_images(), torch.arange(6))
    assert len(dataset) == 6
    assert int(dataset[-1][1]) == 5
    with pytest.raises(IndexError, match="超出范围"):
        dataset[6]
    with pytest.raises(IndexError):
        dataset[-7]


def test_encoded_digits_delay_is_waited():
    dataset = EncodedDigits(_images(2), torch.arange(2), delay=0.01)
    start = time.perf_counter()
    dataset[0]
    assert time.perf_counter() - start >= 0.0099


def test_encoded_digits_survives_pickle_like_spawned_workers_need():
    dataset = EncodedDigits(_images(), torch.arange(6), size=12)
    clone = pickle.loads(pickle.dumps(dataset))
    assert type(clone) is EncodedDigits
    for index in range(len(dataset)):
        assert torch.equal(clone[index][0], dataset[index][0])


def test_encoded_digits_same_batches_with_workers():
    dataset = EncodedDigits(_images(20), torch.arange(20) % 10, size=16)
    single = list(DataLoader(dataset, batch_size=4))
    parallel = list(DataLoader(dataset, batch_size=4, num_workers=1))
    assert len(single) == len(parallel) == 5
    for (X0, y0), (X1, y1) in zip(single, parallel):
        assert torch.equal(X0, X1) and torch.equal(y0, y1)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        (([[0.0]], torch.arange(1)), {}, TypeError, "images 应为 torch.Tensor"),
        ((torch.zeros(2, 1, 8, 8, dtype=torch.int64), torch.arange(2)), {}, TypeError, "浮点"),
        ((torch.zeros(2, 8, 8), torch.arange(2)), {}, ValueError, r"\(n, 1, h, w\)"),
        ((torch.zeros(2, 3, 8, 8), torch.arange(2)), {}, ValueError, r"\(n, 1, h, w\)"),
        ((torch.zeros(2, 1, 8, 8), torch.arange(3)), {}, ValueError, "labels 应为形状"),
        ((torch.zeros(2, 1, 8, 8), torch.zeros(2)), {}, ValueError, "整数张量"),
        ((torch.full((2, 1, 8, 8), 16.0), torch.arange(2)), {}, ValueError, r"\[0, 1\]"),
        ((torch.zeros(2, 1, 8, 8), torch.arange(2)), {"size": 0}, ValueError, "size"),
        ((torch.zeros(2, 1, 8, 8), torch.arange(2)), {"delay": -0.1}, ValueError, "delay"),
        ((torch.zeros(2, 1, 8, 8), torch.arange(2)), {"delay": "1"}, TypeError, "delay"),
    ],
)
def test_encoded_digits_rejects_bad_input(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        EncodedDigits(*args, **kwargs)
