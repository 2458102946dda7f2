"""pytest 的根配置：加载 tests/harness.py 中的文档测试框架，使它能收集 docs/ 和 lessons_src/。"""

pytest_plugins = ["tests.harness"]
