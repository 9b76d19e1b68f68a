"""Tests for tutorial_lib.models.mlp and tutorial_lib.training."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse
import torch

from tutorial_lib.models.logistic_torch import TorchLogisticRegression
from tutorial_lib.models.mlp import BehaviourMLP
from tutorial_lib.training import evaluate_loss, make_loader, predict_proba, train_model


@pytest.fixture(scope="module")
def separable_data():
    """A toy behaviour set: label 1 exactly when x0 + x1 > 0 (linearly separable)."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 6)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
    return X, y


def train_once(X, y, *, loader_seed=0, model_seed=0, epochs=4):
    torch.manual_seed(model_seed)  # fixes the initial weights
    model = BehaviourMLP(X.shape[1], hidden_sizes=(16, 8), dropout=0.2)
    history = train_model(
        model,
        make_loader(X, y, batch_size=32, shuffle=True, seed=loader_seed),
        epochs=epochs,
        lr=1e-2,
        progress=False,
        seed=model_seed,  # fixes the dropout masks
    )
    return model, history


# --------------------------------------------------------------------------------------
# BehaviourMLP
# --------------------------------------------------------------------------------------
def test_mlp_returns_one_logit_per_example():
    model = BehaviourMLP(n_features=7)
    logits = model(torch.zeros(5, 7))
    assert logits.shape == (5,) and logits.dtype == torch.float32
    linear_only = BehaviourMLP(n_features=7, hidden_sizes=())
    assert linear_only(torch.zeros(2, 7)).shape == (2,)
    assert sum(p.numel() for p in linear_only.parameters()) == 7 + 1  # logistic regression


def test_mlp_dropout_only_in_training_mode():
    torch.manual_seed(0)
    model = BehaviourMLP(4, hidden_sizes=(32,), dropout=0.5)
    features = torch.randn(3, 4)
    model.eval()
    torch.testing.assert_close(model(features), model(features))
    model.train()
    assert not torch.equal(model(features), model(features))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"n_features": 0}, ValueError, "n_features"),
        ({"n_features": 3, "hidden_sizes": (8, 0)}, ValueError, "hidden_sizes"),
        ({"n_features": 3, "hidden_sizes": "64"}, TypeError, "hidden_sizes"),
        ({"n_features": 3, "dropout": 1.0}, ValueError, "dropout"),
    ],
)
def test_mlp_rejects_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        BehaviourMLP(**kwargs)


def test_mlp_rejects_wrong_input_width():
    with pytest.raises(ValueError, match="features must have shape"):
        BehaviourMLP(4)(torch.zeros(2, 5))


# --------------------------------------------------------------------------------------
# make_loader
# --------------------------------------------------------------------------------------
def test_loader_batches_have_the_right_shapes_and_dtypes(separable_data):
    X, y = separable_data
    loader = make_loader(X, y, batch_size=64, shuffle=False)
    batches = list(loader)
    assert len(loader) == len(batches) == 5  # 300 rows: 4 full batches and one of 44
    features, labels = batches[-1]
    assert features.shape == (44, 6) and labels.shape == (44,)
    assert features.dtype == torch.float32 and labels.dtype == torch.float32
    # Without shuffling the batches are the rows in order.
    np.testing.assert_array_equal(torch.cat([f for f, _ in batches]).numpy(), X)


def test_sparse_features_are_densified_per_batch(separable_data):
    X, y = separable_data
    dense_batches = list(make_loader(X, y, batch_size=50, seed=4))
    sparse_batches = list(make_loader(scipy.sparse.csr_matrix(X), y, batch_size=50, seed=4))
    for (dense_features, dense_labels), (sparse_features, sparse_labels) in zip(dense_batches, sparse_batches):
        torch.testing.assert_close(sparse_features, dense_features)
        torch.testing.assert_close(sparse_labels, dense_labels)


def test_loader_order_depends_only_on_its_seed(separable_data):
    X, y = separable_data

    def first_labels(seed):
        return next(iter(make_loader(X, y, batch_size=300, seed=seed)))[0][:, 0]

    torch.manual_seed(123)  # the global generator must not matter
    first = first_labels(1)
    torch.manual_seed(456)
    torch.testing.assert_close(first_labels(1), first)
    assert not torch.equal(first_labels(2), first)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        ((np.zeros(5), np.zeros(5)), {}, ValueError, "X must be 2-D"),
        ((np.zeros((5, 2)), np.zeros(4)), {}, ValueError, "different lengths"),
        ((np.full((2, 2), np.nan), np.zeros(2)), {}, ValueError, "NaN"),
        ((np.zeros((2, 2)), np.array(["a", "b"])), {}, ValueError, "y must hold numbers"),
        ((np.zeros((2, 2)), np.zeros(2)), {"batch_size": 0}, ValueError, "batch_size"),
        ((np.zeros((2, 2)), np.zeros(2)), {"seed": 1.5}, TypeError, "seed"),
    ],
)
def test_make_loader_rejects_bad_input(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        make_loader(*args, **kwargs)


# --------------------------------------------------------------------------------------
# train_model, evaluate_loss, predict_proba
# --------------------------------------------------------------------------------------
def test_training_loss_decreases_on_separable_data(separable_data):
    X, y = separable_data
    model, history = train_once(X, y, epochs=15)
    assert history["epoch"] == list(range(1, 16))
    assert history["train_loss"][-1] < 0.5 * history["train_loss"][0]
    accuracy = np.mean((predict_proba(model, X) > 0.5) == y)
    assert accuracy > 0.95


def test_same_seeds_give_identical_history(separable_data):
    X, y = separable_data
    _, first = train_once(X, y)
    _, second = train_once(X, y)
    assert first == second  # exact equality on a CPU
    _, other_order = train_once(X, y, loader_seed=1)
    assert other_order["train_loss"] != first["train_loss"]


def test_validation_loss_is_recorded_and_matches_evaluate_loss(separable_data):
    X, y = separable_data
    torch.manual_seed(0)
    model = BehaviourMLP(X.shape[1], hidden_sizes=(8,))
    valid_loader = make_loader(X[:100], y[:100], batch_size=30, shuffle=False)
    history = train_model(
        model, make_loader(X, y, batch_size=64), epochs=2, lr=1e-2, valid_loader=valid_loader, progress=False
    )
    assert len(history["valid_loss"]) == 2
    assert history["valid_loss"][-1] == pytest.approx(evaluate_loss(model, valid_loader))
    # evaluate_loss is the mean BCE over all examples, whatever the batch size.
    probabilities = predict_proba(model, X[:100])
    bce = -np.mean(y[:100] * np.log(probabilities) + (1 - y[:100]) * np.log(1 - probabilities))
    assert history["valid_loss"][-1] == pytest.approx(bce, rel=1e-4)


def test_training_accepts_sparse_input(separable_data):
    X, y = separable_data
    torch.manual_seed(0)
    model = BehaviourMLP(X.shape[1], hidden_sizes=(8,))
    history = train_model(model, make_loader(scipy.sparse.csr_matrix(X), y, batch_size=64), epochs=2, progress=False)
    assert len(history["train_loss"]) == 2 and np.all(np.isfinite(history["train_loss"]))
    probabilities = predict_proba(model, scipy.sparse.csr_matrix(X), batch_size=37)
    np.testing.assert_allclose(probabilities, predict_proba(model, X), rtol=1e-6)


def test_predict_proba_shape_range_and_mode(separable_data):
    X, _ = separable_data
    model = BehaviourMLP(X.shape[1])
    model.train()
    probabilities = predict_proba(model, X, batch_size=64)
    assert probabilities.shape == (X.shape[0],) and probabilities.dtype == np.float64
    assert np.all((probabilities > 0) & (probabilities < 1))
    assert model.training  # the mode is restored
    with torch.no_grad():
        expected = torch.sigmoid(model.eval()(torch.from_numpy(X))).numpy()
    np.testing.assert_allclose(probabilities, expected, rtol=1e-6)


def test_predict_proba_works_with_a_float64_logistic_module(separable_data):
    X, _ = separable_data
    module = TorchLogisticRegression(X.shape[1], dtype=torch.float64).load_coefficients(np.ones(X.shape[1]), 0.5)
    expected = 1 / (1 + np.exp(-(X.astype(np.float64).sum(axis=1) + 0.5)))
    np.testing.assert_allclose(predict_proba(module, X), expected, rtol=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"epochs": 0}, ValueError, "epochs"),
        ({"epochs": 1, "lr": 0.0}, ValueError, "lr"),
        ({"epochs": 1, "weight_decay": -1.0}, ValueError, "weight_decay"),
        ({"epochs": 1, "device": "tpu"}, ValueError, "device"),
        ({"epochs": 1, "valid_loader": [1, 2]}, TypeError, "valid_loader"),
    ],
)
def test_train_model_rejects_bad_arguments(separable_data, kwargs, error, message):
    X, y = separable_data
    with pytest.raises(error, match=message):
        train_model(BehaviourMLP(X.shape[1]), make_loader(X, y), progress=False, **kwargs)


def test_train_model_rejects_non_loader_and_wrong_logit_shape(separable_data):
    X, y = separable_data
    with pytest.raises(TypeError, match="train_loader"):
        train_model(BehaviourMLP(X.shape[1]), [(X, y)], epochs=1, progress=False)
    column_output = torch.nn.Linear(X.shape[1], 1)  # returns (batch, 1), not (batch,)
    with pytest.raises(ValueError, match="one logit per example"):
        train_model(column_output, make_loader(X, y), epochs=1, progress=False)


def test_progress_bars_obey_show_and_the_tqdm_disable_variable(monkeypatch):
    import os
    import subprocess
    import sys

    from tutorial_lib.training import _progress_bar

    assert _progress_bar(range(2), "epochs", show=False).disable is True
    # tqdm reads TQDM_* variables when it is imported, so check them in a fresh interpreter,
    # as a notebook kernel started by the book's scripts would see them.
    script = "from tutorial_lib.training import _progress_bar; print(_progress_bar(range(2), 'e', show=True).disable)"
    for value, expected in (("1", "True"), (None, "False")):
        environment = {k: v for k, v in os.environ.items() if k != "TQDM_DISABLE"}
        if value is not None:
            environment["TQDM_DISABLE"] = value
        result = subprocess.run([sys.executable, "-c", script], env=environment, capture_output=True, text=True, check=True)
        assert result.stdout.strip() == expected


# --------------------------------------------------------------------------------------
# Labels that are not binary (issue 7): BCE computes a number for labels -2 and 3, just not a
# loss; train_model used to train on them without a word.
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("loss_fn", [None, torch.nn.BCEWithLogitsLoss(), torch.nn.BCEWithLogitsLoss(reduction="mean")])
def test_bce_training_rejects_labels_that_are_not_binary(separable_data, loss_fn):
    X, y = separable_data
    bad_labels = np.where(y == 1, 3, -2)
    with pytest.raises(ValueError, match=r"labels.*only 0 and 1.*BCEWithLogitsLoss"):
        train_model(BehaviourMLP(X.shape[1]), make_loader(X, bad_labels), epochs=1, progress=False, loss_fn=loss_fn)
    with pytest.raises(ValueError, match="only 0 and 1"):
        evaluate_loss(BehaviourMLP(X.shape[1]), make_loader(X, bad_labels))


def test_other_losses_take_any_finite_target(separable_data):
    X, y = separable_data
    targets = np.where(y == 1, 3.0, -2.0)  # a regression target: fine for MSE

    def squared_error(logits, labels):
        return torch.mean((logits - labels) ** 2)

    history = train_model(BehaviourMLP(X.shape[1]), make_loader(X, targets), epochs=2, progress=False, loss_fn=squared_error)
    assert np.isfinite(history["train_loss"]).all()


def test_evaluate_loss_checks_the_model(separable_data):
    X, y = separable_data
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        evaluate_loss(lambda features: features.sum(1), make_loader(X, y))


@pytest.mark.parametrize("kwargs", [{"epochs": True}, {"epochs": 1, "lr": np.nan}, {"epochs": 1, "lr": True}, {"epochs": 1, "seed": 1.5}])
def test_train_model_rejects_booleans_and_nan(separable_data, kwargs):
    X, y = separable_data
    with pytest.raises(ValueError, match="must be"):
        train_model(BehaviourMLP(X.shape[1]), make_loader(X, y), progress=False, **kwargs)
