"""Tests for tutorial_lib.models.logistic: the by-hand model against scikit-learn and PyTorch."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.sparse
import scipy.special
import sklearn.base
import sklearn.linear_model
import sklearn.metrics
import torch

from agreement import assert_same_outputs
from tutorial_lib.book import errata
from tutorial_lib.models import logistic, logistic_torch
from tutorial_lib.models.logistic import ConvergenceWarning, LogisticRegression, NotFittedError


# --------------------------------------------------------------------------------------
# Fixtures: a seeded synthetic problem that is not linearly separable
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(7)
    n_samples, n_features = 400, 5
    X = rng.normal(size=(n_samples, n_features))
    X[:, 1] = 0.6 * X[:, 0] + 0.8 * X[:, 1]  # correlated columns make the problem less trivial
    true_weights = np.array([1.0, -2.0, 0.5, 0.0, 0.8])
    probabilities = scipy.special.expit(X @ true_weights - 0.4)
    y = (rng.random(n_samples) < probabilities).astype(np.int64)  # Bernoulli labels: overlap
    return X, y


def sklearn_fit(X, y, C, fit_intercept=True):
    """scikit-learn's L2 logistic regression solved to a tight tolerance.

    ``penalty`` is deprecated since scikit-learn 1.8: L2 is the default (``l1_ratio=0``) and
    ``C=np.inf`` means no penalty.
    """
    model = sklearn.linear_model.LogisticRegression(
        C=C, solver="newton-cholesky", tol=1e-12, max_iter=1000, fit_intercept=fit_intercept
    )
    return model.fit(X, y)


def torch_objective(theta: torch.Tensor, X: np.ndarray, y: np.ndarray, l2: float) -> torch.Tensor:
    """The summed, penalised NLL written with PyTorch's own BCE, theta = [w, b]."""
    features = torch.as_tensor(X, dtype=torch.float64)
    labels = torch.as_tensor(y, dtype=torch.float64)
    weights, intercept = theta[:-1], theta[-1]
    logits = features @ weights + intercept
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels, reduction="sum")
    return bce + 0.5 * l2 * (weights @ weights)


# --------------------------------------------------------------------------------------
# sigmoid
# --------------------------------------------------------------------------------------
def test_sigmoid_matches_scipy_expit_and_does_not_overflow():
    z = np.array([-1000.0, -745.0, -40.0, -1.0, 0.0, 1e-8, 2.5, 40.0, 745.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow RuntimeWarning would fail the test
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            result = logistic.sigmoid(z)
    np.testing.assert_allclose(result, scipy.special.expit(z), rtol=1e-15, atol=1e-300)  # atol: subnormals near e^-745
    assert result[0] == 0.0 and result[-1] == 1.0


def test_sigmoid_scalar_returns_float_and_is_symmetric():
    assert isinstance(logistic.sigmoid(0.3), float)
    assert logistic.sigmoid(0.0) == 0.5
    z = np.linspace(-30, 30, 61)
    np.testing.assert_allclose(logistic.sigmoid(z) + logistic.sigmoid(-z), 1.0, rtol=1e-15)


def test_log_odds_inverts_sigmoid():
    z = np.linspace(-20, 20, 41)
    np.testing.assert_allclose(logistic.log_odds(logistic.sigmoid(z)), z, atol=1e-8)
    with pytest.raises(ValueError, match="probability"):
        logistic.log_odds(1.0)


# --------------------------------------------------------------------------------------
# The sources' worked examples (expected values recomputed here with math.exp)
# --------------------------------------------------------------------------------------
def test_source000_example_recomputed():
    example = errata.source000_example()
    expected_logit = -2.5 + 0.5 * 25 + 1.2 * 10 + 0.8 * 20  # = 38
    assert example.logit == pytest.approx(expected_logit) == 38.0
    assert example.probability == pytest.approx(1.0 / (1.0 + math.exp(-38.0)), rel=1e-15)
    assert example.probability == 1.0  # 1 - 3.1e-17 is 1.0 in float64
    assert example.complement_probability == pytest.approx(math.exp(-38.0) / (1.0 + math.exp(-38.0)), rel=1e-12)
    assert example.complement_probability == pytest.approx(3.1e-17, rel=0.02)
    # The source's formula 1 / (1 + exp(-b0 + sum b_i x_i)): exponent 2.5 + 40.5 = 43.
    assert example.wrong_sign_probability == pytest.approx(1.0 / (1.0 + math.exp(2.5 + 40.5)), rel=1e-12)
    assert example.claimed_probability == 0.895
    assert abs(example.probability - example.claimed_probability) > 0.1
    assert example.claimed_logit == pytest.approx(math.log(0.895 / 0.105), rel=1e-12)


@pytest.mark.parametrize("female_code", [0, 1])
def test_source003_example_recomputed(female_code):
    example = errata.source003_example(female_code)
    expected_logit = -4.5 + 0.5 * 28 + 2.0 * female_code + 1.5 * 8  # 21.5 or 23.5
    assert example.logit == pytest.approx(expected_logit)
    assert example.probability == pytest.approx(1.0 / (1.0 + math.exp(-expected_logit)), rel=1e-15)
    assert example.complement_probability == pytest.approx(1.0 / (1.0 + math.exp(expected_logit)), rel=1e-12)
    assert example.probability > 0.999_999  # not 0.384
    assert example.claimed_probability == 0.384
    assert example.wrong_sign_probability is None
    with pytest.raises(ValueError, match="female_code"):
        errata.source003_example(2)


def test_logit_and_probability_helpers():
    assert logistic.logit([1.0, -2.0], [3.0, 0.5], 0.25) == pytest.approx(0.25 + 3.0 - 1.0)
    assert logistic.predicted_probability([0.0], [5.0], 0.0) == 0.5
    # The wrong-sign formula negates every coefficient but keeps the intercept.
    assert errata.wrong_sign_probability([2.0], [1.0], 0.5) == pytest.approx(1 / (1 + math.exp(-0.5 + 2.0)))
    with pytest.raises(ValueError, match="same length"):
        logistic.logit([1.0, 2.0], [1.0], 0.0)


# --------------------------------------------------------------------------------------
# Loss, gradient, Hessian
# --------------------------------------------------------------------------------------
def test_loss_equals_n_times_sklearn_log_loss(problem):
    X, y = problem
    rng = np.random.default_rng(1)
    w, b = rng.normal(size=X.shape[1]), 0.3
    probabilities = scipy.special.expit(X @ w + b)
    expected = X.shape[0] * sklearn.metrics.log_loss(y, probabilities)
    assert logistic.negative_log_likelihood(w, b, X, y) == pytest.approx(expected, rel=1e-10)
    penalised = logistic.negative_log_likelihood(w, b, X, y, l2=2.0)
    assert penalised == pytest.approx(expected + 0.5 * 2.0 * (w @ w), rel=1e-10)


def test_loss_is_finite_for_huge_logits():
    X = np.array([[1000.0], [-1000.0]])
    y = np.array([0, 1])  # both confidently wrong: loss is about 1000 each
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        loss = logistic.negative_log_likelihood(np.array([1.0]), 0.0, X, y)
    assert loss == pytest.approx(2000.0)


@pytest.mark.parametrize("l2", [0.0, 0.7])
def test_gradient_matches_finite_differences_and_autograd(problem, l2):
    X, y = problem
    rng = np.random.default_rng(2)
    theta = np.append(rng.normal(scale=0.5, size=X.shape[1]), -0.2)  # [w, b]

    closed_form = logistic.gradient(theta[:-1], theta[-1], X, y, l2=l2)

    def loss_of_theta(params):
        return logistic.negative_log_likelihood(params[:-1], params[-1], X, y, l2=l2)

    numeric = logistic.finite_difference_gradient(loss_of_theta, theta, eps=1e-6)
    np.testing.assert_allclose(closed_form, numeric, rtol=1e-6, atol=1e-6)

    theta_torch = torch.tensor(theta, dtype=torch.float64, requires_grad=True)
    torch_objective(theta_torch, X, y, l2).backward()
    np.testing.assert_allclose(closed_form, theta_torch.grad.numpy(), rtol=1e-10, atol=1e-9)


def test_gradient_without_intercept_and_with_sparse_input(problem):
    X, y = problem
    w = np.linspace(-1, 1, X.shape[1])
    no_intercept = logistic.gradient(w, None, X, y)
    assert no_intercept.shape == (X.shape[1],)
    numeric = logistic.finite_difference_gradient(lambda v: logistic.negative_log_likelihood(v, None, X, y), w)
    np.testing.assert_allclose(no_intercept, numeric, rtol=1e-6, atol=1e-6)
    sparse_X = scipy.sparse.csr_matrix(X)
    np.testing.assert_allclose(logistic.gradient(w, 0.1, sparse_X, y), logistic.gradient(w, 0.1, X, y), rtol=1e-12)
    np.testing.assert_allclose(logistic.hessian(w, 0.1, sparse_X, y), logistic.hessian(w, 0.1, X, y), rtol=1e-12)


@pytest.mark.parametrize("l2", [0.0, 1.5])
def test_hessian_matches_torch_autograd(problem, l2):
    X, y = problem
    theta = np.append(np.linspace(-0.5, 0.5, X.shape[1]), 0.1)
    closed_form = logistic.hessian(theta[:-1], theta[-1], X, y, l2=l2)
    autograd = torch.autograd.functional.hessian(
        lambda t: torch_objective(t, X, y, l2), torch.tensor(theta, dtype=torch.float64)
    ).numpy()
    np.testing.assert_allclose(closed_form, autograd, rtol=1e-10, atol=1e-9)
    assert np.all(np.linalg.eigvalsh(closed_form) > 0)


def test_finite_difference_gradient_on_a_known_function():
    # f(a, b) = a^2 b + 3 b  =>  grad = (2 a b, a^2 + 3); at (1, 2): (4, 4)
    gradient = logistic.finite_difference_gradient(lambda p: p[0] ** 2 * p[1] + 3 * p[1], [1.0, 2.0])
    np.testing.assert_allclose(gradient, [4.0, 4.0], atol=1e-8)
    with pytest.raises(ValueError, match="eps"):
        logistic.finite_difference_gradient(lambda p: 0.0, [1.0], eps=0.0)
    with pytest.raises(TypeError, match="f must be a callable"):
        logistic.finite_difference_gradient(3.0, [1.0])


def test_l2_from_C():
    assert logistic.l2_from_C(4.0) == 0.25
    assert logistic.l2_from_C(np.inf) == 0.0
    with pytest.raises(ValueError, match="C must be"):
        logistic.l2_from_C(0.0)


# --------------------------------------------------------------------------------------
# The estimator against scikit-learn
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("solver", ["newton", "gd"])
@pytest.mark.parametrize("C", [0.05, 1.0, np.inf])
def test_coefficients_match_sklearn(problem, solver, C):
    X, y = problem
    reference = sklearn_fit(X, y, C)
    model = LogisticRegression(C=C, solver=solver, tol=1e-11, max_iter=20_000).fit(X, y)
    np.testing.assert_allclose(model.coef_, reference.coef_, atol=1e-6)
    np.testing.assert_allclose(model.intercept_, reference.intercept_, atol=1e-6)
    assert model.coef_.shape == (1, X.shape[1]) and model.intercept_.shape == (1,)
    np.testing.assert_allclose(model.predict_proba(X), reference.predict_proba(X), atol=1e-7)
    np.testing.assert_array_equal(model.predict(X), reference.predict(X))


def test_no_intercept_matches_sklearn(problem):
    X, y = problem
    reference = sklearn_fit(X, y, C=0.5, fit_intercept=False)
    model = LogisticRegression(C=0.5, fit_intercept=False, tol=1e-11).fit(X, y)
    np.testing.assert_allclose(model.coef_, reference.coef_, atol=1e-6)
    assert model.intercept_.tolist() == [0.0]


def test_sparse_input_gives_the_dense_result(problem):
    X, y = problem
    dense = LogisticRegression(tol=1e-10).fit(X, y)
    sparse = LogisticRegression(tol=1e-10).fit(scipy.sparse.csr_matrix(X), y)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, atol=1e-10)
    np.testing.assert_allclose(sparse.predict_proba(scipy.sparse.csr_matrix(X)), dense.predict_proba(X), atol=1e-12)


def test_fitted_attributes_and_loss_history(problem):
    X, y = problem
    model = LogisticRegression(C=2.0).fit(X, y)
    assert model.classes_.tolist() == [0, 1]
    assert model.n_features_in_ == X.shape[1]
    assert len(model.loss_history_) == model.n_iter_ + 1
    assert model.loss_history_[0] == pytest.approx(math.log(2.0))  # w = 0, b = 0: every p is 0.5
    assert np.all(np.diff(model.loss_history_) <= 1e-15)  # damped Newton never increases the loss
    probabilities = model.predict_proba(X)
    assert probabilities.shape == (X.shape[0], 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    np.testing.assert_array_equal(model.predict(X), (model.decision_function(X) > 0).astype(int))
    # sklearn tooling works because the estimator follows the BaseEstimator conventions
    clone = sklearn.base.clone(model)
    assert clone.get_params()["C"] == 2.0 and not hasattr(clone, "coef_")


def test_gradient_descent_warns_when_it_stops_early(problem):
    X, y = problem
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        LogisticRegression(solver="gd", max_iter=5).fit(X, y)


@pytest.mark.parametrize(
    ("kwargs", "fit_args", "error", "message"),
    [
        ({}, (np.zeros(5), np.zeros(5)), ValueError, "X must be 2-D"),
        ({}, (np.zeros((4, 2)), np.array([0, 1, 2, 1])), ValueError, "y must contain only 0 and 1"),
        ({}, (np.zeros((4, 2)), np.array([0, 1, 1])), ValueError, "different lengths"),
        ({}, (np.array([[0.0, np.nan], [1.0, 2.0]]), np.array([0, 1])), ValueError, "NaN"),
        ({}, (np.array([[0.0, np.inf], [1.0, 2.0]]), np.array([0, 1])), ValueError, "X contains NaN or infinite"),
        ({}, (np.zeros((3, 2)), np.array([1, 1, 1])), ValueError, "only one class"),
        ({"C": 0.0}, (np.eye(2), np.array([0, 1])), ValueError, "C must be"),
        ({"C": -1.0}, (np.eye(2), np.array([0, 1])), ValueError, "C must be"),
        ({"solver": "lbfgs"}, (np.eye(2), np.array([0, 1])), ValueError, "solver must be"),
        ({"max_iter": 0}, (np.eye(2), np.array([0, 1])), ValueError, "max_iter"),
        ({"learning_rate": -0.1, "solver": "gd"}, (np.eye(2), np.array([0, 1])), ValueError, "learning_rate"),
    ],
)
def test_fit_rejects_bad_input(kwargs, fit_args, error, message):
    with pytest.raises(error, match=message):
        LogisticRegression(**kwargs).fit(*fit_args)


def test_predict_before_fit_and_wrong_width(problem):
    X, y = problem
    with pytest.raises(NotFittedError, match="not fitted"):
        LogisticRegression().predict(X)
    model = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        model.predict_proba(X[:, :2])


def test_singular_hessian_is_explained():
    # Two identical columns, no penalty: the Hessian is exactly singular.
    X = np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0], [4.0, 4.0]])
    y = np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match="collinear"):
        LogisticRegression(C=np.inf, fit_intercept=False).fit(X, y)


# --------------------------------------------------------------------------------------
# The PyTorch version
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("C", [1.0, np.inf])
def test_torch_lbfgs_matches_sklearn(problem, C):
    X, y = problem
    reference = sklearn_fit(X, y, C)
    model = logistic_torch.fit_torch_logistic(X, y, C=C)
    assert model.linear.weight.dtype == torch.float64
    np.testing.assert_allclose(model.coef_, reference.coef_, atol=1e-6)
    np.testing.assert_allclose(model.intercept_, reference.intercept_, atol=1e-6)


def test_torch_module_with_copied_weights_gives_the_same_logits(problem):
    X, y = problem
    numpy_model = LogisticRegression(C=1.0).fit(X, y)
    torch_model = logistic_torch.TorchLogisticRegression(X.shape[1], dtype=torch.float64)
    torch_model.load_coefficients(numpy_model.coef_, numpy_model.intercept_)
    logits = assert_same_outputs(numpy_model.decision_function, torch_model, X, atol=1e-12)
    assert logits.shape == (X.shape[0],)


def test_sklearn_model_with_copied_weights_gives_the_same_probabilities(problem):
    X, y = problem
    ours = LogisticRegression(C=0.3).fit(X, y)
    reference = sklearn.linear_model.LogisticRegression().fit(X, y)  # any fit: weights are replaced
    reference.coef_, reference.intercept_ = ours.coef_.copy(), ours.intercept_.copy()
    assert_same_outputs(ours.predict_proba, reference.predict_proba, X, atol=1e-12)


def test_agreement_helper_fails_on_different_weights(problem):
    X, y = problem
    ours = LogisticRegression(C=1.0).fit(X, y)
    torch_model = logistic_torch.TorchLogisticRegression(X.shape[1], dtype=torch.float64)
    torch_model.load_coefficients(ours.coef_ * 1.001, ours.intercept_)
    with pytest.raises(AssertionError):
        assert_same_outputs(ours.decision_function, torch_model, X, atol=1e-6)
    with pytest.raises(AssertionError, match="shapes differ"):
        assert_same_outputs(ours.decision_function, ours.predict_proba, X)


# --------------------------------------------------------------------------------------
# The solver pieces the chapter shows, and the config
# --------------------------------------------------------------------------------------
def test_solver_steps_on_a_quadratic():
    # loss(theta) = 0.5 theta^T A theta - c^T theta: one Newton step lands on A^-1 c.
    A = np.array([[3.0, 1.0], [1.0, 2.0]])
    c = np.array([1.0, -1.0])

    def loss(theta):
        return 0.5 * theta @ A @ theta - c @ theta

    start = np.zeros(2)
    grad = A @ start - c
    np.testing.assert_allclose(logistic.newton_step(start, grad, A, loss), np.linalg.solve(A, c))
    np.testing.assert_allclose(logistic.gradient_descent_step(start, grad, 0.1), start - 0.1 * grad)
    theta, history, n_iter, converged = logistic.minimise(
        start, loss, lambda t: A @ t - c, lambda t, g: logistic.gradient_descent_step(t, g, 0.3),
        tol=1e-10, max_iter=10_000,
    )
    assert converged and len(history) == n_iter + 1 and np.all(np.diff(history) <= 1e-15)
    np.testing.assert_allclose(theta, np.linalg.solve(A, c), atol=1e-9)
    _, _, n_iter, converged = logistic.minimise(
        start, loss, lambda t: A @ t - c, lambda t, g: logistic.gradient_descent_step(t, g, 0.3),
        tol=1e-10, max_iter=3,
    )
    assert n_iter == 3 and not converged
    with pytest.raises(ValueError, match="singular"):
        logistic.newton_step(start, grad, np.zeros((2, 2)), loss)


def test_logistic_config_profiles_and_budget():
    quick = logistic.LogisticConfig.for_profile("quick")
    full = logistic.LogisticConfig.for_profile("full")
    assert quick.max_ratings == 30_000 and full.max_ratings is None
    assert quick.cost() <= logistic.LogisticConfig.QUICK_COST_LIMIT < full.cost()
    grid = quick.C_grid()
    assert grid.shape == (quick.C_grid_points,)
    np.testing.assert_allclose([grid[0], grid[-1]], [quick.C_min, quick.C_max])
    assert np.all(np.diff(np.log(grid)) > 0)
    assert "C_grid_points=5" in quick.describe()
    assert all(len(line) <= 78 for line in full.describe().splitlines())


def test_torch_input_validation(problem):
    X, y = problem
    with pytest.raises(TypeError, match="dense"):
        logistic_torch.fit_torch_logistic(scipy.sparse.csr_matrix(X), y)
    with pytest.raises(ValueError, match="C must be"):
        logistic_torch.fit_torch_logistic(X, y, C=0)
    with pytest.raises(ValueError, match="n_features"):
        logistic_torch.TorchLogisticRegression(0)
    with pytest.raises(ValueError, match="intercept is required"):
        logistic_torch.TorchLogisticRegression(2).load_coefficients([1.0, 2.0])


def test_fit_torch_logistic_accepts_read_only_arrays():
    import warnings

    rng = np.random.default_rng(5)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] + rng.normal(size=40) > 0).astype(float)  # noisy: not separable
    X.flags.writeable = False
    y.flags.writeable = False
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch warns on read-only NumPy input: that must not happen
        model = logistic_torch.fit_torch_logistic(X, y, C=1.0)
    reference = LogisticRegression(C=1.0, solver="newton", tol=1e-10).fit(np.array(X), np.array(y))
    np.testing.assert_allclose(model.coef_, reference.coef_, atol=1e-5)


def test_newton_step_halves_a_step_that_would_raise_the_loss():
    # Far on the wrong side of the optimum the logits are huge, the curvature
    # p (1 - p) is almost zero, and the full Newton step flies far past the
    # minimum: the loss there is higher than where we started.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 1))
    y = (rng.random(200) < logistic.sigmoid(2.0 * X[:, 0])).astype(float)
    l2 = 1.0

    def loss(theta):
        return logistic.negative_log_likelihood(theta[:1], theta[1], X, y, l2=l2)

    far = np.array([-8.0, 0.0])
    grad = logistic.gradient(far[:1], far[1], X, y, l2=l2)
    hess = logistic.hessian(far[:1], far[1], X, y, l2=l2)
    full_step = far - np.linalg.solve(hess, grad)
    assert loss(full_step) > loss(far)  # the undamped step overshoots
    damped = logistic.newton_step(far, grad, hess, loss)
    assert loss(damped) < loss(far)
    assert not np.allclose(damped, full_step)
    # From there, damped Newton reaches the minimiser scikit-learn finds.
    theta, history, _, converged = logistic.minimise(
        far, loss, lambda t: logistic.gradient(t[:1], t[1], X, y, l2=l2),
        lambda t, g: logistic.newton_step(
            t, g, logistic.hessian(t[:1], t[1], X, y, l2=l2), loss),
        tol=1e-8, max_iter=100,
    )
    assert converged and np.all(np.diff(history) <= 1e-12)
    reference = sklearn.linear_model.LogisticRegression(C=1 / l2, tol=1e-12, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(theta, [reference.coef_[0, 0], reference.intercept_[0]], atol=1e-5)
