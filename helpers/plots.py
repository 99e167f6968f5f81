"""Plots used across the notebooks. Each takes `ax=None` (or makes its own figure) and returns it."""
from __future__ import annotations

from typing import Any, Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np


def history_frame(history: Any):
    """A Keras History, its `.history` dict, or a DataFrame -> DataFrame indexed by epoch (from 1)."""
    import pandas as pd
    frame = pd.DataFrame(getattr(history, "history", history))
    frame.index = np.arange(1, len(frame) + 1)
    frame.index.name = "epoch"
    return frame


def plot_history(history: Any, title: str = "Training curves", axes: Sequence[plt.Axes] | None = None,
                 label: str = "") -> Sequence[plt.Axes]:
    """Loss and accuracy per epoch, training vs validation, side by side. Returns the two axes.

    Pass the same `axes` again with another `label` to overlay several models.
    """
    frame = history_frame(history)
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    prefix = f"{label} " if label else ""
    for ax, metric in zip(axes, ["loss", "accuracy"]):
        key = metric if metric in frame else ("acc" if metric == "accuracy" and "acc" in frame else None)
        if key is None:
            ax.set_visible(False)
            continue
        line, = ax.plot(frame.index, frame[key], "-o", ms=3, label=f"{prefix}train")
        if f"val_{key}" in frame:
            ax.plot(frame.index, frame[f"val_{key}"], "--s", ms=3, color=line.get_color(),
                    label=f"{prefix}validation")
        ax.set(xlabel="epoch", ylabel=metric, title=f"{title}: {metric}")
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend(**({"fontsize": 7, "ncol": 2} if label else {}))   # several models overlaid: a compact legend
    plt.tight_layout()
    return axes


def show_images(images: np.ndarray, labels: Sequence[Any] | None = None,
                class_names: Sequence[str] | None = None, predictions: Sequence[Any] | None = None,
                title: str = "Images", ncols: int = 8, cmap: str = "gray") -> plt.Figure:
    """A grid of images with their labels (and predictions, red where wrong)."""
    name = (lambda i: class_names[int(i)]) if class_names is not None else str

    def draw(ax: plt.Axes, k: int) -> None:
        img = np.asarray(images[k])
        if img.ndim == 3 and img.shape[-1] == 1:
            img = img[..., 0]
        ax.imshow(img, cmap=cmap if img.ndim == 2 else None)
        text = name(labels[k]) if labels is not None else ""
        color = "black"
        if predictions is not None:
            text = (f"{text}\n" if text else "") + f"pred {name(predictions[k])}"
            color = "red" if labels is not None and int(predictions[k]) != int(labels[k]) else "green"
        ax.set_title(text, fontsize=8, color=color)
    return _grid(len(images), ncols, (1.5, 1.7, 0.5), title, draw)


def draw_grid(values: np.ndarray, ax: plt.Axes | None = None, title: str = "", highlight=None,
              cmap: str = "Blues", fmt: str = "{:g}", padding: int = 0) -> plt.Axes:
    """Draw a small 2-D array as a labelled grid of numbers; `highlight=(row, col, h, w)` outlines a window.

    Cells within `padding` of the border are hatched (zero padding).
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(0.55 * values.shape[1] + 1, 0.55 * values.shape[0] + 1))
    ax.imshow(values, cmap=cmap, vmin=min(0, values.min()), vmax=max(1, values.max()) * 1.6)
    rows, cols = values.shape
    for r in range(rows):
        for c in range(cols):
            ax.text(c, r, fmt.format(values[r, c]), ha="center", va="center", fontsize=8)
            if padding and (r < padding or c < padding or r >= rows - padding or c >= cols - padding):
                ax.add_patch(plt.Rectangle((c - .5, r - .5), 1, 1, fill=False, hatch="//", alpha=.3))
    if highlight is not None:
        r, c, h, w = highlight
        ax.add_patch(plt.Rectangle((c - .5, r - .5), w, h, fill=False, ec="red", lw=2.5))
    ax.set(xticks=range(cols), yticks=range(rows), xlabel="column", ylabel="row", title=title)
    return ax


def _grid(n: int, ncols: int, cell: tuple[float, float, float], suptitle: str,
          draw: Callable[[plt.Axes, int], None]) -> plt.Figure:
    """A grid of `n` panels without axes, `ncols` a row; `draw(ax, k)` fills panel k.

    `cell` is (width, height, extra height for the title) in inches.
    """
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(cell[0] * ncols, cell[1] * nrows + cell[2]), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k < n:
            draw(ax, k)
    fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def _panels(images: Sequence[np.ndarray], prefix: str, suptitle: str, ncols: int, **imshow) -> plt.Figure:
    """A grid of small image panels (filters, feature maps), panel k titled `prefix` + k."""
    def draw(ax: plt.Axes, k: int) -> None:
        ax.imshow(images[k], **imshow)
        ax.set_title(f"{prefix}{k}", fontsize=8)
    return _grid(len(images), ncols, (1.4, 1.5, 0.4), suptitle, draw)


def plot_filters(weights: np.ndarray, title: str = "Filters", channel: int = 0, ncols: int = 8) -> plt.Figure:
    """Show conv kernels of shape (h, w, in, out): one panel per output filter, for one input channel."""
    lim = np.abs(weights).max()
    return _panels(np.moveaxis(weights[:, :, channel], -1, 0), "filter ", f"{title} (red positive, blue negative)",
                   ncols, cmap="RdBu_r", vmin=-lim, vmax=lim)


def plot_confusion_matrix(matrix: np.ndarray, class_names: Sequence[str], ax: plt.Axes | None = None,
                          title: str = "Confusion matrix") -> plt.Axes:
    """Show a confusion matrix (rows: true class, columns: predicted class) with its counts.

    Introduced in 02_keras_mnist; compute `matrix` with `sklearn.metrics.confusion_matrix`.
    """
    matrix = np.asarray(matrix)
    if ax is None:
        size = 0.55 * len(class_names) + 2.5
        _, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(matrix, cmap="Blues")
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="number of images")
    threshold = matrix.max() / 2
    for r in range(matrix.shape[0]):
        for c in range(matrix.shape[1]):
            ax.text(c, r, f"{matrix[r, c]:d}", ha="center", va="center", fontsize=7,
                    color="white" if matrix[r, c] > threshold else "black")
    ticks = np.arange(len(class_names))
    rotate = max(len(name) for name in class_names) > 2   # long names (Fashion-MNIST) are tilted
    ax.set_xticks(ticks, class_names, rotation=45 if rotate else 0, ha="right" if rotate else "center")
    ax.set_yticks(ticks, class_names)
    ax.set(xlabel="predicted class", ylabel="true class", title=title)
    return ax


def most_frequent_mistakes(matrix: np.ndarray, class_names: Sequence[str]) -> str:
    """One line naming the most frequent off-diagonal cell(s) of a confusion matrix, with the count."""
    off_diagonal = np.asarray(matrix) - np.diag(np.diag(matrix))
    if off_diagonal.max() == 0:
        return f"no mistakes: all {int(np.sum(matrix)):,} images are on the diagonal"
    worst = [f"{class_names[t]} taken for {class_names[p]}" for t, p in zip(*np.nonzero(off_diagonal == off_diagonal.max()))]
    return f"most frequent mistake{'s' if len(worst) > 1 else ''} ({off_diagonal.max()} times each): {', '.join(worst)}"


def plot_feature_maps(maps: np.ndarray, title: str = "Feature maps", ncols: int = 8,
                      cmap: str = "viridis") -> plt.Figure:
    """Show the channels of one image's activations, shape (H, W, channels): one panel per channel."""
    return _panels(np.moveaxis(maps, -1, 0), "map ", f"{title} (bright = strong response)", ncols, cmap=cmap)


def bar_compare(values: dict[str, float], ax: plt.Axes | None = None, title: str = "",
                ylabel: str = "", fmt: str | None = None, xlabel: str = "", chance: float | None = None) -> plt.Axes:
    """One labelled bar per entry of `values` (name -> number), e.g. one metric for a few models.

    Bars are labelled with `fmt` (default: thousands separators for big numbers, 3 digits otherwise);
    `chance` draws the chance level as a dashed line. Names are tilted when there are several.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(1.2 * len(values) + 2, 3.2))
    names, heights = list(values), [float(v) for v in values.values()]
    bars = ax.bar(names, heights, color=[f"C{i}" for i in range(len(names))])
    for bar, height in zip(bars, heights):
        text = fmt.format(height) if fmt else (f"{height:,.0f}" if abs(height) >= 1000 else f"{height:.3g}")
        ax.annotate(text, (bar.get_x() + bar.get_width() / 2, height), ha="center", va="bottom", fontsize=8)
    ax.set_ylim(0, max(heights) * 1.15 if max(heights) > 0 else 1)
    if chance is not None:
        ax.axhline(chance, ls="--", color="grey", label=f"chance ({chance:.2f})")
        ax.legend(loc="lower right")
    ax.tick_params(axis="x", labelrotation=15 if len(names) > 3 else 0)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.grid(axis="y", alpha=0.3)
    return ax


def plot_seed_curves(curves: dict[str, Sequence[Sequence[float]]], ax: plt.Axes | None = None,
                     title: str = "", ylabel: str = "validation accuracy", xlabel: str = "epoch",
                     x: Sequence[float] | None = None) -> plt.Axes:
    """Mean curve and a ±1 standard deviation band over seeds, one line per setting.

    `curves` maps a label to one curve per seed (all the same length), e.g. validation accuracy
    per epoch; `x` defaults to 1, 2, ... (epochs). A single seed is drawn without a band.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.6))
    for i, (label, runs) in enumerate(curves.items()):
        runs = np.atleast_2d(np.asarray(runs, dtype=float))    # one seed: a single curve
        xs = np.arange(1, runs.shape[1] + 1) if x is None else np.asarray(x)
        mean = runs.mean(axis=0)
        n = runs.shape[0]
        ax.plot(xs, mean, "-o", ms=3, color=f"C{i}", label=f"{label} (mean of {n} seed{'s' * (n != 1)})")
        if n > 1:
            std = runs.std(axis=0, ddof=1)
            ax.fill_between(xs, mean - std, mean + std, color=f"C{i}", alpha=0.2)
    ax.set_title(title + ("\nband: ±1 standard deviation over seeds" if title else ""), fontsize=10)
    ax.set(xlabel=xlabel, ylabel=ylabel)
    if x is None:
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend()
    return ax


def bar_seeds(scores: dict[str, Sequence[float]], ax: plt.Axes | None = None, title: str = "",
              ylabel: str = "accuracy", chance: float | None = None, xlabel: str = "") -> plt.Axes:
    """One bar per setting at the mean over seeds, an error bar of ±1 standard deviation, and
    each seed's score as a dot; `chance` draws the chance level as a dashed line."""
    if ax is None:
        _, ax = plt.subplots(figsize=(1.4 * len(scores) + 2.5, 3.4))
    for i, vals in enumerate(scores.values()):
        vals = np.asarray(vals, dtype=float)
        err = vals.std(ddof=1) if len(vals) > 1 else 0.0
        ax.bar(i, vals.mean(), yerr=err, capsize=5, color=f"C{i}", alpha=0.7)
        ax.plot(np.full(len(vals), i), vals, "k.", ms=6, label="one seed" if i == 0 else None)
        ax.annotate(f"{vals.mean():.3f}", (i, vals.mean()), xytext=(12, 2), textcoords="offset points",
                    fontsize=8)
    if chance is not None:
        ax.axhline(chance, ls="--", color="grey", label=f"chance ({chance:.2f})")
    ax.set_xticks(range(len(scores)), list(scores))
    ax.set_ylim(0, 1.05 if max(max(map(float, v)) for v in scores.values()) <= 1 else None)
    ax.set_title(title + ("\nmean, ±1 standard deviation, dots: single seeds" if title else ""), fontsize=10)
    ax.set(xlabel=xlabel, ylabel=ylabel)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
    return ax


def plot_first_layer(kernel: np.ndarray, title: str = "First-layer filters", ncols: int = 8) -> plt.Figure:
    """First-layer kernels (h, w, channels, filters): colour panels for RGB inputs (each filter
    stretched to 0..1), red/blue panels for one grey channel."""
    kernel = np.asarray(kernel, dtype=float)
    if kernel.shape[2] == 1:
        return plot_filters(kernel, title=title, ncols=ncols)
    panels = [(f - f.min()) / (np.ptp(f) + 1e-12) for f in np.moveaxis(kernel, -1, 0)]
    return _panels(panels, "", f"{title} (each stretched to full contrast)", ncols, interpolation="nearest")


def top_patches(images: np.ndarray, maps: np.ndarray, filters: Sequence[int], field: int, stride: int,
                k: int = 6, title: str = "Image patches that excite each filter most") -> plt.Figure:
    """For each filter, the `k` image patches where its activation is largest (one per image).

    `maps` are the layer's activations (n, H, W, C) for `images` (n, h, w, c); a map position (i, j)
    sees the image patch of `field` pixels starting at (stride*i, stride*j) minus the padding,
    so the patch is centred on (stride*i + stride//2, ...) and clipped at the borders.
    """
    images, maps = np.asarray(images), np.asarray(maps)
    fig, axes = plt.subplots(len(filters), k, figsize=(1.1 * k, 1.15 * len(filters) + 0.5), squeeze=False)
    half = field // 2
    for row, f in enumerate(filters):
        peak = maps[..., f].reshape(len(maps), -1).max(axis=1)
        for col, n in enumerate(np.argsort(peak)[::-1][:k]):
            i, j = np.unravel_index(np.argmax(maps[n, :, :, f]), maps.shape[1:3])
            ci, cj = stride * i + stride // 2, stride * j + stride // 2
            top, left = max(ci - half, 0), max(cj - half, 0)
            patch = images[n, top:top + field, left:left + field]
            ax = axes[row, col]
            ax.imshow(patch.squeeze(), cmap="gray" if patch.shape[-1] == 1 else None, vmin=0, vmax=255)
            ax.set(xticks=[], yticks=[])
            if col == 0:
                ax.set_ylabel(f"filter {f}", fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def show(*alt: str) -> None:
    """Show the figures this cell drew, each with its alt text: one sentence saying what it shows.

    Use it instead of `plt.show()`: `plots.show("Line chart of ...")`, one sentence per open figure, in
    the order they were made. The figure goes out as an HTML `<img>` with that `alt` attribute, which
    JupyterLab, Colab, the course site and the slides all render (a plain PNG output has no alt text,
    so a screen reader can only say "image"); the sentence is also the output's plain-text form.
    """
    import base64
    import html

    from IPython.core.pylabtools import print_figure
    from IPython.display import display

    numbers = plt.get_fignums()
    if len(alt) != len(numbers):
        plt.close("all")
        raise ValueError(f"plots.show: {len(numbers)} open figure(s) but {len(alt)} alt text(s): "
                         "give one sentence per figure, in the order they were made")
    for number, text in zip(numbers, alt):
        text = " ".join(str(text).split())
        if not text.endswith(".") or len(text) < 20:
            plt.close("all")
            raise ValueError(f"plots.show: alt text {text!r} should be a sentence saying what the figure shows")
        figure = plt.figure(number)
        png = base64.b64encode(print_figure(figure, "png", bbox_inches="tight")).decode("ascii")
        display({"text/html": f'<img src="data:image/png;base64,{png}" alt="{html.escape(text, quote=True)}"/>',
                 "text/plain": f"[figure: {text}]"}, raw=True)
        plt.close(figure)


def show_heatmaps(images: np.ndarray, heatmaps: np.ndarray, titles: Sequence[str], title: str,
                  ncols: int = 8) -> plt.Figure:
    """Images in a row with a heat map (values 0..1, any size: stretched to the image) drawn over each."""
    def draw(ax: plt.Axes, k: int) -> None:
        img = np.asarray(images[k]).astype("float32")
        img = img[..., 0] if img.shape[-1] == 1 else img / max(float(img.max()), 1.0)
        height, width = img.shape[:2]
        ax.imshow(img, cmap="gray" if img.ndim == 2 else None)
        ax.imshow(heatmaps[k], cmap="jet", alpha=0.45, extent=(-0.5, width - 0.5, height - 0.5, -0.5),
                  interpolation="bilinear", vmin=0, vmax=1)
        ax.set_title(titles[k], fontsize=8)
    return _grid(len(images), ncols, (1.6, 1.8, 0.5), title, draw)
