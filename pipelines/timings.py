"""How long each processing stage took, kept beside its result (``stages/timings/<stage>``) for the manifest."""

from __future__ import annotations

import json

from vidlib.pipelines.context import RunContext
from vidlib.storage import stage_keys
from vidlib.storage.layout import stage_key

STAGES = tuple(stage.name for stage in stage_keys.STAGES)


def record_timing(ctx: RunContext, recording_id: str, stage: str, seconds: float) -> None:
    ctx.store.put_bytes(stage_key(recording_id, f"timings/{stage}"), json.dumps({"seconds": seconds}).encode())


def stage_timings(ctx: RunContext, recording_id: str) -> dict[str, float]:
    out = {}
    for stage in STAGES:
        key = stage_key(recording_id, f"timings/{stage}")
        if ctx.store.exists(key):
            out[stage] = round(json.loads(ctx.store.get_bytes(key))["seconds"], 3)
    return out
