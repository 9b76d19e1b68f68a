"""Scaling benchmark: fit and recommend-to-every-user time, and peak memory, as the data grows.

Usage (from the repository root)::

    python benchmarks/scaling.py                                  # every size, every model
    python benchmarks/scaling.py --sizes ml-100k 1m --models popularity item-knn
    python benchmarks/scaling.py --sizes 10m --time-budget 600 --threads 2

Sizes are ``ml-100k`` (the real MovieLens 100K, from the data mirror or its download) and
synthetic logs named by their number of interactions (``1m`` = 1,000,000, ``10m``,
``250k``, or a plain integer) drawn by :func:`tutorial_lib.data.synthetic.synthetic_interactions`
with MovieLens-like numbers of users and items. Each (model, size) runs in a fresh Python
process: it loads the log, fits the model on all of it, then asks ``recommend_batch`` for the
top ``k`` of every user, ``--batch-size`` users at a time, excluding seen items. The process
reports the wall time and the CPU time of both steps and its peak resident memory
(``getrusage``), and one JSON record per run is written under ``results/benchmarks/``
(:mod:`tutorial_lib.evaluation.benchmarks`). The numerical libraries get ``--threads``
threads (default 1), so CPU time is close to what the wall time would be on an idle
machine; on a shared machine the wall time is the less reliable of the two.

Budgets: a run gets ``--time-budget`` CPU seconds for fit plus recommend; one that goes over
is stopped and recorded as ``timed-out``. Before a run starts, its CPU time is predicted from
the same model's records at smaller sizes (a power law through the two largest, at least
linear); a run predicted over the budget, or whose model already went over at a smaller
size, is not started and is recorded as ``skipped`` with the prediction as its reason.
``--total-budget`` caps the wall time of the whole invocation (a run already started may end
past it); runs left when it is used up are recorded as skipped for that reason.

This is a script, not a test: nothing here runs in CI.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import math
import os
import re
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without installing tutorial_lib
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from tutorial_lib.models.recommender import Recommender  # noqa: E402

RESULT_PREFIX = "SCALING_RESULT "
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")
DEFAULT_SIZES = ("ml-100k", "1m", "10m")
TOTAL_BUDGET_REASON = "the invocation's total budget"
WALL_PER_CPU_SECOND = 4


# --------------------------------------------------------------------------------------
# The models: name on the command line -> display name, family, and how to build it
# --------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class ModelSpec:
    display_name: str
    family: str
    build: Callable[[int, int], tuple[object, dict]]  # (seed, threads) -> (unfitted model, config values)


    module: str  # where the class lives, to tell whether this checkout has it
    class_name: str


def _build_popularity(seed: int, threads: int):
    from tutorial_lib.models.popularity import PopularityRecommender

    return PopularityRecommender(), {}


# The factorisations run with chapter 6's full-profile config (epochs, learning rate,
# regularisation, ...) and BENCHMARK_FACTORS factors: the chapter picks its factor count on
# validation from a grid, and the benchmark needs one fixed size. The neighbourhood models keep
# BENCHMARK_NEIGHBOURS neighbours, the class default, for the same reason.
BENCHMARK_FACTORS = 64
BENCHMARK_NEIGHBOURS = 100


def _config_values(config, names) -> dict:
    """The fields of ``config`` among ``names`` (configs gain and lose fields as chapters change)."""
    return {name: getattr(config, name) for name in names if hasattr(config, name)}


def _neighbourhood_settings() -> dict:
    from tutorial_lib.models import neighbourhood

    settings = {"n_neighbours": BENCHMARK_NEIGHBOURS}
    if hasattr(neighbourhood, "NeighbourhoodConfig"):
        settings.update(_config_values(neighbourhood.NeighbourhoodConfig.for_profile("full"), ("similarity",)))
    return settings


def _build_item_knn(seed: int, threads: int):
    from tutorial_lib.models.neighbourhood import ItemKNNRecommender

    model = ItemKNNRecommender(**_neighbourhood_settings())
    return model, _settings(model, ("n_neighbours", "similarity", "shrinkage", "block_size"))


def _build_user_knn(seed: int, threads: int):
    from tutorial_lib.models.neighbourhood import UserKNNRecommender

    model = UserKNNRecommender(**_neighbourhood_settings())
    return model, _settings(model, ("n_neighbours", "similarity", "shrinkage", "block_size"))


def _build_bpr(seed: int, threads: int):
    from tutorial_lib.models.implicit_factorisation import BPRConfig, BPRRecommender

    names = ("epochs", "learning_rate", "regularisation", "batch_size")
    config = _config_values(BPRConfig.for_profile("full"), names)
    model = BPRRecommender(n_factors=BENCHMARK_FACTORS, seed=seed, **config)
    return model, _settings(model, ("n_factors", *names))


def _build_als(seed: int, threads: int):
    from tutorial_lib.models.implicit_factorisation import ALSConfig, ImplicitALSRecommender

    names = ("iterations", "alpha", "regularisation")
    config = _config_values(ALSConfig.for_profile("full"), names)
    model = ImplicitALSRecommender(n_factors=BENCHMARK_FACTORS, seed=seed, **config)
    return model, _settings(model, ("n_factors", *names))


# The `implicit` library's compiled ALS and BPR (chapter 6's peers), with the same settings as
# ours and the same number of threads: the cost of the same algorithm in C++ rather than NumPy.
def _build_implicit_als(seed: int, threads: int):
    from tutorial_lib.models.implicit_factorisation import ALSConfig
    from tutorial_lib.peers.implicit_library import ImplicitALSPeer

    names = ("iterations", "alpha", "regularisation")
    config = _config_values(ALSConfig.for_profile("full"), names)
    model = ImplicitALSPeer(n_factors=BENCHMARK_FACTORS, use_cg=False, seed=seed, num_threads=threads, **config)
    return model, _settings(model, ("n_factors", *names, "use_cg", "num_threads"))


def _build_implicit_bpr(seed: int, threads: int):
    from tutorial_lib.models.implicit_factorisation import BPRConfig
    from tutorial_lib.peers.implicit_library import ImplicitBPRPeer

    names = ("epochs", "learning_rate", "regularisation")
    config = _config_values(BPRConfig.for_profile("full"), names)
    model = ImplicitBPRPeer(n_factors=BENCHMARK_FACTORS, seed=seed, num_threads=threads, **config)
    return model, _settings(model, ("n_factors", *names, "num_threads"))


def _build_biased_mf(seed: int, threads: int):
    from tutorial_lib.models.matrix_factorisation import MatrixFactorisation, MatrixFactorisationConfig

    config = MatrixFactorisationConfig.for_profile("full")
    predictor = MatrixFactorisation("sgd", n_factors=config.sgd_factors, n_epochs=config.sgd_epochs,
                                    random_state=seed)
    settings = _settings(predictor, ("solver", "n_factors", "n_epochs", "learning_rate", "reg", "batch_size"))
    return RatingModelAsTopN(predictor), settings


class RatingModelAsTopN(Recommender):
    """Top-N from a rating predictor: each user's items ranked by predicted rating.

    ``fit`` builds the binary matrix (to leave seen items out) and fits the predictor on
    the ratings; ``_score`` asks the predictor's own ``predict`` for every (user, item)
    pair, a few hundred thousand pairs per call so that the gathered factors stay small.
    This is how a rating model is used for top-N through its public interface; a model
    that multiplied its factor matrices directly would be faster.
    """

    PAIRS_PER_CALL = 200_000

    def __init__(self, predictor):
        super().__init__()
        self.predictor = predictor

    def fit(self, interactions, items=None):
        super().fit(interactions, items=items)
        self.predictor.fit(interactions[["user_id", "item_id", "rating"]])
        return self

    def _fit(self, matrix) -> None:
        """Nothing here: :meth:`fit` fits the predictor on the ratings themselves."""

    def _score(self, user_rows, item_columns):
        """Predicted ratings, shape ``(len(user_rows), len(item_columns))``."""
        items = self.item_ids_[item_columns]
        users_per_call = max(1, self.PAIRS_PER_CALL // max(1, len(items)))
        blocks = []
        for start in range(0, len(user_rows), users_per_call):
            users = self.user_ids_[user_rows[start:start + users_per_call]]
            predicted = self.predictor.predict(np.repeat(users, len(items)), np.tile(items, len(users)))
            blocks.append(predicted.reshape(len(users), len(items)))
        return np.concatenate(blocks) if blocks else np.zeros((0, len(items)))


def _settings(model, names) -> dict:
    """The model's settings as plain JSON values, for the record."""
    return {name: getattr(model, name) for name in names}


MODELS: dict[str, ModelSpec] = {
    "popularity": ModelSpec("Popularity", "popularity", _build_popularity,
                            "tutorial_lib.models.popularity", "PopularityRecommender"),
    "item-knn": ModelSpec("Item-KNN", "neighbourhood", _build_item_knn,
                          "tutorial_lib.models.neighbourhood", "ItemKNNRecommender"),
    "user-knn": ModelSpec("User-KNN", "neighbourhood", _build_user_knn,
                          "tutorial_lib.models.neighbourhood", "UserKNNRecommender"),
    "bpr": ModelSpec("BPR", "implicit_factorisation", _build_bpr,
                     "tutorial_lib.models.implicit_factorisation", "BPRRecommender"),
    "als": ModelSpec("ALS (weighted)", "implicit_factorisation", _build_als,
                     "tutorial_lib.models.implicit_factorisation", "ImplicitALSRecommender"),
    "implicit-als": ModelSpec("implicit ALS (peer)", "peers", _build_implicit_als,
                              "tutorial_lib.peers.implicit_library", "ImplicitALSPeer"),
    "implicit-bpr": ModelSpec("implicit BPR (peer)", "peers", _build_implicit_bpr,
                              "tutorial_lib.peers.implicit_library", "ImplicitBPRPeer"),
    # A rating model (chapter 5), ranking by predicted rating.
    "biased-mf": ModelSpec("Biased MF (SGD)", "matrix_factorisation", _build_biased_mf,
                           "tutorial_lib.models.matrix_factorisation", "MatrixFactorisation"),
}


def available(name: str) -> bool:
    """Whether this checkout has the model's class (the models land on different branches)."""
    try:
        module = importlib.import_module(MODELS[name].module)
    except ImportError:
        return False
    return hasattr(module, MODELS[name].class_name)


# --------------------------------------------------------------------------------------
# Sizes and data
# --------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Size:
    dataset: str  # e.g. "movielens-100k", "synthetic-1m"
    synthetic: bool
    n_interactions: int  # asked for (synthetic) or a MovieLens count (real)


def parse_size(text: str) -> Size:
    """``ml-100k``, or a synthetic size such as ``1m``, ``250k`` or ``2000000``."""
    text = text.strip().lower()
    if text == "ml-100k":
        return Size("movielens-100k", False, 100_000)
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([km]?)", text)
    if not match:
        raise argparse.ArgumentTypeError(f"a size is 'ml-100k' or a count like 1m, 250k, 2000000; got {text!r}.")
    multiplier = {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2)]
    n_interactions = round(float(match.group(1)) * multiplier)
    label = text if match.group(2) else f"{n_interactions}"
    return Size(f"synthetic-{label}", True, n_interactions)


def data_path(size: Size, seed: int, cache: Path) -> Path:
    return cache / f"{size.dataset}-seed{seed}.npz"


def prepare_data(size: Size, seed: int, cache: Path) -> Path:
    """Write the log of ``size`` to an ``.npz`` in ``cache`` once; return its path.

    The children load this file instead of drawing the log, so that the peak memory they
    report is the model's, not the generator's.
    """
    path = data_path(size, seed, cache)
    if path.is_file():
        return path
    if size.synthetic:
        from tutorial_lib.data.synthetic import movielens_like_shape, synthetic_interactions

        n_users, n_items = movielens_like_shape(size.n_interactions)
        log = synthetic_interactions(size.n_interactions, n_users, n_items, seed=seed)
    else:
        from tutorial_lib.data.datasets import load_movielens_ratings

        log = load_movielens_ratings("ml-100k")
        n_items = int(log["item_id"].max())
    cache.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp.npz")
    np.savez(temporary, n_items=n_items, **{column: log[column].to_numpy() for column in log.columns})
    temporary.replace(path)
    return path


def load_data(path: Path) -> tuple[pd.DataFrame, np.ndarray]:
    """The log as a DataFrame and the catalogue (item ids 1..n_items), shape ``(n_items,)``."""
    with np.load(path) as arrays:
        log = pd.DataFrame({column: arrays[column] for column in ("user_id", "item_id", "rating", "timestamp")})
        catalogue = np.arange(1, int(arrays["n_items"]) + 1, dtype=log["item_id"].dtype)
    return log, catalogue


# --------------------------------------------------------------------------------------
# The child: one model on one log, in a fresh process
# --------------------------------------------------------------------------------------
def peak_rss_bytes() -> int:
    """Peak resident set size of this process so far (ru_maxrss: KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def current_rss_bytes() -> int:
    """Resident set size now (Linux ``/proc/self/statm``), else the peak so far."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            resident_pages = int(statm.read().split()[1])
        return resident_pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return peak_rss_bytes()


class BudgetExceeded(Exception):
    pass


def _on_alarm(signum, frame):
    raise BudgetExceeded


def run_child(model_name: str, path: Path, k: int, batch_size: int, seed: int, budget: float,
              threads: int = 1) -> dict:
    """Fit and recommend; return the measurements (the parent turns them into a record)."""
    from tutorial_lib.evaluation.results import Timer

    log, catalogue = load_data(path)
    measured: dict = {"n_users": int(log["user_id"].nunique()), "n_items": int(len(catalogue))}
    model, config = MODELS[model_name].build(seed, threads)
    measured["config"] = config
    measured["rss_before_fit_bytes"] = current_rss_bytes()
    # The budget is CPU time (ITIMER_PROF counts the process's CPU time, all threads), so
    # other work on a shared machine does not eat into it. The signal is handled between
    # Python steps, so a long compiled call finishes first; the parent's wall-clock
    # timeout is the backstop.
    signal.signal(signal.SIGPROF, _on_alarm)
    signal.setitimer(signal.ITIMER_PROF, budget)
    fit_timer, recommend_timer = Timer(), Timer()
    try:
        cpu_at_start = time.process_time()
        with fit_timer:
            model.fit(log, items=catalogue)
        cpu_after_fit = time.process_time()
        users = model.user_ids_
        with recommend_timer:
            for start in range(0, len(users), batch_size):
                model.recommend_batch(users[start:start + batch_size], k)
        cpu_after_recommend = time.process_time()
        signal.setitimer(signal.ITIMER_PROF, 0)
    except BudgetExceeded:
        fitted = recommend_timer._start is not None
        measured.update(status="timed-out",
                        reason=f"stopped during {'recommend' if fitted else 'fit'} after the {budget:g} CPU-second budget")
        if fitted:  # the fit finished: its times are measured all the same
            measured.update(fit_seconds=fit_timer.seconds, fit_cpu_seconds=cpu_after_fit - cpu_at_start)
        return measured
    except Exception as error:  # recorded, not hidden: the record says what went wrong
        signal.setitimer(signal.ITIMER_PROF, 0)
        measured.update(status="failed", reason=f"{type(error).__name__}: {error}"[:500])
        return measured
    measured.update(
        status="ok",
        fit_seconds=fit_timer.seconds,
        recommend_seconds=recommend_timer.seconds,
        fit_cpu_seconds=cpu_after_fit - cpu_at_start,
        recommend_cpu_seconds=cpu_after_recommend - cpu_after_fit,
        n_users_recommended=int(len(users)),
        peak_rss_bytes=peak_rss_bytes(),
    )
    return measured


# --------------------------------------------------------------------------------------
# The parent: sizes x models, budgets, records
# --------------------------------------------------------------------------------------
def predict_seconds(history: list[dict], n_interactions: int) -> tuple[float, str] | None:
    """Predicted fit + recommend CPU seconds at ``n_interactions`` from smaller ``ok`` records.

    A power law through the two largest measured sizes (exponent at least 1: no model gets
    cheaper per interaction as the data grows), or linear from the one measured size.
    None when there is no smaller measurement.
    """
    measured = sorted(
        (record for record in history if record["status"] == "ok" and record["n_interactions"] < n_interactions),
        key=lambda record: record["n_interactions"],
    )
    if not measured:
        return None
    last = measured[-1]
    last_seconds = last["fit_cpu_seconds"] + last["recommend_cpu_seconds"]
    exponent = 1.0
    if len(measured) >= 2:
        previous = measured[-2]
        previous_seconds = previous["fit_cpu_seconds"] + previous["recommend_cpu_seconds"]
        if previous_seconds > 0 and last_seconds > 0:
            exponent = max(1.0, math.log(last_seconds / previous_seconds)
                           / math.log(last["n_interactions"] / previous["n_interactions"]))
    predicted = last_seconds * (n_interactions / last["n_interactions"]) ** exponent
    how = f"{last_seconds:.1f} CPU s at {last['n_interactions']:,} interactions, growth exponent {exponent:.2f}"
    return predicted, how


def available_memory_bytes() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return None


def skip_reason(history: list[dict], size: Size, n_interactions: int, budget: float) -> str | None:
    """Why a run should not start, from the same model's records at smaller sizes; None: run it."""
    smaller = [record for record in history if record["n_interactions"] < n_interactions]
    over = [record for record in smaller if record["status"] == "timed-out"
            or (record["status"] == "skipped" and TOTAL_BUDGET_REASON not in record["reason"])]
    if over:
        worst = min(over, key=lambda record: record["n_interactions"])
        return f"already {worst['status']} at {worst['n_interactions']:,} interactions (budget {budget:.0f} s)"
    prediction = predict_seconds(history, n_interactions)
    if prediction is not None and prediction[0] > budget:
        return f"predicted {prediction[0]:.0f} CPU s > budget {budget:.0f} s (from {prediction[1]})"
    memory = available_memory_bytes()
    measured = [record for record in smaller if record["status"] == "ok"]
    if memory is not None and measured:
        largest = max(measured, key=lambda record: record["n_interactions"])
        added = largest["peak_rss_bytes"] - largest["rss_before_fit_bytes"]
        predicted_peak = largest["peak_rss_bytes"] + added * (n_interactions / largest["n_interactions"] - 1)
        if predicted_peak > 0.8 * memory:
            return (f"predicted peak memory {predicted_peak / 2**30:.1f} GiB > 80% of the "
                    f"{memory / 2**30:.1f} GiB available")
    return None


def total_budget_reason(history: list[dict], n_interactions: int, args, elapsed: float) -> str | None:
    """Why a run should not start in what is left of ``--total-budget``; None: it fits.

    A run needs its predicted time, or the whole per-run budget when there is no
    prediction; one that would not fit is not started with less, so a run is never
    stopped for a budget other than ``--time-budget``.
    """
    remaining = args.total_budget - elapsed
    prediction = predict_seconds(history, n_interactions)
    needed = args.time_budget if prediction is None else prediction[0]
    if needed <= remaining:
        return None
    return (f"{TOTAL_BUDGET_REASON} ({args.total_budget:.0f} s) had {max(remaining, 0):.0f} s left, "
            f"less than the {needed:.0f} s this run needs")


def run_one(model_name, size, path, args, budget) -> dict:
    """Run one (model, size) in a fresh process; return its measurements."""
    environment = dict(os.environ)
    environment.update({variable: str(args.threads) for variable in THREAD_VARIABLES})
    command = [
        sys.executable, str(Path(__file__).resolve()), "--child", model_name, "--data", str(path),
        "--k", str(args.k), "--batch-size", str(args.batch_size), "--seed", str(args.seed),
        "--time-budget", str(budget), "--threads", str(args.threads),
    ]
    # CPU time can run behind wall time on a busy machine, never ahead (one thread): allow
    # a few times the budget before the process is killed.
    hard_limit = WALL_PER_CPU_SECOND * budget + args.load_seconds
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=hard_limit, env=environment)
    except subprocess.TimeoutExpired:
        return {"status": "timed-out", "reason": f"killed after {hard_limit:.0f} s of wall time"}
    for line in completed.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX):])
    tail = (completed.stderr or completed.stdout).strip().splitlines()[-3:]
    return {"status": "failed", "reason": f"exit code {completed.returncode}: " + " | ".join(tail)[:500]}


def log_shape(path: Path) -> tuple[int, int, int]:
    with np.load(path) as arrays:
        return int(arrays["user_id"].size), int(np.unique(arrays["user_id"]).size), int(arrays["n_items"])


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    if args.child:
        measured = run_child(args.child, Path(args.data), args.k, args.batch_size, args.seed, args.time_budget,
                             args.threads)
        print(RESULT_PREFIX + json.dumps(measured), flush=True)
        return 0

    from tutorial_lib.evaluation import benchmarks

    missing = [name for name in args.models if not available(name)]
    if missing:
        print(f"not in this checkout, left out: {', '.join(missing)}", flush=True)
        args.models = [name for name in args.models if name not in missing]
    output = Path(args.output) if args.output else benchmarks.scaling_directory()
    cache = Path(os.environ.get("TUTORIAL_DATA_CACHE", "/tmp/tutorial-data")) / "scaling"
    history = {name: [] for name in args.models}
    for record in benchmarks.load_scaling_records(output):  # earlier runs count for predictions
        for name, spec in MODELS.items():
            if name in history and record["model"] == spec.display_name:
                history[name].append(record)
    started = time.perf_counter()
    for size in sorted(args.sizes, key=lambda size: size.n_interactions):
        path = prepare_data(size, args.seed, cache)
        n_interactions, n_users, n_items = log_shape(path)
        print(f"{size.dataset}: {n_interactions:,} interactions, {n_users:,} users, {n_items:,} items", flush=True)
        for name in args.models:
            spec = MODELS[name]
            history[name] = [record for record in history[name] if record["dataset"] != size.dataset]
            reason = skip_reason(history[name], size, n_interactions, args.time_budget)
            if reason is None:
                reason = total_budget_reason(history[name], n_interactions, args, time.perf_counter() - started)
            if reason is None:
                measured = run_one(name, size, path, args, args.time_budget)
            else:
                measured = {"status": "skipped", "reason": reason}
            record = benchmarks.make_scaling_record(
                dataset=size.dataset, synthetic=size.synthetic, n_interactions=n_interactions,
                n_users=n_users, n_items=n_items, model=spec.display_name, model_family=spec.family,
                config=measured.get("config", {}), status=measured["status"], reason=measured.get("reason"),
                k=args.k, batch_size=args.batch_size, time_budget_seconds=float(args.time_budget),
                threads=args.threads, seed=args.seed,
                fit_seconds=measured.get("fit_seconds"), recommend_seconds=measured.get("recommend_seconds"),
                fit_cpu_seconds=measured.get("fit_cpu_seconds"),
                recommend_cpu_seconds=measured.get("recommend_cpu_seconds"),
                n_users_recommended=measured.get("n_users_recommended"),
                peak_rss_bytes=measured.get("peak_rss_bytes"), rss_before_fit_bytes=measured.get("rss_before_fit_bytes"),
            )
            benchmarks.write_scaling_record(record, output)
            history[name].append(record)
            print("  " + describe(record), flush=True)
    print(f"total {time.perf_counter() - started:.0f} s; records in {output}", flush=True)
    return 0


def describe(record: dict) -> str:
    if record["status"] != "ok":
        return f"{record['model']:<14} {record['status']}: {record['reason']}"
    peak_mib = record["peak_rss_bytes"] / 2**20
    return (f"{record['model']:<14} fit {record['fit_cpu_seconds']:8.2f} CPU s ({record['fit_seconds']:.1f} wall)"
            f"   recommend {record['recommend_cpu_seconds']:8.2f} CPU s ({record['recommend_seconds']:.1f} wall)"
            f"   peak {peak_mib:6.0f} MiB")


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", type=parse_size, default=[parse_size(s) for s in DEFAULT_SIZES],
                        help="ml-100k and/or synthetic sizes such as 1m 10m (default: ml-100k 1m 10m)")
    parser.add_argument("--models", nargs="+", choices=sorted(MODELS), default=list(MODELS),
                        help="models to run (default: all)")
    parser.add_argument("--k", type=int, default=10, help="length of each list (default 10)")
    parser.add_argument("--batch-size", type=int, default=1_000, help="users per recommend_batch call")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic logs and the models")
    parser.add_argument("--time-budget", type=float, default=240.0,
                        help="CPU seconds for one run's fit + recommend (default 240)")
    parser.add_argument("--total-budget", type=float, default=1_200.0,
                        help="wall seconds for the whole invocation (default 1200)")
    parser.add_argument("--load-seconds", type=float, default=120.0,
                        help="extra seconds a child may take to start and load the log before it is killed")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads for BLAS/OpenMP in each run (default 1: CPU time is then close to "
                             "the wall time of an idle machine, and small solves are not slowed by "
                             "threads fighting over shared cores)")
    parser.add_argument("--output", default=None, help="folder of the records (default results/benchmarks/)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--data", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    for name in ("k", "batch_size", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    if args.time_budget <= 0 or args.total_budget <= 0:
        parser.error("--time-budget and --total-budget must be > 0")
    return args


if __name__ == "__main__":
    sys.exit(main())
