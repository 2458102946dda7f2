"""文档测试框架本身的测试：它必须能发现页面上的错误，而不只是在一切正确时通过。"""

import unittest
from pathlib import Path

import pytest
from sybil.example import SybilFailure

from lessons_src._site.execute import compare_output, updated_output
from tests.harness import DOCS, ROOT, PageDocument, _update_page, lesson_page, page_run

PAGES = sorted(DOCS.rglob("*.md"))
FENCE = "```"


def code(language: str, body: str) -> str:
    return f"{FENCE}{language}\n{body}\n{FENCE}"


def make_page(*blocks: str, front_matter: str = "") -> PageDocument:
    return PageDocument.from_text(front_matter + "\n\n".join(blocks) + "\n", str(ROOT / "docs" / "virtual.md"))


def run_page(document: PageDocument) -> None:
    for example in document.examples():
        example.evaluate()


@pytest.mark.parametrize("path", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_every_block_on_every_page_is_executed(path):
    assert lesson_page(path).problems == ()


def test_pages_exist():
    assert any(path.name == "activation-functions.md" for path in PAGES)


def test_snippets_are_expanded_like_the_site():
    page = lesson_page(DOCS / "mlp" / "activation-functions.md")
    assert "--8<--" not in page.expanded
    assert any("def sigmoid(x: torch.Tensor) -> torch.Tensor:" in source for source in page.sources)
    assert "[start:" not in page.expanded and "[end:" not in page.expanded


def test_included_lines_know_their_module_line():
    page = lesson_page(DOCS / "mlp" / "activation-functions.md")
    block = next(b for b in page.blocks if "def sigmoid(" in b.source)
    number = block.source.splitlines().index(next(line for line in block.source.splitlines() if "def sigmoid(" in line))
    origin = block.origins[number]
    module = (ROOT / origin.path).read_text("utf-8").splitlines()
    assert origin.path == "lessons_src/mlp/activation_functions.py"
    assert module[origin.line - 1].strip().startswith("def sigmoid(")


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


def test_numbers_must_be_correctly_rounded():
    run_page(make_page(code("python", "print(0.9372549653053284)"), code("output", "0.94")))
    run_page(make_page(code("python", "print(0.9372549653053284)"), code("output", "0.937")))
    with pytest.raises(SybilFailure, match="页面写 1.0，实际为 0.9372549653053284（允许误差 0.05）"):
        run_page(make_page(code("python", "print(0.9372549653053284)"), code("output", "1.0")))
    with pytest.raises(SybilFailure, match="页面写 0.93"):  # 0.9373 舍入到两位是 0.94，不是 0.93
        run_page(make_page(code("python", "print(0.9373)"), code("output", "0.93")))
    assert compare_output("7", "7.0") is None
    assert compare_output("7", "7.4") is not None


def test_tolerance_directive_loosens_the_comparison():
    run_page(make_page(code("python", "print(0.93)"), "<!-- tolerance: 0.05 -->", code("output", "0.95")))
    with pytest.raises(SybilFailure, match="允许误差 0.01"):
        run_page(make_page(code("python", "print(0.93)"), "<!-- tolerance: 0.01 -->", code("output", "0.95")))


def test_ellipsis_matches_what_varies():
    run_page(make_page(code("python", "print('用时 0.0123 秒')"), code("output", "用时 ... 秒")))


def test_printed_output_must_be_shown():
    with pytest.raises(SybilFailure, match="没有紧跟一个 output 块"):
        run_page(make_page(code("python", "print('hidden')")))


def test_last_expression_counts_as_output_like_jupyter():
    run_page(make_page(code("python", "x = 41\nx + 1"), code("output", "42")))
    with pytest.raises(SybilFailure, match="没有紧跟一个 output 块"):
        run_page(make_page(code("python", "x = 41\nx + 1")))


def test_output_block_needs_its_code_block():
    assert "前面没有紧挨着的 python 代码块" in make_page(code("output", "42")).page.problems[0]
    twice = make_page(code("python", "print(1)"), code("output", "1"), code("output", "1"))
    assert len(twice.page.problems) == 1 and "output 块前面没有紧挨着" in twice.page.problems[0]
    prose = make_page(code("python", "print(1)"), "中间有一段话。", code("output", "1"))
    assert "virtual.md:7:" in prose.page.problems[0]


FIGURE = "from matplotlib.figure import Figure\nfigure = Figure()\nfigure.set_label('{label}')\nfigure"


def test_figures_are_collected_with_their_chinese_alt_text():
    document = make_page(code("python", FIGURE.format(label="一张图")))
    run_page(document)
    [result] = page_run(document).results
    assert [figure.alt for figure in result.figures] == ["一张图"]
    assert result.figures[0].svg.lstrip().startswith(("<?xml", "<svg"))


def test_figures_need_chinese_alt_text():
    with pytest.raises(SybilFailure, match="图缺少中文说明"):
        run_page(make_page(code("python", FIGURE.format(label="a plot"))))


def test_namespace_is_shared_within_a_page():
    run_page(make_page(code("python", "x = 2"), code("python", "print(x * 21)"), code("output", "42")))


def test_doctest_style_blocks_are_rejected():
    problems = make_page(code("python", ">>> 1 + 1\n2")).page.problems
    assert len(problems) == 1 and "以 >>> 开头" in problems[0]


def test_a_failing_block_names_its_line_on_disk_and_in_the_module(tmp_path):
    """出错的代码块：报告磁盘上页面的行号（含 front matter、片段展开之前）和片段所在模块的行号。"""
    included = code("python", '--8<-- "lessons_src/mlp/activation_functions.py:sigmoid"\nsigmoid(3)')
    document = make_page(
        code("python", "import torch\nfrom lessons_src.checks import require_tensor"),
        included,
        code("python", "print('后面')"),
        code("output", "后面"),
        front_matter="---\ntitle: 例子\n---\n\n",
    )
    examples = list(document.examples())
    assert [example.line for example in examples] == [5, 10, 15]
    examples[0].evaluate()
    with pytest.raises(SybilFailure) as failure:
        examples[1].evaluate()
    message = str(failure.value)
    assert "docs/virtual.md:10: 第 2 个 python 代码块出错" in message
    assert "lessons_src/mlp/activation_functions.py:" in message and "（sigmoid）" in message
    assert "lessons_src/checks.py:" in message and "TypeError: " in message
    assert "  lessons_src/mlp/activation_functions.py:" in message and " | def sigmoid(" in message  # 代码的前几行
    assert "harness.py" not in message and "execute.py" not in message and "concurrent" not in message
    with pytest.raises(SybilFailure, match="没有执行：前面 docs/virtual.md:10 的代码块出错"):
        examples[2].evaluate()


def test_exceptions_in_blocks_fail_with_the_block_line():
    expected = r"virtual.md:1: 第 1 个 python 代码块出错[\s\S]*在 docs/virtual.md:4[\s\S]*ZeroDivisionError"
    with pytest.raises(SybilFailure, match=expected):
        run_page(make_page(code("python", "x = 1\n\n1 / 0")))


def test_skip_with_reason_is_skipped_and_not_executed():
    document = make_page('<!-- skip: next "需要 GPU" -->\n\n' + code("python", "raise RuntimeError"),
                         code("python", "print('还会执行')"), code("output", "还会执行"))
    examples = list(document.examples())
    with pytest.raises(unittest.SkipTest, match="需要 GPU"):
        examples[0].evaluate()
    examples[1].evaluate()
    assert page_run(document).results[0].status == "skipped"


@pytest.mark.parametrize(
    ("block", "problem"),
    [
        (code("py", "x = 1"), "不会被执行"),
        (code("python3", "x = 1"), "不会被执行"),
        (code("pycon", ">>> 1"), "不会被执行"),
        (code('python title="a.py"', "x = 1"), "信息串只能是 'python'"),
        (code("output title=x", "1"), "信息串只能是 'output'"),
        ("<!-- skip: next -->\n\n" + code("python", "x = 1"), "必须写明原因"),
        ("<!-- skip: start -->\n\n" + code("python", "x = 1"), "只支持"),
        ("<!-- tolerance: 0.1 -->\n\n" + code("python", "x = 1"), "tolerance 指令只能写在"),
        ("=== \"标签页\"\n\n    " + code("py", "x = 1").replace("\n", "\n    "), "不会被执行"),
    ],
)
def test_page_problems_are_found(block, problem):
    problems = make_page(block).page.problems
    assert len(problems) == 1
    assert problem in problems[0]


def test_indented_blocks_and_other_languages_are_fine():
    tabbed = '=== "从零实现"\n\n    ' + code("python", "x = 1").replace("\n", "\n    ")
    document = make_page(tabbed, code("bash", "echo not python"))
    assert document.page.problems == ()
    assert len(document.page.blocks) == 1 and document.page.blocks[0].indent == "    "


def test_missing_snippet_is_an_error():
    with pytest.raises(Exception, match="no_such_file"):
        make_page(code("python", '--8<-- "lessons_src/no_such_file.py:x"'))


def test_page_code_does_not_inherit_future_imports():
    # 类型注解里用到未导入的名字：读者运行时会报 NameError，测试也必须报错
    with pytest.raises(SybilFailure, match="NameError"):
        run_page(make_page(code("python", "def f(x: Sequence) -> int:\n    return 1")))


def test_updated_output_keeps_ellipses_and_good_numbers():
    assert updated_output("0.94", "0.9372\n") == "0.94"
    assert updated_output("1.0", "0.9372549653053284\n") == "0.9372549653053284\n"
    assert updated_output("开始\n...\n结束 0.50", "开始\n第 1 轮\n第 2 轮\n结束 0.4321\n") == "开始\n...\n结束 0.4321\n"
    assert updated_output("用时 ... 秒，准确率 0.99", "用时 3.2 秒，准确率 0.9512\n") == "用时 ... 秒，准确率 0.9512\n"
    assert updated_output("a 1\n...\nz 9", "a 1\nnew line\nz 9\nextra\n") == "a 1\n...\nz 9\nextra\n"


def test_update_outputs_rewrites_the_page(tmp_path: Path):
    page_file = tmp_path / "page.md"
    text = (
        "# 标题\n\n"
        + code("python", "print(0.9372549653053284)")
        + "\n\n<!-- tolerance: 0.001 -->\n"
        + code("output", "1.0")
        + "\n\n"
        + code("python", "print('新的')") + "\n\n"
        + '=== "标签"\n\n    ' + code("python", "print('a')\nprint('用时 1.5 秒')").replace("\n", "\n    ")
        + "\n\n    " + code("output", "b\n用时 ... 秒").replace("\n", "\n    ") + "\n\n"
        + code("python", "x = 1") + "\n\n" + code("output", "多余的") + "\n\n结尾\n"
    )
    page_file.write_text(text, "utf-8")
    document = PageDocument.from_text(text, str(page_file))
    updated = _update_page(page_file, document.page, page_run(document))
    assert len(updated) == 4
    new = page_file.read_text("utf-8")
    assert "<!-- tolerance: 0.001 -->\n```output\n0.9372549653053284\n```" in new
    assert "print('新的')\n```\n\n```output\n新的\n```\n" in new
    assert "    ```output\n    a\n    用时 ... 秒\n    ```" in new
    assert "多余的" not in new and new.endswith("x = 1\n```\n\n结尾\n")
    again = PageDocument.from_text(new, str(page_file))
    assert again.page.problems == ()
    run_page(again)
