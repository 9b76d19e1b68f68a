"""Plotting helpers shared by the chapters, and the book's figure style.

:func:`use_book_figure_style` (called by :func:`tutorial_lib.start_notebook`) sets the one
style every figure of the book uses: figures as wide as the book's text column, text at
least as large as the body text at that width, and SVG output in notebooks, where every
glyph (Chinese included) is embedded as a path, so the figure looks the same in any browser.

Chinese text needs a font with Chinese glyphs: :func:`tutorial_lib.book.fonts.use_chinese_font`
(also importable from here, where the chapters import it).
"""

from __future__ import annotations

import matplotlib

from tutorial_lib.book.fonts import use_chinese_font

__all__ = [
    "COLUMN_WIDTH_INCHES",
    "FIGURE_STYLE",
    "MIN_FONT_SIZE_PT",
    "plot_calibration",
    "plot_interaction_matrix",
    "plot_movielens_overview",
    "plot_review_corpora",
    "plot_sampled_vs_full",
    "use_book_figure_style",
    "use_chinese_font",
]

# The book's text column at a 1280 px wide window is about 750 CSS px; a figure this wide
# (6.5 in = 624 px at the browser's 96 px per inch) is shown at its natural size, so 12 pt
# text in it is 16 px on screen, the body text's size. A wider figure is shrunk to the
# column and its text with it: tests/built/test_pages_in_browser.py measures that.
COLUMN_WIDTH_INCHES = 6.5
MIN_FONT_SIZE_PT = 12
FIGURE_STYLE = {
    "figure.figsize": (COLUMN_WIDTH_INCHES, 4.0),
    "font.size": 13,
    "axes.titlesize": 14,
    "axes.labelsize": 13,
    "xtick.labelsize": MIN_FONT_SIZE_PT,
    "ytick.labelsize": MIN_FONT_SIZE_PT,
    "legend.fontsize": MIN_FONT_SIZE_PT,
    "legend.title_fontsize": 13,
    "figure.titlesize": 15,
    "figure.labelsize": 13,
    # Glyphs as paths: an SVG figure needs no font on the reader's machine.
    "svg.fonttype": "path",
}
INLINE_FIGURE_FORMAT = "svg"


def use_book_figure_style() -> None:
    """Apply :data:`FIGURE_STYLE` to matplotlib and, in IPython, show figures as SVG.

    Call it once per notebook (``tutorial_lib.start_notebook`` does). Outside IPython only
    the rcParams change.
    """
    matplotlib.rcParams.update(FIGURE_STYLE)
    try:
        from IPython import get_ipython
    except ImportError:
        return
    if get_ipython() is None:
        return
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    set_matplotlib_formats(INLINE_FIGURE_FORMAT)


def plot_interaction_matrix(matrix, user_labels, item_labels, *, title="", ax=None, cmap="Blues", missing_label="·"):
    """Draw a small user–item matrix as a heat map with the value written in each cell.

    Parameters
    ----------
    matrix:
        Array-like of shape ``(n_users, n_items)``; ``NaN`` marks an unobserved pair and is
        drawn as ``missing_label`` on a white cell.
    user_labels, item_labels:
        Row and column labels, lengths ``n_users`` and ``n_items`` (Chinese is fine after
        :func:`use_chinese_font`).
    ax:
        Axes to draw on; a new figure is made when ``None``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt
    import numpy as np

    values = np.asarray(matrix, dtype=float)
    if values.ndim != 2:
        raise ValueError(f"matrix must be 2-D (n_users, n_items), got shape {values.shape}.")
    if len(user_labels) != values.shape[0] or len(item_labels) != values.shape[1]:
        raise ValueError(
            f"labels do not match matrix shape {values.shape}: "
            f"{len(user_labels)} user_labels, {len(item_labels)} item_labels."
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(0.9 * values.shape[1] + 2, 0.6 * values.shape[0] + 1.5))
    masked = np.ma.masked_invalid(values)
    ax.imshow(masked, cmap=cmap, vmin=0, aspect="auto")
    finite = values[np.isfinite(values)]
    threshold = finite.max() * 0.6 if finite.size else 0
    for row in range(values.shape[0]):
        for col in range(values.shape[1]):
            value = values[row, col]
            text = missing_label if np.isnan(value) else f"{value:g}"
            colour = "white" if np.isfinite(value) and value > threshold else "black"
            ax.text(col, row, text, ha="center", va="center", color=colour)
    ax.set_xticks(range(values.shape[1]), labels=list(item_labels))
    ax.set_yticks(range(values.shape[0]), labels=list(user_labels))
    ax.set_title(title)
    return ax


def plot_calibration(ax, y_true, scores_by_model, *, n_bins: int = 10):
    """Draw one reliability (calibration) curve per model on ``ax``.

    Test predictions are grouped into ``n_bins`` equal-width probability bins; each point is a
    bin's mean predicted probability against the share of positives observed in it, and the
    shaded marker's area shows how many examples the bin holds. A perfectly calibrated model
    lies on the dotted diagonal.

    Parameters
    ----------
    ax:
        Matplotlib axes to draw on.
    y_true:
        Binary labels, shape ``(n_samples,)``.
    scores_by_model:
        Mapping from a model's name to its predicted probabilities, each ``(n_samples,)``.
    """
    from tutorial_lib.evaluation.metrics import calibration_curve

    if not scores_by_model:
        raise ValueError("scores_by_model is empty; pass {'model name': predicted_probabilities}.")
    for name, scores in scores_by_model.items():
        mean_predicted, observed, counts = calibration_curve(y_true, scores, n_bins=n_bins)
        ax.plot(mean_predicted, observed, marker="o", label=name)
        ax.scatter(mean_predicted, observed, s=200 * counts / counts.max(), alpha=0.3)
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfect calibration")
    ax.set_xlabel("mean predicted probability (平均预测概率)")
    ax.set_ylabel("observed positive rate (实际正例比例)")
    ax.legend()
    return ax


def plot_movielens_overview(ratings, *, max_seq_len, item_ids=None, top_item_share=0.10, title="MovieLens 100K"):
    """Draw six panels that describe a rating log, and return the figure.

    Panels, in three rows of two, left to right and top to bottom:

    1. number of ratings per star value;
    2. ratings per user (histogram, log-scaled x axis);
    3. ratings per item against its popularity rank (log-scaled y axis), with the most rated
       ``top_item_share`` of the items shaded: the long tail;
    4. cumulative share of users by the length of their behaviour sequence (their number of
       ratings), with a dashed line at ``max_seq_len``;
    5. time from each user's first to last rating, in hours (histogram, log-scaled x axis);
    6. number of ratings per hour of the day, in UTC.

    Parameters
    ----------
    ratings:
        DataFrame with one row per rating and the columns ``user_id``, ``item_id``, ``rating``
        (stars) and ``timestamp`` (Unix time in seconds), as returned by
        :func:`tutorial_lib.data.datasets.load_movielens_ratings`.
    max_seq_len:
        The longest behaviour sequence a model reads (``TextPipelineConfig.max_seq_len``), a
        positive int; marked on panel 4.
    item_ids:
        Every item ID of the catalogue, so that items nobody rated count 0 in panel 3.
        ``None`` uses the items that occur in ``ratings``.
    top_item_share:
        Share of the items, most rated first, shaded in panel 3; in ``(0, 1]``.
    title:
        Title of the whole figure.

    Returns
    -------
    matplotlib.figure.Figure
        Six axes in three rows of two, in the order listed above (``fig.axes``).
    """
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd
    from matplotlib.ticker import NullFormatter

    from tutorial_lib.validation import require_columns

    require_columns(ratings, "ratings", ["user_id", "item_id", "rating", "timestamp"], allow_empty=False)
    if isinstance(max_seq_len, bool) or not isinstance(max_seq_len, (int, np.integer)) or max_seq_len < 1:
        raise ValueError(f"max_seq_len must be a positive int (TextPipelineConfig.max_seq_len), got {max_seq_len!r}.")
    if not 0 < top_item_share <= 1:
        raise ValueError(f"top_item_share must be in (0, 1], got {top_item_share!r}.")

    seconds_per_hour = 60 * 60
    one_minute_in_hours = 1 / 60

    star_counts = ratings["rating"].value_counts().sort_index()
    ratings_per_user = ratings.groupby("user_id").size()
    ratings_per_item = ratings["item_id"].value_counts()
    if item_ids is not None:
        ratings_per_item = ratings_per_item.reindex(item_ids, fill_value=0)
    ratings_per_item = ratings_per_item.sort_values(ascending=False)
    n_items = len(ratings_per_item)
    n_top_items = int(np.ceil(top_item_share * n_items))
    top_items_share = ratings_per_item.iloc[:n_top_items].sum() / len(ratings)
    timestamps = ratings.groupby("user_id")["timestamp"]
    span_hours = (timestamps.max() - timestamps.min()) / seconds_per_hour
    # A log axis has no zero: spans shorter than a minute are drawn at one minute.
    span_hours = span_hours.clip(lower=one_minute_in_hours)
    hour_of_rating = pd.to_datetime(ratings["timestamp"], unit="s", utc=True).dt.hour
    ratings_per_hour = hour_of_rating.value_counts().reindex(range(24), fill_value=0)

    # Three rows of two at the column width: each panel is half a column wide, and its text
    # is still body-sized on screen (six panels in one row would shrink it to a third).
    fig, axes = plt.subplots(3, 2, figsize=(COLUMN_WIDTH_INCHES, 10), layout="constrained")
    axes = axes.ravel()

    axes[0].bar(star_counts.index, star_counts.to_numpy(), color="tab:blue")
    axes[0].set(title="Ratings per star value", xlabel="stars", ylabel="number of ratings")

    user_bins = np.geomspace(ratings_per_user.min(), ratings_per_user.max() + 1, 30)
    axes[1].hist(ratings_per_user, bins=user_bins, color="tab:blue")
    axes[1].set(title="User activity", xlabel="ratings per user (log scale)", ylabel="number of users", xscale="log")
    activity_ticks = [tick for tick in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
                      if user_bins[0] <= tick <= user_bins[-1]]
    axes[1].set_xticks(activity_ticks, [str(tick) for tick in activity_ticks])
    axes[1].xaxis.set_minor_formatter(NullFormatter())  # no labels on the log axis' minor ticks

    rank = np.arange(1, n_items + 1)
    axes[2].plot(rank, ratings_per_item.to_numpy(), color="tab:blue")
    axes[2].axvspan(1, n_top_items, color="tab:orange", alpha=0.3,
                       label=f"top {top_item_share:.0%}: {top_items_share:.0%} of ratings")
    axes[2].set(title="Item popularity: long tail", xlabel="item rank", ylabel="ratings per item (log scale)",
                   yscale="log")
    axes[2].legend()

    sorted_lengths = np.sort(ratings_per_user.to_numpy())
    axes[3].plot(sorted_lengths, np.arange(1, len(sorted_lengths) + 1) / len(sorted_lengths), color="tab:blue")
    axes[3].axvline(max_seq_len, color="tab:red", linestyle="--", label=f"max_seq_len = {max_seq_len}")
    axes[3].set(title="Sequence length", xlabel="sequence length (ratings)",
                   ylabel="share of users (cumulative)")
    axes[3].legend()

    span_bins = np.geomspace(span_hours.min(), max(span_hours.max(), 2 * span_hours.min()), 30)
    axes[4].hist(span_hours, bins=span_bins, color="tab:blue")
    axes[4].axvline(24, color="tab:red", linestyle="--", label="one day")
    axes[4].set(title="First to last rating", xlabel="hours (log scale)", ylabel="number of users",
                   xscale="log")
    axes[4].legend()

    axes[5].bar(ratings_per_hour.index, ratings_per_hour.to_numpy(), color="tab:blue")
    axes[5].set(title="Hour of the rating", xlabel="hour of day (UTC)", ylabel="number of ratings")

    fig.suptitle(title)
    return fig


def plot_review_corpora(reviews):
    """Draw three panels that compare labelled review corpora, and return the figure.

    Panels:

    1. review length in characters, one step histogram per corpus (log-scaled x axis, each
       curve normalised to area 1 so corpora of different sizes compare);
    2. reviews per category, stacked by label (negative, positive); a category that already
       occurred in an earlier corpus of ``reviews`` gets its corpus name in brackets, so that
       the same category from two sources gives two bars;
    3. share of positive reviews per corpus, with a dashed line at one half.

    The titles are in Chinese and English: call :func:`use_chinese_font` first.

    Parameters
    ----------
    reviews:
        DataFrame with one row per review and the columns ``text`` (str), ``label`` (int,
        1 positive and 0 negative), ``category`` (str) and ``corpus`` (str), for example the
        corpora from :func:`tutorial_lib.data.datasets.load_reviews` put together with
        ``pandas.concat``.

    Returns
    -------
    matplotlib.figure.Figure
        Three axes, one above the other, in the order listed above (``fig.axes``).
    """
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    from tutorial_lib.validation import require_columns

    require_columns(reviews, "reviews", ["text", "label", "category", "corpus"], allow_empty=False)

    lengths = reviews["text"].str.len()  # characters, not words
    positive_share = reviews.groupby("corpus")["label"].mean()

    first_corpus_of_category = reviews.groupby("category", sort=False)["corpus"].first()
    is_repeated_category = reviews["corpus"] != reviews["category"].map(first_corpus_of_category)
    bar_name = reviews["category"].where(~is_repeated_category, reviews["category"] + " (" + reviews["corpus"] + ")")
    category_by_label = pd.crosstab(bar_name, reviews["label"]).reindex(columns=[0, 1], fill_value=0)
    category_by_label = category_by_label.rename(columns={0: "负面 negative", 1: "正面 positive"})
    category_by_label = category_by_label.loc[category_by_label.sum(axis=1).sort_values().index]

    # One panel per row: the category names need the whole column width.
    fig, axes = plt.subplots(3, 1, figsize=(COLUMN_WIDTH_INCHES, 12), layout="constrained",
                             height_ratios=(1, 1.6, 1))

    # Log-spaced bins rounded to whole characters, so that no bin is narrower than one character.
    length_bins = np.unique(np.round(np.geomspace(1, lengths.max() + 1, 40)))
    for corpus_name, corpus_lengths in lengths.groupby(reviews["corpus"]):
        axes[0].hist(corpus_lengths, bins=length_bins, histtype="step", density=True, linewidth=2, label=corpus_name)
    axes[0].set(title="评论长度 review length", xlabel="characters (log scale)", ylabel="density", xscale="log")
    axes[0].legend()

    category_by_label.plot.barh(stacked=True, ax=axes[1], color=["tab:red", "tab:green"])
    axes[1].set(title="类别与标签 category and label", xlabel="number of reviews", ylabel="")

    axes[2].bar(range(len(positive_share)), positive_share.to_numpy(), color="tab:green")
    axes[2].axhline(0.5, color="grey", linestyle="--")
    axes[2].set_xticks(range(len(positive_share)), positive_share.index, rotation=15)
    axes[2].set(title="正面比例 share of positive reviews", ylabel="share", ylim=(0, 1))

    return fig


# --------------------------------------------------------------------------------------
# Chapter 4: sampled against full-ranking metrics
# --------------------------------------------------------------------------------------
def plot_sampled_vs_full(ax, values, *, metric: str, within_noise=None):
    """The order of the models in each evaluation setting: one line per model, rank 1 on top.

    Parameters
    ----------
    ax:
        Matplotlib axes to draw on.
    values : pandas.DataFrame, shape (n_settings, n_models)
        Index: the settings in the order to draw them, as labels (e.g. ``"10"``, ``"100"``
        sampled negatives, then ``"full"``); columns: the models; values: the metric,
        higher is better.
    metric:
        The metric's name for the y axis, e.g. ``"HR@10"``.
    within_noise : dict, optional
        Setting label -> list of ``(model_a, model_b)`` pairs whose difference is within
        noise in that setting (e.g. a paired interval containing 0). Each pair is drawn as
        a grey band joining the two models' ranks at that setting, so that a crossing
        inside a band reads as a tie, not as a change of order.

    In each setting the models are ranked by ``metric`` (1 = best, ties share the best
    rank); a line that crosses another is a pair of models whose order changes with the
    setting. The legend sits below the axes, in the order of the last setting.
    The settings are equally spaced.
    """
    import numpy as np
    from matplotlib.patches import Patch

    if values.empty:
        raise ValueError("values is empty; pass a frame with settings as rows and models as columns.")
    numbers = values.to_numpy(dtype=float)
    if not np.all(np.isfinite(numbers)):
        raise ValueError("values must be finite numbers.")
    ranks = values.rank(axis=1, ascending=False, method="min")  # (n_settings, n_models)
    positions = np.arange(len(values.index))
    for model in ranks.iloc[-1].sort_values(kind="stable").index:
        ax.plot(positions, ranks[model].to_numpy(), marker="o", linewidth=2, label=model)
    handles, labels = ax.get_legend_handles_labels()
    if within_noise:
        band = {"color": "0.8", "alpha": 0.7, "zorder": 0, "linewidth": 0}
        for setting, pairs in within_noise.items():
            if setting not in values.index:
                raise ValueError(f"within_noise: setting {setting!r} is not a row of values.")
            x = positions[list(values.index).index(setting)]
            for pair in pairs:
                unknown = [model for model in pair if model not in values.columns]
                if unknown:
                    raise ValueError(f"within_noise: model {unknown[0]!r} is not a column of values.")
                low, high = sorted(ranks.loc[setting, list(pair)])
                ax.fill_between([x - 0.2, x + 0.2], low - 0.25, high + 0.25, **band)
        handles.append(Patch(facecolor=band["color"], alpha=band["alpha"]))
        labels.append("within noise (无显著差异)")
    ax.set_xticks(positions, [str(label) for label in values.index])
    ax.set_yticks(np.arange(1, values.shape[1] + 1))
    ax.set_ylim(values.shape[1] + 0.5, 0.5)  # rank 1 at the top
    ax.set_xlabel("sampled negatives per user (采样负例数)")
    ax.set_ylabel(f"rank by {metric} (1 = best)")
    # Below the axes, so that the axes (and the title) keep the figure's full width.
    ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=3, frameon=False)
    return ax

# Scaling benchmark (chapter 6): cost against data size
# --------------------------------------------------------------------------------------
# Exported from this block, so that chapters append their plots without editing the list above.
__all__ += ["plot_scaling"]


def plot_scaling(records):
    """Draw cost against data size on log–log axes, one line per model, and return the figure.

    Panels, in two rows of two: CPU time of fit, CPU time of recommending to every user,
    and peak memory of the process, each against the number of interactions; the fourth
    panel holds the legend. A run stopped while recommending still has its point in the
    fit panel. A peer library's model (``model_family == "peers"``) is drawn dashed. Sizes measured on a real log (MovieLens 100K) say "(real)" under
    their tick; the others are synthetic. A model that was not measured at a size (skipped,
    timed out, failed) has no point there, and its legend entry says so, e.g.
    ``User-KNN (10M: timed-out)``. On log–log axes a cost that grows as ``n ** p`` is a
    straight line of slope ``p``: in the two time panels a dotted grey line of slope 1 marks
    linear growth.

    Parameters
    ----------
    records:
        Scaling records, e.g. from
        :func:`tutorial_lib.evaluation.benchmarks.load_scaling_records`.

    Returns
    -------
    matplotlib.figure.Figure
        Four axes (``fig.axes``): fit, recommend, memory, legend.
    """
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.ticker import FuncFormatter, LogLocator

    from tutorial_lib.evaluation.benchmarks import scaling_table, size_label

    table = scaling_table(records)
    panels = [
        ("fit_cpu_s", "Fit", "CPU seconds (log scale)"),
        ("recommend_cpu_s", "Recommend to every user", "CPU seconds (log scale)"),
        ("peak_memory_mb", "Peak memory of the process", "MiB (log scale)"),
    ]
    sizes = np.sort(table["n_interactions"].unique())
    real_sizes = set(table.loc[~table["synthetic"], "n_interactions"])
    tick_labels, last_labelled = [], None
    for n in sizes:  # a label only where there is room: at least 0.6 decades from the last
        if last_labelled is not None and np.log10(n / last_labelled) < 0.6:
            tick_labels.append("")
            continue
        tick_labels.append(size_label(n) + ("\n(real)" if n in real_sizes else ""))
        last_labelled = n
    fig, axes = plt.subplots(2, 2, figsize=(COLUMN_WIDTH_INCHES, 6.5), layout="constrained")
    axes = axes.ravel()
    for model, rows in table.groupby("model", sort=True):
        missing = rows[rows["status"] != "ok"]
        label = model
        if len(missing):  # e.g. "BPR (1M, 10M: skipped)"
            notes = [", ".join(size_label(n) for n in group["n_interactions"]) + f": {status}"
                     for status, group in missing.groupby("status", sort=True)]
            label = f"{model} ({'; '.join(notes)})"
        # A library's model (family "peers") dashed, beside the book's own.
        linestyle = "--" if (rows["model_family"] == "peers").all() else "-"
        for ax, (column, _, _) in zip(axes, panels):
            measured = rows[rows[column].notna()]  # a run stopped in recommend has its fit time
            ax.plot(measured["n_interactions"], measured[column], marker="o", linestyle=linestyle, label=label)
    for index, (ax, (column, title, ylabel)) in enumerate(zip(axes, panels)):
        if column != "peak_memory_mb":  # memory starts at the interpreter's, so no guide there
            _draw_slope_one(ax, table, column, sizes, label="linear growth (slope 1)" if index == 0 else "_nolegend_")
        ax.set(title=title, xlabel="interactions (log scale)", ylabel=ylabel, xscale="log", yscale="log")
        ax.set_xticks(sizes, tick_labels)
        ax.minorticks_off()
        if column == "peak_memory_mb":  # often less than a decade: label 100, 200, 500, ...
            ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
            ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    handles, labels = axes[0].get_legend_handles_labels()
    axes[3].axis("off")
    axes[3].legend(handles, labels, loc="center", frameon=False)
    return fig


def _draw_slope_one(ax, table, column, sizes, label) -> None:
    """A dotted grey line of slope 1 (cost proportional to size) through the panel's lowest point."""
    values = table[column].dropna()
    values = values[values > 0]
    if values.empty or len(sizes) < 2:
        return
    start = table.loc[values.index, "n_interactions"].min()
    lowest = values[table.loc[values.index, "n_interactions"] == start].min()
    ax.plot(sizes, lowest * sizes / start, color="grey", linestyle=":", linewidth=1.5, label=label)


# --------------------------------------------------------------------------------------
# Chapter 10: attention heat maps and the attention benchmark
# --------------------------------------------------------------------------------------
__all__ += ["plot_attention_cost", "plot_attention_weights"]


def plot_attention_weights(weights, query_labels, key_labels, *, title="", ax=None, cmap="Blues"):
    """Heat map of one attention matrix: a row per query, a column per key, and return the axes.

    Parameters
    ----------
    weights : array_like, shape (n_queries, n_keys)
        Attention weights (each row sums to 1 over the keys it may see; masked keys are 0).
    query_labels, key_labels : sequence of str
        Tick labels of the rows and columns (item titles, tokens). Chinese labels need
        :func:`use_chinese_font` first.
    title : str
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new figure.
    cmap : str, default "Blues"
    """
    import matplotlib.pyplot as plt
    import numpy as np

    weights = np.asarray(weights, dtype=float)
    if weights.ndim != 2 or weights.shape != (len(query_labels), len(key_labels)):
        raise ValueError(
            f"weights must have shape (len(query_labels), len(key_labels)) = {(len(query_labels), len(key_labels))}, "
            f"got {weights.shape}."
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(COLUMN_WIDTH_INCHES, COLUMN_WIDTH_INCHES * 0.85), layout="constrained")
    image = ax.imshow(weights, cmap=cmap, vmin=0.0, vmax=max(float(weights.max()), 1e-12))
    ax.set_xticks(range(len(key_labels)), key_labels, rotation=90)
    ax.set_yticks(range(len(query_labels)), query_labels)
    ax.set(xlabel="key (attended to)", ylabel="query (attending)", title=title)
    ax.figure.colorbar(image, ax=ax, shrink=0.8, label="weight")
    return ax


def plot_attention_cost(record):
    """Time and peak memory of by-hand vs fused attention against sequence length; return the figure.

    Two panels on log–log axes, one line per method, from an attention benchmark record
    (``benchmarks/attention_speed.py``, read with ``json``). A grey dotted line of slope 2
    through the by-hand method's first point shows quadratic growth. Rows that were not
    measured (skipped, failed) have no point; memory values at or below 0 (under the
    measurement's resolution) are left out.
    """
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    rows = pd.DataFrame(record["rows"])
    measured = rows[rows["status"] == "ok"]
    fig, axes = plt.subplots(1, 2, figsize=(COLUMN_WIDTH_INCHES, 3.6), layout="constrained")
    panels = [("seconds", 1e3, "Time", "milliseconds"), ("peak_bytes", 2.0**-20, "Peak memory", "MiB")]
    for ax, (column, scale, title, unit) in zip(axes, panels):
        for method, group in measured.groupby("method", sort=False):
            group = group[group[column] > 0].sort_values("seq_len")
            ax.plot(group["seq_len"], group[column] * scale, marker="o", label=method)
        by_hand = measured[(measured["method"] == "by hand") & (measured[column] > 0)].sort_values("seq_len")
        if len(by_hand) >= 2:
            lengths = by_hand["seq_len"].to_numpy(dtype=float)
            first = by_hand[column].iloc[0] * scale
            ax.plot(lengths, first * (lengths / lengths[0]) ** 2, color="grey", linestyle=":", label="slope 2")
        ax.set(title=title, xlabel="sequence length (log)", ylabel=f"{unit} (log)", xscale="log", yscale="log")
        ax.set_xticks(np.sort(measured["seq_len"].unique())[::2])
        ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda value, _: f"{value:g}"))
        ax.minorticks_off()
    axes[0].legend(frameon=False)
    fig.suptitle(f"Attention, forward pass on {record['device'].upper()}")
    return fig
