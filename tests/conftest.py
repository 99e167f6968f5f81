"""Shared fixtures: every notebook executed once per session at its defaults, and small papermill runs."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from notebook_runs import artifacts_folder, execute, outputs_text, records

# Tests never wait for a download: the offline paths are what CI exercises.
os.environ.setdefault("CNN_COURSE_OFFLINE", "1")
# ... nor wait to try a failed one again (tests/test_data.py checks the retries with the waits skipped).
os.environ.setdefault("CNN_COURSE_RETRIES", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Notebooks run by the tests show no progress bars (helpers.progress): their outputs are compared and stored.
os.environ.setdefault("CNN_COURSE_NO_PROGRESS", "1")
# Under pytest-xdist each worker's kernels use their share of the cores, not all of them (TensorFlow's default):
# two copies of 03 run at once took 131 s each on both of 2 cores, 115 s each on one (14 % longer with both).
if (_workers := int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))) > 1:
    for _name in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS"):
        os.environ.setdefault(_name, str(max(1, (os.cpu_count() or 1) // _workers)))


def pytest_configure(config):
    config.option.loadscopereorder = False    # xdist hands out the test groups in the order of FIRST, below
    _start_counting(config)
    config.addinivalue_line("markers", "server: builds a class-server image recipe with repo2docker, from a clean copy")
    config.addinivalue_line("markers", "notebook: runs a whole notebook with papermill")
    config.addinivalue_line("markers", "slow: slow; skipped unless CNN_COURSE_SLOW=1")
    config.addinivalue_line("markers", "backend: runs the notebooks on another Keras backend (make test-backends)")
    config.addinivalue_line("markers", "browser: builds the HTML editions and loads them in headless chromium")


# The longest groups of tests first (measured: 05 then 06 at their defaults, one chain of about 600 s on 2 cores,
# then each notebook's default run), so that no worker starts a long group when the other is nearly done.
FIRST = ["transfer", "nb02", "nb04", "nb03", "online", "grade", "student"]


def _rank(item) -> int:
    marker = item.get_closest_marker("xdist_group")
    group = marker.args[0] if marker and marker.args else ""
    return FIRST.index(group) if group in FIRST else len(FIRST)


def pytest_collection_modifyitems(config, items):
    items.sort(key=_rank)
    slow = os.environ.get("CNN_COURSE_SLOW") == "1"
    backends = os.environ.get("CNN_COURSE_BACKEND_TESTS") == "1"
    for item in items:
        if "slow" in item.keywords and not slow:
            item.add_marker(pytest.mark.skip(reason="slow: set CNN_COURSE_SLOW=1 to run"))
        if "backend" in item.keywords and not backends:
            item.add_marker(pytest.mark.skip(reason="run by `make test-backends`"))


_executed: dict[str, object] = {}


@pytest.fixture(autouse=True)
def _close_figures():
    """Each test starts with no open matplotlib figure (plots.show counts the open ones)."""
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


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


@pytest.fixture
def text_of():
    return outputs_text


ROOT = Path(__file__).resolve().parent.parent


# ---- counting notebook executions, and timing the session (build/times.json) ----------------------------
# Every notebook's set-up cell imports `helpers`; in a kernel, that import appends one line to the file named
# by CNN_COURSE_EXECUTION_LOG. The controlling pytest process (not an xdist worker) starts the file, and at
# the end prints the count and, run by `make test` or `make check`, records the session's time. `make test`
# also times the plain-Keras reference before and after the tests (a machine's speed drifts within a
# sitting), so that times from different sittings or machines compare as ratios to their mean.
_EXECUTIONS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "build", "test-executions.log")


def _reference_seconds() -> float | None:
    """helpers.repro.reference_seconds(), timed in a fresh process (None if it fails)."""
    import subprocess

    probe = subprocess.run([sys.executable, "-c", "from helpers.repro import reference_seconds; "
                            "print(reference_seconds())"], capture_output=True, text=True, timeout=300)
    return float(probe.stdout.split()[-1]) if probe.returncode == 0 else None


def _start_counting(config):
    if not hasattr(config, "workerinput"):
        import time
        os.makedirs(os.path.dirname(_EXECUTIONS), exist_ok=True)
        open(_EXECUTIONS, "w").close()
        os.environ["CNN_COURSE_EXECUTION_LOG"] = _EXECUTIONS
        if os.environ.get("CNN_COURSE_TIMED_AS") == "make test":
            config._course_reference = _reference_seconds()
        config._course_start = time.perf_counter()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if hasattr(config, "workerinput") or not hasattr(config, "_course_start"):
        return
    import time
    with open(_EXECUTIONS) as log:
        executions = [line.split() for line in log if line.strip()]
    seconds = time.perf_counter() - config._course_start
    stats = terminalreporter.stats
    counts = {k: len(stats.get(k, [])) for k in ("passed", "failed", "skipped", "error")}
    terminalreporter.write_line(f"notebook executions: {len(executions)}")
    if os.environ.get("CNN_COURSE_TIMED_AS"):       # set by the Makefile: `make test`, `make check`
        from helpers.repro import record_time
        extra = {}
        before = getattr(config, "_course_reference", None)
        if before is not None and (after := _reference_seconds()) is not None:   # `make test` only
            reference = (before + after) / 2
            extra = {"reference_seconds": round(reference, 3), "reference_before_after": [round(before, 3),
                     round(after, 3)], "ratio_to_reference": round(seconds / reference)}
        entry = record_time(os.environ["CNN_COURSE_TIMED_AS"], seconds, notebook_executions=len(executions),
                            **counts, **extra)
        terminalreporter.write_line(f"{entry['seconds']:.0f} s on this machine, recorded in build/times.json"
                                    + (f" ({entry['ratio_to_reference']}x the plain-Keras reference, "
                                       f"{entry['reference_seconds']} s: the mean of {before:.3f} s before "
                                       f"and {after:.3f} s after the tests)" if extra else ""))
