"""The project's own consistency: requirements, CI, one notebook skeleton and one name per idea,
plain-text twins in sync, and lesson code shared with helpers that is the code the lesson shows."""
import ast
import os
import re
import subprocess
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
IMPORT_BLOCK = ["import numpy as np", "import pandas as pd", "import matplotlib.pyplot as plt", "import keras",
                "from keras import layers"]
# one name per idea: every parameter matches one of these patterns
PARAMETER_NAMES = [
    r"SEED",                                          # the seed
    r"DATASET", r"PRETRAINED",                        # which data, which pretrained network
    r"N_[A-Z_]+",                                     # numbers of images (N_TRAIN, N_VAL_PER_CLASS, ...)
    r"([A-Z]+_)?EPOCHS",                              # epochs (EPOCHS, DENSE_EPOCHS, GRID_EPOCHS, ...)
    r"([A-Z]+_)?BATCH_SIZES?",                        # batch sizes
    r"([A-Z]+_)?LEARNING_RATES?",                     # learning rates
    r"VALIDATION_SPLIT", r"AUGMENT(_[A-Z]+)?",         # validation share, augmentation switches
    r"[A-Z][A-Z_0-9]*",                               # anything else: UPPER_CASE
]
FORBIDDEN = {r"\bPATH\b": "PRETRAINED", r"^data = ": "ds (the data set; `data` is the helpers module)",
             r"sys\.path": "the installed helpers package", r"NBVAL_": "a cell tag", r"\bresource\b": "helpers.peak_memory_mb",
             r"\bN_PER_CLASS": "N_TRAIN_PER_CLASS", r"HORIZONTAL_FLIP": "AUGMENT_FLIP"}


def requirement_lines(text: str) -> set[str]:
    return {line.split("#")[0].strip() for line in text.splitlines() if line.split("#")[0].strip()}


def test_environment_yml_installs_what_requirements_txt_installs():
    reqs = requirement_lines((ROOT / "requirements.txt").read_text())
    env = yaml.safe_load((ROOT / "binder" / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert set(pip_section) == reqs      # helpers: postBuild and the README's conda line (tests/test_class_server.py)
    assert "python=3.11" in env["dependencies"]
    for line in reqs:                                    # compatible-release ranges, not exact pins
        assert "~=" in line, line


def test_the_lock_file_pins_every_requirement_within_its_range():
    """make setup installs requirements.lock: exact versions that satisfy every range of requirements.txt."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            req = Requirement(line)
            pins.setdefault(canonicalize_name(req.name), []).append(next(iter(req.specifier)).version)
    for line in requirement_lines((ROOT / "requirements.txt").read_text()):
        req = Requirement(line)
        versions = pins.get(canonicalize_name(req.name))
        assert versions, f"{req.name} is not in requirements.lock: run `make lock`"
        assert all(req.specifier.contains(v) for v in versions), f"{req.name} {versions} outside {req.specifier}"
    assert "requirements.lock" in (ROOT / "Makefile").read_text()


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme and re.search(r"^\s*make test\b", ci, re.M)


def test_helpers_is_installed_not_found_through_the_working_directory():
    import helpers
    assert Path(helpers.__file__).resolve().parent == ROOT / "helpers"
    source = "\n".join(p.read_text() for p in (ROOT / "helpers").glob("*.py"))
    assert "_getframe" not in source and "PYTHONHASHSEED" not in source


def test_make_lab_allows_root_only_for_root():
    dry = subprocess.run(["make", "-n", "lab"], cwd=ROOT, capture_output=True, text=True).stdout
    assert "jupyter lab notebooks" in dry
    assert ("--allow-root" in dry) == (os.getuid() == 0)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_skeleton_and_names(path):
    nb = nbformat.read(path, as_version=4)
    cells = nb.cells
    head = cells[0]
    assert head.cell_type == "markdown" and head.source.startswith(f"# {path.name[:2]} · ")
    assert "Follows" in head.source and "Learning objectives" in head.source and "**What it needs.**" in head.source
    code = [c for c in cells if c.cell_type == "code"]
    # 0. the Colab cell comes first (it does nothing elsewhere; tests/test_colab.py runs it)
    assert "colab" in code[0].metadata.get("tags", []) and '"google.colab" in sys.modules' in code[0].source
    assert "/notebooks/" + path.name + ")" in head.source, "the header links to this notebook on Colab"
    # 1. then the parameters cell, plain values only
    params = code[1]
    assert "parameters" in params.metadata.get("tags", []) and params.source.startswith("# Parameters:")
    names = []
    for node in ast.parse(params.source).body:
        assert isinstance(node, ast.Assign) and len(node.targets) == 1, "plain assignments only"
        ast.literal_eval(node.value)                        # plain values: nothing computed
        names.append(node.targets[0].id)
    assert "SEED" in names
    for name in names:
        assert any(re.fullmatch(p, name) for p in PARAMETER_NAMES), name
    # 2. then the set-up cell: validation, set-up with the user's seed, the shared import block
    setup = code[2].source.splitlines()
    assert setup[0] == "import helpers" and setup[1].startswith("helpers.check_parameters(globals()")
    assert "helpers.setup(seed=SEED)" in setup, "the seed the user set is the seed used"
    position = [setup.index(line) for line in IMPORT_BLOCK]
    assert position == sorted(position), "the import block in the shared order"
    assert any(re.match(r"from helpers import data, (exercises, )?plots", line) for line in setup)
    # 3. every code cell says whether its output is checked, and nothing else is in the way
    for c in code:
        tags = c.metadata.get("tags", [])
        assert ("nbval-check-output" in tags) != ("nbval-ignore-output" in tags), c.source[:60]
        for pattern, instead in FORBIDDEN.items():
            assert not re.search(pattern, c.source, re.M), f"{pattern!r} in {c.source[:60]!r}: use {instead}"
        assert "jit_compile=True" not in c.source
        assert c.execution_count is not None, "committed with the outputs of a full run"
        for out in c.outputs:
            assert out.output_type != "error"
            text = out.get("text", "") + str(out.get("data", {}).get("text/plain", ""))
            assert not re.search(r"/(root|home|tmp|work)/", text), f"machine path in output: {text[:80]}"
            assert not re.search(r"^\[x\] ", text, re.M), "a stored self-check fails"
    # 4. results recorded once per table or dict, never as visible text
    recorded = [m for c in code for m in re.findall(r"helpers\.record\((.*)", c.source)]
    assert recorded and len(recorded) <= 8
    assert not any(r.startswith("f") for r in recorded), "record a dict, not one name per value"
    # 5. exercises: tests/test_exercises.py
    assert any(c.cell_type == "markdown" and c.source.startswith("## Summary") for c in cells)
    assert nb.metadata.kernelspec.name == "python3"
    assert "papermill" not in nb.metadata, "stored by tools/run_notebooks.py --store (run metadata removed)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_plain_text_twin_is_in_sync(path):
    """py/NN_topic.py (jupytext py:percent) has the same cells, sources and tags as the notebook."""
    import jupytext
    twin = ROOT / "py" / f"{path.stem}.py"
    assert twin.is_file(), f"{twin} is missing: run `make sync`"
    text, nb = jupytext.read(twin), nbformat.read(path, as_version=4)
    assert [(c.cell_type, c.source) for c in text.cells] == [(c.cell_type, c.source) for c in nb.cells], \
        f"{path.name} and {twin.name} differ: run `make sync`"
    assert [c.metadata.get("tags", []) for c in text.cells] == [c.metadata.get("tags", []) for c in nb.cells]


def definitions(source: str) -> dict[str, str]:
    """name -> parsed definition (docstring removed) of every function and class in `source`."""
    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            for item in [node, *[n for n in node.body if isinstance(n, ast.FunctionDef)]]:
                if item.body and isinstance(item.body[0], ast.Expr) and isinstance(item.body[0].value, ast.Constant):
                    item.body = item.body[1:] or [ast.Pass()]
            found[node.name] = ast.dump(node, include_attributes=False)
    return found


SHARED = {"03_dropout_batch_norm": ["EpochTimer"],
          "05_bottleneck_features": ["load_photos", "load_task", "digit_augmentation", "output_layer", "loss_for",
                                     "build_template_cnn", "build_preprocess", "build_head"],
          "06_fine_tuning": ["freeze_before", "build_template_bn_cnn"]}


def test_lesson_code_in_helpers_is_generated_from_the_notebooks_and_up_to_date():
    """helpers/lessons.py is what `make sync` writes from the definitions the notebooks mark `#| export`."""
    from tools import export_lessons
    assert export_lessons.main(["--check"]) == 0, "helpers/lessons.py is out of date: run `make sync`"
    generated = definitions(export_lessons.TARGET.read_text())
    for stem, names in SHARED.items():
        nb = nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4)
        shown = {}
        for cell in nb.cells:
            if cell.cell_type == "code" and "answer" not in cell.metadata.get("tags", []):
                shown.update(definitions(cell.source))
        for name in names:
            assert shown[name] == generated[name], f"{name}: {stem} and helpers/lessons.py differ"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_figure_has_alt_text(path, caplog):
    """nbconvert's HTML export (what the site and slides are made of) finds no image without alt text,
    and every figure went out through plots.show, so JupyterLab shows the same alt text."""
    import logging

    from nbconvert import HTMLExporter

    nb = nbformat.read(path, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if "image/png" in o.get("data", {})], "a figure without alt text: use plots.show"
    images = [o["data"]["text/html"] for o in outputs if "<img" in str(o.get("data", {}).get("text/html", ""))]
    assert images, "the stored run has figures"
    with caplog.at_level(logging.WARNING):
        body, _ = HTMLExporter().from_notebook_node(nb)
    assert "Alternative text is missing" not in caplog.text
    alts = re.findall(r'<img [^>]*alt="([^"]*)"', body)
    assert len(alts) >= len(images)
    assert all(len(alt) >= 20 and alt.endswith(".") and "No description" not in alt for alt in alts), alts


# the lecture's headline effects: ids are names, kept when notebooks are renumbered
EFFECTS = {"02_keras_mnist": ["02.cnn_vs_dense", "02.early_stopping"],
           "03_dropout_batch_norm": ["03.dropout", "03.batch_norm"],
           "05_bottleneck_features": ["04.augmentation", "04.transfer"],
           "06_fine_tuning": ["05.fine_tuning", "05.trained_head"]}


@pytest.mark.parametrize("stem, ids", EFFECTS.items(), ids=list(EFFECTS))
def test_stored_run_shows_the_lecture_effects_it_expects(stem, ids):
    """Each stored notebook records its lecture_effects, and each verdict is the one the course expects there."""
    from helpers import stats
    from helpers.record import read_records

    nb = nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4)
    effects = read_records(nb)["lecture_effects"]
    assert [e["id"] for e in effects] == ids
    text = "".join(out.get("text", "") for cell in nb.cells for out in cell.get("outputs", []))
    for effect in effects:
        assert {"id", "claim", "verdict", "expected", "sentence"} <= set(effect)
        again = stats.Comparison.from_dict(effect["comparison"])       # the package's rule, from the scores
        assert stats.better(again) == effect["verdict"] and again.sentence == effect["sentence"]
        assert effect["sentence"] in text
        assert effect["verdict"] == effect["expected"], effect["sentence"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_a_notebook_fits_one_sitting(path):
    """At most 4,000 words of prose and 500 lines of code (comments and blank lines excluded)."""
    nb = nbformat.read(path, as_version=4)
    words = len(re.findall(r"\w+", "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")))
    code = sum(1 for c in nb.cells if c.cell_type == "code" for line in c.source.splitlines()
               if line.strip() and not line.strip().startswith("#"))
    assert words <= 4000 and code <= 500, f"{path.stem}: {words} words, {code} code lines"
