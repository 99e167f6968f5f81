"""Notebook 05 (fine-tuning), run with papermill at small parameters, without notebook 04's files."""
import pytest

pytestmark = pytest.mark.notebook

HEAD = 1152 * 256 + 256 + 2570          # 04's head on the template's 3x3x128 features
BASE = 320 + 18_496 + 73_856            # template base: block1..block3 convolutions
BLOCK3 = 73_856


def test_small_run_retrains_the_missing_head_and_freezes_as_intended(run_notebook, tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_COURSE_ARTIFACTS", str(tmp_path))      # empty: 04's head is missing
    rec, nb = run_notebook("05_fine_tuning", N_PER_CLASS=10, EPOCHS=2, HEAD_EPOCHS=10)
    text = "".join(out.get("text", "") for cell in nb.cells for out in cell.get("outputs", []))
    assert "No head from notebook 04" in text
    # counts before and after freezing, and what fine-tuning left trainable
    assert rec["trainable_before_freezing"] == BASE + HEAD
    assert rec["first_trainable_layer"] == 5
    assert rec["trainable_base_after_freezing"] == BLOCK3
    assert rec["trainable_after_freezing"] == rec["trainable_after_fine_tuning"] == BLOCK3 + HEAD
    assert rec["trainable_layers_after_fine_tuning"] == ["block3_conv1"]
    assert rec["frozen_weights_unchanged"] is True
    # the VGG16 lessons, built offline with weights=None
    assert rec["vgg16_block5_trainable"] == 7_079_424
    assert rec["lecture_freeze_trainable"] == 0
    # results: the retrained head works, a far too large rate wrecks the features
    assert rec["before_fine_tuning_val_accuracy"] > 0.5              # chance is 0.1
    assert rec["fine_tune_val_accuracy"] > 0.5
    assert rec["bad_lr_val_accuracy"] < rec["fine_tune_val_accuracy"] - 0.2
    assert rec["features_after_bad_lr"] < rec["features_after_fine_tuning"] - 0.2
    assert rec["moved_bad_lr"] > 10 * rec["moved_fine_tune"] > 0
    assert rec["moved_lecture_lr"] < rec["moved_fine_tune"]
