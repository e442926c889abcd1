"""Redaction: mask words in the transcript ("[masqué]") and bleep their time span in a clip's audio.

Spans are seconds of the recording. A word is masked when its middle lies in a span; the bleeped span is
the requested span widened to cover the masked words whole. The bleep is a 1 kHz tone that replaces the
audio of the span (the original sound is silenced under it); the video stream is copied untouched.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import ffmpeg

from vidlib.domain import AttributedTranscript, Redaction, Sentence, Transcript
from vidlib.pipelines.stages.media_probe import run_ffmpeg
from vidlib.wording import join_words

MASK = "[masqué]"
BLEEP_HZ = 1000
BLEEP_VOLUME = 2.0  # ffmpeg's sine source is at 1/8 of full scale: 0.25 peak, about -15 dBFS RMS
_REPEATED_MASK = re.compile(rf"{re.escape(MASK)}(?:\s+{re.escape(MASK)})+")


def _inside(start: float, end: float, spans: Sequence[Redaction]) -> bool:
    middle = (start + end) / 2
    return any(s.start <= middle <= s.end for s in spans)


def collapse_masks(text: str) -> str:
    """ "[masqué] [masqué]" (a masked first and last name) reads as one "[masqué]"."""
    return _REPEATED_MASK.sub(MASK, text)


def widen_to_words(spans: Sequence[Redaction], attributed: AttributedTranscript) -> tuple[Redaction, ...]:
    """Each span widened to cover whole the words it masks."""
    out = []
    for span in spans:
        words = [w for w in attributed.words if _inside(w.start, w.end, (span,))]
        out.append(Redaction(min([span.start, *(w.start for w in words)]), max([span.end, *(w.end for w in words)])))
    return tuple(out)


def mask_attributed(attributed: AttributedTranscript, spans: Sequence[Redaction]) -> tuple[AttributedTranscript, int]:
    """The transcript with every word inside ``spans`` replaced by MASK, utterance texts rebuilt; and how many
    words were masked."""
    masked = {i for i, w in enumerate(attributed.words) if w.text.strip() != MASK and _inside(w.start, w.end, spans)}
    if not masked:
        return attributed, 0
    words = tuple(replace(w, text=f" {MASK}") if i in masked else w for i, w in enumerate(attributed.words))
    utterances = tuple(
        replace(u, text=collapse_masks(join_words(w.text for w in words[u.first_word : u.last_word + 1])))
        if any(u.first_word <= i <= u.last_word for i in masked)
        else u
        for u in attributed.utterances
    )
    return replace(attributed, words=words, utterances=utterances), len(masked)


def mask_transcript(transcript: Transcript, spans: Sequence[Redaction]) -> Transcript:
    """The ASR transcript with the same words masked (it is kept in the manifest and the stage results)."""

    def sentence(s: Sentence) -> Sentence:
        words = tuple(replace(w, text=f" {MASK}") if _inside(w.start, w.end, spans) else w for w in s.words)
        if words == s.words:
            return s
        return replace(s, words=words, text=collapse_masks(join_words(w.text for w in words)))

    return replace(transcript, sentences=tuple(sentence(s) for s in transcript.sentences))


def _enable(spans: Sequence[tuple[float, float]]) -> str:
    return "+".join(f"between(t,{a:.3f},{b:.3f})" for a, b in spans)


def bleep_audio(source: Path, dest: Path, spans: Sequence[tuple[float, float]], *, has_video: bool) -> Path:
    """Copy ``source`` (a clip) to ``dest`` with a 1 kHz tone instead of the sound in ``spans`` (seconds of the
    clip). Video is stream-copied; audio is re-encoded to AAC."""
    kept = [(max(0.0, a), b) for a, b in spans if b > max(0.0, a)]
    if not kept:
        raise ValueError("no span to bleep")
    when = _enable(kept)
    src = ffmpeg.input(str(source))
    muted = src.audio.filter("volume", volume=0, enable=when)
    tone = ffmpeg.input(f"sine=frequency={BLEEP_HZ}:sample_rate=48000", f="lavfi").filter(
        "volume", volume=f"if({when},{BLEEP_VOLUME},0)", eval="frame"
    )
    audio = ffmpeg.filter([muted, tone], "amix", inputs=2, duration="first", normalize=0)
    streams = [src.video, audio] if has_video else [audio]
    video_args = {"vcodec": "copy"} if has_video else {"vn": None}
    out = ffmpeg.output(*streams, str(dest), acodec="aac", audio_bitrate="128k", movflags="+faststart", **video_args)
    run_ffmpeg(out, source=source, doing="bleeping the redacted span")
    return dest
