"""lessons_src/linear_networks/softmax_regression.py 的测试；页面见 docs/linear-networks/softmax-regression.md。"""

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from lessons_src.linear_networks.image_classification_dataset import digits_loaders
from lessons_src.linear_networks.linear_regression_scratch import sgd
from lessons_src.linear_networks.softmax_regression import (
    CountingBatches,
    History,
    SGDScratch,
    SoftmaxRegressionScratch,
    count_correct,
    cross_entropy,
    cross_entropy_between,
    cross_entropy_from_logits,
    device_of,
    entropy,
    evaluate_accuracy,
    evaluation_mode,
    fit,
    kl_divergence,
    on_device,
    plot_history,
    softmax,
    train_epoch,
)

logit_rows = st.lists(
    st.lists(st.floats(-1e4, 1e4, allow_nan=False, width=32), min_size=2, max_size=6), min_size=1, max_size=5
).filter(lambda rows: len({len(row) for row in rows}) == 1)


def toy_data(n=60, seed=0):
    """三个高斯团组成的线性可分数据，按 (X, y) 小批量给出（最后一批较小）。"""
    generator = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 3
    centers = torch.tensor([[4.0, 0.0], [-4.0, 4.0], [0.0, -4.0]])
    X = centers[y] + torch.randn(n, 2, generator=generator)
    return [(X[i : i + 16], y[i : i + 16]) for i in range(0, n, 16)]


def mean_cross_entropy(probs, y):
    return cross_entropy(probs, y).mean()


# ----- softmax -----


@given(logit_rows)
@settings(max_examples=60, deadline=None)
def test_softmax_matches_torch_softmax(rows):
    X = torch.tensor(rows, dtype=torch.float32)
    result = softmax(X)
    assert torch.isfinite(result).all()
    assert torch.allclose(result, torch.softmax(X, dim=1), atol=1e-6)
    assert torch.allclose(result.sum(dim=1), torch.ones(len(X)), atol=1e-5)


def test_softmax_is_stable_for_huge_inputs():
    X = torch.tensor([[1e30, 1e30, -1e30], [1000.0, 999.0, 998.0], [-1e4, -1e4, -1e4]])
    naive = torch.exp(X) / torch.exp(X).sum(dim=1, keepdim=True)
    assert torch.isnan(naive[1]).all() and torch.isnan(naive[0, :2]).all()
    assert torch.allclose(softmax(X), torch.softmax(X, dim=1))
    assert torch.allclose(softmax(X)[0], torch.tensor([0.5, 0.5, 0.0]))


def test_softmax_is_shift_invariant_and_keeps_order():
    X = torch.randn(5, 7, dtype=torch.float64)
    assert torch.allclose(softmax(X), softmax(X + 123.0))
    assert torch.equal(softmax(X).argmax(dim=1), X.argmax(dim=1))
    assert softmax(X).dtype == torch.float64


# ----- cross_entropy 与 cross_entropy_from_logits -----


def test_cross_entropy_matches_nll_of_log():
    torch.manual_seed(0)
    probabilities = torch.softmax(torch.randn(8, 5), dim=1)
    y = torch.randint(0, 5, (8,))
    expected = F.nll_loss(torch.log(probabilities), y, reduction="none")
    assert torch.allclose(cross_entropy(probabilities, y), expected)
    assert cross_entropy(probabilities, y).shape == (8,)


def test_cross_entropy_of_a_certain_correct_prediction_is_zero():
    assert torch.equal(cross_entropy(torch.tensor([[0.0, 1.0]]), torch.tensor([1])), torch.tensor([0.0]))


@given(logit_rows, st.data())
@settings(max_examples=60, deadline=None)
def test_cross_entropy_from_logits_matches_pytorch(rows, data):
    logits = torch.tensor(rows, dtype=torch.float64)
    y = torch.tensor(data.draw(st.lists(st.integers(0, logits.shape[1] - 1), min_size=len(rows), max_size=len(rows))))
    ours = cross_entropy_from_logits(logits, y)
    assert torch.isfinite(ours).all()
    assert torch.allclose(ours, F.cross_entropy(logits, y, reduction="none"), rtol=1e-9, atol=1e-9)
    assert torch.allclose(ours, torch.logsumexp(logits, dim=1) - logits[torch.arange(len(y)), y])


def test_cross_entropy_from_logits_where_probabilities_underflow():
    logits = torch.tensor([[1000.0, 999.0, -1000.0]] * 2)
    y = torch.tensor([0, 2])
    assert torch.isinf(cross_entropy(softmax(logits), y)[1])
    expected = F.cross_entropy(logits, y, reduction="none")
    assert torch.allclose(cross_entropy_from_logits(logits, y), expected, rtol=1e-6, atol=1e-4)


def test_gradient_of_cross_entropy_from_logits_is_softmax_minus_one_hot():
    logits = torch.randn(6, 4, dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0, 1, 2, 3, 3, 0])
    cross_entropy_from_logits(logits, y).sum().backward()
    assert torch.allclose(logits.grad, softmax(logits.detach()) - F.one_hot(y, 4))


# ----- SoftmaxRegressionScratch -----


def test_scratch_model_parameters_and_output():
    torch.manual_seed(0)
    net = SoftmaxRegressionScratch(64, 10, sigma=0.5)
    assert [name for name, _ in net.named_parameters()] == ["W", "b"]
    assert net.W.shape == (64, 10) and torch.equal(net.b.detach(), torch.zeros(10))
    assert net.W.std().item() == pytest.approx(0.5, rel=0.15)
    X = torch.rand(5, 1, 8, 8)
    expected = torch.softmax(X.reshape(5, 64) @ net.W + net.b, dim=1)
    assert torch.allclose(net(X), expected, atol=1e-6)
    assert torch.allclose(net(X.reshape(5, 64)), expected, atol=1e-6)


def test_scratch_model_equals_linear_layer_with_cross_entropy():
    torch.manual_seed(0)
    net = SoftmaxRegressionScratch(6, 3, sigma=1.0)
    linear = nn.Linear(6, 3)
    with torch.no_grad():
        linear.weight.copy_(net.W.T)
        linear.bias.copy_(net.b)
    X, y = torch.randn(10, 6), torch.randint(0, 3, (10,))
    cross_entropy(net(X), y).mean().backward()
    F.cross_entropy(linear(X), y).backward()
    assert torch.allclose(net.W.grad, linear.weight.grad.T, atol=1e-6)
    assert torch.allclose(net.b.grad, linear.bias.grad, atol=1e-6)


# ----- count_correct 与 evaluate_accuracy -----


def test_count_correct():
    y_hat = torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7], [2.0, -1.0]])
    assert count_correct(y_hat, torch.tensor([1, 1, 1, 0])) == 3
    assert count_correct(y_hat, torch.tensor([0, 1, 0, 1])) == 0
    assert isinstance(count_correct(y_hat, torch.tensor([1, 0, 1, 0])), int)


class ModeRecorder(nn.Module):
    """记录 forward 被调用时的模式和梯度开关，输出固定的 logits。"""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))
        self.calls = []

    def forward(self, X):
        self.calls.append((self.training, torch.is_grad_enabled()))
        return X


@pytest.mark.parametrize("training", [True, False])
def test_evaluate_accuracy_uses_eval_mode_and_restores_it(training):
    model = ModeRecorder().train(training)
    data = [
        (torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.tensor([0, 0])),
        (torch.tensor([[0.0, 1.0]]), torch.tensor([1])),
    ]
    assert evaluate_accuracy(model, data) == pytest.approx(2 / 3)
    assert model.calls == [(False, False), (False, False)]
    assert model.training is training


def test_evaluation_mode_restores_the_mode_even_after_an_error():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5)).train()
    with pytest.raises(RuntimeError, match="boom"), evaluation_mode(model):
        assert not model.training and not model[1].training and not torch.is_grad_enabled()
        raise RuntimeError("boom")
    assert model.training and model[1].training and torch.is_grad_enabled()


def test_evaluation_mode_restores_each_submodule_as_it_was():
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2), nn.Dropout(0.5)).train()
    model[1].eval()  # 例如微调时冻结的批量规范化层
    with evaluation_mode(model):
        assert not any(module.training for module in model.modules())
    assert [module.training for module in model.modules()] == [True, True, False, True]
    model.eval()
    with evaluation_mode(model):
        pass
    assert not any(module.training for module in model.modules())


def test_evaluate_accuracy_restores_the_mode_when_the_model_fails():
    class Broken(ModeRecorder):
        def forward(self, X):
            raise RuntimeError("forward failed")

    model = Broken().train()
    with pytest.raises(RuntimeError, match="forward failed"):
        evaluate_accuracy(model, toy_data())
    assert model.training and torch.is_grad_enabled()


def test_on_device_moves_every_batch_and_rejects_empty_data():
    device = torch.device("cpu")
    batches = list(on_device(toy_data(n=40), device))
    assert [len(y) for _, y in batches] == [16, 16, 8]
    assert all(X.device == device and y.device == device for X, y in batches)
    with pytest.raises(ValueError, match="没有样本.*list"):
        list(on_device([], device))
    with pytest.raises(ValueError, match="没有样本.*generator"):  # 没有长度的可迭代对象，遍历完才知道是空的
        list(on_device((batch for batch in []), device))


def test_device_of():
    assert device_of(nn.Linear(2, 1)) == torch.device("cpu")
    assert device_of(nn.ReLU()) == torch.device("cpu")  # 没有参数
    with pytest.raises(TypeError, match="参数 model 应为 nn.Module"):
        device_of(lambda X: X)


def test_evaluate_accuracy_matches_a_direct_count():
    torch.manual_seed(0)
    net = nn.Linear(2, 3)
    data = toy_data()
    X = torch.cat([X for X, _ in data])
    y = torch.cat([y for _, y in data])
    assert evaluate_accuracy(net, data) == pytest.approx((net(X).argmax(dim=1) == y).float().mean().item())


# ----- train_epoch -----


def test_train_epoch_with_zero_learning_rate_reports_the_exact_average():
    torch.manual_seed(0)
    net = nn.Linear(2, 3)
    data = toy_data(n=50)  # 小批量大小 16, 16, 16, 2
    loss, acc = train_epoch(net, data, nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.0))
    X = torch.cat([X for X, _ in data])
    y = torch.cat([y for _, y in data])
    assert loss == pytest.approx(F.cross_entropy(net(X), y).item(), rel=1e-6)
    assert acc == pytest.approx(evaluate_accuracy(net, data))


def test_train_epoch_reduces_the_loss_and_sets_train_mode():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(2, 3)).eval()
    data = toy_data()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    results = [train_epoch(net, data, nn.CrossEntropyLoss(), optimizer) for _ in range(5)]
    assert net.training
    losses = [loss for loss, _ in results]
    assert losses == sorted(losses, reverse=True) and losses[-1] < 0.5 * losses[0]
    assert results[-1][1] > 0.9


# ----- SGDScratch -----


def test_sgd_scratch_takes_the_same_steps_as_torch_sgd():
    torch.manual_seed(0)
    ours = SoftmaxRegressionScratch(2, 3, sigma=1.0)
    theirs = SoftmaxRegressionScratch(2, 3, sigma=1.0)
    theirs.load_state_dict(ours.state_dict())
    data = toy_data()
    train_epoch(ours, data, mean_cross_entropy, SGDScratch([ours.W, ours.b], lr=0.1))
    train_epoch(theirs, data, mean_cross_entropy, torch.optim.SGD([theirs.W, theirs.b], lr=0.1))
    assert torch.allclose(ours.W, theirs.W, atol=1e-6) and torch.allclose(ours.b, theirs.b, atol=1e-6)


def test_sgd_scratch_bad_input():
    w = torch.zeros(2, requires_grad=True)
    with pytest.raises(TypeError, match="由张量组成的列表"):
        SGDScratch(w, lr=0.1)
    with pytest.raises(ValueError, match="没有任何张量"):
        SGDScratch([], lr=0.1)
    with pytest.raises(TypeError, match=r"参数 params\[0\] 应为 torch.Tensor"):
        SGDScratch([1.0], lr=0.1)
    with pytest.raises(ValueError, match="lr（学习率）应为正数"):
        SGDScratch([w], lr=0)


# ----- History, fit, plot_history -----


def test_history_records_metrics_by_name():
    history = History()
    assert history.epochs == 0 and history.metrics == {} and history.best_epoch == 0
    history.record(train_loss=1.0, val_acc=0.5)
    history.record(train_loss=0.5, val_acc=0.7)
    assert history.train_loss == [1.0, 0.5] and history.val_acc == [0.5, 0.7] and history.epochs == 2
    assert History().epochs == 0  # 每个实例有自己的记录
    built = History(train_loss=[1.0, 0.5], test_acc=(0.5, 0.7), best_epoch=1)
    assert built.epochs == 2 and built.test_acc == [0.5, 0.7] and built.best_epoch == 1
    assert repr(built) == "History(train_loss=[1.0, 0.5], test_acc=[0.5, 0.7], best_epoch=1)"
    assert hasattr(built, "train_loss") and not hasattr(built, "val_loss")


def test_history_bad_input():
    history = History()
    history.record(train_loss=1.0)
    with pytest.raises(ValueError, match=r"同样的指标 \['train_loss'\].*\['train_loss', 'test_acc'\]"):
        history.record(train_loss=0.5, test_acc=0.9)
    assert history.epochs == 1  # 出错的那一轮没有记下任何一项
    with pytest.raises(AttributeError, match=r"没有记录指标 'val_loss'.*\['train_loss'\]"):
        _ = history.val_loss
    with pytest.raises(ValueError, match="轮数应相同"):
        History(train_loss=[1.0, 0.5], test_acc=[0.5])
    with pytest.raises(ValueError, match="best_epoch 应为不小于 0 的整数"):
        History(train_loss=[1.0, 0.5], best_epoch=-1)
    with pytest.raises(TypeError, match="best_epoch 应为整数"):
        History(train_loss=[1.0], best_epoch=1.0)
    with pytest.raises(ValueError, match=r"\['epochs'\] 与 History 的属性重名"):
        History().record(epochs=3)


def test_fit_records_one_entry_per_epoch_on_digits():
    torch.manual_seed(0)
    train_iter, test_iter = digits_loaders(batch_size=64)
    net = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
    history = fit(
        net, train_iter, test_iter, nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.5), 3,
        progress=False,
    )
    assert isinstance(history, History) and history.epochs == 3
    assert list(history.metrics) == ["train_loss", "train_acc", "test_acc", "seconds", "examples_per_second"]
    assert all(len(values) == 3 for values in (history.train_acc, history.test_acc, history.seconds))
    assert all(seconds > 0 for seconds in history.seconds)
    num_train = len(train_iter.dataset)
    for seconds, throughput in zip(history.seconds, history.examples_per_second):
        assert throughput == pytest.approx(num_train / seconds)
    assert history.train_loss[0] > history.train_loss[-1]
    assert history.test_acc[-1] == evaluate_accuracy(net, test_iter) > 0.8


def test_fit_trains_the_scratch_model_with_its_own_loss():
    torch.manual_seed(0)
    net = SoftmaxRegressionScratch(2, 3, sigma=0.01)
    data = toy_data()
    history = fit(
        net, data, data, mean_cross_entropy, SGDScratch([net.W, net.b], lr=0.1),
        4, progress=False,
    )
    assert history.epochs == 4 and history.test_acc[-1] > 0.9


def test_plot_history_lines_and_label():
    history = History(train_loss=[1.0, 0.6, 0.4], train_acc=[0.5, 0.7, 0.8], test_acc=[0.45, 0.65, 0.75])
    figure = plot_history(history, title="测试用的训练曲线")
    assert figure.get_label() == "测试用的训练曲线"
    (axes,) = figure.axes
    assert [line.get_label() for line in axes.lines] == ["train loss", "train acc", "test acc"]
    assert list(axes.lines[2].get_ydata()) == [0.45, 0.65, 0.75]
    assert list(axes.lines[0].get_xdata()) == [1, 2, 3]
    assert axes.get_xlabel() == "epoch"


# ----- 错误的输入 -----


def test_softmax_bad_input():
    with pytest.raises(TypeError, match="参数 X 应为 torch.Tensor"):
        softmax([[1.0, 2.0]])
    with pytest.raises(TypeError, match="浮点张量"):
        softmax(torch.tensor([[1, 2]]))
    with pytest.raises(ValueError, match=r"参数 X 应为 2 维张量.*\(3,\)"):
        softmax(torch.zeros(3))


@pytest.mark.parametrize("function", [cross_entropy, cross_entropy_from_logits])
def test_cross_entropy_bad_input(function):
    with pytest.raises(TypeError, match="应为 torch.Tensor"):
        function([[0.5, 0.5]], torch.tensor([0]))
    with pytest.raises(TypeError, match="浮点张量"):
        function(torch.tensor([[1, 0]]), torch.tensor([0]))
    with pytest.raises(TypeError, match="参数 y 应为 torch.Tensor"):
        function(torch.tensor([[0.5, 0.5]]), [0])
    with pytest.raises(ValueError, match=r"实际为 \(2, 2\) 和 \(3,\)"):
        function(torch.full((2, 2), 0.5), torch.tensor([0, 1, 1]))
    with pytest.raises(ValueError, match="形状应为"):
        function(torch.full((2,), 0.5), torch.tensor([0, 1]))
    # 浮点标签：PyTorch 自己只会报 IndexError: tensors used as indices must be long, int, byte or bool
    with pytest.raises(TypeError, match=r"参数 y 应为整数类别下标.*torch.float32.*y.long\(\)"):
        function(torch.full((2, 2), 0.5), torch.tensor([0.0, 1.0]))
    with pytest.raises(TypeError, match="整数类别下标"):
        function(torch.full((2, 2), 0.5), torch.tensor([True, False]))
    with pytest.raises(ValueError, match=r"\[0, 2\) 之内，实际最小 0、最大 2"):
        function(torch.full((2, 2), 0.5), torch.tensor([0, 2]))
    with pytest.raises(ValueError, match="实际最小 -1"):
        function(torch.full((2, 2), 0.5), torch.tensor([-1, 0]))


def test_count_correct_bad_input():
    with pytest.raises(TypeError, match="参数 outputs 应为 torch.Tensor"):
        count_correct([[0.1, 0.9]], torch.tensor([1]))
    with pytest.raises(ValueError, match=r"实际为 \(1, 2\) 和 \(2,\)"):
        count_correct(torch.tensor([[0.1, 0.9]]), torch.tensor([1, 0]))


def test_scratch_model_bad_input():
    with pytest.raises(ValueError, match="num_inputs 应为正整数"):
        SoftmaxRegressionScratch(0, 10)
    with pytest.raises(TypeError, match="num_outputs 应为正整数.*float"):
        SoftmaxRegressionScratch(64, 10.0)
    with pytest.raises(ValueError, match="sigma 应不小于 0"):
        SoftmaxRegressionScratch(64, 10, sigma=-1)
    net = SoftmaxRegressionScratch(64, 10)
    with pytest.raises(ValueError, match=r"每个样本有 64 个元素.*\(2, 1, 28, 28\)"):
        net(torch.zeros(2, 1, 28, 28))
    with pytest.raises(ValueError, match="每个样本有 64 个元素"):
        net(torch.zeros(64))
    with pytest.raises(TypeError, match="浮点张量"):
        net(torch.zeros(2, 64, dtype=torch.int64))


def test_evaluate_accuracy_bad_input():
    with pytest.raises(TypeError, match="参数 model 应为 nn.Module"):
        evaluate_accuracy(lambda X: X, toy_data())
    model = nn.Linear(2, 3).train()
    with pytest.raises(ValueError, match="没有样本"):
        evaluate_accuracy(model, [])
    assert model.training


def test_train_epoch_bad_input():
    net = nn.Linear(2, 3)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    before = {name: value.clone() for name, value in net.state_dict().items()}
    expected = r"参数 optimizer 应为优化器.*或接收批量大小的函数 updater\(batch_size\).*实际得到 str"
    with pytest.raises(TypeError, match=expected):
        train_epoch(net, toy_data(), nn.CrossEntropyLoss(), "sgd")
    with pytest.raises(TypeError, match="实际得到 object"):
        train_epoch(net, toy_data(), nn.CrossEntropyLoss(), object())
    with pytest.raises(ValueError, match="loss_fn 应返回标量.*\\.mean\\(\\)"):
        train_epoch(net, toy_data(), nn.CrossEntropyLoss(reduction="none"), optimizer)
    with pytest.raises(TypeError, match="loss_fn 的返回值 应为 torch.Tensor"):
        train_epoch(net, toy_data(), lambda outputs, y: 0.5, optimizer)
    assert all(torch.equal(before[name], value) for name, value in net.state_dict().items())  # 一步也没有更新
    with pytest.raises(ValueError, match="没有样本"):
        train_epoch(net, [], nn.CrossEntropyLoss(), optimizer)
    with pytest.raises(TypeError, match="参数 model 应为 nn.Module"):
        train_epoch(lambda X: X, toy_data(), nn.CrossEntropyLoss(), optimizer)


@pytest.mark.parametrize(
    ("num_epochs", "error"), [(0, ValueError), (-1, ValueError), (2.0, TypeError), (True, TypeError), ("3", TypeError)]
)
def test_fit_bad_num_epochs(num_epochs, error):
    net = nn.Linear(2, 3)
    with pytest.raises(error, match="num_epochs 应为正整数"):
        fit(net, toy_data(), toy_data(), nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1), num_epochs)


def test_plot_history_bad_input():
    with pytest.raises(TypeError, match="参数 history 应为 History"):
        plot_history({"train_loss": [1.0]})
    with pytest.raises(ValueError, match="还没有任何一轮的记录"):
        plot_history(History())
    with pytest.raises(ValueError, match=r"缺少指标 \['test_acc'\]"):
        plot_history(History(train_loss=[1.0], train_acc=[0.5], val_acc=[0.4]))


# ----- entropy、cross_entropy_between、kl_divergence -----

distributions = st.integers(2, 6).flatmap(
    lambda q: st.lists(
        st.lists(st.floats(0.0, 1.0, allow_nan=False), min_size=q, max_size=q).filter(lambda row: sum(row) > 1e-3),
        min_size=2,
        max_size=2,
    )
)


def as_distributions(rows):
    values = torch.tensor(rows, dtype=torch.float64)
    return values / values.sum(dim=1, keepdim=True)


def test_entropy_known_values_and_units():
    p = torch.tensor([[0.5, 0.5], [1.0, 0.0], [0.25, 0.75]])
    expected = torch.tensor([math.log(2), 0.0, -(0.25 * math.log(0.25) + 0.75 * math.log(0.75))])
    assert torch.allclose(entropy(p), expected)
    assert entropy(torch.full((10,), 0.1)).item() == pytest.approx(math.log(10), rel=1e-6)
    assert (entropy(torch.full((8,), 1 / 8)) / math.log(2)).item() == pytest.approx(3.0, rel=1e-6)  # 3 比特
    # Categorical 把概率截断在 [eps, 1 - eps]，所以 0 概率处差 1e-7 量级
    assert torch.allclose(entropy(p), torch.distributions.Categorical(probs=p).entropy(), atol=1e-6)


def test_cross_entropy_between_with_one_hot_p_is_the_cross_entropy_loss():
    torch.manual_seed(0)
    y_hat = torch.softmax(torch.randn(6, 4), dim=1)
    y = torch.tensor([0, 3, 1, 2, 2, 0])
    assert torch.allclose(cross_entropy_between(F.one_hot(y, 4).float(), y_hat), cross_entropy(y_hat, y))


def test_cross_entropy_between_matches_f_cross_entropy_with_soft_targets():
    torch.manual_seed(0)
    logits = torch.randn(5, 7, dtype=torch.float64)
    p = torch.softmax(torch.randn(5, 7, dtype=torch.float64), dim=1)
    ours = cross_entropy_between(p, torch.softmax(logits, dim=1))
    assert torch.allclose(ours, F.cross_entropy(logits, p, reduction="none"))
    assert ours.mean().item() == pytest.approx(F.cross_entropy(logits, p).item())


def test_kl_divergence_matches_f_kl_div_and_is_not_symmetric():
    torch.manual_seed(0)
    p = torch.softmax(torch.randn(4, 5, dtype=torch.float64), dim=1)
    q = torch.softmax(torch.randn(4, 5, dtype=torch.float64), dim=1)
    ours = kl_divergence(p, q)
    assert torch.allclose(ours, F.kl_div(q.log(), p, reduction="none").sum(dim=1))
    assert ours.mean().item() == pytest.approx(F.kl_div(q.log(), p, reduction="batchmean").item())
    assert ours.sum().item() == pytest.approx(F.kl_div(q.log(), p, reduction="sum").item())
    assert not torch.allclose(ours, kl_divergence(q, p))
    assert torch.equal(kl_divergence(p, p), torch.zeros(4, dtype=torch.float64))


def test_kl_divergence_is_infinite_where_q_misses_the_support_of_p():
    p, q = torch.tensor([0.5, 0.5]), torch.tensor([1.0, 0.0])
    assert torch.isinf(kl_divergence(p, q)) and torch.isinf(cross_entropy_between(p, q))
    assert kl_divergence(q, p).item() == pytest.approx(math.log(2))  # q 为 0 的地方不计入


@given(distributions)
@settings(max_examples=60, deadline=None)
def test_gibbs_inequality_and_the_decomposition(rows):
    p, q = as_distributions(rows)
    kl = kl_divergence(p, q)
    assert kl >= -1e-12  # D_KL(p‖q) ≥ 0
    assert torch.allclose(cross_entropy_between(p, q), entropy(p) + kl)
    assert entropy(p) <= math.log(len(p)) + 1e-12  # 均匀分布的熵最大


def test_information_theory_bad_input():
    with pytest.raises(TypeError, match="参数 p 应为 torch.Tensor"):
        entropy([0.5, 0.5])
    with pytest.raises(TypeError, match="参数 p 应为浮点张量"):
        entropy(torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="参数 p 应为 1 维或 2 维张量"):
        entropy(torch.full((2, 2, 2), 0.5))
    with pytest.raises(ValueError, match="元素应非负"):
        entropy(torch.tensor([1.5, -0.5]))
    with pytest.raises(ValueError, match="沿最后一维之和应为 1"):
        entropy(torch.tensor([0.2, 0.2]))
    with pytest.raises(ValueError, match="参数 q 应为概率分布"):
        cross_entropy_between(torch.tensor([0.5, 0.5]), torch.tensor([2.0, 3.0]))
    with pytest.raises(ValueError, match=r"形状应相同，实际为 \(2,\) 和 \(3,\)"):
        kl_divergence(torch.tensor([0.5, 0.5]), torch.full((3,), 1 / 3))


# ----- train_epoch 接受两种更新方式 -----


def train_one_epoch_with(make_updater):
    torch.manual_seed(0)
    net = SoftmaxRegressionScratch(2, 3, sigma=1.0)
    result = train_epoch(net, toy_data(), mean_cross_entropy, make_updater(net))
    return net, result


def test_train_epoch_gives_the_same_parameters_with_an_optimizer_or_a_scratch_updater():
    updaters = {
        "torch.optim.SGD": lambda net: torch.optim.SGD(net.parameters(), lr=0.1),
        "SGDScratch": lambda net: SGDScratch([net.W, net.b], lr=0.1),
        "sgd": lambda net: lambda batch_size: sgd([net.W, net.b], 0.1, batch_size),
    }
    (reference, reference_result), *others = [train_one_epoch_with(make) for make in updaters.values()]
    for net, result in others:
        assert torch.allclose(net.W, reference.W, atol=1e-6) and torch.allclose(net.b, reference.b, atol=1e-6)
        assert result == pytest.approx(reference_result)
    assert not torch.allclose(reference.W, train_one_epoch_with(lambda net: lambda batch_size: None)[0].W)


def test_train_epoch_with_a_scratch_updater_ignores_stale_gradients():
    def stale_then_sgd(net):
        (net.W.sum() * 100).backward()  # 留下一个与训练无关的梯度
        return lambda batch_size: sgd([net.W, net.b], 0.1, batch_size)

    fresh, _ = train_one_epoch_with(lambda net: lambda batch_size: sgd([net.W, net.b], 0.1, batch_size))
    stale, _ = train_one_epoch_with(stale_then_sgd)
    assert torch.allclose(fresh.W, stale.W, atol=1e-6)


def test_train_epoch_passes_the_actual_batch_sizes_to_the_updater():
    sizes = []
    net = nn.Linear(2, 3)
    train_epoch(net, toy_data(n=50), nn.CrossEntropyLoss(), sizes.append)
    assert sizes == [16, 16, 16, 2]


# ----- CountingBatches -----


def test_counting_batches_counts_each_pass_and_keeps_the_batches():
    data = toy_data(n=50)
    batches = CountingBatches(data)
    for _ in range(2):
        assert [len(y) for _, y in batches] == [16, 16, 16, 2]
        assert batches.num_examples == 50


def test_counting_batches_reports_an_empty_data_set_by_its_own_type():
    with pytest.raises(ValueError, match="遍历 list 没有得到任何小批量"):
        list(CountingBatches([]))
    net = nn.Linear(2, 3)
    with pytest.raises(ValueError, match="遍历 list 没有得到任何小批量"):
        fit(net, [], toy_data(), nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.1), 1, progress=False)
