"""softmax 回归，以及之后每一章都复用的训练工具。

对应页面 ``docs/linear-networks/softmax-regression.md``。训练工具：

- :func:`evaluate_accuracy`：模型在一个数据集上的准确率；
- :func:`train_epoch`：训练一轮，返回平均损失和训练准确率；
- :func:`fit`：训练多轮，逐轮记录损失和准确率（:class:`History`），可显示进度条；
- :func:`plot_history`：画出训练曲线。
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import torch
from matplotlib.figure import Figure
from torch import nn

from lessons_src.checks import require_module, require_positive_int, require_real, require_tensor

__all__ = [
    "History",
    "SoftmaxRegressionScratch",
    "count_correct",
    "cross_entropy",
    "cross_entropy_from_logits",
    "device_of",
    "evaluate_accuracy",
    "fit",
    "plot_history",
    "require_scores_and_labels",
    "softmax",
    "train_epoch",
]

Batches = Iterable[tuple[torch.Tensor, torch.Tensor]]
LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def require_scores_and_labels(scores: object, y: object, name: str) -> None:
    """交叉熵的两个参数：``scores`` 是形状 ``(n, 类别数)`` 的浮点张量，``y`` 是形状 ``(n,)`` 的整数类别下标，
    每个下标都在 ``[0, 类别数)`` 之内。

    Examples:
        >>> require_scores_and_labels(torch.zeros(2, 3), torch.tensor([0, 2]), "y_hat")
        >>> require_scores_and_labels(torch.zeros(2, 3), torch.tensor([0.0, 2.0]), "y_hat")
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
    require_tensor(X, "X", floating=True)
    if X.dim() != 2:
        raise ValueError(f"参数 X 应为二维张量（批量大小 × 类别数），实际形状为 {tuple(X.shape)}")
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
    require_scores_and_labels(y_hat, y, "y_hat")
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
    require_scores_and_labels(logits, y, "logits")
    m = logits.max(dim=1, keepdim=True).values
    log_sum_exp = m.squeeze(1) + torch.log(torch.exp(logits - m).sum(dim=1))
    return log_sum_exp - logits[torch.arange(len(logits)), y]
# --8<-- [end:cross_entropy_from_logits]


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
        for name, value in (("num_inputs", num_inputs), ("num_outputs", num_outputs)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"参数 {name} 应为正整数，实际得到 {type(value).__name__}")
            if value <= 0:
                raise ValueError(f"参数 {name} 应为正整数，实际得到 {value}")
        sigma = require_real(sigma, "sigma", minimum=0.0)
        self.num_inputs = num_inputs
        self.W = nn.Parameter(torch.normal(0.0, sigma, size=(num_inputs, num_outputs)))
        self.b = nn.Parameter(torch.zeros(num_outputs))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        require_tensor(X, "X", floating=True)
        if X.dim() < 2 or X.shape[1:].numel() != self.num_inputs:
            raise ValueError(
                f"输入的形状应为 (批量大小, ...) 且每个样本有 {self.num_inputs} 个元素，实际为 {tuple(X.shape)}"
            )
        return softmax(X.reshape(len(X), -1) @ self.W + self.b)
# --8<-- [end:softmax_regression_scratch]


# --8<-- [start:evaluate_accuracy]
def count_correct(y_hat: torch.Tensor, y: torch.Tensor) -> int:
    """预测正确的样本数。``y_hat`` 的每一行取最大值的下标作为预测类别。

    Examples:
        >>> count_correct(torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]]), torch.tensor([1, 1, 1]))
        2
    """
    require_tensor(y_hat, "y_hat")
    require_tensor(y, "y")
    if y_hat.dim() != 2 or y.shape != y_hat.shape[:1]:
        raise ValueError(
            f"y_hat 的形状应为 (n, 类别数)、y 的形状应为 (n,)，实际为 {tuple(y_hat.shape)} 和 {tuple(y.shape)}"
        )
    return int((y_hat.argmax(dim=1) == y).sum())


def device_of(model: nn.Module) -> torch.device:
    """模型参数所在的设备（没有参数时为 CPU）；数据要移到同一个设备上才能计算。

    Examples:
        >>> device_of(nn.Linear(2, 1))
        device(type='cpu')
    """
    parameter = next(model.parameters(), None)
    return parameter.device if parameter is not None else torch.device("cpu")


def evaluate_accuracy(model: nn.Module, data_iter: Batches) -> float:
    """模型在 ``data_iter`` 的全部样本上的准确率。

    评估时切换到评估模式（``model.eval()``，Dropout 和批量规范化按推理方式工作）并关闭梯度，
    结束后恢复模型原来的模式。数据会被移到模型参数所在的设备上。
    """
    require_module(model, "model")
    device = device_of(model)
    was_training = model.training
    model.eval()
    correct = total = 0
    try:
        with torch.no_grad():
            for X, y in data_iter:
                X, y = X.to(device), y.to(device)
                correct += count_correct(model(X), y)
                total += len(y)
    finally:
        model.train(was_training)
    if total == 0:
        raise ValueError("data_iter 中没有样本，无法计算准确率")
    return correct / total
# --8<-- [end:evaluate_accuracy]


# --8<-- [start:train_epoch]
def train_epoch(
    model: nn.Module, train_iter: Batches, loss_fn: LossFn, optimizer: torch.optim.Optimizer
) -> tuple[float, float]:
    """训练一轮（遍历一次训练集），返回 ``(平均损失, 训练准确率)``。

    ``loss_fn`` 应返回小批量上的平均损失（``nn.CrossEntropyLoss()`` 的默认行为）。
    """
    require_module(model, "model")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"参数 optimizer 应为 torch.optim.Optimizer，实际得到 {type(optimizer).__name__}")
    device = device_of(model)
    model.train()
    loss_sum = 0.0
    correct = total = 0
    for X, y in train_iter:
        X, y = X.to(device), y.to(device)
        y_hat = model(X)
        loss = loss_fn(y_hat, y)
        if loss.dim() != 0:
            raise ValueError("loss_fn 应返回标量（小批量上的平均损失），实际返回了形状为 "
                             f"{tuple(loss.shape)} 的张量；可以在末尾加 .mean()")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        loss_sum += loss.item() * len(y)
        correct += count_correct(y_hat.detach(), y)
        total += len(y)
    if total == 0:
        raise ValueError("train_iter 中没有样本")
    return loss_sum / total, correct / total
# --8<-- [end:train_epoch]


@dataclass
class History:
    """:func:`fit` 逐轮记录的训练过程。"""

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    @property
    def epochs(self) -> int:
        """已经训练的轮数。"""
        return len(self.train_loss)


# --8<-- [start:fit]
def fit(
    model: nn.Module,
    train_iter: Batches,
    test_iter: Batches,
    loss_fn: LossFn,
    optimizer: torch.optim.Optimizer,
    num_epochs: int,
    *,
    progress: bool = True,
) -> History:
    """训练 ``num_epochs`` 轮，每轮结束时在测试集上评估，返回逐轮的记录。

    ``progress=True`` 时在标准错误输出上显示进度条（tqdm），不影响打印的结果。
    """
    from tqdm.auto import tqdm

    require_positive_int(num_epochs, "num_epochs")
    history = History()
    epochs = tqdm(range(num_epochs), desc="训练", unit="轮", disable=not progress, leave=False)
    for _ in epochs:
        start = time.perf_counter()
        train_loss, train_acc = train_epoch(model, train_iter, loss_fn, optimizer)
        history.seconds.append(time.perf_counter() - start)
        history.train_loss.append(train_loss)
        history.train_acc.append(train_acc)
        history.test_acc.append(evaluate_accuracy(model, test_iter))
        epochs.set_postfix(loss=f"{train_loss:.3f}", test_acc=f"{history.test_acc[-1]:.3f}")
    return history
# --8<-- [end:fit]


def plot_history(history: History, *, title: str = "训练曲线") -> Figure:
    """画出训练损失、训练准确率和测试准确率随轮数的变化。

    图的标签（网页上图片的替代文本）是 ``title``，须含中文。

    Examples:
        >>> figure = plot_history(History([1.0, 0.5], [0.6, 0.8], [0.55, 0.75], [0.1, 0.1]))
        >>> [line.get_label() for line in figure.axes[0].lines]
        ['train loss', 'train acc', 'test acc']
    """
    if not isinstance(history, History):
        raise TypeError(f"参数 history 应为 History，实际得到 {type(history).__name__}")
    if history.epochs == 0:
        raise ValueError("history 中还没有任何一轮的记录")
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
