"""Reproducibility: one call that seeds everything, quiets TensorFlow and reports the versions."""
from __future__ import annotations

import contextlib
import os
import platform
import sys


names_at_setup: set[str] | None = None   # the caller's global names when setup() ran


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


def setup(seed: int = 42, deterministic: bool = True, verbose: bool = True,
          quiet_import_logs: bool = True) -> dict:
    """Seed Python/NumPy/Keras, make CPU ops deterministic, quiet TF logs, print versions.

    Call it in the first code cell of a notebook, before anything imports TensorFlow,
    so that the log level and thread settings take effect. Returns the facts it printed.
    """
    global names_at_setup
    names_at_setup = set(sys._getframe(1).f_globals)   # lets check_parameters find the parameters
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")   # C++ logs: errors only
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ["PYTHONHASHSEED"] = str(seed)

    import numpy as np
    with _stderr_silenced() if quiet_import_logs else contextlib.nullcontext():
        import tensorflow as tf
        import keras

    tf.get_logger().setLevel("ERROR")
    keras.utils.set_random_seed(seed)          # Python, NumPy, TensorFlow and Keras
    if deterministic:
        try:
            tf.config.experimental.enable_op_determinism()
        except Exception:  # pragma: no cover - older TF without the switch
            pass
    keras.backend.clear_session()
    gpus = tf.config.list_physical_devices("GPU")
    facts = {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "gpu": bool(gpus),
        "seed": seed,
    }
    if verbose:
        device = f"GPU ({len(gpus)})" if gpus else "CPU only"
        print(f"Python {facts['python']} | TensorFlow {facts['tensorflow']} | Keras {facts['keras']} "
              f"| NumPy {facts['numpy']} | {device} | seed {seed}")
    return facts


def running_under_test() -> bool:
    """True when a notebook runs inside the test suite (pytest or papermill set this)."""
    return "pytest" in sys.modules or os.environ.get("CNN_COURSE_TEST") == "1"
