"""Progress bars: a person at a keyboard sees them, an executed (built) page never does."""

import os
import subprocess
import sys

import pytest
import tqdm.notebook

from tutorial_lib.book import progress


@pytest.fixture
def widget_count(monkeypatch):
    """Make tqdm.auto the Jupyter flavour, as in a kernel, and count the widgets it builds."""
    created = []
    real_status_printer = tqdm.notebook.tqdm.status_printer

    def counting_status_printer(*args, **kwargs):
        created.append(args)
        return real_status_printer(*args, **kwargs)

    monkeypatch.setattr(tqdm.notebook.tqdm, "status_printer", staticmethod(counting_status_printer))
    monkeypatch.setattr(progress, "auto_tqdm", tqdm.notebook.tqdm)
    return created


def test_tqdm_notebook_itself_ignores_tqdm_disable():
    # Why the package needs its own check: tqdm.notebook passes disable=False explicitly.
    # If tqdm ever fixes this, this test fails and the helper's check can be simplified.
    script = "from tqdm.notebook import tqdm; print(tqdm(range(2)).disable)"
    environment = dict(os.environ, TQDM_DISABLE="1")
    result = subprocess.run([sys.executable, "-c", script], env=environment, capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_no_widget_when_tqdm_disable_is_set(monkeypatch, widget_count):
    monkeypatch.setenv("TQDM_DISABLE", "1")
    bar = progress.progress_bar(range(3), description="epochs")
    assert list(bar) == [0, 1, 2]
    bar.set_postfix({"loss": "0.1"})  # a no-op on the silent bar, as train_model calls it
    assert bar.disable is True
    assert not isinstance(bar, tqdm.notebook.tqdm)
    assert widget_count == []


def test_a_widget_when_bars_are_on(monkeypatch, widget_count):
    # The counterpart of the test above: the widget counter does see a widget.
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    bar = progress.progress_bar(range(3), description="epochs", leave=False)
    assert list(bar) == [0, 1, 2]
    assert isinstance(bar, tqdm.notebook.tqdm) and len(widget_count) == 1


@pytest.mark.parametrize("value, disabled", [("1", True), ("True", True), ("0", False), ("false", False), ("", False)])
def test_tqdm_disable_values(monkeypatch, value, disabled):
    monkeypatch.setenv("TQDM_DISABLE", value)
    assert progress.bars_disabled() is disabled


def test_show_false_gives_no_widget_and_show_must_be_a_bool(monkeypatch, widget_count):
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    assert progress.progress_bar(range(2), description="e", show=False).disable is True
    assert widget_count == []
    with pytest.raises(TypeError, match="show must be True or False"):
        progress.progress_bar(range(2), description="e", show="yes")


def test_train_model_makes_no_widget_under_tqdm_disable(monkeypatch, widget_count):
    torch = pytest.importorskip("torch")
    import numpy as np

    from tutorial_lib.training import make_loader, train_model

    monkeypatch.setenv("TQDM_DISABLE", "1")
    rng = np.random.default_rng(0)
    features = rng.normal(size=(32, 3)).astype(np.float32)
    labels = (features[:, 0] > 0).astype(np.float32)
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0))
    train_model(model, make_loader(features, labels, batch_size=8, seed=0), epochs=2, progress=True)
    assert widget_count == []
