"""Several seeds, one honest verdict: summarise repeated runs and compare two settings.

A comparison that is the lesson (dropout vs none, transfer vs scratch, ...) is run over a few
seeds. `spread(scores)` gives mean ± standard deviation; `compare(...)` decides, by a rule stated
in its sentence, whether the difference of two means is larger than the noise between seeds, and
prints that sentence from the numbers, so the verdict stays true for any seed, size or data set.

The rule: a difference counts when it is larger than twice its standard error,
sqrt(sd_a²/n_a + sd_b²/n_b). With 2 or 3 seeds the standard deviations are themselves rough, so
this is a rough guide, not a test of significance; with one seed the spread is unknown and no
winner is declared. `compare(..., lower_is_better=True)` words it for losses and seconds, and
`compare_single` judges one run per side against a seed spread measured elsewhere.
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
    """Two settings, with the verdict and the sentence that states it.

    Over seeds (the default), or one run per side when `sd`, a seed-to-seed standard deviation measured
    elsewhere (`measured_in`), is given: then the difference counts above 2·√2·sd, two standard errors
    of the difference of two single runs. `lower_is_better` (losses, gaps, seconds) changes the words
    and the units (raw values instead of percentage points), not the verdict: `verdict` always says
    whether a's score is above (AHEAD) or below (BEHIND) b's beyond the noise.
    """

    a: str
    b: str
    scores_a: list[float]
    scores_b: list[float]
    what: str = "accuracy"
    lower_is_better: bool = False
    sd: float | None = None
    measured_in: str = ""
    verdict: str = field(init=False)
    diff: float = field(init=False)
    noise: float = field(init=False)

    def __post_init__(self) -> None:
        if self.sd is None:
            self.verdict, self.diff, self.noise = verdict_of(self.scores_a, self.scores_b)
            return
        self.diff = spread(self.scores_a).mean - spread(self.scores_b).mean
        self.noise = 2 * math.sqrt(2) * self.sd
        if math.isnan(self.noise):
            self.verdict = UNKNOWN
        elif abs(self.diff) > self.noise:
            self.verdict = AHEAD if self.diff > 0 else BEHIND
        else:
            self.verdict = NOISE

    @property
    def kind(self) -> str:
        parts = (["one run"] if self.sd is not None else []) + (["lower is better"] if self.lower_is_better else [])
        return ", ".join(parts)

    def _winner_words(self) -> str:
        high, low = (self.a, self.b) if self.verdict == AHEAD else (self.b, self.a)
        return f"{low} is lower than {high}" if self.lower_is_better else f"{high} is ahead of {low}"

    @property
    def sentence(self) -> str:
        if self.sd is not None:
            return self._single_run_sentence()
        a, b = spread(self.scores_a), spread(self.scores_b)
        if self.lower_is_better:
            head = f"{self.what}: {self.a} {a} vs {self.b} {b}"
            if self.verdict == UNKNOWN:
                return head + "; with one seed the spread between runs is unknown: no verdict."
            if self.verdict == NOISE:
                return (head + f"; the difference {self.diff:+.3f} is within the noise between seeds "
                        f"(±{self.noise:.3f}): no winner on this run.")
            return (head + f"; {self._winner_words()} by {abs(self.diff):.3f}, more than the noise between seeds "
                    f"(±{self.noise:.3f}).")
        head = (f"{self.what}: {self.a} {a} vs {self.b} {b}; "
                f"difference {100 * self.diff:+.1f} points")
        if self.verdict == UNKNOWN:
            return (head + ". With one seed the spread between runs is unknown, so this difference "
                    "cannot be told from noise: run with more SEEDS to judge.")
        noise = f"the noise between seeds (±{100 * self.noise:.1f} points, two standard errors)"
        if self.verdict == NOISE:
            return head + f", within {noise}: no winner on this run."
        return head + f", larger than {noise}: {self._winner_words()}."

    def _single_run_sentence(self) -> str:
        score_a, score_b = spread(self.scores_a).mean, spread(self.scores_b).mean
        size, margin = ((f"{self.diff:+.3f}", f"±{self.noise:.3f}") if self.lower_is_better
                        else (f"{100 * self.diff:+.1f} points", f"±{100 * self.noise:.1f} points"))
        head = f"{self.what}: {self.a} {score_a:.3f} vs {self.b} {score_b:.3f} (one run each), difference {size}"
        if self.verdict == UNKNOWN:
            return head + ", and with one seed in SEEDS the spread is unknown: no verdict."
        rule = f"the noise between two single runs ({margin}, from the seed spread in {self.measured_in})"
        if self.verdict == NOISE:
            return head + f", within {rule}: no winner on this run."
        return head + f", larger than {rule}: {self._winner_words()}."

    def __str__(self) -> str:
        return self.sentence

    def _repr_pretty_(self, printer, cycle) -> None:  # IPython shows the sentence, not the fields
        printer.text(self.sentence)

    def as_dict(self) -> dict:
        found = {"a": self.a, "b": self.b, "what": self.what, "scores_a": list(map(float, self.scores_a)),
                 "scores_b": list(map(float, self.scores_b)), "verdict": self.verdict,
                 "diff": self.diff, "noise": None if math.isnan(self.noise) else self.noise,
                 "sentence": self.sentence}
        if self.kind:
            found["kind"] = self.kind
        if self.sd is not None:
            found["sd"] = None if math.isnan(self.sd) else self.sd
        return found


def compare(a: str, scores_a: Sequence[float], b: str, scores_b: Sequence[float],
            what: str = "accuracy", lower_is_better: bool = False) -> Comparison:
    """Compare setting `a` with setting `b` over seeds; print(result) states the verdict."""
    return Comparison(a, b, [float(s) for s in scores_a], [float(s) for s in scores_b], what, lower_is_better)


def compare_single(a: str, score_a: float, b: str, score_b: float, sd: float, measured_in: str,
                   what: str = "accuracy", lower_is_better: bool = False) -> Comparison:
    """Compare one run of `a` with one run of `b`, the noise taken from a seed-to-seed `sd` measured
    in `measured_in` (NaN: one seed, no verdict)."""
    return Comparison(a, b, [float(score_a)], [float(score_b)], what, lower_is_better, float(sd), measured_in)


def mean_of_last(values: Sequence[float], k: int = 3) -> float:
    """Mean of the last `k` epochs of a curve: a steadier headline than its last point."""
    values = list(values)
    if not values:
        raise ValueError("mean_of_last() needs a non-empty curve")
    return float(np.mean(values[-k:]))
