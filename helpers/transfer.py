"""Transfer-learning plumbing for notebooks 04 and 05: the shipped template CNN and the two paths.

Two pretrained networks can play the role of the lecture's VGG16:
- 'imagenet': VGG16 with its ImageNet weights (58.9 MB download, see `helpers.data`), on CIFAR-10's
  cats and dogs, as in the lecture; needs the files once from the internet;
- 'template': a small VGG-style CNN that this course trained on all 60,000 Fashion-MNIST images
  (`tools/train_template.py`, weights in `data/`, about 1 MB), transferred to MNIST digits offline.

Nothing here trains a model. `build_template_cnn` is the architecture shown in full in
04_bottleneck_features; it lives here too so that the training script, the tests and 05 build
exactly the network whose weights are shipped.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .data import PROJECT_ROOT, file_digest

PATHS = ("template", "imagenet")
TEMPLATE_WEIGHTS = PROJECT_ROOT / "data" / "template_cnn.weights.h5"
TEMPLATE_MANIFEST = PROJECT_ROOT / "data" / "template_cnn.json"
TEMPLATE_LAST_POOL = "block3_pool"     # the template's `include_top=False` output
TEMPLATE_LAST_BLOCK = "block3_conv1"   # first layer of its last convolutional block
VGG16_LAST_BLOCK = "block5_conv1"      # first layer of VGG16's last convolutional block


class TemplateWeightsError(RuntimeError):
    """The shipped template weights are missing or do not match their recorded SHA-256."""


def build_template_cnn(num_classes: int = 10) -> Any:
    """The template CNN, untrained (introduced in 04_bottleneck_features, shown there in full)."""
    import keras
    from keras import layers

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


def template_manifest(path: Path | None = None) -> dict:
    """The facts recorded when the template was trained (data, epochs, accuracy, SHA-256, ...)."""
    path = Path(path or TEMPLATE_MANIFEST)
    if not path.is_file():
        raise TemplateWeightsError(f"{path} is missing: run `make template` to train the template CNN.")
    return json.loads(Path(path).read_text())


def template_weights_path(verify: bool = True) -> Path:
    """Path of the shipped template weights, checked against the SHA-256 in the manifest."""
    manifest = template_manifest()
    path = Path(TEMPLATE_MANIFEST).parent / manifest["file"]
    if not path.is_file():
        raise TemplateWeightsError(f"{path} is missing: run `make template` to train it again (a few minutes).")
    if verify:
        got = file_digest(path)
        if got != manifest["sha256"]:
            raise TemplateWeightsError(
                f"{path.name} has SHA-256 {got}, but {Path(TEMPLATE_MANIFEST).name} records {manifest['sha256']}: "
                "the file was changed or truncated. Restore it from the repository or run `make template`.")
    return path


def load_template_cnn(verify: bool = True) -> Any:
    """The template CNN with its shipped, checksum-verified weights (top included)."""
    model = build_template_cnn()
    model.load_weights(template_weights_path(verify=verify))
    return model


def template_base(verify: bool = True) -> Any:
    """The template's convolutional base with pretrained weights: the analogue of
    `VGG16(weights='imagenet', include_top=False)` (introduced in 04_bottleneck_features)."""
    import keras

    full = load_template_cnn(verify=verify)
    return keras.Model(full.inputs, full.get_layer(TEMPLATE_LAST_POOL).output, name="template_base")


def vgg16_base(image_size: int = 150, weights: str | None = "imagenet") -> Any:
    """VGG16's convolutional base; `weights='imagenet'` uses the verified local file from helpers.data.

    `weights=None` builds the same network with random weights, offline (used by the tests).
    """
    import keras

    if weights == "imagenet":
        from .data import vgg16_weights_path
        weights = str(vgg16_weights_path())   # raises DataUnavailable (with the fix) when offline
    return keras.applications.VGG16(weights=weights, include_top=False,
                                    input_shape=(image_size, image_size, 3))


def describe_path(path: str) -> str:
    """Print and return one line saying which pretrained network and which data a notebook uses."""
    if path not in PATHS:
        raise ValueError(f"PATH={path!r}: choose one of {PATHS}")
    if path == "imagenet":
        line = ("Path 'imagenet': VGG16 pretrained on ImageNet (1.2 million photos, 1,000 classes) "
                "-> cats vs dogs from CIFAR-10 (the lecture's experiment; needs the downloads of `make data`).")
    else:
        facts = template_manifest()
        line = (f"Path 'template': the course's template CNN, pretrained on {facts['source_data']} "
                f"to a test accuracy of {facts['test_accuracy']:.3f} -> MNIST digits (offline).")
    print(line)
    return line


def weights_fingerprint(model: Any) -> str:
    """SHA-256 of a model's weight values (independent of the file format), to compare two trainings."""
    import hashlib

    import numpy as np

    h = hashlib.sha256()
    for w in model.weights:
        h.update(np.ascontiguousarray(np.asarray(w), dtype=np.float32).tobytes())
    return h.hexdigest()
