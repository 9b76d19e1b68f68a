"""The peer benchmark of the sequence chapters: RecBole 1.2.1's Caser, GRU4Rec and SASRec on OUR split.

RecBole (Zhao et al., CIKM 2021) is an established library of recommender models. This
script trains three of its sequential models on exactly the book's split and ranks their
scores with exactly the book's protocol, so that chapters 8-10 can put them beside their own
Caser, GRU4Rec and SASRec, with the CPU time of an epoch.

What it does:

1. **Our split, exported.** MovieLens 100K, every rating an interaction,
   ``protocols.leave_last_out_split(ratings)``. The split is written as RecBole *benchmark
   files* (``benchmark_filename: [train, valid, test]``) in RecBole's sequential format, one
   row per (user, item_id_list, item_id): ``train`` holds every prefix of each user's train
   sequence with the item after it (RecBole's own "data augmentation"), ``valid`` one row per
   user (the train sequence, the valid item) and ``test`` one row per user (train + valid, the
   test item); the lists keep the last ``MAX_ITEM_LIST_LENGTH`` items. That is what RecBole's
   ``eval_args: {split: {LS: valid_and_test}, order: TO, mode: full}`` builds from a
   ``.inter`` file, except that the rows are ours (our tie rule among equal timestamps).
2. **RecBole trains** each model in RecBole's virtual environment, in a subprocess (that
   environment has no ``tutorial_lib``; the book's has no RecBole): RecBole's default
   hyper-parameters for each model (``recbole/properties/model/*.yaml``), cross-entropy over
   all items, Adam, ``train_batch_size`` 2048, learning rate 0.001, early stopping on
   validation NDCG@10 with ``stopping_step`` 10, and a cap on the epochs (``--epochs``) that
   fits this machine. ``MAX_ITEM_LIST_LENGTH`` is 50 (RecBole's default) for GRU4Rec and
   SASRec and 5 for Caser (the Caser paper's L for MovieLens; RecBole's Caser predicts one
   target, T = 1). The subprocess times every epoch, lets RecBole evaluate the best epoch on
   the test rows, then scores every user's valid and test input with the best weights and
   writes the score matrices to a temporary ``.npz``.
3. **Our protocol ranks RecBole's scores.** Back in the book's environment,
   :func:`tutorial_lib.evaluation.protocols.evaluate_top_n` ranks each test item among the
   catalogue minus the user's train + valid items, pessimistic ties; those are the numbers
   of the results records (task ``top-n``, split ``protocols.SEQUENTIAL_SPLIT_NAME``, family
   ``peer: RecBole``), with bootstrap intervals.
4. **The check.** The same score matrices are also ranked the way RecBole's ``full`` mode
   ranks a *sequential* model: among every item, the user's history included (RecBole masks
   the history only for general models: its ``FullSortEvalDataLoader`` gives sequential
   models no history index) and the padding item left out. Those numbers must equal what
   RecBole itself reported for the test rows to 1e-6 (the script says if they do not);
   this shows the scores were read correctly, and the gap to step 3 is the effect of
   masking the history. RecBole breaks ties by ``torch.topk``'s order, so the check is done
   under the pessimistic and the optimistic rule and reports how many targets tie.

Usage (from the repository root, in the book's environment)::

    python benchmarks/recbole_peer.py --epochs 1 --no-records      # measure one epoch each
    python benchmarks/recbole_peer.py --epochs 20 GRU4Rec=4 SASRec=2   # the run of the records
    python benchmarks/recbole_peer.py --models SASRec --epochs 10 --threads 2

The RecBole environment (``--recbole-python``, default ``/work/recbole-venv/bin/python`` or
the ``RECBOLE_PYTHON`` variable) is made as ``benchmarks/recbole_requirements.txt`` says::

    python3.11 -m venv /work/recbole-venv
    /work/recbole-venv/bin/pip install -r benchmarks/recbole_requirements.txt \\
        --extra-index-url https://download.pytorch.org/whl/cpu

This is a script, not a test: nothing here runs in CI.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RECBOLE_PYTHON = os.environ.get("RECBOLE_PYTHON", "/work/recbole-venv/bin/python")
MODELS = ("Caser", "GRU4Rec", "SASRec")
#: MAX_ITEM_LIST_LENGTH of each model: RecBole's default 50, and the Caser paper's L = 5.
MAX_ITEM_LIST_LENGTH = {"Caser": 5, "GRU4Rec": 50, "SASRec": 50}
CUTOFF = 10
AGREEMENT_TOLERANCE = 1e-6
WORKER_FLAG = "--recbole-worker"


# ======================================================================================
# Part 1, in the book's environment: export the split
# ======================================================================================
def _write_benchmark_files(sequence_split, directory: Path, dataset_name: str, max_len: int) -> dict:
    """RecBole sequential benchmark files of our split under ``directory / dataset_name``.

    Returns the number of rows of each file.
    """
    item_ids = sequence_split.item_ids
    folder = directory / dataset_name
    folder.mkdir(parents=True, exist_ok=True)
    header = "user_id:token\titem_id_list:token_seq\titem_id:token\n"

    def line(user, codes, target_code) -> str:
        history = " ".join(str(item_ids[code - 1]) for code in codes[-max_len:])
        return f"{user}\t{history}\t{item_ids[target_code - 1]}\n"

    train_lines = []
    for user, codes in sequence_split.train.items():
        for position in range(1, len(codes)):  # every prefix and the item after it
            train_lines.append(line(user, codes[:position], codes[position]))
    valid_lines, test_lines = [], []
    for row, user in enumerate(sequence_split.users_with_target):
        valid_lines.append(line(user, sequence_split.train[user], sequence_split.valid_targets[row]))
        test_lines.append(line(user, sequence_split.train_and_valid[user], sequence_split.test_targets[row]))
    counts = {}
    for part, lines in (("train", train_lines), ("valid", valid_lines), ("test", test_lines)):
        (folder / f"{dataset_name}.{part}.inter").write_text(header + "".join(lines), encoding="utf-8")
        counts[part] = len(lines)
    return counts


def _recbole_config(model: str, data_path: Path, dataset_name: str, work_dir: Path, args) -> dict:
    """The settings passed to RecBole's ``Config(config_dict=...)`` (model defaults untouched)."""
    return {
        "data_path": str(data_path),
        "checkpoint_dir": str(work_dir / "saved"),
        "use_gpu": False,
        "seed": args.seed,
        "reproducibility": True,
        "show_progress": False,
        "state": "WARNING",
        "worker": 0,
        "USER_ID_FIELD": "user_id",
        "ITEM_ID_FIELD": "item_id",
        "load_col": {"inter": ["user_id", "item_id_list", "item_id"]},
        "alias_of_item_id": ["item_id_list"],
        "benchmark_filename": ["train", "valid", "test"],
        "MAX_ITEM_LIST_LENGTH": MAX_ITEM_LIST_LENGTH[model],
        "eval_args": {"split": {"LS": "valid_and_test"}, "group_by": "user", "order": "TO", "mode": "full"},
        "metrics": ["Hit", "NDCG", "MRR"],
        "topk": [CUTOFF],
        "valid_metric": f"NDCG@{CUTOFF}",
        "metric_decimal_place": 12,
        "loss_type": "CE",
        "train_neg_sample_args": None,
        "epochs": args.epoch_cap,
        "stopping_step": args.stopping_step,
        "eval_step": 1,
    }


def _run_worker(model: str, recbole_config: dict, dataset_name: str, work_dir: Path, args) -> dict:
    """Train ``model`` in RecBole's environment; return its report and the path of its scores."""
    spec = {
        "model": model,
        "dataset": dataset_name,
        "config": recbole_config,
        "threads": args.threads,
        "scores_path": str(work_dir / f"{model}_scores.npz"),
        "report_path": str(work_dir / f"{model}_report.json"),
    }
    spec_path = work_dir / f"{model}_spec.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    environment = dict(os.environ)
    # RecBole 1.2.1 saves its config object in the checkpoint; torch >= 2.6 loads weights only
    # by default and would refuse it when RecBole reloads the best epoch.
    environment["TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD"] = "1"
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        environment[variable] = str(args.threads)
    environment.pop("PYTHONPATH", None)  # RecBole's environment must not see tutorial_lib
    started = time.perf_counter()
    completed = subprocess.run(
        [args.recbole_python, str(Path(__file__).resolve()), WORKER_FLAG, str(spec_path)],
        cwd=work_dir, env=environment, capture_output=True, text=True,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"RecBole's {model} failed (exit {completed.returncode}):\n{completed.stdout[-3000:]}\n{completed.stderr[-6000:]}"
        )
    report = json.loads(Path(spec["report_path"]).read_text(encoding="utf-8"))
    report["subprocess_seconds"] = time.perf_counter() - started
    report["scores_path"] = spec["scores_path"]
    return report


# ======================================================================================
# Part 3 and 4, in the book's environment: rank RecBole's scores
# ======================================================================================
def _score_matrix(scores: np.ndarray, users: np.ndarray, items: np.ndarray, split) -> np.ndarray:
    """RecBole's scores as our ``(n_users, n_items)`` matrix: rows ``split.user_ids``, columns ``split.item_ids``."""
    if not np.array_equal(np.sort(items), split.item_ids):
        missing = np.setdiff1d(split.item_ids, items)
        raise RuntimeError(f"RecBole's item tokens are not our catalogue (missing e.g. {missing[:5].tolist()}).")
    matrix = np.zeros((len(split.user_ids), split.n_items), dtype=np.float64)
    rows = np.searchsorted(split.user_ids, users)
    columns = np.searchsorted(split.item_ids, items)
    matrix[np.ix_(rows, columns)] = scores
    return matrix


def _recbole_way(matrix: np.ndarray, split, ties: str) -> dict:
    """Test metrics ranked as RecBole ranks a sequential model: every item a candidate, history included."""
    from tutorial_lib.evaluation.metrics import ranking_metrics_per_user

    users = np.sort(split.test[split.user_col].to_numpy())
    targets = split.test.set_index(split.user_col)[split.item_col].loc[users].to_numpy()
    rows = np.searchsorted(split.user_ids, users)
    scores = matrix[rows]  # (n_users, n_items)
    is_target = np.zeros(scores.shape, dtype=bool)
    is_target[np.arange(len(users)), np.searchsorted(split.item_ids, targets)] = True
    per_user = ranking_metrics_per_user(is_target, scores, (CUTOFF,), ties=ties)
    in_list = per_user["rank"] <= CUTOFF
    return {
        f"hit@{CUTOFF}": float(per_user[f"hr@{CUTOFF}"].mean()),
        f"ndcg@{CUTOFF}": float(per_user[f"ndcg@{CUTOFF}"].mean()),
        f"mrr@{CUTOFF}": float(np.where(in_list, per_user["mrr"], 0.0).mean()),
    }


def _tied_targets(matrix: np.ndarray, split) -> int:
    """How many test targets share their score with another item (where tie rules differ)."""
    users = np.sort(split.test[split.user_col].to_numpy())
    targets = split.test.set_index(split.user_col)[split.item_col].loc[users].to_numpy()
    scores = matrix[np.searchsorted(split.user_ids, users)]
    target_scores = scores[np.arange(len(users)), np.searchsorted(split.item_ids, targets)]
    return int(((scores == target_scores[:, None]).sum(axis=1) > 1).sum())


def _evaluate_and_record(model: str, report: dict, split, args) -> dict:
    from tutorial_lib.evaluation import protocols, results

    loaded = np.load(report["scores_path"])
    items = loaded["items"]
    valid_matrix = _score_matrix(loaded["valid_scores"], loaded["valid_users"], items, split)
    test_matrix = _score_matrix(loaded["test_scores"], loaded["test_users"], items, split)

    started = time.perf_counter()
    test_per_user = protocols.evaluate_top_n(test_matrix, split, target="test", ks=(CUTOFF,))
    rank_seconds = time.perf_counter() - started
    valid_per_user = protocols.evaluate_top_n(valid_matrix, split, target="valid", ks=(CUTOFF,))
    summary = protocols.summarise_top_n(test_per_user, seed=args.seed)

    reported = {key: float(value) for key, value in report["test_result"].items()}
    recomputed = {ties: _recbole_way(test_matrix, split, ties) for ties in ("pessimistic", "optimistic")}
    differences = {
        ties: max(abs(values[name] - reported[name]) for name in values) for ties, values in recomputed.items()
    }
    agrees = min(differences.values()) <= AGREEMENT_TOLERANCE
    tied = _tied_targets(test_matrix, split)

    epoch_seconds = report["epoch_seconds"]
    config = {
        "library": "RecBole",
        "recbole_model": model,
        "hyper_parameters": "RecBole 1.2.1 defaults (recbole/properties/model/" + model + ".yaml)",
        "model_settings": report["model_settings"],
        "MAX_ITEM_LIST_LENGTH": MAX_ITEM_LIST_LENGTH[model],
        "train_batch_size": report["train_batch_size"],
        "learning_rate": report["learning_rate"],
        "loss_type": "CE",
        "epochs_cap": args.epoch_cap,
        "epochs_run": len(epoch_seconds),
        "best_epoch": report["best_epoch"],
        "stopped_early": len(epoch_seconds) < args.epoch_cap,
        "stopping_step": args.stopping_step,
        "valid_metric": f"NDCG@{CUTOFF}",
        "torch_threads": args.threads,
        "n_parameters": report["n_parameters"],
        "n_training_rows": report["n_training_rows"],
        "seconds_per_epoch": [round(seconds, 3) for seconds in epoch_seconds],
        "mean_seconds_per_epoch": float(np.mean(epoch_seconds)),
        "cpu_seconds_per_epoch": [round(seconds, 3) for seconds in report["epoch_cpu_seconds"]],
        "mean_cpu_seconds_per_epoch": float(np.mean(report["epoch_cpu_seconds"])),
        "valid_seconds_per_epoch": [round(seconds, 3) for seconds in report["valid_seconds"]],
        "valid_ndcg_per_epoch": [round(value, 6) for value in report["valid_scores"]],
        "valid_ndcg_our_protocol": float(valid_per_user[f"ndcg@{CUTOFF}"].mean()),
        "recbole_reported_test": reported,
        "recbole_way_recomputed": recomputed,
        "recbole_way_max_difference": differences,
        "recbole_way_agrees": bool(agrees),
        "test_targets_tied": tied,
        "peer_environment": report["versions"],
        "mode": "full",
        "ties": "pessimistic",
    }
    metrics = {
        name: results.metric(summary.loc[name, "mean"], ci=(summary.loc[name, "low"], summary.loc[name, "high"]))
        for name in (f"hr@{CUTOFF}", f"ndcg@{CUTOFF}", "mrr")
    }
    record = results.make_record(
        task="top-n",
        dataset="movielens-100k",
        split=protocols.SEQUENTIAL_SPLIT_NAME,
        model=f"RecBole {model} (peer)",
        model_family="peer: RecBole",
        config=config,
        profile="full",
        metrics=metrics,
        train_seconds=report["fit_seconds"],
        predict_seconds=report["score_seconds"] + rank_seconds,
        chapter="benchmarks/recbole_peer.py",
        seed=args.seed,
    )
    if not args.no_records:
        path = results.write_record(record, args.results_dir)
        print(f"  record: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return {"summary": summary, "config": config}


def _print_result(model: str, outcome: dict) -> None:
    summary, config = outcome["summary"], outcome["config"]
    print(f"{model}: {config['epochs_run']} epochs (cap {config['epochs_cap']}), best {config['best_epoch']}, "
          f"{config['mean_seconds_per_epoch']:.1f} s per epoch (CPU {config['mean_cpu_seconds_per_epoch']:.1f} s) "
          f"on {config['torch_threads']} thread(s)")
    for name in summary.index:
        if name.startswith("recall"):
            continue
        row = summary.loc[name]
        print(f"  ours  {name:8s} {row['mean']:.4f}  [{row['low']:.4f}, {row['high']:.4f}]")
    reported = config["recbole_reported_test"]
    for ties, values in config["recbole_way_recomputed"].items():
        pairs = ", ".join(f"{name} {values[name]:.6f} vs {reported[name]:.6f}" for name in values)
        print(f"  RecBole's ranking recomputed ({ties}) vs reported: {pairs}")
    verdict = "agree" if config["recbole_way_agrees"] else "DO NOT agree"
    print(f"  they {verdict} to {AGREEMENT_TOLERANCE:g} "
          f"(max differences {config['recbole_way_max_difference']}); tied targets: {config['test_targets_tied']}")


def _epoch_caps(values: list[str]) -> dict:
    """``["30", "SASRec=3"]`` -> ``{"default": 30, "SASRec": 3}``."""
    caps = {"default": 30}
    for value in values:
        model, _, number = value.rpartition("=")
        if model and model not in MODELS:
            raise ValueError(f"unknown model {model!r} in {value!r}; choose from {MODELS}")
        if not number.isdigit() or int(number) < 1:
            raise ValueError(f"expected N or MODEL=N with N >= 1, got {value!r}")
        caps[model or "default"] = int(number)
    return caps


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--epochs", nargs="+", default=["30"], metavar="N_OR_MODEL=N",
                        help="the most epochs: one number for every model and/or MODEL=N for one "
                             "(e.g. 30 SASRec=3); default 30")
    parser.add_argument("--stopping-step", type=int, default=10, help="RecBole's early-stopping patience")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads in RecBole (default 1)")
    parser.add_argument("--seed", type=int, default=2020, help="RecBole's seed (its default, 2020)")
    parser.add_argument("--recbole-python", default=DEFAULT_RECBOLE_PYTHON)
    parser.add_argument("--results-dir", default=None, help="where records go (default: results/)")
    parser.add_argument("--no-records", action="store_true", help="print the numbers, write no record")
    parser.add_argument("--keep", default=None, help="keep the exported files and scores in this folder")
    args = parser.parse_args(argv)
    try:
        epoch_caps = _epoch_caps(args.epochs)
    except ValueError as error:
        parser.error(f"--epochs: {error}")
    if args.threads < 1 or args.stopping_step < 1:
        parser.error("--threads and --stopping-step must be >= 1")
    if not Path(args.recbole_python).exists():
        parser.error(f"--recbole-python {args.recbole_python} does not exist; see benchmarks/recbole_requirements.txt")

    if str(ROOT) not in sys.path:  # run from a checkout without installing tutorial_lib
        sys.path.insert(0, str(ROOT))
    from tutorial_lib.data.datasets import load_movielens_ratings
    from tutorial_lib.data.sequences import SequenceSplit
    from tutorial_lib.evaluation import protocols

    ratings = load_movielens_ratings("ml-100k")
    split = protocols.leave_last_out_split(ratings)
    sequence_split = SequenceSplit.from_top_n_split(split)
    print(f"split: {len(split.user_ids)} users, {split.n_items} items, "
          f"{len(sequence_split.users_with_target)} evaluated")

    with tempfile.TemporaryDirectory(prefix="recbole-peer-") as temporary:
        work_dir = Path(args.keep).resolve() if args.keep else Path(temporary)
        work_dir.mkdir(parents=True, exist_ok=True)
        data_path = work_dir / "dataset"
        for model in args.models:
            dataset_name = f"ml-100k-ours-L{MAX_ITEM_LIST_LENGTH[model]}"
            counts = _write_benchmark_files(sequence_split, data_path, dataset_name, MAX_ITEM_LIST_LENGTH[model])
            print(f"{model}: exported {counts} rows; training in RecBole's environment ...", flush=True)
            args.epoch_cap = epoch_caps.get(model, epoch_caps["default"])
            recbole_config = _recbole_config(model, data_path, dataset_name, work_dir, args)
            report = _run_worker(model, recbole_config, dataset_name, work_dir, args)
            outcome = _evaluate_and_record(model, report, split, args)
            _print_result(model, outcome)


# ======================================================================================
# Part 2, in RecBole's environment (no tutorial_lib there): train, time, score
# ======================================================================================
def recbole_worker(spec_path: str) -> None:
    """Train one RecBole model as ``spec_path`` says; write its report and its score matrices."""
    import importlib.metadata
    import platform

    import torch
    from recbole.config import Config
    from recbole.data import create_dataset, data_preparation
    from recbole.utils import get_model, get_trainer, init_seed

    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    torch.set_num_threads(spec["threads"])
    config = Config(model=spec["model"], dataset=spec["dataset"], config_dict=spec["config"])
    init_seed(config["seed"], config["reproducibility"])
    dataset = create_dataset(config)
    train_data, valid_data, test_data = data_preparation(config, dataset)
    init_seed(config["seed"] + config["local_rank"], config["reproducibility"])
    model = get_model(config["model"])(config, train_data._dataset).to(config["device"])
    trainer = get_trainer(config["MODEL_TYPE"], config["model"])(config, model)

    epoch_seconds, epoch_cpu_seconds, valid_seconds, valid_scores = [], [], [], []
    train_epoch, valid_epoch = trainer._train_epoch, trainer._valid_epoch

    def timed_train_epoch(*args, **kwargs):
        started, cpu_started = time.perf_counter(), time.process_time()
        loss = train_epoch(*args, **kwargs)
        epoch_seconds.append(time.perf_counter() - started)
        epoch_cpu_seconds.append(time.process_time() - cpu_started)
        return loss

    def timed_valid_epoch(*args, **kwargs):
        started = time.perf_counter()
        score, result = valid_epoch(*args, **kwargs)
        valid_seconds.append(time.perf_counter() - started)
        valid_scores.append(float(score))
        return score, result

    trainer._train_epoch, trainer._valid_epoch = timed_train_epoch, timed_valid_epoch
    started = time.perf_counter()
    trainer.fit(train_data, valid_data, verbose=False, saved=True, show_progress=False)
    fit_seconds = time.perf_counter() - started
    test_result = trainer.evaluate(test_data, load_best_model=True, show_progress=False)  # the best epoch

    def scores_of(data) -> tuple[np.ndarray, np.ndarray]:
        """Scores ``(n_rows, n_items)`` (padding column dropped) and the rows' user tokens."""
        blocks, users = [], []
        trainer.model.eval()
        with torch.no_grad():
            for interaction, _, _, _ in data:
                block = trainer.model.full_sort_predict(interaction.to(config["device"]))
                blocks.append(block.view(len(interaction), -1)[:, 1:].cpu().numpy())
                users.append(interaction[dataset.uid_field].cpu().numpy())
        tokens = dataset.field2id_token[dataset.uid_field][np.concatenate(users)]
        return np.concatenate(blocks), tokens.astype(np.int64)

    started = time.perf_counter()
    test_scores, test_users = scores_of(test_data)
    score_seconds = time.perf_counter() - started
    valid_scores_matrix, valid_users = scores_of(valid_data)
    items = dataset.field2id_token[dataset.iid_field][1:].astype(np.int64)  # internal ids 1..n
    np.savez(spec["scores_path"], items=items, test_scores=test_scores, test_users=test_users,
             valid_scores=valid_scores_matrix, valid_users=valid_users)

    model_keys = {
        "Caser": ("embedding_size", "nv", "nh", "dropout_prob", "reg_weight"),
        "GRU4Rec": ("embedding_size", "hidden_size", "num_layers", "dropout_prob"),
        "SASRec": ("n_layers", "n_heads", "hidden_size", "inner_size", "hidden_dropout_prob",
                   "attn_dropout_prob", "hidden_act", "layer_norm_eps", "initializer_range"),
    }[spec["model"]]
    versions = {"python": platform.python_version()}
    for library in ("recbole", "torch", "numpy", "pandas", "scipy"):
        versions[library] = importlib.metadata.version(library)
    best_epoch = int(np.argmax(valid_scores)) + 1 if valid_scores else None  # RecBole keeps the first best
    report = {
        "test_result": {key: float(value) for key, value in test_result.items()},
        "epoch_seconds": epoch_seconds,
        "epoch_cpu_seconds": epoch_cpu_seconds,
        "valid_seconds": valid_seconds,
        "valid_scores": valid_scores,
        "best_epoch": best_epoch,
        "fit_seconds": fit_seconds,
        "score_seconds": score_seconds,
        "model_settings": {key: config[key] for key in model_keys},
        "train_batch_size": config["train_batch_size"],
        "learning_rate": config["learning_rate"],
        "n_parameters": int(sum(parameter.numel() for parameter in model.parameters())),
        "n_training_rows": len(train_data._dataset),
        "versions": versions,
    }
    Path(spec["report_path"]).write_text(json.dumps(report), encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == WORKER_FLAG:
        recbole_worker(sys.argv[2])
    else:
        main()
