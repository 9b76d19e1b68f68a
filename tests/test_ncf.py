"""NCF: the three scoring functions by hand, the negatives, and training on a tiny case."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse
import torch

from tutorial_lib.models import ncf
from tutorial_lib.models.ncf import NCFConfig, NCFRecommender



def _numpy(tensor):
    return tensor.detach().double().numpy()


def test_gmf_is_the_weighted_elementwise_product():
    torch.manual_seed(0)
    model = ncf.GMF(3, 5, 4)
    users, items = torch.tensor([0, 2, 1]), torch.tensor([4, 0, 0])
    p = _numpy(model.user_embeddings.weight)[[0, 2, 1]]
    q = _numpy(model.item_embeddings.weight)[[4, 0, 0]]
    h, b = _numpy(model.output.weight).ravel(), _numpy(model.output.bias)[0]
    by_hand = (p * q) @ h + b
    np.testing.assert_allclose(_numpy(model(users, items)), by_hand, rtol=1e-5, atol=1e-7)


def test_mlp_is_relu_layers_over_the_concatenation():
    torch.manual_seed(1)
    model = ncf.MLPScorer(3, 5, 2, (4, 3))
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.normal_()
    users, items = torch.tensor([1, 2]), torch.tensor([3, 3])
    z = np.hstack([_numpy(model.user_embeddings.weight)[[1, 2]], _numpy(model.item_embeddings.weight)[[3, 3]]])
    for layer in (model.tower[0], model.tower[2]):
        z = np.maximum(z @ _numpy(layer.weight).T + _numpy(layer.bias), 0.0)
    by_hand = z @ _numpy(model.output.weight).ravel() + _numpy(model.output.bias)[0]
    np.testing.assert_allclose(_numpy(model(users, items)), by_hand, rtol=1e-5, atol=1e-6)


def test_neumf_concatenates_the_gmf_and_mlp_vectors():
    torch.manual_seed(2)
    model = ncf.NeuMF(3, 5, 2, (4, 3))
    users, items = torch.tensor([0, 1]), torch.tensor([2, 4])
    both = np.hstack([_numpy(model.gmf.features(users, items)), _numpy(model.mlp.features(users, items))])
    by_hand = both @ _numpy(model.output.weight).ravel() + _numpy(model.output.bias)[0]
    np.testing.assert_allclose(_numpy(model(users, items)), by_hand, rtol=1e-5, atol=1e-7)


def test_dot_product_with_biases_by_hand():
    model = ncf.DotProductModel(2, 2, 2)
    with torch.no_grad():
        model.user_embeddings.weight.copy_(torch.tensor([[1.0, 2.0], [0.5, -1.0]]))
        model.item_embeddings.weight.copy_(torch.tensor([[3.0, 1.0], [-2.0, 4.0]]))
        model.user_biases.weight.copy_(torch.tensor([[0.1], [0.2]]))
        model.item_biases.weight.copy_(torch.tensor([[-0.3], [0.4]]))
        model.global_bias.fill_(1.0)
    logits = model(torch.tensor([0, 1]), torch.tensor([1, 0]))
    # user 0, item 1: 1*(-2) + 2*4 + 0.1 + 0.4 + 1 = 7.5; user 1, item 0: 1.5 - 1 + 0.2 - 0.3 + 1 = 1.4
    np.testing.assert_allclose(_numpy(logits), [7.5, 1.4], rtol=1e-6)


def test_negatives_are_never_items_of_the_user():
    matrix = scipy.sparse.csr_matrix(np.array([[1, 1, 1, 0, 0], [0, 0, 0, 1, 0], [1, 0, 1, 0, 1]], dtype=float))
    rng = np.random.default_rng(0)
    rows = np.array([0, 0, 1, 2, 2, 2])
    negatives = ncf.sample_negatives(matrix, rows, 20, rng)
    assert negatives.shape == (6, 20)
    dense = matrix.toarray()
    assert (dense[rows[:, None], negatives] == 0).all()
    assert set(negatives[0].tolist()) == {3, 4}  # the only items user 0 never touched


def test_a_user_with_every_item_cannot_get_negatives():
    matrix = scipy.sparse.csr_matrix(np.ones((1, 3)))
    with pytest.raises(ValueError, match="every item"):
        ncf.sample_negatives(matrix, np.array([0]), 1, np.random.default_rng(0))


def test_training_examples_hold_four_negatives_per_positive():
    matrix = scipy.sparse.csr_matrix(np.array([[1, 0, 0, 0, 0, 0], [0, 1, 1, 0, 0, 0]], dtype=float))
    users, items, labels = ncf.training_examples(matrix, 4, np.random.default_rng(0))
    assert len(labels) == 3 * 5 and labels.sum() == 3
    assert (matrix.toarray()[users, items] == labels).all()


def _two_taste_groups():
    """Users 0-7 like items 0-3, users 8-15 like items 4-7; each user misses one item of their group."""
    rows = []
    for user in range(16):
        group = range(0, 4) if user < 8 else range(4, 8)
        left_out = list(group)[user % 4]
        rows += [(user, item) for item in group if item != left_out]
    return pd.DataFrame(rows, columns=["user_id", "item_id"])


# The MLP starts from tiny embeddings and needs more steps to leave its flat start.
TINY_RUNS = {"gmf": (60, 0.02), "mlp": (150, 0.05), "neumf": (60, 0.02), "dot": (60, 0.02)}


@pytest.mark.parametrize("architecture", ncf.ARCHITECTURES)
def test_each_model_ranks_its_users_items_above_the_other_groups(architecture):
    interactions = _two_taste_groups()
    epochs, lr = TINY_RUNS[architecture]
    config = NCFConfig(embedding_dim=4, mlp_layers=(8,), epochs=epochs, batch_size=32, lr=lr, weight_decay=0.0)
    model = NCFRecommender(architecture, config, device="cpu", seed=0).fit(interactions)
    assert model.history_["train_loss"][-1] < 0.5 * model.history_["train_loss"][0]
    scores = model.score(np.arange(16), np.arange(8))
    for user in range(16):
        own = interactions.loc[interactions.user_id == user, "item_id"].to_numpy()
        other_group = np.arange(4, 8) if user < 8 else np.arange(0, 4)
        assert scores[user, own].min() > scores[user, other_group].max(), (architecture, user)


def test_the_dot_product_generalises_to_the_missing_item():
    interactions = _two_taste_groups()
    config = NCFConfig(embedding_dim=2, mlp_layers=(4,), epochs=60, batch_size=32, lr=0.02, weight_decay=0.0)
    model = NCFRecommender("dot", config, device="cpu", seed=0).fit(interactions)
    hits = 0
    for user in range(16):
        group = set(range(0, 4)) if user < 8 else set(range(4, 8))
        missing = (group - set(interactions.loc[interactions.user_id == user, "item_id"])).pop()
        hits += model.recommend(user, 1)[0] == missing
    # The missing item is sometimes drawn as a negative, so a few users may miss it.
    assert hits >= 12


def test_the_same_seed_gives_the_same_scores():
    interactions = _two_taste_groups()
    config = NCFConfig(embedding_dim=4, mlp_layers=(4,), epochs=2, batch_size=16)
    first = NCFRecommender("neumf", config, device="cpu", seed=3).fit(interactions).score([0, 5], [0, 1, 4])
    second = NCFRecommender("neumf", config, device="cpu", seed=3).fit(interactions).score([0, 5], [0, 1, 4])
    np.testing.assert_array_equal(first, second)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="architecture"):
        NCFRecommender("transformer")
    with pytest.raises(ValueError, match="mlp_layers"):
        NCFConfig(mlp_layers=())
    with pytest.raises(ValueError, match="negatives_per_positive"):
        NCFConfig(negatives_per_positive=0)
    with pytest.raises(TypeError, match="config"):
        NCFRecommender("gmf", {"epochs": 1})


def test_torch_threads_restores_the_setting():
    before = torch.get_num_threads()
    with ncf.torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with pytest.raises(ValueError, match="n_threads"):
        with ncf.torch_threads(0):
            pass
