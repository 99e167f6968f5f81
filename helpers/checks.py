"""Self-checks for exercises: compare a student's answer with a value the notebook computed."""
from __future__ import annotations

from typing import Any

import numpy as np


def _same(answer: Any, expected: Any, rtol: float, atol: float) -> bool:
    if isinstance(expected, str) or isinstance(answer, str):
        return str(answer).strip().lower() == str(expected).strip().lower()
    try:
        a = np.asarray(answer, dtype=float)
        e = np.asarray(expected, dtype=float)
    except (TypeError, ValueError):
        return answer == expected
    return a.shape == e.shape and bool(np.allclose(a, e, rtol=rtol, atol=atol))


def check(name: str, answer: Any, expected: Any, hint: str = "",
          rtol: float = 1e-6, atol: float = 1e-9) -> None:
    """Print a friendly verdict on `answer` (number, tuple, array or word); never raises.

    `expected` must be computed in the notebook (not typed in), so the check stays honest.
    Prints its verdict and returns nothing (so a check cell shows only the verdict).
    """
    if answer is None or answer is Ellipsis or (isinstance(answer, (tuple, list)) and Ellipsis in answer):
        print(f"[ ] {name}: not answered yet - replace the ... with your answer and run the cell again.")
        return
    if _same(answer, expected, rtol, atol):
        print(f"[ok] {name}: correct!")
        return
    shown = np.asarray(answer).tolist() if not isinstance(answer, str) else answer
    print(f"[x] {name}: {shown!r} is not right yet." + (f" Hint: {hint}" if hint else ""))
