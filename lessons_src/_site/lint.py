"""用 ruff 检查页面上的代码块（读者复制的就是它们），报告 ``docs/<页面>.md:<行号>``。

    python -m lessons_src._site.lint          # 检查 docs/ 中的每一页，有问题时以状态 1 退出

一页的代码块按页面顺序拼成一个模块交给 ruff（与执行时一样，后面的块能用前面的块定义的名字），
每条结果按 :func:`lessons_src._site.pages.load_page` 记下的出处换算回页面（或片段所在模块）的行号。
规则与 ``pyproject.toml`` 中的 ``[tool.ruff]`` 相同，另外：

- 不报 E402（后面的代码块里才导入）、F811（页面有意重新定义同一个函数，给出改进的版本）、
  B018（代码块最后一行的表达式像 Jupyter 一样显示它的值）、RUF010（对初学者 ``str(x)`` 比 ``!s`` 清楚）、
  B023（页面在循环里把 lambda 交给计时函数立刻调用，不会有迟绑定的问题）；
- 页面上直接写的代码每行不超过 100 列（读者在网页上不必横向滚动）；从模块引入的行由模块自己的检查负责，
  这里只报告未定义的名字（F821：区域里用到的名字，页面必须在之前的代码块里导入）。
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from lessons_src._site.pages import LessonPage, Origin, SnippetExpander, load_page

__all__ = ["Finding", "lint_pages", "main"]

PAGE_IGNORE = ["E402", "F811", "B018", "RUF010", "B023"]
PAGE_LINE_LENGTH = 100
#: 从模块引入的行只报告这些规则（其余由对模块本身的检查负责）
INCLUDED_RULES = {"F821"}


@dataclass(frozen=True)
class Finding:
    """ruff 的一条结果，位置已换算回页面。"""

    where: Origin
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.code} {self.message}"


def _module_for(page: LessonPage) -> tuple[str, list[Origin]]:
    """一页的代码块按顺序拼成一个模块：块之间空一行，下一块以函数或类的定义开头时空两行（PEP 8）。"""
    lines: list[str] = []
    origins: list[Origin] = []
    for block in page.blocks:
        if lines:
            starts_definition = re.match(r"\s*(@|def |async def |class )", block.source) is not None
            gap = 2 if starts_definition else 1
            lines += [""] * gap
            origins += [Origin(page.path, block.line)] * gap
        lines.extend(block.source.splitlines())
        origins.extend(block.origins)
    return "\n".join(lines) + "\n", origins


def lint_pages(pages: list[LessonPage], *, root: Path) -> list[Finding]:
    """检查各页的代码块，返回问题列表（按页面顺序）。"""
    findings: list[Finding] = []
    with tempfile.TemporaryDirectory(prefix="lint-pages-") as folder:
        origins: dict[str, list[Origin]] = {}
        for number, page in enumerate(pages):
            if not page.blocks:
                continue
            source, page_origins = _module_for(page)
            name = Path(folder) / f"page_{number}.py"
            name.write_text(source, "utf-8")
            origins[name.name] = page_origins
        if not origins:
            return []
        command = [
            sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "json", "--exit-zero",
            "--config", str(root / "pyproject.toml"),
            "--extend-ignore", ",".join(PAGE_IGNORE), "--line-length", str(PAGE_LINE_LENGTH), folder,
        ]
        completed = subprocess.run(command, capture_output=True, text=True, check=True, cwd=root)
        for item in sorted(json.loads(completed.stdout), key=lambda i: (i["filename"], i["location"]["row"])):
            where = origins[Path(item["filename"]).name][item["location"]["row"] - 1]
            from_page = where.path.endswith(".md")
            if from_page or item["code"] in INCLUDED_RULES:
                findings.append(Finding(where, item["code"], item["message"]))
    return findings


def main(argv: list[str] | None = None) -> int:
    root = Path.cwd()
    expander = SnippetExpander.from_mkdocs_yml(root / "mkdocs.yml")
    paths = [Path(p) for p in (argv if argv else sorted(str(p) for p in (root / "docs").rglob("*.md")))]
    findings = lint_pages([load_page(path, expander, root=root) for path in paths], root=root)
    for finding in findings:
        print(finding)
    print(f"检查了 {len(paths)} 个页面的代码块：{len(findings)} 个问题")
    return 1 if findings else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
