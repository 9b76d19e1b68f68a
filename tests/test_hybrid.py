"""Hybrids over hand-made scorers: normalisation, weighted fusion, switching and stacking."""

import numpy as np
import pandas as pd
import pytest

from tutorial_lib.evaluation.protocols import leave_last_out_split
from tutorial_lib.models import hybrid
from tutorial_lib.models.hybrid import StackingHybrid, SwitchingHybrid, WeightedHybrid
from tutorial_lib.models.popularity import PopularityRecommender
from tutorial_lib.models.recommender import Recommender


class FixedScores(Recommender):
    """Scores from a table given in advance: rows = sorted users, columns = sorted items."""

    def __init__(self, table):
        super().__init__()
        self.table = np.asarray(table, dtype=float)

    def _fit(self, matrix):
        assert self.table.shape == matrix.shape

    def _score(self, user_rows, item_columns):
        return self.table[np.ix_(user_rows, item_columns)]


# Users 1 and 2, items 10, 20, 30, 40.
INTERACTIONS = pd.DataFrame({"user_id": [1, 2, 2, 2, 2, 2], "item_id": [10, 20, 30, 20, 30, 20]})
A = [[1.0, 2.0, 3.0, 6.0], [4.0, 4.0, 4.0, 4.0]]
B = [[10.0, 0.0, 0.0, 10.0], [0.0, 1.0, 2.0, 3.0]]


def test_normalise_per_user_by_hand():
    z = hybrid.normalise_per_user([[1.0, 2.0, 3.0, 6.0]])
    mean, std = 3.0, np.sqrt((4 + 1 + 0 + 9) / 4)
    np.testing.assert_allclose(z, [[(1 - mean) / std, (2 - mean) / std, 0.0, (6 - mean) / std]])
    np.testing.assert_allclose(hybrid.normalise_per_user([[1.0, 2.0, 3.0, 6.0]], "minmax"), [[0, 0.2, 0.4, 1]])
    np.testing.assert_array_equal(hybrid.normalise_per_user([[4.0, 4.0]]), [[0.0, 0.0]])  # constant row


def test_weighted_hybrid_is_the_weighted_sum_of_normalised_scores():
    model = WeightedHybrid([FixedScores(A), FixedScores(B)], [0.25, 0.75]).fit(INTERACTIONS, items=[10, 20, 30, 40])
    expected = 0.25 * hybrid.normalise_per_user(A) + 0.75 * hybrid.normalise_per_user(B)
    np.testing.assert_allclose(model.score([1, 2], [10, 20, 30, 40]), expected)
    # user 1: A z = [-1.07, -0.53, 0, 1.60], B z = [1, -1, -1, 1]; fused best is item 40, then 10
    assert model.recommend(1, 2, exclude_seen=False).tolist() == [40, 10]


def test_fusion_weight_grid():
    np.testing.assert_allclose(hybrid.fusion_weight_grid(2, 0.5), [[0, 1], [0.5, 0.5], [1, 0]])
    assert hybrid.fusion_weight_grid(3, 0.25).shape == (15, 3)  # C(4 + 2, 2)
    assert np.allclose(hybrid.fusion_weight_grid(3, 0.1).sum(axis=1), 1)
    with pytest.raises(ValueError, match="step"):
        hybrid.fusion_weight_grid(2, 0.3)


def _split():
    # Three users, items 1..5; each user's last item is the test target, the one before it valid.
    rows = [(1, 1, 1), (1, 2, 2), (1, 3, 3), (1, 4, 4),
            (2, 1, 1), (2, 2, 2), (2, 5, 3), (2, 3, 4),
            (3, 4, 1), (3, 5, 2), (3, 1, 3), (3, 2, 4)]
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"])
    return leave_last_out_split(frame)


def test_choose_fusion_weights_picks_the_model_that_ranks_the_validation_items():
    split = _split()
    valid = split.valid.set_index("user_id")["item_id"]
    good = np.zeros((3, 5))
    bad = np.zeros((3, 5))
    for row, user in enumerate(split.user_ids):
        good[row, valid[user] - 1] = 1.0       # puts each validation item first
        bad[row, (valid[user] % 5)] = 1.0      # puts another item first
    models = [FixedScores(bad).fit(split.train, items=split.item_ids),
              FixedScores(good).fit(split.train, items=split.item_ids)]
    weights, table = hybrid.choose_fusion_weights(models, split, grid=hybrid.fusion_weight_grid(2, 0.5),
                                                  metric="hr@1")
    np.testing.assert_allclose(weights, [0.0, 1.0])
    assert table["hr@1"].iloc[0] == 1.0 and table["hr@1"].iloc[-1] == 0.0  # rows: [0, 1], [.5, .5], [1, 0]


def test_switching_hybrid_uses_the_fallback_for_cold_users_and_items():
    primary, fallback = FixedScores(A), FixedScores(B)
    # user 1 has 1 training item (cold at min 2); item 40 has none (cold at min 1)
    model = SwitchingHybrid(primary, fallback, min_user_interactions=2).fit(INTERACTIONS, items=[10, 20, 30, 40])
    scores = model.score([1, 2], [10, 20, 30, 40])
    zb, za = hybrid.normalise_per_user(B), hybrid.normalise_per_user(A)
    np.testing.assert_allclose(scores[0], zb[0])               # cold user: all fallback
    np.testing.assert_allclose(scores[1, :3], za[1, :3])       # warm user, known items: primary
    assert scores[1, 3] == pytest.approx(zb[1, 3])             # warm user, cold item: fallback
    assert model.cold_users([1, 2]).tolist() == [True, False]


def test_switching_hybrid_with_popularity_fallback_fits_both():
    split = _split()
    model = SwitchingHybrid(FixedScores(np.arange(15.0).reshape(3, 5)), PopularityRecommender(),
                            min_user_interactions=3).fit(split.train, items=split.item_ids)
    assert hasattr(model.fallback, "item_counts_")
    assert model.cold_users(split.user_ids).tolist() == [True, True, True]  # each has 2 training items


def test_stacking_learns_a_positive_weight_for_the_informative_model():
    split = _split()
    valid = split.valid.set_index("user_id")["item_id"]
    rng = np.random.default_rng(0)
    informative = rng.normal(size=(3, 5))
    for row, user in enumerate(split.user_ids):
        informative[row, valid[user] - 1] = 5.0
    noise = rng.normal(size=(3, 5))
    model = StackingHybrid([FixedScores(informative), FixedScores(noise)], n_negatives=2, C=10.0)
    model.fit(split.train, items=split.item_ids, targets=split.valid)
    assert model.coef_[0] > 0 and model.coef_[0] > abs(model.coef_[1])
    expected = model.stacker_.intercept_[0] + model.coef_[0] * hybrid.normalise_per_user(informative) \
        + model.coef_[1] * hybrid.normalise_per_user(noise)
    np.testing.assert_allclose(model.score(split.user_ids, split.item_ids), expected)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="weights"):
        WeightedHybrid([FixedScores(A), FixedScores(B)], [1.0])
    with pytest.raises(ValueError, match="at least 2"):
        WeightedHybrid([FixedScores(A)], [1.0])
    with pytest.raises(TypeError, match="models"):
        WeightedHybrid(FixedScores(A), [1.0])
    with pytest.raises(ValueError, match="targets"):
        StackingHybrid([FixedScores(A)]).fit(INTERACTIONS)
    unfitted = WeightedHybrid([FixedScores(A), FixedScores(B)], [1, 1], fit_models=False)
    with pytest.raises(ValueError, match="not fitted"):
        unfitted.fit(INTERACTIONS)
