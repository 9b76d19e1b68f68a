"""TextCNN: tokens, padding that does not change a text's logits, the by-hand equivalent, training."""

import numpy as np
import pytest
import torch

from tutorial_lib.data.text import Vocabulary
from tutorial_lib.evaluation import metrics
from tutorial_lib.models import convolution
from tutorial_lib.models import textcnn as tc

torch.set_num_threads(1)


def small_model(seed=0, vocab_size=12, n_classes=3, dropout=0.0):
    torch.manual_seed(seed)
    return tc.TextCNN(vocab_size, n_classes, embedding_dim=4, kernel_sizes=(2, 3), n_filters=5, dropout=dropout)


def test_character_tokens_normalise_and_drop_spaces():
    assert tc.character_tokens("好用！ ＡＢ c") == ["好", "用", "!", "a", "b", "c"]
    assert tc.TOKENISERS["words"] is tc.word_tokens
    assert "很" not in tc.word_tokens("质量很好")  # a stop word


def test_vocabulary_and_encoding():
    vocabulary = tc.build_vocabulary([["好", "好", "差"], ["好", "一"]], min_freq=2)
    assert isinstance(vocabulary, Vocabulary) and len(vocabulary) == 3  # <pad>, <unk>, 好
    encoded = tc.encode_texts([["好", "差", "好", "好"], []], vocabulary, max_len=3)
    assert encoded[0].tolist() == [2, 1, 2] and encoded[1].size == 0
    with pytest.raises(TypeError, match="vocabulary"):
        tc.encode_texts([["好"]], {"好": 2}, max_len=3)


def test_pad_batch_pads_right_to_the_longest():
    examples = [(np.array([3, 4]), 1), (np.array([5]), 0), (np.array([], dtype=np.int64), 2)]
    token_ids, lengths, labels = tc.pad_batch(examples)
    assert token_ids.tolist() == [[3, 4], [5, 0], [0, 0]]
    assert lengths.tolist() == [2, 1, 0] and labels.tolist() == [1, 0, 2]
    token_ids, _, _ = tc.pad_batch(examples[2:])
    assert token_ids.shape == (1, 1)


def test_logits_do_not_depend_on_the_padding_of_the_batch():
    model = small_model().eval()
    short = torch.tensor([[3, 4, 5]])
    alone = model(short, torch.tensor([3]))
    assert torch.allclose(alone, model(short), atol=1e-6)  # no padding: nothing to mask
    padded = torch.tensor([[3, 4, 5, 0, 0, 0, 0], [1, 2, 3, 4, 5, 6, 7]])
    in_batch = model(padded, torch.tensor([3, 7]))
    assert torch.allclose(alone[0], in_batch[0], atol=1e-6)
    # An empty text still has a defined output.
    assert torch.isfinite(model(torch.zeros(1, 3, dtype=torch.long), torch.tensor([0]))).all()


def test_pooled_features_equal_the_by_hand_convolution():
    model = small_model(seed=1).double().eval()
    token_ids = torch.tensor([[2, 7, 3, 9, 0, 0], [5, 1, 4, 6, 8, 11]])
    lengths = torch.tensor([4, 6])
    embedded = model.embedding(token_ids).transpose(1, 2)  # (batch, d, seq_len)
    expected = []
    for layer, width in zip(model.convolutions, model.kernel_sizes):
        # Each text, followed by k - 1 zero cells: windows start at every position.
        padded = torch.nn.functional.pad(embedded, (0, width - 1))
        maps = torch.relu(convolution.conv1d_loops(padded, layer.weight, layer.bias))  # (batch, F, L)
        expected.append(torch.stack([maps[b, :, : lengths[b]].max(dim=1).values for b in range(2)]))
    by_hand = torch.cat(expected, dim=1)
    assert torch.allclose(model.pooled_features(token_ids, lengths), by_hand, atol=1e-6, rtol=0)


def synthetic_texts(n_texts, seed):
    """Class c's texts contain the bigram (2 + 2c, 3 + 2c) somewhere among random ids 8..19."""
    rng = np.random.default_rng(seed)
    encoded, labels = [], []
    for _ in range(n_texts):
        label = int(rng.integers(3))
        length = int(rng.integers(3, 9))
        ids = rng.integers(8, 20, size=length)
        start = int(rng.integers(0, length - 1))
        ids[start : start + 2] = [2 + 2 * label, 3 + 2 * label]
        encoded.append(ids.astype(np.int64))
        labels.append(label)
    return encoded, np.array(labels)


def fit_synthetic(seed, epochs=8):
    train_texts, train_labels = synthetic_texts(300, seed=1)
    valid_texts, valid_labels = synthetic_texts(100, seed=2)
    train_loader = tc.make_text_loader(train_texts, train_labels, batch_size=32, shuffle=True, seed=seed)
    valid_loader = tc.make_text_loader(valid_texts, valid_labels, batch_size=64, shuffle=False)
    torch.manual_seed(seed)
    model = tc.TextCNN(20, 3, embedding_dim=8, kernel_sizes=(2, 3), n_filters=8, dropout=0.1)

    def valid_accuracy():
        return metrics.accuracy(valid_labels, tc.predict_proba(model, valid_loader).argmax(axis=1))

    history = tc.train_text_classifier(
        model, train_loader, epochs=epochs, learning_rate=0.02, validate=valid_accuracy, seed=seed, progress=False
    )
    return model, history, valid_accuracy


def test_training_learns_a_bigram_task_and_keeps_the_best_epoch():
    model, history, valid_accuracy = fit_synthetic(seed=0)
    assert list(history.columns) == ["epoch", "train_loss", "valid_metric", "seconds"]
    assert history["valid_metric"].max() > 0.9
    assert history["train_loss"].iloc[-1] < history["train_loss"].iloc[0]
    assert valid_accuracy() == history["valid_metric"].max()  # the best state is restored
    assert not model.training


def test_training_is_reproducible_with_a_seed():
    _, first, _ = fit_synthetic(seed=3, epochs=2)
    _, second, _ = fit_synthetic(seed=3, epochs=2)
    assert np.array_equal(first["train_loss"].to_numpy(), second["train_loss"].to_numpy())


def test_patience_stops_early():
    train_texts, train_labels = synthetic_texts(40, seed=1)
    model = small_model(vocab_size=20)
    loader = tc.make_text_loader(train_texts, train_labels, batch_size=16, shuffle=True, seed=0)
    history = tc.train_text_classifier(
        model, loader, epochs=6, learning_rate=1e-3, validate=lambda: 0.5, patience=2, progress=False
    )
    assert len(history) == 3  # epoch 1 is the best; two more without a gain


def test_predict_proba_rows_sum_to_one_in_loader_order():
    texts, labels = synthetic_texts(10, seed=4)
    model = small_model(vocab_size=20)
    loader = tc.make_text_loader(texts, labels, batch_size=4, shuffle=False)
    probabilities = tc.predict_proba(model, loader)
    assert probabilities.shape == (10, 3) and np.allclose(probabilities.sum(axis=1), 1.0)
    one = tc.predict_proba(model, tc.make_text_loader(texts[7:8], labels[7:8], batch_size=1, shuffle=False))
    assert np.allclose(one[0], probabilities[7], atol=1e-6)


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="labels must have shape"):
        tc.make_text_loader([np.array([1, 2])], [0, 1], batch_size=2, shuffle=False)
    with pytest.raises(ValueError, match="encoded"):
        tc.make_text_loader([np.array([1.5, 2])], [0], batch_size=2, shuffle=False)
    with pytest.raises(TypeError, match="kernel_sizes"):
        tc.TextCNN(10, 2, embedding_dim=4, kernel_sizes=(), n_filters=2, dropout=0.0)
    with pytest.raises(ValueError, match="n_classes"):
        tc.TextCNN(10, 1, embedding_dim=4, kernel_sizes=(2,), n_filters=2, dropout=0.0)
    model = small_model()
    with pytest.raises(ValueError, match="token_ids must be a LongTensor"):
        model(torch.zeros(1, 2))
    with pytest.raises(TypeError, match="validate"):
        tc.train_text_classifier(model, tc.make_text_loader([np.array([1, 2, 3])], [0], batch_size=1, shuffle=True),
                                 epochs=1, learning_rate=1e-3, validate=None)


def test_config_quick_is_smaller():
    quick, full = tc.TextCNNConfig.for_profile("quick"), tc.TextCNNConfig.for_profile("full")
    assert quick.cost() <= full.cost() and quick.max_train_reviews is not None and full.max_train_reviews is None


def test_device_is_checked():
    texts, labels = synthetic_texts(8, seed=5)
    loader = tc.make_text_loader(texts, labels, batch_size=4, shuffle=True, seed=0)
    model = small_model(vocab_size=20)
    history = tc.train_text_classifier(model, loader, epochs=1, learning_rate=1e-3, validate=lambda: 0.0,
                                       progress=False, device="cpu")
    assert len(history) == 1
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="cuda"):
            tc.train_text_classifier(model, loader, epochs=1, learning_rate=1e-3, validate=lambda: 0.0,
                                     progress=False, device="cuda")
