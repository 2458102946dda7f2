"""多设备与分布式训练：用 ``torch.distributed`` 做数据并行，在 CPU 上用 gloo 后端、两个进程运行。

对应页面 ``docs/workflow/distributed.md``。内容：

- :func:`launch` 用 ``torch.multiprocessing``（spawn）启动 ``world_size`` 个进程，每个进程加入同一个
  进程组（只在 127.0.0.1 上通信、有超时），运行一个函数，把结果写进临时目录交回父进程；
- :func:`allreduce_gradient`：每个进程只算小批量的一份的梯度，用 ``dist.all_reduce`` 求和再除以进程数；
- :func:`ddp_train`：同样的训练交给 ``DistributedDataParallel`` 和 ``DistributedSampler``，
  :func:`reference_train` 在一个进程里按同样的全局批量训练，用来核对；
- :func:`pick_backend` 有足够的 GPU 时选 ``("nccl", cuda:{local_rank})``，否则选 ``("gloo", cpu)``；
- :func:`main` 是 ``torchrun`` 运行的脚本：
  ``torchrun --nproc_per_node=2 -m lessons_src.workflow.distributed --checkpoint ckpt.pt``。
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

from lessons_src.checks import require_callable, require_positive, require_positive_int

__all__ = [
    "allreduce_gradient",
    "ddp_train",
    "digits_problem",
    "free_port",
    "gradients",
    "launch",
    "main",
    "pick_backend",
    "read_result",
    "reference_train",
    "shard_gradients",
    "wait_or_terminate",
]

#: 每个进程的工作函数的签名：``fn(rank, world_size, *args) -> 结果``
Worker = Callable[..., Any]


def check_launch_args(fn: object, world_size: object, timeout: object) -> None:
    """检查 :func:`launch` 的参数：``fn`` 可调用，``world_size`` 是正整数，``timeout`` 是正数（秒）。"""
    require_callable(fn, "fn")
    require_positive_int(world_size, "world_size")
    require_positive(timeout, "timeout")


def check_shard_args(X: object, world_size: object) -> None:
    """检查 :func:`shard_gradients` 的参数：``world_size`` 是正整数，且不超过样本数（每个进程至少一个样本）。"""
    size = require_positive_int(world_size, "world_size")
    if isinstance(X, torch.Tensor) and size > len(X):
        raise ValueError(
            f"world_size 不能超过样本数（每个进程至少分到一个样本），实际为 {size} 个进程、{len(X)} 个样本"
        )


# --8<-- [start:pick_backend]
def pick_backend(local_rank: int = 0, local_world_size: int = 1) -> tuple[str, torch.device]:
    """选择通信后端和本进程的设备：这台机器上每个进程都有一块 GPU 时用 nccl，否则用 gloo 和 CPU。

    ``local_rank`` 是本进程在这台机器上的序号，``local_world_size`` 是这台机器上的进程数
    （``torchrun`` 通过环境变量 ``LOCAL_RANK`` 和 ``LOCAL_WORLD_SIZE`` 给出）。判断只看整台机器，
    所以同一台机器上的所有进程总是选到同一个后端。

    Examples:
        >>> backend, device = pick_backend(0)
        >>> backend in ("nccl", "gloo"), device.type in ("cuda", "cpu")
        (True, True)
    """
    if torch.cuda.is_available() and torch.cuda.device_count() >= local_world_size:
        return "nccl", torch.device(f"cuda:{local_rank}")
    return "gloo", torch.device("cpu")
# --8<-- [end:pick_backend]


# --8<-- [start:free_port]
def free_port() -> int:
    """向操作系统要一个 127.0.0.1 上当前空闲的 TCP 端口号（绑定端口 0，系统会分配一个）。

    Examples:
        >>> 1024 <= free_port() <= 65535
        True
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
# --8<-- [end:free_port]


# --8<-- [start:run_worker]
def _run_worker(rank: int, world_size: int, port: int, fn: Worker, args: tuple, out_dir: str) -> None:
    """子进程的入口：加入进程组，运行 ``fn``，把结果（或报错）存成 ``rank{rank}.pt``，最后总是退出进程组。"""
    torch.set_num_threads(1)                           # 几个进程分享 CPU，每个只用一个线程
    result: dict[str, Any] = {}
    try:
        dist.init_process_group(
            "gloo",                                    # CPU 上的后端；GPU 上换成 "nccl"
            init_method=f"tcp://127.0.0.1:{port}",     # 秩 0 在这个地址上等其他进程来报到
            rank=rank,
            world_size=world_size,
            timeout=timedelta(seconds=30),             # 等不到其他进程时报错，而不是永远挂起
        )
        result["value"] = fn(rank, world_size, *args)
    except Exception as error:                          # 把报错带回父进程，父进程好说明是哪个秩出错
        result["error"] = f"{type(error).__name__}: {error}"
        result["traceback"] = traceback.format_exc()
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
    torch.save(result, Path(out_dir) / f"rank{rank}.pt")
# --8<-- [end:run_worker]


# --8<-- [start:launch]
def launch(fn: Worker, world_size: int, *args: Any, timeout: float = 60.0) -> list[Any]:
    """启动 ``world_size`` 个进程，秩为 ``0 … world_size-1``，每个进程运行 ``fn(rank, world_size, *args)``。

    返回按秩排列的结果。``fn`` 必须是能从模块导入的函数（spawn 启动的子进程要重新导入它）；
    结果经 ``torch.save`` 交回，应由张量、数和字符串组成。某个秩出错时抛出 ``RuntimeError``，
    说明是哪个秩、什么错误；超过 ``timeout`` 秒还没有结束的进程被终止，并抛出 ``TimeoutError``。

    Examples:
        >>> launch(allreduce_gradient, 0)
        Traceback (most recent call last):
        ...
        ValueError: 参数 world_size 应为正整数，实际得到 0
    """
    check_launch_args(fn, world_size, timeout)
    context = mp.get_context("spawn")                  # 新的解释器，不复制父进程的状态
    port = free_port()
    with tempfile.TemporaryDirectory() as out_dir:
        processes = [
            context.Process(target=_run_worker, args=(rank, world_size, port, fn, args, out_dir))
            for rank in range(world_size)
        ]
        for process in processes:
            process.start()
        wait_or_terminate(processes, timeout)          # 超时还没结束的进程被终止，并抛出 TimeoutError
        results = [read_result(Path(out_dir), rank) for rank in range(world_size)]
    return results
# --8<-- [end:launch]


def wait_or_terminate(processes: list[Any], timeout: float) -> None:
    """等 ``processes`` 在 ``timeout`` 秒内全部结束；还活着的进程被终止，并抛出 ``TimeoutError`` 说明是哪些秩。"""
    deadline = time.monotonic() + timeout
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
    hung = [rank for rank, process in enumerate(processes) if process.is_alive()]
    for rank in hung:
        processes[rank].terminate()
        processes[rank].join()
    if hung:
        raise TimeoutError(f"秩 {hung} 在 {timeout} 秒内没有结束，已被终止")


def read_result(out_dir: Path, rank: int) -> Any:
    """读出 :func:`launch` 的子进程里秩 ``rank`` 存下的结果；它报了错或没有留下结果时抛出 ``RuntimeError``。"""
    path = out_dir / f"rank{rank}.pt"
    if not path.exists():
        raise RuntimeError(f"秩 {rank} 没有留下结果就退出了（可能被系统终止）")
    result = torch.load(path, weights_only=True)
    if "error" in result:
        raise RuntimeError(f"秩 {rank} 出错：{result['error']}\n{result['traceback']}")
    return result["value"]


# --8<-- [start:digits_problem]
def digits_problem(seed: int = 0) -> tuple[nn.Linear, torch.Tensor, torch.Tensor]:
    """本页的小问题：digits 的全部 1797 张图像展平成 64 维，一个 ``nn.Linear(64, 10)``（softmax 回归）。

    模型的初始参数由 ``seed`` 决定，每个进程用同一个种子，就得到完全相同的初始模型。

    Examples:
        >>> net, X, y = digits_problem()
        >>> X.shape, y.shape, net.weight.shape
        (torch.Size([1797, 64]), torch.Size([1797]), torch.Size([10, 64]))
    """
    from lessons_src.linear_networks.image_classification_dataset import load_digits_tensors

    images, labels = load_digits_tensors()
    torch.manual_seed(seed)
    return nn.Linear(64, 10), images.flatten(1), labels
# --8<-- [end:digits_problem]


# --8<-- [start:gradients]
def gradients(net: nn.Module, X: torch.Tensor, y: torch.Tensor) -> list[torch.Tensor]:
    """``X``、``y`` 上平均交叉熵损失对 ``net`` 每个参数的梯度（不改动 ``net`` 的 ``.grad``）。

    Examples:
        >>> net = nn.Linear(3, 2)
        >>> [g.shape for g in gradients(net, torch.zeros(4, 3), torch.zeros(4, dtype=torch.long))]
        [torch.Size([2, 3]), torch.Size([2])]
    """
    loss = nn.functional.cross_entropy(net(X), y)
    return list(torch.autograd.grad(loss, list(net.parameters())))
# --8<-- [end:gradients]


# --8<-- [start:allreduce_gradient]
def allreduce_gradient(rank: int, world_size: int, batch_size: int = 64) -> list[torch.Tensor]:
    """在进程组里运行：本进程只用前 ``batch_size`` 个样本中属于自己的一份算梯度，再全规约取平均。

    小批量按顺序切成 ``world_size`` 份，秩 ``rank`` 拿第 ``rank`` 份。``all_reduce`` 之后，
    每个进程手里都是各份梯度之和，除以 ``world_size`` 就是平均。
    """
    net, X, y = digits_problem()                        # 每个进程：同样的数据、同样的初始模型
    X_part = X[:batch_size].chunk(world_size)[rank]     # 只看自己那一份
    y_part = y[:batch_size].chunk(world_size)[rank]
    grads = gradients(net, X_part, y_part)
    for grad in grads:
        dist.all_reduce(grad, op=dist.ReduceOp.SUM)     # 原地改写：每个进程都得到 Σ_k g_k
        grad /= world_size
    return grads
# --8<-- [end:allreduce_gradient]


# --8<-- [start:shard_gradients]
def shard_gradients(net: nn.Module, X: torch.Tensor, y: torch.Tensor, world_size: int) -> list[torch.Tensor]:
    """不启动进程，在一个进程里模拟：把 ``X`` 按顺序切成 ``world_size`` 份，各算梯度，再取平均。

    结果与 :func:`allreduce_gradient` 在 ``world_size`` 个进程里算出的一样。

    Examples:
        >>> net, X, y = digits_problem()
        >>> shard_gradients(net, X[:4], y[:4], world_size=8)
        Traceback (most recent call last):
        ...
        ValueError: world_size 不能超过样本数（每个进程至少分到一个样本），实际为 8 个进程、4 个样本
    """
    check_shard_args(X, world_size)
    shards = [gradients(net, X_k, y_k) for X_k, y_k in zip(X.chunk(world_size), y.chunk(world_size))]
    return [torch.stack(grads).mean(dim=0) for grads in zip(*shards)]
# --8<-- [end:shard_gradients]


# --8<-- [start:ddp_train]
def ddp_train(
    rank: int,
    world_size: int,
    checkpoint: str,
    num_epochs: int = 2,
    batch_per_rank: int = 32,
    lr: float = 0.5,
    device: torch.device | None = None,
) -> dict[str, Any]:
    """在进程组里运行：用 ``DistributedDataParallel`` 训练 :func:`digits_problem` 的模型。

    全局批量是 ``batch_per_rank × world_size``。只有秩 0 记录日志、保存检查点
    （``model.module.state_dict()``，不带 DDP 加的 ``module.`` 前缀）。返回日志行和训练耗时（秒）。
    """
    device = device or torch.device("cpu")
    net, X, y = digits_problem()                        # 同一个种子：各进程的初始模型相同
    device_ids = [device.index] if device.type == "cuda" else None   # GPU 上告诉 DDP 本进程用哪块 GPU
    model = DistributedDataParallel(net.to(device), device_ids=device_ids)  # 构造时把秩 0 的参数广播给所有进程
    sampler = DistributedSampler(TensorDataset(X, y), num_replicas=world_size, rank=rank, shuffle=True, seed=0)
    loader = DataLoader(TensorDataset(X, y), batch_size=batch_per_rank, sampler=sampler)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    log: list[str] = []
    start = time.perf_counter()
    for epoch in range(num_epochs):
        sampler.set_epoch(epoch)                        # 每轮换一种打乱顺序；忘了它，每轮顺序都一样
        total, count = torch.zeros(2, device=device), 0
        for X_batch, y_batch in loader:
            X_batch, y_batch = X_batch.to(device), y_batch.to(device)
            loss = nn.functional.cross_entropy(model(X_batch), y_batch)
            optimizer.zero_grad()
            loss.backward()                             # 反向传播的同时，DDP 分桶全规约梯度并取平均
            optimizer.step()
            total += torch.stack([loss.detach() * len(y_batch), torch.tensor(float(len(y_batch)), device=device)])
            count += 1
        dist.all_reduce(total)                          # 汇总各进程的损失之和与样本数
        if rank == 0:                                   # 只有秩 0 写日志，否则每行打印 world_size 遍
            log.append(f"第 {epoch + 1} 轮：{count} 步，平均训练损失 {total[0] / total[1]:.4f}")
    seconds = time.perf_counter() - start
    if rank == 0:
        torch.save(model.module.state_dict(), checkpoint)
    dist.barrier()                                      # 等秩 0 写完检查点，大家再一起退出
    return {"log": log, "seconds": seconds}
# --8<-- [end:ddp_train]


# --8<-- [start:reference_train]
def reference_train(
    world_size: int, num_epochs: int = 2, batch_per_rank: int = 32, lr: float = 0.5
) -> tuple[dict[str, torch.Tensor], float]:
    """在一个进程里按 :func:`ddp_train` 的全局批量训练同一个模型，返回 ``(state_dict, 耗时秒数)``。

    第 ``k`` 步的全局批量，就是每个秩的 ``DistributedSampler`` 在这一轮给出的第 ``k`` 个小批量合在一起。

    Examples:
        >>> state, seconds = reference_train(world_size=2, num_epochs=1)
        >>> sorted(state), state["weight"].shape
        (['bias', 'weight'], torch.Size([10, 64]))
    """
    net, X, y = digits_problem()
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    start = time.perf_counter()
    for epoch in range(num_epochs):
        per_rank = []
        for rank in range(world_size):                  # 每个秩这一轮分到的下标，按小批量切开
            sampler = DistributedSampler(range(len(X)), num_replicas=world_size, rank=rank, shuffle=True, seed=0)
            sampler.set_epoch(epoch)
            per_rank.append(torch.tensor(list(sampler)).split(batch_per_rank))
        for shards in zip(*per_rank):                   # 第 k 步：各秩第 k 个小批量合成全局批量
            index = torch.cat(shards)
            loss = nn.functional.cross_entropy(net(X[index]), y[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return net.state_dict(), time.perf_counter() - start
# --8<-- [end:reference_train]


# --8<-- [start:main]
def main(argv: list[str] | None = None) -> None:
    """``torchrun`` 运行的脚本：从环境变量读出自己的秩，选择后端和设备，训练，秩 0 保存检查点。

    用法（两个进程）：``torchrun --nproc_per_node=2 -m lessons_src.workflow.distributed --checkpoint ckpt.pt``。
    ``torchrun`` 为每个进程设置 ``RANK``、``LOCAL_RANK``、``WORLD_SIZE``、``LOCAL_WORLD_SIZE``、
    ``MASTER_ADDR``、``MASTER_PORT``。
    """
    parser = argparse.ArgumentParser(description="用 DDP 训练 digits 上的 softmax 回归")
    parser.add_argument("--checkpoint", default="ddp_checkpoint.pt")
    parser.add_argument("--epochs", type=int, default=2)
    options = parser.parse_args(argv)
    rank, world_size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    local_rank = int(os.environ["LOCAL_RANK"])
    backend, device = pick_backend(local_rank, int(os.environ.get("LOCAL_WORLD_SIZE", world_size)))
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group(backend, timeout=timedelta(seconds=30))  # init_method 默认 "env://"：读 MASTER_ADDR/PORT
    try:
        result = ddp_train(rank, world_size, options.checkpoint, num_epochs=options.epochs, device=device)
        if rank == 0:
            print(f"后端 {backend}，设备 {device}，{world_size} 个进程")
            print("\n".join(result["log"]))
    finally:
        dist.destroy_process_group()
# --8<-- [end:main]


if __name__ == "__main__":
    main()
    # 工作都已完成、进程组也已退出。本机上 gloo 偶尔在解释器退出、析构 C++ 对象时中止进程
    # （“terminate called without an active exception”，SIGABRT，此时已没有 Python 代码在运行），
    # torchrun 就会报告失败；所以写完输出后直接结束进程，跳过这一步。
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
