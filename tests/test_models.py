"""vae_lab.models: the lecture's five classes, the reparameterisation and the true KL."""

import inspect
import math

import pytest
import torch
import torch.nn.functional as F
from torch.distributions import Normal
from torch.distributions import kl_divergence as torch_kl

from vae_lab import models
from vae_lab.data import IMAGE_SIZE
from vae_lab.models import (
    HIDDEN,
    Autoencoder,
    Decoder,
    Encoder,
    VariationalAutoencoder,
    VariationalEncoder,
    kl_divergence,
    kl_terms,
    reparameterize,
)


def test_the_lectures_forward_passes_read_like_the_lecture():
    source = inspect.getsource(VariationalEncoder.forward)
    assert len(source.splitlines()) <= 15
    for piece in ("linear1", "linear2", "linear3", "exp", "self.kl"):
        assert piece in source
    assert all(piece in inspect.getsource(Decoder.forward) for piece in ("linear1", "linear2", "sigmoid"))
    # the classes trust their inputs (the doors check them) and take images only, as the lecture's do
    assert "raise" not in inspect.getsource(models)
    for cls in (Encoder, Decoder, Autoencoder, VariationalEncoder, VariationalAutoencoder):
        assert len(inspect.signature(cls.forward).parameters) == 2


def test_the_vae_is_the_autoencoder_with_a_variational_encoder(images):
    vae = VariationalAutoencoder(3, hidden=16)
    assert isinstance(vae, Autoencoder) and isinstance(vae.encoder, VariationalEncoder)
    assert type(Autoencoder(3).encoder) is Encoder and (vae.latent_dims, vae.hidden) == (3, 16)
    torch.manual_seed(0)
    x_hat = vae(images)
    torch.manual_seed(0)
    torch.testing.assert_close(x_hat, vae.decoder(vae.encoder(images)))


def test_the_vae_computes_the_lectures_code_with_the_true_kl(vae, images):
    """The lecture's forward written out independently, on the same weights and the same noise."""
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
        assert model.encoder(images).shape == (16, latent_dims)


def test_the_lectures_layer_names_and_sizes():
    encoder, decoder = VariationalEncoder(2), Decoder(2)
    assert (encoder.linear1.in_features, encoder.linear1.out_features) == (IMAGE_SIZE, HIDDEN)
    assert (encoder.linear2.in_features, encoder.linear2.out_features) == (HIDDEN, 2)
    assert (encoder.linear3.in_features, encoder.linear3.out_features) == (HIDDEN, 2)
    assert (decoder.linear1.in_features, decoder.linear2.out_features) == (2, IMAGE_SIZE)
    assert (Encoder(3).linear1.in_features, Encoder(3).linear2.out_features) == (IMAGE_SIZE, 3)


@pytest.mark.parametrize("cls", [Encoder, VariationalEncoder])
def test_flat_and_unchannelled_images_give_the_same_codes(images, cls):
    encoder = cls(2)
    torch.manual_seed(0)
    expected = encoder(images)
    for shape in ((16, 784), (16, 28, 28)):
        torch.manual_seed(0)
        torch.testing.assert_close(encoder(images.reshape(shape)), expected)


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


def test_the_vae_samples_but_its_mean_code_is_deterministic(vae, images):
    model = vae
    first = model(images)
    mu = model.encoder.mu
    assert not torch.equal(model(images), first)
    torch.testing.assert_close(model.encoder.mu, mu)


def test_sigma_cannot_overflow(images):
    encoder = VariationalEncoder(2)
    with torch.no_grad():
        encoder.linear3.bias.fill_(1e4)  # exp(1e4) would be inf
    encoder(images)
    assert torch.isfinite(encoder.sigma).all() and torch.isfinite(encoder.kl)


@pytest.mark.parametrize("cls", [Autoencoder, VariationalAutoencoder])
def test_the_hidden_width_can_be_chosen(images, cls):
    model = cls(20, hidden=400)  # pytorch/examples' VAE
    assert model.encoder.linear1.out_features == model.decoder.linear1.out_features == 400
    assert model(images).shape == images.shape and model.hidden == 400


def test_log_sigma_is_clamped_to_its_range(images):
    encoder = VariationalEncoder(2)
    with torch.no_grad():
        encoder.linear3.bias.fill_(-1e4)  # exp(-1e4) would be 0 and its log -inf
    encoder(images)
    assert (encoder.log_sigma == models.LOG_SIGMA_RANGE[0]).all() and torch.isfinite(encoder.kl)


def random_gaussians(batch=64, dims=3, seed=0):
    generator = torch.Generator().manual_seed(seed)
    mu = torch.randn(batch, dims, generator=generator, dtype=torch.float64) * 2
    log_sigma = torch.randn(batch, dims, generator=generator, dtype=torch.float64)
    return mu, log_sigma


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


def test_kl_terms_are_per_dimension_and_kl_divergence_sums_the_last_dimension():
    mu, log_sigma = random_gaussians(batch=6, dims=4)
    reference = torch_kl(Normal(mu, log_sigma.exp()), Normal(0.0, 1.0))
    torch.testing.assert_close(kl_terms(mu, log_sigma), reference)  # (B, latent_dims)
    stacked = (mu.reshape(2, 3, 4), log_sigma.reshape(2, 3, 4))  # k draws of B codes, as in log_weights
    torch.testing.assert_close(kl_divergence(*stacked), reference.sum(dim=-1).reshape(2, 3))
