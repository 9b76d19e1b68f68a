"""Download, verify, cache and load the public datasets the book uses.

The book never ships data: MovieLens forbids redistribution and the Chinese review corpora
carry no licence. Instead every file is described here by its official URL and checksum, and
:func:`fetch_file` (implemented in :mod:`tutorial_lib.data.downloads`) finds a verified copy in this order:

1. the **cache** (``TUTORIAL_DATA_CACHE``, default ``pooch.os_cache("tutorial_lib")``, for
   example ``~/.cache/tutorial_lib`` on Linux): used when its checksum matches;
2. a **mirror** folder (``TUTORIAL_DATA_MIRROR``), laid out like the cache, for machines
   without internet. A mirror file whose checksum does not match raises
   :class:`ChecksumError`;
3. the **official URL**, downloaded once with :mod:`pooch` (checksum checked before the file is
   moved into the cache, so an interrupted or corrupt download never leaves a file that a
   later run trusts; failed downloads are retried).

Cache and mirror share one layout: the files as they are after extracting the archives,
one folder per source::

    movielens/ml-100k/u.data                     (from movielens/ml-100k.zip)
    movielens/ml-1m/ratings.dat                  (from movielens/ml-1m.zip)
    chinese-nlp-corpus/online_shopping_10_cats.csv   (from ...online_shopping_10_cats.zip)
    chinese-nlp-corpus/waimai_10k.csv
    chinese-nlp-corpus/ChnSentiCorp_htl_all.csv

A mirror may hold either the extracted file or the archive it comes from (for example
``movielens/ml-100k.zip`` or ``chinese-nlp-corpus/online_shopping_10_cats.zip``); an archive
is verified, then the member is extracted into the cache.

Every archive member is checked against its own pinned SHA-256, except those of MovieLens 1M:
no checksum of its members could be pinned (it could not be downloaded where this code was
written), so they are trusted only as far as the archive they come from, whose MD5 is
pinned. When a member is extracted from the verified archive its SHA-256 is recorded in the
cache (``movielens/.checksums-ml-1m.zip.json``) and checked on every later use; a cached copy
that was modified is extracted again. For the same reason an extracted MovieLens 1M file is
never taken from a mirror on its own: the mirror must hold ``movielens/ml-1m.zip``.

The loaders (:func:`load_movielens_ratings`, :func:`load_movielens_users`,
:func:`load_movielens_items`, :func:`load_reviews`) return tidy :class:`pandas.DataFrame`
objects whose columns and dtypes are listed in their docstrings. Text columns use pandas'
``"string"`` dtype (:class:`pandas.StringDtype`), which behaves the same on pandas 2 and 3.

:func:`fixture_registry` describes tiny invented files shipped in
``tutorial_lib/resources/fixtures`` in the exact formats of the real ones; pass it as
``registry=`` to any loader to try the code without downloading anything.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from tutorial_lib.data.downloads import (
    CACHE_ENV_VAR,
    MIRROR_ENV_VAR,
    UNREACHABLE_URL,
    ChecksumError,
    DataFile,
    DataRegistry,
    DataUnavailableError,
    Download,
    SafeUnzip,
    UnsafeArchiveError,
    data_cache_dir,
    file_checksum,
    make_registry,
)
from tutorial_lib.data.downloads import fetch_file as _fetch_from_registry
from tutorial_lib.validation import check_bool

__all__ = [
    "CACHE_ENV_VAR",
    "MIRROR_ENV_VAR",
    "FIXTURES_DIR",
    "MOVIELENS_VARIANTS",
    "MOVIELENS_100K_GENRES",
    "MOVIELENS_1M_AGE_GROUPS",
    "MOVIELENS_1M_OCCUPATIONS",
    "REVIEW_CORPORA",
    "REVIEW_CATEGORY",
    "ChecksumError",
    "DataUnavailableError",
    "UnsafeArchiveError",
    "Download",
    "DataFile",
    "DataRegistry",
    "DatasetInfo",
    "SafeUnzip",
    "REGISTRY",
    "fixture_registry",
    "data_cache_dir",
    "fetch_file",
    "file_checksum",
    "describe_dataset",
    "list_datasets",
    "load_movielens_ratings",
    "load_movielens_users",
    "load_movielens_items",
    "load_reviews",
]

FIXTURES_DIR = Path(__file__).resolve().parent.parent / "resources" / "fixtures"


#: Text columns use this dtype: the same on pandas 2 and 3, missing values are ``pd.NA``.
TEXT_DTYPE = "string"



_SOPHONPLUS_RAW = "https://raw.githubusercontent.com/SophonPlus/ChineseNlpCorpus/master/datasets"

REGISTRY = make_registry(
    downloads=[
        Download(
            path="movielens/ml-100k.zip",
            url="https://files.grouplens.org/datasets/movielens/ml-100k.zip",
            known_hash="md5:0e33842e24a9c977be4e0107933c0723",
        ),
        Download(
            path="movielens/ml-1m.zip",
            url="https://files.grouplens.org/datasets/movielens/ml-1m.zip",
            known_hash="md5:c4d9eecfca2ab87c1945afe126590906",
        ),
        Download(
            path="chinese-nlp-corpus/online_shopping_10_cats.zip",
            url=f"{_SOPHONPLUS_RAW}/online_shopping_10_cats/online_shopping_10_cats.zip",
            # documented MD5: a8253bc562d3b935e686e046591dd1cd
            known_hash="sha256:6816ded66fde9d0927ecbd370b5e12d0174d1abac35192ec014ac2a0a8d25858",
        ),
        Download(
            path="chinese-nlp-corpus/waimai_10k.csv",
            url=f"{_SOPHONPLUS_RAW}/waimai_10k/waimai_10k.csv",
            # documented MD5: d2500508a949d0788fab988794937be5
            known_hash="sha256:b8b5c11c00b51578d35937fca56e03a126b45381f1ea4b22893237cb377a26fe",
        ),
        Download(
            path="chinese-nlp-corpus/ChnSentiCorp_htl_all.csv",
            url=f"{_SOPHONPLUS_RAW}/ChnSentiCorp_htl_all/ChnSentiCorp_htl_all.csv",
            # documented MD5: 8824a3e3f27de0831389fde01df425da
            known_hash="sha256:1d414b9c65caf3a836abdb4efded621968502ad3338e1a9d885ae131c86083f0",
        ),
    ],
    files=[
        # MovieLens 100K: every member pinned by SHA-256.
        DataFile(
            "movielens/ml-100k.zip",
            "ml-100k/README",
            sha256="4883b8cf340ed0059971b33f56ad3adc88a40792108ebca3d24aafc4c82e8b52",
            md5="364aae5a5037ed015864d55c04f1f476",
        ),
        DataFile(
            "movielens/ml-100k.zip",
            "ml-100k/u.data",
            sha256="06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490",
            md5="6e47046882bad158b0efbb84cd5cb987",
        ),
        DataFile(
            "movielens/ml-100k.zip",
            "ml-100k/u.genre",
            sha256="9757e0d3e6b298159a80dd48eaf938114690e911e39af97a76949ef1663610bb",
            md5="a7578bdb37758741ae9429d2c736af18",
        ),
        DataFile(
            "movielens/ml-100k.zip",
            "ml-100k/u.item",
            sha256="553841ebc7de3a0fd0d6b62a204ea30c1e651aacfb2814c7a6584ac52f2c5701",
            md5="c9e7f390115d79079537301d5204f3f7",
        ),
        DataFile(
            "movielens/ml-100k.zip",
            "ml-100k/u.occupation",
            sha256="cd5fbec9afe345d993a62fc7817df1a4a9079c4feb267b3118763b8fd942137d",
            md5="035abaa2165f35cebce4b91e03481e0a",
        ),
        DataFile(
            "movielens/ml-100k.zip",
            "ml-100k/u.user",
            sha256="f120e114da2e8cf314fd28f99417c94ae9ddf1cb6db8ce0e4b5995d40e90e62c",
            md5="1b53539edc13caad0282c8500608a319",
        ),
        # MovieLens 1M: members not pinned (see the module docstring); the zip's MD5 is.
        DataFile("movielens/ml-1m.zip", "ml-1m/README"),
        DataFile("movielens/ml-1m.zip", "ml-1m/ratings.dat"),
        DataFile("movielens/ml-1m.zip", "ml-1m/users.dat"),
        DataFile("movielens/ml-1m.zip", "ml-1m/movies.dat"),
        # ChineseNlpCorpus (SophonPlus, commit a0b781d).
        DataFile(
            "chinese-nlp-corpus/online_shopping_10_cats.zip",
            "online_shopping_10_cats.csv",
            sha256="f6c5b724122d8547b700ac4524898eb7e28abbee63f798e95a8faa408829afdb",
            md5="e83a1e7b83fecb6df2673a914e167c70",
        ),
        DataFile(
            "chinese-nlp-corpus/waimai_10k.csv",
            sha256="b8b5c11c00b51578d35937fca56e03a126b45381f1ea4b22893237cb377a26fe",
            md5="d2500508a949d0788fab988794937be5",
        ),
        DataFile(
            "chinese-nlp-corpus/ChnSentiCorp_htl_all.csv",
            sha256="1d414b9c65caf3a836abdb4efded621968502ad3338e1a9d885ae131c86083f0",
            md5="8824a3e3f27de0831389fde01df425da",
        ),
    ],
)

# Checksums of the invented fixture files (tutorial_lib/resources/fixtures). If you edit a
# fixture, update its line here: the tests then prove the verification still works.
_FIXTURE_DOWNLOAD_SHA256 = {
    "movielens/ml-100k.zip": "9e10b8c4319d6e314b8f4627395d7a4121a66f1a52f058958f26d25772711e7e",
    "movielens/ml-1m.zip": "0d0ee909ec51999a768d6bf7f00944713b2294a7f59ad521ca77ac7f5b012594",
    "chinese-nlp-corpus/online_shopping_10_cats.zip": "2bbc8bab6e164d58f1371df850bbeab451bad6ab32c59bc7b8c5d6b2555c342b",
    "chinese-nlp-corpus/waimai_10k.csv": "78bc72cc53051343dbb64aa7a4715a17bfe2dbf1d8bf50804510300e285d4884",
    "chinese-nlp-corpus/ChnSentiCorp_htl_all.csv": "51d0ddd9d1c005329967db431e71098fea76f3794c9aa4a0ea5d6bfaed8262bd",
}
_FIXTURE_FILE_SHA256 = {
    "movielens/ml-100k/README": "11e9ecab5d56709ff20fbbac484053eb0878c441e1769d867f4a8e89e1b6b040",
    "movielens/ml-100k/u.data": "a7415946e2d2197bd91ef2bc1b49bc2a64b41e7a1456c95e58f05a62854195ea",
    "movielens/ml-100k/u.genre": "9757e0d3e6b298159a80dd48eaf938114690e911e39af97a76949ef1663610bb",
    "movielens/ml-100k/u.item": "ad0be3e6c33bfed88cdbf9b02a298f500d4acd5f096c1ff6165c56664819903b",
    "movielens/ml-100k/u.occupation": "eeb401412d15dea86ee385f516b38c5e0eace79bb165243fa018593145165e70",
    "movielens/ml-100k/u.user": "4773acfb4aa00cdaf3f603909441595a57f5085cba4bc28eca1a165de0d4055c",
    "chinese-nlp-corpus/online_shopping_10_cats.csv": "b188b498f62908a01ebe04d0274340c4e6195671a490de0290bfe886b642c8cf",
    "chinese-nlp-corpus/waimai_10k.csv": "78bc72cc53051343dbb64aa7a4715a17bfe2dbf1d8bf50804510300e285d4884",
    "chinese-nlp-corpus/ChnSentiCorp_htl_all.csv": "51d0ddd9d1c005329967db431e71098fea76f3794c9aa4a0ea5d6bfaed8262bd",
}


def fixture_registry() -> DataRegistry:
    """Return a registry of the tiny invented fixture files shipped with the package.

    It has the same downloads and file paths as :data:`REGISTRY` (so every loader works with
    it), but the checksums of the fixture files, :data:`FIXTURES_DIR` as its mirror, URLs on
    an unreachable loopback address (nothing is ever downloaded) and its own cache sub-folder
    ``fixtures/``. The MovieLens 1M members stay unpinned, exactly as in the real registry.

    Examples
    --------
    >>> from tutorial_lib.data.datasets import fixture_registry, load_movielens_ratings
    >>> load_movielens_ratings(registry=fixture_registry()).shape
    (14, 4)
    """
    downloads = [
        Download(path=path, url=f"{UNREACHABLE_URL}/fixtures/{path}", known_hash=f"sha256:{sha256}")
        for path, sha256 in _FIXTURE_DOWNLOAD_SHA256.items()
    ]
    files = [
        dataclasses.replace(data_file, sha256=_FIXTURE_FILE_SHA256.get(path), md5=None)
        for path, data_file in REGISTRY.files.items()
    ]
    return make_registry(downloads, files, mirror_dir=FIXTURES_DIR, cache_subdir="fixtures")


# ---------------------------------------------------------------------------------------------
# Dataset descriptions: URL, licence, citation
# ---------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """What a reader should know before using a dataset.

    Attributes
    ----------
    name:
        Short name used by this module (``"ml-100k"``, ``"waimai_10k"``, ...).
    title:
        Human-readable name.
    homepage:
        Where the dataset is described.
    urls:
        Official download URLs.
    files:
        Data files (registry paths) the book reads.
    licence:
        The terms of use, in a sentence or two.
    citation:
        How to cite it.
    notes:
        Anything surprising about the files.
    """

    name: str
    title: str
    homepage: str
    urls: tuple[str, ...]
    files: tuple[str, ...]
    licence: str
    citation: str
    notes: str = ""

    def __str__(self) -> str:
        lines = [
            f"{self.title} ({self.name})",
            f"  homepage: {self.homepage}",
            *(f"  download: {url}" for url in self.urls),
            f"  licence:  {self.licence}",
            f"  cite:     {self.citation}",
        ]
        if self.notes:
            lines.append(f"  notes:    {self.notes}")
        return "\n".join(lines)


_MOVIELENS_CITATION = (
    "F. Maxwell Harper and Joseph A. Konstan. 2015. The MovieLens Datasets: History and Context. "
    "ACM Transactions on Interactive Intelligent Systems (TiiS) 5, 4, Article 19. "
    "https://doi.org/10.1145/2827872"
)
_MOVIELENS_LICENCE = (
    "GroupLens usage licence (README in the archive): free for research; no redistribution and "
    "no commercial use without permission; publications must cite Harper & Konstan (2015)."
)
_SOPHONPLUS_LICENCE = (
    "No licence stated: the SophonPlus/ChineseNlpCorpus repository has no licence file. The book "
    "downloads it from the official URL and never redistributes it."
)
_SOPHONPLUS_HOMEPAGE = "https://github.com/SophonPlus/ChineseNlpCorpus"


def _files_of(download_path: str) -> tuple[str, ...]:
    return tuple(path for path, data_file in REGISTRY.files.items() if data_file.download == download_path)


_DATASETS: dict[str, DatasetInfo] = {
    "ml-100k": DatasetInfo(
        name="ml-100k",
        title="MovieLens 100K",
        homepage="https://grouplens.org/datasets/movielens/100k/",
        urls=(REGISTRY.downloads["movielens/ml-100k.zip"].url,),
        files=_files_of("movielens/ml-100k.zip"),
        licence=_MOVIELENS_LICENCE,
        citation=_MOVIELENS_CITATION,
        notes="943 users, 1,682 movies, 100,000 ratings (1-5) with Unix timestamps; u.item is Latin-1.",
    ),
    "ml-1m": DatasetInfo(
        name="ml-1m",
        title="MovieLens 1M",
        homepage="https://grouplens.org/datasets/movielens/1m/",
        urls=(REGISTRY.downloads["movielens/ml-1m.zip"].url,),
        files=_files_of("movielens/ml-1m.zip"),
        licence=_MOVIELENS_LICENCE,
        citation=_MOVIELENS_CITATION,
        notes=(
            "Optional larger set. Only the zip's MD5 is pinned, not its members' checksums. "
            "'::'-separated, Latin-1; age is a bracket code (1, 18, 25, 35, 45, 50, 56); "
            "movies have no release date."
        ),
    ),
    "online_shopping_10_cats": DatasetInfo(
        name="online_shopping_10_cats",
        title="online_shopping_10_cats (ChineseNlpCorpus)",
        homepage=_SOPHONPLUS_HOMEPAGE,
        urls=(REGISTRY.downloads["chinese-nlp-corpus/online_shopping_10_cats.zip"].url,),
        files=_files_of("chinese-nlp-corpus/online_shopping_10_cats.zip"),
        licence=_SOPHONPLUS_LICENCE,
        citation="SophonPlus, ChineseNlpCorpus, online_shopping_10_cats. " + _SOPHONPLUS_HOMEPAGE,
        notes=(
            "62,774 e-commerce reviews in 10 categories (label 1 positive, 0 negative); 20 reviews "
            "start with a byte-order mark; one review is empty; its 酒店 (hotel) category repeats "
            "5,573 reviews of ChnSentiCorp_htl_all character for character (5,574 once a "
            "byte-order mark is ignored)."
        ),
    ),
    "waimai_10k": DatasetInfo(
        name="waimai_10k",
        title="waimai_10k (ChineseNlpCorpus)",
        homepage=_SOPHONPLUS_HOMEPAGE,
        urls=(REGISTRY.downloads["chinese-nlp-corpus/waimai_10k.csv"].url,),
        files=_files_of("chinese-nlp-corpus/waimai_10k.csv"),
        licence=_SOPHONPLUS_LICENCE,
        citation="SophonPlus, ChineseNlpCorpus, waimai_10k. " + _SOPHONPLUS_HOMEPAGE,
        notes="11,987 food-delivery reviews (4,000 positive, 7,987 negative).",
    ),
    "ChnSentiCorp_htl_all": DatasetInfo(
        name="ChnSentiCorp_htl_all",
        title="ChnSentiCorp hotel reviews (ChineseNlpCorpus)",
        homepage=_SOPHONPLUS_HOMEPAGE,
        urls=(REGISTRY.downloads["chinese-nlp-corpus/ChnSentiCorp_htl_all.csv"].url,),
        files=_files_of("chinese-nlp-corpus/ChnSentiCorp_htl_all.csv"),
        licence=_SOPHONPLUS_LICENCE,
        citation=(
            "ChnSentiCorp, hotel reviews from Ctrip compiled by Tan Songbo (谭松波); "
            "copy from SophonPlus, ChineseNlpCorpus. " + _SOPHONPLUS_HOMEPAGE
        ),
        notes="7,766 hotel reviews (5,322 positive, 2,444 negative); one review is empty.",
    ),
}


def list_datasets() -> tuple[str, ...]:
    """Names accepted by :func:`describe_dataset`."""
    return tuple(_DATASETS)


def describe_dataset(name: str) -> DatasetInfo:
    """Return the URL, licence, citation and notes of a dataset.

    ``print(describe_dataset("ml-100k"))`` shows them as a short block of text.

    Raises
    ------
    ValueError
        If ``name`` is not one of :func:`list_datasets`.
    """
    if name not in _DATASETS:
        raise ValueError(f"Unknown dataset {name!r}; expected one of: {', '.join(_DATASETS)}.")
    return _DATASETS[name]


def fetch_file(path: str, *, registry: DataRegistry | None = None, **options) -> Path:
    """Return the local path of a verified copy of one of the book's data files.

    ``path`` is a file of :data:`REGISTRY` such as ``"movielens/ml-100k/u.data"``; ``registry``
    defaults to :data:`REGISTRY`. The other options (``url``, ``cache_dir``, ``mirror_dir``,
    ``retries``, ``progressbar``) are those of :func:`tutorial_lib.data.downloads.fetch_file`,
    which documents where the file is looked for and what it raises.
    """
    return _fetch_from_registry(path, registry=REGISTRY if registry is None else registry, **options)


# ---------------------------------------------------------------------------------------------
# MovieLens loaders
# ---------------------------------------------------------------------------------------------
MOVIELENS_VARIANTS = ("ml-100k", "ml-1m")

#: The 19 genres of MovieLens 100K in ``u.genre`` order (the order of the flags in ``u.item``).
MOVIELENS_100K_GENRES = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
    "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
    "Romance", "Sci-Fi", "Thriller", "War", "Western",
)  # fmt: skip

#: MovieLens 1M stores an age bracket code; the code is the bracket's lower bound except 1.
MOVIELENS_1M_AGE_GROUPS = {
    1: "Under 18", 18: "18-24", 25: "25-34", 35: "35-44", 45: "45-49", 50: "50-55", 56: "56+",
}  # fmt: skip

#: MovieLens 1M occupation codes (from its README).
MOVIELENS_1M_OCCUPATIONS = (
    "other", "academic/educator", "artist", "clerical/admin", "college/grad student",
    "customer service", "doctor/health care", "executive/managerial", "farmer", "homemaker",
    "K-12 student", "lawyer", "programmer", "retired", "sales/marketing", "scientist",
    "self-employed", "technician/engineer", "tradesman/craftsman", "unemployed", "writer",
)  # fmt: skip

_MOVIELENS_PATHS = {
    "ml-100k": {
        "ratings": "movielens/ml-100k/u.data",
        "users": "movielens/ml-100k/u.user",
        "items": "movielens/ml-100k/u.item",
        "genres": "movielens/ml-100k/u.genre",
        "occupations": "movielens/ml-100k/u.occupation",
    },
    "ml-1m": {
        "ratings": "movielens/ml-1m/ratings.dat",
        "users": "movielens/ml-1m/users.dat",
        "items": "movielens/ml-1m/movies.dat",
    },
}


def _movielens_path(variant: str, kind: str, registry: DataRegistry | None) -> Path:
    if variant not in _MOVIELENS_PATHS:
        raise ValueError(f"Unknown MovieLens variant {variant!r}; expected one of: {', '.join(MOVIELENS_VARIANTS)}.")
    return fetch_file(_MOVIELENS_PATHS[variant][kind], registry=registry)


def _read_double_colon_file(path: Path, column_names: list[str], dtypes: dict) -> pd.DataFrame:
    """Read an ML-1M ``a::b::c`` file of simple fields (no ':' inside any field).

    pandas' fast C parser needs a one-character separator, so the line is split on ':' and
    every second column (the empty field between the two colons) is dropped.
    """
    every_other_column = list(range(0, 2 * len(column_names), 2))
    frame = pd.read_csv(
        path,
        sep=":",
        header=None,
        usecols=every_other_column,
        dtype=str,
        keep_default_na=False,
        encoding="latin-1",
    )
    frame.columns = column_names
    return frame.astype(dtypes)


def load_movielens_ratings(
    variant: str = "ml-100k", *, registry: DataRegistry | None = None, file_order: bool = False
) -> pd.DataFrame:
    """Load the MovieLens ratings: one row per (user, movie) rating.

    Parameters
    ----------
    variant:
        ``"ml-100k"`` (100,000 ratings) or ``"ml-1m"`` (1,000,209 ratings; downloaded on demand).
    registry:
        Registry to read from (default: the real data; :func:`fixture_registry` for tests).
    file_order:
        When True, keep the rows in the order of the lines of the ratings file (``u.data``),
        as the Surprise library reads them; the folds of its benchmark are drawn in that
        order (:func:`tutorial_lib.data.splits.surprise_benchmark_folds`).

    Returns
    -------
    pandas.DataFrame
        Shape ``(n_ratings, 4)``, sorted by ``(user_id, timestamp, item_id)`` (or in file
        order, see ``file_order``), index 0..n-1:

        - ``user_id`` (int32): 1-based user id.
        - ``item_id`` (int32): 1-based movie id.
        - ``rating`` (int8): stars, 1 to 5.
        - ``timestamp`` (int64): Unix seconds (UTC) when the rating was made.
    """
    path = _movielens_path(variant, "ratings", registry)
    column_names = ["user_id", "item_id", "rating", "timestamp"]
    dtypes = {"user_id": "int32", "item_id": "int32", "rating": "int8", "timestamp": "int64"}
    if variant == "ml-100k":
        ratings = pd.read_csv(path, sep="\t", header=None, names=column_names, dtype=dtypes)
    else:
        ratings = _read_double_colon_file(path, column_names, dtypes)
    out_of_range = ~ratings["rating"].between(1, 5)
    if out_of_range.any():
        raise ValueError(f"{path} holds {int(out_of_range.sum())} ratings outside 1..5; it is not a MovieLens file.")
    if check_bool(file_order, "file_order"):
        return ratings
    return ratings.sort_values(["user_id", "timestamp", "item_id"], kind="mergesort", ignore_index=True)


def _read_lines(path: Path, encoding: str = "latin-1") -> list[str]:
    """Non-empty lines of a small text file, without their line endings."""
    return [line for line in path.read_text(encoding=encoding).splitlines() if line.strip()]


def _categorical(values: pd.Series, categories, column: str, path: Path) -> pd.Series:
    """Turn text into a categorical with fixed categories; unknown values are an error."""
    unknown = sorted(set(values) - set(categories))
    if unknown:
        raise ValueError(
            f"{path}: column {column!r} holds unexpected values {unknown[:5]}; expected {list(categories)}."
        )
    return pd.Series(pd.Categorical(values, categories=list(categories)), index=values.index, name=column)


def load_movielens_users(variant: str = "ml-100k", *, registry: DataRegistry | None = None) -> pd.DataFrame:
    """Load the MovieLens user table: one row per user.

    Returns
    -------
    pandas.DataFrame
        Shape ``(n_users, 5)``, sorted by ``user_id``:

        - ``user_id`` (int32).
        - ``age`` (int16): age in years for ML-100K. For ML-1M, the age-bracket code
          (1, 18, 25, 35, 45, 50, 56): the lower bound of the bracket, except 1 = under 18;
          see :data:`MOVIELENS_1M_AGE_GROUPS`.
        - ``gender`` (category ``["F", "M"]``).
        - ``occupation`` (category): ML-100K uses the names in ``u.occupation`` (``"none"`` is
          one of them, not a missing value); ML-1M codes are mapped to
          :data:`MOVIELENS_1M_OCCUPATIONS`.
        - ``zip_code`` (string): kept as text, because some are Canadian postal codes such as
          ``"T8H1N"`` and US codes keep their leading zeros.
    """
    path = _movielens_path(variant, "users", registry)
    if variant == "ml-100k":
        raw = pd.read_csv(
            path,
            sep="|",
            header=None,
            names=["user_id", "age", "gender", "occupation", "zip_code"],
            dtype=str,
            keep_default_na=False,
            encoding="latin-1",
        )
        occupations = _read_lines(_movielens_path(variant, "occupations", registry))
        occupation = _categorical(raw["occupation"], occupations, "occupation", path)
    else:
        raw = _read_double_colon_file(path, ["user_id", "gender", "age", "occupation", "zip_code"], dtypes=str)
        codes = raw["occupation"].astype("int64")
        unknown_code = ~codes.between(0, len(MOVIELENS_1M_OCCUPATIONS) - 1)
        if unknown_code.any():
            raise ValueError(f"{path}: occupation codes must be 0..20, found {sorted(set(codes[unknown_code]))}.")
        occupation_names = codes.map(dict(enumerate(MOVIELENS_1M_OCCUPATIONS)))
        occupation = _categorical(occupation_names, MOVIELENS_1M_OCCUPATIONS, "occupation", path)
        unknown_age = sorted(set(raw["age"].astype("int64")) - set(MOVIELENS_1M_AGE_GROUPS))
        if unknown_age:
            raise ValueError(f"{path}: age codes must be one of {list(MOVIELENS_1M_AGE_GROUPS)}, found {unknown_age}.")
    users = pd.DataFrame(
        {
            "user_id": raw["user_id"].astype("int32"),
            "age": raw["age"].astype("int16"),
            "gender": _categorical(raw["gender"], ["F", "M"], "gender", path),
            "occupation": occupation,
            "zip_code": raw["zip_code"].astype(TEXT_DTYPE),
        }
    )
    return users.sort_values("user_id", kind="mergesort", ignore_index=True)


def _read_100k_genres(path: Path) -> tuple[str, ...]:
    """Genre names from ``u.genre`` (lines ``name|index``), in index order."""
    index_and_name = sorted((int(index), name) for name, index in (line.split("|") for line in _read_lines(path)))
    return tuple(name for _, name in index_and_name)


def _join_genre_flags(flags: np.ndarray, genre_names: tuple[str, ...]) -> list[str]:
    """``flags`` ``(n_items, n_genres)`` of 0/1 -> one ``"A|B"`` string per item ("" if none)."""
    return ["|".join(name for name, flag in zip(genre_names, row) if flag) for row in flags]


def _load_100k_items(registry: DataRegistry | None) -> pd.DataFrame:
    path = _movielens_path("ml-100k", "items", registry)
    genre_path = _movielens_path("ml-100k", "genres", registry)
    genre_names = _read_100k_genres(genre_path)
    if genre_names != MOVIELENS_100K_GENRES:
        raise ValueError(f"{genre_path} lists genres {genre_names}; expected the 19 of MOVIELENS_100K_GENRES.")
    leading = ["item_id", "title", "release_date", "video_release_date", "imdb_url"]
    raw = pd.read_csv(
        path,
        sep="|",
        header=None,
        names=leading + list(genre_names),
        dtype=str,
        keep_default_na=False,
        encoding="latin-1",  # u.item holds a few accented titles in Latin-1, not UTF-8
    )
    flags = raw[list(genre_names)].astype("int8").to_numpy()
    if not np.isin(flags, (0, 1)).all():
        raise ValueError(f"{path}: genre flags must be 0 or 1.")
    # Dates look like "01-Jan-1995" (day not always zero-padded); one movie has none.
    release_date = pd.to_datetime(raw["release_date"].where(raw["release_date"] != ""), format="%d-%b-%Y")
    return pd.DataFrame(
        {
            "item_id": raw["item_id"].astype("int32"),
            "title": raw["title"].astype(TEXT_DTYPE),
            "release_date": release_date.astype("datetime64[ns]"),
            "year": release_date.dt.year.astype("Int16"),
            "genres": pd.Series(_join_genre_flags(flags, genre_names), dtype=TEXT_DTYPE),
        }
    )


def _load_1m_items(registry: DataRegistry | None) -> pd.DataFrame:
    path = _movielens_path("ml-1m", "items", registry)
    # Titles may contain ':' (e.g. "Star Wars: Episode IV ..."), so split each line on '::'.
    rows = [line.split("::") for line in _read_lines(path)]
    bad = [row for row in rows if len(row) != 3]
    if bad:
        raise ValueError(f"{path}: expected 'MovieID::Title::Genres' on every line, found {bad[0]}.")
    item_ids, titles, genres = zip(*rows) if rows else ((), (), ())
    title = pd.Series(titles, dtype=TEXT_DTYPE)
    # ML-1M has no release date; the year is the "(1995)" at the end of the title.
    year = title.str.extract(r"\((\d{4})\)\s*$", expand=False).astype("float64").astype("Int16")
    return pd.DataFrame(
        {
            "item_id": pd.Series(item_ids).astype("int32"),
            "title": title,
            "release_date": pd.Series(pd.NaT, index=title.index, dtype="datetime64[ns]"),
            "year": year,
            "genres": pd.Series(genres, dtype=TEXT_DTYPE),
        }
    )


def load_movielens_items(variant: str = "ml-100k", *, registry: DataRegistry | None = None) -> pd.DataFrame:
    """Load the MovieLens movie table: one row per movie.

    Returns
    -------
    pandas.DataFrame
        Shape ``(n_items, 5)``, sorted by ``item_id``:

        - ``item_id`` (int32).
        - ``title`` (string): as in the file, year in parentheses included.
        - ``release_date`` (datetime64[ns]): ``NaT`` when missing (one ML-100K movie; every
          ML-1M movie, since ML-1M has no dates).
        - ``year`` (Int16, nullable): year of the release date; for ML-1M, the year at the
          end of the title.
        - ``genres`` (string): genre names joined by ``"|"``, e.g.
          ``"Animation|Children's|Comedy"``, in :data:`MOVIELENS_100K_GENRES` order for
          ML-100K (where ``"unknown"`` is a genre) and as given for ML-1M.
    """
    if variant not in _MOVIELENS_PATHS:
        raise ValueError(f"Unknown MovieLens variant {variant!r}; expected one of: {', '.join(MOVIELENS_VARIANTS)}.")
    items = _load_100k_items(registry) if variant == "ml-100k" else _load_1m_items(registry)
    return items.sort_values("item_id", kind="mergesort", ignore_index=True)


# ---------------------------------------------------------------------------------------------
# Review corpora
# ---------------------------------------------------------------------------------------------
REVIEW_CORPORA = ("online_shopping_10_cats", "waimai_10k", "ChnSentiCorp_htl_all")

#: The ``category`` given to every review of a single-topic corpus.
REVIEW_CATEGORY = {"waimai_10k": "外卖", "ChnSentiCorp_htl_all": "酒店"}

_REVIEW_PATHS = {
    "online_shopping_10_cats": "chinese-nlp-corpus/online_shopping_10_cats.csv",
    "waimai_10k": "chinese-nlp-corpus/waimai_10k.csv",
    "ChnSentiCorp_htl_all": "chinese-nlp-corpus/ChnSentiCorp_htl_all.csv",
}
_BYTE_ORDER_MARK = "\ufeff"


def load_reviews(corpus: str, *, drop_empty: bool = True, registry: DataRegistry | None = None) -> pd.DataFrame:
    """Load one Chinese sentiment corpus: one row per review, in the file's order.

    Parameters
    ----------
    corpus:
        ``"online_shopping_10_cats"``, ``"waimai_10k"`` or ``"ChnSentiCorp_htl_all"``.
    drop_empty:
        Drop reviews whose text is empty or only whitespace (there is nothing to learn from
        them). The files hold 62,774 / 11,987 / 7,766 rows, of which one online-shopping
        review and one hotel review are empty, so by default 62,773 / 11,987 / 7,765 rows
        are returned. With ``False`` every row is kept, empty texts as ``""``.
    registry:
        Registry to read from (default: the real data; :func:`fixture_registry` for tests).

    Returns
    -------
    pandas.DataFrame
        Shape ``(n_reviews, 4)``, index 0..n-1:

        - ``label`` (int8): 1 positive, 0 negative.
        - ``category`` (string): the ``cat`` column for online_shopping_10_cats (书籍, 酒店,
          ...); ``"外卖"`` for waimai_10k; ``"酒店"`` for ChnSentiCorp_htl_all.
        - ``text`` (string): the review as given, except that byte-order marks (U+FEFF,
          found at the start of 20 online-shopping reviews) are removed. Not stripped.
        - ``corpus`` (string): the corpus name.

    Notes
    -----
    The corpora overlap: 5,574 hotel reviews appear both in online_shopping_10_cats (category
    酒店) and in ChnSentiCorp_htl_all (5,573 identical strings, plus one that differs only by a
    byte-order mark), and a few texts repeat inside a corpus, sometimes with
    opposite labels. Use :func:`tutorial_lib.data.splits.deduplicate_reviews` before splitting.
    """
    if corpus not in _REVIEW_PATHS:
        raise ValueError(f"Unknown review corpus {corpus!r}; expected one of: {', '.join(REVIEW_CORPORA)}.")
    drop_empty = check_bool(drop_empty, "drop_empty")
    path = fetch_file(_REVIEW_PATHS[corpus], registry=registry)
    # Read everything as text: an empty review stays "" instead of becoming NaN.
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    expected_columns = ["cat", "label", "review"] if corpus == "online_shopping_10_cats" else ["label", "review"]
    if list(raw.columns) != expected_columns:
        raise ValueError(f"{path}: expected columns {expected_columns}, found {list(raw.columns)}.")
    bad_labels = sorted(set(raw["label"]) - {"0", "1"})
    if bad_labels:
        raise ValueError(f"{path}: labels must be 0 or 1, found {bad_labels[:5]}.")
    if corpus == "online_shopping_10_cats":
        category = raw["cat"]
    else:
        category = pd.Series(REVIEW_CATEGORY[corpus], index=raw.index)
    reviews = pd.DataFrame(
        {
            "label": raw["label"].astype("int8"),
            "category": category.astype(TEXT_DTYPE),
            "text": raw["review"].str.replace(_BYTE_ORDER_MARK, "", regex=False).astype(TEXT_DTYPE),
            "corpus": pd.Series(corpus, index=raw.index, dtype=TEXT_DTYPE),
        }
    )
    if drop_empty:
        is_empty = reviews["text"].str.strip() == ""
        reviews = reviews.loc[~is_empty.to_numpy()].reset_index(drop=True)
    return reviews
