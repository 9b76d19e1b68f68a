import json
import sys
from pathlib import Path

import nbformat
import pytest

from tutorial_lib.book import colab

REPOSITORY = colab.Repository(url="https://github.com/example/book", branch="main")


def _write(tmp_path: Path, cells) -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = cells
    path = tmp_path / "notebooks" / "09_demo.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def test_sync_then_check_is_clean(tmp_path):
    path = _write(tmp_path, [nbformat.v4.new_markdown_cell("# Demo\n\nText."), nbformat.v4.new_code_cell("x = 1")])
    assert colab.check_notebook(path, REPOSITORY, tmp_path)  # drifted before sync
    assert colab.sync_notebook(path, REPOSITORY, tmp_path) is True
    assert colab.check_notebook(path, REPOSITORY, tmp_path) == []
    assert colab.sync_notebook(path, REPOSITORY, tmp_path) is False  # idempotent
    cells = json.loads(path.read_text())["cells"]
    assert "".join(cells[2]["source"]) == "x = 1"  # the chapter's own code is kept
    title = "".join(cells[0]["source"])
    assert title.startswith("# Demo\n\n[![Open In Colab]")
    assert "https://colab.research.google.com/github/example/book/blob/main/notebooks/09_demo.ipynb" in title


def test_check_reports_an_edited_setup_cell_and_stored_outputs(tmp_path):
    path = _write(tmp_path, [nbformat.v4.new_markdown_cell("# Demo")])
    colab.sync_notebook(path, REPOSITORY, tmp_path)
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[1].source += "\nprint('extra')"
    notebook.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi")]
    nbformat.write(notebook, path)
    problems = colab.check_notebook(path, REPOSITORY, tmp_path)
    assert any("set-up cell" in p for p in problems)
    assert any("stored outputs" in p for p in problems)


def test_sync_needs_a_markdown_title(tmp_path):
    path = _write(tmp_path, [nbformat.v4.new_code_cell("x = 1")])
    with pytest.raises(ValueError, match="markdown title"):
        colab.sync_notebook(path, REPOSITORY, tmp_path)


def test_repository_must_be_on_github():
    with pytest.raises(ValueError, match="must start with"):
        colab.Repository(url="https://gitlab.com/a/b", branch="main").github_path


def test_read_repository_reports_missing_config(tmp_path):
    with pytest.raises(FileNotFoundError, match="No _config.yml"):
        colab.read_repository(tmp_path)


def test_setup_cell_runs_outside_colab(monkeypatch, capsys):
    monkeypatch.setenv("TUTORIAL_PROFILE", "quick")
    namespace = {}
    exec(colab.setup_cell_source(REPOSITORY), namespace)  # must not try to pip install here
    assert namespace["context"].profile.name == "quick"
    assert "Run profile: quick" in capsys.readouterr().out


def test_setup_cell_without_the_package_says_how_to_install(monkeypatch):
    # Outside Colab with tutorial_lib missing (Kaggle, a downloaded notebook): one sentence
    # with the install command, not a bare ModuleNotFoundError.
    monkeypatch.setitem(sys.modules, "tutorial_lib", None)  # makes "import tutorial_lib" fail
    with pytest.raises(SystemExit) as stop:
        exec(colab.setup_cell_source(REPOSITORY), {})
    message = str(stop.value)
    assert "%pip install 'tutorial_lib @ git+https://github.com/example/book@main'" in message
    assert "restart the kernel" in message


def test_setup_cell_lines_fit_the_text_column():
    assert max(len(line) for line in colab.setup_cell_source(REPOSITORY).splitlines()) <= 80


def test_only_notebooks_that_need_a_gpu_ask_colab_for_one(tmp_path):
    path = _write(tmp_path, [nbformat.v4.new_markdown_cell("# Demo")])
    notebook = json.loads(path.read_text())
    notebook["metadata"]["accelerator"] = "GPU"
    path.write_text(json.dumps(notebook))
    assert any("GPU" in p for p in colab.check_notebook(path, REPOSITORY, tmp_path))
    colab.sync_notebook(path, REPOSITORY, tmp_path)
    assert "accelerator" not in json.loads(path.read_text())["metadata"]
    assert colab.check_notebook(path, REPOSITORY, tmp_path) == []

    notebook = json.loads(path.read_text())
    notebook["metadata"]["book"] = {"needs_gpu": True}
    path.write_text(json.dumps(notebook))
    colab.sync_notebook(path, REPOSITORY, tmp_path)
    metadata = json.loads(path.read_text())["metadata"]
    assert metadata["accelerator"] == "GPU"
    assert colab.check_notebook(path, REPOSITORY, tmp_path) == []


def test_setup_cell_folds_in_the_book(tmp_path):
    path = _write(tmp_path, [nbformat.v4.new_markdown_cell("# Demo")])
    colab.sync_notebook(path, REPOSITORY, tmp_path)
    setup = json.loads(path.read_text())["cells"][1]
    assert "hide-input" in setup["metadata"]["tags"]
