import math
import re

import numpy as np
import pytest
import torch

from vae_lab import _checks as arguments
from vae_lab.beyond.variants import ConditionalVariationalAutoencoder
from vae_lab.data import IMAGE_SHAPE, Split
from vae_lab.models import Autoencoder, VariationalAutoencoder

NAME = "my_argument"  # a name no message contains by chance


def named(name: str = NAME) -> str:
    """A pattern for a message that names the argument ``name`` as a word of its own."""
    return rf"(?<![\w]){re.escape(name)}(?![\w])"


@pytest.mark.parametrize(
    "call",
    [
        lambda: arguments.whole(NAME, 2.0),
        lambda: arguments.whole(NAME, "2"),
        lambda: arguments.whole(NAME, True),
        lambda: arguments.whole(NAME, torch.tensor(2)),
        lambda: arguments.real(NAME, "0.1"),
        lambda: arguments.real(NAME, False),
        lambda: arguments.real(NAME, None),
        lambda: arguments.interval(NAME, (0,)),
        lambda: arguments.interval(NAME, "ab"),
        lambda: arguments.interval(NAME, (0, "1")),
        lambda: arguments.images([[0.0] * 784], NAME),
        lambda: arguments.images(torch.zeros(2, 784, dtype=torch.int32), NAME),
        lambda: arguments.images(torch.zeros(2, 784, dtype=torch.bool), NAME),
        lambda: arguments.pixels(np.zeros((2, 784)), NAME),
        lambda: arguments.labels([0, 1], 2, 10, NAME),
        lambda: arguments.labels(torch.tensor([0.0, 1.0]), 2, 10, NAME),
        lambda: arguments.labels(None, 2, 10, NAME),
        lambda: arguments.codes([[0.0, 0.0]], 2, NAME),
        lambda: arguments.file_path(NAME, 3, ".gif"),
        lambda: arguments.file_path(NAME, None),
    ],
)
def test_a_wrong_type_is_a_type_error_naming_the_argument(call):
    with pytest.raises(TypeError, match=named()):
        call()


@pytest.mark.parametrize(
    "call",
    [
        lambda: arguments.whole(NAME, 0),
        lambda: arguments.whole(NAME, -3, low=0),
        lambda: arguments.whole(NAME, 11, high=10),
        lambda: arguments.real(NAME, -0.1, low=0),
        lambda: arguments.real(NAME, 0, positive=True),
        lambda: arguments.choice(NAME, "poisson", ("gaussian", "bernoulli")),
        lambda: arguments.choice(NAME, "Gaussian", {"gaussian": None}),
        lambda: arguments.interval(NAME, (3, -3)),
        lambda: arguments.interval(NAME, (1, 1)),
        lambda: arguments.images(torch.zeros(2, 28, 27), NAME),
        lambda: arguments.images(torch.zeros(784), NAME),
        lambda: arguments.images(torch.zeros(0, *IMAGE_SHAPE), NAME),
        lambda: arguments.pixels(torch.full((2, *IMAGE_SHAPE), 1.5), NAME),
        lambda: arguments.pixels(torch.full((2, *IMAGE_SHAPE), -0.5), NAME),
        lambda: arguments.labels(torch.tensor([0, 1, 2]), 2, 10, NAME),
        lambda: arguments.labels(torch.tensor([0, 10]), 2, 10, NAME),
        lambda: arguments.labels(torch.tensor([-1, 0]), 2, 10, NAME),
        lambda: arguments.codes(torch.zeros(2, 3), 2, NAME),
        lambda: arguments.codes(torch.zeros(2), 2, NAME),
        lambda: arguments.codes(torch.zeros(0, 2), 2, NAME),
    ],
)
def test_a_wrong_value_is_a_value_error_naming_the_argument(call):
    with pytest.raises(ValueError, match=named()):
        call()


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_real_refuses_nan_and_inf_even_without_bounds(value):
    for kwargs in ({}, {"low": 0}, {"positive": True}):
        with pytest.raises(ValueError, match=named()):
            arguments.real(NAME, value, **kwargs)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_an_interval_with_nan_or_inf_names_the_interval(value):
    with pytest.raises(ValueError, match="r0"):
        arguments.interval("r0", (0, value))


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_a_single_nan_or_inf_pixel_is_refused(value):
    # comparisons with NaN are false, so a NaN pixel is not "below 0" or "above 1"
    x = torch.rand(3, *IMAGE_SHAPE)
    x[1, 0, 14, 9] = value
    with pytest.raises(ValueError, match=named()):
        arguments.pixels(x, NAME)
    with pytest.raises(ValueError, match=named()):
        arguments.as_split(Split(x, torch.zeros(3, dtype=torch.long)), NAME)


@pytest.mark.parametrize("check", [arguments.images, arguments.pixels])
def test_images_on_the_meta_device_are_refused(check):
    with pytest.raises(ValueError, match="'meta'"):
        check(torch.zeros(2, *IMAGE_SHAPE, device="meta"), NAME)


def test_a_model_on_the_meta_device_is_refused():
    with pytest.raises(ValueError, match="'meta'"):
        arguments.device_of(VariationalAutoencoder(2, hidden=8).to("meta"), "train")


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


def test_a_part_of_a_model_is_refused_with_what_to_pass_instead():
    model = VariationalAutoencoder(2, hidden=8)
    for part in (model.decoder, model.encoder, "model", None):
        with pytest.raises(TypeError, match=r"(?s)train needs a whole model.*Pass the model itself"):
            arguments.device_of(part, "train")
    assert arguments.device_of(model, "train") == torch.device("cpu")


def test_variational_refuses_an_autoencoder():
    with pytest.raises(TypeError, match=r"iwae_estimate needs a variational model.*Autoencoder"):
        arguments.variational_device_of(Autoencoder(2, hidden=8), "iwae_estimate")
    assert arguments.variational_device_of(VariationalAutoencoder(2, hidden=8), "iwae_estimate") == torch.device("cpu")


def test_file_path_refuses_a_folder(tmp_path):
    (tmp_path / "frames.gif").mkdir()
    for folder in (tmp_path, tmp_path / "frames.gif"):
        with pytest.raises(ValueError, match=named()):
            arguments.file_path(NAME, folder)
    with pytest.raises(ValueError, match=r"frames\.gif.* is a folder"):
        arguments.file_path(NAME, tmp_path / "frames.gif", ".gif")


def test_file_path_refuses_a_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"the folder .*missing does not exist"):
        arguments.file_path(NAME, tmp_path / "missing" / "model.pt")
    assert not (tmp_path / "missing").exists()


def test_file_path_wants_the_suffix_in_any_case(tmp_path):
    with pytest.raises(ValueError, match=rf"{NAME} must end in \.gif"):
        arguments.file_path(NAME, tmp_path / "frames.png", ".gif")
    assert arguments.file_path(NAME, str(tmp_path / "frames.GIF"), ".gif") == tmp_path / "frames.GIF"


@pytest.mark.parametrize(
    "build, name",
    [
        (lambda: ConditionalVariationalAutoencoder(2, classes=10.0), "classes"),
        (lambda: ConditionalVariationalAutoencoder(2, classes=True), "classes"),
    ],
)
def test_a_model_with_a_size_of_the_wrong_type_is_refused(build, name):
    with pytest.raises(TypeError, match=named(name)):
        build()


@pytest.mark.parametrize(
    "build, name",
    [
        (lambda: ConditionalVariationalAutoencoder(2, hidden=8, classes=1), "classes"),
        (lambda: ConditionalVariationalAutoencoder(2, hidden=8, classes=arguments.MAX_CLASSES + 1), "classes"),
    ],
)
def test_a_model_too_large_or_too_small_is_refused_before_it_is_built(build, name):
    with pytest.raises(ValueError, match=named(name)):
        build()



def test_choice_names_the_argument_when_given_an_unhashable_value():
    with pytest.raises(TypeError, match=named()):
        arguments.choice(NAME, ["gaussian"], {"gaussian": None})



@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_codes_refuse_nan_and_inf(value):
    with pytest.raises(ValueError, match=named()):
        arguments.codes(torch.tensor([[0.0, value]]), 2, NAME)


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
    with pytest.raises(TypeError, match="batches \\(x, y\\)"):
        arguments.as_split(torch.utils.data.DataLoader(torch.rand(8, 1, 28, 28), batch_size=4))


def test_codes_of_the_lectures_torch_stack_are_accepted():
    z = torch.randn(5, 1, 2)  # torch.stack of five codes of shape (1, 2)
    assert arguments.codes(z, 2).shape == (5, 2)
    with pytest.raises(ValueError, match=r"\(B, 2\)"):
        arguments.codes(torch.randn(5, 2, 2), 2)
