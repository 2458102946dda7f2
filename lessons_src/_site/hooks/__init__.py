"""MkDocs 构建钩子，一个关注点一个文件（在 ``mkdocs.yml`` 的 ``hooks`` 中按顺序登记）：

- :mod:`.execution`：构建时执行每一个课程页面，核对输出，插入图，指出出错的代码块；
- :mod:`.notebooks`：每页生成可下载的 Jupyter 笔记本，docs/ 中的笔记本页面带着执行结果渲染；
- :mod:`.chinese`：删去段落中汉字之间的换行；
- :mod:`.search`：代码块不进搜索索引，索引以 UTF-8 紧凑写出。

各钩子共用的页面信息在 :mod:`lessons_src._site.registry` 中。
"""
