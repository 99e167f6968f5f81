"""Which images each model trained, was validated and was tested on, recorded so a test can prove
that no image is in two of those sets (the rule: choose on validation, report the test set once).

`show_splits("name", train=("mnist train", idx), val=("mnist train", idx2), test=("mnist test", idx3))`
prints one line with the sizes, raises ValueError if two parts share an image of the same source,
and records the indices (compressed as runs) for the tests.
"""
from __future__ import annotations

from itertools import combinations
from typing import Sequence

import numpy as np

from .record import record


def _runs(index: np.ndarray) -> list[list[int]]:
    """Sorted unique indices as [start, stop) runs, so a contiguous slice of 60,000 is one pair."""
    idx = np.unique(np.asarray(index, dtype=np.int64))
    if idx.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) != 1) + 1    # where a new run starts
    return [[int(idx[a]), int(idx[b - 1]) + 1] for a, b in zip(np.r_[0, breaks], np.r_[breaks, idx.size])]


def expand(runs: Sequence[Sequence[int]]) -> np.ndarray:
    """Inverse of the recorded runs: the indices themselves."""
    return np.concatenate([np.arange(a, b) for a, b in runs]) if runs else np.array([], dtype=np.int64)


def overlaps(parts: dict[str, tuple[str, Sequence[int]]]) -> list[str]:
    """Names of pairs of parts that share an image of the same source (empty when all is well)."""
    return [f"{a}/{b}" for (a, (src_a, idx_a)), (b, (src_b, idx_b)) in combinations(parts.items(), 2)
            if src_a == src_b and np.intersect1d(idx_a, idx_b).size]


def show_splits(name: str, **parts: tuple[str, Sequence[int]]) -> None:
    """Print the sizes of the parts of one split, refuse overlapping parts, record the indices."""
    if bad := overlaps(parts):
        raise ValueError(f"{name}: these parts share images: {', '.join(bad)}")
    sizes = ", ".join(f"{part} {len(np.unique(idx)):,} ({src})" for part, (src, idx) in parts.items())
    print(f"{name}: {sizes}; no image is in two of them.")
    record(f"split:{name}", {part: {"source": src, "runs": _runs(idx)} for part, (src, idx) in parts.items()})
