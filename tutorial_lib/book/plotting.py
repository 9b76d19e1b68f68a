"""Plotting helpers shared by the chapters, starting with a font that can draw Chinese.

Matplotlib's default font, DejaVu Sans, has no Chinese characters: a title such as
"评分分布" comes out as empty boxes, and matplotlib writes a "Glyph ... missing from font"
warning. The book's build treats that warning as an error, so a figure with boxes cannot be
published. :func:`use_chinese_font` finds a font with Chinese glyphs (or installs one on
Colab and Debian-like machines) and puts it behind DejaVu Sans in matplotlib's fallback list:
Latin letters and digits keep DejaVu's look, Chinese characters come from the CJK font.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib
from matplotlib import font_manager

# Families known to cover simplified Chinese, best first. Linux packages, then macOS and
# Windows system fonts, so that a laptop usually works with no install.
CJK_FONT_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "PingFang SC",
    "Heiti SC",
    "Hiragino Sans GB",
    "Microsoft YaHei",
    "SimHei",
    "Arial Unicode MS",
)

# Debian/Ubuntu package installed when no font is found (Colab runs Ubuntu). It is small
# (about 5 MB) and covers GB2312 and most of GBK.
DEBIAN_FONT_PACKAGE = "fonts-wqy-microhei"
DEBIAN_FONT_GLOBS = ("/usr/share/fonts/truetype/wqy/*.tt[cf]", "/usr/share/fonts/opentype/noto/*CJK*.tt[cf]")

SAMPLE_CHINESE = "窗外桂花开了茶也凉了"

INSTALL_HELP = (
    "No font with Chinese characters was found for matplotlib. Install one, then restart the kernel:\n"
    "  - Debian/Ubuntu/Colab: sudo apt-get install fonts-wqy-microhei (or fonts-noto-cjk)\n"
    "  - Fedora: sudo dnf install google-noto-sans-cjk-fonts\n"
    "  - macOS and Windows ship one already (PingFang SC, Microsoft YaHei, SimHei); if matplotlib\n"
    "    still misses it, delete matplotlib's font cache folder (matplotlib.get_cachedir()).\n"
    "  - Or pass the path of any .ttf/.otf/.ttc font with Chinese glyphs: use_chinese_font(font_path=...)."
)


def _installed_family_names() -> set[str]:
    return {entry.name for entry in font_manager.fontManager.ttflist}


def _register_font_files(patterns: tuple[str, ...]) -> None:
    """Tell matplotlib about font files installed after its font cache was built."""
    for pattern in patterns:
        for path in sorted(glob.glob(pattern)):
            font_manager.fontManager.addfont(path)


def _can_install_debian_package() -> bool:
    return shutil.which("apt-get") is not None and hasattr(os, "geteuid") and os.geteuid() == 0


def _install_debian_font() -> None:
    print(f"Installing {DEBIAN_FONT_PACKAGE} with apt-get for Chinese text in figures ...")
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", DEBIAN_FONT_PACKAGE]):
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def find_chinese_font() -> str | None:
    """Return the first family of :data:`CJK_FONT_FAMILIES` matplotlib knows, else None."""
    _register_font_files(DEBIAN_FONT_GLOBS)
    installed = _installed_family_names()
    return next((family for family in CJK_FONT_FAMILIES if family in installed), None)


def use_chinese_font(font_path: str | Path | None = None, install: bool | None = None) -> str:
    """Make matplotlib draw Chinese characters, and return the font family used.

    Parameters
    ----------
    font_path:
        A font file to use instead of searching (``.ttf``, ``.otf`` or ``.ttc``).
    install:
        Whether to install :data:`DEBIAN_FONT_PACKAGE` with apt-get when no font is found.
        ``None`` (default) installs only where that is expected to work and to be wanted:
        on Colab, or when running as root on a machine with apt-get (CI containers).

    Raises
    ------
    FileNotFoundError
        If ``font_path`` does not exist.
    RuntimeError
        If no font can be found or installed; the message says how to install one.
    """
    if font_path is not None:
        font_path = Path(font_path)
        if not font_path.is_file():
            raise FileNotFoundError(f"font_path {str(font_path)!r} is not a file.")
        font_manager.fontManager.addfont(str(font_path))
        family = font_manager.FontProperties(fname=str(font_path)).get_name()
    else:
        family = find_chinese_font()
        if family is None:
            on_colab = "google.colab" in sys.modules
            if install is None:
                install = on_colab or _can_install_debian_package()
            if install:
                _install_debian_font()
                family = find_chinese_font()
        if family is None:
            raise RuntimeError(INSTALL_HELP)

    # DejaVu Sans first keeps Latin text and the minus sign unchanged; matplotlib falls back
    # to the CJK family glyph by glyph.
    matplotlib.rcParams["font.family"] = ["DejaVu Sans", family]
    return family


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
    ax.legend(fontsize=8)
    return ax


def plot_movielens_overview(ratings, *, max_seq_len, item_ids=None, top_item_share=0.10, title="MovieLens 100K"):
    """Draw six panels that describe a rating log, and return the figure.

    Panels, left to right and top to bottom:

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
        The longest behaviour sequence a model reads (``context.profile.max_seq_len``), a
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
        Six axes in two rows of three, in the order listed above (``fig.axes``).
    """
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd
    from matplotlib.ticker import NullFormatter

    from tutorial_lib.validation import require_columns

    require_columns(ratings, "ratings", ["user_id", "item_id", "rating", "timestamp"], allow_empty=False)
    if isinstance(max_seq_len, bool) or not isinstance(max_seq_len, (int, np.integer)) or max_seq_len < 1:
        raise ValueError(f"max_seq_len must be a positive int (context.profile.max_seq_len), got {max_seq_len!r}.")
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

    fig, axes = plt.subplots(2, 3, figsize=(15, 8), layout="constrained")

    axes[0, 0].bar(star_counts.index, star_counts.to_numpy(), color="tab:blue")
    axes[0, 0].set(title="Rating distribution", xlabel="stars", ylabel="number of ratings")

    user_bins = np.geomspace(ratings_per_user.min(), ratings_per_user.max() + 1, 30)
    axes[0, 1].hist(ratings_per_user, bins=user_bins, color="tab:blue")
    axes[0, 1].set(title="User activity", xlabel="ratings per user (log scale)", ylabel="number of users", xscale="log")
    activity_ticks = [tick for tick in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
                      if user_bins[0] <= tick <= user_bins[-1]]
    axes[0, 1].set_xticks(activity_ticks, [str(tick) for tick in activity_ticks])
    axes[0, 1].xaxis.set_minor_formatter(NullFormatter())  # no labels on the log axis' minor ticks

    rank = np.arange(1, n_items + 1)
    axes[0, 2].plot(rank, ratings_per_item.to_numpy(), color="tab:blue")
    axes[0, 2].axvspan(1, n_top_items, color="tab:orange", alpha=0.3,
                       label=f"top {top_item_share:.0%}: {top_items_share:.0%} of ratings")
    axes[0, 2].set(title="Long tail of item popularity", xlabel="item rank", ylabel="ratings per item (log scale)",
                   yscale="log")
    axes[0, 2].legend()

    sorted_lengths = np.sort(ratings_per_user.to_numpy())
    axes[1, 0].plot(sorted_lengths, np.arange(1, len(sorted_lengths) + 1) / len(sorted_lengths), color="tab:blue")
    axes[1, 0].axvline(max_seq_len, color="tab:red", linestyle="--", label=f"max_seq_len = {max_seq_len}")
    axes[1, 0].set(title="Behaviour sequence length", xlabel="ratings in the user's sequence",
                   ylabel="share of users (cumulative)")
    axes[1, 0].legend()

    span_bins = np.geomspace(span_hours.min(), max(span_hours.max(), 2 * span_hours.min()), 30)
    axes[1, 1].hist(span_hours, bins=span_bins, color="tab:blue")
    axes[1, 1].axvline(24, color="tab:red", linestyle="--", label="one day")
    axes[1, 1].set(title="Time from first to last rating", xlabel="hours (log scale)", ylabel="number of users",
                   xscale="log")
    axes[1, 1].legend()

    axes[1, 2].bar(ratings_per_hour.index, ratings_per_hour.to_numpy(), color="tab:blue")
    axes[1, 2].set(title="Context: hour of the rating", xlabel="hour of day (UTC)", ylabel="number of ratings")

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
        Three axes in one row, in the order listed above (``fig.axes``).
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

    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8), layout="constrained")

    # Log-spaced bins rounded to whole characters, so that no bin is narrower than one character.
    length_bins = np.unique(np.round(np.geomspace(1, lengths.max() + 1, 40)))
    for corpus_name, corpus_lengths in lengths.groupby(reviews["corpus"]):
        axes[0].hist(corpus_lengths, bins=length_bins, histtype="step", density=True, linewidth=2, label=corpus_name)
    axes[0].set(title="评论长度 review length", xlabel="characters (log scale)", ylabel="density", xscale="log")
    axes[0].legend(fontsize=8)

    category_by_label.plot.barh(stacked=True, ax=axes[1], color=["tab:red", "tab:green"])
    axes[1].set(title="类别与标签 category and label", xlabel="number of reviews", ylabel="")

    axes[2].bar(range(len(positive_share)), positive_share.to_numpy(), color="tab:green")
    axes[2].axhline(0.5, color="grey", linestyle="--")
    axes[2].set_xticks(range(len(positive_share)), positive_share.index, rotation=15, fontsize=8)
    axes[2].set(title="正面比例 share of positive reviews", ylabel="share", ylim=(0, 1))

    return fig
