"""Plumbing shared by the notebooks: set-up, data, plots, self-checks and recorded results.

Nothing here trains a model: the models a lesson is about are written in the notebooks.
Importing this package is cheap (no Keras, no TensorFlow, no network); each function imports what
it needs. `helpers.transfer` and `helpers.timing` hold code that notebooks 03 and 05 show in full
and later notebooks reuse.
"""
from . import data, estimate, lecture, plots, stats
from .checks import check, check_explanation, check_function, check_prediction, require_prediction
from .lecture import lecture_values
from .params import check_parameters
from .paths import PROJECT_ROOT
from .record import read_records, record
from .repro import peak_memory_mb, setup

__all__ = ["data", "estimate", "lecture", "plots", "stats", "check", "check_explanation", "check_function", "check_prediction",
           "require_prediction", "check_parameters", "lecture_values", "PROJECT_ROOT",
           "read_records", "record", "peak_memory_mb", "setup"]
