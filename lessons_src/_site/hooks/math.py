"""构建时渲染公式（``mkdocs build`` 与 ``mkdocs serve`` 都是）：网页里就是 KaTeX 的 HTML，不加载也不运行 KaTeX 的脚本。

- ``pymdownx.arithmatex``（``generic: true``）把公式标成 ``<span class="arithmatex">\\(…\\)</span>`` 和
  ``<div class="arithmatex">\\[…\\]</div>``；目录和导航里的标题只剩文字 ``\\(…\\)``；笔记本页面的 Markdown 单元里
  是原样的 ``$…$``。这三处都在页面写出之前（``on_post_page``）换成 KaTeX 的 HTML，搜索索引里仍是 TeX 源码；
- KaTeX 无法解析的公式记成警告，``--strict`` 时构建失败，消息给出 ``docs/<页面>.md:<行>``、公式和 KaTeX 的报错；
- KaTeX 的 CSS 只出现在有公式的页面的 ``<head>`` 里（字体由 CSS 按需加载）。Material 的即时导航换页时会比较
  新旧页面的 ``<head>``，补上新页面多出的样式表、去掉它没有的，所以经由即时导航到达的页面也立即有正确的样式。
"""

from __future__ import annotations

import html
import logging
import re
import time
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

from lessons_src._site.cache import cache_dir_for
from lessons_src._site.katex import KatexError, KatexRenderer

log = logging.getLogger("mkdocs.hooks.lessons")

KATEX_CSS = "assets/katex/katex.min.css"
KATEX_SCRIPT = "assets/katex/katex.min.js"

_MARKED = re.compile(
    r'<span class="arithmatex">\\\((?P<inline>.*?)\\\)</span>|<div class="arithmatex">\\\[(?P<display>.*?)\\\]</div>',
    re.DOTALL,
)
_NAV_TITLE = re.compile(r'(<span class="md-ellipsis">)(.*?)(</span>)', re.DOTALL)
_RAW_INLINE = re.compile(r"\\\((.+?)\\\)", re.DOTALL)
_NOTEBOOK_MARKDOWN = re.compile(r'(<div class="[^"]*\bjp-RenderedMarkdown\b[^"]*"[^>]*>)(.*?)(</div>)', re.DOTALL)
_CODE = re.compile(r"(<pre\b.*?</pre>|<code\b.*?</code>)", re.DOTALL)
_DOLLARS = re.compile(r"\$\$(?P<display>.+?)\$\$|(?<![\\$])\$(?!\s)(?P<inline>[^$]+?)(?<![\s\\])\$", re.DOTALL)

_SITE_CSS = re.compile(r'<link rel="stylesheet" href="[^"]*stylesheets/extra\.css">')

_state: dict[str, Any] = {}


def on_config(config: MkDocsConfig, **_: Any) -> MkDocsConfig:
    script = Path(config.docs_dir) / KATEX_SCRIPT
    cache = cache_dir_for(config.config_file_path).parent / "katex" / "formulas.json"
    _state["renderer"] = KatexRenderer(script, cache_file=cache)
    _state["formulas"], _state["seconds"] = 0, 0.0
    return config


def _wrap(rendered: str, *, display: bool) -> str:
    return f'<div class="arithmatex">{rendered}</div>' if display else f'<span class="arithmatex">{rendered}</span>'


class _PageMath:
    """一个页面里的公式：逐个渲染，记下报错。"""

    def __init__(self, renderer: KatexRenderer, page: Page) -> None:
        self.renderer = renderer
        self.page = page
        self.count = 0

    def __call__(self, tex: str, *, display: bool) -> str:
        tex = html.unescape(tex).strip()
        self.count += 1
        try:
            return self.renderer.render(tex, display=display)
        except KatexError as error:
            log.warning(f"{self._where(tex)}: KaTeX 无法解析公式 {tex!r}：{error}")
            return f'<span class="katex-error" title="{html.escape(str(error))}">{html.escape(tex)}</span>'

    def _where(self, tex: str) -> str:
        """公式在源文件中的位置 ``docs/<页面>.md:<行>``（找不到时只给文件）。"""
        path = f"docs/{self.page.file.src_uri}"
        source = self.page.file.content_string
        first = tex.splitlines()[0] if tex else tex
        position = source.find(first)
        if position < 0:
            position = source.find(first.replace("\\", "\\\\"))  # 笔记本（JSON）里反斜杠是转义过的
        return f"{path}:{source.count(chr(10), 0, position) + 1}" if position >= 0 else path

    def marked(self, text: str) -> str:
        def replace(match: re.Match[str]) -> str:
            display = match.group("display") is not None
            rendered = self(match.group("display") if display else match.group("inline"), display=display)
            return _wrap(rendered, display=display)

        return _MARKED.sub(replace, text)

    def nav_titles(self, text: str) -> str:
        def replace(match: re.Match[str]) -> str:
            if "\\(" not in match.group(2):
                return match.group(0)
            inner = _RAW_INLINE.sub(lambda m: _wrap(self(m.group(1), display=False), display=False), match.group(2))
            return match.group(1) + inner + match.group(3)

        return _NAV_TITLE.sub(replace, text)

    def notebook_markdown(self, text: str) -> str:
        def replace_math(match: re.Match[str]) -> str:
            display = match.group("display") is not None
            rendered = self(match.group("display") if display else match.group("inline"), display=display)
            return _wrap(rendered, display=display)

        def replace_cell(match: re.Match[str]) -> str:
            pieces = _CODE.split(match.group(2))
            body = "".join(piece if index % 2 else _DOLLARS.sub(replace_math, piece)
                           for index, piece in enumerate(pieces))
            return match.group(1) + body + match.group(3)

        return _NOTEBOOK_MARKDOWN.sub(replace_cell, text)


def render_page_math(output: str, renderer: KatexRenderer, page: Page) -> tuple[str, int]:
    """把一页 HTML 中的公式换成 KaTeX 的 HTML，返回新的 HTML 和公式个数。"""
    math = _PageMath(renderer, page)
    output = math.nav_titles(math.marked(output))
    if page.file.src_uri.endswith(".ipynb"):
        output = math.notebook_markdown(output)
    return output, math.count


def on_post_page(output: str, *, page: Page, config: MkDocsConfig) -> str:
    renderer: KatexRenderer = _state["renderer"]
    start = time.perf_counter()
    output, count = render_page_math(output, renderer, page)
    if count:
        href = get_relative_url(KATEX_CSS, page.url)
        link = f'<link rel="stylesheet" href="{href}">'
        # 放在网站自己的样式表之前，层叠顺序与把它写进 extra_css 时相同
        site_css = _SITE_CSS.search(output)
        at = site_css.start() if site_css else output.index("</head>")
        output = f"{output[:at]}{link}\n      {output[at:]}"
    _state["formulas"] += count
    _state["seconds"] += time.perf_counter() - start
    return output


def on_post_build(*, config: MkDocsConfig) -> None:
    renderer: KatexRenderer = _state["renderer"]
    log.info("公式 %d 个，其中 %d 个由 KaTeX 新渲染（其余来自缓存），用时 %.2f 秒",
             _state["formulas"], renderer.rendered, _state["seconds"])
    renderer.save()
