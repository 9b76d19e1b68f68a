"""The leaderboard page's generator (book/_ext/leaderboard.py), on records in a tmp dir."""

import importlib.util
from pathlib import Path

import pytest

from tutorial_lib.evaluation import results

REPO_ROOT = Path(__file__).resolve().parent.parent
_SPEC = importlib.util.spec_from_file_location("leaderboard", REPO_ROOT / "book" / "_ext" / "leaderboard.py")
leaderboard = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(leaderboard)

SPLIT = "global time cut-offs, 70/10/20"


def write_like_record(directory, model, auc, profile="full", ci=(None, None), split=SPLIT):
    interval = None if ci[0] is None else ci
    record = results.make_record(
        task="like-prediction",
        dataset="movielens-100k",
        split=split,
        model=model,
        model_family="logistic",
        config={"C": 1.0},
        profile=profile,
        metrics={
            "auc": results.metric(auc, ci=interval),
            "log_loss": results.metric(0.6, higher_is_better=False),
        },
        train_seconds=1.25,
        predict_seconds=0.01,
        chapter="03_logistic_regression",
        seed=1,
    )
    return results.write_record(record, directory)


def table_rows(markdown):
    """The body rows of the Markdown tables, as lists of cells."""
    rows = [line for line in markdown.splitlines() if line.startswith("| ") and ":--" not in line]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows if not row.startswith("| Model")]


def test_a_new_models_record_appears_without_editing_anything(tmp_path):
    write_like_record(tmp_path, "logistic", 0.69, ci=(0.68, 0.70))
    before = leaderboard.leaderboard_markdown(results.load_records(tmp_path))
    assert "a model added later" not in before
    write_like_record(tmp_path, "a model added later", 0.72, ci=(0.70, 0.74))
    after = leaderboard.leaderboard_markdown(results.load_records(tmp_path))
    models = [row[0] for row in table_rows(after)]
    assert models == ["a model added later", "logistic"]  # best test AUC first
    assert "0.720 [0.700, 0.740]" in after


def test_full_rows_come_first_and_quick_rows_are_marked(tmp_path):
    write_like_record(tmp_path, "quick but high", 0.90, profile="quick", ci=(0.85, 0.95))
    write_like_record(tmp_path, "full and low", 0.60, ci=(0.58, 0.62))
    write_like_record(tmp_path, "full and high", 0.70)
    rows = table_rows(leaderboard.leaderboard_markdown(results.load_records(tmp_path)))
    assert [row[0] for row in rows] == ["full and high", "full and low", "quick but high"]
    assert [row[3] for row in rows] == ["full", "full", "*quick*"]
    assert rows[0][1] == "0.700"  # no interval: the value alone
    assert rows[0][2] == "1.2" and rows[0][4] == "CPU, " + str(results.hardware()["cpu_count"]) + " cores"


def test_one_table_per_split_each_with_its_provenance_line(tmp_path):
    write_like_record(tmp_path, "logistic", 0.69, split="split A")
    write_like_record(tmp_path, "logistic", 0.65, split="split B")
    markdown = leaderboard.leaderboard_markdown(results.load_records(tmp_path))
    assert markdown.count("## Like prediction") == 1
    assert markdown.count("| Model |") == 2
    assert "Split: split A." in markdown and "Split: split B." in markdown
    commit = results.git_commit()[: leaderboard.COMMIT_CHARACTERS]
    assert markdown.count("Full-profile records: ") == 2 and f"commit `{commit}`." in markdown
    assert "Quick-profile records" not in markdown


def test_a_gpu_record_names_its_gpu():
    assert leaderboard.hardware_short({"cpu": "x", "cpu_count": 8, "gpu": "Tesla T4"}) == "Tesla T4"


def test_no_records_gives_a_sentence_not_an_empty_table():
    assert "No results records" in leaderboard.leaderboard_markdown([])


def test_the_page_marker_is_replaced_from_the_results_directory(tmp_path, monkeypatch):
    monkeypatch.setenv(results.RESULTS_DIR_ENV_VAR, str(tmp_path))
    write_like_record(tmp_path, "logistic", 0.69)
    source = [f"# Leaderboard\n\n{leaderboard.MARKER}\n"]
    leaderboard._fill_page(None, leaderboard.PAGE_DOCNAME, source)
    assert leaderboard.MARKER not in source[0] and "| logistic | 0.690 |" in source[0]
    other = [leaderboard.MARKER]
    leaderboard._fill_page(None, "book/glossary", other)
    assert other == [leaderboard.MARKER]


def test_the_page_is_read_after_the_notebooks():
    docnames = ["book/leaderboard", "book/preface", "notebooks/03_logistic_regression"]
    leaderboard._read_page_last(None, None, docnames)
    assert docnames[-1] == "book/leaderboard" and len(docnames) == 3


@pytest.mark.parametrize("page", ["book/leaderboard.md"])
def test_the_committed_page_holds_the_marker_and_no_generated_table(page):
    text = (REPO_ROOT / page).read_text(encoding="utf-8")
    assert text.count(leaderboard.MARKER) == 1 and "| Model |" not in text
