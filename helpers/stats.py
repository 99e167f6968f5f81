"""Several seeds, one honest verdict: summarise repeated runs and compare two settings.

A comparison that is the lesson (dropout vs none, transfer vs scratch, ...) is run over a few
seeds. `spread(scores)` gives mean ± standard deviation; `compare(...)` decides, by a rule stated
in its sentence, whether the difference of two means is larger than the noise between seeds, and
prints that sentence from the numbers, so the verdict stays true for any seed, size or data set.

The rule: a difference counts when it is larger than twice its standard error,
sqrt(sd_a²/n_a + sd_b²/n_b). With 2 or 3 seeds the standard deviations are themselves rough, so
this is a rough guide, not a test of significance; with one seed the spread is unknown and no
winner is declared.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

AHEAD, BEHIND, NOISE, UNKNOWN = "ahead", "behind", "within noise", "spread unknown"


@dataclass
class Spread:
    """Mean and sample standard deviation of one score over seeds."""

    values: list[float]

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))

    @property
    def std(self) -> float:
        """Sample standard deviation (ddof=1); NaN for a single seed."""
        return float(np.std(self.values, ddof=1)) if self.n > 1 else float("nan")

    def __str__(self) -> str:
        seeds = f"{self.n} seed" + ("s" if self.n != 1 else "")
        if self.n < 2:
            return f"{self.mean:.3f} ({seeds})"
        return f"{self.mean:.3f} ± {self.std:.3f} ({seeds})"

    def as_dict(self) -> dict:
        return {"values": [float(v) for v in self.values], "mean": self.mean,
                "std": None if self.n < 2 else self.std}


def spread(values: Sequence[float]) -> Spread:
    """Mean ± standard deviation of `values` (one score per seed)."""
    values = [float(v) for v in values]
    if not values:
        raise ValueError("spread() needs at least one score")
    return Spread(values)


def verdict_of(scores_a: Sequence[float], scores_b: Sequence[float]) -> tuple[str, float, float]:
    """(verdict, difference of means a-b, noise = 2 standard errors) by the module's rule."""
    a, b = spread(scores_a), spread(scores_b)
    diff = a.mean - b.mean
    if a.n < 2 or b.n < 2:
        return UNKNOWN, diff, float("nan")
    noise = 2 * math.sqrt(a.std ** 2 / a.n + b.std ** 2 / b.n)
    if abs(diff) > noise:
        return (AHEAD if diff > 0 else BEHIND), diff, noise
    return NOISE, diff, noise


@dataclass
class Comparison:
    """Two settings over seeds, with the verdict and the sentence that states it."""

    a: str
    b: str
    scores_a: list[float]
    scores_b: list[float]
    what: str = "accuracy"
    verdict: str = field(init=False)
    diff: float = field(init=False)
    noise: float = field(init=False)

    def __post_init__(self) -> None:
        self.verdict, self.diff, self.noise = verdict_of(self.scores_a, self.scores_b)

    @property
    def sentence(self) -> str:
        a, b = spread(self.scores_a), spread(self.scores_b)
        head = (f"{self.what}: {self.a} {a} vs {self.b} {b}; "
                f"difference {100 * self.diff:+.1f} points")
        if self.verdict == UNKNOWN:
            return (head + ". With one seed the spread between runs is unknown, so this difference "
                    "cannot be told from noise: run with more SEEDS to judge.")
        noise = f"the noise between seeds (±{100 * self.noise:.1f} points, two standard errors)"
        if self.verdict == NOISE:
            return head + f", within {noise}: no winner on this run."
        better, worse = (self.a, self.b) if self.verdict == AHEAD else (self.b, self.a)
        return head + f", larger than {noise}: {better} is ahead of {worse}."

    def __str__(self) -> str:
        return self.sentence

    def _repr_pretty_(self, printer, cycle) -> None:  # IPython shows the sentence, not the fields
        printer.text(self.sentence)

    def as_dict(self) -> dict:
        return {"a": self.a, "b": self.b, "what": self.what, "scores_a": list(map(float, self.scores_a)),
                "scores_b": list(map(float, self.scores_b)), "verdict": self.verdict,
                "diff": self.diff, "noise": None if math.isnan(self.noise) else self.noise,
                "sentence": self.sentence}


def compare(a: str, scores_a: Sequence[float], b: str, scores_b: Sequence[float],
            what: str = "accuracy") -> Comparison:
    """Compare setting `a` with setting `b` over seeds; print(result) states the verdict."""
    return Comparison(a, b, [float(s) for s in scores_a], [float(s) for s in scores_b], what)


def mean_of_last(values: Sequence[float], k: int = 3) -> float:
    """Mean of the last `k` epochs of a curve: a steadier headline than its last point."""
    values = list(values)
    if not values:
        raise ValueError("mean_of_last() needs a non-empty curve")
    return float(np.mean(values[-k:]))
