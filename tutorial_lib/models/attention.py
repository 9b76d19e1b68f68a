"""Scaled dot-product attention and multi-head attention, written by hand.

Attention turns each query into a weighted average of value vectors. The weights come from
how well the query matches each key:

    weights = softmax(Q Kᵀ / √d_k)  (the softmax runs over the keys, one row per query)
    output  = weights V

Dividing by √d_k keeps the scores' variance near 1 whatever the key size: if the entries of
a query and a key are independent with mean 0 and variance 1, their dot product is a sum of
d_k such products and has variance d_k. Unscaled, large d_k pushes the softmax towards a
one-hot row whose gradient is almost zero.

Masks
-----
Every mask in this module is boolean and means "may attend": ``True`` where the query may
look at the key, ``False`` where it may not. (This is the convention of
``torch.nn.functional.scaled_dot_product_attention``; ``nn.MultiheadAttention``'s
``key_padding_mask`` uses the opposite one, ``True`` = ignore.) A masked key gets weight
exactly 0. A query whose every key is masked (a padding position in a left-padded causal
sequence, for example) gets all-zero weights and a zero output vector: it averages nothing.
``F.scaled_dot_product_attention`` in PyTorch 2.5 and later returns the same zero row.

The multi-head layer keeps four separate ``nn.Linear`` layers named ``query``, ``key``,
``value`` and ``output`` so that a reader (and a weight loader for BERT) can find each
matrix; ``nn.MultiheadAttention`` packs the first three into one ``in_proj_weight``. The
functions at the end copy weights between the two.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from tutorial_lib.validation import check_int, check_real

__all__ = [
    "MultiHeadAttention",
    "causal_mask",
    "copy_multihead_attention_from_torch",
    "copy_multihead_attention_to_torch",
    "padding_mask",
    "scaled_dot_product_attention",
]


def _check_tensor(value, name: str, *, ndim_at_least: int) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}.")
    if value.ndim < ndim_at_least:
        raise ValueError(f"{name} must have at least {ndim_at_least} dimensions, got shape {tuple(value.shape)}.")
    return value


def scaled_dot_product_attention(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    mask: torch.Tensor | None = None,
    *,
    dropout: nn.Module | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """softmax(Q Kᵀ / √d_k) V, with an optional boolean mask (``True`` = may attend).

    Parameters
    ----------
    query : Tensor ``(..., q_len, d_k)``, typically ``(batch, heads, q_len, d_k)``.
    key : Tensor ``(..., k_len, d_k)``.
    value : Tensor ``(..., k_len, d_v)``. ``d_v`` need not equal ``d_k``.
    mask : bool Tensor broadcastable to ``(..., q_len, k_len)``, optional
        ``True`` where query i may attend to key j. A padding mask of shape
        ``(batch, 1, 1, k_len)`` and a causal mask of shape ``(q_len, k_len)`` both broadcast.
    dropout : nn.Module, optional
        Applied to the weights before they average the values (``nn.Dropout`` in training).

    Returns
    -------
    output : Tensor ``(..., q_len, d_v)``
    weights : Tensor ``(..., q_len, k_len)``
        The attention weights before dropout: each row sums to 1 over the keys it may attend
        to, masked keys get exactly 0, and a fully masked row is all zeros (its output is 0).
    """
    _check_tensor(query, "query", ndim_at_least=2)
    _check_tensor(key, "key", ndim_at_least=2)
    _check_tensor(value, "value", ndim_at_least=2)
    if query.shape[-1] != key.shape[-1]:
        raise ValueError(f"query and key must share their last size d_k, got {tuple(query.shape)} and {tuple(key.shape)}.")
    if key.shape[-2] != value.shape[-2]:
        raise ValueError(f"key and value must have the same number of positions, got {tuple(key.shape)} and {tuple(value.shape)}.")
    d_k = query.shape[-1]
    scores = query @ key.transpose(-2, -1) / math.sqrt(d_k)  # (..., q_len, k_len)
    if mask is None:
        weights = torch.softmax(scores, dim=-1)
    else:
        if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
            raise TypeError(f"mask must be a bool torch.Tensor (True = may attend), got {getattr(mask, 'dtype', type(mask).__name__)}.")
        try:
            mask = torch.broadcast_to(mask, scores.shape)
        except RuntimeError:
            raise ValueError(
                f"mask of shape {tuple(mask.shape)} does not broadcast to the scores' shape {tuple(scores.shape)} (..., q_len, k_len)."
            ) from None
        # A row with no allowed key would be softmax over all -inf = NaN. Give such rows
        # finite scores first, then zero every masked weight: the row becomes all zeros.
        row_has_a_key = mask.any(dim=-1, keepdim=True)  # (..., q_len, 1)
        scores = scores.masked_fill(~mask, float("-inf")).masked_fill(~row_has_a_key, 0.0)
        weights = torch.softmax(scores, dim=-1).masked_fill(~mask, 0.0)
    averaged = weights if dropout is None else dropout(weights)
    output = averaged @ value  # (..., q_len, d_v)
    return output, weights


def causal_mask(n: int, *, device: torch.device | str | None = None) -> torch.Tensor:
    """``(n, n)`` bool mask, ``True`` on and below the diagonal: position i sees positions 0..i.

    >>> causal_mask(3).int()
    tensor([[1, 0, 0],
            [1, 1, 0],
            [1, 1, 1]], dtype=torch.int32)
    """
    n = check_int(n, "n", min_val=1)
    return torch.ones(n, n, dtype=torch.bool, device=device).tril()


def padding_mask(
    *,
    lengths: torch.Tensor | None = None,
    max_len: int | None = None,
    codes: torch.Tensor | None = None,
    padding_code: int = 0,
) -> torch.Tensor:
    """``(batch, seq_len)`` bool mask, ``True`` at real tokens, ``False`` at padding.

    Give either ``codes`` (a ``(batch, seq_len)`` integer tensor in which ``padding_code``
    marks padding, wherever it sits: left or right padding both work) or ``lengths`` (a
    ``(batch,)`` integer tensor for right-padded sequences: the first ``lengths[b]`` positions
    of row b are real; ``max_len`` defaults to the largest length).

    To use it as an attention mask over keys, add the head and query axes:
    ``padding_mask(...)[:, None, None, :]`` has shape ``(batch, 1, 1, seq_len)``.

    >>> padding_mask(lengths=torch.tensor([1, 3])).int()
    tensor([[1, 0, 0],
            [1, 1, 1]], dtype=torch.int32)
    >>> padding_mask(codes=torch.tensor([[0, 0, 7], [5, 2, 7]])).int()
    tensor([[0, 0, 1],
            [1, 1, 1]], dtype=torch.int32)
    """
    if (lengths is None) == (codes is None):
        raise ValueError("padding_mask needs exactly one of lengths= or codes=.")
    if codes is not None:
        _check_tensor(codes, "codes", ndim_at_least=2)
        if codes.ndim != 2 or codes.is_floating_point() or codes.dtype == torch.bool:
            raise ValueError(f"codes must be a (batch, seq_len) integer tensor, got {codes.dtype} of shape {tuple(codes.shape)}.")
        if max_len is not None:
            raise ValueError("max_len applies to lengths=, not codes= (the codes already have their length).")
        return codes != check_int(padding_code, "padding_code")
    if not isinstance(lengths, torch.Tensor) or lengths.ndim != 1 or lengths.is_floating_point() or lengths.dtype == torch.bool:
        raise ValueError(f"lengths must be a (batch,) integer tensor, got {lengths!r}.")
    if (lengths < 0).any():
        raise ValueError(f"lengths must be non-negative, got {lengths.tolist()}.")
    longest = int(lengths.max()) if lengths.numel() else 0
    max_len = longest if max_len is None else check_int(max_len, "max_len", min_val=longest)
    positions = torch.arange(max_len, device=lengths.device)  # (seq_len,)
    return positions[None, :] < lengths[:, None]


class MultiHeadAttention(nn.Module):
    """Multi-head attention: project, split into heads, attend, concatenate, project.

    Each of the ``n_heads`` heads attends with its own slice of size ``d_head = d_model //
    n_heads`` of the projected queries, keys and values, so the heads cost together what one
    full-width head would. Every head looks at *all* positions (with a different weighting),
    not at one token each.

    Parameters
    ----------
    d_model : int
        Width of the input and output vectors.
    n_heads : int
        Number of heads; must divide ``d_model``.
    bias : bool, default True
        Whether the four linear layers have biases.
    dropout : float, default 0.0
        Dropout on the attention weights (training mode only).

    Shapes
    ------
    ``forward(query, key, value, mask)``: query ``(batch, q_len, d_model)``, key and value
    ``(batch, k_len, d_model)``, mask bool broadcastable to ``(batch, n_heads, q_len, k_len)``
    (``True`` = may attend) -> ``(output (batch, q_len, d_model), weights (batch, n_heads,
    q_len, k_len))``.
    """

    def __init__(self, d_model: int, n_heads: int, bias: bool = True, dropout: float = 0.0):
        super().__init__()
        d_model = check_int(d_model, "d_model", min_val=1)
        n_heads = check_int(n_heads, "n_heads", min_val=1)
        if d_model % n_heads:
            raise ValueError(f"n_heads must divide d_model, got d_model={d_model} and n_heads={n_heads}.")
        if not isinstance(bias, bool):
            raise TypeError(f"bias must be True or False, got {bias!r}.")
        dropout = check_real(dropout, "dropout", min_val=0, max_val=1, include_boundaries="left")
        self.d_model = d_model
        self.n_heads = n_heads
        self.d_head = d_model // n_heads
        self.query = nn.Linear(d_model, d_model, bias=bias)
        self.key = nn.Linear(d_model, d_model, bias=bias)
        self.value = nn.Linear(d_model, d_model, bias=bias)
        self.output = nn.Linear(d_model, d_model, bias=bias)
        self.dropout = nn.Dropout(dropout)

    def _split_heads(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, _ = x.shape
        # (batch, length, d_model) -> (batch, length, n_heads, d_head) -> (batch, n_heads, length, d_head)
        return x.view(batch, length, self.n_heads, self.d_head).transpose(1, 2)

    def forward(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        for name, tensor in (("query", query), ("key", key), ("value", value)):
            _check_tensor(tensor, name, ndim_at_least=3)
            if tensor.ndim != 3 or tensor.shape[-1] != self.d_model:
                raise ValueError(f"{name} must have shape (batch, length, {self.d_model}), got {tuple(tensor.shape)}.")
        queries = self._split_heads(self.query(query))  # (batch, n_heads, q_len, d_head)
        keys = self._split_heads(self.key(key))  # (batch, n_heads, k_len, d_head)
        values = self._split_heads(self.value(value))  # (batch, n_heads, k_len, d_head)
        attended, weights = scaled_dot_product_attention(queries, keys, values, mask, dropout=self.dropout)
        batch, _, q_len, _ = attended.shape
        # (batch, n_heads, q_len, d_head) -> (batch, q_len, n_heads, d_head) -> (batch, q_len, d_model)
        concatenated = attended.transpose(1, 2).reshape(batch, q_len, self.d_model)
        return self.output(concatenated), weights


def _check_pair(ours, theirs) -> None:
    if not isinstance(ours, MultiHeadAttention):
        raise TypeError(f"ours must be a MultiHeadAttention, got {type(ours).__name__}.")
    if not isinstance(theirs, nn.MultiheadAttention):
        raise TypeError(f"theirs must be an nn.MultiheadAttention, got {type(theirs).__name__}.")
    if theirs.embed_dim != ours.d_model or theirs.num_heads != ours.n_heads:
        raise ValueError(
            f"sizes differ: ours has d_model={ours.d_model}, n_heads={ours.n_heads}; "
            f"theirs has embed_dim={theirs.embed_dim}, num_heads={theirs.num_heads}."
        )
    if not theirs._qkv_same_embed_dim or theirs.bias_k is not None:
        raise ValueError("theirs must use kdim = vdim = embed_dim and add_bias_kv=False.")
    if (theirs.in_proj_bias is not None) != (ours.query.bias is not None):
        raise ValueError("one layer has biases and the other does not; construct both with the same bias setting.")


@torch.no_grad()
def copy_multihead_attention_to_torch(ours: MultiHeadAttention, theirs: nn.MultiheadAttention) -> nn.MultiheadAttention:
    """Copy our query/key/value/output weights into ``theirs`` (packed ``in_proj``); return it.

    ``in_proj_weight`` is ``(3 d_model, d_model)``: the query, key and value weights stacked
    in that order (and ``in_proj_bias`` likewise); ``out_proj`` is our ``output`` layer.
    """
    _check_pair(ours, theirs)
    theirs.in_proj_weight.copy_(torch.cat([ours.query.weight, ours.key.weight, ours.value.weight]))
    theirs.out_proj.weight.copy_(ours.output.weight)
    if theirs.in_proj_bias is not None:
        theirs.in_proj_bias.copy_(torch.cat([ours.query.bias, ours.key.bias, ours.value.bias]))
        theirs.out_proj.bias.copy_(ours.output.bias)
    return theirs


@torch.no_grad()
def copy_multihead_attention_from_torch(theirs: nn.MultiheadAttention, ours: MultiHeadAttention) -> MultiHeadAttention:
    """Copy ``theirs`` (an ``nn.MultiheadAttention``) into our layer; return ours."""
    _check_pair(ours, theirs)
    query_weight, key_weight, value_weight = theirs.in_proj_weight.chunk(3)
    ours.query.weight.copy_(query_weight)
    ours.key.weight.copy_(key_weight)
    ours.value.weight.copy_(value_weight)
    ours.output.weight.copy_(theirs.out_proj.weight)
    if theirs.in_proj_bias is not None:
        query_bias, key_bias, value_bias = theirs.in_proj_bias.chunk(3)
        ours.query.bias.copy_(query_bias)
        ours.key.bias.copy_(key_bias)
        ours.value.bias.copy_(value_bias)
        ours.output.bias.copy_(theirs.out_proj.bias)
    return ours
