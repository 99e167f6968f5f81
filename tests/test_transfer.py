"""Transfer learning (notebooks 05 and 06): the shipped template CNN, and the ImageNet path's mechanics offline.

The ImageNet path needs downloads, so its mechanics are checked with `weights=None` (same network,
random weights) on small inputs: shapes, feature sizes, freezing, trainable counts, head save/reload.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from helpers import transfer
from helpers.data import fashion_mnist_available
from helpers.cache import DataUnavailable, file_digest

ROOT = Path(__file__).resolve().parent.parent
HEAD_PARAMS_TEMPLATE = 1152 * 256 + 256 + 256 * 10 + 10     # Flatten(3x3x128) -> Dense 256 -> Dense 10


@pytest.fixture(scope="module")
def keras():
    import helpers
    helpers.setup(seed=0, verbose=False)
    import keras
    return keras


def n_trainable(model) -> int:
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))


def lecture_head(keras, input_shape, outputs=1):
    """The lecture's head, as in notebooks 05 and 06."""
    from keras import layers
    last = layers.Dense(1, activation="sigmoid") if outputs == 1 else layers.Dense(outputs, activation="softmax")
    return keras.Sequential([keras.Input(shape=input_shape), layers.Flatten(), layers.Dense(256, activation="relu"),
                             layers.Dropout(0.5), last], name="head")


# ---------------------------------------------------------------- the shipped template
def test_shipped_template_weights_match_their_checksum():
    manifest = transfer.template_manifest()
    path = transfer.template_weights_path(verify=True)
    assert file_digest(path) == manifest["sha256"]
    assert path.stat().st_size == manifest["size_bytes"] < 2_000_000
    for key in ("source_data", "epochs", "seed", "test_accuracy", "optimizer", "weights_fingerprint"):
        assert key in manifest, key
    assert "Fashion-MNIST (60,000" in manifest["source_data"]
    assert manifest["test_accuracy"] > 0.85


def flip_middle_byte(path) -> None:
    """Corrupt a file the way a bad download or disk would: one byte in the middle changed."""
    with open(path, "r+b") as f:
        f.seek(path.stat().st_size // 2)
        byte = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([byte[0] ^ 0xFF]))


def test_a_changed_weights_file_is_refused(tmp_path, monkeypatch):
    manifest = transfer.template_manifest()
    shutil.copy(transfer.TEMPLATE_WEIGHTS, tmp_path / manifest["file"])
    (tmp_path / "template_cnn.json").write_text(json.dumps(manifest))
    monkeypatch.setattr(transfer, "TEMPLATE_MANIFEST", tmp_path / "template_cnn.json")
    assert transfer.template_weights_path() == tmp_path / manifest["file"]
    flip_middle_byte(tmp_path / manifest["file"])
    with pytest.raises(transfer.TemplateWeightsError, match="make template"):
        transfer.template_weights_path()
    (tmp_path / manifest["file"]).unlink()
    with pytest.raises(transfer.TemplateWeightsError, match="missing"):
        transfer.template_weights_path()


@pytest.mark.skipif(not fashion_mnist_available(), reason="Fashion-MNIST not available offline")
def test_shipped_template_loads_and_still_classifies_fashion_mnist(keras):
    from helpers.data import load_fashion_mnist
    manifest = transfer.template_manifest()
    model = transfer.load_template_cnn()
    assert model.count_params() == manifest["params"]
    assert transfer.weights_fingerprint(model) == manifest["weights_fingerprint"]
    ds = load_fashion_mnist(n_train=10, n_test=2000, seed=1)
    probs = model.predict(ds.x_test[..., None].astype("float32") / 255, verbose=0)
    accuracy = float(np.mean(probs.argmax(1) == ds.y_test))
    assert abs(accuracy - manifest["test_accuracy"]) < 0.03


def test_template_base_is_the_convolutional_part(keras):
    base = transfer.template_base()
    assert base.output.shape[1:] == (3, 3, 128)
    assert base.count_params() == 320 + 18_496 + 73_856
    names = [layer.name for layer in base.layers]
    assert names.index("block3_conv1") == 5 and names[-1] == "block3_pool"
    base.trainable = True
    for layer in base.layers[:5]:
        layer.trainable = False
    assert n_trainable(base) == 73_856
    head = lecture_head(keras, base.output.shape[1:], outputs=10)
    assert head.count_params() == HEAD_PARAMS_TEMPLATE


def test_describe_pretrained(capsys):
    assert "VGG16" in transfer.describe_pretrained("imagenet")
    assert "Fashion-MNIST" in transfer.describe_pretrained("template")
    assert "template" in capsys.readouterr().out
    with pytest.raises(ValueError, match="choose one of"):
        transfer.describe_pretrained("vgg")


def test_shared_lesson_code_builds_what_the_notebooks_expect(keras):
    base = transfer.template_base()
    first = transfer.freeze_before(base, transfer.LAST_BLOCK["template"])
    assert first == 5 and n_trainable(base) == 73_856
    head = transfer.build_head(base.output.shape[1:], 10)
    assert head.count_params() == HEAD_PARAMS_TEMPLATE and transfer.loss_for(10) == "sparse_categorical_crossentropy"
    assert transfer.build_head((4, 4, 512), 2).count_params() == 8192 * 256 + 256 + 257
    assert transfer.loss_for(2) == "binary_crossentropy"
    y = np.repeat(np.arange(10), 5)
    index = transfer.per_class_index(y, 3, seed=0)
    assert sorted(np.bincount(y[index]).tolist()) == [3] * 10


# ---------------------------------------------------------------- the template with batch normalization (06)
def test_shipped_bn_template_matches_its_checksum_and_loads(keras):
    manifest = transfer.template_bn_manifest()
    path = transfer.template_bn_weights_path(verify=True)
    assert path == transfer.TEMPLATE_BN_WEIGHTS and file_digest(path) == manifest["sha256"]
    assert path.stat().st_size == manifest["size_bytes"] < 2_000_000
    assert "BatchNormalization" in manifest["architecture"] and "Fashion-MNIST (60,000" in manifest["source_data"]
    assert 0.8 < manifest["test_accuracy"] <= 1                # chance is 0.1
    model = transfer.load_template_bn_cnn()
    assert model.count_params() == manifest["params"]
    assert transfer.weights_fingerprint(model) == manifest["weights_fingerprint"]   # moving statistics included
    # the plain template's files are still the ones found by default
    assert transfer.template_weights_path() == transfer.TEMPLATE_WEIGHTS
    with pytest.raises(ValueError, match="choose one of"):
        transfer.template_manifest(name="vgg")


def test_a_changed_bn_weights_file_is_refused(tmp_path, monkeypatch):
    manifest = transfer.template_bn_manifest()
    shutil.copy(transfer.TEMPLATE_BN_WEIGHTS, tmp_path / manifest["file"])
    (tmp_path / "template_bn_cnn.json").write_text(json.dumps(manifest))
    monkeypatch.setattr(transfer, "TEMPLATE_BN_MANIFEST", tmp_path / "template_bn_cnn.json")
    assert transfer.template_bn_weights_path() == tmp_path / manifest["file"]
    flip_middle_byte(tmp_path / manifest["file"])
    with pytest.raises(transfer.TemplateWeightsError, match="make template"):
        transfer.template_bn_base()
    assert transfer.template_weights_path() == transfer.TEMPLATE_WEIGHTS   # the plain template is unaffected
    (tmp_path / manifest["file"]).unlink()
    with pytest.raises(transfer.TemplateWeightsError, match="missing"):
        transfer.template_bn_weights_path()


def test_bn_template_base_has_batch_normalization_and_the_same_block_names(keras):
    from keras import layers
    base = transfer.template_bn_base()
    assert base.output.shape[1:] == (3, 3, 128)
    bns = [layer for layer in base.layers if isinstance(layer, layers.BatchNormalization)]
    assert [layer.name for layer in bns] == ["block1_bn", "block2_bn", "block3_bn"]
    for bn in bns:      # pretrained moving statistics, not the initial 0 and 1
        assert not np.allclose(keras.ops.convert_to_numpy(bn.moving_variance), 1.0)
    first = transfer.freeze_before(base, transfer.LAST_BLOCK["template"])
    assert base.layers[first].name == "block3_conv1"
    assert n_trainable(base) == 3 * 3 * 64 * 128 + 2 * 128     # conv kernel (no bias) + BN's gamma and beta
    assert [layer.name for layer in base.layers if layer.trainable and layer.weights] == ["block3_conv1", "block3_bn"]
    head = transfer.build_head(base.output.shape[1:], 10)
    assert head.count_params() == HEAD_PARAMS_TEMPLATE


def test_frozen_bn_layers_keep_their_moving_statistics_while_the_block_fine_tunes(keras):
    """Notebook 06's recipe: BN layers set to trainable=False run in inference mode inside fit (Keras 3),
    while a trainable BN layer updates its moving statistics. (`base(x, training=False)` is not asserted:
    some Keras 3 versions let fit override it, which the notebook measures and reports.)"""
    from keras import layers
    x = np.random.default_rng(0).random((16, 28, 28, 1)).astype("float32")
    y = np.arange(16) % 10
    moved = {}
    for freeze_bn in (False, True):
        base = transfer.template_bn_base()
        transfer.freeze_before(base, transfer.LAST_BLOCK["template"])
        if freeze_bn:
            for layer in base.layers:
                if isinstance(layer, layers.BatchNormalization):
                    layer.trainable = False
        before = keras.ops.convert_to_numpy(base.get_layer("block3_bn").moving_mean).copy()
        kernel = keras.ops.convert_to_numpy(base.get_layer("block3_conv1").kernel).copy()
        inputs = keras.Input(shape=(28, 28, 1))
        model = keras.Model(inputs, transfer.build_head(base.output.shape[1:], 10)(base(inputs)))
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e-2), loss="sparse_categorical_crossentropy")
        model.fit(x, y, epochs=1, batch_size=8, verbose=0)
        moved[freeze_bn] = float(np.abs(keras.ops.convert_to_numpy(base.get_layer("block3_bn").moving_mean)
                                        - before).max())
        assert not np.array_equal(keras.ops.convert_to_numpy(base.get_layer("block3_conv1").kernel), kernel)
    assert moved[True] == 0.0 and moved[False] > 0.0


# ---------------------------------------------------------------- the ImageNet path, offline
def test_vgg16_imagenet_weights_missing_offline_raise_a_clear_error(keras, monkeypatch):
    monkeypatch.setenv("CNN_COURSE_OFFLINE", "1")
    from helpers.data import vgg16_weights_path
    try:
        vgg16_weights_path(download=False)
        pytest.skip("the VGG16 weights are cached on this machine")
    except DataUnavailable:
        pass
    with pytest.raises(DataUnavailable, match="make data"):
        transfer.vgg16_base(32)


@pytest.mark.parametrize("size, grid", [(32, 1), (64, 2), (150, 4)])
def test_vgg16_feature_sizes(keras, size, grid):
    base = transfer.vgg16_base(size, weights=None)
    assert base.output.shape[1:] == (grid, grid, 512)
    if size == 150:   # the lecture's size: 8,192 bottleneck features, a 2,097,665-parameter head
        assert int(np.prod(base.output.shape[1:])) == 8192
        assert lecture_head(keras, base.output.shape[1:]).count_params() == 8192 * 256 + 256 + 257


def test_vgg16_freezing_block5_and_the_lecture_trap(keras):
    vgg = transfer.vgg16_base(150, weights=None)
    assert vgg.count_params() == 14_714_688
    assert vgg.layers[15].name == "block5_conv1" == transfer.VGG16_LAST_BLOCK
    for layer in vgg.layers[:15]:
        layer.trainable = False
    assert n_trainable(vgg) == 7_079_424
    # the lecture's model.layers[:25] on a model that nests the base as one layer: everything frozen
    nested = keras.Sequential([keras.Input(shape=(150, 150, 3)), vgg, *lecture_head(keras, (4, 4, 512)).layers])
    assert len(nested.layers) == 5
    assert n_trainable(nested) == 7_079_424 + 2_097_665          # what the lecture meant to train
    for layer in nested.layers[:25]:
        layer.trainable = False
    assert n_trainable(nested) == 0
    # a frozen parent hides a trainable child from its own count, not from a model built on it (Keras 3)
    vgg.get_layer("block5_conv1").trainable = True
    assert n_trainable(vgg) == 0
    assert n_trainable(keras.Sequential([vgg])) == 3 * 3 * 512 * 512 + 512
    # the recipe of notebook 06: parent trainable, then every layer's flag
    vgg.trainable = True
    for i, layer in enumerate(vgg.layers):
        layer.trainable = i >= 15
    assert n_trainable(vgg) == 7_079_424
    block4 = [layer.name for layer in vgg.layers].index("block4_conv1")
    for i, layer in enumerate(vgg.layers):
        layer.trainable = i >= block4
    assert n_trainable(vgg) == 12_979_200                       # notebook 06, exercise 1


def test_lecture_freezing_on_a_flat_model_also_freezes_the_head(keras):
    """Model(inputs=base.input, outputs=head(base.output)): 20 layers, and [:25] is all of them."""
    vgg = transfer.vgg16_base(32, weights=None)
    flat = keras.Model(vgg.input, lecture_head(keras, (1, 1, 512))(vgg.output))
    assert len(flat.layers) == 20
    for layer in flat.layers[:25]:
        layer.trainable = False
    assert n_trainable(flat) == 0


def test_setting_trainable_to_its_current_value_does_nothing(keras):
    """The TensorFlow-backend quirk notebook 06 warns about: `base.trainable = True` does not unfreeze."""
    vgg = transfer.vgg16_base(32, weights=None)
    vgg.layers[1].trainable = False
    vgg.trainable = True                                       # already True: a no-op
    assert vgg.layers[1].trainable is False
    vgg.trainable = False
    vgg.trainable = True                                       # a real change propagates to every layer
    assert vgg.layers[1].trainable is True


def test_imagenet_preprocessing_resizes_and_uses_preprocess_input(keras):
    from keras import layers
    preprocess = keras.Sequential([layers.Resizing(64, 64),
                                   layers.Lambda(keras.applications.vgg16.preprocess_input)], name="preprocess")
    base = transfer.vgg16_base(64, weights=None)
    extractor = keras.Sequential([keras.Input(shape=(32, 32, 3)), preprocess, base])
    x = np.random.default_rng(0).integers(0, 256, (4, 32, 32, 3)).astype("float32")
    x_before = x.copy()
    features = extractor.predict(x, verbose=0)
    assert features.shape == (4, 2, 2, 512)
    assert np.array_equal(x, x_before), "the input array must not be modified in place"
    by_hand = keras.applications.vgg16.preprocess_input(np.array(keras.ops.image.resize(x, (64, 64))))
    np.testing.assert_allclose(features, base.predict(by_hand, verbose=0), rtol=1e-4, atol=1e-4)


def test_head_is_saved_and_reloaded_on_top_of_the_base(keras, tmp_path):
    from keras import layers
    base = transfer.vgg16_base(32, weights=None)
    base.trainable = False
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (16, 32, 32, 3)).astype("float32")
    y = rng.integers(0, 2, 16)
    preprocess = keras.Sequential([layers.Lambda(keras.applications.vgg16.preprocess_input)], name="preprocess")
    features = keras.Sequential([keras.Input(shape=(32, 32, 3)), preprocess, base]).predict(x, verbose=0)
    head = lecture_head(keras, features.shape[1:])
    head.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    head.fit(features, y, epochs=1, batch_size=8, verbose=0)
    head.save_weights(tmp_path / "imagenet_head.weights.h5")

    again = lecture_head(keras, base.output.shape[1:])         # 06: same architecture, fresh
    with warnings.catch_warnings():
        warnings.simplefilter("error")                         # loading must not warn (e.g. optimizer state)
        again.load_weights(tmp_path / "imagenet_head.weights.h5")
    np.testing.assert_allclose(again.predict(features, verbose=0), head.predict(features, verbose=0), rtol=1e-5)
    model = keras.Sequential([keras.Input(shape=(32, 32, 3)), preprocess, base, again])
    np.testing.assert_allclose(model.predict(x, verbose=0), head.predict(features, verbose=0), rtol=1e-4, atol=1e-6)
    assert n_trainable(model) == 512 * 256 + 256 + 257


# ---------------------------------------------------------------- regenerating the template
@pytest.mark.slow
def test_train_template_script_regenerates_a_loadable_template(keras, tmp_path):
    """A brief version of `make template`: 1 epoch on 2,000 images."""
    run = subprocess.run([sys.executable, str(ROOT / "tools" / "train_template.py"), "--epochs", "1",
                          "--n-train", "2000", "--out", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    manifest = json.loads((tmp_path / "template_cnn.json").read_text())
    weights = tmp_path / manifest["file"]
    assert file_digest(weights) == manifest["sha256"] and weights.stat().st_size < 2_000_000
    assert manifest["epochs"] == 1 and manifest["source_data"].startswith("Fashion-MNIST (2,000")
    assert manifest["test_accuracy"] > 0.3                     # chance is 0.1
    model = transfer.build_template_cnn()
    model.load_weights(weights)
    assert transfer.weights_fingerprint(model) == manifest["weights_fingerprint"]


@pytest.mark.slow
def test_train_template_script_regenerates_a_loadable_bn_template(keras, tmp_path):
    """A brief version of `make template`'s second step: the BN variant, 1 epoch on 2,000 images."""
    run = subprocess.run([sys.executable, str(ROOT / "tools" / "train_template.py"), "--bn", "--epochs", "1",
                          "--n-train", "2000", "--out", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    assert not (tmp_path / "template_cnn.json").exists()
    manifest = json.loads((tmp_path / "template_bn_cnn.json").read_text())
    weights = tmp_path / manifest["file"]
    assert weights.name == "template_bn_cnn.weights.h5" and file_digest(weights) == manifest["sha256"]
    assert "BatchNormalization" in manifest["architecture"] and manifest["test_accuracy"] > 0.3
    model = transfer.build_template_bn_cnn()
    model.load_weights(weights)
    assert transfer.weights_fingerprint(model) == manifest["weights_fingerprint"]
