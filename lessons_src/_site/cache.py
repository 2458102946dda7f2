"""构建时执行页面代码并按内容缓存结果（由 ``hooks.py`` 调用）。

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
    cache_dir.mkdir(parents=True, exist_ok=True)
    cache_file.write_text(json.dumps([block.to_json() for block in executed], ensure_ascii=False), "utf-8")
    return executed
