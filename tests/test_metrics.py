"""Tests for tutorial_lib.evaluation.metrics: each metric against scikit-learn or a case worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sklearn.calibration
import sklearn.metrics

from tutorial_lib.evaluation import metrics


@pytest.fixture(scope="module")
def binary_data():
    """Seeded labels, informative scores rounded to 1 decimal (many ties) and hard predictions."""
    rng = np.random.default_rng(11)
    n_samples = 500
    y_true = rng.integers(0, 2, size=n_samples)
    y_score = np.clip(0.35 * y_true + rng.uniform(0, 0.65, size=n_samples), 0, 1)
    y_score_tied = np.round(y_score, 1)
    y_pred = (y_score > 0.5).astype(int)
    return y_true, y_score, y_score_tied, y_pred


# --------------------------------------------------------------------------------------
# Hard predictions
# --------------------------------------------------------------------------------------
def test_classification_metrics_match_sklearn(binary_data):
    y_true, _, _, y_pred = binary_data
    assert metrics.accuracy(y_true, y_pred) == pytest.approx(sklearn.metrics.accuracy_score(y_true, y_pred))
    assert metrics.precision(y_true, y_pred) == pytest.approx(sklearn.metrics.precision_score(y_true, y_pred))
    assert metrics.recall(y_true, y_pred) == pytest.approx(sklearn.metrics.recall_score(y_true, y_pred))
    assert metrics.f1(y_true, y_pred) == pytest.approx(sklearn.metrics.f1_score(y_true, y_pred))
    np.testing.assert_array_equal(
        metrics.confusion_matrix(y_true, y_pred), sklearn.metrics.confusion_matrix(y_true, y_pred, labels=[0, 1])
    )


def test_confusion_matrix_by_hand():
    # pairs (true, pred): (0,0) (0,1) (1,0) (1,1) (1,1)  ->  TN=1 FP=1 FN=1 TP=2
    matrix = metrics.confusion_matrix([0, 0, 1, 1, 1], [0, 1, 0, 1, 1])
    np.testing.assert_array_equal(matrix, [[1, 1], [1, 2]])
    assert metrics.precision([0, 0, 1, 1, 1], [0, 1, 0, 1, 1]) == pytest.approx(2 / 3)
    assert metrics.f1([0, 0, 1, 1, 1], [0, 1, 0, 1, 1]) == pytest.approx(2 * 2 / (2 * 2 + 1 + 1))
    # A class that never occurs still gets its row and column.
    np.testing.assert_array_equal(metrics.confusion_matrix([1, 1], [1, 1]), [[0, 0], [0, 2]])


@pytest.mark.parametrize("zero_division", [0.0, 1.0])
def test_zero_division_matches_sklearn(zero_division):
    y_true, nothing_predicted = np.array([0, 1, 0, 1]), np.zeros(4, dtype=int)
    assert metrics.precision(y_true, nothing_predicted, zero_division=zero_division) == sklearn.metrics.precision_score(
        y_true, nothing_predicted, zero_division=zero_division
    )
    no_positives = np.zeros(4, dtype=int)
    assert metrics.recall(no_positives, no_positives, zero_division=zero_division) == sklearn.metrics.recall_score(
        no_positives, no_positives, zero_division=zero_division
    )
    assert metrics.f1(no_positives, no_positives, zero_division=zero_division) == sklearn.metrics.f1_score(
        no_positives, no_positives, zero_division=zero_division
    )
    # TP = 0 but there are errors: F1 is 0 whatever zero_division says.
    assert metrics.f1(y_true, nothing_predicted, zero_division=zero_division) == 0.0
    assert math.isnan(metrics.precision(y_true, nothing_predicted, zero_division=np.nan))


# --------------------------------------------------------------------------------------
# Scores
# --------------------------------------------------------------------------------------
def test_roc_auc_matches_sklearn_with_and_without_ties(binary_data):
    y_true, y_score, y_score_tied, _ = binary_data
    assert len(np.unique(y_score_tied)) < 15  # the tied version really has ties
    assert metrics.roc_auc(y_true, y_score) == pytest.approx(sklearn.metrics.roc_auc_score(y_true, y_score), abs=1e-12)
    assert metrics.roc_auc(y_true, y_score_tied) == pytest.approx(
        sklearn.metrics.roc_auc_score(y_true, y_score_tied), abs=1e-12
    )


def test_roc_auc_by_hand():
    # Positives scored 0.8 and 0.4, negatives 0.4 and 0.1. Pairs (pos, neg):
    # (0.8, 0.4) win, (0.8, 0.1) win, (0.4, 0.4) tie = 1/2, (0.4, 0.1) win -> 3.5 / 4.
    assert metrics.roc_auc([1, 1, 0, 0], [0.8, 0.4, 0.4, 0.1]) == pytest.approx(3.5 / 4)
    assert metrics.roc_auc([0, 0, 1, 1], [5, 5, 5, 5]) == 0.5  # constant scores: chance level


def test_roc_curve_matches_sklearn(binary_data):
    y_true, _, y_score_tied, _ = binary_data
    fpr, tpr, thresholds = metrics.roc_curve(y_true, y_score_tied)
    expected_fpr, expected_tpr, expected_thresholds = sklearn.metrics.roc_curve(
        y_true, y_score_tied, drop_intermediate=False
    )
    np.testing.assert_allclose(fpr, expected_fpr)
    np.testing.assert_allclose(tpr, expected_tpr)
    np.testing.assert_array_equal(thresholds, expected_thresholds)
    # The trapezoid area under the curve is the rank-based AUC.
    assert np.trapezoid(tpr, fpr) == pytest.approx(metrics.roc_auc(y_true, y_score_tied), abs=1e-12)


def test_log_loss_and_brier_match_sklearn(binary_data):
    y_true, y_score, _, _ = binary_data
    # scikit-learn 1.9 renamed y_pred to y_proba in these two functions; pass it by position.
    assert metrics.log_loss(y_true, y_score) == pytest.approx(sklearn.metrics.log_loss(y_true, y_score), rel=1e-12)
    assert metrics.brier_score(y_true, y_score) == pytest.approx(
        sklearn.metrics.brier_score_loss(y_true, y_score), rel=1e-12
    )
    # Confidently wrong probabilities are clipped, not infinite.
    extreme = np.array([0.0, 1.0, 1.0])
    labels = np.array([1, 0, 1])
    assert metrics.log_loss(labels, extreme) == pytest.approx(sklearn.metrics.log_loss(labels, extreme), rel=1e-12)
    assert metrics.log_loss([1], [0.0], eps=1e-3) == pytest.approx(-math.log(1e-3))


def test_brier_and_log_loss_by_hand():
    # (0.9 - 1)^2 + (0.2 - 0)^2 = 0.01 + 0.04, mean 0.025
    assert metrics.brier_score([1, 0], [0.9, 0.2]) == pytest.approx(0.025)
    assert metrics.log_loss([1, 0], [0.9, 0.2]) == pytest.approx(-(math.log(0.9) + math.log(0.8)) / 2)


@pytest.mark.parametrize("n_bins", [5, 10])
def test_calibration_curve_matches_sklearn(binary_data, n_bins):
    y_true, y_score, y_score_tied, _ = binary_data
    for scores in (y_score, y_score_tied):  # the tied scores sit exactly on bin edges
        mean_predicted, observed, counts = metrics.calibration_curve(y_true, scores, n_bins=n_bins)
        expected_observed, expected_predicted = sklearn.calibration.calibration_curve(
            y_true, scores, n_bins=n_bins, strategy="uniform"
        )
        np.testing.assert_allclose(mean_predicted, expected_predicted, rtol=1e-12)
        np.testing.assert_allclose(observed, expected_observed, rtol=1e-12)
        assert counts.sum() == len(y_true) and np.all(counts > 0)


def test_calibration_curve_by_hand():
    # Two bins: [0, 0.5] holds 0.1, 0.5 (labels 0, 1); (0.5, 1] holds 0.9 (label 1).
    mean_predicted, observed, counts = metrics.calibration_curve([0, 1, 1], [0.1, 0.5, 0.9], n_bins=2)
    np.testing.assert_allclose(mean_predicted, [0.3, 0.9])
    np.testing.assert_allclose(observed, [0.5, 1.0])
    np.testing.assert_array_equal(counts, [2, 1])


# --------------------------------------------------------------------------------------
# Ranking metrics
# --------------------------------------------------------------------------------------
def test_ranking_metrics_by_hand():
    # Ten candidates; the held-out item (index 4) has the third-highest score.
    y_score = np.array([[0.9, 0.1, 0.8, 0.2, 0.7, 0.3, 0.05, 0.4, 0.0, 0.15]])
    y_true = np.zeros_like(y_score, dtype=int)
    y_true[0, 4] = 1
    assert metrics.rank_of_true_item(y_true, y_score).tolist() == [3]
    assert metrics.hit_rate_at_k(y_true, y_score, k=5) == 1.0
    assert metrics.hit_rate_at_k(y_true, y_score, k=2) == 0.0
    assert metrics.ndcg_at_k(y_true, y_score, k=5) == pytest.approx(1 / math.log2(4)) == 0.5
    assert metrics.ndcg_at_k(y_true, y_score, k=2) == 0.0
    assert metrics.mrr(y_true, y_score) == pytest.approx(1 / 3)


def test_ranking_metrics_average_over_users():
    # User 0: held-out item ranked 1st; user 1: ranked 2nd of 3.
    y_true = np.array([[1, 0, 0], [0, 0, 1]])
    y_score = np.array([[3.0, 2.0, 1.0], [3.0, 1.0, 2.0]])
    assert metrics.hit_rate_at_k(y_true, y_score, k=1) == 0.5
    assert metrics.ndcg_at_k(y_true, y_score, k=3) == pytest.approx((1 + 1 / math.log2(3)) / 2)
    assert metrics.mrr(y_true, y_score) == pytest.approx((1 + 1 / 2) / 2)


def test_tie_rules_by_hand():
    # Four candidates, all scored equally: pessimistic puts the held-out item last (rank 4);
    # "average" averages over ranks 1..4.
    y_true = np.array([[0, 1, 0, 0]])
    y_score = np.zeros((1, 4))
    assert metrics.rank_of_true_item(y_true, y_score).tolist() == [4]
    assert metrics.rank_of_true_item(y_true, y_score, ties="average").tolist() == [2.5]
    assert metrics.hit_rate_at_k(y_true, y_score, k=2) == 0.0
    assert metrics.hit_rate_at_k(y_true, y_score, k=2, ties="average") == pytest.approx(2 / 4)
    assert metrics.mrr(y_true, y_score) == pytest.approx(1 / 4)
    assert metrics.mrr(y_true, y_score, ties="average") == pytest.approx((1 + 1 / 2 + 1 / 3 + 1 / 4) / 4)
    expected_ndcg = (1 / math.log2(2) + 1 / math.log2(3)) / 4  # ranks 1 and 2 are within k=2
    assert metrics.ndcg_at_k(y_true, y_score, k=2, ties="average") == pytest.approx(expected_ndcg)


@pytest.fixture(scope="module")
def candidate_data():
    """200 users x 20 candidates, one held-out item each; continuous and tied scores."""
    rng = np.random.default_rng(5)
    n_users, n_candidates = 200, 20
    y_true = np.zeros((n_users, n_candidates), dtype=int)
    y_true[np.arange(n_users), rng.integers(0, n_candidates, size=n_users)] = 1
    y_score = rng.normal(size=(n_users, n_candidates)) + 1.0 * y_true  # held-out items score a bit higher
    return y_true, y_score, np.round(y_score)


@pytest.mark.parametrize("k", [1, 5, 10, 19])
def test_ranking_metrics_match_sklearn(candidate_data, k):
    y_true, y_score, y_score_tied = candidate_data
    true_index = y_true.argmax(axis=1)
    candidates = np.arange(y_true.shape[1])
    # Without ties, HR@k is top-k accuracy and NDCG@k is scikit-learn's ndcg_score.
    assert metrics.hit_rate_at_k(y_true, y_score, k) == pytest.approx(
        sklearn.metrics.top_k_accuracy_score(true_index, y_score, k=k, labels=candidates)
    )
    assert metrics.ndcg_at_k(y_true, y_score, k) == pytest.approx(sklearn.metrics.ndcg_score(y_true, y_score, k=k))
    # With ties, scikit-learn's ndcg_score averages over tied positions: our "average" rule.
    assert metrics.ndcg_at_k(y_true, y_score_tied, k, ties="average") == pytest.approx(
        sklearn.metrics.ndcg_score(y_true, y_score_tied, k=k)
    )


def test_hit_rate_is_one_when_k_covers_all_candidates(candidate_data):
    y_true, y_score, y_score_tied = candidate_data
    n_candidates = y_true.shape[1]
    assert metrics.hit_rate_at_k(y_true, y_score_tied, k=n_candidates) == 1.0
    assert metrics.hit_rate_at_k(y_true, y_score, k=n_candidates + 5) == 1.0


def test_mrr_matches_sklearn_label_ranking_average_precision(candidate_data):
    y_true, y_score, y_score_tied = candidate_data
    # With one relevant item per row, LRAP is 1 / rank, counting tied candidates as ranked above.
    for scores in (y_score, y_score_tied):
        assert metrics.mrr(y_true, scores) == pytest.approx(
            sklearn.metrics.label_ranking_average_precision_score(y_true, scores)
        )


# --------------------------------------------------------------------------------------
# Input validation
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: metrics.accuracy([0, 1, 1], [0, 1]), "same length"),
        (lambda: metrics.precision([0, 2, 1], [0, 1, 1]), "y_true must contain only 0 and 1"),
        (lambda: metrics.recall([0, 1], [0.5, 1]), "y_pred must contain only 0 and 1"),
        (lambda: metrics.f1([[0, 1]], [[0, 1]]), "y_true must be 1-D"),
        (lambda: metrics.precision([0, 1], [0, 1], zero_division=0.5), "zero_division"),
        (lambda: metrics.roc_auc([1, 1, 1], [0.2, 0.3, 0.4]), "only one class"),
        (lambda: metrics.roc_auc([0, 1], [0.2, np.nan]), "NaN"),
        (lambda: metrics.log_loss([0, 1], [0.2, 1.3]), r"probabilities in \[0, 1\]"),
        (lambda: metrics.log_loss([0, 1], [0.2, 0.3], eps=0.0), "eps"),
        (lambda: metrics.brier_score([], []), "empty"),
        (lambda: metrics.calibration_curve([0, 1], [0.2, 0.3], n_bins=0), "n_bins"),
        (lambda: metrics.hit_rate_at_k([[0, 1]], [[0.1, 0.2]], k=0), "k must be"),
        (lambda: metrics.ndcg_at_k([[0, 1]], [[0.1, 0.2]], k=2.5), "k must be"),
        (lambda: metrics.mrr([[1, 1]], [[0.1, 0.2]]), "exactly one held-out item"),
        (lambda: metrics.mrr([0, 1], [0.1, 0.2]), "y_true must be 2-D"),
        (lambda: metrics.mrr([[0, 1]], [[0.1, 0.2, 0.3]]), "y_score must have the shape"),
        (lambda: metrics.mrr([[0, 1]], [[0.1, 0.2]], ties="random"), "ties must be"),
    ],
)
def test_bad_input_is_rejected(call, message):
    with pytest.raises(ValueError, match=message):
        call()
