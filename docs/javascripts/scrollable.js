// 在窄屏上横向滚动的长公式和代码要能用键盘滚动：只给真的放不下、出现了滚动条的元素加上 tabindex。
// Material 的即时导航换页时不重新加载页面，所以每次换页（document$ 发出新值）都检查一次。
document$.subscribe(() => {
  for (const element of document.querySelectorAll(".md-typeset .arithmatex, .jupyter-wrapper .highlight-ipynb")) {
    if (element.scrollWidth > element.clientWidth && !element.hasAttribute("tabindex")) {
      element.tabIndex = 0;
      element.setAttribute("role", "region");
      element.setAttribute("aria-label", element.classList.contains("arithmatex") ? "公式（可横向滚动）" : "代码（可横向滚动）");
    }
  }
});
