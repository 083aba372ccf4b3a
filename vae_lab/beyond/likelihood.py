"""An honest log-likelihood: the importance-weighted estimate of log p(x) beside the ELBO.

For each image, draw k codes z_i ~ q(z | x) from the encoder and weigh them by
w_i = p(x | z_i) p(z_i) / q(z_i | x). Then (Burda, Grosse & Salakhutdinov 2016)

    log p(x) >= E[ log (1/k) sum_i w_i ]  (IWAE bound, tight as k grows)
              >= E[ (1/k) sum_i log w_i ] (the ELBO, the k = 1 bound)

The gap between the two is how much the encoder's q(z | x) misses the true posterior.
"""

import math

import torch
from torch import Tensor, nn
from torch.distributions import Normal

from .. import _checks as arguments
from ..data import IMAGE_SHAPE, IMAGE_SIZE, batches
from ..losses import RECONSTRUCTION, log_likelihood
from ..training import evaluation_mode

MAX_DECODED = 16_384  # images decoded in one go (k x batch): about 50 MB of pixels


@torch.no_grad()
def log_weights(model: nn.Module, x: Tensor, k: int, likelihood: str) -> Tensor:
    """log w_i = log p(x | z_i) + log p(z_i) - log q(z_i | x) for k codes per image.

    Args:
        model: a ``VariationalAutoencoder``; p(z) is its prior (``log_prior``).
        x: images, shape ``(B, 1, 28, 28)``, on the model's device.
        k: codes per image.

    Returns:
        shape ``(k, B)``, in nats.
    """
    model.encoder(x)  # fills encoder.mu and encoder.sigma
    q = Normal(model.encoder.mu, model.encoder.sigma)
    z = q.sample((k,))  # (k, B, latent_dims)
    x_hat = model.decoder(z.flatten(end_dim=1))  # (k * B, 1, 28, 28)
    x_repeated = x.reshape(1, -1, *IMAGE_SHAPE).expand(k, -1, -1, -1, -1).flatten(end_dim=1)
    log_px_z = log_likelihood(x_hat, x_repeated, likelihood).reshape(k, -1)
    return log_px_z + log_prior(model, z) - q.log_prob(z).sum(dim=-1)


def log_prior(model: nn.Module, z: Tensor) -> Tensor:
    """log p(z) under the model's prior: its ``log_prior(z)`` where it has one (``PriorVariationalAutoencoder``),
    else the lecture's N(0, I).

    Args:
        z: codes, shape ``(..., latent_dims)``.

    Returns:
        shape ``z.shape[:-1]``, in nats.
    """
    if hasattr(model, "log_prior"):
        return model.log_prior(z)
    return Normal(0.0, 1.0).log_prob(z).sum(dim=-1)


@torch.no_grad()
def iwae_estimate(model: nn.Module, data, k: int = 50, likelihood: str = "gaussian",
                  batch_size: int = 256) -> dict[str, float]:
    """Mean importance-weighted estimate of log p(x) and the mean ELBO over ``data``, per image.

    Args:
        model: a ``VariationalAutoencoder``; p(z) is its prior (``log_prior``: N(0, I) unless it has another).
        data: a ``Split`` or images ``(N, 1, 28, 28)``.
        k: importance samples per image (k = 1 gives the ELBO).
        likelihood: the decoder's likelihood the model was trained with.

    Returns:
        ``{"log_px": ..., "elbo": ..., "gap": log_px - elbo}``, in nats per image.
    """
    device = arguments.variational(model, "iwae_estimate")
    if hasattr(model, "classes"):
        raise ValueError(f"iwae_estimate works with models that take images only, got {type(model).__name__}.")
    k, batch_size = arguments.whole("k", k, high=10_000), arguments.whole("batch_size", batch_size)
    batch_size = max(1, min(batch_size, MAX_DECODED // k))  # k codes per image are decoded at once
    arguments.choice("likelihood", likelihood, RECONSTRUCTION)
    if likelihood == "optimal-sigma":  # its sigma is a batch's, shared by k x batch decoded images: not one image's
        raise ValueError("iwae_estimate needs a likelihood of each image on its own: 'gaussian' or 'bernoulli', not "
                         "'optimal-sigma' (whose sigma is set by the whole batch).")
    images = arguments.pixels(data).to(device)
    log_px = elbo = 0.0
    with evaluation_mode(model):
        for x in batches(images, batch_size):
            log_w = log_weights(model, x, k, likelihood)
            log_px += (torch.logsumexp(log_w, dim=0) - math.log(k)).sum().item()
            elbo += log_w.mean(dim=0).sum().item()
    return {"log_px": log_px / len(images), "elbo": elbo / len(images), "gap": (log_px - elbo) / len(images)}


def bits_per_dim(nats_per_image: float, dims: int = IMAGE_SIZE) -> float:
    """A negative log-likelihood in nats per image as bits per dimension: nats / (dims * ln 2).

    The unit of papers on image models: one bit per pixel is the cost of a fair coin per
    black-or-white pixel. It compares models only on the same data with the same kind of
    likelihood: a density of continuous pixels (the Gaussian decoder) and a probability of
    discrete ones (the Bernoulli decoder on binarised images) are different quantities.

    Args:
        nats_per_image: -log p(x) (or the negative ELBO) per image, in nats.
        dims: values per image, 784 for MNIST.

    Returns:
        bits per dimension.
    """
    nats_per_image, dims = arguments.real("nats_per_image", nats_per_image), arguments.whole("dims", dims)
    return nats_per_image / (dims * math.log(2))
