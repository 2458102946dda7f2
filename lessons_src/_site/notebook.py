"""把页面转换成 Jupyter 笔记本：文字成为 Markdown 单元，``python`` 代码块成为代码单元。

输入是 :func:`lessons_src._site.pages.load_page` 读出的页面。写在页面上的 ``output``
块不进笔记本（读者运行后自己会看到输出）；构建时执行得到的输出和图作为单元的输出附上。

有练习的页面生成两本笔记本：课程笔记本（``answers=False``）里只有题目，每道题的参考答案换成一个空的代码单元，
读者先自己做；“附参考答案”的笔记本（``answers=True``）是完整的一页，从头运行到尾与网页相同。
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from typing import Any

import nbformat

from lessons_src._site.execute import BlockResult
from lessons_src._site.exercises import answer_spans
from lessons_src._site.pages import LessonPage, scan_fences

__all__ = ["absolute_links", "markdown_for_notebook", "notebook_outputs", "page_to_notebook"]

_BLOCK_TITLE = re.compile(
    r'^(?P<indent>[ \t]*)(?:===|!!!|\?\?\?\+?)[ \t]*(?P<kind>[\w-]+)?[ \t]*(?:"(?P<title>[^"]*)")?[ \t]*$'
)
_COMMENT = re.compile(r"<!--.*?-->\n?", re.DOTALL)
_ATTR_LIST = re.compile(r"\{\s*[.#][^}\n]*\}")
_LINK_TARGET = re.compile(r"(?<=\]\()(?![a-zA-Z][\w+.-]*:|#|/)([^)\s]+)(?=[)\s])")

_ADMONITION_TITLES = {
    "note": "注意",
    "tip": "提示",
    "warning": "警告",
    "danger": "危险",
    "info": "说明",
    "example": "例子",
    "question": "问题",
    "abstract": "摘要",
    "success": "成功",
    "failure": "失败",
    "bug": "缺陷",
    "quote": "引用",
}


def markdown_for_notebook(text: str) -> str:
    """把网站专用的 Markdown 写法改成 Jupyter 能显示的写法。

    - 内容标签页 ``=== "标题"`` 和提示框 ``!!! warning "标题"`` 变成加粗的标题，
      其下缩进的内容取消缩进（否则 Jupyter 会把它当作代码）；
    - HTML 注释（文档测试的指令）和 ``{ .md-button }`` 这类属性列表被删去。
    """
    text = _COMMENT.sub("", text)
    text = _ATTR_LIST.sub("", text)
    lines = text.split("\n")
    out: list[str] = []
    dedent_stack: list[int] = []
    for line in lines:
        stripped = line.strip()
        current_indent = len(line) - len(line.lstrip())
        while dedent_stack and stripped and current_indent < dedent_stack[-1]:
            dedent_stack.pop()
        removable = dedent_stack[-1] if dedent_stack else 0
        if stripped and line[:removable].strip() == "":
            line = line[removable:]
        match = _BLOCK_TITLE.match(line)
        if match:
            kind = match.group("kind") or ""
            title = match.group("title")
            if title is None:
                title = _ADMONITION_TITLES.get(kind.lower(), kind)
            out.append(f"{match.group('indent')}**{title}**" if title else "")
            dedent_stack.append(removable + len(match.group("indent")) + 4)
            continue
        out.append(line)
    return "\n".join(out).strip("\n")


def absolute_links(text: str, *, site_url: str, page_path: str) -> str:
    """把页面中的相对链接改成网站上的绝对地址：笔记本离开了网站，相对的 ``.md`` 链接在 Jupyter 里打不开。

    Args:
        text: 页面正文（Markdown）。
        site_url: 网站根地址，以 ``/`` 结尾。
        page_path: 页面在 docs/ 中的路径，例如 ``workflow/training-workflow.md``。

    Examples:
        >>> absolute_links("见[划分](data-split.md#分层划分)和[张量](../preliminaries/ndarray.md)。",
        ...                site_url="https://example.org/guide/", page_path="workflow/training-workflow.md")
        '见[划分](https://example.org/guide/workflow/data-split/#分层划分)和[张量](https://example.org/guide/preliminaries/ndarray/)。'
    """

    def rewrite(match: re.Match[str]) -> str:
        target, _, anchor = match.group(1).partition("#")
        path = posixpath.normpath(posixpath.join(posixpath.dirname(page_path), target)) if target else page_path
        if path.endswith(".md"):  # 页面的地址是目录形式：a/b.md → a/b/，a/index.md → a/
            page = path.removesuffix(".md")
            page = "" if page == "index" else page.removesuffix("/index")
            path = f"{page}/" if page else ""
        return site_url + path + (f"#{anchor}" if anchor else "")

    return _LINK_TARGET.sub(rewrite, text)


def page_to_notebook(
    page: LessonPage,
    *,
    title: str,
    source_url: str | None = None,
    results: Sequence[BlockResult] | None = None,
    site_url: str | None = None,
    page_path: str | None = None,
    answers: bool = True,
    answers_notebook: str | None = None,
) -> nbformat.NotebookNode:
    """把页面转换成笔记本：文字成为 Markdown 单元，``page.blocks`` 成为代码单元。

    Args:
        page: :func:`lessons_src._site.pages.load_page` 读出的页面。
        title: 页面标题，写进笔记本开头的说明。
        source_url: 网页地址；给出时写进开头的说明。
        results: 构建时执行得到的结果，与页面上的代码块一一对应；给出时作为单元的输出。
        site_url: 网站根地址；与 ``page_path`` 一起给出时，文字中的相对链接改成网站上的绝对地址。
        page_path: 页面在 docs/ 中的路径。
        answers: 为 ``False`` 时去掉练习的参考答案（连同其中的代码块），每道题后面留一个空的代码单元。
        answers_notebook: 附参考答案的笔记本的文件名，写进开头的说明。
    """
    text = page.expanded
    fences = [fence for fence in scan_fences(text) if fence.language in ("python", "output")]
    if sum(fence.language == "python" for fence in fences) != len(page.blocks):
        raise ValueError(f"{page.path}: 页面的 python 代码块与读出的代码块数目不一致")
    if results is not None and len(results) != len(page.blocks):
        raise ValueError(f"执行结果有 {len(results)} 个，页面却有 {len(page.blocks)} 个 python 代码块")

    spans = answer_spans(text)
    intro = f"本笔记本由网页《{title}》生成，代码与网页上完全相同。"
    if source_url:
        intro += f"网页地址：<{source_url}>。"
    intro += "运行前请先安装本指南的课程代码包 `lessons_src`（见网站的“安装”一页）。"
    if spans and not answers:
        intro += "末尾的练习没有附答案，每道题后面留了一个空的代码单元"
        intro += f"；参考答案在另一本笔记本 `{answers_notebook}` 里。" if answers_notebook else "。"
    elif spans:
        intro += "这一本附有练习的参考答案（在每道题的“参考答案”之后）。"
    cells: list[dict[str, Any]] = [_markdown_cell(intro)]

    def add_markdown(chunk: str) -> None:
        if site_url and page_path:
            chunk = absolute_links(chunk, site_url=site_url, page_path=page_path)
        converted = markdown_for_notebook(chunk)
        if converted.strip():
            cells.append(_markdown_cell(converted))

    python_fences = [fence for fence in fences if fence.language == "python"]
    block_at = {fence.start: block for fence, block in zip(python_fences, page.blocks)}
    hidden = [] if answers else spans
    events = [(fence.start, fence.end, fence) for fence in fences
              if not any(start <= fence.start < end for start, end in hidden)]
    events += [(start, end, None) for start, end in hidden]
    position = removed = 0
    for start, end, fence in sorted(events, key=lambda event: event[0]):
        add_markdown(text[position:start])
        position = end
        if fence is None:  # 去掉的参考答案：留一个空单元给读者
            removed += 1
            cells.append(_code_cell(f"# 练习 {removed}：在这里写你的答案", None, count=0))
            continue
        if fence.language == "output":
            continue
        block = block_at[fence.start]
        result = results[block.index] if results is not None else None
        cells.append(_code_cell(block.source.rstrip("\n"), result, count=block.index + 1))
    add_markdown(text[position:])
    for index, cell in enumerate(cells):
        cell["id"] = f"cell-{index}"
    # 逐个单元用 nbformat 的构造函数会对每个单元做一次 JSON Schema 校验，构建时太慢；测试校验完整的笔记本
    return nbformat.from_dict({
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
        "cells": cells,
    })


def _markdown_cell(source: str) -> dict[str, Any]:
    return {"cell_type": "markdown", "metadata": {}, "source": source}


def _code_cell(source: str, result: BlockResult | None, *, count: int) -> dict[str, Any]:
    outputs = notebook_outputs(result) if result is not None else []
    ran = result is not None and result.status in ("ok", "error")
    return {"cell_type": "code", "metadata": {}, "source": source, "outputs": outputs,
            "execution_count": count if ran else None}


def notebook_outputs(result: BlockResult) -> list[dict[str, Any]]:
    """把一个代码块的执行结果变成笔记本单元的输出列表。"""
    outputs: list[dict[str, Any]] = []
    if result.stdout:
        outputs.append({"output_type": "stream", "name": "stdout", "text": result.stdout})
    for figure in result.figures:
        outputs.append({"output_type": "display_data", "metadata": {},
                        "data": {"image/svg+xml": figure.svg, "text/plain": f"<图：{figure.alt}>"}})
    if result.error is not None:
        outputs.append({"output_type": "error", "ename": result.error.type, "evalue": result.error.message,
                        "traceback": [f"在 {where}" for where, _ in result.error.frames] + [result.error.summary()]})
    return outputs
