"""Text written on a clip's video (participants' names on their tiles, a caption) found by OCR, and blurred on request.

Tesseract (Debian's ``tesseract-ocr`` with its French model ``tesseract-ocr-fra``, installed by scripts/setup.sh)
reads a few frames spread over the clip: a video call's tiles hardly move, so the same lines come back on every
frame; each line is kept once with the box that holds it on every frame it was read on. ``blur_boxes`` re-encodes a
clip's picture with those boxes blurred for its whole length (the sound is copied).
"""

from __future__ import annotations

import csv
import io
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import ffmpeg

from vidlib.domain import ScreenBox
from vidlib.errors import StageError
from vidlib.pipelines.stages.media_probe import ffprobe_json, run_ffmpeg

NO_TESSERACT = (
    "tesseract is not installed (it reads the text on the video): apt-get install tesseract-ocr "
    "tesseract-ocr-fra, or run scripts/setup.sh"
)
BLUR_PAD_PX = 4  # around the letters, so that no stroke stays readable at the edge


@dataclass(frozen=True)
class ScreenText:
    text: str
    box: ScreenBox  # pixels of the clip's video
    frames: int  # on how many of the frames read it was found
    confidence: float  # the mean word confidence, 0-100


@dataclass(frozen=True)
class OcrParams:
    every_s: float = 10.0  # one frame per this many seconds of clip...
    max_frames: int = 6  # ...and no more than this many
    min_confidence: float = 60.0  # a word read with less is dropped
    language: str = "fra"


def read_image_text(image: Path, params: OcrParams = OcrParams()) -> list[tuple[str, ScreenBox, float]]:
    """The lines of text on one image: (text, box, mean confidence)."""
    try:
        done = subprocess.run(
            ["tesseract", str(image), "stdout", "-l", params.language, "--psm", "11", "tsv"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except FileNotFoundError as exc:
        raise StageError(NO_TESSERACT) from exc
    if done.returncode != 0:
        raise StageError(f"tesseract could not read a frame: {done.stderr.strip()[-300:]}")
    lines: dict[tuple[str, str, str], list[dict[str, str]]] = {}
    for row in csv.DictReader(io.StringIO(done.stdout), delimiter="\t", quoting=csv.QUOTE_NONE):
        text = (row.get("text") or "").strip()
        if text and float(row["conf"]) >= params.min_confidence and any(c.isalpha() for c in text):
            lines.setdefault((row["block_num"], row["par_num"], row["line_num"]), []).append(row)
    out = []
    for words in lines.values():
        text = " ".join(w["text"].strip() for w in words)
        if sum(c.isalpha() for c in text) < 2:
            continue
        x0 = min(int(w["left"]) for w in words)
        y0 = min(int(w["top"]) for w in words)
        x1 = max(int(w["left"]) + int(w["width"]) for w in words)
        y1 = max(int(w["top"]) + int(w["height"]) for w in words)
        out.append((text, ScreenBox(x0, y0, x1 - x0, y1 - y0), sum(float(w["conf"]) for w in words) / len(words)))
    return out


def find_screen_text(
    video: Path, duration: float, work: Path, params: OcrParams = OcrParams()
) -> tuple[ScreenText, ...]:
    """Every line of text read on frames spread over ``video``, once each (its box the union over frames)."""
    n = max(1, min(params.max_frames, int(duration / params.every_s)))
    found: dict[str, list[tuple[ScreenBox, float]]] = {}
    work.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        frame = work / f"frame-{i}.png"
        at = (i + 0.5) * duration / n
        run_ffmpeg(
            ffmpeg.input(str(video), ss=f"{at:.3f}").output(str(frame), vframes=1),
            source=video,
            doing="taking a frame to read its text",
        )
        for text, box, confidence in read_image_text(frame, params):
            found.setdefault(" ".join(text.split()), []).append((box, confidence))
    out = []
    for text, seen in found.items():
        boxes = [b for b, _ in seen]
        x0, y0 = min(b.x for b in boxes), min(b.y for b in boxes)
        x1, y1 = max(b.x + b.w for b in boxes), max(b.y + b.h for b in boxes)
        out.append(
            ScreenText(
                text, ScreenBox(x0, y0, x1 - x0, y1 - y0), len(seen), round(sum(c for _, c in seen) / len(seen), 1)
            )
        )
    return tuple(sorted(out, key=lambda s: (s.box.y, s.box.x)))


def blur_boxes(source: Path, dest: Path, boxes: Sequence[ScreenBox]) -> Path:
    """Copy ``source`` to ``dest`` with ``boxes`` blurred on every frame (each padded, kept inside the picture)."""
    if not boxes:
        raise ValueError("no box to blur")
    stream = next(
        s for s in ffprobe_json(source, doing="reading the picture size")["streams"] if s.get("codec_type") == "video"
    )
    width, height = int(stream["width"]), int(stream["height"])
    src = ffmpeg.input(str(source))
    video = src.video
    for box in boxes:
        x, y = max(0, box.x - BLUR_PAD_PX), max(0, box.y - BLUR_PAD_PX)
        w, h = min(width - x, box.w + 2 * BLUR_PAD_PX), min(height - y, box.h + 2 * BLUR_PAD_PX)
        if w < 2 or h < 2:
            continue
        split = video.filter_multi_output("split")
        base, region = split[0], split[1]
        # pixelated (about 6 px cells), then smoothed: no letter survives, the tile's colours stay
        coarse = region.crop(x, y, w, h).filter("scale", max(1, w // 6), max(1, h // 6))
        hidden = coarse.filter("scale", w, h, flags="neighbor").filter("boxblur", max(1, min(4, w // 4, h // 4)))
        video = base.overlay(hidden, x=x, y=y)
    out = ffmpeg.output(
        video,
        src.audio,
        str(dest),
        vcodec="libx264",
        preset="veryfast",
        crf=23,
        pix_fmt="yuv420p",
        acodec="copy",
        movflags="+faststart",
    )
    run_ffmpeg(out, source=source, doing="blurring text on the video")
    return dest
