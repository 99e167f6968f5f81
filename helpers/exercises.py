"""What the coding exercises are checked against: a reference built on Keras (the computed truth), the
inputs (random, drawn from the notebook's seed, so the student did not choose them) and the plausible
mistakes, each with the hint that names it. Kept here, out of the student's sight: a mistake is a
working solution but for one slip.
"""
from __future__ import annotations

import numpy as np


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


def _correlate(x, kernel, stride, padding, flip=False, pad_side="both"):
    if pad_side == "both":
        x = np.pad(x, padding)
    elif pad_side == "end":
        x = np.pad(x, ((0, 2 * padding), (0, 2 * padding)))
    k = np.flip(kernel) if flip else kernel
    kh, kw = k.shape
    rows, cols = (x.shape[0] - kh) // stride + 1, (x.shape[1] - kw) // stride + 1
    return np.array([[np.sum(x[i * stride:i * stride + kh, j * stride:j * stride + kw] * k) for j in range(cols)]
                     for i in range(rows)])


def conv2d_mistakes() -> list[tuple]:
    def flipped(x, kernel, stride=1, padding=0):
        return _correlate(x, kernel, stride, padding, flip=True)

    def no_padding(x, kernel, stride=1, padding=0):
        return _correlate(x, kernel, stride, 0)

    def no_stride(x, kernel, stride=1, padding=0):
        return _correlate(x, kernel, 1, padding)

    def padded_at_the_end(x, kernel, stride=1, padding=0):
        return _correlate(x, kernel, stride, padding, pad_side="end")

    return [(flipped, "you flipped the kernel: that is the mathematician's convolution; Keras correlates"),
            (no_padding, "the padding is missing: pad x with `padding` zeros on every side first"),
            (no_stride, "the stride is missing: move `stride` pixels between positions"),
            (padded_at_the_end, "pad on both sides (np.pad(x, padding)), not only after the last row and column")]


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


def batch_norm_mistakes() -> list[tuple]:
    def whole_batch(x, gamma, beta, epsilon=1e-3):
        return gamma * (x - x.mean()) / np.sqrt(x.var() + epsilon) + beta

    def per_row(x, gamma, beta, epsilon=1e-3):
        return gamma * (x - x.mean(axis=1, keepdims=True)) / np.sqrt(x.var(axis=1, keepdims=True) + epsilon) + beta

    def no_epsilon(x, gamma, beta, epsilon=1e-3):
        return gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0)) + beta

    def shift_then_scale(x, gamma, beta, epsilon=1e-3):
        return gamma * ((x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + epsilon) + beta)

    return [(whole_batch, "one mean and variance per feature (axis=0), not one for the whole batch"),
            (per_row, "normalize each column (feature, axis=0), not each row (image)"),
            (no_epsilon, "add epsilon to the variance before the square root"),
            (shift_then_scale, "scale by gamma first, then add beta: gamma * normalized + beta")]


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
