"""The shared hand-worked example (tutorial_lib.data.examples)."""

import numpy as np

from tutorial_lib.data import examples


def test_toy_ratings_is_chapter_ones_matrix():
    ratings = examples.toy_ratings()
    assert ratings.shape == (5, 6)
    assert list(ratings.index) == list(examples.TOY_USERS)
    assert list(ratings.columns) == list(examples.TOY_ITEMS)
    assert int(ratings.isna().to_numpy().sum()) == 7
    assert ratings.loc["小王", "手机"] == 5 and np.isnan(ratings.loc["小王", "咖啡"])
    np.testing.assert_array_equal(ratings.loc["小李"], [3, 5, np.nan, 5, 5, 5])  # NaN == NaN here
    values = ratings.to_numpy()
    assert np.nanmin(values) == 1 and np.nanmax(values) == 5


def test_each_call_returns_a_new_frame():
    first = examples.toy_ratings()
    first.iloc[0, 0] = 0
    assert examples.toy_ratings().iloc[0, 0] == 5
