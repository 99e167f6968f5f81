"""Notebook 04 (the improving-a-model lab): the default run, recorded and compared, and a small run with
other seeds; every table is mean ± sd over the seeds, choices are made on validation, the test set once."""
import math

import pytest

from helpers.data import fashion_mnist_available

from notebook_runs import (assert_no_leaks, assert_solutions_pass, checked_cell_count, checked_cell_differences,
                           outputs_text, records, run_parameter_check, stored)

pytestmark = [pytest.mark.notebook, pytest.mark.xdist_group("nb04")]
STEM = "04_improving_models"
DEFAULTS = dict(N_TRAIN=1500, EPOCHS=6, BATCH_SIZE=64, SEEDS=[42, 43, 44], WIDTHS=[32, 128, 512], DEPTHS=[1, 2, 3],
                ACTIVATIONS=["relu", "elu", "selu"], OPTIMIZERS=["SGD", "Adam"], LEARNING_RATES=[1e-3, 1e-2, 1e-1],
                BATCH_SIZES=[16, 64, 256])
SMALL = dict(DATASET="fashion_mnist" if fashion_mnist_available() else "mnist", SEED=7, SEEDS=[7, 8], N_TRAIN=300, N_VAL=150, N_TEST=200, EPOCHS=2, WIDTHS=[16], DEPTHS=[1, 2],
             ACTIVATIONS=["selu"], OPTIMIZERS=["Adam"], LEARNING_RATES=[1e-2], BATCH_SIZES=[32, 64])
EXPERIMENTS = ["width", "depth", "penalty", "strong penalty", "downsampling", "activation", "optimizer", "batch size"]


def assert_lab(rec: dict, nb, params: dict) -> None:
    assert_no_leaks(rec, at_least=1)
    lab = rec["lab"]["results"]
    assert list(lab) == EXPERIMENTS
    for name, found in lab.items():
        for scores in found["val"].values():
            assert len(scores) == len(params["SEEDS"]), name           # every variant once per seed
        means = {label: sum(v) / len(v) for label, v in found["val"].items()}
        assert found["chosen"] == max(means, key=means.get), name    # chosen on validation
        assert len(found["test"]) == len(params["SEEDS"])            # the test set: the chosen variant only
        assert all("±" in row["validation accuracy"] for row in found["table"]) == (len(params["SEEDS"]) > 1)
    text = outputs_text(nb)
    assert "is ahead of" not in text and "no winner" not in text      # a lab of tables, no verdicts
    assert len(lab["width"]["val"]) == len(params["WIDTHS"]) and len(lab["depth"]["val"]) == len(params["DEPTHS"])
    assert_solutions_pass(nb, at_least=1)


def test_checked_cells_match_the_stored_outputs(executed):
    assert checked_cell_count(stored(STEM)) >= 4
    assert checked_cell_differences(stored(STEM), executed(STEM)) == []


def test_results_at_defaults(executed):
    nb = executed(STEM)
    rec = records(nb)
    assert_lab(rec, nb, DEFAULTS)
    lab = rec["lab"]["results"]
    batch = {row["batch size"]: row for row in lab["batch size"]["table"]}
    # equal numbers of updates: epochs scaled with the batch size
    for b in DEFAULTS["BATCH_SIZES"]:
        row = batch[f"batch {b}"]
        assert row["updates per epoch"] == math.ceil(DEFAULTS["N_TRAIN"] / b)
        assert row["epochs"] == max(1, round(DEFAULTS["EPOCHS"] * b / DEFAULTS["BATCH_SIZE"]))
    depth = {row["depth"]: row["parameters"] for row in lab["depth"]["table"]}
    assert list(depth.values()) == [101_770, 118_282, 134_794]


def test_other_seeds_and_sizes(run_notebook):
    rec, nb = run_notebook(STEM, **SMALL)
    assert_lab(rec, nb, SMALL)


@pytest.mark.parametrize("params, named", [({"EPOCH": 1}, "EPOCH"), ({"WIDTHS": [0]}, "WIDTHS"),
                                           ({"LEARNING_RATES": [0.1, -1.0]}, "LEARNING_RATES"),
                                           ({"BATCH_SIZES": [0]}, "BATCH_SIZES"), ({"SEEDS": [1, 1]}, "SEEDS")])
def test_bad_parameters_fail_clearly_before_any_training(params, named):
    with pytest.raises(ValueError, match=named):
        run_parameter_check(STEM, **params)
