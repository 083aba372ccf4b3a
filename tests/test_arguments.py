import math

import numpy as np
import pytest
import torch
from conftest import says

from vae_lab import _checks as arguments
from vae_lab.beyond.variants import ConditionalVariationalAutoencoder
from vae_lab.data import IMAGE_SHAPE, Split
from vae_lab.models import Autoencoder

NAME = "my_argument"  # a name no message contains by chance


# Each call, and what its message must say besides NAME: the value given and, where there is one, the fix.
@pytest.mark.parametrize(
    "call, parts",
    [
        (lambda: arguments.whole(NAME, 2.0), ["2.0", "float"]),
        (lambda: arguments.whole(NAME, "2"), ["'2'", "str"]),
        (lambda: arguments.whole(NAME, True), ["True", "bool"]),
        (lambda: arguments.whole(NAME, torch.tensor(2)), ["tensor(2)", "Tensor"]),
        (lambda: arguments.real(NAME, "0.1"), ["'0.1'", "str"]),
        (lambda: arguments.real(NAME, False), ["False", "bool"]),
        (lambda: arguments.real(NAME, None), ["None"]),
        (lambda: arguments.interval(NAME, (0,)), ["(0,)", "(-3, 3)"]),
        (lambda: arguments.interval(NAME, "ab"), ["'ab'", "(-3, 3)"]),
        (lambda: arguments.interval(NAME, (0, "1")), [f"{NAME}[1]", "'1'"]),
        (lambda: arguments.images([[0.0] * 784], NAME), ["list", "torch.as_tensor"]),
        (lambda: arguments.images(torch.zeros(2, 784, dtype=torch.int32), NAME), ["torch.int32", "uint8"]),
        (lambda: arguments.images(torch.zeros(2, 784, dtype=torch.bool), NAME), ["torch.bool", "uint8"]),
        (lambda: arguments.pixels(np.zeros((2, 784)), NAME), ["ndarray", "torch.as_tensor"]),
        (lambda: arguments.labels([0, 1], 2, 10, NAME), ["[0, 1]", "tensor of 2 labels"]),
        (lambda: arguments.labels(torch.tensor([0.0, 1.0]), 2, 10, NAME), ["torch.float32", "torch.long"]),
        (lambda: arguments.labels(None, 2, 10, NAME), ["None", "tensor of 2 labels"]),
        (lambda: arguments.codes([[0.0, 0.0]], 2, NAME), ["list", "(B, 2)"]),
        (lambda: arguments.file_path(NAME, 3, ".gif"), ["int", ".gif"]),
        (lambda: arguments.file_path(NAME, None), ["NoneType", ".pt"]),
    ],
)
def test_a_wrong_type_is_a_type_error_naming_the_argument_and_what_was_given(call, parts):
    with pytest.raises(TypeError) as error:
        call()
    says(error, NAME, *parts)


@pytest.mark.parametrize(
    "call, parts",
    [
        (lambda: arguments.whole(NAME, 0), ["0", ">= 1"]),
        (lambda: arguments.whole(NAME, -3, low=0), ["-3", ">= 0"]),
        (lambda: arguments.whole(NAME, 11, high=10), ["11", "10"]),
        (lambda: arguments.real(NAME, -0.1, low=0), ["-0.1", ">= 0"]),
        (lambda: arguments.real(NAME, 0, positive=True), ["0.0", "> 0"]),
        (lambda: arguments.choice(NAME, "poisson", ("gaussian", "bernoulli")), ["'poisson'", "'gaussian'",
                                                                                "'bernoulli'"]),
        (lambda: arguments.choice(NAME, "Gaussian", {"gaussian": None}), ["'Gaussian'", "('gaussian',)"]),
        (lambda: arguments.interval(NAME, (3, -3)), ["(3, -3)", "low < high"]),
        (lambda: arguments.interval(NAME, (1, 1)), ["(1, 1)", "low < high"]),
        (lambda: arguments.images(torch.zeros(2, 28, 27), NAME), ["(2, 28, 27)", "(B, 1, 28, 28)"]),
        (lambda: arguments.images(torch.zeros(784), NAME), ["(784,)", "x.unsqueeze(0)"]),
        (lambda: arguments.images(torch.zeros(0, *IMAGE_SHAPE), NAME), ["(0, 1, 28, 28)", "non-empty"]),
        (lambda: arguments.pixels(torch.full((2, *IMAGE_SHAPE), 1.5), NAME), ["1.5", "[0, 1]", "by 255"]),
        (lambda: arguments.pixels(torch.full((2, *IMAGE_SHAPE), -0.5), NAME), ["-0.5", "[0, 1]"]),
        (lambda: arguments.labels(torch.tensor([0, 1, 2]), 2, 10, NAME), ["(3,)", "(2,)"]),
        (lambda: arguments.labels(torch.tensor([0, 10]), 2, 10, NAME), ["10", "0..9"]),
        (lambda: arguments.labels(torch.tensor([-1, 0]), 2, 10, NAME), ["-1", "0..9"]),
        (lambda: arguments.codes(torch.zeros(2, 3), 2, NAME), ["(2, 3)", "(B, 2)"]),
        (lambda: arguments.codes(torch.zeros(2), 2, NAME), ["(2,)", "(B, 2)"]),
        (lambda: arguments.codes(torch.zeros(0, 2), 2, NAME), ["(0, 2)", "(B, 2)"]),
    ],
)
def test_a_wrong_value_is_a_value_error_naming_the_argument_and_what_was_given(call, parts):
    with pytest.raises(ValueError) as error:
        call()
    says(error, NAME, *parts)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_real_refuses_nan_and_inf_even_without_bounds(value):
    for kwargs in ({}, {"low": 0}, {"positive": True}):
        with pytest.raises(ValueError) as error:
            arguments.real(NAME, value, **kwargs)
        says(error, NAME, str(value))


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_an_interval_with_nan_or_inf_names_the_interval(value):
    with pytest.raises(ValueError) as error:
        arguments.interval("r0", (0, value))
    says(error, "r0[1]", str(value))


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_a_single_nan_or_inf_pixel_is_refused(value):
    # comparisons with NaN are false, so a NaN pixel is not "below 0" or "above 1"
    x = torch.rand(3, *IMAGE_SHAPE)
    x[1, 0, 14, 9] = value
    with pytest.raises(ValueError) as error:
        arguments.pixels(x, NAME)
    says(error, NAME, "NaN", "infinite", "[0, 1]")
    with pytest.raises(ValueError) as error:
        arguments.as_split(Split(x, torch.zeros(3, dtype=torch.long)), NAME)
    says(error, NAME, "NaN", "infinite")


@pytest.mark.parametrize("check", [arguments.images, arguments.pixels])
def test_images_on_the_meta_device_are_refused(check):
    with pytest.raises(ValueError) as error:
        check(torch.zeros(2, *IMAGE_SHAPE, device="meta"), NAME)
    says(error, NAME, "'meta'", "real data")


def test_a_model_on_the_meta_device_is_refused(vae):
    with pytest.raises(ValueError) as error:
        arguments.device_of(vae.to("meta"), "train")
    says(error, "train", "model", "'meta'", "device='meta'")  # build it without device='meta'


def test_good_values_come_back_as_plain_python_numbers():
    assert arguments.whole(NAME, np.int64(3)) == 3 and type(arguments.whole(NAME, np.int64(3))) is int
    assert arguments.real(NAME, np.float32(0.5)) == 0.5 and type(arguments.real(NAME, 1)) is float
    assert arguments.interval(NAME, [-1, 2]) == (-1.0, 2.0)
    assert arguments.choice(NAME, "bernoulli", ("gaussian", "bernoulli")) == "bernoulli"


def test_uint8_pixels_are_scaled_to_0_1():
    raw = torch.randint(0, 256, (2, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    x = arguments.pixels(raw, NAME)
    assert x.shape == (2, *IMAGE_SHAPE) and x.dtype == torch.float32
    np.testing.assert_allclose(x.numpy(), raw.reshape(2, *IMAGE_SHAPE).numpy() / 255, rtol=1e-6)


@pytest.mark.parametrize("shape", [(5, 1, 28, 28), (5, 28, 28), (5, 784)])
def test_images_keep_any_documented_shape(shape):
    x = torch.rand(shape)
    assert arguments.images(x, NAME) is x


def test_a_part_of_a_model_is_refused_with_what_to_pass_instead(vae):
    for part in (vae.decoder, vae.encoder, "model", None):
        with pytest.raises(TypeError) as error:
            arguments.device_of(part, "train")
        says(error, "train", type(part).__name__, "VariationalAutoencoder(2)", "the model itself")
    assert arguments.device_of(vae, "train") == torch.device("cpu")


def test_variational_refuses_an_autoencoder(vae):
    with pytest.raises(TypeError) as error:
        arguments.variational_device_of(Autoencoder(2, hidden=8), "iwae_estimate")
    says(error, "iwae_estimate", "Autoencoder", "VariationalAutoencoder(2)")
    assert arguments.variational_device_of(vae, "iwae_estimate") == torch.device("cpu")


def test_file_path_refuses_a_folder(tmp_path):
    (tmp_path / "frames.gif").mkdir()
    for folder in (tmp_path, tmp_path / "frames.gif"):
        with pytest.raises(ValueError) as error:
            arguments.file_path(NAME, folder)
        says(error, NAME, str(folder), "folder")
    with pytest.raises(ValueError) as error:
        arguments.file_path(NAME, tmp_path / "frames.gif", ".gif")
    says(error, NAME, str(tmp_path / "frames.gif"), "folder")


def test_file_path_refuses_a_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        arguments.file_path(NAME, tmp_path / "missing" / "model.pt")
    says(error, NAME, str(tmp_path / "missing"), "does not exist", "create")
    assert not (tmp_path / "missing").exists()


def test_file_path_wants_the_suffix_in_any_case(tmp_path):
    with pytest.raises(ValueError) as error:
        arguments.file_path(NAME, tmp_path / "frames.png", ".gif")
    says(error, NAME, ".gif", "frames.png")
    assert arguments.file_path(NAME, str(tmp_path / "frames.GIF"), ".gif") == tmp_path / "frames.GIF"


@pytest.mark.parametrize(
    "build, parts",
    [
        (lambda: ConditionalVariationalAutoencoder(2, classes=10.0), ["classes", "10.0", "float"]),
        (lambda: ConditionalVariationalAutoencoder(2, classes=True), ["classes", "True", "bool"]),
    ],
)
def test_a_model_with_a_size_of_the_wrong_type_is_refused(build, parts):
    with pytest.raises(TypeError) as error:
        build()
    says(error, *parts)


@pytest.mark.parametrize(
    "build, parts",
    [
        (lambda: ConditionalVariationalAutoencoder(2, hidden=8, classes=1), ["classes", "1", "2"]),
        (lambda: ConditionalVariationalAutoencoder(2, hidden=8, classes=arguments.MAX_CLASSES + 1),
         ["classes", f"{arguments.MAX_CLASSES + 1}", f"{arguments.MAX_CLASSES:,}"]),
    ],
)
def test_a_model_too_large_or_too_small_is_refused_before_it_is_built(build, parts):
    with pytest.raises(ValueError) as error:
        build()
    says(error, *parts)  # the argument, the value given and the range allowed



def test_choice_names_the_argument_when_given_an_unhashable_value():
    with pytest.raises(TypeError) as error:
        arguments.choice(NAME, ["gaussian"], {"gaussian": None})
    says(error, NAME, "['gaussian']", "('gaussian',)")



@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_codes_refuse_nan_and_inf(value):
    with pytest.raises(ValueError) as error:
        arguments.codes(torch.tensor([[0.0, value]]), 2, NAME)
    says(error, NAME, "NaN", "infinite")


def loader_of(split: Split, batch_size: int = 16, shuffle: bool = False):
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(split.images, split.labels),
                                       batch_size=batch_size, shuffle=shuffle)


class PlainDataset(torch.utils.data.Dataset):
    """A dataset the fast path does not know: its images are read through iteration."""

    def __init__(self, split):
        self.split = split

    def __len__(self):
        return len(self.split)

    def __getitem__(self, i):
        return self.split.images[i], self.split.labels[i]


def test_a_dataloader_becomes_the_split_it_serves():
    split = Split(torch.rand(40, *IMAGE_SHAPE), torch.arange(40) % 10)
    for data in (loader_of(split), torch.utils.data.DataLoader(PlainDataset(split), batch_size=16)):
        got = arguments.as_split(data)
        assert torch.equal(got.images, split.images) and torch.equal(got.labels, split.labels)
    first = arguments.as_split(torch.utils.data.DataLoader(PlainDataset(split), batch_size=16), max_batches=2)
    assert torch.equal(first.images, split.images[:32])


def test_torchvisions_mnist_is_read_from_its_tensors_as_to_tensor_would():
    """The fast path gives the floats that ToTensor gives, image by image."""
    torchvision = pytest.importorskip("torchvision")

    class MNIST(torch.utils.data.Dataset):  # torchvision's MNIST: uint8 .data, .targets, PIL images through ToTensor
        def __init__(self):
            self.data = torch.randint(0, 256, (5, 28, 28), dtype=torch.uint8)
            self.targets = torch.arange(5)
            self.transform, self.target_transform = torchvision.transforms.ToTensor(), None

        def __len__(self):
            return 5

        def __getitem__(self, i):
            from PIL import Image

            return self.transform(Image.fromarray(self.data[i].numpy(), mode="L")), int(self.targets[i])

    dataset = MNIST()
    fast = arguments.as_split(torch.utils.data.DataLoader(dataset, batch_size=2))
    slow = arguments.as_split(torch.utils.data.DataLoader(dataset, batch_size=2), max_batches=3)
    assert torch.equal(fast.images, slow.images) and torch.equal(fast.labels, slow.labels)


def test_a_loader_of_something_else_is_named():
    with pytest.raises(TypeError) as error:
        arguments.as_split(torch.utils.data.DataLoader(torch.rand(8, 1, 28, 28), batch_size=4))
    says(error, "data", "(x, y)", "Tensor")


def test_codes_of_the_lectures_torch_stack_are_accepted():
    z = torch.randn(5, 1, 2)  # torch.stack of five codes of shape (1, 2)
    assert arguments.codes(z, 2).shape == (5, 2)
    with pytest.raises(ValueError) as error:
        arguments.codes(torch.randn(5, 2, 2), 2)
    says(error, "z", "(5, 2, 2)", "(B, 2)")
