"""Tests for tutorial_lib.data.features: ID indexing, user/item/text features, fused features."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from tutorial_lib.data.features import (
    DEFAULT_AGE_EDGES,
    ZIP_REGIONS,
    BehaviourFeatures,
    IdIndexer,
    KeywordTfidf,
    age_bucket,
    genre_multi_hot,
    item_popularity,
    join_interactions,
    one_hot_ids,
    text_keyword_features,
    zip_region,
)
from tutorial_lib.data.text import tokenize_for_model

# --- small hand-built tables with the loaders' dtypes ---------------------------------------


def make_users() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": np.array([1, 2, 3, 4], dtype=np.int32),
            "age": np.array([17, 24, 35, 60], dtype=np.int16),
            "gender": pd.Categorical(["M", "F", "M", "F"]),
            "occupation": pd.Categorical(["student", "artist", "engineer", "retired"]),
            "zip_code": pd.Series(["02139", "T8H1N", "94110", "55414"], dtype="string"),
        }
    )


def make_items() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "item_id": np.array([10, 11, 12, 13], dtype=np.int32),
            "title": pd.Series(["Toy Story (1995)", "Heat (1995)", "Unknown", "Alien (1979)"], dtype="string"),
            "release_date": pd.to_datetime(["1995-01-01", "1995-01-01", None, "1979-01-01"]),
            "year": pd.Series([1995, 1995, pd.NA, 1979], dtype="Int16"),
            "genres": pd.Series(
                ["Animation|Children's|Comedy", "Action|Crime|Thriller", "", "Horror|Sci-Fi"], dtype="string"
            ),
        }
    )


def make_ratings() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": np.array([1, 1, 2, 3, 3, 4, 2], dtype=np.int32),
            "item_id": np.array([10, 11, 10, 12, 13, 10, 13], dtype=np.int32),
            "rating": np.array([5, 3, 4, 2, 5, 1, 4], dtype=np.int8),
            "timestamp": np.arange(7, dtype=np.int64) + 881_250_949,
        }
    )


@pytest.fixture
def train_frame() -> pd.DataFrame:
    return join_interactions(make_ratings(), make_users(), make_items())


# --- join_interactions -------------------------------------------------------------------------


def test_join_interactions_keeps_rating_order_and_adds_label(train_frame):
    ratings = make_ratings()
    assert len(train_frame) == len(ratings)
    np.testing.assert_array_equal(train_frame["item_id"], ratings["item_id"])
    np.testing.assert_array_equal(train_frame["like"], (ratings["rating"] >= 4).astype(int))
    assert train_frame["like"].dtype == np.int8
    assert {"age", "gender", "occupation", "zip_code", "year", "genres", "title"} <= set(train_frame.columns)
    # The user's columns landed on the right rows.
    assert train_frame.loc[train_frame["user_id"] == 4, "age"].tolist() == [60]

    strict = join_interactions(make_ratings(), make_users(), make_items(), like_threshold=5)
    np.testing.assert_array_equal(strict["like"], (ratings["rating"] == 5).astype(int))


def test_join_interactions_validation_names_the_problem():
    with pytest.raises(ValueError, match="users.*gender"):
        join_interactions(make_ratings(), make_users().drop(columns="gender"), make_items())
    with pytest.raises(ValueError, match="ratings.*rating"):
        join_interactions(make_ratings().drop(columns="rating"), make_users(), make_items())
    orphan = pd.concat([make_ratings(), make_ratings().iloc[[0]].assign(user_id=np.int32(99))])
    with pytest.raises(ValueError, match="user_id.*99"):
        join_interactions(orphan, make_users(), make_items())
    with pytest.raises(ValueError, match="items must have one row per item_id"):
        join_interactions(make_ratings(), make_users(), pd.concat([make_items(), make_items().iloc[[0]]]))
    with pytest.raises(TypeError, match="ratings"):
        join_interactions(make_ratings().to_numpy(), make_users(), make_items())


# --- IDs -----------------------------------------------------------------------------------------


def test_id_indexer_maps_known_ids_and_sends_unseen_ids_to_zero():
    indexer = IdIndexer().fit([30, 10, 20, 10])
    assert indexer.n_indices == 4  # three known IDs plus the unknown index 0
    # Sorted IDs 10, 20, 30 get 1, 2, 3; 99 was never seen in training.
    np.testing.assert_array_equal(indexer.transform([10, 20, 30, 99]), [1, 2, 3, 0])
    assert indexer.transform(np.array([20], dtype=np.int32)).dtype == np.int64


def test_id_indexer_is_fitted_on_training_ids_only():
    train_ids = pd.Series([5, 7, 5], dtype=np.int32)
    test_ids = pd.Series([7, 8, 9], dtype=np.int32)
    indexer = IdIndexer().fit(train_ids)
    np.testing.assert_array_equal(indexer.transform(test_ids), [2, 0, 0])
    assert indexer.n_indices == 3  # transform did not add 8 or 9
    # Row order of the training IDs does not matter.
    np.testing.assert_array_equal(IdIndexer().fit([7, 5]).transform(test_ids), indexer.transform(test_ids))
    np.testing.assert_array_equal(IdIndexer().fit_transform([7, 5, 7]), [2, 1, 2])


def test_id_indexer_errors():
    with pytest.raises(RuntimeError, match="fit"):
        IdIndexer().transform([1])
    with pytest.raises(ValueError, match="ids"):
        IdIndexer().fit(pd.Series([1.0, np.nan]))


def test_one_hot_ids_is_sparse_identity_rows():
    indexer = IdIndexer().fit([101, 102, 103, 104])
    indices = indexer.transform([103, 999, 101])
    one_hot = one_hot_ids(indices, indexer.n_indices)
    assert sp.issparse(one_hot) and one_hot.format == "csr"
    assert one_hot.shape == (3, 5)
    assert one_hot.nnz == 3  # one stored number per row, however many users there are
    np.testing.assert_array_equal(one_hot.toarray(), np.eye(5)[indices])
    with pytest.raises(ValueError, match="indices"):
        one_hot_ids([0, 5], 5)
    with pytest.raises(ValueError, match="n"):
        one_hot_ids([0], 0)


# --- user features -------------------------------------------------------------------------------


def test_age_bucket_at_the_edges():
    ages = [17, 18, 24, 25, 34, 35, 44, 45, 49, 50, 55, 56, 57]
    expected = [
        "<18", "18-24", "18-24", "25-34", "25-34", "35-44", "35-44",
        "45-49", "45-49", "50-55", "50-55", "56+", "56+",
    ]  # fmt: skip
    buckets = age_bucket(ages)
    assert buckets.tolist() == expected
    assert list(buckets.cat.categories) == ["<18", "18-24", "25-34", "35-44", "45-49", "50-55", "56+"]
    assert buckets.cat.ordered
    assert DEFAULT_AGE_EDGES == (18, 25, 35, 45, 50, 56)


def test_age_bucket_keeps_index_and_missing_values():
    ages = pd.Series([30, pd.NA], dtype="Int16", index=[7, 9])
    buckets = age_bucket(ages, edges=(20, 40))
    assert buckets.index.tolist() == [7, 9]
    assert buckets.iloc[0] == "20-39"
    assert pd.isna(buckets.iloc[1])


def test_age_bucket_validates_edges():
    with pytest.raises(ValueError, match="edges"):
        age_bucket([20], edges=(18, 18, 25))
    with pytest.raises(ValueError, match="edges"):
        age_bucket([20], edges=(25, 18))
    with pytest.raises(TypeError, match="edges"):
        age_bucket([20], edges=(17.5, 25))
    with pytest.raises(ValueError, match="edges"):
        age_bucket([20], edges=())
    with pytest.raises(ValueError, match="ages"):
        age_bucket([-1])


def test_zip_region():
    codes = pd.Series(["02139", "T8H1N", "9", "98101-1234", None, " 55414 ", "9410"], dtype="string")
    regions = zip_region(codes)
    assert regions.tolist() == ["0", "other", "other", "9", "other", "5", "other"]
    assert list(regions.cat.categories) == list(ZIP_REGIONS)


# --- item features -------------------------------------------------------------------------------


def test_genre_multi_hot():
    genres = pd.Series(["Animation|Children's|Comedy", "Comedy", "", None], dtype="string", index=[4, 5, 6, 7])
    table = genre_multi_hot(genres)
    assert list(table.columns) == ["genre_Animation", "genre_Children's", "genre_Comedy"]
    assert (table.dtypes == np.int8).all()
    assert table.index.tolist() == [4, 5, 6, 7]
    np.testing.assert_array_equal(table.to_numpy(), [[1, 1, 1], [0, 0, 1], [0, 0, 0], [0, 0, 0]])


def test_genre_multi_hot_with_training_genres_ignores_new_ones():
    table = genre_multi_hot(["Comedy|Western", "Drama"], genre_names=["Drama", "Comedy"])
    assert list(table.columns) == ["genre_Drama", "genre_Comedy"]
    np.testing.assert_array_equal(table.to_numpy(), [[0, 1], [1, 0]])
    with pytest.raises(TypeError, match="genre_names"):
        genre_multi_hot(["Drama"], genre_names="Drama")


def test_item_popularity_counts_training_ratings_only():
    train = make_ratings()  # item 10: 3 ratings, 11: 1, 12: 1, 13: 2
    popularity = item_popularity(train)
    assert popularity.name == "popularity" and popularity.index.name == "item_id"
    assert popularity.to_dict() == {10: 3, 11: 1, 12: 1, 13: 2}
    # Item 77 appears only in the test period: its training popularity is 0.
    test_items = [13, 77, 10]
    looked_up = item_popularity(train, item_ids=test_items)
    assert looked_up.index.tolist() == test_items
    assert looked_up.tolist() == [2, 0, 3]
    assert looked_up.dtype == np.int64


# --- BehaviourFeatures -----------------------------------------------------------------------------


def _column(matrix: sp.csr_matrix, names: np.ndarray, name: str) -> np.ndarray:
    return matrix[:, list(names).index(name)].toarray().ravel()


def test_behaviour_features_output_shape_type_and_names(train_frame):
    features = BehaviourFeatures()
    matrix = features.fit_transform(train_frame)
    names = features.get_feature_names_out()
    assert sp.issparse(matrix) and matrix.format == "csr" and matrix.dtype == np.float64
    assert matrix.shape == (len(train_frame), len(names))
    assert len(set(names)) == len(names)
    assert names[:2].tolist() == ["gender_F", "gender_M"]
    assert [name for name in names if name.startswith("age_bucket_")] == [
        "age_bucket_<18",
        "age_bucket_18-24",
        "age_bucket_35-44",
        "age_bucket_56+",
    ]
    assert {"year", "year_missing", "log_popularity", "zip_region_other", "genre_Sci-Fi"} <= set(names)
    # Every one-hot block has exactly one 1 per row.
    dense = matrix.toarray()
    for block in ("gender", "occupation", "age_bucket", "zip_region"):
        np.testing.assert_array_equal(dense[:, features.feature_slices_[block]].sum(axis=1), 1)
    # The slices tile the columns in order.
    slices = list(features.feature_slices_.values())
    assert slices[0].start == 0 and slices[-1].stop == matrix.shape[1]
    assert all(left.stop == right.start for left, right in zip(slices[:-1], slices[1:]))


def test_behaviour_features_genre_block_matches_genre_multi_hot(train_frame):
    features = BehaviourFeatures().fit(train_frame)
    matrix = features.transform(train_frame)
    expected = genre_multi_hot(train_frame["genres"])
    np.testing.assert_array_equal(matrix[:, features.feature_slices_["genre"]].toarray(), expected.to_numpy())
    assert features.get_feature_names_out()[features.feature_slices_["genre"]].tolist() == list(expected.columns)


def test_year_is_imputed_and_scaled_with_training_statistics(train_frame):
    features = BehaviourFeatures().fit(train_frame)
    train_year = train_frame["year"].astype("float64").to_numpy()
    median = np.nanmedian(train_year)
    imputed = np.where(np.isnan(train_year), median, train_year)
    assert features.year_imputer_.statistics_[0] == median
    np.testing.assert_allclose(features.year_scaler_.mean_, [imputed.mean()])
    np.testing.assert_allclose(features.year_scaler_.scale_, [imputed.std()])  # population std, ddof=0

    matrix = features.transform(train_frame)
    names = features.get_feature_names_out()
    year_column = _column(matrix, names, "year")
    np.testing.assert_allclose(year_column, (imputed - imputed.mean()) / imputed.std())
    np.testing.assert_allclose([year_column.mean(), year_column.std()], [0.0, 1.0], atol=1e-12)
    np.testing.assert_array_equal(_column(matrix, names, "year_missing"), np.isnan(train_year))


def test_test_rows_use_training_statistics_so_a_shift_survives(train_frame):
    features = BehaviourFeatures().fit(train_frame)
    train_year = train_frame["year"].astype("float64").to_numpy()
    imputed = np.where(np.isnan(train_year), np.nanmedian(train_year), train_year)

    # Every test film is ten years newer than its training counterpart.
    test_frame = train_frame.assign(year=(train_frame["year"] + 10).astype("Int16"))
    test_year = test_frame["year"].astype("float64").to_numpy()
    test_imputed = np.where(np.isnan(test_year), np.nanmedian(train_year), test_year)
    year_column = _column(features.transform(test_frame), features.get_feature_names_out(), "year")
    np.testing.assert_allclose(year_column, (test_imputed - imputed.mean()) / imputed.std())
    # Re-fitting on the test rows would have centred the shift away (mean 0); ours keeps it.
    assert year_column.mean() > 0.5


def test_popularity_comes_from_training_rows_only(train_frame):
    features = BehaviourFeatures().fit(train_frame)
    train_log_counts = np.log1p(train_frame["item_id"].map(item_popularity(make_ratings())).to_numpy(dtype=float))
    np.testing.assert_allclose(features.popularity_scaler_.mean_, [train_log_counts.mean()])

    # A test interaction with an item never rated in training (id 14) has popularity 0,
    # then is scaled with the training mean and deviation.
    new_item = make_items().iloc[[0]].assign(item_id=np.int32(14))
    items = pd.concat([make_items(), new_item], ignore_index=True)
    test_ratings = pd.DataFrame(
        {
            "user_id": np.array([1, 2], dtype=np.int32),
            "item_id": np.array([14, 10], dtype=np.int32),
            "rating": np.array([4, 2], dtype=np.int8),
            "timestamp": np.array([1, 2], dtype=np.int64),
        }
    )
    test_frame = join_interactions(test_ratings, make_users(), items)
    column = _column(features.transform(test_frame), features.get_feature_names_out(), "log_popularity")
    expected_raw = np.log1p([0.0, 3.0])  # item 10 has 3 training ratings
    np.testing.assert_allclose(column, (expected_raw - train_log_counts.mean()) / train_log_counts.std())


def test_explicit_popularity_equals_counting_the_training_frame(train_frame):
    counted = BehaviourFeatures().fit_transform(train_frame)
    given = BehaviourFeatures(popularity=item_popularity(make_ratings())).fit_transform(train_frame)
    np.testing.assert_array_equal(counted.toarray(), given.toarray())
    without = BehaviourFeatures(include_popularity=False).fit(train_frame)
    assert "log_popularity" not in without.get_feature_names_out()
    with pytest.raises(TypeError, match="popularity"):
        BehaviourFeatures(popularity={10: 3}).fit(train_frame)


def test_unseen_categories_become_all_zero_rows(train_frame):
    features = BehaviourFeatures().fit(train_frame)
    test_frame = train_frame.iloc[:2].copy()
    test_frame["occupation"] = pd.Categorical(["astronaut", "student"])
    test_frame["genres"] = pd.Series(["Western", "Comedy|Western"], dtype="string", index=test_frame.index)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # unseen levels must not produce warnings in a notebook
        matrix = features.transform(test_frame).toarray()
    occupation_block = matrix[:, features.feature_slices_["occupation"]]
    np.testing.assert_array_equal(occupation_block.sum(axis=1), [0, 1])
    genre_block = matrix[:, features.feature_slices_["genre"]]
    names = features.get_feature_names_out()[features.feature_slices_["genre"]].tolist()
    np.testing.assert_array_equal(genre_block[0], 0)  # "Western" was never seen in training
    assert genre_block[1].tolist() == [1.0 if name == "genre_Comedy" else 0.0 for name in names]


def test_crosses_are_products_of_indicator_columns(train_frame):
    crosses = [("gender", "genre"), ("age_bucket", "genre")]
    features = BehaviourFeatures(crosses=crosses).fit(train_frame)
    matrix = features.transform(train_frame)
    names = features.get_feature_names_out()
    assert matrix.shape[1] == len(names)
    cross_names = [name for name in names if "*" in name]
    n_genres = features.feature_slices_["genre"].stop - features.feature_slices_["genre"].start
    n_genders = features.feature_slices_["gender"].stop - features.feature_slices_["gender"].start
    n_ages = features.feature_slices_["age_bucket"].stop - features.feature_slices_["age_bucket"].start
    assert len(cross_names) == (n_genders + n_ages) * n_genres
    for name in cross_names:
        left, right = name.split("*")
        product = _column(matrix, names, left) * _column(matrix, names, right)
        np.testing.assert_array_equal(_column(matrix, names, name), product)
    assert _column(matrix, names, "gender_F*genre_Comedy").sum() > 0  # not trivially zero


def test_behaviour_features_validation(train_frame):
    with pytest.raises(ValueError, match="year"):
        BehaviourFeatures().fit(train_frame.drop(columns="year"))
    fitted = BehaviourFeatures().fit(train_frame)
    with pytest.raises(ValueError, match="genres"):
        fitted.transform(train_frame.drop(columns="genres"))
    with pytest.raises(ValueError, match="crosses"):
        BehaviourFeatures(crosses=[("gender", "title")]).fit(train_frame)
    with pytest.raises(ValueError, match="crosses"):
        BehaviourFeatures(crosses=[("genre", "genre")]).fit(train_frame)
    with pytest.raises(TypeError, match="frame"):
        BehaviourFeatures().fit(train_frame.to_numpy())


def test_behaviour_features_works_in_a_scikit_learn_pipeline(train_frame):
    pipeline = Pipeline(
        [("features", BehaviourFeatures(crosses=[("gender", "genre")])), ("model", LogisticRegression(max_iter=200))]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pipeline.fit(train_frame, train_frame["like"])
        probabilities = pipeline.predict_proba(train_frame)
    assert probabilities.shape == (len(train_frame), 2)
    copy = clone(pipeline.named_steps["features"])
    assert copy.crosses == [("gender", "genre")] and not hasattr(copy, "encoders_")


# --- text features -----------------------------------------------------------------------------

TRAIN_TEXTS = ["这部科幻电影非常好看", "剧情很无聊，演员也一般", "科幻电影的特效很精彩", "演员的表演很精彩"]
TEST_TEXTS = ["恐龙电影很精彩"]  # 恐龙 (dinosaur) never occurs in the training texts


def test_keyword_tfidf_is_fitted_on_training_texts_only():
    assert "恐龙" in tokenize_for_model(TEST_TEXTS[0])  # precondition: it is a token
    keyword_tfidf, train_matrix = text_keyword_features(TRAIN_TEXTS, vocabulary_size=100)
    names = keyword_tfidf.get_feature_names_out().tolist()
    assert "恐龙" not in names
    assert "科幻电影" in names and "精彩" in names
    test_matrix = keyword_tfidf.transform(TEST_TEXTS)
    assert test_matrix.shape == (1, len(names))
    assert train_matrix.shape == (len(TRAIN_TEXTS), len(names))
    nonzero_words = {names[column] for column in test_matrix.indices}
    assert nonzero_words == {"精彩"}  # 电影 is not a training token: 科幻电影 is one word there


def test_keyword_tfidf_equals_tfidf_vectorizer_on_pretokenised_texts():
    # Independent check: sklearn's vectorizer on token lists we made ourselves.
    train_tokens = [tokenize_for_model(text) for text in TRAIN_TEXTS]
    reference = TfidfVectorizer(analyzer=lambda tokens: tokens).fit(train_tokens)
    ours = KeywordTfidf(vocabulary_size=None).fit(TRAIN_TEXTS)
    assert ours.get_feature_names_out().tolist() == reference.get_feature_names_out().tolist()
    all_texts = TRAIN_TEXTS + TEST_TEXTS
    np.testing.assert_allclose(
        ours.transform(all_texts).toarray(),
        reference.transform([tokenize_for_model(text) for text in all_texts]).toarray(),
    )


def test_keyword_tfidf_vocabulary_size_and_top_k():
    limited = KeywordTfidf(vocabulary_size=3).fit(TRAIN_TEXTS)
    assert len(limited.get_feature_names_out()) == 3

    full = KeywordTfidf(vocabulary_size=None).fit(TRAIN_TEXTS)
    top_two = KeywordTfidf(vocabulary_size=None, top_k=2).fit(TRAIN_TEXTS)
    full_rows = full.transform(TRAIN_TEXTS).toarray()
    kept_rows = top_two.transform(TRAIN_TEXTS).toarray()
    for full_row, kept_row in zip(full_rows, kept_rows):
        kept = kept_row > 0
        assert kept.sum() == min(2, (full_row > 0).sum())
        np.testing.assert_allclose(kept_row[kept], full_row[kept])  # kept values unchanged
        if (~kept & (full_row > 0)).any():
            assert full_row[kept].min() >= full_row[~kept].max()  # and they are the largest

    keywords = full.keywords(TRAIN_TEXTS, k=1)
    assert len(keywords) == len(TRAIN_TEXTS)
    names = full.get_feature_names_out()
    for row, (words,) in zip(full_rows, keywords):
        assert words == names[np.argmax(row)]


def test_keyword_tfidf_errors():
    with pytest.raises(TypeError, match="texts"):
        KeywordTfidf().fit("一段文字")
    with pytest.raises(ValueError, match="texts"):
        KeywordTfidf().fit(["好看", None])
    with pytest.raises(RuntimeError, match="fit"):
        KeywordTfidf().transform(["好看"])
    with pytest.raises(ValueError, match="vocabulary_size"):
        KeywordTfidf(vocabulary_size=0)
    with pytest.raises(ValueError, match="top_k"):
        KeywordTfidf(top_k=0)


# --- Numbers that are not numbers (issue 7) ------------------------------------------------------


@pytest.mark.parametrize("threshold", [np.nan, float("inf"), "4", True])
def test_join_interactions_rejects_a_threshold_that_is_not_a_number(threshold):
    # like_threshold=nan labelled every row 0: rating >= nan is always False.
    with pytest.raises(ValueError, match="like_threshold must be a finite real number|like_threshold must be a real"):
        join_interactions(make_ratings(), make_users(), make_items(), like_threshold=threshold)


def test_join_interactions_rejects_missing_ratings():
    ratings = make_ratings().astype({"rating": "float64"})
    ratings.loc[ratings.index[0], "rating"] = np.nan
    with pytest.raises(ValueError, match="rating.*missing"):
        join_interactions(ratings, make_users(), make_items())


def test_one_hot_ids_rejects_ids_that_are_not_non_negative_integers():
    for bad in ([1.7], [-1], [True, False]):
        with pytest.raises(ValueError, match="indices must hold non-negative integer ids"):
            one_hot_ids(bad, n=3)
