"""Where vidlib keeps its blobs: one small ``ObjectStore`` protocol, a local and an S3 implementation.

Keys are ``/``-separated relative names such as ``recordings/ab12/audio.wav``. Every key is checked by
:func:`validate_key` before it touches a disk or a network, so a key can never name a file outside the
store. Ranges are half-open like Python slices: ``open_range(key, 0, 10)`` returns bytes 0..9.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol, runtime_checkable

from vidlib.errors import NotFoundError, StorageError

if TYPE_CHECKING:
    from pydantic import SecretStr

    from vidlib.settings import Settings

MAX_KEY_LENGTH = 1024
_TMP_MARK = ".vidlib-tmp-"
_COPY_CHUNK = 1024 * 1024


@runtime_checkable
class ObjectStore(Protocol):
    """A flat key -> bytes store. Implementations raise only StorageError and NotFoundError."""

    def put_bytes(self, key: str, data: bytes, content_type: str | None = None) -> None: ...
    def put_file(self, key: str, path: Path, content_type: str | None = None) -> None: ...
    def get_bytes(self, key: str) -> bytes: ...
    def download(self, key: str, dest_path: Path) -> None: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...
    def delete_prefix(self, prefix: str) -> int: ...
    def list_keys(self, prefix: str = "") -> list[str]: ...
    def size(self, key: str) -> int: ...
    def open_range(self, key: str, start: int, end: int) -> bytes: ...
    def local_path(self, key: str) -> Path | None: ...
    def presign_url(self, key: str, expires_s: int | None = None) -> str: ...


def validate_key(key: str, *, is_prefix: bool = False) -> str:
    """Return ``key`` unchanged, or raise StorageError saying why it is not a safe object key.

    A prefix may be empty and may end with ``/``; a key may not. Neither may start with ``/``,
    contain a backslash, a NUL, an empty segment or a ``.``/``..`` segment.
    """
    if not isinstance(key, str):
        raise StorageError(f"object key must be a string, not {type(key).__name__}")
    what = "prefix" if is_prefix else "key"
    if not key and not is_prefix:
        raise StorageError("object key is empty")
    if len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_LENGTH:
        raise StorageError(f"object {what} is longer than {MAX_KEY_LENGTH} bytes: {key[:60]!r}...")
    if "\x00" in key or "\\" in key:
        raise StorageError(f"object {what} {key!r} contains a NUL or a backslash; use '/' separated names")
    if key.startswith("/"):
        raise StorageError(f"object {what} {key!r} starts with '/'; keys are relative, e.g. 'recordings/x.wav'")
    segments = key.split("/")
    if is_prefix and segments and segments[-1] == "":
        segments = segments[:-1]
    for segment in segments:
        if segment in ("", ".", ".."):
            raise StorageError(f"object {what} {key!r} has an empty, '.' or '..' segment; that is not allowed")
        if segment.startswith(_TMP_MARK):
            raise StorageError(f"object {what} {key!r} uses the reserved name prefix {_TMP_MARK!r}")
    return key


class LocalObjectStore:
    """Objects as files under ``root``. Writes are atomic: temp file in the same folder, fsync, rename."""

    def __init__(self, root: Path) -> None:
        self._root = Path(root).resolve()

    @property
    def root(self) -> Path:
        return self._root

    def _path(self, key: str) -> Path:
        validate_key(key)
        path = self._root.joinpath(*key.split("/"))
        if not path.resolve().is_relative_to(self._root):  # a symlink inside the store pointing out
            raise StorageError(f"object key {key!r} resolves outside the store at {self._root}")
        return path

    def _existing(self, key: str) -> Path:
        path = self._path(key)
        if not path.is_file():
            raise NotFoundError(f"object {key!r} does not exist in the local store at {self._root}")
        return path

    def put_bytes(self, key: str, data: bytes, content_type: str | None = None) -> None:
        self._write(self._path(key), lambda out: out.write(data))

    def put_file(self, key: str, path: Path, content_type: str | None = None) -> None:
        target = self._path(key)
        try:
            with open(path, "rb") as src:
                self._write(target, lambda out: shutil.copyfileobj(src, out, _COPY_CHUNK))
        except OSError as exc:  # _write raises StorageError, so this is about the source file
            raise StorageError(f"cannot read {path} to store it as {key!r}: {exc.strerror}") from exc

    def get_bytes(self, key: str) -> bytes:
        path = self._existing(key)
        try:
            return path.read_bytes()
        except FileNotFoundError as exc:
            raise NotFoundError(f"object {key!r} was deleted while it was being read") from exc
        except OSError as exc:
            raise StorageError(f"cannot read object {key!r} at {path}: {exc.strerror}") from exc

    def download(self, key: str, dest_path: Path) -> None:
        path = self._existing(key)
        try:
            with open(path, "rb") as src:
                self._write(Path(dest_path), lambda out: shutil.copyfileobj(src, out, _COPY_CHUNK))
        except FileNotFoundError as exc:
            raise NotFoundError(f"object {key!r} was deleted while it was being read") from exc
        except OSError as exc:
            raise StorageError(f"cannot read object {key!r} at {path}: {exc.strerror}") from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        """Delete one object; deleting a missing object is not an error (as on S3)."""
        path = self._path(key)
        if not path.is_file():  # missing, or a folder of other keys ("a" when "a/b" exists)
            return
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot delete object {key!r} at {path}: {exc.strerror}") from exc

    def delete_prefix(self, prefix: str) -> int:
        if not validate_key(prefix, is_prefix=True):
            raise StorageError("refusing to delete every object: pass a non-empty prefix")
        keys = self.list_keys(prefix)
        for key in keys:
            self.delete(key)
        self._prune_empty_dirs(prefix)
        return len(keys)

    def list_keys(self, prefix: str = "") -> list[str]:
        validate_key(prefix, is_prefix=True)
        base = self._root.joinpath(*prefix.split("/")[:-1])  # deepest folder the prefix names fully
        return sorted(key for key in self._walk(base) if key.startswith(prefix))

    def size(self, key: str) -> int:
        path = self._existing(key)
        try:
            return path.stat().st_size
        except FileNotFoundError as exc:
            raise NotFoundError(f"object {key!r} was deleted while it was being read") from exc

    def open_range(self, key: str, start: int, end: int) -> bytes:
        _check_range(start, end)
        path = self._existing(key)
        if end <= start:
            return b""
        try:
            with open(path, "rb") as src:
                src.seek(start)
                return src.read(end - start)
        except OSError as exc:
            raise StorageError(f"cannot read bytes {start}..{end} of object {key!r}: {exc.strerror}") from exc

    def local_path(self, key: str) -> Path | None:
        """The file that holds ``key``; read it, never write to it."""
        return self._existing(key)

    def presign_url(self, key: str, expires_s: int | None = None) -> str:
        raise StorageError("presigned URLs need the S3 store (VIDLIB_STORE=s3); the local store serves local_path()")

    # --- internals ---------------------------------------------------------------------------------

    def _walk(self, base: Path) -> Iterator[str]:
        if not base.is_dir():
            return
        for dirpath, _dirnames, filenames in os.walk(base):
            rel = Path(dirpath).relative_to(self._root).as_posix()
            for name in filenames:
                if not name.startswith(_TMP_MARK):
                    yield name if rel == "." else f"{rel}/{name}"

    def _prune_empty_dirs(self, prefix: str) -> None:
        base = self._root.joinpath(*prefix.split("/")[:-1])
        for dirpath, _dirnames, _filenames in os.walk(base, topdown=False):
            if Path(dirpath) != self._root:
                with contextlib.suppress(OSError):  # rmdir succeeds only when empty: a concurrent writer wins
                    os.rmdir(dirpath)

    def _write(self, target: Path, fill: Callable[[BinaryIO], object]) -> None:
        tmp_path: str | None = None
        try:
            for _attempt in range(3):  # a concurrent delete_prefix may remove the folder between the two calls
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    fd, tmp_path = tempfile.mkstemp(prefix=_TMP_MARK, dir=target.parent)
                    break
                except FileNotFoundError:
                    continue
            else:
                raise StorageError(f"cannot create a temporary file next to {target}")
            with os.fdopen(fd, "wb") as out:
                fill(out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp_path, target)
            tmp_path = None
            _fsync_dir(target.parent)
        except OSError as exc:
            raise StorageError(f"cannot write {target}: {exc.strerror or exc}") from exc
        finally:
            if tmp_path is not None:
                Path(tmp_path).unlink(missing_ok=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _check_range(start: int, end: int) -> None:
    if start < 0 or end < 0:
        raise StorageError(f"byte range {start}..{end} is negative; use 0 <= start <= end")


def make_object_store(settings: Settings) -> ObjectStore:
    """Build the store that ``settings.store`` names; for S3 the bucket is created if missing."""
    if settings.store == "local":
        return LocalObjectStore(settings.store_dir)
    from vidlib.storage.s3store import S3ObjectStore  # boto3 is imported only when S3 is used

    def secret(value: SecretStr | None) -> str | None:
        return value.get_secret_value() if value is not None else None

    store = S3ObjectStore(
        endpoint_url=settings.s3_endpoint_url,
        bucket=settings.s3_bucket,
        region=settings.s3_region,
        access_key=secret(settings.s3_access_key_id),
        secret_key=secret(settings.s3_secret_access_key),
        presign_expiry_s=settings.s3_presign_expiry_s,
    )
    store.ensure_bucket()
    return store
