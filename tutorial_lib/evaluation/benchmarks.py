"""Scaling records: how long a model takes, and how much memory, as the data grows.

``benchmarks/scaling.py`` fits each model on logs of growing size, recommends the top ``k``
to every user, and writes one JSON file per (model, dataset) run under
``results/benchmarks/``. The chapters read them back with :func:`load_scaling_records`,
tabulate them with :func:`scaling_table` and plot them with
:func:`tutorial_lib.book.plotting.plot_scaling`; a notebook never re-measures.

A run that was not made is a record too: ``status`` is ``"skipped"`` (its predicted time,
from the model's cost at the smaller sizes, was over the budget), ``"timed-out"`` (it ran
past the budget and was stopped) or ``"failed"`` (it raised; ``reason`` holds the error), so a
missing point on a plot always has a stated cause. A run stopped while recommending keeps
its fit times (the fit did finish).

**Memory** is the peak resident set size (``resource.getrusage(...).ru_maxrss``) of the fresh
process that ran the one model: it counts the interpreter, the libraries, the data and
everything the model allocated, NumPy, SciPy and compiled extensions alike (``tracemalloc``
would miss memory that C++ or BLAS code allocates). ``rss_before_fit_bytes`` is the process's
resident size just before ``fit``, so ``peak_rss_bytes - rss_before_fit_bytes`` is what
fitting and recommending added on top of the loaded data.

These records are not results records (:mod:`tutorial_lib.evaluation.results`): they hold no
accuracy metric, and :func:`tutorial_lib.evaluation.results.record_files` leaves their
folder out.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tutorial_lib.evaluation import results

__all__ = [
    "MEMORY_METHOD",
    "STATUSES",
    "cost_by_size",
    "growth_exponents",
    "load_scaling_records",
    "make_scaling_record",
    "scaling_directory",
    "scaling_filename",
    "scaling_table",
    "size_label",
    "validate_scaling_record",
    "write_scaling_record",
]

SCHEMA_VERSION = 1
#: What a run's outcome may be: measured, or why not.
STATUSES = ("ok", "skipped", "timed-out", "failed")
MEMORY_METHOD = "peak resident set size (getrusage ru_maxrss) of a fresh process per run"
#: Libraries whose versions a scaling record lists, beyond those of every results record.
EXTRA_LIBRARIES = ("scipy", "pandas", "implicit")

_REQUIRED_FIELDS: dict[str, tuple[type, ...]] = {
    "schema_version": (int,),
    "benchmark": (str,),
    "dataset": (str,),
    "synthetic": (bool,),
    "n_interactions": (int,),
    "n_users": (int,),
    "n_items": (int,),
    "model": (str,),
    "model_family": (str,),
    "config": (dict,),
    "status": (str,),
    "reason": (str, type(None)),
    "k": (int,),
    "batch_size": (int,),
    "fit_seconds": (float, int, type(None)),
    "recommend_seconds": (float, int, type(None)),
    "fit_cpu_seconds": (float, int, type(None)),
    "recommend_cpu_seconds": (float, int, type(None)),
    "n_users_recommended": (int, type(None)),
    "peak_rss_bytes": (int, type(None)),
    "rss_before_fit_bytes": (int, type(None)),
    "memory_method": (str,),
    "time_budget_seconds": (float, int),
    "threads": (int,),
    "seed": (int,),
    "hardware": (dict,),
    "library_versions": (dict,),
    "tutorial_lib_version": (str,),
    "git_commit": (str,),
    "date": (str,),
}
_MEASUREMENTS = (
    "fit_seconds", "recommend_seconds", "fit_cpu_seconds", "recommend_cpu_seconds",
    "n_users_recommended", "peak_rss_bytes", "rss_before_fit_bytes",
)


class ScalingRecordError(ValueError):
    """A scaling record that is not well formed; the message names the field."""


def make_scaling_record(
    *,
    dataset: str,
    synthetic: bool,
    n_interactions: int,
    n_users: int,
    n_items: int,
    model: str,
    model_family: str,
    config: Mapping[str, Any],
    status: str,
    k: int,
    batch_size: int,
    time_budget_seconds: float,
    threads: int,
    seed: int,
    reason: str | None = None,
    fit_seconds: float | None = None,
    recommend_seconds: float | None = None,
    fit_cpu_seconds: float | None = None,
    recommend_cpu_seconds: float | None = None,
    n_users_recommended: int | None = None,
    peak_rss_bytes: int | None = None,
    rss_before_fit_bytes: int | None = None,
) -> dict[str, Any]:
    """Return a validated scaling record (a plain dict, ready for :func:`write_scaling_record`).

    Hardware, library versions, the tutorial_lib version, the git commit and the date are
    filled in here, as :func:`tutorial_lib.evaluation.results.make_record` does.

    Parameters
    ----------
    dataset : str
        E.g. ``"movielens-100k"`` or ``"synthetic-1m"``.
    synthetic : bool
        True for a log from :func:`tutorial_lib.data.synthetic.synthetic_interactions`.
    n_interactions, n_users, n_items : int
        The log's size: rows, distinct users, catalogue size.
    model, model_family : str
        Display name and ``models`` module family, as in a results record.
    config : dict
        The model's config values.
    status : str
        One of :data:`STATUSES`; a status other than ``"ok"`` needs a ``reason``.
    k, batch_size : int
        Length of each list, and users per ``recommend_batch`` call.
    time_budget_seconds : float
        The budget the run was held to: CPU seconds of fit plus recommend.
    threads : int
        Threads the numerical libraries were allowed (``OMP_NUM_THREADS`` and friends).
    seed : int
        Seed of the synthetic log and of the model.
    fit_seconds, recommend_seconds : float, optional
        Wall time of ``fit`` and of recommending to every user (all batches); required when
        ``status == "ok"``.
    fit_cpu_seconds, recommend_cpu_seconds : float, optional
        The same as CPU time of the process (``time.process_time``, all its threads): on a
        shared machine it barely moves when other work competes for the cores, which wall
        time does; required when ``status == "ok"``.
    n_users_recommended : int, optional
        Users that got a list (every user of the log).
    peak_rss_bytes, rss_before_fit_bytes : int, optional
        See the module docstring.
    """
    record = {
        "schema_version": SCHEMA_VERSION,
        "benchmark": "scaling",
        "dataset": dataset,
        "synthetic": synthetic,
        "n_interactions": n_interactions,
        "n_users": n_users,
        "n_items": n_items,
        "model": model,
        "model_family": model_family,
        "config": json.loads(json.dumps(dict(config))),
        "status": status,
        "reason": reason,
        "k": k,
        "batch_size": batch_size,
        "fit_seconds": fit_seconds,
        "recommend_seconds": recommend_seconds,
        "fit_cpu_seconds": fit_cpu_seconds,
        "recommend_cpu_seconds": recommend_cpu_seconds,
        "n_users_recommended": n_users_recommended,
        "peak_rss_bytes": peak_rss_bytes,
        "rss_before_fit_bytes": rss_before_fit_bytes,
        "memory_method": MEMORY_METHOD,
        "time_budget_seconds": time_budget_seconds,
        "threads": threads,
        "seed": seed,
        "hardware": results.hardware(),
        "library_versions": results.library_versions(EXTRA_LIBRARIES),
        "tutorial_lib_version": results.tutorial_lib_version(),
        "git_commit": results.git_commit(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    validate_scaling_record(record)
    return record




def validate_scaling_record(record, source: str = "scaling record") -> None:
    """Raise :class:`ScalingRecordError` unless ``record`` is a well-formed scaling record.

    Every field of :func:`make_scaling_record` must be there with the right type (no other
    field), ``status`` one of :data:`STATUSES`; an ``"ok"`` record has every measurement and
    no reason, any other record has a reason. ``source`` (e.g. a file name) starts the message.
    """
    if not isinstance(record, Mapping):
        raise ScalingRecordError(f"{source} must be a JSON object, got {type(record).__name__}.")
    problems = []
    missing = sorted(set(_REQUIRED_FIELDS) - set(record))
    extra = sorted(set(record) - set(_REQUIRED_FIELDS))
    if missing:
        problems.append(f"missing fields {missing}")
    if extra:
        problems.append(f"unknown fields {extra}")
    for name, types in _REQUIRED_FIELDS.items():
        if name not in record:
            continue
        value = record[name]
        wrong_type = not isinstance(value, types) or (isinstance(value, bool) and bool not in types)
        if wrong_type:
            expected = " or ".join("null" if kind is type(None) else kind.__name__ for kind in types)
            problems.append(f"field {name}: expected {expected}, got {value!r}")
    if not problems:
        problems.extend(_content_problems(record))
    if problems:
        raise ScalingRecordError(f"{source} is not a valid scaling record:\n  " + "\n  ".join(problems))


def _content_problems(record: Mapping[str, Any]) -> list[str]:
    problems = []
    if record["schema_version"] != SCHEMA_VERSION:
        problems.append(f"field schema_version: expected {SCHEMA_VERSION}, got {record['schema_version']}")
    if record["benchmark"] != "scaling":
        problems.append(f"field benchmark: expected 'scaling', got {record['benchmark']!r}")
    if record["status"] not in STATUSES:
        problems.append(f"field status: expected one of {STATUSES}, got {record['status']!r}")
    elif record["status"] == "ok":
        absent = [name for name in _MEASUREMENTS if record[name] is None]
        if absent:
            problems.append(f"an 'ok' record needs every measurement; these are null: {absent}")
        if record["reason"] is not None:
            problems.append("field reason: an 'ok' record has no reason (null)")
    elif not record["reason"]:
        problems.append(f"field reason: a {record['status']!r} record must say why")
    for name in ("n_interactions", "n_users", "n_items", "k", "batch_size", "threads"):
        if record[name] < 1:
            problems.append(f"field {name}: must be >= 1, got {record[name]}")
    for name in _MEASUREMENTS:
        if record[name] is not None and record[name] < 0:
            problems.append(f"field {name}: must be >= 0, got {record[name]}")
    if not re.fullmatch(r"[0-9a-f]{40}|unknown", record["git_commit"]):
        problems.append(f"field git_commit: expected 40 hex digits or 'unknown', got {record['git_commit']!r}")
    return problems


def scaling_directory() -> Path:
    """``results/benchmarks/`` (under :func:`tutorial_lib.evaluation.results.default_directory`)."""
    return results.default_directory() / results.BENCHMARKS_SUBDIRECTORY


def scaling_filename(record: Mapping[str, Any]) -> str:
    """``scaling__<dataset>__<model>.json``: a re-run of the same pair overwrites its file."""
    parts = ["scaling", record["dataset"], record["model"]]
    return "__".join(re.sub(r"[^a-z0-9]+", "-", part.lower()).strip("-") or "x" for part in parts) + ".json"


def write_scaling_record(record: Mapping[str, Any], directory: str | os.PathLike | None = None) -> Path:
    """Validate ``record``, write it as JSON under ``directory`` (default :func:`scaling_directory`)."""
    validate_scaling_record(record)
    folder = Path(directory) if directory is not None else scaling_directory()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / scaling_filename(record)
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(record, indent=1, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")
    temporary.replace(path)
    return path


def load_scaling_records(directory: str | os.PathLike | None = None) -> list[dict[str, Any]]:
    """Every ``scaling__*.json`` in ``directory`` (default :func:`scaling_directory`), validated.

    Sorted by file name. A directory that does not exist holds no records (an empty list).

    Raises
    ------
    ScalingRecordError
        A file that is not valid JSON or not a valid record; the message names the file.
    """
    folder = Path(directory) if directory is not None else scaling_directory()
    if not folder.is_dir():
        return []
    records = []
    for path in sorted(folder.glob("scaling__*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise ScalingRecordError(f"{path} is not valid JSON: {error}") from None
        validate_scaling_record(record, source=str(path))
        records.append(record)
    return records


def scaling_table(records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per record: model, dataset, size, status and costs, by model then size.

    Columns: ``model``, ``model_family``, ``dataset``, ``synthetic``, ``n_interactions``, ``n_users``, ``n_items``,
    ``status``, ``fit_s``, ``recommend_s`` (wall seconds), ``fit_cpu_s``, ``recommend_cpu_s``
    (CPU seconds), ``peak_memory_mb`` and
    ``added_memory_mb`` (MiB: the process's peak, and the peak above the resident size
    before ``fit``), ``reason``. Costs are NaN for a run that was not measured.

    Raises
    ------
    ValueError
        When ``records`` is empty.
    """
    rows = []
    for record in records:
        validate_scaling_record(record)
        peak, before = record["peak_rss_bytes"], record["rss_before_fit_bytes"]
        rows.append(
            {
                "model": record["model"],
                "model_family": record["model_family"],
                "dataset": record["dataset"],
                "synthetic": record["synthetic"],
                "n_interactions": record["n_interactions"],
                "n_users": record["n_users"],
                "n_items": record["n_items"],
                "status": record["status"],
                "fit_s": _or_nan(record["fit_seconds"]),
                "recommend_s": _or_nan(record["recommend_seconds"]),
                "fit_cpu_s": _or_nan(record["fit_cpu_seconds"]),
                "recommend_cpu_s": _or_nan(record["recommend_cpu_seconds"]),
                "peak_memory_mb": _or_nan(peak, scale=2**20),
                "added_memory_mb": float("nan") if peak is None or before is None else (peak - before) / 2**20,
                "reason": record["reason"],
            }
        )
    if not rows:
        raise ValueError("records is empty: run benchmarks/scaling.py first (it writes results/benchmarks/).")
    table = pd.DataFrame(rows)
    return table.sort_values(["model", "n_interactions"], kind="stable", ignore_index=True)


def size_label(n_interactions: int) -> str:
    """A short name for a log size: ``100000`` -> ``"100K"``, ``1000209`` -> ``"1M"``."""
    if n_interactions >= 1_000_000:
        return f"{n_interactions / 1_000_000:.3g}M"
    if n_interactions >= 1_000:
        return f"{n_interactions / 1_000:.3g}K"
    return str(int(n_interactions))


def _with_totals(table: pd.DataFrame) -> pd.DataFrame:
    table = table.copy()
    table["total_s"] = table["fit_s"] + table["recommend_s"]
    table["total_cpu_s"] = table["fit_cpu_s"] + table["recommend_cpu_s"]
    return table


_COSTS = ("fit_s", "recommend_s", "fit_cpu_s", "recommend_cpu_s", "peak_memory_mb", "added_memory_mb",
          "total_s", "total_cpu_s")


def _check_cost(cost: str) -> None:
    if cost not in _COSTS:
        raise ValueError(f"cost must be one of {_COSTS}, got {cost!r}.")


def cost_by_size(table: pd.DataFrame, cost: str = "total_cpu_s") -> pd.DataFrame:
    """One row per model, one column per log size (labelled by :func:`size_label`): ``cost``.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`scaling_table`.
    cost : str
        As in :func:`growth_exponents`.

    Returns
    -------
    pandas.DataFrame
        Shape ``(n_models, n_sizes)``, models sorted, sizes smallest first; NaN where the
        model was not measured at that size (the table's ``status`` and ``reason`` say why).
    """
    _check_cost(cost)
    table = _with_totals(table)
    values = table[table["status"] == "ok"].pivot(index="model", columns="n_interactions", values=cost)
    values = values.reindex(index=sorted(table["model"].unique()), columns=sorted(table["n_interactions"].unique()))
    values.columns = [size_label(n) for n in values.columns]
    values.index.name = None
    return values


def growth_exponents(table: pd.DataFrame, cost: str = "total_cpu_s") -> pd.Series:
    """Per model, the slope of log(cost) against log(n_interactions) between its two largest
    measured sizes: 1 means the cost grows in proportion to the data, 2 with its square.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`scaling_table`.
    cost : str
        A cost column of the table (``"fit_s"``, ``"recommend_s"``, ``"fit_cpu_s"``,
        ``"recommend_cpu_s"``, ``"peak_memory_mb"``, ``"added_memory_mb"``), or
        ``"total_s"`` / ``"total_cpu_s"`` (fit plus recommend, wall or CPU).

    Returns
    -------
    pandas.Series
        Indexed by model, sorted by model; NaN for a model measured at fewer than two sizes.
    """
    _check_cost(cost)
    measured = _with_totals(table[table["status"] == "ok"])
    exponents = {}
    for model in sorted(table["model"].unique()):
        rows = measured[measured["model"] == model].sort_values("n_interactions").tail(2)
        if len(rows) < 2 or (rows[cost] <= 0).any():
            exponents[model] = float("nan")
            continue
        (small_n, large_n), (small_cost, large_cost) = rows["n_interactions"], rows[cost]
        exponents[model] = float(np.log(large_cost / small_cost) / np.log(large_n / small_n))
    return pd.Series(exponents, name=f"growth exponent of {cost}")


def _or_nan(value, scale: float = 1.0) -> float:
    return float("nan") if value is None else value / scale
