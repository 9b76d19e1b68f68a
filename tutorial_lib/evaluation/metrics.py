"""Evaluation metrics, one function each, written out by hand.

Every function takes the true labels first, then the model's output, with the same names
throughout:

``y_true``
    True labels, 0 or 1 (``1`` = the behaviour happened: a click, a purchase, a high rating).
``y_pred``
    Hard predictions, 0 or 1 (for accuracy, precision, recall, F1, the confusion matrix).
``y_score``
    Real-valued scores where higher means "more likely positive" (for ROC); for the
    probability metrics (log loss, Brier score, calibration) they must be probabilities in
    [0, 1].

Ranking metrics (:func:`hit_rate_at_k`, :func:`ndcg_at_k`, :func:`mrr`) evaluate the
*leave-one-out* protocol of the recommender chapters: for each user one held-out item is
hidden among candidate items (the other candidates are usually sampled items the user did
not interact with), the model scores all candidates, and we look at the rank of the held-out
item. There ``y_true`` and ``y_score`` have shape ``(n_users, n_candidates)`` and each row of
``y_true`` has exactly one 1. Results depend on the number of candidates: HR@10 among 100
candidates is not comparable with HR@10 among all items.

All results are plain Python floats (or NumPy arrays for curves).
"""

from __future__ import annotations

import numbers

import numpy as np

from tutorial_lib.validation import (
    as_label_vector,
    as_score_vector,
    check_binary_labels,
    check_choice,
    check_int,
    check_real,
    check_same_length,
)

__all__ = [
    "accuracy",
    "precision",
    "recall",
    "f1",
    "confusion_matrix",
    "roc_auc",
    "roc_curve",
    "log_loss",
    "brier_score",
    "calibration_curve",
    "rank_of_true_item",
    "hit_rate_at_k",
    "recall_at_k",
    "ndcg_at_k",
    "mrr",
    "ranking_metrics_per_user",
]

TIE_RULES = ("pessimistic", "optimistic", "average")


# --------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------
def _labels_and_predictions(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    labels = as_label_vector(y_true, name="y_true", dtype=np.int64)
    predictions = as_label_vector(y_pred, name="y_pred", dtype=np.int64)
    check_same_length(labels, predictions, "y_true", "y_pred")
    return labels, predictions


def _labels_and_scores(y_true, y_score, *, probabilities: bool) -> tuple[np.ndarray, np.ndarray]:
    labels = as_label_vector(y_true, name="y_true", dtype=np.int64)
    scores = as_score_vector(y_score, "y_score", probabilities=probabilities)
    check_same_length(labels, scores, "y_true", "y_score")
    return labels, scores


def _check_zero_division(zero_division) -> float:
    if isinstance(zero_division, bool) or not isinstance(zero_division, numbers.Real):
        raise ValueError(f"zero_division must be 0.0, 1.0 or np.nan, got {zero_division!r}.")
    if not (np.isnan(zero_division) or zero_division in (0, 1)):
        raise ValueError(f"zero_division must be 0.0, 1.0 or np.nan, got {zero_division!r}.")
    return float(zero_division)


# --------------------------------------------------------------------------------------
# Metrics on hard predictions
# --------------------------------------------------------------------------------------
def confusion_matrix(y_true, y_pred) -> np.ndarray:
    """The 2x2 table of counts ``[[TN, FP], [FN, TP]]``.

    Rows are the true class (0 then 1), columns the predicted class (0 then 1): the same
    layout as ``sklearn.metrics.confusion_matrix``. Both classes always get a row and a
    column, even if absent.

    Returns
    -------
    numpy.ndarray of int64, shape (2, 2)
    """
    labels, predictions = _labels_and_predictions(y_true, y_pred)
    # Each (true, predicted) pair maps to one cell: 2 * true + predicted in 0..3.
    counts = np.bincount(2 * labels + predictions, minlength=4)
    return counts.reshape(2, 2)


def accuracy(y_true, y_pred) -> float:
    """Fraction of predictions equal to the label: ``(TP + TN) / n``."""
    labels, predictions = _labels_and_predictions(y_true, y_pred)
    return float(np.mean(labels == predictions))


def precision(y_true, y_pred, *, zero_division: float = 0.0) -> float:
    """Of the examples predicted positive, the fraction that are positive: ``TP / (TP + FP)``.

    Parameters
    ----------
    zero_division : {0.0, 1.0, np.nan}, default 0.0
        Returned, without a warning, when nothing is predicted positive (``TP + FP = 0``).
        scikit-learn returns 0.0 in that case too, but warns unless told otherwise.
    """
    zero_division = _check_zero_division(zero_division)
    (_, false_positives), (_, true_positives) = confusion_matrix(y_true, y_pred)
    predicted_positive = true_positives + false_positives
    return zero_division if predicted_positive == 0 else float(true_positives / predicted_positive)


def recall(y_true, y_pred, *, zero_division: float = 0.0) -> float:
    """Of the positive examples, the fraction predicted positive: ``TP / (TP + FN)``.

    Parameters
    ----------
    zero_division : {0.0, 1.0, np.nan}, default 0.0
        Returned when ``y_true`` has no positives (``TP + FN = 0``).
    """
    zero_division = _check_zero_division(zero_division)
    (_, _), (false_negatives, true_positives) = confusion_matrix(y_true, y_pred)
    actual_positive = true_positives + false_negatives
    return zero_division if actual_positive == 0 else float(true_positives / actual_positive)


def f1(y_true, y_pred, *, zero_division: float = 0.0) -> float:
    """Harmonic mean of precision and recall: ``2 TP / (2 TP + FP + FN)``.

    Written with counts, the formula needs no special case when only one of precision and
    recall is undefined (it is 0 whenever ``TP = 0`` and there is any error).

    Parameters
    ----------
    zero_division : {0.0, 1.0, np.nan}, default 0.0
        Returned when there are no positives at all, predicted or true
        (``2 TP + FP + FN = 0``), as in scikit-learn.
    """
    zero_division = _check_zero_division(zero_division)
    (_, false_positives), (false_negatives, true_positives) = confusion_matrix(y_true, y_pred)
    denominator = 2 * true_positives + false_positives + false_negatives
    return zero_division if denominator == 0 else float(2 * true_positives / denominator)


# --------------------------------------------------------------------------------------
# Metrics on scores
# --------------------------------------------------------------------------------------
def _average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n of ``values`` (smallest = 1); tied values share the mean of their ranks."""
    _, group_of_value, group_sizes = np.unique(values, return_inverse=True, return_counts=True)
    last_rank_in_group = np.cumsum(group_sizes)
    mean_rank_in_group = last_rank_in_group - (group_sizes - 1) / 2.0
    return mean_rank_in_group[group_of_value]


def roc_auc(y_true, y_score) -> float:
    """Area under the ROC curve, computed from ranks (the Mann-Whitney U statistic).

    AUC is the probability that a randomly chosen positive gets a higher score than a
    randomly chosen negative, with a tie counted as one half::

        AUC = (R_pos - n_pos (n_pos + 1) / 2) / (n_pos n_neg)

    where ``R_pos`` is the sum of the ranks (1 = lowest score, ties given their mean rank)
    of the positives. This equals the trapezoid area under :func:`roc_curve`.

    Raises
    ------
    ValueError
        If ``y_true`` contains only one class (AUC is undefined).
    """
    labels, scores = _labels_and_scores(y_true, y_score, probabilities=False)
    n_positive = int(labels.sum())
    n_negative = labels.size - n_positive
    if n_positive == 0 or n_negative == 0:
        raise ValueError("y_true contains only one class; ROC AUC needs both positives and negatives.")
    rank_sum_positive = _average_ranks(scores)[labels == 1].sum()
    u_statistic = rank_sum_positive - n_positive * (n_positive + 1) / 2.0
    return float(u_statistic / (n_positive * n_negative))


def roc_curve(y_true, y_score) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points of the ROC curve: one per distinct score, used as a threshold.

    Predicting positive when ``score >= threshold`` and lowering the threshold through every
    distinct score gives the points ``(FPR, TPR)``; the first threshold is ``+inf`` (nothing
    predicted positive), so the curve starts at ``(0, 0)`` and ends at ``(1, 1)``. This is
    ``sklearn.metrics.roc_curve(..., drop_intermediate=False)``.

    Returns
    -------
    fpr : numpy.ndarray, shape (n_distinct_scores + 1,)
        False positive rate ``FP / n_neg``, non-decreasing.
    tpr : numpy.ndarray, shape (n_distinct_scores + 1,)
        True positive rate (recall) ``TP / n_pos``, non-decreasing.
    thresholds : numpy.ndarray, shape (n_distinct_scores + 1,)
        Decreasing, starting with ``inf``.
    """
    labels, scores = _labels_and_scores(y_true, y_score, probabilities=False)
    n_positive = int(labels.sum())
    n_negative = labels.size - n_positive
    if n_positive == 0 or n_negative == 0:
        raise ValueError("y_true contains only one class; the ROC curve needs both positives and negatives.")
    order = np.argsort(-scores, kind="stable")  # highest score first
    sorted_scores = scores[order]
    sorted_labels = labels[order]
    true_positives = np.cumsum(sorted_labels)
    false_positives = np.cumsum(1 - sorted_labels)
    # Keep only the last position of each run of equal scores: tied examples cross the
    # threshold together.
    last_of_tie_group = np.r_[sorted_scores[1:] != sorted_scores[:-1], True]
    tpr = np.r_[0.0, true_positives[last_of_tie_group] / n_positive]
    fpr = np.r_[0.0, false_positives[last_of_tie_group] / n_negative]
    thresholds = np.r_[np.inf, sorted_scores[last_of_tie_group]]
    return fpr, tpr, thresholds


def log_loss(y_true, y_score, *, eps: float | None = None) -> float:
    """Mean binary cross-entropy (natural log) of predicted probabilities.

    ``-mean_i [ y_i log p_i + (1 - y_i) log(1 - p_i) ]`` with ``p = y_score`` first clipped to
    ``[eps, 1 - eps]``, so that a confident wrong prediction costs ``-log(eps)`` (about 36
    for float64) instead of infinity.

    Parameters
    ----------
    y_score : array_like, shape (n_samples,)
        Probabilities of the positive class, in [0, 1].
    eps : float or None, default None
        Clipping bound in (0, 0.5). None uses float64's machine epsilon (2.2e-16), as
        scikit-learn (>= 1.5) does.
    """
    labels, probabilities = _labels_and_scores(y_true, y_score, probabilities=True)
    if eps is None:
        eps = float(np.finfo(np.float64).eps)
    eps = check_real(eps, "eps", min_val=0, max_val=0.5, include_boundaries="neither")
    clipped = np.clip(probabilities, eps, 1.0 - eps)
    per_example = -(labels * np.log(clipped) + (1 - labels) * np.log1p(-clipped))
    return float(per_example.mean())


def brier_score(y_true, y_score) -> float:
    """Mean squared error of predicted probabilities: ``mean_i (p_i - y_i)^2``, in [0, 1].

    0 is perfect; always predicting 0.5 scores 0.25.
    """
    labels, probabilities = _labels_and_scores(y_true, y_score, probabilities=True)
    return float(np.mean((probabilities - labels) ** 2))


def calibration_curve(y_true, y_score, *, n_bins: int = 10) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reliability diagram data: mean predicted probability vs. observed frequency per bin.

    ``[0, 1]`` is cut into ``n_bins`` bins of equal width. A probability equal to an inner
    edge goes to the lower bin (so bins are ``[0, 0.1], (0.1, 0.2], ...``), the convention of
    ``sklearn.calibration.calibration_curve(strategy="uniform")``. Empty bins are dropped.
    For a calibrated model the two returned curves agree.

    Note the order of the outputs: scikit-learn returns ``(prob_true, prob_pred)``; this
    function returns the x-axis first.

    Returns
    -------
    mean_predicted : numpy.ndarray, shape (n_nonempty_bins,)
        Mean of ``y_score`` in each non-empty bin (the x-axis of the diagram).
    observed_frequency : numpy.ndarray, shape (n_nonempty_bins,)
        Fraction of positives in each non-empty bin (the y-axis).
    counts : numpy.ndarray of int64, shape (n_nonempty_bins,)
        Number of examples in each non-empty bin.
    """
    labels, probabilities = _labels_and_scores(y_true, y_score, probabilities=True)
    n_bins = check_int(n_bins, "n_bins", min_val=1)
    bin_edges = np.linspace(0.0, 1.0, n_bins + 1)
    inner_edges = bin_edges[1:-1]
    # side="left": a value equal to an edge lands in the bin below it.
    bin_index = np.searchsorted(inner_edges, probabilities, side="left")
    counts = np.bincount(bin_index, minlength=n_bins)
    score_sums = np.bincount(bin_index, weights=probabilities, minlength=n_bins)
    positive_counts = np.bincount(bin_index, weights=labels, minlength=n_bins)
    non_empty = counts > 0
    mean_predicted = score_sums[non_empty] / counts[non_empty]
    observed_frequency = positive_counts[non_empty] / counts[non_empty]
    return mean_predicted, observed_frequency, counts[non_empty].astype(np.int64)


# --------------------------------------------------------------------------------------
# Ranking metrics: one held-out item per user
# --------------------------------------------------------------------------------------
def _check_candidates(y_true, y_score) -> tuple[np.ndarray, np.ndarray]:
    """Validate the (n_users, n_candidates) label and score matrices of the ranking metrics."""
    relevance = np.asarray(y_true)
    scores = np.asarray(y_score)
    if relevance.ndim != 2:
        raise ValueError(
            f"y_true must be 2-D with shape (n_users, n_candidates), got shape {relevance.shape}. "
            "For a single user use y_true.reshape(1, -1)."
        )
    if scores.shape != relevance.shape:
        raise ValueError(f"y_score must have the shape of y_true {relevance.shape}, got {scores.shape}.")
    if relevance.size == 0:
        raise ValueError("y_true is empty.")
    check_binary_labels(relevance, "y_true")
    relevant_per_row = relevance.sum(axis=1)
    if not np.all(relevant_per_row == 1):
        bad_row = int(np.flatnonzero(relevant_per_row != 1)[0])
        raise ValueError(
            "each row of y_true must mark exactly one held-out item with 1 "
            f"(row {bad_row} has {int(relevant_per_row[bad_row])})."
        )
    if scores.dtype.kind not in "biuf":
        raise ValueError(f"y_score must hold numbers, got dtype {scores.dtype}.")
    scores = scores.astype(np.float64)
    if not np.all(np.isfinite(scores)):
        raise ValueError("y_score contains NaN or infinite values.")
    return relevance.astype(bool), scores


def _check_k(k) -> int:
    return check_int(k, "k", min_val=1)


def _check_exclude(exclude, relevance: np.ndarray) -> np.ndarray:
    """Validate the (n_users, n_candidates) mask of candidates that are not ranked."""
    excluded = np.asarray(exclude)
    if excluded.shape != relevance.shape or excluded.dtype != bool:
        raise ValueError(
            f"exclude must be a boolean array of the shape of y_true {relevance.shape}, "
            f"got {excluded.dtype} of shape {excluded.shape}."
        )
    if np.any(excluded & relevance):
        bad_row = int(np.flatnonzero((excluded & relevance).any(axis=1))[0])
        raise ValueError(f"exclude must never mark the held-out item (it does in row {bad_row}).")
    return excluded


def _rank_bounds(y_true, y_score, exclude=None) -> tuple[np.ndarray, np.ndarray]:
    """Best and worst possible rank (1 = top) of each row's held-out item, given ties.

    ``best = 1 + (number of other candidates scored strictly higher)``;
    ``worst = best + (number of other candidates with exactly the same score)``.
    Candidates marked in ``exclude`` are not counted.
    """
    relevance, scores = _check_candidates(y_true, y_score)
    ranked_others = ~relevance if exclude is None else ~(relevance | _check_exclude(exclude, relevance))
    true_item_score = scores[relevance]  # one per row, shape (n_users,)
    n_higher = ((scores > true_item_score[:, None]) & ranked_others).sum(axis=1)
    n_tied_others = ((scores == true_item_score[:, None]) & ranked_others).sum(axis=1)
    best_rank = 1 + n_higher
    return best_rank, best_rank + n_tied_others


def _check_ties(ties: str) -> str:
    return check_choice(ties, "ties", TIE_RULES)


def _rank_under_rule(best_rank: np.ndarray, worst_rank: np.ndarray, ties: str) -> np.ndarray:
    """The rank the tie rule gives: worst (pessimistic), best (optimistic) or their mean."""
    if ties == "pessimistic":
        return worst_rank.astype(np.int64)
    if ties == "optimistic":
        return best_rank.astype(np.int64)
    return (best_rank + worst_rank) / 2.0


def _gain_per_user(gain_at_rank: np.ndarray, best_rank: np.ndarray, worst_rank: np.ndarray, ties: str) -> np.ndarray:
    """Each user's gain under the chosen tie rule, shape ``(n_users,)``.

    ``gain_at_rank[r - 1]`` is the gain of the held-out item at rank ``r``.
    ``"pessimistic"`` uses the worst rank, ``"optimistic"`` the best; ``"average"`` averages
    the gain over every rank from best to worst, which is its expected value when ties are
    broken at random.
    """
    if ties == "pessimistic":
        return gain_at_rank[worst_rank - 1]
    if ties == "optimistic":
        return gain_at_rank[best_rank - 1]
    cumulative_gain = np.r_[0.0, np.cumsum(gain_at_rank)]  # cumulative_gain[r] = sum of gains at ranks 1..r
    gain_over_tied_ranks = cumulative_gain[worst_rank] - cumulative_gain[best_rank - 1]
    return gain_over_tied_ranks / (worst_rank - best_rank + 1)


def _mean_gain(gain_at_rank: np.ndarray, best_rank: np.ndarray, worst_rank: np.ndarray, ties: str) -> float:
    """Average over users of a per-rank gain, under the chosen tie rule (see _gain_per_user)."""
    return float(_gain_per_user(gain_at_rank, best_rank, worst_rank, ties).mean())


def rank_of_true_item(y_true, y_score, *, ties: str = "pessimistic") -> np.ndarray:
    """Rank (1 = highest score) of each user's held-out item among its candidates.

    Parameters
    ----------
    y_true : array_like, shape (n_users, n_candidates)
        1 for the held-out item, 0 for the other candidates; exactly one 1 per row.
    y_score : array_like, shape (n_users, n_candidates)
        The model's scores for the same candidates (higher = recommended first).
    ties : {"pessimistic", "optimistic", "average"}, default "pessimistic"
        ``"pessimistic"``: the held-out item is placed *below* every candidate with the same
        score, so a model that gives every item the same score ranks it last instead of
        first. ``"optimistic"``: placed above them (such a model would rank it first: this
        rule flatters, and is here to show by how much). ``"average"``: the mean of the best
        and worst possible rank.

    Returns
    -------
    numpy.ndarray, shape (n_users,)
        int64 ranks for ``"pessimistic"`` and ``"optimistic"``, float64 for ``"average"``
        (may end in .5).
    """
    best_rank, worst_rank = _rank_bounds(y_true, y_score)
    return _rank_under_rule(best_rank, worst_rank, _check_ties(ties))


def hit_rate_at_k(y_true, y_score, k: int, *, ties: str = "pessimistic") -> float:
    """HR@k: fraction of users whose held-out item is among the top ``k`` candidates.

    ``HR@k = mean_u 1[rank_u <= k]``. With one held-out item per user this is also recall@k.

    Parameters
    ----------
    y_true, y_score : array_like, shape (n_users, n_candidates)
        See :func:`rank_of_true_item`.
    k : int
        Length of the recommendation list, >= 1 (``k >= n_candidates`` gives 1.0).
    ties : {"pessimistic", "optimistic", "average"}, default "pessimistic"
        ``"pessimistic"``: the held-out item ranks below candidates with an equal score;
        ``"optimistic"``: above them. ``"average"``: the expected value when ties are
        broken uniformly at random.
    """
    k = _check_k(k)
    best_rank, worst_rank = _rank_bounds(y_true, y_score)
    n_candidates = np.asarray(y_true).shape[1]
    ranks = np.arange(1, n_candidates + 1)
    hit_at_rank = (ranks <= k).astype(np.float64)
    return _mean_gain(hit_at_rank, best_rank, worst_rank, _check_ties(ties))


def recall_at_k(y_true, y_score, k: int, *, ties: str = "pessimistic") -> float:
    """Recall@k: share of each user's relevant items found in the top ``k``, averaged.

    With one held-out item per user (the only case these functions accept) the share is 1
    or 0, so recall@k *equals* :func:`hit_rate_at_k`; both names are kept because papers
    report either. Arguments as in :func:`hit_rate_at_k`.
    """
    return hit_rate_at_k(y_true, y_score, k, ties=ties)


def ndcg_at_k(y_true, y_score, k: int, *, ties: str = "pessimistic") -> float:
    """NDCG@k with binary relevance and a log2 discount, for one held-out item per user.

    ``DCG@k = sum over positions r <= k of rel_r / log2(r + 1)``. With one relevant item the
    ideal DCG is ``1 / log2(2) = 1``, so per user ``NDCG@k = 1 / log2(rank + 1)`` if
    ``rank <= k`` and 0 otherwise; the result is the mean over users. Rank 1 gives 1.0,
    rank 3 gives ``1 / log2(4) = 0.5``.

    Parameters
    ----------
    y_true, y_score : array_like, shape (n_users, n_candidates)
        See :func:`rank_of_true_item`.
    k : int
        Cut-off, >= 1.
    ties : {"pessimistic", "optimistic", "average"}, default "pessimistic"
        ``"average"`` is the expected value under random tie-breaking, which is also what
        ``sklearn.metrics.ndcg_score`` computes.
    """
    k = _check_k(k)
    best_rank, worst_rank = _rank_bounds(y_true, y_score)
    n_candidates = np.asarray(y_true).shape[1]
    ranks = np.arange(1, n_candidates + 1)
    discounted_gain_at_rank = np.where(ranks <= k, 1.0 / np.log2(ranks + 1), 0.0)
    return _mean_gain(discounted_gain_at_rank, best_rank, worst_rank, _check_ties(ties))


def mrr(y_true, y_score, *, ties: str = "pessimistic") -> float:
    """Mean reciprocal rank: ``mean_u 1 / rank_u`` of each user's held-out item (no cut-off).

    Parameters
    ----------
    y_true, y_score : array_like, shape (n_users, n_candidates)
        See :func:`rank_of_true_item`.
    ties : {"pessimistic", "optimistic", "average"}, default "pessimistic"
        ``"pessimistic"`` equals ``sklearn.metrics.label_ranking_average_precision_score``
        for one relevant item per row; ``"average"`` is the expected value under random
        tie-breaking.
    """
    best_rank, worst_rank = _rank_bounds(y_true, y_score)
    n_candidates = np.asarray(y_true).shape[1]
    reciprocal_rank = 1.0 / np.arange(1, n_candidates + 1)
    return _mean_gain(reciprocal_rank, best_rank, worst_rank, _check_ties(ties))


def ranking_metrics_per_user(
    y_true, y_score, ks=(10,), *, ties: str = "pessimistic", exclude=None
) -> dict[str, np.ndarray]:
    """Every ranking metric above, one value per user, for several cut-offs at once.

    The means of the returned arrays are :func:`mrr`, :func:`hit_rate_at_k`,
    :func:`recall_at_k` and :func:`ndcg_at_k` under the same ``ties`` rule; keeping the
    per-user values allows bootstrap intervals and paired tests
    (:mod:`tutorial_lib.evaluation.uncertainty`).

    Parameters
    ----------
    y_true, y_score : array_like, shape (n_users, n_candidates)
        See :func:`rank_of_true_item`.
    ks : sequence of int, default (10,)
        Cut-offs, each >= 1; a cut-off at or above the number of ranked candidates puts
        every candidate in the list (HR = 1).
    ties : {"pessimistic", "optimistic", "average"}, default "pessimistic"
    exclude : array_like of bool, shape (n_users, n_candidates), optional
        True for candidates that are not ranked at all, e.g. the items a user already
        interacted with in full ranking. Must be False at the held-out item.

    Returns
    -------
    dict of str to numpy.ndarray, each shape (n_users,)
        ``"rank"`` (as :func:`rank_of_true_item`), ``"mrr"`` (the reciprocal rank
        ``1 / rank``; its mean is MRR), and for each ``k``: ``"hr@k"``, ``"recall@k"``
        (equal to ``"hr@k"``) and ``"ndcg@k"``.
    """
    ks = [_check_k(k) for k in ks]
    if not ks:
        raise ValueError("ks must hold at least one cut-off.")
    ties = _check_ties(ties)
    best_rank, worst_rank = _rank_bounds(y_true, y_score, exclude)
    ranks = np.arange(1, np.asarray(y_true).shape[1] + 1)
    per_user = {"rank": _rank_under_rule(best_rank, worst_rank, ties), "mrr": _gain_per_user(1.0 / ranks, best_rank, worst_rank, ties)}
    for k in ks:
        hit = _gain_per_user((ranks <= k).astype(np.float64), best_rank, worst_rank, ties)
        per_user[f"hr@{k}"] = hit
        per_user[f"recall@{k}"] = hit.copy()
        discounted_gain = np.where(ranks <= k, 1.0 / np.log2(ranks + 1), 0.0)
        per_user[f"ndcg@{k}"] = _gain_per_user(discounted_gain, best_rank, worst_rank, ties)
    return per_user
