"""Notebook 02 (Keras basics, dense vs CNNs): small papermill runs that check the recorded results."""
import papermill
import pytest

from helpers.data import fashion_mnist_available

pytestmark = pytest.mark.notebook

# about 30 s each on an unloaded 2-core CPU: 1,000 training images, 2 epochs, a 2-fit grid
SMALL = dict(N_TRAIN=1000, N_TEST=500, EPOCHS=2, BATCH_SIZE=32, FILTER_EPOCHS=2,
             GRID_EPOCHS=[1], GRID_HIDDEN=[32], GRID_CV=2)


def test_small_run_mnist(run_notebook):
    rec, nb = run_notebook("02_keras_mnist", **SMALL)
    # the lecture's parameter counts, computed by Keras in the notebook
    assert rec["dense_params"] == 25_450
    assert rec["tiny_cnn_params"] == 61_482
    assert rec["cnn_params"] == 166_986
    assert rec["lenet_params"] == 61_706
    assert rec["small_cnn_conv1_shape"] == [3, 3, 1, 8]
    assert rec["small_cnn_conv2_shape"] == [3, 3, 8, 8]
    assert rec["demo_steps_per_epoch"] == 10            # 1,000 samples at batch 100
    assert rec["n_train"] == 1000 and rec["n_test"] == 500
    # one-hot and sparse labels give the same training from the same start
    assert rec["onehot_sparse_loss_gap"] < 1e-4
    assert rec["onehot_sparse_weight_gap"] < 1e-4
    # well above chance (0.1) even after 2 short epochs, and the CNN beats the dense net
    for name in ["dense", "tiny_cnn", "cnn", "lenet", "small_cnn"]:
        assert rec[f"{name}_test_accuracy"] > 0.4, name
    assert rec["cnn_test_accuracy"] > rec["dense_test_accuracy"]
    assert rec["dense_seconds_per_epoch"] > 0 and rec["cnn_seconds_per_epoch"] > 0
    # the grid search ran over the requested grid with folds that see every class
    assert rec["grid_best_params"] == {"epochs": 1, "model__hidden_size": 32}
    assert rec["grid_best_score"] > 0.25


@pytest.mark.skipif(not fashion_mnist_available(),
                    reason="Fashion-MNIST not available offline (Debian's dataset-fashion-mnist or make data)")
def test_small_run_fashion_mnist(run_notebook):
    rec, nb = run_notebook("02_keras_mnist", DATASET="fashion_mnist", **SMALL)
    assert rec["dataset"] == "Fashion-MNIST"
    assert rec["class_names"][0] == "T-shirt/top" and "Ankle boot" in rec["class_names"]
    assert rec["cnn_params"] == 166_986
    for name in ["dense", "cnn"]:
        assert rec[f"{name}_test_accuracy"] > 0.4, name
    assert rec["grid_best_score"] > 0.25


def test_unknown_parameter_fails_clearly(run_notebook):
    with pytest.raises(papermill.PapermillExecutionError) as info:
        run_notebook("02_keras_mnist", EPOCH=1)
    assert "EPOCH" in info.value.evalue and "Unknown parameter" in info.value.evalue
