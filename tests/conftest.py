"""Shared test fixtures: run a notebook with papermill and read back what it recorded."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
sys.path.insert(0, str(ROOT))




def pytest_configure(config):
    config.addinivalue_line("markers", "notebook: runs a whole notebook with papermill")
    config.addinivalue_line("markers", "slow: slow; skipped unless CNN_COURSE_SLOW=1")


def pytest_collection_modifyitems(config, items):
    if os.environ.get("CNN_COURSE_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow: set CNN_COURSE_SLOW=1 to run")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def run_notebook(tmp_path):
    """run_notebook("02_keras_mnist", EPOCHS=1) -> (records dict, executed NotebookNode)."""
    import papermill as pm
    from helpers.record import read_records

    def _run(stem: str, **params):
        out = tmp_path / f"{stem}.out.ipynb"
        nb = pm.execute_notebook(str(NOTEBOOKS / f"{stem}.ipynb"), str(out), parameters=params,
                                 kernel_name="python3", cwd=str(NOTEBOOKS), progress_bar=False)
        return read_records(nb), nb

    return _run
