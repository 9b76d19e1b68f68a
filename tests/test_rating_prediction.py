"""Rating predictors (explicit feedback): hand-worked predictions on chapter 1's matrix,
solvers against a closed form, similarities against independent loops and scikit-learn,
the cross-validation protocol, and checks at the door.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics.pairwise import cosine_similarity

from tutorial_lib.data import examples
from tutorial_lib.evaluation import metrics
from tutorial_lib.evaluation.rating_protocol import (
    ChooseOnValidation,
    cross_validate_ratings,
    inner_validation_split,
    summarise_folds,
)
from tutorial_lib.models import matrix_factorisation as mf
from tutorial_lib.models.neighbourhood import pearson_similarity_rows
from tutorial_lib.models.rating_baselines import (
    BaselinePredictor,
    GlobalMeanPredictor,
    baseline_loss,
    fit_baselines_als,
    fit_baselines_sgd,
)
from tutorial_lib.models.rating_neighbourhood import (
    NeighbourhoodRatingPredictor,
    cosine_similarity_co_rated,
    msd_similarity,
    pearson_baseline_similarity,
)

NAN = np.nan
TOY = examples.toy_ratings().to_numpy()  # chapter 1's matrix, NaN = not rated


def long_frame(matrix: np.ndarray) -> pd.DataFrame:
    """The rated cells of ``matrix`` as rows (user_id, item_id, rating), row-major order."""
    users, items = np.nonzero(~np.isnan(matrix))
    return pd.DataFrame({"user_id": users, "item_id": items, "rating": matrix[users, items]})


@pytest.fixture
def toy_ratings() -> pd.DataFrame:
    return long_frame(TOY)


def unrated_pairs(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.nonzero(np.isnan(matrix))


def random_ratings(seed: int, n_users: int = 30, n_items: int = 20, density: float = 0.5) -> pd.DataFrame:
    """Ratings 1..5 from a bias + one-factor model, on a random ``density`` of the cells."""
    rng = np.random.default_rng(seed)
    user_effect, item_effect = rng.normal(0, 0.7, n_users), rng.normal(0, 0.7, n_items)
    taste = np.outer(rng.normal(0, 1, n_users), rng.normal(0, 1, n_items))
    scores = 3 + user_effect[:, None] + item_effect[None, :] + 0.5 * taste + rng.normal(0, 0.5, (n_users, n_items))
    matrix = np.clip(np.round(scores), 1, 5)
    matrix[rng.random((n_users, n_items)) > density] = NAN
    return long_frame(matrix)


# ---------------------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------------------
def test_rmse_and_mae_by_hand():
    assert metrics.rmse([1, 3, 5], [2, 3, 3]) == pytest.approx(np.sqrt((1 + 0 + 4) / 3))
    assert metrics.mae([1, 3, 5], [2, 3, 3]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="y_pred"):
        metrics.rmse([1, 2], [1.0, np.nan])
    with pytest.raises(ValueError, match="same length"):
        metrics.mae([1, 2], [1.0])


# ---------------------------------------------------------------------------------------
# Global mean and baseline biases
# ---------------------------------------------------------------------------------------
def test_global_mean_predicts_the_training_mean(toy_ratings):
    model = GlobalMeanPredictor().fit(toy_ratings)
    assert model.predict([0, 4, 99], [2, 0, 0]) == pytest.approx([np.nanmean(TOY)] * 3)


def test_baseline_als_one_epoch_by_hand(toy_ratings):
    """One ALS round written as loops over the cells: items from b_u = 0, then users."""
    model = BaselinePredictor("als", reg_user=2.0, reg_item=3.0, n_epochs=1).fit(toy_ratings)
    mu = np.nanmean(TOY)
    item_bias = [sum(r - mu for r in TOY[:, i] if not np.isnan(r))
                 / (3.0 + np.sum(~np.isnan(TOY[:, i]))) for i in range(6)]
    user_bias = [sum(TOY[u, i] - mu - item_bias[i] for i in range(6) if not np.isnan(TOY[u, i]))
                 / (2.0 + np.sum(~np.isnan(TOY[u]))) for u in range(5)]
    np.testing.assert_allclose(model.item_bias_, item_bias, rtol=1e-12)
    np.testing.assert_allclose(model.user_bias_, user_bias, rtol=1e-12)
    # 小王 (user 0) and 咖啡 (item 2): mu + b_u + b_i; a new user gets mu + b_i.
    assert model.predict([0], [2])[0] == pytest.approx(mu + user_bias[0] + item_bias[2])
    assert model.predict([7], [2])[0] == pytest.approx(mu + item_bias[2])
    assert model.predict([0], [9])[0] == pytest.approx(mu + user_bias[0])


def closed_form_baselines(frame: pd.DataFrame, reg_user: float, reg_item: float):
    """The minimiser of L(b): normal equations of a ridge regression on one-hot columns."""
    users, items = frame["user_id"].to_numpy(), frame["item_id"].to_numpy()
    n_users, n_items = users.max() + 1, items.max() + 1
    design = np.zeros((len(frame), n_users + n_items))
    design[np.arange(len(frame)), users] = 1.0
    design[np.arange(len(frame)), n_users + items] = 1.0
    penalty = np.diag([reg_user] * n_users + [reg_item] * n_items)
    residual = frame["rating"].to_numpy() - frame["rating"].mean()
    solution = np.linalg.solve(design.T @ design + penalty, design.T @ residual)
    return solution[:n_users], solution[n_users:]


def test_baseline_als_and_sgd_reach_the_closed_form_loss():
    frame = random_ratings(1)
    users, items, values = (frame[c].to_numpy() for c in ("user_id", "item_id", "rating"))
    values = values.astype(float)
    n_users, n_items, mu = users.max() + 1, items.max() + 1, values.mean()
    reg_user, reg_item = 4.0, 2.5
    best = baseline_loss(users, items, values, mu, *closed_form_baselines(frame, reg_user, reg_item),
                         reg_user, reg_item)
    common = dict(global_mean=mu, reg_user=reg_user, reg_item=reg_item)
    als = fit_baselines_als(users, items, values, n_users, n_items, n_epochs=200, **common)
    assert baseline_loss(users, items, values, mu, *als, reg_user, reg_item) == pytest.approx(best, rel=1e-10)
    gradient_descent = fit_baselines_sgd(users, items, values, n_users, n_items, n_epochs=3000,
                                         learning_rate=0.01, batch_size=len(values), **common)
    assert baseline_loss(users, items, values, mu, *gradient_descent, reg_user, reg_item) == pytest.approx(
        best, rel=1e-8)
    mini_batch = fit_baselines_sgd(users, items, values, n_users, n_items, n_epochs=400,
                                   learning_rate=0.002, batch_size=16, **common)
    assert baseline_loss(users, items, values, mu, *mini_batch, reg_user, reg_item) == pytest.approx(
        best, rel=2e-3)
    # Few epochs are not enough: the test can fail.
    early = fit_baselines_sgd(users, items, values, n_users, n_items, n_epochs=1,
                              learning_rate=0.001, batch_size=len(values), **common)
    assert baseline_loss(users, items, values, mu, *early, reg_user, reg_item) > 1.05 * best


def test_baseline_predictor_loss_is_l_of_its_fitted_biases():
    frame = random_ratings(1)
    model = BaselinePredictor("als", reg_user=4.0, reg_item=2.5, n_epochs=200).fit(frame)
    best = baseline_loss(*(frame[c].to_numpy() for c in ("user_id", "item_id")), frame["rating"].to_numpy(float),
                         frame["rating"].mean(), *closed_form_baselines(frame, 4.0, 2.5), 4.0, 2.5)
    assert model.loss(frame) == pytest.approx(best, rel=1e-10)
    assert BaselinePredictor("sgd", reg_user=4.0, reg_item=2.5).fit(frame).loss(frame) > best
    unseen = frame.assign(user_id=frame["user_id"] + 10_000)
    with pytest.raises(ValueError, match="never saw"):
        model.loss(unseen)


# ---------------------------------------------------------------------------------------
# Similarities
# ---------------------------------------------------------------------------------------
def co_rated_loop(matrix, function):
    """similarity[u, v] = function(r_u on co-rated, r_v on co-rated), or 0 with none; diag 1."""
    n = len(matrix)
    result = np.eye(n)
    for u, v in itertools.permutations(range(n), 2):
        both = ~np.isnan(matrix[u]) & ~np.isnan(matrix[v])
        result[u, v] = function(matrix[u, both], matrix[v, both]) if both.any() else 0.0
    return result


def sparse(matrix):
    import scipy.sparse as sp

    rows, columns = np.nonzero(~np.isnan(matrix))
    return sp.csr_matrix((matrix[rows, columns], (rows, columns)), shape=matrix.shape)


def test_msd_and_cosine_equal_loops_over_co_rated_items():
    expected_msd = co_rated_loop(TOY, lambda a, b: 1 / (1 + np.mean((a - b) ** 2)))
    np.testing.assert_allclose(msd_similarity(sparse(TOY)), expected_msd, atol=1e-12)
    assert expected_msd[0, 2] == pytest.approx(4 / 13) and expected_msd[0, 3] == pytest.approx(3 / 20)
    expected_cosine = co_rated_loop(TOY, lambda a, b: a @ b / np.sqrt((a @ a) * (b @ b)))
    np.testing.assert_allclose(cosine_similarity_co_rated(sparse(TOY)), expected_cosine, atol=1e-12)
    np.testing.assert_allclose(cosine_similarity_co_rated(sparse(TOY.T)),
                               co_rated_loop(TOY.T, lambda a, b: a @ b / np.sqrt((a @ a) * (b @ b))),
                               atol=1e-12)


def test_co_rated_cosine_on_a_full_matrix_is_sklearns():
    full = np.random.default_rng(3).integers(1, 6, size=(7, 9)).astype(float)
    similarity = cosine_similarity_co_rated(sparse(full))
    np.testing.assert_allclose(similarity, cosine_similarity(full), atol=1e-12)


def test_pearson_baseline_equals_a_loop_with_shrinkage():
    row_bias, column_bias, mu = np.linspace(-0.5, 0.5, 5), np.linspace(0.3, -0.3, 6), 3.1
    residuals = TOY - mu - row_bias[:, None] - column_bias[None, :]
    shrinkage = 2.0

    def shrunk_correlation(a, b):
        if len(a) < 2:
            return 0.0
        return (a @ b / np.sqrt((a @ a) * (b @ b))) * (len(a) - 1) / (len(a) - 1 + shrinkage)

    expected = co_rated_loop(residuals, shrunk_correlation)
    actual = pearson_baseline_similarity(sparse(TOY), row_bias, column_bias, mu, shrinkage=shrinkage)
    np.testing.assert_allclose(actual, expected, atol=1e-12)


# ---------------------------------------------------------------------------------------
# Neighbourhood predictions
# ---------------------------------------------------------------------------------------
def test_mean_centred_user_knn_by_hand(toy_ratings):
    """小王 (0) on 咖啡 (2): its raters 小张 (2, sim 4/13) and 小刘 (3, sim 3/20)."""
    means = np.nanmean(TOY, axis=1)          # 3, 4.6, 13/6, 3.5, 3
    both = 3 + (4 / 13 * (4 - 13 / 6) + 3 / 20 * (4 - 3.5)) / (4 / 13 + 3 / 20)
    assert both == pytest.approx(3 + 997 / 714)
    model = NeighbourhoodRatingPredictor("mean", "msd", k=40).fit(toy_ratings)
    assert model.predict([0], [2])[0] == pytest.approx(both)
    nearest_only = NeighbourhoodRatingPredictor("mean", "msd", k=1).fit(toy_ratings)
    assert nearest_only.predict([0], [2])[0] == pytest.approx(means[0] + 4 - 13 / 6)
    # min_k=3: two neighbours are not enough, the prediction is the user's mean.
    too_few = NeighbourhoodRatingPredictor("mean", "msd", min_k=3).fit(toy_ratings)
    assert too_few.predict([0], [2])[0] == pytest.approx(means[0])


def test_baseline_centred_item_knn_by_hand(toy_ratings):
    """Item-based, baseline-centred, cosine: written out as a loop over 小王's rated items."""
    model = NeighbourhoodRatingPredictor("baseline", "cosine", user_based=False, k=2).fit(toy_ratings)
    baseline = model.baseline_
    mu, b_u, b_i = baseline.global_mean_, baseline.user_bias_, baseline.item_bias_
    similarity = cosine_similarity_co_rated(sparse(TOY.T))
    rated = [j for j in range(6) if not np.isnan(TOY[0, j])]
    nearest = sorted(rated, key=lambda j: -similarity[2, j])[:2]
    weights = np.array([similarity[2, j] for j in nearest])
    deviations = np.array([TOY[0, j] - (mu + b_u[0] + b_i[j]) for j in nearest])
    expected = mu + b_u[0] + b_i[2] + weights @ deviations / weights.sum()
    assert model.predict([0], [2])[0] == pytest.approx(np.clip(expected, 1, 5))


def test_unseen_users_and_items_fall_back(toy_ratings):
    mean_model = NeighbourhoodRatingPredictor("mean").fit(toy_ratings)
    np.testing.assert_allclose(mean_model.predict([9, 0], [0, 9]), [np.nanmean(TOY)] * 2)
    baseline_model = NeighbourhoodRatingPredictor("baseline").fit(toy_ratings)
    np.testing.assert_allclose(baseline_model.predict([9, 0], [0, 9]),
                               baseline_model.baseline_.predict([9, 0], [0, 9]))


def test_similarity_options_agree_with_the_rows_functions(toy_ratings):
    model = NeighbourhoodRatingPredictor("mean", "pearson").fit(toy_ratings)
    expected = pearson_similarity_rows(TOY)
    np.fill_diagonal(expected, 1.0)
    np.testing.assert_allclose(model.similarity_, expected, atol=1e-12)


def test_predictions_are_clipped_to_the_scale():
    # A generous user (0: 5s where others give 3s) and a popular item (2: all 5s):
    # mu + b_u + b_i of the unrated pair (0, 2) is above 5.
    frame = pd.DataFrame({"user_id": [0, 0, 1, 1, 2, 2, 1, 2], "item_id": [0, 1, 2, 3, 2, 3, 0, 1],
                          "rating": [5, 5, 5, 1, 5, 1, 3, 3]})
    model = BaselinePredictor(reg_user=0.0, reg_item=0.0, n_epochs=50).fit(frame)
    assert model._predict(np.array([0]), np.array([2]))[0] > 5.0
    assert model.predict([0], [2])[0] == 5.0


# ---------------------------------------------------------------------------------------
# Matrix factorisation
# ---------------------------------------------------------------------------------------
def positions(frame):
    return (frame["user_id"].to_numpy(), frame["item_id"].to_numpy(), frame["rating"].to_numpy(float))


def test_als_user_step_is_the_per_user_ridge_solution():
    frame = random_ratings(2)
    users, items, values = positions(frame)
    rng = np.random.default_rng(0)
    params = mf.FactorParameters.initial(users.max() + 1, items.max() + 1, 3, 0.5, rng)
    params.item_bias[:] = rng.normal(0, 0.3, len(params.item_bias))
    mu, reg = values.mean(), 0.1
    mf.als_update_users(params, users, items, values, mu, reg)
    for user in range(users.max() + 1):
        mine = users == user
        design = np.hstack([params.item_factors[items[mine]], np.ones((mine.sum(), 1))])
        target = values[mine] - mu - params.item_bias[items[mine]]
        # Ridge as least squares on stacked rows: [design; sqrt(reg n_u) I] x = [target; 0].
        stacked = np.vstack([design, np.sqrt(reg * mine.sum()) * np.eye(4)])
        solution = np.linalg.lstsq(stacked, np.concatenate([target, np.zeros(4)]), rcond=None)[0]
        np.testing.assert_allclose(params.user_factors[user], solution[:3], atol=1e-10)
        assert params.user_bias[user] == pytest.approx(solution[3], abs=1e-10)


def test_sgd_with_items_fixed_reaches_the_als_loss():
    frame = random_ratings(4)
    users, items, values = positions(frame)
    mu, reg = values.mean(), 0.05
    start = mf.FactorParameters.initial(users.max() + 1, items.max() + 1, 2, 0.5, np.random.default_rng(1))
    exact = mf.FactorParameters(*(array.copy() for array in vars(start).values()))
    mf.als_update_users(exact, users, items, values, mu, reg)
    best = mf.mf_loss(exact, users, items, values, mu, reg)
    descent = mf.FactorParameters(*(array.copy() for array in vars(start).values()))
    rng = np.random.default_rng(0)
    losses = []
    for _ in range(2000):
        mf.sgd_epoch(descent, users, items, values, mu, learning_rate=0.02, reg=reg,
                     batch_size=len(values), rng=rng, update_items=False)
        losses.append(mf.mf_loss(descent, users, items, values, mu, reg))
    np.testing.assert_allclose(descent.item_factors, start.item_factors)   # held fixed
    assert losses[0] > best * 1.01                                          # it had to descend
    assert losses[-1] == pytest.approx(best, rel=1e-8)


def test_matrix_factorisation_fits_and_als_never_goes_up():
    frame = random_ratings(5, n_users=40, n_items=30, density=0.6)
    als = mf.MatrixFactorisation("als", n_factors=3, n_epochs=8, reg=0.05).fit(frame)
    assert np.all(np.diff(als.loss_history_) <= 1e-9 * als.loss_history_[0])
    sgd = mf.MatrixFactorisation("sgd", n_factors=3, n_epochs=30, learning_rate=0.01, batch_size=32).fit(frame)
    assert sgd.loss_history_[-1] < sgd.loss_history_[0]
    users, items, values = positions(frame)
    mean_rmse = metrics.rmse(values, np.full(len(values), values.mean()))
    for model in (als, sgd):
        assert metrics.rmse(values, model.predict(users, items)) < 0.8 * mean_rmse
    # A new user: mu + b_i.
    params = als.parameters_
    column = np.searchsorted(als.item_ids_, 3)
    assert als.predict([999], [3])[0] == pytest.approx(np.clip(als.global_mean_ + params.item_bias[column], 1, 5))


# ---------------------------------------------------------------------------------------
# Protocol
# ---------------------------------------------------------------------------------------
def test_cross_validation_scores_each_fold_on_its_test_rows(toy_ratings):
    folds = [(np.arange(0, 18), np.arange(18, 23)), (np.arange(5, 23), np.arange(0, 5))]
    per_fold = cross_validate_ratings(GlobalMeanPredictor, toy_ratings, folds)
    for row, (train, test) in zip(per_fold.itertuples(), folds):
        mean = toy_ratings["rating"].iloc[train].mean()
        errors = toy_ratings["rating"].iloc[test] - mean
        assert row.rmse == pytest.approx(np.sqrt(np.mean(errors ** 2)))
        assert row.mae == pytest.approx(np.mean(np.abs(errors)))
    summary = summarise_folds(per_fold)
    assert summary["rmse_mean"] == pytest.approx(per_fold["rmse"].mean())
    assert summary["rmse_std"] == pytest.approx(np.std(per_fold["rmse"]))
    # Two folds: t-interval with 1 degree of freedom, t = 12.706.
    half_width = 12.7062 * np.std(per_fold["rmse"], ddof=1) / np.sqrt(2)
    assert summary["rmse_ci_high"] - summary["rmse_mean"] == pytest.approx(half_width, rel=1e-4)
    assert summary["mae_ci_low"] <= summary["mae_mean"] <= summary["mae_ci_high"]


def test_choose_on_validation_uses_only_the_training_rows():
    frame = random_ratings(6, n_users=60, n_items=40)
    train, test = frame.iloc[:600], frame.iloc[600:]
    chooser = ChooseOnValidation({"mean": GlobalMeanPredictor, "biases": BaselinePredictor}).fit(train)
    assert chooser.chosen_ == "biases"
    assert set(chooser.validation_rmse_) == {"mean", "biases"}
    inner, valid = inner_validation_split(train)
    assert len(inner) + len(valid) == len(train) and not set(valid.index) & set(test.index)
    np.testing.assert_allclose(chooser.predict(test["user_id"], test["item_id"]),
                               BaselinePredictor().fit(train).predict(test["user_id"], test["item_id"]))


# ---------------------------------------------------------------------------------------
# Checks at the door
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("model", [GlobalMeanPredictor(), BaselinePredictor(), NeighbourhoodRatingPredictor(),
                                   mf.MatrixFactorisation(n_factors=2, n_epochs=1)])
def test_bad_ratings_are_refused(model, toy_ratings):
    with pytest.raises(ValueError, match="rating"):
        model.fit(toy_ratings.drop(columns="rating"))
    with pytest.raises(ValueError, match="repeated"):
        model.fit(pd.concat([toy_ratings, toy_ratings.iloc[:1]]))
    with pytest.raises(ValueError, match="rating_scale"):
        model.fit(toy_ratings.assign(rating=toy_ratings["rating"] * 2))
    with pytest.raises(ValueError, match="not fitted"):
        type(model)().predict([0], [0])
    model.fit(toy_ratings)
    with pytest.raises(ValueError, match="same length"):
        model.predict([0, 1], [0])
    with pytest.raises(TypeError, match="users"):
        model.predict([0.5], [0])


@pytest.mark.parametrize("model, message", [
    (BaselinePredictor("newton"), "solver"),
    (BaselinePredictor(reg_user=-1), "reg_user"),
    (NeighbourhoodRatingPredictor("median"), "centring"),
    (NeighbourhoodRatingPredictor(similarity="euclid"), "similarity"),
    (NeighbourhoodRatingPredictor(k=0), "k"),
    (mf.MatrixFactorisation("adam"), "solver"),
    (mf.MatrixFactorisation(n_factors=0), "n_factors"),
    (mf.MatrixFactorisation(learning_rate=0), "learning_rate"),
])
def test_bad_settings_are_named(model, message, toy_ratings):
    with pytest.raises(ValueError, match=message):
        model.fit(toy_ratings)


# ---------------------------------------------------------------------------------------
# SVD++
# ---------------------------------------------------------------------------------------
def test_svdpp_full_batch_step_is_minus_half_the_gradient_of_its_loss():
    frame = random_ratings(7, n_users=8, n_items=6, density=0.7)
    users, items, values = positions(frame)
    n_users, n_items, n_factors = users.max() + 1, items.max() + 1, 2
    mu, reg, rate = values.mean(), 0.05, 1e-6
    rng = np.random.default_rng(0)
    params = mf.FactorParameters.initial(n_users, n_items, n_factors, 0.5, rng)
    params.user_bias[:] = rng.normal(0, 0.3, n_users)
    implicit = rng.normal(0, 0.5, (n_items, n_factors))
    weights = mf.implicit_weights(users, items, n_users, n_items)
    flat_before = np.concatenate([a.ravel() for a in (*vars(params).values(), implicit)])
    stepped, stepped_implicit = mf.FactorParameters(*(a.copy() for a in vars(params).values())), implicit.copy()
    mf.svdpp_sgd_epoch(stepped, stepped_implicit, weights, users, items, values, mu, learning_rate=rate,
                       reg=reg, batch_size=len(values), rng=np.random.default_rng(1))
    flat_after = np.concatenate([a.ravel() for a in (*vars(stepped).values(), stepped_implicit)])
    sizes = [a.size for a in (*vars(params).values(), implicit)]
    shapes = [a.shape for a in (*vars(params).values(), implicit)]

    def loss_of(flat):
        parts = np.split(flat, np.cumsum(sizes)[:-1])
        arrays = [part.reshape(shape) for part, shape in zip(parts, shapes)]
        return mf.svdpp_loss(mf.FactorParameters(*arrays[:4]), arrays[4], weights, users, items, values, mu, reg)

    eps = 1e-6
    gradient = np.array([(loss_of(flat_before + eps * e) - loss_of(flat_before - eps * e)) / (2 * eps)
                         for e in np.eye(len(flat_before))])
    np.testing.assert_allclose((flat_after - flat_before) / rate, -gradient / 2, rtol=1e-4, atol=1e-6)


def test_svdpp_fits_and_predicts_by_its_formula():
    frame = random_ratings(8, n_users=40, n_items=30, density=0.6)
    users, items, values = positions(frame)
    model = mf.SVDPlusPlus(n_factors=3, n_epochs=30, learning_rate=0.01, batch_size=32).fit(frame)
    mean_rmse = metrics.rmse(values, np.full(len(values), values.mean()))
    assert metrics.rmse(values, model.predict(users, items)) < 0.8 * mean_rmse
    params, y = model.parameters_, model.implicit_factors_
    user, item = 3, 5
    row, column = np.searchsorted(model.user_ids_, user), np.searchsorted(model.item_ids_, item)
    rated_items = np.searchsorted(model.item_ids_, items[users == user])
    taste = params.user_factors[row] + y[rated_items].sum(axis=0) / np.sqrt(len(rated_items))
    expected = model.global_mean_ + params.user_bias[row] + params.item_bias[column] + params.item_factors[column] @ taste
    assert model.predict([user], [item])[0] == pytest.approx(np.clip(expected, 1, 5))
    assert model.predict([999], [item])[0] == pytest.approx(np.clip(model.global_mean_ + params.item_bias[column], 1, 5))


def test_mf_full_batch_step_on_both_sides_is_minus_half_the_gradient_of_its_loss():
    # One full batch updates users and items from the same errors: the step of every
    # parameter (user and item biases and factors) is -rate/2 times the loss gradient.
    frame = random_ratings(11, n_users=7, n_items=6, density=0.7)
    users, items, values = positions(frame)
    n_users, n_items, n_factors = users.max() + 1, items.max() + 1, 2
    mu, reg, rate = values.mean(), 0.05, 1e-6
    rng = np.random.default_rng(3)
    params = mf.FactorParameters.initial(n_users, n_items, n_factors, 0.5, rng)
    params.user_bias[:] = rng.normal(0, 0.3, n_users)
    params.item_bias[:] = rng.normal(0, 0.3, n_items)
    arrays_before = [a.copy() for a in vars(params).values()]
    stepped = mf.FactorParameters(*(a.copy() for a in arrays_before))
    mf.sgd_epoch(stepped, users, items, values, mu, learning_rate=rate, reg=reg,
                 batch_size=len(values), rng=np.random.default_rng(1))
    flat_before = np.concatenate([a.ravel() for a in arrays_before])
    flat_after = np.concatenate([a.ravel() for a in vars(stepped).values()])
    sizes = [a.size for a in arrays_before]
    shapes = [a.shape for a in arrays_before]

    def loss_of(flat):
        parts = np.split(flat, np.cumsum(sizes)[:-1])
        arrays = [part.reshape(shape) for part, shape in zip(parts, shapes)]
        return mf.mf_loss(mf.FactorParameters(*arrays), users, items, values, mu, reg)

    eps = 1e-6
    gradient = np.array([(loss_of(flat_before + eps * e) - loss_of(flat_before - eps * e)) / (2 * eps)
                         for e in np.eye(len(flat_before))])
    np.testing.assert_allclose((flat_after - flat_before) / rate, -gradient / 2, rtol=1e-4, atol=1e-6)
    assert not np.allclose(stepped.item_bias, arrays_before[list(vars(params)).index("item_bias")])
