"""Fetch a verified copy of a data file: from a cache, a local mirror, or its official URL.

This module knows nothing about particular datasets; :mod:`tutorial_lib.data.datasets` describes
the book's files (URLs, checksums) in a :class:`DataRegistry` and loads them. Here is how a
registered file is found, in this order:

1. the **cache** (``TUTORIAL_DATA_CACHE``, default ``pooch.os_cache("tutorial_lib")``): used
   when its checksum matches; a corrupt cached copy is fetched again;
2. a **mirror** folder (``TUTORIAL_DATA_MIRROR``) laid out like the cache, for machines
   without internet; a mirror file whose checksum does not match raises
   :class:`ChecksumError`;
3. the **official URL**, downloaded once with :mod:`pooch`, checked before it is moved into
   the cache (an interrupted or corrupt download never leaves a file a later run trusts), and
   retried when it fails.

Archives are verified as a whole, then each member is extracted safely (no member may be
written outside its folder) and atomically, and checked against its own checksum. A member
with no pinned checksum (MovieLens 1M) gets one recorded at extraction time in a small
manifest next to it (``.checksums-<archive>.json``); a cached copy that no longer matches its
recorded checksum is extracted again, never used as it is.

Several notebooks (or processes) may fetch the same file at once: every file is written
under a temporary name and renamed into place, and a cached copy that vanishes while it is
being replaced is fetched again instead of ending in a raw ``FileNotFoundError``.

When nothing works (offline, no mirror) the error is one :class:`DataUnavailableError` whose
message names every file of the download and the three ways to provide them (internet, the
mirror variable, the cache folder), without a chained traceback.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import posixpath
import re
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import pooch

from tutorial_lib.validation import check_bool, check_int, check_path

CACHE_ENV_VAR = "TUTORIAL_DATA_CACHE"
MIRROR_ENV_VAR = "TUTORIAL_DATA_MIRROR"

#: Folder of the tiny invented files used by the tests (same layout as a mirror).

#: How many times a failed download is tried again (pooch waits 1 s, 2 s, ... in between).
DEFAULT_RETRIES = 3
#: Seconds to wait for the server before a download attempt counts as failed.
DOWNLOAD_TIMEOUT_S = 60
#: A loopback address where nothing listens: the "URL" of files that must never be downloaded.
UNREACHABLE_URL = "http://127.0.0.1:9"


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


def make_registry(downloads: list[Download], files: list[DataFile], **options) -> DataRegistry:
    """Build a :class:`DataRegistry` from lists, keyed by path."""
    return DataRegistry(
        downloads={download.path: download for download in downloads},
        files={data_file.path: data_file for data_file in files},
        **options,
    )


# ---------------------------------------------------------------------------------------------
# Where files live: cache and mirror folders
# ---------------------------------------------------------------------------------------------
def data_cache_dir(path: str | os.PathLike | None = None) -> Path:
    """Return the cache folder: ``path`` if given, else ``TUTORIAL_DATA_CACHE``, else pooch's
    per-user cache folder for ``tutorial_lib``. The folder is created on first download."""
    if path is not None:
        return check_path(path, "cache_dir").expanduser().resolve()
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
    folder = check_path(path, "mirror_dir" if source == "argument mirror_dir" else source).expanduser().resolve()
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
# Checksums recorded at extraction time, for archive members that have none pinned
# ---------------------------------------------------------------------------------------------
MANIFEST_PREFIX = ".checksums-"


def _manifest_path(download: Download, cache: Path) -> Path:
    """``<cache>/movielens/.checksums-ml-1m.zip.json`` for ``movielens/ml-1m.zip``."""
    folder = cache / posixpath.dirname(download.path)
    return folder / f"{MANIFEST_PREFIX}{posixpath.basename(download.path)}.json"


def _recorded_checksums(download: Download, cache: Path) -> dict[str, str]:
    """``{member: sha256}`` recorded when members of ``download`` were extracted.

    The manifest also names the archive checksum the members came from; one written for a
    different archive (the registry was updated) counts as empty, as does an unreadable one.
    """
    try:
        manifest = json.loads(_manifest_path(download, cache).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(manifest, dict) or manifest.get("archive") != download.known_hash:
        return {}
    members = manifest.get("members")
    return dict(members) if isinstance(members, dict) else {}


def _record_checksum(download: Download, member: str, sha256: str, cache: Path) -> None:
    """Add ``member``'s SHA-256 to the manifest of ``download``, writing it atomically.

    Two processes recording at once may lose one entry; the member is then simply extracted
    again on its next use, never trusted unchecked.
    """
    members = _recorded_checksums(download, cache)
    members[member] = sha256
    manifest = {"archive": download.known_hash, "members": dict(sorted(members.items()))}
    path = _manifest_path(download, cache)
    handle, temporary_name = tempfile.mkstemp(dir=path.parent, prefix=".writing-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as output:
            json.dump(manifest, output, indent=1)
        os.replace(temporary_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary_name)
        raise


def _expected_sha256(data_file: DataFile, download: Download, cache: Path) -> str | None:
    """The pinned SHA-256 of ``data_file``, else the one recorded at extraction, else None."""
    if data_file.sha256 is not None:
        return data_file.sha256
    if data_file.member is None:
        return None
    return _recorded_checksums(download, cache).get(data_file.member)


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


def _extract_into_cache(archive: Path, data_file: DataFile, download: Download, cache: Path) -> Path:
    """Extract ``data_file`` from a verified ``archive`` into the cache; return its path.

    Called only when the cache holds no verified copy, so the member is always extracted
    again (pooch's ``"update"``), even if a file of that name is there. A member without a
    pinned checksum gets its SHA-256 recorded, to be checked whenever the copy is reused.
    """
    extract_dir = cache / posixpath.dirname(data_file.download)
    extractor = SafeUnzip(members=[data_file.member], extract_dir=str(extract_dir))
    with _quiet_pooch():
        extractor(str(archive), "update", None)
    extracted = cache / data_file.path
    if data_file.sha256 is None:
        _record_checksum(download, data_file.member, file_checksum(extracted), cache)
    return extracted


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


def _from_cache(data_file: DataFile, download: Download, cache: Path) -> Path | None:
    """Return the cached copy of a file if its checksum matches, else None.

    The checksum is the pinned one or, for an archive member without one, the one recorded
    when it was extracted; a file with neither is never trusted on its own. A cached copy
    that fails the check is deleted (it is ours and will be fetched again). Another process
    may delete it first: a copy that vanishes counts as "not cached".
    """
    cached = cache / data_file.path
    expected = _expected_sha256(data_file, download, cache)
    if expected is None or not cached.is_file():
        return None
    try:
        if _matches(cached, f"sha256:{expected}"):
            return cached
    except FileNotFoundError:  # replaced or deleted by another process meanwhile
        return None
    _logger.info("Cached file %s failed its checksum; fetching it again.", cached)
    cached.unlink(missing_ok=True)
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
    extracted = _extract_into_cache(mirrored_archive, data_file, download, cache)
    return _verify_extracted(extracted, data_file, mirrored_archive)


def _mirror_hint(data_file: DataFile, download: Download) -> str:
    """The file (or files) a mirror folder must hold to provide ``data_file``."""
    if data_file.sha256 is None:
        return download.path
    if data_file.member is None:
        return data_file.path
    return f"{data_file.path} (or {download.path})"


def _first_line(error: BaseException, limit: int = 300) -> str:
    """``"ErrorClass: first line of its message"``, cut at ``limit`` characters."""
    lines = str(error).strip().splitlines()
    text = lines[0] if lines else ""
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _how_to_provide(registry: DataRegistry, download: Download, cache: Path, mirror: Path | None) -> str:
    """The files ``download`` provides and the three ways to make them available offline."""
    files = sorted(path for path, data_file in registry.files.items() if data_file.download == download.path)
    if files == [download.path]:
        needed = f"The loaders read the file {download.path}."
        holding = download.path
    else:
        needed = f"The loaders read these files, all from {download.path}:\n  " + ", ".join(files)
        pinned = all(registry.files[path].sha256 is not None for path in files)
        # Files without a pinned checksum are trusted only when extracted from the archive.
        holding = f"{download.path} (or the files above)" if pinned else download.path
    mirror_state = f"the mirror in use, {mirror}, does not hold them" if mirror is not None else "it is not set"
    return (
        f"{needed}\n"
        "Provide them in one of three ways:\n"
        f"  1. connect to the internet and run again (they are downloaded once, from {download.url});\n"
        f"  2. set {MIRROR_ENV_VAR} to a folder holding {holding} at these paths ({mirror_state});\n"
        f"  3. put {holding} at these paths into the cache folder {cache} (set by {CACHE_ENV_VAR})."
    )


def _download_into_cache(
    data_file: DataFile,
    download: Download,
    registry: DataRegistry,
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
    # "from None" below: the chained traceback of requests / urllib3 / pooch is hundreds of
    # lines that add nothing to the one line of the cause kept in the message.
    except requests.exceptions.RequestException as error:
        raise DataUnavailableError(
            f"Could not download {posixpath.basename(download.path)} from {url} ({_first_line(error)}).\n"
            + _how_to_provide(registry, download, cache, mirror)
        ) from None
    except ValueError as error:  # pooch's checksum mismatch, raised after the last retry
        actual = re.search(r"but got (\w+)", str(error))
        raise ChecksumError(
            f"The file downloaded from {url} for {download.path} is corrupt or has changed: {error} "
            f"Nothing was kept in the cache. Try again later, or set {MIRROR_ENV_VAR} to a folder "
            f"holding a verified copy of {_mirror_hint(data_file, download)}.",
            path=url,
            expected=download.known_hash,
            actual=f"{_split_known_hash(download.known_hash)[0]}:{actual.group(1)}" if actual else None,
        ) from None
    except OSError as error:
        raise DataUnavailableError(
            f"Could not write {download.path} into the cache {cache} ({_first_line(error)}). Set "
            f"{CACHE_ENV_VAR} to a writable folder."
        ) from None
    finally:
        if progress is not False:
            progress.close()
    if data_file.member is None:
        return downloaded
    extracted = _extract_into_cache(downloaded, data_file, download, cache)
    return _verify_extracted(extracted, data_file, downloaded)


def _make_progressbar(description: str):
    """A progress bar for pooch to update, or False (no bar) when bars are switched off.

    Made by :func:`tutorial_lib.book.progress.progress_bar`, the package's one place for bars,
    so that ``TQDM_DISABLE`` keeps widgets out of executed pages.
    """
    from tutorial_lib.book.progress import bars_disabled, progress_bar

    if bars_disabled():
        return False
    # pooch sets the real total from the server's Content-Length, but first tests the bar's
    # truth value, and a tqdm bar is false while its total is 0: start from 1.
    return progress_bar(total=1, description=description, unit="B", unit_scale=True, leave=True)


def fetch_file(
    path: str,
    *,
    registry: DataRegistry,
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
        Which registry describes the file (the book's is :data:`tutorial_lib.data.datasets.REGISTRY`).
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
        The file is in neither cache nor mirror and could not be downloaded. The message names
        every file of the download and how to provide them (mirror, cache, official URL).
    ValueError
        ``cache_dir`` or ``mirror_dir`` is an empty path (which would mean the current folder).
    UnsafeArchiveError
        The archive holding the file has a member that would be written outside its folder.
    """
    if not isinstance(registry, DataRegistry):
        raise TypeError(f"registry must be a DataRegistry, got {type(registry).__name__}.")
    retries = check_int(retries, "retries", min_val=0)
    progressbar = check_bool(progressbar, "progressbar")
    if url is not None and (not isinstance(url, str) or not url.strip()):
        raise ValueError(f"url must be a non-empty str or None (the registry's URL), got {url!r}.")
    data_file = registry.data_file(path)
    download = registry.downloads[data_file.download]
    cache = data_cache_dir(cache_dir) / registry.cache_subdir
    mirror = _mirror_dir(mirror_dir, registry)

    vanished = None
    for _attempt in range(2):  # a second try when another process replaced a file under us
        try:
            cached = _from_cache(data_file, download, cache)
            if cached is not None:
                return cached
            if mirror is not None:
                mirrored = _from_mirror(data_file, download, mirror, cache)
                if mirrored is not None:
                    return mirrored
            return _download_into_cache(
                data_file,
                download,
                registry,
                url=url or download.url,
                cache=cache,
                mirror=mirror,
                retries=retries,
                progressbar=progressbar,
            )
        except DataUnavailableError:
            raise
        except FileNotFoundError as error:
            vanished = error
    raise DataUnavailableError(
        f"{data_file.path} kept vanishing from the cache {cache} while it was being fetched "
        f"({_first_line(vanished)}); another process may be replacing it. Run again; if this "
        f"persists, delete the folder {cache} and let it be fetched afresh."
    ) from None
