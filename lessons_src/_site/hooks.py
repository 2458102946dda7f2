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
4. 构建结束时压缩搜索索引 ``search/search_index.json``：每个页面第一次打开时都会下载它。
   去掉其中代码块（``<pre>``）的全文——搜索要找的是讲解，代码里的名字在正文和行内代码里
   都还在——并直接以 UTF-8 写出汉字，不再转义成六个 ASCII 字符（一个汉字 3 字节而不是 6 字节）。
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

from lessons_src._site.execute import ExecutedBlock, render_result, reset_random_state, run_block
from lessons_src._site.notebook import notebook_outputs, page_to_notebook
from lessons_src._site.pages import SnippetExpander, scan_fences, split_front_matter

log = logging.getLogger("mkdocs.hooks.lessons")

_PACKAGE_ROOT = Path(__file__).resolve().parents[1]
_CACHE_VERSION = "1"
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.DOTALL | re.IGNORECASE)
_PRE_BLOCK = re.compile(r"<pre\b[^>]*>.*?</pre>", re.DOTALL)
_THIRD_PARTY = re.compile(r"""src=["']?(?:["']|(?:https?:)?//)|["'](?:https?:)?//[^"']+\.m?js\b|text/x-mathjax-config""", re.IGNORECASE)


@dataclass
class _PageArtifacts:
    notebook_name: str
    figures: dict[int, list[tuple[str, str]]] = field(default_factory=dict)  # 代码块序号 → [(文件名, 替代文本)]


_artifacts: dict[str, _PageArtifacts] = {}


def _code_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE_ROOT.rglob("*.py")):
        digest.update(str(path.relative_to(_PACKAGE_ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _execute_blocks(sources: list[str], filename: str, cache_dir: Path) -> list[ExecutedBlock]:
    """在一个新的命名空间里依次执行代码块（与文档测试相同的方式），结果按内容缓存。"""
    import torch

    key = hashlib.sha256("\0".join([_CACHE_VERSION, torch.__version__, _code_fingerprint(), *sources]).encode())
    cache_file = cache_dir / f"{key.hexdigest()}.json"
    if cache_file.exists():
        return [ExecutedBlock.from_json(item) for item in json.loads(cache_file.read_text("utf-8"))]

    log.info("执行页面代码：%s", filename)
    reset_random_state()
    namespace: dict[str, Any] = {"__name__": "__main__"}
    threads = torch.get_num_threads()
    # 与文档测试一致，只用一个线程：课程里的模型都很小，多线程在繁忙的机器上反而慢得多
    torch.set_num_threads(1)
    try:
        executed = [render_result(run_block(source, namespace, filename=filename)) for source in sources]
    finally:
        torch.set_num_threads(threads)
    cache_dir.mkdir(parents=True, exist_ok=True)
    cache_file.write_text(json.dumps([block.to_json() for block in executed], ensure_ascii=False), "utf-8")
    return executed


def _cache_dir(config: Any) -> Path:
    return Path(config["config_file_path"]).parent / ".cache" / "lesson-outputs"


def on_config(config: Any) -> Any:
    _artifacts.clear()
    return config


@event_priority(100)  # 先于 mkdocs-jupyter：它要读到已经执行过的笔记本
def on_files(files: Files, config: Any) -> Files:
    expander = SnippetExpander.from_mkdocs_config(config)
    cache_dir = _cache_dir(config)
    for file in list(files):
        if file.src_uri.endswith(".ipynb") and file.abs_src_path and not file.generated_by:
            executed = _execute_notebook(file, cache_dir)
            # mkdocs-jupyter 由 src_dir 和 src_uri 重新拼出源文件路径，所以两者都要指向副本。
            file.src_dir = str(cache_dir / "notebooks")
            file.abs_src_path = str(executed)
    for file in list(files.documentation_pages()):
        if not file.src_uri.endswith(".md"):
            continue
        body, meta = split_front_matter(file.content_string)
        expanded = expander.expand(body)
        if not any(fence.language == "python" for fence in scan_fences(expanded)):
            continue
        stem = Path(file.src_uri).stem
        folder = str(Path(file.src_uri).parent)
        prefix = "" if folder == "." else folder + "/"
        results = None
        if meta.get("execute"):
            sources = [fence.body for fence in scan_fences(expanded) if fence.language == "python"]
            results = _execute_blocks(sources, file.abs_src_path or file.src_uri, cache_dir)

        artifacts = _PageArtifacts(notebook_name=f"{stem}.ipynb")
        for block_index, block in enumerate(results or []):
            for figure_index, figure in enumerate(block.figures, start=1):
                name = f"{stem}-figures/{block_index + 1}-{figure_index}.svg"
                files.append(File.generated(config, prefix + name, content=figure.svg))
                artifacts.figures.setdefault(block_index, []).append((name, figure.alt))

        title = meta.get("title") or _first_heading(expanded) or stem
        site_url = config.get("site_url") or ""
        source_url = site_url + file.url if site_url else None
        notebook = page_to_notebook(expanded, title=title, source_url=source_url, results=results)
        files.append(File.generated(config, prefix + artifacts.notebook_name, content=nbformat.writes(notebook)))
        _artifacts[file.src_uri] = artifacts
    return files


def _execute_notebook(file: File, cache_dir: Path) -> Path:
    """执行 docs/ 中的笔记本页面，把带输出的副本写进缓存目录，返回副本的路径。

    仓库里的笔记本不保存输出；网页上和下载到的笔记本里的输出都来自这次执行。
    """
    notebook = nbformat.read(file.abs_src_path, as_version=4)
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    results = _execute_blocks([cell.source for cell in code_cells], file.abs_src_path, cache_dir)
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


def on_page_content(html: str, page: Any, config: Any, files: Files) -> str:
    if page.file.src_uri.endswith(".ipynb"):
        html = _SCRIPT.sub(lambda match: "" if _THIRD_PARTY.search(match.group(0)) else match.group(0), html)
    return html


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
    """去掉搜索索引中代码块的全文，以 UTF-8 紧凑写回，返回 ``(原字节数, 新字节数)``。"""
    before = path.stat().st_size
    index = json.loads(path.read_text(encoding="utf-8"))
    for entry in index["docs"]:
        entry["text"] = _PRE_BLOCK.sub(" ", entry["text"]).strip()
    path.write_text(json.dumps(index, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return before, path.stat().st_size


@event_priority(-100)  # 在 Material 的搜索插件写出索引之后
def on_post_build(config: Any) -> None:
    path = Path(config["site_dir"]) / "search" / "search_index.json"
    if path.exists():
        before, after = compact_search_index(path)
        log.info("搜索索引 %d KB → %d KB", before // 1024, after // 1024)
