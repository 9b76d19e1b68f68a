"""User, item and text features for behaviour prediction, fitted on training data only.

The chapters predict whether a user likes an item (MovieLens: rating >= 4) from who the user
is and what the item is. This module turns the raw tables into model inputs:

- :func:`join_interactions`: ratings joined with users and items, plus the ``like`` label.
- IDs: :class:`IdIndexer` (raw ID -> embedding index, 0 for unseen) and :func:`one_hot_ids`
  (why nobody feeds a one-hot user ID to a model: a sparse row as wide as the user table).
- User features: :func:`age_bucket`, :func:`zip_region`.
- Item features: :func:`genre_multi_hot`, :func:`item_popularity`.
- Text features: :class:`KeywordTfidf` / :func:`text_keyword_features` (TF-IDF over jieba tokens).
- Everything fused into one matrix: :class:`BehaviourFeatures`, a scikit-learn transformer.

The rule every function here follows: **statistics come from the training data only**. Category
levels, genre names, popularity counts, medians, means and standard deviations are learnt by
``fit`` on the training rows and reused unchanged by ``transform`` on validation and test rows.
Computing them on all the data lets information from the test period leak into training and
makes test scores look better than they will be in production.

Input tables (the columns :mod:`tutorial_lib.data.datasets` loads):

- ratings: ``user_id`` int32, ``item_id`` int32, ``rating`` int8 (1..5), ``timestamp`` int64
  (Unix seconds).
- users: ``user_id`` int32, ``age`` int16, ``gender`` category ("M"/"F"), ``occupation``
  category, ``zip_code`` string (some are not US ZIP codes, for example "T8H1N").
- items: ``item_id`` int32, ``title`` string, ``release_date`` datetime64 (NaT possible),
  ``year`` Int16 (<NA> possible), ``genres`` string of "|"-joined genre names.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.validation import check_is_fitted

from tutorial_lib.data.text import tokenize_for_model
from tutorial_lib.validation import check_bool, check_ids, check_int, check_real, require_columns

__all__ = [
    "BEHAVIOUR_INPUT_COLUMNS",
    "CROSSABLE_FEATURES",
    "DEFAULT_AGE_EDGES",
    "MISSING_LABEL",
    "ZIP_REGIONS",
    "BehaviourFeatures",
    "IdIndexer",
    "KeywordTfidf",
    "age_bucket",
    "genre_multi_hot",
    "item_popularity",
    "join_interactions",
    "one_hot_ids",
    "text_keyword_features",
    "zip_region",
]

#: Label given to a missing category value (for example an unknown gender) before one-hot coding.
MISSING_LABEL = "missing"


def _as_series(values: object, name: str) -> pd.Series:
    """Return ``values`` as a pandas Series, keeping the index of a Series."""
    if isinstance(values, pd.Series):
        return values
    if isinstance(values, (str, bytes)) or np.ndim(values) != 1:
        raise TypeError(f"{name} must be one-dimensional (a list, array or Series), got {type(values).__name__}.")
    return pd.Series(values)


# ---------------------------------------------------------------------------------------------
# Joining the tables
# ---------------------------------------------------------------------------------------------

RATING_COLUMNS = ("user_id", "item_id", "rating")
USER_FEATURE_COLUMNS = ("user_id", "age", "gender", "occupation", "zip_code")
ITEM_FEATURE_COLUMNS = ("item_id", "year", "genres")


def _check_unique_keys(frame: pd.DataFrame, name: str, key: str) -> None:
    duplicated = frame[key][frame[key].duplicated()].unique()
    if len(duplicated):
        raise ValueError(f"{name} must have one row per {key}; repeated: {list(duplicated[:5])}.")


def _check_all_matched(keys: pd.Series, known: pd.Series, name: str, key: str) -> None:
    unmatched = keys[~keys.isin(known)].unique()
    if len(unmatched):
        raise ValueError(
            f"ratings has {len(unmatched)} {key} value(s) not found in {name}, e.g. {list(unmatched[:5])}; "
            f"filter ratings or pass the full {name} table."
        )


def join_interactions(
    ratings: pd.DataFrame,
    users: pd.DataFrame,
    items: pd.DataFrame,
    like_threshold: int = 4,
) -> pd.DataFrame:
    """One row per rating, with the user's and the item's columns and a ``like`` label.

    Parameters
    ----------
    ratings:
        Needs ``user_id``, ``item_id``, ``rating``; other columns (``timestamp``) are kept.
    users:
        One row per user; needs ``user_id``, ``age``, ``gender``, ``occupation``, ``zip_code``.
    items:
        One row per item; needs ``item_id``, ``year``, ``genres`` (``title`` and
        ``release_date`` are kept when present).
    like_threshold:
        ``like`` is 1 when ``rating >= like_threshold``, else 0. With MovieLens' 1..5 stars, 4
        means "4 or 5 stars".

    Returns
    -------
    pandas.DataFrame
        ``len(ratings)`` rows in the order of ``ratings``: the columns of ``ratings``, then
        those of ``users`` and of ``items`` (keys not repeated), then ``like`` (int8).

    Raises
    ------
    ValueError
        If a required column is missing, if ``users`` / ``items`` repeat a key, or if a rating
        refers to a user or item that is not in its table.
    """
    require_columns(ratings, "ratings", RATING_COLUMNS)
    require_columns(users, "users", USER_FEATURE_COLUMNS)
    require_columns(items, "items", ITEM_FEATURE_COLUMNS)
    # NaN would label every row 0 without a word (rating >= nan is always False).
    check_real(like_threshold, "like_threshold")
    n_missing_ratings = int(ratings["rating"].isna().sum())
    if n_missing_ratings:
        raise ValueError(f"ratings['rating'] holds {n_missing_ratings} missing values; drop those rows first.")
    _check_unique_keys(users, "users", "user_id")
    _check_unique_keys(items, "items", "item_id")
    _check_all_matched(ratings["user_id"], users["user_id"], "users", "user_id")
    _check_all_matched(ratings["item_id"], items["item_id"], "items", "item_id")

    # A left join keeps the order of ratings; the checks above guarantee every row matches.
    joined = ratings.merge(users, on="user_id", how="left", validate="many_to_one")
    joined = joined.merge(items, on="item_id", how="left", validate="many_to_one")
    joined["like"] = (joined["rating"] >= like_threshold).astype(np.int8)
    return joined


# ---------------------------------------------------------------------------------------------
# IDs
# ---------------------------------------------------------------------------------------------


class IdIndexer:
    """Map raw IDs (user IDs, item IDs) to contiguous indices 1..n, with 0 for unknown IDs.

    An embedding layer needs indices ``0 .. n_indices - 1``; raw MovieLens IDs have gaps and
    a test set can contain users never seen in training. Index 0 is reserved for every such
    unseen ID, so one embedding row learns "a user we know nothing about".

    Fit on the training IDs only. Known IDs get indices in sorted order of the ID, so the
    mapping does not depend on row order.

    Attributes
    ----------
    known_ids_ : pandas.Index
        The sorted distinct training IDs; ``known_ids_[i]`` has index ``i + 1``.
    """

    unknown_index = 0

    def fit(self, ids: Iterable) -> IdIndexer:
        """Learn the distinct IDs. Missing values (NaN/<NA>) are not allowed."""
        id_series = _as_series(ids, "ids")
        if id_series.isna().any():
            raise ValueError("ids must not contain missing values when fitting; drop or fill them first.")
        self.known_ids_ = pd.Index(np.sort(id_series.unique()))
        return self

    def transform(self, ids: Iterable) -> np.ndarray:
        """Return the index of each ID, shape ``(n_ids,)``, int64; unseen IDs give 0."""
        if not hasattr(self, "known_ids_"):
            raise RuntimeError("This IdIndexer is not fitted yet; call fit(train_ids) first.")
        id_series = _as_series(ids, "ids")
        positions = self.known_ids_.get_indexer(id_series.to_numpy())  # -1 where not found
        is_known = positions >= 0
        return np.where(is_known, positions + 1, self.unknown_index).astype(np.int64)

    def fit_transform(self, ids: Iterable) -> np.ndarray:
        """``fit(ids)`` then ``transform(ids)``."""
        return self.fit(ids).transform(ids)

    @property
    def n_indices(self) -> int:
        """Number of distinct indices, the unknown index included: the embedding table's rows."""
        if not hasattr(self, "known_ids_"):
            raise RuntimeError("This IdIndexer is not fitted yet; call fit(train_ids) first.")
        return len(self.known_ids_) + 1


def one_hot_ids(indices: Iterable[int], n: int) -> sp.csr_matrix:
    """One-hot rows for integer indices, as a sparse matrix.

    The source article one-hot codes a user ID into a dense vector as long as the user table.
    For MovieLens-1M that is 6,040 numbers per row of which one is 1; a model multiplying it by
    a weight matrix just selects one row of weights, which is exactly what an embedding lookup
    with the index does, without building the vector. This function shows the size of what is
    being avoided; store it sparse (one stored number per row) if you must build it.

    Parameters
    ----------
    indices:
        Integer indices in ``0 .. n - 1``, for example from :class:`IdIndexer`.
    n:
        Number of columns (``IdIndexer.n_indices``).

    Returns
    -------
    scipy.sparse.csr_matrix of float64, shape (n_indices_given, n)
    """
    n = check_int(n, "n", min_val=1)
    index_array = check_ids(indices, "indices")
    if index_array.ndim != 1:
        raise ValueError(f"indices must be one-dimensional, got shape {index_array.shape}.")
    if index_array.size and index_array.max() >= n:
        raise ValueError(f"indices must lie in 0..{n - 1}; got values from {index_array.min()} to {index_array.max()}.")
    n_rows = len(index_array)
    ones = np.ones(n_rows, dtype=np.float64)
    rows = np.arange(n_rows)
    return sp.csr_matrix((ones, (rows, index_array.astype(np.int64))), shape=(n_rows, n))


# ---------------------------------------------------------------------------------------------
# User features
# ---------------------------------------------------------------------------------------------

#: Age-group boundaries; MovieLens-1M reports ages in exactly these groups (1, 18, 25, 35, 45,
#: 50, 56), so the buckets agree with its coding.
DEFAULT_AGE_EDGES = (18, 25, 35, 45, 50, 56)


def _age_labels(edges: Sequence[int]) -> list[str]:
    labels = [f"<{edges[0]}"]
    labels += [f"{low}-{high - 1}" for low, high in zip(edges[:-1], edges[1:])]
    labels.append(f"{edges[-1]}+")
    return labels


def age_bucket(ages: Iterable, edges: Sequence[int] = DEFAULT_AGE_EDGES) -> pd.Series:
    """Group ages into ranges, so that a linear model can give each range its own weight.

    With the default edges the labels are ``"<18"``, ``"18-24"``, ``"25-34"``, ``"35-44"``,
    ``"45-49"``, ``"50-55"`` and ``"56+"``: each edge starts a new bucket (18 is in "18-24",
    24 too, 25 starts "25-34").

    Parameters
    ----------
    ages:
        Ages in whole years (list, array or Series; missing values allowed).
    edges:
        Strictly increasing integer boundaries.

    Returns
    -------
    pandas.Series
        Ordered categorical with the labels above as categories; missing ages stay missing.
        A Series input keeps its index.
    """
    if isinstance(edges, str) or not isinstance(edges, Iterable):
        raise TypeError(f"edges must be a sequence of whole years such as (18, 25), got {edges!r}.")
    edges = tuple(edges)
    if not edges:
        raise ValueError("edges must contain at least one boundary.")
    for position, edge in enumerate(edges):
        check_int(edge, f"edges[{position}]")
    if any(high <= low for low, high in zip(edges[:-1], edges[1:])):
        raise ValueError(f"edges must be strictly increasing, got {edges!r}.")

    age_series = _as_series(ages, "ages")
    age_values = pd.to_numeric(age_series).astype("float64")  # <NA> becomes NaN
    if (age_values < 0).any():
        raise ValueError("ages must not be negative.")
    labels = _age_labels(edges)
    bins = [-np.inf, *edges, np.inf]
    # right=False: intervals [low, high), so an edge belongs to the bucket it starts.
    buckets = pd.cut(age_values, bins=bins, right=False, labels=labels, ordered=True)
    buckets.name = age_series.name
    return buckets


#: The values :func:`zip_region` returns, in this order.
ZIP_REGIONS = ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "other")

_US_ZIP = re.compile(r"^[0-9]{5}(-[0-9]{4})?$")


def zip_region(zip_codes: Iterable) -> pd.Series:
    """The national area of a US ZIP code: its first digit, "0" to "9".

    The first digit of a US ZIP code names a group of states, from "0" in the north-east
    (New England, New Jersey) to "9" on the west coast (California, Oregon, Washington, Alaska,
    Hawaii). It is a coarse location feature with only ten values, so every value is seen often
    enough to learn a weight, unlike the thousands of distinct ZIP codes.

    Anything that is not a five-digit ZIP code (optionally ZIP+4, "02139-4307") becomes
    ``"other"``: Canadian postal codes such as "T8H1N" in MovieLens, typing errors, missing
    values.

    Returns
    -------
    pandas.Series
        Categorical with categories :data:`ZIP_REGIONS`. A Series input keeps its index.
    """
    zip_series = _as_series(zip_codes, "zip_codes")
    as_text = zip_series.astype("string").str.strip()
    is_us_zip = as_text.str.match(_US_ZIP).fillna(False).astype(bool)
    regions = as_text.str[0].where(is_us_zip, "other")
    return pd.Series(
        pd.Categorical(regions.astype(object), categories=list(ZIP_REGIONS)),
        index=zip_series.index,
        name=zip_series.name,
    )


# ---------------------------------------------------------------------------------------------
# Item features
# ---------------------------------------------------------------------------------------------


def genre_multi_hot(genres: Iterable, genre_names: Sequence[str] | None = None) -> pd.DataFrame:
    """One 0/1 column per genre from "|"-joined genre strings.

    A film can have several genres ("Animation|Children's|Comedy"), so this is *multi*-hot:
    a row can have several ones. Missing or empty strings give a row of zeros.

    Parameters
    ----------
    genres:
        "|"-joined genre names, one string per item or interaction.
    genre_names:
        The genres to make columns for, in this order. ``None`` takes the genres that occur,
        sorted. To code test rows, pass the training genres (``BehaviourFeatures`` does):
        a genre not in the list is ignored.

    Returns
    -------
    pandas.DataFrame
        Columns ``genre_<name>`` of dtype int8, shape ``(n_rows, n_genres)``, same index as a
        Series input.
    """
    genre_series = _as_series(genres, "genres")
    if isinstance(genre_names, str) or not (genre_names is None or isinstance(genre_names, Iterable)):
        raise TypeError(f"genre_names must be a list of genre names or None, got {genre_names!r}.")
    indicators = genre_series.astype("string").fillna("").str.get_dummies(sep="|")
    if genre_names is None:
        genre_names = sorted(indicators.columns)
    indicators = indicators.reindex(columns=list(genre_names), fill_value=0).astype(np.int8)
    indicators.columns = [f"genre_{name}" for name in genre_names]
    return indicators


def item_popularity(train_ratings: pd.DataFrame, item_ids: Iterable | None = None) -> pd.Series:
    """How many training ratings each item has: a popularity feature.

    Count on the **training** ratings only. Counted on all ratings, an item's popularity would
    include the very test interactions we are trying to predict (and, with a time split, the
    future): a film that becomes a hit in the test period would look popular already at
    training time, and the model would seem better than it is.

    Parameters
    ----------
    train_ratings:
        Training ratings with an ``item_id`` column.
    item_ids:
        Items to report, for example all items of the test set. Items with no training rating
        get 0. ``None`` reports the items that appear in ``train_ratings``.

    Returns
    -------
    pandas.Series
        int64 counts indexed by ``item_id``, named ``"popularity"``. Models usually take
        ``numpy.log1p`` of it, because a few blockbusters have hundreds of times the median count.
    """
    require_columns(train_ratings, "train_ratings", ["item_id"])
    counts = train_ratings["item_id"].value_counts().sort_index()
    if item_ids is not None:
        wanted = pd.Index(pd.unique(_as_series(item_ids, "item_ids").to_numpy()))
        counts = counts.reindex(wanted, fill_value=0)
    counts = counts.astype(np.int64)
    counts.index.name = "item_id"
    counts.name = "popularity"
    return counts


# ---------------------------------------------------------------------------------------------
# Text features
# ---------------------------------------------------------------------------------------------


def _check_texts(texts: object, name: str) -> list[str]:
    if isinstance(texts, str):
        raise TypeError(f"{name} must be a list of texts, not a single str; wrap it: [{name}].")
    text_list = list(texts)
    missing = [position for position, text in enumerate(text_list) if not isinstance(text, str)]
    if missing:
        raise ValueError(
            f"{name} must contain only str; positions {missing[:5]} are not (missing review?). "
            "Fill them, for example with \"\"."
        )
    return text_list


def _keep_top_k_per_row(matrix: sp.csr_matrix, top_k: int) -> sp.csr_matrix:
    """Zero all but the ``top_k`` largest entries of each row (ties: lower column first)."""
    kept = matrix.tocsr(copy=True)
    for row in range(kept.shape[0]):
        start, end = kept.indptr[row], kept.indptr[row + 1]
        if end - start <= top_k:
            continue
        row_values = kept.data[start:end]
        row_columns = kept.indices[start:end]
        # lexsort sorts by the last key first: weight descending, then column ascending.
        order = np.lexsort((row_columns, -row_values))
        row_values[order[top_k:]] = 0.0
    kept.eliminate_zeros()
    return kept


class KeywordTfidf:
    """TF-IDF features over jieba tokens, fitted on training texts only.

    A thin wrapper around scikit-learn's ``TfidfVectorizer`` with the book's Chinese tokenizer
    (:func:`tutorial_lib.data.text.tokenize_for_model`: normalise, jieba precise mode, stop words
    removed). The vocabulary and the inverse document frequencies are learnt by :meth:`fit`;
    a word that appears only in test texts therefore has no column and is ignored by
    :meth:`transform`.

    Parameters
    ----------
    vocabulary_size:
        Keep the ``vocabulary_size`` words most frequent in the training texts
        (``max_features``); ``None`` keeps all.
    top_k:
        If set, keep only the ``top_k`` highest TF-IDF weights in each row (the text's
        keywords) and set the rest to 0. Rows are not re-normalised afterwards.
    min_df:
        Drop words found in fewer than ``min_df`` training texts.
    stopwords:
        ``None`` for the book's stop-word list, or your own collection.

    Attributes
    ----------
    vectorizer_ : sklearn.feature_extraction.text.TfidfVectorizer
        The fitted vectorizer.
    """

    def __init__(
        self,
        vocabulary_size: int | None = 1000,
        top_k: int | None = None,
        min_df: int = 1,
        stopwords: Iterable[str] | None = None,
    ) -> None:
        if vocabulary_size is not None:
            check_int(vocabulary_size, "vocabulary_size", min_val=1)
        if top_k is not None:
            check_int(top_k, "top_k", min_val=1)
        check_int(min_df, "min_df", min_val=1)
        self.vocabulary_size = vocabulary_size
        self.top_k = top_k
        self.min_df = min_df
        self.stopwords = None if stopwords is None else frozenset(stopwords)

    def _tokenizer(self):
        if self.stopwords is None:
            return tokenize_for_model
        # functools.partial of a module-level function can be pickled (joblib, multiprocessing).
        return functools.partial(tokenize_for_model, stopwords=self.stopwords)

    def fit(self, texts: Iterable[str]) -> KeywordTfidf:
        """Learn the vocabulary and IDF weights from training texts."""
        text_list = _check_texts(texts, "texts")
        self.vectorizer_ = TfidfVectorizer(
            tokenizer=self._tokenizer(),
            token_pattern=None,  # we tokenise ourselves; None stops sklearn warning that it is unused
            lowercase=False,  # normalize_text already lower-cases
            max_features=self.vocabulary_size,
            min_df=self.min_df,
        )
        self.vectorizer_.fit(text_list)
        return self

    def transform(self, texts: Iterable[str]) -> sp.csr_matrix:
        """TF-IDF matrix, shape ``(n_texts, n_words)``, float64 CSR, rows L2-normalised."""
        if not hasattr(self, "vectorizer_"):
            raise RuntimeError("This KeywordTfidf is not fitted yet; call fit(train_texts) first.")
        matrix = self.vectorizer_.transform(_check_texts(texts, "texts")).tocsr()
        if self.top_k is not None:
            matrix = _keep_top_k_per_row(matrix, self.top_k)
        return matrix

    def fit_transform(self, texts: Iterable[str]) -> sp.csr_matrix:
        """``fit(texts)`` then ``transform(texts)``."""
        text_list = _check_texts(texts, "texts")
        return self.fit(text_list).transform(text_list)

    def get_feature_names_out(self) -> np.ndarray:
        """The words, one per column, as an array of str."""
        if not hasattr(self, "vectorizer_"):
            raise RuntimeError("This KeywordTfidf is not fitted yet; call fit(train_texts) first.")
        return self.vectorizer_.get_feature_names_out()

    def keywords(self, texts: Iterable[str], k: int = 5) -> list[list[str]]:
        """The ``k`` highest-weighted words of each text (fewer if the text has fewer)."""
        k = check_int(k, "k", min_val=1)
        matrix = self.transform(texts)
        names = self.get_feature_names_out()
        result = []
        for row in range(matrix.shape[0]):
            start, end = matrix.indptr[row], matrix.indptr[row + 1]
            order = np.lexsort((matrix.indices[start:end], -matrix.data[start:end]))[:k]
            result.append([str(names[column]) for column in matrix.indices[start:end][order]])
        return result


def text_keyword_features(
    train_texts: Iterable[str],
    top_k: int | None = None,
    vocabulary_size: int | None = 1000,
) -> tuple[KeywordTfidf, sp.csr_matrix]:
    """Fit :class:`KeywordTfidf` on training texts; return it and the training matrix.

    Use the returned object's ``transform`` for validation and test texts, never a new fit.

    Returns
    -------
    keyword_tfidf : KeywordTfidf
        Fitted.
    train_matrix : scipy.sparse.csr_matrix of float64, shape (n_train_texts, n_words)
    """
    keyword_tfidf = KeywordTfidf(vocabulary_size=vocabulary_size, top_k=top_k)
    train_matrix = keyword_tfidf.fit_transform(train_texts)
    return keyword_tfidf, train_matrix


# ---------------------------------------------------------------------------------------------
# Fusion: one matrix from user, item and behaviour features
# ---------------------------------------------------------------------------------------------

#: Columns :class:`BehaviourFeatures` reads from the joined frame.
BEHAVIOUR_INPUT_COLUMNS = ("item_id", "age", "gender", "occupation", "zip_code", "year", "genres")
#: One-hot coded categorical features, in output order.
CATEGORICAL_FEATURES = ("gender", "occupation", "age_bucket", "zip_region")
#: Features that may appear in ``crosses``.
CROSSABLE_FEATURES = (*CATEGORICAL_FEATURES, "genre")


def _as_category_strings(values: pd.Series) -> np.ndarray:
    """Category values as a 2-D object array for OneHotEncoder, missing -> MISSING_LABEL."""
    return values.astype("string").fillna(MISSING_LABEL).to_numpy(dtype=object).reshape(-1, 1)


def _as_float_column(values: pd.Series) -> np.ndarray:
    """Numbers as a ``(n, 1)`` float64 array, missing (<NA>, NaN) -> NaN."""
    return pd.to_numeric(values).astype("float64").to_numpy().reshape(-1, 1)


def _cross_block(left: sp.csr_matrix, right: sp.csr_matrix) -> sp.csr_matrix:
    """All products ``left[:, i] * right[:, j]``, column ``i * n_right + j``.

    For one-hot / multi-hot inputs a product is 1 exactly when both indicators are 1, for
    example "gender_F and genre_Romance", which lets a linear model learn a separate weight for
    that combination.
    """
    left_dense_columns = left.toarray()  # one-hot blocks are narrow (a few dozen columns)
    products = [right.multiply(left_dense_columns[:, [i]]) for i in range(left.shape[1])]
    return sp.hstack(products, format="csr", dtype=np.float64)


class BehaviourFeatures(TransformerMixin, BaseEstimator):
    """Fuse user, item and popularity features of interactions into one numeric matrix.

    Input: the frame from :func:`join_interactions`, one row per (user, item) event.
    Output: a ``scipy.sparse.csr_matrix`` of float64, shape ``(n_rows, n_features)``. Sparse,
    because most columns are one-hot indicators and nearly all of them are 0 in any row;
    scikit-learn's linear models accept it as it is, and ``.toarray()`` gives a dense array for
    small frames or PyTorch.

    Columns, in this order (names from :meth:`get_feature_names_out`):

    1. ``gender_<level>``, ``occupation_<level>``, ``age_bucket_<label>`` (see
       :func:`age_bucket`), ``zip_region_<digit or other>`` (see :func:`zip_region`): one-hot.
    2. ``genre_<name>``: multi-hot (:func:`genre_multi_hot`).
    3. ``year``: release year, missing years filled with the training median, then
       standardised (training mean 0, standard deviation 1); ``year_missing``: 1 where the year
       was missing, so the model can tell a filled-in year from a real one.
    4. ``log_popularity``: ``log1p`` of the item's number of training interactions,
       standardised (only when ``include_popularity``).
    5. One block per entry of ``crosses``: products of the two features' indicator columns,
       named ``<left column>*<right column>``.

    Everything is learnt in :meth:`fit`, from the training frame only: category levels, genre
    names, the year median, scaler means and standard deviations, popularity counts. At
    :meth:`transform` time a category level not seen in training (a new occupation) gives a row
    of zeros in its block (``handle_unknown="ignore"``), an item not seen in training has
    popularity 0, and test values are scaled with the *training* mean and deviation, so a test
    set whose films are all newer shows up as positive ``year`` values instead of being centred
    away.

    Parameters
    ----------
    crosses:
        Pairs of feature names to cross, each from ``"gender"``, ``"occupation"``,
        ``"age_bucket"``, ``"zip_region"``, ``"genre"``; for example
        ``[("gender", "genre"), ("age_bucket", "genre")]``.
    include_popularity:
        Add the ``log_popularity`` column.
    popularity:
        Item popularity from :func:`item_popularity` on the training ratings. ``None`` counts
        the rows per ``item_id`` of the frame given to :meth:`fit` (the same thing when that
        frame holds the training ratings; pass it explicitly when the frame also holds sampled
        negative examples, which are not real interactions).
    age_edges:
        Boundaries for :func:`age_bucket`.

    Attributes
    ----------
    encoders_ : dict of str to sklearn.preprocessing.OneHotEncoder
        One fitted encoder per categorical feature.
    genre_names_ : list of str
        Genres seen in the training frame.
    year_imputer_ : sklearn.impute.SimpleImputer
        ``statistics_[0]`` is the training median year.
    year_scaler_, popularity_scaler_ : sklearn.preprocessing.StandardScaler
        ``mean_`` and ``scale_`` are the training mean and (population) standard deviation.
    popularity_ : pandas.Series
        Training interaction count per ``item_id``.
    feature_slices_ : dict of str to slice
        Which columns each block occupies, for example ``feature_slices_["genre"]``.
    """

    def __init__(
        self,
        crosses: Sequence[tuple[str, str]] = (),
        include_popularity: bool = True,
        popularity: pd.Series | None = None,
        age_edges: Sequence[int] = DEFAULT_AGE_EDGES,
    ) -> None:
        self.crosses = crosses
        self.include_popularity = include_popularity
        self.popularity = popularity
        self.age_edges = age_edges

    # -- validation --------------------------------------------------------------------------

    def _check_frame(self, frame: object) -> pd.DataFrame:
        return require_columns(
            frame,
            "frame",
            BEHAVIOUR_INPUT_COLUMNS,
            hint=" Build it with join_interactions(ratings, users, items).",
        )

    def _check_crosses(self) -> tuple[tuple[str, str], ...]:
        if isinstance(self.crosses, str) or not isinstance(self.crosses, Iterable):
            raise TypeError(f"crosses must be a list of feature-name pairs such as [('gender', 'genre')], got {self.crosses!r}.")
        checked = []
        for pair in self.crosses:
            if isinstance(pair, str) or not isinstance(pair, Sequence) or len(pair) != 2:
                raise ValueError(f"crosses must hold pairs of feature names such as ('gender', 'genre'); got {pair!r}.")
            left, right = pair
            for name in (left, right):
                if name not in CROSSABLE_FEATURES:
                    raise ValueError(f"crosses: unknown feature {name!r}; expected one of {list(CROSSABLE_FEATURES)}.")
            if left == right:
                raise ValueError(f"crosses: a feature cannot be crossed with itself; got {pair!r}.")
            checked.append((left, right))
        return tuple(checked)

    # -- the pieces --------------------------------------------------------------------------

    def _categorical_values(self, frame: pd.DataFrame) -> dict[str, np.ndarray]:
        """The four categorical features as (n, 1) object arrays."""
        return {
            "gender": _as_category_strings(frame["gender"]),
            "occupation": _as_category_strings(frame["occupation"]),
            "age_bucket": _as_category_strings(age_bucket(frame["age"], edges=self.age_edges)),
            "zip_region": _as_category_strings(zip_region(frame["zip_code"])),
        }

    def _levels_in_order(self, feature: str, values: np.ndarray) -> np.ndarray:
        """The levels seen in training, in a readable order for the column names.

        Age buckets keep their natural order ("<18", "18-24", ..., "56+") instead of the
        alphabetical one ("18-24", ..., "56+", "<18"); other features are sorted.
        """
        seen = set(values.ravel())
        if feature == "age_bucket":
            natural_order = [*_age_labels(tuple(self.age_edges)), MISSING_LABEL]
            levels = [label for label in natural_order if label in seen]
        else:
            levels = sorted(seen)
        return np.array(levels, dtype=object)

    def _log_popularity(self, frame: pd.DataFrame) -> np.ndarray:
        """``log1p`` of the training count of each row's item, (n, 1); unseen items count 0."""
        counts = frame["item_id"].map(self.popularity_).fillna(0)
        return np.log1p(counts.to_numpy(dtype=np.float64)).reshape(-1, 1)

    def _blocks(self, frame: pd.DataFrame) -> dict[str, sp.csr_matrix]:
        """Every feature block for ``frame``, computed with the fitted statistics."""
        blocks = {}
        for feature, values in self._categorical_values(frame).items():
            blocks[feature] = self.encoders_[feature].transform(values).tocsr()
        genres = genre_multi_hot(frame["genres"], genre_names=self.genre_names_)
        blocks["genre"] = sp.csr_matrix(genres.to_numpy(dtype=np.float64))

        year = _as_float_column(frame["year"])
        year_missing = np.isnan(year).astype(np.float64)
        year_scaled = self.year_scaler_.transform(self.year_imputer_.transform(year))
        blocks["year"] = sp.csr_matrix(np.hstack([year_scaled, year_missing]))

        if self.include_popularity:
            blocks["log_popularity"] = sp.csr_matrix(self.popularity_scaler_.transform(self._log_popularity(frame)))

        for left, right in self.crosses_:
            blocks[f"{left}*{right}"] = _cross_block(blocks[left], blocks[right])
        return blocks

    def _block_names(self) -> dict[str, list[str]]:
        names = {}
        for feature in CATEGORICAL_FEATURES:
            levels = self.encoders_[feature].categories_[0]
            names[feature] = [f"{feature}_{level}" for level in levels]
        names["genre"] = [f"genre_{name}" for name in self.genre_names_]
        names["year"] = ["year", "year_missing"]
        if self.include_popularity:
            names["log_popularity"] = ["log_popularity"]
        for left, right in self.crosses_:
            names[f"{left}*{right}"] = [f"{a}*{b}" for a in names[left] for b in names[right]]
        return names

    # -- the scikit-learn API ----------------------------------------------------------------

    def fit(self, frame: pd.DataFrame, y: object = None) -> BehaviourFeatures:
        """Learn every statistic from the training frame. ``y`` is ignored."""
        frame = self._check_frame(frame)
        if len(frame) == 0:
            raise ValueError("frame must have at least one row to fit on.")
        self.crosses_ = self._check_crosses()
        check_bool(self.include_popularity, "include_popularity")

        self.encoders_ = {}
        for feature, values in self._categorical_values(frame).items():
            # handle_unknown="ignore": a level first seen at transform time becomes all zeros.
            encoder = OneHotEncoder(
                categories=[self._levels_in_order(feature, values)],
                handle_unknown="ignore",
                dtype=np.float64,
            )
            self.encoders_[feature] = encoder.fit(values)

        self.genre_names_ = [name.removeprefix("genre_") for name in genre_multi_hot(frame["genres"]).columns]

        year = _as_float_column(frame["year"])
        if np.isnan(year).all():
            raise ValueError("frame['year'] is missing in every training row; cannot learn a median year.")
        self.year_imputer_ = SimpleImputer(strategy="median").fit(year)
        self.year_scaler_ = StandardScaler().fit(self.year_imputer_.transform(year))

        if self.popularity is None:
            self.popularity_ = item_popularity(frame)
        else:
            if not isinstance(self.popularity, pd.Series):
                raise TypeError("popularity must be a pandas Series from item_popularity(train_ratings), or None.")
            self.popularity_ = self.popularity
        if self.include_popularity:
            self.popularity_scaler_ = StandardScaler().fit(self._log_popularity(frame))

        names = self._block_names()
        self.feature_slices_ = {}
        start = 0
        for block, block_names in names.items():
            self.feature_slices_[block] = slice(start, start + len(block_names))
            start += len(block_names)
        all_names = [name for block_names in names.values() for name in block_names]
        self.feature_names_out_ = np.array(all_names, dtype=object)
        return self

    def transform(self, frame: pd.DataFrame) -> sp.csr_matrix:
        """The fused features of ``frame``, shape ``(len(frame), n_features)``, float64 CSR."""
        check_is_fitted(self, "encoders_")
        frame = self._check_frame(frame)
        blocks = self._blocks(frame)
        return sp.hstack(list(blocks.values()), format="csr", dtype=np.float64)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """One name per output column (array of str), in column order."""
        check_is_fitted(self, "feature_names_out_")
        return self.feature_names_out_.copy()
