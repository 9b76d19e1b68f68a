"""The shared recommender interface (tutorial_lib.models.recommender), on hand-made cases."""

import numpy as np
import pandas as pd
import pytest

from tutorial_lib.models.recommender import Recommender


class FixedScores(Recommender):
    """Scores given by hand: item column j scores weights[j] for every user."""

    def __init__(self, weights):
        super().__init__()
        self.weights = np.asarray(weights, dtype=float)

    def _fit(self, matrix):
        self.fitted_matrix_ = matrix

    def _score(self, user_rows, item_columns):
        return np.tile(self.weights[item_columns], (len(user_rows), 1))


@pytest.fixture
def interactions():
    # user 1: items 10, 11 (11 twice); user 2: item 12.
    return pd.DataFrame({"user_id": [1, 1, 1, 2], "item_id": [10, 11, 11, 12]})


def test_fit_builds_the_binary_matrix_on_the_catalogue(interactions):
    model = FixedScores([0, 0, 0, 0]).fit(interactions, items=[13, 12, 11, 10])
    np.testing.assert_array_equal(model.user_ids_, [1, 2])
    np.testing.assert_array_equal(model.item_ids_, [10, 11, 12, 13])
    np.testing.assert_array_equal(model.fitted_matrix_.toarray(), [[1, 1, 0, 0], [0, 0, 1, 0]])


def test_recommend_orders_by_score_then_id_and_excludes_seen(interactions):
    # scores by item: 10 -> 3, 11 -> 5, 12 -> 3, 13 -> 1
    model = FixedScores([3, 5, 3, 1]).fit(interactions, items=[10, 11, 12, 13])
    np.testing.assert_array_equal(model.recommend(1, 4, exclude_seen=False), [11, 10, 12, 13])
    np.testing.assert_array_equal(model.recommend(1, 4), [12, 13])  # 10 and 11 are seen
    np.testing.assert_array_equal(model.recommend(2, 2), [11, 10])
    batch = model.recommend_batch([1, 2], 3)
    assert batch.tolist() == [[12, 13, None], [11, 10, 13]]
    np.testing.assert_array_equal(model.recommend(1, 100, exclude_seen=False), [11, 10, 12, 13])


def test_score_shape_and_order_follow_the_arguments(interactions):
    model = FixedScores([3, 5, 3, 1]).fit(interactions, items=[10, 11, 12, 13])
    np.testing.assert_array_equal(model.score([2, 1], [13, 10]), [[1, 3], [1, 3]])


def test_bad_input_names_the_argument(interactions):
    model = FixedScores([3, 5, 3])
    with pytest.raises(RuntimeError, match="not fitted"):
        model.score([1], [10])
    with pytest.raises(ValueError, match="interactions is missing required column"):
        model.fit(interactions.rename(columns={"item_id": "movie"}))
    with pytest.raises(ValueError, match="items \\(the catalogue\\) lacks 1 item"):
        model.fit(interactions, items=[10, 11])
    model.fit(interactions)
    with pytest.raises(ValueError, match="users holds 1 id\\(s\\) that fit never saw, e.g. \\[7\\]"):
        model.score([1, 7], [10])
    with pytest.raises(ValueError, match="items holds 1 id\\(s\\) outside the catalogue"):
        model.score([1], [99])
    with pytest.raises(ValueError, match="k must be"):
        model.recommend(1, 0)
    with pytest.raises(ValueError, match="users must be a 1-D array"):
        model.score([[1]], [10])
    with pytest.raises(ValueError, match="missing values"):
        model.fit(pd.DataFrame({"user_id": [1.0, np.nan], "item_id": [10, 11]}))
