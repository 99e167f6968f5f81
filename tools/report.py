"""The results report: per notebook its status, wall time and peak memory, the machine it ran on, and
every number the lectures state next to this run's value of the same quantity.

    python -m tools.report              # report of the run stored in notebooks/ (the one `make site` shows)
    python -m tools.report build        # report of the notebooks executed into build/ (times from papermill)

`make run` (tools/run_notebooks.py) writes build/report.md with `build_report` after executing the
notebooks; `make outputs` stores each notebook's time and memory in its metadata, from which `make site`
builds the report page of the committed run. The lecture's values come from data/lecture_values.json
(`helpers.lecture`), this run's from each executed notebook's records, found by each entry's `run`
path; the "comparable?" decisions are the ones the notebook's own summary cell recorded.
"""
from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers import lecture as lectures
from helpers.record import read_records
from tools import NOTEBOOKS, lessons

#: where a stored notebook keeps the time and memory of the run that produced its outputs (make outputs)
METADATA_KEY = "cnn_course"
NOT_RUN = "not run"


@dataclass
class NotebookRun:
    """One notebook in the report: how its run went, and the executed notebook (None: not run)."""

    stem: str
    status: str = NOT_RUN
    seconds: float | None = None
    peak_mb: float | None = None
    notebook: Any = None                 # path or NotebookNode of the executed notebook

    @classmethod
    def from_notebook(cls, notebook: Any, stem: str | None = None) -> "NotebookRun":
        """An executed or stored notebook. A notebook papermill executed (it carries papermill's metadata):
        papermill's time, memory not measured (its copy of the stored run's metadata describes another run).
        A stored notebook (`make outputs` removes papermill's metadata): the time and memory it stored.
        Status from papermill's error flag or the error outputs."""
        import nbformat

        nb = nbformat.read(str(notebook), as_version=4) if isinstance(notebook, (str, Path)) else notebook
        stem = stem or Path(str(notebook)).stem
        papermill = nb.metadata.get("papermill", {})
        ran = {"seconds": papermill.get("duration")} if papermill else nb.metadata.get(METADATA_KEY, {}).get("run", {})
        failed = papermill.get("exception") or any(out.get("output_type") == "error"
                                                    for cell in nb.cells for out in cell.get("outputs", []))
        return cls(stem, "failed" if failed else "ok", ran.get("seconds"), ran.get("peak_memory_mb"), nb)


def executed_runs(folder: Path) -> list[NotebookRun]:
    return [NotebookRun.from_notebook(path) for path in lessons(folder)]


def _cell(text: Any) -> str:
    """Text safe inside a markdown table cell."""
    return re.sub(r"([\\|*$])", r"\\\1", str(text).replace("\n", " ")) or " "


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *("| " + " | ".join(_cell(c) for c in row) + " |" for row in rows)]


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s" if value < 100 else f"{value:.0f} s"


def memory_text(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f} MB"


def machine_text(machine: dict) -> dict[str, str]:
    gpus = machine.get("gpus", int(bool(machine.get("gpu"))))
    return {"CPU": f"{machine.get('cpu', 'unknown')}, {machine.get('cores', '?')} cores",
            "GPU": f"{gpus} GPU{'s' if gpus != 1 else ''}" if gpus else "none (CPU only)",
            "system": machine.get("system", "unknown"),
            "Python": machine.get("python", "?"),
            "Keras (backend)": f"{machine.get('keras', '?')} ({machine.get('backend', '?')} "
                               f"{machine.get('backend_version', '')})".replace(" )", ")"),
            "NumPy": machine.get("numpy", "?")}


def lecture_rows(run: NotebookRun, records: dict, lecture: lectures.Lecture) -> list[dict]:
    """The lecture-vs-run rows of one notebook: {"what", "run", "lecture", "setting", "comparable"},
    the task first; "value" holds this run's recorded value (None when there is none)."""
    ran = run.notebook is not None
    decided = records.get(lectures.RECORD, {})
    if lecture.task is None:
        shown, said, setting, comparable = "none: arithmetic on the lectures' own examples", "none", "", "same computation"
    else:
        same = decided.get("same_task")
        shown, said, setting = decided.get("task", "not recorded"), str(lecture.task), lecture.task.data
        comparable = "not recorded" if same is None else "same task" if same else "another task"
    rows = [{"what": "task", "run": shown if ran else NOT_RUN, "lecture": said, "setting": setting,
             "comparable": comparable if ran else "-", "value": None}]
    for entry in lecture:
        value = lectures.lookup(records, entry.run) if ran else lectures.MISSING
        if value is lectures.MISSING:
            shown, comparable = NOT_RUN if not ran else "not recorded", "-"
        else:
            shown = lectures.run_text(value, exact=entry.exact)
            comparable = ("same computation: " + ("equal" if entry.agrees(value) else "differs") if entry.exact
                          else decided.get("comparable", {}).get(entry.id, "not recorded"))
        rows.append({"what": entry.label, "run": shown, "lecture": entry.text, "setting": entry.setting,
                     "comparable": comparable, "value": None if value is lectures.MISSING else value,
                     "id": entry.id})
    return rows


def build_report(runs: list[NotebookRun], described: str, lecture_file: str | Path | None = None) -> str:
    """The report as markdown. `runs`: the notebooks this run executed (the course's other notebooks
    are listed as not run); `described`: one sentence saying which run this is."""
    by_stem = {run.stem: run for run in runs}
    stems = [p.stem for p in lessons(NOTEBOOKS)]
    stems += [s for s in by_stem if s not in stems]
    runs = [by_stem.get(stem, NotebookRun(stem)) for stem in stems]
    records = {run.stem: read_records(run.notebook) if run.notebook is not None else {} for run in runs}
    all_lectures = lectures.load(lecture_file)

    lines = ["# Results report", "", described, "", "## Notebooks", ""]
    ran = [r for r in runs if r.seconds is not None]
    lines += _table(["notebook", "status", "wall time", "peak memory"],
                    [[r.stem, r.status, _seconds(r.seconds), memory_text(r.peak_mb)] for r in runs]
                    + ([["total", f"{len(ran)} of {len(runs)} run", _seconds(sum(r.seconds for r in ran)), ""]]
                       if ran else []))
    lines += ["", "Wall time: the notebook's execution by papermill, from kernel start to the last cell. "
              "Peak memory: the largest resident memory of the notebook's kernel process during that run "
              "(\"-\": not measured).", "", "## Machine", ""]
    used = [(run.stem[:2], records[run.stem].get("machine")) for run in runs]
    recorded = [machine for _, machine in used if machine is not None]
    machines = [m for i, m in enumerate(recorded) if m not in recorded[:i]]   # each once, in the order first used
    if machines:
        lines += _table(["notebooks", *machine_text(machines[0])],
                        [[", ".join(n for n, m in used if m == machine), *machine_text(machine).values()]
                         for machine in machines])
        lines += ["", "As each notebook's set-up cell (`helpers.setup`) found it."]
    else:
        lines += ["Not recorded: no executed notebook holds the machine record of `helpers.setup`."]

    lines += ["", "## This run next to the lectures", "",
              "Each number a lecture states, next to this run's value of the same quantity (scores over seeds "
              "as mean ± sd). Only rows on the same task can be compared; \"comparable?\" is what the notebook's "
              "summary decided (task, measurement, setting), or, for quantities computed without data, "
              "whether this run gives the lecture's value. Lecture values: `data/lecture_values.json`.", ""]
    for run in runs:
        number = run.stem[:2]
        lines += [f"### {run.stem}", ""]
        if number not in all_lectures:
            lines += ["No lecture values for this notebook.", ""]
            continue
        rows = lecture_rows(run, records[run.stem], all_lectures[number])
        lines += _table(["quantity", "this run", "lecture", "lecture's setting", "comparable?"],
                        [[r["what"], r["run"], r["lecture"], r["setting"], r["comparable"]] for r in rows])
        lines += [""]
    return "\n".join(lines)


def stored_report(notebooks: Path = NOTEBOOKS) -> str:
    """The report of the run whose outputs are committed in notebooks/ (make outputs)."""
    return build_report(executed_runs(notebooks), "The run whose outputs are stored in the committed notebooks (`make outputs`: every "
                              "notebook at its default parameters). A fresh `make run` writes the same report of "
                              "its own run to `build/report.md`.")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", nargs="?", default=str(NOTEBOOKS), help="executed notebooks (default notebooks/)")
    args = ap.parse_args(argv)
    folder = Path(args.folder)
    print(stored_report() if folder.resolve() == NOTEBOOKS.resolve() else build_report(
        executed_runs(folder), f"The notebooks executed into {folder} (peak memory is measured by `make run` only)."))


if __name__ == "__main__":
    main()
