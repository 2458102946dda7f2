"""早停（early stopping）：监视验证集损失，保存最好的参数，连续若干轮没有改进就停止训练。

对应页面 ``docs/mlp/early-stopping.md``。训练的每一轮复用 softmax 回归一节的
:func:`~lessons_src.linear_networks.softmax_regression.train_epoch` 和
:func:`~lessons_src.linear_networks.softmax_regression.evaluate_accuracy`。
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

import torch
from matplotlib.figure import Figure
from torch import nn

from lessons_src.checks import (
    require_module,
    require_positive_int,
    require_real,
    require_tensor,
)
from lessons_src.linear_networks.softmax_regression import (
    Batches,
    LossFn,
    device_of,
    evaluate_accuracy,
    train_epoch,
)

__all__ = [
    "EarlyStopping",
    "EarlyStoppingHistory",
    "corrupt_labels",
    "evaluate_loss",
    "fit_early_stopping",
    "plot_early_stopping",
]

# --8<-- [start:corrupt_labels]
def corrupt_labels(y: torch.Tensor, fraction: float, num_classes: int, *, seed: int = 0) -> torch.Tensor:
    """随机挑出 ``fraction`` 比例的样本，把它们的标签换成另一个（错误的）类别，返回新的标签张量。

    原来的 ``y`` 不会被修改。被挑中的样本一定被改错：新标签是 ``(y + k) % num_classes``，
    其中 ``k`` 在 ``1, ..., num_classes - 1`` 中均匀地随机选取。

    Args:
        y: 整数类别标签，形状为 ``(n,)``，取值在 ``[0, num_classes)`` 内。
        fraction: 要改错的比例，在 [0, 1] 内；改错的个数是 ``round(fraction * n)``。
        num_classes: 类别数，至少为 2。
        seed: 随机种子。

    Examples:
        >>> y = torch.tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
        >>> noisy = corrupt_labels(y, 0.3, 10)
        >>> int((noisy != y).sum())
        3
    """
    require_tensor(y, "y")
    if y.dtype != torch.int64 or y.dim() != 1:
        raise TypeError(f"参数 y 应为一维的 torch.int64 张量，实际为 {y.dtype}、形状 {tuple(y.shape)}")
    fraction = require_real(fraction, "fraction")
    if not 0 <= fraction <= 1:
        raise ValueError(f"参数 fraction 应在 [0, 1] 内，实际得到 {fraction}")
    num_classes = require_positive_int(num_classes, "num_classes")
    if num_classes < 2:
        raise ValueError(f"参数 num_classes 至少为 2（才有“错误的类别”可换），实际得到 {num_classes}")
    if len(y) > 0 and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"y 中的标签应在 [0, {num_classes}) 内，实际范围是 [{int(y.min())}, {int(y.max())}]")
    generator = torch.Generator().manual_seed(seed)
    chosen = torch.randperm(len(y), generator=generator)[: round(fraction * len(y))]
    shift = torch.randint(1, num_classes, (len(chosen),), generator=generator)
    noisy = y.clone()
    noisy[chosen] = (y[chosen] + shift) % num_classes
    return noisy
# --8<-- [end:corrupt_labels]


# --8<-- [start:evaluate_loss]
def evaluate_loss(model: nn.Module, data_iter: Batches, loss_fn: LossFn) -> float:
    """模型在 ``data_iter`` 全部样本上的平均损失（评估模式，不计算梯度）。

    ``loss_fn`` 应返回小批量上的平均损失；这里乘以批量大小再累加，最后除以样本总数，
    所以最后一个小批量较小时结果也是准确的逐样本平均。
    """
    require_module(model, "model")
    device = device_of(model)
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for X, y in data_iter:
            X, y = X.to(device), y.to(device)
            total += loss_fn(model(X), y).item() * len(y)
            count += len(y)
    model.train(was_training)
    if count == 0:
        raise ValueError("data_iter 中没有样本，无法计算损失")
    return total / count
# --8<-- [end:evaluate_loss]


# --8<-- [start:EarlyStopping]
class EarlyStopping:
    """记录验证损失最低的一轮和那时的参数；连续 ``patience`` 轮没有改进时提示停止。

    “改进”指验证损失比目前最好的值低了超过 ``min_delta``。

    Args:
        patience: 容忍多少轮没有改进，正整数。
        min_delta: 至少降低多少才算改进，非负实数。

    Examples:
        >>> model = nn.Linear(2, 1)
        >>> stopper = EarlyStopping(patience=2)
        >>> [stopper.step(loss, model) for loss in [0.9, 0.5, 0.6, 0.7]]
        [False, False, False, True]
        >>> stopper.best_epoch, stopper.best_loss
        (2, 0.5)
    """

    def __init__(self, patience: int, min_delta: float = 0.0) -> None:
        self.patience = require_positive_int(patience, "patience")
        self.min_delta = require_real(min_delta, "min_delta", minimum=0.0)
        self.best_loss = math.inf
        self.best_epoch = 0  # 从 1 开始计数；0 表示还没有记录
        self.best_state: dict[str, torch.Tensor] | None = None
        self.epoch = 0
        self.bad_epochs = 0

    def step(self, val_loss: float, model: nn.Module) -> bool:
        """报告这一轮的验证损失；返回 ``True`` 表示应当停止训练。"""
        val_loss = require_real(val_loss, "val_loss")
        require_module(model, "model")
        self.epoch += 1
        if val_loss < self.best_loss - self.min_delta:
            self.best_loss, self.best_epoch, self.bad_epochs = val_loss, self.epoch, 0
            # state_dict() 返回的是参数本身的引用，不深拷贝的话之后的训练会把它一起改掉
            self.best_state = copy.deepcopy(model.state_dict())
        else:
            self.bad_epochs += 1
        return self.bad_epochs >= self.patience

    def restore(self, model: nn.Module) -> None:
        """把记录下的最好参数装回 ``model``。"""
        require_module(model, "model")
        if self.best_state is None:
            raise ValueError("还没有记录任何一轮的参数，请先调用 step()")
        model.load_state_dict(self.best_state)
# --8<-- [end:EarlyStopping]


# --8<-- [start:fit_early_stopping]
@dataclass
class EarlyStoppingHistory:
    """:func:`fit_early_stopping` 逐轮记录的训练过程和早停选中的轮次。"""

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    param_norm: list[float] = field(default_factory=list)
    best_epoch: int = 0
    """验证损失最低的一轮（从 1 开始计数），模型最后恢复的就是这一轮结束时的参数。"""

    @property
    def epochs(self) -> int:
        """实际训练的轮数。"""
        return len(self.train_loss)


def _param_norm(model: nn.Module) -> float:
    return math.sqrt(sum(float((p.detach() ** 2).sum()) for p in model.parameters()))


def fit_early_stopping(
    model: nn.Module,
    train_iter: Batches,
    val_iter: Batches,
    loss_fn: LossFn,
    optimizer: torch.optim.Optimizer,
    max_epochs: int,
    patience: int,
    *,
    min_delta: float = 0.0,
) -> EarlyStoppingHistory:
    """最多训练 ``max_epochs`` 轮，按验证损失早停，结束时把模型恢复到验证损失最低的那一轮。

    Returns:
        逐轮的训练损失、训练准确率、验证损失、验证准确率、全部参数的 L2 范数，
        以及选中的轮次 ``best_epoch``。
    """
    require_module(model, "model")
    max_epochs = require_positive_int(max_epochs, "max_epochs")
    stopper = EarlyStopping(patience, min_delta)
    history = EarlyStoppingHistory()
    for _ in range(max_epochs):
        train_loss, train_acc = train_epoch(model, train_iter, loss_fn, optimizer)
        val_loss = evaluate_loss(model, val_iter, loss_fn)
        history.train_loss.append(train_loss)
        history.train_acc.append(train_acc)
        history.val_loss.append(val_loss)
        history.val_acc.append(evaluate_accuracy(model, val_iter))
        history.param_norm.append(_param_norm(model))
        if stopper.step(val_loss, model):
            break
    stopper.restore(model)
    history.best_epoch = stopper.best_epoch
    return history
# --8<-- [end:fit_early_stopping]


def plot_early_stopping(history: EarlyStoppingHistory) -> Figure:
    """左图画训练集和验证集的损失，右图画准确率，竖虚线标出早停选中的轮次。

    Examples:
        >>> history = EarlyStoppingHistory([1.0, 0.5, 0.3], [0.6, 0.8, 0.9], [0.9, 0.7, 0.8],
        ...                                [0.7, 0.8, 0.75], [1.0, 1.1, 1.2], best_epoch=2)
        >>> figure = plot_early_stopping(history)
        >>> [line.get_label() for line in figure.axes[0].lines]
        ['train loss', 'validation loss', 'best epoch = 2']
    """
    fields = ("train_loss", "train_acc", "val_loss", "val_acc", "best_epoch")
    if not all(hasattr(history, name) for name in fields):
        raise TypeError(f"参数 history 应为 EarlyStoppingHistory，实际得到 {type(history).__name__}")
    if history.epochs == 0:
        raise ValueError("history 中还没有任何一轮的记录")
    if not 1 <= history.best_epoch <= history.epochs:
        raise ValueError(f"history.best_epoch 应在 1 到 {history.epochs} 之间，实际为 {history.best_epoch}")
    epochs = range(1, history.epochs + 1)
    figure = Figure(figsize=(8, 3.2), layout="constrained")
    figure.set_label(
        "训练集与验证集的损失（左）和准确率（右）随轮数的变化，"
        f"虚线标出早停选中的第 {history.best_epoch} 轮"
    )
    loss_axes, acc_axes = figure.subplots(1, 2)
    loss_axes.plot(epochs, history.train_loss, label="train loss")
    loss_axes.plot(epochs, history.val_loss, label="validation loss")
    acc_axes.plot(epochs, history.train_acc, label="train acc")
    acc_axes.plot(epochs, history.val_acc, label="validation acc")
    for axes, ylabel in ((loss_axes, "loss"), (acc_axes, "accuracy")):
        axes.axvline(history.best_epoch, color="0.3", linestyle="--", label=f"best epoch = {history.best_epoch}")
        axes.set_xlabel("epoch")
        axes.set_ylabel(ylabel)
        axes.grid(alpha=0.3)
        axes.legend()
    return figure
