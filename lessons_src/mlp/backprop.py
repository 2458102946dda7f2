"""前向传播与反向传播：两层网络（tanh 隐藏层、sigmoid 输出、二元交叉熵）的手写实现。

对应页面 ``docs/mlp/backprop.md``。沿用吴恩达课程的记号：**每一列是一个样本**，
``X`` 的形状是 ``(n_x, m)``，``W1`` 的形状是 ``(n_h, n_x)``，``b1`` 的形状是 ``(n_h, 1)``。
PyTorch 的 ``nn.Linear`` 则是每一行一个样本，页面上比较了两种写法。
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import torch
from torch import nn

from lessons_src.checks import require_callable, require_positive_int, require_real, require_tensor

__all__ = [
    "PARAM_NAMES",
    "backward",
    "backward_regularized",
    "binary_cross_entropy",
    "check_columns",
    "check_params",
    "forward",
    "init_params",
    "make_xor_data",
    "regularization_term",
    "saved_tensor_bytes",
    "to_sequential",
]

PARAM_NAMES = ("W1", "b1", "W2", "b2")
"""两层网络的参数名，``forward``、``backward`` 的字典都用这几个键。"""

def check_params(params: object) -> tuple[int, int, int]:
    """检查两层网络的参数字典：键为 ``W1, b1, W2, b2``，形状彼此相容。

    Returns:
        ``(n_x, n_h, n_y)``：输入数、隐藏单元数、输出数。

    Raises:
        TypeError: ``params`` 不是字典，或其中的值不是浮点张量。
        ValueError: 缺少参数，或形状不相容。

    Examples:
        >>> check_params({"W1": torch.zeros(4, 3), "b1": torch.zeros(4, 1),
        ...               "W2": torch.zeros(1, 4), "b2": torch.zeros(1, 1)})
        (3, 4, 1)
    """
    if not isinstance(params, Mapping):
        raise TypeError(f"参数 params 应为字典（键为 {list(PARAM_NAMES)}），实际得到 {type(params).__name__}")
    missing = [name for name in PARAM_NAMES if name not in params]
    if missing:
        raise ValueError(f"参数 params 缺少 {missing}；应包含 {list(PARAM_NAMES)}")
    for name in PARAM_NAMES:
        require_tensor(params[name], f"params['{name}']", floating=True)
        if params[name].dim() != 2:
            raise ValueError(
                f"params['{name}'] 应为二维张量（偏置的形状是 (n, 1)），实际形状为 {tuple(params[name].shape)}"
            )
    n_h, n_x = params["W1"].shape
    n_y = params["W2"].shape[0]
    expected = {"b1": (n_h, 1), "W2": (n_y, n_h), "b2": (n_y, 1)}
    for name, shape in expected.items():
        if tuple(params[name].shape) != shape:
            raise ValueError(
                f"params['{name}'] 的形状应为 {shape}（由 W1 的形状 {(n_h, n_x)} 推出），"
                f"实际为 {tuple(params[name].shape)}"
            )
    return n_x, n_h, n_y


def check_columns(X: object, n_x: int) -> torch.Tensor:
    """检查 ``X`` 是每列一个样本的浮点矩阵，形状 ``(n_x, m)``，并原样返回。

    Examples:
        >>> check_columns(torch.zeros(5, 3), 3)
        Traceback (most recent call last):
        ...
        ValueError: 参数 X 的形状应为 (n_x, m) = (3, m)，每一列是一个样本，实际形状为
        (5, 3)；如果数据是每行一个样本，请传入 X.T
    """
    require_tensor(X, "X", floating=True)
    if X.dim() != 2 or X.shape[0] != n_x:
        raise ValueError(
            f"参数 X 的形状应为 (n_x, m) = ({n_x}, m)，每一列是一个样本，实际形状为 {tuple(X.shape)}；"
            "如果数据是每行一个样本，请传入 X.T"
        )
    return X


def check_forward_args(X: object, params: object) -> None:
    """检查 :func:`forward` 的参数：``params`` 见 :func:`check_params`，``X`` 的形状为 ``(n_x, m)``。"""
    n_x, _, _ = check_params(params)
    check_columns(X, n_x)


def check_binary_cross_entropy_args(A2: object, Y: object) -> None:
    """检查 :func:`binary_cross_entropy` 的参数：两个形状相同的浮点张量。"""
    require_tensor(A2, "A2", floating=True)
    require_tensor(Y, "Y", floating=True)
    if A2.shape != Y.shape:
        raise ValueError(f"A2 与 Y 的形状应相同，实际为 {tuple(A2.shape)} 和 {tuple(Y.shape)}")


def check_backward_args(X: object, Y: object, params: object) -> None:
    """检查 :func:`backward` 的参数：``X``、``params`` 同 :func:`forward`，``Y`` 的形状为 ``(n_y, m)``。"""
    n_x, _, n_y = check_params(params)
    check_columns(X, n_x)
    require_tensor(Y, "Y", floating=True)
    if tuple(Y.shape) != (n_y, X.shape[1]):
        raise ValueError(f"参数 Y 的形状应为 (n_y, m) = ({n_y}, {X.shape[1]})，实际为 {tuple(Y.shape)}")


def init_params(
    n_x: int, n_h: int, n_y: int = 1, *, seed: int = 0, dtype: torch.dtype = torch.float64
) -> dict[str, torch.Tensor]:
    """随机初始化两层网络的参数：权重服从方差为 1/fan_in 的正态分布，偏置为 0。

    方差 1/fan_in（标准差 1/sqrt(fan_in)）是适合 tanh 的 LeCun 初始化，
    见“数值稳定性与模型初始化”一页。默认用 float64，便于与自动求导、数值梯度比较。

    Args:
        n_x: 输入特征数。
        n_h: 隐藏单元数。
        n_y: 输出单元数，二分类为 1。
        seed: 随机种子。
        dtype: 参数的浮点类型。

    Returns:
        键为 ``W1, b1, W2, b2`` 的字典，形状分别为
        ``(n_h, n_x), (n_h, 1), (n_y, n_h), (n_y, 1)``。

    Examples:
        >>> params = init_params(3, 4)
        >>> {name: tuple(value.shape) for name, value in params.items()}
        {'W1': (4, 3), 'b1': (4, 1), 'W2': (1, 4), 'b2': (1, 1)}
    """
    for value, name in ((n_x, "n_x"), (n_h, "n_h"), (n_y, "n_y")):
        require_positive_int(value, name)
    if not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise TypeError(f"参数 dtype 应为浮点类型（如 torch.float64），实际得到 {dtype!r}")
    generator = torch.Generator().manual_seed(seed)
    return {
        "W1": torch.randn(n_h, n_x, generator=generator, dtype=dtype) / n_x**0.5,
        "b1": torch.zeros(n_h, 1, dtype=dtype),
        "W2": torch.randn(n_y, n_h, generator=generator, dtype=dtype) / n_h**0.5,
        "b2": torch.zeros(n_y, 1, dtype=dtype),
    }


# --8<-- [start:forward]
def forward(X: torch.Tensor, params: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """前向传播。``X`` 的每一列是一个样本，形状 ``(n_x, m)``。

    Z1 = W1 X + b1,  A1 = tanh(Z1),  Z2 = W2 A1 + b2,  A2 = sigmoid(Z2)。
    偏置 ``(n, 1)`` 通过广播加到每一列上。

    Returns:
        ``(A2, cache)``：输出 ``A2``（形状 ``(n_y, m)``），以及反向传播要用的中间值。

    Examples:
        >>> A2, cache = forward(torch.zeros(3, 5, dtype=torch.float64), init_params(3, 4))
        >>> A2
        tensor([[0.5000, 0.5000, 0.5000, 0.5000, 0.5000]], dtype=torch.float64)
        >>> sorted(cache)
        ['A1', 'A2', 'Z1', 'Z2']
    """
    check_forward_args(X, params)
    Z1 = params["W1"] @ X + params["b1"]
    A1 = torch.tanh(Z1)
    Z2 = params["W2"] @ A1 + params["b2"]
    A2 = torch.sigmoid(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}
# --8<-- [end:forward]


# --8<-- [start:binary_cross_entropy]
def binary_cross_entropy(A2: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
    """二元交叉熵对 m 个样本的平均：J = -(1/m) Σ [y log a + (1 - y) log(1 - a)]。

    Examples:
        >>> binary_cross_entropy(torch.tensor([[0.5, 0.5]]), torch.tensor([[0.0, 1.0]]))
        tensor(0.6931)
    """
    check_binary_cross_entropy_args(A2, Y)
    m = Y.shape[-1]
    return -(Y * torch.log(A2) + (1 - Y) * torch.log(1 - A2)).sum() / m
# --8<-- [end:binary_cross_entropy]


# --8<-- [start:backward]
def backward(
    X: torch.Tensor, Y: torch.Tensor, params: dict[str, torch.Tensor], cache: dict[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """反向传播：由前向传播的缓存算出 J 对每个参数的梯度。

    Returns:
        与 ``params`` 同键的字典：``grads["W1"]`` 就是 dW1 = ∂J/∂W1，依此类推，
        每个梯度与对应参数形状相同。

    Examples:
        >>> params = init_params(3, 4)
        >>> X, Y = torch.ones(3, 2, dtype=torch.float64), torch.ones(1, 2, dtype=torch.float64)
        >>> grads = backward(X, Y, params, forward(X, params)[1])
        >>> all(grads[name].shape == params[name].shape for name in params)
        True
    """
    check_backward_args(X, Y, params)
    m = X.shape[1]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y                                        # (n_y, m)
    dW2 = dZ2 @ A1.T / m                                # (n_y, n_h)
    db2 = dZ2.sum(dim=1, keepdim=True) / m              # (n_y, 1)
    dZ1 = (params["W2"].T @ dZ2) * (1 - A1**2)          # (n_h, m)，tanh' = 1 - tanh^2
    dW1 = dZ1 @ X.T / m                                 # (n_h, n_x)
    db1 = dZ1.sum(dim=1, keepdim=True) / m              # (n_h, 1)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
# --8<-- [end:backward]


def check_regularized_args(params: object, lambd: object) -> float:
    """检查 :func:`regularization_term` 的参数：两层网络的参数字典和非负的 ``lambd``；返回 ``float(lambd)``。"""
    check_params(params)
    return require_real(lambd, "lambd", minimum=0.0, what="正则化常数")


def check_backward_regularized_args(
    X: object, Y: object, params: object, lambd: object
) -> float:
    """检查 :func:`backward_regularized` 的参数：``X``、``Y``、``params`` 同 :func:`backward`，
    ``lambd`` 是非负实数；返回 ``float(lambd)``。"""
    check_backward_args(X, Y, params)
    return require_real(lambd, "lambd", minimum=0.0, what="正则化常数")


# --8<-- [start:regularization_term]
def regularization_term(params: dict[str, torch.Tensor], lambd: float) -> torch.Tensor:
    """L2 正则项 s = (λ/2)(‖W1‖² + ‖W2‖²)，‖·‖ 是 Frobenius 范数；偏置不受惩罚。

    Examples:
        >>> params = {"W1": torch.ones(2, 3), "b1": torch.ones(2, 1),
        ...           "W2": torch.ones(1, 2), "b2": torch.ones(1, 1)}
        >>> regularization_term(params, 0.1)  # 0.05 * (6 + 2)
        tensor(0.4000)
    """
    lambd = check_regularized_args(params, lambd)
    return lambd / 2 * ((params["W1"] ** 2).sum() + (params["W2"] ** 2).sum())
# --8<-- [end:regularization_term]


# --8<-- [start:backward_regularized]
def backward_regularized(
    X: torch.Tensor,
    Y: torch.Tensor,
    params: dict[str, torch.Tensor],
    cache: dict[str, torch.Tensor],
    lambd: float,
) -> dict[str, torch.Tensor]:
    """目标 J = L + s 的梯度：在 :func:`backward` 给出的 ∂L/∂W 上加 ∂s/∂W = λW。

    Returns:
        与 ``params`` 同键的梯度字典；偏置的梯度与 :func:`backward` 相同。

    Examples:
        >>> params = init_params(3, 4)
        >>> X, Y = torch.ones(3, 2, dtype=torch.float64), torch.ones(1, 2, dtype=torch.float64)
        >>> cache = forward(X, params)[1]
        >>> grads, plain = backward_regularized(X, Y, params, cache, 0.1), backward(X, Y, params, cache)
        >>> torch.allclose(grads["W1"] - plain["W1"], 0.1 * params["W1"])
        True
        >>> torch.equal(grads["b1"], plain["b1"])
        True
    """
    lambd = check_backward_regularized_args(X, Y, params, lambd)
    grads = backward(X, Y, params, cache)               # 经过 L 的那条路：∂L/∂θ
    for name in ("W1", "W2"):                           # 经过 s 的那条路：∂s/∂W = λW
        grads[name] = grads[name] + lambd * params[name]
    return grads
# --8<-- [end:backward_regularized]


def make_xor_data(m: int, *, seed: int = 0, dtype: torch.dtype = torch.float64) -> tuple[torch.Tensor, torch.Tensor]:
    """“异或”式的二分类数据：点在 [-1, 1]² 中均匀分布，x1·x2 > 0 时标签为 1。

    线性模型分不开这四个象限，带一个隐藏层的网络可以。

    Returns:
        ``(X, Y)``，形状 ``(2, m)`` 和 ``(1, m)``（每一列一个样本）。

    Examples:
        >>> X, Y = make_xor_data(4)
        >>> X.shape, Y.shape
        (torch.Size([2, 4]), torch.Size([1, 4]))
    """
    require_positive_int(m, "m")
    generator = torch.Generator().manual_seed(seed)
    X = torch.rand(2, m, generator=generator, dtype=dtype) * 2 - 1
    Y = (X[0:1] * X[1:2] > 0).to(dtype)
    return X, Y


# --8<-- [start:to_sequential]
def to_sequential(params: dict[str, torch.Tensor]) -> nn.Sequential:
    """把课程记号的参数装进 PyTorch 的层，得到同一个网络（每行一个样本）。

    ``nn.Linear(in, out)`` 的 ``weight`` 形状是 ``(out, in)``，与课程的 W 相同，可以直接复制；
    ``bias`` 是一维的 ``(out,)``，课程的 b 是列向量 ``(out, 1)``，要去掉第二维。

    Examples:
        >>> net = to_sequential(init_params(3, 4))
        >>> net
        Sequential(
          (0): Linear(in_features=3, out_features=4, bias=True)
          (1): Tanh()
          (2): Linear(in_features=4, out_features=1, bias=True)
          (3): Sigmoid()
        )
    """
    n_x, n_h, n_y = check_params(params)
    dtype = params["W1"].dtype
    net = nn.Sequential(
        nn.Linear(n_x, n_h, dtype=dtype), nn.Tanh(), nn.Linear(n_h, n_y, dtype=dtype), nn.Sigmoid()
    )
    with torch.no_grad():
        net[0].weight.copy_(params["W1"])
        net[0].bias.copy_(params["b1"].squeeze(1))
        net[2].weight.copy_(params["W2"])
        net[2].bias.copy_(params["b2"].squeeze(1))
    return net
# --8<-- [end:to_sequential]


# --8<-- [start:saved_tensor_bytes]
def saved_tensor_bytes(compute: Callable[[], torch.Tensor]) -> int:
    """执行 ``compute()``，统计自动求导为反向传播保存的张量共占多少字节。

    用 ``torch.autograd.graph.saved_tensors_hooks`` 拦下每一个被保存的张量；
    同一块内存被保存多次只计一次。

    Examples:
        >>> w = torch.ones(1000, requires_grad=True)
        >>> saved_tensor_bytes(lambda: torch.tanh(w).sum())  # tanh 保存输出：1000 个 float32
        4000
        >>> with torch.no_grad():
        ...     saved_tensor_bytes(lambda: torch.tanh(w).sum())
        0
    """
    require_callable(compute, "compute")
    seen: dict[tuple[int, int], int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        key = (tensor.untyped_storage().data_ptr(), tensor.untyped_storage().nbytes())
        seen[key] = tensor.untyped_storage().nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        compute()
    return sum(seen.values())
# --8<-- [end:saved_tensor_bytes]
