"""Which images each model trained, was validated and was tested on, recorded so a test can prove
that no image is in two of those sets (the rule: choose on validation, report the test set once).

`show_splits("name", train=("mnist train", idx), val=("mnist train", idx2), test=("mnist test", idx3))`
prints one line with the sizes, raises ValueError if two parts share an image of the same source,
and records the indices (compressed as runs) for the tests.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .record import record


def _runs(index: np.ndarray) -> list[list[int]]:
    """Sorted unique indices as [start, stop) runs, so a contiguous slice of 60,000 is one pair."""
    idx = np.unique(np.asarray(index, dtype=np.int64))
    if idx.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) != 1) + 1
    starts = np.concatenate([[0], breaks])
    stops = np.concatenate([breaks, [idx.size]])
    return [[int(idx[a]), int(idx[b - 1]) + 1] for a, b in zip(starts, stops)]


def expand(runs: Sequence[Sequence[int]]) -> np.ndarray:
    """Inverse of the recorded runs: the indices themselves."""
    return (np.concatenate([np.arange(a, b) for a, b in runs]) if runs else np.array([], dtype=np.int64))


def overlaps(parts: dict[str, tuple[str, Sequence[int]]]) -> list[str]:
    """Names of pairs of parts that share an image of the same source (empty when all is well)."""
    found = []
    names = list(parts)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            (src_a, idx_a), (src_b, idx_b) = parts[a], parts[b]
            if src_a == src_b and np.intersect1d(np.asarray(idx_a), np.asarray(idx_b)).size:
                found.append(f"{a}/{b}")
    return found


def show_splits(name: str, **parts: tuple[str, Sequence[int]]) -> None:
    """Print the sizes of the parts of one split, refuse overlapping parts, record the indices."""
    bad = overlaps(parts)
    if bad:
        raise ValueError(f"{name}: these parts share images: {', '.join(bad)}")
    sizes = ", ".join(f"{part} {len(np.unique(np.asarray(idx))):,} ({src})" for part, (src, idx) in parts.items())
    print(f"{name}: {sizes}; no image is in two of them.")
    record(f"split:{name}", {part: {"source": src, "runs": _runs(np.asarray(idx))}
                             for part, (src, idx) in parts.items()})
