"""The student edition (`make student`) is something an instructor can hand out.

No later cell of a student notebook needs a name that only a solution defines (a static check of all
six), one student notebook runs top to bottom at small parameters with every exercise "not answered
yet", no solution's source is in any file, and a second `make student` never overwrites a copy the
student edited since it was generated.
"""
from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from notebook_runs import NOTEBOOKS, ROOT, artifacts_folder
from test_backends import SMALL                       # the same small sizes as the backend runs

from tools import make_student

STEMS = sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
EXERCISE = "### ✏️ Exercise"


def is_solution(cell) -> bool:
    return "solution" in cell.metadata.get("tags", [])


@pytest.fixture(scope="module")
def edition(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("student") / "student"
    result = make_student.make_student(out)
    assert result.ok and len(result.written) == len(STEMS)
    return out


def test_every_notebook_has_a_student_copy_without_outputs(edition):
    assert sorted(p.stem for p in edition.glob("*.ipynb")) == STEMS
    assert sorted(p.name for p in edition.iterdir()) == sorted([f"{s}.ipynb" for s in STEMS] + [".generated.json"])
    for stem in STEMS:
        nb = nbformat.read(edition / f"{stem}.ipynb", as_version=4)
        nbformat.validate(nb)
        assert not any(is_solution(c) for c in nb.cells), stem
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(c.outputs == [] and c.execution_count is None for c in code), stem
        assert "jupytext" not in nb.metadata               # saving it never writes a py/ twin
        original = nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4)
        kept = [c.source for c in original.cells if not is_solution(c)]
        assert [c.source for c in nb.cells] == kept, stem  # everything else is there, in order


def test_no_solution_source_in_any_student_file(edition):
    files = {p.name: p.read_text(encoding="utf-8") for p in edition.glob("*.ipynb")}
    for stem in STEMS:
        original = nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4)
        solutions = [c.source for c in original.cells if is_solution(c)]
        assert solutions, f"{stem} has no solution cells"
        # lines that only a solution has (a solution may share a line such as a check call with its
        # exercise's check cell): none of them may appear in any student file, in any notebook
        elsewhere = {line.strip() for c in original.cells if not is_solution(c) for line in c.source.splitlines()}
        own = {line.strip() for s in solutions for line in s.splitlines()} - elsewhere - {""}
        assert own, stem
        for name, text in files.items():
            nb = nbformat.reads(text, as_version=4)
            sources = "\n".join(c.source for c in nb.cells)
            for solution in solutions:
                assert solution.strip() not in sources, f"a solution of {stem} is in {name}"
            lines = {line.strip() for line in sources.splitlines()}
            leaked = own & lines
            assert not leaked, f"solution lines of {stem} in {name}: {sorted(leaked)[:3]}"
            for line in own:                            # nor anywhere in the raw file (metadata, JSON)
                assert line not in text, f"solution line of {stem} in {name}: {line!r}"


_runs: dict[str, object] = {}


def with_predictions(nb):
    """The notebook with each `prediction = ...` answered by the first choice its comment offers."""
    for cell in nb.cells:
        line = re.search(r"^prediction = \.\.\..*$", cell.source, re.M)
        if "answer" in cell.metadata.get("tags", []) and line:
            first_choice = re.search(r'"[^"]+"', line.group(0)).group(0)
            cell.source = cell.source.replace(line.group(0), f"prediction = {first_choice}")
    return nb


@pytest.fixture(scope="module")
def run_student(edition, tmp_path_factory):
    """run_student(stem) -> the student copy executed at SMALL parameters (05 always before 06, if 06 is run)."""
    folder = tmp_path_factory.mktemp("student-runs")
    (folder / "cwd").mkdir()

    def run(stem: str):
        if stem.startswith("06"):
            run("05_bottleneck_features")            # 06 reloads the head that 05 saved
        if stem not in _runs:
            import papermill as pm

            predicted = folder / f"{stem}-predicted.ipynb"     # as a student does: the predictions written first
            nbformat.write(with_predictions(nbformat.read(edition / f"{stem}.ipynb", as_version=4)), predicted)
            try:
                with artifacts_folder(folder / "artifacts"):
                    _runs[stem] = pm.execute_notebook(str(predicted), str(folder / f"{stem}.ipynb"),
                                                      parameters=SMALL[stem], kernel_name="python3",
                                                      cwd=str(folder / "cwd"), progress_bar=False)
            except Exception as exc:                  # report it at once for 06 too, if 05 failed
                _runs[stem] = exc
        if isinstance(_runs[stem], Exception):
            raise _runs[stem]
        return _runs[stem]

    return run


def bound_and_used(source: str) -> tuple[set[str], set[str]]:
    """Names a cell binds at module level (assignments, definitions, imports, loop targets; not a
    function's locals) and every name it reads."""
    tree = ast.parse(source)
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    bound, todo = set(), list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            bound.add(node.name)                       # its body's names are its own
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        else:
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                bound.add(node.id)
            todo.extend(ast.iter_child_nodes(node))
    return bound, used


@pytest.mark.parametrize("stem", STEMS)
def test_no_later_cell_needs_a_name_that_only_a_solution_defines(stem):
    """The student edition runs top to bottom before any exercise is done: a name a solution binds is
    bound outside the solutions too (by the answer cell, as `...`), or bound again before any later cell reads it."""
    nb = nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code" and "colab" not in c.metadata.get("tags", [])]
    bound_outside = set()
    for i, cell in enumerate(code):
        bound, _ = bound_and_used(cell.source)
        if not is_solution(cell):
            bound_outside |= bound
            continue
        pending = bound - bound_outside
        for later in code[i + 1:]:
            if is_solution(later):
                continue
            for statement in ast.parse(later.source).body:       # in order: a statement reads, then binds
                binds, reads = bound_and_used(ast.unparse(statement))
                assert not pending & reads, f"{stem}: {sorted(pending & reads)} bound only by a solution, read later"
                pending -= binds


STUDENT_RUN = "05_bottleneck_features"     # the one run: its later cells use the course's build_head until the
                                           # student's passes, and every kind of exercise is in it


@pytest.mark.notebook
@pytest.mark.xdist_group("student")
@pytest.mark.parametrize("stem", [STUDENT_RUN])
def test_student_notebook_runs_and_every_exercise_is_unanswered(run_student, edition, stem):
    nb = run_student(stem)                             # papermill raises if any cell fails
    headings = sum(c.source.count(EXERCISE) for c in nb.cells if c.cell_type == "markdown")
    assert headings >= 3, stem
    text = "".join(out.get("text", "") for c in nb.cells for out in c.get("outputs", []))
    unanswered = re.findall(r"^\[ \] .*not answered yet", text, re.M)
    assert len(unanswered) == headings, f"{stem}: {len(unanswered)} 'not answered yet' for {headings} exercises"
    verdicts = [v for v in re.findall(r"^\[(?:ok|x)\] .*", text, re.M) if "written before the run" not in v]
    assert not verdicts, f"{stem}: an exercise was answered in the student edition: {verdicts}"


@pytest.mark.notebook
def test_an_experiment_refuses_to_run_before_its_prediction(edition, tmp_path):
    import papermill as pm

    stem = "01_convolution_arithmetic"
    with pytest.raises(pm.PapermillExecutionError) as stopped:
        pm.execute_notebook(str(edition / f"{stem}.ipynb"), str(tmp_path / f"{stem}.ipynb"), parameters=SMALL[stem],
                            kernel_name="python3", cwd=str(tmp_path), progress_bar=False)
    assert stopped.value.ename == "PredictionNeeded" and "write your prediction" in stopped.value.evalue


def test_second_make_student_keeps_an_edited_copy(tmp_path):
    out = tmp_path / "student"
    command = ["make", "-s", "-o", "setup", "student", f"STUDENT_DIR={out}"]     # setup: already done
    first = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert first.returncode == 0, first.stdout + first.stderr
    edited = out / "02_keras_mnist.ipynb"
    nb = nbformat.read(edited, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("My notes: the loss went down."))
    nbformat.write(nb, edited)
    mine = edited.read_bytes()
    untouched = {p: p.read_bytes() for p in out.glob("*.ipynb") if p != edited}
    (out / "01_convolution_arithmetic.ipynb").unlink()                        # a deleted copy comes back

    for _ in range(2):                                  # and the edit is still kept on a third run
        again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        assert again.returncode != 0
        assert "02_keras_mnist.ipynb" in again.stderr and "edited" in again.stderr, again.stderr
        assert edited.read_bytes() == mine             # the edit survives
        assert {p: p.read_bytes() for p in untouched} == untouched


def test_an_unchanged_copy_is_refreshed_when_its_notebook_changes(tmp_path):
    source, out = tmp_path / "notebooks", tmp_path / "student"
    source.mkdir()
    for name in ["01_convolution_arithmetic.ipynb", "02_keras_mnist.ipynb"]:
        shutil.copy(NOTEBOOKS / name, source / name)
    make_student.make_student(out, source)
    changed = nbformat.read(source / "01_convolution_arithmetic.ipynb", as_version=4)
    changed.cells.append(nbformat.v4.new_markdown_cell("A new closing remark."))
    nbformat.write(changed, source / "01_convolution_arithmetic.ipynb")
    edited = out / "02_keras_mnist.ipynb"
    edited.write_text(edited.read_text().replace("answer = ...", "answer = 42", 1))

    result = make_student.make_student(out, source)
    assert result.written == [out / "01_convolution_arithmetic.ipynb"] and result.kept == [edited]
    assert "A new closing remark." in (out / "01_convolution_arithmetic.ipynb").read_text()
    assert "answer = 42" in edited.read_text()
    assert "02_keras_mnist.ipynb" in result.message()
    assert make_student.main(["--out", str(out), "--source", str(source)]) == 1


def test_student_edition_refuses_the_course_folders(tmp_path):
    for folder in [NOTEBOOKS, ROOT / "py", ROOT, NOTEBOOKS / "student"]:
        with pytest.raises(SystemExit):
            make_student.make_student(folder)
    assert not (NOTEBOOKS / "student").exists() and not (NOTEBOOKS / make_student.MANIFEST).exists()


def test_make_lab_offers_rise_slideshows():
    """Presenting in class: the RISE extension is installed and enabled in the JupyterLab `make lab` opens."""
    jupyter = Path(sys.executable).parent / "jupyter"
    listing = subprocess.run([str(jupyter), "labextension", "list"], capture_output=True, text=True)
    text = re.sub(r"\x1b\[[0-9;]*m", "", listing.stdout + listing.stderr)   # without colour codes
    line = next((x for x in text.splitlines() if x.strip().startswith("jupyterlab-rise ")), "")
    assert "enabled" in line and "OK" in line, text
