"""全书打印页（``print_page/``）：mkdocs-print-site-plugin 把全部页面按导航顺序合成一页，这里补上它缺的东西。

``python -m lessons_src._site.downloads`` 用无头 Chromium 把这一页打印成全书 PDF（见那里）。插件在
``on_page_content`` 时记下每一页的 HTML、在 ``on_post_build`` 时套上主题模板写出打印页，不经过 ``on_post_page``，
所以网站其他钩子在那之后做的事要在这里补上：

- 每一页的 HTML 在所有钩子改完之后再记一次（汉字之间的换行已删去），公式用 ``math.py`` 的同一个 KaTeX
  渲染器换成 HTML（公式都已缓存，不再启动 V8），打印页的 ``<head>`` 里加上 KaTeX 的样式表；
- 练习的参考答案（折叠块 ``<details>``）全部展开，紧跟在题目之后；
- 页面的标题按它在导航中的深度降级（章是 h1，章里的页面是 h2，页面里的 h2 变成 h3……），
  PDF 的书签因此按“章 → 页 → 节”分层，标题层级也不跳级；
- 纸上没有用的去掉：代码每一行前的锚点（两万个，链接还指向不存在的 id）、下载笔记本的按钮；
  其他相对链接改成网站上的绝对地址（``site_url``），PDF 里点开的是发布的网站；
- 插件的样式表和脚本只给打印页用，其他页面不多加载一个文件；打印页另有 ``stylesheets/print.css``；
- 封面上的版本和日期（提交的日期，同一个提交得到同一个封面）；
- 插件给标题加页面前缀的 ``update_anchor_ids`` 对每个 ``<`` 都向后扫描整行找 ``id=``，KaTeX 的 HTML
  一行有上千个标签，本机全站要 330 秒；换成只匹配一个标签之内的等价写法（0.1 秒，结果相同）；
- ``mkdocs serve`` 不生成打印页（合成和写出这 14 MB 要 3 秒左右，作者预览时用不着）；
- 离线网站（``OFFLINE=true``）不生成打印页，Material 的 ``offline`` 插件要的 iframe-worker 垫片
  用网站自带的一份（``lessons_src/_site/offline/``），不从第三方站点加载。
"""

from __future__ import annotations

import datetime
import logging
import re
import shutil
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

from lessons_src._site.registry import offline_build

log = logging.getLogger("mkdocs.hooks.lessons")

PRINT_PLUGIN = "print-site"
#: 插件加到每一页上的样式表和脚本；只有打印页需要它们
PLUGIN_ASSETS = ("css/print-site.css", "css/print-site-material.css", "js/print-site.js")
#: 打印页加载的样式表：插件的通用样式（目录、分页、封面）和网站自己的打印样式。
#: 插件的 Material 样式表不用：它的 @page 规则在页脚印英文的 “Page N”，页码由 Chromium 的页脚印
PRINT_CSS = ("css/print-site.css", "stylesheets/print.css")
PRINT_JS = "js/print-site.js"
IFRAME_WORKER = Path(__file__).resolve().parent.parent / "offline" / "iframe-worker.js"
IFRAME_WORKER_DEST = "assets/javascripts/iframe-worker.js"

#: 插件给每个导航条目包的 <section>：heading-number 是它在导航里的编号（"2"、"2.3"、"9.4.1"）
_SECTION = re.compile(
    r"""<section class=['"]print-page(?: md-section)?['"] id=['"][^'"]*['"] heading-number=['"]([\d.]+)['"]>"""
)
_HEADING = re.compile(r"<(/?)h([1-6])\b")
_DETAILS = re.compile(r"<details\b(?![^>]*\bopen\b)")
_SITE_CSS = re.compile(r'<link rel="stylesheet" href="[^"]*stylesheets/extra\.css">')
_LAZY = re.compile(r'\s+loading="lazy"')
#: 代码每一行前的锚点和行的 id（网页上用来链接到某一行）：打印页里有两万个，链接还指向不存在的 id
_LINE_ANCHOR = re.compile(r'<a id="__codelineno-[\w-]+" name="__codelineno-[\w-]+" href="[^"]*"></a>')
_LINE_SPAN = re.compile(r'<span id="__span-[\w-]+">')
#: 页面标题下“下载本页的 Jupyter 笔记本”的按钮（hooks/notebooks.py）：纸上没有用
_NOTEBOOK_BUTTONS = re.compile(r'<p>(?:\s*<a class="md-button lesson-notebook".*?</a>)+\s*</p>', re.DOTALL)
#: 打印页里不是页内锚点的相对链接（笔记本、下载文件）：插件把它们改成相对打印页的路径，在 PDF 里没有意义
_RELATIVE_HREF = re.compile(r'(<a\b[^>]*?\shref=")(?!#|[a-z][a-z0-9+.-]*:|//)([^"]*)"')


#: 插件改写 id 的标签（与 mkdocs_print_site_plugin.urls.update_anchor_ids 相同）
_ANCHOR_ID = re.compile(r'<(h[1-6]|sup|li)(\s[^>]*?)?\sid="([^"]*)"', re.IGNORECASE)


def update_anchor_ids(page_html: str, page_key: str) -> str:
    """标题、脚注的 id 前面加上页面的前缀，打印页里不重复；一次扫描，不回溯。

    Examples:
        >>> update_anchor_ids('<h2 class="a" id="x">x</h2><span id="y"></span><li id="fn:1">', "mlp-dropout")
        '<h2 class="a" id="mlp-dropout-x">x</h2><span id="y"></span><li id="mlp-dropout-fn:1">'
    """
    return _ANCHOR_ID.sub(lambda m: f'<{m.group(1)}{m.group(2) or ""} id="{page_key}-{m.group(3)}"', page_html)


def _plugin(config: MkDocsConfig) -> Any:
    return config.plugins.get(PRINT_PLUGIN)


def _math_hook(config: MkDocsConfig) -> Any:
    return next(module for name, module in config.hooks.items() if name.replace("\\", "/").endswith("hooks/math.py"))


def _version(config_file: str) -> str:
    """封面上的版本：课程包的版本号、提交和提交日期（不在 git 仓库里时用今天的日期）。"""
    try:
        version = metadata.version("lessons_src")
    except metadata.PackageNotFoundError:
        version = ""
    commit, date = "", datetime.date.today().isoformat()
    try:
        out = subprocess.run(
            ["git", "log", "-1", "--format=%h %cs"], cwd=Path(config_file).parent,
            capture_output=True, text=True, check=True, timeout=10,
        ).stdout.split()
        if len(out) == 2:
            commit, date = out
    except (OSError, subprocess.SubprocessError):
        pass
    parts = [f"版本 {version}" if version else "", f"提交 {commit}" if commit else "", date]
    return " · ".join(part for part in parts if part)


_command: dict[str, str] = {}


def on_startup(*, command: str, dirty: bool) -> None:
    _command["name"] = command


@event_priority(-100)  # 在插件自己的 on_config 之后：它把样式表和脚本加到了每一页上
def on_config(config: MkDocsConfig, **_: Any) -> MkDocsConfig:
    plugin = _plugin(config)
    if plugin is not None and (offline_build(config) or _command.get("name") == "serve"):
        # 离线网站不带打印页（读者另有 PDF）；mkdocs serve 也不生成它，每次重建省 3 秒左右
        plugin.config["enabled"] = False
    if offline_build(config):
        polyfills = config.extra.get("polyfills", [])
        config.extra["polyfills"] = [IFRAME_WORKER_DEST if "iframe-worker" in str(url) else url for url in polyfills]
    if plugin is None:
        return config
    config.extra_css = [css for css in config.extra_css if css not in PLUGIN_ASSETS]
    config.extra_javascript = [js for js in config.extra_javascript if str(js) not in PLUGIN_ASSETS]
    if not plugin.config.get("enabled"):
        return config
    from mkdocs_print_site_plugin import urls

    urls.update_anchor_ids = update_anchor_ids
    config.extra["print_version"] = _version(config.config_file_path)
    return config


@event_priority(-100)  # 在所有改 HTML 的钩子之后
def on_page_content(html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
    plugin = _plugin(config)
    if plugin is not None and plugin.config.get("enabled") and page is not plugin.print_page:
        math = _math_hook(config)
        page.html, _ = math.render_page_math(html, math._state["renderer"], page)
    return html


def demote_headings(html: str) -> str:
    """每个导航条目里的标题按条目的深度降级（最深到 h6）。

    Examples:
        >>> demote_headings('<h1>目录</h1><section class="print-page" id="a" heading-number="2.1"><h1>张量</h1><h2>')
        '<h1>目录</h1><section class="print-page" id="a" heading-number="2.1"><h2>张量</h2><h3>'
    """
    def shift(body: str, depth: int) -> str:
        return _HEADING.sub(lambda m: f"<{m.group(1)}h{min(6, int(m.group(2)) + depth)}", body)

    result, position, depth = [], 0, 0
    for match in _SECTION.finditer(html):
        result += [shift(html[position:match.start()], depth), match.group(0)]
        position, depth = match.end(), match.group(1).count(".")
    result.append(shift(html[position:], depth))
    return "".join(result)


def absolute_links(html: str, base: str) -> str:
    """相对链接改成网站上的绝对地址（``base`` 是打印页的地址），PDF 里点开的是发布的网站。

    Examples:
        >>> absolute_links('<a href="#x">a</a><a class="b" href="../mlp/a.ipynb">b</a>', "https://e.org/d/print_page/")
        '<a href="#x">a</a><a class="b" href="https://e.org/d/mlp/a.ipynb">b</a>'
    """
    return _RELATIVE_HREF.sub(lambda m: f'{m.group(1)}{urljoin(base, m.group(2))}"', html)


def finish_print_page(html: str, *, page_url: str, site_url: str, katex_css: str) -> str:
    """打印页的最后处理：标题降级、答案展开、图片不延迟加载、去掉代码行的锚点和笔记本按钮、相对链接、样式表和脚本。"""
    head, _, body = html.partition("</head>")
    body = absolute_links(body, urljoin(site_url, page_url))
    html = f"{head}</head>{body}"
    html = demote_headings(html)
    html = _DETAILS.sub("<details open", html)
    html = _LAZY.sub("", html)
    html = _LINE_SPAN.sub("<span>", _LINE_ANCHOR.sub("", html))
    html = _NOTEBOOK_BUTTONS.sub("", html)
    def link(href: str) -> str:
        return f'<link rel="stylesheet" href="{get_relative_url(href, page_url)}">'

    # KaTeX 的样式表放在网站自己的样式表之前（与 math.py 一样），打印样式放在最后
    site_css = _SITE_CSS.search(html)
    at = site_css.start() if site_css else html.index("</head>")
    html = f"{html[:at]}{link(katex_css)}{html[at:]}"
    head = "".join(link(href) for href in PRINT_CSS)
    head += f'<script src="{get_relative_url(PRINT_JS, page_url)}"></script>'
    return html.replace("</head>", head + "</head>", 1)


def on_post_build(*, config: MkDocsConfig) -> None:
    if offline_build(config):
        target = Path(config.site_dir) / IFRAME_WORKER_DEST
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(IFRAME_WORKER, target)
    plugin = _plugin(config)
    if plugin is None or not plugin.config.get("enabled"):
        return
    page = plugin.print_page
    path = Path(page.file.abs_dest_path)
    html = path.read_text(encoding="utf-8")
    math = _math_hook(config)
    html = finish_print_page(html, page_url=page.url, site_url=config.site_url or "", katex_css=math.KATEX_CSS)
    path.write_text(html, encoding="utf-8")
    log.info("全书打印页 %s：%d KB", page.file.dest_uri, path.stat().st_size // 1024)
