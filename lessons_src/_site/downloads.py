"""全书 PDF 和离线网站：``mkdocs build --strict`` 之后运行 ``python -m lessons_src._site.downloads``。

- **全书 PDF** ``site/downloads/dl-pytorch-zh.pdf``：在本地端口上提供构建好的网站，用无头 Chromium 打开全书打印页
  ``print_page/``（mkdocs-print-site-plugin 按导航顺序合成的一页，见 ``hooks/print_site.py``），等图片和字体
  都加载完，打印成 A4 的 PDF：页脚印“第 N 页 / 共 M 页”，书签（PDF 大纲）由标题生成，
  页面之间的链接是 PDF 内部的跳转，中文字体以子集嵌入；
- **离线网站** ``site/downloads/dl-pytorch-zh-offline.zip``：以 ``OFFLINE=true`` 再构建一次网站
  （Material 的 ``offline`` 插件：不用目录式网址，搜索索引内联成脚本，从磁盘 ``file://`` 打开也能搜索），
  打包成 zip，解压后打开其中的 ``dl-pytorch-zh/index.html``；页面的执行结果来自缓存，不重新执行；
- 首页上两个下载链接旁的 ``<span data-download-size="文件名">`` 填上文件的大小。

浏览器与测试用的相同：环境变量 ``CHROMIUM`` 指定的，或系统安装的 Chromium（Debian 上 ``apt-get install chromium``）。
中文字体用文泉驿微米黑（Debian 上 ``apt-get install fonts-wqy-microhei``；原因见 ``docs/stylesheets/print.css``）。
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import html
import http.server
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

PDF_NAME = "dl-pytorch-zh.pdf"
ZIP_NAME = "dl-pytorch-zh-offline.zip"
ZIP_ROOT = "dl-pytorch-zh"
PRINT_PAGE = "print_page/"
#: PDF 的大小上限：字体是子集，图是构建时画的 SVG/PNG；超过说明有东西没压缩或重复嵌入了
PDF_LIMIT_MB = 40
ZIP_LIMIT_MB = 60
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]

FOOTER = (
    '<div style="width:100%;font-size:8px;color:#555;text-align:center;'
    "font-family:'WenQuanYi Micro Hei',sans-serif\">"
    '第 <span class="pageNumber"></span> 页 / 共 <span class="totalPages"></span> 页</div>'
)
HEADER = (
    '<div style="width:100%;font-size:7px;color:#888;padding:0 15mm;text-align:right;'
    "font-family:'WenQuanYi Micro Hei',sans-serif\">{title}</div>"
)

# 打印页已完全就绪：目录已由插件的脚本生成，每张图都已解码，字体都已加载
READY = """async () => {
    if (!document.querySelector('#print-page-toc ul')) return false;
    await Promise.all([...document.images].map(img => img.complete ? img.decode().catch(() => null)
        : new Promise(resolve => { img.onload = img.onerror = resolve; })));
    await document.fonts.ready;
    return [...document.images].every(img => img.complete);
}"""

# 书签的位置：Chromium 只给“有链接指向的元素”写 PDF 的命名目标，所以每个标题里放一个空的锚点，
# 再放一组隐藏的链接指向它们；返回 [层级, 锚点, 标题文字]。只取打印时看得见的 h1–h4（封面不算）
OUTLINE = """() => {
    // 给屏幕阅读器的 MathML 在纸上看不见（PDF 也不带标签），去掉它，Chromium 排版和打印都快得多
    document.querySelectorAll('.katex-mathml').forEach(e => e.remove());
    const headings = [...document.querySelectorAll(
        '#print-site-page h1, #print-site-page h2, #print-site-page h3, #print-site-page h4')]
        .filter(h => h.getClientRects().length > 0 && !h.closest('#print-site-cover-page'));
    const nav = document.createElement('nav');
    nav.hidden = true;
    const outline = headings.map((heading, i) => {
        const anchor = document.createElement('span');
        anchor.id = `lesson-outline-${i}`;
        heading.prepend(anchor);
        const link = document.createElement('a');
        link.href = '#' + anchor.id;
        nav.append(link);
        const copy = heading.cloneNode(true);
        copy.querySelectorAll('.headerlink, .anchor-link, .katex-mathml').forEach(e => e.remove());
        return [Number(heading.tagName[1]), anchor.id, copy.textContent.replace(/\\s+/g, ' ').trim()];
    });
    document.body.append(nav);
    return outline;
}"""


class DownloadError(RuntimeError):
    """生成下载文件失败；消息说明原因和怎么办。"""


CJK_FONT = "WenQuanYi Micro Hei"


def check_cjk_font() -> None:
    """打印样式指定的中文字体装在系统里（有 ``fc-list`` 时检查）：缺了它，Chromium 会换成别的字体，
    思源黑体这类 CFF 字体写进 PDF 会大出几十 MB。"""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return
    found = subprocess.run([fc_list, f":family={CJK_FONT}", "family"], capture_output=True, text=True, check=False)
    if CJK_FONT not in found.stdout:
        raise DownloadError(
            f"没有安装中文字体 {CJK_FONT}（文泉驿微米黑）；Debian 上：apt-get install fonts-wqy-microhei"
        )


def find_chromium() -> str:
    """与浏览器测试相同的查找顺序：``CHROMIUM`` 环境变量、常见的安装位置、``PATH`` 上的 ``chromium``。"""
    executable = os.environ.get("CHROMIUM") or next(
        (path for path in CHROMIUM_CANDIDATES if Path(path).exists()), shutil.which("chromium")
    )
    if not executable:
        raise DownloadError(
            "找不到 Chromium：打印全书 PDF 需要无头 Chromium。Debian 上：apt-get install chromium；"
            "或者用环境变量 CHROMIUM 指定浏览器的可执行文件"
        )
    return executable


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """在 127.0.0.1 的一个空闲端口上提供 ``directory``，产出网站的地址。"""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(directory)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def build_pdf(site_dir: Path, target: Path, *, title: str, author: str, timeout_s: float = 600) -> Path:
    """把 ``site_dir`` 中的全书打印页打印成 ``target``（A4、页码、书签、内部链接、嵌入字体）。

    ``title`` 印在每一页的页眉上，与 ``author`` 一起写进 PDF 的文档信息。
    """
    if not (site_dir / PRINT_PAGE / "index.html").is_file():
        raise DownloadError(f"{site_dir / PRINT_PAGE}index.html 不存在：先运行 mkdocs build --strict")
    executable = find_chromium()
    check_cjk_font()
    from playwright.sync_api import sync_playwright

    target.parent.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    with serve(site_dir) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(timeout_s * 1000)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("requestfailed", lambda request: errors.append(f"请求失败：{request.url}"))
            start = time.perf_counter()
            page.goto(url + PRINT_PAGE, wait_until="load")
            page.wait_for_function(READY, polling=500)
            print(f"  打印页已加载：{time.perf_counter() - start:.0f} 秒", flush=True)
            page.emulate_media(media="print")
            outline = page.evaluate(OUTLINE)
            page.pdf(
                path=str(target),
                format="A4",
                margin={"top": "18mm", "bottom": "18mm", "left": "16mm", "right": "16mm"},
                display_header_footer=True,
                header_template=HEADER.format(title=html.escape(title)),
                footer_template=FOOTER,
                print_background=True,
                # 不生成带标签的 PDF：Chromium 的 outline=True 要靠它，可打印页的 DOM 太大（KaTeX 和高亮的
                # 几十万个 <span>），结构树让 PDF 大出 30 多 MB、打印慢几分钟；书签改由下面的 add_outline 写入
                tagged=False,
            )
            print(f"  打印完成：{time.perf_counter() - start:.0f} 秒", flush=True)
        finally:
            browser.close()
    if errors:
        raise DownloadError("打印页加载时出错：\n" + "\n".join(errors[:20]))
    add_outline(target, outline, title=title, author=author)
    return target


def add_outline(path: Path, outline: list[list], *, title: str, author: str) -> int:
    """按标题的层级给 PDF 写书签（章 → 页 → 节），打开时显示书签栏；返回书签数。"""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import Fit, NameObject, TextStringObject

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # Chromium 的交叉引用表比对象少几个，pypdf 照读，只是要警告

    reader = PdfReader(path)
    destinations = {name.lstrip("/"): dest for name, dest in reader.named_destinations.items()}
    writer = PdfWriter(clone_from=reader)
    parents: list[tuple[int, object]] = []  # (层级, 书签)，从外到内
    added = 0
    missing = []
    for level, anchor, text in outline:
        dest = destinations.get(anchor)
        if dest is None:
            missing.append(text)
            continue
        while parents and parents[-1][0] >= level:
            parents.pop()
        parent = parents[-1][1] if parents else None
        top = dest.get("/Top")
        fit = Fit.xyz(left=0, top=float(top)) if top is not None else Fit.fit()
        item = writer.add_outline_item(
            title=text, page_number=reader.get_destination_page_number(dest), parent=parent, fit=fit
        )
        parents.append((level, item))
        added += 1
    if missing:
        raise DownloadError(f"{len(missing)} 个标题在 PDF 里没有位置，写不了书签：{missing[:10]}")
    writer.page_mode = "/UseOutlines"
    writer.add_metadata({"/Title": title, "/Author": author})
    writer._root_object[NameObject("/Lang")] = TextStringObject("zh-CN")
    partial = path.with_suffix(".pdf.partial")
    with partial.open("wb") as file:
        writer.write(file)
    partial.replace(path)
    return added


def build_offline_site(target: Path, *, config_file: Path = ROOT / "mkdocs.yml", pdf: Path | None = None) -> Path:
    """以 ``OFFLINE=true`` 构建一份离线网站（严格模式），打包成 ``target``；``pdf`` 的大小写在它的首页上。"""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="offline-site-") as tmp:
        site_dir = Path(tmp) / ZIP_ROOT
        previous = os.environ.get("OFFLINE")
        os.environ["OFFLINE"] = "true"
        try:
            config = load_config(str(config_file), site_dir=str(site_dir), strict=True)
            build(config)
        finally:
            if previous is None:
                os.environ.pop("OFFLINE", None)
            else:
                os.environ["OFFLINE"] = previous
        if not (site_dir / "search" / "search_index.js").is_file():
            raise DownloadError("离线构建没有生成内联的搜索索引 search/search_index.js（offline 插件没有启用？）")
        # 离线网站的首页：两个下载链接指向发布的网站（压缩包里没有 downloads/），PDF 写上大小
        index = site_dir / "index.html"
        text = index.read_text("utf-8")
        for name in (PDF_NAME, ZIP_NAME):
            text = text.replace(f'href="downloads/{name}"', f'href="{config.site_url or ""}downloads/{name}"')
        text = re.sub(rf'(<span data-download-size="{re.escape(ZIP_NAME)}"[^>]*>)[^<]*', r"\g<1>就是这个压缩包", text)
        index.write_text(text, "utf-8")
        if pdf is not None and pdf.is_file():
            fill_sizes(index, [pdf])
        partial = target.with_suffix(".zip.partial")
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
            for path in sorted(site_dir.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(site_dir.parent).as_posix())
        partial.replace(target)
    return target


def human_size(size: int) -> str:
    """文件大小，写在首页的下载链接旁。

    Examples:
        >>> human_size(23_456_789)
        '22.4 MB'
        >>> human_size(900_000)
        '879 KB'
    """
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    return f"{round(size / 1024)} KB"


def fill_sizes(index_html: Path, files: list[Path]) -> int:
    """首页上 ``<span data-download-size="文件名">…</span>`` 填上文件的大小，返回填了几处。"""
    text = index_html.read_text("utf-8")
    filled = 0
    for file in files:
        pattern = re.compile(rf'(<span data-download-size="{re.escape(file.name)}"[^>]*>)[^<]*(</span>)')
        text, count = pattern.subn(lambda m, f=file: m.group(1) + human_size(f.stat().st_size) + m.group(2), text)
        filled += count
    index_html.write_text(text, "utf-8")
    return filled


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lessons_src._site.downloads",
        description="在 mkdocs build --strict 之后生成全书 PDF 和离线网站的 zip，放进 <网站>/downloads/，"
        "并在首页写上它们的大小。",
    )
    parser.add_argument("--site-dir", type=Path, default=ROOT / "site", help="构建好的网站（默认 site/）")
    parser.add_argument("--config-file", type=Path, default=ROOT / "mkdocs.yml", help="离线构建用的 mkdocs.yml")
    parser.add_argument("--no-pdf", action="store_true", help="不生成 PDF")
    parser.add_argument("--no-offline", action="store_true", help="不生成离线网站")
    args = parser.parse_args(argv)

    # 离线构建的警告（严格模式下让它失败）要显示出来，与 mkdocs build 的终端输出一样
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
    handler.setLevel(logging.WARNING)
    logging.getLogger("mkdocs").addHandler(handler)

    site_dir: Path = args.site_dir.resolve()
    if not (site_dir / "index.html").is_file():
        print(f"{site_dir}/index.html 不存在：先运行 mkdocs build --strict", file=sys.stderr)
        return 2
    downloads = site_dir / "downloads"
    made: list[Path] = []
    try:
        if not args.no_pdf:
            start = time.perf_counter()
            from mkdocs.config import load_config

            config = load_config(str(args.config_file.resolve()))
            pdf = build_pdf(site_dir, downloads / PDF_NAME, title=config.site_name, author=config.site_author or "")
            size = pdf.stat().st_size
            print(f"全书 PDF {pdf}：{human_size(size)}，用时 {time.perf_counter() - start:.0f} 秒")
            if size > PDF_LIMIT_MB * 1024 * 1024:
                raise DownloadError(f"PDF 有 {human_size(size)}，超过了 {PDF_LIMIT_MB} MB 的上限")
            made.append(pdf)
        if not args.no_offline:
            start = time.perf_counter()
            archive = build_offline_site(
                downloads / ZIP_NAME, config_file=args.config_file.resolve(), pdf=downloads / PDF_NAME
            )
            size = archive.stat().st_size
            print(f"离线网站 {archive}：{human_size(size)}，用时 {time.perf_counter() - start:.0f} 秒")
            if size > ZIP_LIMIT_MB * 1024 * 1024:
                raise DownloadError(f"离线网站的 zip 有 {human_size(size)}，超过了 {ZIP_LIMIT_MB} MB 的上限")
            made.append(archive)
    except DownloadError as error:
        print(f"错误：{error}", file=sys.stderr)
        return 1
    filled = fill_sizes(site_dir / "index.html", made)
    print(f"首页填上了 {filled} 处文件大小")
    return 0


if __name__ == "__main__":
    sys.exit(main())
