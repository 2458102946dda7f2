"""每个课程页面都可以下载成 Jupyter 笔记本；docs/ 中的笔记本页面带着构建时的执行结果渲染。

- 课程页面：笔记本（``<页面名>.ipynb``）由 :func:`lessons_src._site.notebook.page_to_notebook` 生成，
  代码单元就是页面上的代码块，输出是构建时执行的结果；页面标题下方放一个下载按钮。有练习的页面另有一本
  附参考答案的笔记本（``<页面名>-answers.ipynb``），课程笔记本里只有题目，读者先自己做；
- docs/ 中的笔记本页面（由 mkdocs-jupyter 渲染）：仓库里的笔记本不保存输出，这里把带输出的副本写进缓存目录，
  mkdocs-jupyter 读到的是副本；它在页面里插入的第三方脚本（MathJax、Mermaid 的 CDN 地址）被去掉，
  公式统一由网站自带的 KaTeX 渲染。
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from lessons_src._site import registry
from lessons_src._site.cache import cache_dir_for
from lessons_src._site.exercises import answer_spans
from lessons_src._site.notebook import notebook_outputs, page_to_notebook

_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.DOTALL | re.IGNORECASE)
_THIRD_PARTY = re.compile(
    r"""src=["']?(?:["']|(?:https?:)?//)|["'](?:https?:)?//[^"']+\.m?js\b|text/x-mathjax-config""", re.IGNORECASE
)


@event_priority(90)  # 在执行钩子之后（要用执行结果），在 mkdocs-jupyter 之前（它要读到执行过的笔记本）
def on_files(files: Files, *, config: MkDocsConfig) -> Files:
    site_url = config.site_url or ""
    for built in registry.pages.values():
        file = built.file
        if built.notebook:
            _use_executed_copy(built, config)
            continue
        src = Path(file.src_uri)
        folder = "" if str(src.parent) == "." else f"{src.parent.as_posix()}/"
        title = built.page.meta.get("title") or _first_heading(built.page.expanded) or src.stem
        common = dict(title=title, source_url=site_url + file.url if site_url else None,
                      results=built.run.results, site_url=site_url, page_path=file.src_uri)
        names = _notebook_names(built)
        for name, answers in names:
            notebook = page_to_notebook(built.page, answers=answers, answers_notebook=names[-1][0], **common)
            content = nbformat.v4.nbjson.writes(notebook)  # 不再校验：page_to_notebook 的输出由测试校验
            files.append(File.generated(config, f"{folder}{name}", content=content))
    return files


def _use_executed_copy(built: registry.BuiltPage, config: MkDocsConfig) -> None:
    file = built.file
    notebook = nbformat.read(file.abs_src_path, as_version=4)
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    for count, (cell, result) in enumerate(zip(code_cells, built.run.results), start=1):
        cell.outputs = [nbformat.from_dict(output) for output in notebook_outputs(result)]
        cell.execution_count = count
    copy = cache_dir_for(config.config_file_path) / "notebooks" / file.src_uri
    copy.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, copy)
    # mkdocs-jupyter 由 src_dir 和 src_uri 重新拼出源文件路径，所以两者都要指向副本
    file.src_dir = str(copy.parents[len(Path(file.src_uri).parts) - 1])
    file.abs_src_path = str(copy)


def _notebook_names(built: registry.BuiltPage) -> list[tuple[str, bool]]:
    """一页的笔记本 ``[(文件名, 是否附参考答案)]``：没有练习答案的页面只有一本（完整的一页）。"""
    stem = Path(built.file.src_uri).stem
    if not answer_spans(built.page.expanded):
        return [(f"{stem}.ipynb", True)]
    return [(f"{stem}.ipynb", False), (f"{stem}-answers.ipynb", True)]


def _first_heading(text: str) -> str | None:
    match = re.search(r"^#\s+(.+?)\s*$", text, re.MULTILINE)
    return match.group(1) if match else None


def on_page_markdown(markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str | None:
    built = registry.pages.get(page.file.src_uri)
    if built is None or built.notebook:
        return None
    button = ""
    for name, answers in _notebook_names(built):
        label = "下载附参考答案的笔记本" if answers and name.endswith("-answers.ipynb") else "下载本页的 Jupyter 笔记本"
        button += (
            f"[:material-notebook-outline: {label}]({name})"
            f'{{ .md-button .lesson-notebook download="{name}" }}\n'
        )
    match = re.search(r"^#\s+.+$", markdown, re.MULTILINE)
    if match is None:
        return button + "\n" + markdown
    return markdown[: match.end()] + "\n\n" + button + markdown[match.end() :]


def on_page_content(html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str | None:
    if not page.file.src_uri.endswith(".ipynb"):
        return None
    return _SCRIPT.sub(lambda match: "" if _THIRD_PARTY.search(match.group(0)) else match.group(0), html)
