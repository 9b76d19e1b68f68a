import numpy as np
import pytest
import scipy.sparse as sp
from scipy.stats import pearsonr
from sklearn.metrics import jaccard_score
from sklearn.metrics.pairwise import cosine_similarity

from tutorial_lib.models.neighbourhood import (
    cosine_similarity_rows,
    jaccard_similarity_rows,
    pearson_similarity_rows,
    predict_mean_centred,
    predict_weighted_average,
    row_means,
)


def _random_ratings(seed=0, shape=(8, 12), missing=0.5):
    rng = np.random.default_rng(seed)
    ratings = rng.integers(1, 6, size=shape).astype(float)
    ratings[rng.random(shape) < missing] = np.nan
    return ratings


def _as_sparse(ratings):
    # Unrated entries are simply not stored.
    rows, columns = np.nonzero(~np.isnan(ratings))
    return sp.csr_matrix((ratings[rows, columns], (rows, columns)), shape=ratings.shape)


# ---------------------------------------------------------------- cosine
def test_cosine_matches_scikit_learn_with_missing_as_zero():
    ratings = _random_ratings()
    expected = cosine_similarity(np.nan_to_num(ratings))
    np.testing.assert_allclose(cosine_similarity_rows(ratings), expected, atol=1e-12)
    np.testing.assert_allclose(cosine_similarity_rows(_as_sparse(ratings)), expected, atol=1e-12)


def test_cosine_hand_computed_pair():
    # (5, 4, 0, 1) . (4, 5, 2, 0) = 40; norms sqrt(42) and sqrt(45)
    similarity = cosine_similarity_rows([[5, 4, np.nan, 1], [4, 5, 2, np.nan]])
    assert similarity[0, 1] == pytest.approx(40 / np.sqrt(42 * 45))


def test_cosine_on_ratings_is_never_negative():
    ratings = _random_ratings(seed=3, shape=(20, 15))
    assert (cosine_similarity_rows(ratings) >= 0).all()


def test_user_without_ratings_has_zero_similarity():
    for similarity_rows in (cosine_similarity_rows, jaccard_similarity_rows, pearson_similarity_rows):
        similarity = similarity_rows([[1, 2, 3], [np.nan, np.nan, np.nan]])
        assert similarity[1].tolist() == [0.0, 0.0], similarity_rows.__name__


# ---------------------------------------------------------------- Pearson
def _pearson_by_scipy(ratings, min_common=2):
    n_rows = len(ratings)
    expected = np.zeros((n_rows, n_rows))
    for u in range(n_rows):
        for v in range(n_rows):
            common = ~np.isnan(ratings[u]) & ~np.isnan(ratings[v])
            x, y = ratings[u, common], ratings[v, common]
            if common.sum() >= min_common and x.std() > 0 and y.std() > 0:
                expected[u, v] = pearsonr(x, y).statistic
    return expected


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pearson_matches_scipy_on_co_rated_items(seed):
    ratings = _random_ratings(seed=seed, shape=(10, 14), missing=0.4)
    expected = _pearson_by_scipy(ratings)
    assert (expected < 0).any() and (expected > 0).any()  # the test covers both signs
    np.testing.assert_allclose(pearson_similarity_rows(ratings), expected, atol=1e-12)
    np.testing.assert_allclose(pearson_similarity_rows(_as_sparse(ratings)), expected, atol=1e-12)


def test_pearson_min_common():
    ratings = _random_ratings(seed=4, shape=(10, 14), missing=0.4)
    expected = _pearson_by_scipy(ratings, min_common=4)
    np.testing.assert_allclose(pearson_similarity_rows(ratings, min_common=4), expected, atol=1e-12)


def test_pearson_hand_computed_pair():
    # Co-rated items are the first three: (5, 3, 1) and (2, 3, 1), means 3 and 2.
    # Deviations (2, 0, -2) and (0, 1, -1): sum of products 2, norms sqrt(8) and sqrt(2).
    similarity = pearson_similarity_rows([[5, 3, 1, np.nan], [2, 3, 1, 4]])
    assert similarity[0, 1] == pytest.approx(2 / np.sqrt(8 * 2), abs=1e-12)


def test_pearson_sees_disagreement_that_cosine_cannot():
    # Opposite tastes on the same three items: cosine is high, Pearson is -1.
    ratings = [[5, 4, 3], [3, 4, 5]]
    assert cosine_similarity_rows(ratings)[0, 1] > 0.8
    assert pearson_similarity_rows(ratings)[0, 1] == pytest.approx(-1.0)


def test_pearson_constant_row_is_zero_not_nan():
    similarity = pearson_similarity_rows([[4, 4, 4], [1, 2, 3]])
    assert similarity[0, 1] == 0.0 and not np.isnan(similarity).any()


# ---------------------------------------------------------------- Jaccard
def test_jaccard_matches_scikit_learn_on_binarised_rows():
    ratings = _random_ratings(seed=5)
    rated = ~np.isnan(ratings)
    n_rows = len(ratings)
    expected = np.array([[jaccard_score(rated[u], rated[v]) for v in range(n_rows)]
                         for u in range(n_rows)])
    np.testing.assert_allclose(jaccard_similarity_rows(ratings), expected, atol=1e-12)
    np.testing.assert_allclose(jaccard_similarity_rows(_as_sparse(ratings)), expected, atol=1e-12)


def test_jaccard_hand_computed_and_ignores_values():
    # Rated sets {0, 1, 3} and {1, 2, 3}: intersection 2, union 4.
    similarity = jaccard_similarity_rows([[5, 1, np.nan, 2], [np.nan, 5, 5, 5]])
    assert similarity[0, 1] == pytest.approx(0.5)
    same_items = jaccard_similarity_rows([[5, 5], [1, 1]])
    assert same_items[0, 1] == 1.0


# ---------------------------------------------------------------- predictions
def _predict_by_loops(ratings, similarity, centred, n_neighbours=None):
    n_users, n_items = ratings.shape
    means = np.array([np.nanmean(row) for row in ratings])
    predictions = np.full(ratings.shape, np.nan)
    for u in range(n_users):
        for i in range(n_items):
            raters = [v for v in range(n_users) if v != u and not np.isnan(ratings[v, i])]
            if n_neighbours is not None:
                raters = sorted(raters, key=lambda v: -abs(similarity[u, v]))[:n_neighbours]
            weights = np.array([similarity[u, v] for v in raters])
            if centred:
                strength = np.abs(weights).sum()
                deviations = np.array([ratings[v, i] - means[v] for v in raters])
                adjustment = weights @ deviations / strength if strength > 0 else 0.0
                predictions[u, i] = means[u] + adjustment
            elif weights.sum() > 0:
                predictions[u, i] = weights @ ratings[raters, i] / weights.sum()
    return predictions


@pytest.mark.parametrize("n_neighbours", [None, 2])
def test_predictions_match_the_formulas_written_as_loops(n_neighbours):
    ratings = _random_ratings(seed=6, shape=(7, 9), missing=0.4)
    cosine = cosine_similarity_rows(ratings)
    pearson = pearson_similarity_rows(ratings)
    np.testing.assert_allclose(
        predict_weighted_average(ratings, cosine, n_neighbours=n_neighbours),
        _predict_by_loops(ratings, cosine, centred=False, n_neighbours=n_neighbours), atol=1e-12)
    np.testing.assert_allclose(
        predict_mean_centred(ratings, pearson, n_neighbours=n_neighbours),
        _predict_by_loops(ratings, pearson, centred=True, n_neighbours=n_neighbours), atol=1e-12)
    np.testing.assert_allclose(
        predict_mean_centred(_as_sparse(ratings), pearson, n_neighbours=n_neighbours),
        _predict_by_loops(ratings, pearson, centred=True, n_neighbours=n_neighbours), atol=1e-12)


def test_mean_centred_prediction_hand_computed():
    # User 0 (mean 3) has not rated item 2. User 1 (mean 2, similarity 0.5) rated it 3,
    # one above their mean; user 2 (mean 4, similarity -1) rated it 5, one above theirs.
    # Prediction: 3 + (0.5 * 1 + (-1) * 1) / (0.5 + 1) = 3 - 1/3.
    ratings = np.array([[4, 2, np.nan], [1, 2, 3], [3, 4, 5]], dtype=float)
    similarity = np.array([[1, 0.5, -1], [0.5, 1, 0], [-1, 0, 1]])
    assert predict_mean_centred(ratings, similarity)[0, 2] == pytest.approx(3 - 1 / 3)
    # The plain average cannot use a negative weight: with these weights the denominator
    # 0.5 - 1 is negative (NaN is returned); with |weights|, (0.5 * 3 + 5) / 1.5 = 13/3.
    assert np.isnan(predict_weighted_average(ratings, similarity)[0, 2])
    assert predict_weighted_average(ratings, np.abs(similarity))[0, 2] == pytest.approx(13 / 3)


def test_prediction_falls_back_to_user_mean_without_neighbours():
    ratings = np.array([[4, 2, np.nan], [1, 2, np.nan]], dtype=float)
    similarity = pearson_similarity_rows(ratings)
    assert predict_mean_centred(ratings, similarity)[0, 2] == pytest.approx(3.0)
    assert np.isnan(predict_weighted_average(ratings, cosine_similarity_rows(ratings))[0, 2])


def test_row_means():
    np.testing.assert_allclose(row_means([[1, np.nan, 3], [np.nan, np.nan, np.nan]]), [2, np.nan])
    np.testing.assert_allclose(row_means(_as_sparse(np.array([[1, np.nan, 3.0]]))), [2.0])


# ---------------------------------------------------------------- bad input
def test_bad_input():
    for similarity_rows in (cosine_similarity_rows, jaccard_similarity_rows, pearson_similarity_rows):
        with pytest.raises(ValueError, match="matrix must be 2-D"):
            similarity_rows([1, 2, 3])
        with pytest.raises(ValueError, match="infinite"):
            similarity_rows([[1, np.inf]])
    with pytest.raises(ValueError, match="not stored"):
        cosine_similarity_rows(sp.csr_matrix(np.array([[np.nan, 1.0]])))
    with pytest.raises(ValueError, match="min_common"):
        pearson_similarity_rows([[1, 2], [2, 1]], min_common=1)
    ratings = [[1, 2], [2, 1]]
    with pytest.raises(ValueError, match="similarity must have shape"):
        predict_mean_centred(ratings, np.eye(3))
    with pytest.raises(ValueError, match="n_neighbours"):
        predict_weighted_average(ratings, np.eye(2), n_neighbours=0)
    with pytest.raises(ValueError, match="similarity must be finite"):
        predict_mean_centred(ratings, np.array([[1, np.nan], [np.nan, 1]]))
