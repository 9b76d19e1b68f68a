"""The base of the sequential recommenders: scoring, with_history, train_next_item, refits.

A tiny subclass stands in for Caser, GRU4Rec and SASRec: a first-order Markov chain whose
score for the next item is the learnt transition row of the user's last item. On a log where
every user walks the same cycle of items it can learn the next item exactly.
"""

import copy

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from tutorial_lib.data.sequences import SequenceSplit, next_item_examples
from tutorial_lib.evaluation.protocols import evaluate_top_n, leave_last_out_split
from tutorial_lib.models.popularity import PopularityRecommender
from tutorial_lib.models.sequential import (
    NextItemTrainingConfig,
    SequentialRecommender,
    next_item_loss,
    refit_on_train_and_valid,
    train_next_item,
)

CYCLE = np.array([10, 20, 30, 40, 50, 60, 70, 80])
CATALOGUE = np.append(CYCLE, 90)  # item 90 is never seen


def cyclic_log(n_users: int = 30) -> pd.DataFrame:
    """User u walks the cycle from position u mod 8 for 6 to 8 steps, one step per time unit."""
    rows = []
    for user in range(n_users):
        for step in range(6 + user % 3):
            rows.append((user, CYCLE[(user + step) % len(CYCLE)], 100 * user + step))
    return pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"])


class Transitions(nn.Module):
    """Logits of the next item given the current one: one learnt row per item code."""

    def __init__(self, n_items: int):
        super().__init__()
        self.rows = nn.Embedding(n_items + 1, n_items + 1)

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        return self.rows(codes)  # (..., n_items + 1)


class LastItemTransitions(SequentialRecommender):
    def __init__(self, epochs: int = 40, patience: int | None = None, **kwargs):
        super().__init__(max_len=4, **kwargs)
        self.epochs = epochs
        self.patience = patience

    def _fit_sequences(self, sequences):
        self.network_ = Transitions(self.n_items_)
        inputs, targets = next_item_examples(list(sequences.values()), self.max_len)
        inputs, targets = torch.as_tensor(inputs), torch.as_tensor(targets)

        def make_batches(rng):
            order = torch.as_tensor(rng.permutation(len(inputs)))
            for start in range(0, len(order), 8):
                rows = order[start:start + 8]
                yield inputs[rows], targets[rows]

        self.history_ = train_next_item(
            self.network_, make_batches, epochs=self.epochs, learning_rate=0.1,
            patience=self.patience, validate=self._validator(), seed=self.seed, progress=False,
        )

    def _score_codes(self, inputs):
        return self.network_(inputs[:, -1])  # (batch, n_items + 1)


@pytest.fixture(scope="module")
def split():
    return leave_last_out_split(cyclic_log(), item_ids=CATALOGUE)


@pytest.fixture(scope="module")
def fitted(split):
    return LastItemTransitions(patience=5, device="cpu", seed=0).fit(split.train, split.item_ids, valid=split.valid)


def test_the_model_learns_the_next_item_of_the_cycle(split, fitted):
    valid = evaluate_top_n(fitted, split, target="valid")
    assert valid["hr@10"].mean() == 1.0
    assert (valid["rank"] == 1).all()
    # after training, the history holds one row per epoch run, with times
    history = fitted.history_
    assert list(history.columns) == ["epoch", "loss", "valid_ndcg", "seconds", "valid_seconds"]
    assert (history["seconds"] > 0).all()
    assert history["loss"].iloc[-1] < history["loss"].iloc[0]


def test_with_history_reads_train_and_valid_and_shares_the_network(split, fitted):
    scorer = fitted.with_history(pd.concat([split.train, split.valid]))
    assert scorer.network_ is fitted.network_
    sequences = SequenceSplit.from_top_n_split(split)
    for user in sequences.users_with_target:
        np.testing.assert_array_equal(scorer.sequences_[user], sequences.train_and_valid[user])
        np.testing.assert_array_equal(fitted.sequences_[user], sequences.train[user])  # unchanged
    # the test target follows the valid item: only the longer sequence predicts it
    test = evaluate_top_n(scorer, split, target="test")
    assert (test["rank"] == 1).all()
    stale = evaluate_top_n(fitted, split, target="test")
    assert stale["rank"].mean() > 1.5  # reading only train, it mostly misses
    # recommend on the copy leaves out train + valid items; the first pick is the test item
    user = sequences.users_with_target[0]
    valid_item = split.valid.set_index("user_id").loc[user, "item_id"]
    test_item = split.test.set_index("user_id").loc[user, "item_id"]
    picks = scorer.recommend(user, k=len(CATALOGUE))
    assert valid_item not in picks and picks[0] == test_item
    # the weights are shared, not copied: a change to one shows in the other
    with torch.no_grad():
        fitted.network_.rows.weight[1, 2] += 1.0
        assert scorer.network_.rows.weight[1, 2] == fitted.network_.rows.weight[1, 2]
        fitted.network_.rows.weight[1, 2] -= 1.0


def test_scores_are_the_network_scores_without_the_padding_column(split, fitted):
    model = copy.deepcopy(fitted)
    with torch.no_grad():
        model.network_.rows.weight[:, 0] = 1e6  # a padding column that would win everything
    users = split.user_ids[:5]
    scores = model.score(users, split.item_ids)
    assert scores.shape == (5, len(CATALOGUE))
    assert scores.max() < 1e6
    last_codes = torch.as_tensor([model.sequences_[user][-1] for user in users])
    expected = model.network_.rows.weight[last_codes, 1:].detach().double().numpy()
    np.testing.assert_allclose(scores, expected, rtol=0, atol=0)
    # a subset of items, in any order, picks the same columns
    subset = np.array([90, 10, 40])
    np.testing.assert_array_equal(model.score(users, subset), scores[:, [8, 0, 3]])


def test_early_stopping_restores_the_best_epoch():
    torch.manual_seed(0)
    model = Transitions(3)
    inputs = torch.tensor([[1, 2], [2, 3]])
    targets = torch.tensor([[2, 3], [3, 1]])
    values = iter([0.1, 0.5, 0.3, 0.2, 0.4, 0.9])
    states = []

    def validate():
        states.append(copy.deepcopy(model.state_dict()))
        return next(values)

    history = train_next_item(model, lambda rng: [(inputs, targets)], epochs=6, learning_rate=0.1,
                              patience=2, validate=validate, seed=0, progress=False)
    assert history["epoch"].tolist() == [1, 2, 3, 4]  # epochs 3 and 4 did not beat epoch 2
    assert history.attrs["best_epoch"] == 2
    torch.testing.assert_close(model.state_dict()["rows.weight"], states[1]["rows.weight"], rtol=0, atol=0)
    assert not torch.equal(states[1]["rows.weight"], states[3]["rows.weight"])


def test_without_patience_the_best_epoch_is_still_restored():
    torch.manual_seed(0)
    model = Transitions(3)
    values = iter([0.1, 0.5, 0.3])
    states = []

    def validate():
        states.append(copy.deepcopy(model.state_dict()))
        return next(values)

    batches = [(torch.tensor([[1, 2]]), torch.tensor([[2, 3]]))]
    history = train_next_item(model, lambda rng: batches, epochs=3, validate=validate, seed=0, progress=False)
    assert len(history) == 3 and history.attrs["best_epoch"] == 2
    torch.testing.assert_close(model.state_dict()["rows.weight"], states[1]["rows.weight"], rtol=0, atol=0)


def test_the_validator_is_the_protocols_validation_ndcg(split, fitted):
    model = LastItemTransitions(epochs=3, device="cpu", seed=1).fit(split.train, split.item_ids, valid=split.valid)
    expected = evaluate_top_n(model, split, target="valid")["ndcg@10"].mean()
    assert model._validator()() == pytest.approx(expected, abs=1e-12)
    # the model holds the best epoch: its validation NDCG is the best in the history
    assert expected == pytest.approx(model.history_["valid_ndcg"].max(), abs=1e-12)


def test_next_item_loss_ignores_padding_and_leaves_the_padding_column_out():
    torch.manual_seed(0)
    logits = torch.randn(2, 3, 5)  # (batch, seq_len, n_items + 1), 4 items
    targets = torch.tensor([[0, 2, 4], [0, 0, 1]])
    loss = next_item_loss(logits, targets)
    kept = targets > 0
    expected = nn.functional.cross_entropy(logits[kept][:, 1:], targets[kept] - 1)
    torch.testing.assert_close(loss, expected)
    # Caser's shape: each of a row's targets against the same scores
    row_logits = torch.randn(2, 5)
    many = torch.tensor([[1, 3], [2, 0]])
    expected = nn.functional.cross_entropy(row_logits[[0, 0, 1]][:, 1:], torch.tensor([0, 2, 1]))
    torch.testing.assert_close(next_item_loss(row_logits, many), expected)
    assert next_item_loss(row_logits, torch.zeros(2, 2, dtype=torch.long)).item() == 0.0


def test_refit_on_train_and_valid_fits_the_longer_frame(split):
    refit = refit_on_train_and_valid(PopularityRecommender, split)
    direct = PopularityRecommender().fit(pd.concat([split.train, split.valid]), items=split.item_ids)
    np.testing.assert_array_equal(refit.score(split.user_ids, split.item_ids),
                                  direct.score(split.user_ids, split.item_ids))
    on_train = PopularityRecommender().fit(split.train, items=split.item_ids)
    assert not np.array_equal(refit.score(split.user_ids, split.item_ids),
                              on_train.score(split.user_ids, split.item_ids))


def test_the_training_config_has_a_quick_profile():
    quick, full = NextItemTrainingConfig.for_profile("quick"), NextItemTrainingConfig.for_profile("full")
    assert quick.epochs < full.epochs and quick.cost() <= NextItemTrainingConfig.QUICK_COST_LIMIT


@pytest.mark.parametrize(
    "call, argument",
    [
        (lambda s, m: LastItemTransitions().fit(s.train.drop(columns="timestamp")), "timestamp"),
        (lambda s, m: LastItemTransitions().fit(s.train.assign(timestamp="t")), "timestamp"),
        (lambda s, m: LastItemTransitions().fit(s.train, valid=s.valid.assign(item_id=999)), "valid"),
        (lambda s, m: LastItemTransitions().fit(s.train, valid=pd.concat([s.valid, s.valid])), "valid"),
        (lambda s, m: m.with_history(s.train.assign(user_id=999)), "interactions"),
        (lambda s, m: m.with_history(s.train.assign(item_id=999)), "interactions"),
        (lambda s, m: m.with_history(s.train.drop(columns="timestamp")), "interactions"),
        (lambda s, m: SequentialRecommender(max_len=0), "max_len"),
        (lambda s, m: SequentialRecommender(max_len=3, n_threads=0), "n_threads"),
        (lambda s, m: train_next_item("model", lambda rng: [], epochs=1), "model"),
        (lambda s, m: train_next_item(m.network_, [], epochs=1), "make_batches"),
        (lambda s, m: train_next_item(m.network_, lambda rng: [], epochs=0), "epochs"),
        (lambda s, m: train_next_item(m.network_, lambda rng: [], epochs=1, learning_rate=0.0), "learning_rate"),
        (lambda s, m: train_next_item(m.network_, lambda rng: [], epochs=1, patience=0), "patience"),
        (lambda s, m: train_next_item(m.network_, lambda rng: [], epochs=1, validate=0.5), "validate"),
        (lambda s, m: train_next_item(m.network_, lambda rng: [], epochs=1), "make_batches"),
        (lambda s, m: next_item_loss(torch.zeros(2, 4), torch.zeros(3, dtype=torch.long)), "logits"),
        (lambda s, m: refit_on_train_and_valid(PopularityRecommender, s.train), "split"),
        (lambda s, m: refit_on_train_and_valid(lambda: "model", s), "model_factory"),
    ],
)
def test_bad_inputs_raise_errors_naming_the_argument(split, fitted, call, argument):
    with pytest.raises((ValueError, TypeError), match=argument):
        call(split, copy.deepcopy(fitted))


def test_a_subclass_that_sets_no_network_is_a_bug_reported_as_such(split):
    class NoNetwork(SequentialRecommender):
        def _fit_sequences(self, sequences):
            pass

    with pytest.raises(RuntimeError, match="network_"):
        NoNetwork(max_len=2, device="cpu").fit(split.train, split.item_ids)
