"""The fine-tuning loop: the same code on a CPU, one GPU, or several under ``torchrun``.

:func:`fit` trains a model on batches that are dicts of tensors, such as those of
:func:`tutorial_lib.models.text_classifier.make_text_loader`::

    {"input_ids": (batch, seq_len), "attention_mask": (batch, seq_len), "labels": (batch,)}

Everything but ``labels`` is passed to the model as keyword arguments; the model returns
logits, ``(batch,)`` for a binary task or ``(batch, n_classes)``, either as a tensor or as
an object with a ``.logits`` attribute (what transformers' models return). The loss is
:func:`classification_loss` unless another ``loss_fn(logits, labels)`` is given.

One step of :func:`fit`, in order:

1. forward pass under ``torch.autocast`` when training on a GPU in bf16 or fp16 (on a CPU
   everything stays float32);
2. the loss divided by ``gradient_accumulation_steps`` and back-propagated: gradients of that
   many batches add up before one optimizer step, as if the batch were that many times larger;
3. gradients clipped to a global norm of ``max_grad_norm``;
4. an AdamW step, with weight decay on weight matrices only (never on biases or LayerNorm
   weights: pulling a bias or a norm's scale towards zero is no regularisation);
5. the learning rate moved along the schedule: linear warm-up from 0 over the first
   ``warmup_fraction`` of the steps, then linear decay to 0.

After every epoch the model is evaluated on the validation loader; the best epoch's weights are
kept (``best/model.safetensors``), training stops early after ``early_stopping_patience``
epochs without improvement, and a full checkpoint of the last epoch (``last/``) lets a run
that was interrupted resume exactly, with the same loss curve.
"""

from __future__ import annotations

import dataclasses
import math
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

from tutorial_lib.book.progress import progress_bar
from tutorial_lib.training import checkpoints
from tutorial_lib.training.tabular import _check_device
from tutorial_lib.validation import ArgumentTypeError, check_bool, check_choice, check_int, check_real

__all__ = ["FitConfig", "classification_loss", "parameter_groups", "linear_warmup_schedule",
           "resolve_precision", "evaluate", "predict_logits", "fit", "remove_checkpoints"]

#: Metrics that :func:`evaluate` returns, with whether larger is better.
MONITORS = {"valid_loss": False, "valid_accuracy": True}


@dataclasses.dataclass(frozen=True)
class FitConfig:
    """Settings of :func:`fit` (the sizes that differ between profiles live in the chapter's config).

    ``lr`` 2e-5 to 5e-5 is the range the BERT paper recommends for fine-tuning; ``precision``
    "auto" means bf16 autocast on a GPU that supports it (fp16 with loss scaling on an older
    one) and float32 on a CPU.
    """

    epochs: int = 3
    lr: float = 3e-5
    weight_decay: float = 0.01
    warmup_fraction: float = 0.1
    max_grad_norm: float | None = 1.0
    gradient_accumulation_steps: int = 1
    precision: str = "auto"
    early_stopping_patience: int | None = None
    monitor: str = "valid_loss"
    seed: int = 0
    progress: bool = True

    def __post_init__(self):
        check_int(self.epochs, "epochs", min_val=1)
        check_real(self.lr, "lr", min_val=0, include_boundaries="neither")
        check_real(self.weight_decay, "weight_decay", min_val=0)
        check_real(self.warmup_fraction, "warmup_fraction", min_val=0, max_val=1, include_boundaries="left")
        if self.max_grad_norm is not None:
            check_real(self.max_grad_norm, "max_grad_norm", min_val=0, include_boundaries="neither")
        check_int(self.gradient_accumulation_steps, "gradient_accumulation_steps", min_val=1)
        check_choice(self.precision, "precision", ["auto", "fp32", "bf16", "fp16"])
        if self.early_stopping_patience is not None:
            check_int(self.early_stopping_patience, "early_stopping_patience", min_val=1)
        check_choice(self.monitor, "monitor", list(MONITORS))
        check_int(self.seed, "seed", min_val=0)
        check_bool(self.progress, "progress")


# ---------------------------------------------------------------------------------------------
# The pieces
# ---------------------------------------------------------------------------------------------
def classification_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean loss of a batch: binary cross-entropy on ``(batch,)`` logits, cross-entropy otherwise.

    ``(batch,)`` or ``(batch, 1)`` logits: ``BCEWithLogitsLoss`` with labels 0/1 (the sigmoid
    and the log are fused, which is stabler than ``BCELoss`` after a sigmoid layer).
    ``(batch, n_classes)`` logits: ``CrossEntropyLoss`` with labels 0 .. n_classes - 1.
    """
    if logits.ndim == 2 and logits.shape[1] == 1:
        logits = logits[:, 0]
    if logits.ndim == 1:
        if logits.shape != labels.shape:
            raise ValueError(f"logits of shape {tuple(logits.shape)} do not match labels of shape {tuple(labels.shape)}.")
        return torch.nn.functional.binary_cross_entropy_with_logits(logits.float(), labels.float())
    if logits.ndim != 2 or logits.shape[0] != labels.shape[0]:
        raise ValueError(f"logits must be (batch,) or (batch, n_classes), got {tuple(logits.shape)} "
                         f"for labels of shape {tuple(labels.shape)}.")
    return torch.nn.functional.cross_entropy(logits.float(), labels.long())


def parameter_groups(model: torch.nn.Module, weight_decay: float) -> list[dict]:
    """AdamW parameter groups: weight decay on matrices, none on biases and norm weights.

    The rule is by shape: a parameter with fewer than two dimensions is a bias or the scale of
    a LayerNorm, and is not decayed (the same split as transformers' ``Trainer``, which goes by
    name). Frozen parameters (``requires_grad=False``, e.g. under LoRA) are left out.
    """
    weight_decay = check_real(weight_decay, "weight_decay", min_val=0)
    decayed = [p for p in model.parameters() if p.requires_grad and p.ndim >= 2]
    not_decayed = [p for p in model.parameters() if p.requires_grad and p.ndim < 2]
    return [{"params": decayed, "weight_decay": weight_decay},
            {"params": not_decayed, "weight_decay": 0.0}]


def linear_warmup_schedule(optimizer: torch.optim.Optimizer, warmup_steps: int, total_steps: int):
    """Learning rate × ``step / warmup_steps`` while warming up, then linear decay to 0 at ``total_steps``.

    The same schedule as transformers' ``get_linear_schedule_with_warmup``.
    """
    warmup_steps = check_int(warmup_steps, "warmup_steps", min_val=0)
    total_steps = check_int(total_steps, "total_steps", min_val=1)

    def factor(step: int) -> float:
        if step < warmup_steps:
            return step / warmup_steps
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def resolve_precision(precision: str, device: torch.device) -> str:
    """``"fp32"``, ``"bf16"`` or ``"fp16"``: what ``precision`` means on ``device``.

    Autocast is used on CUDA only: on a CPU every precision is float32 (CPU bf16 autocast
    exists but is slower than float32 on most CPUs, and the book's runs must agree across
    machines). ``"auto"`` on CUDA is bf16 where the GPU supports it, else fp16.
    """
    precision = check_choice(precision, "precision", ["auto", "fp32", "bf16", "fp16"])
    if device.type != "cuda":
        return "fp32"
    if precision == "auto":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    return precision


def _autocast(precision: str, device: torch.device):
    if precision == "fp32":
        return torch.autocast(device_type=device.type, enabled=False)
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device_type="cuda", dtype=dtype)


def _to_device(batch: dict, device: torch.device) -> dict:
    if not isinstance(batch, dict) or "labels" not in batch:
        raise TypeError("each batch must be a dict of tensors with a 'labels' entry (see make_text_loader).")
    return {name: value.to(device, non_blocking=True) for name, value in batch.items()}


def _logits(model: torch.nn.Module, batch: dict) -> torch.Tensor:
    inputs = {name: value for name, value in batch.items() if name != "labels"}
    outputs = model(**inputs)
    return outputs if isinstance(outputs, torch.Tensor) else outputs.logits


def _unwrapped(model: torch.nn.Module) -> torch.nn.Module:
    return model.module if isinstance(model, torch.nn.parallel.DistributedDataParallel) else model


def _set_epoch(loader: DataLoader, epoch: int) -> None:
    """Tell the loader's sampler which epoch it is (its shuffle depends on seed and epoch only)."""
    for sampler in (loader.batch_sampler, loader.sampler, getattr(loader.batch_sampler, "sampler", None)):
        if hasattr(sampler, "set_epoch"):
            sampler.set_epoch(epoch)


def predict_logits(model: torch.nn.Module, loader: DataLoader, device="cpu",
                   precision: str = "fp32") -> tuple[np.ndarray, np.ndarray]:
    """``(logits, labels)`` of every batch, as NumPy arrays, in evaluation mode.

    Shapes ``(n,)`` or ``(n, n_classes)`` and ``(n,)``; float32 logits.
    """
    device = _check_device(device)
    precision = resolve_precision(precision, device)
    was_training = model.training
    model.eval()
    all_logits, all_labels = [], []
    with torch.no_grad():
        for batch in loader:
            batch = _to_device(batch, device)
            with _autocast(precision, device):
                logits = _logits(model, batch)
            logits = logits[:, 0] if logits.ndim == 2 and logits.shape[1] == 1 else logits
            all_logits.append(logits.float().cpu().numpy())
            all_labels.append(batch["labels"].cpu().numpy())
    model.train(was_training)
    return np.concatenate(all_logits), np.concatenate(all_labels)


def evaluate(model: torch.nn.Module, loader: DataLoader, device="cpu", loss_fn: Callable | None = None,
             precision: str = "fp32") -> dict[str, float]:
    """``{"valid_loss": mean loss per example, "valid_accuracy": share classified right}``."""
    loss_fn = classification_loss if loss_fn is None else loss_fn
    logits, labels = predict_logits(model, loader, device=device, precision=precision)
    loss = float(loss_fn(torch.from_numpy(logits), torch.from_numpy(labels)))
    predicted = (logits > 0).astype(labels.dtype) if logits.ndim == 1 else logits.argmax(axis=1)
    return {"valid_loss": loss, "valid_accuracy": float((predicted == labels).mean())}


# ---------------------------------------------------------------------------------------------
# fit
# ---------------------------------------------------------------------------------------------
def _is_main_process() -> bool:
    return not torch.distributed.is_initialized() or torch.distributed.get_rank() == 0


def _barrier() -> None:
    if torch.distributed.is_initialized():
        torch.distributed.barrier()


def fit(model: torch.nn.Module, train_loader: DataLoader, valid_loader: DataLoader | None = None,
        config: FitConfig | None = None, *, device="cpu", checkpoint_dir=None, resume: bool = False,
        loss_fn: Callable | None = None, on_epoch_end: Callable[[dict], None] | None = None) -> dict:
    """Train ``model`` in place with the loop described in the module docstring.

    Parameters
    ----------
    model:
        Takes the batch's tensors (all but ``labels``) as keyword arguments and returns logits.
        May be wrapped in DistributedDataParallel (see :mod:`tutorial_lib.training.distributed`).
    train_loader, valid_loader:
        Loaders of dict batches. A sampler with ``set_epoch`` (our length-bucketed sampler,
        ``DistributedSampler``) is told the epoch, so each epoch's order depends only on the seed
        and the epoch number, which is what makes a resumed run repeat the batches exactly.
    config:
        :class:`FitConfig` (default values when ``None``).
    device:
        ``"cpu"``, ``"cuda"`` or a ``torch.device``; the model is moved there.
    checkpoint_dir:
        If given, ``last/`` (full checkpoint after every epoch) and, with a ``valid_loader``,
        ``best/`` (the weights of the best epoch) are written there; at the end the model holds
        the best weights. Only rank 0 writes.
    resume:
        Continue from ``checkpoint_dir/last`` if it exists (weights, optimizer, scheduler,
        random-number states, epoch and history).
    loss_fn:
        ``loss_fn(logits, labels)`` returning the batch mean; default :func:`classification_loss`.
    on_epoch_end:
        Called with the epoch's history row (a dict) after its checkpoint is written.

    Returns
    -------
    dict
        ``history`` (lists per column: ``epoch``, ``step``, ``lr``, ``train_loss`` and with a
        ``valid_loader`` ``valid_loss``, ``valid_accuracy``), ``step_losses`` (the loss of every
        optimizer step), ``best_epoch``, ``stopped_early``, ``precision``, ``train_seconds``.
    """
    if not isinstance(model, torch.nn.Module):
        raise ArgumentTypeError(f"model must be a torch.nn.Module, got {type(model).__name__}.")
    for name, loader in (("train_loader", train_loader), ("valid_loader", valid_loader)):
        if loader is not None and not isinstance(loader, DataLoader):
            raise ArgumentTypeError(f"{name} must be a torch DataLoader, got {type(loader).__name__}.")
    if len(train_loader) == 0:
        raise ValueError("train_loader yields no batches.")
    config = FitConfig() if config is None else config
    if not isinstance(config, FitConfig):
        raise ArgumentTypeError(f"config must be a FitConfig, got {type(config).__name__}.")
    device = _check_device(device)
    resume = check_bool(resume, "resume")
    if resume and checkpoint_dir is None:
        raise ValueError("resume=True needs a checkpoint_dir to resume from.")
    if config.early_stopping_patience is not None and valid_loader is None:
        raise ValueError("early_stopping_patience needs a valid_loader to watch.")
    loss_fn = classification_loss if loss_fn is None else loss_fn
    checkpoint_dir = None if checkpoint_dir is None else Path(checkpoint_dir)
    precision = resolve_precision(config.precision, device)
    main = _is_main_process()

    torch.manual_seed(config.seed)
    model.to(device)
    optimizer = torch.optim.AdamW(parameter_groups(model, config.weight_decay), lr=config.lr)
    steps_per_epoch = math.ceil(len(train_loader) / config.gradient_accumulation_steps)
    total_steps = steps_per_epoch * config.epochs
    scheduler = linear_warmup_schedule(optimizer, round(config.warmup_fraction * total_steps), total_steps)
    # Loss scaling keeps small fp16 gradients from rounding to zero; bf16 has float32's range.
    scaler = torch.amp.GradScaler("cuda", enabled=precision == "fp16")

    history = {"epoch": [], "step": [], "lr": [], "train_loss": []}
    if valid_loader is not None:
        history.update({"valid_loss": [], "valid_accuracy": []})
    state = {"history": history, "step_losses": [], "epoch": 0, "step": 0, "best_epoch": None,
             "best_value": None, "epochs_without_improvement": 0}
    last_dir = None if checkpoint_dir is None else checkpoint_dir / "last"
    best_dir = None if checkpoint_dir is None else checkpoint_dir / "best"
    if resume and checkpoints.is_checkpoint(last_dir):
        state = checkpoints.load_checkpoint(last_dir, _unwrapped(model), optimizer, scheduler, scaler,
                                            device=device)
        history = state["history"]

    larger_is_better = MONITORS[config.monitor]
    started = time.perf_counter()
    stopped_early = False
    epoch_bar = progress_bar(range(state["epoch"] + 1, config.epochs + 1), description="epochs",
                             show=config.progress and main, leave=False)
    for epoch in epoch_bar:
        model.train()
        _set_epoch(train_loader, epoch)
        total_loss, n_examples = 0.0, 0
        optimizer.zero_grad(set_to_none=True)
        batches = progress_bar(train_loader, description=f"epoch {epoch}", show=config.progress and main,
                               leave=False)
        accumulated, accumulated_loss = 0, 0.0
        for batch_number, batch in enumerate(batches, start=1):
            batch = _to_device(batch, device)
            with _autocast(precision, device):
                logits = _logits(model, batch)
            loss = loss_fn(logits.float(), batch["labels"])
            scaler.scale(loss / config.gradient_accumulation_steps).backward()
            n_in_batch = batch["labels"].shape[0]
            total_loss += loss.item() * n_in_batch
            n_examples += n_in_batch
            accumulated += 1
            accumulated_loss += loss.item()
            if accumulated == config.gradient_accumulation_steps or batch_number == len(train_loader):
                if config.max_grad_norm is not None:
                    scaler.unscale_(optimizer)  # clip the true gradients, not the scaled ones
                    torch.nn.utils.clip_grad_norm_(model.parameters(), config.max_grad_norm)
                scaler.step(optimizer)
                scaler.update()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                state["step"] += 1
                state["step_losses"].append(accumulated_loss / accumulated)
                accumulated, accumulated_loss = 0, 0.0
        history["epoch"].append(epoch)
        history["step"].append(state["step"])
        history["lr"].append(scheduler.get_last_lr()[0])
        history["train_loss"].append(total_loss / n_examples)
        summary = {"train_loss": f"{history['train_loss'][-1]:.4f}"}
        improved = False
        if valid_loader is not None:
            metrics = evaluate(model, valid_loader, device=device, loss_fn=loss_fn, precision=precision)
            for name, value in metrics.items():
                history[name].append(value)
            value = metrics[config.monitor]
            best = state["best_value"]
            improved = best is None or (value > best if larger_is_better else value < best)
            if improved:
                state.update(best_value=value, best_epoch=epoch, epochs_without_improvement=0)
            else:
                state["epochs_without_improvement"] += 1
            summary[config.monitor] = f"{value:.4f}"
        state["epoch"] = epoch
        if checkpoint_dir is not None and main:
            if improved:
                checkpoints.save_weights(model, best_dir)
            checkpoints.save_checkpoint(last_dir, model, optimizer, scheduler, scaler, **state)
        _barrier()
        epoch_bar.set_postfix(summary)
        if on_epoch_end is not None:
            on_epoch_end({name: column[-1] for name, column in history.items()})
        patience = config.early_stopping_patience
        if patience is not None and state["epochs_without_improvement"] >= patience:
            stopped_early = True
            break
    if best_dir is not None and (best_dir / checkpoints.WEIGHTS_FILE).is_file():
        checkpoints.load_weights(_unwrapped(model), best_dir, device=device)
    return {"history": history, "step_losses": state["step_losses"], "best_epoch": state["best_epoch"],
            "stopped_early": stopped_early, "precision": precision,
            "train_seconds": time.perf_counter() - started}


def remove_checkpoints(checkpoint_dir) -> None:
    """Delete the ``last/`` and ``best/`` folders :func:`fit` wrote under ``checkpoint_dir``."""
    for name in ("last", "best"):
        shutil.rmtree(Path(checkpoint_dir) / name, ignore_errors=True)
