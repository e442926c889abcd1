"""Chapters, clips, labels and titles measured on what the pipeline really produced for annotated calls.

    .venv/bin/python -m bench.eval_chapters --home H --data ../shared/data/calls ../shared/data/calls_long
    .venv/bin/python -m bench.eval_chapters --home H --data ... --rerun          # text stages again, current code
    .venv/bin/python -m bench.eval_chapters --home H --data ... --rerun --grid   # parameter grid, all calls at once

``H`` is a VIDLIB_HOME where the calls were processed (``vidlib ingest`` + ``vidlib process``, e.g. by
../shared/tools/eval_calls.py); each call is found by its file name. Several homes may hold the same calls (two
transcriptions of them, e.g. with two beam widths): each counts as a case of its own (``NAME#2``), so parameters are
chosen on every transcription at once, not on one run's quirks. Without ``--rerun`` the figures are those of the
stored manifests (``vidlib show --json``). With ``--rerun`` the stored transcription and diarisation are kept and the
text stages (attribute, chapters, clips, enrich) run again in this process with the current code and the real e5 model,
so parameters can be compared in seconds; ``--set segment.boundary_cost=0.9`` overrides one.

Metrics, as ../shared/tools/eval_calls.py computes them (1 s grid, k = half the mean reference topic):
chapter Pk / WindowDiff against the annotated topics; clip Pk; label accuracy (a topic counts as right when the
chapter at its midpoint carries an accepted label); clips crossing a chapter edge; clip edges inside a word. Then a
confusion table of labels and, for every annotated topic, our chapter title beside the annotated title.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import pk_windowdiff
from vidlib.pipelines.context import RunContext, configure_offline_environment
from vidlib.pipelines.stages.attribute import attribute_speakers
from vidlib.pipelines.stages.chapters import ChapteringParams, plan_chapters
from vidlib.pipelines.stages.enrich import enrich_clips
from vidlib.pipelines.stages.plan import plan_clips
from vidlib.pipelines.stages.segment import ClipParams, split_chapters
from vidlib.pipelines.stages.topics import embedded_once
from vidlib.settings import Settings
from vidlib.storage.layout import stage_key
from vidlib.storage.stage_keys import DIARIZE, TRANSCRIBE
from vidlib.text import is_stop, stem, words

# annotated label -> our labels that count as right (the same sets as ../shared/tools/eval_calls.py)
ACCEPTED = {
    "accueil": {"accueil"},
    "conclusion": {"accueil"},
    "presentation": {"presentation", "parcours_etudes"},
    "parcours": {"parcours_etudes", "presentation"},
    "etudes": {"parcours_etudes"},
    "missions": {"missions", "journee_type"},
    "journee": {"journee_type", "horaires", "missions"},
    "horaires_nuit": {"horaires", "journee_type"},
    "aime": {"ce_qu_on_aime"},
    "difficultes": {"difficultes"},
    "salaire": {"salaire"},
    "evolution": {"evolution"},
    "ia": {"ia_et_metier"},
    "femmes": {"femmes_secteur"},
    "conseils": {"conseils"},
}


@dataclass(frozen=True)
class Produced:
    """What the pipeline produced for one call, in the shape ``vidlib show --json`` gives it."""

    chapters: list[dict[str, Any]]
    clips: list[dict[str, Any]]
    words: list[dict[str, Any]]


def metrics(truth: dict[str, Any], out: Produced) -> dict[str, Any]:
    duration = float(truth["duration"])
    ref = [(s["start"], s["end"]) for s in truth["topic_segments"]]
    chapters = [(c["start"], c["end"]) for c in out.chapters]
    pk, wd = pk_windowdiff(ref, chapters, duration)
    clip_pk, _ = pk_windowdiff(ref, [(c["start"], c["end"]) for c in out.clips], duration)
    crossing = sum(not any(a - 0.01 <= c["start"] and c["end"] <= b + 0.01 for a, b in chapters) for c in out.clips)
    mid_word = sum(
        any(w["start"] + 0.02 < edge < w["end"] - 0.02 for w in out.words)
        for c in out.clips
        for edge in (c["start"], c["end"])
    )
    rows = label_rows(truth, out.chapters)
    scored = [r for r in rows if r[0] in ACCEPTED]
    lens = [c["end"] - c["start"] for c in out.clips]
    return {
        "dur_s": round(duration, 1),
        "pk": round(pk, 3),
        "wd": round(wd, 3),
        "clip_pk": round(clip_pk, 3),
        "label_acc": round(sum(ok for _, _, ok in scored) / max(1, len(scored)), 3),
        "chapters": len(chapters),
        "topics": len(ref),
        "clips": len(out.clips),
        "clip_len_s": f"{min(lens):.0f}-{max(lens):.0f}" if lens else "-",
        "crossing": crossing,
        "mid_word_edges": mid_word,
    }


def chapter_at(seg: dict[str, Any], chapters: list[dict[str, Any]]) -> dict[str, Any]:
    """Our chapter at the annotated topic's midpoint ({} when none)."""
    mid = (seg["start"] + seg["end"]) / 2
    return next((c for c in chapters if c["start"] <= mid < c["end"]), {})


def label_rows(truth: dict[str, Any], chapters: list[dict[str, Any]]) -> list[tuple[str, str, bool]]:
    """(annotated label, our label at the topic's midpoint, right?) per annotated topic."""
    rows = []
    for seg in truth["topic_segments"]:
        ours = chapter_at(seg, chapters).get("topic", "")
        rows.append((seg["label"], ours, ours in ACCEPTED.get(seg["label"], set())))
    return rows


def title_rows(truth: dict[str, Any], chapters: list[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    """(annotated label, annotated question or title, our chapter's title, our chapter's label) per annotated topic,
    our chapter being the one at the topic's midpoint."""
    rows = []
    for seg in truth["topic_segments"]:
        ours = chapter_at(seg, chapters)
        rows.append((seg["label"], seg.get("question") or seg["title"], ours.get("title", ""), ours.get("topic", "")))
    return rows


def title_words(truth: dict[str, Any], chapters: list[dict[str, Any]]) -> tuple[int, int, int]:
    """(title words said in the annotated topic, title words in its annotated title or question, title words) over
    the topics, for the chapter at each topic's midpoint, counting the content words of our title (the topic's name
    before " : " left out). One that nobody said in the topic is mostly a recognition error ("volis le code") or a
    word of another topic; one of the annotated title says what the annotator found the topic to be about."""
    said_in = {t["id"]: t["text"] for t in truth["turns"]}
    heard = annotated = total = 0
    for seg in truth["topic_segments"]:
        title = chapter_at(seg, chapters).get("title", "")
        said = {stem(w) for i in seg["turn_ids"] for w in words(said_in.get(i, ""))}
        gist = {stem(w) for w in words(f"{seg['title']} {seg.get('question') or ''}")}
        mine = [stem(w) for w in words(title.split(" : ", 1)[-1]) if len(w) >= 3 and not is_stop(w)]
        heard += sum(w in said for w in mine)
        annotated += sum(w in gist for w in mine)
        total += len(mine)
    return heard, annotated, total


@dataclass(frozen=True)
class Case:
    name: str  # the call's file stem; NAME#2 for its second transcription (the same call processed in another home)
    truth: dict[str, Any]
    ctx: RunContext
    rid: str


def find_recordings(ctx: RunContext) -> dict[str, str]:
    """Call name (file stem) -> recording id, from the manifests of the home."""
    out = {}
    for rid in ctx.repo.list_ids():
        m = ctx.repo.load(rid)
        out[Path(m.source_name).stem] = rid
    return out


def from_manifest(ctx: RunContext, rid: str) -> Produced:
    from vidlib.commands import manifest_view

    view = manifest_view(ctx.repo.load(rid))
    return Produced(view.get("chapters", []), view["clips"], view["words"])


def rerun(ctx: RunContext, rid: str, params: ChapteringParams, clip_params: ClipParams) -> Produced:
    """Attribute, chapters, clips and titles again from the stored transcription and diarisation."""
    from dataclasses import asdict

    repo, manifest = ctx.repo, ctx.repo.load(rid)
    attributed = attribute_speakers(repo.load_stage(rid, TRANSCRIBE), repo.load_stage(rid, DIARIZE), manifest.consent)
    chapters = plan_chapters(
        attributed, _memo(ctx, "passages"), _memo(ctx, "queries"), params, duration_s=manifest.media.duration_s
    )
    segments = split_chapters(attributed, chapters, clip_params)
    clips = plan_clips(rid, attributed, segments, manifest.media.duration_s)
    enriched = enrich_clips(clips, attributed, chapters)
    clip_rows = [asdict(c) | {"title": e.title} for c, e in zip(clips, enriched)]
    chapter_rows = []
    for index, ch in enumerate(chapters):  # a chapter's times are its clips' cut times, as in the manifest
        mine = [c for c in clip_rows if c["chapter"] == index]
        chapter_rows.append(asdict(ch) | ({"start": mine[0]["start"], "end": mine[-1]["end"]} if mine else {}))
    return Produced(chapter_rows, clip_rows, [asdict(w) for w in attributed.words])


_EMBED: dict[str, Callable[[Sequence[str]], np.ndarray]] = {}  # one model for every home: the models folder is the same


def _memo(ctx: RunContext, kind: str) -> Callable[[Sequence[str]], np.ndarray]:
    """The embedder's passages or queries, each text embedded once per run (a grid embeds the same texts often)."""
    if kind not in _EMBED:
        _EMBED[kind] = embedded_once(getattr(ctx.models.embedder(), f"embed_{kind}"))
    return _EMBED[kind]


def export_call(ctx: RunContext, rid: str, truth: dict[str, Any], dest: Path) -> None:
    import gzip

    from pydantic import TypeAdapter

    manifest = ctx.repo.load(rid)
    doc = {
        "source": f"{Path(manifest.source_name).name}, processed by vidlib (transcribe + diarize stage results)",
        "duration_s": manifest.media.duration_s,
        "consent": TypeAdapter(type(manifest.consent)).dump_python(manifest.consent, mode="json"),
        "transcript": json.loads(ctx.store.get_bytes(stage_key(rid, TRANSCRIBE.name))),
        "diarization": json.loads(ctx.store.get_bytes(stage_key(rid, DIARIZE.name))),
        "topics": [{"start": t["start"], "end": t["end"], "label": t["label"]} for t in truth["topic_segments"]],
    }
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(gzip.compress(json.dumps(doc, ensure_ascii=False).encode(), mtime=0))
    print(f"{dest}: {dest.stat().st_size} bytes")


def with_overrides(params: ChapteringParams, pairs: list[str]) -> ChapteringParams:
    for pair in pairs:
        path, value = pair.split("=", 1)
        group, name = path.split(".", 1)
        inner = getattr(params, group)
        if "." in name:
            sub, leaf = name.split(".", 1)
            inner = replace(inner, **{sub: replace(getattr(inner, sub), **{leaf: float(value)})})
        else:
            inner = replace(inner, **{name: type(getattr(inner, name))(float(value))})
        params = replace(params, **{group: inner})
    return params


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", required=True, type=Path, nargs="+", help="one or more VIDLIB_HOME folders")
    ap.add_argument("--data", nargs="+", required=True, type=Path)
    ap.add_argument("--rerun", action="store_true")
    ap.add_argument("--set", nargs="*", default=[], help="overrides, e.g. segment.boundary_cost=0.9")
    ap.add_argument("--grid", action="store_true", help="mean chapter Pk and label accuracy over a parameter grid")
    ap.add_argument("--json", type=Path, help="write the rows here")
    ap.add_argument(
        "--export",
        type=Path,
        help="write each call's stored transcription and diarisation (what the "
        "text stages start from) and its annotated topics to DIR/NAME.json.gz, for tests",
    )
    a = ap.parse_args()
    truths = {p.stem: json.loads(p.read_text()) for d in a.data for p in sorted(d.glob("rec*.json"))}
    cases: list[Case] = []  # a call processed in several homes (two transcriptions of it) counts once per home
    seen: Counter[str] = Counter()
    for home in a.home:
        settings = Settings(home=home)
        configure_offline_environment(settings)
        ctx = RunContext(settings)
        for name, rid in sorted(find_recordings(ctx).items()):
            if name in truths:
                seen[name] += 1
                cases.append(Case(name if seen[name] == 1 else f"{name}#{seen[name]}", truths[name], ctx, rid))
    if not cases:
        print(f"no annotated call of {', '.join(map(str, a.data))} is processed in {a.home}")
        return 1
    if a.export:
        for case in cases:
            if "#" not in case.name:
                export_call(case.ctx, case.rid, case.truth, a.export / f"{case.name}.json.gz")
        return 0
    params = with_overrides(ChapteringParams(), a.set)
    clip_params = ClipParams(settings.clip_min_s, settings.clip_max_s)
    if a.grid:
        return grid(cases, params, clip_params)
    rows, labels, titles = {}, Counter(), []
    for case in cases:
        out = rerun(case.ctx, case.rid, params, clip_params) if a.rerun else from_manifest(case.ctx, case.rid)
        rows[case.name] = metrics(case.truth, out)
        heard, annotated, total = title_words(case.truth, out.chapters)
        rows[case.name] |= {"title_words_heard": heard, "title_words_annotated": annotated, "title_words": total}
        print(case.name, json.dumps(rows[case.name]), flush=True)
        labels.update((g, o) for g, o, _ in label_rows(case.truth, out.chapters))
        titles.extend((case.name, *r) for r in title_rows(case.truth, out.chapters))
    print_summary(rows)
    print_confusion(labels)
    print("\n| call | annotated topic | annotated question (or title) | our chapter title | our label |")
    print("|---|---|---|---|---|")
    for call, label, gt, ours, topic in titles:
        print(f"| {call} | {label} | {gt} | {ours} | {topic} |")
    if a.json:
        a.json.write_text(json.dumps({"rows": rows, "titles": titles}, ensure_ascii=False, indent=1))
    return 0


def print_summary(rows: dict[str, dict[str, Any]]) -> None:
    short = [r for r in rows.values() if r["dur_s"] < 600]  # the short calls are 3-4 min, the long ones 15-17
    long = [r for r in rows.values() if r["dur_s"] >= 600]
    for name, group in (("short calls", short), ("long calls", long), ("all", list(rows.values()))):
        if group:
            mean = lambda k, group=group: sum(r[k] for r in group) / len(group)  # noqa: E731
            print(
                f"{name}: chapter Pk {mean('pk'):.3f}  WD {mean('wd'):.3f}  clip Pk {mean('clip_pk'):.3f}  "
                f"labels {mean('label_acc'):.3f}  crossing {sum(r['crossing'] for r in group)}  "
                f"mid-word {sum(r['mid_word_edges'] for r in group)}"
                + f"  title words heard {sum(r['title_words_heard'] for r in group)}, in the annotated titles "
                f"{sum(r['title_words_annotated'] for r in group)}, of {sum(r['title_words'] for r in group)}"
            )


def print_confusion(pairs: Counter[tuple[str, str]]) -> None:
    ours = sorted({o for _, o in pairs})
    print("\nlabels (rows: annotated, columns: ours)\n| annotated | " + " | ".join(o or "-" for o in ours) + " |")
    print("|---" * (len(ours) + 1) + "|")
    for g in sorted({g for g, _ in pairs}):
        print(f"| {g} | " + " | ".join(str(pairs[(g, o)] or "") for o in ours) + " |")


GRID = {
    "segment.boundary_cost": (0.45, 0.6, 0.75, 0.9),
    "segment.shift_weight": (0.4, 0.8, 1.2),
    "segment.questions.follow_up": (0.2, 0.35),
    "segment.min_share": (0.4, 0.6),
}


def grid(cases: list[Case], base: ChapteringParams, clip_params: ClipParams) -> int:
    """Every combination of GRID on all calls together; prints the mean chapter Pk and label accuracy of each."""
    results = []
    for values in itertools.product(*GRID.values()):
        params = with_overrides(base, [f"{k}={v}" for k, v in zip(GRID, values)])
        ms = [metrics(c.truth, rerun(c.ctx, c.rid, params, clip_params)) for c in cases]
        pk = sum(m["pk"] for m in ms) / len(ms)
        acc = sum(m["label_acc"] for m in ms) / len(ms)
        results.append((pk, acc, values, [m["pk"] for m in ms]))
        print(
            f"{dict(zip(GRID, values))}  mean Pk {pk:.3f}  labels {acc:.3f}  per call {[m['pk'] for m in ms]}",
            flush=True,
        )
    best = min(results, key=lambda r: (r[0], -r[1]))
    print("best (lowest mean Pk over all calls):", dict(zip(GRID, best[2])), f"Pk {best[0]:.3f} labels {best[1]:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
