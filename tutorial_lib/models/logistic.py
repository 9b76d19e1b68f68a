"""Logistic regression from scratch: the sigmoid, the loss, its derivatives and two solvers.

The model
---------
For a feature vector ``x`` (length ``n_features``), weights ``w`` and intercept ``b``::

    z = w · x + b                     # the logit (log-odds), any real number
    P(y = 1 | x) = sigmoid(z) = 1 / (1 + exp(-z))

Note the minus sign in front of the *whole* logit. Source 000 (§4.1) writes
``1 / (1 + exp(-b + w · x))``, which flips the sign of every coefficient;
``tutorial_lib.book.errata.wrong_sign_probability`` computes that formula so the book can
show the difference.

The loss
--------
For labels ``y_i`` in {0, 1} and logits ``z_i`` the negative log-likelihood (binary
cross-entropy, natural log) has *two* terms, one for each label value::

    NLL = -sum_i [ y_i log sigmoid(z_i) + (1 - y_i) log(1 - sigmoid(z_i)) ]
        =  sum_i [ log(1 + exp(z_i)) - y_i z_i ]          # the form computed here

(Source 003 keeps only the ``y = 1`` term, which is maximised by predicting 1 for everyone.)
This module works with the **sum** over examples plus an L2 penalty on the weights (never
on the intercept)::

    L(w, b) = NLL(w, b) + (l2 / 2) ||w||^2

scikit-learn's ``LogisticRegression`` minimises ``0.5 ||w||^2 + C · NLL(w, b)``. Dividing
by ``C`` does not move the minimum, so the two problems are the same when ``l2 = 1 / C``
(:func:`l2_from_C`), and ``C = inf`` means no penalty.

Derivatives, with ``p = sigmoid(X w + b)`` and ``S = diag(p (1 - p))``::

    dL/dw = X^T (p - y) + l2 w            dL/db = sum(p - y)
    d2L/dw2 = X^T S X + l2 I              d2L/dw db = X^T diag(S)     d2L/db2 = trace(S)

Parameter order: wherever the weights and the intercept are stacked into one vector (the
gradient, the Hessian, :func:`finite_difference_gradient`), the weights come first and the
intercept last: ``theta = [w_1, ..., w_d, b]``. Passing ``b=None`` means "no intercept";
then ``theta = w``.

Scale matters
-------------
A logit adds up ``coefficient × feature`` terms. With raw features such as an age of 25 or
20 page views, a coefficient of 0.5 already contributes 12.5 to the logit, and
``sigmoid(12.5) = 0.999996``: the model is *saturated*, its probabilities are all 0 or 1
and its gradient ``p - y`` vanishes for the examples it gets right. Standardise features
(zero mean, unit variance) before fitting; both worked examples of the sources below are
saturated for exactly this reason.
"""

from __future__ import annotations

import dataclasses
import numbers
import warnings
from collections.abc import Callable, Sequence
from typing import ClassVar

import numpy as np
import scipy.sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from tutorial_lib.config import ProfileConfig
from tutorial_lib.validation import (
    ArgumentTypeError,
    as_feature_matrix,
    as_label_vector,
    check_bool,
    check_choice,
    check_int,
    check_real,
)

__all__ = [
    "sigmoid",
    "log_odds",
    "logit",
    "predicted_probability",
    "l2_from_C",
    "negative_log_likelihood",
    "gradient",
    "hessian",
    "finite_difference_gradient",
    "gradient_descent_step",
    "newton_step",
    "minimise",
    "LogisticRegression",
    "LogisticConfig",
    "ConvergenceWarning",
    "NotFittedError",
]

SOLVERS = ("newton", "gd")
# Default iteration caps: Newton needs a handful of steps, gradient descent thousands.
DEFAULT_MAX_ITER = {"newton": 100, "gd": 10_000}


# --------------------------------------------------------------------------------------
# The sigmoid and the logit
# --------------------------------------------------------------------------------------
def sigmoid(z):
    """The logistic function ``1 / (1 + exp(-z))``, without overflow.

    ``exp(-z)`` overflows for ``z < -709``. Writing the function with
    ``exp(-|z|)``, which is always in (0, 1], avoids that::

        z >= 0:  1 / (1 + exp(-|z|))
        z <  0:  exp(-|z|) / (1 + exp(-|z|))   # the same, rearranged

    Parameters
    ----------
    z : float or array_like
        Logits, any shape.

    Returns
    -------
    float or numpy.ndarray
        Probabilities in [0, 1] with the shape of ``z`` (a Python float
        for a scalar input). In float64, ``sigmoid(z)`` rounds to exactly
        1.0 once ``z`` is above about 36.7; ``sigmoid(-z)`` still holds
        the small complement accurately.
    """
    z_array = np.asarray(z)
    # None or "x" would otherwise become NaN or a bare error.
    if z_array.dtype.kind not in "iuf":
        raise ArgumentTypeError(
            "z must be a number or an array of numbers, "
            f"got {type(z).__name__}."
        )
    z_array = z_array.astype(np.float64)
    exp_minus_abs = np.exp(-np.abs(z_array))  # in (0, 1]: never overflows
    probabilities = np.where(
        z_array >= 0,
        1.0 / (1.0 + exp_minus_abs),
        exp_minus_abs / (1.0 + exp_minus_abs),
    )
    if probabilities.ndim == 0:
        return float(probabilities)
    return probabilities


def log_odds(probability):
    """The inverse of :func:`sigmoid`: ``log(p / (1 - p))``.

    Useful to ask "which logit would a claimed probability need?".

    Parameters
    ----------
    probability : float or array_like
        Values strictly between 0 and 1.

    Returns
    -------
    float or numpy.ndarray
        The logits, same shape as ``probability``.
    """
    p = np.asarray(probability, dtype=np.float64)
    if np.any(~np.isfinite(p)) or np.any((p <= 0) | (p >= 1)):
        raise ValueError("probability must lie strictly between 0 and 1.")
    result = np.log(p) - np.log1p(-p)
    return float(result) if result.ndim == 0 else result


def _as_vector(values, name: str) -> np.ndarray:
    """Return a finite 1-D float64 array, or raise naming ``name``."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ArgumentTypeError(f"{name} must be a 1-D sequence of numbers, got {type(values).__name__}.") from None
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sequence of numbers, got an array of shape {array.shape}.")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    return array


def logit(coefficients: Sequence[float], features: Sequence[float], intercept: float) -> float:
    """The linear score ``intercept + sum_i coefficients[i] * features[i]``.

    This is the *logit* (log-odds) of the positive class. It is unbounded: with unscaled
    features (ages, counts) it easily reaches tens, where :func:`sigmoid` is saturated.

    Parameters
    ----------
    coefficients : sequence of float, length n_features
        The weights ``beta_1 ... beta_n`` (without the intercept).
    features : sequence of float, length n_features
        One example's feature values ``x_1 ... x_n``.
    intercept : float
        ``beta_0``.

    Returns
    -------
    float
    """
    coefficient_vector = _as_vector(coefficients, "coefficients")
    feature_vector = _as_vector(features, "features")
    if coefficient_vector.shape != feature_vector.shape:
        raise ValueError(
            f"coefficients and features must have the same length, got {coefficient_vector.size} "
            f"and {feature_vector.size}."
        )
    intercept = check_real(intercept, "intercept")
    return float(intercept + coefficient_vector @ feature_vector)


def predicted_probability(coefficients: Sequence[float], features: Sequence[float], intercept: float) -> float:
    """``P(y = 1 | x) = sigmoid(logit)`` for one example (see :func:`logit` for the arguments)."""
    return sigmoid(logit(coefficients, features, intercept))


# --------------------------------------------------------------------------------------
# Input checks shared by the functions and the estimator
# --------------------------------------------------------------------------------------
def _check_parameters(w, b, n_features: int):
    """Return ``w`` as a float64 vector of length ``n_features`` and ``b`` as float or None."""
    weights = np.asarray(w, dtype=np.float64)
    if weights.shape != (n_features,):
        raise ValueError(f"w must have shape (n_features,) = ({n_features},), got {weights.shape}.")
    if not np.all(np.isfinite(weights)):
        raise ValueError("w contains NaN or infinite values.")
    if b is None:
        return weights, None
    if not isinstance(b, numbers.Real) and not (np.ndim(b) == 0 and np.isrealobj(b)):
        raise TypeError(f"b must be a real number or None (no intercept), got {type(b).__name__}.")
    if not np.isfinite(b):
        raise ValueError("b must be finite.")
    return weights, float(b)


def _check_l2(l2) -> float:
    return check_real(l2, "l2", min_val=0)


def l2_from_C(C: float) -> float:
    """Translate scikit-learn's ``C`` into this module's ``l2 = 1 / C`` (``C = inf`` gives 0).

    scikit-learn minimises ``0.5 ||w||^2 + C · NLL``; this module minimises
    ``NLL + (l2 / 2) ||w||^2``. The first is ``C`` times the second when ``l2 = 1 / C``.
    """
    C = check_real(C, "C", min_val=0, include_boundaries="neither", allow_infinite=True)
    return 0.0 if np.isinf(C) else 1.0 / C


# --------------------------------------------------------------------------------------
# Loss, gradient and Hessian (unchecked cores, then checked public functions)
# --------------------------------------------------------------------------------------
def _logits(w: np.ndarray, b: float | None, X) -> np.ndarray:
    """``X w + b``, shape (n_samples,); works for dense and sparse ``X``."""
    scores = np.asarray(X @ w).ravel()
    return scores if b is None else scores + b


def _loss(w, b, X, y, l2) -> float:
    """``sum_i [log(1 + exp(z_i)) - y_i z_i] + (l2 / 2) ||w||^2``.

    ``z = X w + b``; ``w``: (n_features,), ``b``: float or None,
    ``X``: (n_samples, n_features), ``y``: (n_samples,) of 0/1.
    """
    z = _logits(w, b, X)  # (n_samples,)
    # log(1 + exp(z)) - y z is the two-term cross-entropy; logaddexp(0, z)
    # computes log(1 + exp(z)) without overflow for large z.
    per_example = np.logaddexp(0.0, z) - y * z
    return float(per_example.sum() + 0.5 * l2 * (w @ w))


def _gradient(w, b, X, y, l2) -> np.ndarray:
    """``[X^T (p - y) + l2 w, sum(p - y)]``, shape (n_features + 1,).

    Shape (n_features,) when ``b`` is None (no intercept).
    """
    residuals = sigmoid(_logits(w, b, X)) - y  # p - y, shape (n_samples,)
    grad_w = np.asarray(X.T @ residuals).ravel() + l2 * w  # (n_features,)
    if b is None:
        return grad_w
    # The intercept is not penalised: its entry is sum(p - y) alone.
    return np.append(grad_w, residuals.sum())


def _weighted_gram(X, weights: np.ndarray) -> np.ndarray:
    """``X^T diag(weights) X`` as a dense (n_features, n_features) array."""
    if scipy.sparse.issparse(X):
        return np.asarray((X.T @ X.multiply(weights[:, None])).toarray())
    return X.T @ (X * weights[:, None])


def _hessian(w, b, X, y, l2) -> np.ndarray:
    """``[[X^T S X + l2 I, X^T S 1], [1^T S X, 1^T S 1]]``.

    ``S = diag(p (1 - p))``.

    Shape (n_features + 1, n_features + 1), rows and columns ``[w, b]``;
    (n_features, n_features) when ``b`` is None.
    """
    z = _logits(w, b, X)
    # The diagonal of S, p (1 - p), shape (n_samples,). sigmoid(-z) is 1 - p
    # without the cancellation 1 - sigmoid(z) suffers when p is close to 1.
    curvature = sigmoid(z) * sigmoid(-z)
    n_features = w.shape[0]
    h_ww = _weighted_gram(X, curvature) + l2 * np.eye(n_features)
    if b is None:
        return h_ww
    h_wb = np.asarray(X.T @ curvature).ravel()  # (n_features,)
    h_bb = np.array([[curvature.sum()]])  # (1, 1)
    return np.block([[h_ww, h_wb[:, None]], [h_wb[None, :], h_bb]])


def _check_problem(w, b, X, y, l2):
    X = as_feature_matrix(X)
    y = as_label_vector(y, X.shape[0])
    w, b = _check_parameters(w, b, X.shape[1])
    return w, b, X, y, _check_l2(l2)


def negative_log_likelihood(w, b, X, y, l2: float = 0.0) -> float:
    """Penalised negative log-likelihood, summed over examples (natural log).

    ``L(w, b) = sum_i [log(1 + exp(z_i)) - y_i z_i] + (l2 / 2) ||w||^2`` with ``z = X w + b``.

    The sum, not the mean: then ``l2 = 1 / C`` makes the minimiser identical to
    scikit-learn's ``LogisticRegression(C=C)``, and ``L`` with ``l2 = 0`` equals
    ``n_samples * sklearn.metrics.log_loss(y, sigmoid(z))`` (up to log_loss's clipping).

    Parameters
    ----------
    w : array_like, shape (n_features,)
        Weights.
    b : float or None
        Intercept; ``None`` for a model without one.
    X : array_like or scipy sparse matrix, shape (n_samples, n_features)
        Features.
    y : array_like, shape (n_samples,)
        Labels, 0 or 1.
    l2 : float, default 0.0
        Strength of the L2 penalty on ``w`` (the intercept is never penalised).

    Returns
    -------
    float
    """
    return _loss(*_check_problem(w, b, X, y, l2))


def gradient(w, b, X, y, l2: float = 0.0) -> np.ndarray:
    """Gradient of :func:`negative_log_likelihood` in closed form.

    ``dL/dw = X^T (p - y) + l2 w`` and ``dL/db = sum_i (p_i - y_i)``, ``p = sigmoid(X w + b)``.

    Returns
    -------
    numpy.ndarray, shape (n_features + 1,), or (n_features,) when ``b`` is None
        ``[dL/dw_1, ..., dL/dw_d, dL/db]``: weights first, intercept last.
    """
    return _gradient(*_check_problem(w, b, X, y, l2))


def hessian(w, b, X, y, l2: float = 0.0) -> np.ndarray:
    """Hessian of :func:`negative_log_likelihood` in closed form.

    With ``S = diag(p (1 - p))``: ``[[X^T S X + l2 I, X^T S 1], [1^T S X, 1^T S 1]]``.
    It is positive semi-definite, which is why the loss is convex and Newton's method works.
    It is positive definite when ``l2 > 0``, or when ``X~`` has full column rank, where ``X~``
    is ``X`` with a column of ones appended for the intercept (``X`` itself when ``b`` is
    None): then the loss has at most one minimiser.

    Returns
    -------
    numpy.ndarray, shape (n_features + 1, n_features + 1), or (n_features, n_features) when ``b`` is None
        Rows and columns in the order ``[w_1, ..., w_d, b]``.
    """
    return _hessian(*_check_problem(w, b, X, y, l2))


def finite_difference_gradient(f: Callable[[np.ndarray], float], params, eps: float = 1e-6) -> np.ndarray:
    """Central-difference estimate of the gradient of ``f`` at ``params``.

    ``g_j = (f(params + eps e_j) - f(params - eps e_j)) / (2 eps)``. The error is of order
    ``eps^2`` (truncation) plus ``|f| · machine_eps / eps`` (rounding), so ``eps`` around
    1e-6 suits float64 functions of moderate size. Costs ``2 · len(params)`` calls of ``f``.

    Parameters
    ----------
    f : callable
        Takes a float64 vector of the shape of ``params`` and returns a float.
    params : array_like, shape (n_params,)
        Where to evaluate the gradient.
    eps : float, default 1e-6
        Step size, > 0.

    Returns
    -------
    numpy.ndarray, shape (n_params,)
    """
    if not callable(f):
        raise TypeError(f"f must be a callable taking a parameter vector, got {type(f).__name__}.")
    point = _as_vector(params, "params")
    eps = check_real(eps, "eps", min_val=0, include_boundaries="neither")
    estimate = np.empty_like(point)
    for j in range(point.size):
        step = np.zeros_like(point)
        step[j] = eps
        estimate[j] = (float(f(point + step)) - float(f(point - step))) / (2.0 * eps)
    return estimate


# --------------------------------------------------------------------------------------
# The two solvers: one step of each, and the loop they share
# --------------------------------------------------------------------------------------
def gradient_descent_step(theta, grad, learning_rate):
    """One step downhill: ``theta - learning_rate * grad``.

    ``theta`` and ``grad`` have shape (n_params,); ``grad`` is the
    gradient of the loss *per example*, so the same rate suits any number
    of examples.
    """
    return theta - learning_rate * grad


def newton_step(theta, grad, hess, loss):
    """One damped Newton (IRLS) step: solve ``hess @ step = grad``, then
    go to ``theta - size * step``, ``size`` halved from 1 until ``loss``
    drops.

    ``theta``, ``grad``: (n_params,); ``hess``: (n_params, n_params);
    ``loss``: a function of ``theta`` returning a float.
    """
    try:
        step = np.linalg.solve(hess, grad)
    except np.linalg.LinAlgError:
        raise ValueError(
            "The Hessian is singular, so Newton's method has no unique "
            "step: some features are collinear (for example one-hot "
            "columns that add up to the intercept column). Use a finite "
            "C, or drop the redundant column."
        ) from None
    current_loss = loss(theta)
    size = 1.0
    # The full step is right near the optimum; far from it (or on nearly
    # separable data) it can overshoot, and halving restores a decrease.
    while loss(theta - size * step) > current_loss and size > 1e-10:
        size /= 2.0
    return theta - size * step


def minimise(theta, loss, gradient, take_step, *, tol, max_iter):
    """Apply ``take_step(theta, grad)`` until every ``|grad| <= tol``.

    ``loss`` and ``gradient`` are functions of ``theta``, shape (n_params,).
    Returns ``(theta, loss_history, n_iter, converged)``; ``loss_history``
    holds the loss at the start and after every step.
    """
    loss_history = [loss(theta)]
    grad = gradient(theta)
    n_iter = 0
    while np.max(np.abs(grad)) > tol and n_iter < max_iter:
        theta = take_step(theta, grad)
        n_iter += 1
        loss_history.append(loss(theta))
        grad = gradient(theta)
    converged = bool(np.max(np.abs(grad)) <= tol)
    return theta, loss_history, n_iter, converged


# --------------------------------------------------------------------------------------
# The estimator
# --------------------------------------------------------------------------------------
class LogisticRegression(ClassifierMixin, BaseEstimator):
    """Binary L2-penalised logistic regression, fitted by Newton's method or gradient descent.

    It minimises the same objective as scikit-learn's ``LogisticRegression(C=C)``::

        0.5 ||w||^2 + C · sum_i [log(1 + exp(z_i)) - y_i z_i],    z = X w + b

    (``C = np.inf``: no penalty; the intercept is never penalised), so with tight
    tolerances both give the same coefficients.

    Parameters
    ----------
    C : float, default 1.0
        Inverse penalty strength, > 0. Smaller means stronger shrinkage of ``w``.
    solver : {"newton", "gd"}, default "newton"
        ``"newton"``: Newton's method, which for this loss is *iteratively reweighted least
        squares* (IRLS); each step solves ``H step = g`` and halves the step until the loss
        decreases. Costs ``O(n_samples · n_features^2 + n_features^3)`` per step, so use it
        for up to a few thousand features. ``"gd"``: plain full-batch gradient descent on the
        loss divided by ``n_samples``, with a fixed ``learning_rate``.
    fit_intercept : bool, default True
        Whether to learn an intercept ``b``.
    max_iter : int or None, default None
        Iteration cap; None means 100 for Newton and 10 000 for gradient descent.
    tol : float, default 1e-6
        Stop when the largest absolute entry of the gradient of the *per-example* loss
        (the gradient of ``NLL + (1 / (2C)) ||w||^2``, divided by ``n_samples``) is <= tol.
    learning_rate : float, default 1.0
        Step size for ``solver="gd"`` (ignored by Newton), on the loss per example.
        ``L = lambda_max(X~^T X~ / n_samples) / 4 + l2 / n_samples`` bounds the curvature
        of that loss (``X~``: ``X`` with a column of ones for the intercept;
        ``lambda_max``: the largest eigenvalue), and any step below ``2 / L`` converges;
        ``1 / L`` is the safe choice the book uses. So 1.0 is safe only when ``2 / L > 1``,
        i.e. (ignoring the small ``l2`` term) when ``lambda_max(X~^T X~ / n_samples) < 8``:
        not for every standardised matrix (many correlated columns make ``lambda_max``
        large), and never for raw, large-valued features (scale them).

    Attributes
    ----------
    coef_ : numpy.ndarray, shape (1, n_features)
    intercept_ : numpy.ndarray, shape (1,)
        Zero when ``fit_intercept=False``.
    classes_ : numpy.ndarray, shape (2,)
        ``array([0, 1])``.
    n_features_in_ : int
    n_iter_ : int
        Iterations run.
    loss_history_ : list of float
        The per-example objective ``(NLL + (1 / (2C)) ||w||^2) / n_samples`` at the start and
        after every iteration (length ``n_iter_ + 1``). With ``C = inf`` this is the training
        log-loss.

    Notes
    -----
    On linearly separable data with ``C = inf`` the maximum-likelihood weights are
    infinite; the gradient still shrinks towards zero, so the solver stops at large finite
    weights. Use a finite ``C``.
    """

    def __init__(
        self,
        C: float = 1.0,
        *,
        solver: str = "newton",
        fit_intercept: bool = True,
        max_iter: int | None = None,
        tol: float = 1e-6,
        learning_rate: float = 1.0,
    ):
        self.C = C
        self.solver = solver
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.learning_rate = learning_rate

    # -- checks ------------------------------------------------------------------------
    def _check_hyperparameters(self) -> tuple[float, int]:
        """Validate the constructor arguments (scikit-learn style: at fit time)."""
        check_choice(self.solver, "solver", SOLVERS)
        l2 = l2_from_C(self.C)
        max_iter = DEFAULT_MAX_ITER[self.solver] if self.max_iter is None else self.max_iter
        max_iter = check_int(max_iter, "max_iter", min_val=1)
        check_real(self.tol, "tol", min_val=0)
        check_real(self.learning_rate, "learning_rate", min_val=0, include_boundaries="neither")
        check_bool(self.fit_intercept, "fit_intercept")
        return l2, max_iter

    def _check_is_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise NotFittedError(
                "This LogisticRegression instance is not fitted yet; call fit(X, y) before predicting."
            )

    def _check_predict_input(self, X):
        self._check_is_fitted()
        X = as_feature_matrix(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but this model was fitted with {self.n_features_in_}."
            )
        return X

    # -- fitting -----------------------------------------------------------------------
    def fit(self, X, y) -> LogisticRegression:
        """Fit the weights.

        Parameters
        ----------
        X : array_like or scipy sparse matrix, shape (n_samples, n_features)
        y : array_like, shape (n_samples,)
            Labels 0 and 1 (both must occur).

        Returns
        -------
        self
        """
        l2, max_iter = self._check_hyperparameters()
        X = as_feature_matrix(X)
        y = as_label_vector(y, X.shape[0])
        if np.unique(y).size < 2:
            raise ValueError(
                "y contains only one class; logistic regression needs "
                "both 0s and 1s."
            )
        n_samples, n_features = X.shape
        n_params = n_features + 1 if self.fit_intercept else n_features

        def split(theta: np.ndarray):
            """theta = [w, b] (or just w) -> (w, b or None)."""
            if self.fit_intercept:
                return theta[:-1], theta[-1]
            return theta, None

        # Per example (divided by n_samples): then tol and learning_rate
        # mean the same for 100 or 100 000 examples.
        def per_example_loss(theta: np.ndarray) -> float:
            return _loss(*split(theta), X, y, l2) / n_samples

        def per_example_gradient(theta: np.ndarray) -> np.ndarray:
            return _gradient(*split(theta), X, y, l2) / n_samples

        def take_step(theta: np.ndarray, grad: np.ndarray) -> np.ndarray:
            if self.solver == "gd":
                return gradient_descent_step(
                    theta, grad, self.learning_rate)
            hess = _hessian(*split(theta), X, y, l2) / n_samples
            return newton_step(theta, grad, hess, per_example_loss)

        # Start from w = 0, b = 0: every probability is 0.5, loss log(2).
        theta = np.zeros(n_params)
        theta, loss_history, n_iter, converged = minimise(
            theta, per_example_loss, per_example_gradient, take_step,
            tol=self.tol, max_iter=max_iter,
        )

        if not converged:
            if self.solver == "gd":
                hint = ("increase max_iter, standardise the features "
                        "or adjust learning_rate")
            else:
                hint = "increase max_iter or use a finite C"
            warnings.warn(
                f"{self.solver!r} solver did not converge in {max_iter} "
                f"iterations (tol={self.tol}); {hint}.",
                ConvergenceWarning,
                stacklevel=2,
            )

        weights, intercept = split(theta)
        self.coef_ = weights.reshape(1, -1).copy()
        b = 0.0 if intercept is None else intercept
        self.intercept_ = np.array([b])
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = n_features
        self.n_iter_ = n_iter
        self.loss_history_ = loss_history
        return self

    # -- predicting --------------------------------------------------------------------
    def decision_function(self, X) -> np.ndarray:
        """Logits ``X w + b``, shape (n_samples,)."""
        X = self._check_predict_input(X)
        return _logits(self.coef_.ravel(), float(self.intercept_[0]), X)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n_samples, 2): column 0 is P(y=0), column 1 is P(y=1)."""
        z = self.decision_function(X)
        # sigmoid(-z) rather than 1 - sigmoid(z): accurate when P(y=1) is close to 1.
        return np.column_stack([sigmoid(-z), sigmoid(z)])

    def predict(self, X) -> np.ndarray:
        """Predicted labels 0/1, shape (n_samples,): 1 where the logit is > 0 (P(y=1) > 0.5)."""
        return (self.decision_function(X) > 0).astype(np.int64)


# --------------------------------------------------------------------------------------
# Sizes for the chapter's MovieLens experiment
# --------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class LogisticConfig(ProfileConfig):
    """Sizes of chapter 3's MovieLens experiment; defaults are the full values.

    Attributes
    ----------
    max_ratings : int or None
        Training rows kept (the most recent of the training period); None: all
        (70 000 on MovieLens 100K). The chapter's MLP trains on the same rows.
    C_grid_points : int
        Number of log-spaced values of ``C`` tried between ``C_min`` and ``C_max``.
    C_min, C_max : float
        Ends of the grid of ``C`` (inverse penalty strength).
    n_bootstrap : int
        Bootstrap resamples of the test users for the confidence intervals.
    """

    max_ratings: int | None = None
    C_grid_points: int = 13
    C_min: float = 1e-3
    C_max: float = 1e2
    n_bootstrap: int = 1000

    QUICK: ClassVar[dict] = {"max_ratings": 30_000, "C_grid_points": 5, "n_bootstrap": 200}
    FULL_ROWS: ClassVar[int] = 100_000  # an upper bound for max_ratings=None
    TEST_ROWS: ClassVar[int] = 20_000  # the test period of MovieLens 100K
    QUICK_COST_LIMIT: ClassVar[int] = 30_000 * 5 + 200 * 20_000

    def cost(self) -> int:
        """Row visits: training rows times Newton fits (one per grid point), plus
        test rows times bootstrap resamples."""
        rows = self.FULL_ROWS if self.max_ratings is None else self.max_ratings
        return rows * self.C_grid_points + self.n_bootstrap * self.TEST_ROWS

    def C_grid(self) -> np.ndarray:
        """The values of ``C`` to try, shape (C_grid_points,), log-spaced."""
        return np.logspace(
            np.log10(self.C_min), np.log10(self.C_max), self.C_grid_points
        )
