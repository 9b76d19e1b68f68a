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
from threadpoolctl import threadpool_limits

from tutorial_lib.book.runtime import get_seed
from tutorial_lib.config import ProfileConfig
from tutorial_lib.models.recommender import Recommender
from tutorial_lib.validation import check_choice, check_int, check_positive_int, check_real

__all__ = [
    "ALSConfig",
    "BPRConfig",
    "BPRRecommender",
    "ImplicitALSRecommender",
    "als_loss",
    "als_solve_rows",
    "bpr_batch_loss_and_gradients",
    "bpr_sgd_step",
    "sample_negative_items",
]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function, computed without overflow for large ``|x|``."""
    return np.exp(-np.logaddexp(0.0, -x))


# --------------------------------------------------------------------------------------
# BPR
# --------------------------------------------------------------------------------------
def bpr_batch_loss_and_gradients(user_factors, item_factors, item_biases,
                                 users, positives, negatives,
                                 regularisation: float):
    """The summed BPR loss of a batch of triples, and per-triple gradients.

    Parameters
    ----------
    user_factors : numpy.ndarray, shape (n_users, n_factors)
    item_factors : numpy.ndarray, shape (n_items, n_factors)
    item_biases : numpy.ndarray, shape (n_items,)
    users, positives, negatives : numpy.ndarray of int, shape (batch,)
        Triple ``t`` is ``(users[t], positives[t], negatives[t])``: the user
        interacted with the positive item, not with the negative one.
        Indices may repeat.
    regularisation : float
        :math:`\\lambda`, applied once per triple.

    Returns
    -------
    loss : float
        :math:`\\sum_t \\ell_{u_t i_t j_t}`.
    gradients : dict of numpy.ndarray
        Triple ``t``'s gradient by the parameters it uses: ``"user"``,
        ``"positive"``, ``"negative"``, shape ``(batch, n_factors)`` (by
        ``p_u``, ``q_i``, ``q_j``), and ``"positive_bias"``,
        ``"negative_bias"``, shape ``(batch,)``. The gradient of the summed
        loss by ``user_factors`` is ``"user"`` added up at the rows
        ``users`` (``np.add.at``), and so on: a user or item in several
        triples collects all of their pulls.
    """
    p = user_factors[users]                      # (batch, n_factors)
    q_pos = item_factors[positives]
    q_neg = item_factors[negatives]
    b_pos = item_biases[positives]               # (batch,)
    b_neg = item_biases[negatives]
    x = np.sum(p * (q_pos - q_neg), axis=1) + b_pos - b_neg
    penalty = (np.sum(p ** 2) + np.sum(q_pos ** 2) + np.sum(q_neg ** 2)
               + np.sum(b_pos ** 2) + np.sum(b_neg ** 2))
    data_term = np.sum(np.logaddexp(0.0, -x))    # sum of -ln sigma(x)
    loss = float(data_term + 0.5 * regularisation * penalty)
    # d(-ln sigma(x))/dx = -sigma(-x): how much each triple still pulls.
    pull = -_sigmoid(-x)                         # (batch,)
    gradients = {
        "user": pull[:, None] * (q_pos - q_neg) + regularisation * p,
        "positive": pull[:, None] * p + regularisation * q_pos,
        "negative": -pull[:, None] * p + regularisation * q_neg,
        "positive_bias": pull + regularisation * b_pos,
        "negative_bias": -pull + regularisation * b_neg,
    }
    return loss, gradients


def _add_at_rows(target: np.ndarray, rows: np.ndarray, values: np.ndarray) -> None:
    """``np.add.at(target, rows, values)`` for a C-contiguous 2-D ``target``, in place.

    ``target`` has shape ``(n_rows, width)`` and ``values`` ``(len(rows), width)``; a row
    that occurs several times in ``rows`` receives every one of its values. The same sum
    is done on the flattened array, where NumPy's ``add.at`` is several times faster.
    """
    width = target.shape[1]
    flat_positions = (rows[:, None] * width + np.arange(width)).ravel()
    np.add.at(target.reshape(-1), flat_positions, values.ravel())


def bpr_sgd_step(user_factors, item_factors, item_biases, users, positives, negatives,
                 learning_rate: float, regularisation: float) -> float:
    """One SGD step on a batch of BPR triples, in place; returns the batch's summed loss.

    ``θ ← θ − learning_rate · ∇``, the gradient of the summed loss of the batch
    (:func:`bpr_batch_loss_and_gradients`): each triple's part is added at its rows, so
    only the vectors and biases of the batch's users and items move. Arguments as in
    :func:`bpr_batch_loss_and_gradients`; the three parameter arrays are changed.
    """
    loss, gradients = bpr_batch_loss_and_gradients(
        user_factors, item_factors, item_biases, users, positives, negatives, regularisation
    )
    _add_at_rows(user_factors, users, -learning_rate * gradients["user"])
    _add_at_rows(item_factors, positives, -learning_rate * gradients["positive"])
    _add_at_rows(item_factors, negatives, -learning_rate * gradients["negative"])
    np.add.at(item_biases, positives, -learning_rate * gradients["positive_bias"])
    np.add.at(item_biases, negatives, -learning_rate * gradients["negative_bias"])
    return loss


def _interaction_keys(matrix: sp.csr_matrix) -> np.ndarray:
    """``row * n_columns + column`` of every stored cell, sorted, shape ``(nnz,)``."""
    rows = np.repeat(np.arange(matrix.shape[0], dtype=np.int64), np.diff(matrix.indptr))
    return np.sort(rows * matrix.shape[1] + matrix.indices)


NEGATIVE_SAMPLINGS = ("uniform", "popularity")


def sample_negative_items(interaction_keys: np.ndarray, n_items: int, users: np.ndarray,
                          rng: np.random.Generator, max_tries: int = 20,
                          sampling: str = "uniform") -> np.ndarray:
    """One item per user that the user has no interaction with.

    ``sampling="uniform"`` draws from the catalogue uniformly; ``"popularity"`` draws the
    item of a random interaction, so an item is drawn in proportion to its number of
    interactions (what the ``implicit`` library's BPR does). Draws that hit an interaction
    of the user are redrawn, up to ``max_tries`` times (a user with almost every item may
    keep one hit).

    Parameters
    ----------
    interaction_keys : numpy.ndarray of int64, shape (nnz,)
        ``user * n_items + item`` of every interaction, sorted.
    n_items : int
    users : numpy.ndarray of int, shape (batch,)
    sampling : {"uniform", "popularity"}

    Returns
    -------
    numpy.ndarray of int64, shape (batch,)
    """
    sampling = check_choice(sampling, "sampling", NEGATIVE_SAMPLINGS)
    interacted_items = interaction_keys % n_items        # the item of each interaction

    def draw(size):
        if sampling == "uniform":
            return rng.integers(0, n_items, size=size)
        return interacted_items[rng.integers(0, len(interacted_items), size=size)]

    negatives = draw(len(users))
    for _ in range(max_tries):
        keys = users.astype(np.int64) * n_items + negatives
        position = np.minimum(np.searchsorted(interaction_keys, keys), len(interaction_keys) - 1)
        hit = interaction_keys[position] == keys
        if not hit.any():
            break
        negatives[hit] = draw(int(hit.sum()))
    return negatives


class BPRRecommender(Recommender):
    """Bayesian personalised ranking: matrix factorisation trained on sampled triples.

    Each epoch visits every training pair ``(u, i)`` once in a random order, draws one
    negative item ``j`` uniformly from the items ``u`` has no interaction with
    (:func:`sample_negative_items`), and takes an SGD step on each mini-batch of triples:
    ``θ ← θ − learning_rate · ∇`` of the batch's summed loss
    (:func:`bpr_batch_loss_and_gradients`), so a step moves only the vectors of the
    batch's users and items. Scores are ``p_u · q_j + b_j``; an item with no
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
    negative_sampling : {"uniform", "popularity"}
        How negatives are drawn (:func:`sample_negative_items`); ``"popularity"`` is the
        ``implicit`` library's way.

    Attributes
    ----------
    user_factors_ : numpy.ndarray, shape (n_users, n_factors)
    item_factors_ : numpy.ndarray, shape (n_items, n_factors)
    item_biases_ : numpy.ndarray, shape (n_items,)
    loss_history_ : list of float
        Mean loss per triple of each epoch (on that epoch's sampled triples).
    """

    def __init__(self, n_factors: int = 64, epochs: int = 40, learning_rate: float = 0.1,
                 regularisation: float = 0.01, batch_size: int = 1024, init_std: float = 0.1,
                 seed: int | None = None, negative_sampling: str = "uniform", *,
                 user_col: str = "user_id", item_col: str = "item_id"):
        super().__init__(user_col=user_col, item_col=item_col)
        self.n_factors = check_positive_int(n_factors, "n_factors")
        self.epochs = check_positive_int(epochs, "epochs")
        self.learning_rate = check_real(learning_rate, "learning_rate", min_val=0, include_boundaries="neither")
        self.regularisation = check_real(regularisation, "regularisation", min_val=0)
        self.batch_size = check_positive_int(batch_size, "batch_size")
        self.init_std = check_real(init_std, "init_std", min_val=0, include_boundaries="neither")
        self.seed = None if seed is None else check_int(seed, "seed", min_val=0)
        self.negative_sampling = check_choice(negative_sampling, "negative_sampling", NEGATIVE_SAMPLINGS)

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
        interaction_keys = _interaction_keys(matrix)
        step = self.learning_rate
        self.loss_history_ = []
        for _ in range(self.epochs):
            order = rng.permutation(len(pair_users))
            epoch_loss = 0.0
            for start in range(0, len(order), self.batch_size):
                batch = order[start:start + self.batch_size]
                users, positives = pair_users[batch], pair_items[batch]
                negatives = sample_negative_items(interaction_keys, n_items, users, rng,
                                                  sampling=self.negative_sampling)
                epoch_loss += bpr_sgd_step(
                    self.user_factors_, self.item_factors_, self.item_biases_,
                    users, positives, negatives, step, self.regularisation,
                )
            self.loss_history_.append(epoch_loss / len(order))

    def _score(self, user_rows: np.ndarray, item_columns: np.ndarray) -> np.ndarray:
        """``p_u · q_j + b_j``, shape ``(len(user_rows), len(item_columns))``."""
        return self.user_factors_[user_rows] @ self.item_factors_[item_columns].T + self.item_biases_[item_columns]


# --------------------------------------------------------------------------------------
# Weighted ALS
# --------------------------------------------------------------------------------------
def als_solve_rows(matrix: sp.csr_matrix, fixed_factors: np.ndarray,
                   alpha: float, regularisation: float) -> np.ndarray:
    """One half-step of weighted ALS: every row's exact best vector.

    For row ``u`` (a user, when ``matrix`` is ``(n_users, n_items)`` and
    ``fixed_factors`` holds the item vectors ``Y``), setting the gradient
    of the loss to zero gives

    .. math:: x_u = (Y^\\top C_u Y + \\lambda I)^{-1} Y^\\top C_u p_u,
              \\quad Y^\\top C_u Y = Y^\\top Y + Y^\\top (C_u - I) Y,

    with :math:`C_u = \\operatorname{diag}(c_{u\\cdot})`. :math:`Y^\\top Y`
    is the same for every row, and :math:`C_u - I` is zero except on the
    row's own items (``alpha r_ui`` there), so a row costs a sum over its
    own items, not over the catalogue; likewise
    :math:`Y^\\top C_u p_u = \\sum_{i \\in I_u} (1 + \\alpha r_{ui}) y_i`.
    Pass the transposed matrix and the user vectors to solve for items.

    Parameters
    ----------
    matrix : scipy.sparse.csr_matrix, shape (n_rows, n_columns)
        Interaction strengths ``r`` (positive where stored).
    fixed_factors : numpy.ndarray, shape (n_columns, n_factors)
    alpha, regularisation : float

    Returns
    -------
    numpy.ndarray, shape (n_rows, n_factors)
        A row without interactions gets the zero vector.
    """
    n_factors = fixed_factors.shape[1]
    shared = fixed_factors.T @ fixed_factors     # Y'Y, once per half-step
    shared += regularisation * np.eye(n_factors)
    solved = np.zeros((matrix.shape[0], n_factors))
    for row in range(matrix.shape[0]):
        start, stop = matrix.indptr[row], matrix.indptr[row + 1]
        if start == stop:
            continue
        own = fixed_factors[matrix.indices[start:stop]]  # (n_own, d)
        extra = alpha * matrix.data[start:stop]          # c_ui - 1
        left = shared + (own.T * extra) @ own            # Y'C_uY + lambda I
        right = own.T @ (1.0 + extra)                    # Y'C_u p_u
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

    def __init__(self, n_factors: int = 64, iterations: int = 15, alpha: float = 1.0,
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
        # Thousands of tiny (n_factors x n_factors) solves: a multithreaded BLAS spends more
        # time starting and waiting for its threads than computing (50 times slower on a
        # busy 2-core machine), so the solves run on one BLAS thread.
        with threadpool_limits(limits=1, user_api="blas"):
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

    The chapter chooses the factor count from ``factor_grid`` with ``learning_rate``, then
    the learning rate from ``learning_rate_grid`` at that count, both on the validation
    targets.

    Attributes
    ----------
    factor_grid : tuple of int
        Factor counts tried.
    learning_rate : float
        The learning rate while the factor count is chosen.
    learning_rate_grid : tuple of float
        Learning rates then tried at the chosen count.
    epochs : int
        Passes over the training pairs, one sampled negative each.
    regularisation : float
    batch_size : int
    """

    factor_grid: tuple[int, ...] = (8, 16, 32, 64, 128)
    learning_rate: float = 0.1
    learning_rate_grid: tuple[float, ...] = (0.02, 0.05, 0.1, 0.2)
    epochs: int = 40
    regularisation: float = 0.01
    batch_size: int = 1024

    QUICK: ClassVar[dict] = {"factor_grid": (16, 64), "learning_rate_grid": (0.05, 0.1, 0.2),
                             "epochs": 20}
    QUICK_COST_LIMIT: ClassVar[int] = 20 * (16 + 64 + 3 * 64)

    def cost(self) -> int:
        """Epochs times factors over both sweeps (the second at the largest count, a bound)."""
        return self.epochs * (sum(self.factor_grid) + len(self.learning_rate_grid) * max(self.factor_grid))


@dataclasses.dataclass(frozen=True)
class ALSConfig(ProfileConfig):
    """Settings of :class:`ImplicitALSRecommender` in chapter 6; defaults are the full values.

    The chapter chooses the factor count from ``factor_grid`` with ``alpha``, then ``alpha``
    from ``alpha_grid`` at that count, both on the validation targets.

    Attributes
    ----------
    factor_grid : tuple of int
        Factor counts tried.
    alpha : float
        Confidence slope, ``c = 1 + alpha r``, while the factor count is chosen.
    alpha_grid : tuple of float
        Values of ``alpha`` then tried at the chosen count.
    iterations : int
        Pairs of half-steps.
    regularisation : float
    """

    factor_grid: tuple[int, ...] = (8, 16, 32, 64, 128)
    alpha: float = 1.0
    alpha_grid: tuple[float, ...] = (0.5, 1.0, 3.0, 10.0, 40.0)
    iterations: int = 15
    regularisation: float = 1.0

    QUICK: ClassVar[dict] = {"factor_grid": (16, 64), "alpha_grid": (1.0, 10.0), "iterations": 8}
    QUICK_COST_LIMIT: ClassVar[int] = 8 * (16 + 64 + 2 * 64)

    def cost(self) -> int:
        """Iterations times factors over both sweeps (the second at the largest count, a bound)."""
        return self.iterations * (sum(self.factor_grid) + len(self.alpha_grid) * max(self.factor_grid))
