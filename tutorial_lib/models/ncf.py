"""Neural collaborative filtering (神经协同过滤) and the dot product it is measured against.

He et al., "Neural Collaborative Filtering" (WWW 2017), score a user–item pair from two
learnt vectors, a user embedding :math:`p_u` and an item embedding :math:`q_i`, in three ways:

- **GMF** (generalised matrix factorisation): :math:`\\hat y_{ui} = \\sigma(h^\\top (p_u \\odot q_i))`,
  the element-wise product weighted by a learnt vector :math:`h` (with :math:`h = 1` it is
  the plain dot product).
- **MLP**: :math:`\\hat y_{ui} = \\sigma(h^\\top \\phi_L(\\dots \\phi_1([p_u; q_i])))`, layers
  :math:`\\phi_l(z) = \\operatorname{ReLU}(W_l z + b_l)` over the concatenated embeddings.
- **NeuMF**: both, each with embeddings of its own, their last vectors concatenated before
  the output weight: :math:`\\hat y_{ui} = \\sigma(h^\\top [p^G_u \\odot q^G_i;\\ \\phi_L(\\dots)])`.

Rendle, Krichene, Zhang and Anderson ("Neural Collaborative Filtering vs. Matrix
Factorization Revisited", RecSys 2020) showed that a well-tuned **dot product**
:math:`\\hat y_{ui} = \\sigma(p_u^\\top q_i + b_u + b_i + b)` beats the MLP and NeuMF on the
paper's own data, so :class:`DotProductModel` is trained here in exactly the same way.

Training is the paper's pointwise setup: every observed pair is a positive (label 1), and at
every epoch each positive gets ``negatives_per_positive`` (4 in the paper) items drawn
uniformly from the items that user never interacted with (label 0); the loss is the binary
cross-entropy (二元交叉熵) of the logits. Unlike the paper, NeuMF is trained from scratch
(the paper also reports it so, a little below the pre-trained version) and the optimiser is
AdamW with decoupled weight decay instead of tuned L2 terms.

The loop is written here rather than with :func:`tutorial_lib.training.train_model`
because the negatives are redrawn at every epoch while the optimiser's state must carry over
from one epoch to the next.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from typing import ClassVar

import numpy as np
import scipy.sparse
import torch
from torch import nn

from tutorial_lib.book.runtime import get_device, get_seed
from tutorial_lib.config import ProfileConfig
from tutorial_lib.models.recommender import Recommender
from tutorial_lib.training import _check_device
from tutorial_lib.validation import check_choice, check_int, check_real

__all__ = [
    "ARCHITECTURES",
    "NCFConfig",
    "GMF",
    "MLPScorer",
    "NeuMF",
    "DotProductModel",
    "build_model",
    "sample_negatives",
    "training_examples",
    "NCFRecommender",
    "torch_threads",
]

ARCHITECTURES = ("gmf", "mlp", "neumf", "dot")


@dataclasses.dataclass(frozen=True)
class NCFConfig(ProfileConfig):
    """Sizes and training settings of the NCF family (field defaults: the full profile).

    Attributes
    ----------
    embedding_dim : int
        Length of each embedding (the paper's "predictive factors" for GMF).
    mlp_layers : tuple of int
        Widths of the MLP's hidden layers, e.g. ``(64, 32, 16)`` (the paper's tower halves
        the width at every layer). Its input is the two embeddings concatenated.
    epochs : int
        Passes over the positives (negatives are redrawn at each).
    negatives_per_positive : int
        Sampled negatives per observed pair (the paper uses 4).
    batch_size : int
        Examples (positives and negatives) per optimiser step.
    lr : float
        AdamW learning rate.
    weight_decay : float
        AdamW's decoupled weight decay.
    """

    embedding_dim: int = 32
    mlp_layers: tuple = (64, 32, 16)
    epochs: int = 20
    negatives_per_positive: int = 4
    batch_size: int = 1024
    lr: float = 2e-3
    weight_decay: float = 1e-4

    QUICK: ClassVar[dict] = {"embedding_dim": 16, "mlp_layers": (32, 16), "epochs": 4}
    # ML-100K leave-last-out: ~97k positives x (1 + 4) examples x epochs.
    QUICK_COST_LIMIT: ClassVar[int] = 100_000 * 5 * 4

    def cost(self) -> int:
        return 100_000 * (1 + self.negatives_per_positive) * self.epochs

    def __post_init__(self):
        check_int(self.embedding_dim, "embedding_dim", min_val=1)
        if not isinstance(self.mlp_layers, tuple) or not self.mlp_layers:
            raise ValueError(f"mlp_layers must be a non-empty tuple of widths, got {self.mlp_layers!r}.")
        for width in self.mlp_layers:
            check_int(width, "each entry of mlp_layers", min_val=1)
        check_int(self.epochs, "epochs", min_val=1)
        check_int(self.negatives_per_positive, "negatives_per_positive", min_val=1)
        check_int(self.batch_size, "batch_size", min_val=1)
        check_real(self.lr, "lr", min_val=0, include_boundaries="neither")
        check_real(self.weight_decay, "weight_decay", min_val=0)


# --------------------------------------------------------------------------------------
# The four models: (batch,) user rows and item columns in, (batch,) logits out
# --------------------------------------------------------------------------------------
def _embedding(n_rows: int, dim: int) -> nn.Embedding:
    """An embedding table initialised as in the paper: N(0, 0.01^2)."""
    table = nn.Embedding(n_rows, dim)
    nn.init.normal_(table.weight, std=0.01)
    return table


class GMF(nn.Module):
    """Generalised MF: ``logit = h . (p_u * q_i)``.

    ``forward(users, items)`` takes two ``(batch,)`` long tensors (row positions) and
    returns ``(batch,)`` logits.
    """

    def __init__(self, n_users: int, n_items: int, embedding_dim: int):
        super().__init__()
        self.user_embeddings = _embedding(n_users, embedding_dim)
        self.item_embeddings = _embedding(n_items, embedding_dim)
        self.output = nn.Linear(embedding_dim, 1)

    def features(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """``p_u * q_i``, shape ``(batch, embedding_dim)``."""
        return self.user_embeddings(users) * self.item_embeddings(items)

    def forward(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        return self.output(self.features(users, items)).squeeze(-1)  # (batch,)


class MLPScorer(nn.Module):
    """The MLP of NCF: ReLU layers over ``[p_u; q_i]``, then one output weight."""

    def __init__(self, n_users: int, n_items: int, embedding_dim: int, layer_sizes: tuple):
        super().__init__()
        self.user_embeddings = _embedding(n_users, embedding_dim)
        self.item_embeddings = _embedding(n_items, embedding_dim)
        layers, width = [], 2 * embedding_dim
        for size in layer_sizes:
            layers += [nn.Linear(width, size), nn.ReLU()]
            width = size
        self.tower = nn.Sequential(*layers)
        self.output = nn.Linear(width, 1)

    def features(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """The last hidden layer, shape ``(batch, layer_sizes[-1])``."""
        pair = torch.cat([self.user_embeddings(users), self.item_embeddings(items)], dim=-1)  # (batch, 2d)
        return self.tower(pair)

    def forward(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        return self.output(self.features(users, items)).squeeze(-1)  # (batch,)


class NeuMF(nn.Module):
    """GMF and MLP with separate embeddings, fused by one output weight over both vectors."""

    def __init__(self, n_users: int, n_items: int, embedding_dim: int, layer_sizes: tuple):
        super().__init__()
        self.gmf = GMF(n_users, n_items, embedding_dim)
        self.mlp = MLPScorer(n_users, n_items, embedding_dim, layer_sizes)
        # The towers' own output layers are not used: NeuMF has one output over both.
        self.output = nn.Linear(embedding_dim + layer_sizes[-1], 1)

    def forward(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        both = torch.cat([self.gmf.features(users, items), self.mlp.features(users, items)], dim=-1)
        return self.output(both).squeeze(-1)  # (batch,)


class DotProductModel(nn.Module):
    """Matrix factorisation with biases: ``logit = p_u . q_i + b_u + b_i + b``."""

    def __init__(self, n_users: int, n_items: int, embedding_dim: int):
        super().__init__()
        self.user_embeddings = _embedding(n_users, embedding_dim)
        self.item_embeddings = _embedding(n_items, embedding_dim)
        self.user_biases = nn.Embedding(n_users, 1)
        self.item_biases = nn.Embedding(n_items, 1)
        nn.init.zeros_(self.user_biases.weight)
        nn.init.zeros_(self.item_biases.weight)
        self.global_bias = nn.Parameter(torch.zeros(()))

    def forward(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        dot = (self.user_embeddings(users) * self.item_embeddings(items)).sum(dim=-1)  # (batch,)
        biases = self.user_biases(users).squeeze(-1) + self.item_biases(items).squeeze(-1)
        return dot + biases + self.global_bias


def build_model(architecture: str, n_users: int, n_items: int, config: NCFConfig) -> nn.Module:
    """The model named ``architecture`` (one of :data:`ARCHITECTURES`) sized by ``config``."""
    architecture = check_choice(architecture, "architecture", ARCHITECTURES)
    n_users = check_int(n_users, "n_users", min_val=1)
    n_items = check_int(n_items, "n_items", min_val=1)
    if architecture == "gmf":
        return GMF(n_users, n_items, config.embedding_dim)
    if architecture == "mlp":
        return MLPScorer(n_users, n_items, config.embedding_dim, config.mlp_layers)
    if architecture == "neumf":
        return NeuMF(n_users, n_items, config.embedding_dim, config.mlp_layers)
    return DotProductModel(n_users, n_items, config.embedding_dim)


@contextlib.contextmanager
def torch_threads(n_threads: int | None):
    """Run the block with PyTorch limited to ``n_threads`` CPU threads (None: unchanged).

    The batches of these embedding models are small, so splitting each operation over
    several threads costs more than it saves; on a CPU that other programs share, the
    threads also wait for each other, and one thread can be many times faster.
    """
    if n_threads is None:
        yield
        return
    n_threads = check_int(n_threads, "n_threads", min_val=1)
    previous = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


# --------------------------------------------------------------------------------------
# Negative sampling
# --------------------------------------------------------------------------------------
def sample_negatives(matrix: scipy.sparse.csr_matrix, user_rows: np.ndarray, n_per_row: int,
                     rng: np.random.Generator) -> np.ndarray:
    """For each entry of ``user_rows``, ``n_per_row`` items that user never interacted with.

    Items are drawn uniformly with replacement, and a draw that hits one of the user's
    items is drawn again (rejection sampling), so every returned item is a true
    non-interaction.

    Parameters
    ----------
    matrix : scipy.sparse.csr_matrix, shape (n_users, n_items)
        The binary interaction matrix.
    user_rows : numpy.ndarray of int, shape (n_examples,)
    n_per_row : int
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray of int64, shape (n_examples, n_per_row)
        Item columns.
    """
    n_per_row = check_int(n_per_row, "n_per_row", min_val=1)
    user_rows = np.asarray(user_rows)
    n_items = matrix.shape[1]
    full_rows = np.flatnonzero(np.diff(matrix.indptr) >= n_items)
    if np.isin(user_rows, full_rows).any():
        raise ValueError("a user in user_rows interacted with every item; there is no negative to draw.")
    negatives = rng.integers(0, n_items, size=(len(user_rows), n_per_row))
    rows = np.repeat(user_rows, n_per_row).reshape(negatives.shape)
    seen = np.asarray(matrix[rows.ravel(), negatives.ravel()]).reshape(negatives.shape) > 0
    while seen.any():
        negatives[seen] = rng.integers(0, n_items, size=int(seen.sum()))
        seen[seen] = np.asarray(matrix[rows[seen], negatives[seen]]).ravel() > 0
    return negatives


def training_examples(matrix: scipy.sparse.csr_matrix, n_negatives: int,
                      rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One epoch's examples: every positive, then ``n_negatives`` sampled negatives for each.

    Returns
    -------
    (users, items, labels) : three numpy.ndarray of shape (n_positives * (1 + n_negatives),)
        Row positions, column positions and labels (1.0 positive, 0.0 negative).
    """
    coo = matrix.tocoo()
    positive_users, positive_items = coo.row.astype(np.int64), coo.col.astype(np.int64)
    negative_items = sample_negatives(matrix, positive_users, n_negatives, rng).ravel()
    negative_users = np.repeat(positive_users, n_negatives)
    users = np.concatenate([positive_users, negative_users])
    items = np.concatenate([positive_items, negative_items])
    labels = np.concatenate([np.ones(len(positive_users)), np.zeros(len(negative_users))])
    return users, items, labels


# --------------------------------------------------------------------------------------
# The recommender
# --------------------------------------------------------------------------------------
class NCFRecommender(Recommender):
    """A top-N recommender trained as NCF is: BCE on observed pairs and sampled negatives.

    Parameters
    ----------
    architecture : {"gmf", "mlp", "neumf", "dot"}
        The model; ``"dot"`` is the biased dot product of Rendle et al. (2020).
    config : NCFConfig, optional
        Sizes and training settings (default: the full profile's values).
    device : str, optional
        ``"cpu"`` or ``"cuda"``; default :func:`tutorial_lib.book.runtime.get_device`.
    seed : int, optional
        Seeds the initial weights, the negatives and the batch order; default the book's seed.
    n_threads : int or None, default 1
        CPU threads PyTorch may use while fitting and scoring (see :func:`torch_threads`);
        None leaves PyTorch's setting alone.

    Attributes (after ``fit``)
    --------------------------
    model_ : torch.nn.Module
        The trained model (on ``device``).
    history_ : dict
        ``"epoch"`` and ``"train_loss"`` (mean BCE per example of each epoch).

    ``score`` returns logits (the sigmoid is monotone, so the ranking is the same). Items of
    the catalogue with no training interaction keep their initial (near-zero) embeddings,
    pushed down by the weight decay and never by a positive.
    """

    def __init__(self, architecture: str = "neumf", config: NCFConfig | None = None, *,
                 device: str | None = None, seed: int | None = None, n_threads: int | None = 1,
                 user_col: str = "user_id", item_col: str = "item_id"):
        super().__init__(user_col=user_col, item_col=item_col)
        self.n_threads = None if n_threads is None else check_int(n_threads, "n_threads", min_val=1)
        self.architecture = check_choice(architecture, "architecture", ARCHITECTURES)
        if config is not None and not isinstance(config, NCFConfig):
            raise TypeError(f"config must be an NCFConfig, got {type(config).__name__}.")
        self.config = NCFConfig() if config is None else config
        self.device = str(_check_device(get_device() if device is None else device))
        self.seed = check_int(get_seed() if seed is None else seed, "seed", min_val=0)

    def _fit(self, matrix: scipy.sparse.csr_matrix) -> None:
        with torch_threads(self.n_threads):
            self._train(matrix)

    def _train(self, matrix: scipy.sparse.csr_matrix) -> None:
        config = self.config
        rng = np.random.default_rng(self.seed)
        torch.manual_seed(self.seed)
        model = build_model(self.architecture, matrix.shape[0], matrix.shape[1], config).to(self.device)
        optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        loss_fn = nn.BCEWithLogitsLoss()
        self.history_ = {"epoch": [], "train_loss": []}
        model.train()
        for epoch in range(1, config.epochs + 1):
            users, items, labels = training_examples(matrix, config.negatives_per_positive, rng)
            order = rng.permutation(len(labels))
            users = torch.as_tensor(users[order], device=self.device)
            items = torch.as_tensor(items[order], device=self.device)
            labels = torch.as_tensor(labels[order], dtype=torch.float32, device=self.device)
            total = 0.0
            for start in range(0, len(labels), config.batch_size):
                batch = slice(start, start + config.batch_size)
                optimizer.zero_grad()
                loss = loss_fn(model(users[batch], items[batch]), labels[batch])
                loss.backward()
                optimizer.step()
                total += loss.item() * len(labels[batch])
            self.history_["epoch"].append(epoch)
            self.history_["train_loss"].append(total / len(labels))
        model.eval()
        self.model_ = model

    def _score(self, user_rows: np.ndarray, item_columns: np.ndarray) -> np.ndarray:
        """Logits of every (user, item) pair, shape ``(len(user_rows), len(item_columns))``."""
        n_users, n_items = len(user_rows), len(item_columns)
        scores = np.empty((n_users, n_items), dtype=np.float64)
        items = torch.as_tensor(np.asarray(item_columns, dtype=np.int64), device=self.device)
        # Enough users per block that a block holds about 2**20 pairs.
        users_per_block = max(1, math.ceil(2**20 / max(n_items, 1)))
        with torch.no_grad(), torch_threads(self.n_threads):
            for start in range(0, n_users, users_per_block):
                block = np.asarray(user_rows[start:start + users_per_block], dtype=np.int64)
                users = torch.as_tensor(block, device=self.device)
                pair_users = users.repeat_interleave(n_items)  # (block * n_items,)
                pair_items = items.repeat(len(block))           # (block * n_items,)
                logits = self.model_(pair_users, pair_items).reshape(len(block), n_items)
                scores[start:start + len(block)] = logits.double().cpu().numpy()
        return scores
