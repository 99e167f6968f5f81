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
