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
        with pytest.raises(ValueError, match="epochs must be a positive integer"):
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
