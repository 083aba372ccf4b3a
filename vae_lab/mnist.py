"""MNIST as in-memory tensors: local files, else a torchvision download, else a 5,000-digit sample in ``data/``.

The whole set is small (60,000 x 784 floats = 188 MB), so it is held as one
tensor and batched by index; no per-image transform runs during training.
"""

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .data import IMAGE_SHAPE, Split

DATA_ENV = "VAE_LAB_DATA"  # environment variable: where the data folder is
SAMPLE_TEST_SIZE = 1000  # of the offline sample's 5,000 digits, kept for the test split
SAMPLE = "mnist_sample.npz"  # the offline sample, in data/ of the checkout (data/README.md: its source)
MNIST_FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
               "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
# The IDX format's magic numbers (LeCun et al.): 0x0803 = unsigned bytes, 3 dims; 0x0801 = 1 dim.
IMAGES_MAGIC, LABELS_MAGIC = 2051, 2049


class FallbackDataWarning(UserWarning):
    """Warns that the offline sample is used instead of the full MNIST."""


@dataclass(frozen=True)
class MNIST:
    """Train and test splits, and a line saying where they came from."""

    train: Split
    test: Split
    source: str


def default_folder(env: str, in_checkout: str, elsewhere: Path) -> Path:
    """``$env`` if set, else the folder ``in_checkout`` of this source checkout, else ``elsewhere``."""
    if os.environ.get(env):
        return Path(os.environ[env])
    checkout = Path(__file__).resolve().parent.parent
    return checkout / in_checkout if (checkout / "pyproject.toml").is_file() else elsewhere


def default_data_dir() -> Path:
    """``$VAE_LAB_DATA`` if set, else ``data/`` of this source checkout, else ``./data``."""
    return default_folder(DATA_ENV, "data", Path.cwd() / "data")


def _corrupt(path: Path, problem: str) -> ValueError:
    return ValueError(f"The MNIST file {path} is truncated or corrupt: {problem}. Nothing was deleted. Replace it "
                      "with a fresh copy (or delete it so that it is downloaded again) and run again.")


def read_idx(path: Path, magic: int) -> np.ndarray:
    """Read an uncompressed IDX file (MNIST's format) after checking its header and size.

    Args:
        path: the file.
        magic: ``IMAGES_MAGIC`` for images, ``LABELS_MAGIC`` for labels.

    Returns:
        uint8 array, shape ``(N, 28, 28)`` for images or ``(N,)`` for labels.
    """
    raw = np.fromfile(path, dtype=np.uint8)
    header = 4 + 4 * (magic - 2048)  # the magic number's last byte is the number of dimensions
    if len(raw) < header:
        raise _corrupt(path, f"it has {len(raw)} bytes, fewer than its {header}-byte header")
    words = raw[:header].view(">u4")
    if words[0] != magic:
        raise _corrupt(path, f"its header starts with {int(words[0])}, expected {magic}")
    shape = tuple(int(w) for w in words[1:])
    expected = header + int(np.prod(shape))
    if len(raw) != expected:
        raise _corrupt(path, f"its header promises {expected:,} bytes, the file has {len(raw):,}")
    if magic == IMAGES_MAGIC and shape[1:] != IMAGE_SHAPE[1:]:
        raise _corrupt(path, f"its images are {shape[1]}x{shape[2]}, expected 28x28")
    return raw[header:].reshape(shape)


def read_split(raw_dir: Path, split: str) -> Split:
    """Read the ``"train"`` or ``"test"`` split from the four MNIST files in ``raw_dir``."""
    images_file, labels_file = (raw_dir / name for name in MNIST_FILES[split])
    images, labels = read_idx(images_file, IMAGES_MAGIC), read_idx(labels_file, LABELS_MAGIC)
    if len(images) != len(labels):
        raise _corrupt(labels_file, f"it has {len(labels)} labels for {len(images)} images in {images_file.name}")
    return make_split(images, labels)


def make_split(images: np.ndarray, labels: np.ndarray) -> Split:
    """Build a Split from pixels in 0..255 (uint8, or whole-number floats) ``(N, 28, 28)`` or ``(N, 784)``, and labels
    ``(N,)``."""
    pixels = torch.as_tensor(np.ascontiguousarray(images), dtype=torch.uint8).reshape(-1, *IMAGE_SHAPE)
    return Split(pixels.float() / 255, torch.as_tensor(labels, dtype=torch.int64))


def missing_files(raw_dir: Path) -> list[str]:
    """The names of the four MNIST files that are not in ``raw_dir``."""
    return [name for pair in MNIST_FILES.values() for name in pair if not (raw_dir / name).is_file()]


def files_present(raw_dir: Path) -> bool:
    """True if the four MNIST files are in ``raw_dir``."""
    return not missing_files(raw_dir)


def _download(root: Path) -> Exception | None:
    """Let torchvision download MNIST into ``root``; return the error if it could not."""
    from torchvision.datasets import MNIST as TorchvisionMNIST

    try:
        TorchvisionMNIST(root=str(root), train=True, download=True)
    except Exception as error:  # no network, a mirror down, a proxy: all mean "not downloaded"
        return error


def load_sample(path: Path | None = None) -> MNIST:
    """The 5,000 real MNIST digits committed as ``data/mnist_sample.npz`` (no network needed).

    A fixed shuffle keeps ``SAMPLE_TEST_SIZE`` of them for the test split.
    """
    path = Path(__file__).resolve().parent.parent / "data" / SAMPLE if path is None else path
    with np.load(path) as sample:
        images, labels = sample["images"], sample["labels"]
    order = np.random.default_rng(0).permutation(len(labels))
    test, train = order[:SAMPLE_TEST_SIZE], order[SAMPLE_TEST_SIZE:]
    return MNIST(make_split(images[train], labels[train]), make_split(images[test], labels[test]),
                 f"offline sample: {len(train):,} train / {len(test):,} test digits")


def how_to_get(raw_dir: Path) -> str:
    """A few lines telling where to put the MNIST files, or how else to get them."""
    names = "\n".join(f"  {name}" for pair in MNIST_FILES.values() for name in pair)
    return (f"Put these four files (uncompressed) in {raw_dir.resolve()}:\n{names}\n"
            f"or run once on a machine with internet, or set {DATA_ENV} to a folder that has MNIST/raw/.")


def _short(error: object) -> str:
    """The last line of an error: torchvision's download errors list every mirror tried."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip(" ).")]
    return lines[-1] if lines else type(error).__name__


def load_mnist(root: str | Path | None = None, download: bool = True, fallback: bool = True) -> MNIST:
    """Load MNIST's train and test splits as tensors.

    Lookup order: the four files in ``root/MNIST/raw/`` -> a torchvision download
    into that folder -> the 5,000-digit offline sample (``load_sample``), with a
    ``FallbackDataWarning`` -> a ``FileNotFoundError`` naming the files to get.

    Args:
        root: the data folder; defaults to ``default_data_dir()``.
        download: whether to try a download when the files are missing.
        fallback: whether to use the offline sample when the full set is missing.

    Returns:
        ``MNIST`` with ``train`` (60,000 images) and ``test`` (10,000 images).
    """
    root = Path(root) if root is not None else default_data_dir()
    raw_dir = root / "MNIST" / "raw"  # torchvision's layout
    error = None
    if not files_present(raw_dir):
        error = _download(root) if download else "downloading was turned off"
    if files_present(raw_dir):
        train, test = read_split(raw_dir, "train"), read_split(raw_dir, "test")
        return MNIST(train, test, f"full MNIST: {len(train):,} train / {len(test):,} test images from {raw_dir}")
    missing = missing_files(raw_dir)
    found = "was not found" if len(missing) == 4 else f"is incomplete (missing: {', '.join(missing)})"
    problem = f"MNIST {found} in {raw_dir} and could not be downloaded ({_short(error)})"
    if fallback:
        try:
            sample = load_sample()
        except OSError:
            raise FileNotFoundError(f"{problem}, and the offline sample data/{SAMPLE} is missing too.\n"
                                    f"{how_to_get(raw_dir)}") from None
        warnings.warn(f"{problem}.\nUsing the {sample.source} instead; results will be rougher.\n"
                      f"For the full set: {how_to_get(raw_dir)}", FallbackDataWarning, stacklevel=2)
        return sample
    raise FileNotFoundError(f"{problem}.\n{how_to_get(raw_dir)}")


