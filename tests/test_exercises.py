"""练习一节的写法（lessons_src/_site/exercises.py）、不附答案的课程笔记本和章节目录页上的练习数目。"""

import logging
import textwrap

import nbformat
import pytest

from lessons_src._site.exercises import answer_spans, find_exercises
from lessons_src._site.hooks.exercises import link_exercise_counts
from lessons_src._site.notebook import page_to_notebook
from tests.harness import ROOT, lesson_page

PAGE = textwrap.dedent(
    '''\
    # 一课

    ```python
    x = 2
    ```

    ## 练习

    先做题，再点开答案。

    ### 1. 推导

    证明 $x^2$ 的导数是 $2x$。

    ??? success "参考答案"

        由定义，$\\lim_{h \\to 0} ((x+h)^2 - x^2)/h = 2x$。

    ### 2. 动手

    打印 `x` 的平方。

    ??? success "参考答案"

        ```python
        print(x ** 2)
        ```

        ```output
        4
        ```

    文字仍属于第 2 题。
    '''
)


def test_exercises_and_their_answers_are_found():
    section = find_exercises(PAGE)
    assert section is not None and section.problems == ()
    assert section.line == 7
    first, second = section.exercises
    assert (first.number, first.title, first.line, first.has_math, first.has_code) == (1, "推导", 11, True, False)
    assert (second.number, second.title, second.has_math, second.has_code) == (2, "动手", False, True)
    answer = PAGE[second.answer[0] : second.answer[1]]
    assert answer.startswith('??? success "参考答案"') and "print(x ** 2)" in answer
    assert "文字仍属于" not in answer
    assert len(answer_spans(PAGE)) == 2


def test_page_without_exercises():
    assert find_exercises("# 一课\n\n## 小结\n") is None


def test_problems_in_the_exercise_section_are_reported():
    text = textwrap.dedent(
        '''\
        ## 练习

        ### 1. 甲

        ???+ success "参考答案"

            展开的答案。

        ### 3. 乙

        没有答案。

        ### 丙

        ??? success "参考答案"

        ## 小结
        '''
    )
    problems = find_exercises(text).problems
    assert any(p.startswith("17: “## 练习”应是页面的最后一节") for p in problems), problems
    assert "5: 参考答案应默认折叠：写 ??? 而不是 ???+" in problems
    assert "9: 第 2 道练习的题号写成了 3" in problems
    assert "9: 练习 3 应有且只有一个 ??? success \"参考答案\" 块，实际有 0 个" in problems
    assert "13: 练习的标题应写成“### 题号. 标题”，实际是 '丙'" in problems
    assert "13: 练习 3 的参考答案是空的" in problems


def test_headings_inside_code_are_not_exercises():
    text = '## 练习\n\n### 1. 甲\n\n```python\n# ## 练习\n### 2. 不是题\n```\n\n??? success "参考答案"\n\n    有。\n'
    assert [exercise.title for exercise in find_exercises(text).exercises] == ["甲"]


def test_lesson_notebook_leaves_the_answers_out():
    page = lesson_page(ROOT / "docs" / "t.md", PAGE)
    assert len(page.blocks) == 2
    full = page_to_notebook(page, title="一课")
    lesson = page_to_notebook(page, title="一课", answers=False, answers_notebook="t-answers.ipynb")
    for notebook in (full, lesson):
        nbformat.validate(notebook)
    code = [cell.source for cell in lesson.cells if cell.cell_type == "code"]
    assert code == ["x = 2", "# 练习 1：在这里写你的答案", "# 练习 2：在这里写你的答案"]
    markdown = "\n".join(cell.source for cell in lesson.cells if cell.cell_type == "markdown")
    assert "证明 $x^2$ 的导数是 $2x$。" in markdown and "文字仍属于第 2 题。" in markdown
    assert "**参考答案**" not in markdown and "**参考答案**" in "\n".join(cell.source for cell in full.cells)
    assert "lim" not in markdown and "t-answers.ipynb" in lesson.cells[0].source
    assert [cell.source for cell in full.cells if cell.cell_type == "code"] == ["x = 2", "print(x ** 2)"]
    assert "lim" in "\n".join(cell.source for cell in full.cells)


def test_chapter_index_links_get_the_number_of_exercises(tmp_path):
    (tmp_path / "a.md").write_text(PAGE, "utf-8")
    (tmp_path / "b.md").write_text("# 没有练习\n", "utf-8")

    class Files:
        def get_file_from_path(self, path):
            target = tmp_path / path.split("/", 1)[1]

            class File:
                abs_src_path = str(target)

            return File() if target.exists() else None

    index = "- [一课](a.md)：说明。\n- [另一课](b.md)：说明。\n- [不存在](c.md)\n"
    linked = link_exercise_counts(index, src_uri="chapter/index.md", files=Files())
    assert linked.splitlines() == [
        "- [一课](a.md)（[2 道练习](a.md#练习)）：说明。",
        "- [另一课](b.md)：说明。",
        "- [不存在](c.md)",
    ]


def test_a_site_with_exercises_builds_two_notebooks_and_counts_them_in_the_index(tmp_path, caplog):
    """真实的构建钩子：答案里的代码执行并核对，课程笔记本不含答案，目录页写出练习的数目，写法不对时 --strict 失败。"""
    from mkdocs.exceptions import Abort

    from tests.test_author_loop import HOOKS, build_site

    project = tmp_path / "project"
    (project / "docs" / "chapter").mkdir(parents=True)
    (project / "docs" / "index.md").write_text("# 首页\n", "utf-8")
    (project / "docs" / "chapter" / "index.md").write_text("# 一章\n\n- [一课](lesson.md)：说明。\n", "utf-8")
    (project / "docs" / "chapter" / "lesson.md").write_text(PAGE, "utf-8")
    hooks = "\n".join(f"  - {path}" for path in HOOKS)
    (project / "mkdocs.yml").write_text(
        "site_name: 演示\nuse_directory_urls: false\nmarkdown_extensions:\n  - admonition\n  - attr_list\n"
        "  - md_in_html\n  - pymdownx.details\n  - pymdownx.superfences\n  - pymdownx.snippets\n  - toc\n"
        f"hooks:\n{hooks}\n",
        "utf-8",
    )
    build_site(project, strict=True)
    site = project / "site" / "chapter"
    lesson_html = (site / "lesson.html").read_text("utf-8")
    assert "<details class=\"success\">" in lesson_html and "lesson-answers.ipynb" in lesson_html
    lesson = nbformat.read(site / "lesson.ipynb", as_version=4)
    answers = nbformat.read(site / "lesson-answers.ipynb", as_version=4)
    assert [c.source for c in lesson.cells if c.cell_type == "code"][1:] == [
        "# 练习 1：在这里写你的答案", "# 练习 2：在这里写你的答案"]
    [answer_cell] = [c for c in answers.cells if c.cell_type == "code" and c.source == "print(x ** 2)"]
    assert answer_cell.outputs[0]["text"] == "4\n"  # 构建时执行过
    assert "2 道练习" in (site / "index.html").read_text("utf-8")

    (project / "docs" / "chapter" / "lesson.md").write_text(PAGE.replace("    4\n", "    5\n"), "utf-8")
    caplog.set_level(logging.WARNING, logger="mkdocs.hooks.lessons")
    with pytest.raises(Abort):
        build_site(project, strict=True)
    assert any("docs/chapter/lesson.md:29: output 块与代码打印的不符" in r.getMessage() for r in caplog.records)

    caplog.clear()
    (project / "docs" / "chapter" / "lesson.md").write_text(PAGE.replace('??? success', '???+ success', 1), "utf-8")
    with pytest.raises(Abort):
        build_site(project, strict=True)
    messages = [record.getMessage() for record in caplog.records]
    assert "docs/chapter/lesson.md:15: 参考答案应默认折叠：写 ??? 而不是 ???+" in messages


CHAPTERS = [path for path in sorted((ROOT / "docs").iterdir())
            if path.is_dir() and path.name not in {"appendix", "preface", "assets", "javascripts", "stylesheets"}]
LESSONS = [path for chapter in CHAPTERS for path in sorted(chapter.glob("*.md"))
           if path.name != "index.md" and lesson_page(path).blocks]


def test_every_chapter_page_with_code_is_a_lesson():
    assert len(CHAPTERS) == 7 and len(LESSONS) == 47


@pytest.mark.parametrize("path", LESSONS, ids=[str(path.relative_to(ROOT / "docs")) for path in LESSONS])
def test_every_lesson_ends_with_exercises_and_answers(path):
    """每一课：3–6 道练习，每道都有折叠的参考答案；至少一道答案有推导（公式），至少两道答案有执行的代码。"""
    page = lesson_page(path)
    section = find_exercises(page.body)
    assert section is not None, f"{page.path} 没有“## 练习”一节"
    assert section.problems == (), section.problems
    exercises = section.exercises
    assert 3 <= len(exercises) <= 6, f"{page.path} 有 {len(exercises)} 道练习"
    assert sum(exercise.has_code for exercise in exercises) >= 2, "至少两道动手题的答案要有代码"
    assert any(exercise.has_math for exercise in exercises), "至少一道推导题的答案要有公式"
    answer_text = "".join(page.body[start:end] for exercise in exercises for start, end in [exercise.answer])
    assert "留给读者" not in answer_text and "请自行" not in answer_text
