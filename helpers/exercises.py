"""What the coding exercises are checked against: a reference built on Keras (the computed truth), the
inputs (random, drawn from the notebook's seed, so the student did not choose them) and the plausible
mistakes, each with the hint that names it. Kept here, out of the student's sight: a mistake is a
working solution but for one slip.
"""
from __future__ import annotations

import inspect
import operator

import numpy as np


def _slip(name, right, **slip):
    """`right` but for one slip (`slip` overrides some of its arguments), named as its check records it."""
    def wrong(*args):
        return right(**{**inspect.signature(right).bind(*args).arguments, **slip})

    wrong.__name__ = name
    return wrong


# ---- 01: a strided, padded 2-D convolution (correlation, as Keras computes it) ----------------------
def keras_conv2d(x, kernel, stride=1, padding=0):
    """The truth: Keras' ZeroPadding2D then a valid Conv2D with `kernel`, no bias, on one channel."""
    import keras

    model = keras.Sequential([keras.Input(shape=(*x.shape, 1)), keras.layers.ZeroPadding2D(padding),
                              keras.layers.Conv2D(1, kernel.shape, strides=stride, use_bias=False)])
    model.layers[-1].set_weights([np.asarray(kernel, "float32").reshape(*kernel.shape, 1, 1)])
    return keras.ops.convert_to_numpy(model(np.asarray(x, "float32")[None, :, :, None]))[0, :, :, 0]


def conv2d_cases(seed: int) -> list[tuple]:
    """(x, kernel, stride, padding) cases: square and not, odd and even kernels, strides 1-3, paddings 0-2."""
    rng = np.random.default_rng(seed)
    shapes = [((7, 7), (3, 3), 1, 0), ((8, 6), (3, 3), 2, 1), ((9, 9), (2, 2), 3, 2), ((6, 7), (3, 2), 1, 2)]
    return [(rng.normal(size=xs).round(2), rng.normal(size=ks).round(2), s, p) for xs, ks, s, p in shapes]


def _correlate(x, kernel, stride=1, padding=0, flip=False, pad_at_end=False):
    """conv2d by hand; the keywords make its mistakes."""
    x = np.pad(x, ((0, 2 * padding), (0, 2 * padding)) if pad_at_end else padding)
    k = np.flip(kernel) if flip else kernel
    kh, kw = k.shape
    rows, cols = (x.shape[0] - kh) // stride + 1, (x.shape[1] - kw) // stride + 1
    return np.array([[np.sum(x[i * stride:i * stride + kh, j * stride:j * stride + kw] * k) for j in range(cols)]
                     for i in range(rows)])


def conv2d_mistakes() -> list[tuple]:
    return [(_slip("flipped", _correlate, flip=True),
             "you flipped the kernel: that is the mathematician's convolution; Keras correlates"),
            (_slip("no_padding", _correlate, padding=0),
             "the padding is missing: pad x with `padding` zeros on every side first"),
            (_slip("no_stride", _correlate, stride=1), "the stride is missing: move `stride` pixels between positions"),
            (_slip("padded_at_the_end", _correlate, pad_at_end=True),
             "pad on both sides (np.pad(x, padding)), not only after the last row and column")]


# ---- 03: batch normalization in training mode -------------------------------------------------------
def keras_batch_norm(x, gamma, beta, epsilon=1e-3):
    """The truth: a Keras BatchNormalization layer with these gamma and beta, called with training=True."""
    import keras

    layer = keras.layers.BatchNormalization(epsilon=epsilon)
    layer.build(x.shape)
    layer.gamma.assign(np.asarray(gamma, "float32"))
    layer.beta.assign(np.asarray(beta, "float32"))
    return keras.ops.convert_to_numpy(layer(np.asarray(x, "float32"), training=True))


def batch_norm_cases(seed: int) -> list[tuple]:
    """(x, gamma, beta, epsilon): batches of 8-32 rows and 3-6 features, far from mean 0 and variance 1."""
    rng = np.random.default_rng(seed)
    cases = []
    for rows, features, epsilon in [(8, 3, 1e-3), (32, 6, 1e-3), (16, 4, 0.5)]:
        x = rng.normal(loc=rng.uniform(-3, 3, features), scale=rng.uniform(0.1, 4, features), size=(rows, features))
        cases.append((x, rng.uniform(0.5, 2, features), rng.normal(size=features), epsilon))
    return cases


def _normalize(x, gamma, beta, epsilon=1e-3, axis=0, beta_inside=False):
    """batch_norm by hand; the keywords after epsilon make its mistakes."""
    z = (x - x.mean(axis=axis, keepdims=True)) / np.sqrt(x.var(axis=axis, keepdims=True) + epsilon)
    return gamma * (z + beta) if beta_inside else gamma * z + beta


def batch_norm_mistakes() -> list[tuple]:
    return [(_slip("whole_batch", _normalize, axis=None),
             "one mean and variance per feature (axis=0), not one for the whole batch"),
            (_slip("per_row", _normalize, axis=1), "normalize each column (feature, axis=0), not each row (image)"),
            (_slip("no_epsilon", _normalize, epsilon=0), "add epsilon to the variance before the square root"),
            (_slip("shift_then_scale", _normalize, beta_inside=True),
             "scale by gamma first, then add beta: gamma * normalized + beta")]


# ---- 04: the L2 weight penalty ----------------------------------------------------------------------
def keras_l2(kernels, lam):
    """The truth: what keras.regularizers.L2(lam) adds to the loss, summed over the kernels."""
    import keras

    penalty = keras.regularizers.L2(lam)
    return sum(float(keras.ops.convert_to_numpy(penalty(np.asarray(w, "float32")))) for w in kernels)


def l2_cases(seed: int) -> list[tuple]:
    """(kernels, lam): lists of one to three random weight matrices, and several lambdas."""
    rng = np.random.default_rng(seed)
    shapes = [[(4, 3)], [(5, 2), (2, 3)], [(3, 3, 1, 2), (8, 4), (4,)]]
    return [([rng.normal(scale=0.5, size=s) for s in kernels], lam) for kernels, lam in zip(shapes, [1e-3, 0.01, 0.5])]


def l2_mistakes() -> list[tuple]:
    def l1(kernels, lam):
        return lam * sum(float(np.sum(np.abs(w))) for w in kernels)

    def norm(kernels, lam):
        return lam * float(np.sqrt(sum(np.sum(w ** 2) for w in kernels)))

    def half(kernels, lam):
        return 0.5 * lam * sum(float(np.sum(w ** 2)) for w in kernels)

    def first_only(kernels, lam):
        return lam * float(np.sum(kernels[0] ** 2))

    return [(l1, "that is L1: sum the squares, not the absolute values"),
            (norm, "no square root: L2 adds the sum of squares itself"),
            (half, "Keras' L2 has no factor 1/2: lam * sum(w ** 2)"),
            (first_only, "add the squares of every array in the list, not only the first")]


# ---- 02 and 05: a model built from its table -----------------------------------------------------------
def _layer_outline(layer) -> tuple:
    """(kind, output shape, parameters, activation or rate): what a layer table says about one layer."""
    detail = getattr(getattr(layer, "activation", None), "__name__", None) or getattr(layer, "rate", None)
    return type(layer).__name__, tuple(layer.output.shape[1:]), layer.count_params(), detail


def outline(build):
    """A model builder as a function of a case: the outline of the model it builds, one entry per layer
    (None while the builder returns nothing). Layer names do not matter; kinds, shapes, sizes and
    activations do."""
    def outline_of(*case):
        model = build(*case)
        return None if model is None else [_layer_outline(layer) for layer in model.layers]

    outline_of.__name__ = getattr(build, "__name__", "your function")
    return outline_of


def lenet_1998(n_classes, pool="average", activation="tanh", c5="conv"):
    """The truth: LeNet-5 as the paper laid it out, C1 padded for 28x28 inputs; the keywords make its mistakes."""
    import keras
    from keras import layers

    pooling = layers.AveragePooling2D if pool == "average" else layers.MaxPooling2D
    c5_layers = {"conv": [layers.Conv2D(120, 5, activation=activation), layers.Flatten()],
                 "conv only": [layers.Conv2D(120, 5, activation=activation)],
                 "dense": [layers.Flatten(), layers.Dense(120, activation=activation)]}[c5]
    return keras.Sequential([keras.Input(shape=(28, 28, 1)),
                             layers.Conv2D(6, 5, padding="same", activation=activation), pooling(2),
                             layers.Conv2D(16, 5, activation=activation), pooling(2), *c5_layers,
                             layers.Dense(84, activation=activation), layers.Dense(n_classes, activation="softmax")])


LENET_CASES = [(10,), (3,)]


def lenet_mistakes() -> list[tuple]:
    return [(outline(lambda n: lenet_1998(n, pool="max")), "S2 and S4 average their 2x2 windows: AveragePooling2D, "
             "not MaxPooling2D"),
            (outline(lambda n: lenet_1998(n, activation="relu")), "LeNet-5 used tanh in its layers, not ReLU"),
            (outline(lambda n: lenet_1998(n, c5="dense")), "C5 is a convolution: Conv2D(120, 5) on S4's 5x5 maps, "
             "then Flatten (not Flatten, then Dense(120))"),
            (outline(lambda n: lenet_1998(n, c5="conv only")), "Flatten C5's 1x1x120 output before F6: without it, "
             "Dense works on each position and the model outputs maps of shape (1, 1, classes)")]


# ---- 05: the lecture's head -----------------------------------------------------------------------------
def lecture_head(input_shape, n_classes, flatten=True, dropout="after", output="lecture"):
    """The truth: the lecture's head, Flatten -> Dense(256, relu) -> Dropout(0.5) -> the output layer
    (one sigmoid unit for two classes, else a softmax); the keywords make its mistakes."""
    import keras
    from keras import layers

    two = n_classes == 2 and output == "lecture"
    out = layers.Dense(1 if two else n_classes, activation="sigmoid" if two else "softmax")
    hidden = [layers.Dense(256, activation="relu")]
    hidden = {"after": hidden + [layers.Dropout(0.5)], "before": [layers.Dropout(0.5)] + hidden, None: hidden}[dropout]
    return keras.Sequential([keras.Input(shape=input_shape), *([layers.Flatten()] if flatten else []), *hidden, out])


HEAD_CASES = [((4, 4, 512), 2), ((3, 3, 64), 10), ((2, 2, 32), 3)]


def head_mistakes() -> list[tuple]:
    return [(outline(lambda s, n: lecture_head(s, n, flatten=False)), "Flatten the feature maps first: each Dense unit "
             "should see the whole bottleneck of an image"),
            (outline(lambda s, n: lecture_head(s, n, dropout=None)), "the lecture's head drops half its hidden units: "
             "Dropout(0.5) after the Dense(256)"),
            (outline(lambda s, n: lecture_head(s, n, dropout="before")), "Dropout(0.5) goes after the Dense(256) layer"),
            (outline(lambda s, n: lecture_head(s, n, output="softmax")), "use output_layer(n_classes, ...): two classes "
             "take one sigmoid unit")]


# ---- 06: freezing a base up to a layer ------------------------------------------------------------------
def _small_base():
    import keras
    from keras import layers

    return keras.Sequential([keras.Input(shape=(8, 8, 1)),
                             layers.Conv2D(2, 3, padding="same", name="block1_conv1"), layers.MaxPooling2D(name="block1_pool"),
                             layers.Conv2D(3, 3, padding="same", name="block2_conv1"),
                             layers.Conv2D(3, 3, padding="same", name="block2_conv2"), layers.MaxPooling2D(name="block2_pool"),
                             layers.Conv2D(4, 2, name="block3_conv1")], name="small_base")


FREEZING_CASES = [("block2_conv1", False), ("block2_conv2", True), ("block1_conv1", True), ("block3_conv1", False)]


def freezing_outcome(freeze_before):
    """A `freeze_before(base, layer_name)` as a function of a case (layer name, parent frozen first?):
    on a fresh small base, the index it returns, how many weight arrays the base itself counts as trainable,
    every layer's trainable flag, and which layers' weights moved in one SGD step of a model built on the
    base. None while it returns nothing."""
    def outcome(layer_name, parent_frozen):
        import keras

        keras.utils.set_random_seed(0)
        base = _small_base()
        base.trainable = not parent_frozen     # a base frozen as a whole first, as in the lecture's feature extraction
        index = freeze_before(base, layer_name)
        if index is None:
            return None
        model = keras.Sequential([base, keras.layers.Flatten(), keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
        before = [layer.get_weights() for layer in base.layers]
        rng = np.random.default_rng(0)
        model.train_on_batch(rng.normal(size=(4, 8, 8, 1)), rng.normal(size=(4, 1)))
        moved = [any(not np.array_equal(a, b) for a, b in zip(w, layer.get_weights())) for w, layer in zip(before, base.layers)]
        return [int(index), len(base.trainable_weights), *[bool(layer.trainable) for layer in base.layers], *moved]

    outcome.__name__ = getattr(freeze_before, "__name__", "your function")
    return outcome


def freezing_truth(layer_name, parent_frozen):
    """The truth, from the names alone: the layer's index; layers from it on trainable, and only they move."""
    names = [layer.name for layer in _small_base().layers]
    first = names.index(layer_name)
    learns = [i >= first and not name.endswith("pool") for i, name in enumerate(names)]   # pooling has no weights
    return [first, 2 * sum(learns), *[i >= first for i in range(len(names))], *learns]    # a kernel and a bias each


def _freeze(base, layer_name, trains=operator.ge, unfreeze_base=True):
    """freeze_before by hand: layer i trains if trains(i, index of layer_name); the keywords make its mistakes."""
    first = [layer.name for layer in base.layers].index(layer_name)
    if unfreeze_base:
        base.trainable = True
    for i, layer in enumerate(base.layers):
        layer.trainable = trains(i, first)
    return first


def freezing_mistakes() -> list[tuple]:
    slips = [(_slip("off_by_one", _freeze, trains=operator.gt),
              "the layer you name is the first that trains: i >= its index, not >"),
             (_slip("parent_still_frozen", _freeze, unfreeze_base=False), "set base.trainable = True first: a base "
              "frozen as a whole stays frozen (base.trainable is False, and it counts no trainable weights), whatever "
              "its layers' flags say"),
             (_slip("reversed_flags", _freeze, trains=operator.lt),
              "freeze the layers before it and train it and those after it, not the other way round")]
    return [(freezing_outcome(wrong), why) for wrong, why in slips]


# ---- the notebook goes on with code that works ---------------------------------------------------------
def _yours_or_ours(name, yours, ours, outcome, truth, cases):
    """`yours` once it passes its check (on the check cell's cases), else the course's `ours`, saying which:
    the later cells need a working function before the exercise is done."""
    try:
        passes = callable(yours) and all(outcome(yours)(*case) == truth(*case) for case in cases)
    except Exception:      # the check cell above has shown the error
        passes = False
    print(f"using your {name}" if passes else
          f"using the course's {name} (helpers/transfer.py) until yours passes the check above")
    return yours if passes else ours


def head_to_use(build_head):
    from . import transfer

    return _yours_or_ours("build_head", build_head, transfer.build_head, outline, outline(lecture_head), HEAD_CASES)


def freeze_before_to_use(freeze_before):
    from . import transfer

    return _yours_or_ours("freeze_before", freeze_before, transfer.freeze_before, freezing_outcome, freezing_truth,
                          FREEZING_CASES)
