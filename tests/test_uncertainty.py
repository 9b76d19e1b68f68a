"""Tests for tutorial_lib.evaluation.uncertainty: bootstrap intervals and paired tests."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats

from tutorial_lib.evaluation import metrics, uncertainty


# --------------------------------------------------------------------------------------
# bootstrap_ci
# --------------------------------------------------------------------------------------
def test_bootstrap_ci_covers_the_true_mean_at_about_the_nominal_rate():
    # 400 test sets of 200 users whose per-user hit (as in HR@10) is 1 with probability
    # 0.3: a 90% interval should contain 0.3 in about 90% of them. The coverage count is
    # about binomial(400, 0.9), standard deviation 0.015, so 0.86..0.94 is about 2.7 of them.
    hit_probability = 0.3
    n_test_sets = 400
    n_covered = 0
    for seed in range(n_test_sets):
        hits = np.random.default_rng(seed).binomial(1, hit_probability, size=200)
        interval = uncertainty.bootstrap_ci(hits, n_resamples=300, confidence=0.9, seed=seed)
        n_covered += interval.low <= hit_probability <= interval.high
    assert 0.86 <= n_covered / n_test_sets <= 0.94


def test_bootstrap_ci_is_reproducible_and_depends_on_the_seed():
    values = np.random.default_rng(0).normal(size=100)
    first = uncertainty.bootstrap_ci(values, n_resamples=200, seed=7)
    again = uncertainty.bootstrap_ci(values, n_resamples=200, seed=7)
    other = uncertainty.bootstrap_ci(values, n_resamples=200, seed=8)
    assert first == again
    assert (first.low, first.high) != (other.low, other.high)


def test_bootstrap_ci_estimate_and_order():
    values = np.random.default_rng(1).uniform(size=50)
    interval = uncertainty.bootstrap_ci(values, np.median, n_resamples=500, confidence=0.8, seed=0)
    assert interval.estimate == pytest.approx(np.median(values))
    assert interval.low < interval.estimate < interval.high
    assert interval.confidence == 0.8 and interval.n_resamples == 500


def test_bootstrap_ci_agrees_with_scipy_percentile_bootstrap():
    values = np.random.default_rng(2).normal(loc=1.0, size=400)
    ours = uncertainty.bootstrap_ci(values, n_resamples=4000, seed=0)
    theirs = scipy.stats.bootstrap(
        (values,), np.mean, n_resamples=4000, method="percentile", rng=np.random.default_rng(1)
    ).confidence_interval
    half_width = (theirs.high - theirs.low) / 2
    # Different random draws: the ends agree to a few percent of the interval's width.
    assert ours.low == pytest.approx(theirs.low, abs=0.05 * half_width)
    assert ours.high == pytest.approx(theirs.high, abs=0.05 * half_width)


def test_wider_confidence_gives_a_wider_interval():
    values = np.random.default_rng(3).normal(size=100)
    narrow = uncertainty.bootstrap_ci(values, confidence=0.5, seed=0)
    wide = uncertainty.bootstrap_ci(values, confidence=0.99, seed=0)
    assert wide.low < narrow.low < narrow.high < wide.high


def test_interval_of_constant_values_is_a_point():
    interval = uncertainty.bootstrap_ci(np.ones(10), n_resamples=50, seed=0)
    assert (interval.low, interval.estimate, interval.high) == (1.0, 1.0, 1.0)
    assert str(interval) == "1.0000 [1.0000, 1.0000]"


# --------------------------------------------------------------------------------------
# bootstrap_metric
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def grouped_scores():
    """600 rows from 30 users; the scores separate the labels for half of the users only."""
    rng = np.random.default_rng(4)
    n_users, rows_per_user = 30, 20
    groups = np.repeat(np.arange(n_users), rows_per_user)
    signal_of_user = rng.choice([0.0, 3.0], size=n_users)
    y_true = rng.integers(0, 2, size=groups.size)
    y_score = signal_of_user[groups] * y_true + rng.normal(size=groups.size)
    return y_true, y_score, groups


def test_bootstrap_metric_over_rows_contains_the_estimate(grouped_scores):
    y_true, y_score, _ = grouped_scores
    interval = uncertainty.bootstrap_metric(metrics.roc_auc, y_true, y_score, n_resamples=200, seed=0)
    assert interval.estimate == pytest.approx(metrics.roc_auc(y_true, y_score))
    assert interval.low < interval.estimate < interval.high


def test_resampling_groups_widens_the_interval_when_users_differ(grouped_scores):
    y_true, y_score, groups = grouped_scores
    by_row = uncertainty.bootstrap_metric(metrics.roc_auc, y_true, y_score, n_resamples=300, seed=0)
    by_user = uncertainty.bootstrap_metric(metrics.roc_auc, y_true, y_score, groups, n_resamples=300, seed=0)
    assert by_user.estimate == by_row.estimate
    # Which users are drawn decides most of the AUC: resampling rows hides that (the
    # ratio is 1.9 to 2.6 over data seeds 0-9).
    assert by_user.high - by_user.low > 1.5 * (by_row.high - by_row.low)


def test_groups_resampling_keeps_each_group_whole():
    # Metric = number of distinct (group, value) pairs divided by rows: 1 exactly when every
    # drawn group brings all of its rows; group g has g + 1 rows, all with value g.
    groups = np.repeat(np.arange(5), np.arange(1, 6))
    values = groups.astype(float)

    def rows_per_group_are_complete(y_true, y_score):
        drawn, counts = np.unique(y_true, return_counts=True)
        return float(np.all(counts % (drawn + 1) == 0))

    interval = uncertainty.bootstrap_metric(rows_per_group_are_complete, values, values, groups, n_resamples=50, seed=0)
    assert interval.low == interval.high == 1.0


def test_bootstrap_metric_reports_a_metric_that_fails_on_a_resample():
    y_true = np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match="failed on bootstrap resample"):
        uncertainty.bootstrap_metric(metrics.roc_auc, y_true, [0.1, 0.9, 0.2, 0.8], n_resamples=200, seed=0)


# --------------------------------------------------------------------------------------
# Paired comparisons
# --------------------------------------------------------------------------------------
def _paired_scores(shift: float, seed: int, n_users: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """Two models' per-user scores sharing a per-user difficulty; A is ``shift`` higher."""
    rng = np.random.default_rng(seed)
    difficulty = rng.uniform(size=n_users)
    b = difficulty + rng.normal(scale=0.1, size=n_users)
    a = difficulty + shift + rng.normal(scale=0.1, size=n_users)
    return a, b


def test_paired_bootstrap_detects_a_clear_difference():
    a, b = _paired_scores(shift=0.05, seed=0)
    result = uncertainty.paired_bootstrap(a, b, n_resamples=1000, seed=0)
    assert result.difference.estimate == pytest.approx(np.mean(a - b))
    assert result.difference.low > 0
    assert result.p_value < 0.01
    assert result.n_pairs == 300
    assert uncertainty.sign_test(a, b).p_value < 0.01
    assert uncertainty.wilcoxon(a, b).p_value < 0.01


def test_paired_bootstrap_does_not_find_a_difference_that_is_not_there():
    a, b = _paired_scores(shift=0.0, seed=1)
    result = uncertainty.paired_bootstrap(a, b, n_resamples=1000, seed=0)
    assert result.difference.low < 0 < result.difference.high
    assert result.p_value > 0.05


def test_paired_tests_reject_a_true_null_at_about_the_nominal_rate():
    # Under no difference, p < 0.05 should happen in about 5% of experiments.
    n_experiments = 200
    rejections = {"bootstrap": 0, "sign": 0, "wilcoxon": 0}
    for seed in range(n_experiments):
        a, b = _paired_scores(shift=0.0, seed=seed, n_users=100)
        rejections["bootstrap"] += uncertainty.paired_bootstrap(a, b, n_resamples=200, seed=seed).p_value < 0.05
        rejections["sign"] += uncertainty.sign_test(a, b).p_value < 0.05
        rejections["wilcoxon"] += uncertainty.wilcoxon(a, b).p_value < 0.05
    for test, count in rejections.items():
        assert count / n_experiments <= 0.11, test


def test_pairing_finds_a_difference_the_separate_intervals_miss():
    # Users differ a lot (difficulty), the models by a little: the two models' own
    # intervals overlap, the paired one excludes zero.
    a, b = _paired_scores(shift=0.03, seed=2)
    interval_a = uncertainty.bootstrap_ci(a, seed=0)
    interval_b = uncertainty.bootstrap_ci(b, seed=0)
    assert interval_a.low < interval_b.high
    assert uncertainty.paired_bootstrap(a, b, seed=0).difference.low > 0


def test_sign_test_by_hand():
    # A higher for 4 users, lower for 1, tied for 2: p = P(|X - 2.5| >= 1.5), X ~ Bin(5, 1/2)
    # = 2 * (1 + 5) / 32 = 0.375.
    a = [1, 1, 1, 1, 0, 0.5, 0.5]
    b = [0, 0, 0, 0, 1, 0.5, 0.5]
    result = uncertainty.sign_test(a, b)
    assert (result.n_a_better, result.n_b_better, result.n_tied) == (4, 1, 2)
    assert result.p_value == pytest.approx(0.375)


def test_wilcoxon_matches_scipy_and_ties_give_p_one():
    a, b = _paired_scores(shift=0.02, seed=3, n_users=50)
    assert uncertainty.wilcoxon(a, b).p_value == pytest.approx(scipy.stats.wilcoxon(a, b).pvalue)
    same = np.arange(5.0)
    assert uncertainty.wilcoxon(same, same).p_value == 1.0
    assert uncertainty.sign_test(same, same).p_value == 1.0


def test_wilcoxon_counts_and_statistic_by_hand():
    # Differences a - b = [3, 2, -1, 0, 4]: A higher for 3 users, lower for 1, tied for 1.
    # Dropping the zero, |d| = 3, 2, 1, 4 have ranks 3, 2, 1, 4: W+ = 9, W- = 1, and SciPy's
    # statistic is the smaller sum, 1.
    a = [5.0, 4.0, 1.0, 2.0, 6.0]
    b = [2.0, 2.0, 2.0, 2.0, 2.0]
    result = uncertainty.wilcoxon(a, b)
    assert (result.n_a_better, result.n_b_better, result.n_tied) == (3, 1, 1)
    assert result.statistic == 1.0
    swapped = uncertainty.wilcoxon(b, a)
    assert (swapped.n_a_better, swapped.n_b_better, swapped.n_tied) == (1, 3, 1)
    assert swapped.p_value == pytest.approx(result.p_value)


def test_paired_bootstrap_prints_the_p_value_floor():
    # Every user better by 1: no centred resample reaches the observed gap, so p is the
    # floor 1 / (1 + n_resamples), and the text says "at most" rather than a typed value.
    a, b = np.arange(20.0) + 1, np.arange(20.0)
    result = uncertainty.paired_bootstrap(a, b, n_resamples=199, seed=0)
    assert result.p_value == pytest.approx(1 / 200)
    assert "p <= 0.005" in str(result)
    noisy = uncertainty.paired_bootstrap([0.0, 1.0, 0.0, 1.0], [1.0, 0.0, 0.0, 1.0], n_resamples=199, seed=0)
    assert f"p = {noisy.p_value:.3g}" in str(noisy)


# --------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: uncertainty.bootstrap_ci([1.0]), "per_unit_values needs at least 2"),
        (lambda: uncertainty.bootstrap_ci([[1.0, 2.0]]), "per_unit_values must be 1-D"),
        (lambda: uncertainty.bootstrap_ci([1.0, np.nan]), "per_unit_values contains NaN"),
        (lambda: uncertainty.bootstrap_ci(["a", "b"]), "per_unit_values must hold numbers"),
        (lambda: uncertainty.bootstrap_ci([1.0, 2.0], confidence=95), "confidence must be"),
        (lambda: uncertainty.bootstrap_ci([1.0, 2.0], n_resamples=0), "n_resamples must be"),
        (lambda: uncertainty.bootstrap_ci([1.0, 2.0], n_resamples=True), "n_resamples must be"),
        (lambda: uncertainty.bootstrap_metric(metrics.roc_auc, [0, 1], [0.1]), "y_score must have the shape"),
        (lambda: uncertainty.bootstrap_metric(metrics.roc_auc, [0, 1], [0.1, 0.2], [1]), "groups must have"),
        (lambda: uncertainty.bootstrap_metric(metrics.roc_auc, [0, 1], [0.1, 0.2], [1, 1]), "single group"),
        (lambda: uncertainty.paired_bootstrap([1.0, 2.0], [1.0, 2.0, 3.0]), "same users"),
        (lambda: uncertainty.sign_test([1.0, 2.0], [1.0, np.inf]), "b contains NaN"),
    ],
)
def test_bad_input_names_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_seed_must_be_an_int():
    with pytest.raises(TypeError, match="seed must be an int"):
        uncertainty.bootstrap_ci([1.0, 2.0], seed=1.5)


def test_mean_t_interval_by_hand_and_against_scipy():
    import scipy.stats

    from tutorial_lib.evaluation.uncertainty import mean_t_interval

    values = np.array([0.91, 0.93, 0.92, 0.94, 0.90])
    mean, low, high = mean_t_interval(values)
    # n = 5: t_{0.975, 4} = 2.7764, s = 0.015811, half-width 2.7764 * s / sqrt(5) = 0.019632
    assert mean == pytest.approx(0.92)
    assert high - mean == pytest.approx(0.019632, abs=1e-6)
    assert (low, high) == pytest.approx(scipy.stats.t.interval(0.95, 4, loc=0.92, scale=values.std(ddof=1) / np.sqrt(5)))
    with pytest.raises(ValueError, match="values"):
        mean_t_interval([0.9])
    with pytest.raises(ValueError, match="confidence"):
        mean_t_interval(values, confidence=1.5)
