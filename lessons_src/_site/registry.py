"""一次网站构建中各个钩子共用的页面信息。

:mod:`.hooks.execution` 在 ``on_files`` 中为每个含代码的页面登记一条 :class:`BuiltPage`，
:mod:`.hooks.notebooks` 读取它生成笔记本；每次构建开始时（``on_config``）清空。
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lessons_src._site.cache import PageRun
from lessons_src._site.pages import LessonPage

__all__ = ["BuiltPage", "offline_build", "pages"]


def offline_build(config: Any) -> bool:
    """这次构建是不是离线版网站（Material 的 ``offline`` 插件开着，``OFFLINE=true``）。"""
    offline = config.plugins.get("material/offline") or config.plugins.get("offline")
    return bool(offline and offline.config.enabled)


@dataclass
class BuiltPage:
    """一页的代码、执行结果和构建时画出的图。

    Attributes:
        file: MkDocs 的 ``File``。
        page: 页面（或 docs/ 中的笔记本）的代码块。
        run: 执行结果。
        figures: 代码块序号 → ``[(图的文件名（相对页面目录）, 替代文本)]``。
        notebook: 这一页是否是 docs/ 中的 ``.ipynb`` 笔记本页面。
    """

    file: Any
    page: LessonPage
    run: PageRun
    figures: dict[int, list[tuple[str, str]]] = field(default_factory=dict)
    notebook: bool = False


#: ``File.src_uri`` → :class:`BuiltPage`
pages: dict[str, BuiltPage] = {}
