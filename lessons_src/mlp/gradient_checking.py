"""梯度检验：用数值差分检查反向传播的实现。

对应页面 ``docs/mlp/gradient-checking.md``。:func:`gradient_check` 对每个参数的每个元素做中心差分，
再与解析梯度比较，返回相对误差；页面用它检查 ``backprop.py`` 中手写的反向传播，
以及一个故意写错的版本。
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import torch

from lessons_src.checks import require_callable, require_positive, require_real, require_tensor
from lessons_src.mlp.backprop import backward, binary_cross_entropy, forward

__all__ = [
    "BrokenTwoLayerBCE",
    "TwoLayerBCE",
    "backward_without_activation_grad",
    "central_difference",
    "forward_difference",
    "gradient_check",
    "judge",
    "numerical_grads",
    "relative_error",
]


def check_difference_args(f: object, x: object, eps: object) -> tuple[float, float]:
    """检查差分的参数：``f`` 可调用，``x`` 是实数，步长 ``eps`` 是正数；返回 ``(float(x), float(eps))``。"""
    require_callable(f, "f")
    return require_real(x, "x"), require_positive(eps, "eps", what="步长")


# --8<-- [start:differences]
def forward_difference(f: Callable[[float], float], x: float, eps: float) -> float:
    """单边差分 (f(x + eps) - f(x)) / eps，误差为 O(eps)。

    Examples:
        >>> round(forward_difference(lambda x: x**3, 1.0, 1e-3), 9)  # 真值 3，误差 3·eps + eps²
        3.003001
    """
    x, eps = check_difference_args(f, x, eps)
    return (f(x + eps) - f(x)) / eps


def central_difference(f: Callable[[float], float], x: float, eps: float) -> float:
    """中心差分 (f(x + eps) - f(x - eps)) / (2 eps)，误差为 O(eps²)。

    Examples:
        >>> round(central_difference(lambda x: x**3, 1.0, 1e-3), 9)  # 真值 3，误差 eps²
        3.000001
    """
    x, eps = check_difference_args(f, x, eps)
    return (f(x + eps) - f(x - eps)) / (2 * eps)
# --8<-- [end:differences]


def check_relative_error_args(approx: object, exact: object) -> None:
    """检查 :func:`relative_error` 的参数：两个形状相同的浮点张量。"""
    require_tensor(approx, "approx", floating=True)
    require_tensor(exact, "exact", floating=True)
    if approx.shape != exact.shape:
        raise ValueError(f"approx 与 exact 的形状应相同，实际为 {tuple(approx.shape)} 和 {tuple(exact.shape)}")


# --8<-- [start:relative_error]
def relative_error(approx: torch.Tensor, exact: torch.Tensor) -> float:
    """相对误差 ‖approx - exact‖₂ / (‖approx‖₂ + ‖exact‖₂)；两者都为零向量时返回 0。

    Examples:
        >>> relative_error(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0]))
        0.0
        >>> relative_error(torch.tensor([1.0, 0.0]), torch.tensor([-1.0, 0.0]))
        1.0
    """
    check_relative_error_args(approx, exact)
    denominator = (torch.linalg.norm(approx) + torch.linalg.norm(exact)).item()
    if denominator == 0:
        return 0.0
    return torch.linalg.norm(approx - exact).item() / denominator
# --8<-- [end:relative_error]


def check_param_dict(tensors: object, what: str, names: list[str] | None = None) -> list[str]:
    """检查“参数名 → 浮点张量”的非空字典；给出 ``names`` 时还要求键与它相同。返回键的列表。"""
    if not isinstance(tensors, Mapping) or len(tensors) == 0:
        raise TypeError(f"参数 {what} 应为非空字典（参数名 → 张量），实际得到 {type(tensors).__name__}")
    if names is not None and sorted(tensors) != sorted(names):
        raise ValueError(f"参数 {what} 的键应与 params 相同：{names}，实际为 {list(tensors)}")
    for name, value in tensors.items():
        require_tensor(value, f"{what}['{name}']", floating=True)
    return list(tensors)


def check_numerical_grads_args(f: object, params: object, eps: object) -> tuple[list[str], float]:
    """检查 :func:`numerical_grads` 的参数：``f`` 可调用，``params`` 是参数字典，``eps`` 是正数。

    Returns:
        ``(参数名的列表, float(eps))``。
    """
    require_callable(f, "f")
    return check_param_dict(params, "params"), require_positive(eps, "eps", what="步长")


def check_gradient_check_args(params: object, analytic_grads: object) -> list[str]:
    """检查 :func:`gradient_check` 的参数：两个同键的字典，参数都是 float64，梯度与参数形状相同；返回参数名。"""
    names = check_param_dict(params, "params")
    check_param_dict(analytic_grads, "analytic_grads", names)
    for name in names:
        if params[name].dtype != torch.float64:
            raise ValueError(
                f"梯度检验应在 float64 下进行，params['{name}'] 的 dtype 为 {params[name].dtype}；"
                "float32 的舍入误差与 eps 同一量级，请先用 .double() 转换"
            )
        if analytic_grads[name].shape != params[name].shape:
            raise ValueError(
                f"analytic_grads['{name}'] 的形状应与参数相同 {tuple(params[name].shape)}，"
                f"实际为 {tuple(analytic_grads[name].shape)}"
            )
    return names


# --8<-- [start:gradient_check]
def numerical_grads(
    f: Callable[[dict[str, torch.Tensor]], torch.Tensor], params: dict[str, torch.Tensor], eps: float = 1e-7
) -> dict[str, torch.Tensor]:
    """对 ``params`` 的每个元素 θ_i 做中心差分，估计 ∂f/∂θ_i，返回与 ``params`` 同键的梯度字典。

    ``f`` 接收参数字典、返回标量。``params`` 本身不会被修改（在副本上扰动）。
    共需调用 ``f`` 2 × (参数总数) 次。它是“预备知识·微积分”一页
    :func:`lessons_src.preliminaries.calculus.numerical_gradient`（向量 → 梯度）的参数字典版本。

    Examples:
        >>> w = {"w": torch.tensor([1.0, -2.0], dtype=torch.float64)}
        >>> numerical_grads(lambda p: (p["w"] ** 2).sum(), w)["w"]  # 真值 2w
        tensor([ 2.0000, -4.0000], dtype=torch.float64)
    """
    names, eps = check_numerical_grads_args(f, params, eps)
    theta = {name: params[name].detach().clone(memory_format=torch.contiguous_format) for name in names}
    grads = {}
    for name, value in theta.items():
        flat = value.view(-1)                # 与 theta[name] 共享内存
        grad = torch.zeros_like(flat)
        for i in range(flat.numel()):
            original = flat[i].item()
            flat[i] = original + eps
            f_plus = float(f(theta))
            flat[i] = original - eps
            f_minus = float(f(theta))
            flat[i] = original               # 还原
            grad[i] = (f_plus - f_minus) / (2 * eps)
        grads[name] = grad.view_as(value)
    return grads


def gradient_check(
    f: Callable[[dict[str, torch.Tensor]], torch.Tensor],
    params: dict[str, torch.Tensor],
    analytic_grads: dict[str, torch.Tensor],
    eps: float = 1e-7,
) -> float:
    """梯度检验：把数值梯度和解析梯度各自拼成一个长向量，返回两者的相对误差。

    只在 float64 下有意义：float32 的机器精度约 1.2e-7，与 eps = 1e-7 同一量级，差分结果全是舍入误差。

    Examples:
        >>> w = {"w": torch.tensor([1.0, -2.0], dtype=torch.float64)}
        >>> gradient_check(lambda p: (p["w"] ** 2).sum(), w, {"w": 2 * w["w"]}) < 1e-7
        True
    """
    names = check_gradient_check_args(params, analytic_grads)
    approx = numerical_grads(f, params, eps)

    def flatten(grads: dict[str, torch.Tensor]) -> torch.Tensor:
        return torch.cat([grads[name].detach().reshape(-1).double() for name in names])

    return relative_error(flatten(approx), flatten(analytic_grads))
# --8<-- [end:gradient_check]


def judge(error: float) -> str:
    """按常用的经验阈值（float64、eps ≈ 1e-7）解读相对误差。

    Examples:
        >>> judge(3e-9), judge(2e-6), judge(5e-4), judge(0.2)
        ('很好', '基本可以，逐项看看', '可疑，需要检查', '很可能有错误')
    """
    error = require_real(error, "error", minimum=0.0)
    if error < 1e-7:
        return "很好"
    if error < 1e-5:
        return "基本可以，逐项看看"
    if error < 1e-3:
        return "可疑，需要检查"
    return "很可能有错误"


# --8<-- [start:broken_backward]
def backward_without_activation_grad(
    X: torch.Tensor, Y: torch.Tensor, params: dict[str, torch.Tensor], cache: dict[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """**故意写错**的反向传播：计算 dZ1 时漏掉了 tanh 的导数 g'(Z1) = 1 - A1²。

    Examples:
        >>> from lessons_src.mlp.backprop import init_params
        >>> params = init_params(2, 3)
        >>> X, Y = torch.ones(2, 4, dtype=torch.float64), torch.ones(1, 4, dtype=torch.float64)
        >>> sorted(backward_without_activation_grad(X, Y, params, forward(X, params)[1]))
        ['W1', 'W2', 'b1', 'b2']
    """
    grads = backward(X, Y, params, cache)
    m = X.shape[1]
    dZ2 = cache["A2"] - Y
    dZ1 = params["W2"].T @ dZ2                # 错误：少乘了 (1 - A1**2)
    grads["W1"] = dZ1 @ X.T / m
    grads["b1"] = dZ1.sum(dim=1, keepdim=True) / m
    return grads
# --8<-- [end:broken_backward]


# --8<-- [start:autograd_function]
def _loss_and_cache(ctx, X, Y, W1, b1, W2, b2) -> torch.Tensor:
    params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    A2, cache = forward(X, params)
    ctx.save_for_backward(X, Y, W1, b1, W2, b2, cache["A1"], A2)
    return binary_cross_entropy(A2, Y)


def _hand_gradients(ctx, grad_output: torch.Tensor, backward_fn: Callable) -> tuple:
    X, Y, W1, b1, W2, b2, A1, A2 = ctx.saved_tensors
    params = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    grads = backward_fn(X, Y, params, {"A1": A1, "A2": A2})
    # X 和 Y 不需要梯度，返回 None；其余按链式法则乘上 J 的上游梯度 grad_output
    return (None, None, *(grad_output * grads[name] for name in ("W1", "b1", "W2", "b2")))


class TwoLayerBCE(torch.autograd.Function):
    """两层网络的损失 J(X, Y, W1, b1, W2, b2)，反向传播用手写的 ``backward``。"""

    @staticmethod
    def forward(ctx, X, Y, W1, b1, W2, b2):
        return _loss_and_cache(ctx, X, Y, W1, b1, W2, b2)

    @staticmethod
    def backward(ctx, grad_output):
        return _hand_gradients(ctx, grad_output, backward)


class BrokenTwoLayerBCE(torch.autograd.Function):
    """同一个损失，反向传播用故意写错的 ``backward_without_activation_grad``。"""

    @staticmethod
    def forward(ctx, X, Y, W1, b1, W2, b2):
        return _loss_and_cache(ctx, X, Y, W1, b1, W2, b2)

    @staticmethod
    def backward(ctx, grad_output):
        return _hand_gradients(ctx, grad_output, backward_without_activation_grad)
# --8<-- [end:autograd_function]
