"""vae_lab.beyond.priors: each prior's log p(z) against torch.distributions, its samples against its moments, and the
VAE that takes it (its Monte-Carlo KL against the closed form, training, the importance-weighted estimate)."""

import math

import pytest
import torch
from conftest import says
from synthetic import blobs
from torch.distributions import Categorical, Independent, MixtureSameFamily, Normal
from torch.distributions import kl_divergence as torch_kl

from vae_lab import init_biases, train
from vae_lab.beyond.likelihood import iwae_estimate
from vae_lab.beyond.priors import (
    MixturePrior,
    PriorVariationalAutoencoder,
    StandardNormalPrior,
    VampPrior,
    mixture_log_prob,
    normal_log_prob,
    sample_mixture,
)


def reference(logits, mu, log_sigma):
    """The same mixture built by torch.distributions."""
    return MixtureSameFamily(Categorical(logits=logits), Independent(Normal(mu, log_sigma.exp()), 1))


def random_mixture(k=5, dims=3, seed=0):
    generator = torch.Generator().manual_seed(seed)
    logits = torch.randn(k, generator=generator, dtype=torch.float64)
    mu = 2 * torch.randn(k, dims, generator=generator, dtype=torch.float64)
    log_sigma = 0.5 * torch.randn(k, dims, generator=generator, dtype=torch.float64)
    return logits, mu, log_sigma


def test_normal_log_prob_matches_torch_distributions():
    logits, mu, log_sigma = random_mixture()
    z = torch.randn(7, 5, 3, dtype=torch.float64)
    expected = Independent(Normal(mu, log_sigma.exp()), 1).log_prob(z)
    torch.testing.assert_close(normal_log_prob(z, mu, log_sigma), expected)


@pytest.mark.parametrize("shape", [(3,), (20, 3), (4, 6, 3)])
def test_mixture_log_prob_matches_mixture_same_family(shape):
    components = random_mixture()
    z = 3 * torch.randn(*shape, dtype=torch.float64)
    torch.testing.assert_close(mixture_log_prob(z, *components), reference(*components).log_prob(z))


def test_one_component_at_zero_is_the_standard_normal():
    z = torch.randn(50, 4)
    expected = Normal(0.0, 1.0).log_prob(z).sum(dim=-1)
    torch.testing.assert_close(mixture_log_prob(z, *StandardNormalPrior(4).components()), expected)


def test_samples_have_the_mixtures_mean_and_variance():
    components = random_mixture(k=3, dims=2)
    torch.manual_seed(0)
    z = sample_mixture(200_000, *components)
    mixture = reference(*components)
    assert z.shape == (200_000, 2)
    torch.testing.assert_close(z.mean(dim=0), mixture.mean, atol=0.03, rtol=0)
    torch.testing.assert_close(z.var(dim=0), mixture.variance, atol=0.0, rtol=0.03)


def test_the_vamp_prior_is_the_mixture_of_the_encoders_posteriors_of_its_pseudo_images():
    torch.manual_seed(0)
    model = PriorVariationalAutoencoder(2, prior="vamp", components=6, hidden=16)
    u = model.prior.pseudo_images()
    assert u.shape == (6, 1, 28, 28) and 0 < u.min() and u.max() < 1
    model.encoder(u)
    mu, sigma = model.encoder.mu.detach(), model.encoder.sigma.detach()
    expected = MixtureSameFamily(Categorical(logits=torch.zeros(6)), Independent(Normal(mu, sigma), 1))
    z = 2 * torch.randn(30, 2)
    torch.testing.assert_close(model.log_prior(z).detach(), expected.log_prob(z))


def test_the_monte_carlo_kl_averages_to_the_closed_form_with_the_standard_normal_prior():
    torch.manual_seed(0)
    model = PriorVariationalAutoencoder(3, prior="normal", hidden=16)
    x = blobs(n=4).images
    estimates = []
    with torch.no_grad():
        for _ in range(20_000 // 4):
            model(x)
            estimates.append(model.encoder.kl / len(x))
    estimates = torch.stack(estimates).double()
    closed = torch_kl(Normal(model.encoder.mu, model.encoder.sigma), Normal(0.0, 1.0)).sum() / len(x)
    stderr = estimates.std() / math.sqrt(len(estimates))
    assert abs(estimates.mean() - closed) < 4 * stderr


@pytest.mark.parametrize("prior", ["normal", "mixture", "vamp"])
def test_every_prior_trains_and_learns(prior):
    torch.manual_seed(0)
    model = PriorVariationalAutoencoder(2, prior=prior, components=4, hidden=32)
    before = [p.detach().clone() for p in model.prior.parameters()]
    history = train(model, blobs(n=256), epochs=8, batch_size=64, progress=False)
    assert history.total[-1] < history.total[0]
    assert all(math.isfinite(v) for v in history.kl)
    assert all(not torch.equal(b, p) for b, p in zip(before, model.prior.parameters()))  # the prior is learnt too


def test_iwae_uses_the_models_prior(vae):
    """A PriorVariationalAutoencoder with N(0, I) gives the VariationalAutoencoder's estimate; a mixture another."""
    plain = vae
    normal = PriorVariationalAutoencoder(2, prior="normal", hidden=32)
    normal.load_state_dict(plain.state_dict(), strict=False)
    mixture = PriorVariationalAutoencoder(2, prior="mixture", components=3, hidden=32)
    mixture.load_state_dict(plain.state_dict(), strict=False)
    x = blobs(n=16).images
    results = []
    for model in (plain, normal, mixture):
        torch.manual_seed(1)
        results.append(iwae_estimate(model, x, k=20)["log_px"])
    assert results[0] == pytest.approx(results[1], abs=1e-4)
    assert abs(results[2] - results[0]) > 0.1


def test_sample_codes_follow_the_prior():
    torch.manual_seed(0)
    model = PriorVariationalAutoencoder(2, prior="mixture", components=3, hidden=8)
    z = model.sample_codes(100_000)
    mixture = reference(*[t.detach() for t in model.prior.components()])
    torch.testing.assert_close(z.mean(dim=0), mixture.mean, atol=0.04, rtol=0)


@pytest.mark.parametrize("kwargs, error, parts", [  # the argument as the student passed it, and the value given
    ({"prior": "gauss"}, ValueError, ["prior", "'gauss'", "'normal'", "'mixture'", "'vamp'"]),
    ({"prior": "mixture", "components": 0}, ValueError, ["components", "0", "10,000"]),
    ({"prior": "vamp", "components": 1.5}, TypeError, ["components", "1.5", "float"]),
])
def test_bad_arguments_are_named(kwargs, error, parts):
    with pytest.raises(error) as raised:
        PriorVariationalAutoencoder(2, **kwargs)
    says(raised, *parts)


def test_mismatched_shapes_are_named():
    logits, mu, log_sigma = random_mixture(dims=3)
    with pytest.raises(ValueError) as error:
        mixture_log_prob(torch.zeros(5, 2, dtype=torch.float64), logits, mu, log_sigma)
    says(error, "z", "2 latent dimensions", "3")
    with pytest.raises(ValueError) as error:
        mixture_log_prob(torch.zeros(5, 3), logits[:2], mu, log_sigma)
    says(error, "logits", "(K,)", "(2,)", "(5, 3)")


def test_priors_are_modules_with_their_sizes():
    assert MixturePrior(3, 7).mu.shape == (7, 3)
    assert VampPrior(3, 5).pseudo_logits.shape == (5, 1, 28, 28)


def test_init_biases_starts_the_vamp_prior_from_training_images():
    torch.manual_seed(0)
    data = blobs(n=64)
    model = init_biases(PriorVariationalAutoencoder(2, prior="vamp", components=5, hidden=8), data)
    u = model.prior.pseudo_images().detach()
    expected = data.images.clamp(0.05, 0.95)
    assert all(any(torch.allclose(image, other, atol=1e-5) for other in expected) for image in u)
    with pytest.raises(ValueError) as error:
        model.prior.start_from(data.images[:3])
    says(error, "start_from", "at least 5", "3")
