"""参数管理：嵌套块、几种初始化函数（配合 ``net.apply`` 使用）和参数绑定。

对应页面 ``docs/deep-learning-computation/parameters.md``。
"""

from __future__ import annotations

import torch
from torch import nn

from lessons_src.checks import require_instance, require_module, require_positive_int, require_real

__all__ = ["block1", "block2", "init_constant", "init_normal", "init_xavier", "my_init", "tied_net"]


# --8<-- [start:blocks]
def block1() -> nn.Sequential:
    """4 → 8 → 4 的小块：两个全连接层，各接一个 ReLU。

    Examples:
        >>> block1()(torch.rand(2, 4)).shape
        torch.Size([2, 4])
    """
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 4), nn.ReLU())


def block2(num_blocks: int = 4) -> nn.Sequential:
    """把 ``num_blocks`` 个 :func:`block1` 依次连起来，子块分别命名为 ``block0``、``block1``……

    Examples:
        >>> [name for name, _ in block2(2).named_children()]
        ['block0', 'block1']
    """
    require_positive_int(num_blocks, "num_blocks")
    net = nn.Sequential()
    for i in range(num_blocks):
        net.add_module(f"block{i}", block1())  # 名字用 f-string 生成：f"block{i}"
    return net
# --8<-- [end:blocks]


# --8<-- [start:init_normal]
def init_normal(module: nn.Module) -> None:
    """全连接层：权重 ~ N(0, 0.01²)，偏置置 0；其他模块不变。

    Examples:
        >>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU()).apply(init_normal)
        >>> net[0].bias.abs().sum().item()
        0.0
    """
    require_module(module, "module")
    if isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, mean=0.0, std=0.01)  # std=0.0 会把权重全部变成 0
        if module.bias is not None:
            nn.init.zeros_(module.bias)
# --8<-- [end:init_normal]


def check_init_constant_args(module: object, value: object) -> None:
    """检查 :func:`init_constant` 的参数：``module`` 是 ``nn.Module`` 的实例，``value`` 是有限实数。"""
    require_real(value, "value")
    require_module(module, "module")


# --8<-- [start:init_constant]
def init_constant(module: nn.Module, value: float = 1.0) -> None:
    """全连接层：权重全部设为 ``value``，偏置置 0。

    Examples:
        >>> layer = nn.Linear(2, 3)
        >>> init_constant(layer, 42)
        >>> layer.weight[0]
        tensor([42., 42.], grad_fn=<SelectBackward0>)
    """
    check_init_constant_args(module, value)
    if isinstance(module, nn.Linear):
        nn.init.constant_(module.weight, value)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
# --8<-- [end:init_constant]


# --8<-- [start:init_xavier]
def init_xavier(module: nn.Module) -> None:
    """全连接层：权重用 Xavier 均匀分布 U(-a, a)，a = sqrt(6 / (fan_in + fan_out))；偏置置 0。

    Examples:
        >>> layer = nn.Linear(4, 8)
        >>> init_xavier(layer)
        >>> bool(layer.weight.abs().max() <= (6 / (4 + 8)) ** 0.5)
        True
    """
    require_module(module, "module")
    if isinstance(module, nn.Linear):
        nn.init.xavier_uniform_(module.weight)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
# --8<-- [end:init_xavier]


# --8<-- [start:my_init]
def my_init(module: nn.Module) -> None:
    """自定义初始化：全连接层的权重先取 U(-10, 10)，再把绝对值小于 5 的置 0。

    结果是：约一半的权重为 0，其余的绝对值落在 [5, 10) 内。偏置保持不变。

    Examples:
        >>> layer = nn.Linear(100, 100)
        >>> my_init(layer)
        >>> nonzero = layer.weight[layer.weight != 0].abs()
        >>> bool(nonzero.min() >= 5 and nonzero.max() <= 10)
        True
    """
    require_module(module, "module")
    if isinstance(module, nn.Linear):
        nn.init.uniform_(module.weight, -10, 10)
        with torch.no_grad():  # 直接改参数的值，不让这一步进入计算图
            module.weight *= module.weight.abs() >= 5
# --8<-- [end:my_init]


def check_tied_net_args(shared: object) -> None:
    """检查 :func:`tied_net` 的参数：``shared`` 应为 8 → 8 的 ``nn.Linear``。"""
    require_instance(shared, "shared", nn.Linear, label="nn.Linear")
    if (shared.in_features, shared.out_features) != (8, 8):
        raise ValueError(f"参数 shared 应为 8 → 8 的全连接层 nn.Linear(8, 8)，实际得到 {shared!r}")


# --8<-- [start:tied_net]
def tied_net(shared: nn.Linear | None = None) -> nn.Sequential:
    """4 → 8 → 8 → 8 → 1 的网络，中间两个 8 → 8 的全连接层是同一个对象 ``shared``（参数绑定）。

    Args:
        shared: 被使用两次的 8 → 8 全连接层；省略时新建一个。

    Examples:
        >>> net = tied_net()
        >>> net[2] is net[4]
        True
    """
    if shared is None:
        shared = nn.Linear(8, 8)
    check_tied_net_args(shared)
    return nn.Sequential(
        nn.Linear(4, 8), nn.ReLU(),
        shared, nn.ReLU(),
        shared, nn.ReLU(),  # 同一个层用第二次
        nn.Linear(8, 1),
    )
# --8<-- [end:tied_net]
