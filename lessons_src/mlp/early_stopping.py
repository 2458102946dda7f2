"""早停（early stopping）：监视验证集损失，保存最好的参数，连续若干轮没有改进就停止训练。

对应页面 ``docs/mlp/early-stopping.md``。训练的每一轮复用 softmax 回归一节的
:func:`~lessons_src.linear_networks.softmax_regression.train_epoch` 和
:func:`~lessons_src.linear_networks.softmax_regression.evaluate_accuracy`；评估用同一节的
:func:`~lessons_src.linear_networks.softmax_regression.evaluation_mode`，逐轮的记录是同一节的
:class:`~lessons_src.linear_networks.softmax_regression.History`。
"""

from __future__ import annotations

import copy
import math

import torch
from matplotlib.figure import Figure
from torch import nn

from lessons_src.checks import require_int, require_module, require_positive_int, require_real, require_tensor
from lessons_src.linear_networks.softmax_regression import (
    Batches,
    History,
    LossFn,
    check_history,
    device_of,
    evaluate_accuracy,
    evaluation_mode,
    on_device,
    train_epoch,
)

__all__ = [
    "EarlyStopping",
    "corrupt_labels",
    "evaluate_loss",
    "fit_early_stopping",
    "param_norm",
    "plot_early_stopping",
]


def check_corrupt_labels_args(y: object, fraction: object, num_classes: object) -> None:
    """检查 :func:`corrupt_labels` 的参数：``y`` 是一维的 ``torch.int64`` 张量，取值在 ``[0, num_classes)`` 内；
    ``fraction`` 在 [0, 1] 内；``num_classes`` 是不小于 2 的整数（才有错误的类别可换）。"""
    require_tensor(y, "y")
    if y.dtype != torch.int64 or y.dim() != 1:
        raise TypeError(f"参数 y 应为一维的 torch.int64 张量，实际为 {y.dtype}、形状 {tuple(y.shape)}")
    require_real(fraction, "fraction", within="[0, 1]")
    require_int(num_classes, "num_classes", minimum=2, what="类别数，至少 2 个才有错误的类别可换")
    if len(y) > 0 and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"y 中的标签应在 [0, {num_classes}) 内，实际范围是 [{int(y.min())}, {int(y.max())}]")

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
    check_corrupt_labels_args(y, fraction, num_classes)
    generator = torch.Generator().manual_seed(seed)
    chosen = torch.randperm(len(y), generator=generator)[: round(fraction * len(y))]
    shift = torch.randint(1, num_classes, (len(chosen),), generator=generator)
    noisy = y.clone()
    noisy[chosen] = (y[chosen] + shift) % num_classes
    return noisy
# --8<-- [end:corrupt_labels]


# --8<-- [start:evaluate_loss]
def evaluate_loss(model: nn.Module, data_iter: Batches, loss_fn: LossFn) -> float:
    """模型在 ``data_iter`` 全部样本上的平均损失（评估模式，不记录梯度，结束后恢复原来的模式）。

    ``loss_fn`` 应返回小批量上的平均损失；这里乘以批量大小再累加，最后除以样本总数，
    所以最后一个小批量较小时结果也是准确的逐样本平均。
    """
    device = device_of(model)
    loss_sum, total = 0.0, 0
    with evaluation_mode(model):
        for X, y in on_device(data_iter, device):
            loss_sum += loss_fn(model(X), y).item() * len(y)
            total += len(y)
    return loss_sum / total
# --8<-- [end:evaluate_loss]


def check_early_stopping_args(patience: object, min_delta: object) -> tuple[int, float]:
    """检查 :class:`EarlyStopping` 的构造参数：``patience`` 是正整数，``min_delta`` 是非负实数；返回两者。"""
    return require_positive_int(patience, "patience"), require_real(min_delta, "min_delta", minimum=0.0)


def check_early_stopping_step_args(val_loss: object, model: object) -> float:
    """检查 :meth:`EarlyStopping.step` 的参数：``val_loss`` 是有限实数，``model`` 是模型；返回 ``float(val_loss)``。"""
    require_module(model, "model")
    return require_real(val_loss, "val_loss")


def check_early_stopping_restore_args(stopper: EarlyStopping, model: object) -> None:
    """检查 :meth:`EarlyStopping.restore`：``model`` 是模型，并且已经记录过参数。"""
    require_module(model, "model")
    if stopper.best_state is None:
        raise ValueError("还没有记录任何一轮的参数，请先调用 step()")


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
        self.patience, self.min_delta = check_early_stopping_args(patience, min_delta)
        self.best_loss = math.inf
        self.best_epoch = 0  # 从 1 开始计数；0 表示还没有记录
        self.best_state: dict[str, torch.Tensor] | None = None
        self.epoch = 0
        self.bad_epochs = 0

    def step(self, val_loss: float, model: nn.Module) -> bool:
        """报告这一轮的验证损失；返回 ``True`` 表示应当停止训练。"""
        val_loss = check_early_stopping_step_args(val_loss, model)
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
        check_early_stopping_restore_args(self, model)
        model.load_state_dict(self.best_state)
# --8<-- [end:EarlyStopping]


# --8<-- [start:fit_early_stopping]
def param_norm(model: nn.Module) -> float:
    """模型全部参数合在一起的 L2 范数。"""
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
) -> History:
    """最多训练 ``max_epochs`` 轮，按验证损失早停，结束时把模型恢复到验证损失最低的那一轮。

    Returns:
        逐轮的记录（:class:`~lessons_src.linear_networks.softmax_regression.History`）：训练损失
        ``train_loss``、训练准确率 ``train_acc``、验证损失 ``val_loss``、验证准确率 ``val_acc``、
        全部参数的 L2 范数 ``param_norm``，以及选中的轮次 ``best_epoch``（从 1 开始计数）。
    """
    require_positive_int(max_epochs, "max_epochs")
    stopper = EarlyStopping(patience, min_delta)
    history = History()
    for _ in range(max_epochs):
        train_loss, train_acc = train_epoch(model, train_iter, loss_fn, optimizer)
        val_loss = evaluate_loss(model, val_iter, loss_fn)
        history.record(train_loss=train_loss, train_acc=train_acc, val_loss=val_loss,
                       val_acc=evaluate_accuracy(model, val_iter), param_norm=param_norm(model))
        if stopper.step(val_loss, model):
            break
    stopper.restore(model)
    history.best_epoch = stopper.best_epoch
    return history
# --8<-- [end:fit_early_stopping]


def plot_early_stopping(history: History) -> Figure:
    """左图画训练集和验证集的损失，右图画准确率，竖虚线标出选中的轮次 ``history.best_epoch``。

    ``history`` 要记录 ``train_loss``、``train_acc``、``val_loss``、``val_acc``；记录了轮次编号 ``epoch`` 时
    （例如从检查点接着训练），横轴用它，否则从 1 开始数。

    Examples:
        >>> history = History(train_loss=[1.0, 0.5, 0.3], train_acc=[0.6, 0.8, 0.9], val_loss=[0.9, 0.7, 0.8],
        ...                   val_acc=[0.7, 0.8, 0.75], best_epoch=2)
        >>> figure = plot_early_stopping(history)
        >>> [line.get_label() for line in figure.axes[0].lines]
        ['train loss', 'validation loss', 'best epoch = 2']
    """
    check_history(history, "train_loss", "train_acc", "val_loss", "val_acc")
    epochs = history.epoch if "epoch" in history.metrics else list(range(1, history.epochs + 1))
    if history.best_epoch not in epochs:
        raise ValueError(
            f"history.best_epoch 应是记录了的轮次 {epochs[0]} 到 {epochs[-1]} 之一，实际为 {history.best_epoch}"
        )
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
