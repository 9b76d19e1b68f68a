"""Text vectors from an encoder: [CLS] or mean pooling, cosine similarity, a content recommender.

An encoder such as BERT gives one vector per token, ``(batch, seq_len, hidden)``. A text
needs one vector, and there are two common ways to pool the tokens:

- **[CLS] pooling** (:func:`cls_pooling`): the vector at position 0, the ``[CLS]`` token
  every input starts with. Pre-training (next-sentence prediction) and fine-tuning train it
  to summarise the input; in a model that was not fine-tuned it is often a poor sentence
  vector (Reimers & Gurevych 2019).
- **mean pooling** (:func:`mean_pooling`): the average of the token vectors, counting real
  tokens only (``attention_mask`` 1), so that a short text padded to a long batch gets the
  same vector it would get alone.

:func:`cosine_similarity` compares vectors by angle; :func:`neighbour_agreement` measures how
often a text's nearest neighbours share its label (a quick check of what a vector space
captures). :class:`VectorContentRecommender` is the content-based recommender of chapter 7
with dense text vectors in place of TF-IDF: a user's profile is the weighted mean of the
unit-length vectors of the items in their history, and an item scores its cosine with it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import pandas as pd
import scipy.sparse
import torch

from tutorial_lib.config import ProfileConfig
from tutorial_lib.models.content import interaction_weights
from tutorial_lib.models.recommender import Recommender
from tutorial_lib.validation import check_choice, check_int, require_columns

__all__ = [
    "POOLINGS",
    "TextEmbeddingConfig",
    "VectorContentRecommender",
    "cls_pooling",
    "cosine_similarity",
    "embed_texts",
    "mean_pooling",
    "neighbour_agreement",
    "unit_rows",
]


@dataclasses.dataclass(frozen=True)
class TextEmbeddingConfig(ProfileConfig):
    """Sizes of chapter 11: which encoder, how many reviews, batches and lengths.

    ``model_name`` is a hub name (full profile, online: ``bert-base-chinese``) or
    ``"tiny-random"``: a small randomly initialised BERT of the same family with the ``tiny_*``
    sizes, saved and loaded by path (quick profile, offline). Its vectors are not semantic.
    """

    model_name: str = "bert-base-chinese"
    tiny_hidden_size: int = 64
    tiny_layers: int = 2
    tiny_heads: int = 4
    tiny_intermediate_size: int = 128
    max_length: int = 128
    batch_size: int = 32
    reviews_per_category: int = 200
    n_neighbours: int = 10
    mlm_batch_size: int = 64
    seed: int = 0

    QUICK: ClassVar[dict] = {"model_name": "tiny-random", "max_length": 64, "reviews_per_category": 60}
    QUICK_COST_LIMIT: ClassVar[int] = 10 * 60 * 64 * 64 * 2

    def cost(self) -> int:
        """Reviews encoded × tokens × width × layers (bert-base: 768 × 12)."""
        hidden, layers = (self.tiny_hidden_size, self.tiny_layers) if self.model_name == "tiny-random" else (768, 12)
        return 10 * self.reviews_per_category * self.max_length * hidden * layers


# ---------------------------------------------------------------------------------------------
# Pooling
# ---------------------------------------------------------------------------------------------
def _check_hidden_and_mask(hidden_states: torch.Tensor, attention_mask: torch.Tensor) -> None:
    if not isinstance(hidden_states, torch.Tensor) or hidden_states.ndim != 3:
        raise ValueError(f"hidden_states: expected a (batch, seq_len, hidden) tensor, got {getattr(hidden_states, 'shape', type(hidden_states).__name__)}.")
    if not isinstance(attention_mask, torch.Tensor) or tuple(attention_mask.shape) != tuple(hidden_states.shape[:2]):
        raise ValueError(f"attention_mask: expected a (batch, seq_len) = {tuple(hidden_states.shape[:2])} tensor, got {getattr(attention_mask, 'shape', type(attention_mask).__name__)}.")


def cls_pooling(hidden_states, attention_mask):
    """The first token's vector, ``[CLS]``'s.

    ``(batch, seq_len, hidden)`` -> ``(batch, hidden)``.
    """
    _check_hidden_and_mask(hidden_states, attention_mask)
    return hidden_states[:, 0]


def mean_pooling(hidden_states, attention_mask):
    """The mean of the real tokens' vectors.

    ``(batch, seq_len, hidden)`` -> ``(batch, hidden)``. ``attention_mask``
    ``(batch, seq_len)`` is 1 at real tokens (``[CLS]`` and ``[SEP]``
    included, as in sentence-transformers) and 0 at padding, left out.
    """
    _check_hidden_and_mask(hidden_states, attention_mask)
    mask = attention_mask.to(hidden_states.dtype)
    weights = mask.unsqueeze(-1)  # (batch, seq_len, 1)
    totals = (hidden_states * weights).sum(dim=1)  # (batch, hidden)
    counts = weights.sum(dim=1).clamp(min=1)  # (batch, 1); no 0/0
    return totals / counts


POOLINGS = {"cls": cls_pooling, "mean": mean_pooling}


@torch.no_grad()
def embed_texts(
    model: torch.nn.Module,
    tokenizer,
    texts: Sequence[str],
    *,
    pooling: str = "mean",
    batch_size: int = 32,
    max_length: int = 128,
) -> np.ndarray:
    """One vector per text: tokenise, run the encoder in batches, pool.

    Parameters
    ----------
    model:
        An encoder called as ``model(input_ids=..., attention_mask=..., token_type_ids=...)``
        whose output has ``last_hidden_state`` ``(batch, seq_len, hidden)``: our
        :class:`tutorial_lib.models.bert.BertEncoder` or a transformers ``BertModel``. It is
        run in eval mode (no dropout) and left in that mode.
    tokenizer:
        A :class:`tutorial_lib.data.wordpiece.WordPieceTokenizer` (its ``batch_encode`` pads
        each batch to its longest text: dynamic padding).
    pooling:
        ``"mean"`` or ``"cls"`` (:data:`POOLINGS`).

    Returns
    -------
    numpy.ndarray of float32, shape ``(len(texts), hidden)``
    """
    pool = POOLINGS[check_choice(pooling, "pooling", list(POOLINGS))]
    batch_size = check_int(batch_size, "batch_size", min_val=1)
    if isinstance(texts, str) or len(texts) == 0:
        raise ValueError("texts: expected a non-empty sequence of str.")
    model.eval()
    device = next(model.parameters()).device
    vectors = []
    for start in range(0, len(texts), batch_size):
        encoded = tokenizer.batch_encode(list(texts[start : start + batch_size]), max_length=max_length)
        batch = {name: torch.from_numpy(values).to(device) for name, values in encoded.items()}
        hidden_states = model(**batch).last_hidden_state  # (batch, seq_len, hidden)
        vectors.append(pool(hidden_states, batch["attention_mask"]).float().cpu().numpy())
    return np.concatenate(vectors)


# ---------------------------------------------------------------------------------------------
# Similarity
# ---------------------------------------------------------------------------------------------
def _as_matrix(vectors, name: str) -> np.ndarray:
    if scipy.sparse.issparse(vectors):
        vectors = vectors.toarray()
    matrix = np.asarray(vectors, dtype=np.float64)
    if matrix.ndim != 2 or not np.isfinite(matrix).all():
        raise ValueError(f"{name}: expected a finite 2-D array (n, dim), got shape {matrix.shape}.")
    return matrix


def unit_rows(vectors) -> np.ndarray:
    """Each row divided by its length (a zero row stays zero): ``(n, dim)`` -> ``(n, dim)``."""
    matrix = _as_matrix(vectors, "vectors")
    lengths = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.divide(matrix, lengths, out=np.zeros_like(matrix), where=lengths > 0)


def cosine_similarity(vectors_a, vectors_b=None) -> np.ndarray:
    """Cosines between the rows of ``vectors_a`` ``(n, dim)`` and ``vectors_b`` ``(m, dim)``.

    ``cos(a, b) = a·b / (‖a‖ ‖b‖)``, in [-1, 1]; 0 where a row is all zeros. Without
    ``vectors_b`` the rows of ``vectors_a`` are compared with each other. Returns ``(n, m)``.
    Dense arrays and scipy sparse matrices (TF-IDF) are both accepted.
    """
    a = unit_rows(vectors_a)
    b = a if vectors_b is None else unit_rows(vectors_b)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"vectors_b: expected {a.shape[1]} columns like vectors_a, got {b.shape[1]}.")
    return a @ b.T


def neighbour_agreement(vectors, labels, n_neighbours: int = 10) -> float:
    """Mean share of each row's ``n_neighbours`` nearest rows (by cosine) that share its label.

    The row itself is left out. A random vector space scores about the share of the most
    common labels (``sum(p_c²)`` over label shares ``p_c``); higher means the vectors put
    texts with the same label together. Ties in similarity are broken by row order.
    """
    labels = np.asarray(labels)
    similarity = cosine_similarity(vectors)
    n_rows = similarity.shape[0]
    n_neighbours = check_int(n_neighbours, "n_neighbours", min_val=1, max_val=n_rows - 1)
    if labels.shape != (n_rows,):
        raise ValueError(f"labels: expected {n_rows} labels, one per row of vectors, got shape {labels.shape}.")
    np.fill_diagonal(similarity, -np.inf)  # never one's own neighbour
    nearest = np.argsort(-similarity, axis=1, kind="stable")[:, :n_neighbours]  # (n_rows, n_neighbours)
    return float((labels[nearest] == labels[:, None]).mean())


# ---------------------------------------------------------------------------------------------
# The content recommender on dense vectors
# ---------------------------------------------------------------------------------------------
class VectorContentRecommender(Recommender):
    """Content-based recommendation with given item vectors (text embeddings, TF-IDF rows...).

    Parameters
    ----------
    item_vectors : pandas.DataFrame
        One row per item, indexed by item id, one column per dimension (e.g. the
        :func:`embed_texts` vector of each item's text). Rows are scaled to unit length.
    weight_col : str, optional
        A column of the interactions used as each item's weight in the user's mean (e.g.
        ``"rating"``). Default: every item of the history weighs 1.

    Attributes (after ``fit``)
    --------------------------
    item_profiles_ : numpy.ndarray, shape (n_items, dim)
        Unit-length vectors following ``item_ids_``; zeros for a catalogue item without one.
    user_profiles_ : numpy.ndarray, shape (n_users, dim)
        Unit-length weighted means following ``user_ids_``.

    ``score`` gives the cosine between the item's vector and the user's profile, so an item
    nobody has interacted with is scored like any other (content needs no interactions).
    """

    def __init__(self, item_vectors: pd.DataFrame, *, weight_col: str | None = None,
                 user_col: str = "user_id", item_col: str = "item_id"):
        super().__init__(user_col=user_col, item_col=item_col)
        if not isinstance(item_vectors, pd.DataFrame) or item_vectors.empty:
            raise ValueError("item_vectors: expected a non-empty DataFrame indexed by item id, one column per dimension.")
        if item_vectors.index.duplicated().any():
            raise ValueError("item_vectors: its index repeats item ids; give each item once.")
        self.item_vectors = item_vectors
        self.weight_col = weight_col

    def fit(self, interactions: pd.DataFrame, items=None) -> VectorContentRecommender:
        """Build the item and user profiles (see :meth:`Recommender.fit`)."""
        if self.weight_col is not None:
            require_columns(interactions, "interactions", [self.weight_col], allow_empty=False)
            weights_column = interactions[self.weight_col]
            if weights_column.isna().any() or (weights_column < 0).any():
                raise ValueError(f"interactions[{self.weight_col!r}] must hold weights >= 0 with no missing value.")
        super().fit(interactions, items=items)
        vectors = self.item_vectors.reindex(self.item_ids_).fillna(0.0)  # no vector -> zeros
        self.item_profiles_ = unit_rows(vectors.to_numpy())
        weights = interaction_weights(self, interactions, self.weight_col)
        # The mean's length does not change a cosine, so the weighted sum is enough.
        self.user_profiles_ = unit_rows(weights @ self.item_profiles_)
        return self

    def _fit(self, matrix: scipy.sparse.csr_matrix) -> None:
        """Nothing here: :meth:`fit` needs the vectors and the weights."""

    def _score(self, user_rows: np.ndarray, item_columns: np.ndarray) -> np.ndarray:
        """Cosines, shape ``(len(user_rows), len(item_columns))``."""
        return self.user_profiles_[user_rows] @ self.item_profiles_[item_columns].T
