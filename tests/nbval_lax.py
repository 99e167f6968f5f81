"""nbval by hand on the committed notebooks, as docs/maintaining.md shows it:

    PYTHONPATH=tests .venv/bin/pytest -p nbval_lax --nbval-lax --nbval-current-env \\
        --sanitize-with tests/nbval_sanitize.cfg notebooks

does not compare stderr, images, HTML or the record MIME bundle (what varies between runs and machines).
"""


def pytest_collectstart(collector):
    """`pytest --nbval-lax notebooks`: do not compare stderr, images, HTML or the record MIME bundle."""
    if getattr(collector, "fspath", None) and str(collector.fspath).endswith(".ipynb"):
        from helpers.record import MIME
        collector.skip_compare += ("stderr", MIME, "image/png", "text/html")
