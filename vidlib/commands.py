"""What each CLI command does (argument parsing lives in vidlib/cli.py)."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import UTC
from typing import Any

from vidlib.consent import load_consent
from vidlib.demo import run_demo
from vidlib.errors import ConsentError
from vidlib.models.install import install_models
from vidlib.models.registry import ModelRegistry
from vidlib.pipelines.consent_amend import amend_consent, confirm_voices, recheck_voices
from vidlib.pipelines.context import context_for
from vidlib.pipelines.expiry import expire_consents
from vidlib.pipelines.ingest import ingest_recording
from vidlib.pipelines.reindex import reindex_all
from vidlib.pipelines.withdrawal import withdraw_consent
from vidlib.progress import run_with_progress
from vidlib.search_api.search import find, search_hits
from vidlib.search_api.serve import serve
from vidlib.search_api.tokens import create_token
from vidlib.settings import Settings
from vidlib.storage.manifests import ManifestRepo


def emit_json(value: object) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=1))


def run(args: argparse.Namespace, settings: Settings) -> int:
    handler = {
        "models": _models,
        "ingest": _ingest,
        "process": _process,
        "inbox": _inbox,
        "status": _status,
        "show": _show,
        "search": _search,
        "reindex": _reindex,
        "demo": _demo,
        "consent": _consent,
        "serve": _serve,
        "token": _token,
    }[args.command]
    return handler(args, settings)


def _ctx(settings: Settings) -> Any:
    return context_for(settings)


def _models(args: argparse.Namespace, settings: Settings) -> int:
    if args.action == "install":
        done = install_models(settings.resolved_models_dir, report=lambda m: print(f"installing {m}", file=sys.stderr))
        for name, path in done.items():
            print(f"{name}: {path}")
        return 0
    reg = ModelRegistry(settings)
    for name, path in (
        ("whisper", reg.whisper_path),
        ("embedding", reg.embedder_path),
        ("diarization", reg.diarization_path),
    ):
        print(f"{name}: {path} ok")
    return 0


def _ingest(args: argparse.Namespace, settings: Settings) -> int:
    result = ingest_recording(_ctx(settings), args.file, args.consent)
    print("registered" if result.created else "already registered (same content): nothing to do", file=sys.stderr)
    print(result.recording_id)
    return 0


def _process(args: argparse.Namespace, settings: Settings) -> int:
    ctx = _ctx(settings)
    for rid in args.recording_ids:
        ctx.repo.load(rid)  # a clear "no recording with id" before the flow starts
    for rid in args.recording_ids:
        manifest = run_with_progress(ctx, rid, show=not args.no_progress)
        print(f"{rid}: {len(manifest.clips)} clips pending review ({sum(manifest.timings.values()):.0f} s)")
    return 0


def _inbox(args: argparse.Namespace, settings: Settings) -> int:
    from vidlib.pipelines.flows import process_inbox  # Prefect, imported only by the commands that run a flow

    outcome = process_inbox(str(args.folder) if args.folder else None, settings)
    for name, result in outcome.items():
        print(f"{name}: {result}")
    return 0 if all(not r.startswith("refused") for r in outcome.values()) else 1


def _status(args: argparse.Namespace, settings: Settings) -> int:
    repo = _ctx(settings).repo
    rows = []
    for rid in repo.list_ids():
        m = repo.load(rid)
        rows.append(
            {
                "recording_id": rid,
                "status": m.status,
                "duration_s": round(m.media.duration_s, 1),
                "clips": len(m.clips),
                "title": m.consent.recording.title,
                "error": m.error,
            }
        )
    if args.json:
        emit_json(rows)
    else:
        for r in rows:
            extra = f"  ({r['error']})" if r["error"] else ""
            print(
                f"{r['recording_id']}  {r['status']:<12} {r['duration_s']:>7.1f}s  {r['clips']:>3} clips  "
                f"{r['title']}{extra}"
            )
    return 0


def manifest_view(manifest: Any) -> dict[str, Any]:
    """The manifest as the documented JSON: the stored fields plus flat ``words`` and ``turns``."""

    data = ManifestRepo.to_json_dict(manifest)
    data["duration_s"] = manifest.media.duration_s
    data["language"] = manifest.transcript.language if manifest.transcript else manifest.consent.recording.language
    attributed = manifest.attributed
    roles = dict(attributed.roles) if attributed else {}
    data["words"] = [asdict(w) for w in attributed.words] if attributed else []
    data["turns"] = _turns(manifest.diarization.turns, roles) if manifest.diarization else []
    return data


def _turns(turns: Any, roles: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {"start": t.start, "end": t.end, "speaker": t.speaker, "role": roles.get(t.speaker, "guest")} for t in turns
    ]


def _show(args: argparse.Namespace, settings: Settings) -> int:
    manifest = _ctx(settings).repo.load(args.recording_id)
    if args.json:
        emit_json(manifest_view(manifest))
        return 0
    print(
        f"{manifest.recording_id}  {manifest.status}  {manifest.media.duration_s:.1f}s  "
        f"{manifest.consent.recording.title}"
    )
    clips = {c.clip_id: c for c in manifest.clips}
    shown: set[str] = set()
    for ch in manifest.chapters:
        print(f"  {_clock(ch.start)}-{_clock(ch.end)}  [{ch.topic_label}] {ch.title}")
        for clip_id in ch.clip_ids:
            c = clips[clip_id]
            shown.add(clip_id)
            print(f"      {_clock(c.start)}-{_clock(c.end)}  {c.title}  ({c.state})")
    for c in manifest.clips:  # manifests written before chapters, or a clip split off by a moderator
        if c.clip_id not in shown:
            print(f"  {_clock(c.start)}-{_clock(c.end)}  [{c.topic_label or c.topic}] {c.title}  ({c.state})")
    return 0


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}" if minutes >= 60 else f"{minutes:2d}:{secs:02d}"


def _search(args: argparse.Namespace, settings: Settings) -> int:
    found = find(
        _ctx(settings),
        args.query,
        mode=args.mode,
        limit=args.limit,
        filters={"job": args.job, "sector": args.sector, "topic": args.topic},
        include_unpublished=args.include_unpublished,
    )
    hits = search_hits(found)
    if args.json:
        emit_json([asdict(h) for h in hits])
        return 0
    if found.no_answer:
        print(f"no clip found: no clip of the library is about {', '.join(found.no_answer.asked)}")
        if found.no_answer.related:
            print(f"the library's jobs of the same sector: {', '.join(found.no_answer.related)}")
    elif not hits:
        print("no clip found" + ("" if args.include_unpublished else " (only published clips are searched)"))
    for h in hits:
        print(f"{h.score:7.3f}  {h.start:7.1f}-{h.end:7.1f}  {h.title}  [{h.recording_id} {h.clip_id}]")
    return 0


def _consent(args: argparse.Namespace, settings: Settings) -> int:
    if args.action == "expire":
        return _consent_expire(args, settings)
    if args.action in ("amend", "confirm-voices", "recheck-voices"):
        return _consent_reflag(args, settings)
    if not args.recording_id or not args.participant:
        raise ConsentError("consent withdraw needs RECORDING_ID and --participant NAME_OR_ROLE")
    r = withdraw_consent(_ctx(settings), args.recording_id, args.participant, args.requested_by)
    print(
        f"{r.recording_id}: consent withdrawn by the {r.participant_role}; deleted {r.deleted_objects} objects "
        f"(original, audio, transcripts, clips, manifest) and {r.deleted_points} index points; "
        f"tombstone kept at {r.tombstone_key} (no personal data)"
    )
    return 0


def _consent_reflag(args: argparse.Namespace, settings: Settings) -> int:
    """``consent amend``, ``confirm-voices`` and ``recheck-voices``: each re-flags every clip of the recording."""
    from datetime import datetime

    now = datetime.now(UTC)
    if args.action == "amend":
        if not args.recording_id or not args.file:
            raise ConsentError("consent amend needs RECORDING_ID and --file NEW_CONSENT.json")
        r = amend_consent(
            _ctx(settings), args.recording_id, load_consent(args.file), requested_by=args.requested_by, now=now
        )
        added = f"; added: {', '.join(r.added_roles)}" if r.added_roles else ""
        done = f"consent record amended ({r.participants} participants{added})"
    elif args.action == "recheck-voices":
        if not args.recording_id:
            raise ConsentError("consent recheck-voices needs RECORDING_ID")
        r = recheck_voices(_ctx(settings), args.recording_id, requested_by=args.requested_by, now=now)
        done = f"voices checked again against the {r.participants} participants of the consent record"
    else:
        if not args.recording_id or not args.reason:
            raise ConsentError('consent confirm-voices needs RECORDING_ID and --reason "what you heard"')
        r = confirm_voices(
            _ctx(settings), args.recording_id, reason=args.reason, requested_by=args.requested_by, now=now
        )
        done = "no voice beyond the consent record's, confirmed by ear"
    if args.json:
        emit_json(asdict(r))
        return 0
    print(
        f"{r.recording_id}: {done}; {len(r.unblocked)} clips may now be approved, {len(r.blocked)} newly "
        f"blocked, {len(r.unpublished)} sent back to review"
    )
    return 0


def _consent_expire(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import datetime

    try:
        now = datetime.fromisoformat(args.now) if args.now else datetime.now(UTC)
    except ValueError as exc:
        raise ConsentError(f"--now must be an ISO 8601 time such as 2027-01-01T00:00:00+00:00 ({exc})") from exc
    actions = expire_consents(_ctx(settings), now)
    if args.json:
        emit_json([asdict(a) for a in actions])
    elif not actions:
        print(f"no consent has expired at {now.isoformat()}: nothing to do")
    for a in [] if args.json else actions:
        clips = f" ({len(a.clip_ids)} clips back to review)" if a.clip_ids else ""
        print(f"{a.recording_id}: {a.action}{clips}: {a.reason}")
    return 0


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    serve(settings, args.host, args.port)
    return 0


def _token(args: argparse.Namespace, settings: Settings) -> int:
    print(create_token(settings, args.role, args.name))
    print(f"{args.role} token for {args.name}: keep it now, it is not shown again", file=sys.stderr)
    return 0


def _reindex(args: argparse.Namespace, settings: Settings) -> int:
    count = reindex_all(_ctx(settings))
    print(f"reindexed {count} clips")
    return 0


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    return run_demo(_ctx(settings))
