"""Load a pretrained encoder and its tokeniser by one name string, or build a tiny one offline.

A Colab reader writes ``load_encoder_model("bert-base-chinese", task="sequence-classification",
num_labels=2)`` and gets the Hugging Face hub's weights; swapping in another checkpoint means
changing that one string. The same functions take a local directory written by
``save_pretrained``, which is how the tests (and machines without internet) use them.

Two safety rules hold for every load: weights are read only from ``safetensors`` files
(``use_safetensors=True``: a pickled ``pytorch_model.bin`` can run arbitrary code when it is
loaded) and ``trust_remote_code`` is never set, so no Python code from a model repository runs.

Offline (no network, or ``HF_HUB_OFFLINE=1`` / ``TRANSFORMERS_OFFLINE=1``) no weights can be
downloaded. A name that cannot be loaded raises :class:`PretrainedModelUnavailableError`, whose
message says the three ways out: go online, pass a local directory, or build a small randomly
initialised model with :func:`tiny_bert` (which is *not* the pretrained result).

The bert-base-chinese vocabulary itself (21,128 WordPiece tokens, Apache-2.0) is small and
shipped with the package, so :func:`bert_chinese_tokenizer` gives the real tokenisation
everywhere, online or not.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import torch

from tutorial_lib.validation import ArgumentTypeError, check_choice, check_int, check_path

__all__ = [
    "BERT_BASE_CHINESE",
    "TASKS",
    "PretrainedModelUnavailableError",
    "bert_chinese_vocab_path",
    "bert_chinese_tokenizer",
    "load_tokenizer",
    "load_encoder_model",
    "tiny_bert_config",
    "tiny_bert",
    "save_tiny_bert",
    "count_parameters",
]

#: The hub name of the checkpoint the book's full profile fine-tunes.
BERT_BASE_CHINESE = "bert-base-chinese"

#: What the loaded model is for -> the ``transformers`` Auto class that builds it.
#: "encoder": the bare encoder (hidden states, pooler); "sequence-classification": encoder +
#: a linear head on [CLS]; "masked-lm": encoder + the masked-language-modelling head.
TASKS = {
    "encoder": "AutoModel",
    "sequence-classification": "AutoModelForSequenceClassification",
    "masked-lm": "AutoModelForMaskedLM",
}

#: Longest input bert-base-chinese was pre-trained on (its position-embedding table size).
BERT_MAX_LENGTH = 512

_PACKAGE_VOCAB = Path(__file__).resolve().parents[1] / "resources" / "bert-base-chinese-vocab.txt"
_MIRROR_VOCAB = Path("bert-base-chinese") / "vocab.txt"
_OFFLINE_ENV_VARS = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")


class PretrainedModelUnavailableError(OSError):
    """A model or tokeniser name could not be loaded (offline, unknown name, no safetensors)."""


# ---------------------------------------------------------------------------------------------
# Where things are
# ---------------------------------------------------------------------------------------------
def _is_offline() -> bool:
    """True when the Hugging Face offline switches are set (read at call time, not import)."""
    return any(os.environ.get(name, "").strip().upper() in {"1", "ON", "YES", "TRUE"}
               for name in _OFFLINE_ENV_VARS)


def _check_name_or_path(name_or_path) -> str:
    if isinstance(name_or_path, os.PathLike):
        name_or_path = os.fspath(name_or_path)
    if not isinstance(name_or_path, str):
        raise ArgumentTypeError(
            "name_or_path must be a hub name such as 'bert-base-chinese' or a local directory, "
            f"got {type(name_or_path).__name__}."
        )
    if not name_or_path.strip():
        raise ValueError("name_or_path must be a hub name such as 'bert-base-chinese' or a local directory, got ''.")
    return name_or_path


def _looks_like_a_path(name_or_path: str) -> bool:
    """A string that names a directory (it exists, or starts like a path) rather than a hub name."""
    return (Path(name_or_path).expanduser().exists() or name_or_path.startswith((".", "/", "~"))
            or name_or_path.count("/") > 1 or "\\" in name_or_path)


def _cached_snapshot(name: str) -> str | None:
    """The local cache directory of hub model ``name`` if it was downloaded before, else None.

    Used offline instead of letting transformers try the network (some versions still ask the
    hub for optional files, retrying for about 20 s, even with ``local_files_only``).
    """
    from huggingface_hub import try_to_load_from_cache

    try:
        config_file = try_to_load_from_cache(name, "config.json")
    except ValueError:  # not a valid repository id
        return None
    return str(Path(config_file).parent) if isinstance(config_file, str) else None


def _resolve(name_or_path: str, what: str) -> tuple[str, bool]:
    """``(what to pass to from_pretrained, whether it is local)``; raises when offline and absent."""
    if _looks_like_a_path(name_or_path):
        directory = Path(name_or_path).expanduser()
        if not directory.is_dir():
            raise PretrainedModelUnavailableError(
                f"name_or_path {name_or_path!r} looks like a local path but is not a directory; pass a "
                f"directory written by save_pretrained, or a hub name such as '{BERT_BASE_CHINESE}'."
            )
        return os.fspath(directory), True
    if _is_offline():
        snapshot = _cached_snapshot(name_or_path)
        if snapshot is None:
            raise _unavailable(name_or_path, what, FileNotFoundError("not in the local Hugging Face cache"))
        return snapshot, True
    return name_or_path, False


def _unavailable(name_or_path: str, what: str, cause: BaseException) -> PretrainedModelUnavailableError:
    first_line = str(cause).strip().splitlines()[0][:300] if str(cause).strip() else type(cause).__name__
    mode = ("offline mode is on (HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE)" if _is_offline()
            else "the hub could not be reached or has no such model")
    return PretrainedModelUnavailableError(
        f"Could not load the {what} {name_or_path!r}: {mode}. Ways out: (1) go online (on Colab "
        f"the hub name works as it is) and check the name on https://huggingface.co; (2) pass a "
        f"local directory written by save_pretrained (it must hold model.safetensors); (3) for "
        f"an offline run, build a small randomly initialised model with "
        f"tutorial_lib.models.pretrained.tiny_bert(...) (not the pretrained result). "
        f"Cause: {first_line}"
    )


def bert_chinese_vocab_path() -> Path:
    """The bert-base-chinese ``vocab.txt`` (21,128 lines): the package copy, else the mirror's.

    The package ships ``tutorial_lib/resources/bert-base-chinese-vocab.txt``; a checkout that
    does not have it yet falls back to ``$TUTORIAL_DATA_MIRROR/bert-base-chinese/vocab.txt``.
    """
    if _PACKAGE_VOCAB.is_file():
        return _PACKAGE_VOCAB
    mirror = os.environ.get("TUTORIAL_DATA_MIRROR", "").strip()
    if mirror and (Path(mirror) / _MIRROR_VOCAB).is_file():
        return Path(mirror) / _MIRROR_VOCAB
    raise FileNotFoundError(
        f"The bert-base-chinese vocabulary was found neither in the package ({_PACKAGE_VOCAB}) nor "
        f"in the data mirror (TUTORIAL_DATA_MIRROR/{_MIRROR_VOCAB.as_posix()}); reinstall "
        f"tutorial_lib, set TUTORIAL_DATA_MIRROR, or load the tokenizer by name online with "
        f"load_tokenizer('{BERT_BASE_CHINESE}')."
    )


def bert_chinese_tokenizer():
    """bert-base-chinese's own WordPiece tokeniser, built offline from the shipped vocabulary.

    A ``transformers.BertTokenizerFast`` (lower-casing, one token per CJK character, ``##``
    continuation pieces) with ``model_max_length`` 512: its ids are those of
    ``load_tokenizer("bert-base-chinese")``.
    """
    from transformers import BertTokenizerFast

    # The vocabulary path is passed positionally: its keyword is ``vocab_file`` in
    # transformers 4.x and ``vocab`` in 5.x.
    return BertTokenizerFast(str(bert_chinese_vocab_path()), model_max_length=BERT_MAX_LENGTH)


# ---------------------------------------------------------------------------------------------
# Loading by name or path
# ---------------------------------------------------------------------------------------------
def load_tokenizer(name_or_path):
    """The tokeniser of a hub model (``"bert-base-chinese"``) or of a local directory.

    Offline, ``"bert-base-chinese"`` itself still works: it is built from the shipped vocabulary
    (:func:`bert_chinese_tokenizer`). Any other name that cannot be loaded raises
    :class:`PretrainedModelUnavailableError`.
    """
    name_or_path = _check_name_or_path(name_or_path)
    from transformers import AutoTokenizer

    try:
        local, is_local = _resolve(name_or_path, "tokenizer")
        return AutoTokenizer.from_pretrained(local, trust_remote_code=False, local_files_only=is_local)
    except (OSError, ValueError) as error:
        if name_or_path == BERT_BASE_CHINESE:
            return bert_chinese_tokenizer()
        if isinstance(error, PretrainedModelUnavailableError):
            raise
        raise _unavailable(name_or_path, "tokenizer", error) from None


def load_encoder_model(name_or_path, task: str = "sequence-classification", num_labels: int = 2,
                       *, attn_implementation: str | None = None):
    """A pretrained BERT-family model, by hub name or from a local ``save_pretrained`` directory.

    Parameters
    ----------
    name_or_path:
        A hub name (``"bert-base-chinese"``) or a directory holding ``config.json`` and
        ``model.safetensors``.
    task:
        One of :data:`TASKS`: ``"encoder"`` (bare encoder), ``"sequence-classification"``
        (a new linear head on [CLS] with ``num_labels`` outputs, randomly initialised when the
        checkpoint has none) or ``"masked-lm"``.
    num_labels:
        Outputs of the classification head (``task="sequence-classification"`` only).
    attn_implementation:
        ``None`` (transformers' default, SDPA where available), ``"sdpa"`` or ``"eager"``.

    Returns the model in evaluation mode (call ``model.train()`` before training). Only
    safetensors weights are read and no remote code runs. A name that cannot be loaded raises
    :class:`PretrainedModelUnavailableError` saying what to do.
    """
    name_or_path = _check_name_or_path(name_or_path)
    task = check_choice(task, "task", list(TASKS))
    num_labels = check_int(num_labels, "num_labels", min_val=1)
    if attn_implementation is not None:
        attn_implementation = check_choice(attn_implementation, "attn_implementation", ["sdpa", "eager"])
    import transformers

    auto_class = getattr(transformers, TASKS[task])
    local, is_local = _resolve(name_or_path, "model")
    options = {"use_safetensors": True, "trust_remote_code": False, "local_files_only": is_local}
    if task == "sequence-classification":
        # A checkpoint's head of another size (or none) is replaced by a new one of num_labels.
        options["num_labels"] = num_labels
        options["ignore_mismatched_sizes"] = True
    if attn_implementation is not None:
        options["attn_implementation"] = attn_implementation
    try:
        with _quiet_transformers():
            model = auto_class.from_pretrained(local, **options)
    except (OSError, ValueError) as error:
        raise _unavailable(name_or_path, "model", error) from None
    return model.eval()


@contextlib.contextmanager
def _quiet_transformers():
    """Silence transformers' loading report (a new head is expected when fine-tuning).

    The report goes to stderr, and a notebook cell that writes to stderr fails the book build.
    Errors are still raised.
    """
    from transformers.utils import logging as transformers_logging

    previous = transformers_logging.get_verbosity()
    transformers_logging.set_verbosity_error()
    try:
        yield
    finally:
        transformers_logging.set_verbosity(previous)


# ---------------------------------------------------------------------------------------------
# A tiny BERT for offline runs and tests
# ---------------------------------------------------------------------------------------------
def tiny_bert_config(vocab_size: int = 21128, *, hidden_size: int = 32, num_hidden_layers: int = 2,
                     num_attention_heads: int = 2, intermediate_size: int = 64,
                     max_position_embeddings: int = BERT_MAX_LENGTH, num_labels: int = 2,
                     dropout: float = 0.1):
    """A ``transformers.BertConfig`` of the bert-base-chinese family, only much smaller.

    Same vocabulary (default 21,128 ids), same layer types and same 512 positions; the widths
    and depth are the arguments (bert-base: hidden 768, 12 layers, 12 heads, intermediate 3072).
    """
    vocab_size = check_int(vocab_size, "vocab_size", min_val=5)
    hidden_size = check_int(hidden_size, "hidden_size", min_val=1)
    num_hidden_layers = check_int(num_hidden_layers, "num_hidden_layers", min_val=1)
    num_attention_heads = check_int(num_attention_heads, "num_attention_heads", min_val=1)
    if hidden_size % num_attention_heads:
        raise ValueError(
            f"hidden_size ({hidden_size}) must be a multiple of num_attention_heads ({num_attention_heads})."
        )
    intermediate_size = check_int(intermediate_size, "intermediate_size", min_val=1)
    max_position_embeddings = check_int(max_position_embeddings, "max_position_embeddings", min_val=2)
    num_labels = check_int(num_labels, "num_labels", min_val=1)
    from transformers import BertConfig

    return BertConfig(vocab_size=vocab_size, hidden_size=hidden_size, num_hidden_layers=num_hidden_layers,
                      num_attention_heads=num_attention_heads, intermediate_size=intermediate_size,
                      max_position_embeddings=max_position_embeddings, num_labels=num_labels,
                      hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout)


def tiny_bert(task: str = "sequence-classification", *, seed: int = 0, config=None,
              attn_implementation: str | None = None, **config_options):
    """A randomly initialised small BERT (see :func:`tiny_bert_config`): NOT a pretrained model.

    ``config`` (a ``BertConfig``, e.g. bert-base's sizes for a speed benchmark) is used as it
    is; otherwise ``config_options`` go to :func:`tiny_bert_config`. ``seed`` makes the initial
    weights reproducible; ``attn_implementation`` is ``None`` (the default), ``"sdpa"`` or
    ``"eager"``.
    """
    task = check_choice(task, "task", list(TASKS))
    seed = check_int(seed, "seed", min_val=0)
    if attn_implementation is not None:
        attn_implementation = check_choice(attn_implementation, "attn_implementation", ["sdpa", "eager"])
    import transformers

    if config is None:
        config = tiny_bert_config(**config_options)
    elif config_options:
        raise ValueError("pass either config or config options, not both.")
    auto_class = getattr(transformers, TASKS[task])
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if attn_implementation is None:
            model = auto_class.from_config(config)
        else:
            model = auto_class.from_config(config, attn_implementation=attn_implementation)
    return model


def save_tiny_bert(path, task: str = "sequence-classification", *, seed: int = 0, tokenizer=None,
                   **config_options) -> Path:
    """Write a :func:`tiny_bert` and its tokeniser to ``path`` with ``save_pretrained``.

    The directory can then be loaded with :func:`load_encoder_model` and :func:`load_tokenizer`
    exactly like a downloaded checkpoint. ``tokenizer`` defaults to
    :func:`bert_chinese_tokenizer`; the model's vocabulary size is the tokeniser's.
    Returns the directory.
    """
    path = check_path(path, "path")
    if tokenizer is None:
        tokenizer = bert_chinese_tokenizer()
    if "vocab_size" in config_options:
        raise ValueError("save_tiny_bert takes the vocabulary size from the tokenizer; do not pass vocab_size.")
    model = tiny_bert(task, seed=seed, vocab_size=len(tokenizer), **config_options)
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)  # safetensors is the default format (4.x) and the only one (5.x)
    tokenizer.save_pretrained(path)
    return path


def count_parameters(model: torch.nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters of ``model`` (those with ``requires_grad`` only, if asked)."""
    if not isinstance(model, torch.nn.Module):
        raise ArgumentTypeError(f"model must be a torch.nn.Module, got {type(model).__name__}.")
    return sum(parameter.numel() for parameter in model.parameters()
               if parameter.requires_grad or not trainable_only)
