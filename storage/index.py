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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np

if TYPE_CHECKING:
    from vidlib.settings import Settings

SearchMode = Literal["keyword", "semantic", "hybrid"]
Filters = dict[str, "str | None"]
DENSE = "dense"
SPARSE = "bm25"
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

    def search(self, mode: SearchMode, *, dense: np.ndarray | None, sparse: tuple[list[int], list[float]] | None,
               filters: Filters, limit: int = 10, offset: int = 0) -> list[Hit]: ...

    def get(self, clip_id: str) -> Hit | None:
        """The clip's payload, or None when it is not indexed."""

    def set_payload(self, clip_id: str, values: dict[str, Any]) -> bool:
        """Overwrite some payload fields of one clip; False if it is not indexed."""

    def set_state(self, clip_id: str, state: str) -> bool: ...

    def sample(self, filters: Filters, limit: int = 10, seed: int | None = None) -> list[Hit]:
        """Up to ``limit`` random clips matching ``filters``."""

    def similar(self, clip_id: str, filters: Filters, limit: int = 5) -> list[Hit]:
        """Clips nearest to ``clip_id`` by their dense vectors, the clip itself excluded."""


def open_index(settings: Settings) -> ClipIndex:
    """The index these settings name: a Qdrant server when ``qdrant_url`` is set, else the embedded engine."""
    if settings.qdrant_url:
        from storage.index_client import ClientClipIndex

        return ClientClipIndex(url=settings.qdrant_url, collection=settings.qdrant_collection,
                               api_key=settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None)
    from storage.index_edge import EdgeClipIndex

    settings.home.mkdir(parents=True, exist_ok=True)
    return EdgeClipIndex(settings.index_path, lock_timeout_s=settings.index_lock_timeout_s)
