"""`make student`: the student edition — notebooks/NN_*.ipynb without solution cells and without outputs.

    python -m tools.make_student                  # writes build/student/NN_*.ipynb
    python -m tools.make_student --out handout    # another folder (never notebooks/ or py/)

What a student copy is: the committed notebook with every cell tagged `solution` removed, every output
and execution count cleared, and the notebook's jupytext pairing dropped (so saving it in JupyterLab
never writes a py/ twin anywhere). Nothing is written outside the output folder.

A student's edits are never overwritten. The folder's manifest, `.generated.json`, records the SHA-256
of each copy as it was generated. On the next run, a copy whose current hash is still the recorded one
is refreshed; a copy that was edited since (or that the manifest does not know) is left exactly as it
is, the other copies are still refreshed, and the tool exits with status 1 and a message naming each
file it kept. To get a fresh copy of such a notebook, rename or delete the edited file and run again.
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ClearOutputPreprocessor, TagRemovePreprocessor

from tools import NOTEBOOKS, ROOT, lessons

DEFAULT_OUT = ROOT / "build" / "student"
MANIFEST = ".generated.json"
SOLUTION_TAG = "solution"


def student_copy(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The student edition of one notebook (a new object; `nb` is not changed)."""
    nb = TagRemovePreprocessor(remove_cell_tags={SOLUTION_TAG}).preprocess(copy.deepcopy(nb), {})[0]
    # outputs and execution counts cleared, and the code cells' "execution" metadata (JupyterLab's timings)
    nb = ClearOutputPreprocessor(remove_metadata_fields={"execution"}).preprocess(nb, {})[0]
    nb.metadata.pop("jupytext", None)
    nb.metadata.pop("papermill", None)
    return nb


def render(nb: nbformat.NotebookNode) -> bytes:
    """The exact bytes written for a notebook (deterministic, so unchanged sources give unchanged files)."""
    return (nbformat.writes(nb, version=4).removesuffix("\n") + "\n").encode("utf-8")


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")          # a reader never sees a half-written file
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@dataclass
class Result:
    written: list[Path] = field(default_factory=list)      # created or refreshed
    unchanged: list[Path] = field(default_factory=list)    # already equal to the new edition
    kept: list[Path] = field(default_factory=list)         # edited since generated: left alone

    @property
    def ok(self) -> bool:
        return not self.kept

    def message(self) -> str:
        return "\n".join([f"student edition: {len(self.written)} written, {len(self.unchanged)} unchanged"]
                         + [f"NOT overwritten: {path} was edited after it was generated; your edit is kept. "
                            f"To get a fresh copy, rename or delete {path.name} and run `make student` again."
                            for path in self.kept])


def _check_out(out: Path, source: Path) -> None:
    out, source = out.resolve(), source.resolve()
    inside = any(out.is_relative_to(folder) for folder in (source, NOTEBOOKS.resolve(), (ROOT / "py").resolve()))
    if inside or out == ROOT.resolve() or source.is_relative_to(out):
        raise SystemExit(f"refusing to write the student edition into {out}: choose a folder of its own "
                         f"(default {DEFAULT_OUT.relative_to(ROOT)})")


def make_student(out: Path = DEFAULT_OUT, source: Path = NOTEBOOKS) -> Result:
    """Write the student edition of source/NN_*.ipynb into `out`; never overwrite an edited copy."""
    out, source = Path(out), Path(source)
    _check_out(out, source)
    out.mkdir(parents=True, exist_ok=True)
    manifest_path = out / MANIFEST
    try:
        recorded = json.loads(manifest_path.read_text())
    except (FileNotFoundError, ValueError):
        recorded = {}
    result, manifest = Result(), dict(recorded)
    for src in lessons(source):
        data = render(student_copy(nbformat.read(src, as_version=4)))
        new_hash, target = hashlib.sha256(data).hexdigest(), out / src.name
        current = hashlib.sha256(target.read_bytes()).hexdigest() if target.exists() else None
        if current is not None and current not in (new_hash, recorded.get(src.name)):   # edited, or not made here
            result.kept.append(target)
            continue
        if current != new_hash:
            _write_atomically(target, data)
        manifest[src.name] = new_hash
        (result.unchanged if current == new_hash else result.written).append(target)
    _write_atomically(manifest_path, (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode())
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="folder for the student copies (default: build/student)")
    parser.add_argument("--source", type=Path, default=NOTEBOOKS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    result = make_student(args.out, args.source)
    print(result.message(), file=sys.stdout if result.ok else sys.stderr)
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
