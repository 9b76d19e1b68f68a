"""Caser (Tang and Wang, WSDM 2018): convolutional sequence embedding for next-item prediction.

Caser reads a user's last ``L`` items as an image: stack their embeddings into an ``L x d``
matrix ``E`` (one row per item, most recent last) and slide two kinds of filters over it.

- **Horizontal filters** of height ``h = 1 .. L`` and full width ``d`` (``n_h`` of each
  height) see ``h`` consecutive items at a time: each one is a detector of a *union-level*
  pattern, "these items together" (the paper's union-level sequential patterns). A filter
  gives ``L - h + 1`` values, a ReLU and a max over them keep one: ``n_h * L`` values.
- **Vertical filters** of shape ``L x 1`` (``n_v`` of them) take a weighted sum of the ``L``
  rows, embedding dimension by embedding dimension: each one is a learnt weighting of the
  recent items (*point-level* patterns). They are linear and not pooled: ``n_v * d`` values.

Both outputs are concatenated, dropped out and mapped by a fully connected layer with a ReLU
to ``z`` of size ``d``. The user's own embedding ``P_u`` (size ``d``, the general taste) is
appended and an output layer ``W' [z; P_u] + b'`` scores every item.

The paper trains on sliding windows (``L`` items in, the ``T`` items after them out, step 1)
with binary cross-entropy on the ``T`` targets and 3 sampled negatives each. This module
keeps the windows (``L = 5``, ``T = 3`` and ``d = 50``, the paper's MovieLens settings) but
trains with the book's sequence protocol loss, full softmax cross-entropy over every item
(:func:`tutorial_lib.models.sequential.next_item_loss`, each of the ``T`` targets against
the same scores), as the other sequential models of the book and RecBole's Caser
(``loss_type: CE``) do; a sampled loss would train each model on a different objective than
the full ranking it is judged by.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np
import torch
from torch import nn

from tutorial_lib.data.sequences import left_pad, sliding_windows
from tutorial_lib.models.ncf import torch_threads
from tutorial_lib.models.sequential import NextItemTrainingConfig, SequentialRecommender, train_next_item
from tutorial_lib.validation import check_int, check_positive_int, check_real

__all__ = ["CaserConfig", "CaserNetwork", "CaserRecommender"]


class CaserNetwork(nn.Module):
    """Item and user embeddings, horizontal and vertical filters, 2 layers.

    Parameters
    ----------
    n_users : int
        Rows of the user embedding (a user is given by its row).
    n_items : int
        Items of the catalogue: codes 1 .. n_items, 0 is padding.
    window : int
        ``L``, the items read.
    embedding_dim : int
        ``d``.
    n_vertical, n_horizontal : int
        ``n_v`` vertical filters; ``n_h`` horizontal filters per height.
    dropout : float
        Dropout on the concatenated filter outputs, in [0, 1).

    Shapes
    ------
    ``forward(inputs (batch, L) of codes, users (batch,) of rows)``
    returns scores of shape ``(batch, n_items + 1)``; column 0 (padding)
    is dropped by the caller.
    """

    def __init__(self, n_users: int, n_items: int, *, window: int,
                 embedding_dim: int, n_vertical: int, n_horizontal: int,
                 dropout: float):
        super().__init__()
        self.n_users = check_positive_int(n_users, "n_users")
        self.n_items = check_positive_int(n_items, "n_items")
        L = self.window = check_positive_int(window, "window")
        d = self.embedding_dim = check_positive_int(embedding_dim,
                                                    "embedding_dim")
        n_v = check_positive_int(n_vertical, "n_vertical")
        n_h = check_positive_int(n_horizontal, "n_horizontal")
        dropout = check_real(dropout, "dropout", min_val=0, max_val=1,
                             include_boundaries="left")
        self.item_embedding = nn.Embedding(self.n_items + 1, d,
                                           padding_idx=0)
        self.user_embedding = nn.Embedding(self.n_users, d)
        # The L x d "image" has one input channel.
        self.vertical = nn.Conv2d(1, n_v, kernel_size=(L, 1))
        self.horizontal = nn.ModuleList(
            nn.Conv2d(1, n_h, kernel_size=(h, d)) for h in range(1, L + 1)
        )
        self.dropout = nn.Dropout(float(dropout))
        self.hidden = nn.Linear(n_v * d + n_h * L, d)
        self.output = nn.Linear(2 * d, self.n_items + 1)  # W' and b'
        # As the authors' code starts: small embeddings, zero output bias.
        nn.init.normal_(self.item_embedding.weight, std=1.0 / d)
        nn.init.normal_(self.user_embedding.weight, std=1.0 / d)
        nn.init.normal_(self.output.weight, std=1.0 / (2 * d))
        nn.init.zeros_(self.output.bias)
        with torch.no_grad():
            self.item_embedding.weight[0].zero_()

    def sequence_embedding(self, inputs):
        """``z`` of the last L codes (batch, L): shape (batch, d)."""
        if inputs.dim() != 2 or inputs.shape[1] != self.window:
            raise ValueError(
                f"inputs must have shape (batch, {self.window}) (the last "
                f"L codes), got {tuple(inputs.shape)}."
            )
        image = self.item_embedding(inputs).unsqueeze(1)  # (B, 1, L, d)
        # Vertical: (B, n_v, 1, d), a weighted sum of the L rows each.
        vertical = self.vertical(image).flatten(1)  # (B, n_v * d)
        pooled = []
        for conv in self.horizontal:
            # (B, n_h, L - h + 1, 1) -> (B, n_h, L - h + 1)
            maps = torch.relu(conv(image).squeeze(3))
            pooled.append(maps.max(dim=2).values)  # (B, n_h)
        features = torch.cat([vertical, *pooled], dim=1)
        return torch.relu(self.hidden(self.dropout(features)))  # (B, d)

    def forward(self, inputs, users):
        """Scores (batch, n_items + 1) of codes (batch, L) and users."""
        z = self.sequence_embedding(inputs)  # (B, d)
        user_vectors = self.user_embedding(users)  # (B, d): P_u
        return self.output(torch.cat([z, user_vectors], dim=1))


@dataclasses.dataclass(frozen=True)
class CaserConfig(NextItemTrainingConfig):
    """Caser's settings; defaults (the full values) are the paper's for MovieLens where it gives them.

    Attributes
    ----------
    window, n_targets : int
        ``L = 5`` items in, ``T = 3`` targets out per training window.
    embedding_dim : int
        ``d = 50``.
    n_vertical, n_horizontal : int
        ``n_v = 4`` vertical filters, ``n_h = 16`` horizontal filters per height.
    dropout : float
        0.5.
    epochs, learning_rate, weight_decay, patience, batch_size
        Training (:func:`tutorial_lib.models.sequential.train_next_item`): Adam at 1e-3 with
        an L2 penalty of 1e-6 and batches of 512 windows, as the authors' code; early
        stopping on the validation NDCG@10.
    n_bootstrap : int
        Resamples of the users for the confidence intervals of the chapter's table.
    """

    epochs: int = 50
    learning_rate: float = 1e-3
    weight_decay: float = 1e-6
    patience: int = 5
    batch_size: int = 512
    window: int = 5
    n_targets: int = 3
    embedding_dim: int = 50
    n_vertical: int = 4
    n_horizontal: int = 16
    dropout: float = 0.5
    n_bootstrap: int = 1000

    QUICK: ClassVar[dict] = {"epochs": 3, "patience": 2, "n_bootstrap": 200}
    N_WINDOWS: ClassVar[int] = 90_000  # training windows of MovieLens 100K, about
    QUICK_COST_LIMIT: ClassVar[int] = 90_000 * 3 * 50 // 1_000

    def cost(self) -> int:
        """Thousands of window-dimensions trained: windows x epochs x d / 1000 (rough)."""
        return self.N_WINDOWS * self.epochs * self.embedding_dim // 1_000


class CaserRecommender(SequentialRecommender):
    """Caser on the book's top-N interface (:class:`~tutorial_lib.models.sequential.SequentialRecommender`).

    ``fit(split.train, items=split.item_ids, valid=split.valid)`` trains on the sliding
    windows of the train sequences with early stopping on the validation NDCG@10;
    ``with_history(train + valid)`` is the scorer for the test target.

    Parameters
    ----------
    config : CaserConfig, optional
        Sizes and training settings (default: the full values).
    progress : bool, default True
        A bar per epoch.
    **base_options
        ``time_col``, ``device``, ``seed``, ``n_threads``, ``score_batch_size``,
        ``user_col``, ``item_col`` of the base class.

    Attributes (after ``fit``)
    --------------------------
    network_ : CaserNetwork
    history_ : pandas.DataFrame
        One row per epoch (loss, valid NDCG@10, seconds), from ``train_next_item``.
    n_windows_ : int
        Training windows.
    """

    def __init__(self, config: CaserConfig | None = None, *, progress: bool = True, **base_options):
        config = CaserConfig() if config is None else config
        if not isinstance(config, CaserConfig):
            raise TypeError(f"config must be a CaserConfig, got {type(config).__name__}.")
        super().__init__(config.window, **base_options)
        self.config = config
        self.progress = progress

    def _fit_sequences(self, sequences: dict) -> None:
        config = self.config
        # Rows follow user_ids_, so a window's row is its user's embedding row.
        ordered = [sequences[user.item()] for user in self.user_ids_]
        inputs, targets, rows = sliding_windows(ordered, config.window, config.n_targets)
        if len(inputs) == 0:
            raise ValueError(f"no user has more than n_targets={config.n_targets} training interactions.")
        self.n_windows_ = len(inputs)
        self.network_ = CaserNetwork(
            len(self.user_ids_), self.n_items_, window=config.window, embedding_dim=config.embedding_dim,
            n_vertical=config.n_vertical, n_horizontal=config.n_horizontal, dropout=config.dropout,
        ).to(self.device)
        batch_size = check_int(config.batch_size, "config.batch_size", min_val=1)
        inputs_t, targets_t, rows_t = (torch.as_tensor(array) for array in (inputs, targets, rows))

        def make_batches(rng: np.random.Generator):
            order = torch.as_tensor(rng.permutation(len(inputs_t)))
            for start in range(0, len(order), batch_size):
                batch = order[start:start + batch_size]
                yield (inputs_t[batch], rows_t[batch]), targets_t[batch]  # ((B, L), (B,)), (B, T)

        self.history_ = train_next_item(
            self.network_, make_batches, epochs=config.epochs, learning_rate=config.learning_rate,
            weight_decay=config.weight_decay, patience=config.patience, validate=self._validator(),
            seed=self.seed, progress=self.progress,
        )

    def _score_codes(self, inputs: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("Caser scores from the codes and the user: see CaserRecommender._score.")

    def _score(self, user_rows: np.ndarray, item_columns: np.ndarray) -> np.ndarray:
        """Scores ``(len(user_rows), len(item_columns))`` from the last L codes and the user embedding.

        The base class passes only the codes to ``_score_codes``; Caser also needs the user,
        so it overrides this method (same batching, padding column dropped).
        """
        users = self.user_ids_[user_rows]
        inputs = left_pad([self.sequences_[user.item()] for user in users], self.max_len)  # (n_users, L)
        scores = np.empty((len(users), len(item_columns)), dtype=np.float64)
        was_training = self.network_.training
        self.network_.eval()
        with torch.no_grad(), torch_threads(self.n_threads):
            for start in range(0, len(users), self.score_batch_size):
                block = slice(start, start + self.score_batch_size)
                codes = torch.as_tensor(inputs[block], device=self.device)
                rows = torch.as_tensor(user_rows[block], device=self.device)
                block_scores = self.network_(codes, rows)[:, 1:].double().cpu().numpy()  # drop padding
                scores[block] = block_scores[:, item_columns]
        self.network_.train(was_training)
        return scores
