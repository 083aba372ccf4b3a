"""Figures of what a model learned: latent scatter, decoded grid, interpolations, losses, samples.

Every plot builds and returns a matplotlib Figure and never calls ``plt.show()``;
Jupyter shows a returned figure by itself. Files are written to explicit paths.
"""

from __future__ import annotations

import numbers
import os
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import torch
from matplotlib.figure import Figure
from torch import Tensor, nn
from torchvision.utils import make_grid

from .data import Split
from .models import IMAGE_SHAPE, as_images
from .training import EVAL_BATCH_SIZE, History, batches, is_conditional, model_device

TITLE_SIZE = 14  # large enough to read on a projector
LABEL_SIZE = 13
# One colour per digit; small solid dots without antialiasing keep a 5,000-point
# PNG near 60 kB instead of 200 kB, so the committed notebooks stay small.
SCATTER_STYLE = {"cmap": "tab10", "vmin": -0.5, "vmax": 9.5, "s": 6, "linewidths": 0, "antialiased": False}


def _check_count(name: str, n: object, minimum: int) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {n!r}.")
    return int(n)


def _check_range(name: str, r: object) -> tuple[float, float]:
    ok = isinstance(r, (tuple, list)) and len(r) == 2 and all(isinstance(v, numbers.Real) for v in r)
    if not ok or not r[0] < r[1]:
        raise ValueError(f"{name} must be a pair (low, high) with low < high, such as (-3, 3); got {r!r}.")
    return float(r[0]), float(r[1])


def _check_latent_2d(model: nn.Module, what: str) -> None:
    if getattr(model, "latent_dims", None) != 2:
        raise ValueError(
            f"{what} draws a 2-D latent space, but this model has latent_dims={getattr(model, 'latent_dims', None)}. "
            "Use plot_samples (any latent_dims), or train a model with latent_dims=2."
        )


def _conditions(model: nn.Module, labels: Tensor | None, n: int) -> list[tuple[Tensor, ...]]:
    """``(y,)`` for a conditional model (its labels checked), ``()`` for any other; to unpack into its calls."""
    if not is_conditional(model):
        if labels is not None:
            raise ValueError(f"labels are for a conditional model; this {type(model).__name__} does not take them.")
        return ()
    if not isinstance(labels, Tensor) or labels.shape != (n,):
        got = tuple(labels.shape) if isinstance(labels, Tensor) else labels
        raise ValueError(
            f"{type(model).__name__} needs labels: a tensor of {n} digits, one per image or code; got {got}."
        )
    return (labels.to(model_device(model)),)


@torch.no_grad()
def encode(model: nn.Module, images: Tensor, batch_size: int = EVAL_BATCH_SIZE, labels: Tensor | None = None) -> Tensor:
    """The deterministic code of each image (a VAE's mean mu), on the CPU.

    Args:
        model: an ``Autoencoder``, a ``VariationalAutoencoder`` or a conditional one.
        images: ``(N, 1, 28, 28)``.
        labels: the digits ``(N,)``, for a conditional model only.

    Returns:
        codes, shape ``(N, latent_dims)``.
    """
    images = as_images(images, "images")
    y = _conditions(model, labels, len(images))
    device = model_device(model)
    parts = zip(batches(images, batch_size), *(batches(c, batch_size) for c in y))
    return torch.cat([model.encode(x.to(device), *c).cpu() for x, *c in parts])


@torch.no_grad()
def decode(model: nn.Module, z: Tensor, labels: Tensor | None = None) -> Tensor:
    """Decode codes ``(N, latent_dims)`` (with digits ``labels`` ``(N,)`` for a conditional model) into images
    ``(N, 1, 28, 28)`` on the CPU."""
    return model.decoder(z.to(model_device(model)), *_conditions(model, labels, len(z))).cpu()


def plot_images(images: Tensor, nrow: int = 8, title: str | None = None, ax=None) -> Figure:
    """Show a batch of images ``(N, 1, 28, 28)`` as a grid with ``nrow`` images per row."""
    images = as_images(images, "images").reshape(-1, *IMAGE_SHAPE).detach().cpu()
    grid = make_grid(images, nrow=_check_count("nrow", nrow, 1), padding=2, pad_value=1.0)
    fig, ax = _figure(ax, (min(16, 1.0 * min(nrow, len(images))), 1.0 * -(-len(images) // nrow) + 0.5))
    ax.imshow(grid[0].numpy(), cmap="gray", vmin=0, vmax=1)
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=TITLE_SIZE)
    return fig


def _label(ax, xlabel: str, ylabel: str) -> None:
    ax.set_xlabel(xlabel, fontsize=LABEL_SIZE)
    ax.set_ylabel(ylabel, fontsize=LABEL_SIZE)
    ax.tick_params(labelsize=LABEL_SIZE - 1)


def _figure(ax, figsize):
    if ax is not None:
        return ax.figure, ax
    # A Figure made without pyplot: Jupyter shows the returned figure once, and
    # nothing is left open in pyplot's list of figures.
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def plot_latent(model: nn.Module, data: Split, max_points: int = 5000, ax=None) -> Figure:
    """Scatter the codes of ``data``'s images coloured by digit (for a VAE, the means mu).

    A 1-D latent space is drawn as code (x) against digit (y); for more than two
    dimensions the first two are drawn.

    Args:
        model: an ``Autoencoder`` or a ``VariationalAutoencoder`` (plain, conditional or convolutional).
        data: a ``Split`` (images and labels), e.g. ``mnist.test``.
        max_points: how many images to encode and draw, from the start of ``data``.
        ax: an existing Axes to draw into.
    """
    if not isinstance(data, Split):
        raise TypeError(
            f"data must be a vae_lab Split with images and labels (e.g. mnist.test), got {type(data).__name__}."
        )
    n = min(len(data), _check_count("max_points", max_points, 1))
    given = data.labels[:n] if is_conditional(model) else None
    z, labels = encode(model, data.images[:n], labels=given).numpy(), data.labels[:n].numpy()
    fig, ax = _figure(ax, (7, 6))
    if z.shape[1] == 1:  # spread each digit's row a little so the points do not hide each other
        y = labels + np.random.default_rng(0).uniform(-0.3, 0.3, size=n)
        points = ax.scatter(z[:, 0], y, c=labels, **SCATTER_STYLE)
        ax.set_yticks(range(10))
        _label(ax, "z", "digit")
    else:
        points = ax.scatter(z[:, 0], z[:, 1], c=labels, **SCATTER_STYLE)
        _label(ax, "$z_1$", "$z_2$")
    extra = f" (first 2 of {z.shape[1]} dims)" if z.shape[1] > 2 else ""
    ax.set_title(f"{type(model).__name__}: codes of {n:,} images{extra}", fontsize=TITLE_SIZE)
    fig.colorbar(points, ax=ax, ticks=range(10)).set_label("digit", fontsize=LABEL_SIZE)
    return fig


def plot_reconstructed(
    model: nn.Module, r0=(-3, 3), r1=(-3, 3), n: int = 12, ax=None, digit: int | None = None
) -> Figure:
    """Decode an ``n`` x ``n`` grid of codes over the rectangle r0 x r1 of a 2-D latent space.

    Each cell shows the digit decoded from the code at its centre; the axes are
    in latent coordinates, z_1 to the right and z_2 upwards, as in ``plot_latent``.
    A conditional model draws the given ``digit`` in every cell.
    """
    _check_latent_2d(model, "plot_reconstructed")
    (x0, x1), (y0, y1) = _check_range("r0", r0), _check_range("r1", r1)
    n = _check_count("n", n, 1)
    xs = x0 + (torch.arange(n) + 0.5) * (x1 - x0) / n
    ys = y1 - (torch.arange(n) + 0.5) * (y1 - y0) / n  # top row first: z_2 grows upwards
    z = torch.stack(torch.meshgrid(ys, xs, indexing="ij")[::-1], dim=-1).reshape(-1, 2)
    labels = _digit_labels(model, digit, n * n)
    grid = make_grid(decode(model, z, labels), nrow=n, padding=0)
    fig, ax = _figure(ax, (7, 7))
    ax.imshow(grid[0].numpy(), cmap="gray", extent=(x0, x1, y0, y1), vmin=0, vmax=1)
    _label(ax, "$z_1$", "$z_2$")
    of = "" if labels is None else f" as the digit {digit}"
    ax.set_title(f"Decoded {n}x{n} grid of the latent space{of}", fontsize=TITLE_SIZE)
    return fig


def _single_image(name: str, x: object) -> Tensor:
    x = as_images(x.unsqueeze(0) if isinstance(x, Tensor) and x.dim() in (2, 3) else x, name)
    if x.shape[0] != 1:
        raise ValueError(f"{name} must be one image, shape (1, 28, 28), got a batch of {x.shape[0]}.")
    return x


@torch.no_grad()
def interpolate_codes(model: nn.Module, x_1: Tensor, x_2: Tensor, n: int = 12) -> tuple[Tensor, Tensor]:
    """The straight path from x_1's code to x_2's, and the images decoded along it.

    Args:
        x_1, x_2: single images of the same shape, e.g. ``(1, 28, 28)``.
        n: points on the path, both ends included (at least 2).

    Returns:
        ``(z, images)``: codes ``(n, latent_dims)`` and images ``(n, 1, 28, 28)``, on the CPU.
    """
    if isinstance(x_1, Tensor) and isinstance(x_2, Tensor) and x_1.shape != x_2.shape:
        raise ValueError(f"x_1 and x_2 must have the same shape, got {tuple(x_1.shape)} and {tuple(x_2.shape)}.")
    x_1, x_2 = _single_image("x_1", x_1), _single_image("x_2", x_2)
    n = _check_count("n", n, 2)
    z_1, z_2 = encode(model, x_1), encode(model, x_2)
    t = torch.linspace(0, 1, n).unsqueeze(1)
    z = z_1 + t * (z_2 - z_1)
    return z, decode(model, z)


def interpolate(model: nn.Module, x_1: Tensor, x_2: Tensor, n: int = 12) -> Figure:
    """A strip of ``n`` images decoded along the straight path from x_1's code to x_2's."""
    _, images = interpolate_codes(model, x_1, x_2, n)
    return plot_images(images, nrow=n, title=f"From x_1 (left) to x_2 (right) in {n} steps")


def interpolate_gif(
    model: nn.Module, path: str | Path, x_1: Tensor, x_2: Tensor, n: int = 50, scale: int = 4, fps: int = 25
) -> Path:
    """Write an animated GIF of the path from x_1 to x_2 and back, looping forever.

    Args:
        path: where to write; must end in ``.gif`` and its folder must exist.
        x_1, x_2: single images of the same shape, e.g. ``(1, 28, 28)``.
        n: frames one way (the way back reuses them).
        scale: each pixel becomes a ``scale`` x ``scale`` block, for viewing.
        fps: frames per second.

    Returns:
        the path written.
    """
    path = _check_gif_path(path)
    scale, fps = _check_count("scale", scale, 1), _check_count("fps", fps, 1)
    _, images = interpolate_codes(model, x_1, x_2, n)
    frames = (images[:, 0] * 255).round().to(torch.uint8)
    frames = frames.repeat_interleave(scale, dim=1).repeat_interleave(scale, dim=2)
    frames = torch.cat([frames, frames.flip(0)[1:-1]])  # there and back, without doubled end frames
    iio.imwrite(path, frames.numpy(), extension=".gif", duration=1000 / fps, loop=0)  # loop=0: forever
    return path


def _check_gif_path(path: object) -> Path:
    if not isinstance(path, (str, Path)):
        raise TypeError(f"path must be a file name such as 'interpolation.gif', got {type(path).__name__}.")
    path = Path(path)
    if path.suffix.lower() != ".gif":
        raise ValueError(f"path must end in .gif, got {str(path)!r}.")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"Cannot write {path}: the folder {path.parent} does not exist. Create it first.")
    if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise PermissionError(f"Cannot write {path}: no permission to write there. Choose another folder.")
    return path


def plot_losses(history: History) -> Figure:
    """Reconstruction and KL per image against epoch, side by side (test values dashed, if any)."""
    if not isinstance(history, History) or len(history) == 0:
        raise ValueError("history must be the non-empty History that train() returned.")
    epochs = range(1, len(history) + 1)
    fig = Figure(figsize=(11, 4), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, key, title in zip(axes, ("recon", "kl"), ("Reconstruction (sum of squared errors)", "KL divergence")):
        ax.plot(epochs, getattr(history, key), "o-", label="train")
        if history.test:
            ax.plot(epochs[: len(history.test)], [t[key] for t in history.test], "s--", label="test")
        ax.set_title(title, fontsize=TITLE_SIZE)
        _label(ax, "epoch", "per image")
        ax.legend()
    return fig


def plot_reconstructions(
    model: nn.Module, images: Tensor, n: int = 10, labels: Tensor | None = None, ax=None
) -> Figure:
    """The first ``n`` images (top row) above their reconstructions (bottom row).

    ``labels``: the images' digits, for a conditional model; ``ax``: an existing Axes to draw into.
    """
    images = as_images(images, "images")[: _check_count("n", n, 1)].reshape(-1, *IMAGE_SHAPE)
    y = _conditions(model, None if labels is None else labels[: len(images)], len(images))
    with torch.no_grad():
        x_hat = model(images.to(model_device(model)), *y).cpu()
    title = f"{type(model).__name__}: originals (top) and reconstructions (bottom)"
    return plot_images(torch.cat([images.cpu(), x_hat]), nrow=len(images), title=title, ax=ax)


def plot_samples(model: nn.Module, n: int = 64, nrow: int = 8, digit: int | None = None) -> Figure:
    """``n`` images decoded from codes drawn from the prior N(0, I); a conditional model draws ``digit``."""
    z = torch.randn(_check_count("n", n, 1), model.latent_dims)
    labels = _digit_labels(model, digit, n)
    of = "" if labels is None else f" as the digit {digit}"
    title = f"Decoded from z ~ N(0, I){of}, latent_dims={model.latent_dims}"
    return plot_images(decode(model, z, labels), nrow=nrow, title=title)


def _digit_labels(model: nn.Module, digit: object, n: int) -> Tensor | None:
    """``n`` copies of ``digit`` for a conditional model (checked), None for any other (which must get no digit)."""
    if digit is None and not is_conditional(model):
        return None
    return torch.full((n,), _check_digit(model, digit))


def _check_digit(model: nn.Module, digit: object) -> int:
    if not is_conditional(model):
        raise ValueError(f"digit is for a conditional model; this {type(model).__name__} draws whatever z decodes to.")
    classes = model.classes
    if isinstance(digit, bool) or not isinstance(digit, numbers.Integral) or not 0 <= digit < classes:
        raise ValueError(f"{type(model).__name__} draws a chosen digit: give digit=0..{classes - 1}, got {digit!r}.")
    return int(digit)


def plot_digits_by_style(model: nn.Module, n_styles: int = 10) -> Figure:
    """A conditional model's digits (rows 0..9) in ``n_styles`` styles (columns): each column decodes one z ~ N(0, I).

    Reading down a column shows what z alone carries: the same slant, thickness and
    width, whatever the digit.
    """
    if not is_conditional(model):
        raise ValueError(f"plot_digits_by_style needs a conditional model, got a {type(model).__name__}.")
    n_styles = _check_count("n_styles", n_styles, 1)
    z = torch.randn(n_styles, model.latent_dims).repeat(model.classes, 1)
    digits = torch.arange(model.classes).repeat_interleave(n_styles)
    title = "Each row one digit, each column one style z ~ N(0, I)"
    return plot_images(decode(model, z, digits), nrow=n_styles, title=title)
