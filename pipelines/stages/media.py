"""The media stage: probe and refuse (``media_probe``), cut clips (``media_cut``), write their subtitles (here).

``write_webvtt`` turns the speaker-attributed words of one clip into WebVTT cues of whole words, timed
from the clip's start, one speaker per cue, labelled with a ``<v Speaker>`` voice span when the speaker
changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from vidlib.domain import SpokenWord
from vidlib.pipelines.stages.media_cut import CutOptions, CutResult, StepHook, cut_clips
from vidlib.pipelines.stages.media_probe import (
    AUDIO_SAMPLE_RATE,
    Pcm16Wav,
    extract_audio,
    load_wav,
    map_pcm16_wav,
    probe_media,
    speech_activity_ratio,
)
from vidlib.wording import join_words

__all__ = [
    "AUDIO_SAMPLE_RATE",
    "Pcm16Wav",
    "CutOptions",
    "CutResult",
    "StepHook",
    "cut_clips",
    "extract_audio",
    "load_wav",
    "map_pcm16_wav",
    "probe_media",
    "speech_activity_ratio",
    "write_webvtt",
]

PAUSE_BREAK_S = 1.2  # a silence this long starts a new cue
MIN_CUE_S = 0.8  # short cues are held this long when the next cue leaves room
FLASH_S = 0.3  # a cue its neighbours leave less time than this joins the cue before
_SENTENCE_END = (".", "?", "!", "…")


@dataclass(frozen=True)
class _Word:
    start_ms: int
    end_ms: int
    text: str
    speaker: str


def write_webvtt(
    words: Sequence[SpokenWord], clip_start: float, clip_end: float, *, max_chars: int = 84, max_cue_s: float = 6.0
) -> str:
    """WebVTT subtitles for the words of ``[clip_start, clip_end)`` (seconds of the recording).

    A word belongs to the clip when its middle does. Cues hold whole words (a single word longer than
    ``max_chars`` gets a cue of its own), last at most ``max_cue_s``, never overlap and never leave the clip. A
    word of punctuation alone never opens a cue, and a cue left less than ``FLASH_S`` on screen joins the one
    before it.
    """
    clip_ms = round((clip_end - clip_start) * 1000)
    max_cue_ms = round(max_cue_s * 1000)
    cues = _group(_clip_words(words, clip_start, clip_end, clip_ms), max_chars, max_cue_ms)
    timed: list[tuple[int, int, list[_Word]]] = []
    previous_end = 0
    for i, cue in enumerate(cues):
        start = max(cue[0].start_ms, previous_end)
        if start >= clip_ms:
            break  # only words squeezed against the clip's end by rounding get here
        next_start = cues[i + 1][0].start_ms if i + 1 < len(cues) else clip_ms
        end = min(max(cue[-1].end_ms, start + 1), start + max_cue_ms, clip_ms)
        held = min(start + round(MIN_CUE_S * 1000), start + max_cue_ms, clip_ms, max(next_start, end))
        end = max(end, held)
        if timed and end - start < round(FLASH_S * 1000):
            # squeezed between its neighbours (a word of overlapping speech, a word said over the other speaker):
            # shown that briefly nobody reads it, so its words join the cue before, which then lasts until its end
            before_start, _, before_words = timed[-1]
            timed[-1] = (before_start, end, before_words + cue)
        else:
            timed.append((start, end, cue))
        previous_end = end
    blocks, previous_speaker = [], None
    for start, end, cue in timed:
        speaker = cue[0].speaker
        text = _escape(_two_lines(join_words(w.text for w in cue), max_chars))
        if speaker and speaker != previous_speaker:
            text = f"<v {_escape(' '.join(speaker.split()))}>{text}</v>"
        blocks.append(f"{_vtt_time(start)} --> {_vtt_time(end)}\n{text}")
        previous_speaker = speaker
    return ("WEBVTT\n\n" + "\n\n".join(blocks) + "\n") if blocks else "WEBVTT\n"


def _clip_words(words: Sequence[SpokenWord], clip_start: float, clip_end: float, clip_ms: int) -> list[_Word]:
    kept = []
    for w in words:
        text = " ".join(w.text.split())
        if text and clip_start <= (w.start + w.end) / 2 < clip_end:
            start = min(max(round((w.start - clip_start) * 1000), 0), clip_ms)
            end = min(max(round((w.end - clip_start) * 1000), start), clip_ms)
            kept.append(_Word(start, end, text, w.speaker))
    return sorted(kept, key=lambda w: w.start_ms)


def _group(words: list[_Word], max_chars: int, max_cue_ms: int) -> list[list[_Word]]:
    cues: list[list[_Word]] = []
    for word in words:
        cue = cues[-1] if cues else None
        if cue is None or _breaks(cue, word, max_chars, max_cue_ms):
            cues.append([word])
        else:
            cue.append(word)
    return cues


def _breaks(cue: list[_Word], word: _Word, max_chars: int, max_cue_ms: int) -> bool:
    last, length = cue[-1], sum(len(w.text) + 1 for w in cue) - 1
    if not any(c.isalnum() for c in word.text):  # a closing quote, a dash, a lone "?": it ends the cue before
        return False
    return (
        word.speaker != last.speaker
        or length + 1 + len(word.text) > max_chars
        or word.end_ms - cue[0].start_ms > max_cue_ms
        or word.start_ms - last.end_ms >= round(PAUSE_BREAK_S * 1000)
        or (last.text.endswith(_SENTENCE_END) and length >= max_chars // 3)
    )


def _two_lines(text: str, max_chars: int) -> str:
    """Break a long cue at the space nearest its middle, so it reads as two balanced lines."""
    if len(text) <= max_chars // 2 or " " not in text:
        return text
    middle = len(text) // 2
    cut = min((i for i, c in enumerate(text) if c == " "), key=lambda i: abs(i - middle))
    return f"{text[:cut]}\n{text[cut + 1 :]}"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _vtt_time(ms: int) -> str:
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"
