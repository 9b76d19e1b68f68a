"""Train / validation / test splits that do not leak.

A split leaks when the model sees, during training, something it will be tested on: a user's
future ratings, a time period after the test period, or the very same review text. Each
function here removes one kind of leak:

- :func:`leave_last_out`: per user, the most recent interactions are the test set (for
  sequence models, which predict a user's next item from their history).
- :func:`temporal_split`: one global cut-off time; everything before it trains, everything
  after it tests (for click / like prediction, where the model is deployed on the future).
- :func:`deduplicate_reviews`: drop repeated review texts (and texts whose copies disagree on
  the label) before any split of the review corpora.
- :func:`stratified_split`: a random split that keeps the label ratio (and optionally the
  category mix) the same in every part; it refuses frames that still hold duplicate texts.
- :func:`surprise_benchmark_folds`: the five cross-validation folds of the Surprise
  library's benchmark, position for position, so that our rating predictors and Surprise's
  are tested on the same ratings.

Every function returns new frames and leaves its input unchanged. Rows keep their original
index, so a row of a split can be traced back to the input.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from tutorial_lib.book.runtime import get_seed
from tutorial_lib.validation import check_bool, check_int, check_real, check_timestamps, require_columns

__all__ = [
    "DeduplicationReport",
    "deduplicate_reviews",
    "leave_last_out",
    "review_comparison_key",
    "stratified_split",
    "surprise_benchmark_folds",
    "temporal_split",
]


# ---------------------------------------------------------------------------------------------
# Input checks shared by the splitters
# ---------------------------------------------------------------------------------------------
def _check_fractions(test_fraction, valid_fraction) -> None:
    """Raise unless 0 < test_fraction < 1, 0 <= valid_fraction < 1 and their sum is < 1."""
    check_real(test_fraction, "test_fraction", min_val=0, max_val=1, include_boundaries="neither")
    check_real(valid_fraction, "valid_fraction", min_val=0, max_val=1, include_boundaries="left")
    if test_fraction + valid_fraction >= 1:
        raise ValueError(
            f"test_fraction + valid_fraction must be below 1 so that rows are left to train on, "
            f"got {test_fraction} + {valid_fraction}."
        )


def _check_no_missing(frame: pd.DataFrame, column: str, what: str) -> None:
    """Raise when ``frame[column]`` holds missing values (a label or text nobody recorded)."""
    n_missing = int(frame[column].isna().sum())
    if n_missing:
        raise ValueError(f"Column {column!r} holds {n_missing} missing {what}; drop or fill those rows first.")


def _as_split_tuple(train: pd.DataFrame, valid: pd.DataFrame, test: pd.DataFrame, valid_fraction: float):
    """(train, test) when no validation set was asked for, else (train, valid, test)."""
    if valid_fraction == 0:
        return train, test
    return train, valid, test


# ---------------------------------------------------------------------------------------------
# Per-user: leave the last interactions out
# ---------------------------------------------------------------------------------------------
def leave_last_out(
    ratings: pd.DataFrame,
    n_test: int = 1,
    user_col: str = "user_id",
    time_col: str = "timestamp",
    tie_col: str | None = "item_id",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Put each user's last ``n_test`` interactions in the test set, the rest in training.

    Parameters
    ----------
    ratings:
        One row per interaction, shape ``(n_interactions, n_columns)``.
    n_test:
        Interactions per user moved to the test set (a positive int).
    user_col, time_col:
        Columns holding the user id and the time of the interaction (numbers or datetimes;
        text and missing times are rejected, see
        :func:`tutorial_lib.validation.check_timestamps`).
    tie_col:
        Column that orders interactions of one user at the same time (default ``"item_id"``:
        among equal timestamps the larger item id counts as later). ``None`` keeps the input's
        row order for ties.

    Returns
    -------
    train, test : pandas.DataFrame
        Rows sorted by ``(user, time, tie)``; the original index is kept. A user with
        ``n_test`` interactions or fewer stays entirely in ``train`` (there would be no history
        left to learn from). For every user, the latest time in ``train`` is at or before the
        earliest time in ``test`` (equal only for ties at the boundary).
    """
    columns = [user_col, time_col] + ([tie_col] if tie_col is not None else [])
    require_columns(ratings, "ratings", columns, allow_empty=False, hint=" Pass the right column names as arguments.")
    n_test = check_int(n_test, "n_test", min_val=1)
    check_timestamps(ratings[time_col], f"ratings[{time_col!r}]")
    # A stable sort keeps the input order among rows that agree on every sort column.
    ordered = ratings.sort_values(columns, kind="mergesort")
    by_user = ordered.groupby(user_col, sort=False)
    position_from_end = by_user.cumcount(ascending=False)  # 0 for each user's latest row
    history_length = by_user[user_col].transform("size")
    is_test = (position_from_end < n_test) & (history_length > n_test)
    return ordered.loc[~is_test.to_numpy()], ordered.loc[is_test.to_numpy()]


# ---------------------------------------------------------------------------------------------
# Global time cut-off
# ---------------------------------------------------------------------------------------------
def temporal_split(
    frame: pd.DataFrame,
    test_fraction: float = 0.2,
    valid_fraction: float = 0.0,
    time_col: str = "timestamp",
):
    """Split at global cut-off times: the past trains, the future validates and tests.

    The test set starts at the time ``t_test`` of the row at position
    ``n - round(test_fraction * n)`` in time order, and holds every row with time
    ``>= t_test``. Rows that share the cut-off time all go to the *later* split, so the test
    set can be a little larger than asked; no row of an earlier split shares a time with a
    row of a later one. The validation set (if asked for) is cut the same way from the rows
    before ``t_test``.

    Parameters
    ----------
    frame:
        One row per event, shape ``(n_rows, n_columns)``.
    test_fraction:
        Target share of rows in the test set, ``0 < test_fraction < 1``.
    valid_fraction:
        Target share of rows in the validation set (``0``: no validation set).
    time_col:
        Column holding the event time: numbers or datetimes, none missing. Text is rejected
        (it would sort as text: "10" before "9"); convert it with ``pd.to_datetime`` first.

    Returns
    -------
    (train, test) or (train, valid, test) : tuple of pandas.DataFrame
        Rows in their input order, original index kept. Every time in ``train`` is strictly
        earlier than every time in ``valid``, which are strictly earlier than every time in
        ``test``.

    Raises
    ------
    ValueError
        If a part would be empty (too few rows, or too many sharing one time).
    """
    require_columns(frame, "frame", [time_col], allow_empty=False, hint=" Pass the right column names as arguments.")
    _check_fractions(test_fraction, valid_fraction)
    times = check_timestamps(frame[time_col], f"frame[{time_col!r}]")
    n_rows = len(frame)
    n_test = round(test_fraction * n_rows)
    n_later = round((test_fraction + valid_fraction) * n_rows)  # rows in valid + test
    if n_test == 0 or n_later >= n_rows or (valid_fraction > 0 and n_later == n_test):
        raise ValueError(
            f"frame has {n_rows} rows: too few for test_fraction={test_fraction} and "
            f"valid_fraction={valid_fraction} to give every part at least one row."
        )
    sorted_times = np.sort(times.to_numpy())
    test_start = sorted_times[n_rows - n_test]
    valid_start = sorted_times[n_rows - n_later]  # equals test_start when there is no valid part
    is_test = (times >= test_start).to_numpy()
    is_valid = ((times >= valid_start) & (times < test_start)).to_numpy()
    is_train = ~(is_test | is_valid)
    parts = {"train": is_train, "test": is_test} | ({"valid": is_valid} if valid_fraction > 0 else {})
    empty = [name for name, mask in parts.items() if not mask.any()]
    if empty:
        raise ValueError(
            f"The {' and '.join(empty)} part(s) would be empty: too many rows share the cut-off "
            f"time in column {time_col!r}. Use a different fraction or a finer time column."
        )
    return _as_split_tuple(frame.loc[is_train], frame.loc[is_valid], frame.loc[is_test], valid_fraction)


# ---------------------------------------------------------------------------------------------
# Duplicate review texts
# ---------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class DeduplicationReport:
    """What :func:`deduplicate_reviews` removed.

    Attributes
    ----------
    rows_in, rows_out:
        Rows before and after.
    conflicting_texts:
        Distinct texts whose copies carry different labels.
    conflicting_rows_dropped:
        Rows removed because their text is one of those (every copy is removed).
    duplicate_rows_dropped:
        Further copies of a text (all with the same label) removed; the first is kept.
    cross_corpus_texts:
        Distinct texts found in more than one corpus (``0`` when there is no corpus column).
    """

    rows_in: int
    rows_out: int
    conflicting_texts: int
    conflicting_rows_dropped: int
    duplicate_rows_dropped: int
    cross_corpus_texts: int

    def __str__(self) -> str:
        return (
            f"{self.rows_in:,} rows -> {self.rows_out:,}: dropped {self.duplicate_rows_dropped:,} repeated "
            f"copies and {self.conflicting_rows_dropped:,} rows of {self.conflicting_texts:,} texts whose "
            f"copies disagree on the label; {self.cross_corpus_texts:,} texts appear in more than one corpus."
        )


def review_comparison_key(texts: pd.Series) -> pd.Series:
    """The key two reviews are compared on: the text without surrounding whitespace or U+FEFF.

    ``load_reviews`` already removes byte-order marks; they are removed here too so that frames
    built another way compare the same.
    """
    return texts.astype("string").str.replace("\ufeff", "", regex=False).str.strip()


def deduplicate_reviews(
    frame: pd.DataFrame,
    text_col: str = "text",
    label_col: str = "label",
    corpus_col: str | None = "corpus",
    return_report: bool = False,
):
    """Keep one row per review text, and drop texts whose copies disagree on the label.

    Texts are compared after :func:`review_comparison_key` (whitespace at either end and
    byte-order marks ignored), inside a corpus and across corpora. The rules:

    1. A text whose copies carry different labels is ambiguous: every copy is dropped
       (keeping one would pick a label at random).
    2. Of the other repeated texts the first row, in frame order, is kept. When corpora are
       concatenated as ``online_shopping_10_cats, waimai_10k, ChnSentiCorp_htl_all`` the
       5,573 hotel reviews shared by the first and last are kept as online-shopping rows.

    Parameters
    ----------
    frame:
        Reviews, shape ``(n_reviews, n_columns)``, e.g. one or more ``load_reviews`` frames
        concatenated.
    text_col, label_col:
        Columns holding the review text and its label.
    corpus_col:
        Column naming the corpus, used only to count texts shared between corpora (``None``
        or a missing column: not counted).
    return_report:
        Also return a :class:`DeduplicationReport`.

    Returns
    -------
    pandas.DataFrame, or (pandas.DataFrame, DeduplicationReport)
        The kept rows in input order, original index kept.
    """
    require_columns(frame, "frame", [text_col, label_col], allow_empty=False, hint=" Pass the right column names as arguments.")
    return_report = check_bool(return_report, "return_report")
    _check_no_missing(frame, text_col, "texts (load_reviews drops them)")
    _check_no_missing(frame, label_col, "labels")
    key = review_comparison_key(frame[text_col])
    labels_per_text = frame[label_col].groupby(key.to_numpy()).nunique()
    conflicting = labels_per_text.index[labels_per_text.to_numpy() > 1]
    is_conflicting = key.isin(conflicting).to_numpy()
    is_repeat = key.duplicated(keep="first").to_numpy() & ~is_conflicting
    kept = frame.loc[~is_conflicting & ~is_repeat]

    cross_corpus_texts = 0
    if corpus_col is not None and corpus_col in frame.columns:
        corpora_per_text = frame[corpus_col].groupby(key.to_numpy()).nunique()
        cross_corpus_texts = int((corpora_per_text > 1).sum())
    if not return_report:
        return kept
    report = DeduplicationReport(
        rows_in=len(frame),
        rows_out=len(kept),
        conflicting_texts=len(conflicting),
        conflicting_rows_dropped=int(is_conflicting.sum()),
        duplicate_rows_dropped=int(is_repeat.sum()),
        cross_corpus_texts=cross_corpus_texts,
    )
    return kept, report


# ---------------------------------------------------------------------------------------------
# Random split stratified by label
# ---------------------------------------------------------------------------------------------
def _strata(frame: pd.DataFrame, label_col: str, category_col: str | None) -> np.ndarray:
    """One stratum name per row: the label, or "label|category" when a category is given."""
    strata = frame[label_col].astype(str)
    if category_col is not None:
        strata = strata + "|" + frame[category_col].astype(str)
    return strata.to_numpy()


def _check_strata_large_enough(strata: np.ndarray, argument_hint: str) -> None:
    """scikit-learn needs two rows of each stratum to put one on each side of a split."""
    names, counts = np.unique(strata, return_counts=True)
    too_small = names[counts < 2]
    if len(too_small):
        raise ValueError(
            f"Stratum {too_small[0]!r} has a single row, so it cannot appear on both sides of the "
            f"split. {argument_hint}"
        )


def stratified_split(
    frame: pd.DataFrame,
    label_col: str = "label",
    test_fraction: float = 0.2,
    valid_fraction: float = 0.0,
    seed: int | None = None,
    category_col: str | None = None,
    text_col: str | None = "text",
):
    """Random split with the same label ratio (and category mix) in every part.

    Uses :func:`sklearn.model_selection.train_test_split` with ``stratify=``: first the test
    set is drawn from all rows, then the validation set from the rest.

    Parameters
    ----------
    frame:
        Rows to split, shape ``(n_rows, n_columns)``.
    label_col:
        Column whose value ratio every part keeps.
    test_fraction, valid_fraction:
        Shares of all rows for test and validation (``valid_fraction=0``: no validation set).
    seed:
        Seed of the shuffle (default: :func:`tutorial_lib.book.runtime.get_seed`). The same seed
        gives the same split.
    category_col:
        Also stratify by this column (strata are label x category pairs), e.g. ``"category"``
        so every product category keeps its share in every part.
    text_col:
        Column of review texts. The frame must hold no duplicate texts (compared as in
        :func:`deduplicate_reviews`), or the same review could land in train and test. ``None``
        skips the check (for frames without text).

    Returns
    -------
    (train, test) or (train, valid, test) : tuple of pandas.DataFrame
        Rows in their input order, original index kept.

    Raises
    ------
    ValueError
        If ``text_col`` holds duplicates (run :func:`deduplicate_reviews` first), or a stratum
        has too few rows.
    """
    columns = [label_col] + [c for c in (category_col, text_col) if c is not None]
    require_columns(frame, "frame", columns, allow_empty=False, hint=" Pass the right column names as arguments.")
    _check_fractions(test_fraction, valid_fraction)
    seed = check_int(get_seed() if seed is None else seed, "seed", min_val=0)
    _check_no_missing(frame, label_col, "labels")
    if text_col is not None:
        n_duplicates = int(review_comparison_key(frame[text_col]).duplicated().sum())
        if n_duplicates:
            raise ValueError(
                f"frame holds {n_duplicates} rows whose {text_col!r} repeats an earlier row; the same "
                f"text could land in both train and test. Call deduplicate_reviews(frame) first."
            )
    strata = _strata(frame, label_col, category_col)
    hint = "Stratify by fewer columns (category_col=None) or merge rare categories."
    _check_strata_large_enough(strata, hint)

    positions = np.arange(len(frame))
    rest, test = train_test_split(positions, test_size=test_fraction, stratify=strata, random_state=seed)
    valid = np.array([], dtype=positions.dtype)
    if valid_fraction > 0:
        _check_strata_large_enough(strata[rest], hint)
        # valid_fraction is a share of all rows; of the remaining rows it is a larger share.
        share_of_rest = valid_fraction / (1 - test_fraction)
        rest, valid = train_test_split(rest, test_size=share_of_rest, stratify=strata[rest], random_state=seed)
    # Sorting the positions returns every part in the input's row order.
    train_part, valid_part, test_part = (frame.iloc[np.sort(part)] for part in (rest, valid, test))
    return _as_split_tuple(train_part, valid_part, test_part, valid_fraction)


def sample_per_group(frame: pd.DataFrame, max_per_group: int | None, *, group_col: str = "corpus", seed: int | None = None) -> pd.DataFrame:
    """Keep at most ``max_per_group`` random rows of each group, in the frame's original order.

    Used to cap the number of reviews per corpus in the quick run profile, so that every
    corpus stays represented (a plain ``head(n)`` would keep only the first corpus).

    Parameters
    ----------
    frame:
        Rows to sample, with a ``group_col`` column.
    max_per_group:
        Rows kept per group; ``None`` keeps everything (the full profile).
    group_col:
        Column whose values define the groups.
    seed:
        Random seed; ``None`` uses :func:`tutorial_lib.book.runtime.get_seed`.

    Returns
    -------
    pandas.DataFrame
        A subset of ``frame`` with its index, sorted back into the original row order.
    """
    require_columns(frame, "frame", [group_col])
    if max_per_group is None:
        return frame
    max_per_group = check_int(max_per_group, "max_per_group", min_val=1)
    if not frame.index.is_unique:
        raise ValueError("frame has repeated index labels; call frame.reset_index(drop=True) first.")
    seed = check_int(get_seed() if seed is None else seed, "seed", min_val=0)
    sampled = [
        part.sample(n=min(int(max_per_group), len(part)), random_state=seed)
        for _, part in frame.groupby(group_col, sort=True, observed=True)
    ]
    kept = pd.concat(sampled).index
    return frame[frame.index.isin(kept)]  # boolean mask: keeps the original row order


def most_recent_rows(frame: pd.DataFrame, max_rows: int | None, *, time_col: str = "timestamp") -> pd.DataFrame:
    """Return the ``max_rows`` latest rows of ``frame`` in time order (all rows when ``None``).

    The quick run profile trains on fewer rows than the full one. Taking the *latest* rows of
    the training period, rather than a random sample, keeps the training window next to the
    period being predicted, so the quick run tests the same thing as the full one on less data.

    Ties in ``time_col`` keep their original order (a stable sort).
    """
    require_columns(frame, "frame", [time_col])
    if max_rows is not None:
        max_rows = check_int(max_rows, "max_rows", min_val=1)
    check_timestamps(frame[time_col], f"frame[{time_col!r}]")
    ordered = frame.sort_values(time_col, kind="mergesort")
    return ordered if max_rows is None else ordered.tail(max_rows)


# ---------------------------------------------------------------------------------------------
# K-fold cross-validation exactly as the Surprise library draws it
# ---------------------------------------------------------------------------------------------
def surprise_benchmark_folds(
    n_ratings: int, n_folds: int = 5, random_state: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The folds of ``surprise.model_selection.KFold(n_folds, random_state)``, as positions.

    Surprise's benchmark (``examples/benchmark.py``) cross-validates every algorithm with
    ``KFold(random_state=0)``: the positions ``0 .. n_ratings - 1`` are shuffled once by
    ``numpy.random.RandomState(random_state).shuffle`` and cut into ``n_folds`` consecutive
    blocks, the first ``n_ratings % n_folds`` blocks one rating longer. Block ``k`` is the
    test set of fold ``k``; the training set is every other block, in the shuffled order
    (the order Surprise builds its trainset in, which decides how it breaks ties between
    equally similar neighbours).

    The positions refer to the ratings in the order Surprise reads them: for its builtin
    ``ml-100k`` that is the line order of ``u.data``, i.e.
    ``load_movielens_ratings("ml-100k", file_order=True)``.

    Parameters
    ----------
    n_ratings:
        Number of ratings, at least ``n_folds``.
    n_folds:
        Number of folds, at least 2 (Surprise's default and its benchmark's: 5).
    random_state:
        Seed of the shuffle (the benchmark's: 0).

    Returns
    -------
    list of ``(train_positions, test_positions)``
        ``n_folds`` pairs of int64 arrays, shapes ``(n_ratings - n_test_k,)`` and
        ``(n_test_k,)``; the test blocks are disjoint and together hold every position once.
    """
    n_folds = check_int(n_folds, "n_folds", min_val=2)
    n_ratings = check_int(n_ratings, "n_ratings", min_val=n_folds)
    random_state = check_int(random_state, "random_state", min_val=0)
    positions = np.arange(n_ratings, dtype=np.int64)
    np.random.RandomState(random_state).shuffle(positions)
    folds = []
    stop = 0
    for fold in range(n_folds):
        start = stop
        stop = start + n_ratings // n_folds + (1 if fold < n_ratings % n_folds else 0)
        train_positions = np.concatenate([positions[:start], positions[stop:]])
        folds.append((train_positions, positions[start:stop].copy()))
    return folds
