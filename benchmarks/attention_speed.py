"""Attention benchmark: our by-hand attention against ``F.scaled_dot_product_attention``.

Usage (from the repository root)::

    python benchmarks/attention_speed.py                       # CPU, lengths 64 .. 4096
    python benchmarks/attention_speed.py --device cuda         # on a GPU
    python benchmarks/attention_speed.py --lengths 64 256 --repeats 3

For each sequence length n, both implementations run the same forward pass (no gradients) on
the same random queries, keys and values of shape ``(batch, heads, n, d_head)`` in float32:
:func:`tutorial_lib.models.attention.scaled_dot_product_attention` ("by hand", which builds
the full ``(batch, heads, n, n)`` score and weight matrices) and PyTorch's fused
``F.scaled_dot_product_attention`` ("fused", which on CPU and GPU can run a flash-attention
kernel that never stores the n × n matrix). Both run in the same invocation, one length after
the other, so their ratio compares like with like.

- **Time**: the median wall time of ``--repeats`` calls after one warm-up call.
- **Peak memory**: on CPU, each (method, length) runs in a fresh Python process and reports
  its peak resident set size (``getrusage``) minus its resident size just before the first
  call, i.e. what the attention call added on top of its inputs. On a GPU,
  ``torch.cuda.max_memory_allocated`` minus the memory allocated before the call.

The by-hand version's memory grows as n²; a length whose predicted score matrices exceed
``--memory-limit-gb`` is recorded as ``skipped`` (with the prediction), and a run that fails
(out of memory, say) as ``failed`` with the error, so a missing point always has a stated
cause. Threads: ``--threads`` (default 1) for torch's intra-op pool.

One JSON file per device is written under ``results/benchmarks/``:
``attention-speed__<device>.json`` with the settings, provenance and one row per
(method, length). Chapter 10 reads and plots it. This is a script, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without installing tutorial_lib
    sys.path.insert(0, str(ROOT))

RESULT_PREFIX = "ATTENTION_SPEED_RESULT "
METHODS = ("by hand", "fused")
DEFAULT_LENGTHS = (64, 128, 256, 512, 1024, 2048, 4096)
BYTES_PER_FLOAT32 = 4
# The by-hand forward holds about three (batch, heads, n, n) tensors at once: the scores,
# the masked/softmaxed weights and a temporary of the softmax.
SCORE_MATRICES_HELD = 3
SCHEMA_VERSION = 1


def predicted_by_hand_bytes(batch: int, heads: int, seq_len: int) -> int:
    """Bytes of the n × n matrices the by-hand attention holds at its peak (an estimate)."""
    return SCORE_MATRICES_HELD * batch * heads * seq_len * seq_len * BYTES_PER_FLOAT32


def _current_rss_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        resident_pages = int(statm.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


def _peak_rss_bytes() -> int:
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def measure(method: str, seq_len: int, *, batch: int, heads: int, d_head: int, repeats: int, device: str, seed: int) -> dict:
    """Time and peak memory of one attention forward pass: a row of the record."""
    import torch
    import torch.nn.functional as F

    from tutorial_lib.models.attention import scaled_dot_product_attention

    generator = torch.Generator().manual_seed(seed)
    shape = (batch, heads, seq_len, d_head)
    query, key, value = (torch.randn(shape, generator=generator).to(device) for _ in range(3))

    def attend(q=query, k=key, v=value):
        if method == "by hand":
            return scaled_dot_product_attention(q, k, v)[0]
        return F.scaled_dot_product_attention(q, k, v)

    def synchronise():
        if device.startswith("cuda"):
            torch.cuda.synchronize()

    with torch.no_grad():
        # A tiny call first loads the kernels' code, so the memory measured below is the
        # call's own working memory, not the library pages it touches the first time.
        tiny = torch.zeros(1, 1, 8, d_head, device=device)
        attend(tiny, tiny, tiny)
        synchronise()
        if device.startswith("cuda"):
            torch.cuda.reset_peak_memory_stats()
            memory_before = torch.cuda.memory_allocated()
        else:
            memory_before = _current_rss_bytes()
        output = attend()  # the warm-up call is also the one whose memory is measured
        synchronise()
        if device.startswith("cuda"):
            peak_bytes = torch.cuda.max_memory_allocated() - memory_before
        else:
            peak_bytes = _peak_rss_bytes() - memory_before
        del output
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            output = attend()
            synchronise()
            times.append(time.perf_counter() - start)
            del output
    return {
        "method": method,
        "seq_len": seq_len,
        "status": "ok",
        "reason": None,
        "seconds": statistics.median(times),
        "peak_bytes": int(peak_bytes),
    }


def _run_worker(arguments: argparse.Namespace) -> None:
    import torch

    torch.set_num_threads(arguments.threads)
    row = measure(
        arguments.worker_method,
        arguments.worker_length,
        batch=arguments.batch,
        heads=arguments.heads,
        d_head=arguments.d_head,
        repeats=arguments.repeats,
        device=arguments.device,
        seed=arguments.seed,
    )
    print(RESULT_PREFIX + json.dumps(row), flush=True)


def _row_in_fresh_process(arguments: argparse.Namespace, method: str, seq_len: int) -> dict:
    command = [
        sys.executable, str(Path(__file__).resolve()),
        "--worker-method", method, "--worker-length", str(seq_len),
        "--batch", str(arguments.batch), "--heads", str(arguments.heads), "--d-head", str(arguments.d_head),
        "--repeats", str(arguments.repeats), "--threads", str(arguments.threads),
        "--device", arguments.device, "--seed", str(arguments.seed),
    ]
    environment = dict(os.environ, OMP_NUM_THREADS=str(arguments.threads), MKL_NUM_THREADS=str(arguments.threads))
    completed = subprocess.run(command, capture_output=True, text=True, env=environment)
    for line in completed.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX):])
    error_lines = (completed.stderr or "").strip().splitlines()
    reason = error_lines[-1] if error_lines else f"the worker exited with status {completed.returncode}"
    return {"method": method, "seq_len": seq_len, "status": "failed", "reason": reason, "seconds": None, "peak_bytes": None}


def run_benchmark(arguments: argparse.Namespace) -> dict:
    """Measure every (method, length) and return the record (a dict)."""
    import torch

    from tutorial_lib.evaluation import results

    rows = []
    given_up: dict[str, str] = {}  # method -> why longer lengths are not run
    for seq_len in sorted(arguments.lengths):
        for method in METHODS:
            if method in given_up:
                rows.append({"method": method, "seq_len": seq_len, "status": "skipped", "reason": given_up[method], "seconds": None, "peak_bytes": None})
                continue
            predicted = predicted_by_hand_bytes(arguments.batch, arguments.heads, seq_len)
            if method == "by hand" and predicted > arguments.memory_limit_gb * 2**30:
                reason = f"predicted {predicted / 2**30:.1f} GiB of score matrices > limit {arguments.memory_limit_gb} GiB"
                rows.append({"method": method, "seq_len": seq_len, "status": "skipped", "reason": reason, "seconds": None, "peak_bytes": None})
                continue
            if arguments.device == "cpu":
                row = _row_in_fresh_process(arguments, method, seq_len)
            else:
                try:
                    row = measure(method, seq_len, batch=arguments.batch, heads=arguments.heads, d_head=arguments.d_head,
                                  repeats=arguments.repeats, device=arguments.device, seed=arguments.seed)
                except RuntimeError as error:  # torch.cuda.OutOfMemoryError is a RuntimeError
                    row = {"method": method, "seq_len": seq_len, "status": "failed", "reason": str(error).splitlines()[0],
                           "seconds": None, "peak_bytes": None}
                    torch.cuda.empty_cache()
            rows.append(row)
            if row["status"] == "failed":
                given_up[method] = f"failed at length {seq_len}"
            seconds = "-" if row["seconds"] is None else f"{row['seconds'] * 1e3:.2f} ms"
            print(f"{method:>8}  n={seq_len:>5}  {row['status']:>7}  {seconds}", flush=True)
    device_name = torch.cuda.get_device_name(0) if arguments.device.startswith("cuda") else results.hardware()["cpu"]
    return {
        "schema_version": SCHEMA_VERSION,
        "benchmark": "attention-speed",
        "device": "gpu" if arguments.device.startswith("cuda") else "cpu",
        "device_name": device_name,
        "settings": {
            "batch": arguments.batch, "heads": arguments.heads, "d_head": arguments.d_head, "dtype": "float32",
            "repeats": arguments.repeats, "threads": arguments.threads, "seed": arguments.seed,
            "memory_limit_gb": arguments.memory_limit_gb, "pass": "forward, no gradients",
        },
        "memory_method": (
            "torch.cuda.max_memory_allocated minus memory allocated before the call"
            if arguments.device.startswith("cuda")
            else "peak resident set size (getrusage) of a fresh process minus its resident size before the call"
        ),
        "rows": rows,
        "hardware": results.hardware(),
        "versions": results.library_versions(),
        "git_commit": results.git_commit(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def record_path(device: str, directory: Path | None = None) -> Path:
    """``results/benchmarks/attention-speed__<device>.json`` (device "cpu" or "gpu")."""
    directory = ROOT / "results" / "benchmarks" if directory is None else Path(directory)
    return directory / f"attention-speed__{device}.json"


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=list(DEFAULT_LENGTHS))
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--d-head", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu", help="cpu, or cuda / cuda:0")
    parser.add_argument("--memory-limit-gb", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output-dir", type=Path, default=None, help="default results/benchmarks/")
    parser.add_argument("--worker-method", choices=METHODS, help=argparse.SUPPRESS)
    parser.add_argument("--worker-length", type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    for name in ("batch", "heads", "d_head", "repeats", "threads"):
        if getattr(arguments, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if any(length < 1 for length in arguments.lengths):
        parser.error("--lengths must be positive integers")
    return arguments


def main(argv: list[str] | None = None) -> None:
    arguments = _parse(argv)
    if arguments.worker_method is not None:
        _run_worker(arguments)
        return
    if arguments.device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise SystemExit("--device cuda was asked for but torch sees no GPU")
        torch.set_num_threads(arguments.threads)
    record = run_benchmark(arguments)
    path = record_path(record["device"], arguments.output_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
