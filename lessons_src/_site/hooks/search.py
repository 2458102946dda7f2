"""搜索索引 ``search/search_index.json`` 每个页面第一次打开时都会下载，所以要小。

- 代码块不进索引：搜索插件为页面建索引时（``on_page_context``），看到的是去掉了 ``<pre>`` 块的正文，
  建完再换回完整的正文（搜索要找的是讲解；代码里的名字在正文和行内代码里都还在）。
  Material 文档里的 ``data-search-exclude`` 属性也能做到，但插件仍要逐个解析代码块里高亮用的几万个标签：
  本机实测每次构建的索引时间从约 0.7 秒增加到约 2 秒，对 ``mkdocs serve`` 的重建太慢，所以不用它；
- 构建结束时索引以 UTF-8、无多余空白的 JSON 重新写出，汉字不再转义成六个 ASCII 字符。
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import CombinedEvent, event_priority
from mkdocs.structure.pages import Page

log = logging.getLogger("mkdocs.hooks.lessons")

_PRE_BLOCK = re.compile(r"<pre\b[^>]*>.*?</pre>", re.DOTALL)
_FULL_CONTENT = "_lessons_full_content"


@event_priority(100)  # 先于 Material 的搜索插件
def _hide_code_from_search(context: dict[str, Any], *, page: Page, config: MkDocsConfig, nav: Any) -> None:
    setattr(page, _FULL_CONTENT, page.content)
    page.content = _PRE_BLOCK.sub("", page.content or "")


@event_priority(-100)  # 搜索插件建完索引之后，模板渲染之前
def _restore_code_after_search(context: dict[str, Any], *, page: Page, config: MkDocsConfig, nav: Any) -> None:
    full = page.__dict__.pop(_FULL_CONTENT, None)
    if full is not None:
        # 与搜索插件对正文做的处理相同：去掉只给索引看的 data-search-* 属性
        page.content = re.sub(r'\s?data-search-\w+="[^"]+"', "", full)


on_page_context = CombinedEvent(_hide_code_from_search, _restore_code_after_search)


def compact_search_index(path: Path) -> tuple[int, int]:
    """把搜索索引以 UTF-8、无多余空白的 JSON 写回，返回 ``(原字节数, 新字节数)``。"""
    before = path.stat().st_size
    index = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(index, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return before, path.stat().st_size


@event_priority(-100)  # 在 Material 的搜索插件写出索引之后
def on_post_build(*, config: MkDocsConfig) -> None:
    path = Path(config.site_dir) / "search" / "search_index.json"
    if path.exists():
        before, after = compact_search_index(path)
        log.info("搜索索引 %d KB → %d KB", before // 1024, after // 1024)
