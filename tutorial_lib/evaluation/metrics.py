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

The later sections add: multi-class labels (``labels=`` in :func:`confusion_matrix`,
``average=`` in :func:`precision`, :func:`recall` and :func:`f1`); the precision-recall
curve, average precision and expected calibration error; ranking metrics for lists with any
number of relevant items and graded relevance (:func:`precision_at_k`, :func:`map_at_k`,
:func:`dcg_at_k`, and :func:`ndcg_at_k` on such lists), where ``y_true`` holds each
candidate's relevance, shape ``(n_candidates,)`` for one user or ``(n_users, n_candidates)``;
group AUC; and what the recommended lists contain (coverage, intra-list diversity, novelty).

All results are plain Python floats (or NumPy arrays for curves).
"""

from __future__ import annotations

import dataclasses
import numbers

import numpy as np
import scipy.sparse

from tutorial_lib.validation import (
    as_feature_matrix,
    as_label_vector,
    as_score_vector,
    as_vector,
    check_binary_labels,
    check_choice,
    check_int,
    check_positive_int,
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
    # Multi-class averages, curves and calibration error
    "AVERAGES",
    "precision_recall_curve",
    "average_precision",
    "expected_calibration_error",
    # Ranking lists with any number of relevant items, graded relevance
    "GAINS",
    "precision_at_k",
    "average_precision_at_k",
    "map_at_k",
    "dcg_at_k",
    "graded_ranking_metrics_per_user",
    "WEIGHTINGS",
    "GroupAUCResult",
    "group_auc",
    # Beyond accuracy: what the lists contain
    "catalogue_coverage",
    "intra_list_diversity",
    "novelty",
    # Rating prediction
    "rmse",
    "mae",
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
def confusion_matrix(y_true, y_pred, *, labels=None) -> np.ndarray:
    """The 2x2 table of counts ``[[TN, FP], [FN, TP]]``.

    Rows are the true class (0 then 1), columns the predicted class (0 then 1): the same
    layout as ``sklearn.metrics.confusion_matrix``. Both classes always get a row and a
    column, even if absent.

    Parameters
    ----------
    labels : array_like, shape (n_classes,), optional
        For multi-class labels: the classes, in the order of the rows and columns.
        Row ``i`` counts the examples whose true class is ``labels[i]``, column ``j`` those
        predicted ``labels[j]``; every value of ``y_true`` and ``y_pred`` must be in
        ``labels`` (integers or strings). None: binary 0/1 labels, the 2x2 table.

    Returns
    -------
    numpy.ndarray of int64, shape (2, 2), or (n_classes, n_classes) with ``labels``
    """
    if labels is not None:
        return _multiclass_confusion_matrix(y_true, y_pred, labels)
    labels, predictions = _labels_and_predictions(y_true, y_pred)
    # Each (true, predicted) pair maps to one cell: 2 * true + predicted in 0..3.
    counts = np.bincount(2 * labels + predictions, minlength=4)
    return counts.reshape(2, 2)


def accuracy(y_true, y_pred) -> float:
    """Fraction of predictions equal to the label: ``(TP + TN) / n`` for 0/1 labels.

    Any class labels work, integers or strings, with any number of classes: the result is
    the share of positions where ``y_pred`` equals ``y_true`` (with one label per example,
    also the micro-averaged precision, recall and F1), as ``sklearn.metrics.accuracy_score``.

    Parameters
    ----------
    y_true, y_pred : array_like, shape (n_samples,)
        Both integers or both strings.
    """
    labels = _as_class_labels(y_true, "y_true")
    predictions = _as_class_labels(y_pred, "y_pred")
    check_same_length(labels, predictions, "y_true", "y_pred")
    if (labels.dtype.kind == "U") != (predictions.dtype.kind == "U"):
        raise ValueError("y_true and y_pred must both hold strings or both hold integers.")
    return float(np.mean(labels == predictions))


def precision(y_true, y_pred, *, average: str = "binary", labels=None, zero_division: float = 0.0) -> float:
    """Of the examples predicted positive, the fraction that are positive: ``TP / (TP + FP)``.

    Parameters
    ----------
    zero_division : {0.0, 1.0, np.nan}, default 0.0
        Returned, without a warning, when nothing is predicted positive (``TP + FP = 0``).
        scikit-learn returns 0.0 in that case too, but warns unless told otherwise.
    average : {"binary", "macro", "micro", "weighted"}, default "binary"
        ``"binary"``: the formula above, for 0/1 labels with 1 the positive class. The
        others work for any number of classes, each class in turn playing "positive":

        - ``"macro"``: the unweighted mean of the per-class scores; every class counts
          the same, so rare classes weigh as much as frequent ones.
        - ``"weighted"``: the mean of the per-class scores weighted by each class's
          support (its number of true examples); a weighted F1 need not lie between
          the weighted precision and the weighted recall.
        - ``"micro"``: the score of the counts summed over classes
          (``sum TP / sum (TP + FP)``); with one label per example and every class in
          ``labels`` it equals accuracy, for precision, recall and F1 alike.

        A class whose score is 0/0 gets ``zero_division``; with ``np.nan`` it is left out
        of the macro and weighted means, as in scikit-learn.
    labels : array_like, shape (n_classes,), optional
        The classes, integers or strings (multi-class averages only); every value of
        ``y_true`` and ``y_pred`` must be among them. None: the classes found in
        ``y_true`` or ``y_pred``, sorted. A class listed but absent from both gets
        ``zero_division`` and still counts in the macro mean.
    """
    if average != "binary" or labels is not None:
        return _multiclass_score("precision", y_true, y_pred, average, labels, zero_division)
    zero_division = _check_zero_division(zero_division)
    (_, false_positives), (_, true_positives) = confusion_matrix(y_true, y_pred)
    predicted_positive = true_positives + false_positives
    return zero_division if predicted_positive == 0 else float(true_positives / predicted_positive)


def recall(y_true, y_pred, *, average: str = "binary", labels=None, zero_division: float = 0.0) -> float:
    """Of the positive examples, the fraction predicted positive: ``TP / (TP + FN)``.

    Parameters
    ----------
    zero_division : {0.0, 1.0, np.nan}, default 0.0
        Returned when ``y_true`` has no positives (``TP + FN = 0``).
    average, labels
        As in :func:`precision`.
    """
    if average != "binary" or labels is not None:
        return _multiclass_score("recall", y_true, y_pred, average, labels, zero_division)
    zero_division = _check_zero_division(zero_division)
    (_, _), (false_negatives, true_positives) = confusion_matrix(y_true, y_pred)
    actual_positive = true_positives + false_negatives
    return zero_division if actual_positive == 0 else float(true_positives / actual_positive)


def f1(y_true, y_pred, *, average: str = "binary", labels=None, zero_division: float = 0.0) -> float:
    """Harmonic mean of precision and recall: ``2 TP / (2 TP + FP + FN)``.

    Written with counts, the formula needs no special case when only one of precision and
    recall is undefined (it is 0 whenever ``TP = 0`` and there is any error).

    Parameters
    ----------
    zero_division : {0.0, 1.0, np.nan}, default 0.0
        Returned when there are no positives at all, predicted or true
        (``2 TP + FP + FN = 0``), as in scikit-learn.
    average, labels
        As in :func:`precision`.
    """
    if average != "binary" or labels is not None:
        return _multiclass_score("f1", y_true, y_pred, average, labels, zero_division)
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


def ndcg_at_k(y_true, y_score, k: int, *, ties: str = "pessimistic", gain: str = "linear") -> float:
    """NDCG@k with binary relevance and a log2 discount, for one held-out item per user.

    Any other ``y_true`` (several relevant items per row, graded relevance, or one user's
    list of shape ``(n_candidates,)``) is computed by the graded definition: per user
    ``NDCG@k = DCG@k / IDCG@k``, with :func:`dcg_at_k` and the ideal DCG of the same
    relevance values sorted best first; the mean over users is returned. A user with no
    relevant item (IDCG = 0) raises an error. On one held-out item per row both
    definitions give the same number (the tests check it).

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
    gain : {"linear", "exponential"}, default "linear"
        See :func:`dcg_at_k`; with 0/1 relevance both give the same result.
    """
    _check_gain(gain)
    if not _has_one_held_out_item_per_row(y_true):
        return _graded_ndcg_at_k(y_true, y_score, k, ties=ties, gain=gain)
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


# ======================================================================================
# Multi-class labels: confusion matrix and the averages of precision, recall and F1
# ======================================================================================
AVERAGES = ("binary", "macro", "micro", "weighted")


def _as_class_labels(values, name: str) -> np.ndarray:
    """Return ``values`` as a 1-D array of integer or string class labels, shape ``(n,)``."""
    array = as_vector(values, name)
    if array.dtype.kind == "O" and all(isinstance(value, str) for value in array):
        array = array.astype(str)
    if array.dtype.kind not in "biuU":
        raise ValueError(
            f"{name} must hold integer or string class labels, got dtype {array.dtype}; "
            "convert float labels with .astype(int)."
        )
    return array


def _class_indices(values: np.ndarray, classes: np.ndarray, name: str) -> np.ndarray:
    """Position in ``classes`` of each value, shape ``(n,)``; raise for a value not in it."""
    if (values.dtype.kind == "U") != (classes.dtype.kind == "U"):
        raise ValueError(f"{name} and labels must both hold strings or both hold integers.")
    order = np.argsort(classes)
    sorted_classes = classes[order]
    positions = np.clip(np.searchsorted(sorted_classes, values), 0, len(classes) - 1)
    found = sorted_classes[positions] == values
    if not np.all(found):
        missing = np.unique(values[~found])[:5]
        raise ValueError(f"{name} holds values that are not in labels, e.g. {missing.tolist()}.")
    return order[positions]


def _classes_and_indices(y_true, y_pred, labels) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The classes, and the class index of each true and predicted label, each shape ``(n,)``."""
    true_labels = _as_class_labels(y_true, "y_true")
    predicted_labels = _as_class_labels(y_pred, "y_pred")
    check_same_length(true_labels, predicted_labels, "y_true", "y_pred")
    if labels is None:
        if (true_labels.dtype.kind == "U") != (predicted_labels.dtype.kind == "U"):
            raise ValueError("y_true and y_pred must both hold strings or both hold integers.")
        classes = np.unique(np.concatenate([true_labels, predicted_labels]))
    else:
        classes = _as_class_labels(labels, "labels")
        if len(np.unique(classes)) != len(classes):
            raise ValueError(f"labels must not repeat a class, got {classes.tolist()}.")
    true_index = _class_indices(true_labels, classes, "y_true")
    predicted_index = _class_indices(predicted_labels, classes, "y_pred")
    return classes, true_index, predicted_index


def _multiclass_confusion_matrix(y_true, y_pred, labels) -> np.ndarray:
    """Counts of (true class, predicted class), shape ``(n_classes, n_classes)``, int64.

    ``matrix[i, j]`` counts the examples of true class ``labels[i]`` predicted as
    ``labels[j]``; the diagonal holds the correct predictions.
    """
    classes, true_index, predicted_index = _classes_and_indices(y_true, y_pred, labels)
    n_classes = len(classes)
    counts = np.bincount(n_classes * true_index + predicted_index, minlength=n_classes * n_classes)
    return counts.reshape(n_classes, n_classes).astype(np.int64)


def _ratio_or_zero_division(numerator: np.ndarray, denominator: np.ndarray, zero_division: float) -> np.ndarray:
    """``numerator / denominator`` elementwise, ``zero_division`` where the denominator is 0."""
    ratio = np.full(numerator.shape, zero_division, dtype=np.float64)
    defined = denominator > 0
    ratio[defined] = numerator[defined] / denominator[defined]
    return ratio


def _score_from_counts(score: str, true_positives, false_positives, false_negatives, zero_division: float):
    """Precision, recall or F1 from counts (arrays of any one shape)."""
    true_positives = np.asarray(true_positives, dtype=np.float64)
    false_positives = np.asarray(false_positives, dtype=np.float64)
    false_negatives = np.asarray(false_negatives, dtype=np.float64)
    if score == "precision":
        return _ratio_or_zero_division(true_positives, true_positives + false_positives, zero_division)
    if score == "recall":
        return _ratio_or_zero_division(true_positives, true_positives + false_negatives, zero_division)
    return _ratio_or_zero_division(
        2 * true_positives, 2 * true_positives + false_positives + false_negatives, zero_division
    )


def _multiclass_score(score: str, y_true, y_pred, average: str, labels, zero_division) -> float:
    """Macro, micro or weighted precision, recall or F1 (``score``); see :func:`precision`.

    From the confusion matrix ``C`` (rows true, columns predicted), for each class ``c``:
    ``TP_c = C[c, c]``, ``FP_c = sum of column c - TP_c``, ``FN_c = sum of row c - TP_c``
    and the support ``sum of row c``.
    """
    if average not in AVERAGES:
        raise ValueError(f"average must be one of {AVERAGES}, got {average!r}.")
    if average == "binary":
        raise ValueError(
            "labels is only used with average='macro', 'micro' or 'weighted'; "
            "average='binary' always uses the labels 0 and 1."
        )
    zero_division = _check_zero_division(zero_division)
    matrix = _multiclass_confusion_matrix(y_true, y_pred, labels)
    true_positives = np.diag(matrix)
    false_positives = matrix.sum(axis=0) - true_positives
    false_negatives = matrix.sum(axis=1) - true_positives
    if average == "micro":
        pooled = _score_from_counts(
            score, true_positives.sum(), false_positives.sum(), false_negatives.sum(), zero_division
        )
        return float(pooled)
    per_class = _score_from_counts(score, true_positives, false_positives, false_negatives, zero_division)
    weights = np.ones(len(per_class)) if average == "macro" else matrix.sum(axis=1).astype(np.float64)
    # zero_division=np.nan: undefined classes are left out of the mean.
    defined = ~np.isnan(per_class)
    if not np.any(defined):
        return float("nan")
    if weights[defined].sum() == 0:
        # Only classes without support are left (possible with np.nan): scikit-learn then
        # takes their plain mean, and so do we.
        return float(per_class[defined].mean())
    return float(np.sum(per_class[defined] * weights[defined]) / weights[defined].sum())


# ======================================================================================
# Precision-recall curve, average precision, expected calibration error
# ======================================================================================
def _counts_above_each_threshold(labels: np.ndarray, scores: np.ndarray):
    """True and false positives when predicting ``score >= t``, for each distinct score ``t``.

    Returns
    -------
    true_positives, false_positives, thresholds : numpy.ndarray, each shape (n_distinct_scores,)
        Thresholds decreasing; the counts grow as the threshold falls.
    """
    order = np.argsort(-scores, kind="stable")  # highest score first
    sorted_scores = scores[order]
    sorted_labels = labels[order]
    # Tied examples cross the threshold together: keep the last position of each run.
    last_of_tie_group = np.r_[sorted_scores[1:] != sorted_scores[:-1], True]
    true_positives = np.cumsum(sorted_labels)[last_of_tie_group]
    false_positives = np.cumsum(1 - sorted_labels)[last_of_tie_group]
    return true_positives, false_positives, sorted_scores[last_of_tie_group]


def _labels_with_a_positive(y_true, y_score, what: str) -> tuple[np.ndarray, np.ndarray]:
    labels, scores = _labels_and_scores(y_true, y_score, probabilities=False)
    if labels.sum() == 0:
        raise ValueError(f"y_true has no positives; {what} needs at least one (recall would be 0/0).")
    return labels, scores


def precision_recall_curve(y_true, y_score) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision and recall when predicting ``score >= t``, for every distinct score ``t``.

    The same output, in the same order, as ``sklearn.metrics.precision_recall_curve``:
    thresholds *increasing*, and one last point ``(precision 1, recall 0)`` appended with
    no threshold, where nothing is predicted positive (precision is 0/0 there and set to 1
    by convention). Tied scores cross the threshold together, so ties give one point.

    Parameters
    ----------
    y_true : array_like, shape (n_samples,)
        0/1 labels, at least one 1.
    y_score : array_like, shape (n_samples,)
        Scores, higher = more likely positive.

    Returns
    -------
    precision : numpy.ndarray, shape (n_distinct_scores + 1,)
        ``TP / (TP + FP)`` at each threshold, then 1.
    recall : numpy.ndarray, shape (n_distinct_scores + 1,)
        ``TP / n_pos``, non-increasing, ending with 0.
    thresholds : numpy.ndarray, shape (n_distinct_scores,)
        The distinct scores, increasing.

    Raises
    ------
    ValueError
        If ``y_true`` has no positives.
    """
    labels, scores = _labels_with_a_positive(y_true, y_score, "the precision-recall curve")
    true_positives, false_positives, thresholds = _counts_above_each_threshold(labels, scores)
    precision_values = true_positives / (true_positives + false_positives)
    recall_values = true_positives / labels.sum()
    return np.r_[precision_values[::-1], 1.0], np.r_[recall_values[::-1], 0.0], thresholds[::-1]


def average_precision(y_true, y_score) -> float:
    """Average precision (AP): precision averaged over the recall gained at each threshold.

    ``AP = sum_n (R_n - R_(n-1)) P_n`` over the thresholds ``t_n`` (every distinct score,
    from the highest down; ``R_0 = 0``), where ``P_n`` and ``R_n`` are the precision and
    recall when predicting ``score >= t_n``. This is scikit-learn's step-wise
    ``average_precision_score``, with no interpolation; it is *not* the trapezoid area
    under the precision-recall curve, which is optimistic. Without ties it is the mean,
    over the positives, of the precision at the rank of each positive. Tied scores form
    one step. A model that scores at random gets about the positive rate, not 0.5.

    Parameters
    ----------
    y_true : array_like, shape (n_samples,)
        0/1 labels, at least one 1.
    y_score : array_like, shape (n_samples,)

    Raises
    ------
    ValueError
        If ``y_true`` has no positives (AP is undefined).
    """
    labels, scores = _labels_with_a_positive(y_true, y_score, "average precision")
    true_positives, false_positives, _ = _counts_above_each_threshold(labels, scores)
    precision_values = true_positives / (true_positives + false_positives)
    recall_gained = np.diff(np.r_[0, true_positives]) / labels.sum()
    return float(np.sum(recall_gained * precision_values))


def expected_calibration_error(y_true, y_score, *, n_bins: int = 10) -> float:
    """Expected calibration error (ECE): the bin-size-weighted gap of the reliability diagram.

    ``ECE = sum_b (n_b / n) |mean predicted probability in b - fraction of positives in b|``
    over ``n_bins`` bins of *equal width* on ``[0, 1]`` (not equal counts), with the bins
    and edge convention of :func:`calibration_curve` (a probability on an inner edge goes
    to the lower bin); empty bins contribute nothing. 0 means the bins are perfectly
    calibrated. The value depends on ``n_bins``: report it with the number.

    Parameters
    ----------
    y_true : array_like, shape (n_samples,)
        0/1 labels.
    y_score : array_like, shape (n_samples,)
        Predicted probabilities of the positive class, in [0, 1].
    n_bins : int, default 10
    """
    mean_predicted, observed_frequency, counts = calibration_curve(y_true, y_score, n_bins=n_bins)
    bin_weights = counts / counts.sum()
    return float(np.sum(bin_weights * np.abs(mean_predicted - observed_frequency)))


# ======================================================================================
# Ranking lists with any number of relevant items, and graded relevance
# ======================================================================================
# These take one user's candidates, y_true and y_score of shape (n_candidates,), or many
# users', shape (n_users, n_candidates), and return the mean over users. y_true holds
# each candidate's relevance: 0/1, or graded (e.g. a rating) for DCG and NDCG.
GAINS = ("linear", "exponential")


def _has_one_held_out_item_per_row(y_true) -> bool:
    """True when ``y_true`` is 2-D 0/1 with exactly one 1 per row (the leave-one-out format)."""
    relevance = np.asarray(y_true)
    if relevance.ndim != 2 or relevance.size == 0 or relevance.dtype.kind not in "biuf":
        return False
    return bool(np.all((relevance == 0) | (relevance == 1)) and np.all(relevance.sum(axis=1) == 1))


def _relevance_and_scores(y_true, y_score, *, binary: bool) -> tuple[np.ndarray, np.ndarray]:
    """Validate relevance and scores; return both as float64, shape ``(n_users, n_candidates)``.

    A 1-D input is one user's list and becomes one row.
    """
    relevance = np.asarray(y_true)
    scores = np.asarray(y_score)
    if relevance.ndim not in (1, 2):
        raise ValueError(
            "y_true must have shape (n_candidates,) for one user or (n_users, n_candidates), "
            f"got shape {relevance.shape}."
        )
    if scores.shape != relevance.shape:
        raise ValueError(f"y_score must have the shape of y_true {relevance.shape}, got {scores.shape}.")
    if relevance.size == 0:
        raise ValueError(f"y_true is empty (shape {relevance.shape}).")
    if relevance.dtype.kind not in "biuf":
        raise ValueError(f"y_true must hold numbers, got dtype {relevance.dtype}.")
    if scores.dtype.kind not in "biuf":
        raise ValueError(f"y_score must hold numbers, got dtype {scores.dtype}.")
    relevance = relevance.astype(np.float64).reshape(-1, relevance.shape[-1])
    scores = scores.astype(np.float64).reshape(relevance.shape)
    if not np.all(np.isfinite(relevance)):
        raise ValueError("y_true contains NaN or infinite values.")
    if not np.all(np.isfinite(scores)):
        raise ValueError("y_score contains NaN or infinite values.")
    if binary and not np.all((relevance == 0) | (relevance == 1)):
        raise ValueError("y_true must contain only 0 and 1 (relevant or not) for this metric.")
    if np.any(relevance < 0):
        raise ValueError("y_true must hold relevance values >= 0.")
    return relevance, scores


def _check_gain(gain: str) -> str:
    if gain not in GAINS:
        raise ValueError(f"gain must be one of {GAINS}, got {gain!r}.")
    return gain


def _gains(relevance: np.ndarray, gain: str) -> np.ndarray:
    """Gain of each candidate: ``rel`` ("linear") or ``2^rel - 1`` ("exponential")."""
    return relevance if gain == "linear" else np.power(2.0, relevance) - 1.0


def _in_ranked_order(values: np.ndarray, scores: np.ndarray, ties: str) -> np.ndarray:
    """``values`` of each row sorted by decreasing score, shape ``(n_users, n_candidates)``.

    Among candidates with equal scores, ``"pessimistic"`` puts the smallest values first
    (relevant items last), ``"optimistic"`` the largest first, and ``"average"`` gives each
    of them the mean value of its tie group: the expected value at those positions when
    ties are broken uniformly at random.
    """
    ties = _check_ties(ties)
    tie_break = -values if ties == "optimistic" else values
    order = np.lexsort((tie_break, -scores), axis=-1)  # last key sorts first
    ranked_values = np.take_along_axis(values, order, axis=-1)
    if ties != "average":
        return ranked_values
    ranked_scores = np.take_along_axis(scores, order, axis=-1)
    n_users, n_candidates = values.shape
    starts_group = np.ones(values.shape, dtype=bool)
    starts_group[:, 1:] = ranked_scores[:, 1:] != ranked_scores[:, :-1]
    # Number every tie group of every row with one integer, then average within groups.
    group = np.cumsum(starts_group.ravel()) - 1
    group_mean = np.bincount(group, weights=ranked_values.ravel()) / np.bincount(group)
    return group_mean[group].reshape(n_users, n_candidates)


def _discounts(n_candidates: int, k: int) -> np.ndarray:
    """``1 / log2(rank + 1)`` for ranks ``1..n_candidates``, 0 beyond ``k``; shape ``(n_candidates,)``."""
    ranks = np.arange(1, n_candidates + 1)
    return np.where(ranks <= k, 1.0 / np.log2(ranks + 1), 0.0)


def _relevant_counts(relevance: np.ndarray, metric: str) -> np.ndarray:
    """Number of relevant items of each user, shape ``(n_users,)``; raise for a user with none."""
    n_relevant = (relevance > 0).sum(axis=1)
    if np.any(n_relevant == 0):
        row = int(np.flatnonzero(n_relevant == 0)[0])
        raise ValueError(
            f"y_true row {row} has no relevant item, so {metric} is undefined for that user; "
            "leave users without relevant items out before evaluating."
        )
    return n_relevant


def _precision_per_user(relevance, scores, k: int, ties: str) -> np.ndarray:
    hits = _in_ranked_order(relevance, scores, ties)
    return hits[:, :k].sum(axis=1) / k


def _recall_per_user(relevance, scores, k: int, ties: str) -> np.ndarray:
    n_relevant = _relevant_counts(relevance, "recall@k")
    hits = _in_ranked_order(relevance, scores, ties)
    return hits[:, :k].sum(axis=1) / n_relevant


def _average_precision_per_user(relevance, scores, k: int, ties: str) -> np.ndarray:
    if _check_ties(ties) == "average":
        raise ValueError(
            "ties='average' is not available for average precision (it is not linear in the "
            "ranked list); use 'pessimistic' or 'optimistic'."
        )
    n_relevant = _relevant_counts(relevance, "average precision@k")
    hits = _in_ranked_order(relevance, scores, ties)[:, :k]
    ranks = np.arange(1, hits.shape[1] + 1)
    precision_at_each_rank = np.cumsum(hits, axis=1) / ranks
    return (precision_at_each_rank * hits).sum(axis=1) / np.minimum(k, n_relevant)


def _dcg_per_user(relevance, scores, k: int, ties: str, gain: str) -> np.ndarray:
    ranked_gains = _in_ranked_order(_gains(relevance, _check_gain(gain)), scores, ties)
    return ranked_gains @ _discounts(relevance.shape[1], k)


def _ndcg_per_user(relevance, scores, k: int, ties: str, gain: str) -> np.ndarray:
    _relevant_counts(relevance, "NDCG@k")
    ideal_gains = -np.sort(-_gains(relevance, _check_gain(gain)), axis=1)  # best first
    ideal_dcg = ideal_gains @ _discounts(relevance.shape[1], k)
    return _dcg_per_user(relevance, scores, k, ties, gain) / ideal_dcg


def precision_at_k(y_true, y_score, k: int, *, ties: str = "pessimistic") -> float:
    """Precision@k: the fraction of the top ``k`` candidates that are relevant.

    Per user ``P@k = (number of relevant items among the k highest scores) / k``; the mean
    over users is returned. The divisor is always ``k``: a user with fewer than ``k``
    candidates, or fewer than ``k`` relevant items, cannot reach 1. A user with no relevant
    item gets 0 (a defined value, unlike recall).

    Parameters
    ----------
    y_true : array_like, shape (n_candidates,) or (n_users, n_candidates)
        1 for a relevant candidate, 0 otherwise; one row per user.
    y_score : array_like, same shape
        Scores, higher = recommended first.
    k : int
        Length of the list, >= 1; may exceed ``n_candidates``.
    ties : {"pessimistic", "optimistic", "average"}, default "pessimistic"
        Among candidates with equal scores: relevant ones last, first, or the expected
        value under random tie-breaking.
    """
    k = _check_k(k)
    relevance, scores = _relevance_and_scores(y_true, y_score, binary=True)
    return float(_precision_per_user(relevance, scores, k, ties).mean())


def average_precision_at_k(y_true, y_score, k: int, *, ties: str = "pessimistic") -> float:
    """AP@k of one user's list: precision at each relevant position of the top ``k``, averaged.

    ``AP@k = (1 / min(k, R)) sum_{r=1..k} P@r * rel_r`` where ``rel_r`` is 1 when the item
    at rank ``r`` is relevant, ``P@r`` the precision of the top ``r`` and ``R`` the user's
    number of relevant items. The normaliser ``min(k, R)`` makes a perfect list score 1
    even when ``R > k``. With ``k >= n_candidates`` and no tied scores this is
    scikit-learn's ``average_precision_score`` for the list. For many users use
    :func:`map_at_k`.

    Parameters
    ----------
    y_true : array_like, shape (n_candidates,)
        1 for a relevant candidate, 0 otherwise; at least one 1 (else AP is undefined and
        an error is raised).
    y_score : array_like, shape (n_candidates,)
    k : int
        Cut-off, >= 1; may exceed ``n_candidates``.
    ties : {"pessimistic", "optimistic"}, default "pessimistic"
        Among equal scores, relevant candidates last or first. There is no "average" rule.
    """
    if np.ndim(y_true) != 1:
        raise ValueError(
            f"y_true must be one user's list of shape (n_candidates,), got shape {np.shape(y_true)}; "
            "for many users use map_at_k."
        )
    return map_at_k(y_true, y_score, k, ties=ties)


def map_at_k(y_true, y_score, k: int, *, ties: str = "pessimistic") -> float:
    """MAP@k: the mean over users of :func:`average_precision_at_k` (normaliser ``min(k, R)``).

    Parameters
    ----------
    y_true : array_like, shape (n_candidates,) or (n_users, n_candidates)
        1 for a relevant candidate, 0 otherwise; every user needs at least one 1.
    y_score : array_like, same shape
    k : int
        Cut-off, >= 1; may exceed ``n_candidates``.
    ties : {"pessimistic", "optimistic"}, default "pessimistic"
    """
    k = _check_k(k)
    relevance, scores = _relevance_and_scores(y_true, y_score, binary=True)
    return float(_average_precision_per_user(relevance, scores, k, ties).mean())


def dcg_at_k(y_true, y_score, k: int, *, ties: str = "pessimistic", gain: str = "linear") -> float:
    """Discounted cumulative gain of the top ``k``, with graded relevance and a log2 discount.

    ``DCG@k = sum_{r=1..min(k, n_candidates)} gain(rel_r) / log2(r + 1)`` where ``rel_r`` is
    the relevance of the candidate at rank ``r`` (1 = highest score); the mean over users is
    returned. Unnormalised, so it grows with the relevance scale and with ``k``; compare
    models with :func:`ndcg_at_k`.

    Parameters
    ----------
    y_true : array_like, shape (n_candidates,) or (n_users, n_candidates)
        Relevance of each candidate, >= 0: 0/1, or graded (e.g. a rating).
    y_score : array_like, same shape
    k : int
        Cut-off, >= 1; beyond ``n_candidates`` it changes nothing.
    ties : {"pessimistic", "optimistic", "average"}, default "pessimistic"
        Among equal scores: least relevant first, most relevant first, or the expected value
        under random tie-breaking (what ``sklearn.metrics.dcg_score`` computes).
    gain : {"linear", "exponential"}, default "linear"
        ``"linear"``: gain ``rel``, as scikit-learn's ``dcg_score``. ``"exponential"``:
        ``2^rel - 1`` (Burges et al., 2005), which rewards the most relevant items more.
        For 0/1 relevance the two are equal.
    """
    k = _check_k(k)
    relevance, scores = _relevance_and_scores(y_true, y_score, binary=False)
    return float(_dcg_per_user(relevance, scores, k, ties, gain).mean())


def _graded_ndcg_at_k(y_true, y_score, k: int, *, ties: str = "pessimistic", gain: str = "linear") -> float:
    """NDCG@k for any relevance: the graded case of :func:`ndcg_at_k`, which calls it.

    Per user ``DCG@k / IDCG@k``, IDCG@k being the DCG@k of the same relevance values sorted
    best first, so 1 is a perfect order; mean over users. Arguments as in :func:`dcg_at_k`;
    every user needs a relevant item (relevance > 0).
    """
    k = _check_k(k)
    relevance, scores = _relevance_and_scores(y_true, y_score, binary=False)
    return float(_ndcg_per_user(relevance, scores, k, ties, gain).mean())


def graded_ranking_metrics_per_user(
    y_true, y_score, ks=(10,), *, ties: str = "pessimistic", gain: str = "linear"
) -> dict[str, np.ndarray]:
    """Precision, recall, AP, DCG and NDCG at several cut-offs, one value per user.

    The counterpart of :func:`ranking_metrics_per_user` for lists with any number of
    relevant items; the per-user values feed the bootstrap intervals and paired tests of
    :mod:`tutorial_lib.evaluation.uncertainty`. Their means are :func:`precision_at_k`,
    :func:`map_at_k`, :func:`dcg_at_k` and :func:`ndcg_at_k`; recall@k is the fraction of
    the user's relevant items in the top ``k``.

    Parameters
    ----------
    y_true : array_like, shape (n_candidates,) or (n_users, n_candidates)
        0/1 relevance (precision, recall and AP count relevance > 0 as relevant, DCG and
        NDCG use the graded values); every user needs at least one relevant item.
    y_score : array_like, same shape
    ks : sequence of int, default (10,)
    ties : {"pessimistic", "optimistic"}, default "pessimistic"
        "average" is refused, because AP has no such rule.
    gain : {"linear", "exponential"}, default "linear"

    Returns
    -------
    dict of str to numpy.ndarray, each shape (n_users,)
        ``"precision@k"``, ``"recall@k"``, ``"ap@k"``, ``"dcg@k"`` and ``"ndcg@k"`` for
        each ``k``.
    """
    ks = [_check_k(k) for k in ks]
    if not ks:
        raise ValueError("ks must hold at least one cut-off.")
    relevance, scores = _relevance_and_scores(y_true, y_score, binary=False)
    is_relevant = (relevance > 0).astype(np.float64)
    per_user = {}
    for k in ks:
        per_user[f"precision@{k}"] = _precision_per_user(is_relevant, scores, k, ties)
        per_user[f"recall@{k}"] = _recall_per_user(is_relevant, scores, k, ties)
        per_user[f"ap@{k}"] = _average_precision_per_user(is_relevant, scores, k, ties)
        per_user[f"dcg@{k}"] = _dcg_per_user(relevance, scores, k, ties, gain)
        per_user[f"ndcg@{k}"] = _ndcg_per_user(relevance, scores, k, ties, gain)
    return per_user


# ======================================================================================
# Group AUC: AUC per user, averaged
# ======================================================================================
WEIGHTINGS = ("impressions", "uniform")


@dataclasses.dataclass(frozen=True)
class GroupAUCResult:
    """What :func:`group_auc` returns.

    Attributes
    ----------
    value : float
        The (weighted) mean of the per-group AUCs.
    n_groups_evaluated : int
        Groups (users) that had both classes and so an AUC.
    n_groups_skipped : int
        Groups left out because all their labels were equal (AUC undefined).
    """

    value: float
    n_groups_evaluated: int
    n_groups_skipped: int


def group_auc(y_true, y_score, groups, *, weighting: str = "impressions") -> GroupAUCResult:
    """Group AUC (GAUC): the ROC AUC of each user's own impressions, averaged over users.

    A global AUC mixes users: it rewards ranking an active user's items above a quiet
    user's, which no recommendation list ever does. GAUC asks, per user, whether the
    clicked items score above the unclicked ones (Zhou et al., "Deep Interest Network",
    KDD 2018)::

        GAUC = sum_u w_u AUC_u / sum_u w_u

    with ``AUC_u`` from :func:`roc_auc` (ties count one half) on the rows of user ``u``,
    and ``w_u`` the user's number of impressions (rows), or 1 for every user. A user whose
    rows are all positive or all negative has no AUC and is skipped; the result says how
    many were.

    Parameters
    ----------
    y_true : array_like, shape (n_rows,)
        0/1 labels, one row per impression.
    y_score : array_like, shape (n_rows,)
    groups : array_like, shape (n_rows,)
        The user (or other group) of each row: any values NumPy can sort.
    weighting : {"impressions", "uniform"}, default "impressions"

    Returns
    -------
    GroupAUCResult
        ``value``, ``n_groups_evaluated``, ``n_groups_skipped``.

    Raises
    ------
    ValueError
        If no group has both classes.
    """
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting must be one of {WEIGHTINGS}, got {weighting!r}.")
    labels, scores = _labels_and_scores(y_true, y_score, probabilities=False)
    group_of_row = np.asarray(groups)
    if group_of_row.shape != labels.shape:
        raise ValueError(f"groups must have the shape of y_true {labels.shape}, got {group_of_row.shape}.")
    _, group_index = np.unique(group_of_row, return_inverse=True)
    order = np.argsort(group_index, kind="stable")
    rows_of_each_group = np.split(order, np.cumsum(np.bincount(group_index))[:-1])
    aucs, weights = [], []
    for rows in rows_of_each_group:
        n_positive = labels[rows].sum()
        if n_positive == 0 or n_positive == len(rows):
            continue  # one class only: no AUC
        aucs.append(roc_auc(labels[rows], scores[rows]))
        weights.append(len(rows) if weighting == "impressions" else 1.0)
    n_skipped = len(rows_of_each_group) - len(aucs)
    if not aucs:
        raise ValueError(
            f"no group in groups has both a positive and a negative in y_true "
            f"({n_skipped} groups, all skipped); group AUC is undefined."
        )
    value = float(np.average(aucs, weights=weights))
    return GroupAUCResult(value=value, n_groups_evaluated=len(aucs), n_groups_skipped=n_skipped)


# ======================================================================================
# Beyond accuracy: coverage, diversity and novelty of the recommended lists
# ======================================================================================
# ``recommended`` is a 2-D array of item indices, shape (n_users, list_length), or a list
# of per-user 1-D sequences of any lengths; item indices run from 0 to n_items - 1.
def _as_recommendation_lists(recommended, n_items: int, *, min_length: int = 1) -> list[np.ndarray]:
    """Validate ``recommended``; return one int64 array of item indices per user."""
    if isinstance(recommended, np.ndarray) and recommended.ndim == 2:
        lists = list(recommended)
    elif isinstance(recommended, np.ndarray) or not hasattr(recommended, "__len__"):
        raise ValueError(
            "recommended must be a 2-D array (n_users, list_length) or a list of per-user "
            f"lists of item indices, got {type(recommended).__name__} "
            f"of shape {np.shape(recommended)}."
        )
    else:
        lists = list(recommended)
    if not lists:
        raise ValueError("recommended is empty; it needs at least one user's list.")
    checked = []
    for user, items in enumerate(lists):
        item_array = np.asarray(items)
        if item_array.ndim != 1 or item_array.dtype.kind not in "iu":
            raise ValueError(
                f"recommended[{user}] must be a 1-D sequence of integer item indices, "
                f"got dtype {item_array.dtype} and shape {item_array.shape}."
            )
        if len(item_array) < min_length:
            raise ValueError(f"recommended[{user}] has {len(item_array)} items; this metric needs >= {min_length}.")
        if len(item_array) and (item_array.min() < 0 or item_array.max() >= n_items):
            raise ValueError(f"recommended[{user}] holds item indices outside 0..{n_items - 1}.")
        if len(np.unique(item_array)) != len(item_array):
            raise ValueError(f"recommended[{user}] recommends an item twice.")
        checked.append(item_array.astype(np.int64))
    return checked


def catalogue_coverage(recommended, n_items: int) -> float:
    """Catalogue coverage: the fraction of the catalogue recommended to at least one user.

    ``coverage = |union of all users' lists| / n_items``, in [0, 1]. A popularity
    baseline, which shows everyone the same ``k`` items, covers ``k / n_items``.

    Parameters
    ----------
    recommended : array_like of int, shape (n_users, list_length), or list of 1-D lists
        Item indices in ``0..n_items - 1``; no item twice in one list.
    n_items : int
        Size of the catalogue, >= 1.
    """
    n_items = check_positive_int(n_items, "n_items")
    lists = _as_recommendation_lists(recommended, n_items)
    recommended_items = np.unique(np.concatenate(lists))
    return float(len(recommended_items) / n_items)


def intra_list_diversity(recommended, item_vectors) -> float:
    """Intra-list diversity (ILD): mean pairwise cosine dissimilarity within each list.

    Per user ``ILD = mean over pairs i < j of the list of (1 - cos(v_i, v_j))``, where
    ``v_i`` is the vector of item ``i`` (e.g. its genre indicators or an embedding); the
    mean over users is returned. 0 means every list holds items pointing the same way; for
    non-negative vectors the maximum is 1 (no shared feature), in general 2.

    Parameters
    ----------
    recommended : array_like of int, shape (n_users, list_length), or list of 1-D lists
        Item indices (rows of ``item_vectors``); every list needs at least 2 items.
    item_vectors : array_like, shape (n_items, n_features)
        No all-zero row among the recommended items (its cosine is undefined).
    """
    vectors = as_feature_matrix(item_vectors, "item_vectors")
    if scipy.sparse.issparse(vectors):
        vectors = vectors.toarray()
    lists = _as_recommendation_lists(recommended, vectors.shape[0], min_length=2)
    norms = np.linalg.norm(vectors, axis=1)
    diversity_per_user = []
    for user, items in enumerate(lists):
        if np.any(norms[items] == 0):
            raise ValueError(f"item_vectors has an all-zero row for an item of recommended[{user}].")
        unit_vectors = vectors[items] / norms[items, None]  # (list_length, n_features)
        cosine = unit_vectors @ unit_vectors.T  # (list_length, list_length)
        pair_rows, pair_columns = np.triu_indices(len(items), k=1)
        diversity_per_user.append(np.mean(1.0 - cosine[pair_rows, pair_columns]))
    return float(np.mean(diversity_per_user))


def novelty(recommended, item_popularity) -> float:
    """Novelty: mean self-information ``-log2 p(i)`` of the recommended items, in bits.

    ``p(i)`` is item ``i``'s popularity as a probability, usually the fraction of training
    users who interacted with it (Zhou et al., PNAS 2010). Per user the novelty is the mean
    of ``-log2 p(i)`` over the list; the mean over users is returned. Recommending an item
    every user has seen (``p = 1``) adds 0 bits; an item seen by 1 user in 1024 adds 10.

    Parameters
    ----------
    recommended : array_like of int, shape (n_users, list_length), or list of 1-D lists
        Item indices into ``item_popularity``.
    item_popularity : array_like, shape (n_items,)
        Probabilities in [0, 1]; a recommended item must have ``p > 0`` (an item nobody
        interacted with has infinite self-information).
    """
    popularity = as_score_vector(item_popularity, "item_popularity", probabilities=True)
    lists = _as_recommendation_lists(recommended, len(popularity))
    novelty_per_user = []
    for user, items in enumerate(lists):
        if np.any(popularity[items] == 0):
            raise ValueError(
                f"item_popularity is 0 for an item of recommended[{user}]; its self-information "
                "is infinite (smooth the popularity, e.g. add one to every count)."
            )
        novelty_per_user.append(np.mean(-np.log2(popularity[items])))
    return float(np.mean(novelty_per_user))


# --------------------------------------------------------------------------------------
# Rating prediction (explicit feedback): errors in stars
# --------------------------------------------------------------------------------------
def _ratings_and_predictions(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    ratings = as_vector(y_true, "y_true")
    predictions = as_vector(y_pred, "y_pred")
    check_same_length(ratings, predictions, "y_true", "y_pred")
    for name, values in (("y_true", ratings), ("y_pred", predictions)):
        if values.dtype.kind not in "iuf":
            raise ValueError(f"{name} must hold numbers (ratings), got dtype {values.dtype}.")
        if not np.isfinite(values.astype(np.float64)).all():
            raise ValueError(f"{name} contains NaN or infinite values.")
    return ratings.astype(np.float64), predictions.astype(np.float64)


def rmse(y_true, y_pred) -> float:
    """Root mean squared error, :math:`\\sqrt{\\frac{1}{n}\\sum_n (r_n - \\hat r_n)^2}`, in stars.

    ``y_true`` (the held-out ratings) and ``y_pred`` have shape ``(n_ratings,)``. Squaring
    makes one large miss cost more than several small ones. Equals Surprise's
    ``accuracy.rmse`` and ``sqrt(sklearn.metrics.mean_squared_error)``.
    """
    ratings, predictions = _ratings_and_predictions(y_true, y_pred)
    return float(np.sqrt(np.mean((ratings - predictions) ** 2)))


def mae(y_true, y_pred) -> float:
    """Mean absolute error, :math:`\\frac{1}{n}\\sum_n |r_n - \\hat r_n|`, in stars.

    Shapes as :func:`rmse`; equals Surprise's ``accuracy.mae`` and
    ``sklearn.metrics.mean_absolute_error``.
    """
    ratings, predictions = _ratings_and_predictions(y_true, y_pred)
    return float(np.mean(np.abs(ratings - predictions)))
