"""Running notebooks for the tests, and comparing their checked cells with the committed outputs.

Each notebook is executed once per test session at its default parameters (`executed(stem)`); the
same execution serves the stored-output comparison and the assertions on its recorded results.
Cells tagged `nbval-check-output` are compared the way `pytest --nbval-lax` compares them: stdout
and the text of results, after the substitutions in `tests/nbval_sanitize.cfg`; stderr, images,
HTML and recorded values are not compared.
"""
from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

import nbformat

from helpers.record import read_records

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SANITIZE = ROOT / "tests" / "nbval_sanitize.cfg"
CHECK, IGNORE = "nbval-check-output", "nbval-ignore-output"


def execute(stem: str, out_dir: Path, cwd: Path, **params) -> nbformat.NotebookNode:
    """Execute notebooks/<stem>.ipynb with papermill (parameters injected if given) into out_dir."""
    import papermill as pm

    out = out_dir / f"{stem}.ipynb"
    return pm.execute_notebook(str(NOTEBOOKS / f"{stem}.ipynb"), str(out), parameters=params or None,
                               kernel_name="python3", cwd=str(cwd), progress_bar=False)


def sanitizers() -> list[tuple[re.Pattern, str]]:
    """The (regex, replacement) pairs of the sanitize file."""
    lines = [line.strip() for line in SANITIZE.read_text().splitlines()]
    pairs, regex = [], None
    for line in lines:
        if line.startswith("regex:"):
            regex = re.compile(line.split(":", 1)[1].strip())
        elif line.startswith("replace:") and regex is not None:
            pairs.append((regex, line.split(":", 1)[1].strip()))
            regex = None
    return pairs


def visible_text(cell: nbformat.NotebookNode, rules=None) -> list[str]:
    """What a checked cell shows: stdout (consecutive writes merged) and the text of results, sanitized."""
    rules = sanitizers() if rules is None else rules
    parts: list[str] = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            if out.name != "stdout":
                continue
            if parts and parts[-1].startswith("stdout:"):
                parts[-1] += out.text
            else:
                parts.append("stdout:" + out.text)
        elif out.output_type in ("execute_result", "display_data"):
            text = out.get("data", {}).get("text/plain")
            if text:
                parts.append("result:" + text)
        elif out.output_type == "error":
            parts.append(f"error:{out.ename}: {out.evalue}")
    for regex, replacement in rules:
        parts = [regex.sub(replacement, p) for p in parts]
    return parts


def checked_cell_differences(stored: nbformat.NotebookNode, executed: nbformat.NotebookNode) -> list[str]:
    """One message per checked cell whose output differs from the committed one (empty: all equal)."""
    rules = sanitizers()
    assert len(stored.cells) == len(executed.cells), "the executed notebook has other cells than the stored one"
    problems = []
    for index, (old, new) in enumerate(zip(stored.cells, executed.cells)):
        if old.cell_type != "code" or CHECK not in old.metadata.get("tags", []):
            continue
        before, after = visible_text(old, rules), visible_text(new, rules)
        if before != after:
            first = old.source.strip().splitlines()[0][:70]
            problems.append(f"cell {index} ({first!r}):\n  stored:   {before!r}\n  this run: {after!r}")
    return problems


def checked_cell_count(nb: nbformat.NotebookNode) -> int:
    return sum(c.cell_type == "code" and CHECK in c.metadata.get("tags", []) for c in nb.cells)


def stored(stem: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4)


def records(nb: nbformat.NotebookNode) -> dict:
    return read_records(nb)


def outputs_text(nb: nbformat.NotebookNode, results: bool = False) -> str:
    """All the printed text of a notebook's code cells (stdout, stderr); with `results`, also the plain-text
    form of displayed results."""
    return "".join(out.get("text", "") + (str(out.get("data", {}).get("text/plain", "")) if results else "")
                   for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", []))


def assert_solutions_pass(nb: nbformat.NotebookNode, at_least: int = 3) -> None:
    """In an executed notebook, every solution that calls a check printed `[ok]`, and no check printed `[x]`."""
    solutions = [c for c in nb.cells if "solution" in c.metadata.get("tags", [])
                 and "helpers.check" in c.source]   # a written prediction checks nothing
    assert len(solutions) >= at_least, len(solutions)
    for cell in solutions:
        assert any("[ok]" in out.get("text", "") for out in cell.outputs), cell.source[:60]
    assert "[x] " not in outputs_text(nb)


def run_parameter_check(stem: str, **params) -> None:
    """Run a notebook's own parameter validation, in this process, on papermill's injected cell.

    The parameters cell, the cell papermill would inject for `params`, and the set-up cell's
    `helpers.check_parameters(...)` statement are executed in order; whatever that statement raises
    is what the notebook would raise in its set-up cell, before anything is trained.
    """
    import ast
    from unittest import mock

    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    import helpers

    nb = parameterize_notebook(load_notebook_node(str(NOTEBOOKS / f"{stem}.ipynb")), params)
    code = [c for c in nb.cells if c.cell_type == "code"]
    first = next(i for i, c in enumerate(code) if "parameters" in c.metadata.get("tags", []))
    defaults, injected, setup = code[first:first + 3]
    assert "injected-parameters" in injected.metadata.tags and "parameters" in defaults.metadata.tags
    check = next(node for node in ast.parse(setup.source).body
                 if isinstance(node, ast.Expr) and ast.unparse(node).startswith("helpers.check_parameters("))
    namespace = {"helpers": helpers}
    exec(defaults.source, namespace)
    exec(injected.source, namespace)
    with mock.patch("helpers.params._history", return_value=[defaults.source, injected.source]):
        exec(ast.unparse(check), namespace)


def assert_no_leaks(records: dict, at_least: int = 1) -> None:
    """Every split a notebook recorded (helpers.splits.show_splits) has disjoint parts per source."""
    from helpers import splits

    recorded = {k: v for k, v in records.items() if k.startswith("split:")}
    assert len(recorded) >= at_least, f"expected at least {at_least} recorded splits, found {list(recorded)}"
    for name, parts in recorded.items():
        expanded = {part: (p["source"], splits.expand(p["runs"])) for part, p in parts.items()}
        assert not splits.overlaps(expanded), f"{name}: {splits.overlaps(expanded)}"
        assert all(len(idx) for _, idx in expanded.values()), f"{name}: an empty part"


def assert_verdicts_consistent(verdicts: dict, text: str) -> int:
    """Every recorded helpers.stats comparison (nested dicts allowed) has the verdict its own scores
    give, and its sentence is printed in the notebook. Returns how many were checked."""
    from helpers import stats

    checked = 0
    for value in verdicts.values():
        if isinstance(value, dict) and "sentence" not in value:
            checked += assert_verdicts_consistent(value, text)
            continue
        again = stats.Comparison.from_dict(value)       # the package's own rule, recomputed from the scores
        verdict = again.verdict
        assert value["verdict"] == verdict, value
        assert again.sentence == value["sentence"], value
        assert value["sentence"] in text, f"verdict not printed: {value['sentence']}"
        checked += 1
    return checked


@contextlib.contextmanager
def artifacts_folder(path):
    """Point CNN_COURSE_ARTIFACTS at `path` for the duration (notebooks 05 and 06 pass files through it)."""
    saved = os.environ.get("CNN_COURSE_ARTIFACTS")
    os.environ["CNN_COURSE_ARTIFACTS"] = str(path)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("CNN_COURSE_ARTIFACTS", None)
        else:
            os.environ["CNN_COURSE_ARTIFACTS"] = saved
