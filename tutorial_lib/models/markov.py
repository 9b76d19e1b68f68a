"""A first-order Markov chain over items: the simplest sequential baseline.

The next item is predicted from the user's *last* item only. Counting, in the users' training
sequences, how often item ``j`` came right after item ``i`` gives the transition counts
``c_ij``; with ``c_i = sum_j c_ij`` and a prior towards popularity, the estimate

    P(next = j | last = i) = (c_ij + smoothing * q_j) / (c_i + smoothing)

(``q_j`` the share of item ``j`` among the training interactions) is a Dirichlet-smoothed
transition probability. For one user the denominator is a constant, so the ranking is that
of the score ``c_ij + smoothing * q_j``: the films that followed the last film most often,
ties (and films that never followed it) broken by popularity. ``smoothing = 0`` keeps the
raw counts (every film that never followed the last one then ties at 0); a large value
turns the model into popularity. It is chosen on the validation targets.

As a :class:`~tutorial_lib.models.sequential.SequentialRecommender` the model is fit on the
train sequences only and scores the test target through :meth:`with_history` (train + valid
sequences, so the last item is the validation item), with the same counts: no refit, as for
the trained sequence models. Nothing is learnt by gradient descent; fitting is one pass of
counting. The counts are held as a dense ``(n_items + 1, n_items + 1)`` matrix, fine for
catalogues of a few thousand items (MovieLens 100K: 1,683² floats, 11 MB).
"""

from __future__ import annotations

import copy
import dataclasses
from typing import ClassVar

import numpy as np
import torch
from torch import nn

from tutorial_lib.config import ProfileConfig
from tutorial_lib.data.sequences import PADDING
from tutorial_lib.models.sequential import SequentialRecommender
from tutorial_lib.validation import check_real

__all__ = ["MarkovChainConfig", "MarkovChainNetwork", "MarkovChainRecommender", "transition_counts"]


@dataclasses.dataclass(frozen=True)
class MarkovChainConfig(ProfileConfig):
    """The values of ``smoothing`` tried on the validation targets (the same in both profiles).

    Attributes
    ----------
    smoothing_grid : tuple of float
        Candidate weights of the popularity prior; each is one cheap evaluation. On
        MovieLens 100K the shares ``q_j`` are below 0.01, so values up to about 100 only
        break ties, and values in the thousands start to outweigh the counts.
    """

    smoothing_grid: tuple[float, ...] = (0.0, 1.0, 100.0, 1000.0, 10000.0)

    QUICK: ClassVar[dict] = {}
    QUICK_COST_LIMIT: ClassVar[int] = 5

    def cost(self) -> int:
        """Validation evaluations: one per grid value."""
        return len(self.smoothing_grid)


def transition_counts(sequences, n_items: int) -> np.ndarray:
    """How often each item followed each other item, over every sequence.

    Parameters
    ----------
    sequences : iterable of numpy.ndarray of int64
        Item codes ``1..n_items`` in time order, one array per user.
    n_items : int
        The catalogue size.

    Returns
    -------
    numpy.ndarray of float64, shape (n_items + 1, n_items + 1)
        Entry ``[i, j]`` counts the places where code ``j`` came right after code ``i``;
        row and column 0 (padding) are 0.
    """
    counts = np.zeros((n_items + 1, n_items + 1), dtype=np.float64)
    for sequence in sequences:
        sequence = np.asarray(sequence, dtype=np.int64)
        if sequence.size and (sequence.min() < 1 or sequence.max() > n_items):
            raise ValueError(f"sequences must hold codes 1..{n_items}, got {sequence.min()}..{sequence.max()}.")
        np.add.at(counts, (sequence[:-1], sequence[1:]), 1.0)  # one count per consecutive pair
    return counts


class MarkovChainNetwork(nn.Module):
    """Scores ``c_ij + smoothing * q_j`` of every item ``j`` after last items ``i``.

    Parameters
    ----------
    counts : numpy.ndarray or torch.Tensor, shape (n_items + 1, n_items + 1)
        From :func:`transition_counts` (a float32 tensor is used as it is, not copied).
    popularity : numpy.ndarray or torch.Tensor, shape (n_items + 1,)
        ``q``: each item's share of the training interactions (0 for padding).
    smoothing : float
        The weight of the popularity prior, >= 0.
    """

    def __init__(self, counts: np.ndarray, popularity: np.ndarray, smoothing: float):
        super().__init__()
        self.smoothing = check_real(smoothing, "smoothing", min_val=0.0)
        self.register_buffer("counts", torch.as_tensor(counts, dtype=torch.float32))
        self.register_buffer("popularity", torch.as_tensor(popularity, dtype=torch.float32))

    def forward(self, last_codes: torch.Tensor) -> torch.Tensor:
        """Scores ``(batch, n_items + 1)`` for last item codes ``(batch,)`` (0: no item)."""
        return self.counts[last_codes] + self.smoothing * self.popularity


class MarkovChainRecommender(SequentialRecommender):
    """A first-order Markov chain in the book's top-N interface (see the module docstring).

    Parameters
    ----------
    smoothing : float, default 1.0
        The weight of the popularity prior, >= 0 (choose it on validation).
    time_col, device, user_col, item_col
        As in :class:`tutorial_lib.models.sequential.SequentialRecommender`.

    Attributes (after ``fit``)
    --------------------------
    network_ : MarkovChainNetwork
        Holds the transition counts and the popularity shares.
    """

    def __init__(self, smoothing: float = 1.0, *, time_col: str = "timestamp", device: str | None = "cpu",
                 user_col: str = "user_id", item_col: str = "item_id"):
        super().__init__(1, time_col=time_col, device=device, user_col=user_col, item_col=item_col)
        self.smoothing = check_real(smoothing, "smoothing", min_val=0.0)

    def _fit_sequences(self, sequences: dict) -> None:
        counts = transition_counts(sequences.values(), self.n_items_)
        item_counts = np.bincount(np.concatenate([np.zeros(1, dtype=np.int64), *sequences.values()]),
                                  minlength=self.n_items_ + 1).astype(np.float64)
        item_counts[PADDING] = 0.0
        popularity = item_counts / max(item_counts.sum(), 1.0)
        self.network_ = MarkovChainNetwork(counts, popularity, self.smoothing).to(self.device)

    def _score_codes(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.network_(inputs[:, -1])  # left-padded: the last column is the last item

    def with_smoothing(self, smoothing: float) -> MarkovChainRecommender:
        """A scorer with the same counts (shared, not copied) and another ``smoothing``.

        For choosing ``smoothing`` on validation without counting again; like
        :meth:`with_history`, the copy is shallow.
        """
        self._check_is_fitted()
        scorer = copy.copy(self)
        scorer.smoothing = check_real(smoothing, "smoothing", min_val=0.0)
        scorer.network_ = MarkovChainNetwork(self.network_.counts, self.network_.popularity, scorer.smoothing)
        return scorer
