"""The fine-tuning loop, the text classifier's data side, checkpoints, resuming and DDP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from safetensors.torch import load_file  # noqa: E402

from tutorial_lib.models.pretrained import tiny_bert  # noqa: E402
from tutorial_lib.models.text_classifier import (  # noqa: E402
    BertClassifier,
    LengthBucketBatchSampler,
    PaddingCollator,
    TokenisedTextDataset,
    make_text_loader,
)
from tutorial_lib.training import checkpoints  # noqa: E402
from tutorial_lib.training.loop import (  # noqa: E402
    FitConfig,
    classification_loss,
    fit,
    linear_warmup_schedule,
    parameter_groups,
    predict_logits,
)

ROOT = Path(__file__).resolve().parents[1]
VOCAB_SIZE = 40


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def _examples(n: int, seed: int = 0, n_classes: int = 2):
    rng = np.random.default_rng(seed)
    input_ids = [[2, *rng.integers(5, VOCAB_SIZE, size=rng.integers(2, 10)).tolist(), 3] for _ in range(n)]
    labels = rng.integers(0, n_classes, size=n)
    return TokenisedTextDataset(input_ids, labels)


def _model(n_classes: int = 2, dropout: float = 0.1, seed: int = 0) -> BertClassifier:
    encoder = tiny_bert("encoder", seed=seed, vocab_size=VOCAB_SIZE, hidden_size=16, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=32, max_position_embeddings=16, dropout=dropout)
    torch.manual_seed(seed)
    return BertClassifier(encoder, n_classes=n_classes, dropout=dropout)


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------
def test_collate_pads_to_the_longest_and_masks_the_padding():
    examples = [{"input_ids": [2, 9, 3], "labels": 1}, {"input_ids": [2, 3], "labels": 0},
                {"input_ids": [2, 7, 8, 9, 3], "labels": 1}]
    batch = PaddingCollator(pad_token_id=0)(examples)
    assert batch["input_ids"].tolist() == [[2, 9, 3, 0, 0], [2, 3, 0, 0, 0], [2, 7, 8, 9, 3]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1, 0, 0], [1, 1, 0, 0, 0], [1, 1, 1, 1, 1]]
    assert batch["labels"].tolist() == [1, 0, 1]
    fixed = PaddingCollator(pad_token_id=0, pad_to=8)(examples)
    assert fixed["input_ids"].shape == (3, 8) and fixed["attention_mask"].sum().item() == 10
    with pytest.raises(ValueError, match="pad_to"):
        PaddingCollator(pad_to=4)(examples)


def test_padding_does_not_change_the_classifier_output():
    model = _model(dropout=0.0).eval()
    short = PaddingCollator()([{"input_ids": [2, 9, 3], "labels": 1}])
    padded = PaddingCollator(pad_to=12)([{"input_ids": [2, 9, 3], "labels": 1}])
    with torch.no_grad():
        alone = model(short["input_ids"], short["attention_mask"])
        with_padding = model(padded["input_ids"], padded["attention_mask"])
    torch.testing.assert_close(alone, with_padding, atol=1e-5, rtol=1e-5)


def test_ragged_token_lists_cannot_make_one_tensor():
    # What the sources do: one tensor from lists of different lengths.
    with pytest.raises(ValueError):
        torch.tensor([[2, 9, 3], [2, 3]])


def test_length_buckets_cover_every_example_once_and_pad_less():
    lengths = np.random.default_rng(1).integers(3, 200, size=400)
    bucketed = LengthBucketBatchSampler(lengths, batch_size=16, seed=0, pool_batches=10)
    bucketed.set_epoch(1)
    batches = list(bucketed)
    assert sorted(i for batch in batches for i in batch) == list(range(400))
    plain = [list(range(start, start + 16)) for start in range(0, 400, 16)]

    def padding(batches):
        return sum(len(b) * lengths[b].max() - lengths[b].sum() for b in batches)

    assert padding(batches) < 0.2 * padding(plain)
    bucketed.set_epoch(2)
    assert list(bucketed) != batches
    bucketed.set_epoch(1)
    assert list(bucketed) == batches


def test_dataset_checks_its_inputs():
    with pytest.raises(ValueError, match="labels"):
        TokenisedTextDataset([[2, 3]], [0, 1])
    with pytest.raises(ValueError, match="integers"):
        TokenisedTextDataset([[2, 3]], [0.5])


# ---------------------------------------------------------------------------------------------
# Pieces of the loop
# ---------------------------------------------------------------------------------------------
def test_no_weight_decay_on_biases_and_layer_norms():
    model = _model()
    decayed, not_decayed = parameter_groups(model, 0.01)
    names = {id(p): n for n, p in model.named_parameters()}
    assert all(p.ndim >= 2 for p in decayed["params"]) and decayed["weight_decay"] == 0.01
    not_decayed_names = [names[id(p)] for p in not_decayed["params"]]
    assert not_decayed["weight_decay"] == 0.0
    assert any("LayerNorm.weight" in n for n in not_decayed_names)
    assert all(n.endswith("bias") or "LayerNorm" in n for n in not_decayed_names)


def test_the_schedule_matches_transformers():
    from transformers import get_linear_schedule_with_warmup

    ours_optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    theirs_optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    ours = linear_warmup_schedule(ours_optimizer, 3, 10)
    theirs = get_linear_schedule_with_warmup(theirs_optimizer, 3, 10)
    for _ in range(10):
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr())
        ours_optimizer.step(), theirs_optimizer.step(), ours.step(), theirs.step()


def test_classification_loss_is_bce_for_one_logit_and_ce_for_several():
    logits = torch.tensor([0.3, -1.2])
    labels = torch.tensor([1, 0])
    expected = torch.nn.BCEWithLogitsLoss()(logits, labels.float())
    torch.testing.assert_close(classification_loss(logits, labels), expected)
    many = torch.tensor([[0.1, 2.0, -1.0], [1.0, 0.0, 0.0]])
    torch.testing.assert_close(classification_loss(many, torch.tensor([1, 0])),
                               torch.nn.CrossEntropyLoss()(many, torch.tensor([1, 0])))


def test_bad_config_values_are_named():
    with pytest.raises(ValueError, match="lr"):
        FitConfig(lr=0)
    with pytest.raises(ValueError, match="precision"):
        FitConfig(precision="fp8")
    with pytest.raises(ValueError, match="valid_loader"):
        fit(_model(), make_text_loader(_examples(4), 2), config=FitConfig(early_stopping_patience=1, progress=False))


# ---------------------------------------------------------------------------------------------
# The loop end to end
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n_classes", [2, 3])
def test_the_loop_overfits_a_tiny_fixed_batch(n_classes):
    dataset = _examples(8, seed=2, n_classes=n_classes)
    loader = make_text_loader(dataset, batch_size=8)
    model = _model(n_classes=n_classes, dropout=0.0)
    result = fit(model, loader, loader, FitConfig(epochs=60, lr=1e-2, warmup_fraction=0.0, progress=False))
    history = result["history"]
    assert history["train_loss"][-1] < 0.05 < history["train_loss"][0]
    assert history["valid_accuracy"][-1] == 1.0
    assert result["precision"] == "fp32"


def test_gradient_accumulation_equals_the_larger_batch():
    dataset = _examples(8, seed=3)
    one_big = _model(dropout=0.0)
    two_small = _model(dropout=0.0)
    config = FitConfig(epochs=2, lr=1e-3, warmup_fraction=0.0, progress=False)
    fit(one_big, make_text_loader(dataset, 8), config=config)
    fit(two_small, make_text_loader(dataset, 4), config=FitConfig(
        epochs=2, lr=1e-3, warmup_fraction=0.0, progress=False, gradient_accumulation_steps=2))
    for (name, a), b in zip(one_big.state_dict().items(), two_small.state_dict().values()):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4, msg=name)


def test_the_best_checkpoint_reloads_with_identical_logits(tmp_path):
    train, valid = _examples(16, seed=4), _examples(8, seed=5)
    model = _model()
    result = fit(model, make_text_loader(train, 4, shuffle=True), make_text_loader(valid, 8),
                 FitConfig(epochs=3, lr=1e-3, progress=False), checkpoint_dir=tmp_path)
    assert (tmp_path / "best" / "model.safetensors").is_file()
    assert result["best_epoch"] == 1 + int(np.argmin(result["history"]["valid_loss"]))
    reloaded = checkpoints.load_weights(_model(seed=9), tmp_path / "best")
    valid_loader = make_text_loader(valid, 8)
    expected, labels = predict_logits(model, valid_loader)
    got, _ = predict_logits(reloaded, valid_loader)
    np.testing.assert_array_equal(got, expected)
    # The file holds tensors only.
    assert set(load_file(tmp_path / "best" / "model.safetensors")) == set(model.state_dict())


def test_resuming_gives_the_same_loss_curve_as_an_uninterrupted_run(tmp_path):
    train, valid = _examples(20, seed=6), _examples(8, seed=7)
    config = FitConfig(epochs=4, lr=1e-3, progress=False, seed=11)

    def loaders():
        return make_text_loader(train, 4, shuffle=True, seed=1), make_text_loader(valid, 8)

    uninterrupted = fit(_model(), *loaders(), config, checkpoint_dir=tmp_path / "a")

    class Interrupted(Exception):
        pass

    def crash_after_epoch_2(row):
        if row["epoch"] == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        fit(_model(), *loaders(), config, checkpoint_dir=tmp_path / "b", on_epoch_end=crash_after_epoch_2)
    torch.manual_seed(123)  # the resumed run must not depend on the state the crash left behind
    np.random.seed(5)
    resumed_model = _model(seed=3)  # other initial weights: the checkpoint replaces them
    resumed = fit(resumed_model, *loaders(), config, checkpoint_dir=tmp_path / "b", resume=True)
    assert resumed["history"]["epoch"] == [1, 2, 3, 4]
    assert resumed["step_losses"] == uninterrupted["step_losses"]
    assert resumed["history"]["train_loss"] == uninterrupted["history"]["train_loss"]
    assert resumed["history"]["valid_loss"] == uninterrupted["history"]["valid_loss"]
    # Dropout was on, so equal curves also show the random-number state was restored.
    assert config.seed and resumed_model.dropout.p > 0


def test_early_stopping_stops_and_keeps_the_best(tmp_path):
    train, valid = _examples(16, seed=8), _examples(16, seed=9)  # unrelated labels: no real signal
    result = fit(_model(), make_text_loader(train, 4, shuffle=True), make_text_loader(valid, 16),
                 FitConfig(epochs=30, lr=5e-3, warmup_fraction=0.0, early_stopping_patience=2, progress=False),
                 checkpoint_dir=tmp_path)
    epochs_run = len(result["history"]["epoch"])
    assert result["stopped_early"] and epochs_run < 30
    assert epochs_run == result["best_epoch"] + 2


# ---------------------------------------------------------------------------------------------
# DDP: two CPU processes on gloo against one process on the same global batch
# ---------------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_two_process_ddp_equals_one_process_on_the_global_batch(tmp_path):
    environment = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT), "TQDM_DISABLE": "1"}
    module = ["-m", "tutorial_lib.training.distributed"]
    single = subprocess.run([sys.executable, *module, str(tmp_path / "one.safetensors"), "--batch-size", "8"],
                            env=environment, capture_output=True, text=True, timeout=300)
    assert single.returncode == 0, single.stderr[-3000:]
    launcher = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--master_addr=127.0.0.1",
                f"--master_port={_free_port()}"]
    ddp = subprocess.run([*launcher, *module, str(tmp_path / "two.safetensors"), "--batch-size", "4"],
                         env=environment, capture_output=True, text=True, timeout=300)
    assert ddp.returncode == 0, ddp.stderr[-3000:]
    one, two = load_file(tmp_path / "one.safetensors"), load_file(tmp_path / "two.safetensors")
    assert one.keys() == two.keys()
    initial = _model(dropout=0.0).state_dict()
    moved = 0
    for name in one:
        torch.testing.assert_close(two[name], one[name], atol=1e-5, rtol=1e-4, msg=name)
        moved += not torch.equal(one[name], initial[name]) if name in initial else 0
    assert moved > 0  # training changed the weights: the comparison is not of two untouched models
