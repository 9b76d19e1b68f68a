"""The tokeniser by hand gives transformers' ids; the MLM masking follows the 80/10/10 rule.

The references are built from the bundled vocabulary file, offline, by path:
``BertTokenizerFast`` (Rust, the one everybody uses) and transformers' pure-Python
tokenizer (``BertTokenizer`` in transformers 4.x, ``BertTokenizerLegacy`` in 5.x).
"""

from __future__ import annotations

import hashlib
import os
import shutil

import numpy as np
import pytest

from tutorial_lib.data.wordpiece import (
    IGNORE_INDEX,
    VOCAB_FILE,
    VOCAB_MD5,
    WordPieceTokenizer,
    basic_tokenize,
    load_vocab,
    mask_tokens,
    split_punctuation,
    wordpiece,
)

transformers = pytest.importorskip("transformers")

MIRROR = os.environ.get("TUTORIAL_DATA_MIRROR", "").strip()
needs_mirror = pytest.mark.skipif(not MIRROR, reason="TUTORIAL_DATA_MIRROR is not set (the real data is not here)")

# Hand-written texts, one per kind of input the reviews contain (and some they rarely do).
EDGE_TEXTS = [
    "这个手机很好用，电池也耐用！",  # Chinese with full-width punctuation
    "The battery life is unbelievable, unaffable customers.",  # English: word pieces
    "2019年买的，用了12345678天，价格3999.00元",  # digits: runs of digits are cut into pieces
    "华为P30 Pro和iPhone XS比，HUAWEI更好",  # mixed scripts, upper case
    "ＡＢＣ１２３，全角字母和数字",  # full-width letters and digits
    "太棒了😀👍🏻，五星好评❤️",  # emoji and a variation selector
    "Café naïve résumé ÉCOLE",  # accents are stripped after lower-casing
    "tab\there\nnewline\u3000ideographic space\u00a0nbsp",  # kinds of white space
    "zero\u200bwidth and control\x07 and \ufffd replacement",  # removed characters
    "ｶﾀｶﾅ カタカナ ひらがな 한국어",  # kana and hangul are not split per character
    "a" * 101 + " " + "b" * 100,  # longer than 100 characters → [UNK]
    "$100 ^_^ `code` ~~~ @user #tag",  # ASCII symbols count as punctuation
    "",  # empty
    "   ",  # only spaces
    "𠀀𠀁 CJK extension B",  # characters outside the basic plane
]


def _python_tokenizer_class():
    """transformers' pure-Python BERT tokenizer under its 4.x or 5.x name."""
    try:
        from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy
    except ImportError:  # transformers 4.x: BertTokenizer is the Python one
        from transformers import BertTokenizer as BertTokenizerLegacy
    return BertTokenizerLegacy


@pytest.fixture(scope="module")
def vocab_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bert-vocab")
    shutil.copy(VOCAB_FILE, folder / "vocab.txt")
    return folder


@pytest.fixture(scope="module")
def ours():
    return WordPieceTokenizer()


@pytest.fixture(scope="module")
def fast(vocab_dir):
    tokenizer = transformers.BertTokenizerFast.from_pretrained(str(vocab_dir))
    assert tokenizer.is_fast and tokenizer.vocab_size == 21128
    return tokenizer


@pytest.fixture(scope="module")
def python_reference(vocab_dir):
    tokenizer = _python_tokenizer_class().from_pretrained(str(vocab_dir))
    assert not tokenizer.is_fast
    return tokenizer


def test_the_bundled_vocabulary_is_bert_base_chinese():
    assert hashlib.md5(VOCAB_FILE.read_bytes()).hexdigest() == VOCAB_MD5
    vocab = load_vocab()
    assert len(vocab) == 21128
    assert [vocab[token] for token in ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")] == [0, 100, 101, 102, 103]


def test_basic_tokenisation_by_hand():
    assert basic_tokenize("iPhone很好用，5星！") == ["iphone", "很", "好", "用", "，", "5", "星", "！"]
    assert basic_tokenize("Café") == ["cafe"]
    assert basic_tokenize("Café", lower_case=False) == ["Café"]
    assert split_punctuation("a,b!!c") == ["a", ",", "b", "!", "!", "c"]
    assert basic_tokenize("a\tb\u3000c\x07d") == ["a", "b", "cd"]  # a control character is dropped


def test_wordpiece_is_greedy_longest_match_first():
    vocab = {"un": 0, "##aff": 1, "##able": 2, "##a": 3, "##ff": 4, "[UNK]": 5}
    assert wordpiece("unaffable", vocab) == ["un", "##aff", "##able"]
    assert wordpiece("unaffablex", vocab) == ["[UNK]"]  # one unmatched part: the whole word
    assert wordpiece("u" * 101, {"u": 0, "##u": 1}) == ["[UNK]"]
    assert wordpiece("u" * 100, {"u": 0, "##u": 1}) == ["u"] + ["##u"] * 99


@pytest.mark.parametrize("text", EDGE_TEXTS)
def test_edge_texts_match_both_reference_tokenizers(ours, fast, python_reference, text):
    expected = fast(text)["input_ids"]
    assert ours.encode(text).input_ids == expected
    assert python_reference(text)["input_ids"] == expected
    assert ours.tokenize(text) == fast.tokenize(text)


@needs_mirror
def test_real_reviews_match_both_reference_tokenizers(ours, fast, python_reference):
    from tutorial_lib.data.datasets import REVIEW_CORPORA, load_reviews

    rng = np.random.default_rng(0)
    texts = []
    for corpus in REVIEW_CORPORA:
        reviews = load_reviews(corpus)["text"].tolist()
        texts += [reviews[i] for i in rng.choice(len(reviews), size=700, replace=False)]
    assert len(texts) == 2100
    expected = fast(texts)
    ours_encoded = [ours.encode(text) for text in texts]
    mismatched = [text for text, ids, ref in zip(texts, ours_encoded, expected["input_ids"]) if ids.input_ids != ref]
    assert not mismatched, f"{len(mismatched)} reviews differ, e.g. {mismatched[0][:80]!r}"
    assert [encoding.token_type_ids for encoding in ours_encoded] == expected["token_type_ids"]
    assert [encoding.attention_mask for encoding in ours_encoded] == expected["attention_mask"]
    python_ids = [python_reference(text)["input_ids"] for text in texts[::7]]
    assert python_ids == expected["input_ids"][::7]
    # The texts are real reviews: most hold Chinese, some English words and digits.
    assert sum(any("a" <= char <= "z" for char in text.lower()) for text in texts) > 100
    assert sum(any(char.isdigit() for char in text) for text in texts) > 100


@pytest.mark.parametrize("max_length", [4, 8, 17, 64])
def test_truncation_and_padding_match_the_fast_tokenizer(ours, fast, max_length):
    texts = EDGE_TEXTS[:6]
    expected = fast(texts, max_length=max_length, truncation=True, padding="max_length", return_tensors="np")
    batch = ours.batch_encode(texts, max_length=max_length, padding="max_length")
    for field in ("input_ids", "token_type_ids", "attention_mask"):
        np.testing.assert_array_equal(batch[field], expected[field])
    dynamic = ours.batch_encode(texts, max_length=max_length, padding="longest")
    expected_dynamic = fast(texts, max_length=max_length, truncation=True, padding="longest", return_tensors="np")
    np.testing.assert_array_equal(dynamic["input_ids"], expected_dynamic["input_ids"])
    np.testing.assert_array_equal(dynamic["attention_mask"], expected_dynamic["attention_mask"])


@pytest.mark.parametrize("max_length", [5, 6, 9, 12, 20, 40])
@pytest.mark.parametrize("pair", [(0, 1), (1, 0), (2, 3), (4, 4), (5, 2)])
def test_text_pairs_match_the_fast_tokenizer(ours, fast, pair, max_length):
    first, second = EDGE_TEXTS[pair[0]], EDGE_TEXTS[pair[1]]
    expected = fast(first, second, max_length=max_length, truncation=True)
    encoding = ours.encode(first, second, max_length=max_length)
    assert encoding.input_ids == expected["input_ids"]
    assert encoding.token_type_ids == expected["token_type_ids"]
    assert ours.encode(first, second).input_ids == fast(first, second)["input_ids"]


def test_decode_matches_the_python_tokenizer(ours, python_reference):
    # The fast tokenizer's decoder also glues punctuation to the word before ("customers ."
    # becomes "customers."); the Python one, without clean-up, only joins the ## pieces.
    for text in EDGE_TEXTS[:8]:
        ids = python_reference(text)["input_ids"]
        expected = python_reference.decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=False)
        assert ours.decode(ids) == expected
    assert ours.decode(ours.encode("unaffable").input_ids) == "unaffable"
    assert ours.decode([101, 102], skip_special_tokens=False) == "[CLS] [SEP]"


def test_special_tokens_mask_matches_transformers(ours, fast):
    ids = fast(EDGE_TEXTS[:6], padding="longest")["input_ids"]
    expected = [fast.get_special_tokens_mask(row, already_has_special_tokens=True) for row in ids]
    np.testing.assert_array_equal(ours.special_tokens_mask(np.array(ids)), np.array(expected, dtype=bool))


def test_bad_arguments_are_named(ours, tmp_path):
    with pytest.raises(TypeError, match="text"):
        ours.tokenize(None)
    with pytest.raises(ValueError, match="max_length"):
        ours.encode("好", max_length=2)
    with pytest.raises(ValueError, match="padding"):
        ours.batch_encode(["好"], padding="left")
    with pytest.raises(ValueError, match="max_length"):
        ours.batch_encode(["好"], padding="max_length")
    with pytest.raises(TypeError, match="texts"):
        ours.batch_encode("好")
    with pytest.raises(ValueError, match="ids"):
        ours.convert_ids_to_tokens([21128])
    with pytest.raises(FileNotFoundError, match="path"):
        load_vocab(tmp_path / "missing.txt")
    (tmp_path / "vocab.txt").write_text("a\nb\n", encoding="utf-8")
    with pytest.raises(ValueError, match="special tokens"):
        load_vocab(tmp_path / "vocab.txt")


# ---------------------------------------------------------------------------------------------
# Masked language modelling
# ---------------------------------------------------------------------------------------------
def _mlm_batch(ours):
    """A padded batch of real-looking text: (batch, seq_len) ids and its special-token mask."""
    texts = [text for text in EDGE_TEXTS if text.strip()] * 4
    batch = ours.batch_encode(texts, max_length=48)
    return batch["input_ids"], ours.special_tokens_mask(batch["input_ids"])


def _mlm_rates(input_ids, special, masked_ids, labels, mask_token_id):
    """(chosen / eligible, [MASK] / chosen, changed to another token / chosen, unchanged / chosen)."""
    chosen = labels != IGNORE_INDEX
    assert not (chosen & special).any(), "a special token was chosen"
    np.testing.assert_array_equal(labels[chosen], input_ids[chosen])
    np.testing.assert_array_equal(masked_ids[~chosen], input_ids[~chosen])
    n_chosen = chosen.sum()
    as_mask = (masked_ids == mask_token_id) & chosen
    unchanged = (masked_ids == input_ids) & chosen
    other = chosen & ~as_mask & ~unchanged
    return np.array([n_chosen / (~special).sum(), as_mask.sum() / n_chosen, other.sum() / n_chosen, unchanged.sum() / n_chosen])


def test_mask_tokens_follows_the_80_10_10_rule(ours):
    input_ids, special = _mlm_batch(ours)
    draws = [mask_tokens(input_ids, special_tokens_mask=special, mask_token_id=ours.mask_id, vocab_size=len(ours), seed=seed) for seed in range(300)]
    rates = np.mean([_mlm_rates(input_ids, special, *draw, ours.mask_id) for draw in draws], axis=0)
    np.testing.assert_allclose(rates, [0.15, 0.8, 0.1, 0.1], atol=0.01)
    again = mask_tokens(input_ids, special_tokens_mask=special, mask_token_id=ours.mask_id, vocab_size=len(ours), seed=0)
    np.testing.assert_array_equal(again[0], draws[0][0])  # seeded
    # Every eligible position is chosen at the same rate (no position is favoured).
    chosen_per_position = np.mean([labels != IGNORE_INDEX for _, labels in draws], axis=0)[~special]
    assert chosen_per_position.min() > 0.15 - 5 * np.sqrt(0.15 * 0.85 / 300)


def test_mask_tokens_matches_the_transformers_collator_in_distribution(ours, fast):
    torch = pytest.importorskip("torch")
    input_ids, special = _mlm_batch(ours)
    collator = transformers.DataCollatorForLanguageModeling(tokenizer=fast, mlm_probability=0.15)
    examples = [{"input_ids": row.tolist()} for row in input_ids]
    theirs, ours_rates = [], []
    for seed in range(200):
        torch.manual_seed(seed)
        batch = collator(examples)
        theirs.append(_mlm_rates(input_ids, special, batch["input_ids"].numpy(), batch["labels"].numpy(), ours.mask_id))
        draw = mask_tokens(input_ids, special_tokens_mask=special, mask_token_id=ours.mask_id, vocab_size=len(ours), seed=seed)
        ours_rates.append(_mlm_rates(input_ids, special, *draw, ours.mask_id))
    # Each mean over 200 batches of ~1,500 eligible tokens: standard errors below 0.005.
    np.testing.assert_allclose(np.mean(ours_rates, axis=0), np.mean(theirs, axis=0), atol=0.012)


def test_mask_tokens_checks_its_arguments(ours):
    input_ids, special = _mlm_batch(ours)
    with pytest.raises(ValueError, match="special_tokens_mask"):
        mask_tokens(input_ids, special_tokens_mask=special[:, 1:], mask_token_id=103, vocab_size=21128)
    with pytest.raises(ValueError, match="input_ids"):
        mask_tokens(input_ids.astype(float), special_tokens_mask=special, mask_token_id=103, vocab_size=21128)
    with pytest.raises(ValueError, match="mask_token_id"):
        mask_tokens(input_ids, special_tokens_mask=special, mask_token_id=21128, vocab_size=21128)
