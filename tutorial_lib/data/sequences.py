"""Users' interactions as item sequences (行为序列 behaviour sequences), for sequential models.

A sequential recommender reads each user's items in time order and predicts the next one.
This module turns interaction tables into those sequences and the padded arrays the models
train on (NumPy and pandas only; the models live in ``tutorial_lib.models``):

- **Codes.** Items are coded ``1..n_items``: the code of an item is 1 + its position in the
  sorted catalogue. Code :data:`PADDING` (0) means "no item" and fills the empty places of a
  padded row, so an embedding table has ``n_items + 1`` rows and row 0 is padding.
- **Order.** :func:`user_sequences` sorts each user's interactions by time; among equal
  timestamps the larger item id counts as later, exactly as
  :func:`tutorial_lib.evaluation.protocols.leave_last_out_split` does, so the last code of a
  user's full sequence is that user's test item.
- **The split.** :class:`SequenceSplit` holds, for a leave-last-out split, each user's train
  sequence (the input for the validation target) and train + valid sequence (the input for
  the test target).
- **Padding and training pairs.** :func:`left_pad` and :func:`right_pad` cut every sequence
  to its last ``max_len`` codes; :func:`next_item_examples` gives the all-positions pairs of
  SASRec (input ``s[:-1]``, target ``s[1:]``); :func:`sliding_windows` the windows of Caser
  (``window`` items in, the ``n_targets`` items after them out).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from tutorial_lib.validation import check_positive_int, check_timestamps, require_columns

__all__ = [
    "PADDING",
    "SequenceSplit",
    "item_codes",
    "left_pad",
    "next_item_examples",
    "right_pad",
    "sliding_windows",
    "tied_target_users",
    "user_sequences",
]

#: The code of "no item": fills the empty places of padded rows; a target of 0 is ignored.
PADDING = 0


# --------------------------------------------------------------------------------------
# Codes and sequences
# --------------------------------------------------------------------------------------
def _catalogue(item_ids) -> np.ndarray:
    catalogue = np.asarray(item_ids)
    if catalogue.ndim != 1 or catalogue.size == 0:
        raise ValueError(f"item_ids must be a non-empty 1-D array of item ids, got shape {catalogue.shape}.")
    unique = np.unique(catalogue)
    if unique.size != catalogue.size:
        raise ValueError("item_ids holds repeated ids; give each catalogue item once.")
    return unique


def item_codes(items, item_ids) -> np.ndarray:
    """The codes ``1..n_items`` of ``items`` in the catalogue ``item_ids``.

    Parameters
    ----------
    items : array_like, shape (n,)
        Item ids, each in ``item_ids``.
    item_ids : array_like, shape (n_items,)
        The catalogue (sorted here; the code of an item is 1 + its sorted position).

    Returns
    -------
    numpy.ndarray of int64, shape (n,)
    """
    catalogue = _catalogue(item_ids)
    values = np.asarray(items)
    if values.ndim != 1:
        raise ValueError(f"items must be a 1-D array of item ids, got shape {values.shape}.")
    positions = np.searchsorted(catalogue, values)
    clipped = np.minimum(positions, catalogue.size - 1)
    unknown = catalogue[clipped] != values
    if unknown.any():
        examples = values[unknown][:5].tolist()
        raise ValueError(f"items holds {int(unknown.sum())} id(s) outside item_ids (the catalogue), e.g. {examples}.")
    return (clipped + 1).astype(np.int64)


def user_sequences(
    frame: pd.DataFrame,
    item_ids,
    *,
    user_col: str = "user_id",
    item_col: str = "item_id",
    time_col: str = "timestamp",
) -> dict:
    """Each user's item codes in time order.

    Interactions of one user with the same timestamp are ordered by item id (the larger id
    is later), as in :func:`tutorial_lib.evaluation.protocols.leave_last_out_split`. A
    repeated interaction stays in the sequence as often as it occurs.

    Parameters
    ----------
    frame : pandas.DataFrame, shape (n_interactions, n_columns)
        One row per interaction with ``user_col``, ``item_col`` and ``time_col``.
    item_ids : array_like, shape (n_items,)
        The catalogue; every item of ``frame`` must be in it.

    Returns
    -------
    dict
        user id -> numpy.ndarray of int64, shape (n_interactions_of_user,): codes in
        ``1..n_items``, earliest first. Users in order of their ids.
    """
    require_columns(frame, "frame", [user_col, item_col, time_col])
    check_timestamps(frame[time_col], f"frame[{time_col!r}]")
    ordered = frame.sort_values([user_col, time_col, item_col], kind="mergesort")
    codes = item_codes(ordered[item_col].to_numpy(), item_ids)
    users = ordered[user_col].to_numpy()
    if users.size == 0:
        return {}
    starts = np.flatnonzero(np.r_[True, users[1:] != users[:-1]])
    ends = np.r_[starts[1:], users.size]
    return {users[start].item(): codes[start:end] for start, end in zip(starts, ends)}


@dataclasses.dataclass(frozen=True)
class SequenceSplit:
    """A leave-last-out split seen as sequences: what a sequential model reads for each target.

    Attributes
    ----------
    item_ids : numpy.ndarray, shape (n_items,)
        The catalogue (sorted); code ``c`` is ``item_ids[c - 1]``.
    train : dict
        user id -> codes of the user's training interactions, shape (n_train_of_user,):
        the input for the validation target. Every user of the split is a key.
    train_and_valid : dict
        user id -> codes of train followed by the valid item: the input for the test target
        (users without a target: the same as ``train``).
    users_with_target : numpy.ndarray, shape (n_evaluated,)
        The users that have a valid and a test item, sorted.
    valid_targets, test_targets : numpy.ndarray of int64, shape (n_evaluated,)
        The codes of those users' valid and test items, in the order of ``users_with_target``.
    """

    item_ids: np.ndarray
    train: dict
    train_and_valid: dict
    users_with_target: np.ndarray
    valid_targets: np.ndarray
    test_targets: np.ndarray

    @property
    def n_items(self) -> int:
        """The catalogue size; codes run from 1 to ``n_items``."""
        return len(self.item_ids)

    @classmethod
    def from_top_n_split(cls, split, time_col: str = "timestamp") -> SequenceSplit:
        """The sequences of a :class:`tutorial_lib.evaluation.protocols.TopNSplit`.

        Parameters
        ----------
        split : TopNSplit
            From :func:`tutorial_lib.evaluation.protocols.leave_last_out_split`.
        time_col : str, default "timestamp"
            The time column of the split's frames.
        """
        for name in ("train", "valid", "test", "item_ids", "user_col", "item_col"):
            if not hasattr(split, name):
                raise TypeError(f"split must be a TopNSplit (from leave_last_out_split), got {type(split).__name__}.")
        columns = {"user_col": split.user_col, "item_col": split.item_col, "time_col": time_col}
        train = user_sequences(split.train, split.item_ids, **columns)
        with_valid = user_sequences(pd.concat([split.train, split.valid]), split.item_ids, **columns)
        users = np.sort(split.test[split.user_col].to_numpy())
        valid_items = split.valid.set_index(split.user_col)[split.item_col].loc[users].to_numpy()
        test_items = split.test.set_index(split.user_col)[split.item_col].loc[users].to_numpy()
        return cls(
            item_ids=np.unique(np.asarray(split.item_ids)),
            train=train,
            train_and_valid=with_valid,
            users_with_target=users,
            valid_targets=item_codes(valid_items, split.item_ids),
            test_targets=item_codes(test_items, split.item_ids),
        )


# --------------------------------------------------------------------------------------
# Padding
# --------------------------------------------------------------------------------------
def _check_sequences(sequences, name: str = "sequences") -> list[np.ndarray]:
    if isinstance(sequences, (np.ndarray, str, bytes)) or not hasattr(sequences, "__iter__"):
        raise TypeError(f"{name} must be a list of 1-D integer arrays (one per user), got {type(sequences).__name__}.")
    if isinstance(sequences, dict):
        raise TypeError(f"{name} must be a list of 1-D integer arrays; pass list(d.values()) for a dict.")
    checked = []
    for index, sequence in enumerate(sequences):
        array = np.asarray(sequence)
        if array.ndim != 1:
            raise ValueError(f"{name}[{index}] must be 1-D, got shape {array.shape}.")
        if array.size and array.dtype.kind not in "iu":
            raise ValueError(f"{name}[{index}] must hold integer item codes, got dtype {array.dtype}.")
        if array.size and array.min() < 1:
            raise ValueError(f"{name}[{index}] holds code {array.min()}; item codes are 1..n_items (0 is padding).")
        checked.append(array.astype(np.int64))
    return checked


def left_pad(sequences, max_len: int) -> np.ndarray:
    """The last ``max_len`` codes of each sequence, right-aligned, :data:`PADDING` on the left.

    Parameters
    ----------
    sequences : list of numpy.ndarray, each shape (length_i,)
    max_len : int
        Columns of the result, >= 1.

    Returns
    -------
    numpy.ndarray of int64, shape (n_sequences, max_len)
        Row ``i`` ends with the last ``min(length_i, max_len)`` codes of ``sequences[i]``.
    """
    sequences = _check_sequences(sequences)
    max_len = check_positive_int(max_len, "max_len")
    padded = np.full((len(sequences), max_len), PADDING, dtype=np.int64)
    for row, sequence in enumerate(sequences):
        kept = sequence[-max_len:]
        if kept.size:
            padded[row, max_len - kept.size:] = kept
    return padded


def right_pad(sequences, max_len: int) -> tuple[np.ndarray, np.ndarray]:
    """The last ``max_len`` codes of each sequence, left-aligned, :data:`PADDING` on the right.

    The layout a recurrent network over packed sequences wants.

    Parameters
    ----------
    sequences : list of numpy.ndarray, each shape (length_i,)
    max_len : int
        Columns of the result, >= 1.

    Returns
    -------
    codes : numpy.ndarray of int64, shape (n_sequences, max_len)
    lengths : numpy.ndarray of int64, shape (n_sequences,)
        ``min(length_i, max_len)``: how many leading places of each row hold items.
    """
    sequences = _check_sequences(sequences)
    max_len = check_positive_int(max_len, "max_len")
    padded = np.full((len(sequences), max_len), PADDING, dtype=np.int64)
    lengths = np.zeros(len(sequences), dtype=np.int64)
    for row, sequence in enumerate(sequences):
        kept = sequence[-max_len:]
        padded[row, :kept.size] = kept
        lengths[row] = kept.size
    return padded, lengths


# --------------------------------------------------------------------------------------
# Training pairs
# --------------------------------------------------------------------------------------
def next_item_examples(sequences, max_len: int) -> tuple[np.ndarray, np.ndarray]:
    """The all-positions next-item pairs, one row per sequence, as SASRec trains.

    For a sequence ``s`` the input is ``s[:-1]`` and the target ``s[1:]``: at every position
    the model reads the items up to there and must predict the next one. Both are cut to
    their last ``max_len`` codes and left-padded with :data:`PADDING`; a target of 0 means
    "no target here" (a loss ignores it). A sequence of fewer than 2 codes gives a row of
    padding only.

    Parameters
    ----------
    sequences : list of numpy.ndarray, each shape (length_i,)
    max_len : int
        Positions per row, >= 1.

    Returns
    -------
    inputs, targets : numpy.ndarray of int64, each shape (n_sequences, max_len)
        ``targets[i, t]`` is the item that follows ``inputs[i, t]``.
    """
    sequences = _check_sequences(sequences)
    max_len = check_positive_int(max_len, "max_len")
    inputs = left_pad([sequence[:-1] for sequence in sequences], max_len)
    targets = left_pad([sequence[1:] for sequence in sequences], max_len)
    return inputs, targets


def sliding_windows(sequences, window: int, n_targets: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Caser's training examples: ``window`` consecutive items in, the ``n_targets`` after them out.

    A sequence of length ``n >= window + n_targets`` gives ``n - window - n_targets + 1``
    examples, one per start position (step 1), in time order. A shorter sequence with at
    least ``n_targets + 1`` codes gives one example: its last ``n_targets`` codes are the
    targets and the codes before them, left-padded with :data:`PADDING`, the input (as
    Caser's reference code does). A sequence of ``n_targets`` codes or fewer gives none.

    Parameters
    ----------
    sequences : list of numpy.ndarray, each shape (length_i,)
    window : int
        Input items per example (Caser's L), >= 1.
    n_targets : int
        Target items per example (Caser's T), >= 1.

    Returns
    -------
    inputs : numpy.ndarray of int64, shape (n_examples, window)
    targets : numpy.ndarray of int64, shape (n_examples, n_targets)
    rows : numpy.ndarray of int64, shape (n_examples,)
        The index in ``sequences`` each example comes from (to look up a user embedding).
    """
    sequences = _check_sequences(sequences)
    window = check_positive_int(window, "window")
    n_targets = check_positive_int(n_targets, "n_targets")
    span = window + n_targets
    inputs, targets, rows = [], [], []
    for row, sequence in enumerate(sequences):
        if sequence.size >= span:
            # Every run of `span` consecutive codes, one per start position.
            starts = np.arange(sequence.size - span + 1)
            runs = sequence[starts[:, None] + np.arange(span)]  # (n_runs, span)
        elif sequence.size > n_targets:
            runs = np.concatenate([np.full(span - sequence.size, PADDING, dtype=np.int64), sequence])[None, :]
        else:
            continue
        inputs.append(runs[:, :window])
        targets.append(runs[:, window:])
        rows.append(np.full(len(runs), row, dtype=np.int64))
    if not inputs:
        empty = np.zeros((0,), dtype=np.int64)
        return empty.reshape(0, window), empty.reshape(0, n_targets), empty
    return np.concatenate(inputs), np.concatenate(targets), np.concatenate(rows)


# --------------------------------------------------------------------------------------
# Targets that share a timestamp
# --------------------------------------------------------------------------------------
def tied_target_users(split, time_col: str = "timestamp") -> np.ndarray:
    """The users whose validation and test interactions have the same timestamp.

    For them the split's tie rule (among equal timestamps the larger item id is later), not
    the time, decides which item is the test target, so "the next item" is partly an
    artefact of the item ids. MovieLens records ratings to the second, and many users rated
    several films in the same second.

    Parameters
    ----------
    split : TopNSplit
        From :func:`tutorial_lib.evaluation.protocols.leave_last_out_split`.
    time_col : str, default "timestamp"

    Returns
    -------
    numpy.ndarray, shape (n_tied,)
        Those users' ids, sorted.
    """
    for name in ("valid", "test", "user_col"):
        if not hasattr(split, name):
            raise TypeError(f"split must be a TopNSplit (from leave_last_out_split), got {type(split).__name__}.")
    for frame_name in ("valid", "test"):
        frame = getattr(split, frame_name)
        if time_col not in frame.columns:
            raise ValueError(f"split.{frame_name} has no column time_col={time_col!r}.")
    user_col = split.user_col
    valid_times = split.valid.set_index(user_col)[time_col]
    test_times = split.test.set_index(user_col)[time_col]
    users = np.sort(test_times.index.to_numpy())
    tied = valid_times.loc[users].to_numpy() == test_times.loc[users].to_numpy()
    return users[tied]
