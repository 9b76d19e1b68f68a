"""benchmarks/finetune_speed.py runs end to end (at a tiny size, on the CPU) and writes its record."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "finetune_speed.py"


def test_the_benchmark_writes_a_cpu_record(tmp_path):
    import torch

    torch.set_num_threads(1)
    spec = importlib.util.spec_from_file_location("finetune_speed", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        path = module.main(["--size", "small", "--steps", "1", "--batch-size", "2", "--device", "cpu",
                            "--output-dir", str(tmp_path)])
    except FileNotFoundError as error:  # the review corpus is neither cached nor mirrored
        pytest.skip(f"review data unavailable: {error}")
    record = json.loads(path.read_text(encoding="utf-8"))
    assert record["device"] == "cpu" and record["gpu"] is None
    rows = {row["configuration"]: row for row in record["rows"]}
    assert len(rows) == len(module.CONFIGURATIONS)
    for name, row in rows.items():
        if row["precision"] == "fp32":
            assert row["status"] == "ok" and row["samples_per_second"] > 0, name
        else:
            assert row["status"] == "not run" and "GPU" in row["reason"], name
    # Padding to 512 feeds more tokens than padding each batch to its longest review.
    assert rows["fp32, pad to 512, SDPA"]["mean_tokens_per_batch"] == 2 * 512
    assert rows["fp32, dynamic + buckets, SDPA"]["mean_tokens_per_batch"] < 2 * 512
    assert record["targets"] == {"default_over_best": None, "default_over_fp32_pad512": None}
