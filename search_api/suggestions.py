"""A student's reactions to clips and the "pour toi" shelf built from them.

A reaction is ``utile`` or ``pas_pour_moi``, or only how long the clip was watched. Reactions are kept in the object
store under an id derived from the student's token (``storage.layout.reactions_key``): no name, never shown to
anyone else, deleted at the student's request (``forget``).

The shelf, once the student has liked a clip or turned down ``REPEATED_DISINTEREST`` clips (``pas_pour_moi``, or
left within ``SKIPPED_S``):

* the student's taste (``search_api.taste``) is learnt from every like (``utile``, or watched for at least
  ``WATCHED_SHARE`` of the clip) and every turn-down: which jobs, sectors and career topics they like, each weighed
  against the others, so that a student who likes salaries across jobs is told apart from one who likes one job;
* candidates: the nearest clips in meaning of the recent likes, clips of the values the taste likes most, and a
  random draw of the library, every time (a student who liked nothing yet has only these);
* each is scored by the taste, plus a little for its nearness in meaning to a liked clip: after repeated
  disinterest the shelf offers what is least like what was turned down;
* the shelf is filled best first, each clip counted down a little for each clip of its job already on it
  (``SAME_JOB_COST``), so that a single like brings both of its readings (that job, or that topic anywhere);
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
from vidlib.search_api.taste import Seen, learn_taste
from vidlib.storage.index import Filters, Hit
from vidlib.storage.layout import reactions_key
from vidlib.storage.manifests import now_iso

Reaction = Literal["utile", "pas_pour_moi", "vu"]
WATCHED_SHARE = 0.6
SKIPPED_S = 8.0
REPEATED_DISINTEREST = 2
KEPT = 500  # the most recent reactions kept per student
LIKED_VALUES = 3  # the job, sector or topic values of the student's taste whose clips are drawn as candidates
NEAR_WEIGHT = 0.25  # the weight of a candidate's cosine similarity to the nearest liked clip
SAME_JOB_COST = 0.1  # taken from a candidate's score for each clip of its job already on the shelf


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
    """The "pour toi" shelf (module docstring); empty until the student has liked something or turned down
    ``REPEATED_DISINTEREST`` clips."""
    mine = reactions(ctx, token_id)
    liked = [r for r in mine if r.liked]
    if not liked and sum(r.turned_down for r in mine) < REPEATED_DISINTEREST:
        return []
    seen = {r.clip_id for r in mine}
    taste = learn_taste([_as_seen(r) for r in mine if r.liked or r.turned_down])
    near: dict[str, float] = defaultdict(float)  # the highest cosine to a liked clip, never below 0
    hits: dict[str, Hit] = {}
    for r in liked[-20:]:  # the most recent likes (a clip withdrawn since has no neighbours)
        for h in ctx.index.similar(r.clip_id, state, 3 * limit):
            near[h.clip_id] = max(near[h.clip_id], h.score)
            hits[h.clip_id] = h
    for field, value in taste.liked_values(LIKED_VALUES):  # what the likes have in common, beyond the nearest
        for h in ctx.index.sample({**state, field: value}, 4 * limit, seed):
            hits.setdefault(h.clip_id, h)
    for h in ctx.index.sample(state, 8 * limit, seed):  # the rest of the library: scored, it offers alternatives
        hits.setdefault(h.clip_id, h)
    scores = {cid: taste.score(h.payload) + NEAR_WEIGHT * near[cid] for cid, h in hits.items() if cid not in seen}
    order = random.Random(seed).sample(sorted(scores), len(scores))  # equal scores in random order
    return _varied([hits[cid] for cid in sorted(order, key=lambda cid: -scores[cid])], scores, limit)


def _varied(ranked: list[Hit], scores: dict[str, float], limit: int) -> list[Hit]:
    """The shelf taken from ``ranked`` one clip at a time, each clip's score lowered by ``SAME_JOB_COST`` for every
    clip of its job already on the shelf: what one like leaves open (that job, or that topic in any job) gets room on
    the shelf, while a taste that clearly favours one job still fills it with that job."""
    shelf: list[Hit] = []
    taken: Counter[str] = Counter()
    pool = ranked[: 8 * limit]
    while pool and len(shelf) < limit:
        best = max(pool, key=lambda h: scores[h.clip_id] - SAME_JOB_COST * taken[str(h.payload.get("job", ""))])
        pool.remove(best)
        shelf.append(best)
        taken[str(best.payload.get("job", ""))] += 1
    return shelf


def _as_seen(r: Reacted) -> Seen:
    return Seen({"job": r.job, "sector": r.sector, "topic": r.topic}, r.liked)
