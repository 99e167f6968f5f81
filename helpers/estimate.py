"""How long the lecture-size ImageNet path takes on a CPU, from `data/imagenet_cost.json`, which
`python -m tools.measure_imagenet_cost` writes: seconds per image to extract VGG16's features and to take
one fine-tuning step with block 5 trainable. (VGG16 with random weights costs what it costs with ImageNet's,
so measuring needs no download.)"""
from __future__ import annotations

import json
from pathlib import Path

from .paths import PROJECT_ROOT

COST_FILE = PROJECT_ROOT / "data" / "imagenet_cost.json"
GPU_EPOCH_SECONDS, GPU_EXTRACT_SECONDS = 60, 10 * 60     # longer than this on a CPU: the sentence advises a GPU
BACKENDS = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}


def load_cost(path: Path | None = None) -> dict:
    return json.loads(Path(path or COST_FILE).read_text())


def seconds_per_image(cost: dict, what: str, image_size: int) -> float:
    """Mean measured seconds per image for "extract" or "fine_tune", scaled by the number of pixels."""
    runs = cost[what]["seconds_per_image"]
    return sum(runs) / len(runs) * (image_size / cost["image_size"]) ** 2


def duration(seconds: float) -> str:
    """'under a second', 'about 40 s', 'about 12 min' or 'about 3.5 h'."""
    return ("under a second" if seconds < 1 else f"about {seconds:.0f} s" if seconds < 90
            else f"about {seconds / 60:.0f} min" if seconds < 5400 else f"about {seconds / 3600:.1f} h")


def imagenet_cost_estimate(n_train: int, n_val: int, image_size: int = 150, epochs: int | None = None,
                           path: Path | None = None, verbose: bool = True) -> str:
    """Print and return how long extracting the features of n_train + n_val images, and one fine-tuning
    epoch (n_train images trained, n_val validated), take on the CPU measured; `epochs` adds that many."""
    cost = load_cost(path)
    machine, backend, size = cost["machine"], cost["versions"]["backend"], cost["image_size"]
    extract, step = (seconds_per_image(cost, what, image_size) for what in ("extract", "fine_tune"))
    extraction, epoch = (n_train + n_val) * extract, n_train * step + n_val * extract
    scaled = "" if image_size == size else f", scaled from the measurement at {size}x{size} by the number of pixels"
    text = (f"On a {machine['cores']}-core CPU like the one measured ({machine['cpu']}, "
            f"{BACKENDS.get(backend, backend)} {cost['versions']['backend_version']}){scaled}: VGG16 at "
            f"{image_size}x{image_size} extracts the features of {n_train + n_val:,} images in "
            f"{duration(extraction)}; one fine-tuning epoch with block 5 trainable, on {n_train:,} images "
            f"and validating on {n_val:,}, takes {duration(epoch)}")
    if epochs:
        text += f", so {epochs} epoch{'s' if epochs > 1 else ''} {duration(epochs * epoch)}"
    slow = epoch > GPU_EPOCH_SECONDS or extraction > GPU_EXTRACT_SECONDS
    text += (". Fine-tuning takes many such epochs: a GPU (Colab's free one, for example), many times faster, "
             "is advised for notebook 06." if slow else ". That is fine on a CPU.")
    if verbose:
        print(text)
    return text
