"""Data as tensors: a ``Split`` of images and labels, batched by slicing, and the door for data.

``as_split`` takes what a student has (a ``Split``, a tensor of images or the lecture's
``DataLoader``) and checks it once, before any model sees it. Loading MNIST is in ``mnist.py``.
"""

from dataclasses import dataclass

import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset, TensorDataset

IMAGE_SHAPE = (1, 28, 28)  # MNIST: one grey channel, 28 x 28 pixels
IMAGE_SIZE = 28 * 28  # 784 pixels once flattened
CLASSES = 10  # the digits 0..9
FULL_SIZE = 60_000  # images in MNIST's training split


@dataclass(frozen=True)
class Split:
    """One split of the data.

    Attributes:
        images: float32 pixels in [0, 1], shape ``(N, 1, 28, 28)``.
        labels: the digits, int64, shape ``(N,)``; None for images without labels.
    """

    images: Tensor
    labels: Tensor | None = None

    def __len__(self) -> int:
        return len(self.images)


def batches(tensor: Tensor, batch_size: int):
    """Consecutive slices of ``batch_size`` rows of ``tensor`` (the last may be smaller), as views."""
    return (tensor[start : start + batch_size] for start in range(0, len(tensor), batch_size))


def images(x: object, name: str = "x") -> Tensor:
    """A batch of MNIST images, checked without reading its pixels; uint8 pixels (0..255) become floats in [0, 1].

    Accepts shapes ``(B, 1, 28, 28)``, ``(B, 28, 28)`` or ``(B, 784)`` and returns the same shape, float32.
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of images, got {type(x).__name__}. Use torch.as_tensor(...).")
    if x.dim() < 2 or x.shape[1:].numel() != IMAGE_SIZE or len(x) == 0:
        raise ValueError(f"{name} must be a non-empty batch of 28x28 images, shape (B, 1, 28, 28), (B, 28, 28) or "
                         f"(B, 784); got shape {tuple(x.shape)}. For one image, add a batch dimension: x.unsqueeze(0).")
    if x.device.type == "meta":
        raise ValueError(f"{name} is on the 'meta' device, which holds shapes but no values; use real data.")
    if x.dtype == torch.uint8:
        return x.float() / 255
    if not x.is_floating_point():
        raise TypeError(f"{name} must hold floats in [0, 1] or uint8 pixels in 0..255, got dtype {x.dtype}.")
    return x.float()  # float64 from NumPy, say, would meet float32 weights


def pixels(x: object, name: str = "data") -> Tensor:
    """``images(x)`` as ``(N, 1, 28, 28)``, every pixel checked: finite and in [0, 1]."""
    x = images(x, name).reshape(-1, *IMAGE_SHAPE)
    if not torch.isfinite(x).all():
        raise ValueError(f"{name} holds NaN or infinite pixels; every pixel must be a number in [0, 1].")
    low, high = torch.aminmax(x)
    if low < 0 or high > 1:
        raise ValueError(f"{name} has pixel values from {low.item():g} to {high.item():g}; expected [0, 1]. Divide "
                         "0..255 pixels by 255; do not normalise by mean and std: the decoder outputs [0, 1].")
    return x


def as_split(data: object, name: str = "data", max_batches: int | None = None) -> Split:
    """What a student passes as data, as a ``Split`` whose pixels are checked (``pixels``).

    A ``Split``; a tensor of images ``(N, 1, 28, 28)`` (labels None); or the lecture's ``DataLoader`` of
    ``(x, y)`` batches (its first ``max_batches``, if given). A loader over a ``TensorDataset`` or
    torchvision's MNIST with ``ToTensor`` is read from its tensors at once, without running the
    transform on each image (a few seconds for 60,000).
    """
    if isinstance(data, Split):
        x = pixels(data.images, name)
        return Split(x, None if data.labels is None else labels(data.labels, len(x), f"{name}.labels"))
    if hasattr(data, "train") and hasattr(data, "test"):  # load_mnist()'s MNIST: one split is meant
        raise TypeError(f"{name} must be one split of the data, such as mnist.train, not the whole "
                        f"{type(data).__name__}.")
    if isinstance(data, Dataset):
        raise TypeError(f"{name} is a {type(data).__name__} (a Dataset): pass a DataLoader over it, as the lecture "
                        "does (DataLoader(dataset, batch_size=128)), or a Split such as mnist.train.")
    if not isinstance(data, DataLoader):
        return Split(pixels(data, name))
    if max_batches is None and (tensors := dataset_tensors(data.dataset)) is not None:
        x = pixels(tensors[0], name)
        return Split(x, None if tensors[1] is None else labels(tensors[1], len(x), f"the labels of {name}"))
    xs, ys = [], []
    for i, batch in enumerate(data):
        if max_batches is not None and i >= max_batches:
            break
        if not isinstance(batch, (tuple, list)) or len(batch) not in (1, 2):
            raise TypeError(f"{name} must give batches (x, y) of images and labels, as the lecture's DataLoader over "
                            f"torchvision's MNIST does; got a batch of type {type(batch).__name__}.")
        xs.append(images(batch[0], f"a batch of {name}").reshape(-1, *IMAGE_SHAPE))
        ys.append(torch.as_tensor(batch[1]).long() if len(batch) == 2 else None)
    if not xs:
        raise ValueError(f"{name} is a DataLoader with no batches: its dataset is empty.")
    x = pixels(torch.cat(xs), name)
    return Split(x, None if None in ys else labels(torch.cat(ys), len(x), f"the labels of {name}"))


def labels(y: object, n: int, name: str = "labels") -> Tensor:
    """``n`` whole-number labels, one per image, as an int64 tensor ``(n,)``; a list or array of them is welcome."""
    y = torch.as_tensor(y) if isinstance(y, (list, tuple)) or type(y).__module__ == "numpy" else y
    if not isinstance(y, Tensor) or y.is_floating_point() or y.is_complex() or y.dtype == torch.bool:
        raise TypeError(f"{name} must hold whole-number labels, one per image (e.g. a torch.long tensor), got "
                        f"{type(y).__name__ if not isinstance(y, Tensor) else y.dtype}.")
    if y.shape != (n,):
        counts = f": {len(y):,} labels for {n:,} images" if y.dim() == 1 else ""
        raise ValueError(f"{name} must hold one label per image, shape ({n},), got shape {tuple(y.shape)}{counts}.")
    return y.long()


def dataset_tensors(dataset: object) -> tuple[Tensor, Tensor | None] | None:
    """``(images (N, 1, 28, 28), labels (N,) or None)`` of a TensorDataset of one or two tensors or of torchvision's
    MNIST with ``ToTensor`` (uint8 pixels, which ``images`` turns into the floats ToTensor gives), else None."""
    if isinstance(dataset, TensorDataset) and len(dataset.tensors) in (1, 2):
        x, y = dataset.tensors if len(dataset.tensors) == 2 else (dataset.tensors[0], None)
    elif (type(dataset).__name__ == "MNIST" and type(getattr(dataset, "transform", None)).__name__ == "ToTensor"
          and getattr(dataset, "target_transform", 0) is None and isinstance(getattr(dataset, "data", None), Tensor)):
        x, y = dataset.data, dataset.targets
    else:
        return None
    return images(x, "the DataLoader's images").reshape(-1, *IMAGE_SHAPE), None if y is None else torch.as_tensor(y)
