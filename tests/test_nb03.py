"""Notebook 03 (dropout and batch normalization): the default run, recorded and compared, and small runs
with another seed and with degenerate parameters whose printed verdicts must follow their own numbers."""
import re

import pytest

from helpers import stats
from helpers.data import fashion_mnist_available
from notebook_runs import (assert_no_leaks, assert_solutions_pass, assert_verdicts_consistent, checked_cell_count,
                           checked_cell_differences, outputs_text, records, run_parameter_check, stored)

pytestmark = [pytest.mark.notebook, pytest.mark.xdist_group("nb03")]
STEM = "03_dropout_batch_norm"
DEFAULT_SEEDS = [42, 43, 44]
# another seed and split, small sizes: every verdict must still be the one its numbers give
SMALL = dict(DATASET="fashion_mnist" if fashion_mnist_available() else "mnist", SEED=7, SEEDS=[7, 8], N_TRAIN=300, N_VAL=150, N_TEST=200, N_OVERFIT=150, DENSE_EPOCHS=3, EPOCHS=2)
# one seed: no verdict may be declared, and no spread may print as "nan"
DEGENERATE = dict(SEED=3, SEEDS=[3], N_TRAIN=200, N_VAL=100, N_TEST=100, N_OVERFIT=100, DENSE_EPOCHS=2, EPOCHS=2)


def comparisons(rec: dict) -> dict:
    """Every recorded comparison of the notebook, by a readable key."""
    found = {f"dropout {k}": v for k, v in rec["dropout"]["verdicts"].items()}
    found.update({f"bn {k}": v for k, v in rec["batch_norm"]["verdicts"].items()})
    found.update({f"test {k}": v for k, v in rec["results"]["test_verdicts"].items()})
    found.update({"rate gap": rec["dropout_rate"]["verdict"], "rate val loss": rec["dropout_rate"]["val_loss_verdict"]})
    return found


def assert_truthful(rec: dict, nb, seeds: list) -> None:
    """Structure of the truth, for any run: no leaks, computed verdicts, seeded comparisons, solutions pass."""
    assert_no_leaks(rec, at_least=2)
    text = outputs_text(nb)
    found = comparisons(rec)
    assert assert_verdicts_consistent(found, text) == len(found) >= 11
    assert all(len(v["scores_a"]) == len(v["scores_b"]) == len(seeds) for v in found.values())
    effects = {e["id"]: e for e in rec["lecture_effects"]}
    assert list(effects) == ["03.dropout", "03.batch_norm"]
    assert effects["03.dropout"]["comparison"] == rec["dropout"]["verdicts"]["val loss"]
    assert effects["03.dropout"]["beside"]["comparison"] == rec["results"]["test_verdicts"]["dropout"]
    assert effects["03.batch_norm"]["comparison"] == rec["batch_norm"]["verdicts"]["cnn_small_bn: epoch 1"]
    for effect in effects.values():
        assert effect["sentence"] in text
    rate = rec["dropout_rate"]
    words = {stats.AHEAD: "wider", stats.BEHIND: "narrower", stats.NOISE: "within noise", stats.UNKNOWN: "spread unknown"}
    assert rate["outcome"] == words[rate["verdict"]["verdict"]]
    assert_solutions_pass(nb)


def test_checked_cells_match_the_stored_outputs(executed):
    assert checked_cell_count(stored(STEM)) >= 10
    assert checked_cell_differences(stored(STEM), executed(STEM)) == []


def test_test_images_are_used_once_at_the_end():
    """x_test appears only where the split is made and in section 5 (and the summary after it)."""
    cells = stored(STEM).cells
    section5 = next(i for i, c in enumerate(cells) if c.cell_type == "markdown" and c.source.startswith("## 5."))
    users = [i for i, c in enumerate(cells) if c.cell_type == "code" and ("x_test" in c.source or "y_test" in c.source)]
    early = [i for i in users if i < section5 and "show_splits(" not in cells[i].source]
    assert not early, [cells[i].source[:60] for i in early]


def test_results_at_defaults(executed):
    nb = executed(STEM)
    rec = records(nb)
    assert_truthful(rec, nb, DEFAULT_SEEDS)
    by_model = {row["model"]: row for row in rec["results"]["rows"]}
    assert by_model["dense_plain"]["parameters"] == by_model["dense_dropout"]["parameters"] == 1_863_690
    assert by_model["cnn_small"]["parameters"] == 14_178
    assert by_model["cnn_small_bn"]["parameters"] == 14_242
    assert by_model["cnn_64"]["parameters"] == 140_682
    assert by_model["cnn_64_bn"]["parameters"] == 141_194
    assert rec["batch_norm"]["variance_ratio_099"] > 1          # computed from the run, not typed
    # validation accuracy is that of the tested (final) weights, one definition throughout
    for name, scores in rec["results"]["val_scores"].items():
        assert len(scores) == len(rec["results"]["test_scores"][name]) == len(DEFAULT_SEEDS)


def test_lecture_effects_as_expected_in_the_stored_run():
    rec = records(stored(STEM))
    for effect in rec["lecture_effects"]:
        assert effect["verdict"] == effect["expected"], effect["sentence"]


def test_verdicts_follow_the_numbers_with_another_seed(run_notebook):
    rec, nb = run_notebook(STEM, **SMALL)
    assert_truthful(rec, nb, SMALL["SEEDS"])
    assert len(rec["split:03 CNNs"]["train"]["runs"]) == 1 and rec["split:03 CNNs"]["train"]["runs"][0] == [0, 300]


def test_degenerate_parameters_compare_nothing_with_itself(run_notebook):
    rec, nb = run_notebook(STEM, **DEGENERATE)
    text = outputs_text(nb)
    assert not re.search(r"\bnan\b", text, re.IGNORECASE), [line for line in text.splitlines() if "nan" in line.lower()]
    for v in comparisons(rec).values():
        assert v["a"] != v["b"], v["sentence"]
        assert v["verdict"] == stats.UNKNOWN, v["sentence"]          # one seed: no spread, no winner
    assert all(e["verdict"] == stats.UNKNOWN for e in rec["lecture_effects"])


@pytest.mark.parametrize("params, named", [({"EPOCH": 1}, "EPOCH"), ({"N_TRAIN": 0}, "N_TRAIN"),
                                           ({"DROPOUT_RATE": 1.0}, "DROPOUT_RATE"), ({"SEEDS": [42, 42]}, "SEEDS"),
                                           ({"BN_MOMENTUM": 0}, "BN_MOMENTUM")])
def test_bad_parameters_fail_clearly_before_any_training(params, named):
    with pytest.raises(ValueError, match=named):
        run_parameter_check(STEM, **params)
