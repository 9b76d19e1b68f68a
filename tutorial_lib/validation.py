"""Input checks shared by the whole package.

Every public function of ``tutorial_lib`` checks its arguments at the door and raises an
error that names the argument and says what was expected. The checks live here, once, so the
messages read the same everywhere.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable

import numpy as np
import pandas as pd
import scipy.sparse


def require_columns(
    frame: object, name: str, columns: Iterable[str], *, hint: str = "", allow_empty: bool = True
) -> pd.DataFrame:
    """Return ``frame`` unchanged, or raise when it is not a DataFrame holding ``columns``.

    Parameters
    ----------
    frame:
        The object to check.
    name:
        The argument's name, used in the message.
    columns:
        Column names that must be present.
    hint:
        Text appended to the "missing column" message (what to pass instead).
    allow_empty:
        When False, a frame with no rows is an error too.
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}.")
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"{name} is missing required column(s) {missing}; it has {list(frame.columns)}.{hint}")
    if not allow_empty and len(frame) == 0:
        raise ValueError(f"{name} is empty; it needs at least one row.")
    return frame


def as_feature_matrix(X, name: str = "X", *, dtype=np.float64):
    """Return ``X`` as a dense array or CSR matrix of ``dtype``, shape ``(n_samples, n_features)``.

    Accepts NumPy arrays, nested lists, SciPy sparse matrices and PyTorch tensors. Raises when
    ``X`` is not 2-D, has no rows or no columns, or holds NaN or infinite values.
    """
    if scipy.sparse.issparse(X):
        matrix = scipy.sparse.csr_matrix(X, dtype=dtype)
        values = matrix.data
    else:
        if hasattr(X, "detach") and hasattr(X, "cpu"):  # a torch.Tensor, without importing torch here
            X = X.detach().cpu().numpy()
        try:
            matrix = np.asarray(X, dtype=dtype)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be a 2-D array of numbers (or a scipy sparse matrix).") from None
        if not matrix.flags.writeable:
            # pandas 3 hands out read-only views; torch.from_numpy warns on those.
            matrix = matrix.copy()
        values = matrix
    if matrix.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D with shape (n_samples, n_features), got shape {matrix.shape}. "
            "For a single feature use X.reshape(-1, 1); for a single example, X.reshape(1, -1)."
        )
    if matrix.shape[0] == 0 or matrix.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {matrix.shape}); it needs at least one row and one column.")
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{name} contains NaN or infinite values (or values too large for {np.dtype(dtype).name}).")
    return matrix


def as_label_vector(y, n_samples: int | None = None, name: str = "y", *, binary: bool = True, dtype=np.float64):
    """Return ``y`` as a 1-D array of ``dtype``.

    Parameters
    ----------
    y:
        Labels, shape ``(n_samples,)``; NumPy arrays, lists and PyTorch tensors are accepted.
    n_samples:
        The length ``y`` must have (the number of rows of the matching ``X``); None: any
        non-zero length.
    binary:
        When True, every value must be 0 or 1.
    """
    if hasattr(y, "detach") and hasattr(y, "cpu"):
        y = y.detach().cpu().numpy()
    labels = np.asarray(y)
    if labels.ndim != 1:
        raise ValueError(f"{name} must be 1-D with shape (n_samples,), got shape {labels.shape}.")
    if labels.size == 0:
        raise ValueError(f"{name} is empty.")
    if n_samples is not None and labels.shape[0] != n_samples:
        raise ValueError(f"X and {name} have different lengths: {n_samples} rows in X, {labels.shape[0]} labels.")
    if labels.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold numbers (0 and 1 for binary labels), got dtype {labels.dtype}.")
    if not np.all(np.isfinite(labels)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    if binary and not np.all((labels == 0) | (labels == 1)):
        found = np.unique(labels)[:5]
        raise ValueError(
            f"{name} must contain only 0 and 1 (binary labels; found e.g. {found}); encode the classes as 0/1."
        )
    return labels.astype(dtype)


def as_score_vector(values, name: str, *, probabilities: bool) -> np.ndarray:
    """Return a 1-D float64 array of finite scores; with ``probabilities``, all in [0, 1]."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D with shape (n_samples,), got shape {array.shape}.")
    if array.size == 0:
        raise ValueError(f"{name} is empty.")
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold numbers, got dtype {array.dtype}.")
    array = array.astype(np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    if probabilities and (array.min() < 0 or array.max() > 1):
        raise ValueError(
            f"{name} must be probabilities in [0, 1] (found values from {array.min():g} to {array.max():g}); "
            "apply a sigmoid to logits first."
        )
    return array


def check_same_length(first, second, first_name: str, second_name: str) -> None:
    """Raise when two arrays have different numbers of rows."""
    if len(first) != len(second):
        raise ValueError(f"{first_name} and {second_name} must have the same length, got {len(first)} and {len(second)}.")


def check_positive_int(value, name: str) -> int:
    """Return ``value`` as an int, or raise unless it is an integer >= 1 (booleans rejected)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)
