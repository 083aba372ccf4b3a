"""vae_lab.beyond.exact: the grid's log p(x) against a model whose p(x) is known in closed form, and IWAE
converging to it.

A linear-Gaussian decoder x = W z + b + noise, noise ~ N(0, I/2) (the lecture's Gaussian decoder, made linear),
with z ~ N(0, I), gives p(x) = N(b, W Wᵀ + I/2) and a Gaussian posterior with covariance (I + 2 WᵀW)⁻¹ and mean
2 Σ Wᵀ (x - b) (Bishop, *Pattern Recognition and Machine Learning*, 2.115-2.117).
"""

import math

import pytest
import torch
from torch import nn
from torch.distributions import MultivariateNormal

from vae_lab.beyond.exact import GAUSSIAN_CONSTANT, grid_log_px, grid_posterior, latent_grid
from vae_lab.beyond.likelihood import iwae_estimate


class LinearDecoder(nn.Module):
    def __init__(self, W, b):
        super().__init__()
        self.W, self.b = nn.Parameter(W), nn.Parameter(b)

    def forward(self, z):  # (N, 2) -> (N, 1, 28, 28)
        return (z @ self.W.T + self.b).reshape(-1, 1, 28, 28)


class DiagonalPosteriorEncoder(nn.Module):
    """q(z | x): the true posterior's mean, and its marginal standard deviations times ``inflate`` (a diagonal
    Gaussian cannot hold the true posterior's correlation: IWAE has a gap to close)."""

    def __init__(self, W, b, inflate):
        super().__init__()
        self.covariance = torch.linalg.inv(torch.eye(2, dtype=torch.float64) + 2 * W.double().T @ W.double()).float()
        self.W, self.b, self.inflate = W, b, inflate
        self.linear3 = nn.Identity()  # iwae_estimate asks for a variational encoder, one with a sigma head

    def forward(self, x):
        self.mu = 2 * (x.flatten(start_dim=1) - self.b) @ self.W @ self.covariance
        self.sigma = (self.covariance.diagonal().sqrt() * self.inflate).expand_as(self.mu)
        return self.mu


class LinearGaussianVAE(nn.Module):
    latent_dims = 2

    def __init__(self, inflate=1.5):
        super().__init__()
        generator = torch.Generator().manual_seed(0)
        W = 0.05 * torch.randn(784, 2, generator=generator)
        b = 0.5 + 0.1 * torch.randn(784, generator=generator)
        self.decoder = LinearDecoder(W, b)
        self.encoder = DiagonalPosteriorEncoder(W, b, inflate)

    def marginal(self):
        W, b = self.decoder.W.double(), self.decoder.b.double()
        return MultivariateNormal(b, W @ W.T + 0.5 * torch.eye(784, dtype=torch.float64))

    def images(self, n):
        """Images in [0, 1] near the decoder's (the closed form holds for any x; the library takes pixels in [0, 1],
        which the model's own noise, of spread 0.71, would leave)."""
        generator = torch.Generator().manual_seed(1)
        z = torch.randn(n, 2, generator=generator)
        noise = 0.1 * torch.randn(n, 784, generator=generator)
        with torch.no_grad():
            return (self.decoder(z).flatten(start_dim=1) + noise).clamp(0, 1).reshape(-1, 1, 28, 28)


@pytest.fixture(scope="module")
def linear():
    model = LinearGaussianVAE()
    return model, model.images(20)


def test_the_grid_gives_the_closed_form_log_px(linear):
    model, x = linear
    exact = model.marginal().log_prob(x.flatten(start_dim=1).double()).float()
    found = grid_log_px(model, x, extent=5.0, step=0.05)
    assert torch.allclose(found["log_px"], exact, atol=0.01), (found["log_px"] - exact).abs().max()
    assert found["edge_mass"].max() < 1e-6  # the grid holds the posterior


def test_a_coarse_or_narrow_grid_is_off_and_says_so(linear):
    model, x = linear
    exact = model.marginal().log_prob(x.flatten(start_dim=1).double()).float()
    narrow = grid_log_px(model, x, extent=0.5, step=0.05)  # the posterior (sigma ~0.45) spills over the edge
    assert (narrow["log_px"] < exact - 0.1).all() and (narrow["edge_mass"] > 0.05).all()


def test_iwae_closes_the_gap_to_the_exact_value_as_k_grows(linear):
    model, x = linear
    exact = model.marginal().log_prob(x.flatten(start_dim=1).double()).mean().item()
    torch.manual_seed(0)
    gaps = [exact - iwae_estimate(model, x, k=k)["log_px"] for k in (1, 10, 100, 1000)]
    assert gaps[0] > 0.1 and gaps[1] < gaps[0] / 2, gaps  # the ELBO of an imperfect q falls short; k = 10 less so
    assert abs(gaps[2]) < 0.02 and abs(gaps[3]) < 0.02, gaps  # then within the estimate's noise of the exact value


def test_the_posterior_on_the_grid_is_the_closed_form_gaussian(linear):
    model, x = linear
    density, centres = grid_posterior(model, x[0], extent=4.0, step=0.04)
    step = centres[1] - centres[0]
    assert density.shape == (200, 200) and math.isclose(density.sum().item() * step**2, 1.0, rel_tol=1e-4)
    z2, z1 = torch.meshgrid(centres, centres, indexing="ij")
    mean = (density * z1).sum() * step**2, (density * z2).sum() * step**2
    model.encoder(x[:1])
    assert torch.allclose(torch.stack(mean), model.encoder.mu[0], atol=1e-3)


def test_the_grid_tiles_the_square_with_cell_centres():
    z = latent_grid(extent=1.0, step=0.5)
    assert z.shape == (16, 2) and z[0].tolist() == [-0.75, -0.75] and z[1].tolist() == [-0.25, -0.75]
    assert math.isclose(GAUSSIAN_CONSTANT, 392 * math.log(math.pi))


def test_a_model_of_more_dimensions_is_sent_to_iwae():
    from vae_lab import VariationalAutoencoder

    with pytest.raises(ValueError) as error:
        grid_log_px(VariationalAutoencoder(3), torch.rand(2, 1, 28, 28))
    assert "latent_dims=2" in str(error.value) and "iwae_estimate" in str(error.value)
