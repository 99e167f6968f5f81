"""Notebook 02 (Keras basics, dense vs CNNs): the default run, and one small run with another seed and data set."""
import math

import pytest

from helpers import stats
from helpers.data import fashion_mnist_available, load_mnist
from notebook_runs import (assert_no_leaks, assert_solutions_pass, checked_cell_count, checked_cell_differences,
                           outputs_text, records, run_parameter_check, stored)

pytestmark = [pytest.mark.notebook, pytest.mark.xdist_group("nb02")]
STEM = "02_keras_mnist"
PARAMS = {"dense 784-32-10": 25_450, "tiny CNN": 61_482, "second CNN": 166_986, "LeNet-5 style": 61_706}
SEEDED = ["dense 784-32-10", "tiny CNN"]
SMALL = dict(N_TRAIN=1000, N_TEST=300, EPOCHS=2, DENSE_EPOCHS=3, BATCH_SIZE=64, FILTER_EPOCHS=1,
             GRID_EPOCHS=[1], GRID_HIDDEN=[32], GRID_CV=2, SEED=7, SEEDS=[7, 8])


def assert_splits(rec, n_train, n_test):
    """One split, made once, with disjoint parts that cover the training and test images."""
    assert_no_leaks(rec)
    split = rec["split:02"]
    sizes = {part: sum(b - a for a, b in p["runs"]) for part, p in split.items()}
    assert sizes["train"] + sizes["validation"] == n_train and sizes["test"] == n_test
    assert split["train"]["source"] == split["validation"]["source"] != split["test"]["source"]


def assert_verdicts_follow_the_numbers(rec, nb, n_seeds):
    """Every printed verdict is the one the recorded scores give (helpers.stats' own rule), and the sentence
    is in the output."""
    text = outputs_text(nb, results=True)
    comparisons = {k: v for k, v in rec["comparisons"].items() if isinstance(v, dict)}
    assert set(comparisons) == {"validation", "exercise 5", "test", "early_stopping"}
    for key, c in comparisons.items():
        assert len(c["scores_a"]) == len(c["scores_b"]) == n_seeds, key
        again = stats.Comparison.from_dict(c)
        assert again.verdict == c["verdict"] and math.isclose(again.diff, c["diff"]), key
        assert again.sentence == c["sentence"] and c["sentence"] in text, key
        if c["verdict"] in (stats.AHEAD, stats.BEHIND) and not again.lower_is_better:
            better, worse = (c["a"], c["b"]) if c["verdict"] == stats.AHEAD else (c["b"], c["a"])
            assert f"{better} is ahead of {worse}." in c["sentence"]
        elif c["verdict"] not in (stats.AHEAD, stats.BEHIND):
            assert "is ahead of" not in c["sentence"] and "is lower than" not in c["sentence"]
    early = comparisons["early_stopping"]                  # paired: two epochs of the same runs
    assert early["kind"].startswith("paired") and all(a <= b for a, b in zip(early["scores_a"], early["scores_b"]))
    # the test-set comparison is the one the final summary states, on the test accuracies of the seeded runs
    assert f"verdict on the test set: {comparisons['test']['sentence']}" in text
    assert (comparisons["test"]["a"], comparisons["test"]["b"]) == ("tiny CNN", "dense 784-32-10")


def test_checked_cells_match_the_stored_outputs(executed):
    assert checked_cell_count(stored(STEM)) >= 15
    assert checked_cell_differences(stored(STEM), executed(STEM)) == []


def test_results_at_defaults(executed):
    nb = executed(STEM)
    rec = records(nb)
    offline = load_mnist()                                  # what the notebook's loader finds on this machine
    assert rec["data"]["name"] == offline.name and rec["data"]["n_train"] == len(offline.x_train)
    assert rec["data"]["n_test"] == len(offline.x_test)
    assert_splits(rec, len(offline.x_train), len(offline.x_test))
    results = rec["results"]
    assert {name: row["parameters"] for name, row in results.items()} == PARAMS   # the lecture's counts
    assert rec["small_cnn"]["conv1_shape"] == [3, 3, 1, 8] and rec["small_cnn"]["conv2_shape"] == [3, 3, 8, 8]
    assert rec["labels"]["demo_steps_per_epoch"] == math.ceil(rec["labels"]["n_demo"] / 100)
    # one-hot and sparse labels give the same training from the same start
    assert rec["labels"]["loss_gap"] < 1e-4 and rec["labels"]["weight_gap"] < 1e-4
    # well above chance (0.1); the epoch was chosen on validation
    for name, row in results.items():
        assert row["validation accuracy"] > 0.4 and row["test accuracy"] > 0.4, name
        assert 1 <= row["chosen epoch"] <= (150 if name.startswith("dense") else 12) and row["s per epoch"] > 0
    # early stopping chose: the dense net's kept epoch is not its last one
    assert results["dense 784-32-10"]["chosen epoch"] < 150
    assert rec["small_cnn"]["validation_accuracy"] > 0.4
    # one training step by hand (GradientTape, SGD's rule) is the step train_on_batch takes
    assert rec["training_step"]["rule_difference"] < 1e-6 and rec["training_step"]["train_on_batch_difference"] < 1e-5
    # the grid search ran over the notebook's grid, with folds that see every class
    assert set(rec["grid"]["best_params"]) == {"epochs", "model__hidden_size"}
    assert rec["grid"]["best_params"]["epochs"] in [1, 3] and rec["grid"]["best_params"]["model__hidden_size"] in [32, 256]
    assert rec["grid"]["best_score"] > 0.25 and rec["grid"]["validation_accuracy"] > 0.25
    assert_verdicts_follow_the_numbers(rec, nb, n_seeds=3)
    assert_solutions_pass(nb, at_least=4)
    # the summary weighs epochs too, and never calls the lecture's second-CNN score (validated on test) comparable
    text = outputs_text(nb, results=True)
    assert "12 vs 20 epochs" in text and "no: different measurement" in text
    assert f"this run gave '{rec['comparisons']['exercise 5']['verdict']}'" in text   # the prediction check names the outcome


def test_small_run_with_another_seed_and_data_set(run_notebook):
    """Another seed (and Fashion-MNIST where available): the verdicts still follow the numbers."""
    dataset = "fashion_mnist" if fashion_mnist_available() else "mnist"
    rec, nb = run_notebook(STEM, DATASET=dataset, **SMALL)
    assert rec["data"]["n_train"] == 1000 and rec["data"]["n_test"] == 300
    if dataset == "fashion_mnist":
        assert rec["data"]["name"] == "Fashion-MNIST"
        assert rec["data"]["class_names"][0] == "T-shirt/top" and "Ankle boot" in rec["data"]["class_names"]
    assert_splits(rec, 1000, 300)
    assert rec["results"]["second CNN"]["parameters"] == 166_986
    assert rec["grid"]["best_params"] == {"epochs": 1, "model__hidden_size": 32}
    assert_verdicts_follow_the_numbers(rec, nb, n_seeds=2)
    assert_solutions_pass(nb, at_least=4)
    # the summary marks the lecture's MNIST numbers as not comparable when the task is another one
    assert ("is another task" in outputs_text(nb, results=True)) == (dataset == "fashion_mnist")


@pytest.mark.parametrize("params, named", [({"EPOCH": 1}, "Unknown parameter"), ({"N_TRAIN": -5}, "N_TRAIN"),
                                           ({"GRID_CV": 1}, "GRID_CV"), ({"VALIDATION_SPLIT": 0}, "VALIDATION_SPLIT"),
                                           ({"SEEDS": [1, 1]}, "SEEDS"), ({"SEEDS": []}, "SEEDS")])
def test_bad_parameters_fail_clearly_before_any_training(params, named):
    with pytest.raises(ValueError, match=named):
        run_parameter_check(STEM, **params)


def test_good_parameters_pass_the_same_check():
    run_parameter_check(STEM, EPOCHS=3, N_TRAIN=None, DATASET="fashion_mnist", VALIDATION_SPLIT=0.2, SEEDS=[1, 2])
