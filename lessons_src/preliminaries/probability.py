"""概率：贝叶斯定理、二维正态分布的密度（连续边缘化）、期望与方差，以及掷骰子的抽样实验。

对应页面 ``docs/preliminaries/probability.md``。
"""

from __future__ import annotations

import torch
from matplotlib.figure import Figure

from lessons_src.checks import (
    require_int,
    require_positive,
    require_positive_int,
    require_real,
    require_tensor,
)

__all__ = [
    "bayes_posterior",
    "bivariate_normal_pdf",
    "expectation",
    "plot_running_frequencies",
    "roll_die",
    "running_frequencies",
    "variance",
]


def check_probabilities(probs: torch.Tensor, name: str, *, total: float | None = None) -> None:
    """检查 ``probs`` 的每个元素都是 [0, 1] 内的概率；给出 ``total`` 时还要求元素之和等于它。"""
    if not torch.isfinite(probs).all() or (probs < 0).any() or (probs > 1).any():
        raise ValueError(f"参数 {name} 的每个元素都应是 [0, 1] 内的概率，实际得到 {probs.tolist()}")
    if total is not None and abs(probs.sum().item() - total) > 1e-6:
        raise ValueError(f"参数 {name} 的元素之和应为 1，实际为 {probs.sum().item():.6g}")


def check_bayes_posterior_args(prior: object, likelihood: object) -> None:
    """检查 :func:`bayes_posterior` 的参数：形状相同的浮点向量，prior 是概率分布，likelihood 的元素是概率，
    并且证据的概率 P(E) = sum(likelihood * prior) 不为 0。"""
    require_tensor(prior, "prior", floating=True)
    require_tensor(likelihood, "likelihood", floating=True)
    if prior.dim() != 1 or prior.shape != likelihood.shape:
        raise ValueError(
            "参数 prior 和 likelihood 应为形状相同的向量（每个元素对应 H 的一个取值），"
            f"实际形状为 {tuple(prior.shape)} 和 {tuple(likelihood.shape)}"
        )
    check_probabilities(prior, "prior", total=1.0)
    check_probabilities(likelihood, "likelihood")
    if (likelihood * prior).sum() == 0:
        raise ValueError("证据的概率 P(E) = sum(likelihood * prior) 为 0，后验没有定义")


# --8<-- [start:bayes_posterior]
def bayes_posterior(prior: torch.Tensor, likelihood: torch.Tensor) -> torch.Tensor:
    """用贝叶斯定理由先验和似然算出后验。

    ``prior[h]`` 是 P(H = h)，``likelihood[h]`` 是观测到的证据在 H = h 时出现的概率
    P(E | H = h)。分母 P(E) 由边缘化得到：P(E) = sum_h P(E | H = h) P(H = h)。

    Returns:
        后验 P(H = h | E)，与 ``prior`` 形状相同，元素之和为 1。

    Examples:
        >>> bayes_posterior(torch.tensor([0.5, 0.5]), torch.tensor([0.9, 0.3]))
        tensor([0.7500, 0.2500])
    """
    check_bayes_posterior_args(prior, likelihood)
    joint = likelihood * prior  # P(E, H = h) = P(E | H = h) P(H = h)
    evidence = joint.sum()  # P(E)，边缘化
    return joint / evidence
# --8<-- [end:bayes_posterior]


def check_bivariate_normal_pdf_args(
    x: object, y: object, sigma_x: object, sigma_y: object, rho: object
) -> None:
    """检查 :func:`bivariate_normal_pdf` 的参数：x、y 是能互相广播的浮点张量，两个标准差为正，
    相关系数在 (-1, 1) 内（等于 ±1 时协方差矩阵奇异，没有密度）。"""
    require_tensor(x, "x", floating=True)
    require_tensor(y, "y", floating=True)
    try:
        torch.broadcast_shapes(x.shape, y.shape)
    except RuntimeError:
        raise ValueError(
            f"参数 x 和 y 的形状应能互相广播，实际为 {tuple(x.shape)} 和 {tuple(y.shape)}"
        ) from None
    require_positive(sigma_x, "sigma_x", what="x 的标准差")
    require_positive(sigma_y, "sigma_y", what="y 的标准差")
    require_real(rho, "rho", within="(-1, 1)", what="相关系数")


# --8<-- [start:bivariate_normal_pdf]
def bivariate_normal_pdf(
    x: torch.Tensor, y: torch.Tensor, sigma_x: float, sigma_y: float, rho: float
) -> torch.Tensor:
    """均值为 0 的二维正态分布在点 (x, y) 处的概率密度 p(x, y)。

    两个分量的标准差是 ``sigma_x``、``sigma_y``，相关系数是 ``rho``。
    ``x`` 和 ``y`` 按广播规则配对，例如 ``x[:, None]`` 与 ``y[None, :]`` 得到整个网格上的密度。

    Args:
        x: 第一个分量的取值（浮点张量）。
        y: 第二个分量的取值，形状要能与 ``x`` 广播。
        sigma_x: x 的标准差，正数。
        sigma_y: y 的标准差，正数。
        rho: 相关系数，在 (-1, 1) 内。

    Returns:
        广播后形状的密度值。

    Examples:
        >>> p = bivariate_normal_pdf(torch.tensor(0.0), torch.tensor(0.0), 1.0, 1.0, 0.0)
        >>> round(p.item(), 4)  # 1 / (2π)
        0.1592
    """
    check_bivariate_normal_pdf_args(x, y, sigma_x, sigma_y, rho)
    u, v = x / sigma_x, y / sigma_y  # 标准化
    q = (u**2 - 2 * rho * u * v + v**2) / (1 - rho**2)  # 二次型
    norm = 2 * torch.pi * sigma_x * sigma_y * (1 - rho**2) ** 0.5
    return torch.exp(-q / 2) / norm
# --8<-- [end:bivariate_normal_pdf]


def check_expectation_args(values: object, probs: object) -> None:
    """检查 :func:`expectation` 和 :func:`variance` 的参数：形状相同的浮点向量，probs 是概率分布。"""
    require_tensor(values, "values", floating=True)
    require_tensor(probs, "probs", floating=True)
    if values.dim() != 1 or values.shape != probs.shape:
        raise ValueError(
            f"参数 values 和 probs 应为形状相同的向量，实际形状为 {tuple(values.shape)} 和 {tuple(probs.shape)}"
        )
    check_probabilities(probs, "probs", total=1.0)


# --8<-- [start:moments]
def expectation(values: torch.Tensor, probs: torch.Tensor) -> torch.Tensor:
    """离散随机变量的期望 E[X] = sum_x x P(X = x)。

    Examples:
        >>> expectation(torch.arange(1.0, 7.0), torch.full((6,), 1 / 6))
        tensor(3.5000)
    """
    check_expectation_args(values, probs)
    return (values * probs).sum()


def variance(values: torch.Tensor, probs: torch.Tensor) -> torch.Tensor:
    """离散随机变量的方差 Var[X] = E[(X - E[X])²]。

    Examples:
        >>> variance(torch.arange(1.0, 7.0), torch.full((6,), 1 / 6))
        tensor(2.9167)
    """
    mean = expectation(values, probs)
    return ((values - mean) ** 2 * probs).sum()
# --8<-- [end:moments]


def check_roll_die_args(num_rolls: object, seed: object) -> None:
    """检查 :func:`roll_die` 的参数：掷骰次数是正整数，种子是整数。"""
    require_positive_int(num_rolls, "num_rolls")
    require_int(seed, "seed")


# --8<-- [start:roll_die]
def roll_die(num_rolls: int, seed: int = 0) -> torch.Tensor:
    """掷一枚均匀的六面骰子 ``num_rolls`` 次，返回点数（1 到 6）组成的整数张量。

    用 ``torch.multinomial`` 按概率向量 [1/6, ..., 1/6] 有放回地抽样；随机数来自用 ``seed``
    初始化的独立生成器，不影响全局的随机状态，同样的 ``seed`` 总是得到同样的结果。

    Examples:
        >>> rolls = roll_die(1000, seed=1)
        >>> rolls.shape, rolls.min().item(), rolls.max().item()
        (torch.Size([1000]), 1, 6)
    """
    check_roll_die_args(num_rolls, seed)
    generator = torch.Generator().manual_seed(seed)
    fair = torch.full((6,), 1 / 6)
    return torch.multinomial(fair, num_rolls, replacement=True, generator=generator) + 1
# --8<-- [end:roll_die]


def check_running_frequencies_args(rolls: object, num_faces: object) -> None:
    """检查 :func:`running_frequencies` 的参数：rolls 是非空的一维整数张量，点数在 1 到 num_faces 之间。"""
    require_tensor(rolls, "rolls")
    require_positive_int(num_faces, "num_faces")
    if rolls.dim() != 1 or len(rolls) == 0 or rolls.is_floating_point() or rolls.dtype == torch.bool:
        raise ValueError(
            f"参数 rolls 应为非空的一维整数张量，实际形状为 {tuple(rolls.shape)}、dtype 为 {rolls.dtype}"
        )
    if rolls.min() < 1 or rolls.max() > num_faces:
        raise ValueError(f"参数 rolls 的点数应在 1 到 {num_faces} 之间，实际范围是 {rolls.min()} 到 {rolls.max()}")


# --8<-- [start:running_frequencies]
def running_frequencies(rolls: torch.Tensor, num_faces: int = 6) -> torch.Tensor:
    """前 n 次结果中每一面出现的相对频率，n = 1, 2, ..., len(rolls)。

    Returns:
        形状为 ``(len(rolls), num_faces)`` 的张量；第 n-1 行是前 n 次中点数 1, ..., num_faces
        各自出现的比例，每行之和为 1。

    Examples:
        >>> running_frequencies(torch.tensor([1, 2, 2, 3]), num_faces=3)
        tensor([[1.0000, 0.0000, 0.0000],
                [0.5000, 0.5000, 0.0000],
                [0.3333, 0.6667, 0.0000],
                [0.2500, 0.5000, 0.2500]])
    """
    check_running_frequencies_args(rolls, num_faces)
    one_hot = torch.nn.functional.one_hot(rolls - 1, num_faces).to(torch.float32)
    counts = one_hot.cumsum(dim=0)  # 前 n 次中各面出现的次数
    n = torch.arange(1, len(rolls) + 1, dtype=torch.float32).reshape(-1, 1)
    return counts / n
# --8<-- [end:running_frequencies]


def plot_running_frequencies(frequencies: torch.Tensor) -> Figure:
    """画出各面相对频率随掷骰次数的变化，虚线标出 1/面数。横轴用对数刻度。

    Examples:
        >>> figure = plot_running_frequencies(running_frequencies(roll_die(100)))
        >>> len(figure.axes[0].lines)
        7
    """
    require_tensor(frequencies, "frequencies", floating=True)
    if frequencies.dim() != 2 or frequencies.shape[0] == 0 or frequencies.shape[1] == 0:
        raise ValueError(
            f"参数 frequencies 应为形状 (掷骰次数, 面数) 的非空二维张量，实际形状为 {tuple(frequencies.shape)}"
        )
    num_rolls, num_faces = frequencies.shape
    n = range(1, num_rolls + 1)
    figure = Figure(figsize=(6, 3.6), layout="constrained")
    figure.set_label(
        f"掷 {num_rolls} 次骰子时各面相对频率随次数的变化，虚线是理论概率 1/{num_faces}"
    )
    axes = figure.subplots()
    for face in range(num_faces):
        axes.plot(n, frequencies[:, face].tolist(), linewidth=1, label=f"P(X={face + 1})")
    axes.axhline(1 / num_faces, color="black", linestyle="--", linewidth=1, label=f"1/{num_faces}")
    axes.set_xscale("log")
    axes.set_xlabel("number of rolls")
    axes.set_ylabel("relative frequency")
    axes.set_ylim(0, 0.5)
    axes.grid(alpha=0.3)
    axes.legend(ncols=2, fontsize="small")
    return figure
