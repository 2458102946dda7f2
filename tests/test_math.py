"""构建时渲染公式（lessons_src/_site/katex.py 与 hooks/math.py）：渲染、缓存、报错的位置、目录和笔记本里的公式。"""

import logging
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from mkdocs.exceptions import Abort

from lessons_src._site.hooks.math import render_page_math
from lessons_src._site.katex import KatexError, KatexRenderer, katex_version
from tests.test_author_loop import build_site, make_project

ROOT = Path(__file__).resolve().parents[1]
KATEX = ROOT / "docs" / "assets" / "katex"


@pytest.fixture(scope="module")
def renderer() -> KatexRenderer:
    return KatexRenderer(KATEX / "katex.min.js", cache_file=None)


def fake_page(src_uri: str, source: str) -> SimpleNamespace:
    return SimpleNamespace(file=SimpleNamespace(src_uri=src_uri, content_string=source))


def test_renders_inline_and_display_math_with_mathml_for_screen_readers(renderer):
    inline = renderer.render(r"\sigma'(x)", display=False)
    display = renderer.render(r"\frac{1}{2}", display=True)
    assert inline.startswith('<span class="katex">') and "katex-display" not in inline
    assert display.startswith('<span class="katex-display">')
    assert '<annotation encoding="application/x-tex">\\sigma&#x27;(x)</annotation>' in inline
    assert "<math" in inline  # MathML：屏幕阅读器读这一份，katex-html 是给眼睛看的


def test_a_parse_error_says_where_katex_stopped(renderer):
    with pytest.raises(KatexError, match=r"Undefined control sequence: \\frca at position 1"):
        renderer.render(r"\frca{1}{2}", display=False)


def test_version_is_read_from_the_shipped_script():
    assert katex_version(KATEX / "katex.min.js").count(".") == 2
    assert katex_version(KATEX / "missing.js") == "missing"


def test_rendered_formulas_are_cached_and_v8_is_not_started_again(tmp_path):
    cache = tmp_path / "formulas.json"
    first = KatexRenderer(KATEX / "katex.min.js", cache_file=cache)
    html = first.render("a^2 + b^2 = c^2", display=False)
    first.save()
    assert first.rendered == 1 and cache.exists()
    second = KatexRenderer(KATEX / "katex.min.js", cache_file=cache)
    assert second.render("a^2 + b^2 = c^2", display=False) == html
    assert second.rendered == 0 and second._context is None  # 没有启动 V8


def test_a_cache_of_another_katex_version_is_ignored(tmp_path):
    cache = tmp_path / "formulas.json"
    cache.write_text('{"katex": "0.0.1", "formulas": {"x": "stale"}}', "utf-8")
    renderer = KatexRenderer(KATEX / "katex.min.js", cache_file=cache)
    assert renderer._cache == {}


def test_page_math_marked_spans_toc_titles_and_entities(renderer):
    html = (
        '<span class="md-ellipsis">为什么要除以 \\(1-p\\)</span>'
        '<p>若 <span class="arithmatex">\\(a &lt; b\\)</span>，则</p>'
        '<div class="arithmatex">\\[\n\\sum_i x_i\n\\]</div>'
    )
    output, count = render_page_math(html, renderer, fake_page("a.md", ""))
    assert count == 3
    assert "\\(" not in output and "\\[" not in output
    assert output.count('class="katex"') == 3 and output.count("katex-display") == 1
    assert '<annotation encoding="application/x-tex">a &lt; b</annotation>' in output  # 先还原 &lt; 再交给 KaTeX


def test_notebook_pages_render_dollar_math_but_not_code(renderer):
    html = (
        '<div class="jp-RenderedHTMLCommon jp-RenderedMarkdown jp-MarkdownOutput" data-mime-type="text/markdown">'
        "<p>对 $y = x^2$ 求导；价格 5 $ 不是公式；<code>$HOME</code></p><p>$$\\int_0^1 x\\,dx$$</p></div>"
        "<pre>$ pip install torch</pre>"
    )
    output, count = render_page_math(html, renderer, fake_page("n.ipynb", ""))
    assert count == 2
    assert "<code>$HOME</code>" in output and "<pre>$ pip install torch</pre>" in output
    assert "5 $ 不是公式" in output and "katex-display" in output


def test_a_bad_formula_is_reported_with_page_line_and_formula(renderer, caplog):
    source = "# 标题\n\n第一行\n\n公式 $\\frca{1}{2}$ 在这里\n"
    html = '<p>公式 <span class="arithmatex">\\(\\frca{1}{2}\\)</span> 在这里</p>'
    with caplog.at_level(logging.WARNING):
        output, _ = render_page_math(html, renderer, fake_page("mlp/x.md", source))
    [message] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert message.startswith("docs/mlp/x.md:5: KaTeX 无法解析公式 '\\\\frca{1}{2}'")
    assert "Undefined control sequence" in message
    assert 'class="katex-error"' in output


def test_a_bad_formula_fails_the_strict_build(tmp_path, caplog):
    project = make_project(tmp_path / "project")
    (project / "docs" / "assets" / "katex").mkdir(parents=True)
    for name in ("katex.min.js", "katex.min.css"):
        shutil.copy(KATEX / name, project / "docs" / "assets" / "katex" / name)
    config = (project / "mkdocs.yml").read_text("utf-8")
    arithmatex = "markdown_extensions:\n  - pymdownx.arithmatex:\n      generic: true\n"
    config = config.replace("markdown_extensions:\n", arithmatex)
    (project / "mkdocs.yml").write_text(config, "utf-8")
    page = project / "docs" / "other.md"
    formulas = "\n好的公式 $e^{i\\pi} + 1 = 0$，坏的公式\n\n$$\n\\frac{1}{\n$$\n"
    page.write_text(page.read_text("utf-8") + formulas, "utf-8")
    html = build_site(project)
    assert "katex.min.css" not in (project / "site" / "index.html").read_text("utf-8")  # 没有公式的页面不加载
    other = (project / "site" / "other.html").read_text("utf-8")
    assert '<link rel="stylesheet" href="assets/katex/katex.min.css">' in other and "katex-error" in other
    assert "katex" not in html
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(m.startswith("docs/other.md:14: KaTeX 无法解析公式 '\\\\frac{1}{'") for m in messages), messages
    with pytest.raises(Abort):
        build_site(project, strict=True)
