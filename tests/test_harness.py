"""文档测试框架本身的测试：它必须能发现页面上的错误，而不只是在一切正确时通过。"""

from pathlib import Path

import pytest
from sybil.example import SybilFailure

from tests.harness import DOCS, PAGE_PARSERS, PageDocument, audit_page, collect_page, expand_page

PAGES = sorted(DOCS.rglob("*.md"))


def make_page(*blocks: str, execute: bool = False) -> PageDocument:
    document = PageDocument("\n\n".join(blocks) + "\n", "/virtual/page.md")
    document.meta = {"execute": execute}
    for parser in PAGE_PARSERS:
        for region in parser(document):
            document.add(region)
    return document


def run_page(document: PageDocument) -> None:
    for example in document.examples():
        example.evaluate()


FENCE = "```"


def code(language: str, body: str) -> str:
    return f"{FENCE}{language}\n{body}\n{FENCE}"


@pytest.mark.parametrize("path", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_every_block_on_every_page_is_executed(path):
    assert audit_page(collect_page(path)) == []


def test_pages_exist():
    assert any(path.name == "activation-functions.md" for path in PAGES)


def test_snippets_are_expanded_like_the_site():
    text, meta = expand_page(DOCS / "mlp" / "activation-functions.md")
    assert meta.get("execute") is True
    assert "--8<--" not in text
    assert "def sigmoid(x: torch.Tensor) -> torch.Tensor:" in text
    assert "[start:" not in text and "[end:" not in text


def test_matching_output_passes():
    run_page(make_page(code("python", "print(1 / 3)"), code("output", "0.3333333333333333")))


def test_wrong_output_fails():
    document = make_page(code("python", "print([1, 2])"), code("output", "[1, 3]"))
    with pytest.raises(SybilFailure, match="页面写 3，实际为 2"):
        run_page(document)


def test_wrong_text_fails():
    document = make_page(code("python", "print('abc')"), code("output", "abd"))
    with pytest.raises(SybilFailure, match="文字与页面不符"):
        run_page(document)


def test_tolerance_directive_loosens_the_comparison():
    run_page(make_page(code("python", "print(0.93)"), "<!-- tolerance: 0.05 -->", code("output", "0.95")))
    with pytest.raises(SybilFailure, match="允许误差 0.01"):
        run_page(make_page(code("python", "print(0.93)"), "<!-- tolerance: 0.01 -->", code("output", "0.95")))


def test_printed_output_must_be_shown():
    with pytest.raises(SybilFailure, match="没有紧跟一个 output 块"):
        run_page(make_page(code("python", "print('hidden')")))


def test_last_expression_counts_as_output_like_jupyter():
    run_page(make_page(code("python", "x = 41\nx + 1"), code("output", "42")))
    with pytest.raises(SybilFailure, match="没有紧跟一个 output 块"):
        run_page(make_page(code("python", "x = 41\nx + 1")))


def test_output_block_needs_its_code_block():
    with pytest.raises(SybilFailure, match="前面没有对应的 python 代码块"):
        run_page(make_page(code("output", "42")))
    document = make_page(code("python", "print(1)"), code("output", "1"), code("output", "1"))
    with pytest.raises(SybilFailure, match="前面没有对应的 python 代码块"):
        run_page(document)


FIGURE = "from matplotlib.figure import Figure\nfigure = Figure()\nfigure.set_label('{label}')\nfigure"


def test_figures_need_build_time_execution():
    with pytest.raises(SybilFailure, match="execute: true"):
        run_page(make_page(code("python", FIGURE.format(label="一张图"))))
    run_page(make_page(code("python", FIGURE.format(label="一张图")), execute=True))


def test_figures_need_chinese_alt_text():
    with pytest.raises(ValueError, match="图缺少中文说明"):
        run_page(make_page(code("python", FIGURE.format(label="a plot")), execute=True))


def test_namespace_is_shared_within_a_page():
    run_page(make_page(code("python", "x = 2"), code("python", "print(x * 21)"), code("output", "42")))


def test_doctest_blocks_are_checked():
    run_page(make_page(code("python", ">>> 1 + 1\n2")))
    with pytest.raises(SybilFailure):
        run_page(make_page(code("python", ">>> 1 + 1\n3")))


def test_exceptions_in_blocks_fail():
    with pytest.raises(ZeroDivisionError):
        run_page(make_page(code("python", "1 / 0")))


@pytest.mark.parametrize(
    ("block", "problem"),
    [
        (code("py", "x = 1"), "不会被执行"),
        (code("python3", "x = 1"), "不会被执行"),
        (code("pycon", ">>> 1"), "不会被执行"),
        (code('python title="a.py"', "x = 1"), "信息串只能是 'python'"),
        (code("output title=x", "1"), "信息串只能是 'output'"),
        ("<!-- skip: next -->\n\n" + code("python", "x = 1"), "必须写明原因"),
        ("=== \"标签页\"\n\n    " + code("py", "x = 1").replace("\n", "\n    "), "不会被执行"),
    ],
)
def test_audit_finds_blocks_that_would_not_run(block, problem):
    problems = audit_page(make_page(block))
    assert len(problems) == 1
    assert problem in problems[0]


def test_audit_accepts_indented_blocks_and_reasoned_skips():
    tabbed = '=== "从零实现"\n\n    ' + code("python", "x = 1").replace("\n", "\n    ")
    skipped = '<!-- skip: next "需要 GPU" -->\n\n' + code("python", "import missing_module")
    document = make_page(tabbed, skipped, code("bash", "echo not python"))
    assert audit_page(document) == []


def test_skip_with_reason_is_reported_as_skipped():
    import unittest

    document = make_page('<!-- skip: next "需要 GPU" -->\n\n' + code("python", "raise RuntimeError"))
    with pytest.raises(unittest.SkipTest, match="需要 GPU"):
        run_page(document)


def test_missing_snippet_is_an_error(tmp_path: Path):
    from lessons_src._site.pages import SnippetExpander
    from tests.harness import MKDOCS_YML

    expander = SnippetExpander.from_mkdocs_yml(MKDOCS_YML)
    with pytest.raises(Exception, match="no_such_file"):
        expander.expand('```python\n--8<-- "lessons_src/no_such_file.py:x"\n```')


def test_page_code_does_not_inherit_future_imports():
    # 类型注解里用到未导入的名字：读者运行时会报 NameError，测试也必须报错
    with pytest.raises(NameError, match="Sequence"):
        run_page(make_page(code("python", "def f(x: Sequence) -> int:\n    return 1")))
