"""Every line a reader sees in a chapter fits the book's text column at 1280 px.

The theme shows about 80 characters of code per line at that width; a longer line is cut off
or scrolls (see _static/book.css), and a reader of the printed page loses it. These checks
read the notebooks' source, so they run without building the book. Printed output is checked
after the build (tests/built/test_built_html.py and the browser test).
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PAGES = sorted((ROOT / "book").glob("*.md"))

MAX_CODE_LINE = 80
# A row of TeX this long renders wider than the column (about 100 characters of plain TeX
# is already one column of symbols). Split it into rows with \begin{aligned} ... \\.
MAX_EQUATION_ROW = 100

DISPLAY_MATH = re.compile(
    r"\$\$(?P<dollars>.+?)\$\$"
    r"|```\{math\}[^\n]*\n(?P<fence>.*?)```"
    r"|\\begin\{(?P<env>equation|align|gather|multline)\*?\}(?P<body>.*?)\\end\{(?P=env)\*?\}",
    re.DOTALL,
)
ROW_BREAK = re.compile(r"\\\\(?:\[[^\]]*\])?")


def display_width(line: str) -> int:
    """Columns ``line`` takes in a monospaced font: a Chinese (wide) character takes two."""
    return sum(2 if unicodedata.east_asian_width(char) in ("W", "F") else 1 for char in line)


def _cells(path: Path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for index, cell in enumerate(notebook["cells"]):
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        yield index, cell.get("id", "?"), cell["cell_type"], source


def long_code_lines(path: Path, limit: int = MAX_CODE_LINE) -> list[str]:
    """Describe every code-cell line of the notebook at ``path`` wider than ``limit`` columns."""
    problems = []
    for index, cell_id, cell_type, source in _cells(path):
        if cell_type != "code":
            continue
        for line_number, line in enumerate(source.splitlines(), start=1):
            width = display_width(line)
            if width > limit:
                problems.append(
                    f"{path.name} cell {index} (id {cell_id}) line {line_number}: "
                    f"{width} columns > {limit}: {line.strip()[:50]}..."
                )
    return problems


def too_long_equation_rows(text: str, limit: int = MAX_EQUATION_ROW) -> list[str]:
    """The rows of display equations in Markdown ``text`` longer than ``limit`` characters.

    A display equation is ``$$ ... $$``, a ``{math}`` fence or an amsmath environment; its
    rows are the pieces between ``\\\\`` (inside ``aligned``, ``split``, ``align`` ...).
    Each row is measured with runs of white space collapsed to one.
    """
    rows = []
    for match in DISPLAY_MATH.finditer(text):
        tex = next(group for group in (match["dollars"], match["fence"], match["body"]) if group is not None)
        for row in ROW_BREAK.split(tex):
            row = " ".join(row.split())
            if len(row) > limit:
                rows.append(row)
    return rows


def _markdown_sources():
    for path in NOTEBOOKS:
        for index, cell_id, cell_type, source in _cells(path):
            if cell_type == "markdown":
                yield f"{path.name} cell {index} (id {cell_id})", source
    for path in PAGES:
        yield f"book/{path.name}", path.read_text(encoding="utf-8")


def test_there_are_notebooks_to_check():
    assert NOTEBOOKS, "no notebooks found under notebooks/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_code_lines_fit_the_column(path):
    problems = long_code_lines(path)
    assert not problems, "code lines wider than the text column:\n" + "\n".join(problems)


@pytest.mark.parametrize("where, source", [pytest.param(where, source, id=where) for where, source in _markdown_sources()])
def test_display_equations_are_split_into_short_rows(where, source):
    rows = too_long_equation_rows(source)
    report = [f"{where}: {len(row)} characters of TeX in one row: {row[:70]}..." for row in rows]
    assert not report, (
        f"display equations wider than the column (split them with \\begin{{aligned}} ... \\\\):\n" + "\n".join(report)
    )


# The checks themselves, on made-up input: each must fail on what it is meant to catch.
def test_long_code_line_is_reported(tmp_path):
    notebook = {"cells": [{"id": "a1", "cell_type": "code", "source": ["x = 1\n", "y = " + "1 + " * 30 + "1\n"]}]}
    path = tmp_path / "n.ipynb"
    path.write_text(json.dumps(notebook))
    (problem,) = long_code_lines(path)
    assert problem.startswith("n.ipynb cell 0 (id a1) line 2: 125 columns > 80")


def test_chinese_characters_count_double():
    assert display_width("ab") == 2 and display_width("评分") == 4 and display_width("（") == 2


def test_equation_checker_splits_rows_and_knows_the_forms():
    long_sum = " + ".join(f"w_{{{i}}} x_{{{i}}}" for i in range(12))  # 143 characters
    assert too_long_equation_rows(f"text $$ {long_sum} $$ more") == [long_sum]
    assert too_long_equation_rows(f"```{{math}}\n{long_sum}\n```") == [long_sum]
    assert too_long_equation_rows(f"\\begin{{align}} {long_sum} \\end{{align}}") == [long_sum]
    half = " + ".join(f"w_{{{i}}} x_{{{i}}}" for i in range(5))
    split = f"$$\\begin{{aligned}} z &= {half} \\\\ &\\quad + {half} \\end{{aligned}}$$"
    assert too_long_equation_rows(split) == []
    assert too_long_equation_rows("inline $x$ and $$y = 1$$") == []
