"""The argument checks every public function uses: a wrong type is a TypeError, a wrong value a ValueError.

Each message names the argument, what was given and what is expected, so that a
student reads what to change instead of a traceback from deep inside PyTorch.
"""

import math
import numbers
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, TensorDataset

from .course import files
from .data import CLASSES, IMAGE_SHAPE, IMAGE_SIZE, Split

# Sizes no MNIST model or figure needs; refused before anything is allocated.
MAX_LATENT_DIMS = IMAGE_SIZE  # a code longer than the image compresses nothing
MAX_HIDDEN = 8192
MAX_CLASSES = 1000
MAX_GRID = 64  # cells per side of a decoded grid: 64 x 64 = 4,096 digits
MAX_IMAGES = 4096  # images in one figure or GIF


def whole(name: str, value: object, low: int = 1, high: int | None = None) -> int:
    """``value`` as an int in ``low..high``: a TypeError if it is not a whole number, a ValueError if out of range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a whole number such as {low}, got {value!r} of type {type(value).__name__}.")
    if value < low or (high is not None and value > high):
        expected = f"from {low} to {high:,}" if high is not None else f">= {low}"
        raise ValueError(f"{name} must be a whole number {expected}, got {value}.")
    return int(value)


def real(name: str, value: object, low: float | None = None, positive: bool = False) -> float:
    """``value`` as a finite float (``>= low``, or ``> 0`` if ``positive``); TypeError or ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r} of type {type(value).__name__}.")
    value = float(value)
    if not math.isfinite(value) or (positive and value <= 0) or (low is not None and value < low):
        expected = " > 0" if positive else f" >= {low:g}" if low is not None else ""
        raise ValueError(f"{name} must be a finite number{expected}, got {value!r}.")
    return value


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


def images(x: object, name: str = "x") -> Tensor:
    """A batch of MNIST images, checked without reading its pixels; uint8 pixels (0..255) become floats in [0, 1].

    Accepts shapes ``(B, 1, 28, 28)``, ``(B, 28, 28)`` or ``(B, 784)`` and returns the same shape.
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of images, got {type(x).__name__}. Use torch.as_tensor(...).")
    if x.dim() < 2 or x.shape[1:].numel() != IMAGE_SIZE or len(x) == 0:
        raise ValueError(f"{name} must be a non-empty batch of 28x28 images, shape (B, 1, 28, 28), (B, 28, 28) or "
                         f"(B, 784); got shape {tuple(x.shape)}. For one image, add a batch dimension: x.unsqueeze(0).")
    if x.dtype == torch.uint8:
        return valued(x, name).float() / 255
    if not x.is_floating_point():
        raise TypeError(f"{name} must hold floats in [0, 1] or uint8 pixels in 0..255, got dtype {x.dtype}.")
    return valued(x, name).float()  # float64 from NumPy, say, would meet float32 weights


def valued(x: Tensor, name: str) -> Tensor:
    """``x``, unless it is on the 'meta' device, which holds shapes but no values."""
    if x.device.type == "meta":
        raise ValueError(f"{name} is on the 'meta' device, which holds shapes but no values; use real data.")
    return x


def pixels(data: object, name: str = "data") -> Tensor:
    """The images of a Split or tensor, every pixel checked: finite and in [0, 1]; shape ``(N, 1, 28, 28)``."""
    x = images(data.images if isinstance(data, Split) else data, name).reshape(-1, *IMAGE_SHAPE)
    if not torch.isfinite(x).all():
        raise ValueError(f"{name} holds NaN or infinite pixels; every pixel must be a number in [0, 1].")
    low, high = torch.aminmax(x)
    if low < 0 or high > 1:
        raise ValueError(f"{name} has pixel values from {low.item():g} to {high.item():g}; expected [0, 1]. Divide "
                         "0..255 pixels by 255; do not normalise by mean and std: the decoder outputs [0, 1].")
    return x


def labels(y: object, n: int, classes: int, name: str = "y") -> Tensor:
    """``n`` whole-number labels in ``0..classes-1``, shape ``(n,)``."""
    if not isinstance(y, Tensor):
        raise TypeError(f"This model needs the digit of each image: give {name} as a tensor of {n} labels (e.g. "
                        f"mnist.train.labels[:{n}]), or the data as a Split with its labels; got {name}={y!r}.")
    if valued(y, name).shape != (n,):
        raise ValueError(f"{name} must hold one label per image, shape ({n},), got shape {tuple(y.shape)}.")
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
    if not torch.isfinite(valued(z, name)).all():
        raise ValueError(f"{name} holds NaN or infinite codes.")
    return z.float()


def model(value: object, what: str) -> torch.device:
    """Check that ``value`` is a whole model (with an encoder and a decoder); return the device of its weights."""
    if not isinstance(value, nn.Module) or not hasattr(value, "encoder") or not hasattr(value, "decoder"):
        raise TypeError(f"{what} needs a whole model with an encoder and a decoder, such as VariationalAutoencoder(2); "
                        f"got {type(value).__name__}. Pass the model itself, not model.encoder or model.decoder.")
    parameter = next(value.parameters(), None)
    if parameter is None:
        raise ValueError(f"{what} needs a model with weights; this {type(value).__name__} has none.")
    if parameter.device.type == "meta":
        raise ValueError(f"{what}: the model is on the 'meta' device (no values); build it without device='meta'.")
    return parameter.device


def variational(value: object, what: str) -> torch.device:
    """Like ``model``, for a model whose encoder has a KL term (``linear3`` for log sigma)."""
    device = model(value, what)
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


def split(data: object, name: str = "data", max_batches: int | None = None) -> object:
    """The lecture's ``DataLoader`` of ``(x, y)`` batches as a ``Split`` (its first ``max_batches`` batches, if given);
    anything else is returned as it is, for the caller's own checks.

    A loader over a ``TensorDataset`` or torchvision's MNIST with ``ToTensor`` is read from its
    tensors at once, without running the transform on each image (a few seconds for 60,000).
    """
    if not isinstance(data, DataLoader):
        return data
    if max_batches is None and (tensors := dataset_tensors(data.dataset)) is not None:
        return Split(*tensors)
    xs, ys = [], []
    for i, batch in enumerate(data):
        if max_batches is not None and i >= max_batches:
            break
        if not isinstance(batch, (tuple, list)) or len(batch) != 2:
            raise TypeError(f"{name} must give batches (x, y) of images and labels, as the lecture's DataLoader over "
                            f"torchvision's MNIST does; got a batch of type {type(batch).__name__}.")
        xs.append(images(batch[0], f"a batch of {name}").reshape(-1, *IMAGE_SHAPE))
        ys.append(torch.as_tensor(batch[1]).long())
    if not xs:
        raise ValueError(f"{name} is a DataLoader with no batches: its dataset is empty.")
    return Split(torch.cat(xs), torch.cat(ys))


def dataset_tensors(dataset: object) -> tuple[Tensor, Tensor] | None:
    """``(images (N, 1, 28, 28) in [0, 1], labels (N,))`` of a TensorDataset of two tensors or of torchvision's
    MNIST with ``ToTensor`` (the same floats as ToTensor gives), else None."""
    if isinstance(dataset, TensorDataset) and len(dataset.tensors) == 2:
        x, y = dataset.tensors
    elif (type(dataset).__name__ == "MNIST" and type(getattr(dataset, "transform", None)).__name__ == "ToTensor"
          and getattr(dataset, "target_transform", 0) is None and isinstance(getattr(dataset, "data", None), Tensor)):
        x, y = dataset.data, dataset.targets
    else:
        return None
    return images(x, "the DataLoader's images").reshape(-1, *IMAGE_SHAPE), torch.as_tensor(y).long()
