"""Topic segmentation benchmark: our segmenter against TextTiling baselines, plus topic-label accuracy.

    .venv/bin/python bench/eval_segmentation.py                # all sets, table on stdout
    .venv/bin/python bench/eval_segmentation.py --sets calls   # only the French calls

Methods, all over the same utterances (one per ground-truth sentence or meeting turn):
* ``ours``: ``pipelines.stages.segment.segment_topics`` with the default ``SegmenterParams`` and the set's
  length bounds;
* ``tt-e5``: TextTiling over the same e5 passage vectors, ClipsAI's recipe (mean-pooled windows of k=7
  utterances, flat smoothing of width 3, boundary at a local depth maximum above mean + 1 std);
* ``tt-nltk``: NLTK's ``TextTilingTokenizer`` (w=20, k=10) on the utterances as paragraphs, with our French
  stop words or a small English list passed in (NLTK's stopwords corpus cannot be downloaded here);
* ``none``: no boundary at all, a degenerate reference point for Pk.

Sets and units:
* ``calls``: ../shared/data/calls/rec04_dev_web.json and rec06_avocate.json. Times in seconds; reference
  boundaries are the midpoints between ground-truth topic segments; boundary F1 within +-5 s; Pk and
  WindowDiff on a 0.5 s grid; bounds = the product's clip length bounds (12-180 s unless --min-s/--max-s).
* ``qmsum``: ../shared/data/real/qmsum_topics/*.json. There are no times, so time = utterance index (turn i
  spans [i, i+1)); boundary F1 within +-1 utterance; Pk/WindowDiff on a 1-utterance grid. Topic spans are
  flattened: each turn takes the topic whose span covers it (a later-starting span wins an overlap), an
  uncovered turn the topic before it (the first topic for leading turns). No speaker is a professional or a
  student: every speaker is mapped to 'professional', so the question cue is off and only the similarity and
  (zero) pause cues act. Bounds: min 15 utterances, no max (--qmsum-max): the product's 180 s maximum is a
  clip constraint, not a property of topics, and QMSum topics run to 900 turns; TextTiling has no bounds.

"Out" counts segments shorter than the set's min or longer than its max.
Topic labels (calls only): each ground-truth segment is labelled with ``enrich.label_topic`` and TOPICS,
as ``enrich_clips`` does, and compared with the ground-truth label mapped to our taxonomy.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import json
import math
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines.evaluation import boundary_f1, pk_windowdiff, reference_boundaries  # noqa: E402
from pipelines.stages.attribute import is_question  # noqa: E402
from pipelines.stages.enrich import TOPICS, label_topic  # noqa: E402
from pipelines.stages.segment import SegmenterParams, segment_topics  # noqa: E402
from vidlib.domain import AttributedTranscript, Role, SpokenWord, Utterance  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
CALLS = (DATA / "calls" / "rec04_dev_web.json", DATA / "calls" / "rec06_avocate.json")
QMSUM_DIR = DATA / "real" / "qmsum_topics"
E5_DIR = Path.home() / ".vidlib" / "models" / "e5-small"
GT_TO_TOPIC = {"accueil": "accueil", "conclusion": "accueil", "presentation": "presentation", "missions": "missions",
               "journee": "journee_type", "aime": "ce_qu_on_aime", "ia": "ia_et_metier", "parcours": "parcours_etudes",
               "etudes": "parcours_etudes", "femmes": "femmes_secteur", "conseils": "conseils", "salaire": "salaire",
               "difficultes": "difficultes", "horaires": "horaires"}
ENGLISH_STOP_WORDS = tuple("""a about above after again against all am an and any are as at be because been before being
below between both but by can could did do does doing don down during each few for from further had has have having he
her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of
off on once only or other our ours ourselves out over own same she should so some such than that the their theirs them
themselves then there these they this those through to too under until up very was we were what when where which while
who whom why will with would you your yours yourself yourselves um uh yeah okay ok mm hmm yes oh""".split())

Embed = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class Case:
    name: str
    dataset: str  # "calls" | "qmsum"
    attributed: AttributedTranscript
    reference: tuple[float, ...]  # boundary times
    duration: float
    tolerance: float  # boundary F1 matching window
    step: float  # Pk / WindowDiff grid
    min_s: float
    max_s: float
    topics: tuple[tuple[int, int, str], ...] = ()  # ground-truth (first, last utterance, label), calls only


@dataclass(frozen=True)
class Row:
    case: str
    method: str
    pk: float
    wd: float
    f1: float
    n_ref: int
    n_hyp: int
    out: int


def _transcript(lines: Sequence[tuple[float, float, str, Role]]) -> AttributedTranscript:
    """One utterance per (start, end, text, role); words spread evenly inside it."""
    words: list[SpokenWord] = []
    utts: list[Utterance] = []
    for start, end, text, role in lines:
        tokens = text.split() or ["."]
        step = (end - start) / len(tokens)
        first = len(words)
        words.extend(SpokenWord(start + k * step, start + (k + 1) * step, tok, role) for k, tok in enumerate(tokens))
        utts.append(Utterance(start, end, role, role, text, first, len(words) - 1, is_question(text)))
    roles = tuple(sorted({(r, r) for *_, r in lines}))
    return AttributedTranscript(tuple(words), tuple(utts), roles)  # type: ignore[arg-type]


def load_call(path: Path, min_s: float = 12.0, max_s: float = 180.0) -> Case:
    """A French call's ground truth as one utterance per sentence (sorted by start), role from the speaker."""
    truth = json.loads(path.read_text(encoding="utf-8"))
    sentences = sorted(
        (s["start"], s["end"], s["text"], "professional" if t["speaker"] == "pro" else "student", t["topic_segment"])
        for t in truth["turns"] for s in t["sentences"]
    )
    attributed = _transcript([s[:4] for s in sentences])  # type: ignore[misc]
    topics = []
    for seg in truth["topic_segments"]:
        idx = [i for i, s in enumerate(sentences) if s[4] == seg["id"]]
        topics.append((min(idx), max(idx), GT_TO_TOPIC[seg["label"]]))
    return Case(path.stem, "calls", attributed, tuple(reference_boundaries(truth["topic_segments"])),
                float(truth["duration"]), 5.0, 0.5, min_s, max_s, tuple(topics))


def qmsum_labels(topic_list: Sequence[dict], n: int) -> list[int]:
    """Topic index of each turn: the covering span (a later-starting span wins), else the topic before it."""
    spans = sorted((int(a), int(b), k) for k, t in enumerate(topic_list) for a, b in t["relevant_text_span"])
    labels: list[int | None] = [None] * n
    for a, b, k in spans:
        for i in range(a, min(b, n - 1) + 1):
            labels[i] = k
    first = next(lab for lab in labels if lab is not None)
    out, current = [], first
    for lab in labels:
        current = current if lab is None else lab
        out.append(current)
    return out


def load_qmsum(path: Path, min_units: float = 15.0, max_units: float = math.inf) -> Case:
    """A QMSum meeting with time = utterance index; every speaker is a 'professional' (no question cue)."""
    meeting = json.loads(path.read_text(encoding="utf-8"))
    turns = meeting["meeting_transcripts"]
    texts = [re.sub(r"\s+", " ", re.sub(r"\{\w+\}", " ", t["content"])).strip() or "..." for t in turns]
    attributed = _transcript([(float(i), float(i + 1), text, "professional") for i, text in enumerate(texts)])
    labels = qmsum_labels(meeting["topic_list"], len(turns))
    reference = tuple(float(i) for i in range(1, len(labels)) if labels[i] != labels[i - 1])
    return Case(path.stem, "qmsum", attributed, reference, float(len(turns)), 1.0, 1.0, min_units, max_units)


def load_cases(sets: Sequence[str], min_s: float = 12.0, max_s: float = 180.0,
               qmsum_max: float = math.inf) -> list[Case]:
    cases = [load_call(p, min_s, max_s) for p in CALLS] if "calls" in sets else []
    if "qmsum" in sets:
        cases += [load_qmsum(p, 15.0, qmsum_max) for p in sorted(QMSUM_DIR.glob("*.json"))]
    return cases


def cached(embed: Embed, folder: Path) -> Embed:
    """Memoise an embedding function on disk by the hash of its input texts."""
    folder.mkdir(parents=True, exist_ok=True)

    def run(texts: Sequence[str]) -> np.ndarray:
        key = hashlib.sha256("\x1f".join(texts).encode()).hexdigest()[:24]
        file = folder / f"{key}.npy"
        if file.is_file():
            return np.load(file)
        vectors = np.asarray(embed(texts), dtype=np.float32)
        np.save(file, vectors)
        return vectors

    return run


# --- baselines -------------------------------------------------------------------------------------------
def _smooth(x: np.ndarray, width: int) -> np.ndarray:
    """Flat moving average with reflected edges, same length (SciPy-cookbook smoothing, ClipsAI's choice)."""
    if width < 3 or len(x) < width:
        return x
    half = width // 2
    padded = np.concatenate([x[half:0:-1], x, x[-2 : -half - 2 : -1]])
    return np.convolve(padded, np.ones(width) / width, mode="valid")


def texttiling_e5(vectors: np.ndarray, k: int = 7, smoothing: int = 3) -> list[int]:
    """ClipsAI's TextTiler on utterance vectors; returns cut indices (a cut before utterance i)."""
    n = len(vectors)
    if n < 3:
        return []
    if k >= n:
        k = max(n // 5, 2)
    gaps = np.empty(n - 1)
    for g in range(n - 1):
        left, right = vectors[max(0, g - k + 1) : g + 1].mean(axis=0), vectors[g + 1 : g + 1 + k].mean(axis=0)
        gaps[g] = float(left @ right) / (float(np.linalg.norm(left) * np.linalg.norm(right)) or 1.0)
    gaps = _smooth(gaps, smoothing)
    depth = np.zeros(len(gaps))
    for g in range(len(gaps)):
        lp = rp = gaps[g]
        for i in range(g, -1, -1):
            if gaps[i] < lp:
                break
            lp = gaps[i]
        for i in range(g, len(gaps)):
            if gaps[i] < rp:
                break
            rp = gaps[i]
        depth[g] = (lp - gaps[g]) + (rp - gaps[g])
    cutoff = depth.mean() + depth.std()
    cuts = []
    for g in range(len(depth)):
        left, right = depth[max(0, g - 1)], depth[min(g + 1, len(depth) - 1)]
        if depth[g] > cutoff and depth[g] >= left and depth[g] >= right and not (depth[g] == left == right):
            cuts.append(g + 1)
    return cuts


def texttiling_nltk(texts: Sequence[str], stopwords: Sequence[str]) -> list[int] | None:
    """NLTK's TextTilingTokenizer with the utterances as paragraphs; None when NLTK is missing or fails."""
    try:
        from nltk.tokenize import TextTilingTokenizer
    except ImportError:
        return None
    text = "\n\n".join(t.replace("\n", " ") for t in texts)
    starts = [0]
    for t in texts[:-1]:
        starts.append(starts[-1] + len(t.replace("\n", " ")) + 2)
    try:
        pieces = TextTilingTokenizer(w=20, k=10, stopwords=list(stopwords)).tokenize(text)
    except Exception:  # noqa: BLE001 - NLTK raises ValueError/IndexError on texts too short for its blocks
        return None
    cuts, offset = [], 0
    for piece in pieces[:-1]:
        offset += len(piece)
        i = bisect.bisect_left(starts, offset)
        if 0 < i < len(texts):
            cuts.append(i)
    return sorted(set(cuts))


# --- scoring ---------------------------------------------------------------------------------------------
def cut_times(utts: Sequence[Utterance], cuts: Sequence[int]) -> list[float]:
    """Time of a cut before utterance i: midpoint between the previous utterance's end and its start."""
    return [(min(utts[i - 1].end, utts[i].start) + utts[i].start) / 2 for i in cuts]


def out_of_bounds(utts: Sequence[Utterance], cuts: Sequence[int], min_s: float, max_s: float) -> int:
    edges = [0, *cuts, len(utts)]
    lengths = [utts[b - 1].end - utts[a].start for a, b in zip(edges, edges[1:]) if b > a]
    return sum(1 for x in lengths if x < min_s or x > max_s)


def score(case: Case, method: str, cuts: Sequence[int]) -> Row:
    utts = case.attributed.utterances
    hyp = cut_times(utts, cuts)
    pk, wd = pk_windowdiff(case.reference, hyp, case.duration, step=case.step)
    f1 = boundary_f1(case.reference, hyp, tolerance=case.tolerance)[2]
    return Row(case.name, method, pk, wd, f1, len(case.reference), len(hyp),
               out_of_bounds(utts, cuts, case.min_s, case.max_s))


def our_cuts(case: Case, embed: Embed, params: SegmenterParams | None = None) -> list[int]:
    base = params or SegmenterParams()
    from dataclasses import replace

    segs = segment_topics(case.attributed, embed, replace(base, min_s=case.min_s, max_s=case.max_s))
    return [s.first_utterance for s in segs[1:]]


def evaluate(case: Case, embed: Embed, params: SegmenterParams | None = None, nltk: bool = True) -> list[Row]:
    utts = case.attributed.utterances
    texts = [u.text for u in utts]
    rows = [score(case, "ours", our_cuts(case, embed, params)),
            score(case, "tt-e5", texttiling_e5(embed(texts)))]
    if nltk:
        stop = sorted(__import__("search_api.text", fromlist=["x"]).FRENCH_STOP_WORDS) if case.dataset == "calls" \
            else ENGLISH_STOP_WORDS
        nltk_cuts = texttiling_nltk(texts, stop)
        if nltk_cuts is not None:
            rows.append(score(case, "tt-nltk", nltk_cuts))
    rows.append(score(case, "none", []))
    return rows


def label_accuracy(case: Case, embed_passages: Embed, embed_queries: Embed) -> list[tuple[str, str, float]]:
    """(ground truth, predicted, confidence) for each ground-truth topic segment, labelled like enrich_clips."""
    utts = case.attributed.utterances
    texts = [" ".join(u.text for u in utts[a : b + 1]) for a, b, _ in case.topics]
    labels = list(TOPICS)
    topic_vecs = embed_queries([TOPICS[label] for label in labels])
    clip_vecs = embed_passages(texts)
    return [(gt, *label_topic(v, topic_vecs, labels)) for (_, _, gt), v in zip(case.topics, clip_vecs)]


def format_table(rows: Sequence[Row]) -> str:
    lines = [f"{'set/case':<22}{'method':<9}{'Pk':>7}{'WD':>7}{'F1':>7}{'#ref':>6}{'#hyp':>6}{'out':>5}"]
    for r in rows:
        lines.append(f"{r.case:<22}{r.method:<9}{r.pk:7.3f}{r.wd:7.3f}{r.f1:7.3f}{r.n_ref:6d}{r.n_hyp:6d}{r.out:5d}")
    return "\n".join(lines)


def mean_rows(rows: Sequence[Row], name: str) -> list[Row]:
    out = []
    for method in dict.fromkeys(r.method for r in rows):
        rs = [r for r in rows if r.method == method]
        out.append(Row(name, method, float(np.mean([r.pk for r in rs])), float(np.mean([r.wd for r in rs])),
                       float(np.mean([r.f1 for r in rs])), sum(r.n_ref for r in rs), sum(r.n_hyp for r in rs),
                       sum(r.out for r in rs)))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sets", nargs="+", default=["calls", "qmsum"], choices=["calls", "qmsum"])
    ap.add_argument("--model", type=Path, default=E5_DIR)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/vidlib_eval_segmentation"))
    ap.add_argument("--min-s", type=float, default=12.0, help="calls: min segment length (s)")
    ap.add_argument("--max-s", type=float, default=180.0, help="calls: max segment length (s)")
    ap.add_argument("--qmsum-max", type=float, default=math.inf, help="qmsum: max segment length (utterances)")
    args = ap.parse_args(argv)

    from models.text_embedder import TextEmbedder

    embedder = TextEmbedder(args.model, threads=2)
    passages = cached(embedder.embed_passages, args.cache / "passages")
    queries = cached(embedder.embed_queries, args.cache / "queries")
    cases = load_cases(args.sets, args.min_s, args.max_s, args.qmsum_max)
    rows: list[Row] = []
    for dataset in args.sets:
        case_rows = [r for c in cases if c.dataset == dataset for r in evaluate(c, passages)]
        rows += case_rows + mean_rows(case_rows, f"{dataset} (mean)")
    print(format_table(rows))
    for dataset in args.sets:
        ours = next(r for r in rows if r.case == f"{dataset} (mean)" and r.method == "ours")
        tt = next(r for r in rows if r.case == f"{dataset} (mean)" and r.method == "tt-e5")
        print(f"{dataset}: Pk ours {ours.pk:.3f} vs tt-e5 {tt.pk:.3f}: {100 * (1 - ours.pk / tt.pk):+.0f} % relative")
    calls = [c for c in cases if c.dataset == "calls"]
    if calls:
        results = [(c.name, r) for c in calls for r in label_accuracy(c, passages, queries)]
        hits = sum(gt == pred for _, (gt, pred, _) in results)
        print(f"\ntopic labels on ground-truth segments: {hits}/{len(results)} = {hits / len(results):.0%}")
        for name, (gt, pred, conf) in results:
            print(f"  {name:<15}{gt:<17}{'ok ' if gt == pred else 'ERR'} {pred:<17}{conf:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
