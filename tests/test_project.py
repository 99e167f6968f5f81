"""The project's own consistency: requirements, CI entry point, and the notebook skeleton."""
import re
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def requirement_lines(text: str) -> set[str]:
    return {line.split("#")[0].strip() for line in text.splitlines() if line.split("#")[0].strip()}


def test_environment_yml_installs_what_requirements_txt_installs():
    reqs = requirement_lines((ROOT / "requirements.txt").read_text())
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert set(pip_section) == reqs
    assert "python=3.11" in env["dependencies"]
    for line in reqs:                                 # compatible-release ranges, not exact pins
        assert "~=" in line, line


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme and re.search(r"^\s*make test\b", ci, re.M)


def test_there_are_notebooks():
    assert [p.name[:2] for p in NOTEBOOKS][:1] == ["01"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_skeleton(path):
    nb = nbformat.read(path, as_version=4)
    cells = nb.cells
    head = cells[0]
    assert head.cell_type == "markdown" and head.source.startswith(f"# {path.name[:2]}")
    assert "Follows" in head.source and "Learning objectives" in head.source
    code = [c for c in cells if c.cell_type == "code"]
    tagged = [i for i, c in enumerate(code) if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    params = code[tagged[0]]
    assert params.source.startswith("# Parameters:")
    assert "check_parameters(" in code[tagged[0] + 1].source, "validate parameters right after the cell"
    assert "helpers.setup(" in "".join(c.source for c in code[:tagged[0]])
    assert sum("solution" in c.metadata.get("tags", []) for c in cells) >= 2
    assert any(c.cell_type == "markdown" and c.source.startswith("## Summary") for c in cells)
    assert sum(c.source.startswith("# NBVAL_CHECK_OUTPUT") for c in code) >= 3
    assert nb.metadata.kernelspec.name == "python3"
    for c in code:
        assert "jit_compile=True" not in c.source
        assert c.execution_count is not None, "committed with the outputs of a full run"
        for out in c.outputs:
            assert out.output_type != "error"
            text = out.get("text", "") + str(out.get("data", {}).get("text/plain", ""))
            assert not re.search(r"/(root|home|tmp|work)/", text), f"machine path in output: {text[:80]}"
    assert "papermill" not in nb.metadata, "stored by tools/run_notebooks.py --store (run metadata removed)"
