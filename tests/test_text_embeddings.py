"""Pooling, cosine similarity, neighbour agreement and the content recommender on vectors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse
from sklearn.metrics.pairwise import cosine_similarity as sklearn_cosine

torch = pytest.importorskip("torch")

from tutorial_lib.data.wordpiece import WordPieceTokenizer  # noqa: E402
from tutorial_lib.models.content import ContentRecommender  # noqa: E402
from tutorial_lib.models.text_embeddings import (  # noqa: E402
    VectorContentRecommender,
    cls_pooling,
    cosine_similarity,
    embed_texts,
    mean_pooling,
    neighbour_agreement,
)

ITEMS = pd.DataFrame({
    "item_id": [1, 2, 3, 4],
    "title": ["Alpha (1995)", "Beta (1995)", "Alpha Beta (1996)", "Gamma (1997)"],
    "genres": ["Comedy", "Drama", "Comedy", "Drama|Comedy"],
})


@pytest.fixture(scope="module")
def tiny_encoder():
    """A tiny random transformers BertModel (embed_texts takes ours or theirs alike)."""
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    config = transformers.BertConfig(
        vocab_size=21128, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=64,
    )
    return transformers.BertModel(config).eval()


def test_pooling_by_hand():
    hidden = torch.arange(2 * 3 * 2, dtype=torch.float32).reshape(2, 3, 2)
    mask = torch.tensor([[1, 1, 0], [1, 1, 1]])
    torch.testing.assert_close(cls_pooling(hidden, mask), hidden[:, 0])
    expected = torch.stack([hidden[0, :2].mean(0), hidden[1].mean(0)])
    torch.testing.assert_close(mean_pooling(hidden, mask), expected)
    with pytest.raises(ValueError, match="attention_mask"):
        mean_pooling(hidden, mask[:, :2])


@pytest.mark.parametrize("pooling", ["mean", "cls"])
def test_a_text_gets_the_same_vector_alone_or_in_a_padded_batch(tiny_encoder, pooling):
    tokenizer = WordPieceTokenizer()
    texts = ["好", "这个手机很好用，电池也耐用，屏幕清楚，价格便宜"]
    together = embed_texts(tiny_encoder, tokenizer, texts, pooling=pooling, batch_size=2)
    alone = embed_texts(tiny_encoder, tokenizer, texts[:1], pooling=pooling)
    assert together.shape == (2, 16)
    np.testing.assert_allclose(together[0], alone[0], atol=1e-5)
    # Without the mask, padding would change the short text's mean vector.
    if pooling == "mean":
        encoded = tokenizer.batch_encode(texts)
        with torch.no_grad():
            hidden = tiny_encoder(input_ids=torch.from_numpy(encoded["input_ids"])).last_hidden_state
        unmasked_mean = hidden[0].mean(0).numpy()
        assert not np.allclose(unmasked_mean, alone[0], atol=1e-3)


def test_cosine_similarity_matches_scikit_learn():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(5, 7)), rng.normal(size=(3, 7))
    np.testing.assert_allclose(cosine_similarity(a, b), sklearn_cosine(a, b), atol=1e-12)
    np.testing.assert_allclose(cosine_similarity(scipy.sparse.csr_matrix(a)), sklearn_cosine(a), atol=1e-12)
    with_zero = np.vstack([a, np.zeros(7)])
    assert (cosine_similarity(with_zero)[-1] == 0).all()
    with pytest.raises(ValueError, match="vectors_b"):
        cosine_similarity(a, b[:, :3])


def test_neighbour_agreement():
    rng = np.random.default_rng(0)
    centres = np.eye(3) * 10
    labels = np.repeat([0, 1, 2], 20)
    clustered = centres[labels] + rng.normal(size=(60, 3))
    assert neighbour_agreement(clustered, labels, n_neighbours=5) == 1.0
    random_vectors = rng.normal(size=(600, 8))
    random_labels = rng.integers(0, 2, size=600)
    assert abs(neighbour_agreement(random_vectors, random_labels, n_neighbours=10) - 0.5) < 0.05
    with pytest.raises(ValueError, match="labels"):
        neighbour_agreement(clustered, labels[:10])
    with pytest.raises(ValueError, match="n_neighbours"):
        neighbour_agreement(clustered, labels, n_neighbours=60)


def test_on_tfidf_vectors_it_is_chapter_7s_content_recommender():
    frame = pd.DataFrame({"user_id": [7, 7, 8], "item_id": [1, 2, 4], "rating": [5.0, 1.0, 3.0]})
    tfidf = ContentRecommender(ITEMS, weight_col="rating").fit(frame, items=[1, 2, 3, 4])
    vectors = pd.DataFrame(tfidf.item_profiles_.toarray(), index=tfidf.item_ids_)
    dense = VectorContentRecommender(vectors, weight_col="rating").fit(frame, items=[1, 2, 3, 4])
    np.testing.assert_allclose(dense.score([7, 8], [1, 2, 3, 4]), tfidf.score([7, 8], [1, 2, 3, 4]), atol=1e-12)
    assert dense.recommend(7, 2).tolist() == tfidf.recommend(7, 2).tolist()


def test_profiles_by_hand_and_missing_vectors():
    vectors = pd.DataFrame([[3.0, 4.0], [0.0, 2.0], [1.0, 0.0]], index=[10, 20, 30])
    frame = pd.DataFrame({"user_id": [1, 1], "item_id": [10, 20]})
    model = VectorContentRecommender(vectors).fit(frame, items=[10, 20, 30, 40])
    mean = (np.array([0.6, 0.8]) + np.array([0.0, 1.0])) / 2
    np.testing.assert_allclose(model.user_profiles_[0], mean / np.linalg.norm(mean))
    scores = model.score([1], [30, 40])[0]
    np.testing.assert_allclose(scores, [mean[0] / np.linalg.norm(mean), 0.0])
    assert model.recommend(1, 2).tolist() == [30, 40]
    with pytest.raises(ValueError, match="item_vectors"):
        VectorContentRecommender(pd.DataFrame([[1.0]], index=[1, 1][:1]).iloc[:0])
    with pytest.raises(ValueError, match="item_vectors"):
        VectorContentRecommender(pd.DataFrame([[1.0], [2.0]], index=[1, 1]))
