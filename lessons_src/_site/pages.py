"""读取页面：按网站同样的方式展开代码片段，并找出页面上的围栏代码块。

网站和文档测试必须看到同一段文字，所以片段展开不自己实现，而是直接调用
MkDocs 配置里的 ``pymdownx.snippets`` 扩展，参数也取自同一份 ``mkdocs.yml``。
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import markdown
from mkdocs.utils.meta import get_data

__all__ = [
    "Fence",
    "SnippetExpander",
    "scan_fences",
    "split_front_matter",
    "PYTHON_ALIASES",
]

#: 会被某些工具当作 Python 的语言标记。页面上只允许用 ``python``，
#: 其余写法要么不会被执行，要么不会被高亮，文档测试会拒绝它们。
PYTHON_ALIASES = frozenset({"py", "py3", "python3", "pycon", "ipython", "ipython3", "pytb"})

_FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^\n]*)$", re.MULTILINE)


@dataclass(frozen=True)
class Fence:
    """页面上的一个围栏代码块。

    Attributes:
        start: 开头那一行在文本中的起始位置。
        end: 结尾那一行（含换行符）之后的位置。
        indent: 围栏的缩进（内容标签页、提示框里的代码块有缩进）。
        info: 围栏后面的信息串，例如 ``python`` 或 ``python title="x.py"``。
        body: 去掉缩进之后的代码。
        line: 开头那一行的行号（从 1 开始）。
    """

    start: int
    end: int
    indent: str
    info: str
    body: str
    line: int

    @property
    def language(self) -> str:
        """信息串的第一个词（花括号写法 ``{.python}`` 取其中的类名）。"""
        info = self.info.strip()
        if info.startswith("{"):
            match = re.search(r"\.([\w+-]+)", info)
            return match.group(1) if match else ""
        return info.split(maxsplit=1)[0] if info else ""


def scan_fences(text: str) -> list[Fence]:
    """找出 ``text`` 中所有的围栏代码块（包括缩进在标签页、列表和提示框里的）。

    未闭合的围栏一直延伸到文本末尾，与 Python-Markdown 的行为一致。
    """
    fences: list[Fence] = []
    position = 0
    while True:
        opening = _FENCE_OPEN.search(text, position)
        if opening is None:
            return fences
        indent, fence = opening.group("indent"), opening.group("fence")
        closing = re.compile(
            rf"^[ \t]{{0,{len(indent) + 3}}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$", re.MULTILINE
        )
        body_start = opening.end() + 1
        match = closing.search(text, body_start) if body_start <= len(text) else None
        body_end = match.start() if match else len(text)
        end = min(len(text), match.end() + 1) if match else len(text)
        raw_lines = text[body_start:body_end].split("\n")[:-1] if body_end > body_start else []
        body = "\n".join(line[len(indent):] if line.startswith(indent) else line.lstrip() for line in raw_lines)
        fences.append(
            Fence(
                start=opening.start(),
                end=end,
                indent=indent,
                info=opening.group("info").strip(),
                body=body + ("\n" if raw_lines else ""),
                line=text.count("\n", 0, opening.start()) + 1,
            )
        )
        position = end if end > opening.end() else opening.end() + 1


def split_front_matter(text: str) -> tuple[str, dict[str, Any]]:
    """拆出页面开头的 YAML front matter，返回 ``(正文, 元数据)``，与 MkDocs 的做法相同。"""
    body, meta = get_data(text)
    return body, meta


class SnippetExpander:
    """用网站配置里的 ``pymdownx.snippets`` 展开 ``--8<--`` 片段引用。

    Args:
        snippet_config: ``mkdocs.yml`` 中 ``pymdownx.snippets`` 的参数。
    """

    def __init__(self, snippet_config: dict[str, Any]) -> None:
        self._markdown = markdown.Markdown(
            extensions=["pymdownx.snippets"],
            extension_configs={"pymdownx.snippets": dict(snippet_config)},
        )
        self._preprocessor = self._markdown.preprocessors["snippet"]

    @classmethod
    def from_mkdocs_config(cls, config: Any) -> SnippetExpander:
        """从 MkDocs 已加载的配置对象创建。"""
        if "pymdownx.snippets" not in config["markdown_extensions"]:
            raise ValueError("mkdocs.yml 的 markdown_extensions 中没有 pymdownx.snippets")
        return cls(config["mdx_configs"].get("pymdownx.snippets", {}))

    @classmethod
    @functools.cache
    def from_mkdocs_yml(cls, config_file: str | Path) -> SnippetExpander:
        """读取 ``mkdocs.yml``（与 ``mkdocs build`` 相同的加载方式）并创建。"""
        from mkdocs.config import load_config

        return cls.from_mkdocs_config(load_config(str(config_file)))

    def expand(self, text: str) -> str:
        """返回展开所有片段引用之后的文本。"""
        return "\n".join(self._preprocessor.run(text.split("\n")))
