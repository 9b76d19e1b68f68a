"""Tests for tutorial_lib.evaluation.protocols (the top-N protocol) and the popularity baseline.

The small cases are worked out by hand in the comments; larger ones check properties on
random data and, when TUTORIAL_DATA_MIRROR is set, on MovieLens 100K.
"""

from __future__ import annotations

import math
import os
import re
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.stats
import sklearn.metrics

from tutorial_lib.data.datasets import load_movielens_ratings
from tutorial_lib.evaluation import metrics, protocols, uncertainty
from tutorial_lib.models.popularity import PopularityRecommender

needs_mirror = pytest.mark.skipif(
    not os.environ.get("TUTORIAL_DATA_MIRROR", "").strip(), reason="TUTORIAL_DATA_MIRROR is not set"
)

CATALOGUE = np.array([10, 11, 12, 13, 14, 15])


@pytest.fixture(scope="module")
def toy_split() -> protocols.TopNSplit:
    """Four users, six items; every expected value below is worked out from these rows."""
    rows = [
        # user 1: 10, 11 train; 12 valid; 13 test.
        (1, 10, 1), (1, 11, 2), (1, 12, 3), (1, 13, 4),
        # user 2 watches 11 again last: 11, 12 train; 14 valid; 11 test (also in train).
        (2, 11, 1), (2, 12, 2), (2, 14, 3), (2, 11, 4),
        # user 3 has two interactions: all in train, not evaluated.
        (3, 10, 1), (3, 15, 2),
        # user 4: 10 and 15 share a time; the larger id counts as later, so 15 is test.
        (4, 15, 5), (4, 10, 5), (4, 12, 1),
    ]
    interactions = pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"])
    return protocols.leave_last_out_split(interactions)


def toy_scores() -> np.ndarray:
    """Score matrix (users 1-4 by items 10-15)."""
    return np.array(
        [
            [9, 9, 9, 5, 7, 5],  # user 1: 10-12 top but history; 14 above 13; 15 tied with 13
            [1, 4, 8, 3, 8, 2],  # user 2: 12 and 14 above 11, but both are history
            [0, 0, 0, 0, 0, 0],  # user 3: not evaluated
            [0, 0, 0, 0, 0, 0],  # user 4: every candidate tied
        ],
        dtype=float,
    )


def random_interactions(seed: int, n_users: int = 80, n_items: int = 60, per_user: int = 8) -> pd.DataFrame:
    """Random interactions, each user with ``per_user`` distinct items and coarse times."""
    rng = np.random.default_rng(seed)
    rows = []
    for user in range(n_users):
        popularity = np.arange(n_items, 0, -1, dtype=float)  # item 0 most popular
        items = rng.choice(n_items, size=per_user, replace=False, p=popularity / popularity.sum())
        times = rng.integers(0, 5, size=per_user)
        rows += [(user, int(item), int(time)) for item, time in zip(items, times)]
    return pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"])


def hashed_scores(users, items) -> np.ndarray:
    """Deterministic pseudo-random scores in [0, 1) per (user, item), rounded to make ties."""
    users = np.asarray(users)[:, None]
    items = np.asarray(items)[None, :]
    return np.round(((users * 7919 + items * 104729) % 1000) / 1000, 2)


# --------------------------------------------------------------------------------------
# Per-user metrics (metrics.ranking_metrics_per_user, the protocol's building block)
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("ties", ["pessimistic", "optimistic", "average"])
def test_per_user_metrics_average_to_the_metric_functions(ties):
    for seed in range(5):
        rng = np.random.default_rng(seed)
        n_users, n_candidates = 40, 30
        y_true = np.zeros((n_users, n_candidates), dtype=int)
        y_true[np.arange(n_users), rng.integers(0, n_candidates, n_users)] = 1
        y_score = rng.integers(0, 6, size=(n_users, n_candidates))  # many ties
        per_user = metrics.ranking_metrics_per_user(y_true, y_score, ks=(1, 5, 50), ties=ties)
        assert per_user["mrr"].mean() == pytest.approx(metrics.mrr(y_true, y_score, ties=ties))
        for k in (1, 5, 50):
            assert per_user[f"hr@{k}"].mean() == pytest.approx(metrics.hit_rate_at_k(y_true, y_score, k, ties=ties))
            assert per_user[f"recall@{k}"].mean() == pytest.approx(metrics.recall_at_k(y_true, y_score, k, ties=ties))
            assert per_user[f"ndcg@{k}"].mean() == pytest.approx(metrics.ndcg_at_k(y_true, y_score, k, ties=ties))
        np.testing.assert_array_equal(per_user["rank"], metrics.rank_of_true_item(y_true, y_score, ties=ties))


def test_excluded_candidates_are_not_ranked():
    # Target score 2; candidates 5 and 2 excluded: what remains above or tied is the 3.
    y_true = [[1, 0, 0, 0, 0]]
    y_score = [[2, 5, 2, 3, 1]]
    exclude = np.array([[False, True, True, False, False]])
    per_user = metrics.ranking_metrics_per_user(y_true, y_score, ks=(1,), exclude=exclude)
    assert per_user["rank"].tolist() == [2]
    assert metrics.rank_of_true_item(y_true, y_score).tolist() == [4]
    with pytest.raises(ValueError, match="never mark the held-out item"):
        metrics.ranking_metrics_per_user(y_true, y_score, exclude=np.array([[True, False, False, False, False]]))
    with pytest.raises(ValueError, match="exclude must be a boolean array"):
        metrics.ranking_metrics_per_user(y_true, y_score, exclude=np.zeros((1, 4), dtype=bool))
    with pytest.raises(ValueError, match="ks must hold"):
        metrics.ranking_metrics_per_user(y_true, y_score, ks=())


# --------------------------------------------------------------------------------------
# The split
# --------------------------------------------------------------------------------------
def test_split_by_hand(toy_split):
    by_user = toy_split.train.groupby("user_id")["item_id"].apply(list).to_dict()
    assert by_user == {1: [10, 11], 2: [11, 12], 3: [10, 15], 4: [12]}
    assert toy_split.valid.set_index("user_id")["item_id"].to_dict() == {1: 12, 2: 14, 4: 10}
    assert toy_split.test.set_index("user_id")["item_id"].to_dict() == {1: 13, 2: 11, 4: 15}
    np.testing.assert_array_equal(toy_split.item_ids, CATALOGUE)
    np.testing.assert_array_equal(toy_split.user_ids, [1, 2, 3, 4])
    np.testing.assert_array_equal(toy_split.training_counts(), [2, 2, 2, 0, 0, 1])


def test_split_keeps_time_order_on_random_data():
    split = protocols.leave_last_out_split(random_interactions(0))
    last_train = split.train.groupby("user_id")["timestamp"].max()
    valid = split.valid.set_index("user_id")["timestamp"]
    test = split.test.set_index("user_id")["timestamp"]
    assert (last_train.loc[valid.index] <= valid).all() and (valid <= test.loc[valid.index]).all()
    assert len(split.train) + len(split.valid) + len(split.test) == 80 * 8


def test_split_rejects_items_outside_the_catalogue():
    interactions = pd.DataFrame({"user_id": [1, 1, 1], "item_id": [1, 2, 3], "timestamp": [1, 2, 3]})
    with pytest.raises(ValueError, match="item_ids lacks 1 item"):
        protocols.leave_last_out_split(interactions, item_ids=[1, 2])
    wider = protocols.leave_last_out_split(interactions, item_ids=[1, 2, 3, 4])
    assert wider.n_items == 4


# --------------------------------------------------------------------------------------
# Full ranking, by hand
# --------------------------------------------------------------------------------------
def test_full_ranking_by_hand_and_tie_rules(toy_split):
    frames = {
        ties: protocols.evaluate_top_n(toy_scores(), toy_split, ks=(2,), ties=ties).set_index("user_id")
        for ties in ("pessimistic", "optimistic", "average")
    }
    # User 1: candidates 13, 14, 15 (10-12 are history); 14 above 13, 15 tied with 13.
    # User 4: candidates 11, 13, 14, 15 (10 and 12 are history), all tied.
    assert frames["pessimistic"]["n_candidates"].to_dict() == {1: 3, 2: 4, 4: 4}
    assert frames["pessimistic"]["rank"].to_dict() == {1: 3, 2: 1, 4: 4}
    assert frames["optimistic"]["rank"].to_dict() == {1: 2, 2: 1, 4: 1}
    assert frames["average"]["rank"].to_dict() == {1: 2.5, 2: 1.0, 4: 2.5}
    assert frames["pessimistic"]["hr@2"].to_dict() == {1: 0.0, 2: 1.0, 4: 0.0}
    assert frames["optimistic"]["hr@2"].to_dict() == {1: 1.0, 2: 1.0, 4: 1.0}
    # "average": user 1 is at rank 2 or 3 (in the top 2 half the time); user 4 at 1..4.
    assert frames["average"]["hr@2"].to_dict() == {1: 0.5, 2: 1.0, 4: 0.5}
    assert frames["optimistic"].loc[1, "ndcg@2"] == pytest.approx(1 / math.log2(3))
    assert frames["average"].loc[1, "ndcg@2"] == pytest.approx((1 / math.log2(3)) / 2)
    assert frames["average"].loc[4, "ndcg@2"] == pytest.approx((1 + 1 / math.log2(3)) / 4)
    assert frames["pessimistic"]["mrr"].to_dict() == pytest.approx({1: 1 / 3, 2: 1.0, 4: 1 / 4})
    assert frames["average"].loc[4, "mrr"] == pytest.approx((1 + 1 / 2 + 1 / 3 + 1 / 4) / 4)
    for frame in frames.values():
        assert (frame["recall@2"] == frame["hr@2"]).all()


def test_a_test_item_also_in_training_stays_a_candidate(toy_split):
    # User 2's test item 11 is also a training item: it is ranked (rank 1 of 10, 11, 13,
    # 15), while its other history items 12 and 14, scored higher, are excluded.
    frame = protocols.evaluate_top_n(toy_scores(), toy_split, users=[2]).iloc[0]
    assert (frame["item_id"], frame["n_candidates"], frame["rank"]) == (11, 4, 1)


def test_validation_target_excludes_training_items_only(toy_split):
    # User 1's validation item 12 (score 9) among 12, 13, 14, 15: the test item 13 is a
    # candidate, not history. User 4: target 10 (score 0) among 10, 11, 13, 14, 15, all tied.
    frame = protocols.evaluate_top_n(toy_scores(), toy_split, target="valid").set_index("user_id")
    assert frame["item_id"].to_dict() == {1: 12, 2: 14, 4: 10}
    assert frame["n_candidates"].to_dict() == {1: 4, 2: 4, 4: 5}
    assert frame["rank"].to_dict() == {1: 1, 2: 1, 4: 5}


def test_k_larger_than_the_catalogue_puts_every_candidate_in_the_list(toy_split):
    at_catalogue = protocols.evaluate_top_n(toy_scores(), toy_split, ks=(6,))
    beyond = protocols.evaluate_top_n(toy_scores(), toy_split, ks=(1000,))
    assert (beyond["hr@1000"] == 1.0).all()
    np.testing.assert_array_equal(beyond["ndcg@1000"], at_catalogue["ndcg@6"])
    np.testing.assert_allclose(beyond["ndcg@1000"], 1 / np.log2(beyond["rank"] + 1))


def test_several_cut_offs_at_once(toy_split):
    frame = protocols.evaluate_top_n(toy_scores(), toy_split, ks=(1, 3))
    assert list(frame.columns) == [
        "user_id", "item_id", "n_candidates", "rank", "mrr",
        "hr@1", "recall@1", "ndcg@1", "hr@3", "recall@3", "ndcg@3",
    ]
    assert frame["hr@3"].tolist() == [1.0, 1.0, 0.0]
    assert frame.attrs == {"target": "test", "mode": "full", "ties": "pessimistic", "ks": [1, 3]}


# --------------------------------------------------------------------------------------
# Scorers and batches
# --------------------------------------------------------------------------------------
def test_every_kind_of_scorer_gives_the_same_result():
    split = protocols.leave_last_out_split(random_interactions(1))
    matrix = hashed_scores(split.user_ids, split.item_ids)

    class Scorer:
        def score(self, users, items):
            return hashed_scores(users, items)

    results = [protocols.evaluate_top_n(scorer, split, ks=(5, 10)) for scorer in (Scorer(), hashed_scores, matrix)]
    pd.testing.assert_frame_equal(results[0], results[1])
    pd.testing.assert_frame_equal(results[0], results[2])


@pytest.mark.parametrize("mode", protocols.MODES)
def test_batching_gives_identical_results(mode):
    split = protocols.leave_last_out_split(random_interactions(2))
    options = {"mode": mode, "ks": (5, 10), "n_negatives": 20, "seed": 3}
    one_batch = protocols.evaluate_top_n(hashed_scores, split, batch_size=1000, **options)
    assert len(one_batch) == 80
    for batch_size in (1, 7, 80):
        pd.testing.assert_frame_equal(protocols.evaluate_top_n(hashed_scores, split, batch_size=batch_size, **options), one_batch)


def test_scorer_sees_at_most_one_batch_of_users():
    split = protocols.leave_last_out_split(random_interactions(3))
    batch_shapes = []

    def recording_scorer(users, items):
        batch_shapes.append((len(users), len(items)))
        return hashed_scores(users, items)

    protocols.evaluate_top_n(recording_scorer, split, batch_size=32)
    assert batch_shapes == [(32, split.n_items), (32, split.n_items), (16, split.n_items)]


def test_ml_1m_sized_catalogue_is_scored_one_batch_at_a_time():
    # 6,040 users by 3,706 items, as in MovieLens 1M: a dense float64 score matrix would
    # take 179 MB; in batches of 64 users the protocol's peak stays under a tenth of that.
    n_users, n_items, per_user = 6040, 3706, 20
    rng = np.random.default_rng(8)
    users = np.repeat(np.arange(n_users), per_user)
    items = rng.zipf(1.3, size=users.size) % n_items
    items[:n_items] = np.arange(n_items)  # every item occurs
    interactions = pd.DataFrame({"user_id": users, "item_id": items, "timestamp": rng.integers(0, 10**6, users.size)})
    split = protocols.leave_last_out_split(interactions)
    model = PopularityRecommender().fit(split.train)
    tracemalloc.start()
    try:
        frame = protocols.evaluate_top_n(model, split, batch_size=64)
        _, peak_bytes = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(frame) == n_users
    assert peak_bytes < 0.1 * n_users * n_items * 8


def test_ndcg_matches_sklearn_for_one_relevant_item():
    # Per user, the candidate vector is the catalogue without the history; scikit-learn's
    # ndcg_score on it equals our NDCG@K without ties, and our "average" rule with ties.
    split = protocols.leave_last_out_split(random_interactions(4))
    continuous = np.random.default_rng(0).normal(size=(len(split.user_ids), split.n_items))
    for scores, ties in ((continuous, "pessimistic"), (np.round(continuous, 0), "average")):
        frame = protocols.evaluate_top_n(scores, split, ks=(10,), ties=ties)
        history = split.interaction_matrix(("train", "valid")).toarray()
        for user, item, ndcg in frame[["user_id", "item_id", "ndcg@10"]].itertuples(index=False):
            row = np.searchsorted(split.user_ids, user)
            column = np.searchsorted(split.item_ids, item)
            keep = ~history[row]
            keep[column] = True
            relevance = (np.arange(split.n_items) == column)[keep]
            expected = sklearn.metrics.ndcg_score([relevance], [scores[row][keep]], k=10)
            assert ndcg == pytest.approx(expected)


# --------------------------------------------------------------------------------------
# Sampled negatives
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("sampling", protocols.SAMPLINGS)
def test_sampled_negatives_avoid_the_users_items_and_are_reproducible(sampling):
    split = protocols.leave_last_out_split(random_interactions(5))
    users = split.test["user_id"].to_numpy()
    negatives = protocols.sample_negatives(split, users, n_negatives=30, sampling=sampling, seed=1)
    assert negatives.shape == (len(users), 30)
    interacted = split.interaction_matrix(("train", "valid", "test")).toarray()
    rows = np.searchsorted(split.user_ids, users)
    for row, drawn in zip(rows, negatives):
        assert not interacted[row, drawn].any()
        assert len(set(drawn)) == 30  # without replacement
    again = protocols.sample_negatives(split, users, n_negatives=30, sampling=sampling, seed=1)
    other = protocols.sample_negatives(split, users, n_negatives=30, sampling=sampling, seed=2)
    np.testing.assert_array_equal(negatives, again)
    assert not np.array_equal(negatives, other)
    if sampling == "popularity":
        never_trained = split.training_counts() == 0
        assert not never_trained[negatives].any()


def test_popularity_sampling_follows_training_counts():
    # One negative per user: user u draws item i with probability w_i / (sum of w over the
    # items u never touched), w = training count. Summed over 2,000 users this gives the
    # expected count of each item; a chi-square test compares it with what was drawn, and
    # rejects uniform draws against the same expectation.
    split = protocols.leave_last_out_split(random_interactions(6, n_users=2000, n_items=20, per_user=3))
    users = split.test["user_id"].to_numpy()
    weights = split.training_counts().astype(float)
    interacted = split.interaction_matrix(("train", "valid", "test")).toarray()[np.searchsorted(split.user_ids, users)]
    allowed_weights = weights * ~interacted
    expected = (allowed_weights / allowed_weights.sum(axis=1, keepdims=True)).sum(axis=0)
    observed = {}
    for sampling in protocols.SAMPLINGS:
        drawn = protocols.sample_negatives(split, users, n_negatives=1, sampling=sampling, seed=0)
        observed[sampling] = np.bincount(drawn[:, 0], minlength=split.n_items)
    assert expected.min() > 5  # the chi-square approximation holds
    assert scipy.stats.chisquare(observed["popularity"], expected).pvalue > 0.001
    assert scipy.stats.chisquare(observed["uniform"], expected).pvalue < 1e-6


def test_sampled_with_every_unseen_item_equals_full_ranking():
    # Every user touched 8 distinct items, so n_items - 8 are unseen: sampling all of them
    # gives the candidate set of full ranking (catalogue minus history, target kept).
    split = protocols.leave_last_out_split(random_interactions(7))
    full = protocols.evaluate_top_n(hashed_scores, split, ks=(10,))
    n_unseen = split.n_items - 8
    every_unseen = protocols.evaluate_top_n(hashed_scores, split, mode="sampled", n_negatives=n_unseen, ks=(10,))
    pd.testing.assert_frame_equal(full, every_unseen, check_like=False, check_exact=True, check_dtype=False)
    fewer = protocols.evaluate_top_n(hashed_scores, split, mode="sampled", n_negatives=20, ks=(10,))
    # Fewer candidates can only move the target up.
    assert (fewer["rank"] <= full["rank"]).all() and (fewer["rank"] < full["rank"]).any()
    assert fewer["hr@10"].mean() >= full["hr@10"].mean()


def test_sampled_by_hand_on_the_toy_split(toy_split):
    # User 1 never touched 14 and 15 only: with 2 negatives the candidates are 13, 14, 15,
    # as in full ranking (rank 3, pessimistic). User 2 never touched 10, 13, 15.
    frame = protocols.evaluate_top_n(toy_scores(), toy_split, mode="sampled", n_negatives=2, users=[1])
    assert (frame.loc[0, "n_candidates"], frame.loc[0, "rank"]) == (3, 3)
    with pytest.raises(ValueError, match="only 2 items to draw negatives from"):
        protocols.evaluate_top_n(toy_scores(), toy_split, mode="sampled", n_negatives=3)


# --------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"ks": 0}, "ks must be"),
        ({"ks": (10, 0)}, "ks must be"),
        ({"ks": ()}, "ks must be"),
        ({"ks": 2.5}, "ks must be"),
        ({"users": [1, 99]}, "users holds 1 id"),
        ({"users": [3]}, "without a test item"),
        ({"users": [1, 1]}, "repeated ids"),
        ({"target": "train"}, "target must be"),
        ({"mode": "partial"}, "mode must be"),
        ({"mode": "sampled", "sampling": "zipf"}, "sampling must be"),
        ({"sampling": "zipf"}, "sampling must be"),
        ({"mode": "sampled", "n_negatives": 0}, "n_negatives must be"),
        ({"batch_size": 0}, "batch_size must be"),
        ({"ties": "random"}, "ties must be"),
    ],
)
def test_bad_arguments_name_the_argument(toy_split, options, message):
    with pytest.raises(ValueError, match=message):
        protocols.evaluate_top_n(toy_scores(), toy_split, **options)


def test_bad_scores_are_refused(toy_split):
    with pytest.raises(ValueError, match=r"must have shape \(n_users, n_items\) = \(4, 6\)"):
        protocols.evaluate_top_n(toy_scores()[:3], toy_split)
    with_nan = toy_scores()
    with_nan[1, 0] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite scores \\(first for user 2\\)"):
        protocols.evaluate_top_n(with_nan, toy_split)
    with pytest.raises(ValueError, match=r"must return shape \(len\(users\), len\(items\)\)"):
        protocols.evaluate_top_n(lambda users, items: np.zeros(len(items)), toy_split)


# --------------------------------------------------------------------------------------
# The popularity baseline
# --------------------------------------------------------------------------------------
def test_popularity_recommender_by_hand(toy_split):
    model = PopularityRecommender().fit(toy_split.train)  # counts 10: 2, 11: 2, 12: 2, 15: 1
    np.testing.assert_array_equal(model.score([1, 99], [15, 10, 13]), [[1, 2, 0], [1, 2, 0]])
    # Equal counts are ordered by id; user 1 has seen 10 and 11.
    np.testing.assert_array_equal(model.recommend(1, 2), [12, 15])
    np.testing.assert_array_equal(model.recommend(1, 2, exclude_seen=False), [10, 11])
    np.testing.assert_array_equal(model.recommend(99, 10), [10, 11, 12, 15])
    with pytest.raises(ValueError, match="k must be"):
        model.recommend(1, 0)
    with pytest.raises(RuntimeError, match="not fitted"):
        PopularityRecommender().score([1], [10])


# --------------------------------------------------------------------------------------
# MovieLens 100K
# --------------------------------------------------------------------------------------
@needs_mirror
def test_popularity_beats_random_on_movielens_100k(tmp_path, monkeypatch):
    monkeypatch.setenv("TUTORIAL_DATA_CACHE", str(tmp_path / "cache"))
    split = protocols.leave_last_out_split(load_movielens_ratings("ml-100k"))
    assert (len(split.test), split.n_items) == (943, 1682)
    popularity = PopularityRecommender().fit(split.train)
    random_scores = np.random.default_rng(0).random((len(split.user_ids), split.n_items))
    full = {name: protocols.evaluate_top_n(scorer, split) for name, scorer in
            (("popularity", popularity), ("random", random_scores))}
    for frame in full.values():
        assert frame["n_candidates"].between(1682 - 736, 1682 - 19).all()  # 20 to 737 ratings a user
        assert (frame["recall@10"] == frame["hr@10"]).all()
    # Random scores: HR@10 is about the mean of 10 / n_candidates (0.6%).
    expected_random_hit_rate = (10 / full["random"]["n_candidates"]).mean()
    random_interval = uncertainty.bootstrap_ci(full["random"]["hr@10"], seed=0)
    assert random_interval.low <= expected_random_hit_rate <= random_interval.high
    popularity_interval = uncertainty.bootstrap_ci(full["popularity"]["hr@10"], seed=0)
    assert popularity_interval.low > random_interval.high
    comparison = uncertainty.paired_bootstrap(full["popularity"]["ndcg@10"], full["random"]["ndcg@10"], seed=0)
    assert comparison.difference.low > 0 and comparison.p_value < 0.01
    # Sampled candidates are a subset of the full ones: the rank can only improve.
    sampled = protocols.evaluate_top_n(popularity, split, mode="sampled", seed=0)
    assert (sampled["n_candidates"] == 101).all()
    assert (sampled["rank"] <= full["popularity"]["rank"]).all()
    assert sampled["hr@10"].mean() > full["popularity"]["hr@10"].mean()
    # Popular negatives are harder for the popularity model than uniform ones.
    by_popularity = protocols.evaluate_top_n(popularity, split, mode="sampled", sampling="popularity", seed=0)
    assert by_popularity["hr@10"].mean() < sampled["hr@10"].mean()


@needs_mirror
def test_the_code_on_the_protocol_page_runs(tmp_path, monkeypatch, capsys):
    # book/evaluation_protocol.md shows its code without running it: run it here so that
    # the page cannot drift from the package.
    monkeypatch.setenv("TUTORIAL_DATA_CACHE", str(tmp_path / "cache"))
    page = (Path(__file__).resolve().parents[1] / "book" / "evaluation_protocol.md").read_text(encoding="utf-8")
    code_blocks = re.findall(r"```python\n(.*?)```", page, flags=re.DOTALL)
    assert len(code_blocks) == 1
    assert max(len(line) for line in code_blocks[0].splitlines()) <= 80
    exec(compile(code_blocks[0], "evaluation_protocol.md", "exec"), {})
    printed = capsys.readouterr().out
    assert "hr@10" in printed and "ndcg@10" in printed


def test_split_name_and_protocol_config_follow_the_settings(toy_split):
    full = protocols.evaluate_top_n(toy_scores(), toy_split)
    assert protocols.split_name(full) == "leave-last-out by time, full ranking"
    assert protocols.protocol_config(full) == {"mode": "full", "ties": "pessimistic"}
    # Each toy user has 6 - 4 = 2 items never seen: two negatives can be drawn.
    sampled = protocols.evaluate_top_n(
        toy_scores(), toy_split, mode="sampled", n_negatives=1, seed=0, ties="average"
    )
    assert protocols.split_name(sampled) == "leave-last-out by time, 1 uniform negative"
    assert protocols.protocol_config(sampled) == {
        "mode": "sampled", "ties": "average", "n_negatives": 1, "sampling": "uniform"
    }
    with pytest.raises(ValueError, match="per_user"):
        protocols.split_name(pd.DataFrame({"mrr": [1.0]}))
