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
# # 05 · Fine-tuning: adapting the pretrained base
#
# **Follows:** the transfer-learning part of "Keras & Convolutional Neural Nets" (W4995 Applied Machine Learning, A. Müller, 2019), "Using Keras to build a CNN" (ZJU-UoE Institute, Lecture 15, N. Romanò) and "Convolutional Neural Networks using keras and tensorflow" (course slides, CNN in Keras): fine-tuning VGG16's last block on top of the head trained in notebook 04.
#
# **Learning objectives.** After this notebook you can
# 1. rebuild a pretrained base and put the head trained in notebook 04 back on top, loading its weights into the same architecture;
# 2. freeze everything up to the last convolutional block, check what will train by counting trainable parameters, and avoid the trap of freezing by index on a nested model;
# 3. fine-tune with `SGD(learning_rate=1e-4, momentum=0.9)` and compare with the bottleneck head of 04;
# 4. show with experiments why the lecture's precautions matter: a trained head first, early blocks frozen, a small learning rate with a non-adaptive optimizer.
#
# **What it needs.** The head that notebook 04 saved in `build/artifacts/` (if it is missing, this notebook trains it again, the same way, and says so). Offline by default, like 04: the template CNN in `data/` and the MNIST sample; about 2 minutes on a laptop CPU. `PRETRAINED = "imagenet"` runs the lecture's VGG16 on cats vs dogs after `make data` (fine-tuning VGG16 wants a GPU: on a CPU each epoch takes minutes).

# %% tags=["parameters", "nbval-ignore-output"]
# Parameters: papermill may override any of these (see README)
PRETRAINED = "template"   # pretrained network: "template" (offline: Fashion-MNIST -> digits) or "imagenet" (lecture: VGG16 -> cats vs dogs)
N_TRAIN_PER_CLASS = None  # labelled training images per class, as in 04; None: 30 digits (template) or 1,000 (imagenet, as the lecture)
N_VAL_PER_CLASS = None    # validation images per class; None: 100 digits (template) or 200 (imagenet, as the lecture)
EPOCHS = 10               # fine-tuning epochs for each run (lecture: 50)
LEARNING_RATE = 1e-3      # SGD learning rate of our main fine-tuning run (lecture: 1e-4, which is also run below)
BAD_LEARNING_RATE = 0.3   # a far too large rate, to see what it does to the pretrained features
HEAD_EPOCHS = 30          # only if 04's head is missing: epochs to train it here, as 04 does (lecture: 50)
BATCH_SIZE = 32           # lecture: 16
AUGMENT = True            # lecture: True (augmented images while fine-tuning); gentler settings for digits, see below
IMAGE_SIZE = 150          # imagenet path: CIFAR's 32x32 images are resized to this for VGG16 (lecture: 150x150)
SEED = 42                 # data subsets and model initialisation (as in 04)

# %% tags=["nbval-ignore-output"]
import helpers
helpers.check_parameters(globals(), choices={"PRETRAINED": ["template", "imagenet"]},
                         counts=["N_TRAIN_PER_CLASS", "N_VAL_PER_CLASS", "EPOCHS", "HEAD_EPOCHS", "BATCH_SIZE"],
                         positive=["LEARNING_RATE", "BAD_LEARNING_RATE"], at_least={"IMAGE_SIZE": 32})
helpers.setup(seed=SEED)

import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
import keras
from keras import layers
from helpers import data, plots, transfer
from helpers.transfer import build_head, build_preprocess, load_task, loss_for, per_class_index  # as written in 04
import json

IMAGENET = PRETRAINED == "imagenet"
n_train_per_class = N_TRAIN_PER_CLASS or (1000 if IMAGENET else 30)
n_val_per_class = N_VAL_PER_CLASS or (200 if IMAGENET else 100)
transfer.describe_pretrained(PRETRAINED);

# %% [markdown]
# ## 1. The same data and the same base as in 04
#
# Notebook 04 explains the two paths: `"imagenet"` is the lecture's VGG16 on cats and dogs, `"template"` (the offline default) is the course's small CNN pretrained on Fashion-MNIST, reused for digits. The cells below load the same images as 04, with the same seed, so that the head 04 trained fits them.

# %% tags=["nbval-ignore-output"]
ds = load_task(PRETRAINED, n_train_per_class, n_val_per_class, seed=SEED)   # 04's functions, from helpers.transfer
print(ds.provenance)
class_names, n_classes = ds.class_names, len(ds.class_names)
train = per_class_index(ds.y_train, n_train_per_class, seed=SEED)
val = per_class_index(ds.y_test, n_val_per_class, seed=SEED)
x_train, y_train = ds.x_train[train].astype("float32"), ds.y_train[train]
x_val, y_val = ds.x_test[val].astype("float32"), ds.y_test[val]
print(f"training {x_train.shape}, validation {x_val.shape}")


# %% [markdown]
# The pretrained base, rebuilt fresh from its weights file, and the preprocessing it expects (both as in 04). We wrap the base in a function because every experiment below must start from the *pretrained* weights: fine-tuning changes them. Unlike bottleneck features, fine-tuning passes the images through the base at every step, so it can use data augmentation again, as the lecture does. For digits we use gentler settings than the lecture's: in 04 its 40° turns and 20% shifts slowed the scratch model down, and a mirrored digit is not a digit.

# %% tags=["nbval-ignore-output"]
def build_base():
    """The pretrained convolutional base, as loaded in 04 (include_top=False)."""
    if IMAGENET:
        return transfer.vgg16_base(IMAGE_SIZE)   # VGG16(weights="imagenet", include_top=False, input_shape=...)
    return transfer.template_base()              # the template CNN up to block3_pool, SHA-256-checked weights

preprocess = build_preprocess(PRETRAINED, IMAGE_SIZE)   # 04's function

def build_augmentation():
    if IMAGENET:    # the lecture's augmentation, as in 04
        return keras.Sequential([
            layers.RandomRotation(40 / 360, fill_mode="nearest"),
            layers.RandomTranslation(0.2, 0.2, fill_mode="nearest"),
            layers.RandomShear(x_factor=0.2, fill_mode="nearest"),
            layers.RandomZoom(0.2, 0.2, fill_mode="nearest"),
            layers.RandomFlip("horizontal"),
        ], name="augmentation")
    return keras.Sequential([   # gentler for 28x28 digits (04: the lecture's settings slowed learning down), no flip
        layers.RandomRotation(10 / 360, fill_mode="nearest"),
        layers.RandomTranslation(0.1, 0.1, fill_mode="nearest"),
        layers.RandomZoom(0.1, 0.1, fill_mode="nearest"),
    ], name="augmentation")

base = build_base()


# %% [markdown]
# ## 2. Put the trained head back on top
#
# Weights can only be loaded into the architecture they came from, so the head is rebuilt with exactly 04's code: `Flatten`, `Dense(256, relu)`, `Dropout(0.5)`, output layer. Then its weights are loaded from the file 04 saved, if that file was made with the same path, data and seed; otherwise the head is trained here the way 04 trains it (bottleneck features, `rmsprop`), with a message.

# %% tags=["nbval-ignore-output"]
LOSS = loss_for(n_classes)      # and build_head(input_shape, n_classes): 04's code, imported above

# %% tags=["nbval-ignore-output"]
head_file = data.artifacts_dir() / f"{PRETRAINED}_head.weights.h5"
facts_file = data.artifacts_dir() / f"{PRETRAINED}_head.json"
facts_04 = json.loads(facts_file.read_text()) if facts_file.exists() else {}
wanted = {"pretrained": PRETRAINED, "n_train_per_class": n_train_per_class, "n_val_per_class": n_val_per_class,
          "seed": SEED, "image_size": IMAGE_SIZE if IMAGENET else 28}
keras.utils.set_random_seed(SEED)
head = build_head(base.output.shape[1:], n_classes)
if head_file.exists() and all(facts_04.get(k) == v for k, v in wanted.items()):
    head.load_weights(head_file)
    head_source = "trained in 04"
    print(f"Loaded the head that notebook 04 trained ({head_file.name}).")
else:
    head_source = "trained here"
    print(f"No head from notebook 04 for these settings in build/artifacts/ (run 04 first to reuse it).\n"
          f"Training it here as 04 does: bottleneck features, rmsprop, {HEAD_EPOCHS} epochs.")
    extractor = keras.Sequential([keras.Input(shape=x_train.shape[1:]), preprocess, base])
    features_train = extractor.predict(x_train, batch_size=64, verbose=0)
    head.compile(optimizer="rmsprop", loss=LOSS, metrics=["accuracy"])
    head.fit(features_train, y_train, epochs=HEAD_EPOCHS, batch_size=BATCH_SIZE, verbose=0)
    facts_04 = {}
trained_head_weights = head.get_weights()     # kept for the experiments below

# %% [markdown]
# The whole model is the preprocessing, the base and the head, one after the other. Before any fine-tuning it is exactly 04's bottleneck classifier, so its validation accuracy is 04's (up to rounding in the features).
#
# > **Then and now.** Keras 2 code of the lecture's time joins base and head with `Model(input=base_model.input, output=top_model(base_model.output))`; Keras 3 only accepts `Model(inputs=..., outputs=...)`. Here a `Sequential` of the three parts does the same.

# %% tags=["nbval-ignore-output"]
keras.utils.set_random_seed(SEED)
model = keras.Sequential([keras.Input(shape=x_train.shape[1:]), *([build_augmentation()] if AUGMENT else []),
                          preprocess, base, head], name="fine_tuned")
model.compile(loss=LOSS, metrics=["accuracy"])     # only to evaluate; fine-tuning compiles again
acc_before = model.evaluate(x_val, y_val, verbose=0)[1]
if facts_04:
    print(f"notebook 04 reported {facts_04['bottleneck_val_accuracy']:.4f} for this head")


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
# Now the lecture's line. Its 25 most likely counted the layers of an older, hand-written VGG16 with a padding layer before every convolution; Keras 3's VGG16 has none. Put the base (block 5 trainable, as we just left it) and the lecture's head in one model: we mean to train block 5 and the head. But a model that contains the base as **one** layer has only a handful of entries in `model.layers`, and `[:25]` is all of them: the base, block 5 included, *and the head* are frozen, and training would change nothing. (Building the model as `Model(inputs=vgg.input, outputs=head(vgg.output))` instead gives 20 layers, and `[:25]` still freezes them all.)

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
# Two more traps. A frozen *parent* wins: after `base.trainable = False`, switching one inner layer back on does not make its weights trainable (its own flag says `True`, but the base hides it). And on the TensorFlow backend, setting `trainable` to the value it already has does nothing at all, so `base.trainable = True` on a trainable base does *not* unfreeze the layers you froze one by one. The safe recipe: make the parent trainable, then set every inner layer's flag explicitly:

# %% tags=["nbval-check-output"]
vgg.trainable = False
vgg.get_layer("block5_conv1").trainable = True
print(f"parent frozen, block5_conv1.trainable={vgg.get_layer('block5_conv1').trainable}: "
      f"{n_trainable(vgg):,} trainable parameters")
vgg.trainable = True                       # the parent first
for i, layer in enumerate(vgg.layers):
    layer.trainable = i >= 15              # then every layer: frozen before block5_conv1, trainable from it on
print(f"parent trainable, every layer set: {n_trainable(vgg):,} trainable parameters")

# %% [markdown]
# ### Freezing our base up to its last block
#
# The same recipe on the base in use, with the index found by *name* rather than typed in (it depends on how the network was written): find the first layer of the last block, make the base trainable, set every layer's flag. Then compile again: the trainable flags take effect when the model is compiled.

# %% tags=["nbval-check-output"]
def freeze_before(base, layer_name):
    """Freeze the layers of `base` before `layer_name`, train it and the layers after it; returns its
    index."""
    first = [layer.name for layer in base.layers].index(layer_name)
    base.trainable = True                   # the parent first: a frozen parent hides its layers
    for i, layer in enumerate(base.layers):
        layer.trainable = i >= first
    return first


last_block = "block5_conv1" if IMAGENET else "block3_conv1"   # first layer of the last convolutional block
first = freeze_before(base, last_block)
trainable_base, trainable_after_freezing = n_trainable(base), n_trainable(model)
print(layer_table(base).to_string())
print(f"\nfirst trainable layer: {first} ({last_block})")
print(f"trainable parameters: base {trainable_base:,}, head {n_trainable(head):,}, whole model {trainable_after_freezing:,}")


# %% [markdown]
# ## 4. Fine-tuning with the lecture's optimizer
#
# The lecture fine-tunes with plain stochastic gradient descent, `SGD(learning_rate=1e-4, momentum=0.9)`, for 50 epochs. We also measure how far the weights of the last block move, relative to their pretrained size, and check afterwards that the frozen blocks did not move at all.
#
# > **Then and now.** Keras 2 code writes `optimizers.SGD(lr=1e-4, momentum=0.9)`; Keras 3 only accepts `learning_rate=`. `fit_generator(...)` became `fit(...)`.

# %% tags=["nbval-ignore-output"]
def fine_tune(model, learning_rate, epochs=EPOCHS):
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate, momentum=0.9),
                  loss=LOSS, metrics=["accuracy"])
    return model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=epochs,
                     batch_size=BATCH_SIZE, verbose=0)

pretrained = {layer.name: [w.copy() for w in layer.get_weights()] for layer in build_base().layers}

def moved(model, layer_name=last_block):
    """Distance of a layer's kernel from its pretrained value, relative to the pretrained kernel's size."""
    kernel = model.layers[-2].get_layer(layer_name).get_weights()[0]      # model.layers[-2] is the base
    return float(np.linalg.norm(kernel - pretrained[layer_name][0]) / np.linalg.norm(pretrained[layer_name][0]))


# %% tags=["nbval-ignore-output"]
history_lecture = fine_tune(model, learning_rate=1e-4)
acc_lecture = history_lecture.history["val_accuracy"][-1]

# %% [markdown]
# Did fine-tuning leave exactly the intended layers trainable, and did the frozen ones stay put?

# %% tags=["nbval-ignore-output"]
still_trainable = [layer.name for layer in base.layers if layer.trainable and layer.weights]
frozen_unchanged = all(np.array_equal(w, w0) for layer in base.layers[:first]
                       for w, w0 in zip(layer.get_weights(), pretrained[layer.name]))
print(f"layers with trainable weights: {still_trainable}; frozen weights unchanged: {frozen_unchanged}")


# %% [markdown]
# With the lecture's rate the last block barely moves in our short run: SGD's step is the learning rate times the gradient, the head is already good (small loss, small gradients), and we take far fewer steps than the lecture (by default 10 epochs of 10 batches here, 50 epochs of 125 batches there). A larger rate, `LEARNING_RATE` (1e-3 by default, 10× the lecture's), lets the small template move within our CPU budget; it is still small, and still plain SGD. This run, from a fresh copy of the pretrained base and 04's head, is our main fine-tuned result.

# %% tags=["nbval-ignore-output"]
def build_model(trained_head=True, first_trainable=last_block):
    """A fresh pretrained base, frozen before `first_trainable`, with 04's trained head (or a random one)."""
    keras.utils.set_random_seed(SEED)
    base = build_base()
    freeze_before(base, first_trainable)
    head = build_head(base.output.shape[1:], n_classes)
    if trained_head:
        head.set_weights(trained_head_weights)
    return keras.Sequential([keras.Input(shape=x_train.shape[1:]), *([build_augmentation()] if AUGMENT else []),
                             preprocess, base, head], name="fine_tuned")

model_ft = build_model()
history_ft = fine_tune(model_ft, learning_rate=LEARNING_RATE)
acc_ft = history_ft.history["val_accuracy"][-1]

# %% tags=["nbval-ignore-output"]
axes = plots.plot_history(history_lecture, title="Fine-tuning", label="SGD 1e-4 (lecture)")
plots.plot_history(history_ft, title="Fine-tuning", axes=axes, label=f"SGD {LEARNING_RATE:g}")
axes[1].axhline(acc_before, color="gray", ls=":", label="before fine-tuning")
axes[1].legend()
plt.show()
print(f"validation accuracy: before {acc_before:.3f}, lecture's rate {acc_lecture:.3f}, "
      f"rate {LEARNING_RATE:g} {acc_ft:.3f} ({100 * (acc_ft - acc_before):+.1f} points)")

# %% [markdown]
# ## 5. The lecture's precautions, tested
#
# ### 5.1 Fine-tune only a trained head
#
# A randomly initialised head produces large errors, and so large gradients, which flow back into the unfrozen block and change the pretrained filters to suit a head that does not yet know anything. Same fine-tuning, same rate, but with a random head:

# %% tags=["nbval-ignore-output"]
model_random = build_model(trained_head=False)
history_random = fine_tune(model_random, learning_rate=LEARNING_RATE)
acc_random = history_random.history["val_accuracy"][-1]
print(f"validation accuracy {acc_random:.3f} with a random head vs {acc_ft:.3f} with 04's head; "
      f"last block moved {moved(model_random):.4f} vs {moved(model_ft):.4f}")


# %% [markdown]
# The accuracy mixes two things: the random head has not finished its *own* training in these few small steps, and the base may have been damaged. To judge the base alone we do what 04 did with the pretrained one: extract its features and train a fresh head on them, with 04's recipe. If fine-tuning wrecked the features, that fresh head does worse than 04's head did on the pretrained features.

# %% tags=["nbval-ignore-output"]
def judge_features(fine_tuned_model):
    """Validation accuracy of a fresh head trained, as in 04, on the features of a fine-tuned base."""
    extractor = keras.Sequential([keras.Input(shape=x_train.shape[1:]), preprocess, fine_tuned_model.layers[-2]])
    features_train = extractor.predict(x_train, batch_size=64, verbose=0)
    features_val = extractor.predict(x_val, batch_size=64, verbose=0)
    keras.utils.set_random_seed(SEED)
    fresh = build_head(features_train.shape[1:], n_classes)
    fresh.compile(optimizer="rmsprop", loss=LOSS, metrics=["accuracy"])
    fresh.fit(features_train, y_train, epochs=HEAD_EPOCHS, batch_size=BATCH_SIZE, verbose=0)
    return fresh.evaluate(features_val, y_val, verbose=0)[1]

probe_ft, probe_random = judge_features(model_ft), judge_features(model_random)
print(f"fresh head on the features: pretrained base {acc_before:.3f} (04), after fine-tuning with 04's head "
      f"{probe_ft:.3f}, after fine-tuning with a random head {probe_random:.3f}")

# %% [markdown]
# ### 5.2 A small learning rate and a non-adaptive optimizer
#
# Fine-tuning should nudge good weights, not replace them. With SGD each step is proportional to the gradient, so a small rate means small, careful changes. Adaptive optimizers such as Adam or RMSprop rescale each weight's step to roughly the learning rate whatever the size of its gradient, so from the first step every unfrozen weight moves by a similar amount, even where the gradient is tiny and noisy. And any optimizer with too large a rate wrecks the features:

# %% tags=["nbval-ignore-output"]
model_bad = build_model()
history_bad = fine_tune(model_bad, learning_rate=BAD_LEARNING_RATE)
acc_bad = history_bad.history["val_accuracy"][-1]
probe_bad = judge_features(model_bad)
print(f"validation accuracy {acc_bad:.3f}; a fresh head on the features of this base: {probe_bad:.3f} "
      f"(pretrained: {acc_before:.3f})")

# %% tags=["nbval-ignore-output"]
fig, ax = plt.subplots(figsize=(7, 4))
for history, label in [(history_lecture, "SGD 1e-4 (lecture)"), (history_ft, f"SGD {LEARNING_RATE:g}"),
                       (history_bad, f"SGD {BAD_LEARNING_RATE:g} (too large)"), (history_random, f"random head, SGD {LEARNING_RATE:g}")]:
    ax.plot(np.arange(1, len(history.history["val_accuracy"]) + 1), history.history["val_accuracy"], "-o", ms=3, label=label)
ax.axhline(acc_before, color="gray", ls=":", label="before fine-tuning")
ax.set_xlabel("epoch")
ax.set_ylabel("validation accuracy")
ax.set_title("Fine-tuning runs compared")
ax.grid(alpha=0.3)
ax.legend()
plt.show()

# %% [markdown]
# ### 5.3 Keep the early blocks frozen
#
# The first blocks compute general features (edges, blobs, simple textures) that suit almost any image; the last block's features are the most specific to the source task, so that is where adapting pays. Early blocks in VGG16 are also where the image is largest, so unfreezing them costs the most compute. And every unfrozen weight is one more thing a few hundred labelled images must pin down: the more we unfreeze, the more the network can over-fit. The exercise below tries unfreezing one more block.

# %% [markdown]
# ## 6. Fine-tuning vs 04

# %% tags=["nbval-ignore-output"]
comparison = pd.DataFrame({
    "validation accuracy": [facts_04.get("scratch_val_accuracy", np.nan), acc_before, acc_lecture, acc_ft,
                            acc_random, acc_bad],
    "last block moved": [np.nan, 0.0, moved(model), moved(model_ft), moved(model_random), moved(model_bad)],
    "fresh head on its features": [np.nan, acc_before, np.nan, probe_ft, probe_random, probe_bad],
}, index=["04: best scratch model", f"04: bottleneck head ({head_source})", "fine-tuned, SGD 1e-4 (lecture)",
          f"fine-tuned, SGD {LEARNING_RATE:g}", f"random head, SGD {LEARNING_RATE:g}",
          f"fine-tuned, SGD {BAD_LEARNING_RATE:g}"])
print(comparison.round(4).to_string())
print(f"\nfine-tuning changed validation accuracy by {100 * (acc_ft - acc_before):+.1f} points "
      f"({100 * (acc_lecture - acc_before):+.1f} with the lecture's rate)")
if not facts_04:
    print("(run notebook 04 to fill in its scratch result)")

# %% [markdown]
# In the lecture fine-tuning took VGG16 from about 90% to about 95%. On the template path expect much less: the head is already good, the last block holds only 73,856 weights, 300 labelled digits carry little information to adapt them with, and training is short. A point here is ten validation images, so differences of a point or less are within the noise of one seeded run. The precautions: a large rate destroys what pretraining gave, beyond repair by a new head; a random head costs accuracy within the same budget, and the last column shows whether it also damaged the features at this rate (the lecture's warning is about its large early gradients, whose damage grows with the learning rate: try the random head with a larger `LEARNING_RATE`).

# %% [markdown]
# ## 7. Exercises
#
# ### ✏️ Exercise 1 — one more block of VGG16
#
# How many trainable parameters does VGG16's base have if you fine-tune blocks 4 *and* 5 (everything from `block4_conv1` on)? Use the layer table above.

# %% tags=["nbval-ignore-output"]
answer = ...   # a whole number

# %% tags=["nbval-ignore-output"]
block4 = [layer.name for layer in vgg.layers].index("block4_conv1")
for i, layer in enumerate(vgg.layers):
    layer.trainable = i >= block4
helpers.check("VGG16 blocks 4-5 trainable", answer, n_trainable(vgg),
              hint="add the parameters of layers 11 to 18 of the table (pooling layers have none)")

# %% tags=["solution", "nbval-ignore-output"]
answer = sum(layer.count_params() for layer in vgg.layers[block4:])
helpers.check("VGG16 blocks 4-5 trainable", answer, n_trainable(vgg))

# %% [markdown]
# ### ✏️ Exercise 2 — beat the fine-tuned model (the lecture's exercise)
#
# The lecture challenges you to beat its fine-tuned result with more dropout, L1/L2 regularisation, or by fine-tuning one more block. Build and train a model that beats `acc_ft` on the validation set, and set `answer` to the trained model. `build_model(first_trainable="block2_conv1")` unfreezes one more block; for more dropout or a weight penalty, write your own head (`layers.Dropout(0.6)`, `layers.Dense(256, activation="relu", kernel_regularizer=keras.regularizers.l2(1e-4))`) and keep `head.set_weights(trained_head_weights)` only if the shapes match.

# %% tags=["nbval-ignore-output"]
answer = ...   # a trained Keras model


# %% tags=["nbval-ignore-output"]
def beats_fine_tuned(candidate):
    if candidate is None or candidate is Ellipsis:
        return None
    accuracy = candidate.evaluate(x_val, y_val, verbose=0)[1]
    print(f"your model: {accuracy:.4f} vs fine-tuned {acc_ft:.4f}")
    return bool(accuracy > acc_ft)

helpers.check("beat the fine-tuned model", beats_fine_tuned(answer), True,
              hint="unfreeze one more block and give it more epochs, or regularise the head")

# %% tags=["solution", "nbval-ignore-output"]
answer = build_model(first_trainable="block4_conv1" if IMAGENET else "block2_conv1")   # one more block
history_more = fine_tune(answer, learning_rate=LEARNING_RATE, epochs=2 * EPOCHS)       # more weights: more epochs
helpers.check("beat the fine-tuned model", beats_fine_tuned(answer), True)

# %% [markdown]
# ## Summary
#
# - **Rebuild and reload** (sections 1–2): the pretrained base again, and the head from 04 loaded into the same architecture (trained again here, with a message, when 04's file is missing).
# - **Freeze up to the last block** (section 3): count `trainable_weights` before and after. In Keras 3's VGG16 block 5 starts at layer 15 of the base (`block5_conv1`), which leaves 7,079,424 trainable parameters; the lecture's `model.layers[:25]` on a model that nests the base freezes everything, head included; a frozen parent overrides its layers' flags, and `trainable = True` on an already trainable base changes nothing: set every layer's flag.
# - **Fine-tune** (section 4) with `SGD(learning_rate=1e-4, momentum=0.9)` as the lecture, and with a larger rate that moves the small template in a short run; the frozen blocks provably did not change.
# - **Precautions** (section 5): a trained head first (a random head ended far below 04's head in the same budget; a fresh head on its features shows whether the base was damaged too); a small learning rate with plain SGD (a large one wrecked the features beyond repair); early blocks frozen (general features, most compute, most over-fitting risk).
# - **The lecture's exercise** (section 7): beat the fine-tuned result; the solution unfreezes one more block.
#
# This run next to the lecture's (VGG16 on 1,000 + 1,000 cat and dog photos, 50 epochs; about 95% after fine-tuning, at a higher compute cost than the bottleneck head):

# %% tags=["nbval-ignore-output"]
peak_mb = helpers.peak_memory_mb()
summary = pd.DataFrame({
    "this run": [PRETRAINED, f"{n_train_per_class} x {n_classes}", f"{acc_before:.3f}", f"{acc_lecture:.3f}", f"{acc_ft:.3f}",
                 f"{n_trainable(model):,}", f"{peak_mb:.0f} MB"],
    "lecture": ["VGG16 (ImageNet)", "1,000 x 2", "about 0.90", "about 0.95", "-",
                "7,079,424 + head (block 5)", "-"],
}, index=["pretrained network", "labelled training images", "bottleneck head (04)",
          "fine-tuned, SGD 1e-4, momentum 0.9", f"fine-tuned, SGD {LEARNING_RATE:g}", "trainable parameters while fine-tuning",
          "peak memory of this notebook"])
print(summary.to_string())
helpers.record("results", {
    "pretrained": PRETRAINED, "provenance": ds.provenance, "head_source": head_source,
    "trainable_before_freezing": trainable_before, "first_trainable_layer": first,
    "trainable_base_after_freezing": trainable_base, "trainable_after_freezing": trainable_after_freezing,
    "trainable_after_fine_tuning": n_trainable(model), "trainable_layers_after_fine_tuning": still_trainable,
    "frozen_weights_unchanged": frozen_unchanged, "vgg16_block5_trainable": vgg_block5_trainable,
    "lecture_freeze_trainable": lecture_trainable,
    "val_accuracy": {"before": acc_before, "lecture_lr": acc_lecture, "fine_tune": acc_ft, "random_head": acc_random,
                     "bad_lr": acc_bad},
    "moved": {"lecture_lr": moved(model), "fine_tune": moved(model_ft), "random_head": moved(model_random),
              "bad_lr": moved(model_bad)},
    "features_after": {"fine_tune": probe_ft, "random_head": probe_random, "bad_lr": probe_bad},
    "peak_memory_mb": peak_mb})
