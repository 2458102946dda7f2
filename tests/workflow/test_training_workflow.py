"""lessons_src/workflow/training_workflow.py 的测试；页面见 docs/workflow/training-workflow.md。"""

import copy
import math

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import lessons_src.workflow.training_workflow as workflow
from lessons_src.cnn.lenet import count_parameters
from lessons_src.linear_networks.softmax_regression import History, train_epoch
from lessons_src.mlp.early_stopping import plot_early_stopping
from lessons_src.workflow.training_workflow import (
    Config,
    initialize_weights,
    layer_weights,
    load_checkpoint,
    make_scheduler,
    plot_lr_schedules,
    plot_weight_histograms,
    predict,
    small_cnn,
    train_with_checkpoint,
    validate,
)


def _images(n=48, seed=0, batch_size=16, shuffle=False):
    generator = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 1, 8, 8, generator=generator)
    y = torch.randint(0, 10, (n,), generator=generator)
    return DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=shuffle)


def _net(seed=0):
    torch.manual_seed(seed)
    net = small_cnn()
    net.apply(initialize_weights)
    return net


def _state(net):
    return {name: value.clone() for name, value in net.state_dict().items()}


def _same_state(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


class ModeRecorder(nn.Module):
    """记录每次前向传播时的模式和是否在记录梯度；带一个批量规范化层，好检查移动平均是否被改动。"""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(64, 10), nn.BatchNorm1d(10))
        self.calls = []

    def forward(self, X):
        self.calls.append((self.training, torch.is_grad_enabled()))
        return self.net(X)


# ----- Config -----


def test_config_defaults_and_immutability():
    config = Config()
    assert (config.batch_size, config.lr, config.num_epochs, config.seed) == (64, 3e-3, 10, 0)
    assert config.scheduler == "none"  # 默认不调度，学习率不变
    assert isinstance(config.device, torch.device)
    with pytest.raises(AttributeError):
        config.lr = 0.1


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"num_epochs": 2.0}, TypeError, "num_epochs"),
        ({"lr": -1e-3}, ValueError, "lr 应为正数"),
        ({"seed": -1}, ValueError, "seed"),
        ({"lr": "0.1"}, TypeError, "lr 应为实数"),
        ({"val_fraction": 0.5, "test_fraction": 0.5}, ValueError, "之和应小于 1"),
        ({"test_fraction": 0}, ValueError, r"test_fraction 应在 \(0, 1\) 内"),
        ({"val_fraction": 1.2}, ValueError, r"val_fraction 应在 \(0, 1\) 内"),
        ({"device": "cpu"}, TypeError, "参数 device 应为 torch.device"),
        ({"scheduler": "linear"}, ValueError, "scheduler 应为 'none' 或 'step' 或 'cosine'"),
        ({"scheduler": None}, ValueError, "scheduler"),
    ],
)
def test_config_rejects_bad_values(kwargs, error, match):
    with pytest.raises(error, match=match):
        Config(**kwargs)


# ----- small_cnn / initialize_weights -----


def test_small_cnn_shapes_and_parameter_count():
    net = small_cnn()
    assert net(torch.zeros(3, 1, 8, 8)).shape == (3, 10)
    assert count_parameters(net) == 16 * 9 + 32 + 32 * 16 * 9 + 64 + 512 * 10 + 10 == 9978
    assert all(layer.bias is None for layer in net if isinstance(layer, nn.Conv2d))
    assert small_cnn(3)(torch.zeros(1, 1, 8, 8)).shape == (1, 3)
    with pytest.raises(ValueError, match="num_classes"):
        small_cnn(0)


def test_initialize_weights_follows_the_rules():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(64, 64, 3), nn.BatchNorm2d(64), nn.ReLU(), nn.Flatten(), nn.Linear(1000, 500))
    with torch.no_grad():
        net[1].weight.fill_(5.0)
        net[1].bias.fill_(5.0)
    net.apply(initialize_weights)
    conv, bn, linear = net[0], net[1], net[4]
    assert conv.weight.std().item() == pytest.approx(math.sqrt(2 / (64 * 9)), rel=0.02)
    assert torch.equal(conv.bias.detach(), torch.zeros(64))
    assert torch.equal(bn.weight.detach(), torch.ones(64)) and torch.equal(bn.bias.detach(), torch.zeros(64))
    assert linear.weight.std().item() == pytest.approx(0.01, rel=0.02)
    assert abs(linear.weight.mean().item()) < 1e-3  # 均值是 0，不是 0.1
    assert torch.equal(linear.bias.detach(), torch.zeros(500))
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in net.parameters())


def test_initialize_weights_skips_batch_norm_without_parameters():
    net = nn.Sequential(nn.BatchNorm2d(4, affine=False), nn.ReLU())
    net.apply(initialize_weights)  # 没有拉伸和偏移参数，也不应出错
    assert net[0].weight is None


def test_initialize_weights_rejects_non_modules():
    with pytest.raises(TypeError, match="nn.Module"):
        initialize_weights(torch.zeros(3))


def test_equal_conv_weights_stay_equal_but_random_ones_differ():
    loader = _images(n=64, batch_size=16)
    symmetric = _net()
    for layer in symmetric:
        if isinstance(layer, nn.Conv2d):
            nn.init.constant_(layer.weight, 0.1)
    random = _net()
    for net in (symmetric, random):
        train_epoch(net, loader, nn.CrossEntropyLoss(), torch.optim.Adam(net.parameters(), lr=1e-2))
    W = symmetric[0].weight.detach()
    assert torch.equal(W, W[:1].expand_as(W))  # 16 个卷积核训练后仍然相同
    assert not torch.equal(W, torch.full_like(W, 0.1))  # 而且确实被更新过
    W = random[0].weight.detach()
    assert all(not torch.equal(W[0], W[i]) for i in range(1, 16))


def test_all_zero_conv_weights_never_move():
    net = _net()
    for layer in net:
        if isinstance(layer, nn.Conv2d):
            nn.init.zeros_(layer.weight)
    train_epoch(net, _images(), nn.CrossEntropyLoss(), torch.optim.Adam(net.parameters(), lr=1e-2))
    assert all((layer.weight == 0).all() for layer in net if isinstance(layer, nn.Conv2d))


# ----- validate / predict -----


def test_validate_is_the_per_sample_mean_over_the_whole_loader():
    loader = _images(n=50, batch_size=16)  # 末批只有 2 个样本
    net = _net()
    X, y = loader.dataset.tensors
    net.eval()
    with torch.no_grad():
        logits = net(X)
    net.train()
    loss, acc = validate(net, loader, nn.CrossEntropyLoss())
    assert loss == pytest.approx(nn.functional.cross_entropy(logits, y).item(), rel=1e-5)
    assert acc == pytest.approx((logits.argmax(dim=1) == y).float().mean().item())


def test_validate_uses_eval_mode_no_grad_and_changes_nothing():
    model = ModeRecorder()
    model.train()
    before = _state(model)
    validate(model, _images(), nn.CrossEntropyLoss())
    assert model.calls and all(call == (False, False) for call in model.calls)  # eval 模式，不记录梯度
    assert _same_state(before, model.state_dict())  # 参数和批量规范化的移动平均都没变
    assert all(p.grad is None for p in model.parameters())
    assert model.training  # 恢复了原来的模式
    model.eval()
    validate(model, _images(), nn.CrossEntropyLoss())
    assert not model.training


def test_validate_restores_the_mode_even_when_the_loss_fails():
    model = ModeRecorder()

    def broken_loss(y_hat, y):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        validate(model, _images(), broken_loss)
    assert model.training and torch.is_grad_enabled()


def test_predict_restores_the_mode_even_when_the_model_fails():
    class Broken(ModeRecorder):
        def forward(self, X):
            raise RuntimeError("forward failed")

    model = Broken()
    with pytest.raises(RuntimeError, match="forward failed"):
        predict(model, _images())
    assert model.training and torch.is_grad_enabled()


@pytest.mark.parametrize("function", [validate, predict])
def test_evaluation_rejects_empty_loaders(function):
    empty = DataLoader(TensorDataset(torch.zeros(0, 1, 8, 8), torch.zeros(0, dtype=torch.long)), batch_size=4)
    args = (nn.CrossEntropyLoss(),) if function is validate else ()
    with pytest.raises(ValueError, match="没有样本"):
        function(_net(), empty, *args)
    with pytest.raises(ValueError, match="没有样本"):
        function(_net(), iter([]), *args)  # 没有长度的可迭代对象，遍历完才发现是空的


def test_predict_returns_labels_and_argmax_in_order():
    loader = _images(n=40, batch_size=16)
    net = _net()
    y_true, y_pred = predict(net, loader)
    X, y = loader.dataset.tensors
    net.eval()
    with torch.no_grad():
        expected = net(X).argmax(dim=1)
    assert torch.equal(y_true, y) and torch.equal(y_pred, expected)
    assert y_pred.dtype == torch.int64 and y_pred.device.type == "cpu"
    _, acc = validate(net, loader, nn.CrossEntropyLoss())
    assert (y_true == y_pred).float().mean().item() == pytest.approx(acc)


def test_predict_uses_eval_mode_and_restores_it():
    model = ModeRecorder()
    predict(model, _images())
    assert all(call == (False, False) for call in model.calls)
    assert model.training


# ----- train_with_checkpoint -----


def test_training_uses_train_mode_and_validation_uses_eval_mode(tmp_path):
    model = ModeRecorder()
    train_loader, val_loader = _images(n=32), _images(n=16, seed=1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    train_with_checkpoint(model, train_loader, val_loader, nn.CrossEntropyLoss(), optimizer, 1,
                          tmp_path / "best.pt", progress=False)
    assert model.calls == [(True, True)] * 2 + [(False, False)]  # 2 个训练小批量，1 个验证小批量


def test_the_saved_checkpoint_is_the_best_epoch(tmp_path, monkeypatch):
    scripted = iter([0.5, 0.8, 0.8, 0.7])  # 第 2 轮最好，第 3 轮与它并列
    states = {}

    def fake_validate(model, loader, loss_fn):
        acc = next(scripted)
        states[len(states) + 1] = copy.deepcopy(model.state_dict())
        return 1 - acc, acc

    monkeypatch.setattr(workflow, "validate", fake_validate)
    net = _net()
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
    path = tmp_path / "best.pt"
    history = train_with_checkpoint(net, _images(), _images(seed=1), nn.CrossEntropyLoss(), optimizer, 4, path,
                                    progress=False)
    assert history.epoch == [1, 2, 3, 4] and history.val_acc == [0.5, 0.8, 0.8, 0.7]
    assert history.best_epoch == 2
    checkpoint = torch.load(path, weights_only=True)
    assert sorted(checkpoint) == ["epoch", "model", "optimizer", "val_acc"]  # 没有调度器，也就没有它的状态
    assert (checkpoint["epoch"], checkpoint["val_acc"]) == (2, 0.8)
    assert _same_state(checkpoint["model"], states[2])
    assert not _same_state(checkpoint["model"], net.state_dict())  # 不是最后一轮


def test_restoring_the_checkpoint_reproduces_the_validation_accuracy(tmp_path):
    train_loader, val_loader = _images(n=64), _images(n=32, seed=1)
    net = _net()
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
    path = tmp_path / "best.pt"
    history = train_with_checkpoint(net, train_loader, val_loader, nn.CrossEntropyLoss(), optimizer, 3, path,
                                    progress=False)
    assert history.val_acc[history.best_epoch - 1] == max(history.val_acc)
    fresh = _net(seed=1)
    checkpoint = load_checkpoint(path, fresh)
    assert checkpoint["epoch"] == history.best_epoch
    assert validate(fresh, val_loader, nn.CrossEntropyLoss())[1] == checkpoint["val_acc"] == max(history.val_acc)


def test_resuming_with_the_optimizer_state_matches_uninterrupted_training(tmp_path, monkeypatch):
    train_loader = _images(n=64)  # 不打乱，两种训练看到的小批量顺序相同
    loss_fn = nn.CrossEntropyLoss()
    straight = _net()
    straight_optimizer = torch.optim.Adam(straight.parameters(), lr=1e-2)
    for _ in range(3):
        train_epoch(straight, train_loader, loss_fn, straight_optimizer)

    scripted = iter([0.1, 0.2])  # 让第 2 轮成为最好的一轮，被保存下来
    monkeypatch.setattr(workflow, "validate", lambda model, loader, fn: (0.0, next(scripted)))
    first = _net()
    path = tmp_path / "best.pt"
    train_with_checkpoint(first, train_loader, _images(seed=1), loss_fn, torch.optim.Adam(first.parameters(), lr=1e-2),
                          2, path, progress=False)

    resumed = _net(seed=5)
    resumed_optimizer = torch.optim.Adam(resumed.parameters(), lr=1e-2)
    checkpoint = load_checkpoint(path, resumed, resumed_optimizer)
    assert resumed_optimizer.state_dict()["state"][0]["step"] == 2 * len(train_loader)
    monkeypatch.setattr(workflow, "validate", lambda model, loader, fn: (0.0, 0.3))
    more = train_with_checkpoint(resumed, train_loader, _images(seed=1), loss_fn, resumed_optimizer, 1,
                                 tmp_path / "resumed.pt", start_epoch=checkpoint["epoch"], progress=False)
    assert more.epoch == [3] and more.best_epoch == 3
    plot_early_stopping(more)  # 横轴是接着编号的轮次
    assert _same_state(resumed.state_dict(), straight.state_dict())

    without_state = _net(seed=5)
    load_checkpoint(path, without_state)  # 只恢复模型，优化器从零开始
    train_epoch(without_state, train_loader, loss_fn, torch.optim.Adam(without_state.parameters(), lr=1e-2))
    assert not _same_state(without_state.state_dict(), straight.state_dict())


def test_progress_bar_does_not_write_to_stdout(tmp_path, capsys):
    net = _net()
    train_with_checkpoint(net, _images(), _images(seed=1), nn.CrossEntropyLoss(),
                          torch.optim.SGD(net.parameters(), lr=0.1), 2, tmp_path / "best.pt", progress=True)
    assert capsys.readouterr().out == ""


def test_history_works_with_the_plotting_function(tmp_path):
    net = _net()
    history = train_with_checkpoint(net, _images(), _images(seed=1), nn.CrossEntropyLoss(),
                                    torch.optim.SGD(net.parameters(), lr=0.1), 2, tmp_path / "best.pt",
                                    progress=False)
    assert isinstance(history, History) and history.epochs == 2
    assert list(history.metrics) == ["epoch", "lr", "train_loss", "train_acc", "val_loss", "val_acc"]
    assert history.lr == [0.1, 0.1]  # 没有调度器时学习率不变
    figure = plot_early_stopping(history)
    assert len(figure.axes[0].lines) == 3


@pytest.mark.parametrize(
    ("num_epochs", "error"),
    [(0, ValueError), (-2, ValueError), (1.5, TypeError), (True, TypeError)],
)
def test_train_rejects_bad_num_epochs(tmp_path, num_epochs, error):
    net = _net()
    with pytest.raises(error, match="num_epochs"):
        train_with_checkpoint(net, _images(), _images(), nn.CrossEntropyLoss(),
                              torch.optim.SGD(net.parameters(), lr=0.1), num_epochs, tmp_path / "best.pt")


def test_train_rejects_negative_start_epoch(tmp_path):
    net = _net()
    with pytest.raises(ValueError, match="start_epoch"):
        train_with_checkpoint(net, _images(), _images(), nn.CrossEntropyLoss(),
                              torch.optim.SGD(net.parameters(), lr=0.1), 1, tmp_path / "best.pt", start_epoch=-1)


@pytest.mark.parametrize("which", ["train_loader", "val_loader"])
def test_train_rejects_empty_loaders_before_training(tmp_path, which):
    empty = DataLoader(TensorDataset(torch.zeros(0, 1, 8, 8), torch.zeros(0, dtype=torch.long)), batch_size=4)
    loaders = {"train_loader": _images(), "val_loader": _images()}
    loaders[which] = empty
    net = _net()
    before = _state(net)
    with pytest.raises(ValueError, match=f"{which} 中没有样本"):
        train_with_checkpoint(net, loaders["train_loader"], loaders["val_loader"], nn.CrossEntropyLoss(),
                              torch.optim.SGD(net.parameters(), lr=0.1), 1, tmp_path / "best.pt", progress=False)
    assert _same_state(before, net.state_dict())  # 一步也没有训练
    assert not (tmp_path / "best.pt").exists()


def test_train_rejects_a_missing_checkpoint_folder_before_training(tmp_path):
    net = _net()
    before = _state(net)
    missing = tmp_path / "no" / "such" / "folder" / "best.pt"
    with pytest.raises(FileNotFoundError, match="目录 .*folder 不存在"):
        train_with_checkpoint(net, _images(), _images(), nn.CrossEntropyLoss(),
                              torch.optim.SGD(net.parameters(), lr=0.1), 1, missing, progress=False)
    assert _same_state(before, net.state_dict())


def test_train_rejects_a_directory_or_non_path_as_checkpoint(tmp_path):
    net = _net()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(IsADirectoryError, match="目录"):
        train_with_checkpoint(net, _images(), _images(), nn.CrossEntropyLoss(), optimizer, 1, tmp_path)
    with pytest.raises(TypeError, match="参数 checkpoint_path 应为文件路径"):
        train_with_checkpoint(net, _images(), _images(), nn.CrossEntropyLoss(), optimizer, 1, None)
    with pytest.raises(TypeError, match="参数 model 应为 nn.Module"):
        train_with_checkpoint(None, _images(), _images(), nn.CrossEntropyLoss(), optimizer, 1, tmp_path / "b.pt")


# ----- load_checkpoint -----


def test_load_checkpoint_reports_a_missing_file(tmp_path):
    path = tmp_path / "nowhere.pt"
    with pytest.raises(FileNotFoundError, match="nowhere.pt"):
        load_checkpoint(path, _net())
    with pytest.raises(TypeError, match="参数 model 应为 nn.Module"):
        load_checkpoint(path, "net")


def test_load_checkpoint_requires_the_model_key_and_lists_the_keys(tmp_path):
    path = tmp_path / "bad.pt"
    torch.save({"epoch": 3, "state_dict": _net().state_dict()}, path)
    with pytest.raises(ValueError, match=r"缺少键 \['model'\].*\['epoch', 'state_dict'\]"):
        load_checkpoint(path, _net())


def test_load_checkpoint_requires_the_optimizer_key_when_asked(tmp_path):
    path = tmp_path / "model_only.pt"
    torch.save({"epoch": 1, "model": _net().state_dict()}, path)
    net = _net()
    load_checkpoint(path, net)  # 只要模型时可以加载
    with pytest.raises(ValueError, match=r"缺少键 \['optimizer'\]"):
        load_checkpoint(path, net, torch.optim.Adam(net.parameters()))


def test_load_checkpoint_rejects_non_dicts_and_mismatched_models(tmp_path):
    path = tmp_path / "tensor.pt"
    torch.save(torch.zeros(3), path)
    with pytest.raises(TypeError, match="应为字典"):
        load_checkpoint(path, _net())
    path = tmp_path / "other.pt"
    torch.save({"model": nn.Linear(2, 2).state_dict()}, path)
    with pytest.raises(RuntimeError):
        load_checkpoint(path, _net())
    with pytest.raises(TypeError, match="optimizer"):
        load_checkpoint(path, _net(), optimizer="adam")


def test_load_checkpoint_refuses_arbitrary_pickled_objects(tmp_path):
    path = tmp_path / "whole_model.pt"
    torch.save({"model": _net()}, path)  # 存的是整个模型对象，而不是 state_dict
    with pytest.raises(Exception, match="Weights only load failed"):
        load_checkpoint(path, _net())


# ----- 学习率调度 -----


def _lrs(scheduler, optimizer, epochs):
    """像 train_with_checkpoint 那样，每轮先 optimizer.step() 再 scheduler.step()，返回每轮的学习率。"""
    lrs = []
    for _ in range(epochs):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return lrs


def test_make_scheduler_none_keeps_the_learning_rate():
    optimizer = torch.optim.SGD(nn.Linear(2, 1).parameters(), lr=0.1)
    assert make_scheduler(optimizer, Config()) is None


def test_make_scheduler_step_divides_by_ten_every_third_of_the_epochs():
    optimizer = torch.optim.SGD(nn.Linear(2, 1).parameters(), lr=1.0)
    scheduler = make_scheduler(optimizer, Config(lr=1.0, num_epochs=9, scheduler="step"))
    assert isinstance(scheduler, torch.optim.lr_scheduler.StepLR)
    assert _lrs(scheduler, optimizer, 9) == pytest.approx([1.0] * 3 + [0.1] * 3 + [0.01] * 3)
    optimizer = torch.optim.SGD(nn.Linear(2, 1).parameters(), lr=1.0)
    scheduler = make_scheduler(optimizer, Config(lr=1.0, num_epochs=2, scheduler="step"))
    assert scheduler.step_size == 1  # 轮数少于 3 时每轮都降


def test_make_scheduler_cosine_follows_the_formula():
    optimizer = torch.optim.Adam(nn.Linear(2, 1).parameters(), lr=3e-3)
    scheduler = make_scheduler(optimizer, Config(num_epochs=10, scheduler="cosine"))
    expected = [3e-3 * (1 + math.cos(math.pi * t / 10)) / 2 for t in range(10)]
    assert _lrs(scheduler, optimizer, 10) == pytest.approx(expected)


def test_make_scheduler_rejects_non_optimizers():
    with pytest.raises(TypeError, match="参数 optimizer 应为 torch.optim.Optimizer，实际得到 Linear"):
        make_scheduler(nn.Linear(2, 1), Config(scheduler="cosine"))
    optimizer = torch.optim.SGD(nn.Linear(2, 1).parameters(), lr=0.1)
    with pytest.raises(TypeError, match=r"参数 config 应为 Config（要有 scheduler 和 num_epochs 两项），实际得到 str"):
        make_scheduler(optimizer, "cosine")


def test_training_with_a_scheduler_records_the_learning_rate_and_saves_its_state(tmp_path, monkeypatch):
    scripted = iter([0.1, 0.2, 0.3])  # 每轮都更好，每轮都保存
    monkeypatch.setattr(workflow, "validate", lambda model, loader, fn: (0.0, next(scripted)))
    net = _net()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.3)
    scheduler = make_scheduler(optimizer, Config(lr=0.3, num_epochs=3, scheduler="step"))
    path = tmp_path / "best.pt"
    history = train_with_checkpoint(net, _images(), _images(seed=1), nn.CrossEntropyLoss(), optimizer, 3, path,
                                    scheduler=scheduler, progress=False)
    assert history.lr == pytest.approx([0.3, 0.03, 0.003])  # 每轮用的学习率，step() 在每轮结束时调用
    checkpoint = torch.load(path, weights_only=True)
    assert sorted(checkpoint) == ["epoch", "model", "optimizer", "scheduler", "val_acc"]
    assert checkpoint["scheduler"]["last_epoch"] == checkpoint["epoch"] == 3


def test_training_rejects_a_scheduler_of_another_optimizer(tmp_path):
    net = _net()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    other = make_scheduler(torch.optim.SGD(net.parameters(), lr=0.1), Config(scheduler="cosine"))
    args = (net, _images(), _images(seed=1), nn.CrossEntropyLoss(), optimizer, 1, tmp_path / "best.pt")
    with pytest.raises(ValueError, match="scheduler 调整的不是传入的 optimizer"):
        train_with_checkpoint(*args, scheduler=other, progress=False)
    with pytest.raises(TypeError, match="参数 scheduler 应为 torch.optim.lr_scheduler.LRScheduler 或 None"):
        train_with_checkpoint(*args, scheduler="cosine", progress=False)
    assert not (tmp_path / "best.pt").exists()  # 训练开始之前就报错


def test_resuming_with_the_scheduler_state_matches_uninterrupted_training(tmp_path, monkeypatch):
    train_loader = _images(n=64)  # 不打乱，两种训练看到的小批量顺序相同
    loss_fn = nn.CrossEntropyLoss()
    config = Config(lr=1e-2, num_epochs=4, scheduler="cosine")

    def run(seed=0):
        net = _net(seed)
        optimizer = torch.optim.Adam(net.parameters(), lr=config.lr)
        return net, optimizer, make_scheduler(optimizer, config)

    straight, straight_optimizer, straight_scheduler = run()
    for _ in range(4):
        train_epoch(straight, train_loader, loss_fn, straight_optimizer)
        straight_scheduler.step()

    scripted = iter([0.1, 0.2])  # 第 2 轮最好，被保存下来
    monkeypatch.setattr(workflow, "validate", lambda model, loader, fn: (0.0, next(scripted)))
    first, first_optimizer, first_scheduler = run()
    path = tmp_path / "best.pt"
    train_with_checkpoint(first, train_loader, _images(seed=1), loss_fn, first_optimizer, 2, path,
                          scheduler=first_scheduler, progress=False)

    monkeypatch.setattr(workflow, "validate", lambda model, loader, fn: (0.0, 0.3))

    def resume(restore_scheduler):
        net, optimizer, scheduler = run(seed=5)
        checkpoint = load_checkpoint(path, net, optimizer, scheduler if restore_scheduler else None)
        more = train_with_checkpoint(net, train_loader, _images(seed=1), loss_fn, optimizer, 2,
                                     tmp_path / "resumed.pt", start_epoch=checkpoint["epoch"],
                                     scheduler=scheduler, progress=False)
        return net, more

    resumed, more = resume(restore_scheduler=True)
    assert more.epoch == [3, 4]
    assert more.lr == pytest.approx([config.lr * (1 + math.cos(math.pi * t / 4)) / 2 for t in (2, 3)])
    assert _same_state(resumed.state_dict(), straight.state_dict())  # 逐位相同

    careless, careless_more = resume(restore_scheduler=False)
    assert careless_more.lr[0] == more.lr[0]  # 第一轮的学习率来自优化器的状态，碰巧还对
    assert careless_more.lr[1] != pytest.approx(more.lr[1])
    assert not _same_state(careless.state_dict(), straight.state_dict())


def test_load_checkpoint_requires_the_scheduler_key_and_its_optimizer(tmp_path):
    path = tmp_path / "no_scheduler.pt"
    net = _net()
    optimizer = torch.optim.Adam(net.parameters())
    torch.save({"model": net.state_dict(), "optimizer": optimizer.state_dict()}, path)
    scheduler = make_scheduler(optimizer, Config(scheduler="cosine"))
    with pytest.raises(ValueError, match=r"缺少键 \['scheduler'\]"):
        load_checkpoint(path, net, optimizer, scheduler)
    with pytest.raises(ValueError, match="给出 scheduler 时也要给出它调整的 optimizer"):
        load_checkpoint(path, net, scheduler=scheduler)
    with pytest.raises(ValueError, match="scheduler 调整的不是传入的 optimizer"):
        load_checkpoint(path, net, torch.optim.Adam(net.parameters()), scheduler)


def test_plot_lr_schedules_draws_one_line_per_history():
    histories = {"none": History(lr=[0.1, 0.1], val_acc=[0.5, 0.6]),
                 "step": History(epoch=[3, 4], lr=[0.1, 0.01], val_acc=[0.5, 0.7])}
    figure = plot_lr_schedules(histories)
    lr_axes, acc_axes = figure.axes
    assert [line.get_label() for line in lr_axes.lines] == ["none", "step"]
    assert list(lr_axes.lines[1].get_xdata()) == [3, 4] and list(acc_axes.lines[1].get_ydata()) == [0.5, 0.7]
    with pytest.raises(TypeError, match="非空字典"):
        plot_lr_schedules({})
    with pytest.raises(ValueError, match=r"没有记录 \['lr'\]"):
        plot_lr_schedules({"old": History(val_acc=[0.5])})
    with pytest.raises(TypeError, match="History"):
        plot_lr_schedules({"x": [0.1]})


# ----- 权重直方图 -----


def test_layer_weights_are_cpu_copies_of_the_conv_and_linear_weights():
    net = _net()
    weights = layer_weights(net)
    assert list(weights) == ["0.weight", "3.weight", "8.weight"]
    assert torch.equal(weights["8.weight"], net[8].weight)
    with torch.no_grad():
        net[8].weight.add_(1.0)
    assert not torch.equal(weights["8.weight"], net[8].weight)  # 是副本，不随训练变化
    assert not weights["0.weight"].requires_grad
    with pytest.raises(TypeError, match="参数 model 应为 nn.Module"):
        layer_weights({"0.weight": torch.zeros(2, 2)})


def test_plot_weight_histograms_shares_the_bins_of_both_histograms():
    initial = layer_weights(_net())
    trained = {name: 2 * w for name, w in initial.items()}
    figure = plot_weight_histograms(initial, trained, bins=10)
    assert [axes.get_title() for axes in figure.axes] == ["0.weight", "3.weight", "8.weight"]
    init_bars, trained_bars = figure.axes[0].containers
    assert len(init_bars) == len(trained_bars) == 10
    assert [bar.get_x() for bar in init_bars] == [bar.get_x() for bar in trained_bars]


def test_plot_weight_histograms_rejects_mismatched_inputs():
    weights = layer_weights(_net())
    with pytest.raises(ValueError, match="同一种网络"):
        plot_weight_histograms(weights, layer_weights(nn.Sequential(nn.Linear(3, 2))))
    with pytest.raises(TypeError, match="参数 trained 应为 layer_weights"):
        plot_weight_histograms(weights, _net())
    with pytest.raises(ValueError, match="bins"):
        plot_weight_histograms(weights, weights, bins=0)
