"""The small PyTorch training loop for feature matrices (chapters 3 to 5).

Three steps, one function each:

1. :func:`make_loader` turns a feature matrix (NumPy or SciPy sparse) and labels into a
   ``DataLoader`` of float32 mini-batches, shuffled by a seeded generator.
2. :func:`train_model` runs the optimiser (AdamW) for some epochs and records the mean
   training loss (and validation loss) of every epoch.
3. :func:`predict_proba` returns the model's probabilities as a NumPy array.

Models take a ``(batch, n_features)`` float32 tensor and return ``(batch,)`` logits
(:class:`tutorial_lib.models.mlp.BehaviourMLP`, :class:`tutorial_lib.models.logistic.TorchLogisticRegression`);
the default loss is ``torch.nn.BCEWithLogitsLoss``.

Reproducibility: on a CPU, the same seed for :func:`make_loader` (batch order) and for
:func:`train_model` (dropout) and the same initial weights (seed torch before building the
model) give identical losses on every run. A loader's generator advances as it is used, so
build a fresh loader to repeat a run.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse
import torch
from torch.utils.data import BatchSampler, DataLoader, Dataset, RandomSampler, SequentialSampler

from tutorial_lib.book.progress import progress_bar
from tutorial_lib.book.runtime import get_seed
from tutorial_lib.validation import (
    ArgumentTypeError,
    as_feature_matrix,
    as_label_vector,
    check_binary_labels,
    check_bool,
    check_int,
    check_real,
)

__all__ = ["FeatureLabelDataset", "make_loader", "train_model", "evaluate_loss", "predict_proba"]


# --------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------
def _check_device(device) -> torch.device:
    try:
        checked = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"device must be 'cpu', 'cuda' or a torch.device, got {device!r}.") from None
    if checked.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device is 'cuda' but PyTorch sees no GPU; use device='cpu' (or runtime.get_device()).")
    return checked


def _check_model(model) -> torch.nn.Module:
    if not isinstance(model, torch.nn.Module):
        raise ArgumentTypeError(f"model must be a torch.nn.Module, got {type(model).__name__}.")
    return model


#: Losses that read their targets as probabilities of class 1, so labels must be 0 or 1.
BINARY_LOSSES = (torch.nn.BCEWithLogitsLoss, torch.nn.BCELoss)


def _check_loader(loader, name: str) -> DataLoader:
    if not isinstance(loader, DataLoader):
        raise TypeError(f"{name} must be a torch DataLoader (see make_loader), got {type(loader).__name__}.")
    if len(loader) == 0:
        raise ValueError(f"{name} yields no batches.")
    return loader


# --------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------
class FeatureLabelDataset(Dataset):
    """Rows of a feature matrix with their labels, fetched a whole batch at a time.

    Indexing with a list of row numbers returns ``(features, labels)`` tensors of shapes
    ``(len(rows), n_features)`` and ``(len(rows),)``, both float32. A sparse matrix stays
    sparse in memory and only the rows of the current batch are made dense, so a large
    TF-IDF matrix never has to fit in memory as a dense array.

    Parameters
    ----------
    X : numpy.ndarray or scipy sparse matrix, shape (n_samples, n_features)
    y : numpy.ndarray, shape (n_samples,)
    """

    def __init__(self, X, y):
        features = as_feature_matrix(X, dtype=np.float32)
        self.labels = torch.from_numpy(as_label_vector(y, features.shape[0], binary=False, dtype=np.float32))
        self.is_sparse = scipy.sparse.issparse(features)
        self.features = features if self.is_sparse else torch.from_numpy(features)

    def __len__(self) -> int:
        return self.labels.shape[0]

    def __getitem__(self, rows):
        rows = torch.as_tensor(rows, dtype=torch.long)
        if self.is_sparse:
            batch_features = torch.from_numpy(self.features[rows.numpy()].toarray())
        else:
            batch_features = self.features[rows]
        return batch_features, self.labels[rows]  # (batch, n_features), (batch,)


def _progress_bar(iterable, description: str, show: bool):
    """A bar that disappears when done; none when ``show`` is False or ``TQDM_DISABLE`` is set.

    See :func:`tutorial_lib.book.progress.progress_bar`: an executed notebook (the built book)
    must not keep a frozen widget.
    """
    return progress_bar(iterable, description=description, show=show, leave=False)


def make_loader(X, y, batch_size: int = 256, shuffle: bool = True, seed: int | None = None) -> DataLoader:
    """A ``DataLoader`` of ``(features, labels)`` mini-batches of float32 tensors.

    Parameters
    ----------
    X : array_like or scipy sparse matrix, shape (n_samples, n_features)
        Features; converted to float32.
    y : array_like, shape (n_samples,)
        Labels (0/1 for the default loss of :func:`train_model`); converted to float32.
    batch_size : int, default 256
        Rows per batch; the last batch may be smaller.
    shuffle : bool, default True
        Reshuffle the rows at every epoch (use it for training, not for evaluation).
    seed : int or None, default None
        Seed of the generator that shuffles; None uses the book's seed
        (:func:`tutorial_lib.book.runtime.get_seed`). The generator belongs to this loader, so the
        batch order does not depend on any other use of the random number generators.

    Returns
    -------
    torch.utils.data.DataLoader
        Yields ``features`` of shape (batch, n_features) and ``labels`` of shape (batch,).
    """
    dataset = FeatureLabelDataset(X, y)
    batch_size = check_int(batch_size, "batch_size", min_val=1)
    shuffle = check_bool(shuffle, "shuffle")
    seed = check_int(get_seed() if seed is None else seed, "seed", min_val=0)
    generator = torch.Generator().manual_seed(seed)
    row_sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
    # The sampler hands the dataset a whole list of row numbers at once (batch_size=None
    # switches off the DataLoader's own batching), so a batch is one indexing operation.
    batch_sampler = BatchSampler(row_sampler, batch_size=batch_size, drop_last=False)
    return DataLoader(dataset, sampler=batch_sampler, batch_size=None)


# --------------------------------------------------------------------------------------
# Training and evaluation
# --------------------------------------------------------------------------------------
def _batch_loss(model, loss_fn, features, labels, loader_name: str) -> torch.Tensor:
    """The loss of one batch.

    With a binary cross-entropy loss every label must be 0 or 1: BCE computes a number for a
    label of -2 or 3 too (and trains on it), but that number is not a loss of anything.
    """
    if isinstance(loss_fn, BINARY_LOSSES) and not ((labels == 0) | (labels == 1)).all():
        try:
            check_binary_labels(labels, f"the labels of {loader_name}")  # builds the message
        except ValueError as error:
            raise ValueError(
                f"{error} loss_fn is {type(loss_fn).__name__}, which needs binary labels; for "
                "other targets pass a loss_fn that suits them (torch.nn.MSELoss() for numbers)."
            ) from None
    logits = model(features)
    if logits.shape != labels.shape:
        raise ValueError(
            f"model returned logits of shape {tuple(logits.shape)} for labels of shape {tuple(labels.shape)}; "
            "the model must return one logit per example, shape (batch,)."
        )
    return loss_fn(logits, labels)


def evaluate_loss(
    model: torch.nn.Module,
    loader: DataLoader,
    *,
    device="cpu",
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
) -> float:
    """Mean loss per example over a loader, in evaluation mode (dropout off) without gradients.

    ``loss_fn`` must return the mean over a batch (the default ``BCEWithLogitsLoss`` does);
    batch means are weighted by batch size, so the result is the mean over all examples.
    With the default loss (or ``BCEWithLogitsLoss`` / ``BCELoss``) every label must be 0 or 1.
    """
    model = _check_model(model)
    loader = _check_loader(loader, "loader")
    device = _check_device(device)
    loss_fn = torch.nn.BCEWithLogitsLoss() if loss_fn is None else loss_fn
    was_training = model.training
    model.eval()
    total_loss, n_examples = 0.0, 0
    with torch.no_grad():
        for features, labels in loader:
            features, labels = features.to(device), labels.to(device)
            total_loss += _batch_loss(model, loss_fn, features, labels, "loader").item() * labels.shape[0]
            n_examples += labels.shape[0]
    model.train(was_training)
    return total_loss / n_examples


def train_model(
    model: torch.nn.Module,
    train_loader: DataLoader,
    *,
    epochs: int,
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    device="cpu",
    valid_loader: DataLoader | None = None,
    progress: bool = True,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    seed: int | None = None,
) -> dict[str, list[float]]:
    """Train ``model`` with AdamW and return the loss of every epoch.

    Parameters
    ----------
    model : torch.nn.Module
        Maps ``(batch, n_features)`` float32 features to ``(batch,)`` logits. It is moved to
        ``device`` and trained in place.
    train_loader : DataLoader
        Training batches ``(features, labels)``, e.g. from :func:`make_loader`.
    epochs : int
        Passes over the training data, >= 1 (take it from the run profile).
    lr : float, default 1e-3
        AdamW learning rate, > 0.
    weight_decay : float, default 0.0
        AdamW's decoupled weight decay, >= 0. Unlike an L2 term added to the loss it shrinks
        the weights directly, outside Adam's per-parameter scaling.
    device : str or torch.device, default "cpu"
        Where to train ("cpu" or "cuda"; see :func:`tutorial_lib.book.runtime.get_device`).
    valid_loader : DataLoader, optional
        If given, its mean loss is computed after every epoch (dropout off).
    progress : bool, default True
        Show ``tqdm.auto`` progress bars (a widget in Jupyter); they disappear when done.
    loss_fn : callable, optional
        ``loss_fn(logits, labels)`` returning the batch *mean*; default
        ``torch.nn.BCEWithLogitsLoss()``. With the default, ``BCEWithLogitsLoss`` or
        ``BCELoss`` every label must be 0 or 1 (checked batch by batch, before the batch is
        used: a label of -2 or 3 raises instead of being trained on). Any other ``loss_fn``
        receives the labels as given, as float32; it is its job to check them. Soft targets
        in [0, 1] (label smoothing) therefore need a loss_fn of your own, e.g. a function
        calling ``torch.nn.functional.binary_cross_entropy_with_logits``.
    seed : int, optional
        If given, ``torch.manual_seed(seed)`` is called first, which fixes dropout masks.

    Returns
    -------
    dict of str to list of float
        ``"epoch"`` (1, 2, ...), ``"train_loss"`` (mean loss per example over each epoch's
        batches, measured while training, dropout on) and, with ``valid_loader``,
        ``"valid_loss"``. ``pandas.DataFrame(history)`` makes a table of it.
    """
    model = _check_model(model)
    train_loader = _check_loader(train_loader, "train_loader")
    if valid_loader is not None:
        valid_loader = _check_loader(valid_loader, "valid_loader")
    epochs = check_int(epochs, "epochs", min_val=1)
    lr = check_real(lr, "lr", min_val=0, include_boundaries="neither")
    weight_decay = check_real(weight_decay, "weight_decay", min_val=0)
    progress = check_bool(progress, "progress")
    device = _check_device(device)
    if loss_fn is not None and not callable(loss_fn):
        raise ArgumentTypeError(f"loss_fn must be a callable loss_fn(logits, labels) or None, got {type(loss_fn).__name__}.")
    if seed is not None:
        torch.manual_seed(check_int(seed, "seed", min_val=0))
    loss_fn = torch.nn.BCEWithLogitsLoss() if loss_fn is None else loss_fn

    model.to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    history: dict[str, list[float]] = {"epoch": [], "train_loss": []}
    if valid_loader is not None:
        history["valid_loss"] = []

    epoch_bar = _progress_bar(range(1, epochs + 1), "epochs", progress)
    for epoch in epoch_bar:
        model.train()
        total_loss, n_examples = 0.0, 0
        for features, labels in _progress_bar(train_loader, f"epoch {epoch}", progress):
            features, labels = features.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = _batch_loss(model, loss_fn, features, labels, "train_loader")
            loss.backward()
            optimizer.step()
            # loss is a batch mean; weight it by the batch size to get a mean per example.
            total_loss += loss.item() * labels.shape[0]
            n_examples += labels.shape[0]
        history["epoch"].append(epoch)
        history["train_loss"].append(total_loss / n_examples)
        summary = {"train_loss": f"{history['train_loss'][-1]:.4f}"}
        if valid_loader is not None:
            history["valid_loss"].append(evaluate_loss(model, valid_loader, device=device, loss_fn=loss_fn))
            summary["valid_loss"] = f"{history['valid_loss'][-1]:.4f}"
        epoch_bar.set_postfix(summary)
    return history


def predict_proba(model: torch.nn.Module, X, batch_size: int = 1024, device="cpu") -> np.ndarray:
    """Probabilities ``sigmoid(model(X))`` as a NumPy array, computed batch by batch.

    The model is put in evaluation mode (dropout off) for the call and then returned to the
    mode it was in.

    Parameters
    ----------
    model : torch.nn.Module
        Returns ``(batch,)`` logits.
    X : array_like or scipy sparse matrix, shape (n_samples, n_features)
    batch_size : int, default 1024
    device : str or torch.device, default "cpu"
        Must be where the model's parameters are.

    Returns
    -------
    numpy.ndarray of float64, shape (n_samples,)
    """
    model = _check_model(model)
    features = as_feature_matrix(X, dtype=np.float32)
    batch_size = check_int(batch_size, "batch_size", min_val=1)
    device = _check_device(device)
    # Feed the model the dtype of its parameters (float32 usually, float64 for a model from
    # logistic.fit_torch_logistic).
    parameter = next(model.parameters(), None)
    input_dtype = torch.float32 if parameter is None else parameter.dtype
    was_training = model.training
    model.eval()
    batch_probabilities = []
    with torch.no_grad():
        for start in range(0, features.shape[0], batch_size):
            block = features[start : start + batch_size]
            block = block.toarray() if scipy.sparse.issparse(block) else block
            logits = model(torch.from_numpy(np.ascontiguousarray(block)).to(device, input_dtype))  # (batch,)
            batch_probabilities.append(torch.sigmoid(logits).cpu().numpy())
    model.train(was_training)
    return np.concatenate(batch_probabilities).astype(np.float64)
