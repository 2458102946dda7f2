"""每课末尾的练习：找出 ``## 练习`` 一节中的每道题和它折叠起来的参考答案。

页面的写法（README“写练习”一节）::

    ## 练习

    ### 1. 题目的简短标题

    题目正文……

    ??? success "参考答案"

        解答的文字、公式和代码块（缩进 4 格），代码块与页面上其他代码块一样执行和核对。

- 网站：参考答案默认折叠，读者先自己做；章节目录页在每一课的链接后写上这一课有几道练习（:mod:`.hooks.exercises`）；
- 笔记本：课程笔记本只有题目，每道题后面留一个空的代码单元；另一本“附参考答案”的笔记本是整页
  （:func:`lessons_src._site.notebook.page_to_notebook` 的 ``answers`` 参数）；
- 检查：:func:`find_exercises` 报告写法上的问题（没有答案、答案没有折叠、题号不连续……），测试要求每一课都有练习。
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lessons_src._site.pages import scan_fences

__all__ = ["ANSWER_TITLE", "Exercise", "ExerciseSection", "answer_spans", "find_exercises"]

SECTION_TITLE = "练习"
ANSWER_TITLE = '??? success "参考答案"'
_HEADING = re.compile(r"^(?P<hashes>#{1,6})[ \t]+(?P<title>.+?)[ \t]*(?:\{[^}]*\})?[ \t]*$", re.MULTILINE)
_NUMBERED = re.compile(r"^(?P<number>\d+)\.[ \t]+(?P<title>\S.*)$")
_ANSWER = re.compile(r'^(?P<indent>[ \t]*)\?\?\?(?P<open>\+?)[ \t]+success[ \t]+"参考答案"[ \t]*$', re.MULTILINE)
_MATH = re.compile(r"\$[^$\n]+\$|\$\$")


@dataclass(frozen=True)
class Exercise:
    """一道练习。

    Attributes:
        number: 题号（从 1 开始）。
        title: 标题（不含题号）。
        line: 标题所在的行（从 1 开始，相对于给出的文字）。
        start: 标题在文字中的位置。
        end: 这道题（含答案）结束的位置：下一道题的标题或文字末尾。
        answer: 参考答案块 ``(起始, 结束)`` 的位置；没有答案时为 ``None``。
        has_code: 答案里有没有 ``python`` 代码块。
        has_math: 答案里有没有公式。
    """

    number: int
    title: str
    line: int
    start: int
    end: int
    answer: tuple[int, int] | None
    has_code: bool = False
    has_math: bool = False


@dataclass(frozen=True)
class ExerciseSection:
    """``## 练习`` 一节：起始位置、各道题，以及写法上的问题（每条以 ``行号:`` 开头）。"""

    start: int
    line: int
    exercises: tuple[Exercise, ...]
    problems: tuple[str, ...] = field(default=())


def _outside_code(text: str) -> list[tuple[int, int]]:
    """代码块占据的区间（标题和答案的开头只在代码块以外找）。"""
    return [(fence.start, fence.end) for fence in scan_fences(text)]


def _in(position: int, spans: list[tuple[int, int]]) -> bool:
    return any(start <= position < end for start, end in spans)


def answer_spans(text: str) -> list[tuple[int, int]]:
    """文字中每个 ``??? success "参考答案"`` 块的 ``(起始, 结束)``：从标题行到缩进回到标题的层次之前。"""
    code = _outside_code(text)
    spans = []
    for match in _ANSWER.finditer(text):
        if _in(match.start(), code):
            continue
        indent = len(match.group("indent"))
        end = len(text)
        position = match.end() + 1
        for line in re.finditer(r"^.*$", text[position:], re.MULTILINE):
            content = line.group(0)
            if content.strip() and len(content) - len(content.lstrip()) <= indent:
                end = position + line.start()
                break
        spans.append((match.start(), end))
    return spans


def find_exercises(text: str) -> ExerciseSection | None:
    """找出 ``text``（页面正文）中的 ``## 练习`` 一节；没有这一节时返回 ``None``。"""
    code = _outside_code(text)
    headings = [match for match in _HEADING.finditer(text) if not _in(match.start(), code)]
    section = next(
        (match for match in headings if len(match["hashes"]) == 2 and match["title"] == SECTION_TITLE), None
    )
    if section is None:
        return None

    def line_of(position: int) -> int:
        return text.count("\n", 0, position) + 1

    problems: list[str] = []
    later = [match for match in headings if match.start() > section.start()]
    after = next((match for match in later if len(match["hashes"]) <= 2), None)
    if after is not None:
        problems.append(f"{line_of(after.start())}: “## 练习”应是页面的最后一节，它后面还有标题 {after['title']!r}")
    section_end = after.start() if after is not None else len(text)
    questions = [match for match in later if match.start() < section_end and len(match["hashes"]) == 3]
    answers = [span for span in answer_spans(text) if section.start() < span[0] < section_end]
    for match in _ANSWER.finditer(text, section.start(), section_end):
        if match["open"] and not _in(match.start(), code):
            problems.append(f"{line_of(match.start())}: 参考答案应默认折叠：写 ??? 而不是 ???+")

    exercises = []
    for index, heading in enumerate(questions):
        end = questions[index + 1].start() if index + 1 < len(questions) else section_end
        line = line_of(heading.start())
        numbered = _NUMBERED.match(heading["title"])
        if numbered is None:
            problems.append(f"{line}: 练习的标题应写成“### 题号. 标题”，实际是 {heading['title']!r}")
            number, title = index + 1, heading["title"]
        else:
            number, title = int(numbered["number"]), numbered["title"]
            if number != index + 1:
                problems.append(f"{line}: 第 {index + 1} 道练习的题号写成了 {number}")
        own = [span for span in answers if heading.start() < span[0] < end]
        if len(own) != 1:
            problems.append(f"{line}: 练习 {number} 应有且只有一个 {ANSWER_TITLE} 块，实际有 {len(own)} 个")
        answer = own[0] if own else None
        body = text[answer[0] : answer[1]] if answer else ""
        if answer and not re.sub(r"\s+", "", body.split("\n", 1)[-1]):
            problems.append(f"{line}: 练习 {number} 的参考答案是空的")
        has_code = any(fence.language == "python" for fence in scan_fences(body))
        exercises.append(
            Exercise(number, title, line, heading.start(), end, answer, has_code, _MATH.search(body) is not None)
        )
    return ExerciseSection(section.start(), line_of(section.start()), tuple(exercises), tuple(problems))
