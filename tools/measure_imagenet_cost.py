"""Measure what the lecture-size ImageNet path of notebooks 05 and 06 costs on this CPU; write data/imagenet_cost.json.

    python -m tools.measure_imagenet_cost                  # 2 repeats, about 2-3 minutes on 2 cores
    python -m tools.measure_imagenet_cost --out /tmp/x.json --repeats 1 --n-extract 32 --n-fine-tune 16

VGG16 with random weights (`weights=None`) does the same arithmetic as with its ImageNet weights, so
no download is needed. The models are the notebooks': CIFAR-sized 32x32x3 images resized to 150x150
and preprocessed inside the model (`helpers.transfer.build_preprocess`), VGG16's base, the lecture's
head (`build_head`), and for fine-tuning block 5 and the head trainable (`freeze_before`), SGD with
momentum, the lecture's augmentation in front. Measured, after one warm-up call each:
- extraction: `predict` on `--n-extract` images, batch 32 (seconds per image);
- fine-tuning: `train_on_batch` over `--n-fine-tune` images, batch 16 (seconds per image).
Other processes on the machine slow it down: the load average before each repeat is recorded, so run
it when the machine is quiet. `helpers.estimate.imagenet_cost_estimate` reads the file.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from pathlib import Path

import helpers

ROOT = Path(__file__).resolve().parent.parent


def cpu_model() -> str:
    """The CPU's model name, as the kernel reports it."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--image-size", type=int, default=150)
    ap.add_argument("--n-extract", type=int, default=128)
    ap.add_argument("--n-fine-tune", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--out", default=str(ROOT / "data" / "imagenet_cost.json"))
    args = ap.parse_args(argv)

    facts = helpers.setup(seed=0, verbose=False)     # as in the notebooks (op determinism included)
    import keras
    import numpy as np
    from keras import layers

    from helpers import transfer

    size = args.image_size
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (max(args.n_extract, args.n_fine_tune), 32, 32, 3)).astype("float32")
    y = rng.integers(0, 2, len(x))

    base = keras.applications.VGG16(weights=None, include_top=False, input_shape=(size, size, 3))
    extractor = keras.Sequential([keras.Input(shape=(32, 32, 3)), transfer.build_preprocess("imagenet", size), base])
    augmentation = keras.Sequential([            # 06's augmentation on the ImageNet path (the lecture's)
        layers.RandomRotation(40 / 360, fill_mode="nearest"), layers.RandomTranslation(0.2, 0.2, fill_mode="nearest"),
        layers.RandomShear(x_factor=0.2, fill_mode="nearest"), layers.RandomZoom(0.2, 0.2, fill_mode="nearest"),
        layers.RandomFlip("horizontal")])
    tuned_base = keras.applications.VGG16(weights=None, include_top=False, input_shape=(size, size, 3))
    head = transfer.build_head(tuned_base.output.shape[1:], 2)
    model = keras.Sequential([keras.Input(shape=(32, 32, 3)), augmentation,
                              transfer.build_preprocess("imagenet", size), tuned_base, head])
    transfer.freeze_before(tuned_base, transfer.VGG16_LAST_BLOCK)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e-4, momentum=0.9), loss="binary_crossentropy",
                  metrics=["accuracy"])
    trainable = int(sum(np.prod(w.shape) for w in model.trainable_weights))

    extractor.predict(x[:32], batch_size=32, verbose=0)           # warm-up: builds the graph
    model.train_on_batch(x[:16], y[:16])
    extract_runs, tune_runs, loads = [], [], []
    for repeat in range(args.repeats):
        loads.append([round(v, 2) for v in os.getloadavg()])
        start = time.perf_counter()
        extractor.predict(x[:args.n_extract], batch_size=32, verbose=0)
        extract_runs.append((time.perf_counter() - start) / args.n_extract)
        start = time.perf_counter()
        for i in range(0, args.n_fine_tune, 16):
            model.train_on_batch(x[i:i + 16], y[i:i + 16])
        tune_runs.append((time.perf_counter() - start) / args.n_fine_tune)
        print(f"repeat {repeat + 1}: load average {loads[-1]}, extraction {extract_runs[-1]:.3f} s per image, "
              f"fine-tuning {tune_runs[-1]:.3f} s per image")

    result = {
        "what": "VGG16 base, weights=None (the same compute as ImageNet's weights); 32x32x3 inputs resized to "
                "image_size and preprocessed inside the model, as in notebooks 05 and 06",
        "command": " ".join(["python -m tools.measure_imagenet_cost", *(sys.argv[1:] if argv is None else argv)]),
        "date": datetime.date.today().isoformat(),
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count(), "system": platform.system(),
                    "load_average_before_each_repeat": loads},
        "versions": {"python": facts["python"], "keras": facts["keras"], "backend": facts["backend"],
                     "backend_version": facts["backend_version"], "numpy": facts["numpy"],
                     "op_determinism": True, "gpu": facts["gpu"]},
        "image_size": size,
        "extract": {"call": "predict", "batch_size": 32, "images": args.n_extract,
                    "seconds_per_image": [round(s, 4) for s in extract_runs]},
        "fine_tune": {"call": "train_on_batch", "batch_size": 16, "images": args.n_fine_tune,
                      "trainable": f"block 5 + head ({trainable:,} parameters)",
                      "optimizer": "SGD(learning_rate=1e-4, momentum=0.9)", "augmentation": "the lecture's (06)",
                      "seconds_per_image": [round(s, 4) for s in tune_runs]},
    }
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")
    from helpers.estimate import imagenet_cost_estimate
    imagenet_cost_estimate(2000, 400, size, epochs=50, path=Path(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
