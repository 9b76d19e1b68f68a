"""How sure is a metric? Bootstrap confidence intervals and paired tests over users.

A test set of 943 users gives one HR@10; another 943 users from the same population would
give a different one. The **bootstrap** (自助法) estimates that spread from the data alone:
draw the users again, *with replacement*, as many as there are, recompute the metric, and
repeat; the middle 95% of the recomputed values is a 95% **confidence interval** (置信区间).
This module uses the *percentile* bootstrap (Efron and Tibshirani, *An Introduction to the
Bootstrap*, 1993, ch. 13).

The unit that is resampled must be the unit that was sampled: for top-N metrics that is the
user (one row per user from :func:`tutorial_lib.evaluation.protocols.evaluate_top_n`); for
row-level metrics such as AUC over ratings, resample users with ``groups=`` so that one
user's many rows move together.

Two models evaluated on the *same* users are compared on their per-user differences
(a **paired** comparison, 配对检验): :func:`paired_bootstrap` gives the mean difference, its
interval and a bootstrap p-value; :func:`sign_test` and :func:`wilcoxon` are the classical
tests on the same differences (through SciPy).

With a handful of values, e.g. one RMSE per cross-validation fold, a bootstrap has too few
distinct resamples; :func:`mean_t_interval` gives Student's t-interval of their mean
(``n - 1`` degrees of freedom), and applied to per-fold *differences* of two models it is the
paired t-interval.

Every function takes a ``seed``; ``None`` uses the book's seed (``TUTORIAL_SEED``), so the
same call gives the same interval on every run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import scipy.stats

from tutorial_lib.book.runtime import get_seed
from tutorial_lib.validation import check_positive_int
from tutorial_lib.validation import check_int, check_probability

__all__ = [
    "ConfidenceInterval",
    "PairedBootstrapResult",
    "PairedTestResult",
    "bootstrap_ci",
    "bootstrap_metric",
    "mean_t_interval",
    "paired_bootstrap",
    "sign_test",
    "wilcoxon",
]


# --------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class ConfidenceInterval:
    """A statistic on the observed data and its bootstrap interval.

    Attributes
    ----------
    estimate:
        The statistic computed once on the data as given (not the mean of the resamples).
    low, high:
        The ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` quantiles of the
        resampled statistics.
    confidence:
        Nominal coverage, e.g. 0.95.
    n_resamples:
        Number of bootstrap resamples.
    """

    estimate: float
    low: float
    high: float
    confidence: float
    n_resamples: int

    def __str__(self) -> str:
        return f"{self.estimate:.4f} [{self.low:.4f}, {self.high:.4f}]"


@dataclasses.dataclass(frozen=True)
class PairedBootstrapResult:
    """:func:`paired_bootstrap`'s answer to "is A better than B on the same users?".

    Attributes
    ----------
    difference:
        Mean of ``a - b`` over users, with its bootstrap interval (positive: A is higher).
    p_value:
        Two-sided bootstrap p-value for "the mean difference is 0" (see
        :func:`paired_bootstrap`).
    n_pairs:
        Number of users compared.
    n_resamples:
        Bootstrap resamples drawn; the smallest p-value they can give is
        ``1 / (1 + n_resamples)``, printed as "p <= ..." since the true p may be smaller.
    """

    difference: ConfidenceInterval
    p_value: float
    n_pairs: int
    n_resamples: int | None = None

    def __str__(self) -> str:
        at_floor = self.n_resamples is not None and self.p_value <= 1 / (1 + self.n_resamples)
        p_text = f"p <= {self.p_value:.2g}" if at_floor else f"p = {self.p_value:.3g}"
        return f"A - B = {self.difference} ({p_text}, {self.n_pairs} pairs)"


@dataclasses.dataclass(frozen=True)
class PairedTestResult:
    """A classical paired test (:func:`sign_test`, :func:`wilcoxon`) on per-user scores.

    Attributes
    ----------
    test:
        ``"sign"`` or ``"wilcoxon"``.
    statistic:
        The test statistic (sign test: the number of users where A is higher; Wilcoxon:
        SciPy's statistic, the smaller of the two signed-rank sums).
    p_value:
        Two-sided p-value; 1.0 when every pair is tied (there is no evidence either way).
    n_a_better, n_b_better, n_tied:
        Users where ``a > b``, ``a < b`` and ``a == b``.
    """

    test: str
    statistic: float
    p_value: float
    n_a_better: int
    n_b_better: int
    n_tied: int

    def __str__(self) -> str:
        return (
            f"{self.test} test: p = {self.p_value:.3g} (A better for {self.n_a_better}, "
            f"B better for {self.n_b_better}, tied {self.n_tied})"
        )


# --------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------
def _as_values(values, name: str, *, min_length: int = 2) -> np.ndarray:
    """``values`` as a 1-D float64 array of finite numbers, at least ``min_length`` long."""
    if hasattr(values, "to_numpy"):  # a pandas Series
        values = values.to_numpy()
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D with one value per user (shape (n_units,)), got shape {array.shape}.")
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold numbers, got dtype {array.dtype}.")
    if array.size < min_length:
        raise ValueError(f"{name} needs at least {min_length} values to resample, got {array.size}.")
    array = array.astype(np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    return array


def _check_confidence(confidence) -> float:
    return check_probability(confidence, "confidence", include_boundaries="neither")


def _rng(seed) -> np.random.Generator:
    if seed is None:
        seed = get_seed()
    return np.random.default_rng(check_int(seed, "seed"))


def _percentile_interval(estimate: float, resampled: np.ndarray, confidence: float) -> ConfidenceInterval:
    """The percentile interval of the resampled statistics, shape ``(n_resamples,)``."""
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(resampled, [tail, 1.0 - tail])
    return ConfidenceInterval(float(estimate), float(low), float(high), confidence, len(resampled))


def _resampled_statistics(values: np.ndarray, statistic, n_resamples: int, rng) -> np.ndarray:
    """``statistic`` on each of ``n_resamples`` resamples of ``values``, shape ``(n_resamples,)``.

    A resample draws ``n_units`` positions uniformly with replacement.
    """
    n_units = values.size
    resampled = np.empty(n_resamples)
    for i in range(n_resamples):
        positions = rng.integers(0, n_units, size=n_units)
        resampled[i] = statistic(values[positions])
    return resampled


# --------------------------------------------------------------------------------------
# Bootstrap intervals
# --------------------------------------------------------------------------------------
def bootstrap_ci(
    per_unit_values,
    statistic: Callable[[np.ndarray], float] = np.mean,
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int | None = None,
) -> ConfidenceInterval:
    """Percentile bootstrap interval of ``statistic`` over units (users, rows).

    Each resample draws ``n_units`` positions uniformly *with replacement* and applies
    ``statistic`` to the values there; the interval is the middle ``confidence`` share of
    the ``n_resamples`` results.

    Parameters
    ----------
    per_unit_values : array_like, shape (n_units,)
        One value per independently sampled unit, e.g. the ``ndcg@10`` column of the
        per-user frame of :func:`~tutorial_lib.evaluation.protocols.evaluate_top_n`.
    statistic : callable, default numpy.mean
        Maps a 1-D array of shape ``(n_units,)`` to a number.
    n_resamples : int, default 1000
    confidence : float, default 0.95
        Nominal coverage, strictly between 0 and 1.
    seed : int or None
        Seed of the resampling; None uses the book's seed.

    Returns
    -------
    ConfidenceInterval
        ``estimate`` is ``statistic(per_unit_values)``.
    """
    values = _as_values(per_unit_values, "per_unit_values")
    n_resamples = check_positive_int(n_resamples, "n_resamples")
    confidence = _check_confidence(confidence)
    resampled = _resampled_statistics(values, statistic, n_resamples, _rng(seed))
    return _percentile_interval(statistic(values), resampled, confidence)


def _rows_of_each_group(groups: np.ndarray) -> list[np.ndarray]:
    """Row positions of each distinct group, e.g. ``[0, 0, 1]`` gives ``[[0, 1], [2]]``."""
    _, group_of_row = np.unique(groups, return_inverse=True)
    order = np.argsort(group_of_row, kind="stable")
    group_sizes = np.bincount(group_of_row)
    return np.split(order, np.cumsum(group_sizes)[:-1])


def bootstrap_metric(
    metric_fn: Callable[[np.ndarray, np.ndarray], float],
    y_true,
    y_score,
    groups=None,
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int | None = None,
) -> ConfidenceInterval:
    """Percentile bootstrap interval of a metric that needs many rows at once (AUC, log loss).

    Without ``groups`` each resample draws ``n_rows`` rows with replacement. With
    ``groups`` (e.g. the user id of each rating) it draws ``n_groups`` groups with
    replacement and keeps all rows of each drawn group, so that a user's rows, which are
    not independent of each other, stay together.

    Parameters
    ----------
    metric_fn : callable
        ``metric_fn(y_true, y_score) -> float``, e.g.
        :func:`tutorial_lib.evaluation.metrics.roc_auc`.
    y_true : array_like, shape (n_rows,)
    y_score : array_like, shape (n_rows,)
    groups : array_like, shape (n_rows,), optional
        The unit each row belongs to (any hashable values NumPy can sort).
    n_resamples, confidence, seed
        As in :func:`bootstrap_ci`.

    Raises
    ------
    ValueError
        If ``metric_fn`` fails on a resample (e.g. AUC on a resample with one class):
        with so few rows or groups the interval would not mean much.
    """
    labels = np.asarray(y_true)
    scores = np.asarray(y_score)
    if labels.ndim != 1 or labels.size < 2:
        raise ValueError(f"y_true must be 1-D with at least 2 rows (shape (n_rows,)), got shape {labels.shape}.")
    if scores.shape != labels.shape:
        raise ValueError(f"y_score must have the shape of y_true {labels.shape}, got {scores.shape}.")
    n_resamples = check_positive_int(n_resamples, "n_resamples")
    confidence = _check_confidence(confidence)
    if groups is None:
        rows_of_unit = None
        n_units = labels.size
    else:
        group_labels = np.asarray(groups)
        if group_labels.shape != labels.shape:
            raise ValueError(f"groups must have the shape of y_true {labels.shape}, got {group_labels.shape}.")
        rows_of_unit = _rows_of_each_group(group_labels)
        n_units = len(rows_of_unit)
        if n_units < 2:
            raise ValueError("groups holds a single group; the bootstrap needs at least 2 groups to resample.")
    rng = _rng(seed)
    estimate = metric_fn(labels, scores)
    resampled = np.empty(n_resamples)
    for i in range(n_resamples):
        drawn_units = rng.integers(0, n_units, size=n_units)
        rows = drawn_units if rows_of_unit is None else np.concatenate([rows_of_unit[u] for u in drawn_units])
        try:
            resampled[i] = metric_fn(labels[rows], scores[rows])
        except ValueError as error:
            unit = "rows" if groups is None else "groups"
            raise ValueError(
                f"metric_fn failed on bootstrap resample {i} ({error}); with {n_units} {unit} "
                "the resamples are too small for this metric."
            ) from error
    return _percentile_interval(estimate, resampled, confidence)


# --------------------------------------------------------------------------------------
# Paired comparisons of two models on the same users
# --------------------------------------------------------------------------------------
def _paired_differences(a, b) -> np.ndarray:
    """``a - b`` after checking both are finite 1-D arrays of the same length."""
    values_a = _as_values(a, "a")
    values_b = _as_values(b, "b")
    if values_a.shape != values_b.shape:
        raise ValueError(
            f"a and b must hold one value per user for the same users in the same order, "
            f"got {values_a.size} and {values_b.size} values."
        )
    return values_a - values_b


def paired_bootstrap(
    a,
    b,
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int | None = None,
) -> PairedBootstrapResult:
    """Bootstrap the mean per-user difference ``a - b`` of two models on the same users.

    Users are resampled *as pairs* (the same positions in ``a`` and ``b``), which removes
    the user-to-user spread both models share: a difference can be clear even when the two
    models' own intervals overlap.

    The p-value tests "the mean difference is 0": the resampled mean differences are
    shifted to have mean 0 (the null hypothesis), and the p-value is the share of them at
    least as far from 0 as the observed difference, ``(1 + count) / (1 + n_resamples)``
    (Efron and Tibshirani, 1993, ch. 16; the +1 keeps it above 0).

    Parameters
    ----------
    a, b : array_like, shape (n_users,)
        Per-user scores of models A and B, same users in the same order (e.g. the
        ``ndcg@10`` columns of two :func:`evaluate_top_n` frames).
    n_resamples, confidence, seed
        As in :func:`bootstrap_ci`.
    """
    differences = _paired_differences(a, b)
    n_resamples = check_positive_int(n_resamples, "n_resamples")
    confidence = _check_confidence(confidence)
    resampled = _resampled_statistics(differences, np.mean, n_resamples, _rng(seed))
    observed = differences.mean()
    interval = _percentile_interval(observed, resampled, confidence)
    centred = resampled - observed  # the resampled mean differences as if the true mean were 0
    count_as_extreme = int(np.sum(np.abs(centred) >= abs(observed)))
    p_value = (1 + count_as_extreme) / (1 + n_resamples)
    return PairedBootstrapResult(
        difference=interval, p_value=float(p_value), n_pairs=differences.size, n_resamples=n_resamples
    )


def sign_test(a, b) -> PairedTestResult:
    """Two-sided sign test: among users where A and B differ, is A higher half the time?

    Users with ``a == b`` are dropped (for 0/1 metrics such as HR@10 that is most users).
    The count of users where A is higher is binomial(n_differing, 1/2) under the null;
    the p-value is :func:`scipy.stats.binomtest`'s.

    Parameters
    ----------
    a, b : array_like, shape (n_users,)
        Per-user scores of A and B on the same users in the same order.
    """
    differences = _paired_differences(a, b)
    n_a_better = int(np.sum(differences > 0))
    n_b_better = int(np.sum(differences < 0))
    n_tied = differences.size - n_a_better - n_b_better
    n_differing = n_a_better + n_b_better
    p_value = 1.0 if n_differing == 0 else scipy.stats.binomtest(n_a_better, n_differing, 0.5).pvalue
    return PairedTestResult("sign", float(n_a_better), float(p_value), n_a_better, n_b_better, n_tied)


def wilcoxon(a, b) -> PairedTestResult:
    """Two-sided Wilcoxon signed-rank test on the per-user differences ``a - b``.

    Unlike the sign test it uses how large each difference is (through its rank). Zero
    differences are dropped (SciPy's ``zero_method="wilcox"``); with many tied differences
    SciPy uses its normal approximation.

    Parameters
    ----------
    a, b : array_like, shape (n_users,)
        Per-user scores of A and B on the same users in the same order.
    """
    differences = _paired_differences(a, b)
    n_a_better = int(np.sum(differences > 0))
    n_b_better = int(np.sum(differences < 0))
    n_tied = differences.size - n_a_better - n_b_better
    if n_a_better + n_b_better == 0:
        return PairedTestResult("wilcoxon", 0.0, 1.0, 0, 0, n_tied)
    result = scipy.stats.wilcoxon(differences, zero_method="wilcox")
    return PairedTestResult("wilcoxon", float(result.statistic), float(result.pvalue), n_a_better, n_b_better, n_tied)


# --------------------------------------------------------------------------------------
# Few values: Student's t
# --------------------------------------------------------------------------------------
def mean_t_interval(values, confidence: float = 0.95) -> tuple[float, float, float]:
    """Student's t-interval of the mean of a few values: ``(mean, low, high)``.

    ``values``: shape ``(n,)``, ``n >= 2``, e.g. a metric per cross-validation fold, or the
    per-fold differences of two models tested on the same folds (a paired interval). The
    half-width is ``t_{(1 + confidence) / 2, n - 1} * s / sqrt(n)`` with ``s`` the sample
    standard deviation (``ddof=1``). It treats the values as independent draws, which folds
    that share training ratings are not quite (Bengio and Grandvalet 2004): read it as a
    guide to the spread, not an exact coverage.
    """
    values = _as_values(values, "values", min_length=2)
    confidence = _check_confidence(confidence)
    mean = float(values.mean())
    half_width = float(scipy.stats.t.ppf((1 + confidence) / 2, len(values) - 1)
                       * values.std(ddof=1) / np.sqrt(len(values)))
    return mean, mean - half_width, mean + half_width
