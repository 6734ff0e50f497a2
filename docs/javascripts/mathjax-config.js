// MathJax 3 for pymdownx.arithmatex (generic mode), served from this site
// (docs/javascripts/mathjax/: MathJax 3.2.2's tex-chtml.js and its fonts,
// Apache-2.0): nothing is fetched from a CDN.
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"]],
    displayMath: [["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true
  },
  options: {
    ignoreHtmlClass: ".*|",
    processHtmlClass: "arithmatex"
  },
  chtml: {
    fontURL: new URL("mathjax/output/chtml/fonts/woff-v2",
                     document.currentScript.src).href
  }
};
