"""页面引入的代码区域里有多少行是参数检查：读者复制的代码应当展示思路，检查放在辅助函数里。

    python -m lessons_src._site.regions          # 每个区域的代码行、检查行，以及总的比例
    python -m lessons_src._site.regions --worst 15

一个区域是页面用 ``--8<-- "lessons_src/<模块>.py:<名字>"`` 引入的 ``[start:名字]`` 到 ``[end:名字]`` 之间的行。
**非文档字符串行**是其中不在文档字符串里的行（读者在代码块里看到的、除文档字符串以外的每一行，空行和注释也算），
**代码行**是其中不空、也不是纯注释的行。**检查行**由模块的语法树找出：

- ``raise`` 语句，以及只由 ``raise`` 组成的 ``if``（``if not ok: raise ...``，连同条件的所有行）；
  ``except`` 块里的 ``raise`` 不算：把别的异常换成说明更清楚的异常，是函数本身要做的事，不是检查参数；
- ``assert`` 语句；
- 对名字以 ``require_`` / ``check_``（可带前导 ``_``）开头的函数的调用语句，例如 ``require_tensor(X, "X")``
  或 ``X = require_tensor(X, "X")``。

:func:`region_stats` 给出每个区域的数字，测试要求全部区域的检查行不超过代码行的 8 %，
（以非文档字符串行为分母；以代码行为分母的比例也一并报告），并且区域里的每个函数最多一行检查
（:func:`crowded_functions`）。
"""

from __future__ import annotations

import argparse
import ast
import io
import re
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["FunctionChecks", "RegionStats", "check_lines", "crowded_functions", "main", "region_stats"]

ROOT = Path(__file__).resolve().parents[2]
_INCLUDE = re.compile(r'^\s*-{1,}8<-{1,}\s+"(?P<path>lessons_src/[^":]+\.py):(?P<region>[A-Za-z_][\w.-]*)"', re.M)
_CHECK_CALL = re.compile(r"^_?(require|check)_\w*$")


@dataclass(frozen=True)
class FunctionChecks:
    """区域里一个函数的检查行。"""

    module: str
    name: str
    line: int
    check_lines: tuple[int, ...]

    def __str__(self) -> str:
        return f"{self.module}:{self.line}（{self.name}）有 {len(self.check_lines)} 行检查"


@dataclass
class RegionStats:
    """一个区域：模块、名字、代码行号与其中的检查行号。"""

    module: str
    region: str
    code: list[int] = field(default_factory=list)
    checks: list[int] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    """非文档字符串行。"""

    @property
    def share(self) -> float:
        return len(self.checks) / len(self.code) if self.code else 0.0


def _is_check_call(node: ast.AST) -> bool:
    value = getattr(node, "value", None)
    if not isinstance(node, ast.Expr | ast.Assign | ast.AnnAssign) or not isinstance(value, ast.Call):
        return False
    func = value.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    return _CHECK_CALL.match(name) is not None


def _is_check(node: ast.AST) -> bool:
    if isinstance(node, ast.Raise | ast.Assert):
        return True
    if isinstance(node, ast.If):
        return all(_is_check(child) for child in node.body + node.orelse)
    return _is_check_call(node)


def _span(node: ast.AST) -> range:
    return range(node.lineno, (node.end_lineno or node.lineno) + 1)


def _check_statements(tree: ast.AST, *, into_definitions: bool = True) -> list[ast.stmt]:
    """最外层的检查语句（一个只含 raise 的 if 算一个，不再算它里面的 raise）。

    ``into_definitions=False`` 时不进入嵌套的函数和类（它们的检查算它们自己的）。
    """
    found: list[ast.stmt] = []
    definitions = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ExceptHandler):
                continue
            if isinstance(child, ast.stmt) and _is_check(child):
                found.append(child)
            elif into_definitions or not isinstance(child, definitions):
                visit(child)

    visit(tree)
    return found


def check_lines(source: str) -> set[int]:
    """模块中属于检查语句的行号。"""
    return {line for node in _check_statements(ast.parse(source)) for line in _span(node)}


def _docstring_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            value = first.value if isinstance(first, ast.Expr) else None
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                lines.update(_span(first))
    return lines


def _code_lines(source: str, tree: ast.AST) -> set[int]:
    """不空、不是纯注释、不在文档字符串中的行。"""
    lines: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
            continue
        if token.type == tokenize.ENDMARKER:
            break
        lines.update(range(token.start[0], token.end[0] + 1))
    return lines - _docstring_lines(tree)


def _region_span(lines: list[str], region: str) -> range:
    opening = re.compile(rf"-8<-+\s+\[start:{re.escape(region)}\]")
    closing = re.compile(rf"-8<-+\s+\[end:{re.escape(region)}\]")
    start = next(number for number, line in enumerate(lines, 1) if opening.search(line))
    end = next(number for number, line in enumerate(lines, 1) if number > start and closing.search(line))
    return range(start + 1, end)


def _collapsed(lines: list[str], number: int) -> bool:
    """第 ``number`` 行（从 0 数）是否在一个默认折叠的 ``??? note "..."`` 块里。"""
    indent = len(lines[number]) - len(lines[number].lstrip())
    for line in reversed(lines[:number]):
        stripped = line.lstrip()
        if stripped and len(line) - len(stripped) < indent:
            if stripped.startswith("??? "):
                return True
            if not stripped.startswith("```"):
                return False
            indent = len(line) - len(stripped)
    return False


def included_regions(root: Path = ROOT, *, collapsed: bool = False) -> list[tuple[str, str]]:
    """``docs/`` 引入的所有 ``(模块路径, 区域名)``，每个只算一次。

    默认不算只在折叠块（``??? note``，读者点开才看到）里引入的区域：那是页面有意收起的辅助函数；
    ``collapsed=True`` 时只返回这些区域。
    """
    shown: dict[tuple[str, str], None] = {}
    hidden: dict[tuple[str, str], None] = {}
    for page in sorted((root / "docs").rglob("*.md")):
        text = page.read_text("utf-8")
        lines = text.splitlines()
        for match in _INCLUDE.finditer(text):
            number = text.count("\n", 0, match.start())
            key = match["path"], match["region"]
            (hidden if _collapsed(lines, number) else shown)[key] = None
    if collapsed:
        return [key for key in hidden if key not in shown]
    return list(shown)


def region_stats(root: Path = ROOT) -> list[RegionStats]:
    """每个被引入区域的代码行与检查行。"""
    parsed: dict[str, tuple[list[str], set[int], set[int], set[int]]] = {}
    stats = []
    for module, region in included_regions(root):
        if module not in parsed:
            source = (root / module).read_text("utf-8")
            tree = ast.parse(source)
            parsed[module] = (source.splitlines(), _code_lines(source, tree), check_lines(source),
                              _docstring_lines(tree))
        lines, code, checks, docstrings = parsed[module]
        span = set(_region_span(lines, region))
        stats.append(RegionStats(module, region, sorted(span & code), sorted(span & code & checks),
                                 sorted(span - docstrings)))
    return stats


def crowded_functions(root: Path = ROOT, *, allowed: int = 1) -> list[FunctionChecks]:
    """区域里检查超过 ``allowed`` 行的函数（嵌套函数各算各的）。"""
    crowded = []
    for module, region in included_regions(root):
        source = (root / module).read_text("utf-8")
        span = set(_region_span(source.splitlines(), region))
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or node.lineno not in span:
                continue
            lines = sorted({line for check in _check_statements(node, into_definitions=False) for line in _span(check)})
            if len(lines) > allowed:
                crowded.append(FunctionChecks(module, node.name, node.lineno, tuple(lines)))
    return sorted(set(crowded), key=lambda item: (item.module, item.line))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worst", type=int, default=10, help="列出检查比例最高的几个区域")
    args = parser.parse_args(argv)
    stats = region_stats()
    code = sum(len(item.code) for item in stats)
    lines = sum(len(item.lines) for item in stats)
    checks = sum(len(item.checks) for item in stats)
    for item in sorted(stats, key=lambda item: (-len(item.checks), item.module))[: args.worst]:
        print(f"{item.module}:{item.region}: {len(item.checks)}/{len(item.code)} 行检查（{item.share:.0%}）")
    crowded = crowded_functions()
    print(f"折叠显示的辅助区域 {len(included_regions(collapsed=True))} 个（不计入）；"
          f"{len(stats)} 个展示的区域，非文档字符串行 {lines} 行（其中代码 {code} 行），检查 {checks} 行"
          f"（占非文档字符串行 {checks / lines:.1%}，占代码行 {checks / code:.1%}）；"
          f"检查多于一行的函数 {len(crowded)} 个")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
