"""The S3 implementation of ``ObjectStore`` (AWS, SeaweedFS, MinIO, ...): SigV4, path-style, bounded retries.

Every botocore/boto3 error is translated here, at the boundary, into StorageError or NotFoundError with
a message that says what a person can check (is the server running, are the keys right, ...).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
from boto3.exceptions import Boto3Error
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)
from s3transfer.exceptions import RetriesExceededError as TransferRetriesExceededError
from s3transfer.exceptions import S3DownloadFailedError, S3UploadFailedError

from vidlib.errors import NotFoundError, StorageError, VidlibError
from vidlib.storage.objectstore import _check_range, validate_key

_NOT_FOUND = {"NoSuchKey", "404", "NotFound"}
_BAD_CREDENTIALS = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "AccessDenied",
    "403",
    "Forbidden",
    "InvalidToken",
    "ExpiredToken",
    "AuthorizationHeaderMalformed",
}
_UNREACHABLE = (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError)
_TRANSFER_ERRORS = (Boto3Error, TransferRetriesExceededError, S3UploadFailedError, S3DownloadFailedError)
_BOTO_ERRORS = (ClientError, BotoCoreError, *_TRANSFER_ERRORS)
_DELETE_BATCH = 1000


class S3ObjectStore:
    """Objects in one S3 bucket. Build it with :func:`vidlib.storage.objectstore.make_object_store`."""

    def __init__(
        self,
        endpoint_url: str | None,
        bucket: str,
        region: str,
        access_key: str | None,
        secret_key: str | None,
        *,
        presign_expiry_s: int = 300,
        max_attempts: int = 4,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 60.0,
        multipart_threshold: int = 16 * 1024 * 1024,
    ) -> None:
        self._bucket = bucket
        self._where = f"bucket {bucket!r} at {endpoint_url or 'AWS S3'}"
        self._max_attempts = max_attempts
        self._presign_expiry_s = presign_expiry_s
        config = Config(
            signature_version="s3v4",
            region_name=region,
            retries={"total_max_attempts": max_attempts, "mode": "standard"},  # first try included
            connect_timeout=connect_timeout_s,
            read_timeout=read_timeout_s,
            s3={"addressing_style": "path"},
            # S3-compatible servers need not know the newer default CRC checksums.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        session = boto3.session.Session(
            aws_access_key_id=access_key, aws_secret_access_key=secret_key, region_name=region
        )
        self._client: Any = session.client("s3", endpoint_url=endpoint_url, config=config)
        self._transfer = TransferConfig(
            multipart_threshold=multipart_threshold, multipart_chunksize=multipart_threshold, max_concurrency=4
        )

    @property
    def bucket(self) -> str:
        return self._bucket

    def ensure_bucket(self) -> None:
        """Create the bucket unless it exists (and is ours)."""
        with self._errors("check", None):
            try:
                self._client.head_bucket(Bucket=self._bucket)
                return
            except ClientError as exc:
                if _code(exc) not in _NOT_FOUND | {"NoSuchBucket"}:
                    raise
        with self._errors("create", None):
            try:
                self._client.create_bucket(Bucket=self._bucket)
            except ClientError as exc:
                if _code(exc) not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                    raise

    def put_bytes(self, key: str, data: bytes, content_type: str | None = None) -> None:
        extra = {"ContentType": content_type} if content_type else {}
        with self._errors("upload", validate_key(key)):
            self._client.put_object(Bucket=self._bucket, Key=key, Body=data, **extra)

    def put_file(self, key: str, path: Path, content_type: str | None = None) -> None:
        validate_key(key)
        if not Path(path).is_file():
            raise StorageError(f"cannot upload {path} as {key!r}: it is not a readable file")
        extra = {"ContentType": content_type} if content_type else None
        with self._errors("upload", key):
            self._client.upload_file(str(path), self._bucket, key, ExtraArgs=extra, Config=self._transfer)

    def get_bytes(self, key: str) -> bytes:
        with self._errors("download", validate_key(key)):
            return bytes(self._client.get_object(Bucket=self._bucket, Key=key)["Body"].read())

    def download(self, key: str, dest_path: Path) -> None:
        """Download to ``dest_path``; the file appears only once complete (s3transfer renames a temp file)."""
        validate_key(key)
        Path(dest_path).parent.mkdir(parents=True, exist_ok=True)
        with self._errors("download", key):
            self._client.download_file(self._bucket, key, str(dest_path), Config=self._transfer)

    def exists(self, key: str) -> bool:
        try:
            self._head(key)
        except NotFoundError:
            return False
        return True

    def delete(self, key: str) -> None:
        """Delete one object; deleting a missing object is not an error."""
        with self._errors("delete", validate_key(key)):
            self._client.delete_object(Bucket=self._bucket, Key=key)

    def delete_prefix(self, prefix: str) -> int:
        if not validate_key(prefix, is_prefix=True):
            raise StorageError("refusing to delete every object: pass a non-empty prefix")
        keys = self.list_keys(prefix)
        for i in range(0, len(keys), _DELETE_BATCH):
            batch = [{"Key": k} for k in keys[i : i + _DELETE_BATCH]]
            with self._errors("delete", prefix):
                reply = self._client.delete_objects(Bucket=self._bucket, Delete={"Objects": batch, "Quiet": True})
            if reply.get("Errors"):
                first = reply["Errors"][0]
                raise StorageError(
                    f"could not delete {len(reply['Errors'])} objects under {prefix!r} in {self._where}; "
                    f"first: {first.get('Key')!r}: {first.get('Code')} {first.get('Message')}"
                )
        return len(keys)

    def list_keys(self, prefix: str = "") -> list[str]:
        validate_key(prefix, is_prefix=True)
        keys: list[str] = []
        with self._errors("list", prefix or None):
            for page in self._client.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=prefix):
                keys.extend(item["Key"] for item in page.get("Contents", []))
        return sorted(keys)

    def size(self, key: str) -> int:
        return int(self._head(key)["ContentLength"])

    def open_range(self, key: str, start: int, end: int) -> bytes:
        _check_range(start, end)
        validate_key(key)
        if end <= start:
            self._head(key)  # still NotFoundError for a missing key
            return b""
        with self._errors("read a range of", key):
            try:
                reply = self._client.get_object(Bucket=self._bucket, Key=key, Range=f"bytes={start}-{end - 1}")
            except ClientError as exc:
                if _code(exc) == "InvalidRange":  # start is past the end of the object
                    return b""
                raise
            return bytes(reply["Body"].read())

    def local_path(self, key: str) -> Path | None:
        return None

    def presign_url(self, key: str, expires_s: int | None = None) -> str:
        """A SigV4 URL that lets anyone GET ``key`` for ``expires_s`` seconds (no request is made)."""
        seconds = self._presign_expiry_s if expires_s is None else expires_s
        if seconds < 1:
            raise StorageError(f"a presigned URL must live at least 1 second, not {seconds}")
        with self._errors("presign", validate_key(key)):
            return str(
                self._client.generate_presigned_url(
                    "get_object", Params={"Bucket": self._bucket, "Key": key}, ExpiresIn=seconds
                )
            )

    # --- internals ---------------------------------------------------------------------------------

    def _head(self, key: str) -> dict[str, Any]:
        with self._errors("inspect", validate_key(key)):
            return dict(self._client.head_object(Bucket=self._bucket, Key=key))

    @contextmanager
    def _errors(self, action: str, key: str | None) -> Iterator[None]:
        try:
            yield
        except _BOTO_ERRORS as exc:
            raise self._translate(exc, action, key) from exc

    def _translate(self, exc: Exception, action: str, key: str | None) -> VidlibError:
        what = f"object {key!r} in {self._where}" if key else self._where
        cause = _root_cause(exc)
        if isinstance(cause, ClientError):
            code = _code(cause)
            if code in _NOT_FOUND:
                return NotFoundError(f"{what} does not exist")
            if code == "NoSuchBucket":
                return StorageError(
                    f"{self._where} does not exist; create it (make_object_store does) or fix VIDLIB_S3_BUCKET"
                )
            if code in _BAD_CREDENTIALS:
                return StorageError(
                    f"S3 refused to {action} {what} ({code}): check VIDLIB_S3_ACCESS_KEY_ID and "
                    "VIDLIB_S3_SECRET_ACCESS_KEY, and that this user may use the bucket"
                )
            message = cause.response.get("Error", {}).get("Message", "")
            return StorageError(f"S3 could not {action} {what}: {code} {message}".rstrip())
        if isinstance(cause, NoCredentialsError):
            return StorageError("no S3 credentials: set VIDLIB_S3_ACCESS_KEY_ID and VIDLIB_S3_SECRET_ACCESS_KEY")
        if isinstance(cause, _UNREACHABLE):
            return StorageError(
                f"could not {action} {what}: the S3 server did not answer after {self._max_attempts} attempts "
                f"({type(cause).__name__}); is it running and is VIDLIB_S3_ENDPOINT_URL right?"
            )
        return StorageError(f"could not {action} {what}: {cause}")


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _root_cause(exc: BaseException) -> BaseException:
    """boto3's transfer errors wrap the ClientError or connection error that says what went wrong."""
    seen = exc
    for _ in range(5):
        if not isinstance(seen, _TRANSFER_ERRORS):
            break
        inner = getattr(seen, "last_exception", None) or seen.__cause__ or seen.__context__
        if inner is None:
            break
        seen = inner
    return seen
