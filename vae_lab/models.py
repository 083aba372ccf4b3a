"""The lecture's five classes: Encoder, Decoder, Autoencoder, VariationalEncoder, VariationalAutoencoder.

Each ``forward`` reads like the lecture. The two autoencoders add what the rest of
the library calls on every model (conditional and convolutional ones in
``variants.py`` too): ``model(x, y=None)`` returns ``x_hat``, ``model.encode(x, y=None)``
the deterministic code, ``model.decode(z, y=None)`` the images. ``y``, the digits, is
used by conditional models only; these ignore it.
"""

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import _checks as arguments
from .data import IMAGE_SHAPE, IMAGE_SIZE
from .losses import kl_divergence, reparameterize

HIDDEN = 512  # the lecture's hidden layer width (pytorch/examples' VAE uses 400)
# log sigma is clamped to this range: exp(-10) ~ 5e-5 is a far sharper code than MNIST needs and
# exp(10)^2 ~ 5e8 still fits in float32, so healthy training never meets it, but sigma cannot overflow.
LOG_SIGMA_RANGE = (-10.0, 10.0)


def sizes(latent_dims: object, hidden: object) -> tuple[int, int]:
    """``latent_dims`` and ``hidden`` checked: whole numbers, within what an MNIST model needs."""
    latent_dims = arguments.whole("latent_dims", latent_dims, high=arguments.MAX_LATENT_DIMS)
    return latent_dims, arguments.whole("hidden", hidden, high=arguments.MAX_HIDDEN)


class Encoder(nn.Module):
    """Image -> code: flatten, ``linear1`` (784 -> hidden) + ReLU, ``linear2`` (hidden -> latent_dims)."""

    def __init__(self, latent_dims: int, hidden: int = HIDDEN):
        super().__init__()
        self.latent_dims, self.hidden = sizes(latent_dims, hidden)
        self.linear1 = nn.Linear(IMAGE_SIZE, self.hidden)
        self.linear2 = nn.Linear(self.hidden, self.latent_dims)

    def forward(self, x: Tensor) -> Tensor:
        """Images ``(B, 1, 28, 28)`` -> codes ``(B, latent_dims)``."""
        x = torch.flatten(arguments.images(x), start_dim=1)
        x = F.relu(self.linear1(x))
        return self.linear2(x)


class Decoder(nn.Module):
    """Code -> image: ``linear1`` (latent_dims -> hidden) + ReLU, ``linear2`` (hidden -> 784), sigmoid."""

    def __init__(self, latent_dims: int, hidden: int = HIDDEN):
        super().__init__()
        self.latent_dims, self.hidden = sizes(latent_dims, hidden)
        self.linear1 = nn.Linear(self.latent_dims, self.hidden)
        self.linear2 = nn.Linear(self.hidden, IMAGE_SIZE)

    def forward(self, z: Tensor) -> Tensor:
        """Codes ``(B, latent_dims)`` -> images ``(B, 1, 28, 28)`` with pixels in (0, 1)."""
        z = F.relu(self.linear1(arguments.codes(z, self.latent_dims)))
        z = torch.sigmoid(self.linear2(z))  # pixels are intensities in [0, 1]
        return z.reshape((-1, *IMAGE_SHAPE))


class Autoencoder(nn.Module):
    """Encoder then Decoder: ``model(x)`` returns ``x_hat``, the reconstruction of ``x``."""

    def __init__(self, latent_dims: int, hidden: int = HIDDEN):
        super().__init__()
        self.encoder = Encoder(latent_dims, hidden)
        self.decoder = Decoder(latent_dims, hidden)
        self.latent_dims, self.hidden = self.encoder.latent_dims, self.encoder.hidden

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        """Images ``(B, 1, 28, 28)`` -> reconstructions ``(B, 1, 28, 28)``; ``y`` is ignored."""
        z = self.encoder(x)
        return self.decoder(z)

    def encode(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        """The code of each image, ``(B, 1, 28, 28)`` -> ``(B, latent_dims)``."""
        return self.encoder(x)

    def decode(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        """Codes ``(B, latent_dims)`` -> images ``(B, 1, 28, 28)``."""
        return self.decoder(z)


class VariationalEncoder(nn.Module):
    """Image -> a sample z ~ N(mu, sigma^2), keeping mu, sigma and the batch's KL term.

    ``linear1`` (784 -> hidden) + ReLU, then two heads: ``linear2`` gives mu (no
    activation: a mean can be any real number) and ``linear3`` gives log sigma, so that
    sigma = exp(log sigma) is always positive. After each forward ``mu``, ``sigma``,
    ``log_sigma`` have shape ``(B, latent_dims)`` and ``kl`` is KL(N(mu, sigma^2) || N(0, I))
    summed over the batch, a scalar.
    """

    def __init__(self, latent_dims: int, hidden: int = HIDDEN):
        super().__init__()
        self.latent_dims, self.hidden = sizes(latent_dims, hidden)
        self.linear1 = nn.Linear(IMAGE_SIZE, self.hidden)
        self.linear2 = nn.Linear(self.hidden, self.latent_dims)
        self.linear3 = nn.Linear(self.hidden, self.latent_dims)
        self.kl = 0  # the batch's KL term, set by each forward

    def forward(self, x: Tensor) -> Tensor:
        """Images ``(B, 1, 28, 28)`` -> a sample z ``(B, latent_dims)``."""
        x = torch.flatten(arguments.images(x), start_dim=1)
        x = F.relu(self.linear1(x))
        self.mu = self.linear2(x)
        self.log_sigma = self.linear3(x).clamp(*LOG_SIGMA_RANGE)
        self.sigma = torch.exp(self.log_sigma)
        z = reparameterize(self.mu, self.sigma)  # z = mu + sigma * eps
        self.kl = kl_divergence(self.mu, self.log_sigma).sum()
        return z


class VariationalAutoencoder(nn.Module):
    """VariationalEncoder then Decoder: ``model(x)`` returns ``x_hat``; ``model.encoder.kl`` holds the KL term."""

    def __init__(self, latent_dims: int, hidden: int = HIDDEN):
        super().__init__()
        self.encoder = VariationalEncoder(latent_dims, hidden)
        self.decoder = Decoder(latent_dims, hidden)
        self.latent_dims, self.hidden = self.encoder.latent_dims, self.encoder.hidden

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        """Images ``(B, 1, 28, 28)`` -> reconstructions through a sampled z; ``y`` is ignored."""
        z = self.encoder(x)
        return self.decoder(z)

    def encode(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        """The mean code mu of each image, ``(B, 1, 28, 28)`` -> ``(B, latent_dims)``."""
        self.encoder(x)
        return self.encoder.mu

    def decode(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        """Codes ``(B, latent_dims)`` -> images ``(B, 1, 28, 28)``."""
        return self.decoder(z)
