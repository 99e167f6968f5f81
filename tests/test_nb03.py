"""Notebook 03 (dropout, batch normalization, improving a model): the default run, recorded and compared,
and a second run with another seed whose printed verdicts must follow its own recorded numbers."""
import math
import re

import nbformat
import pytest

from helpers import stats
from notebook_runs import (assert_no_leaks, checked_cell_count, checked_cell_differences, records,
                           run_parameter_check, stored)

pytestmark = [pytest.mark.notebook, pytest.mark.xdist_group("nb03")]
STEM = "03_improving_models"
DEFAULTS = dict(N_TRAIN=1500, SEEDS=[42, 43, 44], WIDTHS=[32, 128], DEPTHS=[1, 2, 3],
                ACTIVATIONS=["elu", "selu", "leaky_relu"], OPTIMIZERS=["SGD", "Adam"],
                LEARNING_RATES=[1e-3, 1e-2, 1e-1, 1.0], BATCH_SIZES=[16, 128, 1024])
# another seed and split, small sizes: every verdict must still be the one its numbers give
SMALL = dict(SEED=7, SEEDS=[7, 8], N_TRAIN=300, N_VAL=150, N_TEST=200, N_OVERFIT=150, DENSE_EPOCHS=3, EPOCHS=2,
             WIDTHS=[16], DEPTHS=[1, 2], ACTIVATIONS=["relu"], OPTIMIZERS=["Adam"], LEARNING_RATES=[1.0],
             BATCH_SIZES=[64])
# one seed, one width (section 2's 1,024 units), one batch size, one depth: no verdict may compare a run with
# itself, and no spread may print as "nan"
DEGENERATE = dict(SEED=3, SEEDS=[3], N_TRAIN=200, N_VAL=100, N_TEST=100, N_OVERFIT=100, DENSE_EPOCHS=2, EPOCHS=2,
                  WIDTHS=[1024], DEPTHS=[1], ACTIVATIONS=["relu"], OPTIMIZERS=["Adam"], LEARNING_RATES=[1e-3],
                  BATCH_SIZES=[64])


def stdout_of(nb) -> str:
    return "".join(out.get("text", "") for cell in nb.cells for out in cell.get("outputs", [])
                   if out.get("output_type") == "stream")


def verdicts_in(tree):
    """Every recorded verdict (a dict with its scores, verdict and sentence), wherever it was recorded."""
    if isinstance(tree, dict):
        if "sentence" in tree and "verdict" in tree:
            yield tree
        else:
            for value in tree.values():
                yield from verdicts_in(value)
    elif isinstance(tree, list):
        for value in tree:
            yield from verdicts_in(value)


def assert_verdict_follows_numbers(v: dict, text: str) -> None:
    """The sentence was printed, its verdict is the rule applied to its recorded scores, its words say so."""
    sentence = v["sentence"]
    assert sentence in text, f"not printed: {sentence}"
    diff = stats.spread(v["scores_a"]).mean - stats.spread(v["scores_b"]).mean
    kind = v.get("kind", "")
    if kind.startswith("one run"):                       # one run each, noise from a measured seed spread
        sd = v["sd"]
        if sd is None or math.isnan(sd):
            expected = stats.UNKNOWN
        else:
            expected = (stats.AHEAD if diff > 0 else stats.BEHIND) if abs(diff) > 2 * math.sqrt(2) * sd else stats.NOISE
    else:
        expected = stats.verdict_of(v["scores_a"], v["scores_b"])[0]
    assert v["verdict"] == expected, sentence
    if expected == stats.NOISE:
        assert "within the noise" in sentence and "no winner" in sentence, sentence
    elif expected == stats.UNKNOWN:
        assert "unknown" in sentence, sentence
    elif kind.endswith("lower is better"):
        lower, higher = (v["a"], v["b"]) if diff < 0 else (v["b"], v["a"])
        assert f"{lower} is lower than {higher}" in sentence, sentence
    else:
        better, worse = (v["a"], v["b"]) if expected == stats.AHEAD else (v["b"], v["a"])
        assert f"{better} is ahead of {worse}" in sentence, sentence


def assert_truthful(rec: dict, nb, seeds: list) -> None:
    """Structure of the truth, for any run: no leaks, computed verdicts, seeded comparisons, solutions pass."""
    assert_no_leaks(rec, at_least=2)
    text = stdout_of(nb)
    found = list(verdicts_in(rec))
    assert len(found) >= 15, f"only {len(found)} recorded verdicts"
    for v in found:
        assert_verdict_follows_numbers(v, text)
    # the comparisons that are the lesson ran once per seed, on both sides
    seeded = [*rec["dropout"]["verdicts"].values(), *rec["batch_norm"]["verdicts"].values(),
              *rec["improving"]["depth"]["verdicts"].values(), *rec["results"]["test_verdicts"].values()]
    assert seeded and all(len(v["scores_a"]) == len(v["scores_b"]) == len(seeds) for v in seeded)
    # the predict-run-explain exercise states the outcome its own verdict gives
    rate = rec["dropout_rate"]
    words = {stats.AHEAD: "wider", stats.BEHIND: "narrower", stats.NOISE: "within noise", stats.UNKNOWN: "spread unknown"}
    assert rate["outcome"] == words[rate["verdict"]["verdict"]]
    # every solution passes its own check in this run
    solutions = [c for c in nb.cells if "solution" in c.metadata.get("tags", [])]
    assert len(solutions) >= 3
    for cell in solutions:
        assert any("[ok]" in out.get("text", "") for out in cell.outputs), cell.source[:60]


def test_checked_cells_match_the_stored_outputs(executed):
    assert checked_cell_count(stored(STEM)) >= 15
    assert checked_cell_differences(stored(STEM), executed(STEM)) == []


def test_test_images_are_used_once_at_the_end():
    """x_test appears only where the split is made and in section 6 (and the summary after it)."""
    cells = stored(STEM).cells
    section6 = next(i for i, c in enumerate(cells) if c.cell_type == "markdown" and c.source.startswith("## 6."))
    users = [i for i, c in enumerate(cells) if c.cell_type == "code" and ("x_test" in c.source or "y_test" in c.source)]
    early = [i for i in users if i < section6 and "show_splits(" not in cells[i].source]
    assert not early, [cells[i].source[:60] for i in early]
    trainer = next(c.source for c in cells if c.cell_type == "code" and "def train(" in c.source)
    assert "validation_data=(x_val, y_val)" in trainer and "x_test" not in trainer


def test_results_at_defaults(executed):
    nb = executed(STEM)
    rec = records(nb)
    assert_truthful(rec, nb, DEFAULTS["SEEDS"])
    rows = rec["results"]["rows"]
    by_model = {row["model"]: row for row in rows}
    # parameter counts: the lecture's dense net, cnn_small_bn and its variants
    assert by_model["dense_plain"]["parameters"] == by_model["dense_dropout"]["parameters"] == 1_863_690
    assert by_model["cnn_small"]["parameters"] == 14_178
    assert by_model["cnn_small_bn"]["parameters"] == 14_242
    assert by_model["cnn_64"]["parameters"] == 140_682
    assert by_model["cnn_64_bn"]["parameters"] == 141_194
    assert by_model["cnn_small_stride2"]["parameters"] == 19_810
    assert [by_model[f"dense_128_depth{d}"]["parameters"] for d in DEFAULTS["DEPTHS"]] == [101_770, 118_282, 134_794]
    assert rec["improving"]["stride"]["cnn_64_stride2_params"] == 185_738

    # every seeded model ran once per seed; the single-run experiments once
    seeds = DEFAULTS["SEEDS"]
    for name in ["dense_plain", "dense_dropout", "cnn_small", "cnn_small_bn", "cnn_64", "cnn_64_bn", "dense_128_depth2"]:
        assert sorted(row["seed"] for row in rows if row["model"] == name) == seeds, name
    expected = (2 * len(seeds) + len(seeds) + 4 * len(seeds) + len(DEFAULTS["WIDTHS"]) + len(DEFAULTS["DEPTHS"]) * len(seeds)
                + 2 + 1 + len(DEFAULTS["ACTIVATIONS"]) + len(DEFAULTS["OPTIMIZERS"]) * len(DEFAULTS["LEARNING_RATES"])
                + len(DEFAULTS["BATCH_SIZES"]))
    assert len(rows) == expected

    # the test set: each seeded model and each variant chosen on validation, evaluated once
    test = rec["results"]["test"]
    assert len({(row["question"], row["model"]) for row in test}) == len(test)
    assert all(len(scores) == len(seeds) for scores in rec["results"]["test_scores"].values())
    assert all(row["test accuracy"] > 0.3 for row in test)      # far above chance (0.10): the nets learned

    # batch size: the optimizer made ceil(N / batch) updates per epoch
    batch = rec["improving"]["batch_size"]
    assert batch["batch_sizes"] == DEFAULTS["BATCH_SIZES"]
    assert batch["updates_per_epoch"] == [math.ceil(DEFAULTS["N_TRAIN"] / b) for b in DEFAULTS["BATCH_SIZES"]]
    sweep = rec["improving"]["lr_sweep"]
    assert sweep["learning_rates"] == DEFAULTS["LEARNING_RATES"] and set(sweep) == {"learning_rates", "SGD", "Adam", "chosen"}
    assert set(rec["improving"]["activations"]["val"]) == {"relu", *DEFAULTS["ACTIVATIONS"]}
    # the cost of an epoch is judged one step up in batch size at a time
    assert len(batch["cost_verdicts"]) == len(DEFAULTS["BATCH_SIZES"]) - 1
    # single-run dense verdicts use the larger of the two measured seed spreads
    improving = rec["improving"]
    assert improving["dense_sd"] == max(improving["wide_sd"], improving["depth_sd"])
    assert improving["width"]["verdict"]["sd"] == improving["dense_sd"]
    # section 6 states a test-set verdict for each pair of neighbouring depths
    depth_keys = [k for k in rec["results"]["test_verdicts"] if k.startswith("depth ")]
    assert len(depth_keys) == len(DEFAULTS["DEPTHS"]) - 1
    # exercise 2's nets are named after their rate, so other rates make other rows of the results table
    assert {row["model"] for row in rows if row["experiment"].startswith("exercise 2")} == {"dense_dropout_0_8"}
    # exercise 2 also judges the validation loss, and names the loss that moved the gap
    assert rec["dropout_rate"]["driver"] in ("training", "validation")
    # section 4's ratio is computed from the run, not typed
    assert rec["batch_norm"]["variance_ratio_099"] > 1


def test_verdicts_follow_the_numbers_with_another_seed(run_notebook):
    rec, nb = run_notebook(STEM, **SMALL)
    assert_truthful(rec, nb, SMALL["SEEDS"])
    assert rec["improving"]["seed"] == SMALL["SEEDS"][0]
    assert len(rec["split:03 CNNs"]["train"]["runs"]) == 1 and rec["split:03 CNNs"]["train"]["runs"][0] == [0, 300]


def test_degenerate_parameters_compare_nothing_with_itself(run_notebook):
    rec, nb = run_notebook(STEM, **DEGENERATE)
    text = stdout_of(nb)
    assert not re.search(r"\bnan\b", text, re.IGNORECASE), [l for l in text.splitlines() if "nan" in l.lower()]
    found = list(verdicts_in(rec))
    assert found
    for v in found:
        assert_verdict_follows_numbers(v, text)
        assert v["a"] != v["b"], v["sentence"]
        assert v["verdict"] == stats.UNKNOWN, v["sentence"]          # one seed: no spread, no winner
    assert rec["improving"]["width"]["verdict"] is None and rec["improving"]["batch_size"]["verdict"] is None
    assert "nothing to compare" in text
    solutions = [c for c in nb.cells if "solution" in c.metadata.get("tags", [])]
    assert all(any("[ok]" in out.get("text", "") for out in cell.outputs) for cell in solutions)


@pytest.mark.parametrize("params, named", [({"EPOCH": 1}, "EPOCH"), ({"N_TRAIN": 0}, "N_TRAIN"),
                                           ({"DROPOUT_RATE": 1.0}, "DROPOUT_RATE"),
                                           ({"LEARNING_RATES": [0.1, -1.0]}, "LEARNING_RATES"),
                                           ({"SEEDS": [42, 42]}, "SEEDS"), ({"DEPTHS": [0, 1]}, "DEPTHS")])
def test_bad_parameters_fail_clearly_before_any_training(params, named):
    with pytest.raises(ValueError, match=named):
        run_parameter_check(STEM, **params)
