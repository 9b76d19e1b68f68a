"""Tests for tutorial_lib.data.text: normalisation, jieba wrappers, stop words, keywords, vocabularies."""

from __future__ import annotations

import importlib.resources
import logging
import subprocess
import sys
import textwrap
import unicodedata

import jieba
import numpy as np
import pytest

from tutorial_lib.data import text
from tutorial_lib.data.text import (
    DIGIT_MASK,
    PAD_TOKEN,
    UNK_TOKEN,
    Vocabulary,
    add_user_words,
    extract_keywords,
    fullwidth_to_halfwidth,
    initialize_jieba,
    load_stopwords,
    load_user_dict,
    normalize_text,
    pad_sequences,
    pos_tag,
    remove_stopwords,
    segment,
    tokenize_for_model,
)

# An invented review: full-width punctuation, a book title in 《》, a compound that search
# mode splits (小龙虾), and an intensifier (非常) that jieba keeps but our stop list drops.
REVIEW = "我很喜欢这家店的小龙虾，尤其是麻辣口味。昨天还买了《三体》，送货非常快！"


# --- quiet jieba ---------------------------------------------------------------------------


@pytest.fixture
def jieba_log_to_current_stderr(monkeypatch):
    """Point jieba's log handler at the current sys.stderr (the one capfd watches).

    jieba creates its StreamHandler when it is imported, bound to whatever sys.stderr was then
    (under pytest, a capture file that may since have been closed), so capfd would not see its
    lines otherwise. In a notebook that stream is the kernel's stderr.
    """
    monkeypatch.setattr(jieba.log_console, "stream", sys.stderr)
    old_level = logging.getLogger("jieba").level
    yield
    jieba.setLogLevel(old_level)


def test_default_jieba_logging_would_reach_stderr(capfd, jieba_log_to_current_stderr):
    # The control experiment: with jieba's own DEBUG level, loading a dictionary prints its
    # progress to stderr. If this test failed, the next one would prove nothing.
    jieba.setLogLevel(logging.DEBUG)
    jieba.Tokenizer().initialize()
    captured = capfd.readouterr()
    assert "Prefix dict has been built" in captured.err


def test_initialize_jieba_writes_nothing_to_stderr(capfd, jieba_log_to_current_stderr):
    jieba.setLogLevel(logging.DEBUG)  # as if someone had turned the chatter back on
    fresh_tokenizer = jieba.Tokenizer()
    initialize_jieba(fresh_tokenizer)
    captured = capfd.readouterr()
    assert fresh_tokenizer.initialized
    assert captured.err == ""
    assert captured.out == ""


def test_fresh_interpreter_prints_nothing_to_stderr():
    # End to end, as in a notebook kernel: import, segment, tag and extract keywords in a new
    # Python process with every warning shown, and require an empty stderr.
    script = textwrap.dedent(
        f"""
        import tutorial_lib.data.text as t
        t.segment({REVIEW!r})
        t.pos_tag({REVIEW!r})
        t.extract_keywords({REVIEW!r}, method="tfidf")
        t.extract_keywords({REVIEW!r}, method="textrank")
        print("done")
        """
    )
    result = subprocess.run(
        [sys.executable, "-W", "default", "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "done"
    assert result.stderr == ""


# --- normalize_text --------------------------------------------------------------------------


def test_fullwidth_letters_digits_and_marks_map_to_ascii():
    # U+FF21 'Ａ' - 0xFEE0 = U+0041 'A'; U+FF11 '１' -> '1'; U+FF01 '！' -> '!'.
    assert fullwidth_to_halfwidth("ＡＢＣ１２３！") == "ABC123!"
    assert fullwidth_to_halfwidth("\uff0c") == ","  # the Chinese comma is in the full-width block
    assert fullwidth_to_halfwidth("\u3000") == " "  # ideographic space
    # CJK punctuation outside U+FF01..U+FF5E is untouched by half-width conversion.
    assert fullwidth_to_halfwidth("。、《》“”") == "。、《》“”"


def test_every_fullwidth_character_maps_to_the_ascii_character_0xfee0_below():
    fullwidth = "".join(chr(code) for code in range(0xFF01, 0xFF5F))
    ascii_printable = "".join(chr(code) for code in range(0x21, 0x7F))
    assert fullwidth_to_halfwidth(fullwidth) == ascii_printable
    # NFKC, the standard library's compatibility normalisation, agrees on this block.
    assert unicodedata.normalize("NFKC", fullwidth) == ascii_printable


def test_normalize_text_defaults():
    assert normalize_text("ＨＥＬＬＯ，　Ｗｏｒｌｄ！") == "hello, world!"
    assert normalize_text("  好看\t\n 的 \u3000电影  ") == "好看 的 电影"


def test_normalize_text_removes_bom_and_zero_width_characters():
    assert normalize_text("\ufeff你好\u200b世界\u200d") == "你好世界"
    assert normalize_text("\ufeff你好", strip_bom=False) == "\ufeff你好"


def test_normalize_text_switches_are_independent():
    assert normalize_text("ＡＢ", to_halfwidth=False) == "ａｂ"  # str.lower knows full-width letters
    assert normalize_text("ＡＢ", lowercase=False) == "AB"
    assert normalize_text("a  b", collapse_whitespace=False) == "a  b"


def test_normalize_text_masks_digit_runs():
    assert normalize_text("2024年3月, 售价１９９元", digits="mask") == "0年0月, 售价0元"
    # Full-width digits are masked even without half-width conversion (\d is Unicode-aware).
    assert normalize_text("１９９元", to_halfwidth=False, digits="mask") == f"{DIGIT_MASK}元"
    assert normalize_text("2024年") == "2024年"


def test_normalize_text_removes_punctuation_of_both_widths():
    assert normalize_text("你好，世界！hello, world.", punctuation="remove") == "你好 世界 hello world"
    assert normalize_text("《三体》。“好看”、", punctuation="remove") == "三体 好看"
    # Unicode symbols (category S*) are not punctuation and stay.
    assert normalize_text("c++ $5", punctuation="remove") == "c++ $5"


def test_normalize_text_unifies_punctuation_to_ascii():
    assert normalize_text("《三体》。“好”、‘棒’……", punctuation="unify") == "<三体>.\"好\",'棒'......"
    # Without half-width conversion the full-width marks are unified too.
    assert normalize_text("好，棒！", to_halfwidth=False, punctuation="unify") == "好,棒!"
    unified = normalize_text(REVIEW, punctuation="unify")
    remaining_marks = [c for c in unified if unicodedata.category(c).startswith("P")]
    assert remaining_marks and all(c.isascii() for c in remaining_marks)


def test_normalize_text_rejects_bad_arguments():
    with pytest.raises(TypeError, match="text"):
        normalize_text(None)
    with pytest.raises(TypeError, match="text"):
        normalize_text(float("nan"))
    with pytest.raises(ValueError, match="digits"):
        normalize_text("x", digits="drop")
    with pytest.raises(ValueError, match="punctuation"):
        normalize_text("x", punctuation="strip")


# --- segmentation ------------------------------------------------------------------------------


def test_segment_returns_a_list_that_can_be_read_twice():
    tokens = segment(REVIEW)
    assert isinstance(tokens, list)
    assert [t for t in tokens] == [t for t in tokens]
    assert len(tokens) > 5


def test_jieba_cut_generator_is_empty_the_second_time():
    # The bug in the source article, kept as a runnable warning: jieba.cut is a generator.
    generator = jieba.cut(REVIEW)
    first_pass = list(generator)
    second_pass = list(generator)
    assert first_pass == segment(REVIEW)
    assert second_pass == []


def test_precise_mode_partitions_the_text():
    tokens = segment(REVIEW, mode="precise")
    assert "".join(tokens) == REVIEW  # every character in exactly one token
    assert "小龙虾" in tokens
    assert "喜欢" in tokens


def test_search_mode_adds_overlapping_shorter_words():
    precise = segment(REVIEW, mode="precise")
    search = segment(REVIEW, mode="search")
    assert len(search) > len(precise)
    assert set(precise) <= set(search)
    assert {"小龙", "龙虾", "小龙虾"} <= set(search)
    # Overlap: the tokens together are longer than the text.
    assert sum(len(token) for token in search) > len(REVIEW)


def test_full_mode_lists_every_dictionary_word():
    full = segment("电子书阅读器", mode="full")
    assert {"电子书", "阅读器", "阅读"} <= set(full)


def test_segment_rejects_bad_arguments():
    with pytest.raises(TypeError, match="text"):
        segment(["电影"])
    with pytest.raises(ValueError, match="mode"):
        segment("电影", mode="fast")


def test_add_user_words_keeps_a_new_compound_whole():
    made_up = "喵星人推荐官"  # a made-up compound, not in jieba's dictionary
    sentence = f"这位{made_up}很专业"
    assert made_up not in segment(sentence)  # precondition: jieba cuts it by default
    try:
        add_user_words([made_up])
        assert made_up in segment(sentence)
    finally:
        jieba.del_word(made_up)
    assert made_up not in segment(sentence)


def test_add_user_words_rejects_a_single_string():
    with pytest.raises(TypeError, match="words"):
        add_user_words("喵星人推荐官")
    with pytest.raises(ValueError, match="words"):
        add_user_words(["  "])


def test_load_user_dict(tmp_path):
    made_up = "汪星人评审团"
    sentence = f"{made_up}打了高分"
    assert made_up not in segment(sentence)
    dictionary = tmp_path / "user_dict.txt"
    dictionary.write_text(f"{made_up} 100 nz\n", encoding="utf-8")
    try:
        load_user_dict(dictionary)
        assert made_up in segment(sentence)
        assert (made_up, "nz") in pos_tag(sentence)
    finally:
        jieba.del_word(made_up)
    with pytest.raises(FileNotFoundError, match="path"):
        load_user_dict(tmp_path / "missing.txt")


def test_pos_tag_returns_word_tag_tuples():
    tagged = pos_tag("张三在北京大学读书，他喜欢看电影")
    assert isinstance(tagged, list)
    assert all(isinstance(pair, tuple) and len(pair) == 2 for pair in tagged)
    tags = dict(tagged)
    assert tags["张三"] == "nr"  # person name
    assert tags["喜欢"] == "v"  # verb
    assert tags["在"] == "p"  # preposition
    assert "".join(word for word, _ in tagged) == "张三在北京大学读书，他喜欢看电影"


# --- stop words ----------------------------------------------------------------------------------


def _stopword_file_entries() -> list[str]:
    resource = importlib.resources.files("tutorial_lib").joinpath("resources", "stopwords_zh.txt")
    lines = resource.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_stopword_list_contents():
    stopwords = load_stopwords()
    assert isinstance(stopwords, frozenset)
    assert 300 <= len(stopwords) <= 800
    assert {"的", "了", "是", "我们", "，", "。", ",", "the"} <= stopwords
    # Negations stay: removing them would reverse the meaning of a review.
    assert not {"不", "没", "没有", "别", "not"} & stopwords
    # Comment lines are skipped.
    assert not any(entry.startswith("#") for entry in stopwords)


def test_stopword_file_has_a_header_and_no_duplicates():
    resource = importlib.resources.files("tutorial_lib").joinpath("resources", "stopwords_zh.txt")
    first_line = resource.read_text(encoding="utf-8").splitlines()[0]
    assert first_line.startswith("#")
    entries = _stopword_file_entries()
    assert len(entries) == len(set(entries))
    assert set(entries) == load_stopwords()


def test_remove_stopwords():
    tokens = ["我", "喜欢", "的", "电影", "，", " ", "\u3000", "！"]
    assert remove_stopwords(tokens) == ["喜欢", "电影"]
    assert remove_stopwords(tokens, stopwords={"电影"}) == ["我", "喜欢", "的", "，", "！"]
    assert remove_stopwords(tokens, stopwords=frozenset()) == ["我", "喜欢", "的", "电影", "，", "！"]
    with pytest.raises(TypeError, match="tokens"):
        remove_stopwords("我喜欢电影")


def test_tokenize_for_model_pipeline():
    tokens = tokenize_for_model("\ufeff我很喜欢这家店的小龙虾！ＸＬ份量  很足")
    assert isinstance(tokens, list)
    assert "小龙虾" in tokens and "喜欢" in tokens
    assert "xl" in tokens  # half-width and lower-cased
    stopwords = load_stopwords()
    assert not [token for token in tokens if token in stopwords or not token.strip()]


# --- keywords ----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["tfidf", "textrank"])
def test_extract_keywords_are_words_of_the_text(method):
    keywords = extract_keywords(REVIEW, top_k=3, method=method)
    assert isinstance(keywords, list)
    assert 1 <= len(keywords) <= 3
    stopwords = load_stopwords()
    for keyword in keywords:
        assert isinstance(keyword, str)
        assert keyword in REVIEW
        assert keyword not in stopwords


@pytest.mark.parametrize("method", ["tfidf", "textrank"])
def test_extract_keywords_with_weights_are_sorted(method):
    weighted = extract_keywords(REVIEW, top_k=10, method=method, with_weights=True)
    weights = [weight for _, weight in weighted]
    assert all(isinstance(word, str) and isinstance(weight, float) for word, weight in weighted)
    assert weights == sorted(weights, reverse=True)
    assert [word for word, _ in weighted] == extract_keywords(REVIEW, top_k=10, method=method)


def test_extract_keywords_drops_our_stopwords_that_jieba_keeps():
    jieba_words = [word for word, _ in extract_keywords(REVIEW, top_k=50, stopwords=frozenset(), with_weights=True)]
    ours = extract_keywords(REVIEW, top_k=50)
    assert "非常" in jieba_words
    assert "非常" not in ours


def test_extract_keywords_allow_pos():
    tags = dict(pos_tag(REVIEW))
    nouns = extract_keywords(REVIEW, top_k=10, allow_pos=("n",))
    assert nouns
    assert all(tags.get(word) == "n" for word in nouns)


def test_extract_keywords_rejects_bad_arguments():
    with pytest.raises(ValueError, match="method"):
        extract_keywords(REVIEW, method="lda")
    with pytest.raises(ValueError, match="top_k"):
        extract_keywords(REVIEW, top_k=0)
    with pytest.raises(TypeError, match="allow_pos"):
        extract_keywords(REVIEW, allow_pos="n")


# --- vocabulary and padding --------------------------------------------------------------------

TOKEN_LISTS = [["a", "b", "a"], ["b", "c", "a"], ["d"]]  # counts: a 3, b 2, c 1, d 1


def test_vocabulary_ids_follow_frequency_then_token():
    vocabulary = Vocabulary(TOKEN_LISTS)
    # <pad>=0, <unk>=1, then a (3), b (2), then c and d (1 each) in alphabetical order.
    assert vocabulary.id_to_token == [PAD_TOKEN, UNK_TOKEN, "a", "b", "c", "d"]
    assert vocabulary.token_to_id == {PAD_TOKEN: 0, UNK_TOKEN: 1, "a": 2, "b": 3, "c": 4, "d": 5}
    assert len(vocabulary) == 6
    assert vocabulary.counts["a"] == 3
    # Order of the input texts does not change the ids.
    assert Vocabulary(list(reversed(TOKEN_LISTS))).id_to_token == vocabulary.id_to_token


def test_vocabulary_min_freq_and_max_size():
    assert Vocabulary(TOKEN_LISTS, min_freq=2).id_to_token == [PAD_TOKEN, UNK_TOKEN, "a", "b"]
    assert Vocabulary(TOKEN_LISTS, max_size=3).id_to_token == [PAD_TOKEN, UNK_TOKEN, "a"]
    assert len(Vocabulary(TOKEN_LISTS, max_size=2)) == 2


def test_vocabulary_unknown_tokens_and_round_trip():
    vocabulary = Vocabulary(TOKEN_LISTS, min_freq=2)
    assert vocabulary.encode(["a", "z", "c", "b"]) == [2, 1, 1, 3]
    tokens = ["b", "a", "a"]
    assert vocabulary.decode(vocabulary.encode(tokens)) == tokens
    assert vocabulary.decode([2, 0, 0], skip_pad=True) == ["a"]
    assert "a" in vocabulary and "z" not in vocabulary


def test_vocabulary_reserved_tokens_in_data_keep_reserved_ids():
    vocabulary = Vocabulary([["<pad>", "x", "<unk>"]])
    assert vocabulary.id_to_token == [PAD_TOKEN, UNK_TOKEN, "x"]
    assert vocabulary.encode(["<unk>", "<pad>"]) == [1, 0]


def test_vocabulary_rejects_bad_input():
    with pytest.raises(TypeError, match="token_lists"):
        Vocabulary(["abc", "de"])
    with pytest.raises(ValueError, match="min_freq"):
        Vocabulary(TOKEN_LISTS, min_freq=0)
    with pytest.raises(ValueError, match="max_size"):
        Vocabulary(TOKEN_LISTS, max_size=1)
    vocabulary = Vocabulary(TOKEN_LISTS)
    with pytest.raises(TypeError, match="tokens"):
        vocabulary.encode("ab")
    with pytest.raises(ValueError, match="ids"):
        vocabulary.decode([len(vocabulary)])


def test_pad_sequences_pads_and_truncates():
    sequences = [[5, 6, 7, 8], [9], []]
    padded, lengths = pad_sequences(sequences, max_len=3)
    assert padded.dtype == np.int64 and padded.shape == (3, 3)
    np.testing.assert_array_equal(padded, [[5, 6, 7], [9, 0, 0], [0, 0, 0]])
    np.testing.assert_array_equal(lengths, [3, 1, 0])
    assert lengths.dtype == np.int64

    padded_pre, lengths_pre = pad_sequences(sequences, max_len=3, truncating="pre", pad_id=99)
    np.testing.assert_array_equal(padded_pre, [[6, 7, 8], [9, 99, 99], [99, 99, 99]])
    np.testing.assert_array_equal(lengths_pre, [3, 1, 0])


def test_pad_sequences_with_a_vocabulary():
    vocabulary = Vocabulary([tokenize_for_model(REVIEW)])
    ids = [vocabulary.encode(tokenize_for_model(REVIEW)), vocabulary.encode(["口味"])]
    padded, lengths = pad_sequences(ids, max_len=4, pad_id=vocabulary.pad_id)
    assert padded.shape == (2, 4)
    assert lengths.tolist() == [4, 1]
    assert vocabulary.decode(padded[1], skip_pad=True) == ["口味"]


def test_pad_sequences_rejects_bad_arguments():
    with pytest.raises(ValueError, match="max_len"):
        pad_sequences([[1]], max_len=0)
    with pytest.raises(ValueError, match="truncating"):
        pad_sequences([[1]], max_len=2, truncating="middle")


def test_module_sets_jieba_logger_to_warning_on_import():
    assert text.jieba is jieba
    assert logging.getLogger("jieba").getEffectiveLevel() >= logging.WARNING


# --- Ids that are not ids, frequencies that are not counts (issue 7) ---------------------------


@pytest.mark.parametrize("bad_sequence", [[1.7, 2], [-5, 2], [True, False], [np.nan]])
def test_pad_sequences_rejects_ids_that_are_not_non_negative_integers(bad_sequence):
    # 1.7 was stored as 1 and -5 kept as -5 (an index from the end of an embedding table).
    with pytest.raises(ValueError, match=r"sequences\[1\] must hold non-negative integer ids"):
        pad_sequences([[3, 4], bad_sequence], max_len=3)
    with pytest.raises(ValueError, match="pad_id"):
        pad_sequences([[3, 4]], max_len=3, pad_id=-1)


def test_vocabulary_decode_rejects_ids_that_are_not_integers():
    vocabulary = Vocabulary([["口味", "快"]])
    with pytest.raises(ValueError, match="ids must hold non-negative integer ids"):
        vocabulary.decode([2.7])  # int(2.7) would have decoded it as id 2
    with pytest.raises(ValueError, match="ids must lie in"):
        vocabulary.decode([len(vocabulary)])


@pytest.mark.parametrize("freq", [-5, 0, 2.5, True, np.nan])
def test_add_user_words_rejects_frequencies_that_are_not_positive_integers(freq):
    # freq=-5 was accepted, and the next segment() died inside math.log.
    with pytest.raises(ValueError, match="freq must be an integer >= 1"):
        add_user_words(["测试词语甲"], freq=freq)
    with pytest.raises(ValueError, match="tag"):
        add_user_words(["测试词语甲"], tag="")
