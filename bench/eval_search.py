"""Search benchmark: retrieval quality on the French calls' topic segments, hybrid fusions, and latency.

    .venv/bin/python -m bench.eval_search                          # quality + latency at 1k, 10k and 100k clips
    .venv/bin/python -m bench.eval_search --backend client-local --sizes 1000,10000   # qdrant-client local mode
    .venv/bin/python -m bench.eval_search --no-latency
    .venv/bin/python -m bench.eval_search --no-latency --queries-file ../shared/data/calls/queries.json \
        bench/queries_paraphrase.json                              # + 14 more paraphrase queries (16 in all)

Quality: every ground-truth topic segment of ../shared/data/calls/{rec04_dev_web,rec06_avocate}.json becomes one
published clip (bench/search_corpus.py: title = the opening question or the first sentence, never the ground-truth
title) in a fresh embedded ClipIndex; every query of queries.json runs through ``ClipIndex.search`` in keyword,
semantic and hybrid modes with the API's filter (state=published), limit 10. Relevance >= 1 counts.
R@k is capped recall (relevant found in the top k / min(k, number relevant)), so R@1 = 1 means a relevant top hit
even for the two-answer queries; MRR = 1 / rank of the first relevant (0 beyond 10). Negative queries have no
answer: they get the mean top score and a gate (see ``gate``).
Fusions are recomputed client-side from the two prefetch lists (depth 50, as ``ClipIndex.search``): ``rrf`` is
Qdrant's RRF (k=2, as in qdrant-client's local mode and the server); ``wrrf-dN`` weights the dense list N times
with Qdrant's weighted-RRF formula 1/(rank/w + k - 1), i.e. what ``RrfQuery(rrf=Rrf(k=2, weights=[N, 1]))`` does;
``dbsf`` is Qdrant's distribution-based score fusion; ``cos+wS`` is dense cosine + w * sparse score / the query's
best sparse score.
Latency: synthetic clips (random unit vectors, sparse terms drawn from the corpus vocabulary, 30 jobs, 90%
published) upserted in batches of 1000 into an embedded index (--backend), which is then closed and reopened as a
worker or the API would; each row is one query loop over the real queries' vectors, bounded by --queries calls and
--seconds seconds; query embedding time is reported on its own row. Rows filter state=published as the API does,
except "semantic, no filter"; "semantic + job filter" adds job=job_07 (about 3% of the clips); "discover" is the
random sample behind GET /discover.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from bench.common import DATA
from bench.search_corpus import index_truth_clips, synthetic_clips, truth_clips, vocabulary
from vidlib.models.paths import E5_DIR
from vidlib.models.text_embedder import TextEmbedder
from vidlib.settings import Settings
from vidlib.storage.index import ClipIndex
from vidlib.storage.index_client import ClientClipIndex
from vidlib.storage.index_edge import EdgeClipIndex
from vidlib.text import sparse_terms

TYPES = ("keyword", "paraphrase", "cross_recording", "cross_lingual")
PUBLISHED = {"state": "published"}
DEPTH, RRF_K = 50, 2
Ranked = list[tuple[str, float]]  # (segment id, score), best first


def rrf(lists: Sequence[Ranked], weights: Sequence[float]) -> Ranked:
    scores: dict[str, float] = {}
    for ranked, w in zip(lists, weights):
        for pos, (seg, _) in enumerate(ranked):
            scores[seg] = scores.get(seg, 0.0) + 1.0 / ((pos + 1.0) / w + RRF_K - 1.0)
    return sorted(scores.items(), key=lambda kv: -kv[1])


def dbsf(lists: Sequence[Ranked]) -> Ranked:
    scores: dict[str, float] = {}
    for ranked in lists:
        vals = np.array([s for _, s in ranked])
        if not len(vals):
            continue
        lo, hi = vals.mean() - 3 * vals.std(), vals.mean() + 3 * vals.std()
        for seg, s in ranked:
            scores[seg] = scores.get(seg, 0.0) + (0.5 if hi == lo else (s - lo) / (hi - lo))
    return sorted(scores.items(), key=lambda kv: -kv[1])


def cos_plus_sparse(dense: Ranked, sparse: Ranked, w: float) -> Ranked:
    best = max((s for _, s in sparse), default=0.0) or 1.0
    scores = {seg: s for seg, s in dense}
    for seg, s in sparse:
        scores[seg] = scores.get(seg, 0.0) + w * s / best
    return sorted(scores.items(), key=lambda kv: -kv[1])


FUSIONS: dict[str, Callable[[Ranked, Ranked], Ranked]] = {
    "dense only": lambda d, s: d,
    "sparse only": lambda d, s: s,
    "rrf (plain)": lambda d, s: rrf([d, s], [1, 1]),
    "wrrf-d2": lambda d, s: rrf([d, s], [2, 1]),
    "wrrf-d3": lambda d, s: rrf([d, s], [3, 1]),
    "dbsf": lambda d, s: dbsf([d, s]),
    **{f"cos+{w:g}S": (lambda d, s, w=w: cos_plus_sparse(d, s, w)) for w in (0.05, 0.1, 0.2, 0.3)},
}


def tie(ranked: Ranked) -> str:
    return "tie" if len(ranked) > 1 and abs(ranked[0][1] - ranked[1][1]) < 1e-9 else ""


def metrics(ranked: Ranked, relevant: set[str]) -> tuple[float, float, float]:
    ids = [seg for seg, _ in ranked[:10]]
    cap = lambda k: len(relevant & set(ids[:k])) / min(k, len(relevant))  # noqa: E731
    first = next((i for i, seg in enumerate(ids) if seg in relevant), None)
    return cap(1), cap(5), 0.0 if first is None else 1.0 / (first + 1)


def gate(top: dict[str, float], correct_top: set[str], negatives: Sequence[str]) -> tuple[float, float, float]:
    """Threshold = the lowest top score among answerable queries whose top hit is relevant (in-sample: no right
    answer is ever hidden); returns (threshold, share of negatives below it, share of answerable queries below it)."""
    answerable = [q for q in top if q not in negatives]
    t = min((top[q] for q in correct_top), default=float("nan"))
    below = lambda qs: sum(top[q] < t for q in qs) / max(1, len(qs))  # noqa: E731
    return t, below(negatives), below(answerable)


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    fmt = lambda v: f"{v:.3f}" if isinstance(v, float) else str(v)  # noqa: E731
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(fmt(v) for v in row) + " |" for row in rows])


def quality(index: ClipIndex, queries: list[dict], qdense: np.ndarray) -> None:
    seg = lambda hits: [(h.payload["segment_id"], h.score) for h in hits]  # noqa: E731
    ranked: dict[str, dict[str, Ranked]] = {}
    for q, vec in zip(queries, qdense):
        sparse = sparse_terms(q["query"])
        modes = {
            m: seg(index.search(m, dense=vec, sparse=sparse, filters=PUBLISHED, limit=10))
            for m in ("keyword", "semantic", "hybrid")
        }
        d = seg(index.search("semantic", dense=vec, sparse=None, filters=PUBLISHED, limit=DEPTH))
        s = seg(index.search("keyword", dense=None, sparse=sparse, filters=PUBLISHED, limit=DEPTH))
        fused = {name: f(d, s) for name, f in FUSIONS.items()}
        if [x for x, _ in fused["wrrf-d3"][:10]] != [x for x, _ in modes["hybrid"]]:  # ClipIndex's fusion
            print(f"warning: client-side weighted RRF differs from ClipIndex hybrid on {q['id']}", file=sys.stderr)
        ranked[q["id"]] = {**modes, **fused}
    rel = {q["id"]: {r["segment_id"] for r in q["relevant"] if r["relevance"] >= 1} for q in queries}
    negatives = [q["id"] for q in queries if not rel[q["id"]]]
    by_type = {t: [q["id"] for q in queries if q["type"] == t] for t in TYPES}
    by_type["all answerable"] = [q["id"] for q in queries if rel[q["id"]]]

    def mean_metrics(variant: str, ids: list[str]) -> list[float]:
        if not ids:
            return [0.0] * 3
        return [float(x) for x in np.mean([metrics(ranked[q][variant], rel[q]) for q in ids], axis=0)]

    print("\n## Retrieval quality by mode (ClipIndex.search, filter state=published)\n")
    rows = [
        [t, len(ids), *sum((mean_metrics(m, ids) for m in ("keyword", "semantic", "hybrid")), [])]
        for t, ids in by_type.items()
    ]
    print(table(["type", "n", *[f"{m} {k}" for m in ("kw", "sem", "hyb") for k in ("R@1", "R@5", "MRR")]], rows))

    print("\n## Negative queries: top score, and a gate on it (threshold calibrated in-sample, see gate())\n")
    rows = []
    for variant in ("keyword", "semantic", "hybrid", *FUSIONS):
        top = {q: (ranked[q][variant][0][1] if ranked[q][variant] else 0.0) for q in ranked}
        correct = {q for q in by_type["all answerable"] if ranked[q][variant] and ranked[q][variant][0][0] in rel[q]}
        t, neg_rate, false_rate = gate(top, correct, negatives)
        rows.append(
            [
                variant,
                float(np.mean([top[q] for q in negatives])),
                float(np.mean([top[q] for q in by_type["all answerable"]])),
                t,
                neg_rate,
                false_rate,
            ]
        )
    print(
        table(
            [
                "ranking",
                "mean top score, negatives",
                "mean top score, answerable",
                "threshold",
                "negatives below",
                "answerable below",
            ],
            rows,
        )
    )

    print(f"\n## Hybrid fusions, client-side from the two prefetch lists (depth {DEPTH})\n")
    rows = [
        [name, *mean_metrics(name, by_type["all answerable"]), *[mean_metrics(name, by_type[t])[2] for t in TYPES]]
        for name in FUSIONS
    ]
    print(table(["fusion", "R@1", "R@5", "MRR", *[f"MRR {t}" for t in TYPES]], rows))

    print("\n## Rank of the first relevant segment per query (- = not in the top 10)\n")
    shown = ("keyword", "semantic", "hybrid", "wrrf-d3", "dbsf", "cos+0.1S")
    rank = lambda r, q: next((str(i + 1) for i, (s, _) in enumerate(r[:10]) if s in rel[q]), "-")  # noqa: E731
    rows = [
        [
            q["id"],
            q["type"],
            q["query"][:48],
            *[rank(ranked[q["id"]][v], q["id"]) for v in shown],
            ranked[q["id"]]["hybrid"][0][0] if ranked[q["id"]]["hybrid"] else "",
            tie(ranked[q["id"]]["rrf (plain)"]),
        ]
        for q in queries
    ]
    print(table(["id", "type", "query", *shown, "hybrid top-1", "RRF top-2 tie"], rows))


def time_loop(call: Callable[[int], object], max_calls: int, max_s: float) -> tuple[float, float, float, int]:
    for i in range(3):
        call(i)
    lat, t0 = [], time.perf_counter()
    while len(lat) < max_calls and time.perf_counter() - t0 < max_s:
        t = time.perf_counter()
        call(len(lat))
        lat.append(time.perf_counter() - t)
    total = time.perf_counter() - t0
    return float(np.percentile(lat, 50) * 1e3), float(np.percentile(lat, 95) * 1e3), len(lat) / total, len(lat)


def open_index(backend: str, folder: Path) -> ClipIndex:
    if backend == "edge":
        return EdgeClipIndex(folder)
    return ClientClipIndex(path=str(folder), collection="clips")


def latency(size: int, vocab, qdense: np.ndarray, qsparse: list, args, workdir: Path) -> list[list[object]]:
    folder = workdir / f"syn{size}"
    index = open_index(args.backend, folder)
    t0, built = time.perf_counter(), 0
    for batch in synthetic_clips(size, vocab, seed=size):
        built += index.upsert(batch)
        if time.perf_counter() - t0 > args.build_seconds:
            break
    index.close()  # the edge backend optimises (HNSW) on close; reopening is what a worker or the API does
    build_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    index = open_index(args.backend, folder)
    open_s = time.perf_counter() - t1
    load0 = os.getloadavg()[0]
    nq = len(qdense)
    cases = {
        "keyword": ("keyword", PUBLISHED),
        "semantic": ("semantic", PUBLISHED),
        "hybrid": ("hybrid", PUBLISHED),
        "semantic + job filter": ("semantic", {**PUBLISHED, "job": "job_07"}),
        "semantic, no filter": ("semantic", {}),
    }
    calls: dict[str, Callable[[int], object]] = {
        label: (
            lambda i, mode=mode, flt=flt: index.search(
                mode, dense=qdense[i % nq], sparse=qsparse[i % nq], filters=flt, limit=10
            )
        )
        for label, (mode, flt) in cases.items()
    }
    calls["discover (random sample)"] = lambda i: index.sample(PUBLISHED, 10)
    rows = []
    for label, call in calls.items():
        p50, p95, qps, n = time_loop(call, args.queries, args.seconds)
        rows.append([built, label, p50, p95, qps, n])
    index.close()
    load1 = os.getloadavg()[0]
    print(
        f"- {built} clips upserted and optimised in {build_s:.1f} s ({built / build_s:.0f}/s); reopened in "
        f"{open_s * 1e3:.0f} ms; 1-min load average "
        f"{load0:.2f} before the queries, {load1:.2f} after",
        flush=True,
    )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--calls",
        nargs="+",
        type=Path,
        default=[DATA / "calls" / "rec04_dev_web.json", DATA / "calls" / "rec06_avocate.json"],
    )
    parser.add_argument(
        "--queries-file",
        nargs="+",
        type=Path,
        default=[DATA / "calls" / "queries.json"],
        help="one or more files in queries.json's format, e.g. add bench/queries_paraphrase.json",
    )
    parser.add_argument(
        "--backend",
        choices=("edge", "client-local"),
        default="edge",
        help="edge: the embedded default (qdrant-edge-py); client-local: qdrant-client's local mode",
    )
    parser.add_argument("--sizes", default="1000,10000,100000", help="synthetic index sizes, comma-separated")
    parser.add_argument("--queries", type=int, default=200, help="max timed calls per latency row")
    parser.add_argument("--seconds", type=float, default=20.0, help="max seconds per latency row")
    parser.add_argument("--build-seconds", type=float, default=900.0, help="max seconds to upsert one synthetic index")
    parser.add_argument("--no-latency", action="store_true")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    print(f"$ {shlex.join([os.path.relpath(sys.executable, Path.cwd()), *sys.argv])}\n")
    print(f"load average at start: {', '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores\n")

    queries = [q for path in args.queries_file for q in json.loads(path.read_text(encoding="utf-8"))["queries"]]
    clips = truth_clips(args.calls)
    embedder = TextEmbedder(Settings().resolved_models_dir / E5_DIR, threads=2)
    with tempfile.TemporaryDirectory(prefix="vidlib-eval-search-") as tmp:
        index = open_index(args.backend, Path(tmp) / "truth")
        index.upsert(index_truth_clips(clips, embedder.embed_passages))
        qdense = embedder.embed_queries([q["query"] for q in queries])
        print(f"{index.count()} clips from {len(args.calls)} recordings; {len(queries)} queries")
        quality(index, queries, qdense)
        index.close()
        if args.no_latency:
            return 0

        name = {"edge": "qdrant-edge-py, in-process", "client-local": "qdrant-client local mode"}[args.backend]
        print(f"\n## Search latency, embedded index ({name}), limit 10\n")
        qsparse = [sparse_terms(q["query"]) for q in queries]
        vocab = vocabulary(clips)
        print(
            f"- vocabulary: {len(vocab)} stems; {len(queries)} real query vectors cycled; "
            f"each row <= {args.queries} calls and <= {args.seconds:g} s after 3 warm-up calls"
        )
        p50, p95, qps, n = time_loop(
            lambda i: embedder.embed_queries([queries[i % len(queries)]["query"]]), min(args.queries, 50), args.seconds
        )
        rows = [["-", "e5 query embedding (2 threads)", p50, p95, qps, n]]
        sizes = [int(s) for s in args.sizes.split(",") if s]
        for size in sizes:
            rows += latency(size, vocab, qdense, qsparse, args, Path(tmp))
        print()
        print(table(["clips", "query", "p50 ms", "p95 ms", "queries/s", "calls"], rows))
    print(
        f"\nload average at end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}; "
        f"total {time.perf_counter() - started:.0f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
