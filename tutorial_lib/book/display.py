"""Printed output that fits the book's text column.

A printed line wider than the output box of the text column is cut off or scrolls in the
built book. :func:`print_wrapped` is ``print`` with every output line cut to fit, counting a
Chinese (wide) character as two columns, as a monospaced font draws it.
"""

from __future__ import annotations

import unicodedata

from tutorial_lib.book.source import MAX_LINE_LENGTH
from tutorial_lib.validation import check_positive_int

__all__ = ["CONTINUATION_INDENT", "display_width", "format_with_interval", "print_wrapped", "wrap_to_column"]

#: What starts every continuation piece of a wrapped line.
CONTINUATION_INDENT = "    "


def display_width(text: str) -> int:
    """Columns ``text`` takes in a monospaced font: a wide (Chinese) character takes two."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    wide = sum(unicodedata.east_asian_width(character) in "WF" for character in text)
    return len(text) + wide


def wrap_to_column(
    line: str, width: int = MAX_LINE_LENGTH, indent: str = CONTINUATION_INDENT
) -> list[str]:
    """Cut one line into pieces at most ``width`` columns wide.

    A piece ends at its last space when it has one after the indent (the space is dropped);
    otherwise it is cut at the width (a long run of Chinese text has no spaces). Every piece
    after the first starts with ``indent``.

    Parameters
    ----------
    line : str
        One line of text, without newlines.
    width : int
        The most columns a piece may take (:func:`display_width`).
    indent : str
        The start of each continuation piece; narrower than ``width`` - 1.

    Returns
    -------
    list of str
        The pieces, in order; ``[line]`` when it fits already.
    """
    if not isinstance(line, str):
        raise TypeError(f"line must be a str, got {type(line).__name__}")
    if "\n" in line:
        raise ValueError("line must be one line, without '\\n'; split it first")
    width = check_positive_int(width, "width")
    if not isinstance(indent, str):
        raise TypeError(f"indent must be a str, got {type(indent).__name__}")
    if display_width(indent) + 2 > width:
        raise ValueError(
            f"indent must leave room for text: it takes {display_width(indent)} columns "
            f"of width={width}"
        )
    pieces, current = [], ""
    for character in line:
        if display_width(current + character) > width:
            cut = current.rfind(" ")
            if cut > len(indent):
                pieces.append(current[:cut])
                current = indent + current[cut + 1 :]
            else:
                pieces.append(current)
                current = indent
        current += character
    pieces.append(current)
    return pieces


def print_wrapped(*parts, width: int = MAX_LINE_LENGTH) -> None:
    """``print(*parts)``, with every output line cut to at most ``width`` columns.

    Parts are joined with spaces, as ``print`` does (tables and other objects by their
    ``str``); each line of the result is wrapped by :func:`wrap_to_column`.
    """
    for line in " ".join(str(part) for part in parts).split("\n"):
        for piece in wrap_to_column(line, width=width):
            print(piece)


def format_with_interval(summary, metric: str, digits: int = 3) -> str:
    """``"0.084 [0.072, 0.098]"``: a metric's mean and its interval, for a results table.

    Parameters
    ----------
    summary : pandas.DataFrame
        One row per metric with columns ``mean``, ``low`` and ``high``, as
        :func:`tutorial_lib.evaluation.protocols.summarise_top_n` returns.
    metric : str
        The row to format, e.g. ``"ndcg@10"``.
    digits : int, default 3
        Decimal places.
    """
    missing = {"mean", "low", "high"} - set(getattr(summary, "columns", ()))
    if missing:
        raise ValueError(f"summary must have the columns mean, low and high; it lacks {sorted(missing)}.")
    if metric not in summary.index:
        raise ValueError(f"summary has no row {metric!r}; its rows are {list(summary.index)}.")
    digits = check_positive_int(digits, "digits")
    mean, low, high = (float(summary.loc[metric, column]) for column in ("mean", "low", "high"))
    return f"{mean:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"
