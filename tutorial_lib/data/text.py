"""Chinese text processing: normalisation, jieba segmentation, stop words, keywords, vocabularies.

The chapters turn user reviews into model inputs in four steps, and this module has one
function (or class) per step:

1. :func:`normalize_text` makes equivalent characters identical (full-width ``ＡＢＣ１２３`` and
   half-width ``ABC123``, byte-order marks, runs of spaces).
2. :func:`segment` cuts the text into words with jieba; :func:`pos_tag` adds part-of-speech tags.
3. :func:`remove_stopwords` drops function words and punctuation (list: :func:`load_stopwords`).
4. :class:`Vocabulary` maps words to integer ids and :func:`pad_sequences` makes equal-length
   rows for a neural network.

:func:`tokenize_for_model` runs steps 1 to 3 in one call; it is what the notebooks use.
:func:`extract_keywords` ranks the words of one text with jieba's TF-IDF or TextRank.

About jieba
-----------
jieba keeps one dictionary per Python process (``jieba.dt``). Everything here uses that default
tokenizer, so words added with :func:`add_user_words` also change :func:`pos_tag` and
:func:`extract_keywords`. On first use jieba loads its dictionary and logs "Building prefix dict
... Loading model cost ..." to stderr. A notebook must print nothing to stderr, so importing this
module sets jieba's logger to ``WARNING`` (real problems still show) and the dictionary is loaded
lazily, on the first call that needs it, by :func:`initialize_jieba`.

Two mistakes in the source article this module avoids: it imported ``jieba.analyze``, which does
not exist (part-of-speech tags come from ``jieba.posseg``; keywords from ``jieba.analyse``), and it
iterated the generator returned by ``jieba.cut`` twice, so the second loop saw nothing. Every
function here returns a list.
"""

from __future__ import annotations

import collections
import functools
import importlib
import importlib.resources
import logging
import os
import re
import unicodedata
import warnings
from collections.abc import Iterable, Sequence

import numpy as np

from tutorial_lib.validation import check_bool, check_choice, check_ids, check_int, check_scalar


def _import_jieba_quietly(module_name: str):
    """Import a jieba module with jieba's own import-time warnings switched off.

    jieba 0.42.1 writes regexes as plain strings ("\\." inside "..."), which newer Pythons
    report as SyntaxWarning/DeprecationWarning when they compile its source, and
    ``jieba.analyse`` leaves its IDF file open (ResourceWarning). They are jieba's, not the
    reader's, so they are silenced for the import only.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", ResourceWarning)
        return importlib.import_module(module_name)


jieba = _import_jieba_quietly("jieba")
jieba.setLogLevel(logging.WARNING)

__all__ = [
    "DIGIT_MASK",
    "PAD_TOKEN",
    "UNK_TOKEN",
    "Vocabulary",
    "add_user_words",
    "extract_keywords",
    "fullwidth_to_halfwidth",
    "initialize_jieba",
    "load_stopwords",
    "load_user_dict",
    "normalize_text",
    "pad_sequences",
    "pos_tag",
    "remove_stopwords",
    "segment",
    "tokenize_for_model",
]

# ---------------------------------------------------------------------------------------------
# 1. Normalisation
# ---------------------------------------------------------------------------------------------

#: What every run of digits becomes under ``normalize_text(..., digits="mask")``. A single
#: character, so that jieba keeps it as one token (a tag such as "<num>" would be cut into
#: "<", "num", ">").
DIGIT_MASK = "0"

# Full-width forms U+FF01..U+FF5E are the ASCII characters U+0021..U+007E shifted by 0xFEE0;
# the ideographic space U+3000 is the full-width space.
_FULLWIDTH_OFFSET = 0xFEE0
_HALFWIDTH_TABLE = {code: code - _FULLWIDTH_OFFSET for code in range(0xFF01, 0xFF5F)}
_HALFWIDTH_TABLE[0x3000] = ord(" ")

# Characters that are invisible but make two equal-looking strings differ: the byte-order mark
# (U+FEFF, left at the start of text by some Windows editors), zero-width space, zero-width
# non-joiner, zero-width joiner and word joiner.
_INVISIBLE_CHARACTERS = "\ufeff\u200b\u200c\u200d\u2060"
_INVISIBLE_TABLE = {ord(character): None for character in _INVISIBLE_CHARACTERS}

# CJK punctuation outside the full-width block, and what "unify" turns it into. ASCII is the
# common form because half-width conversion already turns "，！？：；（）" into ",!?:;()".
_CJK_PUNCTUATION_TO_ASCII = {
    "。": ".",
    "｡": ".",
    "、": ",",
    "､": ",",
    "“": '"',
    "”": '"',
    "‘": "'",
    "’": "'",
    "「": '"',
    "」": '"',
    "『": '"',
    "』": '"',
    "《": "<",
    "》": ">",
    "〈": "<",
    "〉": ">",
    "【": "[",
    "】": "]",
    "〔": "[",
    "〕": "]",
    "〖": "[",
    "〗": "]",
    "…": "...",
    "—": "-",
    "–": "-",
}
_UNIFY_TABLE = str.maketrans(_CJK_PUNCTUATION_TO_ASCII)
_UNIFY_TABLE.update(
    {
        code: code - _FULLWIDTH_OFFSET
        for code in range(0xFF01, 0xFF5F)
        if unicodedata.category(chr(code)).startswith("P")
    }
)

_DIGIT_RUN = re.compile(r"\d+")  # \d is Unicode-aware: it also matches full-width digits
_WHITESPACE_RUN = re.compile(r"\s+")  # \s also matches U+3000, tabs and newlines

_DIGIT_CHOICES = ("keep", "mask")
_PUNCTUATION_CHOICES = ("keep", "remove", "unify")


def fullwidth_to_halfwidth(text: str) -> str:
    """Map full-width characters to their half-width (ASCII) forms.

    U+FF01..U+FF5E become U+0021..U+007E (``"ＡＢＣ１２３！"`` -> ``"ABC123!"``) and the
    ideographic space U+3000 becomes an ordinary space. Characters outside that block are left
    alone.

    This is the teaching point about Chinese punctuation: the Chinese comma "，" (U+FF0C), "！",
    "？", "：", "；" and the full-width brackets "（）" *are* in the block and become ASCII
    ``, ! ? : ; ( )``, while "。" (U+3002), "、" (U+3001), "《》" and the curly quotes “” are CJK
    punctuation outside the block and stay as they are. After this step a Chinese sentence has
    mixed punctuation; ``normalize_text(..., punctuation="unify")`` finishes the job.

    ``unicodedata.normalize("NFKC", text)`` does this and more (it also rewrites "①" as "1" and
    "㎏" as "kg"); we spell out the one mapping we want so that a reader sees what changes.
    """
    return check_scalar(text, "text", str).translate(_HALFWIDTH_TABLE)


def _replace_punctuation(text: str, punctuation: str) -> str:
    if punctuation == "keep":
        return text
    if punctuation == "unify":
        return text.translate(_UNIFY_TABLE)
    # "remove": every character whose Unicode category is punctuation (P*), Chinese or ASCII.
    # It becomes a space rather than nothing, so that "好吃，便宜" does not glue into one run of
    # characters that jieba might cut across the old boundary.
    return "".join(" " if unicodedata.category(character).startswith("P") else character for character in text)


def normalize_text(
    text: str,
    *,
    to_halfwidth: bool = True,
    lowercase: bool = True,
    collapse_whitespace: bool = True,
    strip_bom: bool = True,
    digits: str = "keep",
    punctuation: str = "keep",
) -> str:
    """Make characters that mean the same thing identical, before segmentation.

    Steps run in this order (each can be switched off):

    1. ``strip_bom``: remove the byte-order mark U+FEFF and the zero-width characters
       U+200B, U+200C, U+200D and U+2060. (Removing U+200D splits emoji sequences built with
       the zero-width joiner into their parts.)
    2. ``to_halfwidth``: U+FF01..U+FF5E to ASCII and U+3000 to a space, see
       :func:`fullwidth_to_halfwidth`. The Chinese comma "，" (U+FF0C) becomes ",", but "。" and "、" are
       outside that block and are unchanged.
    3. ``lowercase``: ``str.lower``; Chinese characters have no case and are unchanged.
    4. ``digits``: ``"keep"``, or ``"mask"`` to replace every run of digits by
       :data:`DIGIT_MASK` (``"2024年"`` -> ``"0年"``), so that prices and years stop adding
       thousands of one-off words to the vocabulary.
    5. ``punctuation``: ``"keep"``; ``"remove"`` to replace every punctuation mark (Unicode
       category P*, Chinese or ASCII) by a space; or ``"unify"`` to write each mark in one form,
       ASCII: "，" -> ",", "。" -> ".", "、" -> ",", "《》" -> "<>", curly quotes -> ``"``.
       Symbols such as "+", "$" and "~" are not punctuation in Unicode and are kept.
    6. ``collapse_whitespace``: turn every run of whitespace (spaces, tabs, newlines, U+3000)
       into one space and strip both ends.

    Parameters
    ----------
    text:
        The text to normalise.
    to_halfwidth, lowercase, collapse_whitespace, strip_bom:
        Switch the step of that name on or off.
    digits:
        ``"keep"`` or ``"mask"``.
    punctuation:
        ``"keep"``, ``"remove"`` or ``"unify"``.

    Returns
    -------
    str
        The normalised text.

    Raises
    ------
    TypeError
        If ``text`` is not a ``str`` (for example ``None`` or ``NaN`` from a missing review).
    ValueError
        If ``digits`` or ``punctuation`` is not one of the listed choices.
    """
    check_scalar(text, "text", str)
    check_choice(digits, "digits", _DIGIT_CHOICES)
    check_choice(punctuation, "punctuation", _PUNCTUATION_CHOICES)
    for flag_name, flag in (
        ("to_halfwidth", to_halfwidth),
        ("lowercase", lowercase),
        ("collapse_whitespace", collapse_whitespace),
        ("strip_bom", strip_bom),
    ):
        check_bool(flag, flag_name)

    if strip_bom:
        text = text.translate(_INVISIBLE_TABLE)
    if to_halfwidth:
        text = text.translate(_HALFWIDTH_TABLE)
    if lowercase:
        text = text.lower()
    if digits == "mask":
        text = _DIGIT_RUN.sub(DIGIT_MASK, text)
    text = _replace_punctuation(text, punctuation)
    if collapse_whitespace:
        text = _WHITESPACE_RUN.sub(" ", text).strip()
    return text


# ---------------------------------------------------------------------------------------------
# 2. Segmentation and part-of-speech tags (jieba)
# ---------------------------------------------------------------------------------------------


def initialize_jieba(tokenizer: jieba.Tokenizer | None = None) -> None:
    """Load a jieba dictionary without writing anything to stderr.

    jieba logs its progress at DEBUG level through the logger ``"jieba"``; we raise that
    logger's level to ``WARNING`` first and only then load the dictionary. (Raising the level
    afterwards would be too late: the lines would already be in the notebook's output.)

    Parameters
    ----------
    tokenizer:
        A ``jieba.Tokenizer`` to initialise; ``None`` means jieba's default tokenizer, which is
        what every function in this module uses. The functions here call this themselves on
        first use, so a notebook never needs to.
    """
    if tokenizer is None:
        tokenizer = jieba.dt
    if tokenizer.initialized:  # cheap check: segment() calls this for every text
        return
    jieba.setLogLevel(logging.WARNING)
    tokenizer.initialize()


_SEGMENT_MODES = ("precise", "search", "full")


def segment(text: str, mode: str = "precise", hmm: bool = True) -> list[str]:
    """Cut Chinese text into words with jieba.

    Parameters
    ----------
    text:
        The text to cut (normalise it first with :func:`normalize_text` if it may contain
        full-width characters).
    mode:
        ``"precise"`` (``jieba.lcut``): each character belongs to exactly one word; use this to
        build features. ``"search"`` (``jieba.lcut_for_search``): precise mode, plus the shorter
        dictionary words inside each long word ("电子书阅读器" also gives "电子书" and "阅读器"), so
        tokens overlap; meant for search-engine indexing. ``"full"`` (``jieba.lcut(...,
        cut_all=True)``): every dictionary word found anywhere, overlapping; fast but noisy.
    hmm:
        Let jieba's hidden Markov model join characters that are not in its dictionary into new
        words (names, slang). Full mode ignores it.

    Returns
    -------
    list of str
        The tokens in order. Spaces and punctuation come back as tokens of their own;
        :func:`tokenize_for_model` removes them.

    Notes
    -----
    ``jieba.cut`` returns a *generator*, which can be iterated once: the source article looped
    over it for part-of-speech tagging and then again to remove stop words, and the second loop
    silently saw no words. Returning a list means the tokens can be counted, printed and reused.
    """
    check_scalar(text, "text", str)
    check_choice(mode, "mode", _SEGMENT_MODES)
    hmm = check_bool(hmm, "hmm")
    initialize_jieba()
    if mode == "precise":
        return jieba.lcut(text, cut_all=False, HMM=hmm)
    if mode == "search":
        return jieba.lcut_for_search(text, HMM=hmm)
    return jieba.lcut(text, cut_all=True)


def add_user_words(words: Iterable[str], freq: int | None = None, tag: str | None = None) -> None:
    """Add words to jieba's dictionary so that segmentation keeps them whole.

    Domain words (product names, film titles, slang) are often cut into pieces: by default
    jieba cuts "充电宝" (power bank) into "充电" and "宝". After ``add_user_words(["充电宝"])`` it is one token.

    The dictionary is shared by the whole Python process: the change also affects
    :func:`pos_tag`, :func:`extract_keywords` and any direct use of jieba afterwards.

    Parameters
    ----------
    words:
        A list (or other iterable) of words. Not a single string: a string is an iterable of
        characters and would add each character as a "word".
    freq:
        The word frequency to give each word, an integer >= 1 (jieba takes its logarithm);
        ``None`` lets jieba pick one just high enough for the word to be kept whole
        (``jieba.suggest_freq``).
    tag:
        Optional part-of-speech tag for :func:`pos_tag` (for example ``"nz"``, other proper noun).

    Raises
    ------
    TypeError
        If ``words`` is a single string or contains something that is not a string.
    ValueError
        If a word is empty or only whitespace, ``freq`` is not an integer >= 1, or ``tag`` is
        an empty string.
    """
    if isinstance(words, str):
        raise TypeError(f"words must be a list of words, not a single str; write add_user_words([{words!r}]).")
    if not isinstance(words, Iterable):
        raise TypeError(f"words must be a list of words, got {type(words).__name__}.")
    if freq is not None:
        # A negative frequency was accepted here and broke the next segment() inside math.log.
        freq = check_int(freq, "freq", min_val=1)
    if tag is not None and not check_scalar(tag, "tag", str).strip():
        raise ValueError(f"tag must be a non-empty part-of-speech tag such as 'nz', or None; got {tag!r}.")
    words = list(words)
    for word in words:
        check_scalar(word, "each entry of words", str)
        if not word.strip():
            raise ValueError(f"words must not contain empty or whitespace-only entries; got {word!r}.")
    initialize_jieba()
    for word in words:
        jieba.add_word(word, freq=freq, tag=tag)


def load_user_dict(path: str | os.PathLike[str]) -> None:
    """Load a jieba user dictionary file (one ``word [freq] [tag]`` per line, UTF-8).

    A wrapper around ``jieba.load_userdict`` that checks the file exists first, so a wrong path
    gives a clear error instead of jieba's. Like :func:`add_user_words`, it changes jieba's
    dictionary for the whole process.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not name a file.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"path must name a user-dictionary file; {path!r} does not exist.")
    initialize_jieba()
    # Given a path, jieba opens the file and never closes it; given an open file, it just reads.
    with open(path, "rb") as user_dict_file:
        jieba.load_userdict(user_dict_file)


def pos_tag(text: str, hmm: bool = True) -> list[tuple[str, str]]:
    """Segment ``text`` and tag each word with its part of speech (``jieba.posseg``).

    The tags follow the ICTCLAS set that jieba uses, for example ``n`` noun, ``nr`` person name,
    ``ns`` place name, ``nt`` organisation, ``v`` verb, ``vn`` verbal noun, ``a`` adjective,
    ``d`` adverb, ``r`` pronoun, ``p`` preposition, ``u*`` particles, ``x`` punctuation or other.

    Returns
    -------
    list of (word, tag) tuples
        Plain tuples, in order. (``jieba.posseg`` yields ``pair`` objects from a generator.)
    """
    check_scalar(text, "text", str)
    hmm = check_bool(hmm, "hmm")
    initialize_jieba()
    posseg = _import_jieba_quietly("jieba.posseg")  # imported on first use: it loads large tables
    return [(pair.word, pair.flag) for pair in posseg.lcut(text, HMM=hmm)]


# ---------------------------------------------------------------------------------------------
# 3. Stop words and the one-call pipeline
# ---------------------------------------------------------------------------------------------

_STOPWORDS_RESOURCE = "stopwords_zh.txt"


@functools.cache
def load_stopwords() -> frozenset[str]:
    """Return the book's Chinese stop-word list (``tutorial_lib/resources/stopwords_zh.txt``).

    The list was written by hand for this book: punctuation (both widths), particles,
    pronouns, prepositions, conjunctions, common adverbs and auxiliary verbs, numerals and
    measure words, and English function words. Negation words (不, 没, 没有, 别 ...) are left out
    on purpose, because removing them reverses the meaning of a review. Lines starting with
    ``#`` in the file are comments.

    Returns
    -------
    frozenset of str
        Read once and cached; a frozenset so that no caller can change it for the others.
    """
    resource = importlib.resources.files("tutorial_lib").joinpath("resources", _STOPWORDS_RESOURCE)
    stopwords = set()
    for line in resource.read_text(encoding="utf-8").splitlines():
        entry = line.strip()
        if entry and not entry.startswith("#"):
            stopwords.add(entry)
    return frozenset(stopwords)


def _resolve_stopwords(stopwords: Iterable[str] | None) -> frozenset[str] | set[str]:
    if stopwords is None:
        return load_stopwords()
    if isinstance(stopwords, str):
        raise TypeError("stopwords must be a collection of words (for example a set), not a single str.")
    if isinstance(stopwords, (set, frozenset)):
        return stopwords
    return set(stopwords)


def remove_stopwords(tokens: Iterable[str], stopwords: Iterable[str] | None = None) -> list[str]:
    """Drop stop words and whitespace-only tokens, keeping the order of the rest.

    Parameters
    ----------
    tokens:
        Tokens, for example from :func:`segment`.
    stopwords:
        Words to drop; ``None`` means :func:`load_stopwords`. Pass ``frozenset()`` to drop only
        whitespace.

    Returns
    -------
    list of str
    """
    if isinstance(tokens, str):
        raise TypeError("tokens must be a list of tokens, not a str; call segment(text) first.")
    stopword_set = _resolve_stopwords(stopwords)
    return [token for token in tokens if token.strip() and token not in stopword_set]


def tokenize_for_model(text: str, stopwords: Iterable[str] | None = None) -> list[str]:
    """Normalise, segment and remove stop words: the tokens a model sees.

    ``normalize_text(text)`` with its defaults (half-width, lower case, collapsed whitespace,
    byte-order mark removed, digits and punctuation kept), then ``segment(..., mode="precise")``,
    then :func:`remove_stopwords` (which also drops whitespace tokens and, through the stop-word
    list, punctuation).

    It takes one text and returns a list, so it can be passed as ``tokenizer=`` to
    scikit-learn's ``TfidfVectorizer``.

    Parameters
    ----------
    text:
        One review or title.
    stopwords:
        ``None`` for the book's list (:func:`load_stopwords`), or your own collection.

    Returns
    -------
    list of str
    """
    normalized = normalize_text(text)
    return remove_stopwords(segment(normalized, mode="precise"), stopwords)


# ---------------------------------------------------------------------------------------------
# Keywords
# ---------------------------------------------------------------------------------------------

_KEYWORD_METHODS = ("tfidf", "textrank")
# jieba.analyse.textrank's default: only nouns, place names, verbal nouns and verbs take part.
_TEXTRANK_DEFAULT_POS = ("ns", "n", "vn", "v")


def extract_keywords(
    text: str,
    top_k: int = 5,
    method: str = "tfidf",
    with_weights: bool = False,
    allow_pos: Sequence[str] | None = None,
    stopwords: Iterable[str] | None = None,
) -> list[str] | list[tuple[str, float]]:
    """Rank the words of one text as keywords (``jieba.analyse``).

    ``"tfidf"`` (``jieba.analyse.extract_tags``): term frequency in this text times the inverse
    document frequency from the IDF table shipped with jieba (computed on jieba's own corpus,
    not on your data; for features fitted on your data see
    :class:`tutorial_lib.data.features.KeywordTfidf`). ``"textrank"`` (``jieba.analyse.textrank``):
    PageRank on a graph of words that co-occur within a window of five; weights are scaled so
    that the top word has 1.0.

    jieba already skips words of one character. We also drop the book's stop words, which
    jieba's own tiny English stop list would keep (for example "非常", "尤其").

    Parameters
    ----------
    text:
        The text (not segmented; jieba segments it).
    top_k:
        How many keywords to return at most (short texts may give fewer).
    method:
        ``"tfidf"`` or ``"textrank"``.
    with_weights:
        Return ``(word, weight)`` pairs instead of words.
    allow_pos:
        Keep only words with these part-of-speech tags, for example ``("n", "nr", "ns")``.
        ``None`` means each method's default: every tag for ``"tfidf"``, and
        ``("ns", "n", "vn", "v")`` for ``"textrank"``.
    stopwords:
        ``None`` for the book's list, or your own collection (``frozenset()`` for none).

    Returns
    -------
    list of str, or list of (str, float)
        Highest weight first.
    """
    check_scalar(text, "text", str)
    check_choice(method, "method", _KEYWORD_METHODS)
    top_k = check_int(top_k, "top_k", min_val=1)
    with_weights = check_bool(with_weights, "with_weights")
    if isinstance(allow_pos, str):
        raise TypeError(f"allow_pos must be a sequence of tags such as ('n', 'v'), not the str {allow_pos!r}.")
    stopword_set = _resolve_stopwords(stopwords)
    initialize_jieba()
    analyse = _import_jieba_quietly("jieba.analyse")  # imported on first use: it reads an IDF table

    if method == "tfidf":
        pos_filter = () if allow_pos is None else tuple(allow_pos)
        # topK=None asks jieba for every candidate, so that removing stop words afterwards
        # cannot leave us with fewer than top_k when more were available.
        ranked = analyse.extract_tags(text, topK=None, withWeight=True, allowPOS=pos_filter)
    else:
        pos_filter = _TEXTRANK_DEFAULT_POS if allow_pos is None else tuple(allow_pos)
        ranked = analyse.textrank(text, topK=None, withWeight=True, allowPOS=pos_filter)

    kept = [(word, float(weight)) for word, weight in ranked if word not in stopword_set][:top_k]
    if with_weights:
        return kept
    return [word for word, _ in kept]


# ---------------------------------------------------------------------------------------------
# 4. Vocabulary and padding
# ---------------------------------------------------------------------------------------------

PAD_TOKEN = "<pad>"
UNK_TOKEN = "<unk>"


def _check_token_list(tokens: object, name: str) -> None:
    if isinstance(tokens, str):
        raise TypeError(f"{name} must be a list of tokens, not a str (a str would be read character by character).")


class Vocabulary:
    """A word <-> integer-id table built from tokenised texts.

    Id 0 is ``"<pad>"`` (filler for short sequences) and id 1 is ``"<unk>"`` (any word not in the
    table). Real words get ids from 2 upwards, ordered by frequency in the training texts, most
    frequent first, and alphabetically (by Unicode code point) among equal counts, so the same
    texts always give the same ids.

    Parameters
    ----------
    token_lists:
        An iterable of token lists, one per text, for example
        ``[tokenize_for_model(review) for review in train_reviews]``. Build it from training
        texts only: a word seen only in test texts should map to ``"<unk>"``.
    min_freq:
        Keep words that occur at least this many times in total.
    max_size:
        Largest size of the table *including* the two reserved tokens (``None``: no limit).
        When more words qualify, the most frequent ones are kept.

    Attributes
    ----------
    token_to_id : dict of str to int
    id_to_token : list of str
        ``id_to_token[i]`` is the token with id ``i``.
    counts : collections.Counter
        How often each token occurred in ``token_lists``.

    Notes
    -----
    If the texts themselves contain the strings ``"<pad>"`` or ``"<unk>"``, they are not counted
    as new words: they encode to the reserved ids 0 and 1.
    """

    pad_id = 0
    unk_id = 1

    def __init__(self, token_lists: Iterable[Sequence[str]], min_freq: int = 1, max_size: int | None = None) -> None:
        check_int(min_freq, "min_freq", min_val=1)
        if max_size is not None:
            check_int(max_size, "max_size", min_val=2)  # room for <pad> and <unk>
        if isinstance(token_lists, str):
            raise TypeError("token_lists must be an iterable of token lists, not a str.")

        counts: collections.Counter[str] = collections.Counter()
        for position, tokens in enumerate(token_lists):
            _check_token_list(tokens, f"token_lists[{position}]")
            counts.update(tokens)
        for reserved in (PAD_TOKEN, UNK_TOKEN):
            counts.pop(reserved, None)
        self.counts = counts

        # Frequency descending, then the token itself: a total order, hence reproducible ids.
        ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        kept_tokens = [token for token, count in ordered if count >= min_freq]
        if max_size is not None:
            kept_tokens = kept_tokens[: max_size - 2]

        self.id_to_token: list[str] = [PAD_TOKEN, UNK_TOKEN, *kept_tokens]
        self.token_to_id: dict[str, int] = {token: index for index, token in enumerate(self.id_to_token)}

    def __len__(self) -> int:
        """Number of ids, the two reserved tokens included (the size of an embedding table)."""
        return len(self.id_to_token)

    def __contains__(self, token: object) -> bool:
        return token in self.token_to_id

    def __repr__(self) -> str:
        return f"Vocabulary(size={len(self)}, pad_id={self.pad_id}, unk_id={self.unk_id})"

    def encode(self, tokens: Sequence[str]) -> list[int]:
        """Map tokens to ids; words not in the table become ``unk_id`` (1)."""
        _check_token_list(tokens, "tokens")
        return [self.token_to_id.get(token, self.unk_id) for token in tokens]

    def decode(self, ids: Iterable[int], skip_pad: bool = False) -> list[str]:
        """Map ids back to tokens (``skip_pad=True`` drops ``"<pad>"``).

        Raises
        ------
        ValueError
            If an id is outside ``0 .. len(self) - 1``.
        """
        skip_pad = check_bool(skip_pad, "skip_pad")
        # int(2.7) would quietly decode as id 2; check the ids are integers first.
        id_array = check_ids(ids, "ids")
        tokens = []
        for token_id in id_array.ravel().tolist():
            if not token_id < len(self.id_to_token):
                raise ValueError(f"ids must lie in 0..{len(self.id_to_token) - 1}; got {token_id}.")
            if skip_pad and token_id == self.pad_id:
                continue
            tokens.append(self.id_to_token[token_id])
        return tokens


_TRUNCATING_CHOICES = ("post", "pre")


def pad_sequences(
    sequences: Iterable[Sequence[int]],
    max_len: int,
    pad_id: int = 0,
    truncating: str = "post",
) -> tuple[np.ndarray, np.ndarray]:
    """Put id sequences of different lengths into one rectangular array.

    Short sequences are filled with ``pad_id`` on the right; long ones are cut to ``max_len``.

    Parameters
    ----------
    sequences:
        One list of ids per text, for example from :meth:`Vocabulary.encode`.
    max_len:
        Number of columns of the result (take it from the run profile's ``max_seq_len``).
    pad_id:
        Filler id, a non-negative integer (``Vocabulary.pad_id`` is 0). Every id of every
        sequence must be a non-negative integer too: ``1.7`` or ``-5`` raise instead of being
        stored as ``1`` or read as "fifth from the end" by an embedding lookup.
    truncating:
        ``"post"`` keeps the first ``max_len`` ids (the start of a review); ``"pre"`` keeps the
        last ``max_len`` (the most recent events of a behaviour sequence).

    Returns
    -------
    ids : numpy.ndarray of int64, shape (n_sequences, max_len)
    lengths : numpy.ndarray of int64, shape (n_sequences,)
        Number of real (non-padding) ids in each row, after truncation; a model uses it to mask
        the padding.
    """
    max_len = check_int(max_len, "max_len", min_val=1)
    pad_id = check_int(pad_id, "pad_id", min_val=0)
    check_choice(truncating, "truncating", _TRUNCATING_CHOICES)
    if isinstance(sequences, str) or not isinstance(sequences, Iterable):
        raise TypeError(f"sequences must be a list of id sequences, got {type(sequences).__name__}.")
    sequences = list(sequences)

    padded = np.full((len(sequences), max_len), pad_id, dtype=np.int64)
    lengths = np.zeros(len(sequences), dtype=np.int64)
    for row, sequence in enumerate(sequences):
        ids = check_ids(sequence, f"sequences[{row}]")
        if ids.ndim != 1:
            raise ValueError(f"sequences[{row}] must be a flat sequence of ids, got shape {ids.shape}.")
        kept = ids[:max_len] if truncating == "post" else ids[-max_len:]
        padded[row, : len(kept)] = kept
        lengths[row] = len(kept)
    return padded, lengths
