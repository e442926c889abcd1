"""Turn topic segments into clip specs whose edges sit on word edges, with a small breathing margin."""

from __future__ import annotations

from collections.abc import Sequence

from vidlib.domain import AttributedTranscript, ClipSpec, TopicSegment
from vidlib.ids import clip_id_for

MARGIN_S = 0.25
TOUCH_S = 0.005
ONSET_BIAS_S = 0.001


def plan_clips(
    recording_id: str, attributed: AttributedTranscript, segments: Sequence[TopicSegment], duration_s: float
) -> tuple[ClipSpec, ...]:
    """One clip per topic segment. Start just before its first word, end just after its last word,
    without reaching into the neighbouring words."""
    words, utts = attributed.words, attributed.utterances
    clips = []
    for index, seg in enumerate(segments):
        first = utts[seg.first_utterance].first_word
        last = utts[seg.last_utterance].last_word
        prev_end = words[first - 1].end if first > 0 else 0.0
        next_start = words[last + 1].start if last + 1 < len(words) else duration_s
        start = max(prev_end, words[first].start - MARGIN_S, 0.0)
        end = min(next_start, words[last].end + MARGIN_S, duration_s)
        # words that overlap (Whisper's times of two speakers' words can): the cut goes halfway, so that neither
        # word loses more than half the overlap, and the two clips still meet. Words that touch (no gap): the cut
        # lands on the nearest video frame, up to half a frame away; aim a hair before the next word's onset so that
        # it is never the next word that loses its first sound
        if first > 0 and words[first].start < prev_end:
            start = (words[first].start + prev_end) / 2
        elif first > 0 and words[first].start - prev_end < TOUCH_S:
            start = max(words[first].start - ONSET_BIAS_S, 0.0)
        if last + 1 < len(words) and next_start < words[last].end:
            end = (next_start + words[last].end) / 2
        elif last + 1 < len(words) and next_start - words[last].end < TOUCH_S:
            end = next_start - ONSET_BIAS_S
        start, end = round(start, 3), round(end, 3)
        clips.append(
            ClipSpec(
                clip_id=clip_id_for(recording_id, start, end),
                recording_id=recording_id,
                index=index,
                start=start,
                end=end,
                first_utterance=seg.first_utterance,
                last_utterance=seg.last_utterance,
                chapter=seg.chapter,
            )
        )
    return tuple(clips)
