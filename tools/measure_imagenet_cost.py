"""Measure what the lecture-size ImageNet path of notebooks 05 and 06 costs on this CPU; write data/imagenet_cost.json.

    python -m tools.measure_imagenet_cost                  # 2 repeats, about 2-3 minutes on 2 cores
    python -m tools.measure_imagenet_cost --out /tmp/x.json --repeats 1 --n-extract 32 --n-fine-tune 16

VGG16 with random weights does the arithmetic of its ImageNet weights, so no download is needed. The models
are the notebooks': 32x32x3 images resized to 150x150 and preprocessed inside the model, VGG16's base, the
lecture's head; for fine-tuning, block 5 and the head trainable, SGD with momentum, the lecture's
augmentation in front. After one warm-up call each, it times `predict` (batch 32) and `train_on_batch`
(batch 16) per image. Run it on a quiet machine: the load average before each repeat is recorded.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import time
from pathlib import Path

import helpers
from helpers.estimate import COST_FILE, imagenet_cost_estimate
from helpers.repro import cpu_model


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for flag, default in [("--image-size", 150), ("--n-extract", 128), ("--n-fine-tune", 64), ("--repeats", 2)]:
        ap.add_argument(flag, type=int, default=default)
    ap.add_argument("--out", default=str(COST_FILE))
    args = ap.parse_args(argv)
    facts = helpers.setup(seed=0, verbose=False)     # as in the notebooks (op determinism included)
    import keras
    import numpy as np
    from keras import layers

    from helpers import transfer

    size, rng = args.image_size, np.random.default_rng(0)
    x = rng.integers(0, 256, (max(args.n_extract, args.n_fine_tune), 32, 32, 3)).astype("float32")
    y = rng.integers(0, 2, len(x))
    vgg16 = lambda: keras.applications.VGG16(weights=None, include_top=False, input_shape=(size, size, 3))  # noqa: E731
    extractor = keras.Sequential([keras.Input(shape=(32, 32, 3)), transfer.build_preprocess("imagenet", size), vgg16()])
    tuned_base = vgg16()
    augmentation = keras.Sequential([            # 06's augmentation on the ImageNet path (the lecture's)
        layers.RandomRotation(40 / 360, fill_mode="nearest"), layers.RandomTranslation(0.2, 0.2, fill_mode="nearest"),
        layers.RandomShear(x_factor=0.2, fill_mode="nearest"), layers.RandomZoom(0.2, 0.2, fill_mode="nearest"),
        layers.RandomFlip("horizontal")])
    model = keras.Sequential([keras.Input(shape=(32, 32, 3)), augmentation,
                              transfer.build_preprocess("imagenet", size), tuned_base,
                              transfer.build_head(tuned_base.output.shape[1:], 2)])
    transfer.freeze_before(tuned_base, transfer.VGG16_LAST_BLOCK)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e-4, momentum=0.9), loss="binary_crossentropy")
    trainable = int(sum(np.prod(w.shape) for w in model.trainable_weights))
    extractor.predict(x[:32], batch_size=32, verbose=0)           # warm-up: builds the graph
    model.train_on_batch(x[:16], y[:16])
    runs = {"extract": [], "fine_tune": []}
    loads = []
    for repeat in range(args.repeats):
        loads.append([round(v, 2) for v in os.getloadavg()])
        start = time.perf_counter()
        extractor.predict(x[:args.n_extract], batch_size=32, verbose=0)
        runs["extract"].append(round((time.perf_counter() - start) / args.n_extract, 4))
        start = time.perf_counter()
        for i in range(0, args.n_fine_tune, 16):
            model.train_on_batch(x[i:i + 16], y[i:i + 16])
        runs["fine_tune"].append(round((time.perf_counter() - start) / args.n_fine_tune, 4))
        print(f"repeat {repeat + 1}: load average {loads[-1]}, seconds per image {runs}")
    versions = {k: facts[k] for k in ("python", "keras", "backend", "backend_version", "numpy", "gpu")}
    result = {
        "what": "VGG16 base, weights=None (the same compute as ImageNet's weights); 32x32x3 inputs resized to "
                "image_size and preprocessed inside the model, as in notebooks 05 and 06",
        "command": " ".join(["python -m tools.measure_imagenet_cost", *(argv or [])]),
        "date": datetime.date.today().isoformat(),
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count(), "system": platform.system(),
                    "load_average_before_each_repeat": loads},
        "versions": {**versions, "op_determinism": True}, "image_size": size,
        "extract": {"call": "predict", "batch_size": 32, "images": args.n_extract,
                    "seconds_per_image": runs["extract"]},
        "fine_tune": {"call": "train_on_batch", "batch_size": 16, "images": args.n_fine_tune,
                      "trainable": f"block 5 + head ({trainable:,} parameters)", "augmentation": "the lecture's (06)",
                      "optimizer": "SGD(learning_rate=1e-4, momentum=0.9)", "seconds_per_image": runs["fine_tune"]},
    }
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")
    imagenet_cost_estimate(2000, 400, size, epochs=50, path=Path(args.out))


if __name__ == "__main__":
    main()
