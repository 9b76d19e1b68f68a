"""Tests for tutorial_lib.models.sasrec: causality, shared embeddings, padding, and it learns."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch

from tutorial_lib.evaluation.protocols import evaluate_top_n, leave_last_out_split
from tutorial_lib.models.sasrec import SASRec, SASRecConfig, SASRecNetwork

CYCLE = np.array([10, 20, 30, 40, 50, 60, 70, 80])
CATALOGUE = np.append(CYCLE, 90)  # item 90 is never seen


def cyclic_log(n_users: int = 40) -> pd.DataFrame:
    """User u walks the cycle from position u mod 8 for 6 to 9 steps, one step per time unit."""
    rows = []
    for user in range(n_users):
        for step in range(6 + user % 4):
            rows.append((user, CYCLE[(user + step) % len(CYCLE)], 100 * user + step))
    return pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"])


TINY = SASRecConfig(max_len=6, d_model=16, n_heads=2, n_blocks=2, dropout=0.0, epochs=60,
                    learning_rate=0.01, patience=None, batch_size=16)


def test_the_output_at_t_ignores_later_items():
    torch.manual_seed(0)
    network = SASRecNetwork(9, max_len=6, d_model=8, n_heads=2, n_blocks=2, dropout=0.0).double().eval()
    codes = torch.tensor([[0, 0, 3, 1, 4, 2], [5, 6, 7, 8, 9, 1]])
    logits = network(codes)
    assert logits.shape == (2, 6, 10)
    for t in range(2, 5):
        changed = codes.clone()
        changed[:, t + 1:] = torch.randint(1, 10, (2, 5 - t))
        torch.testing.assert_close(network(changed)[:, :t + 1], logits[:, :t + 1], atol=1e-12, rtol=0)


def test_padding_positions_are_zero_and_padding_items_do_not_leak():
    torch.manual_seed(1)
    network = SASRecNetwork(9, max_len=5, d_model=8, n_heads=1, n_blocks=2, dropout=0.0).eval()
    codes = torch.tensor([[0, 0, 0, 2, 3]])
    hidden = network.hidden_states(codes)
    assert torch.isfinite(hidden).all()
    assert (hidden[0, :3] == 0).all() and (hidden[0, 3:] != 0).any()
    weights = network.attention_weights(codes)
    assert len(weights) == 2 and weights[0].shape == (1, 1, 5, 5)
    assert (weights[0][0, 0, 3:, :3] == 0).all()  # real items give padding no weight
    torch.testing.assert_close(weights[0][0, 0, 3:].sum(-1), torch.ones(2))


def test_input_and_output_share_the_item_table():
    torch.manual_seed(2)
    network = SASRecNetwork(9, max_len=4, d_model=8, n_heads=1, n_blocks=1, dropout=0.0).eval()
    codes = torch.tensor([[0, 1, 2, 3]])
    expected = network.hidden_states(codes)[:, -1] @ network.item_embeddings.weight.T
    torch.testing.assert_close(network.next_item_scores(codes), expected)
    matrices = [name for name, parameter in network.named_parameters() if parameter.shape[0] == 10]
    assert matrices == ["item_embeddings.weight"]  # no separate output layer over the items


def test_sasrec_learns_a_cycle_and_scores_the_test_from_train_and_valid():
    split = leave_last_out_split(cyclic_log(), item_ids=CATALOGUE)
    model = SASRec(TINY, progress=False, seed=0).fit(split.train, split.item_ids, valid=split.valid)
    assert len(model.history_) == TINY.epochs
    assert model.history_["loss"].iloc[-1] < model.history_["loss"].iloc[0]
    valid = evaluate_top_n(model, split, target="valid", ks=(1,))
    scorer = model.with_history(pd.concat([split.train, split.valid]))
    test = evaluate_top_n(scorer, split, target="test", ks=(1,))
    # the next item of a cycle is certain: near-perfect hit rate at 1 for both targets
    assert valid["hr@1"].mean() > 0.9 and test["hr@1"].mean() > 0.9
    assert scorer.network_ is model.network_


def test_config_profiles_and_bad_input():
    quick, full = SASRecConfig.for_profile("quick"), SASRecConfig.for_profile("full")
    assert quick.max_len < full.max_len == 200 and quick.cost() < full.cost()
    with pytest.raises(TypeError, match="config must be a SASRecConfig"):
        SASRec({"max_len": 5})
    with pytest.raises(ValueError, match="codes must be"):
        SASRecNetwork(9, 4, 8, 1, 1, 0.0)(torch.zeros(1, 5, dtype=torch.long))
    with pytest.raises(ValueError, match="dropout"):
        SASRecNetwork(9, 4, 8, 1, 1, 1.0)
    with pytest.raises(ValueError, match="n_heads must divide"):
        SASRec(dataclasses.replace(TINY, n_heads=3), progress=False).fit(
            cyclic_log(), CATALOGUE
        )


def test_logits_at_target_positions_only_give_the_same_loss():
    from tutorial_lib.models.sequential import next_item_loss

    torch.manual_seed(3)
    network = SASRecNetwork(9, max_len=5, d_model=8, n_heads=1, n_blocks=1, dropout=0.0).double().eval()
    codes = torch.tensor([[0, 0, 3, 1, 4], [5, 6, 7, 8, 9]])
    targets = torch.tensor([[0, 0, 1, 4, 2], [6, 7, 8, 9, 1]])
    every_position = next_item_loss(network(codes), targets)
    selected = network(codes, targets)
    assert selected.shape == (8, 10)
    torch.testing.assert_close(next_item_loss(selected, targets[targets > 0]), every_position)


def test_hidden_states_follow_the_papers_architecture():
    # A reference from torch's pre-norm layer (ReLU, feed-forward width d) with the weights copied
    # in: sqrt(d)-scaled item embeddings plus learned positions, causal blocks, a final layer norm.
    from torch import nn

    from tutorial_lib.models.transformer import copy_encoder_block_to_torch

    torch.manual_seed(4)
    d = 8
    network = SASRecNetwork(9, max_len=5, d_model=d, n_heads=2, n_blocks=2, dropout=0.0).double().eval()
    with torch.no_grad():
        network.final_norm.weight.normal_()
        network.final_norm.bias.normal_()
    codes = torch.tensor([[2, 3, 1, 4, 5], [9, 8, 7, 6, 5]])  # no padding
    x = network.item_embeddings(codes) * d**0.5 + network.positions.embedding.weight
    future = torch.ones(5, 5, dtype=torch.bool).triu(diagonal=1)
    for block in network.blocks:
        layer = nn.TransformerEncoderLayer(d, 2, d, dropout=0.0, activation="relu", norm_first=True,
                                           layer_norm_eps=1e-8, batch_first=True).double().eval()
        copy_encoder_block_to_torch(block, layer)
        x = layer(x, src_mask=future)
    reference = nn.functional.layer_norm(x, (d,), network.final_norm.weight, network.final_norm.bias, eps=1e-8)
    torch.testing.assert_close(network.hidden_states(codes), reference, atol=1e-10, rtol=0)
    # training mode drops out the embeddings: the output changes
    dropping = SASRecNetwork(9, 5, d, 2, 2, 0.5)
    assert not torch.allclose(dropping.train().hidden_states(codes), dropping.eval().hidden_states(codes))
