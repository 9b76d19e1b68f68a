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
