"""Data-parallel training: the same :func:`~tutorial_lib.training.loop.fit` under ``torchrun``.

``torchrun --nproc_per_node=N script.py`` starts N copies of a script and gives each its
``RANK``, ``LOCAL_RANK`` and ``WORLD_SIZE`` (and where to meet: ``MASTER_ADDR``,
``MASTER_PORT``). In each copy:

1. :func:`setup` joins the process group: ``nccl`` on GPUs (one GPU per process), ``gloo`` on
   CPUs;
2. :func:`distributed_sampler` gives each process a different 1/N of every epoch's examples
   (``DistributedSampler``: the same seeded permutation in every process, then every N-th
   index), so one step sees ``N × batch_size`` examples in all;
3. :func:`wrap` puts the model in ``DistributedDataParallel``: after ``backward`` the gradients
   are averaged across processes (an all-reduce), so every copy takes the same optimizer step and
   the weights stay identical: one step is a step on the global batch;
4. ``fit`` writes checkpoints from rank 0 only (the others wait at a barrier);
5. :func:`cleanup` leaves the group.

What changes with N processes: the global batch is N times larger (fewer steps per epoch;
raise the learning rate or keep the global batch by lowering the per-process batch size), each
epoch must call ``set_epoch`` on the sampler (``fit`` does), and only one rank saves or prints.
"""

from __future__ import annotations

import dataclasses
import os

import torch
from torch.utils.data import DistributedSampler

from tutorial_lib.validation import check_bool, check_int

__all__ = ["DistributedContext", "setup", "cleanup", "wrap", "distributed_sampler", "is_main_process"]


@dataclasses.dataclass(frozen=True)
class DistributedContext:
    """Where this process stands: its rank among ``world_size`` and its device."""

    rank: int
    world_size: int
    local_rank: int
    device: torch.device
    backend: str


def setup(backend: str | None = None) -> DistributedContext:
    """Join the process group that ``torchrun`` (or a test's spawn) describes in the environment.

    ``backend`` defaults to ``nccl`` when a GPU is available and ``gloo`` otherwise. Without
    ``WORLD_SIZE`` in the environment this is a single process: nothing is joined and rank 0 of
    1 is returned, so a script runs unchanged without ``torchrun``.
    """
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", str(rank)))
    use_cuda = torch.cuda.is_available() and backend != "gloo"
    backend = backend or ("nccl" if use_cuda else "gloo")
    if backend not in ("nccl", "gloo"):
        raise ValueError(f"backend must be 'nccl', 'gloo' or None, got {backend!r}.")
    if use_cuda:
        torch.cuda.set_device(local_rank)
        device = torch.device("cuda", local_rank)
    else:
        device = torch.device("cpu")
    if world_size > 1 and not torch.distributed.is_initialized():
        torch.distributed.init_process_group(backend=backend, rank=rank, world_size=world_size)
    return DistributedContext(rank, world_size, local_rank, device, backend)


def cleanup() -> None:
    """Leave the process group (if one was joined)."""
    if torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


def is_main_process() -> bool:
    """True on rank 0, and in a run without a process group."""
    return not torch.distributed.is_initialized() or torch.distributed.get_rank() == 0


def wrap(model: torch.nn.Module, context: DistributedContext) -> torch.nn.Module:
    """``model`` on the context's device, in DistributedDataParallel when there are several processes."""
    model = model.to(context.device)
    if context.world_size == 1:
        return model
    device_ids = [context.local_rank] if context.device.type == "cuda" else None
    return torch.nn.parallel.DistributedDataParallel(model, device_ids=device_ids)


def distributed_sampler(dataset, context: DistributedContext, shuffle: bool = True, seed: int = 0) -> DistributedSampler:
    """This process's share of ``dataset``: every ``world_size``-th example of a seeded permutation.

    With ``world_size`` 1 it yields the whole permutation, the same one the N processes split,
    which is how the tests compare one process with two.
    """
    shuffle = check_bool(shuffle, "shuffle")
    seed = check_int(seed, "seed", min_val=0)
    return DistributedSampler(dataset, num_replicas=context.world_size, rank=context.rank,
                              shuffle=shuffle, seed=seed, drop_last=False)


# ---------------------------------------------------------------------------------------------
# A check that runs on two CPU processes: python -m torch.distributed.run --nproc_per_node=2
#   -m tutorial_lib.training.distributed OUTPUT_FILE --batch-size 4
# ---------------------------------------------------------------------------------------------
def train_tiny_check(output_file, batch_size: int, epochs: int = 2, n_examples: int = 32) -> None:
    """Train a tiny BERT classifier on a fixed synthetic set; rank 0 saves its weights.

    Run once under ``torchrun`` with N processes and ``batch_size`` b, and once as a single
    process with ``batch_size`` N × b: the two saved weight files must agree (to float
    rounding), because a DDP step *is* a step on the global batch. Dropout is off so that
    the processes' different dropout masks cannot make them differ.
    """
    import numpy as np
    from safetensors.torch import save_model

    from tutorial_lib.models.pretrained import tiny_bert
    from tutorial_lib.models.text_classifier import BertClassifier, TokenisedTextDataset, make_text_loader
    from tutorial_lib.training.loop import FitConfig, fit

    torch.set_num_threads(1)
    batch_size = check_int(batch_size, "batch_size", min_val=1)
    context = setup()
    rng = np.random.default_rng(0)
    vocab_size = 64
    input_ids = [[2, *rng.integers(5, vocab_size, size=rng.integers(3, 12)).tolist(), 3] for _ in range(n_examples)]
    labels = np.array([int(7 in ids[1:-1]) for ids in input_ids])
    dataset = TokenisedTextDataset(input_ids, labels)
    encoder = tiny_bert("encoder", seed=0, vocab_size=vocab_size, hidden_size=16, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=32, max_position_embeddings=16, dropout=0.0)
    torch.manual_seed(0)
    model = wrap(BertClassifier(encoder, n_classes=2, dropout=0.0), context)
    loader = make_text_loader(dataset, batch_size, sampler=distributed_sampler(dataset, context, seed=0))
    fit(model, loader, config=FitConfig(epochs=epochs, lr=1e-3, warmup_fraction=0.0, progress=False),
        device=context.device)
    if is_main_process():
        inner = model.module if isinstance(model, torch.nn.parallel.DistributedDataParallel) else model
        save_model(inner, str(output_file))
    cleanup()


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Train a tiny model with DDP (or one process) and save it.")
    parser.add_argument("output_file")
    parser.add_argument("--batch-size", type=int, required=True, help="examples per process and step")
    parser.add_argument("--epochs", type=int, default=2)
    arguments = parser.parse_args()
    train_tiny_check(arguments.output_file, arguments.batch_size, arguments.epochs)
