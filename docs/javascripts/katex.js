// 用网站自带的 KaTeX 渲染 pymdownx.arithmatex 标出的公式。
// Material 的即时导航不会重新加载整页，所以每次换页（document$ 发出新值）都要重新渲染。
document$.subscribe(({ body }) => {
  renderMathInElement(body, {
    delimiters: [
      { left: "$$", right: "$$", display: true },
      { left: "$", right: "$", display: false },
      { left: "\\(", right: "\\)", display: false },
      { left: "\\[", right: "\\]", display: true },
    ],
    ignoredClasses: ["highlight", "md-search"],
    throwOnError: false,
  });
});
