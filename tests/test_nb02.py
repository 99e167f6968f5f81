"""Notebook 02 (Keras basics, dense vs CNNs): the default run, and a small run on Fashion-MNIST."""
import math

import papermill
import pytest

from helpers.data import fashion_mnist_available, load_mnist
from notebook_runs import run_parameter_check, checked_cell_count, checked_cell_differences, records, stored

pytestmark = [pytest.mark.notebook, pytest.mark.xdist_group("nb02")]
STEM = "02_keras_mnist"
PARAMS = {"dense 784-32-10": 25_450, "tiny CNN": 61_482, "second CNN": 166_986, "LeNet-5 style": 61_706}
SMALL = dict(N_TRAIN=1000, N_TEST=500, EPOCHS=2, BATCH_SIZE=32, FILTER_EPOCHS=2,
             GRID_EPOCHS=[1], GRID_HIDDEN=[32], GRID_CV=2)


def test_checked_cells_match_the_stored_outputs(executed):
    assert checked_cell_count(stored(STEM)) >= 15
    assert checked_cell_differences(stored(STEM), executed(STEM)) == []


def test_results_at_defaults(executed):
    rec = records(executed(STEM))
    offline = load_mnist()                                  # what the notebook's loader finds on this machine
    assert rec["data"]["name"] == offline.name and rec["data"]["n_train"] == len(offline.x_train)
    assert rec["data"]["n_test"] == len(offline.x_test)
    results = rec["results"]
    assert {name: row["parameters"] for name, row in results.items()} == PARAMS   # the lecture's counts
    assert rec["small_cnn"]["conv1_shape"] == [3, 3, 1, 8] and rec["small_cnn"]["conv2_shape"] == [3, 3, 8, 8]
    assert rec["labels"]["demo_steps_per_epoch"] == math.ceil(min(1000, len(offline.x_train)) / 100)
    # one-hot and sparse labels give the same training from the same start
    assert rec["labels"]["loss_gap"] < 1e-4 and rec["labels"]["weight_gap"] < 1e-4
    # well above chance (0.1), and the CNN ahead of the dense net
    for name, row in results.items():
        assert row["test accuracy"] > 0.4, name
        assert row["s per epoch"] > 0
    assert results["second CNN"]["test accuracy"] > results["dense 784-32-10"]["test accuracy"]
    assert rec["small_cnn"]["test_accuracy"] > 0.4
    # the grid search ran over the notebook's grid, with folds that see every class
    assert set(rec["grid"]["best_params"]) == {"epochs", "model__hidden_size"}
    assert rec["grid"]["best_params"]["epochs"] in [1, 3] and rec["grid"]["best_params"]["model__hidden_size"] in [32, 256]
    assert rec["grid"]["best_score"] > 0.25


@pytest.mark.skipif(not fashion_mnist_available(),
                    reason="Fashion-MNIST not available offline (Debian's dataset-fashion-mnist or make data)")
def test_small_run_fashion_mnist(run_notebook):
    rec, nb = run_notebook(STEM, DATASET="fashion_mnist", **SMALL)
    assert rec["data"]["name"] == "Fashion-MNIST" and rec["data"]["n_train"] == 1000
    assert rec["data"]["class_names"][0] == "T-shirt/top" and "Ankle boot" in rec["data"]["class_names"]
    assert rec["results"]["second CNN"]["parameters"] == 166_986
    for name in ["dense 784-32-10", "second CNN"]:
        assert rec["results"][name]["test accuracy"] > 0.4, name
    assert rec["grid"]["best_params"] == {"epochs": 1, "model__hidden_size": 32}
    assert rec["grid"]["best_score"] > 0.25


@pytest.mark.parametrize("params, named", [({"EPOCH": 1}, "Unknown parameter"), ({"N_TRAIN": -5}, "N_TRAIN"),
                                           ({"GRID_CV": 1}, "GRID_CV"), ({"VALIDATION_SPLIT": 0}, "VALIDATION_SPLIT")])
def test_bad_parameters_fail_clearly_before_any_training(params, named):
    with pytest.raises(ValueError, match=named):
        run_parameter_check(STEM, **params)


def test_good_parameters_pass_the_same_check():
    run_parameter_check(STEM, EPOCHS=3, N_TRAIN=None, DATASET="fashion_mnist", VALIDATION_SPLIT=0.2)
