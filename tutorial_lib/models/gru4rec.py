"""GRU4Rec-style next-item prediction: item embeddings, a GRU, scores over every item.

Hidasi et al. ("Session-based Recommendations with Recurrent Neural Networks", ICLR 2016)
read a session's items one by one with a GRU (门控循环单元) and score every item as the next
one from the hidden state. This module keeps that network and trains it the way later work
found strongest (Hidasi and Karatzoglou, CIKM 2018, on the loss; and the book's protocol):

- **Network.** Item code ``c_t`` (1..n_items, 0 = padding) → embedding ``e_t`` (dropout) →
  GRU → hidden state ``h_t`` (dropout) → a score for every item: either the dot product of
  ``W_o h_t`` with each item's embedding (``output="item_embeddings"``, the input embeddings
  reused, RecBole's choice) or a separate linear layer (``output="linear"``).
- **Training.** Each user's whole train sequence is one row: inputs ``s[:-1]``, targets
  ``s[1:]`` (the last ``max_len`` of each, right-padded), so every position of every
  sequence is a training example in one pass; the loss is the full softmax cross-entropy
  over every item (:func:`tutorial_lib.models.sequential.next_item_loss`), padding ignored.
  The paper's session-parallel mini-batches, sampled negatives and ranking losses (BPR,
  TOP1) are not used: with 1,682 items the full softmax is cheap and needs no sampling.
- **Scoring.** The hidden state after the user's last item scores the catalogue.

A GRU is causal: its output at step ``t`` depends on steps ``<= t`` only. On a right-padded
batch the outputs at the real positions are therefore the same whatever the padding holds,
so ``nn.GRU`` runs over the padded tensor without packing; the padded positions' targets are
0 and count for nothing. The network can also run on the book's by-hand GRU
(:class:`tutorial_lib.models.recurrent.RecurrentLayer`, ``recurrent="by-hand"``): same
weights, same scores, slower.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np
import torch
from torch import nn

from tutorial_lib.data.sequences import PADDING, right_pad
from tutorial_lib.models.recurrent import RecurrentLayer, copy_from_torch, copy_to_torch
from tutorial_lib.models.sequential import NextItemTrainingConfig, SequentialRecommender, train_next_item
from tutorial_lib.validation import check_bool, check_choice, check_positive_int, check_real

__all__ = [
    "OUTPUTS",
    "RECURRENT_IMPLEMENTATIONS",
    "GRU4RecConfig",
    "GRU4RecNetwork",
    "GRU4RecRecommender",
    "left_to_right_padded",
    "next_item_rows",
]

OUTPUTS = ("item_embeddings", "linear")
RECURRENT_IMPLEMENTATIONS = ("torch", "by-hand")


@dataclasses.dataclass(frozen=True)
class GRU4RecConfig(NextItemTrainingConfig):
    """Sizes and training settings of GRU4Rec (field defaults: the full profile).

    Attributes
    ----------
    embedding_dim : int
        Length of each item embedding.
    hidden_size : int
        Length of the GRU's hidden state.
    num_layers : int
        Stacked GRU layers.
    dropout : float
        Dropout on the embeddings and on the GRU's outputs, in [0, 1).
    max_len : int
        The last ``max_len`` items of a sequence are read, in training and in scoring.
    output : {"item_embeddings", "linear"}
        How the hidden state becomes scores (see the module docstring).
    epochs, learning_rate, weight_decay, patience, batch_size
        As in :class:`tutorial_lib.models.sequential.NextItemTrainingConfig`; ``batch_size``
        counts sequences (users).
    """

    embedding_dim: int = 64
    hidden_size: int = 128
    num_layers: int = 1
    dropout: float = 0.3
    max_len: int = 100
    output: str = "item_embeddings"
    epochs: int = 40
    learning_rate: float = 5e-3
    weight_decay: float = 0.0
    patience: int = 6
    batch_size: int = 64

    QUICK: ClassVar[dict] = {"hidden_size": 64, "max_len": 50, "epochs": 10, "patience": 3}
    N_SEQUENCES: ClassVar[int] = 943  # one per user of MovieLens 100K
    QUICK_COST_LIMIT: ClassVar[int] = 943 * 50 * 64 * 10

    def cost(self) -> int:
        """Work units: sequences x steps x hidden size x epochs."""
        return self.N_SEQUENCES * self.max_len * self.hidden_size * self.epochs


class GRU4RecNetwork(nn.Module):
    """Embedding → GRU → item scores; see the module docstring.

    Parameters
    ----------
    n_items : int
        Catalogue size; codes are ``1..n_items`` and 0 is padding.
    embedding_dim, hidden_size, num_layers : int
    dropout : float
    output : {"item_embeddings", "linear"}
    recurrent : {"torch", "by-hand"}, default "torch"
        ``nn.GRU``, or the book's :class:`~tutorial_lib.models.recurrent.RecurrentLayer`.
    """

    def __init__(self, n_items: int, embedding_dim: int, hidden_size: int, num_layers: int = 1,
                 dropout: float = 0.0, output: str = "item_embeddings", recurrent: str = "torch"):
        super().__init__()
        self.n_items = check_positive_int(n_items, "n_items")
        self.embedding_dim = embedding_dim = check_positive_int(embedding_dim, "embedding_dim")
        self.hidden_size = hidden_size = check_positive_int(hidden_size, "hidden_size")
        self.num_layers = num_layers = check_positive_int(num_layers, "num_layers")
        dropout = check_real(dropout, "dropout", min_val=0.0, max_val=1.0, include_boundaries="left")
        self.output = check_choice(output, "output", OUTPUTS)
        self.recurrent = check_choice(recurrent, "recurrent", RECURRENT_IMPLEMENTATIONS)
        self.item_embeddings = nn.Embedding(self.n_items + 1, embedding_dim, padding_idx=PADDING)
        self.dropout = nn.Dropout(dropout)
        if self.recurrent == "torch":
            self.gru = nn.GRU(embedding_dim, hidden_size, num_layers=num_layers, batch_first=True)
        else:
            self.gru = RecurrentLayer("gru", embedding_dim, hidden_size, num_layers)
        if self.output == "item_embeddings":
            self.to_embedding = nn.Linear(hidden_size, embedding_dim)
        else:
            self.output_layer = nn.Linear(hidden_size, self.n_items + 1)

    def hidden_states(self, codes: torch.Tensor) -> torch.Tensor:
        """GRU outputs (batch, seq_len, hidden) of right-padded ``codes``.

        ``codes`` (batch, seq_len) holds item codes, 0 after each row's end;
        the outputs at those padded positions mean nothing.
        """
        embedded = self.dropout(self.item_embeddings(codes))  # (B, T, E)
        if self.recurrent == "torch":
            outputs, _ = self.gru(embedded)  # causal: padding comes after
        else:
            lengths = (codes != PADDING).sum(dim=1).cpu()
            outputs, _ = self.gru(embedded, lengths)
        return self.dropout(outputs)  # (B, T, H)

    def scores(self, hidden: torch.Tensor) -> torch.Tensor:
        """Scores (..., n_items + 1) of hidden states (..., hidden)."""
        if self.output == "item_embeddings":
            item_vectors = self.item_embeddings.weight  # (n_items + 1, E)
            return self.to_embedding(hidden) @ item_vectors.T
        return self.output_layer(hidden)

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        """Logits (batch, seq_len, n_items + 1): next-item scores everywhere."""
        return self.scores(self.hidden_states(codes))

    def last_scores(self, codes: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Scores ``(batch, n_items + 1)`` after each row's last item.

        ``codes`` (batch, seq_len) right-padded, ``lengths`` (batch,); a row of length 0
        is scored from the zero initial state.
        """
        hidden = self.hidden_states(codes)  # (batch, seq_len, hidden)
        last = (lengths - 1).clamp(min=0).to(hidden.device)
        final = hidden[torch.arange(len(codes), device=hidden.device), last]  # (batch, hidden)
        final = torch.where((lengths > 0).to(hidden.device)[:, None], final, torch.zeros_like(final))
        return self.scores(final)

    @torch.no_grad()
    def with_recurrent(self, recurrent: str) -> GRU4RecNetwork:
        """A copy of this network with the same weights on the other GRU implementation.

        ``recurrent="by-hand"`` of an ``nn.GRU`` network copies its GRU weights into a
        :class:`~tutorial_lib.models.recurrent.RecurrentLayer` (and the other way round);
        every other weight is copied as it is. The copy is in eval mode.
        """
        recurrent = check_choice(recurrent, "recurrent", RECURRENT_IMPLEMENTATIONS)
        twin = GRU4RecNetwork(self.n_items, self.embedding_dim, self.hidden_size, self.num_layers,
                              self.dropout.p, self.output, recurrent)
        twin = twin.to(device=self.item_embeddings.weight.device, dtype=self.item_embeddings.weight.dtype)
        outside_gru = {name: value for name, value in self.state_dict().items() if not name.startswith("gru.")}
        twin.load_state_dict(outside_gru, strict=False)
        if recurrent == self.recurrent:
            twin.gru.load_state_dict(self.gru.state_dict())
        elif recurrent == "by-hand":
            copy_from_torch(twin.gru, self.gru)
        else:
            copy_to_torch(self.gru, twin.gru)
        return twin.eval()


def left_to_right_padded(codes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Move each row's codes to the left: ``(batch, max_len)`` left-padded → right-padded.

    Returns ``(right_padded (batch, max_len), lengths (batch,))``. The base class hands
    scorers left-padded rows (SASRec's layout); a GRU must not read the padding first.
    """
    if not isinstance(codes, torch.Tensor) or codes.dim() != 2:
        raise ValueError(f"codes must be a 2-D tensor (batch, max_len), got {getattr(codes, 'shape', type(codes))}.")
    max_len = codes.shape[1]
    lengths = (codes != PADDING).sum(dim=1)  # (batch,)
    n_padding = max_len - lengths
    # Position j of the right-padded row is position j + n_padding of the left-padded one;
    # past the length it wraps to the leading padding, which holds 0.
    source = (torch.arange(max_len, device=codes.device)[None, :] + n_padding[:, None]) % max_len
    return codes.gather(1, source), lengths


def next_item_rows(sequences, max_len: int) -> tuple:
    """One training row per sequence of 2 or more items: s[:-1] -> s[1:].

    Parameters
    ----------
    sequences : list of numpy.ndarray of int64
        Item codes in time order.
    max_len : int
        Each row keeps its last ``max_len`` pairs.

    Returns
    -------
    inputs, targets : numpy.ndarray of int64, each (n_rows, max_len)
        Right-padded with 0 (a 0 target is ignored by the loss);
        ``targets[r, t]`` is the item that follows ``inputs[r, t]``.
    """
    max_len = check_positive_int(max_len, "max_len")
    usable = [np.asarray(s) for s in sequences if len(s) >= 2]
    if not usable:
        raise ValueError(
            "sequences must hold at least one sequence of 2 or more items.")
    inputs, _ = right_pad([s[:-1] for s in usable], max_len)
    targets, _ = right_pad([s[1:] for s in usable], max_len)
    return inputs, targets


class GRU4RecRecommender(SequentialRecommender):
    """GRU4Rec in the book's top-N interface (fit on train, score with ``with_history``).

    Parameters
    ----------
    config : GRU4RecConfig, optional
        Default: the full profile's values.
    recurrent : {"torch", "by-hand"}, default "torch"
    progress : bool, default True
        A progress bar per epoch.
    time_col, device, seed, n_threads, user_col, item_col
        As in :class:`tutorial_lib.models.sequential.SequentialRecommender`.

    Attributes (after ``fit``)
    --------------------------
    network_ : GRU4RecNetwork
    history_ : pandas.DataFrame
        One row per epoch (loss, validation NDCG@10 when ``fit`` got ``valid``, seconds),
        from :func:`~tutorial_lib.models.sequential.train_next_item`;
        ``history_.attrs["best_epoch"]`` is the epoch whose weights were kept.
    """

    def __init__(self, config: GRU4RecConfig | None = None, *, recurrent: str = "torch", progress: bool = True,
                 time_col: str = "timestamp", device: str | None = None, seed: int | None = None,
                 n_threads: int | None = 1, user_col: str = "user_id", item_col: str = "item_id"):
        config = GRU4RecConfig() if config is None else config
        if not isinstance(config, GRU4RecConfig):
            raise TypeError(f"config must be a GRU4RecConfig, got {type(config).__name__}.")
        super().__init__(config.max_len, time_col=time_col, device=device, seed=seed, n_threads=n_threads,
                         user_col=user_col, item_col=item_col)
        self.config = config
        self.recurrent = check_choice(recurrent, "recurrent", RECURRENT_IMPLEMENTATIONS)
        self.progress = check_bool(progress, "progress")

    def _fit_sequences(self, sequences: dict) -> None:
        config = self.config
        inputs, targets = next_item_rows(list(sequences.values()), config.max_len)
        self.network_ = GRU4RecNetwork(
            self.n_items_, config.embedding_dim, config.hidden_size, config.num_layers,
            config.dropout, config.output, self.recurrent,
        ).to(self.device)

        def make_batches(rng):
            order = rng.permutation(len(inputs))
            for start in range(0, len(order), config.batch_size):
                rows = order[start:start + config.batch_size]
                yield torch.as_tensor(inputs[rows]), torch.as_tensor(targets[rows])

        self.history_ = train_next_item(
            self.network_, make_batches, epochs=config.epochs, learning_rate=config.learning_rate,
            weight_decay=config.weight_decay, patience=config.patience, validate=self._validator(),
            seed=self.seed, progress=self.progress,
        )

    def _score_codes(self, inputs: torch.Tensor) -> torch.Tensor:
        right_padded, lengths = left_to_right_padded(inputs)
        return self.network_.last_scores(right_padded, lengths)
