"""执行页面代码并按内容缓存结果。

网站构建（``hooks.py``）执行 ``execute: true`` 的页面时先查缓存；文档测试（``tests/harness.py``）
执行完这样的一整页后，也把结果写进同一个缓存。键是页面代码、课程包全部源码和 torch 版本的哈希，
任何一处改动都会让旧结果失效。

单独成为一个可以导入的模块：MkDocs 按文件路径加载钩子，钩子模块里的函数无法被 pickle，
不能交给其他进程执行；这里的函数可以。
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from lessons_src._site.execute import (
    ExecutedBlock,
    render_result,
    reset_random_state,
    run_block,
)

log = logging.getLogger("mkdocs.hooks.lessons")

_PACKAGE_ROOT = Path(__file__).resolve().parents[1]
_CACHE_VERSION = "1"


def code_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE_ROOT.rglob("*.py")):
        digest.update(str(path.relative_to(_PACKAGE_ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def cache_dir_for(config_file: str | Path) -> Path:
    """``mkdocs.yml`` 旁边的缓存目录；网站构建和文档测试用同一个。"""
    return Path(config_file).resolve().parent / ".cache" / "lesson-outputs"


def store_results(sources: list[str], cache_dir: Path, executed: list[ExecutedBlock]) -> Path:
    """把一页代码的执行结果写进缓存（先写临时文件再改名：别的进程可能同时在读写同一页）。"""
    import os

    cache_file = cache_file_for(sources, cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = cache_file.with_name(f"{cache_file.stem}.{os.getpid()}.tmp")
    partial.write_text(json.dumps([block.to_json() for block in executed], ensure_ascii=False), "utf-8")
    partial.replace(cache_file)
    return cache_file


def cache_file_for(sources: list[str], cache_dir: Path) -> Path:
    import torch

    key = hashlib.sha256("\0".join([_CACHE_VERSION, torch.__version__, code_fingerprint(), *sources]).encode())
    return cache_dir / f"{key.hexdigest()}.json"


def execute_page(sources: list[str], filename: str, cache_dir: Path) -> list[ExecutedBlock]:
    """在一个新的命名空间里依次执行代码块（与文档测试相同的方式），结果按内容缓存。"""
    import torch

    cache_file = cache_file_for(sources, cache_dir)
    if cache_file.exists():
        return [ExecutedBlock.from_json(item) for item in json.loads(cache_file.read_text("utf-8"))]

    log.info("执行页面代码：%s", filename)
    reset_random_state()
    namespace: dict[str, Any] = {"__name__": "__main__"}
    threads = torch.get_num_threads()
    # 与文档测试一致，只用一个线程：课程里的模型都很小，多线程在繁忙的机器上反而慢得多
    torch.set_num_threads(1)
    try:
        executed = [render_result(run_block(source, namespace, filename=filename)) for source in sources]
    finally:
        torch.set_num_threads(threads)
    store_results(sources, cache_dir, executed)
    return executed
