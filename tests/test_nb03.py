"""Notebook 03 (dropout, batch normalization, improving a model): the default run, recorded and compared."""
import math

import papermill
import pytest

from notebook_runs import run_parameter_check, checked_cell_count, checked_cell_differences, records, stored

pytestmark = [pytest.mark.notebook, pytest.mark.xdist_group("nb03")]
STEM = "03_improving_models"
DEFAULTS = dict(N_TRAIN=2000, WIDTHS=[32, 128], ACTIVATIONS=["elu", "selu", "leaky_relu"], OPTIMIZERS=["SGD", "Adam"],
                LEARNING_RATES=[1e-3, 1e-2, 1e-1, 1.0], BATCH_SIZES=[16, 128, 1024])


def test_checked_cells_match_the_stored_outputs(executed):
    assert checked_cell_count(stored(STEM)) >= 15
    assert checked_cell_differences(stored(STEM), executed(STEM)) == []


def test_results_at_defaults(executed):
    rec = records(executed(STEM))
    by_model = {row["model"]: row for row in rec["results"]}
    # parameter counts: the lecture's dense net, cnn_small_bn and its variants
    assert by_model["dense_plain"]["parameters"] == by_model["dense_dropout"]["parameters"] == 1_863_690
    assert by_model["cnn_small"]["parameters"] == 14_178
    assert by_model["cnn_small_bn"]["parameters"] == 14_242
    assert by_model["cnn_64"]["parameters"] == 140_682
    assert by_model["cnn_64_bn"]["parameters"] == 141_194
    assert by_model["cnn_small_stride2"]["parameters"] == 19_810
    assert rec["stride"]["cnn_64_stride2_params"] == 185_738

    # overfitting: dropout narrows the gap between training and validation loss (both from evaluate)
    plain, dropout = rec["overfitting"]["plain"], rec["overfitting"]["dropout"]
    assert dropout["loss gap"] < plain["loss gap"]
    assert plain["val accuracy"] > 0.6 and dropout["val accuracy"] > 0.6

    # the dropout net with all units on predicts at least as well as one random sub-network on average
    ensemble = rec["dropout_ensemble"]
    assert ensemble["full_net_accuracy"] > 0.6
    assert ensemble["member_accuracy"] <= ensemble["full_net_accuracy"] + 0.02

    # learning-rate sweep: Adam at the largest rate diverges, ending worst and near chance
    sweep = rec["lr_sweep"]
    assert sweep["learning_rates"] == DEFAULTS["LEARNING_RATES"] and set(sweep) == {"learning_rates", "SGD", "Adam"}
    assert sweep["Adam"][-1] == min(sweep["Adam"]) and sweep["Adam"][-1] < 0.3 and sweep["Adam"][0] > 0.5

    # batch size: the optimizer made ceil(N / batch) updates per epoch
    batch = rec["batch_size"]
    assert batch["batch_sizes"] == DEFAULTS["BATCH_SIZES"]
    assert batch["updates_per_epoch"] == [math.ceil(DEFAULTS["N_TRAIN"] / b) for b in DEFAULTS["BATCH_SIZES"]]

    # the 64-filter CNNs learn: well above chance (10 %)
    assert rec["batch_norm"]["cnn_64"]["val_accuracy"][-1] > 0.4
    assert rec["batch_norm"]["cnn_64_bn"]["val_accuracy"][-1] > 0.4
    assert set(rec["activations"]) == {"relu", *DEFAULTS["ACTIVATIONS"]}

    # every experiment is in the results table: 2 dense + widths + 2 penalties + 4 BN + stride
    # + activations + optimizers x rates + batch sizes
    expected = (2 + len(DEFAULTS["WIDTHS"]) + 2 + 4 + 1 + len(DEFAULTS["ACTIVATIONS"])
                + len(DEFAULTS["OPTIMIZERS"]) * len(DEFAULTS["LEARNING_RATES"]) + len(DEFAULTS["BATCH_SIZES"]))
    assert len(rec["results"]) == expected


@pytest.mark.parametrize("params, named", [({"EPOCH": 1}, "EPOCH"), ({"N_TRAIN": 0}, "N_TRAIN"),
                                           ({"DROPOUT_RATE": 1.0}, "DROPOUT_RATE"),
                                           ({"LEARNING_RATES": [0.1, -1.0]}, "LEARNING_RATES")])
def test_bad_parameters_fail_clearly_before_any_training(params, named):
    with pytest.raises(ValueError, match=named):
        run_parameter_check(STEM, **params)
