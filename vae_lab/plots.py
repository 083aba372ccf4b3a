"""Figures of what a model learned: latent scatter, decoded grid, interpolations, losses, samples.

Every plot builds and returns a matplotlib Figure (or draws into ``ax=``) and never
calls ``plt.show()``: Jupyter shows a returned figure by itself. Sizes and labels are
chosen to be read on a projector. Files are written to explicit paths.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.data import DataLoader

from . import _checks as arguments
from ._files import write_atomic
from .data import IMAGE_SHAPE, IMAGE_SIZE, Split
from .models import VariationalEncoder
from .training import EVAL_BATCH_SIZE, History, evaluation_mode, labelled_batches

if TYPE_CHECKING:
    from matplotlib.figure import Figure
# matplotlib and imageio are imported where they are used: together they take half a second
# to import, and `import vae_lab` should not wait for them.

GRID_PADDING = 2  # white pixels between the images of a grid
TITLE_SIZE = 14  # one size for every title, large enough for a projector
LABEL_SIZE = 13
# One colour per digit; small solid dots without antialiasing keep a 5,000-point PNG
# near 60 kB instead of 200 kB, so the committed notebooks stay small.
SCATTER_STYLE = {"cmap": "tab10", "vmin": -0.5, "vmax": 9.5, "s": 6, "linewidths": 0, "antialiased": False}
GIF_BYTES = 200 * 10**6  # the most an interpolation GIF's frames may take in memory
OUTLINE = {"linewidth": 3, "foreground": "white"}  # around digit names, to keep them legible over the dots
LABEL_GAP = 0.075  # digit names on a scatter stay this far apart, as a share of the axes' width and height
# Digit pairs that MNIST writers make alike; the notebooks check that their groups sit closer than a typical pair
LOOK_ALIKES = ((3, 5), (3, 8), (5, 8), (4, 9))


def encode(model: nn.Module, data: Split | Tensor | DataLoader, batch_size: int = EVAL_BATCH_SIZE) -> Tensor:
    """The deterministic code of each image (a VAE's mean mu), shape ``(N, latent_dims)``, on the CPU.

    ``data``: a ``Split`` (a conditional model is given its labels), images ``(N, 1, 28, 28)``
    or the lecture's ``DataLoader``. A model written like the lecture's, without ``encode``,
    is run through ``model.encoder``: its ``mu`` where the encoder keeps one, else (with a
    warning, for a variational encoder) its random sample z.
    """
    device, batch_size = arguments.device_of(model, "encode"), arguments.whole("batch_size", batch_size)
    data = arguments.as_split(data)
    x = arguments.images(data.images if isinstance(data, Split) else data, "data")
    with evaluation_mode(model):
        return batchwise(encoder_of(model), x, data.labels if isinstance(data, Split) else None, device, batch_size)


def decode(model: nn.Module, z: Tensor, y: Tensor | None = None) -> Tensor:
    """Codes ``(N, latent_dims)`` (digits ``(N,)`` too, for a conditional model) -> images ``(N, 1, 28, 28)``.

    A model written like the lecture's, without ``decode``, is run through ``model.decoder``.
    """
    device = arguments.device_of(model, "decode")
    decoder = model.decode if hasattr(model, "decode") else lambda z, y=None: model.decoder(z)
    with evaluation_mode(model):
        return batchwise(decoder, arguments.codes(z, arguments.latent_dims(model)), y, device, EVAL_BATCH_SIZE)


def encoder_of(model: nn.Module):
    """``model.encode``; for a model written like the lecture's (no ``encode``), a function ``(x, y) -> code`` through
    ``model.encoder``, giving the encoder's ``mu`` where it keeps one after each call, else what it returns."""
    if hasattr(model, "encode"):
        return model.encode
    if not isinstance(model.encoder, VariationalEncoder) and (
            hasattr(model.encoder, "linear3") or torch.is_tensor(getattr(model.encoder, "kl", None))):
        if not torch.is_tensor(getattr(model.encoder, "mu", None)):
            warnings.warn(f"{type(model).__name__}'s encoder keeps no mu (it is written like the lecture's), so "
                          "these codes are its random samples z, a little different at each call. For the mean "
                          "code, add `self.mu = mu` to its forward.", stacklevel=3)

    def encode_lecture(x: Tensor, y: Tensor | None = None) -> Tensor:
        z = model.encoder(x)
        mu = getattr(model.encoder, "mu", None)
        return mu if torch.is_tensor(mu) and mu.shape == z.shape else z
    return encode_lecture


@torch.no_grad()
def batchwise(method, inputs: Tensor, labels: Tensor | None, device: torch.device, batch_size: int) -> Tensor:
    """``method(x, y)`` (a model, or its ``encode`` or ``decode``; ``method(x)`` where y is None, as a model written
    like the lecture's takes) batch by batch on ``device``, without gradients.

    Returns the results joined on the CPU.
    """
    return torch.cat([(method(x.to(device)) if y is None else method(x.to(device), y.to(device))).cpu()
                      for x, y in labelled_batches(inputs, labels, batch_size)])


def grid(images: Tensor, nrow: int, padding: int = GRID_PADDING) -> Tensor:
    """Images ``(N, 1, 28, 28)`` tiled ``nrow`` to a row, ``padding`` white pixels between them; shape ``(H, W)``."""
    n, (h, w) = len(images), IMAGE_SHAPE[1:]
    rows = -(-n // nrow)
    tiles = torch.ones(rows * nrow, h + padding, w + padding)
    tiles[:n, padding:, padding:] = images.reshape(n, h, w)
    canvas = tiles.reshape(rows, nrow, h + padding, w + padding).permute(0, 2, 1, 3).reshape(rows * (h + padding), -1)
    return F.pad(canvas, (0, padding, 0, padding), value=1.0)


def figure(ax, figsize, title: str | None = None, xlabel: str | None = None, ylabel: str | None = None):
    """``ax``'s figure and ``ax``, or a new Figure made without pyplot (Jupyter shows it once; pyplot keeps no copy).

    The title and the axis labels, where given, are set at the projector sizes.
    """
    from matplotlib.figure import Figure

    ax = Figure(figsize=figsize, layout="constrained").add_subplot() if ax is None else ax
    if title:
        ax.set_title(title, fontsize=TITLE_SIZE)
    if xlabel:
        ax.set_xlabel(xlabel, fontsize=LABEL_SIZE)
        ax.set_ylabel(ylabel, fontsize=LABEL_SIZE)
        ax.tick_params(labelsize=LABEL_SIZE - 1)
    return ax.figure, ax


def plot_images(images: Tensor, nrow: int = 8, title: str | None = None, ax=None, row_labels=None,
                column_labels=None) -> Figure:
    """A batch of images ``(N, 1, 28, 28)`` as a grid with ``nrow`` images per row.

    ``row_labels`` (one per row) are written left of the rows, ``column_labels`` (one per
    column) under the columns, so that a grid on a projector says what each row and column is.
    """
    images, nrow = arguments.images(images, "images").detach().cpu(), arguments.whole("nrow", nrow)
    if len(images) > arguments.MAX_IMAGES:
        raise ValueError(f"images holds {len(images):,} images; a figure shows at most {arguments.MAX_IMAGES:,}.")
    rows, columns = -(-len(images) // nrow), min(nrow, len(images))
    row_labels = None if row_labels is None else [str(label) for label in row_labels]
    column_labels = None if column_labels is None else [str(label) for label in column_labels]
    for name, labels, count in (("row_labels", row_labels, rows), ("column_labels", column_labels, columns)):
        if labels is not None and len(labels) != count:
            raise ValueError(f"{name} needs {count} labels for this grid, got {len(labels)}.")
    width = 1.0 * columns + (1.2 if row_labels is not None else 0)
    fig, ax = figure(ax, (min(16, width), 1.0 * rows + 0.5 + (0.3 if column_labels is not None else 0)), title)
    ax.imshow(grid(images, nrow).numpy(), cmap="gray", vmin=0, vmax=1)
    if row_labels is None and column_labels is None:
        ax.axis("off")
        return fig
    tile = IMAGE_SHAPE[1] + GRID_PADDING  # grid()'s tile: an image and the padding before it
    centres = [GRID_PADDING + tile * i + IMAGE_SHAPE[1] / 2 - 0.5 for i in range(max(rows, columns))]
    ax.set_yticks(centres[:rows] if row_labels is not None else [], labels=row_labels or [], fontsize=LABEL_SIZE - 1)
    ax.set_xticks(centres[:columns] if column_labels is not None else [], labels=column_labels or [],
                  fontsize=LABEL_SIZE - 1)
    ax.tick_params(length=0)
    ax.spines[:].set_visible(False)
    return fig


def plot_latent(model: nn.Module, data: Split | DataLoader, num_batches: int = 100, max_points: int = 5000,
                ax=None, limits: float | tuple[float, float] | None = None) -> Figure:
    """Scatter the codes of ``data``'s images (a VAE's means mu), coloured by digit, each digit named at its centre.

    A 1-D latent space is drawn as code (x) against digit (y); of more than two
    dimensions the first two are drawn.

    Args:
        model: a model of the library, e.g. a ``VariationalAutoencoder``, or one written like the lecture's
            (see ``encode``).
        data: a ``Split`` (images and labels), e.g. ``mnist.test``, or the lecture's ``DataLoader``.
        num_batches: of a ``DataLoader``, how many batches to draw (at most ``max_points`` images), as the lecture.
        max_points: how many images to encode and draw, from the start of ``data``.
        ax: an existing Axes to draw into.
        limits: the range ``(low, high)`` of both axes (of ``z`` alone in 1-D), or ``r`` for ``(-r, r)``: to
            draw several scatters alike, or to zoom in on a small cloud. By default, the codes' own range.
            The digits' names are kept apart on the axes as drawn, so give the range here, not afterwards.
    """
    max_points = arguments.whole("max_points", max_points)
    if isinstance(data, DataLoader):
        data = arguments.as_split(data, max_batches=arguments.whole("num_batches", num_batches))
    if not isinstance(data, Split):
        raise TypeError(f"data must be a vae_lab Split with labels, such as mnist.test, or a DataLoader of (x, y) "
                        f"batches; got {type(data).__name__}.")
    if len(data.labels) != len(data.images):
        raise ValueError(f"data holds {len(data.images):,} images but {len(data.labels):,} labels; plot_latent colours "
                         "each image by its label: give one label per image.")
    labels = arguments.digits(data.labels, len(data.images))  # a list of digits is welcome too
    n, dims = min(len(data), max_points), arguments.latent_dims(model)
    z, digits = encode(model, Split(data.images[:n], labels[:n])).numpy(), labels[:n].numpy()
    extra = f" (first 2 of {z.shape[1]} dims)" if dims > 2 else ""
    fig, ax = figure(ax, (7, 6), f"{type(model).__name__}: codes of {n:,} images{extra}",
                     "z" if dims == 1 else "$z_1$", "digit" if dims == 1 else "$z_2$")
    if z.shape[1] == 1:  # spread each digit's row a little so that the points do not hide each other
        z = np.concatenate([z, digits[:, None] + np.random.default_rng(0).uniform(-0.3, 0.3, size=(n, 1))], axis=1)
        ax.set_yticks(range(10))
    points = ax.scatter(z[:, 0], z[:, 1], c=digits, **SCATTER_STYLE)
    from matplotlib.patheffects import withStroke

    if limits is not None:  # before the names are placed: they are kept apart on the axes as drawn
        low, high = axis_range(limits)
        ax.set_xlim(low, high)
        if dims > 1:
            ax.set_ylim(low, high)
    names = np.unique(digits)
    centres = np.array([np.median(z[digits == digit, :2], axis=0) for digit in names])  # each digit's median code
    view = np.array([np.ptp(ax.get_xlim()), np.ptp(ax.get_ylim())])  # the axes as drawn, autoscaled or given
    ax.autoscale(False)  # the lines to moved names must not widen the axes the names were kept apart on
    places = centres if dims == 1 else apart(centres, view)  # 1-D: each name on its own row
    for digit, centre, place in zip(names, centres, places):
        if np.hypot(*((place - centre) / view)) > LABEL_GAP / 4:  # moved off its centre: a line back to it
            ax.plot(*np.stack([centre, place]).T, color="black", linewidth=1)
        ax.text(*place, str(digit), fontsize=16, weight="bold", ha="center", va="center",
                path_effects=[withStroke(**OUTLINE)])
    fig.colorbar(points, ax=ax, ticks=range(10)).set_label("digit", fontsize=LABEL_SIZE)
    return fig


def axis_range(limits: object) -> tuple[float, float]:
    """``limits`` as ``(low, high)``: a pair, or a positive number ``r`` for ``(-r, r)``."""
    if isinstance(limits, (tuple, list)) and len(limits) == 2:
        low, high = arguments.real("limits[0]", limits[0]), arguments.real("limits[1]", limits[1])
    else:
        high = arguments.real("limits", limits)
        low = -high
    if not low < high:
        raise ValueError(f"limits must be a range (low, high) with low < high, or a positive number r for (-r, r); "
                         f"got {limits!r}.")
    return low, high


def apart(centres: np.ndarray, span: np.ndarray, gap: float | None = None, steps: int = 200) -> np.ndarray:
    """Places for labels ``(K, 2)`` near ``centres``, pushed apart until no two are closer than ``gap`` of ``span``
    (the axes' width and height), so that no digit's name hides another's."""
    gap = LABEL_GAP if gap is None else gap
    places = centres / span  # in units of the data's extent, where the gap is the same on both axes
    for _ in range(steps):
        moved = False
        for i in range(len(places)):
            for j in range(i + 1, len(places)):
                offset = places[j] - places[i]
                distance = np.hypot(*offset)
                if distance < gap:  # push both halfway out; coincident ones along a direction of their own
                    angle = 2 * np.pi * (i + j * 0.618) / max(len(places), 1)
                    direction = offset / distance if distance > 1e-9 else np.array([np.cos(angle), np.sin(angle)])
                    places[i] -= direction * (gap - distance) / 2
                    places[j] += direction * (gap - distance) / 2
                    moved = True
        if not moved:
            break
    return places * span


def look_alike_distances(z: Tensor, labels: Tensor, pairs=LOOK_ALIKES) -> dict[tuple[int, int], float]:
    """How close look-alike digits sit in the latent space: for each pair ``(a, b)``, the distance between the
    centres (mean codes) of digits a and b, as a share of the typical distance, the median over all pairs of
    digits present. Below 1: closer than a typical pair.

    Args:
        z: codes ``(N, latent_dims)``, e.g. ``encode(vae, mnist.test)``.
        labels: the digit of each code, ``(N,)``.
        pairs: the pairs of digits to measure.
    """
    z, labels = z.detach().cpu().float(), torch.as_tensor(labels).cpu()
    digits = labels.unique().tolist()
    centres = torch.stack([z[labels == digit].mean(0) for digit in digits])
    distance = torch.cdist(centres, centres)
    typical = distance[torch.triu_indices(len(digits), len(digits), 1).unbind()].median()
    index = {digit: i for i, digit in enumerate(digits)}
    return {(a, b): (distance[index[a], index[b]] / typical).item() for a, b in pairs}


def digits_for(model: nn.Module, digit: object, n: int) -> Tensor | None:
    """``n`` copies of ``digit`` for a conditional model, None for any other (which must not be given one)."""
    classes = getattr(model, "classes", None)
    if classes is None and digit is not None:
        raise ValueError(f"digit is for a conditional model; {type(model).__name__} draws whatever z decodes to.")
    if classes is not None and digit is None:
        raise ValueError(f"{type(model).__name__} draws a chosen digit: give digit=0..{classes - 1}.")
    return None if classes is None else torch.full((n,), arguments.whole("digit", digit, low=0, high=classes - 1))


def plot_reconstructed(model: nn.Module, r0=(-3, 3), r1=(-3, 3), n: int = 12, ax=None, digit: int | None = None):
    """Decode an ``n`` x ``n`` grid of codes over the rectangle r0 x r1 of a 2-D latent space.

    Each cell shows the digit decoded from the code at its centre; the axes are in
    latent units, z_1 to the right and z_2 upwards, as in ``plot_latent``. A
    conditional model draws the given ``digit`` in every cell. The lecture's call
    ``plot_reconstructed(autoencoder, r0=(-3, 3), r1=(-3, 3), n=12)`` works as it is, on a
    model written like the lecture's too.
    """
    arguments.device_of(model, "plot_reconstructed")
    if (dims := arguments.latent_dims(model)) != 2:
        raise ValueError(f"plot_reconstructed draws a 2-D latent space, but this model has latent_dims={dims}. "
                         "Use plot_samples, or a model with latent_dims=2.")
    (x0, x1), (y0, y1) = arguments.interval("r0", r0), arguments.interval("r1", r1)
    n = arguments.whole("n", n, high=arguments.MAX_GRID)
    xs = x0 + (torch.arange(n) + 0.5) * (x1 - x0) / n
    ys = y1 - (torch.arange(n) + 0.5) * (y1 - y0) / n  # top row first: z_2 grows upwards
    z = torch.stack(torch.meshgrid(ys, xs, indexing="ij")[::-1], dim=-1).reshape(-1, 2)
    images = decode(model, z, digits_for(model, digit, n * n))
    of = "" if digit is None else f" as the digit {digit}"
    fig, ax = figure(ax, (7, 7), f"Decoded {n}x{n} grid of the latent space{of}", "$z_1$", "$z_2$")
    ax.imshow(grid(images, n, padding=0).numpy(), cmap="gray", extent=(x0, x1, y0, y1), vmin=0, vmax=1)
    return fig


def single_image(name: str, x: object) -> Tensor:
    """One image, ``(1, 28, 28)``, ``(28, 28)`` or ``(784,)``, as a batch of one ``(1, 1, 28, 28)``."""
    if isinstance(x, Tensor) and x.dim() in (1, 2, 3) and x.numel() == IMAGE_SIZE:
        x = x.reshape(1, *IMAGE_SHAPE)
    x = arguments.images(x, name)
    if len(x) != 1:
        raise ValueError(f"{name} must be one image, shape (1, 28, 28), got a batch of {len(x)}.")
    return arguments.pixels(x, name)  # NaN, inf or pixels beyond [0, 1] named as x_1 or x_2, not as codes


def interpolate_codes(model: nn.Module, x_1: Tensor, x_2: Tensor, n: int = 12) -> tuple[Tensor, Tensor]:
    """The straight path from x_1's code to x_2's, and the images decoded along it.

    Args:
        model: a model of the library, or one written like the lecture's (see ``encode``).
        x_1, x_2: single images, e.g. ``mnist.test.images[0]`` or the lecture's ``x[y == 1][1]``, of shape
            ``(1, 28, 28)``, ``(28, 28)`` or ``(1, 1, 28, 28)``, on any device.
        n: points on the path, both ends included (at least 2).

    Returns:
        ``(z, images)``: codes ``(n, latent_dims)`` and images ``(n, 1, 28, 28)``, on the CPU.
    """
    x = torch.cat([single_image("x_1", x_1).cpu(), single_image("x_2", x_2).cpu()])
    n = arguments.whole("n", n, low=2, high=arguments.MAX_IMAGES)
    z_1, z_2 = encode(model, x)
    for name, code in (("x_1", z_1), ("x_2", z_2)):
        if not torch.isfinite(code).all():
            raise ValueError(f"The model encodes {name} to a NaN or infinite code, so there is no path to draw: its "
                             "weights are NaN, infinite or too large. Train it again with a lower lr.")
    z = z_1 + torch.linspace(0, 1, n).unsqueeze(1) * (z_2 - z_1)  # (n, latent_dims)
    return z, decode(model, z)


def interpolate(model: nn.Module, x_1: Tensor, x_2: Tensor, n: int = 12, ax=None) -> Figure:
    """A strip of ``n`` images decoded along the straight path from x_1's code to x_2's."""
    _, images = interpolate_codes(model, x_1, x_2, n)  # the lecture's arguments: see interpolate_codes
    ends = ["$x_1$", *[""] * (len(images) - 2), "$x_2$"]  # the strip's two ends, named under them
    return plot_images(images, nrow=n, title=f"From x_1 to x_2 in {n} steps", ax=ax,
                       column_labels=ends)


def interpolate_gif(model: nn.Module, path, x_1: Tensor, x_2: Tensor, n: int = 50, scale: int = 10, fps: int = 25):
    """Write an animated GIF of the path from x_1 to x_2 and back, looping forever; return its path.

    Args:
        path: where to write, ``"vae.gif"``, or a bare name such as ``"vae"`` (as the lecture writes it), to
            which ``.gif`` is added; another suffix is refused. Its folder must exist.
        x_1, x_2: single images, e.g. ``(1, 28, 28)`` (see ``interpolate_codes``).
        n: frames one way (the way back reuses them).
        scale: each pixel becomes a ``scale`` x ``scale`` block: 10 makes 280 x 280 frames.
        fps: frames per second.
    """
    import imageio.v3 as iio

    if isinstance(path, (str, Path)) and str(path) and not Path(path).suffix and not Path(path).is_dir():
        path = Path(f"{path}.gif")  # a bare name, as the lecture's f"{filename}.gif"
    path = arguments.file_path("path", path, ".gif")
    scale, fps = arguments.whole("scale", scale, high=32), arguments.whole("fps", fps, high=100)
    if 2 * arguments.whole("n", n, low=2) * (IMAGE_SHAPE[1] * scale) ** 2 > GIF_BYTES:
        raise ValueError(f"n={n} frames of {IMAGE_SHAPE[1] * scale} px squared (scale={scale}) would take over "
                         f"{GIF_BYTES // 10**6} MB; lower n or scale.")
    _, images = interpolate_codes(model, x_1, x_2, n)
    frames = (images[:, 0] * 255).round().to(torch.uint8)
    frames = frames.repeat_interleave(scale, dim=1).repeat_interleave(scale, dim=2)
    frames = torch.cat([frames, frames.flip(0)[1:-1]])  # there and back, without doubled end frames
    try:
        gif = iio.imwrite("<bytes>", frames.numpy(), extension=".gif", duration=1000 / fps, loop=0)  # loop=0: forever
        write_atomic(path, gif)  # a full disk or an interrupted write keeps the GIF that was there
    except PermissionError:
        raise PermissionError(f"Cannot write {path}: no permission to write there. Choose another folder.") from None
    return path


def plot_losses(history: History, ax=None) -> Figure:
    """Reconstruction and KL per image against epoch (test values dashed, if any); no KL line if it is all zero."""
    if not isinstance(history, History) or len(history) == 0:
        given = "an empty History" if isinstance(history, History) else f"a {type(history).__name__}"
        raise ValueError(f"history must be the non-empty History that train() returned, got {given}.")
    epochs = range(1, len(history) + 1)
    fig, ax = figure(ax, (8, 4.5), "Training losses", "epoch", "loss per image (log scale)")
    for key, name in (("recon", "reconstruction (sum of squared errors)"), ("kl", "KL divergence")):
        if key == "kl" and not any(history.kl):
            continue  # an autoencoder has no KL term
        line, = ax.plot(epochs, getattr(history, key), "o-", label=f"{name}, train")
        if history.test:
            ax.plot(epochs[: len(history.test)], [t[key] for t in history.test], "s--", color=line.get_color(),
                    label=f"{name}, test")
    ax.set_yscale("log")  # the two terms differ tenfold: a log scale shows both
    ax.legend(fontsize=LABEL_SIZE - 2)
    return fig


def plot_reconstructions(model: nn.Module, data: Split | Tensor, n: int = 10, ax=None) -> Figure:
    """The first ``n`` images of ``data`` (top row) above their reconstructions (bottom row)."""
    n = arguments.whole("n", n, high=arguments.MAX_IMAGES // 2)
    x = arguments.images(data.images if isinstance(data, Split) else data, "data")[:n].reshape(-1, *IMAGE_SHAPE)
    y = None
    if getattr(model, "classes", None):  # a conditional model is told each image's digit: one label per image
        if not isinstance(data, Split) or data.labels is None:
            raise TypeError(f"{type(model).__name__} needs the digit of each image: give data as a Split with its "
                            "labels, such as mnist.test.")
        y = arguments.digits(data.labels, len(data.images))[: len(x)]
    device = arguments.device_of(model, "plot_reconstructions")
    with evaluation_mode(model):
        x_hat = batchwise(model, x, y, device, EVAL_BATCH_SIZE)
    title = f"{type(model).__name__}: test images and their reconstructions"
    return plot_images(torch.cat([x.cpu(), x_hat]), nrow=len(x), title=title, ax=ax,
                       row_labels=["original", "reconstructed"])


def plot_samples(model: nn.Module, n: int = 64, nrow: int = 8, digit: int | None = None, ax=None) -> Figure:
    """``n`` images decoded from codes drawn from the prior N(0, I); a conditional model draws ``digit``."""
    arguments.device_of(model, "plot_samples")
    n = arguments.whole("n", n, high=arguments.MAX_IMAGES)
    y = digits_for(model, digit, n)
    dims = arguments.latent_dims(model)
    z = torch.randn(n, dims)
    of = "" if digit is None else f" as the digit {digit}"
    title = f"Decoded from z ~ N(0, I){of}, latent_dims={dims}"
    return plot_images(decode(model, z, y), nrow=nrow, title=title, ax=ax)


def plot_digits_by_style(model: nn.Module, n_styles: int = 10, ax=None) -> Figure:
    """A conditional model's digits (one row each) in ``n_styles`` styles (columns), each column one z ~ N(0, I).

    Reading down a column shows what z alone carries: the same slant, thickness and
    width, whatever the digit.
    """
    classes = getattr(model, "classes", None)
    if classes is None:
        raise ValueError(f"plot_digits_by_style needs a conditional model, got {type(model).__name__}.")
    n_styles = arguments.whole("n_styles", n_styles, high=arguments.MAX_GRID)
    z = torch.randn(n_styles, model.latent_dims).repeat(classes, 1)
    digits = torch.arange(classes).repeat_interleave(n_styles)
    return plot_images(decode(model, z, digits), nrow=n_styles, title="Each row one digit, each column one style",
                       ax=ax, row_labels=[f"digit {d}" for d in range(classes)],
                       column_labels=[f"z{i + 1}" for i in range(n_styles)])
