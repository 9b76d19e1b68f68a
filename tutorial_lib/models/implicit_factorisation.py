"""Matrix factorisation (矩阵分解) for implicit feedback (隐式反馈): BPR and weighted ALS.

Both learn a vector of ``n_factors`` numbers for every user and every item and score a
pair by their dot product; they differ in what they ask of the scores.

- :class:`BPRRecommender` (Rendle et al. 2009, Bayesian personalised ranking) asks that a
  user's item score above an item the user did not interact with: for a triple
  ``(u, i, j)`` with ``i`` seen and ``j`` not,

  .. math:: x_{uij} = p_u \\cdot (q_i - q_j) + b_i - b_j, \\qquad
            \\ell_{uij} = -\\ln \\sigma(x_{uij})
            + \\tfrac{\\lambda}{2}\\left(\\lVert p_u\\rVert^2 + \\lVert q_i\\rVert^2
            + \\lVert q_j\\rVert^2 + b_i^2 + b_j^2\\right).

  There are ``n_users × n_items²`` triples, so each epoch *samples* one ``j`` for every
  training pair ``(u, i)`` (negative sampling, 负采样) and takes mini-batch SGD steps
  (:func:`bpr_batch_loss_and_gradients`).
- :class:`ImplicitALSRecommender` (Hu, Koren & Volinsky 2008, weighted matrix
  factorisation) fits every cell of the matrix, the zeros included, with a confidence
  ``c_ui = 1 + α r_ui`` on a preference ``p_ui = 1[r_ui > 0]``:

  .. math:: L = \\sum_{u, i} c_{ui} (p_{ui} - x_u \\cdot y_i)^2
            + \\lambda \\left(\\sum_u \\lVert x_u\\rVert^2 + \\sum_i \\lVert y_i\\rVert^2\\right),

  minimised by alternating exact least-squares solves (:func:`als_solve_rows`): with the
  items fixed each user's vector has a closed form, and the other way round.

``r_ui`` here is the binary matrix of :class:`tutorial_lib.models.recommender.Recommender`
(1 where the user interacted with the item), so ``c_ui`` is ``1 + α`` on the interactions
and 1 elsewhere.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from tutorial_lib.book.runtime import get_seed
from tutorial_lib.config import ProfileConfig
from tutorial_lib.models.recommender import Recommender
from tutorial_lib.validation import check_int, check_positive_int, check_real

__all__ = [
    "ALSConfig",
    "BPRConfig",
    "BPRRecommender",
    "ImplicitALSRecommender",
    "als_loss",
    "als_solve_rows",
    "bpr_batch_loss_and_gradients",
]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function, computed without overflow for large ``|x|``."""
    return np.exp(-np.logaddexp(0.0, -x))


# --------------------------------------------------------------------------------------
# BPR
# --------------------------------------------------------------------------------------
def bpr_batch_loss_and_gradients(user_factors, item_factors, item_biases, users, positives,
                                 negatives, regularisation: float):
    """The BPR loss of a batch of triples, summed, and its gradients.

    Parameters
    ----------
    user_factors : numpy.ndarray, shape (n_users, n_factors)
    item_factors : numpy.ndarray, shape (n_items, n_factors)
    item_biases : numpy.ndarray, shape (n_items,)
    users, positives, negatives : numpy.ndarray of int, shape (batch,)
        Triple ``t`` is ``(users[t], positives[t], negatives[t])``: the user interacted
        with the positive item and not with the negative one. Indices may repeat.
    regularisation : float
        :math:`\\lambda` of the module docstring, applied once per triple.

    Returns
    -------
    loss : float
        :math:`\\sum_t \\ell_{u_t i_t j_t}`.
    user_gradient : numpy.ndarray, shape (n_users, n_factors)
    item_gradient : numpy.ndarray, shape (n_items, n_factors)
    bias_gradient : numpy.ndarray, shape (n_items,)
        Derivatives of the loss; rows that no triple touches are 0.
    """
    p = user_factors[users]                              # (batch, n_factors)
    q_pos = item_factors[positives]
    q_neg = item_factors[negatives]
    x = np.sum(p * (q_pos - q_neg), axis=1) + item_biases[positives] - item_biases[negatives]
    penalty = (np.sum(p ** 2) + np.sum(q_pos ** 2) + np.sum(q_neg ** 2)
               + np.sum(item_biases[positives] ** 2) + np.sum(item_biases[negatives] ** 2))
    loss = float(np.sum(np.logaddexp(0.0, -x)) + 0.5 * regularisation * penalty)
    # d(-ln sigma(x))/dx = -sigma(-x): how much each triple still pulls.
    pull = -_sigmoid(-x)[:, None]                        # (batch, 1)
    user_gradient = np.zeros_like(user_factors)
    item_gradient = np.zeros_like(item_factors)
    bias_gradient = np.zeros_like(item_biases)
    np.add.at(user_gradient, users, pull * (q_pos - q_neg) + regularisation * p)
    np.add.at(item_gradient, positives, pull * p + regularisation * q_pos)
    np.add.at(item_gradient, negatives, -pull * p + regularisation * q_neg)
    np.add.at(bias_gradient, positives, pull[:, 0] + regularisation * item_biases[positives])
    np.add.at(bias_gradient, negatives, -pull[:, 0] + regularisation * item_biases[negatives])
    return loss, user_gradient, item_gradient, bias_gradient


def sample_negative_items(matrix: sp.csr_matrix, users: np.ndarray, rng: np.random.Generator,
                          max_tries: int = 20) -> np.ndarray:
    """One item per user that the user has no interaction with, drawn uniformly.

    Draws uniformly from the catalogue and redraws those that hit an interaction of the
    user, up to ``max_tries`` times (a user with almost every item may keep one hit).

    Parameters
    ----------
    matrix : scipy.sparse.csr_matrix, shape (n_users, n_items)
        The interactions; its indices must be sorted within each row.
    users : numpy.ndarray of int, shape (batch,)

    Returns
    -------
    numpy.ndarray of int64, shape (batch,)
    """
    n_items = matrix.shape[1]
    seen_keys = (np.repeat(np.arange(matrix.shape[0], dtype=np.int64), np.diff(matrix.indptr))
                 * n_items + matrix.indices)             # sorted: row-major, sorted columns
    negatives = rng.integers(0, n_items, size=len(users))
    for _ in range(max_tries):
        keys = users.astype(np.int64) * n_items + negatives
        position = np.minimum(np.searchsorted(seen_keys, keys), len(seen_keys) - 1)
        hit = seen_keys[position] == keys
        if not hit.any():
            break
        negatives[hit] = rng.integers(0, n_items, size=int(hit.sum()))
    return negatives


class BPRRecommender(Recommender):
    """Bayesian personalised ranking: matrix factorisation trained on sampled triples.

    Each epoch visits every training pair ``(u, i)`` once in a random order, draws one
    negative item ``j`` uniformly from the items ``u`` has no interaction with
    (:func:`sample_negative_items`), and takes an SGD step on each mini-batch of triples:
    ``θ ← θ − learning_rate · ∇`` of the batch's summed loss
    (:func:`bpr_batch_loss_and_gradients`). Scores are ``p_u · q_j + b_j``; an item with no
    training interaction keeps its small random start (its bias only ever moves down,
    when it is drawn as a negative).

    Parameters
    ----------
    n_factors : int
        Length of each user and item vector.
    epochs : int
        Passes over the training pairs.
    learning_rate : float
    regularisation : float
        :math:`\\lambda` of the module docstring.
    batch_size : int
        Triples per SGD step.
    init_std : float
        Standard deviation of the normal initial factors (biases start at 0).
    seed : int or None
        Seeds initialisation, order and negatives; None: the book's seed
        (:func:`tutorial_lib.book.runtime.get_seed`).

    Attributes
    ----------
    user_factors_ : numpy.ndarray, shape (n_users, n_factors)
    item_factors_ : numpy.ndarray, shape (n_items, n_factors)
    item_biases_ : numpy.ndarray, shape (n_items,)
    loss_history_ : list of float
        Mean loss per triple of each epoch (on that epoch's sampled triples).
    """

    def __init__(self, n_factors: int = 64, epochs: int = 30, learning_rate: float = 0.05,
                 regularisation: float = 0.01, batch_size: int = 256, init_std: float = 0.1,
                 seed: int | None = None, *, user_col: str = "user_id", item_col: str = "item_id"):
        super().__init__(user_col=user_col, item_col=item_col)
        self.n_factors = check_positive_int(n_factors, "n_factors")
        self.epochs = check_positive_int(epochs, "epochs")
        self.learning_rate = check_real(learning_rate, "learning_rate", min_val=0, include_boundaries="neither")
        self.regularisation = check_real(regularisation, "regularisation", min_val=0)
        self.batch_size = check_positive_int(batch_size, "batch_size")
        self.init_std = check_real(init_std, "init_std", min_val=0, include_boundaries="neither")
        self.seed = None if seed is None else check_int(seed, "seed", min_val=0)

    def _fit(self, matrix) -> None:
        """SGD on sampled triples of the ``(n_users, n_items)`` binary matrix."""
        rng = np.random.default_rng(get_seed() if self.seed is None else self.seed)
        n_users, n_items = matrix.shape
        matrix = matrix.tocsr()
        matrix.sort_indices()
        self.user_factors_ = rng.normal(0.0, self.init_std, size=(n_users, self.n_factors))
        self.item_factors_ = rng.normal(0.0, self.init_std, size=(n_items, self.n_factors))
        self.item_biases_ = np.zeros(n_items)
        pair_users = np.repeat(np.arange(n_users), np.diff(matrix.indptr))
        pair_items = matrix.indices.astype(np.int64)
        self.loss_history_ = []
        for _ in range(self.epochs):
            order = rng.permutation(len(pair_users))
            epoch_loss = 0.0
            for start in range(0, len(order), self.batch_size):
                batch = order[start:start + self.batch_size]
                users, positives = pair_users[batch], pair_items[batch]
                negatives = sample_negative_items(matrix, users, rng)
                loss, user_gradient, item_gradient, bias_gradient = bpr_batch_loss_and_gradients(
                    self.user_factors_, self.item_factors_, self.item_biases_,
                    users, positives, negatives, self.regularisation,
                )
                self.user_factors_ -= self.learning_rate * user_gradient
                self.item_factors_ -= self.learning_rate * item_gradient
                self.item_biases_ -= self.learning_rate * bias_gradient
                epoch_loss += loss
            self.loss_history_.append(epoch_loss / len(order))

    def _score(self, user_rows: np.ndarray, item_columns: np.ndarray) -> np.ndarray:
        """``p_u · q_j + b_j``, shape ``(len(user_rows), len(item_columns))``."""
        return self.user_factors_[user_rows] @ self.item_factors_[item_columns].T + self.item_biases_[item_columns]


# --------------------------------------------------------------------------------------
# Weighted ALS
# --------------------------------------------------------------------------------------
def als_solve_rows(matrix: sp.csr_matrix, fixed_factors: np.ndarray, alpha: float,
                   regularisation: float) -> np.ndarray:
    """One half-step of weighted ALS: the exact best vector for every row, the other side fixed.

    For row ``u`` (a user, when ``matrix`` is ``(n_users, n_items)`` and ``fixed_factors``
    holds the item vectors ``Y``), setting the gradient of the loss to zero gives

    .. math:: x_u = (Y^\\top C_u Y + \\lambda I)^{-1} Y^\\top C_u p_u,
              \\qquad Y^\\top C_u Y = Y^\\top Y + Y^\\top (C_u - I) Y,

    where :math:`C_u = \\operatorname{diag}(c_{u\\cdot})`. :math:`Y^\\top Y` is the same for
    every row, and :math:`C_u - I` is zero except on the row's own interactions (where it is
    ``α r_ui``), so each row costs a sum over its own items, not over the whole catalogue;
    :math:`Y^\\top C_u p_u = \\sum_{i \\in I_u} (1 + α r_{ui}) y_i`. Pass the transposed
    matrix and the user vectors to solve for the items.

    Parameters
    ----------
    matrix : scipy.sparse.csr_matrix, shape (n_rows, n_columns)
        Interaction strengths ``r`` (positive where stored).
    fixed_factors : numpy.ndarray, shape (n_columns, n_factors)
    alpha, regularisation : float

    Returns
    -------
    numpy.ndarray, shape (n_rows, n_factors)
        A row with no interactions gets the zero vector (its right-hand side is 0).
    """
    n_factors = fixed_factors.shape[1]
    gram = fixed_factors.T @ fixed_factors + regularisation * np.eye(n_factors)  # YᵀY + λI
    solved = np.zeros((matrix.shape[0], n_factors))
    for row in range(matrix.shape[0]):
        start, stop = matrix.indptr[row], matrix.indptr[row + 1]
        if start == stop:
            continue
        factors = fixed_factors[matrix.indices[start:stop]]        # (n_row_items, n_factors)
        extra_confidence = alpha * matrix.data[start:stop]          # c_ui - 1
        left = gram + (factors.T * extra_confidence) @ factors       # Yᵀ C_u Y + λI
        right = factors.T @ (1.0 + extra_confidence)                 # Yᵀ C_u p_u
        solved[row] = np.linalg.solve(left, right)
    return solved


def als_loss(matrix: sp.csr_matrix, user_factors: np.ndarray, item_factors: np.ndarray,
             alpha: float, regularisation: float) -> float:
    """The weighted ALS loss of the module docstring, over every (user, item) cell.

    Computed without the dense matrix: the sum of :math:`(x_u \\cdot y_i)^2` over all cells
    is :math:`\\operatorname{tr}(X^\\top X\\, Y^\\top Y)`, and the stored cells correct it to
    :math:`c_{ui}(1 - s_{ui})^2`.

    Parameters
    ----------
    matrix : scipy.sparse.csr_matrix, shape (n_users, n_items)
    user_factors : numpy.ndarray, shape (n_users, n_factors)
    item_factors : numpy.ndarray, shape (n_items, n_factors)
    """
    coo = matrix.tocoo()
    stored_scores = np.sum(user_factors[coo.row] * item_factors[coo.col], axis=1)
    confidence = 1.0 + alpha * coo.data
    all_cells = np.sum((user_factors.T @ user_factors) * (item_factors.T @ item_factors))
    stored_cells = np.sum(confidence * (1.0 - stored_scores) ** 2 - stored_scores ** 2)
    penalty = regularisation * (np.sum(user_factors ** 2) + np.sum(item_factors ** 2))
    return float(all_cells + stored_cells + penalty)


class ImplicitALSRecommender(Recommender):
    """Weighted matrix factorisation for implicit feedback, by alternating least squares.

    Starts from small random item vectors and repeats, ``iterations`` times: solve every
    user's vector exactly with the items fixed, then every item's with the users fixed
    (:func:`als_solve_rows`). Each half-step minimises the loss over one side, so the
    loss never increases. Scores are ``x_u · y_j``; an item with no training
    interaction scores 0 (its vector is 0).

    Parameters
    ----------
    n_factors : int
    iterations : int
        Pairs of half-steps (users, then items).
    alpha : float
        Confidence slope: ``c_ui = 1 + alpha r_ui``.
    regularisation : float
        :math:`\\lambda`, the same for every user and item.
    init_std : float
        Standard deviation of the normal initial item vectors.
    seed : int or None
        Seeds the initial vectors; None: the book's seed.
    track_loss : bool
        Record :func:`als_loss` after every half-step in ``loss_history_`` (costs one
        pass over the interactions each time).

    Attributes
    ----------
    user_factors_ : numpy.ndarray, shape (n_users, n_factors)
    item_factors_ : numpy.ndarray, shape (n_items, n_factors)
    loss_history_ : list of float
        With ``track_loss``: the loss after each half-step, ``2 * iterations`` values.
    """

    def __init__(self, n_factors: int = 64, iterations: int = 15, alpha: float = 10.0,
                 regularisation: float = 1.0, init_std: float = 0.01, seed: int | None = None,
                 track_loss: bool = False, *, user_col: str = "user_id", item_col: str = "item_id"):
        super().__init__(user_col=user_col, item_col=item_col)
        self.n_factors = check_positive_int(n_factors, "n_factors")
        self.iterations = check_positive_int(iterations, "iterations")
        self.alpha = check_real(alpha, "alpha", min_val=0)
        self.regularisation = check_real(regularisation, "regularisation", min_val=0, include_boundaries="neither")
        self.init_std = check_real(init_std, "init_std", min_val=0, include_boundaries="neither")
        self.seed = None if seed is None else check_int(seed, "seed", min_val=0)
        if not isinstance(track_loss, bool):
            raise TypeError(f"track_loss must be True or False, got {track_loss!r}.")
        self.track_loss = track_loss

    def _fit(self, matrix) -> None:
        """Alternate exact solves for the users and the items of the binary matrix."""
        rng = np.random.default_rng(get_seed() if self.seed is None else self.seed)
        by_user = matrix.tocsr()
        by_item = matrix.T.tocsr()
        self.item_factors_ = rng.normal(0.0, self.init_std, size=(matrix.shape[1], self.n_factors))
        self.user_factors_ = np.zeros((matrix.shape[0], self.n_factors))
        self.loss_history_ = []
        for _ in range(self.iterations):
            self.user_factors_ = als_solve_rows(by_user, self.item_factors_, self.alpha, self.regularisation)
            self._record_loss(by_user)
            self.item_factors_ = als_solve_rows(by_item, self.user_factors_, self.alpha, self.regularisation)
            self._record_loss(by_user)

    def _record_loss(self, matrix) -> None:
        if self.track_loss:
            self.loss_history_.append(
                als_loss(matrix, self.user_factors_, self.item_factors_, self.alpha, self.regularisation)
            )

    def _score(self, user_rows: np.ndarray, item_columns: np.ndarray) -> np.ndarray:
        """``x_u · y_j``, shape ``(len(user_rows), len(item_columns))``."""
        return self.user_factors_[user_rows] @ self.item_factors_[item_columns].T


# --------------------------------------------------------------------------------------
# Sizes for chapter 6's MovieLens experiment
# --------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class BPRConfig(ProfileConfig):
    """Settings of :class:`BPRRecommender` in chapter 6; defaults are the full values.

    Attributes
    ----------
    n_factors : int
        Length of each user and item vector.
    epochs : int
        Passes over the training pairs, one sampled negative each.
    learning_rate : float
    regularisation : float
    batch_size : int
    factor_grid : tuple of int
        Factor counts tried on the validation targets (the accuracy-against-factors plot).
    """

    n_factors: int = 64
    epochs: int = 40
    learning_rate: float = 0.05
    regularisation: float = 0.01
    batch_size: int = 256
    factor_grid: tuple[int, ...] = (8, 16, 32, 64, 128)

    QUICK: ClassVar[dict] = {"epochs": 10, "factor_grid": (16, 64)}
    QUICK_COST_LIMIT: ClassVar[int] = 10 * (64 + 16 + 64)

    def cost(self) -> int:
        """Epochs times factors, summed over the final model and the grid (per training pair)."""
        return self.epochs * (self.n_factors + sum(self.factor_grid))


@dataclasses.dataclass(frozen=True)
class ALSConfig(ProfileConfig):
    """Settings of :class:`ImplicitALSRecommender` in chapter 6; defaults are the full values.

    Attributes
    ----------
    n_factors : int
    iterations : int
        Pairs of half-steps.
    alpha : float
        Confidence slope, ``c = 1 + alpha r``.
    regularisation : float
    factor_grid : tuple of int
        Factor counts tried on the validation targets.
    """

    n_factors: int = 64
    iterations: int = 15
    alpha: float = 10.0
    regularisation: float = 1.0
    factor_grid: tuple[int, ...] = (8, 16, 32, 64, 128)

    QUICK: ClassVar[dict] = {"iterations": 5, "factor_grid": (16, 64)}
    QUICK_COST_LIMIT: ClassVar[int] = 5 * (64 + 16 + 64)

    def cost(self) -> int:
        """Iterations times factors, summed over the final model and the grid (per row solved)."""
        return self.iterations * (self.n_factors + sum(self.factor_grid))
