"""User-based and item-based collaborative filtering (用户/物品协同过滤) for rating prediction.

The model (Koren 2010, section 2.2; Surprise's ``KNNBasic``, ``KNNWithMeans``, ``KNNBaseline``)
------------------------------------------------------------------------------------------
User-based, to predict user :math:`u`'s rating of item :math:`i`: take the users who rated
:math:`i`, keep the ``k`` most similar to :math:`u` with a positive similarity, the set
:math:`N^k_i(u)`, and average what they said about :math:`i`, weighted by similarity,
*relative to a centre* :math:`c`:

.. math:: \\hat r_{ui} = c_{ui} + \\frac{\\sum_{v \\in N^k_i(u)} s_{uv}\\,(r_{vi} - c_{vi})}
          {\\sum_{v \\in N^k_i(u)} s_{uv}}

- ``centring="none"``: :math:`c = 0`, a plain weighted average of the neighbours' ratings.
- ``centring="mean"`` (mean-centring): :math:`c_{vi} = \\bar r_v`, each user's mean rating, so a
  harsh and a generous rater can agree on *how much they liked an item for them*.
- ``centring="baseline"`` (baseline-centring): :math:`c_{vi} = b_{vi} = \\mu + b_v + b_i`
  (:mod:`tutorial_lib.models.rating_baselines`), which also removes the item's own bias: the
  neighbours only supply what the baseline does not already know.

Item-based (``user_based=False``) swaps the roles: the neighbours are the items :math:`u`
rated, most similar to :math:`i`. With fewer than ``min_k`` positive neighbours the
neighbourhood term is dropped (the prediction is the centre; with ``centring="none"`` it is
the global mean).

Similarities, on the items two users both rated (co-rated), :math:`I_{uv}`
--------------------------------------------------------------------------
Rows here are users for user-based and items for item-based models; all four are computed
from products of the sparse rating matrix (``scipy.sparse``), never a dense user × item matrix:

- ``"msd"`` (Surprise's default): :math:`1 / (1 + \\frac{1}{|I_{uv}|}\\sum_{i \\in I_{uv}}
  (r_{ui} - r_{vi})^2)`.
- ``"cosine"``: :math:`\\sum r_{ui} r_{vi} / \\sqrt{\\sum r_{ui}^2 \\sum r_{vi}^2}`, all sums over
  :math:`I_{uv}` (Surprise's definition; :func:`tutorial_lib.models.neighbourhood.cosine_similarity_rows`
  instead counts unrated items as 0 in the norms).
- ``"pearson"``: Pearson correlation on :math:`I_{uv}`, each row centred on its mean over
  :math:`I_{uv}` (:func:`tutorial_lib.models.neighbourhood.pearson_similarity_rows`).
- ``"pearson_baseline"``: the correlation of the baseline residuals :math:`r_{ui} - b_{ui}`
  (not re-centred), *shrunk* towards 0 when the pair has little support:
  :math:`s_{uv} = \\frac{|I_{uv}| - 1}{|I_{uv}| - 1 + \\text{shrinkage}}\\,\\hat\\rho_{uv}`. Two
  users with three films in common and a correlation of 1 are weak evidence; shrinkage says so.

Pairs with fewer than ``min_support`` co-rated items get similarity 0 (at least 2 for the
Pearson ones). A row is not its own neighbour.

How this differs from Surprise
------------------------------
The similarities are matrix products instead of a loop over every co-rating pair, and
prediction takes all test pairs of one item (user-based) at once. Neighbours with equal
similarity are taken in the order of their ratings in the training frame, as Surprise's
``heapq.nlargest`` does, so on the same folds in the same row order the predictions agree
(``tests/test_surprise_peer.py``: all centrings and similarities on a toy matrix to 1e-12,
and 200 shuffled neighbours with tied similarities, where an unstable sort would take other
ones; chapter 5 shows equal per-fold RMSEs on MovieLens 100K). With ``"pearson"`` a few can differ: our formula and Surprise's round
differently, and on pairs with two or three co-rated items exact ties (a correlation of
exactly 1, say) are common, so rounding can reorder tied neighbours.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from tutorial_lib.config import ProfileConfig
from tutorial_lib.models.neighbourhood import pearson_similarity_rows
from tutorial_lib.models.rating_baselines import BaselinePredictor
from tutorial_lib.models.rating_predictor import RatingPredictor
from tutorial_lib.validation import check_bool, check_choice, check_int, check_positive_int, check_real

__all__ = [
    "CENTRINGS",
    "SIMILARITIES",
    "NeighbourhoodRatingConfig",
    "NeighbourhoodRatingPredictor",
    "cosine_similarity_co_rated",
    "msd_similarity",
    "pearson_baseline_similarity",
]

CENTRINGS = ("none", "mean", "baseline")
SIMILARITIES = ("msd", "cosine", "pearson", "pearson_baseline")


def _co_rated_sums(matrix: sp.csr_matrix):
    """Per pair of rows: number of co-rated columns, sum of products, and sums of squares.

    ``matrix``: CSR, shape ``(n_rows, n_columns)``, stored entries are ratings. Returns four
    dense arrays of shape ``(n_rows, n_rows)``: ``n_common``, ``products`` (sum of
    r_u r_v over co-rated columns), ``squares_u`` (sum of r_u^2 over them), and its
    transpose ``squares_v``.
    """
    values = sp.csr_matrix(matrix, dtype=np.float64)
    observed = values.copy()
    observed.data = np.ones_like(observed.data)
    squares = values.multiply(values).tocsr()
    n_common = (observed @ observed.T).toarray()
    products = (values @ values.T).toarray()
    squares_u = (squares @ observed.T).toarray()
    return n_common, products, squares_u, squares_u.T


def _finish(similarity: np.ndarray, supported: np.ndarray) -> np.ndarray:
    similarity = np.where(supported, similarity, 0.0)
    np.fill_diagonal(similarity, 1.0)
    return similarity


def msd_similarity(matrix, min_support: int = 1) -> np.ndarray:
    """Mean-squared-difference similarity of every pair of rows, shape ``(n_rows, n_rows)``.

    ``matrix``: scipy.sparse, shape ``(n_rows, n_columns)``, stored entries are ratings.
    :math:`1 / (1 + \\text{mean}_{I_{uv}} (r_u - r_v)^2)`; 0 for pairs with fewer than
    ``min_support`` (at least 1) co-rated columns; 1 on the diagonal.
    """
    min_support = check_positive_int(min_support, "min_support")
    n_common, products, squares_u, squares_v = _co_rated_sums(matrix)
    squared_differences = np.maximum(squares_u + squares_v - 2.0 * products, 0.0)
    supported = n_common >= min_support
    mean_squared = np.divide(squared_differences, n_common, out=np.zeros_like(n_common),
                             where=supported)
    return _finish(1.0 / (1.0 + mean_squared), supported)


def cosine_similarity_co_rated(matrix, min_support: int = 1) -> np.ndarray:
    """Cosine similarity of every pair of rows over co-rated columns, ``(n_rows, n_rows)``.

    As Surprise's ``cosine``: products and norms are all summed over the columns both rows
    rated. 0 for pairs with fewer than ``min_support`` co-rated columns; 1 on the diagonal.
    """
    min_support = check_positive_int(min_support, "min_support")
    n_common, products, squares_u, squares_v = _co_rated_sums(matrix)
    norms = np.sqrt(squares_u * squares_v)
    supported = (n_common >= min_support) & (norms > 0)
    similarity = np.divide(products, norms, out=np.zeros_like(products), where=supported)
    return _finish(similarity, supported)


def pearson_baseline_similarity(matrix, row_bias, column_bias, global_mean, *,
                                shrinkage: float = 100.0, min_support: int = 1) -> np.ndarray:
    """Shrunk Pearson correlation of baseline residuals, shape ``(n_rows, n_rows)``.

    Parameters
    ----------
    matrix : scipy.sparse, shape (n_rows, n_columns)
        Stored entries are ratings.
    row_bias, column_bias : shapes (n_rows,) and (n_columns,)
        The baseline biases of rows and columns (user and item biases, or the other way
        round for item-based similarities); the residual of a stored rating is
        ``r - global_mean - row_bias[row] - column_bias[column]``.
    shrinkage : float >= 0
        Pairs are shrunk by ``(n_common - 1) / (n_common - 1 + shrinkage)``.
    min_support : int
        Fewest co-rated columns (at least 2 is used, as Surprise does).
    """
    min_support = max(2, check_positive_int(min_support, "min_support"))
    shrinkage = check_real(shrinkage, "shrinkage", min_val=0)
    ratings = sp.coo_matrix(matrix, dtype=np.float64)
    residuals = ratings.data - global_mean - row_bias[ratings.row] - column_bias[ratings.col]
    shape = ratings.shape
    residual_matrix = sp.csr_matrix((residuals, (ratings.row, ratings.col)), shape=shape)
    observed = sp.csr_matrix((np.ones_like(residuals), (ratings.row, ratings.col)), shape=shape)
    n_common = (observed @ observed.T).toarray()
    products = (residual_matrix @ residual_matrix.T).toarray()
    squares_u = (residual_matrix.multiply(residual_matrix) @ observed.T).toarray()
    norms = np.sqrt(squares_u * squares_u.T)
    supported = (n_common >= min_support) & (norms > 0)
    correlation = np.divide(products, norms, out=np.zeros_like(products), where=supported)
    shrink = np.divide(n_common - 1.0, n_common - 1.0 + shrinkage, out=np.zeros_like(n_common),
                       where=supported)
    return _finish(correlation * shrink, supported)


class NeighbourhoodRatingPredictor(RatingPredictor):
    """k-nearest-neighbour rating prediction, user- or item-based (see the module docstring).

    Parameters
    ----------
    centring : {"none", "mean", "baseline"}, default "mean"
        ``"none"``, ``"mean"``, ``"baseline"`` are Surprise's ``KNNBasic``, ``KNNWithMeans``
        and ``KNNBaseline``.
    similarity : {"msd", "cosine", "pearson", "pearson_baseline"}, default "msd"
    user_based : bool, default True
        Compare users (True) or items (False).
    k : int, default 40
        Most neighbours used per prediction.
    min_k : int, default 1
        Fewest positive neighbours for the neighbourhood term to be used.
    shrinkage : float, default 100
        Shrinkage of ``"pearson_baseline"``.
    min_support : int, default 1
        Fewest co-rated items (users) for a non-zero similarity.
    baseline : BaselinePredictor or None
        Baseline for ``centring="baseline"`` and ``"pearson_baseline"``; ``None``:
        ``BaselinePredictor()`` (ALS, Surprise's defaults). A copy is fitted.
    rating_scale : (float, float), default (1, 5)

    Attributes (after ``fit``)
    --------------------------
    similarity_ : numpy.ndarray, shape (n_rows, n_rows)
        Between users (user-based) or items (item-based).
    baseline_ : BaselinePredictor or None
        The fitted baseline, when one is used.

    Unseen users or items: with ``centring="baseline"`` the prediction is the baseline
    (:math:`\\mu` plus the biases that are known); otherwise the global mean, as in Surprise.
    """

    def __init__(self, centring: str = "mean", similarity: str = "msd", *, user_based: bool = True,
                 k: int = 40, min_k: int = 1, shrinkage: float = 100.0, min_support: int = 1,
                 baseline: BaselinePredictor | None = None, rating_scale=(1.0, 5.0)):
        super().__init__(rating_scale=rating_scale)
        self.centring = centring
        self.similarity = similarity
        self.user_based = user_based
        self.k = k
        self.min_k = min_k
        self.shrinkage = shrinkage
        self.min_support = min_support
        self.baseline = baseline

    # -- fitting --------------------------------------------------------------------------
    def _fit(self, user_rows, item_columns, ratings) -> None:
        centring = check_choice(self.centring, "centring", CENTRINGS)
        similarity = check_choice(self.similarity, "similarity", SIMILARITIES)
        user_based = check_bool(self.user_based, "user_based")
        self.k_ = check_positive_int(self.k, "k")
        self.min_k_ = check_int(self.min_k, "min_k", min_val=0)
        if self.baseline is not None and not isinstance(self.baseline, BaselinePredictor):
            raise TypeError(f"baseline must be a BaselinePredictor or None, got {type(self.baseline).__name__}.")
        needs_baseline = centring == "baseline" or similarity == "pearson_baseline"
        self.baseline_ = None
        if needs_baseline:
            baseline = copy.deepcopy(self.baseline) if self.baseline is not None else BaselinePredictor()
            baseline.rating_scale = self.rating_scale
            self.baseline_ = baseline.fit_positions(self.user_ids_, self.item_ids_, user_rows,
                                                    item_columns, ratings)
        # "x" is the side compared (users if user-based), "y" the other side.
        if user_based:
            x_of_rating, y_of_rating, n_x, n_y = user_rows, item_columns, self.n_users_, self.n_items_
        else:
            x_of_rating, y_of_rating, n_x, n_y = item_columns, user_rows, self.n_items_, self.n_users_
        matrix = sp.csr_matrix((ratings, (x_of_rating, y_of_rating)), shape=(n_x, n_y))
        self.similarity_ = self._similarities(similarity, matrix, user_based)

        # What each training rating contributes as a neighbour: r - c (the centre).
        self.x_mean_ = np.bincount(x_of_rating, ratings, minlength=n_x) / np.bincount(x_of_rating, minlength=n_x)
        if centring == "none":
            deviations = ratings.copy()
        elif centring == "mean":
            deviations = ratings - self.x_mean_[x_of_rating]
        else:
            deviations = ratings - self.baseline_.baseline(user_rows, item_columns)
        # Neighbours of each y, in the row order of the training frame (Surprise's tie order).
        order = np.argsort(y_of_rating, kind="stable")
        self.neighbour_x_ = x_of_rating[order]
        self.neighbour_deviation_ = deviations[order]
        self.neighbour_start_ = np.concatenate([[0], np.cumsum(np.bincount(y_of_rating, minlength=n_y))])

    def _similarities(self, similarity: str, matrix: sp.csr_matrix, user_based: bool) -> np.ndarray:
        min_support = check_positive_int(self.min_support, "min_support")
        if similarity == "msd":
            return msd_similarity(matrix, min_support)
        if similarity == "cosine":
            return cosine_similarity_co_rated(matrix, min_support)
        if similarity == "pearson":
            result = pearson_similarity_rows(matrix, min_common=max(2, min_support))
            np.fill_diagonal(result, 1.0)
            return result
        x_bias, y_bias = ((self.baseline_.user_bias_, self.baseline_.item_bias_) if user_based
                          else (self.baseline_.item_bias_, self.baseline_.user_bias_))
        return pearson_baseline_similarity(matrix, x_bias, y_bias, self.global_mean_,
                                           shrinkage=self.shrinkage, min_support=min_support)

    # -- predicting -----------------------------------------------------------------------
    def _neighbourhood_terms(self, x_rows, y):
        """Weighted mean deviation of the neighbours, and how many.

        ``x_rows``: shape ``(m,)``, the known x (users, if user-based)
        asking about the one ``y`` (item). Returns, shape ``(m,)``
        each: sum of s * (r - c) over the chosen neighbours divided by
        the sum of their s (0 with none), and their number.
        """
        start = self.neighbour_start_[y]
        stop = self.neighbour_start_[y + 1]
        neighbours = self.neighbour_x_[start:stop]           # (n,)
        deviations = self.neighbour_deviation_[start:stop]   # (n,)
        weights = self.similarity_[np.ix_(x_rows, neighbours)]  # (m, n)
        # Not one's own neighbour.
        weights[x_rows[:, None] == neighbours[None, :]] = -np.inf
        if len(neighbours) > self.k_:
            # The k largest per row; ties in training-row order.
            by_weight = np.argsort(-weights, axis=1, kind="stable")
            chosen = by_weight[:, :self.k_]                  # (m, k)
            weights = np.take_along_axis(weights, chosen, axis=1)
            deviations = deviations[chosen]                  # (m, k)
        positive = weights > 0
        weights = np.where(positive, weights, 0.0)
        weight_sums = weights.sum(axis=1)
        weighted = (weights * deviations).sum(axis=1)
        average = np.divide(weighted, weight_sums,
                            out=np.zeros_like(weighted),
                            where=weight_sums > 0)
        return average, positive.sum(axis=1)

    def _predict(self, user_rows, item_columns) -> np.ndarray:
        x_rows, y_columns = (user_rows, item_columns) if self.user_based else (item_columns, user_rows)
        known = (x_rows >= 0) & (y_columns >= 0)
        if self.centring == "baseline":
            predictions = self.baseline_.baseline(user_rows, item_columns)
        else:
            predictions = np.full(len(x_rows), self.global_mean_)
        if self.centring == "mean":
            centre = self.x_mean_[np.maximum(x_rows, 0)]
        else:
            centre = predictions.copy()
        known_pairs = np.flatnonzero(known)
        known_pairs = known_pairs[np.argsort(y_columns[known_pairs], kind="stable")]
        ys, group_starts = np.unique(y_columns[known_pairs], return_index=True)
        for y, pairs in zip(ys, np.split(known_pairs, group_starts[1:])):
            average, n_used = self._neighbourhood_terms(x_rows[pairs], y)
            enough = n_used >= max(self.min_k_, 1) if self.centring == "none" else n_used >= self.min_k_
            if self.centring == "none":
                # Too few neighbours: Surprise's KNNBasic gives up and predicts the global mean.
                predictions[pairs] = np.where(enough, average, self.global_mean_)
            else:
                predictions[pairs] = centre[pairs] + np.where(enough, average, 0.0)
        return predictions


@dataclasses.dataclass(frozen=True)
class NeighbourhoodRatingConfig(ProfileConfig):
    """Neighbourhood sizes the rating chapter chooses among on validation (full values).

    ``k_grid``: the candidate ``k`` of the tuned item-based model, one fit each per fold and
    one refit; their validation RMSEs are also the chapter's plot of RMSE against ``k``.
    ``cost`` counts similarity computations over the 5 folds.
    """

    k_grid: tuple = (5, 10, 20, 40, 80, 160)

    QUICK: ClassVar[dict] = {"k_grid": (10, 40, 160)}
    QUICK_COST_LIMIT: ClassVar[int] = 25

    def cost(self) -> int:
        return 5 * (len(self.k_grid) + 1)
