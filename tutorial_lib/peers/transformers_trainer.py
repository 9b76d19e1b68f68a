"""Hugging Face's ``Trainer`` as the peer of our loop, and LoRA adapters from ``peft``.

:func:`train_with_trainer` fine-tunes a model with ``transformers.Trainer`` on the same
datasets, padding collate and settings (:class:`tutorial_lib.training.loop.FitConfig`) as
:func:`tutorial_lib.training.loop.fit`, so the two sit in one table with the time each took.
The model must compute its own loss when it is given ``labels``, as
``AutoModelForSequenceClassification`` does (cross-entropy over its ``num_labels`` logits).

Only arguments that exist in both transformers 4.4x and 5.x are used: ``eval_strategy``
(``evaluation_strategy`` is gone in 5.x), ``use_cpu`` (``no_cuda`` is gone), ``warmup_steps``
as a whole number (``warmup_ratio`` is gone), and no tokenizer is passed (``tokenizer=`` became
``processing_class=``): our collate pads, so the Trainer needs none.

:func:`add_lora` wraps an encoder's attention projections with LoRA adapters (Hu et al. 2021,
"LoRA: Low-Rank Adaptation of Large Language Models"): each frozen weight matrix ``W`` gets a
trainable low-rank update ``(alpha / r) · B A``, with ``A`` of shape ``(r, d_in)`` and ``B`` of
shape ``(d_out, r)`` starting at zero, so training begins from the pretrained model exactly.

Peer libraries (transformers' Trainer, peft) are imported only when these functions run.
"""

from __future__ import annotations

import math
import tempfile
import time
import warnings

from tutorial_lib.validation import ArgumentTypeError, check_int, check_real

__all__ = ["trainer_arguments", "train_with_trainer", "add_lora", "lora_parameter_names", "LORA_TARGET_MODULES"]

#: The attention projections LoRA adapts in a BERT layer (the LoRA paper adapts query and value).
LORA_TARGET_MODULES = ("query", "value")


def trainer_arguments(config, output_dir: str, *, batch_size: int, n_train_examples: int, device: str = "cpu"):
    """``TrainingArguments`` that mean what ``config`` (a ``FitConfig``) means for our loop.

    AdamW with the same learning rate and weight decay (transformers also skips biases and
    LayerNorm weights), linear warm-up over the same number of steps then linear decay,
    the same clipping, accumulation, epochs and seed; evaluation every epoch; nothing saved
    and nothing reported to experiment trackers.
    """
    import torch
    from transformers import TrainingArguments

    from tutorial_lib.training.loop import resolve_precision

    batch_size = check_int(batch_size, "batch_size", min_val=1)
    n_train_examples = check_int(n_train_examples, "n_train_examples", min_val=1)
    steps_per_epoch = math.ceil(math.ceil(n_train_examples / batch_size) / config.gradient_accumulation_steps)
    total_steps = steps_per_epoch * config.epochs
    precision = resolve_precision(config.precision, torch.device(device))
    return TrainingArguments(
        output_dir=output_dir,
        num_train_epochs=config.epochs,
        per_device_train_batch_size=batch_size,
        per_device_eval_batch_size=batch_size,
        learning_rate=config.lr,
        weight_decay=config.weight_decay,
        warmup_steps=round(config.warmup_fraction * total_steps),
        lr_scheduler_type="linear",
        max_grad_norm=config.max_grad_norm if config.max_grad_norm is not None else 0.0,
        gradient_accumulation_steps=config.gradient_accumulation_steps,
        bf16=precision == "bf16",
        fp16=precision == "fp16",
        eval_strategy="epoch",
        logging_strategy="epoch",
        save_strategy="no",
        report_to="none",
        disable_tqdm=not config.progress,
        seed=config.seed,
        use_cpu=device == "cpu",
        remove_unused_columns=False,
        dataloader_num_workers=0,
    )


def _accuracy(evaluation) -> dict:
    logits, labels = evaluation.predictions, evaluation.label_ids
    logits = logits[0] if isinstance(logits, tuple) else logits
    predicted = (logits[:, 0] > 0).astype(labels.dtype) if logits.shape[1] == 1 else logits.argmax(axis=1)
    return {"accuracy": float((predicted == labels).mean())}


def train_with_trainer(model, train_dataset, valid_dataset, config, *, batch_size: int, collate,
                       device: str = "cpu") -> dict:
    """Fine-tune ``model`` in place with ``transformers.Trainer``; returns its history and time.

    Parameters
    ----------
    model:
        A transformers model that returns a loss when called with ``labels``
        (e.g. ``load_encoder_model(..., task="sequence-classification")``).
    train_dataset, valid_dataset:
        :class:`tutorial_lib.models.text_classifier.TokenisedTextDataset` objects.
    config:
        :class:`tutorial_lib.training.loop.FitConfig`.
    batch_size, collate:
        Examples per batch and the function that pads a batch (``PaddingCollator``).

    Returns
    -------
    dict
        ``history`` (per epoch: ``epoch``, ``train_loss``, ``valid_loss``, ``valid_accuracy``),
        ``train_seconds`` (wall time of ``Trainer.train``, evaluations included).
    """
    from transformers import PrinterCallback, Trainer

    from tutorial_lib.training.loop import FitConfig

    if not isinstance(config, FitConfig):
        raise ArgumentTypeError(f"config must be a FitConfig, got {type(config).__name__}.")
    if config.early_stopping_patience is not None:
        raise ValueError("train_with_trainer does not stop early; use a FitConfig with early_stopping_patience=None.")
    with tempfile.TemporaryDirectory(prefix="trainer-") as output_dir:
        arguments = trainer_arguments(config, output_dir, batch_size=batch_size,
                                      n_train_examples=len(train_dataset), device=device)
        trainer = Trainer(model=model, args=arguments, data_collator=collate, train_dataset=train_dataset,
                          eval_dataset=valid_dataset, compute_metrics=_accuracy)
        trainer.remove_callback(PrinterCallback)  # its log lines would fill the page
        started = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - started
        log = trainer.state.log_history
    train_rows = [row for row in log if "loss" in row and "epoch" in row]
    eval_rows = [row for row in log if "eval_loss" in row]
    history = {"epoch": [int(round(row["epoch"])) for row in eval_rows],
               "train_loss": [float(row["loss"]) for row in train_rows],
               "valid_loss": [float(row["eval_loss"]) for row in eval_rows],
               "valid_accuracy": [float(row["eval_accuracy"]) for row in eval_rows]}
    return {"history": history, "train_seconds": seconds}


def add_lora(classifier, r: int = 8, alpha: int = 16, dropout: float = 0.1,
             target_modules=LORA_TARGET_MODULES):
    """Put LoRA adapters into ``classifier.encoder``; freeze the encoder's own weights.

    ``classifier`` is a :class:`tutorial_lib.models.text_classifier.BertClassifier`: its
    encoder is wrapped by ``peft.get_peft_model`` (only the ``lora_A`` / ``lora_B`` matrices of
    the ``target_modules`` stay trainable) and its head stays trainable (it is new, so it must
    learn). Returns ``classifier``, changed in place.
    """
    from peft import LoraConfig, get_peft_model

    r = check_int(r, "r", min_val=1)
    alpha = check_int(alpha, "alpha", min_val=1)
    dropout = check_real(dropout, "dropout", min_val=0, max_val=1, include_boundaries="left")
    if not hasattr(classifier, "encoder") or not hasattr(classifier, "head"):
        raise ArgumentTypeError(f"classifier must be a BertClassifier, got {type(classifier).__name__}.")
    lora_config = LoraConfig(r=r, lora_alpha=alpha, lora_dropout=dropout, target_modules=list(target_modules),
                             bias="none")
    with warnings.catch_warnings():
        # peft 0.21 calls a transformers 5.x method that warns it is deprecated: not ours to fix,
        # and a warning written to stderr would fail the book's build.
        warnings.filterwarnings("ignore", category=FutureWarning, message=".*is_gradient_checkpointing.*")
        classifier.encoder = get_peft_model(classifier.encoder, lora_config)
    for parameter in classifier.head.parameters():
        parameter.requires_grad_(True)
    return classifier


def lora_parameter_names(classifier) -> list[str]:
    """Names of ``classifier``'s trainable parameters (after :func:`add_lora`: adapters + head)."""
    return [name for name, parameter in classifier.named_parameters() if parameter.requires_grad]

