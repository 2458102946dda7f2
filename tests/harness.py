"""文档测试框架：在 sybil 上核对网站的每一页，并执行课程包的每个文档字符串示例。

- 页面（``docs/**/*.md``）由 :func:`lessons_src._site.pages.load_page` 读取，与网站构建读到的完全相同：
  片段由网站用的 ``pymdownx.snippets`` 展开，``output`` 块在解析时就与它前面的 ``python`` 块配成一对；
- 一页的代码由网站构建用的同一个执行器执行（:func:`lessons_src._site.cache.run_pages`：新进程、
  新命名空间、固定的随机种子、单线程、新的临时工作目录），结果与网站构建共用缓存；
  每个代码块是一个测试，它把这一块的执行结果与页面上的 ``output`` 块比较；
- 页面上的数字必须是打印出的数字正确舍入的结果（末位半个单位以内），``<!-- tolerance: 0.02 -->``
  可放宽，``...`` 匹配每次不同的内容；代码块打印了东西而页面没有给出 ``output`` 块，同样算失败；
- ``<!-- skip: next "原因" -->`` 跳过下一个代码块（构建和笔记本里也不执行它），原因列在测试结果末尾；
- 代码块出错时，失败信息写明 ``docs/<页面>.md:<行号>``、片段所在模块的行号、异常和代码的前几行；
- ``python -m pytest --update-outputs`` 按代码实际打印的内容改写页面上的 ``output`` 块
  （保留 ``...`` 行和 tolerance 指令）；``--no-page-cache`` 不读缓存，重新执行每一页；
- ``lessons_src`` 中文档字符串里的 ``>>>`` 示例（API 参考页上显示的就是它们）按 doctest 执行。

由仓库根目录的 ``conftest.py`` 加载。
"""

from __future__ import annotations

import doctest
import os
import unittest
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import torch
from sybil import Document, Example, Region, Sybil
from sybil.parsers.rest import DocTestParser

from lessons_src._site.cache import PageRun, cache_dir_for, run_pages
from lessons_src._site.execute import compare_output, format_failure
from lessons_src._site.outputs import apply_edits, output_edits
from lessons_src._site.pages import CodeBlock, LessonPage, SnippetExpander, load_page

# 每个测试进程（以及它启动的 Jupyter 内核和执行页面的进程）只用一个线程，网站构建执行页面时也是这样：
# 课程里的张量都很小，几个进程各开多个线程争抢同样的核心时，运算会慢一个数量级。
os.environ["OMP_NUM_THREADS"] = "1"
torch.set_num_threads(1)

# 属性测试不设单个样例的时限：第一次调用 torch 的算子、或者机器繁忙时，单个样例可能超过默认的 200 ms。
hypothesis.settings.register_profile("lessons", deadline=None)
hypothesis.settings.load_profile("lessons")

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
MKDOCS_YML = ROOT / "mkdocs.yml"
DOCTEST_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

_options = {"update": False, "cache": True}
_updated: list[str] = []


def expander() -> SnippetExpander:
    return SnippetExpander.from_mkdocs_yml(MKDOCS_YML)


def lesson_page(path: str | Path, text: str | None = None) -> LessonPage:
    """按网站构建的方式读一页。"""
    return load_page(path, expander(), root=ROOT, text=text)


class PageDocument(Document):
    """一页：sybil 看到的是磁盘上的文字（行号与文件一致），代码块来自 :func:`lesson_page`。"""

    page: LessonPage

    @classmethod
    def parse(cls, path: str, *parsers: Any, encoding: str = "utf-8") -> PageDocument:
        return cls.from_text(Path(path).read_text(encoding=encoding), path, *parsers)

    @classmethod
    def from_text(cls, text: str, path: str, *parsers: Any) -> PageDocument:
        document = cls(text, path)
        document.page = lesson_page(path, text)
        for parser in parsers or PAGE_PARSERS:
            for region in parser(document):
                document.add(region)
        return document


def parse_blocks(document: Document) -> list[Region]:
    """每个 python 代码块一个区域，解析结果就是 :class:`CodeBlock`（含与它配对的 output 块）。"""
    page: LessonPage = document.page  # type: ignore[attr-defined]
    return [Region(block.start, block.end, block, evaluate_block) for block in page.blocks]


PAGE_PARSERS = [parse_blocks]


def page_run(document: PageDocument) -> PageRun:
    """执行这一页（同一页的各个测试只执行一次）；``--update-outputs`` 时顺便改写页面。"""
    run = document.namespace.get("run")
    if run is None:
        page = document.page
        run = run_pages([page], root=ROOT, cache_dir=cache_dir_for(MKDOCS_YML), use_cache=_options["cache"])[page.path]
        document.namespace["run"] = run
        if _options["update"]:
            document.namespace["updated"] = _update_page(Path(document.path), page, run)
    return run


def evaluate_block(example: Example) -> str | None:
    block: CodeBlock = example.parsed
    page: LessonPage = example.document.page
    run = page_run(example.document)
    result = run.results[block.index]
    if result.status == "skipped":
        raise unittest.SkipTest(block.skip)
    if result.status == "not-run":
        index, _ = run.failed or (0, None)
        return f"{page.path}:{block.line}: 没有执行：前面 {page.path}:{page.blocks[index].line} 的代码块出错"
    if result.status == "error":
        assert result.error is not None
        return format_failure(page.path, block.line, block.head(page.path), result.error, index=block.index)
    if _options["update"]:
        return None
    if block.output is None:
        if result.stdout.strip():
            return (
                "这个代码块有输出，但页面上没有紧跟一个 output 块把它展示给读者"
                f"（python -m pytest --update-outputs 可以补上）：\n{result.stdout}"
            )
        return None
    difference = compare_output(block.output.text, result.stdout, tolerance=block.output.tolerance)
    if difference is not None:
        hint = "（python -m pytest --update-outputs 按实际输出改写页面）"
        return f"{page.path}:{block.output.line}: {difference}\n{hint}"
    return None


def _update_page(path: Path, page: LessonPage, run: PageRun) -> dict[int, str]:
    """按实际输出改写页面上与之不符的 output 块，补上缺少的、删去多余的；返回 代码块序号 → 改了什么。"""
    edits = output_edits(page, run.results)
    if edits:
        path.write_text(apply_edits(page.text, list(edits.values())), encoding="utf-8")
    return {index: edit.what for index, edit in edits.items()}


def _setup_page(namespace: dict[str, Any]) -> None:
    namespace.pop("run", None)
    namespace.pop("updated", None)


pages = Sybil(
    parsers=PAGE_PARSERS,
    path=str(DOCS),
    patterns=["*.md"],
    document_types={".md": PageDocument},
    setup=_setup_page,
    name="page",
)

docstrings = Sybil(
    parsers=[DocTestParser(optionflags=DOCTEST_FLAGS)],
    path=str(ROOT / "lessons_src"),
    patterns=["*.py"],
    name="docstring",
)

pytest_collect_file = (pages + docstrings).pytest()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("lessons", "页面的文档测试")
    group.addoption("--update-outputs", action="store_true",
                    help="按代码实际打印的内容改写页面上的 output 块（保留 ... 行和 tolerance 指令）")
    group.addoption("--no-page-cache", action="store_true", help="不读执行结果的缓存，重新执行每一页")


def pytest_configure(config: pytest.Config) -> None:
    _options["update"] = bool(config.getoption("--update-outputs", default=False))
    _options["cache"] = not config.getoption("--no-page-cache", default=False)


# ---------------------------------------------------------------------------
# 统计：执行了多少个文档示例，跳过了哪些、为什么
# ---------------------------------------------------------------------------

_doc_stats: dict[str, list[str]] = {"passed": [], "failed": [], "skipped": []}


def _is_doc_item(nodeid: str) -> bool:
    return "sybil:page" in nodeid or "sybil:docstring" in nodeid


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    outcome = yield
    example = getattr(item, "example", None)
    if call.when == "call" and isinstance(getattr(example, "parsed", None), CodeBlock):
        updated = example.namespace.get("updated", {}).get(example.parsed.index)
        if updated:  # 通过 user_properties 传给 xdist 的主进程
            outcome.get_result().user_properties.append(("updated-output", updated))


@pytest.hookimpl
def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _updated.extend(value for name, value in report.user_properties if name == "updated-output")
    if not _is_doc_item(report.nodeid):
        return
    if report.when == "call" or (report.when == "setup" and report.skipped):
        outcome = "skipped" if report.skipped else ("passed" if report.passed else "failed")
        detail = report.nodeid
        if report.skipped and isinstance(report.longrepr, tuple):
            detail += f" —— 原因：{report.longrepr[2]}"
        _doc_stats[outcome].append(detail)


@pytest.hookimpl
def pytest_terminal_summary(terminalreporter: Any) -> None:
    write = terminalreporter.write_line
    if _updated:
        terminalreporter.section("更新的 output 块")
        for where in _updated:
            write(where)
    if not any(_doc_stats.values()):
        return
    terminalreporter.section("文档示例")
    write(
        f"执行 {len(_doc_stats['passed']) + len(_doc_stats['failed'])} 个"
        f"（通过 {len(_doc_stats['passed'])}，失败 {len(_doc_stats['failed'])}），"
        f"跳过 {len(_doc_stats['skipped'])} 个"
    )
    for detail in _doc_stats["skipped"]:
        write(f"跳过：{detail}")
