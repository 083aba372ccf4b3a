import math

import pytest
import torch
from synthetic import blobs
from torch.distributions import Normal

from vae_lab.data import IMAGE_SIZE
from vae_lab.beyond.likelihood import iwae_estimate, log_weights
from vae_lab.losses import log_likelihood
from vae_lab.models import Autoencoder, VariationalAutoencoder, VariationalEncoder
from vae_lab.training import evaluate, set_seed, train
from vae_lab.beyond.variants import ConditionalVariationalAutoencoder

GRID = torch.linspace(-8, 8, 4001)  # a 1-D latent space, finely enough for exact integration


def sample_images(n: int = 256):
    return blobs(n, contrast=0.8).images


def log_joint_on_grid(model, x, likelihood):
    """log p(x | z) + log p(z) at every z of GRID, for one image x: the decoder and the prior only, no encoder."""
    with torch.no_grad():
        x_hat = model.decoder(GRID.unsqueeze(1))
    return log_likelihood(x_hat, x.expand(len(GRID), -1, -1, -1), likelihood) + Normal(0.0, 1.0).log_prob(GRID)


def quadrature_log_px(model, x, likelihood):
    """log p(x) = log of the integral of p(x | z) p(z) dz, by the rectangle rule on GRID."""
    log_joint = log_joint_on_grid(model, x, likelihood)
    return (torch.logsumexp(log_joint, dim=0) + math.log(GRID[1] - GRID[0])).item()


def posterior_moments(model, x, likelihood):
    """Mean and standard deviation of p(z | x) on GRID."""
    weights = torch.softmax(log_joint_on_grid(model, x, likelihood), dim=0)
    mean = (weights * GRID).sum()
    return mean, ((weights * (GRID - mean) ** 2).sum()).sqrt()


class FixedEncoder(VariationalEncoder):
    """An encoder whose q(z | x) is given, to test the estimator apart from how well an encoder was trained."""

    def __init__(self, mu, sigma):
        super().__init__(1, hidden=1)
        self.fixed = (mu, sigma)

    def forward(self, x):
        mu, sigma = self.fixed
        self.mu, self.sigma = mu.expand(len(x), 1), sigma.expand(len(x), 1)
        self.log_sigma = self.sigma.log()
        return self.mu


@pytest.fixture(scope="module")
def trained_1d():
    """A 1-D VAE trained briefly on grey synthetic digits, and those digits."""
    set_seed(0)
    data = sample_images()
    model = VariationalAutoencoder(1, hidden=64)
    train(model, data, epochs=3, batch_size=64, lr=3e-3, progress=False)
    return model, data


@pytest.mark.parametrize("likelihood", ["gaussian", "bernoulli"])
def test_iwae_matches_the_exact_log_likelihood_of_a_1d_model(likelihood):
    set_seed(0)
    data = sample_images() if likelihood == "gaussian" else (sample_images() > 0.5).float()
    model = VariationalAutoencoder(1, hidden=64)
    train(model, data, epochs=3, batch_size=64, lr=3e-3, progress=False, likelihood=likelihood)
    x = data[:1]
    exact = quadrature_log_px(model, x, likelihood)
    mean, std = posterior_moments(model, x, likelihood)
    model.encoder = FixedEncoder(mean, 1.5 * std)  # a good proposal: the posterior, a little wider
    estimate = iwae_estimate(model, x, k=2000, likelihood=likelihood)
    assert estimate["log_px"] == pytest.approx(exact, abs=0.05)
    assert estimate["elbo"] < exact


def test_a_trained_encoder_gives_a_lower_bound_close_to_the_exact_value(trained_1d):
    model, data = trained_1d
    x = data[:4]
    exact = sum(quadrature_log_px(model, image.unsqueeze(0), "gaussian") for image in x) / len(x)
    estimate = iwae_estimate(model, x, k=5000)
    assert estimate["elbo"] < estimate["log_px"] < exact + 0.05
    assert estimate["log_px"] == pytest.approx(exact, abs=0.3)


def test_the_bound_tightens_with_k_and_matches_the_training_loss(trained_1d):
    model, data = trained_1d
    set_seed(1)
    one, many = iwae_estimate(model, data, k=1), iwae_estimate(model, data, k=200)
    assert one["log_px"] == pytest.approx(one["elbo"]) and one["gap"] == pytest.approx(0)
    assert many["log_px"] > one["log_px"] and many["gap"] > 0
    # ELBO = -(SSE + KL) - (D/2) log(pi); evaluate samples z too, so the two agree only on average
    expected = -evaluate(model, data)["total"] - IMAGE_SIZE / 2 * math.log(math.pi)
    assert many["elbo"] == pytest.approx(expected, abs=1.0)


def test_the_estimate_does_not_depend_on_the_batch_size(trained_1d):
    model, data = trained_1d
    x = data[:10]
    set_seed(2)
    whole = iwae_estimate(model, x, k=3000)
    set_seed(3)
    in_batches = iwae_estimate(model, x, k=3000, batch_size=3)
    assert in_batches["log_px"] == pytest.approx(whole["log_px"], abs=0.05)


def test_log_weights_are_one_per_sample_and_image():
    model = VariationalAutoencoder(3, hidden=16)
    assert log_weights(model, sample_images(5), k=7, likelihood="gaussian").shape == (7, 5)


@pytest.mark.parametrize(
    "model, kwargs, error, name",
    [
        (VariationalAutoencoder(2, hidden=16), {"k": 0}, ValueError, "k"),
        (VariationalAutoencoder(2, hidden=16), {"k": 2.5}, TypeError, "k"),
        (VariationalAutoencoder(2, hidden=16), {"batch_size": 0}, ValueError, "batch_size"),
        (VariationalAutoencoder(2, hidden=16), {"likelihood": "poisson"}, ValueError, "likelihood"),
        (Autoencoder(2, hidden=16), {}, TypeError, "variational"),
        (ConditionalVariationalAutoencoder(2, hidden=16), {}, ValueError, "images only"),
    ],
)
def test_bad_arguments_are_named(model, kwargs, error, name):
    with pytest.raises(error, match=rf"\b{name}\b"):
        iwae_estimate(model, sample_images(4), **kwargs)


def test_pixels_outside_0_1_are_refused():
    with pytest.raises(ValueError, match="expected \\[0, 1\\]"):
        iwae_estimate(VariationalAutoencoder(2, hidden=16), sample_images(4) * 255, k=2)


def test_bits_per_dim_of_a_fair_coin_per_pixel_is_one():
    """A model that calls each of 784 pixels black or white with probability 1/2 costs 784 log 2 nats: 1 bit each."""
    from vae_lab.beyond.likelihood import bits_per_dim

    coin = torch.distributions.Bernoulli(probs=torch.full((IMAGE_SIZE,), 0.5))
    nats = -coin.log_prob(torch.ones(IMAGE_SIZE)).sum().item()
    assert bits_per_dim(nats) == pytest.approx(1.0)
    assert bits_per_dim(87.0) == pytest.approx(87.0 / 784 / math.log(2))
    assert bits_per_dim(10.0, dims=10) == pytest.approx(1 / math.log(2))
    with pytest.raises(TypeError, match="nats_per_image"):
        bits_per_dim("87")


def test_the_optimal_sigma_likelihood_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="each image on its own"):
        iwae_estimate(VariationalAutoencoder(2), torch.rand(4, 1, 28, 28), k=2, likelihood="optimal-sigma")
