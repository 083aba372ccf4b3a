import math

import numpy as np
import pytest
import torch
from torch.distributions import Bernoulli, Normal
from torch.distributions import kl_divergence as torch_kl

from vae_lab.losses import (
    bce,
    kl_divergence,
    log_likelihood,
    optimal_sigma,
    optimal_sigma_nll,
    reconstruction_loss,
    reparameterize,
    sse,
)


def random_gaussians(batch=64, dims=3, seed=0):
    generator = torch.Generator().manual_seed(seed)
    mu = torch.randn(batch, dims, generator=generator, dtype=torch.float64) * 2
    log_sigma = torch.randn(batch, dims, generator=generator, dtype=torch.float64)
    return mu, log_sigma


def images_and_reconstructions(seed=0):
    """Images x in [0, 1] and pixel probabilities x_hat in [0.01, 0.99], shape (4, 1, 28, 28), float64."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.rand(4, 1, 28, 28, generator=generator, dtype=torch.float64)
    x_hat = torch.rand(4, 1, 28, 28, generator=generator, dtype=torch.float64).clamp(0.01, 0.99)
    return x_hat, x


@pytest.mark.parametrize("dims", [1, 2, 20])
def test_kl_matches_torch_distributions(dims):
    mu, log_sigma = random_gaussians(dims=dims)
    expected = torch_kl(Normal(mu, log_sigma.exp()), Normal(0.0, 1.0)).sum(dim=1)
    torch.testing.assert_close(kl_divergence(mu, log_sigma), expected)


def test_kl_matches_monte_carlo_estimate():
    mu = torch.tensor([[0.5, -1.5]], dtype=torch.float64)
    log_sigma = torch.tensor([[-0.7, 0.4]], dtype=torch.float64)
    q, p = Normal(mu, log_sigma.exp()), Normal(0.0, 1.0)
    z = q.sample((400_000,)).squeeze(1)
    log_ratio = (q.log_prob(z) - p.log_prob(z)).sum(dim=1)
    estimate, stderr = log_ratio.mean(), log_ratio.std() / math.sqrt(len(log_ratio))
    assert abs(kl_divergence(mu, log_sigma).item() - estimate.item()) < 4 * stderr.item()


def test_kl_is_zero_only_at_the_prior():
    zeros = torch.zeros(1, 4)
    assert kl_divergence(zeros, zeros).item() == 0.0
    assert kl_divergence(zeros + 0.1, zeros).item() > 0
    assert kl_divergence(zeros, zeros - 0.1).item() > 0


def test_kl_stays_finite_for_a_very_sharp_code():
    # in float32 exp(-110) underflows to 0, so a KL computed from sigma instead of log sigma would be inf
    mu, log_sigma = torch.zeros(1, 1), torch.full((1, 1), -110.0)
    expected = torch_kl(Normal(mu.double(), log_sigma.double().exp()), Normal(0.0, 1.0)).sum(dim=1)
    torch.testing.assert_close(kl_divergence(mu, log_sigma).double(), expected)


def test_kl_is_not_the_blog_formula():
    mu, log_sigma = random_gaussians()
    sigma = log_sigma.exp()
    blog = (sigma**2 + mu**2 - torch.log(sigma) - 0.5).sum(dim=1)
    assert not torch.allclose(kl_divergence(mu, log_sigma), blog)
    # What the blog formula really is: the KL to N(0, 1/2) plus (log 2) / 2 per dimension.
    kl_half = torch_kl(Normal(mu, sigma), Normal(0.0, math.sqrt(0.5))).sum(dim=1)
    torch.testing.assert_close(blog, kl_half + mu.shape[1] * math.log(2) / 2)


def test_reparameterize_has_the_right_mean_and_spread():
    torch.manual_seed(0)
    mu = torch.tensor([[2.0, -1.0]]).expand(200_000, 2)
    sigma = torch.tensor([[0.5, 3.0]]).expand(200_000, 2)
    z = reparameterize(mu, sigma)
    torch.testing.assert_close(z.mean(0), mu[0], atol=4 * 3.0 / math.sqrt(200_000), rtol=0)
    torch.testing.assert_close(z.std(0), sigma[0], rtol=0.01, atol=0)


def test_reparameterize_lets_gradients_reach_mu_and_sigma():
    mu = torch.zeros(5, 2, requires_grad=True)
    sigma = torch.ones(5, 2, requires_grad=True)
    torch.manual_seed(2)
    z = reparameterize(mu, sigma)
    z.sum().backward()
    eps = z.detach()  # with mu = 0 and sigma = 1, z is eps itself
    torch.testing.assert_close(mu.grad, torch.ones(5, 2))  # dz/dmu = 1
    torch.testing.assert_close(sigma.grad, eps)  # dz/dsigma = eps


def test_reparameterize_draws_eps_in_mu_s_dtype():
    # mu + sigma * eps would be promoted to float32 if eps were drawn in the default dtype
    mu = torch.zeros(3, 2, dtype=torch.bfloat16)
    assert reparameterize(mu, torch.ones_like(mu)).dtype == torch.bfloat16


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
    with pytest.raises(ValueError, match=r"likelihood must be one of .*gaussian.*bernoulli.*got 'poisson'"):
        function(x_hat, x, "poisson")


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


# effective_beta against the reductions written out with torch's own reducers: a loss reduced another way must
# have the gradient of the lecture's sum-reduced loss with beta = effective_beta, up to one positive factor.
REDUCED = {  # how people write each reduction, with torch's reducers (not vae_lab's formula)
    ("sum", "sum"): lambda sq, kl: sq.sum() + kl.sum(),
    ("per image", "per image"): lambda sq, kl: sq.sum(dim=1).mean() + kl.sum(dim=1).mean(),
    ("mean", "per image"): lambda sq, kl: sq.mean() + kl.sum(dim=1).mean(),  # F.mse_loss's default + KL per image
    ("mean", "mean"): lambda sq, kl: sq.mean() + kl.mean(),
    ("mean", "sum"): lambda sq, kl: sq.mean() + kl.sum(),
    ("sum", "per image"): lambda sq, kl: sq.sum() + kl.sum(dim=1).mean(),
    ("per image", "mean"): lambda sq, kl: sq.sum(dim=1).mean() + kl.mean(),
}


@pytest.mark.parametrize("reductions", sorted(REDUCED))
@pytest.mark.parametrize("batch, dims", [(16, 2), (5, 10)])
def test_effective_beta_gives_the_gradient_of_the_reduced_loss(reductions, batch, dims):
    from vae_lab.losses import effective_beta

    generator = torch.Generator().manual_seed(batch * dims)
    x = torch.rand(batch, 784, generator=generator, dtype=torch.float64)
    x_hat = torch.rand(batch, 784, generator=generator, dtype=torch.float64, requires_grad=True)
    mu = torch.randn(batch, dims, generator=generator, dtype=torch.float64, requires_grad=True)
    log_sigma = torch.randn(batch, dims, generator=generator, dtype=torch.float64, requires_grad=True)
    kl = torch_kl(Normal(mu, log_sigma.exp()), Normal(0.0, 1.0))  # (batch, dims)
    reduced = REDUCED[reductions]((x_hat - x) ** 2, kl)
    beta = effective_beta(*reductions, batch_size=batch, latent_dims=dims)
    lecture = ((x_hat - x) ** 2).sum() + beta * kl.sum()
    grads_reduced = torch.cat([g.flatten() for g in torch.autograd.grad(reduced, (x_hat, mu, log_sigma),
                                                                        retain_graph=True)])
    grads_lecture = torch.cat([g.flatten() for g in torch.autograd.grad(lecture, (x_hat, mu, log_sigma))])
    factor = grads_lecture.norm() / grads_reduced.norm()
    torch.testing.assert_close(grads_reduced * factor, grads_lecture)
    torch.testing.assert_close(reduced * factor, lecture)  # the losses too: one is the other times a constant


def test_effective_beta_of_the_common_choices():
    from vae_lab.losses import effective_beta

    assert effective_beta("sum", "sum", batch_size=128, latent_dims=20) == 1  # the lecture, pytorch/examples
    assert effective_beta("mean", "per image", batch_size=128, latent_dims=20) == 784  # F.mse_loss + KL per image
    assert effective_beta("mean", "mean", batch_size=128, latent_dims=20) == pytest.approx(784 / 20)
    assert effective_beta("mean", "sum", batch_size=128, latent_dims=20) == 784 * 128
    assert effective_beta("sum", "sum", batch_size=128, latent_dims=20, beta=4) == 4


@pytest.mark.parametrize("kwargs, error, name", [
    ({"reconstruction": "avg"}, ValueError, "reconstruction"),
    ({"kl": "Sum"}, ValueError, "kl"),
    ({"batch_size": 0}, ValueError, "batch_size"),
    ({"latent_dims": 2.0}, TypeError, "latent_dims"),
    ({"beta": -1}, ValueError, "beta"),
])
def test_effective_beta_names_a_bad_argument(kwargs, error, name):
    from vae_lab.losses import effective_beta

    arguments = {"reconstruction": "sum", "kl": "sum", "batch_size": 8, "latent_dims": 2, **kwargs}
    with pytest.raises(error, match=name):
        effective_beta(**arguments)


@pytest.mark.parametrize("loss", [sse, bce])
@pytest.mark.parametrize("x_hat_shape", [(4, 784), (4, 28, 28), (1, 1, 28, 28)])
def test_reconstructions_of_another_shape_are_named_not_broadcast(loss, x_hat_shape):
    x = torch.rand(4, 1, 28, 28)
    with pytest.raises(ValueError, match=rf"x_hat and x must have the same shape; got \({x_hat_shape[0]}, .*x_hat"
                                         r"\.view_as\(x\)"):
        loss(torch.rand(x_hat_shape), x)


@pytest.mark.parametrize("mu, log_sigma, message", [
    (torch.zeros(4, 2), torch.zeros(4, 3), r"mu and log_sigma must have the same shape; got \(4, 2\) and \(4, 3\)"),
    (torch.zeros(4, 2), torch.zeros(2), r"same shape; got \(4, 2\) and \(2,\)"),
    (torch.zeros(2), torch.zeros(2), r"shape \(B, latent_dims\), one row per image; got \(2,\)"),
])
def test_kl_of_mismatched_shapes_gets_a_sentence(mu, log_sigma, message):
    with pytest.raises(ValueError, match=message):
        kl_divergence(mu, log_sigma)


def test_a_loss_given_an_array_names_the_argument():
    with pytest.raises(TypeError, match="log_sigma must be a torch.Tensor, got ndarray"):
        kl_divergence(torch.zeros(2, 2), np.zeros((2, 2)))


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
