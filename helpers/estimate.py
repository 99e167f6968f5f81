"""How long the lecture-size ImageNet path takes on a CPU, from a measurement stored in `data/`.

`data/imagenet_cost.json` holds what `tools/measure_imagenet_cost.py` measured on a CPU: seconds per
image to extract VGG16's features (a forward pass through the base) and to take one fine-tuning step
with block 5 trainable (forward through the base, backward through block 5 and the head). VGG16 with
random weights (`weights=None`) costs exactly what it costs with ImageNet's, so this needs no download.
`imagenet_cost_estimate` turns it into a sentence for a notebook to print before the long cells.
"""
from __future__ import annotations

import json
from pathlib import Path

from .paths import PROJECT_ROOT

COST_FILE = PROJECT_ROOT / "data" / "imagenet_cost.json"
GPU_EPOCH_SECONDS = 60            # a fine-tuning epoch longer than this: the sentence advises a GPU
GPU_EXTRACT_SECONDS = 10 * 60     # likewise for feature extraction
BACKENDS = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}


def load_cost(path: Path | None = None) -> dict:
    """The stored measurement (see `tools/measure_imagenet_cost.py`)."""
    return json.loads(Path(path or COST_FILE).read_text())


def seconds_per_image(cost: dict, what: str, image_size: int) -> float:
    """Mean measured seconds per image for `what` ("extract" or "fine_tune"), scaled to `image_size`.

    VGG16's convolutions cost in proportion to the number of pixels, so another size is scaled by
    (image_size / measured size)^2.
    """
    runs = cost[what]["seconds_per_image"]
    return sum(runs) / len(runs) * (image_size / cost["image_size"]) ** 2


def duration(seconds: float) -> str:
    """'under a second', 'about 40 s', 'about 12 min' or 'about 3.5 h'."""
    if seconds < 1:
        return "under a second"
    if seconds < 90:
        return f"about {seconds:.0f} s"
    if seconds < 90 * 60:
        return f"about {seconds / 60:.0f} min"
    return f"about {seconds / 3600:.1f} h"


def imagenet_cost_estimate(n_train: int, n_val: int, image_size: int = 150, epochs: int | None = None,
                           path: Path | None = None, verbose: bool = True) -> str:
    """Print and return how long VGG16 feature extraction for n_train + n_val images, and one
    fine-tuning epoch (block 5 trainable, n_train images, then n_val validated), take on the CPU measured.

    `epochs`, if given, adds the time of that many fine-tuning epochs.
    """
    cost = load_cost(path)
    machine, backend = cost["machine"], cost["versions"]["backend"]
    extract = seconds_per_image(cost, "extract", image_size)
    step = seconds_per_image(cost, "fine_tune", image_size)
    extraction = (n_train + n_val) * extract
    epoch = n_train * step + n_val * extract
    scaled = "" if image_size == cost["image_size"] else (
        f", scaled from the measurement at {cost['image_size']}x{cost['image_size']} by the number of pixels")
    text = (f"On a {machine['cores']}-core CPU like the one measured ({machine['cpu']}, "
            f"{BACKENDS.get(backend, backend)} {cost['versions']['backend_version']}){scaled}: VGG16 at "
            f"{image_size}x{image_size} extracts the features of {n_train + n_val:,} images in "
            f"{duration(extraction)}; one fine-tuning epoch with block 5 trainable, on {n_train:,} images "
            f"and validating on {n_val:,}, takes {duration(epoch)}")
    if epochs:
        text += f", so {epochs} epoch{'s' if epochs > 1 else ''} {duration(epochs * epoch)}"
    if epoch > GPU_EPOCH_SECONDS or extraction > GPU_EXTRACT_SECONDS:
        text += (". Fine-tuning takes many such epochs: a GPU (Colab's free one, for example), many times "
                 "faster, is advised for notebook 06.")
    else:
        text += ". That is fine on a CPU."
    if verbose:
        print(text)
    return text
