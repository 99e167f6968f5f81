"""Plumbing shared by the notebooks: set-up, data, plots, self-checks and recorded results.

Nothing here trains a model: the models a lesson is about are written in the notebooks.
Importing this package is cheap (no Keras, no TensorFlow, no network); each function imports what
it needs. `helpers.lessons` holds the code that notebooks 03, 05 and 06 show in full and later
notebooks reuse, generated from the notebooks by `make sync`.
"""
import os as _os
import sys as _sys

if _os.environ.get("CNN_COURSE_EXECUTION_LOG") and "ipykernel_launcher" in (_sys.argv or [""])[0]:   # a kernel: the tests count notebook runs
    with open(_os.environ["CNN_COURSE_EXECUTION_LOG"], "a") as _log:
        _log.write(f"{_os.getpid()}\n")

from . import data, estimate, lecture, plots, stats  # noqa: E402
from .checks import check, check_explanation, check_function, check_prediction, require_prediction
from .lecture import lecture_values
from .params import check_parameters
from .paths import PROJECT_ROOT
from .record import read_records, record
from .repro import keras_verbose, peak_memory_mb, progress, setup

__all__ = ["data", "estimate", "lecture", "plots", "stats", "check", "check_explanation", "check_function", "check_prediction",
           "require_prediction", "check_parameters", "lecture_values", "PROJECT_ROOT",
           "read_records", "record", "keras_verbose", "peak_memory_mb", "progress", "setup"]
