"""Results records: one JSON file per experiment a chapter reports.

A record says what was run (task, dataset, split, model and its config, profile), what came
out (metrics, with 95% confidence intervals where the metric has one), how long it took, and
where (hardware, library versions, git commit, date, chapter). The book's tables and the
evaluation chapter's leaderboard are built from records, never typed by hand.

Quick-profile records are written during every run under ``results/quick/`` and are not
committed (``.gitignore``); full-profile records (a GPU, or a long CPU run) are written
under ``results/`` and committed: they are "the real result" a chapter quotes beside its
own quick run. The schema is ``tutorial_lib/resources/results_schema.json``; every record is
checked against it when written and when read.

Example::

    from tutorial_lib.evaluation import results

    with results.Timer() as train_timer:
        model.fit(X_train, y_train)
    with results.Timer() as predict_timer:
        p_test = model.predict_proba(X_test)[:, 1]
    record = results.make_record(
        task="like-prediction",
        dataset="movielens-100k",
        split="global time cut-off, last 20% of days",
        model="Logistic regression (Newton)",
        model_family="logistic",
        config=config,                    # a ProfileConfig or a plain dict
        profile=context.profile,          # a Profile, or "quick" / "full"
        metrics={
            "auc": results.metric(auc, ci=(auc_low, auc_high)),
            "log_loss": results.metric(loss, higher_is_better=False),
        },
        train_seconds=train_timer.seconds,
        predict_seconds=predict_timer.seconds,
        chapter="03_logistic_regression",
        seed=context.seed,
    )
    path = results.write_record(record)   # results/quick/like-prediction__....json
    table = results.records_table(results.load_records(), task="like-prediction")

Where records go (``write_record`` and ``load_records`` without a ``directory``): the
folder named by the environment variable ``TUTORIAL_RESULTS_DIR`` if it is set; otherwise
``results/`` at the root of the repository when ``tutorial_lib`` runs from a checkout;
otherwise (a pip install, e.g. on Colab) ``./results`` under the current directory. Quick
records go to the ``quick/`` folder inside it.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import importlib.resources
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from tutorial_lib.config import profile_name
from tutorial_lib.validation import check_bool, check_int, check_real

__all__ = [
    "RESULTS_DIR_ENV_VAR",
    "TASKS",
    "RecordError",
    "Timer",
    "default_directory",
    "load_records",
    "make_record",
    "metric",
    "record_files",
    "read_record",
    "record_filename",
    "records_table",
    "validate_record",
    "write_record",
]

SCHEMA_VERSION = 1
RESULTS_DIR_ENV_VAR = "TUTORIAL_RESULTS_DIR"
QUICK_SUBDIRECTORY = "quick"
# Scaling benchmark records (tutorial_lib.evaluation.benchmarks) live here; they are not
# results records, so record_files leaves this folder out.
BENCHMARKS_SUBDIRECTORY = "benchmarks"
# The libraries whose versions every record lists (distribution names, for importlib.metadata).
RECORDED_LIBRARIES = ("numpy", "scikit-learn", "torch", "transformers")
_SCHEMA_RESOURCE = "results_schema.json"
_PACKAGE_DIR = Path(__file__).resolve().parent.parent  # .../tutorial_lib


class RecordError(ValueError):
    """A results record that does not match the schema; the message names the field."""


# --------------------------------------------------------------------------------------
# Building a record
# --------------------------------------------------------------------------------------
def metric(value, ci: tuple[float, float] | None = None, higher_is_better: bool = True) -> dict[str, Any]:
    """One metric of a record: ``{"value", "ci_low", "ci_high", "higher_is_better"}``.

    Parameters
    ----------
    value:
        The metric on the whole test set, a finite number.
    ci:
        ``(low, high)``, the 95% confidence interval (e.g. a bootstrap over users), or None
        when the metric has none.
    higher_is_better:
        False for losses and errors (log loss, RMSE), so tables sort them the right way.
    """
    value = _finite_number(value, "value")
    check_bool(higher_is_better, "higher_is_better")
    if ci is None:
        return {"value": value, "ci_low": None, "ci_high": None, "higher_is_better": higher_is_better}
    if not isinstance(ci, (tuple, list)) or len(ci) != 2:
        raise ValueError(f"ci must be a pair (low, high) or None, got {ci!r}.")
    low, high = _finite_number(ci[0], "ci[0] (low)"), _finite_number(ci[1], "ci[1] (high)")
    if low > high:
        raise ValueError(f"ci must be (low, high) with low <= high, got ({low}, {high}).")
    return {"value": value, "ci_low": low, "ci_high": high, "higher_is_better": higher_is_better}


def make_record(
    *,
    task: str,
    dataset: str,
    split: str,
    model: str,
    model_family: str,
    config,
    profile,
    metrics: Mapping[str, Mapping[str, Any]],
    train_seconds: float,
    predict_seconds: float,
    chapter: str,
    seed: int | None = None,
) -> dict[str, Any]:
    """Return a validated record (a plain dict, ready for :func:`write_record`).

    The provenance fields (hardware, library versions, tutorial_lib version, git commit,
    date) are filled in here; everything else comes from the arguments.

    Parameters
    ----------
    task:
        One of :data:`TASKS`, e.g. ``"like-prediction"`` or ``"top-n"``.
    dataset, split, model, model_family, chapter:
        Short strings (at most 80 characters): the dataset's name, a description of the
        split and protocol, the model's display name, its family (the ``models`` module),
        and the notebook that made the record (e.g. ``"03_logistic_regression"``).
    config:
        A :class:`tutorial_lib.config.ProfileConfig` (or any dataclass) or a dict of
        JSON-serialisable values.
    profile:
        A run profile (anything with ``.name``) or ``"quick"`` / ``"full"``.
    metrics:
        Metric name -> :func:`metric`, e.g. ``{"auc": metric(0.71, ci=(0.69, 0.73))}``.
    train_seconds, predict_seconds:
        Wall time of training and of predicting the test set (:class:`Timer`).
    seed:
        The run's seed, or None.

    Raises
    ------
    RecordError
        When a field does not match the schema; the message names the field.
    """
    record = {
        "schema_version": SCHEMA_VERSION,
        "task": task,
        "dataset": dataset,
        "split": split,
        "model": model,
        "model_family": model_family,
        "config": _config_dict(config),
        "profile": profile_name(profile),
        "metrics": _metrics_dict(metrics),
        "train_seconds": _seconds(train_seconds, "train_seconds"),
        "predict_seconds": _seconds(predict_seconds, "predict_seconds"),
        "seed": _seed(seed),
        "hardware": hardware(),
        "library_versions": library_versions(),
        "tutorial_lib_version": _tutorial_lib_version(),
        "git_commit": git_commit(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "chapter": chapter,
    }
    validate_record(record)
    return record


def _finite_number(value, name: str) -> float:
    return check_real(value, name)


def _seconds(value, name: str) -> float:
    seconds = _finite_number(value, name)
    if seconds < 0:
        raise ValueError(f"{name} must be >= 0, got {seconds}.")
    return seconds


def _seed(seed) -> int | None:
    if seed is None:
        return None
    return check_int(seed, "seed")  # a Python int: a NumPy integer would not serialise to JSON


def _config_dict(config) -> dict[str, Any]:
    """The config's values as a JSON-ready dict (tuples become lists, as JSON has no tuple)."""
    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        values = dataclasses.asdict(config)
    elif isinstance(config, Mapping):
        values = dict(config)
    else:
        raise TypeError(f"config must be a ProfileConfig (or other dataclass) or a dict, got {type(config).__name__}.")
    try:
        return json.loads(json.dumps(values, allow_nan=False))
    except (TypeError, ValueError) as error:
        raise ValueError(f"config must hold only JSON values (numbers, strings, lists, dicts, None): {error}") from None


def _metrics_dict(metrics) -> dict[str, dict[str, Any]]:
    if not isinstance(metrics, Mapping) or not metrics:
        raise ValueError("metrics must be a non-empty dict of name -> results.metric(...).")
    for name, entry in metrics.items():
        if not isinstance(entry, Mapping):
            raise TypeError(
                f"metrics[{name!r}] must be made with results.metric(value, ci=..., higher_is_better=...), "
                f"got {entry!r}; a bare number would not say whether higher is better."
            )
    return {name: dict(entry) for name, entry in metrics.items()}


# --------------------------------------------------------------------------------------
# Provenance: hardware, versions, commit
# --------------------------------------------------------------------------------------
def hardware() -> dict[str, Any]:
    """``{"cpu": model name, "cpu_count": cores this process may use, "gpu": name or None}``.

    The GPU name comes from PyTorch when a notebook has already imported it, else from
    ``nvidia-smi``; this function never imports torch itself.
    """
    return {"cpu": _cpu_model(), "cpu_count": _cpu_count(), "gpu": _gpu_name()}


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _cpu_count() -> int:
    if hasattr(os, "sched_getaffinity"):  # Linux: the cores this process may actually use
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _gpu_name() -> str | None:
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    if shutil.which("nvidia-smi") is None:
        return None
    try:
        completed = subprocess.run(
            ["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
            capture_output=True, text=True, timeout=10, check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    names = [line.strip() for line in completed.stdout.splitlines() if line.strip()]
    return names[0] if names else None


def library_versions(extra: tuple[str, ...] = ()) -> dict[str, str | None]:
    """Python's version and those of :data:`RECORDED_LIBRARIES` and ``extra`` (None: not installed)."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for library in (*RECORDED_LIBRARIES, *extra):
        try:
            versions[library] = importlib.metadata.version(library)
        except importlib.metadata.PackageNotFoundError:
            versions[library] = None
    return versions


def tutorial_lib_version() -> str:
    """The installed version of this package."""
    return _tutorial_lib_version()


def _tutorial_lib_version() -> str:
    from tutorial_lib import __version__

    return __version__


def _repository_root() -> Path | None:
    """The checkout ``tutorial_lib`` runs from, or None for an installed copy."""
    root = _PACKAGE_DIR.parent
    if (root / "pyproject.toml").is_file() and (root / ".git").exists():
        return root
    return None


def git_commit() -> str:
    """The commit ``tutorial_lib`` comes from: 40 hex digits, or ``"unknown"``.

    From the checkout when running from one, else from pip's record of a
    ``pip install git+https://...`` (``direct_url.json``), else ``"unknown"``.
    """
    root = _repository_root()
    if root is not None:
        try:
            completed = subprocess.run(
                ["git", "-C", str(root), "rev-parse", "HEAD"],
                capture_output=True, text=True, timeout=10, check=True,
            )
            commit = completed.stdout.strip()
            if re.fullmatch(r"[0-9a-f]{40}", commit):
                return commit
        except (OSError, subprocess.SubprocessError):
            pass
    try:
        direct_url = importlib.metadata.distribution("tutorial_lib").read_text("direct_url.json")
    except importlib.metadata.PackageNotFoundError:
        direct_url = None
    if direct_url:
        commit = json.loads(direct_url).get("vcs_info", {}).get("commit_id", "")
        if re.fullmatch(r"[0-9a-f]{40}", commit):
            return commit
    return "unknown"


# --------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------
def schema() -> dict[str, Any]:
    """The JSON schema of a record (``tutorial_lib/resources/results_schema.json``)."""
    resource = importlib.resources.files("tutorial_lib").joinpath("resources", _SCHEMA_RESOURCE)
    return json.loads(resource.read_text(encoding="utf-8"))


TASKS: tuple[str, ...] = tuple(schema()["properties"]["task"]["enum"])


def validate_record(record, source: str = "results record") -> None:
    """Raise :class:`RecordError` unless ``record`` matches the schema.

    Beyond the schema, each metric's interval must be both numbers with
    ``ci_low <= ci_high``, or both None. ``source`` (e.g. a file name) starts the message.
    """
    try:
        import jsonschema
    except ImportError:
        raise ImportError("Checking results records needs jsonschema: pip install jsonschema") from None
    validator = jsonschema.Draft202012Validator(schema())
    problems = [
        f"field {_field_path(error.absolute_path)}: {error.message}"
        for error in sorted(validator.iter_errors(record), key=lambda error: list(map(str, error.absolute_path)))
    ]
    if not problems:
        for name, entry in record["metrics"].items():
            low, high = entry["ci_low"], entry["ci_high"]
            if (low is None) != (high is None):
                problems.append(f"field metrics.{name}: ci_low and ci_high must both be numbers or both be null.")
            elif low is not None and low > high:
                problems.append(f"field metrics.{name}: ci_low ({low}) is above ci_high ({high}).")
    if problems:
        raise RecordError(f"{source} does not match the results schema:\n  " + "\n  ".join(problems))


def _field_path(path: Iterable) -> str:
    parts = [str(part) for part in path]
    return ".".join(parts) if parts else "(top level)"


# --------------------------------------------------------------------------------------
# Writing and reading
# --------------------------------------------------------------------------------------
def default_directory() -> Path:
    """Where records live when no directory is given (see the module docstring)."""
    from_environment = os.environ.get(RESULTS_DIR_ENV_VAR, "").strip()
    if from_environment:
        return Path(from_environment)
    root = _repository_root()
    if root is not None:
        return root / "results"
    return Path.cwd() / "results"


def _slug(text: str) -> str:
    """Lower case, runs of anything but letters and digits replaced by one ``-``."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def record_filename(record: Mapping[str, Any]) -> str:
    """``task__dataset__model__split__profile.json``, each part a slug.

    The same experiment always gets the same name, so a re-run overwrites its own record.
    """
    parts = [record["task"], record["dataset"], record["model"], record["split"], record["profile"]]
    return "__".join(_slug(part) for part in parts) + ".json"


def write_record(record: Mapping[str, Any], directory: str | os.PathLike | None = None) -> Path:
    """Validate ``record`` and write it as JSON; return the file's path.

    ``directory`` None: :func:`default_directory`. Quick-profile records go into its
    ``quick/`` folder, full-profile records into the folder itself.
    """
    validate_record(record)
    base = Path(directory) if directory is not None else default_directory()
    folder = base / QUICK_SUBDIRECTORY if record["profile"] == "quick" else base
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / record_filename(record)
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(record, indent=1, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")
    temporary.replace(path)  # a reader never sees a half-written record
    return path


def record_files(directory: str | os.PathLike | None = None, *, include_quick: bool = True) -> list[Path]:
    """The ``.json`` files under ``directory`` (recursive, sorted); optionally without ``quick/``.

    The ``benchmarks/`` folder (scaling records, not results records) is always left out. A
    directory that does not exist holds no records: the result is an empty list.
    """
    base = Path(directory) if directory is not None else default_directory()
    if not base.is_dir():
        return []
    paths = sorted(path for path in base.rglob("*.json") if path.relative_to(base).parts[0] != BENCHMARKS_SUBDIRECTORY)
    if not include_quick:
        paths = [path for path in paths if QUICK_SUBDIRECTORY not in path.relative_to(base).parts[:-1]]
    return paths


def read_record(path: str | os.PathLike) -> dict[str, Any]:
    """Read one record file and validate it (the message names the file and the field)."""
    path = Path(path)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise RecordError(f"{path} is not valid JSON: {error}") from None
    validate_record(record, source=str(path))
    return record


def load_records(
    directory: str | os.PathLike | None = None, *, include_quick: bool = True
) -> list[dict[str, Any]]:
    """All records under ``directory`` (default :func:`default_directory`), validated."""
    return [read_record(path) for path in record_files(directory, include_quick=include_quick)]


def records_table(
    records: Iterable[Mapping[str, Any]], task: str | None = None, *, sort_by: str | None = None
) -> pd.DataFrame:
    """One row per record of ``task``: model, dataset, split, profile, metrics, times.

    Rows are sorted full-profile first, then by dataset and split, then best first by
    ``sort_by`` (default: the first metric of the first record). Each metric is a column of
    values; ``sort_by`` also gets ``<name> ci_low`` and ``<name> ci_high`` columns. A
    missing metric or interval is NaN.

    Parameters
    ----------
    records:
        Records, e.g. from :func:`load_records`.
    task:
        Keep only this task's records; may be None only when all records share one task.
    sort_by:
        The metric to rank by; records without it sort last.

    Raises
    ------
    ValueError
        When no record is left, ``sort_by`` is not one of their metrics, or two records
        disagree on whether higher is better for a metric of the same name.
    """
    records = list(records)
    tasks = sorted({record["task"] for record in records})
    if task is None:
        if len(tasks) > 1:
            raise ValueError(f"records hold several tasks {tasks}; pass task= to choose one.")
    elif task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}.")
    else:
        records = [record for record in records if record["task"] == task]
    if not records:
        raise ValueError(f"no records for task {task!r}; tasks present: {tasks}.")
    higher_is_better = _metric_directions(records)
    metric_names = list(higher_is_better)
    if sort_by is None:
        sort_by = metric_names[0]
    elif sort_by not in metric_names:
        raise ValueError(f"sort_by must be one of the records' metrics {metric_names}, got {sort_by!r}.")

    rows = []
    for record in records:
        row = {name: record[name] for name in ("model", "dataset", "split", "profile")}
        for name in metric_names:
            row[name] = _metric_entry(record, name, "value")
        row[f"{sort_by} ci_low"] = _metric_entry(record, sort_by, "ci_low")
        row[f"{sort_by} ci_high"] = _metric_entry(record, sort_by, "ci_high")
        row["train_s"] = record["train_seconds"]
        row["predict_s"] = record["predict_seconds"]
        rows.append(row)
    table = pd.DataFrame(rows)
    table["_quick_last"] = table["profile"] == "quick"
    table = table.sort_values(
        ["_quick_last", "dataset", "split", sort_by],
        ascending=[True, True, True, not higher_is_better[sort_by]],
        na_position="last",
        kind="stable",
    )
    return table.drop(columns="_quick_last").reset_index(drop=True)


def _metric_directions(records: list[Mapping[str, Any]]) -> dict[str, bool]:
    """Metric name -> higher_is_better, in order of first appearance; raise on a disagreement."""
    directions: dict[str, bool] = {}
    for record in records:
        for name, entry in record["metrics"].items():
            if directions.setdefault(name, entry["higher_is_better"]) != entry["higher_is_better"]:
                raise ValueError(
                    f"records disagree on whether higher is better for metric {name!r} "
                    f"(see the record of model {record['model']!r})."
                )
    return directions


def _metric_entry(record: Mapping[str, Any], name: str, key: str) -> float:
    """``record["metrics"][name][key]``, or NaN when the metric or its interval is missing."""
    entry = record["metrics"].get(name)
    value = None if entry is None else entry[key]
    return math.nan if value is None else value


# --------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------
class Timer:
    """Wall-clock time of a block, in seconds::

        with Timer() as timer:
            model.fit(X, y)
        print(f"{timer.seconds:.1f} s")

    ``seconds`` is the time so far while the block runs and the total after it ends.
    """

    def __init__(self) -> None:
        self._start: float | None = None
        self._end: float | None = None

    def __enter__(self) -> Timer:
        self._start = time.perf_counter()
        self._end = None
        return self

    def __exit__(self, *exc_info) -> None:
        self._end = time.perf_counter()

    @property
    def seconds(self) -> float:
        if self._start is None:
            raise RuntimeError("Timer.seconds is only defined inside or after a `with Timer() as t:` block.")
        end = self._end if self._end is not None else time.perf_counter()
        return end - self._start
