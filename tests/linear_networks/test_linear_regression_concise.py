"""lessons_src/linear_networks/linear_regression_concise.py 的测试；
页面见 docs/linear-networks/linear-regression-concise.md。
"""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.utils.data import DataLoader

from lessons_src.linear_networks.linear_regression_concise import (
    load_array,
    train_regression,
)
from lessons_src.linear_networks.linear_regression_scratch import (
    squared_loss,
    synthetic_data,
)

TRUE_W = torch.tensor([2.0, -3.4])
TRUE_B = 4.2


# ----- load_array -----


@given(n=st.integers(1, 50), batch_size=st.integers(1, 60), is_train=st.booleans())
@settings(max_examples=30, deadline=None)
def test_load_array_reads_every_example_once(n, batch_size, is_train):
    features = torch.arange(n, dtype=torch.float32).reshape(n, 1)
    labels = torch.arange(n)
    loader = load_array((features, labels), batch_size, is_train)
    assert isinstance(loader, DataLoader) and len(loader) == -(-n // batch_size)
    seen = torch.cat([y for _, y in loader])
    assert torch.equal(seen.sort().values, labels)
    for X, y in loader:
        assert torch.equal(X[:, 0].long(), y)


def test_load_array_shuffles_only_for_training():
    labels = torch.arange(100)
    train = load_array((labels.float(), labels), 10, generator=torch.Generator().manual_seed(0))
    test = load_array((labels.float(), labels), 10, is_train=False)
    first = torch.cat([y for _, y in train])
    second = torch.cat([y for _, y in train])
    assert not torch.equal(first, labels) and not torch.equal(first, second)
    assert torch.equal(torch.cat([y for _, y in test]), labels)


def test_load_array_generator_makes_the_order_reproducible():
    labels = torch.arange(30)

    def order(seed):
        loader = load_array((labels,), 7, generator=torch.Generator().manual_seed(seed))
        return torch.cat([batch[0] for batch in loader])

    assert torch.equal(order(3), order(3))
    assert not torch.equal(order(3), order(4))


# ----- train_regression -----


def test_train_regression_recovers_the_true_parameters():
    torch.manual_seed(0)
    features, labels = synthetic_data(TRUE_W, TRUE_B, 1000)
    net = nn.Sequential(nn.Linear(2, 1))
    nn.init.normal_(net[0].weight, std=0.01)
    nn.init.zeros_(net[0].bias)
    losses = train_regression(
        net, load_array((features, labels), 10), nn.MSELoss(), torch.optim.SGD(net.parameters(), lr=0.03),
        3, features, labels,
    )
    assert len(losses) == 3 and losses[0] > losses[-1]
    assert losses[-1] == pytest.approx(1e-4, rel=0.2)  # 噪声的方差 0.01²
    assert (net[0].weight.detach().reshape(-1) - TRUE_W).abs().max() < 0.05
    assert abs(net[0].bias.item() - TRUE_B) < 0.05
    assert net[0].weight.grad is not None and net[0].weight.grad.shape == (1, 2)


def test_train_regression_matches_a_hand_written_loop():
    torch.manual_seed(0)
    features, labels = synthetic_data(TRUE_W, TRUE_B, 40)
    net = nn.Linear(2, 1)
    w = net.weight.detach().T.clone().requires_grad_(True)
    b = net.bias.detach().clone().requires_grad_(True)
    batches = list(load_array((features, labels), 8, is_train=False))
    train_regression(net, batches, nn.MSELoss(), torch.optim.SGD(net.parameters(), lr=0.05), 2, features, labels)
    for _ in range(2):
        for X, y in batches:
            loss = 2 * squared_loss(X @ w + b, y).mean()  # 与 nn.MSELoss 相同
            loss.backward()
            with torch.no_grad():
                w -= 0.05 * w.grad
                b -= 0.05 * b.grad
                w.grad.zero_()
                b.grad.zero_()
    assert torch.allclose(net.weight.detach().T, w.detach(), atol=1e-6)
    assert torch.allclose(net.bias.detach(), b.detach(), atol=1e-6)


def test_mse_loss_has_no_half_factor():
    y_hat, y = torch.randn(10, 1), torch.randn(10, 1)
    assert torch.allclose(nn.MSELoss()(y_hat, y), 2 * squared_loss(y_hat, y).mean())


# ----- 错误的输入 -----


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        ((torch.zeros(3), 2), {}, TypeError, "由张量组成的非空元组"),
        (((), 2), {}, TypeError, "由张量组成的非空元组"),
        ((([0.0], torch.zeros(1)), 2), {}, TypeError, r"参数 data_arrays\[0\] 应为 torch.Tensor"),
        (((torch.zeros(3), torch.zeros(4)), 2), {}, ValueError, r"样本数）应相同.*\[3, 4\]"),
        (((torch.zeros(3),), 0), {}, ValueError, "batch_size 应为正整数"),
        (((torch.zeros(3),), 2.5), {}, TypeError, "batch_size 应为正整数"),
        (((torch.zeros(3),), 2, "yes"), {}, TypeError, "is_train 应为 bool"),
        (((torch.zeros(3),), 2), {"generator": 0}, TypeError, "generator 应为 torch.Generator"),
    ],
)
def test_load_array_bad_input(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        load_array(*args, **kwargs)


def test_train_regression_bad_input():
    features, labels = torch.zeros(4, 2), torch.zeros(4, 1)
    net = nn.Linear(2, 1)
    data = load_array((features, labels), 2)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(TypeError, match="参数 net 应为 nn.Module"):
        train_regression(lambda X: X, data, nn.MSELoss(), optimizer, 1, features, labels)
    with pytest.raises(TypeError, match="参数 optimizer 应为 torch.optim.Optimizer"):
        train_regression(net, data, nn.MSELoss(), "sgd", 1, features, labels)
    with pytest.raises(ValueError, match="num_epochs 应为正整数"):
        train_regression(net, data, nn.MSELoss(), optimizer, 0, features, labels)
    with pytest.raises(TypeError, match="参数 features 应为浮点张量"):
        train_regression(net, data, nn.MSELoss(), optimizer, 1, features.long(), labels)
    before = net.weight.detach().clone()
    with pytest.raises(ValueError, match=r"loss_fn 应返回标量.*\.mean\(\)"):
        train_regression(net, data, nn.MSELoss(reduction="none"), optimizer, 1, features, labels)
    assert torch.equal(net.weight.detach(), before)  # 训练开始之前就报错，一步也没有更新
