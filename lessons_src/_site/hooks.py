"""MkDocs 构建钩子（在 ``mkdocs.yml`` 的 ``hooks`` 中登记）。

对每个含 ``python`` 代码块的页面：

1. 用网站同一份片段配置展开页面，生成可下载的 Jupyter 笔记本（``<页面名>.ipynb``），
   并在页面标题下方放一个下载按钮；
2. 若页面的 front matter 写了 ``execute: true``，构建时逐块执行页面代码
   （与文档测试相同的执行方式），把每个代码块画出的图保存为 SVG，插在该代码块之后，
   执行得到的输出也写进笔记本。执行结果按页面内容和课程代码的哈希缓存在
   ``.cache/lesson-outputs/``，内容不变时不重复执行。
3. docs/ 中的笔记本页面（由 mkdocs-jupyter 渲染）同样在构建时用这种方式执行，
   mkdocs-jupyter 拿到的是带输出的副本；它在页面里插入的第三方脚本（MathJax、Mermaid
   的 CDN 地址）被去掉，公式统一由网站自带的 KaTeX 渲染。
4. 段落中汉字之间的换行被删去。Markdown 源文件按行折断中文句子，HTML 中的换行在 Chromium
   （以及基于它的浏览器）里显示成一个空格，汉字之间就多出了空白；``<pre>`` 中的代码不受影响。
5. 搜索索引 ``search/search_index.json`` 每个页面第一次打开时都会下载，所以要小：
   搜索插件为页面建索引时，看到的是去掉了代码块（``<pre>``）的正文，建完索引再换回完整的正文
   （搜索要找的是讲解，代码里的名字在正文和行内代码里都还在；高亮后的代码块标签极多，
   解析和分词它们也很费时）；构建结束时索引以 UTF-8 重新写出，汉字不再转义成六个 ASCII 字符。
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from mkdocs.plugins import CombinedEvent, event_priority
from mkdocs.structure.files import File, Files

from lessons_src._site.cache import cache_dir_for, cache_file_for, execute_page
from lessons_src._site.notebook import notebook_outputs, page_to_notebook
from lessons_src._site.pages import SnippetExpander, scan_fences, split_front_matter

log = logging.getLogger("mkdocs.hooks.lessons")

_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.DOTALL | re.IGNORECASE)
_CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"
_CJK_LINE_BREAK = re.compile(f"(?<=[{_CJK}])[ \t]*\n[ \t]*(?=[{_CJK}])")
_PRE_SPLIT = re.compile(r"(<pre\b.*?</pre>)", re.DOTALL)
_PRE_BLOCK = re.compile(r"<pre\b[^>]*>.*?</pre>", re.DOTALL)
_THIRD_PARTY = re.compile(r"""src=["']?(?:["']|(?:https?:)?//)|["'](?:https?:)?//[^"']+\.m?js\b|text/x-mathjax-config""", re.IGNORECASE)


@dataclass
class _PageArtifacts:
    notebook_name: str
    figures: dict[int, list[tuple[str, str]]] = field(default_factory=dict)  # 代码块序号 → [(文件名, 替代文本)]


_artifacts: dict[str, _PageArtifacts] = {}


_PRELOAD = [
    "lessons_src._site.cache",
    "torchvision",
    "sklearn.datasets",
    "sklearn.model_selection",
    "lessons_src.linear_networks.softmax_regression",
    "lessons_src.linear_networks.image_classification_dataset",
]


def _execute_in_parallel(jobs: list[tuple[list[str], str]], cache_dir: Path) -> None:
    """把缓存中还没有结果的页面分给多个进程执行（每个进程一次执行一整页），结果写进缓存。

    各页的代码互不依赖，每页都在新的命名空间里、从固定的随机种子开始执行，所以结果与逐页执行相同；
    课程代码只用单线程，两个核心就能同时执行两页。
    """
    import concurrent.futures
    import multiprocessing
    import os

    missing = [(sources, filename) for sources, filename in jobs if not cache_file_for(sources, cache_dir).exists()]
    workers = min(len(missing), os.cpu_count() or 1)
    if workers < 2:
        return
    log.info("用 %d 个进程执行 %d 页的代码", workers, len(missing))
    # forkserver：一个干净的单线程进程先导入各页都要用的库，执行页面的进程由它 fork 出来，
    # 不必各自再导入一遍 torch 等（也不会 fork 已经启动了线程的 MkDocs 进程）
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
        futures = [pool.submit(execute_page, sources, filename, cache_dir) for sources, filename in missing]
        for future in futures:
            future.result()


def _cache_dir(config: Any) -> Path:
    return cache_dir_for(config["config_file_path"])


def on_config(config: Any) -> Any:
    _artifacts.clear()
    return config


@event_priority(100)  # 先于 mkdocs-jupyter：它要读到已经执行过的笔记本
def on_files(files: Files, config: Any) -> Files:
    expander = SnippetExpander.from_mkdocs_config(config)
    cache_dir = _cache_dir(config)
    pages = _lesson_pages(files, expander)
    notebooks = [
        file for file in files if file.src_uri.endswith(".ipynb") and file.abs_src_path and not file.generated_by
    ]
    # 构建时要执行的全部代码：docs/ 中的笔记本页面和写了 execute: true 的页面，先并行执行填好缓存
    jobs = [(page.sources, page.file.abs_src_path) for page in pages if page.meta.get("execute")]
    jobs += [(_notebook_sources(file), file.abs_src_path) for file in notebooks]
    _execute_in_parallel(jobs, cache_dir)

    for file in notebooks:
        executed = _execute_notebook(file, cache_dir)
        # mkdocs-jupyter 由 src_dir 和 src_uri 重新拼出源文件路径，所以两者都要指向副本。
        file.src_dir = str(cache_dir / "notebooks")
        file.abs_src_path = str(executed)
    for page in pages:
        file = page.file
        stem = Path(file.src_uri).stem
        folder = str(Path(file.src_uri).parent)
        prefix = "" if folder == "." else folder + "/"
        results = None
        if page.meta.get("execute"):
            results = execute_page(page.sources, file.abs_src_path or file.src_uri, cache_dir)

        artifacts = _PageArtifacts(notebook_name=f"{stem}.ipynb")
        for block_index, block in enumerate(results or []):
            for figure_index, figure in enumerate(block.figures, start=1):
                name = f"{stem}-figures/{block_index + 1}-{figure_index}.svg"
                files.append(File.generated(config, prefix + name, content=figure.svg))
                artifacts.figures.setdefault(block_index, []).append((name, figure.alt))

        title = page.meta.get("title") or _first_heading(page.expanded) or stem
        site_url = config.get("site_url") or ""
        source_url = site_url + file.url if site_url else None
        notebook = page_to_notebook(
            page.expanded, title=title, source_url=source_url, results=results, site_url=site_url,
            page_path=file.src_uri,
        )
        files.append(File.generated(config, prefix + artifacts.notebook_name, content=nbformat.writes(notebook)))
        _artifacts[file.src_uri] = artifacts
    return files


@dataclass
class _LessonPage:
    """含 ``python`` 代码块的 Markdown 页面：展开后的正文、front matter 和代码块。"""

    file: File
    expanded: str
    meta: dict[str, Any]
    sources: list[str]


def _lesson_pages(files: Files, expander: SnippetExpander) -> list[_LessonPage]:
    pages = []
    for file in files.documentation_pages():
        if not file.src_uri.endswith(".md"):
            continue
        body, meta = split_front_matter(file.content_string)
        expanded = expander.expand(body)
        sources = [fence.body for fence in scan_fences(expanded) if fence.language == "python"]
        if sources:
            pages.append(_LessonPage(file, expanded, meta, sources))
    return pages


def _notebook_sources(file: File) -> list[str]:
    notebook = nbformat.read(file.abs_src_path, as_version=4)
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


def _execute_notebook(file: File, cache_dir: Path) -> Path:
    """执行 docs/ 中的笔记本页面，把带输出的副本写进缓存目录，返回副本的路径。

    仓库里的笔记本不保存输出；网页上和下载到的笔记本里的输出都来自这次执行。
    """
    notebook = nbformat.read(file.abs_src_path, as_version=4)
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    results = execute_page([cell.source for cell in code_cells], file.abs_src_path, cache_dir)
    for count, (cell, result) in enumerate(zip(code_cells, results), start=1):
        cell.outputs = notebook_outputs(result)
        cell.execution_count = count
    executed = cache_dir / "notebooks" / file.src_uri
    executed.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, executed)
    return executed


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    artifacts = _artifacts.get(page.file.src_uri)
    if artifacts is None:
        return markdown
    markdown = _insert_figures(markdown, artifacts, page.file.src_uri)
    return _insert_notebook_link(markdown, artifacts.notebook_name)


def join_cjk_lines(html: str) -> str:
    """删去两个汉字（含全角标点）之间的换行，``<pre>`` 块原样保留。

    Examples:
        >>> join_cjk_lines("<p>第一行，\n第二行。\nPyTorch 很好</p><pre>甲\n乙</pre>")
        '<p>第一行，第二行。\nPyTorch 很好</p><pre>甲\n乙</pre>'
    """
    pieces = _PRE_SPLIT.split(html)
    return "".join(piece if index % 2 else _CJK_LINE_BREAK.sub("", piece) for index, piece in enumerate(pieces))


def on_page_content(html: str, page: Any, config: Any, files: Files) -> str:
    if page.file.src_uri.endswith(".ipynb"):
        html = _SCRIPT.sub(lambda match: "" if _THIRD_PARTY.search(match.group(0)) else match.group(0), html)
    return join_cjk_lines(html)


def _first_heading(text: str) -> str | None:
    match = re.search(r"^#\s+(.+?)\s*$", text, re.MULTILINE)
    return match.group(1) if match else None


def _insert_figures(markdown: str, artifacts: _PageArtifacts, src_uri: str) -> str:
    if not artifacts.figures:
        return markdown
    python_fences = [fence for fence in scan_fences(markdown) if fence.language == "python"]
    needed = max(artifacts.figures) + 1
    if len(python_fences) < needed:
        raise ValueError(f"{src_uri}: 展开前后 python 代码块的数目不一致，无法确定图的位置")
    pieces = []
    position = 0
    for index, fence in enumerate(python_fences):
        if index not in artifacts.figures:
            continue
        pieces.append(markdown[position : fence.end])
        images = "\n".join(
            f'{fence.indent}<figure class="lesson-figure" markdown>\n'
            f"{fence.indent}![{alt}]({name})\n"
            f"{fence.indent}<figcaption>{alt}</figcaption>\n"
            f"{fence.indent}</figure>\n"
            for name, alt in artifacts.figures[index]
        )
        pieces.append(f"\n{images}\n")
        position = fence.end
    pieces.append(markdown[position:])
    return "".join(pieces)


def _insert_notebook_link(markdown: str, notebook_name: str) -> str:
    button = (
        f"[:material-notebook-outline: 下载本页的 Jupyter 笔记本]({notebook_name})"
        f'{{ .md-button .lesson-notebook download="{notebook_name}" }}\n'
    )
    match = re.search(r"^#\s+.+$", markdown, re.MULTILINE)
    if match is None:
        return button + "\n" + markdown
    return markdown[: match.end()] + "\n\n" + button + markdown[match.end() :]


def compact_search_index(path: Path) -> tuple[int, int]:
    """把搜索索引以 UTF-8、无多余空白的 JSON 写回，返回 ``(原字节数, 新字节数)``。"""
    before = path.stat().st_size
    index = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(index, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return before, path.stat().st_size


_FULL_CONTENT = "_lessons_full_content"


@event_priority(100)  # 先于 Material 的搜索插件
def _hide_code_from_search(context: Any, page: Any, config: Any, nav: Any) -> Any:
    setattr(page, _FULL_CONTENT, page.content)
    page.content = _PRE_BLOCK.sub("", page.content)
    return context


@event_priority(-100)  # 搜索插件建完索引之后，模板渲染之前
def _restore_code_after_search(context: Any, page: Any, config: Any, nav: Any) -> Any:
    full = page.__dict__.pop(_FULL_CONTENT, None)
    if full is not None:
        # 与搜索插件对正文做的处理相同：去掉只给索引看的 data-search-* 属性
        page.content = re.sub(r'\s?data-search-\w+="[^"]+"', "", full)
    return context


on_page_context = CombinedEvent(_hide_code_from_search, _restore_code_after_search)


@event_priority(-100)  # 在 Material 的搜索插件写出索引之后
def on_post_build(config: Any) -> None:
    path = Path(config["site_dir"]) / "search" / "search_index.json"
    if path.exists():
        before, after = compact_search_index(path)
        log.info("搜索索引 %d KB → %d KB", before // 1024, after // 1024)
