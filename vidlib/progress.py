"""Run the processing flow with a progress bar per recording (rich)."""

from __future__ import annotations

from typing import Any

from vidlib.pipelines.context import RunContext
from vidlib.pipelines.timings import STAGES


def run_with_progress(ctx: RunContext, recording_id: str, *, show: bool = True) -> Any:
    from vidlib.pipelines.flows import process_recording  # Prefect, imported only when a flow runs

    if not show:
        process_recording(recording_id, ctx.settings)
        return ctx.repo.load(recording_id)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), transient=False
    ) as bar:
        task_id = bar.add_task(f"{recording_id}: starting", total=len(STAGES))
        running: set[str] = set()

        def hook(rid: str, stage: str, event: str) -> None:
            if rid != recording_id:
                return
            if event == "start":
                running.add(stage)
            else:
                running.discard(stage)
                bar.advance(task_id)
            bar.update(task_id, description=f"{recording_id}: {', '.join(sorted(running)) or stage}")

        ctx.progress = hook
        try:
            process_recording(recording_id, ctx.settings)
        finally:
            ctx.progress = None
        bar.update(task_id, description=f"{recording_id}: done")
    return ctx.repo.load(recording_id)
