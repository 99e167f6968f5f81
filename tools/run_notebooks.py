"""Run the notebooks headlessly with papermill and print a summary table.

    python -m tools.run_notebooks                 # every notebook, defaults, into build/
    python -m tools.run_notebooks 02 -p EPOCHS=1  # one notebook, with a parameter
    python -m tools.run_notebooks --store 01      # refresh the committed outputs in notebooks/

`--store` writes the executed notebook back over notebooks/NN_*.ipynb, and only if that file is
unchanged since the run started (so an edit saved meanwhile in Jupyter is never lost); without it
nothing under notebooks/ is ever written.

Each notebook runs in a process of its own, so that its peak memory (the largest resident memory of
its kernel) is measured for it alone. After the runs, <out>/report.md (build/report.md) gives each
notebook's status, wall time and peak memory, the machine, and this run's numbers next to the
lectures' (tools/report.py); `--store` also keeps the time and memory in the stored notebook's
metadata, for the report page of `make site`.
"""
from __future__ import annotations

import argparse
import ast
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from pathlib import Path

from helpers.record import read_records
from helpers.repro import record_time
from tools import NOTEBOOKS, ROOT, lessons, report

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


def _papermill(path: Path, out: Path, params: dict) -> tuple[str, float]:
    import papermill as pm

    start = time.perf_counter()
    try:
        pm.execute_notebook(str(path), str(out), parameters=params or None, kernel_name="python3",
                            cwd=str(NOTEBOOKS), progress_bar=False, log_output=False)
        status = "ok"
    except Exception as exc:  # PapermillExecutionError keeps the partial output notebook
        status = f"FAILED: {getattr(exc, 'ename', type(exc).__name__)}: {getattr(exc, 'evalue', exc)}"[:120]
    return status, time.perf_counter() - start


def _papermill_measured(path: Path, out: Path, params: dict) -> tuple[str, float, float | None]:
    """Run in a fresh process: papermill starts the kernel as this process's only child, so once the
    kernel has exited, RUSAGE_CHILDREN's ru_maxrss is that kernel's peak resident memory."""
    status, seconds = _papermill(path, out, params)
    try:
        import resource
    except ImportError:                  # Windows: not measured
        return status, seconds, None
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return status, seconds, (peak / 2**20 if sys.platform == "darwin" else peak / 2**10)   # bytes / KiB -> MB


def execute(path: Path, out_dir: Path, params: dict, store: bool, measure: bool = True) -> report.NotebookRun:
    """Execute one notebook into out_dir (in a process of its own when `measure`, to measure its peak
    memory) and, with `store`, write it back over `path` if that file did not change meanwhile.
    The run's `notebook` is the executed file (None: papermill wrote none)."""
    import nbformat

    before = path.read_bytes()
    out = out_dir / path.name
    if measure:
        start = time.perf_counter()
        try:
            with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as child:
                status, seconds, peak_mb = child.submit(_papermill_measured, path, out, params).result()
        except BrokenProcessPool:        # killed (out of memory?) before it could report
            status, seconds, peak_mb = "FAILED: the process running it died", time.perf_counter() - start, None
    else:
        (status, seconds), peak_mb = _papermill(path, out, params), None
    if store and status == "ok":
        if params:
            status = "ran, not stored (stored notebooks use default parameters)"
        elif path.read_bytes() != before:
            status = f"ran, not stored: {path.name} changed during the run (your edit is kept)"
        else:
            nb = nbformat.read(out, as_version=4)
            clean_for_commit(nb)
            nb.metadata.setdefault(report.METADATA_KEY, {})["run"] = {
                "seconds": round(seconds, 1), "peak_memory_mb": None if peak_mb is None else round(peak_mb)}
            nbformat.write(nb, path)
            status = "ok, stored"
    return report.NotebookRun(path.stem, status, seconds, peak_mb, out if out.exists() else None)


def flatten(records: dict, prefix: str = "") -> dict:
    """{"results": {"cnn": {"accuracy": 0.9}}} -> {"results.cnn.accuracy": 0.9}."""
    flat = {}
    for key, value in records.items():
        flat.update(flatten(value, f"{prefix}{key}.") if isinstance(value, dict) else {f"{prefix}{key}": value})
    return flat


def short(records: dict, limit: int = 4) -> str:
    """The key numbers: accuracies first, then parameter counts, then other scalars."""
    records = {k: v for k, v in records.items() if k not in ("machine", report.lectures.RECORD)
               and not k.startswith("check: ")}        # not results (and no exercise's answer)
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
    os.environ.setdefault("CNN_COURSE_NO_PROGRESS", "1")    # executed and stored notebooks hold no progress bars

    paths = every = lessons(NOTEBOOKS)
    if args.which:
        paths = [p for p in every if any(p.name.startswith(w) or p.stem == w for w in args.which)]
        if not paths:
            ap.error(f"no notebook matches {args.which}")
    out_dir = Path(args.out)
    if out_dir.resolve() == NOTEBOOKS.resolve():
        ap.error("--out must not be notebooks/: use --store to refresh committed outputs")
    out_dir.mkdir(parents=True, exist_ok=True)
    params = parse_params(args.param)

    runs: dict[str, report.NotebookRun] = {}
    for path in paths:
        print(f"running {path.name} ...", flush=True)
        runs[path.stem] = execute(path, out_dir, params, args.store)
    width = max(map(len, runs))
    print(f"\n{'notebook':{width}}  {'status':10}  {'time':>7}  {'memory':>8}  key results")
    for name, run in runs.items():
        records = read_records(run.notebook) if run.notebook is not None else {}
        print(f"{name:{width}}  {run.status:10}  {run.seconds:6.1f}s  {report.memory_text(run.peak_mb):>8}  {short(records)}")
    command = "python -m tools.run_notebooks " + " ".join(argv if argv is not None else sys.argv[1:])
    described = (f"`{command.strip()}` on {datetime.now():%Y-%m-%d %H:%M}: "
                 + ("every notebook at its default parameters" if not params else f"parameters {params}")
                 + f", executed into `{out_dir}`.")
    report_path = out_dir / "report.md"
    report_path.write_text(report.build_report(list(runs.values()), described), encoding="utf-8")
    total = sum(run.seconds for run in runs.values())
    failed = any(not run.status.startswith("ok") for run in runs.values())
    print(f"\nTotal {total:.0f} s; executed notebooks are in {out_dir}; report: {report_path}")
    if not params and len(paths) == len(every):    # the whole course, as `make run`
        record_time("make outputs" if args.store else "make run", total,
                    notebooks={name: round(run.seconds, 1) for name, run in runs.items()}, all_ok=not failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
