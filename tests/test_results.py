import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from tutorial_lib.config import ProfileConfig
from tutorial_lib.evaluation import results

REPO_ROOT = Path(__file__).resolve().parent.parent
COMMITTED_RECORDS = results.record_files(REPO_ROOT / "results", include_quick=False)


@dataclasses.dataclass(frozen=True)
class ToyConfig(ProfileConfig):
    epochs: int = 10
    hidden_sizes: tuple = (64, 32)

    QUICK: ClassVar[dict] = {"epochs": 2}


def make_toy_record(**changes):
    arguments = dict(
        task="like-prediction",
        dataset="movielens-100k",
        split="global time cut-off",
        model="Logistic regression (Newton)",
        model_family="logistic",
        config=ToyConfig.for_profile("quick"),
        profile="quick",
        metrics={
            "auc": results.metric(0.7, ci=(0.68, 0.72)),
            "log_loss": results.metric(0.6, higher_is_better=False),
        },
        train_seconds=1.5,
        predict_seconds=0.1,
        chapter="03_logistic_regression",
        seed=np.int64(2024),
    )
    arguments.update(changes)
    return results.make_record(**arguments)


def test_every_committed_record_matches_the_schema():
    # One test over all files (none is fine): it runs, and passes, before the first record.
    problems = []
    for path in COMMITTED_RECORDS:
        try:
            record = results.read_record(path)
        except results.RecordError as error:
            problems.append(str(error))
            continue
        if record["profile"] != "full":
            problems.append(f"{path}: only full-profile records are committed; quick ones belong in results/quick/")
        if path.name != results.record_filename(record):
            problems.append(f"{path}: the file name must be {results.record_filename(record)}")
    assert not problems, "\n".join(problems)


def test_committed_records_exclude_quick_ones(tmp_path):
    (tmp_path / "quick").mkdir()
    (tmp_path / "quick" / "a.json").write_text("{}")
    (tmp_path / "top-n").mkdir()
    (tmp_path / "top-n" / "b.json").write_text("{}")
    assert results.record_files(tmp_path, include_quick=False) == [tmp_path / "top-n" / "b.json"]
    assert len(results.record_files(tmp_path)) == 2
    assert results.record_files(tmp_path / "missing") == []


def test_schema_rejects_a_broken_record():
    record = make_toy_record()
    results.validate_record(record)  # the unbroken record passes
    broken = json.loads(json.dumps(record))
    del broken["task"]
    broken["metrics"]["auc"]["value"] = "high"
    broken["hardware"]["cpu_count"] = 0
    with pytest.raises(results.RecordError) as caught:
        results.validate_record(broken)
    message = str(caught.value)
    assert "'task' is a required property" in message
    assert "field metrics.auc.value" in message
    assert "field hardware.cpu_count" in message


def test_record_holds_the_provenance_without_importing_torch():
    code = (
        "import sys; from tutorial_lib.evaluation import results; "
        "r = results.make_record(task='top-n', dataset='d', split='s', model='m', model_family='f', "
        "config={}, profile='full', metrics={'hr@10': results.metric(0.5)}, train_seconds=0, "
        "predict_seconds=0, chapter='c'); print('torch' in sys.modules)"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, check=True)
    assert completed.stdout.strip() == "False"

    record = make_toy_record()
    assert record["config"] == {"epochs": 2, "hidden_sizes": [64, 32]}
    assert record["seed"] == 2024 and type(record["seed"]) is int
    assert record["hardware"]["cpu_count"] >= 1
    assert set(results.RECORDED_LIBRARIES) <= set(record["library_versions"])
    assert record["library_versions"]["numpy"] == np.__version__
    assert record["git_commit"] == "unknown" or len(record["git_commit"]) == 40
    assert record["date"].endswith("+00:00")


def test_round_trip_in_a_temporary_directory(tmp_path):
    quick = make_toy_record()
    full = make_toy_record(profile="full", metrics={"auc": results.metric(0.75)})
    quick_path = results.write_record(quick, tmp_path)
    full_path = results.write_record(full, tmp_path)
    assert quick_path.parent == tmp_path / "quick" and full_path.parent == tmp_path
    assert quick_path.name == "like-prediction__movielens-100k__logistic-regression-newton__global-time-cut-off__quick.json"
    assert results.load_records(tmp_path) == [full, quick]  # sorted paths: quick/ after the full file
    assert results.load_records(tmp_path, include_quick=False) == [full]
    # a re-run overwrites its own record instead of adding a second one
    results.write_record(make_toy_record(metrics={"auc": results.metric(0.71)}), tmp_path)
    assert len(results.record_files(tmp_path)) == 2
    assert results.read_record(quick_path)["metrics"]["auc"]["value"] == 0.71


def test_default_directory(tmp_path, monkeypatch):
    monkeypatch.setenv(results.RESULTS_DIR_ENV_VAR, str(tmp_path))
    path = results.write_record(make_toy_record())
    assert path.parent == tmp_path / "quick"
    monkeypatch.delenv(results.RESULTS_DIR_ENV_VAR)
    assert results.default_directory() == REPO_ROOT / "results"  # tests run from the checkout
    monkeypatch.setattr(results, "_repository_root", lambda: None)  # as when pip-installed
    monkeypatch.chdir(tmp_path)
    assert results.default_directory() == tmp_path / "results"


def test_read_record_names_the_file(tmp_path):
    path = tmp_path / "bad.json"
    record = make_toy_record()
    record["profile"] = "medium"
    path.write_text(json.dumps(record))
    with pytest.raises(results.RecordError, match=r"(?s)bad\.json does not match.*field profile: 'medium' is not one of"):
        results.read_record(path)
    path.write_text("{not json")
    with pytest.raises(results.RecordError, match=r"bad\.json is not valid JSON"):
        results.read_record(path)


@pytest.mark.parametrize(
    "changes, error, message",
    [
        ({"task": "top_n"}, results.RecordError, r"field task: 'top_n' is not one of"),
        ({"profile": "medium"}, ValueError, r"profile must be one of"),
        ({"model": ""}, results.RecordError, r"field model: '' should be non-empty"),
        ({"metrics": {"auc": 0.7}}, TypeError, r"metrics\['auc'\] must be made with results.metric"),
        ({"metrics": {}}, ValueError, r"metrics must be a non-empty dict"),
        ({"train_seconds": -1.0}, ValueError, r"train_seconds must be >= 0"),
        ({"predict_seconds": "fast"}, ValueError, r"predict_seconds must be a real number"),
        ({"config": [1, 2]}, TypeError, r"config must be a ProfileConfig"),
        ({"config": {"array": np.zeros(2)}}, ValueError, r"config must hold only JSON values"),
        ({"seed": 1.5}, TypeError, r"seed must be an integer"),
        ({"chapter": 3}, results.RecordError, r"field chapter: 3 is not of type 'string'"),
    ],
)
def test_make_record_rejects_bad_fields(changes, error, message):
    with pytest.raises(error, match=message):
        make_toy_record(**changes)


def test_metric():
    assert results.metric(np.float32(0.5), ci=(0.25, 0.75)) == {
        "value": 0.5, "ci_low": 0.25, "ci_high": 0.75, "higher_is_better": True
    }
    assert results.metric(1.2, higher_is_better=False)["ci_low"] is None
    with pytest.raises(ValueError, match="value must be a real number, got NaN"):
        results.metric(float("nan"))
    with pytest.raises(ValueError, match="low <= high"):
        results.metric(0.5, ci=(0.6, 0.4))
    with pytest.raises(ValueError, match=r"ci must be a pair"):
        results.metric(0.5, ci=0.1)
    with pytest.raises(TypeError, match="higher_is_better must be"):
        results.metric(0.5, higher_is_better="yes")


def test_validate_checks_the_interval():
    record = make_toy_record()
    record["metrics"]["auc"]["ci_high"] = None
    with pytest.raises(results.RecordError, match="field metrics.auc: ci_low and ci_high must both be"):
        results.validate_record(record)
    record["metrics"]["auc"].update(ci_low=0.9, ci_high=0.8)
    with pytest.raises(results.RecordError, match=r"ci_low \(0.9\) is above ci_high"):
        results.validate_record(record)


def test_records_table_sorts_full_first_then_best_first():
    records = [
        make_toy_record(model="A", metrics={"auc": results.metric(0.70), "log_loss": results.metric(0.5, higher_is_better=False)}),
        make_toy_record(model="B", profile="full", metrics={"auc": results.metric(0.60, ci=(0.55, 0.65))}),
        make_toy_record(model="C", profile="full", metrics={"auc": results.metric(0.80)}),
        make_toy_record(model="D", task="top-n", metrics={"hr@10": results.metric(0.3)}),
    ]
    table = results.records_table(records, task="like-prediction")
    assert list(table["model"]) == ["C", "B", "A"]
    assert list(table["profile"]) == ["full", "full", "quick"]
    assert table.loc[1, "auc ci_low"] == 0.55 and np.isnan(table.loc[0, "auc ci_low"])
    assert np.isnan(table.loc[0, "log_loss"])
    by_loss = results.records_table(records[:1] + [make_toy_record(model="E", metrics={"log_loss": results.metric(0.4, higher_is_better=False)})], sort_by="log_loss")
    assert list(by_loss["model"]) == ["E", "A"]  # lower loss first
    assert isinstance(table, pd.DataFrame)
    with pytest.raises(ValueError, match="records hold several tasks"):
        results.records_table(records)
    with pytest.raises(ValueError, match="task must be one of"):
        results.records_table(records, task="ranking")
    with pytest.raises(ValueError, match="no records for task 'rating-prediction'"):
        results.records_table(records, task="rating-prediction")
    with pytest.raises(ValueError, match="records disagree on whether higher is better for metric 'auc'"):
        results.records_table(records[:1] + [make_toy_record(metrics={"auc": results.metric(0.5, higher_is_better=False)})])
    with pytest.raises(ValueError, match="sort_by must be one of"):
        results.records_table(records, task="top-n", sort_by="auc")


def test_timer():
    with results.Timer() as timer:
        inside = timer.seconds
        sum(range(1000))
    assert 0 <= inside <= timer.seconds
    assert timer.seconds == timer.seconds  # stopped: the value no longer grows
    with pytest.raises(RuntimeError, match="only defined inside or after"):
        _ = results.Timer().seconds


def test_gpu_name_from_nvidia_smi(tmp_path, monkeypatch):
    fake = tmp_path / "nvidia-smi"
    fake.write_text("#!/bin/sh\necho 'Fake GPU 80GB'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    assert results.hardware()["gpu"] == "Fake GPU 80GB"
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert results.hardware()["gpu"] is None


def test_git_commit_of_a_pip_install_from_git(monkeypatch):
    commit = "0123456789abcdef0123456789abcdef01234567"

    class FakeDistribution:
        def read_text(self, name):
            assert name == "direct_url.json"
            return json.dumps({"url": "https://github.com/x/y", "vcs_info": {"vcs": "git", "commit_id": commit}})

    monkeypatch.setattr(results, "_repository_root", lambda: None)
    monkeypatch.setattr(results.importlib.metadata, "distribution", lambda name: FakeDistribution())
    assert results.git_commit() == commit
    monkeypatch.setattr(FakeDistribution, "read_text", lambda self, name: None)  # a plain pip install
    assert results.git_commit() == "unknown"
