"""The ``implicit`` library's ALS and BPR as peers of our weighted ALS and BPR.

``implicit`` (version 0.7.3) is a multithreaded C++/Cython library for implicit-feedback
recommenders. The two adapters here fit its CPU models on the same binary
``(n_users, n_items)`` matrix as :mod:`tutorial_lib.models.implicit_factorisation` and score
with the learnt factors, ``x_u · y_j`` (for BPR the last factor column holds the item bias,
the users' being fixed at 1), so the book's protocol ranks exactly what the library learnt.

Where the library's models match ours, and where they differ (read from its 0.7.3 source):

- **ALS.** ``implicit`` takes the matrix's values *as* the confidence, times its ``alpha``:
  ``c_ui = alpha_implicit · value`` on stored cells and 1 elsewhere, with preference 1 where
  a value is stored. Hu et al.'s ``c_ui = 1 + α r_ui`` on a binary matrix is therefore
  ``alpha_implicit = 1 + α``; :class:`ImplicitALSPeer` takes our ``α`` and does that. The
  regularisation is the same un-scaled :math:`\\lambda (\\sum \\lVert x_u\\rVert^2 +
  \\sum \\lVert y_i\\rVert^2)`, so with ``use_cg=False`` (its exact Cholesky solve) it
  minimises the same loss by the same half-steps as ours; its default ``use_cg=True`` takes
  three conjugate-gradient steps per row from the previous vector instead (an approximate,
  faster solve). It starts from uniform ``[0, 0.01)`` factors and works in float32.
- **BPR.** Each epoch draws as many triples as there are interactions, *with replacement*:
  the positive pair is a random interaction, and the negative item is the item of another
  random interaction, so negatives are drawn **in proportion to popularity**, not uniformly
  as ours. A negative the user has interacted with is *skipped*, not redrawn. Updates are
  plain per-triple SGD with the same gradient and regularisation as ours (item bias
  included), run lock-free on several threads at once. Factors start uniform in
  ``[-0.5, 0.5) / n_factors``.

``implicit`` warns on stderr when the BLAS library runs its own thread pool (OpenBLAS
defaults to one thread per core), because that slows its solver; the adapters fit inside
``threadpoolctl.threadpool_limits(1, "blas")``, as the warning recommends, which removes
both the slowdown and the warning. Progress bars are switched off.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from tutorial_lib.book.runtime import get_seed
from tutorial_lib.config import ProfileConfig
from tutorial_lib.models.recommender import Recommender
from tutorial_lib.validation import check_bool, check_int, check_positive_int, check_real

__all__ = ["ImplicitALSPeer", "ImplicitBPRPeer", "ImplicitBPRPeerConfig"]


def _fit_quietly(model, matrix: sp.csr_matrix) -> None:
    """Fit an ``implicit`` model on ``matrix`` with BLAS on one thread and no progress bar."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        model.fit(matrix.astype(np.float32), show_progress=False)


class _ImplicitPeer(Recommender):
    """Shared parts: the seed, the threads and scoring with the library's factors."""

    def __init__(self, seed, num_threads, user_col, item_col):
        super().__init__(user_col=user_col, item_col=item_col)
        self.seed = None if seed is None else check_int(seed, "seed", min_val=0)
        self.num_threads = check_int(num_threads, "num_threads", min_val=0)

    def _random_state(self) -> int:
        return get_seed() if self.seed is None else self.seed

    def _score(self, user_rows: np.ndarray, item_columns: np.ndarray) -> np.ndarray:
        """``x_u · y_j`` from the library's factors, shape ``(len(user_rows), len(item_columns))``."""
        user_factors = np.asarray(self.model_.user_factors, dtype=np.float64)
        item_factors = np.asarray(self.model_.item_factors, dtype=np.float64)
        return user_factors[user_rows] @ item_factors[item_columns].T


class ImplicitALSPeer(_ImplicitPeer):
    """``implicit.als.AlternatingLeastSquares`` (CPU) with Hu et al.'s confidence ``1 + α r``.

    Parameters
    ----------
    n_factors, iterations, alpha, regularisation
        As :class:`tutorial_lib.models.implicit_factorisation.ImplicitALSRecommender`;
        the library gets ``alpha = 1 + alpha`` (see the module docstring).
    use_cg : bool, default False
        The library's conjugate-gradient solver (its default) instead of the exact solve.
    seed : int or None
        The library's ``random_state``; None: the book's seed.
    num_threads : int, default 0
        The library's threads; 0: one per core.

    Attributes
    ----------
    model_ : implicit.cpu.als.AlternatingLeastSquares
        The fitted library model.
    """

    def __init__(self, n_factors: int = 64, iterations: int = 15, alpha: float = 1.0,
                 regularisation: float = 1.0, use_cg: bool = False, seed: int | None = None,
                 num_threads: int = 0, *, user_col: str = "user_id", item_col: str = "item_id"):
        super().__init__(seed, num_threads, user_col, item_col)
        self.n_factors = check_positive_int(n_factors, "n_factors")
        self.iterations = check_positive_int(iterations, "iterations")
        self.alpha = check_real(alpha, "alpha", min_val=0)
        self.regularisation = check_real(regularisation, "regularisation", min_val=0, include_boundaries="neither")
        self.use_cg = check_bool(use_cg, "use_cg")

    def _fit(self, matrix) -> None:
        """Build the library's model and fit it on the binary matrix."""
        from implicit.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):  # it checks BLAS threads when built
            self.model_ = AlternatingLeastSquares(
                factors=self.n_factors, regularization=self.regularisation, alpha=1.0 + self.alpha,
                use_cg=self.use_cg, use_gpu=False, iterations=self.iterations,
                num_threads=self.num_threads, random_state=self._random_state(),
            )
        _fit_quietly(self.model_, matrix)


class ImplicitBPRPeer(_ImplicitPeer):
    """``implicit.bpr.BayesianPersonalizedRanking`` (CPU).

    Parameters
    ----------
    n_factors, epochs, learning_rate, regularisation
        As :class:`tutorial_lib.models.implicit_factorisation.BPRRecommender` (the
        library adds the bias column itself; ``epochs`` is its ``iterations``). Its
        negatives are drawn by popularity and it has no mini-batches (module docstring).
    seed : int or None
        The library's ``random_state``; None: the book's seed.
    num_threads : int, default 0
        The library's threads; 0: one per core (results then vary from run to run: the
        threads update the factors lock-free).

    Attributes
    ----------
    model_ : implicit.cpu.bpr.BayesianPersonalizedRanking
    """

    def __init__(self, n_factors: int = 64, epochs: int = 40, learning_rate: float = 0.1,
                 regularisation: float = 0.01, seed: int | None = None, num_threads: int = 0,
                 *, user_col: str = "user_id", item_col: str = "item_id"):
        super().__init__(seed, num_threads, user_col, item_col)
        self.n_factors = check_positive_int(n_factors, "n_factors")
        self.epochs = check_positive_int(epochs, "epochs")
        self.learning_rate = check_real(learning_rate, "learning_rate", min_val=0, include_boundaries="neither")
        self.regularisation = check_real(regularisation, "regularisation", min_val=0)

    def _fit(self, matrix) -> None:
        """Build the library's model and fit it on the binary matrix."""
        from implicit.bpr import BayesianPersonalizedRanking

        self.model_ = BayesianPersonalizedRanking(
            factors=self.n_factors, learning_rate=self.learning_rate, regularization=self.regularisation,
            iterations=self.epochs, use_gpu=False, num_threads=self.num_threads,
            random_state=self._random_state(),
        )
        _fit_quietly(self.model_, matrix)


@dataclasses.dataclass(frozen=True)
class ImplicitBPRPeerConfig(ProfileConfig):
    """The settings chapter 6 tries for :class:`ImplicitBPRPeer` on the validation targets.

    The library's BPR takes one SGD step per sampled triple, so the learning rate that
    suits our mini-batch BPR need not suit it; it gets its own small grid (at our chosen
    factor count). Defaults are the full values.

    Attributes
    ----------
    learning_rate_grid : tuple of float
    epoch_grid : tuple of int
    """

    learning_rate_grid: tuple[float, ...] = (0.01, 0.05, 0.1)
    epoch_grid: tuple[int, ...] = (20, 40, 100)

    QUICK: ClassVar[dict] = {"epoch_grid": (20, 40)}
    QUICK_COST_LIMIT: ClassVar[int] = 3 * (20 + 40)

    def cost(self) -> int:
        """Epochs summed over the grid."""
        return len(self.learning_rate_grid) * sum(self.epoch_grid)
