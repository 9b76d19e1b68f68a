"""Content-based recommendation (基于内容的推荐): compare items by what they are, not by who used them.

Each item gets a *profile*, a TF-IDF vector of its content (here a MovieLens film's genres
and the words of its title, :func:`item_tokens`), built with
:class:`tutorial_lib.data.tfidf.TfidfScratch` (rows of unit length). A user's profile is the
(weighted) mean of the profiles of the items in their training history, and an item scores
the cosine between its profile and the user's:

.. math::

    \\operatorname{score}(u, i) = \\frac{x_i^\\top m_u}{\\lVert x_i \\rVert\\,\\lVert m_u \\rVert},
    \\qquad m_u = \\frac{\\sum_{j \\in H_u} w_{uj}\\, x_j}{\\sum_{j \\in H_u} w_{uj}}

Unlike collaborative filtering it can score an item nobody has interacted with yet, as long
as the item has content; it cannot score a user with no history.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import scipy.sparse
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from tutorial_lib.data.tfidf import TfidfScratch
from tutorial_lib.models.recommender import Recommender
from tutorial_lib.validation import require_columns

__all__ = ["item_tokens", "item_documents", "interaction_weights", "ContentRecommender"]

_YEAR = re.compile(r"\(\d{4}\)\s*$")
_WORD = re.compile(r"[a-z0-9]+")


def item_tokens(title: str, genres: str) -> list[str]:
    """The tokens of one film: ``genre=<name>`` for each genre, then the title's words.

    The year in parentheses at the end of a MovieLens title is dropped (it would make every
    film of 1995 "similar"); words are lower-cased runs of letters and digits, without
    scikit-learn's English stop words (``"the"`` of "Godfather, The" would otherwise be one
    of the heaviest terms of many profiles).

    >>> item_tokens("Toy Story (1995)", "Animation|Children's|Comedy")
    ['genre=Animation', "genre=Children's", 'genre=Comedy', 'toy', 'story']
    """
    genre_tokens = [f"genre={name}" for name in str(genres).split("|") if name]
    words = _WORD.findall(_YEAR.sub("", str(title)).lower())
    return genre_tokens + [word for word in words if word not in ENGLISH_STOP_WORDS]


def item_documents(items: pd.DataFrame, item_ids: np.ndarray) -> list[list[str]]:
    """Token lists of ``item_ids`` in that order, from a table with item_id, title and genres.

    An id missing from ``items`` gets an empty document (its profile is zeros).
    """
    require_columns(items, "items", ["item_id", "title", "genres"], allow_empty=False)
    if items["item_id"].duplicated().any():
        raise ValueError("items has repeated item_id values; give each item once.")
    table = items.set_index("item_id")
    documents = []
    for item_id in item_ids:
        if item_id in table.index:
            documents.append(item_tokens(table.at[item_id, "title"], table.at[item_id, "genres"]))
        else:
            documents.append([])
    return documents


def interaction_weights(recommender: Recommender, interactions: pd.DataFrame, weight_col) -> scipy.sparse.csr_matrix:
    """The ``(n_users, n_items)`` weights a content model averages item profiles with.

    ``recommender`` is fitted (its ``user_ids_``, ``item_ids_`` and ``interactions_`` set).
    With ``weight_col`` None every interaction weighs 1 (``recommender.interactions_``);
    otherwise the weights are ``interactions[weight_col]``, and a repeated pair adds them up.
    Used by :class:`ContentRecommender` and
    :class:`tutorial_lib.models.text_embeddings.VectorContentRecommender`.
    """
    if weight_col is None:
        return recommender.interactions_
    rows = np.searchsorted(recommender.user_ids_, interactions[recommender.user_col].to_numpy())
    columns = np.searchsorted(recommender.item_ids_, interactions[recommender.item_col].to_numpy())
    return scipy.sparse.csr_matrix(
        (interactions[weight_col].to_numpy(dtype=np.float64), (rows, columns)),
        shape=recommender.interactions_.shape,
    )


class ContentRecommender(Recommender):
    """TF-IDF item profiles, a user profile = weighted mean of their items, cosine scores.

    Parameters
    ----------
    items : pandas.DataFrame
        The content: columns ``item_id``, ``title``, ``genres`` (as
        :func:`tutorial_lib.data.datasets.load_movielens_items` returns).
    weight_col : str, optional
        A column of the interactions used as each item's weight in the user's mean (e.g.
        ``"rating"``, so liked films count more). Default: every item weighs 1.

    Attributes (after ``fit``)
    --------------------------
    item_profiles_ : scipy.sparse.csr_matrix, shape (n_items, n_terms)
        Unit-length TF-IDF rows following ``item_ids_`` (IDF learnt over the catalogue).
    vectorizer_ : TfidfScratch
    user_profiles_ : numpy.ndarray, shape (n_users, n_terms)
        Unit-length mean profiles following ``user_ids_``.

    Items of the catalogue scored without any training interaction get their cosine too
    (content needs no interaction); an item without content scores 0.
    """

    def __init__(self, items: pd.DataFrame, *, weight_col: str | None = None,
                 user_col: str = "user_id", item_col: str = "item_id"):
        super().__init__(user_col=user_col, item_col=item_col)
        require_columns(items, "items", ["item_id", "title", "genres"], allow_empty=False)
        self.items = items
        self.weight_col = weight_col

    def fit(self, interactions: pd.DataFrame, items=None) -> ContentRecommender:
        """Build the item and user profiles (see :meth:`Recommender.fit`)."""
        if self.weight_col is not None:
            require_columns(interactions, "interactions", [self.weight_col], allow_empty=False)
            if (interactions[self.weight_col] < 0).any() or interactions[self.weight_col].isna().any():
                raise ValueError(f"interactions[{self.weight_col!r}] must hold weights >= 0 with no missing value.")
        super().fit(interactions, items=items)
        documents = item_documents(self.items, self.item_ids_)
        self.vectorizer_ = TfidfScratch().fit(documents)
        self.item_profiles_ = self.vectorizer_.transform(documents)
        weights = interaction_weights(self, interactions, self.weight_col)
        totals = np.asarray(weights.sum(axis=1)).ravel()
        scale = np.divide(1.0, totals, out=np.zeros_like(totals), where=totals > 0)
        means = np.asarray((scipy.sparse.diags(scale) @ weights @ self.item_profiles_).todense())
        lengths = np.linalg.norm(means, axis=1, keepdims=True)
        self.user_profiles_ = np.divide(means, lengths, out=np.zeros_like(means), where=lengths > 0)
        return self

    def _fit(self, matrix: scipy.sparse.csr_matrix) -> None:
        """Nothing here: :meth:`fit` needs the item table and the weights."""

    def _score(self, user_rows: np.ndarray, item_columns: np.ndarray) -> np.ndarray:
        """Cosines, shape ``(len(user_rows), len(item_columns))`` (item profiles are unit length)."""
        return np.asarray(self.item_profiles_[item_columns] @ self.user_profiles_[user_rows].T).T
