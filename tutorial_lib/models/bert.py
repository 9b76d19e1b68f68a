"""Our BERT: embeddings + the encoder blocks of chapter 10 + the pooler, and BERT's weights in it.

BERT (Devlin et al. 2019) is a stack of post-norm Transformer encoder blocks with GELU and
``layer_norm_eps=1e-12`` (:class:`tutorial_lib.models.transformer.EncoderBlock`), read by
three small pieces of its own:

- :class:`BertEmbeddings`: the input of position ``t`` is ``LayerNorm(word[id_t] +
  position[t] + segment[type_t])`` followed by dropout; the three tables are learned.
- the blocks, each ``(batch, seq_len, hidden) -> (batch, seq_len, hidden)``;
- :class:`BertPooler`: ``tanh(W h_[CLS] + b)``, the vector BERT's next-sentence head was
  trained on (and what ``BertForSequenceClassification`` puts its linear head on).

:func:`load_bert_weights` copies the parameters of a transformers ``BertModel`` into ours,
name by name (:func:`hf_to_our_name` is the whole mapping). It refuses to guess: a parameter
of theirs that has no name of ours, a parameter of ours left unfilled, or a shape that differs
raises an error that lists them. ``tests/test_bert.py`` checks that the outputs then agree to
1e-5 (in eval mode; in training mode the dropout masks differ, and our feed-forward applies
dropout to its hidden layer as ``nn.TransformerEncoderLayer`` does, where BERT does not).
"""

from __future__ import annotations

import dataclasses
import re
from typing import NamedTuple

import torch
from torch import nn

from tutorial_lib.models.transformer import EncoderBlock
from tutorial_lib.validation import check_int, check_real

__all__ = [
    "BertEmbeddings",
    "BertEncoder",
    "BertOutput",
    "BertPooler",
    "BertSizes",
    "hf_to_our_name",
    "bert_from_hf",
    "load_bert_weights",
]


@dataclasses.dataclass(frozen=True)
class BertSizes:
    """The sizes of a BERT model. Defaults: bert-base-chinese (102 million parameters).

    ``from_hf_config`` reads them from a transformers ``BertConfig``.
    """

    vocab_size: int = 21128
    hidden_size: int = 768
    n_layers: int = 12
    n_heads: int = 12
    intermediate_size: int = 3072
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    dropout: float = 0.1
    layer_norm_eps: float = 1e-12
    pad_token_id: int = 0

    def __post_init__(self) -> None:
        for name in ("vocab_size", "hidden_size", "n_layers", "n_heads", "intermediate_size", "max_position_embeddings", "type_vocab_size"):
            check_int(getattr(self, name), name, min_val=1)
        check_int(self.pad_token_id, "pad_token_id", min_val=0, max_val=self.vocab_size - 1)
        check_real(self.dropout, "dropout", min_val=0, max_val=1, include_boundaries="left")
        check_real(self.layer_norm_eps, "layer_norm_eps", min_val=0, include_boundaries="neither")
        if self.hidden_size % self.n_heads:
            raise ValueError(f"n_heads must divide hidden_size, got hidden_size={self.hidden_size} and n_heads={self.n_heads}.")

    @classmethod
    def from_hf_config(cls, config) -> BertSizes:
        """Sizes of a transformers ``BertConfig``; raises if it is not a plain BERT we can build."""
        if getattr(config, "hidden_act", "gelu") != "gelu":
            raise ValueError(f"config: hidden_act must be 'gelu' (the exact erf GELU), got {config.hidden_act!r}.")
        if getattr(config, "position_embedding_type", "absolute") != "absolute":
            raise ValueError(f"config: position_embedding_type must be 'absolute', got {config.position_embedding_type!r}.")
        if config.hidden_dropout_prob != config.attention_probs_dropout_prob:
            raise ValueError(
                "config: our blocks use one dropout rate; hidden_dropout_prob and "
                f"attention_probs_dropout_prob differ ({config.hidden_dropout_prob} and {config.attention_probs_dropout_prob})."
            )
        return cls(
            vocab_size=config.vocab_size,
            hidden_size=config.hidden_size,
            n_layers=config.num_hidden_layers,
            n_heads=config.num_attention_heads,
            intermediate_size=config.intermediate_size,
            max_position_embeddings=config.max_position_embeddings,
            type_vocab_size=config.type_vocab_size,
            dropout=config.hidden_dropout_prob,
            layer_norm_eps=config.layer_norm_eps,
            pad_token_id=config.pad_token_id if config.pad_token_id is not None else 0,
        )


class BertEmbeddings(nn.Module):
    """``LayerNorm(word[id] + position[t] + segment[type])``, then dropout.

    Shapes: ``input_ids`` and ``token_type_ids`` ``(batch, seq_len)`` ->
    ``(batch, seq_len, hidden_size)``.
    """

    def __init__(self, sizes: BertSizes) -> None:
        super().__init__()
        hidden = sizes.hidden_size
        self.word = nn.Embedding(
            sizes.vocab_size, hidden, padding_idx=sizes.pad_token_id)
        self.position = nn.Embedding(sizes.max_position_embeddings, hidden)
        self.segment = nn.Embedding(sizes.type_vocab_size, hidden)
        self.norm = nn.LayerNorm(hidden, eps=sizes.layer_norm_eps)
        self.dropout = nn.Dropout(sizes.dropout)

    def forward(self, input_ids, token_type_ids):
        seq_len = input_ids.shape[1]
        positions = torch.arange(seq_len, device=input_ids.device)
        summed = (
            self.word(input_ids)  # (batch, seq_len, hidden)
            + self.position(positions)  # (seq_len, hidden), broadcast
            + self.segment(token_type_ids)  # (batch, seq_len, hidden)
        )
        return self.dropout(self.norm(summed))


class BertPooler(nn.Module):
    """``tanh(dense(h_[CLS]))``: ``(batch, seq_len, hidden)`` -> ``(batch, hidden)``."""

    def __init__(self, hidden_size: int) -> None:
        super().__init__()
        self.dense = nn.Linear(hidden_size, hidden_size)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.dense(hidden_states[:, 0]))  # position 0 holds [CLS]


class BertOutput(NamedTuple):
    """``last_hidden_state`` ``(batch, seq_len, hidden)`` and ``pooler_output`` ``(batch, hidden)``."""

    last_hidden_state: torch.Tensor
    pooler_output: torch.Tensor


class BertEncoder(nn.Module):
    """BERT written with the book's own blocks: embeddings, ``n_layers`` encoder blocks, pooler.

    Parameters
    ----------
    sizes:
        :class:`BertSizes` (default: bert-base-chinese's).

    Shapes
    ------
    ``forward(input_ids, attention_mask=None, token_type_ids=None)``: each ``(batch,
    seq_len)`` integer tensor, ``attention_mask`` 1 at real tokens and 0 at padding (as a
    tokenizer returns it) -> :class:`BertOutput`. Vectors at padding positions are computed but
    meaningless; poolers must ignore them (:mod:`tutorial_lib.models.text_embeddings`).
    """

    def __init__(self, sizes: BertSizes | None = None) -> None:
        super().__init__()
        self.sizes = BertSizes() if sizes is None else sizes
        if not isinstance(self.sizes, BertSizes):
            raise TypeError(f"sizes: expected a BertSizes, got {type(sizes).__name__}.")
        self.embeddings = BertEmbeddings(self.sizes)
        self.blocks = nn.ModuleList(
            EncoderBlock(
                self.sizes.hidden_size,
                self.sizes.n_heads,
                self.sizes.intermediate_size,
                dropout=self.sizes.dropout,
                activation="gelu",
                norm_first=False,
                layer_norm_eps=self.sizes.layer_norm_eps,
            )
            for _ in range(self.sizes.n_layers)
        )
        self.pooler = BertPooler(self.sizes.hidden_size)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
    ) -> BertOutput:
        if not isinstance(input_ids, torch.Tensor) or input_ids.ndim != 2 or input_ids.is_floating_point():
            raise ValueError(f"input_ids: expected an integer tensor (batch, seq_len), got {getattr(input_ids, 'shape', type(input_ids).__name__)}.")
        if input_ids.shape[1] > self.sizes.max_position_embeddings:
            raise ValueError(f"input_ids: {input_ids.shape[1]} tokens, more than max_position_embeddings={self.sizes.max_position_embeddings}; truncate first.")
        for name, tensor in (("attention_mask", attention_mask), ("token_type_ids", token_type_ids)):
            if tensor is not None and (not isinstance(tensor, torch.Tensor) or tensor.shape != input_ids.shape):
                raise ValueError(f"{name}: expected a tensor of shape {tuple(input_ids.shape)} like input_ids, got {getattr(tensor, 'shape', type(tensor).__name__)}.")
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        padding_mask = None if attention_mask is None else attention_mask.bool()  # True at real tokens
        hidden = self.embeddings(input_ids, token_type_ids)  # (batch, seq_len, hidden)
        for block in self.blocks:
            hidden = block(hidden, padding_mask)
        return BertOutput(hidden, self.pooler(hidden))


# ---------------------------------------------------------------------------------------------
# transformers' BertModel -> ours
# ---------------------------------------------------------------------------------------------
_FIXED_NAMES = {
    "embeddings.word_embeddings": "embeddings.word",
    "embeddings.position_embeddings": "embeddings.position",
    "embeddings.token_type_embeddings": "embeddings.segment",
    "embeddings.LayerNorm": "embeddings.norm",
    "pooler.dense": "pooler.dense",
}
_LAYER_PARTS = {
    "attention.self.query": "attention.query",
    "attention.self.key": "attention.key",
    "attention.self.value": "attention.value",
    "attention.output.dense": "attention.output",
    "attention.output.LayerNorm": "attention_norm",
    "intermediate.dense": "feed_forward.input",
    "output.dense": "feed_forward.output",
    "output.LayerNorm": "feed_forward_norm",
}
_LAYER_NAME = re.compile(r"encoder\.layer\.(\d+)\.(.+)\.(weight|bias)")


def hf_to_our_name(name: str) -> str | None:
    """Our name for a parameter of ``BertModel``; None if there is none.

    ``encoder.layer.3.attention.self.query.weight`` becomes
    ``blocks.3.attention.query.weight``, and
    ``embeddings.token_type_embeddings.weight`` becomes
    ``embeddings.segment.weight``.
    """
    module, _, kind = name.rpartition(".")
    if module in _FIXED_NAMES and kind in ("weight", "bias"):
        return f"{_FIXED_NAMES[module]}.{kind}"
    match = _LAYER_NAME.fullmatch(name)
    if match and match.group(2) in _LAYER_PARTS:
        layer, part, kind = match.groups()
        return f"blocks.{layer}.{_LAYER_PARTS[part]}.{kind}"
    return None


def _bare_bert(hf_model) -> nn.Module:
    """The ``BertModel`` itself, also when it sits inside ``BertFor...`` as ``.bert``."""
    inner = getattr(hf_model, "bert", hf_model)
    if not isinstance(inner, nn.Module) or not hasattr(inner, "embeddings") or not hasattr(inner, "encoder"):
        raise TypeError(f"hf_model: expected a transformers BertModel (or a BertFor... model with .bert), got {type(hf_model).__name__}.")
    if getattr(inner, "pooler", None) is None:
        raise ValueError("hf_model: this BertModel has no pooler (add_pooling_layer=False); ours always has one.")
    return inner


@torch.no_grad()
def load_bert_weights(ours: BertEncoder, hf_model) -> BertEncoder:
    """Copy every parameter of a transformers ``BertModel`` into ``ours``; return ``ours``.

    Raises ``ValueError`` listing the names when one of their parameters has no counterpart
    (:func:`hf_to_our_name` returns None), when one of ours is left unfilled, or when shapes
    differ. Buffers (``position_ids``) are not parameters and are not copied.
    """
    if not isinstance(ours, BertEncoder):
        raise TypeError(f"ours: expected a BertEncoder, got {type(ours).__name__}.")
    bare = _bare_bert(hf_model)
    if hasattr(bare, "config"):
        their_sizes = dataclasses.replace(BertSizes.from_hf_config(bare.config), dropout=ours.sizes.dropout)
        if their_sizes != ours.sizes:
            raise ValueError(f"hf_model: its config gives {their_sizes}, ours was built with {ours.sizes}.")
    theirs = dict(bare.named_parameters())
    our_parameters = dict(ours.named_parameters())
    unmapped = [name for name in theirs if hf_to_our_name(name) not in our_parameters]
    if unmapped:
        raise ValueError(f"hf_model: {len(unmapped)} parameters have no counterpart in ours: {unmapped[:10]}.")
    mapped = {hf_to_our_name(name): parameter for name, parameter in theirs.items()}
    unfilled = sorted(set(our_parameters) - set(mapped))
    if unfilled:
        raise ValueError(f"ours: {len(unfilled)} parameters would stay unfilled (the sizes differ?): {unfilled[:10]}.")
    wrong_shapes = [f"{name}: ours {tuple(our_parameters[name].shape)}, theirs {tuple(value.shape)}"
                    for name, value in mapped.items() if our_parameters[name].shape != value.shape]
    if wrong_shapes:
        raise ValueError(f"hf_model: shapes differ from ours: {wrong_shapes[:5]}.")
    for name, value in mapped.items():
        our_parameters[name].copy_(value)
    return ours


def bert_from_hf(hf_model) -> BertEncoder:
    """A :class:`BertEncoder` with the sizes of ``hf_model``'s config and its weights, in eval mode."""
    ours = BertEncoder(BertSizes.from_hf_config(_bare_bert(hf_model).config))
    return load_bert_weights(ours, hf_model).eval()
