"""The popularity baseline: recommend what most users interacted with.

It knows nothing about the user, yet on MovieLens it is hard to beat by much, which is why
every top-N results table of the book starts with it (and with random scores, the floor).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tutorial_lib.validation import check_positive_int, require_columns

__all__ = ["PopularityRecommender"]


class PopularityRecommender:
    """Score every item by how often it occurs in the training interactions.

    ``score(user, item) = count of item in the training rows``, the same for every user;
    an item never seen in training scores 0.

    Parameters
    ----------
    user_col, item_col : str
        Column names of the user and item ids in the frame given to :meth:`fit`.

    Attributes
    ----------
    item_counts_ : pandas.Series
        Training count of each item seen in training, indexed by item id, sorted by id.
    n_interactions_ : int
        Number of training rows.
    """

    def __init__(self, user_col: str = "user_id", item_col: str = "item_id"):
        self.user_col = user_col
        self.item_col = item_col

    def fit(self, interactions: pd.DataFrame) -> PopularityRecommender:
        """Count the items of ``interactions``.

        Parameters
        ----------
        interactions : pandas.DataFrame, shape (n_interactions, n_columns)
            One row per interaction with ``user_col`` and ``item_col`` (other columns, such
            as a timestamp or a rating, are ignored: every interaction counts once).
        """
        require_columns(interactions, "interactions", [self.user_col, self.item_col], allow_empty=False)
        self.item_counts_ = interactions[self.item_col].value_counts().sort_index()
        self.n_interactions_ = len(interactions)
        self._items_of_user = interactions.groupby(self.user_col)[self.item_col].unique()
        return self

    def _check_is_fitted(self) -> None:
        if not hasattr(self, "item_counts_"):
            raise RuntimeError("This PopularityRecommender is not fitted yet; call fit(interactions) first.")

    def score(self, users, items) -> np.ndarray:
        """Training counts of ``items``, one identical row per user.

        Parameters
        ----------
        users : array_like, shape (n_users,)
            User ids (any: the score does not depend on the user, new users included).
        items : array_like, shape (n_items,)
            Item ids; ids not seen in training score 0.

        Returns
        -------
        numpy.ndarray of float64, shape (n_users, n_items)
        """
        self._check_is_fitted()
        users = np.asarray(users)
        items = np.asarray(items)
        if users.ndim != 1 or items.ndim != 1:
            raise ValueError(f"users and items must be 1-D arrays of ids, got shapes {users.shape} and {items.shape}.")
        item_scores = self.item_counts_.reindex(items, fill_value=0).to_numpy(dtype=np.float64)
        return np.tile(item_scores, (users.size, 1))

    def recommend(self, user, k: int, exclude_seen: bool = True) -> np.ndarray:
        """The ``k`` most popular items for ``user``, most popular first.

        Equal counts are ordered by item id (smaller first). Only items seen in training
        are recommended, so fewer than ``k`` come back when fewer remain.

        Parameters
        ----------
        user
            A user id; with ``exclude_seen`` the items of this user's training rows are
            left out (a user unknown to training has none).
        k : int
            Length of the list, >= 1.
        exclude_seen : bool, default True

        Returns
        -------
        numpy.ndarray, shape (min(k, n_available),)
            Item ids.
        """
        self._check_is_fitted()
        k = check_positive_int(k, "k")
        ranked = self.item_counts_.sort_index().sort_values(ascending=False, kind="mergesort")
        if exclude_seen and user in self._items_of_user.index:
            ranked = ranked.drop(self._items_of_user[user])
        return ranked.index.to_numpy()[:k]
