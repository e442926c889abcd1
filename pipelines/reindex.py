"""Rebuild the Qdrant index from the manifests (the source of truth)."""

from __future__ import annotations

from vidlib.errors import WithdrawnError
from vidlib.pipelines.context import RunContext
from vidlib.pipelines.indexing import reindex_manifest
from vidlib.pipelines.recording_lock import writing
from vidlib.storage.stage_keys import EMBED


def reindex_all(ctx: RunContext) -> int:
    """Re-upsert every indexed recording's clips from its manifest and stored embeddings, each under the recording's
    writer lock (a recording withdrawn meanwhile is skipped: its points must not come back)."""
    repo, total = ctx.repo, 0
    for recording_id in repo.list_ids():
        try:
            with writing(ctx, recording_id):
                if not repo.exists(recording_id):
                    continue
                manifest = repo.load(recording_id)
                if manifest.status != "indexed" or not repo.has_stage(recording_id, EMBED):
                    continue
                vectors = repo.load_stage(recording_id, EMBED)
                total += reindex_manifest(ctx, manifest, vectors)
        except WithdrawnError:
            continue
    return total
