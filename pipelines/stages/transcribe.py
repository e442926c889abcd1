"""Speech to text with faster-whisper: word timestamps, VAD, guards against hallucination."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from vidlib.domain import Sentence, Transcript, Word
from vidlib.errors import MediaError, StageError
from vidlib.pipelines.stages.media_probe import Pcm16Wav
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
    # faster-whisper computes the log-mel features of all the audio it is given at once (about 0.7 GB per 30 min):
    # long calls go through in windows cut at the quietest moment before each ``window_s`` mark, so memory stays
    # flat whatever the call's length. The language found in the first window holds for the rest.
    window_s: float = 300.0
    cut_search_s: float = 20.0
    # languages the library takes (empty: any). A call found in another language is refused after its first
    # window, before the rest is transcribed.
    allowed_languages: tuple[str, ...] = ()
    # windows transcribed at once; the model needs as many CTranslate2 workers (``VIDLIB_WHISPER_WORKERS``)
    workers: int = 1
    # the call's vocabulary (job, names, career words: stages/vocabulary.py), given to every 30 s window as hotwords
    hotwords: str | None = None


def transcribe(
    model: Any,
    samples: np.ndarray | Pcm16Wav,
    options: TranscribeOptions,
    *,
    progress: Callable[[float], None] | None = None,
    check_stop: Callable[[], None] | None = None,
) -> Transcript:
    """Transcribe 16 kHz mono ``samples`` (float32 in [-1, 1], or int16 PCM: an array, a WAV mapped from disk or a
    ``Pcm16Wav`` read slice by slice) with a faster-whisper ``WhisperModel``, window by window (``window_bounds``).

    Windows are independent (no conditioning on previous text): once the language is known, ``options.workers``
    of them run at once on the model's CTranslate2 workers (``WhisperModel(num_workers=...)``). ``progress``
    (optional) receives the end of each transcribed window in seconds. ``check_stop`` (optional) is called before
    each window and between the sentences of a window, and raises when the work must stop now (consent withdrawn,
    the run cancelled): a long call then stops within seconds, not at the end of the stage.
    """
    duration = len(samples) / SAMPLE_RATE
    language = options.language
    if language and options.allowed_languages and language not in options.allowed_languages:
        raise MediaError(
            f"the call is declared in '{language}', but this library takes "
            f"{', '.join(options.allowed_languages)} only (VIDLIB_LANGUAGES)"
        )
    pending = window_bounds(samples, options.window_s, options.cut_search_s)
    results: list[tuple[Any, list[Sentence]]] = []
    while pending and language is None:  # undeclared language: windows one by one until speech says which
        results.append(_run_window(model, samples, pending.pop(0), options, None, progress, check_stop))
        window_info, window_sentences = results[-1]
        if window_sentences:  # a window of music or silence decides nothing
            language = str(window_info.language)
            _check_language(language, float(window_info.language_probability), options.allowed_languages)
    if pending:
        with ThreadPoolExecutor(max_workers=max(1, options.workers), thread_name_prefix="whisper") as pool:
            futures = [
                pool.submit(_run_window, model, samples, bounds, options, language, progress, check_stop)
                for bounds in pending
            ]
            try:
                results.extend(future.result() for future in futures)
            except BaseException:  # a failed window: the windows not started yet are not transcribed for nothing
                for future in futures:
                    future.cancel()
                raise
    sentences = [sentence for _, window_sentences in results for sentence in window_sentences]
    info = next((window_info for window_info, window_sentences in results if window_sentences), None)
    if not sentences or info is None:
        raise MediaError("no speech was recognised in the recording (silence, music or noise only?)")
    return Transcript(
        language=str(info.language),
        language_probability=float(info.language_probability),
        duration_s=duration,
        sentences=tuple(sentences),
    )


def _run_window(
    model: Any,
    samples: np.ndarray | Pcm16Wav,
    bounds: tuple[int, int],
    options: TranscribeOptions,
    language: str | None,
    progress: Callable[[float], None] | None,
    check_stop: Callable[[], None] | None = None,
) -> tuple[Any, list[Sentence]]:
    start, end = bounds
    if check_stop is not None:
        check_stop()
    outcome = _transcribe_window(
        model, _as_float(samples[start:end]), options, language, start / SAMPLE_RATE, check_stop
    )
    if progress is not None:
        progress(end / SAMPLE_RATE)
    return outcome


def _check_language(language: str, probability: float, allowed: tuple[str, ...]) -> None:
    if allowed and language not in allowed:
        raise MediaError(
            f"the call is in another language than {', '.join(allowed)} (detected '{language}', "
            f"probability {probability:.2f}); this library takes {', '.join(allowed)} calls only "
            "(VIDLIB_LANGUAGES)"
        )


def window_bounds(samples: np.ndarray | Pcm16Wav, window_s: float, search_s: float) -> list[tuple[int, int]]:
    """Sample ranges of at most ``window_s`` seconds covering ``samples``; each cut falls on the quietest half
    second of the ``search_s`` seconds before its mark (a pause between words, not the middle of one)."""
    n, window = len(samples), int(window_s * SAMPLE_RATE)
    search, frame = int(search_s * SAMPLE_RATE), SAMPLE_RATE // 10
    bounds, start = [], 0
    while n - start > window:
        lo, hi = start + window - search, start + window
        block = _as_float(samples[lo:hi])
        energy = np.square(block[: len(block) // frame * frame]).reshape(-1, frame).mean(axis=1)
        smooth = np.convolve(energy, np.ones(5) / 5, mode="same")  # 0.5 s
        cut = lo + int(np.argmin(smooth)) * frame + frame // 2
        bounds.append((start, cut))
        start = cut
    bounds.append((start, n))
    return bounds


def _as_float(block: np.ndarray) -> np.ndarray:
    if block.dtype == np.int16:
        return np.asarray(block, dtype=np.float32) / 32768.0
    return np.asarray(block, dtype=np.float32)


def _transcribe_window(
    model: Any,
    audio: np.ndarray,
    options: TranscribeOptions,
    language: str | None,
    offset: float,
    check_stop: Callable[[], None] | None = None,
) -> tuple[Any, list[Sentence]]:
    kwargs: dict[str, Any] = dict(
        language=language,
        beam_size=options.beam_size,
        word_timestamps=True,
        vad_filter=True,
        vad_parameters={"min_silence_duration_ms": options.vad_min_silence_ms},
        condition_on_previous_text=options.condition_on_previous_text,
        temperature=list(options.temperatures),
        no_speech_threshold=options.no_speech_threshold,
        compression_ratio_threshold=options.compression_ratio_threshold,
        log_prob_threshold=options.log_prob_threshold,
        hotwords=options.hotwords or None,
    )
    sentences = []
    try:
        if options.batch_size > 0:
            from faster_whisper import BatchedInferencePipeline

            segments, info = BatchedInferencePipeline(model=model).transcribe(
                audio, batch_size=options.batch_size, **kwargs
            )
        else:
            segments, info = model.transcribe(
                audio, hallucination_silence_threshold=options.hallucination_silence_threshold, **kwargs
            )
        for seg in segments:  # decoded lazily, one ~30 s piece at a time
            if check_stop is not None:
                check_stop()
            # a segment still repetitive after every temperature is a hallucination ("en-en-en-..."): drop it
            repetitive = float(getattr(seg, "compression_ratio", 0.0)) > options.compression_ratio_threshold
            sentence = None if repetitive else _sentence(seg, offset)
            if sentence is not None:
                sentences.append(sentence)
    except (RuntimeError, ValueError) as exc:
        raise StageError(f"transcription failed: {exc}") from exc
    return info, sentences


def _sentence(seg: Any, offset: float = 0.0) -> Sentence | None:
    words = tuple(
        Word(
            start=offset + float(w.start),
            end=offset + float(max(w.end, w.start)),
            text=w.word.strip(),
            probability=float(w.probability),
        )
        for w in (seg.words or ())
        if w.word.strip()
    )
    if not words:
        return None
    return Sentence(start=words[0].start, end=words[-1].end, text=join_words(w.text for w in words), words=words)
