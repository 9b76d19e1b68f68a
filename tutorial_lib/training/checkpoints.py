"""Save and restore a training run: weights as safetensors, the rest of the state beside them.

A checkpoint is a directory with two files:

- ``model.safetensors``: the model's weights (:func:`safetensors.torch.save_model`, which also
  handles weights shared between layers). safetensors holds tensors only, so loading it can
  never run code, unlike a pickled ``.bin``/``.pt`` file.
- ``training_state.pt``: what a resumed run needs to continue exactly where it stopped: the
  optimizer's moments, the learning-rate scheduler's step, the gradient scaler (fp16), the
  random-number states (Python, NumPy, PyTorch CPU and CUDA), the epoch and step counters and
  the history so far. It is read back with ``torch.load(weights_only=True)``, which refuses
  anything but tensors and plain containers, so it cannot run code either.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_model, save_model

from tutorial_lib.validation import ArgumentTypeError, check_path

__all__ = ["WEIGHTS_FILE", "STATE_FILE", "save_weights", "load_weights", "rng_state", "set_rng_state",
           "save_checkpoint", "load_checkpoint", "is_checkpoint"]

WEIGHTS_FILE = "model.safetensors"
STATE_FILE = "training_state.pt"


def _unwrap(model: torch.nn.Module) -> torch.nn.Module:
    """The model inside a DistributedDataParallel wrapper (its weights have no ``module.`` prefix)."""
    if not isinstance(model, torch.nn.Module):
        raise ArgumentTypeError(f"model must be a torch.nn.Module, got {type(model).__name__}.")
    return model.module if isinstance(model, torch.nn.parallel.DistributedDataParallel) else model


def save_weights(model: torch.nn.Module, directory) -> Path:
    """Write ``model``'s weights to ``directory/model.safetensors``; returns the file."""
    directory = check_path(directory, "directory")
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / WEIGHTS_FILE
    temporary = path.with_suffix(".tmp")
    save_model(_unwrap(model), str(temporary))
    temporary.replace(path)  # a crash mid-write never leaves a half-written checkpoint
    return path


def load_weights(model: torch.nn.Module, directory, device="cpu") -> torch.nn.Module:
    """Load ``directory/model.safetensors`` into ``model`` (every name must match); returns it."""
    directory = check_path(directory, "directory")
    path = directory / WEIGHTS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"directory {str(directory)!r} holds no {WEIGHTS_FILE}; is it a checkpoint?")
    load_model(_unwrap(model), str(path), strict=True, device=str(device))
    return model


def rng_state() -> dict:
    """The states of every random-number generator a training step may use."""
    numpy_state = np.random.get_state()
    state = {
        "python": random.getstate(),
        # NumPy's state holds an array; stored as a tensor so that weights_only loading accepts it.
        "numpy": (numpy_state[0], torch.from_numpy(numpy_state[1].copy()), *numpy_state[2:]),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    """Restore the generators saved by :func:`rng_state`."""
    random.setstate(state["python"])
    name, keys, *rest = state["numpy"]
    np.random.set_state((name, keys.numpy(), *rest))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(directory, model, optimizer=None, scheduler=None, scaler=None, **counters) -> Path:
    """Write a checkpoint: weights (safetensors) and the training state (see the module doc).

    ``counters`` are plain values (``epoch=3``, ``step=120``, ``history={...}``) stored as they
    are. Returns the directory.
    """
    directory = check_path(directory, "directory")
    save_weights(model, directory)
    state = {"counters": counters, "rng": rng_state()}
    if optimizer is not None:
        state["optimizer"] = optimizer.state_dict()
    if scheduler is not None:
        state["scheduler"] = scheduler.state_dict()
    if scaler is not None:
        state["scaler"] = scaler.state_dict()
    temporary = directory / (STATE_FILE + ".tmp")
    torch.save(state, temporary)
    temporary.replace(directory / STATE_FILE)
    return directory


def is_checkpoint(directory) -> bool:
    """True when ``directory`` holds both files of a checkpoint."""
    directory = check_path(directory, "directory")
    return (directory / WEIGHTS_FILE).is_file() and (directory / STATE_FILE).is_file()


def load_checkpoint(directory, model, optimizer=None, scheduler=None, scaler=None, device="cpu",
                    restore_rng: bool = True) -> dict:
    """Restore what :func:`save_checkpoint` wrote, in place; returns the saved counters."""
    directory = check_path(directory, "directory")
    if not is_checkpoint(directory):
        raise FileNotFoundError(
            f"directory {str(directory)!r} is not a checkpoint: it needs {WEIGHTS_FILE} and {STATE_FILE}."
        )
    load_weights(model, directory, device=device)
    state = torch.load(directory / STATE_FILE, map_location="cpu", weights_only=True)
    if optimizer is not None:
        optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None:
        scheduler.load_state_dict(state["scheduler"])
    if scaler is not None and "scaler" in state:
        scaler.load_state_dict(state["scaler"])
    if restore_rng:
        set_rng_state(state["rng"])
    return state["counters"]
