"""Tests for tutorial_lib.data.splits: the splits must not leak.

Expected values in the small cases are worked out by hand from the fixture files (see the
comments); larger cases check properties (no future in training, disjoint parts, label ratios)
on random data and, when TUTORIAL_DATA_MIRROR is set, on the real data.
"""

from __future__ import annotations

import os
import types

import numpy as np
import pandas as pd
import pytest

from tutorial_lib.data.datasets import REVIEW_CORPORA, fixture_registry, load_movielens_ratings, load_reviews
from tutorial_lib.data.splits import (
    DeduplicationReport,
    deduplicate_reviews,
    leave_last_out,
    most_recent_rows,
    review_comparison_key,
    sample_per_group,
    stratified_split,
    temporal_split,
)

needs_mirror = pytest.mark.skipif(
    not os.environ.get("TUTORIAL_DATA_MIRROR", "").strip(), reason="TUTORIAL_DATA_MIRROR is not set"
)


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TUTORIAL_DATA_CACHE", str(tmp_path / "cache"))


def random_ratings(seed: int, n_users: int = 60, max_per_user: int = 12) -> pd.DataFrame:
    """Random interactions with many equal timestamps (times drawn from a small range)."""
    rng = np.random.default_rng(seed)
    counts = rng.integers(1, max_per_user + 1, size=n_users)
    user_id = np.repeat(np.arange(1, n_users + 1), counts)
    return pd.DataFrame(
        {
            "user_id": user_id.astype("int32"),
            "item_id": rng.integers(1, 200, size=len(user_id)).astype("int32"),
            "rating": rng.integers(1, 6, size=len(user_id)).astype("int8"),
            "timestamp": rng.integers(0, 30, size=len(user_id)).astype("int64"),
        }
    ).sample(frac=1.0, random_state=seed)  # shuffled rows, arbitrary index


def assert_no_user_future_in_train(train: pd.DataFrame, test: pd.DataFrame) -> None:
    last_train_time = train.groupby("user_id")["timestamp"].max()
    first_test_time = test.groupby("user_id")["timestamp"].min()
    shared_users = first_test_time.index
    assert (last_train_time.loc[shared_users] <= first_test_time).all()


def assert_partition(parts: list[pd.DataFrame], whole: pd.DataFrame) -> None:
    """The parts hold every input row exactly once."""
    index = np.concatenate([part.index.to_numpy() for part in parts])
    assert len(index) == len(whole) and len(np.unique(index)) == len(whole)
    assert set(index) == set(whole.index)


# ---------------------------------------------------------------------------------------------
# leave_last_out
# ---------------------------------------------------------------------------------------------
def test_leave_last_out_on_fixture_by_hand():
    ratings = load_movielens_ratings(registry=fixture_registry())
    train, test = leave_last_out(ratings, n_test=1)
    # Worked out from the fixture u.data: user 1 rated items 4 and 6 at the same, latest time
    # 881000300, so the tie-break (larger item id counts as later) sends item 6 to test;
    # user 2 has one rating and stays in train; users 3 and 4 lose items 4 and 5.
    assert list(zip(test.user_id, test.item_id)) == [(1, 6), (3, 4), (4, 5)]
    assert len(train) == len(ratings) - 3
    assert 2 in set(train.user_id) and 2 not in set(test.user_id)
    assert_no_user_future_in_train(train, test)
    assert_partition([train, test], ratings)

    train2, test2 = leave_last_out(ratings, n_test=2)
    # Two per user for users with three or more ratings (1, 3 and 4).
    assert sorted(zip(test2.user_id, test2.item_id)) == [(1, 4), (1, 6), (3, 4), (3, 6), (4, 2), (4, 5)]


def test_leave_last_out_tie_break():
    # Items 5 and 3 share the latest time 20.
    ratings = pd.DataFrame({"user_id": [1, 1, 1], "item_id": [9, 5, 3], "timestamp": [10, 20, 20]})
    _, test = leave_last_out(ratings)
    assert test.item_id.tolist() == [5]  # default: the larger item id counts as later
    _, test = leave_last_out(ratings, tie_col=None)
    assert test.item_id.tolist() == [3]  # tie_col=None: the later row counts as later
    _, test = leave_last_out(ratings.iloc[[0, 2, 1]], tie_col=None)
    assert test.item_id.tolist() == [5]


@pytest.mark.parametrize("n_test", [1, 3])
def test_leave_last_out_properties_on_random_data(n_test):
    ratings = random_ratings(seed=n_test)
    before = ratings.copy()
    train, test = leave_last_out(ratings, n_test=n_test)
    pd.testing.assert_frame_equal(ratings, before)  # input untouched
    assert_partition([train, test], ratings)
    assert_no_user_future_in_train(train, test)
    history = ratings.groupby("user_id").size()
    expected_test = history.where(history > n_test, 0).clip(upper=n_test)
    got_test = test.groupby("user_id").size().reindex(history.index, fill_value=0)
    assert (got_test == expected_test).all()


def test_leave_last_out_validates_input():
    ratings = random_ratings(seed=0)
    with pytest.raises(ValueError, match="n_test must be an integer >= 1"):
        leave_last_out(ratings, n_test=0)
    with pytest.raises(ValueError, match=r"missing required column\(s\) \['when'\]"):
        leave_last_out(ratings, time_col="when")
    with pytest.raises(TypeError, match="pandas DataFrame"):
        leave_last_out(ratings.to_numpy())
    with pytest.raises(ValueError, match="empty"):
        leave_last_out(ratings.iloc[:0])


# ---------------------------------------------------------------------------------------------
# temporal_split
# ---------------------------------------------------------------------------------------------
def test_temporal_split_ties_go_to_the_later_split():
    events = pd.DataFrame({"timestamp": [3, 1, 4, 3, 2, 3]})
    train, test = temporal_split(events, test_fraction=0.5)
    # Sorted times 1 2 3 3 3 4: half of 6 rows is 3, so the cut-off is the 4th time, 3; all
    # three rows at time 3 join the test set, which holds 4 rows instead of 3.
    assert sorted(train.timestamp) == [1, 2]
    assert sorted(test.timestamp) == [3, 3, 3, 4]
    assert train.index.tolist() == [1, 4] and test.index.tolist() == [0, 2, 3, 5]  # input order


def test_temporal_split_with_validation_by_hand():
    events = pd.DataFrame({"timestamp": np.arange(10)[::-1]})
    train, valid, test = temporal_split(events, test_fraction=0.2, valid_fraction=0.3)
    # 10 distinct times: the last 2 test, the 3 before validate, the first 5 train.
    assert sorted(test.timestamp) == [8, 9]
    assert sorted(valid.timestamp) == [5, 6, 7]
    assert sorted(train.timestamp) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("valid_fraction", [0.0, 0.15])
def test_temporal_cutoff_holds_on_random_data(valid_fraction):
    ratings = random_ratings(seed=11, n_users=200)
    parts = temporal_split(ratings, test_fraction=0.25, valid_fraction=valid_fraction)
    assert len(parts) == (3 if valid_fraction else 2)
    assert_partition(list(parts), ratings)
    for earlier, later in zip(parts[:-1], parts[1:]):
        assert earlier.timestamp.max() < later.timestamp.min()
    assert len(parts[-1]) >= round(0.25 * len(ratings))  # ties can only make test larger


def test_temporal_split_accepts_datetimes():
    events = pd.DataFrame({"when": pd.to_datetime(["2024-01-03", "2024-01-01", "2024-01-02", "2024-01-04"])})
    train, test = temporal_split(events, test_fraction=0.25, time_col="when")
    assert test.when.tolist() == [pd.Timestamp("2024-01-04")]
    assert train.when.max() < test.when.min()


def test_temporal_split_validates_input():
    events = pd.DataFrame({"timestamp": [1, 2, 3, 4]})
    for bad in (0, 1, -0.1, 1.5):
        with pytest.raises(ValueError, match="test_fraction"):
            temporal_split(events, test_fraction=bad)
    with pytest.raises(ValueError, match="valid_fraction"):
        temporal_split(events, valid_fraction=-0.1)
    with pytest.raises(ValueError, match="below 1"):
        temporal_split(events, test_fraction=0.5, valid_fraction=0.5)
    with pytest.raises(TypeError, match="test_fraction must be a real number"):
        temporal_split(events, test_fraction="0.2")
    with pytest.raises(ValueError, match="would be empty"):
        temporal_split(pd.DataFrame({"timestamp": [5, 5, 5, 5]}), test_fraction=0.5)
    with pytest.raises(ValueError, match="too few"):
        temporal_split(pd.DataFrame({"timestamp": [1, 2]}), test_fraction=0.1)
    with pytest.raises(ValueError, match="missing times"):
        temporal_split(pd.DataFrame({"timestamp": [1.0, None, 3.0, 4.0]}))
    with pytest.raises(ValueError, match=r"\['timestamp'\]"):
        temporal_split(pd.DataFrame({"time": [1, 2]}))


# ---------------------------------------------------------------------------------------------
# deduplicate_reviews
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def fixture_reviews() -> pd.DataFrame:
    registry = fixture_registry()
    return pd.concat([load_reviews(corpus, registry=registry) for corpus in REVIEW_CORPORA], ignore_index=True)


def test_deduplicate_fixture_reviews_by_hand(fixture_reviews):
    kept, report = deduplicate_reviews(fixture_reviews, return_report=True)
    # By hand from the fixture files (empty reviews already dropped by load_reviews):
    # 13 online-shopping + 6 delivery + 4 hotel = 23 rows.
    # Conflicts: "送到时有一半烂了" (0 and 1) and "包装破了" (0 and 1): 2 texts, 4 rows dropped.
    # Repeats with one label: the second water-heater review, and two hotel reviews that also
    # appear under 酒店 in online shopping (one differs only by a trailing space): 3 rows.
    assert report == DeduplicationReport(
        rows_in=23,
        rows_out=16,
        conflicting_texts=2,
        conflicting_rows_dropped=4,
        duplicate_rows_dropped=3,
        cross_corpus_texts=2,
    )
    assert len(kept) == 16
    assert not review_comparison_key(kept.text).duplicated().any()
    assert not kept.text.isin(["送到时有一半烂了", "包装破了"]).any()
    # The first copy is kept: the shared hotel reviews stay online-shopping rows.
    shared = kept[review_comparison_key(kept.text) == "前台服务热情，房间干净"]
    assert shared.corpus.tolist() == ["online_shopping_10_cats"]
    assert kept.index.is_monotonic_increasing  # input order and index kept
    assert str(report).startswith("23 rows -> 16:")


def test_deduplicate_returns_only_the_frame_by_default(fixture_reviews):
    kept = deduplicate_reviews(fixture_reviews)
    assert isinstance(kept, pd.DataFrame) and len(kept) == 16
    no_corpus = fixture_reviews.drop(columns="corpus")
    _, report = deduplicate_reviews(no_corpus, return_report=True)
    assert report.cross_corpus_texts == 0 and report.rows_out == 16


def test_deduplicate_validates_input(fixture_reviews):
    with pytest.raises(ValueError, match=r"missing required column\(s\) \['review'\]"):
        deduplicate_reviews(fixture_reviews, text_col="review")
    with_missing = fixture_reviews.astype({"text": object})
    with_missing.loc[0, "text"] = None
    with pytest.raises(ValueError, match="missing texts"):
        deduplicate_reviews(with_missing)


# ---------------------------------------------------------------------------------------------
# stratified_split
# ---------------------------------------------------------------------------------------------
def random_reviews(seed: int, n_rows: int = 1000, positive_share: float = 0.3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "label": (rng.random(n_rows) < positive_share).astype("int8"),
            "category": rng.choice(["书籍", "手机", "酒店"], size=n_rows),
            "text": [f"评论{i}" for i in range(n_rows)],
        }
    )


def test_stratified_split_refuses_duplicate_texts(fixture_reviews):
    with pytest.raises(ValueError, match="deduplicate_reviews"):
        stratified_split(fixture_reviews, seed=0)
    # A duplicate that differs only by surrounding whitespace counts too.
    frame = random_reviews(seed=0, n_rows=20)
    frame.loc[19, "text"] = " " + frame.loc[0, "text"] + "\n"
    with pytest.raises(ValueError, match="1 rows"):
        stratified_split(frame, seed=0)


@pytest.mark.parametrize("valid_fraction", [0.0, 0.2])
def test_stratified_split_keeps_the_label_ratio(valid_fraction):
    frame = random_reviews(seed=1)
    parts = stratified_split(frame, test_fraction=0.2, valid_fraction=valid_fraction, seed=7)
    assert len(parts) == (3 if valid_fraction else 2)
    assert_partition(list(parts), frame)
    overall = frame.label.mean()
    for part in parts:
        # Stratification rounds each class's count, so a part's ratio is off by < 1 row.
        assert abs(part.label.mean() - overall) <= 1.5 / len(part)
        assert part.index.is_monotonic_increasing
    assert len(parts[-1]) == 200
    texts = [set(part.text) for part in parts]
    assert all(not (a & b) for i, a in enumerate(texts) for b in texts[i + 1 :])


def test_stratified_split_by_category_and_seed():
    frame = random_reviews(seed=2)
    train, test = stratified_split(frame, test_fraction=0.25, seed=3, category_col="category")
    overall = frame.groupby(["label", "category"]).size() / len(frame)
    in_test = test.groupby(["label", "category"]).size() / len(test)
    assert ((in_test - overall).abs() <= 1.5 / len(test)).all()
    again_train, again_test = stratified_split(frame, test_fraction=0.25, seed=3, category_col="category")
    assert test.index.equals(again_test.index) and train.index.equals(again_train.index)
    _, other_test = stratified_split(frame, test_fraction=0.25, seed=4, category_col="category")
    assert not test.index.equals(other_test.index)


def test_stratified_split_validates_input():
    frame = random_reviews(seed=3, n_rows=50)
    with pytest.raises(ValueError, match=r"missing required column\(s\) \['stars'\]"):
        stratified_split(frame, label_col="stars")
    with pytest.raises(ValueError, match="test_fraction"):
        stratified_split(frame, test_fraction=1.0)
    with pytest.raises(TypeError, match="seed"):
        stratified_split(frame, seed=1.5)
    lonely = frame.copy()
    lonely.loc[0, "label"] = 7  # a label with a single row cannot be on both sides
    with pytest.raises(ValueError, match="single row"):
        stratified_split(lonely, seed=0)
    # Without a text column the duplicate check can be switched off.
    train, test = stratified_split(frame.drop(columns="text"), seed=0, text_col=None)
    assert len(train) + len(test) == 50


# ---------------------------------------------------------------------------------------------
# The real data
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def real_data(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TUTORIAL_DATA_CACHE", str(tmp_path_factory.mktemp("real-cache")))
        reviews = pd.concat([load_reviews(corpus) for corpus in REVIEW_CORPORA], ignore_index=True)
        return types.SimpleNamespace(ratings=load_movielens_ratings(), reviews=reviews)


@needs_mirror
def test_real_leave_last_out_and_temporal_split(real_data):
    ratings = real_data.ratings
    train, test = leave_last_out(ratings)
    assert len(test) == 943  # every ML-100K user has at least 20 ratings
    assert_no_user_future_in_train(train, test)
    train, valid, test = temporal_split(ratings, test_fraction=0.2, valid_fraction=0.1)
    assert train.timestamp.max() < valid.timestamp.min() and valid.timestamp.max() < test.timestamp.min()
    assert_partition([train, valid, test], ratings)


@needs_mirror
def test_real_hotel_reviews_shared_between_corpora(real_data):
    reviews = real_data.reviews
    shopping_hotel = review_comparison_key(
        reviews.text[(reviews.corpus == "online_shopping_10_cats") & (reviews.category == "酒店")]
    )
    hotel = set(review_comparison_key(reviews.text[reviews.corpus == "ChnSentiCorp_htl_all"]))
    # The data README counts 5,573 shared texts comparing the raw strings; one more online-shopping
    # hotel review matches once its leading byte-order mark is removed (checked separately with
    # plain pandas on the raw CSV files).
    assert shopping_hotel.isin(hotel).sum() == 5_574


@needs_mirror
def test_real_reviews_deduplicate_then_split_without_shared_texts(real_data):
    kept, report = deduplicate_reviews(real_data.reviews, return_report=True)
    assert report.rows_in == len(real_data.reviews)
    assert report.rows_out == report.rows_in - report.conflicting_rows_dropped - report.duplicate_rows_dropped
    assert report.duplicate_rows_dropped >= 5_574 and report.cross_corpus_texts >= 5_574
    train, valid, test = stratified_split(kept, test_fraction=0.2, valid_fraction=0.1, seed=0, category_col="category")
    keys = [set(review_comparison_key(part.text)) for part in (train, valid, test)]
    assert not (keys[0] & keys[1]) and not (keys[0] & keys[2]) and not (keys[1] & keys[2])
    for part in (train, valid, test):
        assert abs(part.label.mean() - kept.label.mean()) < 0.005


def test_sample_per_group_caps_each_group_and_keeps_order():
    frame = pd.DataFrame({"corpus": ["a"] * 10 + ["b"] * 3, "text": [f"t{i}" for i in range(13)]})
    sampled = sample_per_group(frame, 4, seed=0)
    assert sampled["corpus"].value_counts().to_dict() == {"a": 4, "b": 3}
    assert list(sampled.index) == sorted(sampled.index)
    assert sample_per_group(frame, 4, seed=0).equals(sampled)  # same seed, same rows
    assert sample_per_group(frame, None) is frame


def test_sample_per_group_validates():
    frame = pd.DataFrame({"corpus": ["a", "b"]})
    with pytest.raises(ValueError, match="max_per_group must be an integer >= 1"):
        sample_per_group(frame, 0)
    with pytest.raises(ValueError, match=r"missing required column\(s\) \['source'\]"):
        sample_per_group(frame, 1, group_col="source")
    with pytest.raises(ValueError, match="repeated index"):
        sample_per_group(pd.DataFrame({"corpus": ["a", "b"]}, index=[0, 0]), 1)


def test_most_recent_rows_takes_the_latest_in_time_order():
    frame = pd.DataFrame({"timestamp": [5, 1, 4, 2, 4], "item_id": [10, 11, 12, 13, 14]})
    latest = most_recent_rows(frame, 3)
    assert latest["timestamp"].tolist() == [4, 4, 5]
    assert latest["item_id"].tolist() == [12, 14, 10]  # the tie at 4 keeps its original order
    assert most_recent_rows(frame, None)["timestamp"].tolist() == [1, 2, 4, 4, 5]
    with pytest.raises(ValueError, match="max_rows must be an integer >= 1"):
        most_recent_rows(frame, 0)


# ---------------------------------------------------------------------------------------------
# Times that are not times (issue 7, "wrong answers without a word"). Each of these returned a
# wrong split without an error before tutorial_lib.validation.check_timestamps was used.
# ---------------------------------------------------------------------------------------------
def test_temporal_split_rejects_text_timestamps():
    # As text, "10" sorts before "9": the rows at times 10 and 11 would train, 9 would test.
    frame = pd.DataFrame({"timestamp": [str(t) for t in range(1, 12)], "x": range(11)})
    with pytest.raises(TypeError, match=r"timestamp.*pd.to_datetime"):
        temporal_split(frame, test_fraction=0.2)
    as_numbers = frame.assign(timestamp=frame["timestamp"].astype("int64"))
    train, test = temporal_split(as_numbers, test_fraction=0.2)
    assert train["timestamp"].max() < test["timestamp"].min()


@pytest.mark.parametrize("bad_time", [np.nan, np.inf])
def test_leave_last_out_rejects_missing_times(bad_time):
    # NaN sorts last, so the row without a time became the user's "latest" test row.
    ratings = pd.DataFrame(
        {"user_id": [1, 1, 1], "item_id": [10, 11, 12], "timestamp": [1.0, bad_time, 2.0]}
    )
    with pytest.raises(ValueError, match="timestamp.*(missing|infinite)"):
        leave_last_out(ratings)


def test_leave_last_out_rejects_missing_datetimes_and_text():
    ratings = pd.DataFrame(
        {
            "user_id": [1, 1],
            "item_id": [10, 11],
            "timestamp": pd.to_datetime(["2024-01-01", None]),
        }
    )
    with pytest.raises(ValueError, match="missing times"):
        leave_last_out(ratings)
    with pytest.raises(TypeError, match="pd.to_datetime"):
        leave_last_out(ratings.assign(timestamp=["2024-01-09", "2024-01-10"]))


def test_most_recent_rows_rejects_missing_times():
    frame = pd.DataFrame({"timestamp": [3.0, np.nan, 1.0], "x": [0, 1, 2]})
    with pytest.raises(ValueError, match="missing times"):
        most_recent_rows(frame, max_rows=1)


def test_label_columns_without_values_are_rejected():
    frame = pd.DataFrame({"text": ["a", "b", "c", "d"], "label": [0, 1, np.nan, 1]})
    with pytest.raises(ValueError, match="label.*missing"):
        stratified_split(frame, test_fraction=0.5)
    with pytest.raises(ValueError, match="label.*missing"):
        deduplicate_reviews(frame)


# ---------------------------------------------------------------------------------------------
# surprise_benchmark_folds (agreement with Surprise's KFold itself: tests/test_surprise_peer.py)
# ---------------------------------------------------------------------------------------------
def test_surprise_benchmark_folds_partition_the_positions():
    from tutorial_lib.data.splits import surprise_benchmark_folds

    folds = surprise_benchmark_folds(23, n_folds=5, random_state=0)
    sizes = [len(test) for _, test in folds]
    assert sizes == [5, 5, 5, 4, 4]          # the first 23 % 5 = 3 blocks are one longer
    tests = np.concatenate([test for _, test in folds])
    np.testing.assert_array_equal(np.sort(tests), np.arange(23))
    for train, test in folds:
        assert len(train) + len(test) == 23 and not np.intersect1d(train, test).size
    shuffled = np.arange(23)
    np.random.RandomState(0).shuffle(shuffled)
    np.testing.assert_array_equal(tests, shuffled)    # consecutive blocks of one shuffle
    with pytest.raises(ValueError, match="n_ratings"):
        surprise_benchmark_folds(3, n_folds=5)
    with pytest.raises(ValueError, match="n_folds"):
        surprise_benchmark_folds(10, n_folds=1)


@needs_mirror
def test_movielens_in_file_order_starts_with_u_data_first_line():
    ratings = load_movielens_ratings("ml-100k", file_order=True)
    assert ratings.iloc[0][["user_id", "item_id", "rating"]].tolist() == [196, 242, 3]
    sorted_ratings = load_movielens_ratings("ml-100k")
    pd.testing.assert_frame_equal(
        ratings.sort_values(["user_id", "timestamp", "item_id"], kind="mergesort", ignore_index=True),
        sorted_ratings)
