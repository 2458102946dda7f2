"""像 Jupyter 一样逐块执行页面代码，并比较页面写出的输出。

文档测试（``tests/harness.py``）和网站构建（:mod:`.hooks`）都用这里的
:func:`run_block`，所以“测试里看到的输出”和“网站上画出的图”来自同一次执行方式：

- 代码块里 ``print`` 的内容被收集为输出；
- 最后一行若是表达式，它的值像 Jupyter 的 ``Out[n]`` 一样显示：
  ``Figure`` 作为图，``None`` 以外的其他值按 ``repr`` 追加到输出；
- 代码块里用 ``pyplot`` 新画出的图也作为图收集，并随后关闭。
"""

from __future__ import annotations

import ast
import io
import math
import re
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

__all__ = [
    "BlockResult",
    "RenderedFigure",
    "ExecutedBlock",
    "reset_random_state",
    "run_block",
    "render_result",
    "compare_output",
    "figure_alt_text",
    "figure_to_svg",
]

_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class BlockResult:
    """一个代码块执行后的结果。"""

    stdout: str = ""
    figures: list[Figure] = field(default_factory=list)


def reset_random_state(seed: int = 0) -> None:
    """把 Python、NumPy、PyTorch 的全局随机数状态都设为 ``seed``。

    每一页执行前调用一次，使页面的结果不取决于之前执行过哪些页面。
    """
    import random

    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def run_block(source: str, namespace: dict[str, Any], *, filename: str = "<page>", first_line: int = 1) -> BlockResult:
    """在 ``namespace`` 中执行一段代码，返回打印的输出和产生的图。

    Args:
        source: 代码。
        namespace: 执行用的全局命名空间；同一页面的代码块共用一个。
        filename: 报错时显示的文件名。
        first_line: 代码第一行在文件中的行号，让报错行号对得上页面。
    """
    tree = ast.parse(source, filename=filename)
    ast.increment_lineno(tree, first_line - 1)
    last_expression = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    before = set(plt.get_fignums())
    buffer = io.StringIO()
    result = BlockResult()
    try:
        with redirect_stdout(buffer):
            # dont_inherit：不继承本模块的 from __future__ import annotations，页面代码的行为要和读者运行时一样
            exec(compile(tree, filename, "exec", dont_inherit=True), namespace)
            if last_expression is not None:
                expression = ast.Expression(last_expression.value)
                value = eval(compile(expression, filename, "eval", dont_inherit=True), namespace)
                if isinstance(value, Figure):
                    result.figures.append(value)
                elif value is not None:
                    print(repr(value))
    finally:
        namespace.pop("__builtins__", None)
        for number in sorted(set(plt.get_fignums()) - before):
            figure = plt.figure(number)
            if figure not in result.figures:
                result.figures.append(figure)
            plt.close(figure)
    result.stdout = buffer.getvalue()
    return result


def figure_alt_text(figure: Figure) -> str:
    """返回图的中文说明（用作网页图片的 alt 文本），取自 ``figure.get_label()``。

    Raises:
        ValueError: 图没有标签，或标签里没有中文。
    """
    label = figure.get_label() or ""
    if not _CJK.search(label):
        raise ValueError(
            "图缺少中文说明：请用 figure.set_label('……') 写一句中文描述，"
            f"它会成为网页上图片的替代文本（当前标签为 {label!r}）"
        )
    return label


def figure_to_svg(figure: Figure) -> str:
    """把图渲染成 SVG 文本；多次渲染同一张图得到相同的字节。"""
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "lessons", "svg.fonttype": "none"}):
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return buffer.getvalue()


@dataclass(frozen=True)
class RenderedFigure:
    """渲染好的图：SVG 文本和中文替代文本。"""

    svg: str
    alt: str


@dataclass(frozen=True)
class ExecutedBlock:
    """可以缓存、可以写进笔记本的执行结果（图已渲染成 SVG）。"""

    stdout: str
    figures: tuple[RenderedFigure, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"stdout": self.stdout, "figures": [{"svg": f.svg, "alt": f.alt} for f in self.figures]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExecutedBlock:
        return cls(data["stdout"], tuple(RenderedFigure(f["svg"], f["alt"]) for f in data["figures"]))


def render_result(result: BlockResult) -> ExecutedBlock:
    """把图渲染成 SVG，得到可缓存的结果；缺少中文说明的图会报错。"""
    return ExecutedBlock(
        result.stdout,
        tuple(RenderedFigure(figure_to_svg(figure), figure_alt_text(figure)) for figure in result.figures),
    )


# ---------------------------------------------------------------------------
# 输出比较
# ---------------------------------------------------------------------------

_NUMBER = r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?"
_NUMBER_RE = re.compile(_NUMBER)
_TOKEN_RE = re.compile(rf"(\.\.\.)|({_NUMBER})|(\s+)")


def _pattern_for(expected: str) -> tuple[re.Pattern[str], list[str]]:
    """把写在页面上的输出变成正则：数字成为捕获组，``...`` 匹配任意文字，空白可伸缩。"""
    parts: list[str] = []
    numbers: list[str] = []
    position = 0
    for match in _TOKEN_RE.finditer(expected):
        parts.append(re.escape(expected[position : match.start()]))
        ellipsis, number, space = match.groups()
        if ellipsis:
            parts.append(r"[\s\S]*?")
        elif number is not None:
            parts.append(f"({_NUMBER})")
            numbers.append(number)
        else:
            parts.append(r"\s+")
        position = match.end()
    parts.append(re.escape(expected[position:]))
    return re.compile("".join(parts)), numbers


def _last_digit_unit(number: str) -> float:
    """页面上写出的数字的末位单位：``0.2689`` 是 1e-4，``1.5e-03`` 是 1e-5，整数是 0。"""
    mantissa, _, exponent = number.lower().partition("e")
    if "." not in mantissa:
        return 0.0
    decimals = len(mantissa.split(".")[1])
    return 10.0 ** (-decimals + (int(exponent) if exponent else 0))


def compare_output(expected: str, actual: str, *, tolerance: float | None = None) -> str | None:
    """比较页面上写出的输出与代码实际打印的输出。一致时返回 ``None``，否则返回说明差异的文字。

    规则：

    - 文字逐字比较，但连续空白视为一个空白，首尾空白忽略；
    - ``...`` 匹配任意文字（用于耗时、内存地址这类每次都不同的内容）；
    - 数字按数值比较：允许相差写出的末位上的 1 个单位（``0.2689`` 允许 ±0.0001），
      整数须相等；给出 ``tolerance`` 时，允许的绝对误差至少为它。
    """
    expected_text, actual_text = expected.strip(), actual.strip()
    pattern, written = _pattern_for(expected_text)
    match = pattern.fullmatch(actual_text)
    if match is None:
        return f"输出的文字与页面不符。\n页面上写的是:\n{expected_text}\n实际输出是:\n{actual_text}"
    problems = []
    for index, (shown, produced) in enumerate(zip(written, match.groups()), start=1):
        allowed = max(_last_digit_unit(shown), tolerance or 0.0)
        difference = abs(float(shown) - float(produced))
        if not (difference <= allowed * (1 + 1e-9) or math.isclose(float(shown), float(produced))):
            problems.append(f"第 {index} 个数：页面写 {shown}，实际为 {produced}（允许误差 {allowed:g}）")
    if problems:
        return "输出中的数值与页面不符:\n" + "\n".join(problems) + f"\n实际输出是:\n{actual_text}"
    return None
