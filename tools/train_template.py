"""Train the course's "template" CNN on Fashion-MNIST and write its weights and manifest to data/.

    python -m tools.train_template                      # the template (about 3 minutes on 2 CPU cores)
    python -m tools.train_template --bn                 # its variant with BatchNormalization (notebook 06)
                                                        # make template runs both
    python -m tools.train_template --epochs 1 --n-train 2000 --out /tmp/t   # a quick trial

The template is the offline stand-in for VGG16's ImageNet weights in notebooks 05 and 06: a small
VGG-style network (three blocks of Conv2D 3x3 + MaxPool, see helpers.transfer.build_template_cnn)
pretrained on a large source data set that installs offline (all 60,000 Fashion-MNIST training
images, from Debian's `dataset-fashion-mnist` package or Keras' cache), then reused on MNIST digits.

Writes `template_cnn.weights.h5` and `template_cnn.json` (SHA-256 of the weights file, the training
settings, the test accuracy); with `--bn`, `template_bn_cnn.weights.h5` and `template_bn_cnn.json` for
helpers.transfer.build_template_bn_cnn (the same network with BatchNormalization after each convolution,
trained on the same data with the same settings). With the same seed, versions and machine the run is
repeatable (op determinism); `weights_fingerprint` in the manifest compares weight values across runs,
since the HDF5 container itself may differ byte for byte.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import helpers
from tools import ROOT


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--learning-rate", type=float, default=1e-3)
    ap.add_argument("--n-train", type=int, default=None, help="stratified subset (default: all 60,000)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", default=str(ROOT / "data"), help="folder for the weights and manifest")
    ap.add_argument("--bn", action="store_true",
                    help="train the variant with BatchNormalization (template_bn_cnn.*) instead")
    args = ap.parse_args(argv)

    facts = helpers.setup(seed=args.seed)
    import keras

    from helpers.cache import file_digest
    from helpers.data import load_fashion_mnist
    from helpers.transfer import build_template_bn_cnn, build_template_cnn, weights_fingerprint

    build, stem = (build_template_bn_cnn, "template_bn_cnn") if args.bn else (build_template_cnn, "template_cnn")
    architecture = ("helpers.transfer.build_template_bn_cnn: 3 x (Conv2D 3x3 same, no bias + BatchNormalization "
                    "+ ReLU + MaxPool 2)" if args.bn else
                    "helpers.transfer.build_template_cnn: 3 x (Conv2D 3x3 same relu + MaxPool 2)")
    architecture += " with 32/64/128 filters, Flatten, Dense 128 relu, Dropout 0.5, Dense 10 softmax"

    ds = load_fashion_mnist(n_train=args.n_train, seed=args.seed)
    print(ds.provenance)
    x_train, x_test = [(x.astype("float32") / 255.0)[..., None] for x in (ds.x_train, ds.x_test)]

    model = build(num_classes=len(ds.class_names))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=args.learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.summary(line_length=90)
    start = time.perf_counter()
    history = model.fit(x_train, ds.y_train, epochs=args.epochs, batch_size=args.batch_size, verbose=2)
    seconds = time.perf_counter() - start
    test_loss, test_acc = model.evaluate(x_test, ds.y_test, verbose=0)
    print(f"test accuracy {test_acc:.4f} after {args.epochs} epochs ({seconds:.0f} s)")

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    weights = out / f"{stem}.weights.h5"
    clean = build(num_classes=len(ds.class_names))   # uncompiled: no optimizer state in the file
    clean.set_weights(model.get_weights())
    clean.save_weights(weights)
    manifest = {
        "file": weights.name, "sha256": file_digest(weights), "size_bytes": weights.stat().st_size,
        "weights_fingerprint": weights_fingerprint(model),
        "architecture": architecture,
        "params": int(model.count_params()),
        "source_data": f"Fashion-MNIST ({len(ds.x_train):,} training images)",
        "data_provenance": ds.provenance,
        "input": "28x28x1 float32 in [0, 1] (uint8 / 255)",
        "epochs": args.epochs, "batch_size": args.batch_size, "optimizer": f"Adam(learning_rate={args.learning_rate})",
        "seed": args.seed,
        "train_accuracy": round(float(history.history["accuracy"][-1]), 4),
        "test_accuracy": round(float(test_acc), 4), "test_loss": round(float(test_loss), 4),
        "train_seconds": round(seconds),
        "versions": {facts["backend"]: facts["backend_version"], "keras": facts["keras"], "numpy": facts["numpy"]},
        "command": " ".join(["python -m tools.train_template", *(argv if argv is not None else sys.argv[1:])]),
    }
    (out / f"{stem}.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"wrote {weights} ({manifest['size_bytes'] / 1e6:.2f} MB, sha256 {manifest['sha256'][:16]}...) "
          f"and {out / f'{stem}.json'}")
    shipped = ROOT / "data" / f"{stem}.json"
    if shipped.is_file() and shipped.resolve() != (out / f"{stem}.json").resolve():
        same = json.loads(shipped.read_text()).get("weights_fingerprint") == manifest["weights_fingerprint"]
        print("weights identical to the shipped template" if same else
              "weights differ from the shipped template (expected with other settings, versions or machines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
