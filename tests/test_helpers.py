"""Unit tests for the small helpers: checks, records, parameter validation, set-up, plots."""
import json
import re

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from helpers import check, params, record  # noqa: E402
from helpers.plots import draw_grid, history_frame, plot_filters, plot_history, show_images  # noqa: E402


# ------------------------------------------------------------------ checks
@pytest.mark.parametrize("answer, expected, verdict", [
    (55, 55, "[ok]"), (55.0000001, 55, "[ok]"), (54, 55, "[x]"),
    ((100, 100, 10), (100, 100, 10), "[ok]"), ((100, 100), (100, 100, 10), "[x]"),
    ([[-10, 45], [-60, 25]], np.array([[-10., 45.], [-60., 25.]]), "[ok]"),
    ("Valid ", "valid", "[ok]"), ("same", "valid", "[x]"),
    (..., 3, "[ ]"), (None, 3, "[ ]"), ((..., ...), (1, 2), "[ ]"), ((1, ...), (1, 2), "[ ]"), ("abc", 3, "[x]"),
])
def test_check_verdicts(capsys, answer, expected, verdict):
    assert check("q", answer, expected, hint="think") is None   # never raises, returns nothing
    out = capsys.readouterr().out
    assert out.startswith(verdict)
    if verdict == "[x]":
        assert "Hint: think" in out


# ------------------------------------------------------------------ records
def test_record_roundtrip_shows_nothing():
    import nbformat
    from helpers.record import MIME, _plain, read_records

    assert _plain(np.float32(0.5)) == 0.5 and _plain((np.int64(3), 4)) == [3, 4]
    assert _plain({"a": np.array([1, 2]), "nan": float("nan")}) == {"a": [1, 2], "nan": None}
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [nbformat.v4.new_output("display_data", data={MIME: {"acc": 0.9}, "text/plain": ""}),
                    nbformat.v4.new_output("display_data", data={MIME: {"acc": 0.95, "n": 3}, "text/plain": ""})]
    nb.cells = [cell]
    assert read_records(nb) == {"acc": 0.95, "n": 3}


def test_record_displays_no_text(monkeypatch):
    import IPython.display
    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append(obj))
    record("results", {"accuracy": np.float64(0.91234)})
    assert shown[0]["text/plain"] == "" and set(shown[0]) == {"application/x.cnn-course.record+json", "text/plain"}


def test_record_rejects_unserialisable():
    with pytest.raises(TypeError):
        record("bad", object())


# ------------------------------------------------------------------ parameters
DEFAULTS = "# Parameters: papermill may override any of these\nEPOCHS = 2\nRATE = 0.5\nDATASET = 'mnist'\nFLAG = True\nN = None"


def run_params(injected: str | None, namespace_overrides: dict, **kw):
    ns = {"EPOCHS": 2, "RATE": 0.5, "DATASET": "mnist", "FLAG": True, "N": None}
    ns.update(namespace_overrides)
    history = ["", DEFAULTS, *([injected] if injected else []), "import helpers"]
    params.check_parameters(ns, history=history, **kw)
    return params.injected_parameters(history)


def test_parameters_defaults_and_valid_injection():
    assert run_params(None, {}) == {}                     # nothing injected: nothing to compare
    got = run_params("# Parameters\nEPOCHS = 5\nRATE = 1\nN = 100\n", {"EPOCHS": 5, "RATE": 1, "N": 100})
    assert got == {"EPOCHS": 5, "RATE": 1, "N": 100}       # an int is fine where a float (or None) is expected


@pytest.mark.parametrize("injected, overrides, message", [
    ("# Parameters\nEPOCH = 5\n", {"EPOCH": 5}, "Unknown parameter(s) ['EPOCH']"),
    ("# Parameters\nEPOCHS = 'ten'\n", {"EPOCHS": "ten"}, "EPOCHS='ten' should be a int"),
    ("# Parameters\nEPOCHS = 2.5\n", {"EPOCHS": 2.5}, "should be a int"),
    ("# Parameters\nEPOCHS = True\n", {"EPOCHS": True}, "should be a int"),
    ("# Parameters\nFLAG = 1\n", {"FLAG": 1}, "FLAG=1 should be a bool"),
])
def test_parameters_rejected_with_a_clear_message(injected, overrides, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        run_params(injected, overrides)


@pytest.mark.parametrize("overrides, kw, message", [
    ({"DATASET": "cifar"}, dict(choices={"DATASET": ["mnist", "fashion_mnist"]}), "DATASET='cifar' is not one of"),
    ({"EPOCHS": -5}, dict(counts=["EPOCHS"]), "EPOCHS=-5: must be a whole number of at least 1"),
    ({"EPOCHS": 0}, dict(counts=["EPOCHS"]), "EPOCHS=0"),
    ({"EPOCHS": [3, 0]}, dict(counts=["EPOCHS"]), "EPOCHS=[3, 0]"),
    ({"EPOCHS": 1}, dict(at_least={"EPOCHS": 2}), "at least 2"),
    ({"RATE": 0.0}, dict(positive=["RATE"]), "RATE=0.0: must be a number above 0"),
    ({"RATE": 1.0}, dict(fractions=["RATE"]), "RATE=1.0: must be a number from 0"),
])
def test_values_are_checked_even_without_injection(overrides, kw, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        run_params(None, overrides, **kw)
    run_params(None, {}, **kw)                             # the defaults pass the same checks


def test_none_is_a_valid_count():
    run_params(None, {"N": None}, counts=["N"])


# ------------------------------------------------------------------ set-up
def test_setup_seeds_and_reports(capsys):
    from helpers import setup
    facts = setup(seed=7)
    line = capsys.readouterr().out
    assert "Keras" in line and f"on {facts['backend']}" in line and "seed 7" in line
    assert facts["gpu"] in (True, False)
    a = np.random.rand(3)
    setup(seed=7, verbose=False)
    assert np.array_equal(a, np.random.rand(3))            # NumPy's global state is seeded
    with pytest.raises(ValueError, match="seed"):
        setup(seed=-1)


def test_peak_memory_is_megabytes():
    from helpers import peak_memory_mb
    assert 10 < peak_memory_mb() < 100_000


# ------------------------------------------------------------------ plots
def test_plots_are_labelled():
    hist = {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7], "accuracy": [0.5, 0.8], "val_accuracy": [0.4, 0.7]}
    assert list(history_frame(hist).index) == [1, 2]
    axes = plot_history(hist, title="demo")
    for ax in axes:
        assert ax.get_title() and ax.get_xlabel() == "epoch" and ax.get_ylabel()
        assert len(ax.get_legend().get_texts()) == 2
    fig = show_images(np.zeros((3, 28, 28)), labels=[0, 1, 2], predictions=[0, 2, 2],
                      class_names=["a", "b", "c"], title="grid")
    assert fig._suptitle.get_text() == "grid"
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles[1] == "b\npred c"
    ax = draw_grid(np.eye(3), title="g", highlight=(0, 0, 2, 2))
    assert ax.get_title() == "g" and ax.get_xlabel() == "column"
    fig = plot_filters(np.random.rand(3, 3, 1, 8))
    assert "Filters" in fig._suptitle.get_text()


def test_feature_maps_plot():
    from helpers.plots import plot_feature_maps
    fig = plot_feature_maps(np.random.rand(5, 5, 10), ncols=4)
    titled = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titled == [f"map {k}" for k in range(10)] and "Feature maps" in fig._suptitle.get_text()


# ------------------------------------------------------------------ seeds and verdicts
def test_spread_and_compare_verdicts():
    from helpers import stats

    assert str(stats.spread([0.9])) == "0.900 (1 seed)"
    assert str(stats.spread([0.9, 0.92])).startswith("0.910 ± 0.014 (2 seeds)")
    clear = stats.compare("A", [0.90, 0.91, 0.92], "B", [0.80, 0.81, 0.79])
    assert clear.verdict == stats.AHEAD and "A is ahead of B" in clear.sentence
    assert stats.compare("A", [0.80, 0.81, 0.79], "B", [0.90, 0.91, 0.92]).verdict == stats.BEHIND
    noisy = stats.compare("A", [0.90, 0.80, 0.95], "B", [0.88, 0.93, 0.82])
    assert noisy.verdict == stats.NOISE and "no winner" in noisy.sentence
    one = stats.compare("A", [0.99], "B", [0.10])
    assert one.verdict == stats.UNKNOWN and "ahead" not in one.sentence
    assert one.as_dict()["noise"] is None and json.dumps(clear.as_dict())
    assert stats.mean_of_last([0.1, 0.5, 0.6, 0.7], k=3) == pytest.approx(0.6)
    with pytest.raises(ValueError):
        stats.spread([])


def test_seed_plots_have_titles_labels_legends():
    import matplotlib.pyplot as plt
    from helpers.plots import bar_seeds, plot_seed_curves

    ax = plot_seed_curves({"a": [[0.1, 0.2], [0.2, 0.3]], "b": [[0.3, 0.4]]}, title="t")
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel() and len(ax.get_legend().texts) == 2
    ax = bar_seeds({"a": [0.5, 0.6], "b": [0.7]}, title="t", chance=0.1)
    assert ax.get_title() and ax.get_ylabel() and ax.get_legend() is not None
    plt.close("all")


def test_splits_record_runs_and_refuse_overlap(capsys):
    from helpers import splits

    idx = np.array([5, 0, 1, 2, 7, 8])
    assert splits._runs(idx) == [[0, 3], [5, 6], [7, 9]]
    assert sorted(splits.expand(splits._runs(idx)).tolist()) == sorted(idx.tolist())
    splits.show_splits("demo", train=("a", np.arange(10)), val=("a", np.arange(10, 12)), test=("b", np.arange(3)))
    assert "train 10 (a), val 2 (a), test 3 (b)" in capsys.readouterr().out
    with pytest.raises(ValueError, match="train/val"):
        splits.show_splits("leak", train=("a", np.arange(10)), val=("a", [9, 10]))


def test_seeds_parameter_is_checked():
    from helpers.params import check_parameters

    check_parameters({"SEEDS": [0, 1]}, seeds=["SEEDS"], history=[])
    for bad in ([], [1, 1], [-1], 3, [1.5]):
        with pytest.raises(ValueError, match="SEEDS"):
            check_parameters({"SEEDS": bad}, seeds=["SEEDS"], history=[])


def test_compare_lower_is_better_and_single_runs():
    from helpers import stats

    lower = stats.compare("x", [0.30, 0.31, 0.29], "y", [0.50, 0.52, 0.49], what="loss", lower_is_better=True)
    assert lower.verdict == stats.BEHIND and "x is lower than y" in lower.sentence
    assert lower.as_dict()["kind"] == "lower is better"
    single = stats.compare_single("a", 0.90, "b", 0.80, sd=0.01, measured_in="section 4")
    assert single.verdict == stats.AHEAD and "a is ahead of b" in single.sentence and "section 4" in single.sentence
    assert stats.compare_single("a", 0.90, "b", 0.89, sd=0.01, measured_in="s").verdict == stats.NOISE
    unknown = stats.compare_single("a", 0.2, "b", 0.3, sd=float("nan"), measured_in="s", lower_is_better=True)
    assert unknown.verdict == stats.UNKNOWN and unknown.as_dict()["sd"] is None
    assert unknown.as_dict()["kind"] == "one run, lower is better"
    assert stats.compare_single("a", 0.90, "b", 0.80, sd=0.01, measured_in="s", sd_seeds=1).verdict == stats.UNKNOWN
    for found in (lower, single, unknown):
        assert stats.Comparison.from_dict(json.loads(json.dumps(found.as_dict()))).sentence == found.sentence


def test_verdict_is_welchs_t_test_at_95_percent():
    """The interval is scipy's Welch t-test inverted: the verdict says 'ahead' exactly when p < 0.05."""
    from scipy.stats import ttest_ind

    from helpers import stats

    rng = np.random.default_rng(0)
    for _ in range(200):
        a, b = rng.normal(0.9, 0.02, size=3), rng.normal(0.9 + rng.normal(0, 0.03), rng.uniform(0.005, 0.04), size=3)
        found = stats.compare("a", a, "b", b)
        p = ttest_ind(a, b, equal_var=False).pvalue
        assert (found.verdict != stats.NOISE) == (p < 0.05), (a, b, p, found.sentence)
        low, high = found.interval
        assert low < found.diff < high and "95% interval" in found.sentence
    # no winner is declared at 95 % in about 5 % of comparisons of equal settings, not 12-18 %
    wins = sum(stats.compare("a", rng.normal(0, 1, 3), "b", rng.normal(0, 1, 3)).verdict != stats.NOISE
               for _ in range(4000))
    assert 0.03 < wins / 4000 < 0.07
    assert stats.compare("a", [0.5, 0.5], "b", [0.5, 0.5]).verdict == stats.NOISE     # no spread, no difference
    assert stats.binomial_sd(0.9, 100) == pytest.approx(0.03)


def test_lecture_effect_entries():
    from helpers import stats

    found = stats.lecture_effect("02.cnn_vs_dense", "CNNs beat dense nets on images",
                                 stats.compare("CNN", [0.97, 0.975, 0.972], "dense", [0.93, 0.935, 0.931]), "ahead")
    assert found["verdict"] == found["expected"] == "ahead" and json.dumps(found)
    assert set(found) >= {"id", "claim", "verdict", "expected", "sentence"}
    with pytest.raises(ValueError, match="expected"):
        stats.lecture_effect("x", "y", stats.compare("a", [1, 2], "b", [1, 2]), "better")
    table = stats.effects_table([found])
    assert table.loc["02.cnn_vs_dense", "as expected"] == "yes"


# ------------------------------------------------------------------ figures with alt text
def test_show_sends_each_figure_with_its_alt_text(monkeypatch):
    import base64

    import matplotlib.pyplot as plt

    from helpers import plots
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda bundle, raw=False: shown.append(bundle))
    plt.figure()
    plt.plot([0, 1], [0, 1])
    plt.title("t")
    plt.figure()
    plt.plot([1, 0])
    plt.title("u")
    plots.show('A rising line from "0" to 1.', "A falling line\n from 1 to 0.")
    assert plt.get_fignums() == []                       # closed: the inline backend shows nothing twice
    assert [b["text/plain"] for b in shown] == ['[figure: A rising line from "0" to 1.]',
                                                "[figure: A falling line from 1 to 0.]"]
    html = shown[0]["text/html"]
    assert 'alt="A rising line from &quot;0&quot; to 1."' in html and "image/png" not in shown[0]
    png = re.search(r'src="data:image/png;base64,([^"]+)"', html).group(1)
    assert base64.b64decode(png).startswith(b"\x89PNG")


@pytest.mark.parametrize("alts, message", [((), "2 open figure"), (("One sentence for both figures.",), "2 open"),
                                           (("a", "b"), "should be a sentence"),
                                           (("A sentence with no full stop", "Another one."), "should be a sentence")])
def test_show_refuses_missing_or_empty_alt_text(alts, message):
    import matplotlib.pyplot as plt

    from helpers import plots
    plt.figure()
    plt.figure()
    with pytest.raises(ValueError, match=message):
        plots.show(*alts)
    assert plt.get_fignums() == []


# ------------------------------------------------------------------ repro: one seed, one start
def _tiny_net(extra=()):
    import keras
    return keras.Sequential([keras.Input(shape=(4,)), *extra, keras.layers.Dense(3, name="dense"),
                             keras.layers.Dense(2, name="out")])


def test_initial_weights_pair_settings_that_share_a_start_and_tell_seeds_apart():
    import keras

    from helpers.repro import initial_weights
    prebuilt = keras.layers.GaussianNoise(0.1)       # built once, outside the build, like 05's augmentation
    plain = initial_weights(_tiny_net, 3, "dense")
    assert np.array_equal(plain, initial_weights(lambda: _tiny_net([prebuilt]), 3, "dense"))
    assert not np.array_equal(plain, initial_weights(_tiny_net, 4, "dense"))


def test_fresh_start_gives_the_weights_of_a_fresh_model_and_a_zeroed_optimizer():
    import keras

    from helpers.repro import fresh_start
    model = _tiny_net()
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((8, 4)), np.ones((8, 2)), epochs=2, verbose=0)
    fresh_start(model, _tiny_net, seed=5)
    keras.utils.set_random_seed(5)
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), _tiny_net().get_weights()))
    assert int(keras.ops.convert_to_numpy(model.optimizer.iterations)) == 0


def test_progress_bars_only_in_a_live_notebook(monkeypatch):
    """helpers.progress: a tqdm bar over the same items when live; the plain items when a script runs the
    notebook (CNN_COURSE_NO_PROGRESS=1, as make outputs, the tests and grading set), so no bar is stored."""
    import helpers
    monkeypatch.setenv("CNN_COURSE_NO_PROGRESS", "1")
    items = [1, 2, 3]
    assert helpers.progress(items, "seeds") is items and helpers.keras_verbose() == 0
    monkeypatch.delenv("CNN_COURSE_NO_PROGRESS")
    bar = helpers.progress(items, "seeds")
    assert list(bar) == items and bar.desc == "seeds" and helpers.keras_verbose() == 1
