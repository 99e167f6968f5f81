"""Notebook 05 (bottleneck features): the default run, a run with other seeds, and the ImageNet path offline."""
import json

import numpy as np
import papermill
import pytest

from notebook_runs import (assert_no_leaks, assert_verdicts_consistent, checked_cell_count, checked_cell_differences,
                           records, run_parameter_check, stored)

pytestmark = [pytest.mark.notebook, pytest.mark.xdist_group("transfer")]
STEM = "05_bottleneck_features"
HEAD = 1152 * 256 + 256 + 2570                   # Flatten(3x3x128)-Dense256-Dropout-Dense10


def test_checked_cells_match_the_stored_outputs(executed):
    assert checked_cell_count(stored(STEM)) >= 3
    assert checked_cell_differences(stored(STEM), executed(STEM)) == []


def check_truth(rec, text, seeds):
    """What must hold in any run: disjoint splits, one score per seed, verdicts that follow the scores,
    every exercise answered by its solution and no solution failing its own check."""
    assert_no_leaks(rec, at_least=1)
    res = rec["results"]
    assert res["seeds"] == seeds
    assert len(res["bottleneck_val_accuracy"]) == len(seeds)
    assert all(len(scores) == len(seeds) for scores in res["scratch_val_accuracy"].values())
    assert set(res["scratch_val_accuracy"]) == {"none", "the lecture's", "for digits"}   # the three arms, digit path
    assert res["augment_chosen"] in res["scratch_val_accuracy"]
    assert len(res["test_accuracy"]["scratch"]) == len(res["test_accuracy"]["bottleneck"]) == len(seeds)
    sizes = res["split_sizes"]
    assert sizes["train"] == res["n_train_per_class"] * res["n_classes"] and sizes["validation"] and sizes["test"]
    assert assert_verdicts_consistent(rec["verdicts"], text) >= 4 + len(res["curve"]["per class"])
    assert text.count("[ok]") >= 3 and "[x]" not in text


def test_results_at_defaults(executed, tmp_path_factory, text_of):
    nb = executed(STEM)
    rec = records(nb)
    check_truth(rec, text_of(nb), seeds=[42, 43, 44])
    res = rec["results"]
    assert res["pretrained"] == "template" and "MNIST" in res["provenance"]
    assert res["scratch_params"] == 32_874                           # the lecture's convnet, 10 outputs
    assert res["head_params"] == HEAD
    assert res["features_shape"] == [3, 3, 128]
    assert res["vgg16_feature_size"] == 8192
    assert min(res["bottleneck_val_accuracy"]) > 0.5 and min(res["test_accuracy"]["bottleneck"]) > 0.5  # chance 0.1
    assert res["curve"]["per class"] == [5, 10, 30]
    assert res["curve"]["bottleneck"][2] == res["bottleneck_val_accuracy"]     # the 30-per-class runs, reused
    assert res["extract_seconds"] > 0 and res["end_to_end_epoch_seconds"] > 0 and res["head_epoch_seconds"] > 0
    assert res["peak_memory_mb"] > 100
    artifacts = tmp_path_factory.getbasetemp() / "defaults" / "artifacts"
    features = np.load(artifacts / "template_features_pool.npy")
    labels = np.load(artifacts / "template_labels_pool.npy")
    assert features.shape[1:] == (3, 3, 128) and labels.shape == (len(features),)
    assert all((artifacts / f"template_head_seed{s}.weights.h5").is_file() for s in (42, 43, 44))
    facts = json.loads((artifacts / "template_head.json").read_text())
    assert facts["n_train_per_class"] == 30 and facts["seeds"] == [42, 43, 44]


def test_another_seed_keeps_every_verdict_true(run_notebook, text_of):
    rec, nb = run_notebook(STEM, SEED=7, SEEDS=[7, 8], N_TRAIN_PER_CLASS=10, N_VAL_PER_CLASS=20, EPOCHS=3,
                           CURVE=[5, 10])
    check_truth(rec, text_of(nb), seeds=[7, 8])
    assert rec["results"]["curve"]["per class"] == [5, 10]


def test_imagenet_path_offline_says_how_to_get_the_data(run_notebook):
    with pytest.raises(papermill.PapermillExecutionError) as error:
        run_notebook(STEM, PRETRAINED="imagenet")
    assert error.value.ename == "DataUnavailable"
    assert "make data" in error.value.evalue


@pytest.mark.parametrize("params, named", [({"PATH": "imagenet"}, "PATH"), ({"PRETRAINED": "vgg"}, "PRETRAINED"),
                                           ({"CURVE": [5, 0]}, "CURVE"), ({"IMAGE_SIZE": 16}, "IMAGE_SIZE"),
                                           ({"SEEDS": [1, 1]}, "SEEDS")])
def test_bad_parameters_are_refused_before_any_training(params, named):
    with pytest.raises(ValueError, match=named):
        run_parameter_check(STEM, **params)
