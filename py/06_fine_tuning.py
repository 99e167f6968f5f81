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
# # 06 · Fine-tuning: adapting the pretrained base
#
# **Follows:** the transfer-learning part of "Keras & Convolutional Neural Nets" (W4995 Applied Machine Learning, A. Müller, 2019), "Using Keras to build a CNN" (ZJU-UoE Institute, Lecture 15, N. Romanò) and "Convolutional Neural Networks using keras and tensorflow" (course slides, CNN in Keras): fine-tuning VGG16's last block on top of the head trained in notebook 05.
#
# **Learning objectives.** After this notebook you can
# 1. rebuild a pretrained base and put the head trained in notebook 05 back on top, loading its weights into the same architecture;
# 2. freeze everything up to the last convolutional block, check what will train by counting trainable parameters, and avoid the trap of freezing by index on a nested model;
# 3. fine-tune with `SGD(learning_rate=1e-4, momentum=0.9)` and judge, over several seeds and on a test set used once, whether it beats the bottleneck head of 05;
# 4. test the lecture's precautions (a trained head first, a small learning rate with a non-adaptive optimizer, early blocks frozen) and report what they change at this scale, including "nothing measurable";
# 5. keep batch normalization in inference mode when fine-tuning a base that has it (`base(x, training=False)`, frozen BN layers), and check that it really is.
#
# **What it needs.** The heads that notebook 05 saved in `build/artifacts/` (if they are missing, this notebook trains them again, the same way, and says so). Offline by default, like 05: the template CNNs in `data/` and the MNIST sample; a few minutes on a laptop CPU. `PRETRAINED = "imagenet"` runs the lecture's VGG16 on cats vs dogs after `make data`: fine-tuning VGG16 wants a GPU, the set-up cell prints what it costs on a CPU.
#
# **On Colab:** [open this notebook in Colab](https://colab.research.google.com/github/cnn-course/cnn-course/blob/main/notebooks/06_fine_tuning.ipynb). Its first code cell fetches the course's files there and installs what Colab lacks; choose a GPU runtime (Runtime → Change runtime type).

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
PRETRAINED = "template"   # pretrained network: "template" (offline: Fashion-MNIST -> digits) or "imagenet" (lecture: VGG16 -> cats vs dogs)
N_TRAIN_PER_CLASS = None  # labelled training images per class, as in 05; None: 30 digits (template) or 1,000 (imagenet, as the lecture)
N_VAL_PER_CLASS = None    # validation images per class, as in 05; None: 50 (template) or 200 (imagenet, as the lecture)
N_TEST_PER_CLASS = None   # test images per class, used once at the end, as in 05; None: 100 (template) or 300 (imagenet)
EPOCHS = 20               # fine-tuning epochs per run; each keeps its epoch of lowest validation loss (lecture: 50, the last)
LEARNING_RATE = 1e-2      # SGD learning rate of our main fine-tuning run (lecture: 1e-4, which is also run below)
FINE_TUNE_FROM = None     # first trainable layer of the base; None: block5_conv1 (imagenet, the lecture's last block) or block2_conv1 (template: its last two of three blocks, see section 3)
BAD_LEARNING_RATE = 0.3   # a far too large rate, to see what it does to the pretrained features
BN_EPOCHS = 3             # fine-tuning epochs of the base with batch normalization (section 6)
HEAD_EPOCHS = 10          # epochs of the fresh heads that judge a base's features (section 5), and of 05's heads if missing
BATCH_SIZE = 32           # lecture: 16
AUGMENT = True            # lecture: True (augmented images while fine-tuning); gentler settings for digits, see below
IMAGE_SIZE = 150          # imagenet path: the photos are loaded at IMAGE_SIZE x IMAGE_SIZE, as in 05 (lecture: 150x150)
SEEDS = [42, 43, 44]      # one head per seed (from 05), and every compared fine-tuning run once per seed
SEED = 42                 # which images go to training, validation and test (as in 05)

# %% tags=["nbval-ignore-output"]
import helpers
helpers.check_parameters(globals(), choices={"PRETRAINED": ["template", "imagenet"]},
                         counts=["N_TRAIN_PER_CLASS", "N_VAL_PER_CLASS", "N_TEST_PER_CLASS", "EPOCHS", "BN_EPOCHS",
                                 "HEAD_EPOCHS", "BATCH_SIZE"],
                         positive=["LEARNING_RATE", "BAD_LEARNING_RATE"], at_least={"IMAGE_SIZE": 32}, seeds=["SEEDS"])
helpers.setup(seed=SEED)

import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
import keras
from keras import layers
from helpers import data, exercises, plots, stats, transfer
from helpers.splits import show_splits
from helpers.transfer import build_head, build_preprocess, load_task, loss_for, make_splits, split_pool  # as in 05
import json
import time

IMAGENET = PRETRAINED == "imagenet"
n_train_per_class = N_TRAIN_PER_CLASS or (1000 if IMAGENET else 30)
n_val_per_class = N_VAL_PER_CLASS or (200 if IMAGENET else 50)
n_test_per_class = N_TEST_PER_CLASS or (300 if IMAGENET else 100)
transfer.describe_pretrained(PRETRAINED)
if IMAGENET:    # before the long cells: what this path costs on a CPU (measured with tools/measure_imagenet_cost.py)
    helpers.estimate.imagenet_cost_estimate(2 * n_train_per_class, 2 * n_val_per_class, IMAGE_SIZE,
                                            epochs=EPOCHS * 5 * len(SEEDS))     # 5 fine-tuning runs per seed (sections 4-5)

# %% [markdown]
# ## 1. The same data and the same base as in 05
#
# Notebook 05 explains the two paths: `"imagenet"` is the lecture's VGG16 on cats and dogs, `"template"` (the offline default) is the course's small CNN pretrained on Fashion-MNIST, reused for digits. The cells below make the same training, validation and test images as 05, with the same seed, 05's functions and 05's code (for the photos: training photos from `train/`, validation and test photos from `validation/`), so that the heads 05 trained fit them. As in 05, every choice (which epoch to keep, which variant is better) is made on the validation images; the test images are used once, in section 7.

# %% tags=["nbval-ignore-output"]
folder = data.artifacts_dir()
facts_file = folder / f"{PRETRAINED}_head.json"           # what 05 saved with its heads, if it ran
facts_05 = json.loads(facts_file.read_text()) if facts_file.exists() else {}
wanted = {"pretrained": PRETRAINED, "n_train_per_class": n_train_per_class, "n_val_per_class": n_val_per_class,
          "n_test_per_class": n_test_per_class, "seed": SEED, "image_size": IMAGE_SIZE if IMAGENET else 28}
fits = all(facts_05.get(k) == v for k, v in wanted.items())
n_pool_per_class = facts_05["n_pool_per_class"] if fits else n_val_per_class + n_train_per_class   # 05's pool if it fits
ds = load_task(PRETRAINED, seed=SEED, image_size=IMAGE_SIZE)   # 05's functions and code below: the same images
print(ds.provenance)
class_names, n_classes = ds.class_names, len(ds.class_names)
x_pool, y_pool, train, val, rest, test, parts = make_splits(ds, IMAGENET, n_pool_per_class, n_train_per_class,
                                                           n_val_per_class, n_test_per_class, seed=SEED)
x_train, y_train = x_pool[train], y_pool[train]
x_val, y_val = x_pool[val], y_pool[val]
x_test, y_test = ds.x_test[test].astype("float32"), ds.y_test[test]
show_splits("06", **parts)
helpers.record("data", {"name": ds.name, "class_names": class_names})


# %% [markdown]
# The pretrained base, rebuilt fresh from its weights file, and the preprocessing it expects (both as in 05). We wrap the base in a function because every experiment below must start from the *pretrained* weights: fine-tuning changes them. Unlike bottleneck features, fine-tuning passes the images through the base at every step, so it can use data augmentation again, as the lecture does. For digits we use gentler settings than the lecture's: in 05 its 40° turns and 20% shifts held the scratch model back, and a mirrored digit is not a digit.

# %% tags=["nbval-ignore-output"]
def build_base():
    """The pretrained convolutional base, as loaded in 05 (include_top=False)."""
    if IMAGENET:
        return transfer.vgg16_base(IMAGE_SIZE)   # VGG16(weights="imagenet", include_top=False, input_shape=...)
    return transfer.template_base()              # the template CNN up to block3_pool, SHA-256-checked weights

preprocess = build_preprocess(PRETRAINED, IMAGE_SIZE)   # 05's function

def build_augmentation():
    if IMAGENET:    # the lecture's augmentation, as in 05
        return keras.Sequential([
            layers.RandomRotation(40 / 360, fill_mode="nearest"),
            layers.RandomTranslation(0.2, 0.2, fill_mode="nearest"),
            layers.RandomShear(x_factor=0.2, fill_mode="nearest"),
            layers.RandomZoom(0.2, 0.2, fill_mode="nearest"),
            layers.RandomFlip("horizontal"),
        ], name="augmentation")
    return transfer.digit_augmentation()        # 05's augmentation for digits: small turns, shifts and zooms, no flip

base = build_base()


# %% [markdown]
# ## 2. Put the trained heads back on top
#
# Weights can only be loaded into the architecture they came from, so each head is rebuilt with exactly 05's code: `Flatten`, `Dense(256, relu)`, `Dropout(0.5)`, output layer. 05 trained one head per seed; their weights are loaded from the files 05 saved, if those were made with the same path, data and seeds; otherwise the heads are trained here the way 05 trains them (bottleneck features, `rmsprop`, the epoch of lowest validation loss kept), with a message.

# %% tags=["nbval-ignore-output"]
LOSS = loss_for(n_classes)      # and build_head(input_shape, n_classes): 05's code, imported above

# %% tags=["nbval-ignore-output"]
extractor = keras.Sequential([keras.Input(shape=x_train.shape[1:]), preprocess, base])
trained_heads, sources = {}, []
for seed in helpers.progress(SEEDS, "heads"):
    keras.utils.set_random_seed(seed)
    head = build_head(base.output.shape[1:], n_classes)
    head_file = folder / f"{PRETRAINED}_head_seed{seed}.weights.h5"
    if fits and seed in facts_05.get("seeds", []) and head_file.exists():
        head.load_weights(head_file)
        sources.append("trained in 05")
    else:
        if "features_train" not in globals():
            features_train = extractor.predict(x_train, batch_size=64, verbose=0)
            features_val = extractor.predict(x_val, batch_size=64, verbose=0)
        head.compile(optimizer="rmsprop", loss=LOSS, metrics=["accuracy"])
        head.fit(features_train, y_train, validation_data=(features_val, y_val), epochs=HEAD_EPOCHS,
                 batch_size=BATCH_SIZE, verbose=0, callbacks=[keras.callbacks.EarlyStopping(
                     monitor="val_loss", patience=HEAD_EPOCHS, restore_best_weights=True)])
        sources.append("trained here")
    trained_heads[seed] = head.get_weights()     # kept for the experiments below
head_source = sources[0] if len(set(sources)) == 1 else "some trained in 05, some here"
print(f"No head from notebook 05 for these settings and seeds in {folder} (run 05 first to reuse them): trained "
      f"{sources.count('trained here')} here as 05 does (bottleneck features, rmsprop), for HEAD_EPOCHS = {HEAD_EPOCHS} "
      f"epochs (05 uses its EPOCHS)." if "trained here" in sources else
      f"Loaded the {len(SEEDS)} heads that notebook 05 trained ({PRETRAINED}_head_seed*.weights.h5).")

# %% [markdown]
# The whole model is the augmentation, the preprocessing, the base and the head, one after the other. Before any fine-tuning it is exactly 05's bottleneck classifier (augmentation is off when predicting), so its validation accuracy is 05's, up to rounding in the features.
#
# > **Then and now.** Keras 2 code of the lecture's time joins base and head with `Model(input=base_model.input, output=top_model(base_model.output))`; Keras 3 only accepts `Model(inputs=..., outputs=...)`. Here a `Sequential` of the parts does the same.

# %% tags=["nbval-ignore-output"]
model = keras.Sequential([keras.Input(shape=x_train.shape[1:]), *([build_augmentation()] if AUGMENT else []),
                          preprocess, base, head], name="fine_tuned")      # head: the last seed's, with its weights
model.compile(loss=LOSS, metrics=["accuracy"])     # only to evaluate; fine-tuning compiles again
val_before = []
for seed in SEEDS:
    head.set_weights(trained_heads[seed])
    val_before.append(model.evaluate(x_val, y_val, verbose=0)[1])
print(f"validation accuracy before fine-tuning (05's heads): {stats.spread(val_before)}")


# %% [markdown]
# ## 3. Which layers learn? Freezing, and counting what is trainable
#
# Every layer has a `trainable` flag. Training changes only the weights in `model.trainable_weights`, so the honest test of any freezing code is to **count** them, before and after. A freshly loaded base is fully trainable:

# %% tags=["nbval-ignore-output"]
def n_trainable(model):
    """How many parameters training would change."""
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))

def layer_table(base):
    """Index, name, parameters and trainable flag of each layer of a base (the input layer shown as 'input')."""
    rows = [(i, "input" if isinstance(layer, keras.layers.InputLayer) else layer.name, layer.count_params(), layer.trainable)
            for i, layer in enumerate(base.layers)]
    return pd.DataFrame(rows, columns=["index", "layer", "parameters", "trainable"]).set_index("index")


# %% tags=["nbval-check-output"]
trainable_before = n_trainable(model)
print(f"trainable parameters: base {n_trainable(base):,}, head {n_trainable(head):,}, whole model {trainable_before:,}")
# %% [markdown]
# ### The lecture's recipe on VGG16, and a trap
#
# The lecture freezes "everything up to the last convolutional block" with `for layer in model.layers[:25]: layer.trainable = False`. Let us check it on Keras 3's VGG16. Counting layers needs no download: `weights=None` builds the same network with random weights.

# %% tags=["nbval-check-output"]
vgg = keras.applications.VGG16(weights=None, include_top=False, input_shape=(150, 150, 3))
print(layer_table(vgg).to_string())

# %% [markdown]
# Block 5 starts at **layer 15** (`block5_conv1`); layer 0 is the input. Freezing layers 0–14 leaves block 5 trainable:

# %% tags=["nbval-check-output"]
for layer in vgg.layers[:15]:
    layer.trainable = False
vgg_block5_trainable = n_trainable(vgg)
print(f"layer 15 is {vgg.layers[15].name}; trainable parameters in the base: {vgg_block5_trainable:,} "
      f"of {vgg.count_params():,}")

# %% [markdown]
# Now the lecture's line. Its 25 probably counted an older, hand-written VGG16 with a padding layer before every convolution; Keras 3's has none. Put the base (block 5 trainable) and the lecture's head in one model: a model that contains the base as **one** layer has only a handful of entries in `model.layers`, and `[:25]` is all of them, so the base *and the head* are frozen and training changes nothing. (`Model(inputs=vgg.input, outputs=head(vgg.output))` gives 20 layers, and `[:25]` still freezes them all.)

# %% tags=["nbval-check-output"]
lecture_model = keras.Sequential([keras.Input(shape=(150, 150, 3)), vgg, layers.Flatten(),
                                  layers.Dense(256, activation="relu"), layers.Dropout(0.5),
                                  layers.Dense(1, activation="sigmoid")])
print(f"{len(lecture_model.layers)} layers: {[layer.__class__.__name__ for layer in lecture_model.layers]}")
print(f"before: {n_trainable(lecture_model):,} trainable parameters")
for layer in lecture_model.layers[:25]:          # the lecture's line
    layer.trainable = False
lecture_trainable = n_trainable(lecture_model)
print(f"after model.layers[:25]: {lecture_trainable:,} trainable parameters")

# %% [markdown]
# Two more traps. A frozen *parent* makes the counts disagree: after `base.trainable = False`, switching one inner layer back on leaves the base's own count at 0, yet a model built on the base trains that layer (Keras 3 collects every weight whose own flag is on). And on the TensorFlow backend, setting `trainable` to the value it already has does nothing at all, so `base.trainable = True` on a trainable base does *not* unfreeze the layers you froze one by one. The safe recipe: make the parent trainable, then set every inner layer's flag explicitly:

# %% tags=["nbval-check-output"]
vgg.trainable = False
vgg.get_layer("block5_conv1").trainable = True
print(f"parent frozen, block5_conv1.trainable={vgg.get_layer('block5_conv1').trainable}: {n_trainable(vgg):,} "
      f"trainable parameters in the base, {n_trainable(keras.Sequential([vgg])):,} in a model built on it")
vgg.trainable = True                       # the parent first
for i, layer in enumerate(vgg.layers):
    layer.trainable = i >= 15              # then every layer: frozen before block5_conv1, trainable from it on
print(f"parent trainable, every layer set: {n_trainable(vgg):,} trainable parameters")

# %% [markdown]
# ### ✏️ Exercise 1 — one more block of VGG16
#
# How many trainable parameters does VGG16's base have if you fine-tune blocks 4 *and* 5 (everything from `block4_conv1` on)? Use the layer table above.

# %% tags=["answer", "nbval-ignore-output"]
answer = ...   # a whole number

# %% tags=["check", "nbval-ignore-output"]
block4 = [layer.name for layer in vgg.layers].index("block4_conv1")
for i, layer in enumerate(vgg.layers):
    layer.trainable = i >= block4
helpers.check("VGG16 blocks 4-5 trainable", answer, n_trainable(vgg),
              hint="add the parameters of layers 11 to 18 of the table (pooling layers have none)",
              mistakes=[(sum(layer.count_params() for layer in vgg.layers[block4 + 1:]), "block4_conv1 itself is trainable too"),
                        (sum(layer.count_params() for layer in vgg.layers[block4 + 4:]), "that is block 5 alone; add block 4")])

# %% tags=["solution", "nbval-ignore-output"]
answer = sum(layer.count_params() for layer in vgg.layers[block4:])
helpers.check("VGG16 blocks 4-5 trainable", answer, n_trainable(vgg))

# %% [markdown]
# ### ✏️ Exercise 2 — the recipe as a function: `freeze_before`
#
# Write `freeze_before(base, layer_name)`: freeze the layers of `base` before the one called `layer_name`, make it and the layers after it trainable, and return its index in `base.layers`. Find the index by *name* (it depends on how the network was written) and follow the safe recipe above. The check runs your function on small bases you did not write, some frozen as a whole first (as in 05), and takes one SGD step to see that exactly the layers from `layer_name` on move.

# %% tags=["answer", "nbval-ignore-output"]
def freeze_before(base, layer_name):
    # your code: find the layer's index by name, make the base trainable, set every layer's flag, return the index
    ...

# %% tags=["check", "nbval-check-output"]
helpers.check_function("freeze_before", exercises.freezing_outcome(freeze_before), exercises.freezing_truth,
                       exercises.FREEZING_CASES, hint="[layer.name for layer in base.layers].index(layer_name)",
                       mistakes=exercises.freezing_mistakes())

# %% tags=["solution", "nbval-check-output"]
#| export
def freeze_before(base, layer_name):
    """Freeze the layers of `base` before `layer_name`, train it and the layers after it; returns its
    index."""
    first = [layer.name for layer in base.layers].index(layer_name)
    base.trainable = True                   # the parent first: a frozen parent hides its layers
    for i, layer in enumerate(base.layers):
        layer.trainable = i >= first
    return first

helpers.check_function("freeze_before", exercises.freezing_outcome(freeze_before), exercises.freezing_truth,
                       exercises.FREEZING_CASES)

# %% [markdown]
# ### Freezing our base up to its top blocks
#
# **Which blocks?** The lecture fine-tunes VGG16's last block of 5: 7.1 of its 14.7 million weights. Our template's last block is a single convolution, and fine-tuning it alone moves accuracy by less than the noise between seeds (try `FINE_TUNE_FROM = "block3_conv1"`). So on the template path we fine-tune from `block2_conv1`: the last two of three blocks. Block 1, the general edge and blob detectors, stays frozen, as the lecture's early blocks do. The flags take effect when the model is compiled, so fine-tuning compiles again.

# %% tags=["nbval-check-output"]
freeze_before = exercises.freeze_before_to_use(freeze_before)    # yours once it passes the check
last_block = FINE_TUNE_FROM or ("block5_conv1" if IMAGENET else "block2_conv1")   # the first layer we fine-tune
first = freeze_before(base, last_block)
trainable_base, trainable_after_freezing = n_trainable(base), n_trainable(model)
print(layer_table(base).to_string())
print(f"\nfirst trainable layer: {first} ({last_block})")


# %% [markdown]
# ### ✏️ Exercise 3 — what SGD will update
#
# From the layer table just printed and the head's summary in notebook 05: how many parameters will fine-tuning change in our model (the trainable layers of the base *and* the head)? The check prints the count.

# %% tags=["answer", "nbval-ignore-output"]
answer = ...   # a whole number

# %% tags=["check", "nbval-ignore-output"]
helpers.check("parameters fine-tuning updates", answer, trainable_after_freezing,
              hint="sum the 'parameters' column where 'trainable' is True, then add the head's count_params()",
              mistakes=[(trainable_base, "the head trains too: add its count_params()"),
                        (base.count_params() + head.count_params(), "the frozen layers do not change: count only "
                         "the rows where 'trainable' is True")])
print(f"trainable parameters: base {trainable_base:,}, head {n_trainable(head):,}, whole model {trainable_after_freezing:,}")

# %% tags=["solution", "nbval-ignore-output"]
table = layer_table(base)
answer = int(table.parameters[table.trainable].sum()) + head.count_params()
helpers.check("parameters fine-tuning updates", answer, trainable_after_freezing)

# %% [markdown]
# ## 4. Fine-tuning with the lecture's optimizer
#
# The lecture fine-tunes with plain stochastic gradient descent, `SGD(learning_rate=1e-4, momentum=0.9)`, for 50 epochs. Every run below starts from a fresh copy of the pretrained base and the trained head of one seed, keeps the epoch with the lowest validation loss (as in 05), and is repeated for every seed in `SEEDS`. We also measure how far the kernel of the last block moves, relative to its pretrained size, and check that the frozen blocks did not move at all.
#
# > **Then and now.** Keras 2 code writes `optimizers.SGD(lr=1e-4, momentum=0.9)`; Keras 3 only accepts `learning_rate=`. `fit_generator(...)` became `fit(...)`.

# %% tags=["nbval-ignore-output"]
def build_model(seed, trained_head=True, first_trainable=last_block):
    """A fresh pretrained base, frozen before `first_trainable`, with the seed's trained head (or a random one)."""
    keras.utils.set_random_seed(seed)
    base = build_base()
    freeze_before(base, first_trainable)
    head = build_head(base.output.shape[1:], n_classes)
    if trained_head:
        head.set_weights(trained_heads[seed])
    return keras.Sequential([keras.Input(shape=x_train.shape[1:]), *([build_augmentation()] if AUGMENT else []),
                             preprocess, base, head], name="fine_tuned")


def fine_tune(model, learning_rate, epochs=EPOCHS, optimizer=None):
    """Fine-tune with SGD (momentum 0.9) unless another optimizer is given; keep the epoch of lowest validation loss."""
    model.compile(optimizer=optimizer or keras.optimizers.SGD(learning_rate=learning_rate, momentum=0.9),
                  loss=LOSS, metrics=["accuracy"])
    return model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=epochs, batch_size=BATCH_SIZE,
                     verbose=0, callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", patience=epochs,
                                                                         restore_best_weights=True)])

pretrained = {layer.name: [w.copy() for w in layer.get_weights()] for layer in build_base().layers if layer.weights}

def moved(model, layer_name=last_block):
    """Distance of a layer's kernel from its pretrained value, relative to the pretrained kernel's size."""
    kernel = model.layers[-2].get_layer(layer_name).get_weights()[0]      # model.layers[-2] is the base
    return float(np.linalg.norm(kernel - pretrained[layer_name][0]) / np.linalg.norm(pretrained[layer_name][0]))


def run(name, **options):
    """Build and fine-tune one model per seed; return the models, histories and validation accuracies (kept epochs)."""
    learning_rate = options.pop("learning_rate", LEARNING_RATE)
    optimizer, epochs = options.pop("optimizer", None), options.pop("epochs", EPOCHS)
    models, histories, start = [], [], time.perf_counter()
    for seed in helpers.progress(SEEDS, name):     # built and trained right after its seed is set: each run repeatable
        models.append(build_model(seed, **options))
        histories.append(fine_tune(models[-1], learning_rate, epochs, optimizer() if optimizer else None))
    seconds = (time.perf_counter() - start) / len(models)
    best = [h.history["val_accuracy"][int(np.argmin(h.history["val_loss"]))] for h in histories]   # the kept epoch's
    print(f"{name}: validation accuracy (kept epoch) {stats.spread(best)}; last block moved "
          f"{np.mean([moved(m) for m in models]):.4f} (relative, mean over seeds); "
          f"{n_trainable(models[0]):,} trainable parameters, {seconds:.1f} s per run")
    return {"models": models, "histories": histories, "val": best, "moved": [moved(m) for m in models],
            "seconds": seconds}


runs = {"lecture": run("SGD 1e-4 (the lecture's rate)", learning_rate=1e-4)}

# %% [markdown]
# Did fine-tuning leave exactly the intended layers trainable, and did the frozen ones stay put?

# %% tags=["nbval-ignore-output"]
fine_tuned_base = runs["lecture"]["models"][0].layers[-2]
first = [layer.name for layer in fine_tuned_base.layers].index(last_block)
still_trainable = [layer.name for layer in fine_tuned_base.layers if layer.trainable and layer.weights]
frozen_unchanged = all(np.array_equal(w, w0) for layer in fine_tuned_base.layers[:first] if layer.weights
                       for w, w0 in zip(layer.get_weights(), pretrained[layer.name]))
print(f"layers with trainable weights: {still_trainable}; frozen weights unchanged: {frozen_unchanged}")


# %% [markdown]
# With the lecture's rate the block barely moves in our short runs: SGD's step is the learning rate times the gradient, the head is already good (small gradients), and we take far fewer steps than the lecture (50 epochs of 125 batches). `LEARNING_RATE` (1e-2 by default, 100× the lecture's) takes larger steps, still with plain SGD; how far the block moved is printed with each run. Which rate goes to the test set is decided on validation, in section 7.

# %% tags=["nbval-ignore-output"]
runs["main"] = run(f"SGD {LEARNING_RATE:g}")

# %% tags=["nbval-ignore-output"]
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
plots.plot_seed_curves({"SGD 1e-4 (lecture)": [h.history["val_accuracy"] for h in runs["lecture"]["histories"]],
                        f"SGD {LEARNING_RATE:g}": [h.history["val_accuracy"] for h in runs["main"]["histories"]]},
                       ax=axes[0], title="Fine-tuning")
axes[0].axhline(np.mean(val_before), color="gray", ls=":", label="before fine-tuning (mean)")
axes[0].legend()
plots.bar_seeds({"before (05's head)": val_before, "SGD 1e-4": runs["lecture"]["val"],
                 f"SGD {LEARNING_RATE:g}": runs["main"]["val"]}, ax=axes[1], chance=1 / n_classes,
                title="Best validation epoch", ylabel="validation accuracy")
plt.tight_layout()
plots.show("Line chart of validation accuracy per epoch while fine-tuning with SGD at 1e-4 and at "
           f"{LEARNING_RATE:g}, with seed bands and a dotted line for the accuracy before fine-tuning, and a bar "
           "chart of the kept epochs (lowest validation loss).")
fine_tune_verdict = stats.compare(f"fine-tuned (SGD {LEARNING_RATE:g})", runs["main"]["val"], "bottleneck head (05)",
                                  val_before, what="validation accuracy")
print(fine_tune_verdict)

# %% [markdown]
# Note that the bottleneck head's validation accuracy is the *starting point* of every fine-tuning run, and each run keeps its best epoch among epochs 1 to `EPOCHS`: the starting point itself is not a candidate, so a fine-tuned model can end below its head. Whether it is really better is for the test set to say (section 7).
#
# **Why can training accuracy sit below validation accuracy?** The training accuracy Keras reports is measured while training: on augmented images, with the head's dropout switching off half of its units. Validation runs in inference mode: original images, no dropout. So the two are not measured the same way, and the training curve of a fine-tuning run can sit *below* the validation curve, the opposite of over-fitting. Below: one run's curves, and the training images measured in inference mode too.

# %% tags=["nbval-ignore-output"]
history = runs["main"]["histories"][0]
model_ft = runs["main"]["models"][0]            # restored to its best epoch
plots.plot_history(history, title=f"Fine-tuning, SGD {LEARNING_RATE:g}, seed {SEEDS[0]}")
plots.show("Two line charts, loss and accuracy per epoch, training and validation, for one fine-tuning run with "
           f"SGD at {LEARNING_RATE:g}.")
best = int(np.argmin(history.history["val_loss"]))
print(f"seed {SEEDS[0]}, epoch {best + 1} (the one kept): training accuracy while training (augmented, dropout on) "
      f"{history.history['accuracy'][best]:.3f}, validation {history.history['val_accuracy'][best]:.3f}, "
      f"the training images in inference mode {model_ft.evaluate(x_train, y_train, verbose=0)[1]:.3f}")

# %% [markdown]
# ## 5. The lecture's precautions, tested
#
# The lecture gives three precautions for fine-tuning: fine-tune only on top of a *trained* head, use a *small learning rate* with a *non-adaptive optimizer* (SGD), and keep the *early blocks frozen*. Each is tested below over the seeds, and the verdicts are computed; "no measurable effect at this scale" is a finding too.
#
# ### 5.1 Fine-tune only a trained head
#
# The lecture's reason: a randomly initialised head produces large errors, and so large gradients, which flow back into the unfrozen block and change the pretrained filters to suit a head that does not yet know anything. Same fine-tuning, same rate, but with a random head:

# %% tags=["nbval-ignore-output"]
runs["random_head"] = run(f"random head, SGD {LEARNING_RATE:g}", trained_head=False)
random_head_verdict = stats.compare("trained head", runs["main"]["val"], "random head", runs["random_head"]["val"],
                                    what="validation accuracy after fine-tuning")
print(random_head_verdict)
# the lecture's mechanism: how far the large updates of a random head move the pretrained block (same seeds: paired)
random_head_moved = stats.compare_paired("trained head", runs["main"]["moved"], "random head", runs["random_head"]["moved"],
                                         what=f"distance {last_block} moved from its pretrained kernel (relative)",
                                         lower_is_better=True)
print(random_head_moved)

# %% [markdown]
# The second line measures the lecture's mechanism directly: how far the random head's large updates moved the pretrained block, seed by seed against the trained head's (a paired t-test: both runs of a seed start from the same base). The accuracy in the first line mixes two things: the random head's own unfinished training, and possible damage to the base. To judge the base alone, train a fresh head on its features with 05's recipe: damaged features give a worse head than the pretrained ones.

# %% tags=["nbval-ignore-output"]
def judge_features(bases, seeds):
    """For each base and seed: the validation accuracy (epoch of lowest validation loss) of a fresh head trained, as in 05, on the
    base's features (a base given several times is run over the images once)."""
    extracted, scores = {}, []
    for base, seed in zip(bases, seeds):
        if id(base) not in extracted:
            extractor = keras.Sequential([keras.Input(shape=x_train.shape[1:]), preprocess, base])
            extracted[id(base)] = (extractor.predict(x_train, batch_size=64, verbose=0),
                                   extractor.predict(x_val, batch_size=64, verbose=0))
        features_train, features_val = extracted[id(base)]
        keras.utils.set_random_seed(seed)
        fresh = build_head(features_train.shape[1:], n_classes)
        fresh.compile(optimizer="rmsprop", loss=LOSS, metrics=["accuracy"])
        history = fresh.fit(features_train, y_train, validation_data=(features_val, y_val), epochs=HEAD_EPOCHS,
                            batch_size=BATCH_SIZE, verbose=0)
        scores.append(history.history["val_accuracy"][int(np.argmin(history.history["val_loss"]))])
    return scores

features = {"random_head": judge_features([m.layers[-2] for m in runs["random_head"]["models"]], SEEDS)}
features["pretrained"] = judge_features([build_base()] * len(SEEDS), SEEDS)   # one base, one extraction
damage_verdict = stats.compare("fresh head on the base fine-tuned with a random head", features["random_head"],
                               "on the pretrained base", features["pretrained"], what="validation accuracy")
print(damage_verdict)
print("block moved (mean over seeds): "
      f"{np.mean(runs['random_head']['moved']):.4f} with a random head, {np.mean(runs['main']['moved']):.4f} with a trained one")

# %% [markdown]
# How large the damage is depends on the learning rate and on how long the random head's large errors last. With a small rate and a small block the random head may learn faster than it harms: if the verdict above finds no winner, that is the finding at this scale, not a refutation of the lecture. With VGG16, a 2-million-weight head and a larger rate the warning matters more; try the random head with a larger `LEARNING_RATE`.
#
# ### 5.2 A small learning rate and a non-adaptive optimizer
#
# Fine-tuning should nudge good weights, not replace them. With SGD each step is proportional to the gradient, so a small rate means small, careful changes. Adaptive optimizers such as Adam or RMSprop divide each weight's step by a running size of its gradients, so every unfrozen weight moves by about the learning rate per step, even where the gradient is tiny and noisy. And any optimizer with too large a rate can wreck the model: whether it also damaged the features themselves, or only threw the head off, a fresh head on the features tells. The too-large rate, tested (Adam is one line away: see *Going further* below):

# %% tags=["nbval-ignore-output"]
runs["bad_lr"] = run(f"SGD {BAD_LEARNING_RATE:g} (too large)", learning_rate=BAD_LEARNING_RATE)
features["bad_lr"] = judge_features([m.layers[-2] for m in runs["bad_lr"]["models"]], SEEDS)
bad_lr_verdict = stats.compare(f"SGD {LEARNING_RATE:g}", runs["main"]["val"], f"SGD {BAD_LEARNING_RATE:g}",
                               runs["bad_lr"]["val"], what="validation accuracy after fine-tuning")
bad_features_verdict = stats.compare("fresh head on the pretrained base", features["pretrained"],
                                     f"on the base after SGD {BAD_LEARNING_RATE:g}", features["bad_lr"],
                                     what="validation accuracy")
for verdict in (bad_lr_verdict, bad_features_verdict):
    print(verdict, end="\n\n")
print(f"block moved (mean over seeds): SGD {LEARNING_RATE:g} {np.mean(runs['main']['moved']):.4f}, "
      f"SGD {BAD_LEARNING_RATE:g} {np.mean(runs['bad_lr']['moved']):.4f}")

# %% [markdown]
# ### 5.3 Keep the early blocks frozen
#
# The first blocks compute general features (edges, blobs, textures) that suit almost any image; the last block's are the most specific to the source task, so that is where adapting pays. Every unfrozen weight is also one more thing a few hundred labelled images must pin down: the more we unfreeze, the more the network can over-fit. And it costs compute, though not for the reason often given. The forward pass of each VGG16 block, counted in multiply-adds for one 224×224 image (ImageNet's size), is *not* largest in the first block:

# %% tags=["nbval-check-output"]
vgg224 = keras.applications.VGG16(weights=None, include_top=False, input_shape=(224, 224, 3))
macs = {}
for layer in vgg224.layers:
    if isinstance(layer, layers.Conv2D):
        h, w, c_out = layer.output.shape[1:]
        kh, kw, c_in, _ = layer.kernel.shape
        macs[layer.name.split("_")[0]] = macs.get(layer.name.split("_")[0], 0) + h * w * c_out * kh * kw * c_in
print(pd.Series({block: f"{m / 1e9:.2f}" for block, m in macs.items()}, name="GMAC per image").to_string())

# %% [markdown]
# The real costs of unfreezing an early block are elsewhere: gradients must be back-propagated through every block above it down to it, and the large activation maps of the early layers (224×224×64 numbers per image in block 1) must be kept in memory for that backward pass. Fine-tuning only the last block back-propagates through one block and stores the small maps near the top.
#
# ### ✏️ Exercise 4 — predict, run, explain: one more block (the lecture's exercise)
#
# The lecture challenges you to beat its fine-tuned result, for instance by fine-tuning one more block. **Predict** first: if we also unfreeze the block before the ones we fine-tune (`block4_conv1` on VGG16, `block1_conv1` on the template, where section 3 already fine-tunes two of its three blocks), with the same training, will it be `"ahead"`, `"behind"` or `"within noise"` of our main fine-tuned model, over the seeds? Write it below (the experiment refuses to run before), run it, then explain. (To really *beat* a model, the difference must be larger than the noise between seeds: a better number from one run is not enough.)

# %% tags=["answer", "nbval-ignore-output"]
prediction = ...   # your prediction: "ahead", "behind" or "within noise" (one more block vs the main fine-tuned model)

# %% tags=["solution", "nbval-ignore-output"]
prediction = "within noise"   # the first block's general features suit digits already; more weights, few images

# %% tags=["nbval-ignore-output"]
helpers.require_prediction(prediction, stats.CHOICES)
one_more_block = "block4_conv1" if IMAGENET else "block1_conv1"   # the block before the first one fine-tuned
runs["one_more_block"] = run(f"from {one_more_block} on, SGD {LEARNING_RATE:g}", first_trainable=one_more_block)
one_more_verdict = stats.compare("one more block", runs["one_more_block"]["val"], "main fine-tuned model",
                                 runs["main"]["val"], what="validation accuracy")
print(one_more_verdict)

# %% [markdown]
# **Explain** the outcome in a few sentences: what did the extra block add, in trainable weights and in seconds per run (both printed above), and why did that help, hurt or change nothing here?

# %% tags=["answer", "nbval-ignore-output"]
explanation = ...   # a few sentences, as a string: "..."

# %% tags=["check", "nbval-ignore-output"]
helpers.check_prediction("one more block: your prediction", prediction, stats.CHOICES, one_more_verdict.verdict)
helpers.check_explanation("one more block: your explanation", explanation, about=["block", "weight", "feature"])

# %% tags=["solution", "nbval-ignore-output"]
explanation = """Unfreezing one more block adds its weights to what SGD changes and makes every step longer,
because the gradients must flow back through that block too (the seconds per run above). The early block holds
general features, edges and blobs, that suit the new images already, so there is little to gain from adapting
it, while a few hundred labelled images must now pin down more weights. Unless the verdict above finds a
difference beyond the noise between seeds, the extra block cost time and bought nothing measurable."""
helpers.check_explanation("one more block: your explanation", explanation, about=["block", "weight", "feature"])

# %% [markdown]
# *Going further.* Adam instead of SGD: `run("Adam", optimizer=lambda: keras.optimizers.Adam(learning_rate=LEARNING_RATE))`, then compare its `"val"` scores with `runs["main"]["val"]` using `stats.compare`, and look at how far it moved the block (`"moved"`). More dropout in the head (`layers.Dropout(0.6)`) or an L2 penalty (`kernel_regularizer=keras.regularizers.l2(1e-4)` on its `Dense` layer) are the lecture's other suggestions; build such a head, fine-tune it over `SEEDS` with `fine_tune`, and compare with `stats.compare(...)`. A win counts only when the printed verdict says "ahead".

# %% [markdown]
# ## 6. Batch normalization: the trap of fine-tuning a modern base
#
# VGG16, like our template, has no BatchNormalization layers. Almost every network pretrained since 2015 has them (ResNet, MobileNet, EfficientNet, ...), and with them fine-tuning has one more trap.
#
# Recall notebook 03: a BatchNormalization (BN) layer normalizes each channel, then scales and shifts it with two learned weights, γ and β. It works in two modes:
# - **training mode** (inside `fit`): it normalizes with the mean and variance *of the current batch*, and nudges its two non-trainable weights, `moving_mean` and `moving_variance`, towards them: `moving = momentum · moving + (1 − momentum) · batch`, with `momentum = 0.99` in Keras;
# - **inference mode** (`predict`, `evaluate`): it normalizes with `moving_mean` and `moving_variance`, the statistics of the data the network was trained on.
#
# The moving statistics of a pretrained base are part of what it learned: they describe the *source* data (ImageNet for the real networks, Fashion-MNIST for our template) as its filters see it. A head trained on bottleneck features (05) has learned to read features normalized with them. Now fine-tune with the top of the base unfrozen and its BN layers in training mode:
# 1. every training batch is normalized with its own statistics, those of a few dozen images of a *different* data set, so the head receives features on another scale than it was trained on, and its errors flow back into the unfrozen block;
# 2. the moving statistics drift towards the new data's, estimated from small, noisy batches. After a short fine-tuning they are neither the old statistics nor the new ones, so in evaluation the network computes something that neither pretraining nor fine-tuning ever saw.
#
# **Two ways to keep BN in inference mode while fine-tuning.**
# - The rule of Keras' transfer-learning guide: build the model with `base(inputs, training=False)`. The argument is meant to fix the mode of everything inside the base, so that its BN layers keep normalizing with their moving statistics, and never update them, even once the top of the base is unfrozen. `Sequential([..., base, head])` cannot pass that argument, so such a model is built with the functional API.
# - Freeze the BN layers themselves. In Keras 3, `trainable = False` on a BN layer does two things: γ and β stop learning, *and* the layer runs in inference mode, even inside `fit`. That is why the frozen early blocks of a base are safe; but fine-tuning unfreezes the top block, BN layers included, unless we freeze them again one by one.
#
# We test both, and look at the moving statistics to see what each really did.
#
# > **Then and now.** In Keras 2.2 (the lecture's time, TensorFlow 1), `trainable = False` on a BN layer froze γ and β, but inside `fit` the layer still normalized with the batch statistics: a frozen base with BN layers was not really frozen. Since the Keras of TensorFlow 2.0, a frozen BN layer runs in inference mode, and Keras 3 keeps that rule.
#
# To see the trap we need a base with BN layers. `make template` also trains a variant of the template with a BN layer after each convolution (`Conv2D` without activation, `BatchNormalization`, ReLU), on the same images and settings; its weights and moving statistics are shipped in `data/` with their SHA-256. The code, as trained:

# %% tags=["nbval-check-output"]
#| export
def build_template_bn_cnn(num_classes=10):
    """The template CNN with batch normalization, untrained."""
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1), name="image"),
        layers.Conv2D(32, 3, padding="same", use_bias=False, name="block1_conv1"),   # BN's beta is the bias
        layers.BatchNormalization(name="block1_bn"),
        layers.Activation("relu", name="block1_relu"),
        layers.MaxPooling2D(2, name="block1_pool"),                                  # 14x14x32
        layers.Conv2D(64, 3, padding="same", use_bias=False, name="block2_conv1"),
        layers.BatchNormalization(name="block2_bn"),
        layers.Activation("relu", name="block2_relu"),
        layers.MaxPooling2D(2, name="block2_pool"),                                  # 7x7x64
        layers.Conv2D(128, 3, padding="same", use_bias=False, name="block3_conv1"),
        layers.BatchNormalization(name="block3_bn"),
        layers.Activation("relu", name="block3_relu"),
        layers.MaxPooling2D(2, name="block3_pool"),                                  # 3x3x128
        layers.Flatten(name="flatten"),                   # the "top": replaced when transferring
        layers.Dense(128, activation="relu", name="fc1"),
        layers.Dropout(0.5, name="fc1_dropout"),
        layers.Dense(num_classes, activation="softmax", name="predictions"),
    ], name="template_bn_cnn")


bn_facts = transfer.template_bn_manifest()
print(f"BN template: trained on {bn_facts['source_data']}, {bn_facts['epochs']} epochs, "
      f"test accuracy {bn_facts['test_accuracy']:.3f} (the plain template: {transfer.template_manifest()['test_accuracy']:.3f})")

# %% [markdown]
# The BN template was trained on 28×28 grey images scaled to [0, 1], so this section always uses digits, as the template path does (on the `imagenet` path it loads the same digits the template path would use).

# %% tags=["nbval-ignore-output"]
if IMAGENET:    # extra code: the digits of the template path, for the BN template
    digits = load_task("template", seed=SEED)
    d_train, d_val, _ = split_pool(digits.y_train, 30, 50, seed=SEED)
    xb_train, yb_train, xb_val, yb_val = (digits.x_train[d_train], digits.y_train[d_train],
                                          digits.x_train[d_val], digits.y_train[d_val])
else:
    xb_train, yb_train, xb_val, yb_val = x_train, y_train, x_val, y_val
xb_train, xb_val = xb_train.astype("float32") / 255, xb_val.astype("float32") / 255
print(f"digits for this section: {len(xb_train)} training, {len(xb_val)} validation images")

# %% [markdown]
# Its base, loaded from the checked file (`transfer.template_bn_base()` builds it with the code above and keeps the layers up to `block3_pool`), frozen up to its last block as in section 3. Which BN layers would run in training mode inside `fit`?

# %% tags=["nbval-check-output"]
base_bn = transfer.template_bn_base()
freeze_before(base_bn, "block3_conv1")      # section 3's recipe: the last block unfrozen
for layer in base_bn.layers:
    if isinstance(layer, layers.BatchNormalization):
        mode = "training mode in fit (batch statistics)" if layer.trainable else "inference mode (moving statistics)"
        print(f"{layer.name}: trainable={layer.trainable} -> {mode}")
bn3 = base_bn.get_layer("block3_bn")
moving_mean_0 = keras.ops.convert_to_numpy(bn3.moving_mean).copy()        # pretrained on Fashion-MNIST
moving_var_0 = keras.ops.convert_to_numpy(bn3.moving_variance).copy()

# %% [markdown]
# How different are digits from clothes, for `block3_bn`? Its input is the output of `block3_conv1`; we compare the digits' mean and variance per channel with the pretrained moving statistics, in units of the pretrained standard deviation.

# %% tags=["nbval-ignore-output"]
to_bn3 = keras.Model(base_bn.inputs, base_bn.get_layer("block3_conv1").output)
block3_inputs = to_bn3.predict(xb_train, verbose=0)                 # inputs in [0, 1], as in training
digits_mean, digits_var = block3_inputs.mean(axis=(0, 1, 2)), block3_inputs.var(axis=(0, 1, 2))
shift = np.median(np.abs(digits_mean - moving_mean_0) / np.sqrt(moving_var_0))
ratio = np.median(digits_var / moving_var_0)
print(f"block3_bn, median over its {len(moving_mean_0)} channels: the digits' mean is {shift:.2f} pretrained standard "
      f"deviations away from the moving mean, and their variance is {ratio:.2f} x the moving variance.")
bn_steps = BN_EPOCHS * int(np.ceil(len(xb_train) / BATCH_SIZE))
print(f"In training mode, {bn_steps} batches ({BN_EPOCHS} epochs of {bn_steps // BN_EPOCHS} batches of {BATCH_SIZE} images) move the moving statistics "
      f"1 - {bn3.momentum:g}^{bn_steps} = {1 - bn3.momentum ** bn_steps:.0%} of the way towards the batches' statistics.")

# %% [markdown]
# ### The experiment
#
# For each seed in `SEEDS`: a fresh pretrained BN base and a head trained first on its bottleneck features (05's recipe, the lecture's first precaution). Then the same fine-tuning of the last block (SGD, `LEARNING_RATE`, `BN_EPOCHS` epochs, batches of `BATCH_SIZE`, no augmentation), three times from the same start, with the same seed; only the way the base is called differs:
# - **BN training mode**: `base(inputs)`, nothing said: `block3_bn` is trainable, so it runs in training mode;
# - **training=False**: `base(inputs, training=False)`, the guide's rule;
# - **BN frozen**: `base(inputs)`, but every BN layer of the base set to `trainable = False`.
#
# We score each on the validation images and measure how far `block3_bn`'s moving mean and variance moved from their pretrained values (the norm of the change over the norm of the pretrained vector).

# %% tags=["nbval-ignore-output"]
BN_TRAINING, BN_ARGUMENT, BN_FROZEN = "BN training mode", "training=False", "BN frozen"


def train_bn_head(seed):
    """05's recipe on the BN base: a head trained on the base's bottleneck features. Returns its weights
    and its validation accuracy (before any fine-tuning)."""
    keras.utils.set_random_seed(seed)
    base = transfer.template_bn_base()
    features_train = base.predict(xb_train, verbose=0)
    head = build_head(base.output.shape[1:], 10)
    head.compile(optimizer="rmsprop", loss=loss_for(10), metrics=["accuracy"])
    head.fit(features_train, yb_train, epochs=HEAD_EPOCHS, batch_size=BATCH_SIZE, verbose=0)
    return head.get_weights(), head.evaluate(base.predict(xb_val, verbose=0), yb_val, verbose=0)[1]


def fine_tune_bn(seed, head_weights, way):
    """Fine-tune the last block of a fresh BN base under the trained head, the BN layers handled `way`.
    Returns the validation accuracy and how far block3_bn's moving mean and variance moved."""
    keras.utils.set_random_seed(seed)
    base = transfer.template_bn_base()
    freeze_before(base, "block3_conv1")
    if way == BN_FROZEN:
        for layer in base.layers:
            if isinstance(layer, layers.BatchNormalization):
                layer.trainable = False          # Keras 3: a frozen BN layer runs in inference mode
    head = build_head(base.output.shape[1:], 10)
    head.set_weights(head_weights)
    inputs = keras.Input(shape=xb_train.shape[1:])
    features = base(inputs, training=False) if way == BN_ARGUMENT else base(inputs)
    model = keras.Model(inputs, head(features))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=LEARNING_RATE, momentum=0.9),
                  loss=loss_for(10), metrics=["accuracy"])
    model.fit(xb_train, yb_train, epochs=BN_EPOCHS, batch_size=BATCH_SIZE, verbose=0)
    bn = base.get_layer("block3_bn")
    mean, var = keras.ops.convert_to_numpy(bn.moving_mean), keras.ops.convert_to_numpy(bn.moving_variance)
    drift = {"mean": float(np.linalg.norm(mean - moving_mean_0) / np.linalg.norm(moving_mean_0)),
             "variance": float(np.linalg.norm(var - moving_var_0) / np.linalg.norm(moving_var_0))}
    return model.evaluate(xb_val, yb_val, verbose=0)[1], drift


bn_scores = {"head only": [], BN_TRAINING: [], BN_ARGUMENT: [], BN_FROZEN: []}
bn_drift = {BN_TRAINING: [], BN_ARGUMENT: [], BN_FROZEN: []}
for seed in helpers.progress(SEEDS, "BN base, per seed"):
    head_weights, acc_head = train_bn_head(seed)
    bn_scores["head only"].append(acc_head)
    for way in bn_drift:
        accuracy, drift = fine_tune_bn(seed, head_weights, way)
        bn_scores[way].append(accuracy)
        bn_drift[way].append(drift)

# %% [markdown]
# First, what each way did to `block3_bn`'s moving statistics. Inference mode leaves them exactly as pretrained; any change means the layer ran in training mode.

# %% tags=["nbval-ignore-output"]
for way, drifts in bn_drift.items():
    print(f"{way:>16}: moving mean changed by {stats.spread([d['mean'] for d in drifts])}, "
          f"moving variance by {stats.spread([d['variance'] for d in drifts])} (relative to the pretrained values)")
kept = transfer.what_bn_kept(bn_scores, bn_drift, BN_TRAINING, BN_ARGUMENT, BN_FROZEN)   # printed: which way kept them

# %% [markdown]
# Then what it did to accuracy. The bars show the mean over seeds with ±1 standard deviation, and the head alone, before fine-tuning, as the starting point (not a fair rival: the fine-tuned models also trained their head for more epochs); the verdict below is computed from the numbers.

# %% tags=["nbval-ignore-output"]
plots.bar_seeds(bn_scores, title=f"Fine-tuning a base with BN ({BN_EPOCHS} epochs, batches of {BATCH_SIZE})",
                ylabel="validation accuracy", chance=1 / 10)
plots.show("Bar chart of validation accuracy of a head alone and of a base with batch normalization fine-tuned "
           f"in {len(bn_scores) - 1} ways, with error bars over seeds and a dashed chance line.")
bn_verdict = stats.compare(BN_FROZEN, bn_scores[BN_FROZEN], BN_TRAINING, bn_scores[BN_TRAINING],
                              what="validation accuracy after fine-tuning")
print(bn_verdict)

# %% [markdown]
# How large the trap is depends on the base and the data: it grows with the number of BN layers that run in training mode (dozens in a ResNet, one in our top block), with smaller batches (noisier batch statistics) and with the distance between the source statistics and the new data's (printed above for `block3_bn`). Whatever its size on this run, the habit to keep when fine-tuning any base with BN layers: keep them in inference mode, and *check* it, as above, by comparing the moving statistics before and after training.

# %% [markdown]
# ## 7. Fine-tuning vs 05, on the test set
#
# Everything so far was chosen on the validation images. One more choice, made the same way: of the two SGD rates of section 4 (the lecture's 1e-4 and our `LEARNING_RATE`), the one with the better mean validation accuracy goes to the test. Then its fine-tuned models (one per seed) and the bottleneck heads they started from meet the test images, once. Each fine-tuned model started from the head of its own seed and is scored on the same test images, so the verdict compares them seed by seed (a paired t-test): what counts is how much fine-tuning changed each head, not how the heads of different seeds differ.

# %% tags=["nbval-ignore-output"]
before_model = build_model(SEEDS[0])          # a pretrained base and a trained head, not fine-tuned
before_model.compile(loss=LOSS, metrics=["accuracy"])
test_before = []
for seed in SEEDS:
    before_model.layers[-1].set_weights(trained_heads[seed])
    test_before.append(before_model.evaluate(x_test, y_test, verbose=0)[1])
chosen = max(["main", "lecture"], key=lambda name: np.mean(runs[name]["val"]))
chosen_label = f"fine-tuned (SGD {LEARNING_RATE:g})" if chosen == "main" else "fine-tuned (SGD 1e-4, the lecture's rate)"
print(f"chosen on validation: {chosen_label}")
test_ft = [m.evaluate(x_test, y_test, verbose=0)[1] for m in runs[chosen]["models"]]
test_verdict = stats.compare_paired(chosen_label, test_ft, "bottleneck head (05)", test_before,   # seed by seed
                                    what=f"test accuracy ({len(y_test):,} images)")
print(test_verdict)
lecture_effects = [
    stats.lecture_effect("05.fine_tuning", "Fine-tuning the top of the pretrained base beats the bottleneck head "
                         "(test accuracy)", test_verdict, expected="ahead"),
    stats.lecture_effect("05.trained_head", "Fine-tune only on top of a trained head: a random head's large updates "
                         "move (wreck) the pretrained features", random_head_moved, expected="ahead",
                         beside=random_head_verdict),
]
stats.show_effects(lecture_effects)     # recorded for the tests and the report, shown as a table

# %% [markdown]
# In the lecture fine-tuning took VGG16 from about 90% to about 95% on cats vs dogs (validation accuracy, 50 epochs). On the template path expect much less: the head is already good, the last block holds few weights, a few hundred labelled digits carry little information to adapt them with, and training is short. The verdicts above say whether the gain is larger than the noise between seeds on this run.

# %% [markdown]
# ## Summary
#
# - **Rebuild and reload** (sections 1–2): the pretrained base again, and 05's heads loaded into the same architecture (trained again here, with a message, when 05's files are missing); the same training, validation and test images as 05.
# - **Freeze up to the last block** (section 3): count `trainable_weights` before and after. In Keras 3's VGG16 block 5 starts at layer 15 of the base (`block5_conv1`); the lecture's `model.layers[:25]` on a model that nests the base freezes everything, head included; a frozen parent overrides its layers' flags, and `trainable = True` on an already trainable base changes nothing: set every layer's flag.
# - **Fine-tune** (section 4) with `SGD(learning_rate=1e-4, momentum=0.9)` as the lecture, and with a 10× larger rate, each run's movement of the last block measured; the frozen blocks provably did not change. Training accuracy below validation accuracy comes from augmentation and dropout being on while training.
# - **Precautions** (section 5): a trained head first, a small learning rate with SGD, early blocks frozen — each measured over seeds, with the verdict printed from the numbers; the compute cost of unfreezing early blocks is back-propagation and activation memory, not the blocks' own forward cost.
# - **Batch normalization** (section 6): keep a base's BN layers in inference mode while fine-tuning (the guide's `base(x, training=False)`, and BN layers set to `trainable = False`), and check it from the moving statistics: the printed lines say which of the two did it in the Keras this ran on, and what it changed in accuracy.
# - **Test set** (section 7): fine-tuned vs bottleneck head on images no choice has seen.
#
# This run next to the lecture's. They are on the same task only on the `imagenet` path; on the template path the task is 10 digit classes (chance 0.10), the lecture's cats vs dogs (2 classes, chance 0.50), and the columns cannot be compared.

# %% tags=["nbval-ignore-output"]
peak_mb = helpers.peak_memory_mb()
lecture = helpers.lecture_values("06")     # the lecture's numbers, settings and task, from data/lecture_values.json
task = f"{'cats vs dogs' if IMAGENET else 'MNIST digits'} ({n_classes} classes, chance {1 / n_classes:.2f})"
epochs_of = {"before": facts_05["epochs"] if head_source == "trained in 05" else HEAD_EPOCHS, "fine_tune": EPOCHS}
comparable = {entry.id: entry.comparable(IMAGENET, "MNIST digits", entry.smaller_setting(
    len(train), epochs_of.get(entry.id, EPOCHS), "here the epoch of lowest validation loss, scored on test images; the lecture's "
    "last epoch, on validation images")) for entry in lecture}    # a setting smaller than the lecture's is named
lecture.record(task=task, same_task=IMAGENET, comparable=comparable)   # for the results report
rows = {"task": (task, str(lecture.task), "same task" if IMAGENET else "no: another task"),
        "pretrained network": (PRETRAINED, lecture.task.network, ""),
        "labelled training images": (f"{n_train_per_class} x {n_classes}",
                                     f"{lecture.task.train_per_class:,} x {lecture.task.classes}", ""),
        "seeds": (f"{len(SEEDS)}", "1", ""),
        "bottleneck head (test acc.)": (helpers.lecture.run_text(test_before), lecture["before"].text, comparable["before"]),
        f"{chosen_label} (test acc.)": (helpers.lecture.run_text(test_ft), lecture["fine_tune"].text, comparable["fine_tune"]),
        "fine-tuned vs bottleneck on test": (test_verdict.verdict, "-", ""),
        "trainable parameters while fine-tuning": (f"{trainable_after_freezing:,}", f"{vgg_block5_trainable:,} + head (block 5)", ""),
        "peak memory of this notebook": (f"{peak_mb:.0f} MB", "-", "")}
summary = pd.DataFrame.from_dict(rows, orient="index", columns=["this run", "lecture", "comparable?"])
print(summary.to_string())
helpers.record("verdicts", {name: v.as_dict() for name, v in {
    "fine_tune": fine_tune_verdict, "random_head": random_head_verdict, "random_head_moved": random_head_moved,
    "damage": damage_verdict, "bad_lr": bad_lr_verdict, "bad_lr_features": bad_features_verdict,
    "one_more_block": one_more_verdict, "bn": bn_verdict, "test": test_verdict}.items()})
helpers.record("results", {
    "pretrained": PRETRAINED, "provenance": ds.provenance, "head_source": head_source, "seeds": SEEDS,
    "split_sizes": {"train": len(train), "validation": len(val), "test": len(test)},
    "trainable_before_freezing": trainable_before, "first_trainable_layer": first,
    "trainable_base_after_freezing": trainable_base, "trainable_after_freezing": trainable_after_freezing,
    "trainable_after_fine_tuning": n_trainable(model_ft), "trainable_layers_after_fine_tuning": still_trainable,
    "frozen_weights_unchanged": frozen_unchanged, "vgg16_block5_trainable": vgg_block5_trainable,
    "lecture_freeze_trainable": lecture_trainable, "vgg16_block_gmac": {b: m / 1e9 for b, m in macs.items()},
    "val_accuracy": {"before": val_before} | {name: r["val"] for name, r in runs.items()},
    "moved": {name: r["moved"] for name, r in runs.items()}, "features_after": features, "chosen_for_test": chosen,
    "test_accuracy": {"before": test_before, "fine_tune": test_ft},
    "bn": {"val_accuracy": bn_scores, "drift": bn_drift, "statistics_kept": kept}, "peak_memory_mb": peak_mb})
