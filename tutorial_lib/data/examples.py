"""The book's small hand-worked examples, defined once.

Chapter 1 introduces a 5 × 6 rating matrix that later chapters (5: rating prediction) and
the tests work through by hand; it lives here so that every page shows the same numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["TOY_ITEMS", "TOY_USERS", "toy_ratings"]

TOY_USERS = ("小王", "小李", "小张", "小刘", "小陈")
TOY_ITEMS = ("手机", "耳机", "咖啡", "茶叶", "小说", "台灯")


def toy_ratings() -> pd.DataFrame:
    """Chapter 1's ratings: users as rows, items as columns, NaN where a user did not rate.

    Returns
    -------
    pandas.DataFrame of float64, shape (5, 6)
        Index :data:`TOY_USERS`, columns :data:`TOY_ITEMS`, ratings 1–5; 7 of the 30 cells
        are blank. A new frame on every call, so a notebook may change its copy.
    """
    nan = np.nan
    values = np.array([
        [5, 4, nan, 2, 1, nan],
        [3, 5, nan, 5, 5, 5],
        [3, 2, 4, 1, 1, 2],
        [nan, 2, 4, 5, 3, nan],
        [5, nan, nan, 1, 2, 4],
    ])
    return pd.DataFrame(values, index=list(TOY_USERS), columns=list(TOY_ITEMS))
