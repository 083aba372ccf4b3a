"""The checks at the doors beyond ``train`` and ``evaluate`` (the plots, ``beyond``, ``course``): a wrong type is a
TypeError, a wrong value a ValueError.

Each message names the argument, what was given and what is expected, so that a
student reads what to change instead of a traceback from deep inside PyTorch.
The core's own checks live beside the doors they guard (``data.as_split``,
``training.whole``, ``training.device_of``) and are re-exported here.
"""

from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from . import _files as files
from .data import CLASSES, IMAGE_SIZE, as_split, images, pixels
from .training import device_of, real, whole

# Sizes no MNIST model or figure needs; refused before anything is allocated.
MAX_LATENT_DIMS = IMAGE_SIZE  # a code longer than the image compresses nothing
MAX_HIDDEN = 8192
MAX_CLASSES = 1000
MAX_GRID = 64  # cells per side of a decoded grid: 64 x 64 = 4,096 digits
MAX_IMAGES = 4096  # images in one figure or GIF


def choice(name: str, value: object, options) -> str:
    """``value`` if it is one of ``options``, else a ValueError listing them."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {tuple(options)}, got {value!r} of type {type(value).__name__}.")
    if value not in options:
        raise ValueError(f"{name} must be one of {tuple(options)}, got {value!r}.")
    return value


def interval(name: str, value: object) -> tuple[float, float]:
    """A pair ``(low, high)`` of finite numbers with low < high, such as a plot's range."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise TypeError(f"{name} must be a pair (low, high) such as (-3, 3), got {value!r}.")
    low, high = real(f"{name}[0]", value[0]), real(f"{name}[1]", value[1])
    if not low < high:
        raise ValueError(f"{name} must be a pair (low, high) with low < high, such as (-3, 3); got {value!r}.")
    return low, high


def labels(y: object, n: int, classes: int, name: str = "y") -> Tensor:
    """``n`` whole-number labels in ``0..classes-1``, shape ``(n,)``."""
    if not isinstance(y, Tensor):
        raise TypeError(f"This model needs the digit of each image: give {name} as a tensor of {n} labels (e.g. "
                        f"mnist.train.labels[:{n}]), or the data as a Split with its labels; got {name}={y!r}.")
    if y.shape != (n,):
        counts = f": {len(y):,} labels for {n:,} images" if y.dim() == 1 else ""
        raise ValueError(f"{name} must hold one label per image, shape ({n},), got shape {tuple(y.shape)}{counts}.")
    if y.is_floating_point() or y.is_complex() or y.dtype == torch.bool:
        raise TypeError(f"{name} must hold whole-number labels (e.g. torch.long), got dtype {y.dtype}.")
    if y.min() < 0 or y.max() >= classes:
        raise ValueError(f"{name} must hold labels in 0..{classes - 1}, got values from {y.min()} to {y.max()}.")
    return y


def digits(y: object, n: int, name: str = "data.labels") -> Tensor:
    """A split's labels as int64 digits ``0..CLASSES-1``, shape ``(n,)``: a tensor, or a list (or array) of whole
    numbers, as a student may build them."""
    if isinstance(y, (list, tuple, np.ndarray)):
        try:
            y = torch.as_tensor(np.asarray(y))
        except (TypeError, ValueError, OverflowError, RuntimeError):
            raise TypeError(f"{name} must be whole numbers 0..{CLASSES - 1}, one per image; got a "
                            f"{type(y).__name__} that is not a list of numbers.") from None
    return labels(y, n, CLASSES, name).cpu().long()


def codes(z: object, latent_dims: int, name: str = "z") -> Tensor:
    """A non-empty batch of finite codes, shape ``(B, latent_dims)``; ``(B, 1, latent_dims)`` is reshaped to it."""
    if not isinstance(z, Tensor):
        raise TypeError(f"{name} must be a tensor of codes, shape (B, {latent_dims}), got {type(z).__name__}.")
    if z.dim() == 3 and z.shape[1] == 1:  # (B, 1, d): the lecture's torch.stack of single codes (1, d)
        z = z.reshape(len(z), -1)
    if z.dim() != 2 or z.shape[1] != latent_dims or len(z) == 0:
        raise ValueError(f"{name} must have shape (B, latent_dims) = (B, {latent_dims}), got {tuple(z.shape)}.")
    if not z.is_floating_point():
        raise TypeError(f"{name} must hold floating-point codes, got dtype {z.dtype}; use torch.tensor([[0.0, 0.0]]).")
    if not torch.isfinite(z).all():
        raise ValueError(f"{name} holds NaN or infinite codes.")
    return z.float()


def variational_device_of(value: object, what: str) -> torch.device:
    """Like ``device_of``, for a model whose encoder has a KL term (``linear3`` for log sigma)."""
    device = device_of(value, what)
    if not hasattr(value.encoder, "linear3"):
        raise TypeError(f"{what} needs a variational model like VariationalAutoencoder(2), got {type(value).__name__}.")
    return device


def file_path(name: str, path: object, suffix: str | None = None) -> Path:
    """A file path (ending in ``suffix``, if given) whose folder exists and that is not itself a folder."""
    if not isinstance(path, (str, Path)):
        raise TypeError(f"{name} must be a file name such as 'result{suffix or '.pt'}', got {type(path).__name__}.")
    path = Path(path)
    if suffix is not None and path.suffix.lower() != suffix:
        raise ValueError(f"{name} must end in {suffix}, got {str(path)!r}.")
    files.refuse_place(path, f"{name} {str(path)!r}", folder_error=ValueError)
    return path


def first_line(error: BaseException, limit: int = 200) -> str:
    """An error in a few words, to name it in a sentence: ``"TypeName: the first line of its message"``, at most
    ``limit`` characters."""
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0] if text else ''}"[:limit]


def latent_dims(value: nn.Module) -> int:
    """A model's ``latent_dims``; a model written like the lecture's keeps none: its decoder's input size then."""
    dims = getattr(value, "latent_dims", None)
    if dims is None:
        first = next((m for m in value.decoder.modules() if isinstance(m, nn.Linear)), None)
        if first is None:
            raise TypeError(f"Cannot tell the latent_dims of {type(value).__name__}: give it a latent_dims attribute.")
        dims = first.in_features
    return dims


__all__ = ["as_split", "choice", "codes", "device_of", "digits", "file_path", "first_line", "images", "interval",
           "labels", "latent_dims", "pixels", "real", "variational_device_of", "whole"]
