"""Segmentation quality on the French calls' ground truth with the real e5 embedder, and the cue logic.

Measured with bench/eval_segmentation.py and the default SegmenterParams: Pk 0.082 (rec04_dev_web) and
0.096 (rec06_avocate). The thresholds leave a small margin for numeric drift, not for regressions.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from bench.eval_segmentation import CALLS, cut_times, load_call
from pipelines.evaluation import pk_windowdiff
from pipelines.stages.segment import SegmenterParams, lead_in_start, question_cues, segment_topics, turn_starts
from tests.transcripts import make_transcript

# measured 0.030 and 0.036 with the defaults (bench/eval_segmentation.py); a margin for CPU numerics
PK_MAX = {"rec04_dev_web": 0.06, "rec06_avocate": 0.07}


def _e5_dir() -> Path | None:
    for folder in (os.environ.get("VIDLIB_MODELS_DIR"), str(Path.home() / ".vidlib" / "models")):
        if folder and (Path(folder) / "e5-small" / "model.safetensors").is_file():
            return Path(folder) / "e5-small"
    return None


@pytest.fixture(scope="module")
def embed_passages():  # type: ignore[no-untyped-def]
    model = _e5_dir()
    if model is None:
        pytest.skip("multilingual-e5-small is not installed (vidlib models install)")
    from models.text_embedder import TextEmbedder

    return TextEmbedder(model, threads=2).embed_passages


@pytest.mark.parametrize("path", CALLS, ids=lambda p: p.stem)
def test_french_call_pk_stays_low(path: Path, embed_passages) -> None:  # type: ignore[no-untyped-def]
    if not path.is_file():
        pytest.skip(f"{path} is not here")
    case = load_call(path)
    utts = case.attributed.utterances
    segs = segment_topics(case.attributed, embed_passages, SegmenterParams())
    hyp = cut_times(utts, [s.first_utterance for s in segs[1:]])
    pk, _ = pk_windowdiff(case.reference, hyp, case.duration)
    assert pk <= PK_MAX[path.stem], f"Pk {pk:.3f}"
    assert all(s.end - s.start >= SegmenterParams().min_s for s in segs)


def test_cue_moves_back_over_a_short_acknowledgement_only() -> None:
    att = make_transcript([
        ("professional", "je code des pages et des serveurs pour les restaurants " * 3, 20.0),
        ("student", "Ah d'accord.", 1.0),
        ("student", "Et tu gagnes combien ?", 2.0),
        ("professional", "deux mille euros net par mois au début " * 3, 20.0),
        ("student", "Moi aussi je voudrais faire ça plus tard.", 3.0),
        ("student", "Quelles études faut-il faire ?", 2.0),
    ])
    utts = att.utterances
    starts = turn_starts(utts)
    assert lead_in_start(utts, 2, starts[2]) == 1
    assert lead_in_start(utts, 5, starts[5]) == 5
    cues = question_cues(utts, SegmenterParams())
    assert cues[1] == 1.0 and cues[2] == 0.0
    assert cues[4] == 0.0 and cues[5] == 1.0


def test_question_cue_grows_with_the_answer_before_it() -> None:
    def cue_after(answer_s: float) -> float:
        att = make_transcript([("student", "Bonjour.", 1.0), ("professional", "oui bonjour " * 4, answer_s),
                               ("student", "Quelles études faut-il faire ?", 2.0)])
        return float(question_cues(att.utterances, SegmenterParams())[2])

    params = SegmenterParams()
    short, mid, long = cue_after(1.0), cue_after(params.long_answer_s / 2), cue_after(params.long_answer_s * 2)
    assert params.followup_weight < short < mid < long == params.question_weight


def test_follow_up_keeps_the_talk_count_of_the_topic() -> None:
    att = make_transcript([
        ("student", "Bonjour.", 1.0),
        ("professional", "je travaille la nuit en cardiologie " * 3, 12.0),
        ("student", "Même la nuit ?", 1.0),
        ("professional", "oui souvent", 1.0),
        ("student", "Et le salaire ?", 1.5),
    ])
    cues = question_cues(att.utterances, SegmenterParams())
    assert cues[2] == SegmenterParams().followup_weight
    assert cues[4] == 1.0  # the follow-up did not reset the professional's 12 s of talk


def test_similarity_alone_cuts_only_at_a_clear_shift() -> None:
    topic_a, topic_b = np.eye(4)[0], np.eye(4)[1]
    lines = [("professional", f"phrase {i}", 6.0) for i in range(12)]
    att = make_transcript(lines, pause=0.0)
    shifted = lambda texts: np.array([topic_a if i < 6 else topic_b for i in range(len(texts))])  # noqa: E731
    segs = segment_topics(att, shifted, SegmenterParams())
    assert [s.first_utterance for s in segs[1:]] == [6]
    flat = segment_topics(att, lambda texts: np.ones((len(texts), 4)), SegmenterParams())
    assert len(flat) == 1
