"""Download, verify, cache and load the public datasets the book uses.

The book never ships data: MovieLens forbids redistribution and the Chinese review corpora
carry no licence. Instead every file is described here by its official URL and checksum, and
:func:`fetch_file` finds a verified copy in this order:

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
no checksum of its members could be recorded (it could not be downloaded where this code was
written), so they are trusted only as far as the archive they come from, whose MD5 is
checked on every use. For the same reason an extracted MovieLens 1M file is never taken from
a mirror on its own: the mirror must hold ``movielens/ml-1m.zip``.

The loaders (:func:`load_movielens_ratings`, :func:`load_movielens_users`,
:func:`load_movielens_items`, :func:`load_reviews`) return tidy :class:`pandas.DataFrame`
objects whose columns and dtypes are listed in their docstrings. Text columns use pandas'
``"string"`` dtype (:class:`pandas.StringDtype`), which behaves the same on pandas 2 and 3.

:func:`fixture_registry` describes tiny invented files shipped in
``tutorial_lib/resources/fixtures`` in the exact formats of the real ones; pass it as
``registry=`` to any loader to try the code without downloading anything.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import posixpath
import re
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pooch

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

CACHE_ENV_VAR = "TUTORIAL_DATA_CACHE"
MIRROR_ENV_VAR = "TUTORIAL_DATA_MIRROR"

#: Folder of the tiny invented files used by the tests (same layout as a mirror).
FIXTURES_DIR = Path(__file__).resolve().parent / "resources" / "fixtures"

#: How many times a failed download is tried again (pooch waits 1 s, 2 s, ... in between).
DEFAULT_RETRIES = 3
#: Seconds to wait for the server before a download attempt counts as failed.
DOWNLOAD_TIMEOUT_S = 60
#: A loopback address where nothing listens: the "URL" of files that must never be downloaded.
UNREACHABLE_URL = "http://127.0.0.1:9"

#: Text columns use this dtype: the same on pandas 2 and 3, missing values are ``pd.NA``.
TEXT_DTYPE = "string"

_logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------
class ChecksumError(ValueError):
    """A file's checksum differs from the one recorded for it.

    Attributes
    ----------
    path:
        The file (or the URL it was downloaded from) that failed the check.
    expected, actual:
        The checksums as ``"algorithm:hexdigest"`` (``actual`` is ``None`` when unknown).
    """

    def __init__(self, message: str, path: str, expected: str, actual: str | None):
        super().__init__(message)
        self.path = path
        self.expected = expected
        self.actual = actual


class DataUnavailableError(FileNotFoundError):
    """No verified copy of a data file could be found in the cache or mirror, or downloaded."""


class UnsafeArchiveError(ValueError):
    """An archive holds a member whose name would write outside the extraction folder."""


# ---------------------------------------------------------------------------------------------
# The registry: what exists, where it comes from, and its checksum
# ---------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Download:
    """One object fetched from a URL: either a data file itself or an archive of data files.

    Attributes
    ----------
    path:
        Where the object lives, relative to the cache and the mirror, with ``/`` separators
        (for example ``"movielens/ml-100k.zip"``).
    url:
        Official URL.
    known_hash:
        Checksum of the downloaded bytes in pooch's ``"algorithm:hexdigest"`` form, for example
        ``"md5:0e33842e..."`` or ``"sha256:6816ded6..."``.
    """

    path: str
    url: str
    known_hash: str


@dataclasses.dataclass(frozen=True)
class DataFile:
    """One data file the loaders read.

    Attributes
    ----------
    download:
        ``path`` of the :class:`Download` that provides the file.
    member:
        Name of the file inside that archive (``"ml-100k/u.data"``), or ``None`` when the
        download is the file itself. Members are extracted next to the archive, so the file's
        :attr:`path` is the archive's folder joined with the member name.
    sha256:
        Pinned SHA-256 of the file, or ``None`` when none is known (then only the archive's
        checksum protects it).
    md5:
        The MD5 documented for the file, where one is published (kept for reference; the
        SHA-256 is what is checked).
    """

    download: str
    member: str | None = None
    sha256: str | None = None
    md5: str | None = None

    @property
    def path(self) -> str:
        """Path relative to the cache and mirror, e.g. ``"movielens/ml-100k/u.data"``."""
        if self.member is None:
            return self.download
        return posixpath.join(posixpath.dirname(self.download), self.member)


@dataclasses.dataclass(frozen=True)
class DataRegistry:
    """The downloads and data files one set of loaders can use.

    Attributes
    ----------
    downloads:
        ``{download.path: Download}``.
    files:
        ``{data_file.path: DataFile}``.
    mirror_dir:
        A mirror folder that takes precedence over ``TUTORIAL_DATA_MIRROR`` (``None``: use the
        environment variable). The fixture registry sets it to :data:`FIXTURES_DIR`.
    cache_subdir:
        Sub-folder of the cache used by this registry, so that fixture files never share a
        cache folder with real ones.
    """

    downloads: Mapping[str, Download]
    files: Mapping[str, DataFile]
    mirror_dir: Path | None = None
    cache_subdir: str = ""

    def __post_init__(self) -> None:
        for path, data_file in self.files.items():
            if data_file.path != path:
                raise ValueError(f"Registry key {path!r} differs from the file's path {data_file.path!r}.")
            if data_file.download not in self.downloads:
                raise ValueError(f"Data file {path!r} names an unknown download {data_file.download!r}.")

    def data_file(self, path: str) -> DataFile:
        """Return the :class:`DataFile` registered under ``path``.

        Raises
        ------
        ValueError
            If ``path`` is not in the registry (the message lists the known paths).
        """
        if path not in self.files:
            known = ", ".join(sorted(self.files))
            raise ValueError(f"Unknown data file {path!r}; the registry knows: {known}.")
        return self.files[path]

    def with_url(self, download_path: str, url: str) -> DataRegistry:
        """Return a copy in which the download ``download_path`` is fetched from ``url``.

        The checksum stays the same, so whatever the new URL serves is still verified. Tests use
        this to point a download at a loopback server.
        """
        if download_path not in self.downloads:
            known = ", ".join(sorted(self.downloads))
            raise ValueError(f"Unknown download {download_path!r}; the registry knows: {known}.")
        downloads = dict(self.downloads)
        downloads[download_path] = dataclasses.replace(downloads[download_path], url=url)
        return dataclasses.replace(self, downloads=downloads)


def _make_registry(downloads: list[Download], files: list[DataFile], **options) -> DataRegistry:
    """Build a :class:`DataRegistry` from lists, keyed by path."""
    return DataRegistry(
        downloads={download.path: download for download in downloads},
        files={data_file.path: data_file for data_file in files},
        **options,
    )


_SOPHONPLUS_RAW = "https://raw.githubusercontent.com/SophonPlus/ChineseNlpCorpus/master/datasets"

REGISTRY = _make_registry(
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
    >>> from tutorial_lib.datasets import fixture_registry, load_movielens_ratings
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
    return _make_registry(downloads, files, mirror_dir=FIXTURES_DIR, cache_subdir="fixtures")


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


# ---------------------------------------------------------------------------------------------
# Where files live: cache and mirror folders
# ---------------------------------------------------------------------------------------------
def data_cache_dir(path: str | os.PathLike | None = None) -> Path:
    """Return the cache folder: ``path`` if given, else ``TUTORIAL_DATA_CACHE``, else pooch's
    per-user cache folder for ``tutorial_lib``. The folder is created on first download."""
    if path is not None:
        return Path(path).expanduser().resolve()
    from_environment = os.environ.get(CACHE_ENV_VAR, "").strip()
    if from_environment:
        return Path(from_environment).expanduser().resolve()
    return Path(pooch.os_cache("tutorial_lib")).resolve()


def _mirror_dir(path: str | os.PathLike | None, registry: DataRegistry) -> Path | None:
    """Return the mirror folder (argument, then the registry's, then the environment) or None."""
    source = "argument mirror_dir"
    if path is None and registry.mirror_dir is not None:
        path, source = registry.mirror_dir, "the registry's mirror_dir"
    if path is None:
        path, source = os.environ.get(MIRROR_ENV_VAR, "").strip() or None, f"environment variable {MIRROR_ENV_VAR}"
    if path is None:
        return None
    folder = Path(path).expanduser().resolve()
    if not folder.is_dir():
        raise DataUnavailableError(
            f"The data mirror {folder} (from {source}) is not a folder. Point {MIRROR_ENV_VAR} at a "
            f"folder laid out like movielens/ml-100k/u.data, or unset it to download from the "
            f"official URLs."
        )
    return folder


# ---------------------------------------------------------------------------------------------
# Checksums
# ---------------------------------------------------------------------------------------------
def file_checksum(path: str | os.PathLike, algorithm: str = "sha256") -> str:
    """Return the hex digest of a file (``algorithm``: ``"sha256"`` or ``"md5"``)."""
    return pooch.file_hash(str(path), alg=algorithm)


def _split_known_hash(known_hash: str) -> tuple[str, str]:
    """``"md5:abc"`` -> ``("md5", "abc")``; a bare digest is SHA-256 (pooch's convention)."""
    algorithm, _, digest = known_hash.rpartition(":")
    return (algorithm or "sha256").lower(), digest.lower()


def _check_file(path: Path, known_hash: str, what: str, advice: str) -> None:
    """Raise :class:`ChecksumError` (naming the file and both hashes) unless ``path`` matches."""
    algorithm, expected = _split_known_hash(known_hash)
    actual = file_checksum(path, algorithm)
    if actual != expected:
        raise ChecksumError(
            f"{what} {path} is corrupt or not the expected file: its {algorithm} is {actual}, "
            f"expected {expected}. {advice}",
            path=str(path),
            expected=f"{algorithm}:{expected}",
            actual=f"{algorithm}:{actual}",
        )


def _matches(path: Path, known_hash: str) -> bool:
    algorithm, expected = _split_known_hash(known_hash)
    return file_checksum(path, algorithm) == expected


# ---------------------------------------------------------------------------------------------
# Safe, atomic extraction
# ---------------------------------------------------------------------------------------------
def _check_member_name(name: str, archive: str) -> None:
    """Raise :class:`UnsafeArchiveError` if extracting ``name`` could escape its folder.

    A zip can name members ``/etc/passwd``, ``C:\\x`` or ``../../x`` ("zip slip"); such a file
    is refused instead of being silently renamed.
    """
    normalised = name.replace("\\", "/")
    parts = normalised.split("/")
    is_absolute = normalised.startswith("/") or re.match(r"^[A-Za-z]:", normalised) is not None
    if is_absolute or ".." in parts:
        raise UnsafeArchiveError(
            f"Refusing to extract {archive}: its member {name!r} would be written outside the "
            f"extraction folder. The archive is not the expected file; delete it and download it "
            f"again from the official URL."
        )


def _extract_member_atomically(archive: zipfile.ZipFile, member: str, folder: Path) -> Path:
    """Copy one archive member to ``folder / member`` through a temporary file.

    The temporary file sits in the destination folder and is renamed into place only when it
    is complete, so an interrupted extraction leaves no half-written member behind.
    """
    destination = folder.joinpath(*member.split("/"))
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary_name = tempfile.mkstemp(dir=destination.parent, prefix=".extracting-")
    try:
        with os.fdopen(handle, "wb") as output, archive.open(member) as source:
            while chunk := source.read(1 << 20):
                output.write(chunk)
        os.replace(temporary_name, destination)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary_name)
        raise
    return destination


class SafeUnzip(pooch.Unzip):
    """:class:`pooch.Unzip` that refuses unsafe member names and writes members atomically.

    Every member name in the archive is checked before anything is written; an absolute path
    or a ``..`` component raises :class:`UnsafeArchiveError`. ``extract_dir`` may be an
    absolute path (so an archive in a read-only mirror is extracted into the cache).
    """

    def _extract_file(self, fname, extract_dir):
        folder = Path(extract_dir)
        with zipfile.ZipFile(fname, "r") as archive:
            names = archive.namelist()
            for name in names:
                _check_member_name(name, fname)
            wanted = [name for name in names if not name.endswith("/")]
            if self.members:
                missing = sorted(set(self.members) - set(names))
                if missing:
                    raise DataUnavailableError(
                        f"The archive {fname} has no member {missing[0]!r}; it is not the expected "
                        f"file. Delete it and download it again."
                    )
                wanted = [name for name in wanted if name in self.members]
            for name in wanted:
                _extract_member_atomically(archive, name, folder)


# ---------------------------------------------------------------------------------------------
# Fetching: cache -> mirror -> official URL
# ---------------------------------------------------------------------------------------------
@contextlib.contextmanager
def _quiet_pooch() -> Iterator[None]:
    """Silence pooch's INFO messages (it logs "Downloading ..." to stderr, which a notebook
    build treats as an error); warnings and errors still get through."""
    logger = pooch.get_logger()
    previous_level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(previous_level)


def _extract_into_cache(archive: Path, data_file: DataFile, cache: Path, action: str) -> Path:
    """Extract ``data_file`` from a verified ``archive`` into the cache; return its path.

    ``action`` is pooch's word for what happened to the archive (``"download"``, ``"update"``
    or ``"fetch"``); after a (re-)download the member is always extracted again.
    """
    extract_dir = cache / posixpath.dirname(data_file.download)
    extractor = SafeUnzip(members=[data_file.member], extract_dir=str(extract_dir))
    with _quiet_pooch():
        extractor(str(archive), action, None)
    return cache / data_file.path


def _verify_extracted(path: Path, data_file: DataFile, archive: Path) -> Path:
    """Check an extracted member against its pinned SHA-256 (if any) and return its path."""
    if data_file.sha256 is not None:
        _check_file(
            path,
            f"sha256:{data_file.sha256}",
            what=f"The file {data_file.member!r} extracted from {archive} into",
            advice="The archive passed its own check, so the registry may be out of date.",
        )
    return path


def _from_cache(data_file: DataFile, cache: Path) -> Path | None:
    """Return the cached copy of a pinned file if its checksum matches, else None.

    A cached copy that fails the check is deleted (it is ours and will be fetched again).
    Unpinned files are never trusted on their own; they are checked through their archive.
    """
    cached = cache / data_file.path
    if data_file.sha256 is None or not cached.is_file():
        return None
    if _matches(cached, f"sha256:{data_file.sha256}"):
        return cached
    _logger.info("Cached file %s failed its checksum; fetching it again.", cached)
    cached.unlink()
    return None


def _from_mirror(data_file: DataFile, download: Download, mirror: Path, cache: Path) -> Path | None:
    """Return a verified copy from the mirror (or extracted from a mirrored archive), or None."""
    advice = f"Replace it with a fresh copy from {download.url}, or unset {MIRROR_ENV_VAR} to download it."
    loose_copy = mirror / data_file.path
    if data_file.sha256 is not None and loose_copy.is_file():
        _check_file(loose_copy, f"sha256:{data_file.sha256}", what="The mirror file", advice=advice)
        return loose_copy
    if data_file.member is None:
        return None
    mirrored_archive = mirror / download.path
    if not mirrored_archive.is_file():
        return None
    _check_file(mirrored_archive, download.known_hash, what="The mirror archive", advice=advice)
    extracted = _extract_into_cache(mirrored_archive, data_file, cache, action="fetch")
    return _verify_extracted(extracted, data_file, mirrored_archive)


def _mirror_hint(data_file: DataFile, download: Download) -> str:
    """The file (or files) a mirror folder must hold to provide ``data_file``."""
    if data_file.sha256 is None:
        return download.path
    if data_file.member is None:
        return data_file.path
    return f"{data_file.path} (or {download.path})"


def _download_into_cache(
    data_file: DataFile,
    download: Download,
    url: str,
    cache: Path,
    mirror: Path | None,
    retries: int,
    progressbar: bool,
) -> Path:
    """Download (or reuse the verified cached copy of) ``download`` with pooch; return the file."""
    import requests  # pooch's own dependency; imported here to keep module import light

    fetcher = pooch.create(
        path=cache,
        base_url="",
        registry={download.path: download.known_hash},
        urls={download.path: url},
        retry_if_failed=retries,
    )
    archive_path = cache / download.path
    action = "fetch" if archive_path.is_file() and _matches(archive_path, download.known_hash) else "download"
    if action == "download":
        print(f"Downloading {url} into {cache} (only the first time).")
    progress = _make_progressbar(posixpath.basename(download.path)) if progressbar and action == "download" else False
    try:
        with _quiet_pooch():
            downloaded = Path(
                fetcher.fetch(
                    download.path,
                    downloader=pooch.HTTPDownloader(
                        progressbar=progress, timeout=DOWNLOAD_TIMEOUT_S, chunk_size=1 << 16
                    ),
                )
            )
    except requests.exceptions.RequestException as error:
        where = f"({MIRROR_ENV_VAR} is set to {mirror}, which does not hold it.)" if mirror else ""
        raise DataUnavailableError(
            f"Could not download {posixpath.basename(download.path)} from {url} ({error.__class__.__name__}: "
            f"{error}). Check your internet connection and try again, or set {MIRROR_ENV_VAR} to a "
            f"folder holding {_mirror_hint(data_file, download)}. {where}".strip()
        ) from error
    except ValueError as error:  # pooch's checksum mismatch, raised after the last retry
        actual = re.search(r"but got (\w+)", str(error))
        raise ChecksumError(
            f"The file downloaded from {url} for {download.path} is corrupt or has changed: {error} "
            f"Nothing was kept in the cache. Try again later, or set {MIRROR_ENV_VAR} to a folder "
            f"holding a verified copy of {_mirror_hint(data_file, download)}.",
            path=url,
            expected=download.known_hash,
            actual=f"{_split_known_hash(download.known_hash)[0]}:{actual.group(1)}" if actual else None,
        ) from error
    except OSError as error:
        raise DataUnavailableError(
            f"Could not write {download.path} into the cache {cache}: {error}. Set {CACHE_ENV_VAR} to a "
            f"writable folder."
        ) from error
    finally:
        if progress is not False:
            progress.close()
    if data_file.member is None:
        return downloaded
    extracted = _extract_into_cache(downloaded, data_file, cache, action=action)
    return _verify_extracted(extracted, data_file, downloaded)


def _make_progressbar(description: str):
    """A tqdm progress bar (a widget in notebooks, text in a terminal) for pooch to update."""
    from tqdm.auto import tqdm

    # pooch sets the real total from the server's Content-Length, but first tests the bar's
    # truth value, and a tqdm bar is false while its total is 0: start from 1.
    return tqdm(total=1, unit="B", unit_scale=True, desc=description, leave=True)


def fetch_file(
    path: str,
    *,
    registry: DataRegistry | None = None,
    url: str | None = None,
    cache_dir: str | os.PathLike | None = None,
    mirror_dir: str | os.PathLike | None = None,
    retries: int = DEFAULT_RETRIES,
    progressbar: bool = True,
) -> Path:
    """Return the local path of a verified copy of a registered data file.

    Looks in the cache, then in the mirror, then downloads from the official URL (see the
    module docstring). Archives are verified before extraction and extracted safely.

    Parameters
    ----------
    path:
        Registry path, e.g. ``"movielens/ml-100k/u.data"``.
    registry:
        Which registry to use (default :data:`REGISTRY`, the real files).
    url:
        Download from this URL instead of the registry's (the checksum stays the same).
    cache_dir:
        Cache folder (default: ``TUTORIAL_DATA_CACHE``, then pooch's user cache folder).
    mirror_dir:
        Mirror folder (default: the registry's, then ``TUTORIAL_DATA_MIRROR``, else none).
    retries:
        How many more times a failed download is tried.
    progressbar:
        Show a tqdm progress bar while downloading.

    Returns
    -------
    pathlib.Path
        The file in the cache, or in the mirror when the mirror holds it directly.

    Raises
    ------
    ChecksumError
        A mirror file, or the downloaded file, does not match its checksum.
    DataUnavailableError
        The file is in neither cache nor mirror and could not be downloaded.
    UnsafeArchiveError
        The archive holding the file has a member that would be written outside its folder.
    """
    registry = REGISTRY if registry is None else registry
    if not isinstance(retries, (int, np.integer)) or isinstance(retries, bool) or retries < 0:
        raise ValueError(f"retries must be a non-negative int, got {retries!r}.")
    data_file = registry.data_file(path)
    download = registry.downloads[data_file.download]
    cache = data_cache_dir(cache_dir) / registry.cache_subdir
    mirror = _mirror_dir(mirror_dir, registry)

    cached = _from_cache(data_file, cache)
    if cached is not None:
        return cached
    if mirror is not None:
        mirrored = _from_mirror(data_file, download, mirror, cache)
        if mirrored is not None:
            return mirrored
    return _download_into_cache(
        data_file,
        download,
        url=url or download.url,
        cache=cache,
        mirror=mirror,
        retries=int(retries),
        progressbar=progressbar,
    )


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


def load_movielens_ratings(variant: str = "ml-100k", *, registry: DataRegistry | None = None) -> pd.DataFrame:
    """Load the MovieLens ratings: one row per (user, movie) rating.

    Parameters
    ----------
    variant:
        ``"ml-100k"`` (100,000 ratings) or ``"ml-1m"`` (1,000,209 ratings; downloaded on demand).
    registry:
        Registry to read from (default: the real data; :func:`fixture_registry` for tests).

    Returns
    -------
    pandas.DataFrame
        Shape ``(n_ratings, 4)``, sorted by ``(user_id, timestamp, item_id)``, index 0..n-1:

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
    opposite labels. Use :func:`tutorial_lib.splits.deduplicate_reviews` before splitting.
    """
    if corpus not in _REVIEW_PATHS:
        raise ValueError(f"Unknown review corpus {corpus!r}; expected one of: {', '.join(REVIEW_CORPORA)}.")
    if not isinstance(drop_empty, bool):
        raise TypeError(f"drop_empty must be True or False, got {drop_empty!r}.")
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
