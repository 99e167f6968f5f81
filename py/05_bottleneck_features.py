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
# # 05 · Bottleneck features: reusing a pretrained convnet
#
# **Follows:** the transfer-learning part of "Keras & Convolutional Neural Nets" (W4995 Applied Machine Learning, A. Müller, 2019), "Using Keras to build a CNN" (ZJU-UoE Institute, Lecture 15, N. Romanò) and "Convolutional Neural Networks using keras and tensorflow" (course slides, CNN in Keras): a small convnet from scratch on 1,000 + 1,000 cat and dog images, then VGG16's bottleneck features (lecture 15 takes VGG16 to CIFAR-10).
#
# **Learning objectives.** After this notebook you can
# 1. train the lecture's small convnet from scratch, with data augmentation written as Keras 3 preprocessing layers (and say which augmentations suit which images);
# 2. use a pretrained convolutional base as a fixed feature extractor: run every image through it once, save the *bottleneck features* with `np.save`, and train a small dense head on them;
# 3. explain, with timings, why this is much cheaper than training end to end;
# 4. judge honestly when transfer learning helps: several seeds, a validation set to choose on and a test set used once, and a curve of accuracy against the number of labelled images per class;
# 5. spot and avoid two bugs in the lecture's code (wrong preprocessing for VGG16, labels that rely on an unshuffled generator).
#
# **What it needs.** Offline (the default): the MNIST sample of the course's packages and the course's *template* CNN in `data/` (1 MB). About 2 minutes on a laptop CPU. With `PRETRAINED = "imagenet"`: the lecture's VGG16 ImageNet weights (59 MB) and the cats vs dogs photos (69 MB), fetched once by `make data`; tens of minutes on a CPU, a few on a GPU.
#
# **On Colab:** [open this notebook in Colab](https://colab.research.google.com/github/cnn-course/cnn-course/blob/main/notebooks/05_bottleneck_features.ipynb). Its first code cell fetches the course's files there and installs what Colab lacks; choose a GPU runtime (Runtime → Change runtime type).

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
PRETRAINED = "template"  # pretrained network: "template" (offline: our CNN, Fashion-MNIST -> digits) or "imagenet" (lecture: VGG16 -> cats vs dogs)
N_TRAIN_PER_CLASS = None # labelled training images per class; None: 30 digits (template) or 1,000 (imagenet: all of train/, as the lecture)
N_VAL_PER_CLASS = None   # validation images per class; None: 50 digits set aside from the pool (template) or 200 photos from validation/ (imagenet, as the lecture)
N_TEST_PER_CLASS = None  # test images per class, used once at the end; None: all 100 test digits (template) or 300 photos from validation/ (imagenet; the lecture had none)
EPOCHS = 30              # epochs for every model; each keeps the weights of its lowest validation loss (lecture: 50, the last epoch)
BATCH_SIZE = 32          # lecture: 16
AUGMENT_FLIP = None      # horizontal flips in the augmentation (lecture: True); None: for cats and dogs, not for digits
IMAGE_SIZE = 150         # imagenet path: the photos are loaded at IMAGE_SIZE x IMAGE_SIZE (lecture: 150x150)
CURVE = [5, 10, 30]      # labelled images per class for the learning curve (not in the lecture; 100 adds about a minute); [] skips it
SEEDS = [42, 43, 44]     # every compared model is trained once per seed (lecture: one run)
SEED = 42                # which images go to training, validation and test

# %% tags=["nbval-ignore-output"]
import helpers
helpers.check_parameters(globals(), choices={"PRETRAINED": ["template", "imagenet"]},
                         counts=["N_TRAIN_PER_CLASS", "N_VAL_PER_CLASS", "N_TEST_PER_CLASS", "EPOCHS", "BATCH_SIZE",
                                 "CURVE"], at_least={"IMAGE_SIZE": 32}, seeds=["SEEDS"])
helpers.setup(seed=SEED)

import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
import keras
from keras import layers
from helpers import data, exercises, plots, stats, transfer
from helpers.splits import show_splits
from helpers.lessons import EpochTimer
import json
import time

IMAGENET = PRETRAINED == "imagenet"
n_train_per_class = N_TRAIN_PER_CLASS or (1000 if IMAGENET else 30)
n_val_per_class = N_VAL_PER_CLASS or (200 if IMAGENET else 50)
n_test_per_class = N_TEST_PER_CLASS or (300 if IMAGENET else 100)
flip = IMAGENET if AUGMENT_FLIP is None else AUGMENT_FLIP
transfer.describe_pretrained(PRETRAINED)
if IMAGENET:    # before the long cells: what this path costs on a CPU (measured with tools/measure_imagenet_cost.py)
    helpers.estimate.imagenet_cost_estimate(2 * n_train_per_class, 2 * (n_val_per_class + n_test_per_class), IMAGE_SIZE)

# %% [markdown]
# ## 1. Two paths to the same lesson
#
# The lecture's experiment needs two downloads: VGG16's ImageNet weights and cats-and-dogs photos (the subset of Kaggle's Dogs vs. Cats used by TensorFlow's transfer-learning tutorial). With `PRETRAINED = "imagenet"` this notebook runs exactly that once `make data` has fetched the files; without them it stops at the data cell and says how to get them. Offline, the same ideas run on a smaller pair: a **template CNN** that this course pretrained on all 60,000 Fashion-MNIST images (clothes, shoes and bags; `tools/train_template.py` retrains it), reused for handwritten **digits**. Both are transfer learning: a network trained on a large *source* data set lends its convolutional base to a *target* task with few labels. The scale differs: VGG16's base has 14.7 million parameters learned from 1.2 million photos, many of them dogs and cats; the template's has under a hundred thousand, learned from clothing, which looks less like digits than ImageNet looks like pets. Read every number below as *this* path's result.
#
# **Why 30 digits per class on the offline path.** Transfer learning pays where the lecture used it: a related source task with many labels, a target task with few. At 30 labelled digits per class a convnet trained from scratch has too little to learn its filters from, while the template's pretrained filters are already there, so the bottleneck head has the advantage the lecture describes. With more labels the condition weakens: the scratch model learns filters made for digits, the template's were made for clothes, and the two meet (section 6 draws that curve; add larger numbers to `CURVE` to see where). Fine-tuning (notebook 06) starts from these same 30 images per class.

# %% [markdown]
# ## 2. The data: training, validation and test images
#
# The lecture trains on 1,000 cats and 1,000 dogs and validates on 200 of each. On the ImageNet path they are the same kind of photos: `cats_and_dogs_filtered`, the subset of Kaggle's Dogs vs. Cats photos that TensorFlow's transfer-learning tutorial uses, in the lecture's layout: `train/cats` and `train/dogs` (1,000 JPEGs each), `validation/cats` and `validation/dogs` (500 each), photos of many sizes, loaded here at `IMAGE_SIZE`×`IMAGE_SIZE` (150×150, the lecture's size). The training photos come from `train/`; the validation photos (200 per class, the lecture's) and the test photos (300 per class) both come from `validation/`, never the same photo. On the template path we pretend labels are scarce: `N_TRAIN_PER_CLASS` digits of each class (30 by default).
#
# > **Then and now.** The lecture read the folders with `ImageDataGenerator(rescale=1./255).flow_from_directory(train_dir, target_size=(150, 150), batch_size=16, class_mode='binary')`; Keras 3 reads them with `keras.utils.image_dataset_from_directory(train_dir, image_size=(150, 150), batch_size=..., label_mode='binary')` (or `label_mode='int'`, as below), which returns batches of (images, labels) with pixels 0..255 (scaling is a layer in the model now). Both take the class indices from the sorted folder names: `cats` = 0, `dogs` = 1 (`class_names` lists them). With `shuffle=False` the files come in a known order (folder by folder, file names sorted) and each label is read with its photo, so the lecture's bug of typing the labels by hand as `[0] * 1000 + [1] * 1000` cannot happen here: there is nothing to type.
#
# This notebook *chooses* things: which epoch of each training run to keep, whether augmentation helps, and which scratch model to compare transfer learning with. Choices are made on the **validation** images, so they are no longer a fair judge of the model chosen on them. A third set, the **test** images, is touched once, at the very end, to report the chosen models. (The lecture chose on the images it reported; with its one run that costs little, but here we choose more.)
#
# - the *pool*: labelled images we may use; the validation images are set aside from it first, and every training subset below is drawn from the rest (for the photos: the photos of `train/`, and the validation photos set aside from `validation/`);
# - the *test* images: from the data set's test split, which no model ever trains or chooses on (for the photos: the other photos of `validation/`).
#
# `transfer.make_splits` draws them, class by class, from the seed.

# %% tags=["nbval-ignore-output"]
#| export
def load_photos(folder, image_size):
    """Every photo in folder/cats and folder/dogs, resized to image_size x image_size, in a known order:
    uint8 images, labels (0 = cats, 1 = dogs: the sorted folder names) and the class names."""
    photos = keras.utils.image_dataset_from_directory(
        folder, label_mode="int", image_size=(image_size, image_size), batch_size=100,
        shuffle=False)       # folder by folder, file names sorted: every label stays with its photo
    batches = [(images.round().astype("uint8"), labels) for images, labels in photos.as_numpy_iterator()]
    x = np.concatenate([images for images, _ in batches])
    y = np.concatenate([labels for _, labels in batches]).astype("int64")
    return x, y, photos.class_names


#| export
def load_task(pretrained, seed, image_size=150):
    """The target task, as a Dataset whose images have a channel axis. imagenet: the lecture's cats vs dogs
    photos at image_size, every photo of train/ (x_train) and of validation/ (x_test); template: MNIST
    digits, a labelled pool (x_train) and test digits (x_test)."""
    if pretrained == "imagenet":
        folder = data.cats_and_dogs_dir()    # offline this raises DataUnavailable, with the command that fetches the data
        x_train, y_train, class_names = load_photos(folder / "train", image_size)
        x_test, y_test, _ = load_photos(folder / "validation", image_size)
        return data.Dataset("Cats vs dogs photos", x_train, y_train, x_test, y_test, class_names,
                            f"{folder} (train/ as train, validation/ as test: validation and test photos "
                            f"are both drawn from it), resized to {image_size}x{image_size}")
    ds = data.load_mnist(seed=seed)                         # offline: 4,000 + 1,000 real digits
    ds.x_train, ds.x_test = ds.x_train[..., None], ds.x_test[..., None]   # 28x28 -> 28x28x1
    return ds


# %% tags=["nbval-ignore-output"]
n_pool_per_class = n_val_per_class + max([n_train_per_class, *CURVE])     # validation + the largest training set
ds = load_task(PRETRAINED, seed=SEED, image_size=IMAGE_SIZE)
print(ds.provenance)
class_names, n_classes = ds.class_names, len(ds.class_names)
x_pool, y_pool, train, val, rest, test, parts = transfer.make_splits(   # validation first, then training from the rest
    ds, IMAGENET, n_pool_per_class, n_train_per_class, n_val_per_class, n_test_per_class, seed=SEED)
x_train, y_train = x_pool[train], y_pool[train]
x_val, y_val = x_pool[val], y_pool[val]
x_test, y_test = ds.x_test[test].astype("float32"), ds.y_test[test]
show_splits("05", **parts)
helpers.record("data", {"name": ds.name, "class_names": class_names})
print(f"per class: training {np.bincount(y_train).tolist()}, validation {np.bincount(y_val).tolist()}, "
      f"test {np.bincount(y_test).tolist()}; chance level {1 / n_classes:.2f}")

# %% tags=["nbval-ignore-output"]
plots.show_images(x_train[:16].astype("uint8"), y_train[:16], class_names, title="Some training images", ncols=8)
plots.show("A grid of 16 training images, each titled with its label.")

# %% [markdown]
# ## 3. Baseline: a small convnet from scratch, with data augmentation
#
# The lecture's baseline is a small convnet trained from nothing but the labelled images: three stages of `Conv2D` (32, 32 and 64 filters of 3×3, ReLU) and `MaxPooling2D(2)`, then `Flatten`, `Dense(64)` with ReLU, `Dropout(0.5)` and one sigmoid unit for cat-or-dog, trained with `binary_crossentropy` and `rmsprop`. With ten digit classes the output becomes `Dense(10, softmax)` and the loss `sparse_categorical_crossentropy`; everything else is the lecture's.
#
# With 2,000 images the lecture fought over-fitting with **data augmentation**: every epoch sees randomly rotated, shifted, sheared, zoomed and flipped versions of the images, so the network never sees the same picture twice.
#
# > **Then and now.** The lecture used `ImageDataGenerator(...)` with `model.fit_generator(...)`. Both are gone from Keras 3: augmentation is a stack of preprocessing layers, active only while training, and `fit` accepts arrays, datasets and generators alike. Each argument maps to a layer:
# >
# > | `ImageDataGenerator(...)` (lecture) | Keras 3 layer | note |
# > |---|---|---|
# > | `rotation_range=40` (degrees) | `RandomRotation(40 / 360)` | the factor is a fraction of a full turn |
# > | `width_shift_range=0.2`, `height_shift_range=0.2` | `RandomTranslation(0.2, 0.2)` | fractions of height and width |
# > | `shear_range=0.2` | `RandomShear(x_factor=0.2)` | the old value was a shear angle: in radians up to Keras 2.1.2 (0.2 rad ≈ 11°), in degrees from 2.1.3 on (0.2° is invisible); the new factor is the shear's slope, 0.2 ≈ 11° |
# > | `zoom_range=0.2` | `RandomZoom(0.2, 0.2)` | height and width zoom drawn independently, as before |
# > | `horizontal_flip=True` | `RandomFlip("horizontal")` | only where a mirror image keeps its label |
# > | `fill_mode='nearest'` | `fill_mode="nearest"` on each layer | how pixels that move in from outside are filled |
# > | `rescale=1./255` | `Rescaling(1 / 255)` | inside the model, so it also applies at prediction time |

# %% tags=["nbval-ignore-output"]
augmentation = keras.Sequential([
    layers.RandomRotation(40 / 360, fill_mode="nearest"),         # rotation_range=40
    layers.RandomTranslation(0.2, 0.2, fill_mode="nearest"),      # height_shift_range=0.2, width_shift_range=0.2
    layers.RandomShear(x_factor=0.2, fill_mode="nearest"),        # shear_range=0.2
    layers.RandomZoom(0.2, 0.2, fill_mode="nearest"),             # zoom_range=0.2
    *([layers.RandomFlip("horizontal")] if flip else []),         # horizontal_flip=True
], name="augmentation")
print("augmentation layers:", [layer.__class__.__name__ for layer in augmentation.layers])


#| export
def digit_augmentation():
    """Augmentation that keeps a digit a digit: small turns, shifts and zooms, no flip, black where
    pixels move in. Introduced in notebook 05, section 3."""
    return keras.Sequential([
        layers.RandomRotation(8 / 360, fill_mode="constant"),
        layers.RandomTranslation(0.08, 0.08, fill_mode="constant"),
        layers.RandomZoom(0.08, 0.08, fill_mode="constant"),
    ], name="digit_augmentation")


# the arms of the experiment: no augmentation, the lecture's, and (for digits) one that suits the images
augmentations = {"none": None, "the lecture's": augmentation}
if not IMAGENET:
    augmentations["for digits"] = digit_augmentation()
suited = "the lecture's" if IMAGENET else "for digits"      # the augmentation that keeps these images' labels true

# %% tags=["nbval-ignore-output"]
rows = []
for image in x_train[:4]:           # each row: the original, then 7 random versions of it
    rows += [image, *np.asarray(augmentation(np.repeat(image[None], 7, axis=0), training=True))]
plots.show_images(np.clip(rows, 0, 255).astype("uint8"), title="Original (left) and seven augmented versions", ncols=8)
plots.show("A grid of four training images in rows, each followed by seven randomly augmented versions of it "
           "(the lecture's augmentation): turned, shifted, sheared and zoomed.")

# %% [markdown]
# **A flip is not always harmless.** A mirrored cat is still a cat, so the lecture flips its photos; a mirrored 2, 3, 4, 7 or 9 is no digit anyone writes, so on the digit path `AUGMENT_FLIP` defaults to `False`. Augmentations must keep the label true: a 40° turn makes some 6s look like 9s, and a 20% shift can push a stroke off a 28×28 image. So the digit path adds an arm with `digit_augmentation()`: turns up to 8°, shifts and zooms up to 8%, black where pixels move in. The lecture's augmentation stays as the cautionary arm.

# %% tags=["nbval-ignore-output"]
mirrored = np.flip(x_train[:8], axis=2)          # what RandomFlip("horizontal") does to half of the images
plots.show_images(np.concatenate([x_train[:8], mirrored]).astype("uint8"), np.concatenate([y_train[:8]] * 2), class_names,
            title="Top: training images; bottom: the same images mirrored", ncols=8)
plots.show("Two rows of training images: the originals on top and the same images mirrored left to right below.")


# %% [markdown]
# The model. Two small functions pick the output layer and the loss for two classes (the lecture's sigmoid) or more (softmax), so the same code serves both paths.

# %% tags=["nbval-ignore-output"]
#| export
def output_layer(n_classes, name):
    """Lecture: Dense(1, sigmoid) for cats vs dogs; Dense(n, softmax) for n > 2 classes."""
    if n_classes == 2:
        return layers.Dense(1, activation="sigmoid", name=name)
    return layers.Dense(n_classes, activation="softmax", name=name)


#| export
def loss_for(n_classes):
    """The loss that goes with `output_layer`."""
    return "binary_crossentropy" if n_classes == 2 else "sparse_categorical_crossentropy"


LOSS = loss_for(n_classes)


def build_scratch(augment="none"):
    return keras.Sequential([
        keras.Input(shape=x_train.shape[1:]),
        *([augmentations[augment]] if augmentations[augment] else []),
        layers.Rescaling(1 / 255, name="rescale"),
        layers.Conv2D(32, 3, activation="relu", name="conv1"),
        layers.MaxPooling2D(2, name="pool1"),
        layers.Conv2D(32, 3, activation="relu", name="conv2"),
        layers.MaxPooling2D(2, name="pool2"),
        layers.Conv2D(64, 3, activation="relu", name="conv3"),
        layers.MaxPooling2D(2, name="pool3"),
        layers.Flatten(name="flatten"),
        layers.Dense(64, activation="relu", name="dense"),
        layers.Dropout(0.5, name="dropout"),
        output_layer(n_classes, "output"),
    ], name="scratch_cnn")


# %% tags=["nbval-check-output"]
keras.utils.set_random_seed(SEED)
scratch = build_scratch(augment=suited)
scratch.summary(line_length=90)

# %% [markdown]
# Every model in this notebook is trained for `EPOCHS` epochs and then keeps the weights of the epoch with the lowest validation loss (early stopping, as in 02): Keras' `EarlyStopping` callback with `restore_best_weights=True` and a patience as long as the training, so it never stops early, it only remembers. The kept epoch is a choice made on the validation images, and every "validation" score below is that epoch's, which is why the final report uses the test images instead. Each comparison is repeated for every seed in `SEEDS` (a new initialisation, new augmentations, a new shuffling), because one run of a small model on a few hundred images is noisy.

# %% tags=["nbval-ignore-output"]
def keep_best():
    """Remember the weights of the epoch with the lowest validation loss, restore them at the end."""
    return keras.callbacks.EarlyStopping(monitor="val_loss", patience=EPOCHS, restore_best_weights=True)


def kept(history, key="val_accuracy"):
    """A score of the kept epoch (the one with the lowest validation loss): the weights that are tested."""
    return history.history[key][int(np.argmin(history.history["val_loss"]))]


def train_scratch(augment, seed, x=None, y=None):   # augment: a key of `augmentations`
    """The lecture's convnet trained from scratch on (x, y), by default the training images."""
    keras.utils.set_random_seed(seed)
    model = build_scratch(augment=augment)
    model.compile(optimizer="rmsprop", loss=LOSS, metrics=["accuracy"])
    history = model.fit(x_train if x is None else x, y_train if y is None else y, validation_data=(x_val, y_val),
                        epochs=EPOCHS, batch_size=BATCH_SIZE, verbose=0, callbacks=[keep_best()])
    return model, history

# %% tags=["nbval-ignore-output"]
start = time.perf_counter()
scratch_runs = {arm: [train_scratch(arm, seed) for seed in SEEDS] for arm in helpers.progress(augmentations, "augmentations")}
seconds_scratch = (time.perf_counter() - start) / (len(augmentations) * len(SEEDS))
best_val = {augment: [kept(h) for _, h in runs] for augment, runs in scratch_runs.items()}
best_loss = {augment: [kept(h, "val_loss") for _, h in runs] for augment, runs in scratch_runs.items()}
print(f"one scratch model: {seconds_scratch:.1f} s for {EPOCHS} epochs")

# %% [markdown]
# Augmentation is a regulariser: it makes the task harder so that the network cannot memorise the training images. Its first effect is on **over-fitting**, the gap between the validation loss and the loss on the training images (scored without augmentation): in the lecture, training and validation curves drift apart without augmentation and stay together with it. A lower validation loss follows only with epochs enough to learn the harder task. The curves show the mean over seeds with a band of ±1 standard deviation. One seed gives both arms the same initial weights (the augmentation layers were built once, before any seed was set; the cell checks it), so the verdicts compare the arms seed by seed (a paired t-test), at the kept epochs: the gap, then the validation loss and accuracy. The last lines measure whether each model was still improving when training stopped.

# %% tags=["nbval-ignore-output"]
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
for ax, key, name in [(axes[0], "accuracy", "training"), (axes[1], "val_accuracy", "validation")]:
    plots.plot_seed_curves({f"augmentation: {arm}": [h.history[key] for _, h in scratch_runs[arm]]
                            for arm in augmentations}, ax=ax, title=f"From scratch: {name} accuracy",
                           ylabel=f"{name} accuracy")
plt.tight_layout()
plots.show("Two line charts of the from-scratch model's training and validation accuracy per epoch for each "
           f"augmentation, mean over {len(SEEDS)} seeds with bands of one standard deviation.")
gap = {arm: [kept(h, "val_loss") - model.evaluate(x_train, y_train, verbose=0)[0] for model, h in runs]
       for arm, runs in scratch_runs.items()}        # validation loss minus training loss, kept weights, no augmentation
initial = [helpers.repro.initial_weights(lambda arm=arm: build_scratch(arm), SEEDS[0], "conv1") for arm in ("none", suited)]
compare_arms = stats.compare_paired if np.array_equal(*initial) else stats.compare   # one seed, the same start?
augmentation_gap = compare_arms(f"augmentation {suited}", gap[suited], "no augmentation", gap["none"], lower_is_better=True,
                                what="over-fitting gap of the scratch model (validation minus training loss, kept epoch)")
augmentation_verdict = compare_arms(f"augmentation {suited}", best_loss[suited], "no augmentation", best_loss["none"],
                                    what="validation loss of the scratch model (kept epoch)", lower_is_better=True)
augmentation_accuracy = compare_arms(f"augmentation {suited}", best_val[suited], "no augmentation", best_val["none"],
                                     what="validation accuracy of the scratch model (kept epoch)")
print(augmentation_gap, augmentation_verdict, augmentation_accuracy, sep="\n")
if not IMAGENET:
    lecture_augmentation_verdict = stats.compare("the lecture's augmentation", best_val["the lecture's"],
                                                 "no augmentation", best_val["none"],
                                                 what="validation accuracy of the scratch model (kept epoch)")
    print(lecture_augmentation_verdict)
for arm, runs in scratch_runs.items():   # extra code: still improving at the end? the slope of the last 10 epochs
    tail = np.mean([h.history["val_loss"][-10:] for _, h in runs], axis=0)
    if len(tail) < 2:
        continue                                              # one epoch: no slope to measure
    slope = np.polyfit(np.arange(len(tail)), tail, 1)[0]
    print(f"augmentation {arm}: validation loss over the last {len(tail)} epochs "
          f"{'still falling' if slope < 0 else 'no longer falling'} ({slope:+.4f} per epoch, mean over seeds)")

# %% [markdown]
# Two forces pull against each other: augmentation fights over-fitting (the gap), and it makes the task harder, so a short training may not catch up by its last epoch (the lecture's 74–78% came after 50 epochs on 2,000 photos). On the digit path at the defaults (30 images per class, 30 epochs, about 300 weight updates) we found the narrower gap beyond the noise with every set of three seeds we tried, the lower validation loss with none: over six seeds it appeared only at `EPOCHS = 100` (0.24 vs 0.29), and even there three seeds often cannot tell it from noise; more epochs and more `SEEDS` would show it. The lecture's augmentation, too strong for 28×28 digits, stays behind. The variant that goes on is chosen on validation, by the mean over seeds.

# %% tags=["nbval-ignore-output"]
augment_best = max(augmentations, key=lambda arm: np.mean(best_val[arm]))
scratch_val = best_val[augment_best]
scratch_label = f"scratch, augmentation: {augment_best}"
print(f"chosen on validation: {scratch_label} (mean validation accuracy of the kept epochs: "
      + ", ".join(f"{arm} {stats.spread(best_val[arm])}" for arm in augmentations) + ")")

# %% [markdown]
# ## 4. Bottleneck features from a pretrained network
#
# The idea of the lecture: a convnet trained on a large, general data set has learned, in its convolutional layers, features that are useful for other images too: edges and blobs in the first block, textures and parts later on. Keep those layers (the **convolutional base**), throw away the dense layers on top (which were specific to the original classes), and train only a new, small dense **head** for the new task. *Generic images → task-specific images: keep the conv layers, retrain the fully connected ones.*
#
# Here is the whole template network, as `tools/train_template.py` trained it on Fashion-MNIST. It is VGG-like on a small scale: blocks of a 3×3 convolution and a 2×2 max-pooling, named `block1`… `block3` like VGG16's `block1`… `block5`, then the dense top. (The same function is in `helpers/transfer.py`, so that the training script, the tests and notebook 06 build exactly this network.)

# %% tags=["nbval-ignore-output"]
#| export
def build_template_cnn(num_classes=10):
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1), name="image"),
        layers.Conv2D(32, 3, padding="same", activation="relu", name="block1_conv1"),
        layers.MaxPooling2D(2, name="block1_pool"),                                  # 14x14x32
        layers.Conv2D(64, 3, padding="same", activation="relu", name="block2_conv1"),
        layers.MaxPooling2D(2, name="block2_pool"),                                  # 7x7x64
        layers.Conv2D(128, 3, padding="same", activation="relu", name="block3_conv1"),
        layers.MaxPooling2D(2, name="block3_pool"),                                  # 3x3x128
        layers.Flatten(name="flatten"),                   # the "top": replaced when transferring
        layers.Dense(128, activation="relu", name="fc1"),
        layers.Dropout(0.5, name="fc1_dropout"),
        layers.Dense(num_classes, activation="softmax", name="predictions"),
    ], name="template_cnn")


# %% [markdown]
# `include_top=False` in `keras.applications.VGG16(...)` means "the base only". For the template we do the same by hand: load the weights into the whole network, then make a model that stops at the last pooling layer, `block3_pool`. The weights file is checked against the SHA-256 in `data/template_cnn.json` before it is used.
#
# Each path also needs its **preprocessing**, the transformation the pretrained network saw during its own training. For VGG16 that is `keras.applications.vgg16.preprocess_input` (RGB → BGR, ImageNet mean pixel subtracted, no scaling), on photos loaded at `IMAGE_SIZE`×`IMAGE_SIZE` (150×150, the lecture's size). For the template it is pixels / 255.
#
# > **Then and now.** `from keras.applications import VGG16` and `VGG16(weights="imagenet", include_top=False, input_shape=(150, 150, 3))` are unchanged; `weights=` also accepts a local file, which is how `helpers.transfer.vgg16_base` uses the copy that `make data` verified.

# %% tags=["nbval-ignore-output"]
#| export
def build_preprocess(pretrained, image_size):
    """What the pretrained base expects: VGG16's resizing and caffe-style preprocess_input, or the
    template's scaling to 0..1."""
    if pretrained == "imagenet":
        return keras.Sequential([layers.Resizing(image_size, image_size),
                                 layers.Lambda(keras.applications.vgg16.preprocess_input)], name="preprocess")
    return keras.Sequential([layers.Rescaling(1 / 255)], name="preprocess")


if IMAGENET:
    base = transfer.vgg16_base(IMAGE_SIZE)   # = keras.applications.VGG16(weights="imagenet", include_top=False, input_shape=...)
else:
    template = build_template_cnn()
    template.load_weights(transfer.template_weights_path())   # data/template_cnn.weights.h5, SHA-256 checked
    base = keras.Model(template.inputs, template.get_layer("block3_pool").output, name="template_base")
preprocess = build_preprocess(PRETRAINED, IMAGE_SIZE)
base.trainable = False    # a fixed feature extractor

# %% tags=["nbval-check-output"]
base.summary(line_length=90)
print("features per image:", base.output.shape[1:], "=", int(np.prod(base.output.shape[1:])), "numbers")

# %% [markdown]
# ### ✏️ Exercise 1 — the size of VGG16's bottleneck
#
# VGG16's base halves the image five times (one 2×2 pooling per block, rounding down) and its last block has 512 filters. How many numbers does it return for one 150×150 image, the lecture's size? (The lecture's head starts with `Flatten`, so this is also the number of inputs of its `Dense(256)`.)

# %% tags=["answer", "nbval-ignore-output"]
answer = ...   # a whole number

# %% tags=["check", "nbval-ignore-output"]
vgg_untrained = keras.applications.VGG16(weights=None, include_top=False, input_shape=(150, 150, 3))  # random weights: no download
vgg_features = int(np.prod(vgg_untrained.output.shape[1:]))
helpers.check("VGG16 bottleneck size", answer, vgg_features, hint="150 -> 75 -> 37 -> 18 -> 9 -> 4, times 512 filters",
              mistakes=[(5 * 5 * 512, "pooling rounds an odd size down: 75 -> 37"), (4 * 4, "times the 512 filters")])

# %% tags=["solution", "nbval-ignore-output"]
answer = 4 * 4 * 512
helpers.check("VGG16 bottleneck size", answer, vgg_features)

# %% [markdown]
# ### What the pretrained base has learned
#
# The lecture shows what a network trained on ImageNet learns, with pictures from AlexNet (Krizhevsky et al., 2012) and from Zeiler and Fergus (2014): the 96 first-layer filters of AlexNet are oriented edges, stripes of several frequencies and colour blobs, and a deeper layer's units respond most to image patches that share a texture or an object part (grids, eyes, wheels). We can make the same two pictures for the base in use here: its first-layer filters, and, for a few filters of a middle layer, the image patches (from the labelled pool) where that filter responds most.

# %% tags=["nbval-ignore-output"]
first_kernel = base.get_layer("block1_conv1").get_weights()[0]     # (3, 3, channels, filters)
plots.plot_first_layer(first_kernel, title=f"First-layer filters of the {PRETRAINED} base")
plots.show(f"A grid of small images, one per filter of the first convolution layer of the {PRETRAINED} base.")

# %% tags=["nbval-ignore-output"]
probe_layer, field, stride = ("block3_conv3", 40, 4) if IMAGENET else ("block2_conv1", 8, 2)   # receptive field, in pixels
probe = keras.Model(base.inputs, base.get_layer(probe_layer).output)
sample = x_pool[rest][:200 if IMAGENET else 500]     # a few hundred images are enough
seen = keras.ops.convert_to_numpy(preprocess(sample)) if not IMAGENET else keras.applications.vgg16.preprocess_input(
    keras.ops.convert_to_numpy(layers.Resizing(IMAGE_SIZE, IMAGE_SIZE)(sample)))
maps = probe.predict(seen, batch_size=64, verbose=0)
shown = sample if not IMAGENET else keras.ops.convert_to_numpy(layers.Resizing(IMAGE_SIZE, IMAGE_SIZE)(sample))
strongest = np.argsort(maps.max(axis=(0, 1, 2)))[::-1][:6]       # the six filters with the largest responses
plots.top_patches(np.clip(shown, 0, 255).astype("uint8"), maps, strongest, field=field, stride=stride,
                  title=f"{probe_layer}: the patches that excite six of its filters most")
plots.show(f"Six rows of image patches, one row per {probe_layer} filter, showing the patches that make that "
           "filter respond most strongly.")

# %% [markdown]
# The template's first-layer filters are 3×3 and have one grey channel, so they can only be small edge and spot detectors; VGG16's are 3×3 too, which is why the lecture's pictures come from AlexNet's 11×11 filters. Noisy-looking filters are normal: a filter need not look clean to be useful. In the patches each row is one filter: where the rows differ from each other (a stroke at one angle, an end of a line, a curve), the filters have learned different parts.

# %% [markdown]
# ### Run every image through the base once, and save the features
#
# The **bottleneck features** are the base's outputs. They depend only on the image, never on the head, so we compute them once, save them with `np.save`, and from then on train on the saved arrays: no images, no convolutions. We extract the features of the whole labelled pool (training and validation images; the learning curve in section 6 uses the rest of it) and time it. The test images wait for the end.
#
# > **Two bugs in the lecture's code, avoided here.**
# > 1. *Preprocessing.* The lecture rescaled images to [0, 1] before VGG16. The ImageNet weights were trained on `preprocess_input`'s input (BGR, mean-subtracted, values up to ±150), so /255 images reach the network in a range it never saw; it still "works", because the head adapts, but the features are poorer than they need to be. Rule: feed a pretrained network exactly what it was trained on; the `preprocess` step above does.
# > 2. *Labels.* The lecture wrote the bottleneck labels as `np.array([0] * 1000 + [1] * 1000)`. That is only right because its generator ran with `shuffle=False` and `flow_from_directory` sorts class folders alphabetically (cats before dogs); change either and the labels silently stop matching the features. Here the labels are saved next to the features, from the same arrays in the same order, and checked for equal length when loaded back.

# %% tags=["nbval-ignore-output"]
extractor = keras.Sequential([keras.Input(shape=x_train.shape[1:]), preprocess, base], name="extractor")
start = time.perf_counter()
features_pool = extractor.predict(x_pool, batch_size=64, verbose=helpers.keras_verbose())   # a progress bar, live
seconds_extract = time.perf_counter() - start
print(f"{len(x_pool):,} images -> features {features_pool.shape[1:]} in {seconds_extract:.1f} s "
      f"({1000 * seconds_extract / len(x_pool):.2f} ms per image)")

# %% tags=["nbval-ignore-output"]
folder = data.artifacts_dir()
for name, array in {"features_pool": features_pool, "labels_pool": y_pool}.items():
    np.save(folder / f"{PRETRAINED}_{name}.npy", array)
    print(f"saved {PRETRAINED}_{name}.npy  {array.shape}  {array.nbytes / 1e6:.1f} MB")

# %% tags=["nbval-ignore-output"]
features_pool = np.load(folder / f"{PRETRAINED}_features_pool.npy")     # later, or in another notebook: just load them
y_pool_saved = np.load(folder / f"{PRETRAINED}_labels_pool.npy")
assert len(features_pool) == len(y_pool_saved)
features_train, features_val = features_pool[train], features_pool[val]   # the same images as x_train, x_val
assert np.array_equal(y_pool_saved[train], y_train) and np.array_equal(y_pool_saved[val], y_val)


# %% [markdown]
# ### ✏️ Exercise 2 — the head: the lecture's dense classifier
#
# Write `build_head(input_shape, n_classes)`, a `keras.Sequential` model of the lecture's head: an `Input` of `input_shape`, `Flatten`, `Dense(256)` with ReLU, `Dropout(0.5)`, and `output_layer(n_classes, "head_output")` (section 3's function: one sigmoid unit for two classes). The check builds it for feature shapes and class counts you did not choose, and compares each layer's kind, output shape, size and activation with the lecture's.

# %% tags=["answer", "nbval-ignore-output"]
def build_head(input_shape, n_classes):
    # your code: a keras.Sequential model, keras.Input(shape=input_shape) first, then the head's layers
    ...

# %% tags=["check", "nbval-check-output"]
helpers.check_function("build_head", exercises.outline(build_head), exercises.outline(exercises.lecture_head),
                       exercises.HEAD_CASES, hint="the layers in the order listed above, from Flatten to the output",
                       mistakes=exercises.head_mistakes())

# %% tags=["solution", "nbval-check-output"]
#| export
def build_head(input_shape, n_classes):
    """The lecture's dense classifier on top of the base."""
    return keras.Sequential([
        keras.Input(shape=input_shape),
        layers.Flatten(name="head_flatten"),
        layers.Dense(256, activation="relu", name="head_dense"),
        layers.Dropout(0.5, name="head_dropout"),
        output_layer(n_classes, "head_output"),
    ], name="head")

helpers.check_function("build_head", exercises.outline(build_head), exercises.outline(exercises.lecture_head),
                       exercises.HEAD_CASES)

# %% [markdown]
# The head is trained with `rmsprop`, as in the lecture.

# %% tags=["nbval-check-output"]
build_head = exercises.head_to_use(build_head)    # yours once it passes the check
keras.utils.set_random_seed(SEED)
head = build_head(features_train.shape[1:], n_classes)
head.summary(line_length=90)


# %% tags=["nbval-ignore-output"]
def train_head(seed, features=None, y=None, build=build_head):
    """A head trained on bottleneck features (by default those of the training images)."""
    keras.utils.set_random_seed(seed)
    model = build(features_pool.shape[1:], n_classes)
    model.compile(optimizer="rmsprop", loss=LOSS, metrics=["accuracy"])
    timer = EpochTimer()      # notebook 03's callback: the seconds of each epoch
    history = model.fit(features_train if features is None else features, y_train if y is None else y,
                        validation_data=(features_val, y_val), epochs=EPOCHS, batch_size=BATCH_SIZE, verbose=0,
                        callbacks=[keep_best(), timer])
    return model, history, timer

head_runs = [train_head(seed) for seed in SEEDS]
head_val = [kept(h) for _, h, _ in head_runs]
head_timer = head_runs[0][2]

# %% tags=["nbval-ignore-output"]
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
plots.plot_seed_curves({scratch_label: [h.history["val_accuracy"] for _, h in scratch_runs[augment_best]],
                        "bottleneck head": [h.history["val_accuracy"] for _, h, _ in head_runs]},
                       ax=axes[0], title="Validation accuracy per epoch")
plots.bar_seeds({scratch_label: scratch_val, "bottleneck head": head_val}, ax=axes[1], chance=1 / n_classes,
                title="Kept epoch (lowest validation loss)", ylabel="validation accuracy")
plt.tight_layout()
plots.show("Line chart of validation accuracy per epoch for the from-scratch model and the bottleneck head with "
           "seed bands, and a bar chart of the validation accuracy of their kept epochs with a dashed chance line.")
transfer_verdict = stats.compare("bottleneck head", head_val, scratch_label, scratch_val,
                                 what=f"validation accuracy, {n_train_per_class} labelled images per class")
print(transfer_verdict)

# %% [markdown]
# The head starts from features that already separate the classes, while the scratch model has to build them up from pixels: compare the two curves from their first epochs. Notebook 06 puts these trained heads back on top of the base and fine-tunes both, so we save their weights, one file per seed, and the settings they belong to, so that 06 can tell whether they fit its own.

# %% [markdown]
# ### Where does the trained network look? Grad-CAM
#
# What does the trained classifier (base and head) look at? **Grad-CAM** (Selvaraju et al., 2017): weight each feature map of the last convolution by the gradient of the predicted class's score (averaged over the map), and add the maps up. Where the sum is large, the image pushed the network towards its answer. For a few validation images, with the first seed's head:

# %% tags=["nbval-ignore-output"]
last_conv = "block5_conv3" if IMAGENET else "block3_conv1"     # the last convolution of the base
conv_and_features = keras.Model(base.inputs, [base.get_layer(last_conv).output, base.output])
classifier_head, images = head_runs[0][0], x_val[:8]      # the first seed's head, eight validation images
if keras.backend.backend() == "tensorflow":
    import tensorflow as tf
    with tf.GradientTape() as tape:
        maps, features = conv_and_features(preprocess(images))
        probabilities = classifier_head(features, training=False)
        if n_classes == 2:    # one sigmoid unit p: the predicted class's score is p or 1 - p
            probabilities = keras.ops.concatenate([1 - probabilities, probabilities], axis=-1)
        predicted, score = keras.ops.argmax(probabilities, axis=-1), keras.ops.max(probabilities, axis=-1)
    weights = keras.ops.mean(tape.gradient(score, maps), axis=(1, 2))               # one weight per feature map
    cam = keras.ops.relu(keras.ops.einsum("bhwc,bc->bhw", maps, weights)).numpy()
    cam = cam / np.maximum(cam.max(axis=(1, 2), keepdims=True), 1e-12)               # 0..1 per image
    plots.show_heatmaps(images, cam, [f"{class_names[int(p)]} (true {class_names[int(t)]})"
                                      for p, t in zip(np.asarray(predicted), y_val[:8])],
                        title=f"Grad-CAM on {last_conv}: where the prediction came from")
    plots.show(f"A row of eight validation images, each overlaid with a Grad-CAM heat map from {last_conv} and "
               "titled with the predicted and the true class.")
else:   # the same with jax.grad or torch's autograd; the recipe does not change
    print(f"Grad-CAM here uses TensorFlow's GradientTape; the backend is {keras.backend.backend()}")

# %% [markdown]
# Look for warm regions on the strokes that tell a digit from its neighbours, or on a pet's face rather than the background: a map that lights up the background hints at a shortcut. The map is as coarse as the last convolution's feature maps.

# %% tags=["nbval-ignore-output"]
for seed, (model, _, _) in zip(SEEDS, head_runs):
    model.save_weights(folder / f"{PRETRAINED}_head_seed{seed}.weights.h5")
facts = {"pretrained": PRETRAINED, "n_train_per_class": n_train_per_class, "n_val_per_class": n_val_per_class,
         "n_test_per_class": n_test_per_class, "n_pool_per_class": n_pool_per_class, "seed": SEED, "seeds": SEEDS, "epochs": EPOCHS, "batch_size": BATCH_SIZE,
         "image_size": IMAGE_SIZE if IMAGENET else 28, "bottleneck_val_accuracy": head_val,
         "scratch_val_accuracy": scratch_val, "scratch_model": scratch_label}
(folder / f"{PRETRAINED}_head.json").write_text(json.dumps(facts, indent=2))
print(f"saved {len(SEEDS)} heads ({PRETRAINED}_head_seed*.weights.h5) and {PRETRAINED}_head.json "
      f"in the artifacts folder (build/artifacts/ unless CNN_COURSE_ARTIFACTS names another)")

# %% [markdown]
# ### ✏️ Exercise 3 — the size of the lecture's head
#
# How many parameters does the lecture's head (`Flatten`, `Dense(256)`, `Dropout(0.5)`, `Dense(1, sigmoid)`) have on VGG16's features of 150×150 images? Compare with the 14.7 million in VGG16's base, and with our head's count printed above.

# %% tags=["answer", "nbval-ignore-output"]
answer = ...   # a whole number

# %% tags=["check", "nbval-ignore-output"]
lecture_head = keras.Sequential([keras.Input(shape=vgg_untrained.output.shape[1:]), layers.Flatten(),
                                 layers.Dense(256, activation="relu"), layers.Dropout(0.5),
                                 layers.Dense(1, activation="sigmoid")])
helpers.check("lecture head parameters", answer, lecture_head.count_params(),
              hint="Dense(256): inputs x 256 weights + 256 biases; Dense(1): 256 weights + 1 bias",
              mistakes=[(vgg_features * 256 + 256, "add Dense(1): 256 weights, 1 bias"), (vgg_features * 257 + 259, "one sigmoid unit, not two")])

# %% tags=["solution", "nbval-ignore-output"]
answer = (vgg_features * 256 + 256) + (256 + 1)
helpers.check("lecture head parameters", answer, lecture_head.count_params())

# %% [markdown]
# ### ✏️ Exercise 4 — predict, run, explain: does the head need its dropout?
#
# The head has hundreds of thousands of weights and few training images, so the lecture puts `Dropout(0.5)` in it. **Predict** first: trained the same way over the same seeds, will a head *without* the dropout be `"ahead"`, `"behind"` or `"within noise"` of the head with it (validation accuracy of the kept epoch)? Write your prediction (the experiment refuses to run before), then run the experiment, which trains the heads without dropout, and explain the outcome.

# %% tags=["answer", "nbval-ignore-output"]
prediction = ...   # your prediction: "ahead", "behind" or "within noise" (for the head without dropout)

# %% tags=["solution", "nbval-ignore-output"]
prediction = "within noise"   # the features are good and the training short: little room to over-fit

# %% tags=["nbval-ignore-output"]
helpers.require_prediction(prediction, stats.CHOICES)
def build_head_no_dropout(input_shape, n_classes):      # build_head without its Dropout layer
    return keras.Sequential([layer for layer in build_head(input_shape, n_classes).layers if not isinstance(layer, layers.Dropout)])

no_dropout_runs = [train_head(seed, build=build_head_no_dropout) for seed in SEEDS]
dropout_verdict = stats.compare("head without dropout", [kept(h) for _, h, _ in no_dropout_runs], "head with dropout", head_val,
                                what="validation accuracy (kept epoch)")
print(dropout_verdict)

# %% [markdown]
# **Explain** the outcome in a few sentences: what does dropout do to a head trained on fixed features, and why might its effect be small or large here?

# %% tags=["answer", "nbval-ignore-output"]
explanation = ...   # a few sentences, as a string: "..."

# %% tags=["check", "nbval-ignore-output"]
helpers.check_prediction("head without dropout: your prediction", prediction, stats.CHOICES, dropout_verdict.verdict)
helpers.check_explanation("head without dropout: your explanation", explanation, about=["dropout", "over-fit", "overfit", "epoch"])

# %% tags=["solution", "nbval-ignore-output"]
explanation = """Dropout switches off half of the head's units in every step, so it cannot memorise the training images
through a few units. On good features, kept at its best epoch, a head has little time to over-fit: the effect is often small."""
helpers.check_explanation("head without dropout: your explanation", explanation, about=["dropout", "over-fit", "overfit", "epoch"])

# %% tags=["nbval-ignore-output"]
for name, runs_ in [("with dropout", head_runs), ("without dropout", no_dropout_runs)]:   # per seed
    print(f"head {name}: kept epochs {[int(np.argmin(h.history['val_loss'])) + 1 for _, h, _ in runs_]} of {EPOCHS}, "
          f"training accuracy then {[round(kept(h, 'accuracy'), 3) for _, h, _ in runs_]}")

# %% [markdown]
# ## 5. Why it is cheap: one pass through the base instead of one per epoch
#
# Training the same head *end to end*, on augmented images passed through the frozen base, costs a forward pass through the base for every image in every epoch (the images differ each time, so nothing can be reused). Bottleneck features pay that pass once. We time one epoch of each kind of training, with the same head, images and validation set (the second epoch: the first includes one-off set-up).

# %% tags=["nbval-ignore-output"]
keras.utils.set_random_seed(SEED)
end_to_end = keras.Sequential([keras.Input(shape=x_train.shape[1:]), augmentations[suited], preprocess, base,
                               build_head(features_train.shape[1:], n_classes)], name="end_to_end")
end_to_end.compile(optimizer="rmsprop", loss=LOSS, metrics=["accuracy"])
timer = EpochTimer()
end_to_end.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=2, batch_size=BATCH_SIZE,
               verbose=0, callbacks=[timer])
second = min(1, len(head_timer.seconds) - 1)      # the second epoch (the first, if EPOCHS is 1)
seconds_epoch, seconds_head_epoch = timer.seconds[second], head_timer.seconds[second]

# %% tags=["nbval-ignore-output"]
n_seen = len(x_train) + len(x_val)
seconds_extract_seen = seconds_extract * n_seen / len(x_pool)
timing = pd.Series({
    f"extract the features of {n_seen:,} train + validation images (once)": seconds_extract_seen,
    "one epoch: the head on saved features": seconds_head_epoch,
    "one epoch: end to end (augmented images through the base)": seconds_epoch,
    f"{EPOCHS} epochs: bottleneck (extraction + head)": seconds_extract_seen + EPOCHS * seconds_head_epoch,
    f"{EPOCHS} epochs: end to end": EPOCHS * seconds_epoch,
}, name="seconds")
print(timing.round(3).to_string())
print(f"\nImages sent through the base: {n_seen:,} for bottleneck features, {EPOCHS * n_seen:,} end to end. "
      f"Time: end to end takes {timing.iloc[4] / timing.iloc[3]:.1f}x the bottleneck time on this path.")

# %% [markdown]
# How much this saves depends on the base. VGG16 at 150×150 needs about 7 billion multiply-adds per image, a thousand times the template's 7 million; there the passes through the base dominate, and one pass instead of fifty turns hours into minutes on a CPU. The template is so cheap that much of every step is fixed overhead, so here the time ratio is far smaller than the ratio of image counts: the counts are the lesson, the seconds this path's fact. The price of bottleneck features: no augmentation (one feature vector per image), and a base that cannot adapt. Notebook 06 removes the second limit.

# %% [markdown]
# ## 6. How many labels does transfer learning save? (beyond the lecture)
#
# Transfer learning is said to shine when labels are few. We check it: for several numbers of labelled images per class, train the scratch model (the variant chosen on validation in section 3) and the bottleneck head on the same subset, for every seed, and compare their validation accuracies (kept epochs). The subsets are drawn from the pool without the validation images; the point at `N_TRAIN_PER_CLASS` reuses the runs above.

# %% tags=["nbval-ignore-output"]
curve_scores, curve_subsets = {}, []
for n in helpers.progress(CURVE, "labels per class"):
    subset = rest[transfer.per_class_index(y_pool[rest], n, seed=SEED)]
    curve_subsets.append(subset)
    if np.array_equal(np.sort(subset), np.sort(train)):
        curve_scores[n] = (scratch_val, head_val)
        continue
    scratch_n = [kept(train_scratch(augment_best, seed, x_pool[subset], y_pool[subset])[1])
                 for seed in SEEDS]
    head_n = [kept(train_head(seed, features_pool[subset], y_pool[subset])[1]) for seed in SEEDS]
    curve_scores[n] = (scratch_n, head_n)
if CURVE:
    show_splits("05 curve", train=("pool", np.unique(np.concatenate(curve_subsets))), validation=("pool", val))
curve_verdicts = {n: stats.compare("bottleneck", h, "scratch", s, what=f"{n} per class")
                  for n, (s, h) in curve_scores.items()}
curve = pd.DataFrame({"scratch": [str(stats.spread(s)) for s, _ in curve_scores.values()],
                      "bottleneck": [str(stats.spread(h)) for _, h in curve_scores.values()],
                      "gain (points)": [round(100 * v.diff, 1) for v in curve_verdicts.values()],
                      "verdict": [v.verdict for v in curve_verdicts.values()]},
                     index=pd.Index(list(curve_scores), name="labelled per class"))
print(curve.to_string(), end="\n\n")
for verdict in curve_verdicts.values():
    print(verdict)

# %% tags=["nbval-ignore-output"]
if CURVE:
    fig, ax = plt.subplots(figsize=(6.5, 4))
    plots.plot_seed_curves({scratch_label: np.array([s for s, _ in curve_scores.values()]).T,
                            f"bottleneck head ({PRETRAINED})": np.array([h for _, h in curve_scores.values()]).T},
                           ax=ax, x=list(curve_scores), xlabel="labelled training images per class",
                           title="Accuracy vs labels per class")
    ax.axhline(1 / n_classes, color="gray", ls=":", label="chance")
    ax.set_xscale("log")
    ax.set_xticks(list(curve_scores), [str(n) for n in curve_scores])
    ax.legend()
    plots.show("Line chart of validation accuracy against labelled training images per class on a logarithmic axis, "
               "for the from-scratch model and the bottleneck head, with seed bands and a dotted chance line.")
    by_verdict = {v: [n for n, c in curve_verdicts.items() if c.verdict == v]
                  for v in (stats.AHEAD, stats.NOISE, stats.BEHIND, stats.UNKNOWN)}
    print(f"Transfer was ahead of scratch (beyond the noise between seeds) at {by_verdict[stats.AHEAD]} labelled "
          f"images per class, within noise at {by_verdict[stats.NOISE]}, behind at {by_verdict[stats.BEHIND]}"
          + (f"; with one seed no verdict at {by_verdict[stats.UNKNOWN]}" if by_verdict[stats.UNKNOWN] else "") + ".")
    gains = {n: v.diff for n, v in curve_verdicts.items()}
    print(f"the gain of transfer was largest at {max(gains, key=gains.get)} labelled images per class")

# %% [markdown]
# **Reading the curve.** The gap between the curves is what the pretrained features are worth. With a handful of labels per class the scratch model has almost nothing to learn its filters from, while the pretrained filters are already there, so transfer should pay most there (though with very few labels the head may be starved too). As labels grow the gap can shrink or turn: the scratch model learns filters made for digits, the template's were made for clothes (add larger numbers to `CURVE` to see where they meet). Fashion-MNIST is further from digits than ImageNet is from pets, so do not expect the lecture's jump (74–78% → about 90%) at every size; the verdicts say what this run supports and nothing more.
#
# *Going further.* Set `AUGMENT_FLIP = True` on the digit path and re-run section 3: what happens to the augmented scratch models?

# %% [markdown]
# ## 7. The test set, used once
#
# Everything above was chosen on the validation images: the epoch each model kept, whether to augment, which scratch model to compare with. Now, and only now, the chosen models meet the test images, which no choice has seen. The kept epochs were chosen on the validation images, so their validation scores are a little optimistic; the lines below compare the two.

# %% tags=["nbval-ignore-output"]
features_test = extractor.predict(x_test, batch_size=64, verbose=helpers.keras_verbose())
test_scratch = [model.evaluate(x_test, y_test, verbose=0)[1] for model, _ in scratch_runs[augment_best]]
test_head = [model.evaluate(features_test, y_test, verbose=0)[1] for model, _, _ in head_runs]
test_verdict = stats.compare("bottleneck head", test_head, scratch_label, test_scratch,
                             what=f"test accuracy ({len(y_test):,} images)")
print(test_verdict)
for name, val_scores, test_scores in [("bottleneck head", head_val, test_head), (scratch_label, scratch_val, test_scratch)]:
    print(f"{name}: validation {np.mean(val_scores):.3f} (kept epochs), test {np.mean(test_scores):.3f} "
          f"(an accuracy measured on {len(y_test):,} images varies by about ±{stats.binomial_sd(np.mean(test_scores), len(y_test)):.3f})")

# %% [markdown]
# The lecture's claims next to this run's verdicts. "Expected here" is what the course finds at the default parameters on the offline path (three seeds); a run with other settings prints its own verdicts, and a "NO" says that this run differs from the defaults' outcome, not that the lecture was wrong. Section 3 says why the augmentation's effect is measured on the gap, with the validation loss beside it.

# %% tags=["nbval-ignore-output"]
lecture_effects = [
    stats.lecture_effect("04.augmentation", "Data augmentation fights over-fitting of a small convnet trained from "
                         "scratch on few images (with an augmentation that keeps the labels true): a smaller gap "
                         "between training and validation loss", augmentation_gap, expected="ahead",
                         beside=augmentation_verdict),
    stats.lecture_effect("04.transfer", "Bottleneck features of a pretrained network beat a convnet trained from "
                         "scratch on few labelled images", transfer_verdict, expected="ahead", beside=test_verdict),
]
stats.show_effects(lecture_effects)     # recorded for the tests and the report, shown as a table

# %% [markdown]
# ## Summary
#
# - **The use case** (section 2): 1,000 training and 200 validation images per class, as the lecture; on the ImageNet path the lecture's kind of photos (`cats_and_dogs_filtered`: training photos from `train/`, validation and test photos from `validation/`, read with `image_dataset_from_directory`), offline few labelled digits. Validation images for every choice, test images once at the end.
# - **From scratch** (section 3): the lecture's three-stage convnet with its augmentation, written as Keras 3 preprocessing layers; a flip is wrong for digits, so it is a parameter; whether augmentation helps is measured over seeds and decided on validation.
# - **Bottleneck features** (section 4): the pretrained base (`include_top=False`) runs over every image once; the features are saved with `np.save`, loaded with `np.load`, and the lecture's head (`Flatten`, `Dense(256)`, `Dropout(0.5)`, output) is trained on them with `rmsprop`. Its weights are saved for notebook 06. The idea: generic images → task-specific images, keep the conv layers, retrain the dense ones. What the base learned: first-layer filters and the patches its filters like best.
# - **Cost** (section 5): one pass through the base instead of one per epoch.
# - **Labels per class** (section 6): where transfer is ahead, within noise or behind, measured over seeds.
# - **The lecture's flaws, fixed** (section 4): `preprocess_input` for VGG16 instead of /255; labels saved with the features instead of `[0] * 1000 + [1] * 1000`.
# - **Paths** (section 1): `PRETRAINED = "imagenet"` runs the lecture's VGG16 + cats vs dogs; the offline default uses the course's template CNN (Fashion-MNIST → digits).
#
# This run's numbers next to the lecture's. They are on the same task only on the `imagenet` path; on the template path the task is 10 digit classes (chance 0.10), the lecture's is cats vs dogs (2 classes, chance 0.50), and the two columns cannot be compared.

# %% tags=["nbval-ignore-output"]
peak_mb = helpers.peak_memory_mb()
lecture = helpers.lecture_values("05")     # the lecture's numbers, settings and task, from data/lecture_values.json
task = f"{'cats vs dogs' if IMAGENET else 'MNIST digits'} ({n_classes} classes, chance {1 / n_classes:.2f})"
comparable = {entry.id: entry.comparable(IMAGENET, "MNIST digits", entry.smaller_setting(
    len(train), EPOCHS, "here the epoch kept on validation, scored on test images; the lecture's last epoch, on "
    "validation images")) for entry in lecture}    # a setting smaller than the lecture's is named
lecture.record(task=task, same_task=IMAGENET, comparable=comparable)   # for the results report
summary = pd.DataFrame({
    "this run": [task, PRETRAINED, f"{n_train_per_class} x {n_classes}", f"{len(SEEDS)}",
                 helpers.lecture.run_text(test_scratch), helpers.lecture.run_text(test_head), test_verdict.verdict,
                 f"{seconds_extract:.1f} s ({len(x_pool):,} images)", f"{seconds_epoch:.2f} s", f"{peak_mb:.0f} MB"],
    "lecture": [str(lecture.task), lecture.task.network, f"{lecture.task.train_per_class:,} x {lecture.task.classes}",
                "1", lecture["scratch"].text, lecture["bottleneck"].text, "-", "-", "-", "-"],
    "comparable?": ["same task" if IMAGENET else "no: another task", "", "", "",
                    comparable["scratch"], comparable["bottleneck"], "", "", "", ""],
}, index=["task", "pretrained network", "labelled training images", "seeds",
          f"{scratch_label} (test acc.)", "bottleneck head (test acc.)", "bottleneck vs scratch on test",
          "feature extraction (labelled pool)", "one end-to-end epoch", "peak memory of this notebook"])
print(summary.to_string())
verdicts = {"augmentation": augmentation_verdict, "augmentation_gap": augmentation_gap, "transfer": transfer_verdict,
            "dropout": dropout_verdict, "test": test_verdict}
helpers.record("verdicts", {**{k: v.as_dict() for k, v in verdicts.items()}, "curve": {str(n): v.as_dict() for n, v in curve_verdicts.items()}})
helpers.record("results", {
    "pretrained": PRETRAINED, "provenance": ds.provenance, "n_train_per_class": n_train_per_class, "seeds": SEEDS,
    "n_classes": n_classes, "split_sizes": {"train": len(train), "validation": len(val), "test": len(test)},
    "scratch_params": scratch.count_params(), "head_params": head.count_params(), "augment_chosen": augment_best,
    "scratch_val_accuracy": best_val, "bottleneck_val_accuracy": head_val,
    "test_accuracy": {"scratch": test_scratch, "bottleneck": test_head}, "features_shape": features_pool.shape[1:],
    "vgg16_feature_size": vgg_features, "extract_seconds": seconds_extract, "head_epoch_seconds": seconds_head_epoch,
    "end_to_end_epoch_seconds": seconds_epoch, "peak_memory_mb": peak_mb,
    "curve": {"per class": list(curve_scores), "scratch": [s for s, _ in curve_scores.values()],
              "bottleneck": [h for _, h in curve_scores.values()]}})
