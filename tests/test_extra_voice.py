"""The window check for a voice nobody consented for (pipelines/stages/extra_voice.py).

The unit tests give the rule hand-made embeddings; the last test runs it on real audio with the real models."""

from __future__ import annotations

import numpy as np
import pytest

from tests.pipeline_fixtures import models_dir  # noqa: F401 - fixture
from vidlib.domain import SpeakerTurn
from vidlib.pipelines.stages.extra_voice import (
    UNKNOWN_VOICE,
    WINDOW_S,
    VoiceCheckThresholds,
    Window,
    as_turns,
    odd_window_turns,
    outliers,
    speech_windows,
    united,
)


def test_turns_are_cut_into_windows_and_short_scraps_are_left_out() -> None:
    turns = [SpeakerTurn(0.0, 4.0, "A"), SpeakerTurn(4.0, 4.3, "B"), SpeakerTurn(5.0, 6.0, "B")]
    windows = speech_windows(turns)
    assert [(w.speaker, w.start, w.end) for w in windows] == [
        ("A", 0.0, 1.5),
        ("A", 1.5, 3.0),
        ("A", 2.5, 4.0),  # the last 1 s: a window that ends with the turn
        ("B", 5.0, 6.0),  # a 1 s turn is one window; the 0.3 s one gives none
    ]
    assert all(w.end - w.start <= WINDOW_S + 1e-9 for w in windows)


def _voices(rng: np.random.Generator, dim: int = 16) -> dict[str, np.ndarray]:
    basis = np.eye(dim)
    return {"A": basis[0], "B": basis[1], "C": basis[2]}


def _embed(rng: np.random.Generator, voice: np.ndarray, noise: float = 0.15) -> np.ndarray:
    return voice + noise * rng.standard_normal(voice.shape)


def test_windows_of_a_third_voice_are_found_wherever_the_diarisation_put_them() -> None:
    rng = np.random.default_rng(0)
    voice = _voices(rng)
    windows, rows = [], []
    for i in range(40):  # the two participants
        speaker = "A" if i % 2 else "B"
        windows.append(Window(speaker, i * 2.0, i * 2.0 + 1.5))
        rows.append(_embed(rng, voice[speaker]))
    for i, t in enumerate((100.0, 104.0, 109.0)):  # a newcomer, given to A and to B by the diarisation
        windows.append(Window("AB"[i % 2], t, t + 1.5))
        rows.append(_embed(rng, voice["C"]))
    found = outliers(windows, np.array(rows), 0.5)
    assert [w.start for w in found.windows] == [100.0, 104.0, 109.0]
    assert found.speech_s == pytest.approx(4.5) and found.voice_distance > 0.5
    thresholds = VoiceCheckThresholds(window_distance=0.5, window_min_speech_s=3.0, window_voice_distance=0.5)
    embeddings = {(w.start, w.end): row for w, row in zip(windows, rows)}
    turns = [SpeakerTurn(w.start, w.end, w.speaker) for w in windows]
    flagged = odd_window_turns(turns, lambda spans: np.array([embeddings[s] for s in spans]), thresholds)
    assert [(t.start, t.end, t.speaker) for t in flagged] == [
        (100.0, 101.5, UNKNOWN_VOICE),
        (104.0, 105.5, UNKNOWN_VOICE),
        (109.0, 110.5, UNKNOWN_VOICE),
    ]
    # one window of the newcomer (1.5 s) is below the 3 s minimum: a cough or a laugh is not a voice
    assert odd_window_turns(turns[:-2], lambda spans: np.array([embeddings[s] for s in spans]), thresholds) == ()


def test_a_participants_windows_given_to_the_other_one_are_not_an_unknown_voice() -> None:
    """Misattributed windows lie near the other participant's print: far from their own, not from everyone."""
    rng = np.random.default_rng(1)
    voice = _voices(rng)
    windows = [Window("A" if i % 2 else "B", i * 2.0, i * 2.0 + 1.5) for i in range(40)]
    rows = [_embed(rng, voice[w.speaker]) for w in windows]
    for i in range(0, 10, 2):  # five of B's windows the diarisation gave to A
        rows[i + 1] = _embed(rng, voice["B"])
    found = outliers(windows, np.array(rows), 0.5)
    assert found.windows == ()


def test_scattered_odd_windows_average_back_towards_the_participants() -> None:
    """Outliers that are not one voice (each its own noise) have a mean near the participants: not believed."""
    rng = np.random.default_rng(2)
    voice = _voices(rng, dim=64)
    windows = [Window("A" if i % 2 else "B", i * 2.0, i * 2.0 + 1.5) for i in range(60)]
    rows = [_embed(rng, voice[w.speaker], noise=0.05) for w in windows]
    for i in range(0, 12, 2):  # six windows (9 s), each mostly its own direction, half a participant
        rows[i] = 0.5 * voice["B"] + np.eye(64)[10 + i] * 1.2
    found = outliers(windows, np.array(rows), 0.5)
    assert found.speech_s == pytest.approx(9.0)
    assert found.voice_distance < 0.5, found.voice_distance


def test_settings_override_only_the_thresholds_they_set(tmp_path) -> None:  # noqa: ANN001
    from vidlib.pipelines.steps import voice_check_thresholds
    from vidlib.settings import Settings

    assert voice_check_thresholds(Settings(home=tmp_path)) == VoiceCheckThresholds()
    stricter = voice_check_thresholds(Settings(home=tmp_path, extra_voice_min_speech_s=4.0, extra_voice_windows=False))
    assert stricter == VoiceCheckThresholds(min_speech_s=4.0, windows=False)
    with pytest.raises(ValueError):
        Settings(home=tmp_path, extra_voice_min_distance=3.0)  # a cosine distance lies in [0, 2]


def test_nan_embeddings_are_left_out() -> None:
    windows = [Window("A", 0.0, 1.5), Window("A", 2.0, 3.5)]
    found = outliers(windows, np.array([[1.0, 0.0], [np.nan, np.nan]]), 0.5)
    assert found.windows == () and found.speech_s == 0.0


def test_window_turns_merge_and_the_union_counts_no_second_twice() -> None:
    merged = as_turns([Window("A", 10.0, 11.5), Window("B", 11.5, 13.0), Window("A", 20.0, 21.0)])
    assert [(t.start, t.end) for t in merged] == [(10.0, 13.0), (20.0, 21.0)]
    clustering = (SpeakerTurn(9.0, 10.5, "SPEAKER_02"), SpeakerTurn(12.0, 12.5, "SPEAKER_02"))
    both = united(clustering, merged)
    assert [(t.start, t.end, t.speaker) for t in both] == [
        (9.0, 10.5, "SPEAKER_02"),
        (10.5, 12.0, UNKNOWN_VOICE),
        (12.0, 12.5, "SPEAKER_02"),
        (12.5, 13.0, UNKNOWN_VOICE),
        (20.0, 21.0, UNKNOWN_VOICE),
    ]
    assert united((), ()) == ()


@pytest.mark.slow
def test_a_parent_on_the_students_microphone_saying_6_s_is_found_by_the_window_check(models_dir, tmp_path) -> None:  # noqa: ANN001
    """Real audio, default settings built from Settings as the flow builds them: rec04 with 6 s of a real speaker
    (pyannote's sample, ``speaker91``) filtered to the student's microphone and cut into the turn lengths of a
    real mother joining a real interview (``bench/eval_extra_voice.py --same-channel``'s late joiner). The
    clustering check alone misses her; the window check finds her turns and nothing else. The call alone stays
    clean."""
    from bench.common import DATA, dataset, load_case
    from bench.eval_extra_voice import mother_turns, speech_of, splice_joiner, student_speech, to_channel_of
    from tests.pipeline_fixtures import make_settings
    from vidlib.pipelines.context import context_for
    from vidlib.pipelines.stages.extra_voice import diarize_checking_extra_voice

    items = {item.uri: item for item in dataset(DATA)}
    needed = [items["rec04_dev_web"].audio, items["sample"].audio, DATA / "real" / "cfpp2000_textgrids"]
    if not all(path.exists() for path in needed):
        pytest.skip("the recordings of ../shared/data are not here")
    settings = make_settings(tmp_path, models_dir)
    assert settings.extra_voice_windows
    pipeline = context_for(settings).models.diarizer()
    call, sample = load_case(items["rec04_dev_web"]), load_case(items["sample"])
    voice = speech_of(sample, "speaker91", 6.0)
    assert voice is not None
    joined, spans = splice_joiner(call, to_channel_of(voice, student_speech(call)), mother_turns(DATA))

    assert (
        diarize_checking_extra_voice(pipeline, joined, 2, thresholds=VoiceCheckThresholds(windows=False)).unconsented
        == ()
    )
    found = diarize_checking_extra_voice(pipeline, joined, 2).unconsented
    inside = sum(max(0.0, min(t.end, b) - max(t.start, a)) for t in found for a, b in spans)
    flagged = sum(t.end - t.start for t in found)
    assert inside > 3.0 and flagged - inside < WINDOW_S, (spans, found)  # measured: 5.7 s inside, 0.8 s outside
    assert diarize_checking_extra_voice(pipeline, call.waveform, 2).unconsented == ()


@pytest.mark.slow
def test_windows_embedded_together_equal_windows_embedded_one_by_one(models_dir, tmp_path) -> None:  # noqa: ANN001
    """``embed_spans`` batches windows of one length: the same numbers as the model on each window alone; a span too
    short for a filterbank gives NaN; ``check_stop`` is called between batches and its error ends the work."""
    import torch

    from tests.pipeline_fixtures import make_settings
    from tests.test_diarization import CALL, SR, _decode
    from vidlib.models.diarization import embed_spans
    from vidlib.pipelines.context import context_for

    if not CALL.exists():
        pytest.skip("the calls of ../shared/data are not here")
    pipeline = context_for(make_settings(tmp_path, models_dir)).models.diarizer()
    call = _decode(CALL, seconds=30)
    end = len(call) / SR
    # a 1.5 s window that runs 0.4 s past the end of the call (a turn may end there) beside whole ones
    spans = [(1.0, 2.5), (4.0, 5.5), (end - 1.1, end + 0.4), (7.25, 8.75), (10.0, 11.0), (12.0, 12.01)]
    together = embed_spans(pipeline, call, spans)
    model = pipeline._embedding.model_
    with torch.inference_mode():
        alone = [
            model.embed(model.fbank(torch.from_numpy(call[int(a * SR) : int(b * SR)].copy()))).numpy()
            for a, b in spans[:5]
        ]
    np.testing.assert_allclose(together[:5], np.array(alone), atol=1e-4)
    assert np.isnan(together[5]).all() and not np.isnan(together[:5]).any()

    def stop() -> None:
        raise RuntimeError("withdrawn")

    with pytest.raises(RuntimeError, match="withdrawn"):
        embed_spans(pipeline, call, spans, check_stop=stop)
