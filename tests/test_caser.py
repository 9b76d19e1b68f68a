"""Caser: its convolutions are the by-hand ones, it learns a cyclic log, and it plugs into the protocol."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch

from tutorial_lib.evaluation.protocols import evaluate_top_n, leave_last_out_split
from tutorial_lib.models import convolution
from tutorial_lib.models.caser import CaserConfig, CaserNetwork, CaserRecommender

torch.set_num_threads(1)

CYCLE = np.array([10, 20, 30, 40, 50, 60, 70, 80])
CATALOGUE = np.append(CYCLE, 90)  # item 90 is never seen


def cyclic_log(n_users: int = 30) -> pd.DataFrame:
    """User u walks the cycle from position u mod 8 for 8 to 10 steps, one step per time unit."""
    rows = []
    for user in range(n_users):
        for step in range(8 + user % 3):
            rows.append((user, CYCLE[(user + step) % len(CYCLE)], 100 * user + step))
    return pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"])


def small_config(**changes):
    settings = dict(epochs=30, patience=None, batch_size=32, learning_rate=0.02, weight_decay=0.0, window=3,
                    n_targets=2, embedding_dim=8, n_vertical=2, n_horizontal=3, dropout=0.0, n_bootstrap=10)
    settings.update(changes)
    return CaserConfig(**settings)


def test_the_convolutions_are_the_by_hand_ones():
    torch.manual_seed(0)
    network = CaserNetwork(4, 9, window=3, embedding_dim=5, n_vertical=2, n_horizontal=3, dropout=0.0).double()
    inputs = torch.tensor([[0, 3, 7], [1, 2, 9]])
    image = network.item_embedding(inputs).unsqueeze(1)  # (batch, 1, L, d)
    # Vertical filter v: a weighted sum of the L rows, w[v, l] * E[l, :], plus its bias.
    weights = network.vertical.weight[:, 0, :, 0]  # (n_v, L)
    by_hand_vertical = torch.einsum("vl,bld->bvd", weights, image[:, 0]) + network.vertical.bias[None, :, None]
    assert torch.allclose(network.vertical(image)[:, :, 0, :], by_hand_vertical, atol=1e-6)
    for height, layer in zip(range(1, 4), network.horizontal):
        by_hand = convolution.conv2d_loops(image, layer.weight, layer.bias)  # (batch, n_h, L - h + 1, 1)
        assert by_hand.shape == (2, 3, 3 - height + 1, 1)
        assert torch.allclose(layer(image), by_hand, atol=1e-6)
    # The padding code has a zero embedding.
    assert torch.equal(network.item_embedding.weight[0], torch.zeros(5, dtype=torch.float64))
    scores = network(inputs, torch.tensor([0, 3]))
    assert scores.shape == (2, 10)


def test_network_rejects_a_wrong_window():
    network = CaserNetwork(2, 5, window=3, embedding_dim=4, n_vertical=1, n_horizontal=1, dropout=0.0)
    with pytest.raises(ValueError, match=r"inputs must have shape \(batch, 3\)"):
        network(torch.zeros(2, 4, dtype=torch.long), torch.zeros(2, dtype=torch.long))


@pytest.fixture(scope="module")
def fitted():
    split = leave_last_out_split(cyclic_log(), item_ids=CATALOGUE)
    model = CaserRecommender(small_config(), progress=False, seed=0, device="cpu")
    model.fit(split.train, items=split.item_ids, valid=split.valid)
    return split, model


def test_caser_learns_a_cycle_and_keeps_the_best_epoch(fitted):
    split, model = fitted
    history = model.history_
    assert history["valid_ndcg"].max() > 0.9
    best = history.attrs["best_epoch"]
    assert history.loc[history["epoch"] == best, "valid_ndcg"].item() == history["valid_ndcg"].max()
    valid = evaluate_top_n(model, split, target="valid")
    assert valid["ndcg@10"].mean() == pytest.approx(history["valid_ndcg"].max())
    assert model.n_windows_ > len(split.valid)


def test_with_history_reads_the_longer_sequence_and_shares_the_network(fitted):
    split, model = fitted
    scorer = model.with_history(pd.concat([split.train, split.valid]))
    assert scorer.network_ is model.network_
    test = evaluate_top_n(scorer, split, target="test")
    assert test["hr@10"].mean() == 1.0 and test["rank"].mean() < 1.5
    # Each reads its own sequence: the same users get other scores.
    users = split.test["user_id"].to_numpy()
    assert not np.allclose(model.score(users, split.item_ids), scorer.score(users, split.item_ids))
    assert evaluate_top_n(model, split, target="valid")["rank"].mean() < 1.5


def test_scores_cover_the_catalogue_without_the_padding_column(fitted):
    split, model = fitted
    scores = model.score(split.user_ids[:4], split.item_ids)
    assert scores.shape == (4, len(CATALOGUE))
    column_of_unseen = list(split.item_ids).index(90)
    assert (scores[:, column_of_unseen] < scores.max(axis=1)).all()
    one = model.score(split.user_ids[2:3], split.item_ids)
    assert np.allclose(one[0], scores[2])  # batching does not change a user's scores


def test_training_is_reproducible():
    split = leave_last_out_split(cyclic_log(12), item_ids=CATALOGUE)
    runs = [
        CaserRecommender(small_config(epochs=2), progress=False, seed=5, device="cpu").fit(
            split.train, items=split.item_ids, valid=split.valid).history_["loss"].to_numpy()
        for _ in range(2)
    ]
    assert np.array_equal(runs[0], runs[1])


def test_bad_arguments_name_themselves():
    with pytest.raises(TypeError, match="config must be a CaserConfig"):
        CaserRecommender({"window": 5})
    with pytest.raises(ValueError, match="time"):
        CaserRecommender(small_config(), progress=False).fit(cyclic_log().drop(columns="timestamp"))
    with pytest.raises(ValueError, match="n_targets"):
        short = cyclic_log(3).groupby("user_id").head(2)
        CaserRecommender(small_config(n_targets=2), progress=False, device="cpu").fit(short)


def test_config_defaults_are_the_papers():
    full = CaserConfig.for_profile("full")
    assert (full.window, full.n_targets, full.embedding_dim) == (5, 3, 50)
    assert (full.n_vertical, full.n_horizontal, full.dropout) == (4, 16, 0.5)
    quick = CaserConfig.for_profile("quick")
    assert quick.epochs < full.epochs and dataclasses.replace(quick, epochs=full.epochs).window == 5


def test_forward_equals_an_independent_composition():
    # The paper's equations written out with the network's own weights, in float64.
    torch.manual_seed(3)
    network = CaserNetwork(3, 7, window=3, embedding_dim=4, n_vertical=2, n_horizontal=2, dropout=0.0).double()
    with torch.no_grad():
        for parameter in network.parameters():
            parameter.normal_()
        network.item_embedding.weight[0].zero_()
    inputs, users = torch.tensor([[0, 2, 5], [1, 7, 3]]), torch.tensor([2, 0])
    expected = []
    for row in range(2):
        E = network.item_embedding.weight[inputs[row]]  # (L, d)
        vertical = [network.vertical.weight[v, 0, :, 0] @ E + network.vertical.bias[v] for v in range(2)]
        horizontal = []
        for h, layer in zip(range(1, 4), network.horizontal):
            for f in range(2):
                values = [(layer.weight[f, 0] * E[t : t + h]).sum() + layer.bias[f] for t in range(3 - h + 1)]
                horizontal.append(torch.relu(torch.stack(values)).max())
        o = torch.cat([torch.cat(vertical), torch.stack(horizontal)])
        z = torch.relu(network.hidden.weight @ o + network.hidden.bias)
        expected.append(network.output.weight @ torch.cat([z, network.user_embedding.weight[users[row]]])
                        + network.output.bias)
    assert torch.allclose(network(inputs, users), torch.stack(expected), atol=1e-10)


def test_the_user_embedding_is_looked_up_for_the_right_user():
    # Two users with the same history but different next items: only P_u can tell them apart.
    rows = []
    for user in range(20):
        items = [10, 20, 30, 40, 50, 60] + ([70] if user % 2 else [80]) * 3
        rows += [(user, item, 100 * user + step) for step, item in enumerate(items)]
    log = pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"])
    split = leave_last_out_split(log, item_ids=CATALOGUE)
    model = CaserRecommender(small_config(epochs=40, window=2, n_targets=1), progress=False, seed=0, device="cpu")
    model.fit(split.train, items=split.item_ids, valid=split.valid)
    scorer = model.with_history(pd.concat([split.train, split.valid]))
    scores = scorer.score(np.arange(20), split.item_ids)
    column = {item: position for position, item in enumerate(split.item_ids)}
    prefers_70 = scores[:, column[70]] > scores[:, column[80]]
    assert (prefers_70 == (np.arange(20) % 2 == 1)).all()
