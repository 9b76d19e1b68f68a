"""item2vec: pairs, noise, the SGNS loss and its gradients by hand, training, and GloVe's loss."""

import math

import numpy as np
import pandas as pd
import pytest
import torch

from tutorial_lib.models import item2vec
from tutorial_lib.models.item2vec import Item2VecConfig, Item2VecRecommender


def test_skipgram_pairs_of_a_short_sequence():
    centres, contexts = item2vec.skipgram_pairs([np.array([7, 8, 9])], window=1)
    assert sorted(zip(centres.tolist(), contexts.tolist())) == [(7, 8), (8, 7), (8, 9), (9, 8)]
    centres, contexts = item2vec.skipgram_pairs([np.array([7, 8, 9]), np.array([1])], window=2)
    assert sorted(zip(centres.tolist(), contexts.tolist())) == [(7, 8), (7, 9), (8, 7), (8, 9), (9, 7), (9, 8)]


def test_behaviour_sequences_follow_time_then_item_id():
    frame = pd.DataFrame({"user_id": [1, 1, 1, 2], "item_id": [30, 10, 20, 10], "timestamp": [5, 9, 5, 1]})
    sequences = item2vec.behaviour_sequences(frame, np.array([10, 20, 30]))
    assert sequences[1].tolist() == [1, 2, 0]  # items 20 and 30 at time 5 (by id), then 10
    assert sequences[2].tolist() == [0]


def test_noise_distribution_is_count_to_the_three_quarters():
    noise = item2vec.noise_distribution([16, 1, 0, 81])
    expected = np.array([8, 1, 0, 27]) / 36  # 16**0.75 = 8, 81**0.75 = 27
    np.testing.assert_allclose(noise, expected)


def test_keep_probabilities():
    keep = item2vec.keep_probabilities([90, 10, 0], threshold=0.025)
    # f = 0.9 and 0.1: sqrt(0.025 / 0.9) = 1/6, sqrt(0.025 / 0.1) = 0.5
    np.testing.assert_allclose(keep, [1 / 6, 0.5, 1.0])


def test_sgns_loss_by_hand_on_one_pair():
    v = torch.tensor([[1.0, 2.0]])                # centre
    u = torch.tensor([[0.5, -1.0]])               # context: u . v = -1.5
    negatives = torch.tensor([[[1.0, 0.0], [0.0, -1.0]]])  # n . v = 1 and -2
    by_hand = -math.log(1 / (1 + math.exp(1.5))) - math.log(1 / (1 + math.exp(1.0))) - math.log(1 / (1 + math.exp(-2.0)))
    assert item2vec.sgns_loss(v, u, negatives).item() == pytest.approx(by_hand, rel=1e-6)


def test_sgns_gradients_match_autograd():
    torch.manual_seed(0)
    v = torch.randn(5, 3, dtype=torch.float64, requires_grad=True)
    u = torch.randn(5, 3, dtype=torch.float64, requires_grad=True)
    n = torch.randn(5, 4, 3, dtype=torch.float64, requires_grad=True)
    item2vec.sgns_loss(v, u, n).backward()
    by_hand = item2vec.sgns_gradients(v.detach(), u.detach(), n.detach())
    for autograd, hand in zip((v.grad, u.grad, n.grad), by_hand):
        torch.testing.assert_close(hand, autograd, rtol=1e-10, atol=1e-12)


def test_training_puts_co_occurring_items_together():
    # Two worlds: items 0-4 only ever appear with each other, and items 5-9 with each other.
    rng = np.random.default_rng(0)
    sequences = [rng.permutation(5) + (5 if user % 2 else 0) for user in range(60)]
    config = Item2VecConfig(embedding_dim=8, window=2, negatives=3, subsample_threshold=None, epochs=30,
                            batch_size=64, lr=0.02)
    model, losses = item2vec.train_skipgram(sequences, 10, config, seed=0)
    assert losses[-1] < losses[0]
    vectors = model.input_embeddings.weight.detach().numpy()
    for item in range(10):
        rows, _ = item2vec.cosine_nearest(vectors, item, 4)
        assert set((rows >= 5).tolist()) == {item >= 5}, item


def test_cosine_nearest_by_hand():
    vectors = np.array([[1.0, 0.0], [0.0, 2.0], [3.0, 3.0], [-1.0, 0.0]])
    rows, similarities = item2vec.cosine_nearest(vectors, 0, 3)
    assert rows.tolist() == [2, 1, 3]
    np.testing.assert_allclose(similarities, [1 / math.sqrt(2), 0.0, -1.0])


def test_the_recommender_scores_by_the_recent_items():
    frame = pd.DataFrame({
        "user_id": [1] * 5 + [2] * 5 + [3] * 5,
        "item_id": [0, 1, 2, 3, 4] * 2 + [5, 6, 7, 8, 9],
        "timestamp": list(range(15)),
    })
    config = Item2VecConfig(embedding_dim=4, window=2, negatives=2, subsample_threshold=None, epochs=2,
                            batch_size=8, n_recent=2)
    model = Item2VecRecommender(config, device="cpu", seed=0).fit(frame, items=np.arange(11))
    unit = model.item_vectors_ / np.linalg.norm(model.item_vectors_, axis=1, keepdims=True)
    profile = unit[[3, 4]].mean(axis=0)
    profile /= np.linalg.norm(profile)
    scores = model.score([1], np.arange(11))[0]
    np.testing.assert_allclose(scores[:10], unit[:10] @ profile, rtol=1e-9)
    assert scores[10] == -1.0  # item 10 never occurs in training
    assert not set(model.recommend(1, 5).tolist()) & {0, 1, 2, 3, 4}


def test_the_recommender_needs_timestamps():
    with pytest.raises(ValueError, match="timestamp"):
        Item2VecRecommender(device="cpu").fit(pd.DataFrame({"user_id": [1], "item_id": [2]}))


def test_glove_weight_and_loss_by_hand():
    np.testing.assert_allclose(item2vec.glove_weight([0, 10, 100, 500], x_max=100, alpha=0.5),
                               [0, math.sqrt(0.1), 1, 1])
    w = np.array([[1.0, 0.0], [0.0, 1.0]])
    w_tilde = np.array([[2.0, 1.0], [1.0, 1.0]])
    b, b_tilde = np.array([0.5, 0.0]), np.array([0.0, -1.0])
    x = np.array([[np.e, 0.0], [1.0, 200.0]])
    # (0,0): f(e) = (e/100)**.75, residual 2 + .5 + 0 - 1 = 1.5
    # (1,0): f(1) = (1/100)**.75, residual 1 + 0 + 0 - 0 = 1
    # (1,1): f(200) = 1, residual 1 + 0 - 1 - log 200
    expected = (np.e / 100) ** 0.75 * 1.5**2 + 0.01**0.75 * 1.0 + (math.log(200)) ** 2
    assert item2vec.glove_loss(w, w_tilde, b, b_tilde, x) == pytest.approx(expected)
    with pytest.raises(ValueError, match="shape"):
        item2vec.glove_loss(w, w_tilde, b[:1], b_tilde, x)


def test_bad_config_is_named():
    with pytest.raises(ValueError, match="window"):
        Item2VecConfig(window=0)
    with pytest.raises(ValueError, match="subsample_threshold"):
        Item2VecConfig(subsample_threshold=-1.0)
