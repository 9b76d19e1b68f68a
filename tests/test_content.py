"""Content-based recommendation: tokens, TF-IDF profiles and cosine scores by hand."""

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from tutorial_lib.models.content import ContentRecommender, item_documents, item_tokens

ITEMS = pd.DataFrame({
    "item_id": [1, 2, 3],
    "title": ["Alpha (1995)", "Beta (1995)", "Alpha Beta (1996)"],
    "genres": ["Comedy", "Drama", "Comedy"],
})


def test_tokens_drop_the_year_and_prefix_genres():
    assert item_tokens("Star Wars (1977)", "Action|Sci-Fi") == ["genre=Action", "genre=Sci-Fi", "star", "wars"]


def test_profiles_and_scores_by_hand():
    # Terms (sorted): alpha, beta, genre=Comedy, genre=Drama. Document frequencies over the
    # three films: 2, 2, 2, 1, so idf = ln(4/3) + 1 for the first three and ln(4/2) + 1.
    frame = pd.DataFrame({"user_id": [7], "item_id": [1]})
    model = ContentRecommender(ITEMS).fit(frame, items=[1, 2, 3])
    common, rare = math.log(4 / 3) + 1, math.log(2) + 1
    film1 = np.array([common, 0, common, 0]) / (common * math.sqrt(2))
    film2 = np.array([0, common, 0, rare]) / math.hypot(common, rare)
    film3 = np.array([common, common, common, 0]) / (common * math.sqrt(3))
    np.testing.assert_allclose(model.item_profiles_.toarray(), [film1, film2, film3])
    # The user's profile is film 1's; scores are cosines with it.
    np.testing.assert_allclose(model.score([7], [1, 2, 3])[0], [1.0, 0.0, film1 @ film3])
    assert model.recommend(7, 2).tolist() == [3, 2]


def test_the_profiles_agree_with_scikit_learn():
    frame = pd.DataFrame({"user_id": [7], "item_id": [1]})
    model = ContentRecommender(ITEMS).fit(frame, items=[1, 2, 3])
    documents = item_documents(ITEMS, np.array([1, 2, 3]))
    library = TfidfVectorizer(analyzer=lambda tokens: tokens).fit_transform(documents)
    np.testing.assert_allclose(model.item_profiles_.toarray(), library.toarray(), atol=1e-12)


def test_weighted_mean_of_the_history():
    frame = pd.DataFrame({"user_id": [7, 7], "item_id": [1, 2], "rating": [3.0, 1.0]})
    model = ContentRecommender(ITEMS, weight_col="rating").fit(frame, items=[1, 2, 3])
    profiles = model.item_profiles_.toarray()
    mean = (3 * profiles[0] + 1 * profiles[1]) / 4
    np.testing.assert_allclose(model.user_profiles_[0], mean / np.linalg.norm(mean))


def test_an_item_without_content_scores_zero():
    frame = pd.DataFrame({"user_id": [7], "item_id": [1]})
    model = ContentRecommender(ITEMS).fit(frame, items=[1, 2, 3, 99])
    assert model.score([7], [99])[0, 0] == 0.0


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="genres"):
        ContentRecommender(ITEMS.drop(columns="genres"))
    frame = pd.DataFrame({"user_id": [7], "item_id": [1], "rating": [-1.0]})
    with pytest.raises(ValueError, match="rating"):
        ContentRecommender(ITEMS, weight_col="rating").fit(frame)
