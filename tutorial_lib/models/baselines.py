"""Baselines a behaviour model must beat: smoothed like rates per item or per user.

The rule
--------
For a group ``g`` (one film, or one user) with ``ratings_g`` training ratings of which ``likes_g``
are likes, and the global training like rate ``r``::

    P(like | g) = (likes_g + alpha * r) / (ratings_g + alpha)

``alpha >= 0`` is the *prior strength*: the group's rate is pulled towards the global rate as if
``alpha`` extra ratings at the global rate had been seen. A film with two likes in two ratings
gets ``(2 + alpha r) / (2 + alpha)``, not 1; a film with hundreds of ratings keeps nearly its own
rate. A group with no training rating gets ``r``. This is the posterior mean of a Beta prior
with mean ``r`` and ``alpha`` pseudo-ratings, and what scikit-learn's
``sklearn.preprocessing.TargetEncoder(smooth=alpha, target_type="binary")`` computes for a
category (the tests check that the two agree).

Everything is counted on the rows given to :meth:`SmoothedLikeRate.fit`, the training rows;
choose ``alpha`` on the validation rows (:func:`validation_log_loss_by_prior`).

As a feature
------------
The same rate is a strong *feature* for a model. On the training rows themselves it must
not include the row's own label, or the model learns to trust it more than it deserves (a
film rated once has a "rate" equal to that one label). :func:`out_of_fold_like_rate` gives
each training row the rate fitted on the other folds; validation and test rows get the rate
fitted on all training rows.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from sklearn.exceptions import NotFittedError

from tutorial_lib.evaluation import metrics
from tutorial_lib.validation import (
    as_label_vector,
    check_choice,
    check_int,
    check_real,
    require_columns,
)

__all__ = [
    "PRIOR_STRENGTH_GRID",
    "SmoothedLikeRate",
    "out_of_fold_like_rate",
    "validation_log_loss_by_prior",
]

GROUP_KEYS = ("item_id", "user_id")
#: Prior strengths ``alpha`` to try on validation (pseudo-ratings at the global rate).
PRIOR_STRENGTH_GRID = (1.0, 3.0, 10.0, 30.0, 100.0)


def _check_key(key) -> str:
    return check_choice(key, "key", GROUP_KEYS)


def _check_prior_strength(prior_strength) -> float:
    return check_real(prior_strength, "prior_strength", min_val=0)


def _check_frame(frame, name: str, columns: list[str]) -> pd.DataFrame:
    frame = require_columns(frame, name, columns, allow_empty=False)
    for column in columns:
        if frame[column].isna().any():
            raise ValueError(f"{name}[{column!r}] contains missing values.")
    return frame


class SmoothedLikeRate:
    """Predict each row's like probability from its item's (or user's) training like rate.

    Parameters
    ----------
    key : {"item_id", "user_id"}, default "item_id"
        The column that names the group: ``"item_id"`` gives the per-item baseline,
        ``"user_id"`` the per-user one.
    prior_strength : float, default 10.0
        ``alpha`` in ``(likes + alpha * global_rate) / (ratings + alpha)``, >= 0.
        With 0 a group's rate is its
        raw mean, 0 or 1 for a group rated once.
    label_col : str, default "like"
        The 0/1 label column of the frame given to :meth:`fit`.

    Attributes
    ----------
    global_rate_ : float
        The like rate of all training rows.
    counts_ : pandas.DataFrame
        Indexed by the key, columns ``ratings`` (training ratings) and ``likes``.
    rates_ : pandas.Series
        The smoothed rate of every group seen in training, indexed by the key.
    """

    def __init__(
        self,
        key: str = "item_id",
        *,
        prior_strength: float = 10.0,
        label_col: str = "like",
    ):
        self.key = key
        self.prior_strength = prior_strength
        self.label_col = label_col

    def fit(self, frame: pd.DataFrame) -> SmoothedLikeRate:
        """Count ratings and likes per group on ``frame`` (the training rows).

        Parameters
        ----------
        frame : pandas.DataFrame, shape (n_rows, ...)
            Needs the ``key`` column and the 0/1 ``label_col`` column.

        Returns
        -------
        self
        """
        key = _check_key(self.key)
        alpha = _check_prior_strength(self.prior_strength)
        frame = _check_frame(frame, "frame", [key, self.label_col])
        labels = as_label_vector(
            frame[self.label_col].to_numpy(),
            name=f"frame[{self.label_col!r}]",
        )
        per_row = pd.DataFrame(
            {"group": frame[key].to_numpy(), "like": labels})
        grouped = per_row.groupby("group", sort=True)["like"]
        self.counts_ = pd.DataFrame(
            {"ratings": grouped.size(), "likes": grouped.sum()})
        self.counts_.index.name = key
        self.global_rate_ = float(labels.mean())
        smoothed = self.counts_["likes"] + alpha * self.global_rate_
        rates = smoothed / (self.counts_["ratings"] + alpha)
        self.rates_ = rates.rename("like_rate")
        return self

    def _check_is_fitted(self) -> None:
        if not hasattr(self, "rates_"):
            raise NotFittedError(
                "This SmoothedLikeRate is not fitted yet; call fit(train) first."
            )

    def like_rate(self, frame: pd.DataFrame) -> np.ndarray:
        """The smoothed rate of each row's group, shape (n_rows,), float64.

        Groups never seen in training get the global training rate.
        """
        self._check_is_fitted()
        frame = _check_frame(frame, "frame", [self.key])
        rates = frame[self.key].map(self.rates_)
        return rates.fillna(self.global_rate_).to_numpy(dtype=np.float64)

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Class probabilities, shape (n_rows, 2): column 1 is P(like), column 0 is 1 - P."""
        rate = self.like_rate(frame)
        return np.column_stack([1.0 - rate, rate])

    def seen_share(self, frame: pd.DataFrame) -> float:
        """Fraction of the rows of ``frame`` whose group has a training rating."""
        self._check_is_fitted()
        frame = _check_frame(frame, "frame", [self.key])
        return float(frame[self.key].isin(self.rates_.index).mean())


def out_of_fold_like_rate(
    train: pd.DataFrame,
    *,
    key: str = "item_id",
    prior_strength: float = 10.0,
    label_col: str = "like",
    n_folds: int = 5,
    seed: int = 0,
) -> np.ndarray:
    """Each training row's like rate, fitted on the *other* folds.

    The rows are dealt into ``n_folds`` random folds (seeded). The rate
    of a row in fold ``k`` comes from a :class:`SmoothedLikeRate` fitted
    on the other folds, so no row's own label is part of its feature; a
    group seen only in fold ``k`` gets the other folds' global rate. The
    folds are random, not by time: a row's feature may use later
    *training* rows, never a validation or test row.

    Why not leave-one-out? A row's leave-one-out rate is
    ``(likes - y + alpha r) / (ratings - 1 + alpha)``: within one
    group, rows with ``y = 1`` get a *lower* value than rows with
    ``y = 0``, so the feature
    encodes the label backwards and a flexible model can read it off.

    Parameters
    ----------
    train : pandas.DataFrame
        The training rows, with ``key`` and ``label_col``; at least
        ``n_folds`` rows.
    key, prior_strength, label_col
        As for :class:`SmoothedLikeRate`.
    n_folds : int, default 5
        Number of folds, >= 2.
    seed : int, default 0
        Seed of the fold assignment.

    Returns
    -------
    numpy.ndarray, shape (n_rows,), float64, in the row order of ``train``.
    """
    n_folds = check_int(n_folds, "n_folds", min_val=2)
    seed = check_int(seed, "seed")
    train = _check_frame(train, "train", [_check_key(key), label_col])
    if len(train) < n_folds:
        raise ValueError(
            f"train has {len(train)} rows, fewer than n_folds={n_folds}."
        )

    rng = np.random.default_rng(seed)
    # Balanced folds: fold_of_row, shape (n_rows,), 0 .. n_folds - 1.
    fold_of_row = rng.permutation(len(train)) % n_folds
    rates = np.empty(len(train), dtype=np.float64)
    for fold in range(n_folds):
        held_out = fold_of_row == fold
        baseline = SmoothedLikeRate(
            key, prior_strength=prior_strength, label_col=label_col
        )
        baseline.fit(train.iloc[~held_out])
        rates[held_out] = baseline.like_rate(train.iloc[held_out])
    return rates


def validation_log_loss_by_prior(
    train: pd.DataFrame,
    valid: pd.DataFrame,
    prior_strengths: Iterable[float],
    *,
    key: str = "item_id",
    label_col: str = "like",
) -> pd.DataFrame:
    """Fit one :class:`SmoothedLikeRate` per prior strength; score each on ``valid``.

    Returns
    -------
    pandas.DataFrame
        One row per prior strength: ``prior_strength``, ``validation log-loss``
        (mean binary cross-entropy, natural log), ``validation AUC``.
    """
    valid = _check_frame(valid, "valid", [_check_key(key), label_col])
    valid_labels = as_label_vector(
        valid[label_col].to_numpy(), name=f"valid[{label_col!r}]"
    )
    candidates = [_check_prior_strength(m) for m in prior_strengths]
    if not candidates:
        raise ValueError("prior_strengths must hold at least one value.")
    rows = []
    for m in candidates:
        baseline = SmoothedLikeRate(key, prior_strength=m, label_col=label_col)
        rate = baseline.fit(train).like_rate(valid)
        rows.append({
            "prior_strength": m,
            "validation log-loss": metrics.log_loss(valid_labels, rate),
            "validation AUC": metrics.roc_auc(valid_labels, rate),
        })
    return pd.DataFrame(rows)
