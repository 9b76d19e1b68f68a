"""TF-IDF (词频-逆文档频率) written out by hand, to be read beside scikit-learn's.

The variant is scikit-learn's default (``TfidfVectorizer(smooth_idf=True, norm="l2",
sublinear_tf=False)``). For a term :math:`t` and a document :math:`d` of a training
collection of :math:`n` documents:

.. math::

    \\operatorname{tf}(t, d) &= \\text{number of times } t \\text{ occurs in } d
    \\quad\\text{(raw count)} \\\\
    \\operatorname{idf}(t) &= \\ln\\frac{1 + n}{1 + \\operatorname{df}(t)} + 1
    \\quad\\text{(smoothed; df = documents that contain } t\\text{)} \\\\
    v_{d,t} &= \\frac{\\operatorname{tf}(t, d)\\,\\operatorname{idf}(t)}
    {\\sqrt{\\sum_{t'} \\big(\\operatorname{tf}(t', d)\\,\\operatorname{idf}(t')\\big)^2}}
    \\quad\\text{(each row scaled to length 1)}

The "+1" inside the fraction acts as if one extra document contained every term, so no
IDF is infinite; the "+1" outside keeps a term found in every document from getting weight 0.

Documents are passed already tokenised (lists of tokens), so that the same tokenizer
(for Chinese, :func:`tutorial_lib.data.text.tokenize_for_model`) feeds this class and
scikit-learn's. :class:`tutorial_lib.data.features.KeywordTfidf` is the book's ready-made
TF-IDF feature block built on scikit-learn; this module exists to show the formula.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import scipy.sparse as sp


def _check_token_lists(documents, name: str = "documents") -> list[list[str]]:
    """Return ``documents`` as a list of token lists, or raise naming what was expected."""
    if isinstance(documents, str) or not hasattr(documents, "__iter__"):
        raise TypeError(f"{name} must be a list of token lists, got {type(documents).__name__}.")
    token_lists = []
    for position, tokens in enumerate(documents):
        if isinstance(tokens, str) or not hasattr(tokens, "__iter__"):
            raise TypeError(f"{name}[{position}] must be a list of tokens (strings), got "
                            f"{type(tokens).__name__}; tokenise the text first.")
        tokens = list(tokens)
        if not all(isinstance(token, str) for token in tokens):
            raise TypeError(f"{name}[{position}] must contain only strings.")
        token_lists.append(tokens)
    return token_lists


def smoothed_idf(document_frequency, n_documents: int) -> np.ndarray:
    """``ln((1 + n) / (1 + df)) + 1`` for each term, shape ``(n_terms,)``.

    Parameters
    ----------
    document_frequency:
        Shape ``(n_terms,)``: how many training documents contain each term.
    n_documents:
        The number of training documents, :math:`n`.
    """
    df = np.asarray(document_frequency, dtype=np.float64)
    if df.ndim != 1 or (df < 0).any() or (df > n_documents).any():
        raise ValueError(
            "document_frequency must be 1-D with values in 0..n_documents "
            f"({n_documents}), got {df!r}."
        )
    return np.log((1.0 + n_documents) / (1.0 + df)) + 1.0


def tfidf_from_counts(counts, idf) -> sp.csr_matrix:
    """TF-IDF rows of unit L2 length from raw counts and an IDF vector.

    Parameters
    ----------
    counts:
        Raw term counts tf(t, d), dense or sparse,
        shape ``(n_documents, n_terms)``.
    idf:
        Shape ``(n_terms,)``, e.g. from :func:`smoothed_idf`.

    Returns
    -------
    scipy.sparse.csr_matrix
        Shape ``(n_documents, n_terms)``; a row of zero counts stays zeros.
    """
    counts = sp.csr_matrix(counts, dtype=np.float64)
    idf = np.asarray(idf, dtype=np.float64)
    if idf.shape != (counts.shape[1],):
        raise ValueError(
            f"idf must have shape (n_terms,) = ({counts.shape[1]},), "
            f"got {idf.shape}."
        )
    weighted = counts @ sp.diags(idf)                   # tf × idf
    squares = weighted.multiply(weighted)
    lengths = np.sqrt(np.asarray(squares.sum(axis=1)).ravel())  # L2 per row
    scale = np.divide(1.0, lengths, out=np.zeros_like(lengths),
                      where=lengths > 0)
    return sp.csr_matrix(sp.diags(scale) @ weighted)


class TfidfScratch:
    """TF-IDF from scratch: raw counts × smoothed IDF, rows scaled to unit L2 length.

    The twin of ``sklearn.feature_extraction.text.TfidfVectorizer`` with its defaults, fed
    the same token lists; ``tests/test_tfidf.py`` checks that both give the same matrix.

    Attributes (after :meth:`fit`)
    ------------------------------
    vocabulary_:
        dict term -> column, terms in sorted order (as scikit-learn orders them).
    document_frequency_:
        Shape ``(n_terms,)``: training documents that contain each term.
    idf_:
        Shape ``(n_terms,)``: :func:`smoothed_idf` of the training documents.
    """

    def fit(self, documents) -> TfidfScratch:
        """Learn the vocabulary and IDF from ``documents`` (token lists)."""
        token_lists = _check_token_lists(documents)
        if not token_lists:
            raise ValueError("documents must hold at least one document.")
        # df(t): in how many documents t occurs (set: once per document).
        document_counts = Counter(
            term for tokens in token_lists for term in set(tokens)
        )
        if not document_counts:
            raise ValueError("documents contain no tokens at all; "
                             "nothing to learn.")
        terms = sorted(document_counts)
        self.vocabulary_ = {term: k for k, term in enumerate(terms)}
        self.document_frequency_ = np.array(
            [document_counts[term] for term in terms], dtype=np.int64
        )
        self.n_documents_ = len(token_lists)
        self.idf_ = smoothed_idf(self.document_frequency_,
                                 self.n_documents_)
        return self

    def term_counts(self, documents) -> sp.csr_matrix:
        """Raw counts tf(t, d), shape ``(n_documents, n_terms)``; unknown terms are dropped."""
        if not hasattr(self, "vocabulary_"):
            raise RuntimeError("TfidfScratch is not fitted yet; call fit(documents) first.")
        token_lists = _check_token_lists(documents)
        rows, columns, counts = [], [], []
        for row, tokens in enumerate(token_lists):
            known = Counter(token for token in tokens if token in self.vocabulary_)
            for term, count in known.items():
                rows.append(row)
                columns.append(self.vocabulary_[term])
                counts.append(count)
        shape = (len(token_lists), len(self.vocabulary_))
        return sp.csr_matrix((np.array(counts, dtype=np.float64), (rows, columns)), shape=shape)

    def transform(self, documents) -> sp.csr_matrix:
        """TF-IDF rows of unit length, shape ``(n_documents, n_terms)``.

        A document with no known term stays a row of zeros (there is nothing to scale).
        """
        return tfidf_from_counts(self.term_counts(documents), self.idf_)

    def fit_transform(self, documents) -> sp.csr_matrix:
        """:meth:`fit`, then :meth:`transform` on the same documents."""
        documents = _check_token_lists(documents)
        return self.fit(documents).transform(documents)

    def get_feature_names_out(self) -> np.ndarray:
        """The terms in column order, shape ``(n_terms,)``."""
        return np.array(sorted(self.vocabulary_, key=self.vocabulary_.get), dtype=object)
