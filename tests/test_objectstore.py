"""One behaviour, two stores: every test runs on the local store and on a real SeaweedFS S3 server."""

from __future__ import annotations

import hashlib
import os
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from pydantic import SecretStr

from vidlib.errors import NotFoundError, StorageError
from vidlib.settings import Settings
from vidlib.storage.objectstore import LocalObjectStore, ObjectStore, make_object_store, validate_key
from vidlib.storage.s3store import S3ObjectStore

BAD_KEYS = ["../x", "a/../../x", "..", "/etc/passwd", "a\\..\\x", "a\x00b", "", "a//b", "./a", "a/", "a/."]


def s3_store(server: Any, **overrides: Any) -> S3ObjectStore:
    args: dict[str, Any] = {
        "endpoint_url": server.endpoint_url,
        "bucket": server.bucket,
        "region": "us-east-1",
        "access_key": server.access_key,
        "secret_key": server.secret_key,
        "max_attempts": 3,
        "connect_timeout_s": 2.0,
        "read_timeout_s": 10.0,
    }
    args.update(overrides)
    return S3ObjectStore(**args)


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    if request.param == "local":
        return LocalObjectStore(tmp_path / "store")
    store = s3_store(request.getfixturevalue("s3_server"))
    store.ensure_bucket()
    return store


@pytest.fixture
def ns(store: ObjectStore) -> Iterator[str]:
    """A fresh key prefix per test, so tests sharing the session's bucket never see each other."""
    prefix = f"t-{uuid.uuid4().hex[:12]}/"
    yield prefix
    store.delete_prefix(prefix)


def is_s3(store: ObjectStore) -> bool:
    return isinstance(store, S3ObjectStore)


# --- behaviour shared by both stores -----------------------------------------------------------------


def test_round_trip(store: ObjectStore, ns: str, tmp_path: Path) -> None:
    assert isinstance(store, ObjectStore)
    store.put_bytes(ns + "a/hello.txt", b"hello", content_type="text/plain")
    assert store.get_bytes(ns + "a/hello.txt") == b"hello"
    assert store.exists(ns + "a/hello.txt")
    assert store.size(ns + "a/hello.txt") == 5

    src = tmp_path / "src.bin"
    src.write_bytes(b"\x00\x01binary\xff" * 100)
    store.put_file(ns + "b/file.bin", src, content_type="application/octet-stream")
    dest = tmp_path / "out" / "file.bin"
    store.download(ns + "b/file.bin", dest)
    assert dest.read_bytes() == src.read_bytes()
    store.put_bytes(ns + "empty", b"")
    assert store.get_bytes(ns + "empty") == b"" and store.size(ns + "empty") == 0


def test_overwrite(store: ObjectStore, ns: str) -> None:
    store.put_bytes(ns + "k", b"first version, longer")
    store.put_bytes(ns + "k", b"second")
    assert store.get_bytes(ns + "k") == b"second"
    assert store.size(ns + "k") == 6
    assert store.list_keys(ns) == [ns + "k"]


def test_list_by_prefix(store: ObjectStore, ns: str) -> None:
    for key in ["a/1", "a/2", "ab/3", "b/4", "a/deep/5"]:
        store.put_bytes(ns + key, key.encode())
    assert store.list_keys(ns + "a/") == [ns + "a/1", ns + "a/2", ns + "a/deep/5"]
    assert store.list_keys(ns + "a") == [ns + "a/1", ns + "a/2", ns + "a/deep/5", ns + "ab/3"]
    assert store.list_keys(ns) == sorted(ns + k for k in ["a/1", "a/2", "ab/3", "b/4", "a/deep/5"])
    assert store.list_keys(ns + "zzz/") == []


def test_delete_and_delete_prefix(store: ObjectStore, ns: str) -> None:
    for key in ["x/1", "x/2", "x/sub/3", "xy/4", "y/5"]:
        store.put_bytes(ns + key, b".")
    store.delete(ns + "y/5")
    assert not store.exists(ns + "y/5")
    store.delete(ns + "y/5")  # deleting a missing object is not an error
    assert store.delete_prefix(ns + "x/") == 3
    assert store.list_keys(ns) == [ns + "xy/4"]
    assert store.delete_prefix(ns + "nothing/") == 0
    with pytest.raises(StorageError, match="non-empty prefix"):
        store.delete_prefix("")


def test_range_reads(store: ObjectStore, ns: str) -> None:
    data = bytes(range(256)) * 4
    store.put_bytes(ns + "r", data)
    assert store.open_range(ns + "r", 0, 10) == data[0:10]
    assert store.open_range(ns + "r", 100, 300) == data[100:300]
    assert store.open_range(ns + "r", 1000, 5000) == data[1000:]  # past the end: truncated
    assert store.open_range(ns + "r", 1024, 2000) == b""  # starts at the end
    assert store.open_range(ns + "r", 5, 5) == b""
    with pytest.raises(StorageError):
        store.open_range(ns + "r", -1, 5)


def test_missing_key_is_not_found(store: ObjectStore, ns: str, tmp_path: Path) -> None:
    key = ns + "does/not/exist"
    assert not store.exists(key)
    for read in (
        store.get_bytes,
        store.size,
        lambda k: store.open_range(k, 0, 10),
        lambda k: store.download(k, tmp_path / "never"),
    ):
        with pytest.raises(NotFoundError, match="does not exist"):
            read(key)
    assert not (tmp_path / "never").exists()


@pytest.mark.parametrize("bad", BAD_KEYS)
def test_traversal_keys_are_rejected(store: ObjectStore, bad: str, tmp_path: Path) -> None:
    for use in (
        lambda k: store.put_bytes(k, b"evil"),
        store.get_bytes,
        store.exists,
        store.delete,
        store.size,
        lambda k: store.open_range(k, 0, 1),
    ):
        with pytest.raises(StorageError):
            use(bad)
    assert not (tmp_path / "x").exists() and not (tmp_path.parent / "x").exists()


def test_bad_prefixes_are_rejected(store: ObjectStore) -> None:
    for bad in ["../", "/abs", "a/../", "a\\b"]:
        with pytest.raises(StorageError):
            store.list_keys(bad)
        with pytest.raises(StorageError):
            store.delete_prefix(bad)


def test_multipart_upload_round_trip(
    store: ObjectStore, ns: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    src = tmp_path / "big.bin"
    src.write_bytes(os.urandom(20 * 1024 * 1024 + 123))
    store.put_file(ns + "big.bin", src)
    assert store.size(ns + "big.bin") == src.stat().st_size
    dest = tmp_path / "big.out"
    store.download(ns + "big.bin", dest)
    assert hashlib.sha256(dest.read_bytes()).digest() == hashlib.sha256(src.read_bytes()).digest()
    if is_s3(store):  # a multipart object's ETag is "<md5 of part md5s>-<part count>"
        server = request.getfixturevalue("s3_server")
        etag = raw_client(server).head_object(Bucket=server.bucket, Key=ns + "big.bin")["ETag"]
        assert etag.strip('"').endswith("-2"), etag


def test_local_path(store: ObjectStore, ns: str) -> None:
    store.put_bytes(ns + "p.txt", b"here")
    path = store.local_path(ns + "p.txt")
    if is_s3(store):
        assert path is None
    else:
        assert path is not None and path.read_bytes() == b"here"


# --- local store only ---------------------------------------------------------------------------------


def test_local_writes_are_atomic(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "store")
    versions = [bytes([i]) * (2 * 1024 * 1024) for i in (1, 2)]
    store.put_bytes("obj", versions[0])
    stop = threading.Event()

    def writer() -> None:
        i = 0
        while not stop.is_set():
            store.put_bytes("obj", versions[i % 2])
            i += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for _ in range(200):
            assert store.get_bytes("obj") in versions
    finally:
        stop.set()
        thread.join()
    assert store.list_keys("") == ["obj"]  # no temp file left, none listed
    assert [p.name for p in (tmp_path / "store").iterdir()] == ["obj"]


def test_local_store_has_no_presigned_urls(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    store.put_bytes("a", b"1")
    with pytest.raises(StorageError, match="S3"):
        store.presign_url("a", 60)


def test_validate_key() -> None:
    for good in ["a", "a/b/c.wav", "x..y", "rec-1/clip_2.mp4"]:
        assert validate_key(good) == good
    assert validate_key("", is_prefix=True) == ""
    assert validate_key("a/b/", is_prefix=True) == "a/b/"
    with pytest.raises(StorageError, match=r"'\.\.'"):
        validate_key("a/../b")


def test_make_object_store_local(tmp_path: Path) -> None:
    store = make_object_store(Settings(home=tmp_path, store="local"))
    assert isinstance(store, LocalObjectStore) and store.root == (tmp_path / "store").resolve()


# --- S3 only ------------------------------------------------------------------------------------------


def raw_client(server: Any) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=server.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key,
    )


@pytest.mark.s3
def test_make_object_store_s3_creates_bucket(s3_server: Any) -> None:
    bucket = f"made-{uuid.uuid4().hex[:8]}"
    settings = Settings(
        store="s3",
        s3_endpoint_url=s3_server.endpoint_url,
        s3_bucket=bucket,
        s3_access_key_id=SecretStr(s3_server.access_key),
        s3_secret_access_key=SecretStr(s3_server.secret_key),
    )
    store = make_object_store(settings)
    assert isinstance(store, S3ObjectStore)
    store.ensure_bucket()  # idempotent
    store.put_bytes("k", b"v")
    assert store.get_bytes("k") == b"v"
    assert bucket in [b["Name"] for b in raw_client(s3_server).list_buckets()["Buckets"]]


@pytest.mark.s3
def test_presigned_url_works_then_expires(s3_server: Any) -> None:
    store = s3_store(s3_server)
    key = f"t-{uuid.uuid4().hex[:12]}/shared.txt"
    store.put_bytes(key, b"for your eyes", content_type="text/plain")
    url = store.presign_url(key, 2)
    assert "X-Amz-Signature=" in url and "X-Amz-Algorithm=AWS4-HMAC-SHA256" in url
    with urllib.request.urlopen(url, timeout=10) as reply:
        assert reply.read() == b"for your eyes"
    with pytest.raises(urllib.error.HTTPError) as unsigned:  # authentication is really on
        urllib.request.urlopen(url.split("?")[0], timeout=10)
    assert unsigned.value.code == 403
    time.sleep(3)
    with pytest.raises(urllib.error.HTTPError) as expired:
        urllib.request.urlopen(url, timeout=10)
    assert expired.value.code == 403
    store.delete(key)


@pytest.mark.s3
@pytest.mark.parametrize("which", ["secret", "access_key"])
def test_wrong_credentials_give_storage_error(s3_server: Any, which: str) -> None:
    wrong = {"secret_key": "not-the-secret"} if which == "secret" else {"access_key": "NOSUCHKEY"}
    store = s3_store(s3_server, **wrong)
    for use in (
        lambda: store.put_bytes("t-wrong/k", b"v"),
        lambda: store.get_bytes("t-wrong/k"),
        lambda: store.list_keys(""),
        store.ensure_bucket,
    ):
        with pytest.raises(StorageError, match="VIDLIB_S3_SECRET_ACCESS_KEY"):
            use()


@pytest.mark.s3
def test_server_down_gives_storage_error_then_recovers(s3_server: Any, tmp_path: Path) -> None:
    store = s3_store(s3_server, max_attempts=3, connect_timeout_s=1.0, read_timeout_s=5.0)
    key = f"t-{uuid.uuid4().hex[:12]}/survives"
    store.put_bytes(key, b"durable")
    s3_server.stop()
    try:
        started = time.monotonic()
        with pytest.raises(StorageError, match="did not answer after 3 attempts"):
            store.get_bytes(key)
        with pytest.raises(StorageError, match="is it running"):
            store.put_bytes(key + "-2", b"x")
        src = tmp_path / "f.bin"
        src.write_bytes(b"f" * 1000)
        with pytest.raises(StorageError):
            store.put_file(key + "-3", src)
        assert time.monotonic() - started < 30
    finally:
        s3_server.start()
    assert store.get_bytes(key) == b"durable"  # same store object, after the restart
    store.put_bytes(key + "-4", b"again")
    assert store.get_bytes(key + "-4") == b"again"
    store.delete_prefix(key.split("/")[0] + "/")


@pytest.mark.s3
def test_hung_server_gives_storage_error_within_bounded_time(s3_server: Any) -> None:
    store = s3_store(s3_server, max_attempts=2, connect_timeout_s=1.0, read_timeout_s=1.0)
    key = f"t-{uuid.uuid4().hex[:12]}/k"
    store.put_bytes(key, b"v")
    sent: list[str] = []
    store._client.meta.events.register("before-send.s3.*", lambda **_: sent.append("try"))  # count attempts
    s3_server.pause()
    try:
        started = time.monotonic()
        with pytest.raises(StorageError, match="did not answer after 2 attempts"):
            store.get_bytes(key)
        assert time.monotonic() - started < 10
        assert len(sent) == 2  # it retried once, then gave up
    finally:
        s3_server.resume()
    assert store.get_bytes(key) == b"v"
    store.delete(key)
