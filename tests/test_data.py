"""vae_lab.data: the Split, batching by slicing, and the door for data (images, pixels, as_split)."""

import pytest
import torch
from conftest import says

from vae_lab.data import IMAGE_SHAPE, Split, as_split, batches, dataset_tensors, images, pixels


def test_a_split_has_labels_or_none():
    x = torch.rand(5, *IMAGE_SHAPE)
    assert len(Split(x)) == 5 and Split(x).labels is None
    assert torch.equal(Split(x, torch.arange(5)).labels, torch.arange(5))


@pytest.mark.parametrize("n, batch_size", [(10, 3), (9, 3), (2, 5), (0, 4)])
def test_batches_are_consecutive_views_like_torch_split(n, batch_size):
    tensor = torch.arange(n * 2).reshape(n, 2)
    got = list(batches(tensor, batch_size))
    expected = torch.split(tensor, batch_size) if n else ()
    assert len(got) == len(expected) and all(torch.equal(a, b) for a, b in zip(got, expected))
    if got:
        got[-1][-1, -1] = -1  # a view: writing into a batch writes into the tensor
        assert tensor[-1, -1] == -1


@pytest.mark.parametrize("shape", [(5, 1, 28, 28), (5, 28, 28), (5, 784)])
def test_images_keep_their_shape_and_become_float32(shape):
    x = torch.rand(shape, dtype=torch.float64)
    got = images(x)
    assert got.shape == shape and got.dtype == torch.float32
    torch.testing.assert_close(got, x.float())


def test_uint8_pixels_become_floats_in_0_1():
    raw = torch.tensor([[0, 51, 255] + [0] * 781], dtype=torch.uint8)
    assert images(raw)[0, :3].tolist() == pytest.approx([0.0, 0.2, 1.0])


@pytest.mark.parametrize("x, error, parts", [  # what was given, and what to give instead
    ([[0.0] * 784], TypeError, ["list", "torch.as_tensor"]),
    (torch.zeros(2, 784, dtype=torch.int64), TypeError, ["torch.int64", "uint8"]),
    (torch.zeros(4, 1, 32, 32), ValueError, ["(4, 1, 32, 32)", "28x28"]),
    (torch.zeros(784), ValueError, ["(784,)", "x.unsqueeze(0)"]),
    (torch.zeros(0, 1, 28, 28), ValueError, ["(0, 1, 28, 28)", "non-empty"]),
    (torch.zeros(2, 1, 28, 28, device="meta"), ValueError, ["'meta'", "real data"]),
])
def test_images_refuse_what_is_not_a_batch_of_images(x, error, parts):
    with pytest.raises(error) as raised:
        images(x)
    says(raised, "x", *parts)


@pytest.mark.parametrize("value, parts", [(float("nan"), ["NaN"]), (float("inf"), ["infinite"]),
                                          (1.5, ["1.5", "by 255"]), (-0.1, ["-0.1", "normalise"])])
def test_pixels_are_each_checked(value, parts):
    x = torch.rand(3, 784)
    assert pixels(x).shape == (3, *IMAGE_SHAPE)
    x[2, 400] = value  # one bad pixel among 2,352
    with pytest.raises(ValueError) as error:
        pixels(x)
    says(error, "data", *parts, "[0, 1]")


def test_as_split_of_a_tensor_has_no_labels_and_of_a_split_keeps_them():
    x = torch.rand(6, 28, 28)
    split = as_split(x)
    assert split.labels is None and torch.equal(split.images, x.reshape(6, *IMAGE_SHAPE))
    labelled = as_split(Split((x * 255).round().to(torch.uint8), torch.arange(6)))
    assert labelled.images.dtype == torch.float32 and labelled.images.max() <= 1
    assert torch.equal(labelled.labels, torch.arange(6))
    with pytest.raises(ValueError) as error:
        as_split(Split(x * 255), "test_data")
    says(error, "test_data", f"{(x * 255).max().item():g}", "by 255")


def test_as_split_reads_a_dataloader_batch_by_batch_or_from_its_tensors():
    x, y = torch.rand(10, *IMAGE_SHAPE), torch.arange(10)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=4, shuffle=True)
    assert dataset_tensors(loader.dataset) is not None
    whole = as_split(loader)
    assert torch.equal(whole.images, x) and torch.equal(whole.labels, y)  # in the dataset's order, not shuffled
    first = as_split(torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=4), max_batches=2)
    assert torch.equal(first.images, x[:8]) and torch.equal(first.labels, y[:8])
    empty = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x[:0], y[:0]), batch_size=4)
    with pytest.raises(ValueError) as error:
        as_split(empty)
    message = says(error, "DataLoader")
    assert "non-empty" in message or "no batches" in message, message


def test_a_splits_labels_are_checked_once_at_the_door():
    x = torch.rand(6, 1, 28, 28)
    assert as_split(Split(x, [1, 2, 3, 4, 5, 6])).labels.dtype == torch.int64  # a list, as a student builds it
    with pytest.raises(ValueError) as error:
        as_split(Split(x, torch.arange(5)))  # one label short: evaluate would silently skip an image
    says(error, "data.labels", "(6,)", "(5,)")
    with pytest.raises(TypeError) as error:
        as_split(Split(x, torch.zeros(6)))
    says(error, "data.labels", "torch.float32", "torch.long")


def test_the_whole_mnist_or_a_bare_dataset_is_named_with_what_to_pass_instead():
    from torch.utils.data import TensorDataset

    from vae_lab.mnist import MNIST

    split = Split(torch.rand(4, 1, 28, 28), torch.arange(4))
    with pytest.raises(TypeError) as error:
        as_split(MNIST(split, split, "synthetic"))
    says(error, "data", "MNIST", "mnist.train")
    with pytest.raises(TypeError) as error:
        as_split(TensorDataset(split.images, split.labels))
    says(error, "data", "TensorDataset", "DataLoader(dataset, batch_size=128)")


def test_a_loader_of_images_without_labels_is_welcome():
    from torch.utils.data import DataLoader, TensorDataset

    x = torch.rand(10, 1, 28, 28)
    split = as_split(DataLoader(TensorDataset(x), batch_size=4))
    assert torch.equal(split.images, x) and split.labels is None
    split = as_split(DataLoader(TensorDataset(x), batch_size=4), max_batches=2)  # batch by batch
    assert len(split) == 8 and split.labels is None
