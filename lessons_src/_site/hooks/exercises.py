"""练习：课程页面的 ``## 练习`` 一节写法不对时警告；章节目录页在每一课的链接后面写上它有几道练习。

- 写法上的问题（答案没有折叠、题号不连续、某道题没有答案……）由
  :func:`lessons_src._site.exercises.find_exercises` 找出，每条一个警告，写明 ``docs/<页面>.md:<行号>``，
  ``mkdocs build --strict`` 因此失败；
- 章节目录页（``docs/<章>/index.md``）中 ``[标题](页面.md)`` 的链接后面加上“（[N 道练习](页面.md#练习)）”，
  数目总是从页面本身数出来，作者不必手工维护。
"""

from __future__ import annotations

import logging
import posixpath
import re
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

from lessons_src._site import registry
from lessons_src._site.exercises import SECTION_TITLE, find_exercises

log = logging.getLogger("mkdocs.hooks.lessons")

#: 目录页里指向同一文件夹中某一课的列表项：``- [标题](页面.md)``
_INDEX_LINK = re.compile(r"^(?P<head>[ \t]*[-*][ \t]+\[[^\]]+\]\((?P<target>[\w.-]+\.md)\))", re.MULTILINE)


def _page_text(src_uri: str, files: Files) -> str | None:
    built = registry.pages.get(src_uri)
    if built is not None:
        return built.page.expanded
    file = files.get_file_from_path(src_uri)
    if file is None or not file.abs_src_path:
        return None
    return Path(file.abs_src_path).read_text("utf-8")


def exercise_count(text: str) -> int:
    section = find_exercises(text)
    return len(section.exercises) if section else 0


def link_exercise_counts(markdown: str, *, src_uri: str, files: Files) -> str:
    """在目录页每一课的链接后面加上练习的数目（没有练习的页面不加）。"""
    folder = posixpath.dirname(src_uri)

    def add_count(match: re.Match[str]) -> str:
        target = match["target"]
        text = _page_text(posixpath.join(folder, target) if folder else target, files)
        count = exercise_count(text) if text is not None else 0
        if not count:
            return match[0]
        return f"{match['head']}（[{count} 道练习]({target}#{SECTION_TITLE})）"

    return _INDEX_LINK.sub(add_count, markdown)


def on_page_markdown(markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str | None:
    src_uri = page.file.src_uri
    if posixpath.basename(src_uri) == "index.md" and "/" in src_uri:
        return link_exercise_counts(markdown, src_uri=src_uri, files=files)
    built = registry.pages.get(src_uri)
    if built is None or built.notebook:
        return None
    section = find_exercises(built.page.body)
    if section is not None:
        line_offset = built.page.text.count("\n", 0, built.page.body_offset)
        for problem in section.problems:
            line, _, message = problem.partition(": ")
            log.warning(f"{built.page.path}:{int(line) + line_offset}: {message}")
    return None
