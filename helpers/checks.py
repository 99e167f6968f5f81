"""Self-checks for exercises: each prints one line, `[ok]`, `[x]` (with a hint) or `[ ]` (not answered yet),
and never raises. `check` compares a number, tuple, array or word with the value the notebook computed;
`check_function` a student's function with a reference, on inputs the student did not choose (numbers, arrays
or the outline of a model it builds); `check_prediction` and `check_explanation` the two written parts of a
predict-run-explain exercise. `require_prediction` stops an experiment cell until a prediction is written.

`mistakes`: plausible wrong answers (values or functions), each with a hint naming the mistake, which an equal
answer gets. Out of sight, each check also records the expected value and whether each mistake is rejected.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Sequence

import numpy as np


def _as_array(result: Any) -> Any:
    """A numeric result as a float array; anything else (a model's outline of layers) as it is."""
    try:
        return np.asarray(result, dtype=float)
    except (TypeError, ValueError):
        return result


def _same(answer: Any, expected: Any, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    """Words alike but for case; numbers, tuples and arrays of one shape and close; anything else equal."""
    if isinstance(expected, str) or isinstance(answer, str):
        return str(answer).strip().lower() == str(expected).strip().lower()
    a, e = _as_array(answer), _as_array(expected)
    if isinstance(a, np.ndarray) and isinstance(e, np.ndarray):
        return a.shape == e.shape and bool(np.allclose(a, e, rtol=rtol, atol=atol))
    return not isinstance(a, np.ndarray) and not isinstance(e, np.ndarray) and answer == expected


def _unanswered(answer: Any) -> bool:
    return (answer is None or answer is Ellipsis
            or (isinstance(answer, (tuple, list)) and any(a is Ellipsis for a in answer))
            or (isinstance(answer, str) and answer.strip() in ("", "...")))


def _shown(answer: Any) -> Any:
    if isinstance(answer, str) or callable(answer):
        return answer if isinstance(answer, str) else getattr(answer, "__name__", "your function")
    try:
        return np.asarray(answer).tolist()
    except (TypeError, ValueError):
        return answer


def _record(name: str, kind: str, expected: Any, mistakes: list[dict]) -> None:
    """For the tests: the expected value and whether each listed mistake was rejected with its hint.
    Only a check given its mistakes records (the check cell; a solution cell's repeat of it does not)."""
    if not mistakes:
        return
    try:
        from IPython import get_ipython
        if get_ipython() is None:
            return
        from .record import _plain, record
        record(f"check: {name}", {"kind": kind, "expected": _plain(expected), "mistakes": mistakes})
    except (ImportError, TypeError, ValueError):   # a value JSON cannot hold: the check itself still works
        pass


def check(name: str, answer: Any, expected: Any, hint: str = "", mistakes: Iterable[tuple[Any, str]] = (),
          rtol: float = 1e-6, atol: float = 1e-9) -> None:
    """Print a friendly verdict on `answer` (number, tuple, array or word).

    `expected` must be computed in the notebook (not typed in), so the check stays honest. `mistakes`:
    (wrong value, hint naming the mistake) pairs; an answer equal to one gets its hint instead of `hint`.
    """
    mistakes = list(mistakes)
    _record(name, "value", expected, [{"answer": _shown(wrong), "hint": why,
                                       "rejected": not _same(wrong, expected, rtol, atol)} for wrong, why in mistakes])
    if _unanswered(answer):
        print(f"[ ] {name}: not answered yet - replace the ... with your answer and run the cell again.")
        return
    if _same(answer, expected, rtol, atol):
        print(f"[ok] {name}: correct!")
        return
    why = next((w for wrong, w in mistakes if _same(answer, wrong, rtol, atol)), hint)
    print(f"[x] {name}: {_shown(answer)!r} is not right yet." + (f" Hint: {why}" if why else ""))


def _outputs(function: Callable, cases: Sequence[tuple]) -> list | None:
    """The function's results on every case, or None if it returns nothing (a stub)."""
    results = [function(*case) for case in cases]
    return None if any(r is None for r in results) else [_as_array(r) for r in results]


def _matches(got: list, want: list, rtol: float, atol: float) -> bool:
    return all(_same(g, w, rtol, atol) for g, w in zip(got, want))


def _difference(got: list, want: list) -> str:
    """What differs, in words that show the student's result and not the expected one."""
    for g, w in zip(got, want):
        if isinstance(g, np.ndarray) and isinstance(w, np.ndarray):
            if g.shape != w.shape:
                return f"shape {g.shape} where {w.shape} was expected"
        elif isinstance(g, list) and isinstance(w, list):    # a model's outline: one entry per layer
            if len(g) != len(w):
                return f"your model has {len(g)} layers; the table has {len(w)}"
            i = next((i for i, (a, b) in enumerate(zip(g, w)) if a != b), None)
            if i is not None:
                return f"layer {i + 1} of your model ({', '.join(map(str, g[i]))}) does not match the table"
    return "the results differ from the reference"


def check_function(name: str, function: Any, reference: Callable, cases: Sequence[tuple], hint: str = "",
                   mistakes: Iterable[tuple[Callable, str]] = (), rtol: float = 1e-4, atol: float = 1e-5) -> None:
    """Call the student's `function` and `reference` on every argument tuple in `cases` and compare the results.

    `mistakes`: (wrong function, hint naming the mistake) pairs, e.g. a convolution that forgets to pad; a
    function that gives the same results as one gets its hint.
    """
    want = _outputs(reference, cases)
    mistakes = [(_outputs(wrong, cases), why, wrong) for wrong, why in mistakes]   # each mistake's results, once
    _record(name, "function", None, [{"answer": getattr(wrong, "__name__", "a wrong function"), "hint": why,
                                      "rejected": not _matches(results, want, rtol, atol)}
                                     for results, why, wrong in mistakes])   # a mistake that raises is a notebook bug
    if _unanswered(function) or not callable(function):
        print(f"[ ] {name}: not answered yet - write the function and run its cell, then this one.")
        return
    try:
        got = _outputs(function, cases)
    except Exception as error:     # the student's code failed: say where, do not stop the notebook
        print(f"[x] {name}: your function raised {type(error).__name__}: {error}." + (f" Hint: {hint}" if hint else ""))
        return
    if got is None:
        print(f"[ ] {name}: not answered yet - your function returns nothing (None): write its body.")
        return
    if _matches(got, want, rtol, atol):
        print(f"[ok] {name}: correct on {len(cases)} inputs you did not choose!")
        return
    why = next((w for results, w, _ in mistakes if _matches(got, results, rtol, atol)), None)
    print(f"[x] {name}: {_difference(got, want)}." + (f" Hint: {why or hint}" if why or hint else ""))


class PredictionNeeded(Exception):
    """Raised by `require_prediction`; shown as one friendly line, without a traceback."""

    def _render_traceback_(self):    # IPython shows this instead of a traceback
        return [f"[ ] {self}"]


def require_prediction(prediction: Any, choices: Sequence[str]) -> None:
    """Stop the experiment cell until the prediction above it is one of `choices`."""
    if _unanswered(prediction):
        raise PredictionNeeded("write your prediction in the cell above first (replace the ...), run it, "
                               "then run this cell: a prediction written after the run teaches nothing.")
    if str(prediction).strip().lower() not in [c.lower() for c in choices]:
        raise PredictionNeeded(f"your prediction {prediction!r} is not one of {list(choices)}: "
                               "write one of them in the cell above and run it again.")


def _written_check(name: str, kind: str, answer: Any, verdict: Callable, wrong: list[tuple]) -> None:
    """Record whether `verdict` rejects each (wrong answer, hint), then print its verdict on `answer`."""
    _record(name, kind, None, [{"answer": _shown(w), "hint": why, "rejected": verdict(w)[0] != "ok"} for w, why in wrong])
    mark, message = verdict(answer)
    print(f"[{mark}] {name}: {message}")


def _prediction_verdict(prediction: Any, choices: Sequence[str], outcome: str) -> tuple[str, str]:
    if _unanswered(prediction):
        return " ", "not answered yet - write your prediction before running the experiment."
    if str(prediction).strip().lower() not in [c.lower() for c in choices]:
        return "x", f"{prediction!r} is not one of {list(choices)}."
    same = str(prediction).strip().lower() == str(outcome).lower()
    return "ok", (f"written before the run. You predicted {prediction!r}; this run gave {outcome!r}"
                  + (" - explain why." if same else " - a wrong prediction is fine: explaining it is the exercise."))


def check_prediction(name: str, prediction: Any, choices: Sequence[str], outcome: str) -> None:
    """A prediction counts when it is one of `choices`; whether it matched this run's outcome is said, not graded."""
    _written_check(name, "prediction", prediction, lambda p: _prediction_verdict(p, choices, outcome),
                   [(..., "not written"), ("maybe", f"not one of {list(choices)}")])


def _explanation_verdict(explanation: Any, min_words: int, about: Sequence[str]) -> tuple[str, str]:
    if _unanswered(explanation):
        return " ", "not answered yet - write your explanation in the cell above."
    words = str(explanation).split()
    if len(words) < min_words:
        return "x", (f"{len(words)} words. Hint: explain in a few sentences (at least {min_words} words) "
                     "what you saw and why it happened.")
    if about and not any(a.lower() in str(explanation).lower() for a in about):
        return "x", f"your explanation does not mention {' or '.join(about)}. Hint: say what the run measured."
    return "ok", f"written ({len(words)} words); your instructor will read it."


def check_explanation(name: str, explanation: Any, min_words: int = 20, about: Sequence[str] = ()) -> None:
    """An explanation counts when it has at least `min_words` words and names one of the words in `about`
    (what the exercise measured); the instructor reads it."""
    short = "it went " + " ".join(["down"] * max(1, min_words // 4))
    off_topic = " ".join(["this is a long sentence about nothing in particular"] * (min_words // 8 + 1))
    wrong = [(short, f"fewer than {min_words} words")] + ([(off_topic, f"does not mention {about[0]}")] if about else [])
    _written_check(name, "explanation", explanation, lambda e: _explanation_verdict(e, min_words, about), wrong)
