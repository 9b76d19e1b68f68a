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


def test_source001_f1_is_the_harmonic_mean_of_accuracy_and_recall():
    # 2 * 0.8533 * 0.8667 / (0.8533 + 0.8667) = 0.859948: the printed 0.8600 within rounding;
    # the precision the printed F1 implies, 0.86 * 0.8667 / (2 * 0.8667 - 0.86) = 0.853403.
    printed = errata.SOURCE001_TEST_RESULTS
    accuracy, recall, f1 = printed["accuracy"], printed["recall"], printed["f1"]
    assert 2 * accuracy * recall / (accuracy + recall) == pytest.approx(0.859948, abs=1e-6)
    assert errata.implied_precision(f1, recall) == pytest.approx(0.853403, abs=1e-6)


# Chapter 10: attention
def test_source000_attention_chain_is_not_a_chain_of_equal_matrices():
    values = [errata.softmax_rows(matrix) for matrix in errata.SOURCE000_ATTENTION_CHAIN]
    assert all(not np.allclose(values[0], other) for other in values[1:])
    assert np.allclose(np.stack(values).sum(axis=2), 1.0)  # softmax rows sum to 1, whatever the input
    claimed = np.array(errata.SOURCE000_ATTENTION_RESULT)
    assert np.allclose(claimed.sum(axis=1), [1.01, 1.30])  # not 1 / sqrt(3)


def test_softmax_rows_does_not_overflow():
    weights = errata.softmax_rows([[1000.0, 0.0], [-1000.0, -1000.0]])
    assert np.allclose(weights, [[1.0, 0.0], [0.5, 0.5]])
    with pytest.raises(ValueError, match="2-D"):
        errata.softmax_rows([1.0, 2.0])


def test_source002_weights_can_be_negative_and_above_one():
    embeddings = np.array([[1.0, 0.0], [1.0, 1.0], [-1.0, 0.5]])
    # e_2 . e_1 = 1, e_3 . e_2 = -0.5; their sum is 0.5
    assert np.allclose(errata.source002_attention_weights(embeddings, np.eye(2)), [2.0, -1.0])
    with pytest.raises(ValueError, match="embeddings must be"):
        errata.source002_attention_weights(embeddings, np.eye(3))
