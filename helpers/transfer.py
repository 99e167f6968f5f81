"""Transfer learning for notebooks 05 and 06: the two pretrained networks, the splits, and the lesson code.

Two pretrained networks can play the role of the lecture's VGG16 (the notebooks' `PRETRAINED`):
- "imagenet": VGG16 with its ImageNet weights (58.9 MB download, see `helpers.cache`), on the lecture's
  cats vs dogs photos (TensorFlow's `cats_and_dogs_filtered`, 68.6 MB); needs the files once from the internet;
- "template": a small VGG-style CNN that this course trained on all 60,000 Fashion-MNIST images
  (`tools/train_template.py`, weights in `data/`, about 1 MB), transferred to MNIST digits offline.

Nothing here trains a model. The lesson code of 05 and 06 (build_head, freeze_before, ...) is generated
from the notebooks into `helpers.lessons` and re-exported here, so that 06, the training script and the
tests use exactly what the lesson showed. Import this module after `helpers.setup()`: it imports Keras.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import keras
import numpy as np

from . import data
from .cache import file_digest
from .lessons import (build_head, build_preprocess, build_template_bn_cnn, build_template_cnn,  # noqa: F401
                      digit_augmentation, freeze_before, load_photos, load_task, loss_for, output_layer)
from .paths import PROJECT_ROOT

PRETRAINED_CHOICES = ("template", "imagenet")
TEMPLATE_WEIGHTS = PROJECT_ROOT / "data" / "template_cnn.weights.h5"
TEMPLATE_MANIFEST = PROJECT_ROOT / "data" / "template_cnn.json"
# The template with BatchNormalization (06): a base like every modern pretrained network's (ResNet, EfficientNet, ...),
# for the fine-tuning trap that VGG16 and the plain template cannot show. `make template` trains both.
TEMPLATE_BN_WEIGHTS = PROJECT_ROOT / "data" / "template_bn_cnn.weights.h5"
TEMPLATE_BN_MANIFEST = PROJECT_ROOT / "data" / "template_bn_cnn.json"
LAST_BLOCK = {"template": "block3_conv1", "imagenet": "block5_conv1"}   # first layer of the last block
VGG16_LAST_BLOCK = LAST_BLOCK["imagenet"]


class TemplateWeightsError(RuntimeError):
    """The shipped template weights are missing or do not match their recorded SHA-256."""


# ---------------------------------------------------------------- 05's and 06's splits (plumbing)
def per_class_index(y, n_per_class, seed):
    """Indices of a shuffled, class-balanced sample: n_per_class images of every class (05 and 06)."""
    n_per_class = data.clip_size(n_per_class, int(np.bincount(y).min()), "images per class")
    return data.stratified_subset(y, n_per_class * len(np.unique(y)), seed=seed)


def split_pool(y_pool, n_train_per_class, n_val_per_class, seed):
    """Validation indices set aside first, then training indices from the rest (never the same image).
    Returns (train, val, rest): `rest` is every pool image that may be trained on."""
    val = per_class_index(y_pool, n_val_per_class, seed=seed)
    rest = np.setdiff1d(np.arange(len(y_pool)), val)
    train = rest[per_class_index(y_pool[rest], n_train_per_class, seed=seed)]
    return train, val, rest


def make_splits(ds, imagenet, n_pool_per_class, n_train_per_class, n_val_per_class, n_test_per_class, seed):
    """The labelled pool (pixels 0..255) with its training and validation indices, the test indices, and
    where each part comes from: 05's and 06's splits, described in 05, section 2."""
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


# ---------------------------------------------------------------- the pretrained networks
def _manifest_path(name: str) -> Path:
    """The manifest of a shipped template, looked up when called (the tests point it elsewhere)."""
    manifests = {"template_cnn": TEMPLATE_MANIFEST, "template_bn_cnn": TEMPLATE_BN_MANIFEST}
    if name not in manifests:
        raise ValueError(f"name={name!r}: choose one of {tuple(manifests)}")
    return Path(manifests[name])


def template_manifest(path: Path | None = None, name: str = "template_cnn") -> dict:
    """The facts recorded when the template (or `name="template_bn_cnn"`, its BN variant) was trained
    (data, epochs, accuracy, SHA-256, ...)."""
    path = Path(path or _manifest_path(name))
    if not path.is_file():
        raise TemplateWeightsError(f"{path} is missing: run `make template` to train the template CNN.")
    return json.loads(path.read_text())


def template_weights_path(verify: bool = True, name: str = "template_cnn") -> Path:
    """Path of the shipped template weights (or `name`'s), checked against the SHA-256 in the manifest."""
    manifest_path = _manifest_path(name)
    manifest = template_manifest(manifest_path)
    path = manifest_path.parent / manifest["file"]
    if not path.is_file():
        raise TemplateWeightsError(f"{path} is missing: run `make template` to train it again (a few minutes).")
    if verify and (got := file_digest(path)) != manifest["sha256"]:
        raise TemplateWeightsError(
            f"{path.name} has SHA-256 {got}, but {manifest_path.name} records {manifest['sha256']}: "
            "the file was changed or truncated. Restore it from the repository or run `make template`.")
    return path


def load_template_cnn(verify: bool = True, name: str = "template_cnn") -> keras.Model:
    """The template CNN (or `name`'s) with its shipped, checksum-verified weights (top included)."""
    model = (build_template_bn_cnn if name == "template_bn_cnn" else build_template_cnn)()
    model.load_weights(template_weights_path(verify=verify, name=name))
    return model


def template_base(verify: bool = True, name: str = "template_cnn") -> keras.Model:
    """The template's (or `name`'s) convolutional base, up to block3_pool, with pretrained weights: the analogue
    of `VGG16(weights='imagenet', include_top=False)` (introduced in notebook 05, section 4)."""
    full = load_template_cnn(verify=verify, name=name)
    return keras.Model(full.inputs, full.get_layer("block3_pool").output, name=name.replace("_cnn", "_base"))


def template_bn_manifest() -> dict:
    """The facts recorded when the BN template was trained (data, epochs, accuracy, SHA-256, ...)."""
    return template_manifest(name="template_bn_cnn")


def template_bn_weights_path(verify: bool = True) -> Path:
    """Path of the shipped BN template weights, checked against the SHA-256 in its manifest."""
    return template_weights_path(verify=verify, name="template_bn_cnn")


def load_template_bn_cnn(verify: bool = True) -> keras.Model:
    """The BN template CNN with its shipped, checksum-verified weights (top included)."""
    return load_template_cnn(verify=verify, name="template_bn_cnn")


def template_bn_base(verify: bool = True) -> keras.Model:
    """The BN template's convolutional base (up to block3_pool) with pretrained weights and moving statistics."""
    return template_base(verify=verify, name="template_bn_cnn")


def vgg16_base(image_size: int = 150, weights: str | None = "imagenet") -> keras.Model:
    """VGG16's convolutional base; `weights='imagenet'` uses the verified local file from helpers.cache,
    `weights=None` builds the same network with random weights, offline (used by the tests)."""
    if weights == "imagenet":
        weights = str(data.vgg16_weights_path())   # raises DataUnavailable (with the fix) when offline
    return keras.applications.VGG16(weights=weights, include_top=False, input_shape=(image_size, image_size, 3))


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
    h = hashlib.sha256()
    for w in model.weights:
        h.update(np.ascontiguousarray(keras.ops.convert_to_numpy(w), dtype=np.float32).tobytes())
    return h.hexdigest()


def what_bn_kept(scores, drift, training, argument, frozen):
    """Print what this Keras did to the BN layers' moving statistics in notebook 06's three ways of
    fine-tuning a BN base (`training`, the `argument` training=False, BN layers `frozen`), from the measured
    drifts; returns {way: statistics kept exactly?}."""
    kept = {way: all(d["mean"] == 0 and d["variance"] == 0 for d in drifts) for way, drifts in drift.items()}
    same_as_training = scores[argument] == scores[training] and drift[argument] == drift[training]
    print(f"\nKeras {keras.__version__}, backend {keras.backend.backend()}:")
    print("- base(inputs, training=False): " + (
        "honoured, the moving statistics were kept." if kept[argument] else
        "overridden by fit: block3_bn ran in training mode and its moving statistics moved"
        + (", exactly as without the argument (same accuracies, same statistics)." if same_as_training else ".")))
    print("- BN layers set to trainable=False: " + (
        "inference mode, the moving statistics were kept." if kept[frozen] else
        "the moving statistics still moved: this Keras does not run frozen BN layers in inference mode."))
    if kept[frozen] and not kept[argument]:
        print("  So in this Keras only freezing the BN layers keeps them in inference mode: do both, the argument "
              "states the intent (and works in Keras versions that honour it), the frozen BN layers make it true here.")
    return kept
