"""The simple rating predictors every other one must beat: the global mean and user/item biases.

Baseline estimates (Koren 2010, "Factor in the neighbors", section 2.1)
-----------------------------------------------------------------------
A rating is modelled as the global mean plus a user bias and an item bias:

.. math:: b_{ui} = \\mu + b_u + b_i

where :math:`\\mu` is the mean training rating, :math:`b_u` how much user :math:`u` rates
above or below it (a generous or a harsh rater) and :math:`b_i` how much item :math:`i` is
rated above or below it. The biases minimise the regularised squared error over the set
:math:`K` of training ratings

.. math:: L(b) = \\sum_{(u,i) \\in K} (r_{ui} - \\mu - b_u - b_i)^2
          + \\lambda_u \\sum_u b_u^2 + \\lambda_i \\sum_i b_i^2 .

The penalties pull the bias of a user or an item with few ratings towards 0. :math:`L` is a
convex quadratic, so it has one minimum; :class:`BaselinePredictor` reaches it two ways:

- ``solver="als"`` (alternating least squares, 交替最小二乘): with the user biases held fixed,
  setting :math:`\\partial L / \\partial b_i = 0` gives each item bias in closed form,
  :math:`b_i = \\sum_{u \\in U_i} (r_{ui} - \\mu - b_u) / (\\lambda_i + |U_i|)`, and then each
  user bias the same way with the item biases fixed. Each half-step can only lower :math:`L`.
  Items first, then users, from zero biases, ``n_epochs`` times: exactly what Surprise's
  ``BaselineOnly`` does (its ``reg_i``, ``reg_u`` are our ``reg_item``, ``reg_user``), with the
  sums done by ``numpy.bincount`` instead of a loop over ratings.
- ``solver="sgd"`` (stochastic gradient descent, 随机梯度下降) on the same :math:`L`: the
  ratings are shuffled and cut into mini-batches :math:`B`; with the error
  :math:`e_{ui} = r_{ui} - \\mu - b_u - b_i`, one step is

  .. math:: b_u \\leftarrow b_u + \\eta \\Big(\\sum_{i:(u,i) \\in B} e_{ui}
            - \\tfrac{|B|}{|K|} \\lambda_u b_u\\Big)

  (and the same for :math:`b_i`), i.e. :math:`-\\eta/2` times the gradient of the batch's share
  of :math:`L`. Surprise's ``BaselineOnly(bsl_options={"method": "sgd"})`` differs on purpose:
  it steps once per rating, in a fixed order, and adds its penalty ``reg`` once per *rating*
  (:math:`b_u \\leftarrow b_u + \\eta (e_{ui} - \\lambda b_u)`), which minimises a different
  loss (a penalty :math:`\\lambda |I_u| b_u^2` per user). Ours minimises the same :math:`L` as
  ALS, so the two solvers can be checked against each other and against a direct solve.
"""

from __future__ import annotations

import numpy as np

from tutorial_lib.models.rating_predictor import RatingPredictor
from tutorial_lib.validation import check_choice, check_int, check_positive_int, check_real, require_columns

__all__ = [
    "BaselinePredictor",
    "GlobalMeanPredictor",
    "baseline_loss",
    "fit_baselines_als",
    "fit_baselines_sgd",
]

BASELINE_SOLVERS = ("als", "sgd")


class GlobalMeanPredictor(RatingPredictor):
    """Predict the mean training rating :math:`\\mu` for every pair: the floor of every table."""

    def _fit(self, user_rows, item_columns, ratings) -> None:
        pass

    def _predict(self, user_rows, item_columns) -> np.ndarray:
        return np.full(len(user_rows), self.global_mean_)


def baseline_loss(user_rows, item_columns, ratings, global_mean, user_bias, item_bias,
                  reg_user, reg_item) -> float:
    """:math:`L(b)` of the module docstring.

    ``user_rows``, ``item_columns``, ``ratings``: shape ``(n_ratings,)``; ``user_bias``:
    ``(n_users,)``; ``item_bias``: ``(n_items,)``.
    """
    errors = ratings - global_mean - user_bias[user_rows] - item_bias[item_columns]
    return float(errors @ errors + reg_user * user_bias @ user_bias + reg_item * item_bias @ item_bias)


def fit_baselines_als(user_rows, item_columns, ratings, n_users, n_items,
                      *, global_mean, reg_user=15.0, reg_item=10.0,
                      n_epochs=10) -> tuple[np.ndarray, np.ndarray]:
    """User and item biases by ALS (items first, then users, from 0).

    Inputs have shape ``(n_ratings,)``. Returns ``(user_bias,
    item_bias)``, shapes ``(n_users,)`` and ``(n_items,)``.
    """
    user_bias, item_bias = np.zeros(n_users), np.zeros(n_items)
    per_user = np.bincount(user_rows, minlength=n_users)     # n_u
    per_item = np.bincount(item_columns, minlength=n_items)  # n_i
    for _ in range(n_epochs):
        # b_i = sum over raters of (r - mu - b_u) / (reg_item + n_i)
        residuals = ratings - global_mean - user_bias[user_rows]
        item_sums = np.bincount(item_columns, residuals,
                                minlength=n_items)
        item_bias = item_sums / (reg_item + per_item)
        # b_u = sum over u's items of (r - mu - b_i) / (reg_user + n_u)
        residuals = ratings - global_mean - item_bias[item_columns]
        user_sums = np.bincount(user_rows, residuals, minlength=n_users)
        user_bias = user_sums / (reg_user + per_user)
    return user_bias, item_bias


def fit_baselines_sgd(user_rows, item_columns, ratings, n_users, n_items, *, global_mean,
                      reg_user=15.0, reg_item=10.0, n_epochs=20, learning_rate=0.005,
                      batch_size=256, random_state=0) -> tuple[np.ndarray, np.ndarray]:
    """User and item biases by mini-batch SGD on :math:`L(b)` (see the module docstring).

    Inputs have shape ``(n_ratings,)``. Returns ``(user_bias, item_bias)``, shapes
    ``(n_users,)`` and ``(n_items,)``. ``batch_size = n_ratings`` is plain gradient descent.
    """
    rng = np.random.default_rng(random_state)
    user_bias, item_bias = np.zeros(n_users), np.zeros(n_items)
    n_ratings = len(ratings)
    for _ in range(n_epochs):
        order = rng.permutation(n_ratings)
        for start in range(0, n_ratings, batch_size):
            batch = order[start:start + batch_size]
            users, items = user_rows[batch], item_columns[batch]
            errors = ratings[batch] - global_mean - user_bias[users] - item_bias[items]
            share = len(batch) / n_ratings           # this batch's share of the penalty
            user_step = np.bincount(users, errors, minlength=n_users) - share * reg_user * user_bias
            item_step = np.bincount(items, errors, minlength=n_items) - share * reg_item * item_bias
            user_bias = user_bias + learning_rate * user_step
            item_bias = item_bias + learning_rate * item_step
    return user_bias, item_bias


class BaselinePredictor(RatingPredictor):
    """Predict :math:`\\hat r_{ui} = \\mu + b_u + b_i` (Surprise's ``BaselineOnly``).

    Parameters
    ----------
    solver : {"als", "sgd"}, default "als"
        How the biases are fitted (module docstring); both minimise the same loss.
    reg_user, reg_item : float >= 0, default 15 and 10
        :math:`\\lambda_u` and :math:`\\lambda_i` (Surprise's ``reg_u``, ``reg_i``).
    n_epochs : int or None
        Passes over the ratings; ``None``: 10 for ALS, 20 for SGD (Surprise's defaults).
    learning_rate : float, default 0.005
        :math:`\\eta` of SGD.
    batch_size : int, default 256
        Ratings per SGD step.
    random_state : int, default 0
        Seed of the SGD shuffle.
    rating_scale : (float, float), default (1, 5)

    Attributes (after ``fit``)
    --------------------------
    user_bias_ : numpy.ndarray, shape (n_users,)
    item_bias_ : numpy.ndarray, shape (n_items,)

    A user (item) never seen in training gets bias 0, so a new user is predicted
    :math:`\\mu + b_i` and a new item :math:`\\mu + b_u`, as in Surprise.
    """

    def __init__(self, solver: str = "als", *, reg_user: float = 15.0, reg_item: float = 10.0,
                 n_epochs: int | None = None, learning_rate: float = 0.005, batch_size: int = 256,
                 random_state: int = 0, rating_scale=(1.0, 5.0)):
        super().__init__(rating_scale=rating_scale)
        self.solver = solver
        self.reg_user = reg_user
        self.reg_item = reg_item
        self.n_epochs = n_epochs
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.random_state = random_state

    def _fit(self, user_rows, item_columns, ratings) -> None:
        solver = check_choice(self.solver, "solver", BASELINE_SOLVERS)
        options = {
            "global_mean": self.global_mean_,
            "reg_user": check_real(self.reg_user, "reg_user", min_val=0),
            "reg_item": check_real(self.reg_item, "reg_item", min_val=0),
        }
        default_epochs = 10 if solver == "als" else 20
        n_epochs = default_epochs if self.n_epochs is None else check_positive_int(self.n_epochs, "n_epochs")
        if solver == "als":
            fit = fit_baselines_als
        else:
            fit = fit_baselines_sgd
            options.update(
                learning_rate=check_real(self.learning_rate, "learning_rate", min_val=0,
                                         include_boundaries="neither"),
                batch_size=check_positive_int(self.batch_size, "batch_size"),
                random_state=check_int(self.random_state, "random_state", min_val=0))
        self.user_bias_, self.item_bias_ = fit(
            user_rows, item_columns, ratings, self.n_users_, self.n_items_, n_epochs=n_epochs, **options)

    def loss(self, ratings) -> float:
        """:math:`L(b)` of the fitted biases on ``ratings`` (``user_id``, ``item_id``, ``rating``).

        Every user and item of ``ratings`` must have been seen by ``fit`` (e.g. the training
        ratings themselves): the loss is the one the solvers minimise.
        """
        self._check_is_fitted()
        ratings = require_columns(ratings, "ratings", ("user_id", "item_id", "rating"), allow_empty=False)
        user_rows = self._positions(ratings["user_id"].to_numpy(), self.user_ids_, "ratings['user_id']")
        item_columns = self._positions(ratings["item_id"].to_numpy(), self.item_ids_, "ratings['item_id']")
        if (user_rows < 0).any() or (item_columns < 0).any():
            raise ValueError("ratings holds users or items that fit never saw; L(b) is defined on fitted ones.")
        return baseline_loss(user_rows, item_columns, ratings["rating"].to_numpy(dtype=float),
                             self.global_mean_, self.user_bias_, self.item_bias_, self.reg_user, self.reg_item)

    def baseline(self, user_rows: np.ndarray, item_columns: np.ndarray) -> np.ndarray:
        """:math:`\\mu + b_u + b_i` by position (``-1``: unseen, bias 0), shape ``(n_pairs,)``."""
        user_part = np.where(user_rows >= 0, self.user_bias_[np.maximum(user_rows, 0)], 0.0)
        item_part = np.where(item_columns >= 0, self.item_bias_[np.maximum(item_columns, 0)], 0.0)
        return self.global_mean_ + user_part + item_part

    def _predict(self, user_rows, item_columns) -> np.ndarray:
        return self.baseline(user_rows, item_columns)
