"""完整的训练流程：超参数、小型卷积网络、初始化、训练与验证、检查点、测试评估。

对应页面 ``docs/workflow/training-workflow.md``。数据的划分和标准化用
:mod:`lessons_src.workflow.data_split` 中的函数；训练一轮、评估模式和逐轮的记录复用 softmax 回归一节的
:func:`~lessons_src.linear_networks.softmax_regression.train_epoch`、
:func:`~lessons_src.linear_networks.softmax_regression.evaluation_mode` 和
:class:`~lessons_src.linear_networks.softmax_regression.History`。这里补上它们没有的部分：
一次遍历同时算出验证损失和准确率的 :func:`validate`、收集预测结果的 :func:`predict`，
以及每轮验证并保存最好检查点的 :func:`train_with_checkpoint`（可以带一个学习率调度器，
由 :func:`make_scheduler` 按 :class:`Config` 创建），查看逐层权重分布的 :func:`layer_weights` 和
:func:`plot_weight_histograms`，画学习率曲线的 :func:`plot_lr_schedules`。
"""

from __future__ import annotations

import math
import os
from collections.abc import Sized
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from matplotlib.figure import Figure
from torch import nn
from torch.optim.lr_scheduler import LRScheduler

from lessons_src.checks import (
    require_choice,
    require_instance,
    require_int,
    require_module,
    require_path,
    require_positive,
    require_positive_int,
    require_real,
)
from lessons_src.deep_learning_computation.use_gpu import try_gpu
from lessons_src.linear_networks.softmax_regression import (
    Batches,
    History,
    LossFn,
    count_correct,
    device_of,
    evaluation_mode,
    on_device,
    train_epoch,
)

__all__ = [
    "Config",
    "initialize_weights",
    "layer_weights",
    "load_checkpoint",
    "make_scheduler",
    "plot_lr_schedules",
    "plot_weight_histograms",
    "predict",
    "small_cnn",
    "train_with_checkpoint",
    "validate",
]


def check_config(config: Config) -> None:
    """检查 :class:`Config` 的取值：批量大小和轮数是正整数，种子是非负整数，学习率是正数，
    两个比例都在 (0, 1) 内且和小于 1，``scheduler`` 是 ``"none"``、``"step"`` 或 ``"cosine"``，
    ``device`` 是 ``torch.device``。"""
    require_positive_int(config.batch_size, "batch_size")
    require_positive_int(config.num_epochs, "num_epochs")
    require_choice(config.scheduler, "scheduler", SCHEDULERS)
    require_int(config.seed, "seed", minimum=0)
    require_positive(config.lr, "lr")
    val = require_real(config.val_fraction, "val_fraction", within="(0, 1)")
    test = require_real(config.test_fraction, "test_fraction", within="(0, 1)")
    if val + test >= 1:
        raise ValueError(f"val_fraction 和 test_fraction 之和应小于 1（要给训练集留下样本），实际为 {val} 和 {test}")
    require_instance(config.device, "device", torch.device)


SCHEDULERS = ("none", "step", "cosine")


# --8<-- [start:config]
@dataclass(frozen=True)
class Config:
    """一次训练用到的全部超参数，集中放在一处，改动和记录都方便。

    Examples:
        >>> config = Config(num_epochs=5)
        >>> config.batch_size, config.num_epochs
        (64, 5)
        >>> Config(lr=0)
        Traceback (most recent call last):
        ...
        ValueError: 参数 lr 应为正数，实际得到 0.0
    """

    batch_size: int = 64
    lr: float = 3e-3                  # Adam 的学习率
    num_epochs: int = 10
    scheduler: str = "none"           # 学习率调度："none"（不变）、"step" 或 "cosine"
    seed: int = 0                     # 划分数据、初始化参数、打乱顺序都由它决定
    val_fraction: float = 0.2         # 验证集占全部样本的比例
    test_fraction: float = 0.2        # 测试集占全部样本的比例
    device: torch.device = field(default_factory=try_gpu)  # 有 GPU 用 GPU，否则用 CPU

    def __post_init__(self) -> None:
        check_config(self)  # 创建时就检查每个取值
# --8<-- [end:config]


# --8<-- [start:small_cnn]
def small_cnn(num_classes: int = 10) -> nn.Sequential:
    """用于 1×8×8 灰度图像的小型卷积网络，输出 ``num_classes`` 个类别的 logit。

    两个“3×3 卷积（填充 1）+ 批量规范化 + ReLU”，一个 2×2 最大汇聚层把 8×8 缩成 4×4，
    展平后接一个全连接层。卷积层后面紧跟批量规范化，偏置会被规范化减去均值时抵消，所以不设偏置。

    Examples:
        >>> small_cnn()(torch.zeros(2, 1, 8, 8)).shape
        torch.Size([2, 10])
    """
    require_positive_int(num_classes, "num_classes")
    return nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
        nn.Conv2d(16, 32, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
        nn.MaxPool2d(kernel_size=2),                    # 8×8 → 4×4
        nn.Flatten(),
        nn.Linear(32 * 4 * 4, num_classes),
    )
# --8<-- [end:small_cnn]


# --8<-- [start:initialize_weights]
def initialize_weights(module: nn.Module) -> None:
    """按层的类型初始化一个模块的参数；用法是 ``net.apply(initialize_weights)``。

    - 卷积层（后接 ReLU）：He（Kaiming）正态初始化，偏置置 0；
    - 全连接层：均值 0、标准差 0.01 的正态分布，偏置置 0；
    - 批量规范化层：拉伸参数置 1、偏移参数置 0；
    - 其他模块（ReLU、汇聚层、``Sequential`` 本身……）没有要初始化的参数，不做任何事。

    Examples:
        >>> conv = nn.Conv2d(16, 32, kernel_size=3)
        >>> initialize_weights(conv)
        >>> bool((conv.bias == 0).all()), conv.weight.requires_grad
        (True, True)
    """
    require_module(module, "module")
    if isinstance(module, nn.Conv2d):
        nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity="relu")
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, mean=0.0, std=0.01)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)) and module.affine:  # affine=False 时没有这两个参数
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)
# --8<-- [end:initialize_weights]


# --8<-- [start:validate]
def validate(model: nn.Module, loader: Batches, loss_fn: LossFn) -> tuple[float, float]:
    """在 ``loader`` 的全部样本上评估模型，返回 ``(平均损失, 准确率)``，不改变任何参数。

    评估时切换到评估模式并关闭梯度计算，结束后恢复模型原来的模式。
    ``loss_fn`` 应返回小批量上的平均损失；乘以批量大小再累加、最后除以样本总数，
    最后一个小批量较小时得到的也是准确的逐样本平均。
    """
    device = device_of(model)
    loss_sum, correct, total = 0.0, 0, 0
    with evaluation_mode(model):      # Dropout 不再丢弃，批量规范化改用移动平均；不记录计算图
        for X, y in on_device(loader, device):
            logits = model(X)
            loss_sum += loss_fn(logits, y).item() * len(y)
            correct += count_correct(logits, y)
            total += len(y)
    return loss_sum / total, correct / total
# --8<-- [end:validate]


# --8<-- [start:predict]
def predict(model: nn.Module, loader: Batches) -> tuple[torch.Tensor, torch.Tensor]:
    """返回 ``(真实标签, 预测标签)``，都是 CPU 上的一维整数张量，顺序与 ``loader`` 相同。

    Examples:
        >>> from torch.utils.data import DataLoader, TensorDataset
        >>> net = nn.Linear(2, 2)
        >>> _ = nn.init.eye_(net.weight), nn.init.zeros_(net.bias)  # 输出就等于输入
        >>> data = DataLoader(TensorDataset(torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.tensor([0, 0])))
        >>> predict(net, data)
        (tensor([0, 0]), tensor([0, 1]))
    """
    device = device_of(model)
    y_true, y_pred = [], []
    with evaluation_mode(model):
        for X, y in on_device(loader, device):
            y_true.append(y.cpu())
            y_pred.append(model(X).argmax(dim=1).cpu())
    return torch.cat(y_true), torch.cat(y_pred)
# --8<-- [end:predict]


def check_train_with_checkpoint_args(
    *,
    model: object,
    train_loader: object,
    val_loader: object,
    num_epochs: object,
    checkpoint_path: object,
    start_epoch: object = 0,
    optimizer: object = None,
    scheduler: object = None,
    **_: object,
) -> Path:
    """在训练开始之前检查 :func:`train_with_checkpoint` 的参数，免得训练了很久才在保存时出错：
    ``model`` 是模型，两个数据加载器不是空的，``num_epochs`` 是正整数，``start_epoch`` 是非负整数，
    ``checkpoint_path`` 是一个文件路径、所在的目录已经存在；``scheduler`` 是 ``None`` 或者
    调整的正是 ``optimizer`` 的调度器。返回 ``Path(checkpoint_path)``。

    参数按名字传入，``train_with_checkpoint`` 用 ``**locals()`` 把自己的全部参数交给它；
    这里不检查的参数（``loss_fn``、``progress``）由 ``**_`` 接收。"""
    require_module(model, "model")
    check_scheduler(scheduler, optimizer)
    for loader, name in ((train_loader, "train_loader"), (val_loader, "val_loader")):
        if isinstance(loader, Sized) and len(loader) == 0:
            raise ValueError(f"{name} 中没有样本（长度为 0）；请检查数据集的划分和 batch_size")
    require_positive_int(num_epochs, "num_epochs")
    require_int(start_epoch, "start_epoch", minimum=0)
    path = require_path(checkpoint_path, "checkpoint_path")
    if not path.parent.is_dir():
        raise FileNotFoundError(
            f"检查点所在的目录 {path.parent} 不存在；"
            "请先创建它，例如 Path(...).mkdir(parents=True)"
        )
    if path.is_dir():
        raise IsADirectoryError(f"checkpoint_path 应为文件路径，而 {path} 是一个目录")
    return path


def check_scheduler(scheduler: object, optimizer: object) -> None:
    """确认 ``scheduler`` 是 ``None``，或者是调整 ``optimizer`` 的学习率调度器。"""
    if scheduler is None:
        return
    require_instance(scheduler, "scheduler", LRScheduler,
                     label="torch.optim.lr_scheduler.LRScheduler 或 None")
    if scheduler.optimizer is not optimizer:
        raise ValueError("scheduler 调整的不是传入的 optimizer；"
                         "请用同一个优化器创建调度器，例如 make_scheduler(optimizer, config)")


def check_make_scheduler_args(optimizer: object, config: object) -> None:
    """确认 :func:`make_scheduler` 的 ``optimizer`` 是优化器，``config`` 像 :class:`Config` 一样有
    ``scheduler`` 和 ``num_epochs`` 两项（页面上逐块运行时定义的 ``Config`` 是另一个类，所以不按类型检查）。"""
    require_instance(optimizer, "optimizer", torch.optim.Optimizer)
    if not all(hasattr(config, key) for key in ("scheduler", "num_epochs")):
        raise TypeError("参数 config 应为 Config（要有 scheduler 和 num_epochs 两项），"
                        f"实际得到 {type(config).__name__}")


# --8<-- [start:make_scheduler]
def make_scheduler(optimizer: torch.optim.Optimizer, config: Config) -> LRScheduler | None:
    """按 ``config.scheduler`` 给 ``optimizer`` 配一个每轮调整一次学习率的调度器。

    - ``"none"``：返回 ``None``，学习率一直是 ``config.lr``；
    - ``"step"``：每 ``num_epochs // 3`` 轮（至少 1 轮）把学习率乘以 0.1；
    - ``"cosine"``：在 ``num_epochs`` 轮内按余弦曲线从 ``config.lr`` 降向 0。

    Examples:
        >>> optimizer = torch.optim.SGD(nn.Linear(2, 1).parameters(), lr=0.1)
        >>> scheduler = make_scheduler(optimizer, Config(lr=0.1, num_epochs=6, scheduler="step"))
        >>> for epoch in range(6):
        ...     print(epoch + 1, round(scheduler.get_last_lr()[0], 4))
        ...     optimizer.step()    # 这一轮的参数更新（这里没有梯度，什么也不改）
        ...     scheduler.step()    # 之后再调整学习率
        1 0.1
        2 0.1
        3 0.01
        4 0.01
        5 0.001
        6 0.001
        >>> make_scheduler(optimizer, Config()) is None
        True
    """
    check_make_scheduler_args(optimizer, config)
    if config.scheduler == "step":
        step_size = max(config.num_epochs // 3, 1)
        return torch.optim.lr_scheduler.StepLR(optimizer, step_size, gamma=0.1)
    if config.scheduler == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(
            optimizer, T_max=config.num_epochs
        )
    return None
# --8<-- [end:make_scheduler]


# --8<-- [start:train_with_checkpoint]
def train_with_checkpoint(
    model: nn.Module,
    train_loader: Batches,
    val_loader: Batches,
    loss_fn: LossFn,
    optimizer: torch.optim.Optimizer,
    num_epochs: int,
    checkpoint_path: str | os.PathLike,
    *,
    start_epoch: int = 0,
    scheduler: LRScheduler | None = None,
    progress: bool = True,
) -> History:
    """训练 ``num_epochs`` 轮；每轮在验证集上评估，验证准确率创新高时把检查点保存到 ``checkpoint_path``。

    检查点是一个字典：``epoch``（轮次）、``model`` 和 ``optimizer``（两者的 ``state_dict()``）、
    ``val_acc``（那一轮的验证准确率）；给出学习率调度器 ``scheduler`` 时还有 ``scheduler``
    （它的 ``state_dict()``）。调度器在每轮的全部参数更新之后调用一次 ``step()``。
    ``start_epoch`` 是已经训练过的轮数，从检查点接着训练时传入，
    新的轮次从 ``start_epoch + 1`` 开始编号。``progress=True`` 时在标准错误输出上显示进度条。

    Returns:
        逐轮的记录（:class:`~lessons_src.linear_networks.softmax_regression.History`）：轮次编号 ``epoch``、
        这一轮用的学习率 ``lr``（第一个参数组的）、``train_loss``、``train_acc``、``val_loss``、``val_acc``，
        以及检查点保存的那一轮 ``best_epoch``。
    """
    path = check_train_with_checkpoint_args(**locals())  # 全部参数，按名字传入
    from tqdm.auto import tqdm

    history = History()
    best_acc = -math.inf
    epochs = tqdm(range(start_epoch + 1, start_epoch + num_epochs + 1), desc="训练", unit="轮",
                  disable=not progress, leave=False)
    for epoch in epochs:
        lr = optimizer.param_groups[0]["lr"]          # 这一轮用的学习率
        train_loss, train_acc = train_epoch(model, train_loader, loss_fn, optimizer)
        if scheduler is not None:
            scheduler.step()                          # 一轮的参数更新全部做完，再调整学习率
        val_loss, val_acc = validate(model, val_loader, loss_fn)
        history.record(epoch=epoch, lr=lr, train_loss=train_loss, train_acc=train_acc,
                       val_loss=val_loss, val_acc=val_acc)
        if val_acc > best_acc:                        # 只在严格变好时覆盖，并列时保留较早的一轮
            best_acc, history.best_epoch = val_acc, epoch
            checkpoint = {"epoch": epoch, "model": model.state_dict(),
                          "optimizer": optimizer.state_dict(), "val_acc": val_acc}
            if scheduler is not None:
                checkpoint["scheduler"] = scheduler.state_dict()
            torch.save(checkpoint, path)
        epochs.set_postfix(loss=f"{train_loss:.3f}", val_acc=f"{val_acc:.3f}")
    return history
# --8<-- [end:train_with_checkpoint]


def check_checkpoint(checkpoint: object, path: object, optimizer: object, scheduler: object = None) -> None:
    """检查 :func:`load_checkpoint` 读出的内容：``optimizer`` 是优化器或 ``None``，``scheduler`` 是调整它的
    调度器或 ``None``；检查点是字典，有 ``"model"`` 键，给出 ``optimizer``、``scheduler`` 时还分别有
    ``"optimizer"``、``"scheduler"`` 键。"""
    if optimizer is not None:
        require_instance(optimizer, "optimizer", torch.optim.Optimizer, label="torch.optim.Optimizer 或 None")
    elif scheduler is not None:
        raise ValueError("给出 scheduler 时也要给出它调整的 optimizer，两者的状态要一起恢复")
    check_scheduler(scheduler, optimizer)
    if not isinstance(checkpoint, dict):
        raise TypeError(f"检查点 {path} 中应为字典，实际是 {type(checkpoint).__name__}")
    given = {"model": True, "optimizer": optimizer is not None, "scheduler": scheduler is not None}
    required = [key for key, wanted in given.items() if wanted]
    missing = [key for key in required if key not in checkpoint]
    if missing:
        raise ValueError(f"检查点 {path} 缺少键 {missing}；文件中的键为 {sorted(checkpoint)}")


# --8<-- [start:load_checkpoint]
def load_checkpoint(
    path: str | os.PathLike,
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: LRScheduler | None = None,
) -> dict[str, Any]:
    """把 :func:`train_with_checkpoint` 保存的检查点装进 ``model``（给出时还有 ``optimizer`` 和
    ``scheduler``），返回整个检查点字典。

    只加载张量和基本类型（``weights_only=True``）；张量放到 ``model`` 的参数所在的设备上。

    Raises:
        FileNotFoundError: 文件不存在（来自 ``torch.load``）。
        TypeError: ``model`` 不是模型，``optimizer`` 不是优化器，或者文件里存的不是字典。
        ValueError: 缺少 ``"model"`` 键（给出 ``optimizer``、``scheduler`` 时还需要 ``"optimizer"``、
            ``"scheduler"`` 键），或者给出了 ``scheduler`` 却没有给出它调整的 ``optimizer``。
        RuntimeError: 参数名或形状与 ``model`` 不一致（来自 ``load_state_dict``）。
    """
    checkpoint = torch.load(path, map_location=device_of(model), weights_only=True)
    check_checkpoint(checkpoint, path, optimizer, scheduler)  # 是字典，有要恢复的各个键
    model.load_state_dict(checkpoint["model"])
    if optimizer is not None:
        optimizer.load_state_dict(checkpoint["optimizer"])
    if scheduler is not None:
        scheduler.load_state_dict(checkpoint["scheduler"])
    return checkpoint
# --8<-- [end:load_checkpoint]


def check_histories(histories: object) -> None:
    """确认 ``histories`` 是非空字典，每个值都是记录了 ``lr`` 和 ``val_acc`` 的 ``History``。"""
    if not isinstance(histories, dict) or not histories:
        raise TypeError("histories 应为非空字典 {名字: History}，"
                        f"实际得到 {type(histories).__name__}")
    for name, history in histories.items():
        require_instance(history, f"histories[{name!r}]", History)
        missing = [key for key in ("lr", "val_acc") if key not in history.metrics]
        if missing:
            raise ValueError(f"histories[{name!r}] 没有记录 {missing}；"
                             "请用 train_with_checkpoint 训练得到的 History")


def plot_lr_schedules(histories: dict[str, History]) -> Figure:
    """左图画每一轮用的学习率，右图画验证准确率；``histories`` 的键是图例中的名字。

    Examples:
        >>> history = History(epoch=[1, 2], lr=[0.1, 0.01], val_acc=[0.5, 0.7])
        >>> figure = plot_lr_schedules({"step": history})
        >>> [axes.get_ylabel() for axes in figure.axes]
        ['learning rate', 'validation accuracy']
    """
    check_histories(histories)
    figure = Figure(figsize=(8, 3.2), layout="constrained")
    figure.set_label("各种学习率调度下每一轮的学习率（左）和验证准确率（右）")
    lr_axes, acc_axes = figure.subplots(1, 2)
    for name, history in histories.items():
        epochs = history.metrics.get("epoch", range(1, history.epochs + 1))
        lr_axes.plot(epochs, history.lr, marker="o", label=name)
        acc_axes.plot(epochs, history.val_acc, marker="o", label=name)
    for axes, ylabel in ((lr_axes, "learning rate"), (acc_axes, "validation accuracy")):
        axes.set_xlabel("epoch")
        axes.set_ylabel(ylabel)
        axes.grid(alpha=0.3)
        axes.legend()
    return figure


# --8<-- [start:layer_weights]
def layer_weights(model: nn.Module) -> dict[str, torch.Tensor]:
    """取出模型中卷积层和全连接层的权重（维数大于 1 的参数），复制到 CPU 上。

    键是参数名，例如 ``"0.weight"``；偏置和批量规范化的参数都是一维的，不在其中。

    Examples:
        >>> weights = layer_weights(small_cnn())
        >>> {name: tuple(w.shape) for name, w in weights.items()}
        {'0.weight': (16, 1, 3, 3), '3.weight': (32, 16, 3, 3), '8.weight': (10, 512)}
    """
    require_module(model, "model")
    return {name: param.detach().cpu().clone()
            for name, param in model.named_parameters() if param.ndim > 1}
# --8<-- [end:layer_weights]


def check_weight_dicts(initial: object, trained: object) -> None:
    """确认 ``initial`` 和 ``trained`` 都是 :func:`layer_weights` 的结果，参数名和形状相同。"""
    for value, name in ((initial, "initial"), (trained, "trained")):
        if not isinstance(value, dict) or not value:
            raise TypeError(f"参数 {name} 应为 layer_weights(model) 返回的非空字典，"
                            f"实际得到 {type(value).__name__}")
    shapes = {key: tuple(value.shape) for key, value in initial.items()}
    if shapes != {key: tuple(value.shape) for key, value in trained.items()}:
        raise ValueError("initial 和 trained 应来自同一种网络（参数名和形状都相同）")


def plot_weight_histograms(
    initial: dict[str, torch.Tensor], trained: dict[str, torch.Tensor], bins: int = 40
) -> Figure:
    """每层一幅图，把初始化时和训练后的权重直方图画在一起。

    两个参数都是 :func:`layer_weights` 的结果；纵轴是概率密度，两次的直方图用同样的分箱。

    Examples:
        >>> torch.manual_seed(0) is not None
        True
        >>> weights = layer_weights(small_cnn())
        >>> figure = plot_weight_histograms(weights, weights)
        >>> [axes.get_title() for axes in figure.axes]
        ['0.weight', '3.weight', '8.weight']
    """
    check_weight_dicts(initial, trained)
    require_positive_int(bins, "bins")
    figure = Figure(figsize=(3.0 * len(initial), 2.8), layout="constrained")
    figure.set_label("每一层权重在初始化时和训练后的直方图")
    for axes, name in zip(figure.subplots(1, len(initial), squeeze=False)[0], initial):
        both = torch.cat([initial[name].flatten(), trained[name].flatten()])
        edges = torch.linspace(both.min().item(), both.max().item(), bins + 1).tolist()
        for weights, label in ((initial[name], "init"), (trained[name], "trained")):
            axes.hist(weights.flatten().tolist(), bins=edges, density=True, alpha=0.5, label=label)
        axes.set_title(name)
        axes.set_xlabel("weight")
        axes.legend()
    figure.axes[0].set_ylabel("density")
    return figure
