"""The embedded clip index: Qdrant's Rust engine in-process (``qdrant-edge-py``), see storage/index.py.

One folder holds one shard (segments, write-ahead log, HNSW graphs, payload indexes). The engine lets one process
open it at a time; ``EdgeClipIndex`` takes an inter-process lock (``<folder>.lock``) and waits for it up to
``lock_timeout_s``, so two workers on one machine take turns for their short index writes. Many processes or
machines that write at once share a Qdrant server instead (``VIDLIB_QDRANT_URL``).

Fresh points land in an appendable segment searched by a plain scan; ``optimize()`` merges segments and builds the
HNSW graph of those past the engine's indexing threshold. It runs on ``close()`` when points were added, never per
upsert: measured on 100k synthetic clips (bench/eval_search.py, docs/benchmarks.md), optimising after every 1000 points
rebuilt
the graphs again and again (42k clips in 390 s), while one optimisation at the end took 62 s of upserts + 205 s; a
pipeline run that adds a few clips to an optimised shard closes in about 0.2 s.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vidlib import filelock
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

_REVISIONS = itertools.count()  # the revisions of every embedded index of this process
PAYLOADS_KEPT = 10_000  # payloads kept in memory by the last searches (about 3 kB each with a clip's text)


class EdgeClipIndex:
    """The ClipIndex interface over an in-process Qdrant shard in ``path``."""

    def __init__(self, path: Path | str, *, dim: int = 384, lock_timeout_s: float = 120.0) -> None:
        self.path = Path(path)
        self.dim = dim
        self._mutex = threading.RLock()
        self._lock_file: int | None = _acquire_lock(self.path.with_name(self.path.name + ".lock"), lock_timeout_s)
        self._pending = 0
        self._kept: OrderedDict[int, dict[str, Any]] = OrderedDict()  # point id (its integer) -> payload, read last
        self._revision = next(_REVISIONS)  # a new value at each write: every write goes through this object
        try:
            self.shard = self._open()
        except BaseException:
            _release_lock(self._lock_file)
            raise

    def _open(self) -> Any:
        import qdrant_edge as qe

        config = qe.EdgeConfig(
            vectors={DENSE: qe.EdgeVectorParams(size=self.dim, distance=qe.Distance.Cosine)},
            sparse_vectors={SPARSE: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
        )
        try:
            if self.path.is_dir() and any(self.path.iterdir()):
                shard = qe.EdgeShard.load(str(self.path))
            else:
                shard = qe.EdgeShard.create(str(self.path), config)
            have = shard.info().payload_schema
            for field in PAYLOAD_INDEXES:  # an index made before a field was added gets it too
                if field not in have:
                    shard.update(qe.UpdateOperation.create_field_index(field, qe.PayloadSchemaType.Keyword))
            return shard
        except Exception as exc:  # the engine raises plain Exception with its message
            raise StorageError(f"cannot open the embedded index in {self.path}: {exc}") from exc

    def close(self) -> None:
        with self._mutex:
            if self._lock_file is None:
                return
            try:
                if self._pending:
                    self.shard.optimize()
                self.shard.close()
            finally:
                _release_lock(self._lock_file)
                self._lock_file = None

    def ensure(self) -> None:
        """The shard exists from the constructor on."""

    def clear(self) -> None:
        import shutil

        with self._mutex:
            self._call(self.shard.close)
            shutil.rmtree(self.path)
            self._written()
            self.shard = self._open()
            self._pending = 0

    def upsert(self, clips: Sequence[IndexedClip]) -> int:
        import qdrant_edge as qe

        if not clips:
            return 0
        points = [
            qe.Point(
                point_id_for(c.clip_id),
                {
                    DENSE: [float(x) for x in c.dense],
                    SPARSE: qe.SparseVector([int(i) for i in c.sparse_indices], [float(v) for v in c.sparse_values]),
                },
                {**c.payload, "clip_id": c.clip_id},
            )
            for c in clips
        ]
        with self._mutex:
            self._update(qe.UpdateOperation.upsert_points(points))
            self._pending += len(points)
        return len(points)

    def optimize(self) -> None:
        """Build HNSW graphs and merge segments now (blocking)."""
        with self._mutex:
            self._call(self.shard.optimize)
            self._pending = 0

    def delete_recording(self, recording_id: str, keep: set[str] | frozenset[str] = frozenset()) -> None:
        import qdrant_edge as qe

        flt = qe.Filter(
            must=[_match("recording_id", recording_id)],
            must_not=[qe.FieldCondition(key="clip_id", match=qe.MatchAny(sorted(keep)))] if keep else None,
        )
        with self._mutex:
            self._update(qe.UpdateOperation.delete_points_by_filter(flt))
            self._call(self.shard.flush)

    @property
    def revision(self) -> int | None:
        """Changes at each write: this process is the folder's only writer while it holds the index. The values
        are drawn from one count for the whole process, so that an index opened again (after others wrote to the
        folder) never repeats a value an earlier one had."""
        return self._revision

    def count(self, recording_id: str | None = None) -> int:
        import qdrant_edge as qe

        flt = _filter({"recording_id": recording_id}) if recording_id else None
        with self._mutex:
            return int(self._call(self.shard.count, qe.CountRequest(exact=True, filter=flt)))

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
        import qdrant_edge as qe

        flt = _filter(filters)
        sparse_q = (
            qe.SparseVector([int(i) for i in sparse[0]], [float(v) for v in sparse[1]])
            if sparse and sparse[0]
            else None
        )
        dense_q = qe.Query.Nearest([float(x) for x in dense], using=DENSE) if dense is not None else None
        if mode == "keyword":
            if sparse_q is None:
                return []
            request = qe.QueryRequest(
                limit=limit,
                offset=offset,
                query=qe.Query.Nearest(sparse_q, using=SPARSE),
                filter=flt,
                with_payload=False,
                with_vector=False,
            )
        elif mode == "semantic":
            request = qe.QueryRequest(
                limit=limit, offset=offset, query=dense_q, filter=flt, with_payload=False, with_vector=False
            )
        else:
            depth = prefetch_depth(limit, offset)
            prefetch = [qe.Prefetch(limit=depth, query=dense_q, filter=flt)]
            if sparse_q is not None:
                prefetch.append(qe.Prefetch(limit=depth, query=qe.Query.Nearest(sparse_q, using=SPARSE), filter=flt))
            # the same weighted RRF as the server backend (dense list x3)
            fusion: Any = qe.Fusion.Rrf(k=RRF_K, weights=[DENSE_WEIGHT, 1.0][: len(prefetch)])  # a Fusion variant
            request = qe.QueryRequest(
                limit=limit,
                offset=offset,
                prefetches=prefetch,
                query=fusion,
                filter=flt,
                with_payload=False,
                with_vector=False,
            )
        with self._mutex:
            points = self._call(self.shard.query, request)
            return self._hits(points)

    def _hits(self, points: Sequence[Any]) -> list[Hit]:
        """The scored points as hits, their payloads read by id: on 100k clips a query that returns its 50 hits'
        payloads took about three times as long as the same query without them followed by one read by id. The
        payloads read last are kept (``PAYLOADS_KEPT``) until the next write. Callers hold ``_mutex``."""
        scored = [(p.id, p.score) for p in points]  # the engine makes a new UUID at each read of ``id``
        payloads = self._payloads([pid for pid, _ in scored])
        return [
            Hit(clip_id=payload["clip_id"], score=float(score), payload=payload)
            for (_, score), payload in zip(scored, payloads, strict=True)
            if payload is not None
        ]

    def _payloads(self, ids: Sequence[Any]) -> list[dict[str, Any] | None]:
        """A copy of each point's payload (None: no such point), in the order of ``ids``. The kept payloads are
        keyed by the ids' integers: a UUID's hash and equality are Python code, asked several times per hit."""
        kept = self._kept
        keys = [pid.int for pid in ids]
        missing = [pid for pid, key in zip(ids, keys, strict=True) if key not in kept]
        if missing:
            for record in self._call(self.shard.retrieve, missing, True, False):
                kept[record.id.int] = dict(record.payload)
        out: list[dict[str, Any] | None] = []
        for key in keys:
            payload = kept.get(key)
            if payload is not None:
                kept.move_to_end(key)
                payload = dict(payload)  # a copy: callers may change theirs
            out.append(payload)
        while len(kept) > PAYLOADS_KEPT:
            kept.popitem(last=False)
        return out

    def _update(self, operation: Any) -> None:
        """Every change of points goes through here (callers hold ``_mutex``)."""
        self._written()
        self._call(self.shard.update, operation)

    def _written(self) -> None:
        """After any write, ``clear()`` included: the payloads kept are forgotten and the revision moves on (callers
        hold ``_mutex``)."""
        self._kept.clear()
        self._revision = next(_REVISIONS)

    def get(self, clip_id: str) -> Hit | None:
        with self._mutex:
            records = self._call(self.shard.retrieve, [point_id_for(clip_id)], True, False)
        return Hit(clip_id=clip_id, score=1.0, payload=dict(records[0].payload)) if records else None

    def set_payload(self, clip_id: str, values: dict[str, Any]) -> bool:
        import qdrant_edge as qe

        with self._mutex:
            if self.get(clip_id) is None:
                return False
            self._update(qe.UpdateOperation.set_payload([point_id_for(clip_id)], dict(values)))
            return True

    def set_state(self, clip_id: str, state: str) -> bool:
        return self.set_payload(clip_id, {"state": state})

    def sample(self, filters: Filters, limit: int = 10, seed: int | None = None) -> list[Hit]:
        import qdrant_edge as qe

        flt = _filter(filters)
        with self._mutex:
            if seed is None:  # the engine's own random sample: no scan of the matching points
                points = self._call(
                    self.shard.query,
                    qe.QueryRequest(
                        limit=limit, query=qe.Sample.Random, filter=flt, with_payload=True, with_vector=False
                    ),
                )
                return [Hit(clip_id=p.payload["clip_id"], score=1.0, payload=dict(p.payload)) for p in points]
            hits: list[Hit] = []
            offset = None
            while True:  # a seeded sample must be reproducible: scroll all matches, then draw
                records, offset = self._call(
                    self.shard.scroll,
                    qe.ScrollRequest(offset=offset, limit=256, filter=flt, with_payload=True, with_vector=False),
                )
                hits.extend(Hit(clip_id=r.payload["clip_id"], score=1.0, payload=dict(r.payload)) for r in records)
                if offset is None:
                    break
        hits.sort(key=lambda h: h.clip_id)
        return random.Random(seed).sample(hits, min(limit, len(hits)))

    def similar(self, clip_id: str, filters: Filters, limit: int = 5) -> list[Hit]:
        import qdrant_edge as qe

        pid = point_id_for(clip_id)
        with self._mutex:
            records = self._call(self.shard.retrieve, [pid], False, [DENSE])
            if not records:
                return []
            vector = records[0].vector
            vector = vector[DENSE] if isinstance(vector, dict) else vector
            flt = _filter(filters) or qe.Filter()
            flt = qe.Filter(must=flt.must, must_not=[qe.HasIdCondition({pid})])
            points = self._call(
                self.shard.query,
                qe.QueryRequest(
                    limit=limit,
                    query=qe.Query.Nearest(list(vector), using=DENSE),
                    filter=flt,
                    with_payload=False,
                    with_vector=False,
                ),
            )
            return self._hits(points)

    def facet(self, key: str, filters: Filters, limit: int = 1000) -> dict[str, int]:
        import qdrant_edge as qe

        with self._mutex:
            response = self._call(
                self.shard.facet, qe.FacetRequest(key, limit=limit, exact=True, filter=_filter(filters))
            )
        return {str(h.value): int(h.count) for h in response.hits}

    def warm(self) -> int:
        """Every payload read once, 1000 at a time; between batches the lock is let go and the thread pauses a
        millisecond, so that searches waiting for the lock get it. The engine maps its payload storage into the
        process as it is first read: on 100k clips a search into a neighbourhood no search had met took p50
        4.3-4.5 ms before this pass and 1.6-1.8 ms after it, which took about 2 s (docs/benchmarks.md)."""
        import qdrant_edge as qe

        read, offset = 0, None
        while True:
            with self._mutex:
                if self._lock_file is None:  # closed (by its owner) before the pass ended: nothing left to warm
                    return read
                records, offset = self._call(
                    self.shard.scroll,
                    qe.ScrollRequest(offset=offset, limit=1000, with_payload=True, with_vector=False),
                )
            read += len(records)
            if offset is None:
                return read
            time.sleep(0.001)

    def _call(self, fn: Any, *args: Any) -> Any:
        if self._lock_file is None:
            raise StorageError("the embedded index is closed")
        try:
            return fn(*args)
        except Exception as exc:  # the engine raises plain Exception with its message
            raise StorageError(f"embedded index error: {exc}") from exc


def _match(key: str, value: str | tuple[str, ...]) -> Any:
    import qdrant_edge as qe

    match = qe.MatchAny(list(value)) if isinstance(value, tuple) else qe.MatchValue(value)
    return qe.FieldCondition(key=key, match=match)


def _filter(filters: Filters) -> Any:
    import qdrant_edge as qe

    must = [_match(k, v) for k, v in filters.items() if v is not None]
    return qe.Filter(must=must) if must else None


def _acquire_lock(path: Path, timeout_s: float) -> int:
    fd = filelock.acquire(path, timeout_s)
    if fd is None:
        raise StorageError(
            f"the embedded index {path.with_suffix('')} is in use by another process and stayed so for "
            f"{timeout_s:.0f} s; run one writer at a time, or share a Qdrant server (VIDLIB_QDRANT_URL)"
        )
    return fd


def _release_lock(fd: int | None) -> None:
    filelock.release(fd)
