"""Loading encoders by name or path (offline): tiny models saved and reloaded, clear errors."""

from __future__ import annotations

import time

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from tutorial_lib.models import pretrained  # noqa: E402
from tutorial_lib.models.pretrained import PretrainedModelUnavailableError  # noqa: E402

TINY = {"hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 32,
        "max_position_embeddings": 64}


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    """No test here may reach the network: the hub is switched off for each of them."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def tokenizer():
    return pretrained.bert_chinese_tokenizer()


def test_the_vocabulary_is_bert_base_chinese(tokenizer):
    assert len(tokenizer) == 21128
    ids = tokenizer("我爱北京")["input_ids"]
    tokens = tokenizer.convert_ids_to_tokens(ids)
    assert tokens == ["[CLS]", "我", "爱", "北", "京", "[SEP]"]
    # The ids are the line numbers of vocab.txt (0-based).
    lines = pretrained.bert_chinese_vocab_path().read_text(encoding="utf-8").split("\n")
    assert [lines[i] for i in ids] == tokens


@pytest.mark.parametrize("task", ["sequence-classification", "encoder", "masked-lm"])
def test_a_saved_tiny_model_reloads_by_path_with_identical_outputs(tmp_path, tokenizer, task):
    directory = pretrained.save_tiny_bert(tmp_path / "tiny", task=task, seed=3, tokenizer=tokenizer, **TINY)
    assert (directory / "model.safetensors").is_file()
    assert not (directory / "pytorch_model.bin").exists()
    original = pretrained.tiny_bert(task, seed=3, vocab_size=len(tokenizer), **TINY).eval()
    reloaded = pretrained.load_encoder_model(str(directory), task=task)
    batch = tokenizer(["好评，物流很快", "质量差"], padding=True, return_tensors="pt")
    with torch.no_grad():
        expected = original(**batch)[0]
        got = reloaded(**batch)[0]
    assert got.shape == expected.shape
    assert torch.equal(got, expected)
    reloaded_tokenizer = pretrained.load_tokenizer(directory)
    assert reloaded_tokenizer("质量差")["input_ids"] == tokenizer("质量差")["input_ids"]


def test_the_classification_head_has_num_labels_outputs(tmp_path, tokenizer):
    directory = pretrained.save_tiny_bert(tmp_path / "tiny", seed=0, tokenizer=tokenizer, **TINY)
    model = pretrained.load_encoder_model(directory, num_labels=10)
    batch = tokenizer(["手机"], return_tensors="pt")
    with torch.no_grad():
        assert model(**batch).logits.shape == (1, 10)


def test_the_seed_fixes_the_initial_weights():
    first = pretrained.tiny_bert(seed=1, vocab_size=50, **TINY)
    second = pretrained.tiny_bert(seed=1, vocab_size=50, **TINY)
    third = pretrained.tiny_bert(seed=2, vocab_size=50, **TINY)
    first_weights = first.bert.embeddings.word_embeddings.weight
    assert torch.equal(first_weights, second.bert.embeddings.word_embeddings.weight)
    assert not torch.equal(first_weights, third.bert.embeddings.word_embeddings.weight)


def test_an_unknown_name_offline_fails_fast_and_says_what_to_do():
    started = time.perf_counter()
    with pytest.raises(PretrainedModelUnavailableError) as caught:
        pretrained.load_encoder_model("no-such-org/no-such-bert-model")
    assert time.perf_counter() - started < 10
    message = str(caught.value)
    assert "offline" in message and "local directory" in message and "tiny_bert" in message
    assert isinstance(caught.value, OSError)


def test_bert_base_chinese_weights_offline_raise_the_clear_error():
    with pytest.raises(PretrainedModelUnavailableError, match="go online"):
        pretrained.load_encoder_model(pretrained.BERT_BASE_CHINESE)


def test_bert_base_chinese_tokenizer_works_offline():
    offline = pretrained.load_tokenizer(pretrained.BERT_BASE_CHINESE)
    ids = offline("数字2024和hello")["input_ids"]
    lines = pretrained.bert_chinese_vocab_path().read_text(encoding="utf-8").split("\n")
    assert [lines[i] for i in ids] == ["[CLS]", "数", "字", "202", "##4", "和", "hello", "[SEP]"]


def test_no_network_without_the_offline_switch_fails_fast(monkeypatch):
    # The switch is off, but no connection to the hub opens: no retries, the clear error.
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.delenv("TRANSFORMERS_OFFLINE")
    monkeypatch.setattr(pretrained, "_HUB_ADDRESS", ("127.0.0.1", 9))  # nothing listens there
    started = time.perf_counter()
    with pytest.raises(PretrainedModelUnavailableError, match="could not be reached"):
        pretrained.load_encoder_model("no-such-org/no-such-bert-model")
    assert pretrained.load_tokenizer(pretrained.BERT_BASE_CHINESE) is not None
    assert time.perf_counter() - started < 10


def test_a_missing_directory_is_named(tmp_path):
    with pytest.raises(PretrainedModelUnavailableError, match="not a directory"):
        pretrained.load_encoder_model(str(tmp_path / "missing"))
    with pytest.raises(PretrainedModelUnavailableError, match="not a directory"):
        pretrained.load_tokenizer(str(tmp_path / "missing"))


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="task"):
        pretrained.load_encoder_model("bert-base-chinese", task="regression")
    with pytest.raises(TypeError, match="name_or_path"):
        pretrained.load_encoder_model(42)
    with pytest.raises(ValueError, match="num_labels"):
        pretrained.load_encoder_model("bert-base-chinese", num_labels=0)
    with pytest.raises(ValueError, match="multiple"):
        pretrained.tiny_bert_config(hidden_size=10, num_attention_heads=3)


def test_count_parameters_counts_only_trainable_when_asked():
    model = pretrained.tiny_bert(vocab_size=50, **TINY)
    total = pretrained.count_parameters(model)
    for parameter in model.bert.parameters():
        parameter.requires_grad_(False)
    head = sum(p.numel() for p in model.classifier.parameters())
    assert pretrained.count_parameters(model, trainable_only=True) == head
    assert pretrained.count_parameters(model) == total > head
