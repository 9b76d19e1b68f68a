"""Training code: the small loop for feature matrices, and the fine-tuning loop for encoders.

- ``tabular``: :func:`make_loader`, :func:`train_model`, :func:`evaluate_loss`,
  :func:`predict_proba`: mini-batch AdamW on a ``(n_samples, n_features)`` matrix (the
  logistic-regression and MLP chapters).
- ``loop``: :func:`~tutorial_lib.training.loop.fit`, the fine-tuning loop (AdamW with weight
  decay, linear warm-up and decay, gradient clipping, mixed precision on a GPU, gradient
  accumulation, evaluation every epoch, best checkpoint, early stopping, resuming).
- ``checkpoints``: saving and restoring a training run (weights as safetensors; optimizer,
  scheduler and random-number state beside them).
- ``distributed``: the same loop under ``torchrun`` with DistributedDataParallel.

Only this subpackage and :mod:`tutorial_lib.models` import PyTorch.
"""

from tutorial_lib.training.tabular import (
    BINARY_LOSSES,
    FeatureLabelDataset,
    _check_device,
    _progress_bar,
    evaluate_loss,
    make_loader,
    predict_proba,
    train_model,
)

__all__ = ["BINARY_LOSSES", "FeatureLabelDataset", "make_loader", "train_model", "evaluate_loss", "predict_proba"]
