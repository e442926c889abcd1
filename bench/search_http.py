"""/search over HTTP against a running ``vidlib serve``: latency percentiles and requests per second at a library size.

    .venv/bin/python -m bench.search_http --clips 100000 --seconds 30 --clients 4

Builds an embedded index of ``--clips`` synthetic clips in a temporary VIDLIB_HOME: each one annotated topic of the
shared calls (its text, its e5 vector moved a little), with one of 30 real job titles (the shared calls' and others
of the search lexicon, none of the police or fire services, whose queries must get no answer), a topic, 90 %
published. It starts ``vidlib serve`` on it in its own process (the installed models, the default settings);
``--clients`` threads, each with its own client (``httpx``, or with ``--client stdlib`` the standard library's
``http.client``, lighter on the shared cores), send student searches (hybrid, limit 10) with the
queries of ../shared/data and bench/, twice for ``--seconds``: first each query with a number of its own appended,
so that every request is new to the server (it embeds the query, as for a query never asked before); then the
queries in turn, which the server's cache of recent queries answers without embedding them, as for popular queries.
Prints p50 / p95 / p99 milliseconds and requests per second for both. With ``--rate R`` it then sends both kinds
at R searches per second, each due at its own time whether or not the last one was answered (students do not wait
for each other), and counts each search's latency from its due time.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import numpy as np

from bench.common import DATA, load_truth
from bench.query_embedding import queries
from bench.search_corpus import synthetic_clips, truth_clips, vocabulary
from vidlib.models.paths import E5_DIR
from vidlib.models.text_embedder import TextEmbedder
from vidlib.pipelines.stages.topics import load_taxonomy
from vidlib.search_api.query import load_lexicon
from vidlib.search_api.tokens import create_token
from vidlib.settings import Settings
from vidlib.storage.index import IndexedClip
from vidlib.storage.index_edge import EdgeClipIndex
from vidlib.text import sparse_terms


def build(settings: Settings, size: int) -> float:
    files = sorted((DATA / "calls").glob("rec*.json")) + sorted((DATA / "calls_long").glob("rec*.json"))
    vocab = vocabulary(truth_clips(files))
    topics = list(load_taxonomy().labels)
    pick = random.Random(size)
    # 30 real job titles, the shared calls' among them, so that queries naming a job find it as in a real library
    shared = [load_truth(f.with_suffix(".mp4"))["job"]["title"] for f in files]
    others = [job.name for job in load_lexicon().jobs if job.sector != "securite"]
    jobs = shared + pick.sample(others, 30 - len(shared))
    index = EdgeClipIndex(settings.index_path)
    index.ensure()
    t0 = time.perf_counter()
    # real passages: the annotated topics of the shared calls, embedded as the pipeline embeds clips; each
    # synthetic clip is one of them moved a little (noise 0.02 per dimension: cosine about 0.9 to its source), so
    # that queries find clips above the relevance floor as in a real library of such calls
    real = truth_clips(files)
    base = TextEmbedder(settings.resolved_models_dir / E5_DIR).embed_passages([c.passage_text for c in real])
    noise = np.random.default_rng(size)
    for batch in synthetic_clips(size, vocab, seed=size):
        clips = []
        for n, c in enumerate(batch):
            source = (len(clips) + n * 7 + int(c.clip_id[-7:])) % len(real)
            vector = base[source] + noise.normal(0.0, 0.02, base.shape[1])
            start = pick.uniform(0, 3000)
            text = real[source].sparse_text
            payload = {
                **c.payload,
                "clip_id": c.clip_id,
                "job": jobs[int(c.payload["job"][4:]) % len(jobs)],
                "start": start,
                "end": start + pick.uniform(20, 180),
                "title": text[:60],
                "text": text,
                "topic": pick.choice(topics),
                "roles": ["professional", "student"],
            }
            terms = sparse_terms(text)
            dense = tuple(float(x) for x in vector / np.linalg.norm(vector))
            clips.append(IndexedClip(c.clip_id, dense, tuple(terms[0]), tuple(terms[1]), payload))
        index.upsert(clips)
    index.close()  # optimises (HNSW) on close, as after a real indexing run
    return time.perf_counter() - t0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _httpx_get(base: str, token: str) -> Callable[[dict[str, str | int]], None]:
    client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)

    def get(params: dict[str, str | int]) -> None:
        client.get("/search", params=params).raise_for_status()

    return get


def stdlib_requester(base: str, token: str) -> Callable[[str, dict[str, str | int] | None], None]:
    """GET ``path`` with its query string on one kept-alive connection of the standard library's HTTP/1.1 client: a
    real client that costs the shared cores less than httpx, leaving more of them to the server."""
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    headers = {"Authorization": f"Bearer {token}"}

    def get(path: str, params: dict[str, str | int] | None) -> None:
        connection.request("GET", path + ("?" + urllib.parse.urlencode(params) if params else ""), headers=headers)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{path} answered {response.status}")

    return get


def _stdlib_get(base: str, token: str) -> Callable[[dict[str, str | int]], None]:
    get = stdlib_requester(base, token)
    return lambda params: get("/search", params)


_FRESH = itertools.count()  # the numbers that make a query new: never the same twice in one run of the bench


def hammer(
    base: str,
    token: str,
    texts: list[str],
    clients: int,
    seconds: float,
    new: bool,
    stdlib: bool = False,
    rate: float | None = None,
) -> list[float]:
    """Latencies (ms) of the searches ``clients`` threads send for ``seconds``: the bench queries in turn, each with
    a number of its own appended when ``new`` (so that the server embeds every one, as for a query never asked).

    Without ``rate`` each thread sends its next search as soon as the last one is answered (the most the server
    answers with that many callers waiting). With ``rate`` the n-th search is due at n / ``rate`` seconds, as
    students arriving at that rate: a thread waits for the due time, and a search's latency counts from its due
    time, so that a search that had to wait for a free connection counts that wait too."""
    latencies: list[float] = []
    lock = threading.Lock()
    start = time.perf_counter()
    deadline = start + seconds
    sent = iter(range(10**9))

    def work() -> None:
        get = _stdlib_get(base, token) if stdlib else _httpx_get(base, token)
        # with a rate, every search due before the deadline is sent, however late: the latest are the slowest
        while rate or time.perf_counter() < deadline:
            with lock:
                n = next(sent)
                fresh = next(_FRESH)
            due = start + n / rate if rate else time.perf_counter()
            if due >= deadline:
                break
            if due > time.perf_counter():
                time.sleep(due - time.perf_counter())
            q = f"{texts[n % len(texts)]} {fresh}" if new else texts[n % len(texts)]
            t0 = due if rate else time.perf_counter()
            get({"q": q, "mode": "hybrid", "limit": 10})
            elapsed = 1000 * (time.perf_counter() - t0)
            with lock:
                latencies.append(elapsed)

    threads = [threading.Thread(target=work) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies


def report(label: str, latencies: list[float], wall: float) -> None:
    p50, p95, p99 = np.percentile(latencies, [50, 95, 99])
    print(
        f"| {label} | {len(latencies)} | {p50:.1f} | {p95:.1f} | {p99:.1f} | {len(latencies) / wall:.0f} |", flush=True
    )


@contextlib.contextmanager
def serving(home: Path, models: Path, scratch: Path) -> Iterator[tuple[subprocess.Popen[bytes], str, str]]:
    """``vidlib serve`` on ``home`` in a process of its own, answering and with its models loaded: (the process,
    its base URL, a student token)."""
    token = create_token(Settings(home=home, models_dir=models), "student", "bench")
    port = free_port()
    env = {**os.environ, "VIDLIB_HOME": str(home), "VIDLIB_MODELS_DIR": str(models)}
    # the server's output goes to a file: a pipe nobody reads would stop the server once its buffer is full
    log_path = scratch / "serve.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "vidlib.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(f"{base}/static/favicon.svg", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit(f"vidlib serve did not start: {log_path.read_text(errors='replace')}")
                time.sleep(0.5)
            warm = {"Authorization": f"Bearer {token}"}  # the first search loads the models
            httpx.get(f"{base}/search", params={"q": "échauffement"}, headers=warm, timeout=300).raise_for_status()
            yield server, base, token
        finally:
            server.terminate()
            server.wait(20)


def library(home: Path | None, clips: int, scratch: Path) -> Path:
    """The home of the bench's index of ``clips`` clips: ``home``, built there unless a run before built it, or
    ``scratch``."""
    path = home or scratch
    settings = Settings(home=path, models_dir=Settings().resolved_models_dir)
    if home is None or not (settings.index_path / "built").exists():
        built = build(settings, clips)
        print(f"{clips} clips indexed and optimised in {built:.0f} s", flush=True)
        (settings.index_path / "built").write_text(str(clips))
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, default=100_000)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--home", type=Path, help="keep the built index here and reuse it on the next run")
    ap.add_argument(
        "--client", choices=("httpx", "stdlib"), default="httpx", help="stdlib: http.client, lighter on the cores"
    )
    ap.add_argument(
        "--rate",
        type=float,
        help="also send the searches at this many per second (latency from each one's due time), after the rows "
        "where the clients send as fast as they are answered",
    )
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="vidlib-http-") as scratch:
        home = library(a.home, a.clips, Path(scratch))
        with serving(home, Settings().resolved_models_dir, Path(scratch)) as (_, base, token):
            texts = queries()
            load = os.getloadavg()[0]
            print(
                f"\n{a.clients} {a.client} clients, {len(texts)} distinct queries, 1-min load average {load:.2f} before"
            )
            print("| requests | n | p50 ms | p95 ms | p99 ms | requests/s |\n|---|---|---|---|---|---|")
            rows: list[tuple[str, bool, float | None]] = [
                (f"a new query each time for {a.seconds:.0f} s (the server embeds it)", True, None),
                (f"the bench queries in turn for {a.seconds:.0f} s (recent-query cache)", False, None),
            ]
            if a.rate:
                rows += [  # the recent-query cache still holds the bench queries from the row before
                    (f"the bench queries in turn, {a.rate:.0f} due per second", False, a.rate),
                    (f"a new query each time, {a.rate:.0f} due per second", True, a.rate),
                ]
            for label, new, rate in rows:
                t0 = time.perf_counter()
                lat = hammer(base, token, texts, a.clients, a.seconds, new, a.client == "stdlib", rate)
                report(label, lat, time.perf_counter() - t0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
