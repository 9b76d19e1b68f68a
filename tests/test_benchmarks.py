"""Scaling records (tutorial_lib.evaluation.benchmarks), their plot, and benchmarks/scaling.py."""

import importlib.util
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from tutorial_lib.book.plotting import plot_scaling  # noqa: E402
from tutorial_lib.evaluation import benchmarks, results  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
SCRIPT = REPO_ROOT / "benchmarks" / "scaling.py"


def fake_record(model="Item-KNN", n_interactions=1_000_000, status="ok", fit_seconds=2.0, **changes):
    measured = status == "ok"
    arguments = dict(
        dataset=f"synthetic-{n_interactions}", synthetic=True, n_interactions=n_interactions,
        n_users=n_interactions // 100, n_items=n_interactions // 300, model=model,
        model_family="neighbourhood", config={"n_neighbours": 50}, status=status,
        reason=None if measured else "predicted 900 s > budget 300 s",
        k=10, batch_size=1_000, time_budget_seconds=300.0, threads=2, seed=0,
        # Wall time above CPU time, as on a busy machine: the plot must show the CPU time.
        fit_seconds=1.5 * fit_seconds if measured else None,
        recommend_seconds=4.5 if measured else None,
        fit_cpu_seconds=fit_seconds if measured else None,
        recommend_cpu_seconds=3.0 if measured else None,
        n_users_recommended=n_interactions // 100 if measured else None,
        peak_rss_bytes=500 * 2**20 if measured else None,
        rss_before_fit_bytes=200 * 2**20 if measured else None,
    )
    arguments.update(changes)
    return benchmarks.make_scaling_record(**arguments)


def test_a_record_round_trips_through_its_file(tmp_path):
    record = fake_record()
    path = benchmarks.write_scaling_record(record, tmp_path)
    assert path.name == "scaling__synthetic-1000000__item-knn.json"
    assert benchmarks.load_scaling_records(tmp_path) == [record]
    assert record["hardware"]["cpu_count"] >= 1
    assert set(benchmarks.EXTRA_LIBRARIES) <= set(record["library_versions"])


def test_a_rerun_of_the_same_pair_overwrites_its_file(tmp_path):
    benchmarks.write_scaling_record(fake_record(fit_seconds=2.0), tmp_path)
    benchmarks.write_scaling_record(fake_record(fit_seconds=5.0), tmp_path)
    (only,) = benchmarks.load_scaling_records(tmp_path)
    assert only["fit_cpu_seconds"] == 5.0


def test_a_missing_folder_holds_no_records(tmp_path):
    assert benchmarks.load_scaling_records(tmp_path / "none") == []


@pytest.mark.parametrize(
    "change, message",
    [
        ({"status": "done"}, "field status"),
        ({"fit_seconds": None}, "needs every measurement"),
        ({"reason": "why not"}, "an 'ok' record has no reason"),
        ({"n_users": 0}, "field n_users"),
        ({"fit_seconds": -1.0}, "field fit_seconds"),
        ({"threads": True}, "field threads"),
        ({"git_commit": "abc"}, "field git_commit"),
    ],
)
def test_a_bad_record_is_refused_with_the_field_named(change, message):
    record = fake_record()
    record.update(change)
    with pytest.raises(benchmarks.ScalingRecordError, match=message):
        benchmarks.validate_scaling_record(record)


def test_a_run_that_was_not_made_must_say_why():
    with pytest.raises(benchmarks.ScalingRecordError, match="must say why"):
        fake_record(status="skipped", reason=None)
    assert fake_record(status="timed-out")["reason"]


def test_missing_and_unknown_fields_are_named():
    record = fake_record()
    del record["k"]
    record["accuracy"] = 0.3
    with pytest.raises(benchmarks.ScalingRecordError, match=r"missing fields \['k'\].*\n.*unknown fields \['accuracy'\]"):
        benchmarks.validate_scaling_record(record)


def test_a_broken_file_is_named(tmp_path):
    (tmp_path / "scaling__x__y.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(benchmarks.ScalingRecordError, match="scaling__x__y.json is not valid JSON"):
        benchmarks.load_scaling_records(tmp_path)
    (tmp_path / "scaling__x__y.json").write_text(json.dumps({"benchmark": "scaling"}), encoding="utf-8")
    with pytest.raises(benchmarks.ScalingRecordError, match="scaling__x__y.json is not a valid scaling record"):
        benchmarks.load_scaling_records(tmp_path)


def test_results_records_leave_the_benchmarks_folder_out(tmp_path):
    benchmarks.write_scaling_record(fake_record(), tmp_path / results.BENCHMARKS_SUBDIRECTORY)
    assert results.record_files(tmp_path) == []
    assert results.load_records(tmp_path) == []


def test_the_table_sorts_by_model_then_size_and_leaves_unmeasured_costs_nan():
    records = [
        fake_record("User-KNN", 10_000_000, status="timed-out"),
        fake_record("User-KNN", 1_000_000),
        fake_record("Item-KNN", 1_000_000),
    ]
    table = benchmarks.scaling_table(records)
    assert list(zip(table["model"], table["n_interactions"])) == [
        ("Item-KNN", 1_000_000), ("User-KNN", 1_000_000), ("User-KNN", 10_000_000)]
    assert table.loc[0, "peak_memory_mb"] == 500 and table.loc[0, "added_memory_mb"] == 300
    assert (table.loc[0, "fit_s"], table.loc[0, "fit_cpu_s"]) == (3.0, 2.0)
    assert math.isnan(table.loc[2, "fit_s"]) and table.loc[2, "status"] == "timed-out"
    with pytest.raises(ValueError, match="records is empty"):
        benchmarks.scaling_table([])


def test_growth_exponents_recover_the_power_of_a_power_law():
    # Fit time 1e-6 * n**2 for one model, 1e-6 * n for the other; recommend time 0.
    records = [
        fake_record(model, n, fit_seconds=1e-6 * n**power, recommend_seconds=0.0, recommend_cpu_seconds=0.0)
        for model, power in (("Quadratic", 2), ("Linear", 1)) for n in (100_000, 1_000_000, 10_000_000)
    ] + [fake_record("Once", 100_000), fake_record("Once", 1_000_000, status="skipped")]
    exponents = benchmarks.growth_exponents(benchmarks.scaling_table(records), "fit_cpu_s")
    assert exponents["Quadratic"] == pytest.approx(2.0)
    assert exponents["Linear"] == pytest.approx(1.0)
    assert math.isnan(exponents["Once"])  # one measured size: no slope
    with pytest.raises(ValueError, match="cost must be one of"):
        benchmarks.growth_exponents(benchmarks.scaling_table(records), "seconds")


def test_plot_scaling_draws_a_peer_library_dashed():
    records = [fake_record("implicit ALS (peer)", n, model_family="peers") for n in (100_000, 1_000_000)]
    records += [fake_record("ALS", n, model_family="implicit_factorisation") for n in (100_000, 1_000_000)]
    fig = plot_scaling(records)
    try:
        ours, peer = fig.axes[0].get_lines()[:2]
        assert (ours.get_label(), ours.get_linestyle()) == ("ALS", "-")
        assert (peer.get_label(), peer.get_linestyle()) == ("implicit ALS (peer)", "--")
    finally:
        plt.close(fig)


def test_plot_scaling_draws_one_line_per_model_on_log_log_axes():
    records = [fake_record("Item-KNN", n, fit_seconds=n / 1e5, synthetic=n > 100_000)
               for n in (100_000, 1_000_000, 10_000_000)]
    records += [fake_record("User-KNN", 100_000, synthetic=False), fake_record("User-KNN", 1_000_000),
                fake_record("User-KNN", 10_000_000, status="skipped")]
    records += [fake_record("BPR", 100_000, synthetic=False),
                fake_record("BPR", 300_000, status="timed-out", fit_seconds=3.0, fit_cpu_seconds=2.0),
                fake_record("BPR", 1_000_000, status="skipped"), fake_record("BPR", 10_000_000, status="skipped")]
    fig = plot_scaling(records)
    try:
        fit_axes, recommend_axes, memory_axes, legend_axes = fig.axes
        for ax in (fit_axes, recommend_axes, memory_axes):
            assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
        # Two model lines and the slope-one guide in each panel.
        bpr_line, item_line, user_line, guide = fit_axes.get_lines()
        assert item_line.get_linestyle() == "-"
        np.testing.assert_allclose(bpr_line.get_xdata(), [1e5, 3e5])  # the fit finished at 300K
        np.testing.assert_allclose(recommend_axes.get_lines()[0].get_xdata(), [1e5])
        np.testing.assert_allclose(item_line.get_xdata(), [1e5, 1e6, 1e7])
        np.testing.assert_allclose(item_line.get_ydata(), [1.0, 10.0, 100.0])  # CPU, not wall, seconds
        np.testing.assert_allclose(user_line.get_xdata(), [1e5, 1e6])  # nothing at the skipped size
        np.testing.assert_allclose(memory_axes.get_lines()[1].get_ydata(), [500, 500, 500])
        labels = [text.get_text() for text in legend_axes.get_legend().get_texts()]
        assert labels == ["BPR (1M, 10M: skipped; 300K: timed-out)", "Item-KNN", "User-KNN (10M: skipped)",
                          "linear growth (slope 1)"]
        # 300K is too close to 100K for a label of its own.
        assert [tick.get_text() for tick in fit_axes.get_xticklabels()] == ["100K\n(real)", "", "1M", "10M"]
    finally:
        plt.close(fig)


# --------------------------------------------------------------------------------------
# benchmarks/scaling.py
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("scaling_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


def test_sizes_are_parsed_from_the_command_line(script):
    assert script.parse_size("ml-100k") == script.Size("movielens-100k", False, 100_000)
    assert script.parse_size("1m") == script.Size("synthetic-1m", True, 1_000_000)
    assert script.parse_size("250K").n_interactions == 250_000
    assert script.parse_size("2000000").dataset == "synthetic-2000000"
    with pytest.raises(Exception, match="a size is"):
        script.parse_size("big")


def test_the_prediction_is_a_power_law_through_the_two_largest_sizes(script):
    history = [fake_record("M", 100_000, fit_seconds=1.0, recommend_cpu_seconds=0.0),
               fake_record("M", 1_000_000, fit_seconds=100.0, recommend_cpu_seconds=0.0)]
    predicted, how = script.predict_seconds(history, 10_000_000)
    assert predicted == pytest.approx(10_000.0)  # exponent 2
    assert "growth exponent 2.00" in how
    # Never less than linear, and linear from one size.
    cheaper = [fake_record("M", 100_000, fit_seconds=10.0, recommend_cpu_seconds=0.0),
               fake_record("M", 1_000_000, fit_seconds=20.0, recommend_cpu_seconds=0.0)]
    assert script.predict_seconds(cheaper, 10_000_000)[0] == pytest.approx(200.0)
    assert script.predict_seconds(cheaper[:1], 1_000_000)[0] == pytest.approx(100.0)
    assert script.predict_seconds([], 1_000_000) is None


def test_a_run_is_skipped_when_predicted_over_budget_or_over_at_a_smaller_size(script):
    size = script.parse_size("10m")
    fast = [fake_record("M", 1_000_000, fit_seconds=1.0, recommend_cpu_seconds=1.0)]
    assert script.skip_reason(fast, size, 10_000_000, budget=300) is None
    slow = [fake_record("M", 1_000_000, fit_seconds=50.0, recommend_cpu_seconds=10.0)]
    assert script.skip_reason(slow, size, 10_000_000, budget=300).startswith("predicted 600 CPU s > budget 300 s")
    over = [fake_record("M", 1_000_000, status="timed-out")]
    assert "already timed-out at 1,000,000" in script.skip_reason(over, size, 10_000_000, budget=300)
    # A run skipped only because the invocation ran out of time says nothing about the model.
    out_of_time = [fake_record("M", 1_000_000, status="skipped",
                               reason=f"{script.TOTAL_BUDGET_REASON} (1200 s) was used up")]
    assert script.skip_reason(out_of_time, size, 10_000_000, budget=300) is None


def test_the_script_writes_one_record_per_model_and_size(tmp_path):
    environment = dict(os.environ, TUTORIAL_DATA_CACHE=str(tmp_path / "cache"), PYTHONPATH=str(REPO_ROOT))
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), "--sizes", "50k", "60k", "--models", "popularity",
         "--output", str(tmp_path / "out"), "--threads", "1"],
        capture_output=True, text=True, timeout=240, env=environment, cwd=REPO_ROOT,
    )
    assert completed.returncode == 0, completed.stderr
    records = benchmarks.load_scaling_records(tmp_path / "out")
    assert [(record["dataset"], record["status"]) for record in records] == [
        ("synthetic-50k", "ok"), ("synthetic-60k", "ok")]
    small = records[0]
    assert small["n_interactions"] == 50_000 and small["n_users_recommended"] == small["n_users"]
    assert small["peak_rss_bytes"] >= small["rss_before_fit_bytes"] > 0
    assert small["threads"] == 1 and small["model"] == "Popularity"


def test_a_run_over_its_cpu_budget_is_stopped_and_a_failing_run_says_why(script, tmp_path, monkeypatch):
    from tutorial_lib.models.popularity import PopularityRecommender

    class Spinning(PopularityRecommender):
        def _fit(self, matrix):
            while True:
                sum(range(1_000))

    class Broken(PopularityRecommender):
        def _fit(self, matrix):
            raise MemoryError("out of memory in the similarity step")

    for name, model_class in (("spinning", Spinning), ("broken", Broken)):
        spec = script.ModelSpec(name, "test", lambda seed, threads, model_class=model_class: (model_class(), {}), "x", "y")
        monkeypatch.setitem(script.MODELS, name, spec)
    path = script.prepare_data(script.parse_size("50k"), 0, tmp_path)
    spinning = script.run_child("spinning", path, 10, 1_000, 0, budget=0.5)
    assert spinning["status"] == "timed-out" and "fit_cpu_seconds" not in spinning
    assert spinning["reason"].startswith("stopped during fit after the")
    broken = script.run_child("broken", path, 10, 1_000, 0, budget=30)
    assert broken["status"] == "failed"
    assert broken["reason"] == "MemoryError: out of memory in the similarity step"


def test_a_rating_model_recommends_its_highest_predicted_unseen_items(script, monkeypatch):
    import pandas as pd

    class ItemIdAsRating:
        """Predicts item_id / 10 for every user, so the best unseen items have the largest ids."""

        def fit(self, ratings):
            self.fitted_on = ratings
            return self

        def predict(self, users, items):
            return np.asarray(items, dtype=float) / 10

    monkeypatch.setattr(script.RatingModelAsTopN, "PAIRS_PER_CALL", 7)  # several calls per batch
    log = pd.DataFrame({"user_id": [1, 1, 2, 3], "item_id": [5, 4, 1, 2], "rating": [3, 4, 5, 1],
                        "timestamp": [0, 1, 2, 3]})
    model = script.RatingModelAsTopN(ItemIdAsRating()).fit(log, items=np.arange(1, 6))
    assert list(model.predictor.fitted_on.columns) == ["user_id", "item_id", "rating"]
    np.testing.assert_allclose(model.score([1, 2], [1, 5]), [[0.1, 0.5], [0.1, 0.5]])
    np.testing.assert_array_equal(model.recommend_batch(np.array([1, 2, 3]), 2), [[3, 2], [5, 4], [5, 4]])


def test_cost_by_size_has_a_column_per_size_and_nan_where_not_measured():
    records = [fake_record("Item-KNN", n, fit_seconds=n / 1e5, recommend_cpu_seconds=1.0)
               for n in (100_000, 1_000_209, 10_000_000)]
    records += [fake_record("ALS", 100_000, fit_seconds=4.0, recommend_cpu_seconds=1.0),
                fake_record("ALS", 1_000_209, status="skipped")]
    costs = benchmarks.cost_by_size(benchmarks.scaling_table(records))
    assert list(costs.columns) == ["100K", "1M", "10M"] and list(costs.index) == ["ALS", "Item-KNN"]
    np.testing.assert_allclose(costs.loc["Item-KNN"], [2.0, 1_000_209 / 1e5 + 1.0, 101.0])
    assert costs.loc["ALS", "100K"] == 5.0
    assert costs.loc["ALS"].iloc[1:].isna().all()  # skipped at 1M, never run at 10M
    fit_only = benchmarks.cost_by_size(benchmarks.scaling_table(records), "fit_cpu_s")
    assert fit_only.loc["ALS", "100K"] == 4.0
    with pytest.raises(ValueError, match="cost must be one of"):
        benchmarks.cost_by_size(benchmarks.scaling_table(records), "seconds")


def test_size_labels_are_short():
    assert [benchmarks.size_label(n) for n in (950, 100_000, 300_000, 1_000_209, 10_000_000)] == [
        "950", "100K", "300K", "1M", "10M"]


def test_a_run_that_does_not_fit_in_the_total_budget_is_not_started_with_less(script):
    args = script.parse_arguments(["--time-budget", "300", "--total-budget", "1000"])
    history = [fake_record("M", 1_000_000, fit_seconds=20.0, recommend_cpu_seconds=0.0)]  # 200 s at 10M
    assert script.total_budget_reason(history, 10_000_000, args, elapsed=700.0) is None
    reason = script.total_budget_reason(history, 10_000_000, args, elapsed=900.0)
    assert reason == f"{script.TOTAL_BUDGET_REASON} (1000 s) had 100 s left, less than the 200 s this run needs"
    # Without a prediction a run needs the whole per-run budget.
    assert script.total_budget_reason([], 10_000_000, args, elapsed=800.0).endswith("the 300 s this run needs")


def test_a_run_stopped_while_recommending_keeps_its_fit_time(script, tmp_path, monkeypatch):
    from tutorial_lib.models.popularity import PopularityRecommender

    class SlowToRecommend(PopularityRecommender):
        def recommend_batch(self, users, k, exclude_seen=True):
            while True:
                sum(range(1_000))

    spec = script.ModelSpec("slow", "test", lambda seed, threads: (SlowToRecommend(), {}), "x", "y")
    monkeypatch.setitem(script.MODELS, "slow", spec)
    path = script.prepare_data(script.parse_size("50k"), 0, tmp_path)
    measured = script.run_child("slow", path, 10, 1_000, 0, budget=0.5)
    assert measured["status"] == "timed-out"
    assert measured["reason"].startswith("stopped during recommend")
    assert 0 < measured["fit_cpu_seconds"] < 0.5 and measured["fit_seconds"] > 0
    assert "recommend_cpu_seconds" not in measured
