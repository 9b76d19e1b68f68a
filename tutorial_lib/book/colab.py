"""The set-up cell every chapter notebook starts with, and the checks that keep it right.

A notebook opened alone on Google Colab has nothing installed: its first code cell installs
``tutorial_lib`` from the book's repository, then picks the run profile. Elsewhere (a laptop
after the README's set-up, CI) the install is skipped. Every notebook carries the same cell,
so it is generated here from the repository address in ``_config.yml`` (the one place that
address is written) and checked by the tests.

Command line, from the repository root::

    python -m tutorial_lib.book.colab check notebooks/*.ipynb   # report notebooks that drifted
    python -m tutorial_lib.book.colab sync notebooks/*.ipynb    # rewrite their first cell and badge
"""

from __future__ import annotations

import argparse
import json
import posixpath
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

# The badge is the book's own copy (no image from another site: the built book works offline
# and loads nothing from elsewhere); the path is relative to the book's root.
COLAB_BADGE_IMAGE = "_static/colab-badge.svg"
SETUP_CELL_TAG = "book-setup"
# A notebook that needs a GPU says so in its metadata: {"book": {"needs_gpu": true}}. Only
# those ask Colab for one (metadata "accelerator": "GPU"); the others open on a CPU runtime.
GPU_METADATA_KEY = "book"


def needs_gpu(notebook: dict) -> bool:
    """Whether a notebook (parsed JSON) declares ``metadata.book.needs_gpu``."""
    return bool(notebook.get("metadata", {}).get(GPU_METADATA_KEY, {}).get("needs_gpu", False))


@dataclass(frozen=True)
class Repository:
    """Where the book's source lives: ``url`` like ``https://github.com/owner/name``."""

    url: str
    branch: str

    @property
    def github_path(self) -> str:
        """``owner/name`` part of a GitHub URL."""
        prefix = "https://github.com/"
        if not self.url.startswith(prefix):
            raise ValueError(f"repository url must start with {prefix!r}, got {self.url!r}.")
        return self.url[len(prefix) :].strip("/")


def read_repository(book_root: str | Path = ".") -> Repository:
    """Read ``repository.url`` and ``repository.branch`` from the book's ``_config.yml``."""
    config_path = Path(book_root) / "_config.yml"
    if not config_path.is_file():
        raise FileNotFoundError(f"No _config.yml in {Path(book_root).resolve()}: pass the book's root folder.")
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    section = config.get("repository") or {}
    if "url" not in section:
        raise ValueError(f"{config_path} has no repository.url entry.")
    return Repository(url=str(section["url"]).rstrip("/"), branch=str(section.get("branch", "main")))


def setup_cell_source(repository: Repository) -> str:
    """The source of the first code cell of every notebook.

    On Colab it installs ``tutorial_lib``; anywhere else without the package (Kaggle, a
    downloaded notebook in a local Jupyter) it stops with one sentence saying how to install
    it, instead of a bare ``ModuleNotFoundError``. Every line fits the book's text column.
    """
    prefix = "https://github.com/"
    return (
        "# Set-up: on Colab, install the book's package tutorial_lib (about a\n"
        "# minute); elsewhere the README's set-up has installed it. Then pick\n"
        "# the run profile and seed every random generator.\n"
        "import subprocess\n"
        "import sys\n"
        "\n"
        "PACKAGE = (\n"
        f'    "tutorial_lib @ git+{prefix}"\n'
        f'    "{repository.github_path}@{repository.branch}"\n'
        ")\n"
        'if "google.colab" in sys.modules:\n'
        "    subprocess.run(\n"
        '        [sys.executable, "-m", "pip", "install", "--quiet", PACKAGE],\n'
        "        check=True,\n"
        "    )\n"
        "try:\n"
        "    import tutorial_lib\n"
        "except ModuleNotFoundError:\n"
        "    raise SystemExit(\n"
        "        \"This notebook needs the book's package: run \"\n"
        "        f\"%pip install '{PACKAGE}' in a cell, then restart the kernel.\"\n"
        "    ) from None\n"
        "\n"
        "context = tutorial_lib.start_notebook()"
    )


def colab_url(repository: Repository, notebook_path: str) -> str:
    """The address that opens ``notebook_path`` (relative to the repository root) on Colab."""
    return (
        f"https://colab.research.google.com/github/{repository.github_path}"
        f"/blob/{repository.branch}/{notebook_path}"
    )


def badge_markdown(repository: Repository, notebook_path: str) -> str:
    """Markdown for the 'Open in Colab' badge of one notebook (image path relative to it)."""
    image = posixpath.relpath(COLAB_BADGE_IMAGE, posixpath.dirname(notebook_path) or ".")
    return f"[![Open In Colab]({image})]({colab_url(repository, notebook_path)})"


def _cell_source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def check_notebook(path: str | Path, repository: Repository, book_root: str | Path = ".") -> list[str]:
    """Return the problems with one notebook's set-up cell and badge (empty list: all good).

    Checks that the first code cell is exactly :func:`setup_cell_source`, that the first
    cell is markdown holding this notebook's Colab badge, and that no outputs are stored
    (the book executes notebooks itself).
    """
    path = Path(path)
    relative = path.resolve().relative_to(Path(book_root).resolve()).as_posix()
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cells = notebook.get("cells", [])
    problems = []
    code_cells = [cell for cell in cells if cell.get("cell_type") == "code"]
    if not code_cells:
        problems.append(f"{relative}: has no code cell")
    elif _cell_source(code_cells[0]) != setup_cell_source(repository):
        problems.append(f"{relative}: first code cell is not the book's set-up cell")
    if not cells or cells[0].get("cell_type") != "markdown":
        problems.append(f"{relative}: first cell must be the markdown title with the Colab badge")
    elif badge_markdown(repository, relative) not in _cell_source(cells[0]):
        problems.append(f"{relative}: first markdown cell lacks the badge {badge_markdown(repository, relative)}")
    if code_cells and "hide-input" not in code_cells[0].get("metadata", {}).get("tags", []):
        problems.append(f"{relative}: the set-up cell must carry the hide-input tag (it folds in the book)")
    asks_for_gpu = notebook.get("metadata", {}).get("accelerator") == "GPU"
    if asks_for_gpu != needs_gpu(notebook):
        problems.append(
            f"{relative}: metadata asks Colab for a GPU ({asks_for_gpu}) but book.needs_gpu is {needs_gpu(notebook)}"
        )
    stored = [i for i, cell in enumerate(cells) if cell.get("cell_type") == "code" and cell.get("outputs")]
    if stored:
        problems.append(f"{relative}: cells {stored} have stored outputs; clear them before committing")
    return problems


def sync_notebook(path: str | Path, repository: Repository, book_root: str | Path = ".") -> bool:
    """Rewrite one notebook's set-up cell, badge and GPU request to the canonical ones.

    The first code cell is replaced (or inserted after the title when the notebook has
    none tagged ``book-setup``), and the badge is put on the line after the title.
    Returns True when the file changed.
    """
    path = Path(path)
    relative = path.resolve().relative_to(Path(book_root).resolve()).as_posix()
    original = path.read_text(encoding="utf-8")
    notebook = json.loads(original)
    cells = notebook["cells"]
    if not cells or cells[0].get("cell_type") != "markdown":
        raise ValueError(f"{relative}: the first cell must be a markdown title; add one, then sync.")

    # Title line, a blank line, the badge, a blank line, then the rest of the cell.
    badge_file = posixpath.basename(COLAB_BADGE_IMAGE)
    lines = [line for line in _cell_source(cells[0]).splitlines() if badge_file not in line]
    title, rest = lines[0], lines[1:]
    while rest and rest[0].strip() == "":
        rest = rest[1:]
    new_lines = [title, "", badge_markdown(repository, relative)] + ([""] + rest if rest else [])
    cells[0]["source"] = "\n".join(_squeeze_blank_lines(new_lines))

    setup_cell = {
        "cell_type": "code",
        "execution_count": None,
        "id": "book-setup",
        "metadata": {"tags": [SETUP_CELL_TAG, "hide-input"]},
        "outputs": [],
        "source": setup_cell_source(repository),
    }
    first_code = next((i for i, cell in enumerate(cells) if cell.get("cell_type") == "code"), None)
    if first_code is not None and SETUP_CELL_TAG in cells[first_code].get("metadata", {}).get("tags", []):
        cells[first_code] = setup_cell
    else:
        cells.insert(1, setup_cell)

    metadata = notebook.setdefault("metadata", {})
    if needs_gpu(notebook):
        metadata["accelerator"] = "GPU"
        metadata.setdefault("colab", {})["gpuType"] = "T4"
    else:
        metadata.pop("accelerator", None)
        metadata.get("colab", {}).pop("gpuType", None)

    updated = json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
    if updated != original:
        path.write_text(updated, encoding="utf-8")
        return True
    return False


def _squeeze_blank_lines(lines: list[str]) -> list[str]:
    squeezed: list[str] = []
    for line in lines:
        if line == "" and squeezed and squeezed[-1] == "":
            continue
        squeezed.append(line)
    return squeezed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["check", "sync"])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--book-root", type=Path, default=Path("."))
    args = parser.parse_args(argv)
    repository = read_repository(args.book_root)
    if args.action == "sync":
        for path in args.notebooks:
            if sync_notebook(path, repository, args.book_root):
                print(f"updated {path}")
        return 0
    problems = [p for path in args.notebooks for p in check_notebook(path, repository, args.book_root)]
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
