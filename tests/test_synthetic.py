import numpy as np
import pandas as pd
import pytest

from tutorial_lib.data.synthetic import MOVIELENS_SHAPES, movielens_like_shape, synthetic_interactions, top_share


@pytest.fixture(scope="module")
def log_100k_shape():
    return synthetic_interactions(100_000, 943, 1_682, seed=3)


def test_the_log_has_the_asked_shape_columns_and_dtypes(log_100k_shape):
    log = log_100k_shape
    assert list(log.columns) == ["user_id", "item_id", "rating", "timestamp"]
    assert log.dtypes.to_dict() == {
        "user_id": np.dtype("int32"), "item_id": np.dtype("int32"),
        "rating": np.dtype("int8"), "timestamp": np.dtype("int64"),
    }
    assert len(log) == 100_000
    assert sorted(log["user_id"].unique()) == list(range(1, 944))  # every user present
    assert log["item_id"].between(1, 1_682).all()
    assert log["rating"].between(1, 5).all()


def test_no_user_item_pair_occurs_twice(log_100k_shape):
    assert not log_100k_shape.duplicated(["user_id", "item_id"]).any()


def test_the_log_is_sorted_by_user_then_time(log_100k_shape):
    log = log_100k_shape
    expected = log.sort_values(["user_id", "timestamp", "item_id"], kind="mergesort", ignore_index=True)
    pd.testing.assert_frame_equal(log, expected)


def test_user_activity_has_the_floor_and_a_heavy_tail(log_100k_shape):
    counts = log_100k_shape["user_id"].value_counts()
    assert counts.min() >= 20
    assert counts.max() <= 1_682 // 2
    # MovieLens 100K: median 65, mean 106 ratings per user; a heavy tail puts the mean well
    # above the median, and the top 10% of users make about a third of the ratings.
    assert 1.3 < counts.mean() / counts.median() < 2.2
    assert 0.25 < top_share(counts.to_numpy(), 0.1) < 0.45


def test_item_popularity_has_a_long_tail_like_movielens(log_100k_shape):
    counts = np.bincount(log_100k_shape["item_id"], minlength=1_683)[1:]
    # MovieLens 100K: the top 10% of films get 43% of the ratings, the top 1% get 7.6%.
    assert 0.35 < top_share(counts, 0.1) < 0.55
    assert 0.04 < top_share(counts, 0.01) < 0.15
    # Uniform popularity would give the top 10% only about 10%: the tail is really there.
    uniform = synthetic_interactions(100_000, 943, 1_682, seed=3, item_exponent=0.0)
    assert top_share(np.bincount(uniform["item_id"])[1:], 0.1) < 0.15


def test_a_larger_exponent_gives_a_longer_tail():
    shares = [
        top_share(synthetic_interactions(20_000, 200, 1_000, seed=0, item_exponent=exponent)["item_id"]
                  .value_counts().to_numpy(), 0.1)
        for exponent in (0.5, 1.0, 1.5)
    ]
    assert shares[0] < shares[1] < shares[2]


def test_the_same_seed_gives_the_same_log_and_another_seed_another():
    first = synthetic_interactions(5_000, 100, 300, seed=7)
    again = synthetic_interactions(5_000, 100, 300, seed=7)
    other = synthetic_interactions(5_000, 100, 300, seed=8)
    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(other)


def test_the_last_item_of_a_user_is_not_always_the_rarest(log_100k_shape):
    # The draw order favours popular items; timestamps must not follow it, or leave-last-out
    # would always hold out a tail item.
    log = log_100k_shape
    popularity = log["item_id"].map(log["item_id"].value_counts())
    last = log.groupby("user_id").tail(1).index
    first = log.groupby("user_id").head(1).index
    assert abs(popularity[last].mean() / popularity[first].mean() - 1) < 0.2


def test_timestamps_fall_in_the_window(log_100k_shape):
    start = 956_703_932
    assert log_100k_shape["timestamp"].between(start, start + 1_000 * 86_400).all()


def test_default_shape_interpolates_between_movielens_1m_and_20m():
    for name in ("ml-1m", "ml-20m"):
        n_interactions, n_users, n_items = MOVIELENS_SHAPES[name]
        assert movielens_like_shape(n_interactions) == (n_users, n_items)
    users_10m, items_10m = movielens_like_shape(10_000_000)
    assert 6_040 < users_10m < 138_493 and 3_706 < items_10m < 26_744
    n_users, n_items = movielens_like_shape(50_000)
    log = synthetic_interactions(50_000, seed=0)
    assert log["user_id"].nunique() == n_users and log["item_id"].max() <= n_items


def test_impossible_sizes_are_refused_with_the_argument_named():
    with pytest.raises(ValueError, match="n_interactions must lie in"):
        synthetic_interactions(1_000, 100, 300)  # 100 users x 20 each needs 2,000
    with pytest.raises(ValueError, match="n_interactions must lie in"):
        synthetic_interactions(100_000, 100, 300)  # at most 150 items each
    with pytest.raises(ValueError, match="min_user_interactions"):
        synthetic_interactions(1_000, 10, 30)
    with pytest.raises(ValueError, match="n_users"):
        synthetic_interactions(1_000, 0, 300)
    with pytest.raises(ValueError, match="max_user_fraction"):
        synthetic_interactions(5_000, 100, 300, max_user_fraction=1.5)


def test_top_share_counts_the_top_fraction():
    assert top_share([1, 1, 1, 1, 1, 1, 1, 1, 1, 11], 0.1) == pytest.approx(11 / 20)
    assert top_share([5, 5], 1.0) == 1.0
    with pytest.raises(ValueError, match="counts"):
        top_share([0, 0])
    with pytest.raises(ValueError, match="fraction"):
        top_share([1, 2], 0.0)
