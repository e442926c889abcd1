"""The media stage against real ffmpeg, on small recordings generated here (lavfi testsrc + sine)."""

from __future__ import annotations

import json
import re
import struct
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from vidlib.domain import SpokenWord
from vidlib.errors import MediaError
from vidlib.pipelines.stages.media import (
    CutResult,
    Pcm16Wav,
    cut_clips,
    extract_audio,
    load_wav,
    map_pcm16_wav,
    probe_media,
    speech_activity_ratio,
    write_webvtt,
)

FPS = 25
LONG_S = 20
LIMITS = {"max_duration_s": 3600.0, "max_file_bytes": 1024**3}


# --- generated media -------------------------------------------------------------------------------
def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-y", *args], check=True)


# Every frame of a "numbered" video has its own flat brightness, so a frame off by one shows.
_NUMBERED = "color=c=gray:size=160x120:rate={fps}:duration={s},geq=lum='mod(N*9\\,256)':cb=128:cr=128"
_TESTSRC = "testsrc=size=160x120:rate={fps}:duration={s}"


def _make(
    path: Path,
    seconds: float,
    *,
    video: bool = True,
    audio: str | None = "sine",
    numbered: bool = False,
    extra: tuple[str, ...] = (),
) -> Path:
    inputs: list[str] = []
    if video:
        inputs += ["-f", "lavfi", "-i", (_NUMBERED if numbered else _TESTSRC).format(fps=FPS, s=seconds)]
    if audio == "sine":
        inputs += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={seconds}"]
    elif audio == "silence":
        inputs += ["-f", "lavfi", "-i", f"anullsrc=channel_layout=stereo:sample_rate=44100:d={seconds}"]
    codecs = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"] if video else []
    codecs += ["-c:a", "aac", "-b:a", "64k"] if audio else []
    _ffmpeg(*inputs, *codecs, *extra, str(path))
    return path


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("media")
    made = {
        "mp4": _make(d / "call.mp4", 5),
        "faststart": _make(d / "faststart.mp4", 5, extra=("-movflags", "+faststart")),
        "no_audio": _make(d / "no_audio.mp4", 5, audio=None),
        "m4a": _make(d / "voice.m4a", 5, video=False),
        "silent": _make(d / "silent.m4a", 5, video=False, audio="silence"),
        "long": _make(d / "long.mp4", LONG_S, numbered=True),
    }
    made["empty"] = d / "empty.mp4"
    made["empty"].write_bytes(b"")
    for name in ("mp4", "faststart"):
        data = made[name].read_bytes()
        made[f"{name}_half"] = d / f"{name}_half.mp4"
        made[f"{name}_half"].write_bytes(data[: len(data) // 2])
    made["text"] = d / "notes.mp4"
    made["text"].write_text("Meeting notes: this is not a video.\n" * 20)
    return made


def _streams(path: Path) -> list[dict]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(path)], check=True, capture_output=True
    ).stdout
    return json.loads(out)["streams"]


def _top_level_boxes(path: Path) -> list[str]:
    boxes, data, pos = [], path.read_bytes(), 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if size == 1:
            size = struct.unpack(">Q", data[pos + 8 : pos + 16])[0]
        boxes.append(kind.decode("latin-1"))
        if size == 0:
            break
        pos += size
    return boxes


def _brightness(path: Path, *, at_s: float = 0.0, last: bool = False) -> float:
    """Mean luma of the frame shown at ``at_s`` (or of the last frame)."""
    seek = ["-sseof", f"{-1.5 / FPS:.6f}"] if last else ["-ss", f"{at_s:.6f}"]
    frames = [] if last else ["-frames:v", "1"]
    raw = subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            *seek,
            "-i",
            str(path),
            *frames,
            "-f",
            "rawvideo",
            "-pix_fmt",
            "gray",
            "-",
        ],
        check=True,
        capture_output=True,
    ).stdout
    frame_bytes = 160 * 120
    return float(np.frombuffer(raw[-frame_bytes:], dtype=np.uint8).mean())


# --- probing -------------------------------------------------------------------------------------
def test_probe_describes_an_h264_aac_mp4(media: dict[str, Path]) -> None:
    info = probe_media(media["mp4"], **LIMITS)
    assert info.duration_s == pytest.approx(5.0, abs=0.1)
    assert (info.has_video, info.has_audio) == (True, True)
    assert (info.video_codec, info.audio_codec) == ("h264", "aac")
    assert (info.width, info.height, info.fps) == (160, 120, FPS)
    assert info.size_bytes == media["mp4"].stat().st_size
    assert "mp4" in info.format_name


def test_probe_accepts_audio_only(media: dict[str, Path]) -> None:
    info = probe_media(media["m4a"], **LIMITS)
    assert (info.has_video, info.has_audio, info.audio_codec) == (False, True, "aac")
    assert info.width is None and info.fps is None


@pytest.mark.parametrize(
    ("name", "limits", "reason"),
    [
        ("empty", LIMITS, "empty"),
        ("mp4_half", LIMITS, "incomplete"),
        ("faststart_half", LIMITS, "truncated"),
        ("text", LIMITS, "not an audio or video file"),
        ("no_audio", LIMITS, "no audio"),
        ("mp4", {**LIMITS, "max_duration_s": 2.0}, "over the limit"),
        ("mp4", {**LIMITS, "max_file_bytes": 1000}, "over the limit"),
    ],
)
def test_probe_refuses_with_a_clear_reason(media: dict[str, Path], name: str, limits: dict, reason: str) -> None:
    with pytest.raises(MediaError) as caught:
        probe_media(media[name], **limits)
    message = str(caught.value)
    assert reason in message
    assert message.startswith(media[name].name)
    assert "\n" not in message and len(message) < 400  # a reason, never a stderr dump
    assert str(media[name].parent) not in message


def test_probe_refuses_an_unknown_duration(tmp_path: Path) -> None:
    path = tmp_path / "browser.webm"  # WebM written to a pipe, like a browser's MediaRecorder: no duration
    with path.open("wb") as out:
        subprocess.run(
            [
                "ffmpeg",
                "-nostdin",
                "-v",
                "error",
                "-f",
                "lavfi",
                "-i",
                "sine=duration=3",
                "-c:a",
                "libopus",
                "-f",
                "webm",
                "-",
            ],
            check=True,
            stdout=out,
        )
    with pytest.raises(MediaError, match="duration is unknown"):
        probe_media(path, **LIMITS)


def test_probe_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="does not exist"):
        probe_media(tmp_path / "nope.mp4", **LIMITS)


# --- audio -----------------------------------------------------------------------------------------
def test_extract_audio_gives_16k_mono_of_the_right_length(media: dict[str, Path], tmp_path: Path) -> None:
    wav_path = extract_audio(media["mp4"], tmp_path / "sub" / "audio.wav")
    with wave.open(str(wav_path), "rb") as wav:
        assert (wav.getnchannels(), wav.getframerate(), wav.getsampwidth()) == (1, 16_000, 2)
    samples = load_wav(wav_path)
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert len(samples) == pytest.approx(5 * 16_000, abs=16_000 * 0.05)
    assert 0.05 < float(np.abs(samples).max()) <= 1.0
    assert not list(tmp_path.glob("sub/*.part"))
    # what transcription and diarisation read: slices from the file, the same values as the mapped file's
    by_slices, mapped = Pcm16Wav(wav_path), map_pcm16_wav(wav_path)
    assert len(by_slices) == len(mapped) == len(samples)
    for window in (slice(0, 1000), slice(16_000, 40_000), slice(len(samples) - 10, len(samples) + 50)):
        assert by_slices[window].dtype == np.int16 and np.array_equal(by_slices[window], mapped[window])
    with pytest.raises(TypeError):
        by_slices[5]


def test_extract_audio_of_a_video_without_audio_is_a_media_error(media: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="extracting the audio"):
        extract_audio(media["no_audio"], tmp_path / "audio.wav")
    assert not (tmp_path / "audio.wav").exists()


def test_load_wav_refuses_another_rate_and_non_wav(tmp_path: Path) -> None:
    path = tmp_path / "8k.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(2), wav.setsampwidth(2), wav.setframerate(8000)
        wav.writeframes(np.zeros(800, dtype="<i2").tobytes())
    with pytest.raises(MediaError, match="16000 Hz"):
        load_wav(path)
    assert load_wav(path, expected_rate=None).shape == (400,)  # stereo frames averaged to mono
    (tmp_path / "x.wav").write_text("not a wav")
    with pytest.raises(MediaError, match="not a readable WAV"):
        load_wav(tmp_path / "x.wav")


def test_speech_activity_silence_is_zero_and_tone_is_high(media: dict[str, Path], tmp_path: Path) -> None:
    silent = load_wav(extract_audio(media["silent"], tmp_path / "silent.wav"))
    tone = load_wav(extract_audio(media["m4a"], tmp_path / "tone.wav"))
    assert speech_activity_ratio(silent, 16_000) == pytest.approx(0.0, abs=0.01)
    assert speech_activity_ratio(tone, 16_000) > 0.95
    hiss = (np.random.default_rng(0).standard_normal(16_000) * 10 ** (-65 / 20)).astype(np.float32)
    assert speech_activity_ratio(hiss, 16_000) == 0.0
    assert speech_activity_ratio(np.zeros(0, dtype=np.float32), 16_000) == 0.0


# --- cutting ---------------------------------------------------------------------------------------
WINDOWS = [("c1", 1.0, 6.5), ("c2", 6.5, 13.37), ("c3", 15.01, LONG_S)]  # a gap, and the very end


@pytest.fixture(scope="module")
def cut(media: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> list[CutResult]:
    steps: list[str] = []
    results = cut_clips(
        media["long"],
        WINDOWS,
        tmp_path_factory.mktemp("clips"),
        has_video=True,
        on_step=lambda step, _seconds: steps.append(step),
    )
    assert steps == ["encode", "copy+thumbnails"]
    return results


def test_cut_clips_are_frame_accurate_h264_aac(cut: list[CutResult]) -> None:
    assert [r.clip_id for r in cut] == [w[0] for w in WINDOWS]
    for result, (_, start, end) in zip(cut, WINDOWS):
        assert result.start == pytest.approx(start, abs=0.5 / FPS)
        assert result.end == pytest.approx(end, abs=0.5 / FPS)
        streams = {s["codec_type"]: s for s in _streams(result.video_path)}
        assert (streams["video"]["codec_name"], streams["audio"]["codec_name"]) == ("h264", "aac")
        frames = int(streams["video"]["nb_frames"])
        assert frames / FPS == pytest.approx(end - start, abs=1 / FPS)
        assert frames == round((result.end - result.start) * FPS)
        assert float(streams["audio"]["duration"]) == pytest.approx(end - start, abs=1 / FPS + 0.03)


def test_cut_clips_start_on_a_keyframe_with_faststart(cut: list[CutResult]) -> None:
    for result in cut:
        out = subprocess.run(
            [
                "ffprobe",
                "-v",
                "error",
                "-select_streams",
                "v:0",
                "-read_intervals",
                "%+#1",
                "-show_entries",
                "packet=pts_time,flags",
                "-of",
                "json",
                str(result.video_path),
            ],
            check=True,
            capture_output=True,
        ).stdout
        first = json.loads(out)["packets"][0]
        assert "K" in first["flags"] and float(first["pts_time"]) == 0.0
        boxes = _top_level_boxes(result.video_path)
        assert boxes.index("moov") < boxes.index("mdat")


def test_cut_clips_first_and_last_frames_are_the_source_frames(cut: list[CutResult], media: dict[str, Path]) -> None:
    def nearest(shown: float, around: float) -> int:
        options = {
            k: abs(shown - _brightness(media["long"], at_s=around + k / FPS))
            for k in (-1, 0, 1)
            if 0 <= around + k / FPS < LONG_S - 0.5 / FPS
        }
        return min(options, key=options.__getitem__)

    for result in cut:
        assert nearest(_brightness(result.video_path), result.start) == 0
        assert nearest(_brightness(result.video_path, last=True), result.end - 1 / FPS) == 0


def test_cut_clips_write_320px_thumbnails_and_leave_no_temp_files(cut: list[CutResult]) -> None:
    for result in cut:
        assert result.thumbnail_path is not None and result.thumbnail_path.suffix == ".jpg"
        assert result.thumbnail_path.read_bytes()[:2] == b"\xff\xd8"
        assert _streams(result.thumbnail_path)[0]["width"] == 320
    out_dir = cut[0].video_path.parent
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(
        f"{w[0]}{ext}" for w in WINDOWS for ext in (".mp4", ".jpg")
    )


def test_cut_clips_of_audio_only_gives_m4a_without_thumbnail(media: dict[str, Path], tmp_path: Path) -> None:
    results = cut_clips(media["m4a"], [("a1", 0.5, 2.0), ("a2", 2.0, 4.5)], tmp_path, has_video=False)
    for result, expected in zip(results, (1.5, 2.5)):
        assert result.video_path.suffix == ".m4a" and result.thumbnail_path is None
        (stream,) = _streams(result.video_path)
        assert stream["codec_name"] == "aac"
        assert float(stream["duration"]) == pytest.approx(expected, abs=0.05)


def test_cut_clips_encode_non_aac_audio_to_aac(tmp_path: Path) -> None:
    video = _make(tmp_path / "call.mkv", 6, extra=("-c:a", "flac"))
    voice = _make(tmp_path / "voice.wav", 6, video=False, extra=("-c:a", "pcm_s16le"))
    assert probe_media(voice, **LIMITS).audio_codec == "pcm_s16le"
    (clip,) = cut_clips(video, [("v", 1.0, 4.0)], tmp_path / "v", has_video=True)
    (sound,) = cut_clips(voice, [("a", 1.0, 4.0)], tmp_path / "a", has_video=False)
    assert {s["codec_type"]: s["codec_name"] for s in _streams(clip.video_path)} == {"video": "h264", "audio": "aac"}
    assert [s["codec_name"] for s in _streams(sound.video_path)] == ["aac"]
    assert float(_streams(sound.video_path)[0]["duration"]) == pytest.approx(3.0, abs=0.05)


def test_cut_clips_refuses_bad_windows(media: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="twice"):
        cut_clips(media["mp4"], [("a", 0, 1), ("a", 1, 2)], tmp_path, has_video=True)
    with pytest.raises(ValueError, match="empty or negative"):
        cut_clips(media["mp4"], [("a", 2, 1)], tmp_path, has_video=True)
    with pytest.raises(ValueError, match="safe file name"):
        cut_clips(media["mp4"], [("../a", 0, 1)], tmp_path, has_video=True)
    with pytest.raises(MediaError, match="past the end"):
        cut_clips(media["mp4"], [("late", 9.0, 12.0)], tmp_path, has_video=True)
    assert cut_clips(media["mp4"], [], tmp_path, has_video=True) == []
    assert list(tmp_path.iterdir()) == []


# --- subtitles -------------------------------------------------------------------------------------
_CUE_TIME = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d\d\d) --> (\d\d):(\d\d):(\d\d)\.(\d\d\d)$")


def _parse_vtt(text: str) -> list[tuple[float, float, str]]:
    header, *blocks = text.strip("\n").split("\n\n")
    assert header == "WEBVTT"
    cues = []
    for block in blocks:
        timing, *lines = block.split("\n")
        m = _CUE_TIME.match(timing)
        assert m, timing
        g = [int(x) for x in m.groups()]
        start = g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000
        end = g[4] * 3600 + g[5] * 60 + g[6] + g[7] / 1000
        assert lines and all(lines)
        cues.append((start, end, "\n".join(lines)))
    return cues


def _words(clip_start: float) -> list[SpokenWord]:
    script = [("Ana", "So what does a web developer do all day? Tell me everything & don't skip <details>.")] + [
        ("Ben", "Mostly I read code, talk with designers, and fix the bugs we find in review. " * 2),
        ("Ana", "Really?"),
        ("Ben", "Yes."),
    ]
    words, t = [], clip_start - 1.0  # the first words fall before the clip
    for speaker, sentence in script:
        for token in sentence.split():
            words.append(SpokenWord(start=t, end=t + 0.3, text=f" {token}", speaker=speaker))
            t += 0.35
        t += 0.8
    return words


def test_webvtt_cues_are_ordered_inside_the_clip_and_escaped() -> None:
    clip_start, clip_end = 100.0, 118.0
    words = _words(clip_start)
    cues = _parse_vtt(write_webvtt(words, clip_start, clip_end, max_chars=42, max_cue_s=4.0))
    assert cues
    previous_end = 0.0
    for start, end, _ in cues:
        assert previous_end <= start < end <= clip_end - clip_start
        assert end - start <= 4.0 + 1e-9
        previous_end = end
    body = "\n".join(text for _, _, text in cues)
    assert "&amp;" in body and "&lt;details&gt;." in body
    assert "<details>" not in body and " & " not in body
    plain = re.sub(r"</?v[^>]*>", "", body)
    for line in plain.split("\n"):
        assert len(line) <= 42
    kept = [w.text.strip() for w in words if clip_start <= (w.start + w.end) / 2 < clip_end]
    assert plain.replace("\n", " ").split() == [
        t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for t in kept
    ]


def test_webvtt_labels_the_speaker_when_it_changes() -> None:
    cues = _parse_vtt(write_webvtt(_words(100.0), 100.0, 140.0))
    labels = [re.match(r"<v ([^>]+)>", text) for _, _, text in cues]
    assert labels[0] and labels[0].group(1) == "Ana"
    sequence = [m.group(1) for m in labels if m]
    assert sequence == ["Ana", "Ben", "Ana", "Ben"]
    assert all(text.count("<v ") <= 1 for _, _, text in cues)


def test_webvtt_never_overlaps_with_overlapping_words() -> None:
    words = [
        SpokenWord(0.0, 2.0, "one", "A"),
        SpokenWord(0.5, 1.0, "two", "B"),
        SpokenWord(0.9, 9.5, "three", "B"),
        SpokenWord(9.9, 10.4, "edge", "A"),
    ]
    cues = _parse_vtt(write_webvtt(words, 0.0, 10.0, max_cue_s=3.0))
    # "two", said over "one", would be shown for 1 ms between "one" and "three": it joins the cue before
    assert [re.sub(r"</?v[^>]*>", "", text) for _, _, text in cues] == ["one two", "three"]
    for (_, e1, _), (s2, _, _) in zip(cues, cues[1:]):
        assert e1 <= s2
    assert all(e - s <= 3.0 + 1e-9 and e <= 10.0 for s, e, _ in cues)
    assert "edge" not in "".join(t for _, _, t in cues)  # its middle lies after the clip


def test_webvtt_shows_every_word_long_enough_to_read_and_no_lone_punctuation() -> None:
    """As the pipeline produced them on a long call: a closing quote heard after a pause, a word of the other speaker
    said over the end of a sentence (a cue of 1 to 40 ms before), each kept readable inside a neighbouring cue."""
    words = [
        SpokenWord(0.0, 0.4, "Il", "P"),
        SpokenWord(0.4, 0.8, "dit", "P"),
        SpokenWord(0.8, 1.3, "«", "P"),
        SpokenWord(1.3, 1.9, "bonjour.", "P"),
        SpokenWord(3.5, 3.6, "»", "P"),  # after a pause: it would open a cue of its own
        SpokenWord(3.6, 4.0, "Et", "P"),
        SpokenWord(4.0, 4.4, "puis", "P"),
        SpokenWord(4.4, 4.9, "voilà.", "P"),
        SpokenWord(4.88, 4.9, "c'est", "S"),  # the student, over the end of the sentence
        SpokenWord(4.9, 5.3, "Alors", "P"),
        SpokenWord(5.3, 6.0, "ensuite.", "P"),
    ]
    cues = _parse_vtt(write_webvtt(words, 0.0, 8.0))
    plain = [re.sub(r"</?v[^>]*>", "", text).replace("\n", " ") for _, _, text in cues]
    assert " ".join(plain).split() == [w.text for w in words]  # every word, in order
    assert not any(text.strip("«»–-?!.…, ") == "" for text in plain)  # no cue of punctuation alone
    assert all(end - start >= 0.3 for start, end, _ in cues), cues
    for (_, e1, _), (s2, _, _) in zip(cues, cues[1:]):
        assert e1 <= s2


def test_webvtt_without_words_is_an_empty_track() -> None:
    assert write_webvtt([], 0.0, 10.0) == "WEBVTT\n"
