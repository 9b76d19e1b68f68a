"""Tests for tutorial_lib.data.datasets: registry, cache / mirror / download paths, loaders.

Nothing here touches the internet: downloads go to a loopback HTTP server started by the test
(or to 127.0.0.1:9, where nothing listens). Tests against the real data run only when
TUTORIAL_DATA_MIRROR points at the offline mirror (CI sets it).
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import http.server
import io
import logging
import os
import shutil
import threading
import types
import zipfile
from pathlib import Path

import pandas as pd
import pooch
import pytest

from tutorial_lib.data import datasets
from tutorial_lib.data import downloads
from tutorial_lib.data.datasets import (
    FIXTURES_DIR,
    MOVIELENS_100K_GENRES,
    REGISTRY,
    REVIEW_CORPORA,
    ChecksumError,
    DataFile,
    DataRegistry,
    DataUnavailableError,
    Download,
    SafeUnzip,
    UnsafeArchiveError,
    describe_dataset,
    fetch_file,
    fixture_registry,
    list_datasets,
    load_movielens_items,
    load_movielens_ratings,
    load_movielens_users,
    load_reviews,
)

MIRROR = os.environ.get("TUTORIAL_DATA_MIRROR", "").strip()
needs_mirror = pytest.mark.skipif(not MIRROR, reason="TUTORIAL_DATA_MIRROR is not set (the real data is not here)")
UNREACHABLE = "http://127.0.0.1:9"


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Every test gets an empty cache, so nothing is written to the user's real cache."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("TUTORIAL_DATA_CACHE", str(cache))
    return cache


def sha256_of(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in Path(folder).rglob("*") if p.is_file()) if Path(folder).exists() else []


def offline_registry(**urls: str) -> DataRegistry:
    """The fixture registry without its mirror (so a fetch must download), URLs overridden."""
    registry = dataclasses.replace(fixture_registry(), mirror_dir=None)
    for download_path, url in urls.items():
        registry = registry.with_url(download_path, url)
    return registry


# ---------------------------------------------------------------------------------------------
# A loopback HTTP server serving files from a temporary folder
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def file_server(tmp_path, monkeypatch):
    """Serve tmp_path/served on 127.0.0.1 (free port); count requests; optionally fail some."""
    for name in ("NO_PROXY", "no_proxy"):  # a proxy set in the environment must not be used
        monkeypatch.setenv(name, "127.0.0.1,localhost")
    monkeypatch.delenv("TUTORIAL_DATA_MIRROR", raising=False)
    served = tmp_path / "served"
    served.mkdir()
    state = types.SimpleNamespace(requests=[], failures_left=0)

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(served), **kwargs)

        def do_GET(self):
            state.requests.append(self.path)
            if state.failures_left > 0:
                state.failures_left -= 1
                self.send_error(503, "temporarily unavailable")
                return
            super().do_GET()

        def log_message(self, *args):  # keep the test output clean
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    state.folder = served
    yield state
    server.shutdown()
    server.server_close()
    thread.join()


# ---------------------------------------------------------------------------------------------
# Registry and descriptions
# ---------------------------------------------------------------------------------------------
def test_registry_is_consistent():
    for path, data_file in REGISTRY.files.items():
        assert data_file.path == path
        assert data_file.download in REGISTRY.downloads
        if data_file.sha256 is not None:
            assert len(data_file.sha256) == 64 and int(data_file.sha256, 16) >= 0
    for download in REGISTRY.downloads.values():
        assert download.url.startswith("https://")
        algorithm, digest = download.known_hash.split(":")
        assert len(digest) == {"md5": 32, "sha256": 64}[algorithm]
    # Only MovieLens 1M members are unpinned, and their archive is pinned by MD5.
    unpinned = {path for path, f in REGISTRY.files.items() if f.sha256 is None}
    assert unpinned == {p for p in REGISTRY.files if p.startswith("movielens/ml-1m/")}
    assert REGISTRY.downloads["movielens/ml-1m.zip"].known_hash == "md5:c4d9eecfca2ab87c1945afe126590906"


def test_fixture_registry_mirrors_the_real_layout():
    fixtures = fixture_registry()
    assert set(fixtures.files) == set(REGISTRY.files)
    assert set(fixtures.downloads) == set(REGISTRY.downloads)
    assert all(d.url.startswith(UNREACHABLE) for d in fixtures.downloads.values())
    # Every pinned fixture checksum matches the shipped file (loose, or the zip itself).
    for path, data_file in fixtures.files.items():
        loose = FIXTURES_DIR / path
        if data_file.sha256 is not None and loose.is_file():
            assert sha256_of(loose) == data_file.sha256, path
    for download in fixtures.downloads.values():
        assert "sha256:" + sha256_of(FIXTURES_DIR / download.path) == download.known_hash


def test_registry_rejects_unknown_names():
    with pytest.raises(ValueError, match="Unknown data file 'movielens/ml-100k/u.nope'"):
        fetch_file("movielens/ml-100k/u.nope")
    with pytest.raises(ValueError, match="Unknown download"):
        REGISTRY.with_url("nowhere.zip", UNREACHABLE)
    with pytest.raises(ValueError, match="unknown download"):
        DataRegistry(downloads={}, files={"a.csv": DataFile("a.csv")})
    with pytest.raises(ValueError, match="retries"):
        fetch_file("movielens/ml-100k/u.data", retries=-1)


def test_describe_dataset_gives_url_licence_and_citation():
    assert set(list_datasets()) == {"ml-100k", "ml-1m", *REVIEW_CORPORA}
    movielens = describe_dataset("ml-100k")
    assert movielens.urls == ("https://files.grouplens.org/datasets/movielens/ml-100k.zip",)
    assert "Harper" in movielens.citation and "Konstan" in movielens.citation and "5, 4" in movielens.citation
    assert "redistribution" in movielens.licence
    assert "movielens/ml-100k/u.data" in movielens.files
    hotel = describe_dataset("ChnSentiCorp_htl_all")
    assert "Tan Songbo" in hotel.citation
    assert "No licence stated" in hotel.licence
    text = str(describe_dataset("waimai_10k"))
    assert "raw.githubusercontent.com/SophonPlus/ChineseNlpCorpus" in text
    with pytest.raises(ValueError, match="Unknown dataset 'ml-20m'"):
        describe_dataset("ml-20m")


# ---------------------------------------------------------------------------------------------
# Loaders on the invented fixtures
# ---------------------------------------------------------------------------------------------
def read_fixture_rows(path: str, separator: str, encoding: str = "latin-1") -> list[list[str]]:
    """Parse a fixture with the csv module: an independent reading to compare pandas with."""
    text = (FIXTURES_DIR / path).read_text(encoding=encoding)
    return [row for row in csv.reader(io.StringIO(text), delimiter=separator) if row]


def test_ratings_on_fixture_have_contract_columns_dtypes_and_order():
    ratings = load_movielens_ratings(registry=fixture_registry())
    assert list(ratings.columns) == ["user_id", "item_id", "rating", "timestamp"]
    assert ratings.dtypes.astype(str).tolist() == ["int32", "int32", "int8", "int64"]
    expected = sorted(
        (int(u), int(t), int(i), int(r)) for u, i, r, t in read_fixture_rows("movielens/ml-100k/u.data", "\t")
    )
    got = list(zip(ratings.user_id, ratings.timestamp, ratings.item_id, ratings.rating))
    assert got == expected  # sorted by (user, time, item), every row present once
    assert ratings.index.tolist() == list(range(len(ratings)))


def test_users_on_fixture_keep_zip_codes_as_text():
    users = load_movielens_users(registry=fixture_registry())
    assert list(users.columns) == ["user_id", "age", "gender", "occupation", "zip_code"]
    assert users.user_id.dtype == "int32" and users.age.dtype == "int16"
    assert isinstance(users.gender.dtype, pd.CategoricalDtype)
    assert list(users.gender.cat.categories) == ["F", "M"]
    assert isinstance(users.occupation.dtype, pd.CategoricalDtype)
    assert pd.api.types.is_string_dtype(users.zip_code)
    by_id = users.set_index("user_id")
    assert by_id.loc[1, "zip_code"] == "02139"  # leading zero kept
    assert by_id.loc[2, "zip_code"] == "H2X3Y"  # a Canadian-style code is not a number
    assert by_id.loc[4, "occupation"] == "none"  # an occupation, not a missing value
    assert users.notna().all().all()
    rows = read_fixture_rows("movielens/ml-100k/u.user", "|")
    assert users.age.tolist() == [int(row[1]) for row in rows]


def test_items_on_fixture_parse_dates_genres_and_latin1():
    items = load_movielens_items(registry=fixture_registry())
    assert list(items.columns) == ["item_id", "title", "release_date", "year", "genres"]
    assert items.item_id.dtype == "int32"
    assert pd.api.types.is_string_dtype(items.title) and pd.api.types.is_string_dtype(items.genres)
    assert pd.api.types.is_datetime64_dtype(items.release_date)
    assert items.year.dtype == "Int16"
    by_id = items.set_index("item_id")
    assert by_id.loc[1, "genres"] == "Animation|Children's|Comedy"
    assert by_id.loc[2, "title"] == "Café Nocturne (1996)"  # Latin-1 byte 0xE9 decoded
    assert by_id.loc[2, "release_date"] == pd.Timestamp("1996-09-03")  # day without a leading zero
    assert pd.isna(by_id.loc[3, "release_date"]) and pd.isna(by_id.loc[3, "year"])
    assert by_id.loc[3, "genres"] == "unknown"
    assert by_id.loc[6, "year"] == 1979
    # Every genre in the output is one of the 19, in u.genre order inside each string.
    for genres in items.genres:
        names = genres.split("|")
        assert names == sorted(names, key=MOVIELENS_100K_GENRES.index)
    assert len(MOVIELENS_100K_GENRES) == 19


def test_movielens_1m_fixture_goes_through_the_verified_zip(private_cache):
    registry = fixture_registry()
    ratings = load_movielens_ratings("ml-1m", registry=registry)
    users = load_movielens_users("ml-1m", registry=registry)
    items = load_movielens_items("ml-1m", registry=registry)
    assert ratings.dtypes.astype(str).tolist() == ["int32", "int32", "int8", "int64"]
    assert len(ratings) == 7 and ratings.rating.between(1, 5).all()
    by_user = users.set_index("user_id")
    assert by_user.loc[1, "age"] == 1 and by_user.loc[1, "occupation"] == "K-12 student"
    assert by_user.loc[3, "occupation"] == "other" and by_user.loc[3, "zip_code"] == "T4N2Y"
    by_item = items.set_index("item_id")
    assert by_item.loc[30, "title"] == "Star Garden: The Return (1999)"  # ':' inside a title
    assert by_item.loc[20, "title"] == "Noël à Paris (1995)"
    assert by_item.loc[20, "genres"] == "Comedy|Romance"
    assert items.year.tolist() == [1992, 1995, 1999]
    assert items.release_date.isna().all()
    # Members were extracted into the registry's own cache folder, not next to the fixtures.
    assert (private_cache / "fixtures" / "movielens" / "ml-1m" / "ratings.dat").is_file()


def test_movielens_1m_loose_files_in_a_mirror_are_not_trusted(tmp_path):
    """Its members have no pinned checksum: a mirror must hold the verified zip."""
    mirror = tmp_path / "mirror"
    (mirror / "movielens" / "ml-1m").mkdir(parents=True)
    (mirror / "movielens" / "ml-1m" / "ratings.dat").write_text("1::1::5::1\n")
    registry = dataclasses.replace(fixture_registry(), mirror_dir=mirror)
    with pytest.raises(DataUnavailableError, match="movielens/ml-1m.zip"):
        fetch_file("movielens/ml-1m/ratings.dat", registry=registry, retries=0)


def test_reviews_on_fixture():
    registry = fixture_registry()
    shopping = load_reviews("online_shopping_10_cats", registry=registry)
    assert list(shopping.columns) == ["label", "category", "text", "corpus"]
    assert shopping.label.dtype == "int8"
    for column in ("category", "text", "corpus"):
        assert pd.api.types.is_string_dtype(shopping[column])
    assert not shopping.text.str.contains("\ufeff").any()  # byte-order marks removed
    assert shopping.text.iloc[0] == "这本书的插图很可爱，孩子每天都要翻"
    assert shopping.text.iloc[2] == "电池耐用,屏幕清楚"  # quoted comma
    assert '"怪味"' in shopping.text.iloc[-1]  # doubled quotes
    rows = read_fixture_rows_from_zip()
    non_empty = [row for row in rows if row[2].strip()]
    assert shopping.category.tolist() == [row[0] for row in non_empty]  # file order kept
    assert shopping.label.tolist() == [int(row[1]) for row in non_empty]
    assert (shopping.corpus == "online_shopping_10_cats").all()

    with_empty = load_reviews("online_shopping_10_cats", drop_empty=False, registry=registry)
    assert len(with_empty) == len(rows) == len(shopping) + 1
    assert (with_empty.text == "").sum() == 1

    delivery = load_reviews("waimai_10k", registry=registry)
    assert (delivery.category == "外卖").all() and len(delivery) == 6
    hotel = load_reviews("ChnSentiCorp_htl_all", registry=registry)
    assert (hotel.category == "酒店").all() and len(hotel) == 4
    assert hotel.text.iloc[0] == "前台服务热情，房间干净 "  # text as given, not stripped
    assert len(load_reviews("ChnSentiCorp_htl_all", drop_empty=False, registry=registry)) == 5


def read_fixture_rows_from_zip() -> list[list[str]]:
    with zipfile.ZipFile(FIXTURES_DIR / "chinese-nlp-corpus" / "online_shopping_10_cats.zip") as archive:
        text = archive.read("online_shopping_10_cats.csv").decode("utf-8")
    return list(csv.reader(io.StringIO(text)))[1:]


def test_loaders_reject_unknown_names():
    with pytest.raises(ValueError, match="Unknown MovieLens variant 'ml-10m'"):
        load_movielens_ratings("ml-10m")
    with pytest.raises(ValueError, match="Unknown MovieLens variant"):
        load_movielens_items("ml-25m")
    with pytest.raises(ValueError, match="Unknown review corpus 'weibo'"):
        load_reviews("weibo")
    with pytest.raises(TypeError, match="drop_empty"):
        load_reviews("waimai_10k", drop_empty="yes")


# ---------------------------------------------------------------------------------------------
# Mirror and cache
# ---------------------------------------------------------------------------------------------
def copy_fixture_mirror(tmp_path) -> Path:
    mirror = tmp_path / "mirror"
    shutil.copytree(FIXTURES_DIR, mirror)
    return mirror


def test_mirror_loose_file_is_used_in_place():
    path = fetch_file("movielens/ml-100k/u.data", registry=fixture_registry())
    assert path == FIXTURES_DIR / "movielens" / "ml-100k" / "u.data"


def test_mirror_archive_is_extracted_into_the_cache(private_cache):
    path = fetch_file("chinese-nlp-corpus/online_shopping_10_cats.csv", registry=fixture_registry())
    assert path == private_cache / "fixtures" / "chinese-nlp-corpus" / "online_shopping_10_cats.csv"
    assert sha256_of(path) == fixture_registry().files["chinese-nlp-corpus/online_shopping_10_cats.csv"].sha256
    assert not (FIXTURES_DIR / "chinese-nlp-corpus" / "online_shopping_10_cats.csv").exists()


def test_mirror_environment_variable_is_read(tmp_path, monkeypatch):
    mirror = copy_fixture_mirror(tmp_path)
    monkeypatch.setenv("TUTORIAL_DATA_MIRROR", str(mirror))
    registry = dataclasses.replace(fixture_registry(), mirror_dir=None)
    assert fetch_file("chinese-nlp-corpus/waimai_10k.csv", registry=registry) == (
        mirror / "chinese-nlp-corpus" / "waimai_10k.csv"
    )
    monkeypatch.setenv("TUTORIAL_DATA_MIRROR", str(tmp_path / "no-such-folder"))
    with pytest.raises(DataUnavailableError, match="TUTORIAL_DATA_MIRROR"):
        fetch_file("chinese-nlp-corpus/waimai_10k.csv", registry=registry)


def test_verified_cache_comes_before_the_mirror(tmp_path, private_cache):
    mirror = copy_fixture_mirror(tmp_path)
    registry = dataclasses.replace(fixture_registry(), mirror_dir=mirror)
    first = fetch_file("chinese-nlp-corpus/online_shopping_10_cats.csv", registry=registry)
    assert first.is_relative_to(private_cache)
    # With the cached copy in place, a broken mirror is never looked at...
    (mirror / "chinese-nlp-corpus" / "online_shopping_10_cats.zip").write_bytes(b"broken")
    assert fetch_file("chinese-nlp-corpus/online_shopping_10_cats.csv", registry=registry) == first
    # ...but a corrupt cached copy is not trusted: the mirror is consulted (and found broken).
    first.write_text("tampered", encoding="utf-8")
    with pytest.raises(ChecksumError):
        fetch_file("chinese-nlp-corpus/online_shopping_10_cats.csv", registry=registry)


def test_corrupt_cache_file_is_replaced_by_a_verified_copy(private_cache):
    registry = fixture_registry()
    path = fetch_file("chinese-nlp-corpus/online_shopping_10_cats.csv", registry=registry)
    expected = sha256_of(path)
    path.write_bytes(b"half a file")
    again = fetch_file("chinese-nlp-corpus/online_shopping_10_cats.csv", registry=registry)
    assert again == path and sha256_of(again) == expected


def test_corrupt_mirror_file_raises_naming_file_and_hashes(tmp_path):
    mirror = copy_fixture_mirror(tmp_path)
    corrupt = mirror / "movielens" / "ml-100k" / "u.data"
    corrupt.write_bytes(corrupt.read_bytes().replace(b"\t5\t", b"\t1\t", 1))
    registry = dataclasses.replace(fixture_registry(), mirror_dir=mirror)
    expected = registry.files["movielens/ml-100k/u.data"].sha256
    actual = sha256_of(corrupt)
    with pytest.raises(ChecksumError) as caught:
        load_movielens_ratings(registry=registry)
    message = str(caught.value)
    assert str(corrupt) in message and expected in message and actual in message
    assert caught.value.expected == f"sha256:{expected}" and caught.value.actual == f"sha256:{actual}"


def test_corrupt_mirror_archive_raises(tmp_path):
    mirror = copy_fixture_mirror(tmp_path)
    archive = mirror / "movielens" / "ml-1m.zip"
    archive.write_bytes(archive.read_bytes()[:-10])
    registry = dataclasses.replace(fixture_registry(), mirror_dir=mirror)
    with pytest.raises(ChecksumError, match="ml-1m.zip"):
        fetch_file("movielens/ml-1m/users.dat", registry=registry)


# ---------------------------------------------------------------------------------------------
# Downloads (loopback only)
# ---------------------------------------------------------------------------------------------
def test_no_network_gives_a_clear_error(monkeypatch, private_cache):
    monkeypatch.delenv("TUTORIAL_DATA_MIRROR", raising=False)
    url = f"{UNREACHABLE}/ml-100k.zip"
    registry = offline_registry(**{"movielens/ml-100k.zip": url})
    with pytest.raises(DataUnavailableError) as caught:
        fetch_file("movielens/ml-100k/u.data", registry=registry, retries=0)
    message = str(caught.value)
    assert "Could not download ml-100k.zip" in message and url in message
    assert "TUTORIAL_DATA_MIRROR" in message and "movielens/ml-100k/u.data" in message
    assert isinstance(caught.value, FileNotFoundError)
    assert files_under(private_cache) == []  # nothing half-written left behind


def test_download_per_call_url_override(monkeypatch):
    monkeypatch.delenv("TUTORIAL_DATA_MIRROR", raising=False)
    url = f"{UNREACHABLE}/somewhere-else.csv"
    with pytest.raises(DataUnavailableError, match="somewhere-else.csv"):
        fetch_file("chinese-nlp-corpus/waimai_10k.csv", registry=offline_registry(), url=url, retries=0)


class RecordingHandler(logging.Handler):
    """Collects the log records pooch emits (its logger is outside logging's hierarchy, so
    pytest's caplog does not see it, and its stderr handler is bound at import time)."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


def test_download_then_cache_without_hitting_the_server_again(file_server, private_cache, capsys):
    pooch_logger = pooch.get_logger()
    level_before = pooch_logger.level
    recorder = RecordingHandler()
    pooch_logger.addHandler(recorder)
    try:
        shutil.copy(FIXTURES_DIR / "movielens" / "ml-100k.zip", file_server.folder / "ml-100k.zip")
        registry = offline_registry(**{"movielens/ml-100k.zip": f"{file_server.url}/ml-100k.zip"})
        path = fetch_file("movielens/ml-100k/u.data", registry=registry, retries=0, progressbar=False)
        assert path == private_cache / "fixtures" / "movielens" / "ml-100k" / "u.data"
        assert sha256_of(path) == registry.files["movielens/ml-100k/u.data"].sha256
        assert file_server.requests == ["/ml-100k.zip"]
        # The other files come from the same (cached) archive; u.data itself from the cache.
        ratings = load_movielens_ratings(registry=registry)
        load_movielens_users(registry=registry)
        load_movielens_items(registry=registry)
    finally:
        pooch_logger.removeHandler(recorder)
    assert len(ratings) == 14
    assert file_server.requests == ["/ml-100k.zip"]
    # pooch's "Downloading ..." lines would reach stderr, which a notebook build treats as an
    # error; they are silenced while we fetch, and pooch's own setting is restored afterwards.
    assert recorder.records == []
    assert pooch_logger.level == level_before
    captured = capsys.readouterr()
    assert "Downloading" in captured.out and captured.err == ""


def test_plain_file_download(file_server, private_cache):
    shutil.copy(FIXTURES_DIR / "chinese-nlp-corpus" / "waimai_10k.csv", file_server.folder)
    registry = offline_registry(**{"chinese-nlp-corpus/waimai_10k.csv": f"{file_server.url}/waimai_10k.csv"})
    reviews = load_reviews("waimai_10k", registry=registry)
    assert len(reviews) == 6
    assert (private_cache / "fixtures" / "chinese-nlp-corpus" / "waimai_10k.csv").is_file()
    load_reviews("waimai_10k", registry=registry)
    assert len(file_server.requests) == 1


def test_download_progress_bar_reaches_the_file_size(file_server, monkeypatch):
    made = []

    def recording_progressbar(description):
        bar = make_real_progressbar(description)
        assert bar is not False, "with TQDM_DISABLE unset a download shows a bar"
        if bar.disable:  # tqdm read TQDM_DISABLE=1 from the caller's environment at import
            from tqdm import tqdm

            bar = tqdm(total=bar.total, desc=description, disable=False, file=io.StringIO())
        made.append(bar)
        return bar

    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    make_real_progressbar = downloads._make_progressbar
    monkeypatch.setattr(downloads, "_make_progressbar", recording_progressbar)
    served = shutil.copy(FIXTURES_DIR / "chinese-nlp-corpus" / "waimai_10k.csv", file_server.folder)
    registry = offline_registry(**{"chinese-nlp-corpus/waimai_10k.csv": f"{file_server.url}/waimai_10k.csv"})
    fetch_file("chinese-nlp-corpus/waimai_10k.csv", registry=registry, retries=0, progressbar=True)
    size = Path(served).stat().st_size
    assert len(made) == 1 and made[0].total == size and made[0].n == size


def test_corrupt_download_raises_and_keeps_nothing(file_server, private_cache):
    # Serve the wrong bytes under the expected name.
    shutil.copy(FIXTURES_DIR / "movielens" / "ml-1m.zip", file_server.folder / "ml-100k.zip")
    registry = offline_registry(**{"movielens/ml-100k.zip": f"{file_server.url}/ml-100k.zip"})
    with pytest.raises(ChecksumError) as caught:
        fetch_file("movielens/ml-100k/u.data", registry=registry, retries=0, progressbar=False)
    expected = registry.downloads["movielens/ml-100k.zip"].known_hash
    actual = "sha256:" + sha256_of(file_server.folder / "ml-100k.zip")
    assert caught.value.expected == expected and caught.value.actual == actual
    assert expected.split(":")[1] in str(caught.value) and actual.split(":")[1] in str(caught.value)
    assert files_under(private_cache) == []  # pooch deleted the temporary download


def test_failed_download_is_retried(file_server):
    shutil.copy(FIXTURES_DIR / "movielens" / "ml-100k.zip", file_server.folder / "ml-100k.zip")
    file_server.failures_left = 1  # the first request gets a 503
    registry = offline_registry(**{"movielens/ml-100k.zip": f"{file_server.url}/ml-100k.zip"})
    path = fetch_file("movielens/ml-100k/u.item", registry=registry, retries=1, progressbar=False)
    assert path.is_file()
    assert file_server.requests == ["/ml-100k.zip", "/ml-100k.zip"]


def test_missing_file_on_the_server_gives_a_clear_error(file_server):
    registry = offline_registry(**{"movielens/ml-100k.zip": f"{file_server.url}/gone.zip"})
    with pytest.raises(DataUnavailableError, match="404"):
        fetch_file("movielens/ml-100k/u.data", registry=registry, retries=0, progressbar=False)


# ---------------------------------------------------------------------------------------------
# Archives
# ---------------------------------------------------------------------------------------------
def make_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize(
    "bad_name", ["../escaped.txt", "data/../../escaped.txt", "/tmp/absolute.txt", "C:/x.txt", "..\\win.txt"]
)
def test_unsafe_archive_member_is_rejected(tmp_path, bad_name):
    archive = make_zip(tmp_path / "bundle.zip", {"data.txt": b"fine", bad_name: b"evil"})
    target = tmp_path / "extracted"
    with pytest.raises(UnsafeArchiveError, match="outside the extraction folder"):
        SafeUnzip(members=["data.txt"], extract_dir=str(target))(str(archive), "download", None)
    assert files_under(tmp_path) == [archive]  # nothing written, not even the safe member


def test_unsafe_archive_in_a_mirror_is_rejected_by_fetch(tmp_path):
    mirror = tmp_path / "mirror"
    (mirror / "demo").mkdir(parents=True)
    archive = make_zip(mirror / "demo" / "bundle.zip", {"data.txt": b"fine", "../../escaped.txt": b"evil"})
    registry = DataRegistry(
        downloads={
            "demo/bundle.zip": Download("demo/bundle.zip", f"{UNREACHABLE}/bundle.zip", f"sha256:{sha256_of(archive)}")
        },
        files={"demo/data.txt": DataFile("demo/bundle.zip", "data.txt", sha256=hashlib.sha256(b"fine").hexdigest())},
        mirror_dir=mirror,
    )
    with pytest.raises(UnsafeArchiveError):
        fetch_file("demo/data.txt", registry=registry)
    assert not (tmp_path / "escaped.txt").exists() and not list(tmp_path.rglob("escaped.txt"))


def test_interrupted_extraction_leaves_no_file(tmp_path, monkeypatch, private_cache):
    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(downloads.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        fetch_file("chinese-nlp-corpus/online_shopping_10_cats.csv", registry=fixture_registry())
    monkeypatch.undo()
    assert files_under(private_cache) == []  # neither the member nor its temporary file


def test_archive_without_the_member_is_reported(tmp_path):
    archive = make_zip(tmp_path / "bundle.zip", {"other.txt": b"x"})
    with pytest.raises(DataUnavailableError, match="no member 'data.txt'"):
        SafeUnzip(members=["data.txt"], extract_dir=str(tmp_path / "out"))(str(archive), "download", None)


# ---------------------------------------------------------------------------------------------
# The real data (offline mirror); CI sets TUTORIAL_DATA_MIRROR
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def real_data(tmp_path_factory):
    """Load every real table once per module, with a private cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TUTORIAL_DATA_CACHE", str(tmp_path_factory.mktemp("real-cache")))
        return types.SimpleNamespace(
            ratings=load_movielens_ratings(),
            users=load_movielens_users(),
            items=load_movielens_items(),
            reviews={corpus: load_reviews(corpus, drop_empty=False) for corpus in REVIEW_CORPORA},
            genre_path=fetch_file("movielens/ml-100k/u.genre"),
        )


@needs_mirror
def test_real_movielens_100k_sizes_and_dtypes(real_data):
    ratings, users, items = real_data.ratings, real_data.users, real_data.items
    # Sizes stated in the dataset's own u.info / README.
    assert len(ratings) == 100_000 and ratings.user_id.nunique() == 943 and ratings.item_id.nunique() == 1682
    assert len(users) == 943 and len(items) == 1682
    assert ratings.dtypes.astype(str).tolist() == ["int32", "int32", "int8", "int64"]
    assert set(ratings.rating.unique()) == {1, 2, 3, 4, 5}
    assert ratings.equals(ratings.sort_values(["user_id", "timestamp", "item_id"], ignore_index=True))
    assert set(users.gender.unique()) == {"F", "M"}
    assert users.zip_code.str.contains(r"[A-Z]").any()  # Canadian codes kept as text
    assert items.release_date.isna().sum() == 1 and items.year.isna().sum() == 1
    genres_used = {name for genres in items.genres for name in genres.split("|")}
    assert genres_used == set(MOVIELENS_100K_GENRES)
    assert len(datasets._read_100k_genres(real_data.genre_path)) == 19
    assert items.title.str.contains("é").any()  # Latin-1 titles decoded


@needs_mirror
def test_real_review_corpora_sizes(real_data):
    # Row counts of the data README (before dropping empty reviews).
    sizes = {corpus: len(frame) for corpus, frame in real_data.reviews.items()}
    assert sizes == {"online_shopping_10_cats": 62_774, "waimai_10k": 11_987, "ChnSentiCorp_htl_all": 7_766}
    empties = {corpus: int((frame.text.str.strip() == "").sum()) for corpus, frame in real_data.reviews.items()}
    assert empties == {"online_shopping_10_cats": 1, "waimai_10k": 0, "ChnSentiCorp_htl_all": 1}
    shopping = real_data.reviews["online_shopping_10_cats"]
    assert shopping.category.nunique() == 10
    assert not shopping.text.str.contains("\ufeff").any()
    waimai = real_data.reviews["waimai_10k"]
    assert waimai.label.value_counts().to_dict() == {0: 7_987, 1: 4_000}


@needs_mirror
def test_real_files_come_from_the_mirror(tmp_path):
    mirror = Path(MIRROR).resolve()
    assert fetch_file("movielens/ml-100k/u.data") == mirror / "movielens" / "ml-100k" / "u.data"
    extracted = fetch_file("chinese-nlp-corpus/online_shopping_10_cats.csv")
    assert extracted.is_relative_to(tmp_path)  # extracted into this test's cache, mirror untouched
    assert sha256_of(extracted) == REGISTRY.files["chinese-nlp-corpus/online_shopping_10_cats.csv"].sha256


# ---------------------------------------------------------------------------------------------
# Empty paths, unpinned files, races and offline messages (issue 7). Each test below failed
# before the fix it guards.
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("argument", ["cache_dir", "mirror_dir"])
@pytest.mark.parametrize("empty", ["", "  ", Path("")])
def test_empty_folder_arguments_are_rejected(argument, empty, tmp_path, monkeypatch):
    # cache_dir="" resolved to the current folder, and the archive was extracted there.
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=f"{argument} must be a non-empty path"):
        fetch_file("chinese-nlp-corpus/online_shopping_10_cats.csv", registry=fixture_registry(), **{argument: empty})
    assert list(tmp_path.iterdir()) == []


def test_modified_unpinned_member_is_extracted_again(private_cache):
    """ML-1M members have no checksum of their own: the one recorded at extraction is checked."""
    registry = fixture_registry()
    assert registry.files["movielens/ml-1m/ratings.dat"].sha256 is None
    path = fetch_file("movielens/ml-1m/ratings.dat", registry=registry)
    original = path.read_bytes()
    path.write_bytes(original.replace(b"::5::", b"::1::", 1))
    again = fetch_file("movielens/ml-1m/ratings.dat", registry=registry)
    assert again == path and again.read_bytes() == original
    # A verified copy is reused as it is (nothing extracted again).
    modified_time = path.stat().st_mtime_ns
    assert fetch_file("movielens/ml-1m/ratings.dat", registry=registry).stat().st_mtime_ns == modified_time


def test_modified_unpinned_member_of_a_downloaded_archive_is_extracted_again(file_server, private_cache):
    shutil.copy(FIXTURES_DIR / "movielens" / "ml-1m.zip", file_server.folder)
    registry = offline_registry(**{"movielens/ml-1m.zip": f"{file_server.url}/ml-1m.zip"})
    path = fetch_file("movielens/ml-1m/users.dat", registry=registry, retries=0, progressbar=False)
    original = path.read_bytes()
    path.write_bytes(b"1::F::1::10::00000\n")
    again = fetch_file("movielens/ml-1m/users.dat", registry=registry, retries=0, progressbar=False)
    assert again.read_bytes() == original
    assert file_server.requests == ["/ml-1m.zip"]  # the verified cached archive was reused


def test_two_threads_replacing_the_same_corrupt_file_both_succeed(private_cache, monkeypatch):
    """Both find the corrupt cached copy before either deletes it; neither may crash."""
    registry = fixture_registry()
    path = fetch_file("chinese-nlp-corpus/online_shopping_10_cats.csv", registry=registry)
    expected = sha256_of(path)
    path.write_bytes(b"half a file")

    both_checked = threading.Barrier(2, timeout=10)
    waited = threading.local()
    real_matches = downloads._matches

    def matches_then_wait(candidate, known_hash):
        result = real_matches(candidate, known_hash)
        if not getattr(waited, "done", False):  # the first check of each thread
            waited.done = True
            both_checked.wait()
        return result

    monkeypatch.setattr(downloads, "_matches", matches_then_wait)
    outcomes = []

    def fetch():
        try:
            outcomes.append(fetch_file("chinese-nlp-corpus/online_shopping_10_cats.csv", registry=registry))
        except BaseException as error:  # recorded, so the test can show it
            outcomes.append(error)

    threads = [threading.Thread(target=fetch) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert outcomes == [path, path], outcomes
    assert sha256_of(path) == expected


def test_offline_download_gives_one_message_naming_every_file_and_every_way(tmp_path, private_cache, monkeypatch):
    """No internet and a mirror without the files: one short error, no chained traceback."""
    import traceback

    import requests

    def no_network(self, url, output_file, pooch_instance, check_only=False):
        raise requests.exceptions.ConnectionError(f"network disabled for the test ({url})")

    monkeypatch.setattr(pooch.HTTPDownloader, "__call__", no_network)
    monkeypatch.setattr("time.sleep", lambda seconds: None)  # pooch waits between its retries
    empty_mirror = tmp_path / "empty-mirror"
    empty_mirror.mkdir()
    registry = dataclasses.replace(REGISTRY, mirror_dir=empty_mirror)
    with pytest.raises(DataUnavailableError) as caught:
        load_movielens_ratings(registry=registry)
    error = caught.value
    message = str(error)
    for needed in ("u.data", "u.user", "u.item"):
        assert f"movielens/ml-100k/{needed}" in message
    assert "movielens/ml-100k.zip" in message
    assert "TUTORIAL_DATA_MIRROR" in message and str(empty_mirror) in message
    assert "TUTORIAL_DATA_CACHE" in message and str(private_cache) in message
    assert REGISTRY.downloads["movielens/ml-100k.zip"].url in message
    assert "network disabled for the test" in message  # the cause's one-line text is kept
    assert error.__cause__ is None and error.__suppress_context__
    shown = "".join(traceback.format_exception(error))
    assert "During handling" not in shown and "direct cause" not in shown
    assert len(shown.splitlines()) < 40


def test_no_download_bar_when_bars_are_switched_off(monkeypatch):
    monkeypatch.setenv("TQDM_DISABLE", "1")
    assert downloads._make_progressbar("u.data") is False  # pooch then draws nothing
