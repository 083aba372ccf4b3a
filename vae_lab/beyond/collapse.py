"""Posterior collapse (notebook 7): how a loss's reduction sets β, and how to see collapse and cure it.

- ``effective_beta``: the β that a loss reduced by mean or per image trains with.
- ``kl_per_dimension``, ``latent_activity``, ``active_units``: which latent dimensions carry anything.
- ``FreeBits`` and ``KLWarmup``: two cures, as losses for ``train(..., loss=...)``.
"""

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from .. import _checks as arguments
from .._checks import choice
from ..data import IMAGE_SIZE, Split
from ..models import kl_terms
from ..plots import encoder_of
from ..training import EVAL_BATCH_SIZE, evaluation_mode, labelled_batches, on_device, vae_loss

MAX_FREE_BITS = 1000  # nats per dimension: more than an MNIST code can use (784 ln 2 = 543); far more overflows float32


@dataclass
class FreeBits:
    """The lecture's loss where each latent dimension's KL, averaged over the batch, counts as at least
    ``free_bits`` nats ("free bits", Kingma et al. 2016, *Improved Variational Inference with Inverse
    Autoregressive Flow*, appendix C.8): below that, using a dimension costs nothing.

    ``FreeBits(2.0, beta=784)(model, x, y)`` returns ``(loss, reconstruction, kl)``, the kl being the true one.
    """

    free_bits: float
    beta: float = 1.0

    def __post_init__(self):
        self.free_bits = arguments.real("free_bits", self.free_bits, low=0)
        if self.free_bits > MAX_FREE_BITS:
            raise ValueError(f"free_bits={self.free_bits:g} nats per dimension is more than any MNIST code can use "
                             f"(784 binary pixels hold 784 ln 2 = 543 nats); give at most {MAX_FREE_BITS}.")
        self.beta = arguments.real("beta", self.beta, low=0)

    def __call__(self, model: nn.Module, x: Tensor, y: Tensor | None = None) -> tuple[Tensor, Tensor, Tensor]:
        if not hasattr(model.encoder, "linear3"):
            raise TypeError(f"FreeBits needs a variational model like VariationalAutoencoder(2), got "
                            f"{type(model).__name__}: its encoder has no KL per dimension.")
        _, recon, kl = vae_loss(model, x)
        kl_dims = kl_terms(model.encoder.mu, model.encoder.log_sigma).sum(dim=0)  # (latent_dims,), batch-summed
        return recon + self.beta * kl_dims.clamp(min=self.free_bits * len(x)).sum(), recon, kl


@dataclass
class KLWarmup:
    """The lecture's loss with the KL term's weight rising linearly from beta / steps at the first training step to
    beta at step ``steps``, then beta (Sønderby et al. 2016; Bowman et al. 2016 used a sigmoid).

    It counts the batches it sees while the model is in training mode, so use a fresh one for each training run;
    ``steps`` = epochs of warm-up x batches per epoch.
    """

    steps: int
    beta: float = 1.0
    step: int = 0

    def __post_init__(self):
        self.steps, self.beta = arguments.whole("steps", self.steps), arguments.real("beta", self.beta, low=0)

    def __call__(self, model: nn.Module, x: Tensor, y: Tensor | None = None) -> tuple[Tensor, Tensor, Tensor]:
        if model.training:
            self.step += 1
        weight = self.beta * min(1.0, self.step / self.steps) if model.training else self.beta
        _, recon, kl = vae_loss(model, x)
        return recon + weight * kl, recon, kl


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


@torch.no_grad()
def kl_per_dimension(model: nn.Module, data: Split | Tensor, batch_size: int = EVAL_BATCH_SIZE) -> Tensor:
    """A VAE's KL term for each latent dimension on its own, averaged over ``data``'s images.

    A dimension whose KL is near 0 is switched off: its mu stays at 0 and its sigma at 1
    for every image, so it carries nothing about the image. The entries sum to
    ``evaluate(model, data)["kl"]``.

    Returns:
        shape ``(latent_dims,)``, in nats per image, on the CPU.
    """
    device = arguments.variational_device_of(model, "kl_per_dimension")
    batch_size = arguments.whole("batch_size", batch_size)
    images, labels = on_device(arguments.as_split(data), device)
    total = torch.zeros(arguments.latent_dims(model), dtype=torch.float64)
    with evaluation_mode(model):
        for x, y in labelled_batches(images, labels, batch_size):
            encoder_of(model)(x, y)
            mu, log_sigma = model.encoder.mu, model.encoder.log_sigma
            total += kl_terms(mu, log_sigma).sum(dim=0).cpu()
    return (total / len(images)).float()


ACTIVE = 0.01  # a latent dimension is active when its mu varies more than this over the data (Burda et al. 2016)


@torch.no_grad()
def latent_activity(model: nn.Module, data: Split | Tensor, batch_size: int = EVAL_BATCH_SIZE) -> Tensor:
    """The variance over ``data``'s images of each latent dimension's mean code mu = E_q[z | x].

    Burda, Grosse & Salakhutdinov (2016, section 5.2) call a dimension *active* when this
    exceeds ``ACTIVE`` = 0.01: an inactive one gives (nearly) the same mu to every image,
    so the decoder learns nothing from it. Unlike the KL per dimension it ignores sigma;
    a dimension's mean KL is at least half its activity, so "active" means a KL of at least
    0.005 nats. A conditional model's mu also depends on the digit y, so its activity
    includes the spread between digits.

    Args:
        model: a variational model of the library.
        data: images, a ``Split`` (labels go to a conditional model) or a tensor ``(N, 1, 28, 28)``.
        batch_size: images encoded at once.

    Returns:
        shape ``(latent_dims,)``, on the CPU.
    """
    device = arguments.variational_device_of(model, "latent_activity")
    batch_size = arguments.whole("batch_size", batch_size)
    images, labels = on_device(arguments.as_split(data), device)
    encode = encoder_of(model)
    with evaluation_mode(model):
        mu = torch.cat([encode(x, y).double().cpu() for x, y in labelled_batches(images, labels, batch_size)])
    return mu.var(dim=0, correction=0).float()


def active_units(model: nn.Module, data: Split | Tensor, threshold: float = ACTIVE,
                 batch_size: int = EVAL_BATCH_SIZE) -> int:
    """How many latent dimensions are active on ``data``: ``latent_activity`` above ``threshold``."""
    threshold = arguments.real("threshold", threshold, low=0)
    return int((latent_activity(model, data, batch_size) > threshold).sum())
