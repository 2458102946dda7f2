"""优化算法：小批量随机梯度下降、动量法、Adam、AdamW 与学习率调度。

对应页面 ``docs/mlp/optimizers.md``。从零实现的优化器（:class:`SGDMomentumScratch`、
:class:`AdamScratch`、:class:`AdamWScratch`）都继承线性网络一章的
:class:`~lessons_src.linear_networks.softmax_regression.SGDScratch`，
沿用它的 ``zero_grad()``，只改写 ``step()``，所以
:func:`~lessons_src.linear_networks.softmax_regression.train_epoch` 和
:func:`~lessons_src.linear_networks.softmax_regression.fit` 都能直接用它们。
它们与 ``torch.optim.SGD(momentum=…)``、``torch.optim.Adam``、``torch.optim.AdamW`` 逐步一致
（只考虑 ``dampening=0``、``nesterov=False``、``amsgrad=False``、``maximize=False``）。

学习率调度写成“第 t 步的学习率”的闭式函数：:func:`step_lr`、:func:`cosine_lr`、
:func:`warmup_cosine_lr`，分别与 ``StepLR``、``CosineAnnealingLR``、
``SequentialLR(LinearLR, CosineAnnealingLR)`` 逐步一致。:func:`fit_with_scheduler` 是带调度器的训练循环，
:func:`plot_curves` 把几条曲线画在一张图上。
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping, Sequence

import torch
from matplotlib.figure import Figure
from torch import nn

from lessons_src.checks import (
    require_instance,
    require_int,
    require_positive,
    require_positive_int,
    require_real,
)
from lessons_src.linear_networks.softmax_regression import (
    Batches,
    History,
    LossFn,
    SGDScratch,
    evaluate_accuracy,
    train_epoch,
)

__all__ = [
    "AdamScratch",
    "AdamWScratch",
    "SGDMomentumScratch",
    "cosine_lr",
    "fit_with_scheduler",
    "plot_curves",
    "step_lr",
    "warmup_cosine_lr",
]


def check_momentum_args(momentum: object, weight_decay: object) -> tuple[float, float]:
    """检查 :class:`SGDMomentumScratch` 的动量 ``momentum``（在 [0, 1) 内）和权重衰减 ``weight_decay``（不小于 0）。"""
    return (
        require_real(momentum, "momentum", within="[0, 1)", what="动量"),
        require_real(weight_decay, "weight_decay", minimum=0.0, what="权重衰减"),
    )


def check_adam_args(betas: object, eps: object, weight_decay: object) -> tuple[tuple[float, float], float, float]:
    """检查 :class:`AdamScratch` 的 ``betas``（两个 [0, 1) 内的数）、``eps``（正数）和 ``weight_decay``（不小于 0）。"""
    if not isinstance(betas, tuple | list) or len(betas) != 2:
        raise TypeError(f"参数 betas 应为两个数组成的元组，如 (0.9, 0.999)，实际得到 {betas!r}")
    beta1 = require_real(betas[0], "betas[0]", within="[0, 1)", what="一阶矩的衰减率")
    beta2 = require_real(betas[1], "betas[1]", within="[0, 1)", what="二阶矩的衰减率")
    eps = require_positive(eps, "eps")
    return (beta1, beta2), eps, require_real(weight_decay, "weight_decay", minimum=0.0, what="权重衰减")


# --8<-- [start:sgd_momentum_scratch]
class SGDMomentumScratch(SGDScratch):
    """从零实现的动量法，与 ``torch.optim.SGD(params, lr, momentum, weight_decay=…)`` 逐步一致。

    每个参数一个速度 ``v``（从 0 开始）：``g ← ∇θ + λθ``，``v ← μv + g``，``θ ← θ - ηv``。

    Examples:
        >>> w = torch.tensor([1.0], requires_grad=True)
        >>> updater = SGDMomentumScratch([w], lr=0.1, momentum=0.9)
        >>> for _ in range(2):
        ...     updater.zero_grad()
        ...     (3 * w).sum().backward()
        ...     updater.step()
        >>> w  # 第一步走 0.1·3，第二步走 0.1·(0.9·3 + 3)
        tensor([0.1300], requires_grad=True)
    """

    def __init__(
        self,
        params: Iterable[torch.Tensor],
        lr: float,
        momentum: float = 0.9,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)  # 检查并保存 params 和 lr；zero_grad() 也来自父类
        check_momentum_args(momentum, weight_decay)
        self.momentum, self.weight_decay = momentum, weight_decay
        self.velocities = [torch.zeros_like(param) for param in self.params]

    @torch.no_grad()
    def step(self) -> None:
        for i, param in enumerate(self.params):
            if param.grad is None:  # 这一步没有梯度的参数不更新
                continue
            g = param.grad + self.weight_decay * param  # weight_decay：梯度加上 λθ
            v = self.momentum * self.velocities[i] + g  # v ← μv + g
            self.velocities[i] = v
            param -= self.lr * v  # θ ← θ - ηv
# --8<-- [end:sgd_momentum_scratch]


# --8<-- [start:adam_scratch]
class AdamScratch(SGDScratch):
    """从零实现的 Adam，与 ``torch.optim.Adam(params, lr, betas, eps, weight_decay)`` 逐步一致。

    ``weight_decay`` 按 L2 惩罚处理：把 ``λθ`` 加到梯度上，再和梯度一起被自适应的步长缩放。

    Examples:
        >>> w = torch.tensor([1.0, 1.0], requires_grad=True)
        >>> updater = AdamScratch([w], lr=0.1)
        >>> (torch.tensor([100.0, 0.01]) * w).sum().backward()
        >>> updater.step()
        >>> w  # 第一步每个分量都走约 lr，与梯度的大小无关
        tensor([0.9000, 0.9000], requires_grad=True)
    """

    decoupled = False  # AdamW 把它设为 True

    def __init__(
        self,
        params: Iterable[torch.Tensor],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)  # 检查并保存 params 和 lr；zero_grad() 也来自父类
        check_adam_args(betas, eps, weight_decay)
        self.betas, self.eps, self.weight_decay = betas, eps, weight_decay
        # 一阶矩（梯度的滑动平均）和二阶矩（梯度平方的滑动平均）
        self.m = [torch.zeros_like(param) for param in self.params]
        self.v = [torch.zeros_like(param) for param in self.params]
        self.t = [0] * len(self.params)  # 每个参数已经更新的步数

    @torch.no_grad()
    def step(self) -> None:
        beta1, beta2 = self.betas
        for i, param in enumerate(self.params):
            if param.grad is None:
                continue
            if self.decoupled:  # AdamW：直接把参数按比例缩小
                param.mul_(1 - self.lr * self.weight_decay)
                g = param.grad
            else:  # Adam：把 λθ 加到梯度上（L2 惩罚）
                g = param.grad + self.weight_decay * param
            self.t[i] += 1
            self.m[i] = beta1 * self.m[i] + (1 - beta1) * g
            self.v[i] = beta2 * self.v[i] + (1 - beta2) * g**2
            m_hat = self.m[i] / (1 - beta1 ** self.t[i])  # 偏差修正
            v_hat = self.v[i] / (1 - beta2 ** self.t[i])
            param -= self.lr * m_hat / (v_hat.sqrt() + self.eps)  # ε 加在开方之后
# --8<-- [end:adam_scratch]


# --8<-- [start:adamw_scratch]
class AdamWScratch(AdamScratch):
    """从零实现的 AdamW（解耦权重衰减），与 ``torch.optim.AdamW`` 逐步一致。

    每一步先 ``θ ← (1 - ηλ)θ``，再用不含 ``λθ`` 的梯度做一步 Adam。``weight_decay`` 默认 0.01，
    与 ``torch.optim.AdamW`` 相同。

    Examples:
        >>> w = torch.tensor([10.0], requires_grad=True)
        >>> updater = AdamWScratch([w], lr=0.1, weight_decay=0.5)
        >>> (0 * w).sum().backward()  # 梯度为 0：只剩衰减，10 × (1 - 0.1 × 0.5)
        >>> updater.step()
        >>> w
        tensor([9.5000], requires_grad=True)
    """

    decoupled = True

    def __init__(
        self,
        params: Iterable[torch.Tensor],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)
# --8<-- [end:adamw_scratch]


def check_schedule_args(t: object, base_lr: object, *periods: tuple[object, str]) -> int:
    """检查学习率调度函数的参数：步数 ``t`` 是非负整数，``base_lr`` 是正数，``periods`` 中的每个
    ``(值, 名字)`` 是正整数；返回 ``t``。"""
    t = require_int(t, "t", minimum=0, what="步数")
    require_positive(base_lr, "base_lr", what="初始学习率")
    for value, name in periods:
        require_positive_int(value, name)
    return t


def check_warmup_cosine_lr_args(t: object, base_lr: object, warmup_steps: object, total_steps: object) -> int:
    """检查 :func:`warmup_cosine_lr` 的参数：预热步数是正整数，总步数比预热步数多；返回 ``t``。"""
    require_int(total_steps, "total_steps")
    return check_schedule_args(
        t, base_lr, (warmup_steps, "warmup_steps"), (total_steps - warmup_steps, "total_steps - warmup_steps")
    )


# --8<-- [start:step_lr]
def step_lr(t: int, base_lr: float, step_size: int, gamma: float = 0.1) -> float:
    """阶梯衰减：每 ``step_size`` 步把学习率乘以 ``gamma``，即 ``base_lr * gamma ** (t // step_size)``。

    与 ``torch.optim.lr_scheduler.StepLR(optimizer, step_size, gamma)`` 调用 ``t`` 次 ``step()`` 后的学习率相同。

    Examples:
        >>> [step_lr(t, 1.0, step_size=2, gamma=0.5) for t in range(6)]
        [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    """
    t = check_schedule_args(t, base_lr, (step_size, "step_size"))
    return base_lr * gamma ** (t // step_size)
# --8<-- [end:step_lr]


# --8<-- [start:cosine_lr]
def cosine_lr(t: int, base_lr: float, T_max: int, eta_min: float = 0.0) -> float:
    """余弦退火：``eta_min + (base_lr - eta_min) * (1 + cos(π t / T_max)) / 2``，第 ``T_max`` 步降到 ``eta_min``。

    与 ``torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max, eta_min)`` 调用 ``t`` 次 ``step()``
    后的学习率相同（``0 ≤ t ≤ T_max``）。

    Examples:
        >>> [round(cosine_lr(t, 1.0, T_max=4), 4) for t in range(5)]
        [1.0, 0.8536, 0.5, 0.1464, 0.0]
    """
    t = check_schedule_args(t, base_lr, (T_max, "T_max"))
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * t / T_max)) / 2
# --8<-- [end:cosine_lr]


# --8<-- [start:warmup_cosine_lr]
def warmup_cosine_lr(
    t: int,
    base_lr: float,
    warmup_steps: int,
    total_steps: int,
    start_factor: float = 0.1,
    eta_min: float = 0.0,
) -> float:
    """线性预热加余弦退火：前 ``warmup_steps`` 步从 ``start_factor * base_lr`` 线性升到 ``base_lr``，
    之后在余下的 ``total_steps - warmup_steps`` 步里按余弦降到 ``eta_min``。

    与 ``SequentialLR`` 把 ``LinearLR(optimizer, start_factor, total_iters=warmup_steps)``
    和 ``CosineAnnealingLR(optimizer, T_max=total_steps - warmup_steps, eta_min)``
    在第 ``warmup_steps`` 步接起来的结果相同。

    Examples:
        >>> [round(warmup_cosine_lr(t, 1.0, 2, 6, start_factor=0.5), 3) for t in range(7)]
        [0.5, 0.75, 1.0, 0.854, 0.5, 0.146, 0.0]
    """
    t = check_warmup_cosine_lr_args(t, base_lr, warmup_steps, total_steps)
    if t < warmup_steps:  # 预热：学习率的倍数从 start_factor 线性增加到 1
        return base_lr * (start_factor + (1 - start_factor) * t / warmup_steps)
    return cosine_lr(t - warmup_steps, base_lr, total_steps - warmup_steps, eta_min)
# --8<-- [end:warmup_cosine_lr]


def check_fit_with_scheduler_args(optimizer: object, num_epochs: object, scheduler: object) -> None:
    """检查 :func:`fit_with_scheduler` 的参数：轮数是正整数，``scheduler`` 为 ``None`` 或 ``torch.optim``
    的学习率调度器，并且调度的正是 ``optimizer``。"""
    require_positive_int(num_epochs, "num_epochs")
    if scheduler is None:
        return
    require_instance(scheduler, "scheduler", torch.optim.lr_scheduler.LRScheduler, label="学习率调度器")
    if scheduler.optimizer is not optimizer:
        raise ValueError("scheduler 调度的应是传入的 optimizer，实际是另一个优化器；"
                         "请用 scheduler = StepLR(optimizer, ...) 这样的写法创建它")


# --8<-- [start:fit_with_scheduler]
def fit_with_scheduler(
    model: nn.Module,
    train_iter: Batches,
    test_iter: Batches,
    loss_fn: LossFn,
    optimizer: torch.optim.Optimizer,
    num_epochs: int,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
) -> History:
    """像 :func:`~lessons_src.linear_networks.softmax_regression.fit` 一样训练 ``num_epochs`` 轮，
    每轮结束时调用一次 ``scheduler.step()``；记录 ``train_loss``、``test_acc``、这一轮的学习率 ``lr``
    和用时 ``seconds``。

    Examples:
        >>> from lessons_src.linear_networks.image_classification_dataset import digits_loaders
        >>> train_iter, test_iter = digits_loaders()
        >>> net = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
        >>> optimizer = torch.optim.SGD(net.parameters(), lr=0.5)
        >>> scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
        >>> history = fit_with_scheduler(net, train_iter, test_iter, nn.CrossEntropyLoss(),
        ...                              optimizer, 3, scheduler)
        >>> history.lr
        [0.5, 0.25, 0.125]
    """
    check_fit_with_scheduler_args(optimizer, num_epochs, scheduler)
    history = History()
    for _ in range(num_epochs):
        lr = optimizer.param_groups[0]["lr"]  # 这一轮用的学习率
        start = time.perf_counter()
        # train_epoch 对每个小批量调用一次 optimizer.step()
        train_loss, _ = train_epoch(model, train_iter, loss_fn, optimizer)
        seconds = time.perf_counter() - start
        if scheduler is not None:
            scheduler.step()  # 这一轮的 optimizer.step() 都做完之后，定下一轮的学习率
        test_acc = evaluate_accuracy(model, test_iter)
        history.record(train_loss=train_loss, test_acc=test_acc, lr=lr,
                       seconds=seconds)
    return history
# --8<-- [end:fit_with_scheduler]


def check_curves(curves: object) -> Mapping[str, Sequence[float]]:
    """检查 :func:`plot_curves` 的 ``curves``：非空的字典，每条曲线是非空的数列。"""
    if not isinstance(curves, Mapping) or len(curves) == 0:
        raise ValueError("参数 curves 应为非空的字典：图例 → 数列")
    for name, values in curves.items():
        if isinstance(values, str | bytes) or not isinstance(values, Sequence) or len(values) == 0:
            raise TypeError(f"curves[{name!r}] 应为非空的数列（如 list），实际得到 {type(values).__name__}")
    return curves


def plot_curves(
    curves: Mapping[str, Sequence[float]],
    *,
    xlabel: str = "epoch",
    ylabel: str = "loss",
    title: str = "几条曲线随轮数的变化",
    logy: bool = False,
    start: int = 1,
) -> Figure:
    """把几条曲线画在一张图上，横轴从 ``start`` 开始编号。

    Args:
        curves: 图例（英文）→ 每一步或每一轮的值。
        xlabel: 横轴的名字。
        ylabel: 纵轴的名字。
        title: 图的中文说明（网页上图片的替代文本）。
        logy: 为 ``True`` 时纵轴用对数刻度。
        start: 第一个点的横坐标（轮数从 1 数，步数从 0 数）。

    Examples:
        >>> figure = plot_curves({"SGD": [1.0, 0.5], "Adam": [0.8, 0.2]})
        >>> [line.get_label() for line in figure.axes[0].lines]
        ['SGD', 'Adam']
    """
    check_curves(curves)
    figure = Figure(figsize=(5, 3.2), layout="constrained")
    figure.set_label(title)
    axes = figure.subplots()
    styles = ["-", "--", "-.", ":"]
    for index, (name, values) in enumerate(curves.items()):
        steps = range(start, start + len(values))
        axes.plot(steps, values, styles[index % len(styles)], label=name)
    if logy:
        axes.set_yscale("log")
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.grid(alpha=0.3)
    axes.legend()
    return figure
