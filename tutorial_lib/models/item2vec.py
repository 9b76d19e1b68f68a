"""Item embeddings from behaviour sequences: skip-gram with negative sampling (item2vec).

word2vec's skip-gram (Mikolov et al., 2013) learns two vectors for every token: an *input*
vector :math:`v_w` used when the token is the centre, and an *output* vector :math:`u_c` used
when it is a context. Item2vec (Barkan & Koenigstein, 2016) applies it to items: a user's
items in time order play the part of a sentence. For one (centre :math:`w`, context
:math:`c`) pair and :math:`k` negatives :math:`n_1..n_k` drawn from the noise distribution
:math:`P_n(i) \\propto \\operatorname{count}(i)^{3/4}`, the negative-sampling loss is

.. math::

    \\ell(w, c) = -\\log \\sigma(u_c^\\top v_w) - \\sum_{j=1}^{k} \\log \\sigma(-u_{n_j}^\\top v_w)

(:func:`sgns_loss`, written out; :func:`sgns_gradients` gives its gradients by hand). Frequent
items may be *subsampled*: each occurrence of item :math:`i` is kept with probability
:math:`\\min(1, \\sqrt{t / f(i)})`, :math:`f(i)` its share of all occurrences.

GloVe (Pennington et al., 2014) fits the same kind of vectors to a co-occurrence matrix
instead, by weighted least squares (:func:`glove_loss`):

.. math::

    J = \\sum_{i,j:\\,X_{ij} > 0} f(X_{ij}) \\big(w_i^\\top \\tilde w_j + b_i + \\tilde b_j - \\log X_{ij}\\big)^2,
    \\qquad f(x) = \\min\\big(1, (x / x_{\\max})^{\\alpha}\\big)

with :math:`x_{\\max} = 100` and :math:`\\alpha = 3/4` in the paper.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np
import pandas as pd
import scipy.sparse
import torch
from torch import nn

from tutorial_lib.book.runtime import get_device, get_seed
from tutorial_lib.config import ProfileConfig
from tutorial_lib.models.ncf import torch_threads
from tutorial_lib.models.recommender import Recommender
from tutorial_lib.training import _check_device
from tutorial_lib.validation import check_int, check_real, require_columns

__all__ = [
    "Item2VecConfig",
    "behaviour_sequences",
    "skipgram_pairs",
    "noise_distribution",
    "keep_probabilities",
    "sgns_loss",
    "sgns_gradients",
    "SkipGramModel",
    "train_skipgram",
    "cosine_nearest",
    "Item2VecRecommender",
    "glove_weight",
    "glove_loss",
]


@dataclasses.dataclass(frozen=True)
class Item2VecConfig(ProfileConfig):
    """Sizes of item2vec (field defaults: the full profile).

    Attributes
    ----------
    embedding_dim : int
        Length of each item vector.
    window : int
        Context items on each side of the centre in a user's sequence.
    negatives : int
        Negatives per (centre, context) pair, drawn from count^noise_power.
    noise_power : float
        Exponent of the noise distribution (0.75 in word2vec).
    subsample_threshold : float or None
        word2vec's ``t``; None switches subsampling off.
    epochs, batch_size, lr : int, int, float
        Passes over the pairs, pairs per Adam step, and the learning rate.
    n_recent : int
        The recommender compares items with the user's last ``n_recent`` training items.
    """

    embedding_dim: int = 64
    window: int = 5
    negatives: int = 5
    noise_power: float = 0.75
    subsample_threshold: float | None = 1e-3
    epochs: int = 10
    batch_size: int = 2048
    lr: float = 5e-3
    n_recent: int = 10

    QUICK: ClassVar[dict] = {"embedding_dim": 32, "window": 3, "epochs": 2}
    # ML-100K: ~97k positions x 2 * window contexts x (1 + negatives) x epochs.
    QUICK_COST_LIMIT: ClassVar[int] = 100_000 * 6 * 6 * 2

    def cost(self) -> int:
        return 100_000 * 2 * self.window * (1 + self.negatives) * self.epochs

    def __post_init__(self):
        for name in ("embedding_dim", "window", "negatives", "epochs", "batch_size", "n_recent"):
            check_int(getattr(self, name), name, min_val=1)
        check_real(self.noise_power, "noise_power", min_val=0)
        check_real(self.lr, "lr", min_val=0, include_boundaries="neither")
        if self.subsample_threshold is not None:
            check_real(self.subsample_threshold, "subsample_threshold", min_val=0, include_boundaries="neither")


# --------------------------------------------------------------------------------------
# Sequences and pairs
# --------------------------------------------------------------------------------------
def behaviour_sequences(interactions: pd.DataFrame, item_ids: np.ndarray, *, user_col: str = "user_id",
                        item_col: str = "item_id", time_col: str = "timestamp") -> dict:
    """Each user's items in time order, as positions in ``item_ids``.

    Equal timestamps are ordered by item id (as :func:`leave_last_out_split` does).

    Returns
    -------
    dict of user id to numpy.ndarray of int64, shape (n_interactions_of_user,)
    """
    require_columns(interactions, "interactions", [user_col, item_col, time_col], allow_empty=False)
    ordered = interactions.sort_values([user_col, time_col, item_col], kind="mergesort")
    positions = np.searchsorted(item_ids, ordered[item_col].to_numpy())
    users = ordered[user_col].to_numpy()
    bounds = np.flatnonzero(np.r_[True, users[1:] != users[:-1], True])
    return {users[start]: positions[start:end] for start, end in zip(bounds[:-1], bounds[1:])}


def skipgram_pairs(sequences, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Every (centre, context) pair at most ``window`` positions apart within a sequence.

    Parameters
    ----------
    sequences : iterable of numpy.ndarray of int
    window : int
        >= 1.

    Returns
    -------
    (centres, contexts) : two numpy.ndarray of int64, shape (n_pairs,)
        For a sequence ``[a, b, c]`` and ``window=1``: ``(a, b), (b, a), (b, c), (c, b)``.
    """
    window = check_int(window, "window", min_val=1)
    centres, contexts = [], []
    for sequence in sequences:
        sequence = np.asarray(sequence, dtype=np.int64)
        for offset in range(1, window + 1):
            if len(sequence) <= offset:
                break
            # Pairs `offset` apart, in both directions.
            centres += [sequence[:-offset], sequence[offset:]]
            contexts += [sequence[offset:], sequence[:-offset]]
    if not centres:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(centres), np.concatenate(contexts)


def noise_distribution(counts, power: float = 0.75) -> np.ndarray:
    """``count(i)**power`` normalised to sum to 1, shape ``(n_items,)``; 0 for an unseen item."""
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 1 or (counts < 0).any() or counts.sum() == 0:
        raise ValueError("counts must be a 1-D array of non-negative counts, not all 0.")
    power = check_real(power, "power", min_val=0)
    weights = np.where(counts > 0, counts**power, 0.0)
    return weights / weights.sum()


def keep_probabilities(counts, threshold: float) -> np.ndarray:
    """word2vec's subsampling: keep each occurrence with probability ``min(1, sqrt(t / f))``.

    ``f`` is the item's share of all occurrences; shape ``(n_items,)`` (1 for unseen items).
    """
    counts = np.asarray(counts, dtype=np.float64)
    threshold = check_real(threshold, "threshold", min_val=0, include_boundaries="neither")
    frequency = counts / counts.sum()
    ratio = np.divide(threshold, frequency, out=np.full_like(frequency, np.inf), where=frequency > 0)
    return np.minimum(1.0, np.sqrt(ratio))


# --------------------------------------------------------------------------------------
# The loss, by hand
# --------------------------------------------------------------------------------------
def sgns_loss(centre_vectors: torch.Tensor, context_vectors: torch.Tensor,
              negative_vectors: torch.Tensor) -> torch.Tensor:
    """Mean skip-gram negative-sampling loss of a batch of pairs.

    Parameters
    ----------
    centre_vectors : torch.Tensor, shape (batch, dim)
        Input vectors ``v_w`` of the centre items.
    context_vectors : torch.Tensor, shape (batch, dim)
        Output vectors ``u_c`` of the context items.
    negative_vectors : torch.Tensor, shape (batch, k, dim)
        Output vectors ``u_n`` of the ``k`` negatives of each pair.

    Returns
    -------
    torch.Tensor, shape ()
        ``mean over the batch of -log sigmoid(u_c . v_w) - sum_j log sigmoid(-u_nj . v_w)``.
    """
    positive_scores = (context_vectors * centre_vectors).sum(dim=-1)                   # (batch,)
    negative_scores = torch.einsum("bkd,bd->bk", negative_vectors, centre_vectors)     # (batch, k)
    # log sigmoid(x) is computed stably by logsigmoid (no overflow for large |x|).
    per_pair = -nn.functional.logsigmoid(positive_scores) - nn.functional.logsigmoid(-negative_scores).sum(dim=-1)
    return per_pair.mean()


def sgns_gradients(centre_vectors: torch.Tensor, context_vectors: torch.Tensor,
                   negative_vectors: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Gradients of :func:`sgns_loss` by hand, for the three inputs (same shapes as they).

    With ``s = u_c . v_w`` and ``s_j = u_nj . v_w``, and ``B`` the batch size:

    - d/d v_w  = (-(1 - sigmoid(s)) u_c + sum_j sigmoid(s_j) u_nj) / B
    - d/d u_c  = -(1 - sigmoid(s)) v_w / B
    - d/d u_nj = sigmoid(s_j) v_w / B
    """
    batch = centre_vectors.shape[0]
    positive_scores = (context_vectors * centre_vectors).sum(dim=-1)                   # (batch,)
    negative_scores = torch.einsum("bkd,bd->bk", negative_vectors, centre_vectors)     # (batch, k)
    positive_error = -(1 - torch.sigmoid(positive_scores))                             # (batch,)
    negative_error = torch.sigmoid(negative_scores)                                    # (batch, k)
    centre_grad = positive_error[:, None] * context_vectors + torch.einsum("bk,bkd->bd", negative_error,
                                                                              negative_vectors)
    context_grad = positive_error[:, None] * centre_vectors
    negative_grad = negative_error[:, :, None] * centre_vectors[:, None, :]
    return centre_grad / batch, context_grad / batch, negative_grad / batch


class SkipGramModel(nn.Module):
    """The two embedding tables of skip-gram: input vectors ``v`` and output vectors ``u``.

    word2vec starts the input vectors small and random and the output vectors at zero.
    """

    def __init__(self, n_items: int, embedding_dim: int):
        super().__init__()
        self.input_embeddings = nn.Embedding(n_items, embedding_dim)
        self.output_embeddings = nn.Embedding(n_items, embedding_dim)
        nn.init.uniform_(self.input_embeddings.weight, -0.5 / embedding_dim, 0.5 / embedding_dim)
        nn.init.zeros_(self.output_embeddings.weight)

    def forward(self, centres: torch.Tensor, contexts: torch.Tensor, negatives: torch.Tensor) -> torch.Tensor:
        """The SGNS loss of ``(batch,)`` centres and contexts and ``(batch, k)`` negatives."""
        return sgns_loss(self.input_embeddings(centres), self.output_embeddings(contexts),
                         self.output_embeddings(negatives))


def train_skipgram(sequences, n_items: int, config: Item2VecConfig, *, device: str = "cpu",
                   seed: int | None = None, n_threads: int | None = 1) -> tuple[SkipGramModel, list[float]]:
    """Train skip-gram with negative sampling on item sequences.

    At every epoch the sequences are subsampled (if ``config.subsample_threshold``), the
    pairs are built and shuffled, and each pair gets ``config.negatives`` items from the
    noise distribution. Adam minimises :func:`sgns_loss`.

    Parameters
    ----------
    sequences : list of numpy.ndarray of int
        Item positions in time order, one array per user.
    n_items : int
        Size of the embedding tables.
    n_threads : int or None, default 1
        CPU threads for PyTorch (see :func:`tutorial_lib.models.ncf.torch_threads`).

    Returns
    -------
    (SkipGramModel, list of float)
        The trained model (in evaluation mode) and the mean loss of each epoch.
    """
    n_items = check_int(n_items, "n_items", min_val=1)
    sequences = [np.asarray(sequence, dtype=np.int64) for sequence in sequences]
    if not sequences or sum(len(sequence) for sequence in sequences) < 2:
        raise ValueError("sequences must hold at least two items in all.")
    seed = get_seed() if seed is None else check_int(seed, "seed", min_val=0)
    device = str(_check_device(device))
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    counts = np.bincount(np.concatenate(sequences), minlength=n_items)
    noise = noise_distribution(counts, config.noise_power)
    keep = None if config.subsample_threshold is None else keep_probabilities(counts, config.subsample_threshold)
    model = SkipGramModel(n_items, config.embedding_dim).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    with torch_threads(n_threads):
        epoch_losses = _run_epochs(model, optimizer, sequences, n_items, config, noise, keep, rng, device)
    model.eval()
    return model, epoch_losses


def _run_epochs(model, optimizer, sequences, n_items, config, noise, keep, rng, device) -> list[float]:
    """The epochs of :func:`train_skipgram`; returns the mean loss of each."""
    epoch_losses = []
    for _ in range(config.epochs):
        kept = sequences if keep is None else [seq[rng.random(len(seq)) < keep[seq]] for seq in sequences]
        centres, contexts = skipgram_pairs(kept, config.window)
        if len(centres) == 0:
            raise ValueError("no (centre, context) pair is left; lower the subsampling or lengthen the sequences.")
        order = rng.permutation(len(centres))
        negatives = rng.choice(n_items, size=(len(centres), config.negatives), p=noise)
        centres_t = torch.as_tensor(centres[order], device=device)
        contexts_t = torch.as_tensor(contexts[order], device=device)
        negatives_t = torch.as_tensor(negatives, device=device)
        total = 0.0
        for start in range(0, len(order), config.batch_size):
            batch = slice(start, start + config.batch_size)
            optimizer.zero_grad()
            loss = model(centres_t[batch], contexts_t[batch], negatives_t[batch])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(centres_t[batch])
        epoch_losses.append(total / len(order))
    return epoch_losses


# --------------------------------------------------------------------------------------
# Using the vectors
# --------------------------------------------------------------------------------------
def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    lengths = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, lengths, out=np.zeros_like(vectors), where=lengths > 0)


def cosine_nearest(vectors, query: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` rows most cosine-similar to row ``query`` (itself left out), best first.

    Parameters
    ----------
    vectors : numpy.ndarray, shape (n_items, dim)
    query : int
        A row of ``vectors``.
    k : int

    Returns
    -------
    (rows, similarities) : numpy.ndarray of int64 and of float64, shape (min(k, n_items - 1),)
        Equal similarities are ordered by row.
    """
    vectors = np.asarray(vectors, dtype=np.float64)
    if vectors.ndim != 2:
        raise ValueError(f"vectors must be 2-D (n_items, dim), got shape {vectors.shape}.")
    query = check_int(query, "query", min_val=0, max_val=len(vectors) - 1)
    k = check_int(k, "k", min_val=1)
    unit = _unit_rows(vectors)
    similarities = unit @ unit[query]
    similarities[query] = -np.inf
    order = np.lexsort((np.arange(len(vectors)), -similarities))[: min(k, len(vectors) - 1)]
    return order, similarities[order]


class Item2VecRecommender(Recommender):
    """Score items by cosine similarity to the mean vector of the user's recent items.

    ``fit`` builds each user's sequence in time order from ``interactions`` (which must have
    ``time_col``), trains skip-gram on them, and keeps the input vectors. A user's profile is
    the mean unit vector of their last ``config.n_recent`` training items; an item scores the
    cosine of its unit vector with that profile. An item of the catalogue that never occurs
    in training scores -1 (the lowest cosine), since its vector was never trained.

    Attributes (after ``fit``)
    --------------------------
    item_vectors_ : numpy.ndarray, shape (n_items, embedding_dim)
        Input vectors, rows following ``item_ids_``.
    loss_history_ : list of float
    """

    def __init__(self, config: Item2VecConfig | None = None, *, device: str | None = None,
                 seed: int | None = None, n_threads: int | None = 1, user_col: str = "user_id",
                 item_col: str = "item_id", time_col: str = "timestamp"):
        super().__init__(user_col=user_col, item_col=item_col)
        if config is not None and not isinstance(config, Item2VecConfig):
            raise TypeError(f"config must be an Item2VecConfig, got {type(config).__name__}.")
        self.config = Item2VecConfig() if config is None else config
        self.device = str(_check_device(get_device() if device is None else device))
        self.seed = get_seed() if seed is None else check_int(seed, "seed", min_val=0)
        self.time_col = time_col
        self.n_threads = None if n_threads is None else check_int(n_threads, "n_threads", min_val=1)

    def fit(self, interactions: pd.DataFrame, items=None) -> Item2VecRecommender:
        """Train on the users' time-ordered sequences (see :meth:`Recommender.fit`)."""
        require_columns(interactions, "interactions", [self.time_col], allow_empty=False)
        super().fit(interactions, items=items)
        by_user = behaviour_sequences(interactions, self.item_ids_, user_col=self.user_col,
                                      item_col=self.item_col, time_col=self.time_col)
        model, self.loss_history_ = train_skipgram(list(by_user.values()), len(self.item_ids_), self.config,
                                                   device=self.device, seed=self.seed,
                                                   n_threads=self.n_threads)
        self.item_vectors_ = model.input_embeddings.weight.detach().double().cpu().numpy()
        unit = _unit_rows(self.item_vectors_)
        self._trained_items = self.interactions_.getnnz(axis=0) > 0
        recent = np.zeros((len(self.user_ids_), unit.shape[1]))
        for row, user in enumerate(self.user_ids_):
            recent[row] = unit[by_user[user][-self.config.n_recent:]].mean(axis=0)
        self._user_profiles = _unit_rows(recent)
        self._unit_items = unit
        return self

    def _fit(self, matrix: scipy.sparse.csr_matrix) -> None:
        """Nothing here: :meth:`fit` needs the time order, which the matrix has lost."""

    def _score(self, user_rows: np.ndarray, item_columns: np.ndarray) -> np.ndarray:
        """Cosines of shape ``(len(user_rows), len(item_columns))``; -1 for untrained items."""
        scores = self._user_profiles[user_rows] @ self._unit_items[item_columns].T
        scores[:, ~self._trained_items[item_columns]] = -1.0
        return scores


# --------------------------------------------------------------------------------------
# GloVe's objective
# --------------------------------------------------------------------------------------
def glove_weight(cooccurrence, x_max: float = 100.0, alpha: float = 0.75) -> np.ndarray:
    """GloVe's weighting ``f(x) = (x / x_max)**alpha`` below ``x_max``, 1 above; ``f(0) = 0``."""
    x = np.asarray(cooccurrence, dtype=np.float64)
    x_max = check_real(x_max, "x_max", min_val=0, include_boundaries="neither")
    alpha = check_real(alpha, "alpha", min_val=0)
    return np.where(x < x_max, (x / x_max) ** alpha, 1.0)


def glove_loss(word_vectors, context_vectors, word_biases, context_biases, cooccurrence, *,
               x_max: float = 100.0, alpha: float = 0.75) -> float:
    """GloVe's weighted least-squares objective over the non-zero co-occurrences.

    Parameters
    ----------
    word_vectors, context_vectors : numpy.ndarray, shape (n_items, dim)
        ``w_i`` and ``w~_j``.
    word_biases, context_biases : numpy.ndarray, shape (n_items,)
        ``b_i`` and ``b~_j``.
    cooccurrence : numpy.ndarray or scipy sparse matrix, shape (n_items, n_items)
        ``X_ij`` (counts, possibly weighted by distance; >= 0).

    Returns
    -------
    float
        ``sum over X_ij > 0 of f(X_ij) (w_i . w~_j + b_i + b~_j - log X_ij)**2``.
    """
    counts = scipy.sparse.coo_matrix(cooccurrence, dtype=np.float64)
    if (counts.data < 0).any():
        raise ValueError("cooccurrence must hold counts >= 0.")
    rows, cols, x = counts.row[counts.data > 0], counts.col[counts.data > 0], counts.data[counts.data > 0]
    w, w_tilde = np.asarray(word_vectors, float), np.asarray(context_vectors, float)
    b, b_tilde = np.asarray(word_biases, float), np.asarray(context_biases, float)
    n = counts.shape[0]
    if w.shape[0] != n or w_tilde.shape != w.shape or b.shape != (n,) or b_tilde.shape != (n,):
        raise ValueError(
            f"word_vectors and context_vectors must have shape (n_items, dim) and the biases (n_items,) "
            f"with n_items = {n} (from cooccurrence); got {w.shape}, {w_tilde.shape}, {b.shape}, {b_tilde.shape}."
        )
    residual = (w[rows] * w_tilde[cols]).sum(axis=1) + b[rows] + b_tilde[cols] - np.log(x)
    return float((glove_weight(x, x_max, alpha) * residual**2).sum())
