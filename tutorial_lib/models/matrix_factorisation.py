"""Biased matrix factorisation (矩阵分解) for explicit ratings: Funk's "SVD", by SGD and by ALS.

The model (Koren, Bell and Volinsky 2009; Surprise's ``SVD``)
-------------------------------------------------------------
Each user :math:`u` gets a bias :math:`b_u` and a vector :math:`p_u \\in \\mathbb{R}^f`, each
item :math:`i` a bias :math:`b_i` and a vector :math:`q_i \\in \\mathbb{R}^f`:

.. math:: \\hat r_{ui} = \\mu + b_u + b_i + q_i^\\top p_u .

The parameters minimise the squared error over the training ratings :math:`K` plus a
penalty counted *once per rating* (as Funk's and Surprise's per-rating SGD does):

.. math:: L = \\sum_{(u,i) \\in K} \\Big[ e_{ui}^2 + \\lambda \\big(b_u^2 + b_i^2
          + \\lVert p_u \\rVert^2 + \\lVert q_i \\rVert^2\\big) \\Big],
          \\qquad e_{ui} = r_{ui} - \\hat r_{ui},

so a user with :math:`n_u` ratings carries a penalty :math:`\\lambda n_u (b_u^2 + \\lVert p_u
\\rVert^2)` (the "weighted-λ" of ALS-WR, Zhou et al. 2008).

SGD (``solver="sgd"``). The gradient of one rating's term with respect to :math:`p_u` is
:math:`-2 e_{ui} q_i + 2 \\lambda p_u`; a step of :math:`-\\eta/2` times it gives the updates

.. math::

    b_u &\\leftarrow b_u + \\eta (e_{ui} - \\lambda b_u), &
    b_i &\\leftarrow b_i + \\eta (e_{ui} - \\lambda b_i), \\\\
    p_u &\\leftarrow p_u + \\eta (e_{ui} q_i - \\lambda p_u), &
    q_i &\\leftarrow q_i + \\eta (e_{ui} p_u - \\lambda q_i),

with :math:`e_{ui}`, :math:`p_u` and :math:`q_i` taken before the step. Surprise applies
them rating by rating, in the same order every epoch (``trainset.all_ratings()``: user by
user in the order of their inner ids, i.e. of each user's first rating in the trainset, and
each user's ratings in trainset order), in compiled Cython. Ours is
vectorised: each epoch shuffles the ratings and cuts them into mini-batches of
``batch_size``; all ratings of a batch are evaluated with the parameters at the start of the
batch, and their steps are *summed* (``numpy.add.at``) per user and per item. With batches
much smaller than the number of users a user rarely appears twice in one batch, so this is
close to per-rating SGD at the same :math:`\\eta`, :math:`\\lambda` and number of epochs; it is
not identical (order and staleness differ), so the results agree closely, not exactly.

ALS (``solver="als"``, alternating least squares). With the items held fixed, :math:`L` is a
ridge regression for each user: writing :math:`\\tilde q_i = (q_i, 1)` and
:math:`x_u = (p_u, b_u)`, setting the gradient to 0 gives

.. math:: \\Big(\\sum_{i \\in I_u} \\tilde q_i \\tilde q_i^\\top + \\lambda n_u I\\Big) x_u
          = \\sum_{i \\in I_u} (r_{ui} - \\mu - b_i)\\, \\tilde q_i ,

one small linear system per user; then the same for every item with the users fixed. Each
half-step is the exact minimiser over one side, so :math:`L` never goes up. ALS has no
learning rate, but it does not stop early on its own, so :math:`\\lambda` must be larger than
SGD's (choose it on validation ratings).
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np
import scipy.sparse

from tutorial_lib.config import ProfileConfig
from tutorial_lib.models.rating_predictor import RatingPredictor
from tutorial_lib.validation import check_choice, check_int, check_positive_int, check_real

__all__ = [
    "FactorParameters",
    "MF_SOLVERS",
    "MatrixFactorisation",
    "MatrixFactorisationConfig",
    "SVDPlusPlus",
    "implicit_weights",
    "svdpp_loss",
    "svdpp_sgd_epoch",
    "als_update_items",
    "als_update_users",
    "mf_loss",
    "sgd_epoch",
]

MF_SOLVERS = ("sgd", "als")


@dataclasses.dataclass
class FactorParameters:
    """The parameters of biased MF (shapes in the field comments)."""

    user_bias: np.ndarray       # (n_users,)
    item_bias: np.ndarray       # (n_items,)
    user_factors: np.ndarray    # (n_users, n_factors)
    item_factors: np.ndarray    # (n_items, n_factors)

    @classmethod
    def initial(cls, n_users: int, n_items: int, n_factors: int, init_std: float,
                rng: np.random.Generator) -> FactorParameters:
        """Zero biases; factors drawn from N(0, init_std^2), as Surprise's ``SVD``."""
        return cls(np.zeros(n_users), np.zeros(n_items),
                   rng.normal(0.0, init_std, size=(n_users, n_factors)),
                   rng.normal(0.0, init_std, size=(n_items, n_factors)))

    def predict(self, user_rows: np.ndarray, item_columns: np.ndarray, global_mean: float) -> np.ndarray:
        """:math:`\\mu + b_u + b_i + q_i^\\top p_u` for known positions, shape ``(n_pairs,)``."""
        dots = np.einsum("nf,nf->n", self.user_factors[user_rows], self.item_factors[item_columns])
        return global_mean + self.user_bias[user_rows] + self.item_bias[item_columns] + dots


def mf_loss(params: FactorParameters, user_rows, item_columns, ratings, global_mean, reg) -> float:
    """:math:`L` of the module docstring; inputs of shape ``(n_ratings,)``."""
    errors = ratings - params.predict(user_rows, item_columns, global_mean)
    per_rating_penalty = (params.user_bias[user_rows] ** 2 + params.item_bias[item_columns] ** 2
                          + (params.user_factors[user_rows] ** 2).sum(axis=1)
                          + (params.item_factors[item_columns] ** 2).sum(axis=1))
    return float(errors @ errors + reg * per_rating_penalty.sum())


def _summed_by_index(steps: np.ndarray, index: np.ndarray, n_rows: int) -> np.ndarray:
    """Rows of ``steps`` (shape ``(B, f)``) summed per ``index`` (``(B,)``): ``(n_rows, f)``.

    The same as ``numpy.add.at`` into zeros, done with one ``bincount`` (several times faster).
    """
    n_factors = steps.shape[1]
    flat_index = (index[:, None] * n_factors + np.arange(n_factors)).ravel()
    return np.bincount(flat_index, weights=steps.ravel(), minlength=n_rows * n_factors).reshape(
        n_rows, n_factors)


def sgd_epoch(params: FactorParameters, user_rows, item_columns, ratings,
              global_mean, *, learning_rate: float, reg: float,
              batch_size: int, rng: np.random.Generator,
              update_users: bool = True, update_items: bool = True) -> None:
    """One pass of mini-batch SGD over the ratings, in place.

    ``user_rows``, ``item_columns``, ``ratings``: shape ``(n_ratings,)``.
    ``update_users=False`` (``update_items=False``) holds that side fixed.
    """
    n_users, n_items = len(params.user_bias), len(params.item_bias)
    lr = learning_rate
    order = rng.permutation(len(ratings))
    for start in range(0, len(ratings), batch_size):
        batch = order[start:start + batch_size]
        users, items = user_rows[batch], item_columns[batch]     # (B,)
        p = params.user_factors[users]                           # (B, f)
        q = params.item_factors[items]                           # (B, f)
        b_u, b_i = params.user_bias[users], params.item_bias[items]
        dots = np.einsum("bf,bf->b", p, q)
        errors = ratings[batch] - global_mean - b_u - b_i - dots  # (B,)
        # The batch's steps, summed per user and per item.
        if update_users:
            params.user_bias += lr * np.bincount(
                users, errors - reg * b_u, minlength=n_users)
            params.user_factors += lr * _summed_by_index(
                errors[:, None] * q - reg * p, users, n_users)
        if update_items:
            params.item_bias += lr * np.bincount(
                items, errors - reg * b_i, minlength=n_items)
            params.item_factors += lr * _summed_by_index(
                errors[:, None] * p - reg * q, items, n_items)


def _ridge_solves(rows, columns, targets, n_rows, other_factors, reg):
    """Each row's (factors, bias) minimising its penalised squared error.

    For row r: argmin_x sum_c (t_rc - x . (o_c, 1))^2 + reg n_r |x|^2.
    ``rows``, ``columns``, ``targets``: shape ``(n_ratings,)``;
    ``other_factors``: ``(n_columns, f)``. Returns factors
    ``(n_rows, f)`` and biases ``(n_rows,)``; zeros for a row with no
    rating. The loop runs over rows (users or items), never ratings.
    """
    n_factors = other_factors.shape[1]
    ones = np.ones((len(other_factors), 1))
    augmented = np.hstack([other_factors, ones])          # (n_cols, f+1)
    order = np.argsort(rows, kind="stable")
    counts = np.bincount(rows, minlength=n_rows)
    bounds = np.concatenate([[0], np.cumsum(counts)])
    solution = np.zeros((n_rows, n_factors + 1))
    identity = np.eye(n_factors + 1)
    for row in range(n_rows):
        mine = order[bounds[row]:bounds[row + 1]]   # this row's ratings
        if len(mine) == 0:
            continue
        design = augmented[columns[mine]]                 # (n_r, f+1)
        gram = design.T @ design + reg * len(mine) * identity
        solution[row] = np.linalg.solve(gram, design.T @ targets[mine])
    return solution[:, :n_factors], solution[:, n_factors]


def als_update_users(params: FactorParameters, user_rows, item_columns, ratings, global_mean, reg) -> None:
    """Set every user's ``(p_u, b_u)`` to the exact minimiser of :math:`L`, items fixed."""
    targets = ratings - global_mean - params.item_bias[item_columns]
    params.user_factors, params.user_bias = _ridge_solves(
        user_rows, item_columns, targets, len(params.user_bias), params.item_factors, reg)


def als_update_items(params: FactorParameters, user_rows, item_columns, ratings, global_mean, reg) -> None:
    """Set every item's ``(q_i, b_i)`` to the exact minimiser of :math:`L`, users fixed."""
    targets = ratings - global_mean - params.user_bias[user_rows]
    params.item_factors, params.item_bias = _ridge_solves(
        item_columns, user_rows, targets, len(params.item_bias), params.user_factors, reg)


class MatrixFactorisation(RatingPredictor):
    """Biased matrix factorisation, :math:`\\hat r_{ui} = \\mu + b_u + b_i + q_i^\\top p_u`.

    Parameters
    ----------
    solver : {"sgd", "als"}, default "sgd"
        See the module docstring; both minimise the same loss :math:`L`.
    n_factors : int, default 100
        :math:`f`, the length of each user and item vector (Surprise's default).
    n_epochs : int, default 20
        Passes of SGD, or ALS rounds (users then items).
    learning_rate : float, default 0.005
        :math:`\\eta` of SGD (Surprise's ``lr_all``).
    reg : float, default 0.02
        :math:`\\lambda`, the per-rating penalty (Surprise's ``reg_all``).
    init_std : float, default 0.1
        Standard deviation of the initial factors.
    batch_size : int, default 512
        Ratings per SGD step.
    random_state : int, default 0
        Seed of the initial factors and the SGD shuffle.
    rating_scale : (float, float), default (1, 5)

    Attributes (after ``fit``)
    --------------------------
    parameters_ : FactorParameters
    loss_history_ : list of float
        :math:`L` on the training ratings after each epoch.

    Unseen users or items: the known biases only (:math:`\\mu + b_i` for a new user), as in
    Surprise.
    """

    def __init__(self, solver: str = "sgd", *, n_factors: int = 100, n_epochs: int = 20,
                 learning_rate: float = 0.005, reg: float = 0.02, init_std: float = 0.1,
                 batch_size: int = 512, random_state: int = 0, rating_scale=(1.0, 5.0)):
        super().__init__(rating_scale=rating_scale)
        self.solver = solver
        self.n_factors = n_factors
        self.n_epochs = n_epochs
        self.learning_rate = learning_rate
        self.reg = reg
        self.init_std = init_std
        self.batch_size = batch_size
        self.random_state = random_state

    def _fit(self, user_rows, item_columns, ratings) -> None:
        solver = check_choice(self.solver, "solver", MF_SOLVERS)
        n_factors = check_positive_int(self.n_factors, "n_factors")
        n_epochs = check_positive_int(self.n_epochs, "n_epochs")
        reg = check_real(self.reg, "reg", min_val=0)
        init_std = check_real(self.init_std, "init_std", min_val=0)
        rng = np.random.default_rng(check_int(self.random_state, "random_state", min_val=0))
        if solver == "sgd":
            learning_rate = check_real(self.learning_rate, "learning_rate", min_val=0,
                                       include_boundaries="neither")
            batch_size = check_positive_int(self.batch_size, "batch_size")
        params = FactorParameters.initial(self.n_users_, self.n_items_, n_factors, init_std, rng)
        data = (user_rows, item_columns, ratings, self.global_mean_)
        self.loss_history_ = []
        for _ in range(n_epochs):
            if solver == "sgd":
                sgd_epoch(params, *data, learning_rate=learning_rate, reg=reg,
                          batch_size=batch_size, rng=rng)
            else:
                als_update_users(params, *data, reg)
                als_update_items(params, *data, reg)
            self.loss_history_.append(mf_loss(params, *data, reg))
        self.parameters_ = params

    def _predict(self, user_rows, item_columns) -> np.ndarray:
        params = self.parameters_
        known_user, known_item = user_rows >= 0, item_columns >= 0
        users, items = np.maximum(user_rows, 0), np.maximum(item_columns, 0)
        dots = np.einsum("nf,nf->n", params.user_factors[users], params.item_factors[items])
        return (self.global_mean_ + np.where(known_user, params.user_bias[users], 0.0)
                + np.where(known_item, params.item_bias[items], 0.0)
                + np.where(known_user & known_item, dots, 0.0))


def implicit_weights(user_rows, item_columns, n_users, n_items):
    """CSR ``(n_users, n_items)``: ``|N(u)|^(-1/2)`` where ``u`` rated the item, else empty.

    ``N(u)`` is the set of items ``u`` rated in training (SVD++'s implicit feedback).
    """
    counts = np.bincount(user_rows, minlength=n_users)
    weights = 1.0 / np.sqrt(counts[user_rows])
    return scipy.sparse.csr_matrix((weights, (user_rows, item_columns)), shape=(n_users, n_items))


def svdpp_loss(params: FactorParameters, implicit_factors, weights, user_rows, item_columns,
               ratings, global_mean, reg) -> float:
    """SVD++'s loss: squared errors plus a per-rating penalty (see :class:`SVDPlusPlus`).

    ``implicit_factors``: ``(n_items, f)``, the :math:`y_j`; ``weights``: from
    :func:`implicit_weights`.
    """
    implicit_sums = weights @ implicit_factors                     # (n_users, f)
    taste = params.user_factors + implicit_sums
    errors = ratings - global_mean - params.user_bias[user_rows] - params.item_bias[item_columns] \
        - np.einsum("nf,nf->n", taste[user_rows], params.item_factors[item_columns])
    # Each rating of u also penalises every y_j of the items u rated.
    rated = weights.copy()
    rated.data = np.ones_like(rated.data)
    y_squares_per_user = rated @ (implicit_factors ** 2).sum(axis=1)   # (n_users,)
    per_rating = (params.user_bias[user_rows] ** 2 + params.item_bias[item_columns] ** 2
                  + (params.user_factors[user_rows] ** 2).sum(axis=1)
                  + (params.item_factors[item_columns] ** 2).sum(axis=1)
                  + y_squares_per_user[user_rows])
    return float(errors @ errors + reg * per_rating.sum())


def svdpp_sgd_epoch(params: FactorParameters, implicit_factors, weights, user_rows, item_columns,
                    ratings, global_mean, *, learning_rate, reg, batch_size, rng) -> None:
    """One pass of mini-batch SGD for SVD++, in place (``implicit_factors`` too).

    Per rating, with :math:`z_u = |N(u)|^{-1/2} \\sum_{j \\in N(u)} y_j`, the steps are
    Surprise's: :math:`b_u, b_i, p_u` as in biased MF, :math:`q_i \\mathrel{+}= \\eta (e (p_u + z_u)
    - \\lambda q_i)` and, for every :math:`j \\in N(u)`,
    :math:`y_j \\mathrel{+}= \\eta (e |N(u)|^{-1/2} q_i - \\lambda y_j)`; batched and summed as
    :func:`sgd_epoch` does. The sums over :math:`N(u)` are sparse products with ``weights``.
    """
    n_users, n_items = len(params.user_bias), len(params.item_bias)
    lr = learning_rate
    order = rng.permutation(len(ratings))
    for start in range(0, len(ratings), batch_size):
        batch = order[start:start + batch_size]
        users, items = user_rows[batch], item_columns[batch]
        batch_weights = weights[users]                             # (B, n_items), sparse
        z = batch_weights @ implicit_factors                       # (B, f)
        p, q = params.user_factors[users], params.item_factors[items]
        b_u, b_i = params.user_bias[users], params.item_bias[items]
        errors = ratings[batch] - global_mean - b_u - b_i - np.einsum("bf,bf->b", p + z, q)
        params.user_bias += lr * np.bincount(users, errors - reg * b_u, minlength=n_users)
        params.item_bias += lr * np.bincount(items, errors - reg * b_i, minlength=n_items)
        params.user_factors += lr * _summed_by_index(errors[:, None] * q - reg * p, users, n_users)
        params.item_factors += lr * _summed_by_index(
            errors[:, None] * (p + z) - reg * q, items, n_items)
        # y_j: sum over the batch's ratings (u, i) with j in N(u).
        batch_rated = batch_weights.copy()
        batch_rated.data = np.ones_like(batch_rated.data)
        penalty_count = np.asarray(batch_rated.sum(axis=0)).ravel()      # (n_items,)
        implicit_factors += lr * (batch_weights.T @ (errors[:, None] * q)
                                  - reg * penalty_count[:, None] * implicit_factors)


class SVDPlusPlus(RatingPredictor):
    """SVD++ (Koren 2008): biased MF whose user vector also sums the items the user rated.

    .. math:: \\hat r_{ui} = \\mu + b_u + b_i + q_i^\\top \\Big(p_u + |N(u)|^{-1/2}
              \\sum_{j \\in N(u)} y_j\\Big)

    where :math:`N(u)` is the set of items :math:`u` rated in training: *that* a user rated an
    item is evidence too, whatever the rating. Loss: the squared errors plus :math:`\\lambda`
    times, per rating, :math:`b_u^2 + b_i^2 + \\lVert p_u \\rVert^2 + \\lVert q_i \\rVert^2 +
    \\sum_{j \\in N(u)} \\lVert y_j \\rVert^2` (:func:`svdpp_loss`), minimised by mini-batch SGD
    (:func:`svdpp_sgd_epoch`). Defaults are Surprise's ``SVDpp``'s: 20 factors, 20 epochs,
    learning rate 0.007, penalty 0.02.

    Attributes (after ``fit``): ``parameters_`` (:class:`FactorParameters`),
    ``implicit_factors_`` ``(n_items, f)``, ``implicit_weights_`` (CSR ``(n_users, n_items)``).
    A new user gets :math:`\\mu + b_i`, a new item :math:`\\mu + b_u`.
    """

    def __init__(self, *, n_factors: int = 20, n_epochs: int = 20, learning_rate: float = 0.007,
                 reg: float = 0.02, init_std: float = 0.1, batch_size: int = 512,
                 random_state: int = 0, rating_scale=(1.0, 5.0)):
        super().__init__(rating_scale=rating_scale)
        self.n_factors = n_factors
        self.n_epochs = n_epochs
        self.learning_rate = learning_rate
        self.reg = reg
        self.init_std = init_std
        self.batch_size = batch_size
        self.random_state = random_state

    def _fit(self, user_rows, item_columns, ratings) -> None:
        n_factors = check_positive_int(self.n_factors, "n_factors")
        n_epochs = check_positive_int(self.n_epochs, "n_epochs")
        learning_rate = check_real(self.learning_rate, "learning_rate", min_val=0,
                                   include_boundaries="neither")
        reg = check_real(self.reg, "reg", min_val=0)
        init_std = check_real(self.init_std, "init_std", min_val=0)
        batch_size = check_positive_int(self.batch_size, "batch_size")
        rng = np.random.default_rng(check_int(self.random_state, "random_state", min_val=0))
        params = FactorParameters.initial(self.n_users_, self.n_items_, n_factors, init_std, rng)
        implicit_factors = rng.normal(0.0, init_std, size=(self.n_items_, n_factors))
        weights = implicit_weights(user_rows, item_columns, self.n_users_, self.n_items_)
        for _ in range(n_epochs):
            svdpp_sgd_epoch(params, implicit_factors, weights, user_rows, item_columns, ratings,
                            self.global_mean_, learning_rate=learning_rate, reg=reg,
                            batch_size=batch_size, rng=rng)
        self.parameters_ = params
        self.implicit_factors_ = implicit_factors
        self.implicit_weights_ = weights

    def _predict(self, user_rows, item_columns) -> np.ndarray:
        params = self.parameters_
        known_user, known_item = user_rows >= 0, item_columns >= 0
        users, items = np.maximum(user_rows, 0), np.maximum(item_columns, 0)
        taste = params.user_factors[users] + self.implicit_weights_[users] @ self.implicit_factors_
        dots = np.einsum("nf,nf->n", taste, params.item_factors[items])
        return (self.global_mean_ + np.where(known_user, params.user_bias[users], 0.0)
                + np.where(known_item, params.item_bias[items], 0.0)
                + np.where(known_user & known_item, dots, 0.0))


@dataclasses.dataclass(frozen=True)
class MatrixFactorisationConfig(ProfileConfig):
    """Sizes of the rating chapter's factor models, per fold of 5-fold ML-100K (full values).

    - ``sgd_*``: SGD at Surprise's ``SVD`` settings (100 factors, 20 epochs, lr 0.005,
      reg 0.02), fewer factors in the quick run.
    - ``als_*``: ALS, its penalty chosen on validation from ``als_reg_grid`` (two values in
      the quick run: SGD's 0.02 and 0.1).
    - ``tuned_sgd_*``: SGD with a larger learning rate and more epochs, its penalty chosen on
      validation from ``tuned_sgd_reg_grid``; an empty grid (quick run) skips the model.
    - ``svdpp``: whether to run :class:`SVDPlusPlus` at Surprise's ``SVDpp`` settings (about
      half a minute per fold on a 2-core CPU: full run only).

    ``cost`` counts rating visits times factors over the 5 folds, validation fits included.
    """

    sgd_factors: int = 100
    sgd_epochs: int = 20
    als_factors: int = 20
    als_epochs: int = 10
    als_reg_grid: tuple = (0.02, 0.05, 0.1, 0.2)
    tuned_sgd_factors: int = 100
    tuned_sgd_epochs: int = 40
    tuned_sgd_learning_rate: float = 0.01
    tuned_sgd_reg_grid: tuple = (0.08, 0.12)
    svdpp: bool = True

    QUICK: ClassVar[dict] = {"sgd_factors": 20, "als_factors": 10, "als_epochs": 6,
                             "als_reg_grid": (0.02, 0.1), "tuned_sgd_reg_grid": (), "svdpp": False}
    QUICK_COST_LIMIT: ClassVar[int] = 500_000_000

    def cost(self) -> int:
        n_train, n_folds = 80_000, 5

        def fits(grid) -> int:       # one fit per candidate, one refit; none for a single value
            return 0 if not grid else (1 if len(grid) == 1 else len(grid) + 1)

        per_fold = (self.sgd_factors * self.sgd_epochs
                    + self.als_factors * self.als_epochs * fits(self.als_reg_grid)
                    + self.tuned_sgd_factors * self.tuned_sgd_epochs * fits(self.tuned_sgd_reg_grid)
                    # SVD++: 20 factors, 20 epochs, about ten times MF's work per rating
                    + (20 * 20 * 10 if self.svdpp else 0))
        return n_folds * n_train * per_fold
