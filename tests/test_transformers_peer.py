"""transformers' Trainer as the peer of our loop, and LoRA adapters with peft."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("peft")

from tutorial_lib.models.pretrained import count_parameters, tiny_bert  # noqa: E402
from tutorial_lib.models.text_classifier import BertClassifier, PaddingCollator, TokenisedTextDataset, make_text_loader  # noqa: E402
from tutorial_lib.peers.transformers_trainer import add_lora, lora_parameter_names, train_with_trainer, trainer_arguments  # noqa: E402
from tutorial_lib.training.loop import FitConfig, fit  # noqa: E402

VOCAB_SIZE = 40
TINY = {"vocab_size": VOCAB_SIZE, "hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2,
        "intermediate_size": 32, "max_position_embeddings": 16}


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def _dataset(n: int, seed: int) -> TokenisedTextDataset:
    rng = np.random.default_rng(seed)
    input_ids = [[2, *rng.integers(5, VOCAB_SIZE, size=rng.integers(2, 10)).tolist(), 3] for _ in range(n)]
    return TokenisedTextDataset(input_ids, rng.integers(0, 2, size=n))


def test_trainer_arguments_mean_what_our_config_means(tmp_path):
    config = FitConfig(epochs=3, lr=4e-5, weight_decay=0.02, warmup_fraction=0.25, gradient_accumulation_steps=2)
    arguments = trainer_arguments(config, str(tmp_path), batch_size=4, n_train_examples=30)
    # 30 examples / 4 = 8 batches, / 2 accumulated = 4 steps per epoch, 12 in all, a quarter warm-up.
    assert arguments.warmup_steps == 3
    assert arguments.learning_rate == 4e-5 and arguments.weight_decay == 0.02
    assert arguments.num_train_epochs == 3 and arguments.gradient_accumulation_steps == 2
    assert arguments.max_grad_norm == 1.0 and not arguments.bf16 and not arguments.fp16


def test_the_trainer_and_our_loop_both_learn_a_tiny_fixed_set():
    train = _dataset(8, seed=1)
    config = FitConfig(epochs=40, lr=1e-2, warmup_fraction=0.0, progress=False)
    trainer_model = tiny_bert("sequence-classification", seed=0, dropout=0.0, **TINY)
    peer = train_with_trainer(trainer_model, train, train, config, batch_size=8, collate=PaddingCollator())
    assert len(peer["history"]["valid_loss"]) == 40
    assert peer["history"]["valid_accuracy"][-1] == 1.0
    assert peer["history"]["train_loss"][-1] < 0.1 < peer["history"]["train_loss"][0]
    ours_model = tiny_bert("sequence-classification", seed=0, dropout=0.0, **TINY)
    loader = make_text_loader(train, 8)
    ours = fit(ours_model, loader, loader, config)
    assert ours["history"]["valid_accuracy"][-1] == 1.0
    # Same model, same data, same first batch: the first epoch's loss is the same number.
    assert ours["history"]["train_loss"][0] == pytest.approx(peer["history"]["train_loss"][0], rel=1e-4)


def test_lora_trains_only_the_adapters_and_the_head():
    classifier = BertClassifier(tiny_bert("encoder", seed=0, **TINY), n_classes=2)
    total_before = count_parameters(classifier)
    add_lora(classifier, r=2, alpha=4)
    trainable = lora_parameter_names(classifier)
    assert trainable and all("lora_" in name or name.startswith("head.") for name in trainable)
    assert any("lora_A" in name for name in trainable) and any("head." in name for name in trainable)
    n_trainable = count_parameters(classifier, trainable_only=True)
    # r=2 adapters on query and value of one 16-wide layer: 2 × (2·16 + 16·2) = 128, head 17.
    assert n_trainable == 128 + 17
    assert count_parameters(classifier) == total_before + 128
    frozen_before = {name: p.detach().clone() for name, p in classifier.named_parameters() if not p.requires_grad}
    lora_before = {name: p.detach().clone() for name, p in classifier.named_parameters() if "lora_B" in name}
    train = _dataset(8, seed=2)
    fit(classifier, make_text_loader(train, 4), config=FitConfig(epochs=2, lr=1e-2, warmup_fraction=0.0, progress=False))
    after = dict(classifier.named_parameters())
    assert all(torch.equal(after[name], value) for name, value in frozen_before.items())
    assert any(not torch.equal(after[name], value) for name, value in lora_before.items())
