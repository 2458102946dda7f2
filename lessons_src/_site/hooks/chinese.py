"""删去段落中两个汉字之间的换行。

Markdown 源文件按行折断中文句子，HTML 中的换行在 Chromium（以及基于它的浏览器）里显示成一个空格，
汉字之间就多出了空白；``<pre>`` 中的代码不受影响。
"""

from __future__ import annotations

import re

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

_CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"
_CJK_LINE_BREAK = re.compile(f"(?<=[{_CJK}])[ \t]*\n[ \t]*(?=[{_CJK}])")
_PRE_SPLIT = re.compile(r"(<pre\b.*?</pre>)", re.DOTALL)


def join_cjk_lines(html: str) -> str:
    """删去两个汉字（含全角标点）之间的换行，``<pre>`` 块原样保留。

    Examples:
        >>> join_cjk_lines("<p>第一行，\\n第二行。\\nPyTorch 很好</p><pre>甲\\n乙</pre>")
        '<p>第一行，第二行。\\nPyTorch 很好</p><pre>甲\\n乙</pre>'
    """
    pieces = _PRE_SPLIT.split(html)
    return "".join(piece if index % 2 else _CJK_LINE_BREAK.sub("", piece) for index, piece in enumerate(pieces))


def on_page_content(html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
    return join_cjk_lines(html)
