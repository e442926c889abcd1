"""What a process needs to run stages: settings, object store, manifests, models, index. Built lazily once."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from vidlib.models.registry import ModelRegistry
from vidlib.settings import Settings
from vidlib.storage.index import ClipIndex, open_index
from vidlib.storage.manifests import ManifestRepo
from vidlib.storage.objectstore import ObjectStore, make_object_store

ProgressHook = Callable[[str, str, str], None]  # recording id, stage, event ("start" | "done" | "skip")


def configure_offline_environment(settings: Settings) -> None:
    """Telemetry off and hubs unreachable by configuration, before any third-party import reads them."""
    defaults = {
        "PYANNOTE_METRICS_ENABLED": "0",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_DATASETS_OFFLINE": "1",
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_HOME": str(settings.prefect_home),
        "PREFECT_LOGGING_LEVEL": "CRITICAL",  # failures reach the operator as one line from the CLI
        "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "false",
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
        "TOKENIZERS_PARALLELISM": "false",
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    os.environ["PYANNOTE_METRICS_ENABLED"] = "0"  # never on, whatever the caller's environment says


@dataclass
class RunContext:
    settings: Settings
    progress: ProgressHook | None = None
    _store: ObjectStore | None = None
    _repo: ManifestRepo | None = None
    _models: ModelRegistry | None = None
    _index: ClipIndex | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stopping: set[str] = field(default_factory=set)

    @property
    def store(self) -> ObjectStore:
        with self._lock:
            if self._store is None:
                self._store = make_object_store(self.settings)
            return self._store

    @property
    def repo(self) -> ManifestRepo:
        if self._repo is None:
            self._repo = ManifestRepo(self.store)
        return self._repo

    @property
    def models(self) -> ModelRegistry:
        with self._lock:
            if self._models is None:
                self._models = ModelRegistry(self.settings)
            return self._models

    @property
    def index(self) -> ClipIndex:
        """The clip index, opened on first use (the embedded one locks its folder until ``release_index``)."""
        with self._lock:
            if self._index is None:
                self._index = open_index(self.settings)
            return self._index

    def release_index(self) -> None:
        """Close the index so that another process may open the embedded one; the next use reopens it."""
        with self._lock:
            if self._index is not None:
                self._index.close()
                self._index = None

    def original_path(self, recording_id: str) -> Path:
        """The recording's original file on disk: in place in a local store, else downloaded once to its work folder."""
        manifest = self.repo.load(recording_id)
        local = self.store.local_path(manifest.original_key)
        if local is not None:
            return local
        dest = self.work_dir(recording_id) / Path(manifest.original_key).name
        if not dest.exists():
            self.store.download(manifest.original_key, dest)
        return dest

    def work_dir(self, recording_id: str) -> Path:
        path = self.settings.home / "work" / recording_id
        path.mkdir(parents=True, exist_ok=True)
        return path

    def request_stop(self, recording_id: str) -> None:
        """The stages still running for this recording stop at their next check (``steps.stop_check``)."""
        with self._lock:
            self._stopping.add(recording_id)

    def clear_stop(self, recording_id: str) -> None:
        with self._lock:
            self._stopping.discard(recording_id)

    def stop_requested(self, recording_id: str) -> bool:
        with self._lock:
            return recording_id in self._stopping

    def notify(self, recording_id: str, stage: str, event: str) -> None:
        if self.progress is not None:
            self.progress(recording_id, stage, event)

    def close(self) -> None:
        self.release_index()


_CONTEXTS: dict[str, RunContext] = {}
_CONTEXTS_LOCK = threading.Lock()


def context_for(settings: Settings) -> RunContext:
    """The process-wide RunContext of these settings (tasks receive settings, not clients)."""
    key = settings.model_dump_json()
    with _CONTEXTS_LOCK:
        if key not in _CONTEXTS:
            _CONTEXTS[key] = RunContext(settings)
        return _CONTEXTS[key]


def close_contexts() -> None:
    with _CONTEXTS_LOCK:
        for ctx in _CONTEXTS.values():
            ctx.close()
        _CONTEXTS.clear()
