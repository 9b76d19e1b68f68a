"""Each notebook in the table of contents, as the book build executed it.

The build is the only place notebooks run (see scripts/run_tests.sh); these checks read its
executed copies in ``_build/jupyter_execute`` instead of running the notebooks again.
"""

from __future__ import annotations

import json

RUN_PROFILE_PREFIX = "Run profile:"  # the first line tutorial_lib.start_notebook prints


def _code_cells(notebook: dict) -> list[dict]:
    return [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else value


def _first_line(value) -> str:
    return _text(value).splitlines()[0] if _text(value) else ""


def execution_problems(executed: dict) -> list[str]:
    """What is wrong with an executed notebook: cells that did not run, errors, stderr."""
    problems = []
    code_cells = _code_cells(executed)
    if not code_cells:
        return ["it has no code cell"]
    for position, cell in enumerate(code_cells, start=1):
        label = f"code cell {position} of {len(code_cells)}"
        if not _text(cell["source"]).strip():
            problems.append(f"{label} is empty (the kernel skips it): delete it")
        elif cell.get("execution_count") != position:
            problems.append(
                f"{label} has execution_count {cell.get('execution_count')}, expected {position}: "
                "every code cell runs once, top to bottom"
            )
        for output in cell.get("outputs", []):
            if output["output_type"] == "error":
                problems.append(f"{label} raised {output.get('ename')}: {output.get('evalue')}")
            elif output["output_type"] == "stream" and output.get("name") == "stderr":
                problems.append(f"{label} wrote to stderr: {_first_line(output.get('text', ''))!r}")
    first_outputs = code_cells[0].get("outputs", [])
    first_text = _text(first_outputs[0].get("text", "")) if first_outputs else ""
    if not first_text.startswith(RUN_PROFILE_PREFIX):
        problems.append(
            f"the first output is {_first_line(first_text)!r}, not the line starting "
            f"{RUN_PROFILE_PREFIX!r} that tutorial_lib.start_notebook() prints in the set-up cell"
        )
    return problems


def stored_output_problems(source: dict) -> list[str]:
    """What a notebook under notebooks/ stores that git should not: outputs, execution counts."""
    problems = []
    for position, cell in enumerate(_code_cells(source), start=1):
        if cell.get("outputs"):
            problems.append(f"code cell {position} stores outputs")
        if cell.get("execution_count") is not None:
            problems.append(f"code cell {position} stores execution_count {cell['execution_count']}")
    return problems


def test_executed_copy_ran_cleanly_and_source_is_clean(built_book, notebook_docname):
    source_path = built_book.source_notebook(notebook_docname)
    executed_path = built_book.executed_notebook(notebook_docname)
    assert executed_path.is_file(), (
        f"the build left no executed copy {executed_path}: rebuild with scripts/build_book.sh"
    )
    record = built_book.exec_data.get(notebook_docname)
    assert record is not None, f"the build has no execution record of {notebook_docname}"
    assert record["succeeded"], f"executing {notebook_docname} failed in the build: {record.get('error')}"
    source_is_newer = source_path.stat().st_mtime > executed_path.stat().st_mtime
    assert not source_is_newer, (
        f"{source_path.name} changed after the build executed it: rebuild with scripts/build_book.sh"
    )

    executed = json.loads(executed_path.read_text(encoding="utf-8"))
    problems = execution_problems(executed)
    problems += [
        f"{problem} in notebooks/; clear outputs before committing"
        for problem in stored_output_problems(json.loads(source_path.read_text(encoding="utf-8")))
    ]
    assert not problems, f"{notebook_docname}:\n  " + "\n  ".join(problems)


# The checks above must be able to fail: each broken notebook below is caught.
def _notebook(*code_cells: dict) -> dict:
    return {"cells": [{"cell_type": "markdown", "source": "# Title"}, *code_cells]}


def _cell(source: str, execution_count, *outputs: dict) -> dict:
    return {"cell_type": "code", "source": source, "execution_count": execution_count, "outputs": list(outputs)}


def _stdout(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": text}


SETUP_OUTPUT = _stdout("Run profile: quick (small sizes); device: cpu; seed: 1\n")


def test_execution_problems_accepts_a_clean_run():
    assert execution_problems(_notebook(_cell("setup()", 1, SETUP_OUTPUT), _cell("x = 1", 2))) == []


def test_execution_problems_finds_each_defect():
    broken = _notebook(
        _cell("setup()", 1, _stdout("hello\n")),
        _cell("a = 1", None),
        _cell("b = 1", 4),
        _cell("   ", None),
        _cell("1 / 0", 5, {"output_type": "error", "ename": "ZeroDivisionError", "evalue": "division by zero"}),
        _cell("warn()", 6, {"output_type": "stream", "name": "stderr", "text": ["Glyph missing\n"]}),
    )
    problems = execution_problems(broken)
    expected_fragments = [
        "code cell 2 of 6 has execution_count None, expected 2",
        "code cell 3 of 6 has execution_count 4, expected 3",
        "code cell 4 of 6 is empty",
        "code cell 5 of 6 raised ZeroDivisionError: division by zero",
        "code cell 6 of 6 wrote to stderr: 'Glyph missing'",
        "the first output is 'hello'",
    ]
    for fragment in expected_fragments:
        assert any(fragment in problem for problem in problems), (fragment, problems)
    assert len(problems) == len(expected_fragments), problems


def test_stored_output_problems_finds_outputs_and_counts():
    assert stored_output_problems(_notebook(_cell("x = 1", None))) == []
    problems = stored_output_problems(_notebook(_cell("x = 1", 3, _stdout("1\n"))))
    assert problems == ["code cell 1 stores outputs", "code cell 1 stores execution_count 3"]


def test_time_table_lists_every_notebook_of_the_toc(built_book, book_notebooks, notebook_times):
    executions = notebook_times.notebook_executions(built_book.build_dir)
    timed = [execution.docname for execution in executions if execution.seconds is not None]
    missing = [docname for docname in book_notebooks if docname not in timed]
    assert not missing, f"the build recorded no execution time for {missing}"
    rows = notebook_times.format_table(executions)
    assert [row.split()[0] for row in rows[2 : 2 + len(book_notebooks)]] == book_notebooks


def test_time_table_notes_a_quick_notebook_over_budget(notebook_times):
    budget = notebook_times.QUICK_PROFILE_BUDGET_S
    executions = [
        notebook_times.NotebookExecution("notebooks/01_fast", budget - 1.0, True, "force", "quick"),
        notebook_times.NotebookExecution("notebooks/02_slow", budget + 1.0, True, "force", "quick"),
        notebook_times.NotebookExecution("notebooks/03_full", budget + 1.0, True, "force", "full"),
    ]
    lines = notebook_times.format_table(executions)
    notes = [line for line in lines if line.startswith("note:")]
    assert len(notes) == 1 and "notebooks/02_slow" in notes[0], lines
    assert any(line.startswith("total, 3 notebooks") and line.endswith(f"{3 * budget + 1.0:.1f}") for line in lines)
