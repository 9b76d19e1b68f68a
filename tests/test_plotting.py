import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from tutorial_lib import plotting  # noqa: E402


def _draw_chinese_title():
    fig, ax = plt.subplots()
    ax.set_title("评分分布")
    fig.canvas.draw()
    plt.close(fig)


def test_without_a_cjk_font_matplotlib_warns(monkeypatch):
    monkeypatch.setitem(matplotlib.rcParams, "font.family", ["DejaVu Sans"])
    with pytest.warns(UserWarning, match="missing from font"):
        _draw_chinese_title()


def test_use_chinese_font_removes_the_missing_glyph_warning(monkeypatch):
    monkeypatch.setitem(matplotlib.rcParams, "font.family", ["DejaVu Sans"])
    family = plotting.use_chinese_font(install=False)
    assert family in plotting.CJK_FONT_FAMILIES
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _draw_chinese_title()


def test_missing_font_gives_install_instructions(monkeypatch):
    monkeypatch.setattr(plotting, "find_chinese_font", lambda: None)
    with pytest.raises(RuntimeError, match="fonts-wqy-microhei"):
        plotting.use_chinese_font(install=False)


def test_font_path_must_exist(tmp_path):
    with pytest.raises(FileNotFoundError, match="font_path"):
        plotting.use_chinese_font(font_path=tmp_path / "none.ttf")


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
