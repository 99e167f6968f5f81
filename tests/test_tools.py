"""tools/run_notebooks.py never overwrites an edited notebook and never writes into notebooks/ unasked."""
from pathlib import Path

import nbformat
import pytest

from tools import run_notebooks

ROOT = Path(__file__).resolve().parent.parent


def fake_notebook(path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    nbformat.write(nb, path)


def fake_execute(edit_during_run: bool):
    def execute(inp, out, **kwargs):
        nb = nbformat.read(inp, as_version=4)
        nb.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="ran\n")]
        nb.cells[0].execution_count = 1
        nb.metadata["papermill"] = {"duration": 1.0}
        nbformat.write(nb, out)
        if edit_during_run:                       # the student saves an edit while the run is going on
            edited = nbformat.read(inp, as_version=4)
            edited.cells[0].source = "x = 2  # my edit"
            nbformat.write(edited, inp)
    return execute


@pytest.mark.parametrize("edit", [False, True])
def test_store_only_when_unchanged(tmp_path, monkeypatch, edit):
    import papermill
    monkeypatch.setattr(papermill, "execute_notebook", fake_execute(edit))
    src = tmp_path / "01_demo.ipynb"
    fake_notebook(src)
    (tmp_path / "out").mkdir()
    status = run_notebooks.execute(src, tmp_path / "out", {}, store=True, measure=False).status
    stored = nbformat.read(src, as_version=4)
    if edit:
        assert "not stored" in status and "your edit is kept" in status
        assert stored.cells[0].source == "x = 2  # my edit" and not stored.cells[0].outputs
    else:
        assert status == "ok, stored"
        assert stored.cells[0].outputs[0].text == "ran\n" and "papermill" not in stored.metadata


def test_store_refuses_non_default_parameters(tmp_path, monkeypatch):
    import papermill
    monkeypatch.setattr(papermill, "execute_notebook", fake_execute(False))
    src = tmp_path / "01_demo.ipynb"
    fake_notebook(src)
    (tmp_path / "out").mkdir()
    status = run_notebooks.execute(src, tmp_path / "out", {"EPOCHS": 1}, store=True, measure=False).status
    assert "not stored" in status and not nbformat.read(src, as_version=4).cells[0].outputs


def test_out_dir_cannot_be_notebooks():
    with pytest.raises(SystemExit):
        run_notebooks.main(["--out", str(ROOT / "notebooks"), "01"])


def test_parse_params():
    assert run_notebooks.parse_params(["EPOCHS=3", "DATASET='fashion_mnist'", "NAME=abc", "X=None"]) == {
        "EPOCHS": 3, "DATASET": "fashion_mnist", "NAME": "abc", "X": None}


def test_summary_shows_accuracies_first():
    line = run_notebooks.short({"dataset": "MNIST", "cnn_params": 166986, "seconds": 3.0,
                                "cnn_test_accuracy": 0.95, "flag": True})
    assert line.startswith("cnn_test_accuracy=0.950, cnn_params=166,986, seconds=3.000")
    assert line.endswith("(+2 more)")
