"""Rebuild the Qdrant index from the manifests (the source of truth)."""

from __future__ import annotations

from pipelines.context import RunContext
from pipelines.indexing import reindex_manifest


def reindex_all(ctx: RunContext) -> int:
    """Re-upsert every indexed recording's clips from its manifest and stored embeddings."""
    repo, total = ctx.repo, 0
    for recording_id in repo.list_ids():
        manifest = repo.load(recording_id)
        if manifest.status != "indexed" or not repo.has_stage(recording_id, "embed"):
            continue
        vectors = repo.load_stage(recording_id, "embed", dict[str, list[float]])
        total += reindex_manifest(ctx, manifest, vectors)
    return total
