"""The online paths, offline: fabricated files in the real formats, verified through the registry override.

- the checksum registry override (`$CNN_COURSE_REGISTRY`): replaces digests, never skips them;
- `make data` (`python -m helpers.data fetch` / `status`) against a local HTTP server on 127.0.0.1:
  verified arrivals, an interrupted transfer, a server that sends the wrong file;
- notebook 02 on the full-MNIST branch, 05 and 06 on the ImageNet path (VGG16 at 32x32, a few of the
  fabricated cats vs dogs photos read with `image_dataset_from_directory`), reading the fabricated files
  from a temporary cache;
- the lecture-size time estimate (`helpers.estimate`).
"""
from __future__ import annotations

import ast
import http.server
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

import fabricate
from helpers import cache, data, estimate
from notebook_runs import NOTEBOOKS, assert_no_leaks, execute, outputs_text, records
from test_data import leftovers

pytestmark = pytest.mark.xdist_group("online")
ROOT = Path(__file__).resolve().parent.parent
VGG16_BASE, VGG16_BLOCK5 = 14_714_688, 7_079_424
HEAD_32 = 512 * 256 + 256 + 257            # the lecture's head on VGG16's 1x1x512 features (32x32 images)


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def fabricated(tmp_path_factory):
    """Every fabricated file in a cache folder, and a registry override listing their SHA-256 and size."""
    folder = tmp_path_factory.mktemp("online")
    files = fabricate.build_all(folder / "cache")
    registry = fabricate.write_registry(folder / "registry.json", fabricate.registry_entries(files))
    return SimpleNamespace(folder=folder, cache=folder / "cache", files=files, registry=registry)


@pytest.fixture
def fabricated_env(fabricated, monkeypatch, tmp_path):
    """Loaders (and notebook kernels started now) read the fabricated cache, verified by the override."""
    monkeypatch.setenv("CNN_COURSE_DATA", str(fabricated.cache))
    monkeypatch.setenv(cache.REGISTRY_ENV, str(fabricated.registry))
    monkeypatch.setenv("CNN_COURSE_OFFLINE", "1")           # everything is in the cache: nothing to download
    monkeypatch.setenv("CNN_COURSE_ARTIFACTS", str(tmp_path / "artifacts"))
    return fabricated


@pytest.fixture
def small_cache(tmp_path, monkeypatch):
    """An empty project cache and Keras cache, downloads off, and a small fabricated mnist.npz beside them."""
    monkeypatch.setenv("CNN_COURSE_DATA", str(tmp_path / "cache"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("CNN_COURSE_OFFLINE", "1")
    monkeypatch.delenv(cache.REGISTRY_ENV, raising=False)
    mnist = fabricate.mnist_npz(tmp_path / "made" / "mnist.npz", per_class=(3, 2))
    return SimpleNamespace(folder=tmp_path, mnist=mnist, cached=tmp_path / "cache" / cache.REMOTES["mnist"].relpath)


def registry_with(path: Path, entries: dict, monkeypatch) -> Path:
    fabricate.write_registry(path, entries)
    monkeypatch.setenv(cache.REGISTRY_ENV, str(path))
    return path


# ---------------------------------------------------------------- the registry override
def test_override_replaces_the_checksum_and_the_loader_uses_the_file(small_cache, monkeypatch):
    small_cache.cached.parent.mkdir(parents=True)
    small_cache.cached.write_bytes(small_cache.mnist.read_bytes())
    with pytest.warns(UserWarning, match="failed its sha256 check"):     # the published digest refuses it
        assert data.load_mnist().name == "MNIST (offline sample)"
    small_cache.cached.write_bytes(small_cache.mnist.read_bytes())      # (it was set aside as .corrupt)
    registry = registry_with(small_cache.folder / "registry.json",
                             fabricate.registry_entries({"mnist": small_cache.mnist}), monkeypatch)
    entry = cache.remote_for("mnist")
    assert entry.algo == "sha256" and entry.digest == cache.file_digest(small_cache.mnist)
    assert entry.size == small_cache.mnist.stat().st_size and entry.url == cache.REMOTES["mnist"].url
    assert cache.REMOTES["mnist"].digest.startswith("731c5ac6")         # the published value is untouched
    assert cache.remote_for("vgg16-notop") == cache.REMOTES["vgg16-notop"]   # keys it does not list keep theirs
    ds = data.load_mnist()
    assert ds.name == "MNIST" and ds.x_train.shape == (30, 28, 28) and ds.files == [small_cache.cached]
    assert str(registry) in ds.provenance                               # a run says whose checksum it trusted
    assert "registry override" in cache.describe_registry()


@pytest.mark.parametrize("wrong", ["digest", "size"])
def test_a_fabricated_file_with_the_wrong_digest_or_size_is_still_refused(small_cache, monkeypatch, wrong):
    small_cache.cached.parent.mkdir(parents=True)
    small_cache.cached.write_bytes(small_cache.mnist.read_bytes())
    entries = fabricate.registry_entries({"mnist": small_cache.mnist})
    if wrong == "digest":
        entries["mnist"]["sha256"] = "ab" * 32                          # well formed, but not this file's
    else:
        entries["mnist"]["size"] += 1
    registry_with(small_cache.folder / "registry.json", entries, monkeypatch)
    assert dict((k, s) for k, s, _ in cache.status())["mnist"] == "corrupt"
    with pytest.warns(UserWarning, match="failed its sha256 check"):
        with pytest.raises(cache.DataUnavailable, match="is corrupt"):
            cache.locate("mnist")
    assert not small_cache.cached.exists() and small_cache.cached.with_name("mnist.npz.corrupt").exists()


GOOD = "0123456789abcdef" * 4
BAD_REGISTRIES = {
    "short digest": ({"mnist": {"sha256": "abc123"}}, "64 hexadecimal digits"),
    "not hex": ({"mnist": {"sha256": "z" * 64}}, "64 hexadecimal digits"),
    "md5 digest": ({"vgg16-notop": {"sha256": "6d6bbae143d832006294945121d1f1fc"}}, "64 hexadecimal digits"),
    "no digest": ({"mnist": {"url": "http://127.0.0.1/mnist.npz"}}, "64 hexadecimal digits"),
    "null digest": ({"mnist": {"sha256": None}}, "64 hexadecimal digits"),
    "unknown key": ({"imagenet": {"sha256": GOOD}}, "'imagenet' is not a known file"),
    "a switch": ({"mnist": {"sha256": GOOD, "verify": False}}, r"unknown field\(s\) \['verify'\]"),
    "bad size": ({"mnist": {"sha256": GOOD, "size": -1}}, "size must be a whole number"),
    "bad url": ({"mnist": {"sha256": GOOD, "url": "ftp://example.org/mnist.npz"}}, "url must be"),
    "entry not an object": ({"mnist": GOOD}, "expected an object"),
    "empty": ({}, "non-empty JSON object"),
    "a list": ([GOOD], "non-empty JSON object"),
}


@pytest.mark.parametrize("name", BAD_REGISTRIES)
def test_a_malformed_registry_is_refused_with_the_reason(small_cache, monkeypatch, name):
    content, reason = BAD_REGISTRIES[name]
    registry_with(small_cache.folder / "registry.json", content, monkeypatch)
    for use in (lambda: cache.locate("mnist"), cache.status, data.load_mnist):
        with pytest.raises(cache.RegistryError, match=reason):
            use()


def test_an_unreadable_or_missing_registry_is_refused(small_cache, monkeypatch):
    bad = small_cache.folder / "registry.json"
    bad.write_text("{not json")
    monkeypatch.setenv(cache.REGISTRY_ENV, str(bad))
    with pytest.raises(cache.RegistryError, match="not readable JSON"):
        cache.locate("mnist")
    monkeypatch.setenv(cache.REGISTRY_ENV, str(small_cache.folder / "nowhere.json"))
    with pytest.raises(cache.RegistryError, match="does not exist"):
        cache.status()
    run = subprocess.run([sys.executable, "-m", "helpers.data", "status"], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 2 and "Refused" in run.stderr and cache.REGISTRY_ENV in run.stderr


# ---------------------------------------------------------------- the fabricated files, read by the real loaders
def test_fabricated_files_are_read_by_the_real_loaders(fabricated_env):
    import keras
    import numpy as np

    assert {k for k, s, _ in cache.status() if s == "ok"} == set(fabricate.ALL_KEYS)
    mnist = data.load_mnist()
    assert mnist.name == "MNIST" and mnist.x_train.shape == (600, 28, 28) and mnist.x_train.dtype == np.uint8
    assert str(fabricated_env.cache) in mnist.provenance
    photos = data.cats_and_dogs_dir(download=False)                   # the lecture's layout, extracted once
    assert photos.parent == fabricated_env.cache / "datasets"
    assert sorted(len(list(photos.glob(f"{sub}/*.jpg"))) for sub in data.CATS_DOGS_COUNTS) == [500, 500, 1000, 1000]
    vgg = keras.applications.VGG16(weights=str(data.vgg16_weights_path(download=False)), include_top=False,
                                   input_shape=(32, 32, 3))
    assert vgg.output.shape[1:] == (1, 1, 512) and vgg.count_params() == VGG16_BASE
    assert float(np.abs(vgg.get_layer("block5_conv3").get_weights()[0]).mean()) > 0   # loaded, not zeros


# ---------------------------------------------------------------- make data against a local server
class _Handler(http.server.BaseHTTPRequestHandler):
    """GET /<mode>/<key>: good, truncated (Content-Length promised, half sent), cut (no length, half sent),
    wrong (another file of the same size)."""

    def do_GET(self):
        mode, _, key = self.path.strip("/").partition("/")
        path = self.server.files.get(key)
        if path is None or mode not in {"good", "truncated", "cut", "wrong"}:
            self.send_error(404)
            return
        body = path.read_bytes()
        sent = {"good": body, "truncated": body[: len(body) // 2], "cut": body[: len(body) // 2],
                "wrong": body[::-1]}[mode]
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if mode != "cut":
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(sent)
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args):       # keep the test output clean
        pass


@pytest.fixture
def server(fabricated):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.files = fabricated.files
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def helpers_data(command: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "helpers.data", command], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=300)


def states(stdout: str) -> dict[str, str]:
    """{key: state} from the lines of `status` / `fetch` ('  ok  mnist  /path', '  MISSING  mnist  ...')."""
    found = {}
    for line in stdout.splitlines():
        words = line.split()
        if len(words) >= 2 and words[1] in cache.REMOTES:
            found[words[1]] = words[0].lower()
    return found


def test_make_data_against_a_local_server(fabricated, server, tmp_path):
    modes = {key: "good" for key in fabricate.ALL_KEYS}
    modes.update({"fashion-test-images": "truncated", "fashion-test-labels": "cut", "fashion-train-images": "wrong"})
    registry = fabricate.write_registry(tmp_path / "registry.json", fabricate.registry_entries(
        fabricated.files, urls={k: f"{server}/{mode}/{k}" for k, mode in modes.items()}))
    target = tmp_path / "cache"
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update({"CNN_COURSE_DATA": str(target), "KERAS_HOME": str(tmp_path / "keras"), "CNN_COURSE_OFFLINE": "0",
                cache.REGISTRY_ENV: str(registry), "no_proxy": "127.0.0.1", "NO_PROXY": "127.0.0.1"})

    fetch = helpers_data("fetch", env)                        # = make data
    assert fetch.returncode == 1, fetch.stdout + fetch.stderr    # something is missing: a failure
    assert f"registry override {registry}" in fetch.stdout
    got = states(fetch.stdout)
    refused = {"fashion-test-images", "fashion-test-labels", "fashion-train-images"}
    assert {k for k, s in got.items() if s == "ok"} == set(fabricate.ALL_KEYS) - refused
    assert {k for k, s in got.items() if s == "missing"} == refused
    lines = {line.split()[1]: line for line in fetch.stdout.splitlines() if len(line.split()) > 1}
    truncated = lines["fashion-test-images"]
    assert "download failed" in truncated and "broke off" in truncated             # Content-Length unmet
    assert "bytes, expected" in lines["fashion-test-labels"]                        # short, with no length sent
    assert "sha256 is" in lines["fashion-train-images"] and "expected" in lines["fashion-train-images"]
    for key in set(fabricate.ALL_KEYS) - refused:                                 # arrived, verified
        arrived = target / cache.REMOTES[key].relpath
        assert cache.file_digest(arrived) == cache.file_digest(fabricated.files[key]), key
    for key in refused:                                                            # nothing kept, not even half
        assert not (target / cache.REMOTES[key].relpath).exists(), key
    assert leftovers(target) == [], "a partial download was left behind"

    status = helpers_data("status", env)
    assert status.returncode == 0 and states(status.stdout) == {k: ("missing" if k in refused else "ok")
                                                                for k in cache.REMOTES}
    mnist = target / cache.REMOTES["mnist"].relpath
    mnist.write_bytes(mnist.read_bytes()[:1000])                              # damage a cached file
    assert states(helpers_data("status", env).stdout)["mnist"] == "corrupt"
    assert mnist.exists(), "status only reports; it moves nothing"

    fabricate.write_registry(registry, fabricate.registry_entries(        # the server mends its ways
        fabricated.files, urls={k: f"{server}/good/{k}" for k in fabricate.ALL_KEYS}))
    again = helpers_data("fetch", env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert set(states(again.stdout).values()) == {"ok"}
    assert mnist.with_name("mnist.npz.corrupt").exists()                    # the damaged copy was set aside
    assert cache.file_digest(mnist) == cache.file_digest(fabricated.files["mnist"])
    assert set(states(helpers_data("status", env).stdout).values()) == {"ok"}
    assert leftovers(target) == []


# ---------------------------------------------------------------- the notebooks' online branches
def parameters_of(stem: str) -> set[str]:
    """The names a notebook's parameters cell defines (papermill may override only these)."""
    nb = nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    return {t.id for node in ast.parse(cell.source).body if isinstance(node, ast.Assign)
            for t in node.targets if isinstance(t, ast.Name)}


def run(stem: str, folder: Path, **params):
    """Execute a notebook with those of `params` it defines; returns (records, notebook)."""
    known = parameters_of(stem)
    (folder / "cwd").mkdir(parents=True, exist_ok=True)
    nb = execute(stem, folder, folder / "cwd", **{k: v for k, v in params.items() if k in known})
    return records(nb), nb


def finished(nb) -> bool:
    """Every code cell ran, and none raised."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    return all(c.get("execution_count") for c in code) and not any(
        out.get("output_type") == "error" for c in code for out in c.get("outputs", []))




@pytest.mark.notebook
def test_02_on_the_full_mnist_branch(fabricated_env, tmp_path):
    rec, nb = run("02_keras_mnist", tmp_path, N_TRAIN=500, N_TEST=200, EPOCHS=1, DENSE_EPOCHS=2, BATCH_SIZE=32,
                  FILTER_EPOCHS=1, GRID_EPOCHS=[1], GRID_HIDDEN=[32], GRID_CV=2, SEEDS=[42])
    assert finished(nb)
    assert rec["data"]["name"] == "MNIST" and rec["data"]["n_train"] == 500 and rec["data"]["n_test"] == 200
    out = outputs_text(nb)
    assert f"full data set from {fabricated_env.cache}" in out and str(fabricated_env.registry) in out
    assert rec["results"]                                     # the comparison table was recorded


IMAGENET = dict(PRETRAINED="imagenet", N_TRAIN_PER_CLASS=4, N_VAL_PER_CLASS=3, N_TEST_PER_CLASS=5, EPOCHS=2,
                HEAD_EPOCHS=1, IMAGE_SIZE=32, CURVE=[], SEEDS=[42], BATCH_SIZE=8)
PHOTO_SOURCES = {"train": "train/", "validation": "validation/", "test": "validation/"}


def check_photos(rec, nb, name):
    """The fabricated cats vs dogs photos, read with image_dataset_from_directory and split as asked:
    training photos from train/, validation and test photos from validation/, never the same photo."""
    assert finished(nb)                                                   # every cell ran
    assert rec["data"] == {"name": "Cats vs dogs photos", "class_names": ["cats", "dogs"]}
    out = outputs_text(nb)
    assert "Found 2000 files belonging to 2 classes." in out and "Found 1000 files belonging to 2 classes." in out
    split = rec[f"split:{name}"]
    assert {part: p["source"] for part, p in split.items()} == PHOTO_SOURCES
    sizes = {part: sum(b - a for a, b in p["runs"]) for part, p in split.items()}
    assert sizes == {"train": 2 * IMAGENET["N_TRAIN_PER_CLASS"], "validation": 2 * IMAGENET["N_VAL_PER_CLASS"],
                     "test": 2 * IMAGENET["N_TEST_PER_CLASS"]}
    assert_no_leaks(rec, at_least=1)                                      # validation and test share no photo
    return split


@pytest.fixture(scope="module")
def imagenet_runs(fabricated, tmp_path_factory):
    """05 then 06 on the ImageNet path, sharing one artifacts folder (06 loads the head 05 saved)."""
    folder = tmp_path_factory.mktemp("imagenet_runs")
    runs = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CNN_COURSE_DATA", str(fabricated.cache))
        mp.setenv(cache.REGISTRY_ENV, str(fabricated.registry))
        mp.setenv("CNN_COURSE_OFFLINE", "1")
        mp.setenv("CNN_COURSE_ARTIFACTS", str(folder / "artifacts"))
        for stem in ["05_bottleneck_features", "06_fine_tuning"]:
            try:
                runs[stem] = run(stem, folder / stem, **IMAGENET)
            except Exception as exc:        # reported by the tests of that notebook
                runs[stem] = exc
    return SimpleNamespace(runs=runs, artifacts=folder / "artifacts", cache=fabricated.cache)


def result_of(imagenet_runs, stem):
    outcome = imagenet_runs.runs[stem]
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


@pytest.mark.notebook
def test_05_on_the_imagenet_path(imagenet_runs):
    rec, nb = result_of(imagenet_runs, "05_bottleneck_features")
    check_photos(rec, nb, "05")
    results = rec["results"]
    assert results["pretrained"] == "imagenet"
    photos = imagenet_runs.cache / "datasets" / "cats_and_dogs_filtered"
    assert results["provenance"].startswith("Cats vs dogs photos: 2,000 train / 1,000 test images (32, 32, 3)")
    assert str(photos) in results["provenance"] and "validation/" in results["provenance"]
    assert results["n_classes"] == 2 and results["head_params"] == HEAD_32    # Dense(1, sigmoid): the binary path
    assert results["split_sizes"] == {"train": 8, "validation": 6, "test": 10}
    assert results["features_shape"] == [1, 1, 512]           # VGG16's bottleneck for 32x32 images
    assert "CIFAR" not in outputs_text(nb)
    assert sorted(p.name for p in imagenet_runs.artifacts.glob("imagenet_head*.weights.h5"))


@pytest.mark.notebook
def test_06_on_the_imagenet_path_uses_05s_photos_and_loads_the_head_05_saved(imagenet_runs):
    rec_05, _ = result_of(imagenet_runs, "05_bottleneck_features")
    rec, nb = result_of(imagenet_runs, "06_fine_tuning")
    assert check_photos(rec, nb, "06") == rec_05["split:05"]               # the very same photos as 05
    results = rec["results"]
    assert results["pretrained"] == "imagenet" and results["provenance"] == rec_05["results"]["provenance"]
    assert results["head_source"] == "trained in 05"
    assert results["trainable_before_freezing"] == VGG16_BASE + HEAD_32
    assert results["first_trainable_layer"] == 15                        # block5_conv1
    assert results["trainable_base_after_freezing"] == VGG16_BLOCK5      # the lecture's count
    assert results["trainable_after_freezing"] == VGG16_BLOCK5 + HEAD_32
    assert results["frozen_weights_unchanged"] is True


# ---------------------------------------------------------------- the time estimate
@pytest.fixture
def cost_file(tmp_path):
    cost = {"image_size": 150, "machine": {"cpu": "Test CPU", "cores": 2},
            "versions": {"backend": "tensorflow", "backend_version": "2.21.0"},
            "extract": {"seconds_per_image": [0.1, 0.1]}, "fine_tune": {"seconds_per_image": [0.2, 0.3]}}
    path = tmp_path / "cost.json"
    path.write_text(json.dumps(cost))
    return path


def test_the_estimate_is_computed_from_the_measurement(cost_file, capsys):
    text = estimate.imagenet_cost_estimate(2000, 400, path=cost_file, epochs=50)
    assert capsys.readouterr().out.strip() == text
    # extraction 2,400 x 0.1 s = 4 min; epoch 2,000 x 0.25 s + 400 x 0.1 s = 540 s = 9 min; 50 epochs = 7.5 h
    assert "2-core CPU" in text and "Test CPU" in text and "TensorFlow 2.21.0" in text
    assert "2,400 images in about 4 min" in text and "takes about 9 min" in text and "50 epochs about 7.5 h" in text
    assert "GPU" in text and "notebook 06" in text
    small = estimate.imagenet_cost_estimate(8, 6, image_size=32, path=cost_file, verbose=False)
    assert "scaled from the measurement at 150x150" in small and "under a second" in small
    assert "GPU" not in small and "fine on a CPU" in small
    assert estimate.seconds_per_image(estimate.load_cost(cost_file), "extract", 300) == pytest.approx(0.4)


def test_the_shipped_measurement_is_complete():
    cost = estimate.load_cost()
    assert cost["image_size"] == 150 and cost["machine"]["cores"] >= 1 and cost["date"]
    assert len(cost["extract"]["seconds_per_image"]) >= 2 and len(cost["fine_tune"]["seconds_per_image"]) >= 2
    assert all(s > 0 for s in cost["extract"]["seconds_per_image"] + cost["fine_tune"]["seconds_per_image"])
    assert "GPU" in estimate.imagenet_cost_estimate(2000, 400, verbose=False)   # the lecture's sizes, on a CPU
