"""Tests for tutorial_lib.book.source.show_source."""

from __future__ import annotations

import inspect

import pytest
from IPython.display import Code

from tutorial_lib.book.source import MAX_LINE_LENGTH, show_source
from tutorial_lib.models import baselines, logistic


# The functions chapter 3 shows on its pages: each must fit the text column.
SHOWN_IN_CHAPTER_3 = [
    logistic.sigmoid,
    logistic._loss,
    logistic._gradient,
    logistic._hessian,
    logistic.gradient_descent_step,
    logistic.newton_step,
    logistic.minimise,
    baselines.SmoothedLikeRate.fit,
    baselines.out_of_fold_like_rate,
]


@pytest.mark.parametrize("obj", SHOWN_IN_CHAPTER_3, ids=lambda obj: obj.__qualname__)
def test_shown_functions_are_the_package_source_and_fit_the_page(obj):
    shown = show_source(obj)
    assert isinstance(shown, Code)
    assert shown.data.splitlines()[0].startswith("def ")  # dedented, even for a method
    assert inspect.getsource(obj).strip().endswith(shown.data.strip().splitlines()[-1].strip())
    assert max(len(line) for line in shown.data.splitlines()) <= MAX_LINE_LENGTH
    assert 'class="' in shown._repr_html_()  # rendered with syntax highlighting


def test_long_lines_and_objects_without_source_are_refused():
    with pytest.raises(ValueError, match="longer than max_line_length=20"):
        show_source(logistic.minimise, max_line_length=20)
    with pytest.raises(TypeError, match="obj must be"):
        show_source(len)
    with pytest.raises(ValueError, match="max_line_length"):
        show_source(logistic.minimise, max_line_length=0)
