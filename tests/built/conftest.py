"""Fixtures for the tests of the built book (stage "built book" of scripts/run_tests.sh).

These tests read what one book build produced; they never execute a notebook themselves.
The build (scripts/build_book.sh) executes every notebook once and leaves:

- ``_build/html/<docname>.html``: the pages a reader sees;
- ``_build/jupyter_execute/<docname>.ipynb``: each notebook as it was executed;
- ``_build/.doctrees/environment.pickle``: myst-nb's execution records (read by
  scripts/notebook_times.py).

Every test here fails, with "run scripts/build_book.sh first", when the build is missing:
a check of the built book that silently skipped would pass a book nobody checked.
``pyproject.toml`` keeps this folder out of ``pytest tests`` (``norecursedirs``); run it
with ``pytest tests/built`` after a build.

Tests get the table of contents' pages by asking for an argument named ``notebook_docname``
(one test per notebook, e.g. ``"notebooks/03_logistic_regression"``) or ``page_docname``
(one test per page of the book, notebooks included); ``built_book`` gives the paths.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from pathlib import Path

import pytest
import yaml

BOOK_ROOT = Path(__file__).resolve().parents[2]
BUILD_DIR = BOOK_ROOT / "_build"


def _toc_entries(node) -> list[str]:
    """Every ``file:`` entry of a ``_toc.yml`` node, in reading order."""
    if isinstance(node, dict):
        entries = [node["file"]] if "file" in node else []
        for key, value in node.items():
            if key != "file":
                entries.extend(_toc_entries(value))
        return entries
    if isinstance(node, list):
        return [entry for value in node for entry in _toc_entries(value)]
    return []


def toc_pages() -> list[str]:
    """The docnames of every page in ``_toc.yml`` (root first), e.g. ``"book/preface"``."""
    toc = yaml.safe_load((BOOK_ROOT / "_toc.yml").read_text(encoding="utf-8"))
    return [toc["root"], *_toc_entries(toc)]


def toc_notebooks() -> list[str]:
    """The docnames of the pages in ``_toc.yml`` that are notebooks, in reading order."""
    return [docname for docname in toc_pages() if (BOOK_ROOT / f"{docname}.ipynb").is_file()]


def load_notebook_times():
    """scripts/notebook_times.py as a module: the one reader of myst-nb's execution records."""
    spec = importlib.util.spec_from_file_location("notebook_times", BOOK_ROOT / "scripts" / "notebook_times.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@dataclasses.dataclass(frozen=True)
class BuiltBook:
    """Where one book build put its outputs."""

    root: Path  # the repository root, holding _toc.yml and notebooks/
    build_dir: Path  # _build
    html_dir: Path  # _build/html
    executed_dir: Path  # _build/jupyter_execute
    exec_data: dict[str, dict]  # docname -> myst-nb's record of executing it

    def source_notebook(self, docname: str) -> Path:
        return self.root / f"{docname}.ipynb"

    def executed_notebook(self, docname: str) -> Path:
        return self.executed_dir / f"{docname}.ipynb"

    def html_page(self, docname: str) -> Path:
        return self.html_dir / f"{docname}.html"


def pytest_generate_tests(metafunc):
    # An empty list fails at collection (empty_parameter_set_mark in pyproject.toml).
    if "notebook_docname" in metafunc.fixturenames:
        metafunc.parametrize("notebook_docname", toc_notebooks())
    if "page_docname" in metafunc.fixturenames:
        metafunc.parametrize("page_docname", toc_pages())


@pytest.fixture(scope="session")
def book_notebooks() -> list[str]:
    """The docnames of the toc's notebooks, in reading order (see :func:`toc_notebooks`)."""
    return toc_notebooks()


@pytest.fixture(scope="session")
def notebook_times():
    """The module scripts/notebook_times.py (execution records and the time table)."""
    return load_notebook_times()


@pytest.fixture(scope="session", autouse=True)
def built_book(notebook_times) -> BuiltBook:
    """The last build's output folders; fails every test of this folder when they are missing."""
    html_dir = BUILD_DIR / "html"
    executed_dir = BUILD_DIR / "jupyter_execute"
    missing = [path for path in (html_dir / "index.html", executed_dir) if not path.exists()]
    if missing:
        pytest.fail(
            f"The built book is missing ({', '.join(str(p) for p in missing)}): "
            "run scripts/build_book.sh first.",
            pytrace=False,
        )
    try:
        exec_data = notebook_times.read_exec_data(BUILD_DIR)
    except notebook_times.NoExecutionRecords as error:
        pytest.fail(str(error), pytrace=False)
    return BuiltBook(
        root=BOOK_ROOT, build_dir=BUILD_DIR, html_dir=html_dir, executed_dir=executed_dir, exec_data=exec_data
    )
