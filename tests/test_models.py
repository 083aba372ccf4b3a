import inspect

import pytest
import torch
import torch.nn.functional as F

from vae_lab.data import IMAGE_SIZE
from vae_lab.losses import kl_divergence
from vae_lab.models import HIDDEN, Autoencoder, Decoder, Encoder, VariationalAutoencoder, VariationalEncoder


def test_the_lectures_forward_passes_read_like_the_lecture():
    source = inspect.getsource(VariationalEncoder.forward)
    assert len(source.splitlines()) <= 15
    for piece in ("linear1", "linear2", "linear3", "exp", "self.kl"):
        assert piece in source
    assert all(piece in inspect.getsource(Decoder.forward) for piece in ("linear1", "linear2", "sigmoid"))


def test_the_vae_computes_the_lectures_code_with_the_true_kl(images):
    """The lecture's forward written out independently, on the same weights and the same noise."""
    vae = VariationalAutoencoder(2)
    torch.manual_seed(3)
    x_hat = vae(images)
    e, d = vae.encoder, vae.decoder
    h = F.relu(e.linear1(torch.flatten(images, start_dim=1)))
    mu, sigma = e.linear2(h), torch.exp(e.linear3(h))
    torch.manual_seed(3)
    z = mu + sigma * torch.distributions.Normal(0, 1).sample(mu.shape)
    expected = torch.sigmoid(d.linear2(F.relu(d.linear1(z)))).reshape(-1, 1, 28, 28)
    torch.testing.assert_close(x_hat, expected)
    q, p = torch.distributions.Normal(mu, sigma), torch.distributions.Normal(0, 1)
    reference = torch.distributions.kl_divergence(q, p)
    torch.testing.assert_close(e.kl, reference.sum())


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


@pytest.mark.parametrize("latent_dims, error", [(0, ValueError), (-3, ValueError), (785, ValueError), (2.5, TypeError),
                                                ("2", TypeError), (True, TypeError), (None, TypeError)])
@pytest.mark.parametrize("cls", [Encoder, Decoder, Autoencoder, VariationalEncoder, VariationalAutoencoder])
def test_bad_latent_dims_are_named(cls, latent_dims, error):
    with pytest.raises(error, match="latent_dims"):
        cls(latent_dims)


@pytest.mark.parametrize(
    "x, message",
    [
        (torch.rand(4, 1, 32, 32), r"28x28 images.*\(4, 1, 32, 32\)"),
        (torch.rand(1, 28, 28)[0], r"got shape \(28, 28\)"),
        (torch.rand(784), r"got shape \(784,\)"),
        (torch.rand(0, 1, 28, 28), "non-empty batch"),
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


@pytest.mark.parametrize("hidden, error", [(0, ValueError), (10**6, ValueError), (2.5, TypeError), ("400", TypeError),
                                           (None, TypeError), (True, TypeError)])
def test_bad_hidden_is_named(hidden, error):
    with pytest.raises(error, match="hidden must be a whole number"):
        VariationalAutoencoder(2, hidden=hidden)


