"""The "pour toi" shelf measured with simulated students: how often it holds a clip the student wants.

    .venv/bin/python -m bench.eval_suggestions --home H --rounds 3 --shelf 6

``H`` is a VIDLIB_HOME with processed, published clips (it is copied first: the reactions are written to the copy).
Each simulated student wants one thing, written as a rule on the clips (a sector, a job, a career topic). Round 0
shows 8 clips at random (the home page's shelf); from then on the student sees the "pour toi" shelf of
``--shelf`` clips (``search_api.suggestions.for_you``), or the random shelf while it is empty. The student says
``utile`` to each wanted clip shown and ``pas_pour_moi`` to the others, as the page lets them. After each round the
script records the share of the shelf that is wanted and whether the shelf holds at least one wanted clip, and
compares both with a shelf drawn at random from the clips not yet seen. Every student is run with ``--seeds``
random starts.
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


def simulate(ctx: Any, wants: Callable[[dict[str, Any]], bool], library: list[Hit], args: Any, seed: int) -> list[Any]:
    token = f"sim{seed}{random.Random(seed).random()}"[:24]
    rng = random.Random(seed)
    seen: set[str] = set()
    shown = rng.sample(library, min(8, len(library)))
    out = []
    for _ in range(args.rounds):
        for clip in shown:
            seen.add(clip.clip_id)
            record(ctx, token, clip, "utile" if wants(clip.payload) else "pas_pour_moi")
        shelf = for_you(ctx, token, PUBLISHED, args.shelf, seed=seed) or rng.sample(
            [c for c in library if c.clip_id not in seen], min(args.shelf, len(library) - len(seen))
        )
        unseen = [c for c in library if c.clip_id not in seen]
        base = sum(wants(c.payload) for c in unseen) / max(1, len(unseen))
        wanted = sum(wants(c.payload) for c in shelf)
        out.append((wanted / max(1, len(shelf)), wanted > 0, base, _chance_one(unseen, wants, len(shelf))))
        shown = shelf
    return out


def _chance_one(unseen: list[Hit], wants: Callable[[dict[str, Any]], bool], size: int) -> float:
    """The probability that ``size`` clips drawn at random from ``unseen`` hold at least one wanted clip."""
    n, k = len(unseen), sum(wants(c.payload) for c in unseen)
    if size == 0 or n == 0:
        return 0.0
    miss = 1.0
    for i in range(min(size, n)):
        miss *= max(0.0, (n - k - i) / (n - i))
    return 1.0 - miss


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--shelf", type=int, default=6)
    ap.add_argument("--seeds", type=int, default=5)
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="vidlib-suggest-") as tmp:
        for part in ("store", "index"):
            shutil.copytree(a.home / part, Path(tmp) / part)
        settings = Settings(home=Path(tmp))
        configure_offline_environment(settings)
        ctx = context_for(settings)
        library = ctx.index.sample(PUBLISHED, 100_000, seed=0)
        print(f"{len(library)} published clips; shelf of {a.shelf}; {a.seeds} starts per student\n")
        print("| student wants | round | wanted share: pour toi / random | holds one wanted: pour toi / random |")
        print("|---|---|---|---|")
        totals: list[tuple[float, bool, float, float]] = []
        for name, wants in STUDENTS.items():
            runs = [simulate(ctx, wants, library, a, seed) for seed in range(a.seeds)]
            for r in range(a.rounds):
                rows = [run[r] for run in runs]
                totals += rows
                share = sum(x[0] for x in rows) / len(rows)
                base = sum(x[2] for x in rows) / len(rows)
                one = sum(x[1] for x in rows) / len(rows)
                chance = sum(x[3] for x in rows) / len(rows)
                print(f"| {name} | {r + 1} | {share:.2f} / {base:.2f} | {one:.2f} / {chance:.2f} |")
        n = len(totals)
        print(
            f"\nall: wanted share {sum(x[0] for x in totals) / n:.2f} (random {sum(x[2] for x in totals) / n:.2f}), "
            f"holds one wanted {sum(x[1] for x in totals) / n:.2f} (random {sum(x[3] for x in totals) / n:.2f})"
        )
        ctx.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
