import pytest
import torch
import torch.nn.functional as F
from conftest import says

from vae_lab.beyond.variants import (
    CONV_CHANNELS,
    ConditionalVariationalAutoencoder,
    ConvolutionalVariationalAutoencoder,
)
from vae_lab.data import CLASSES, IMAGE_SIZE


def test_conditional_models_append_the_one_hot_digit(conditional, images):
    model = conditional
    assert model.encoder.linear1.in_features == IMAGE_SIZE + CLASSES
    assert model.decoder.linear1.in_features == 2 + CLASSES
    y = torch.arange(16) % 10
    mu = model.encode(images, y)
    hidden = torch.relu(model.encoder.linear1(torch.cat([images.flatten(1), F.one_hot(y, 10).float()], dim=1)))
    torch.testing.assert_close(mu, model.encoder.linear2(hidden))
    assert model(images, y).shape == images.shape
    z = torch.zeros(16, 2)
    assert not torch.allclose(model.decoder(z, y), model.decoder(z, (y + 1) % 10))  # the digit changes the image


@pytest.mark.parametrize(
    "y, error, parts",
    [  # the value given, and what y must be
        (None, TypeError, ["y=None", "digit", "tensor of 16 labels"]),
        (torch.zeros(3, dtype=torch.long), ValueError, ["(3,)", "(16,)"]),
        (torch.zeros(16), TypeError, ["torch.float32", "torch.long"]),
        (torch.full((16,), 10), ValueError, ["10", "0..9"]),
        (torch.full((16,), -1), ValueError, ["-1", "0..9"]),
    ],
)
def test_conditional_models_explain_bad_labels(conditional, images, y, error, parts):
    with pytest.raises(error) as raised:
        conditional(images, y)
    says(raised, "y", *parts)


@pytest.mark.parametrize("classes, error, parts", [(1, ValueError, ["1", "2", "1,000"]),
                                                   (10**6, ValueError, ["1000000", "1,000"]),
                                                   (2.5, TypeError, ["2.5", "float"]),
                                                   (True, TypeError, ["True", "bool"])])
def test_classes_is_checked(classes, error, parts):
    with pytest.raises(error) as raised:
        ConditionalVariationalAutoencoder(2, classes=classes)
    says(raised, "classes", *parts)


def test_convolutional_vae_shapes_and_layers(images):
    model = ConvolutionalVariationalAutoencoder(3)
    assert model(images).shape == images.shape and model.encode(images).shape == (16, 3)
    assert model.encoder.conv1(images).shape == (16, CONV_CHANNELS[0], 14, 14)
    assert model.encoder.linear2.out_features == model.encoder.linear3.out_features == 3
    x_hat = model.decoder(torch.randn(5, 3))
    assert x_hat.shape == (5, 1, 28, 28) and 0 < x_hat.min() and x_hat.max() < 1
    assert model(images.reshape(16, IMAGE_SIZE)).shape == (16, 1, 28, 28)  # flat images are accepted too


@pytest.mark.parametrize(
    "model, call",
    [
        (ConvolutionalVariationalAutoencoder(2), lambda m, x: m(x)),
        (ConditionalVariationalAutoencoder(2), lambda m, x: m(x, torch.arange(len(x)) % 10)),
    ],
)
def test_every_parameter_gets_a_gradient(images, model, call):
    """A layer built but left out of forward (e.g. the base class's linear1) would get no gradient."""
    ((call(model, images) - images) ** 2).sum().add(model.encoder.kl).backward()
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name


def test_every_variant_takes_the_same_calls(images):
    """model(x, y), model.encode(x, y) and model.decode(z, y): what conditional_loss and the plots rely on."""
    y = torch.arange(16) % 10
    for model in (ConditionalVariationalAutoencoder(2), ConvolutionalVariationalAutoencoder(2)):
        assert model(images, y).shape == images.shape
        assert model.encode(images, y).shape == (16, 2)
        assert model.decode(torch.zeros(16, 2), y).shape == images.shape


def test_the_plots_encode_and_decode_every_model_alike(vae, images):
    """vae_lab.encode/decode run the lecture's classes (no encode/decode methods, no y) and the variants alike."""
    from vae_lab import Split, decode, encode
    from vae_lab.models import Autoencoder, VariationalAutoencoder

    y = torch.arange(16) % 10
    for model in (Autoencoder(2), VariationalAutoencoder(2), ConditionalVariationalAutoencoder(2),
                  ConvolutionalVariationalAutoencoder(2)):
        assert encode(model, Split(images, y)).shape == (16, 2)
        assert decode(model, torch.zeros(16, 2), y).shape == images.shape
    torch.testing.assert_close(encode(vae, images), encode(vae, images))  # the mean code mu, not a sample
