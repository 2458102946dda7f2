"""pytest 的根配置：加载 tests/harness.py 中的文档测试框架，使它能收集 docs/ 和 lessons_src/。"""

import pytest

pytest_plugins = ["tests.harness"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("downloads", "下载文件的检查").addoption(
        "--downloads", metavar="DIR", default=None,
        help="检查 DIR 中的全书 PDF 和离线网站（python -m lessons_src._site.downloads 生成，例如 site/downloads）",
    )
