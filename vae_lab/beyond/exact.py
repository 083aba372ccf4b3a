"""The exact log p(x) of a VAE with two latent dimensions, and its true posterior, on a grid of z.

With ``latent_dims = 2`` the marginal likelihood is an integral over a plane,

    p(x) = ∫ p(x | z) p(z) dz  ≈  Σ_g p(x | z_g) p(z_g) ΔA        (the midpoint rule, cells of area ΔA = step²)

and it can be computed rather than bounded: decode a grid of z once, then score every image
against every decoded grid point (for the Gaussian decoder one matrix product, since
|x - x̂|² = |x|² - 2 x·x̂ + |x̂|²). The true posterior p(z | x) = p(x | z) p(z) / p(x) lies on
the same grid. Prince, *Understanding Deep Learning* (2023), notebook 17.1, does this for a
1-D toy; here it is the lecture's model on MNIST.

The grid must be fine where the posterior's mass is (a 2-D model's q(z | x) has σ of about
0.1-0.2) and wide enough to hold it: ``grid_log_px`` returns, beside log p(x), the share of
each image's posterior mass on the grid's outermost ring, and notebooks show the value
against the step.
"""

import math

import torch
from torch import Tensor, nn

from .. import _checks as arguments
from ..data import IMAGE_SIZE, batches
from ..training import evaluation_mode
from .likelihood import log_prior

GAUSSIAN_CONSTANT = IMAGE_SIZE / 2 * math.log(math.pi)  # log N(x; x̂, I/2) = -|x - x̂|² - (D/2) log π
LIKELIHOODS = ("gaussian", "bernoulli")
EPS = 1e-6  # a Bernoulli decoder's pixel probabilities are kept in [EPS, 1 - EPS]: log 0 would be -inf


def latent_grid(extent: float = 5.0, step: float = 0.02) -> Tensor:
    """The centres of the square cells of side ``step`` that tile [-extent, extent]², row by row.

    Returns:
        shape ``(n * n, 2)`` with ``n = round(2 * extent / step)``: (z₁, z₂), z₁ varying fastest.
    """
    extent, step = arguments.real("extent", extent, positive=True), arguments.real("step", step, positive=True)
    if step > extent:
        raise ValueError(f"step must be at most extent; got step={step}, extent={extent}.")
    n = round(2 * extent / step)
    centres = -extent + step * (torch.arange(n, dtype=torch.float64) + 0.5)
    z2, z1 = torch.meshgrid(centres, centres, indexing="ij")
    return torch.stack([z1.flatten(), z2.flatten()], dim=1).float()


def log_joint(decoded: Tensor, x: Tensor, likelihood: str, prior: Tensor) -> Tensor:
    """log p(x | z_g) + log p(z_g) of every image against every grid point.

    Args:
        decoded: the decoder's images of the grid points, flattened, shape ``(G, 784)``.
        x: images, flattened, shape ``(B, 784)``.
        prior: log p(z_g), shape ``(G,)``.

    Returns:
        shape ``(B, G)``, in nats.
    """
    if likelihood == "gaussian":  # -|x - x̂|² - (D/2) log π, with |x - x̂|² expanded into one matrix product
        log_px_z = 2 * x @ decoded.T - (x * x).sum(1, keepdim=True) - (decoded * decoded).sum(1) - GAUSSIAN_CONSTANT
    else:  # Bernoulli: Σ x log x̂ + (1 - x) log(1 - x̂)
        p = decoded.clamp(EPS, 1 - EPS)
        log_px_z = x @ p.log().T + (1 - x) @ (-p).log1p().T
    return log_px_z + prior


@torch.no_grad()
def grid_log_px(model: nn.Module, data, *, extent: float = 5.0, step: float = 0.02, likelihood: str = "gaussian",
                batch_size: int = 500, chunk: int = 16_384) -> dict[str, Tensor]:
    """log p(x) of each image under a 2-D VAE, by the midpoint rule over [-extent, extent]².

    p(x) ≈ Σ_g p(x | z_g) p(z_g) step², accumulated chunk by chunk of the grid as a running log-sum-exp (the
    whole (images × grid) table would take gigabytes). The decoder's constant is included: for the lecture's
    Gaussian decoder N(x̂, I/2) that is -(784/2) log π = -448.7 nats, so the number is a density of continuous
    pixels; for a Bernoulli decoder, a probability of binary pixels.

    Args:
        model: a VAE whose ``decoder`` maps codes ``(N, 2)`` to images; its prior is ``log_prior`` (N(0, I)
            unless the model has another).
        data: a ``Split`` or images ``(N, 1, 28, 28)``.
        extent, step: the grid, as in ``latent_grid``; its cells number ``(2 extent / step)²``.
        likelihood: ``"gaussian"`` (the lecture's loss) or ``"bernoulli"``.
        batch_size: images scored at once; chunk: grid points decoded at once.

    Returns:
        ``{"log_px": (N,), "edge_mass": (N,)}``: log p(x) in nats, and the share of each image's posterior mass
        in the grid's outermost ring of cells (near 0 when the grid holds the posterior).
    """
    device = arguments.device_of(model, "grid_log_px")
    if getattr(model, "latent_dims", 2) != 2:
        raise ValueError(f"grid_log_px sums over a plane of codes: it needs a model with latent_dims=2, got "
                         f"{model.latent_dims}. For more dimensions use iwae_estimate, a bound.")
    arguments.choice("likelihood", likelihood, LIKELIHOODS)
    images = arguments.as_split(data).images.to(device).flatten(start_dim=1)
    z = latent_grid(extent, step).to(device)
    edge = (z.abs() > extent - step).any(dim=1)  # the outermost ring of cells
    log_area = 2 * math.log(step)
    log_px, edge_log = [], []
    with evaluation_mode(model):
        parts = list(batches(z, chunk))
        decoded = [model.decoder(part).flatten(start_dim=1) for part in parts]  # decoded once, for all images
        prior = [log_prior(model, part) for part in parts]
        edges = list(batches(edge, chunk))
        for x in batches(images, batch_size):
            total = torch.full((len(x),), -math.inf, device=device)
            on_edge = total.clone()
            for x_hat, log_p_z, ring in zip(decoded, prior, edges):
                joint = log_joint(x_hat, x, likelihood, log_p_z)  # (B, chunk)
                total = torch.logaddexp(total, torch.logsumexp(joint, dim=1))
                if ring.any():
                    on_edge = torch.logaddexp(on_edge, torch.logsumexp(joint[:, ring], dim=1))
            log_px.append(total + log_area)
            edge_log.append(on_edge - total)
    return {"log_px": torch.cat(log_px).cpu(), "edge_mass": torch.cat(edge_log).exp().cpu()}


@torch.no_grad()
def grid_posterior(model: nn.Module, x: Tensor, *, extent: float = 5.0, step: float = 0.02,
                   likelihood: str = "gaussian") -> tuple[Tensor, Tensor]:
    """The true posterior p(z | x) of one image on the grid, for contour plots beside the encoder's q(z | x).

    Args:
        x: one image, shape ``(1, 28, 28)`` or ``(1, 1, 28, 28)``.

    Returns:
        ``(density, centres)``: the posterior density (it sums to 1 / step² over the grid), shape ``(n, n)`` with
        z₂ along the rows and z₁ along the columns; and the cell centres along each axis, shape ``(n,)``.
    """
    device = arguments.device_of(model, "grid_posterior")
    arguments.choice("likelihood", likelihood, LIKELIHOODS)
    x = arguments.images(x.reshape(1, -1) if x.numel() == IMAGE_SIZE else x, "x").to(device).reshape(1, -1)
    if len(x) != 1:
        raise ValueError(f"x must be one image, shape (1, 28, 28); got a batch of {len(x)}.")
    z = latent_grid(extent, step).to(device)
    with evaluation_mode(model):
        joint = torch.cat([log_joint(model.decoder(part).flatten(start_dim=1), x, likelihood,
                                     log_prior(model, part)) for part in batches(z, 16_384)], dim=1)[0]
    n = round(math.sqrt(len(z)))
    density = (joint - torch.logsumexp(joint, dim=0)).exp() / step**2
    return density.reshape(n, n).cpu(), z[:n, 0].cpu()
