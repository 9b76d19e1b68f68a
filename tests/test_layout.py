"""The package layout: every module is in the README's diagram, and torch stays in models/."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "tutorial_lib"
# Modules allowed to import PyTorch at module level (everything else imports it lazily, if at
# all, so that `import tutorial_lib` and the data code work without loading torch).
TORCH_MODULES: set[str] = set()
TORCH_SUBPACKAGES = {"models", "training"}


def _modules() -> list[str]:
    """Dotted names below tutorial_lib, e.g. ``data.splits``, without ``__init__``."""
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).with_suffix("")
        if relative.name == "__init__" or relative.name.startswith("_"):
            continue
        names.append(".".join(relative.parts))
    return names


def _readme_layout_diagram() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Layout", 1)
    assert len(section) == 2, "README.md has no '## Layout' section"
    match = re.search(r"```mermaid\n(.*?)```", section[1], flags=re.S)
    assert match, "the README's Layout section has no mermaid diagram"
    return match.group(1)


@pytest.mark.parametrize("module", _modules())
def test_every_module_is_in_the_readme_diagram(module):
    diagram = _readme_layout_diagram()
    leaf = module.split(".")[-1]
    assert re.search(rf"\b{re.escape(leaf)}\b", diagram), (
        f"tutorial_lib.{module} is missing from the mermaid diagram in README.md's Layout section"
    )


def test_the_diagram_names_no_module_that_does_not_exist():
    diagram = _readme_layout_diagram()
    # Nodes are written like  data_splits["splits"]  inside subgraphs named after packages.
    named = set(re.findall(r'\["([a-z_]+)(?:\.py)?"\]', diagram))
    existing = {module.split(".")[-1] for module in _modules()}
    packages = {path.name for path in PACKAGE.iterdir() if (path / "__init__.py").is_file()}
    unknown = named - existing - packages - {"notebooks", "tests", "tutorial_lib"}
    assert not unknown, f"README.md's diagram names modules that do not exist: {sorted(unknown)}"


def _imports_torch_at_module_level(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Import) and any(alias.name.split(".")[0] == "torch" for alias in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "torch":
            return True
    return False


def test_only_models_and_training_import_torch():
    offenders = []
    for module in _modules():
        parts = module.split(".")
        if parts[0] in TORCH_SUBPACKAGES or module in TORCH_MODULES:
            continue
        path = PACKAGE.joinpath(*parts).with_suffix(".py")
        if _imports_torch_at_module_level(path):
            offenders.append(module)
    assert not offenders, f"these modules import torch at module level; only models/ and training may: {offenders}"


def test_no_flat_module_names_are_left():
    old = ["downloads", "datasets", "splits", "text", "features", "logistic", "mlp", "similarity",
           "metrics", "runtime", "colab", "plotting"]
    pattern = re.compile(r"tutorial_lib\.(" + "|".join(old) + r")\b")
    sources = [*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("tests/**/*.py"), *ROOT.glob("book/*.md"),
               *PACKAGE.rglob("*.py"), ROOT / "README.md"]
    stale = [f"{path.relative_to(ROOT)}: {match.group(0)}" for path in sources
             for match in pattern.finditer(path.read_text(encoding="utf-8"))]
    assert not stale, "old flat module paths are still used:\n" + "\n".join(stale)
