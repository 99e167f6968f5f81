"""Root pytest configuration: tests never download, and nbval (if run by hand) skips what varies."""
import os

# Tests never wait for a download: the offline paths are what CI exercises.
os.environ.setdefault("CNN_COURSE_OFFLINE", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def pytest_collectstart(collector):
    """`pytest --nbval-lax notebooks`: do not compare stderr, images, HTML or the record MIME bundle."""
    if getattr(collector, "fspath", None) and str(collector.fspath).endswith(".ipynb"):
        from helpers.record import MIME
        collector.skip_compare += ("stderr", MIME, "image/png", "text/html")
