"""Property-based tests (hypothesis): invariants of splits, metrics and padding.

Each test states a rule that must hold for *every* input, and hypothesis searches for an
input that breaks it, instead of checking one hand-picked example:

- splits: every row lands in exactly one part; no test row is older than a training row
  (of the same user, for leave-last-out; of anyone, for the global time split); no user is
  lost where the split promises to keep them;
- metrics: values stay in their range; ROC AUC equals scikit-learn's and does not change
  under a strictly increasing transform of the scores; log loss is >= 0 and equals
  scikit-learn's;
- padding: every id is kept, in order; rows have the requested length; the pad value
  appears only in padding positions.

The runs are deterministic (``derandomize=True``, no example database) and small
(``max_examples`` 50 to 80), so this file takes a few seconds.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sklearn.metrics
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from tutorial_lib.data.splits import leave_last_out, most_recent_rows, stratified_split, temporal_split
from tutorial_lib.data.text import Vocabulary, pad_sequences
from tutorial_lib.evaluation import metrics

# hypothesis keeps a cache of constants in ./.hypothesis even without an example database;
# put it in the temporary folder so that a test run leaves the checkout clean.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "tutorial-lib-hypothesis")

PROPERTY_SETTINGS = settings(
    max_examples=60,
    deadline=None,  # a shared 2-core machine: timing is noise, not a property
    derandomize=True,  # the same examples on every run
    database=None,  # and nothing written to .hypothesis/
    suppress_health_check=[HealthCheck.too_slow],
)


# ---------------------------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------------------------
@st.composite
def interaction_frames(draw, max_rows: int = 40) -> pd.DataFrame:
    """Interactions of up to 6 users with few distinct times (so ties are common), shuffled,
    with an index that is not 0..n-1."""
    n_rows = draw(st.integers(min_value=1, max_value=max_rows))
    column = st.lists(st.integers(0, 5), min_size=n_rows, max_size=n_rows)
    users = draw(column)
    items = draw(st.lists(st.integers(0, 30), min_size=n_rows, max_size=n_rows))
    times = draw(st.lists(st.integers(0, 8), min_size=n_rows, max_size=n_rows))
    index = draw(st.permutations(range(100, 100 + n_rows)))
    return pd.DataFrame({"user_id": users, "item_id": items, "timestamp": times}, index=list(index))


def assert_partition(parts: list[pd.DataFrame], whole: pd.DataFrame) -> None:
    """Every row of ``whole`` is in exactly one part, unchanged."""
    combined = pd.concat(parts)
    assert combined.index.is_unique
    assert sorted(combined.index) == sorted(whole.index)
    pd.testing.assert_frame_equal(combined.sort_index(), whole.sort_index())


# ---------------------------------------------------------------------------------------------
# Splits
# ---------------------------------------------------------------------------------------------
@PROPERTY_SETTINGS
@given(ratings=interaction_frames(), n_test=st.integers(1, 3))
def test_leave_last_out_invariants(ratings, n_test):
    train, test = leave_last_out(ratings, n_test=n_test)
    assert_partition([train, test], ratings)
    # No test row is older than a training row of the same user: compare (time, item), the
    # order the function documents for ties.
    for user, user_test in test.groupby("user_id"):
        user_train = train[train["user_id"] == user]
        latest_train = max(zip(user_train["timestamp"], user_train["item_id"]))
        earliest_test = min(zip(user_test["timestamp"], user_test["item_id"]))
        assert latest_train <= earliest_test
    # Users with more than n_test rows give exactly n_test; the others give none. No user is
    # lost: every user keeps at least one training row.
    history = ratings.groupby("user_id").size()
    test_counts = test.groupby("user_id").size().reindex(history.index, fill_value=0)
    expected = np.where(history > n_test, n_test, 0)
    np.testing.assert_array_equal(test_counts.to_numpy(), expected)
    assert set(train["user_id"]) == set(ratings["user_id"])


@PROPERTY_SETTINGS
@given(
    frame=interaction_frames(),
    test_fraction=st.floats(0.05, 0.6),
    valid_fraction=st.sampled_from([0.0, 0.1, 0.25]),
    as_datetimes=st.booleans(),
)
def test_temporal_split_invariants(frame, test_fraction, valid_fraction, as_datetimes):
    if as_datetimes:
        frame = frame.assign(timestamp=pd.to_datetime(frame["timestamp"], unit="D", origin="2024-01-01"))
    if test_fraction + valid_fraction >= 1:
        return
    try:
        parts = temporal_split(frame, test_fraction=test_fraction, valid_fraction=valid_fraction)
    except ValueError as error:
        # Too few rows, or too many sharing the cut-off time: refused with a message, never
        # returned as a split that leaks.
        assert "too few" in str(error) or "would be empty" in str(error)
        return
    assert len(parts) == (3 if valid_fraction > 0 else 2)
    assert_partition(list(parts), frame)
    assert all(len(part) > 0 for part in parts)
    # Every time of an earlier part is strictly before every time of a later one; for any
    # user, then, no test row is older than one of their training rows.
    for earlier, later in zip(parts[:-1], parts[1:]):
        assert earlier["timestamp"].max() < later["timestamp"].min()


@PROPERTY_SETTINGS
@given(frame=interaction_frames(), max_rows=st.integers(1, 50))
def test_most_recent_rows_keeps_the_latest(frame, max_rows):
    kept = most_recent_rows(frame, max_rows)
    assert len(kept) == min(max_rows, len(frame))
    assert kept["timestamp"].is_monotonic_increasing
    dropped = frame.drop(index=kept.index)
    if len(dropped):
        assert dropped["timestamp"].max() <= kept["timestamp"].min()


@PROPERTY_SETTINGS
@given(
    labels=st.lists(st.integers(0, 1), min_size=8, max_size=60),
    test_fraction=st.floats(0.1, 0.5),
    seed=st.integers(0, 2**16),
)
def test_stratified_split_is_a_partition_that_keeps_every_label(labels, test_fraction, seed):
    frame = pd.DataFrame({"label": labels, "text": [f"review {i}" for i in range(len(labels))]})
    if frame["label"].value_counts().min() < 2:  # a label with one row cannot be on both sides
        with pytest.raises(ValueError, match="single row"):
            stratified_split(frame, test_fraction=test_fraction, seed=seed)
        return
    try:
        train, test = stratified_split(frame, test_fraction=test_fraction, seed=seed)
    except ValueError as error:  # scikit-learn refuses a test set smaller than the class count
        assert "test_size" in str(error) or "train_size" in str(error) or "should be" in str(error)
        return
    assert_partition([train, test], frame)
    assert set(train["label"]) == set(frame["label"]) == set(test["label"])


# ---------------------------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------------------------
@st.composite
def labels_and_scores(draw, min_size: int = 2, max_size: int = 40):
    """Binary labels with both classes present, and integer-valued scores (many ties)."""
    n = draw(st.integers(min_size, max_size))
    labels = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n).filter(lambda v: 0 < sum(v) < len(v)))
    scores = draw(st.lists(st.integers(-20, 20), min_size=n, max_size=n))
    return np.array(labels), np.array(scores, dtype=np.float64)


@PROPERTY_SETTINGS
@given(data=labels_and_scores())
def test_roc_auc_matches_sklearn_and_ignores_monotone_transforms(data):
    labels, scores = data
    auc = metrics.roc_auc(labels, scores)
    assert 0.0 <= auc <= 1.0
    assert auc == pytest.approx(sklearn.metrics.roc_auc_score(labels, scores), abs=1e-12)
    # A strictly increasing transform keeps the order and the ties, hence the AUC.
    assert metrics.roc_auc(labels, np.exp(scores / 7.0) + 3.0) == pytest.approx(auc, abs=1e-12)
    assert metrics.roc_auc(labels, scores**3) == pytest.approx(auc, abs=1e-12)
    # Reversing the order turns AUC into 1 - AUC (ties stay ties, counted as one half).
    assert metrics.roc_auc(labels, -scores) == pytest.approx(1.0 - auc, abs=1e-12)


@PROPERTY_SETTINGS
@given(
    labels=st.lists(st.integers(0, 1), min_size=1, max_size=40),
    data=st.data(),
)
def test_probability_metrics_are_in_range_and_match_sklearn(labels, data):
    probabilities = np.array(
        data.draw(st.lists(st.floats(0.0, 1.0), min_size=len(labels), max_size=len(labels)))
    )
    labels = np.array(labels)
    loss = metrics.log_loss(labels, probabilities)
    assert loss >= 0.0 and np.isfinite(loss)
    clipped = np.clip(probabilities, 1e-6, 1 - 1e-6)  # away from 0 and 1: both libraries agree
    assert metrics.log_loss(labels, clipped) == pytest.approx(
        sklearn.metrics.log_loss(labels, clipped, labels=[0, 1]), rel=1e-9, abs=1e-12
    )
    brier = metrics.brier_score(labels, probabilities)
    assert 0.0 <= brier <= 1.0
    assert brier == pytest.approx(sklearn.metrics.brier_score_loss(labels, probabilities, pos_label=1), abs=1e-12)


@PROPERTY_SETTINGS
@given(
    labels=st.lists(st.integers(0, 1), min_size=1, max_size=40),
    data=st.data(),
)
def test_classification_metrics_are_in_range_and_match_sklearn(labels, data):
    predictions = np.array(data.draw(st.lists(st.integers(0, 1), min_size=len(labels), max_size=len(labels))))
    labels = np.array(labels)
    for name in ("accuracy", "precision", "recall", "f1"):
        value = getattr(metrics, name)(labels, predictions)
        assert 0.0 <= value <= 1.0
        sklearn_function = getattr(sklearn.metrics, "accuracy_score" if name == "accuracy" else f"{name}_score")
        options = {} if name == "accuracy" else {"zero_division": 0.0}
        assert value == pytest.approx(sklearn_function(labels, predictions, **options), abs=1e-12)
    table = metrics.confusion_matrix(labels, predictions)
    assert table.sum() == len(labels)


@st.composite
def candidate_scores(draw):
    """``(n_users, n_candidates)`` relevance with one 1 per row, and scores with ties."""
    n_users = draw(st.integers(1, 6))
    n_candidates = draw(st.integers(1, 12))
    held_out = draw(st.lists(st.integers(0, n_candidates - 1), min_size=n_users, max_size=n_users))
    relevance = np.zeros((n_users, n_candidates), dtype=np.int64)
    relevance[np.arange(n_users), held_out] = 1
    flat = draw(st.lists(st.integers(0, 4), min_size=n_users * n_candidates, max_size=n_users * n_candidates))
    return relevance, np.array(flat, dtype=np.float64).reshape(n_users, n_candidates)


@PROPERTY_SETTINGS
@given(data=candidate_scores(), k=st.integers(1, 15))
def test_ranking_metrics_are_in_range_and_consistent(data, k):
    relevance, scores = data
    for ties in metrics.TIE_RULES:
        hit_rate = metrics.hit_rate_at_k(relevance, scores, k, ties=ties)
        ndcg = metrics.ndcg_at_k(relevance, scores, k, ties=ties)
        reciprocal_rank = metrics.mrr(relevance, scores, ties=ties)
        for value in (hit_rate, ndcg, reciprocal_rank):
            assert 0.0 <= value <= 1.0
        # One relevant item: its discounted gain 1 / log2(rank + 1) is at most its hit.
        assert ndcg <= hit_rate + 1e-12
        assert metrics.hit_rate_at_k(relevance, scores, k + 1, ties=ties) >= hit_rate - 1e-12
    ranks = metrics.rank_of_true_item(relevance, scores)
    assert np.all((1 <= ranks) & (ranks <= relevance.shape[1]))
    # The pessimistic rule never scores better than the average one.
    assert metrics.mrr(relevance, scores) <= metrics.mrr(relevance, scores, ties="average") + 1e-12


# ---------------------------------------------------------------------------------------------
# Padding and vocabularies
# ---------------------------------------------------------------------------------------------
PAD = 99  # outside the ids drawn below, so "pad value only in padding" can be checked exactly


@PROPERTY_SETTINGS
@given(
    sequences=st.lists(st.lists(st.integers(0, 50), max_size=12), max_size=8),
    max_len=st.integers(1, 10),
    truncating=st.sampled_from(["post", "pre"]),
)
def test_pad_sequences_keeps_every_id_in_order(sequences, max_len, truncating):
    padded, lengths = pad_sequences(sequences, max_len=max_len, pad_id=PAD, truncating=truncating)
    assert padded.shape == (len(sequences), max_len) and padded.dtype == np.int64
    np.testing.assert_array_equal(lengths, [min(len(sequence), max_len) for sequence in sequences])
    is_padding = np.arange(max_len)[None, :] >= lengths[:, None]
    np.testing.assert_array_equal(padded == PAD, is_padding)
    for row, sequence in enumerate(sequences):
        kept = sequence[:max_len] if truncating == "post" else sequence[len(sequence) - lengths[row] :]
        assert padded[row, : lengths[row]].tolist() == kept
        if len(sequence) <= max_len:
            assert kept == sequence  # nothing lost when it fits


@PROPERTY_SETTINGS
@given(token_lists=st.lists(st.lists(st.sampled_from(list("甲乙丙丁戊己庚辛")), max_size=6), min_size=1, max_size=6))
def test_vocabulary_round_trip(token_lists):
    vocabulary = Vocabulary(token_lists)
    for tokens in token_lists:
        ids = vocabulary.encode(tokens)
        assert all(2 <= token_id < len(vocabulary) for token_id in ids)
        assert vocabulary.decode(ids) == tokens
        padded, lengths = pad_sequences([ids], max_len=8, pad_id=vocabulary.pad_id)
        assert vocabulary.decode(padded[0], skip_pad=True) == tokens
