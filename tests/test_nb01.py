"""Notebook 01: run once at its defaults (stored outputs compared, records asserted), plus one switch."""
import re
import shutil

import papermill
import pytest

from notebook_runs import (NOTEBOOKS, assert_solutions_pass, checked_cell_count, checked_cell_differences, outputs_text,
                           records, run_parameter_check, stored)

pytestmark = [pytest.mark.notebook, pytest.mark.xdist_group("nb01")]
STEM = "01_convolution_arithmetic"


def test_checked_cells_match_the_stored_outputs(executed):
    assert checked_cell_count(stored(STEM)) >= 20
    assert checked_cell_differences(stored(STEM), executed(STEM)) == []


def test_the_lecture_numbers_at_defaults(executed):
    nb = executed(STEM)
    rec = records(nb)["results"]
    assert rec["worked_example"] == [[-10, 45], [-60, 25]]
    assert rec["padded_shape"] == [106, 106]
    assert rec["example_output_shape"] == [100, 100, 10]
    assert rec["example_params"] == 10 * (5 * 5 * 3 + 1)
    assert rec["chain_features"] == 17 * 17 * 64
    assert rec["famous"]["VGG16"]["parameters"] == 138_357_544
    assert rec["famous"]["VGG16 without top"]["parameters"] == 14_714_688
    # no typed result in the prose: the VGG16 split of parameters is printed from the built networks
    prose = "".join(c.source for c in nb.cells if c.cell_type == "markdown" and not c.source.startswith("## Summary"))
    assert "138,357,544" not in prose and "14,714,688" not in prose and "exactly what" not in prose
    outputs = outputs_text(nb)
    assert "VGG16: 138,357,544 parameters; 14,714,688 in the convolutional base" in outputs


def test_stacked_linear_layers_collapse_and_a_relu_stops_it():
    """Section 8, read from the stored notebook: two Dense layers without activation are one Dense layer."""
    rec = records(stored(STEM))["linear_collapse"]
    assert rec["linear_allclose"] is True                   # the layer with W1·W2, b1·W2 + b2 gives the same outputs
    assert rec["linear_max_difference"] < 1e-4              # float32 rounding only
    assert rec["linear_best_fit_error"] < 1e-4              # least squares finds that single map
    assert rec["relu_allclose"] is False                    # with a ReLU between them the collapse is gone
    assert rec["relu_max_difference"] > 0.1
    assert rec["relu_best_fit_error"] > 0.1                 # and no single linear map fits the ReLU network


def test_a_copy_runs_from_another_folder_with_the_switch_off(tmp_path, monkeypatch):
    """The installed `helpers` package is found from anywhere: a copy of the notebook, run elsewhere."""
    from notebook_runs import execute
    copy = tmp_path / "elsewhere"
    copy.mkdir()
    shutil.copy(NOTEBOOKS / f"{STEM}.ipynb", copy / f"{STEM}.ipynb")
    monkeypatch.setattr("notebook_runs.NOTEBOOKS", copy)
    nb = execute(STEM, tmp_path, tmp_path, FAMOUS_MODELS=False, PHOTO_SIZE=64, SIGMA=1.0)
    rec = records(nb)["results"]
    assert rec["famous"] == {}                               # the parameter really switched the section off
    outputs = outputs_text(nb)
    height, width = map(int, re.search(r"greyscale (\d+)x(\d+)", outputs).groups())
    assert min(height, width) == 64                          # the photograph was resized as asked
    # with another size and sigma, every exercise's solution still passes its own check
    assert_solutions_pass(nb)
    # the predict-run-explain exercise printed the outcome it checks against, measured in this run
    assert re.search(r"sigma=1 -> [\d.]+, sigma=2 -> [\d.]+: (larger|smaller|about the same)", outputs)


@pytest.mark.parametrize("params, named", [({"SIGMAA": 3.0}, "SIGMAA"), ({"PHOTO_SIZE": -5}, "PHOTO_SIZE"),
                                           ({"SIGMA": 0}, "SIGMA")])
def test_bad_parameters_are_named(params, named):
    with pytest.raises(ValueError, match=named):
        run_parameter_check(STEM, **params)    # in the set-up cell, before any work


def test_a_misspelt_parameter_stops_the_real_kernel_in_the_set_up_cell(run_notebook):
    """End to end: papermill's injected cell, a real kernel, the error in the set-up cell."""
    with pytest.raises(papermill.PapermillExecutionError) as info:
        run_notebook(STEM, SIGMAA=3.0)
    assert "SIGMAA" in info.value.evalue and "SIGMA" in info.value.evalue
    assert info.value.cell_index == 4          # title, Colab, parameters, injected parameters, set-up
