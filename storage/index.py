"""The clip index: one small interface, two Qdrant backends.

Each clip is one point: a dense vector (multilingual-e5-small, cosine) and a BM25-style sparse vector (French terms,
IDF applied by Qdrant), plus a payload (state, job, sector, topic, ...). Point ids derive from clip ids, so
re-indexing upserts instead of duplicating.

- ``EdgeClipIndex`` (default, embedded): Qdrant's own Rust engine in-process (package ``qdrant-edge-py``), a folder
  under VIDLIB_HOME, HNSW + payload indexes, one writer process at a time (an inter-process lock).
- ``ClientClipIndex``: ``qdrant-client`` against a Qdrant server (``VIDLIB_QDRANT_URL``) for many processes and
  machines. Its local mode (a folder, pure-Python full scan) is kept for tests of the shared behaviour only.

``tests/test_index_backends.py`` runs the same behaviour tests on every backend.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np

from vidlib.errors import StorageError

if TYPE_CHECKING:
    from vidlib.settings import Settings

SearchMode = Literal["keyword", "semantic", "hybrid"]
Filters = Mapping[str, "str | tuple[str, ...] | None"]  # a tuple matches any of its values; None: no condition
DENSE = "dense"
SPARSE = "bm25"
PAYLOAD_INDEXES = (
    "recording_id",
    "clip_id",
    "state",
    "job",
    "sector",
    "topic",
    "styles",
    "language",
)  # keyword-indexed fields
DENSE_WEIGHT = 3.0  # weight of the dense list in hybrid fusion (weighted RRF, bench/eval_search.py)
RRF_K = 2  # Qdrant's default RRF constant


def prefetch_depth(limit: int, offset: int) -> int:
    """How many candidates each list of a hybrid query brings to the fusion."""
    return max(50, 4 * (limit + offset))


@dataclass(frozen=True)
class IndexedClip:
    clip_id: str
    dense: tuple[float, ...]
    sparse_indices: tuple[int, ...]
    sparse_values: tuple[float, ...]
    payload: dict[str, Any]


@dataclass(frozen=True)
class Hit:
    clip_id: str
    score: float
    payload: dict[str, Any]


class ClipIndex(Protocol):
    """What the pipeline, the API and the CLI need from the index."""

    def close(self) -> None: ...

    def ensure(self) -> None: ...

    def clear(self) -> None:
        """Delete every point (``vidlib reindex --from-scratch`` rebuilds from the manifests)."""

    def upsert(self, clips: Sequence[IndexedClip]) -> int: ...

    def delete_recording(self, recording_id: str, keep: set[str] | frozenset[str] = frozenset()) -> None:
        """Delete the recording's points, except those of the clip ids in ``keep``."""

    def count(self, recording_id: str | None = None) -> int: ...

    @property
    def revision(self) -> int | None:
        """A number that changes with every write, for callers that keep what they read; None when writes by
        other processes cannot be seen (a server): such callers keep what they read for a while only."""

    def search(
        self,
        mode: SearchMode,
        *,
        dense: np.ndarray | None,
        sparse: tuple[list[int], list[float]] | None,
        filters: Filters,
        limit: int = 10,
        offset: int = 0,
    ) -> list[Hit]: ...

    def get(self, clip_id: str) -> Hit | None:
        """The clip's payload, or None when it is not indexed."""

    def set_payload(self, clip_id: str, values: dict[str, Any]) -> bool:
        """Overwrite some payload fields of one clip; False if it is not indexed."""

    def set_state(self, clip_id: str, state: str) -> bool: ...

    def sample(self, filters: Filters, limit: int = 10, seed: int | None = None) -> list[Hit]:
        """Up to ``limit`` random clips matching ``filters``."""

    def similar(self, clip_id: str, filters: Filters, limit: int = 5) -> list[Hit]:
        """Clips nearest to ``clip_id`` by their dense vectors, the clip itself excluded."""

    def facet(self, key: str, filters: Filters, limit: int = 1000) -> dict[str, int]:
        """The values of an indexed payload field among the clips matching ``filters``, with their clip counts."""

    def warm(self) -> int:
        """Read every clip's payload once, so that later reads are fast (a server about to answer searches); how
        many were read."""


def open_index(settings: Settings) -> ClipIndex:
    """The index these settings name: a Qdrant server when ``qdrant_url`` is set, else the embedded engine."""
    if settings.qdrant_url:
        from vidlib.storage.index_client import ClientClipIndex

        return ClientClipIndex(
            url=settings.qdrant_url,
            collection=settings.qdrant_collection,
            api_key=settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None,
        )
    from vidlib.storage.index_edge import EdgeClipIndex

    settings.home.mkdir(parents=True, exist_ok=True)
    key = settings.index_path.resolve()
    with _SHARED_LOCK:  # one engine per folder and process; every caller in the process shares it
        entry = _SHARED.get(key)
        if entry is None:
            entry = _SHARED[key] = [EdgeClipIndex(key, lock_timeout_s=settings.index_lock_timeout_s), 0]
        entry[1] += 1
        return _SharedIndex(key, entry[0])


_SHARED: dict[Path, list[Any]] = {}  # folder -> [EdgeClipIndex, number of open handles]
_SHARED_LOCK = threading.Lock()


class _SharedIndex:
    """A handle on the process's embedded index: ``close()`` closes the engine (and frees the folder for other
    processes) when the last handle of the process is closed. Two contexts of one process never block
    each other on the folder's lock."""

    def __init__(self, key: Path, index: ClipIndex) -> None:
        self._key, self._index, self._closed = key, index, False

    def __getattr__(self, name: str) -> Any:
        if self._closed:
            raise StorageError("this handle on the embedded index is closed")
        return getattr(self._index, name)

    def close(self) -> None:
        with _SHARED_LOCK:
            if self._closed:
                return
            self._closed = True
            entry = _SHARED[self._key]
            entry[1] -= 1
            if entry[1] == 0:
                del _SHARED[self._key]
                entry[0].close()
