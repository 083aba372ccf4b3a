"""Why the reparameterization trick: two estimators of the same gradient, draw by draw.

The lecture's loss holds an expectation over the code, E_q[f(z)] with q = N(mu, sigma^2) the
encoder's distribution and f(z) the squared error of the image decoded from z. Its gradient
with respect to the encoder's outputs mu and log sigma can be estimated from draws of z:

- the **score function** (REINFORCE; Williams 1992, Glynn 1990):
  grad E_q[f(z)] = E_q[ f(z) grad log q(z) ]: it needs only the values of f;
- the **reparameterization trick** (Kingma & Welling 2014, section 2.4): z = mu + sigma * eps,
  eps ~ N(0, I), so grad E_q[f(z)] = E_eps[ grad f(mu + sigma * eps) ]: it uses f's own slope.

Both are unbiased; their variances differ by orders of magnitude (notebook 8 measures it).
Each function returns one estimate per draw, so that their mean and their spread can be read.
"""

from collections.abc import Callable

import torch
from torch import Tensor, nn
from torch.distributions import Normal

from .. import _checks as arguments
from ..models import kl_divergence
from .likelihood import same_shape, sse

ESTIMATORS = ("score function", "reparameterization")
MAX_DECODED = 16_384  # codes decoded in one go (draws x batch): about 50 MB of pixels


def leaves(mu: Tensor, log_sigma: Tensor, draws: int) -> tuple[Tensor, Tensor]:
    """``draws`` copies of mu and log sigma, ``(draws, B, d)``, as leaves: autograd then keeps one gradient per draw."""
    return tuple(t.detach().expand(draws, *t.shape).clone().requires_grad_() for t in (mu, log_sigma))


def score_function_draws(f: Callable[[Tensor], Tensor], mu: Tensor, log_sigma: Tensor, draws: int,
                         baseline: bool = False) -> tuple[Tensor, Tensor]:
    """``draws`` single-draw estimates of grad E_q[f(z)] by the score function, q = N(mu, sigma^2).

    Each estimate is f(z) grad log q(z) for one z ~ q: the gradient of the "surrogate"
    f(z) log q(z) with f's value held fixed (no gradient flows through f or through z).
    With ``baseline``, f(z) is replaced by f(z) minus the mean of f over the other draws
    (a leave-one-out baseline; Kool et al. 2019): still unbiased, as E_q[grad log q] = 0.

    Args:
        f: maps codes ``(S, B, d)`` to values ``(S, B)``, each value from its own code z[s, b].
        mu: means ``(B, d)``; log_sigma: log standard deviations, the same shape.
        draws: estimates to return, S (at least 2 with a baseline).

    Returns:
        ``(grad_mu, grad_log_sigma)``, each ``(draws, B, d)``.
    """
    same_shape("mu", mu, "log_sigma", log_sigma)
    draws = arguments.whole("draws", draws, low=2 if baseline else 1)
    mu, log_sigma = leaves(mu, log_sigma, draws)
    q = Normal(mu, log_sigma.exp())
    z = q.sample()  # sample(), not rsample(): z carries no gradient back to mu and sigma
    with torch.no_grad():
        values = f(z)  # (S, B)
        if baseline:
            values = values - (values.sum(dim=0) - values) / (draws - 1)
    surrogate = (values * q.log_prob(z).sum(dim=-1)).sum()
    return torch.autograd.grad(surrogate, (mu, log_sigma))


def reparameterization_draws(f: Callable[[Tensor], Tensor], mu: Tensor, log_sigma: Tensor,
                             draws: int) -> tuple[Tensor, Tensor]:
    """``draws`` single-draw estimates of grad E_q[f(z)] by the reparameterization trick, q = N(mu, sigma^2).

    Each estimate is the gradient of f(mu + sigma * eps) for one eps ~ N(0, I): the gradient
    that ``loss.backward()`` computes in training (``vae_lab.models.reparameterize``).

    Args:
        f: maps codes ``(S, B, d)`` to values ``(S, B)``, each value from its own code z[s, b].
        mu: means ``(B, d)``; log_sigma: log standard deviations, the same shape.
        draws: estimates to return, S.

    Returns:
        ``(grad_mu, grad_log_sigma)``, each ``(draws, B, d)``.
    """
    same_shape("mu", mu, "log_sigma", log_sigma)
    mu, log_sigma = leaves(mu, log_sigma, arguments.whole("draws", draws))
    z = mu + log_sigma.exp() * torch.randn_like(mu)
    return torch.autograd.grad(f(z).sum(), (mu, log_sigma))


def loss_gradient_draws(decoder: nn.Module, x: Tensor, mu: Tensor, log_sigma: Tensor, draws: int,
                        estimator: str, baseline: bool = False) -> tuple[Tensor, Tensor]:
    """Single-draw estimates of the gradient of each image's lecture loss with respect to its mu and log sigma.

    The loss of image b is ``sse(decoder(z_b), x_b) + KL(N(mu_b, sigma_b^2) || N(0, I))``, the
    lecture's ``((x - x_hat)**2).sum() + encoder.kl`` for one image. Only its first term is an
    expectation over z: it is estimated with ``estimator``; the KL is in closed form, so its exact
    gradient is added to every draw and does not change their spread.

    Args:
        decoder: codes ``(N, d)`` -> images ``(N, 1, 28, 28)``, such as ``vae.decoder``.
        x: images ``(B, 1, 28, 28)`` on the decoder's device.
        mu: the encoder's means ``(B, d)``; log_sigma: its log standard deviations, the same shape.
        draws: estimates per image.
        estimator: ``"score function"`` or ``"reparameterization"``.
        baseline: for the score function, subtract a leave-one-out baseline (``score_function_draws``).

    Returns:
        ``(grad_mu, grad_log_sigma)``, each ``(draws, B, d)``; their mean over draws estimates the gradient.
    """
    estimator, draws = arguments.choice("estimator", estimator, ESTIMATORS), arguments.whole("draws", draws)
    if baseline and estimator != "score function":
        raise ValueError("baseline=True applies to the score function only; the trick needs none.")
    x = arguments.images(x)
    if len(x) != len(mu):
        raise ValueError(f"x and mu must hold the same images: got {len(x)} images and {len(mu)} rows of mu.")

    def reconstruction(z: Tensor) -> Tensor:  # (S, B, d) -> (S, B): each image's squared error
        x_hat = decoder(z.flatten(end_dim=1))
        return sse(x_hat, x.expand(len(z), *x.shape).flatten(end_dim=1), per_image=True).view(z.shape[:2])

    chunk = max(2, MAX_DECODED // len(x))  # draws decoded together; >= 2 so that a baseline has others
    estimates = [score_function_draws(reconstruction, mu, log_sigma, n, baseline) if estimator == "score function"
                 else reparameterization_draws(reconstruction, mu, log_sigma, n)
                 for n in chunk_sizes(draws, chunk)]
    mu_kl, log_sigma_kl = leaves(mu, log_sigma, 1)
    kl_mu, kl_log_sigma = torch.autograd.grad(kl_divergence(mu_kl[0], log_sigma_kl[0]).sum(), (mu_kl, log_sigma_kl))
    return (torch.cat([g for g, _ in estimates]) + kl_mu, torch.cat([g for _, g in estimates]) + kl_log_sigma)


def chunk_sizes(total: int, chunk: int) -> list[int]:
    """``total`` split into pieces of at most ``chunk``, none of them 1 unless ``total`` is 1."""
    sizes = [chunk] * (total // chunk) + ([total % chunk] if total % chunk else [])
    if len(sizes) > 1 and sizes[-1] == 1:  # a lone draw would have no other draws for its baseline
        sizes[-2:] = [sizes[-2] - 1, 2]
    return sizes
