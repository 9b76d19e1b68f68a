"""Checks of the built book's HTML and executed notebooks (run after the book build).

What a static page must not hold, because a reader would see it broken:

- frozen Jupyter widgets (a tqdm progress bar executed at build time): their state, the
  widget views, and the require.js / widget-manager scripts they load from CDNs;
- scripts or stylesheets from outside the site: the book renders offline (Mermaid and MathJax
  are vendored into ``_static/vendor`` by ``scripts/vendor_js.sh`` and loaded from there by
  ``book/_ext/local_assets.py``; today's pages load nothing else from outside, so nothing
  outside is allowed. sphinx-thebe's inline script names thebe's CDN address as a string,
  fetched only when a reader starts live code, which this book does not enable);
- images that are not files of the site, or whose file is missing;
- printed lines wider than the text column (read from the executed notebooks in
  ``_build/jupyter_execute``), and figures that are not SVG (the book's figure style,
  ``tutorial_lib.book.plotting.use_book_figure_style``, makes every figure SVG).

Build the book first (``scripts/build_book.sh``); these tests fail when there is no build.
"""

from __future__ import annotations

import json
import unicodedata
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAX_OUTPUT_LINE = 80  # columns of monospaced text the column shows at 1280 px

WIDGET_MARKERS = (
    "application/vnd.jupyter.widget-state",
    "application/vnd.jupyter.widget-view",
    "widget-view",
    "embed-amd",
    "require.min.js",
)


# --------------------------------------------------------------------------------------
# Finding the build (small helpers, no fixtures: tests/built/conftest.py may add its own)
# --------------------------------------------------------------------------------------
def html_dir() -> Path:
    """``_build/html`` of the repository; fails the test with what to run when it is missing."""
    path = ROOT / "_build" / "html"
    if not (path / "index.html").is_file():
        pytest.fail(f"no built book in {path}: run `bash scripts/build_book.sh` first", pytrace=False)
    return path


def html_pages() -> list[Path]:
    """Every HTML page of the built book (not the copied static files or sources)."""
    root = html_dir()
    return sorted(
        path for path in root.rglob("*.html")
        if path.relative_to(root).parts[0] not in ("_static", "_sources", "_images")
    )


def executed_notebooks() -> list[Path]:
    """The notebooks as the build executed them (``_build/jupyter_execute``)."""
    html_dir()
    notebooks = sorted((ROOT / "_build" / "jupyter_execute").rglob("*.ipynb"))
    if not notebooks:
        pytest.fail("no executed notebooks in _build/jupyter_execute: was the book built?", pytrace=False)
    return notebooks


def display_width(line: str) -> int:
    """Columns ``line`` takes in a monospaced font: a Chinese (wide) character takes two."""
    return sum(2 if unicodedata.east_asian_width(char) in ("W", "F") else 1 for char in line)


def is_outside_the_site(url: str) -> bool:
    """True for an absolute URL (``https://...``, ``//host/...``); ``data:`` URLs are inside."""
    parts = urlsplit(url)
    return bool(parts.netloc) or parts.scheme not in ("", "data")


class _Resources(HTMLParser):
    """Collects the scripts, stylesheets and images one page loads."""

    def __init__(self):
        super().__init__()
        self.scripts, self.stylesheets, self.images, self.module_imports = [], [], [], []
        self._in_module_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            if attributes.get("src"):
                self.scripts.append(attributes["src"])
            self._in_module_script = attributes.get("type") == "module"
        elif tag == "link" and "stylesheet" in (attributes.get("rel") or "").split():
            self.stylesheets.append(attributes.get("href", ""))
        elif tag == "img":
            self.images.append(attributes.get("src", ""))

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_module_script = False

    def handle_data(self, data):
        if self._in_module_script:
            for line in data.splitlines():
                line = line.strip()
                if line.startswith("import ") and " from " in line:
                    self.module_imports.append(line.split(" from ", 1)[1].strip(" ;\"'"))


def page_resources(page: Path) -> _Resources:
    parser = _Resources()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def _name(page: Path) -> str:
    return page.relative_to(html_dir()).as_posix()


# --------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------
def test_the_book_has_pages():
    assert len(html_pages()) >= 3


def widget_markers_in(html: str) -> list[str]:
    """The traces of embedded Jupyter widgets in a page's HTML."""
    return [marker for marker in WIDGET_MARKERS if marker in html]


def test_no_page_embeds_jupyter_widgets():
    offending = []
    for page in html_pages():
        found = widget_markers_in(page.read_text(encoding="utf-8"))
        if found:
            offending.append(f"{_name(page)}: {', '.join(found)}")
    assert not offending, (
        "pages embed frozen Jupyter widgets (a progress bar executed at build time?):\n  " + "\n  ".join(offending)
    )


def test_no_page_loads_a_script_or_stylesheet_from_outside_the_site():
    offending = []
    for page in html_pages():
        resources = page_resources(page)
        for kind, urls in (("script", resources.scripts), ("module import", resources.module_imports),
                           ("stylesheet", resources.stylesheets)):
            offending += [f"{_name(page)}: {kind} {url}" for url in urls if is_outside_the_site(url)]
    assert not offending, (
        "pages load files from outside the site, which an offline reader cannot get (vendor them into "
        "_static/vendor with scripts/vendor_js.sh and load them in book/_ext/local_assets.py):\n  "
        + "\n  ".join(offending)
    )


def test_every_image_is_a_file_of_the_site_that_exists():
    outside, missing = [], []
    for page in html_pages():
        for src in page_resources(page).images:
            if src.startswith("data:"):
                continue
            if is_outside_the_site(src):
                outside.append(f"{_name(page)}: {src}")
                continue
            target = (page.parent / unquote(urlsplit(src).path)).resolve()
            if not target.is_file():
                missing.append(f"{_name(page)}: {src}")
    report = []
    if missing:
        report.append("images whose file is missing from the build:\n  " + "\n  ".join(missing))
    if outside:
        report.append(
            "images from outside the site (broken for an offline reader; use a copy under _static):\n  "
            + "\n  ".join(sorted(set(outside)))
        )
    assert not report, "\n".join(report)


def _output_text_lines(output: dict):
    """The plain-text lines of one output a page shows as text."""
    if output.get("output_type") == "stream":
        text = output.get("text", "")
    elif output.get("output_type") in ("execute_result", "display_data"):
        data = output.get("data", {})
        # A page shows the richest form: HTML tables and images are checked in the browser.
        if any(key in data for key in ("text/html", "image/svg+xml", "image/png", "text/markdown", "text/latex")):
            return []
        text = data.get("text/plain", "")
    elif output.get("output_type") == "error":
        text = "\n".join(output.get("traceback", []))
    else:
        return []
    text = "".join(text) if isinstance(text, list) else text
    return text.splitlines()


def test_printed_lines_fit_the_column():
    offending = []
    for notebook_path in executed_notebooks():
        notebook = json.loads(notebook_path.read_text(encoding="utf-8"))
        for index, cell in enumerate(notebook["cells"]):
            for output_number, output in enumerate(cell.get("outputs", []), start=1):
                for line_number, line in enumerate(_output_text_lines(output), start=1):
                    width = display_width(line.rstrip())
                    if width > MAX_OUTPUT_LINE:
                        offending.append(
                            f"{notebook_path.name} cell {index} (id {cell.get('id', '?')}) output {output_number} "
                            f"line {line_number}: {width} columns: {line.strip()[:40]}..."
                        )
    assert not offending, (
        f"printed lines wider than {MAX_OUTPUT_LINE} columns (wrap them in the code that prints them):\n  "
        + "\n  ".join(offending)
    )


def test_figures_are_svg():
    offending = []
    for notebook_path in executed_notebooks():
        notebook = json.loads(notebook_path.read_text(encoding="utf-8"))
        for index, cell in enumerate(notebook["cells"]):
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                if "image/png" in data and "image/svg+xml" not in data:
                    offending.append(f"{notebook_path.name} cell {index} (id {cell.get('id', '?')})")
    assert not offending, (
        "figures drawn as PNG: call tutorial_lib.start_notebook() first (it sets the book's SVG figure "
        "style):\n  " + "\n  ".join(offending)
    )


# The helpers above, on made-up input: each must catch what it is meant to catch.
def test_widget_markers_are_found():
    # What chapter 3's page held before the fix: a frozen tqdm bar and its loaders.
    frozen_bar = (
        '<script src="https://cdnjs.cloudflare.com/ajax/libs/require.js/2.3.4/require.min.js"></script>'
        '<script src="https://cdn.jsdelivr.net/npm/@jupyter-widgets/html-manager@^1.0.1/dist/embed-amd.js"></script>'
        '<script type="application/vnd.jupyter.widget-state+json">{}</script>'
        '<script type="application/vnd.jupyter.widget-view+json">{"model_id": "a1"}</script>'
    )
    assert set(widget_markers_in(frozen_bar)) == set(WIDGET_MARKERS)
    assert widget_markers_in("<p>a page with no widget</p>") == []


def test_url_classification():
    assert is_outside_the_site("https://cdn.example.org/require.min.js")
    assert is_outside_the_site("//cdn.example.org/x.js")
    assert not is_outside_the_site("../_static/vendor/mathjax/tex-chtml.js?v=1")
    assert not is_outside_the_site("data:image/png;base64,AAAA")


def test_resource_parser_finds_scripts_imports_styles_and_images():
    parser = _Resources()
    parser.feed(
        '<script src="https://cdn.example.org/require.min.js"></script>'
        '<script type="module">import mermaid from "https://cdn.example.org/mermaid.mjs";</script>'
        '<link rel="stylesheet" href="https://fonts.example.org/a.css"><img src="../_images/a.svg">'
    )
    assert parser.scripts == ["https://cdn.example.org/require.min.js"]
    assert parser.module_imports == ["https://cdn.example.org/mermaid.mjs"]
    assert parser.stylesheets == ["https://fonts.example.org/a.css"]
    assert parser.images == ["../_images/a.svg"]


def test_output_lines_come_from_streams_and_plain_results():
    stream = {"output_type": "stream", "name": "stdout", "text": ["a\n", "b" * 90 + "\n"]}
    assert [len(line) for line in _output_text_lines(stream)] == [1, 90]
    table = {"output_type": "execute_result", "data": {"text/html": "<table/>", "text/plain": "x" * 99}}
    assert _output_text_lines(table) == []
    assert display_width("推荐") == 4
