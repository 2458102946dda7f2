"""批量规范化：从零实现的 ``batch_norm`` 函数和 ``BatchNorm`` 层，以及带批量规范化的 LeNet。

对应页面 ``docs/modern-cnn/batch-norm.md``。移动平均的约定与 PyTorch 的 ``nn.BatchNorm1d`` /
``nn.BatchNorm2d`` 完全相同，页面和测试逐步比较两者的输出与运行统计量。
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from lessons_src.checks import require_instance, require_positive, require_positive_int, require_real, require_tensor
from lessons_src.cnn.lenet import lenet
from lessons_src.modern_cnn.alexnet import InputShape

__all__ = ["BatchNorm", "batch_norm", "compare_with_builtin", "lenet_batch_norm"]


def check_eps_momentum(eps: object, momentum: object) -> None:
    """检查 ``eps`` 是正数（防止除以 0），``momentum`` 在 [0, 1] 内。"""
    require_positive(eps, "eps")
    require_real(momentum, "momentum", within="[0, 1]")


def check_batch_norm_args(
    X: object, gamma: object, beta: object, running_mean: object, running_var: object,
    training: object, eps: object, momentum: object,
) -> None:
    """检查 :func:`batch_norm` 的参数：``X`` 是二维或四维浮点张量，``gamma``、``beta``、``running_mean``、
    ``running_var`` 是形状为 ``(X.shape[1],)`` 的浮点张量，``training`` 是 ``bool``，``eps``、``momentum``
    见 :func:`check_eps_momentum`；训练模式下每个特征（通道）至少要有 2 个值才能估计方差。"""
    require_tensor(X, "X", floating=True)
    if X.dim() not in (2, 4):
        raise ValueError(
            f"参数 X 应为二维 (批量大小, 特征数) 或四维 (批量大小, 通道数, 高, 宽) 张量，实际形状为 {tuple(X.shape)}"
        )
    require_instance(training, "training", bool)
    check_eps_momentum(eps, momentum)
    num_features = X.shape[1]
    named = [("gamma", gamma), ("beta", beta), ("running_mean", running_mean), ("running_var", running_var)]
    for name, tensor in named:
        require_tensor(tensor, name, floating=True)
        if tuple(tensor.shape) != (num_features,):
            raise ValueError(
                f"参数 {name} 的形状应为 ({num_features},)（与 X 的第 1 维一致），实际为 {tuple(tensor.shape)}"
            )
    if training and X.numel() // num_features < 2:
        raise ValueError("训练模式下每个特征（通道）至少需要 2 个值才能估计方差，实际只有 1 个；请增大批量")


# --8<-- [start:batch_norm]
def batch_norm(
    X: torch.Tensor,
    gamma: torch.Tensor,
    beta: torch.Tensor,
    running_mean: torch.Tensor,
    running_var: torch.Tensor,
    *,
    training: bool,
    eps: float = 1e-5,
    momentum: float = 0.1,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """批量规范化的前向计算，返回 ``(Y, 新的 running_mean, 新的 running_var)``。

    ``X`` 的形状是 ``(批量大小, 特征数)``（全连接层）或 ``(批量大小, 通道数, 高, 宽)``（卷积层）；
    ``gamma``、``beta``、``running_mean``、``running_var`` 的形状都是 ``(特征数或通道数,)``。

    - 训练模式：用当前小批量的均值和（有偏）方差规范化，并按
      ``running = (1 - momentum) * running + momentum * 批量统计量`` 更新移动平均，
      其中方差用无偏估计（除以 n - 1），与 PyTorch 相同；
    - 评估模式：用传入的 ``running_mean``、``running_var`` 规范化，移动平均原样返回。

    Examples:
        >>> X = torch.tensor([[1.0, 10.0], [3.0, 30.0]])
        >>> ones, zeros = torch.ones(2), torch.zeros(2)
        >>> Y, mean, var = batch_norm(X, ones, zeros, zeros, ones, training=True)
        >>> Y
        tensor([[-1.0000, -1.0000],
                [ 1.0000,  1.0000]])
        >>> mean, var
        (tensor([0.2000, 2.0000]), tensor([ 1.1000, 20.9000]))
    """
    check_batch_norm_args(X, gamma, beta, running_mean, running_var, training, eps, momentum)
    num_features = X.shape[1]
    if X.dim() == 2:  # 全连接层：每个特征在批量维上求统计量
        dims, shape = (0,), (1, num_features)
    else:  # 卷积层：每个通道在批量、高、宽三个维度上求统计量
        dims, shape = (0, 2, 3), (1, num_features, 1, 1)

    if training:
        n = X.numel() // num_features  # 每个特征（通道）参与统计的元素个数
        mean = X.mean(dim=dims)
        var = ((X - mean.reshape(shape)) ** 2).mean(dim=dims)  # 有偏方差：除以 n
        X_hat = (X - mean.reshape(shape)) / torch.sqrt(var.reshape(shape) + eps)
        unbiased_var = var.detach() * n / (n - 1)  # 移动平均用无偏方差：除以 n - 1
        running_mean = (1 - momentum) * running_mean + momentum * mean.detach()
        running_var = (1 - momentum) * running_var + momentum * unbiased_var
    else:
        X_hat = (X - running_mean.reshape(shape)) / torch.sqrt(running_var.reshape(shape) + eps)
    Y = gamma.reshape(shape) * X_hat + beta.reshape(shape)  # 缩放和移位
    return Y, running_mean, running_var
# --8<-- [end:batch_norm]


def check_batch_norm_init_args(num_features: object, num_dims: object, eps: object, momentum: object) -> None:
    """检查 :class:`BatchNorm` 的构造参数：``num_features`` 是正整数，``num_dims`` 是 2 或 4，
    ``eps``、``momentum`` 见 :func:`check_eps_momentum`。"""
    require_positive_int(num_features, "num_features")
    if num_dims not in (2, 4) or isinstance(num_dims, bool):
        raise ValueError(f"参数 num_dims 应为 2（全连接层）或 4（卷积层），实际得到 {num_dims!r}")
    check_eps_momentum(eps, momentum)


def check_batch_norm_forward_args(X: object, num_features: int, num_dims: int) -> None:
    """检查 :class:`BatchNorm` 的输入：浮点张量，维数是 ``num_dims``，第 1 维是 ``num_features``。"""
    require_tensor(X, "X", floating=True)
    if X.dim() != num_dims:
        raise ValueError(f"这一层按 num_dims={num_dims} 创建，输入 X 却是 {X.dim()} 维，形状为 {tuple(X.shape)}")
    if X.shape[1] != num_features:
        raise ValueError(f"这一层有 {num_features} 个特征（通道），输入 X 的第 1 维却是 {X.shape[1]}")


# --8<-- [start:BatchNorm]
class BatchNorm(nn.Module):
    """从零实现的批量规范化层。

    Args:
        num_features: 全连接层的输出个数，或卷积层的输出通道数。
        num_dims: 输入的维数，2 表示全连接层的输出，4 表示卷积层的输出。
        eps: 加在方差上、防止除以 0 的小常数。
        momentum: 移动平均中新批量统计量所占的权重（PyTorch 的约定，默认 0.1）。

    Examples:
        >>> layer = BatchNorm(3, num_dims=4)
        >>> layer(torch.randn(8, 3, 5, 5)).shape
        torch.Size([8, 3, 5, 5])
        >>> [name for name, _ in layer.named_parameters()], [name for name, _ in layer.named_buffers()]
        (['gamma', 'beta'], ['running_mean', 'running_var'])
    """

    def __init__(self, num_features: int, num_dims: int, *, eps: float = 1e-5, momentum: float = 0.1) -> None:
        super().__init__()
        check_batch_norm_init_args(num_features, num_dims, eps, momentum)
        self.num_features, self.num_dims, self.eps, self.momentum = num_features, num_dims, eps, momentum
        # 拉伸参数 gamma 和偏移参数 beta 参与求梯度，分别初始化为 1 和 0
        self.gamma = nn.Parameter(torch.ones(num_features))
        self.beta = nn.Parameter(torch.zeros(num_features))
        # 移动平均不是模型参数，注册为缓冲区：随 .to(device) 移动、存进 state_dict，但优化器不会更新它们
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        check_batch_norm_forward_args(X, self.num_features, self.num_dims)
        Y, running_mean, running_var = batch_norm(
            X, self.gamma, self.beta, self.running_mean, self.running_var,
            training=self.training, eps=self.eps, momentum=self.momentum,
        )
        if self.training:
            with torch.no_grad():
                self.running_mean.copy_(running_mean)
                self.running_var.copy_(running_var)
        return Y

    def extra_repr(self) -> str:
        return f"{self.num_features}, num_dims={self.num_dims}, eps={self.eps}, momentum={self.momentum}"
# --8<-- [end:BatchNorm]


def check_compare_with_builtin_args(batches: object) -> None:
    """检查 :func:`compare_with_builtin` 的参数：非空的张量列表，都是浮点张量，
    维数（2 或 4）和第 1 维（特征数或通道数）与第一个批量相同。"""
    if isinstance(batches, torch.Tensor) or not isinstance(batches, Sequence) or len(batches) == 0:
        raise TypeError("参数 batches 应为由张量组成的非空列表")
    first = require_tensor(batches[0], "batches[0]", floating=True)
    if first.dim() not in (2, 4):
        raise ValueError(f"批量应为二维或四维张量，实际形状为 {tuple(first.shape)}")
    for index, X in enumerate(batches):
        require_tensor(X, f"batches[{index}]", floating=True)
        if X.dim() != first.dim() or X.shape[1] != first.shape[1]:
            raise ValueError(f"batches[{index}] 的形状 {tuple(X.shape)} 与第一个批量的维数或通道数不一致")


# --8<-- [start:compare_with_builtin]
def compare_with_builtin(
    batches: Sequence[torch.Tensor], *, eps: float = 1e-5, momentum: float = 0.1, seed: int = 0
) -> dict[str, float]:
    """把 ``BatchNorm`` 和 PyTorch 的 ``nn.BatchNorm1d`` / ``nn.BatchNorm2d`` 并排运行，返回最大绝对误差。

    两层先取相同的随机 ``gamma``、``beta``（由 ``seed`` 固定）；训练模式下依次送入每个批量，
    比较每一步的输出，最后比较运行统计量；再切换到评估模式，在每个批量上比较输出。

    Examples:
        >>> _ = torch.manual_seed(0)
        >>> errors = compare_with_builtin([torch.randn(4, 3, 5, 5) for _ in range(3)])
        >>> list(errors), all(error < 1e-6 for error in errors.values())
        (['train_output', 'running_mean', 'running_var', 'eval_output'], True)
    """
    check_compare_with_builtin_args(batches)
    first = batches[0]
    num_features, num_dims = first.shape[1], first.dim()
    ours = BatchNorm(num_features, num_dims, eps=eps, momentum=momentum).to(first.dtype)
    builtin = nn.BatchNorm1d if num_dims == 2 else nn.BatchNorm2d
    reference = builtin(num_features, eps=eps, momentum=momentum).to(first.dtype)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        gamma = torch.rand(num_features, generator=generator, dtype=first.dtype) + 0.5
        beta = torch.randn(num_features, generator=generator, dtype=first.dtype)
        for layer_gamma, layer_beta in [(ours.gamma, ours.beta), (reference.weight, reference.bias)]:
            layer_gamma.copy_(gamma)
            layer_beta.copy_(beta)

    errors = dict.fromkeys(["train_output", "running_mean", "running_var", "eval_output"], 0.0)

    def record(key: str, a: torch.Tensor, b: torch.Tensor) -> None:
        errors[key] = max(errors[key], (a - b).abs().max().item())

    with torch.no_grad():
        for X in batches:
            record("train_output", ours(X), reference(X))
        record("running_mean", ours.running_mean, reference.running_mean)
        record("running_var", ours.running_var, reference.running_var)
        ours.eval()
        reference.eval()
        for X in batches:
            record("eval_output", ours(X), reference(X))
    return errors
# --8<-- [end:compare_with_builtin]


# --8<-- [start:lenet_batch_norm]
def lenet_batch_norm(*, builtin: bool = False) -> nn.Sequential:
    """在 :func:`~lessons_src.cnn.lenet.lenet` 的每个 sigmoid 之前插入一个批量规范化层。

    卷积层之后插入四维的规范化层（按通道），全连接层之后插入二维的（按特征）；
    最后输出 logit 的全连接层后面没有 sigmoid，也就不加。

    Args:
        builtin: 为 ``False`` 时用本页从零实现的 :class:`BatchNorm`，
            为 ``True`` 时用 PyTorch 的 ``nn.BatchNorm2d`` / ``nn.BatchNorm1d``。

    Examples:
        >>> net = lenet_batch_norm(builtin=True)
        >>> [type(layer).__name__ for layer in net][:4]
        ['Conv2d', 'BatchNorm2d', 'Sigmoid', 'AvgPool2d']
        >>> net(torch.zeros(2, 1, 28, 28)).shape
        torch.Size([2, 10])
    """
    require_instance(builtin, "builtin", bool)
    layers = list(lenet())
    result: list[nn.Module] = []
    for layer, following in zip(layers, [*layers[1:], None]):
        result.append(layer)
        if not isinstance(following, nn.Sigmoid):
            continue
        if isinstance(layer, nn.Conv2d):
            result.append(nn.BatchNorm2d(layer.out_channels) if builtin else BatchNorm(layer.out_channels, num_dims=4))
        elif isinstance(layer, nn.Linear):
            result.append(nn.BatchNorm1d(layer.out_features) if builtin else BatchNorm(layer.out_features, num_dims=2))
    net = nn.Sequential(*result)
    # 入口处检查输入形状（见 AlexNet 一节的 InputShape）：LeNet 按 1×28×28 的输入设计
    net.register_forward_pre_hook(InputShape("lenet_batch_norm", 1, min_size=28, max_size=28))
    return net
# --8<-- [end:lenet_batch_norm]
