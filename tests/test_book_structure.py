"""The book's configuration, table of contents, notebooks and environment files agree."""

import json
import re
from pathlib import Path

import pytest
import tomllib
import yaml
from packaging.requirements import Requirement

from tutorial_lib.book import colab

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _toc_files(node):
    if isinstance(node, dict):
        if "file" in node:
            yield node["file"]
        for value in node.values():
            yield from _toc_files(value)
    elif isinstance(node, list):
        for value in node:
            yield from _toc_files(value)


@pytest.fixture(scope="module")
def book_config():
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def toc():
    return yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found in notebooks/"


def test_notebooks_are_numbered_in_reading_order_and_all_in_the_toc(toc):
    listed = [f for f in _toc_files(toc) if f.startswith("notebooks/")]
    on_disk = [f"notebooks/{path.stem}" for path in NOTEBOOKS]
    assert listed == on_disk, "notebooks/ and _toc.yml disagree (order or membership)"
    numbers = [int(re.match(r"(\d\d)_", path.name).group(1)) for path in NOTEBOOKS]
    # Strictly increasing from 1; a branch may lack a chapter that another branch writes.
    assert numbers[0] == 1 and all(a < b for a, b in zip(numbers, numbers[1:]))


def test_every_toc_entry_exists(toc):
    for entry in [toc["root"], *_toc_files(toc)]:
        candidates = [ROOT / f"{entry}{suffix}" for suffix in (".md", ".ipynb")]
        assert any(path.is_file() for path in candidates), f"_toc.yml names {entry}, which does not exist"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_first_cell_badge_and_no_outputs(notebook):
    repository = colab.read_repository(ROOT)
    problems = colab.check_notebook(notebook, repository, ROOT)
    assert not problems, "\n".join(problems) + "\nFix with: python -m tutorial_lib.book.colab sync notebooks/*.ipynb"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_uses_the_python3_kernel(notebook):
    metadata = json.loads(notebook.read_text(encoding="utf-8"))["metadata"]
    assert metadata["kernelspec"]["name"] == "python3"


def test_setup_cell_installs_from_the_configured_repository(book_config):
    source = colab.setup_cell_source(colab.read_repository(ROOT))
    package_line = source[source.index("PACKAGE = (") : source.index('if "google.colab"')]
    namespace = {}
    exec(package_line, namespace)
    assert namespace["PACKAGE"] == (
        f"tutorial_lib @ git+{book_config['repository']['url']}@{book_config['repository']['branch']}"
    )
    assert '"google.colab" in sys.modules' in source
    assert "tutorial_lib.start_notebook()" in source


def test_launch_buttons_and_strict_execution(book_config):
    assert book_config["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    assert book_config["html"]["use_download_button"] is True
    execute = book_config["execute"]
    assert execute["execute_notebooks"] in {"force", "cache"}
    assert execute["allow_errors"] is False, "a cell that raises must fail the build"
    assert execute["stderr_output"] in {"warn", "error", "severe"}, "stderr (missing glyphs) must fail the build"
    assert "sphinxcontrib.mermaid" in book_config["sphinx"]["extra_extensions"]


def test_build_script_treats_warnings_as_errors():
    script = (ROOT / "scripts" / "build_book.sh").read_text(encoding="utf-8")
    assert re.search(r"jupyter-book build \. -W -n --keep-going", script)


def test_repository_url_is_written_once():
    url = colab.read_repository(ROOT).url
    tracked = [ROOT / "pyproject.toml", *(ROOT / "tutorial_lib").rglob("*.py"), *(ROOT / "scripts").glob("*")]
    for path in tracked:
        assert url not in path.read_text(encoding="utf-8"), f"{path.name} repeats the repository URL; read it from _config.yml"


def _requirements_from_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        names.extend(extra)
    return {Requirement(r).name.lower(): str(Requirement(r).specifier) for r in names}


def _requirements_from_environment():
    environment = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip_section = next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict))
    requirements = [line for line in pip_section if not line.startswith("-e")]
    return {Requirement(r).name.lower(): str(Requirement(r).specifier) for r in requirements}


def test_environment_yml_lists_the_same_packages_as_pyproject():
    assert _requirements_from_environment() == _requirements_from_pyproject()


def test_constraints_pin_every_direct_dependency():
    pins = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            requirement = Requirement(line)
            pins[requirement.name.lower().replace("_", "-")] = requirement
    for name, specifier in _requirements_from_pyproject().items():
        key = name.replace("_", "-")
        assert key in pins, f"constraints.txt has no pin for {name}"
        pinned_version = next(iter(pins[key].specifier)).version
        assert Requirement(f"{name}{specifier}").specifier.contains(pinned_version, prereleases=True), (
            f"constraints.txt pins {name}=={pinned_version}, outside pyproject's {specifier}"
        )
