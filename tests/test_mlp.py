"""Tests for tutorial_lib.models.mlp: the config, and the MLP without hidden layers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from agreement import assert_same_outputs
from tutorial_lib.models.logistic import LogisticRegression
from tutorial_lib.models.mlp import BehaviourMLP, MLPConfig


def test_mlp_config_profiles_and_budget():
    quick, full = MLPConfig.for_profile("quick"), MLPConfig.for_profile("full")
    assert quick.hidden_sizes == (32, 16) and full.hidden_sizes == (128, 64)
    assert quick.epochs < full.epochs and quick.batch_size < full.batch_size
    assert quick.cost() <= MLPConfig.QUICK_COST_LIMIT < full.cost()
    # the config builds a model
    model = BehaviourMLP(5, hidden_sizes=quick.hidden_sizes, dropout=quick.dropout)
    assert model.hidden_sizes == quick.hidden_sizes
    with pytest.raises(ValueError, match="profile"):
        MLPConfig.for_profile("medium")


def test_mlp_without_hidden_layers_is_logistic_regression():
    # Same weights in, same outputs out: BehaviourMLP(hidden_sizes=()) is one Linear layer.
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 4))
    y = (X[:, 0] - X[:, 2] + rng.normal(size=60) > 0).astype(float)
    ours = LogisticRegression(C=1.0).fit(X, y)
    network = BehaviourMLP(4, hidden_sizes=()).to(torch.float64)
    with torch.no_grad():
        network.output.weight.copy_(torch.as_tensor(ours.coef_))
        network.output.bias.copy_(torch.as_tensor(ours.intercept_))
    assert_same_outputs(ours.decision_function, network, X, atol=1e-12)
