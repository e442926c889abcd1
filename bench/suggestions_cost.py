"""What building the "pour toi" shelf costs on a large library, by the number of a student's reactions.

    .venv/bin/python -m bench.suggestions_cost --home H --reactions 20 100 500

``H``: a VIDLIB_HOME with a large embedded index (``bench.search_http --home H`` builds 100k clips). The index is
warmed (as ``vidlib serve`` does); for each count, a made-up student reacts to that many published clips drawn at
random (30 % ``utile``, the rest ``pas_pour_moi``), then ``search_api.suggestions.for_you`` builds a shelf of 6 ten
times; prints the p50 and the slowest, in milliseconds. The student's reactions are deleted afterwards.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

from vidlib.pipelines.context import RunContext, configure_offline_environment
from vidlib.search_api.suggestions import for_you, forget, record
from vidlib.settings import Settings

PUBLISHED = {"state": "published"}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--reactions", type=int, nargs="+", default=[20, 100, 500])
    a = ap.parse_args(argv)
    settings = Settings(home=a.home)
    configure_offline_environment(settings)
    ctx = RunContext(settings)
    try:
        ctx.index.warm()
        clips = ctx.index.sample(PUBLISHED, max(a.reactions))
        rng = random.Random(0)
        for n in a.reactions:
            token = f"bench-suggestions-cost-{n}"
            for clip in clips[:n]:
                record(ctx, token, clip, "utile" if rng.random() < 0.3 else "pas_pour_moi")
            times = []
            for _ in range(10):
                t0 = time.perf_counter()
                for_you(ctx, token, PUBLISHED, 6)
                times.append((time.perf_counter() - t0) * 1000)
            forget(ctx, token)
            print(f"{n} reactions: for_you p50 {statistics.median(times):.1f} ms, slowest {max(times):.1f} ms")
    finally:
        ctx.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
