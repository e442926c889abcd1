"""What one request costs ``vidlib serve`` in CPU: the server's own CPU seconds (all its threads, from /proc) over
requests sent one at a time, by kind of request.

    .venv/bin/python -m bench.search_cost --home H --requests 600

On the index of ``bench.search_http`` (``--home``: the one it built, reused; else built here). One client sends,
one request at a time on one kept-alive connection: a static file, ``/styles`` (a token checked, a small answer),
``/search`` with the bench queries again (their vectors kept by the server) and ``/search`` with a new query each
time (each bench query with a number appended: the server embeds it). Each kind runs twice, in turn. Printed per
kind: the server's CPU milliseconds per request, the wall milliseconds per request, and the share of the machine's
cores that 100 such requests per second would take. Linux only (/proc).
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.query_embedding import queries
from bench.search_http import library, serving, stdlib_requester
from vidlib.settings import Settings


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of process ``pid``, all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, default=100_000)
    ap.add_argument("--home", type=Path, help="the index bench.search_http built there (built now if absent)")
    ap.add_argument("--requests", type=int, default=600, help="requests per kind and pass")
    a = ap.parse_args(argv)
    texts = queries()
    fresh = itertools.count(int(time.time()) % 100_000)  # never the same number twice in a run
    with tempfile.TemporaryDirectory(prefix="vidlib-cost-") as scratch:
        home = library(a.home, a.clips, Path(scratch))
        with serving(home, Settings().resolved_models_dir, Path(scratch)) as (server, base, token):
            get = stdlib_requester(base, token)
            for text in texts:  # the server keeps the bench queries' vectors from here on
                get("/search", {"q": text, "mode": "hybrid", "limit": 10})
            kinds: dict[str, Callable[[int], None]] = {
                "static file": lambda n: get("/static/favicon.svg", None),
                "/styles": lambda n: get("/styles", None),
                "/search, a query asked before": lambda n: get(
                    "/search", {"q": texts[n % len(texts)], "mode": "hybrid", "limit": 10}
                ),
                "/search, a new query": lambda n: get(
                    "/search", {"q": f"{texts[n % len(texts)]} {next(fresh)}", "mode": "hybrid", "limit": 10}
                ),
            }
            cores = os.cpu_count() or 1
            print(f"{a.requests} requests per kind and pass, 1-min load average {os.getloadavg()[0]:.2f} before")
            print(f"| request | pass | server CPU ms | wall ms | 100 per second take (of {cores} cores) |")
            print("|---|---|---|---|---|")
            for run in (1, 2):
                for label, send in kinds.items():
                    cpu0, wall0 = cpu_seconds(server.pid), time.perf_counter()
                    for n in range(a.requests):
                        send(n)
                    cpu = (cpu_seconds(server.pid) - cpu0) / a.requests
                    wall = (time.perf_counter() - wall0) / a.requests
                    print(f"| {label} | {run} | {1000 * cpu:.2f} | {1000 * wall:.2f} | {100 * cpu / cores:.0%} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
