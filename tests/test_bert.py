"""Our BERT, given a transformers BertModel's weights, gives BertModel's outputs.

Offline no pretrained weights exist, so the reference is a tiny randomly initialised
``BertModel`` of the real architecture, saved with ``save_pretrained`` (safetensors) and
loaded back by path, as a checkpoint from the hub would be.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from tutorial_lib.data.wordpiece import WordPieceTokenizer  # noqa: E402
from tutorial_lib.models.bert import BertEncoder, BertSizes, bert_from_hf, hf_to_our_name, load_bert_weights  # noqa: E402
from tutorial_lib.models.pretrained import load_encoder_model, save_tiny_bert  # noqa: E402

REVIEWS = [
    "这个手机很好用，电池也耐用！",
    "物流太慢了，等了一个星期才到",
    "iPhone 11 Pro 256G，价格3999元",
    "不错",
    "酒店位置很好，离地铁站only 5分钟，早餐一般般。服务员态度非常好，下次还来",
]


def _tiny_config(**changes):
    values = dict(
        vocab_size=21128,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    values.update(changes)
    return transformers.BertConfig(**values)


@pytest.fixture(scope="module")
def saved_tiny_bert(tmp_path_factory):
    """A tiny random BertModel written with save_pretrained (safetensors + config.json)."""
    folder = tmp_path_factory.mktemp("tiny-bert")
    save_tiny_bert(folder, task="encoder", seed=0, hidden_size=32, num_hidden_layers=2,
                   num_attention_heads=4, intermediate_size=64, max_position_embeddings=64)
    assert (folder / "model.safetensors").is_file()
    return folder


@pytest.fixture(scope="module")
def batch():
    encoded = WordPieceTokenizer().batch_encode(REVIEWS, max_length=48)
    batch = {name: torch.from_numpy(values) for name, values in encoded.items()}
    assert (batch["attention_mask"] == 0).any(), "the batch must contain padding"
    return batch


@pytest.mark.parametrize("attn_implementation", ["eager", "sdpa"])
def test_our_bert_equals_bert_model(saved_tiny_bert, batch, attn_implementation):
    theirs = load_encoder_model(saved_tiny_bert, task="encoder", attn_implementation=attn_implementation)
    assert isinstance(theirs, transformers.BertModel) and not theirs.training
    ours = bert_from_hf(theirs)
    assert not ours.training
    with torch.no_grad():
        expected = theirs(**batch)
        result = ours(**batch)
    real = batch["attention_mask"].bool()
    torch.testing.assert_close(result.last_hidden_state[real], expected.last_hidden_state[real], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(result.pooler_output, expected.pooler_output, atol=1e-5, rtol=1e-5)
    # The outputs depend on the padding mask: without it the real positions change.
    with torch.no_grad():
        unmasked = ours(batch["input_ids"], token_type_ids=batch["token_type_ids"])
    assert not torch.allclose(unmasked.last_hidden_state[real], expected.last_hidden_state[real], atol=1e-3)


def test_sentence_pairs_use_the_segment_embeddings(saved_tiny_bert):
    tokenizer = WordPieceTokenizer()
    pair = tokenizer.pad([tokenizer.encode("我喜欢这部电影", "科幻片"), tokenizer.encode("不喜欢", "爱情片")])
    pair = {name: torch.from_numpy(values) for name, values in pair.items()}
    assert (pair["token_type_ids"] == 1).any()
    theirs = transformers.BertModel.from_pretrained(saved_tiny_bert).eval()
    ours = bert_from_hf(theirs)
    with torch.no_grad():
        expected, result = theirs(**pair), ours(**pair)
    real = pair["attention_mask"].bool()
    torch.testing.assert_close(result.last_hidden_state[real], expected.last_hidden_state[real], atol=1e-5, rtol=1e-5)


def test_every_parameter_is_mapped_both_ways(saved_tiny_bert):
    theirs = transformers.BertModel.from_pretrained(saved_tiny_bert)
    ours = BertEncoder(BertSizes.from_hf_config(theirs.config))
    mapped = {hf_to_our_name(name) for name, _ in theirs.named_parameters()}
    assert mapped == {name for name, _ in ours.named_parameters()}
    assert sum(p.numel() for p in ours.parameters()) == sum(p.numel() for p in theirs.parameters())
    load_bert_weights(ours, theirs)
    np.testing.assert_array_equal(
        ours.blocks[1].feed_forward.input.weight.detach().numpy(),
        theirs.encoder.layer[1].intermediate.dense.weight.detach().numpy(),
    )


def test_a_classification_model_gives_its_encoder(saved_tiny_bert, batch):
    classifier = transformers.BertForSequenceClassification.from_pretrained(saved_tiny_bert, num_labels=2).eval()
    ours = bert_from_hf(classifier)
    with torch.no_grad():
        expected = classifier.bert(**batch).pooler_output
        torch.testing.assert_close(ours(**batch).pooler_output, expected, atol=1e-5, rtol=1e-5)


def test_the_default_sizes_are_bert_base_chinese():
    sizes = BertSizes()
    reference = transformers.BertConfig(vocab_size=21128)  # BertConfig's defaults are bert-base
    assert dataclasses.replace(BertSizes.from_hf_config(reference)) == sizes


def test_mismatches_are_refused(saved_tiny_bert):
    theirs = transformers.BertModel.from_pretrained(saved_tiny_bert)
    wider = BertEncoder(BertSizes(vocab_size=21128, hidden_size=64, n_layers=2, n_heads=4, intermediate_size=64, max_position_embeddings=64))
    with pytest.raises(ValueError, match="config gives"):
        load_bert_weights(wider, theirs)
    ours = BertEncoder(BertSizes.from_hf_config(theirs.config))
    theirs.register_parameter("extra_scale", torch.nn.Parameter(torch.ones(1)))
    with pytest.raises(ValueError, match="extra_scale"):
        load_bert_weights(ours, theirs)
    with pytest.raises(TypeError, match="hf_model"):
        load_bert_weights(ours, torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="hidden_act"):
        BertSizes.from_hf_config(_tiny_config(hidden_act="relu"))
    with pytest.raises(ValueError, match="input_ids"):
        ours(torch.zeros(2, 65, dtype=torch.long))
    with pytest.raises(ValueError, match="attention_mask"):
        ours(torch.zeros(2, 5, dtype=torch.long), attention_mask=torch.ones(2, 4))
