"""``release_freed_memory`` really gives freed heap pages back (what bounds a long call's peak RSS)."""

from __future__ import annotations

import os
import wave
from pathlib import Path

import numpy as np
import pytest

from vidlib.memory import drop_mapped_pages, release_freed_memory
from vidlib.pipelines.stages.media import map_pcm16_wav

PAGE = os.sysconf("SC_PAGE_SIZE")


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE / 1e6


def test_freed_holes_in_the_heap_go_back_to_the_system() -> None:
    # 60 kB blocks come from the heap (below glibc's mmap threshold); freeing every other one leaves holes the
    # heap cannot shrink around, as pyannote's embedding excerpts do
    blocks = [bytearray(60_000) for _ in range(4_000)]
    del blocks[::2]
    held = _rss_mb()
    assert release_freed_memory(), "vidlib runs on glibc (Debian/Ubuntu images): malloc_trim must be there"
    given_back = held - _rss_mb()
    assert given_back > 80, f"only {given_back:.0f} MB of the ~112 MB freed in whole pages went back"
    assert len(blocks) == 2_000  # the live half is untouched


def _rss_file_mb() -> float:
    """Resident file-backed pages of this process (mapped files), from /proc/self/status."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssFile:"):
            return int(line.split()[1]) / 1000
    raise AssertionError("no RssFile in /proc/self/status")


def test_a_mapped_call_gives_its_read_pages_back(tmp_path: Path) -> None:
    path = tmp_path / "call.wav"
    samples = (np.arange(40_000_000) % 2000 - 1000).astype("<i2")  # 80 MB, about 42 minutes at 16 kHz
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16_000)
        out.writeframes(samples.tobytes())
    mapped = map_pcm16_wav(path)
    before = _rss_file_mb()
    assert int(mapped[::2048].astype(np.int64).sum()) == int(
        samples[::2048].astype(np.int64).sum()
    )  # one read per page
    touched = _rss_file_mb() - before
    assert touched > 70, f"reading every page of the mapped call made only {touched:.0f} MB resident"
    window = mapped[1_000_000:1_000_100]  # a view keeps the mapping alive, and is what diarisation holds
    assert drop_mapped_pages(window)
    assert _rss_file_mb() - before < 10
    assert np.array_equal(window, samples[1_000_000:1_000_100])  # read again from the file, unchanged
    assert not drop_mapped_pages(samples)  # an array in memory has no mapping
