"""What every sequential recommender (序列推荐) of the book shares: sequences, scoring, training.

A sequential model predicts a user's *next* item from the items before it, in time order.
The book's protocol (``book/evaluation_protocol.md`` and the sequence chapters) is:

- **Training**: next-item prediction on the users' train sequences only, with full softmax
  cross-entropy over every item (:func:`next_item_loss`), Adam, and early stopping on the
  validation NDCG@10 (:func:`train_next_item`); the best epoch's weights are kept.
- **Validation target**: the model reads the user's train sequence (what ``fit`` stored).
- **Test target**: the model is *not* retrained; :meth:`SequentialRecommender.with_history`
  gives a scorer that shares the trained network and reads the train + valid sequence. The
  classical models of the same tables are refit on train + valid instead
  (:func:`refit_on_train_and_valid`), so every model sees the same information.

:class:`SequentialRecommender` plugs into the shared top-N interface
(:class:`tutorial_lib.models.recommender.Recommender`), so
:func:`tutorial_lib.evaluation.protocols.evaluate_top_n` evaluates it like any other model.
A subclass (Caser, GRU4Rec, SASRec) implements two methods:

- ``_fit_sequences(sequences)``: build ``self.network_`` (a ``torch.nn.Module``) and train
  it, usually with :func:`train_next_item`, passing ``validate=self._validator()``.
- ``_score_codes(inputs)``: from a ``LongTensor`` of shape ``(batch, max_len)`` (the last
  ``max_len`` codes of each user, left-padded with 0) return scores of shape
  ``(batch, n_items + 1)``; column 0 is padding and is dropped by the base class, so it is
  never returned or recommended.
"""

from __future__ import annotations

import copy
import dataclasses
import time
from collections.abc import Callable
from typing import ClassVar

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from tutorial_lib.book.progress import progress_bar
from tutorial_lib.book.runtime import get_device, get_seed
from tutorial_lib.config import ProfileConfig
from tutorial_lib.data.sequences import PADDING, left_pad, user_sequences
from tutorial_lib.evaluation import protocols
from tutorial_lib.models.ncf import torch_threads
from tutorial_lib.models.recommender import Recommender
from tutorial_lib.training import _check_device
from tutorial_lib.validation import (
    ArgumentTypeError,
    check_bool,
    check_int,
    check_positive_int,
    check_real,
    check_timestamps,
    require_columns,
)

__all__ = [
    "NextItemTrainingConfig",
    "SequentialRecommender",
    "next_item_loss",
    "refit_on_train_and_valid",
    "train_next_item",
]

#: The validation metric of early stopping: NDCG at this cut-off, full ranking.
VALIDATION_CUTOFF = 10


# --------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class NextItemTrainingConfig(ProfileConfig):
    """The training settings every sequential model has (a model's config may extend it).

    Attributes
    ----------
    epochs : int
        The most epochs to train; early stopping may end sooner.
    learning_rate : float
        Adam's step size.
    weight_decay : float
        Adam's L2 penalty on every weight.
    patience : int
        Stop after this many epochs without a better validation NDCG@10.
    batch_size : int
        Training examples per optimiser step.
    """

    epochs: int = 200
    learning_rate: float = 1e-3
    weight_decay: float = 0.0
    patience: int = 10
    batch_size: int = 128

    QUICK: ClassVar[dict] = {"epochs": 10, "patience": 3}
    N_SEQUENCES: ClassVar[int] = 943  # one per user of MovieLens 100K
    QUICK_COST_LIMIT: ClassVar[int] = 943 * 10

    def cost(self) -> int:
        """Sequences read: users x epochs (a model's own config counts its real work)."""
        return self.N_SEQUENCES * self.epochs


# --------------------------------------------------------------------------------------
# The loss and the training loop
# --------------------------------------------------------------------------------------
def next_item_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean softmax cross-entropy of the target items over every item, padding ignored.

    Column 0 of ``logits`` (padding) takes no part in the softmax: the normaliser runs over
    the ``n_items`` real items only. Targets equal to :data:`PADDING` count for nothing.

    Parameters
    ----------
    logits : torch.Tensor of float
        ``(batch, n_items + 1)`` with ``targets`` ``(batch,)``: one prediction per row;
        ``(batch, seq_len, n_items + 1)`` with ``targets`` ``(batch, seq_len)``: one per
        position (SASRec, GRU4Rec); or ``(batch, n_items + 1)`` with ``targets``
        ``(batch, n_targets)``: each of a row's targets against the same scores (Caser).
    targets : torch.LongTensor
        Item codes ``1..n_items``, or 0 where there is no target.

    Returns
    -------
    torch.Tensor, shape ()
        The mean over the targets that are not padding (0 when there are none).
    """
    if logits.ndim == targets.ndim:
        if logits.ndim != 2:
            raise ValueError(
                f"logits and targets: with equal ranks both must be 2-D (batch, n_items + 1) and "
                f"(batch, n_targets), got {tuple(logits.shape)} and {tuple(targets.shape)}."
            )
        logits = logits.unsqueeze(1).expand(-1, targets.shape[1], -1)  # (batch, n_targets, n_items + 1)
    if logits.ndim != targets.ndim + 1 or logits.shape[:-1] != targets.shape:
        raise ValueError(
            f"logits of shape {tuple(logits.shape)} do not fit targets of shape {tuple(targets.shape)}; "
            "expected logits (..., n_items + 1) over targets (...)."
        )
    item_logits = logits[..., 1:].reshape(-1, logits.shape[-1] - 1)  # drop the padding column
    item_targets = targets.reshape(-1) - 1  # code c is column c - 1; padding becomes -1
    if not (item_targets >= 0).any():
        return item_logits.sum() * 0.0  # nothing to learn from; keeps the graph connected
    return F.cross_entropy(item_logits, item_targets, ignore_index=PADDING - 1)


def _to_device(batch_part, device: torch.device):
    if isinstance(batch_part, torch.Tensor):
        return batch_part.to(device)
    if isinstance(batch_part, (tuple, list)):
        return tuple(part.to(device) for part in batch_part)
    raise TypeError(
        f"make_batches must yield (inputs, targets) with tensors (or tuples of tensors), got {type(batch_part).__name__}."
    )


def train_next_item(
    model: nn.Module,
    make_batches: Callable,
    *,
    epochs: int,
    learning_rate: float = 1e-3,
    weight_decay: float = 0.0,
    patience: int | None = None,
    validate: Callable | None = None,
    seed: int | None = None,
    progress: bool = True,
    loss_fn: Callable = next_item_loss,
) -> pd.DataFrame:
    """Train ``model`` for next-item prediction with Adam; stop early on validation NDCG@10.

    Every epoch calls ``make_batches(rng)`` for a fresh iterable of ``(inputs, targets)``
    (``rng`` is a ``numpy.random.Generator`` seeded once with ``seed``, to shuffle with),
    takes one Adam step per batch on ``loss_fn(model(*inputs), targets)`` (``inputs`` a tensor
    or a tuple of tensors; they are moved to the model's device), then calls ``validate()``
    with the model in eval mode and gradients off. The weights of the epoch with the best
    validation value are kept in memory and put back at the end: after an early stop, and
    also when the last epoch was not the best.

    Parameters
    ----------
    model : torch.nn.Module
        Returns logits of shape ``(..., n_items + 1)`` (see :func:`next_item_loss`).
    make_batches : callable
        ``make_batches(rng) -> iterable of (inputs, targets)``.
    epochs : int
        The most epochs, >= 1.
    learning_rate, weight_decay : float
        Adam's settings (> 0 and >= 0).
    patience : int or None
        Stop after this many epochs in a row without a better validation value; None trains
        all ``epochs`` (the best epoch is still restored).
    validate : callable or None
        ``validate() -> float``, higher is better (the validation NDCG@10). None: no early
        stopping, the last epoch's weights are kept, the ``valid_ndcg`` column is NaN.
    seed : int or None
        Seeds ``rng`` and torch (dropout); None uses the book's seed. Seed torch yourself
        before building the model to fix its initial weights.
    progress : bool, default True
        A tqdm bar over each epoch's batches (none when ``TQDM_DISABLE`` is set).
    loss_fn : callable, default :func:`next_item_loss`
        ``loss_fn(logits, targets) -> scalar tensor``.

    Returns
    -------
    pandas.DataFrame, shape (n_epochs_run, 5)
        Columns ``epoch`` (from 1), ``loss`` (mean training loss over the epoch's batches),
        ``valid_ndcg`` (``validate()`` after the epoch), ``seconds`` (training time of the
        epoch, validation excluded) and ``valid_seconds``. ``frame.attrs["best_epoch"]`` is
        the epoch whose weights the model holds on return.
    """
    if not isinstance(model, nn.Module):
        raise ArgumentTypeError(f"model must be a torch.nn.Module, got {type(model).__name__}.")
    if not callable(make_batches):
        raise ArgumentTypeError(f"make_batches must be a callable make_batches(rng), got {type(make_batches).__name__}.")
    if validate is not None and not callable(validate):
        raise ArgumentTypeError(f"validate must be a callable returning NDCG@10, or None, got {type(validate).__name__}.")
    epochs = check_positive_int(epochs, "epochs")
    learning_rate = check_real(learning_rate, "learning_rate", min_val=0.0, include_boundaries="neither")
    weight_decay = check_real(weight_decay, "weight_decay", min_val=0.0)
    patience = None if patience is None else check_positive_int(patience, "patience")
    seed = check_int(get_seed() if seed is None else seed, "seed", min_val=0)
    progress = check_bool(progress, "progress")

    device = next(model.parameters()).device
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate, weight_decay=weight_decay)
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    rows = []
    best_value, best_epoch, best_state = -np.inf, None, None
    for epoch in range(1, epochs + 1):
        model.train()
        started = time.perf_counter()
        total_loss, n_batches = 0.0, 0
        for inputs, targets in progress_bar(make_batches(rng), description=f"epoch {epoch}", show=progress, leave=False):
            inputs = _to_device(inputs, device)
            targets = _to_device(targets, device)
            logits = model(*inputs) if isinstance(inputs, tuple) else model(inputs)
            loss = loss_fn(logits, targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total_loss += loss.item()
            n_batches += 1
        if n_batches == 0:
            raise ValueError("make_batches(rng) yielded no batches; there is nothing to train on.")
        seconds = time.perf_counter() - started

        model.eval()
        started = time.perf_counter()
        if validate is None:
            value = float("nan")
        else:
            with torch.no_grad():
                value = float(validate())
        valid_seconds = time.perf_counter() - started
        rows.append({"epoch": epoch, "loss": total_loss / n_batches, "valid_ndcg": value,
                     "seconds": seconds, "valid_seconds": valid_seconds})

        if validate is None:
            best_epoch = epoch
            continue
        if value > best_value:
            best_value, best_epoch = value, epoch
            best_state = copy.deepcopy(model.state_dict())
        elif patience is not None and epoch - best_epoch >= patience:
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    history = pd.DataFrame(rows, columns=["epoch", "loss", "valid_ndcg", "seconds", "valid_seconds"])
    history.attrs["best_epoch"] = best_epoch
    return history


# --------------------------------------------------------------------------------------
# The base class
# --------------------------------------------------------------------------------------
class SequentialRecommender(Recommender):
    """Base class of the sequential recommenders (see the module docstring).

    Parameters
    ----------
    max_len : int
        How many of a user's last items the network reads when scoring (SASRec's n,
        Caser's L).
    time_col : str, default "timestamp"
        The time column of the frames given to :meth:`fit` and :meth:`with_history`.
    device : str, optional
        ``"cpu"`` or ``"cuda"``; default :func:`tutorial_lib.book.runtime.get_device`.
    seed : int, optional
        For the subclass's initial weights and batches; default the book's seed.
    n_threads : int or None, default 1
        CPU threads PyTorch may use while fitting and scoring; None leaves it alone.
    score_batch_size : int, default 512
        Users scored in one forward pass.
    user_col, item_col : str
        As in :class:`tutorial_lib.models.recommender.Recommender`.

    Attributes (after ``fit``)
    --------------------------
    sequences_ : dict
        user id -> item codes ``1..n_items`` in time order (of ``fit``'s frame, or of the
        frame given to :meth:`with_history`).
    n_items_ : int
        The catalogue size.
    network_ : torch.nn.Module
        The trained network (set by the subclass's ``_fit_sequences``).
    valid_ : pandas.DataFrame or None
        The validation targets given to :meth:`fit`.
    """

    def __init__(self, max_len: int, *, time_col: str = "timestamp", device: str | None = None,
                 seed: int | None = None, n_threads: int | None = 1, score_batch_size: int = 512,
                 user_col: str = "user_id", item_col: str = "item_id"):
        super().__init__(user_col=user_col, item_col=item_col)
        self.max_len = check_positive_int(max_len, "max_len")
        if not isinstance(time_col, str):
            raise ArgumentTypeError(f"time_col must be a column name (str), got {type(time_col).__name__}.")
        self.time_col = time_col
        self.device = str(_check_device(get_device() if device is None else device))
        self.seed = check_int(get_seed() if seed is None else seed, "seed", min_val=0)
        self.n_threads = None if n_threads is None else check_positive_int(n_threads, "n_threads")
        self.score_batch_size = check_positive_int(score_batch_size, "score_batch_size")

    # ----------------------------------------------------------------------------------
    # What a subclass implements
    # ----------------------------------------------------------------------------------
    def _fit_sequences(self, sequences: dict) -> None:
        """Build ``self.network_`` and train it on ``sequences`` (user id -> codes)."""
        raise NotImplementedError(f"{type(self).__name__} must implement _fit_sequences(sequences).")

    def _score_codes(self, inputs: torch.Tensor) -> torch.Tensor:
        """Scores ``(batch, n_items + 1)`` from left-padded codes ``(batch, max_len)``."""
        raise NotImplementedError(f"{type(self).__name__} must implement _score_codes(inputs).")

    # ----------------------------------------------------------------------------------
    # Fitting
    # ----------------------------------------------------------------------------------
    def fit(self, interactions: pd.DataFrame, items=None, *, valid: pd.DataFrame | None = None) -> SequentialRecommender:
        """Build each user's sequence from ``interactions`` and train the network on them.

        Parameters
        ----------
        interactions : pandas.DataFrame, shape (n_interactions, n_columns)
            One row per interaction with ``user_col``, ``item_col`` and ``time_col``
            (e.g. ``split.train``). Unlike the other recommenders, a repeated interaction
            stays in the sequence.
        items : array_like, shape (n_items,), optional
            The catalogue (e.g. ``split.item_ids``); default the items of ``interactions``.
        valid : pandas.DataFrame, optional
            One validation target per user (e.g. ``split.valid``), with ``user_col`` and
            ``item_col``: early stopping ranks them in full ranking over the catalogue minus
            each user's ``interactions`` (the protocol's validation), see :meth:`_validator`.

        Returns
        -------
        self
        """
        require_columns(interactions, "interactions", [self.user_col, self.item_col, self.time_col],
                        allow_empty=False, hint=" Sequential models need the time of each interaction.")
        check_timestamps(interactions[self.time_col], f"interactions[{self.time_col!r}]")
        if valid is not None:
            require_columns(valid, "valid", [self.user_col, self.item_col], allow_empty=False,
                            hint=" Pass split.valid (one target per user).")
        self._training_frame = interactions
        self._valid_frame = valid
        try:
            super().fit(interactions, items)  # calls _fit below
        finally:
            del self._training_frame, self._valid_frame
        return self

    def _fit(self, matrix) -> None:
        interactions = self._training_frame
        self.n_items_ = len(self.item_ids_)
        self.sequences_ = self._sequences_of(interactions, "interactions")
        self.valid_ = None
        if self._valid_frame is not None:
            self.valid_ = self._checked_valid(self._valid_frame, interactions)
        with torch_threads(self.n_threads):
            torch.manual_seed(self.seed)
            self._fit_sequences(self.sequences_)
        if not isinstance(getattr(self, "network_", None), nn.Module):
            raise RuntimeError(f"{type(self).__name__}._fit_sequences must set self.network_ to a torch.nn.Module.")
        self.network_.eval()

    def _sequences_of(self, frame: pd.DataFrame, name: str) -> dict:
        """user id -> codes for every fitted user (empty for a user without rows in ``frame``)."""
        unknown = np.setdiff1d(frame[self.user_col].to_numpy(), self.user_ids_)
        if unknown.size:
            raise ValueError(f"{name} holds {unknown.size} user(s) that fit never saw, e.g. {unknown[:5].tolist()}.")
        try:
            found = user_sequences(frame, self.item_ids_, user_col=self.user_col,
                                   item_col=self.item_col, time_col=self.time_col)
        except ValueError as error:
            raise ValueError(f"{name}: {error}") from None
        empty = np.zeros(0, dtype=np.int64)
        return {user.item(): found.get(user.item(), empty) for user in self.user_ids_}

    def _checked_valid(self, valid: pd.DataFrame, interactions: pd.DataFrame) -> pd.DataFrame:
        users = valid[self.user_col].to_numpy()
        if np.unique(users).size != users.size:
            raise ValueError("valid holds more than one row for some user; give one target per user.")
        unknown_users = np.setdiff1d(users, self.user_ids_)
        if unknown_users.size:
            raise ValueError(f"valid holds user(s) without training rows, e.g. {unknown_users[:5].tolist()}.")
        unknown_items = np.setdiff1d(valid[self.item_col].to_numpy(), self.item_ids_)
        if unknown_items.size:
            raise ValueError(f"valid holds item(s) outside the catalogue, e.g. {unknown_items[:5].tolist()}.")
        return valid[[self.user_col, self.item_col]].copy()

    def _validator(self) -> Callable[[], float] | None:
        """``validate() -> float``: the validation NDCG@10 of the network as it is now.

        Full ranking by :func:`tutorial_lib.evaluation.protocols.evaluate_top_n` with
        ``target="valid"``: each user's valid item among every catalogue item except the
        user's training items, pessimistic ties. None when ``fit`` got no ``valid``.
        """
        if self.valid_ is None:
            return None
        training = self.interactions_.tocoo()
        train_pairs = pd.DataFrame({self.user_col: self.user_ids_[training.row],
                                    self.item_col: self.item_ids_[training.col]})
        split = protocols.TopNSplit(train=train_pairs, valid=self.valid_, test=self.valid_,
                                    user_ids=self.user_ids_, item_ids=self.item_ids_,
                                    user_col=self.user_col, item_col=self.item_col)
        cutoff = f"ndcg@{VALIDATION_CUTOFF}"

        def validate() -> float:
            per_user = protocols.evaluate_top_n(self, split, target="valid", ks=(VALIDATION_CUTOFF,))
            return float(per_user[cutoff].mean())

        return validate

    # ----------------------------------------------------------------------------------
    # The scorer for the test target
    # ----------------------------------------------------------------------------------
    def with_history(self, interactions: pd.DataFrame) -> SequentialRecommender:
        """A scorer that shares the trained network but reads its sequences from ``interactions``.

        The protocol's scorer for the test target: pass train + valid, e.g.
        ``model.with_history(pd.concat([split.train, split.valid]))``. Nothing is retrained:
        the copy is shallow, so ``copy.network_ is model.network_``. ``recommend`` on the copy
        leaves out the items of ``interactions``.

        Parameters
        ----------
        interactions : pandas.DataFrame
            With ``user_col``, ``item_col`` and ``time_col``; its users must be users of
            ``fit`` and its items in the catalogue. A fitted user absent from it is scored
            from an empty sequence.

        Returns
        -------
        SequentialRecommender
        """
        self._check_is_fitted()
        require_columns(interactions, "interactions", [self.user_col, self.item_col, self.time_col], allow_empty=False)
        check_timestamps(interactions[self.time_col], f"interactions[{self.time_col!r}]")
        scorer = copy.copy(self)
        scorer.sequences_ = self._sequences_of(interactions, "interactions")
        rows = np.searchsorted(self.user_ids_, interactions[self.user_col].to_numpy())
        columns = np.searchsorted(self.item_ids_, interactions[self.item_col].to_numpy())
        matrix = type(self.interactions_)((np.ones(len(rows)), (rows, columns)), shape=self.interactions_.shape)
        matrix.sum_duplicates()
        matrix.data[:] = 1.0
        scorer.interactions_ = matrix
        return scorer

    # ----------------------------------------------------------------------------------
    # Scoring
    # ----------------------------------------------------------------------------------
    def _score(self, user_rows: np.ndarray, item_columns: np.ndarray) -> np.ndarray:
        """Scores ``(len(user_rows), len(item_columns))`` from each user's last ``max_len`` codes."""
        users = self.user_ids_[user_rows]
        inputs = left_pad([self.sequences_[user.item()] for user in users], self.max_len)  # (n_users, max_len)
        scores = np.empty((len(users), len(item_columns)), dtype=np.float64)
        was_training = self.network_.training
        self.network_.eval()
        with torch.no_grad(), torch_threads(self.n_threads):
            for start in range(0, len(users), self.score_batch_size):
                block = torch.as_tensor(inputs[start:start + self.score_batch_size], device=self.device)
                block_scores = self._score_codes(block)  # (block, n_items + 1)
                expected = (len(block), self.n_items_ + 1)
                if tuple(block_scores.shape) != expected:
                    raise RuntimeError(
                        f"{type(self).__name__}._score_codes returned shape {tuple(block_scores.shape)}, expected {expected}."
                    )
                item_scores = block_scores[:, 1:].double().cpu().numpy()  # drop the padding column
                scores[start:start + len(block)] = item_scores[:, item_columns]
        self.network_.train(was_training)
        return scores


# --------------------------------------------------------------------------------------
# The classical models' rows in the sequence tables
# --------------------------------------------------------------------------------------
def refit_on_train_and_valid(model_factory: Callable[[], Recommender], split) -> Recommender:
    """A classical model refit on train + valid: its scorer for the test target.

    The sequential models read train + valid at test time without retraining
    (:meth:`SequentialRecommender.with_history`); a popularity, neighbourhood or
    factorisation model has no sequence to read, so it is fit again on train + valid with
    the settings chosen on validation. Both then see the same information for the test item.

    Parameters
    ----------
    model_factory : callable
        ``model_factory() -> Recommender``: a new, unfitted model with the chosen settings.
    split : TopNSplit
        From :func:`tutorial_lib.evaluation.protocols.leave_last_out_split`.

    Returns
    -------
    Recommender
        Fitted on ``pd.concat([split.train, split.valid])`` over the catalogue ``split.item_ids``.
    """
    if not callable(model_factory):
        raise ArgumentTypeError(f"model_factory must be a callable returning a new Recommender, got {type(model_factory).__name__}.")
    if not isinstance(split, protocols.TopNSplit):
        raise ArgumentTypeError(f"split must be a TopNSplit (from leave_last_out_split), got {type(split).__name__}.")
    model = model_factory()
    if not isinstance(model, Recommender):
        raise ArgumentTypeError(f"model_factory() must return a Recommender, got {type(model).__name__}.")
    return model.fit(pd.concat([split.train, split.valid]), items=split.item_ids)
