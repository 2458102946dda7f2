"""在新进程里执行页面代码，结果按内容缓存。

网站构建、文档测试和笔记本检查都通过 :func:`run_pages` 取得一页的执行结果：

- **新进程**：每一页在一个新进程里执行。这个进程由一个 forkserver fork 出来，forkserver 只预先导入了
  torch 等第三方库，没有导入项目自己的任何模块，所以页面总是导入磁盘上最新的课程代码——
  即使调用它的是一个跨越多次重建的 ``mkdocs serve`` 进程；
- **缓存键**：页面的代码、页面（经由 import）实际用到的项目模块的内容（递归地找出）、执行器本身的源码，
  以及 Python 和主要依赖的版本。改动一个模块，只有导入了它的页面会重新执行；
- **缓存位置**：``mkdocs.yml`` 旁边的 ``.cache/lesson-outputs/``，网站构建和文档测试共用。
"""

from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import json
import logging
import multiprocessing
import multiprocessing.connection
import os
import platform
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from lessons_src._site import execute
from lessons_src._site.execute import BlockError, BlockResult, ExecBlock
from lessons_src._site.pages import CodeBlock, LessonPage

__all__ = ["PageRun", "cache_dir_for", "project_dependencies", "run_pages"]

log = logging.getLogger("mkdocs.hooks.lessons")

_CACHE_VERSION = "2"
#: 参与缓存键的依赖：版本变了，页面打印的内容可能随之改变
_VERSIONED = ("torch", "torchvision", "numpy", "matplotlib", "scikit-learn", "pillow", "tqdm")
#: forkserver 预先导入的第三方库（各页都要用、导入很慢）；这里不能出现项目自己的模块
_PRELOAD = ["torch", "torchvision", "torchvision.transforms.v2", "torchvision.datasets", "numpy",
            "matplotlib.pyplot", "sklearn.datasets", "sklearn.model_selection", "tqdm.auto",
            "PIL.Image"]


@dataclass(frozen=True)
class PageRun:
    """一页的执行结果。

    Attributes:
        page: 页面路径（相对项目根目录）。
        results: 每个 ``python`` 代码块的结果，与页面上的代码块一一对应。
        dependencies: 页面用到的项目模块（相对路径）。
        seconds: 执行用的秒数（来自缓存时是当初执行的秒数）。
        cached: 结果是否来自缓存。
    """

    page: str
    results: tuple[BlockResult, ...]
    dependencies: tuple[str, ...] = ()
    seconds: float = 0.0
    cached: bool = False

    @property
    def failed(self) -> tuple[int, BlockResult] | None:
        """第一个出错的代码块 ``(序号, 结果)``；没有出错时为 ``None``。"""
        return next(((index, r) for index, r in enumerate(self.results) if r.status == "error"), None)


def cache_dir_for(config_file: str | Path) -> Path:
    """``mkdocs.yml`` 旁边的缓存目录；网站构建和文档测试用同一个。"""
    return Path(config_file).resolve().parent / ".cache" / "lesson-outputs"


# ---------------------------------------------------------------------------
# 页面用到了哪些项目模块
# ---------------------------------------------------------------------------


def _imported_names(tree: ast.AST, package: str | None) -> set[str]:
    """代码中 import 的模块名（相对导入按 ``package`` 换算成绝对名字）；``from a import b`` 同时记下 ``a.b``。"""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                if not package:
                    continue
                parts = package.split(".")
                parent = parts[: len(parts) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
    return {name for name in names if name}


def _module_files(name: str, root: Path) -> list[tuple[Path, str]]:
    """模块名对应的项目内文件（连同途经的各级 ``__init__.py``），以及每个文件所在的包名。"""
    found = []
    parts = name.split(".")
    for depth in range(1, len(parts) + 1):
        base = root.joinpath(*parts[:depth])
        package = ".".join(parts[:depth])
        if (base / "__init__.py").is_file():
            found.append((base / "__init__.py", package))
        elif base.with_suffix(".py").is_file():
            found.append((base.with_suffix(".py"), ".".join(parts[: depth - 1])))
            break
        else:
            break
    return found


def project_dependencies(sources: Iterable[str], root: str | Path) -> list[Path]:
    """页面代码直接或间接导入的、位于项目根目录下的 Python 文件，按路径排序。

    只做静态分析（``ast``），不导入任何模块；函数体里的 import 也算。

    Examples:
        >>> from pathlib import Path
        >>> root = Path(__file__).resolve().parents[2]
        >>> found = project_dependencies(["from lessons_src.checks import require_tensor"], root)
        >>> [path.relative_to(root).as_posix() for path in found]
        ['lessons_src/__init__.py', 'lessons_src/checks.py']
    """
    root = Path(root)
    seen: dict[Path, str] = {}
    queue: list[tuple[str, str | None]] = []
    for source in sources:
        try:
            queue.extend((name, None) for name in _imported_names(ast.parse(source), None))
        except SyntaxError:
            continue
    while queue:
        name, _ = queue.pop()
        for path, package in _module_files(name, root):
            if path in seen:
                continue
            seen[path] = package
            tree = _read(path)[1]
            if tree is None:
                continue
            queue.extend((imported, None) for imported in _imported_names(tree, package))
    return sorted(seen)


# ---------------------------------------------------------------------------
# 缓存
# ---------------------------------------------------------------------------


@functools.cache
def _versions() -> tuple[str, ...]:
    versions = [platform.python_version()]
    for name in _VERSIONED:
        try:
            versions.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name}=-")
    return tuple(versions)


#: 文件 → ((修改时间, 大小), 内容的摘要, 语法树)：mkdocs serve 每次重建都要算一遍依赖，没改过的文件不必重读
_files: dict[Path, tuple[tuple[int, int], str, ast.AST | None]] = {}


def _read(path: Path) -> tuple[str, ast.AST | None]:
    """文件内容的摘要和语法树（有语法错误时为 None），按修改时间和大小缓存。"""
    stat = path.stat()
    stamp = (stat.st_mtime_ns, stat.st_size)
    known = _files.get(path)
    if known is None or known[0] != stamp:
        data = path.read_bytes()
        try:
            tree: ast.AST | None = ast.parse(data)
        except SyntaxError:
            tree = None
        known = (stamp, hashlib.sha256(data).hexdigest(), tree)
        _files[path] = known
    return known[1], known[2]


def _file_digest(path: Path) -> str:
    return _read(path)[0]


def page_key(page: LessonPage, root: Path, dependencies: Sequence[Path]) -> str:
    digest = hashlib.sha256()
    parts = [_CACHE_VERSION, *_versions(), _file_digest(Path(execute.__file__)), page.path]
    for block in page.blocks:
        parts += [block.source, str(block.line), repr(block.origins), block.skip or ""]
    for path in dependencies:
        parts += [path.relative_to(root).as_posix(), _file_digest(path)]
    digest.update("\0".join(parts).encode())
    return digest.hexdigest()


def _load(cache_file: Path, page: LessonPage) -> PageRun | None:
    try:
        data = json.loads(cache_file.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    results = tuple(BlockResult.from_json(item) for item in data["blocks"])
    if len(results) != len(page.blocks):
        return None
    return PageRun(page.path, results, tuple(data["dependencies"]), data["seconds"], cached=True)


def _store(cache_file: Path, run: PageRun) -> None:
    """先写临时文件再改名：别的进程可能同时在读写同一页。"""
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    partial = cache_file.with_name(f"{cache_file.stem}.{os.getpid()}.tmp")
    data = {"page": run.page, "seconds": round(run.seconds, 3), "dependencies": list(run.dependencies),
            "blocks": [result.to_json() for result in run.results]}
    partial.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    partial.replace(cache_file)


# ---------------------------------------------------------------------------
# 在新进程里执行
# ---------------------------------------------------------------------------


def _exec_blocks(blocks: Sequence[CodeBlock]) -> list[ExecBlock]:
    return [ExecBlock(b.source, b.line, tuple((o.path, o.line) for o in b.origins), b.skip) for b in blocks]


@contextlib.contextmanager
def _without_main_module() -> Iterator[None]:
    """启动子进程时不让它重新导入主模块。

    multiprocessing 的 forkserver 子进程默认会重新导入启动程序的主模块（mkdocs 命令、pytest、作者自己的脚本），
    既慢，又会在主模块没有 ``if __name__ == "__main__":`` 保护时把它整个再执行一遍；执行页面用不到主模块。
    """
    main = sys.modules.get("__main__")
    saved = {name: main.__dict__[name] for name in ("__file__", "__spec__") if main and name in main.__dict__}
    if main is not None:
        main.__dict__.pop("__file__", None)
        main.__spec__ = None
    try:
        yield
    finally:
        if main is not None:
            main.__dict__.update(saved)


def _context() -> multiprocessing.context.BaseContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)
    return context


def _crashed(page: LessonPage, exitcode: int | None) -> tuple[list[BlockResult], float]:
    error = BlockError("RuntimeError", f"执行这一页的进程意外退出（退出码 {exitcode}）")
    return [BlockResult(status="error", error=error)] + [BlockResult(status="not-run")] * (len(page.blocks) - 1), 0.0


def _execute_isolated(
    pages: Sequence[LessonPage], root: Path, workers: int
) -> dict[str, tuple[list[BlockResult], float]]:
    """每页一个新进程，最多 ``workers`` 个同时运行。"""
    context = _context()
    waiting = list(pages)
    running: dict[multiprocessing.connection.Connection, tuple[multiprocessing.process.BaseProcess, LessonPage]] = {}
    done: dict[str, tuple[list[BlockResult], float]] = {}
    while waiting or running:
        while waiting and len(running) < workers:
            page = waiting.pop(0)
            receiver, sender = context.Pipe(duplex=False)
            arguments = (sender, str(root), page.path, _exec_blocks(page.blocks))
            process = context.Process(target=execute.run_in_child, args=arguments, name=f"lesson {page.path}")
            with _without_main_module():
                process.start()
            sender.close()
            running[receiver] = (process, page)
        for receiver in multiprocessing.connection.wait(list(running)):
            process, page = running.pop(receiver)
            try:
                done[page.path] = receiver.recv()
            except EOFError:
                process.join()
                done[page.path] = _crashed(page, process.exitcode)
            receiver.close()
            process.join()
    return done


def run_pages(
    pages: Sequence[LessonPage], *, root: str | Path, cache_dir: str | Path, workers: int = 1, use_cache: bool = True
) -> dict[str, PageRun]:
    """取得各页的执行结果：缓存里有的直接读出，其余在新进程里执行（并行 ``workers`` 个）并写进缓存。

    Returns:
        页面路径 → :class:`PageRun`。
    """
    root, cache_dir = Path(root), Path(cache_dir)
    runs: dict[str, PageRun] = {}
    missing: list[tuple[LessonPage, Path, list[Path]]] = []
    for page in pages:
        dependencies = project_dependencies(page.sources, root)
        cache_file = cache_dir / f"{page_key(page, root, dependencies)}.json"
        cached = _load(cache_file, page) if use_cache and cache_file.exists() else None
        if cached is not None:
            runs[page.path] = cached
        else:
            missing.append((page, cache_file, dependencies))
    if missing:
        names = "、".join(page.path for page, _, _ in missing[:5]) + (" 等" if len(missing) > 5 else "")
        log.info("执行 %d 页的代码（%d 个进程）：%s", len(missing), min(workers, len(missing)), names)
        executed = _execute_isolated([page for page, _, _ in missing], root, max(1, workers))
        for page, cache_file, dependencies in missing:
            results, seconds = executed[page.path]
            used = tuple(path.relative_to(root).as_posix() for path in dependencies)
            run = PageRun(page.path, tuple(results), used, seconds)
            if run.failed is None:  # 出错的页面不缓存：作者正在修改它，下一次构建要重新执行
                _store(cache_file, run)
            runs[page.path] = run
    return runs
