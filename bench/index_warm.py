"""What warming the embedded index does for searches into parts of the library no search has met yet.

    .venv/bin/python -m bench.index_warm --home H --searches 100

``H``: a VIDLIB_HOME with a large embedded index (``bench.search_http --home H`` builds 100k clips). In a fresh
process, ``--searches`` clips drawn at random each get the search of their nearest clips (``ClipIndex.similar``,
50 hits with their payloads, as a student's query lands in one neighbourhood of the library); then
``ClipIndex.warm()`` reads every payload once (what ``vidlib serve`` does on start); then as many other clips get
the same search. Prints the warm-up's time and the p50 / p95 milliseconds of the searches before and after it.
``--control`` skips the warm-up: what the first searches alone change for the next ones.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from vidlib.pipelines.context import configure_offline_environment
from vidlib.settings import Settings
from vidlib.storage.index import ClipIndex, open_index


def _timed(index: ClipIndex, clip_ids: list[str]) -> list[float]:
    out = []
    for clip_id in clip_ids:
        t0 = time.perf_counter()
        index.similar(clip_id, {"state": "published"}, 50)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def _line(name: str, ms: list[float]) -> str:
    ms = sorted(ms)
    return f"{name}: p50 {statistics.median(ms):.2f} ms, p95 {ms[int(0.95 * (len(ms) - 1))]:.2f} ms ({len(ms)})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--searches", type=int, default=100)
    ap.add_argument("--control", action="store_true", help="no warm-up between the two series")
    a = ap.parse_args(argv)
    settings = Settings(home=a.home)
    configure_offline_environment(settings)
    index = open_index(settings)
    try:
        drawn = [h.clip_id for h in index.sample({"state": "published"}, 2 * a.searches)]
        before = _timed(index, drawn[: a.searches])
        t0 = time.perf_counter()
        read = 0 if a.control else index.warm()
        warm_s = time.perf_counter() - t0
        after = _timed(index, drawn[a.searches :])
    finally:
        index.close()
    print("control: no warm-up" if a.control else f"{read} payloads read by warm() in {warm_s:.1f} s")
    print(_line("searches before", before))
    print(_line("searches after", after))
    return 0


if __name__ == "__main__":
    sys.exit(main())
