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
# Display equations: the raw length of the TeX says little (``\frac`` stacks, ``\operatorname``
# is one word), so each row's width is estimated in symbol widths (equation_width). Measured
# on the book's 13 display equations at 1280 px: rows estimated above 54 overflow the column
# or fill it to the last pixel, rows below fit. The browser test measures the exact width;
# this check catches the obvious cases before a build. Split a long row with
# \begin{aligned} ... \\.
MAX_EQUATION_WIDTH = 54

DISPLAY_MATH = re.compile(
    r"\$\$(?P<dollars>.+?)\$\$"
    r"|```\{math\}[^\n]*\n(?P<fence>.*?)```"
    r"|\\begin\{(?P<env>equation|align|gather|multline)\*?\}(?P<body>.*?)\\end\{(?P=env)\*?\}",
    re.DOTALL,
)
ROW_BREAK = re.compile(r"\\\\(?:\[[^\]]*\])?")

# How wide the pieces of a TeX row are drawn, in widths of a typical symbol.
SPACING_WIDTHS = {",": 0.2, ":": 0.25, ";": 0.3, "!": -0.2, "quad": 1.0, "qquad": 2.0}
WORD_COMMANDS = {"ln", "log", "exp", "sin", "cos", "tan", "det", "arg", "sup", "inf", "Pr"}
# Big operators: in a display, their ^ and _ are stacked above and below, not beside.
BIG_OPERATOR_WIDTHS = {"sum": 1.4, "prod": 1.4, "coprod": 1.4, "lim": 3, "max": 3, "min": 3}
ONE_ARGUMENT_COMMANDS = {
    "mathrm", "mathbf", "mathit", "mathsf", "mathcal", "mathbb", "boldsymbol", "operatorname",
    "text", "textrm", "hat", "bar", "tilde", "vec", "widehat", "overline", "underline", "sqrt",
}
FRACTIONS = {"frac", "dfrac", "tfrac"}
NOT_DRAWN = {"left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr",
             "displaystyle", "textstyle", "limits", "nolimits"}
SPACED_COMMANDS = {"ne", "le", "ge", "leq", "geq", "approx", "equiv", "in", "times", "cdot", "pm", "to", "mid"}
SPACED_CHARACTERS = set("=+-<>")
SCRIPT_SCALE = 0.7
OPERATOR_SPACE = 0.5  # relations and binary operators get space on both sides
COMMAND = re.compile(r"\\([A-Za-z]+|.)")


def _group(tex: str, start: int) -> tuple[str, int]:
    """The ``{...}`` group (or single token) at ``tex[start]``, and the index after it."""
    while start < len(tex) and tex[start] == " ":
        start += 1
    if start >= len(tex):
        return "", start
    if tex[start] == "{":
        depth = 0
        for end in range(start, len(tex)):
            depth += {"{": 1, "}": -1}.get(tex[end], 0)
            if depth == 0:
                return tex[start + 1 : end], end + 1
        return tex[start + 1 :], len(tex)
    command = COMMAND.match(tex, start)
    if command:
        return command.group(0), command.end()
    return tex[start], start + 1


def equation_width(tex: str) -> float:
    """Rough drawn width of one row of display TeX, in widths of a typical symbol.

    A command counts as what it draws (``\\alpha`` 1, ``\\ln`` 2, ``\\left`` 0), spaces in
    the TeX count nothing, a fraction its wider part, a script 0.7 of its content (beyond the
    operator's own width under ``\\sum`` and ``\\prod``, where it is stacked), and relations
    and operators also the space around them.
    """
    total, position = 0.0, 0
    after_big_operator = None
    while position < len(tex):
        char = tex[position]
        if char in "^_":
            script, position = _group(tex, position + 1)
            script_width = SCRIPT_SCALE * equation_width(script)
            if after_big_operator is None:
                total += script_width
            else:
                total += max(0.0, script_width - BIG_OPERATOR_WIDTHS[after_big_operator])
            continue
        after_big_operator = None
        if char in " \n\t{}&":
            position += 1
            continue
        if char != "\\":
            total += 1 + (OPERATOR_SPACE if char in SPACED_CHARACTERS else 0)
            position += 1
            continue
        command = COMMAND.match(tex, position)
        name, position = command.group(1), command.end()
        if name in BIG_OPERATOR_WIDTHS:
            total += BIG_OPERATOR_WIDTHS[name]
            after_big_operator = name
        elif name in SPACING_WIDTHS:
            total += SPACING_WIDTHS[name]
        elif name in FRACTIONS:
            numerator, position = _group(tex, position)
            denominator, position = _group(tex, position)
            total += max(equation_width(numerator), equation_width(denominator)) + 0.3
        elif name in ONE_ARGUMENT_COMMANDS:
            argument, position = _group(tex, position)
            total += equation_width(argument) + (0.8 if name == "sqrt" else 0)
        elif name in ("begin", "end"):
            _, position = _group(tex, position)  # the environment's name
        elif name in NOT_DRAWN:
            pass
        elif name in WORD_COMMANDS:
            total += len(name)
        elif name in ("{", "}", "|"):
            total += 0.5
        else:
            total += 1 + (OPERATOR_SPACE if name in SPACED_COMMANDS else 0)
    return total


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


# Code shown inside Markdown: a ```python fence, or a MyST {code-cell} block (its fence may be
# longer than three backticks when it sits inside another directive).
MARKDOWN_CODE_BLOCK = re.compile(
    r"^(?P<fence>`{3,}|~{3,})[ \t]*(?:python3?|py|\{code-cell\}[^\n]*)[ \t]*\n"
    r"(?P<body>.*?)^(?P=fence)[ \t]*$",
    re.MULTILINE | re.DOTALL,
)


def long_markdown_code_lines(text: str, limit: int = MAX_CODE_LINE) -> list[tuple[int, str]]:
    """``(width, line)`` for each line of Python code in Markdown ``text`` wider than ``limit``."""
    problems = []
    for match in MARKDOWN_CODE_BLOCK.finditer(text):
        for line in match["body"].splitlines():
            if display_width(line) > limit:
                problems.append((display_width(line), line))
    return problems


def too_long_equation_rows(text: str, limit: float = MAX_EQUATION_WIDTH) -> list[tuple[float, str]]:
    """``(estimated width, row)`` for each display-equation row in Markdown ``text`` wider than ``limit``.

    A display equation is ``$$ ... $$``, a ``{math}`` fence or an amsmath environment; its
    rows are the pieces between ``\\\\`` (inside ``aligned``, ``split``, ``align`` ...).
    """
    rows = []
    for match in DISPLAY_MATH.finditer(text):
        tex = next(group for group in (match["dollars"], match["fence"], match["body"]) if group is not None)
        for row in ROW_BREAK.split(tex):
            row = " ".join(row.split())
            if equation_width(row) > limit:
                rows.append((round(equation_width(row), 1), row))
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
    report = [f"{where}: a row about {width} symbols wide (> {MAX_EQUATION_WIDTH}): {row[:60]}..." for width, row in rows]
    assert not report, (
        "display equations wider than the column (split them with \\begin{aligned} ... \\\\):\n" + "\n".join(report)
    )


@pytest.mark.parametrize("where, source", [pytest.param(where, source, id=where) for where, source in _markdown_sources()])
def test_code_in_markdown_fits_the_column(where, source):
    problems = long_markdown_code_lines(source)
    report = [f"{where}: {width} columns > {MAX_CODE_LINE}: {line.strip()[:50]}..." for width, line in problems]
    assert not report, "code lines in Markdown wider than the text column:\n" + "\n".join(report)


# The checks themselves, on made-up input: each must fail on what it is meant to catch.
def test_long_code_line_is_reported(tmp_path):
    notebook = {"cells": [{"id": "a1", "cell_type": "code", "source": ["x = 1\n", "y = " + "1 + " * 30 + "1\n"]}]}
    path = tmp_path / "n.ipynb"
    path.write_text(json.dumps(notebook))
    (problem,) = long_code_lines(path)
    assert problem.startswith("n.ipynb cell 0 (id a1) line 2: 125 columns > 80")


def test_chinese_characters_count_double():
    assert display_width("ab") == 2 and display_width("评分") == 4 and display_width("（") == 2


def test_equation_width_counts_what_is_drawn():
    assert equation_width("a+b") == 3.5
    assert equation_width(r"\frac{a+b}{c}") == equation_width("a+b") + 0.3  # the wider part
    assert equation_width(r"\operatorname{sim}(u,v)") == equation_width("sim(u,v)")
    assert equation_width(r"\sum_{i=1}^{m} x") < equation_width(r"x^{i=1} x")
    assert equation_width(r"a \, b") == equation_width("ab") + 0.2


def test_equation_checker_splits_rows_and_knows_the_forms():
    long_sum = " + ".join(f"w_{{{i}}} x_{{{i}}}" for i in range(12))  # about 65 symbols wide
    expected = [(round(equation_width(long_sum), 1), long_sum)]
    assert too_long_equation_rows(f"text $$ {long_sum} $$ more") == expected
    assert too_long_equation_rows(f"```{{math}}\n{long_sum}\n```") == expected
    assert too_long_equation_rows(f"\\begin{{align}} {long_sum} \\end{{align}}") == expected
    half = " + ".join(f"w_{{{i}}} x_{{{i}}}" for i in range(6))
    split = f"$$\\begin{{aligned}} z &= {half} \\\\ &\\quad + {half} \\end{{aligned}}$$"
    assert too_long_equation_rows(split) == []
    assert too_long_equation_rows("inline $x$ and $$y = 1$$") == []


def test_markdown_code_checker_finds_python_fences_and_code_cells():
    long_line = "x = " + "1 + " * 30 + "1"
    nested = f"````{{solution}} ex\n```python\n{long_line}\nshort = 1\n```\n````"
    assert long_markdown_code_lines(nested) == [(display_width(long_line), long_line)]
    code_cell = f"```{{code-cell}} ipython3\n:tags: [hide-input]\n{long_line}\n```"
    assert len(long_markdown_code_lines(code_cell)) == 1
    # Prose, other fences and short code are not reported.
    assert long_markdown_code_lines(long_line) == []
    assert long_markdown_code_lines(f"```text\n{long_line}\n```") == []
    assert long_markdown_code_lines("```python\nprint(1)\n```") == []
