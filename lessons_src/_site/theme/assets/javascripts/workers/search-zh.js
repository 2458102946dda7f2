/*
  搜索线程：包在 Material 的搜索线程外面，做两件事（lessons_src/_site/hooks/search.py 把页面配置里的
  搜索线程换成这个文件，并在网址里带上 Material 搜索线程的文件名）。

  1. 索引等读者真的搜索时才下载。页面启动时 Material 下载的 search/search_index.json 只有配置、没有文档，
     这里把它原样交给 Material，Material 很快回复“就绪”。读者第一次输入查询时，才下载完整的索引
     search/search_docs.json，交给 Material 重新建索引，建好后再回答这个查询（之间输入的只回答最后一个）。
     Material 第二次回复的“就绪”不转给页面：页面在第一次就绪后已经在用这个线程了。

  2. 中文查询按索引里的词切分。索引里的中文在构建时由 jieba 分好了词（术语表的术语是一个词）；Material
     在浏览器里用索引的词表切分查询，但它的算法从不让一个词延伸到一段汉字的最后一个字（“正态分布”被切成
     “正态”和“分”，“分*”又匹配到每一个“分类”“分数”），术语就搜不准了。这里先用同一份词表做最少词数的切分：
     每个词后面补一个词表里没有的汉字，Material 的算法就正好取出这个词；一个词既按原样加权匹配（^10），
     又照常作为前缀匹配（读者可能还没输入完）。最后一段汉字若只是某个词的开头，不补字，交给 Material。
     英文词同样既按原样加权匹配，又作为前缀匹配。
*/
(() => {
  const SETUP = 0, READY = 1, QUERY = 2
  const material = new URL(self.location.href).searchParams.get("material")
  const docsUrl = new URL("../../../search/search_docs.json", self.location.href)
  const han = /\p{sc=Han}+/gu

  let setup = null            // 页面发来的配置（不含文档）
  let loading = null          // 正在下载完整索引
  let words = null            // 索引的中文词表，下载之后才有
  let prefixes = null
  let sentinel = "〇"
  let pending = null          // 下载期间最后一个查询
  let swallowReady = false
  let forwarding = false

  const forward = data => {
    forwarding = true
    try {
      self.dispatchEvent(new MessageEvent("message", { data }))
    } finally {
      forwarding = false
    }
  }

  const post = self.postMessage.bind(self)
  self.postMessage = message => {
    if (message && message.type === READY && swallowReady) {
      swallowReady = false
      loaded()
      return
    }
    post(message)
  }

  function vocabulary(index) {
    const separator = new RegExp(index.config.separator, "g")
    words = new Set()
    for (const doc of index.docs)
      for (const field of [doc.title, doc.text, doc.keywords])
        if (field)
          for (const token of field.split(separator))
            for (const run of token.match(han) || []) words.add(run)
    prefixes = new Set()
    for (const word of words)
      for (let end = 1; end < word.length; end++) prefixes.add(word.slice(0, end))
    for (const candidate of "〇々㐀")
      if (!words.has(candidate) && !prefixes.has(candidate)) { sentinel = candidate; break }
  }

  // 最少词数的切分：词表里的词算 1，词表里没有的单个汉字算 2；最后一段可以是某个词的开头
  function segment(run, last) {
    const best = [{ cost: 0, pieces: [] }]
    for (let i = 0; i < run.length; i++) {
      if (!best[i]) continue
      for (let j = i + 1; j <= run.length; j++) {
        const piece = run.slice(i, j)
        const whole = words.has(piece)
        let cost
        if (whole) cost = 1
        else if (last && j === run.length && prefixes.has(piece)) cost = 1
        else if (j === i + 1) cost = 2
        else continue
        const total = best[i].cost + cost
        if (!best[j] || total < best[j].cost)
          best[j] = { cost: total, pieces: [...best[i].pieces, { piece, whole }] }
      }
    }
    return best[run.length].pieces
  }

  function rewrite(query) {
    const runs = [...query.matchAll(han)]
    let result = "", at = 0
    runs.forEach((match, number) => {
      const last = number === runs.length - 1 && match.index + match[0].length === query.trimEnd().length
      const pieces = segment(match[0], last).map(({ piece, whole }) =>
        whole ? `${piece}${sentinel}^10 ${piece}${sentinel}` : piece)
      const before = query.slice(at, match.index)
      result += before + (/(^|[\s+-])$/.test(before) ? "" : " ") + pieces.join(" ") + " "  // “ReLU函数”→ ReLU 函数
      at = match.index + match[0].length
    })
    result = (result + query.slice(at)).replace(/\s+/g, " ").trim()
    // 英文词也一样：原样的词加权匹配，同时照常作为前缀匹配（“norm”先找 norm，再找 normalization）
    return result.replace(/(^| )([A-Za-z][A-Za-z0-9]*)(?= |$)/g, "$1$2^10 $2")
  }

  function loaded() {
    const query = pending
    pending = null
    if (query !== null) forward({ type: QUERY, data: rewrite(query) })
  }

  function load() {
    loading = fetch(docsUrl)
      .then(response => response.json())
      .then(index => {
        vocabulary(index)
        swallowReady = true
        forward({ type: SETUP, data: { ...setup, ...index } })
      })
      .catch(error => {
        console.warn("搜索索引下载失败：", error)
        loading = null
      })
  }

  self.addEventListener("message", event => {
    if (forwarding) return                          // 转给 Material 的消息
    event.stopImmediatePropagation()
    const message = event.data
    if (message.type === SETUP) {
      setup = message.data
      if (setup.docs && setup.docs.length) vocabulary(setup)   // 页面给的已经是完整索引
      forward(message)
    } else if (message.type === QUERY && words) {
      forward({ type: QUERY, data: rewrite(message.data) })
    } else if (message.type === QUERY && message.data.trim()) {
      pending = message.data
      if (!loading) load()
    } else {
      forward(message)
    }
  })

  importScripts(material)
})()
