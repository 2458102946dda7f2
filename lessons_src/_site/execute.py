"""执行器：像 Jupyter 一样逐块执行一页的代码，并比较页面上写出的输出。

网站构建、文档测试和笔记本检查都用 :func:`execute_blocks` 执行页面代码（经由
:mod:`.cache` 在一个新进程里运行、按内容缓存），所以它们看到的是同一次执行的结果：

- 一页的代码块在一个新的命名空间里依次执行，执行前把随机种子设为 0、PyTorch 只用一个线程，
  工作目录是一个新的临时目录；
- 代码块里 ``print`` 的内容是它的输出；最后一行若是表达式，它的值像 Jupyter 的 ``Out[n]``
  一样显示：``Figure`` 作为图，``None`` 以外的其他值按 ``repr`` 追加到输出；
- 代码块里用 ``pyplot`` 新画出的图也作为图收集（渲染成 SVG，必须有中文说明），随后关闭；
- 一个代码块出错后，这一页后面的代码块不再执行；出错的位置被换算成磁盘上页面（或片段所在模块）的行号。
"""

from __future__ import annotations

import ast
import io
import linecache
import math
import os
import re
import tempfile
import traceback
from collections.abc import Sequence
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

__all__ = [
    "BlockError",
    "BlockResult",
    "ExecBlock",
    "RenderedFigure",
    "compare_output",
    "execute_blocks",
    "figure_alt_text",
    "figure_to_svg",
    "format_failure",
    "reset_random_state",
    "run_in_child",
    "updated_output",
]

_CJK = re.compile(r"[\u4e00-\u9fff]")
_THIS_FILE = os.path.abspath(__file__)


@dataclass(frozen=True)
class ExecBlock:
    """执行一个代码块需要知道的：代码、开头围栏的行号、每一行的出处 ``(路径, 行号)``、跳过的原因。"""

    source: str
    line: int
    origins: tuple[tuple[str, int], ...] = ()
    skip: str | None = None


@dataclass(frozen=True)
class RenderedFigure:
    """渲染好的图：SVG 文本和中文替代文本。"""

    svg: str
    alt: str


@dataclass(frozen=True)
class BlockError:
    """代码块出错的位置和原因。

    Attributes:
        type: 异常的类型名，例如 ``NameError``。
        message: 异常的说明。
        frames: 从外到内的调用位置 ``(路径:行号, 函数名)``，只含页面、项目代码和最里面的一层库代码。
    """

    type: str
    message: str
    frames: tuple[tuple[str, str], ...] = ()

    def summary(self) -> str:
        return f"{self.type}: {self.message}" if self.message else self.type


@dataclass(frozen=True)
class BlockResult:
    """一个代码块的执行结果。

    ``status`` 是 ``ok``、``error``、``skipped``（页面要求跳过）或 ``not-run``（前面的块出错）。
    """

    stdout: str = ""
    figures: tuple[RenderedFigure, ...] = ()
    status: str = "ok"
    error: BlockError | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "stdout": self.stdout,
            "figures": [{"svg": f.svg, "alt": f.alt} for f in self.figures],
            "status": self.status,
        }
        if self.error is not None:
            data["error"] = {"type": self.error.type, "message": self.error.message,
                             "frames": [list(frame) for frame in self.error.frames]}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BlockResult:
        error = data.get("error")
        return cls(
            data["stdout"],
            tuple(RenderedFigure(f["svg"], f["alt"]) for f in data["figures"]),
            data["status"],
            BlockError(error["type"], error["message"], tuple(tuple(f) for f in error["frames"])) if error else None,
        )


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


# ---------------------------------------------------------------------------
# 执行
# ---------------------------------------------------------------------------


@dataclass
class _Run:
    stdout: str = ""
    figures: list[Figure] = field(default_factory=list)


def _block_filename(page: str, index: int) -> str:
    return f"<{page} 第 {index + 1} 个代码块>"


def _run_block(source: str, namespace: dict[str, Any], filename: str, run: _Run) -> None:
    """在 ``namespace`` 中执行一段代码，把打印的输出和产生的图记进 ``run``（出错时异常照常抛出，之前的输出仍在）。"""
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    tree = ast.parse(source, filename=filename)
    last_expression = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    before = set(plt.get_fignums())
    buffer = io.StringIO()
    try:
        with redirect_stdout(buffer):
            # dont_inherit：不继承本模块的 from __future__ import annotations，页面代码的行为要和读者运行时一样
            exec(compile(tree, filename, "exec", dont_inherit=True), namespace)
            if last_expression is not None:
                expression = ast.Expression(last_expression.value)
                value = eval(compile(expression, filename, "eval", dont_inherit=True), namespace)
                if isinstance(value, Figure):
                    run.figures.append(value)
                elif value is not None:
                    print(repr(value))
    finally:
        namespace.pop("__builtins__", None)
        for number in sorted(set(plt.get_fignums()) - before):
            figure = plt.figure(number)
            if figure not in run.figures:
                run.figures.append(figure)
            plt.close(figure)
        run.stdout = buffer.getvalue()


def execute_blocks(blocks: Sequence[ExecBlock], *, page: str, root: str | None = None) -> list[BlockResult]:
    """在一个新的命名空间里依次执行一页的代码块，返回每一块的结果。

    Args:
        blocks: 页面上的代码块，按页面顺序。
        page: 页面的路径（相对项目根目录），出错时报告它。
        root: 项目根目录；调用栈里这个目录下的文件以相对路径显示。
    """
    import torch

    reset_random_state()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # 课程里的模型都很小，多线程在繁忙的机器上反而慢得多
    namespace: dict[str, Any] = {"__name__": "__main__"}
    results: list[BlockResult] = []
    executed: dict[str, ExecBlock] = {}  # 编译用的文件名 → 代码块：调用栈里的位置要换算回页面
    failed = False
    previous = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="lesson-") as workdir:
        os.chdir(workdir)  # 页面写出的文件落在临时目录里，不弄乱项目
        try:
            for index, block in enumerate(blocks):
                if block.skip is not None:
                    results.append(BlockResult(status="skipped"))
                elif failed:
                    results.append(BlockResult(status="not-run"))
                else:
                    results.append(_execute_one(block, index, namespace, executed, page=page, root=root))
                    failed = results[-1].status == "error"
        finally:
            os.chdir(previous)
            torch.set_num_threads(threads)
    return results


def _execute_one(
    block: ExecBlock, index: int, namespace: dict[str, Any], executed: dict[str, ExecBlock], *, page: str,
    root: str | None,
) -> BlockResult:
    filename = _block_filename(page, index)
    executed[filename] = block
    run = _Run()
    try:
        _run_block(block.source, namespace, filename, run)
        figures = tuple(RenderedFigure(figure_to_svg(figure), figure_alt_text(figure)) for figure in run.figures)
    except (Exception, SystemExit) as error:  # 页面代码的任何异常都记为这一块出错，报告它在页面上的位置
        return BlockResult(run.stdout, (), "error", _located(error, executed, page=page, root=root))
    return BlockResult(run.stdout, figures)


def _located(error: BaseException, blocks: dict[str, ExecBlock], *, page: str, root: str | None) -> BlockError:
    """把异常的调用栈换算成页面和项目代码中的位置，去掉执行器自己的几层。

    ``blocks`` 是这一页已经执行过的代码块（编译时用的文件名 → 代码块）：调用栈里可能有前面的代码块定义的函数。
    """

    def block_origin(block: ExecBlock, lineno: int | None) -> str:
        if lineno and 0 < lineno <= len(block.origins):
            path, line = block.origins[lineno - 1]
            return f"{path}:{line}"
        return f"{page}:{block.line}"

    frames: list[tuple[str, str]] = []
    library: tuple[str, str] | None = None  # 最里面的一层库代码：例如 PyTorch 在哪个函数里检查出了错误
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename in blocks:
            frames.append((block_origin(blocks[frame.filename], frame.lineno), frame.name))
            library = None
            continue
        path = os.path.abspath(frame.filename)
        if path == _THIS_FILE:
            continue
        if root and path.startswith(os.path.abspath(root) + os.sep) and f"{os.sep}site-packages{os.sep}" not in path:
            frames.append((f"{os.path.relpath(path, root)}:{frame.lineno}", frame.name))
            library = None
        else:
            library = (f"{_short_library_path(path)}:{frame.lineno}", frame.name)
    if isinstance(error, SyntaxError) and error.filename in blocks:
        frames.append((block_origin(blocks[error.filename], error.lineno), ""))
    if library is not None:
        frames.append(library)
    message = error.msg if isinstance(error, SyntaxError) else str(error)
    return BlockError(type(error).__name__, message, tuple(frames))


def _short_library_path(path: str) -> str:
    marker = f"{os.sep}site-packages{os.sep}"
    return path.split(marker, 1)[1] if marker in path else path


def format_failure(
    page: str, line: int, head: Sequence[tuple[str, str]], error: BlockError, *, index: int | None = None
) -> str:
    """出错的代码块的说明：页面和行号、调用位置、异常、代码的前几行。

    Args:
        page: 页面路径。
        line: 代码块开头围栏的行号。
        head: 代码的前几行 ``(出处, 代码)``；出处是页面的行号，或 ``模块路径:行号``。
        error: 出错的位置和原因。
        index: 这是页面上的第几个代码块（从 0 开始）。

    Examples:
        >>> print(format_failure("docs/a.md", 12, [("13", "x = 1"), ("14", "print(y)")],
        ...       BlockError("NameError", "name 'y' is not defined", (("docs/a.md:14", ""),))))
        docs/a.md:12: 代码块出错
          在 docs/a.md:14
        NameError: name 'y' is not defined
        代码块的前几行：
          13 | x = 1
          14 | print(y)
    """
    which = f"第 {index + 1} 个 python " if index is not None else ""
    lines = [f"{page}:{line}: {which}代码块出错"]
    for location, function in error.frames:
        lines.append(f"  在 {location}" + (f"（{function}）" if function and function != "<module>" else ""))
    lines.append(error.summary())
    lines.append("代码块的前几行：")
    lines.extend(f"  {where} | {text}" for where, text in head)
    return "\n".join(lines)


def run_in_child(connection: Any, root: str, page: str, blocks: list[ExecBlock]) -> None:
    """在新进程里执行一页并把 ``(结果, 秒数)`` 发回（:mod:`.cache` 启动这个进程）。

    项目根目录放在 ``sys.path`` 最前面（和读者在仓库里运行时一样）；不写 ``.pyc``：
    ``mkdocs serve`` 监视着 ``lessons_src/``，写进 ``__pycache__`` 会再触发一次重建。
    """
    import sys
    import time

    sys.dont_write_bytecode = True
    sys.path.insert(0, root)
    started = time.perf_counter()
    results = execute_blocks(blocks, page=page, root=root)
    connection.send((results, time.perf_counter() - started))
    connection.close()


# ---------------------------------------------------------------------------
# 图
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# 输出比较
# ---------------------------------------------------------------------------

_NUMBER = r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?"
_TOKEN_RE = re.compile(rf"(\.\.\.)|({_NUMBER})|(\s+)")


def _pattern_for(expected: str) -> tuple[re.Pattern[str], list[tuple[int, int]]]:
    """把写在页面上的输出变成正则：数字成为捕获组，``...`` 匹配任意文字，空白可伸缩。

    返回正则和每个数字在 ``expected`` 中的位置。
    """
    parts: list[str] = []
    numbers: list[tuple[int, int]] = []
    position = 0
    for match in _TOKEN_RE.finditer(expected):
        parts.append(re.escape(expected[position : match.start()]))
        ellipsis, number, _space = match.groups()
        if ellipsis:
            parts.append(r"[\s\S]*?")
        elif number is not None:
            parts.append(f"({_NUMBER})")
            numbers.append(match.span())
        else:
            parts.append(r"\s+")
        position = match.end()
    parts.append(re.escape(expected[position:]))
    return re.compile("".join(parts)), numbers


def _half_unit(number: str) -> float:
    """页面上写出的数字末位的半个单位：``0.2689`` 是 5e-5，``1.5e-03`` 是 5e-6，整数是 0（必须相等）。"""
    mantissa, _, exponent = number.lower().partition("e")
    if "." not in mantissa:
        return 0.0
    decimals = len(mantissa.split(".")[1])
    return 0.5 * 10.0 ** (-decimals + (int(exponent) if exponent else 0))


def _number_problems(shown: list[str], produced: list[str], tolerance: float | None) -> list[tuple[int, str]]:
    problems = []
    for index, (written, actual) in enumerate(zip(shown, produced)):
        allowed = max(_half_unit(written), tolerance or 0.0)
        difference = abs(float(written) - float(actual))
        if not (difference <= allowed * (1 + 1e-9) or math.isclose(float(written), float(actual), rel_tol=1e-12)):
            problems.append((index, f"页面写 {written}，实际为 {actual}（允许误差 {allowed:g}）"))
    return problems


def compare_output(expected: str, actual: str, *, tolerance: float | None = None) -> str | None:
    """比较页面上写出的输出与代码实际打印的输出。一致时返回 ``None``，否则返回说明差异的文字。

    规则：

    - 文字逐字比较，但连续空白视为一个空白，首尾空白忽略；
    - ``...`` 匹配任意文字（用于耗时、内存地址这类每次都不同的内容）；
    - 数字按数值比较：页面上的数字必须是打印出的数字正确舍入的结果，即相差不超过写出的末位上的
      半个单位（``0.2689`` 允许 ±0.00005），整数须相等；给出 ``tolerance`` 时，允许的绝对误差至少为它。

    Examples:
        >>> compare_output("0.94", "0.9372549653053284") is None
        True
        >>> print(compare_output("1.0", "0.9372549653053284"))
        输出中的数值与页面不符:
        第 1 个数：页面写 1.0，实际为 0.9372549653053284（允许误差 0.05）
        实际输出是:
        0.9372549653053284
    """
    expected_text, actual_text = expected.strip(), actual.strip()
    if expected_text.split() == actual_text.split():  # 最常见的情况：逐字相同（不计空白），不必逐个比较数字
        return None
    pattern, spans = _pattern_for(expected_text)
    match = pattern.fullmatch(actual_text)
    if match is None:
        return f"输出的文字与页面不符。\n页面上写的是:\n{expected_text}\n实际输出是:\n{actual_text}"
    shown = [expected_text[start:end] for start, end in spans]
    problems = _number_problems(shown, list(match.groups()), tolerance)
    if problems:
        listed = "\n".join(f"第 {index + 1} 个数：{text}" for index, text in problems)
        return f"输出中的数值与页面不符:\n{listed}\n实际输出是:\n{actual_text}"
    return None


def _line_matches(expected: str, actual: str) -> re.Match[str] | None:
    return _pattern_for(expected.strip())[0].fullmatch(actual.strip())


def _renumbered(expected: str, actual: str, tolerance: float | None) -> str:
    """文字相同的一行：把超出误差的数字换成实际打印的数字，其余（包括 ``...``）保持页面上的写法。"""
    stripped = expected.strip()
    indent = expected[: len(expected) - len(expected.lstrip())]
    pattern, spans = _pattern_for(stripped)
    match = pattern.fullmatch(actual.strip())
    assert match is not None
    produced = list(match.groups())
    wrong = dict(_number_problems([stripped[s:e] for s, e in spans], produced, tolerance))
    pieces, position = [], 0
    for index, (start, end) in enumerate(spans):
        pieces.append(stripped[position:start])
        pieces.append(produced[index] if index in wrong else stripped[start:end])
        position = end
    pieces.append(stripped[position:])
    return indent + "".join(pieces)


def updated_output(expected: str, actual: str, *, tolerance: float | None = None) -> str:
    """按代码实际打印的内容改写页面上的输出，尽量保留页面的写法：

    - 已经一致的输出原样返回；
    - 单独成行的 ``...`` 保留，它们继续匹配每次不同的那几行；
    - 文字相同、只是数字不对的行，只换掉不对的数字（含 ``...`` 的行也是如此）；
    - 其余的行换成实际打印的行。

    Examples:
        >>> print(updated_output("loss 0.50\\n...\\ndone 3", "loss 0.4321\\nepoch 1\\nepoch 2\\ndone 3\\n"))
        loss 0.4321
        ...
        done 3
    """
    if compare_output(expected, actual, tolerance=tolerance) is None:
        return expected
    shown = expected.strip("\n").split("\n")
    printed = actual.rstrip("\n").split("\n") if actual.strip() else []
    if not any("..." in line for line in shown):
        return "\n".join(printed) + "\n"
    # 编辑距离式的对齐：单独的 ... 行可吸收任意多行；文字能对上的行代价为 0，其余替换、删除、插入代价为 1
    n, m = len(shown), len(printed)
    wildcard = [line.strip() == "..." for line in shown]
    infinity = float("inf")
    cost = [[infinity] * (m + 1) for _ in range(n + 1)]
    move: dict[tuple[int, int], tuple[str, int, int]] = {}
    cost[n][m] = 0
    for i in range(n, -1, -1):
        for j in range(m, -1, -1):
            if i == n and j == m:
                continue
            options: list[tuple[float, str, int, int]] = []
            if i < n and wildcard[i]:
                options.append((cost[i + 1][j], "keep", i + 1, j))
                if j < m:
                    options.append((cost[i][j + 1], "absorb", i, j + 1))
            if i < n and j < m and not wildcard[i]:
                same = _line_matches(shown[i], printed[j]) is not None
                options.append((cost[i + 1][j + 1] + (0 if same else 1), "same" if same else "replace", i + 1, j + 1))
            if i < n and not wildcard[i]:
                options.append((cost[i + 1][j] + 1, "delete", i + 1, j))
            if j < m:
                options.append((cost[i][j + 1] + 1, "insert", i, j + 1))
            best = min(options, key=lambda option: option[0])
            cost[i][j] = best[0]
            move[(i, j)] = best[1:]
    lines: list[str] = []
    i = j = 0
    while (i, j) != (n, m):
        action, next_i, next_j = move[(i, j)]
        if action == "keep":
            lines.append(shown[i])
        elif action == "same":
            lines.append(_renumbered(shown[i], printed[j], tolerance))
        elif action in ("replace", "insert"):
            lines.append(printed[j])
        i, j = next_i, next_j
    result = "\n".join(lines) + "\n"
    if compare_output(result, actual, tolerance=tolerance) is not None:
        return "\n".join(printed) + "\n"
    return result
