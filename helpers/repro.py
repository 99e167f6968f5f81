"""Reproducibility: one call that seeds everything, quiets the logs and reports versions and backend."""
from __future__ import annotations

import contextlib
import json
import os
import platform
import sys
import timeit
from datetime import datetime

from .paths import PROJECT_ROOT
from .record import record


@contextlib.contextmanager
def _stderr_silenced():
    """Send file descriptor 2 to /dev/null: TensorFlow's C++ start-up lines ignore its log level."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (some embedded shells): nothing to silence
        yield
        return
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _accelerators(backend: str) -> tuple[str, int]:
    """(backend library version, number of GPUs it sees) for the active Keras backend."""
    if backend == "tensorflow":
        import tensorflow as tf
        return tf.__version__, len(tf.config.list_physical_devices("GPU"))
    if backend == "jax":
        import jax
        return jax.__version__, sum(d.platform == "gpu" for d in jax.devices())
    if backend == "torch":
        import torch
        return torch.__version__, torch.cuda.device_count()
    return "", 0


def setup(seed: int = 42, deterministic: bool = True, verbose: bool = True) -> dict:
    """Seed Python/NumPy/Keras, make ops repeatable, quiet the logs, print versions and the backend.

    Call it in the set-up cell, right after the parameters cell: `helpers.setup(seed=SEED)`.
    The backend is Keras' choice (`KERAS_BACKEND`, default TensorFlow); TensorFlow is imported only
    when it is the backend. Returns the facts it printed.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed={seed!r}: a seed is a whole number, 0 or more")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")   # TensorFlow's C++ logs: errors only
    import numpy as np
    with _stderr_silenced():
        import keras
        backend = keras.backend.backend()
        library_version, gpus = _accelerators(backend)

    if backend == "tensorflow":
        import tensorflow as tf
        tf.get_logger().setLevel("ERROR")
        if deterministic:
            tf.config.experimental.enable_op_determinism()   # same numbers on the same machine and versions
        if os.environ.get("CNN_COURSE_GRAPPLER") != "1":
            # TensorFlow's graph optimizer (Grappler) rewrites each new model's training step before its first
            # run: about a second per model on a CPU, more than it saves on the course's small nets.
            tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
    keras.utils.set_random_seed(seed)          # Python, NumPy and the backend's random numbers
    keras.backend.clear_session()
    facts = {"python": platform.python_version(), "keras": keras.__version__, "backend": backend,
             "backend_version": library_version, "numpy": np.__version__, "gpu": gpus > 0, "seed": seed}
    if verbose:
        device = f"GPU ({gpus})" if gpus else "CPU only"
        print(f"Python {facts['python']} | Keras {facts['keras']} on {backend} {library_version} "
              f"| NumPy {facts['numpy']} | {device} | seed {seed}")
    try:
        from IPython import get_ipython
        shell = get_ipython()
    except ImportError:
        shell = None
    if hasattr(shell, "kernel"):   # in a notebook kernel only (not a script, not terminal IPython): the machine
        record("machine", {**{k: v for k, v in facts.items() if k != "seed"}, "gpus": gpus, "cpu": cpu_model(),
                           "cores": os.cpu_count(), "system": platform.platform(terse=True)})
    return facts


def cpu_model() -> str:
    """The processor's name as the system gives it ("AMD EPYC 7B13"), or platform's guess."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:          # Linux
            for line in info:
                if line.startswith(("model name", "Model", "Hardware")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    if sys.platform == "darwin":
        import subprocess
        try:
            return subprocess.run(["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True,
                                  text=True, timeout=5).stdout.strip() or platform.machine()
        except (OSError, subprocess.SubprocessError):
            pass
    return platform.processor() or platform.machine() or "unknown"


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far, in MB, on Linux, macOS and Windows."""
    if sys.platform == "win32":
        import psutil
        return psutil.Process().memory_info().peak_wset / 2**20
    import resource
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10   # macOS: bytes; Linux: kB


def fresh_start(model, build, seed: int) -> None:
    """Give a compiled `model` the initial weights `build()` makes with `seed`, and a fresh optimizer state.

    Training the same architecture once per seed this way skips the tracing that a new model's first
    `fit` costs (about a second on a CPU, often more than a small net's training): the weights and the
    optimizer's slots are reset in place, so `fit` reuses the compiled step.
    """
    import keras

    keras.utils.set_random_seed(seed)
    model.set_weights(build().get_weights())
    for variable in model.optimizer.variables:     # the step counter and the moment slots; not the learning rate
        if variable is not model.optimizer._learning_rate:
            variable.assign(keras.ops.zeros_like(variable))


def initial_weights(build, seed: int, layer: str):
    """The kernel of `layer` in the model that `build()` makes right after `set_random_seed(seed)`: two
    settings that start from the same weights can be compared seed by seed (paired)."""
    import keras

    keras.utils.set_random_seed(seed)
    return keras.ops.convert_to_numpy(build().get_layer(layer).get_weights()[0])


def show_progress() -> bool:
    """False when a script runs the notebook (`make outputs`, the tests and grading set CNN_COURSE_NO_PROGRESS=1),
    so that no progress bar (training, download) ends up in stored outputs."""
    return os.environ.get("CNN_COURSE_NO_PROGRESS") != "1"


def progress(items, what: str):
    """`items` with a progress bar (tqdm.auto) labelled `what`, gone when the loop ends; the plain items when
    a script runs the notebook (`show_progress()` False)."""
    if not show_progress():
        return items
    from tqdm.auto import tqdm

    return tqdm(items, desc=what, leave=False)


def keras_verbose() -> int:
    """`verbose=` for Keras: its own progress bar (1) in a live notebook, none (0) when a script runs it."""
    return 1 if show_progress() else 0


def reference_seconds(repeats: int = 5) -> float:
    """A fixed plain-Keras workload timed on this machine: a small CNN, 100 training steps of 64 random
    28x28 images, the fastest of `repeats`. Times taken on different machines compare as ratios to it."""
    setup(seed=0, verbose=False)
    import keras
    import numpy as np

    x, y = np.random.default_rng(0).random((64 * 100, 28, 28, 1), dtype="float32"), np.arange(64 * 100) % 10
    model = keras.Sequential([keras.Input(shape=(28, 28, 1)), keras.layers.Conv2D(32, 3, activation="relu"),
                              keras.layers.MaxPooling2D(), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x[:64], y[:64], epochs=1, batch_size=64, verbose=0)          # built and traced before timing
    return min(timeit.repeat(lambda: model.fit(x, y, epochs=1, batch_size=64, verbose=0), number=1, repeat=repeats))


def record_time(command: str, seconds: float, **details) -> dict:
    """Write this machine's measured time for `command` ("make test", "make run") into build/times.json,
    the file the README points to for run times: measured here, never typed in. Returns the entry."""
    path = PROJECT_ROOT / "build" / "times.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        times = json.loads(path.read_text())
    except (OSError, ValueError):
        times = {}
    times[command] = {"seconds": round(seconds, 1), "when": f"{datetime.now():%Y-%m-%d %H:%M}", "cpu": cpu_model(),
                      "cores": os.cpu_count(), **details}
    path.write_text(json.dumps(times, indent=1) + "\n")
    return times[command]
