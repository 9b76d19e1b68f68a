"""benchmarks/attention_speed.py: its rows, its record, and the plot of the record."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from tutorial_lib.book.plotting import plot_attention_cost  # noqa: E402

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "attention_speed.py"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("attention_speed", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("method", ["by hand", "fused"])
def test_measure_returns_a_row(script, method):
    row = script.measure(method, 32, batch=1, heads=2, d_head=8, repeats=2, device="cpu", seed=0)
    assert row["method"] == method and row["seq_len"] == 32 and row["status"] == "ok"
    assert row["seconds"] > 0 and isinstance(row["peak_bytes"], int)


def test_predicted_memory_is_quadratic(script):
    assert script.predicted_by_hand_bytes(1, 4, 2048) == 4 * script.predicted_by_hand_bytes(1, 4, 1024)


def test_the_script_writes_a_record_with_a_skipped_row(tmp_path):
    # 64 positions need 3 * 2 * 64 * 64 * 4 bytes = 96 KiB of scores: over a 64 KiB limit.
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), "--lengths", "16", "64", "--heads", "2", "--d-head", "8",
         "--repeats", "1", "--memory-limit-gb", str(64 / 2**20), "--output-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    record = json.loads((tmp_path / "attention-speed__cpu.json").read_text())
    statuses = {(row["method"], row["seq_len"]): row["status"] for row in record["rows"]}
    assert statuses == {("by hand", 16): "ok", ("fused", 16): "ok", ("by hand", 64): "skipped", ("fused", 64): "ok"}
    assert record["device"] == "cpu" and record["settings"]["heads"] == 2 and len(record["git_commit"]) > 0
    figure = plot_attention_cost(record)
    assert len(figure.axes) == 2
    plt.close(figure)


def test_the_script_rejects_bad_arguments():
    completed = subprocess.run([sys.executable, str(SCRIPT), "--repeats", "0"], capture_output=True, text=True, timeout=60)
    assert completed.returncode != 0 and "--repeats must be at least 1" in completed.stderr
