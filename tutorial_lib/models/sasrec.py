"""SASRec: self-attentive sequential recommendation (Kang & McAuley, ICDM 2018).

The network reads a user's last ``max_len`` items, oldest first, and predicts at every
position the item that comes next:

1. each item code becomes its embedding times √d (the item table ``E``, shape
   ``(n_items + 1, d)``, row 0 = padding), plus a learned position vector, then dropout;
2. ``n_blocks`` causal self-attention blocks (:class:`~tutorial_lib.models.transformer.CausalDecoderBlock`,
   pre-norm as the paper's eq. 4: ``x + Dropout(g(LayerNorm(x)))``, a ReLU feed-forward of
   width d) so that position t sees only items 0..t; padding positions are zeroed after
   every block, as in the paper's code;
3. a final layer norm gives ``h_t``; the score of item i after position t is ``h_t · E_i``,
   with the **same** item table as the input (shared embeddings, the paper's choice: it
   halves the parameters and ties "what an item is" to "what predicts it").

Training runs every position of every user in one causal pass: one row per user (its
train sequence, input ``s[:-1]``, target ``s[1:]``) gives up to ``max_len`` predictions for
the price of one forward pass, because the causal mask keeps each prediction from seeing
its own target. A library that makes each prefix its own training sample repeats the same
attention for every prefix instead.

**The loss** differs from the paper's: we use full softmax cross-entropy over all items
(:func:`tutorial_lib.models.sequential.next_item_loss`), the default of RecBole's SASRec
(``loss_type: CE``), instead of the paper's binary cross-entropy with one sampled negative
item per position. With 1,682 items the full softmax is cheap, and it is known to rank
better (Klenitskiy & Vasilev, RecSys 2023).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from typing import ClassVar

import numpy as np
import torch
from torch import nn

from tutorial_lib.data.sequences import PADDING, next_item_examples
from tutorial_lib.models.attention import padding_mask
from tutorial_lib.models.sequential import NextItemTrainingConfig, SequentialRecommender, train_next_item
from tutorial_lib.models.transformer import CausalDecoderBlock, LearnedPositionalEncoding
from tutorial_lib.validation import check_int, check_real

__all__ = ["SASRec", "SASRecConfig", "SASRecNetwork"]


@dataclasses.dataclass(frozen=True)
class SASRecConfig(NextItemTrainingConfig):
    """SASRec's sizes and training settings (field defaults are the full profile).

    Attributes
    ----------
    max_len : int
        Items read per user (the paper's n). The paper uses 200 for MovieLens-1M, whose users
        have 165 ratings on average, and 50 for the sparser sets. MovieLens-100K's users have
        104 training ratings on average (median 63, longest 735): 200 covers the whole
        training sequence of 85% of them (50 would cover 42%), and an epoch still costs
        seconds, so we keep the paper's MovieLens value (chapter 10 computes these shares).
    d_model : int
        Embedding and hidden width d (the paper: 50).
    n_heads, n_blocks : int
        Attention heads per block and blocks (the paper: 1 and 2).
    dropout : float
        On the embeddings, attention weights, feed-forward and residual branches (the paper:
        0.2 for MovieLens-1M, 0.5 for sparser sets).
    epochs, learning_rate, weight_decay, patience, batch_size
        As :class:`~tutorial_lib.models.sequential.NextItemTrainingConfig` (the paper: Adam,
        learning rate 0.001, batch 128).
    """

    max_len: int = 200
    d_model: int = 64
    n_heads: int = 1
    n_blocks: int = 2
    dropout: float = 0.2
    epochs: int = 200
    learning_rate: float = 1e-3
    weight_decay: float = 0.0
    patience: int = 10
    batch_size: int = 128

    # The quick run has few epochs of 15 steps each: a larger step and smaller batches let
    # it learn something in that time.
    QUICK: ClassVar[dict] = {"max_len": 50, "d_model": 32, "epochs": 10, "patience": 3,
                             "learning_rate": 5e-3, "batch_size": 64}
    N_SEQUENCES: ClassVar[int] = 943  # MovieLens 100K users
    QUICK_COST_LIMIT: ClassVar[int] = 943 * 50 * 32 * 10

    def cost(self) -> int:
        """Positions x width x epochs: the work of the forward and backward passes, roughly."""
        return self.N_SEQUENCES * self.max_len * self.d_model * self.epochs


class SASRecNetwork(nn.Module):
    """The SASRec network (see the module docstring).

    Parameters
    ----------
    n_items : int
        Catalogue size; codes are ``1..n_items`` and 0 is padding.
    max_len, d_model, n_heads, n_blocks : int
    dropout : float

    Shapes
    ------
    ``hidden_states(codes)``: ``(batch, max_len)`` left-padded codes -> ``(batch, max_len,
    d_model)`` (zero at padding). ``forward(codes)``: -> logits ``(batch, max_len, n_items +
    1)``; column 0 (padding) is there for the shape and takes no part in the loss.
    """

    def __init__(self, n_items: int, max_len: int, d_model: int, n_heads: int, n_blocks: int, dropout: float):
        super().__init__()
        self.n_items = check_int(n_items, "n_items", min_val=1)
        self.max_len = check_int(max_len, "max_len", min_val=1)
        self.d_model = check_int(d_model, "d_model", min_val=1)
        n_blocks = check_int(n_blocks, "n_blocks", min_val=1)
        dropout = check_real(dropout, "dropout", min_val=0, max_val=1, include_boundaries="left")
        self.item_embeddings = nn.Embedding(n_items + 1, d_model, padding_idx=PADDING)
        self.positions = LearnedPositionalEncoding(max_len, d_model)
        self.embedding_dropout = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(
            CausalDecoderBlock(d_model, n_heads, d_model, dropout=dropout, activation="relu", norm_first=True, layer_norm_eps=1e-8)
            for _ in range(n_blocks)
        )
        self.final_norm = nn.LayerNorm(d_model, eps=1e-8)
        # Small initial item vectors: with the √d scaling below they start near unit size.
        nn.init.normal_(self.item_embeddings.weight, std=1 / math.sqrt(d_model))
        nn.init.normal_(self.positions.embedding.weight, std=1 / math.sqrt(d_model))
        with torch.no_grad():
            self.item_embeddings.weight[PADDING].zero_()

    def hidden_states(self, codes: torch.Tensor) -> torch.Tensor:
        if not isinstance(codes, torch.Tensor) or codes.ndim != 2 or codes.shape[1] != self.max_len:
            raise ValueError(f"codes must be a (batch, {self.max_len}) LongTensor, got {getattr(codes, 'shape', type(codes).__name__)}.")
        real = padding_mask(codes=codes, padding_code=PADDING)  # (batch, max_len), True at items
        keep = real.unsqueeze(-1).to(self.item_embeddings.weight.dtype)  # (batch, max_len, 1)
        positions = torch.arange(self.max_len, device=codes.device)  # (max_len,)
        x = self.item_embeddings(codes) * math.sqrt(self.d_model) + self.positions(positions)  # (batch, max_len, d)
        x = self.embedding_dropout(x) * keep
        for block in self.blocks:
            x = block(x, real) * keep  # (batch, max_len, d)
        return self.final_norm(x) * keep

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        return self.hidden_states(codes) @ self.item_embeddings.weight.T  # (batch, max_len, n_items + 1)

    def next_item_scores(self, codes: torch.Tensor) -> torch.Tensor:
        """Scores ``(batch, n_items + 1)`` of the item after each row's last position."""
        last = self.hidden_states(codes)[:, -1]  # (batch, d): left padding puts the newest item last
        return last @ self.item_embeddings.weight.T

    @torch.no_grad()
    def attention_weights(self, codes: torch.Tensor) -> list[torch.Tensor]:
        """Each block's weights ``(batch, n_heads, max_len, max_len)`` for ``codes`` (eval mode)."""
        real = padding_mask(codes=codes, padding_code=PADDING)
        keep = real.unsqueeze(-1).to(self.item_embeddings.weight.dtype)
        positions = torch.arange(self.max_len, device=codes.device)
        x = (self.item_embeddings(codes) * math.sqrt(self.d_model) + self.positions(positions)) * keep
        weights = []
        for block in self.blocks:
            weights.append(block.attention_weights(x, real))
            x = block(x, real) * keep
        return weights


class SASRec(SequentialRecommender):
    """SASRec as a top-N recommender on the shared interface (see the module docstring).

    Parameters
    ----------
    config : SASRecConfig, optional
        Sizes and training settings; default ``SASRecConfig()`` (the full profile).
    progress : bool, default True
        A tqdm bar per epoch.
    device, seed, n_threads, time_col, user_col, item_col
        As :class:`~tutorial_lib.models.sequential.SequentialRecommender`.

    Attributes (after ``fit``)
    --------------------------
    network_ : SASRecNetwork
    history_ : pandas.DataFrame
        One row per epoch: loss, validation NDCG@10, seconds (from
        :func:`~tutorial_lib.models.sequential.train_next_item`).

    Examples
    --------
    ``SASRec(SASRecConfig.for_profile("quick")).fit(split.train, split.item_ids,
    valid=split.valid)``, then ``evaluate_top_n(model, split, target="valid")`` and, for the
    test target, ``model.with_history(pd.concat([split.train, split.valid]))``.
    """

    def __init__(self, config: SASRecConfig | None = None, *, progress: bool = True, device: str | None = None,
                 seed: int | None = None, n_threads: int | None = 1, time_col: str = "timestamp",
                 user_col: str = "user_id", item_col: str = "item_id"):
        config = SASRecConfig() if config is None else config
        if not isinstance(config, SASRecConfig):
            raise TypeError(f"config must be a SASRecConfig, got {type(config).__name__}.")
        super().__init__(config.max_len, time_col=time_col, device=device, seed=seed, n_threads=n_threads,
                         user_col=user_col, item_col=item_col)
        self.config = config
        self.progress = progress

    def _fit_sequences(self, sequences: dict) -> None:
        config = self.config
        self.network_ = SASRecNetwork(self.n_items_, config.max_len, config.d_model, config.n_heads,
                                      config.n_blocks, config.dropout).to(self.device)
        inputs, targets = next_item_examples(list(sequences.values()), config.max_len)  # (n_users, max_len) each
        has_target = (targets != PADDING).any(axis=1)
        inputs, targets = torch.as_tensor(inputs[has_target]), torch.as_tensor(targets[has_target])

        def make_batches(rng: np.random.Generator) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
            order = torch.as_tensor(rng.permutation(len(inputs)))
            for start in range(0, len(order), config.batch_size):
                rows = order[start:start + config.batch_size]
                yield inputs[rows], targets[rows]

        self.history_ = train_next_item(
            self.network_, make_batches, epochs=config.epochs, learning_rate=config.learning_rate,
            weight_decay=config.weight_decay, patience=config.patience, validate=self._validator(),
            seed=self.seed, progress=self.progress,
        )

    def _score_codes(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.network_.next_item_scores(inputs)
