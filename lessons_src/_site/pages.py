"""读取页面：按网站同样的方式展开代码片段，找出页面上的代码块和它们的输出块。

网站构建、文档测试、笔记本和检查页面结构的测试都通过 :func:`load_page` 读页面，
“一页有哪些代码块、每块的输出写在哪里、出错时该指向哪一行”只在这里算一次。

- 片段展开不自己实现，而是调用 MkDocs 配置里的 ``pymdownx.snippets`` 扩展，参数也取自同一份
  ``mkdocs.yml``，所以代码块的内容与读者在网页上看到的逐字相同；
- 行号都是磁盘上文件的行号（含 front matter），从片段引入的行另外记下它在
  ``lessons_src/<模块>.py`` 中的行号；
- ``output`` 块在解析时就与它前面紧挨着的 ``python`` 块配成一对（中间只能有
  ``<!-- tolerance: x -->`` 指令和空行），``<!-- skip: next "原因" -->`` 属于它后面的代码块。
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import markdown
from mkdocs.utils.meta import get_data

__all__ = [
    "PYTHON_ALIASES",
    "CodeBlock",
    "ExpectedOutput",
    "Fence",
    "LessonPage",
    "Origin",
    "SnippetExpander",
    "load_notebook",
    "load_page",
    "scan_fences",
    "split_front_matter",
]

#: 会被某些工具当作 Python 的语言标记。页面上只允许用 ``python``，
#: 其余写法要么不会被执行，要么不会被高亮，页面检查会拒绝它们。
PYTHON_ALIASES = frozenset({"py", "py3", "python3", "pycon", "ipython", "ipython3", "pytb"})

_FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^\n]*)$", re.MULTILINE)
_SNIPPET_LINE = re.compile(r"""^[ \t]*-{1,}8<-{1,}[ \t]+(?P<quote>["'])(?P<target>[^"']+)(?P=quote)[ \t]*$""")
_SECTION_MARKER = re.compile(r"^.*?-{1,}8<-{1,}[ \t]+\[(?:start|end):[\w-]+\].*$")
_TOLERANCE = re.compile(r"<!--\s*tolerance:\s*(?P<value>[0-9.eE+-]+)\s*-->")
_SKIP = re.compile(r"<!--+\s*skip:?\s*(?P<arguments>[^>]*?)\s*-*->")
_BETWEEN_BLOCKS = re.compile(r"(?:\s|<!--.*?-->)*", re.DOTALL)


@dataclass(frozen=True)
class Fence:
    """文本中的一个围栏代码块。

    Attributes:
        start: 开头那一行在文本中的起始位置。
        end: 结尾那一行（含换行符）之后的位置。
        indent: 围栏的缩进（内容标签页、提示框里的代码块有缩进）。
        info: 围栏后面的信息串，例如 ``python`` 或 ``python title="x.py"``。
        body: 去掉缩进之后的代码。
        line: 开头那一行的行号（从 1 开始）。
        body_start: 第一行代码在文本中的位置。
        body_end: 结尾那一行在文本中的位置（代码到此为止）。
    """

    start: int
    end: int
    indent: str
    info: str
    body: str
    line: int
    body_start: int = 0
    body_end: int = 0

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
        body_start = min(opening.end() + 1, len(text))
        match = closing.search(text, body_start) if opening.end() < len(text) else None
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
                body_start=body_start,
                body_end=body_end,
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
        self.config = dict(snippet_config)
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

    def base_paths(self) -> list[Path]:
        paths = self.config.get("base_path", ["."])
        return [Path(p) for p in ([paths] if isinstance(paths, str) else paths)]


# ---------------------------------------------------------------------------
# 页面模型
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Origin:
    """代码中一行的出处：文件（相对项目根目录）和行号。"""

    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class ExpectedOutput:
    """页面上写给读者看的一个 ``output`` 块。

    Attributes:
        text: 块中的文字。
        line: 开头那一行在磁盘文件中的行号。
        start: 块的内容在文件文字中的起始位置（重写输出时用）。
        end: 块的内容的结束位置（结尾围栏那一行的开头）。
        indent: 围栏的缩进。
        tolerance: ``<!-- tolerance: x -->`` 指令给出的绝对误差；没有时为 ``None``。
        fence_end: 整个块（含结尾围栏那一行）结束之后的位置。
    """

    text: str
    line: int
    start: int
    end: int
    indent: str
    tolerance: float | None = None
    fence_end: int = 0


@dataclass(frozen=True)
class CodeBlock:
    """页面上的一个 ``python`` 代码块。

    Attributes:
        index: 它是页面上的第几个 ``python`` 块（从 0 开始）。
        source: 展开片段之后的代码，与网页上显示的相同。
        line: 开头围栏在磁盘文件中的行号。
        origins: ``source`` 每一行的出处（页面的行，或者片段所在模块的行）。
        start: 围栏在文件文字中的起始位置。
        end: 围栏结束之后的位置。
        indent: 围栏的缩进。
        output: 与它配对的 ``output`` 块；没有时为 ``None``。
        skip: ``<!-- skip: next "原因" -->`` 写的原因；不跳过时为 ``None``。
    """

    index: int
    source: str
    line: int
    origins: tuple[Origin, ...]
    start: int
    end: int
    indent: str = ""
    output: ExpectedOutput | None = None
    skip: str | None = None

    def head(self, page: str, lines: int = 3) -> list[tuple[str, str]]:
        """代码的前几行 ``(出处, 代码)``（报错时展示）：页面 ``page`` 上的行写行号，片段引入的行写 ``模块:行号``。"""
        return [
            (str(origin.line) if origin.path == page else str(origin), text)
            for origin, text in zip(self.origins, self.source.splitlines()[:lines])
        ]


@dataclass(frozen=True)
class LessonPage:
    """读者看到的一页：磁盘上的文字、展开片段之后的正文、代码块和页面的问题。

    Attributes:
        path: 相对项目根目录的路径，例如 ``docs/mlp/dropout.md``（报错时显示）。
        text: 磁盘上文件的全部文字（含 front matter）。
        body_offset: 正文（去掉 front matter 之后）在 ``text`` 中的起始位置。
        meta: front matter。
        expanded: 展开片段引用之后的正文，即 MkDocs 渲染的内容。
        blocks: 页面上的 ``python`` 代码块，按页面顺序。
        problems: 页面上读者能看到、却不会被执行或核对的写法，每条以 ``路径:行号:`` 开头。
    """

    path: str
    text: str
    body_offset: int
    meta: dict[str, Any]
    expanded: str
    blocks: tuple[CodeBlock, ...]
    problems: tuple[str, ...] = field(default=())

    @property
    def sources(self) -> list[str]:
        return [block.source for block in self.blocks]

    @property
    def body(self) -> str:
        return self.text[self.body_offset :]


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def load_page(
    path: str | Path,
    expander: SnippetExpander,
    *,
    root: str | Path,
    text: str | None = None,
) -> LessonPage:
    """读取一页并找出代码块。

    Args:
        path: 页面文件。
        expander: 网站的片段扩展。
        root: 项目根目录（``mkdocs.yml`` 所在的目录）；报错中的路径相对于它。
        text: 页面的文字；不给出时从 ``path`` 读取。
    """
    root = Path(root)
    if text is None:
        text = Path(path).read_text(encoding="utf-8")
    display = _relative(Path(path), root)
    body, meta = split_front_matter(text)
    body_offset = len(text) - len(body) if text.endswith(body) else 0
    line_offset = text.count("\n", 0, body_offset)
    expanded = expander.expand(body)
    problems: list[str] = []

    def where(line: int) -> str:
        return f"{display}:{line}"

    raw_fences = scan_fences(body)
    expanded_python = [fence for fence in scan_fences(expanded) if fence.language == "python"]
    raw_python = [fence for fence in raw_fences if fence.language == "python"]
    if len(raw_python) != len(expanded_python):
        problems.append(
            f"{where(1)}: 展开片段之后 python 代码块从 {len(raw_python)} 个变成了 {len(expanded_python)} 个"
        )
        expanded_python = raw_python

    blocks: list[CodeBlock] = []
    previous: Fence | None = None
    used_tolerances: set[int] = set()
    for fence in raw_fences:
        line = fence.line + line_offset
        language = fence.language
        if language in PYTHON_ALIASES:
            problems.append(f"{where(line)}: 语言标记 {fence.info!r} 不会被执行，Python 代码请写作 python")
        elif language in ("python", "output") and fence.info != language:
            problems.append(
                f"{where(line)}: {language} 代码块的信息串只能是 {language!r}，写成 {fence.info!r} 会让测试认不出它"
            )
        elif language == "python":
            expanded_fence = expanded_python[len(blocks)]
            source = expanded_fence.body
            if source.startswith(">>>"):
                problems.append(f"{where(line)}: 代码块以 >>> 开头：请写成普通代码，输出放进紧跟的 output 块")
            skip = _skip_reason(body[previous.end if previous else 0 : fence.start], where(line), problems)
            blocks.append(
                CodeBlock(
                    index=len(blocks),
                    source=source,
                    line=line,
                    origins=_origins(fence, source, expander, root=root, page=display, line_offset=line_offset),
                    start=fence.start + body_offset,
                    end=fence.end + body_offset,
                    indent=fence.indent,
                    skip=skip,
                )
            )
        elif language == "output":
            between = body[previous.end : fence.start] if previous is not None else ""
            paired = (
                previous is not None
                and previous.language == "python"
                and previous.info == "python"
                and blocks
                and blocks[-1].output is None
                and _BETWEEN_BLOCKS.fullmatch(between) is not None
            )
            if not paired:
                problems.append(
                    f"{where(line)}: output 块前面没有紧挨着的 python 代码块（中间只能有空行和 tolerance 指令）"
                )
            else:
                tolerance = _TOLERANCE.search(between)
                if tolerance:
                    used_tolerances.add(previous.end + tolerance.start())
                output = ExpectedOutput(
                    text=fence.body,
                    line=line,
                    start=fence.body_start + body_offset,
                    end=fence.body_end + body_offset,
                    indent=fence.indent,
                    tolerance=float(tolerance.group("value")) if tolerance else None,
                    fence_end=fence.end + body_offset,
                )
                blocks[-1] = replace(blocks[-1], output=output)
        previous = fence
    for match in _TOLERANCE.finditer(body):
        if match.start() not in used_tolerances:
            line = body.count("\n", 0, match.start()) + 1 + line_offset
            problems.append(f"{where(line)}: tolerance 指令只能写在 python 块和它的 output 块之间")
    return LessonPage(display, text, body_offset, meta, expanded, tuple(blocks), tuple(problems))


def _skip_reason(before: str, where: str, problems: list[str]) -> str | None:
    """代码块前面（与上一个代码块之间）紧挨着的 skip 指令给出的原因。"""
    matches = list(_SKIP.finditer(before))
    if not matches or before[matches[-1].end() :].strip():
        return None
    action, _, reason = matches[-1].group("arguments").partition(" ")
    reason = reason.strip().strip("\"'")
    if action != "next":
        problems.append(f"{where}: 只支持 <!-- skip: next \"原因\" -->，不支持 skip: {action}")
        return None
    if not reason:
        problems.append(f"{where}: skip 指令必须写明原因，例如 <!-- skip: next \"需要 GPU\" -->")
        return None
    return reason


def _origins(
    fence: Fence, source: str, expander: SnippetExpander, *, root: Path, page: str, line_offset: int
) -> tuple[Origin, ...]:
    """展开之后每一行代码的出处：页面上直接写的行，或者片段所在模块的行。"""
    origins: list[Origin] = []
    for number, raw in enumerate(fence.body.splitlines(), start=fence.line + 1 + line_offset):
        snippet = _SNIPPET_LINE.match(raw)
        if snippet is None:
            origins.append(Origin(page, number))
            continue
        lines = _region_lines(snippet.group("target"), expander, root)
        expected = len(expander.expand(raw).splitlines())
        if lines is None or len(lines) != expected:  # 认不出区域在模块中的位置：这几行都算作片段引用那一行
            origins.extend([Origin(page, number)] * expected)
        else:
            origins.extend(Origin(module, line) for module, line in lines)
    if len(origins) != len(source.splitlines()):  # 展开的方式与预期不同时，退回到代码块开头那一行
        return tuple(Origin(page, fence.line + line_offset) for _ in source.splitlines())
    return tuple(origins)


def _region_lines(target: str, expander: SnippetExpander, root: Path) -> list[tuple[str, int]] | None:
    """片段 ``path:region`` 展开后每一行在模块中的位置 ``[(路径, 行号)]``。"""
    name, _, region = target.partition(":")
    for base in expander.base_paths():
        path = (base if base.is_absolute() else root / base) / name
        if path.is_file():
            break
    else:
        return None
    lines = path.read_text(encoding="utf-8").splitlines()
    display = _relative(path, root)
    if not region:
        return [(display, number) for number, _ in enumerate(lines, start=1)]
    if region.replace(":", "").isdigit():
        return None
    opening = re.compile(rf"-8<-+\s+\[start:{re.escape(region)}\]")
    start = next((i for i, line in enumerate(lines) if opening.search(line)), None)
    if start is None:
        return None
    found = []
    for number in range(start + 1, len(lines)):
        if re.search(rf"-8<-+\s+\[end:{re.escape(region)}\]", lines[number]):
            return found
        if not _SECTION_MARKER.match(lines[number]):
            found.append((display, number + 1))
    return None


def load_notebook(path: str | Path, *, root: str | Path) -> LessonPage:
    """把 docs/ 中的 ``.ipynb`` 笔记本页面读成 :class:`LessonPage`：每个代码单元是一个代码块。

    笔记本没有“行号”，代码块的 ``line`` 是代码单元的序号（从 1 开始），
    每行代码的出处写作 ``<路径>#单元<序号>:<单元内的行号>``。
    """
    import nbformat

    root = Path(root)
    display = _relative(Path(path), root)
    notebook = nbformat.read(str(path), as_version=4)
    cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    blocks = tuple(
        CodeBlock(
            index=index,
            source=cell.source + ("\n" if cell.source and not cell.source.endswith("\n") else ""),
            line=index + 1,
            origins=tuple(Origin(f"{display}#单元{index + 1}", n) for n in range(1, len(cell.source.splitlines()) + 1)),
            start=0,
            end=0,
        )
        for index, cell in enumerate(cells)
    )
    return LessonPage(display, "", 0, {}, "", blocks)
