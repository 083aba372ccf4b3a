"""Self-checks for the notebooks' exercises: each prints a clear ✓, or ✗ with a hint, and returns True or False.

They call the student's function on inputs of their own and compare with an
independent reference (``torch.distributions``, or the defining property), so a
check never trusts the library function the student is rebuilding.
"""

from __future__ import annotations

import functools
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
            result = fn(*args)
    except NotImplementedError:
        return None, "Not written yet: replace the `raise NotImplementedError` line with your code."
    except Exception as error:
        in_place = " Build a new tensor (z = mu + ...) instead of changing an input in place (+=, add_)." if (
            "in-place" in str(error)) else ""
        return None, f"Your function raised {type(error).__name__}: {str(error).rstrip('.')}.{in_place}"
    if result is None:
        return None, "Your function returned None: end it with a `return` line."
    return result, None


def _got(result: object) -> str:
    """What the student's function returned, in words, for a hint: a tensor's shape, or the type."""
    if isinstance(result, torch.Tensor):
        return f"a tensor of shape {tuple(result.shape)}"
    if type(result).__module__ == "numpy" or isinstance(result, (list, float)):
        kind = "a NumPy array" if type(result).__module__ == "numpy" else f"a {type(result).__name__}"
        return f"{kind} (keep torch tensors: .numpy(), .tolist() and .item() cut the gradients)"
    return f"a {type(result).__name__}"


def _copies(*tensors: torch.Tensor) -> list[torch.Tensor]:
    """Fresh leaf copies for the student's function: an answer that changes its inputs in place (``z_2 -= z_1``)
    leaves the originals, from which the check builds its reference, as they were."""
    return [t.detach().clone().requires_grad_(t.requires_grad) for t in tensors]


def _floats(result: torch.Tensor, like: torch.Tensor, what: str):
    """``result`` detached in ``like``'s dtype, so that float32 and float64 answers compare alike;
    or ``(None, a hint)`` if it does not hold real numbers."""
    if not result.is_floating_point():
        return None, (f"{what} has dtype {result.dtype}, but it holds real numbers: keep floating-point tensors "
                      "(no .long(), .int(), .round() or //).")
    return result.detach().to(like.dtype), None


def _report(ok: bool, success: str, hint: str) -> bool:
    print(f"{PASS} {success}" if ok else f"{FAIL} {hint}")
    return ok


def _fail(hint: str) -> bool:
    return _report(False, "", hint)


def _never_raises(check: Callable[..., bool]) -> Callable[..., bool]:
    """A check that prints ✗ with a hint, instead of a traceback, whatever the student's answer does to it."""
    @functools.wraps(check)
    def safe(*args, **kwargs) -> bool:
        try:
            return check(*args, **kwargs)
        except Exception as error:
            return _fail(f"The check could not judge your answer ({type(error).__name__}: {error}). Look at what "
                         "your function returns: a torch.Tensor of the expected shape, with floats.")
    return safe


@_never_raises
def check_kl(my_kl: Callable) -> bool:
    """Check ``my_kl(mu, log_sigma)`` -> KL(N(mu, sigma^2) || N(0, I)) per row, shape ``(B,)``."""
    generator = torch.Generator().manual_seed(0)
    mu = torch.randn(6, 3, generator=generator, dtype=torch.float64)
    log_sigma = torch.randn(6, 3, generator=generator, dtype=torch.float64) / 2
    sigma = log_sigma.exp()
    expected = kl_divergence(Normal(mu, sigma), Normal(0.0, 1.0)).sum(dim=1)
    blog = (sigma**2 + mu**2 - log_sigma - 0.5).sum(dim=1)
    result, problem = _call(my_kl, *_copies(mu, log_sigma))
    if problem:
        return _fail(problem)
    if not isinstance(result, torch.Tensor) or result.shape != expected.shape:
        return _fail(f"Expected one KL per row, shape {tuple(expected.shape)}, got {_got(result)}: "
                     "sum over the latent dimensions only (dim=1).")
    result, problem = _floats(result, expected, "The KL")
    if problem:
        return _fail(problem)
    if torch.allclose(result, blog):
        return _fail("That is the blog's formula, the KL to N(0, 1/2): compare with "
                     "(sigma^2 + mu^2 - 1) / 2 - log sigma.")
    return _report(torch.allclose(result, expected, rtol=1e-5, atol=1e-6),
                   "KL matches torch.distributions.kl_divergence on 6 random Gaussians.",
                   "The values differ from torch.distributions. Per dimension: (sigma^2 + mu^2 - 1) / 2 - log sigma, "
                   "with sigma = exp(log_sigma).")


@_never_raises
def check_reparameterize(my_reparameterize: Callable) -> bool:
    """Check ``my_reparameterize(mu, sigma)``: samples of N(mu, sigma^2) that let gradients reach mu and sigma."""
    n = 100_000
    mu, sigma = torch.tensor([2.0, -1.0]).repeat(n, 1), torch.tensor([0.5, 3.0]).repeat(n, 1)
    mu_given, sigma_given = _copies(mu.requires_grad_(), sigma.requires_grad_())
    z, problem = _call(my_reparameterize, mu_given, sigma_given)
    if problem:
        return _fail(problem)
    if not isinstance(z, torch.Tensor) or z.shape != mu.shape:
        return _fail(f"Expected z of mu's shape {tuple(mu.shape)}, got {_got(z)}; draw eps with "
                     "torch.randn_like(mu).")
    z_values, problem = _floats(z, mu, "z")
    if problem:
        return _fail(problem)
    if not torch.isfinite(z_values).all():
        return _fail("z holds NaN or infinite values: z = mu + sigma * eps, with eps = torch.randn_like(mu).")
    if not z.requires_grad:
        return _fail("No gradient reaches mu and sigma: build z from them, z = mu + sigma * eps, "
                     "instead of sampling z directly or returning a new tensor.")
    grad_mu, grad_sigma = torch.autograd.grad(z.sum(), [mu_given, sigma_given], allow_unused=True)
    for name, grad in (("mu", grad_mu), ("sigma", grad_sigma)):
        if grad is None or not grad.abs().sum() > 0:
            return _fail(f"No gradient reaches {name}: z must be built from it, z = mu + sigma * eps, with neither "
                         f"{name} detached nor left out.")
    mean_ok = torch.allclose(z_values.mean(0), mu[0].detach(), atol=5 * 3.0 / math.sqrt(n))
    std_ok = torch.allclose(z_values.std(0), sigma[0].detach(), rtol=0.02)
    grads_ok = torch.allclose(grad_mu.to(mu.dtype), torch.ones_like(mu))
    return _report(mean_ok and std_ok and grads_ok,
                   "z has mean mu and spread sigma, and gradients reach both.",
                   "z should be mu + sigma * eps with eps ~ N(0, I): check its mean "
                   f"{z.mean(0).tolist()} (expected [2, -1]) and spread {z.std(0).tolist()} (expected [0.5, 3]).")


@_never_raises
def check_sse(my_sse: Callable) -> bool:
    """Check ``my_sse(x_hat, x)`` -> the sum of squared errors over pixels and batch, a scalar."""
    generator = torch.Generator().manual_seed(0)
    x_hat, x = torch.rand(4, 1, 28, 28, generator=generator), torch.rand(4, 1, 28, 28, generator=generator)
    expected = sum(float(((a - b) ** 2).sum()) for a, b in zip(x_hat, x))
    result, problem = _call(my_sse, *_copies(x_hat, x))
    if problem:
        return _fail(problem)
    if not isinstance(result, torch.Tensor) or result.dim() != 0:
        return _fail(f"Expected one number (a 0-dimensional tensor), got {_got(result)}: sum over pixels *and* "
                     "batch, with .sum() and no dim.")
    result, problem = _floats(result, x, "The sum of squared errors")
    if problem:
        return _fail(problem)
    if math.isclose(float(result), expected / x.numel(), rel_tol=1e-4):
        return _fail("That is the mean squared error; the lecture's loss is the sum.")
    hint = f"Expected {expected:.2f} on this test batch, got {float(result):.2f}."
    return _report(math.isclose(float(result), expected, rel_tol=1e-4), "Sum of squared errors is right.", hint)


@_never_raises
def check_variational_encoder(encoder_class: Callable) -> bool:
    """Check a VariationalEncoder class: ``encoder_class(2)`` has ``linear1..3`` and its forward returns
    z = mu + sigma * eps with mu = linear2(h), sigma = exp(linear3(h)), h = relu(linear1(flattened x)), and sets
    ``self.kl`` to the batch's summed KL(N(mu, sigma^2) || N(0, 1))."""
    if not isinstance(encoder_class, type):
        return _fail(f"Give the class itself, check_variational_encoder(VariationalEncoder), not "
                     f"{_got(encoder_class)}.")
    encoder, problem = _call(encoder_class, 2)  # on a forked random state: the notebook's numbers stay as they were
    if problem:
        return _fail(problem + (" The class must take the number of latent dimensions: "
                                "def __init__(self, latent_dims)." if "__init__" in problem else ""))
    layers = [getattr(encoder, name, None) for name in ("linear1", "linear2", "linear3")]
    if not all(isinstance(layer, torch.nn.Linear) for layer in layers):
        return _fail("The encoder needs the lecture's layers: linear1 (784 -> 512), linear2 (mu), linear3 (sigma).")
    sizes = [(layer.in_features, layer.out_features) for layer in layers]
    width = sizes[0][1]
    if sizes != [(784, width), (width, 2), (width, 2)]:
        return _fail(f"The layers should be linear1 = nn.Linear(784, 512), linear2 and linear3 = nn.Linear(512, "
                     f"latent_dims); with latent_dims = 2 they are {sizes}.")
    x = torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    with torch.no_grad(), torch.random.fork_rng(devices=[]):
        h = torch.relu(encoder.linear1(x.flatten(start_dim=1)))
        mu, sigma = encoder.linear2(h), torch.exp(encoder.linear3(h))
        torch.manual_seed(2)
        expected = mu + sigma * torch.randn_like(mu)
    kl = kl_divergence(Normal(mu, sigma), Normal(0.0, 1.0)).sum()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(2)
        z, problem = _call(encoder, *_copies(x))
    if problem:
        return _fail(problem)
    if not isinstance(z, torch.Tensor) or z.shape != expected.shape:
        return _fail(f"forward should return z of shape {tuple(expected.shape)}: one code per image.")
    z, problem = _floats(z, expected, "z")
    if problem:
        return _fail(problem)
    if not torch.allclose(z, expected, atol=1e-5):
        return _fail("z differs from mu + sigma * eps: no ReLU on mu, sigma = torch.exp(self.linear3(x)), "
                     "eps = torch.randn_like(mu).")
    return _check_kl_attribute(getattr(encoder, "kl", None), kl)


def _check_kl_attribute(given: object, kl: torch.Tensor) -> bool:
    """The verdict on the encoder's ``self.kl``: one number, the summed KL ``kl``."""
    hint = f"self.kl should be the summed KL to N(0, 1), {kl.item():.3f} here"
    if given is None:
        return _fail(f"{hint}, but forward never set self.kl: compute the KL from mu and sigma in forward and keep "
                     "its sum over the batch and the dimensions in self.kl.")
    if not isinstance(given, torch.Tensor) or given.numel() != 1:
        shape = f"shape {tuple(given.shape)}" if isinstance(given, torch.Tensor) else f"{given!r}"
        return _fail(f"{hint}: one number summed over the batch and the dimensions; got {shape}.")
    value, problem = _floats(given.reshape(()), kl, "self.kl")
    if problem:
        return _fail(problem)
    return _report(torch.allclose(value, kl, rtol=1e-4), "forward computes z = mu + sigma * eps and self.kl is the "
                   "true KL.", f"{hint}; got {value.item():.3f}.")


@_never_raises
def check_interpolate(my_interpolate: Callable, decoder: Callable, z_1: torch.Tensor, z_2: torch.Tensor) -> bool:
    """Check ``my_interpolate(z_1, z_2, n)`` -> the n images decoded at evenly spaced codes from z_1 to z_2."""
    n = 5
    with torch.no_grad():
        expected = torch.cat([decoder(z_1 + (z_2 - z_1) * t) for t in torch.linspace(0, 1, n).tolist()])
    result, problem = _call(my_interpolate, *_copies(z_1, z_2), n)
    if problem:
        return _fail(problem)
    if not isinstance(result, torch.Tensor) or result.shape != expected.shape:
        stacked = " Join the images with torch.cat, not torch.stack." if isinstance(result, torch.Tensor) and (
            result.numel() == expected.numel() and result.dim() == expected.dim() + 1) else ""
        return _fail(f"Expected {n} images, shape {tuple(expected.shape)}, got {_got(result)}.{stacked}")
    result, problem = _floats(result, expected, "The images")
    if problem:
        return _fail(problem)
    return _report(torch.allclose(result, expected, atol=1e-5),
                   f"{n} images, evenly spaced from z_1 to z_2, both ends included.",
                   "The images differ: decode z_1 + (z_2 - z_1) * t for t = 0, 1/(n-1), ..., 1.")
