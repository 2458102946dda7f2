"""构建网站并检查读者拿到的东西：自带的 KaTeX、笔记本下载、构建时画出的图、中文搜索索引，
以及页面不向第三方站点请求任何资源。"""

import itertools
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from mkdocs.commands.build import build
from mkdocs.config import load_config

from lessons_src._site.hooks.chinese import join_cjk_lines
from tests.harness import MKDOCS_YML

pytestmark = pytest.mark.site


@pytest.fixture(scope="module")
def port() -> int:
    """本地服务器的端口。网站按这个地址构建（site_url），Material 的即时导航只对本站地址生效。"""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory, port) -> Path:
    site_dir = tmp_path_factory.mktemp("site")
    config = load_config(
        str(MKDOCS_YML), site_dir=str(site_dir), strict=True, site_url=f"http://127.0.0.1:{port}/"
    )
    build(config)  # strict：任何警告都会让构建失败
    return site_dir


class _Resources(HTMLParser):
    """收集页面加载的资源（脚本、样式、图片、框架等），不包括供读者点击的普通链接。"""

    def __init__(self) -> None:
        super().__init__()
        self.loaded: list[str] = []
        self.images: list[dict[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in ("script", "img", "iframe", "audio", "video", "source", "embed") and attributes.get("src"):
            self.loaded.append(attributes["src"])
        if tag == "link" and attributes.get("rel") in ("stylesheet", "preload", "icon", "modulepreload", "manifest"):
            self.loaded.append(attributes.get("href") or "")
        if tag == "img":
            self.images.append(attributes)


def parse(path: Path) -> _Resources:
    parser = _Resources()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def html_pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_no_page_loads_anything_from_another_host(site):
    pages = html_pages(site)
    assert len(pages) > 5
    for page in pages:
        external = [url for url in parse(page).loaded if re.match(r"^(https?:)?//", url)]
        assert external == [], f"{page.relative_to(site)} 从第三方站点加载资源：{external}"
    for stylesheet in site.rglob("*.css"):
        imports = re.findall(r"(?:@import|url\()\s*['\"]?((?:https?:)?//[^'\")]+)", stylesheet.read_text("utf-8"))
        assert imports == [], f"{stylesheet.relative_to(site)} 引用了第三方资源：{imports}"


def test_katex_css_and_fonts_are_served_by_the_site_and_only_where_there_is_math(site):
    math_page = parse(site / "mlp" / "activation-functions" / "index.html").loaded
    assert any(url.endswith("assets/katex/katex.min.css") for url in math_page)
    assert not any("katex" in url for url in parse(site / "index.html").loaded)  # 首页没有公式
    css = (site / "assets" / "katex" / "katex.min.css").read_text("utf-8")
    for font in re.findall(r"url\((fonts/[^)]+)\)", css):
        assert (site / "assets" / "katex" / font).is_file(), font


def test_no_page_loads_a_math_script(site):
    """公式在构建时就渲染好了：网站不发布也不加载 KaTeX（或 MathJax）的脚本。"""
    assert not (site / "assets" / "katex" / "katex.min.js").exists()
    assert not list(site.rglob("auto-render*.js"))
    for page in html_pages(site):
        scripts = [url for url in parse(page).loaded if url.endswith(".js")]
        assert not [url for url in scripts if re.search(r"katex|mathjax", url, re.I)], page.relative_to(site)


_CODE_OR_MATH = re.compile(
    r"<(pre|code|script|style|textarea|annotation)\b.*?</\1>|<span class=\"katex\">.*?</math></span>", re.DOTALL
)


def test_formulas_are_rendered_at_build_time(site):
    html = (site / "mlp" / "activation-functions" / "index.html").read_text("utf-8")
    assert html.count('<span class="katex">') >= 10
    assert "\\sigma&#x27;(x)" in html  # TeX 源码留在 MathML 的 annotation 里
    for page in html_pages(site):
        text = _CODE_OR_MATH.sub("", page.read_text("utf-8"))
        text = re.sub(r"<[^>]+>", "", text)
        raw = re.findall(r"\\\(|\\\[|\$\$|\\frac", text)
        assert raw == [], f"{page.relative_to(site)}: 页面文字里还有没渲染的 TeX：{raw}"


def test_lesson_page_links_a_notebook_that_matches_the_page(site):
    page = site / "mlp" / "activation-functions" / "index.html"
    html = page.read_text("utf-8")
    match = re.search(r'<a class="md-button lesson-notebook" download="([^"]+)" href="([^"]+)"', html)
    assert match, "页面上没有笔记本下载按钮"
    notebook_path = (page.parent / match.group(2)).resolve()
    notebook = nbformat.read(notebook_path, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert any("def sigmoid(x: torch.Tensor)" in cell.source for cell in code)
    assert all("--8<--" not in cell.source for cell in code)
    # 这一页在构建时执行过：输出和图都在笔记本里
    outputs = [output for cell in code for output in cell.outputs]
    assert any("最大误差小于 1e-6: True" in output.get("text", "") for output in outputs)
    assert any("image/svg+xml" in output.get("data", {}) for output in outputs)


def test_notebook_links_point_to_the_site(site, port):
    """下载的笔记本离开了网站：文字里指向其他页面的链接必须是网站上的绝对地址。"""
    notebook = nbformat.read(site / "workflow" / "training-workflow.ipynb", as_version=4)
    prose = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    targets = [t for t in re.findall(r"\]\(([^)\s]+)", prose) if not t.startswith("#")]  # 本页内的锚点留在笔记本里
    assert targets
    assert all(target.startswith(f"http://127.0.0.1:{port}/") for target in targets), targets
    assert f"http://127.0.0.1:{port}/workflow/data-split/#分层划分" in targets
    # 链接指向的页面确实存在
    for target in targets:
        path = target.removeprefix(f"http://127.0.0.1:{port}/").split("#")[0]
        assert (site / path / "index.html").exists() or (site / path).is_file(), target


def test_figures_are_drawn_at_build_time_with_chinese_alt_text(site):
    page = site / "mlp" / "activation-functions" / "index.html"
    figures = [image for image in parse(page).images if "activation-functions-figures" in (image.get("src") or "")]
    assert len(figures) == 1
    assert re.search(r"[\u4e00-\u9fff]", figures[0].get("alt") or "")
    svg = (page.parent / figures[0]["src"]).resolve()
    assert svg.read_text("utf-8").lstrip().startswith(("<?xml", "<svg"))


def test_notebook_page_is_executed_at_build_time(site):
    html = (site / "preface" / "quickstart" / "index.html").read_text("utf-8")
    accuracy = re.search(r"测试集准确率: (0\.\d+)", html)
    assert accuracy and float(accuracy.group(1)) > 0.9
    downloaded = nbformat.read(site / "preface" / "quickstart" / "quickstart.ipynb", as_version=4)
    assert all(cell.outputs for cell in downloaded.cells if cell.cell_type == "code")


def test_search_index_is_segmented_for_chinese(site):
    index = json.loads((site / "search" / "search_docs.json").read_text("utf-8"))
    assert index["config"]["lang"] == ["zh"]
    page = next(doc for doc in index["docs"] if doc["location"] == "mlp/activation-functions/")
    assert "\u200b" in page["text"], "中文没有分词（jieba 没有生效）"
    assert "激活函数" in page["title"].replace("\u200b", "")
    relu = next(doc for doc in index["docs"] if doc["location"] == "mlp/activation-functions/#relu")
    assert "\u200b修正线性单元\u200b" in relu["text"], "术语表的术语应是一个词"
    assert "修正线性单元" in relu["keywords"].split("\u200b"), "首次出现的那一节应带着这个术语"
    assert index["config"]["fields"]["keywords"]["boost"] > index["config"]["fields"]["title"]["boost"]


def test_page_start_downloads_only_the_search_configuration(site):
    """页面启动时 Material 下载的索引只有配置；文档在读者搜索时才下载。每一页都用包了一层的搜索线程。"""
    index = json.loads((site / "search" / "search_index.json").read_text("utf-8"))
    assert index["docs"] == [] and index["config"]["fields"]["keywords"]
    assert (site / "search" / "search_index.json").stat().st_size < 1024
    assert (site / "assets" / "javascripts" / "workers" / "search-zh.js").exists()
    for page in html_pages(site):
        config = re.search(r'"search": "([^"]+)"', page.read_text("utf-8"))
        assert config and re.search(r"/search-zh\.js\?material=search\.[0-9a-f]+\.min\.js$", config[1]), page


def test_search_index_is_compact(site):
    raw = (site / "search" / "search_docs.json").read_text("utf-8")
    assert "激活" in raw, "索引应以 UTF-8 写出"
    assert re.search(r"(?<!\\)\\u[0-9a-fA-F]{4}", raw) is None, "索引中不应有 \\uXXXX 转义"
    assert "<pre" not in raw, "代码块的全文不应进入搜索索引"
    texts = " ".join(doc["text"] for doc in json.loads(raw)["docs"]).replace("\u200b", "")
    assert "<code>corr2d</code>" in texts  # 行内代码仍可搜索


def test_line_breaks_between_chinese_characters_are_removed():
    html = "<p>第一行，\n第二行。\nPyTorch\n很好</p>\n<pre><code>甲\n乙</code></pre>\n<p>丙\n  丁</p>"
    assert join_cjk_lines(html) == "<p>第一行，第二行。\nPyTorch\n很好</p>\n<pre><code>甲\n乙</code></pre>\n<p>丙丁</p>"


def test_built_paragraphs_have_no_line_break_between_chinese_characters(site):
    html = (site / "workflow" / "training-workflow" / "index.html").read_text("utf-8")
    paragraphs = re.findall(r"<p>(.*?)</p>", html, re.DOTALL)
    assert paragraphs
    assert not [p for p in paragraphs if re.search(r"[\u4e00-\u9fff，。：；、]\n[\u4e00-\u9fff]", p)]


def test_html_declares_chinese(site):
    for page in html_pages(site):
        head = page.read_text("utf-8")[:300]
        if "<html" in head:
            assert '<html lang="zh"' in head, page


# ---------------------------------------------------------------------------
# 在真实的浏览器（系统安装的 Chromium，无头模式）里打开每一页
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    import os

    from lessons_src._site.downloads import CHROMIUM_ARGS, DownloadError, find_chromium

    try:
        executable = find_chromium()
    except DownloadError:
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail("REQUIRE_BROWSER 已设置，但找不到 Chromium（Debian 上：apt-get install chromium）")
        pytest.skip("没有安装 Chromium，跳过浏览器测试（Debian 上：apt-get install chromium）")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server(site, port):
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(Quiet, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/"
    httpd.shutdown()


def page_urls(site: Path) -> list[str]:
    urls = []
    for page in html_pages(site):
        relative = page.relative_to(site).as_posix()
        if relative == "404.html":
            continue
        urls.append(relative.removesuffix("index.html"))
    return urls


# 页面上的每个公式都已由 KaTeX 处理（渲染成功或报错）
RENDERED = "() => [...document.querySelectorAll('.arithmatex')].every(e => e.querySelector('.katex, .katex-error'))"


AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe_script() -> str:
    """axe-core（Deque 的无障碍检查引擎，npm 包 axe-core）的脚本；PyPI 的 axe-playwright-python 随包带着它。"""
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text("utf-8")


def axe_violations(page, script: str) -> list[str]:
    """在当前页面上运行 axe-core 的 WCAG 2 A/AA 规则，返回“规则：第一个出问题的元素”。"""
    page.add_script_tag(content=script)
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    return [f"{v['id']}（{len(v['nodes'])} 处）：{v['nodes'][0]['html'][:120]}" for v in result["violations"]]


def test_every_page_renders_its_formulas_and_stays_local(site, server, browser):
    """每一页：公式已渲染、没有 KaTeX 报错、不请求别的主机和公式脚本、没有控制台错误。"""
    page = browser.new_page()
    hosts: set[str] = set()
    errors: list[str] = []
    scripts: list[str] = []
    page.on("request", lambda request: hosts.add(request.url.split("/")[2]))
    page.on("request", lambda request: request.resource_type == "script" and scripts.append(request.url))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    rendered = 0
    for url in page_urls(site):
        page.goto(server + url)  # 等到 load 事件：页面引用的脚本、样式、字体和图片都已请求并加载
        page.wait_for_function(RENDERED)
        math = page.locator(".arithmatex").count()
        assert page.locator(".arithmatex .katex").count() == math, f"{url}: 有公式没有被 KaTeX 渲染"
        assert page.locator(".katex-error").count() == 0, f"{url}: KaTeX 报错"
        rendered += math
    page.close()
    assert rendered >= 40
    assert hosts == {server.split("/")[2]}, f"页面请求了本地服务器以外的主机：{hosts}"
    assert errors == []
    assert not [url for url in scripts if re.search(r"katex|mathjax", url, re.I)]


def test_axe_core_reports_a_low_contrast_text(browser):
    """检查本身会失败：对比度不够的文字被 axe-core 报出来。"""
    page = browser.new_page()
    page.set_content('<html lang="zh"><head><title>t</title></head><body><main>'
                     '<p style="color:#999;background:#fff">对比度只有 2.8:1 的文字</p></main></body></html>')
    found = axe_violations(page, axe_script())
    page.close()
    assert [v for v in found if v.startswith("color-contrast")], found


# 每种页面各一页：首页、课程页（公式、代码、输出、图、提示框、练习）、API 参考页、笔记本页面、术语表（表格、大量链接）。
# axe-core 的对比度规则要逐个检查文字元素，一页要几秒；AXE_ALL_PAGES=1 时检查每一页（两种配色约 10 分钟）。
AXE_PAGES = ["", "mlp/activation-functions/", "appendix/api/mlp/", "preface/quickstart/", "appendix/glossary/"]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_pages_pass_axe_core_wcag_2_a_and_aa(site, server, browser, scheme):
    import os

    # 全书打印页 print_page/ 只用来生成 PDF（读者不浏览它），内容就是其余各页
    urls = [url for url in page_urls(site) if url != "print_page/"] if os.environ.get("AXE_ALL_PAGES") else AXE_PAGES
    script = axe_script()
    page = browser.new_page(color_scheme=scheme)
    violations = {}
    for url in urls:
        page.goto(server + url)
        page.wait_for_load_state("networkidle")  # 包括换页后给横向滚动的公式加 tabindex 的脚本
        if found := axe_violations(page, script):
            violations[url] = found
    page.close()
    assert violations == {}, violations


# KaTeX 的样式表已生效：公式用 KaTeX 的字体，给屏幕阅读器的 MathML 在视觉上隐藏
KATEX_STYLED = """() => {
    const katex = document.querySelector('article .arithmatex .katex-html');
    const mathml = document.querySelector('article .arithmatex .katex-mathml');
    return katex !== null && getComputedStyle(katex.closest('.katex')).fontFamily.includes('KaTeX_Main')
        && getComputedStyle(mathml).position === 'absolute';
}"""


@pytest.mark.parametrize("url", ["mlp/activation-functions/", "preface/quickstart/", "mlp/dropout/"])
def test_formulas_display_with_javascript_disabled(server, browser, url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(server + url)
    formulas = page.locator("article .arithmatex .katex-html")
    assert formulas.count() >= 2
    assert formulas.first.is_visible()
    styled = page.evaluate(KATEX_STYLED)
    context.close()
    assert styled, f"{url}: 没有 JavaScript 时公式没有 KaTeX 的样式"


# 术语表以外的几类词：练习的标题和题目、只出现在折叠的参考答案里的词、标题里的词
SEARCHES = {
    "激活函数": "mlp/activation-functions/",
    "导数": "preliminaries/calculus/",
    "批量规范化": "modern-cnn/batch-norm/",
    "梯度检验": "mlp/gradient-checking/",
    "汇聚层": "cnn/pooling/",
    "权重衰减": "mlp/weight-decay/",
    "检查点": "workflow/training-workflow/",
    "吞吐量": "workflow/speed/",
    "标签平滑": "linear-networks/softmax-regression/",  # 练习的标题
    "余弦相似度": "preliminaries/linear-algebra/",  # 练习的题目
    "Jensen": "mlp/dropout/",  # 只出现在折叠的参考答案里
}


def test_chinese_search_finds_the_page(server, browser):
    """在一个页面的搜索框里依次搜索，讲这个词的那一页要在前三个页面里。"""
    from tests.glossary_search import run_queries

    page = browser.new_page()
    results = run_queries(page, server, list(SEARCHES))
    page.close()
    misses = {query: results[query] for query, expected in SEARCHES.items() if expected not in results[query]}
    assert not misses, misses


def test_search_from_the_address_bar(server, browser):
    """网址带 ?q= 打开时，Material 直接用它搜索（这时也才下载索引）。"""
    page = browser.new_page()
    page.goto(f"{server}?q=权重衰减")
    links = page.locator(".md-search-result__item a")
    links.first.wait_for(timeout=60_000)
    first = links.first.get_attribute("href")
    page.close()
    assert "mlp/weight-decay/" in first


def test_search_index_is_downloaded_only_when_the_reader_searches(server, browser):
    page = browser.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(server + "mlp/activation-functions/")
    page.wait_for_load_state("networkidle")
    page.locator("a.md-footer__link--next").click()  # 即时导航换到下一页
    page.wait_for_url("**/mlp/multilayer-perceptron/")
    page.wait_for_function("document.querySelector('article h1')?.textContent.includes('多层感知机的实现')")
    page.wait_for_load_state("networkidle")
    page.keyboard.press("s")  # Material 的快捷键：光标进入搜索框
    page.wait_for_function("document.activeElement?.matches('input.md-search__input') === true")
    before_typing = [url for url in requested if "/search/" in url]
    box = page.locator("input.md-search__input")
    box.fill("激活函数")
    box.dispatch_event("keyup")  # 输入法上屏时的 keyup（Playwright 输入键盘上没有的汉字时不发）
    try:
        page.locator(".md-search-result__item").first.wait_for(timeout=60_000)
    except Exception as error:
        meta = page.locator(".md-search-result__meta").inner_text()
        state = f"搜索框里是 {box.input_value()!r}，结果说明 {meta!r}，请求 {requested}"
        raise AssertionError(f"60 秒没有结果：{state}") from error
    first = page.locator(".md-search-result__item a").first.get_attribute("href")
    page.close()
    assert [url.rsplit("/", 1)[1] for url in before_typing] == ["search_index.json"], "读者还没搜索，页面就下载了索引"
    assert len([url for url in requested if url.endswith("/search/search_docs.json")]) == 1
    assert "activation-functions" in first


def test_every_glossary_term_finds_the_page_that_explains_it(server, browser):
    """术语表每一行的中文和英文术语，在搜索框里搜，术语表写的“首次出现”那一页要在前三个页面里：至少 95 %。"""
    from tests.glossary_search import glossary_rows, run_queries, score

    rows = glossary_rows()
    page = browser.new_page()
    results = run_queries(page, server, [query for row in rows for query in row.queries])
    page.close()
    found, misses = score(rows, results)
    total = sum(len(row.queries) for row in rows)
    report = "\n".join(f"{query}: 应为 {expected}，前三个是 {pages}" for query, expected, pages in misses)
    print(f"术语表搜索：{found}/{total} = {found / total:.1%}\n{report}")
    assert len(rows) > 200 and total == 2 * len(rows)
    assert found >= 0.95 * total, report


def test_copy_button_copies_only_the_code(server, browser):
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(server + "mlp/activation-functions/")
    page.wait_for_load_state("networkidle")
    block = page.locator("div.language-python").nth(1)
    expected = block.locator("code").inner_text()
    block.hover()
    block.locator("button.md-code__button[data-md-type=copy]").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    context.close()
    def lines(text: str) -> list[str]:
        return [line.rstrip() for line in text.splitlines() if line.strip()]

    assert lines(copied) == lines(expected)
    assert "def sigmoid" in copied
    assert ">>>" not in copied.splitlines()[0]  # 没有提示符；与代码块的文字逐行相同（上面）就说明没有带上输出


def test_instant_navigation_keeps_the_page_alive(server, browser):
    page = browser.new_page()
    page.goto(server + "mlp/")
    page.wait_for_load_state("networkidle")
    page.evaluate("window.__still_here = true")
    page.locator("article a[href*='activation-functions']").first.click()
    page.wait_for_url("**/mlp/activation-functions/")
    page.wait_for_load_state("networkidle")
    survived = page.evaluate("window.__still_here === true")
    rendered = page.locator(".arithmatex .katex").count()
    page.wait_for_function(KATEX_STYLED)  # 章首页没有公式；换页时 Material 把新页面 <head> 里的 KaTeX 样式表补上
    page.close()
    assert survived, "换页时整页重新加载了：即时导航没有生效"
    assert rendered > 10, "即时导航换页后公式不在页面上"


def test_palette_toggle_switches_between_light_and_dark(server, browser):
    page = browser.new_page(color_scheme="light")
    page.goto(server)
    page.wait_for_load_state("networkidle")
    scheme = "document.body.getAttribute('data-md-color-scheme')"
    assert page.evaluate(scheme) == "default"
    page.locator("form[data-md-component=palette] label:visible").first.click()
    assert page.evaluate(scheme) == "slate"
    page.locator("form[data-md-component=palette] label:visible").first.click()
    assert page.evaluate(scheme) == "default"
    page.close()


def test_notebook_links_serve_valid_notebooks(site, server, browser):
    page = browser.new_page()
    checked = 0
    for url in page_urls(site):
        html = (site / url / "index.html").read_text("utf-8") if url else (site / "index.html").read_text("utf-8")
        match = re.search(r'class="md-button lesson-notebook" download="[^"]+" href="([^"]+)"', html)
        if not match:
            continue
        response = page.request.get(server + url + match.group(1))
        assert response.ok, url
        nbformat.validate(nbformat.reads(response.text(), as_version=4))
        checked += 1
    page.close()
    assert checked >= 1


def _luminance(rgb: str) -> float:
    channels = [int(value) / 255 for value in re.findall(r"[\d.]+", rgb)[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_body_text_contrast_in_both_palettes(server, browser, scheme):
    page = browser.new_page(color_scheme=scheme)
    page.goto(server + "mlp/activation-functions/")
    page.wait_for_load_state("networkidle")
    colors = page.evaluate(
        """() => {
            const p = document.querySelector('article p');
            const style = getComputedStyle(p);
            const body = getComputedStyle(document.querySelector('.md-main'));
            const root = getComputedStyle(document.body);
            return [style.color, body.backgroundColor, root.backgroundColor];
        }"""
    )
    page.close()
    foreground = _luminance(colors[0])
    background = _luminance(colors[1] if "0, 0, 0, 0" not in colors[1] else colors[2])
    lighter, darker = max(foreground, background), min(foreground, background)
    assert (lighter + 0.05) / (darker + 0.05) >= 4.5, colors


def test_headings_do_not_skip_levels_and_images_have_chinese_alt(site):
    for page in html_pages(site):
        html = page.read_text("utf-8")
        article = re.search(r"<article.*?</article>", html, re.DOTALL)
        if not article:
            continue
        levels = [int(level) for level in re.findall(r"<h([1-6])\b", article.group(0))]
        for previous, current in itertools.pairwise(levels):
            assert current <= previous + 1, f"{page.relative_to(site)}: 标题从 h{previous} 跳到了 h{current}"
        for image in parse(page).images:
            src = image.get("src") or ""
            if src.startswith("data:") or "twemoji" in src:
                continue
            alt = image.get("alt") or ""
            assert re.search(r"[\u4e00-\u9fff]", alt), f"{page.relative_to(site)}: 图片 {src} 缺少中文替代文本"
