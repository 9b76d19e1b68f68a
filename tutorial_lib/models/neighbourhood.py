"""Similarities and neighbourhood predictions: the core of collaborative filtering (协同过滤).

Conventions
-----------
A rating matrix has shape ``(n_users, n_items)``: one row per user, one column per item.
Pass its transpose, ``(n_items, n_users)``, to compare items instead of users.

*Not rated* is ``NaN`` in a dense array, and an entry that is not stored in a
``scipy.sparse`` matrix. Every other entry is a rating (a dense ``0`` is a rating of 0).

The three similarities treat "not rated" differently, and that is the point of having three:

- :func:`cosine_similarity_rows` counts an unrated entry as a rating of 0 (the classic
  formula, and scikit-learn's ``cosine_similarity`` on the zero-filled matrix). On ratings,
  which are all positive, it is never negative, so it cannot say that two users disagree.
- :func:`pearson_similarity_rows` (皮尔逊相关系数) uses only the items both rows rated (co-rated items) and
  centres each row on its mean over those items, as ``scipy.stats.pearsonr`` does on them.
  It ranges from -1 (opposite tastes) to 1.
- :func:`jaccard_similarity_rows` ignores the rating values: it compares the *sets* of rated
  items, as ``sklearn.metrics.jaccard_score`` does on binarised rows.

The prediction functions return a dense ``(n_users, n_items)`` array.

For top-N recommendation from implicit feedback (隐式反馈) the module also has
:func:`column_similarity_top_k`, computed block by block on ``scipy.sparse`` matrices, and
the recommenders :class:`ItemKNNRecommender` and :class:`UserKNNRecommender` built on it.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from tutorial_lib.config import ProfileConfig
from tutorial_lib.models.recommender import Recommender
from tutorial_lib.validation import ArgumentTypeError, check_choice, check_positive_int, check_real


def _ratings_and_mask(matrix, name: str = "matrix"):
    """Split a rating matrix into its values (unrated = 0) and a 0/1 "rated" mask.

    Returns two arrays of shape ``(n_rows, n_columns)``, both dense or both CSR (float64).
    """
    if sp.issparse(matrix):
        values = sp.csr_matrix(matrix, dtype=np.float64)
        if values.ndim != 2:
            raise ValueError(f"{name} must be 2-D (n_rows, n_columns), got shape {values.shape}.")
        if not np.isfinite(values.data).all():
            raise ValueError(f"{name} contains NaN or infinite stored values; in a sparse matrix "
                             "'not rated' is an entry that is not stored.")
        values.sum_duplicates()
        observed = values.copy()
        observed.data = np.ones_like(observed.data)
        return values, observed
    try:
        values = np.asarray(matrix, dtype=np.float64)
    except (TypeError, ValueError):
        raise ArgumentTypeError(f"{name} must be a 2-D array of numbers, got "
                                f"{type(matrix).__name__}.") from None
    if values.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_rows, n_columns), got shape {values.shape}.")
    if np.isinf(values).any():
        raise ValueError(f"{name} contains infinite values; only finite numbers and NaN "
                         "(not rated) are allowed.")
    observed = (~np.isnan(values)).astype(np.float64)
    return np.nan_to_num(values, nan=0.0), observed


def _dense(product) -> np.ndarray:
    """A matrix product as a dense float64 array (sparse products come back sparse)."""
    return product.toarray() if sp.issparse(product) else np.asarray(product, dtype=np.float64)


def _safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator`` where the denominator is positive, 0 elsewhere."""
    return np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0)


def cosine_similarity_rows(matrix) -> np.ndarray:
    """Cosine similarity between every pair of rows, unrated entries counted as 0.

    .. math:: \\operatorname{sim}(u, v) = \\frac{r_u \\cdot r_v}{\\lVert r_u \\rVert \\, \\lVert r_v \\rVert}

    Parameters
    ----------
    matrix:
        Dense array-like or scipy.sparse matrix, shape ``(n_rows, n_columns)``; ``NaN``
        (dense) or an unstored entry (sparse) counts as 0.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_rows, n_rows)``, symmetric. A row with no ratings has similarity 0 with
        every row, itself included, instead of a division by zero.
    """
    values, _ = _ratings_and_mask(matrix)
    dot_products = _dense(values @ values.T)          # (n_rows, n_rows)
    norms = np.sqrt(np.diag(dot_products))            # (n_rows,)
    return _safe_divide(dot_products, np.outer(norms, norms))


def pearson_similarity_rows(matrix, min_common: int = 2) -> np.ndarray:
    """Pearson correlation of every pair of rows, on co-rated items.

    For rows ``u`` and ``v`` let :math:`C` be the items both rated, with
    means :math:`\\bar r_u^{C}` and :math:`\\bar r_v^{C}` over them:

    .. math::

        \\operatorname{sim}(u, v) = \\frac{\\sum_{i \\in C}
            (r_{ui} - \\bar r_u^{C})(r_{vi} - \\bar r_v^{C})}{
            \\sqrt{\\sum_{i \\in C} (r_{ui} - \\bar r_u^{C})^2}
            \\sqrt{\\sum_{i \\in C} (r_{vi} - \\bar r_v^{C})^2}}

    This is ``scipy.stats.pearsonr`` on the two rows restricted to
    :math:`C`.

    Parameters
    ----------
    matrix:
        Dense array-like or scipy.sparse matrix, shape
        ``(n_rows, n_columns)``; ``NaN`` (dense) or an unstored entry
        (sparse) means "not rated".
    min_common:
        Fewest co-rated items for a correlation (at least 2; with
        exactly 2 it is always -1 or +1, so larger values are common).

    Returns
    -------
    numpy.ndarray
        Shape ``(n_rows, n_rows)``, symmetric, values in [-1, 1].
        Pairs with fewer than ``min_common`` co-rated items, or with a
        row constant on them (the correlation is undefined), get 0:
        "no evidence either way".
    """
    min_common = check_positive_int(min_common, "min_common")
    if min_common < 2:
        raise ValueError("min_common must be at least 2 (a correlation "
                         f"needs two points), got {min_common}.")
    values, observed = _ratings_and_mask(matrix)
    if sp.issparse(values):
        squares = values.multiply(values)
    else:
        squares = values ** 2
    # Entry (u, v) of each product is a sum over the items u and v both
    # rated (unrated entries are 0 in `values` and in `observed`).
    n_common = _dense(observed @ observed.T)    # |C|
    sum_u = _dense(values @ observed.T)         # sum of r_ui over C
    sum_v = sum_u.T                             # sum of r_vi over C
    sum_uv = _dense(values @ values.T)          # sum of r_ui r_vi
    sum_uu = _dense(squares @ observed.T)       # sum of r_ui^2 over C
    sum_vv = sum_uu.T
    with np.errstate(divide="ignore", invalid="ignore"):
        covariance = sum_uv - sum_u * sum_v / n_common
        variance_u = sum_uu - sum_u ** 2 / n_common
        variance_v = sum_vv - sum_v ** 2 / n_common
    # A constant row has variance 0 up to rounding: treat tiny as 0.
    tolerance = 1e-12 * np.maximum(sum_uu, sum_vv)
    defined = ((n_common >= min_common)
               & (variance_u > tolerance) & (variance_v > tolerance))
    similarity = np.zeros_like(n_common)
    spread = np.sqrt(variance_u[defined] * variance_v[defined])
    similarity[defined] = covariance[defined] / spread
    return np.clip(similarity, -1.0, 1.0)


def jaccard_similarity_rows(matrix) -> np.ndarray:
    """Jaccard similarity between the sets of items two rows rated; rating values ignored.

    .. math:: \\operatorname{sim}(u, v) = \\frac{|I_u \\cap I_v|}{|I_u \\cup I_v|}

    where :math:`I_u` is the set of items ``u`` rated. This equals
    ``sklearn.metrics.jaccard_score`` on the binarised rows (1 = rated).

    Parameters
    ----------
    matrix:
        Dense array-like or scipy.sparse matrix, shape ``(n_rows, n_columns)``. An entry
        counts as rated unless it is ``NaN`` (dense) or not stored (sparse). For a dense
        0/1 implicit-feedback matrix, turn the zeros into ``NaN`` first (or pass it as a
        sparse matrix), otherwise every entry counts as an interaction.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_rows, n_rows)``, symmetric, values in [0, 1]. Two rows with no ratings
        at all get 0.
    """
    _, observed = _ratings_and_mask(matrix)
    intersection = _dense(observed @ observed.T)      # |I_u ∩ I_v|, (n_rows, n_rows)
    n_rated = np.diag(intersection)                   # |I_u|
    union = n_rated[:, None] + n_rated[None, :] - intersection
    return _safe_divide(intersection, union)


def row_means(matrix) -> np.ndarray:
    """Mean of each row over its rated entries, shape ``(n_rows,)``; ``NaN`` for an empty row."""
    values, observed = _ratings_and_mask(matrix)
    totals = np.asarray(values.sum(axis=1), dtype=np.float64).ravel()
    counts = np.asarray(observed.sum(axis=1), dtype=np.float64).ravel()
    means = np.full_like(totals, np.nan)
    np.divide(totals, counts, out=means, where=counts > 0)
    return means


def _neighbour_sums(similarity, observed: np.ndarray, item_values: np.ndarray, n_neighbours):
    """Sums over each item's raters of ``w * value``, ``w`` and ``|w|``, per (user, item).

    ``w = similarity[u, v]`` for every user ``v != u`` who rated the item (``observed``,
    0/1, shape ``(n_users, n_items)``); with ``n_neighbours``, only the raters with the
    largest ``|similarity|`` to ``u`` count. ``item_values`` has shape ``(n_users, n_items)``
    (0 where unrated). Returns three arrays of shape ``(n_users, n_items)``.
    """
    n_users = observed.shape[0]
    weights = np.array(similarity, dtype=np.float64)
    if weights.shape != (n_users, n_users):
        raise ValueError(f"similarity must have shape (n_users, n_users) = {(n_users, n_users)}, "
                         f"got {weights.shape}.")
    if not np.isfinite(weights).all():
        raise ValueError("similarity must be finite.")
    np.fill_diagonal(weights, 0.0)                    # a user is not their own neighbour
    if n_neighbours is None:
        # Every rater counts: three matrix products do all (user, item) pairs at once.
        return weights @ item_values, weights @ observed, np.abs(weights) @ observed
    weighted_values = np.zeros(observed.shape)
    weight_sums = np.zeros(observed.shape)
    strengths = np.zeros(observed.shape)
    for item in range(observed.shape[1]):
        raters = np.flatnonzero(observed[:, item])
        rater_weights = weights[:, raters]            # (n_users, n_raters), a copy
        if len(raters) > n_neighbours:
            # For each user keep the n_neighbours raters with the largest |similarity|.
            order = np.argsort(-np.abs(rater_weights), axis=1, kind="stable")
            np.put_along_axis(rater_weights, order[:, n_neighbours:], 0.0, axis=1)
        weighted_values[:, item] = rater_weights @ item_values[raters, item]
        weight_sums[:, item] = rater_weights.sum(axis=1)
        strengths[:, item] = np.abs(rater_weights).sum(axis=1)
    return weighted_values, weight_sums, strengths


def _check_neighbours(n_neighbours):
    return None if n_neighbours is None else check_positive_int(n_neighbours, "n_neighbours")


def predict_weighted_average(matrix, similarity, n_neighbours: int | None = None) -> np.ndarray:
    """Similarity-weighted average of the neighbours' ratings, for every (user, item).

    .. math:: \\hat r_{ui} = \\frac{\\sum_{v} s_{uv}\\, r_{vi}}{\\sum_{v} s_{uv}}

    summing over the users :math:`v \\ne u` who rated item :math:`i` (the ``n_neighbours``
    most similar of them, if given). Meant for non-negative similarities such as cosine on
    ratings: with negative weights the denominator can vanish or change sign.

    Parameters
    ----------
    matrix:
        Ratings, dense or sparse, shape ``(n_users, n_items)``; ``NaN`` / unstored = not rated.
    similarity:
        Shape ``(n_users, n_users)``, e.g. from :func:`cosine_similarity_rows`.
    n_neighbours:
        Keep only this many raters per item and user (largest ``|similarity|``); ``None``: all.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_users, n_items)``; ``NaN`` where the weights sum to 0 or less (no
        similar user rated the item).
    """
    n_neighbours = _check_neighbours(n_neighbours)
    values, observed = (_dense(part) for part in _ratings_and_mask(matrix))
    weighted_ratings, weight_sums, _ = _neighbour_sums(similarity, observed, values, n_neighbours)
    predictions = np.full(values.shape, np.nan)
    has_weight = weight_sums > 0
    predictions[has_weight] = weighted_ratings[has_weight] / weight_sums[has_weight]
    return predictions


def predict_mean_centred(matrix, similarity, n_neighbours: int | None = None) -> np.ndarray:
    """Mean-centred neighbourhood prediction, for every (user, item).

    .. math:: \\hat r_{ui} = \\bar r_u + \\frac{\\sum_{v} s_{uv}\\,(r_{vi} - \\bar r_v)}
              {\\sum_{v} |s_{uv}|}

    summing over the users :math:`v \\ne u` who rated item :math:`i` (the ``n_neighbours``
    most similar of them, if given); :math:`\\bar r_u` is the mean of all of ``u``'s
    ratings (:func:`row_means`). A neighbour contributes how far *above or below their own
    mean* they rated the item, so a generous and a harsh rater can agree; a negative
    similarity turns a neighbour's deviation around.

    Parameters
    ----------
    matrix:
        Ratings, dense or sparse, shape ``(n_users, n_items)``; ``NaN`` / unstored = not rated.
    similarity:
        Shape ``(n_users, n_users)``, any sign, e.g. from :func:`pearson_similarity_rows`.
    n_neighbours:
        Keep only this many raters per item and user (largest ``|similarity|``); ``None``: all.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_users, n_items)``. Where no neighbour with a non-zero similarity rated the
        item the prediction is the user's mean; ``NaN`` for a user with no ratings.
    """
    n_neighbours = _check_neighbours(n_neighbours)
    values, observed = (_dense(part) for part in _ratings_and_mask(matrix))
    means = row_means(np.where(observed > 0, values, np.nan))     # (n_users,)
    deviations = np.where(observed > 0, values - np.nan_to_num(means)[:, None], 0.0)
    weighted_deviations, _, strengths = _neighbour_sums(similarity, observed, deviations, n_neighbours)
    return means[:, None] + _safe_divide(weighted_deviations, strengths)


# --------------------------------------------------------------------------------------
# Top-N recommenders from implicit feedback: item-based and user-based neighbourhoods
# --------------------------------------------------------------------------------------
SIMILARITIES = ("cosine", "jaccard", "asymmetric_cosine")


def _check_interaction_matrix(matrix, name: str) -> sp.csr_matrix:
    """``matrix`` as CSR float64 with positive finite stored values, shape ``(n_rows, n_columns)``."""
    if not sp.issparse(matrix):
        raise ArgumentTypeError(f"{name} must be a scipy.sparse matrix of shape (n_rows, n_columns), "
                                f"got {type(matrix).__name__}.")
    values = sp.csr_matrix(matrix, dtype=np.float64)
    values.sum_duplicates()
    values.eliminate_zeros()
    if not (np.isfinite(values.data).all() and (values.data > 0).all()):
        raise ValueError(f"{name} must hold positive finite interaction strengths; "
                         "'no interaction' is an entry that is not stored.")
    return values


#: Largest number of similarities held at once in a dense block (rows x columns), ~32 MB.
BLOCK_ENTRIES = 2 ** 22
#: A block whose stored co-occurrences exceed this share of its cells is selected densely.
DENSE_SHARE = 0.02


def _keep_top_k_dense(block: np.ndarray, n_neighbours: int | None) -> np.ndarray:
    """Mask of the entries to keep in each row of a dense similarity block, shape ``block.shape``.

    Keeps the positive entries, and with ``n_neighbours`` only the ``n_neighbours`` largest of
    each row; among equal values at the cut the smaller column indices are kept.
    """
    positive = block > 0
    if n_neighbours is None or n_neighbours >= block.shape[1]:
        return positive
    # The k-th largest value of each row, then everything above it and enough of the ties.
    kth_largest = -np.partition(-block, n_neighbours - 1, axis=1)[:, n_neighbours - 1:n_neighbours]
    above = block > kth_largest
    at_cut = block == kth_largest
    room_left = n_neighbours - above.sum(axis=1, keepdims=True)
    first_ties = at_cut & (np.cumsum(at_cut, axis=1) <= room_left)
    return positive & (above | first_ties)


def _keep_top_k_sparse(rows: np.ndarray, columns: np.ndarray, scores: np.ndarray,
                       n_neighbours: int | None) -> np.ndarray:
    """Indices of the ``(rows, columns, scores)`` triples to keep, the same rule as above.

    The triples are one block's stored similarities, sorted by row.
    """
    positive = np.flatnonzero(scores > 0)
    if n_neighbours is None:
        return positive
    rows, columns, scores = rows[positive], columns[positive], scores[positive]
    # Sort by row, then similarity (largest first), then column; keep the first k of each row.
    order = np.lexsort((columns, -scores, rows))
    first_of_row = np.searchsorted(rows[order], rows[order], side="left")
    rank_in_row = np.arange(len(order)) - first_of_row
    return positive[order[rank_in_row < n_neighbours]]


def column_similarity_top_k(matrix, similarity: str = "cosine", *, n_neighbours: int | None = None,
                            shrinkage: float = 0.0, asymmetry: float = 0.5,
                            block_size: int | None = None) -> sp.csr_matrix:
    """Similarity between the columns of a sparse matrix, keeping each column's best neighbours.

    For columns ``i`` and ``j`` (items, when ``matrix`` is ``(n_users, n_items)``), with
    ``x_i`` the column's values, ``U_i`` the rows where it is stored and
    ``n_ij = |U_i ∩ U_j|`` the number of rows the two share:

    - ``"cosine"``: :math:`x_i \\cdot x_j / (\\lVert x_i \\rVert \\lVert x_j \\rVert)`
      (scikit-learn's ``cosine_similarity`` on the columns);
    - ``"jaccard"``: :math:`n_{ij} / (|U_i| + |U_j| - n_{ij})` (values ignored);
    - ``"asymmetric_cosine"`` (Aiolli 2013): :math:`n_{ij} / (|U_i|^{a} |U_j|^{1-a})` with
      ``a = asymmetry`` (values ignored); ``a = 0.5`` is the cosine of binary columns.

    Shrinkage multiplies each similarity by :math:`n_{ij} / (n_{ij} + \\lambda)`, so a pair
    seen together by few rows counts less. A column is never its own neighbour (the diagonal
    is 0), and pairs that share no row are 0 and not stored.

    The similarities are computed ``block_size`` columns at a time: the co-occurrences of the
    block's columns with every column are a sparse product, and each block keeps only its
    best ``n_neighbours`` per column before the next one starts. The selection sorts the
    block's stored similarities, or, when more than :data:`DENSE_SHARE` of the block's
    cells are stored, partitions the dense ``(block_size, n_columns)`` block (faster then).
    No ``(n_columns, n_columns)`` array is ever made: memory is the kept neighbours plus one
    block.

    Parameters
    ----------
    matrix : scipy.sparse matrix, shape (n_rows, n_columns)
        Positive interaction strengths (1.0 for binary feedback); not stored = none.
    similarity : {"cosine", "jaccard", "asymmetric_cosine"}
    n_neighbours : int or None
        Keep the ``n_neighbours`` largest similarities of each column (ties: the smaller
        column index); None keeps every non-zero one.
    shrinkage : float, >= 0
        The :math:`\\lambda` above; 0 leaves the similarities as they are.
    asymmetry : float in [0, 1]
        The exponent ``a`` of ``"asymmetric_cosine"`` (ignored by the others).
    block_size : int or None
        Columns per block; None: as many as fit in :data:`BLOCK_ENTRIES` similarities.

    Returns
    -------
    scipy.sparse.csr_matrix of float64, shape (n_columns, n_columns)
        Row ``i`` holds column ``i``'s kept neighbours ``j`` and ``sim(i, j)``. With
        ``n_neighbours`` it is not symmetric: ``j`` may be among ``i``'s best but not
        the other way round.
    """
    similarity = check_choice(similarity, "similarity", SIMILARITIES)
    n_neighbours = _check_neighbours(n_neighbours)
    shrinkage = check_real(shrinkage, "shrinkage", min_val=0)
    asymmetry = check_real(asymmetry, "asymmetry", min_val=0, max_val=1)
    values = _check_interaction_matrix(matrix, "matrix")
    n_columns = values.shape[1]
    if block_size is None:
        block_size = max(1, BLOCK_ENTRIES // max(n_columns, 1))
    block_size = check_positive_int(block_size, "block_size")
    binary = values.copy()
    binary.data[:] = 1.0
    columns_of_values = values.T.tocsr()                 # (n_columns, n_rows)
    columns_of_binary = binary.T.tocsr()
    counts = np.asarray(binary.sum(axis=0)).ravel()      # |U_i|, (n_columns,)
    norms = np.sqrt(np.asarray(values.multiply(values).sum(axis=0)).ravel())  # ||x_i||

    kept = []
    for start in range(0, n_columns, block_size):
        stop = min(start + block_size, n_columns)
        # Co-occurrences n_ij of the block's columns with every column, stored where > 0.
        shared = (columns_of_binary[start:stop] @ binary).tocsr()
        shared.sort_indices()
        rows = start + np.repeat(np.arange(stop - start), np.diff(shared.indptr))  # column i
        others = shared.indices                          # column j of the pair (i, j)
        n_common = shared.data
        if similarity == "cosine":
            # Positive values: the dot products are stored exactly where n_ij > 0.
            dots = (columns_of_values[start:stop] @ values).tocsr()
            dots.sort_indices()
            scores = dots.data / (norms[rows] * norms[others])
        elif similarity == "jaccard":
            scores = n_common / (counts[rows] + counts[others] - n_common)
        else:
            scores = n_common / (counts[rows] ** asymmetry * counts[others] ** (1.0 - asymmetry))
        if shrinkage > 0:
            scores = scores * n_common / (n_common + shrinkage)
        scores = np.where(rows == others, 0.0, scores)   # a column is not its own neighbour
        if len(scores) > DENSE_SHARE * (stop - start) * n_columns:
            # Most cells are stored: select on the dense block (linear time per row).
            block = np.zeros((stop - start, n_columns))
            block[rows - start, others] = scores
            keep_rows, keep_columns = np.nonzero(_keep_top_k_dense(block, n_neighbours))
            kept.append((keep_rows + start, keep_columns, block[keep_rows, keep_columns]))
        else:
            # Few cells are stored: sort only those.
            keep = _keep_top_k_sparse(rows, others, scores, n_neighbours)
            kept.append((rows[keep], others[keep], scores[keep]))
    kept_rows, kept_columns, kept_scores = (np.concatenate(part) for part in zip(*kept))
    result = sp.csr_matrix((kept_scores, (kept_rows, kept_columns)), shape=(n_columns, n_columns))
    result.sort_indices()
    return result


class _NeighbourhoodRecommender(Recommender):
    """What item- and user-based neighbourhood recommenders share: their settings."""

    def __init__(self, n_neighbours: int | None = 100, similarity: str = "cosine", *,
                 shrinkage: float = 0.0, asymmetry: float = 0.5, block_size: int | None = None,
                 user_col: str = "user_id", item_col: str = "item_id"):
        super().__init__(user_col=user_col, item_col=item_col)
        self.n_neighbours = _check_neighbours(n_neighbours)
        self.similarity = check_choice(similarity, "similarity", SIMILARITIES)
        self.shrinkage = check_real(shrinkage, "shrinkage", min_val=0)
        self.asymmetry = check_real(asymmetry, "asymmetry", min_val=0, max_val=1)
        self.block_size = None if block_size is None else check_positive_int(block_size, "block_size")

    def _similarity_of_columns(self, matrix) -> sp.csr_matrix:
        return column_similarity_top_k(
            matrix, self.similarity, n_neighbours=self.n_neighbours, shrinkage=self.shrinkage,
            asymmetry=self.asymmetry, block_size=self.block_size,
        )


class ItemKNNRecommender(_NeighbourhoodRecommender):
    """Item-based collaborative filtering (基于物品的协同过滤) for top-N from implicit feedback.

    Each item ``i`` keeps its ``n_neighbours`` most similar items :math:`N_k(i)`
    (:func:`column_similarity_top_k` on the binary ``(n_users, n_items)`` matrix). A user's
    score of item ``j`` adds up the similarities from the items ``I_u`` they interacted with,
    each counting only when ``j`` is among that item's kept neighbours:

    .. math:: \\operatorname{score}(u, j) = \\sum_{i \\in I_u,\\ j \\in N_k(i)} \\operatorname{sim}(i, j),

    that is the user's row of the interaction matrix times the similarity matrix,
    ``x_u @ S``. An item nobody interacted with scores 0.

    Parameters
    ----------
    n_neighbours : int or None, default 100
        Neighbours kept per item; None: all.
    similarity : {"cosine", "jaccard", "asymmetric_cosine"}
    shrinkage : float, default 0
        :math:`\\lambda` of :math:`\\operatorname{sim} \\cdot n_{ij} / (n_{ij} + \\lambda)`.
    asymmetry : float, default 0.5
        Exponent of ``"asymmetric_cosine"``.
    block_size : int or None, default None
        Items per block while the similarities are computed (None: see
        :func:`column_similarity_top_k`).

    Attributes
    ----------
    similarity_ : scipy.sparse.csr_matrix, shape (n_items, n_items)
        Row ``i``: item ``i``'s kept neighbours and their similarities.
    """

    def _fit(self, matrix) -> None:
        """Similarities between the columns (items) of the ``(n_users, n_items)`` matrix."""
        self.similarity_ = self._similarity_of_columns(matrix)

    def _score(self, user_rows: np.ndarray, item_columns: np.ndarray) -> np.ndarray:
        """``x_u @ S`` for the users and items asked for, shape ``(len(user_rows), len(item_columns))``.

        The product is formed for every item and then cut to ``item_columns``: slicing the
        columns of a CSR matrix copies it, which costs more than the unused products.
        """
        return _dense(self.interactions_[user_rows] @ self.similarity_)[:, item_columns]


class UserKNNRecommender(_NeighbourhoodRecommender):
    """User-based collaborative filtering (基于用户的协同过滤) for top-N from implicit feedback.

    Each user ``u`` keeps their ``n_neighbours`` most similar users :math:`N_k(u)`
    (:func:`column_similarity_top_k` on the transposed, ``(n_items, n_users)`` matrix). The
    score of item ``j`` adds up the similarities of the neighbours who interacted with it:

    .. math:: \\operatorname{score}(u, j) = \\sum_{v \\in N_k(u)} \\operatorname{sim}(u, v)\\, x_{vj},

    that is the user's row of the similarity matrix times the interaction matrix,
    ``S[u] @ X``. Parameters as :class:`ItemKNNRecommender`, per user instead of per item.

    Attributes
    ----------
    similarity_ : scipy.sparse.csr_matrix, shape (n_users, n_users)
        Row ``u``: user ``u``'s kept neighbours and their similarities.
    """

    def _fit(self, matrix) -> None:
        """Similarities between the rows (users) of the ``(n_users, n_items)`` matrix."""
        self.similarity_ = self._similarity_of_columns(matrix.T)

    def _score(self, user_rows: np.ndarray, item_columns: np.ndarray) -> np.ndarray:
        """``S[u] @ X`` for the users and items asked for, shape ``(len(user_rows), len(item_columns))``.

        Formed for every item, then cut to ``item_columns`` (see :class:`ItemKNNRecommender`).
        """
        return _dense(self.similarity_[user_rows] @ self.interactions_)[:, item_columns]


@dataclasses.dataclass(frozen=True)
class NeighbourhoodConfig(ProfileConfig):
    """Settings of chapter 6's item- and user-based recommenders; defaults are the full values.

    Attributes
    ----------
    neighbour_grid : tuple of int
        Neighbourhood sizes tried on the validation targets (for each model).
    shrinkage_grid : tuple of float
        Shrinkage values then tried at the chosen size.
    similarity : str
        One of :data:`SIMILARITIES`.
    """

    neighbour_grid: tuple[int, ...] = (3, 5, 10, 25, 50, 100, 200, 400)
    shrinkage_grid: tuple[float, ...] = (0.0, 5.0, 20.0, 50.0)
    similarity: str = "cosine"

    QUICK: ClassVar[dict] = {"neighbour_grid": (5, 10, 50, 200), "shrinkage_grid": (0.0, 20.0)}
    QUICK_COST_LIMIT: ClassVar[int] = 2 * (4 + 2)

    def cost(self) -> int:
        """Fits: each size and each shrinkage value, for both models."""
        return 2 * (len(self.neighbour_grid) + len(self.shrinkage_grid))
