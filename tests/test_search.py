"""搜索钩子（lessons_src/_site/hooks/search.py）：术语表读成术语、jieba 词典、keywords 字段、按需下载的索引。

浏览器里的效果（术语表的每一行都搜得到、索引在读者搜索时才下载）在 tests/test_site.py。
"""

import json

import jieba
import pytest

from lessons_src._site.hooks import search

GLOSSARY = """# 术语表

## 术语

| 中文 | 英文 | 首次出现 | 说明 |
| --- | --- | --- | --- |
| 对数求和指数 | log-sum-exp | [softmax 回归](../linear-networks/softmax-regression.md#数值稳定) | 说明。 |
| 汇聚层（池化层） | pooling layer | [汇聚层](../cnn/pooling.md) | 说明。 |
| 修正线性单元 | rectified linear unit (ReLU) | [激活函数](../mlp/activation-functions.md#relu) | 说明。 |
| 先验 / 似然 / 后验 | prior / likelihood / posterior | [概率](../preliminaries/probability.md#贝叶斯) | 说明。 |
| 主页 | home | [前言](../index.md) | 说明。 |

## 符号表

| 记号 | 含义 |
| --- | --- |
| $\\mathbf{x}$ | 向量 |
"""


@pytest.fixture
def docs_dir(tmp_path):
    (tmp_path / "appendix").mkdir()
    (tmp_path / "appendix" / "glossary.md").write_text(GLOSSARY, "utf-8")
    return tmp_path


def test_glossary_rows_become_terms_with_their_first_appearance(docs_dir):
    terms = search.glossary_terms(docs_dir)
    assert [term.location for term in terms] == [
        "linear-networks/softmax-regression/#数值稳定",
        "cnn/pooling/",
        "mlp/activation-functions/#relu",
        "preliminaries/probability/#贝叶斯",
        "",
    ]
    assert terms[1].chinese == ("汇聚层", "池化层")  # 括号里的别名也是术语
    assert terms[2].english == ("rectified linear unit", "ReLU")
    assert terms[3].chinese == ("先验", "似然", "后验")


def test_no_glossary_means_no_terms(tmp_path):
    assert search.glossary_terms(tmp_path) == []


def test_glossary_terms_are_single_words_for_jieba(docs_dir):
    assert "对数求和指数" not in jieba.lcut("对数求和指数", HMM=False)  # 通用词典把它切开
    search.on_config(type("Config", (), {"docs_dir": str(docs_dir)})())
    assert jieba.lcut("用对数求和指数避免溢出") == ["用", "对数求和指数", "避免", "溢出"]
    jieba.del_word("对数求和指数")


def _index(*locations):
    return {
        "config": {"lang": ["zh"], "fields": {"title": {"boost": 1000.0}, "text": {"boost": 1.0}}},
        "docs": [{"location": location, "title": "标题", "text": "正文"} for location in locations],
    }


def test_keywords_go_to_the_section_that_explains_the_term(docs_dir):
    index = _index("mlp/activation-functions/", "mlp/activation-functions/#relu", "cnn/pooling/")
    missing = search.add_keywords(index, search.glossary_terms(docs_dir))
    docs = {doc["location"]: doc for doc in index["docs"]}
    assert docs["mlp/activation-functions/#relu"]["keywords"].split("\u200b") == [
        "修正线性单元", "rectified linear unit", "ReLU"
    ]
    assert docs["cnn/pooling/"]["keywords"] == "汇聚层\u200b池化层\u200bpooling layer"
    assert "keywords" not in docs["mlp/activation-functions/"]
    assert index["config"]["fields"]["keywords"] == {"boost": search.KEYWORDS_BOOST}
    assert missing == []  # softmax 回归、概率两页不在索引里（mkdocs serve --dirty 只重建一部分页面）：跳过


def test_a_missing_section_falls_back_to_its_page_and_is_reported(docs_dir):
    index = _index("linear-networks/softmax-regression/")
    missing = search.add_keywords(index, search.glossary_terms(docs_dir))
    assert [term.chinese for term in missing] == [("对数求和指数",)]
    assert index["docs"][0]["keywords"] == "对数求和指数\u200blog-sum-exp"


def test_on_demand_index_keeps_only_the_configuration_at_page_start(tmp_path, docs_dir):
    path = tmp_path / "search_index.json"
    path.write_text(json.dumps(_index("cnn/pooling/", "cnn/pooling/#最大汇聚层"), indent=4), "utf-8")
    before, after = search.compact_search_index(path, search.glossary_terms(docs_dir), on_demand=True)
    start = json.loads(path.read_text("utf-8"))
    full = json.loads((tmp_path / search.DOCS_FILE).read_text("utf-8"))
    assert start["docs"] == [] and start["config"] == full["config"]
    assert [doc["location"] for doc in full["docs"]] == ["cnn/pooling/", "cnn/pooling/#最大汇聚层"]
    assert after == (tmp_path / search.DOCS_FILE).stat().st_size < before
    assert "\\u" not in (tmp_path / search.DOCS_FILE).read_text("utf-8")


def test_without_on_demand_the_index_stays_in_one_file(tmp_path):
    path = tmp_path / "search_index.json"
    path.write_text(json.dumps(_index("cnn/pooling/")), "utf-8")
    search.compact_search_index(path)
    assert len(json.loads(path.read_text("utf-8"))["docs"]) == 1
    assert not (tmp_path / search.DOCS_FILE).exists()


def test_pages_use_the_wrapping_search_worker():
    html = '<script id="__config">{"search": "/assets/javascripts/workers/search.a7633da7.min.js"}</script>'
    assert search.use_search_worker(html) == (
        '<script id="__config">{"search": "/assets/javascripts/workers/search-zh.js?material=search.a7633da7.min.js"}'
        "</script>"
    )
    assert search.use_search_worker("<p>没有配置</p>") == "<p>没有配置</p>"


def test_notebook_buttons_and_code_stay_out_of_the_index():
    page = type("Page", (), {})()
    page.content = (
        '<h1>标题</h1><p><a class="md-button lesson-notebook" download="a.ipynb" href="a.ipynb">下载本页</a></p>'
        "<p>正文</p><pre><code>x = 1</code></pre>"
    )
    search._hide_code_from_search({}, page=page, config=None, nav=None)
    assert page.content == "<h1>标题</h1><p>正文</p>"
    search._restore_code_after_search({}, page=page, config=None, nav=None)
    assert "lesson-notebook" in page.content and "<pre>" in page.content


def test_an_index_from_another_search_plugin_is_only_compacted(tmp_path, docs_dir):
    path = tmp_path / "search_index.json"
    path.write_text(json.dumps({"config": {"lang": ["en"]}, "docs": [{"location": "cnn/pooling/", "text": "x"}]}))
    search.compact_search_index(path, search.glossary_terms(docs_dir), on_demand=True)
    assert json.loads(path.read_text("utf-8"))["docs"] == [{"location": "cnn/pooling/", "text": "x"}]
    assert not (tmp_path / search.DOCS_FILE).exists()
