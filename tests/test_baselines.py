"""Tests for tutorial_lib.models.baselines: smoothed like rates per item and per user."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.preprocessing import TargetEncoder

from agreement import assert_same_outputs
from tutorial_lib.models.baselines import (
    PRIOR_STRENGTH_GRID,
    SmoothedLikeRate,
    out_of_fold_like_rate,
    validation_log_loss_by_prior,
)


@pytest.fixture(scope="module")
def ratings():
    """400 seeded ratings: 30 items with different like rates, 50 users."""
    rng = np.random.default_rng(11)
    n_rows = 400
    item_id = rng.integers(1, 31, size=n_rows)
    user_id = rng.integers(1, 51, size=n_rows)
    item_rate = np.linspace(0.1, 0.9, 31)[item_id]
    like = (rng.random(n_rows) < item_rate).astype(int)
    return pd.DataFrame({"user_id": user_id, "item_id": item_id, "like": like})


def test_rates_by_hand():
    # Item 1: 2 likes in 2 ratings, item 2: 0 of 2; global rate 2 / 4 = 0.5.
    train = pd.DataFrame({"item_id": [1, 1, 2, 2], "like": [1, 1, 0, 0]})
    baseline = SmoothedLikeRate("item_id", prior_strength=2.0).fit(train)
    new = pd.DataFrame({"item_id": [1, 2, 99]})
    # (2 + 2 * 0.5) / (2 + 2) = 0.75; (0 + 1) / 4 = 0.25; unseen: the global rate.
    np.testing.assert_allclose(baseline.like_rate(new), [0.75, 0.25, 0.5])
    probabilities = baseline.predict_proba(new)
    assert probabilities.shape == (3, 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert baseline.seen_share(new) == pytest.approx(2 / 3)
    raw = SmoothedLikeRate("item_id", prior_strength=0.0).fit(train)
    np.testing.assert_allclose(raw.like_rate(new), [1.0, 0.0, 0.5])


def test_per_user_baseline_groups_by_user(ratings):
    baseline = SmoothedLikeRate("user_id", prior_strength=5.0).fit(ratings)
    user = ratings["user_id"].iloc[0]
    rows = ratings[ratings["user_id"] == user]
    expected = (rows["like"].sum() + 5.0 * ratings["like"].mean()) / (len(rows) + 5.0)
    assert baseline.like_rate(rows.iloc[:1])[0] == pytest.approx(expected)


@pytest.mark.parametrize("prior_strength", [0.5, 3.0, 40.0])
def test_matches_sklearn_target_encoder(ratings, prior_strength):
    # The library version of the same rule: TargetEncoder's fitted encodings
    # (transform on new rows, not fit_transform, which cross-fits).
    baseline = SmoothedLikeRate("item_id", prior_strength=prior_strength).fit(ratings)
    encoder = TargetEncoder(smooth=prior_strength, target_type="binary")
    encoder.fit(ratings[["item_id"]], ratings["like"])
    new = pd.DataFrame({"item_id": np.arange(0, 35)})  # includes unseen items 0, 31..34
    assert_same_outputs(
        baseline.like_rate,
        lambda frame: encoder.transform(frame[["item_id"]]).ravel(),
        new,
        atol=1e-12,
    )


def test_out_of_fold_rate_never_uses_the_rows_own_label(ratings):
    rates = out_of_fold_like_rate(ratings, prior_strength=3.0, seed=4)
    assert rates.shape == (len(ratings),)
    flipped = ratings.copy()
    row = 17
    flipped.loc[flipped.index[row], "like"] = 1 - flipped["like"].iloc[row]
    rates_flipped = out_of_fold_like_rate(flipped, prior_strength=3.0, seed=4)
    # The flipped row's own feature is unchanged; rows of the same item in other folds move.
    assert rates_flipped[row] == rates[row]
    same_item = (ratings["item_id"] == ratings["item_id"].iloc[row]).to_numpy()
    assert np.any(rates_flipped[same_item] != rates[same_item])
    # In-sample rates, by contrast, move with the row's own label.
    in_sample = SmoothedLikeRate(prior_strength=3.0).fit(ratings).like_rate(ratings)
    in_sample_flipped = SmoothedLikeRate(prior_strength=3.0).fit(flipped).like_rate(flipped)
    assert in_sample_flipped[row] != in_sample[row]


def test_out_of_fold_rate_is_seeded_and_matches_a_manual_fold(ratings):
    first = out_of_fold_like_rate(ratings, prior_strength=2.0, n_folds=4, seed=9)
    np.testing.assert_array_equal(first, out_of_fold_like_rate(ratings, prior_strength=2.0, n_folds=4, seed=9))
    assert not np.array_equal(first, out_of_fold_like_rate(ratings, prior_strength=2.0, n_folds=4, seed=10))
    fold_of_row = np.random.default_rng(9).permutation(len(ratings)) % 4
    held_out = fold_of_row == 0
    manual = SmoothedLikeRate(prior_strength=2.0).fit(ratings[~held_out]).like_rate(ratings[held_out])
    np.testing.assert_allclose(first[held_out], manual)


def test_validation_table_picks_a_prior(ratings):
    train, valid = ratings.iloc[:300], ratings.iloc[300:]
    table = validation_log_loss_by_prior(train, valid, PRIOR_STRENGTH_GRID)
    assert list(table["prior_strength"]) == [float(m) for m in PRIOR_STRENGTH_GRID]
    assert table["validation log-loss"].between(0, 5).all()
    assert table["validation AUC"].between(0, 1).all()
    # Raw rates (m = 0) give 0 or 1 for items rated once: much worse log-loss than m = 3.
    raw_and_smoothed = validation_log_loss_by_prior(train, valid, [0.0, 3.0])
    assert raw_and_smoothed["validation log-loss"].iloc[0] > raw_and_smoothed["validation log-loss"].iloc[1]


@pytest.mark.parametrize(
    ("kwargs", "frame", "error", "message"),
    [
        ({"key": "film"}, None, ValueError, "key must be one of"),
        ({"prior_strength": -1.0}, None, ValueError, "prior_strength must be"),
        ({"prior_strength": np.nan}, None, ValueError, "prior_strength must be"),
        ({"prior_strength": True}, None, ValueError, "prior_strength must be"),
        ({}, pd.DataFrame({"item_id": [1, 2]}), ValueError, "missing required column"),
        ({}, pd.DataFrame({"item_id": [1, 2], "like": [0, 2]}), ValueError, "only 0 and 1"),
        ({}, pd.DataFrame({"item_id": [1, None], "like": [0, 1]}), ValueError, "missing values"),
        ({}, pd.DataFrame({"item_id": [], "like": []}), ValueError, "empty"),
        ({}, np.zeros((3, 2)), TypeError, "DataFrame"),
    ],
)
def test_fit_rejects_bad_input(ratings, kwargs, frame, error, message):
    with pytest.raises(error, match=message):
        SmoothedLikeRate(**kwargs).fit(ratings if frame is None else frame)


def test_predict_before_fit_and_bad_fold_arguments(ratings):
    with pytest.raises(NotFittedError, match="not fitted"):
        SmoothedLikeRate().predict_proba(ratings)
    with pytest.raises(ValueError, match="n_folds"):
        out_of_fold_like_rate(ratings, n_folds=1)
    with pytest.raises(ValueError, match="fewer than n_folds"):
        out_of_fold_like_rate(ratings.iloc[:3], n_folds=5)
    with pytest.raises(TypeError, match="seed"):
        out_of_fold_like_rate(ratings, seed=1.5)
    with pytest.raises(ValueError, match="at least one value"):
        validation_log_loss_by_prior(ratings, ratings, [])
