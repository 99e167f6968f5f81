"""The lectures' numbers, kept in one file: `data/lecture_values.json`.

A notebook's summary table and the results report (`tools/report.py`, written by `make run`) both read
the lecture's values from that file, so the two never disagree and no notebook types a lecture number:

    lecture = helpers.lecture_values("05")
    str(lecture.task)                       # 'cats vs dogs (2 classes, chance 0.50)'
    lecture["bottleneck"].text              # 'about 0.90 (validation, 50 epochs)', the lecture's words
    lecture["bottleneck"].comparable(same_task=False, task="MNIST digits")   # 'no: MNIST digits is another task'
    lecture.record(task=..., same_task=..., comparable={...})   # for the report: what the summary decided

Each entry's `run` is a dotted path into `helpers.read_records`: where the notebook records its own value,
which the report puts next to the lecture's. The file is checked when read (`data/lecture_values.schema.json`,
then what a schema cannot say); a mistake is refused with the file's name and the key at fault.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from . import paths

#: the name the summary cells record their decisions under (`Lecture.record`), read back by the report
RECORD = "lecture_vs_run"
#: what `lookup` returns for a path the records do not have
MISSING = object()
DEFAULT_PATH = paths.PROJECT_ROOT / "data" / "lecture_values.json"
SCHEMA_PATH = paths.PROJECT_ROOT / "data" / "lecture_values.schema.json"


class LectureValuesError(ValueError):
    """data/lecture_values.json (or the file given) is malformed: the message names the file and the key."""


@dataclass(frozen=True)
class Task:
    """The lecture's task: what is classified, into how many classes, and the accuracy of guessing."""

    name: str
    classes: int
    chance: float
    data: str = ""                       # the lecture's images, in its words
    network: str = ""                    # the pretrained network, where there is one
    train_per_class: int | None = None   # labelled training images per class

    def __str__(self) -> str:
        return f"{self.name} ({self.classes} classes, chance {self.chance:.2f})"


@dataclass(frozen=True)
class Entry:
    """One number the lecture states, with its setting, and where this run records its own value."""

    id: str
    what: str
    text: str                            # the lecture's value as the lecture gives it
    run: str                             # dotted path into the notebook's records
    value: Any = None                    # a number, {"from": a, "to": b}, an exact list (a shape), or None
    measure: str = ""                    # what this run's number measures ("test accuracy")
    setting: str = ""
    images: int | None = None
    epochs: int | None = None
    caveat: str = ""                     # why the lecture's number is another measurement, if it is
    exact: bool = False                  # computed without data (a shape, a count): this run must give the same

    @property
    def label(self) -> str:
        return f"{self.what}: {self.measure}" if self.measure else self.what

    @property
    def numbers(self) -> list[float]:
        """Every number in the lecture's value."""
        return _numbers(self.value)

    def smaller_setting(self, images: int, epochs: int, otherwise: str) -> list[str]:
        """The differences a summary names when this run used fewer images or epochs than the lecture
        ("smaller setting (8 vs 2,000 training images)"), else `otherwise`."""
        smaller = [f"{n:,} vs {said:,} {what}" for n, said, what in
                   [(images, self.images, "training images"), (epochs, self.epochs, "epochs")] if said and n < said]
        return [f"smaller setting ({', '.join(smaller)})"] if smaller else [otherwise]

    def comparable(self, same_task: bool, task: str = "this run's task", differences: Sequence[str] = ()) -> str:
        """The "comparable?" cell of a summary table: a lecture number compares with this run's only on
        the same task and measurement; `differences` name what else differs (smaller setting, other images)."""
        if self.value is None:
            return "no number to compare"
        if not same_task:
            return f"no: {task} is another task"
        extra = "; ".join(differences)
        if self.caveat:
            return f"no: {self.caveat}" + (f"; {extra}" if extra else "")
        return "same task" + (f", but {extra}" if extra else " and setting")

    def agrees(self, run_value: Any) -> bool:
        """For an exact entry: does this run's value equal the lecture's?"""
        try:
            ours, theirs = _numbers(run_value), self.numbers
        except (TypeError, ValueError):
            return False
        return len(ours) == len(theirs) and all(math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
                                                for a, b in zip(ours, theirs))


@dataclass(frozen=True)
class Lecture:
    """The lecture's values for one notebook."""

    number: str                          # "05"
    notebook: str                        # "05_bottleneck_features"
    task: Task | None                    # None: no data set (01's arithmetic)
    entries: tuple[Entry, ...]
    source: Path

    def __getitem__(self, entry_id: str) -> Entry:
        if (entry := next((e for e in self.entries if e.id == entry_id), None)) is None:
            raise KeyError(f"{self.source}: notebook {self.number} has no entry {entry_id!r} "
                           f"(it has {', '.join(e.id for e in self.entries)})")
        return entry

    def __iter__(self):
        return iter(self.entries)

    def beside(self, tested: dict, same_task: bool, task: str, images: int, epochs_of, otherwise: str):
        """02's summary: each model's test accuracy (one run or several seeds) next to the lecture's entry
        of the same name, with its "comparable?" decision. Returns (DataFrame, {name: comparable?})."""
        import pandas as pd

        rows, comparable = [], {}
        for name, value in tested.items():
            said, epochs = self[name], epochs_of(name)
            comparable[name] = said.comparable(same_task, task, said.smaller_setting(images, epochs, otherwise))
            rows.append({"model": name, "this run: test accuracy": run_text(value),
                         "this run: setting": f"{images:,} images, best of {epochs} epochs on validation",
                         "lecture": said.text, "lecture: setting": said.setting, "comparable?": comparable[name]})
        return pd.DataFrame(rows).set_index("model"), comparable

    def record(self, task: str, same_task: bool, comparable: dict[str, str], **values: Any) -> None:
        """Record this run's task and the summary's "comparable?" decisions (and any `values` the
        notebook records nowhere else) for the results report; nothing is shown."""
        from .record import record

        if unknown := sorted(set(comparable) - {e.id for e in self.entries}):
            raise KeyError(f"{self.source}: notebook {self.number} has no entries {unknown}")
        record(RECORD, {"notebook": self.number, "task": task, "same_task": bool(same_task),
                        "comparable": dict(comparable), **values})


# ---------------------------------------------------------------- reading and checking the file

def _numbers(value: Any) -> list[float]:
    if value is None:
        return []
    if isinstance(value, bool):
        raise TypeError("a truth value is not a number")
    if isinstance(value, (int, float)):
        return [float(value)]
    if isinstance(value, dict):
        return [float(value["from"]), float(value["to"])]
    if isinstance(value, (list, tuple)):
        return [n for item in value for n in _numbers(item)]
    raise TypeError(f"{value!r} is not a number")


def _spellings(number: float) -> set[str]:
    """Ways a number may be written in the lecture's text (0.9 in "about 0.90", 18496 in "18,496")."""
    found = {f"{number:g}", repr(number)}
    if number == int(number):
        found |= {f"{int(number)}", f"{int(number):,}"}
    return found


def _problems(number: str, nb: dict) -> list[str]:
    """What the schema cannot check: names, chance, ranges, exact entries, ids, and that each text states its value."""
    found = [] if nb["notebook"].startswith(number + "_") else [f"notebook: the notebook's name, starting {number}_"]
    task = nb["task"]
    if task and not math.isclose(task["chance"], 1 / task["classes"], rel_tol=1e-6):
        found.append(f"task: chance {task['chance']} is not 1/classes for {task['classes']} classes")
    ids = [entry["id"] for entry in nb["entries"]]
    found += [f"entries: id {i!r} appears twice" for i in sorted({i for i in ids if ids.count(i) > 1})]
    for i, entry in enumerate(nb["entries"]):
        value, where = entry["value"], f"entries[{i}]"
        if isinstance(value, dict) and value["from"] > value["to"]:
            found.append(f"{where}.value: the range runs from {value['from']} down to {value['to']}")
        if entry.get("exact") and (value is None or isinstance(value, dict)):
            found.append(f"{where}.exact: an exact entry needs one value (a number or a list), not a range or null")
        if missing := [n for n in _numbers(value) if not any(s in entry["text"] for s in _spellings(n))]:
            found.append(f"{where}.text: {entry['text']!r} does not state the value {missing[0]:g}")
    return found


def load(path: str | Path | None = None) -> dict[str, Lecture]:
    """Every notebook's lecture values, checked against data/lecture_values.schema.json and `_problems`:
    {"01": Lecture, ...}. A mistake raises LectureValuesError naming the file and the key at fault."""
    import jsonschema

    source = Path(path) if path is not None else DEFAULT_PATH
    try:
        raw = json.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LectureValuesError(f"{source}: the lecture values file is missing") from None
    except json.JSONDecodeError as exc:
        raise LectureValuesError(f"{source}: not valid JSON ({exc})") from None
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(raw))
    if error is not None:
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")
        raise LectureValuesError(f"{source}: {where or 'top level'}: {error.message}")
    lectures = {}
    for number, nb in raw["notebooks"].items():
        if problems := _problems(number, nb):
            raise LectureValuesError(f"{source}: notebooks.{number}." + f"\n  notebooks.{number}.".join(problems))
        entries = tuple(Entry(**{**e, "caveat": e.get("caveat") or ""}) for e in nb["entries"])
        lectures[number] = Lecture(number, nb["notebook"], Task(**nb["task"]) if nb["task"] else None, entries, source)
    return lectures


def lecture_values(notebook: str, path: str | Path | None = None) -> Lecture:
    """The lecture's values for one notebook: lecture_values("05") or lecture_values("05_bottleneck_features")."""
    lectures = load(path)
    number = str(notebook)[:2]
    if number not in lectures:
        raise KeyError(f"{path or DEFAULT_PATH}: no lecture values for notebook {notebook!r}")
    return lectures[number]


# ---------------------------------------------------------------- this run's values, found and written

def lookup(records: dict, dotted: str) -> Any:
    """The value at "results.test_accuracy.bottleneck" in a notebook's records, or MISSING."""
    value: Any = records
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return MISSING
        value = value[part]
    return value


def _exact_text(value: Any, top: bool = True) -> str:
    """A shape as 100x100x10 (only at the top level); a number, or a matrix as [[-10, 45], [-60, 25]]."""
    if not isinstance(value, (list, tuple)):
        return f"{int(value):,}" if float(value) == int(value) else f"{value:g}"
    if top and len(value) > 1 and all(not isinstance(v, (list, tuple)) and float(v) == int(v) for v in value):
        return "x".join(str(int(v)) for v in value)
    return "[" + ", ".join(_exact_text(v, top=False) for v in value) + "]"


def run_text(value: Any, exact: bool = False) -> str:
    """This run's value as the summary tables and the report write it: scores over seeds as
    "mean ± sd (n seeds)", one score as "0.958 (1 run)", counts with thousands separators, and
    (`exact=True`) shapes as 100x100x10 and matrices as [[-10, 45], [-60, 25]]."""
    from .record import _plain
    from .stats import spread

    value = _plain(value)
    if value is None or value is MISSING:
        return "not recorded"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    if exact:
        return _exact_text(value)
    if isinstance(value, list):
        return str(spread(value))
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.3f} (1 run)"
