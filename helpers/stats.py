"""Several seeds, one honest verdict: summarise repeated runs and compare two settings.

A comparison that is the lesson (dropout vs none, transfer vs scratch, ...) is run over a few
seeds. `spread(scores)` gives mean ± standard deviation; `compare(...)` decides whether the
difference of two means is larger than the noise between seeds, and prints that sentence from the
numbers, so the verdict stays true for any seed, size or data set.

The rule is Welch's t-test at 95 %: the difference of the means gets a 95 % confidence interval,
diff ± t·se with se = sqrt(sd_a²/n_a + sd_b²/n_b) and t the 97.5 % point of Student's t for the
Welch–Satterthwaite degrees of freedom. A side is "ahead" only when the whole interval is on its
side of zero; the sentence gives the interval. With one seed a side the spread is unknown and no
winner is declared. `compare(..., lower_is_better=True)` words it for losses and seconds, and
`compare_single` judges one run per side against a seed spread measured in the same setting;
`lecture_effect` turns a comparison into one entry of a notebook's `lecture_effects` list.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from scipy import stats as _scipy_stats

AHEAD, BEHIND, NOISE, UNKNOWN = "ahead", "behind", "within noise", "spread unknown"
CHOICES = [AHEAD, BEHIND, NOISE, UNKNOWN]    # the outcomes a prediction can name
VERDICT_RULE = ("error bars: ±1 standard deviation, how far a single run moves; the verdict does not read them: "
                "it gives the difference of the means a 95% interval (Welch's t-test) and names a winner only "
                "when the interval excludes 0")
LEVEL = 0.95   # confidence level of every interval


def t_critical(df: float) -> float:
    """The two-sided 95 % critical value of Student's t with `df` degrees of freedom (inf: normal)."""
    return float(_scipy_stats.t.ppf(0.5 + LEVEL / 2, df)) if math.isfinite(df) else float(_scipy_stats.norm.ppf(0.5 + LEVEL / 2))


def binomial_sd(accuracy: float, n: int) -> float:
    """Standard deviation of an accuracy measured on `n` images: sqrt(p(1-p)/n)."""
    return math.sqrt(max(accuracy * (1 - accuracy), 0.0) / n)


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
        return f"{mean_sd(self.values)} ({self.n} seed{'s' * (self.n != 1)})"


def spread(values: Sequence[float]) -> Spread:
    """Mean ± standard deviation of `values` (one score per seed)."""
    values = [float(v) for v in values]
    if not values:
        raise ValueError("spread() needs at least one score")
    return Spread(values)


def welch(scores_a: Sequence[float], scores_b: Sequence[float]) -> tuple[float, float, float]:
    """(difference of means a-b, half-width of its 95 % interval, Welch's degrees of freedom)."""
    a, b = spread(scores_a), spread(scores_b)
    diff = a.mean - b.mean
    if a.n < 2 or b.n < 2:
        return diff, float("nan"), float("nan")
    va, vb = a.std ** 2 / a.n, b.std ** 2 / b.n
    se = math.sqrt(va + vb)
    if se == 0:                      # every seed gave the same score on both sides
        return diff, 0.0, float(a.n + b.n - 2)
    df = (va + vb) ** 2 / (va ** 2 / (a.n - 1) + vb ** 2 / (b.n - 1))
    return diff, t_critical(df) * se, df


@dataclass
class Comparison:
    """Two settings, with the verdict and the sentence that states it.

    Over seeds (the default): Welch's t-test at 95 %; `paired` (scores_a[i] and scores_b[i] from the same
    run): Student's paired t on the per-seed differences. One run per side when `sd`, a seed-to-seed
    standard deviation measured over `sd_seeds` seeds in the same setting (`measured_in`), is given:
    the difference of two single runs has standard deviation √2·sd, and counts above t·√2·sd with t
    for `sd_seeds` - 1 degrees of freedom. `lower_is_better` (losses, gaps, seconds) changes the
    words and the units (raw values instead of percentage points), not the verdict: `verdict` always
    says whether a's score is above (AHEAD) or below (BEHIND) b's beyond the noise.
    """

    a: str
    b: str
    scores_a: list[float]
    scores_b: list[float]
    what: str = "accuracy"
    lower_is_better: bool = False
    sd: float | None = None
    measured_in: str = ""
    sd_seeds: int = 0
    paired: bool = False
    verdict: str = field(init=False)
    diff: float = field(init=False)
    noise: float = field(init=False)     # half-width of the 95 % interval of the difference
    df: float = field(init=False)        # degrees of freedom of the t critical value

    def __post_init__(self) -> None:
        if self.paired:
            d = spread([x - y for x, y in zip(self.scores_a, self.scores_b)])
            self.diff = d.mean
            self.df = float(d.n - 1) if d.n > 1 else float("nan")
            self.noise = float("nan") if d.n < 2 else t_critical(self.df) * d.std / math.sqrt(d.n)
        elif self.sd is None:
            self.diff, self.noise, self.df = welch(self.scores_a, self.scores_b)
        else:
            self.diff = spread(self.scores_a).mean - spread(self.scores_b).mean
            self.df = float(self.sd_seeds - 1) if self.sd_seeds > 1 else float("nan")
            self.noise = (float("nan") if math.isnan(self.sd) or math.isnan(self.df)
                          else t_critical(self.df) * math.sqrt(2) * self.sd)
        if math.isnan(self.noise):
            self.verdict = UNKNOWN
        else:
            self.verdict = (AHEAD if self.diff > 0 else BEHIND) if abs(self.diff) > self.noise else NOISE

    @property
    def kind(self) -> str:
        first = ["paired"] if self.paired else ["one run"] if self.sd is not None else []
        return ", ".join(first + (["lower is better"] if self.lower_is_better else []))

    @property
    def interval(self) -> tuple[float, float]:
        """The 95 % interval of the difference a - b (NaN when the spread is unknown)."""
        return self.diff - self.noise, self.diff + self.noise

    def _number(self, value: float) -> str:
        return f"{value:+.3f}" if self.lower_is_better else f"{100 * value:+.1f}"

    @property
    def sentence(self) -> str:
        unit = "" if self.lower_is_better else " points"
        difference = f"difference {self._number(self.diff)}{unit}"
        if self.sd is None:
            head = f"{self.what}: {self.a} {spread(self.scores_a)} vs {self.b} {spread(self.scores_b)}; {difference}"
            unknown = (". With one seed a side the spread between runs is unknown, so this difference "
                       "cannot be told from noise: run with more SEEDS to judge.")
            test = "paired t over the seeds" if self.paired else "Welch's t"
            source = f"{test}, {self.df:.1f} degrees of freedom"
            no_winner = "within the noise between seeds, no winner on this run"
        else:
            score_a, score_b = spread(self.scores_a).mean, spread(self.scores_b).mean
            head = f"{self.what}: {self.a} {score_a:.3f} vs {self.b} {score_b:.3f} (one run each), {difference}"
            unknown = ", and with fewer than 2 seeds the spread between runs is unknown: no verdict."
            source = f"from the seed-to-seed sd {self.sd:.3f} over {self.sd_seeds} seeds in {self.measured_in}"
            no_winner = "no winner on this run"
        if self.verdict == UNKNOWN:
            return head + unknown
        low, high = self.interval
        rule = f"95% interval {self._number(low)} to {self._number(high)}{unit} ({source})"
        if self.verdict == NOISE:
            return head + f", {rule}, which includes 0: {no_winner}."
        high, low = (self.a, self.b) if self.verdict == AHEAD else (self.b, self.a)
        winner = f"{low} is lower than {high}" if self.lower_is_better else f"{high} is ahead of {low}"
        return head + f", {rule}, which excludes 0: {winner}."

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
            found.update(sd=None if math.isnan(self.sd) else self.sd, sd_seeds=self.sd_seeds,
                         measured_in=self.measured_in)
        return found

    @classmethod
    def from_dict(cls, found: dict) -> "Comparison":
        """The comparison a recorded `as_dict()` describes, recomputed from its scores."""
        kind = found.get("kind", "")
        lower = kind.endswith("lower is better")
        if "sd" in found:
            sd = float("nan") if found["sd"] is None else found["sd"]
            return compare_single(found["a"], found["scores_a"][0], found["b"], found["scores_b"][0], sd,
                                  found["measured_in"], found["what"], lower, found["sd_seeds"])
        how = compare_paired if kind.startswith("paired") else compare
        return how(found["a"], found["scores_a"], found["b"], found["scores_b"], found["what"], lower)


def compare(a: str, scores_a: Sequence[float], b: str, scores_b: Sequence[float],
            what: str = "accuracy", lower_is_better: bool = False) -> Comparison:
    """Compare setting `a` with setting `b` over seeds (Welch's t at 95 %); print(result) states the verdict."""
    return Comparison(a, b, [float(s) for s in scores_a], [float(s) for s in scores_b], what, lower_is_better)


def compare_single(a: str, score_a: float, b: str, score_b: float, sd: float, measured_in: str,
                   what: str = "accuracy", lower_is_better: bool = False, sd_seeds: int = 3) -> Comparison:
    """Compare one run of `a` with one run of `b`, the noise taken from a seed-to-seed `sd` measured over
    `sd_seeds` seeds in the same setting, `measured_in` (NaN or fewer than 2 seeds: no verdict)."""
    return Comparison(a, b, [float(score_a)], [float(score_b)], what, lower_is_better, float(sd), measured_in,
                      int(sd_seeds))


def compare_paired(a: str, scores_a: Sequence[float], b: str, scores_b: Sequence[float],
                   what: str = "accuracy", lower_is_better: bool = False) -> Comparison:
    """Compare two scores measured in the *same* runs (scores_a[i] and scores_b[i] from seed i, e.g. two
    epochs of one training run): Student's paired t-test at 95 % on the per-seed differences."""
    if len(scores_a) != len(scores_b):
        raise ValueError("compare_paired needs one score per seed on each side")
    return Comparison(a, b, [float(s) for s in scores_a], [float(s) for s in scores_b], what, lower_is_better,
                      paired=True)


def mean_of_last(values: Sequence[float], k: int = 3) -> float:
    """Mean of the last `k` epochs of a curve: a steadier headline than its last point."""
    values = list(values)
    if not values:
        raise ValueError("mean_of_last() needs a non-empty curve")
    return float(np.mean(values[-k:]))


def mean_sd(values: Sequence[float]) -> str:
    """"mean ± sd" of one score over seeds, for tables (only the mean for one seed)."""
    s = spread(values)
    return f"{s.mean:.3f}" + (f" ± {s.std:.3f}" if s.n > 1 else "")


def better(comparison: Comparison) -> str:
    """The verdict from the side of `a`: AHEAD when a is better beyond the noise (higher, or lower where
    lower is better), BEHIND when it is worse."""
    if comparison.lower_is_better:
        return {AHEAD: BEHIND, BEHIND: AHEAD}.get(comparison.verdict, comparison.verdict)
    return comparison.verdict


def lecture_effect(effect_id: str, claim: str, comparison: Comparison, expected: str,
                   beside: Comparison | None = None) -> dict:
    """One entry of a notebook's `lecture_effects` list: the lecture's claim, this run's verdict (of
    `comparison`, whose side `a` is the one the claim favours: "ahead" means a is better beyond the
    noise), the verdict expected at the notebook's default sizes, and the printed sentence. `beside`
    is a second comparison reported next to it with no expected direction."""
    if expected not in CHOICES:
        raise ValueError(f"expected must be one of {tuple(CHOICES)}, not {expected!r}")
    entry = {"id": effect_id, "claim": claim, "verdict": better(comparison), "expected": expected,
             "sentence": comparison.sentence, "comparison": comparison.as_dict()}
    if beside is not None:
        entry["beside"] = {"verdict": better(beside), "sentence": beside.sentence, "comparison": beside.as_dict()}
    return entry


def show_effects(effects: Sequence[dict]) -> None:
    """Record a notebook's `lecture_effects` (for the tests and the report) and show them as a table."""
    import pandas as pd
    from IPython.display import display

    from .record import record

    record("lecture_effects", list(effects))
    with pd.option_context("display.width", 250, "display.max_colwidth", 110):
        display(effects_table(effects))


def effects_table(effects: Sequence[dict]):
    """The lecture's claims next to this run's verdicts, as a pandas table for the summary."""
    import pandas as pd

    return pd.DataFrame([{"claim (lecture)": e["claim"], "this run": e["verdict"], "expected here": e["expected"],
                          "as expected": "yes" if e["verdict"] == e["expected"] else "NO"} for e in effects],
                        index=[e["id"] for e in effects])
