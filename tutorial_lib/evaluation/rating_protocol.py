"""The rating-prediction protocol: K-fold cross-validation, RMSE and MAE per fold.

The folds are the Surprise benchmark's (:func:`tutorial_lib.data.splits.surprise_benchmark_folds`),
so our models and Surprise's (:mod:`tutorial_lib.peers.surprise_library`) are tested on the same
ratings. Anything a model chooses (a penalty, a neighbourhood size) is chosen inside the
training part of each fold, on a random share of it held out for validation
(:class:`ChooseOnValidation`); the test fold is only ever predicted, once.

A model here is anything with ``fit(ratings)`` and ``predict(users, items)``, as
:class:`tutorial_lib.models.rating_predictor.RatingPredictor`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from tutorial_lib.evaluation import metrics
from tutorial_lib.evaluation.results import Timer
from tutorial_lib.evaluation.uncertainty import mean_t_interval
from tutorial_lib.validation import check_int, check_real, require_columns

__all__ = [
    "FOLD_COLUMNS",
    "ChooseOnValidation",
    "cross_validate_ratings",
    "inner_validation_split",
    "summarise_folds",
]

FOLD_COLUMNS = ("fold", "rmse", "mae", "fit_seconds", "test_seconds")


def inner_validation_split(train: pd.DataFrame, valid_fraction: float = 0.1,
                           random_state: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A random ``valid_fraction`` of ``train``'s rows as validation, the rest to fit on.

    Rows keep their order within each part (so models that break ties by row order behave
    as on the whole frame). Returns ``(inner_train, validation)``.
    """
    train = require_columns(train, "train", ("user_id", "item_id", "rating"), allow_empty=False)
    valid_fraction = check_real(valid_fraction, "valid_fraction", min_val=0, max_val=1,
                                include_boundaries="neither")
    rng = np.random.default_rng(check_int(random_state, "random_state", min_val=0))
    is_valid = rng.random(len(train)) < valid_fraction
    if is_valid.all() or not is_valid.any():
        raise ValueError(f"valid_fraction={valid_fraction} leaves one part of {len(train)} rows empty.")
    return train[~is_valid], train[is_valid]


class ChooseOnValidation:
    """Pick one of several candidate models on validation ratings, then refit it on all.

    ``fit(train)`` splits ``train`` with :func:`inner_validation_split`, fits every candidate
    on the inner training part, scores each by validation RMSE, and refits the best one on the
    whole of ``train``; ``predict`` is that refitted model's. With a single candidate there is
    nothing to choose: it is fitted on all of ``train`` at once (``validation_rmse_`` stays
    empty).

    Parameters
    ----------
    candidates : mapping of str to a zero-argument callable returning an unfitted model
        E.g. ``{"reg=0.05": lambda: MatrixFactorisation("als", reg=0.05), ...}``.
    valid_fraction : float, default 0.1
    random_state : int, default 0

    Attributes (after ``fit``)
    --------------------------
    validation_rmse_ : dict of str to float
        Each candidate's validation RMSE.
    chosen_ : str
        The key of the chosen candidate.
    model_ : the chosen candidate, refitted on all of ``train``.
    """

    def __init__(self, candidates: Mapping[str, Callable], *, valid_fraction: float = 0.1,
                 random_state: int = 0):
        self.candidates = candidates
        self.valid_fraction = valid_fraction
        self.random_state = random_state

    def fit(self, train: pd.DataFrame) -> ChooseOnValidation:
        if not isinstance(self.candidates, Mapping) or not self.candidates:
            raise ValueError("candidates must be a non-empty mapping of name to a model factory.")
        self.validation_rmse_ = {}
        if len(self.candidates) == 1:     # nothing to choose: fit it on all of train
            self.chosen_ = next(iter(self.candidates))
            self.model_ = self.candidates[self.chosen_]().fit(train)
            return self
        inner_train, validation = inner_validation_split(train, self.valid_fraction, self.random_state)
        for name, make_model in self.candidates.items():
            model = make_model().fit(inner_train)
            predictions = model.predict(validation["user_id"], validation["item_id"])
            self.validation_rmse_[name] = metrics.rmse(validation["rating"], predictions)
        self.chosen_ = min(self.validation_rmse_, key=self.validation_rmse_.get)
        self.model_ = self.candidates[self.chosen_]().fit(train)
        return self

    def predict(self, users, items) -> np.ndarray:
        if not hasattr(self, "model_"):
            raise ValueError("This ChooseOnValidation is not fitted yet; call fit(train) first.")
        return self.model_.predict(users, items)


def cross_validate_ratings(make_model: Callable, ratings: pd.DataFrame,
                           folds: Sequence[tuple[np.ndarray, np.ndarray]], *,
                           on_fold: Callable | None = None) -> pd.DataFrame:
    """Fit a fresh model on each fold's training rows and score it on its test rows.

    Parameters
    ----------
    make_model : zero-argument callable returning an unfitted model
    ratings : pandas.DataFrame with ``user_id``, ``item_id``, ``rating``
        In the order the folds' positions refer to.
    folds : sequence of ``(train_positions, test_positions)``
        Row positions into ``ratings`` (:func:`~tutorial_lib.data.splits.surprise_benchmark_folds`).
    on_fold : callable or None
        Called as ``on_fold(fold, model)`` after each fold (e.g. to read what the model chose).

    Returns
    -------
    pandas.DataFrame
        One row per fold, columns :data:`FOLD_COLUMNS`: test RMSE and MAE, and the seconds
        spent in ``fit`` and in ``predict`` of the test rows.
    """
    ratings = require_columns(ratings, "ratings", ("user_id", "item_id", "rating"), allow_empty=False)
    if not folds:
        raise ValueError("folds is empty.")
    rows = []
    for fold, (train_positions, test_positions) in enumerate(folds):
        train, test = ratings.iloc[train_positions], ratings.iloc[test_positions]
        model = make_model()
        with Timer() as fit_timer:
            model.fit(train)
        with Timer() as test_timer:
            predictions = model.predict(test["user_id"].to_numpy(), test["item_id"].to_numpy())
        rows.append({
            "fold": fold,
            "rmse": metrics.rmse(test["rating"], predictions),
            "mae": metrics.mae(test["rating"], predictions),
            "fit_seconds": fit_timer.seconds,
            "test_seconds": test_timer.seconds,
        })
        if on_fold is not None:
            on_fold(fold, model)
    return pd.DataFrame(rows, columns=list(FOLD_COLUMNS))


def summarise_folds(per_fold: pd.DataFrame, confidence: float = 0.95) -> dict[str, float]:
    """Mean, standard deviation and t-interval of the mean over folds.

    ``per_fold``: the frame of :func:`cross_validate_ratings` (or of the Surprise peer).
    Returns ``rmse_mean``, ``rmse_std`` (``ddof=0``, as Surprise prints it: the spread of
    the folds, not an interval), ``rmse_ci_low``, ``rmse_ci_high`` (Student's t-interval of
    the mean over folds, :func:`tutorial_lib.evaluation.uncertainty.mean_t_interval`), the
    same four for ``mae``, ``fit_seconds`` (the mean per fold) and ``test_seconds`` (the
    mean per fold).
    """
    per_fold = require_columns(per_fold, "per_fold", FOLD_COLUMNS[1:], allow_empty=False)
    summary = {}
    for name in ("rmse", "mae"):
        mean, low, high = mean_t_interval(per_fold[name], confidence)
        summary.update({f"{name}_mean": mean, f"{name}_std": float(per_fold[name].std(ddof=0)),
                        f"{name}_ci_low": low, f"{name}_ci_high": high})
    summary["fit_seconds"] = float(per_fold["fit_seconds"].mean())
    summary["test_seconds"] = float(per_fold["test_seconds"].mean())
    return summary
