"""网站的速度与体积基准（不是测试，不由 pytest 收集）。

    python tests/benchmark_site.py            # 全部测量
    python tests/benchmark_site.py --no-tests # 不重新运行整个测试套件

打印：
- 清空缓存后 ``mkdocs build --strict`` 的秒数；
- 整个测试套件（README 的测试命令）的秒数；
- 每一页在无头 Chromium 中首次打开（没有缓存）时传输的字节数和请求数：它的“下限”（HTML 加上显示它所需的
  样式表、脚本、字体和图片）、``load`` 事件之前传输的字节、网络空闲时的全部字节，以及 load 前与下限之比；
  本地服务器像 GitHub Pages 等静态托管一样，对文本类文件（HTML、CSS、JS、JSON、SVG）按浏览器的
  ``Accept-Encoding`` 做 gzip 压缩，字体（woff2，本身已压缩）和图片原样发送；“传输”是浏览器实际
  收到的字节数（响应头 + 编码后的响应体，来自 Chromium 的统计），“解压后”是响应体解压后的大小；
- 第一次搜索：索引在读者第一次输入查询时才下载，打印这一次传输的字节和出结果的秒数；
- 网站中指向外部站点的链接（只列出，不访问）；
- 作者的工作循环：在真实的 ``mkdocs serve`` 和 ``mkdocs serve --dirty`` 里改一句正文，多少秒后浏览器拿到
  新页面；改一个课程模块（``lessons_src/mlp/dropout.py`` 末尾加一行注释），多少页重新执行、多少秒后重建完成。
  改动随后撤销。

预算（在 2 核的机器上）：最重的页面 ≤ 600 KB（含字体），每页 load 之前传输的字节 ≤ 下限的 1.3 倍，每页请求数 ≤ 30，
清空缓存后的构建 ≤ 60 秒，完整测试 ≤ 5 分钟，``mkdocs serve --dirty`` 中改一句正文后的重建
≤ 清空缓存后构建的 10 %。
超出预算时以状态 1 退出。
"""

from __future__ import annotations

import argparse
import gzip
import os
import queue
import re
import shutil
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import NamedTuple

from lessons_src._site.downloads import find_chromium

ROOT = Path(__file__).resolve().parents[1]
BUDGET_PAGE_BYTES = 600 * 1024
BUDGET_REQUESTS = 30
BUDGET_LOAD_RATIO = 1.3
BUDGET_BUILD_SECONDS = 60
BUDGET_TEST_SECONDS = 300
BUDGET_PROSE_REBUILD_RATIO = 0.10
PROSE_PAGE = ROOT / "docs" / "mlp" / "dropout.md"
LESSON_MODULE = ROOT / "lessons_src" / "mlp" / "dropout.py"


def timed(command: list[str], **kwargs) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, **kwargs)
    return time.perf_counter() - start


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.external: list[str] = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href") or ""
        if tag == "a" and href.startswith(("http://", "https://")):
            self.external.append(href)


def external_links(site: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for page in sorted(site.rglob("*.html")):
        parser = _Links()
        parser.feed(page.read_text("utf-8"))
        for url in parser.external:
            found.setdefault(url, []).append(page.relative_to(site).as_posix())
    return found


COMPRESSIBLE = {".html", ".css", ".js", ".json", ".svg", ".map", ".ipynb", ".txt", ".xml"}


def gzip_handler(site: Path):
    """静态文件服务器的请求处理类：对文本类文件按 ``Accept-Encoding`` 做 gzip 压缩（压缩结果缓存）。"""
    import functools
    import http.server

    cache: dict[Path, bytes] = {}

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            path = Path(self.translate_path(self.path))
            if path.is_dir():
                path = path / "index.html"
            wants_gzip = "gzip" in self.headers.get("Accept-Encoding", "")
            if not (wants_gzip and path.is_file() and path.suffix in COMPRESSIBLE):
                return super().do_GET()
            if path not in cache:
                cache[path] = gzip.compress(path.read_bytes(), compresslevel=6)
            body = cache[path]
            self.send_response(200)
            self.send_header("Content-Type", self.guess_type(str(path)))
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return functools.partial(Handler, directory=str(site))


# 显示一页所需的资源：HTML 本身、它引用的样式表、脚本、字体和图片；XHR/fetch（搜索索引、站点地图）和
# 搜索用的 Web Worker 不算
FLOOR_TYPES = {"document", "stylesheet", "script", "font", "image"}


class PageWeight(NamedTuple):
    url: str
    floor: int  # 显示这一页所需资源的传输字节
    until_load: int  # load 事件之前传输的字节
    total: int  # 网络空闲时传输的全部字节
    decoded: int  # 全部响应体解压后的字节
    requests: int

    @property
    def ratio(self) -> float:
        return self.until_load / self.floor


def measure_pages(site: Path) -> list[PageWeight]:
    """每页用一个新的浏览器上下文（没有缓存）打开，按 load 事件前后分别统计传输的字节。"""
    import http.server
    import threading

    from playwright.sync_api import sync_playwright

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), gzip_handler(site))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_port}/"
    executable = find_chromium()
    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        for html in sorted(site.rglob("index.html")):
            url = html.relative_to(site).as_posix().removesuffix("index.html")
            if url == "print_page/":  # 全书打印页只用来生成 PDF，读者不浏览它
                continue
            context = browser.new_context()
            page = context.new_page()
            finished: list[tuple[object, bool]] = []
            loaded: list[bool] = []
            page.on("load", lambda _page, flag=loaded: flag.append(True))
            page.on("requestfinished", lambda request, found=finished, flag=loaded: found.append((request, not flag)))
            page.goto(base + url)
            page.wait_for_load_state("networkidle")
            floor = until_load = total = decoded = 0
            for request, before_load in finished:
                sizes = request.sizes()
                size = sizes["responseHeadersSize"] + sizes["responseBodySize"]
                total += size
                until_load += size if before_load else 0
                if request.resource_type in FLOOR_TYPES and "/workers/" not in request.url:
                    floor += size
                response = request.response()
                decoded += len(response.body()) if response else 0
            results.append(PageWeight(url or "/", floor, until_load, total, decoded, len(finished)))
            context.close()
        browser.close()
    httpd.shutdown()
    return results


def measure_first_search(site: Path, query: str = "激活函数") -> tuple[int, int, float]:
    """打开首页、等网络空闲后第一次搜索：返回 (搜索前传输的字节, 搜索时传输的字节, 出结果的秒数)。

    索引在读者第一次输入查询时才下载（lessons_src/_site/hooks/search.py），这里量的就是这一次的代价。
    """
    import http.server
    import threading

    from playwright.sync_api import sync_playwright

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), gzip_handler(site))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    executable = find_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        finished: list = []
        page.on("requestfinished", lambda request: finished.append(request))
        page.goto(f"http://127.0.0.1:{httpd.server_port}/")
        page.wait_for_load_state("networkidle")
        start = len(finished)
        box = page.locator("input.md-search__input")
        box.click()
        started = time.perf_counter()
        box.fill(query)
        box.dispatch_event("keyup")  # 输入法上屏时的 keyup
        page.locator(".md-search-result__item").first.wait_for(timeout=60_000)
        seconds = time.perf_counter() - started
        page.wait_for_load_state("networkidle")

        def size(requests) -> int:
            return sum(r.sizes()["responseHeadersSize"] + r.sizes()["responseBodySize"] for r in requests)

        before, during = size(finished[:start]), size(finished[start:])
        browser.close()
    httpd.shutdown()
    return before, during, seconds


class Serve:
    """在后台运行 ``mkdocs serve``，读它的日志，等待重建完成。"""

    def __init__(self, port: int, *options: str) -> None:
        import threading

        self.url = f"http://127.0.0.1:{port}/"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}", *options],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env=dict(os.environ, NO_MKDOCS_2_WARNING="1"),
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip())

    def wait_for_line(self, pattern: str, timeout: float = 300) -> tuple[re.Match[str], list[str]]:
        """等到日志里出现与正则 ``pattern`` 匹配的一行，返回 (匹配结果, 这期间的日志)。"""
        seen: list[str] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                continue
            seen.append(line)
            match = re.search(pattern, line)
            if match:
                return match, seen
        raise TimeoutError(f"mkdocs serve 的日志里没有出现 {pattern!r}：\n" + "\n".join(seen[-20:]))

    def wait_for_build(self) -> tuple[float, list[str]]:
        """等到下一次重建完成（“Documentation built in X seconds”），返回 (X, 这期间的日志)。"""
        match, seen = self.wait_for_line(r"Documentation built in ([\d.]+) seconds")
        return float(match.group(1)), seen

    def page_contains(self, path: str, text: str) -> bool:
        import urllib.request

        try:
            with urllib.request.urlopen(self.url + path, timeout=60) as response:
                return text in response.read().decode("utf-8")
        except OSError:
            return False

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def measure_author_loop(*options: str) -> dict[str, float]:
    """在真实的 mkdocs serve 里测：改一句正文、改一个模块之后多久重建好。文件随后恢复原样。"""
    serve = Serve(_free_port(), *options)
    prose, module = PROSE_PAGE.read_text("utf-8"), LESSON_MODULE.read_text("utf-8")
    marker = f"基准测试临时加入的一句话 {time.time_ns()}。"
    try:
        serve.wait_for_build()  # 第一次构建（缓存已由前面的清空缓存构建填好）
        serve.wait_for_line(r"Serving on")  # 这之后才开始监视文件；轮询的第一次快照要在改动之前
        time.sleep(1.5)
        started = time.perf_counter()
        PROSE_PAGE.write_text(prose + f"\n{marker}\n", "utf-8")
        prose_build, _ = serve.wait_for_build()
        while not serve.page_contains("mlp/dropout/", marker):
            time.sleep(0.05)
        prose_wall = time.perf_counter() - started
        PROSE_PAGE.write_text(prose, "utf-8")
        serve.wait_for_build()
        time.sleep(1.5)

        started = time.perf_counter()
        LESSON_MODULE.write_text(module + f"# 基准测试临时加入的注释 {time.time_ns()}\n", "utf-8")
        module_build, log = serve.wait_for_build()
        module_wall = time.perf_counter() - started
        executed = [re.search(r"执行 (\d+) 页的代码", line) for line in log]
        reran = sum(int(match.group(1)) for match in executed if match)
    finally:
        PROSE_PAGE.write_text(prose, "utf-8")
        LESSON_MODULE.write_text(module, "utf-8")
        serve.stop()
    return {"prose_build": prose_build, "prose_wall": prose_wall, "module_build": module_build,
            "module_wall": module_wall, "module_pages": reran}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-tests", action="store_true", help="不运行整个测试套件")
    args = parser.parse_args()
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    over = []

    shutil.rmtree(ROOT / "site", ignore_errors=True)
    shutil.rmtree(ROOT / ".cache" / "lesson-outputs", ignore_errors=True)
    build = timed([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet"], env=env)
    print(f"清空缓存后构建：{build:.1f} 秒（预算 {BUDGET_BUILD_SECONDS} 秒）")
    if build > BUDGET_BUILD_SECONDS:
        over.append("构建时间")

    for options in ([], ["--dirty"]):
        loop = measure_author_loop(*options)
        ratio = loop["prose_wall"] / build
        command = " ".join(["mkdocs serve", *options])
        print(f"{command} 中改一句正文：{loop['prose_wall']:.1f} 秒后浏览器拿到新页面"
              f"（重建本身 {loop['prose_build']:.1f} 秒），是清空缓存后构建的 {ratio:.0%}")
        print(f"{command} 中改一个模块（{LESSON_MODULE.relative_to(ROOT)}）：重新执行 {loop['module_pages']} 页，"
              f"{loop['module_wall']:.1f} 秒后重建完成（重建本身 {loop['module_build']:.1f} 秒）")
    # 预算针对 README 为改正文推荐的 mkdocs serve --dirty（只重新渲染内容变了的页面）
    print(f"改正文后的重建预算：清空缓存后构建的 {BUDGET_PROSE_REBUILD_RATIO:.0%}（mkdocs serve --dirty）")
    if ratio > BUDGET_PROSE_REBUILD_RATIO:
        over.append("改正文后的重建时间")

    if not args.no_tests:
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        tests = timed(command, env=env, stdout=subprocess.DEVNULL)
        print(f"完整测试：{tests:.1f} 秒（预算 {BUDGET_TEST_SECONDS} 秒）")
        if tests > BUDGET_TEST_SECONDS:
            over.append("测试时间")

    site = ROOT / "site"
    print(f"网站大小：{sum(f.stat().st_size for f in site.rglob('*') if f.is_file()) / 1024 / 1024:.1f} MB")
    pages = measure_pages(site)
    print(f"\n{'页面':<48}{'下限':>9}{'load 前':>9}{'全部':>9}{'比值':>6}{'解压后':>9}{'请求':>5}")
    for row in pages:
        print(f"{row.url:<48}{row.floor / 1024:>8.0f}K{row.until_load / 1024:>8.0f}K{row.total / 1024:>8.0f}K"
              f"{row.ratio:>6.2f}{row.decoded / 1024:>8.0f}K{row.requests:>5}")
    heaviest = max(pages, key=lambda row: row.total)
    lightest = min(pages, key=lambda row: row.total)
    worst = max(pages, key=lambda row: row.ratio)
    for name, row in (("最重", heaviest), ("最轻", lightest)):
        print(f"{name}的页面：{row.url}，下限 {row.floor / 1024:.0f} KB，load 前 {row.until_load / 1024:.0f} KB，"
              f"全部 {row.total / 1024:.0f} KB（解压后 {row.decoded / 1024:.0f} KB），{row.requests} 个请求")
    print(f"load 前传输与下限之比最大：{worst.url} {worst.ratio:.2f}（预算 {BUDGET_LOAD_RATIO}）；"
          f"每页全部传输的预算 {BUDGET_PAGE_BYTES // 1024} KB、{BUDGET_REQUESTS} 个请求")
    if heaviest.total > BUDGET_PAGE_BYTES:
        over.append("页面体积")
    if worst.ratio > BUDGET_LOAD_RATIO:
        over.append("load 前传输的字节")
    if max(row.requests for row in pages) > BUDGET_REQUESTS:
        over.append("请求数")

    before, during, seconds = measure_first_search(site)
    print(f"第一次搜索：首页网络空闲时已传输 {before / 1024:.0f} KB；输入查询后下载索引 {during / 1024:.0f} KB，"
          f"{seconds:.1f} 秒后出结果（之后换页不再下载）")

    links = external_links(site)
    print(f"\n外部链接 {len(links)} 个（只列出，不访问）：")
    for url, where in sorted(links.items()):
        print(f"  {url}  ←  {', '.join(sorted(set(where)))[:120]}")

    if over:
        print(f"\n超出预算：{'、'.join(over)}")
        return 1
    print("\n全部在预算之内")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
