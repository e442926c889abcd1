"""Long calls are transcribed window by window (memory stays flat): the windows and what they change."""

from __future__ import annotations

from pathlib import Path

import jiwer
import numpy as np
import pytest

from tests.pipeline_fixtures import (
    EXCERPT,
    make_settings,
    models_dir,  # noqa: F401 - fixture
)
from vidlib.models.registry import ModelRegistry
from vidlib.pipelines.stages.media import Pcm16Wav, extract_audio, load_wav, map_pcm16_wav
from vidlib.pipelines.stages.transcribe import SAMPLE_RATE, TranscribeOptions, transcribe, window_bounds


def test_windows_cover_everything_and_cut_in_the_quietest_moment() -> None:
    rng = np.random.default_rng(3)
    samples = (rng.normal(size=SAMPLE_RATE * 130) * 0.2).astype(np.float32)
    quiet = [int(SAMPLE_RATE * 51.3), int(SAMPLE_RATE * 97.0)]
    for q in quiet:
        samples[q : q + SAMPLE_RATE] *= 0.001  # one quiet second before each 60 s mark... and one after 90 s
    bounds = window_bounds(samples, window_s=60, search_s=15)
    assert bounds[0][0] == 0 and bounds[-1][1] == len(samples)
    assert all(a < b for a, b in bounds) and all(b == c for (_, b), (c, _) in zip(bounds, bounds[1:]))
    assert all(b - a <= 60 * SAMPLE_RATE for a, b in bounds)
    first_cut = bounds[0][1]
    assert quiet[0] <= first_cut <= quiet[0] + SAMPLE_RATE  # inside the quiet second, not at the 60 s mark
    assert window_bounds(samples[: SAMPLE_RATE * 50], window_s=60, search_s=15) == [(0, SAMPLE_RATE * 50)]
    pcm = (samples * 32767).astype(np.int16)
    assert window_bounds(pcm, window_s=60, search_s=15) == bounds  # int16 PCM is read the same way


@pytest.mark.slow
def test_windowed_transcription_matches_the_whole_call(tmp_path: Path, models_dir: Path) -> None:  # noqa: F811
    """The 92 s excerpt in 30 s windows against one pass: same words (up to Whisper's own variation at the cuts),
    times in order and shifted to the call's clock; and the same windows two at a time."""
    wav = extract_audio(EXCERPT, tmp_path / "audio.wav")
    model = ModelRegistry(make_settings(tmp_path / "home", models_dir)).whisper()
    options = TranscribeOptions(language="fr")
    whole = transcribe(model, load_wav(wav), options)
    windowed = transcribe(model, map_pcm16_wav(wav), TranscribeOptions(language="fr", window_s=30, cut_search_s=10))
    words = [w for s in windowed.sentences for w in s.words]
    assert all(a.start <= b.start for a, b in zip(words, words[1:]))
    assert words[-1].end <= windowed.duration_s + 0.5 and words[-1].end > 60  # the last window's times are shifted
    text = lambda t: " ".join(w.text for s in t.sentences for w in s.words).lower()  # noqa: E731
    assert jiwer.wer(text(whole), text(windowed)) < 0.15
    # two windows at a time, read slice by slice from the file, language left to Whisper (the first window decides it,
    # the others run in parallel):
    # the same sentences, in the call's order
    parallel = transcribe(model, Pcm16Wav(wav), TranscribeOptions(window_s=30, cut_search_s=10, workers=2))
    assert parallel.language == "fr"
    starts = [s.start for s in parallel.sentences]
    assert starts == sorted(starts) and starts[-1] > 60
    assert jiwer.wer(text(windowed), text(parallel)) < 0.05


class _Stop(Exception):
    """What a stop check raises in these tests (the flow raises ConsentError or StageError)."""


def test_a_stop_check_ends_a_transcription_between_windows(tmp_path: Path, models_dir: Path) -> None:  # noqa: F811
    """Consent withdrawn or the run cancelled: the stop check raises, the windows not yet done are not transcribed."""
    wav = extract_audio(EXCERPT, tmp_path / "audio.wav")
    model = ModelRegistry(make_settings(tmp_path / "home", models_dir)).whisper()
    done: list[float] = []
    checks = [0]

    def stop_after_the_first_window() -> None:
        checks[0] += 1
        if done:
            raise _Stop("consent withdrawn")

    with pytest.raises(_Stop):
        transcribe(
            model,
            Pcm16Wav(wav),
            TranscribeOptions(language="fr", window_s=30, cut_search_s=10, workers=2),
            progress=done.append,
            check_stop=stop_after_the_first_window,
        )
    assert len(window_bounds(Pcm16Wav(wav), 30, 10)) >= 3
    assert len(done) <= 2  # at most the window running beside the first one finished; the last never started
    assert checks[0] >= 3  # checked before each window and between sentences, not once per stage
