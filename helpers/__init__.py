"""Plumbing shared by the notebooks: set-up, data, plots, self-checks and recorded results.

Nothing here trains a model: the models a lesson is about are written in the notebooks.
Importing this package is cheap (no TensorFlow, no network); each function imports what it needs.
"""
from . import data
from .checks import check
from .params import check_parameters
from .record import read_records, record
from .repro import setup

__all__ = ["data", "check", "check_parameters", "read_records", "record", "setup"]
