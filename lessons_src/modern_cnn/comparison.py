"""架构比较：在同样的数据和训练设置下训练本章各网络的缩小版，比较参数个数、计算量、每轮用时和测试准确率。

对应页面 ``docs/modern-cnn/comparison.md``。训练用
:func:`lessons_src.linear_networks.softmax_regression.fit`，数据来自
:func:`lessons_src.linear_networks.image_classification_dataset.digits_loaders`，
初始化用 :func:`lessons_src.modern_cnn.alexnet.init_kaiming`，计算量用
:func:`lessons_src.modern_cnn.alexnet.multiply_adds` 数出。
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import torch
from torch import nn

from lessons_src.checks import require_callable, require_int, require_positive, require_positive_int
from lessons_src.cnn.lenet import count_parameters
from lessons_src.linear_networks.image_classification_dataset import digits_loaders
from lessons_src.linear_networks.softmax_regression import fit
from lessons_src.modern_cnn.alexnet import init_kaiming, multiply_adds

__all__ = ["ArchitectureResult", "compare_architectures", "format_results"]


@dataclass(frozen=True)
class ArchitectureResult:
    """一个网络的比较结果。

    Attributes:
        name: 网络的名字。
        num_params: 参数个数。
        mult_adds: 一个样本前向传播时卷积层和全连接层的乘加次数。
        seconds_per_epoch: 平均每轮训练的秒数（取决于机器，每次运行都不同）。
        test_acc: 最后一轮结束时的测试准确率。
    """

    name: str
    num_params: int
    mult_adds: int
    seconds_per_epoch: float
    test_acc: float


def check_compare_architectures_args(
    nets: object, num_epochs: object, batch_size: object, lr: object, seed: object
) -> None:
    """检查 :func:`compare_architectures` 的参数：``nets`` 是非空的
    ``{名字: (构造网络的函数, 输入边长)}`` 字典，轮数、批量大小是正整数，学习率是正数，种子是非负整数。"""
    if not isinstance(nets, Mapping) or len(nets) == 0:
        raise TypeError(
            f"参数 nets 应为非空的字典 {{名字: (构造网络的函数, 输入边长)}}，实际得到 {type(nets).__name__}"
        )
    for name, entry in nets.items():
        if not (isinstance(entry, tuple) and len(entry) == 2):
            raise TypeError(f"nets[{name!r}] 应为二元组 (构造网络的函数, 输入边长)，实际得到 {entry!r}")
        require_callable(entry[0], f"nets[{name!r}][0]")
        require_positive_int(entry[1], f"nets[{name!r}][1]（输入边长）")
    require_positive_int(num_epochs, "num_epochs")
    require_positive_int(batch_size, "batch_size")
    require_positive(lr, "lr")
    require_int(seed, "seed", minimum=0)


# --8<-- [start:compare_architectures]
def compare_architectures(
    nets: Mapping[str, tuple[Callable[[], nn.Module], int]],
    *,
    num_epochs: int = 2,
    batch_size: int = 32,
    lr: float = 1e-3,
    seed: int = 0,
) -> list[ArchitectureResult]:
    """用同一套设置依次训练 ``nets`` 中的每个网络，返回各自的结果。

    每个网络都用同样划分的 digits 数据（放大到它的输入边长）、同样的随机种子、
    He 初始化、学习率为 ``lr`` 的 Adam、同样的批量大小和轮数。

    Args:
        nets: ``{名字: (构造网络的函数, 输入边长)}``。
        num_epochs: 训练轮数。
        batch_size: 批量大小。
        lr: Adam 的学习率。
        seed: 构造网络之前设置的随机种子（数据的划分和打乱由 ``digits_loaders`` 固定）。

    Examples:
        >>> nets = {"softmax": (lambda: nn.Sequential(nn.Flatten(), nn.Linear(64, 10)), 8)}
        >>> [result] = compare_architectures(nets, num_epochs=1, lr=0.05)
        >>> result.num_params, result.mult_adds, result.test_acc > 0.5
        (650, 640, True)
    """
    check_compare_architectures_args(nets, num_epochs, batch_size, lr, seed)
    results = []
    for name, (build, image_size) in nets.items():
        train_iter, test_iter = digits_loaders(batch_size=batch_size,
                                               resize=image_size)
        torch.manual_seed(seed)
        net = build()
        net.apply(init_kaiming)
        optimizer = torch.optim.Adam(net.parameters(), lr=lr)
        history = fit(net, train_iter, test_iter, nn.CrossEntropyLoss(), optimizer,
                      num_epochs, progress=False)
        net.eval()  # 评估模式：批量规范化层用移动平均，一个样本也能前向传播
        mult_adds = sum(multiply_adds(net, (1, 1, image_size, image_size)).values())
        seconds = sum(history.seconds) / num_epochs
        results.append(ArchitectureResult(name, count_parameters(net), mult_adds,
                                          seconds, history.test_acc[-1]))
    return results
# --8<-- [end:compare_architectures]


def check_format_results_args(results: object) -> None:
    """检查 :func:`format_results` 的参数：由 :class:`ArchitectureResult` 组成的非空列表。"""
    if not isinstance(results, list | tuple) or len(results) == 0 or not all(
        isinstance(result, ArchitectureResult) for result in results
    ):
        raise TypeError(f"参数 results 应为由 ArchitectureResult 组成的非空列表，实际得到 {results!r}")


# --8<-- [start:format_results]
def format_results(results: list[ArchitectureResult]) -> str:
    """把比较结果排成一张文字表格：参数个数、每个样本的乘加次数（百万）、每轮秒数和测试准确率。

    Examples:
        >>> print(format_results([ArchitectureResult("LeNet", 61706, 416520, 0.53, 0.9)]))
        网络             参数个数  乘加（百万）  每轮秒数  测试准确率
        LeNet              61,706          0.42      0.53       0.900
    """
    check_format_results_args(results)
    # 一个汉字占两个英文字符的宽度，表头按显示宽度手工对齐
    lines = ["网络" + " " * 13 + "参数个数  乘加（百万）  每轮秒数  测试准确率"]
    for r in results:
        lines.append(f"{r.name:<12} {r.num_params:>12,} {r.mult_adds / 1e6:>13.2f} "
                     f"{r.seconds_per_epoch:>9.2f} {r.test_acc:>11.3f}")
    return "\n".join(lines)
# --8<-- [end:format_results]
