"""Cutting a recording into clips: one encode, then one stream copy per clip.

The whole recording is encoded once to H.264/AAC (the "mezzanine") with a keyframe forced at every clip
boundary and no B-frames; each clip is then a lossless stream copy that starts on its own keyframe and
ends just before the next clip's. Audio that is already AAC is copied into the mezzanine as it is.

Two traps this avoids: with B-frames, ffmpeg's stream copy decides by decode time and leaks frames of
the next clip; and an input seek lands on the keyframe at or *before* the time asked, so the cut times
are read back from the mezzanine's packets (ffmpeg forces each keyframe on the nearest frame, up to half
a frame early) and passed to ffmpeg exactly, never recomputed from the frame rate.

Audio-only recordings give ``.m4a`` (AAC) clips and no thumbnail.
"""

from __future__ import annotations

import re
import tempfile
import time
from bisect import bisect_left
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import ffmpeg

from vidlib.errors import MediaError
from vidlib.pipelines.stages.media_probe import ffprobe_json, run_ffmpeg

StepHook = Callable[[str, float], None]  # (step name, seconds it took): "encode", "copy+thumbnails"

_CLIP_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_US = 1_000_000


@dataclass(frozen=True)
class CutResult:
    clip_id: str
    video_path: Path  # .mp4 (H.264 + AAC, faststart), or .m4a (AAC) for an audio-only recording
    thumbnail_path: Path | None  # 320 px wide JPEG from the middle of the clip; None without video
    start: float  # the actual cut, in seconds of the recording (on the forced keyframe)
    end: float


@dataclass(frozen=True)
class CutOptions:
    preset: str = "veryfast"
    crf: int = 23
    audio_bitrate: str = "128k"
    copy_aac_audio: bool = True  # copy AAC audio instead of re-encoding it: no loss, ~1/3 less CPU
    thumbnail_width: int = 320
    copy_workers: int = 2  # clips copied (and thumbnailed) at once after the encode


def cut_clips(
    source: Path,
    windows: Sequence[tuple[str, float, float]],
    out_dir: Path,
    *,
    has_video: bool,
    options: CutOptions = CutOptions(),
    on_step: StepHook | None = None,
) -> list[CutResult]:
    """Cut ``(clip_id, start, end)`` windows of ``source`` into ``out_dir/<clip_id>.mp4`` (+ ``.jpg``).

    Files appear in ``out_dir`` only once complete; existing files of the same names are replaced.
    """
    _check_windows(windows)
    if not windows:
        return []
    out_dir.mkdir(parents=True, exist_ok=True)
    report = on_step or (lambda _step, _seconds: None)
    boundaries = sorted({t for _, start, end in windows for t in (start, end)})
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".cutting-") as tmp_name:
        tmp = Path(tmp_name)
        t0 = time.perf_counter()
        mezzanine = _encode_mezzanine(
            source, tmp / ("all.mp4" if has_video else "all.m4a"), boundaries, has_video=has_video, options=options
        )
        report("encode", time.perf_counter() - t0)

        t0 = time.perf_counter()
        timeline = _Timeline.read(mezzanine, has_video=has_video)
        snapped = [(clip_id, *timeline.snap(clip_id, start, end)) for clip_id, start, end in windows]

        def copy_one(window: tuple[str, int, int]) -> tuple[Path, Path | None]:
            """One clip and its thumbnail: two short ffmpeg runs, mostly start-up; copy_workers of them at once."""
            clip_id, start_us, end_us = window
            clip = tmp / f"{clip_id}{mezzanine.suffix}"
            _copy_clip(mezzanine, clip, start_us, end_us, source=source)
            if not has_video:
                return clip, None
            thumbnail = tmp / f"{clip_id}.jpg"
            write_thumbnail(clip, thumbnail, (end_us - start_us) / 2 / _US, options.thumbnail_width, source=source)
            return clip, thumbnail

        with ThreadPoolExecutor(max_workers=max(1, options.copy_workers), thread_name_prefix="cut") as pool:
            files = list(pool.map(copy_one, snapped))
        report("copy+thumbnails", time.perf_counter() - t0)
        results = [
            CutResult(
                clip_id=clip_id,
                video_path=clip.replace(out_dir / clip.name),
                thumbnail_path=None if thumbnail is None else thumbnail.replace(out_dir / thumbnail.name),
                start=start_us / _US,
                end=end_us / _US,
            )
            for (clip_id, start_us, end_us), (clip, thumbnail) in zip(snapped, files)
        ]
    return results


def _check_windows(windows: Sequence[tuple[str, float, float]]) -> None:
    seen: set[str] = set()
    for clip_id, start, end in windows:
        if not _CLIP_ID.match(clip_id):
            raise ValueError(f"clip id {clip_id!r} is not a safe file name (letters, digits, '.', '_', '-')")
        if clip_id in seen:
            raise ValueError(f"clip id {clip_id!r} appears twice")
        seen.add(clip_id)
        if not 0 <= start < end:
            raise ValueError(f"clip {clip_id}: window {start}-{end} s is empty or negative")


def _timestamp(us: int) -> str:
    """Exact decimal seconds for ffmpeg (a float repr could seek one keyframe too early)."""
    return f"{us // _US}.{us % _US:06d}"


def _encode_mezzanine(
    source: Path, dest: Path, boundaries: Sequence[float], *, has_video: bool, options: CutOptions
) -> Path:
    inp = ffmpeg.input(str(source))
    audio: dict[str, object] = {"map_metadata": -1, "map_chapters": -1}  # metadata may name people or places
    if options.copy_aac_audio and _audio_codec(source) == "aac":
        audio["acodec"] = "copy"
    else:
        audio.update(acodec="aac", audio_bitrate=options.audio_bitrate)
    if has_video:
        video = (
            inp["v:0"]
            .filter("scale", "trunc(iw/2)*2", "trunc(ih/2)*2")  # libx264 4:2:0 needs even sizes
            .filter("format", "yuv420p")
        )
        keyframes = ",".join(_timestamp(round(t * _US)) for t in boundaries if t > 0)
        stream = ffmpeg.output(
            video,
            inp["a:0"],
            str(dest),
            vcodec="libx264",
            preset=options.preset,
            crf=options.crf,
            bf=0,
            force_key_frames=keyframes,
            **audio,
        )
    else:
        stream = ffmpeg.output(inp["a:0"], str(dest), **audio)
    run_ffmpeg(stream, source=source, doing="encoding the recording for cutting")
    return dest


def _audio_codec(source: Path) -> str | None:
    streams = ffprobe_json(source, doing="reading the recording", select_streams="a:0").get("streams", [])
    return streams[0].get("codec_name") if streams else None


@dataclass(frozen=True)
class _Timeline:
    """Where the mezzanine can be cut: its keyframe times (video) or anywhere (audio), in microseconds."""

    keyframes_us: tuple[int, ...] | None
    end_us: int

    @classmethod
    def read(cls, mezzanine: Path, *, has_video: bool) -> _Timeline:
        if not has_video:
            fmt = ffprobe_json(mezzanine, doing="reading the encoded audio")["format"]
            return cls(None, round(float(fmt["duration"]) * _US))
        info = ffprobe_json(
            mezzanine,
            doing="reading the encoded keyframes",
            select_streams="v:0",
            show_entries="packet=pts,duration,flags",
        )
        base = Fraction(info["streams"][0]["time_base"])
        packets = [p for p in info.get("packets", []) if "pts" in p]
        keyframes = sorted(round(int(p["pts"]) * base * _US) for p in packets if "K" in p.get("flags", ""))
        end = max(round((int(p["pts"]) + int(p.get("duration", 0))) * base * _US) for p in packets)
        return cls(tuple(keyframes), end)

    def snap(self, clip_id: str, start: float, end: float) -> tuple[int, int]:
        start_us, end_us = round(start * _US), min(round(end * _US), self.end_us)
        if self.keyframes_us is not None:
            start_us, end_us = self._nearest_boundary(start_us), self._nearest_boundary(end_us)
        if start_us >= end_us:
            raise MediaError(
                f"clip {clip_id}: the window {start:.2f}-{end:.2f} s lies past the end of the "
                f"recording ({self.end_us / _US:.2f} s)"
            )
        return start_us, end_us

    def _nearest_boundary(self, us: int) -> int:
        """ffmpeg forces the keyframe on the frame nearest the requested time (up to half a frame
        before it); no other keyframe or the end of the stream can be nearer."""
        assert self.keyframes_us is not None
        candidates = self.keyframes_us + (self.end_us,)
        i = bisect_left(candidates, us)
        return min(candidates[max(i - 1, 0) : i + 1], key=lambda k: abs(k - us))


def _copy_clip(mezzanine: Path, dest: Path, start_us: int, end_us: int, *, source: Path) -> None:
    # -ss before -i seeks the demuxer straight to the keyframe at exactly start (no decoding);
    # -t then keeps the packets before end. Output-side -ss would read from the file's start and,
    # with stream copy, drop the boundary keyframe.
    stream = ffmpeg.input(str(mezzanine), ss=_timestamp(start_us)).output(
        str(dest), c="copy", t=_timestamp(end_us - start_us), movflags="+faststart"
    )
    run_ffmpeg(stream, source=source, doing="copying a clip")


def write_thumbnail(clip: Path, dest: Path, at_s: float, width: int, *, source: Path) -> None:
    stream = ffmpeg.input(str(clip), ss=f"{at_s:.3f}").output(
        str(dest), vframes=1, vf=f"scale={width}:-2", **{"q:v": 3}
    )
    run_ffmpeg(stream, source=source, doing="writing a thumbnail")
