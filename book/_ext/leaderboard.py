"""Fill the leaderboard page (``book/leaderboard.md``) with tables made from results records.

The page holds one line, :data:`MARKER`; when Sphinx reads the page, this extension replaces
it with one Markdown table per task and split, made from the records that exist at that
moment: the committed full-profile records under ``results/`` and the quick-profile records
under ``results/quick/`` that the notebooks of this build have just written. Nothing
generated is committed, and a model whose chapter writes a record appears on the page with
no edit to it.

The book build executes the notebooks while it reads them, so the page is read last
(``env-before-read-docs`` moves it to the end of the reading order) and is read again on
every build, even when its source did not change (``env-get-outdated``).

:func:`leaderboard_markdown` does the work and is unit-tested in ``tests/test_leaderboard.py``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

MARKER = "<!-- leaderboard-tables -->"
PAGE_DOCNAME = "book/leaderboard"

# Each task's main metric (what its table is sorted by) and the column's title. A task not
# listed here is ranked by the first metric of its first record.
MAIN_METRICS = {
    "like-prediction": ("auc", "test AUC [95% CI]"),
    "top-n": ("hr@10", "HR@10 [95% CI]"),
    "rating-prediction": ("rmse", "test RMSE [95% CI]"),
    "review-sentiment": ("auc", "test AUC [95% CI]"),
    "review-category": ("macro_f1", "test macro-F1 [95% CI]"),
}
TASK_TITLES = {
    "like-prediction": "Like prediction",
    "top-n": "Top-N recommendation",
    "rating-prediction": "Rating prediction",
    "review-sentiment": "Review sentiment",
    "review-category": "Review category (10 classes)",
}
COMMIT_CHARACTERS = 7  # a short git commit, as `git log --oneline` shows it


def main_metric(task: str, records: list[Mapping[str, Any]]) -> tuple[str, str]:
    """``(metric name, column title)`` that ranks ``task``'s records (non-empty list)."""
    if task in MAIN_METRICS:
        return MAIN_METRICS[task]
    name = next(iter(records[0]["metrics"]))
    return name, f"{name} [95% CI]"


def format_metric(entry: Mapping[str, Any] | None) -> str:
    """``"0.694 [0.679, 0.707]"``; ``"0.694"`` without an interval; ``"—"`` when missing."""
    if entry is None:
        return "—"
    text = f"{entry['value']:.3f}"
    if entry["ci_low"] is not None:
        text += f" [{entry['ci_low']:.3f}, {entry['ci_high']:.3f}]"
    return text


def hardware_short(hardware: Mapping[str, Any]) -> str:
    """The GPU's name when the record has one, else ``"CPU, 2 cores"``."""
    if hardware.get("gpu"):
        return str(hardware["gpu"])
    return f"CPU, {hardware['cpu_count']} cores"


def _rank_key(record: Mapping[str, Any], metric_name: str) -> tuple[bool, bool, float]:
    """Full profile first, then best first by ``metric_name``; a record without it last."""
    entry = record["metrics"].get(metric_name)
    is_quick = record["profile"] == "quick"
    if entry is None or math.isnan(entry["value"]):
        return (is_quick, True, 0.0)
    value = entry["value"] if entry["higher_is_better"] else -entry["value"]
    return (is_quick, False, -value)


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell (a ``|`` would end the cell)."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _provenance_line(records: list[Mapping[str, Any]]) -> str:
    """One line under a table: the dataset, the split, and per profile the dates and commits."""
    first = records[0]
    parts = [f"Dataset: {_cell(first['dataset'])}. Split: {_cell(first['split'])}."]
    for profile in sorted({record["profile"] for record in records}):
        group = [record for record in records if record["profile"] == profile]
        dates = sorted({record["date"][:10] for record in group})
        commits = sorted({record["git_commit"][:COMMIT_CHARACTERS] for record in group})
        parts.append(
            f"{profile.capitalize()}-profile records: {', '.join(dates)} (UTC), "
            f"commit{'s' if len(commits) > 1 else ''} {', '.join(f'`{c}`' for c in commits)}."
        )
    return " ".join(parts)


def split_table(records: list[Mapping[str, Any]], metric_name: str, metric_title: str) -> str:
    """A Markdown table of ``records`` (one task, dataset and split), ranked, and its footer.

    Columns: model, the main metric with its interval, training seconds, profile (quick
    rows in italics) and hardware. Full-profile rows come first, each group best first.
    """
    ranked = sorted(records, key=lambda record: _rank_key(record, metric_name))
    lines = [
        f"| Model | {metric_title} | Train s | Profile | Hardware |",
        "| :-- | :-- | --: | :-- | :-- |",
    ]
    for record in ranked:
        profile = "*quick*" if record["profile"] == "quick" else record["profile"]
        lines.append(
            f"| {_cell(record['model'])} "
            f"| {format_metric(record['metrics'].get(metric_name))} "
            f"| {record['train_seconds']:.1f} "
            f"| {profile} "
            f"| {_cell(hardware_short(record['hardware']))} |"
        )
    return "\n".join(lines) + "\n\n" + _provenance_line(records) + "\n"


def leaderboard_markdown(records: Iterable[Mapping[str, Any]]) -> str:
    """The leaderboard as Markdown: a section per task, a table per dataset and split.

    Tasks come in the order of :data:`TASK_TITLES` (others after them, by name); within a
    task, tables are ordered by dataset and split. With no records, one sentence says so.
    """
    records = list(records)
    if not records:
        return "No results records were found when this page was built.\n"
    tasks = sorted(
        {record["task"] for record in records},
        key=lambda task: (list(TASK_TITLES).index(task) if task in TASK_TITLES else len(TASK_TITLES), task),
    )
    parts = []
    for task in tasks:
        task_records = [record for record in records if record["task"] == task]
        metric_name, metric_title = main_metric(task, task_records)
        parts.append(f"## {TASK_TITLES.get(task, task)}\n")
        groups = sorted({(record["dataset"], record["split"]) for record in task_records})
        for dataset, split in groups:
            group = [r for r in task_records if (r["dataset"], r["split"]) == (dataset, split)]
            parts.append(split_table(group, metric_name, metric_title))
    return "\n".join(parts)


def _load_records() -> list[dict[str, Any]]:
    from tutorial_lib.evaluation import results

    return results.load_records(include_quick=True)


def _fill_page(app, docname: str, source: list[str]) -> None:
    if docname == PAGE_DOCNAME and MARKER in source[0]:
        source[0] = source[0].replace(MARKER, leaderboard_markdown(_load_records()))


def _read_page_last(app, env, docnames: list[str]) -> None:
    """Read the page after the notebooks, which write this build's quick records."""
    if PAGE_DOCNAME in docnames:
        docnames.remove(PAGE_DOCNAME)
        docnames.append(PAGE_DOCNAME)


def _always_outdated(app, env, added, changed, removed) -> list[str]:
    """Read the page on every build: the records may have changed, its source not."""
    page = Path(app.srcdir) / f"{PAGE_DOCNAME}.md"
    return [PAGE_DOCNAME] if page.is_file() and PAGE_DOCNAME not in added else []


def setup(app):
    app.connect("env-get-outdated", _always_outdated)
    app.connect("env-before-read-docs", _read_page_last)
    app.connect("source-read", _fill_page)
    return {"version": "1.0", "parallel_read_safe": False, "parallel_write_safe": True}
