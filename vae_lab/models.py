"""The lecture's five classes: Encoder, Decoder, Autoencoder, VariationalEncoder, VariationalAutoencoder.

They are written as the lecture writes them, with two corrections: the true KL term
(the lecture's line, ``sigma**2 + mu**2 - log(sigma) - 1/2``, counts sigma^2 + mu^2 in
full where the KL has half of each) and a clamped log sigma. Three small changes serve
the rest of the library: the noise is ``torch.randn_like`` (the lecture's ``self.N.sample``
draws on the CPU), the encoder keeps ``mu``, ``log_sigma`` and ``sigma`` after each
forward (the plots read mu), and the hidden width is a parameter, ``HIDDEN`` = 512 by
default. The classes trust their inputs: the functions a student calls (``train``,
``evaluate``, the plots) check what they are given, once, before any model runs.
"""

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .data import IMAGE_SHAPE, IMAGE_SIZE

HIDDEN = 512  # the lecture's hidden layer width (pytorch/examples' VAE uses 400)
# log sigma is clamped to this range: exp(-10) ~ 5e-5 is a far sharper code than MNIST needs and
# exp(10)^2 ~ 5e8 still fits in float32, so healthy training never meets it, but sigma cannot overflow.
LOG_SIGMA_RANGE = (-10.0, 10.0)


def reparameterize(mu: Tensor, sigma: Tensor) -> Tensor:
    """Draw z ~ N(mu, sigma^2) as z = mu + sigma * eps, eps ~ N(0, I): z is then a differentiable function of
    mu and sigma (Kingma & Welling 2014, section 2.4). mu, sigma and z have shape ``(B, latent_dims)``."""
    return mu + sigma * torch.randn_like(mu)


def kl_terms(mu: Tensor, log_sigma: Tensor) -> Tensor:
    """KL( N(mu_j, sigma_j^2) || N(0, 1) ) of each row and latent dimension j: ``(B, latent_dims)``, in nats.

    Closed form for Gaussians (Kingma & Welling 2014, appendix B): KL_j = (sigma_j^2 + mu_j^2 - 1) / 2 - log sigma_j.
    It takes log sigma so that log sigma is never computed as log(exp(.)), which can give -inf.
    """
    return (torch.exp(2 * log_sigma) + mu**2 - 1) / 2 - log_sigma


def kl_divergence(mu: Tensor, log_sigma: Tensor) -> Tensor:
    """KL( N(mu, sigma^2) || N(0, I) ) of each row, ``kl_terms`` summed over the dimensions: ``(B,)``, in nats."""
    return kl_terms(mu, log_sigma).sum(dim=-1)


class Encoder(nn.Module):
    """Image -> code: flatten, ``linear1`` (784 -> hidden) + ReLU, ``linear2`` (hidden -> latent_dims)."""

    def __init__(self, latent_dims: int, hidden: int = HIDDEN):
        super().__init__()
        self.linear1 = nn.Linear(IMAGE_SIZE, hidden)
        self.linear2 = nn.Linear(hidden, latent_dims)

    def forward(self, x: Tensor) -> Tensor:
        """Images ``(B, 1, 28, 28)`` -> codes ``(B, latent_dims)``."""
        x = torch.flatten(x, start_dim=1)
        x = F.relu(self.linear1(x))
        return self.linear2(x)


class Decoder(nn.Module):
    """Code -> image: ``linear1`` (latent_dims -> hidden) + ReLU, ``linear2`` (hidden -> 784), sigmoid."""

    def __init__(self, latent_dims: int, hidden: int = HIDDEN):
        super().__init__()
        self.linear1 = nn.Linear(latent_dims, hidden)
        self.linear2 = nn.Linear(hidden, IMAGE_SIZE)

    def forward(self, z: Tensor) -> Tensor:
        """Codes ``(B, latent_dims)`` -> images ``(B, 1, 28, 28)`` with pixels in (0, 1)."""
        z = F.relu(self.linear1(z))
        z = torch.sigmoid(self.linear2(z))  # pixels are intensities in [0, 1]
        return z.reshape((-1, *IMAGE_SHAPE))


class VariationalEncoder(nn.Module):
    """Image -> a sample z ~ N(mu, sigma^2), keeping mu, sigma and the batch's KL term.

    ``linear1`` (784 -> hidden) + ReLU, then two heads: ``linear2`` gives mu (no activation:
    a mean can be any real number) and ``linear3`` gives log sigma, so that sigma = exp(...)
    is always positive. After each forward ``mu``, ``log_sigma`` and ``sigma`` have shape
    ``(B, latent_dims)`` and ``kl`` is KL(N(mu, sigma^2) || N(0, I)) summed over the batch.
    """

    def __init__(self, latent_dims: int, hidden: int = HIDDEN):
        super().__init__()
        self.linear1 = nn.Linear(IMAGE_SIZE, hidden)
        self.linear2 = nn.Linear(hidden, latent_dims)
        self.linear3 = nn.Linear(hidden, latent_dims)
        self.kl = 0

    def forward(self, x: Tensor) -> Tensor:
        """Images ``(B, 1, 28, 28)`` -> a sample z ``(B, latent_dims)``."""
        x = torch.flatten(x, start_dim=1)
        x = F.relu(self.linear1(x))
        self.mu = self.linear2(x)
        self.log_sigma = self.linear3(x).clamp(*LOG_SIGMA_RANGE)  # correction 2: sigma cannot overflow
        self.sigma = torch.exp(self.log_sigma)
        z = reparameterize(self.mu, self.sigma)
        self.kl = kl_divergence(self.mu, self.log_sigma).sum()  # correction 1: the true KL
        return z


class Autoencoder(nn.Module):
    """Encoder then Decoder: ``model(x)`` returns ``x_hat``, the reconstruction of ``x``.

    ``latent_dims`` and ``hidden`` are kept as attributes, so that plots and checkpoints can read the sizes.
    """

    Encoder = Encoder  # the class of self.encoder: the VariationalAutoencoder below changes only this

    def __init__(self, latent_dims: int, hidden: int = HIDDEN):
        super().__init__()
        self.latent_dims, self.hidden = latent_dims, hidden
        self.encoder = self.Encoder(latent_dims, hidden)
        self.decoder = Decoder(latent_dims, hidden)

    def forward(self, x: Tensor) -> Tensor:
        """Images ``(B, 1, 28, 28)`` -> reconstructions ``(B, 1, 28, 28)``."""
        z = self.encoder(x)
        return self.decoder(z)


class VariationalAutoencoder(Autoencoder):
    """The Autoencoder with a VariationalEncoder: ``model(x)`` decodes a sampled z; ``model.encoder.kl`` is the KL
    term of the last batch."""

    Encoder = VariationalEncoder
