"""The Surprise library's rating predictors, run on the same folds as ours.

Surprise (Hug 2020, "Surprise: A Python library for recommender systems", JOSS 5(52)) is the
reference implementation of the classical explicit-feedback algorithms. Its benchmark
(``examples/benchmark.py``) cross-validates each algorithm with its default settings on
``KFold(random_state=0)``; :func:`cross_validate_surprise` does the same on folds given as
row positions (:func:`tutorial_lib.data.splits.surprise_benchmark_folds`), building each
fold's trainset and testset the way ``KFold.split`` does, so that our models
(:mod:`tutorial_lib.evaluation.rating_protocol`) and Surprise's see the same ratings.

Settings: every algorithm is built as the benchmark builds it (defaults; ``random_state=0``
for the randomly initialised ones; ``SVDpp(cache_ratings=True)``), with ``verbose=False``,
which changes only what is printed.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib.metadata
import re
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import pandas as pd

from tutorial_lib.config import ProfileConfig
from tutorial_lib.evaluation import metrics
from tutorial_lib.evaluation.rating_protocol import FOLD_COLUMNS
from tutorial_lib.evaluation.results import Timer
from tutorial_lib.validation import check_choice, require_columns

__all__ = [
    "SURPRISE_ALGORITHMS",
    "SURPRISE_VARIANTS",
    "SurprisePeerConfig",
    "cross_validate_surprise",
    "fold_sets",
    "make_surprise_algorithm",
    "published_benchmark",
    "surprise_dataset",
    "surprise_settings",
]

#: The benchmark's algorithms that :func:`make_surprise_algorithm` builds.
SURPRISE_ALGORITHMS = ("BaselineOnly", "KNNBasic", "KNNWithMeans", "KNNBaseline", "SVD", "SVDpp",
                       "NMF", "SlopeOne", "CoClustering", "NormalPredictor")
#: Surprise's algorithms at settings other than the benchmark's: name -> (class, options).
#: ``"KNNBaseline, item"`` is item-based ``KNNBaseline`` with shrunk Pearson-baseline
#: similarities (``shrinkage`` 100, Surprise's default) and ``k=40``: the algorithm of our
#: item-based baseline-centred kNN.
SURPRISE_VARIANTS = {
    "KNNBaseline, item": ("KNNBaseline", {"k": 40, "sim_options": {"name": "pearson_baseline",
                                                                   "user_based": False}}),
}
_SEEDED = {"SVD", "SVDpp", "NMF", "CoClustering"}
_QUIET = {"BaselineOnly", "KNNBasic", "KNNWithMeans", "KNNBaseline", "SVD", "SVDpp", "NMF"}


@dataclasses.dataclass(frozen=True)
class SurprisePeerConfig(ProfileConfig):
    """Which of Surprise's algorithms a chapter runs on the 5 folds (full values).

    The quick run keeps ``BaselineOnly`` and ``SVD`` (which ours match exactly or closely),
    ``NMF``, and ``"KNNBaseline, item"`` (:data:`SURPRISE_VARIANTS`), the same algorithm as
    our best quick model, which ours matches exactly; the full run adds the rest of the benchmark,
    ``SVDpp`` (about a minute per fold) among them. ``cost`` is in rough seconds on the 2-core CPU
    for the 5 folds of ML-100K. ``seed_runs``: how many random seeds the chapter runs
    Surprise's ``SVD`` and ours with on one fold, to show the spread the seed alone causes.
    """

    algorithms: tuple = ("BaselineOnly", "KNNBasic", "KNNWithMeans", "KNNBaseline", "SVD",
                         "KNNBaseline, item", "SVDpp", "NMF", "SlopeOne", "CoClustering")

    seed_runs: int = 3

    QUICK: ClassVar[dict] = {"algorithms": ("BaselineOnly", "KNNBaseline, item", "SVD", "NMF")}
    QUICK_COST_LIMIT: ClassVar[int] = 65
    SECONDS_FOR_FIVE_FOLDS: ClassVar[dict] = {
        "BaselineOnly": 2, "KNNBasic": 16, "KNNWithMeans": 16, "KNNBaseline": 16,
        "KNNBaseline, item": 12, "SVD": 10,
        "SVDpp": 200, "NMF": 15, "SlopeOne": 25, "CoClustering": 15, "NormalPredictor": 2}

    def cost(self) -> int:
        seed_runs = (self.seed_runs - 1) * self.SECONDS_FOR_FIVE_FOLDS["SVD"] // 5
        return sum(self.SECONDS_FOR_FIVE_FOLDS[name] for name in self.algorithms) + seed_runs


def surprise_dataset(ratings: pd.DataFrame, rating_scale=(1, 5)):
    """A ``surprise.Dataset`` holding ``ratings`` (``user_id``, ``item_id``, ``rating``), in row order."""
    from surprise import Dataset, Reader

    ratings = require_columns(ratings, "ratings", ("user_id", "item_id", "rating"), allow_empty=False)
    return Dataset.load_from_df(ratings[["user_id", "item_id", "rating"]],
                                Reader(rating_scale=tuple(rating_scale)))


def fold_sets(dataset, train_positions: np.ndarray, test_positions: np.ndarray):
    """``(trainset, testset)`` of one fold, built as ``surprise.model_selection.KFold`` builds it."""
    raw_train = [dataset.raw_ratings[position] for position in train_positions]
    raw_test = [dataset.raw_ratings[position] for position in test_positions]
    return dataset.construct_trainset(raw_train), dataset.construct_testset(raw_test)


def surprise_settings(name: str) -> tuple[str, dict]:
    """``(class_name, settings)`` of ``name`` as :func:`make_surprise_algorithm` builds it.

    ``name`` is one of :data:`SURPRISE_ALGORITHMS` (the class name, at the benchmark's
    settings: its defaults) or of :data:`SURPRISE_VARIANTS` (a class with other settings).
    ``settings`` holds only what differs from the class's defaults (JSON-ready).
    """
    name = check_choice(name, "name", SURPRISE_ALGORITHMS + tuple(SURPRISE_VARIANTS))
    settings = {}
    if name in SURPRISE_VARIANTS:
        name, variant_settings = SURPRISE_VARIANTS[name]
        settings.update(copy.deepcopy(variant_settings))
    if name in _SEEDED:
        settings["random_state"] = 0
    if name in _QUIET:
        settings["verbose"] = False
    if name == "SVDpp":
        settings["cache_ratings"] = True
    return name, settings


def make_surprise_algorithm(name: str, **options):
    """A Surprise algorithm with the settings of :func:`surprise_settings`, ``options`` overriding them."""
    import surprise

    class_name, settings = surprise_settings(name)
    settings.update(options)
    return getattr(surprise, class_name)(**settings)


def cross_validate_surprise(name: str, ratings: pd.DataFrame,
                            folds: Sequence[tuple[np.ndarray, np.ndarray]], *,
                            rating_scale=(1, 5), **options) -> pd.DataFrame:
    """Surprise's ``name`` on each fold: test RMSE and MAE, fit and test seconds.

    Parameters
    ----------
    name : str
        An algorithm of :data:`SURPRISE_ALGORITHMS`, built by :func:`make_surprise_algorithm`
        (``options`` override its settings).
    ratings : pandas.DataFrame with ``user_id``, ``item_id``, ``rating``
        In the order the folds' positions refer to.
    folds : sequence of ``(train_positions, test_positions)``

    Returns
    -------
    pandas.DataFrame
        One row per fold, the columns of
        :data:`tutorial_lib.evaluation.rating_protocol.FOLD_COLUMNS`. Predictions are
        Surprise's own (clipped to the rating scale; its default for pairs it cannot predict).
    """
    dataset = surprise_dataset(ratings, rating_scale)
    if not folds:
        raise ValueError("folds is empty.")
    rows = []
    for fold, (train_positions, test_positions) in enumerate(folds):
        trainset, testset = fold_sets(dataset, train_positions, test_positions)
        algorithm = make_surprise_algorithm(name, **options)
        with Timer() as fit_timer:
            algorithm.fit(trainset)
        with Timer() as test_timer:
            predictions = algorithm.test(testset)
        true_ratings = np.array([prediction.r_ui for prediction in predictions])
        estimates = np.array([prediction.est for prediction in predictions])
        rows.append({
            "fold": fold,
            "rmse": metrics.rmse(true_ratings, estimates),
            "mae": metrics.mae(true_ratings, estimates),
            "fit_seconds": fit_timer.seconds,
            "test_seconds": test_timer.seconds,
        })
    return pd.DataFrame(rows, columns=list(FOLD_COLUMNS))


_PUBLISHED_ROW = re.compile(r"^\|\s*\[(?P<label>[^\]]+)\]\([^)]*\.(?P<name>\w+)\)\s*\|"
                            r"\s*(?P<rmse>[\d.]+)\s*\|\s*(?P<mae>[\d.]+)\s*\|")


def published_benchmark(dataset: str = "Movielens 100k") -> pd.DataFrame:
    """Surprise's published benchmark table, read from the installed package's README.

    The README of ``scikit-surprise`` (its package description, so the installed version's
    own) lists the mean 5-fold RMSE and MAE of each algorithm at its default settings, to
    three decimals, under a header naming the dataset (``"Movielens 100k"`` or
    ``"Movielens 1M"``). Returns one row per algorithm, indexed by class name (the
    link target of each row, e.g. ``SVDpp``; of the two SVD++ rows, the last,
    ``cache_ratings=True``), columns ``label``, ``rmse``, ``mae``. Raises ``ValueError``
    naming ``dataset`` when the README has no such table.
    """
    readme = importlib.metadata.metadata("scikit-surprise").get_payload() or ""
    rows, in_table = {}, False
    for line in readme.splitlines():
        if line.startswith("|") and f"[{dataset}]" in line:
            in_table = True
            continue
        if in_table:
            if not line.startswith("|"):
                break
            match = _PUBLISHED_ROW.match(line)
            if match:
                rows[match["name"]] = {"label": match["label"], "rmse": float(match["rmse"]),
                                       "mae": float(match["mae"])}
    if not rows:
        raise ValueError(f"dataset={dataset!r}: the installed Surprise's README has no benchmark table for it.")
    return pd.DataFrame.from_dict(rows, orient="index")
