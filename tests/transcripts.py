"""Small hand-made attributed transcripts for unit tests of the text stages."""

from __future__ import annotations

from vidlib.domain import AttributedTranscript, SpokenWord, Utterance
from vidlib.pipelines.stages.attribute import is_question


def make_transcript(lines: list[tuple[str, str, float]], pause: float = 0.5) -> AttributedTranscript:
    """``lines``: (role, text, duration_s). Speakers are named after roles; words are spread evenly."""
    words: list[SpokenWord] = []
    utts: list[Utterance] = []
    t = 0.0
    for role, text, duration in lines:
        tokens = text.split()
        step = duration / len(tokens)
        first = len(words)
        for k, tok in enumerate(tokens):
            words.append(SpokenWord(t + k * step, t + (k + 1) * step - 0.05, tok, role))
        utts.append(Utterance(t, t + duration - 0.05, role, role, text, first, len(words) - 1, is_question(text)))
        t += duration + pause
    roles = tuple(sorted({(r, r) for r, _, _ in lines}))
    return AttributedTranscript(tuple(words), tuple(utts), roles)  # type: ignore[arg-type]
