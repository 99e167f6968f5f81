"""`make test-backends`: the small runs on another Keras backend (JAX), timed next to each other.

Skipped in `make test`; `make test-backends` installs JAX and sets KERAS_BACKEND=jax. Times per
notebook go to build/backend-times.json, keyed by backend, for the README's table.
"""
import json
import os
import time

import pytest

from notebook_runs import ROOT

from tools.grade import SMALL  # the same small sizes as `make grade`

pytestmark = [pytest.mark.backend, pytest.mark.notebook]


@pytest.mark.parametrize("stem", list(SMALL))
def test_small_run_on_this_backend(run_notebook, text_of, stem):
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    start = time.perf_counter()
    rec, nb = run_notebook(stem, **SMALL[stem])
    seconds = time.perf_counter() - start
    assert f"on {backend} " in text_of(nb)                  # helpers.setup() names the backend it used
    assert rec["results"], "the notebook recorded its results"
    out = ROOT / "build" / "backend-times.json"
    out.parent.mkdir(exist_ok=True)
    times = json.loads(out.read_text()) if out.exists() else {}
    times.setdefault(backend, {})[stem] = round(seconds, 1)
    out.write_text(json.dumps(times, indent=2, sort_keys=True))
