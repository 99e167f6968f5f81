"""Validate the parameters papermill injected: unknown names and wrong types fail loudly.

Papermill only logs a warning for a parameter the notebook does not define, so a typo such as
`EPOCH=50` would silently run the default. Call `check_parameters(globals())` in the cell right
after the `parameters` cell: it compares papermill's injected cell with the defaults cell.
"""
from __future__ import annotations

import ast
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
    try:
        from IPython import get_ipython
        shell = get_ipython()
        return list(shell.user_ns.get("In", [])) if shell else []
    except ImportError:  # pragma: no cover
        return []


def check_parameters(namespace: dict, choices: dict[str, Iterable] | None = None,
                     history: list[str] | None = None) -> dict[str, Any]:
    """Return the notebook's parameters as a dict; raise ValueError naming any bad one.

    - a name injected by papermill that the defaults cell does not define is an error;
    - an injected value must have the default's type (an int is accepted for a float);
    - `choices` maps a parameter name to its allowed values.
    """
    cells = _history() if history is None else history
    defaults_src = next((c for c in reversed(cells) if c.lstrip().startswith(DEFAULTS_MARK)), None)
    if defaults_src is None:
        # No input history (some runners, e.g. nbval, execute without it): nothing can have been
        # injected then, so take the UPPER_CASE names defined since helpers.setup() ran.
        from .repro import names_at_setup
        if names_at_setup is None:
            raise RuntimeError("Run the set-up cell (helpers.setup) and the parameters cell first.")
        params = {n: v for n, v in namespace.items()
                  if n.isupper() and not n.startswith("_") and n not in names_at_setup}
        _check_choices(params, choices)
        return params
    known = _assigned(defaults_src)
    defaults_ns: dict = {}
    exec(compile(defaults_src, "<parameters>", "exec"), {}, defaults_ns)
    injected_src = next((c for c in reversed(cells)
                         if c.splitlines()[:1] == [INJECTED_MARK]), "")
    unknown = [n for n in _assigned(injected_src) if n not in known] if injected_src else []
    if unknown:
        raise ValueError(f"Unknown parameter(s) {unknown}; this notebook accepts: {known}")
    params = {name: namespace[name] for name in known}
    for name, value in params.items():
        default = defaults_ns[name]
        ok_type = (isinstance(value, type(default)) or default is None or value is None
                   or (isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool)))
        if isinstance(default, int) and isinstance(value, bool) != isinstance(default, bool):
            ok_type = False
        if not ok_type:
            raise ValueError(f"Parameter {name}={value!r} should be a {type(default).__name__} "
                             f"like its default {default!r}")
    _check_choices(params, choices)
    return params


def _check_choices(params: dict, choices: dict[str, Iterable] | None) -> None:
    for name, allowed in (choices or {}).items():
        allowed = list(allowed)
        if name in params and params[name] not in allowed:
            raise ValueError(f"Parameter {name}={params[name]!r} is not one of {allowed}")
