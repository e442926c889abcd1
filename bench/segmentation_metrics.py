"""Segmentation metrics over time: Pk, WindowDiff and boundary F1 (Beeferman 1999; Pevzner & Hearst 2002).

Segmentations are lists of boundary times inside [0, duration]; they are sampled on a fixed time grid
(default 0.5 s) so that hypothesis and reference need not share units.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SegmentationScores:
    pk: float
    window_diff: float
    precision: float
    recall: float
    f1: float
    n_reference: int
    n_hypothesis: int


def _labels(boundaries: Sequence[float], duration: float, step: float) -> np.ndarray:
    grid = np.arange(0.0, duration, step)
    return np.searchsorted(np.sort(np.asarray(boundaries, dtype=float)), grid, side="right")


def pk_windowdiff(
    reference: Sequence[float], hypothesis: Sequence[float], duration: float, step: float = 0.5
) -> tuple[float, float]:
    ref = _labels(reference, duration, step)
    hyp = _labels(hypothesis, duration, step)
    n_segments = len(reference) + 1
    k = max(1, int(round(len(ref) / n_segments / 2)))
    if len(ref) <= k:
        return 0.0, 0.0
    same_ref = ref[k:] == ref[:-k]
    same_hyp = hyp[k:] == hyp[:-k]
    pk = float(np.mean(same_ref != same_hyp))
    wd = float(np.mean((ref[k:] - ref[:-k]) != (hyp[k:] - hyp[:-k])))
    return pk, wd


def boundary_f1(
    reference: Sequence[float], hypothesis: Sequence[float], tolerance: float = 5.0
) -> tuple[float, float, float]:
    """Precision, recall, F1 with one-to-one matching of boundaries within ``tolerance`` seconds."""
    ref, hyp = sorted(reference), sorted(hypothesis)
    used: set[int] = set()
    hits = 0
    for h in hyp:
        best = min(
            ((abs(h - r), i) for i, r in enumerate(ref) if i not in used and abs(h - r) <= tolerance),
            default=None,
        )
        if best is not None:
            used.add(best[1])
            hits += 1
    precision = hits / len(hyp) if hyp else (1.0 if not ref else 0.0)
    recall = hits / len(ref) if ref else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def score_segmentation(
    reference: Sequence[float], hypothesis: Sequence[float], duration: float, tolerance: float = 5.0
) -> SegmentationScores:
    pk, wd = pk_windowdiff(reference, hypothesis, duration)
    p, r, f = boundary_f1(reference, hypothesis, tolerance)
    return SegmentationScores(pk, wd, p, r, f, len(reference), len(hypothesis))


def reference_boundaries(topic_segments: Sequence[dict]) -> list[float]:
    """Boundaries of a ground-truth list of {start, end} topic segments: midpoints of the gaps between them."""
    segs = sorted(topic_segments, key=lambda s: s["start"])
    return [(a["end"] + b["start"]) / 2 for a, b in zip(segs, segs[1:])]
