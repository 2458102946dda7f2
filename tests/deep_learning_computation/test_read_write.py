"""lessons_src/deep_learning_computation/read_write.py 的测试；页面见 docs/deep-learning-computation/read-write.md。"""

import pickle

import pytest
import torch
from torch import nn

from lessons_src.deep_learning_computation.model_construction import MLP, FixedHiddenMLP
from lessons_src.deep_learning_computation.read_write import load_params, save_params


def test_round_trip_gives_identical_outputs(tmp_path):
    torch.manual_seed(0)
    net = MLP()
    X = torch.randn(3, 20)
    path = save_params(net, tmp_path / "mlp.params")
    assert path == tmp_path / "mlp.params" and path.is_file()
    clone = load_params(MLP(), str(path))
    assert clone.training is False
    assert torch.equal(clone(X), net(X))
    for (name, a), (name_b, b) in zip(net.state_dict().items(), clone.state_dict().items()):
        assert name == name_b and torch.equal(a, b)


def test_buffers_are_saved_too(tmp_path):
    torch.manual_seed(0)
    net = FixedHiddenMLP()
    path = save_params(net, tmp_path / "fixed.params")
    torch.manual_seed(1)
    clone = load_params(FixedHiddenMLP(), path)
    assert torch.equal(clone.rand_weight, net.rand_weight)
    X = torch.rand(2, 20)
    assert torch.equal(clone(X), net(X))


def test_saved_file_is_a_plain_state_dict(tmp_path):
    net = nn.Linear(2, 1)
    path = save_params(net, tmp_path / "linear.params")
    loaded = torch.load(path, weights_only=True)
    assert list(loaded) == ["weight", "bias"]
    assert torch.equal(loaded["weight"], net.weight.detach())


def test_tensors_lists_and_dicts_round_trip(tmp_path):
    x, y = torch.arange(4), torch.zeros(4)
    torch.save([x, y], tmp_path / "x-files")
    x2, y2 = torch.load(tmp_path / "x-files", weights_only=True)
    assert torch.equal(x, x2) and torch.equal(y, y2)
    torch.save({"x": x, "y": y}, tmp_path / "mydict")
    loaded = torch.load(tmp_path / "mydict", weights_only=True)
    assert loaded.keys() == {"x", "y"} and torch.equal(loaded["x"], x)


def test_map_location_puts_tensors_on_the_cpu(tmp_path):
    path = save_params(nn.Linear(2, 1), tmp_path / "p")
    clone = load_params(nn.Linear(2, 1), path, map_location=torch.device("cpu"))
    assert all(p.device.type == "cpu" for p in clone.parameters())


def test_whole_model_is_refused_with_weights_only(tmp_path):
    torch.save(MLP(), tmp_path / "mlp.model")
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        load_params(MLP(), tmp_path / "mlp.model")


# ----- 错误的输入 -----


def test_bad_arguments(tmp_path):
    with pytest.raises(
        TypeError,
        match=r"参数 model 应为 nn.Module 的实例，实际得到类 MLP 本身；请先实例化，例如写 MLP\(\)",
    ):
        save_params(MLP, tmp_path / "p")
    with pytest.raises(TypeError, match="参数 path 应为文件路径.*int"):
        save_params(MLP(), 3)
    with pytest.raises(TypeError, match="参数 model 应为 nn.Module 的实例，实际得到 OrderedDict"):
        load_params(MLP().state_dict(), tmp_path / "p")
    with pytest.raises(FileNotFoundError, match="不存在"):
        load_params(MLP(), tmp_path / "missing.params")


def test_architecture_mismatch_is_reported(tmp_path):
    path = save_params(MLP(), tmp_path / "mlp.params")
    with pytest.raises(RuntimeError, match="size mismatch for hidden.weight"):
        load_params(MLP(num_hiddens=128), path)
    with pytest.raises(RuntimeError, match="Missing key"):
        load_params(nn.Sequential(nn.Linear(20, 256)), path)
