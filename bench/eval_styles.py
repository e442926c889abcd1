"""The styles of work each processed call gets, with the evidence: the professional's words, each style's keywords
per thousand of them and the keywords said.

    .venv/bin/python -m bench.eval_styles --home H [H ...]

``H`` is a VIDLIB_HOME where calls were processed; the styles are read again from each call's stored attributed
transcript with the current code (pipelines/stages/styles.py). There is no annotated truth for styles: the table is
for a person to judge.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vidlib.pipelines.context import RunContext
from vidlib.pipelines.stages.styles import assign_styles, load_styles, professional_words, style_evidence
from vidlib.settings import Settings
from vidlib.storage.stage_keys import ATTRIBUTE


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", required=True, type=Path, nargs="+")
    a = ap.parse_args()
    print("| job | professional's words | styles | per 1000 words (keywords said) |\n|---|---|---|---|")
    for home in a.home:
        ctx = RunContext(Settings(home=home))
        for rid in ctx.repo.list_ids():
            if not ctx.repo.has_stage(rid, ATTRIBUTE):
                continue
            attributed = ctx.repo.load_stage(rid, ATTRIBUTE)
            said = professional_words(attributed)
            evidence = [e for e in style_evidence(said, load_styles()) if e.per_1000]
            detail = "; ".join(f"{e.style} {e.per_1000:.1f} ({', '.join(e.words[:5])})" for e in evidence)
            job = ctx.repo.load(rid).consent.recording.job
            print(f"| {job} | {len(said)} | {', '.join(assign_styles(attributed)) or '-'} | {detail} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
