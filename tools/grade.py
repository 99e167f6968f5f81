"""`make grade SUBMISSIONS=<folder>`: grade the notebooks a class handed in.

    python -m tools.grade collected/                 # -> build/grades/grades.csv and one <student>.md each
    python -m tools.grade collected/ --timeout 300   # seconds allowed to any one cell

The folder is laid out as nbgrader lays out collected work: `<folder>/<student>/<NN_topic>.ipynb`.
`grades.csv` has one row per student, notebook and exercise: student, notebook, exercise, points,
max_points, feedback. A notebook that is not valid JSON, crashes its kernel or times out gets rows that
say so, and the batch goes on.

How a notebook is graded. The course's own notebook (notebooks/NN_topic.ipynb, solution cells removed)
runs in a fresh kernel, offline and at small sizes, with the student's answer cells (tagged `answer`) in
place of its own: only what a student was asked to write is taken from the submission. The check cells
are the course's, so an edited check cell changes nothing. Right before each check cell the grader loads
the checks afresh from the course's files and gives back Python's own `print`, so a submission that
redefines `helpers.check` or prints `[ok]` itself gains nothing. An exercise earns one point per `[ok]`
line its check cell prints (a predict-run-explain exercise has two: the prediction, the explanation).
"""
from __future__ import annotations

import argparse
import csv
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

from tools import NOTEBOOKS, ROOT
from tools.make_student import student_copy

OUT = ROOT / "build" / "grades"
ANSWER, CHECK = "answer", "check"

#: The sizes a submission is graded at (and the tests' small runs): a few seconds to a minute a notebook.
SMALL = {
    "01_convolution_arithmetic": dict(PHOTO_SIZE=128, FAMOUS_MODELS=False),   # no exercise needs VGG16 & co.
    "02_keras_mnist": dict(N_TRAIN=1000, N_TEST=500, EPOCHS=2, DENSE_EPOCHS=2, FILTER_EPOCHS=1, GRID_EPOCHS=[1],
                           GRID_HIDDEN=[32], GRID_CV=2, SEEDS=[42, 43]),
    "03_dropout_batch_norm": dict(N_TRAIN=500, N_VAL=250, N_TEST=250, N_OVERFIT=250, DENSE_EPOCHS=4, EPOCHS=2,
                                  SEEDS=[42, 43]),
    "04_improving_models": dict(N_TRAIN=500, N_VAL=250, N_TEST=250, EPOCHS=2, WIDTHS=[32], DEPTHS=[1, 2],
                                ACTIVATIONS=["selu"], OPTIMIZERS=["Adam"], LEARNING_RATES=[1e-2],
                                BATCH_SIZES=[64], SEEDS=[42, 43]),
    "05_bottleneck_features": dict(N_TRAIN_PER_CLASS=10, N_VAL_PER_CLASS=20, EPOCHS=4, CURVE=[5], SEEDS=[42, 43]),
    "06_fine_tuning": dict(N_TRAIN_PER_CLASS=10, N_VAL_PER_CLASS=20, EPOCHS=2, BN_EPOCHS=1, HEAD_EPOCHS=5,
                           SEEDS=[42, 43]),
}

# Run right before each check cell: the checks as the course ships them, and Python's own print.
ARM = """\
import builtins as _builtins, importlib.util as _util
_spec = _util.spec_from_file_location("_course_checks", {path!r})
_checks = _util.module_from_spec(_spec)
_spec.loader.exec_module(_checks)
print = _builtins.print
import helpers
for _name in ("check", "check_function", "check_prediction", "check_explanation", "require_prediction"):
    setattr(helpers, _name, getattr(_checks, _name))
del _builtins, _util, _spec, _checks, _name
"""
CHECK_CALL = re.compile(r"^\s*helpers\.check(?:_function|_prediction|_explanation)?\(", re.M)


@dataclass
class Row:
    student: str
    notebook: str
    exercise: str
    points: int
    max_points: int
    feedback: str
    written: list = None     # the student's explanations, for the feedback file


def tags(cell) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def exercises(nb) -> list[tuple[int, str, int]]:
    """(index of the check cell, exercise title, points) for every check cell of a course notebook."""
    found, title = [], ""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            heading = re.search(r"^#+ ✏️ (Exercise \d+ — .+)$", cell.source, re.M)
            title = heading.group(1).strip() if heading else title
        elif CHECK in tags(cell):
            found.append((i, title, len(CHECK_CALL.findall(cell.source))))
    return found


def assemble(course, submitted, stem: str):
    """The course notebook as handed out (solutions and outputs removed), with the submission's answer cells
    (matched by cell id, else by order), small parameters and the re-arming cell before each check cell."""
    from papermill.parameterize import parameterize_notebook

    theirs = [c for c in submitted.cells if ANSWER in tags(c)]
    by_id = {c.get("id"): c for c in theirs}
    nb, cells, in_order = student_copy(course), [], iter(theirs)     # a copy: the course notebook stays as it is
    for cell in nb.cells:
        cell.metadata.setdefault("tags", [])           # papermill reads every cell's tags
        if ANSWER in tags(cell):
            by_order = next(in_order, None)             # the answer cell in the same place, if no id matches
            mine = by_id.get(cell.get("id"), by_order)
            cell.source = mine.source if mine is not None else "# (this answer cell is missing from the submission)"
        if CHECK in tags(cell):
            cells.append(nbformat.v4.new_code_cell(ARM.format(path=str(ROOT / "helpers" / "checks.py")),
                                                   metadata={"tags": ["grader"]}))
        cells.append(cell)
    nb.cells = cells
    nb.metadata["papermill"] = {}
    return parameterize_notebook(nb, SMALL.get(stem, {}))


def output_text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type == "error":
            parts.append(f"{out.ename}: {out.evalue}")
        elif "text/plain" in out.get("data", {}):
            parts.append(out["data"]["text/plain"])
    return "".join(parts)


def grade_notebook(student: str, path: Path, timeout: int) -> list[Row]:
    """Rows for one submitted notebook (never raises)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    stem = path.stem
    course_path = NOTEBOOKS / f"{stem}.ipynb"
    if not course_path.is_file():
        return [Row(student, stem, "(notebook)", 0, 0, f"{path.name} is not a notebook of this course")]
    course = nbformat.read(course_path, as_version=4)
    listed = exercises(course)
    try:
        submitted = nbformat.read(path, as_version=4)
    except Exception as error:       # not JSON, not a notebook: graded as such
        why = f"the file could not be read as a notebook ({type(error).__name__}: {str(error).splitlines()[0][:120]})"
        return [Row(student, stem, title, 0, n, why) for _, title, n in listed]
    nb = assemble(course, submitted, stem)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                            interrupt_on_timeout=True, resources={"metadata": {"path": str(NOTEBOOKS)}})
    stopped = ""
    try:
        client.execute()
    except (DeadKernelError, CellTimeoutError, RuntimeError) as error:
        stopped = f"the notebook stopped before the end ({type(error).__name__}: {str(error).splitlines()[0][:120]})"
    # a cell past the limit is interrupted (interrupt_on_timeout): it ends with a KeyboardInterrupt
    timed_out = [c for c in nb.cells if any(o.get("ename") == "KeyboardInterrupt" for o in c.get("outputs", []))]
    first_error = next((c for c in nb.cells if c.cell_type == "code" and CHECK not in tags(c) and c not in timed_out
                        and any(o.output_type == "error" and o.ename != "PredictionNeeded" for o in c.outputs)), None)
    rows = []
    for cell, (_, title, n) in zip((c for c in nb.cells if CHECK in tags(c)), listed):   # in the same order
        text = output_text(cell)
        verdicts = [line for line in text.splitlines() if re.match(r"^\[(ok|x| )\] ", line)]
        points = min(n, sum(line.startswith("[ok] ") for line in verdicts))
        if verdicts:
            feedback = " | ".join(verdicts)
        elif stopped or cell.execution_count is None:
            feedback = stopped or "not reached"
        else:
            error = next((o for o in cell.outputs if o.output_type == "error"), None)
            feedback = (f"the check could not run ({error.ename}: {error.evalue[:120]}): "
                        "an earlier cell of yours failed or an answer is missing" if error else "no verdict printed")
        rows.append(Row(student, stem, title, points, n, feedback))
    written = [c.source for c in nb.cells if ANSWER in tags(c) and "explanation" in c.source and "..." not in c.source]
    if written and rows:
        rows[0].written = written
    if first_error is not None and rows:
        error = next(o for o in first_error.outputs if o.output_type == "error")
        rows[-1].feedback += f" | note: a cell raised {error.ename}: {error.evalue[:120]}"
    if timed_out and rows:
        rows[-1].feedback += f" | note: {len(timed_out)} cell(s) ran past {timeout} s and were stopped"
    return rows


def feedback_file(student: str, rows: list[Row], out: Path) -> Path:
    lines = [f"# Feedback for {student}", ""]
    for notebook in dict.fromkeys(r.notebook for r in rows):
        mine = [r for r in rows if r.notebook == notebook]
        lines += [f"## {notebook}: {sum(r.points for r in mine)} / {sum(r.max_points for r in mine)} points", ""]
        lines += [f"- **{r.exercise}** ({r.points}/{r.max_points}): {r.feedback}" for r in mine]
        lines.append("")
        written = [text for r in mine for text in (r.written or [])]
        if written:
            lines += ["### Your explanations (read by your instructor)", ""]
            lines += [f"```python\n{text}\n```\n" for text in written]
    path = out / f"{student}.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def grade(submissions: Path, out: Path = OUT, timeout: int = 300) -> list[Row]:
    if not submissions.is_dir():
        raise SystemExit(f"SUBMISSIONS={submissions}: not a folder. Expected <folder>/<student>/<NN_topic>.ipynb")
    students = sorted(p for p in submissions.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not students:
        raise SystemExit(f"{submissions} has no student folders (<folder>/<student>/<NN_topic>.ipynb)")
    out.mkdir(parents=True, exist_ok=True)
    os.environ["CNN_COURSE_OFFLINE"] = "1"                     # grading never downloads
    os.environ["CNN_COURSE_NO_PROGRESS"] = "1"                 # no progress bars in what is graded
    all_rows = []
    for folder in students:
        os.environ["CNN_COURSE_ARTIFACTS"] = str(out / "work" / folder.name)   # 05 -> 06 files, per student
        rows = []
        for path in sorted(folder.glob("*.ipynb")):
            start = time.perf_counter()
            mine = grade_notebook(folder.name, path, timeout)
            rows += mine
            print(f"{folder.name}/{path.name}: {sum(r.points for r in mine)} / {sum(r.max_points for r in mine)} "
                  f"points ({time.perf_counter() - start:.0f} s)", flush=True)
        feedback_file(folder.name, rows, out)
        all_rows += rows
    with open(out / "grades.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "notebook", "exercise", "points", "max_points", "feedback"])
        writer.writerows([r.student, r.notebook, r.exercise, r.points, r.max_points, r.feedback] for r in all_rows)
    print(f"{len(students)} students, {len(all_rows)} rows: {out / 'grades.csv'}")
    return all_rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("submissions", type=Path, help="<folder>/<student>/<NN_topic>.ipynb")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--timeout", type=int, default=300, help="seconds allowed to any one cell")
    args = ap.parse_args(argv)
    grade(args.submissions, args.out, args.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
