import math
import numbers
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse
import torch

from tutorial_lib import validation


def test_require_columns_names_what_is_missing():
    frame = pd.DataFrame({"a": [1]})
    assert validation.require_columns(frame, "ratings", ["a"]) is frame
    with pytest.raises(ValueError, match=r"ratings is missing required column\(s\) \['b'\]"):
        validation.require_columns(frame, "ratings", ["a", "b"])
    with pytest.raises(TypeError, match="ratings must be a pandas DataFrame"):
        validation.require_columns([1], "ratings", ["a"])
    with pytest.raises(ValueError, match="ratings is empty"):
        validation.require_columns(frame.iloc[:0], "ratings", ["a"], allow_empty=False)


def test_feature_matrix_accepts_dense_sparse_and_tensors():
    dense = validation.as_feature_matrix([[1, 2], [3, 4]])
    assert dense.dtype == np.float64 and dense.shape == (2, 2)
    sparse = validation.as_feature_matrix(scipy.sparse.eye(3, format="coo"), dtype=np.float32)
    assert scipy.sparse.isspmatrix_csr(sparse) and sparse.dtype == np.float32
    from_tensor = validation.as_feature_matrix(torch.ones(2, 3))
    assert isinstance(from_tensor, np.ndarray) and from_tensor.shape == (2, 3)


@pytest.mark.parametrize(
    "bad, message",
    [([1, 2, 3], "must be 2-D"), (np.zeros((0, 3)), "is empty"), ([[1, np.nan]], "NaN or infinite"), ([["a"]], "array of numbers")],
)
def test_feature_matrix_rejects(bad, message):
    with pytest.raises((ValueError, TypeError), match=message):
        validation.as_feature_matrix(bad, "X_train")


def test_label_vector():
    np.testing.assert_array_equal(validation.as_label_vector([0, 1, 1], 3), [0.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="different lengths"):
        validation.as_label_vector([0, 1], 3)
    with pytest.raises(ValueError, match="only 0 and 1"):
        validation.as_label_vector([0, 2], 2, "clicked")
    assert validation.as_label_vector([0.5, 2.0], 2, binary=False).tolist() == [0.5, 2.0]


def test_score_vector_and_small_checks():
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
        validation.as_score_vector([0.2, 1.5], "y_score", probabilities=True)
    assert validation.as_score_vector([0.2, 1.5], "y_score", probabilities=False).dtype == np.float64
    with pytest.raises(ValueError, match="same length"):
        validation.check_same_length([1], [1, 2], "y_true", "y_score")
    assert validation.check_positive_int(np.int64(3), "epochs") == 3
    for bad in (0, True, 2.5):
        with pytest.raises(ValueError, match="epochs must be an integer >= 1"):
            validation.check_positive_int(bad, "epochs")


def test_read_only_input_becomes_a_writable_copy():
    # pandas 3's DataFrame.to_numpy() can return a read-only view; torch.from_numpy warns on it.
    frozen = np.ones((3, 2))
    frozen.flags.writeable = False
    matrix = validation.as_feature_matrix(frozen)
    assert matrix.flags.writeable
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        torch.from_numpy(matrix)


# ---------------------------------------------------------------------------------------------
# check_scalar and its shorthands
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "kwargs", "error", "message"),
    [
        (True, {"target_type": numbers.Integral}, TypeError, r"max_iter must be an integer, got True \(bool\)"),
        (np.True_, {"target_type": numbers.Real}, TypeError, "max_iter must be a real number"),
        (2.5, {"target_type": numbers.Integral}, TypeError, "max_iter must be an integer"),
        ("3", {"target_type": numbers.Integral}, TypeError, "max_iter must be an integer"),
        (math.nan, {"target_type": numbers.Real}, ValueError, "max_iter must be a real number, got NaN"),
        (0, {"target_type": numbers.Integral, "min_val": 1}, ValueError, "max_iter must be an integer >= 1, got 0"),
        (1.0, {"target_type": numbers.Real, "min_val": 0, "max_val": 1, "include_boundaries": "left"},
         ValueError, r"in \[0, 1\)"),
        (0.0, {"target_type": numbers.Real, "min_val": 0, "include_boundaries": "neither"}, ValueError, "> 0"),
        (5, {"target_type": numbers.Integral, "max_val": 4}, ValueError, "<= 4"),
    ],
)
def test_check_scalar_rejects_with_name_type_and_bounds(value, kwargs, error, message):
    with pytest.raises(error, match=message):
        validation.check_scalar(value, "max_iter", **kwargs)


def test_check_scalar_errors_are_both_type_and_value_errors():
    # A wrong type is a TypeError (as in scikit-learn) that callers catching ValueError see too.
    with pytest.raises(validation.ArgumentTypeError) as caught:
        validation.check_int(True, "max_iter")
    assert isinstance(caught.value, TypeError) and isinstance(caught.value, ValueError)
    with pytest.raises(ValueError, match="include_boundaries"):
        validation.check_scalar(1, "x", numbers.Integral, include_boundaries="all")


def test_check_scalar_accepts_numpy_scalars_and_bounds():
    assert validation.check_scalar(np.int32(3), "k", numbers.Integral, min_val=3) == 3
    assert validation.check_int(np.int64(7), "k") == 7 and type(validation.check_int(np.int64(7), "k")) is int
    assert validation.check_real(3, "lr") == 3.0 and type(validation.check_real(3, "lr")) is float
    assert validation.check_real(np.inf, "C", min_val=0, include_boundaries="neither", allow_infinite=True) == np.inf
    with pytest.raises(ValueError, match="lr must be a finite real number"):
        validation.check_real(np.inf, "lr")
    assert validation.check_probability(0.0, "p") == 0.0 and validation.check_probability(1, "p") == 1.0
    with pytest.raises(ValueError, match=r"p must be a real number in \(0, 1\)"):
        validation.check_probability(1.0, "p", include_boundaries="neither")
    assert validation.check_scalar(True, "flag", bool) is True


def test_check_bool_and_check_choice():
    assert validation.check_bool(np.False_, "shuffle") is False
    for bad in (1, "yes", None):
        with pytest.raises(TypeError, match="shuffle must be True or False"):
            validation.check_bool(bad, "shuffle")
    assert validation.check_choice("post", "truncating", ("post", "pre")) == "post"
    for bad in ("middle", 1, None, np.array(["post"])):
        with pytest.raises(ValueError, match="truncating must be one of 'post', 'pre'"):
            validation.check_choice(bad, "truncating", ("post", "pre"))


@pytest.mark.parametrize("empty", ["", "   ", Path(""), "."])
def test_check_path_rejects_paths_that_mean_the_current_folder(empty):
    with pytest.raises(ValueError, match="cache_dir must be a non-empty path"):
        validation.check_path(empty, "cache_dir")


def test_check_path_accepts_paths_and_rejects_other_types(tmp_path):
    assert validation.check_path(str(tmp_path), "cache_dir") == tmp_path
    assert validation.check_path(tmp_path / "sub", "cache_dir") == tmp_path / "sub"
    with pytest.raises(TypeError, match="cache_dir must be a path"):
        validation.check_path(3, "cache_dir")


# ---------------------------------------------------------------------------------------------
# Arrays
# ---------------------------------------------------------------------------------------------
def test_check_binary_labels():
    np.testing.assert_array_equal(validation.check_binary_labels([0, 1, 1], "y"), [0, 1, 1])
    assert validation.check_binary_labels(torch.tensor([[0.0, 1.0]]), "labels").shape == (1, 2)
    assert validation.check_binary_labels([True, False], "y").tolist() == [True, False]
    for bad, message in (([-2, 3], r"found e.g. \[-2, 3\]"), ([0.0, np.nan], "NaN"), (["0", "1"], "dtype"), ([], "empty")):
        with pytest.raises(ValueError, match=message):
            validation.check_binary_labels(bad, "y")


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ([1.7, 2], "got floats"),
        ([2.0, 3.0], "got floats"),
        ([-5, 2], "found -5"),
        ([np.nan], "got floats"),
        ([True, False], "got booleans"),
        (["a"], "dtype"),
        (pd.Series([1, None], dtype="Int64"), "missing"),
        ("12", "not a single str"),
    ],
)
def test_check_ids_rejects_what_is_not_a_non_negative_integer(bad, message):
    with pytest.raises(ValueError, match=message):
        validation.check_ids(bad, "sequence")


def test_check_ids_returns_int64():
    ids = validation.check_ids(np.array([3, 0, 2], dtype=np.uint8), "ids")
    assert ids.dtype == np.int64 and ids.tolist() == [3, 0, 2]
    assert validation.check_ids([], "ids").dtype == np.int64
    assert validation.check_ids(pd.Series([4, 5], dtype="Int64"), "ids").tolist() == [4, 5]


def test_check_timestamps():
    numbers_ok = pd.Series([3, 1, 2])
    assert validation.check_timestamps(numbers_ok, "t") is numbers_ok
    validation.check_timestamps(pd.to_datetime(pd.Series(["2024-01-09", "2024-01-10"])), "t")
    validation.check_timestamps(pd.Series(pd.to_datetime(["2024-01-09"]).tz_localize("UTC")), "t")
    validation.check_timestamps(np.array([1.5, 2.5]), "t")
    for bad in (["2024-01-10", "2024-01-9"], pd.Series([1, "2"], dtype=object), [True, False]):
        with pytest.raises(TypeError, match=r"t must hold times.*pd.to_datetime"):
            validation.check_timestamps(bad, "t")
    for bad in ([1.0, np.nan], pd.to_datetime(pd.Series(["2024-01-09", None])), pd.Series([1, None], dtype="Int64")):
        with pytest.raises(ValueError, match="missing"):
            validation.check_timestamps(bad, "t")
    with pytest.raises(ValueError, match="infinite"):
        validation.check_timestamps([1.0, np.inf], "t")


# ---------------------------------------------------------------------------------------------
# Found by calling the public functions with bad input (a sweep over wrong types, NaN, empty
# and negative values): each of these returned silently or failed deep inside without naming
# the argument.
# ---------------------------------------------------------------------------------------------
def _fixture_interactions() -> pd.DataFrame:
    from tutorial_lib.data import datasets, features

    registry = datasets.fixture_registry()
    return features.join_interactions(
        datasets.load_movielens_ratings(registry=registry),
        datasets.load_movielens_users(registry=registry),
        datasets.load_movielens_items(registry=registry),
    )


def _sweep_cases():
    from tutorial_lib.data import features, splits, text
    from tutorial_lib.models import logistic, logistic_torch, neighbourhood

    frame = pd.DataFrame({"text": ["a", "b"], "label": [0, 1]})
    X, y = np.eye(4), np.array([0, 1, 0, 1])
    return [
        (lambda: text.normalize_text("ＡＢＣ", lowercase="no"), "lowercase must be True or False"),
        (lambda: text.normalize_text("ＡＢＣ", to_halfwidth=0), "to_halfwidth must be True or False"),
        (lambda: text.pos_tag("我爱北京", hmm=None), "hmm must be True or False"),
        (lambda: text.add_user_words(None), "words must be a list of words"),
        (lambda: text.pad_sequences(None, max_len=2), "sequences must be a list of id sequences"),
        (lambda: text.pad_sequences([5], max_len=2), r"sequences\[0\] must be a flat sequence"),
        (lambda: splits.deduplicate_reviews(frame, return_report="yes"), "return_report must be True or False"),
        (lambda: features.one_hot_ids(None, n=3), "indices"),
        (lambda: features.one_hot_ids("", n=3), "indices must be an array or list"),
        (lambda: features.age_bucket([20], edges=None), "edges must be a sequence"),
        (lambda: features.age_bucket([20], edges=(18, True)), r"edges\[1\] must be an integer"),
        (lambda: features.genre_multi_hot(["A|B"], genre_names=3), "genre_names must be a list"),
        (lambda: features.BehaviourFeatures(crosses="gender").fit(_fixture_interactions()), "crosses must be a list"),
        (lambda: features.KeywordTfidf(min_df=0), "min_df must be an integer >= 1"),
        (lambda: logistic.sigmoid(None), "z must be a number"),
        (lambda: logistic.logit("x", [1.0], 0.0), "coefficients must be a 1-D sequence"),
        (lambda: logistic.LogisticRegression(max_iter=True).fit(X, y), "max_iter must be an integer"),
        (lambda: logistic_torch.fit_torch_logistic(X, y, max_iter=True), "max_iter must be an integer"),
        (lambda: logistic_torch.fit_torch_logistic(X, y, tol=np.nan), "tol must be a real number"),
        (lambda: neighbourhood.cosine_similarity_rows("x"), "matrix must be a 2-D array"),
    ]


@pytest.mark.parametrize("case", range(len(_sweep_cases())))
def test_bad_input_found_by_the_sweep_names_the_argument(case):
    call, message = _sweep_cases()[case]
    with pytest.raises((TypeError, ValueError), match=message):
        call()
