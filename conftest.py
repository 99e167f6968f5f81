"""Root pytest configuration, shared by the unit tests and nbval over notebooks/."""
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from helpers.record import MIME  # noqa: E402

# Tests never wait for a download: the offline paths are what CI exercises.
os.environ.setdefault("CNN_COURSE_OFFLINE", "1")


def pytest_collectstart(collector):
    """nbval: do not compare stderr (TensorFlow may log there) or our record MIME bundle."""
    if getattr(collector, "fspath", None) and str(collector.fspath).endswith(".ipynb"):
        collector.skip_compare += ("stderr", MIME, "image/png", "text/html")


