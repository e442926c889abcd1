"""Corpora for the search benchmark (bench/eval_search.py): ground-truth clips and synthetic clips.

* ``truth_clips``: one clip per ground-truth topic segment of ../shared/data/calls/*.json. Text = the segment's
  turns in order; title = the segment's opening question (``question``) or else the first sentence of its first
  turn, never the ground-truth ``title`` (it would leak the answer); keyphrases = ``enrich.keyphrases`` over the
  recording's clips, as ``enrich_clips`` computes them. Dense text and sparse text are built as
  ``vidlib.pipelines.indexing`` builds them.
* ``synthetic_clips``: random unit vectors (dim 384) and sparse vectors of stems drawn from the real corpus'
  vocabulary with their real frequencies, for latency only.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vidlib.ids import clip_id_for
from vidlib.pipelines.stages.enrich import keyphrases
from vidlib.storage.index import IndexedClip
from vidlib.text import analyze, sparse_terms, term_index

EmbedFn = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class TruthClip:
    recording_id: str
    segment_id: str
    start: float
    end: float
    title: str
    text: str
    keyphrases: tuple[str, ...]
    job: str
    sector: str

    @property
    def clip_id(self) -> str:
        return clip_id_for(self.recording_id, self.start, self.end)

    @property
    def passage_text(self) -> str:  # pipelines.indexing.passage_text
        return f"{self.title}. {self.text}"

    @property
    def sparse_text(self) -> str:  # pipelines.indexing.reindex_manifest
        return f"{self.title} {' '.join(self.keyphrases)} {self.text}"


def _first_sentence(turn: dict) -> str:
    sentences = turn.get("sentences") or []
    return (sentences[0]["text"] if sentences else turn["text"]).strip()


def truth_clips(truth_files: Sequence[Path]) -> list[TruthClip]:
    clips: list[TruthClip] = []
    for path in truth_files:
        truth = json.loads(path.read_text(encoding="utf-8"))
        turns = {t["id"]: t for t in truth["turns"]}
        segments = truth["topic_segments"]
        texts = [" ".join(turns[i]["text"] for i in seg["turn_ids"]) for seg in segments]
        for k, seg in enumerate(segments):
            title = seg.get("question") or _first_sentence(turns[seg["turn_ids"][0]])
            clips.append(
                TruthClip(
                    recording_id=truth["recording_id"],
                    segment_id=seg["id"],
                    start=float(seg["start"]),
                    end=float(seg["end"]),
                    title=title,
                    text=texts[k],
                    keyphrases=keyphrases(texts[k], texts[:k] + texts[k + 1 :]),
                    job=truth["job"]["label"],
                    sector=truth["job"]["sector"],
                )
            )
    return clips


def index_truth_clips(clips: Sequence[TruthClip], embed_passages: EmbedFn) -> list[IndexedClip]:
    vectors = embed_passages([c.passage_text for c in clips])
    out = []
    for clip, vec in zip(clips, vectors):
        idx, vals = sparse_terms(clip.sparse_text)
        payload = {
            "recording_id": clip.recording_id,
            "segment_id": clip.segment_id,
            "start": clip.start,
            "end": clip.end,
            "title": clip.title,
            "text": clip.text,
            "keyphrases": list(clip.keyphrases),
            "job": clip.job,
            "sector": clip.sector,
            "state": "published",
        }
        out.append(IndexedClip(clip.clip_id, tuple(float(x) for x in vec), tuple(idx), tuple(vals), payload))
    return out


def vocabulary(clips: Sequence[TruthClip]) -> Counter[str]:
    """Stemmed content terms of the corpus with their frequencies (what ``sparse_terms`` indexes)."""
    return Counter(term for c in clips for term in analyze(c.sparse_text))


def synthetic_clips(
    n: int, vocab: Counter[str], *, jobs: int = 30, dim: int = 384, seed: int = 0, batch: int = 1000
) -> Iterator[list[IndexedClip]]:
    """``n`` synthetic clips in batches: unit vectors, 40-200 terms each drawn by real frequency, 30 jobs,
    90% published. Sparse values use ``sparse_terms``' saturation tf*2.2/(tf+1.2) over ``term_index``."""
    rng = np.random.default_rng(seed)
    pick = random.Random(seed)
    terms = list(vocab)
    weights = np.array([vocab[t] for t in terms], dtype=float)
    weights /= weights.sum()
    term_ids = np.array([term_index(t) for t in terms], dtype=np.int64)
    for start in range(0, n, batch):
        size = min(batch, n - start)
        vectors = rng.standard_normal((size, dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        out = []
        for row in range(size):
            i = start + row
            drawn = rng.choice(len(terms), size=int(rng.integers(40, 201)), p=weights)
            uniq, tf = np.unique(term_ids[drawn], return_counts=True)
            order = np.argsort(uniq)
            values = tf[order] * 2.2 / (tf[order] + 1.2)
            payload = {
                "recording_id": f"syn_rec_{i // 10:06d}",
                "segment_id": f"syn_{i:07d}",
                "job": f"job_{pick.randrange(jobs):02d}",
                "sector": "synthetic",
                "state": "published" if pick.random() < 0.9 else "pending_review",
                "title": "",
                "text": "",
            }
            out.append(
                IndexedClip(
                    f"syn_clip_{i:07d}",
                    tuple(vectors[row].tolist()),
                    tuple(int(x) for x in uniq[order]),
                    tuple(float(v) for v in values),
                    payload,
                )
            )
        yield out
