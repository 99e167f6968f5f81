"""Notebook 05 (fine-tuning): the default run after 04's, and a small run without 04's head."""
import pytest

from notebook_runs import checked_cell_count, checked_cell_differences, records, stored

pytestmark = [pytest.mark.notebook, pytest.mark.xdist_group("transfer")]
STEM = "05_fine_tuning"
HEAD = 1152 * 256 + 256 + 2570          # 04's head on the template's 3x3x128 features
BASE = 320 + 18_496 + 73_856            # template base: block1..block3 convolutions
BLOCK3 = 73_856


def test_checked_cells_match_the_stored_outputs(executed):
    assert checked_cell_count(stored(STEM)) >= 6
    assert checked_cell_differences(stored(STEM), executed(STEM)) == []


def check_freezing(rec):
    assert rec["trainable_before_freezing"] == BASE + HEAD
    assert rec["first_trainable_layer"] == 5
    assert rec["trainable_base_after_freezing"] == BLOCK3
    assert rec["trainable_after_freezing"] == rec["trainable_after_fine_tuning"] == BLOCK3 + HEAD
    assert rec["trainable_layers_after_fine_tuning"] == ["block3_conv1"]
    assert rec["frozen_weights_unchanged"] is True
    # the VGG16 lessons, built offline with weights=None
    assert rec["vgg16_block5_trainable"] == 7_079_424
    assert rec["lecture_freeze_trainable"] == 0


def test_results_at_defaults_reuse_the_head_04_saved(executed):
    rec = records(executed(STEM))["results"]
    assert rec["head_source"] == "trained in 04"
    check_freezing(rec)
    acc, moved, features = rec["val_accuracy"], rec["moved"], rec["features_after"]
    assert acc["before"] > 0.5 and acc["fine_tune"] > 0.5               # chance is 0.1
    assert acc["bad_lr"] < acc["fine_tune"] - 0.2                      # a far too large rate wrecks the model
    assert features["bad_lr"] < features["fine_tune"] - 0.2            # ... and the features themselves
    assert moved["bad_lr"] > 10 * moved["fine_tune"] > 0
    assert moved["lecture_lr"] < moved["fine_tune"]


def test_small_run_retrains_the_missing_head(run_notebook, text_of):
    rec, nb = run_notebook(STEM, N_TRAIN_PER_CLASS=10, EPOCHS=1, HEAD_EPOCHS=5)   # empty artifacts folder
    assert "No head from notebook 04" in text_of(nb)
    rec = rec["results"]
    assert rec["head_source"] == "trained here"
    check_freezing(rec)
