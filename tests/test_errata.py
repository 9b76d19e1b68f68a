"""Chapter 4's recomputed evaluation tables of the sources (tutorial_lib.book.errata)."""

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

from tutorial_lib.book import errata


def test_implied_precision_inverts_the_harmonic_mean():
    precision, recall = 0.7, 0.4
    f1 = 2 * precision * recall / (precision + recall)
    assert errata.implied_precision(f1, recall) == pytest.approx(precision)
    with pytest.raises(ValueError, match="f1 must lie in"):
        errata.implied_precision(0.9, 0.4)  # F1 can never reach twice the recall


def test_labels_from_confusion_matrix_give_the_matrix_back():
    matrix = ((60, 20), (10, 30))
    for positive in (0, 1):
        y_true, y_pred = errata.labels_from_confusion_matrix(matrix, positive)
        assert len(y_true) == 120
        counts = np.array([[np.sum((y_true == a) & (y_pred == p)) for p in (0, 1)] for a in (0, 1)])
        # with positive = 0 class A is coded 1, so the rows and columns swap
        expected = np.array(matrix) if positive == 1 else np.array(matrix)[::-1, ::-1]
        assert (counts == expected).all()
    with pytest.raises(ValueError, match="matrix must be 2 x 2"):
        errata.labels_from_confusion_matrix(((1, 2, 3), (4, 5, 6)))
    with pytest.raises(ValueError, match="positive"):
        errata.labels_from_confusion_matrix(((1, 2), (3, 4)), positive=2)


@pytest.mark.parametrize("positive", [0, 1])
def test_source004_metrics_equal_scikit_learns(positive):
    y_true, y_pred = errata.labels_from_confusion_matrix(errata.SOURCE004_CONFUSION_MATRIX, positive)
    computed = errata.source004_metrics(positive)
    assert computed["accuracy"] == pytest.approx(accuracy_score(y_true, y_pred))
    assert computed["precision"] == pytest.approx(precision_score(y_true, y_pred))
    assert computed["recall"] == pytest.approx(recall_score(y_true, y_pred))
    assert computed["f1"] == pytest.approx(f1_score(y_true, y_pred))


def test_source004_table_cannot_come_from_its_matrix():
    # By hand: 90 of 120 right; A positive: P = 60/70, R = 60/80; B positive: P = 30/50, R = 30/40.
    a, b = errata.source004_metrics(0), errata.source004_metrics(1)
    assert a["accuracy"] == b["accuracy"] == pytest.approx(0.75)
    assert (a["precision"], a["recall"]) == pytest.approx((6 / 7, 0.75))
    assert (b["precision"], b["recall"]) == pytest.approx((0.6, 0.75))
    claimed = errata.SOURCE004_CLAIMED_METRICS
    assert all(abs(m[name] - claimed[name]) > 0.04 for m in (a, b) for name in ("accuracy", "recall"))
