"""Other decoders and an honest log-likelihood: Bernoulli and optimal-sigma losses; the importance-weighted
estimate of log p(x) beside the ELBO.

A decoder's likelihood p(x | z) is its reconstruction loss: the lecture's summed squared
error is a Gaussian N(x_hat, I/2) (``sse``), pytorch/examples' binary cross-entropy a
Bernoulli (``bce``). ``likelihood_loss`` trains and evaluates a VAE with either.

For each image, draw k codes z_i ~ q(z | x) from the encoder and weigh them by
w_i = p(x | z_i) p(z_i) / q(z_i | x). Then (Burda, Grosse & Salakhutdinov 2016)

    log p(x) >= E[ log (1/k) sum_i w_i ]  (IWAE bound, tight as k grows)
              >= E[ (1/k) sum_i log w_i ] (the ELBO, the k = 1 bound)

The gap between the two is how much the encoder's q(z | x) misses the true posterior.
"""

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.distributions import Normal

from .. import _checks as arguments
from .._checks import choice
from ..data import IMAGE_SHAPE, IMAGE_SIZE, batches
from ..training import evaluation_mode


def same_shape(first: str, a: object, second: str, b: object) -> None:
    """A TypeError unless both are tensors, a ValueError unless they have the same shape: PyTorch would broadcast
    ``(B, 784)`` against ``(B, 1, 28, 28)`` into a wrong loss, or fail with a message about sizes of dimensions."""
    for name, value in ((first, a), (second, b)):
        if not isinstance(value, Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}.")
    if a.shape != b.shape:
        raise ValueError(f"{first} and {second} must have the same shape; got {tuple(a.shape)} and {tuple(b.shape)}. "
                         f"Give {first} the shape of {second}, e.g. with {first}.view_as({second}).")


def sse(x_hat: Tensor, x: Tensor, per_image: bool = False) -> Tensor:
    """Summed squared error, the lecture's reconstruction loss: sum over pixels and batch.

    It is the negative log-likelihood of x under a Gaussian decoder N(x_hat, I/2),
    up to the constant (D/2) log(pi) for D pixels. ``F.mse_loss(reduction="sum")``
    computes exactly sum (x_hat - x)^2, with a one-kernel backward that is faster than ``**2``.

    Args:
        x_hat: reconstructions, shape ``(B, 1, 28, 28)``.
        x: originals, same shape.
        per_image: return one sum per image instead of one for the batch.

    Returns:
        a scalar (divide by B for the loss per image), or shape ``(B,)`` if ``per_image``.
    """
    same_shape("x_hat", x_hat, "x", x)
    if per_image:
        return F.mse_loss(x_hat, x, reduction="none").flatten(start_dim=1).sum(dim=1)
    return F.mse_loss(x_hat, x, reduction="sum")


def bce(x_hat: Tensor, x: Tensor, per_image: bool = False) -> Tensor:
    """Summed binary cross-entropy: -log p(x | z) for a Bernoulli decoder with pixel probabilities x_hat.

    The loss of pytorch/examples' VAE. For black-and-white x it is exactly the
    Bernoulli negative log-likelihood; for grey pixels it is the cross-entropy.

    Args:
        x_hat: pixel probabilities, shape ``(B, 1, 28, 28)``, in (0, 1).
        x: originals, same shape, in [0, 1].
        per_image: return one sum per image instead of one for the batch.

    Returns:
        a scalar, summed over pixels and batch, or shape ``(B,)`` if ``per_image``.
    """
    same_shape("x_hat", x_hat, "x", x)
    if per_image:
        return F.binary_cross_entropy(x_hat, x, reduction="none").flatten(start_dim=1).sum(dim=1)
    return F.binary_cross_entropy(x_hat, x, reduction="sum")


SIGMA_FLOOR = 1e-3  # the optimal sigma never goes below this: a batch reconstructed exactly would give log 0


def optimal_sigma_nll(x_hat: Tensor, x: Tensor, per_image: bool = False) -> Tensor:
    """-log p(x | z) of a Gaussian decoder N(x_hat, sigma^2 I) with the best sigma for the batch: the "optimal
    sigma-VAE" of Rybkin, Daniilidis & Levine (2021, *Simple and Effective VAE Training with Calibrated Decoders*).

        sigma^2 = mean over the batch and the pixels of (x - x_hat)^2    (the maximum-likelihood variance)
        -log p(x | z) = sum over pixels of (x - x_hat)^2 / (2 sigma^2) + log sigma + log(2 pi) / 2

    Summed over a batch this is (B D / 2)(1 + log(2 pi sigma^2)). Its gradient is that of
    ``sse / (2 sigma^2)``: a step of the lecture's loss with β = 2 sigma^2 (the sigma being optimal, its own
    gradient adds nothing). sigma is at least ``SIGMA_FLOOR``.

    Args:
        x_hat: reconstructions, shape ``(B, 1, 28, 28)``.
        x: originals, same shape.
        per_image: return one sum per image (each under the batch's sigma) instead of one for the batch.

    Returns:
        a scalar, or shape ``(B,)`` if ``per_image``, in nats.
    """
    squared = sse(x_hat, x, per_image=True)  # (B,)
    variance = (squared.sum() / x.numel()).clamp(min=SIGMA_FLOOR**2)
    pixels = x[0].numel()
    nll = squared / (2 * variance) + pixels / 2 * (torch.log(variance) + math.log(2 * math.pi))
    return nll if per_image else nll.sum()


def optimal_sigma(x_hat: Tensor, x: Tensor) -> float:
    """The optimal sigma-VAE's sigma for a batch: the root of the mean squared error, at least ``SIGMA_FLOOR``."""
    same_shape("x_hat", x_hat, "x", x)
    return max(F.mse_loss(x_hat, x).sqrt().item(), SIGMA_FLOOR)


# the decoder's likelihood -> its reconstruction loss
RECONSTRUCTION = {"gaussian": sse, "bernoulli": bce, "optimal-sigma": optimal_sigma_nll}


def reconstruction_loss(x_hat: Tensor, x: Tensor, likelihood: str, per_image: bool = False) -> Tensor:
    """-log p(x | z) up to a constant: ``sse`` (Gaussian, the lecture's), ``bce`` (Bernoulli) or ``optimal_sigma_nll``;
    summed over pixels and batch, or one sum per image with ``per_image``."""
    return RECONSTRUCTION[choice("likelihood", likelihood, RECONSTRUCTION)](x_hat, x, per_image)


def log_likelihood(x_hat: Tensor, x: Tensor, likelihood: str) -> Tensor:
    """log p(x | z) per image, normalised: ``-sse - (D/2) log(pi)`` (Gaussian, variance 1/2), ``-bce`` (Bernoulli)
    or ``-optimal_sigma_nll`` (Gaussian, the batch's optimal variance, shared by the batch's images).

    Returns:
        shape ``(B,)``, in nats.
    """
    log_p = -reconstruction_loss(x_hat, x, likelihood, per_image=True)
    if likelihood == "gaussian":  # log N(x; x_hat, I/2) = -|x - x_hat|^2 - (D/2) log(pi)
        log_p = log_p - x[0].numel() / 2 * math.log(math.pi)
    return log_p


MAX_DECODED = 16_384  # images decoded in one go (k x batch): about 50 MB of pixels


def likelihood_loss(model: nn.Module, x: Tensor, y: Tensor | None = None, *, likelihood: str,
                    beta: float = 1.0) -> tuple[Tensor, Tensor, Tensor]:
    """``vae_loss`` with another decoder: ``(reconstruction + beta KL, reconstruction, KL)`` of a batch, summed.

    Pass it to ``train`` and ``evaluate`` as ``functools.partial(likelihood_loss, likelihood="bernoulli")``.
    ``likelihood``: ``"gaussian"`` (``sse``, the lecture's), ``"bernoulli"`` (``bce``) or ``"optimal-sigma"``
    (``optimal_sigma_nll``).
    """
    x_hat = model(x)
    recon = reconstruction_loss(x_hat, x, likelihood)
    kl = getattr(model.encoder, "kl", None)
    kl = x_hat.new_zeros(()) if kl is None else kl
    return recon + beta * kl, recon, kl



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
    device = arguments.variational_device_of(model, "iwae_estimate")
    if hasattr(model, "classes"):
        raise ValueError(f"iwae_estimate works with models that take images only, got {type(model).__name__}.")
    k, batch_size = arguments.whole("k", k, high=10_000), arguments.whole("batch_size", batch_size)
    batch_size = max(1, min(batch_size, MAX_DECODED // k))  # k codes per image are decoded at once
    arguments.choice("likelihood", likelihood, RECONSTRUCTION)
    if likelihood == "optimal-sigma":  # its sigma is a batch's, shared by k x batch decoded images: not one image's
        raise ValueError("iwae_estimate needs a likelihood of each image on its own: 'gaussian' or 'bernoulli', not "
                         "'optimal-sigma' (whose sigma is set by the whole batch).")
    images = arguments.as_split(data).images.to(device)
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
