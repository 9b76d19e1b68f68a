"""The one interface every top-N recommender of the book follows.

A recommender learns from a table of interactions (one row per user–item event) and then
scores items for users; the evaluation protocol
(:func:`tutorial_lib.evaluation.protocols.evaluate_top_n`) only ever calls ``score``:

- ``fit(interactions, items=None)`` learns from a DataFrame with a user and an item column.
  ``items`` declares the *catalogue* (every item that may be scored); by default it is the
  items that occur in ``interactions``. An item of the catalogue with no training
  interaction gets whatever score the model gives an item it knows nothing about (each
  model's docstring says what that is: 0 for counts and neighbourhoods).
- ``score(users, items)`` returns an array of shape ``(len(users), len(items))``; higher
  means "recommend first". A user or an item that ``fit`` never saw raises ``ValueError``
  naming it, unless the model says it can score new users or new items (popularity can:
  every count it does not know is 0).
- ``recommend(user, k, exclude_seen=True)`` returns the ``k`` best item ids for one user,
  best first; ``recommend_batch(users, k)`` the same for many users at once, shape
  ``(len(users), k)``. Equal scores are ordered by item id (smaller first), so the lists are
  deterministic. With ``exclude_seen`` an item of the user's training rows is never returned.

A subclass implements two methods and inherits the rest:

- ``_fit(matrix)``: learn from the binary interaction matrix, a ``scipy.sparse.csr_matrix``
  of shape ``(n_users, n_items)`` whose rows follow ``user_ids_`` and whose columns follow
  ``item_ids_`` (1.0 where the user interacted with the item, however often).
- ``_score(user_rows, item_columns)``: scores for known users and catalogue items given by
  position, shape ``(len(user_rows), len(item_columns))``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse

from tutorial_lib.validation import check_bool, check_positive_int, require_columns

__all__ = ["Recommender"]


class Recommender:
    """Base class of the book's top-N recommenders (see the module docstring).

    Parameters
    ----------
    user_col, item_col : str
        Names of the user and item id columns of the frame given to :meth:`fit`.

    Attributes (after ``fit``)
    --------------------------
    user_ids_ : numpy.ndarray, shape (n_users,)
        The distinct training users, sorted: the rows of ``interactions_``.
    item_ids_ : numpy.ndarray, shape (n_items,)
        The catalogue, sorted: the columns of ``interactions_``.
    interactions_ : scipy.sparse.csr_matrix of float64, shape (n_users, n_items)
        1.0 where the user has at least one training interaction with the item.
    """

    #: Whether ``score`` accepts users that ``fit`` never saw (subclasses that can say so).
    scores_new_users = False
    #: Whether ``score`` accepts items outside the catalogue (-1 is then passed to ``_score``).
    scores_new_items = False

    def __init__(self, user_col: str = "user_id", item_col: str = "item_id"):
        self.user_col = user_col
        self.item_col = item_col

    # ----------------------------------------------------------------------------------
    # What a subclass implements
    # ----------------------------------------------------------------------------------
    def _fit(self, matrix: scipy.sparse.csr_matrix) -> None:
        """Learn from the ``(n_users, n_items)`` binary interaction matrix."""
        raise NotImplementedError(f"{type(self).__name__} must implement _fit(matrix).")

    def _score(self, user_rows: np.ndarray, item_columns: np.ndarray) -> np.ndarray:
        """Scores of shape ``(len(user_rows), len(item_columns))`` for positions in the id arrays.

        ``user_rows`` index ``user_ids_`` (-1 marks a new user, passed only when
        ``scores_new_users`` is True); ``item_columns`` index ``item_ids_`` (-1 marks an
        item outside the catalogue, passed only when ``scores_new_items`` is True).
        """
        raise NotImplementedError(f"{type(self).__name__} must implement _score(user_rows, item_columns).")

    # ----------------------------------------------------------------------------------
    # The interface
    # ----------------------------------------------------------------------------------
    def fit(self, interactions: pd.DataFrame, items=None) -> Recommender:
        """Learn from ``interactions``; ``items`` is the catalogue (default: the items seen).

        Parameters
        ----------
        interactions : pandas.DataFrame, shape (n_interactions, n_columns)
            One row per interaction with ``user_col`` and ``item_col``; other columns (a
            timestamp, a rating) are ignored and a repeated pair counts once.
        items : array_like, shape (n_catalogue,), optional
            Every item id the model may be asked to score; it must contain every item of
            ``interactions``.

        Returns
        -------
        self
        """
        require_columns(interactions, "interactions", [self.user_col, self.item_col], allow_empty=False)
        for column in (self.user_col, self.item_col):
            if interactions[column].isna().any():
                raise ValueError(f"interactions[{column!r}] has missing values; drop those rows first.")
        user_values = interactions[self.user_col].to_numpy()
        item_values = interactions[self.item_col].to_numpy()
        self.user_ids_ = np.unique(user_values)
        self.item_ids_ = np.unique(item_values) if items is None else self._catalogue(items, item_values)
        rows = np.searchsorted(self.user_ids_, user_values)
        columns = np.searchsorted(self.item_ids_, item_values)
        matrix = scipy.sparse.csr_matrix(
            (np.ones(len(rows)), (rows, columns)), shape=(len(self.user_ids_), len(self.item_ids_))
        )
        matrix.sum_duplicates()
        matrix.data[:] = 1.0  # a repeated pair counts once
        self.interactions_ = matrix
        self._fit(matrix)
        return self

    def score(self, users, items) -> np.ndarray:
        """Scores of ``items`` for ``users``; higher means "recommend first".

        Parameters
        ----------
        users : array_like, shape (n_users,)
            User ids seen in ``fit`` (any id when the model scores new users).
        items : array_like, shape (n_items,)
            Item ids of the catalogue.

        Returns
        -------
        numpy.ndarray of float64, shape (n_users, n_items)
        """
        user_rows = self._user_rows(users)
        item_columns = self._item_columns(items)
        scores = np.asarray(self._score(user_rows, item_columns), dtype=np.float64)
        expected = (len(user_rows), len(item_columns))
        if scores.shape != expected:  # a bug in the subclass, not in the caller's input
            raise RuntimeError(f"{type(self).__name__}._score returned shape {scores.shape}, expected {expected}.")
        return scores

    def recommend_batch(self, users, k: int, exclude_seen: bool = True) -> np.ndarray:
        """The ``k`` best items of each user, best first.

        Parameters
        ----------
        users : array_like, shape (n_users,)
        k : int
            Length of each list, >= 1; at most the catalogue size is returned.
        exclude_seen : bool, default True
            Leave out the items of each user's training rows.

        Returns
        -------
        numpy.ndarray, shape (n_users, min(k, n_items))
            Item ids. When ``exclude_seen`` leaves a user fewer than ``k`` items, the
            list is shorter than ``k`` and its tail holds ``None`` (an object array).
        """
        k = check_positive_int(k, "k")
        exclude_seen = check_bool(exclude_seen, "exclude_seen")
        user_rows = self._user_rows(users)
        all_columns = np.arange(len(self.item_ids_))
        scores = np.asarray(self._score(user_rows, all_columns), dtype=np.float64)
        excluded = np.zeros(scores.shape, dtype=bool)
        if exclude_seen:
            known = user_rows >= 0
            excluded[known] = self.interactions_[user_rows[known]].toarray() > 0
        k = min(k, len(self.item_ids_))
        # Excluded items last; the rest by score, best first; equal scores by item id.
        keys = (np.broadcast_to(all_columns, scores.shape), -scores, excluded)  # last key sorts first
        order = np.lexsort(keys, axis=1)[:, :k]
        lists = self.item_ids_[order]
        n_left = (~excluded).sum(axis=1)
        if (n_left < k).any():
            lists = lists.astype(object)
            for row in np.flatnonzero(n_left < k):
                lists[row, n_left[row]:] = None
        return lists

    def recommend(self, user, k: int, exclude_seen: bool = True) -> np.ndarray:
        """The ``k`` best items for one ``user``, best first.

        Returns
        -------
        numpy.ndarray, shape (min(k, n_available),)
            Item ids; shorter than ``k`` when fewer items are left to recommend.
        """
        lists = self.recommend_batch(np.array([user]), k, exclude_seen=exclude_seen)[0]
        return np.asarray([item for item in lists if item is not None], dtype=self.item_ids_.dtype)

    # ----------------------------------------------------------------------------------
    # Helpers
    # ----------------------------------------------------------------------------------
    def _check_is_fitted(self) -> None:
        if not hasattr(self, "interactions_"):
            raise RuntimeError(f"This {type(self).__name__} is not fitted yet; call fit(interactions) first.")

    @staticmethod
    def _catalogue(items, item_values: np.ndarray) -> np.ndarray:
        catalogue = np.asarray(items)
        if catalogue.ndim != 1 or catalogue.size == 0:
            raise ValueError(f"items must be a non-empty 1-D array of item ids, got shape {catalogue.shape}.")
        catalogue = np.unique(catalogue)
        missing = np.setdiff1d(item_values, catalogue)
        if missing.size:
            raise ValueError(
                f"items (the catalogue) lacks {missing.size} item(s) of interactions, e.g. {missing[:5].tolist()}."
            )
        return catalogue

    @staticmethod
    def _positions(ids: np.ndarray, known: np.ndarray) -> np.ndarray:
        """Position of each id in the sorted array ``known``; -1 where it is not there."""
        positions = np.searchsorted(known, ids)
        clipped = np.minimum(positions, len(known) - 1)
        return np.where(known[clipped] == ids, clipped, -1)

    def _user_rows(self, users) -> np.ndarray:
        self._check_is_fitted()
        users = np.asarray(users)
        if users.ndim != 1:
            raise ValueError(f"users must be a 1-D array of user ids, got shape {users.shape}.")
        rows = self._positions(users, self.user_ids_)
        if not self.scores_new_users and (rows < 0).any():
            unknown = users[rows < 0]
            raise ValueError(
                f"users holds {unknown.size} id(s) that fit never saw, e.g. {unknown[:5].tolist()}; "
                f"{type(self).__name__} cannot score new users (a hybrid with a cold-start fallback can)."
            )
        return rows

    def _item_columns(self, items) -> np.ndarray:
        items = np.asarray(items)
        if items.ndim != 1:
            raise ValueError(f"items must be a 1-D array of item ids, got shape {items.shape}.")
        columns = self._positions(items, self.item_ids_)
        if not self.scores_new_items and (columns < 0).any():
            unknown = items[columns < 0]
            raise ValueError(
                f"items holds {unknown.size} id(s) outside the catalogue, e.g. {unknown[:5].tolist()}; "
                "pass the whole catalogue to fit(interactions, items=...)."
            )
        return columns
