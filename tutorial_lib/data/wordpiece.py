"""BERT's tokeniser written by hand: basic tokenisation, then WordPiece (no torch).

A BERT model never sees characters: it sees integer ids from a fixed vocabulary (词表
vocabulary). Turning text into those ids is 分词 tokenisation, and BERT does it in two steps:

1. **Basic tokenisation** (:func:`basic_tokenize`): remove control characters and turn every
   kind of white space into a plain space; put spaces around every CJK ideograph, so that each
   Chinese character becomes a token of its own; lower-case and strip accents (NFD, then drop
   the combining marks), as ``bert-base-chinese`` does with ``do_lower_case=True``; split off
   every punctuation character.
2. **WordPiece** (:func:`wordpiece`): each remaining word (an English word, a run of digits) is
   cut greedily into the longest pieces found in the vocabulary, left to right; every piece
   after the first carries the prefix ``##``. A word with a part that no piece covers, or one
   longer than 100 characters, becomes ``[UNK]`` as a whole.

:class:`WordPieceTokenizer` adds the special tokens (``[CLS] a [SEP]`` or
``[CLS] a [SEP] b [SEP]``), the segment ids (``token_type_ids``), the attention mask,
truncation and padding. :func:`mask_tokens` draws the masked-language-model targets with BERT's
80/10/10 rule. ``tests/test_wordpiece.py`` checks the ids against transformers'
``BertTokenizerFast`` and its pure-Python tokenizer on thousands of real reviews.

The vocabulary
--------------
``tutorial_lib/resources/bert-base-chinese-vocab.txt`` is an unchanged copy of the
``vocab.txt`` of Google's ``bert-base-chinese`` model (21,128 lines, md5
``3b5b76c4aef48ecf8cb3abaafe960f09``), released by Google under the Apache License 2.0
(https://github.com/google-research/bert, https://huggingface.co/bert-base-chinese). It is
shipped with the package so that the real tokenisation works offline; line ``i`` (from 0) is
the token with id ``i``. See ``tutorial_lib/resources/README.md`` for the notice.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from tutorial_lib.validation import check_bool, check_choice, check_int, check_path, check_probability

VOCAB_FILE = Path(__file__).resolve().parents[1] / "resources" / "bert-base-chinese-vocab.txt"
VOCAB_MD5 = "3b5b76c4aef48ecf8cb3abaafe960f09"

PAD_TOKEN = "[PAD]"
UNK_TOKEN = "[UNK]"
CLS_TOKEN = "[CLS]"
SEP_TOKEN = "[SEP]"
MASK_TOKEN = "[MASK]"
SPECIAL_TOKENS = (PAD_TOKEN, UNK_TOKEN, CLS_TOKEN, SEP_TOKEN, MASK_TOKEN)
MAX_CHARS_PER_WORD = 100
IGNORE_INDEX = -100  # the label PyTorch's cross-entropy skips (``ignore_index``)

# CJK Unified Ideographs and their extensions and compatibility blocks, as BERT defines them.
# Hiragana, Katakana and Hangul are not in these blocks: they are handled like Latin letters.
_CJK_RANGES = (
    (0x4E00, 0x9FFF),
    (0x3400, 0x4DBF),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F),
    (0x2B820, 0x2CEAF),
    (0xF900, 0xFAFF),
    (0x2F800, 0x2FA1F),
)


# ---------------------------------------------------------------------------------------------
# The vocabulary
# ---------------------------------------------------------------------------------------------
def load_vocab(path: str | Path | None = None) -> dict[str, int]:
    """Read a WordPiece vocabulary file: one token a line, the line number (from 0) is its id.

    Parameters
    ----------
    path:
        A ``vocab.txt``; default: the bundled bert-base-chinese vocabulary (:data:`VOCAB_FILE`).

    Returns
    -------
    dict
        ``{token: id}`` with ``len(vocab)`` entries (21,128 for bert-base-chinese).
    """
    vocab_path = VOCAB_FILE if path is None else check_path(path, "path")
    if not vocab_path.is_file():
        raise FileNotFoundError(f"path: no vocabulary file at {vocab_path}.")
    tokens = vocab_path.read_text(encoding="utf-8").split("\n")
    if tokens and tokens[-1] == "":
        tokens = tokens[:-1]  # the final newline
    vocab = {}
    for token_id, token in enumerate(tokens):
        token = token.rstrip("\r")
        if token in vocab:
            raise ValueError(f"path: {vocab_path} lists the token {token!r} twice (lines {vocab[token]} and {token_id}).")
        vocab[token] = token_id
    missing = [token for token in SPECIAL_TOKENS if token not in vocab]
    if missing:
        raise ValueError(f"path: {vocab_path} lacks the special tokens {missing}.")
    return vocab


# ---------------------------------------------------------------------------------------------
# Step 1: basic tokenisation, one small function per rule
# ---------------------------------------------------------------------------------------------
def is_cjk_character(char: str) -> bool:
    """True for a CJK ideograph (汉字 and the like), which BERT makes a token of its own."""
    code_point = ord(char)
    return any(low <= code_point <= high for low, high in _CJK_RANGES)


def _is_whitespace(char: str) -> bool:
    return char in " \t\n\r" or unicodedata.category(char) == "Zs"


def _is_control(char: str) -> bool:
    # Tab and newlines are "control" characters to Unicode, but BERT counts them as spaces.
    return char not in "\t\n\r" and unicodedata.category(char).startswith("C")


def is_punctuation(char: str) -> bool:
    """True for Unicode punctuation (categories P*) and every ASCII symbol such as ``$ ^ `` ` ``."""
    code_point = ord(char)
    if 33 <= code_point <= 47 or 58 <= code_point <= 64 or 91 <= code_point <= 96 or 123 <= code_point <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def clean_text(text: str) -> str:
    """Drop NUL, U+FFFD and control characters; turn every white-space character into a space."""
    kept = []
    for char in text:
        if char in "\x00\ufffd" or _is_control(char):
            continue
        kept.append(" " if _is_whitespace(char) else char)
    return "".join(kept)


def space_cjk_characters(text: str) -> str:
    """Put a space on each side of every CJK character: ``"好用abc"`` → ``" 好  用 abc"``."""
    return "".join(f" {char} " if is_cjk_character(char) else char for char in text)


def strip_accents(word: str) -> str:
    """Decompose (NFD) and drop the combining marks: ``"café"`` → ``"cafe"``."""
    return "".join(char for char in unicodedata.normalize("NFD", word) if unicodedata.category(char) != "Mn")


def split_punctuation(word: str) -> list[str]:
    """Split before and after each punctuation mark: ``"a,b!"`` → a , b !."""
    pieces: list[str] = []
    current = ""
    for char in word:
        if is_punctuation(char):
            if current:
                pieces.append(current)
                current = ""
            pieces.append(char)
        else:
            current += char
    if current:
        pieces.append(current)
    return pieces


def basic_tokenize(text: str, *, lower_case: bool = True) -> list[str]:
    """BERT's basic tokenisation of ``text`` into words, before WordPiece.

    Parameters
    ----------
    text:
        Any string.
    lower_case:
        Lower-case and strip accents, as ``bert-base-chinese`` does (``do_lower_case=True``).

    Returns
    -------
    list of str
        Words: single CJK characters, single punctuation characters, and runs of other
        characters (English words, numbers) that WordPiece cuts further.

    Examples
    --------
    >>> basic_tokenize("iPhone很好用，5星！")
    ['iphone', '很', '好', '用', '，', '5', '星', '！']
    """
    if not isinstance(text, str):
        raise TypeError(f"text: expected a str, got {type(text).__name__}.")
    text = space_cjk_characters(clean_text(text))
    # The same character can be written as one code point or as a letter plus a combining
    # mark; NFC makes them one before the text is split.
    text = unicodedata.normalize("NFC", text)
    words = []
    for word in text.split():
        if lower_case:
            word = strip_accents(word.lower())
        words.extend(split_punctuation(word))
    return words


# ---------------------------------------------------------------------------------------------
# Step 2: WordPiece, greedy longest match first
# ---------------------------------------------------------------------------------------------
def wordpiece(
    word: str,
    vocab: dict[str, int],
    *,
    unk_token: str = UNK_TOKEN,
    max_chars_per_word: int = MAX_CHARS_PER_WORD,
) -> list[str]:
    """Cut one word into the longest vocabulary pieces, left to right.

    Parameters
    ----------
    word:
        One word from :func:`basic_tokenize` (no spaces).
    vocab:
        ``{token: id}`` from :func:`load_vocab`; a piece that continues a
        word is stored with the prefix ``##``.
    unk_token:
        Returned alone when some part of ``word`` matches no piece, or
        when ``word`` has more than ``max_chars_per_word`` characters.

    Returns
    -------
    list of str
        e.g. ``["iphone"]``, ``["hu", "##awei"]`` or ``["[UNK]"]``.
    """
    if len(word) > max_chars_per_word:
        return [unk_token]
    pieces = []
    start = 0
    while start < len(word):
        end = len(word)
        piece = None
        while end > start:  # the longest remaining substring first
            candidate = word[start:end]
            if start > 0:
                candidate = "##" + candidate
            if candidate in vocab:
                piece = candidate
                break
            end -= 1
        if piece is None:  # one unmatched part: the whole word is unknown
            return [unk_token]
        pieces.append(piece)
        start = end
    return pieces


# ---------------------------------------------------------------------------------------------
# The tokenizer: special tokens, segments, masks, truncation, padding
# ---------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Encoding:
    """One encoded text (or text pair), as lists of the same length ``seq_len``.

    - ``input_ids``: token ids, ``[CLS] a [SEP]`` or ``[CLS] a [SEP] b [SEP]``.
    - ``token_type_ids``: 0 for ``[CLS]``, the first text and its ``[SEP]``; 1 for the second
      text and the last ``[SEP]`` (BERT's segment embedding reads these).
    - ``attention_mask``: 1 for a real token, 0 for padding.
    """

    input_ids: list[int]
    token_type_ids: list[int]
    attention_mask: list[int]

    def __len__(self) -> int:
        return len(self.input_ids)


def _truncate_pair(first: list, second: list, budget: int) -> tuple[list, list]:
    """Keep at most ``budget`` tokens of the two texts together (the "longest first" rule).

    If the shorter text fits in half the budget it is kept whole and the longer one gets the
    rest; otherwise each keeps half, the second text taking the odd token. This is what
    Hugging Face's fast tokenizers do with ``truncation=True``.
    """
    if len(first) + len(second) <= budget:
        return first, second
    shorter, longer = sorted((len(first), len(second)))
    keep_shorter = shorter if shorter <= budget // 2 else budget // 2
    keep_longer = budget - keep_shorter
    if len(first) > len(second):
        return first[:keep_longer], second[:keep_shorter]
    if len(first) < len(second):
        return first[:keep_shorter], second[:keep_longer]
    return first[: budget // 2], second[: budget - budget // 2]


class WordPieceTokenizer:
    """BERT's tokenizer by hand: :func:`basic_tokenize`, then :func:`wordpiece`, then ids.

    Parameters
    ----------
    vocab_path:
        A ``vocab.txt`` (default: the bundled bert-base-chinese vocabulary).
    lower_case:
        As ``do_lower_case`` in transformers (True for bert-base-chinese).

    Examples
    --------
    >>> tokenizer = WordPieceTokenizer()
    >>> tokenizer.tokenize("华为P30手机")
    ['华', '为', 'p30', '手', '机']
    """

    def __init__(self, vocab_path: str | Path | None = None, *, lower_case: bool = True) -> None:
        self.vocab = load_vocab(vocab_path)
        self.id_to_token = {token_id: token for token, token_id in self.vocab.items()}
        self.lower_case = check_bool(lower_case, "lower_case")
        self.pad_id = self.vocab[PAD_TOKEN]
        self.unk_id = self.vocab[UNK_TOKEN]
        self.cls_id = self.vocab[CLS_TOKEN]
        self.sep_id = self.vocab[SEP_TOKEN]
        self.mask_id = self.vocab[MASK_TOKEN]
        self.special_ids = frozenset(self.vocab[token] for token in SPECIAL_TOKENS)

    def __len__(self) -> int:
        return len(self.vocab)

    def tokenize(self, text: str) -> list[str]:
        """Word pieces of ``text``, without special tokens."""
        pieces = []
        for word in basic_tokenize(text, lower_case=self.lower_case):
            pieces.extend(wordpiece(word, self.vocab))
        return pieces

    def convert_tokens_to_ids(self, tokens: Iterable[str]) -> list[int]:
        """Ids of ``tokens``; a token not in the vocabulary gets the id of ``[UNK]``."""
        return [self.vocab.get(token, self.unk_id) for token in tokens]

    def convert_ids_to_tokens(self, ids: Iterable[int]) -> list[str]:
        """Tokens of ``ids``; raises if an id is outside ``0 .. len(vocab) - 1``."""
        tokens = []
        for token_id in ids:
            token_id = int(token_id)
            if token_id not in self.id_to_token:
                raise ValueError(f"ids: {token_id} is not an id of this vocabulary (0 to {len(self) - 1}).")
            tokens.append(self.id_to_token[token_id])
        return tokens

    def encode(self, text: str, text_pair: str | None = None, *, max_length: int | None = None) -> Encoding:
        """Ids, segment ids and attention mask of ``text`` (and ``text_pair``), with special tokens.

        Parameters
        ----------
        text, text_pair:
            One text, or two (a question and a passage, a user's history and a candidate).
        max_length:
            Truncate so that the whole encoding, special tokens included, has at most this many
            tokens (BERT's position table has 512). ``None``: no truncation.

        Returns
        -------
        Encoding
            Lists of length ``seq_len`` (no padding; see :meth:`pad`).
        """
        first = self.convert_tokens_to_ids(self.tokenize(text))
        second = None if text_pair is None else self.convert_tokens_to_ids(self.tokenize(text_pair))
        n_special = 2 if second is None else 3
        if max_length is not None:
            max_length = check_int(max_length, "max_length", min_val=n_special + 1)
            budget = max_length - n_special
            if second is None:
                first = first[:budget]
            else:
                first, second = _truncate_pair(first, second, budget)
        input_ids = [self.cls_id, *first, self.sep_id]
        token_type_ids = [0] * len(input_ids)
        if second is not None:
            input_ids += [*second, self.sep_id]
            token_type_ids += [1] * (len(second) + 1)
        return Encoding(input_ids, token_type_ids, [1] * len(input_ids))

    def pad(self, encodings: Sequence[Encoding], *, padding: str = "longest", max_length: int | None = None):
        """Stack encodings into arrays of shape ``(batch, seq_len)``, padding on the right.

        Parameters
        ----------
        encodings:
            From :meth:`encode`.
        padding:
            ``"longest"``: ``seq_len`` is the longest encoding in this batch (dynamic padding).
            ``"max_length"``: ``seq_len`` is ``max_length`` for every batch.

        Returns
        -------
        dict
            ``input_ids`` (padded with the id of ``[PAD]``), ``token_type_ids`` and
            ``attention_mask`` (padded with 0), each an int64 array ``(batch, seq_len)``.
        """
        padding = check_choice(padding, "padding", ("longest", "max_length"))
        if len(encodings) == 0 or not all(isinstance(encoding, Encoding) for encoding in encodings):
            raise ValueError("encodings: expected a non-empty sequence of Encoding objects from encode().")
        longest = max(len(encoding) for encoding in encodings)
        if padding == "max_length":
            if max_length is None:
                raise ValueError('max_length: required when padding="max_length".')
            seq_len = check_int(max_length, "max_length", min_val=1)
            if longest > seq_len:
                raise ValueError(f"max_length: an encoding has {longest} tokens, more than max_length={seq_len}; truncate in encode().")
        else:
            seq_len = longest
        batch = {
            "input_ids": np.full((len(encodings), seq_len), self.pad_id, dtype=np.int64),
            "token_type_ids": np.zeros((len(encodings), seq_len), dtype=np.int64),
            "attention_mask": np.zeros((len(encodings), seq_len), dtype=np.int64),
        }
        for row, encoding in enumerate(encodings):
            for field in batch:
                batch[field][row, : len(encoding)] = getattr(encoding, field)
        return batch

    def batch_encode(
        self, texts: Sequence[str], *, max_length: int | None = None, padding: str = "longest"
    ) -> dict[str, np.ndarray]:
        """:meth:`encode` every text (truncated to ``max_length``), then :meth:`pad` them."""
        if isinstance(texts, str) or not all(isinstance(text, str) for text in texts):
            raise TypeError("texts: expected a sequence of str (one text per row).")
        return self.pad([self.encode(text, max_length=max_length) for text in texts], padding=padding, max_length=max_length)

    def decode(self, ids: Iterable[int], *, skip_special_tokens: bool = True) -> str:
        """Tokens of ``ids`` joined by spaces, with each ``##`` piece glued to the one before.

        Lower-casing, removed accents and ``[UNK]`` cannot be undone, and Chinese characters
        come back separated by spaces (as transformers' ``decode`` gives them).
        """
        tokens = self.convert_ids_to_tokens(ids)
        if check_bool(skip_special_tokens, "skip_special_tokens"):
            tokens = [token for token in tokens if token not in SPECIAL_TOKENS]
        return " ".join(tokens).replace(" ##", "")

    def special_tokens_mask(self, input_ids: np.ndarray) -> np.ndarray:
        """Boolean array, same shape as ``input_ids``: True at ``[PAD]``/``[UNK]``/``[CLS]``/``[SEP]``/``[MASK]``."""
        return np.isin(np.asarray(input_ids), list(self.special_ids))


# ---------------------------------------------------------------------------------------------
# Masked language modelling: BERT's 80/10/10 rule
# ---------------------------------------------------------------------------------------------
def _check_mlm_arguments(input_ids, special_tokens_mask) -> None:
    if not np.issubdtype(input_ids.dtype, np.integer) or input_ids.ndim not in (1, 2):
        raise ValueError(
            "input_ids: expected an integer array (batch, seq_len), got dtype "
            f"{input_ids.dtype} with shape {input_ids.shape}."
        )
    if special_tokens_mask.shape != input_ids.shape or special_tokens_mask.dtype != bool:
        raise ValueError(
            f"special_tokens_mask: expected a boolean array of shape {input_ids.shape}, "
            f"got {special_tokens_mask.dtype} {special_tokens_mask.shape}."
        )


def mask_tokens(
    input_ids: np.ndarray,
    *,
    special_tokens_mask: np.ndarray,
    mask_token_id: int,
    vocab_size: int,
    mask_probability: float = 0.15,
    seed: int | np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Choose the tokens a masked language model must predict; hide them.

    Each non-special token is chosen with probability ``mask_probability``,
    independently. A chosen token becomes ``[MASK]`` with probability 0.8,
    a token drawn uniformly from the whole vocabulary with probability 0.1
    (rarely the same token) and stays as it is with probability 0.1. The
    loss is computed at the chosen positions only. This is the rule of
    Devlin et al. (2019) as ``DataCollatorForLanguageModeling`` of
    transformers applies it; Google's original script instead chose exactly
    ``round(0.15 * length)`` positions per sequence.

    Parameters
    ----------
    input_ids:
        Integer array ``(batch, seq_len)`` (or ``(seq_len,)``).
    special_tokens_mask:
        Boolean array like ``input_ids``, True where a token is never
        chosen (``[CLS]``, ``[SEP]``, ``[PAD]``), e.g. from
        :meth:`WordPieceTokenizer.special_tokens_mask`.
    mask_token_id, vocab_size:
        The id of ``[MASK]``; random replacements are drawn from
        ``0 .. vocab_size - 1``.
    seed:
        Seed or generator of the draws.

    Returns
    -------
    masked_ids, labels:
        int64 arrays like ``input_ids``: the model's input, and the
        original id at each chosen position, ``-100`` elsewhere.
    """
    input_ids = np.asarray(input_ids)
    special_tokens_mask = np.asarray(special_tokens_mask)
    _check_mlm_arguments(input_ids, special_tokens_mask)
    vocab_size = check_int(vocab_size, "vocab_size", min_val=1)
    mask_token_id = check_int(
        mask_token_id, "mask_token_id", min_val=0, max_val=vocab_size - 1)
    mask_probability = check_probability(
        mask_probability, "mask_probability")
    rng = np.random.default_rng(seed)

    draw = rng.random(input_ids.shape)
    chosen = (draw < mask_probability) & ~special_tokens_mask
    labels = np.where(chosen, input_ids, IGNORE_INDEX).astype(np.int64)
    # A second draw decides each chosen token's fate:
    # [0, 0.8) -> [MASK], [0.8, 0.9) -> a random token, [0.9, 1) -> kept.
    fate = rng.random(input_ids.shape)
    to_mask = chosen & (fate < 0.8)
    to_random = chosen & (fate >= 0.8) & (fate < 0.9)
    masked_ids = input_ids.astype(np.int64)
    masked_ids[to_mask] = mask_token_id
    random_ids = rng.integers(0, vocab_size, size=to_random.sum())
    masked_ids[to_random] = random_ids
    return masked_ids, labels
