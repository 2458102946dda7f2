"""lessons_src/workflow/distributed.py 的测试；页面见 docs/workflow/distributed.md。"""

import os
import socket
import subprocess
import sys

import pytest
import torch

import lessons_src.workflow.distributed as lesson
from lessons_src.workflow.distributed import (
    allreduce_gradient,
    ddp_train,
    digits_problem,
    free_port,
    gradients,
    launch,
    pick_backend,
    read_result,
    reference_train,
    shard_gradients,
)


def _max_diff(a, b):
    return max((x - y).abs().max().item() for x, y in zip(a, b))


def test_pick_backend_falls_back_to_gloo_on_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert pick_backend(0) == ("gloo", torch.device("cpu"))


def test_pick_backend_uses_nccl_and_the_local_gpu_when_there_are_enough(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert pick_backend(1, 2) == ("nccl", torch.device("cuda:1"))
    # 3 个进程、2 块 GPU：所有进程都用 gloo，而不是有的 nccl、有的 gloo
    assert {pick_backend(rank, 3) for rank in range(3)} == {("gloo", torch.device("cpu"))}


def test_free_port_can_be_bound():
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_gradients_match_autograd_and_leave_grad_untouched():
    net, X, y = digits_problem()
    grads = gradients(net, X[:8], y[:8])
    assert all(p.grad is None for p in net.parameters())
    torch.nn.functional.cross_entropy(net(X[:8]), y[:8]).backward()
    assert _max_diff(grads, [p.grad for p in net.parameters()]) == 0


def test_digits_problem_is_the_same_model_for_the_same_seed():
    a, X, _ = digits_problem(seed=3)
    b, _, _ = digits_problem(seed=3)
    assert torch.equal(a.weight, b.weight) and X.shape == (1797, 64)


@pytest.mark.parametrize("world_size", [1, 2, 4])
def test_shard_gradients_equal_the_full_batch_gradient(world_size):
    net, X, y = digits_problem()
    full = gradients(net, X[:64], y[:64])
    assert _max_diff(shard_gradients(net, X[:64], y[:64], world_size), full) < 1e-6


def test_unequal_shards_do_not_average_to_the_full_gradient():
    net, X, y = digits_problem()
    full = gradients(net, X[:64], y[:64])
    shards = [gradients(net, X[:40], y[:40]), gradients(net, X[40:64], y[40:64])]
    assert _max_diff([(a + b) / 2 for a, b in zip(*shards)], full) > 1e-3


@pytest.mark.parametrize(
    ("world_size", "message"),
    [(0, "参数 world_size 应为正整数"), (100, "world_size 不能超过样本数"), (1.5, "参数 world_size 应为正整数")],
)
def test_shard_gradients_rejects_bad_world_size(world_size, message):
    net, X, y = digits_problem()
    with pytest.raises((TypeError, ValueError), match=message):
        shard_gradients(net, X[:64], y[:64], world_size)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        (("not a function", 2), {}, TypeError, "fn"),
        ((allreduce_gradient, 0), {}, ValueError, "参数 world_size 应为正整数"),
        ((allreduce_gradient, 2), {"timeout": 0}, ValueError, "参数 timeout 应为正数"),
    ],
)
def test_launch_rejects_bad_arguments_before_starting_processes(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        launch(*args, **kwargs)


def test_read_result_names_the_rank(tmp_path):
    with pytest.raises(RuntimeError, match="秩 1 没有留下结果"):
        read_result(tmp_path, 1)
    torch.save({"error": "ValueError: 坏了", "traceback": "..."}, tmp_path / "rank0.pt")
    with pytest.raises(RuntimeError, match="秩 0 出错：ValueError: 坏了"):
        read_result(tmp_path, 0)


def test_allreduce_over_two_processes_equals_the_full_batch_gradient():
    per_rank = launch(allreduce_gradient, 2)
    net, X, y = digits_problem()
    full = gradients(net, X[:64], y[:64])
    assert len(per_rank) == 2
    assert all(torch.equal(a, b) for a, b in zip(*per_rank))   # 全规约之后各秩逐位相同
    assert _max_diff(per_rank[0], full) < 1e-6


def test_ddp_with_two_processes_ends_with_the_single_process_parameters(tmp_path):
    checkpoint = tmp_path / "ddp.pt"
    results = launch(ddp_train, 2, str(checkpoint), 1)
    assert len(results[0]["log"]) == 1 and results[1]["log"] == []   # 只有秩 0 记日志
    state = torch.load(checkpoint, weights_only=True)
    assert sorted(state) == ["bias", "weight"]                       # model.module 的参数，没有前缀
    reference, _ = reference_train(world_size=2, num_epochs=1)
    assert all(torch.allclose(state[k], reference[k], atol=1e-5) for k in reference)
    untrained, _, _ = digits_problem()
    assert not torch.allclose(state["weight"], untrained.weight)


def test_a_failing_rank_is_reported(tmp_path):
    missing_dir = tmp_path / "no" / "such" / "dir" / "ckpt.pt"
    with pytest.raises(RuntimeError, match="秩 0 出错"):
        launch(ddp_train, 1, str(missing_dir), 1)


def test_torchrun_runs_the_script_with_two_processes(tmp_path):
    checkpoint = tmp_path / "torchrun.pt"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
               "-m", "lessons_src.workflow.distributed", "--checkpoint", str(checkpoint), "--epochs", "1"]
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}                 # 测试总是走 gloo 和 CPU
    finished = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert finished.returncode == 0, finished.stderr
    assert "后端 gloo，设备 cpu，2 个进程" in finished.stdout
    assert finished.stdout.count("第 1 轮") == 1                      # 只有秩 0 打印
    reference, _ = reference_train(world_size=2, num_epochs=1)
    state = torch.load(checkpoint, weights_only=True)
    assert all(torch.allclose(state[k], reference[k], atol=1e-5) for k in reference)


def test_main_reads_rank_and_world_size_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("LOCAL_RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "1")
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("MASTER_PORT", str(free_port()))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    lesson.main(["--checkpoint", str(tmp_path / "one.pt"), "--epochs", "1"])
    assert not torch.distributed.is_initialized()                    # finally 里退出了进程组
    reference, _ = reference_train(world_size=1, num_epochs=1)
    state = torch.load(tmp_path / "one.pt", weights_only=True)
    assert all(torch.allclose(state[k], reference[k], atol=1e-5) for k in reference)


def test_wait_or_terminate_stops_a_process_that_hangs():
    import time

    import torch.multiprocessing as mp

    process = mp.get_context("spawn").Process(target=time.sleep, args=(60,))
    process.start()
    start = time.monotonic()
    with pytest.raises(TimeoutError, match=r"秩 \[0\] 在 0.5 秒内没有结束"):
        lesson.wait_or_terminate([process], 0.5)
    assert not process.is_alive() and time.monotonic() - start < 10
