"""Shared fixtures: every notebook executed once per session at its defaults, and small papermill runs."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from notebook_runs import artifacts_folder, execute, records


def pytest_configure(config):
    config.addinivalue_line("markers", "notebook: runs a whole notebook with papermill")
    config.addinivalue_line("markers", "slow: slow; skipped unless CNN_COURSE_SLOW=1")
    config.addinivalue_line("markers", "backend: runs the notebooks on another Keras backend (make test-backends)")
    config.addinivalue_line("markers", "browser: builds the HTML editions and loads them in headless chromium")


def pytest_collection_modifyitems(config, items):
    slow = os.environ.get("CNN_COURSE_SLOW") == "1"
    backends = os.environ.get("CNN_COURSE_BACKEND_TESTS") == "1"
    for item in items:
        if "slow" in item.keywords and not slow:
            item.add_marker(pytest.mark.skip(reason="slow: set CNN_COURSE_SLOW=1 to run"))
        if "backend" in item.keywords and not backends:
            item.add_marker(pytest.mark.skip(reason="run by `make test-backends`"))


_executed: dict[str, object] = {}


@pytest.fixture(scope="session")
def executed(tmp_path_factory):
    """executed("02_keras_mnist") -> the notebook run once at its defaults (cached for the session).

    Runs start in an empty folder outside the project (the notebooks must not depend on the working
    directory), and share one artifacts folder, so 06 reloads the head that 05 saved in this session.
    """
    folder = tmp_path_factory.getbasetemp() / "defaults"
    (folder / "cwd").mkdir(parents=True, exist_ok=True)

    def run(stem: str):
        if stem.startswith("06"):
            run("05_bottleneck_features")
        if stem not in _executed:
            try:
                with artifacts_folder(folder / "artifacts"):
                    _executed[stem] = execute(stem, folder, folder / "cwd")
            except Exception as exc:   # keep the failure: later tests of this notebook report it at once
                _executed[stem] = exc
        result = _executed[stem]
        if isinstance(result, Exception):
            raise result
        return result

    return run


@pytest.fixture
def run_notebook(tmp_path, monkeypatch):
    """run_notebook("02_keras_mnist", EPOCHS=1) -> (records, executed notebook), run from an empty folder."""
    monkeypatch.setenv("CNN_COURSE_ARTIFACTS", str(tmp_path / "artifacts"))   # never build/artifacts

    def _run(stem: str, **params):
        (tmp_path / "cwd").mkdir(exist_ok=True)
        nb = execute(stem, tmp_path, tmp_path / "cwd", **params)
        return records(nb), nb

    return _run


def outputs_text(nb) -> str:
    """All the stdout of an executed notebook, as one string."""
    return "".join(out.get("text", "") for cell in nb.cells for out in cell.get("outputs", []))


@pytest.fixture
def text_of():
    return outputs_text


ROOT = Path(__file__).resolve().parent.parent
