import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from tutorial_lib.book import fonts, plotting  # noqa: E402


def _draw_chinese_title():
    fig, ax = plt.subplots()
    ax.set_title(fonts.SAMPLE_CHINESE)
    fig.canvas.draw()
    plt.close(fig)


def test_without_a_cjk_font_matplotlib_warns(monkeypatch):
    monkeypatch.setitem(matplotlib.rcParams, "font.family", ["DejaVu Sans"])
    with pytest.warns(UserWarning, match="missing from font"):
        _draw_chinese_title()


def test_use_chinese_font_removes_the_missing_glyph_warning(monkeypatch):
    monkeypatch.setitem(matplotlib.rcParams, "font.family", ["DejaVu Sans"])
    family = fonts.use_chinese_font(install=False)
    assert family in fonts.CJK_FONT_FAMILIES
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _draw_chinese_title()


def test_missing_font_gives_install_instructions(monkeypatch):
    monkeypatch.setattr(fonts, "find_chinese_font", lambda: None)
    with pytest.raises(RuntimeError, match="fonts-wqy-microhei"):
        fonts.use_chinese_font(install=False)


def test_font_path_must_exist(tmp_path):
    with pytest.raises(FileNotFoundError, match="font_path"):
        fonts.use_chinese_font(font_path=tmp_path / "none.ttf")


def test_chapters_import_the_font_set_up_from_plotting_too():
    assert plotting.use_chinese_font is fonts.use_chinese_font


def test_plotting_does_not_install_anything():
    # Installing a font is set-up (tutorial_lib.book.fonts), not plotting.
    source = plotting.__loader__.get_source(plotting.__name__)
    assert "subprocess" not in source and "apt-get" not in source


def test_book_figure_style_sets_sizes_and_svg_glyphs_as_paths(monkeypatch):
    monkeypatch.setattr(matplotlib, "rcParams", matplotlib.rcParams.copy())
    plotting.use_book_figure_style()
    assert matplotlib.rcParams["svg.fonttype"] == "path"
    assert tuple(matplotlib.rcParams["figure.figsize"])[0] == plotting.COLUMN_WIDTH_INCHES
    for key in ("font.size", "xtick.labelsize", "ytick.labelsize", "legend.fontsize", "axes.labelsize"):
        assert matplotlib.rcParams[key] >= plotting.MIN_FONT_SIZE_PT, key


def _text_sizes_and_figure_width(fig):
    fig.canvas.draw()
    sizes = {text.get_text(): text.get_fontsize() for text in fig.findobj(matplotlib.text.Text) if text.get_text()}
    return sizes, fig.get_size_inches()[0]


def _check_readable_at_column_width(fig):
    sizes, width = _text_sizes_and_figure_width(fig)
    assert width <= plotting.COLUMN_WIDTH_INCHES + 1e-9, f"figure is {width} in wide"
    too_small = {text: size for text, size in sizes.items() if size < plotting.MIN_FONT_SIZE_PT}
    assert not too_small, f"text smaller than {plotting.MIN_FONT_SIZE_PT} pt: {too_small}"
    plt.close(fig)


def test_interaction_matrix_checks_labels():
    with pytest.raises(ValueError, match="labels do not match"):
        plotting.plot_interaction_matrix(np.ones((2, 3)), ["a", "b"], ["x", "y"])
    ax = plotting.plot_interaction_matrix([[1, np.nan]], ["u"], ["x", "y"], title="t")
    assert [t.get_text() for t in ax.texts] == ["1", "·"]
    plt.close("all")


def test_plot_calibration_draws_one_curve_per_model_plus_diagonal():
    rng = np.random.default_rng(0)
    scores = rng.random(200)
    labels = (rng.random(200) < scores).astype(int)
    fig, ax = plt.subplots()
    plotting.plot_calibration(ax, labels, {"a": scores, "b": np.clip(scores * 0.5, 0, 1)})
    assert len(ax.lines) == 3  # two models + the diagonal
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b", "perfect calibration"]
    with pytest.raises(ValueError, match="scores_by_model is empty"):
        plotting.plot_calibration(ax, labels, {})
    plt.close(fig)


def _tiny_ratings():
    # 5 users, 10 rated items, 60 ratings spread over 30 days.
    rng = np.random.default_rng(0)
    n_ratings = 60
    return pd.DataFrame({
        "user_id": rng.integers(1, 6, n_ratings),
        "item_id": rng.integers(1, 11, n_ratings),
        "rating": rng.integers(1, 6, n_ratings),
        "timestamp": 880_000_000 + rng.integers(0, 30 * 24 * 3600, n_ratings),
    })


def test_plot_movielens_overview_draws_six_titled_panels():
    fig = plotting.plot_movielens_overview(_tiny_ratings(), max_seq_len=8, item_ids=range(1, 13))
    titles = [ax.get_title() for ax in fig.axes]
    assert len(fig.axes) == 6 and all(titles)
    assert titles[2] == "Item popularity: long tail"
    # item_ids adds the two unrated items 11 and 12: the long-tail curve has 12 points.
    assert len(fig.axes[2].lines[0].get_xdata()) == 12
    # The sequence-length panel marks max_seq_len with a vertical line.
    assert list(fig.axes[3].lines[1].get_xdata()) == [8, 8]
    assert fig.get_suptitle() == "MovieLens 100K"
    plt.close(fig)


def test_book_figures_are_column_wide_with_body_sized_text(monkeypatch):
    # Figures shown at column width keep every text at least MIN_FONT_SIZE_PT (12 pt at
    # 96 px per inch is the body's 16 px).
    monkeypatch.setattr(matplotlib, "rcParams", matplotlib.rcParams.copy())
    plotting.use_book_figure_style()
    plotting.use_chinese_font(install=False)
    _check_readable_at_column_width(plotting.plot_movielens_overview(_tiny_ratings(), max_seq_len=8))
    _check_readable_at_column_width(plotting.plot_review_corpora(_tiny_reviews()))
    fig, ax = plt.subplots()
    rng = np.random.default_rng(0)
    plotting.plot_calibration(ax, (rng.random(50) < 0.5).astype(int), {"a": rng.random(50)})
    _check_readable_at_column_width(fig)


def test_readability_check_catches_a_small_legend(monkeypatch):
    monkeypatch.setattr(matplotlib, "rcParams", matplotlib.rcParams.copy())
    plotting.use_book_figure_style()
    fig, ax = plt.subplots()
    ax.plot([0, 1], label="line")
    ax.legend(fontsize=8)
    with pytest.raises(AssertionError, match="smaller than"):
        _check_readable_at_column_width(fig)


def test_plot_movielens_overview_checks_its_arguments():
    with pytest.raises(ValueError, match="ratings is missing"):
        plotting.plot_movielens_overview(_tiny_ratings().drop(columns="timestamp"), max_seq_len=8)
    with pytest.raises(ValueError, match="max_seq_len"):
        plotting.plot_movielens_overview(_tiny_ratings(), max_seq_len=0)
    plt.close("all")


def _tiny_reviews():
    # Two corpora that share the category "hotel": the second one gets its own bar.
    return pd.DataFrame({
        "text": ["good", "bad room", "nice stay", "fast", "slow and cold", "ok"],
        "label": [1, 0, 1, 1, 0, 0],
        "category": ["hotel", "hotel", "hotel", "food", "food", "food"],
        "corpus": ["shop", "shop", "hotels", "shop", "shop", "shop"],
    })


def test_plot_review_corpora_draws_three_titled_panels():
    reviews = _tiny_reviews()
    fig = plotting.plot_review_corpora(reviews)
    assert len(fig.axes) == 3
    assert [ax.get_title() for ax in fig.axes] == [
        "评论长度 review length", "类别与标签 category and label", "正面比例 share of positive reviews",
    ]
    bar_names = [label.get_text() for label in fig.axes[1].get_yticklabels()]
    assert sorted(bar_names) == ["food", "hotel", "hotel (hotels)"]
    # Positive share per corpus, corpora in sorted order: hotels 1/1, shop 2/5.
    heights = [bar.get_height() for bar in fig.axes[2].patches]
    assert heights == pytest.approx([1.0, 0.4])
    plt.close(fig)
    with pytest.raises(ValueError, match="reviews is missing"):
        plotting.plot_review_corpora(reviews.drop(columns="corpus"))


def test_plot_sampled_vs_full_draws_each_models_rank_per_setting():
    values = pd.DataFrame(
        {"popularity": [0.6, 0.3, 0.05], "knn": [0.5, 0.35, 0.08]}, index=["10", "100", "full"]
    )
    fig, ax = plt.subplots()
    plotting.plot_sampled_vs_full(ax, values, metric="HR@10")
    lines = {line.get_label(): line.get_ydata() for line in ax.lines}
    assert list(lines["popularity"]) == [1, 2, 2] and list(lines["knn"]) == [2, 1, 1]
    # the legend follows the order of the last setting, best first
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["knn", "popularity"]
    assert [tick.get_text() for tick in ax.get_xticklabels()] == ["10", "100", "full"]
    assert ax.get_ylim()[0] > ax.get_ylim()[1]  # rank 1 on top
    plt.close(fig)
    # Pairs within noise are grey bands over their two ranks, with a legend entry.
    fig, ax = plt.subplots()
    plotting.plot_sampled_vs_full(ax, values, metric="HR@10", within_noise={"full": [("knn", "popularity")]})
    (band,) = ax.collections
    (x_low, y_low), (x_high, y_high) = band.get_paths()[0].get_extents().get_points()
    assert (x_low, x_high) == pytest.approx((1.8, 2.2)) and (y_low, y_high) == pytest.approx((0.75, 2.25))
    assert ax.get_legend().get_texts()[-1].get_text().startswith("within noise")
    with pytest.raises(ValueError, match="within_noise: setting"):
        plotting.plot_sampled_vs_full(ax, values, metric="HR@10", within_noise={"20": []})
    with pytest.raises(ValueError, match="within_noise: model 'als'"):
        plotting.plot_sampled_vs_full(ax, values, metric="HR@10", within_noise={"full": [("als", "knn")]})
    with pytest.raises(ValueError, match="values must be finite"):
        plotting.plot_sampled_vs_full(ax, values * np.nan, metric="HR@10")
    with pytest.raises(ValueError, match="values is empty"):
        plotting.plot_sampled_vs_full(ax, pd.DataFrame(), metric="HR@10")
    plt.close(fig)
