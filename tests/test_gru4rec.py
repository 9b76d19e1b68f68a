"""GRU4Rec: padding layouts, the network on both GRUs, and learning a deterministic sequence."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch

from tutorial_lib.models import gru4rec
from tutorial_lib.models.gru4rec import GRU4RecConfig, GRU4RecNetwork, GRU4RecRecommender

TINY = GRU4RecConfig(embedding_dim=8, hidden_size=12, num_layers=1, dropout=0.0, max_len=6, epochs=40,
                     learning_rate=0.02, patience=40, batch_size=16)


def test_left_to_right_padded_by_hand():
    left = torch.tensor([[0, 0, 5, 6], [1, 2, 3, 4], [0, 0, 0, 0], [0, 0, 0, 9]])
    right, lengths = gru4rec.left_to_right_padded(left)
    assert right.tolist() == [[5, 6, 0, 0], [1, 2, 3, 4], [0, 0, 0, 0], [9, 0, 0, 0]]
    assert lengths.tolist() == [2, 4, 0, 1]
    with pytest.raises(ValueError, match="codes"):
        gru4rec.left_to_right_padded(torch.tensor([1, 2]))


def test_next_item_rows_pair_each_item_with_the_next():
    inputs, targets = gru4rec.next_item_rows([np.array([3, 1, 4, 1, 5]), np.array([7]), np.array([2, 6])], 3)
    assert inputs.tolist() == [[1, 4, 1], [2, 0, 0]]  # the last 3 pairs; the 1-item sequence dropped
    assert targets.tolist() == [[4, 1, 5], [6, 0, 0]]
    with pytest.raises(ValueError, match="sequences"):
        gru4rec.next_item_rows([np.array([1])], 3)


def _padded_batch():
    codes = torch.tensor([[3, 1, 4, 0, 0], [2, 7, 1, 8, 2], [5, 0, 0, 0, 0]])
    return codes, torch.tensor([3, 5, 1])


@pytest.mark.parametrize("output", gru4rec.OUTPUTS)
def test_by_hand_gru_gives_the_same_scores_as_nn_gru(output):
    torch.manual_seed(0)
    network = GRU4RecNetwork(9, 4, 5, num_layers=2, dropout=0.0, output=output).double().eval()
    by_hand = network.with_recurrent("by-hand")
    assert isinstance(by_hand.gru, gru4rec.RecurrentLayer)
    codes, lengths = _padded_batch()
    inside = torch.arange(codes.shape[1])[None, :] < lengths[:, None]
    torch.testing.assert_close(by_hand(codes)[inside], network(codes)[inside], rtol=1e-6, atol=1e-9)
    torch.testing.assert_close(by_hand.last_scores(codes, lengths), network.last_scores(codes, lengths),
                               rtol=1e-6, atol=1e-9)
    back = by_hand.with_recurrent("torch")
    torch.testing.assert_close(back.last_scores(codes, lengths), network.last_scores(codes, lengths),
                               rtol=0, atol=0)


def test_last_scores_read_the_state_after_the_last_item():
    torch.manual_seed(1)
    network = GRU4RecNetwork(9, 4, 5, output="linear").double().eval()
    codes, lengths = _padded_batch()
    every_position = network(codes)  # (batch, seq_len, n_items + 1)
    expected = every_position[torch.arange(3), lengths - 1]
    torch.testing.assert_close(network.last_scores(codes, lengths), expected, rtol=1e-12, atol=1e-12)
    # What the padding holds does not matter: a GRU only looks back.
    noisy = codes.clone()
    noisy[~(torch.arange(5)[None, :] < lengths[:, None])] = 6
    torch.testing.assert_close(network.last_scores(noisy, lengths), expected, rtol=1e-12, atol=1e-12)
    empty = network.last_scores(torch.zeros(1, 5, dtype=torch.long), torch.tensor([0]))
    torch.testing.assert_close(empty[0], network.scores(torch.zeros(5, dtype=torch.float64)))


def _cycle_log(n_users=30, n_items=8, length=6, seed=0):
    """Each user walks items 10..10 + n_items - 1 in a cycle from a random start.

    The next item is certain, and a user never sees an item twice (length <= n_items), so the
    held-out item is never among the training items the protocol excludes.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for user in range(n_users):
        start = int(rng.integers(n_items))
        for step in range(length):
            rows.append({"user_id": user, "item_id": 10 + (start + step) % n_items, "timestamp": step})
    return pd.DataFrame(rows)


def test_recommender_learns_a_deterministic_next_item():
    log = _cycle_log()
    last = log.groupby("user_id")["timestamp"].transform("max")
    train, held_out = log[log["timestamp"] < last], log[log["timestamp"] == last]
    model = GRU4RecRecommender(TINY, progress=False, seed=0, device="cpu")
    model.fit(train, items=np.arange(10, 18), valid=held_out)
    history = model.history_
    assert list(history.columns[:3]) == ["epoch", "loss", "valid_ndcg"]
    assert history["loss"].iloc[-1] < history["loss"].iloc[0] / 3
    best = history.attrs["best_epoch"]
    assert history["valid_ndcg"].iloc[0] < 1.0
    assert history.loc[history["epoch"] == best, "valid_ndcg"].item() == history["valid_ndcg"].max() == 1.0
    # From train, the top unseen item is the held-out one; reading one more moves it on.
    top = model.recommend_batch(held_out["user_id"].to_numpy(), k=1)[:, 0]
    assert np.array_equal(top, held_out["item_id"].to_numpy())
    longer = model.with_history(log)
    assert longer.network_ is model.network_
    top_next = longer.recommend_batch(held_out["user_id"].to_numpy(), k=1)[:, 0]
    assert np.array_equal(top_next, 10 + (held_out["item_id"].to_numpy() - 10 + 1) % 8)


def test_by_hand_recurrent_trains_to_the_same_weights():
    log = _cycle_log(n_users=8)
    config = dataclasses.replace(TINY, epochs=2, patience=2)
    fitted = {}
    for recurrent in gru4rec.RECURRENT_IMPLEMENTATIONS:
        fitted[recurrent] = GRU4RecRecommender(config, recurrent=recurrent, progress=False, seed=3,
                                               device="cpu").fit(log)
    np.testing.assert_allclose(fitted["by-hand"].history_["loss"], fitted["torch"].history_["loss"], rtol=1e-4)
    users = np.arange(8)
    items = np.arange(10, 18)
    np.testing.assert_allclose(fitted["by-hand"].score(users, items), fitted["torch"].score(users, items),
                               rtol=1e-4, atol=1e-5)


def test_bad_arguments_name_themselves():
    with pytest.raises(TypeError, match="config"):
        GRU4RecRecommender({"hidden_size": 3})
    with pytest.raises(ValueError, match="recurrent"):
        GRU4RecRecommender(TINY, recurrent="lstm")
    with pytest.raises(ValueError, match="output"):
        GRU4RecNetwork(5, 2, 3, output="softmax")
    with pytest.raises(ValueError, match="dropout"):
        GRU4RecNetwork(5, 2, 3, dropout=1.0)
    with pytest.raises(ValueError, match="n_items"):
        GRU4RecNetwork(0, 2, 3)
