"""`make test-backends`: the small runs on another Keras backend (JAX), timed next to each other.

Skipped in `make test`; `make test-backends` installs JAX and sets KERAS_BACKEND=jax. Times per
notebook go to build/backend-times.json, keyed by backend, for the README's table.
"""
import json
import os
import time

import pytest

from notebook_runs import ROOT, records

pytestmark = [pytest.mark.backend, pytest.mark.notebook]
SMALL = {
    "01_convolution_arithmetic": dict(PHOTO_SIZE=128),
    "02_keras_mnist": dict(N_TRAIN=1000, N_TEST=500, EPOCHS=2, FILTER_EPOCHS=1, GRID_EPOCHS=[1], GRID_HIDDEN=[32],
                           GRID_CV=2, SEEDS=[42, 43]),
    "03_dropout_batch_norm": dict(N_TRAIN=500, N_VAL=250, N_TEST=250, N_OVERFIT=250, DENSE_EPOCHS=4, EPOCHS=2,
                                  SEEDS=[42, 43]),
    "04_improving_models": dict(N_TRAIN=500, N_VAL=250, N_TEST=250, EPOCHS=2, WIDTHS=[32], DEPTHS=[1, 2],
                                ACTIVATIONS=["selu"], OPTIMIZERS=["Adam"], LEARNING_RATES=[1e-2],
                                BATCH_SIZES=[64], SEEDS=[42, 43]),
    "05_bottleneck_features": dict(N_TRAIN_PER_CLASS=10, N_VAL_PER_CLASS=20, EPOCHS=4, CURVE=[5], SEEDS=[42, 43]),
    "06_fine_tuning": dict(N_TRAIN_PER_CLASS=10, N_VAL_PER_CLASS=20, EPOCHS=2, BN_EPOCHS=1, HEAD_EPOCHS=5,
                           SEEDS=[42, 43]),
}


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
