"""lessons_src/modern_cnn/comparison.py 的测试；页面见 docs/modern-cnn/comparison.md。"""

import pytest
from torch import nn

from lessons_src.modern_cnn.comparison import ArchitectureResult, compare_architectures, format_results


def tiny_nets():
    return {
        "softmax": (lambda: nn.Sequential(nn.Flatten(), nn.Linear(64, 10)), 8),
        "mlp": (lambda: nn.Sequential(nn.Flatten(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 10)), 4),
    }


def test_compare_architectures_trains_each_net_with_the_same_recipe():
    results = compare_architectures(tiny_nets(), num_epochs=1, lr=0.05)
    assert [r.name for r in results] == ["softmax", "mlp"]
    assert [r.num_params for r in results] == [650, 16 * 8 + 8 + 8 * 10 + 10]
    assert [r.mult_adds for r in results] == [640, 16 * 8 + 8 * 10]
    assert all(r.seconds_per_epoch > 0 and 0 <= r.test_acc <= 1 for r in results)
    assert results[0].test_acc > 0.5


def test_the_same_seed_gives_the_same_accuracy():
    nets = {"softmax": tiny_nets()["softmax"]}
    first = compare_architectures(nets, num_epochs=1, lr=0.05, seed=3)
    second = compare_architectures(nets, num_epochs=1, lr=0.05, seed=3)
    assert first[0].test_acc == second[0].test_acc


def test_format_results_aligns_the_columns():
    table = format_results([
        ArchitectureResult("AlexNet", 186326, 5651736, 2.5, 0.9133),
        ArchitectureResult("NiN", 36646, 1132660, 0.8, 0.2222),
    ])
    lines = table.split("\n")
    assert lines[0].split() == ["网络", "参数个数", "乘加（百万）", "每轮秒数", "测试准确率"]
    assert lines[1].split() == ["AlexNet", "186,326", "5.65", "2.50", "0.913"]
    assert lines[2].split() == ["NiN", "36,646", "1.13", "0.80", "0.222"]
    assert len(lines[1]) == len(lines[2])


@pytest.mark.parametrize(
    ("nets", "kwargs", "error", "message"),
    [
        ([], {}, TypeError, r"参数 nets 应为非空的字典"),
        ({}, {}, TypeError, r"参数 nets 应为非空的字典"),
        ({"a": nn.Linear(2, 2)}, {}, TypeError, r"nets\['a'\] 应为二元组 \(构造网络的函数, 输入边长\)"),
        ({"a": (3, 8)}, {}, TypeError, r"nets\['a'\]\[0\] 应为可调用的函数"),
        ({"a": (lambda: nn.Flatten(), 0)}, {}, ValueError, r"nets\['a'\]\[1\]（输入边长） 应为正整数，实际得到 0"),
        ({"a": (lambda: nn.Flatten(), 8)}, {"num_epochs": 0}, ValueError, "num_epochs 应为正整数"),
        ({"a": (lambda: nn.Flatten(), 8)}, {"batch_size": 2.5}, TypeError, "batch_size 应为正整数"),
        ({"a": (lambda: nn.Flatten(), 8)}, {"lr": -1.0}, ValueError, "lr"),
        ({"a": (lambda: nn.Flatten(), 8)}, {"seed": -1}, ValueError, "seed"),
    ],
)
def test_bad_compare_arguments(nets, kwargs, error, message):
    with pytest.raises(error, match=message):
        compare_architectures(nets, **kwargs)


@pytest.mark.parametrize("results", [[], [("AlexNet", 1, 1, 1.0, 0.5)], "table"])
def test_bad_format_arguments(results):
    with pytest.raises(TypeError, match="参数 results 应为由 ArchitectureResult 组成的非空列表"):
        format_results(results)
