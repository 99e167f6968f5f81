"""Run the notebooks headlessly with papermill and print a summary table.

    python tools/run_notebooks.py                 # every notebook, defaults, into build/
    python tools/run_notebooks.py 02 -p EPOCHS=1  # one notebook, with a parameter
    python tools/run_notebooks.py --store 01      # refresh the committed outputs in notebooks/

`--store` writes the executed notebook back over notebooks/NN_*.ipynb, and only if that file is
unchanged since the run started (so an edit saved meanwhile in Jupyter is never lost); without it
nothing under notebooks/ is ever written.
"""
from __future__ import annotations

import argparse
import ast
import hashlib
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
from helpers.record import read_records

NOTEBOOKS = ROOT / "notebooks"
BUILD = ROOT / "build"


def clean_for_commit(nb) -> None:
    """Drop papermill's run metadata (timestamps, durations) so stored notebooks diff cleanly."""
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if "tags" in cell.metadata and not cell.metadata["tags"]:
            cell.metadata.pop("tags")


def parse_params(items: list[str]) -> dict:
    """NAME=VALUE pairs; VALUE is a Python literal when it parses as one, else a string."""
    params = {}
    for item in items:
        name, _, raw = item.partition("=")
        try:
            params[name] = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            params[name] = raw
    return params


def run_one(path: Path, out_dir: Path, params: dict, store: bool) -> tuple[str, float, dict]:
    import nbformat
    import papermill as pm

    before = hashlib.sha256(path.read_bytes()).hexdigest()
    out = out_dir / path.name
    start = time.perf_counter()
    status = "ok"
    try:
        pm.execute_notebook(str(path), str(out), parameters=params or None, kernel_name="python3",
                            cwd=str(NOTEBOOKS), progress_bar=False, log_output=False)
    except Exception as exc:  # PapermillExecutionError keeps the partial output notebook
        status = f"FAILED: {getattr(exc, 'ename', type(exc).__name__)}: {getattr(exc, 'evalue', exc)}"[:120]
    seconds = time.perf_counter() - start
    records = read_records(out) if out.exists() else {}
    if store and status == "ok":
        if params:
            status = "ran, not stored (stored notebooks use default parameters)"
        elif hashlib.sha256(path.read_bytes()).hexdigest() != before:
            status = f"ran, not stored: {path.name} changed during the run (your edit is kept)"
        else:
            nb = nbformat.read(out, as_version=4)
            clean_for_commit(nb)
            nbformat.write(nb, path)
            status = "ok, stored"
    return status, seconds, records


def flatten(records: dict, prefix: str = "") -> dict:
    """{"results": {"cnn": {"accuracy": 0.9}}} -> {"results.cnn.accuracy": 0.9}."""
    flat = {}
    for key, value in records.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def short(records: dict, limit: int = 4) -> str:
    """The key numbers: accuracies first, then parameter counts, then other scalars."""
    records = {k.removeprefix("results."): v for k, v in flatten(records).items()}
    numbers = [(k, v) for k, v in records.items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    rank = lambda kv: 0 if kv[0].endswith("accuracy") else 1 if "param" in kv[0] else 2  # noqa: E731
    chosen = sorted(numbers, key=rank)[:limit]
    parts = [f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v:,}" for k, v in chosen]
    more = len(records) - len(chosen)
    return ", ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("which", nargs="*", help="notebook numbers or names (default: all)")
    ap.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--store", action="store_true", help="write outputs back into notebooks/")
    ap.add_argument("--out", default=str(BUILD), help="where executed notebooks go (default build/)")
    args = ap.parse_args(argv)

    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if args.which:
        paths = [p for p in paths if any(p.name.startswith(w) or p.stem == w for w in args.which)]
        if not paths:
            ap.error(f"no notebook matches {args.which}")
    out_dir = Path(args.out)
    if out_dir.resolve() == NOTEBOOKS.resolve():
        ap.error("--out must not be notebooks/: use --store to refresh committed outputs")
    out_dir.mkdir(parents=True, exist_ok=True)
    params = parse_params(args.param)

    rows, failed = [], 0
    for path in paths:
        print(f"running {path.name} ...", flush=True)
        status, seconds, records = run_one(path, out_dir, params, args.store)
        failed += not status.startswith("ok")
        rows.append((path.stem, status, seconds, short(records)))
    width = max(len(r[0]) for r in rows)
    print(f"\n{'notebook':{width}}  {'status':10}  {'time':>7}  key results")
    for name, status, seconds, recs in rows:
        print(f"{name:{width}}  {status:10}  {seconds:6.1f}s  {recs}")
    print(f"\nTotal {sum(r[2] for r in rows):.0f} s; executed notebooks are in {out_dir}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
