"""softmax 回归，以及之后每一章都复用的训练工具。

对应页面 ``docs/linear-networks/softmax-regression.md``。信息论的三个量 :func:`entropy`、
:func:`cross_entropy_between` 和 :func:`kl_divergence` 解释交叉熵损失的来历。训练工具：

- :func:`device_of` 和 :func:`on_device`：模型参数所在的设备，以及把小批量逐个移到那里；
- :func:`evaluation_mode`：在 ``with`` 块中让模型处于评估模式、不记录梯度，离开时恢复原来的模式；
  本指南所有的评估函数（:func:`evaluate_accuracy`，以及早停一节的 ``evaluate_loss``、
  训练流程一节的 ``validate`` 和 ``predict``）都用它；
- :func:`evaluate_accuracy`：模型在一个数据集上的准确率；
- :func:`train_epoch`：训练一轮，返回平均损失和训练准确率；参数可以用 ``torch.optim`` 的优化器更新，
  也可以用从零实现的 ``updater(batch_size)`` 更新；
- :class:`History`：逐轮记录的指标（``history.train_loss`` 等），所有训练函数都返回它；
- :func:`fit`：训练多轮，记录每轮的用时和吞吐量，可显示进度条；
- :func:`plot_history`：画出训练曲线。
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager

import torch
from matplotlib.figure import Figure
from torch import nn

from lessons_src.checks import (
    require_instance,
    require_int,
    require_module,
    require_positive,
    require_positive_int,
    require_real,
    require_tensor,
)
from lessons_src.linear_networks.linear_regression_scratch import sgd

__all__ = [
    "CountingBatches",
    "History",
    "SGDScratch",
    "SoftmaxRegressionScratch",
    "count_correct",
    "cross_entropy",
    "cross_entropy_between",
    "cross_entropy_from_logits",
    "device_of",
    "entropy",
    "evaluate_accuracy",
    "evaluation_mode",
    "fit",
    "kl_divergence",
    "on_device",
    "plot_history",
    "softmax",
    "train_epoch",
]

Batches = Iterable[tuple[torch.Tensor, torch.Tensor]]
LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
Updater = torch.optim.Optimizer | Callable[[int], None]


def check_cross_entropy_args(scores: object, y: object, name: str) -> None:
    """检查交叉熵的两个参数：``scores`` 是形状 ``(n, 类别数)`` 的浮点张量，``y`` 是形状 ``(n,)`` 的整数类别下标，
    每个下标都在 ``[0, 类别数)`` 之内。``name`` 是 ``scores`` 在报错信息里的名字。

    Examples:
        >>> check_cross_entropy_args(torch.zeros(2, 3), torch.tensor([0, 2]), "y_hat")
        >>> check_cross_entropy_args(torch.zeros(2, 3), torch.tensor([0.0, 2.0]), "y_hat")
        Traceback (most recent call last):
        ...
        TypeError: 参数 y 应为整数类别下标（如 torch.int64），实际 dtype 为 torch.float32；可以用 y.long() 转换
    """
    require_tensor(scores, name, floating=True)
    require_tensor(y, "y")
    if y.is_floating_point() or y.is_complex() or y.dtype == torch.bool:
        raise TypeError(f"参数 y 应为整数类别下标（如 torch.int64），实际 dtype 为 {y.dtype}；可以用 y.long() 转换")
    if scores.dim() != 2 or y.shape != scores.shape[:1]:
        raise ValueError(
            f"{name} 的形状应为 (n, 类别数)、y 的形状应为 (n,)，实际为 {tuple(scores.shape)} 和 {tuple(y.shape)}"
        )
    if len(y) and (int(y.min()) < 0 or int(y.max()) >= scores.shape[1]):
        raise ValueError(
            f"y 中的类别下标应在 [0, {scores.shape[1]}) 之内，实际最小 {int(y.min())}、最大 {int(y.max())}"
        )


# --8<-- [start:softmax]
def softmax(X: torch.Tensor) -> torch.Tensor:
    """对每一行做 softmax：exp(x_j) / sum_k exp(x_k)。

    先减去每行的最大值再取指数。结果不变（分子分母同乘 exp(-max)），但不会溢出。

    Examples:
        >>> softmax(torch.tensor([[1.0, 2.0, 3.0], [1000.0, 1000.0, 1000.0]]))
        tensor([[0.0900, 0.2447, 0.6652],
                [0.3333, 0.3333, 0.3333]])
    """
    require_tensor(X, "X", floating=True, ndim=2)  # 形状：(批量大小, 类别数)
    X_exp = torch.exp(X - X.max(dim=1, keepdim=True).values)
    return X_exp / X_exp.sum(dim=1, keepdim=True)
# --8<-- [end:softmax]


# --8<-- [start:cross_entropy]
def cross_entropy(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """交叉熵损失：每个样本取真实类别的预测概率的负对数，返回形状为 ``(批量大小,)`` 的张量。

    ``y_hat`` 是概率（每行和为 1），``y`` 是类别下标。

    Examples:
        >>> y_hat = torch.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
        >>> cross_entropy(y_hat, torch.tensor([0, 2]))
        tensor([2.3026, 0.6931])
    """
    check_cross_entropy_args(y_hat, y, "y_hat")
    return -torch.log(y_hat[torch.arange(len(y_hat)), y])
# --8<-- [end:cross_entropy]


# --8<-- [start:cross_entropy_from_logits]
def cross_entropy_from_logits(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """直接从未规范化的输出（logits）计算交叉熵，返回形状为 ``(批量大小,)`` 的张量。

    利用 -log softmax(o)_y = log Σ_k exp(o_k) - o_y，并在 log-sum-exp 中先减去每行最大值 m：
    log Σ_k exp(o_k) = m + log Σ_k exp(o_k - m)。全程不出现会下溢成 0 的概率，
    这正是 ``nn.CrossEntropyLoss`` 接收 logits 的原因。

    Examples:
        >>> cross_entropy_from_logits(torch.tensor([[1000.0, 0.0, -1000.0]]), torch.tensor([2]))
        tensor([2000.])
    """
    check_cross_entropy_args(logits, y, "logits")
    m = logits.max(dim=1, keepdim=True).values
    log_sum_exp = m.squeeze(1) + torch.log(torch.exp(logits - m).sum(dim=1))
    return log_sum_exp - logits[torch.arange(len(logits)), y]
# --8<-- [end:cross_entropy_from_logits]


def check_distribution(p: object, name: str) -> torch.Tensor:
    """检查一个（或一批）离散概率分布：一维 ``(类别数,)`` 或二维 ``(n, 类别数)`` 的浮点张量，
    元素非负，沿最后一维之和为 1（允许 ``1e-4`` 的舍入误差）。

    Examples:
        >>> check_distribution(torch.tensor([0.5, 0.5]), "p")
        tensor([0.5000, 0.5000])
        >>> check_distribution(torch.tensor([0.5, 0.6]), "p")
        Traceback (most recent call last):
        ...
        ValueError: 参数 p 应为概率分布：沿最后一维之和应为 1，实际和为 [1.100000023841858]
    """
    require_tensor(p, name, floating=True, ndim=(1, 2))
    if (p < 0).any():
        raise ValueError(f"参数 {name} 应为概率分布：元素应非负，实际最小值为 {p.min().item()}")
    sums = p.sum(dim=-1)
    if not torch.allclose(sums, torch.ones_like(sums), atol=1e-4):
        raise ValueError(f"参数 {name} 应为概率分布：沿最后一维之和应为 1，实际和为 {sums.reshape(-1).tolist()}")
    return p


def check_distribution_pair_args(p: object, q: object) -> None:
    """检查 :func:`cross_entropy_between` 和 :func:`kl_divergence` 的参数：
    两个形状相同的概率分布（见 :func:`check_distribution`）。"""
    check_distribution(p, "p")
    check_distribution(q, "q")
    if p.shape != q.shape:
        raise ValueError(f"p 和 q 的形状应相同，实际为 {tuple(p.shape)} 和 {tuple(q.shape)}")


# --8<-- [start:information_theory]
def entropy(p: torch.Tensor) -> torch.Tensor:
    """分布 p 的熵 H(p) = -Σ_j p_j log p_j（自然对数，单位是奈特），对最后一维求和。

    约定 0·log 0 = 0：``torch.special.xlogy(x, y)`` 计算 x·log y，并在 x = 0 时给出 0。

    Examples:
        >>> entropy(torch.tensor([[0.5, 0.5], [1.0, 0.0]]))
        tensor([0.6931, 0.0000])
    """
    check_distribution(p, "p")
    return (-torch.special.xlogy(p, p)).sum(dim=-1)


def cross_entropy_between(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """分布 p 相对于分布 q 的交叉熵 H(p, q) = -Σ_j p_j log q_j，对最后一维求和。

    ``p`` 是独热向量时，它就是 :func:`cross_entropy` 算的 -log q_c。

    Examples:
        >>> cross_entropy_between(torch.tensor([0.0, 1.0]), torch.tensor([0.5, 0.5]))
        tensor(0.6931)
    """
    check_distribution_pair_args(p, q)
    return (-torch.special.xlogy(p, q)).sum(dim=-1)


def kl_divergence(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """KL 散度 D_KL(p‖q) = Σ_j p_j (log p_j - log q_j) = H(p, q) - H(p)，对最后一维求和。

    Examples:
        >>> p, q = torch.tensor([0.5, 0.5]), torch.tensor([0.9, 0.1])
        >>> kl_divergence(p, q), kl_divergence(q, p), kl_divergence(p, p)
        (tensor(0.5108), tensor(0.3681), tensor(0.))
    """
    check_distribution_pair_args(p, q)
    return (torch.special.xlogy(p, p) - torch.special.xlogy(p, q)).sum(dim=-1)
# --8<-- [end:information_theory]


def check_softmax_regression_scratch_args(num_inputs: object, num_outputs: object, sigma: object) -> float:
    """检查 :class:`SoftmaxRegressionScratch` 的构造参数：两个正整数和一个非负的标准差，返回 ``float(sigma)``。"""
    require_positive_int(num_inputs, "num_inputs")
    require_positive_int(num_outputs, "num_outputs")
    return require_real(sigma, "sigma", minimum=0.0)


def check_softmax_regression_scratch_input(X: object, num_inputs: int) -> None:
    """检查 :class:`SoftmaxRegressionScratch` 的输入：形状为 ``(批量大小, ...)`` 的浮点张量，
    每个样本恰有 ``num_inputs`` 个元素。"""
    require_tensor(X, "X", floating=True)
    if X.dim() < 2 or X.shape[1:].numel() != num_inputs:
        raise ValueError(f"输入的形状应为 (批量大小, ...) 且每个样本有 {num_inputs} 个元素，实际为 {tuple(X.shape)}")


# --8<-- [start:softmax_regression_scratch]
class SoftmaxRegressionScratch(nn.Module):
    """从零实现的 softmax 回归：把图像展平成向量 x，输出 softmax(xW + b)，即各类别的概率。

    ``W`` 的形状为 ``(num_inputs, num_outputs)``，按均值 0、标准差 ``sigma`` 的正态分布初始化；
    ``b`` 的形状为 ``(num_outputs,)``，初始化为 0。两者用 ``nn.Parameter`` 包装，
    所以 :func:`fit` 能找到它们所在的设备，``model.train()`` / ``model.eval()`` 也照常可用。

    Examples:
        >>> net = SoftmaxRegressionScratch(64, 10)
        >>> net.W.shape, net.b.shape
        (torch.Size([64, 10]), torch.Size([10]))
        >>> probs = net(torch.rand(2, 1, 8, 8))
        >>> probs.shape, torch.allclose(probs.sum(dim=1), torch.ones(2))
        (torch.Size([2, 10]), True)
    """

    def __init__(self, num_inputs: int, num_outputs: int, *, sigma: float = 0.01) -> None:
        super().__init__()
        sigma = check_softmax_regression_scratch_args(num_inputs, num_outputs, sigma)
        self.num_inputs = num_inputs
        self.W = nn.Parameter(torch.normal(0.0, sigma, size=(num_inputs, num_outputs)))
        self.b = nn.Parameter(torch.zeros(num_outputs))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        check_softmax_regression_scratch_input(X, self.num_inputs)
        return softmax(X.reshape(len(X), -1) @ self.W + self.b)
# --8<-- [end:softmax_regression_scratch]


def check_sgd_scratch_args(params: object, lr: object) -> list[torch.Tensor]:
    """检查 :class:`SGDScratch` 的构造参数：``params`` 是由张量组成的非空可迭代对象，``lr`` 是正数；
    返回参数组成的列表。"""
    if isinstance(params, torch.Tensor) or not isinstance(params, Iterable):
        raise TypeError(f"参数 params 应为由张量组成的列表，如 [W, b]，实际得到 {type(params).__name__}")
    params = list(params)
    if not params:
        raise ValueError("参数 params 中没有任何张量")
    for index, param in enumerate(params):
        require_tensor(param, f"params[{index}]", floating=True)
    require_positive(lr, "lr", what="学习率")
    return params


# --8<-- [start:sgd_scratch]
class SGDScratch:
    """从零实现的优化器：把线性回归一节的
    :func:`~lessons_src.linear_networks.linear_regression_scratch.sgd` 包装成
    :func:`train_epoch` 要的接口，即 ``zero_grad()`` 和 ``step()`` 两个方法。

    Examples:
        >>> w = torch.tensor([1.0], requires_grad=True)
        >>> updater = SGDScratch([w], lr=0.1)
        >>> updater.zero_grad()
        >>> (3 * w).sum().backward()
        >>> updater.step()
        >>> w
        tensor([0.7000], requires_grad=True)
    """

    def __init__(self, params: Iterable[torch.Tensor], lr: float) -> None:
        self.params = check_sgd_scratch_args(params, lr)
        self.lr = lr

    def zero_grad(self) -> None:
        for param in self.params:
            param.grad = None

    def step(self) -> None:
        # sgd 把梯度除以 batch_size，因为线性回归一节对小批量的损失求和；
        # train_epoch 的损失已经是小批量上的平均，梯度就是平均梯度，所以传 1
        sgd(self.params, self.lr, batch_size=1)
# --8<-- [end:sgd_scratch]


def check_count_correct_args(outputs: object, y: object) -> None:
    """检查 :func:`count_correct` 的参数：``outputs`` 是形状 ``(n, 类别数)`` 的张量，``y`` 是形状 ``(n,)`` 的张量。"""
    require_tensor(outputs, "outputs")
    require_tensor(y, "y")
    if outputs.dim() != 2 or y.shape != outputs.shape[:1]:
        raise ValueError(
            f"outputs 的形状应为 (n, 类别数)、y 的形状应为 (n,)，实际为 {tuple(outputs.shape)} 和 {tuple(y.shape)}"
        )


def check_not_empty(num_samples: int, data_iter: object) -> None:
    """遍历完 ``data_iter`` 之后的检查：至少得到了一个样本。"""
    if num_samples == 0:
        raise ValueError(
            f"数据中没有样本：遍历 {type(data_iter).__name__} 没有得到任何小批量；请检查数据集的划分和 batch_size"
        )


# --8<-- [start:devices]
def device_of(model: nn.Module) -> torch.device:
    """模型参数所在的设备（没有参数时为 CPU）；数据要移到同一个设备上才能计算。

    Examples:
        >>> device_of(nn.Linear(2, 1))
        device(type='cpu')
    """
    require_module(model, "model")
    parameter = next(model.parameters(), None)
    return parameter.device if parameter is not None else torch.device("cpu")


def on_device(data_iter: Batches, device: torch.device) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """逐个给出 ``data_iter`` 中的小批量 ``(X, y)``，都已移到 ``device`` 上；遍历完一个样本也没有时报错。

    Examples:
        >>> batches = [(torch.zeros(2, 3), torch.tensor([0, 1]))]
        >>> [X.device for X, y in on_device(batches, torch.device("cpu"))]
        [device(type='cpu')]
    """
    num_samples = 0
    for X, y in data_iter:
        num_samples += len(y)
        yield X.to(device), y.to(device)
    check_not_empty(num_samples, data_iter)
# --8<-- [end:devices]


# --8<-- [start:evaluation_mode]
@contextmanager
def evaluation_mode(model: nn.Module) -> Iterator[None]:
    """在 ``with`` 块中让模型处于评估模式、不记录梯度；离开时（即使块中出了错）恢复每个子模块原来的模式。

    Examples:
        >>> net = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
        >>> with evaluation_mode(net):
        ...     print(net.training, torch.is_grad_enabled())
        False False
        >>> net.training, torch.is_grad_enabled()
        (True, True)
    """
    require_module(model, "model")
    modes = [(module, module.training) for module in model.modules()]  # 子模块的模式可能各不相同
    model.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        for module, training in modes:
            module.train(training)
# --8<-- [end:evaluation_mode]


# --8<-- [start:evaluate_accuracy]
def count_correct(outputs: torch.Tensor, y: torch.Tensor) -> int:
    """预测正确的样本数。``outputs`` 的每一行取最大值的下标作为预测类别：
    logits 和概率都可以，softmax 不改变最大值的位置。

    Examples:
        >>> count_correct(torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]]), torch.tensor([1, 1, 1]))
        2
    """
    check_count_correct_args(outputs, y)
    return int((outputs.argmax(dim=1) == y).sum())


def evaluate_accuracy(model: nn.Module, data_iter: Batches) -> float:
    """模型在 ``data_iter`` 全部样本上的准确率（评估模式，不记录梯度）。"""
    device = device_of(model)
    correct = total = 0
    with evaluation_mode(model):
        for X, y in on_device(data_iter, device):
            correct += count_correct(model(X), y)
            total += len(y)
    return correct / total
# --8<-- [end:evaluate_accuracy]


def check_train_step(loss: object, optimizer: object) -> None:
    """:func:`train_epoch` 每一步更新参数之前的检查：``loss`` 是标量张量（小批量上的平均损失），
    ``optimizer`` 有 ``zero_grad()`` 和 ``step()`` 方法（``torch.optim`` 中的优化器或 :class:`SGDScratch`），
    或者是一个接收批量大小的函数 ``updater(batch_size)``（如包装了
    :func:`~lessons_src.linear_networks.linear_regression_scratch.sgd` 的 ``lambda``）。"""
    is_optimizer = all(callable(getattr(optimizer, method, None)) for method in ("zero_grad", "step"))
    if not (is_optimizer or callable(optimizer)):
        raise TypeError(
            "参数 optimizer 应为优化器（如 torch.optim.SGD，或其他有 zero_grad() 和 step() 方法的对象），"
            f"或接收批量大小的函数 updater(batch_size)，实际得到 {type(optimizer).__name__}"
        )
    require_tensor(loss, "loss_fn 的返回值")
    if loss.dim() != 0:
        raise ValueError(
            f"loss_fn 应返回标量（小批量上的平均损失），实际返回了形状为 {tuple(loss.shape)} 的张量；"
            "可以在末尾加 .mean()"
        )


class CountingBatches:
    """包装由小批量 ``(X, y)`` 组成的可迭代对象，原样给出每个小批量；每遍历一遍，
    把这一遍给出的样本数记在 ``num_examples`` 里。:func:`fit` 用它算吞吐量。

    遍历完一个样本也没有时报错，报错信息里是被包装的对象的类型。

    Examples:
        >>> batches = CountingBatches([(torch.zeros(3, 2), torch.zeros(3)), (torch.zeros(1, 2), torch.zeros(1))])
        >>> [len(y) for X, y in batches], batches.num_examples
        ([3, 1], 4)
    """

    def __init__(self, data_iter: Batches) -> None:
        self.data_iter = data_iter
        self.num_examples = 0

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        self.num_examples = 0
        for X, y in self.data_iter:
            self.num_examples += len(y)
            yield X, y
        check_not_empty(self.num_examples, self.data_iter)


# --8<-- [start:train_epoch]
def train_epoch(
    model: nn.Module, train_iter: Batches, loss_fn: LossFn, optimizer: Updater
) -> tuple[float, float]:
    """训练一轮（遍历一次训练集），返回 ``(平均损失, 训练准确率)``。

    ``loss_fn`` 应返回小批量上的平均损失（``nn.CrossEntropyLoss()`` 的默认行为）。
    ``optimizer`` 是 ``torch.optim`` 中的优化器（或其他有 ``zero_grad()`` 和 ``step()`` 方法的对象），
    或者是从零实现的 ``updater(batch_size)``：它自己把梯度除以批量大小，
    所以要对小批量上的损失之**和**求梯度。
    """
    device = device_of(model)
    model.train()
    loss_sum, correct, total = 0.0, 0, 0
    for X, y in on_device(train_iter, device):
        outputs = model(X)  # 通常是 logits；从零实现的模型输出的是概率
        loss = loss_fn(outputs, y)
        check_train_step(loss, optimizer)
        if callable(optimizer):  # updater(batch_size)，如 sgd：梯度应是损失之和的梯度
            model.zero_grad()
            (loss * len(y)).backward()
            optimizer(len(y))
        else:  # 优化器的 step() 直接用 param.grad：梯度应是平均损失的梯度
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        loss_sum += loss.item() * len(y)
        correct += count_correct(outputs.detach(), y)
        total += len(y)
    return loss_sum / total, correct / total
# --8<-- [end:train_epoch]


def check_history_args(metrics: dict[str, Sequence[float]], best_epoch: object) -> None:
    """检查 :class:`History` 的构造参数：每个指标是同样长的列表，名字不与 ``History`` 的属性重名，
    ``best_epoch`` 是非负整数。"""
    check_metric_names(metrics)
    lengths = {name: len(values) for name, values in metrics.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"各指标记录的轮数应相同，实际为 {lengths}")
    require_int(best_epoch, "best_epoch", minimum=0)


def check_metric_names(metrics: dict[str, object]) -> None:
    """指标名不能与 :class:`History` 自己的属性（``record``、``epochs``、``metrics``、``best_epoch`` ……）重名。"""
    reserved = sorted(name for name in metrics if hasattr(History, name) or name in ("metrics", "best_epoch"))
    if reserved:
        raise ValueError(f"指标名 {reserved} 与 History 的属性重名，请换一个名字")


class History:
    """训练函数逐轮记录的指标：每个指标一个列表，按名字访问，例如 ``history.train_loss``。

    :func:`fit` 记录 ``train_loss``、``train_acc``、``test_acc``、``seconds``（每轮用时）和
    ``examples_per_second``（吞吐量，每秒训练的样本数）；
    早停一节的 ``fit_early_stopping`` 和训练流程一节的 ``train_with_checkpoint`` 记录验证集上的
    ``val_loss``、``val_acc`` 等，并把它们选中的一轮写进 ``best_epoch``。

    Args:
        best_epoch: 训练函数选中的一轮的编号（从 1 开始数，从检查点接着训练时接着往下数；0 表示没有选）。
        **metrics: 已有的记录，每个指标一个列表，各列表一样长。

    Examples:
        >>> history = History()
        >>> history.record(train_loss=0.9, val_acc=0.6)
        >>> history.record(train_loss=0.5, val_acc=0.8)
        >>> history.train_loss, history.epochs
        ([0.9, 0.5], 2)
        >>> History(train_loss=[1.0, 0.5], test_acc=[0.6, 0.7], best_epoch=2)
        History(train_loss=[1.0, 0.5], test_acc=[0.6, 0.7], best_epoch=2)
        >>> history.test_acc
        Traceback (most recent call last):
        ...
        AttributeError: History 中没有记录指标 'test_acc'；记录了的指标是 ['train_loss', 'val_acc']
    """

    def __init__(self, *, best_epoch: int = 0, **metrics: Sequence[float]) -> None:
        check_history_args(metrics, best_epoch)
        self.metrics: dict[str, list[float]] = {name: list(values) for name, values in metrics.items()}
        self.best_epoch = best_epoch

    def record(self, **values: float) -> None:
        """记录一轮的指标，例如 ``history.record(train_loss=0.5, test_acc=0.9)``；每一轮应记录同样的指标。"""
        check_metric_names(values)
        if self.metrics and values.keys() != self.metrics.keys():
            raise ValueError(f"每一轮应记录同样的指标 {list(self.metrics)}，这一轮给出的是 {list(values)}")
        for name, value in values.items():
            self.metrics.setdefault(name, []).append(value)

    @property
    def epochs(self) -> int:
        """已经记录的轮数。"""
        return len(next(iter(self.metrics.values()), []))

    def __getattr__(self, name: str) -> list[float]:
        # 只在普通的属性查找失败时才会调用：history.train_loss 就是 history.metrics["train_loss"]
        metrics = self.__dict__.get("metrics", {})
        if name in metrics:
            return metrics[name]
        raise AttributeError(f"History 中没有记录指标 {name!r}；记录了的指标是 {list(metrics)}")

    def __repr__(self) -> str:
        fields = [f"{name}={values!r}" for name, values in self.metrics.items()]
        if self.best_epoch:
            fields.append(f"best_epoch={self.best_epoch}")
        return f"History({', '.join(fields)})"


# --8<-- [start:fit]
def fit(
    model: nn.Module,
    train_iter: Batches,
    test_iter: Batches,
    loss_fn: LossFn,
    optimizer: Updater,
    num_epochs: int,
    *,
    progress: bool = True,
) -> History:
    """训练 ``num_epochs`` 轮，每轮结束时在测试集上评估，返回逐轮的记录。

    ``optimizer`` 与 :func:`train_epoch` 的相同。除了损失和准确率，还记录每轮的训练用时
    ``seconds`` 和吞吐量 ``examples_per_second``（每秒训练的样本数）。
    ``progress=True`` 时在标准错误输出上显示进度条（tqdm），不影响打印的结果。
    """
    from tqdm.auto import tqdm

    require_positive_int(num_epochs, "num_epochs")
    history = History()
    batches = CountingBatches(train_iter)  # 遍历时数出样本数，用来算吞吐量
    epochs = tqdm(range(num_epochs), desc="训练", unit="轮", disable=not progress, leave=False)
    for _ in epochs:
        start = time.perf_counter()
        train_loss, train_acc = train_epoch(model, batches, loss_fn, optimizer)
        seconds = time.perf_counter() - start
        test_acc = evaluate_accuracy(model, test_iter)
        history.record(train_loss=train_loss, train_acc=train_acc, test_acc=test_acc,
                       seconds=seconds, examples_per_second=batches.num_examples / seconds)
        epochs.set_postfix(loss=f"{train_loss:.3f}", test_acc=f"{test_acc:.3f}")
    return history
# --8<-- [end:fit]


def check_history(history: object, *names: str) -> History:
    """画图函数的检查：``history`` 是 :class:`History`，至少记录了一轮，并且记录了指标 ``names``。"""
    require_instance(history, "history", History, label="History")
    if history.epochs == 0:
        raise ValueError("history 中还没有任何一轮的记录")
    missing = [name for name in names if name not in history.metrics]
    if missing:
        raise ValueError(f"history 中缺少指标 {missing}；记录了的指标是 {list(history.metrics)}")
    return history


def plot_history(history: History, *, title: str = "训练曲线") -> Figure:
    """画出 :func:`fit` 记录的训练损失、训练准确率和测试准确率随轮数的变化。

    图的标签（网页上图片的替代文本）是 ``title``，须含中文。

    Examples:
        >>> figure = plot_history(History(train_loss=[1.0, 0.5], train_acc=[0.6, 0.8], test_acc=[0.55, 0.75]))
        >>> [line.get_label() for line in figure.axes[0].lines]
        ['train loss', 'train acc', 'test acc']
    """
    check_history(history, "train_loss", "train_acc", "test_acc")
    epochs = range(1, history.epochs + 1)
    figure = Figure(figsize=(5, 3.2), layout="constrained")
    figure.set_label(title)
    axes = figure.subplots()
    axes.plot(epochs, history.train_loss, label="train loss")
    axes.plot(epochs, history.train_acc, "--", label="train acc")
    axes.plot(epochs, history.test_acc, "-.", label="test acc")
    axes.set_xlabel("epoch")
    axes.set_xlim(1, max(history.epochs, 2))
    axes.grid(alpha=0.3)
    axes.legend()
    return figure
