"""Fine-tuning speed: throughput, step time and peak GPU memory of BERT under several settings.

Usage (from the repository root)::

    python benchmarks/finetune_speed.py                       # on a GPU: bert-base sizes
    python benchmarks/finetune_speed.py --size small --steps 4 --batch-size 8   # a CPU check

The model has bert-base-chinese's architecture (12 layers, hidden 768, 12 heads, 21,128-token
vocabulary) with **random** weights: speed and memory do not depend on the weights' values, and
none can be downloaded on a machine without internet. ``--size small`` shrinks it (2 layers,
hidden 128) so that a CPU finishes in seconds. The inputs are real online_shopping_10_cats
reviews tokenised with the real bert-base-chinese vocabulary, cut to 512 tokens, so the
lengths (and hence what padding costs) are those of the chapter's data.

Each row trains ``--steps`` optimizer steps of ``--batch-size`` reviews with
:func:`tutorial_lib.training.loop.fit` (one untimed step first, so that start-up costs are not
counted), or with transformers' ``Trainer`` for the rows that say so (the Trainer pads
dynamically but does not bucket, so it is compared with our loop without buckets):

- precision: fp32, or bf16 autocast (GPU only: on a CPU the loop always trains in fp32, so
  the bf16 rows are recorded as not run);
- padding: every batch to 512 tokens (what source 002 does), or dynamic padding to the
  batch's longest review with length-bucketed batches;
- attention: PyTorch's fused ``scaled_dot_product_attention`` (SDPA) or the eager
  matrix-multiply-softmax path.

Measured: samples per second, mean step time, and peak GPU memory
(``torch.cuda.max_memory_allocated``; none on a CPU). The ratios are from one run. The record
goes to ``results/benchmarks/finetune_speed__<device>.json``; chapter 12 shows it. On a GPU
the script also checks the issue's two targets: the default configuration (bf16, dynamic +
buckets, SDPA) reaches 90% of the best row and three times the fp32 pad-512 row.

This is a script, not a test: nothing here runs in CI (tests/test_finetune_speed.py runs it once
at a tiny size to check that it works).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without installing tutorial_lib
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from tutorial_lib.evaluation import results  # noqa: E402
from tutorial_lib.models.pretrained import BERT_MAX_LENGTH, bert_chinese_tokenizer, tiny_bert, tiny_bert_config  # noqa: E402
from tutorial_lib.models.text_classifier import PaddingCollator, TokenisedTextDataset, make_text_loader, tokenise  # noqa: E402
from tutorial_lib.training.loop import FitConfig, fit  # noqa: E402

#: (name, precision, padding, attention, trainer): the rows of the table, in order.
CONFIGURATIONS = [
    ("fp32, pad to 512, eager", "fp32", "pad-512", "eager", "ours"),
    ("fp32, pad to 512, SDPA", "fp32", "pad-512", "sdpa", "ours"),
    ("fp32, dynamic + buckets, SDPA", "fp32", "dynamic", "sdpa", "ours"),
    ("bf16, pad to 512, SDPA", "bf16", "pad-512", "sdpa", "ours"),
    ("bf16, dynamic + buckets, eager", "bf16", "dynamic", "eager", "ours"),
    ("bf16, dynamic + buckets, SDPA (default)", "bf16", "dynamic", "sdpa", "ours"),
    ("bf16, dynamic padding, SDPA", "bf16", "dynamic-unbucketed", "sdpa", "ours"),
    ("Trainer: bf16, dynamic padding, SDPA", "bf16", "dynamic-unbucketed", "sdpa", "trainer"),
    ("fp32, dynamic padding, SDPA", "fp32", "dynamic-unbucketed", "sdpa", "ours"),
    ("Trainer: fp32, dynamic padding, SDPA", "fp32", "dynamic-unbucketed", "sdpa", "trainer"),
]
DEFAULT_ROW = "bf16, dynamic + buckets, SDPA (default)"
BASELINE_ROW = "fp32, pad to 512, eager"
SIZES = {
    "bert-base": {"hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12,
                  "intermediate_size": 3072},
    "small": {"hidden_size": 128, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 256},
}


def review_token_ids(n_reviews: int, seed: int) -> list[list[int]]:
    """Token ids of ``n_reviews`` random online_shopping_10_cats reviews, cut to 512 tokens."""
    from tutorial_lib.data.datasets import load_reviews

    reviews = load_reviews("online_shopping_10_cats")
    rows = np.random.default_rng(seed).choice(len(reviews), size=n_reviews, replace=False)
    return tokenise(bert_chinese_tokenizer(), reviews["text"].iloc[rows].tolist(), BERT_MAX_LENGTH)


def _synchronise(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure(row, input_ids, *, size: str, batch_size: int, steps: int, device: torch.device, seed: int) -> dict:
    """Train one configuration for ``steps`` steps; returns its measurements."""
    name, precision, padding, attention, trainer = row
    result = {"configuration": name, "precision": precision, "padding": padding, "attention": attention,
              "loop": trainer, "status": "ok", "reason": None, "samples_per_second": None,
              "step_seconds": None, "peak_gpu_memory_mb": None, "mean_tokens_per_batch": None}
    if precision != "fp32" and device.type != "cuda":
        return {**result, "status": "not run", "reason": "bf16 autocast is used on a GPU only"}
    labels = np.random.default_rng(seed).integers(0, 2, size=len(input_ids))
    n_timed = steps * batch_size
    warm_up = TokenisedTextDataset(input_ids[:batch_size], labels[:batch_size])
    timed = TokenisedTextDataset(input_ids[batch_size : batch_size + n_timed], labels[batch_size : batch_size + n_timed])
    config = tiny_bert_config(**SIZES[size], dropout=0.1)
    model = tiny_bert("sequence-classification", seed=seed, config=config, attn_implementation=attention)
    fit_config = FitConfig(epochs=1, lr=3e-5, precision=precision, progress=False, seed=seed)
    pad_to = BERT_MAX_LENGTH if padding == "pad-512" else None
    collate = PaddingCollator(pad_to=pad_to)
    tokens = [len(batch) * (pad_to or max(map(len, batch))) for batch in
              (input_ids[start : start + batch_size] for start in range(batch_size, batch_size + n_timed, batch_size))]
    result["mean_tokens_per_batch"] = float(np.mean(tokens))
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    if trainer == "trainer":
        from tutorial_lib.peers.transformers_trainer import train_with_trainer

        train_with_trainer(model, warm_up, warm_up, fit_config, batch_size=batch_size, collate=collate,
                           device=device.type)
        _synchronise(device)
        started = time.perf_counter()
        train_with_trainer(model, timed, warm_up, fit_config, batch_size=batch_size, collate=collate,
                           device=device.type)
        _synchronise(device)
        seconds = time.perf_counter() - started
    else:
        bucket = padding == "dynamic"
        fit(model, make_text_loader(warm_up, batch_size, pad_to=pad_to), config=fit_config, device=device)
        _synchronise(device)
        started = time.perf_counter()
        fit(model, make_text_loader(timed, batch_size, shuffle=True, seed=seed, bucket_by_length=bucket,
                                    pad_to=pad_to), config=fit_config, device=device)
        _synchronise(device)
        seconds = time.perf_counter() - started
    result["samples_per_second"] = n_timed / seconds
    result["step_seconds"] = seconds / steps
    if device.type == "cuda":
        result["peak_gpu_memory_mb"] = torch.cuda.max_memory_allocated(device) / 2**20
    return result


def targets(rows: list[dict]) -> dict:
    """The issue's two ratios (GPU only): default / best row, default / fp32 pad-512 row."""
    measured = {row["configuration"]: row["samples_per_second"] for row in rows if row["status"] == "ok"}
    if DEFAULT_ROW not in measured or BASELINE_ROW not in measured:
        return {"default_over_best": None, "default_over_fp32_pad512": None}
    return {"default_over_best": measured[DEFAULT_ROW] / max(measured.values()),
            "default_over_fp32_pad512": measured[DEFAULT_ROW] / measured[BASELINE_ROW]}


def main(argv=None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="bert-base")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=20, help="timed optimizer steps per row")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for PyTorch")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output-dir", default=str(ROOT / "results" / "benchmarks"))
    arguments = parser.parse_args(argv)
    torch.set_num_threads(arguments.threads)
    device_name = ("cuda" if torch.cuda.is_available() else "cpu") if arguments.device == "auto" else arguments.device
    device = torch.device(device_name)
    input_ids = review_token_ids((arguments.steps + 1) * arguments.batch_size, arguments.seed)
    rows = []
    for row in CONFIGURATIONS:
        measured = measure(row, input_ids, size=arguments.size, batch_size=arguments.batch_size,
                           steps=arguments.steps, device=device, seed=arguments.seed)
        rows.append(measured)
        speed = measured["samples_per_second"]
        print(f"{row[0]:<42} " + (f"{speed:8.1f} samples/s" if speed else measured["reason"]), flush=True)
    record = {
        "benchmark": "finetune_speed",
        "device": device.type,
        "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
        "model_size": arguments.size,
        "model_config": SIZES[arguments.size],
        "weights": "random (speed does not depend on the weights' values)",
        "batch_size": arguments.batch_size,
        "timed_steps": arguments.steps,
        "threads": arguments.threads,
        "rows": rows,
        "targets": targets(rows),
        "hardware": results.hardware(),
        "library_versions": results.library_versions(("transformers", "peft", "safetensors")),
        "git_commit": results.git_commit(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    output_dir = Path(arguments.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / f"finetune_speed__{device.type}.json"
    path.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {path}")
    if device.type == "cuda":
        ratios = record["targets"]
        print(f"default / best: {ratios['default_over_best']:.2f} (target >= 0.90); default / fp32 pad-512: "
              f"{ratios['default_over_fp32_pad512']:.2f} (target >= 3)")
    return path


if __name__ == "__main__":
    main()
