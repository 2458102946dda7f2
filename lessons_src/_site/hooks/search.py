"""搜索索引 ``search/search_index.json`` 每个页面第一次打开时都会下载，所以要小。

- 代码块不进索引：每个 ``<pre>`` 加上 Material 文档里的 ``data-search-exclude`` 属性，搜索插件建索引时
  跳过它，随后自己删掉这个属性（搜索要找的是讲解；代码里的名字在正文和行内代码里都还在）；
- 构建结束时索引以 UTF-8、无多余空白的 JSON 重新写出，汉字不再转义成六个 ASCII 字符。
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

log = logging.getLogger("mkdocs.hooks.lessons")

_PRE = re.compile(r"<pre\b")


def on_page_content(html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
    # 属性要有值：搜索插件建完索引后只删除 data-search-*="…" 形式的属性
    return _PRE.sub('<pre data-search-exclude="code"', html)


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
