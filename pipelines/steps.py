"""The body of each Prefect task: load inputs by reference, call the stage, persist, return the key.

Every step first looks for its persisted result and skips when it is there, so re-running a flow after a
failure resumes at the failed stage and never duplicates anything.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from vidlib.consent import check_consent
from vidlib.domain import (
    AttributedTranscript,
    ChapterSpan,
    ClipEnrichment,
    ClipMedia,
    ClipSpec,
    Diarization,
    Manifest,
    MediaInfo,
    TopicSegment,
    Transcript,
)
from vidlib.errors import MediaError, StageError
from vidlib.memory import release_freed_memory
from vidlib.pipelines.clip_media import cut_and_store
from vidlib.pipelines.context import RunContext
from vidlib.pipelines.indexing import embed_clips, index_recording
from vidlib.pipelines.recording_lock import ensure_not_withdrawn
from vidlib.pipelines.stages.attribute import attribute_speakers
from vidlib.pipelines.stages.chapters import chapters_from_segments, plan_chapters
from vidlib.pipelines.stages.enrich import enrich_clips
from vidlib.pipelines.stages.media import Pcm16Wav, extract_audio, map_pcm16_wav, probe_media, speech_activity_ratio
from vidlib.pipelines.stages.plan import plan_clips
from vidlib.pipelines.stages.segment import ClipParams, split_chapters
from vidlib.pipelines.stages.speaker_check import diarize_checking_extra_voice
from vidlib.pipelines.stages.transcribe import TranscribeOptions, transcribe
from vidlib.pipelines.stages.vocabulary import call_vocabulary, load_lexicon
from vidlib.pipelines.stages.voice_windows import WindowThresholds
from vidlib.pipelines.timings import record_timing, stage_timings
from vidlib.storage.layout import audio_key, stage_key

if TYPE_CHECKING:
    from vidlib.pipelines.stages.media import Pcm16Wav

T = TypeVar("T")


def run_step(
    ctx: RunContext, recording_id: str, stage: str, tp: Any, compute: Callable[[], T], *, always: bool = False
) -> str:
    ensure_not_withdrawn(ctx, recording_id)
    check_consent(ctx.repo.load(recording_id).consent)  # consent may have expired since ingest
    repo = ctx.repo
    key = stage_key(recording_id, stage)
    if not always and repo.has_stage(recording_id, stage):
        ctx.notify(recording_id, stage, "skip")
        return key
    ctx.notify(recording_id, stage, "start")
    t0 = time.perf_counter()
    value = compute()
    seconds = time.perf_counter() - t0
    repo.save_stage(recording_id, stage, value, tp)
    release_freed_memory()  # what the stage freed goes back to the system, not to the next stage's peak
    record_timing(ctx, recording_id, stage, seconds)
    ctx.notify(recording_id, stage, "done")
    return key


def stop_check(ctx: RunContext, recording_id: str) -> Callable[[], None]:
    """What a long stage calls between windows or batches: it raises when this recording must stop now, because
    its consent was withdrawn (``ConsentError``; the store is read at most every ``withdrawal_check_s``) or because
    the flow is ending (another stage failed, or the process was told to stop: ``ctx.request_stop``)."""

    last_read = [float("-inf")]

    def check() -> None:
        if ctx.stop_requested(recording_id):
            raise StageError(f"{recording_id}: stopped, the run is ending (another stage failed or it was cancelled)")
        if time.monotonic() - last_read[0] >= ctx.settings.withdrawal_check_s:
            last_read[0] = time.monotonic()
            ensure_not_withdrawn(ctx, recording_id)

    return check


def _manifest(ctx: RunContext, recording_id: str) -> Manifest:
    return ctx.repo.load(recording_id)


def audio_path(ctx: RunContext, recording_id: str) -> Path:
    local = ctx.store.local_path(audio_key(recording_id))
    if local is not None and local.exists():
        return local
    dest = ctx.work_dir(recording_id) / "audio.wav"
    if not dest.exists():
        ctx.store.download(audio_key(recording_id), dest)
    return dest


def load_samples(ctx: RunContext, recording_id: str) -> np.ndarray:
    """The whole call as 16-bit samples mapped from the work file (diarisation slides over all of it and gives back
    the pages it has read batch by batch, so the call is never resident whole)."""

    return map_pcm16_wav(audio_path(ctx, recording_id))


def wav_samples(ctx: RunContext, recording_id: str) -> Pcm16Wav:
    """The call's 16-bit samples, read from the work file window by window, never whole (memory)."""

    return Pcm16Wav(audio_path(ctx, recording_id))


# --- steps -----------------------------------------------------------------------------------------
def step_probe(ctx: RunContext, recording_id: str) -> str:
    s = ctx.settings
    return run_step(
        ctx,
        recording_id,
        "probe",
        MediaInfo,
        lambda: probe_media(
            ctx.original_path(recording_id), max_duration_s=s.max_duration_s, max_file_bytes=s.max_file_bytes
        ),
    )


def step_audio(ctx: RunContext, recording_id: str) -> str:
    def compute() -> dict[str, float]:
        wav = extract_audio(ctx.original_path(recording_id), ctx.work_dir(recording_id) / "audio.wav")
        ratio = speech_activity_ratio(map_pcm16_wav(wav), 16_000)
        if ratio < ctx.settings.min_speech_ratio:
            raise MediaError(f"the recording is silent ({ratio:.1%} of it has sound above -45 dBFS)")
        ctx.store.put_file(audio_key(recording_id), wav, "audio/wav")
        return {"activity_ratio": ratio}

    return run_step(ctx, recording_id, "audio", dict[str, float], compute)


def step_transcribe(ctx: RunContext, recording_id: str) -> str:
    s = ctx.settings
    manifest = _manifest(ctx, recording_id)
    hotwords = call_vocabulary(manifest.consent, load_lexicon()) if s.whisper_vocabulary else None
    options = TranscribeOptions(
        language=s.language or manifest.consent.recording.language,
        beam_size=s.whisper_beam_size,
        batch_size=s.whisper_batch_size,
        allowed_languages=tuple(s.languages),
        workers=s.whisper_workers,
        hotwords=hotwords,
    )
    return run_step(
        ctx,
        recording_id,
        "transcribe",
        Transcript,
        lambda: transcribe(
            ctx.models.whisper(), wav_samples(ctx, recording_id), options, check_stop=stop_check(ctx, recording_id)
        ),
    )


def diarize_checking_voices(ctx: RunContext, recording_id: str, participants: int) -> Diarization:
    """The call's turns with ``participants`` speakers and the turns of any voice beyond them, by the checks and
    thresholds of the settings (pipelines/stages/speaker_check.py, voice_windows.py)."""

    s = ctx.settings
    windows = (
        WindowThresholds(
            s.extra_voice_window_distance,
            s.extra_voice_window_min_speech_s,
            s.extra_voice_window_voice_distance,
            s.extra_voice_window_hint_distance,
        )
        if s.extra_voice_windows
        else None
    )
    return diarize_checking_extra_voice(
        ctx.models.diarizer(),
        load_samples(ctx, recording_id),
        participants,
        check_stop=stop_check(ctx, recording_id),
        min_speech_s=s.extra_voice_min_speech_s,
        min_distance=s.extra_voice_min_distance,
        windows=windows,
    )


def step_diarize(ctx: RunContext, recording_id: str) -> str:
    def compute() -> Diarization:
        # the consent record names everyone in the call: that is the speaker count. Bounds (min 2, max n) were
        # measured to miss a late joiner whose voice is close to another's (bench/tune_diarization.py). A second
        # clustering with the count open (n..n+1) on the same embeddings looks for a voice nobody consented for
        return diarize_checking_voices(ctx, recording_id, len(_manifest(ctx, recording_id).consent.participants))

    return run_step(ctx, recording_id, "diarize", Diarization, compute)


def step_attribute(ctx: RunContext, recording_id: str) -> str:
    repo = ctx.repo
    return run_step(
        ctx,
        recording_id,
        "attribute",
        AttributedTranscript,
        lambda: attribute_speakers(
            repo.load_stage(recording_id, "transcribe", Transcript),
            repo.load_stage(recording_id, "diarize", Diarization),
            _manifest(ctx, recording_id).consent,
        ),
    )


def step_chapters(ctx: RunContext, recording_id: str) -> str:
    repo = ctx.repo

    def compute() -> tuple[ChapterSpan, ...]:
        embedder = ctx.models.embedder()
        attributed = repo.load_stage(recording_id, "attribute", AttributedTranscript)
        if repo.has_stage(recording_id, "segment"):
            # processed before chapters existed: its clips (their media, bleeps and review decisions) stay as they
            # are, each clip's segment becomes a chapter of its own
            return chapters_from_segments(
                attributed, repo.load_stage(recording_id, "segment", tuple[TopicSegment, ...]), embedder.embed_queries
            )
        return plan_chapters(
            attributed,
            embedder.embed_passages,
            embedder.embed_queries,
            duration_s=_manifest(ctx, recording_id).media.duration_s,
        )

    return run_step(ctx, recording_id, "chapters", tuple[ChapterSpan, ...], compute)


def step_segment(ctx: RunContext, recording_id: str) -> str:
    s = ctx.settings
    params = ClipParams(min_s=s.clip_min_s, max_s=s.clip_max_s)
    repo = ctx.repo
    return run_step(
        ctx,
        recording_id,
        "segment",
        tuple[TopicSegment, ...],
        lambda: split_chapters(
            repo.load_stage(recording_id, "attribute", AttributedTranscript),
            repo.load_stage(recording_id, "chapters", tuple[ChapterSpan, ...]),
            params,
        ),
    )


def step_plan(ctx: RunContext, recording_id: str) -> str:
    repo = ctx.repo
    return run_step(
        ctx,
        recording_id,
        "plan",
        tuple[ClipSpec, ...],
        lambda: plan_clips(
            recording_id,
            repo.load_stage(recording_id, "attribute", AttributedTranscript),
            repo.load_stage(recording_id, "segment", tuple[TopicSegment, ...]),
            _manifest(ctx, recording_id).media.duration_s,
        ),
    )


def step_cut(ctx: RunContext, recording_id: str) -> str:
    return run_step(ctx, recording_id, "cut", tuple[ClipMedia, ...], lambda: cut_and_store(ctx, recording_id))


def step_enrich(ctx: RunContext, recording_id: str) -> str:
    repo = ctx.repo
    return run_step(
        ctx,
        recording_id,
        "enrich",
        tuple[ClipEnrichment, ...],
        lambda: enrich_clips(
            repo.load_stage(recording_id, "plan", tuple[ClipSpec, ...]),
            repo.load_stage(recording_id, "attribute", AttributedTranscript),
            repo.load_stage(recording_id, "chapters", tuple[ChapterSpan, ...]),
        ),
    )


def step_embed(ctx: RunContext, recording_id: str) -> str:
    return run_step(ctx, recording_id, "embed", dict[str, list[float]], lambda: embed_clips(ctx, recording_id))


def step_index(ctx: RunContext, recording_id: str) -> str:
    from dataclasses import replace

    # always re-applied (an upsert by clip id, so no duplicates): the index may have been lost since
    key = run_step(ctx, recording_id, "index", int, lambda: index_recording(ctx, recording_id), always=True)
    ctx.repo.save(replace(ctx.repo.load(recording_id), timings=stage_timings(ctx, recording_id)))
    return key
