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
shelf down for having served them early. Every student is run with ``--seeds`` random starts, each with a
history of its own.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
from collections.abc import Callable
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


def simulate(
    ctx: Any, token: str, wants: Callable[[dict[str, Any]], bool], library: list[Hit], args: Any, seed: int
) -> tuple[int, int]:
    """(wanted clips shown in rounds 1.., the most that could have been shown) for one student and start;
    ``token`` empty: random shelves instead of "pour toi"."""
    rng = random.Random(seed)
    seen: set[str] = set()
    shown = rng.sample(library, min(8, len(library)))
    found = 0
    ceiling = 0
    for r in range(args.rounds + 1):
        if r == 1:
            left = sum(wants(c.payload) for c in library if c.clip_id not in seen)
            ceiling = min(left, args.rounds * args.shelf)
        if r >= 1:
            found += sum(wants(c.payload) for c in shown)
        if r == args.rounds:
            break
        for clip in shown:
            seen.add(clip.clip_id)
            if token:
                record(ctx, token, clip, "utile" if wants(clip.payload) else "pas_pour_moi")
        unseen = [c for c in library if c.clip_id not in seen]
        shown = (for_you(ctx, token, PUBLISHED, args.shelf, seed=seed) if token else []) or rng.sample(
            unseen, min(args.shelf, len(unseen))
        )
    return found, ceiling


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
        print("| student wants | wanted clips | wanted shown, mean: pour toi / random / at most |")
        print("|---|---|---|")
        sums = [0, 0, 0]
        for name, wants in STUDENTS.items():
            ours = [simulate(ctx, f"sim-{seed}-{name}", wants, library, a, seed) for seed in range(a.seeds)]
            chance = [simulate(ctx, "", wants, library, a, seed) for seed in range(a.seeds)]
            mine, theirs = sum(f for f, _ in ours), sum(f for f, _ in chance)
            most = sum(c for _, c in ours)
            sums = [sums[0] + mine, sums[1] + theirs, sums[2] + most]
            n = a.seeds
            wanted = sum(wants(c.payload) for c in library)
            print(f"| {name} | {wanted} | {mine / n:.1f} / {theirs / n:.1f} / {most / n:.1f} |")
        print(
            f"\nall: pour toi showed {sums[0] / max(1, sums[2]):.2f} of the wanted clips it could have shown, "
            f"random shelves {sums[1] / max(1, sums[2]):.2f}"
        )
        ctx.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
