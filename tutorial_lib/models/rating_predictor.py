"""The one interface every rating predictor of the book follows (explicit feedback).

A rating predictor learns from a table of explicit ratings (one row per user–item rating,
e.g. 1 to 5 stars) and predicts the rating a user would give an item; RMSE and MAE
(:func:`tutorial_lib.evaluation.metrics.rmse`, :func:`~tutorial_lib.evaluation.metrics.mae`)
measure how far off the predictions are.

- ``fit(ratings)`` learns from a DataFrame with ``user_id``, ``item_id`` and ``rating``
  columns (non-negative integer ids, finite ratings inside ``rating_scale``, each
  ``(user, item)`` pair at most once).
- ``predict(users, items)`` returns the predicted ratings of the pairs
  ``(users[n], items[n])``, shape ``(n_pairs,)``, clipped to ``rating_scale``. A user or an
  item that ``fit`` never saw is not an error: each model falls back on what it knows, as
  the Surprise library does (its docstring says how; the baseline models use
  :math:`\\mu + b_i` for a new user, :math:`\\mu + b_u` for a new item, :math:`\\mu` for both).

A subclass implements two methods and inherits the rest:

- ``_fit(user_rows, item_columns, ratings)``: learn from the training ratings given by
  position, three arrays of shape ``(n_ratings,)`` in the row order of the frame (that order
  is kept: it decides how neighbourhood models break ties, as in Surprise). Rows index
  ``user_ids_``, columns index ``item_ids_``.
- ``_predict(user_rows, item_columns)``: unclipped predictions, shape ``(n_pairs,)``;
  a position of ``-1`` marks a user or item that ``fit`` never saw.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse
from sklearn.exceptions import NotFittedError

from tutorial_lib.validation import ArgumentTypeError, check_ids, check_real, check_same_length, require_columns

__all__ = ["RATING_COLUMNS", "RatingPredictor", "check_rating_scale"]

RATING_COLUMNS = ("user_id", "item_id", "rating")


def check_rating_scale(rating_scale) -> tuple[float, float]:
    """Return ``rating_scale`` as ``(lowest, highest)`` floats, or raise naming it."""
    try:
        lowest, highest = rating_scale
    except (TypeError, ValueError):
        raise ArgumentTypeError(
            f"rating_scale must be a pair (lowest, highest), got {rating_scale!r}.") from None
    lowest = check_real(lowest, "rating_scale[0]")
    highest = check_real(highest, "rating_scale[1]")
    if not lowest < highest:
        raise ValueError(f"rating_scale must have lowest < highest, got {rating_scale!r}.")
    return lowest, highest


class RatingPredictor:
    """Base class of the book's rating predictors (see the module docstring).

    Parameters
    ----------
    rating_scale : (float, float), default (1.0, 5.0)
        Lowest and highest possible rating; predictions are clipped to it.

    Attributes (after ``fit``)
    --------------------------
    user_ids_ : numpy.ndarray, shape (n_users,)
        The distinct training users, sorted: position ``u`` is user ``user_ids_[u]``.
    item_ids_ : numpy.ndarray, shape (n_items,)
        The distinct training items, sorted.
    global_mean_ : float
        Mean of the training ratings, :math:`\\mu`.
    n_ratings_ : int
        Number of training ratings.
    """

    def __init__(self, *, rating_scale=(1.0, 5.0)):
        self.rating_scale = rating_scale

    # -- fitting --------------------------------------------------------------------------
    def fit(self, ratings: pd.DataFrame) -> RatingPredictor:
        """Learn from ``ratings``, a DataFrame with ``user_id``, ``item_id``, ``rating``.

        Returns ``self``.
        """
        lowest, highest = check_rating_scale(self.rating_scale)
        ratings = require_columns(ratings, "ratings", RATING_COLUMNS, allow_empty=False)
        users = check_ids(ratings["user_id"].to_numpy(), "ratings['user_id']")
        items = check_ids(ratings["item_id"].to_numpy(), "ratings['item_id']")
        values = ratings["rating"].to_numpy()
        if values.dtype.kind not in "iuf":
            raise ArgumentTypeError(f"ratings['rating'] must hold numbers, got dtype {values.dtype}.")
        values = values.astype(np.float64)
        if not np.isfinite(values).all():
            raise ValueError("ratings['rating'] contains NaN or infinite values.")
        outside = (values < lowest) | (values > highest)
        if outside.any():
            raise ValueError(
                f"ratings['rating'] holds {int(outside.sum())} values outside rating_scale "
                f"{(lowest, highest)} (e.g. {values[outside][0]}); pass the right rating_scale.")
        pairs = pd.DataFrame({"user": users, "item": items})
        if pairs.duplicated().any():
            raise ValueError(
                f"ratings holds {int(pairs.duplicated().sum())} repeated (user_id, item_id) "
                "pairs; keep one rating per pair (e.g. the latest) before fitting.")
        user_ids, user_rows = np.unique(users, return_inverse=True)
        item_ids, item_columns = np.unique(items, return_inverse=True)
        return self.fit_positions(user_ids, item_ids, user_rows.astype(np.int64),
                                  item_columns.astype(np.int64), values)

    def fit_positions(self, user_ids, item_ids, user_rows, item_columns, ratings) -> RatingPredictor:
        """Learn from ratings already given by position (what :meth:`fit` does after its checks).

        For a model fitted inside another (the baseline of a neighbourhood model) on the same
        users and items: ``user_ids`` ``(n_users,)`` and ``item_ids`` ``(n_items,)`` sorted;
        ``user_rows``, ``item_columns``, ``ratings`` of shape ``(n_ratings,)``. Returns ``self``.
        """
        self.user_ids_, self.item_ids_ = np.asarray(user_ids), np.asarray(item_ids)
        self.global_mean_ = float(np.mean(ratings))
        self.n_ratings_ = len(ratings)
        self._fit(user_rows, item_columns, ratings)
        return self

    def _fit(self, user_rows: np.ndarray, item_columns: np.ndarray, ratings: np.ndarray) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement _fit.")

    # -- predicting -----------------------------------------------------------------------
    def _check_is_fitted(self) -> None:
        if not hasattr(self, "user_ids_"):
            raise NotFittedError(f"This {type(self).__name__} is not fitted yet; call fit(ratings) first.")

    def _positions(self, ids, known_ids: np.ndarray, name: str) -> np.ndarray:
        """Position of each id in ``known_ids`` (sorted), ``-1`` for an id fit never saw."""
        ids = check_ids(ids, name)
        if ids.ndim != 1:
            raise ValueError(f"{name} must be 1-D with shape (n_pairs,), got shape {ids.shape}.")
        positions = np.searchsorted(known_ids, ids)
        positions = np.minimum(positions, len(known_ids) - 1)
        return np.where(known_ids[positions] == ids, positions, -1).astype(np.int64)

    def predict(self, users, items) -> np.ndarray:
        """Predicted ratings of the pairs ``(users[n], items[n])``, shape ``(n_pairs,)``.

        Parameters
        ----------
        users, items : array-like of non-negative int, shape (n_pairs,)
            User and item ids; ids unseen in training are allowed (see the class docstring).

        Returns
        -------
        numpy.ndarray of float64, shape (n_pairs,), inside ``rating_scale``.
        """
        self._check_is_fitted()
        user_rows = self._positions(users, self.user_ids_, "users")
        item_columns = self._positions(items, self.item_ids_, "items")
        check_same_length(user_rows, item_columns, "users", "items")
        if len(user_rows) == 0:
            return np.zeros(0)
        lowest, highest = check_rating_scale(self.rating_scale)
        return np.clip(self._predict(user_rows, item_columns), lowest, highest)

    def _predict(self, user_rows: np.ndarray, item_columns: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must implement _predict.")

    # -- shared helpers for subclasses ------------------------------------------------------
    @property
    def n_users_(self) -> int:
        return len(self.user_ids_)

    @property
    def n_items_(self) -> int:
        return len(self.item_ids_)

    def _rating_matrix(self, user_rows, item_columns, values) -> scipy.sparse.csr_matrix:
        """Training ratings as a CSR matrix, shape ``(n_users, n_items)``; unrated = not stored."""
        return scipy.sparse.csr_matrix(
            (values, (user_rows, item_columns)), shape=(self.n_users_, self.n_items_))
