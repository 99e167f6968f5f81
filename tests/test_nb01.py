"""Notebook 01 through papermill: the recorded arithmetic is right, bad parameters are named."""
import re

import papermill
import pytest

pytestmark = pytest.mark.notebook


def test_small_run_records_the_lecture_numbers(run_notebook):
    rec, nb = run_notebook("01_convolution_arithmetic", FAMOUS_MODELS=False, PHOTO_SIZE=64)
    assert rec["worked_example"] == [[-10, 45], [-60, 25]]
    assert rec["example_output_shape"] == [100, 100, 10]
    assert rec["example_params"] == 10 * (5 * 5 * 3 + 1)
    assert rec["chain_features"] == 17 * 17 * 64
    assert "vgg16_params" not in rec                    # the parameter really switched the section off
    outputs = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    height, width = map(int, re.search(r"greyscale (\d+)x(\d+)", outputs).groups())
    assert min(height, width) == 64                     # the photograph was resized as asked


def test_unknown_parameter_is_named(run_notebook):
    with pytest.raises(papermill.PapermillExecutionError) as info:
        run_notebook("01_convolution_arithmetic", SIGMAA=3.0)
    assert "SIGMAA" in info.value.evalue and "SIGMA" in info.value.evalue
