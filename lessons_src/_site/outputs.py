"""把页面上的 ``output`` 块改成代码实际打印的内容：网站构建（``mkdocs serve`` 显示）和
``pytest --update-outputs``（改写页面文件）用的是同一份改动。"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lessons_src._site.execute import BlockResult, compare_output, updated_output
from lessons_src._site.pages import LessonPage

__all__ = ["Edit", "apply_edits", "indented", "output_edits"]


@dataclass(frozen=True)
class Edit:
    """把文字中 ``[start, end)`` 换成 ``text``；``what`` 说明改了什么（``路径:行号``）。"""

    start: int
    end: int
    text: str
    what: str = ""


def indented(text: str, indent: str) -> str:
    """给每个非空行加上缩进（标签页、提示框里的代码块有缩进），以换行结尾。"""
    return "".join(f"{indent}{line}" if line.strip() else line for line in text.rstrip("\n").splitlines(True)) + "\n"


def output_edits(page: LessonPage, results: Sequence[BlockResult]) -> dict[int, Edit]:
    """与代码实际打印的不符的 output 块怎样改：换成实际输出（保留 ``...`` 行），补上缺少的，删去多余的。

    Returns:
        代码块序号 → 改动（位置相对 ``page.text``）。
    """
    edits: dict[int, Edit] = {}
    for block, result in zip(page.blocks, results):
        if result.status != "ok":
            continue
        shown = block.output
        stdout = result.stdout if result.stdout.strip() else ""
        if shown is None:
            if stdout:
                fence = f"\n{block.indent}```output\n{indented(stdout, block.indent)}{block.indent}```\n"
                edits[block.index] = Edit(block.end, block.end, fence, f"{page.path}:{block.line}（补上 output 块）")
        elif not stdout:
            what = f"{page.path}:{shown.line}（删去 output 块：代码不再打印）"
            edits[block.index] = Edit(block.end, shown.fence_end, "", what)
        elif compare_output(shown.text, stdout, tolerance=shown.tolerance) is not None:
            new = updated_output(shown.text, stdout, tolerance=shown.tolerance)
            edits[block.index] = Edit(shown.start, shown.end, indented(new, shown.indent), f"{page.path}:{shown.line}")
    return edits


def apply_edits(text: str, edits: Sequence[Edit], *, offset: int = 0) -> str:
    """依次应用改动（位置减去 ``offset``）；同一位置的几处插入，按列表中的先后出现在文字里。"""
    for _, edit in sorted(enumerate(edits), key=lambda item: (item[1].start, item[0]), reverse=True):
        text = text[: edit.start - offset] + edit.text + text[edit.end - offset :]
    return text
