"""Record named results in a notebook so that tests and reports can read them back from the file.

`record("results", {...})` stores the values under a custom MIME type and shows nothing to the
reader (the tests' plumbing stays out of the lesson); `read_records(notebook)` collects every
recorded value (the last one wins). Record a table or dict once, where it is complete.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

MIME = "application/x.cnn-course.record+json"


def _plain(value: Any) -> Any:
    """Turn NumPy scalars/arrays, tuples and pandas objects into JSON-friendly Python values."""
    if hasattr(value, "to_dict"):                 # pandas Series / DataFrame
        return _plain(value.to_dict())
    if hasattr(value, "as_list"):                 # TensorFlow's TensorShape
        return _plain(value.as_list())
    if hasattr(value, "tolist"):
        return _plain(value.tolist())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None                                # NaN / inf are not JSON
    return value


def record(name: str, value: Any) -> None:
    """Store `value` under `name` in the cell's output for the tests; nothing is shown to the reader."""
    from IPython.display import display

    plain = _plain(value)
    json.dumps(plain)  # fail early on values a test could not read back
    display({MIME: {name: plain}, "text/plain": ""}, raw=True)


def read_records(notebook: Any) -> dict:
    """Return {name: value} of everything recorded in an executed notebook (path or NotebookNode)."""
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4) if isinstance(notebook, (str, Path)) else notebook
    found: dict = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            found.update(out.get("data", {}).get(MIME, {}))
    return found
