"""Transfer learning for notebooks 05 and 06: the two pretrained networks, and 05's lesson code for 06.

Two pretrained networks can play the role of the lecture's VGG16 (the notebooks' `PRETRAINED`):
- "imagenet": VGG16 with its ImageNet weights (58.9 MB download, see `helpers.cache`), on the lecture's
  kind of photos: the cats vs dogs photos of TensorFlow's transfer-learning tutorial (`cats_and_dogs_filtered`,
  68.6 MB), as in the lecture; needs the files once from the internet;
- "template": a small VGG-style CNN that this course trained on all 60,000 Fashion-MNIST images
  (`tools/train_template.py`, weights in `data/`, about 1 MB), transferred to MNIST digits offline.

Nothing here trains a model. The functions below the line "lesson code" are written out in full in
notebook 05 (or 06), where they are taught; they are kept here, identical (a test compares the
parsed code), so that 06, the training script and the tests use exactly what the lesson showed.
Import this module after `helpers.setup()`: it imports Keras.
"""
from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
from keras import layers

from . import data
from .cache import file_digest
from .paths import PROJECT_ROOT

PRETRAINED_CHOICES = ("template", "imagenet")
TEMPLATE_WEIGHTS = PROJECT_ROOT / "data" / "template_cnn.weights.h5"
TEMPLATE_MANIFEST = PROJECT_ROOT / "data" / "template_cnn.json"
LAST_BLOCK = {"template": "block3_conv1", "imagenet": "block5_conv1"}   # first layer of the last block
VGG16_LAST_BLOCK = LAST_BLOCK["imagenet"]


class TemplateWeightsError(RuntimeError):
    """The shipped template weights are missing or do not match their recorded SHA-256."""


# ---------------------------------------------------------------- lesson code (shown in 05 and 06)
def build_template_cnn(num_classes=10):
    """The template CNN, untrained. Introduced in notebook 05, section 4."""
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


def load_photos(folder, image_size):
    """Every photo in folder/cats and folder/dogs, resized to image_size x image_size, in a known order:
    uint8 images, labels (0 = cats, 1 = dogs: the sorted folder names) and the class names.
    Introduced in notebook 05, section 2."""
    photos = keras.utils.image_dataset_from_directory(
        folder, label_mode="int", image_size=(image_size, image_size), batch_size=100,
        shuffle=False)       # folder by folder, file names sorted: every label stays with its photo
    batches = [(images.round().astype("uint8"), labels) for images, labels in photos.as_numpy_iterator()]
    x = np.concatenate([images for images, _ in batches])
    y = np.concatenate([labels for _, labels in batches]).astype("int64")
    return x, y, photos.class_names


def load_task(pretrained, seed, image_size=150):
    """The target task, as a Dataset whose images have a channel axis. imagenet: the lecture's cats vs dogs
    photos at image_size, every photo of train/ (x_train) and of validation/ (x_test); template: MNIST
    digits, a labelled pool (x_train) and test digits (x_test). Introduced in notebook 05, section 2."""
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


def per_class_index(y, n_per_class, seed):
    """Indices of a shuffled, class-balanced sample: n_per_class images of every class.
    Introduced in notebook 05, section 2."""
    n_classes = len(np.unique(y))
    n_per_class = data.clip_size(n_per_class, int(np.bincount(y).min()), "images per class")
    return data.stratified_subset(y, n_per_class * n_classes, seed=seed)


def split_pool(y_pool, n_train_per_class, n_val_per_class, seed):
    """Validation indices set aside first, then training indices from the rest (never the same image).
    Returns (train, val, rest): `rest` is every pool image that may be trained on.
    Introduced in notebook 05, section 2."""
    val = per_class_index(y_pool, n_val_per_class, seed=seed)
    rest = np.setdiff1d(np.arange(len(y_pool)), val)
    train = rest[per_class_index(y_pool[rest], n_train_per_class, seed=seed)]
    return train, val, rest


def make_splits(ds, imagenet, n_pool_per_class, n_train_per_class, n_val_per_class, n_test_per_class, seed):
    """The labelled pool (pixels 0..255) with its training and validation indices, the test indices, and
    where each part comes from. Introduced in notebook 05, section 2."""
    if imagenet:    # photos: validation and test photos from validation/ (split_pool sets the validation ones aside first)
        test, val_photos, _ = split_pool(ds.y_test, n_test_per_class, n_val_per_class, seed=seed)
        train_photos = per_class_index(ds.y_train, n_pool_per_class - n_val_per_class, seed=seed)   # all we may train on
        x_pool = np.concatenate([ds.x_train[train_photos], ds.x_test[val_photos]]).astype("float32")   # those, then
        y_pool = np.concatenate([ds.y_train[train_photos], ds.y_test[val_photos]])       # the validation photos
        rest, val = np.arange(len(train_photos)), np.arange(len(train_photos), len(y_pool))
        train = rest[per_class_index(y_pool[rest], n_train_per_class, seed=seed)]
        parts = {"train": ("train/", train_photos[train]), "validation": ("validation/", val_photos),
                 "test": ("validation/", test)}
    else:           # digits: the validation digits are set aside from the pool first, the test digits are MNIST's test split
        x_pool, y_pool = ds.x_train.astype("float32"), ds.y_train
        train, val, rest = split_pool(y_pool, n_train_per_class, n_val_per_class, seed=seed)
        test = per_class_index(ds.y_test, n_test_per_class, seed=seed)
        parts = {"train": ("pool", train), "validation": ("pool", val), "test": ("test split", test)}
    return x_pool, y_pool, train, val, rest, test, parts


def build_preprocess(pretrained, image_size):
    """What the pretrained base expects: VGG16's resizing and caffe-style preprocess_input, or the
    template's scaling to 0..1. Introduced in notebook 05, section 4."""
    if pretrained == "imagenet":
        return keras.Sequential([layers.Resizing(image_size, image_size),
                                 layers.Lambda(keras.applications.vgg16.preprocess_input)], name="preprocess")
    return keras.Sequential([layers.Rescaling(1 / 255)], name="preprocess")


def output_layer(n_classes, name):
    """Lecture: Dense(1, sigmoid) for cats vs dogs; Dense(n, softmax) for n > 2 classes.
    Introduced in notebook 05, section 3."""
    if n_classes == 2:
        return layers.Dense(1, activation="sigmoid", name=name)
    return layers.Dense(n_classes, activation="softmax", name=name)


def loss_for(n_classes):
    """The loss that goes with `output_layer`. Introduced in notebook 05, section 3."""
    return "binary_crossentropy" if n_classes == 2 else "sparse_categorical_crossentropy"


def digit_augmentation():
    """Augmentation that keeps a digit a digit: small turns, shifts and zooms, no flip, black where
    pixels move in. Introduced in notebook 05, section 3."""
    return keras.Sequential([
        layers.RandomRotation(8 / 360, fill_mode="constant"),
        layers.RandomTranslation(0.08, 0.08, fill_mode="constant"),
        layers.RandomZoom(0.08, 0.08, fill_mode="constant"),
    ], name="digit_augmentation")


def build_head(input_shape, n_classes):
    """The lecture's dense classifier on top of the base. Introduced in notebook 05, section 4."""
    return keras.Sequential([
        keras.Input(shape=input_shape),
        layers.Flatten(name="head_flatten"),
        layers.Dense(256, activation="relu", name="head_dense"),
        layers.Dropout(0.5, name="head_dropout"),
        output_layer(n_classes, "head_output"),
    ], name="head")


def freeze_before(base, layer_name):
    """Freeze the layers of `base` before `layer_name`, train it and the layers after it; returns its
    index. Introduced in notebook 06, section 3."""
    first = [layer.name for layer in base.layers].index(layer_name)
    base.trainable = True                   # the parent first: a frozen parent hides its layers
    for i, layer in enumerate(base.layers):
        layer.trainable = i >= first
    return first


# ---------------------------------------------------------------- the pretrained networks
def template_manifest(path: Path | None = None, name: str = "template_cnn") -> dict:
    """The facts recorded when the template (or `name="template_bn_cnn"`, its BN variant) was trained
    (data, epochs, accuracy, SHA-256, ...)."""
    path = Path(path or _manifest_path(name))
    if not path.is_file():
        raise TemplateWeightsError(f"{path} is missing: run `make template` to train the template CNN.")
    return json.loads(Path(path).read_text())


def template_weights_path(verify: bool = True, name: str = "template_cnn") -> Path:
    """Path of the shipped template weights (or `name`'s), checked against the SHA-256 in the manifest."""
    manifest_path = Path(_manifest_path(name))
    manifest = template_manifest(manifest_path)
    path = manifest_path.parent / manifest["file"]
    if not path.is_file():
        raise TemplateWeightsError(f"{path} is missing: run `make template` to train it again (a few minutes).")
    if verify:
        got = file_digest(path)
        if got != manifest["sha256"]:
            raise TemplateWeightsError(
                f"{path.name} has SHA-256 {got}, but {manifest_path.name} records {manifest['sha256']}: "
                "the file was changed or truncated. Restore it from the repository or run `make template`.")
    return path


def load_template_cnn(verify: bool = True) -> keras.Model:
    """The template CNN with its shipped, checksum-verified weights (top included)."""
    model = build_template_cnn()
    model.load_weights(template_weights_path(verify=verify))
    return model


def template_base(verify: bool = True) -> keras.Model:
    """The template's convolutional base with pretrained weights: the analogue of
    `VGG16(weights='imagenet', include_top=False)` (introduced in notebook 05, section 4)."""
    full = load_template_cnn(verify=verify)
    return keras.Model(full.inputs, full.get_layer("block3_pool").output, name="template_base")


def vgg16_base(image_size: int = 150, weights: str | None = "imagenet") -> keras.Model:
    """VGG16's convolutional base; `weights='imagenet'` uses the verified local file from helpers.cache.

    `weights=None` builds the same network with random weights, offline (used by the tests).
    """
    if weights == "imagenet":
        weights = str(data.vgg16_weights_path())   # raises DataUnavailable (with the fix) when offline
    return keras.applications.VGG16(weights=weights, include_top=False,
                                    input_shape=(image_size, image_size, 3))


def describe_pretrained(pretrained: str) -> str:
    """Print and return one line saying which pretrained network and which data a notebook uses."""
    if pretrained not in PRETRAINED_CHOICES:
        raise ValueError(f"PRETRAINED={pretrained!r}: choose one of {PRETRAINED_CHOICES}")
    if pretrained == "imagenet":
        line = ("Pretrained 'imagenet': VGG16 trained on ImageNet (1.2 million photos, 1,000 classes) "
                "-> cats vs dogs photos (cats_and_dogs_filtered, the lecture's experiment; needs the downloads "
                "of `make data`).")
    else:
        facts = template_manifest()
        line = (f"Pretrained 'template': the course's template CNN, trained on {facts['source_data']} "
                f"to a test accuracy of {facts['test_accuracy']:.3f} -> MNIST digits (offline).")
    print(line)
    return line


def weights_fingerprint(model: keras.Model) -> str:
    """SHA-256 of a model's weight values (independent of the file format), to compare two trainings."""
    import hashlib

    h = hashlib.sha256()
    for w in model.weights:
        h.update(np.ascontiguousarray(keras.ops.convert_to_numpy(w), dtype=np.float32).tobytes())
    return h.hexdigest()


# ---------------------------------------------------------------- the template with batch normalization (06)
# A base with BatchNormalization layers, as in every modern pretrained network (ResNet, EfficientNet, ...),
# for the fine-tuning trap that VGG16 and the plain template cannot show. Trained like the template
# (`make template` = `tools/train_template.py` and `tools/train_template.py --bn`), shipped with its SHA-256.
TEMPLATE_BN_WEIGHTS = PROJECT_ROOT / "data" / "template_bn_cnn.weights.h5"
TEMPLATE_BN_MANIFEST = PROJECT_ROOT / "data" / "template_bn_cnn.json"


def _manifest_path(name: str) -> Path:
    """The manifest of a shipped template, looked up when called (the tests point it elsewhere)."""
    manifests = {"template_cnn": TEMPLATE_MANIFEST, "template_bn_cnn": TEMPLATE_BN_MANIFEST}
    if name not in manifests:
        raise ValueError(f"name={name!r}: choose one of {tuple(manifests)}")
    return Path(manifests[name])


def build_template_bn_cnn(num_classes=10):
    """The template CNN with batch normalization, untrained. Introduced in notebook 06, section 6."""
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


def template_bn_manifest() -> dict:
    """The facts recorded when the BN template was trained (data, epochs, accuracy, SHA-256, ...)."""
    return template_manifest(name="template_bn_cnn")


def template_bn_weights_path(verify: bool = True) -> Path:
    """Path of the shipped BN template weights, checked against the SHA-256 in its manifest."""
    return template_weights_path(verify=verify, name="template_bn_cnn")


def load_template_bn_cnn(verify: bool = True) -> keras.Model:
    """The BN template CNN with its shipped, checksum-verified weights (top included)."""
    model = build_template_bn_cnn()
    model.load_weights(template_bn_weights_path(verify=verify))
    return model


def template_bn_base(verify: bool = True) -> keras.Model:
    """The BN template's convolutional base (up to block3_pool) with pretrained weights and moving statistics."""
    full = load_template_bn_cnn(verify=verify)
    return keras.Model(full.inputs, full.get_layer("block3_pool").output, name="template_bn_base")
