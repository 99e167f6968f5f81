# ---
# jupyter:
#   jupytext:
#     notebook_metadata_filter: -jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 01 · Convolution arithmetic
#
# **Follows:** "A Gentle Introduction to Convolutional Neural Networks" (S. Mujumdar, A. Jain, IBM Research India), "Keras & Convolutional Neural Nets" (W4995 Applied Machine Learning, A. Müller, 2019), "Using Keras to build a CNN" (ZJU-UoE Institute, Lecture 15, N. Romanò) and "Convolutional Neural Networks using keras and tensorflow".
#
# **Learning objectives.** After this notebook you can
# 1. explain why images call for local connectivity and weight sharing instead of dense layers, and count the weights of each;
# 2. compute a discrete convolution by hand, and tell convolution from the correlation that Keras' `Conv2D` computes;
# 3. predict a layer's output size with $(W - F + 2P)/S + 1$ and its parameters with $F \cdot F \cdot D_{in} + 1$ per filter, and check both against real Keras layers;
# 4. recognise smoothing and gradient (edge) filters, max pooling and strided convolution, and the usual activation functions.
#
# **What it needs.** no data download (a photograph that ships with matplotlib); runs in well under a minute on a laptop CPU. Exercises are marked ✏️: fill in `answer = ...`, run the check; the next cell (tagged `solution`, left out of the student edition) shows one solution.
#
# **On Colab:** [open this notebook in Colab](https://colab.research.google.com/github/cnn-course/cnn-course/blob/main/notebooks/01_convolution_arithmetic.ipynb). Its first code cell fetches the course's files there and installs what Colab lacks.

# %% tags=["colab", "nbval-check-output"]
# On Colab only: fetch the course (its `helpers` package and data files) and install the packages Colab lacks,
# with --no-deps so that Colab's own TensorFlow, Keras and NumPy stay as they are. Elsewhere it does nothing.
import os, subprocess, sys
if "google.colab" in sys.modules:
    REPOSITORY, COURSE = "https://github.com/cnn-course/cnn-course", "/content/cnn-course"
    if not os.path.isdir(COURSE):
        subprocess.run(["git", "clone", "--quiet", "--depth", "1", REPOSITORY, COURSE], check=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "scikeras~=0.13.0",
                        "mlxtend~=0.23", COURSE], check=True)
    os.environ["CNN_COURSE_ROOT"] = COURSE    # where `helpers` finds the course's data/ and build/ folders

# %% tags=["parameters", "nbval-ignore-output"]
# Parameters: papermill may override any of these (see README)
SEED = 42              # seeds the noisy signal (and Python, NumPy and Keras)
PHOTO_SIZE = 256       # shorter side of the photograph, in pixels
SIGMA = 2.0            # width of the Gaussian smoothing filter, in pixels
FAMOUS_MODELS = True   # build VGG16/ResNet50/MobileNetV2 (without weights) to count their parameters

# %% tags=["nbval-ignore-output"]
import helpers
helpers.check_parameters(globals(), counts=["PHOTO_SIZE"], positive=["SIGMA"])
helpers.setup(seed=SEED)

import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
import keras
from keras import layers
from helpers import data, exercises, plots
import scipy.signal

rng = np.random.default_rng(SEED)

# %% [markdown]
# ## 1. Why not dense layers for images?
#
# A dense layer connects every input to every unit. A 100×100 greyscale image has 10,000 inputs (30,000 for RGB); a layer of 1,000 units therefore needs $10^7$ weights. A convolutional unit instead looks at a small **receptive field**, say 5×5 pixels: 1,000 such units need only 25 weights each (75 for RGB, 5×5×3). And if all units of a *feature map* **share** the same 25 weights — the same detector slid over the whole image — the count no longer depends on the image size at all.

# %% tags=["nbval-check-output"]
units, side = 1000, 100
rows = []
for channels, name in [(1, "greyscale"), (3, "RGB")]:
    inputs = side * side * channels
    rows.append({"image": f"{side}x{side} {name}", "inputs": inputs,
                 "dense: weights": inputs * units,
                 "local 5x5: weights": 5 * 5 * channels * units,
                 "local + shared: weights": 5 * 5 * channels})
pd.DataFrame(rows).set_index("image")


# %% [markdown]
# Sharing weights is what makes it a *convolution*: one small kernel, applied at every position. A pooling layer (section 7) then adds some robustness to small translations.
#
# ## 2. Discrete convolution
#
# For two sequences $f$ and $g$: $(f * g)[n] = \sum_m f[m]\, g[n - m]$. Note the $n - m$: the kernel is **flipped** before it slides. Here is the formula as a loop, next to NumPy's `np.convolve`.

# %% tags=["nbval-check-output"]
def convolve_1d(f, g):
    # (f*g)[n] = sum_m f[m] g[n-m], for every n where the two overlap ("full" convolution)
    out = np.zeros(len(f) + len(g) - 1)
    for n in range(len(out)):
        for m in range(len(f)):
            if 0 <= n - m < len(g):
                out[n] += f[m] * g[n - m]
    return out

f = np.array([1.0, 2.0, 3.0])
g = np.array([0.0, 1.0, 0.5])
print("by the formula:", convolve_1d(f, g))
print("np.convolve:   ", np.convolve(f, g))


# %% [markdown]
# ### Gaussian smoothing in 1-D
# Convolving a noisy signal with a Gaussian kernel (weights that sum to 1) replaces every sample by a weighted average of its neighbours: the noise is smoothed away, the slow shape stays.
#
# *Figures in this course end with `plots.show("...")` instead of `plt.show()`: the same figure, plus one sentence saying what it shows, which screen readers read out and the HTML editions keep as the image's alt text.*

# %% tags=["nbval-ignore-output"]
def gaussian_kernel_1d(sigma):
    x = np.arange(-3 * int(np.ceil(sigma)), 3 * int(np.ceil(sigma)) + 1)
    k = np.exp(-x**2 / (2 * sigma**2))
    return k / k.sum()

t = np.linspace(0, 4 * np.pi, 200)
signal = np.sin(t)
noisy = signal + rng.normal(0, 0.3, t.size)
smooth = np.convolve(noisy, gaussian_kernel_1d(3 * SIGMA), mode="same")

plt.figure(figsize=(9, 3.2))
plt.plot(t, noisy, ".", ms=3, alpha=0.5, label="noisy signal")
plt.plot(t, smooth, lw=2, label=f"convolved with a Gaussian (sigma={3 * SIGMA:g} samples)")
plt.plot(t, signal, "k--", lw=1, label="clean signal")
plt.title("Gaussian smoothing is a convolution")
plt.xlabel("t")
plt.ylabel("value")
plt.legend()
plots.show("Line chart over t of a noisy sine wave as dots, the same signal convolved with a Gaussian kernel as "
           "a smooth line, and the clean sine as a dashed line.")

# %% [markdown]
# ## 3. The worked example in 2-D: convolution vs correlation
#
# $$X = \begin{pmatrix}80&0&50\\70&20&10\\0&40&0\end{pmatrix},\qquad k = \begin{pmatrix}0&1\\0.5&-1\end{pmatrix}$$
#
# A 2-D convolution flips the kernel in both directions, then slides it over the image; at each position it multiplies element-wise and sums. With a 2×2 kernel on a 3×3 image there are 2×2 "valid" positions (the kernel fully inside the image). The pictures show the first two positions, with the flipped kernel $\begin{pmatrix}-1&0.5\\1&0\end{pmatrix}$.

# %% tags=["nbval-ignore-output"]
X = np.array([[80, 0, 50], [70, 20, 10], [0, 40, 0]], dtype=float)
k = np.array([[0, 1], [0.5, -1]])

fig, axes = plt.subplots(1, 3, figsize=(10, 3.2))
plots.draw_grid(X, ax=axes[0], title="window at output (0, 0)", highlight=(0, 0, 2, 2))
plots.draw_grid(X, ax=axes[1], title="window at output (0, 1)", highlight=(0, 1, 2, 2))
plots.draw_grid(np.flip(k), ax=axes[2], title="flipped kernel", cmap="RdBu_r")
fig.suptitle("Sliding a 2x2 kernel over a 3x3 image (valid positions)")
plt.tight_layout()
plots.show("Three grids: a 3x3 image of numbers with the 2x2 window at output (0, 0) outlined, the same image "
           "with the window at output (0, 1), and the 2x2 kernel flipped in both directions.")


# %% [markdown]
# A small, readable reference implementation: flip, slide, multiply, sum.

# %% tags=["nbval-check-output"]
def conv2d_valid(x, kernel):
    # 2-D convolution (kernel flipped), valid positions only, stride 1
    kf = np.flip(kernel)                      # flip rows and columns
    kh, kw = kernel.shape
    out = np.zeros((x.shape[0] - kh + 1, x.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(x[i:i + kh, j:j + kw] * kf)
    return out

by_hand = conv2d_valid(X, k)
print(by_hand)

# %% [markdown]
# ### ✏️ Exercise 1 — correlation by hand
# **Correlation** is convolution without the flip: the kernel $k$ goes, as it is, on each window of $X$. Put $k$ unflipped on the top-left 2×2 window of $X$: what is the top-left output value? Work it out on paper, then type the number. (The next cells compute it three ways.)

# %% tags=["answer", "nbval-ignore-output"]
answer = ...   # the top-left value of the correlation of X with the unflipped k

# %% tags=["check", "nbval-check-output"]
correlation = scipy.signal.correlate2d(X, k, mode="valid")
helpers.check("correlation at (0, 0)", answer, correlation[0, 0],
              hint="multiply the top-left 2x2 window of X element-wise by k, as it is, and add up",
              mistakes=[(by_hand[0, 0], "that is the convolution: you flipped the kernel; correlation does not flip"),
                        (np.sum(X[:2, :2].T * k), "you transposed the window: row i of k meets row i of the window")])

# %% tags=["solution", "nbval-check-output"]
answer = 80 * 0 + 0 * 1 + 70 * 0.5 + 20 * -1
helpers.check("correlation at (0, 0)", answer, correlation[0, 0])

# %% [markdown]
# SciPy agrees; and correlating with the *flipped* kernel gives the same numbers, because correlation is convolution without the flip:

# %% tags=["nbval-check-output"]
print("scipy convolve2d:           ", scipy.signal.convolve2d(X, k, mode="valid").tolist())
print("scipy correlate2d, flipped k:", scipy.signal.correlate2d(X, np.flip(k), mode="valid").tolist())
print("scipy correlate2d, k as is: ", scipy.signal.correlate2d(X, k, mode="valid").tolist())

# %% [markdown]
# **What does Keras compute?** Give a `Conv2D` layer our kernel as its weights (shape `(height, width, in_channels, filters)`) and no bias. Keras — like every deep-learning library — slides the kernel **without flipping it**: it computes a correlation. For a learned filter this makes no difference (the network simply learns the flipped kernel), but to reproduce the lecture's numbers we must flip the kernel ourselves.

# %% tags=["nbval-check-output"]
conv = layers.Conv2D(filters=1, kernel_size=2, use_bias=False)
conv.build((None, 3, 3, 1))
images = X.reshape(1, 3, 3, 1).astype("float32")          # (batch, height, width, channels)

conv.set_weights([k.reshape(2, 2, 1, 1)])
keras_k = keras.ops.convert_to_numpy(conv(images))[0, :, :, 0]
conv.set_weights([np.flip(k).reshape(2, 2, 1, 1)])
keras_flipped = keras.ops.convert_to_numpy(conv(images))[0, :, :, 0]

print("Keras Conv2D with k:        ", keras_k.tolist())
print("Keras Conv2D with flipped k:", keras_flipped.tolist())
print("flipped kernel reproduces the convolution:", np.allclose(keras_flipped, by_hand))

# %% [markdown]
# ## 4. Smoothing and gradient filters on a photograph
#
# A 2-D Gaussian kernel blurs; a **gradient** kernel such as Sobel's responds where brightness changes — edges. A CNN is not given such filters: it learns its own. The first-layer filters of a well-trained network often resemble these, roughly — blobs and edge detectors of several directions; a small network after a short training has noisier ones, only some of which look like edges (notebook 02 shows them).

# %% tags=["nbval-ignore-output"]
photo, provenance = data.load_sample_photo(PHOTO_SIZE)
print(provenance)

g1 = gaussian_kernel_1d(SIGMA)
gaussian_2d = np.outer(g1, g1)                   # separable: outer product of two 1-D Gaussians
sobel_x = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=float)   # brightness change left-right
sobel_y = sobel_x.T                                                       # ... and top-bottom

smoothed = scipy.signal.convolve2d(photo, gaussian_2d, mode="same", boundary="symm")
dx = scipy.signal.convolve2d(photo, sobel_x, mode="same", boundary="symm")
dy = scipy.signal.convolve2d(photo, sobel_y, mode="same", boundary="symm")
magnitude = np.hypot(dx, dy)

fig, axes = plt.subplots(1, 5, figsize=(15, 3.8))
panels = [(photo, "original", "gray"), (smoothed, f"Gaussian, sigma={SIGMA:g}", "gray"),
          (dx, "Sobel x (vertical edges)", "RdBu_r"), (dy, "Sobel y (horizontal edges)", "RdBu_r"),
          (magnitude, "gradient magnitude", "magma")]
for ax, (img, title, cmap) in zip(axes, panels):
    ax.imshow(img, cmap=cmap)
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("x (pixel)")
    ax.set_ylabel("y (pixel)")
fig.suptitle("Smoothing and gradient filters on a real photograph")
plt.tight_layout()
plots.show("Five panels of the same grey-scale photograph: the original, Gaussian-blurred, Sobel x (vertical "
           "edges), Sobel y (horizontal edges) and the gradient magnitude, where edges are bright.")

# %% tags=["nbval-check-output"]
print("Gaussian kernel:", gaussian_2d.shape, "sums to", round(gaussian_2d.sum(), 6))
print("Sobel x kernel sums to", sobel_x.sum(), "-> flat regions give 0, edges give large values")
print("output shape with mode='same':", dx.shape, "= input shape", photo.shape)

# %% [markdown]
# ### ✏️ Exercise 2 — predict, run, explain: a wider Gaussian before the edge filter
#
# Blur the photograph with a Gaussian twice as wide (`sigma = 2 * SIGMA`), then apply the Sobel filters. **Predict** first: compared with the blur of width `SIGMA`, will the mean gradient magnitude (the average edge strength over the whole image) come out `"larger"`, `"smaller"` or `"about the same"`? Write your prediction and run its cell; the experiment cell after it refuses to run until you have. Then **run** the experiment and **explain** the outcome in a few sentences: what does a wider average do to the difference between neighbouring pixels? Try `wider = SIGMA / 2` next.

# %% tags=["answer", "nbval-ignore-output"]
prediction = ...   # your prediction: "larger", "smaller" or "about the same"

# %% tags=["solution", "nbval-ignore-output"]
prediction = "smaller"   # a wider Gaussian averages more neighbours: the image varies more gently

# %% tags=["nbval-ignore-output"]
EDGE_CHOICES = ["larger", "smaller", "about the same"]
helpers.require_prediction(prediction, EDGE_CHOICES)
wider = 2 * SIGMA                                  # change me, then run again


def edge_strength(sigma):
    # mean gradient magnitude of the photograph blurred with a Gaussian of width sigma
    g = gaussian_kernel_1d(sigma)
    blurred = scipy.signal.convolve2d(photo, np.outer(g, g), mode="same", boundary="symm")
    gx = scipy.signal.convolve2d(blurred, sobel_x, mode="same", boundary="symm")
    gy = scipy.signal.convolve2d(blurred, sobel_y, mode="same", boundary="symm")
    return float(np.hypot(gx, gy).mean())


before, after = edge_strength(SIGMA), edge_strength(wider)
outcome = "larger" if after > 1.02 * before else "smaller" if after < 0.98 * before else "about the same"
print(f"mean gradient magnitude: sigma={SIGMA:g} -> {before:.2f}, sigma={wider:g} -> {after:.2f}: {outcome} "
      f"(ratio {after / before:.2f})")

# %% [markdown]
# **Explain** the outcome in a few sentences: what the Sobel filter measures, and what the wider Gaussian did to it.

# %% tags=["answer", "nbval-ignore-output"]
explanation = ...   # a few sentences, as a string: "..."

# %% tags=["check", "nbval-ignore-output"]
helpers.check_prediction("edge strength: your prediction", prediction, EDGE_CHOICES, outcome)
helpers.check_explanation("edge strength: your explanation", explanation,
                          about=["neighbo", "average", "smooth", "blur", "differen"])

# %% tags=["solution", "nbval-ignore-output"]
explanation = """The Sobel filter measures differences between neighbouring pixels. A Gaussian replaces each pixel by a
weighted average of its neighbours, and a wider one averages over more of them, so neighbouring pixels become more
alike and their differences shrink: the edges get weaker and the mean gradient magnitude falls. A narrower Gaussian
(SIGMA / 2) averages less and keeps more of the fine texture, so the edge strength rises."""
helpers.check_explanation("edge strength: your explanation", explanation,
                          about=["neighbo", "average", "smooth", "blur", "differen"])

# %% [markdown]
# ## 5. Depth, stride and zero padding
#
# * **Depth** of a conv layer's output = the number of filters: each filter produces one feature map.
# * **Stride** $S$: how far the filter moves between positions. Stride 2 skips every other position and halves the output.
# * **Zero padding** $P$: add $P$ rows/columns of zeros around the border, so the filter can also sit on the edge pixels. With $P = 3$, a 100×100 image becomes 106×106.
#
# The pictures: a 5×5 input padded with $P=1$ (hatched border), and a 3×3 filter at stride 2 on a 7×7 input.

# %% tags=["nbval-check-output"]
padded = np.pad(np.ones((100, 100)), pad_width=3)            # P = 3 zeros on every side
print("100x100 with P=3 ->", padded.shape)

# %% tags=["nbval-ignore-output"]
small = np.arange(1, 26, dtype=float).reshape(5, 5)
fig, axes = plt.subplots(1, 3, figsize=(12, 4))
plots.draw_grid(np.pad(small, 1), ax=axes[0], title="zero padding P=1: 5x5 -> 7x7", padding=1,
          highlight=(0, 0, 3, 3))
board = np.zeros((7, 7))
plots.draw_grid(board, ax=axes[1], title="stride 2: positions (0,0) and (0,2)", highlight=(0, 0, 3, 3), fmt="")
axes[1].add_patch(plt.Rectangle((1.5, -0.5), 3, 3, fill=False, ec="orange", lw=2.5, ls="--"))
plots.draw_grid(board, ax=axes[2], title="stride 2: next row at (2,0); output (7-3)/2+1 = 3x3",
          highlight=(2, 0, 3, 3), fmt="")
fig.suptitle("Padding and stride (red/orange: the 3x3 filter window)")
plt.tight_layout()
plots.show("Three grids: a 5x5 image padded with a border of zeros to 7x7 with a 3x3 window in the corner, and "
           "two 7x7 boards showing a 3x3 window moved two columns, then two rows, by stride 2.")

# %% [markdown]
# **Valid vs same.** Keras' `padding="valid"` means $P = 0$ (the output shrinks by $F - 1$); `padding="same"` pads so that, at stride 1, the output has the same size as the input ($P = (F-1)/2$ for odd $F$).

# %% tags=["nbval-check-output"]
x100 = keras.Input(shape=(100, 100, 3))
for padding in ["valid", "same"]:
    y = layers.Conv2D(10, 5, padding=padding)(x100)
    print(f"Conv2D(10, 5, padding={padding!r}) on 100x100x3 ->", tuple(y.shape[1:]))


# %% [markdown]
# ## 6. The output-size formula
#
# $$\text{output} = \frac{W - F + 2P}{S} + 1$$
#
# for input width $W$, filter size $F$, padding $P$ and stride $S$. If the division is not exact, the filter does not tile the input and the last partial position is dropped (Keras rounds down). Each filter has $F \cdot F \cdot D_{in}$ weights plus one bias.

# %% tags=["nbval-check-output"]
def output_size(W, F, P=0, S=1):
    # (W - F + 2P) / S + 1, rounded down like Keras does when the filter does not tile the input
    return (W - F + 2 * P) // S + 1

def params_per_filter(F, D_in):
    return F * F * D_in + 1      # weights + one bias

print("100x100, F=5, P=2, S=1 ->", output_size(100, 5, P=2, S=1))
print("weights per filter, F=5, D_in=3:", params_per_filter(5, 3))
print("ten such filters:", 10 * params_per_filter(5, 3), "parameters")

# %% [markdown]
# The lecture's example — a 100×100×3 input, ten 5×5×3 filters, stride 1, padding 2 — gives 100×100×10. Let's check the formula against a real Keras layer (`ZeroPadding2D(2)` then a valid `Conv2D`):

# %% tags=["nbval-check-output"]
model = keras.Sequential([keras.Input(shape=(100, 100, 3)),
                          layers.ZeroPadding2D(padding=2, name="pad2"),
                          layers.Conv2D(filters=10, kernel_size=5, strides=1, name="conv5x5")])
print("Keras output shape:", model.output_shape[1:])
print("formula:           ", (output_size(100, 5, 2, 1),) * 2 + (10,))
print("Keras parameters:", model.count_params(), "| formula:", 10 * params_per_filter(5, 3))

# %% [markdown]
# ### ✏️ Exercise 3 — AlexNet's first layer
# AlexNet (2012) starts with 96 filters of size 11×11 at stride 4, no padding, on a 227×227×3 image. What is the output width, and how many parameters does the layer have? Use the formulas (or paper), then run the check — it compares with a real Keras layer.

# %% tags=["answer", "nbval-ignore-output"]
answer = (..., ...)   # (output width, parameters of the layer)

# %% tags=["check", "nbval-check-output"]
alexnet_conv1 = keras.Sequential([keras.Input(shape=(227, 227, 3)),
                                  layers.Conv2D(96, 11, strides=4, name="conv1")])
truth = (alexnet_conv1.output_shape[1], alexnet_conv1.count_params())
helpers.check("AlexNet conv1 (width, parameters)", answer, truth,
              hint="width (227 - 11 + 2*0) / 4 + 1; each filter has 11*11*3 weights and one bias",
              mistakes=[((truth[0], 96 * 11 * 11 * 3), "the parameters forget the bias: one per filter"),
                        ((truth[0], 96 * 11 * 11 + 96), "each filter spans all 3 input channels: 11*11*3 weights"),
                        ((truth[0] - 1, truth[1]), "the width is off by one: (W - F + 2P) / S, then + 1"),
                        ((int(np.ceil(227 / 4)), truth[1]), "that is the width with padding 'same' (W / S); this layer has no padding")])

# %% tags=["solution", "nbval-check-output"]
answer = (output_size(227, 11, P=0, S=4), 96 * params_per_filter(11, 3))
helpers.check("AlexNet conv1 (width, parameters)", answer, truth)

# %% [markdown]
# ### ✏️ Exercise 4 — write the convolution Keras computes
#
# Write `conv2d(x, kernel, stride, padding)` in NumPy for one channel, as Keras' `Conv2D` computes it: pad `x` with `padding` rows and columns of zeros on every side, then slide `kernel` **unflipped** (a correlation) by `stride` pixels, multiplying and adding up at each position. Its output is `output_size(W, F, padding, stride)` on a side. `np.pad` pads; `conv2d_valid` above is a start (it flips, and has neither stride nor padding). The check runs your function and a real Keras layer on random images, kernels, strides and paddings that you did not choose.

# %% tags=["answer", "nbval-ignore-output"]
def conv2d(x, kernel, stride=1, padding=0):
    # your code: pad x with zeros, then slide the kernel (not flipped) by `stride`; return the 2-D output
    ...

# %% tags=["check", "nbval-check-output"]
helpers.check_function("conv2d", conv2d, exercises.keras_conv2d, exercises.conv2d_cases(SEED),
                       hint="pad first (np.pad(x, padding)), then visit rows and columns 0, S, 2S, ...",
                       mistakes=exercises.conv2d_mistakes())

# %% tags=["solution", "nbval-check-output"]
def conv2d(x, kernel, stride=1, padding=0):
    x = np.pad(x, padding)                               # zeros on every side
    kh, kw = kernel.shape
    out = np.zeros((output_size(x.shape[0], kh, S=stride), output_size(x.shape[1], kw, S=stride)))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            window = x[i * stride:i * stride + kh, j * stride:j * stride + kw]
            out[i, j] = np.sum(window * kernel)          # no flip: correlation
    return out

helpers.check_function("conv2d", conv2d, exercises.keras_conv2d, exercises.conv2d_cases(SEED))

# %% [markdown]
# ### A chain of layers: 150×150 → 17×17×64
#
# The small convnet of the transfer-learning lectures (notebook 04) takes 150×150 images through three stages of (3×3 valid convolution, 2×2 max pooling) with 32, 32 and 64 filters. Pooling with a 2×2 window and stride 2 halves the size, rounding down. Follow the sizes with the formula, then let Keras confirm:

# %% tags=["nbval-check-output"]
size, trace = 150, []
for filters in [32, 32, 64]:
    size = output_size(size, 3)                      # 3x3 conv, valid, stride 1
    trace.append(f"conv -> {size}x{size}x{filters}")
    size = output_size(size, 2, S=2)                 # 2x2 max pooling, stride 2
    trace.append(f"pool -> {size}x{size}x{filters}")
print("\n".join(trace))
print("features before Flatten:", size * size * 64)

# %% tags=["nbval-check-output"]
stages = keras.Sequential([keras.Input(shape=(150, 150, 3))] + [
    layer for f in [32, 32, 64]
    for layer in (layers.Conv2D(f, 3, activation="relu"), layers.MaxPooling2D(2))
] + [layers.Flatten()])
print("Keras: after the last pooling", stages.layers[-2].output.shape[1:],
      "-> Flatten", stages.output_shape[1:])

# %% [markdown]
# ## 7. Max pooling, and strided convolution instead
#
# Max pooling keeps the largest value of each window (here 2×2, stride 2). It has no parameters, shrinks the feature map, and makes the output insensitive to small shifts: a feature that moves by one pixel inside its window gives the same pooled value.

# %% tags=["nbval-check-output"]
fmap = np.array([[1, 3, 2, 1],
                 [4, 6, 5, 0],
                 [3, 1, 1, 0],
                 [1, 2, 2, 4]], dtype=float)
pooled_numpy = fmap.reshape(2, 2, 2, 2).max(axis=(1, 3))        # split into 2x2 blocks, max of each
pool = layers.MaxPooling2D(pool_size=2)
pooled_keras = keras.ops.convert_to_numpy(pool(fmap.reshape(1, 4, 4, 1).astype("float32")))[0, :, :, 0]
print("NumPy max pooling:\n", pooled_numpy)
print("Keras MaxPooling2D agrees:", np.array_equal(pooled_numpy, pooled_keras))

# %% tags=["nbval-check-output"]
spot = np.zeros((1, 8, 8, 1), dtype="float32")
spot[0, 2, 2, 0] = 1.0          # one bright pixel
moved = np.zeros_like(spot)
moved[0, 3, 3, 0] = 1.0         # moved one pixel diagonally
same = np.array_equal(keras.ops.convert_to_numpy(pool(spot)), keras.ops.convert_to_numpy(pool(moved)))
print("a bright pixel moved by one pixel (inside the same 2x2 window) -> same pooled map:", same)

# %% [markdown]
# A **stride-2 convolution** shrinks the map just like pooling, but learns *how* to summarise (at the price of parameters). Many modern networks use it instead of pooling (notebook 03 compares the two).

# %% tags=["nbval-check-output"]
inp = keras.Input(shape=(28, 28, 32))
pooled = layers.MaxPooling2D(2)(inp)
strided_layer = layers.Conv2D(32, 3, strides=2, padding="same")
strided = strided_layer(inp)
print("MaxPooling2D(2):                 ", tuple(pooled.shape[1:]), "| parameters: 0")
print("Conv2D(32, 3, strides=2, 'same'):", tuple(strided.shape[1:]), "| parameters:", strided_layer.count_params())

# %% [markdown]
# ## 8. Activation functions
#
# After each convolution comes a non-linearity. ReLU ($\max(0, x)$) is the default for hidden layers; Leaky ReLU, ELU and SELU keep a small slope or a smooth curve for negative inputs (so units never go completely silent); sigmoid and tanh squash into (0, 1) and (−1, 1) and saturate for large inputs. The output layer of a classifier uses **softmax**: $p_i = e^{x_i} / \sum_j e^{x_j}$, positive numbers that sum to 1.

# %% tags=["nbval-ignore-output"]
z = np.linspace(-4, 4, 401).astype("float32")
activations = {
    "ReLU": keras.activations.relu,
    "Leaky ReLU (0.1)": lambda v: keras.activations.leaky_relu(v, negative_slope=0.1),
    "ELU": keras.activations.elu,
    "SELU": keras.activations.selu,
    "sigmoid": keras.activations.sigmoid,
    "tanh": keras.activations.tanh,
}
plt.figure(figsize=(8, 4.5))
for name, fn in activations.items():
    plt.plot(z, keras.ops.convert_to_numpy(fn(z)), label=name)
plt.axhline(0, color="gray", lw=0.5)
plt.axvline(0, color="gray", lw=0.5)
plt.ylim(-2, 4)
plt.title("Activation functions")
plt.xlabel("input x")
plt.ylabel("output f(x)")
plt.legend()
plots.show("Line chart of six activation functions over inputs from -4 to 4: ReLU, Leaky ReLU, ELU, SELU, "
           "sigmoid and tanh, which differ mostly for negative inputs.")

# %% tags=["nbval-check-output"]
logits = np.array([1.0, 2.0, 3.0])
by_formula = np.exp(logits) / np.exp(logits).sum()
by_keras = keras.ops.convert_to_numpy(keras.activations.softmax(logits[None].astype("float32")))[0]
print("softmax by the formula:", by_formula.round(4), "sum =", by_formula.sum().round(6))
print("Keras agrees:", np.allclose(by_formula, by_keras, atol=1e-6))

# %% [markdown]
# ### Why the non-linearity?
#
# Without an activation, a `Dense` layer is a linear map $x W + b$, and two of them in a row are still one: $(x W_1 + b_1)\,W_2 + b_2 = x\,(W_1 W_2) + (b_1 W_2 + b_2)$. Stacking linear layers adds weights but no power. Let's check it on two `Dense` layers without activation, 784 → 64 → 10 like the MNIST network of notebook 02 (with random biases, so that the bias formula is tested too).

# %% tags=["nbval-check-output"]
keras.utils.set_random_seed(SEED)
flat_image = keras.Input(shape=(784,))
hidden = layers.Dense(64, bias_initializer="random_normal")     # no activation: linear
top = layers.Dense(10, bias_initializer="random_normal")
two_linear = keras.Model(flat_image, top(hidden(flat_image)))
W1, b1 = hidden.get_weights()
W2, b2 = top.get_weights()
print("W1", W1.shape, "b1", b1.shape, "| W2", W2.shape, "b2", b2.shape)

# %% [markdown]
# Now a single `Dense(10)` layer whose kernel is $W_1 W_2$ and whose bias is $b_1 W_2 + b_2$, computed with NumPy from the two layers' weights. Both models see the same 4,000 random inputs:

# %% tags=["nbval-check-output"]
single = layers.Dense(10)
one_linear = keras.Model(flat_image, single(flat_image))
single.set_weights([W1 @ W2, b1 @ W2 + b2])                      # kernel (784, 10), bias (10,)

x_random = np.random.default_rng(SEED).random((4000, 784)).astype("float32")   # 4,000 random "images"
out_two = keras.ops.convert_to_numpy(two_linear(x_random))
out_one = keras.ops.convert_to_numpy(one_linear(x_random))
linear_diff = np.abs(out_two - out_one).max()
print("two linear layers give the same outputs as one:", np.allclose(out_two, out_one, atol=1e-4))
print(f"largest difference: {linear_diff:.4f} (outputs reach {np.abs(out_two).max():.1f})")

# %% [markdown]
# Put a ReLU between the same two layers and the collapse is gone. ReLU bends the map: it zeroes the negative hidden values, and *which* ones are negative depends on the input, so the network is only piecewise linear. It matches neither the collapsed layer nor the best single `Dense` layer that least squares can fit to its outputs (the same fit finds the linear stack's map exactly):

# %% tags=["nbval-check-output"]
with_relu = keras.Model(flat_image, top(layers.ReLU()(hidden(flat_image))))   # the same W1, b1, W2, b2
out_relu = keras.ops.convert_to_numpy(with_relu(x_random))
relu_diff = np.abs(out_relu - out_one).max()
print("with a ReLU, the same outputs as the collapsed layer:", np.allclose(out_relu, out_one, atol=1e-4))
print(f"largest difference: {relu_diff:.2f}")


def best_linear_fit_error(x, y):
    # extra code: fit y ≈ x K + c by least squares (a column of ones for the bias); largest error left
    x1 = np.hstack([x, np.ones((len(x), 1), dtype=x.dtype)]).astype("float64")
    fit, *_ = np.linalg.lstsq(x1, y.astype("float64"), rcond=None)
    return np.abs(x1 @ fit - y).max()


fit_linear, fit_relu = best_linear_fit_error(x_random, out_two), best_linear_fit_error(x_random, out_relu)
print(f"best single Dense layer, largest error: linear stack {fit_linear:.4f}, ReLU network {fit_relu:.2f}")
helpers.record("linear_collapse", {"linear_allclose": np.allclose(out_two, out_one, atol=1e-4),
                                   "linear_max_difference": linear_diff, "linear_best_fit_error": fit_linear,
                                   "relu_allclose": np.allclose(out_relu, out_one, atol=1e-4),
                                   "relu_max_difference": relu_diff, "relu_best_fit_error": fit_relu})

# %% [markdown]
# That bend is what lets depth represent more: every further ReLU layer can bend the map again, so a stack describes functions no single layer can. The IBM lecture makes the same point for 1×1 convolutions: followed by a ReLU, they "increase non-linearity without affecting receptive fields", since a 1×1 filter mixes only the channels of one pixel.

# %% [markdown]
# ## 9. Famous architectures and their size
#
# The ImageNet challenge (1.2 million images, 1,000 classes) drove the field: **AlexNet** (2012) made CNNs win; **ZFNet** (2013) tuned it; **GoogLeNet** (Inception) and **VGG** (2014) went deeper with small filters; **ResNet** (2015) reached 152 layers with skip connections. `keras.applications` can build several of them; with `weights=None` nothing is downloaded and we can count their parameters.

# %% tags=["nbval-check-output"]
milestones = pd.DataFrame([
    ("AlexNet", 2012, "8 layers, large 11x11 filters, ReLU, dropout"),
    ("ZFNet", 2013, "AlexNet with smaller first-layer filters"),
    ("GoogLeNet (Inception)", 2014, "inception modules, 22 layers"),
    ("VGG16 / VGG19", 2014, "only 3x3 convolutions, 16-19 layers"),
    ("ResNet", 2015, "residual (skip) connections, up to 152 layers"),
], columns=["network", "year", "idea"]).set_index("network")
milestones

# %% tags=["nbval-check-output"]
famous = {}
if FAMOUS_MODELS:
    builders = {
        "VGG16": lambda: keras.applications.VGG16(weights=None),
        "VGG16 without top": lambda: keras.applications.VGG16(weights=None, include_top=False),
        "ResNet50": lambda: keras.applications.ResNet50(weights=None),
        "MobileNetV2": lambda: keras.applications.MobileNetV2(weights=None),
    }
    for name, build in builders.items():
        net = build()
        famous[name] = {"parameters": net.count_params(), "layers": len(net.layers)}
        del net
        keras.backend.clear_session()
pd.DataFrame(famous).T

# %% [markdown]
# Where do VGG16's parameters sit? Its convolutional base is 13 layers of 3×3 filters; on top, three dense layers read the 7×7×512 feature maps. Building it with and without that top (`include_top=False`) tells us how the parameters split:

# %% tags=["nbval-check-output"]
if FAMOUS_MODELS:
    total, base = famous["VGG16"]["parameters"], famous["VGG16 without top"]["parameters"]
    first_dense = 7 * 7 * 512 * 4096 + 4096      # the first Dense layer: 7x7x512 inputs, 4,096 units
    print(f"VGG16: {total:,} parameters; {base:,} in the convolutional base, "
          f"{total - base:,} ({(total - base) / total:.0%}) in the three dense layers on top")
    print(f"the first dense layer alone: {first_dense:,} parameters ({first_dense / total:.0%} of the network)")
else:
    print("FAMOUS_MODELS = False: the networks were not built")

# %% [markdown]
# Transfer learning (notebooks 04 and 05) keeps the convolutional base, whose filters are general, and replaces the large dense top with a small one for the new task.

# %% [markdown]
# ## Summary
#
# * Dense layers on images need a weight per pixel per unit; convolutions use small shared kernels.
# * A convolution flips the kernel; Keras' `Conv2D` correlates (no flip) — the worked example shows both.
# * Output size $(W - F + 2P)/S + 1$; parameters $F \cdot F \cdot D_{in} + 1$ per filter; depth = number of filters.
# * Smoothing and gradient filters, pooling and strided convolution are the building blocks of every CNN.
#
# This run, next to the lectures' numbers:

# %% tags=["nbval-check-output"]
lecture = helpers.lecture_values("01")     # the lectures' numbers and their settings, from data/lecture_values.json
this_notebook = {"worked_example": by_hand, "padded": padded.shape, "example_shape": model.output_shape[1:],
                 "example_params": model.count_params(), "chain_features": stages.output_shape[1],
                 "vgg16": famous["VGG16"]["parameters"] if famous else "not built",
                 "vgg16_notop": famous["VGG16 without top"]["parameters"] if famous else "not built"}
summary = pd.DataFrame([(entry.what, entry.text, helpers.lecture.run_text(this_notebook[entry.id], exact=True))
                        for entry in lecture], columns=["quantity", "lecture", "this notebook"]).set_index("quantity")
helpers.record("results", {"worked_example": by_hand, "padded_shape": padded.shape,
                           "example_output_shape": model.output_shape[1:], "example_params": model.count_params(),
                           "chain_features": stages.output_shape[1], "famous": famous})
summary
