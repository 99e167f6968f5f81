"""Notebook 06 (fine-tuning): the default run after 05's, and a run with other seeds without 05's heads."""
import pytest

from notebook_runs import (assert_no_leaks, assert_verdicts_consistent, checked_cell_count, checked_cell_differences,
                           records, stored)

pytestmark = [pytest.mark.notebook, pytest.mark.xdist_group("transfer")]
STEM = "06_fine_tuning"
HEAD = 1152 * 256 + 256 + 2570          # 05's head on the template's 3x3x128 features
BASE = 320 + 18_496 + 73_856            # template base: block1..block3 convolutions
BLOCK3 = 73_856
TUNED = 18_496 + BLOCK3                # fine-tuned on the template path: blocks 2 and 3
RUNS = {"lecture", "main", "random_head", "bad_lr", "one_more_block"}


def test_checked_cells_match_the_stored_outputs(executed):
    assert checked_cell_count(stored(STEM)) >= 6
    assert checked_cell_differences(stored(STEM), executed(STEM)) == []


def check_freezing(res):
    assert res["trainable_before_freezing"] == BASE + HEAD
    assert res["first_trainable_layer"] == 3
    assert res["trainable_base_after_freezing"] == TUNED
    assert res["trainable_after_freezing"] == res["trainable_after_fine_tuning"] == TUNED + HEAD
    assert res["trainable_layers_after_fine_tuning"] == ["block2_conv1", "block3_conv1"]
    assert res["frozen_weights_unchanged"] is True
    # the VGG16 lessons, built offline with weights=None
    assert res["vgg16_block5_trainable"] == 7_079_424
    assert res["lecture_freeze_trainable"] == 0
    gmac = res["vgg16_block_gmac"]        # the per-block forward cost the notebook prints (224x224)
    assert gmac["block1"] == pytest.approx(1.94, abs=0.05) and gmac["block5"] == pytest.approx(1.39, abs=0.05)
    assert max(gmac, key=gmac.get) in ("block3", "block4")


def check_truth(rec, text, seeds):
    assert_no_leaks(rec, at_least=1)
    res = rec["results"]
    assert res["seeds"] == seeds
    assert set(res["val_accuracy"]) == RUNS | {"before"} and set(res["moved"]) == RUNS
    assert all(len(scores) == len(seeds) for scores in res["val_accuracy"].values())
    assert all(len(scores) == len(seeds) for scores in res["test_accuracy"].values())
    assert assert_verdicts_consistent(rec["verdicts"], text) >= 9
    assert text.count("[ok]") >= 3 and "[x]" not in text
    check_freezing(res)


def test_results_at_defaults_reuse_the_heads_05_saved(executed, text_of):
    nb = executed(STEM)
    rec = records(nb)
    check_truth(rec, text_of(nb), seeds=[42, 43, 44])
    res = rec["results"]
    assert res["head_source"] == "trained in 05"
    acc, moved = res["val_accuracy"], res["moved"]
    assert min(acc["before"]) > 0.5 and min(acc["main"]) > 0.5               # chance is 0.1
    assert max(moved["bad_lr"]) > 10 * max(moved["main"]) > 0                 # a far too large rate moves the block
    assert max(moved["lecture"]) < min(moved["main"])


def test_another_seed_without_04s_heads_keeps_every_verdict_true(run_notebook, text_of):
    rec, nb = run_notebook(STEM, SEED=7, SEEDS=[7, 8], N_TRAIN_PER_CLASS=10, N_VAL_PER_CLASS=20, EPOCHS=2,
                           HEAD_EPOCHS=3)          # an empty artifacts folder: the heads are trained here
    text = text_of(nb)
    assert "No head from notebook 05" in text
    assert rec["results"]["head_source"] == "trained here"
    check_truth(rec, text, seeds=[7, 8])
