"""The clip index on a Qdrant server through ``qdrant-client`` (``VIDLIB_QDRANT_URL``), see storage/index.py.

Given a folder instead of a URL it runs qdrant-client's local mode (a pure-Python full scan, slow past a few
thousand clips): the shared backend tests use it where no server is reachable.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import numpy as np

from vidlib.errors import StorageError
from vidlib.ids import point_id_for
from vidlib.storage.index import (
    DENSE,
    DENSE_WEIGHT,
    PAYLOAD_INDEXES,
    RRF_K,
    SPARSE,
    Filters,
    Hit,
    IndexedClip,
    SearchMode,
    prefetch_depth,
)


class ClientClipIndex:
    """The ClipIndex interface over qdrant-client: a server by URL, or local mode in a folder."""

    def __init__(
        self,
        *,
        path: str | None = None,
        url: str | None = None,
        api_key: str | None = None,
        collection: str = "clips",
        dim: int = 384,
    ) -> None:
        from qdrant_client import QdrantClient

        try:
            self.client = QdrantClient(url=url, api_key=api_key) if url else QdrantClient(path=path)
        except (RuntimeError, OSError, ValueError) as exc:
            raise StorageError(f"cannot open the Qdrant index ({url or path}): {exc}") from exc
        self.collection = collection
        self.dim = dim
        self._local = url is None

    def close(self) -> None:
        self.client.close()

    def ensure(self) -> None:
        from qdrant_client import models as qm

        have: set[str] = set()
        if self.client.collection_exists(self.collection):
            have = set(self.client.get_collection(self.collection).payload_schema)
        else:
            self.client.create_collection(
                self.collection,
                vectors_config={DENSE: qm.VectorParams(size=self.dim, distance=qm.Distance.COSINE)},
                sparse_vectors_config={SPARSE: qm.SparseVectorParams(modifier=qm.Modifier.IDF)},
            )
        if self._local:  # the embedded engine scans payloads; indexes only matter on a server
            return
        for field in PAYLOAD_INDEXES:  # a collection made before a field was added gets it too
            if field not in have:
                self.client.create_payload_index(self.collection, field, qm.PayloadSchemaType.KEYWORD)

    def clear(self) -> None:
        if self.client.collection_exists(self.collection):
            self.client.delete_collection(self.collection)

    def upsert(self, clips: Sequence[IndexedClip]) -> int:
        from qdrant_client import models as qm

        if not clips:
            return 0
        self.ensure()
        points = [
            qm.PointStruct(
                id=point_id_for(c.clip_id),
                vector={
                    DENSE: list(c.dense),
                    SPARSE: qm.SparseVector(indices=list(c.sparse_indices), values=list(c.sparse_values)),
                },
                payload={**c.payload, "clip_id": c.clip_id},
            )
            for c in clips
        ]
        self.client.upsert(self.collection, points=points, wait=True)
        return len(points)

    def delete_recording(self, recording_id: str, keep: set[str] | frozenset[str] = frozenset()) -> None:
        """Delete the recording's points, except those of the clip ids in ``keep``."""
        from qdrant_client import models as qm

        if not self.client.collection_exists(self.collection):
            return
        flt = self._filter({"recording_id": recording_id})
        if keep:
            flt.must_not = [qm.FieldCondition(key="clip_id", match=qm.MatchAny(any=sorted(keep)))]
        self.client.delete(self.collection, points_selector=qm.FilterSelector(filter=flt), wait=True)

    @property
    def revision(self) -> int | None:
        """None: other processes may write to a server, unseen from here."""
        return None

    def count(self, recording_id: str | None = None) -> int:
        if not self.client.collection_exists(self.collection):
            return 0
        flt = self._filter({"recording_id": recording_id}) if recording_id else None
        return self.client.count(self.collection, count_filter=flt, exact=True).count

    def search(
        self,
        mode: SearchMode,
        *,
        dense: np.ndarray | None,
        sparse: tuple[list[int], list[float]] | None,
        filters: Filters,
        limit: int = 10,
        offset: int = 0,
    ) -> list[Hit]:
        from qdrant_client import models as qm

        if not self.client.collection_exists(self.collection):
            return []
        flt = self._filter(filters)
        sparse_q = qm.SparseVector(indices=sparse[0], values=sparse[1]) if sparse else None
        if mode == "keyword":
            if sparse_q is None or not sparse_q.indices:
                return []
            res = self.client.query_points(
                self.collection,
                query=sparse_q,
                using=SPARSE,
                query_filter=flt,
                limit=limit,
                offset=offset,
                with_payload=True,
            )
        elif dense is None:
            raise ValueError(f"{mode} search needs the query's dense vector")
        elif mode == "semantic":
            res = self.client.query_points(
                self.collection,
                query=list(map(float, dense)),
                using=DENSE,
                query_filter=flt,
                limit=limit,
                offset=offset,
                with_payload=True,
            )
        else:
            depth = prefetch_depth(limit, offset)
            prefetch = [qm.Prefetch(query=list(map(float, dense)), using=DENSE, filter=flt, limit=depth)]
            if sparse_q is not None and sparse_q.indices:
                prefetch.append(qm.Prefetch(query=sparse_q, using=SPARSE, filter=flt, limit=depth))
            # weighted RRF, dense list x3: measured better than plain RRF (bench/eval_search.py, docs/benchmarks.md)
            fusion = (
                qm.RrfQuery(rrf=qm.Rrf(k=RRF_K, weights=[DENSE_WEIGHT, 1.0]))
                if len(prefetch) == 2
                else qm.FusionQuery(fusion=qm.Fusion.RRF)
            )
            res = self.client.query_points(
                self.collection,
                prefetch=prefetch,
                query=fusion,
                query_filter=flt,
                limit=limit,
                offset=offset,
                with_payload=True,
            )
        return [Hit(clip_id=str(_payload(p)["clip_id"]), score=float(p.score), payload=_payload(p)) for p in res.points]

    @staticmethod
    def _filter(filters: Filters) -> Any:
        from qdrant_client import models as qm

        must: list[Any] = [
            qm.FieldCondition(key=k, match=qm.MatchAny(any=list(v)) if isinstance(v, tuple) else qm.MatchValue(value=v))
            for k, v in filters.items()
            if v is not None
        ]
        return qm.Filter(must=must) if must else None

    def facet(self, key: str, filters: Filters, limit: int = 1000) -> dict[str, int]:
        if not self.client.collection_exists(self.collection):
            return {}
        response = self.client.facet(self.collection, key, facet_filter=self._filter(filters), limit=limit, exact=True)
        return {str(h.value): int(h.count) for h in response.hits}

    def warm(self) -> int:
        """Nothing to do here: the server keeps its own storage warm."""
        return 0

    # --- single clips (moderation and the search API) ---------------------------------------------
    def get(self, clip_id: str) -> Hit | None:
        """The clip's payload, or None when it is not indexed."""
        if not self.client.collection_exists(self.collection):
            return None
        points = self.client.retrieve(self.collection, ids=[point_id_for(clip_id)], with_payload=True)
        return Hit(clip_id=clip_id, score=1.0, payload=_payload(points[0])) if points else None

    def set_payload(self, clip_id: str, values: dict[str, Any]) -> bool:
        """Overwrite some payload fields of one clip (e.g. ``{"state": "published"}``); False if not indexed."""
        if self.get(clip_id) is None:
            return False
        self.client.set_payload(self.collection, payload=values, points=[point_id_for(clip_id)], wait=True)
        return True

    def set_state(self, clip_id: str, state: str) -> bool:
        return self.set_payload(clip_id, {"state": state})

    def sample(self, filters: Filters, limit: int = 10, seed: int | None = None) -> list[Hit]:
        """Up to ``limit`` random clips matching ``filters`` (a uniform sample of the matching points): Qdrant's own
        random sample, or with a ``seed`` (reproducible) every match read and drawn from."""
        from qdrant_client import models as qm

        if not self.client.collection_exists(self.collection):
            return []
        flt, offset = self._filter(filters), None
        if seed is None:
            found = self.client.query_points(
                self.collection,
                query=qm.SampleQuery(sample=qm.Sample.RANDOM),
                query_filter=flt,
                limit=limit,
                with_payload=True,
            ).points
            return [Hit(clip_id=str(_payload(p)["clip_id"]), score=1.0, payload=_payload(p)) for p in found]
        hits: list[Hit] = []
        while True:
            points, offset = self.client.scroll(
                self.collection, scroll_filter=flt, limit=256, offset=offset, with_payload=True, with_vectors=False
            )
            hits.extend(Hit(clip_id=str(_payload(p)["clip_id"]), score=1.0, payload=_payload(p)) for p in points)
            if offset is None:
                break
        return random.Random(seed).sample(hits, min(limit, len(hits)))

    def similar(self, clip_id: str, filters: Filters, limit: int = 5) -> list[Hit]:
        """Clips nearest to ``clip_id`` by their dense vectors, the clip itself excluded."""
        from qdrant_client import models as qm

        if self.get(clip_id) is None:
            return []
        flt = self._filter(filters) or qm.Filter()
        flt.must_not = [qm.HasIdCondition(has_id=[point_id_for(clip_id)])]
        res = self.client.query_points(
            self.collection, query=point_id_for(clip_id), using=DENSE, query_filter=flt, limit=limit, with_payload=True
        )
        return [Hit(clip_id=str(_payload(p)["clip_id"]), score=float(p.score), payload=_payload(p)) for p in res.points]


def _payload(point: Any) -> dict[str, Any]:
    """A point's payload (qdrant-client types it optional: points are always stored with one here)."""
    return dict(point.payload or {})
