"""Tests for the later sections of tutorial_lib.evaluation.metrics.

Multi-class averages, precision-recall curve, average precision, calibration error, ranking
lists with graded relevance, group AUC, coverage, diversity and novelty: each against
scikit-learn on random inputs over many seeds where scikit-learn has the metric, against a
case worked by hand where it does not, plus the edge cases and the errors on bad input.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sklearn.metrics

from tutorial_lib.evaluation import metrics

SEEDS = range(30)


def _same(ours: float, theirs: float) -> bool:
    """Equal to 1e-12, NaN counting as equal to NaN."""
    if math.isnan(theirs):
        return math.isnan(ours)
    return ours == pytest.approx(theirs, abs=1e-12)


# --------------------------------------------------------------------------------------
# Multi-class precision, recall, F1 and confusion matrix
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("average", ["macro", "micro", "weighted"])
@pytest.mark.parametrize("zero_division", [0.0, 1.0, np.nan])
def test_multiclass_scores_match_sklearn(average, zero_division):
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        n_samples = int(rng.integers(5, 60))
        # Five classes in y_pred but four in y_true: some classes have no support,
        # and with few samples some are never predicted (the zero-division cases).
        y_true = rng.integers(0, 4, size=n_samples)
        y_pred = rng.integers(0, 5, size=n_samples)
        for ours, theirs in [
            (metrics.precision, sklearn.metrics.precision_score),
            (metrics.recall, sklearn.metrics.recall_score),
            (metrics.f1, sklearn.metrics.f1_score),
        ]:
            got = ours(y_true, y_pred, average=average, zero_division=zero_division)
            expected = theirs(y_true, y_pred, average=average, zero_division=zero_division)
            assert _same(got, expected), (ours.__name__, seed, got, expected)


@pytest.mark.parametrize("zero_division", [0.0, 1.0, np.nan])
def test_multiclass_zero_division_edge_cases_match_sklearn(zero_division):
    # Nothing right: class 0 is never predicted, class 1 never true (no support).
    # One label only: every average is defined from one class.
    for y_true, y_pred in [([0, 0], [1, 1]), ([2, 2, 2], [2, 2, 2])]:
        for average in ("macro", "micro", "weighted"):
            for ours, theirs in [
                (metrics.precision, sklearn.metrics.precision_score),
                (metrics.recall, sklearn.metrics.recall_score),
                (metrics.f1, sklearn.metrics.f1_score),
            ]:
                got = ours(y_true, y_pred, average=average, zero_division=zero_division)
                expected = theirs(y_true, y_pred, average=average, zero_division=zero_division)
                assert _same(got, expected), (ours.__name__, y_true, average, got, expected)


@pytest.mark.parametrize("average", ["macro", "micro", "weighted"])
def test_multiclass_scores_with_given_labels_and_strings_match_sklearn(average):
    rng = np.random.default_rng(3)
    names = np.array(["comedy", "drama", "horror"])
    y_true = names[rng.integers(0, 3, size=40)]
    y_pred = names[rng.integers(0, 3, size=40)]
    # "western" occurs nowhere: it scores zero_division and still counts in the macro mean.
    labels = ["western", "horror", "comedy", "drama"]
    for ours, theirs in [(metrics.precision, sklearn.metrics.precision_score), (metrics.f1, sklearn.metrics.f1_score)]:
        got = ours(y_true, y_pred, average=average, labels=labels, zero_division=0.0)
        expected = theirs(y_true, y_pred, average=average, labels=labels, zero_division=0.0)
        assert got == pytest.approx(expected, abs=1e-12)
    # Python lists of strings (pandas gives object arrays) work as well.
    assert metrics.recall(list(y_true), list(y_pred), average=average) == pytest.approx(
        sklearn.metrics.recall_score(y_true, y_pred, average=average)
    )


def test_micro_average_equals_accuracy_and_binary_default_is_unchanged():
    rng = np.random.default_rng(8)
    y_true = rng.integers(0, 6, size=200)
    y_pred = np.where(rng.random(200) < 0.5, y_true, rng.integers(0, 6, size=200))
    accuracy = float(np.mean(y_true == y_pred))
    for score in (metrics.precision, metrics.recall, metrics.f1):
        assert score(y_true, y_pred, average="micro") == pytest.approx(accuracy)
    binary_true, binary_pred = (y_true > 2).astype(int), (y_pred > 2).astype(int)
    for score in (metrics.precision, metrics.recall, metrics.f1):
        assert score(binary_true, binary_pred) == score(binary_true, binary_pred, average="binary")


def test_multiclass_scores_by_hand():
    # Pairs (true, pred): (0,0) (0,1) (1,1) (2,1) (2,2) (2,2). Per class:
    # class 0: TP 1, FP 0, FN 1 -> P 1,   R 1/2
    # class 1: TP 1, FP 2, FN 0 -> P 1/3, R 1
    # class 2: TP 2, FP 0, FN 1 -> P 1,   R 2/3;   supports 2, 1, 3
    y_true, y_pred = [0, 0, 1, 2, 2, 2], [0, 1, 1, 1, 2, 2]
    assert metrics.precision(y_true, y_pred, average="macro") == pytest.approx((1 + 1 / 3 + 1) / 3)
    assert metrics.recall(y_true, y_pred, average="weighted") == pytest.approx((2 * 1 / 2 + 1 * 1 + 3 * 2 / 3) / 6)
    assert metrics.precision(y_true, y_pred, average="micro") == pytest.approx(4 / 6)


def test_multiclass_confusion_matrix_matches_sklearn():
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        n_samples = int(rng.integers(1, 80))
        y_true = rng.integers(0, 5, size=n_samples)
        y_pred = rng.integers(0, 5, size=n_samples)
        labels = rng.permutation(6)  # any order, and a class that never occurs
        np.testing.assert_array_equal(
            metrics.confusion_matrix(y_true, y_pred, labels=labels),
            sklearn.metrics.confusion_matrix(y_true, y_pred, labels=labels),
        )


def test_multiclass_confusion_matrix_by_hand():
    # Rows follow labels: "b" then "a". (a,a) (a,b) (b,b) (b,b): a->a 1, a->b 1, b->b 2.
    matrix = metrics.confusion_matrix(["a", "a", "b", "b"], ["a", "b", "b", "b"], labels=["b", "a"])
    np.testing.assert_array_equal(matrix, [[2, 0], [1, 1]])
    # With labels=[0, 1] it is the binary table.
    np.testing.assert_array_equal(
        metrics.confusion_matrix([0, 1, 1], [1, 1, 0], labels=[0, 1]), metrics.confusion_matrix([0, 1, 1], [1, 1, 0])
    )


# --------------------------------------------------------------------------------------
# Precision-recall curve, average precision, expected calibration error
# --------------------------------------------------------------------------------------
def _binary_case(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels with at least one positive and scores, rounded on odd seeds so that ties occur."""
    rng = np.random.default_rng(seed)
    n_samples = int(rng.integers(2, 100))
    y_true = rng.integers(0, 2, size=n_samples)
    y_true[0] = 1
    y_score = 0.3 * y_true + rng.random(n_samples)
    return y_true, (np.round(y_score, 1) if seed % 2 else y_score)


def test_precision_recall_curve_and_average_precision_match_sklearn():
    for seed in SEEDS:
        y_true, y_score = _binary_case(seed)
        precision, recall, thresholds = metrics.precision_recall_curve(y_true, y_score)
        expected_precision, expected_recall, expected_thresholds = sklearn.metrics.precision_recall_curve(
            y_true, y_score
        )
        np.testing.assert_allclose(precision, expected_precision, atol=1e-12)
        np.testing.assert_allclose(recall, expected_recall, atol=1e-12)
        np.testing.assert_array_equal(thresholds, expected_thresholds)
        assert metrics.average_precision(y_true, y_score) == pytest.approx(
            sklearn.metrics.average_precision_score(y_true, y_score), abs=1e-12
        )


def test_average_precision_by_hand_and_edge_cases():
    # Ranked by score: positive, negative, positive. Precision at the two positives: 1, 2/3.
    assert metrics.average_precision([1, 0, 1], [0.9, 0.8, 0.7]) == pytest.approx((1 + 2 / 3) / 2)
    # All scores tied: one threshold, precision = positive rate, all recall gained at once.
    assert metrics.average_precision([1, 0, 0, 1], [0.5] * 4) == pytest.approx(0.5)
    # Only positives: precision 1 at every threshold.
    assert metrics.average_precision([1, 1], [0.2, 0.7]) == 1.0
    precision, recall, thresholds = metrics.precision_recall_curve([1, 0, 0, 1], [0.5] * 4)
    np.testing.assert_allclose(precision, [0.5, 1.0])
    np.testing.assert_allclose(recall, [1.0, 0.0])
    np.testing.assert_allclose(thresholds, [0.5])


def test_expected_calibration_error_by_hand():
    # Two bins, [0, 0.5] and (0.5, 1]:
    #   bin 1 holds 0.1 (label 0) and 0.3 (label 1): mean 0.2, frequency 0.5, gap 0.3;
    #   bin 2 holds 0.7 and 0.9 (labels 1, 1):       mean 0.8, frequency 1.0, gap 0.2.
    # Each bin holds half the examples: ECE = 0.5 * 0.3 + 0.5 * 0.2 = 0.25.
    y_true, y_score = [0, 1, 1, 1], [0.1, 0.3, 0.7, 0.9]
    assert metrics.expected_calibration_error(y_true, y_score, n_bins=2) == pytest.approx(0.25)
    # Weighted by bin size: three examples in bin 1 (gap |0.2 - 1/3|), one in bin 2 (gap 0.1).
    assert metrics.expected_calibration_error([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.9], n_bins=2) == pytest.approx(
        0.75 * abs(0.2 - 1 / 3) + 0.25 * 0.1
    )
    # Calibrated in every bin: each bin's positive rate equals its mean probability.
    assert metrics.expected_calibration_error([0, 1, 0, 1], [0.5] * 4) == pytest.approx(0.0)


# --------------------------------------------------------------------------------------
# Ranking lists: DCG and NDCG with graded relevance, precision@K, MAP@K
# --------------------------------------------------------------------------------------
def _graded_case(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Graded relevance 0..3 (every row has a relevant item) and scores with ties."""
    rng = np.random.default_rng(seed)
    n_users, n_candidates = int(rng.integers(1, 8)), int(rng.integers(2, 15))
    relevance = rng.integers(0, 4, size=(n_users, n_candidates))
    relevance[:, 0] = np.maximum(relevance[:, 0], 1)
    scores = np.round(rng.normal(size=(n_users, n_candidates)), 0)  # few distinct values
    return relevance, scores


@pytest.mark.parametrize("k", [1, 3, 10, 30])
def test_graded_dcg_and_ndcg_match_sklearn(k):
    for seed in SEEDS:
        relevance, scores = _graded_case(seed)
        # scikit-learn averages over tied positions (our "average" rule) and uses linear gain.
        assert metrics.dcg_at_k(relevance, scores, k, ties="average") == pytest.approx(
            sklearn.metrics.dcg_score(relevance, scores, k=k), abs=1e-12
        )
        assert metrics.ndcg_at_k(relevance, scores, k, ties="average") == pytest.approx(
            sklearn.metrics.ndcg_score(relevance, scores, k=k), abs=1e-12
        )
        # Exponential gain is linear gain of 2^rel - 1.
        assert metrics.ndcg_at_k(relevance, scores, k, ties="average", gain="exponential") == pytest.approx(
            sklearn.metrics.ndcg_score(2.0**relevance - 1, scores, k=k), abs=1e-12
        )
        # Without ties every rule gives the same order.
        distinct_scores = scores + 1e-3 * np.random.default_rng(seed).random(scores.shape)
        assert metrics.ndcg_at_k(relevance, distinct_scores, k) == pytest.approx(
            sklearn.metrics.ndcg_score(relevance, distinct_scores, k=k), abs=1e-12
        )


def test_graded_ndcg_by_hand():
    # Ranked relevance 3, 0, 2 (linear gain): DCG = 3 / log2(2) + 0 + 2 / log2(4) = 4.
    # Ideal order 3, 2, 0: IDCG = 3 + 2 / log2(3).
    relevance, scores = np.array([3, 0, 2]), np.array([0.9, 0.5, 0.1])
    assert metrics.dcg_at_k(relevance, scores, k=3) == pytest.approx(4.0)
    assert metrics.ndcg_at_k(relevance, scores, k=3) == pytest.approx(4 / (3 + 2 / math.log2(3)))
    # Exponential gain: (2^3 - 1) + (2^2 - 1) / 2 = 8.5.
    assert metrics.dcg_at_k(relevance, scores, k=3, gain="exponential") == pytest.approx(8.5)
    # K larger than the list changes nothing; one user's 1-D list equals the same row in 2-D.
    assert metrics.dcg_at_k(relevance, scores, k=50) == metrics.dcg_at_k(relevance, scores, k=3)
    assert metrics.ndcg_at_k(relevance, scores, k=2) == metrics.ndcg_at_k(relevance[None], scores[None], k=2)
    # Two candidates with the same score, relevance 1 and 0: the relevant one second
    # (pessimistic), first (optimistic), or half the time in each place (average).
    second_place = 1 / math.log2(3)
    assert metrics.dcg_at_k([1, 0], [0.5, 0.5], k=2) == pytest.approx(second_place)
    assert metrics.dcg_at_k([1, 0], [0.5, 0.5], k=2, ties="optimistic") == pytest.approx(1.0)
    assert metrics.ndcg_at_k([1, 0], [0.5, 0.5], k=2, ties="average") == pytest.approx((1 + second_place) / 2)


@pytest.mark.parametrize("ties", ["pessimistic", "optimistic", "average"])
def test_graded_path_agrees_with_held_out_item_path(ties):
    # One held-out item per row goes through the rank-based code; the graded code must give
    # the same number (checked here through dcg_at_k, whose ideal DCG is 1 in this case).
    rng = np.random.default_rng(4)
    y_true = np.zeros((50, 12), dtype=int)
    y_true[np.arange(50), rng.integers(0, 12, size=50)] = 1
    y_score = np.round(rng.normal(size=(50, 12)) + y_true, 0)
    for k in (1, 5, 20):
        assert metrics.ndcg_at_k(y_true, y_score, k, ties=ties) == pytest.approx(
            metrics.dcg_at_k(y_true, y_score, k, ties=ties), abs=1e-12
        )
        assert metrics.precision_at_k(y_true, y_score, k, ties=ties) == pytest.approx(
            metrics.hit_rate_at_k(y_true, y_score, k, ties=ties) / k, abs=1e-12
        )


def test_precision_at_k_by_hand_ties_and_k_beyond_the_list():
    # Ranked: relevant, not, relevant, not.
    relevance, scores = np.array([1, 0, 1, 0]), np.array([4.0, 3.0, 2.0, 1.0])
    assert metrics.precision_at_k(relevance, scores, k=1) == 1.0
    assert metrics.precision_at_k(relevance, scores, k=2) == 0.5
    # The divisor stays k: with 10 slots and 2 relevant items the best possible is 0.2.
    assert metrics.precision_at_k(relevance, scores, k=10) == pytest.approx(0.2)
    # All four candidates tied: relevant items last, first, or spread evenly (2 of 4).
    tied = np.zeros(4)
    assert metrics.precision_at_k(relevance, tied, k=2, ties="pessimistic") == 0.0
    assert metrics.precision_at_k(relevance, tied, k=2, ties="optimistic") == 1.0
    assert metrics.precision_at_k(relevance, tied, k=2, ties="average") == pytest.approx(0.5)
    # A user with no relevant item has precision 0 (defined), averaged with the others.
    assert metrics.precision_at_k([[1, 0], [0, 0]], [[2.0, 1.0], [2.0, 1.0]], k=1) == 0.5


def test_map_at_k_by_hand():
    # Rows are already in score order (scores decreasing left to right).
    scores = np.array([5.0, 4.0, 3.0, 2.0, 1.0])
    # User A: relevant at ranks 1 and 3, R = 2, k = 3: (P@1 + P@3) / min(3, 2) = (1 + 2/3) / 2 = 5/6.
    user_a = np.array([1, 0, 1, 0, 0])
    # User B: relevant at ranks 2 and 5, k = 3: only rank 2 counts: (1/2) / min(3, 2) = 1/4.
    user_b = np.array([0, 1, 0, 0, 1])
    # User C: R = 4 > k = 2, ranks 1 and 2 relevant: (1 + 1) / min(2, 4) = 1 (a perfect list).
    user_c = np.array([1, 1, 0, 1, 1])
    assert metrics.average_precision_at_k(user_a, scores, k=3) == pytest.approx(5 / 6)
    assert metrics.average_precision_at_k(user_b, scores, k=3) == pytest.approx(1 / 4)
    assert metrics.average_precision_at_k(user_c, scores, k=2) == pytest.approx(1.0)
    both = np.vstack([user_a, user_b])
    assert metrics.map_at_k(both, np.vstack([scores, scores]), k=3) == pytest.approx((5 / 6 + 1 / 4) / 2)
    # K beyond the list: the normaliser is min(K, R) = R, so this is AP over the whole list.
    assert metrics.average_precision_at_k(user_b, scores, k=50) == pytest.approx((1 / 2 + 2 / 5) / 2)
    # Ties: pessimistic puts the relevant items last among equal scores, optimistic first.
    assert metrics.average_precision_at_k([0, 1], [1.0, 1.0], k=2) == pytest.approx(1 / 2)
    assert metrics.average_precision_at_k([0, 1], [1.0, 1.0], k=2, ties="optimistic") == 1.0


def test_average_precision_at_full_length_matches_sklearn():
    # Without ties and with K covering the list, AP@K is scikit-learn's average precision.
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        n_candidates = int(rng.integers(2, 40))
        relevance = rng.integers(0, 2, size=n_candidates)
        relevance[0] = 1
        scores = rng.normal(size=n_candidates) + relevance
        assert metrics.average_precision_at_k(relevance, scores, k=n_candidates) == pytest.approx(
            sklearn.metrics.average_precision_score(relevance, scores), abs=1e-12
        )


def test_graded_ranking_metrics_per_user_means_are_the_metrics():
    relevance, scores = _graded_case(7)
    per_user = metrics.graded_ranking_metrics_per_user(relevance, scores, ks=(2, 5), gain="exponential")
    is_relevant = (relevance > 0).astype(int)
    for k in (2, 5):
        assert per_user[f"precision@{k}"].mean() == pytest.approx(metrics.precision_at_k(is_relevant, scores, k))
        assert per_user[f"ap@{k}"].mean() == pytest.approx(metrics.map_at_k(is_relevant, scores, k))
        assert per_user[f"dcg@{k}"].mean() == pytest.approx(metrics.dcg_at_k(relevance, scores, k, gain="exponential"))
        assert per_user[f"ndcg@{k}"].mean() == pytest.approx(
            metrics.ndcg_at_k(relevance, scores, k, gain="exponential")
        )
        assert per_user[f"ndcg@{k}"].shape == (relevance.shape[0],)
    # Recall@k by hand: 2 relevant items, one of them in the top 2.
    recall = metrics.graded_ranking_metrics_per_user([1, 0, 1], [3.0, 2.0, 1.0], ks=(2,))["recall@2"]
    np.testing.assert_allclose(recall, [0.5])


# --------------------------------------------------------------------------------------
# Group AUC
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("weighting", ["impressions", "uniform"])
def test_group_auc_matches_sklearn_per_user(weighting):
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        n_rows = int(rng.integers(20, 120))
        users = rng.integers(0, 8, size=n_rows)
        y_true = rng.integers(0, 2, size=n_rows)
        y_score = np.round(rng.random(n_rows) + 0.3 * y_true, 1)
        aucs, weights, skipped = [], [], 0
        for user in np.unique(users):
            rows = users == user
            if len(np.unique(y_true[rows])) < 2:
                skipped += 1
                continue
            aucs.append(sklearn.metrics.roc_auc_score(y_true[rows], y_score[rows]))
            weights.append(rows.sum() if weighting == "impressions" else 1)
        result = metrics.group_auc(y_true, y_score, users, weighting=weighting)
        assert result.value == pytest.approx(np.average(aucs, weights=weights), abs=1e-12)
        assert (result.n_groups_evaluated, result.n_groups_skipped) == (len(aucs), skipped)


def test_group_auc_by_hand():
    # User "a": AUC 1 over 4 impressions; user "b": AUC 0 over 2; user "c": only clicks, skipped.
    y_true = [1, 1, 0, 0, 1, 0, 1]
    y_score = [0.9, 0.8, 0.2, 0.1, 0.1, 0.9, 0.5]
    users = ["a", "a", "a", "a", "b", "b", "c"]
    result = metrics.group_auc(y_true, y_score, users)
    assert result.value == pytest.approx((4 * 1.0 + 2 * 0.0) / 6)
    assert (result.n_groups_evaluated, result.n_groups_skipped) == (2, 1)
    assert metrics.group_auc(y_true, y_score, users, weighting="uniform").value == pytest.approx(0.5)
    # All scores tied: chance level for every user.
    assert metrics.group_auc(y_true, [0.3] * 7, users).value == 0.5


# --------------------------------------------------------------------------------------
# Coverage, intra-list diversity, novelty
# --------------------------------------------------------------------------------------
def test_catalogue_coverage_by_hand():
    # Items 0, 1, 2 of 5 are recommended to someone.
    assert metrics.catalogue_coverage(np.array([[0, 1], [1, 2]]), n_items=5) == pytest.approx(3 / 5)
    # Lists of different lengths are accepted as a list of lists.
    assert metrics.catalogue_coverage([[4], [0, 1, 2, 3]], n_items=5) == 1.0


def test_intra_list_diversity_by_hand():
    # Item vectors: 0 = (1, 0), 1 = (0, 1), 2 = (1, 1). Cosines: cos(0,1) = 0,
    # cos(0,2) = cos(1,2) = 1/sqrt(2). List [0, 1, 2]: mean of 1, 1 - 1/sqrt(2) twice;
    # list [0, 2]: 1 - 1/sqrt(2). The result is the mean over the two lists.
    item_vectors = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    first = (1 + 2 * (1 - 1 / math.sqrt(2))) / 3
    second = 1 - 1 / math.sqrt(2)
    assert metrics.intra_list_diversity([[0, 1, 2], [0, 2]], item_vectors) == pytest.approx((first + second) / 2)
    # Items that point the same way (a vector and twice it) are not diverse at all.
    assert metrics.intra_list_diversity([[0, 1]], [[1.0, 2.0], [2.0, 4.0]]) == pytest.approx(0.0, abs=1e-12)


def test_novelty_by_hand():
    # -log2 p: p = 1/2 -> 1 bit, 1/4 -> 2, 1/8 -> 3, 1 -> 0.
    item_popularity = [0.5, 0.25, 0.125, 1.0]
    # Lists: [0, 1] -> 1.5 bits, [2, 3] -> 1.5, [1] -> 2; mean over users 5/3.
    assert metrics.novelty([[0, 1], [2, 3], [1]], item_popularity) == pytest.approx(5 / 3)
    assert metrics.novelty(np.array([[3]]), item_popularity) == 0.0


# --------------------------------------------------------------------------------------
# Errors on bad input: each names the argument
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: metrics.precision([0, 1], [0, 1], average="samples"), "average must be one of"),
        (lambda: metrics.precision([0, 1], [0, 1], labels=[0, 1]), "labels is only used"),
        (lambda: metrics.recall([0, 1, 2], [0, 1, 2]), "y_true must contain only 0 and 1"),
        (lambda: metrics.f1([0.5, 1.0], [0, 1], average="macro"), "y_true must hold integer or string"),
        (lambda: metrics.f1(["a", "b"], [0, 1], average="macro"), "y_true and y_pred must both hold strings"),
        (lambda: metrics.f1([], [], average="macro"), "y_true is empty"),
        (lambda: metrics.f1([0, 1, 2], [0, 1], average="macro"), "same length"),
        (lambda: metrics.f1([0, 1], [0, 1], average="macro", zero_division=2), "zero_division"),
        (
            lambda: metrics.confusion_matrix([0, 1, 2], [0, 1, 3], labels=[0, 1, 2]),
            "y_pred holds values that are not in labels",
        ),
        (lambda: metrics.confusion_matrix([0, 1], [0, 1], labels=[0, 0, 1]), "labels must not repeat"),
        (lambda: metrics.confusion_matrix([0, 1], [0, 1], labels=[[0, 1]]), "labels must be 1-D"),
        (lambda: metrics.precision_recall_curve([0, 0], [0.1, 0.2]), "y_true has no positives"),
        (lambda: metrics.average_precision([0, 0], [0.1, 0.2]), "y_true has no positives"),
        (lambda: metrics.average_precision([], []), "y_true is empty"),
        (lambda: metrics.average_precision([0, 1], [0.1, np.nan]), "y_score contains NaN"),
        (lambda: metrics.expected_calibration_error([0, 1], [0.2, 0.3], n_bins=0), "n_bins"),
        (lambda: metrics.expected_calibration_error([0, 1], [0.2, 1.5]), r"y_score must be probabilities"),
        (lambda: metrics.precision_at_k([[1, 0]], [[0.1, 0.2, 0.3]], 2), "y_score must have the shape"),
        (lambda: metrics.precision_at_k([[2, 0]], [[0.1, 0.2]], 1), "y_true must contain only 0 and 1"),
        (lambda: metrics.precision_at_k([[1, 0]], [[0.1, 0.2]], k=0), "k must be"),
        (lambda: metrics.precision_at_k([1, 0], [0.1, 0.2], 1, ties="random"), "ties must be"),
        (lambda: metrics.dcg_at_k([[-1, 0]], [[0.1, 0.2]], 1), "y_true must hold relevance values >= 0"),
        (lambda: metrics.dcg_at_k(np.zeros((2, 0)), np.zeros((2, 0)), 1), "y_true is empty"),
        (lambda: metrics.dcg_at_k(np.zeros((1, 1, 2)), np.zeros((1, 1, 2)), 1), "y_true must have shape"),
        (lambda: metrics.dcg_at_k([[1, 0]], [[0.1, np.nan]], 1), "y_score contains NaN"),
        (lambda: metrics.dcg_at_k([[1, 0]], [[0.1, 0.2]], 1, gain="log"), "gain must be"),
        (lambda: metrics.ndcg_at_k([[0, 0], [1, 2]], [[0.1, 0.2], [0.1, 0.2]], 1), "y_true row 0 has no relevant item"),
        (lambda: metrics.ndcg_at_k([[0, 1]], [[0.1, 0.2]], 1, gain="log"), "gain must be"),
        (lambda: metrics.map_at_k([[0, 0]], [[0.1, 0.2]], 1), "y_true row 0 has no relevant item"),
        (lambda: metrics.map_at_k([[1, 0]], [[0.1, 0.2]], 1, ties="average"), "ties='average' is not available"),
        (lambda: metrics.average_precision_at_k([[1, 0]], [[0.1, 0.2]], 1), "for many users use map_at_k"),
        (lambda: metrics.graded_ranking_metrics_per_user([1, 0], [0.1, 0.2], ks=()), "ks must hold"),
        (lambda: metrics.group_auc([0, 1], [0.1, 0.2], [1, 2, 3]), "groups must have the shape"),
        (lambda: metrics.group_auc([0, 1], [0.1, 0.2], [1, 2]), "no group in groups has both"),
        (lambda: metrics.group_auc([0, 1], [0.1, 0.2], [1, 1], weighting="clicks"), "weighting must be"),
        (lambda: metrics.group_auc([], [], []), "y_true is empty"),
        (lambda: metrics.catalogue_coverage([[0, 5]], 5), r"recommended\[0\] holds item indices outside"),
        (lambda: metrics.catalogue_coverage([[0, 0]], 5), "recommends an item twice"),
        (lambda: metrics.catalogue_coverage([], 5), "recommended is empty"),
        (lambda: metrics.catalogue_coverage([[0]], 0), "n_items must be"),
        (lambda: metrics.catalogue_coverage(np.array([0, 1]), 5), "recommended must be a 2-D array"),
        (lambda: metrics.catalogue_coverage([[0.5]], 5), "integer item indices"),
        (lambda: metrics.intra_list_diversity([[0]], [[1.0], [2.0]]), "needs >= 2"),
        (lambda: metrics.intra_list_diversity([[0, 1]], [[0.0, 0.0], [1.0, 0.0]]), "item_vectors has an all-zero row"),
        (lambda: metrics.intra_list_diversity([[0, 1]], [1.0, 2.0]), "item_vectors must be 2-D"),
        (lambda: metrics.novelty([[0, 1]], [0.0, 0.5]), "item_popularity is 0"),
        (lambda: metrics.novelty([[0, 1]], [2.0, 0.5]), "item_popularity must be probabilities"),
        (lambda: metrics.novelty([[0, 2]], [0.5, 0.5]), "outside 0..1"),
    ],
)
def test_bad_input_is_rejected(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_accuracy_takes_any_class_labels_like_scikit_learn():
    from sklearn.metrics import accuracy_score

    rng = np.random.default_rng(7)
    for seed in range(5):
        y_true = rng.integers(0, 4, size=50)
        y_pred = rng.integers(0, 4, size=50)
        assert metrics.accuracy(y_true, y_pred) == pytest.approx(accuracy_score(y_true, y_pred))
    words_true = np.array(["click", "save", "buy", "click"])
    words_pred = np.array(["click", "buy", "buy", "save"])
    assert metrics.accuracy(words_true, words_pred) == 0.5
    assert metrics.accuracy(words_true, words_pred) == metrics.f1(
        words_true, words_pred, average="micro", labels=["click", "save", "buy"]
    )
    with pytest.raises(ValueError, match="both hold strings or both hold integers"):
        metrics.accuracy(words_true, [0, 1, 2, 0])
    with pytest.raises(ValueError, match="y_true must hold integer or string class labels"):
        metrics.accuracy([0.5, 1.0], [0, 1])
    with pytest.raises(ValueError, match="y_true"):
        metrics.accuracy([], [])
