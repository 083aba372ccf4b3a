"""The VAE's maths as plain functions: reparameterization, KL term, loss.

Each formula lives here once; the models call these functions and the tests pin
them against ``torch.distributions`` and Monte-Carlo estimates.
"""

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from . import _checks as arguments
from ._checks import choice
from .data import IMAGE_SIZE


def reparameterize(mu: Tensor, sigma: Tensor) -> Tensor:
    """Draw z ~ N(mu, sigma^2) as z = mu + sigma * eps, eps ~ N(0, I).

    Writing the sample this way moves the randomness into ``eps``, so z is a
    differentiable function of mu and sigma (Kingma & Welling 2014, section 2.4).

    Args:
        mu: means, shape ``(B, latent_dims)``.
        sigma: standard deviations (positive), same shape as ``mu``.

    Returns:
        z, shape ``(B, latent_dims)``; ``eps`` is drawn on mu's device and dtype.
    """
    eps = torch.randn_like(mu)
    return mu + sigma * eps


def same_shape(first: str, a: object, second: str, b: object) -> None:
    """A TypeError unless both are tensors, a ValueError unless they have the same shape: PyTorch would broadcast
    ``(B, 784)`` against ``(B, 1, 28, 28)`` into a wrong loss, or fail with a message about sizes of dimensions."""
    for name, value in ((first, a), (second, b)):
        if not isinstance(value, Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}.")
    if a.shape != b.shape:
        raise ValueError(f"{first} and {second} must have the same shape; got {tuple(a.shape)} and {tuple(b.shape)}. "
                         f"Give {first} the shape of {second}, e.g. with {first}.view_as({second}).")


def kl_terms(mu: Tensor, log_sigma: Tensor) -> Tensor:
    """KL( N(mu_j, sigma_j^2) || N(0, 1) ) of each row and each latent dimension j.

    Closed form for Gaussians (Kingma & Welling 2014, appendix B):
        KL_j = (sigma_j^2 + mu_j^2 - 1) / 2 - log sigma_j.
    It takes ``log_sigma`` (not sigma) so that log sigma is never computed as
    ``log(exp(.))``, which loses precision and can give ``-inf``.

    Args:
        mu: means, shape ``(B, latent_dims)``.
        log_sigma: log standard deviations, same shape as ``mu``.

    Returns:
        shape ``(B, latent_dims)``, in nats.
    """
    same_shape("mu", mu, "log_sigma", log_sigma)
    return (torch.exp(2 * log_sigma) + mu**2 - 1) / 2 - log_sigma


def kl_divergence(mu: Tensor, log_sigma: Tensor) -> Tensor:
    """KL( N(mu, sigma^2) || N(0, I) ) for each row: ``kl_terms`` summed over the latent dimensions.

    Args:
        mu: means, shape ``(B, latent_dims)``.
        log_sigma: log standard deviations, same shape as ``mu``.

    Returns:
        KL per row, shape ``(B,)``, in nats.
    """
    terms = kl_terms(mu, log_sigma)
    if terms.dim() != 2:
        raise ValueError(f"mu and log_sigma must have shape (B, latent_dims), one row per image; got "
                         f"{tuple(mu.shape)}. For one code, add a batch dimension: mu.unsqueeze(0).")
    return terms.sum(dim=1)


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
    """``sse`` for a Gaussian decoder (the lecture's), ``bce`` for a Bernoulli one; summed over pixels and batch."""
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


# How a loss term is reduced to one number, and the weight that puts on each summed element:
# "sum" over elements and batch (the lecture's, pytorch/examples'), "per image" (sum over an image's
# pixels or a code's dimensions, mean over the batch), "mean" over everything (F.mse_loss's default).
REDUCTIONS = ("sum", "per image", "mean")


def effective_beta(reconstruction: str, kl: str, *, batch_size: int, latent_dims: int, pixels: int = IMAGE_SIZE,
                   beta: float = 1.0) -> float:
    """The β of the lecture's loss that a loss reduced another way trains with.

    A loss ``reconstruction_reduced + beta * kl_reduced`` equals, up to a positive factor,
    ``sse + effective_beta * KL`` with both terms summed over the batch (the lecture's loss).
    Adam's steps barely change when the loss is multiplied by a constant, so training it
    is training a beta-VAE with this β. ``"mean"`` divides the summed squared error by B * D,
    ``"per image"`` by B, ``"sum"`` by 1; the KL likewise, with the code's dimensions for D.

    Args:
        reconstruction: how the squared errors ``(B, pixels)`` are reduced: "sum", "per image" or "mean".
        kl: how the KL terms ``(B, latent_dims)`` are reduced: "sum", "per image" or "mean".
        batch_size: images per batch, B.
        latent_dims: dimensions of the code.
        pixels: values per image, D (784 for MNIST).
        beta: the weight written in front of the reduced KL term.

    Returns:
        the effective β; 1.0 for the lecture's sum/sum, 784 for ``F.mse_loss(x_hat, x)`` + per-image KL.
    """
    batch_size, latent_dims = arguments.whole("batch_size", batch_size), arguments.whole("latent_dims", latent_dims)
    pixels, beta = arguments.whole("pixels", pixels), arguments.real("beta", beta, low=0)
    divisor = {"sum": 1, "per image": batch_size}  # what each reduction divides the summed term by
    recon_divisor = {**divisor, "mean": batch_size * pixels}[choice("reconstruction", reconstruction, REDUCTIONS)]
    kl_divisor = {**divisor, "mean": batch_size * latent_dims}[choice("kl", kl, REDUCTIONS)]
    return beta * recon_divisor / kl_divisor
