"""Our rating predictors beside the Surprise library's: the benchmark's folds position for
position, and identical predictions where the algorithms are the same.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

surprise = pytest.importorskip("surprise")
from surprise.model_selection import KFold  # noqa: E402

from tutorial_lib.data import examples  # noqa: E402
from tutorial_lib.data.datasets import fetch_file, load_movielens_ratings  # noqa: E402
from tutorial_lib.data.splits import surprise_benchmark_folds  # noqa: E402
from tutorial_lib.evaluation.rating_protocol import cross_validate_ratings  # noqa: E402
from tutorial_lib.models.rating_baselines import BaselinePredictor  # noqa: E402
from tutorial_lib.models.rating_neighbourhood import NeighbourhoodRatingPredictor  # noqa: E402
from tutorial_lib.peers.surprise_library import (  # noqa: E402
    cross_validate_surprise,
    fold_sets,
    make_surprise_algorithm,
    published_benchmark,
    surprise_dataset,
    surprise_settings,
)

needs_mirror = pytest.mark.skipif(
    not os.environ.get("TUTORIAL_DATA_MIRROR", "").strip(), reason="TUTORIAL_DATA_MIRROR is not set"
)

NAN = np.nan
TOY = examples.toy_ratings().to_numpy()  # chapter 1's matrix, NaN = not rated


def toy_frame() -> pd.DataFrame:
    users, items = np.nonzero(~np.isnan(TOY))
    return pd.DataFrame({"user_id": users, "item_id": items, "rating": TOY[users, items]})


def surprise_test_pairs(frame, algorithm):
    """Surprise's predictions of every unrated cell of TOY (all users and items are known)."""
    algorithm.fit(surprise_dataset(frame).build_full_trainset())
    users, items = np.nonzero(np.isnan(TOY))
    return users, items, np.array([algorithm.predict(u, i).est for u, i in zip(users, items)])


def kfold_positions(dataset, n_folds=5, random_state=0):
    """Surprise's KFold test sets, read back as positions into dataset.raw_ratings."""
    index_of = {(u, i): n for n, (u, i, _, _) in enumerate(dataset.raw_ratings)}
    folds = []
    for trainset, testset in KFold(n_splits=n_folds, random_state=random_state).split(dataset):
        folds.append(np.array([index_of[(u, i)] for u, i, _ in testset]))
        assert trainset.n_ratings + len(testset) == len(dataset.raw_ratings)
    return folds


def test_folds_equal_kfold_on_a_small_frame():
    rng = np.random.default_rng(0)
    pairs = rng.choice(40 * 30, size=203, replace=False)
    frame = pd.DataFrame({"user_id": pairs // 30, "item_id": pairs % 30, "rating": rng.integers(1, 6, 203)})
    dataset = surprise_dataset(frame)
    ours = surprise_benchmark_folds(len(frame), n_folds=5, random_state=3)
    theirs = kfold_positions(dataset, random_state=3)
    for (train, test), their_test in zip(ours, theirs):
        np.testing.assert_array_equal(test, their_test)
        assert len(np.union1d(train, test)) == len(frame) and not np.intersect1d(train, test).size


@needs_mirror
def test_folds_equal_the_benchmark_kfold_on_movielens_100k():
    # Surprise's side is built by Surprise's own reader from the u.data file (as its builtin
    # ml-100k dataset is), so a bug in our loader would show here.
    from surprise import Dataset, Reader

    ratings = load_movielens_ratings("ml-100k", file_order=True)
    their_dataset = Dataset.load_from_file(str(fetch_file("movielens/ml-100k/u.data")), Reader("ml-100k"))
    ours = surprise_benchmark_folds(len(ratings))
    assert [len(test) for _, test in ours] == [20_000] * 5
    their_folds = list(KFold(random_state=0).split(their_dataset))
    columns = ["user_id", "item_id", "rating"]
    for (train, test), (their_trainset, their_testset) in zip(ours, their_folds):
        their_test = [(int(u), int(i), float(r)) for u, i, r in their_testset]
        assert their_test == list(ratings.iloc[test][columns].itertuples(index=False, name=None))
        assert their_trainset.n_ratings == len(train)
    # The trainset is built in the same order too (it decides neighbour ties).
    trainset, _ = fold_sets(surprise_dataset(ratings), *ours[0])
    their_trainset = their_folds[0][0]
    first = [trainset.to_raw_uid(u) for u, _, _ in list(trainset.all_ratings())[:50]]
    assert first == [int(their_trainset.to_raw_uid(u)) for u, _, _ in list(their_trainset.all_ratings())[:50]]


def test_baseline_als_equals_surprise_baselineonly():
    frame = toy_frame()
    users, items, theirs = surprise_test_pairs(frame, make_surprise_algorithm("BaselineOnly"))
    ours = BaselinePredictor("als").fit(frame).predict(users, items)
    np.testing.assert_allclose(ours, theirs, atol=1e-12)


@pytest.mark.parametrize("centring, name", [("none", "KNNBasic"), ("mean", "KNNWithMeans"),
                                            ("baseline", "KNNBaseline")])
@pytest.mark.parametrize("similarity", ["msd", "cosine", "pearson", "pearson_baseline"])
@pytest.mark.parametrize("user_based", [True, False])
@pytest.mark.parametrize("k", [2, 40])
def test_knn_equals_surprise(centring, name, similarity, user_based, k):
    frame = toy_frame()
    options = {"k": k, "sim_options": {"name": similarity, "user_based": user_based, "shrinkage": 3}}
    users, items, theirs = surprise_test_pairs(frame, make_surprise_algorithm(name, **options))
    model = NeighbourhoodRatingPredictor(centring, similarity, user_based=user_based, k=k, shrinkage=3)
    np.testing.assert_allclose(model.fit(frame).predict(users, items), theirs, atol=1e-12)


def test_cross_validate_surprise_matches_ours_on_the_same_folds():
    frame = toy_frame()
    folds = surprise_benchmark_folds(len(frame), n_folds=3)
    theirs = cross_validate_surprise("BaselineOnly", frame, folds)
    ours = cross_validate_ratings(BaselinePredictor, frame, folds)
    np.testing.assert_allclose(ours[["rmse", "mae"]], theirs[["rmse", "mae"]], atol=1e-12)
    assert list(theirs["fold"]) == [0, 1, 2] and (theirs["fit_seconds"] >= 0).all()


def test_unknown_algorithm_is_named():
    with pytest.raises(ValueError, match="name"):
        make_surprise_algorithm("SVD+++")


@pytest.mark.parametrize("user_based", [True, False])
def test_knn_takes_tied_neighbours_in_training_order_as_surprise_does(user_based):
    # 200 neighbours whose MSD similarity (one co-rating, 0, 1 or 2 stars apart) is exactly
    # 1, 1/2 or 1/5, in shuffled order, and k=40: which of the tied ones are taken decides
    # the prediction. With more than 16 candidates NumPy's default (introsort) argsort is
    # not stable and takes other tied neighbours; a stable sort takes Surprise's.
    rng = np.random.default_rng(0)
    n_neighbours = 200
    neighbours = np.arange(1, n_neighbours + 1)
    rows = np.concatenate([[0], neighbours, neighbours])
    columns = np.concatenate([[1], np.ones(n_neighbours, int), np.zeros(n_neighbours, int)])
    values = np.concatenate([[3.0], rng.choice([3.0, 4.0, 5.0], n_neighbours),
                             rng.integers(1, 6, n_neighbours)])
    users, items = (rows, columns) if user_based else (columns + 100, rows)
    frame = pd.DataFrame({"user_id": users, "item_id": items, "rating": values})
    frame = frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)
    options = {"k": 40, "sim_options": {"name": "msd", "user_based": user_based}}
    algorithm = make_surprise_algorithm("KNNBasic", **options)
    algorithm.fit(surprise_dataset(frame).build_full_trainset())
    user, item = (0, 0) if user_based else (100, 0)
    theirs = algorithm.predict(user, item).est
    ours = NeighbourhoodRatingPredictor("none", "msd", user_based=user_based, k=40).fit(frame)
    assert ours.predict([user], [item])[0] == pytest.approx(theirs, abs=1e-12)


def test_item_knnbaseline_variant_equals_our_item_knn():
    frame = toy_frame()
    class_name, settings = surprise_settings("KNNBaseline, item")
    assert class_name == "KNNBaseline" and settings["sim_options"]["user_based"] is False
    users, items, theirs = surprise_test_pairs(frame, make_surprise_algorithm("KNNBaseline, item", k=2))
    model = NeighbourhoodRatingPredictor("baseline", "pearson_baseline", user_based=False, k=2)
    np.testing.assert_allclose(model.fit(frame).predict(users, items), theirs, atol=1e-12)


def test_published_benchmark_is_read_from_the_installed_readme():
    table = published_benchmark()
    assert {"SVD", "SVDpp", "BaselineOnly", "KNNBasic", "KNNWithMeans", "KNNBaseline"} <= set(table.index)
    assert table.loc["SVDpp", "label"].startswith("SVD++") and (table[["rmse", "mae"]] > 0.5).all().all()
    with pytest.raises(ValueError, match="dataset"):
        published_benchmark("Movielens 20M")


@needs_mirror
def test_baselineonly_on_our_folds_reproduces_the_published_benchmark():
    ratings = load_movielens_ratings("ml-100k", file_order=True)
    per_fold = cross_validate_surprise("BaselineOnly", ratings, surprise_benchmark_folds(len(ratings)))
    published = published_benchmark().loc["BaselineOnly"]
    assert abs(per_fold["rmse"].mean() - published["rmse"]) <= 5e-4
    assert abs(per_fold["mae"].mean() - published["mae"]) <= 5e-4
