"""BPR and weighted ALS (tutorial_lib.models.implicit_factorisation): gradients against torch
autograd, ALS half-steps against a direct weighted least-squares solve."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch

from tutorial_lib.models.implicit_factorisation import (
    _add_at_rows,
    BPRRecommender,
    ImplicitALSRecommender,
    als_loss,
    als_solve_rows,
    bpr_batch_loss_and_gradients,
    bpr_sgd_step,
    sample_negative_items,
)


def _two_groups(n_users_per_group=20, seed=0):
    """Users 0-19 like items 0-9, users 20-39 like items 10-19; each user has 6 of their 10."""
    rng = np.random.default_rng(seed)
    rows = []
    for group in (0, 1):
        for user in range(group * n_users_per_group, (group + 1) * n_users_per_group):
            for item in rng.choice(10, size=6, replace=False) + 10 * group:
                rows.append((user, item))
    return pd.DataFrame(rows, columns=["user_id", "item_id"])


# ------------------------------------------------------------------------------ BPR
def test_bpr_gradients_match_torch_autograd():
    rng = np.random.default_rng(0)
    n_users, n_items, n_factors = 5, 7, 3
    user_factors = rng.normal(size=(n_users, n_factors))
    item_factors = rng.normal(size=(n_items, n_factors))
    item_biases = rng.normal(size=n_items)
    # Repeated users and items, as in a real batch.
    users = np.array([0, 1, 1, 4, 0, 2])
    positives = np.array([2, 3, 3, 6, 2, 0])
    negatives = np.array([5, 0, 6, 1, 3, 5])
    regularisation = 0.3
    loss, gradients = bpr_batch_loss_and_gradients(
        user_factors, item_factors, item_biases, users, positives, negatives, regularisation
    )
    # The gradient of the summed loss: each triple's part added up at its rows.
    user_gradient = np.zeros_like(user_factors)
    np.add.at(user_gradient, users, gradients["user"])
    item_gradient = np.zeros_like(item_factors)
    np.add.at(item_gradient, positives, gradients["positive"])
    np.add.at(item_gradient, negatives, gradients["negative"])
    bias_gradient = np.zeros_like(item_biases)
    np.add.at(bias_gradient, positives, gradients["positive_bias"])
    np.add.at(bias_gradient, negatives, gradients["negative_bias"])

    p = torch.tensor(user_factors, requires_grad=True)
    q = torch.tensor(item_factors, requires_grad=True)
    b = torch.tensor(item_biases, requires_grad=True)
    u, i, j = (torch.tensor(index) for index in (users, positives, negatives))
    x = (p[u] * (q[i] - q[j])).sum(dim=1) + b[i] - b[j]
    penalty = (p[u] ** 2).sum() + (q[i] ** 2).sum() + (q[j] ** 2).sum() + (b[i] ** 2).sum() + (b[j] ** 2).sum()
    torch_loss = -torch.nn.functional.logsigmoid(x).sum() + 0.5 * regularisation * penalty
    torch_loss.backward()

    assert loss == pytest.approx(torch_loss.item(), rel=1e-12)
    np.testing.assert_allclose(user_gradient, p.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(item_gradient, q.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(bias_gradient, b.grad.numpy(), atol=1e-12)


def test_one_sgd_step_equals_torch_sgd_on_the_summed_loss():
    rng = np.random.default_rng(1)
    user_factors, item_factors = rng.normal(size=(4, 3)), rng.normal(size=(6, 3))
    item_biases = rng.normal(size=6)
    users = np.array([0, 0, 3, 2, 3])
    positives = np.array([1, 4, 1, 0, 2])
    negatives = np.array([5, 2, 4, 4, 1])  # item 4 is a positive and a negative; item 1 too
    learning_rate, regularisation = 0.1, 0.05

    parameters = [torch.tensor(array, requires_grad=True) for array in (user_factors, item_factors, item_biases)]
    p, q, b = parameters
    u, i, j = (torch.tensor(index) for index in (users, positives, negatives))
    x = (p[u] * (q[i] - q[j])).sum(dim=1) + b[i] - b[j]
    penalty = (p[u] ** 2).sum() + (q[i] ** 2).sum() + (q[j] ** 2).sum() + (b[i] ** 2).sum() + (b[j] ** 2).sum()
    torch_loss = -torch.nn.functional.logsigmoid(x).sum() + 0.5 * regularisation * penalty
    optimiser = torch.optim.SGD(parameters, lr=learning_rate)
    torch_loss.backward()
    optimiser.step()

    loss = bpr_sgd_step(user_factors, item_factors, item_biases, users, positives, negatives,
                        learning_rate, regularisation)
    assert loss == pytest.approx(torch_loss.item(), rel=1e-12)
    for ours, theirs in zip((user_factors, item_factors, item_biases), parameters):
        np.testing.assert_allclose(ours, theirs.detach().numpy(), atol=1e-12)


def test_add_at_rows_equals_numpy_add_at():
    rng = np.random.default_rng(7)
    rows = rng.integers(0, 6, size=40)              # many repeats
    values = rng.normal(size=(40, 3))
    expected = rng.normal(size=(6, 3))
    ours = expected.copy()
    np.add.at(expected, rows, values)
    _add_at_rows(ours, rows, values)
    np.testing.assert_allclose(ours, expected)


def test_sampled_negatives_are_never_interactions():
    frame = _two_groups()
    matrix = sp.csr_matrix((np.ones(len(frame)), (frame["user_id"], frame["item_id"])), shape=(40, 20))
    keys = np.sort(frame["user_id"].to_numpy() * 20 + frame["item_id"].to_numpy())
    users = np.repeat(np.arange(40), 50)
    negatives = sample_negative_items(keys, 20, users, np.random.default_rng(0))
    assert (matrix[users, negatives].A1 == 0).all()
    assert set(negatives) == set(range(20))          # every item is drawn somewhere


def test_popularity_negatives_follow_the_interaction_counts():
    # Items 0..3 with 1, 2, 3 and 4 interactions by users 1..4; user 0 has none.
    pairs = [(user, item) for item in range(4) for user in range(1, item + 2)]
    keys = np.sort(np.array([user * 4 + item for user, item in pairs]))
    users = np.zeros(20_000, dtype=np.int64)
    negatives = sample_negative_items(keys, 4, users, np.random.default_rng(0), sampling="popularity")
    shares = np.bincount(negatives, minlength=4) / len(negatives)
    np.testing.assert_allclose(shares, np.array([1, 2, 3, 4]) / 10, atol=0.01)
    # User 4 has item 3 only: its popularity negatives are never item 3.
    negatives = sample_negative_items(keys, 4, np.full(1000, 4), np.random.default_rng(1), sampling="popularity")
    assert 3 not in set(negatives)


def test_bpr_learns_the_two_groups_and_its_loss_falls():
    frame = _two_groups()
    model = BPRRecommender(n_factors=4, epochs=30, learning_rate=0.05, batch_size=16, seed=0).fit(frame)
    assert model.loss_history_[-1] < 0.5 * model.loss_history_[0]
    lists = model.recommend_batch(model.user_ids_, k=3)
    in_own_group = (lists // 10) == (model.user_ids_ // 20)[:, None]
    assert in_own_group.mean() > 0.95


def test_bpr_is_reproducible_with_a_seed():
    frame = _two_groups()
    first = BPRRecommender(n_factors=3, epochs=2, seed=5).fit(frame)
    second = BPRRecommender(n_factors=3, epochs=2, seed=5).fit(frame)
    np.testing.assert_array_equal(first.user_factors_, second.user_factors_)
    third = BPRRecommender(n_factors=3, epochs=2, seed=6).fit(frame)
    assert not np.array_equal(first.user_factors_, third.user_factors_)


# ------------------------------------------------------------------------------ ALS
def _dense_weighted_least_squares(dense, fixed_factors, alpha, regularisation):
    """Each row: argmin_x sum_i c_i (p_i - x . y_i)^2 + lambda |x|^2, as one stacked lstsq."""
    n_factors = fixed_factors.shape[1]
    solved = []
    for values in dense:
        confidence = 1.0 + alpha * values
        preference = (values > 0).astype(float)
        weights = np.sqrt(confidence)
        design = np.vstack([weights[:, None] * fixed_factors, np.sqrt(regularisation) * np.eye(n_factors)])
        target = np.concatenate([weights * preference, np.zeros(n_factors)])
        solved.append(np.linalg.lstsq(design, target, rcond=None)[0])
    return np.array(solved)


def test_als_half_step_equals_a_direct_weighted_least_squares_solve():
    rng = np.random.default_rng(1)
    dense = (rng.random((9, 12)) < 0.3) * rng.integers(1, 4, size=(9, 12)).astype(float)
    dense[0] = 0.0                                    # a user with no interactions
    fixed_factors = rng.normal(size=(12, 4))
    ours = als_solve_rows(sp.csr_matrix(dense), fixed_factors, alpha=2.5, regularisation=0.7)
    expected = _dense_weighted_least_squares(dense, fixed_factors, alpha=2.5, regularisation=0.7)
    np.testing.assert_allclose(ours, expected, atol=1e-10)
    np.testing.assert_array_equal(ours[0], 0.0)


def test_als_loss_equals_the_dense_sum():
    rng = np.random.default_rng(2)
    dense = (rng.random((6, 8)) < 0.4).astype(float)
    user_factors, item_factors = rng.normal(size=(6, 3)), rng.normal(size=(8, 3))
    confidence = 1.0 + 4.0 * dense
    expected = (np.sum(confidence * ((dense > 0) - user_factors @ item_factors.T) ** 2)
                + 0.5 * (np.sum(user_factors ** 2) + np.sum(item_factors ** 2)))
    assert als_loss(sp.csr_matrix(dense), user_factors, item_factors, 4.0, 0.5) == pytest.approx(expected)


def test_als_loss_never_increases_and_learns_the_two_groups():
    frame = _two_groups()
    model = ImplicitALSRecommender(n_factors=4, iterations=8, alpha=5.0, regularisation=0.1,
                                   seed=0, track_loss=True).fit(frame)
    losses = np.array(model.loss_history_)
    assert len(losses) == 16
    assert (np.diff(losses) <= 1e-9 * losses[:-1]).all()
    lists = model.recommend_batch(model.user_ids_, k=3)
    assert ((lists // 10) == (model.user_ids_ // 20)[:, None]).mean() > 0.95


def test_als_without_alpha_is_ridge_regression_of_the_binary_matrix():
    # alpha = 0: every cell weighs 1, so a half-step is (Y'Y + lambda I)^-1 Y' p_u.
    rng = np.random.default_rng(3)
    dense = (rng.random((5, 7)) < 0.5).astype(float)
    fixed_factors = rng.normal(size=(7, 2))
    expected = dense @ fixed_factors @ np.linalg.inv(fixed_factors.T @ fixed_factors + 0.2 * np.eye(2))
    np.testing.assert_allclose(als_solve_rows(sp.csr_matrix(dense), fixed_factors, 0.0, 0.2), expected)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="n_factors"):
        BPRRecommender(n_factors=0)
    with pytest.raises(ValueError, match="learning_rate"):
        BPRRecommender(learning_rate=0.0)
    with pytest.raises(ValueError, match="alpha"):
        ImplicitALSRecommender(alpha=-1.0)
    with pytest.raises(ValueError, match="regularisation"):
        ImplicitALSRecommender(regularisation=0.0)
    with pytest.raises(TypeError, match="track_loss"):
        ImplicitALSRecommender(track_loss="yes")
