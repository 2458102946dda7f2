"""文档测试框架：在 sybil 上执行网站的每一页和课程包的每个文档字符串示例。

- 页面（``docs/**/*.md``）按网站发布的样子收集：``--8<--`` 片段由网站用的同一个
  ``pymdownx.snippets`` 扩展展开（读取同一份 ``mkdocs.yml``）；
- 每个 ``python`` 代码块按页面顺序执行，同一页共用一个命名空间，执行前固定随机种子；
  以 ``>>>`` 开头的代码块按 doctest 执行；
- 紧跟在代码块之后的 ``output`` 块是页面写给读者看的输出，框架把它与代码实际打印的
  内容比较（数值容许末位上 1 个单位的误差，``<!-- tolerance: 0.02 -->`` 可放宽）；
  代码块打印了东西而页面没有给出 ``output`` 块，同样算失败；
- 代码块画了图，而页面没有声明 ``execute: true``（构建时执行才能把图放到网页上），算失败；
- ``<!-- skip: next "原因" -->`` 可以跳过下一个代码块，但必须写原因；跳过的示例和原因
  会列在测试结果末尾；
- ``lessons_src`` 中文档字符串里的 ``>>>`` 示例（API 参考页上显示的就是它们）同样执行。

由仓库根目录的 ``conftest.py`` 加载。
"""

from __future__ import annotations

import doctest
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import torch
from sybil import Document, Example, Region, Sybil
from sybil.evaluators.doctest import DocTestEvaluator
from sybil.parsers.abstract.doctest import DocTestStringParser
from sybil.parsers.markdown import CodeBlockParser, SkipParser
from sybil.parsers.markdown.lexers import DirectiveInHTMLCommentLexer
from sybil.parsers.rest import DocTestParser

from lessons_src._site.cache import cache_dir_for, store_results
from lessons_src._site.execute import compare_output, figure_alt_text, render_result, reset_random_state, run_block
from lessons_src._site.pages import PYTHON_ALIASES, SnippetExpander, scan_fences, split_front_matter

# 每个测试进程（以及它启动的 Jupyter 内核）只用一个线程，网站构建执行页面时也是这样：
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

_LAST = "__harness_last_block__"
_RESULTS = "__harness_executed_blocks__"
_TOLERANCE = "__harness_tolerance__"


def expand_page(path: str | Path) -> tuple[str, dict[str, Any]]:
    """读取页面，去掉 front matter，用网站的片段扩展展开，返回 ``(正文, 元数据)``。"""
    body, meta = split_front_matter(Path(path).read_text(encoding="utf-8"))
    return SnippetExpander.from_mkdocs_yml(MKDOCS_YML).expand(body), meta


class PageDocument(Document):
    """读者看到的页面：front matter 去掉、片段引用展开之后的文字。"""

    meta: dict[str, Any]

    @classmethod
    def parse(cls, path: str, *parsers: Any, encoding: str = "utf-8") -> PageDocument:
        text, meta = expand_page(path)
        document = cls(text, path)
        document.meta = meta
        for parser in parsers:
            for region in parser(document):
                document.add(region)
        return document


class _Block:
    """一个 python 代码块执行后的记录，供其后的 output 块比较。"""

    def __init__(self, region: Region, stdout: str) -> None:
        self.region = region
        self.stdout = stdout
        self.compared = False


def _content_regions(example: Example) -> tuple[list[Region], int]:
    """页面上除 tolerance 指令以外的区域，以及当前示例在其中的位置。"""
    regions = [
        region for _, region in example.document.regions if region.evaluator is not evaluate_tolerance
    ]
    return regions, regions.index(example.region)


def _next_region(example: Example) -> Region | None:
    regions, index = _content_regions(example)
    return regions[index + 1] if index + 1 < len(regions) else None


def _is_output_region(region: Region | None) -> bool:
    return region is not None and getattr(region.evaluator, "__name__", "") == "evaluate_output"


def evaluate_python(example: Example) -> str | None:
    namespace = example.namespace
    result = run_block(
        example.parsed, namespace, filename=example.path, first_line=example.line + example.parsed.line_offset + 1
    )
    meta = getattr(example.document, "meta", {})
    if meta.get("execute"):
        _remember(example, result)
    if result.figures:
        for figure in result.figures:
            figure_alt_text(figure)
        if not meta.get("execute"):
            return (
                "这个代码块画了图，但页面的 front matter 没有 execute: true；"
                "网站构建时不会执行这一页，读者将看不到这张图"
            )
    namespace[_LAST] = _Block(example.region, result.stdout)
    if result.stdout.strip() and not _is_output_region(_next_region(example)):
        return (
            "这个代码块有输出，但页面上没有紧跟一个 output 块把它展示给读者：\n"
            f"{result.stdout}"
        )
    return None


def _remember(example: Example, result: Any) -> None:
    """``execute: true`` 的页面：整页执行完后把结果写进网站构建的缓存，构建时就不必再执行一遍。

    结果与构建时执行得到的相同：同样的代码、同样的执行函数、页首同样的随机种子、单线程。
    页面中有代码块被跳过或出错时，结果不完整，不写缓存。
    """
    executed = example.namespace.setdefault(_RESULTS, [])
    executed.append(render_result(result))
    sources = [fence.body for fence in scan_fences(example.document.text) if fence.language == "python"]
    if len(executed) == len(sources):
        store_results(sources, cache_dir_for(MKDOCS_YML), executed)


def evaluate_output(example: Example) -> str | None:
    namespace = example.namespace
    block: _Block | None = namespace.get(_LAST)
    tolerance = namespace.pop(_TOLERANCE, None)
    if block is None or block.compared:
        return "output 块前面没有对应的 python 代码块（每个 output 块必须紧跟在它的代码块之后）"
    regions, index = _content_regions(example)
    if index == 0 or regions[index - 1] is not block.region:
        return "output 块必须紧跟在产生它的 python 代码块之后"
    block.compared = True
    return compare_output(str(example.parsed), block.stdout, tolerance=tolerance)


def evaluate_tolerance(example: Example) -> None:
    example.namespace[_TOLERANCE] = float(example.parsed)


def parse_tolerance(document: Document) -> Iterable[Region]:
    lexer = DirectiveInHTMLCommentLexer(directive="tolerance", arguments=r"[0-9.eE+-]+")
    for region in lexer(document):
        yield Region(region.start, region.end, region.lexemes["arguments"], evaluate_tolerance)


class PythonBlockParser:
    """``python`` 代码块：以 ``>>>`` 开头的按 doctest 执行，其余按 :func:`evaluate_python` 执行。"""

    def __init__(self) -> None:
        self.blocks = CodeBlockParser("python", evaluate_python)
        self.doctests = DocTestStringParser(DocTestEvaluator(DOCTEST_FLAGS))

    def __call__(self, document: Document) -> Iterable[Region]:
        for region in self.blocks(document):
            source = region.parsed
            if source.startswith(">>>"):
                for doctest_region in self.doctests(source, document.path):
                    doctest_region.adjust(region, source)
                    yield doctest_region
            else:
                yield region


PAGE_PARSERS = [
    PythonBlockParser(),
    CodeBlockParser("output", evaluate_output),
    parse_tolerance,
    SkipParser(),
]


def _setup_page(namespace: dict[str, Any]) -> None:
    reset_random_state()
    namespace["__name__"] = "__main__"
    namespace[_RESULTS] = []


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
    excludes=["_site/*"],
    name="docstring",
)

pytest_collect_file = (pages + docstrings).pytest()


# ---------------------------------------------------------------------------
# 统计：执行了多少个文档示例，跳过了哪些、为什么
# ---------------------------------------------------------------------------

_doc_stats: dict[str, list[str]] = {"passed": [], "failed": [], "skipped": []}


def _is_doc_item(nodeid: str) -> bool:
    return "sybil:page" in nodeid or "sybil:docstring" in nodeid


@pytest.hookimpl
def pytest_runtest_logreport(report: pytest.TestReport) -> None:
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
    if not any(_doc_stats.values()):
        return
    write = terminalreporter.write_line
    terminalreporter.section("文档示例")
    write(
        f"执行 {len(_doc_stats['passed']) + len(_doc_stats['failed'])} 个"
        f"（通过 {len(_doc_stats['passed'])}，失败 {len(_doc_stats['failed'])}），"
        f"跳过 {len(_doc_stats['skipped'])} 个"
    )
    for detail in _doc_stats["skipped"]:
        write(f"跳过：{detail}")


def collect_page(path: str | Path) -> PageDocument:
    """按文档测试的方式解析一页（供检查“没有漏掉的代码块”的测试使用）。"""
    return PageDocument.parse(str(path), *PAGE_PARSERS)


SKIP_DIRECTIVE = re.compile(r"<!--+\s*skip:?\s*(?P<arguments>[^>]*?)\s*-*->")


def audit_page(document: PageDocument) -> list[str]:
    """找出页面上读者能看到、测试却不会执行（或不会核对）的代码块，返回问题列表。

    与 sybil 的词法分析相互独立：这里用 :func:`lessons_src._site.pages.scan_fences`
    重新找出所有围栏代码块，再看每个 ``python``、``output`` 块是否都被解析成了要执行的区域。
    """
    problems = []
    starts = sorted(region.start for _, region in document.regions)
    for fence in scan_fences(document.text):
        where = f"第 {fence.line} 行"
        if fence.language in PYTHON_ALIASES:
            problems.append(f"{where}：语言标记 {fence.info!r} 不会被执行，Python 代码请写作 python")
            continue
        if fence.language not in ("python", "output"):
            continue
        if fence.info != fence.language:
            problems.append(
                f"{where}：{fence.language} 代码块的信息串只能是 {fence.language!r}，"
                f"写成 {fence.info!r} 会让测试认不出它"
            )
            continue
        if not any(fence.start <= start < fence.end for start in starts):
            problems.append(f"{where}：{fence.language} 代码块没有被测试解析")
    for match in SKIP_DIRECTIVE.finditer(document.text):
        action, _, reason = match.group("arguments").partition(" ")
        if action in ("next", "start") and not reason.strip():
            line = document.text.count("\n", 0, match.start()) + 1
            problems.append(f"第 {line} 行：skip 指令必须写明原因，例如 <!-- skip: next \"需要 GPU\" -->")
    return problems
