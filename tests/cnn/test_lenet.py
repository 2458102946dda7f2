"""lessons_src/cnn/lenet.py 的测试；页面见 docs/cnn/lenet.md。"""

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from lessons_src.cnn.lenet import LeNetReLU, count_parameters, init_xavier, init_xavier_sigmoid, layer_summary, lenet
from lessons_src.linear_networks.softmax_regression import fit

EXPECTED_SHAPES = [
    ("Conv2d", (1, 6, 28, 28), 156),
    ("Sigmoid", (1, 6, 28, 28), 0),
    ("AvgPool2d", (1, 6, 14, 14), 0),
    ("Conv2d", (1, 16, 10, 10), 2416),
    ("Sigmoid", (1, 16, 10, 10), 0),
    ("AvgPool2d", (1, 16, 5, 5), 0),
    ("Flatten", (1, 400), 0),
    ("Linear", (1, 120), 48120),
    ("Sigmoid", (1, 120), 0),
    ("Linear", (1, 84), 10164),
    ("Sigmoid", (1, 84), 0),
    ("Linear", (1, 10), 850),
]


def test_lenet_architecture():
    net = lenet()
    convs = [m for m in net if isinstance(m, nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size, c.padding) for c in convs] == [
        (1, 6, (5, 5), (2, 2)),
        (6, 16, (5, 5), (0, 0)),
    ]
    linears = [m for m in net if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(400, 120), (120, 84), (84, 10)]
    pools = [m for m in net if isinstance(m, nn.AvgPool2d)]
    assert [(p.kernel_size, p.stride) for p in pools] == [(2, 2), (2, 2)]
    assert sum(isinstance(m, nn.Sigmoid) for m in net) == 4
    assert not any(isinstance(m, nn.Sequential) for m in net)  # 没有空的或嵌套的块
    assert isinstance(net[-1], nn.Linear)  # 输出 logit，不加 softmax


def test_layer_summary_shapes_and_parameter_counts():
    net = lenet()
    assert layer_summary(net, (1, 1, 28, 28)) == EXPECTED_SHAPES
    assert count_parameters(net) == sum(n for _, _, n in EXPECTED_SHAPES) == 61706
    rows = layer_summary(net, (5, 1, 28, 28))
    assert rows[-1] == ("Linear", (5, 10), 850)


def test_layer_summary_does_not_track_gradients():
    net = lenet()
    layer_summary(net, (1, 1, 28, 28))
    assert all(p.grad is None for p in net.parameters())


def test_init_xavier_bounds_and_untouched_modules():
    torch.manual_seed(0)
    net = nn.Sequential(lenet(), nn.BatchNorm1d(10))
    net.apply(init_xavier)
    for module in net.modules():
        if isinstance(module, nn.Linear):
            fan_in, fan_out = module.in_features, module.out_features
        elif isinstance(module, nn.Conv2d):
            fan_in = module.in_channels * 25
            fan_out = module.out_channels * 25
        else:
            continue
        bound = (6 / (fan_in + fan_out)) ** 0.5
        assert module.weight.abs().max() <= bound
        assert module.weight.abs().max() > 0.8 * bound  # 确实是按这个范围均匀采样的
        assert torch.equal(module.bias.detach(), torch.zeros_like(module.bias))
    assert torch.equal(net[1].weight.detach(), torch.ones(10))


def test_every_parameter_gets_a_gradient_and_training_lowers_the_loss():
    torch.manual_seed(0)
    X = torch.rand(16, 1, 28, 28)
    y = torch.randint(0, 10, (16,))
    net = lenet()
    net.apply(init_xavier)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)
    losses = []
    for _ in range(10):
        loss = loss_fn(net(X), y)
        optimizer.zero_grad()
        loss.backward()
        if not losses:
            assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in net.parameters())
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] - 0.05


def test_fit_runs_with_lenet():
    torch.manual_seed(0)
    loader = DataLoader(TensorDataset(torch.rand(32, 1, 28, 28), torch.randint(0, 10, (32,))), batch_size=16)
    net = lenet()
    history = fit(net, loader, loader, nn.CrossEntropyLoss(), torch.optim.Adam(net.parameters()), 1, progress=False)
    assert history.epochs == 1 and 0 <= history.test_acc[0] <= 1


# ----- 错误的输入 -----


def test_bad_input():
    with pytest.raises(TypeError, match="net 应为 nn.Sequential"):
        layer_summary(nn.Linear(2, 2), (1, 2))
    with pytest.raises(TypeError, match="input_shape 应为 tuple（由正整数组成的非空元组），实际得到 list"):
        layer_summary(lenet(), [1, 1, 28, 28])
    with pytest.raises(ValueError, match="input_shape 应为由正整数组成的非空元组"):
        layer_summary(lenet(), ())
    with pytest.raises(ValueError, match=r"参数 input_shape\[1\] 应为正整数，实际得到 0"):
        layer_summary(lenet(), (1, 0, 28, 28))
    with pytest.raises(ValueError, match=r"第 0 层 .* 不接受形状为 \(1, 3, 28, 28\) 的输入"):
        layer_summary(lenet(), (1, 3, 28, 28))
    with pytest.raises(ValueError, match="第 7 层"):
        layer_summary(lenet(), (1, 1, 32, 32))  # 展平后是 576 维而不是 400 维
    with pytest.raises(TypeError, match="module 应为 nn.Module"):
        init_xavier("conv")
    with pytest.raises(TypeError, match="module 应为 nn.Module"):
        count_parameters([nn.Linear(2, 2)])


# ----- 参数化的 lenet、LeNetReLU、init_xavier_sigmoid -----


def test_lenet_activation_and_pooling_arguments():
    net = lenet(nn.ReLU, nn.MaxPool2d)
    assert sum(isinstance(m, nn.ReLU) for m in net) == 4
    assert sum(isinstance(m, nn.MaxPool2d) for m in net) == 2
    assert not any(isinstance(m, nn.Sigmoid | nn.AvgPool2d) for m in net)
    assert [row[1:] for row in layer_summary(net, (1, 1, 28, 28))] == [row[1:] for row in EXPECTED_SHAPES]


def test_lenet_relu_class_equals_sequential_version():
    torch.manual_seed(0)
    net = LeNetReLU()
    same = lenet(nn.ReLU, nn.MaxPool2d)
    same.load_state_dict(dict(zip(same.state_dict(), net.state_dict().values())))
    X = torch.randn(3, 1, 28, 28)
    assert torch.allclose(net(X), same(X))
    assert count_parameters(net) == 61706
    net.apply(init_xavier)  # init_xavier 也适用于子类写法
    assert torch.equal(net.fc3.bias.detach(), torch.zeros(10))


def test_init_xavier_sigmoid_gains():
    torch.manual_seed(0)
    net = lenet()
    init_xavier_sigmoid(net)
    layers = [m for m in net if isinstance(m, nn.Conv2d | nn.Linear)]
    for index, layer in enumerate(layers):
        fan_in = layer.weight[0].numel()  # 卷积层：输入通道数 × k_h × k_w
        fan_out = layer.weight.shape[0] * layer.weight[0, 0].numel()
        gain = 1.0 if index == len(layers) - 1 else 4.0
        bound = gain * (6 / (fan_in + fan_out)) ** 0.5
        assert layer.weight.abs().max() <= bound
        assert layer.weight.abs().max() > 0.8 * bound
        assert torch.equal(layer.bias.detach(), torch.zeros_like(layer.bias))
    relu = lenet(nn.ReLU)
    init_xavier_sigmoid(relu)  # 没有 sigmoid：与增益 1 的 Xavier 相同
    first = relu[0].weight
    assert first.abs().max() <= (6 / (25 + 150)) ** 0.5


def test_bad_input_new_functions():
    expected = r"参数 activation 应为 nn.Module 的子类（类本身，例如 nn.ReLU），实际得到 ReLU\(\)"
    with pytest.raises(TypeError, match=expected):
        lenet(nn.ReLU())
    with pytest.raises(TypeError, match="参数 pooling 应为 nn.Module 的子类"):
        lenet(pooling="max")
    with pytest.raises(TypeError, match="net 应为 nn.Sequential"):
        init_xavier_sigmoid(LeNetReLU())
    with pytest.raises(ValueError, match=r"参数 X 应为 4 维张量，实际形状为 \(1, 28, 28\)"):
        LeNetReLU()(torch.zeros(1, 28, 28))
    with pytest.raises(TypeError, match="参数 X 应为浮点张量"):
        LeNetReLU()(torch.zeros(1, 1, 28, 28, dtype=torch.long))
