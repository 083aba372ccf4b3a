"""Self-checks for the notebooks' exercises: each prints a clear ✓, or ✗ with a hint, and returns True or False.

They call the student's function on inputs of their own and compare with an
independent reference (``torch.distributions``, or the defining property), so a
check never trusts the library function the student is rebuilding.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch.distributions import Normal, kl_divergence

PASS, FAIL = "✓", "✗"


def _call(fn: Callable, *args):
    """Run the student's function; return (result, None) or (None, a hint).

    It runs on a forked random number generator, so that a check leaves the
    notebook's random numbers (and so its later results) as they were.
    """
    try:
        with torch.random.fork_rng(devices=[]):
            return fn(*args), None
    except NotImplementedError:
        return None, "Not written yet: replace the `raise NotImplementedError` line with your code."
    except Exception as error:
        return None, f"Your function raised {type(error).__name__}: {error}"


def _report(ok: bool, success: str, hint: str) -> bool:
    print(f"{PASS} {success}" if ok else f"{FAIL} {hint}")
    return ok


def _fail(hint: str) -> bool:
    return _report(False, "", hint)


def check_kl(my_kl: Callable) -> bool:
    """Check ``my_kl(mu, log_sigma)`` -> KL(N(mu, sigma^2) || N(0, I)) per row, shape ``(B,)``."""
    generator = torch.Generator().manual_seed(0)
    mu = torch.randn(6, 3, generator=generator, dtype=torch.float64)
    log_sigma = torch.randn(6, 3, generator=generator, dtype=torch.float64) / 2
    result, problem = _call(my_kl, mu, log_sigma)
    if problem:
        return _fail(problem)
    expected = kl_divergence(Normal(mu, log_sigma.exp()), Normal(0.0, 1.0)).sum(dim=1)
    if not isinstance(result, torch.Tensor) or result.shape != expected.shape:
        got = tuple(result.shape) if isinstance(result, torch.Tensor) else type(result).__name__
        return _fail(f"Expected one KL per row, shape {tuple(expected.shape)}, got {got}: "
                     "sum over the latent dimensions only (dim=1).")
    sigma = log_sigma.exp()
    if torch.allclose(result, (sigma**2 + mu**2 - log_sigma - 0.5).sum(dim=1)):
        return _fail("That is the blog's formula, the KL to N(0, 1/2): compare with "
                     "(sigma^2 + mu^2 - 1) / 2 - log sigma.")
    return _report(torch.allclose(result.double(), expected, rtol=1e-5, atol=1e-6),
                   "KL matches torch.distributions.kl_divergence on 6 random Gaussians.",
                   "The values differ from torch.distributions. Per dimension: (sigma^2 + mu^2 - 1) / 2 - log sigma, "
                   "with sigma = exp(log_sigma).")


def check_reparameterize(my_reparameterize: Callable) -> bool:
    """Check ``my_reparameterize(mu, sigma)``: samples of N(mu, sigma^2) that let gradients reach mu and sigma."""
    n = 100_000
    mu = torch.tensor([2.0, -1.0]).repeat(n, 1).requires_grad_()
    sigma = torch.tensor([0.5, 3.0]).repeat(n, 1).requires_grad_()
    z, problem = _call(my_reparameterize, mu, sigma)
    if problem:
        return _fail(problem)
    if not isinstance(z, torch.Tensor) or z.shape != mu.shape:
        return _fail(f"Expected z of mu's shape {tuple(mu.shape)}; draw eps with torch.randn_like(mu).")
    if not z.requires_grad:
        return _fail("No gradient reaches mu and sigma: build z from them, z = mu + sigma * eps, "
                     "instead of sampling z directly.")
    mean_ok = torch.allclose(z.mean(0), mu[0], atol=5 * 3.0 / math.sqrt(n))
    std_ok = torch.allclose(z.std(0), sigma[0], rtol=0.02)
    z.sum().backward()
    grads_ok = torch.allclose(mu.grad, torch.ones_like(mu)) and bool(sigma.grad.abs().sum() > 0)
    return _report(mean_ok and std_ok and grads_ok,
                   "z has mean mu and spread sigma, and gradients reach both.",
                   "z should be mu + sigma * eps with eps ~ N(0, I): check its mean "
                   f"{z.mean(0).tolist()} (expected [2, -1]) and spread {z.std(0).tolist()} (expected [0.5, 3]).")


def check_sse(my_sse: Callable) -> bool:
    """Check ``my_sse(x_hat, x)`` -> the sum of squared errors over pixels and batch, a scalar."""
    generator = torch.Generator().manual_seed(0)
    x_hat, x = torch.rand(4, 1, 28, 28, generator=generator), torch.rand(4, 1, 28, 28, generator=generator)
    result, problem = _call(my_sse, x_hat, x)
    if problem:
        return _fail(problem)
    expected = sum(float(((a - b) ** 2).sum()) for a, b in zip(x_hat, x))
    if not isinstance(result, torch.Tensor) or result.dim() != 0:
        return _fail("Expected one number (a 0-dimensional tensor): sum over pixels *and* batch.")
    if math.isclose(float(result), expected / x.numel(), rel_tol=1e-4):
        return _fail("That is the mean squared error; the lecture's loss is the sum.")
    hint = f"Expected {expected:.2f} on this test batch, got {float(result):.2f}."
    return _report(math.isclose(float(result), expected, rel_tol=1e-4), "Sum of squared errors is right.", hint)


def check_variational_encoder(encoder_class: Callable) -> bool:
    """Check a VariationalEncoder class: ``encoder_class(2)`` has ``linear1..3`` and its forward returns
    z = mu + sigma * eps with mu = linear2(h), sigma = exp(linear3(h)), h = relu(linear1(flattened x)), and sets
    ``self.kl`` to the batch's summed KL(N(mu, sigma^2) || N(0, 1))."""
    encoder, problem = _call(encoder_class, 2)  # on a forked random state: the notebook's numbers stay as they were
    if problem:
        return _fail(problem)
    if not all(hasattr(encoder, name) for name in ("linear1", "linear2", "linear3")):
        return _fail("The encoder needs the lecture's layers: linear1 (784 -> 512), linear2 (mu), linear3 (sigma).")
    x = torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(2)
        z, problem = _call(encoder, x)
    if problem:
        return _fail(problem)
    with torch.no_grad(), torch.random.fork_rng(devices=[]):
        h = torch.relu(encoder.linear1(x.flatten(start_dim=1)))
        mu, sigma = encoder.linear2(h), torch.exp(encoder.linear3(h))
        torch.manual_seed(2)
        expected = mu + sigma * torch.randn_like(mu)
    if not isinstance(z, torch.Tensor) or z.shape != expected.shape:
        return _fail(f"forward should return z of shape {tuple(expected.shape)}: one code per image.")
    if not torch.allclose(z.detach(), expected, atol=1e-5):
        return _fail("z differs from mu + sigma * eps: no ReLU on mu, sigma = torch.exp(self.linear3(x)), "
                     "eps = torch.randn_like(mu).")
    kl = kl_divergence(Normal(mu, sigma), Normal(0.0, 1.0)).sum()
    ok = isinstance(encoder.kl, torch.Tensor) and torch.allclose(encoder.kl.detach(), kl, rtol=1e-4)
    return _report(ok, "forward computes z = mu + sigma * eps and self.kl is the true KL.",
                   f"self.kl should be the summed KL to N(0, 1), {kl.item():.3f} here; got {encoder.kl!r}.")


def check_interpolate(my_interpolate: Callable, decoder: Callable, z_1: torch.Tensor, z_2: torch.Tensor) -> bool:
    """Check ``my_interpolate(z_1, z_2, n)`` -> the n images decoded at evenly spaced codes from z_1 to z_2."""
    n = 5
    result, problem = _call(my_interpolate, z_1, z_2, n)
    if problem:
        return _fail(problem)
    with torch.no_grad():
        expected = torch.cat([decoder(z_1 + (z_2 - z_1) * t) for t in torch.linspace(0, 1, n).tolist()])
    if not isinstance(result, torch.Tensor) or result.shape != expected.shape:
        got = tuple(result.shape) if isinstance(result, torch.Tensor) else type(result).__name__
        return _fail(f"Expected {n} images, shape {tuple(expected.shape)}, got {got}.")
    return _report(torch.allclose(result.detach(), expected, atol=1e-5),
                   f"{n} images, evenly spaced from z_1 to z_2, both ends included.",
                   "The images differ: decode z_1 + (z_2 - z_1) * t for t = 0, 1/(n-1), ..., 1.")
