"""作者的工作循环：改动课程代码之后，重建的页面显示新代码和新代码打印的输出；出错的代码块指明位置。

这些测试在临时目录里搭一个最小的项目（用本项目真实的构建钩子），不碰仓库本身：

- 同一个进程里连续构建两次，中间改动一个模块：页面上的代码和输出都是新的，只有导入了它的页面重新执行；
- 页面上写的输出与代码打印的不符时，网页显示实际打印的内容，``--strict`` 构建失败；
- 代码块出错时，``--strict`` 构建失败，信息写明页面和模块的行号；不加 ``--strict`` 时其余照常构建；
- 真实的 ``mkdocs serve``：改动模块后，浏览器拿到的页面变成新的输出；页面出错时服务器继续提供页面。
"""

import logging
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort

ROOT = Path(__file__).resolve().parents[1]
HOOKS = sorted((ROOT / "lessons_src" / "_site" / "hooks").glob("[!_]*.py"))
FENCE = "```"

MODULE = '''"""演示用的课程模块。"""


# --8<-- [start:answer]
def answer() -> int:
    return {value}
# --8<-- [end:answer]
'''

PAGE = f"""# 答案

{FENCE}python
--8<-- "demo_lessons/answer.py:answer"


print("答案是", answer())
{FENCE}

{FENCE}output
答案是 41
{FENCE}
"""

OTHER = f"""# 另一页

{FENCE}python
print(6 * 7)
{FENCE}

{FENCE}output
42
{FENCE}
"""


def make_project(root: Path) -> Path:
    (root / "demo_lessons").mkdir(parents=True)
    (root / "demo_lessons" / "__init__.py").write_text("", "utf-8")
    (root / "demo_lessons" / "answer.py").write_text(MODULE.format(value=41), "utf-8")
    (root / "docs").mkdir()
    (root / "docs" / "index.md").write_text(PAGE, "utf-8")
    (root / "docs" / "other.md").write_text(OTHER, "utf-8")
    hooks = "\n".join(f"  - {path}" for path in HOOKS)
    (root / "mkdocs.yml").write_text(
        f"""site_name: 演示
use_directory_urls: false
markdown_extensions:
  - admonition
  - attr_list
  - md_in_html
  - pymdownx.superfences
  - pymdownx.snippets:
      base_path: ["{root}"]
      check_paths: true
      dedent_subsections: true
hooks:
{hooks}
watch:
  - demo_lessons
""",
        "utf-8",
    )
    return root


def set_answer(project: Path, value: int) -> None:
    (project / "demo_lessons" / "answer.py").write_text(MODULE.format(value=value), "utf-8")


def build_site(project: Path, *, strict: bool = False) -> str:
    config = load_config(str(project / "mkdocs.yml"), site_dir=str(project / "site"), strict=strict)
    build(config)
    return (project / "site" / "index.html").read_text("utf-8")


def text_of(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def executed_pages(records: list[logging.LogRecord]) -> list[str]:
    return [r.getMessage() for r in records if r.getMessage().startswith("执行 ")]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project")


def test_a_module_edit_shows_new_code_and_new_output_and_reruns_only_its_page(project, caplog):
    caplog.set_level(logging.INFO, logger="mkdocs.hooks.lessons")
    first = text_of(build_site(project, strict=True))
    assert "return 41" in first and "答案是 41" in first
    assert "执行 2 页的代码" in executed_pages(caplog.records)[0]

    caplog.clear()
    set_answer(project, 43)
    (project / "docs" / "index.md").write_text(PAGE.replace("答案是 41", "答案是 43"), "utf-8")
    second = text_of(build_site(project, strict=True))  # 同一个进程，第二次构建
    assert "return 43" in second and "return 41" not in second
    assert "答案是 43" in second
    [message] = executed_pages(caplog.records)
    assert "执行 1 页的代码" in message and "docs/index.md" in message  # other.md 没有导入这个模块，不重新执行

    caplog.clear()
    build_site(project, strict=True)
    assert executed_pages(caplog.records) == []  # 什么都没改：全部来自缓存


def test_a_stale_output_is_replaced_on_the_page_and_fails_the_strict_build(project, caplog):
    build_site(project)
    set_answer(project, 42)
    html = text_of(build_site(project))  # 不加 --strict：照常构建，网页上是代码实际打印的内容
    assert "答案是 42" in html and "答案是 41" not in html
    stale = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(message.startswith("docs/index.md:10: output 块与代码打印的不符") for message in stale), stale
    with pytest.raises(Abort, match="warning"):
        build_site(project, strict=True)


def test_a_failing_block_is_located_and_fails_the_strict_build(project, caplog):
    (project / "demo_lessons" / "answer.py").write_text(
        MODULE.format(value=41).replace("    return 41", "    return undefined_name"), "utf-8"
    )
    html = text_of(build_site(project))
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    [failure] = [m for m in messages if "代码块出错" in m]
    assert failure.startswith("docs/index.md:3: 第 1 个 python 代码块出错")
    assert "在 docs/index.md:7" in failure  # print("答案是", answer()) 那一行
    assert "在 demo_lessons/answer.py:6（answer）" in failure  # return undefined_name 那一行
    assert "NameError: name 'undefined_name' is not defined" in failure
    assert "Traceback" not in failure and "concurrent" not in failure and "multiprocessing" not in failure
    assert "这个代码块执行出错" in html and "NameError" in html  # 网页上在代码块下面显示同样的说明
    other = (project / "site" / "other.html").read_text("utf-8")
    assert "42" in text_of(other)  # 其他页面照常构建
    with pytest.raises(Abort):
        build_site(project, strict=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read().decode("utf-8")


def _wait_for(url: str, predicate, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            last = text_of(_fetch(url))
            if predicate(last):
                return last
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{timeout} 秒内页面没有变成预期的样子，最后一次拿到：\n{last[-2000:]}")


@pytest.mark.parametrize("mode", [[], ["--dirty"]], ids=["serve", "serve --dirty"])
def test_mkdocs_serve_follows_lesson_code_and_keeps_serving_after_a_failure(project, tmp_path, mode):
    """``--dirty`` 时 MkDocs 只重新渲染改过的 .md；页面文件没改、引用的代码改了，页面也必须重新渲染。"""
    port = _free_port()
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "serve", "-f", str(project / "mkdocs.yml"), "-a", f"127.0.0.1:{port}", *mode],
        cwd=project, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/index.html"
    try:
        _wait_for(url, lambda text: "答案是 41" in text)
        set_answer(project, 44)  # 只改课程代码，不碰页面
        page = _wait_for(url, lambda text: "答案是 44" in text)
        assert "return 44" in page
        (project / "demo_lessons" / "answer.py").write_text(
            MODULE.format(value=41).replace("    return 41", "    return 1 / 0"), "utf-8"
        )
        page = _wait_for(url, lambda text: "ZeroDivisionError" in text)
        assert "demo_lessons/answer.py:6" in page
        assert "42" in text_of(_fetch(f"http://127.0.0.1:{port}/other.html"))  # 服务器没有卡住
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    output = (tmp_path / "serve.log").read_text("utf-8")
    assert "demo_lessons" in output.split("Watching paths for changes:")[1].splitlines()[0]
    assert "appear stuck" not in output
