"""Record named results in a notebook so that tests can read them back from the executed file.

`record("test_accuracy", 0.97)` shows the value and stores it under a custom MIME type;
`read_records(notebook)` collects every recorded value (the last one wins).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MIME = "application/x.cnn-course.record+json"


def _plain(value: Any) -> Any:
    """Turn NumPy scalars/arrays and tuples into JSON-friendly Python values."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def record(name: str, value: Any) -> None:
    """Display `name = value` and store it for the tests (as plain JSON values)."""
    from IPython.display import display

    plain = _plain(value)
    json.dumps(plain)  # fail early on values a test could not read back
    text = f"{name} = {plain:.4f}" if isinstance(plain, float) else f"{name} = {plain!r}"
    display({MIME: {name: plain}, "text/plain": text}, raw=True)


def read_records(notebook: Any) -> dict:
    """Return {name: value} of everything recorded in an executed notebook (path or NotebookNode)."""
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4) if isinstance(notebook, (str, Path)) else notebook
    found: dict = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if MIME in data:
                found.update(data[MIME])
    return found
