"""暂退法（Dropout）：从零实现的 ``dropout_layer`` 和 ``Dropout`` 层，以及带暂退法的多层感知机。

对应页面 ``docs/mlp/dropout.md``。实现的是“反向暂退法”（inverted dropout）：训练时每个元素以概率
``p`` 置零，保留下来的元素除以 ``1 - p``，使输出的期望等于输入；评估模式下什么也不做。
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from lessons_src.checks import require_module, require_positive_int, require_real, require_tensor
from lessons_src.linear_networks.softmax_regression import Batches, train_epoch
from lessons_src.mlp.early_stopping import evaluate_loss
from lessons_src.mlp.model_selection import LossCurves

__all__ = ["Dropout", "dropout_layer", "dropout_mlp", "fit_loss_curves"]


def check_dropout_layer_args(X: object, p: object) -> float:
    """检查 :func:`dropout_layer` 的参数：``X`` 是浮点张量，暂退概率 ``p`` 在 [0, 1] 内；返回 ``float(p)``。"""
    require_tensor(X, "X", floating=True)
    return require_real(p, "p", within="[0, 1]", what="暂退概率")


# --8<-- [start:dropout_layer]
def dropout_layer(X: torch.Tensor, p: float) -> torch.Tensor:
    """以概率 ``p`` 把 ``X`` 的每个元素置零，其余元素除以 ``1 - p``（反向暂退法）。

    Args:
        X: 浮点张量，任意形状。
        p: 暂退概率，在 [0, 1] 内。``p = 0`` 时原样返回 ``X``，``p = 1`` 时返回全零张量。

    Returns:
        与 ``X`` 形状、类型相同的张量，每个元素的期望与 ``X`` 相同。

    Examples:
        >>> X = torch.ones(2, 4)
        >>> torch.equal(dropout_layer(X, 0.0), X)
        True
        >>> dropout_layer(X, 1.0)
        tensor([[0., 0., 0., 0.],
                [0., 0., 0., 0.]])
        >>> _ = torch.manual_seed(0)
        >>> dropout_layer(X, 0.5)  # 保留下来的元素变成 1 / (1 - 0.5) = 2
        tensor([[0., 2., 0., 0.],
                [0., 2., 0., 2.]])
    """
    p = check_dropout_layer_args(X, p)
    if p == 0:
        return X
    if p == 1:
        return torch.zeros_like(X)
    mask = (torch.rand(X.shape, device=X.device) > p).to(X.dtype)  # 每个元素以概率 1 - p 保留
    return mask * X / (1 - p)
# --8<-- [end:dropout_layer]


# --8<-- [start:Dropout]
class Dropout(nn.Module):
    """暂退法层：训练模式下调用 :func:`dropout_layer`，评估模式下原样返回输入。

    Args:
        p: 暂退概率，在 [0, 1] 内（与 ``nn.Dropout`` 一样，是“丢弃”的概率，不是“保留”的概率）。

    Examples:
        >>> layer = Dropout(0.5)
        >>> X = torch.ones(2, 3)
        >>> layer.eval()
        Dropout(p=0.5)
        >>> torch.equal(layer(X), X)
        True
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = require_real(p, "p", within="[0, 1]", what="暂退概率")

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        if self.training:
            return dropout_layer(X, self.p)
        return X

    def extra_repr(self) -> str:
        return f"p={self.p}"
# --8<-- [end:Dropout]


def check_dropout_mlp_args(
    num_inputs: object, num_hiddens: object, dropouts: object, num_outputs: object
) -> list[tuple[int, float]]:
    """检查 :func:`dropout_mlp` 的参数，返回每个隐藏层的 ``(单元数, 暂退概率)``。"""
    require_positive_int(num_inputs, "num_inputs")
    require_positive_int(num_outputs, "num_outputs")
    if isinstance(num_hiddens, str) or not isinstance(num_hiddens, Sequence):
        raise TypeError(f"参数 num_hiddens 应为由正整数组成的列表或元组，实际得到 {type(num_hiddens).__name__}")
    hiddens = [require_positive_int(value, "num_hiddens 中的元素") for value in num_hiddens]
    if isinstance(dropouts, str) or not isinstance(dropouts, Sequence):
        raise TypeError(f"参数 dropouts 应为由概率组成的列表或元组，实际得到 {type(dropouts).__name__}")
    if len(dropouts) != len(hiddens):
        raise ValueError(
            f"参数 dropouts 的个数应与 num_hiddens 相同（每个隐藏层一个），实际为 {len(dropouts)} 和 {len(hiddens)}"
        )
    return [(hidden, require_real(p, "p", within="[0, 1]", what="暂退概率")) for hidden, p in zip(hiddens, dropouts)]


def dropout_mlp(
    num_inputs: int = 64,
    num_hiddens: Sequence[int] = (256, 256),
    dropouts: Sequence[float] = (0.2, 0.5),
    num_outputs: int = 10,
    *,
    builtin: bool = False,
) -> nn.Sequential:
    """多层感知机：每个隐藏层是 全连接 → ReLU → 暂退法，输出层不加暂退法。

    Args:
        num_inputs: 输入特征数（8×8 的 digits 图像展平后是 64）。
        num_hiddens: 各隐藏层的单元数。
        dropouts: 各隐藏层之后的暂退概率，个数与 ``num_hiddens`` 相同。
        num_outputs: 类别数。
        builtin: 为 ``True`` 时用 ``nn.Dropout``，否则用本页的 :class:`Dropout`。

    Examples:
        >>> net = dropout_mlp(64, (32,), (0.5,), 10)
        >>> net
        Sequential(
          (0): Flatten(start_dim=1, end_dim=-1)
          (1): Linear(in_features=64, out_features=32, bias=True)
          (2): ReLU()
          (3): Dropout(p=0.5)
          (4): Linear(in_features=32, out_features=10, bias=True)
        )
        >>> net(torch.zeros(5, 1, 8, 8)).shape
        torch.Size([5, 10])
    """
    layers: list[nn.Module] = [nn.Flatten()]
    width = num_inputs
    for hidden, p in check_dropout_mlp_args(num_inputs, num_hiddens, dropouts, num_outputs):
        layers += [nn.Linear(width, hidden), nn.ReLU(), nn.Dropout(p) if builtin else Dropout(p)]
        width = hidden
    layers.append(nn.Linear(width, num_outputs))
    return nn.Sequential(*layers)


def check_fit_loss_curves_args(model: object, optimizer: object, num_epochs: object) -> None:
    """检查 :func:`fit_loss_curves` 的参数：``model`` 是 ``nn.Module``，``optimizer`` 有 ``zero_grad()`` 和
    ``step()``，``num_epochs`` 是正整数。"""
    require_module(model, "model")
    if not all(callable(getattr(optimizer, method, None)) for method in ("zero_grad", "step")):
        raise TypeError(
            f"参数 optimizer 应为优化器（有 zero_grad() 和 step() 方法），实际得到 {type(optimizer).__name__}"
        )
    require_positive_int(num_epochs, "num_epochs")


# --8<-- [start:fit_loss_curves]
def fit_loss_curves(
    model: nn.Module,
    train_iter: Batches,
    train_eval_iter: Batches,
    test_iter: Batches,
    optimizer: torch.optim.Optimizer,
    num_epochs: int,
) -> LossCurves:
    """训练 ``num_epochs`` 轮，每轮结束时在**评估模式**下算训练集和测试集上的平均交叉熵损失。

    ``train_eval_iter`` 与 ``train_iter`` 是同一个训练集，只是不打乱（评估时顺序无关紧要）。
    评估模式下暂退法关闭，所以记录的训练损失可以与测试损失直接比较。

    Examples:
        >>> from torch.utils.data import DataLoader, TensorDataset
        >>> data = DataLoader(TensorDataset(torch.rand(8, 1, 8, 8), torch.arange(8) % 10), batch_size=4)
        >>> net = dropout_mlp(64, (16,), (0.5,), 10)
        >>> curves = fit_loss_curves(net, data, data, data, torch.optim.SGD(net.parameters(), lr=0.1), 3)
        >>> len(curves.train_loss), len(curves.test_loss)
        (3, 3)
    """
    check_fit_loss_curves_args(model, optimizer, num_epochs)
    loss_fn = nn.CrossEntropyLoss()
    curves = LossCurves()
    for _ in range(num_epochs):
        train_epoch(model, train_iter, loss_fn, optimizer)  # 训练模式：暂退法开启
        curves.train_loss.append(evaluate_loss(model, train_eval_iter, loss_fn))
        curves.test_loss.append(evaluate_loss(model, test_iter, loss_fn))
    return curves
# --8<-- [end:fit_loss_curves]
