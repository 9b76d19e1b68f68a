import numpy as np
import pytest
from sklearn.metrics.pairwise import cosine_similarity

from tutorial_lib.models.neighbourhood import cosine_similarity_rows


def test_matches_scikit_learn_with_missing_as_zero():
    rng = np.random.default_rng(0)
    ratings = rng.integers(1, 6, size=(8, 12)).astype(float)
    ratings[rng.random(ratings.shape) < 0.6] = np.nan
    expected = cosine_similarity(np.nan_to_num(ratings))
    np.testing.assert_allclose(cosine_similarity_rows(ratings), expected, atol=1e-12)


def test_hand_computed_pair():
    # (5, 4, 0, 1) . (4, 5, 2, 0) = 40; norms sqrt(42) and sqrt(45)
    similarity = cosine_similarity_rows([[5, 4, np.nan, 1], [4, 5, 2, np.nan]])
    assert similarity[0, 1] == pytest.approx(40 / np.sqrt(42 * 45))


def test_user_without_ratings_has_zero_similarity():
    similarity = cosine_similarity_rows([[1, 2], [np.nan, np.nan]])
    assert similarity[1].tolist() == [0.0, 0.0]


def test_bad_input():
    with pytest.raises(ValueError, match="2-D"):
        cosine_similarity_rows([1, 2, 3])
    with pytest.raises(ValueError, match="infinite"):
        cosine_similarity_rows([[1, np.inf]])
