"""动手学深度学习（PyTorch）中文学习指南的课程代码。

每个子包对应网站的一章，每个模块对应一页：``lessons_src/mlp/activation_functions.py``
就是 ``docs/mlp/activation-functions.md`` 那一页所用的代码，测试在
``tests/mlp/test_activation_functions.py``。
"""

__version__ = "0.1.0"
