"""Notebook 04 (bottleneck features): the default run, and the ImageNet path offline."""
import json

import numpy as np
import papermill
import pytest

from notebook_runs import run_parameter_check, checked_cell_count, checked_cell_differences, records, stored

pytestmark = [pytest.mark.notebook, pytest.mark.xdist_group("transfer")]
STEM = "04_bottleneck_features"
HEAD = 1152 * 256 + 256 + 2570                   # Flatten(3x3x128)-Dense256-Dropout-Dense10


def test_checked_cells_match_the_stored_outputs(executed):
    assert checked_cell_count(stored(STEM)) >= 3
    assert checked_cell_differences(stored(STEM), executed(STEM)) == []


def test_results_at_defaults(executed, tmp_path_factory):
    rec = records(executed(STEM))["results"]
    assert rec["pretrained"] == "template" and "MNIST" in rec["provenance"]
    assert rec["scratch_params"] == 32_874                           # the lecture's convnet, 10 outputs
    assert rec["head_params"] == HEAD
    assert rec["features_shape"] == [3, 3, 128]
    assert rec["vgg16_feature_size"] == 8192
    assert rec["bottleneck_val_accuracy"] > 0.5                      # chance is 0.1
    assert rec["bottleneck_val_accuracy"] > rec["scratch_val_accuracy"]
    assert rec["curve"]["per class"] == [5, 10, 30, 100]
    assert len(rec["curve"]["scratch"]) == len(rec["curve"]["bottleneck"]) == 4
    assert rec["curve"]["bottleneck"][2] == pytest.approx(rec["bottleneck_val_accuracy"])   # 30 per class
    assert rec["extract_seconds"] > 0 and rec["end_to_end_epoch_seconds"] > 0 and rec["head_epoch_seconds"] > 0
    assert rec["peak_memory_mb"] > 100
    artifacts = tmp_path_factory.getbasetemp() / "defaults" / "artifacts"
    features = np.load(artifacts / "template_features_pool.npy")
    labels = np.load(artifacts / "template_labels_pool.npy")
    assert features.shape[1:] == (3, 3, 128) and labels.shape == (len(features),)
    assert (artifacts / "template_head.weights.h5").is_file()
    assert json.loads((artifacts / "template_head.json").read_text())["n_train_per_class"] == 30


def test_imagenet_path_offline_says_how_to_get_the_data(run_notebook):
    with pytest.raises(papermill.PapermillExecutionError) as error:
        run_notebook(STEM, PRETRAINED="imagenet")
    assert error.value.ename == "DataUnavailable"
    assert "make data" in error.value.evalue


@pytest.mark.parametrize("params, named", [({"PATH": "imagenet"}, "PATH"), ({"PRETRAINED": "vgg"}, "PRETRAINED"),
                                           ({"CURVE": [5, 0]}, "CURVE"), ({"IMAGE_SIZE": 16}, "IMAGE_SIZE")])
def test_bad_parameters_are_refused_before_any_training(params, named):
    with pytest.raises(ValueError, match=named):
        run_parameter_check(STEM, **params)
