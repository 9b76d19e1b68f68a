"""TextCNN (Kim, EMNLP 2014): a convolutional text classifier, over characters or jieba words.

A review becomes a sequence of token ids (:func:`character_tokens` or :func:`word_tokens`,
then a :class:`tutorial_lib.data.text.Vocabulary` built on the training texts). The model

1. looks every id up in an embedding table, ``(batch, seq_len) -> (batch, seq_len, d)``;
2. slides several 1-D convolutions of different widths ``k`` (Kim: 3, 4 and 5 words) over
   the sequence, ``n_filters`` filters each, followed by a ReLU: every filter becomes a
   detector of one k-gram pattern, ``(batch, n_filters, seq_len - k + 1)``;
3. keeps each filter's largest value over the positions, **max-over-time pooling**
   (时间维最大池化), so that a pattern counts wherever it occurs and texts of any length give
   a vector of the same size, ``(batch, n_filters * n_widths)``;
4. applies dropout and one linear layer to the class logits, ``(batch, n_classes)``.

Padding: a batch is padded on the right with id 0, whose embedding is fixed at zero, to the
batch's longest text, and each convolution of width ``k`` reads ``k - 1`` more zero cells
after that, so that every window that starts on a token of the text exists (the last tokens
of a short text are seen in ``k`` windows like any other). A window that starts on padding
holds no token of the text, so its value is masked out of the max (:meth:`TextCNN.forward`
takes the lengths); a text's logits then do not depend on the batch it is in.

Training (:func:`train_text_classifier`) minimises the cross-entropy of the logits with Adam,
one epoch at a time, evaluates a validation metric after each epoch and keeps the best
epoch's weights (Kim used Adadelta and a max-norm constraint on the output weights; Adam with
the defaults of :class:`TextCNNConfig` is the common modern choice). Batches come from
:func:`make_text_loader`, whose :func:`pad_batch` collate pads each batch; everything is
seeded.
"""

from __future__ import annotations

import copy
import dataclasses
import time
from collections.abc import Callable, Sequence
from typing import ClassVar

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset

from tutorial_lib.book.progress import progress_bar
from tutorial_lib.book.runtime import get_seed
from tutorial_lib.config import ProfileConfig
from tutorial_lib.data.text import Vocabulary, normalize_text, tokenize_for_model
from tutorial_lib.training import _check_device
from tutorial_lib.validation import ArgumentTypeError, check_bool, check_ids, check_int, check_real

__all__ = [
    "TOKENISERS",
    "TextCNN",
    "TextCNNConfig",
    "build_vocabulary",
    "character_tokens",
    "encode_texts",
    "make_text_loader",
    "pad_batch",
    "predict_proba",
    "train_text_classifier",
    "word_tokens",
]


# --------------------------------------------------------------------------------------
# Tokens: characters or jieba words
# --------------------------------------------------------------------------------------
def character_tokens(text: str) -> list[str]:
    """The characters of a review after :func:`~tutorial_lib.data.text.normalize_text`.

    Full-width forms become half-width, letters lower case; whitespace is dropped and
    punctuation kept (an "！" says something about a review). Chinese needs no segmenter at
    this level: every character is a token.
    """
    return [character for character in normalize_text(text) if not character.isspace()]


def word_tokens(text: str) -> list[str]:
    """jieba words without stop words: :func:`tutorial_lib.data.text.tokenize_for_model`."""
    return tokenize_for_model(text)


#: The two token levels the chapter compares, by name.
TOKENISERS: dict[str, Callable[[str], list[str]]] = {"characters": character_tokens, "words": word_tokens}


def build_vocabulary(token_lists: Sequence[Sequence[str]], *, min_freq: int = 2, max_size: int | None = None) -> Vocabulary:
    """A :class:`~tutorial_lib.data.text.Vocabulary` (0 = padding, 1 = unknown) of training texts.

    Tokens seen fewer than ``min_freq`` times map to the unknown id, as every token of a test
    text that training never saw does, so the model learns an embedding for "rare" that it
    can use at test time.
    """
    return Vocabulary(token_lists, min_freq=min_freq, max_size=max_size)


def encode_texts(token_lists: Sequence[Sequence[str]], vocabulary: Vocabulary, max_len: int) -> list[np.ndarray]:
    """Token ids of each text, cut to its first ``max_len`` tokens.

    Returns
    -------
    list of numpy.ndarray of int64, one of shape (min(n_tokens, max_len),) per text
        An empty text gives an empty array (the collate turns it into one padding cell).
    """
    if not isinstance(vocabulary, Vocabulary):
        raise ArgumentTypeError(f"vocabulary must be a tutorial_lib.data.text.Vocabulary, got {type(vocabulary).__name__}.")
    max_len = check_int(max_len, "max_len", min_val=1)
    return [np.asarray(vocabulary.encode(tokens)[:max_len], dtype=np.int64) for tokens in token_lists]


# --------------------------------------------------------------------------------------
# Batches
# --------------------------------------------------------------------------------------
class _EncodedTexts(Dataset):
    """Texts as id arrays with their class labels; item ``i`` is ``(ids, label)``."""

    def __init__(self, encoded: Sequence[np.ndarray], labels: np.ndarray):
        self.encoded = list(encoded)
        self.labels = labels

    def __len__(self) -> int:
        return len(self.encoded)

    def __getitem__(self, index: int):
        return self.encoded[index], int(self.labels[index])


def pad_batch(examples):
    """Collate ``(ids, label)`` pairs into padded tensors (the ``collate_fn`` of a loader).

    Parameters
    ----------
    examples : list of (numpy.ndarray of int64, int)
        One ``(ids, label)`` pair per text.

    Returns
    -------
    token_ids : torch.LongTensor, shape (batch, max(longest text, 1))
        Ids padded on the right with 0.
    lengths : torch.LongTensor, shape (batch,)
        Real tokens per text (0 for an empty text).
    labels : torch.LongTensor, shape (batch,)
    """
    lengths = [len(ids) for ids, _ in examples]
    width = max(max(lengths), 1)
    token_ids = torch.zeros((len(examples), width), dtype=torch.long)
    for row, (ids, _) in enumerate(examples):
        token_ids[row, : len(ids)] = torch.from_numpy(np.asarray(ids, dtype=np.int64))
    labels = torch.tensor([label for _, label in examples], dtype=torch.long)
    return token_ids, torch.tensor(lengths, dtype=torch.long), labels


def make_text_loader(
    encoded: Sequence[np.ndarray],
    labels,
    *,
    batch_size: int,
    shuffle: bool,
    seed: int | None = None,
) -> DataLoader:
    """A loader of ``(token_ids, lengths, labels)`` batches, padded by :func:`pad_batch`.

    Parameters
    ----------
    encoded : list of numpy.ndarray of int64
        Token ids of each text (:func:`encode_texts`).
    labels : array_like of int, shape (n_texts,)
        Class of each text, ``0 .. n_classes - 1``.
    batch_size : int
    shuffle : bool
        Reshuffle each epoch (training) or keep the order (prediction).
    seed : int, optional
        Seed of the loader's own shuffling generator (default: the book's seed).
    """
    label_array = check_ids(labels, "labels")
    if label_array.ndim != 1 or len(label_array) != len(encoded):
        raise ValueError(f"labels must have shape ({len(encoded)},) (one per text), got {label_array.shape}.")
    for position, ids in enumerate(encoded):
        check_ids(ids, f"encoded[{position}]")
    batch_size = check_int(batch_size, "batch_size", min_val=1)
    shuffle = check_bool(shuffle, "shuffle")
    seed = check_int(get_seed() if seed is None else seed, "seed", min_val=0)
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(
        _EncodedTexts(encoded, label_array),
        batch_size=batch_size,
        shuffle=shuffle,
        generator=generator,
        collate_fn=pad_batch,
    )


# --------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------
class TextCNN(nn.Module):
    """Embedding -> Conv1d + ReLU per width -> max over time -> linear.

    Parameters
    ----------
    vocab_size : int
        Rows of the embedding table (``len(vocabulary)``); id 0 is padding.
    n_classes : int
        Classes to predict, >= 2.
    embedding_dim : int
        ``d``, the width of a token vector.
    kernel_sizes : sequence of int
        Window widths of the convolutions, e.g. (3, 4, 5).
    n_filters : int
        Filters (output channels) per width.
    dropout : float
        Dropout on the pooled vector, in [0, 1).

    Shapes
    ------
    ``forward(token_ids (batch, seq_len), lengths (batch,) or None)``
    returns logits of shape ``(batch, n_classes)``.
    """

    def __init__(self, vocab_size: int, n_classes: int, *,
                 embedding_dim: int, kernel_sizes: Sequence[int],
                 n_filters: int, dropout: float):
        super().__init__()
        vocab_size = check_int(vocab_size, "vocab_size", min_val=2)
        n_classes = check_int(n_classes, "n_classes", min_val=2)
        d = check_int(embedding_dim, "embedding_dim", min_val=1)
        n_filters = check_int(n_filters, "n_filters", min_val=1)
        self.kernel_sizes = _check_kernel_sizes(kernel_sizes)
        dropout = check_real(dropout, "dropout", min_val=0, max_val=1,
                             include_boundaries="left")
        self.embedding = nn.Embedding(vocab_size, d, padding_idx=0)
        self.convolutions = nn.ModuleList(
            nn.Conv1d(d, n_filters, width) for width in self.kernel_sizes
        )
        self.dropout = nn.Dropout(float(dropout))
        n_pooled = n_filters * len(self.kernel_sizes)
        self.output = nn.Linear(n_pooled, n_classes)

    def pooled_features(self, token_ids, lengths=None):
        """The max-over-time vector, shape (batch, n_filters * n_widths)."""
        if token_ids.dim() != 2 or token_ids.dtype != torch.long:
            raise ValueError(
                "token_ids must be a LongTensor of shape (batch, seq_len), "
                f"got {token_ids.dtype} {tuple(token_ids.shape)}."
            )
        # Channels first for Conv1d: (batch, d, seq_len).
        embedded = self.embedding(token_ids).transpose(1, 2)
        pooled = []
        for conv, width in zip(self.convolutions, self.kernel_sizes):
            # k - 1 zero cells after the end: a window starts at every
            # position 0 .. seq_len - 1.
            padded = F.pad(embedded, (0, width - 1))
            maps = torch.relu(conv(padded))  # (batch, n_filters, seq_len)
            if lengths is not None:
                # Window t holds a token of the text when t < length (an
                # empty text keeps window 0, so that its max exists).
                starts = torch.arange(maps.shape[2], device=maps.device)
                real = starts[None, :] < lengths.clamp(min=1)[:, None]
                maps = maps.masked_fill(~real[:, None, :], float("-inf"))
            pooled.append(maps.max(dim=2).values)  # (batch, n_filters)
        return torch.cat(pooled, dim=1)

    def forward(self, token_ids, lengths=None):
        """Class logits, (batch, n_classes), of ids (batch, seq_len)."""
        features = self.pooled_features(token_ids, lengths)
        return self.output(self.dropout(features))


def _check_kernel_sizes(kernel_sizes) -> tuple[int, ...]:
    if isinstance(kernel_sizes, (str, bytes)) or not isinstance(kernel_sizes, Sequence) or not kernel_sizes:
        raise ArgumentTypeError(f"kernel_sizes must be a non-empty sequence of positive ints, got {kernel_sizes!r}.")
    return tuple(check_int(k, f"kernel_sizes[{i}]", min_val=1) for i, k in enumerate(kernel_sizes))


# --------------------------------------------------------------------------------------
# Training and prediction
# --------------------------------------------------------------------------------------
def predict_proba(model: TextCNN, loader: DataLoader) -> np.ndarray:
    """Class probabilities (softmax of the logits) of every text, in the loader's order.

    The loader must not shuffle (``make_text_loader(..., shuffle=False)``).

    Returns
    -------
    numpy.ndarray of float64, shape (n_texts, n_classes)
    """
    if not isinstance(model, nn.Module):
        raise ArgumentTypeError(f"model must be a torch.nn.Module, got {type(model).__name__}.")
    was_training = model.training
    model.eval()
    blocks = []
    device = next(model.parameters()).device  # where the model lives
    with torch.no_grad():
        for token_ids, lengths, _ in loader:
            logits = model(token_ids.to(device), lengths.to(device))
            blocks.append(torch.softmax(logits, dim=1).double().cpu().numpy())
    model.train(was_training)
    return np.concatenate(blocks)


def train_text_classifier(
    model: TextCNN,
    train_loader: DataLoader,
    *,
    epochs: int,
    learning_rate: float,
    validate: Callable[[], float],
    weight_decay: float = 0.0,
    patience: int | None = None,
    seed: int | None = None,
    progress: bool = True,
    device=None,
) -> pd.DataFrame:
    """Train with Adam on the cross-entropy; keep the epoch with the best validation metric.

    Parameters
    ----------
    model : TextCNN
        Trained in place; on return it holds the weights of the best epoch.
    train_loader : DataLoader
        ``(token_ids, lengths, labels)`` batches from :func:`make_text_loader`.
    epochs : int
        Most passes over the training texts.
    learning_rate : float
    validate : callable
        ``validate() -> float``, higher is better (e.g. validation accuracy); called after
        every epoch, with the model in evaluation mode.
    weight_decay : float, default 0
        Adam's L2 penalty.
    patience : int, optional
        Stop after this many epochs without a better validation value (None: run all).
    seed : int, optional
        Seeds torch first (initial dropout masks); default the book's seed.
    progress : bool, default True
        A bar per epoch (hidden when ``TQDM_DISABLE`` is set).
    device : str or torch.device, optional
        Where to train (default "cpu"); the model is moved there and stays there.
        :func:`predict_proba` then runs where the model is.

    Returns
    -------
    pandas.DataFrame
        One row per epoch run: ``epoch``, ``train_loss`` (mean cross-entropy per text while
        training), ``valid_metric``, ``seconds`` (training time of the epoch).
    """
    if not isinstance(model, nn.Module):
        raise ArgumentTypeError(f"model must be a torch.nn.Module, got {type(model).__name__}.")
    if not isinstance(train_loader, DataLoader):
        raise ArgumentTypeError(f"train_loader must be a DataLoader (make_text_loader), got {type(train_loader).__name__}.")
    if not callable(validate):
        raise ArgumentTypeError(f"validate must be a callable returning a number, got {type(validate).__name__}.")
    epochs = check_int(epochs, "epochs", min_val=1)
    learning_rate = check_real(learning_rate, "learning_rate", min_val=0, include_boundaries="neither")
    weight_decay = check_real(weight_decay, "weight_decay", min_val=0)
    if patience is not None:
        patience = check_int(patience, "patience", min_val=1)
    progress = check_bool(progress, "progress")
    torch.manual_seed(check_int(get_seed() if seed is None else seed, "seed", min_val=0))

    device = _check_device("cpu" if device is None else device)
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate, weight_decay=weight_decay)
    loss_fn = nn.CrossEntropyLoss()
    rows, best_value, best_state, epochs_without_gain = [], -np.inf, None, 0
    for epoch in range(1, epochs + 1):
        model.train()
        started = time.perf_counter()
        total_loss, n_texts = 0.0, 0
        for token_ids, lengths, labels in progress_bar(train_loader, description=f"epoch {epoch}", show=progress, leave=False):
            token_ids, lengths, labels = token_ids.to(device), lengths.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(token_ids, lengths), labels)  # mean over the batch
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(labels)
            n_texts += len(labels)
        seconds = time.perf_counter() - started
        model.eval()
        value = float(validate())
        rows.append({"epoch": epoch, "train_loss": total_loss / n_texts, "valid_metric": value, "seconds": seconds})
        if value > best_value:
            best_value, best_state, epochs_without_gain = value, copy.deepcopy(model.state_dict()), 0
        else:
            epochs_without_gain += 1
            if patience is not None and epochs_without_gain >= patience:
                break
    model.load_state_dict(best_state)
    model.eval()
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------
# Sizes
# --------------------------------------------------------------------------------------
# Reviews of online_shopping_10_cats after deduplication, and the training share (70 %).
_TRAIN_REVIEWS = 43_900


@dataclasses.dataclass(frozen=True)
class TextCNNConfig(ProfileConfig):
    """Data sizes, architecture and training settings of the chapter's TextCNNs.

    Field defaults are the full values: Kim's widths 3, 4, 5 and dropout 0.5, but 64
    filters per width (his: 100) and a 64-d embedding trained from scratch (his: 300-d
    word2vec), and at most 4 epochs, so that the full run fits a laptop CPU.

    Attributes
    ----------
    max_train_reviews, max_eval_reviews : int or None
        Random caps on the training and on each of the validation and test parts (None:
        all). The TF-IDF baselines use the same capped parts.
    max_characters, max_words : int
        Tokens kept per review (its start) at each level.
    min_freq : int
        Tokens seen fewer times in training map to the unknown id.
    embedding_dim, kernel_sizes, n_filters, dropout
        The architecture (:class:`TextCNN`).
    epochs, patience, batch_size, learning_rate
        Training (:func:`train_text_classifier`).
    baseline_C_grid : tuple of float
        Inverse regularisation strengths tried for the TF-IDF + logistic-regression
        baselines, the best chosen on validation accuracy.
    n_bootstrap : int
        Resamples of the test reviews for the confidence intervals.
    """

    max_train_reviews: int | None = None
    max_eval_reviews: int | None = None
    max_characters: int = 150
    max_words: int = 80
    min_freq: int = 2
    embedding_dim: int = 64
    kernel_sizes: tuple[int, ...] = (3, 4, 5)
    n_filters: int = 64
    dropout: float = 0.5
    epochs: int = 4
    patience: int = 2
    batch_size: int = 64
    learning_rate: float = 1e-3
    baseline_C_grid: tuple[float, ...] = (3.0, 30.0)
    n_bootstrap: int = 1000

    QUICK: ClassVar[dict] = {
        "max_train_reviews": 4_000,
        "max_eval_reviews": 1_500,
        "max_characters": 100,
        "max_words": 60,
        "embedding_dim": 32,
        "n_filters": 32,
        "epochs": 3,
        "baseline_C_grid": (10.0,),
        "n_bootstrap": 200,
    }
    #: The quick run trains 4 TextCNNs (2 token levels x 2 tasks).
    QUICK_COST_LIMIT: ClassVar[int] = 4 * 4_000 * 3 * 100 * 32 * 32 * 12 // 1_000_000

    def cost(self) -> int:
        """Millions of multiply-adds of the convolutions over all training epochs (rough).

        Per text and epoch: ``max_characters`` positions times ``embedding_dim`` x
        ``n_filters`` x the summed kernel widths, for 4 models.
        """
        n_train = self.max_train_reviews or _TRAIN_REVIEWS
        per_text = self.max_characters * self.embedding_dim * self.n_filters * sum(self.kernel_sizes)
        return 4 * n_train * self.epochs * per_text // 1_000_000
