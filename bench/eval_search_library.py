"""Search quality on a library the pipeline really built: recall, MRR and honest "no answer", per query type and mode.

    .venv/bin/python -m bench.eval_search_library --home H \\
        --set ../shared/data/calls ../shared/data/calls/queries.json bench/queries_paraphrase.json \\
        --set ../shared/data/calls_long ../shared/data/calls_long/queries_dev_long.json bench/queries_long_own.json

``H`` is a VIDLIB_HOME where the calls of each set were ingested and processed (``vidlib ingest`` + ``vidlib
process``, as ../shared/tools/eval_calls.py does); clips are searched whatever their review state. Each set is
searched as a library of its own calls only (a filter on their recordings), as eval_calls.py does, through the
product's search (``search_api.search.find``). A hit answers a query when it belongs to a relevant recording and
overlaps the relevant span by at least half of the shorter of the two (eval_calls.py's rule). Negative queries are
answered well when nothing comes back. Each set's jobs are also asked of the other sets' libraries
("combien gagne ..." with another set's job: nothing should come back).

``--floors`` prints the grid the relevance floor was chosen on: for each floor, hybrid recall@5 of the answerable
queries and the share of negatives answered with nothing; ``--gaps`` and ``--margins`` the same for the cut below
the best hit and for the off-topic margin (search_api/search.py); ``--topic-boosts`` the boost of the clips labelled
with the career topic the query asks about, with recall@1 too.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

from vidlib.pipelines.context import configure_offline_environment, context_for
from vidlib.search_api.search import RankParams, find
from vidlib.settings import Settings

MODES = ("keyword", "semantic", "hybrid")


def recordings(ctx: Any, folder: Path) -> dict[str, str]:
    """Source file stem -> recording id, for the calls of ``folder`` processed in this home."""
    stems = {p.stem for p in folder.glob("*.mp4")}
    out = {}
    for rid in ctx.repo.list_ids():
        manifest = ctx.repo.load(rid)
        stem = Path(manifest.source_name).stem
        if stem in stems:
            out[stem] = rid
    return out


def overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def rank_of(hits: list[Any], relevant: list[dict[str, Any]], rid_of: dict[str, str]) -> int | None:
    for i, h in enumerate(hits, 1):
        p = h.payload
        for r in relevant:
            if p["recording_id"] == rid_of.get(r["recording_id"]) and overlap(
                p["start"], p["end"], r["start"], r["end"]
            ) >= 0.5 * min(p["end"] - p["start"], r["end"] - r["start"]):
                return i
    return None


def queries_of(files: list[Path], rid_of: dict[str, str]) -> list[dict[str, Any]]:
    out = []
    for path in files:
        for q in json.loads(path.read_text(encoding="utf-8"))["queries"]:
            relevant = [r for r in q["relevant"] if r["recording_id"] in rid_of]
            if q["type"] == "negative" or relevant:
                out.append({**q, "relevant": relevant, "source": path.name})
    return out


def other_job_queries(sets: list[tuple[Path, dict[str, str]]], ctx: Any, here: int) -> list[dict[str, Any]]:
    """Negatives: the jobs of the other sets' calls, asked of this set's library."""
    out = []
    for i, (_, rid_of) in enumerate(sets):
        if i == here:
            continue
        for rid in rid_of.values():
            job = ctx.repo.load(rid).consent.recording.job
            out.append({"id": f"other-{rid[-6:]}", "type": "negative_other_job", "query": f"combien gagne {job}"})
            out.append({"id": f"other2-{rid[-6:]}", "type": "negative_other_job", "query": f"devenir {job}"})
    return out


def evaluate(
    ctx: Any,
    queries: list[dict[str, Any]],
    rid_of: dict[str, str],
    mode: str,
    params: RankParams,
    verbose: bool = False,
) -> dict:
    per: dict[str, list[Any]] = defaultdict(list)
    scope = {"recording_id": tuple(rid_of.values())}
    for q in queries:
        found = find(ctx, q["query"], mode=mode, limit=5, filters=scope, include_unpublished=True, params=params)
        if q["type"].startswith("negative"):
            per[q["type"]].append(not found.hits)
            continue
        # what the student page lists (it asks for 20)
        listed = find(ctx, q["query"], mode=mode, limit=20, filters=scope, include_unpublished=True, params=params)
        per["listed"].append(len(listed.hits))
        # the annotated answers (relevance 2) that the list holds
        answers = [r for r in q["relevant"] if r.get("relevance", 2) == 2]
        per["answers_listed"].append(sum(rank_of(listed.hits, [r], rid_of) is not None for r in answers))
        per["answers"].append(len(answers))
        rank = rank_of(found.hits, q["relevant"], rid_of)
        if verbose and rank != 1:
            said = f"{found.understanding.rewritten!r} ({found.topic})"
            print(f"  [{mode}] {q['type']} rank {rank}: {q['query']!r} -> {said}")
            for h in found.hits[:3]:
                p = h.payload
                print(f"      {h.score:.3f} {p['topic']:14} {p['start']:.0f}-{p['end']:.0f} {p['title'][:70]}")
        per[q["type"]].append(rank)
        per["all"].append(rank)
    return per


def summary(values: list[Any], negative: bool) -> str:
    if negative:
        return f"{sum(values)}/{len(values)} empty"
    n = len(values)
    r1 = sum(1 for r in values if r == 1) / n
    r5 = sum(1 for r in values if r) / n
    mrr = sum(1 / r for r in values if r) / n
    return f"{r1:.2f} / {r5:.2f} / {mrr:.2f} (n={n})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--set", nargs="+", action="append", required=True, metavar="FOLDER [QUERIES ...]")
    ap.add_argument("--floors", type=float, nargs="*", default=[])
    ap.add_argument("--gaps", type=float, nargs="*", default=[], help="grid of cuts below the best hit's similarity")
    ap.add_argument(
        "--margins", type=float, nargs="*", default=[], help="grid of off-topic margins (1 or more: no such check)"
    )
    ap.add_argument(
        "--topic-boosts", type=float, nargs="*", default=[], help="grid of boosts of the query's career topic"
    )
    ap.add_argument("--modes", nargs="+", default=list(MODES))
    ap.add_argument("--as-typed", action="store_true", help="no query understanding (the comparison row)")
    ap.add_argument("--floor", type=float, help="the relevance floor (default: the product's)")
    ap.add_argument("--dense-weight", type=float, help="the dense list's weight in the fusion (default: the product's)")
    ap.add_argument("--verbose", action="store_true", help="print each query not answered first, with its top hits")
    a = ap.parse_args(argv)
    settings = Settings(home=a.home)
    configure_offline_environment(settings)
    ctx = context_for(settings)
    sets = []
    for folder, *files in a.set:
        rid_of = recordings(ctx, Path(folder))
        sets.append((Path(folder), rid_of, [Path(f) for f in files]))
    if not all(s[1] for s in sets):
        print("a set has no processed call in this home", file=sys.stderr)
        return 2
    params = RankParams(understand_query=not a.as_typed)
    if a.floor is not None:
        params = replace(params, floor=a.floor)
    if a.dense_weight is not None:
        params = replace(params, dense_weight=a.dense_weight)
    by_set = []
    for i, (folder, rid_of, files) in enumerate(sets):
        queries = queries_of(files, rid_of) + other_job_queries([(f, r) for f, r, _ in sets], ctx, i)
        by_set.append((folder, rid_of, queries))
        print(f"\n{folder.name}: {len(rid_of)} calls, {len(queries)} queries")
        print("| type | " + " | ".join(f"{m} R@1 / R@5 / MRR" for m in a.modes) + " |")
        print("|---|" + "---|" * len(a.modes))
        results = {m: evaluate(ctx, queries, rid_of, m, params, a.verbose) for m in a.modes}
        for kind in sorted({k for r in results.values() for k in r} - {"listed", "answers_listed", "answers"}):
            cells = [summary(results[m][kind], kind.startswith("negative")) for m in a.modes]
            print(f"| {kind} | " + " | ".join(cells) + " |")
        cells = [f"{sum(results[m]['listed']) / max(1, len(results[m]['listed'])):.1f}" for m in a.modes]
        print("| clips listed per answerable query (limit 20) | " + " | ".join(cells) + " |")
    grids = [("relevance floor", replace(params, floor=f), f"{f:.3f}") for f in a.floors]
    grids += [("gap below the best hit", replace(params, gap=g), f"{g:.3f}") for g in a.gaps]
    grids += [("off-topic margin", replace(params, off_topic_margin=m), f"{m:.3f}") for m in a.margins]
    grids += [("topic boost", replace(params, topic_boost=b), f"{b:.2f}") for b in a.topic_boosts]
    for name in dict.fromkeys(n for n, _, _ in grids):
        print(
            f"\nhybrid, by {name}: R@1 and R@5 answerable, paraphrase R@5, MRR, negatives empty, other-job negatives "
            "empty, "
            "clips listed per answerable query, annotated answers (relevance 2) in the list"
        )
        for _, tried, label in (g for g in grids if g[0] == name):
            totals: dict[str, list[Any]] = defaultdict(list)
            for _, rid_of, queries in by_set:
                for kind, values in evaluate(ctx, queries, rid_of, "hybrid", tried).items():
                    totals[kind] += values
            r1 = sum(1 for r in totals["all"] if r == 1) / len(totals["all"])
            r5 = sum(1 for r in totals["all"] if r) / len(totals["all"])
            mrr = sum(1 / r for r in totals["all"] if r) / len(totals["all"])
            para = totals.get("paraphrase", [])
            neg, other = totals.get("negative", []), totals.get("negative_other_job", [])
            print(
                f"  {label}: R@1 {r1:.3f}, R@5 {r5:.3f} (n={len(totals['all'])}), paraphrase "
                f"{sum(1 for r in para if r) / max(1, len(para)):.3f}, MRR {mrr:.3f}, negatives {sum(neg)}/{len(neg)}, "
                f"other jobs {sum(other)}/{len(other)}, listed {sum(totals['listed']) / len(totals['listed']):.1f}, "
                f"answers listed {sum(totals['answers_listed'])}/{sum(totals['answers'])}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
