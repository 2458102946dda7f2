"""术语表的每一行都拿去网站自己的搜索框里搜：中文术语和英文术语都应把术语表写的“首次出现”那一页排在前三个结果里。

``tests/test_site.py`` 用它做浏览器测试；也可以单独运行，打印得分和没找到的行：

    python -m tests.glossary_search site/   # 先 mkdocs build
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lessons_src._site.hooks.search import glossary_terms

DOCS = Path(__file__).resolve().parents[1] / "docs"


@dataclass(frozen=True)
class GlossaryRow:
    zh: str
    en: str
    page: str  # 首次出现的页面，站内路径，例如 "mlp/activation-functions/"

    @property
    def queries(self) -> tuple[str, str]:
        return (self.zh, self.en)


def glossary_rows(docs_dir: Path = DOCS) -> list[GlossaryRow]:
    """术语表“术语”一节的每一行（符号表不算：记号不是搜索的对象），按搜索钩子读术语表的同一种方式读出。

    读者会输入的是每一格的第一个写法：括号里的限定或别名（“步幅（内存）”“rectified linear unit (ReLU)”）
    和斜杠后面并列的术语（“先验 / 似然 / 后验”）不算。
    """
    return [GlossaryRow(t.chinese[0], t.english[0], t.location.split("#")[0]) for t in glossary_terms(docs_dir)]


# 在页面里依次把查询写进搜索框，每次等 Material 按这个查询重新列出结果，返回每个查询前几个结果页面的站内路径。
# 两次查询之间先清空搜索框：结果列表的说明回到“键入以开始搜索”，下一次的结果就不会和上一次的混在一起。
_RUN_QUERIES = """async ([queries, base, depth]) => {
  const input = document.querySelector("input.md-search__input");
  const meta = document.querySelector(".md-search-result__meta");
  const list = document.querySelector(".md-search-result__list");
  const settle = async test => {
    const start = performance.now();
    while (!test()) {
      if (performance.now() - start > 20000) throw new Error("搜索 20 秒没有结果：" + input.value);
      await new Promise(resolve => setTimeout(resolve, 2));
    }
  };
  const type = value => {
    input.value = value;
    input.dispatchEvent(new KeyboardEvent("keyup", {key: "Unidentified"}));
  };
  type("");  // 空的搜索框：结果列表清空，说明文字是“键入以开始搜索”
  await settle(() => list.children.length === 0);
  const placeholder = meta.textContent;
  const results = {};
  for (const query of queries) {
    type("");
    await settle(() => meta.textContent === placeholder);
    type(query);
    await settle(() => meta.textContent !== placeholder);
    const pages = [];
    for (const item of document.querySelectorAll(".md-search-result__list > .md-search-result__item")) {
      const href = item.querySelector("a").href.split("#")[0].split("?")[0];
      pages.push(href.startsWith(base) ? href.slice(base.length) : href);
      if (pages.length === depth) break;
    }
    results[query] = pages;
  }
  type("");
  return results;
}"""


def run_queries(page, base: str, queries: list[str], depth: int = 3) -> dict[str, list[str]]:
    """在已打开网站 ``base`` 的 Playwright 页面里，通过搜索框逐个搜索 ``queries``。"""
    page.goto(base)
    page.locator("input.md-search__input").click()  # 读者点进搜索框
    box = page.locator("input.md-search__input")
    box.fill("导数")  # 第一次搜索：这时才下载索引
    # Material 在 keyup 时读搜索框；Playwright 输入键盘上没有的汉字时只发 input 事件，读者的输入法则会发 keyup
    box.dispatch_event("keyup")
    # 等到索引下载、建好，能搜出结果
    page.locator(".md-search-result__item").first.wait_for(timeout=60_000)
    unique = list(dict.fromkeys(queries))
    return page.evaluate(_RUN_QUERIES, [unique, base, depth])


def score(rows: list[GlossaryRow], results: dict[str, list[str]]) -> tuple[int, list[tuple[str, str, list[str]]]]:
    """找到的查询数与没找到的 ``(查询, 应排在前面的页面, 实际的前几个页面)``。"""
    found, misses = 0, []
    for row in rows:
        for query in row.queries:
            if row.page in results[query]:
                found += 1
            else:
                misses.append((query, row.page, results[query]))
    return found, misses


if __name__ == "__main__":  # pragma: no cover - 手动运行
    import sys
    import time

    from playwright.sync_api import sync_playwright

    from lessons_src._site.downloads import CHROMIUM_ARGS, find_chromium, serve

    rows = glossary_rows()
    with serve(Path(sys.argv[1] if len(sys.argv) > 1 else "site")) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS)
        started = time.perf_counter()
        results = run_queries(browser.new_page(), base, [q for row in rows for q in row.queries])
        seconds = time.perf_counter() - started
        browser.close()
    found, misses = score(rows, results)
    total = 2 * len(rows)
    print(f"{found}/{total} = {found / total:.1%}（{seconds:.1f} 秒）")
    for query, expected, pages in misses:
        print(f"  {query!r}: 应为 {expected}，实际 {pages}")
