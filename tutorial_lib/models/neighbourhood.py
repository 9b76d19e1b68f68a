"""Similarity between users or items, the core of collaborative filtering.

Conventions: a user–item matrix has shape ``(n_users, n_items)``; ``NaN`` marks a pair the
user never rated. Cosine similarity treats an unobserved entry as 0, which is what the
classic user-based and item-based collaborative filtering formulas do.
"""

from __future__ import annotations

import numpy as np

from tutorial_lib.validation import ArgumentTypeError


def cosine_similarity_rows(matrix) -> np.ndarray:
    """Cosine similarity between every pair of rows.

    .. math:: \\operatorname{sim}(u, v) = \\frac{r_u \\cdot r_v}{\\lVert r_u \\rVert \\, \\lVert r_v \\rVert}

    Parameters
    ----------
    matrix:
        Array-like of shape ``(n_rows, n_columns)``; ``NaN`` entries count as 0. Pass the
        transpose to compare items (columns) instead of users.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_rows, n_rows)``, symmetric. A row of zeros (a user with no ratings) has
        similarity 0 with every row, itself included, instead of a division by zero.
    """
    try:
        values = np.asarray(matrix, dtype=float)
    except (TypeError, ValueError):
        raise ArgumentTypeError(f"matrix must be a 2-D array of numbers, got {type(matrix).__name__}.") from None
    if values.ndim != 2:
        raise ValueError(f"matrix must be 2-D (n_rows, n_columns), got shape {values.shape}.")
    if np.isinf(values).any():
        raise ValueError("matrix contains infinite values; only finite numbers and NaN (unobserved) are allowed.")
    filled = np.nan_to_num(values, nan=0.0)
    norms = np.linalg.norm(filled, axis=1)
    dot_products = filled @ filled.T
    denominator = np.outer(norms, norms)
    similarity = np.divide(dot_products, denominator, out=np.zeros_like(dot_products), where=denominator > 0)
    return similarity
