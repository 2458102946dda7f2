"""搜索：索引要小，中文术语要搜得到，讲术语的那一节要排在顺带提到它的地方前面。

索引在读者第一次输入查询时才下载（``assets/javascripts/workers/search-zh.js`` 包在 Material 的搜索线程外面，
说明见那里）：Material 在页面启动时下载的 ``search/search_index.json`` 只留配置，文档写在
``search/search_docs.json``；每一页的配置里，搜索线程换成那个文件。离线版网站（Material 的 ``offline`` 插件，
从 ``file://`` 打开）照 Material 的办法把完整索引放进脚本，这一步不做。索引本身也要小：

- 代码块不进索引：搜索插件为页面建索引时（``on_page_context``），看到的是去掉了 ``<pre>`` 块的正文，
  建完再换回完整的正文（搜索要找的是讲解；代码里的名字在正文和行内代码里都还在）。
  Material 文档里的 ``data-search-exclude`` 属性也能做到，但插件仍要逐个解析代码块里高亮用的几万个标签：
  本机实测每次构建的索引时间从约 0.7 秒增加到约 2 秒，对 ``mkdocs serve`` 的重建太慢，所以不用它；
- 课程页开头的笔记本下载按钮（每页都一样的几个字）不进索引；
- 构建结束时索引以 UTF-8、无多余空白的 JSON 重新写出，汉字不再转义成六个 ASCII 字符。

中文术语（术语表的每一行）：

- Material 的搜索插件在构建时用 jieba 给中文分词，浏览器里再按索引里已有的词切分读者输入的查询。
  jieba 的通用词典不认识“修正线性单元”“对数求和指数”这样的术语，会把它们切成几个常见词，查询也就被切成几个
  常见词，讲这个术语的页面淹没在到处出现的“线性”“单元”里。构建开始时把术语表里的中文术语（和括号里的别名）
  加进 jieba 的词典，术语在索引里是一个词，浏览器按同一份词表切分查询，两边一致；
- 术语表写明了每个术语“首次出现”的那一节。索引里这一节多一个字段 ``keywords``，放这一行的中文和英文术语，
  权重高于标题（标题又远高于正文）：搜术语，先出来的是解释它的那一节，而不是顺带提到它的几十处。
  Material 的搜索线程按索引配置里的 ``fields`` 建索引，所以只要在配置里加上这个字段；结果列表只显示标题和正文。
"""

from __future__ import annotations

import json
import logging
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import CombinedEvent, event_priority
from mkdocs.structure.pages import Page

from lessons_src._site.registry import offline_build

log = logging.getLogger("mkdocs.hooks.lessons")

_PRE_BLOCK = re.compile(r"<pre\b[^>]*>.*?</pre>", re.DOTALL)
_NOTEBOOK_BUTTONS = re.compile(r"<p>(?:\s*<a [^>]*\blesson-notebook\b.*?</a>)+\s*</p>", re.DOTALL)
_FULL_CONTENT = "_lessons_full_content"

GLOSSARY = "appendix/glossary.md"
DOCS_FILE = "search_docs.json"  # 完整的索引，读者第一次搜索时才下载
WORKER = "search-zh.js"  # 主题里的搜索线程（lessons_src/_site/theme/assets/javascripts/workers/）
KEYWORDS_BOOST = 10_000.0  # Material 的默认权重：标题 1000，正文 1

_GLOSSARY_ROW = re.compile(r"^\|\s*(?P<zh>[^|]+?)\s*\|\s*(?P<en>[^|]+?)\s*\|\s*\[[^\]]*\]\((?P<link>[^)\s]+)\)\s*\|")
_PARENTHESIS = re.compile(r"\s*[（(]([^）)]*)[）)]")


@dataclass(frozen=True)
class Term:
    """术语表的一行：中文术语的各种写法、英文术语的各种写法，以及首次出现的位置（索引里的 location）。"""

    chinese: tuple[str, ...]
    english: tuple[str, ...]
    location: str


def _variants(cell: str) -> tuple[str, ...]:
    """“汇聚层（池化层）”→ 汇聚层、池化层；“rectified linear unit (ReLU)”→ 两者；“先验 / 似然 / 后验”→ 三个词。"""
    cell = cell.replace("`", "")
    names = [_PARENTHESIS.sub("", cell), *_PARENTHESIS.findall(cell)]
    parts = [part.strip() for name in names for part in re.split(r"\s*[/、]\s*", name)]
    return tuple(dict.fromkeys(part for part in parts if part and "$" not in part))


def page_location(src_uri: str, anchor: str = "") -> str:
    """源文件路径 → 索引里的 location：``mlp/dropout.md`` + ``实现`` → ``mlp/dropout/#实现``。"""
    path = posixpath.splitext(src_uri)[0]
    url = "" if path == "index" else path.removesuffix("/index").removesuffix("index") + "/"
    return url + (f"#{anchor}" if anchor else "")


def glossary_terms(docs_dir: str | Path) -> list[Term]:
    """读术语表“术语”一节的每一行（没有术语表时返回空列表）。"""
    path = Path(docs_dir) / GLOSSARY
    if not path.exists():
        return []
    section = path.read_text("utf-8").split("\n## 术语", 1)[-1].split("\n## ", 1)[0]
    terms = []
    for line in section.splitlines():
        match = _GLOSSARY_ROW.match(line)
        if match is None:
            continue
        target, _, anchor = match["link"].partition("#")
        src_uri = posixpath.normpath(posixpath.join(posixpath.dirname(GLOSSARY), target))
        terms.append(Term(_variants(match["zh"]), _variants(match["en"]), page_location(src_uri, anchor)))
    return terms


def _is_chinese_word(text: str) -> bool:
    return bool(re.fullmatch(r"[\u4e00-\u9fff]{2,}", text))


@event_priority(100)
def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """把术语表里的中文术语加进 jieba 的词典，让索引把每个术语当作一个词。"""
    try:
        import jieba
    except ImportError:  # 没装 jieba 时 Material 不给中文分词，词典也就用不上
        return config
    words = {word for term in glossary_terms(config.docs_dir) for word in term.chinese if _is_chinese_word(word)}
    for word in sorted(words):
        jieba.add_word(word)
    log.debug("jieba 词典加入术语表的 %d 个中文术语", len(words))
    return config


@event_priority(100)  # 先于 Material 的搜索插件
def _hide_code_from_search(context: dict[str, Any], *, page: Page, config: MkDocsConfig, nav: Any) -> None:
    setattr(page, _FULL_CONTENT, page.content)
    page.content = _NOTEBOOK_BUTTONS.sub("", _PRE_BLOCK.sub("", page.content or ""), count=1)


@event_priority(-100)  # 搜索插件建完索引之后，模板渲染之前
def _restore_code_after_search(context: dict[str, Any], *, page: Page, config: MkDocsConfig, nav: Any) -> None:
    full = page.__dict__.pop(_FULL_CONTENT, None)
    if full is not None:
        # 与搜索插件对正文做的处理相同：去掉只给索引看的 data-search-* 属性
        page.content = re.sub(r'\s?data-search-\w+="[^"]+"', "", full)


on_page_context = CombinedEvent(_hide_code_from_search, _restore_code_after_search)


def add_keywords(index: dict[str, Any], terms: list[Term]) -> list[Term]:
    """给每个术语首次出现的那一节加上 ``keywords`` 字段；返回页面在索引里、那一节却不在的术语（加在页面上）。

    页面本身不在索引里的术语跳过：``mkdocs serve --dirty`` 的索引只有重建过的页面。
    """
    docs = {doc["location"]: doc for doc in index["docs"]}
    missing = []
    for term in terms:
        doc = docs.get(term.location)
        if doc is None:
            doc = docs.get(term.location.split("#")[0])
            if doc is None:
                continue
            missing.append(term)
        words = doc.setdefault("keywords", [])
        words.extend(word for word in (*term.chinese, *term.english) if word not in words)
    for doc in docs.values():
        if "keywords" in doc:
            doc["keywords"] = "\u200b".join(doc["keywords"])  # 与正文一样用零宽空格分隔：一个术语一个词
    index["config"]["fields"]["keywords"] = {"boost": KEYWORDS_BOOST}
    return missing


def _dump(index: dict[str, Any]) -> str:
    return json.dumps(index, ensure_ascii=False, separators=(",", ":"))


def compact_search_index(path: Path, terms: list[Term] = (), *, on_demand: bool = False) -> tuple[int, int]:
    """给术语加上 ``keywords`` 字段，把搜索索引以 UTF-8、无多余空白的 JSON 写回，返回 ``(原字节数, 新字节数)``。

    ``on_demand=True`` 时文档写进同一目录的 ``search_docs.json``，``path`` 只留配置（新字节数是前者的）。
    """
    before = path.stat().st_size
    index = json.loads(path.read_text(encoding="utf-8"))
    material = "fields" in index["config"]  # 不是 Material 的搜索插件写的索引（例如 MkDocs 自带主题的）：只压缩
    on_demand = on_demand and material
    for term in add_keywords(index, list(terms)) if material else ():
        names = "、".join(term.chinese)
        log.warning("%s: 术语“%s”的首次出现 %s 在搜索索引里没有这一节", GLOSSARY, names, term.location)
    target = path.with_name(DOCS_FILE) if on_demand else path
    target.write_text(_dump(index), encoding="utf-8")
    if on_demand:
        path.write_text(_dump({**index, "docs": []}), encoding="utf-8")
    return before, target.stat().st_size


_WORKER = re.compile(r'("search":\s*"[^"]*?/workers/)(search\.[0-9a-f]+\.min\.js)"')


def use_search_worker(html: str) -> str:
    """页面配置里的搜索线程换成 ``search-zh.js``，网址里带上它要载入的 Material 搜索线程。

    Examples:
        >>> use_search_worker('"search": "../assets/javascripts/workers/search.a7633da7.min.js"')
        '"search": "../assets/javascripts/workers/search-zh.js?material=search.a7633da7.min.js"'
    """
    return _WORKER.sub(lambda match: f'{match[1]}{WORKER}?material={match[2]}"', html, count=1)


def on_post_page(output: str, *, page: Page, config: MkDocsConfig) -> str:
    return output if offline_build(config) else use_search_worker(output)


def on_post_template(output_content: str, *, template_name: str, config: MkDocsConfig) -> str:
    """404.html 这类主题模板不经过 ``on_post_page``。"""
    return output_content if offline_build(config) else use_search_worker(output_content)


@event_priority(-50)  # 在 Material 的搜索插件写出索引之后、offline 插件把它放进脚本之前
def on_post_build(*, config: MkDocsConfig) -> None:
    path = Path(config.site_dir) / "search" / "search_index.json"
    if path.exists():
        on_demand = not offline_build(config)
        before, after = compact_search_index(path, glossary_terms(config.docs_dir), on_demand=on_demand)
        if on_demand:  # 插件在构建结束时才写出的页面（全书打印页）不经过 on_post_page
            for html in Path(config.site_dir).rglob("*.html"):
                text = html.read_text("utf-8")
                if "/workers/search." in text and (changed := use_search_worker(text)) != text:
                    html.write_text(changed, "utf-8")
        where = f"（{DOCS_FILE}，读者搜索时才下载）" if on_demand else ""
        log.info("搜索索引 %d KB → %d KB%s", before // 1024, after // 1024, where)
