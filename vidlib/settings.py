"""One Settings object, read from the environment (prefix ``VIDLIB_``) at the entry point."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_home() -> Path:
    return Path.home() / ".vidlib"


class Settings(BaseSettings):
    """All configuration of vidlib. Build it once (``Settings()``) and pass it down."""

    model_config = SettingsConfigDict(env_prefix="VIDLIB_", env_nested_delimiter="__", frozen=True)

    home: Path = Field(default_factory=_default_home, description="All state lives under this folder.")

    # --- models -------------------------------------------------------------------------------
    models_dir: Path | None = Field(None, description="Model directories; default HOME/models.")
    whisper_model: str = Field(
        "base", description="Folder name under models_dir, or an absolute path to a CTranslate2 Whisper model."
    )
    whisper_device: Literal["cpu", "cuda", "auto"] = "cpu"
    whisper_compute_type: str = "int8"
    whisper_threads: int = 1
    # windows of one call transcribed at once (CTranslate2 workers, each whisper_threads threads): with 2, the core
    # diarisation leaves when it finishes goes on transcribing (bench/perf_scale.py)
    whisper_workers: int = Field(2, ge=1)
    whisper_beam_size: int = Field(
        3,
        ge=1,
        description="Beam search width. 3 lowered the WER of the annotated calls from 0.184 (greedy, 1) to 0.153 for "
        "about the same transcription time on 2 cores (docs/benchmarks.md); 5 gave 0.161, slower.",
    )
    whisper_batch_size: int = 0  # >0: batched pipeline (useful on GPU)
    whisper_vocabulary: bool = Field(
        False,
        description="Give Whisper the call's vocabulary (job, names from the "
        "consent record, career words) as hotwords. Off: with Whisper base it raised the WER "
        "of the annotated calls (docs/benchmarks.md); try it with a larger model.",
    )
    language: str | None = Field(None, description="Force the language (e.g. 'fr'); default: detect per call.")
    languages: tuple[str, ...] = Field(
        ("fr",),
        description="Languages the library takes; a call in another one is "
        'quarantined. Empty: any. Env: a JSON list, e.g. \'["fr", "en"]\'.',
    )
    diarization_device: str = "cpu"
    diarization_threads: int = 1
    diarization_threshold: float | None = Field(
        None, description="Clustering threshold; default: the tuned value in models/diarization.py."
    )
    diarization_segmentation_step: float | None = Field(
        None, description="Segmentation hop (fraction of 10 s); default: tuned."
    )
    embedder_threads: int = 2
    access_log: bool = Field(
        False, description="uvicorn's line per request; off: it holds the query string (what a student searched)."
    )
    query_embedder_precision: Literal["int8", "fp32"] = Field(
        "int8", description="The search's query vectors: e5 with int8 weights (about twice as fast) or fp32."
    )
    query_embedder_threads: int = Field(
        1, description="Threads per query embedding: the API embeds several queries at once, one per request thread."
    )

    # --- segmentation / clips -----------------------------------------------------------------
    # a chapter up to clip_max_s long is one clip; a longer one is cut into the fewest clips of clip_min_s..clip_max_s
    clip_min_s: float = 20.0
    clip_max_s: float = 180.0

    # --- input limits ------------------------------------------------------------------------
    max_duration_s: float = 4 * 3600.0
    max_file_bytes: int = 8 * 1024**3
    min_speech_ratio: float = 0.02
    # a long stage reads the withdrawal tombstone at most this often (one object-store request each)
    withdrawal_check_s: float = Field(5.0, gt=0)
    # overrides of the unconsented-voice checks' thresholds (their defaults and how they were measured:
    # pipelines/stages/extra_voice.py, docs/unconsented-voices.md); None keeps the stage's default
    extra_voice_min_speech_s: float | None = Field(None, ge=0)
    extra_voice_min_distance: float | None = Field(None, ge=0, le=2)
    extra_voice_windows: bool = True  # the window check (a parent who says a few short things)

    # --- storage -------------------------------------------------------------------------------
    store: Literal["local", "s3"] = "local"
    s3_endpoint_url: str | None = None
    s3_bucket: str = "vidlib"
    s3_region: str = "us-east-1"
    s3_access_key_id: SecretStr | None = None
    s3_secret_access_key: SecretStr | None = None
    s3_presign_expiry_s: int = 300

    # --- index ---------------------------------------------------------------------------------
    qdrant_url: str | None = Field(
        None, description="Qdrant server URL; default: the embedded engine under HOME/index."
    )
    qdrant_api_key: SecretStr | None = None
    qdrant_collection: str = "clips"
    index_lock_timeout_s: float = Field(
        120.0, description="How long a process waits for the embedded index to be free."
    )
    recording_lock_wait_s: float = Field(
        60.0,
        gt=0,
        description="How long a change to a recording (a decision, an "
        "edit, a consent change) waits for another writer of it (a re-cut takes up "
        "to ~25 s; a processing run minutes) before answering 'busy'.",
    )

    @property
    def resolved_models_dir(self) -> Path:
        return self.models_dir or (self.home / "models")

    @property
    def store_dir(self) -> Path:
        return self.home / "store"

    @property
    def index_path(self) -> Path:
        """The embedded index (one Qdrant edge shard) when no server URL is set."""
        return self.home / "index"

    @property
    def prefect_home(self) -> Path:
        return self.home / "prefect"

    @property
    def inbox_dir(self) -> Path:
        return self.home / "inbox"

    # --- search API (appended) ---------------------------------------------------------------------
    api_tokens: str = Field(
        "",
        description="Bearer tokens of the search API as comma-separated 'role:sha256hex' "
        "(student, moderator or admin; hashes, never tokens). Tokens made by "
        "`vidlib.search_api.tokens.create_token` live in HOME/api_tokens.json.",
    )
    media_link_secret: SecretStr | None = Field(
        None, description="Key that signs media links; default: random per server start."
    )
    media_link_expiry_s: int = 15 * 60  # short: a page asks again for a link when it needs one
