"""The same behaviour tests on every index backend (storage/index.py).

- ``edge``: the embedded default, Qdrant's Rust engine in-process (qdrant-edge-py).
- ``client-local``: qdrant-client in local mode, the code path of the server backend less the network.
- ``client-server``: qdrant-client against a real Qdrant server, where ``VIDLIB_TEST_QDRANT_URL`` names one
  (none can be installed on the development machine: skipped there, with the reason).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from vidlib.errors import StorageError
from vidlib.storage.index import ClipIndex, IndexedClip
from vidlib.storage.index_client import ClientClipIndex
from vidlib.storage.index_edge import EdgeClipIndex
from vidlib.text import sparse_terms

SERVER_URL = os.environ.get("VIDLIB_TEST_QDRANT_URL")
BACKENDS = [
    "edge",
    "client-local",
    pytest.param(
        "client-server",
        marks=pytest.mark.skipif(
            not SERVER_URL, reason="no Qdrant server: set VIDLIB_TEST_QDRANT_URL to run these against one"
        ),
    ),
]

TEXTS = {
    "nurse-night": (
        "La nuit, l'infirmière surveille les patients et gère les urgences à l'hôpital.",
        "infirmier",
        "santé",
    ),
    "nurse-hard": (
        "Le plus difficile dans ce métier d'infirmière, c'est la fatigue des gardes de nuit.",
        "infirmier",
        "santé",
    ),
    "dev-code": (
        "Le développeur écrit du code, fait des revues et corrige les bugs de l'application.",
        "développeur",
        "numérique",
    ),
    "dev-study": (
        "Pour devenir développeur web, j'ai fait un BTS puis une licence en informatique.",
        "développeur",
        "numérique",
    ),
    "lawyer-court": ("L'avocate plaide au tribunal et prépare les dossiers de ses clients.", "avocat", "droit"),
    "lawyer-pay": ("Le salaire d'une avocate débutante dépend beaucoup du cabinet.", "avocat", "droit"),
}


def _vector(key: str) -> np.ndarray:
    """A fixed unit vector per topic family, plus a little per-clip noise: families are each other's neighbours."""
    family = np.random.default_rng(sum(map(ord, key.split("-")[0]))).normal(size=384)
    noise = np.random.default_rng(sum(map(ord, key))).normal(size=384) * 0.3
    v = family + noise
    return v / np.linalg.norm(v)


def _clip(key: str, recording: str = "rec-a", state: str = "published") -> IndexedClip:
    text, job, sector = TEXTS[key]
    idx, vals = sparse_terms(text)
    return IndexedClip(
        clip_id=key,
        dense=tuple(_vector(key)),
        sparse_indices=tuple(idx),
        sparse_values=tuple(vals),
        payload={"recording_id": recording, "state": state, "job": job, "sector": sector, "title": text[:40]},
    )


def _open(kind: str, folder: Path) -> ClipIndex:
    if kind == "edge":
        return EdgeClipIndex(folder / "edge", lock_timeout_s=1.0)
    if kind == "client-local":
        return ClientClipIndex(path=str(folder / "local"), collection="clips")
    return ClientClipIndex(url=SERVER_URL, collection=f"test-{uuid.uuid4().hex[:8]}")


@pytest.fixture(params=BACKENDS)
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ClipIndex]:
    idx = _open(request.param, tmp_path)
    idx.ensure()
    yield idx
    if request.param == "client-server":
        idx.clear()
    idx.close()


def _library(index: ClipIndex) -> None:
    index.upsert(
        [
            _clip("nurse-night"),
            _clip("nurse-hard"),
            _clip("dev-code", "rec-b"),
            _clip("dev-study", "rec-b", state="pending"),
            _clip("lawyer-court", "rec-c"),
            _clip("lawyer-pay", "rec-c", state="rejected"),
        ]
    )


def _ids(hits: list) -> list[str]:
    return [h.clip_id for h in hits]


def test_upsert_is_idempotent_and_counts_per_recording(index: ClipIndex) -> None:
    _library(index)
    _library(index)
    assert index.count() == 6
    assert index.count("rec-a") == 2 and index.count("rec-b") == 2 and index.count("nope") == 0


def test_keyword_search_stems_french_and_filters(index: ClipIndex) -> None:
    _library(index)
    published = {"state": "published"}
    hits = index.search("keyword", dense=None, sparse=sparse_terms("infirmières de nuit"), filters=published)
    assert _ids(hits)[:2] == ["nurse-night", "nurse-hard"] or _ids(hits)[:2] == ["nurse-hard", "nurse-night"]
    assert all(h.payload["state"] == "published" for h in hits)
    # "développeurs" (plural) finds the published developer clip only; the pending one never shows
    assert _ids(index.search("keyword", dense=None, sparse=sparse_terms("développeurs"), filters=published)) == [
        "dev-code"
    ]
    assert index.search("keyword", dense=None, sparse=sparse_terms("le la les"), filters=published) == []


def test_semantic_and_hybrid_search_rank_by_meaning_and_respect_filters(index: ClipIndex) -> None:
    _library(index)
    published = {"state": "published"}
    query = _vector("nurse-night")
    semantic = index.search("semantic", dense=query, sparse=None, filters=published, limit=3)
    assert _ids(semantic)[0] == "nurse-night" and _ids(semantic)[1] == "nurse-hard"
    assert semantic[0].score > semantic[-1].score
    hybrid = index.search(
        "hybrid", dense=_vector("lawyer-court"), sparse=sparse_terms("salaire avocate"), filters=published
    )
    assert "lawyer-pay" not in _ids(hybrid)  # rejected
    assert _ids(hybrid)[0] == "lawyer-court"
    job = index.search("semantic", dense=query, sparse=None, filters={**published, "job": "développeur"})
    assert _ids(job) == ["dev-code"]
    everything = index.search("hybrid", dense=query, sparse=sparse_terms("nuit"), filters={}, limit=10)
    assert set(_ids(everything)) == set(TEXTS)
    page2 = index.search("semantic", dense=query, sparse=None, filters={}, limit=2, offset=2)
    assert _ids(page2) == _ids(index.search("semantic", dense=query, sparse=None, filters={}, limit=4))[2:]


def test_the_revision_changes_with_every_write_or_is_unknown(index: ClipIndex) -> None:
    if isinstance(index, ClientClipIndex):  # a server is written to by other processes, unseen from here
        assert index.revision is None
        return
    seen = [index.revision]
    _library(index)
    seen.append(index.revision)
    index.search("keyword", dense=None, sparse=sparse_terms("nuit"), filters={})
    index.facet("job", {})
    assert index.revision == seen[-1]  # reads leave it alone
    index.set_state("dev-study", "published")
    seen.append(index.revision)
    index.delete_recording("rec-c")
    seen.append(index.revision)
    index.clear()
    seen.append(index.revision)
    assert len(set(seen)) == len(seen)


def test_an_embedded_index_opened_again_never_repeats_a_revision(tmp_path: Path) -> None:
    first = _open("edge", tmp_path)
    seen = {first.revision}
    _library(first)
    seen.add(first.revision)
    first.close()
    second = _open("edge", tmp_path)  # another process may have written to the folder in between
    try:
        assert second.revision not in seen
        second.set_state("dev-study", "published")
        assert second.revision not in seen
    finally:
        second.close()


def test_warming_reads_every_payload_and_changes_nothing(index: ClipIndex) -> None:
    _library(index)
    revision = index.revision
    before = index.search("keyword", dense=None, sparse=sparse_terms("nuit"), filters={})
    read = index.warm()
    assert read == (0 if isinstance(index, ClientClipIndex) else index.count())  # a server warms its own storage
    assert index.revision == revision
    assert index.search("keyword", dense=None, sparse=sparse_terms("nuit"), filters={}) == before


def test_warming_a_closed_embedded_index_stops_quietly(tmp_path: Path) -> None:
    index = _open("edge", tmp_path)
    _library(index)
    index.close()
    assert isinstance(index, EdgeClipIndex) and index.warm() == 0


def test_delete_recording_keeps_the_named_clips(index: ClipIndex) -> None:
    _library(index)
    index.delete_recording("rec-a", keep={"nurse-hard"})
    assert index.count("rec-a") == 1 and index.get("nurse-night") is None and index.get("nurse-hard") is not None
    index.delete_recording("rec-b")
    assert index.count("rec-b") == 0 and index.count() == 3
    index.delete_recording("never-indexed")
    assert index.count() == 3


def test_payload_updates_reach_search_at_once(index: ClipIndex) -> None:
    _library(index)
    assert index.get("missing") is None and index.set_state("missing", "published") is False
    hit = index.get("dev-study")
    assert hit is not None and hit.payload["state"] == "pending" and hit.payload["job"] == "développeur"
    published = {"state": "published"}
    assert "dev-study" not in _ids(index.search("semantic", dense=_vector("dev-study"), sparse=None, filters=published))
    assert index.set_state("dev-study", "published") is True
    assert _ids(index.search("semantic", dense=_vector("dev-study"), sparse=None, filters=published))[0] == "dev-study"
    assert index.set_payload("dev-study", {"title": "Études"}) and index.get("dev-study").payload["title"] == "Études"
    assert index.get("dev-study").payload["job"] == "développeur"  # other fields kept


def test_search_shows_each_clip_as_it_is_after_every_write(index: ClipIndex) -> None:
    """The embedded index keeps the payloads its searches read: every write must show at once in the next search."""
    _library(index)
    dense, published = _vector("nurse-night"), {"state": "published"}

    def found() -> dict[str, dict]:
        hits = index.search("hybrid", dense=dense, sparse=sparse_terms("nuit"), filters=published, limit=10)
        return {h.clip_id: h.payload for h in hits}

    first = found()
    assert first["nurse-night"]["title"] == TEXTS["nurse-night"][0][:40]
    first["nurse-night"]["title"] = "changed by a caller"  # a caller's copy, not the index's
    assert found()["nurse-night"]["title"] == TEXTS["nurse-night"][0][:40]
    assert index.set_payload("nurse-night", {"title": "La nuit à l'hôpital"})
    assert found()["nurse-night"]["title"] == "La nuit à l'hôpital"
    assert index.set_state("nurse-hard", "rejected") and "nurse-hard" not in found()
    index.upsert([_clip("nurse-night")])  # a re-run writes the clip again
    assert found()["nurse-night"]["title"] == TEXTS["nurse-night"][0][:40]
    assert index.similar("nurse-hard", published, limit=3)[0].payload["title"] == TEXTS["nurse-night"][0][:40]
    index.delete_recording("rec-a")
    assert "nurse-night" not in found() and index.similar("dev-code", published, limit=5) != []
    index.clear()
    assert found() == {}


def test_sample_and_similar(index: ClipIndex) -> None:
    _library(index)
    published = {"state": "published"}
    drawn = index.sample(published, limit=10)
    assert sorted(_ids(drawn)) == ["dev-code", "lawyer-court", "nurse-hard", "nurse-night"]
    assert len(index.sample(published, limit=2)) == 2
    assert _ids(index.sample(published, limit=3, seed=7)) == _ids(index.sample(published, limit=3, seed=7))
    assert index.sample({"state": "published", "job": "nobody"}, limit=5) == []
    similar = index.similar("nurse-night", published, limit=3)
    assert "nurse-night" not in _ids(similar) and _ids(similar)[0] == "nurse-hard"
    assert all(h.payload["state"] == "published" for h in similar)
    assert index.similar("missing", published) == []


def test_facets_count_values_and_a_tuple_filter_matches_any_of_its_values(index: ClipIndex) -> None:
    _library(index)
    assert index.facet("job", {"state": "published"}) == {"infirmier": 2, "développeur": 1, "avocat": 1}
    assert index.facet("job", {"state": ("pending", "rejected")}) == {"développeur": 1, "avocat": 1}
    assert index.facet("sector", {"state": "published", "job": ("avocat", "infirmier")}) == {"santé": 2, "droit": 1}
    dense = _vector("nurse-night")
    hits = index.search("semantic", dense=dense, sparse=None, filters={"clip_id": ("dev-code", "lawyer-court")})
    assert sorted(_ids(hits)) == ["dev-code", "lawyer-court"]


def test_clear_empties_the_index(index: ClipIndex) -> None:
    _library(index)
    index.clear()
    assert index.count() == 0 and index.get("nurse-night") is None
    index.upsert([_clip("nurse-night")])
    assert index.count() == 1


@pytest.mark.parametrize("kind", ["edge", "client-local"])
def test_points_survive_a_reopen(kind: str, tmp_path: Path) -> None:
    first = _open(kind, tmp_path)
    _library(first)
    first.set_state("dev-study", "published")
    first.close()
    again = _open(kind, tmp_path)
    try:
        assert again.count() == 6 and again.get("dev-study").payload["state"] == "published"
    finally:
        again.close()


def test_both_backends_fuse_hybrid_results_alike(tmp_path: Path) -> None:
    """The embedded engine and qdrant-client rank the same hybrid query the same way (weighted RRF, dense x3)."""
    rankings = []
    for kind in ("edge", "client-local"):
        idx = _open(kind, tmp_path)
        _library(idx)
        rankings.append(
            [
                _ids(idx.search("hybrid", dense=_vector(key), sparse=sparse_terms(text), filters={}))
                for key, (text, _, _) in TEXTS.items()
            ]
        )
        idx.close()
    assert rankings[0] == rankings[1]


def test_the_embedded_index_admits_one_process_at_a_time(tmp_path: Path) -> None:
    holder = EdgeClipIndex(tmp_path / "edge")
    holder.upsert([_clip("nurse-night")])
    with pytest.raises(StorageError, match="in use by another process"):
        EdgeClipIndex(tmp_path / "edge", lock_timeout_s=0.5)
    script = (
        "import sys; from vidlib.storage.index_edge import EdgeClipIndex; from vidlib.errors import StorageError\n"
        "try:\n    EdgeClipIndex(sys.argv[1], lock_timeout_s=0.5)\nexcept StorageError as e:\n"
        "    print('refused', e); sys.exit(3)\n"
    )
    other = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "edge")],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        timeout=120,
    )
    assert other.returncode == 3 and "VIDLIB_QDRANT_URL" in other.stdout
    holder.close()
    later = EdgeClipIndex(tmp_path / "edge", lock_timeout_s=0.5)  # free again once closed
    assert later.count() == 1
    later.close()


def test_contexts_of_one_process_share_the_embedded_index(tmp_path: Path) -> None:
    """Two RunContexts (or the API and a flow) of one process never wait on each other for the folder."""
    from vidlib.settings import Settings
    from vidlib.storage.index import open_index

    settings = Settings(home=tmp_path / "home", index_lock_timeout_s=0.5)
    first, second = open_index(settings), open_index(settings)
    first.upsert([_clip("nurse-night")])
    assert second.count() == 1
    first.close()
    assert second.get("nurse-night") is not None  # still open for the other holder
    with pytest.raises(StorageError, match="closed"):
        first.count()
    with pytest.raises(StorageError, match="in use by another process"):
        EdgeClipIndex(settings.index_path, lock_timeout_s=0.5)  # a third, separate engine is still refused
    second.close()
    again = EdgeClipIndex(settings.index_path, lock_timeout_s=0.5)  # free once the last holder closed
    assert again.count() == 1
    again.close()
