"""The "pour toi" shelf measured with simulated students: how many of the clips each wants it shows them.

    .venv/bin/python -m bench.eval_suggestions --home H --rounds 3 --shelf 6

``H`` is a VIDLIB_HOME with processed, published clips (it is copied first: the reactions are written to the copy).
Each simulated student wants one thing, written as a rule on the clips (a sector, a job, a career topic). Round 0
shows 8 clips at random (the home page's shelf); from then on the student sees the "pour toi" shelf of
``--shelf`` clips (``search_api.suggestions.for_you``), or a random shelf while it is empty. The student says
``utile`` to each wanted clip shown and ``pas_pour_moi`` to the others, as the page lets them. The same student
is run again with a random shelf of clips not yet seen each round. The figure is how many wanted clips the shelves
of rounds 1..``--rounds`` showed, against the most they could have shown (the wanted clips left after round 0,
at most ``--rounds`` x ``--shelf``): a library holds few clips of one topic, so a per-round share would count a
shelf down for having served them early. Also printed: how often the shelf holds at least one wanted clip, among
the rounds where one was left unseen. Every student is run with ``--seeds`` random starts, each with a
history of its own.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vidlib.pipelines.context import configure_offline_environment, context_for
from vidlib.search_api.suggestions import for_you, record
from vidlib.settings import Settings
from vidlib.storage.index import Hit
from vidlib.text import fold_accents

PUBLISHED = {"state": "published"}


def _has(field: str, word: str) -> Callable[[dict[str, Any]], bool]:
    return lambda p: word in fold_accents(str(p.get(field, "")).lower())


STUDENTS: dict[str, Callable[[dict[str, Any]], bool]] = {
    "le bâtiment": _has("sector", "batiment"),
    "le droit": _has("job", "avocat"),
    "le social": _has("sector", "social"),
    "le numérique": _has("sector", "numerique"),
    "le salaire": lambda p: p.get("topic") == "salaire",
    "les études": lambda p: p.get("topic") == "parcours_etudes",
    "l'IA": lambda p: p.get("topic") == "ia_et_metier",
    "les horaires": lambda p: p.get("topic") in ("horaires", "journee_type"),
}


@dataclass(frozen=True)
class Run:
    """One student and start: wanted clips shown in rounds 1.. and the most that could have been; the rounds whose
    shelf held a wanted clip, among those where one was left unseen."""

    found: int
    ceiling: int
    held: int
    open_rounds: int


def simulate(
    ctx: Any, token: str, wants: Callable[[dict[str, Any]], bool], library: list[Hit], args: Any, seed: int
) -> Run:
    """``token`` empty: random shelves instead of "pour toi"."""
    rng = random.Random(seed)
    seen: set[str] = set()
    shown = rng.sample(library, min(8, len(library)))
    found = ceiling = held = open_rounds = 0
    for r in range(args.rounds + 1):
        if r >= 1:
            wanted = sum(wants(c.payload) for c in shown)
            found += wanted
            if any(wants(c.payload) for c in library if c.clip_id not in seen):
                open_rounds += 1
                held += wanted > 0
        if r == args.rounds:
            break
        for clip in shown:
            seen.add(clip.clip_id)
            if token:
                record(ctx, token, clip, "utile" if wants(clip.payload) else "pas_pour_moi")
        unseen = [c for c in library if c.clip_id not in seen]
        if r == 0:
            ceiling = min(sum(wants(c.payload) for c in unseen), args.rounds * args.shelf)
        shown = (for_you(ctx, token, PUBLISHED, args.shelf, seed=seed) if token else []) or rng.sample(
            unseen, min(args.shelf, len(unseen))
        )
    return Run(found, ceiling, held, open_rounds)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--shelf", type=int, default=6)
    ap.add_argument("--seeds", type=int, default=10)
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="vidlib-suggest-") as tmp:
        for part in ("store", "index"):
            shutil.copytree(a.home / part, Path(tmp) / part)
        settings = Settings(home=Path(tmp))
        configure_offline_environment(settings)
        ctx = context_for(settings)
        library = ctx.index.sample(PUBLISHED, 100_000, seed=0)
        print(f"{len(library)} published clips; {a.rounds} rounds of a shelf of {a.shelf}; {a.seeds} starts each\n")
        print(
            "| student wants | wanted clips | wanted shown, mean: pour toi / random / at most "
            "| shelf holds a wanted clip: pour toi / random |"
        )
        print("|---|---|---|---|")
        ours_all: list[Run] = []
        chance_all: list[Run] = []
        for name, wants in STUDENTS.items():
            ours = [simulate(ctx, f"sim-{seed}-{name}", wants, library, a, seed) for seed in range(a.seeds)]
            chance = [simulate(ctx, "", wants, library, a, seed) for seed in range(a.seeds)]
            ours_all += ours
            chance_all += chance
            n = a.seeds
            wanted = sum(wants(c.payload) for c in library)
            print(
                f"| {name} | {wanted} | {sum(r.found for r in ours) / n:.1f} / {sum(r.found for r in chance) / n:.1f}"
                f" / {sum(r.ceiling for r in ours) / n:.1f} | {_held(ours):.2f} / {_held(chance):.2f} |"
            )
        most = max(1, sum(r.ceiling for r in ours_all))
        print(
            f"\nall: pour toi showed {sum(r.found for r in ours_all) / most:.2f} of the wanted clips it could have "
            f"shown (random shelves {sum(r.found for r in chance_all) / most:.2f}); its shelf held a wanted clip in "
            f"{_held(ours_all):.2f} of the rounds where one was left (random {_held(chance_all):.2f})"
        )
        ctx.close()
    return 0


def _held(runs: list[Run]) -> float:
    return sum(r.held for r in runs) / max(1, sum(r.open_rounds for r in runs))


if __name__ == "__main__":
    sys.exit(main())
