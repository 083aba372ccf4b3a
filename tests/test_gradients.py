"""Both estimators against gradients known in closed form: E over N(mu, sigma^2) of a quadratic, and the loss of a
linear decoder, whose expected squared error is a quadratic in z."""

import math

import pytest
import torch
from conftest import says
from torch import nn

from vae_lab.beyond import gradients
from vae_lab.beyond.gradients import loss_gradient_draws, reparameterization_draws, score_function_draws
from vae_lab.data import IMAGE_SHAPE, IMAGE_SIZE

DRAWS = 200_000


def gaussians(batch=2, dims=3, seed=0):
    generator = torch.Generator().manual_seed(seed)
    mu = torch.randn(batch, dims, generator=generator, dtype=torch.float64)
    log_sigma = torch.randn(batch, dims, generator=generator, dtype=torch.float64) * 0.5
    return mu, log_sigma


A = torch.tensor([0.5, 2.0, 1.0], dtype=torch.float64)  # f(z) = sum_j A_j (z_j - C_j)^2
C = torch.tensor([1.0, -0.5, 0.0], dtype=torch.float64)


def quadratic(z):
    return (A * (z - C) ** 2).sum(dim=-1)


def quadratic_gradient(mu, log_sigma):
    """E f = sum_j A_j ((mu_j - C_j)^2 + sigma_j^2), so d/dmu = 2 A (mu - C) and d/dlog sigma = 2 A sigma^2."""
    return 2 * A * (mu - C), 2 * A * torch.exp(2 * log_sigma)


def assert_unbiased(draws, expected):
    """The mean of the draws lies within 5 standard errors of the expected gradient, for every entry."""
    mean, stderr = draws.mean(dim=0), draws.std(dim=0) / math.sqrt(len(draws))
    assert ((mean - expected).abs() < 5 * stderr + 1e-9).all(), (mean, expected, stderr)


@pytest.mark.parametrize("estimate", [
    lambda mu, log_sigma: score_function_draws(quadratic, mu, log_sigma, DRAWS),
    lambda mu, log_sigma: score_function_draws(quadratic, mu, log_sigma, DRAWS, baseline=True),
    lambda mu, log_sigma: reparameterization_draws(quadratic, mu, log_sigma, DRAWS),
], ids=["score function", "score function with baseline", "reparameterization"])
def test_both_estimators_converge_to_the_closed_form_gradient_of_a_quadratic(estimate):
    torch.manual_seed(0)
    mu, log_sigma = gaussians()
    grad_mu, grad_log_sigma = estimate(mu, log_sigma)
    assert grad_mu.shape == grad_log_sigma.shape == (DRAWS, *mu.shape)
    expected_mu, expected_log_sigma = quadratic_gradient(mu, log_sigma)
    assert_unbiased(grad_mu, expected_mu)
    assert_unbiased(grad_log_sigma, expected_log_sigma)


def test_the_tricks_spread_is_the_slopes_spread():
    """Each reparameterized draw of d f / d mu is 2 A (z - C): its variance is 4 A^2 sigma^2."""
    torch.manual_seed(1)
    mu, log_sigma = gaussians()
    grad_mu, _ = reparameterization_draws(quadratic, mu, log_sigma, DRAWS)
    torch.testing.assert_close(grad_mu.var(dim=0), 4 * A**2 * torch.exp(2 * log_sigma), rtol=0.02, atol=0)


def test_a_linear_function_gives_the_trick_zero_spread_and_the_score_function_some():
    torch.manual_seed(2)
    mu, log_sigma = gaussians()
    linear = lambda z: (A * z).sum(dim=-1)  # noqa: E731
    trick, _ = reparameterization_draws(linear, mu, log_sigma, 1000)
    score, _ = score_function_draws(linear, mu, log_sigma, 1000)
    torch.testing.assert_close(trick, A.expand_as(trick))  # d f / d mu = A for every draw
    assert (score.var(dim=0) > 0.1).all()


def linear_decoder(dims, seed=0):
    """z -> W z + b as an image, float64: its squared error is a quadratic in z (no sigmoid)."""
    torch.manual_seed(seed)
    layer = nn.Linear(dims, IMAGE_SIZE).double()
    nn.init.normal_(layer.weight, std=0.05)
    return nn.Sequential(layer, nn.Unflatten(1, IMAGE_SHAPE)), layer


def linear_loss_gradient(layer, x, mu, log_sigma):
    """E |W z + b - x|^2 + KL = |W mu + b - x|^2 + sum_j |W_j|^2 sigma_j^2 + KL(mu, log sigma), differentiated by hand.

    KL_j = (sigma_j^2 + mu_j^2 - 1) / 2 - log sigma_j, so dKL/dmu = mu and dKL/dlog sigma = sigma^2 - 1."""
    W, b, sigma2 = layer.weight.detach(), layer.bias.detach(), torch.exp(2 * log_sigma)
    residual = mu @ W.T + b - x.flatten(start_dim=1)  # (B, 784)
    column_norms = (W**2).sum(dim=0)  # (d,)
    return 2 * residual @ W + mu, 2 * column_norms * sigma2 + sigma2 - 1


@pytest.mark.parametrize("estimator, baseline, draws", [
    ("reparameterization", False, 20_001), ("score function", False, 50_001), ("score function", True, 50_001)])
def test_the_loss_gradients_of_a_linear_decoder_converge_to_the_closed_form(estimator, baseline, draws, monkeypatch):
    monkeypatch.setattr(gradients, "MAX_DECODED", 30_000)  # chunks of 10,000 draws, the last of 1 made 2
    decoder, layer = linear_decoder(dims=2)
    generator = torch.Generator().manual_seed(3)
    x = torch.rand(3, *IMAGE_SHAPE, generator=generator, dtype=torch.float64)
    mu, log_sigma = torch.randn(3, 2, generator=generator, dtype=torch.float64), torch.full((3, 2), -1.0).double()
    torch.manual_seed(4)
    grad_mu, grad_log_sigma = loss_gradient_draws(decoder, x, mu, log_sigma, draws, estimator, baseline)
    assert grad_mu.shape == grad_log_sigma.shape == (draws, 3, 2)
    expected_mu, expected_log_sigma = linear_loss_gradient(layer, x, mu, log_sigma)
    assert_unbiased(grad_mu, expected_mu)
    assert_unbiased(grad_log_sigma, expected_log_sigma)


def test_the_score_functions_spread_is_larger_on_a_vaes_loss():
    """The measured claim of notebook 8, in small: on a squared error of hundreds of nats, f(z) grad log q(z) swings
    far more than the slope of f."""
    decoder, layer = linear_decoder(dims=2)
    x = torch.rand(4, *IMAGE_SHAPE, dtype=torch.float64)
    mu, log_sigma = torch.zeros(4, 2, dtype=torch.float64), torch.full((4, 2), -1.0, dtype=torch.float64)
    torch.manual_seed(5)
    score, _ = loss_gradient_draws(decoder, x, mu, log_sigma, 2000, "score function")
    trick, _ = loss_gradient_draws(decoder, x, mu, log_sigma, 2000, "reparameterization")
    assert (score.var(dim=0) > 100 * trick.var(dim=0)).all()


def test_chunks_never_leave_a_lone_draw():
    assert gradients.chunk_sizes(10, 3) == [3, 3, 2, 2]
    assert gradients.chunk_sizes(9, 3) == [3, 3, 3] and gradients.chunk_sizes(1, 3) == [1]
    assert sum(gradients.chunk_sizes(30_001, 2)) == 30_001


@pytest.mark.parametrize("call, error, parts", [  # the arguments at fault, what was given, what they must be
    (lambda d, x, m: loss_gradient_draws(d, x, m, m, 10, "reinforce"), ValueError,
     ["estimator", "'reinforce'", "'reparameterization'"]),
    (lambda d, x, m: loss_gradient_draws(d, x, m, m, 10, "reparameterization", baseline=True), ValueError,
     ["baseline=True", "score function"]),
    (lambda d, x, m: loss_gradient_draws(d, x, m[:2], m[:2], 10, "reparameterization"), ValueError,
     ["x", "mu", "3 images", "2 rows"]),
    (lambda d, x, m: loss_gradient_draws(d, x, m, m[:, :1], 10, "reparameterization"), ValueError,
     ["mu", "log_sigma", "(3, 2)", "(3, 1)", "mu.view_as(log_sigma)"]),
    (lambda d, x, m: loss_gradient_draws(d, x, m, m, 0, "reparameterization"), ValueError, ["draws", "0", ">= 1"]),
    (lambda d, x, m: score_function_draws(quadratic, m, m, 1, baseline=True), ValueError, ["draws", "1", ">= 2"]),
])
def test_bad_arguments_are_named(call, error, parts):
    decoder, _ = linear_decoder(dims=2)
    with pytest.raises(error) as raised:
        call(decoder, torch.rand(3, *IMAGE_SHAPE, dtype=torch.float64), torch.zeros(3, 2, dtype=torch.float64))
    says(raised, *parts)
