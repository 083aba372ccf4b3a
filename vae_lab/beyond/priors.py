"""Priors other than N(0, I): a mixture of Gaussians and the VampPrior, and a VAE that takes one.

Every prior here is a mixture of K diagonal Gaussians, described by ``components(encoder)``:
mixture weights (as logits), means and log standard deviations. N(0, I) is the mixture of
one component at 0 with sigma 1; a ``MixturePrior`` learns its K components; a ``VampPrior``
(Tomczak & Welling 2018, *VAE with a VampPrior*) takes them from the encoder itself, as the
posteriors q(z | u_k) of K learned pseudo-images u_k. One formula, ``mixture_log_prob``,
gives log p(z) for all of them.

With such a prior the KL term has no closed form. ``PriorVariationalAutoencoder`` sets its
encoder's ``kl`` to the one-sample Monte-Carlo estimate log q(z | x) - log p(z) at the z it
decoded, so that ``train`` and ``evaluate`` (which read ``model.encoder.kl``) work unchanged.
"""

import math

import torch
from torch import Tensor, nn

from .. import _checks as arguments
from ..data import IMAGE_SHAPE
from ..models import HIDDEN, VariationalAutoencoder, VariationalEncoder

COMPONENTS = 10  # a MixturePrior's default K: one per digit, though nothing makes a component take one digit
PSEUDO_INPUTS = 50  # a VampPrior's default K (Tomczak & Welling 2018 used 500 for a 40-D code)
MIXTURE_SPREAD = 2.0  # a MixturePrior's means start drawn from N(0, 2^2 I), apart from each other
LOG_2PI = math.log(2 * math.pi)


def normal_log_prob(z: Tensor, mu: Tensor, log_sigma: Tensor) -> Tensor:
    """log N(z; mu, diag(sigma^2)), summed over the last dimension (the code's).

        log N(z; mu, sigma^2) = sum_j [ -(z_j - mu_j)^2 / (2 sigma_j^2) - log sigma_j - log(2 pi) / 2 ]

    Args:
        z: codes, shape ``(..., latent_dims)``.
        mu, log_sigma: shapes that broadcast against ``z``'s.

    Returns:
        shape ``z.shape[:-1]`` (broadcast), in nats.
    """
    return (-((z - mu) ** 2) / (2 * torch.exp(2 * log_sigma)) - log_sigma - LOG_2PI / 2).sum(dim=-1)


def mixture_log_prob(z: Tensor, logits: Tensor, mu: Tensor, log_sigma: Tensor) -> Tensor:
    """log p(z) of a mixture of K diagonal Gaussians, log sum_k pi_k N(z; mu_k, sigma_k^2), by logsumexp.

    Args:
        z: codes, shape ``(..., latent_dims)``, any leading dimensions (e.g. ``(k, B, latent_dims)``).
        logits: unnormalised log mixture weights, shape ``(K,)``; pi = softmax(logits).
        mu, log_sigma: the components' means and log standard deviations, shape ``(K, latent_dims)``.

    Returns:
        shape ``z.shape[:-1]``, in nats.
    """
    if mu.dim() != 2 or mu.shape != log_sigma.shape or logits.shape != mu.shape[:1]:
        raise ValueError(f"mixture_log_prob needs logits (K,) and mu, log_sigma (K, latent_dims); got "
                         f"{tuple(logits.shape)}, {tuple(mu.shape)}, {tuple(log_sigma.shape)}.")
    if z.shape[-1] != mu.shape[1]:
        raise ValueError(f"z has {z.shape[-1]} latent dimensions, the prior {mu.shape[1]}.")
    per_component = normal_log_prob(z.unsqueeze(-2), mu, log_sigma)  # (..., K)
    return torch.logsumexp(per_component + torch.log_softmax(logits, dim=0), dim=-1)


def sample_mixture(n: int, logits: Tensor, mu: Tensor, log_sigma: Tensor) -> Tensor:
    """``n`` codes drawn from the mixture: a component k ~ softmax(logits), then z = mu_k + sigma_k * eps.

    Returns:
        shape ``(n, latent_dims)``.
    """
    n = arguments.whole("n", n)
    k = torch.multinomial(torch.softmax(logits, dim=0), n, replacement=True)  # (n,)
    return mu[k] + torch.exp(log_sigma[k]) * torch.randn(n, mu.shape[1], device=mu.device, dtype=mu.dtype)


class StandardNormalPrior(nn.Module):
    """p(z) = N(0, I): the lecture's prior, as a mixture of one component."""

    def __init__(self, latent_dims: int):
        super().__init__()
        self.latent_dims = arguments.whole("latent_dims", latent_dims, high=arguments.MAX_LATENT_DIMS)
        self.register_buffer("zero", torch.zeros(1, self.latent_dims))

    def components(self, encoder: nn.Module | None = None) -> tuple[Tensor, Tensor, Tensor]:
        """``(logits (1,), mu (1, latent_dims), log_sigma (1, latent_dims))``: one component at 0 with sigma 1."""
        return self.zero[:, 0], self.zero, self.zero


class MixturePrior(nn.Module):
    """p(z) = sum_k pi_k N(z; mu_k, sigma_k^2), with the weights, means and sigmas learnt with the VAE.

    The means start spread out (``MIXTURE_SPREAD``), the sigmas at 1, the weights equal.
    """

    def __init__(self, latent_dims: int, components: int = COMPONENTS):
        super().__init__()
        self.latent_dims = arguments.whole("latent_dims", latent_dims, high=arguments.MAX_LATENT_DIMS)
        k = arguments.whole("components", components, high=10_000)
        self.logits = nn.Parameter(torch.zeros(k))
        self.mu = nn.Parameter(MIXTURE_SPREAD * torch.randn(k, self.latent_dims))
        self.log_sigma = nn.Parameter(torch.zeros(k, self.latent_dims))

    def components(self, encoder: nn.Module | None = None) -> tuple[Tensor, Tensor, Tensor]:
        """``(logits (K,), mu (K, latent_dims), log_sigma (K, latent_dims))``; ``encoder`` is not used."""
        return self.logits, self.mu, self.log_sigma


class VampPrior(nn.Module):
    """p(z) = (1/K) sum_k q(z | u_k): the encoder's posteriors of K learnt pseudo-images u_k (Tomczak & Welling 2018).

    The pseudo-images are kept as logits, u_k = sigmoid(pseudo_logits_k), so that their pixels stay in (0, 1);
    they start as noise around grey, or as K training images (``start_from``, which ``init_biases`` calls). The
    prior changes with the encoder, so it needs it to be evaluated.
    """

    def __init__(self, latent_dims: int, pseudo_inputs: int = PSEUDO_INPUTS):
        super().__init__()
        self.latent_dims = arguments.whole("latent_dims", latent_dims, high=arguments.MAX_LATENT_DIMS)
        k = arguments.whole("pseudo_inputs", pseudo_inputs, high=10_000)
        self.pseudo_logits = nn.Parameter(0.1 * torch.randn(k, *IMAGE_SHAPE))
        self.register_buffer("uniform", torch.zeros(k))

    @torch.no_grad()
    def start_from(self, images: Tensor) -> None:
        """Start the pseudo-images as K of ``images`` ``(N, 1, 28, 28)`` picked at random, pixels clamped to
        [0.05, 0.95] so that their logits stay finite (Tomczak & Welling 2018 start them from training data too)."""
        k = len(self.pseudo_logits)
        if len(images) < k:
            raise ValueError(f"start_from needs at least {k} images (one per pseudo-image), got {len(images)}.")
        chosen = images[torch.randperm(len(images))[:k]].to(self.pseudo_logits.device)
        self.pseudo_logits.copy_(torch.logit(chosen.clamp(0.05, 0.95)))

    def pseudo_images(self) -> Tensor:
        """The K pseudo-images u_k, shape ``(K, 1, 28, 28)``, pixels in (0, 1)."""
        return torch.sigmoid(self.pseudo_logits)

    def components(self, encoder: VariationalEncoder) -> tuple[Tensor, Tensor, Tensor]:
        """``(logits (K,), mu (K, latent_dims), log_sigma (K, latent_dims))``: q(z | u_k) for each pseudo-image.

        Runs ``encoder`` on the pseudo-images, which overwrites its ``mu``, ``sigma``, ``log_sigma`` and ``kl``:
        call it before encoding the images whose values you want to keep there.
        """
        encoder(self.pseudo_images())
        return self.uniform, encoder.mu, encoder.log_sigma


class PriorVariationalAutoencoder(VariationalAutoencoder):
    """The lecture's VAE with another prior p(z): its encoder's ``kl`` is a Monte-Carlo estimate.

    After each forward, ``encoder.kl`` is sum over the batch of log q(z | x) - log p(z) at the sampled z: an
    unbiased estimate of KL(q(z | x) || p(z)), noisier than the closed form. Everything else (``encode``,
    ``decode``, ``train``, ``evaluate``, ``iwae_estimate``) works as for ``VariationalAutoencoder``.

    Args:
        latent_dims: size of the code.
        prior: ``"normal"`` (N(0, I), the lecture's), ``"mixture"`` (``MixturePrior``) or ``"vamp"`` (``VampPrior``).
        components: K, the mixture's components or the VampPrior's pseudo-images (``"normal"`` has one).
        hidden: the hidden layers' width.
    """

    PRIORS = {"normal": StandardNormalPrior, "mixture": MixturePrior, "vamp": VampPrior}

    def __init__(self, latent_dims: int, prior: str = "mixture", components: int | None = None, hidden: int = HIDDEN):
        super().__init__(latent_dims, hidden)
        kind = arguments.choice("prior", prior, self.PRIORS)
        if kind == "normal":
            self.prior = StandardNormalPrior(self.latent_dims)
        else:
            default = COMPONENTS if kind == "mixture" else PSEUDO_INPUTS
            k = default if components is None else arguments.whole("components", components, high=10_000)
            self.prior = self.PRIORS[kind](self.latent_dims, k)  # named components, as given: not pseudo_inputs

    def log_prior(self, z: Tensor) -> Tensor:
        """log p(z), shape ``z.shape[:-1]`` for codes ``(..., latent_dims)``. Overwrites the encoder's attributes
        for a VampPrior (see ``VampPrior.components``)."""
        return mixture_log_prob(z, *self.prior.components(self.encoder))

    def forward(self, x: Tensor) -> Tensor:
        """Images ``(B, 1, 28, 28)`` -> reconstructions through a sampled z; ``encoder.kl`` the Monte-Carlo KL."""
        components = self.prior.components(self.encoder)  # first: a VampPrior runs the encoder on its pseudo-images
        z = self.encoder(x)
        log_q = normal_log_prob(z, self.encoder.mu, self.encoder.log_sigma)  # (B,)
        self.encoder.kl = (log_q - mixture_log_prob(z, *components)).sum()
        return self.decoder(z)

    @torch.no_grad()
    def sample_codes(self, n: int) -> Tensor:
        """``n`` codes z ~ p(z), shape ``(n, latent_dims)``, on the model's device."""
        return sample_mixture(n, *self.prior.components(self.encoder))
