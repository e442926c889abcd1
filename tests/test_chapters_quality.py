"""Chapters, labels and clips on what the real pipeline produced for two annotated calls, with the real e5 model.

The transcription and diarisation of ``rec06_avocate`` (3 min, two synthetic voices that diarisation confuses),
``rec21_cheffe_chantier`` (17 min) and ``rec22_educateur`` (16 min, a father joining; its salary question heard as
"Et au niveau du salaire, ça donne pouvoir.") were stored by ``python -m bench.eval_chapters --export`` from a
real run of vidlib on ../shared/data (tests/data/pipeline_outputs/README.md); the text stages run again here on
them. The bounds sit a little above the figures measured with the default parameters (docs/benchmarks.md), a margin
for CPU numerics, not for regressions.
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from bench.common import pk_windowdiff
from bench.eval_chapters import ACCEPTED
from vidlib.domain import ConsentRecord, Diarization, Transcript
from vidlib.pipelines.stages.attribute import attribute_speakers
from vidlib.pipelines.stages.chapters import plan_chapters
from vidlib.pipelines.stages.enrich import enrich_clips
from vidlib.pipelines.stages.plan import plan_clips
from vidlib.pipelines.stages.segment import split_chapters

OUTPUTS = Path(__file__).parent / "data" / "pipeline_outputs"
# call: (chapter Pk at most, label accuracy at least)
BOUNDS = {"rec06_avocate": (0.05, 0.85), "rec21_cheffe_chantier": (0.12, 0.85), "rec22_educateur": (0.08, 0.85)}


def _e5_dir() -> Path | None:
    for folder in (os.environ.get("VIDLIB_MODELS_DIR"), str(Path.home() / ".vidlib" / "models")):
        if folder and (Path(folder) / "e5-small" / ".complete").is_file():
            return Path(folder) / "e5-small"
    return None


@pytest.fixture(scope="module")
def embedder():  # type: ignore[no-untyped-def]
    model = _e5_dir()
    if model is None:
        pytest.skip("multilingual-e5-small is not installed (vidlib models install)")
    from vidlib.models.text_embedder import TextEmbedder

    return TextEmbedder(model, threads=2)


def _load(name: str) -> dict[str, Any]:
    return json.loads(gzip.decompress((OUTPUTS / f"{name}.json.gz").read_bytes()))


@pytest.mark.parametrize("name", sorted(BOUNDS))
def test_chapters_labels_and_clips_on_real_pipeline_output(name: str, embedder) -> None:  # type: ignore[no-untyped-def]
    doc = _load(name)
    transcript = TypeAdapter(Transcript).validate_python(doc["transcript"])
    diarization = TypeAdapter(Diarization).validate_python(doc["diarization"])
    consent = TypeAdapter(ConsentRecord).validate_python(doc["consent"])
    attributed = attribute_speakers(transcript, diarization, consent)
    duration = doc["duration_s"]
    chapters = plan_chapters(attributed, embedder.embed_passages, embedder.embed_queries, duration_s=duration)
    segments = split_chapters(attributed, chapters)
    clips = plan_clips("rec_test", attributed, segments, duration)
    enriched = enrich_clips(clips, attributed, chapters)

    topics = doc["topics"]
    pk, _ = pk_windowdiff([(t["start"], t["end"]) for t in topics], [(c.start, c.end) for c in chapters], duration)
    right = 0
    for t in topics:
        mid = (t["start"] + t["end"]) / 2
        ours = next((c.topic for c in chapters if c.start <= mid <= c.end), "")
        right += ours in ACCEPTED[t["label"]]
    max_pk, min_acc = BOUNDS[name]
    assert pk <= max_pk, f"chapter Pk {pk:.3f}"
    assert right / len(topics) >= min_acc, f"label accuracy {right}/{len(topics)}"
    # clips: inside their chapter, edges on word edges, a title each
    words = attributed.words
    for clip, seg in zip(clips, segments):
        chapter = chapters[seg.chapter]
        assert chapter.first_utterance <= seg.first_utterance and seg.last_utterance <= chapter.last_utterance
        for edge in (clip.start, clip.end):
            assert not any(w.start + 0.02 < edge < w.end - 0.02 for w in words)
    assert all(e.title and e.topic == chapters[s.chapter].topic for e, s in zip(enriched, segments))
