"""Progress bars that a person at a keyboard sees and a built page never does.

``tqdm.auto`` draws a Jupyter widget in a notebook. In an executed notebook that becomes part
of the book (and of anything else executed without a person watching) the widget is frozen:
the page embeds its state and loads require.js and a widget script from CDNs. ``tqdm.notebook``
also passes ``disable=False`` explicitly, so it ignores the environment variable
``TQDM_DISABLE`` that switches off tqdm's text bars.

:func:`progress_bar` is the one place the package makes a bar. It shows nothing when

- the caller passes ``show=False``, or
- ``TQDM_DISABLE`` is set (to anything but ``0``, ``false``, ``no`` or ``off``). The book's
  build and test scripts set it, and so does the book's Sphinx extension
  (``book/_ext/local_assets.py``) for the kernels ``jupyter-book build`` starts.

Otherwise it is an ordinary ``tqdm.auto`` bar: a widget in Jupyter, text in a terminal.
"""

from __future__ import annotations

import os

from tqdm.auto import tqdm as auto_tqdm
from tqdm.std import tqdm as text_tqdm

DISABLE_ENV_VAR = "TQDM_DISABLE"
_FALSE_WORDS = frozenset({"", "0", "false", "no", "off"})

__all__ = ["DISABLE_ENV_VAR", "bars_disabled", "progress_bar"]


def bars_disabled() -> bool:
    """True when the environment variable ``TQDM_DISABLE`` asks for no progress bars."""
    return os.environ.get(DISABLE_ENV_VAR, "").strip().lower() not in _FALSE_WORDS


def progress_bar(iterable=None, *, description: str, show: bool = True, **tqdm_options):
    """A tqdm bar over ``iterable``, or a silent stand-in when bars are off.

    Parameters
    ----------
    iterable:
        What to iterate over (``None`` for a bar updated by hand with ``update``).
    description:
        The label in front of the bar.
    show:
        False gives no bar whatever the environment says.
    **tqdm_options:
        Passed to tqdm (``leave``, ``total``, ``unit``, ...).

    Returns
    -------
    tqdm.std.tqdm or tqdm.notebook.tqdm
        When bars are off, a disabled *text* bar: iterating it yields the items of
        ``iterable``, ``set_postfix`` and ``update`` do nothing, and it writes nothing (no
        widget is created).
    """
    if not isinstance(show, bool):
        raise TypeError(f"show must be True or False, got {show!r}.")
    if not show or bars_disabled():
        return text_tqdm(iterable, desc=description, disable=True, **tqdm_options)
    return auto_tqdm(iterable, desc=description, **tqdm_options)
