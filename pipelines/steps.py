"""The body of each Prefect task: load inputs by reference, call the stage, persist, return the key.

Every step first looks for its persisted result and skips when it is there, so re-running a flow after a
failure resumes at the failed stage and never duplicates anything.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from vidlib.consent import check_consent
from vidlib.domain import (
    ChapterSpan,
    Diarization,
    Manifest,
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
from vidlib.pipelines.stages.extra_voice import VoiceCheckThresholds, diarize_checking_extra_voice
from vidlib.pipelines.stages.media import Pcm16Wav, extract_audio, map_pcm16_wav, probe_media, speech_activity_ratio
from vidlib.pipelines.stages.plan import plan_clips
from vidlib.pipelines.stages.segment import ClipParams, split_chapters
from vidlib.pipelines.stages.transcribe import TranscribeOptions, transcribe
from vidlib.pipelines.stages.vocabulary import call_vocabulary, load_lexicon
from vidlib.pipelines.timings import record_timing, stage_timings
from vidlib.settings import Settings
from vidlib.storage.layout import audio_key, stage_key
from vidlib.storage.stage_keys import (
    ATTRIBUTE,
    AUDIO,
    CHAPTERS,
    CUT,
    DIARIZE,
    EMBED,
    ENRICH,
    INDEX,
    PLAN,
    PROBE,
    SEGMENT,
    TRANSCRIBE,
    StageKey,
)

if TYPE_CHECKING:
    from vidlib.pipelines.stages.media import Pcm16Wav

T = TypeVar("T")


def run_step(
    ctx: RunContext, recording_id: str, stage: StageKey[T], compute: Callable[[], T], *, always: bool = False
) -> str:
    ensure_not_withdrawn(ctx, recording_id)
    check_consent(ctx.repo.load(recording_id).consent)  # consent may have expired since ingest
    repo = ctx.repo
    key = stage_key(recording_id, stage.name)
    if not always and repo.has_stage(recording_id, stage):
        ctx.notify(recording_id, stage.name, "skip")
        return key
    ctx.notify(recording_id, stage.name, "start")
    t0 = time.perf_counter()
    value = compute()
    seconds = time.perf_counter() - t0
    repo.save_stage(recording_id, stage, value)
    release_freed_memory()  # what the stage freed goes back to the system, not to the next stage's peak
    record_timing(ctx, recording_id, stage.name, seconds)
    ctx.notify(recording_id, stage.name, "done")
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
        PROBE,
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

    return run_step(ctx, recording_id, AUDIO, compute)


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
        TRANSCRIBE,
        lambda: transcribe(
            ctx.models.whisper(), wav_samples(ctx, recording_id), options, check_stop=stop_check(ctx, recording_id)
        ),
    )


def voice_check_thresholds(settings: Settings) -> VoiceCheckThresholds:
    """The unconsented-voice checks' thresholds: the stage's defaults, with the settings' overrides."""
    overrides = {"min_speech_s": settings.extra_voice_min_speech_s, "min_distance": settings.extra_voice_min_distance}
    chosen = {name: value for name, value in overrides.items() if value is not None}
    return replace(VoiceCheckThresholds(), windows=settings.extra_voice_windows, **chosen)


def diarize_checking_voices(ctx: RunContext, recording_id: str, participants: int) -> Diarization:
    """The call's turns with ``participants`` speakers and the turns of any voice beyond them
    (pipelines/stages/extra_voice.py)."""
    return diarize_checking_extra_voice(
        ctx.models.diarizer(),
        load_samples(ctx, recording_id),
        participants,
        check_stop=stop_check(ctx, recording_id),
        thresholds=voice_check_thresholds(ctx.settings),
    )


def step_diarize(ctx: RunContext, recording_id: str) -> str:
    def compute() -> Diarization:
        # the consent record names everyone in the call: that is the speaker count. Bounds (min 2, max n) were
        # measured to miss a late joiner whose voice is close to another's (bench/tune_diarization.py). A second
        # clustering with the count open (n..n+1) on the same embeddings looks for a voice nobody consented for
        return diarize_checking_voices(ctx, recording_id, len(_manifest(ctx, recording_id).consent.participants))

    return run_step(ctx, recording_id, DIARIZE, compute)


def step_attribute(ctx: RunContext, recording_id: str) -> str:
    repo = ctx.repo
    return run_step(
        ctx,
        recording_id,
        ATTRIBUTE,
        lambda: attribute_speakers(
            repo.load_stage(recording_id, TRANSCRIBE),
            repo.load_stage(recording_id, DIARIZE),
            _manifest(ctx, recording_id).consent,
        ),
    )


def step_chapters(ctx: RunContext, recording_id: str) -> str:
    repo = ctx.repo

    def compute() -> tuple[ChapterSpan, ...]:
        embedder = ctx.models.embedder()
        attributed = repo.load_stage(recording_id, ATTRIBUTE)
        if repo.has_stage(recording_id, SEGMENT):
            # processed before chapters existed: its clips (their media, bleeps and review decisions) stay as they
            # are, each clip's segment becomes a chapter of its own
            return chapters_from_segments(attributed, repo.load_stage(recording_id, SEGMENT), embedder.embed_queries)
        return plan_chapters(
            attributed,
            embedder.embed_passages,
            embedder.embed_queries,
            duration_s=_manifest(ctx, recording_id).media.duration_s,
        )

    return run_step(ctx, recording_id, CHAPTERS, compute)


def step_segment(ctx: RunContext, recording_id: str) -> str:
    s = ctx.settings
    params = ClipParams(min_s=s.clip_min_s, max_s=s.clip_max_s)
    repo = ctx.repo
    return run_step(
        ctx,
        recording_id,
        SEGMENT,
        lambda: split_chapters(
            repo.load_stage(recording_id, ATTRIBUTE),
            repo.load_stage(recording_id, CHAPTERS),
            params,
        ),
    )


def step_plan(ctx: RunContext, recording_id: str) -> str:
    repo = ctx.repo
    return run_step(
        ctx,
        recording_id,
        PLAN,
        lambda: plan_clips(
            recording_id,
            repo.load_stage(recording_id, ATTRIBUTE),
            repo.load_stage(recording_id, SEGMENT),
            _manifest(ctx, recording_id).media.duration_s,
        ),
    )


def step_cut(ctx: RunContext, recording_id: str) -> str:
    return run_step(ctx, recording_id, CUT, lambda: cut_and_store(ctx, recording_id))


def step_enrich(ctx: RunContext, recording_id: str) -> str:
    repo = ctx.repo
    return run_step(
        ctx,
        recording_id,
        ENRICH,
        lambda: enrich_clips(
            repo.load_stage(recording_id, PLAN),
            repo.load_stage(recording_id, ATTRIBUTE),
            repo.load_stage(recording_id, CHAPTERS),
        ),
    )


def step_embed(ctx: RunContext, recording_id: str) -> str:
    return run_step(ctx, recording_id, EMBED, lambda: embed_clips(ctx, recording_id))


def step_index(ctx: RunContext, recording_id: str) -> str:
    # always re-applied (an upsert by clip id, so no duplicates): the index may have been lost since
    key = run_step(ctx, recording_id, INDEX, lambda: index_recording(ctx, recording_id), always=True)
    ctx.repo.save(replace(ctx.repo.load(recording_id), timings=stage_timings(ctx, recording_id)))
    return key
