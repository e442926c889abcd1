"""Subtitles as a student would see them: the cues ``write_webvtt`` makes for every clip of processed calls.

    .venv/bin/python -m bench.subtitle_cues --home H [H ...]

Counts the cues, those shown for less than ``FLASH_S`` (nobody reads them), those holding punctuation alone, and the
words shown, from each call's stored words and clips (nothing is processed again).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from vidlib.pipelines.context import context_for
from vidlib.pipelines.stages.media import FLASH_S, write_webvtt
from vidlib.settings import Settings

_CUE = re.compile(r"(\d\d):(\d\d):(\d\d)\.(\d\d\d) --> (\d\d):(\d\d):(\d\d)\.(\d\d\d)\n((?:.+\n?)+)")


def _seconds(parts: tuple[str, ...]) -> float:
    h, m, s, ms = (int(p) for p in parts)
    return h * 3600 + m * 60 + s + ms / 1000


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", nargs="+", required=True, type=Path)
    a = ap.parse_args(argv)
    cues = flashes = punctuation = shown = 0
    for home in a.home:
        ctx = context_for(Settings(home=home))
        for rid in ctx.repo.list_ids():
            manifest = ctx.repo.load(rid)
            if manifest.attributed is None:
                continue
            for clip in manifest.clips:
                for m in _CUE.finditer(write_webvtt(manifest.attributed.words, clip.start, clip.end)):
                    text = re.sub(r"</?v[^>]*>", "", m[9]).strip()
                    cues += 1
                    flashes += _seconds(m.groups()[4:8]) - _seconds(m.groups()[:4]) < FLASH_S
                    punctuation += not any(c.isalnum() for c in text)
                    shown += len(text.split())
    print(
        f"{cues} cues, {flashes} shown for less than {FLASH_S} s, {punctuation} of punctuation alone, "
        f"{shown} words shown"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
