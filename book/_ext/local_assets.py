"""Use locally vendored copies of Mermaid and MathJax when the build script fetched them.

`scripts/vendor_js.sh` unpacks the two JavaScript libraries from the npm registry into
`_static/vendor/`. When they are there, the built book draws its diagrams and formulas with
no internet connection (a classroom without network, a reader offline). When they are not,
the pages load the same libraries from their public CDNs, which works for any online reader.

It also switches progress bars off in the notebooks the build executes: the kernels the build
starts inherit its environment, and ``tutorial_lib.book.progress`` draws no bar when
``TQDM_DISABLE`` is set. A frozen tqdm widget would otherwise be embedded in the page, with
require.js and a widget script loaded from CDNs (``scripts/build_book.sh`` sets it too; this
covers a plain ``jupyter-book build``).
"""

import os
from pathlib import Path

VENDOR_DIR = "vendor/"
MERMAID_ENTRY = VENDOR_DIR + "mermaid/mermaid.esm.min.mjs"
MATHJAX_ENTRY = VENDOR_DIR + "mathjax/tex-chtml.js"


def _script_path(entry) -> str:
    return entry[0] if isinstance(entry, (tuple, list)) else entry


def _use_local_copies(app, config):
    static_dir = Path(app.srcdir) / "_static"
    if (static_dir / MERMAID_ENTRY).is_file():
        config.mermaid_use_local = MERMAID_ENTRY
    if (static_dir / MATHJAX_ENTRY).is_file():
        config.mathjax_path = MATHJAX_ENTRY
    # Jupyter Book adds every .js file under _static to every page. The vendored libraries
    # load their own parts (MathJax its extensions, on demand, after its core): as page
    # scripts they would load MathJax twice and its ~40 extensions before the core.
    config.html_js_files = [entry for entry in config.html_js_files if not _script_path(entry).startswith(VENDOR_DIR)]


def _drop_duplicate_scripts(app, pagename, templatename, context, doctree):
    """Keep one copy of each page script.

    sphinx-thebe and sphinx-togglebutton each add an inline script twice (once with the
    file name None, once with ""), which Sphinx does not see as the same script; the second
    ``const THEBE_JS_URL`` is a SyntaxError in every reader's console.
    """
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        attributes = getattr(script, "attributes", {}) or {}
        filename = getattr(script, "filename", script) or ""  # an inline script has None or ""
        key = (str(filename), tuple(sorted((k, str(v)) for k, v in attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def _no_progress_bars_in_executed_notebooks(app, config):
    os.environ["TQDM_DISABLE"] = "1"


def setup(app):
    app.connect("config-inited", _use_local_copies)
    app.connect("config-inited", _no_progress_bars_in_executed_notebooks)
    app.connect("html-page-context", _drop_duplicate_scripts, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
