"""A student's taste, learnt from their reactions: which jobs, sectors and career topics they like.

A regularised logistic regression over the reacted clips' job, sector and topic (one weight per value, an
intercept): ``utile`` (or a long watch) is 1, ``pas_pour_moi`` (or a skip) is 0. Fitting the values together
"explains away" what one like leaves open: a student who liked the nurse's salary clip and turned down the nurse's
other clips, and everyone's clips on other topics, gets the weight on ``salaire``, not on the nurse; a student who
liked the site manager's clips on every topic gets it on the site manager. Counting likes per value cannot tell
those two apart. The intercept takes part of the student's overall rate of likes (it is penalised like the values,
so that with no like yet the values turned down most still weigh most against a clip).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

FIELDS = ("job", "sector", "topic")
# a job always comes with its sector: each counts 1/sqrt(2), so that "who" (job and sector together) and "what"
# (the topic) weigh the same before any reaction, and the two cannot outvote a topic by being two
SCALE = {"job": 0.5**0.5, "sector": 0.5**0.5, "topic": 1.0}
PRIOR = 1.0  # the L2 penalty on each value's weight: one reaction alone moves a weight by about a third
NEWTON_STEPS = 25


@dataclass(frozen=True)
class Seen:
    """What the model sees of one reaction: the clip's values and whether it was liked."""

    values: Mapping[str, str]  # field -> value
    liked: bool


@dataclass(frozen=True)
class Taste:
    bias: float
    weights: Mapping[tuple[str, str], float]  # (field, value) -> weight; absent: 0

    def score(self, payload: Mapping[str, Any]) -> float:
        """The log-odds that the student likes a clip with this payload."""
        return self.bias + sum(SCALE[f] * self.weights.get((f, str(payload.get(f, ""))), 0.0) for f in FIELDS)

    def liked_values(self, limit: int) -> list[tuple[str, str]]:
        """The (field, value) pairs that add most to the score, at most ``limit``."""
        positive = sorted(
            ((SCALE[key[0]] * w, key) for key, w in self.weights.items() if w > 0), key=lambda x: (-x[0], x[1])
        )
        return [key for _, key in positive[:limit]]


def learn_taste(seen: Sequence[Seen]) -> Taste:
    """The regression fitted by Newton's method (a few hundred reactions and values at most)."""
    if not seen:
        return Taste(0.0, {})
    keys = sorted({(f, v) for r in seen for f, v in r.values.items() if f in FIELDS and v})
    column = {key: i + 1 for i, key in enumerate(keys)}  # column 0: the intercept
    x = np.zeros((len(seen), len(keys) + 1))
    x[:, 0] = 1.0
    for row, r in enumerate(seen):
        for f, v in r.values.items():
            if (f, v) in column:
                x[row, column[(f, v)]] = SCALE[f]
    y = np.array([1.0 if r.liked else 0.0 for r in seen])
    penalty = np.full(len(keys) + 1, PRIOR)  # the intercept too: with no like yet, the values turned down most
    # still weigh most against a clip, where a free intercept would take all the blame
    w = np.zeros(len(keys) + 1)
    for _ in range(NEWTON_STEPS):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        gradient = x.T @ (p - y) + penalty * w
        hessian = (x.T * (p * (1.0 - p))) @ x + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if float(np.max(np.abs(step))) < 1e-6:
            break
    return Taste(float(w[0]), {key: float(w[column[key]]) for key in keys})
