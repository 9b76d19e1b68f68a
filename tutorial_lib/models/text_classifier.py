"""BERT with a linear head on [CLS], and the data side that feeds it: padding done per batch.

The sources put token-id lists of different lengths into a ``TensorDataset``, which cannot
work: a tensor is rectangular, so ragged rows must be padded to one length first, and the
attention mask must tell the encoder which positions are padding. Here each example keeps its
own length and :class:`PaddingCollator` pads each *batch* to its longest member (dynamic
padding), so a batch of short reviews costs short-review time. :class:`LengthBucketBatchSampler`
goes one step further: it groups examples of similar length into the same batch, so that
little padding is left at all.

:class:`BertClassifier` is the sources' model done right: the encoder's final hidden state at
the [CLS] position, dropout, one linear layer; one logit and ``BCEWithLogitsLoss`` for a binary
task, ``n_classes`` logits and cross-entropy for a k-way task (see
:func:`tutorial_lib.training.loop.classification_loss`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from tutorial_lib.config import ProfileConfig
from tutorial_lib.validation import ArgumentTypeError, check_bool, check_int, check_real

__all__ = ["FineTuneConfig", "TINY_MODEL", "TokenisedTextDataset", "PaddingCollator", "LengthBucketBatchSampler", "SeededBatchSampler",
           "make_text_loader", "tokenise", "BertClassifier"]


#: ``FineTuneConfig.model_name`` of the quick profile: a small BERT built from random weights.
TINY_MODEL = "tiny-random-bert"


@dataclasses.dataclass(frozen=True)
class FineTuneConfig(ProfileConfig):
    """Sizes of chapter 12's fine-tuning runs (full values; ``QUICK`` for the CPU profile).

    The full profile fine-tunes ``bert-base-chinese`` by name (on Colab, with a GPU). The quick
    profile trains a small BERT of the same family (same vocabulary and layer types) from
    **random** weights on subsamples: it shows the code runs, not what pretraining gives. A
    randomly initialised model learns from scratch, so it gets a larger learning rate than a
    pretrained one, which must only be nudged (see the chapter).
    """

    model_name: str = "bert-base-chinese"
    max_length: int = 128            # tokens per review, [CLS] and [SEP] included
    n_train: int | None = 20_000     # training examples per task (None: all); capped so that
                                     # one Colab session fits the chapter's dozen trainings
    n_eval: int | None = None        # validation and test examples each (None: all)
    epochs: int = 2
    batch_size: int = 32
    learning_rate: float = 3e-5
    warmup_fraction: float = 0.1
    history_length: int = 10         # films in a MovieLens user's history text
    history_max_length: int = 256    # tokens of a history text (titles are long)
    tiny_hidden_size: int = 32       # the tiny model (quick profile) only
    tiny_layers: int = 2
    tiny_heads: int = 2
    tiny_intermediate_size: int = 64
    lora_rank: int = 8
    lora_learning_rate: float = 3e-4  # adapters start at zero: larger steps than full fine-tuning
    cpu_threads: int = 1             # PyTorch threads on a CPU (the book's machines share cores)
    n_bootstrap: int = 1000          # resamples of each test-set interval and paired test

    QUICK: ClassVar[dict] = {"model_name": TINY_MODEL, "max_length": 64, "n_train": 800, "n_eval": 300,
                             "epochs": 3, "batch_size": 32, "learning_rate": 5e-3, "history_length": 6,
                             "history_max_length": 96,
                             "lora_learning_rate": 1e-2}
    # examples × epochs × tokens, summed over the chapter's trainings (about a dozen).
    QUICK_COST_LIMIT: ClassVar[int] = 12 * 800 * 3 * 64

    def cost(self) -> int:
        return 12 * (self.n_train or 70_000) * self.epochs * self.max_length

    @property
    def is_tiny(self) -> bool:
        """True when the run uses the small randomly initialised model, not a pretrained one."""
        return self.model_name == TINY_MODEL


# ---------------------------------------------------------------------------------------------
# Data: examples of any length, padded per batch
# ---------------------------------------------------------------------------------------------
def tokenise(tokenizer, texts: Sequence[str], max_length: int) -> list[list[int]]:
    """Token ids of each text, ``[CLS] ... [SEP]``, cut to ``max_length`` ids; no padding."""
    max_length = check_int(max_length, "max_length", min_val=2)
    if isinstance(texts, str):
        raise ArgumentTypeError("texts must be a sequence of strings, not one string.")
    encoded = tokenizer(list(texts), truncation=True, max_length=max_length, padding=False)
    return [list(ids) for ids in encoded["input_ids"]]


class TokenisedTextDataset(Dataset):
    """Examples ``{"input_ids": list of int, "labels": int}``, each of its own length.

    Parameters
    ----------
    input_ids : sequence of sequences of int
        One list of token ids per example (see :func:`tokenise`).
    labels : array_like of int, shape (n_examples,)
        The class of each example (0/1 for a binary task).
    """

    def __init__(self, input_ids: Sequence[Sequence[int]], labels):
        if isinstance(input_ids, (str, bytes)) or not hasattr(input_ids, "__len__"):
            raise ArgumentTypeError("input_ids must be a sequence of token-id lists.")
        labels = np.asarray(labels)
        if labels.ndim != 1 or len(labels) != len(input_ids):
            raise ValueError(f"labels must have shape ({len(input_ids)},), got {labels.shape}.")
        if len(input_ids) and not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(f"labels must be integers (class numbers), got dtype {labels.dtype}.")
        if any(len(ids) == 0 for ids in input_ids):
            raise ValueError("every example needs at least one token id; found an empty one.")
        self.input_ids = [list(map(int, ids)) for ids in input_ids]
        self.labels = labels.astype(np.int64)

    def __len__(self) -> int:
        return len(self.input_ids)

    def __getitem__(self, index: int) -> dict:
        return {"input_ids": self.input_ids[index], "labels": int(self.labels[index])}

    def lengths(self) -> list[int]:
        """Number of token ids of each example."""
        return [len(ids) for ids in self.input_ids]


class PaddingCollator:
    """Turns a list of examples into one batch of padded tensors.

    Returns ``{"input_ids": (batch, seq_len) long, "attention_mask": (batch, seq_len) long,
    "labels": (batch,) long}``, where ``seq_len`` is the longest example in the batch (or
    ``pad_to`` when it is set, e.g. 512 to reproduce padding to BERT's maximum length). Padding
    positions hold ``pad_token_id`` and a 0 in the mask; real tokens a 1.
    """

    def __init__(self, pad_token_id: int = 0, pad_to: int | None = None):
        self.pad_token_id = check_int(pad_token_id, "pad_token_id", min_val=0)
        self.pad_to = None if pad_to is None else check_int(pad_to, "pad_to", min_val=1)

    def __call__(self, examples: Sequence[dict]) -> dict[str, torch.Tensor]:
        if not examples:
            raise ValueError("cannot collate an empty list of examples.")
        longest = max(len(example["input_ids"]) for example in examples)
        seq_len = longest if self.pad_to is None else self.pad_to
        if longest > seq_len:
            raise ValueError(f"an example has {longest} tokens, more than "
                             f"pad_to={seq_len}; truncate first.")
        shape = (len(examples), seq_len)
        input_ids = torch.full(shape, self.pad_token_id, dtype=torch.long)
        attention_mask = torch.zeros(shape, dtype=torch.long)
        for row, example in enumerate(examples):
            ids = torch.as_tensor(example["input_ids"], dtype=torch.long)
            input_ids[row, : len(ids)] = ids
            attention_mask[row, : len(ids)] = 1  # real tokens; 0 = padding
        labels = torch.as_tensor([example["labels"] for example in examples],
                                 dtype=torch.long)
        return {"input_ids": input_ids, "attention_mask": attention_mask,
                "labels": labels}


class SeededBatchSampler(Sampler):
    """Batches of indices, reshuffled every epoch from ``(seed, epoch)`` only.

    The training loop calls :meth:`set_epoch` before each epoch, so epoch 3's order is the same
    whether the run started at epoch 1 or resumed at epoch 3.
    """

    def __init__(self, n_examples: int, batch_size: int, shuffle: bool = True, seed: int = 0):
        self.n_examples = check_int(n_examples, "n_examples", min_val=1)
        self.batch_size = check_int(batch_size, "batch_size", min_val=1)
        self.shuffle = check_bool(shuffle, "shuffle")
        self.seed = check_int(seed, "seed", min_val=0)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = check_int(epoch, "epoch", min_val=0)

    def _order(self) -> np.ndarray:
        if not self.shuffle:
            return np.arange(self.n_examples)
        return np.random.default_rng([self.seed, self.epoch]).permutation(self.n_examples)

    def __iter__(self):
        order = self._order()
        for start in range(0, self.n_examples, self.batch_size):
            yield order[start : start + self.batch_size].tolist()

    def __len__(self) -> int:
        return math.ceil(self.n_examples / self.batch_size)


class LengthBucketBatchSampler(SeededBatchSampler):
    """Batches of examples of similar length: little padding, still a random order.

    Each epoch: shuffle all indices; cut them into pools of ``batch_size * pool_batches``; sort
    each pool by length and cut it into batches; shuffle the batches. Within a pool, neighbours
    in length share a batch, so a batch's padding is small; the pools and the final shuffle keep
    the batches' order (and their mix of lengths across the epoch) random.
    """

    def __init__(self, lengths: Sequence[int], batch_size: int, shuffle: bool = True, seed: int = 0,
                 pool_batches: int = 50):
        super().__init__(len(lengths), batch_size, shuffle, seed)
        self.lengths = np.asarray(lengths)
        self.pool_batches = check_int(pool_batches, "pool_batches", min_val=1)

    def __iter__(self):
        order = self._order()
        pool_size = self.batch_size * self.pool_batches
        batches = []
        for start in range(0, len(order), pool_size):
            pool = order[start : start + pool_size]
            pool = pool[np.argsort(self.lengths[pool], kind="stable")]
            batches.extend(pool[i : i + self.batch_size].tolist() for i in range(0, len(pool), self.batch_size))
        if self.shuffle:
            permutation = np.random.default_rng([self.seed, self.epoch, 1]).permutation(len(batches))
            batches = [batches[i] for i in permutation]
        yield from batches


def make_text_loader(dataset: TokenisedTextDataset, batch_size: int, *, shuffle: bool = False, seed: int = 0,
                     pad_token_id: int = 0, bucket_by_length: bool = False, pad_to: int | None = None,
                     sampler=None) -> DataLoader:
    """A ``DataLoader`` of padded dict batches (see :class:`PaddingCollator`).

    ``shuffle`` reshuffles every epoch (from ``seed`` and the epoch: see
    :class:`SeededBatchSampler`); ``bucket_by_length`` groups similar lengths
    (:class:`LengthBucketBatchSampler`); ``pad_to`` pads every batch to a fixed length instead
    of its longest example. ``sampler`` (e.g. a ``DistributedSampler``) replaces our batching:
    the loader then draws ``batch_size`` examples at a time from it.
    """
    if not isinstance(dataset, TokenisedTextDataset):
        raise ArgumentTypeError(f"dataset must be a TokenisedTextDataset, got {type(dataset).__name__}.")
    batch_size = check_int(batch_size, "batch_size", min_val=1)
    collate = PaddingCollator(pad_token_id, pad_to)
    if sampler is not None:
        return DataLoader(dataset, batch_size=batch_size, sampler=sampler, collate_fn=collate)
    if bucket_by_length:
        batch_sampler = LengthBucketBatchSampler(dataset.lengths(), batch_size, shuffle, seed)
    else:
        batch_sampler = SeededBatchSampler(len(dataset), batch_size, shuffle, seed)
    return DataLoader(dataset, batch_sampler=batch_sampler, collate_fn=collate)


# ---------------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------------
class BertClassifier(torch.nn.Module):
    """A BERT encoder, dropout, and one linear layer on the [CLS] position's final hidden state.

    Parameters
    ----------
    encoder : transformers ``BertModel`` (or any model returning ``last_hidden_state``)
        E.g. ``load_encoder_model("bert-base-chinese", task="encoder")`` or
        ``tiny_bert(task="encoder")`` from :mod:`tutorial_lib.models.pretrained`.
    n_classes : int
        2 gives one logit (binary cross-entropy); k > 2 gives k logits (cross-entropy).
    dropout : float
        Dropout on the [CLS] vector before the head (BERT's fine-tuning value is 0.1).

    ``forward(input_ids, attention_mask, token_type_ids=None)`` takes ``(batch, seq_len)``
    tensors and returns logits of shape ``(batch,)`` (binary) or ``(batch, n_classes)``.
    """

    def __init__(self, encoder: torch.nn.Module, n_classes: int, dropout: float = 0.1):
        super().__init__()
        if not isinstance(encoder, torch.nn.Module):
            raise ArgumentTypeError(f"encoder must be a torch.nn.Module, got {type(encoder).__name__}.")
        self.n_classes = check_int(n_classes, "n_classes", min_val=2)
        self.encoder = encoder
        if getattr(encoder, "pooler", None) is not None:
            # BERT's pooler (a tanh layer trained for next-sentence prediction) is not used: the
            # head reads the [CLS] hidden state itself. Removed, so that every parameter gets a
            # gradient (DistributedDataParallel requires that) and none is stored for nothing.
            encoder.pooler = None
        hidden_size = encoder.config.hidden_size
        self.dropout = torch.nn.Dropout(check_real(dropout, "dropout", min_val=0, max_val=1, include_boundaries="left"))
        self.head = torch.nn.Linear(hidden_size, 1 if self.n_classes == 2 else self.n_classes)
        # The head starts small, like BERT's own layers (normal with std = initializer_range).
        std = getattr(encoder.config, "initializer_range", 0.02)
        torch.nn.init.normal_(self.head.weight, std=std)
        torch.nn.init.zeros_(self.head.bias)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                token_type_ids: torch.Tensor | None = None) -> torch.Tensor:
        hidden = self.encoder(
            input_ids=input_ids, attention_mask=attention_mask,
            token_type_ids=token_type_ids,
        ).last_hidden_state  # (batch, seq_len, hidden)
        cls_vector = hidden[:, 0]  # (batch, hidden): the [CLS] position
        logits = self.head(self.dropout(cls_vector))  # (batch, 1 or n_classes)
        return logits[:, 0] if self.n_classes == 2 else logits

    def predict_proba(self, logits: torch.Tensor) -> torch.Tensor:
        """Probabilities from logits: ``(batch,)`` P(class 1), or ``(batch, n_classes)`` softmax."""
        return torch.sigmoid(logits) if self.n_classes == 2 else torch.softmax(logits, dim=-1)
