"""A student's reactions to clips and the "pour toi" shelf built from them.

A reaction is ``utile`` or ``pas_pour_moi``, or only how long the clip was watched. Reactions are kept in the object
store under an id derived from the student's token (``storage.layout.reactions_key``): no name, never shown to
anyone else, deleted at the student's request (``forget``).

The shelf:

* clips **liked** (``utile``, or watched for at least ``WATCHED_SHARE`` of their length) bring their nearest clips
  in meaning, each scored by how near it is to the liked ones;
* a job turned down ``REPEATED_DISINTEREST`` times (``pas_pour_moi`` or left within ``SKIPPED_S``) with nothing of
  it liked is left out, and after repeated disinterest with nothing liked at all the shelf offers **alternatives**:
  clips of sectors the student has not turned down, at random;
* clips the student already reacted to are not offered again.

``bench/eval_suggestions.py`` measures it with simulated students.
"""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from typing import Literal

from vidlib.pipelines.context import RunContext
from vidlib.storage.index import Filters, Hit
from vidlib.storage.layout import reactions_key
from vidlib.storage.manifests import now_iso

Reaction = Literal["utile", "pas_pour_moi", "vu"]
WATCHED_SHARE = 0.6
SKIPPED_S = 8.0
REPEATED_DISINTEREST = 2
KEPT = 500  # the most recent reactions kept per student


@dataclass(frozen=True)
class Reacted:
    clip_id: str
    reaction: Reaction
    watched_s: float
    duration: float
    job: str
    sector: str
    at: str
    topic: str = ""

    @property
    def liked(self) -> bool:
        return self.reaction == "utile" or (
            self.reaction == "vu" and self.duration > 0 and self.watched_s >= WATCHED_SHARE * self.duration
        )

    @property
    def turned_down(self) -> bool:
        return self.reaction == "pas_pour_moi" or (self.reaction == "vu" and self.watched_s < SKIPPED_S)


def reactions(ctx: RunContext, token_id: str) -> list[Reacted]:
    key = reactions_key(token_id)
    if not ctx.store.exists(key):
        return []
    return [Reacted(**r) for r in json.loads(ctx.store.get_bytes(key))]


def record(ctx: RunContext, token_id: str, clip: Hit, reaction: Reaction, watched_s: float = 0.0) -> Reacted:
    """Keep a reaction to ``clip`` (an index hit with its payload). A clip's latest reaction replaces the earlier
    one; its longest watch is kept. A watch alone does not undo a ``utile`` or ``pas_pour_moi``."""
    kept = {r.clip_id: r for r in reactions(ctx, token_id)}
    before = kept.pop(clip.clip_id, None)
    if before is not None and reaction == "vu" and before.reaction != "vu":
        reaction = before.reaction
    p = clip.payload
    new = Reacted(
        clip_id=clip.clip_id,
        reaction=reaction,
        watched_s=round(max(watched_s, before.watched_s if before else 0.0), 1),
        duration=round(float(p["end"]) - float(p["start"]), 1),
        job=str(p.get("job", "")),
        sector=str(p.get("sector", "")),
        at=now_iso(),
        topic=str(p.get("topic", "")),
    )
    items = [*kept.values(), new][-KEPT:]
    ctx.store.put_bytes(
        reactions_key(token_id), json.dumps([asdict(r) for r in items]).encode("utf-8"), "application/json"
    )
    return new


def forget(ctx: RunContext, token_id: str) -> int:
    """Delete every reaction of the student; how many there were."""
    count = len(reactions(ctx, token_id))
    if count:
        ctx.store.delete(reactions_key(token_id))
    return count


def for_you(ctx: RunContext, token_id: str, state: Filters, limit: int = 6, seed: int | None = None) -> list[Hit]:
    """The "pour toi" shelf (module docstring); empty until the student has reacted to something."""
    mine = reactions(ctx, token_id)
    if not mine:
        return []
    seen = {r.clip_id for r in mine}
    liked = [r for r in mine if r.liked]
    down = Counter(r.job for r in mine if r.turned_down)
    liked_jobs = {r.job for r in liked}
    avoided = {job for job, n in down.items() if n >= REPEATED_DISINTEREST and job not in liked_jobs}
    scores: dict[str, float] = defaultdict(float)
    hits: dict[str, Hit] = {}
    for r in liked[-20:]:  # the most recent likes (a clip withdrawn since has no neighbours)
        for h in ctx.index.similar(r.clip_id, state, 3 * limit):
            if h.clip_id in seen or h.payload.get("job") in avoided:
                continue
            scores[h.clip_id] += h.score
            hits[h.clip_id] = h
    shelf = [hits[cid] for cid in sorted(scores, key=lambda cid: (-scores[cid], cid))[:limit]]
    if len(shelf) < limit and not liked and sum(down.values()) >= REPEATED_DISINTEREST:
        down_sectors = {r.sector for r in mine if r.turned_down}
        others = [h for h in ctx.index.sample(state, 8 * limit, seed) if h.clip_id not in seen]
        others = [h for h in others if h.payload.get("sector") not in down_sectors]
        random.Random(seed).shuffle(others)
        shelf += others[: limit - len(shelf)]
    return shelf
