"""Bad input beyond the media probes of tests/test_media.py: each gets a typed error a person understands, the
recording is refused or quarantined with its reason, and nothing already stored is damaged."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from tests.pipeline_fixtures import EXCERPT, excerpt_consent, make_settings, models_dir, prefect_harness  # noqa: F401 - fixtures
from tests.test_faults import assert_consistent
from vidlib.errors import MediaError, NotFoundError
from vidlib.pipelines import flows
from vidlib.pipelines.context import RunContext, close_contexts, configure_offline_environment, context_for
from vidlib.pipelines.ingest import ingest_recording

T = TypeVar("T")


@pytest.fixture()
def ctx(tmp_path: Path, models_dir: Path) -> Iterator[RunContext]:  # noqa: F811
    settings = make_settings(tmp_path / "home", models_dir)
    configure_offline_environment(settings)
    yield context_for(settings)
    close_contexts()


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def twice_at_once(call: Callable[[], T]) -> tuple[list[T], list[BaseException]]:
    """Run ``call`` in two threads started together; their results and errors."""
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(call())
        except BaseException as exc:  # noqa: BLE001 - returned to the test, which asserts on it
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


def stored(ctx: RunContext) -> set[str]:
    return set(ctx.store.list_keys(""))


def test_an_unsupported_codec_is_refused_with_what_to_do(ctx: RunContext, tmp_path: Path) -> None:
    ffmpeg("-f", "lavfi", "-i", "sine=f=440:d=3", "-c:a", "pcm_s16le", str(tmp_path / "pcm.mkv"))
    data = (tmp_path / "pcm.mkv").read_bytes()
    assert b"A_PCM/INT/LIT" in data
    (tmp_path / "odd.mkv").write_bytes(data.replace(b"A_PCM/INT/LIT", b"A_VIDLIB/XYZ1", 1))  # a codec id nobody knows
    with pytest.raises(MediaError, match="audio codec .* is not supported.*export the recording as MP4"):
        ingest_recording(ctx, tmp_path / "odd.mkv", excerpt_consent(tmp_path))
    assert {k for k in stored(ctx) if k.startswith("recordings/")} == set()
    assert any(k.startswith("quarantine/") for k in stored(ctx))


@pytest.mark.parametrize(
    "name",
    [
        "Rencontre métier — infirmière de nuit 🌙 (1).mp4",
        "..%2F..%2Fetc%2Fpasswd.mp4",
        "-rf --delete 'quoted' \"double\" $HOME `id`.mp4",
        "ﾃｽﾄ 試験 اختبار.MP4",
    ],
)
def test_path_like_and_unicode_names_are_only_names(ctx: RunContext, tmp_path: Path, name: str) -> None:
    media = tmp_path / "in" / name
    media.parent.mkdir()
    shutil.copy(EXCERPT, media)
    result = ingest_recording(ctx, media, excerpt_consent(tmp_path))
    manifest = ctx.repo.load(result.recording_id)
    assert manifest.source_name == name
    assert manifest.original_key == f"recordings/{result.recording_id}/original.mp4"
    assert all(k.startswith(f"recordings/{result.recording_id}/") for k in stored(ctx))
    store_files = {
        p.relative_to(ctx.settings.store_dir).as_posix() for p in ctx.settings.store_dir.rglob("*") if p.is_file()
    }
    assert store_files == stored(ctx)  # nothing written anywhere else under the store


@pytest.mark.parametrize("bad", ["../../etc/passwd", "rec_../x", "rec_" + "0" * 23 + "/"])
def test_a_path_like_recording_id_is_refused(ctx: RunContext, bad: str) -> None:
    with pytest.raises(NotFoundError, match="no recording has the id"):
        flows.process_recording.fn(bad, ctx.settings)
    assert not (ctx.settings.home / "locks").exists() or not any((ctx.settings.home / "locks").iterdir())


def test_the_same_file_ingested_twice_at_once_is_one_recording(ctx: RunContext, tmp_path: Path) -> None:
    media = tmp_path / "call.mp4"
    shutil.copy(EXCERPT, media)
    consent = excerpt_consent(tmp_path)
    results, errors = twice_at_once(lambda: ingest_recording(ctx, media, consent))
    assert not errors and len({r.recording_id for r in results}) == 1
    rid = results[0].recording_id
    assert ctx.repo.list_ids() == [rid]
    assert stored(ctx) == {f"recordings/{rid}/manifest.json", f"recordings/{rid}/original.mp4"}


@pytest.mark.slow
def test_the_same_recording_processed_twice_at_once_runs_once(
    ctx: RunContext, tmp_path: Path, prefect_harness: None
) -> None:  # noqa: F811
    media = tmp_path / "short.mp4"
    ffmpeg("-i", str(EXCERPT), "-t", "40", "-c", "copy", str(media))
    rid = ingest_recording(ctx, media, excerpt_consent(tmp_path)).recording_id
    started: list[str] = []
    events: list[str] = []

    def note(recording_id: str, stage: str, event: str) -> None:
        events.append(f"{threading.current_thread().name}: {stage} {event}")
        if event == "start" and stage != "index":  # the index stage always re-runs: an idempotent upsert
            started.append(stage)

    ctx.progress = note
    _, errors = twice_at_once(lambda: flows.process_recording(rid, ctx.settings))
    ctx.progress = None
    assert not errors
    assert sorted(started) == sorted(set(started)), f"a stage ran twice: {events}"
    assert_consistent(ctx, rid)


def _process_expecting(ctx: RunContext, media: Path, tmp_path: Path, reason: str) -> None:
    rid = ingest_recording(ctx, media, excerpt_consent(tmp_path)).recording_id
    with pytest.raises(MediaError, match=reason):
        flows.process_recording(rid, ctx.settings)
    manifest = ctx.repo.load(rid)
    assert manifest.status == "quarantined" and manifest.clips == ()
    assert ctx.index.count(rid) == 0


@pytest.mark.slow
def test_music_and_noise_without_speech_are_quarantined(ctx: RunContext, tmp_path: Path, prefect_harness: None) -> None:  # noqa: F811
    media = tmp_path / "music.m4a"
    chord = "+".join(
        f"0.2*sin(2*PI*{f}*t)*(0.6+0.4*sin(2*PI*{r}*t))"
        for f, r in ((220, 0.5), (277.2, 0.7), (329.6, 0.3), (440, 1.1))
    )
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        f"aevalsrc={chord}:s=44100:d=30",
        "-f",
        "lavfi",
        "-i",
        "anoisesrc=color=pink:amplitude=0.05:d=30",
        "-filter_complex",
        "amix=inputs=2:normalize=0",
        "-c:a",
        "aac",
        str(media),
    )
    _process_expecting(ctx, media, tmp_path, "no speech was recognised")


@pytest.mark.slow
def test_a_call_in_another_language_is_quarantined(ctx: RunContext, tmp_path: Path, prefect_harness: None) -> None:  # noqa: F811
    text = (
        "Hello, thank you for joining me today. I work as a night nurse in a large hospital in London. "
        "The hardest part of the job is staying awake and focused at four in the morning, when patients "
        "need you the most. What I love is the team, and the feeling that you really help people. "
        "If you want to become a nurse, you should study biology and volunteer in a care home first."
    )
    wav = tmp_path / "english.wav"
    subprocess.run(["espeak-ng", "-v", "en", "-s", "150", "-w", str(wav), text], check=True)
    media = tmp_path / "english.m4a"
    ffmpeg("-i", str(wav), "-c:a", "aac", str(media))
    _process_expecting(ctx, media, tmp_path, "another language than fr .*detected 'en'")
    note = json.loads(ctx.store.get_bytes(f"recordings/{ctx.repo.list_ids()[0]}/manifest.json"))
    assert "VIDLIB_LANGUAGES" in note["error"]


def test_a_ten_hour_file_is_refused_before_any_work(ctx: RunContext, tmp_path: Path) -> None:
    """A real 10-hour file (one low-bitrate minute repeated by stream copy) against the default 4-hour limit."""
    minute = tmp_path / "minute.mka"
    ffmpeg("-f", "lavfi", "-i", "sine=f=300:d=60", "-c:a", "libopus", "-b:a", "6k", str(minute))
    listing = tmp_path / "list.txt"
    listing.write_text(f"file '{minute}'\n" * 600)
    long_file = tmp_path / "ten_hours.mka"
    ffmpeg("-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy", str(long_file))
    assert ctx.settings.max_duration_s == 4 * 3600
    with pytest.raises(MediaError, match=r"lasts 10:00:0\d, over the limit of 4:00:00"):
        ingest_recording(ctx, long_file, excerpt_consent(tmp_path))
    assert {k for k in stored(ctx) if k.startswith("recordings/")} == set()
