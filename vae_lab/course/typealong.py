"""Type along with the lecture: check what a student typed, and hand the notebook what to use next.

In the type-along copies (``python -m vae_lab.student_copies``) every cell where the
lecture writes a class or a function is empty but for two comment lines; the cell
after it calls ``take``::

    VariationalEncoder = take("VariationalEncoder", globals())

If the student typed the definition, it is checked on inputs of the check's own
(shapes, layer names; the loss and the KL against the library) and, if it works,
the cells after it use it. Left empty, or too broken to run, the library's version
takes its place with one line saying so, so that Run All goes on. The lecture's own
KL line is flagged with a hint, and the notebook carries on with the student's code.
A check never raises, and it draws on a forked random number generator, so the
notebook's later numbers do not depend on it.
"""

from __future__ import annotations

import math
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.data import DataLoader, TensorDataset

from .. import models
from .. import plots
from .cache import train as library_train
from ..data import IMAGE_SHAPE, IMAGE_SIZE
from ..losses import kl_divergence
from ..models import HIDDEN

# Where the lecture writes each definition (the pre-work's autoencoder has no times).
LECTURE = {
    "Encoder": "", "Decoder": "", "Autoencoder": "", "train": "0:08:52–0:09:59", "plot_latent": "",
    "plot_reconstructed": "", "VariationalEncoder": "0:01:56–0:08:15", "VariationalAutoencoder": "0:08:15–0:08:52",
    "interpolate": "0:12:23–0:13:30", "interpolate_gif": "0:13:30–0:13:46", "plot_latent_1d": "0:20:22–0:21:09",
    "plot_reconstructed_1d": "0:20:22–0:21:09",
}
CHECK_IMAGES = 8  # images of a check's batch
CHECK_DIMS = 2


class Refused(Exception):
    """A typed definition that the cells after it could not run: the hint says why."""


def take(name: str, namespace: dict, variational: bool | None = None) -> object:
    """What the cells after ``name``'s type-along cell use: the student's definition if it works, else vae_lab's.

    Prints one line: ✓ (the student's is used), ⚠ (used, with a hint: the lecture's KL line),
    ✗ (a hint; the library's is used) or "not typed yet" (the library's is used).

    Args:
        name: a key of ``LECTURE``, e.g. ``"VariationalEncoder"``.
        namespace: the notebook's ``globals()``, where the student's cell defined ``name``.
        variational: for ``"train"``: True for the VAE's loop (the lecture notebook), False for the
            autoencoder's (the pre-work). By default, True if the namespace holds a ``VariationalAutoencoder``.
    """
    if name not in LECTURE:
        raise ValueError(f"take knows the lecture's definitions {sorted(LECTURE)}, got {name!r}.")
    if variational is None:
        variational = "VariationalAutoencoder" in namespace
    when = LECTURE[name]
    at = f" (lecture {when})" if when and (name != "train" or variational) else ""  # the pre-work has no times
    fallback, made_of = fallback_for(name, namespace)
    typed = namespace.get(name)
    if not typed_in(namespace, name):
        print(f"{name} is not typed yet{at}: the cells below use vae_lab's version{made_of}.")
        return fallback
    device = namespace.get("device", torch.device("cpu"))
    try:
        device = torch.device(device)
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the check's own inputs are not the student's concern
            note = CHECKS[name](typed, device, variational)
    except Refused as refused:  # a hint that names its own lecture time needs no second one
        at = "" if "lecture " in str(refused) else at
        print(f"✗ {name}: {refused}{at}. The cells below use vae_lab's version{made_of} until you fix it.")
        return fallback
    except NotImplementedError:
        print(f"✗ {name}: not written yet{at}. The cells below use vae_lab's version{made_of}.")
        return fallback
    except Exception as error:  # the student's code raised: say what and where to look
        print(f"✗ {name}: your code raised {type(error).__name__}: {error}{hint_for(error)}{at}. "
              f"The cells below use vae_lab's version{made_of} until you fix it.")
        return fallback
    print(f"⚠ {name}: {note} The cells below use your {name}." if note else f"✓ {name}: yours is used from here on.")
    return typed


def typed_in(namespace: dict, name: str) -> bool:
    """Whether ``name`` in the notebook is the student's own (defined in the notebook, not handed over by ``take``)."""
    typed = namespace.get(name)
    return typed is not None and getattr(typed, "__module__", "") == namespace.get("__name__", "__main__")


def fallback_for(name: str, namespace: dict) -> tuple[object, str]:
    """vae_lab's version of ``name``, and what it is made of. An autoencoder left untyped is built, as the lecture
    builds it, from the encoder and decoder the notebook holds, so that a student's typed encoder still drives it."""
    if name not in PARTS:
        return FALLBACKS[name], ""
    typed = [part for part in PARTS[name] if typed_in(namespace, part) and isinstance(namespace[part], type)]
    if not typed:
        return FALLBACKS[name], ""
    encoder, decoder = (namespace[part] if part in typed else FALLBACKS[part] for part in PARTS[name])
    return lecture_autoencoder(name, encoder, decoder), f", built from this notebook's {' and '.join(typed)}"


def lecture_autoencoder(name: str, encoder: type, decoder: type) -> type:
    """The lecture's Autoencoder or VariationalAutoencoder class, from these encoder and decoder classes."""

    class LectureAutoencoder(nn.Module):
        def __init__(self, latent_dims: int):
            super().__init__()
            self.encoder = encoder(latent_dims)
            self.decoder = decoder(latent_dims)

        def forward(self, x: Tensor) -> Tensor:
            return self.decoder(self.encoder(x))

    LectureAutoencoder.__name__ = LectureAutoencoder.__qualname__ = name
    return LectureAutoencoder


def hint_for(error: Exception) -> str:
    """A sentence for the errors that code typed from the video meets on today's machines."""
    text = str(error)
    if "same device" in text:  # noise drawn on the CPU (self.N.sample) for a mu on a GPU or Apple's MPS
        return (". The noise must be on mu's device: write torch.randn_like(mu) instead of self.N.sample(mu.shape) "
                "(the video's .cuda() lines do this for an NVIDIA GPU only)")
    if any(word in text for word in ("CUDA", "cuda", "NVIDIA", "GPU")):
        return (". The video's .cuda() lines need an NVIDIA GPU: delete `self.N.loc = self.N.loc.cuda()` and "
                "`self.N.scale = self.N.scale.cuda()` (self.N.sample then works on the CPU), or write "
                "`torch.randn_like(mu)` instead of self.N.sample(mu.shape)")
    if "__next__" in text or "'next'" in text:
        return ". Write next(iter(data)) instead of data.__iter__().next() (Python 3)"
    if "is not defined" in text:
        return ". Run the cells above first (Run All), or define the name it needs"
    return ""


def images(n: int = CHECK_IMAGES) -> tuple[Tensor, Tensor]:
    """``n`` random images in [0, 1], ``(n, 1, 28, 28)``, and digits ``(n,)``."""
    return torch.rand(n, *IMAGE_SHAPE), torch.arange(n) % 10


def loader(batches: int = 2) -> DataLoader:
    """A tiny DataLoader of ``(x, y)`` batches, like the lecture's (batch size ``CHECK_IMAGES``)."""
    return DataLoader(TensorDataset(*images(batches * CHECK_IMAGES)), batch_size=CHECK_IMAGES)


def build(cls: type, device: torch.device) -> nn.Module:
    """``cls(CHECK_DIMS)`` on ``device``, as the lecture builds its models."""
    if not isinstance(cls, type) or not issubclass(cls, nn.Module):
        raise Refused(f"expected a class (class ... (nn.Module)), got {type(cls).__name__}")
    return cls(CHECK_DIMS).to(device)


def linear(module: nn.Module, name: str, inputs: int, outputs: int) -> nn.Linear:
    """``module.<name>``, checked to be an ``nn.Linear(inputs, outputs)`` as the lecture names it."""
    layer = getattr(module, name, None)
    if not isinstance(layer, nn.Linear):
        raise Refused(f"{type(module).__name__} needs a layer self.{name} = nn.Linear({inputs}, {outputs}) "
                      f"(the lecture's name), found {type(layer).__name__ if layer is not None else 'none'}")
    if (layer.in_features, layer.out_features) != (inputs, outputs):
        raise Refused(f"self.{name} must be nn.Linear({inputs}, {outputs}), got nn.Linear({layer.in_features}, "
                      f"{layer.out_features})")
    return layer


def shaped(result: object, shape: tuple, what: str) -> Tensor:
    """``result``, checked to be a tensor of ``shape`` holding finite real numbers (the cells after it compute with
    it: codes that are whole numbers or NaN would break them)."""
    if not isinstance(result, Tensor) or tuple(result.shape) != shape:
        got = tuple(result.shape) if isinstance(result, Tensor) else type(result).__name__
        raise Refused(f"{what} should have shape {shape}, got {got}")
    if not result.is_floating_point():
        raise Refused(f"{what} should hold real numbers (floats), got dtype {result.dtype}: no .long(), .round() "
                      "or complex numbers")
    if not torch.isfinite(result).all():
        raise Refused(f"{what} holds NaN or infinite values")
    return result


def check_encoder(cls, device, variational) -> str:
    encoder = build(cls, device)
    linear(encoder, "linear1", IMAGE_SIZE, HIDDEN), linear(encoder, "linear2", HIDDEN, CHECK_DIMS)
    shaped(encoder(images()[0].to(device)), (CHECK_IMAGES, CHECK_DIMS), "encoder(x) for x of shape (8, 1, 28, 28)")
    return ""


def check_decoder(cls, device, variational) -> str:
    decoder = build(cls, device)
    linear(decoder, "linear1", CHECK_DIMS, HIDDEN), linear(decoder, "linear2", HIDDEN, IMAGE_SIZE)
    x_hat = shaped(decoder(torch.randn(CHECK_IMAGES, CHECK_DIMS, device=device)), (CHECK_IMAGES, *IMAGE_SHAPE),
                   "decoder(z) for z of shape (8, 2)")
    if x_hat.min() < 0 or x_hat.max() > 1:
        raise Refused("pixels must be in [0, 1]: end with torch.sigmoid, as the lecture")
    return ""


def check_autoencoder(cls, device, variational) -> str:
    model = build(cls, device)
    for part in ("encoder", "decoder"):
        if not isinstance(getattr(model, part, None), nn.Module):
            raise Refused(f"the model needs self.{part} (the lecture's name), built in __init__")
    x = images()[0].to(device)
    shaped(model(x), tuple(x.shape), "model(x) for x of shape (8, 1, 28, 28)")
    if variational and not torch.is_tensor(getattr(model.encoder, "kl", None)):
        raise Refused("after model(x), model.encoder.kl should hold the batch's KL term (a tensor)")
    return ""


def check_variational_encoder(cls, device, variational) -> str:
    """Layers, shapes, the sample (mean, spread, gradients) and the KL against ``losses.kl_divergence``."""
    encoder = build(cls, device)
    layers = [linear(encoder, "linear1", IMAGE_SIZE, HIDDEN), linear(encoder, "linear2", HIDDEN, CHECK_DIMS),
              linear(encoder, "linear3", HIDDEN, CHECK_DIMS)]
    with torch.no_grad():  # mu away from 0 and sigma away from 1, so that a sample missing either shows it
        layers[1].bias += 1.0
        layers[2].bias += 1.0
    x = torch.rand(256, *IMAGE_SHAPE, device=device)
    z = shaped(encoder(x), (256, CHECK_DIMS), "encoder(x) for x of shape (256, 1, 28, 28)")
    h = F.relu(layers[0](torch.flatten(x, start_dim=1)))
    mu, log_sigma = layers[1](h), layers[2](h)  # the lecture's heads: mu, and sigma = exp(linear3(x))
    sigma = log_sigma.exp()
    eps = ((z - mu) / sigma).detach()
    if eps.mean().abs() > 0.3 or not 0.75 < eps.std() < 1.25:
        raise Refused(f"(z - mu) / sigma should be N(0, 1) noise (mean 0, std 1), got mean {eps.mean():.2f} and std "
                      f"{eps.std():.2f}: z = mu + sigma * a sample of N(0, 1) in mu's shape (lecture 0:05:45–0:06:52)")
    if not z.requires_grad:
        raise Refused("z carries no gradient: sample the noise, then z = mu + sigma * noise (the reparameterization "
                      "trick, lecture 0:05:45–0:06:52)")
    kl = getattr(encoder, "kl", None)
    if not torch.is_tensor(kl) or kl.dim() != 0:
        got = f"shape {tuple(kl.shape)}" if torch.is_tensor(kl) else repr(kl)
        raise Refused(f"after encoder(x), self.kl should be one number for the batch (a tensor summed with .sum()), "
                      f"got {got} (lecture 0:06:52–0:08:15)")
    if not kl.is_floating_point():
        raise Refused(f"self.kl should be a real number (a float tensor), got dtype {kl.dtype} "
                      "(lecture 0:06:52–0:08:15)")
    kl = kl.to(mu.dtype)
    true = kl_divergence(mu, log_sigma).sum()
    lecture = (sigma**2 + mu**2 - torch.log(sigma) - 1 / 2).sum()
    if torch.allclose(kl, lecture, rtol=1e-4):
        return ("self.kl is the lecture's line, Σ(σ² + μ² − log σ − ½): that is the KL to N(0, ½) plus a constant, "
                "not the KL to N(0, 1) (Σ[(σ² + μ² − 1)/2 − log σ]; why: notebook 02, 'Spot the bug'). Your VAE "
                "will keep its codes in a tighter cloud.")
    if not torch.allclose(kl, true, rtol=1e-4):
        raise Refused(f"self.kl is {kl.item():.4g} where the KL to N(0, 1) is {true.item():.4g}: write "
                      "((sigma**2 + mu**2 - 1) / 2 - torch.log(sigma)).sum() (lecture 0:06:52–0:08:15)")
    return ""


def loss_gradients(train: Callable, model: nn.Module, device: torch.device) -> tuple[Tensor, Tensor, list]:
    """Run the student's ``train`` for one epoch on a tiny loader; return the first batch's dL/dx_hat and 2(x_hat - x),
    and dL/dkl of every step (empty if the KL never reached the loss)."""
    seen, kl_grads = [], []

    def on_model(module, inputs, x_hat):
        if x_hat.requires_grad and not seen:
            seen.append((inputs[0].detach(), x_hat.detach()))
            x_hat.register_hook(lambda grad: seen.append(grad.detach()))

    def on_encoder(module, inputs, z):
        kl = getattr(module, "kl", None)
        if torch.is_tensor(kl) and kl.requires_grad:
            kl.register_hook(lambda grad: kl_grads.append(grad.detach()))

    hooks = [model.register_forward_hook(on_model), model.encoder.register_forward_hook(on_encoder)]
    try:
        returned = train(model, loader(), 1)
    finally:
        for hook in hooks:
            hook.remove()
    if returned is not model:
        raise Refused("train should end with `return autoencoder`, the trained model, as the lecture's does: the "
                      "notebook writes vae = train(vae, data, ...)")
    if len(seen) < 2:
        raise Refused("no gradient reached the model's output: call loss.backward() for each batch")
    (x, x_hat), grad = seen[0], seen[1]
    return grad, 2 * (x_hat - x.to(x_hat.device)), kl_grads


def check_train(train, device, variational) -> str:
    """The student's loop on a fresh library model: it returns the model, changes its weights, and its loss is the
    lecture's (summed squared error, plus the encoder's KL with weight 1 for a VAE), read from the gradients."""
    if not callable(train):
        raise Refused(f"train should be a function, got {type(train).__name__}")
    model = (models.VariationalAutoencoder if variational else models.Autoencoder)(CHECK_DIMS, hidden=16).to(device)
    before = [p.detach().clone() for p in model.parameters()]
    grad, sse_grad, kl_grads = loss_gradients(train, model, device)
    if all(torch.equal(a, b) for a, b in zip(before, model.parameters())):
        raise Refused("the weights did not change: create the optimizer from autoencoder.parameters() and call "
                      "opt.step() after loss.backward()")
    ratio = (grad * sse_grad).sum() / (sse_grad * sse_grad).sum()
    if not math.isclose(ratio.item(), 1.0, rel_tol=1e-3):
        mean = 1 / sse_grad.numel()
        what = "a mean (over pixels and images)" if math.isclose(ratio.item(), mean, rel_tol=1e-2) else "not it"
        raise Refused(f"the reconstruction term should be the lecture's ((x - x_hat)**2).sum(), summed over pixels "
                      f"and images; yours is {what} (lecture 0:09:01–0:09:29)")
    if variational and not kl_grads:
        raise Refused("the loss has no KL term: add + autoencoder.encoder.kl (lecture 0:09:29–0:09:59)")
    if variational and not all(torch.allclose(g, torch.ones_like(g)) for g in kl_grads):
        raise Refused("the KL term should be added once, with weight 1: + autoencoder.encoder.kl")
    return ""


def drawn(function: Callable, *args, **kwargs):
    """Call a plotting function of the lecture's kind in a figure of its own; return that figure's first Axes."""
    import matplotlib.pyplot as plt

    fig = plt.figure()
    try:
        function(*args, **kwargs)
        return fig.axes[0] if fig.axes else plt.gca()
    finally:
        plt.close(fig)
        plt.close("all")


def deterministic(device: torch.device, dims: int = CHECK_DIMS) -> nn.Module:
    """A small library Autoencoder: its codes do not vary from call to call, so a drawing can be compared."""
    return models.Autoencoder(dims, hidden=16).to(device).eval()


def shown_image(ax, shapes: tuple, what: str) -> np.ndarray:
    """The last image ``ax`` shows, checked to have one of ``shapes``; ``what`` names it in the hint."""
    if not ax.images:
        raise Refused(f"nothing was shown: plt.imshow(img) the {what}")
    img = np.asarray(ax.images[-1].get_array())
    if img.shape not in shapes:
        raise Refused(f"the {what} should be {shapes[0][0]} x {shapes[0][1]} pixels, got shape {img.shape}")
    return img


def check_plot_latent(plot_latent, device, variational, dims: int = CHECK_DIMS) -> str:
    model, data = deterministic(device, dims), loader(3)
    ax = drawn(plot_latent, model, data, num_batches=0)
    points = [c.get_offsets() for c in ax.collections if len(c.get_offsets())]
    if not points:
        raise Refused("nothing was drawn: plt.scatter(...) the codes of each batch")
    x = np.concatenate(points)[:, 0]
    with torch.no_grad():
        codes = torch.cat([model.encoder(x_.to(device)) for x_, _ in data]).cpu()[:, 0].numpy()
    if not all(np.isclose(codes, value, atol=1e-5).any() for value in x):
        raise Refused("the points drawn are not the encoder's codes: z = autoencoder.encoder(x); plot z[:, 0]")
    return ""


def check_plot_reconstructed(plot_reconstructed, device, variational) -> str:
    model, n = deterministic(device), 3
    ax = drawn(plot_reconstructed, model, r0=(-1, 1), r1=(-2, 2), n=n)
    img = shown_image(ax, ((n * 28, n * 28),), f"grid of decoded images (n = {n})")
    with torch.no_grad():  # the top-left cell: the lowest z_1, the highest z_2 (corners or centres of the cells)
        options = [model.decoder(torch.tensor([[x, y]], device=device)).reshape(28, 28).cpu().numpy()
                   for x, y in ((-1.0, 2.0), (-1 + 1 / n, 2 - 2 / n))]
    if not any(np.allclose(img[:28, :28], option, atol=1e-5) for option in options):
        raise Refused("the top-left cell should be decoded from z = (r0[0], r1[1]): row i from the top has "
                      "z_2 = r1[1] - ..., column j has z_1 = r0[0] + ... (lecture 0:16:52–0:17:10)")
    return ""


def check_interpolate(interpolate, device, variational) -> str:
    model, n = deterministic(device), 5
    x_1, x_2 = torch.rand(1, 28, 28, device=device), torch.rand(1, 28, 28, device=device)
    ax = drawn(interpolate, model, x_1, x_2, n=n)
    img = shown_image(ax, ((28, n * 28),), f"strip of decoded images (n = {n})")
    with torch.no_grad():
        ends = [model.decoder(model.encoder(x)).reshape(28, 28).cpu().numpy() for x in (x_1, x_2)]
    if not (np.allclose(img[:, :28], ends[0], atol=1e-5) and np.allclose(img[:, -28:], ends[1], atol=1e-5)):
        raise Refused("the strip should start at x_1's decoded code and end at x_2's: "
                      "z_1 + (z_2 - z_1) * t for t in np.linspace(0, 1, n)")
    return ""


def check_interpolate_gif(interpolate_gif, device, variational) -> str:
    from PIL import Image

    model, n = deterministic(device), 4
    x_1, x_2 = torch.rand(1, 28, 28, device=device), torch.rand(1, 28, 28, device=device)
    with tempfile.TemporaryDirectory() as folder:
        interpolate_gif(model, str(Path(folder) / "check"), x_1, x_2, n=n)
        written = sorted(Path(folder).iterdir())
        if not written:
            raise Refused("no file was written: save the frames with f'{filename}.gif'")
        try:
            with Image.open(written[0]) as gif:
                frames = getattr(gif, "n_frames", 1)
        except OSError:  # PIL's UnidentifiedImageError among them
            raise Refused(f"the file written, {written[0].name}, is not an image: save the frames as a GIF, "
                          "f'{filename}.gif'") from None
    if frames < n:
        raise Refused(f"for n = {n} the GIF should have at least {n} frames, got {frames}")
    return ""


def check_variational_autoencoder(cls, device, variational) -> str:
    return check_autoencoder(cls, device, True)


def check_plot_latent_1d(plot_latent_1d, device, variational) -> str:
    return check_plot_latent(plot_latent_1d, device, variational, dims=1)


def check_plot_reconstructed_1d(plot_reconstructed_1d, device, variational) -> str:
    model, n = deterministic(device, dims=1), 4
    ax = drawn(plot_reconstructed_1d, model, r0=(-2, 2), n=n)
    img = shown_image(ax, ((28, n * 28), (n * 28, 28)), f"strip of decoded images (n = {n})")
    with torch.no_grad():
        first = model.decoder(torch.tensor([[-2.0]], device=device)).reshape(28, 28).cpu().numpy()
        centre = model.decoder(torch.tensor([[-2 + 2 / n]], device=device)).reshape(28, 28).cpu().numpy()
    if not any(np.allclose(img[:28, :28], option, atol=1e-5) for option in (first, centre)):
        raise Refused("the strip should start at z = r0[0]: one code per image, torch.tensor([[x]]) of shape (1, 1)")
    return ""


def lecture_train(autoencoder: nn.Module, data: DataLoader, epochs: int = 20) -> nn.Module:
    """The lecture's ``train(autoencoder, data, epochs)``, done by ``vae_lab.train`` (progress bar, faster batches);
    returns the trained model, as the lecture's loop does."""
    library_train(autoencoder, data, epochs)
    return autoencoder


def plot_reconstructed_1d(autoencoder: nn.Module, r0=(-3, 3), n: int = 12):
    """The images decoded from ``n`` codes from ``r0[0]`` to ``r0[1]`` of a 1-D latent space, as one strip."""
    z = torch.linspace(*r0, n).unsqueeze(1)  # (n, 1)
    labels = [f"{value:.1f}" for value in z[:, 0].tolist()]
    return plots.plot_images(plots.decode(autoencoder, z), nrow=n, column_labels=labels,
                             title=f"Decoded along the line, from z = {r0[0]} to z = {r0[1]}")


CHECKS = {
    "Encoder": check_encoder, "Decoder": check_decoder, "Autoencoder": check_autoencoder, "train": check_train,
    "plot_latent": check_plot_latent, "plot_reconstructed": check_plot_reconstructed,
    "VariationalEncoder": check_variational_encoder, "VariationalAutoencoder": check_variational_autoencoder,
    "interpolate": check_interpolate, "interpolate_gif": check_interpolate_gif,
    "plot_latent_1d": check_plot_latent_1d, "plot_reconstructed_1d": check_plot_reconstructed_1d,
}
PARTS = {"Autoencoder": ("Encoder", "Decoder"), "VariationalAutoencoder": ("VariationalEncoder", "Decoder")}
FALLBACKS = {
    "Encoder": models.Encoder, "Decoder": models.Decoder, "Autoencoder": models.Autoencoder, "train": lecture_train,
    "plot_latent": plots.plot_latent, "plot_reconstructed": plots.plot_reconstructed,
    "VariationalEncoder": models.VariationalEncoder, "VariationalAutoencoder": models.VariationalAutoencoder,
    "interpolate": plots.interpolate, "interpolate_gif": plots.interpolate_gif,
    "plot_latent_1d": plots.plot_latent, "plot_reconstructed_1d": plot_reconstructed_1d,
}
