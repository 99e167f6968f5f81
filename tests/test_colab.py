"""The Colab edition: every notebook's "Open in Colab" link, and its first cell run as Colab would run it.

Colab is not reachable from a test, so the cell runs here with a stand-in `google.colab` module, a
stand-in `pip` that records what it was asked to install, and a real `git clone` of this repository
(through a file:// URL in place of the public one).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
REPOSITORY = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"]
CONTENT = "/content/cnn-course"


def colab_url(path: Path) -> str:
    return (f"https://colab.research.google.com/github/{REPOSITORY.removeprefix('https://github.com/')}"
            f"/blob/main/notebooks/{path.name}")


def colab_cell(path: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    return next(c for c in nb.cells if c.cell_type == "code")


def requirement(name: str) -> str:
    lines = [line.split("#")[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    return next(line for line in lines if re.match(rf"{name}\b", line))


def test_every_notebook_and_the_readme_link_to_colab():
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", REPOSITORY)
    readme = (ROOT / "README.md").read_text()
    for path in NOTEBOOKS:
        head = nbformat.read(path, as_version=4).cells[0].source
        assert f"]({colab_url(path)})" in head, path.name
        assert f"]({colab_url(path)})" in readme, path.name


def test_one_colab_cell_that_installs_only_what_colab_lacks():
    sources = {colab_cell(path).source for path in NOTEBOOKS}
    assert len(sources) == 1, "the same Colab cell in every notebook"
    source = sources.pop()
    assert "colab" in colab_cell(NOTEBOOKS[0]).metadata.tags
    assert f'"{REPOSITORY}"' in source
    installs = re.search(r'"pip", "install", (.*?)\], check=True', source, re.S).group(1)
    words = [w.strip().strip('"') for w in re.split(r",\s*", installs.replace("\n", " "))]
    assert "--no-deps" in words, "Colab's TensorFlow, Keras and NumPy must stay as they are"
    packages = [w for w in words if not w.startswith("-")]
    assert packages == [requirement("scikeras"), requirement("mlxtend"), "COURSE"]
    assert not re.search(r"\b(tensorflow|numpy|keras)\b", installs), "never reinstall Colab's own stack"


def _run(cell: str, tmp_path: Path, colab: bool) -> dict:
    """Run the cell twice in a fresh Python, as Colab would; return what happened."""
    fake = tmp_path / "fake"
    (fake / "google" / "colab").mkdir(parents=True, exist_ok=True)
    (fake / "google" / "__init__.py").write_text("")
    (fake / "google" / "colab" / "__init__.py").write_text("")
    (fake / "pip").mkdir(exist_ok=True)
    (fake / "pip" / "__init__.py").write_text("")
    (fake / "pip" / "__main__.py").write_text(textwrap.dedent("""
        import json, os, sys
        with open(os.environ["PIP_CALLS"], "a") as f:
            f.write(json.dumps(sys.argv[1:]) + "\\n")
    """))
    calls = tmp_path / "pip-calls.jsonl"
    calls.write_text("")
    runner = tmp_path / "runner.py"
    runner.write_text(textwrap.dedent(f"""
        import json, os, sys
        {"import google.colab" if colab else ""}
        cell = open({str(tmp_path / "cell.py")!r}).read()
        exec(cell, {{}})
        exec(cell, {{}})          # run again (a second visit, or after a restart): nothing is fetched twice
        print(json.dumps({{"root": os.environ.get("CNN_COURSE_ROOT")}}))
    """))
    (tmp_path / "cell.py").write_text(cell)
    env = {**os.environ, "PYTHONPATH": str(fake), "PIP_CALLS": str(calls)}
    env.pop("CNN_COURSE_ROOT", None)
    done = subprocess.run([sys.executable, str(runner)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return {"env": json.loads(done.stdout.splitlines()[-1]),
            "pip": [json.loads(line) for line in calls.read_text().splitlines()]}


@pytest.fixture()
def cell_here(tmp_path):
    """The Colab cell with this repository (file://) and a temporary folder in place of GitHub and /content."""
    source = colab_cell(NOTEBOOKS[0]).source
    course = tmp_path / "content" / "cnn-course"
    assert REPOSITORY in source and CONTENT in source
    return source.replace(REPOSITORY, ROOT.as_uri()).replace(CONTENT, str(course)), course


def test_on_colab_the_cell_fetches_the_course_and_installs_without_dependencies(cell_here, tmp_path):
    cell, course = cell_here
    ran = _run(cell, tmp_path, colab=True)
    assert (course / "helpers" / "__init__.py").is_file() and (course / "data" / "template_cnn.weights.h5").is_file()
    assert len(ran["pip"]) == 1, "installed once, not again on the second run"
    args = ran["pip"][0]
    assert args[:3] == ["install", "--quiet", "--no-deps"] and args[-1] == str(course)
    assert ran["env"]["root"] == str(course)
    # the package pip installs from the clone, with CNN_COURSE_ROOT set: helpers finds the clone's data files
    probe = subprocess.run(
        [sys.executable, "-c", "import helpers, helpers.paths as p; print(helpers.__file__); print(p.PROJECT_ROOT)"],
        env={**os.environ, "PYTHONPATH": str(course), "CNN_COURSE_ROOT": str(course)},
        cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert probe.returncode == 0, probe.stderr
    module, root = probe.stdout.split()
    assert Path(module).is_relative_to(course) and Path(root) == course


def test_anywhere_else_the_cell_does_nothing(cell_here, tmp_path):
    cell, course = cell_here
    ran = _run(cell, tmp_path, colab=False)
    assert ran["pip"] == [] and ran["env"]["root"] is None and not course.exists()
    for path in NOTEBOOKS:                # and it printed nothing in the stored runs
        assert colab_cell(path).outputs == []
