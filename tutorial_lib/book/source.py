"""Show the package's own code on a book page, so the page cannot drift from the tests.

A chapter that builds a model "by hand" shows the hand-written functions; they are taken
from ``tutorial_lib`` itself with :func:`show_source`, which returns an IPython ``Code``
object. Jupyter, Colab and the built book (Jupyter Book / MyST-NB) all render it as a
syntax-highlighted block, and what the reader sees is exactly what ``tests/`` checks.
"""

from __future__ import annotations

import inspect
import textwrap

from IPython.display import Code

from tutorial_lib.validation import check_positive_int

__all__ = ["MAX_LINE_LENGTH", "show_source"]

#: Characters of code an output box of the book's text column shows at 1280 px
#: without scrolling (measured in headless Chromium by tests/built: about 77).
MAX_LINE_LENGTH = 76


def show_source(obj, *, max_line_length: int = MAX_LINE_LENGTH) -> Code:
    """The source code of a function, class or method, ready to display.

    Parameters
    ----------
    obj : function, class or method
        Something :func:`inspect.getsource` can read (defined in a ``.py`` file).
    max_line_length : int, default 76
        Longest line allowed. A longer one raises, so that a function shown on a
        page is reformatted in the package instead of being cut off at the column's
        right edge.

    Returns
    -------
    IPython.display.Code
        Displays as highlighted Python (the last expression of a cell, or
        ``display(...)``).

    Raises
    ------
    TypeError
        If ``obj`` has no source file (a built-in, or something defined in a notebook).
    ValueError
        If a line is longer than ``max_line_length``.
    """
    max_line_length = check_positive_int(max_line_length, "max_line_length")
    try:
        source = inspect.getsource(obj)
    except (TypeError, OSError) as error:
        raise TypeError(
            f"obj must be a function, class or method defined in a .py file; "
            f"cannot read the source of {obj!r} ({error})."
        ) from None
    source = textwrap.dedent(source)  # methods are indented inside their class
    too_long = [
        (number, len(line))
        for number, line in enumerate(source.splitlines(), start=1)
        if len(line) > max_line_length
    ]
    if too_long:
        name = getattr(obj, "__qualname__", repr(obj))
        listed = ", ".join(f"line {number} ({length} chars)" for number, length in too_long)
        raise ValueError(
            f"{name} has lines longer than max_line_length={max_line_length}: {listed}. "
            "Reformat it in the package so that it fits the page."
        )
    return Code(source, language="python")
