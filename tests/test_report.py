"""The results report (tools/report.py, written by `make run`) and the one file of lecture values
(data/lecture_values.json) that it and the notebooks' summary tables read."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from helpers import lecture as lectures
from notebook_runs import NOTEBOOKS, records, stored

from tools import report, run_notebooks

ROOT = Path(__file__).resolve().parent.parent

STEMS = [p.stem for p in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))]
GROUPS = {"01": "nb01", "02": "nb02", "03": "nb03", "04": "nb04", "05": "transfer", "06": "transfer"}   # as tests/test_nbNN.py


# ---------------------------------------------------------------- reading the markdown back

def _cells(line: str) -> list[str]:
    """The cells of one markdown table row, unescaped."""
    parts = re.split(r"(?<!\\)\|", line.strip())[1:-1]
    return [re.sub(r"\\([\\|*$])", r"\1", p.strip()) for p in parts]


def tables(markdown: str) -> dict[str, list[list[str]]]:
    """{section heading: rows of the table under it (header and separator left out)}."""
    found: dict[str, list[list[str]]] = {}
    heading = None
    for line in markdown.splitlines():
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        elif line.startswith("|") and heading is not None:
            found.setdefault(heading, []).append(_cells(line))
    return {h: rows[2:] for h, rows in found.items()}      # rows[0]: header, rows[1]: ---


def summary_text(nb) -> str:
    """What the code cells of a notebook's Summary section show (stdout and text results)."""
    start = next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.startswith("## Summary"))
    parts = []
    for cell in nb.cells[start:]:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", "") + out.get("data", {}).get("text/plain", ""))
    return "".join(parts)


def summary_sources(nb) -> str:
    start = next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.startswith("## Summary"))
    return "\n".join(c.source for c in nb.cells[start:] if c.cell_type == "code")


def assert_numbers_match(shown: str, value, entry: lectures.Entry) -> None:
    """The report's text of a value states the recorded numbers (checked independently of run_text)."""
    if entry.exact:
        numbers = [float(n.replace(",", "")) for n in re.findall(r"-?[\d,]*\d(?:\.\d+)?", shown)]
        assert numbers == pytest.approx(lectures._numbers(value)), (shown, value)
    elif isinstance(value, list):
        mean, sd, n = re.fullmatch(r"(-?[\d.]+) ± ([\d.]+) \((\d+) seeds\)", shown).groups()
        assert float(mean) == pytest.approx(np.mean(value), abs=5e-4) and int(n) == len(value)
        assert float(sd) == pytest.approx(np.std(value, ddof=1), abs=5e-4)
    elif isinstance(value, float):
        assert float(re.fullmatch(r"(-?[\d.]+) \(1 run\)", shown).group(1)) == pytest.approx(value, abs=5e-4)
    else:
        assert shown.replace(",", "") == str(value), (shown, value)


# ---------------------------------------------------------------- (a) the report of this session's runs

@pytest.mark.notebook
@pytest.mark.parametrize("stem", [pytest.param(s, marks=pytest.mark.xdist_group(GROUPS[s[:2]])) for s in STEMS])
def test_report_states_what_the_executed_notebook_recorded(executed, stem):
    nb = executed(stem)
    rec = records(nb)
    run = report.NotebookRun.from_notebook(nb, stem)
    markdown = report.build_report([run], "test run")
    found = tables(markdown)
    # every notebook is listed; this one with its status and time, the others as not run
    listed = {row[0]: row for row in found["Notebooks"]}
    assert set(STEMS) <= set(listed)
    assert listed[stem][1] == "ok" and listed[stem][2] == report._seconds(nb.metadata["papermill"]["duration"])
    assert all(listed[s][1] == report.NOT_RUN for s in STEMS if s != stem)
    # the machine the kernel ran on, as helpers.setup recorded it
    (machine,) = found["Machine"]
    assert machine[0] == stem[:2] and machine[1] == f"{rec['machine']['cpu']}, {os.cpu_count()} cores"
    assert rec["machine"]["keras"] in machine[5] and rec["machine"]["backend"] in machine[5]
    # the lecture-vs-run table: the task first, then one row per lecture value, each next to this run's
    lecture = lectures.lecture_values(stem)
    rows = found[stem]
    assert len(rows) == 1 + len(lecture.entries)
    task, *entries = rows
    if lecture.task is not None:
        decided = rec[lectures.RECORD]
        assert task[1] == decided["task"] and task[2] == str(lecture.task)
        assert task[4] == ("same task" if decided["same_task"] else "another task")
    shown_in_summary = summary_text(nb)
    for row, entry in zip(entries, lecture.entries):
        value = lectures.lookup(rec, entry.run)
        assert value is not lectures.MISSING, f"{stem}: nothing recorded at {entry.run} ({entry.id})"
        assert row[0] == entry.label and row[2] == entry.text and row[3] == entry.setting
        assert row[1] == lectures.run_text(value, exact=entry.exact)
        assert_numbers_match(row[1], value, entry)
        assert row[1] in shown_in_summary, f"{stem}: the summary table does not show {row[1]!r} ({entry.id})"
        if entry.text != "-":
            assert entry.text in shown_in_summary, f"{stem}: the summary table does not show {entry.text!r}"
        if entry.exact:
            assert row[4] == "same computation: " + ("equal" if entry.agrees(value) else "differs")
        else:
            assert row[4] == rec[lectures.RECORD]["comparable"][entry.id]
    if stem.startswith("01"):
        assert all(row[4] == "same computation: equal" for row in entries)


# ---------------------------------------------------------------- (b) make run writes it

@pytest.mark.notebook
@pytest.mark.xdist_group("nb01")
def test_run_notebooks_writes_the_report(tmp_path):
    env = {**os.environ, "CNN_COURSE_ARTIFACTS": str(tmp_path / "artifacts"), "CNN_COURSE_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-m", "tools.run_notebooks", "01", "--out", str(tmp_path)],
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    text = (tmp_path / "report.md").read_text(encoding="utf-8")
    listed = {row[0]: row for row in tables(text)["Notebooks"]}
    first = listed[STEMS[0]]
    assert first[1] == "ok"
    assert float(first[2].removesuffix(" s")) > 0
    assert float(first[3].removesuffix(" MB").replace(",", "")) > 100      # the kernel's own peak: Keras, VGG16
    assert all(listed[s][1:] == [report.NOT_RUN, "-", "-"] for s in STEMS[1:])
    assert "01 --out" in text.splitlines()[2]                               # which run it describes
    rows = tables(text)[STEMS[0]]
    assert all(row[4] == "same computation: equal" for row in rows[1:])
    assert all(row[1] == report.NOT_RUN for row in tables(text)[STEMS[1]])


def test_store_keeps_time_and_memory_in_the_notebook(tmp_path, monkeypatch):
    """`make outputs` writes the run's time (and memory, when measured) into the stored notebook's metadata."""
    import papermill

    def fake(inp, out, **kwargs):
        nb = nbformat.read(inp, as_version=4)
        nb.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="ran\n")]
        nbformat.write(nb, out)

    monkeypatch.setattr(papermill, "execute_notebook", fake)
    src = tmp_path / "01_demo.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    nbformat.write(nb, src)
    (tmp_path / "out").mkdir()
    run = run_notebooks.execute(src, tmp_path / "out", {}, store=True, measure=False)
    assert run.status == "ok, stored"
    kept = nbformat.read(src, as_version=4).metadata[report.METADATA_KEY]["run"]
    assert kept["seconds"] >= 0 and kept["peak_memory_mb"] is None
    again = report.NotebookRun.from_notebook(src)
    assert again.seconds == kept["seconds"] and again.status == "ok"


# ---------------------------------------------------------------- (c) one source of lecture numbers

def _typed_spellings(entry: lectures.Entry) -> list[str]:
    """How a lecture number of this entry could be typed into code: its text, and its telling numbers."""
    found = [re.escape(entry.text)] if entry.text != "-" else []
    for number in entry.numbers:
        if number != int(number):                                   # 0.966, 0.74: a score
            found += [rf"(?<![\d.]){re.escape(s)}(?!\d)" for s in {f"{number:g}", f"{number:.2f}", f"{number:.3f}"}]
        elif abs(number) >= 100:                                    # 760, 18,496, 138,357,544
            found += [rf"(?<![\d,.]){re.escape(s)}(?![\d,])" for s in {f"{int(number)}", f"{int(number):,}",
                                                                         f"{int(number):_}"}]
    return found


@pytest.mark.parametrize("stem", STEMS)
def test_summary_cells_type_no_lecture_number(stem):
    lecture = lectures.lecture_values(stem)
    source = summary_sources(stored(stem))
    assert f'lecture_values("{stem[:2]}")' in source
    for entry in lecture:
        for pattern in _typed_spellings(entry):
            assert not re.search(pattern, source), \
                f"{stem}: the summary types the lecture's {entry.id} ({pattern}); read it from the file"
    if lecture.task is not None:
        assert str(lecture.task) not in source and lecture.task.data not in source
        assert not lecture.task.network or lecture.task.network not in source


@pytest.mark.parametrize("stem", STEMS)
def test_stored_summaries_show_the_files_lecture_values(stem):
    """The committed notebooks' summary tables show the lecture texts of data/lecture_values.json."""
    shown = summary_text(stored(stem))
    missing = [e.text for e in lectures.lecture_values(stem) if e.text != "-" and e.text not in shown]
    assert not missing, f"{stem}: re-store it (make outputs NB={stem[:2]}); its summary lacks {missing}"


def test_report_of_the_stored_run_lists_every_notebook_with_its_numbers():
    markdown = report.stored_report()
    found = tables(markdown)
    listed = {row[0]: row for row in found["Notebooks"]}
    assert list(listed)[:len(STEMS)] == STEMS
    for stem in STEMS:
        nb = stored(stem)
        kept = nb.metadata.get(report.METADATA_KEY, {}).get("run")
        assert kept, f"{stem}: no run time stored; re-store it with `make outputs NB={stem[:2]}`"
        assert listed[stem][1] == "ok" and listed[stem][2] == report._seconds(kept["seconds"])
        rec = records(nb)
        for row, entry in zip(found[stem][1:], lectures.lecture_values(stem)):
            value = lectures.lookup(rec, entry.run)
            assert row[1] == lectures.run_text(value, exact=entry.exact) and row[2] == entry.text


# ---------------------------------------------------------------- (d) a malformed file is refused

GOOD = json.loads((ROOT / "data" / "lecture_values.json").read_text(encoding="utf-8"))


def _broken(change) -> dict:
    data = json.loads(json.dumps(GOOD))
    change(data)
    return data


def _entry(data, number="05", index=1):
    return data["notebooks"][number]["entries"][index]


@pytest.mark.parametrize("change, named", [
    (lambda d: _entry(d).update(valeu=0.9), "'valeu' was unexpected"),
    (lambda d: _entry(d).pop("run"), "notebooks.05.entries[1]: 'run' is a required property"),
    (lambda d: _entry(d).update(value=0.91), "does not state the value 0.91"),
    (lambda d: _entry(d).update(value="0.9"), ".value"),
    (lambda d: _entry(d).update(run="results..bottleneck"), ".run"),
    (lambda d: _entry(d).update(id=_entry(d, index=0)["id"]), "appears twice"),
    (lambda d: d["notebooks"]["05"]["task"].update(chance=0.1), "not 1/classes"),
    (lambda d: d["notebooks"]["05"].pop("task"), "'task' is a required property"),
    (lambda d: d["notebooks"]["02"]["entries"][4].update(value=None), "exact"),
    (lambda d: d.update(extra=1), "'extra' was unexpected"),
    (lambda d: _entry(d).update(value=True), "entries[1].value"),
    (lambda d: _entry(d).update(value={"from": 0.9, "to": 0.8}), "the range runs from 0.9 down to 0.8"),
])
def test_malformed_lecture_values_are_refused_naming_the_file(tmp_path, change, named):
    path = tmp_path / "lecture_values.json"
    path.write_text(json.dumps(_broken(change)), encoding="utf-8")
    with pytest.raises(lectures.LectureValuesError) as refused:
        lectures.lecture_values("05", path)
    assert str(path) in str(refused.value) and named in str(refused.value)


def test_unreadable_lecture_values_are_refused_naming_the_file(tmp_path):
    path = tmp_path / "lecture_values.json"
    path.write_text('{"notebooks": {', encoding="utf-8")
    with pytest.raises(lectures.LectureValuesError, match="not valid JSON") as refused:
        lectures.load(path)
    assert str(path) in str(refused.value)
    with pytest.raises(lectures.LectureValuesError, match="missing"):
        lectures.load(tmp_path / "nowhere.json")


def test_the_file_covers_every_notebook_and_reads_cleanly():
    loaded = lectures.load()
    assert sorted(loaded) == [s[:2] for s in STEMS]
    assert all(loaded[s[:2]].notebook == s for s in STEMS)
    with pytest.raises(KeyError, match="no entry"):
        loaded["05"]["nothing"]


# ---------------------------------------------------------------- the helpers the summaries and the report share

def test_run_text_and_comparable_wording():
    assert lectures.run_text([0.9, 0.92, 0.94]) == "0.920 ± 0.020 (3 seeds)"
    assert lectures.run_text(0.95812) == "0.958 (1 run)"
    assert lectures.run_text(18496) == "18,496"
    assert lectures.run_text([106, 106], exact=True) == "106x106"
    assert lectures.run_text(np.array([[-10.0, 45.0], [-60.0, 25.0]]), exact=True) == "[[-10, 45], [-60, 25]]"
    assert lectures.run_text(None) == "not recorded"
    entry = lectures.lecture_values("02")["second CNN"]
    assert entry.comparable(False, "Fashion-MNIST") == "no: Fashion-MNIST is another task"
    assert entry.comparable(True, "MNIST", ["smaller setting"]).startswith("no: different measurement")
    plain = lectures.lecture_values("02")["dense 784-32-10"]
    assert plain.comparable(True) == "same task and setting"
    assert plain.comparable(True, differences=["smaller setting (a vs b)"]) == "same task, but smaller setting (a vs b)"
    assert lectures.lecture_values("02")["LeNet-5 style"].comparable(True) == "no number to compare"
