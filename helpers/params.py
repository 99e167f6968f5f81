"""Validate a notebook's parameters before anything trains: unknown names, wrong types, bad values.

Papermill only logs a warning for a parameter the notebook does not define, so a typo such as
`EPOCH=50` would silently run the default. `check_parameters(globals(), ...)`, called in the set-up
cell, finds papermill's injected cell in the kernel's input history and compares it with the
notebook's `parameters` cell; when nothing was injected there is nothing to compare. Value checks
(counts, rates, choices) always run, so a hand-edited parameters cell is checked too.
"""
from __future__ import annotations

import ast
import numbers
from typing import Any, Iterable

DEFAULTS_MARK = "# Parameters:"      # first line of every notebook's parameters cell
INJECTED_MARK = "# Parameters"       # papermill's injected cell starts with exactly this line


def _assigned(source: str) -> list[str]:
    names = []
    for node in ast.parse(source).body:
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AnnAssign) else [])
        names += [t.id for t in targets if isinstance(t, ast.Name)]
    return names


def _history() -> list[str]:
    """The sources of the cells run so far in this kernel (empty outside IPython)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return []
    shell = get_ipython()
    return list(shell.user_ns.get("In", [])) if shell else []


def injected_parameters(history: list[str] | None = None) -> dict[str, Any]:
    """The values papermill injected in this run, checked against the parameters cell ({} if none).

    Raises ValueError for a name the parameters cell does not define, or a value whose type differs
    from the default's (an int is accepted for a float; None is accepted where the default is None).
    """
    cells = _history() if history is None else history
    injected = next((c for c in reversed(cells) if c.splitlines()[:1] == [INJECTED_MARK]), None)
    defaults_src = next((c for c in reversed(cells) if c.lstrip().startswith(DEFAULTS_MARK)), None)
    if injected is None or defaults_src is None:
        return {}
    known = _assigned(defaults_src)
    unknown = [n for n in _assigned(injected) if n not in known]
    if unknown:
        raise ValueError(f"Unknown parameter(s) {unknown}; this notebook accepts: {known}")
    defaults, values = {}, {}
    exec(compile(defaults_src, "<parameters>", "exec"), {}, defaults)
    exec(compile(injected, "<injected parameters>", "exec"), {}, values)
    for name, value in values.items():
        default = defaults[name]
        ok = (default is None or value is None or type(value) is type(default)
              or (isinstance(default, float) and type(value) is int))
        if not ok:
            raise ValueError(f"Parameter {name}={value!r} should be a {type(default).__name__} "
                             f"like its default {default!r}")
    return values


def _each(value: Any) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def check_parameters(namespace: dict, choices: dict[str, Iterable] | None = None,
                     counts: Iterable[str] = (), at_least: dict[str, int] | None = None,
                     positive: Iterable[str] = (), fractions: Iterable[str] = (),
                     seeds: Iterable[str] = (), history: list[str] | None = None) -> None:
    """Raise ValueError naming the first bad parameter; print nothing when all is well.

    - papermill's injected names and types are checked against the parameters cell (if injected);
    - `choices`: name -> allowed values;
    - `counts`: whole numbers of at least 1 (numbers of images, epochs, batch sizes),
      or None where the notebook picks a default, or a list of such numbers;
    - `at_least`: name -> smallest allowed whole number (e.g. 2 cross-validation folds);
    - `positive`: numbers above 0 (learning rates), or a list of them;
    - `fractions`: numbers in [0, 1) (dropout rates, validation shares);
    - `seeds`: non-empty lists of distinct whole numbers of at least 0 (one run per seed).
    """
    injected_parameters(history)
    for name, allowed in (choices or {}).items():
        allowed = list(allowed)
        if namespace[name] not in allowed:
            raise ValueError(f"Parameter {name}={namespace[name]!r} is not one of {allowed}")
    minimum = {name: 1 for name in counts} | dict(at_least or {})
    for name, low in minimum.items():
        for v in _each(namespace[name]):
            if v is not None and (isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < low):
                raise ValueError(f"Parameter {name}={namespace[name]!r}: must be a whole number of at least {low}")
    for name in positive:
        for v in _each(namespace[name]):
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or not v > 0:
                raise ValueError(f"Parameter {name}={namespace[name]!r}: must be a number above 0")
    for name in fractions:
        v = namespace[name]
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not 0 <= v < 1:
            raise ValueError(f"Parameter {name}={v!r}: must be a number from 0 up to (not including) 1")
    for name in seeds:
        v = namespace[name]
        if (not isinstance(v, (list, tuple)) or not v or len(set(v)) != len(v)
                or any(isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 0 for s in v)):
            raise ValueError(f"Parameter {name}={v!r}: must be a non-empty list of different whole numbers "
                             "of at least 0, e.g. [42, 43, 44]")
