"""The implicit library's ALS and BPR in our interface (tutorial_lib.peers.implicit_library)."""

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

pytest.importorskip("implicit")

from tutorial_lib.models.implicit_factorisation import als_loss, als_solve_rows  # noqa: E402
from tutorial_lib.peers.implicit_library import ImplicitALSPeer, ImplicitBPRPeer  # noqa: E402


def _two_groups(seed=0):
    """Users 0-19 like items 0-9, users 20-39 like items 10-19; 6 of their 10 each."""
    rng = np.random.default_rng(seed)
    rows = [(user, item) for user in range(40)
            for item in rng.choice(10, size=6, replace=False) + 10 * (user // 20)]
    return pd.DataFrame(rows, columns=["user_id", "item_id"])


def test_implicit_exact_half_step_equals_ours_with_confidence_one_plus_alpha():
    # The library's exact solver with alpha_implicit = 1 + alpha solves our half-step.
    from implicit.cpu import _als

    rng = np.random.default_rng(0)
    binary = sp.csr_matrix((rng.random((12, 9)) < 0.35).astype(np.float64))
    item_factors = rng.normal(size=(9, 4))
    alpha, regularisation = 3.0, 0.5
    theirs = np.zeros((12, 4))
    _als.least_squares((1.0 + alpha) * binary, theirs, item_factors, regularisation, num_threads=1)
    ours = als_solve_rows(binary, item_factors, alpha, regularisation)
    np.testing.assert_allclose(ours, theirs, atol=1e-5)
    # Its training loss is ours divided by the total confidence of all cells.
    total_confidence = binary.shape[0] * binary.shape[1] + alpha * binary.nnz
    their_loss = _als.calculate_loss((1.0 + alpha) * binary, ours, item_factors, regularisation, num_threads=1)
    assert their_loss == pytest.approx(als_loss(binary, ours, item_factors, alpha, regularisation)
                                       / total_confidence, rel=1e-4)


@pytest.mark.parametrize("peer_class", [ImplicitALSPeer, ImplicitBPRPeer])
def test_peers_learn_the_two_groups_quietly(peer_class, capfd):
    frame = _two_groups()
    options = {"iterations": 10} if peer_class is ImplicitALSPeer else {"epochs": 200, "learning_rate": 0.05}
    with warnings.catch_warnings():
        warnings.simplefilter("error")               # any warning fails the test
        model = peer_class(n_factors=4, seed=0, num_threads=1, **options).fit(frame)
    assert capfd.readouterr().err == ""
    lists = model.recommend_batch(model.user_ids_, k=3)
    assert ((lists // 10) == (model.user_ids_ // 20)[:, None]).mean() > 0.9
    seen = model.interactions_.toarray().astype(bool)
    columns = np.searchsorted(model.item_ids_, lists)
    assert not seen[np.arange(len(lists))[:, None], columns].any()


def test_peer_scores_are_the_library_factors_product():
    model = ImplicitALSPeer(n_factors=3, iterations=2, seed=1, num_threads=1).fit(_two_groups())
    expected = model.model_.user_factors[[0, 5]] @ model.model_.item_factors[[2, 3, 11]].T
    np.testing.assert_allclose(model.score([0, 5], [2, 3, 11]), expected, rtol=1e-5)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="n_factors"):
        ImplicitALSPeer(n_factors=0)
    with pytest.raises(ValueError, match="num_threads"):
        ImplicitBPRPeer(num_threads=-1)
