"""每个课程页面生成的 Jupyter 笔记本都要能从头运行到尾；docs/ 中的笔记本页面也一样。

笔记本由 lessons_src/_site/notebook.py 生成，网站构建时用的是同一个函数。

- 每一页：笔记本的代码单元与页面上的 ``python`` 代码块逐字相同、顺序相同，是合法的 nbformat v4
  笔记本。这些代码块由文档测试（tests/harness.py）在同一个命名空间里逐块执行过，所以这里不再
  为每一页重复执行一遍。
- 在真正的 Jupyter 内核里从头到尾执行的，是内核环境与文档测试可能不同的页面（``KERNEL_PAGES``：
  画图、多进程读取数据、子进程、读写当前目录的文件、选择设备），以及 docs/ 中的笔记本页面。
  设置环境变量 ``ALL_NOTEBOOKS=1`` 时，每一页的笔记本都在内核里执行。
"""

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from lessons_src._site.execute import compare_output
from lessons_src._site.exercises import answer_spans
from lessons_src._site.notebook import absolute_links, markdown_for_notebook, page_to_notebook
from lessons_src._site.pages import scan_fences
from tests.harness import DOCS, ROOT, lesson_page

LESSON_PAGES = sorted(path for path in DOCS.rglob("*.md") if lesson_page(path).blocks)
NOTEBOOK_PAGES = sorted(DOCS.rglob("*.ipynb"))

# 在内核里执行的页面，以及选它们的原因（内核与文档测试的执行环境在这些地方可能不同）
KERNEL_PAGES = {
    "mlp/activation-functions.md": "画图：图作为单元最后一个表达式显示",
    "deep-learning-computation/read-write.md": "读写当前工作目录中的文件",
    "deep-learning-computation/use-gpu.md": "选择设备，没有 GPU 时的回退路径",
    "workflow/speed.md": "在内核里用 num_workers > 0 的 DataLoader 启动工作进程",
    "workflow/distributed.md": "在内核里用 spawn 启动进程组的各个进程，并在子进程里运行 torchrun",
}
if os.environ.get("ALL_NOTEBOOKS") == "1":
    KERNEL_PAGES = {str(path.relative_to(DOCS)): "ALL_NOTEBOOKS=1" for path in LESSON_PAGES}


def execute(notebook: nbformat.NotebookNode, workdir: Path) -> nbformat.NotebookNode:
    resources = {"metadata": {"path": str(workdir)}}
    client = NotebookClient(notebook, timeout=600, kernel_name="python3", resources=resources)
    return client.execute()


def stdout_of(cell: nbformat.NotebookNode) -> str:
    """一个单元打印的内容，加上它最后一个表达式的值（Jupyter 的 Out[n]；图除外，页面把图画在网页上）。"""
    pieces = []
    for output in cell.outputs:
        if output.output_type == "stream" and output.name == "stdout":
            pieces.append(output.text)
        elif output.output_type == "execute_result" and not any(kind.startswith("image/") for kind in output.data):
            pieces.append(output.data.get("text/plain", "") + "\n")
    return "".join(pieces)


@pytest.mark.parametrize("path", LESSON_PAGES, ids=[str(p.relative_to(DOCS)) for p in LESSON_PAGES])
def test_lesson_notebook_has_exactly_the_page_code(path):
    page = lesson_page(path)
    notebook = page_to_notebook(page, title=path.stem)
    nbformat.validate(notebook)
    code_cells = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    assert code_cells == [block.source.rstrip("\n") for block in page.blocks]
    assert all("--8<--" not in cell for cell in code_cells)


@pytest.mark.parametrize("path", LESSON_PAGES, ids=[str(p.relative_to(DOCS)) for p in LESSON_PAGES])
def test_lesson_notebook_without_answers_keeps_every_other_block(path):
    """课程笔记本（读者先自己做练习的那本）：参考答案里的代码块换成空单元，其余代码块一个不少、顺序不变。"""
    page = lesson_page(path)
    spans = answer_spans(page.expanded)
    notebook = page_to_notebook(page, title=path.stem, answers=False, answers_notebook=f"{path.stem}-answers.ipynb")
    nbformat.validate(notebook)
    code_cells = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    python_fences = [fence for fence in scan_fences(page.expanded) if fence.language == "python"]
    lesson_blocks = [block.source.rstrip("\n") for block, fence in zip(page.blocks, python_fences)
                     if not any(start <= fence.start < end for start, end in spans)]
    placeholders = [f"# 练习 {number}：在这里写你的答案" for number in range(1, len(spans) + 1)]
    assert [cell for cell in code_cells if not cell.startswith("# 练习 ")] == lesson_blocks
    assert [cell for cell in code_cells if cell.startswith("# 练习 ")] == placeholders
    if spans:
        assert f"{path.stem}-answers.ipynb" in notebook.cells[0].source


def test_kernel_pages_exist():
    for name in KERNEL_PAGES:
        assert DOCS / name in LESSON_PAGES, name


@pytest.mark.notebook
@pytest.mark.parametrize("name", sorted(KERNEL_PAGES), ids=sorted(KERNEL_PAGES))
def test_lesson_notebook_runs_top_to_bottom(name, tmp_path):
    """在内核里从头运行下载的笔记本：每个单元的输出都要与页面上的 output 块相符（与文档测试同一个比较规则）。"""
    page = lesson_page(DOCS / name)
    executed = execute(page_to_notebook(page, title=Path(name).stem), tmp_path)
    cells = [cell for cell in executed.cells if cell.cell_type == "code"]
    assert len(cells) == len(page.blocks)
    for block, cell in zip(page.blocks, cells):
        if block.output is not None:
            difference = compare_output(block.output.text, stdout_of(cell), tolerance=block.output.tolerance)
            assert difference is None, f"{page.path}:{block.output.line}: {difference}"


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOK_PAGES, ids=[str(p.relative_to(DOCS)) for p in NOTEBOOK_PAGES])
def test_notebook_page_runs_and_stores_no_outputs(path, tmp_path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, "笔记本页面不能带着手工保存的输出提交"
    execute(notebook, tmp_path)


def test_lesson_pages_are_found():
    assert DOCS / "mlp" / "activation-functions.md" in LESSON_PAGES


def test_site_markup_is_rewritten_for_jupyter():
    text = '!!! warning "小心"\n\n    缩进的说明。\n\n=== "从零实现"\n\n    正文\n\n<!-- skip: next "x" -->\n普通段落'
    converted = markdown_for_notebook(text)
    assert converted.splitlines() == ["**小心**", "", "缩进的说明。", "", "**从零实现**", "", "正文", "", "普通段落"]


def test_notebook_cells_follow_the_page():
    text = "# 标题\n\n说明\n\n```python\nx = 1\nprint(x)\n```\n\n```output\n1\n```\n\n结尾\n"
    notebook = page_to_notebook(lesson_page(ROOT / "docs" / "t.md", text), title="标题")
    nbformat.validate(notebook)
    kinds = [(cell.cell_type, cell.source) for cell in notebook.cells]
    assert kinds[1:] == [("markdown", "# 标题\n\n说明"), ("code", "x = 1\nprint(x)"), ("markdown", "结尾")]
    assert "《标题》" in kinds[0][1]


def test_relative_links_become_site_addresses_in_prose_only():
    text = "见[划分](data-split.md#分层划分)。\n\n```python\nprint('[x](a.md)')\n```\n\n[首页](../index.md)、[外部](https://x.org/a.md)、[本页](#小结)\n"
    notebook = page_to_notebook(lesson_page(ROOT / "docs" / "t.md", text), title="t", site_url="https://s.org/g/",
                                page_path="workflow/speed.md")
    markdown = [cell.source for cell in notebook.cells[1:] if cell.cell_type == "markdown"]
    assert markdown == [
        "见[划分](https://s.org/g/workflow/data-split/#分层划分)。",
        "[首页](https://s.org/g/)、[外部](https://x.org/a.md)、[本页](#小结)",
    ]
    assert [cell.source for cell in notebook.cells if cell.cell_type == "code"] == ["print('[x](a.md)')"]
    assert absolute_links("[a](sub/index.md)", site_url="https://s/", page_path="index.md") == "[a](https://s/sub/)"
