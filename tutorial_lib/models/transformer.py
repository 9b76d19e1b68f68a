"""Transformer building blocks by hand: positional encodings, feed-forward, encoder and causal blocks.

Attention by itself ignores order: permuting the input positions permutes the outputs and
nothing else. A positional encoding adds a vector that depends on the position, either fixed
sinusoids (Vaswani et al. 2017) or a learned table (BERT, SASRec).

A block wraps two sub-layers, multi-head self-attention and a position-wise feed-forward
network, each with a residual connection and a layer norm:

- post-norm (the 2017 paper, BERT): ``x = norm(x + dropout(sublayer(x)))``
- pre-norm (GPT-2, most recent models): ``x = x + dropout(sublayer(norm(x)))``

Post-norm with GELU and ``layer_norm_eps=1e-12`` is exactly one ``BertLayer`` of Hugging
Face's BERT (in eval mode): ``attention`` holds its query/key/value/output dense layers,
``attention_norm`` is ``attention.output.LayerNorm``, ``feed_forward.input`` and
``feed_forward.output`` are ``intermediate.dense`` and ``output.dense``, and
``feed_forward_norm`` is ``output.LayerNorm``. In training mode the dropout differs
slightly: BERT has no dropout between the two feed-forward layers, PyTorch's
``nn.TransformerEncoderLayer`` (which we follow) has.

Masks follow :mod:`tutorial_lib.models.attention`: ``padding_mask`` is ``(batch, seq_len)``
bool with ``True`` at real tokens (the opposite of ``nn.TransformerEncoderLayer``'s
``src_key_padding_mask``, where ``True`` means "ignore").
"""

from __future__ import annotations

import dataclasses
import math
from typing import ClassVar

import torch
from torch import nn

from tutorial_lib.config import ProfileConfig
from tutorial_lib.models.attention import (
    MultiHeadAttention,
    causal_mask,
    copy_multihead_attention_from_torch,
    copy_multihead_attention_to_torch,
    padding_mask,
)
from tutorial_lib.validation import check_choice, check_int, check_real

__all__ = [
    "AttentionPoolingClassifier",
    "CausalDecoderBlock",
    "EncoderBlock",
    "LearnedPositionalEncoding",
    "PositionwiseFeedForward",
    "SinusoidalPositionalEncoding",
    "ReviewAttentionConfig",
    "copy_encoder_block_from_torch",
    "copy_encoder_block_to_torch",
    "sinusoidal_positional_encoding",
]

ACTIVATIONS = ("relu", "gelu")


def sinusoidal_positional_encoding(
    max_len: int, d_model: int
) -> torch.Tensor:
    """Vaswani et al.'s fixed table, ``(max_len, d_model)`` float32.

    ``PE[p, 2i] = sin(p / 10000^(2i/d))``, ``PE[p, 2i+1] = cos(...)``: each
    pair of columns is a sine and a cosine of one frequency, from one cycle
    every 2π positions (i = 0) to one every 10000·2π positions.
    """
    max_len = check_int(max_len, "max_len", min_val=1)
    d_model = check_int(d_model, "d_model", min_val=2)
    if d_model % 2:
        raise ValueError(f"d_model must be even, got {d_model}.")
    positions = torch.arange(max_len, dtype=torch.float64)[:, None]
    pair_index = torch.arange(0, d_model, 2, dtype=torch.float64)  # 2i
    frequencies = torch.exp(-math.log(10000.0) * pair_index / d_model)
    angles = positions * frequencies  # (max_len, d_model / 2)
    table = torch.zeros(max_len, d_model, dtype=torch.float64)
    table[:, 0::2] = torch.sin(angles)
    table[:, 1::2] = torch.cos(angles)
    return table.float()


def _check_positions(positions, max_len: int) -> torch.Tensor:
    if not isinstance(positions, torch.Tensor) or positions.is_floating_point() or positions.dtype == torch.bool:
        raise TypeError(f"positions must be an integer torch.Tensor, got {getattr(positions, 'dtype', type(positions).__name__)}.")
    if positions.numel() and (int(positions.min()) < 0 or int(positions.max()) >= max_len):
        raise ValueError(f"positions must lie in [0, {max_len}), got values from {int(positions.min())} to {int(positions.max())}.")
    return positions


class SinusoidalPositionalEncoding(nn.Module):
    """Fixed sinusoidal encodings looked up by position (no parameters).

    Shapes: ``forward(positions)``: integer ``(...)`` -> ``(..., d_model)``; e.g.
    ``forward(torch.arange(seq_len))`` is ``(seq_len, d_model)``, which broadcasts when added
    to ``(batch, seq_len, d_model)`` embeddings.
    """

    def __init__(self, max_len: int, d_model: int):
        super().__init__()
        self.max_len = check_int(max_len, "max_len", min_val=1)
        self.d_model = check_int(d_model, "d_model", min_val=2)
        self.register_buffer("table", sinusoidal_positional_encoding(max_len, d_model), persistent=False)

    def forward(self, positions: torch.Tensor) -> torch.Tensor:
        return self.table[_check_positions(positions, self.max_len)]


class LearnedPositionalEncoding(nn.Module):
    """A learned vector per position (BERT, SASRec): an embedding table.

    Unlike sinusoids it knows nothing of positions past ``max_len`` (it has
    no row for them). ``forward(positions)``: integer ``(...)`` ->
    ``(..., d_model)``.
    """

    def __init__(self, max_len: int, d_model: int):
        super().__init__()
        self.max_len = check_int(max_len, "max_len", min_val=1)
        self.d_model = check_int(d_model, "d_model", min_val=1)
        self.embedding = nn.Embedding(self.max_len, self.d_model)

    def forward(self, positions: torch.Tensor) -> torch.Tensor:
        positions = _check_positions(positions, self.max_len)
        return self.embedding(positions)  # one learnt row per position


def _activation(name: str) -> nn.Module:
    check_choice(name, "activation", ACTIVATIONS)
    # nn.GELU() is the exact form x·Φ(x) with the normal CDF written with erf (BERT's "gelu"),
    # not the tanh approximation.
    return nn.ReLU() if name == "relu" else nn.GELU()


class PositionwiseFeedForward(nn.Module):
    """Two linear layers applied to every position separately: ``output(dropout(act(input(x))))``.

    Parameters
    ----------
    d_model : int
        Input and output width.
    d_ff : int
        Hidden width (4·d_model in the 2017 paper and BERT).
    activation : {"relu", "gelu"}, default "relu"
        "gelu" is the exact erf form.
    dropout : float, default 0.0
        Dropout on the hidden layer (training mode only).

    Shapes: ``(..., d_model)`` -> ``(..., d_model)``.
    """

    def __init__(self, d_model: int, d_ff: int, activation: str = "relu", dropout: float = 0.0):
        super().__init__()
        d_model = check_int(d_model, "d_model", min_val=1)
        d_ff = check_int(d_ff, "d_ff", min_val=1)
        dropout = check_real(dropout, "dropout", min_val=0, max_val=1, include_boundaries="left")
        self.input = nn.Linear(d_model, d_ff)
        self.activation = _activation(activation)
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(d_ff, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = self.dropout(self.activation(self.input(x)))  # (..., d_ff)
        return self.output(hidden)  # (..., d_model)


class EncoderBlock(nn.Module):
    """Self-attention + feed-forward, each with a residual connection and layer norm.

    Parameters
    ----------
    d_model, n_heads, d_ff : int
        Width, number of attention heads (divides d_model), feed-forward hidden width.
    dropout : float, default 0.0
        Used on the attention weights, on the feed-forward hidden layer and on each
        sub-layer's output before it is added to the residual (as ``nn.TransformerEncoderLayer``).
    activation : {"relu", "gelu"}, default "relu"
    norm_first : bool, default False
        False: post-norm ``norm(x + sublayer(x))``; True: pre-norm ``x + sublayer(norm(x))``.
    layer_norm_eps : float, default 1e-5
        BERT uses 1e-12.

    Shapes
    ------
    ``forward(x, padding_mask=None)``: x ``(batch, seq_len, d_model)``; padding_mask bool
    ``(batch, seq_len)``, ``True`` at real tokens -> ``(batch, seq_len, d_model)``.
    Outputs at padding positions are computed but meaningless; callers ignore them.
    """

    def __init__(
        self,
        d_model: int,
        n_heads: int,
        d_ff: int,
        dropout: float = 0.0,
        activation: str = "relu",
        norm_first: bool = False,
        layer_norm_eps: float = 1e-5,
    ):
        super().__init__()
        dropout = check_real(dropout, "dropout", min_val=0, max_val=1, include_boundaries="left")
        if not isinstance(norm_first, bool):
            raise TypeError(f"norm_first must be True or False, got {norm_first!r}.")
        layer_norm_eps = check_real(layer_norm_eps, "layer_norm_eps", min_val=0, include_boundaries="neither")
        self.norm_first = norm_first
        self.activation_name = check_choice(activation, "activation", ACTIVATIONS)
        self.attention = MultiHeadAttention(d_model, n_heads, dropout=dropout)
        self.attention_dropout = nn.Dropout(dropout)
        self.attention_norm = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.feed_forward = PositionwiseFeedForward(d_model, d_ff, activation=activation, dropout=dropout)
        self.feed_forward_dropout = nn.Dropout(dropout)
        self.feed_forward_norm = nn.LayerNorm(d_model, eps=layer_norm_eps)

    def attention_mask(self, x: torch.Tensor, padding_mask: torch.Tensor | None) -> torch.Tensor | None:
        """The attention's mask: ``(batch, 1, 1, seq_len)`` from the padding mask, or None."""
        if padding_mask is None:
            return None
        batch, seq_len, _ = x.shape
        if not isinstance(padding_mask, torch.Tensor) or padding_mask.dtype != torch.bool or tuple(padding_mask.shape) != (batch, seq_len):
            raise ValueError(
                f"padding_mask must be a bool tensor of shape (batch, seq_len) = {(batch, seq_len)}, "
                f"True at real tokens; got {getattr(padding_mask, 'dtype', type(padding_mask).__name__)} "
                f"of shape {tuple(getattr(padding_mask, 'shape', ()))}."
            )
        # The same keys for every head and every query: (batch, 1, 1, seq_len)
        return padding_mask[:, None, None, :]

    def _self_attention(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        attended, _ = self.attention(x, x, x, mask)
        return self.attention_dropout(attended)

    def _feed_forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.feed_forward_dropout(self.feed_forward(x))

    def forward(
        self, x: torch.Tensor, padding_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        _check_block_input(x)
        mask = self.attention_mask(x, padding_mask)
        if self.norm_first:  # pre-norm: x + sublayer(norm(x))
            x = x + self._self_attention(self.attention_norm(x), mask)
            x = x + self._feed_forward(self.feed_forward_norm(x))
        else:  # post-norm: norm(x + sublayer(x))
            x = self.attention_norm(x + self._self_attention(x, mask))
            x = self.feed_forward_norm(x + self._feed_forward(x))
        return x

    @torch.no_grad()
    def attention_weights(self, x: torch.Tensor, padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        """The weights this block's attention gives for input ``x``: ``(batch, n_heads, seq_len, seq_len)``.

        For heat maps. Pre-norm blocks attend over ``attention_norm(x)``, post-norm over ``x``.
        """
        mask = self.attention_mask(x, padding_mask)
        attended_input = self.attention_norm(x) if self.norm_first else x
        _, weights = self.attention(attended_input, attended_input, attended_input, mask)
        return weights


def _check_block_input(x) -> None:
    if not isinstance(x, torch.Tensor) or x.ndim != 3:
        raise ValueError(f"x must be a (batch, seq_len, d_model) tensor, got {getattr(x, 'shape', type(x).__name__)}.")


class CausalDecoderBlock(EncoderBlock):
    """An :class:`EncoderBlock` whose self-attention is causal: position t sees positions 0..t.

    This is the block of decoder-only models (GPT) and of SASRec: there is no cross-attention
    (no encoder to attend to), so "decoder block" here means the causal mask and nothing else.
    The output at position t therefore depends only on inputs 0..t. With a padding mask,
    a padding position that sees no real token gets an all-zero attention row.

    Shapes as :class:`EncoderBlock`.
    """

    def attention_mask(
        self, x: torch.Tensor, padding_mask: torch.Tensor | None
    ) -> torch.Tensor:
        """The causal mask, and the padding mask if given.

        ``(seq_len, seq_len)`` without padding, else ``(batch, 1, seq_len,
        seq_len)``: query t may attend to key j when j <= t and j is real.
        """
        seq_len = x.shape[1]
        causal = causal_mask(seq_len, device=x.device)  # (seq_len, seq_len)
        keys = super().attention_mask(x, padding_mask)  # (b, 1, 1, seq_len)
        return causal if keys is None else causal & keys


def _check_layer_pair(ours, theirs) -> None:
    if not isinstance(ours, EncoderBlock):
        raise TypeError(f"ours must be an EncoderBlock, got {type(ours).__name__}.")
    if not isinstance(theirs, nn.TransformerEncoderLayer):
        raise TypeError(f"theirs must be an nn.TransformerEncoderLayer, got {type(theirs).__name__}.")
    if theirs.norm_first != ours.norm_first:
        raise ValueError(f"norm_first differs: ours {ours.norm_first}, theirs {theirs.norm_first}.")
    if theirs.linear1.weight.shape != ours.feed_forward.input.weight.shape:
        raise ValueError(
            f"feed-forward sizes differ: ours {tuple(ours.feed_forward.input.weight.shape)}, theirs {tuple(theirs.linear1.weight.shape)}."
        )
    their_activation = {torch.nn.functional.relu: "relu", torch.nn.functional.gelu: "gelu"}.get(theirs.activation)
    if their_activation is None and isinstance(theirs.activation, nn.Module):
        their_activation = {nn.ReLU: "relu", nn.GELU: "gelu"}.get(type(theirs.activation))
    if their_activation != ours.activation_name:
        raise ValueError(f"activation differs: ours {ours.activation_name!r}, theirs {theirs.activation!r}.")
    if theirs.norm1.eps != ours.attention_norm.eps:
        raise ValueError(f"layer_norm_eps differs: ours {ours.attention_norm.eps}, theirs {theirs.norm1.eps}.")


def _matching_block_parts(ours: EncoderBlock, theirs: nn.TransformerEncoderLayer) -> list:
    """``(their layer, our layer)`` pairs with a weight and a bias each, besides attention."""
    return [
        (theirs.linear1, ours.feed_forward.input),
        (theirs.linear2, ours.feed_forward.output),
        (theirs.norm1, ours.attention_norm),
        (theirs.norm2, ours.feed_forward_norm),
    ]


@torch.no_grad()
def copy_encoder_block_to_torch(ours: EncoderBlock, theirs: nn.TransformerEncoderLayer) -> nn.TransformerEncoderLayer:
    """Copy our block's weights into an ``nn.TransformerEncoderLayer``; return it.

    ``self_attn`` <- ``attention``, ``linear1``/``linear2`` <- ``feed_forward.input``/``.output``,
    ``norm1`` <- ``attention_norm``, ``norm2`` <- ``feed_forward_norm`` (the same names for
    pre- and post-norm). Both must have the same sizes, activation and ``norm_first``.
    """
    _check_layer_pair(ours, theirs)
    copy_multihead_attention_to_torch(ours.attention, theirs.self_attn)
    for their_part, our_part in _matching_block_parts(ours, theirs):
        their_part.weight.copy_(our_part.weight)
        their_part.bias.copy_(our_part.bias)
    return theirs


@torch.no_grad()
def copy_encoder_block_from_torch(theirs: nn.TransformerEncoderLayer, ours: EncoderBlock) -> EncoderBlock:
    """Copy an ``nn.TransformerEncoderLayer``'s weights into our block; return ours."""
    _check_layer_pair(ours, theirs)
    copy_multihead_attention_from_torch(theirs.self_attn, ours.attention)
    for their_part, our_part in _matching_block_parts(ours, theirs):
        our_part.weight.copy_(their_part.weight)
        our_part.bias.copy_(their_part.bias)
    return ours


# --------------------------------------------------------------------------------------
# A small text classifier whose attention can be looked at (chapter 10's review heat map)
# --------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class ReviewAttentionConfig(ProfileConfig):
    """Sizes of :class:`AttentionPoolingClassifier` trained on review sentiment.

    Attributes
    ----------
    max_len : int
        Characters kept per review (the first ones).
    d_model, n_heads, d_ff : int
        Width, heads and feed-forward width of the one encoder block.
    dropout : float
    epochs, batch_size : int
    learning_rate : float
    min_char_count : int
        Characters seen fewer times in the training reviews map to ``<unk>``.
    max_train_reviews : int or None
        Train on at most this many training reviews (None: all of them).
    """

    max_len: int = 64
    d_model: int = 64
    n_heads: int = 4
    d_ff: int = 128
    dropout: float = 0.1
    epochs: int = 6
    batch_size: int = 64
    learning_rate: float = 2e-3
    min_char_count: int = 2
    max_train_reviews: int | None = None

    QUICK: ClassVar[dict] = {"d_model": 32, "d_ff": 64, "epochs": 2, "max_train_reviews": 3_000}
    N_REVIEWS: ClassVar[int] = 9_500  # training reviews of waimai_10k (80%)
    QUICK_COST_LIMIT: ClassVar[int] = 3_000 * 64 * 32 * 2

    def cost(self) -> int:
        """Reviews x characters x width x epochs."""
        n_reviews = min(self.N_REVIEWS, self.max_train_reviews or self.N_REVIEWS)
        return n_reviews * self.max_len * self.d_model * self.epochs


class AttentionPoolingClassifier(nn.Module):
    """Token embeddings + learned positions, one encoder block, attention pooling, one logit.

    The pooling is attention with a single learned query vector: the text's vector is the
    weighted average of the block's outputs, with weights softmax(q · h_t / √d) over the
    real tokens. Those weights (and the block's self-attention) are what a heat map shows.

    Parameters
    ----------
    vocab_size : int
        Token ids ``0..vocab_size - 1``; id 0 is padding.
    max_len, d_model, n_heads, d_ff : int
    dropout : float

    Shapes
    ------
    ``forward(codes)``: ``(batch, max_len)`` right-padded ids (an integer tensor, or float32
    holding integers, as :func:`tutorial_lib.training.make_loader` gives) -> ``(batch,)``
    logits. ``attention_maps(codes)`` -> ``(block weights (batch, n_heads, max_len, max_len),
    pooling weights (batch, max_len))``.
    """

    def __init__(self, vocab_size: int, max_len: int, d_model: int, n_heads: int, d_ff: int, dropout: float = 0.0):
        super().__init__()
        vocab_size = check_int(vocab_size, "vocab_size", min_val=2)
        self.max_len = check_int(max_len, "max_len", min_val=1)
        self.d_model = check_int(d_model, "d_model", min_val=1)
        self.token_embeddings = nn.Embedding(vocab_size, d_model, padding_idx=0)
        self.positions = LearnedPositionalEncoding(max_len, d_model)
        self.embedding_dropout = nn.Dropout(dropout)
        self.block = EncoderBlock(d_model, n_heads, d_ff, dropout=dropout, activation="gelu")
        self.pooling_query = nn.Parameter(torch.randn(d_model) / math.sqrt(d_model))
        self.output = nn.Linear(d_model, 1)

    def _codes(self, codes: torch.Tensor) -> torch.Tensor:
        if not isinstance(codes, torch.Tensor) or codes.ndim != 2 or codes.shape[1] != self.max_len:
            raise ValueError(f"codes must be a (batch, {self.max_len}) tensor of ids, got {getattr(codes, 'shape', type(codes).__name__)}.")
        # make_loader hands over float32; ids below 2**24 are exact in float32.
        return codes.round().long() if codes.is_floating_point() else codes

    def _encode(self, codes: torch.Tensor):
        real = padding_mask(codes=codes)  # (batch, max_len)
        positions = torch.arange(self.max_len, device=codes.device)
        x = self.embedding_dropout(self.token_embeddings(codes) + self.positions(positions))  # (batch, max_len, d)
        return self.block(x, real), x, real

    def _pooling_weights(self, hidden: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        scores = hidden @ self.pooling_query / math.sqrt(self.d_model)  # (batch, max_len)
        return torch.softmax(scores.masked_fill(~real, float("-inf")), dim=-1)

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        codes = self._codes(codes)
        hidden, _, real = self._encode(codes)
        weights = self._pooling_weights(hidden, real)  # (batch, max_len)
        pooled = (weights.unsqueeze(-1) * hidden).sum(dim=1)  # (batch, d)
        return self.output(pooled).squeeze(-1)  # (batch,)

    @torch.no_grad()
    def attention_maps(self, codes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        codes = self._codes(codes)
        hidden, block_input, real = self._encode(codes)
        return self.block.attention_weights(block_input, real), self._pooling_weights(hidden, real)
