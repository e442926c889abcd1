"""Search for students and moderators: keyword (French BM25-style sparse), semantic (e5 dense) or hybrid.

One ranking for the API, the pages and the command line:

1. the query is read (``search_api.query``): the jobs it names, the sectors it points at, its colloquial words
   rewritten in standard French;
2. a query that names only jobs no clip of the library holds has **no answer**: nothing is returned, and the
   library's jobs of the same sector are offered instead;
3. candidates come from the dense list (the rewritten query embedded with e5) and the sparse list (the words of
   the query and of its rewriting), ``depth`` each;
4. semantic and hybrid keep only candidates whose cosine similarity to the query reaches the **relevance floor**
   and comes within ``gap`` of the best candidate's (a sparse-only candidate's similarity is looked up too), so a
   query unlike every clip gets nothing and a query like one clip does not list the whole library; a query that
   names no job of the library and points at no sector, and is nearer an **everyday question about no job**
   (``data/everyday_fr.json``: a recipe, the weather, games) than any clip by ``off_topic_margin`` keeps none either;
   hybrid also keeps a clip that says every word of the query; a greeting clip (hello, goodbye: near every query
   in meaning) is kept only when it says every word of the query;
5. the lists are fused by weighted reciprocal rank (dense x6, as measured in docs/benchmarks.md), and the clips
   of a job the query names, then of a sector it points at, are lifted above the others.

The parameters, and the data they were chosen on, are in docs/benchmarks.md (``python -m bench.eval_search``).
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np

from vidlib.pipelines.context import RunContext
from vidlib.pipelines.stages.topics import GREETING, OTHER, TopicClassifier
from vidlib.search_api.query import (
    Lexicon,
    LibraryJob,
    Understanding,
    jobs_named,
    library_jobs,
    load_lexicon,
    matches,
    understand,
)
from vidlib.storage.index import RRF_K, Filters, Hit, SearchMode
from vidlib.text import sparse_terms, term_set, words

K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True)
class RankParams:
    floor: float = 0.81  # least cosine similarity (e5) of a semantic or hybrid hit to the query
    gap: float | None = 0.04  # ... and at most this far below the best one's (not a greeting's); None: no such cut
    # a query naming no job of the library and no sector, nearer an everyday question about no job than any clip by more
    # than this, keeps no hit by meaning (docs/benchmarks.md); None: no such check
    off_topic_margin: float | None = 0.04
    depth: int = 50  # candidates taken from each list
    dense_weight: float = 6.0  # the dense list's weight in the fusion (the sparse list's is 1): docs/benchmarks.md
    rrf_k: int = RRF_K
    job_boost: float = 1.0  # added to the fused score of a clip of a job the query names
    sector_boost: float = 0.25  # ... of a clip whose job is in a sector the query points at
    topic_boost: float = 0.75  # ... of a clip labelled with the career topic the query asks about: docs/benchmarks.md
    greeting_penalty: float = 0.5  # taken from a greeting clip (topic "accueil"): hello and goodbye answer nothing
    understand_query: bool = True  # False: the query as typed, no job gate, no boosts (for comparison)


@dataclass(frozen=True)
class NoAnswer:
    asked: tuple[str, ...]  # the jobs the query names that no clip holds
    related: tuple[str, ...]  # the library's jobs in the same sectors


@dataclass(frozen=True)
class Found:
    hits: list[Hit]  # score: the fused score, boosts included
    understanding: Understanding
    no_answer: NoAnswer | None = None
    jobs: tuple[str, ...] = field(default=())  # the library's jobs the query names
    topic: str = OTHER  # the career topic the query asks about ("autre": none stood out)
    off_topic: bool = False  # nearer an everyday question about no job than any clip (only its own words find clips)


def find(
    ctx: RunContext,
    query: str,
    *,
    mode: SearchMode = "hybrid",
    limit: int = 10,
    offset: int = 0,
    filters: Filters | None = None,
    include_unpublished: bool = False,
    params: RankParams = RankParams(),
    lexicon: Lexicon | None = None,
) -> Found:
    """Published clips only unless ``include_unpublished`` (moderators); any indexed payload field can filter."""
    # the shipped lexicon's reading of a query is kept for the last queries (``understand`` without a lexicon)
    understood = understand(query, lexicon) if params.understand_query else Understanding(query, query, (), ())
    lexicon = lexicon or load_lexicon()
    base: Filters = {**(filters or {}), "state": None if include_unpublished else "published"}
    library = _library(_jobs(ctx, base), lexicon)
    named = [job for job in library if matches(job, understood)]
    depth = max(params.depth, offset + limit)
    sparse = sparse_terms(" ".join(dict.fromkeys(words(query) + words(understood.rewritten))))
    sparse_hits = ctx.index.search("keyword", dense=None, sparse=sparse, filters=base, limit=depth)
    # a job no clip holds: no answer, unless a clip itself names that job
    if understood.jobs and not named and not _naming(understood, sparse_hits, lexicon):
        return Found([], understood, _no_answer(understood, library, lexicon))
    dense, topic, off_topic = None, OTHER, False
    if mode != "keyword":
        dense, topic = _read(ctx, understood.rewritten)
        topic = topic if params.understand_query and params.topic_boost else OTHER
    dense_hits = (
        [] if dense is None else ctx.index.search("semantic", dense=dense, sparse=None, filters=base, limit=depth)
    )
    lists: list[tuple[list[Hit], float]] = []
    if mode != "semantic":
        lists.append((sparse_hits, 1.0))
    if dense is not None:
        lists.append((dense_hits, params.dense_weight))
    scores: dict[str, float] = {}
    payloads: dict[str, Hit] = {}
    for hits, weight in lists:
        for rank, hit in enumerate(hits, 1):
            scores[hit.clip_id] = scores.get(hit.clip_id, 0.0) + weight / (params.rrf_k + rank)
            payloads.setdefault(hit.clip_id, hit)
    if dense is not None:
        similarity = _similarities(ctx, dense, dense_hits, [h for h in sparse_hits if h.clip_id in scores], base)
        best = _best(similarity, payloads)
        floor = _floor(params, best)
        off_topic = not named and not understood.sectors and _off_topic(ctx, dense, best, params)
        if off_topic:
            floor = math.inf  # only a clip saying every word of the query stays (hybrid)
            topic = OTHER  # nor is it about a career topic
        top_sparse = [h for h in sparse_hits[: 2 * (offset + limit)] if similarity.get(h.clip_id, -1.0) < floor]
        kept = _saying_every_word(query, top_sparse) if mode == "hybrid" else set()
        scores = {c: s for c, s in scores.items() if similarity.get(c, -1.0) >= floor or c in kept}
    # a greeting (hello, goodbye) is near every query in meaning and answers none: only its own words find it
    greetings = [payloads[c] for c in scores if payloads[c].payload.get("topic") == GREETING]
    said = _saying_every_word(query, greetings)
    scores = {c: s for c, s in scores.items() if payloads[c].payload.get("topic") != GREETING or c in said}
    named_titles = {job.title for job in named}
    sectors = set(understood.sectors)
    sector_of = {job.title: job.sectors for job in library}
    for cid in scores:
        job_title = str(payloads[cid].payload.get("job", ""))
        if job_title in named_titles:
            scores[cid] += params.job_boost
        elif sector_of.get(job_title, frozenset()) & sectors:
            scores[cid] += params.sector_boost
        if topic != OTHER and payloads[cid].payload.get("topic") == topic:
            scores[cid] += params.topic_boost
        if payloads[cid].payload.get("topic") == GREETING:
            scores[cid] -= params.greeting_penalty
    ranked = sorted(scores, key=lambda cid: (-scores[cid], cid))[offset : offset + limit]
    hits = [Hit(cid, round(scores[cid], 4), payloads[cid].payload) for cid in ranked]
    return Found(hits, understood, None, tuple(sorted(named_titles)), topic, off_topic)


class _Kept(Generic[K, V]):
    """The values of the last ``size`` keys used (thread-safe: the API searches on several threads), each for at
    most ``ttl_s`` seconds."""

    def __init__(self, size: int, ttl_s: float = math.inf) -> None:
        self._size, self._ttl_s = size, ttl_s
        self._items: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            held = self._items.get(key)
            if held is None or time.monotonic() - held[0] >= self._ttl_s:
                return None
            self._items.move_to_end(key)
            return held[1]

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = (time.monotonic(), value)
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


JOBS_TTL_S = 30.0  # how long the library's list of jobs is reused when the index cannot say it was written to
RECENT_QUERIES = 512  # the vectors and topics of the last queries, kept: a query asked again is not embedded again
_JobsKey = tuple[int, int | None, tuple[tuple[str, object], ...]]
_JOBS: _Kept[_JobsKey, dict[str, int]] = _Kept(64, JOBS_TTL_S)
_JOBS_AT_REVISION: _Kept[_JobsKey, dict[str, int]] = _Kept(64)
_LIBRARIES: _Kept[tuple[int, tuple[tuple[str, int], ...]], list[LibraryJob]] = _Kept(16)
_RECENT: _Kept[tuple[int, str], tuple[np.ndarray, str]] = _Kept(RECENT_QUERIES)
_CLASSIFIERS: dict[int, tuple[object, TopicClassifier]] = {}
_SAID: _Kept[tuple[int, str], tuple[str, ...]] = _Kept(4096)
EVERYDAY = Path(__file__).parent / "data" / "everyday_fr.json"
_EVERYDAY: dict[int, tuple[object, np.ndarray]] = {}


def _jobs(ctx: RunContext, base: Filters) -> dict[str, int]:
    """The library's jobs (with their clip counts) under ``base``. Counting them scans the index (about 40 ms at
    100k clips, holding the interpreter's lock), so the count is reused until the next write to the embedded index,
    and for ``JOBS_TTL_S`` on a server, which other processes write to unseen (there a job published since is named,
    and gated, up to that much later)."""
    revision = ctx.index.revision
    key = (id(ctx.index), revision, tuple(sorted(base.items(), key=lambda item: item[0])))
    kept = _JOBS if revision is None else _JOBS_AT_REVISION
    jobs = kept.get(key)
    if jobs is None:
        jobs = ctx.index.facet("job", base)
        kept.put(key, jobs)
    return jobs


def _library(jobs: dict[str, int], lexicon: Lexicon) -> list[LibraryJob]:
    """The library's jobs read with the lexicon, kept while the library's jobs and their counts stay the same."""
    key = (id(lexicon), tuple(sorted(jobs.items())))
    read = _LIBRARIES.get(key)
    if read is None:
        read = library_jobs(jobs.items(), {}, lexicon)
        _LIBRARIES.put(key, read)
    return read


def _read(ctx: RunContext, text: str) -> tuple[np.ndarray, str]:
    """The query's dense vector and its career topic (the taxonomy, from its question examples), or "autre"."""
    embedder = ctx.models.query_embedder()
    key = (id(embedder), text)
    held = _RECENT.get(key)
    if held is not None:
        return held
    dense = embedder.embed_queries([text])[0]
    classifier = _per_model(_CLASSIFIERS, embedder, lambda: TopicClassifier(embedder.embed_queries))
    topic = classifier.classify_questions(np.asarray([dense]))[0].topic
    _RECENT.put(key, (dense, topic))
    return dense, topic


def _per_model(kept: dict[int, tuple[object, V]], embedder: object, build: Callable[[], V]) -> V:
    """What ``build`` makes from a loaded query model (its examples embedded), made once per model: keyed by the
    model's id, and made again when another model took that id."""
    held = kept.get(id(embedder))
    if held is None or held[0] is not embedder:
        held = kept[id(embedder)] = (embedder, build())
    return held[1]


def _similarities(
    ctx: RunContext, dense: np.ndarray, dense_hits: list[Hit], sparse_hits: list[Hit], base: Filters
) -> dict[str, float]:
    """Each candidate's cosine similarity to the query: the dense list's own scores, and one restricted dense query
    for the sparse list's candidates it does not hold."""
    similarity = {h.clip_id: h.score for h in dense_hits}
    missing = tuple(h.clip_id for h in sparse_hits if h.clip_id not in similarity)
    if missing:
        restricted: Filters = {**base, "clip_id": missing}
        for hit in ctx.index.search("semantic", dense=dense, sparse=None, filters=restricted, limit=len(missing)):
            similarity[hit.clip_id] = hit.score
    return similarity


def _off_topic(ctx: RunContext, dense: np.ndarray, best: float | None, params: RankParams) -> bool:
    """Whether the query is nearer an everyday question about no job than the best candidate (``_best``) by more
    than ``off_topic_margin``: both as e5 query-to-passage similarities, the questions embedded once per model."""
    if params.off_topic_margin is None or best is None:  # greetings only: they answer what they say (below)
        return False
    embedder = ctx.models.query_embedder()
    everyday = _per_model(
        _EVERYDAY,
        embedder,
        lambda: embedder.embed_passages(json.loads(EVERYDAY.read_text(encoding="utf-8"))["questions"]),
    )
    return float(np.max(everyday @ dense)) - best > params.off_topic_margin


def _floor(params: RankParams, best: float | None) -> float:
    """The least similarity a hit needs: the floor, or ``gap`` below the best candidate (``_best``)."""
    if params.gap is None or best is None:
        return params.floor
    return max(params.floor, best - params.gap)


def _best(similarity: dict[str, float], payloads: dict[str, Hit]) -> float | None:
    """The best candidate's similarity to the query, greetings aside (they are near every query); None: none."""
    return max((v for c, v in similarity.items() if payloads[c].payload.get("topic") != GREETING), default=None)


def _saying_every_word(query: str, hits: list[Hit]) -> set[str]:
    """The clips whose title and text hold every term of the query (French stems): a student's own words, said in
    the clip, are kept in hybrid whatever the floor."""
    terms = term_set(query)  # asked twice per hybrid query (the sparse hits, the greetings): analysed once
    if not terms:
        return set()
    return {h.clip_id for h in hits if terms <= term_set(_said(h))}


def _naming(understood: Understanding, hits: list[Hit], lexicon: Lexicon) -> bool:
    """Whether a clip's title or text names a job the query names (a moderator's title may name a job the
    recording's professional does not hold)."""
    return any(set(understood.jobs) & set(_jobs_said(h, lexicon)) for h in hits)


def _jobs_said(hit: Hit, lexicon: Lexicon) -> tuple[str, ...]:
    """The jobs a clip's title and text name (kept for the clips read most recently: reading a long text with the
    lexicon takes a few tenths of a millisecond, and a query that names a job reads up to ``depth`` clips)."""
    key = (id(lexicon), _said(hit))
    named = _SAID.get(key)
    if named is None:
        named = jobs_named(key[1], lexicon)
        _SAID.put(key, named)
    return named


def _said(hit: Hit) -> str:
    """A clip's title and text, as the words it says."""
    return f"{hit.payload.get('title', '')} {hit.payload.get('text', '')}"


def _no_answer(understood: Understanding, library: list[LibraryJob], lexicon: Lexicon) -> NoAnswer:
    asked = tuple(lexicon.job(key).name for key in understood.jobs)
    sectors = {lexicon.job(key).sector for key in understood.jobs}
    related = sorted((job for job in library if job.sectors & sectors), key=lambda job: -job.count)
    return NoAnswer(asked, tuple(job.title for job in related))


@dataclass(frozen=True)
class SearchHit:
    clip_id: str
    recording_id: str
    start: float
    end: float
    title: str
    score: float
    topic: str
    job: str
    state: str


def close_to(ctx: RunContext, found: Found, filters: Filters, limit: int) -> list[Hit]:
    """When nothing answers: the clips nearest the query in meaning (no floor, no greetings), for a "what is
    close" shelf; the topic it asks about first."""
    dense, _ = _read(ctx, found.understanding.rewritten)
    hits = ctx.index.search("semantic", dense=dense, sparse=None, filters=filters, limit=4 * limit)
    hits = [h for h in hits if h.payload.get("topic") != GREETING]
    hits.sort(key=lambda h: (h.payload.get("topic") != found.topic, -h.score))
    return hits[:limit]


def search_hits(found: Found) -> list[SearchHit]:
    """``find``'s hits as plain records (the command line and its --json)."""
    return [
        SearchHit(
            h.clip_id,
            h.payload["recording_id"],
            h.payload["start"],
            h.payload["end"],
            h.payload["title"],
            h.score,
            h.payload.get("topic", ""),
            h.payload.get("job", ""),
            h.payload.get("state", ""),
        )
        for h in found.hits
    ]


def search_clips(
    ctx: RunContext,
    query: str,
    *,
    mode: SearchMode = "hybrid",
    limit: int = 10,
    include_unpublished: bool = False,
    params: RankParams = RankParams(),
) -> list[SearchHit]:
    """The hits of ``find`` for a query, as plain records."""
    return search_hits(find(ctx, query, mode=mode, limit=limit, include_unpublished=include_unpublished, params=params))
