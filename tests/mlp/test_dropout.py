"""lessons_src/mlp/dropout.py 的测试；页面见 docs/mlp/dropout.md。"""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from lessons_src.mlp.dropout import Dropout, dropout_layer, dropout_mlp, fit_loss_curves
from lessons_src.mlp.early_stopping import evaluate_loss

probabilities = st.floats(min_value=0.01, max_value=0.99, allow_nan=False)


def test_p_zero_returns_input_and_p_one_returns_zeros():
    X = torch.randn(3, 5)
    assert torch.equal(dropout_layer(X, 0.0), X)
    assert torch.equal(dropout_layer(X, 0), X)
    Y = dropout_layer(X, 1.0)
    assert torch.equal(Y, torch.zeros(3, 5))
    assert not torch.isnan(Y).any()


@pytest.mark.parametrize("p", [0.1, 0.3, 0.5, 0.8])
def test_statistics_match_nn_dropout(p):
    torch.manual_seed(0)
    X = torch.rand(500, 1000) + 0.5
    reference = nn.functional.dropout(X, p, training=True)
    for Y in (dropout_layer(X, p), reference):
        assert (Y == 0).float().mean().item() == pytest.approx(p, abs=0.005)
        assert Y.mean().item() == pytest.approx(X.mean().item(), abs=0.01)


@settings(max_examples=30, deadline=None)
@given(p=probabilities, seed=st.integers(0, 2**16))
def test_every_element_is_zero_or_scaled(p, seed):
    torch.manual_seed(seed)
    X = torch.rand(4, 7, dtype=torch.float64) + 1.0  # 没有 0，便于区分
    Y = dropout_layer(X, p)
    kept = Y != 0
    assert torch.allclose(Y[kept], X[kept] / (1 - p))
    assert torch.equal(Y[~kept], torch.zeros_like(Y[~kept]))


def test_shape_dtype_and_device_are_preserved():
    X = torch.randn(2, 3, 4, dtype=torch.float64)
    Y = dropout_layer(X, 0.5)
    assert Y.shape == X.shape and Y.dtype == X.dtype and Y.device == X.device


def test_gradient_is_the_scaled_mask():
    torch.manual_seed(1)
    X = torch.ones(6, 6, requires_grad=True)
    Y = dropout_layer(X, 0.25)
    Y.sum().backward()
    # 对 X 的导数就是 mask / (1 - p)，而 X 全为 1 时它恰好等于输出
    assert torch.equal(X.grad, Y.detach())
    assert torch.allclose(X.grad.unique(), torch.tensor([0.0, 1 / 0.75]))


def test_module_is_random_in_train_mode_and_identity_in_eval_mode():
    torch.manual_seed(0)
    layer = Dropout(0.5)
    X = torch.rand(100, 100) + 0.5
    assert layer.training
    assert not torch.equal(layer(X), layer(X))
    layer.eval()
    assert layer(X) is X
    assert repr(layer) == "Dropout(p=0.5)"
    assert list(layer.parameters()) == []


def test_module_matches_nn_dropout_in_eval_mode_inside_a_network():
    torch.manual_seed(0)
    ours = dropout_mlp(64, (32, 16), (0.2, 0.5), 10)
    builtin = dropout_mlp(64, (32, 16), (0.2, 0.5), 10, builtin=True)
    builtin.load_state_dict(ours.state_dict())
    X = torch.rand(8, 1, 8, 8)
    ours.eval()
    builtin.eval()
    assert torch.equal(ours(X), builtin(X))


def test_dropout_mlp_structure():
    net = dropout_mlp(64, (256, 128), (0.2, 0.5), 10)
    kinds = [type(layer) for layer in net]
    assert kinds == [nn.Flatten, nn.Linear, nn.ReLU, Dropout, nn.Linear, nn.ReLU, Dropout, nn.Linear]
    assert [layer.p for layer in net if isinstance(layer, Dropout)] == [0.2, 0.5]
    assert net[-1].out_features == 10
    builtin = dropout_mlp(64, (256,), (0.3,), 10, builtin=True)
    assert isinstance(builtin[3], nn.Dropout) and builtin[3].p == 0.3
    assert dropout_mlp(64, (), (), 10)(torch.zeros(2, 64)).shape == (2, 10)


def test_training_mode_makes_the_loss_random():
    torch.manual_seed(0)
    net = dropout_mlp(64, (32,), (0.5,), 10)
    X, y = torch.rand(16, 64), torch.randint(0, 10, (16,))
    loss = nn.CrossEntropyLoss()
    assert loss(net(X), y).item() != loss(net(X), y).item()
    net.eval()
    assert loss(net(X), y).item() == loss(net(X), y).item()


# ----- 错误的输入 -----


@pytest.mark.parametrize(
    ("p", "error", "message"),
    [
        ("0.5", TypeError, "应为实数.*str"),
        (None, TypeError, "应为实数.*NoneType"),
        (True, TypeError, "应为实数.*bool"),
        (float("nan"), ValueError, "有限实数"),
        (-0.1, ValueError, r"\[0, 1\] 内.*-0.1"),
        (1.5, ValueError, r"\[0, 1\] 内.*1.5"),
    ],
)
def test_bad_probability(p, error, message):
    with pytest.raises(error, match=message):
        dropout_layer(torch.zeros(3), p)
    with pytest.raises(error, match=message):
        Dropout(p)
    with pytest.raises(error, match=message):
        dropout_mlp(64, (8,), (p,), 10)


def test_bad_tensor():
    with pytest.raises(TypeError, match="参数 X 应为 torch.Tensor，实际得到 list"):
        dropout_layer([1.0, 2.0], 0.5)
    with pytest.raises(TypeError, match=r"浮点张量.*torch.int64"):
        dropout_layer(torch.tensor([1, 2]), 0.5)


def test_bad_mlp_arguments():
    with pytest.raises(ValueError, match="个数应与 num_hiddens 相同"):
        dropout_mlp(64, (8, 8), (0.5,), 10)
    with pytest.raises(TypeError, match="num_hiddens 应为由正整数组成"):
        dropout_mlp(64, 8, (0.5,), 10)
    with pytest.raises(TypeError, match="dropouts 应为由概率组成"):
        dropout_mlp(64, (8,), 0.5, 10)
    with pytest.raises(ValueError, match="num_hiddens 中的元素 应为正整数，实际得到 0"):
        dropout_mlp(64, (0,), (0.5,), 10)
    with pytest.raises(ValueError, match="参数 num_inputs 应为正整数，实际得到 -1"):
        dropout_mlp(-1, (8,), (0.5,), 10)


def test_fit_loss_curves_records_eval_mode_losses_every_epoch():
    torch.manual_seed(0)
    data = TensorDataset(torch.rand(40, 1, 8, 8), torch.arange(40) % 10)
    train_iter = DataLoader(data, batch_size=8, shuffle=True)
    eval_iter = DataLoader(data, batch_size=40)
    net = dropout_mlp(64, (32,), (0.5,), 10)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
    curves = fit_loss_curves(net, train_iter, eval_iter, eval_iter, optimizer, 20)
    assert len(curves.train_loss) == len(curves.test_loss) == 20
    # 训练集与“测试集”是同一批数据，评估模式下两者必须相等（暂退法关闭，结果确定）
    assert curves.train_loss == curves.test_loss
    assert curves.train_loss[-1] < curves.train_loss[0]
    assert curves.train_loss[-1] == evaluate_loss(net, eval_iter, torch.nn.CrossEntropyLoss())
    assert net.training  # 评估之后恢复训练模式


def test_fit_loss_curves_rejects_bad_arguments():
    net = dropout_mlp(64, (8,), (0.5,), 10)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(TypeError, match="model 应为 nn.Module"):
        fit_loss_curves("net", [], [], [], optimizer, 1)
    with pytest.raises(TypeError, match="optimizer 应为优化器"):
        fit_loss_curves(net, [], [], [], "adam", 1)
    with pytest.raises(ValueError, match="num_epochs 应为正整数"):
        fit_loss_curves(net, [], [], [], optimizer, 0)
