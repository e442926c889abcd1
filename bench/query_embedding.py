"""How long embedding one search query takes: torch, ONNX Runtime (the same e5 weights), and ONNX Runtime over the
int8 weights the search uses; how far their vectors are from torch's.

    .venv/bin/python -m bench.query_embedding --threads 1 --repeat 5

The queries are those of ../shared/data (calls and calls_long) and bench/queries_*.json, embedded one at a time as
the search does, each ``--repeat`` times after a warm-up; prints p50 / p95 milliseconds per runtime, the largest
difference between a query's vector and torch's, and the lowest cosine between them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from bench.common import DATA, ROOT
from vidlib.models.paths import E5_DIR
from vidlib.models.text_embedder import TextEmbedder
from vidlib.settings import Settings


def queries() -> list[str]:
    files = [DATA / "calls" / "queries.json", DATA / "calls_long" / "queries_dev_long.json"]
    files += sorted((ROOT / "bench").glob("queries_*.json"))
    return [q["query"] for f in files if f.exists() for q in json.loads(f.read_text(encoding="utf-8"))["queries"]]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args(argv)
    folder = Settings().resolved_models_dir / E5_DIR
    texts = queries()
    vectors = {}
    for name, runtime, precision in (
        ("torch", "torch", "fp32"),
        ("onnx", "onnx", "fp32"),
        ("onnx int8", "onnx", "int8"),
    ):
        embedder = TextEmbedder(folder, threads=a.threads, runtime=runtime, precision=precision)
        embedder.embed_query("échauffement")
        times = []
        for _ in range(a.repeat):
            for text in texts:
                t0 = time.perf_counter()
                embedder.embed_query(text)
                times.append(1000 * (time.perf_counter() - t0))
        vectors[name] = embedder.embed_queries(texts)
        p50, p95 = np.percentile(times, [50, 95])
        apart = np.abs(vectors[name] - vectors["torch"]).max()
        cosine = (vectors[name] * vectors["torch"]).sum(axis=1).min()
        print(
            f"{name:9}: p50 {p50:.1f} ms, p95 {p95:.1f} ms ({len(times)} queries, {a.threads} threads); "
            f"against torch: largest difference {apart:.2e}, lowest cosine {cosine:.4f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
