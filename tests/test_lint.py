"""页面代码块的 ruff 检查（lessons_src/_site/lint.py）：结果要落在磁盘上页面的行号上。"""

from lessons_src._site.lint import lint_pages
from tests.harness import ROOT, lesson_page

FENCE = "```"


def test_findings_point_at_the_page_line_and_undefined_names_in_regions():
    text = (
        "---\ntitle: 例\n---\n\n"
        f"{FENCE}python\nimport torch\nx = 1\n{FENCE}\n\n"
        f"{FENCE}python\n--8<-- \"lessons_src/mlp/activation_functions.py:sigmoid\"\n"
        f"y = [{', '.join(['1'] * 40)}]\n{FENCE}\n"
    )
    page = lesson_page(ROOT / "docs" / "virtual.md", text)
    findings = [str(finding) for finding in lint_pages([page], root=ROOT)]
    assert any(f.startswith("docs/virtual.md:12: E501") for f in findings), findings  # 页面上那一行太长
    # 区域里用到 require_tensor，页面却没有导入：报在模块的那一行上
    assert any(f.startswith("lessons_src/mlp/activation_functions.py:") and "F821" in f and "require_tensor" in f
               for f in findings), findings
    assert not any("E402" in f or "B018" in f for f in findings)


def test_a_clean_page_has_no_findings():
    text = f"{FENCE}python\nimport torch\n\nx = torch.ones(2)\nx\n{FENCE}\n"
    assert lint_pages([lesson_page(ROOT / "docs" / "virtual.md", text)], root=ROOT) == []
