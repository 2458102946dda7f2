"""页面展示的代码里参数检查所占的比例（lessons_src/_site/regions.py）。"""

import textwrap

from lessons_src._site.regions import check_lines, crowded_functions, included_regions, region_stats

#: 展示的区域中，检查行最多占非文档字符串行的比例（issue 的定义）
MAX_CHECK_SHARE = 0.08


def test_check_lines_finds_raises_guard_ifs_asserts_and_check_calls():
    source = textwrap.dedent(
        """
        def f(x, p):
            check_f_args(x, p)
            x = require_tensor(x, "x")
            if p < 0 or (
                p > 1
            ):
                raise ValueError("p")
            assert x.dim() == 1
            if x.sum() > 0:
                x = x - 1
            return x * p
        """
    )
    assert check_lines(source) == {3, 4, 5, 6, 7, 8, 9}


def test_raising_a_clearer_error_in_an_except_block_is_not_a_check():
    source = (
        "def f(x):\n    try:\n        return g(x)\n"
        "    except KeyError as error:\n        raise ValueError(x) from error\n"
    )
    # 上面的 raise 在 except 块里：它把 KeyError 换成说明更清楚的 ValueError
    assert check_lines(source) == set()


def test_if_with_work_in_it_is_not_a_check():
    source = "def f(x):\n    if x:\n        x = 1\n        raise ValueError\n    return x\n"
    assert check_lines(source) == {4}


def test_collapsed_includes_are_not_counted(tmp_path):
    module = tmp_path / "lessons_src" / "m.py"
    module.parent.mkdir()
    module.write_text(
        "# --8<-- [start:shown]\ndef f(x):\n    require_a(x)\n    require_b(x)\n    return x\n"
        "# --8<-- [end:shown]\n"
        "# --8<-- [start:helpers]\ndef require_a(x):\n    if not x:\n        raise ValueError\n"
        "# --8<-- [end:helpers]\n",
        "utf-8",
    )
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "p.md").write_text(
        '??? note "参数检查"\n\n    ```python\n    --8<-- "lessons_src/m.py:helpers"\n    ```\n\n'
        '```python\n--8<-- "lessons_src/m.py:shown"\n```\n',
        "utf-8",
    )
    assert included_regions(tmp_path) == [("lessons_src/m.py", "shown")]
    assert included_regions(tmp_path, collapsed=True) == [("lessons_src/m.py", "helpers")]
    (stats,) = region_stats(tmp_path)
    assert (len(stats.code), len(stats.checks), len(stats.lines)) == (4, 2, 4)
    (crowded,) = crowded_functions(tmp_path)
    assert (crowded.name, crowded.check_lines) == ("f", (3, 4))


def test_checks_are_a_small_share_of_the_shown_code():
    stats = region_stats()
    lines = sum(len(item.lines) for item in stats)
    checks = sum(len(item.checks) for item in stats)
    assert lines > 1500
    worst = sorted(stats, key=lambda item: -len(item.checks))[:5]
    assert checks / lines <= MAX_CHECK_SHARE, (
        f"检查占展示代码的 {checks / lines:.1%}（{checks}/{lines} 行）；最多的区域："
        + "，".join(f"{item.module}:{item.region} {len(item.checks)} 行" for item in worst)
    )


def test_each_shown_function_checks_its_arguments_in_one_line():
    crowded = crowded_functions()
    assert not crowded, "函数的检查应收进一行调用：\n" + "\n".join(map(str, crowded))
