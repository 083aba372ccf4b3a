import math
from functools import partial

import pytest
import torch
from conftest import says
from synthetic import blobs
from torch.distributions import Bernoulli, Normal

from vae_lab.beyond.likelihood import (
    bce,
    iwae_estimate,
    likelihood_loss,
    log_likelihood,
    log_weights,
    optimal_sigma,
    optimal_sigma_nll,
    reconstruction_loss,
    sse,
)
from vae_lab.beyond.variants import ConditionalVariationalAutoencoder
from vae_lab.data import IMAGE_SIZE
from vae_lab.models import Autoencoder, VariationalAutoencoder, VariationalEncoder
from vae_lab.training import evaluate, set_seed, train

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
    train(model, data, epochs=3, batch_size=64, lr=3e-3, progress=False,
          loss=partial(likelihood_loss, likelihood=likelihood))
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
    "kwargs, error, parts",
    [  # the argument, the value given, what it must be
        ({"k": 0}, ValueError, ["k", "0", "10,000"]),
        ({"k": 2.5}, TypeError, ["k", "2.5", "float"]),
        ({"batch_size": 0}, ValueError, ["batch_size", "0", ">= 1"]),
        ({"likelihood": "poisson"}, ValueError, ["likelihood", "'poisson'", "'gaussian'", "'bernoulli'"]),
    ],
)
def test_bad_arguments_are_named(vae, kwargs, error, parts):
    with pytest.raises(error) as raised:
        iwae_estimate(vae, sample_images(4), **kwargs)
    says(raised, *parts)


@pytest.mark.parametrize(
    "model, error, parts",
    [
        (Autoencoder(2, hidden=16), TypeError, ["Autoencoder", "VariationalAutoencoder(2)"]),
        (ConditionalVariationalAutoencoder(2, hidden=16), ValueError, ["images only",
                                                                       "ConditionalVariationalAutoencoder"]),
    ],
)
def test_a_model_without_an_estimate_is_named(model, error, parts):
    with pytest.raises(error) as raised:
        iwae_estimate(model, sample_images(4))
    says(raised, "iwae_estimate", *parts)


def test_pixels_outside_0_1_are_refused(vae):
    x = sample_images(4) * 255
    with pytest.raises(ValueError) as error:
        iwae_estimate(vae, x, k=2)
    says(error, "data", f"{x.max().item():g}", "[0, 1]", "by 255")


def test_bits_per_dim_of_a_fair_coin_per_pixel_is_one():
    """A model that calls each of 784 pixels black or white with probability 1/2 costs 784 log 2 nats: 1 bit each."""
    from vae_lab.beyond.likelihood import bits_per_dim

    coin = torch.distributions.Bernoulli(probs=torch.full((IMAGE_SIZE,), 0.5))
    nats = -coin.log_prob(torch.ones(IMAGE_SIZE)).sum().item()
    assert bits_per_dim(nats) == pytest.approx(1.0)
    assert bits_per_dim(87.0) == pytest.approx(87.0 / 784 / math.log(2))
    assert bits_per_dim(10.0, dims=10) == pytest.approx(1 / math.log(2))
    with pytest.raises(TypeError) as error:
        bits_per_dim("87")
    says(error, "nats_per_image", "'87'", "str")


def test_the_optimal_sigma_likelihood_is_refused_with_a_reason(vae):
    with pytest.raises(ValueError) as error:
        iwae_estimate(vae, torch.rand(4, 1, 28, 28), k=2, likelihood="optimal-sigma")
    says(error, "iwae_estimate", "'optimal-sigma'", "each image", "'gaussian'", "'bernoulli'")


def images_and_reconstructions(seed=0):
    """Images x in [0, 1] and pixel probabilities x_hat in [0.01, 0.99], shape (4, 1, 28, 28), float64."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.rand(4, 1, 28, 28, generator=generator, dtype=torch.float64)
    x_hat = torch.rand(4, 1, 28, 28, generator=generator, dtype=torch.float64).clamp(0.01, 0.99)
    return x_hat, x


def test_sse_sums_squared_errors_over_pixels_and_batch(images):
    x_hat = torch.rand_like(images)
    expected = sum(((a - b) ** 2).sum() for a, b in zip(x_hat, images))
    torch.testing.assert_close(sse(x_hat, images), expected)
    torch.testing.assert_close(sse(x_hat, images, per_image=True), torch.stack([((a - b) ** 2).sum()
                                                                                for a, b in zip(x_hat, images)]))


def test_bce_is_the_bernoulli_negative_log_likelihood():
    probs, _ = images_and_reconstructions()
    x = (torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(1), dtype=torch.float64) > 0.5).double()
    nll = -Bernoulli(probs=probs).log_prob(x).flatten(start_dim=1).sum(dim=1)
    torch.testing.assert_close(bce(probs, x), nll.sum())
    torch.testing.assert_close(bce(probs, x, per_image=True), nll)


def test_reconstruction_loss_picks_the_likelihood():
    x_hat, x = images_and_reconstructions()
    torch.testing.assert_close(reconstruction_loss(x_hat, x, "gaussian"), sse(x_hat, x))
    torch.testing.assert_close(reconstruction_loss(x_hat, x, "bernoulli"), bce(x_hat, x))
    torch.testing.assert_close(reconstruction_loss(x_hat, x, "bernoulli", per_image=True), bce(x_hat, x, True))


@pytest.mark.parametrize("function", [reconstruction_loss, log_likelihood])
def test_an_unknown_likelihood_is_named_with_the_choices(function):
    x_hat, x = images_and_reconstructions()
    with pytest.raises(ValueError) as error:
        function(x_hat, x, "poisson")
    says(error, "likelihood", "'poisson'", "'gaussian'", "'bernoulli'", "'optimal-sigma'")


def test_gaussian_log_likelihood_is_the_density_of_n_x_hat_half():
    # the lecture's summed squared error is -log N(x; x_hat, I/2) up to a constant
    x_hat, x = images_and_reconstructions()
    expected = Normal(x_hat, math.sqrt(0.5)).log_prob(x).flatten(start_dim=1).sum(dim=1)
    torch.testing.assert_close(log_likelihood(x_hat, x, "gaussian"), expected)


def test_bernoulli_log_likelihood_is_the_bernoulli_density():
    probs, _ = images_and_reconstructions()
    x = (torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(1), dtype=torch.float64) > 0.5).double()
    expected = Bernoulli(probs=probs).log_prob(x).flatten(start_dim=1).sum(dim=1)
    torch.testing.assert_close(log_likelihood(probs, x, "bernoulli"), expected)


@pytest.mark.parametrize("loss", [sse, bce])
@pytest.mark.parametrize("x_hat_shape", [(4, 784), (4, 28, 28), (1, 1, 28, 28)])
def test_reconstructions_of_another_shape_are_named_not_broadcast(loss, x_hat_shape):
    x = torch.rand(4, 1, 28, 28)
    with pytest.raises(ValueError) as error:
        loss(torch.rand(x_hat_shape), x)
    says(error, "x_hat", str(x_hat_shape), "(4, 1, 28, 28)", "x_hat.view_as(x)")


def test_optimal_sigma_nll_is_the_gaussian_nll_at_the_batchs_root_mean_squared_error():
    x_hat, x = images_and_reconstructions()
    sigma = ((x - x_hat) ** 2).mean().sqrt()  # the maximum-likelihood sigma of the batch
    expected = -Normal(x_hat, sigma).log_prob(x).flatten(start_dim=1).sum(dim=1)
    torch.testing.assert_close(optimal_sigma_nll(x_hat, x, per_image=True), expected)
    torch.testing.assert_close(optimal_sigma_nll(x_hat, x), expected.sum())
    assert optimal_sigma(x_hat, x) == pytest.approx(sigma.item())


def test_optimal_sigma_is_the_best_sigma_and_its_gradient_is_a_beta_vae_step():
    """No other sigma gives a lower NLL; the gradient is that of sse / (2 sigma^2), i.e. beta = 2 sigma^2."""
    x_hat, x = images_and_reconstructions(seed=1)
    best = optimal_sigma_nll(x_hat, x)
    sigma = optimal_sigma(x_hat, x)
    for factor in (0.9, 0.99, 1.01, 1.1):
        assert -Normal(x_hat, factor * sigma).log_prob(x).sum() > best
    x_hat.requires_grad_(True)
    (gradient,) = torch.autograd.grad(optimal_sigma_nll(x_hat, x), x_hat)
    (sse_gradient,) = torch.autograd.grad(sse(x_hat, x) / (2 * sigma**2), x_hat)
    torch.testing.assert_close(gradient, sse_gradient)


def test_optimal_sigma_has_a_floor_for_a_perfect_reconstruction():
    x = torch.rand(2, 1, 28, 28)
    assert math.isfinite(optimal_sigma_nll(x, x).item())
    assert reconstruction_loss(x, x, "optimal-sigma").item() == pytest.approx(optimal_sigma_nll(x, x).item())


def test_likelihood_loss_is_the_chosen_reconstruction_plus_beta_kl(vae, images):
    for likelihood, reconstruction in (("gaussian", sse), ("bernoulli", bce), ("optimal-sigma", optimal_sigma_nll)):
        torch.manual_seed(1)
        total, recon, kl = likelihood_loss(vae, images, likelihood=likelihood, beta=3.0)
        torch.manual_seed(1)
        x_hat = vae(images)
        torch.testing.assert_close(recon, reconstruction(x_hat, images))
        torch.testing.assert_close(kl, vae.encoder.kl)
        torch.testing.assert_close(total, recon + 3.0 * kl)
    # no KL term: it counts 0
    total, recon, kl = likelihood_loss(Autoencoder(2, hidden=16), images, likelihood="bernoulli")
    assert kl.item() == 0 and torch.equal(total, recon)


def test_bernoulli_likelihood_trains_on_the_cross_entropy():
    set_seed(0)
    model, data = VariationalAutoencoder(2), blobs()
    loss = partial(likelihood_loss, likelihood="bernoulli")
    history = train(model, data, epochs=3, batch_size=64, lr=3e-3, progress=False, loss=loss)
    assert history.total[-1] < history.total[0]
    with torch.no_grad():
        expected = torch.nn.functional.binary_cross_entropy(model(data.images), data.images, reduction="sum")
    assert evaluate(model, data, loss=loss)["recon"] == pytest.approx(expected.item() / len(data), rel=0.05)


def test_the_optimal_sigma_likelihood_trains(vae):
    model = vae
    history = train(model, blobs(), epochs=3, batch_size=64, lr=3e-3, progress=False,
                    loss=partial(likelihood_loss, likelihood="optimal-sigma"))
    assert history.recon[-1] < history.recon[0]


def test_an_unknown_likelihood_stops_training_with_its_name(vae):
    before = [p.clone() for p in vae.parameters()]
    for run in (train, evaluate):
        with pytest.raises(ValueError) as error:
            run(vae, blobs(8), loss=partial(likelihood_loss, likelihood="laplace"))
        says(error, "likelihood", "'laplace'", "'gaussian'")
    assert all(torch.equal(a, b) for a, b in zip(before, vae.parameters()))  # no step was taken
