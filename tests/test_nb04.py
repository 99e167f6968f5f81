"""Notebook 04 (bottleneck features), run with papermill at small parameters."""
import numpy as np
import papermill
import pytest

pytestmark = pytest.mark.notebook


def test_small_run(run_notebook, tmp_path, monkeypatch):
    artifacts = tmp_path / "artifacts"
    monkeypatch.setenv("CNN_COURSE_ARTIFACTS", str(artifacts))     # keep build/artifacts for the real runs
    rec, nb = run_notebook("04_bottleneck_features", N_PER_CLASS=10, EPOCHS=4, CURVE=[5, 10])
    assert rec["scratch_params"] == 32_874                          # the lecture's convnet, 10 outputs
    assert rec["head_params"] == 1152 * 256 + 256 + 2570             # Flatten(3x3x128)-Dense256-Dropout-Dense10
    assert rec["vgg16_feature_size"] == 8192
    assert rec["bottleneck_val_accuracy"] > 0.5                      # chance is 0.1
    assert rec["bottleneck_val_accuracy"] > rec["scratch_val_accuracy"]
    assert rec["curve_per_class"] == [5, 10]
    assert len(rec["curve_scratch"]) == len(rec["curve_bottleneck"]) == 2
    assert rec["curve_bottleneck"][1] == pytest.approx(rec["bottleneck_val_accuracy"])
    assert rec["extract_seconds"] > 0 and rec["end_to_end_epoch_seconds"] > 0
    assert rec["peak_memory_mb"] > 100
    features = np.load(artifacts / "template_features_pool.npy")
    labels = np.load(artifacts / "template_labels_pool.npy")
    assert features.shape == (4000, 3, 3, 128) and labels.shape == (4000,)
    assert (artifacts / "template_head.weights.h5").is_file()
    assert '"n_per_class": 10' in (artifacts / "template_head.json").read_text()


def test_imagenet_path_offline_says_how_to_get_the_data(run_notebook):
    with pytest.raises(papermill.PapermillExecutionError) as error:
        run_notebook("04_bottleneck_features", PATH="imagenet")
    assert error.value.ename == "DataUnavailable"
    assert "make data" in error.value.evalue


def test_unknown_parameter_is_refused(run_notebook):
    with pytest.raises(papermill.PapermillExecutionError) as error:
        run_notebook("04_bottleneck_features", EPOCH=1)
    assert "EPOCH" in error.value.evalue
