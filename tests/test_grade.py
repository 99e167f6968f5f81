"""`make grade`: a class folder with a correct, a wrong, a cheating, a crashing, a corrupt and a hanging submission."""
from __future__ import annotations

import csv
import subprocess
import sys

import nbformat
import pytest

from notebook_runs import ROOT
from tools import grade, make_student

pytestmark = [pytest.mark.notebook, pytest.mark.xdist_group("grade")]    # it executes submissions in kernels
STEM = "01_convolution_arithmetic"
LIMIT = 20   # seconds a cell may run: the slowest at the grading sizes (importing Keras) takes ~4 s, more on a loaded machine
WRONG = {   # answer cell (in order) -> a wrong answer; each is one of the mistakes the checks name
    0: "answer = -10.0",
    1: 'prediction = "larger"',
    2: 'explanation = "it got smaller"',
    3: "answer = (55, 96 * 11 * 11 * 3)",
    4: ("def conv2d(x, kernel, stride=1, padding=0):\n    x = np.pad(x, padding)\n    k = np.flip(kernel)\n"
        "    n = (x.shape[0] - k.shape[0]) // stride + 1, (x.shape[1] - k.shape[1]) // stride + 1\n"
        "    return np.array([[np.sum(x[i*stride:i*stride+k.shape[0], j*stride:j*stride+k.shape[1]] * k)\n"
        "                      for j in range(n[1])] for i in range(n[0])])"),
}


def answers_and_solutions(course):
    """The answer cells of the course notebook, each with the source of the solution cell that follows it."""
    cells, pairs = course.cells, []
    for i, cell in enumerate(cells):
        if "answer" in cell.metadata.get("tags", []):
            solution = next(c for c in cells[i + 1:] if "solution" in c.metadata.get("tags", []))
            pairs.append((cell, solution.source.split("helpers.check")[0]))   # the answer, not its check
    return pairs


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = nbformat.read(ROOT / "notebooks" / f"{STEM}.ipynb", as_version=4)
    handout = make_student.student_copy(course)
    folder = tmp_path_factory.mktemp("collected")

    def submit(student, edit):
        nb = nbformat.from_dict(nbformat.reads(nbformat.writes(handout), as_version=4))
        answer_cells = [c for c in nb.cells if "answer" in c.metadata.get("tags", [])]
        edit(nb, answer_cells)
        (folder / student).mkdir()
        nbformat.write(nb, folder / student / f"{STEM}.ipynb")

    solutions = [source for _, source in answers_and_solutions(course)]

    def correct(nb, cells):
        for cell, source in zip(cells, solutions):
            cell.source = source

    def wrong(nb, cells):
        for k, cell in enumerate(cells):
            cell.source = WRONG[k]

    def cheat(nb, cells):
        cells[0].source = ('import helpers\nhelpers.check = lambda *a, **k: print("[ok] correct!")\n'
                           'helpers.check_function = helpers.check_prediction = helpers.check_explanation = helpers.check\n'
                           'print("[ok] correct!")\nanswer = 0')
        cells[1].source = 'prediction = "larger"'
        for cell in nb.cells:                          # and every check cell edited to print [ok]
            if "check" in cell.metadata.get("tags", []):
                cell.source = 'print("[ok] correct!")'

    def crash(nb, cells):
        cells[0].source = "import os\nos._exit(1)   # the kernel dies"

    def hang(nb, cells):
        cells[0].source = "import time\ntime.sleep(10 ** 6)   # never ends"
        cells[3].source = solutions[3]                 # and one right answer, still graded

    submit("alice", correct)
    submit("bob", wrong)
    submit("carol", cheat)
    submit("dave", crash)
    submit("frank", hang)
    (folder / "eve").mkdir()
    (folder / "eve" / f"{STEM}.ipynb").write_text('{"cells": [ {"cell_type": "code", "sour', encoding="utf-8")
    out = tmp_path_factory.mktemp("grades")
    done = subprocess.run([sys.executable, "-m", "tools.grade", str(folder), "--out", str(out),
                           "--timeout", str(LIMIT)], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    with open(out / "grades.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return rows, out


def by_student(rows, student):
    return [r for r in rows if r["student"] == student]


def test_grades_have_the_columns_and_one_row_per_exercise(graded):
    rows, out = graded
    assert list(rows[0]) == ["student", "notebook", "exercise", "points", "max_points", "feedback"]
    exercises = grade.exercises(nbformat.read(ROOT / "notebooks" / f"{STEM}.ipynb", as_version=4))
    assert len(exercises) >= 4
    for student in ("alice", "bob", "carol", "dave", "eve", "frank"):
        mine = by_student(rows, student)
        assert [r["exercise"] for r in mine] == [title for _, title, _ in exercises]
        assert (out / f"{student}.md").is_file()


def test_a_correct_submission_gets_every_point(graded):
    rows, _ = graded
    for r in by_student(rows, "alice"):
        assert r["points"] == r["max_points"] != "0", r
        assert "note:" not in r["feedback"], "no cell of a correct submission fails"
    assert "Your explanations" in (graded[1] / "alice.md").read_text(encoding="utf-8")


def test_a_wrong_submission_gets_the_hints_that_name_its_mistakes(graded):
    rows, _ = graded
    mine = {r["exercise"].split(" — ")[0]: r for r in by_student(rows, "bob")}
    assert mine["Exercise 1"]["points"] == "0" and "flipped the kernel" in mine["Exercise 1"]["feedback"]
    assert mine["Exercise 2"]["points"] == "1" and "words" in mine["Exercise 2"]["feedback"]  # prediction counts, not the 4-word explanation
    assert mine["Exercise 3"]["points"] == "0" and "bias" in mine["Exercise 3"]["feedback"]
    assert mine["Exercise 4"]["points"] == "0" and "flipped the kernel" in mine["Exercise 4"]["feedback"]


def test_cheating_gains_nothing(graded):
    rows, _ = graded
    mine = by_student(rows, "carol")
    assert sum(int(r["points"]) for r in mine) == 1        # only the prediction it really wrote
    assert "[x] correlation at (0, 0): 0" in mine[0]["feedback"]


def test_a_crash_and_a_corrupt_file_are_graded_with_their_reason(graded):
    rows, _ = graded
    for student, reason in (("dave", "stopped before the end"), ("eve", "could not be read as a notebook")):
        mine = by_student(rows, student)
        assert mine and all(r["points"] == "0" and reason in r["feedback"] for r in mine), mine


def test_a_cell_past_the_time_limit_is_stopped_and_the_rest_is_graded(graded):
    rows, _ = graded
    mine = {r["exercise"].split(" — ")[0]: r for r in by_student(rows, "frank")}
    assert mine["Exercise 3"]["points"] == "1"
    assert sum(int(r["points"]) for r in mine.values()) == 1
    assert f"ran past {LIMIT} s and were stopped" in mine["Exercise 4"]["feedback"]
