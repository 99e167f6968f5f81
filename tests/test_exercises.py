"""The exercises, read from the stored notebooks (no kernel): each asks before it answers, each check
rejects the plausible wrong answers it lists with a hint naming the mistake, each solution passes its
check, and predict-run-explain experiments refuse to run without a prediction."""
from __future__ import annotations

import re

import nbformat
import pytest

from helpers.record import MIME
from notebook_runs import NOTEBOOKS

PATHS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
#: notebooks whose exercises follow the graded layout in full: 4 exercises or more, 2 of them not
#: arithmetic (code or predict-run-explain), 1 of them code
CHECKS = re.compile(r"helpers\.(check|check_function|check_prediction|check_explanation)\(")


def tags(cell):
    return cell.metadata.get("tags", [])


def records(cell) -> dict:
    found = {}
    for out in cell.get("outputs", []):
        found.update(out.get("data", {}).get(MIME, {}))
    return found


def shown(cell) -> str:
    """What a reader sees of a cell: markdown source, or the text of a code cell's outputs."""
    if cell.cell_type == "markdown":
        return cell.source
    parts = []
    for out in cell.get("outputs", []):
        parts.append(out.get("text", "") + str(out.get("data", {}).get("text/plain", "")))
    return "".join(parts)


def spellings(value) -> list[str]:
    """How a number, a shape or a short word would be printed, if it is distinctive enough to look for."""
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, (int, float)):
        if float(value).is_integer():
            v = int(value)
            return [f"{v}", f"{v:,}"] if abs(v) >= 100 else []
        return [f"{value:g}", f"{value:.2f}", f"{value:.3f}"] if abs(value) >= 1 else [f"{value:.3f}"]
    if isinstance(value, list) and value and all(isinstance(v, (int, float)) for v in value):
        ints = [int(v) for v in value if float(v).is_integer()]
        whole = [", ".join(map(str, ints)), "x".join(map(str, ints)), "×".join(map(str, ints))] if len(ints) == len(value) else []
        return whole      # a pair's single numbers (512, 64) also occur elsewhere by coincidence
    if isinstance(value, str) and len(value) <= 30 and " " not in value.strip():
        return [value]
    return []


def exercise_blocks(nb):
    """[(heading index, [cell indices up to the next heading])] for every exercise."""
    heads = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and re.search(r"^#+ ", c.source, re.M)]
    blocks = []
    for k, i in enumerate(heads):
        if re.search(r"^### ✏️ Exercise \d+ — ", nb.cells[i].source, re.M):
            end = heads[k + 1] if k + 1 < len(heads) else len(nb.cells)
            blocks.append((i, list(range(i + 1, end))))
    return blocks


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_every_exercise_asks_then_checks_then_solves(path):
    nb = nbformat.read(path, as_version=4)
    blocks = exercise_blocks(nb)
    assert blocks, "every lesson has exercises"
    for head, block in blocks:
        cells = [nb.cells[i] for i in block]
        answers = [c for c in cells if "answer" in tags(c)]
        checks = [c for c in cells if "check" in tags(c)]
        title = nb.cells[head].source.splitlines()[0]
        assert answers and checks, f"{title}: an answer cell and a check cell"
        assert all(re.search(r"\.\.\.", c.source) for c in answers), f"{title}: the student's cells hold ..."
        assert all(CHECKS.search(c.source) and "solution" not in tags(c) for c in checks)
        first_answer = block[[i for i, c in enumerate(cells) if "answer" in tags(c)][0]]
        first_check = block[[i for i, c in enumerate(cells) if "check" in tags(c)][0]]
        assert first_answer < first_check, f"{title}: the answer comes before its check"
        solutions = [c for c in cells if "solution" in tags(c)]
        assert len(solutions) >= len(answers), f"{title}: a solution for every answer cell"
        solved = [c for c in solutions if CHECKS.search(c.source)]
        assert solved and all(re.search(r"^\[ok\] ", shown(c), re.M) and "[x]" not in shown(c) for c in solved), \
            f"{title}: the solution passes its check in the stored run"


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_every_check_rejects_its_listed_mistakes_with_a_hint(path):
    nb = nbformat.read(path, as_version=4)
    for cell in (c for c in nb.cells if "check" in tags(c)):
        recorded = records(cell)
        mistakes = [m for name, r in recorded.items() if name.startswith("check: ") for m in r["mistakes"]]
        assert len(mistakes) >= 2, f"at least two plausible wrong answers for {cell.source[:80]!r}"
        for m in mistakes:
            assert m["rejected"], f"the wrong answer {m['answer']!r} ({m['hint']}) passes the check"
            assert len(m["hint"]) >= 8


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_no_answer_is_shown_before_its_question(path):
    nb = nbformat.read(path, as_version=4)
    for _, block in exercise_blocks(nb):
        for i in block:
            if "check" not in tags(nb.cells[i]):
                continue
            answer = max(j for j in block if j < i and "answer" in tags(nb.cells[j]))
            above = "\n".join(shown(c) for c in nb.cells[:answer])
            for name, r in records(nb.cells[i]).items():
                if r.get("kind") != "value":
                    continue
                for text in spellings(r["expected"]):
                    assert not re.search(rf"(?<![\w.,]){re.escape(text)}(?![\w]|[.,]\d)", above), \
                        f"{name}: the answer {text!r} is shown above the exercise"


def kinds_of(nb):
    """(kind, block) of every exercise: "code", "predict" or "value"."""
    found = []
    for _, block in exercise_blocks(nb):
        source = "\n".join(nb.cells[i].source for i in block if "check" in tags(nb.cells[i]))
        found.append(("code" if "check_function(" in source else "predict" if "check_prediction(" in source
                      else "value", block))
    return found


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_every_experiment_waits_for_its_prediction_and_the_explanation_follows_it(path):
    nb = nbformat.read(path, as_version=4)
    predicts = [block for kind, block in kinds_of(nb) if kind == "predict"]
    assert predicts, "every lesson has a predict-run-explain exercise"
    for block in predicts:
        prediction = min(i for i in block if "answer" in tags(nb.cells[i]))
        run = [i for i in block if "helpers.require_prediction(" in nb.cells[i].source]
        assert run and run[0] > prediction and "solution" not in tags(nb.cells[run[0]])
        explanation = [i for i in block if "answer" in tags(nb.cells[i]) and i > run[0]]
        check = min(i for i in block if "check" in tags(nb.cells[i]))
        assert explanation and explanation[0] < check and "check_explanation(" in nb.cells[check].source
        assert any(i > check and "solution" in tags(nb.cells[i]) and "explanation = " in nb.cells[i].source
                   for i in block), "a model explanation"


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_the_mix_of_exercises(path):
    kinds = [kind for kind, _ in kinds_of(nbformat.read(path, as_version=4))]
    assert len(kinds) >= 4 and sum(k != "value" for k in kinds) >= 2 and "code" in kinds, kinds
