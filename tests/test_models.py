import pytest
import torch
import torch.nn.functional as F

from vae_lab.losses import kl_divergence
from vae_lab.models import (
    CLASSES,
    CONV_CHANNELS,
    HIDDEN,
    IMAGE_SIZE,
    Autoencoder,
    ConditionalVariationalAutoencoder,
    ConvolutionalVariationalAutoencoder,
    Decoder,
    Encoder,
    VariationalAutoencoder,
    VariationalEncoder,
)


@pytest.mark.parametrize("latent_dims", [1, 2, 5])
def test_shapes_and_ranges(images, latent_dims):
    assert Encoder(latent_dims)(images).shape == (16, latent_dims)
    x_hat = Decoder(latent_dims)(torch.randn(16, latent_dims))
    assert x_hat.shape == (16, 1, 28, 28)
    assert 0 <= x_hat.min() and x_hat.max() <= 1
    for model in (Autoencoder(latent_dims), VariationalAutoencoder(latent_dims)):
        assert model(images).shape == images.shape
        assert model.encode(images).shape == (16, latent_dims)


def test_the_lectures_layer_names_and_sizes():
    encoder, decoder = VariationalEncoder(2), Decoder(2)
    assert (encoder.linear1.in_features, encoder.linear1.out_features) == (IMAGE_SIZE, HIDDEN)
    assert (encoder.linear2.in_features, encoder.linear2.out_features) == (HIDDEN, 2)
    assert (encoder.linear3.in_features, encoder.linear3.out_features) == (HIDDEN, 2)
    assert (decoder.linear1.in_features, decoder.linear2.out_features) == (2, IMAGE_SIZE)
    assert (Encoder(3).linear1.in_features, Encoder(3).linear2.out_features) == (IMAGE_SIZE, 3)


def test_flat_and_unchannelled_images_are_accepted(images):
    model = Autoencoder(2)
    expected = model.encode(images)
    torch.testing.assert_close(model.encode(images.reshape(16, 784)), expected)
    torch.testing.assert_close(model.encode(images.reshape(16, 28, 28)), expected)


def test_variational_encoder_keeps_mu_sigma_and_the_kl(images):
    torch.manual_seed(0)
    encoder = VariationalEncoder(2)
    z = encoder(images)
    assert z.shape == encoder.mu.shape == encoder.sigma.shape == (16, 2)
    assert (encoder.sigma > 0).all()
    assert (encoder.mu < 0).any() and (encoder.mu > 0).any()  # no ReLU on mu
    hidden = torch.relu(encoder.linear1(images.flatten(1)))
    torch.testing.assert_close(encoder.sigma, torch.exp(encoder.linear3(hidden)))
    torch.testing.assert_close(encoder.kl, kl_divergence(encoder.mu, encoder.log_sigma).sum())


def test_vae_samples_but_encode_gives_the_mean(images):
    model = VariationalAutoencoder(2)
    torch.testing.assert_close(model.encode(images), model.encode(images))
    assert not torch.equal(model(images), model(images))


def test_sigma_cannot_overflow(images):
    encoder = VariationalEncoder(2)
    with torch.no_grad():
        encoder.linear3.bias.fill_(1e4)  # exp(1e4) would be inf
    encoder(images)
    assert torch.isfinite(encoder.sigma).all() and torch.isfinite(encoder.kl)


def test_uint8_pixels_are_scaled(images):
    model = Autoencoder(2)
    pixels = (images * 255).round().to(torch.uint8)
    torch.testing.assert_close(model(pixels), model(pixels.float() / 255))


@pytest.mark.parametrize("latent_dims", [0, -3, 2.5, "2", True, None])
@pytest.mark.parametrize("cls", [Encoder, Decoder, Autoencoder, VariationalEncoder, VariationalAutoencoder])
def test_bad_latent_dims_are_named(cls, latent_dims):
    with pytest.raises((TypeError, ValueError), match="latent_dims"):
        cls(latent_dims)


@pytest.mark.parametrize(
    "x, message",
    [
        (torch.rand(4, 1, 32, 32), r"28x28 images.*\(4, 1, 32, 32\)"),
        (torch.rand(1, 28, 28)[0], r"got shape \(28, 28\)"),
        (torch.rand(784), r"got shape \(784,\)"),
        (torch.rand(0, 1, 28, 28), "empty batch"),
        (torch.randint(0, 255, (2, 1, 28, 28)), "dtype torch.int64"),
        ([[0.0] * 784], "must be a torch.Tensor"),
    ],
)
@pytest.mark.parametrize("cls", [Autoencoder, VariationalAutoencoder])
def test_bad_images_get_a_clear_error(cls, x, message):
    with pytest.raises((TypeError, ValueError), match=message):
        cls(2)(x)


@pytest.mark.parametrize("z", [torch.randn(4, 3), torch.randn(4), torch.randn(0, 2)])
def test_decoder_checks_its_codes(z):
    with pytest.raises(ValueError, match="z "):
        Decoder(2)(z)


@pytest.mark.parametrize("cls", [Autoencoder, VariationalAutoencoder])
def test_the_hidden_width_can_be_chosen(images, cls):
    model = cls(20, hidden=400)  # pytorch/examples' VAE
    assert model.encoder.linear1.out_features == model.decoder.linear1.out_features == 400
    assert model(images).shape == images.shape and model.hidden == 400


@pytest.mark.parametrize("hidden", [0, 2.5, "400", None, True])
def test_bad_hidden_is_named(hidden):
    with pytest.raises(ValueError, match="hidden must be a whole number >= 1"):
        VariationalAutoencoder(2, hidden=hidden)


def test_conditional_models_append_the_one_hot_digit(images):
    torch.manual_seed(0)
    model = ConditionalVariationalAutoencoder(2)
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
    "y, error, message",
    [
        (None, TypeError, "needs the digit of each image"),
        (torch.zeros(3, dtype=torch.long), ValueError, r"one label per image, shape \(16,\)"),
        (torch.zeros(16), TypeError, "whole-number labels"),
        (torch.full((16,), 10), ValueError, r"labels in 0\.\.9"),
        (torch.full((16,), -1), ValueError, r"labels in 0\.\.9"),
    ],
)
def test_conditional_models_explain_bad_labels(images, y, error, message):
    with pytest.raises(error, match=message):
        ConditionalVariationalAutoencoder(2)(images, y)


@pytest.mark.parametrize("classes", [1, 2.5, True])
def test_classes_is_checked(classes):
    with pytest.raises(ValueError, match="classes must be a whole number >= 2"):
        ConditionalVariationalAutoencoder(2, classes=classes)


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
