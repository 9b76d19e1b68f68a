"""print_wrapped: printed lines fit the text column, and nothing is lost on the way."""

from __future__ import annotations

import pytest

from tutorial_lib.book.display import (
    CONTINUATION_INDENT,
    display_width,
    print_wrapped,
    wrap_to_column,
)


def test_display_width_counts_chinese_double():
    assert display_width("abc") == 3
    assert display_width("评分") == 4
    assert display_width("a，b") == 4  # the full-width comma is wide too


def test_short_line_is_unchanged():
    assert wrap_to_column("a short line", width=20) == ["a short line"]


def test_wraps_at_the_last_space_and_indents():
    line = "one two three four five six seven"
    pieces = wrap_to_column(line, width=12)
    assert all(display_width(piece) <= 12 for piece in pieces)
    assert pieces[0] == "one two"
    assert all(piece.startswith(CONTINUATION_INDENT) for piece in pieces[1:])
    # Nothing is lost: the words come back in order.
    assert " ".join(" ".join(pieces).split()) == line


def test_chinese_without_spaces_is_cut_at_the_width():
    line = "评分" * 30  # 120 columns, no space
    pieces = wrap_to_column(line, width=20)
    assert all(display_width(piece) <= 20 for piece in pieces)
    assert "".join(piece.strip() for piece in pieces) == line


def test_print_wrapped_splits_lines_and_wraps_each(capsys):
    print_wrapped("first line\nsecond", "word " * 30, width=30)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "first line"
    assert lines[1].startswith("second word")
    assert all(display_width(line) <= 30 for line in lines)
    assert sum(line.count("word") for line in lines) == 30


def test_print_wrapped_without_parts_prints_an_empty_line(capsys):
    print_wrapped()
    assert capsys.readouterr().out == "\n"


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"line": 3}, TypeError, "line must be a str"),
        ({"line": "a\nb"}, ValueError, "line must be one line"),
        ({"line": "a", "width": 0}, ValueError, "width"),
        ({"line": "a", "indent": 4}, TypeError, "indent must be a str"),
        ({"line": "a", "width": 5, "indent": "    "}, ValueError, "indent must leave room"),
    ],
)
def test_bad_input_names_the_argument(kwargs, error, message):
    with pytest.raises(error, match=message):
        wrap_to_column(**kwargs)


def test_format_with_interval_formats_a_summary_row_and_names_bad_input():
    import pandas as pd

    from tutorial_lib.book.display import format_with_interval

    summary = pd.DataFrame({"mean": [0.08412, 0.5], "low": [0.0716, 0.4], "high": [0.09849, 0.6]},
                           index=["ndcg@10", "hr@10"])
    assert format_with_interval(summary, "ndcg@10") == "0.084 [0.072, 0.098]"
    assert format_with_interval(summary, "hr@10", digits=2) == "0.50 [0.40, 0.60]"
    with pytest.raises(ValueError, match="no row 'mrr'"):
        format_with_interval(summary, "mrr")
    with pytest.raises(ValueError, match="lacks \\['high'\\]"):
        format_with_interval(summary[["mean", "low"]], "hr@10")
