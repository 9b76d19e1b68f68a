import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from tutorial_lib.data.text import tokenize_for_model
from tutorial_lib.data.tfidf import TfidfScratch, smoothed_idf


def _sklearn_on_tokens(**options):
    # The documents are token lists already: scikit-learn must not tokenise them again.
    return TfidfVectorizer(analyzer=lambda tokens: tokens, smooth_idf=True, norm="l2",
                           sublinear_tf=False, **options)


def _random_documents(seed, n_documents=30, vocabulary_size=25):
    rng = np.random.default_rng(seed)
    words = [f"w{k}" for k in range(vocabulary_size)]
    return [list(rng.choice(words, size=rng.integers(1, 12))) for _ in range(n_documents)]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_scikit_learn(seed):
    train, test = _random_documents(seed), _random_documents(seed + 100, n_documents=10)
    test[0] = ["never-seen"]  # a document with no known word stays a zero row in both
    ours = TfidfScratch().fit(train)
    reference = _sklearn_on_tokens().fit(train)
    assert list(ours.get_feature_names_out()) == list(reference.get_feature_names_out())
    np.testing.assert_allclose(ours.idf_, reference.idf_, atol=1e-12)
    for documents in (train, test):
        np.testing.assert_allclose(ours.transform(documents).toarray(),
                                   reference.transform(documents).toarray(), atol=1e-12)


def test_matches_scikit_learn_on_chinese_reviews():
    reviews = ["房间很干净，早餐也不错", "房间小，隔音不好", "早餐不错，服务很好，下次还来"]
    token_lists = [tokenize_for_model(review) for review in reviews]
    ours = TfidfScratch().fit_transform(token_lists)
    reference = _sklearn_on_tokens().fit_transform(token_lists)
    np.testing.assert_allclose(ours.toarray(), reference.toarray(), atol=1e-12)


def test_hand_computed_example():
    # Three documents: a b a | b c | c c d.  n = 3; df: a 1, b 2, c 2, d 1.
    documents = [["a", "b", "a"], ["b", "c"], ["c", "c", "d"]]
    idf_rare, idf_common = np.log(4 / 2) + 1, np.log(4 / 3) + 1
    model = TfidfScratch().fit(documents)
    np.testing.assert_allclose(model.idf_, [idf_rare, idf_common, idf_common, idf_rare], atol=1e-15)
    # Document 1: counts a 2, b 1 -> (2 idf_rare, idf_common) scaled to length 1.
    row = np.array([2 * idf_rare, idf_common, 0, 0])
    np.testing.assert_allclose(model.transform(documents[:1]).toarray()[0],
                               row / np.linalg.norm(row), atol=1e-15)


def test_smoothed_idf_of_a_word_in_every_document_is_one():
    assert smoothed_idf([5], n_documents=5)[0] == pytest.approx(1.0)


def test_rows_have_unit_length():
    matrix = TfidfScratch().fit_transform(_random_documents(7)).toarray()
    np.testing.assert_allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-12)


def test_bad_input():
    with pytest.raises(TypeError, match="list of token lists"):
        TfidfScratch().fit("a plain string")
    with pytest.raises(TypeError, match=r"documents\[1\] must be a list of tokens"):
        TfidfScratch().fit([["a"], "not tokenised"])
    with pytest.raises(ValueError, match="at least one document"):
        TfidfScratch().fit([])
    with pytest.raises(ValueError, match="no tokens"):
        TfidfScratch().fit([[], []])
    with pytest.raises(RuntimeError, match="not fitted"):
        TfidfScratch().transform([["a"]])
    with pytest.raises(ValueError, match="document_frequency"):
        smoothed_idf([4], n_documents=3)
