"""构建时执行每一个课程页面（``mkdocs build`` 和 ``mkdocs serve`` 都是如此）。

- 每个含 ``python`` 代码块的页面和 docs/ 中的笔记本都经由 :func:`lessons_src._site.cache.run_pages`
  执行：每页一个新进程（总是导入磁盘上最新的课程代码），结果按页面代码和它用到的模块缓存，
  所以改动一个模块只会重新执行导入了它的页面；
- 页面上每个 ``output`` 块都与它的代码块实际打印的内容比较。不一致时记一条警告
  （``mkdocs build --strict`` 因此失败），网页上显示代码实际打印的内容；
- 代码块出错时记一条警告，写明 ``docs/<页面>.md:<行号>``、片段所在模块的行号、异常和代码的前几行，
  网页上在这个代码块下面显示同样的说明；页面的其余部分和其他页面照常构建，``mkdocs serve`` 继续提供服务；
- 代码块画出的图存成 SVG，插在这个代码块之后。
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from lessons_src._site import registry
from lessons_src._site.cache import cache_dir_for, project_dependencies, run_pages
from lessons_src._site.execute import compare_output, format_failure
from lessons_src._site.outputs import Edit, apply_edits, output_edits
from lessons_src._site.pages import CodeBlock, LessonPage, SnippetExpander, load_notebook, load_page

log = logging.getLogger("mkdocs.hooks.lessons")

#: ``mkdocs serve --dirty``：MkDocs 只重新渲染 .md 文件比输出新的页面。课程代码改了、页面文件却没改时，
#: 引用它的页面（和 API 参考页）也要重新渲染：记下每页上次渲染的内容的指纹，变了就删掉旧的输出文件。
_dirty = False
_rendered: dict[str, str] = {}  # src_uri → 指纹；钩子模块在 mkdocs serve 的各次重建之间只加载一次
_API_LINE = re.compile(r"^:::\s+([\w.]+)\s*$", re.MULTILINE)


def on_startup(*, command: str, dirty: bool) -> None:
    global _dirty
    _dirty = dirty


def on_config(config: MkDocsConfig, **_: Any) -> MkDocsConfig:
    registry.pages.clear()
    return config


@event_priority(100)  # 先于 mkdocs-jupyter 和笔记本钩子：它们要用到执行结果
def on_files(files: Files, *, config: MkDocsConfig) -> Files:
    root = Path(config.config_file_path).resolve().parent
    expander = SnippetExpander.from_mkdocs_config(config)
    found: list[tuple[File, LessonPage, bool]] = []
    for file in files:
        if file.generated_by or not file.abs_src_path:
            continue
        if file.src_uri.endswith(".md"):
            page = load_page(file.abs_src_path, expander, root=root, text=file.content_string)
            for problem in page.problems:
                log.warning(problem)
            if page.blocks:
                found.append((file, page, False))
        elif file.src_uri.endswith(".ipynb"):
            found.append((file, load_notebook(file.abs_src_path, root=root), True))

    runs = run_pages([page for _, page, _ in found], root=root, cache_dir=cache_dir_for(config.config_file_path),
                     workers=os.cpu_count() or 1)
    for file, page, notebook in found:
        built = registry.BuiltPage(file, page, runs[page.path], notebook=notebook)
        _report(built)
        _add_figures(built, files, config)
        registry.pages[file.src_uri] = built
    if _dirty:
        _expire_changed_pages(files, root, {file.src_uri: (page, runs[page.path]) for file, page, _ in found})
    return files


def _expire_changed_pages(files: Files, root: Path, lessons: dict[str, tuple[LessonPage, Any]]) -> None:
    """``--dirty`` 时，删掉内容变了（代码块、执行结果、API 参考页引用的模块）而 .md 文件没变的页面的旧输出。"""
    for file in files.documentation_pages():
        digest = hashlib.sha256()
        if file.src_uri in lessons:
            page, run = lessons[file.src_uri]
            digest.update(page.expanded.encode())
            digest.update(json.dumps([result.to_json() for result in run.results]).encode())
        if file.src_uri.endswith(".md"):
            for name in _API_LINE.findall(file.content_string):
                for path in project_dependencies([f"import {name}"], root):
                    digest.update(path.read_bytes())
        fingerprint = digest.hexdigest()
        if _rendered.get(file.src_uri) not in (None, fingerprint):
            Path(file.abs_dest_path).unlink(missing_ok=True)
        _rendered[file.src_uri] = fingerprint


def _report(built: registry.BuiltPage) -> None:
    """把出错的代码块和与代码不符的输出记成警告（``--strict`` 时构建失败）。"""
    failed = built.run.failed
    if failed is not None:
        index, result = failed
        block = built.page.blocks[index]
        assert result.error is not None
        log.warning(format_failure(built.page.path, block.line, block.head(built.page.path), result.error, index=index))
    if built.notebook:  # 笔记本页面的输出由 mkdocs-jupyter 从执行过的副本渲染，没有手写的 output 块
        return
    for block, result in zip(built.page.blocks, built.run.results):
        if result.status != "ok":
            continue
        if block.output is None:
            if result.stdout.strip():
                log.warning(f"{built.page.path}:{block.line}: 代码块打印了内容，但后面没有 output 块把它展示给读者"
                            f"（运行 python -m pytest --update-outputs 补上）：\n{result.stdout.rstrip()}")
            continue
        difference = compare_output(block.output.text, result.stdout, tolerance=block.output.tolerance)
        if difference is not None:
            log.warning(
                f"{built.page.path}:{block.output.line}: output 块与代码打印的不符，网页上显示的是代码实际打印的内容"
                f"（运行 python -m pytest --update-outputs 更新页面）。\n{difference}"
            )


def _add_figures(built: registry.BuiltPage, files: Files, config: MkDocsConfig) -> None:
    src = Path(built.file.src_uri)
    folder = "" if str(src.parent) == "." else f"{src.parent.as_posix()}/"
    for index, result in enumerate(built.run.results):
        for number, figure in enumerate(result.figures, start=1):
            name = f"{src.stem}-figures/{index + 1}-{number}.svg"
            files.append(File.generated(config, folder + name, content=figure.svg))
            built.figures.setdefault(index, []).append((name, figure.alt))


@event_priority(100)  # 先于其他修改 Markdown 的钩子：这里按读取页面时记下的位置修改
def on_page_markdown(markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str | None:
    built = registry.pages.get(page.file.src_uri)
    if built is None or built.notebook:
        return None
    if markdown != built.page.body:
        log.warning(f"{built.page.path}: 页面的 Markdown 在构建中被改动过，无法插入执行结果")
        return None
    edits: list[Edit] = []  # 位置相对整个文件；图和出错说明紧跟在代码块之后，输出块在它们后面
    for block, result in zip(built.page.blocks, built.run.results):
        addition = _figures_markdown(block, built.figures.get(block.index, []))
        if result.status == "error" and result.error is not None:
            addition += _failure_markdown(built.page, block, result)
        if addition:
            edits.append(Edit(block.end, block.end, addition))
    # 与代码打印的不符的输出：网页上显示的就是 pytest --update-outputs 会写进页面的内容
    edits += output_edits(built.page, built.run.results).values()
    return apply_edits(markdown, edits, offset=built.page.body_offset)


def _figures_markdown(block: CodeBlock, figures: list[tuple[str, str]]) -> str:
    if not figures:
        return ""
    indent = block.indent
    images = "\n".join(
        f'{indent}<figure class="lesson-figure" markdown>\n'
        f"{indent}![{alt}]({name})\n"
        f"{indent}<figcaption>{alt}</figcaption>\n"
        f"{indent}</figure>\n"
        for name, alt in figures
    )
    return f"\n{images}\n"


def _failure_markdown(page: LessonPage, block: CodeBlock, result: Any) -> str:
    message = format_failure(page.path, block.line, block.head(page.path), result.error, index=block.index)
    body = "".join(f"{block.indent}        {line}\n" for line in message.splitlines())
    return (
        f'\n{block.indent}!!! failure "这个代码块执行出错，后面的代码块没有执行"\n\n'
        f"{block.indent}    ```text\n{body}{block.indent}    ```\n"
    )
