"""The first-order Markov chain on a hand-made log, and the users whose targets share a second."""

import numpy as np
import pandas as pd
import pytest

from tutorial_lib.data.sequences import tied_target_users
from tutorial_lib.evaluation import protocols
from tutorial_lib.models.markov import MarkovChainRecommender, transition_counts

# Items 10, 20, 30, 40 (codes 1..4). Sequences: u1 10 20 30; u2 10 20 40; u3 20 30; u4 40.
LOG = pd.DataFrame({
    "user_id": [1, 1, 1, 2, 2, 2, 3, 3, 4],
    "item_id": [10, 20, 30, 10, 20, 40, 20, 30, 40],
    "timestamp": [1, 2, 3, 1, 2, 3, 5, 6, 1],
})
ITEMS = np.array([10, 20, 30, 40])


def test_transition_counts_by_hand():
    counts = transition_counts([np.array([1, 2, 3]), np.array([1, 2, 4]), np.array([2, 3]), np.array([4])], 4)
    expected = np.zeros((5, 5))
    expected[1, 2] = 2  # 10 -> 20 twice
    expected[2, 3] = 2  # 20 -> 30 twice
    expected[2, 4] = 1  # 20 -> 40 once
    np.testing.assert_array_equal(counts, expected)
    with pytest.raises(ValueError, match="sequences"):
        transition_counts([np.array([0, 2])], 4)


def test_scores_are_counts_from_the_last_item_plus_the_popularity_prior():
    model = MarkovChainRecommender(smoothing=0.5).fit(LOG, items=ITEMS)
    # Interactions: 10 x2, 20 x3, 30 x2, 40 x2 of 9.
    popularity = np.array([2, 3, 2, 2]) / 9
    scores = model.score([1, 2, 3, 4], ITEMS)
    after_30 = 0.5 * popularity                               # u1 and u3 end on 30: no transitions from it
    after_40 = 0.5 * popularity                               # u2 and u4 end on 40
    np.testing.assert_allclose(scores, np.vstack([after_30, after_40, after_30, after_40]), rtol=1e-6)
    # Reading one more item: a user whose last item is 20 gets the counts of 20's row.
    longer = model.with_history(pd.concat([LOG, pd.DataFrame({"user_id": [4], "item_id": [10],
                                                              "timestamp": [2]})]))
    assert longer.network_ is model.network_
    after_10 = np.array([0, 2, 0, 0]) + 0.5 * popularity
    np.testing.assert_allclose(longer.score([4], ITEMS)[0], after_10, rtol=1e-6)
    assert longer.recommend_batch([4], k=1)[0, 0] == 20


def test_smoothing_breaks_the_ties_by_popularity_and_zero_keeps_the_counts():
    extra = pd.DataFrame({"user_id": [5, 5], "item_id": [10, 20], "timestamp": [1, 2]})
    log = pd.concat([LOG, extra])
    raw = MarkovChainRecommender(smoothing=0.0).fit(log, items=ITEMS)
    np.testing.assert_array_equal(raw.score([5], ITEMS)[0], [0, 0, 2, 1])  # after 20: 30 twice, 40 once
    shared = raw.with_smoothing(1000.0)
    assert shared.network_.counts is raw.network_.counts
    # A huge prior turns the model into popularity: 20 (4 interactions) first.
    assert shared.recommend_batch([5], k=1, exclude_seen=False)[0, 0] == 20
    assert raw.smoothing == 0.0


def test_bad_smoothing_names_itself():
    with pytest.raises(ValueError, match="smoothing"):
        MarkovChainRecommender(smoothing=-1.0)
    model = MarkovChainRecommender().fit(LOG, items=ITEMS)
    with pytest.raises(ValueError, match="smoothing"):
        model.with_smoothing(-0.1)


def test_tied_target_users():
    log = pd.DataFrame({
        "user_id": [1, 1, 1, 2, 2, 2, 3, 3],
        "item_id": [10, 20, 30, 10, 20, 30, 10, 20],
        "timestamp": [1, 2, 3, 1, 5, 5, 1, 2],
    })
    split = protocols.leave_last_out_split(log)
    assert tied_target_users(split).tolist() == [2]  # user 3 has no targets, user 1 distinct times
    with pytest.raises(ValueError, match="time_col"):
        tied_target_users(split, time_col="when")
    with pytest.raises(TypeError, match="split"):
        tied_target_users(log)
