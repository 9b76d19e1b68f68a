"""Item- and user-based top-N recommenders (tutorial_lib.models.neighbourhood), by hand and
against scikit-learn."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.metrics.pairwise import cosine_similarity

from tutorial_lib.models.neighbourhood import (
    ItemKNNRecommender,
    UserKNNRecommender,
    column_similarity_top_k,
)

SQRT_6 = np.sqrt(6.0)


@pytest.fixture
def interactions():
    # users 0, 1, 2; items 10 (A), 11 (B), 12 (C):
    # user 0: A B / user 1: A B C / user 2: B C
    return pd.DataFrame({"user_id": [0, 0, 1, 1, 1, 2, 2], "item_id": [10, 11, 10, 11, 12, 11, 12]})


def _matrix(interactions):
    rows = interactions["user_id"].to_numpy()
    columns = interactions["item_id"].to_numpy() - 10
    return sp.csr_matrix((np.ones(len(rows)), (rows, columns)), shape=(3, 3))


# ------------------------------------------------------------- similarities by hand
def test_item_cosine_by_hand(interactions):
    # A = {0, 1}, B = {0, 1, 2}, C = {1, 2}: cos(A, B) = 2 / sqrt(2 * 3), cos(A, C) = 1 / 2,
    # cos(B, C) = 2 / sqrt(3 * 2); the diagonal is left out.
    expected = [[0, 2 / SQRT_6, 0.5], [2 / SQRT_6, 0, 2 / SQRT_6], [0.5, 2 / SQRT_6, 0]]
    similarity = column_similarity_top_k(_matrix(interactions), "cosine")
    np.testing.assert_allclose(similarity.toarray(), expected, atol=1e-12)


def test_jaccard_and_asymmetric_cosine_by_hand(interactions):
    matrix = _matrix(interactions)
    # |A ∩ B| = 2, |A ∪ B| = 3; |A ∩ C| = 1, |A ∪ C| = 3; |B ∩ C| = 2, |B ∪ C| = 3.
    jaccard = [[0, 2 / 3, 1 / 3], [2 / 3, 0, 2 / 3], [1 / 3, 2 / 3, 0]]
    np.testing.assert_allclose(column_similarity_top_k(matrix, "jaccard").toarray(), jaccard)
    # asymmetry 1: n_ij / |U_i|, e.g. (A, B) = 2 / 2 but (B, A) = 2 / 3.
    asymmetric = column_similarity_top_k(matrix, "asymmetric_cosine", asymmetry=1.0).toarray()
    np.testing.assert_allclose(asymmetric, [[0, 1, 0.5], [2 / 3, 0, 2 / 3], [0.5, 1, 0]])
    # asymmetry 0.5 is the cosine of binary columns.
    np.testing.assert_allclose(
        column_similarity_top_k(matrix, "asymmetric_cosine").toarray(),
        column_similarity_top_k(matrix, "cosine").toarray(),
    )


def test_shrinkage_by_hand(interactions):
    # lambda = 1: (A, B) shares 2 users -> cos * 2/3; (A, C) shares 1 -> cos * 1/2.
    similarity = column_similarity_top_k(_matrix(interactions), shrinkage=1.0).toarray()
    assert similarity[0, 1] == pytest.approx(2 / SQRT_6 * 2 / 3)
    assert similarity[0, 2] == pytest.approx(0.5 * 0.5)


def test_top_k_keeps_the_largest_and_breaks_ties_by_index(interactions):
    similarity = column_similarity_top_k(_matrix(interactions), n_neighbours=1).toarray()
    # A: B (0.816) beats C (0.5); B: A and C tie at 0.816 -> A; C: B.
    np.testing.assert_allclose(similarity, [[0, 2 / SQRT_6, 0], [2 / SQRT_6, 0, 0], [0, 2 / SQRT_6, 0]])


# ------------------------------------------------------------- against scikit-learn
def _random_strengths(seed=0, shape=(60, 40), density=0.15):
    rng = np.random.default_rng(seed)
    matrix = sp.random(*shape, density=density, random_state=seed, format="csr")
    matrix.data = rng.uniform(0.5, 3.0, size=matrix.nnz)
    return matrix


def test_cosine_matches_scikit_learn_on_a_random_sparse_matrix():
    matrix = _random_strengths()
    expected = cosine_similarity(matrix.T)          # (n_columns, n_columns), dense
    np.fill_diagonal(expected, 0.0)
    ours = column_similarity_top_k(matrix, "cosine", block_size=7)
    np.testing.assert_allclose(ours.toarray(), expected, atol=1e-12)


def test_top_k_equals_sorting_the_dense_similarities():
    matrix = _random_strengths(seed=1)
    full = column_similarity_top_k(matrix).toarray()
    k = 5
    kept = column_similarity_top_k(matrix, n_neighbours=k, block_size=3).toarray()
    for row in range(full.shape[0]):
        order = np.lexsort((np.arange(full.shape[1]), -full[row]))[:k]
        order = order[full[row, order] > 0]
        np.testing.assert_array_equal(np.flatnonzero(kept[row]), np.sort(order))
        np.testing.assert_allclose(kept[row, order], full[row, order])


def test_blocks_do_not_change_the_result():
    matrix = _random_strengths(seed=2)
    for similarity in ("cosine", "jaccard", "asymmetric_cosine"):
        one_block = column_similarity_top_k(matrix, similarity, n_neighbours=4, shrinkage=2.0, block_size=1000)
        many_blocks = column_similarity_top_k(matrix, similarity, n_neighbours=4, shrinkage=2.0, block_size=1)
        np.testing.assert_allclose(one_block.toarray(), many_blocks.toarray())


# ------------------------------------------------------------- the recommenders
def test_item_knn_scores_by_hand(interactions):
    # user 0 has A and B: score(C) = sim(A, C) + sim(B, C) = 0.5 + 2/sqrt(6) with every neighbour.
    model = ItemKNNRecommender(n_neighbours=None).fit(interactions)
    assert model.score([0], [12])[0, 0] == pytest.approx(0.5 + 2 / SQRT_6)
    # With one neighbour per item C is neither A's (B) nor B's (A): it scores 0.
    model = ItemKNNRecommender(n_neighbours=1).fit(interactions)
    assert model.score([0], [12])[0, 0] == 0.0
    # user 2 has B and C: A is B's one neighbour, so score(A) = sim(B, A).
    assert model.score([2], [10])[0, 0] == pytest.approx(2 / SQRT_6)


def test_user_knn_scores_by_hand(interactions):
    # Users: 0 = {A, B}, 1 = {A, B, C}, 2 = {B, C}: cos(0, 1) = 2/sqrt(6), cos(0, 2) = 1/2.
    model = UserKNNRecommender(n_neighbours=None).fit(interactions)
    assert model.score([0], [12])[0, 0] == pytest.approx(2 / SQRT_6 + 0.5)
    model = UserKNNRecommender(n_neighbours=1).fit(interactions)   # user 0 keeps user 1 only
    assert model.score([0], [12])[0, 0] == pytest.approx(2 / SQRT_6)


def test_user_knn_uses_each_users_own_neighbours():
    # Users 0 = {A, B}, 1 = {A, B, C}, 2 = {B, C, D}, 3 = {D}; cosines:
    # (0, 1) = 2/sqrt(6), (0, 2) = 1/sqrt(6), (1, 2) = 2/3, (2, 3) = 1/sqrt(3), others 0.
    # With one neighbour each: 0 keeps 1 (0.816); 1 keeps 0 (0.816 > 0.667); 2 keeps 1
    # (0.667 > 0.577 > 0.408); 3 keeps 2. The kept similarities are not symmetric.
    frame = pd.DataFrame({"user_id": [0, 0, 1, 1, 1, 2, 2, 2, 3],
                          "item_id": ["A", "B", "A", "B", "C", "B", "C", "D", "D"]})
    model = UserKNNRecommender(n_neighbours=1).fit(frame)
    expected = np.zeros((4, 4))
    expected[0, 1] = expected[1, 0] = 2 / SQRT_6
    expected[2, 1] = 2 / 3
    expected[3, 2] = 1 / np.sqrt(3)
    np.testing.assert_allclose(model.similarity_.toarray(), expected)
    # User 3's score of C comes from user 2 (who has C), user 2's score of A from user 1.
    assert model.score([3], ["C"])[0, 0] == pytest.approx(1 / np.sqrt(3))
    assert model.score([2], ["A"])[0, 0] == pytest.approx(2 / 3)
    # User 1 keeps user 0, who lacks D: 0. (Row 1 of the transposed similarity would hold
    # user 2, who has D, and give 2/3.)
    assert model.score([1], ["D"])[0, 0] == 0.0


def test_item_knn_score_is_the_user_row_times_the_similarity():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"user_id": rng.integers(0, 30, 300), "item_id": rng.integers(0, 25, 300)})
    model = ItemKNNRecommender(n_neighbours=5, shrinkage=3.0).fit(frame)
    expected = model.interactions_.toarray() @ model.similarity_.toarray()
    np.testing.assert_allclose(model.score(model.user_ids_, model.item_ids_), expected)


@pytest.mark.parametrize("model_class", [ItemKNNRecommender, UserKNNRecommender])
def test_recommend_never_returns_a_seen_item(model_class):
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"user_id": rng.integers(0, 20, 200), "item_id": rng.integers(0, 15, 200)})
    model = model_class(n_neighbours=3).fit(frame, items=np.arange(18))
    lists = model.recommend_batch(model.user_ids_, k=5)
    for user, recommended in zip(model.user_ids_, lists):
        seen = set(frame.loc[frame["user_id"] == user, "item_id"])
        assert not seen & {item for item in recommended if item is not None}


def test_unseen_catalogue_items_score_zero(interactions):
    model = ItemKNNRecommender().fit(interactions, items=[10, 11, 12, 13])
    assert (model.score([0, 1, 2], [13]) == 0).all()


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="similarity"):
        ItemKNNRecommender(similarity="pearson")
    with pytest.raises(ValueError, match="n_neighbours"):
        UserKNNRecommender(n_neighbours=0)
    with pytest.raises(ValueError, match="shrinkage"):
        ItemKNNRecommender(shrinkage=-1.0)
    with pytest.raises(TypeError, match="matrix"):
        column_similarity_top_k(np.ones((2, 2)))
    with pytest.raises(ValueError, match="positive"):
        column_similarity_top_k(sp.csr_matrix(np.array([[1.0, -1.0]])))


@pytest.mark.parametrize("n_neighbours", [None, 1, 4])
def test_dense_and_sparse_selection_agree(monkeypatch, n_neighbours):
    # Ties included: binary columns give many equal similarities.
    rng = np.random.default_rng(5)
    matrix = sp.csr_matrix((rng.random((30, 20)) < 0.2).astype(float))
    from tutorial_lib.models import neighbourhood

    results = {}
    for name, share in [("dense", 0.0), ("sparse", 2.0)]:
        monkeypatch.setattr(neighbourhood, "DENSE_SHARE", share)
        results[name] = column_similarity_top_k(matrix, n_neighbours=n_neighbours, shrinkage=1.0, block_size=6)
    np.testing.assert_array_equal(results["dense"].toarray(), results["sparse"].toarray())
    if n_neighbours is not None:
        assert (results["dense"].getnnz(axis=1) <= n_neighbours).all()
