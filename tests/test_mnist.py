"""vae_lab.mnist: the four IDX files, a torchvision download, the committed offline sample, clear errors."""

import struct
import sys
import types
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import says

from vae_lab import mnist as mnist_module
from vae_lab.data import CLASSES, FULL_SIZE, IMAGE_SHAPE, IMAGE_SIZE
from vae_lab.mnist import (
    DATA_ENV,
    IMAGES_MAGIC,
    LABELS_MAGIC,
    MNIST_FILES,
    SAMPLE_TEST_SIZE,
    FallbackDataWarning,
    default_data_dir,
    load_mnist,
    load_sample,
    read_idx,
)

REAL_MNIST = Path(__file__).resolve().parent.parent / "data" / "MNIST" / "raw"


def write_idx(path: Path, array: np.ndarray) -> None:
    magic = 2048 + array.ndim
    path.write_bytes(struct.pack(f">{1 + array.ndim}I", magic, *array.shape) + array.astype(np.uint8).tobytes())


def write_mnist(root: Path, n_train=20, n_test=10) -> dict:
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    arrays = {}
    for split, n in (("train", n_train), ("test", n_test)):
        images, labels = rng.integers(0, 256, (n, 28, 28)), rng.integers(0, 10, n)
        write_idx(raw / MNIST_FILES[split][0], images)
        write_idx(raw / MNIST_FILES[split][1], labels)
        arrays[split] = images, labels
    return arrays


def fake_torchvision(monkeypatch, fetch) -> list:
    """Put a stand-in for torchvision where ``from torchvision.datasets import MNIST`` finds it; its
    ``MNIST(root=..., train=..., download=True)`` calls ``fetch(Path(root))``. Returns the roots it was given."""
    calls = []

    def mnist(root, train=True, download=False):
        calls.append(root)
        fetch(Path(root))

    package, datasets = types.ModuleType("torchvision"), types.ModuleType("torchvision.datasets")
    datasets.MNIST, package.datasets = mnist, datasets
    monkeypatch.setitem(sys.modules, "torchvision", package)
    monkeypatch.setitem(sys.modules, "torchvision.datasets", datasets)
    return calls


def no_network(monkeypatch) -> list:
    def refuse(root):
        raise OSError("no network")  # what torchvision raises through urllib, in short

    return fake_torchvision(monkeypatch, refuse)


def test_files_present_are_read(tmp_path, monkeypatch):
    calls = no_network(monkeypatch)
    arrays = write_mnist(tmp_path)
    mnist = load_mnist(tmp_path, fallback=False)
    assert calls == []  # nothing downloaded when the files are there
    for split in ("train", "test"):
        images, labels = arrays[split]
        got = getattr(mnist, split)
        assert got.images.shape == (len(labels), *IMAGE_SHAPE) and got.images.dtype == torch.float32
        np.testing.assert_allclose(got.images[:, 0].numpy(), images / 255, rtol=1e-6)
        np.testing.assert_array_equal(got.labels.numpy(), labels)
    assert str(tmp_path) in mnist.source


def test_a_download_fills_the_folder(tmp_path, monkeypatch):
    calls = fake_torchvision(monkeypatch, lambda root: write_mnist(root))
    mnist = load_mnist(tmp_path)
    assert calls == [str(tmp_path)]
    assert len(mnist.train) == 20 and len(mnist.test) == 10


SAMPLE = Path(__file__).resolve().parent.parent / "data" / mnist_module.SAMPLE


def rows(images: torch.Tensor) -> list[bytes]:
    """Each image's 784 pixels in 0..255, as bytes: to find an image among others."""
    return [row.tobytes() for row in torch.round(images * 255).to(torch.uint8).reshape(len(images), -1).numpy()]


def test_fallback_sample_when_there_is_no_data_and_no_network(tmp_path, monkeypatch):
    no_network(monkeypatch)
    with pytest.warns(FallbackDataWarning) as record:
        mnist = load_mnist(tmp_path)
    says(record[0], "no network", "offline sample", str((tmp_path / "MNIST" / "raw").resolve()),
         *(name for pair in MNIST_FILES.values() for name in pair))  # where to put which files for the full set
    with np.load(SAMPLE) as sample:
        images, labels = sample["images"], sample["labels"]
    assert len(mnist.test) == SAMPLE_TEST_SIZE and len(mnist.train) == len(labels) - SAMPLE_TEST_SIZE
    label_of = {row.tobytes(): label for row, label in zip(images.reshape(len(images), -1), labels)}
    seen = []
    for split in (mnist.train, mnist.test):
        assert split.images.shape[1:] == IMAGE_SHAPE and split.images.dtype == torch.float32
        assert 0 <= split.images.min() and split.images.max() <= 1
        keys = rows(split.images)
        assert [int(label_of[key]) for key in keys] == split.labels.tolist()  # each digit keeps its label
        assert split.labels.dtype == torch.int64
        seen += keys
    assert len(seen) == len(labels) and set(seen) == set(label_of)  # each digit used once
    assert "offline sample" in mnist.source and not list(tmp_path.rglob("*-ubyte"))


def test_the_committed_sample_is_real_mnist_digits():
    sample = load_sample()
    assert len(sample.train) + len(sample.test) == 5000
    assert set(sample.train.labels.tolist()) == set(range(CLASSES))
    assert load_sample().train.images.equal(sample.train.images)  # the same split every time


@pytest.mark.parametrize("with_fallback", [True, False])
def test_clear_error_names_the_files_and_the_folder(tmp_path, monkeypatch, with_fallback):
    no_network(monkeypatch)
    monkeypatch.setattr(mnist_module, "SAMPLE", "no_such_sample.npz")  # the sample is missing too
    with pytest.raises(FileNotFoundError) as error:
        load_mnist(tmp_path, fallback=with_fallback)
    message = says(error, str((tmp_path / "MNIST" / "raw").resolve()),
                   *(name for pair in MNIST_FILES.values() for name in pair))
    assert ("no_such_sample.npz" in message) is with_fallback


def test_no_download_when_asked_not_to(tmp_path, monkeypatch):
    calls = no_network(monkeypatch)
    with pytest.raises(FileNotFoundError) as error:
        load_mnist(tmp_path, download=False, fallback=False)
    says(error, "downloading was turned off", str((tmp_path / "MNIST" / "raw").resolve()), MNIST_FILES["train"][0])
    assert calls == []


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-100])


def wrong_magic(path: Path) -> None:
    path.write_bytes(b"\x00\x00\x09\x99" + path.read_bytes()[4:])


def too_short(path: Path) -> None:
    path.write_bytes(b"\x00\x00")


@pytest.mark.parametrize("damage", [truncate, wrong_magic, too_short])
@pytest.mark.parametrize("name", [name for pair in MNIST_FILES.values() for name in pair])
def test_corrupt_files_are_named_and_kept(tmp_path, damage, name):
    write_mnist(tmp_path)
    raw = tmp_path / "MNIST" / "raw"
    damage(raw / name)
    before = sorted((p.name, p.stat().st_size) for p in raw.iterdir())
    with pytest.raises(ValueError) as error:
        load_mnist(tmp_path, download=False, fallback=False)
    says(error, str(raw / name), "corrupt", "nothing was deleted", "fresh copy")
    assert sorted((p.name, p.stat().st_size) for p in raw.iterdir()) == before


def test_labels_that_do_not_match_the_images(tmp_path):
    write_mnist(tmp_path)
    write_idx(tmp_path / "MNIST" / "raw" / MNIST_FILES["test"][1], np.zeros(7))
    with pytest.raises(ValueError) as error:
        load_mnist(tmp_path, download=False, fallback=False)
    says(error, MNIST_FILES["test"][1], "7 labels", "10 images")


def test_read_idx_checks_the_image_size(tmp_path):
    path = tmp_path / "images"
    write_idx(path, np.zeros((2, 32, 32)))
    with pytest.raises(ValueError) as error:
        read_idx(path, IMAGES_MAGIC)
    says(error, str(path), "32x32", "28x28")


def test_data_folder_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    assert default_data_dir() == tmp_path
    write_mnist(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(load_mnist(download=False, fallback=False).train) == 20
    monkeypatch.delenv(DATA_ENV)
    assert default_data_dir().name == "data"


@pytest.mark.skipif(not (REAL_MNIST / MNIST_FILES["train"][1]).is_file(), reason="the full MNIST is not in data/")
def test_the_constants_describe_the_real_mnist():
    images = read_idx(REAL_MNIST / MNIST_FILES["train"][0], IMAGES_MAGIC)
    labels = read_idx(REAL_MNIST / MNIST_FILES["train"][1], LABELS_MAGIC)
    assert len(images) == len(labels) == FULL_SIZE
    assert (1, *images.shape[1:]) == IMAGE_SHAPE and images[0].size == IMAGE_SIZE
    assert sorted(set(labels.tolist())) == list(range(CLASSES))


def test_the_fallback_warning_names_the_missing_files(tmp_path, monkeypatch):
    write_mnist(tmp_path)
    (tmp_path / "MNIST" / "raw" / MNIST_FILES["test"][1]).unlink()  # one of the four went missing
    no_network(monkeypatch)
    with pytest.warns(FallbackDataWarning) as record:
        load_mnist(tmp_path)
    first = str(record[0].message).splitlines()[0]  # what went wrong; the lines after it list all four files
    says(first, "incomplete", MNIST_FILES["test"][1], str(tmp_path / "MNIST" / "raw"))
    assert not any(name in first for name in (*MNIST_FILES["train"], MNIST_FILES["test"][0])), first
