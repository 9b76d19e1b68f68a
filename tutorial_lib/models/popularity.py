"""The popularity baseline: recommend what most users interacted with.

It knows nothing about the user, yet on MovieLens it is hard to beat by much, which is why
every top-N results table of the book starts with it (and with random scores, the floor).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tutorial_lib.models.recommender import Recommender

__all__ = ["PopularityRecommender"]


class PopularityRecommender(Recommender):
    """Score every item by how often it occurs in the training interactions.

    ``score(user, item) = count of item in the training rows``, the same for every user.
    It scores any user (new ones included) and any item: an item never seen in training
    scores 0. Unlike the binary matrix of the other recommenders, every training row
    counts, so a user who rated a film twice adds 2 to it.

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

    scores_new_users = True
    scores_new_items = True

    def fit(self, interactions: pd.DataFrame, items=None) -> PopularityRecommender:
        """Count the items of ``interactions`` (see :meth:`Recommender.fit`)."""
        super().fit(interactions, items=items)
        counts = interactions[self.item_col].value_counts()
        self.item_counts_ = counts.sort_index()
        self.n_interactions_ = len(interactions)
        self._catalogue_counts = counts.reindex(self.item_ids_, fill_value=0).to_numpy(dtype=np.float64)
        return self

    def _fit(self, matrix) -> None:
        """Nothing to learn from the binary matrix: :meth:`fit` counts the raw rows."""

    def _score(self, user_rows: np.ndarray, item_columns: np.ndarray) -> np.ndarray:
        """The training count of each item, one identical row per user, shape ``(n_users, n_items)``."""
        known = item_columns >= 0
        item_scores = np.zeros(len(item_columns))
        item_scores[known] = self._catalogue_counts[item_columns[known]]
        return np.tile(item_scores, (len(user_rows), 1))
