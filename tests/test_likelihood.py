import math

import pytest
import torch
from synthetic import blobs
from torch.distributions import Normal

from vae_lab.likelihood import iwae_estimate, log_weights
from vae_lab.losses import log_likelihood
from vae_lab.models import Autoencoder, ConditionalVariationalAutoencoder, VariationalAutoencoder, VariationalEncoder
from vae_lab.training import evaluate, set_seed, train


def sample_images(n: int = 256):
    return blobs(n, contrast=0.8).images


def quadrature_log_px(model, x, likelihood):
    """log p(x) = log of the integral of p(x | z) p(z) over a 1-D latent, on a fine grid: no encoder involved."""
    z = torch.linspace(-8, 8, 4001).unsqueeze(1)
    with torch.no_grad():
        x_hat = model.decoder(z)
    log_joint = log_likelihood(x_hat, x.expand(len(z), -1, -1, -1), likelihood) + Normal(0.0, 1.0).log_prob(z[:, 0])
    return (torch.logsumexp(log_joint, dim=0) + math.log(z[1, 0] - z[0, 0])).item()


def posterior_moments(model, x, likelihood):
    """Mean and standard deviation of p(z | x) for a 1-D latent, on the same grid."""
    z = torch.linspace(-8, 8, 4001)
    with torch.no_grad():
        x_hat = model.decoder(z.unsqueeze(1))
    log_joint = log_likelihood(x_hat, x.expand(len(z), -1, -1, -1), likelihood) + Normal(0.0, 1.0).log_prob(z)
    weights = torch.softmax(log_joint, dim=0)
    mean = (weights * z).sum()
    return mean, ((weights * (z - mean) ** 2).sum()).sqrt()


class FixedEncoder(VariationalEncoder):
    """An encoder whose q(z | x) is given, to test the estimator apart from how well an encoder was trained."""

    def __init__(self, mu, sigma):
        super().__init__(1)
        self.fixed = (mu, sigma)

    def forward(self, x):
        mu, sigma = self.fixed
        self.mu, self.sigma = mu.expand(len(x), 1), sigma.expand(len(x), 1)
        self.log_sigma = self.sigma.log()
        return self.mu


@pytest.mark.parametrize("likelihood", ["gaussian", "bernoulli"])
def test_iwae_matches_the_exact_log_likelihood_of_a_1d_model(likelihood):
    set_seed(0)
    data = sample_images() if likelihood == "gaussian" else (sample_images() > 0.5).float()
    model = VariationalAutoencoder(1)
    train(model, data, epochs=3, batch_size=64, lr=3e-3, progress=False, likelihood=likelihood)
    x = data[:1]
    exact = quadrature_log_px(model, x, likelihood)
    mean, std = posterior_moments(model, x, likelihood)
    model.encoder = FixedEncoder(mean, 1.5 * std)  # a good proposal: the posterior, a little wider
    estimate = iwae_estimate(model, x, k=2000, likelihood=likelihood)
    assert estimate["log_px"] == pytest.approx(exact, abs=0.05)
    assert estimate["elbo"] < exact


def test_a_trained_encoder_gives_a_lower_bound_close_to_the_exact_value():
    set_seed(0)
    data = sample_images()
    model = VariationalAutoencoder(1)
    train(model, data, epochs=3, batch_size=64, lr=3e-3, progress=False)
    x = data[:4]
    exact = sum(quadrature_log_px(model, image.unsqueeze(0), "gaussian") for image in x) / len(x)
    estimate = iwae_estimate(model, x, k=5000)
    assert estimate["elbo"] < estimate["log_px"] < exact + 0.05
    assert estimate["log_px"] == pytest.approx(exact, abs=0.3)


def test_the_bound_tightens_with_k_and_matches_the_training_loss():
    set_seed(0)
    model = VariationalAutoencoder(2)
    data = sample_images()
    train(model, data, epochs=2, batch_size=64, progress=False)
    one, many = iwae_estimate(model, data, k=1), iwae_estimate(model, data, k=200)
    assert one["log_px"] == pytest.approx(one["elbo"]) and one["gap"] == pytest.approx(0)
    assert many["log_px"] > one["log_px"]
    # ELBO = -(SSE + KL) - (D/2) log(pi); evaluate samples z too, so the two agree only on average
    expected = -evaluate(model, data)["total"] - 784 / 2 * math.log(math.pi)
    assert many["elbo"] == pytest.approx(expected, abs=1.0)


def test_log_weights_shape():
    model = VariationalAutoencoder(3)
    assert log_weights(model, sample_images(5), k=7).shape == (7, 5)


@pytest.mark.parametrize(
    "model, kwargs, error, message",
    [
        (VariationalAutoencoder(2), {"k": 0}, ValueError, "k must be a whole number >= 1"),
        (VariationalAutoencoder(2), {"likelihood": "poisson"}, ValueError, "likelihood must be one of"),
        (Autoencoder(2), {}, TypeError, "needs a VariationalAutoencoder, got a Autoencoder"),
    ],
)
def test_bad_arguments(model, kwargs, error, message):
    with pytest.raises(error, match=message):
        iwae_estimate(model, sample_images(4), **kwargs)


def test_a_conditional_model_is_refused_by_name():
    with pytest.raises(ValueError, match="iwae_estimate works with models that take images only"):
        iwae_estimate(ConditionalVariationalAutoencoder(2), sample_images(4), k=2)
