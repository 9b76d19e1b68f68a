"""Every page of the built book, opened in headless Chromium at 1280 px, as a reader sees it.

Each page is one test. It fails, listing every offending element (the section it is in, a
selector and the measured widths) so that a chapter's author can find and fix it, when

- **something is wider than its box**: a code cell or printed output (``pre``), a cell's
  output, a display equation (``mjx-container[display]``, ``div.math``) whose content is
  wider than the box (``scrollWidth > clientWidth``: a scroll bar from ``_static/book.css``
  does not hide it). A *table* that scrolls inside its own box is accepted (the issue allows
  a scrolled wide table) and listed as a warning;
- **something sticks out past the right edge of the text column** (any visible element not
  clipped by a scrolling box);
- **a figure's text is smaller than the body text** on screen. The smallest text of each
  figure is read from its SVG (matplotlib writes each text as glyphs scaled by its font
  size); a figure wider than the column is shrunk by the browser, and its text with it. On
  screen that text is ``size_pt * 96 / 72 * (shown width / natural width)`` CSS px, and it
  must be at least ``MIN_FIGURE_TEXT_SHARE`` of the body's font size. With the book's style
  (12 pt, ``tutorial_lib.book.plotting``) and a 16 px body, a figure passes at 90 % of its
  natural size or more: a 6.5 in figure fits the ~680 px column whole, a 10 in one is
  shrunk to ~70 % and fails, and so does an 8 pt legend at any size;
- **MathJax left raw TeX** (``$$``, ``\\(``, ``\\[``, ``\\begin{``) in the visible text once
  ``MathJax.startup.promise`` has resolved, or TeX was written without ``$`` delimiters
  (``e^{-z}``, ``x_{i}`` in prose), or MathJax marked a formula as an error (``mjx-merror``);
- **a mermaid block did not become an SVG**;
- **an image of the site failed to load** (``naturalWidth == 0``; images from outside the
  site are failed by ``test_built_html.py``, the browser here has no internet);
- **the browser console has an error** (level SEVERE).

Chromium is Debian's package, driven by the system chromedriver (``scripts/setup_env.sh``
installs both); Selenium Manager never downloads anything (``SE_OFFLINE``). The pages are
served over HTTP from ``_build/html`` by a thread of this process.

Set ``BOOK_SCREENSHOT_DIR`` to a folder to save a screenshot of each page (the top
900 px, and the whole page as a second image when it is not too tall) for looking at.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import tempfile
import threading
import warnings
from pathlib import Path

import pytest

from tutorial_lib.book.plotting import MIN_FONT_SIZE_PT

ROOT = Path(__file__).resolve().parents[2]
WINDOW_WIDTH, WINDOW_HEIGHT = 1280, 900
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    f"--window-size={WINDOW_WIDTH},{WINDOW_HEIGHT}",
)
PAGE_LOAD_TIMEOUT_S = 30
RENDER_TIMEOUT_S = 20  # MathJax and mermaid together, per page
MIN_FIGURE_TEXT_SHARE = 0.9  # smallest figure text on screen, as a share of the body's size
TOLERANCE_PX = 1  # sub-pixel rounding of scrollWidth and bounding boxes
FULL_SCREENSHOT_MAX_HEIGHT = 16_000  # px; taller pages get only the top screenshot


# --------------------------------------------------------------------------------------
# The built book and a server for it
# --------------------------------------------------------------------------------------
def html_dir() -> Path:
    """``_build/html`` of the repository; fails the test with what to run when it is missing."""
    path = ROOT / "_build" / "html"
    if not (path / "index.html").is_file():
        pytest.fail(f"no built book in {path}: run `bash scripts/build_book.sh` first", pytrace=False)
    return path


def page_names() -> list[str]:
    """Every HTML page of the built book, relative to ``_build/html``; [] when not built."""
    root = ROOT / "_build" / "html"
    if not (root / "index.html").is_file():
        return []
    return sorted(
        path.relative_to(root).as_posix() for path in root.rglob("*.html")
        if path.relative_to(root).parts[0] not in ("_static", "_sources", "_images")
    )


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the signature http.server calls
        pass


@pytest.fixture(scope="module")
def site_url():
    handler = functools.partial(_QuietHandler, directory=str(html_dir()))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for all pages of this module, with its console log kept."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="pip install selenium (the test extra)")
    from selenium.webdriver.chrome.service import Service

    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.is_file()]
    if missing:
        pytest.fail(
            f"{' and '.join(missing)} not found: run `bash scripts/setup_env.sh` as root (it installs "
            "Debian's chromium and chromium-driver), or `sudo apt-get install chromium chromium-driver`",
            pytrace=False,
        )
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must not download a browser or driver
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    with tempfile.TemporaryDirectory(prefix="book-chromium-") as profile_dir:
        options.add_argument(f"--user-data-dir={profile_dir}")
        driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
        driver.set_page_load_timeout(PAGE_LOAD_TIMEOUT_S)
        driver.set_script_timeout(RENDER_TIMEOUT_S)
        try:
            inner_width = driver.execute_script("return window.innerWidth")
            if inner_width != WINDOW_WIDTH:  # headless counts no window frame, but make sure
                driver.set_window_size(2 * WINDOW_WIDTH - inner_width, WINDOW_HEIGHT)
            yield driver
        finally:
            driver.quit()


# --------------------------------------------------------------------------------------
# What runs in the page
# --------------------------------------------------------------------------------------
# Resolves when MathJax has typeset the page (or at once on a page without MathJax) and every
# mermaid block has had its chance to render.
WAIT_FOR_RENDERING_JS = r"""
const done = arguments[arguments.length - 1];
const timeoutMs = arguments[0];
const started = Date.now();
function mermaidSettled() {
  return [...document.querySelectorAll("pre.mermaid, div.mermaid")].every(
    (block) => block.querySelector("svg") || block.getAttribute("data-processed"));
}
function imagesSettled() {
  return [...document.images].every((image) => image.complete);
}
function waitForTheRest(mathjaxState) {
  if ((mermaidSettled() && imagesSettled()) || Date.now() - started > timeoutMs) {
    done(mathjaxState);
  } else {
    setTimeout(() => waitForTheRest(mathjaxState), 100);
  }
}
const mathjax = window.MathJax;
if (mathjax && mathjax.startup && mathjax.startup.promise) {
  mathjax.startup.promise.then(() => waitForTheRest("typeset"),
                               (error) => waitForTheRest("MathJax failed: " + error));
} else if (document.querySelector(".math, mjx-container")) {
  waitForTheRest("page has formulas but MathJax did not start");
} else {
  waitForTheRest("no formulas");
}
"""

# Returns a list of problems: {kind, where, what, detail}. Mirrors the checks listed in the
# module docstring; every number it reports is measured in the page.
INSPECT_PAGE_JS = r"""
const tolerance = arguments[0];
const problems = [];
const notes = [];
const article = document.querySelector("article.bd-article") || document.querySelector("main");
if (!article) { return {problems: [{kind: "no article", where: "", what: "", detail: ""}], notes}; }
const column = article.getBoundingClientRect();
const bodyText = article.querySelector("p") || article;
const bodyPx = parseFloat(getComputedStyle(bodyText).fontSize);

function where(element) {
  // The heading of the section the element is in, for a reader of the report.
  let node = element;
  while (node && node !== article) {
    if (node.tagName === "SECTION" && node.id) {
      const heading = node.querySelector("h1, h2, h3, h4");
      const title = heading ? heading.textContent.replace(/[#¶]/g, "").trim() : "";
      return "section #" + node.id + (title ? " (" + title.slice(0, 50) + ")" : "");
    }
    node = node.parentElement;
  }
  return "top of page";
}
function what(element) {
  let name = element.tagName.toLowerCase();
  if (element.id) { name += "#" + element.id; }
  const classes = [...element.classList].filter((c) => !c.startsWith("mjx")).slice(0, 3);
  if (classes.length) { name += "." + classes.join("."); }
  const cell = element.closest(".cell");
  if (cell && cell !== element) {
    const cells = [...article.querySelectorAll(".cell")];
    name = "code cell " + (cells.indexOf(cell) + 1) + " of the page > " + name;
  }
  const text = (element.innerText || element.getAttribute("alt") || "").trim().split("\n")[0];
  return name + (text ? ' "' + text.slice(0, 60) + '"' : "");
}
function visible(element) {
  const box = element.getBoundingClientRect();
  return box.width > 0 && box.height > 0 && getComputedStyle(element).visibility !== "hidden";
}
function clippedBy(element) {
  // The nearest ancestor inside the article that clips or scrolls horizontally, or null.
  for (let node = element.parentElement; node && node !== article; node = node.parentElement) {
    if (getComputedStyle(node).overflowX !== "visible") { return node; }
  }
  return null;
}
function isTableBox(element) {
  return element.tagName === "TABLE" || element.classList.contains("pst-scrollable-table-container")
    || (element.querySelector("table") && !element.querySelector("pre"));
}
// Margin notes and sidebars sit right of the column by design (sphinx-book-theme).
const skip = "mjx-assistive-mml, mjx-assistive-mml *, .headerlink, script, style, "
  + ".margin, .margin *, aside.sidebar, aside.sidebar *";

// 1. Content wider than its box.
const boxes = article.querySelectorAll(
  "pre, .cell_output, .output, table, .pst-scrollable-table-container, mjx-container[display='true'], div.math");
for (const box of boxes) {
  if (!visible(box)) { continue; }
  const excess = box.scrollWidth - box.clientWidth;
  if (excess > tolerance) {
    const record = {kind: "content wider than its box", where: where(box), what: what(box),
                    detail: "scrollWidth " + box.scrollWidth + " px > clientWidth " + box.clientWidth + " px"};
    if (isTableBox(box) && getComputedStyle(box).overflowX !== "visible") {
      record.kind = "wide table scrolls in its own box (accepted)";
      notes.push(record);
    } else {
      problems.push(record);
    }
  }
}

// 2. Anything sticking out past the column's right edge, unless a scrolling box clips it.
for (const element of article.querySelectorAll("*")) {
  if (element.matches(skip) || !visible(element)) { continue; }
  const box = element.getBoundingClientRect();
  if (box.right > column.right + tolerance && !clippedBy(element)) {
    problems.push({kind: "past the column's right edge", where: where(element), what: what(element),
                   detail: "right edge " + Math.round(box.right) + " px > column " + Math.round(column.right)
                           + " px (width " + Math.round(box.width) + " px)"});
  }
}

// 3. Images: loaded; figures (images in a cell's output) measured for their text size.
const figures = [];
for (const image of article.querySelectorAll("img")) {
  const src = image.getAttribute("src") || "";
  const fromThisSite = new URL(image.src, location.href).origin === location.origin;
  if (!fromThisSite) { continue; }
  if (image.naturalWidth === 0) {
    problems.push({kind: "image failed to load", where: where(image), what: what(image), detail: src});
    continue;
  }
  if (visible(image) && image.closest(".cell_output")) {
    figures.push({path: new URL(image.src, location.href).pathname, where: where(image), what: what(image),
                  shown: image.clientWidth, natural: image.naturalWidth});
  }
}

// 4. Formulas: MathJax errors and TeX left as text.
for (const error of article.querySelectorAll("mjx-merror")) {
  problems.push({kind: "MathJax error", where: where(error), what: what(error),
                 detail: error.getAttribute("data-mjx-error") || error.textContent.slice(0, 80)});
}
const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
// $$, \(, \[, \begin{ left by MathJax, or TeX written without delimiters (e^{-z}, x_{i}).
const rawTex = /\$\$|\\\(|\\\[|\\begin\{|[\^_]\{/;
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  const parent = node.parentElement;
  if (!parent || parent.closest("pre, code, script, style, textarea, mjx-container, .highlight")) { continue; }
  if (!visible(parent)) { continue; }
  const match = node.textContent.match(rawTex);
  if (match) {
    const start = Math.max(0, match.index - 20);
    problems.push({kind: "raw TeX on the page", where: where(parent), what: what(parent),
                   detail: JSON.stringify(node.textContent.slice(start, start + 80))});
  }
}

// 5. Mermaid blocks that did not become a diagram.
for (const block of document.querySelectorAll("pre.mermaid, div.mermaid")) {
  if (!block.querySelector("svg")) {
    problems.push({kind: "mermaid block not rendered", where: where(block), what: what(block),
                   detail: (block.textContent || "").trim().slice(0, 60)});
  }
}
return {problems, notes, figures, bodyPx, columnWidth: Math.round(column.width), innerWidth: window.innerWidth};
"""


def _console_errors(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]


def _save_screenshots(driver, name: str) -> None:
    folder = os.environ.get("BOOK_SCREENSHOT_DIR")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", name.removesuffix(".html"))
    driver.save_screenshot(str(Path(folder) / f"{stem}-top.png"))
    height = driver.execute_script("return document.documentElement.scrollHeight")
    if height <= FULL_SCREENSHOT_MAX_HEIGHT:
        driver.set_window_size(driver.get_window_size()["width"], height)
        driver.save_screenshot(str(Path(folder) / f"{stem}-full.png"))
        driver.set_window_size(driver.get_window_size()["width"], WINDOW_HEIGHT)


# matplotlib's SVG (svg.fonttype "path") draws each text as glyph paths in a group
# <g id="text_N">, scaled by font size / 100: scale(0.12 -0.12) is 12 pt text.
SVG_TEXT_GROUP_START = '<g id="text_'
SVG_GLYPH_SCALE = re.compile(r"scale\(([0-9.]+) -[0-9.]+\)")
MATPLOTLIB_FONT_SCALE = 100


def smallest_svg_text_pt(svg: str) -> float | None:
    """The smallest font size (pt) of the texts in a matplotlib SVG; None if it has no text.

    A text's size is the largest glyph scale in its group (a superscript in "10^3" is
    smaller by design and does not count).
    """
    sizes = []
    for chunk in svg.split(SVG_TEXT_GROUP_START)[1:]:
        group = chunk.split('<g id="', 1)[0]
        scales = [float(value) for value in SVG_GLYPH_SCALE.findall(group)]
        if scales:
            sizes.append(max(scales) * MATPLOTLIB_FONT_SCALE)
    return min(sizes) if sizes else None


def small_figure_text(figures: list[dict], body_px: float, site_root: Path | None) -> list[dict]:
    """Problems for the figures whose smallest text is shown smaller than the body text.

    On screen a text of ``size`` pt in a figure shown at ``shown`` of its ``natural`` CSS px is
    ``size * 96 / 72 * shown / natural`` px. The size is read from the SVG file; for other
    images (or an SVG without text) the book's smallest style size, ``MIN_FONT_SIZE_PT``, is
    assumed.
    """
    problems = []
    for figure in figures:
        size_pt, source = float(MIN_FONT_SIZE_PT), f"assumed {MIN_FONT_SIZE_PT} pt (book style)"
        file = site_root / figure["path"].lstrip("/") if site_root else None
        if file is not None and file.suffix == ".svg" and file.is_file():
            measured = smallest_svg_text_pt(file.read_text(encoding="utf-8"))
            if measured is not None:
                size_pt, source = measured, f"smallest text {measured:g} pt"
        scale = figure["shown"] / figure["natural"]
        on_screen_px = size_pt * 96 / 72 * scale
        if on_screen_px < MIN_FIGURE_TEXT_SHARE * body_px:
            problems.append({
                "kind": "figure text smaller than the body text", "where": figure["where"], "what": figure["what"],
                "detail": f"{source}, shown at {figure['shown']} of {figure['natural']} px ({scale:.0%}): "
                          f"{on_screen_px:.1f} px on screen, body text {body_px:g} px",
            })
    return problems


def inspect_page(driver, url: str, site_root: Path | None = None, render_timeout_s: float = RENDER_TIMEOUT_S - 1) -> dict:
    """Open ``url``, wait for formulas and diagrams, and return what the page check found.

    ``site_root`` is the folder the server serves (to read figure files from).
    """
    _console_errors(driver)  # drop what an earlier page logged
    driver.get(url)
    rendering = driver.execute_async_script(WAIT_FOR_RENDERING_JS, render_timeout_s * 1000)
    report = driver.execute_script(INSPECT_PAGE_JS, TOLERANCE_PX)
    report["problems"] += small_figure_text(report["figures"], report["bodyPx"], site_root)
    if rendering not in ("typeset", "no formulas"):
        report["problems"].append({"kind": "MathJax", "where": "", "what": "", "detail": rendering})
    report["problems"] += [
        {"kind": "console error", "where": "", "what": "", "detail": message} for message in _console_errors(driver)
    ]
    return report


def format_problems(page: str, problems: list[dict]) -> str:
    lines = [f"{page}: {len(problems)} problem(s) at {WINDOW_WIDTH} px"]
    for problem in problems:
        place = " | ".join(part for part in (problem["where"], problem["what"]) if part)
        lines.append(f"  [{problem['kind']}] {place}: {problem['detail']}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------
def test_the_book_was_built():
    html_dir()
    assert len(page_names()) >= 3


@pytest.mark.parametrize("page", page_names() or ["<no build>"])
def test_page_reads_well_at_1280_px(browser, site_url, page):
    if page == "<no build>":
        html_dir()  # fails with what to run
    report = inspect_page(browser, site_url + page, site_root=html_dir())
    _save_screenshots(browser, page)
    for note in report["notes"]:
        warnings.warn(f"{page}: {note['where']} | {note['what']}: {note['detail']}", UserWarning, stacklevel=1)
    assert report["innerWidth"] == WINDOW_WIDTH, f"the browser window is {report['innerWidth']} px wide"
    assert not report["problems"], format_problems(page, report["problems"])


# The page check itself, on a made-up page: it must catch each kind of problem it names.
BROKEN_PAGE = """<!doctype html><html><head><meta charset="utf-8">
<style>article { width: 600px; } pre { overflow-x: auto; }</style></head><body><main>
<article class="bd-article"><section id="s"><h2>A section</h2><p>Body text.</p>
<div class="cell"><div class="cell_input"><pre>{long_line}</pre></div>
<div class="cell_output"><img src="missing.png" alt="a missing figure">
<img src="wide.svg" alt="a wide figure" style="max-width: 100%"></div></div>
<p>Left as TeX: $$ x^2 $$</p><p>Written without delimiters: 1/(1+e^{-z})</p><div style="width: 900px">a wide div</div>
<pre class="mermaid">graph LR; a --> b</pre>
<script>console.error("an error in the console")</script>
</section></article></main></body></html>"""
WIDE_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="300">'
            '<rect width="1200" height="300" fill="grey"/></svg>')


def test_the_page_check_finds_each_kind_of_problem(browser, tmp_path):
    (tmp_path / "page.html").write_text(BROKEN_PAGE.replace("{long_line}", "x = 1  # " + "long " * 40))
    (tmp_path / "wide.svg").write_text(WIDE_SVG)
    handler = functools.partial(_QuietHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/page.html"
        report = inspect_page(browser, url, site_root=tmp_path, render_timeout_s=2)  # its mermaid never renders
    finally:
        server.shutdown()
        server.server_close()
    kinds = {problem["kind"] for problem in report["problems"]}
    assert kinds >= {
        "content wider than its box",
        "past the column's right edge",
        "image failed to load",
        "figure text smaller than the body text",
        "raw TeX on the page",
        "mermaid block not rendered",
        "console error",
    }, json.dumps(report["problems"], indent=1)
    raw_tex = [problem["detail"] for problem in report["problems"] if problem["kind"] == "raw TeX on the page"]
    assert any("$$" in detail for detail in raw_tex) and any("e^{-z}" in detail for detail in raw_tex), raw_tex
    message = format_problems("page.html", report["problems"])
    assert "section #s (A section)" in message and "scrollWidth" in message


def test_smallest_svg_text_is_read_from_matplotlib_glyph_scales():
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with matplotlib.rc_context({"svg.fonttype": "path", "font.size": 12}):
        fig, ax = plt.subplots()
        ax.plot([1, 10, 100], label="line")
        ax.set_yscale("log")  # tick labels 10^0 ... with smaller exponents
        ax.legend(fontsize=8)
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg")
        plt.close(fig)
    assert smallest_svg_text_pt(buffer.getvalue()) == pytest.approx(8)
    assert smallest_svg_text_pt("<svg></svg>") is None
