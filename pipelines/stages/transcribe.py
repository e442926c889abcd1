"""Speech to text with faster-whisper: word timestamps, VAD, guards against hallucination."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from vidlib.domain import Sentence, Transcript, Word
from vidlib.errors import MediaError, StageError
from vidlib.wording import join_words

SAMPLE_RATE = 16_000


@dataclass(frozen=True)
class TranscribeOptions:
    language: str | None = None  # None: detected per call
    beam_size: int = 1
    batch_size: int = 0  # >0: faster-whisper's BatchedInferencePipeline (GPU)
    vad_min_silence_ms: int = 500
    # Guards for long files and silence: no conditioning on previous text (no runaway repetition),
    # drop segments judged silent, and skip hallucinated text inside long silences.
    condition_on_previous_text: bool = False
    # Decoding retries at higher temperatures when a window looks wrong; each retry costs a full decode,
    # so the list is short (Whisper's default has six steps).
    temperatures: tuple[float, ...] = (0.0, 0.4)
    no_speech_threshold: float = 0.6
    compression_ratio_threshold: float = 2.4
    log_prob_threshold: float = -1.0
    hallucination_silence_threshold: float = 2.0


def transcribe(
    model: Any,
    samples: np.ndarray,
    options: TranscribeOptions,
    *,
    progress: Callable[[float], None] | None = None,
) -> Transcript:
    """Transcribe 16 kHz mono float32 ``samples`` with a faster-whisper ``WhisperModel``.

    ``progress`` (optional) receives the transcribed position in seconds as segments stream in.
    """
    duration = len(samples) / SAMPLE_RATE
    kwargs: dict[str, Any] = dict(
        language=options.language,
        beam_size=options.beam_size,
        word_timestamps=True,
        vad_filter=True,
        vad_parameters={"min_silence_duration_ms": options.vad_min_silence_ms},
        condition_on_previous_text=options.condition_on_previous_text,
        temperature=list(options.temperatures),
        no_speech_threshold=options.no_speech_threshold,
        compression_ratio_threshold=options.compression_ratio_threshold,
        log_prob_threshold=options.log_prob_threshold,
    )
    try:
        if options.batch_size > 0:
            from faster_whisper import BatchedInferencePipeline

            segments, info = BatchedInferencePipeline(model=model).transcribe(
                samples, batch_size=options.batch_size, **kwargs
            )
        else:
            segments, info = model.transcribe(
                samples, hallucination_silence_threshold=options.hallucination_silence_threshold, **kwargs
            )
        sentences = []
        for seg in segments:
            # a segment still repetitive after every temperature is a hallucination ("en-en-en-..."): drop it
            repetitive = float(getattr(seg, "compression_ratio", 0.0)) > options.compression_ratio_threshold
            sentence = None if repetitive else _sentence(seg)
            if sentence is not None:
                sentences.append(sentence)
            if progress is not None:
                progress(float(seg.end))
    except (RuntimeError, ValueError) as exc:
        raise StageError(f"transcription failed: {exc}") from exc
    if not sentences:
        raise MediaError("no speech was recognised in the recording (silence, music or noise only?)")
    return Transcript(
        language=str(info.language),
        language_probability=float(info.language_probability),
        duration_s=duration,
        sentences=tuple(sentences),
    )


def _sentence(seg: Any) -> Sentence | None:
    words = tuple(
        Word(start=float(w.start), end=float(max(w.end, w.start)), text=w.word.strip(), probability=float(w.probability))
        for w in (seg.words or ())
        if w.word.strip()
    )
    if not words:
        return None
    return Sentence(start=words[0].start, end=words[-1].end, text=join_words(w.text for w in words), words=words)
