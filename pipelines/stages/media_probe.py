"""Reading a recording: refuse what cannot be used, then decode its audio once.

``probe_media`` is the first step on every upload: it refuses empty, corrupt, truncated, silent-less
(no audio stream), too long or too large files *before* any decoding work. ``extract_audio`` decodes
the first audio stream once to 16 kHz mono PCM, which ``load_wav`` reads back as float32 samples.

The ffmpeg boundary (``run_ffmpeg``, ``ffmpeg_failure``) lives here too: every ffmpeg or ffprobe
failure becomes a ``MediaError`` with a human reason and at most the last line ffmpeg printed.
"""

from __future__ import annotations

import mmap
import re
import wave
from fractions import Fraction
from pathlib import Path
from typing import Any

import ffmpeg
import numpy as np

from vidlib.domain import MediaInfo
from vidlib.errors import MediaError, StageError

AUDIO_SAMPLE_RATE = 16_000  # what extract_audio writes and the speech models expect
SPEECH_FRAME_S = 0.030
SPEECH_THRESHOLD_DBFS = -45.0

_MP4_BOXES = (b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot")
_FFMPEG_GLOBAL_ARGS = ("-nostdin", "-hide_banner", "-v", "error")
_NO_FFMPEG = "{} is not installed or not on PATH: install ffmpeg (e.g. apt-get install ffmpeg)"
_FOLDERS = re.compile(r"(?<![\w.])/(?:[^\s/:]+/)+")
_TRUNCATION_SLACK = 1.05  # mp4 payload may exceed the file size by rounding only


# --- the ffmpeg boundary ---------------------------------------------------------------------------
def last_stderr_line(stderr: bytes | None) -> str:
    """ffmpeg's last message, with folders removed from any path it names (they are ours, not the user's)."""
    lines = [ln.strip() for ln in (stderr or b"").decode("utf-8", "replace").splitlines() if ln.strip()]
    return _FOLDERS.sub("", lines[-1])[:200] if lines else ""


def ffmpeg_failure(path: Path, doing: str, exc: ffmpeg.Error) -> MediaError:
    """A MediaError for a failed ffmpeg/ffprobe run: a reason a person understands, plus ffmpeg's last line."""
    stderr = (exc.stderr or b"").decode("utf-8", "replace").lower()
    if "moov atom not found" in stderr:
        if _looks_like_mp4(path):
            reason = (
                "the MP4 file is incomplete (its index, the 'moov' box, is missing): the upload or "
                "the recording was cut short; upload the complete file again"
            )
        else:
            reason = "this is not an audio or video file (the name says .mp4 but the content is something else)"
    elif "invalid data found when processing input" in stderr:
        reason = "this is not a readable audio or video file (unknown format or corrupt data)"
    elif "no such file or directory" in stderr:
        reason = "the file does not exist"
    elif "permission denied" in stderr:
        reason = "the file cannot be read (permission denied)"
    elif "no space left on device" in stderr:
        reason = "the disk is full"
    else:
        reason = "ffmpeg could not process it"
    last = last_stderr_line(exc.stderr)
    detail = f" (ffmpeg: {last})" if last else ""
    return MediaError(f"{path.name}: {doing} failed: {reason}{detail}")


def run_ffmpeg(stream: Any, *, source: Path, doing: str) -> None:
    """Run an ffmpeg-python graph quietly; translate its failures into MediaError."""
    try:
        stream.global_args(*_FFMPEG_GLOBAL_ARGS).run(overwrite_output=True, capture_stdout=True, capture_stderr=True)
    except ffmpeg.Error as exc:
        raise ffmpeg_failure(source, doing, exc) from exc
    except FileNotFoundError as exc:
        raise StageError(_NO_FFMPEG.format("ffmpeg")) from exc


def ffprobe_json(path: Path, *, doing: str, **options: Any) -> dict[str, Any]:
    try:
        return ffmpeg.probe(str(path), v="error", **options)
    except ffmpeg.Error as exc:
        raise ffmpeg_failure(path, doing, exc) from exc
    except FileNotFoundError as exc:
        raise StageError(_NO_FFMPEG.format("ffprobe")) from exc


def _looks_like_mp4(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            head = f.read(8)
    except OSError:
        return False
    return len(head) == 8 and head[4:8] in _MP4_BOXES


# --- probing ---------------------------------------------------------------------------------------
def probe_media(path: Path, *, max_duration_s: float, max_file_bytes: int) -> MediaInfo:
    """Describe a recording, or refuse it with a MediaError that says why and what to do."""
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise MediaError(f"{path.name}: the file does not exist") from exc
    if size == 0:
        raise MediaError(f"{path.name}: the file is empty (0 bytes): the upload did not complete; upload it again")
    if size > max_file_bytes:
        raise MediaError(
            f"{path.name}: the file is {_gib(size)}, over the limit of {_gib(max_file_bytes)}; "
            "split the recording or export it at a lower bitrate"
        )

    probe = ffprobe_json(path, doing="reading the recording")
    fmt = probe.get("format", {})
    streams = probe.get("streams", [])
    if not streams:
        raise MediaError(f"{path.name}: this is not an audio or video file (no streams found)")
    audio = [s for s in streams if s.get("codec_type") == "audio"]
    video = [
        s for s in streams if s.get("codec_type") == "video" and not s.get("disposition", {}).get("attached_pic")
    ]  # cover art is not video
    if not audio:
        raise MediaError(
            f"{path.name}: the recording has no audio track, so nothing can be transcribed; "
            "export it again with the sound"
        )
    for kind, stream in (("audio", audio[0]), ("video", video[0] if video else None)):
        if stream is not None and stream.get("codec_name") in (None, "", "none"):
            tag = stream.get("codec_tag_string") or "unknown"
            raise MediaError(
                f"{path.name}: the {kind} codec ({tag}) is not supported: no decoder for it here; "
                "export the recording as MP4 (H.264 video, AAC audio) or M4A"
            )

    duration = _duration(fmt, streams)
    if duration is None:
        raise MediaError(
            f"{path.name}: the duration is unknown (often a browser WebM recording without a "
            "duration header); remux it first, e.g. `ffmpeg -i in.webm -c copy out.mkv`"
        )
    if duration > max_duration_s:
        raise MediaError(
            f"{path.name}: the recording lasts {_hms(duration)}, over the limit of "
            f"{_hms(max_duration_s)}; split it into shorter recordings"
        )
    _refuse_truncated_mp4(path, fmt, streams, size, duration)

    v = video[0] if video else {}
    return MediaInfo(
        duration_s=duration,
        size_bytes=size,
        format_name=str(fmt.get("format_name", "")),
        has_video=bool(video),
        has_audio=True,
        video_codec=v.get("codec_name"),
        audio_codec=audio[0].get("codec_name"),
        width=_int_or_none(v.get("width")),
        height=_int_or_none(v.get("height")),
        fps=_rate(v.get("avg_frame_rate")) or _rate(v.get("r_frame_rate")),
    )


def _refuse_truncated_mp4(
    path: Path, fmt: dict[str, Any], streams: list[dict[str, Any]], size: int, duration: float
) -> None:
    """A 'faststart' MP4 cut short still probes fine (its index comes first): compare the payload the
    index announces with the bytes actually present."""
    if "mp4" not in str(fmt.get("format_name", "")):
        return
    announced = 0.0
    for s in streams:
        rate, dur = _float_or_none(s.get("bit_rate")), _float_or_none(s.get("duration"))
        if rate is None:
            return  # fragmented MP4 and the like: no per-stream totals to compare
        announced += rate * (dur if dur is not None else duration) / 8
    if announced > size * _TRUNCATION_SLACK:
        raise MediaError(
            f"{path.name}: the MP4 file is truncated ({size} bytes present, about {int(announced)} "
            "announced by its index): the upload was cut short; upload the complete file again"
        )


def _duration(fmt: dict[str, Any], streams: list[dict[str, Any]]) -> float | None:
    candidates = [_float_or_none(fmt.get("duration"))] + [_float_or_none(s.get("duration")) for s in streams]
    known = [d for d in candidates if d is not None and d > 0]
    return known[0] if known else None


def _rate(text: Any) -> float | None:
    try:
        value = Fraction(str(text))
    except (ValueError, ZeroDivisionError):
        return None
    return float(value) if value > 0 else None


def _float_or_none(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _int_or_none(value: Any) -> int | None:
    return int(value) if isinstance(value, int) else None


def _gib(n: float) -> str:
    return f"{n / 1024**3:.2f} GiB" if n >= 1024**3 else f"{n / 1024**2:.1f} MiB"


def _hms(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


# --- audio -----------------------------------------------------------------------------------------
def extract_audio(path: Path, dest_wav: Path) -> Path:
    """Decode the first audio stream once to 16 kHz mono PCM s16 WAV; written atomically to ``dest_wav``."""
    dest_wav.parent.mkdir(parents=True, exist_ok=True)
    partial = dest_wav.with_name(dest_wav.name + ".part")
    stream = ffmpeg.input(str(path)).output(
        str(partial), map="0:a:0", ac=1, ar=AUDIO_SAMPLE_RATE, acodec="pcm_s16le", f="wav"
    )
    try:
        run_ffmpeg(stream, source=path, doing="extracting the audio")
        partial.replace(dest_wav)
    finally:
        partial.unlink(missing_ok=True)
    return dest_wav


def load_wav(path: Path, *, expected_rate: int | None = AUDIO_SAMPLE_RATE) -> np.ndarray:
    """Read a 16-bit PCM WAV as float32 mono samples in [-1, 1] (channels are averaged)."""
    try:
        with wave.open(str(path), "rb") as wav:
            channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            raw = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError, OSError) as exc:
        raise MediaError(f"{path.name}: not a readable WAV file ({exc})") from exc
    if width != 2:
        raise MediaError(f"{path.name}: expected 16-bit PCM, found {8 * width}-bit samples")
    if expected_rate is not None and rate != expected_rate:
        raise MediaError(f"{path.name}: expected {expected_rate} Hz audio, found {rate} Hz")
    ints = np.frombuffer(raw, dtype="<i2")
    samples = ints[: len(ints) // channels * channels].astype(np.float32) / 32768.0
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1, dtype=np.float32)
    return samples


def _pcm16_data(path: Path) -> tuple[int, int]:
    """(byte offset, sample count) of the samples of a mono 16-bit PCM WAV (as ``extract_audio`` writes)."""
    try:
        with path.open("rb") as fh:
            header = fh.read(12)
            if header[:4] != b"RIFF" or header[8:12] != b"WAVE":
                raise MediaError(f"{path.name}: not a WAV file")
            fmt: bytes | None = None
            while True:
                chunk = fh.read(8)
                if len(chunk) < 8:
                    raise MediaError(f"{path.name}: WAV file has no data chunk")
                size = int.from_bytes(chunk[4:], "little")
                if chunk[:4] == b"fmt ":
                    fmt = fh.read(size + size % 2)
                elif chunk[:4] == b"data":
                    offset = fh.tell()
                    break
                else:
                    fh.seek(size + size % 2, 1)
    except OSError as exc:
        raise MediaError(f"{path.name}: not a readable WAV file ({exc})") from exc
    if (
        fmt is None
        or int.from_bytes(fmt[0:2], "little") not in (1, 0xFFFE)
        or int.from_bytes(fmt[2:4], "little") != 1
        or int.from_bytes(fmt[14:16], "little") != 16
    ):
        raise MediaError(f"{path.name}: expected mono 16-bit PCM")
    available = (path.stat().st_size - offset) // 2
    return offset, (min(size // 2, available) if size not in (0, 0xFFFFFFFF) else available)


def map_pcm16_wav(path: Path) -> np.ndarray:
    """The samples of a mono 16-bit PCM WAV mapped from disk, not read: int16 values that a caller converts chunk by
    chunk, so a long call never sits in memory as float32. The pages it touches stay resident while it is mapped
    unless the reader gives them back (``vidlib.memory.drop_mapped_pages``, as diarisation does between batches).

    The mapping is copy-on-write (nothing is ever written back to the file) so that torch can wrap it without a
    copy; nobody writes to it."""
    offset, count = _pcm16_data(path)
    try:
        with path.open("rb") as fh:
            mapping = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_COPY)
    except (OSError, ValueError) as exc:
        raise MediaError(f"{path.name}: the audio could not be mapped ({exc})") from exc
    return np.frombuffer(mapping, dtype="<i2", offset=offset, count=count)


class Pcm16Wav:
    """A mono 16-bit PCM WAV read by slices (``wav[a:b]`` is an int16 array read from the file when asked), never
    mapped: a long call's transcription reads it window by window and holds one window at a time (a mapping keeps
    every page it has touched resident unless they are given back: 230 MB at the end of a 2-hour call). Diarisation,
    which slides over the whole call, maps it instead (``map_pcm16_wav``) and gives the pages back batch by batch."""

    dtype = np.dtype("<i2")

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset, self._count = _pcm16_data(path)

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, key: slice) -> np.ndarray:
        if not isinstance(key, slice):
            raise TypeError("Pcm16Wav is read by slices, e.g. wav[start:end]")
        start, stop, step = key.indices(self._count)
        if step != 1:
            raise TypeError("Pcm16Wav slices are contiguous (step 1)")
        try:
            with self.path.open("rb") as fh:
                fh.seek(self._offset + 2 * start)
                return np.fromfile(fh, dtype=self.dtype, count=max(0, stop - start))
        except OSError as exc:
            raise MediaError(f"{self.path.name}: the audio could not be read ({exc})") from exc


def speech_activity_ratio(
    samples: np.ndarray, sr: int, *, threshold_dbfs: float = SPEECH_THRESHOLD_DBFS, frame_s: float = SPEECH_FRAME_S
) -> float:
    """Fraction of 30 ms frames whose RMS level is above ``threshold_dbfs`` (0 dBFS = full scale).

    An absolute threshold is crude but robust: a silent or disconnected-microphone recording stays far
    below -45 dBFS, while speech sits around -30 to -15 dBFS.
    """
    if samples.ndim != 1:
        raise ValueError(f"expected mono samples (1-D), got shape {samples.shape}")
    n = max(1, int(round(sr * frame_s)))
    frames = len(samples) // n
    if frames == 0:
        return 0.0
    scale = 32768.0 if samples.dtype == np.int16 else 1.0
    loud, step = 0, 2000 * n  # a minute of frames at a time: memory stays flat whatever the call's length
    for start in range(0, frames * n, step):
        blocks = samples[start : min(start + step, frames * n)].astype(np.float64).reshape(-1, n) / scale
        rms = np.sqrt(np.mean(blocks * blocks, axis=1))
        loud += int(np.count_nonzero(20.0 * np.log10(np.maximum(rms, 1e-10)) > threshold_dbfs))
    return loud / frames
