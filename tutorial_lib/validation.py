"""Input checks shared by the whole package.

Every public function of ``tutorial_lib`` checks its arguments at the door and raises an
error that names the argument and says what was expected. The checks live here, once, so the
messages read the same everywhere.

- Scalars: :func:`check_scalar` (modelled on scikit-learn's ``check_scalar``: name, type,
  bounds; booleans never count as numbers, NaN is never accepted) and its shorthands
  :func:`check_int`, :func:`check_real`, :func:`check_probability`, :func:`check_bool`,
  :func:`check_choice`, :func:`check_path`.
- Arrays: :func:`check_binary_labels`, :func:`check_ids` (non-negative integers),
  :func:`check_timestamps` (numbers or datetimes, none missing), and the converters
  :func:`as_feature_matrix`, :func:`as_label_vector`, :func:`as_score_vector`.
- Tables: :func:`require_columns`.

A wrong type raises :class:`ArgumentTypeError` (a ``TypeError`` that is also a
``ValueError``); a value of the right type outside its range raises ``ValueError``. Inside an
``nn.Module``'s ``forward`` plain ``assert`` statements on shapes are enough: those are
internal invariants, not arguments a reader types.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse

BOUNDARY_RULES = ("both", "neither", "left", "right")


class ArgumentTypeError(TypeError, ValueError):
    """An argument of the wrong type (``max_iter=2.5``, ``lr="0.1"``, ``epochs=True``).

    It is a :class:`TypeError`, as in scikit-learn's ``check_scalar``, and also a
    :class:`ValueError`, so that code written to catch either keeps working.
    """


# ---------------------------------------------------------------------------------------------
# Scalars: one check modelled on sklearn.utils.check_scalar, and its shorthands
# ---------------------------------------------------------------------------------------------
def _is_bool(value: object) -> bool:
    return isinstance(value, (bool, np.bool_))


def _type_description(target_type) -> str:
    types = target_type if isinstance(target_type, tuple) else (target_type,)
    words = {numbers.Integral: "an integer", numbers.Real: "a real number", bool: "True or False", str: "a str"}
    return " or ".join(words.get(kind, f"a {kind.__name__}") for kind in types)


def _bounds_description(min_val, max_val, include_boundaries: str) -> str:
    include_min = include_boundaries in ("both", "left")
    include_max = include_boundaries in ("both", "right")
    if min_val is not None and max_val is not None:
        return f" in {'[' if include_min else '('}{min_val}, {max_val}{']' if include_max else ')'}"
    if min_val is not None:
        return f" {'>=' if include_min else '>'} {min_val}"
    if max_val is not None:
        return f" {'<=' if include_max else '<'} {max_val}"
    return ""


def check_scalar(value, name: str, target_type, *, min_val=None, max_val=None, include_boundaries: str = "both"):
    """Return ``value`` unchanged, or raise naming ``name``, its expected type and its bounds.

    Modelled on :func:`sklearn.utils.check_scalar`, with two differences that matter in a
    teaching library: a boolean never counts as a number (``max_iter=True`` is an error,
    although ``True`` is an ``int`` in Python), and NaN is never accepted (every comparison with
    NaN is False, so it would pass a bound check without a word).

    Parameters
    ----------
    value:
        The argument to check.
    name:
        The argument's name, used in the message.
    target_type:
        A type or tuple of types, typically :class:`numbers.Integral` or :class:`numbers.Real`
        (NumPy scalars are accepted: ``np.int64(3)`` is an ``Integral``).
    min_val, max_val:
        Bounds (``None``: unbounded on that side).
    include_boundaries:
        ``"both"``, ``"neither"``, ``"left"`` (only ``min_val`` allowed) or ``"right"``.

    Raises
    ------
    ArgumentTypeError
        The value has the wrong type (a bool where a number is expected included).
    ValueError
        The value is NaN or lies outside the bounds.
    """
    if include_boundaries not in BOUNDARY_RULES:
        raise ValueError(f"include_boundaries must be one of {BOUNDARY_RULES}, got {include_boundaries!r}.")
    expected = _type_description(target_type) + _bounds_description(min_val, max_val, include_boundaries)
    types = target_type if isinstance(target_type, tuple) else (target_type,)
    wants_bool = bool in types or np.bool_ in types
    if (_is_bool(value) and not wants_bool) or not isinstance(value, target_type):
        raise ArgumentTypeError(f"{name} must be {expected}, got {value!r} ({type(value).__name__}).")
    if isinstance(value, numbers.Real) and not _is_bool(value) and math.isnan(value):
        raise ValueError(f"{name} must be {expected}, got NaN.")
    include_min = include_boundaries in ("both", "left")
    include_max = include_boundaries in ("both", "right")
    too_low = min_val is not None and (value < min_val if include_min else value <= min_val)
    too_high = max_val is not None and (value > max_val if include_max else value >= max_val)
    if too_low or too_high:
        raise ValueError(f"{name} must be {expected}, got {value!r}.")
    return value


def check_int(value, name: str, *, min_val: int | None = None, max_val: int | None = None) -> int:
    """Return ``value`` as a Python int; raise unless it is an integer (not a bool) within bounds.

    ``check_int(epochs, "epochs", min_val=1)`` rejects ``0``, ``2.5``, ``True`` and ``"3"``.
    """
    return int(check_scalar(value, name, numbers.Integral, min_val=min_val, max_val=max_val))


def check_real(
    value,
    name: str,
    *,
    min_val: float | None = None,
    max_val: float | None = None,
    include_boundaries: str = "both",
    allow_infinite: bool = False,
) -> float:
    """Return ``value`` as a float; raise unless it is a real number (not a bool, not NaN).

    Integers are real numbers too. Infinity is rejected unless ``allow_infinite`` (for example
    ``C=np.inf``, "no penalty"); the bounds still apply to it.
    """
    checked = check_scalar(value, name, numbers.Real, min_val=min_val, max_val=max_val, include_boundaries=include_boundaries)
    if not allow_infinite and math.isinf(checked):
        expected = "a finite real number" + _bounds_description(min_val, max_val, include_boundaries)
        raise ValueError(f"{name} must be {expected}, got {value!r}.")
    return float(checked)


def check_probability(value, name: str, *, include_boundaries: str = "both") -> float:
    """Return ``value`` as a float in [0, 1] (or the open / half-open interval asked for)."""
    return check_real(value, name, min_val=0, max_val=1, include_boundaries=include_boundaries)


def check_bool(value, name: str) -> bool:
    """Return ``value`` as a Python bool; raise unless it is ``True`` or ``False``.

    ``1`` and ``"yes"`` are rejected: a flag given a number is usually another argument
    passed in the wrong position.
    """
    if not _is_bool(value):
        raise ArgumentTypeError(f"{name} must be True or False, got {value!r} ({type(value).__name__}).")
    return bool(value)


def check_choice(value, name: str, options: Sequence):
    """Return ``value`` if it is one of ``options``; else raise listing them."""
    try:
        is_option = any(isinstance(value, type(option)) and value == option for option in options)
    except (TypeError, ValueError):  # an array compared with a str, say
        is_option = False
    if not is_option:
        expected = ", ".join(repr(option) for option in options)
        raise ValueError(f"{name} must be one of {expected}; got {value!r}.")
    return value


def check_path(value, name: str) -> Path:
    """Return ``value`` as a :class:`pathlib.Path`; raise unless it is a non-empty path.

    An empty string is rejected: ``Path("")`` means the current folder, so a cache or mirror
    folder given as ``""`` would silently read and write wherever the notebook was started.
    For the same reason ``Path("")`` (which prints as ``.``) is rejected; pass an explicit
    folder such as ``Path.cwd() / "data"`` if the current folder is really meant.
    """
    if not isinstance(value, (str, os.PathLike)):
        raise ArgumentTypeError(f"{name} must be a path (str or pathlib.Path), got {type(value).__name__}.")
    text = os.fspath(value)
    if not isinstance(text, str):
        raise ArgumentTypeError(f"{name} must be a str path, got {type(text).__name__}.")
    if text.strip() in ("", "."):
        raise ValueError(
            f"{name} must be a non-empty path, got {value!r}, which means the current folder; pass "
            "an explicit folder (for example Path.cwd() / 'data') or None for the default."
        )
    return Path(text)


# ---------------------------------------------------------------------------------------------
# Arrays: labels, ids, timestamps
# ---------------------------------------------------------------------------------------------
def _as_array(values, name: str) -> np.ndarray:
    """``values`` (list, array, Series, tensor) as a NumPy array; a str is refused."""
    if isinstance(values, (str, bytes)):
        raise ArgumentTypeError(f"{name} must be an array or list of values, not a single {type(values).__name__}.")
    if hasattr(values, "detach") and hasattr(values, "cpu"):  # a torch.Tensor, without importing torch
        values = values.detach().cpu().numpy()
    if isinstance(values, Iterator):  # a generator: np.asarray would wrap it in a 0-d object array
        values = list(values)
    if isinstance(values, (pd.Series, pd.Index)) and isinstance(values.dtype, pd.api.extensions.ExtensionDtype):
        if values.isna().any():
            raise ValueError(f"{name} contains {int(values.isna().sum())} missing values (NA); drop or fill them first.")
    return np.asarray(values)


def as_vector(values, name: str) -> np.ndarray:
    """Return ``values`` (list, array, Series, tensor) as a non-empty 1-D NumPy array.

    Shape ``(n_samples,)``; raises naming ``name`` when it has another shape or no entries.
    The dtype is left as it is: the callers check it.
    """
    array = _as_array(values, name)
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D with shape (n_samples,), got shape {array.shape}.")
    if array.size == 0:
        raise ValueError(f"{name} is empty.")
    return array


def check_binary_labels(values, name: str) -> np.ndarray:
    """Return ``values`` as a NumPy array after checking that every entry is 0 or 1.

    Any shape is accepted (a vector of labels, a batch from a DataLoader). ``True``/``False``
    count as 1/0. NaN, infinities, text and any other number are rejected: a loss such as
    binary cross-entropy computes *something* for a label of -2 or 3, just not a loss.
    """
    array = _as_array(values, name)
    if array.size == 0:
        raise ValueError(f"{name} is empty.")
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold 0 and 1 (binary labels), got dtype {array.dtype}.")
    if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values; binary labels must be 0 or 1.")
    is_binary = (array == 0) | (array == 1)
    if not np.all(is_binary):
        found = np.unique(array[~is_binary])[:5].tolist()
        raise ValueError(
            f"{name} must contain only 0 and 1 (binary labels; found e.g. {found}); encode the classes as 0/1."
        )
    return array


def check_ids(values, name: str) -> np.ndarray:
    """Return ``values`` as an int64 array after checking they are non-negative integers.

    Ids index embedding tables and vocabularies, so ``1.7`` (which ``int()`` would quietly
    turn into 1), ``-5`` (which NumPy indexing reads as "fifth from the end"), NaN and
    booleans are all rejected. The array must hold an integer dtype: floats are refused even
    when whole, because a float id usually means a missing value turned the column into floats.
    An empty input gives an empty array.
    """
    array = _as_array(values, name)
    if array.size == 0:
        return array.astype(np.int64).reshape(array.shape)
    if array.dtype.kind == "b":
        raise ArgumentTypeError(f"{name} must hold non-negative integer ids, got booleans.")
    if array.dtype.kind not in "iu":
        if array.dtype.kind == "f":
            bad = array[~(np.isfinite(array) & (array == np.round(array)))]
            example = f" (e.g. {float(bad[0])})" if bad.size else " (whole numbers stored as floats)"
            hint = "; convert with .astype('int64') once missing values are handled"
            raise ArgumentTypeError(f"{name} must hold non-negative integer ids, got floats{example}{hint}.")
        raise ArgumentTypeError(f"{name} must hold non-negative integer ids, got dtype {array.dtype}.")
    if array.min() < 0:
        raise ValueError(f"{name} must hold non-negative integer ids, found {array.min()}.")
    return array.astype(np.int64)


def check_timestamps(values, name: str):
    """Return ``values`` unchanged after checking they are times that sort in time order.

    Accepted: numbers (Unix seconds, say) and ``datetime64`` values (time-zone aware ones
    included). Rejected: text and ``object`` columns, which sort as text ("10" before "9",
    "2024-1-10" before "2024-1-9"); booleans; and missing or infinite times (NaN, NaT), which
    a sort puts at one end, so a row with no time would count as the latest.
    """
    series = values if isinstance(values, pd.Series) else pd.Series(_as_array(values, name))
    dtype = series.dtype
    is_datetime = pd.api.types.is_datetime64_any_dtype(dtype)
    is_number = pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
    if not (is_datetime or is_number):
        raise ArgumentTypeError(
            f"{name} must hold times as numbers (e.g. Unix seconds) or datetime64 values, got dtype "
            f"{dtype}; text would be sorted as text. Convert it first with pd.to_datetime(...) or to "
            "Unix seconds."
        )
    n_missing = int(series.isna().sum())
    if n_missing:
        raise ValueError(
            f"{name} holds {n_missing} missing times (NaN/NaT); a sort would treat them as the "
            "latest. Drop or fill those rows first."
        )
    if is_number and not np.all(np.isfinite(series.to_numpy(dtype=np.float64))):
        raise ValueError(f"{name} holds infinite times; drop those rows first.")
    return values


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
    labels = as_vector(y, name)
    if n_samples is not None and labels.shape[0] != n_samples:
        raise ValueError(f"X and {name} have different lengths: {n_samples} rows in X, {labels.shape[0]} labels.")
    if labels.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold numbers (0 and 1 for binary labels), got dtype {labels.dtype}.")
    if not np.all(np.isfinite(labels)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    if binary:
        check_binary_labels(labels, name)
    return labels.astype(dtype)


def as_score_vector(values, name: str, *, probabilities: bool) -> np.ndarray:
    """Return a 1-D float64 array of finite scores; with ``probabilities``, all in [0, 1]."""
    array = as_vector(values, name)
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
    return check_int(value, name, min_val=1)
