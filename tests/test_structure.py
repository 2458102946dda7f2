"""仓库的结构：每一课的代码、页面、测试、API 参考、导航和章节目录一一对应（README“新增一课”一节说的就是这些）。

``lessons_src/<章>/<主题>.py`` 对应：

- 页面 ``docs/<章>/<主题>.md``（名字里的 ``_`` 换成 ``-``）；
- 测试 ``tests/<章>/test_<主题>.py``；
- API 参考 ``docs/appendix/api/<章>.md`` 中的 ``::: lessons_src.<章>.<主题>``；
- ``mkdocs.yml`` 的 ``nav`` 中的 ``<章>/<主题>.md``；
- 章节目录 ``docs/<章>/index.md`` 中指向 ``<主题>.md`` 的链接。

反过来，``docs/<章>/`` 中除目录页以外的每一页都有它的模块。
"""

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "lessons_src"
DOCS = ROOT / "docs"
#: 不是课程的文件夹：构建工具，以及不对应模块的前言和附录
NOT_CHAPTERS = {"_site"}
NOT_LESSON_FOLDERS = {"appendix", "preface", "assets", "javascripts", "stylesheets"}

MODULES = sorted(
    path for path in PACKAGE.glob("*/*.py") if path.parent.name not in NOT_CHAPTERS and path.name != "__init__.py"
)


def _nav_paths(node) -> set[str]:
    if isinstance(node, str):
        return {node}
    if isinstance(node, list):
        return set().union(*(_nav_paths(item) for item in node)) if node else set()
    if isinstance(node, dict):
        return set().union(*(_nav_paths(value) for value in node.values()))
    return set()


class _Loader(yaml.SafeLoader):
    """读 mkdocs.yml 只为取 nav：``!ENV``、``!relative`` 和 ``!!python/...`` 标签一律当作普通值。"""


_Loader.add_multi_constructor("", lambda loader, suffix, node: None)
NAV = _nav_paths(yaml.load((ROOT / "mkdocs.yml").read_text("utf-8"), Loader=_Loader)["nav"])


def places_for(module: Path) -> dict[str, tuple[Path, str | None]]:
    """一课应当出现的地方：名字 → (文件, 文件中应有的文字；None 表示文件存在即可)。"""
    chapter, topic = module.parent.name, module.stem
    chapter_dir, page = chapter.replace("_", "-"), topic.replace("_", "-")
    return {
        "页面": (DOCS / chapter_dir / f"{page}.md", None),
        "测试模块": (ROOT / "tests" / chapter / f"test_{topic}.py", None),
        "API 参考": (DOCS / "appendix" / "api" / f"{chapter_dir}.md", rf"^::: lessons_src\.{chapter}\.{topic}\s*$"),
        "章节目录中的链接": (DOCS / chapter_dir / "index.md", rf"\]\({re.escape(page)}\.md[)#]"),
    }


def missing_places(module: Path) -> list[str]:
    missing = []
    for name, (path, pattern) in places_for(module).items():
        relative = path.relative_to(ROOT)
        if not path.is_file():
            missing.append(f"{name}：{relative} 不存在")
        elif pattern and not re.search(pattern, path.read_text("utf-8"), re.MULTILINE):
            missing.append(f"{name}：{relative} 中没有 {pattern}")
    nav_entry = f"{module.parent.name.replace('_', '-')}/{module.stem.replace('_', '-')}.md"
    if nav_entry not in NAV:
        missing.append(f"导航：mkdocs.yml 的 nav 中没有 {nav_entry}")
    return missing


def test_modules_are_found():
    assert len(MODULES) > 40
    assert PACKAGE / "mlp" / "activation_functions.py" in MODULES


@pytest.mark.parametrize("module", MODULES, ids=[str(m.relative_to(PACKAGE)) for m in MODULES])
def test_every_lesson_module_has_its_page_test_api_entry_nav_entry_and_index_link(module):
    assert missing_places(module) == [], f"{module.relative_to(ROOT)} 缺少："


def test_every_lesson_page_has_its_module():
    orphans = []
    for page in sorted(DOCS.glob("*/*.md")):
        if page.parent.name in NOT_LESSON_FOLDERS or page.name == "index.md":
            continue
        module = PACKAGE / page.parent.name.replace("-", "_") / f"{page.stem.replace('-', '_')}.py"
        if not module.is_file():
            orphans.append(f"{page.relative_to(ROOT)}：没有 {module.relative_to(ROOT)}")
    assert orphans == []


def test_a_missing_place_is_named():
    """检查本身会失败：少了哪一处，就说出哪一处。"""
    fake = PACKAGE / "mlp" / "no_such_lesson.py"
    missing = missing_places(fake)
    assert any(item.startswith("页面：docs/mlp/no-such-lesson.md 不存在") for item in missing)
    assert any(item.startswith("测试模块：tests/mlp/test_no_such_lesson.py 不存在") for item in missing)
    assert any(item.startswith("API 参考：docs/appendix/api/mlp.md 中没有") for item in missing)
    assert any(item.startswith("章节目录中的链接：docs/mlp/index.md 中没有") for item in missing)
    assert "导航：mkdocs.yml 的 nav 中没有 mlp/no-such-lesson.md" in missing
