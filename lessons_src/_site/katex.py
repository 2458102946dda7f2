"""构建时渲染公式：用网站自带的 ``katex.min.js`` 把 TeX 变成 HTML，读者的浏览器不再运行 KaTeX。

KaTeX 是 JavaScript 库；这里用 PyPI 上的 ``mini-racer``（嵌入的 V8 引擎）在 Python 进程里运行它，
所以 README 的两条命令之外不需要 Node.js。考虑过的其他办法：

- ``markdown-katex``、``mkdocs-katex-ssr``：调用外部的 ``katex`` 命令或 Node.js/Bun，新机器上要另装；
- ``quickjs``（嵌入的 QuickJS 解释器）：轮子只有 2 MB，但没有即时编译，在同一个上下文里越渲染越慢，
  本机渲染全站 2461 个不同的公式用 7.9 秒（V8 用 1.6 秒），最近一次发布在 2023 年；
- ``dukpy``：Duktape 只支持 ES5，``katex.min.js`` 用了更新的语法。

V8 的轮子约 22 MB，载入 ``katex.min.js`` 约 0.2 秒；渲染结果按 KaTeX 版本、
显示方式和 TeX 源码缓存在 ``.cache/katex/`` 中（与执行结果的缓存放在一起），没有新公式时连 V8 也不启动。
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

# 与浏览器端 auto-render 原来的设置相同：默认的 strict="warn" 对“数学模式中的汉字”之类只给警告
_OPTIONS: dict[str, Any] = {"throwOnError": True}
_VERSION = re.compile(rb'version:"(\d+\.\d+\.\d+)"')


class KatexError(ValueError):
    """KaTeX 无法解析一个公式；消息是 KaTeX 自己的报错（指出出错的位置）。"""


def katex_version(script: Path) -> str:
    """``katex.min.js`` 里写明的版本号（找不到时用文件内容的散列代替）。"""
    if not script.is_file():
        return "missing"
    data = script.read_bytes()
    match = _VERSION.search(data)
    return match.group(1).decode() if match else hashlib.sha256(data).hexdigest()[:16]


class KatexRenderer:
    """把 TeX 渲染成 KaTeX 的 HTML，结果缓存在 ``cache_file`` 中。

    Examples:
        >>> from pathlib import Path
        >>> renderer = KatexRenderer(Path("docs/assets/katex/katex.min.js"), cache_file=None)
        >>> renderer.render(r"x^2", display=False).startswith('<span class="katex">')
        True
        >>> try:
        ...     renderer.render(r"\\frac{1}{", display=False)
        ... except KatexError as error:
        ...     print(str(error)[:56])
        KaTeX parse error: Unexpected end of input in a macro ar
    """

    def __init__(self, script: Path, *, cache_file: Path | None) -> None:
        self.script = Path(script)
        self.version = katex_version(self.script)
        self.cache_file = cache_file
        self._cache: dict[str, str] = {}
        self._dirty = False
        self._context: Any = None
        self.rendered = 0  # 本次真正交给 KaTeX 渲染的公式个数（其余来自缓存）
        if cache_file is not None and cache_file.exists():
            stored = json.loads(cache_file.read_text(encoding="utf-8"))
            if stored.get("katex") == self.version:
                self._cache = stored.get("formulas", {})

    def _key(self, tex: str, display: bool) -> str:
        return hashlib.sha256(f"{int(display)}\0{tex}".encode()).hexdigest()[:24]

    def _katex(self) -> Any:
        if self._context is None:
            from py_mini_racer import MiniRacer

            if not self.script.is_file():
                raise KatexError(f"找不到 KaTeX 的脚本 {self.script}，无法在构建时渲染公式")
            context = MiniRacer()
            context.eval(self.script.read_text(encoding="utf-8"))
            self._context = context
        return self._context

    def render(self, tex: str, *, display: bool) -> str:
        """一个公式的 KaTeX HTML；KaTeX 报错时抛出 :class:`KatexError`。"""
        key = self._key(tex, display)
        html = self._cache.get(key)
        if html is None:
            from py_mini_racer import JSEvalException

            try:
                html = self._katex().call("katex.renderToString", tex, {**_OPTIONS, "displayMode": display})
            except JSEvalException as error:
                message = str(error).splitlines()[0]
                raise KatexError(re.sub(r"^.*?ParseError: ", "", message)) from None
            self._cache[key] = html
            self._dirty = True
            self.rendered += 1
        return html

    def save(self) -> None:
        """有新公式时把缓存写回磁盘。"""
        if self.cache_file is None or not self._dirty:
            return
        self.cache_file.parent.mkdir(parents=True, exist_ok=True)
        data = {"katex": self.version, "formulas": self._cache}
        self.cache_file.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        self._dirty = False
