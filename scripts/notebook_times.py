"""Print how long each notebook took to execute in the last book build, and the total.

    .venv/bin/python scripts/notebook_times.py [BUILD_DIR]     (default: the book's _build)

The book build (scripts/build_book.sh) is the one place notebooks are executed. myst-nb
records each executed notebook in the Sphinx environment that the build pickles to
``BUILD_DIR/.doctrees/environment.pickle``: ``env.nb_metadata[docname]["exec_data"]`` holds
``runtime`` (seconds, kernel start included), ``succeeded`` and ``method``. The run profile
is read from the first output of each executed copy in ``BUILD_DIR/jupyter_execute``
(``Run profile: quick ...``, printed by ``tutorial_lib.start_notebook``).

A quick-profile notebook over the budget gets a note, not a failure: these machines are
noisy. The budget itself is guarded by the configs' sizes (tests/test_configs.py).

Exits with status 1 and a message when the build left no execution records. Needs the
book's environment (Sphinx and myst-nb) to read the pickle, so run it with .venv/bin/python.
"""

from __future__ import annotations

import dataclasses
import json
import pickle
import re
import sys
from pathlib import Path

USAGE = "python scripts/notebook_times.py [BUILD_DIR]   (default: _build)"
QUICK_PROFILE_BUDGET_S = 90
"""Seconds a notebook's quick profile may take on the 2-core CI machine (issue 8)."""

DEFAULT_BUILD_DIR = Path(__file__).resolve().parents[1] / "_build"
_PROFILE_LINE = re.compile(r"Run profile: (\w+)")


@dataclasses.dataclass(frozen=True)
class NotebookExecution:
    """One notebook's execution in a book build, as myst-nb recorded it."""

    docname: str  # e.g. "notebooks/03_logistic_regression"
    seconds: float | None  # None when myst-nb did not time it
    succeeded: bool
    method: str  # myst-nb's execution mode: "force", "cache", ...
    profile: str  # "quick", "full", or "?" when the executed copy does not say


class NoExecutionRecords(RuntimeError):
    """The build directory holds no record of executed notebooks."""


def read_exec_data(build_dir: Path) -> dict[str, dict]:
    """Return ``{docname: exec_data}`` from the build's pickled Sphinx environment.

    ``exec_data`` is myst-nb's ``ExecutionResult`` dict (``runtime``, ``succeeded``,
    ``method``, ``error``, ...). Raises :class:`NoExecutionRecords` when there is none.
    """
    pickle_path = Path(build_dir) / ".doctrees" / "environment.pickle"
    if not pickle_path.is_file():
        raise NoExecutionRecords(f"No book build found ({pickle_path} is missing): run scripts/build_book.sh first.")
    with pickle_path.open("rb") as handle:
        environment = pickle.load(handle)  # the build's own file, written by Sphinx
    nb_metadata = getattr(environment, "nb_metadata", {})
    records = {docname: data["exec_data"] for docname, data in nb_metadata.items() if data.get("exec_data")}
    if not records:
        raise NoExecutionRecords(
            f"{pickle_path} records no executed notebook: was the book built with "
            "execute_notebooks 'off' in _config.yml? Run scripts/build_book.sh."
        )
    return records


def profile_of_executed_copy(executed_path: Path) -> str:
    """The run profile named by the first output of an executed notebook, or ``"?"``."""
    if not executed_path.is_file():
        return "?"
    notebook = json.loads(executed_path.read_text(encoding="utf-8"))
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        for output in cell.get("outputs", []):
            text = output.get("text", "")
            match = _PROFILE_LINE.match("".join(text) if isinstance(text, list) else text)
            return match.group(1) if match else "?"
    return "?"


def notebook_executions(build_dir: Path) -> list[NotebookExecution]:
    """Every notebook the last build executed, in docname order (the chapters' reading order)."""
    build_dir = Path(build_dir)
    executions = []
    for docname, exec_data in sorted(read_exec_data(build_dir).items()):
        executed_path = build_dir / "jupyter_execute" / f"{docname}.ipynb"
        executions.append(
            NotebookExecution(
                docname=docname,
                seconds=exec_data.get("runtime"),
                succeeded=bool(exec_data.get("succeeded")),
                method=str(exec_data.get("method")),
                profile=profile_of_executed_copy(executed_path),
            )
        )
    return executions


def format_table(executions: list[NotebookExecution]) -> list[str]:
    """The time table's lines: one row per notebook, the total, then any budget notes."""
    total_label = f"total, {len(executions)} notebook{'s' if len(executions) != 1 else ''}"
    width = max(len("notebook"), len(total_label), *(len(e.docname) for e in executions))
    lines = [f"{'notebook':<{width}}  profile  seconds", "-" * (width + 18)]
    for execution in executions:
        seconds = "?" if execution.seconds is None else f"{execution.seconds:.1f}"
        status = "" if execution.succeeded else "  FAILED"
        lines.append(f"{execution.docname:<{width}}  {execution.profile:<7}  {seconds:>7}{status}")
    total = sum(e.seconds or 0.0 for e in executions)
    lines.append(f"{total_label:<{width}}  {'':<7}  {total:>7.1f}")
    for execution in executions:
        if execution.profile == "quick" and (execution.seconds or 0.0) > QUICK_PROFILE_BUDGET_S:
            lines.append(
                f"note: {execution.docname} took {execution.seconds:.0f} s, over the "
                f"{QUICK_PROFILE_BUDGET_S} s budget of a quick-profile notebook; shrink its "
                "config's QUICK sizes (tutorial_lib/config.py)"
            )
    return lines


def main(argv: list[str]) -> int:
    if len(argv) > 2 or (len(argv) == 2 and argv[1].startswith("-")):
        print(f"usage: {USAGE}", file=sys.stderr)
        return 2
    build_dir = Path(argv[1]) if len(argv) == 2 else DEFAULT_BUILD_DIR
    try:
        executions = notebook_executions(build_dir)
    except NoExecutionRecords as error:
        print(f"notebook times: {error}", file=sys.stderr)
        return 1
    print(f"notebook execution times (book build in {build_dir}):")
    print("\n".join(format_table(executions)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
