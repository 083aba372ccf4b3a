"""Seed, device, loss, a fast training loop and the test-set evaluation.

Speed comes from holding the data as one tensor on the device and batching it
by index with a large batch; the maths is the lecture's (SSE + KL, Adam).
"""

from __future__ import annotations

import math
import numbers
import random
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from .data import Split
from .losses import check_likelihood, kl_divergence, reconstruction_loss
from .models import IMAGE_SHAPE, as_images

# Hyper-parameters of the fast path, chosen with benchmarks/train_speed.py on a
# 2-core CPU (numbers in benchmarks/README.md). With batches of 512 sliced from
# memory an epoch takes ~2.0-2.4 s, against ~6-8.5 s for the lecture's DataLoader
# loop with batches of 128, and runs at 53-69 % of the CPU's measured matmul peak
# (medians 62-64 %; batches of 1024: 69-78 %, but they need more epochs for the same loss).
# With init_biases, a 5 % warm-up and lr 1e-2, the 2-D VAE reached the lecture
# loop's 20-epoch test loss after 9 epochs.
BATCH_SIZE = 512
LEARNING_RATE = 1e-2
WARMUP = 0.05  # fraction of the steps over which the "cosine" schedule's step size rises linearly to lr
FLOOR = 0.1  # the "cosine" schedule ends at lr * FLOOR
LOG_SIGMA_INIT = 1.0  # init_biases starts a VAE encoder's sigma at e ~ 2.7
EPOCHS = 6  # passes over the full MNIST: ~13 s on 2 cores, short enough to train live in a lecture
FULL_SIZE = 60_000  # images in MNIST's training split
EVAL_BATCH_SIZE = 4096  # no gradients are kept, so evaluation can use larger batches
PROGRESS_EVERY = 10  # batches between progress-bar updates: updating costs time
# Seconds between progress-bar redraws. In Jupyter each redraw is a few widget messages,
# and a kernel's output channel drops messages beyond ~1,000 queued ones while a test
# runner such as nbval waits for a long cell: then it never sees the cell finish.
PROGRESS_SECONDS = 0.5


def epochs_for(data: Split | Tensor, full_epochs: int | None = None) -> int:
    """Epochs that show the model as many images as ``full_epochs`` (default ``EPOCHS``) passes over the full MNIST.

    On the full training split this is ``full_epochs``; on the 4,000-image offline
    sample it is 15 times more, so that a model trained on it takes as many steps.
    """
    return _epochs_for_size(len(images_of(data)), full_epochs)


def _epochs_for_size(n: int, full_epochs: int | None = None) -> int:
    full_epochs = EPOCHS if full_epochs is None else full_epochs
    return max(full_epochs, round(full_epochs * FULL_SIZE / n))


def batches(images: Tensor, batch_size: int):
    """Consecutive slices of ``batch_size`` images (the last may be smaller), as views."""
    return (images[start : start + batch_size] for start in range(0, len(images), batch_size))


def _labelled_batches(images: Tensor, labels: Tensor | None, batch_size: int):
    """Pairs ``(x, y)`` of consecutive batches; ``y`` is None when there are no labels."""
    return zip(batches(images, batch_size), repeat(None) if labels is None else batches(labels, batch_size))


@contextmanager
def evaluation_mode(model: nn.Module):
    """``model.eval()`` inside the block; the model's own mode is restored after it, even on an error."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def set_seed(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's (CPU and CUDA) random number generators."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def get_device() -> torch.device:
    """The fastest device present: CUDA, then Apple's MPS, then the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def model_device(model: nn.Module) -> torch.device:
    """The device that holds the model's parameters."""
    return next(model.parameters()).device


def loss_terms(
    model: nn.Module, x: Tensor, likelihood: str = "gaussian", y: Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """The loss in two parts, each summed over pixels and over the batch.

    The lecture's loss is sum (x_hat - x)^2 + KL (``likelihood="gaussian"``);
    ``"bernoulli"`` uses the binary cross-entropy instead. For an ``Autoencoder``
    the KL part is zero. Divide by the batch size for the usual "per image" numbers.

    Args:
        model: an ``Autoencoder`` or a ``VariationalAutoencoder`` (plain, conditional or convolutional).
        x: images, shape ``(B, 1, 28, 28)``.
        likelihood: the decoder's likelihood, ``"gaussian"`` or ``"bernoulli"``.
        y: the digits ``(B,)``, for a conditional model only.

    Returns:
        ``(reconstruction, kl)``, two scalars.
    """
    x_hat = model(x, y) if is_conditional(model) else model(x)
    kl = getattr(model.encoder, "kl", None)
    return reconstruction_loss(x_hat, x, likelihood), (kl if kl is not None else x_hat.new_zeros(()))


@dataclass
class History:
    """Per-epoch training losses, per image, and the training seconds elapsed at each epoch's end.

    ``test`` holds ``evaluate`` results per epoch when ``train`` was given test data
    (the time spent evaluating is not counted in ``seconds``).
    ``interrupted`` is True when training was stopped early with Ctrl-C, ``from_cache``
    when ``train(..., cache=True)`` loaded the result of an earlier run.
    """

    recon: list[float] = field(default_factory=list)
    kl: list[float] = field(default_factory=list)
    total: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    test: list[dict[str, float]] = field(default_factory=list)
    interrupted: bool = False
    from_cache: bool = False

    def __len__(self) -> int:
        return len(self.total)

    def summary(self) -> str:
        """One line: the training loss per image at the first and last epoch, and how long it took."""
        if not self.total:
            return "no finished epoch"
        where = "loaded from the cache" if self.from_cache else "trained"
        return (f"training loss per image: {self.total[0]:.1f} after epoch 1 -> {self.total[-1]:.1f} after epoch "
                f"{len(self)} ({self.seconds[-1]:.0f} s of training; {where})")


def is_conditional(model: nn.Module) -> bool:
    """True for a model that takes the digit too, ``model(x, y)``, such as ``ConditionalVariationalAutoencoder``."""
    return bool(getattr(model, "conditional", False))


def labels_for(model: nn.Module, data: Split | Tensor, name: str = "data") -> Tensor | None:
    """The labels of ``data`` if ``model`` is conditional (then ``data`` must be a Split), else None."""
    if not is_conditional(model):
        return None
    if not isinstance(data, Split):
        raise TypeError(
            f"{type(model).__name__} needs the digit of each image: give {name} as a Split with images and labels "
            f"(e.g. mnist.train), not a {type(data).__name__}."
        )
    return data.labels


def check_unconditional(model: nn.Module, what: str) -> None:
    """Raise a ValueError naming ``what`` if ``model`` is conditional (``what`` does not pass digits to it)."""
    if is_conditional(model):
        raise ValueError(
            f"{what} works with models that take images only; this {type(model).__name__} also needs the digit. "
            "For a conditional model use plot_samples(model, digit=...) or plot_reconstructed(model, digit=...)."
        )


def images_of(data: Split | Tensor, name: str = "data") -> Tensor:
    """The images of a Split or tensor, checked once: floats in [0, 1], shape ``(N, 1, 28, 28)``."""
    images = data.images if isinstance(data, Split) else data
    images = as_images(images, name).reshape(-1, *IMAGE_SHAPE)
    low, high = torch.aminmax(images)
    if low < 0 or high > 1:
        raise ValueError(
            f"{name} has pixel values from {low.item():g} to {high.item():g}; expected [0, 1]. "
            "Divide 0..255 pixels by 255, and do not normalise by mean and std: "
            "the decoder's sigmoid can only output values in [0, 1]."
        )
    return images


def _check_positive(name: str, value: object, kind: type) -> None:
    if isinstance(value, bool) or not isinstance(value, kind) or value <= 0:
        expected = "a whole number >= 1" if kind is numbers.Integral else "a number > 0"
        raise ValueError(f"{name} must be {expected}, got {value!r}.")


def _check_beta(beta: object) -> None:
    if isinstance(beta, bool) or not isinstance(beta, numbers.Real) or not beta >= 0:
        raise ValueError(f"beta must be a number >= 0 (1 for the VAE), got {beta!r}.")


SCHEDULES = ("cosine", "constant")


def _check_schedule(schedule: object) -> None:
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {SCHEDULES}, got {schedule!r}.")


def lr_factor(step: int, steps: int, schedule: str = "cosine") -> float:
    """The step size of step ``step`` (0-based) of ``steps``, as a fraction of ``lr``.

    ``"cosine"``: a linear warm-up over the first ``WARMUP`` of the steps (at least one),
    then half a cosine from 1 down to ``FLOOR`` (Loshchilov & Hutter 2017, SGDR, without
    restarts; the warm-up as in Goyal et al. 2017). ``"constant"``: 1 throughout.
    """
    if schedule == "constant":
        return 1.0
    warmup = max(1, round(WARMUP * steps))
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return FLOOR + (1 - FLOOR) * (1 + math.cos(math.pi * progress)) / 2


def _diverged(value: float, epoch: int, batch: int, lr: float) -> FloatingPointError:
    return FloatingPointError(
        f"The loss became {value} at epoch {epoch}, batch {batch}: training diverged. "
        f"Build a fresh model and train again with a lower learning rate, e.g. lr={lr / 10:g}."
    )


def train(
    model: nn.Module,
    data: Split | Tensor,
    epochs: int | None = None,
    batch_size: int = BATCH_SIZE,
    lr: float = LEARNING_RATE,
    test_data: Split | Tensor | None = None,
    progress: bool = True,
    cache: bool | str | Path = False,
    beta: float = 1.0,
    likelihood: str = "gaussian",
    schedule: str = "cosine",
) -> History:
    """Train an Autoencoder or a VariationalAutoencoder (plain, conditional or convolutional) with Adam on SSE (+ KL).

    The images are moved once to the model's device and shuffled every epoch.
    By default the step size rises linearly to ``lr`` over the first 5 % of the steps,
    then decays along a cosine to ``lr / 10`` (see ``lr_factor``): large steps in the
    middle, small ones at the start, when a fresh model's gradients are large, and at
    the end, where they would overshoot. Call ``init_biases(model, data)`` on a fresh
    model first: at these step sizes it reaches a given loss in fewer epochs. Ctrl-C
    stops training, keeps the weights learnt so far and returns the history.

    Args:
        model: the model, already on its device (``model.to(get_device())``).
        data: training images, a ``Split`` or a tensor ``(N, 1, 28, 28)`` in [0, 1]; a conditional model needs
            the ``Split``, whose labels it is given with the images.
        epochs: passes over the data; by default ``epochs_for(data)``, i.e. ``EPOCHS`` on the full MNIST.
        batch_size: images per step.
        lr: Adam's initial step size.
        test_data: if given, evaluated after every epoch into ``history.test``.
        progress: show a progress bar with the live loss.
        cache: keep the trained weights in a cache folder (True: ``default_cache_dir()``;
            or a folder) and load them instead of training when this exact training
            ran before; ``$VAE_LAB_RETRAIN=1`` forces training. See ``vae_lab.cache``.
        beta: the KL term's weight: 1 is the VAE, other values a beta-VAE (Higgins et al. 2017).
        likelihood: ``"gaussian"`` (summed squared error, the lecture's) or ``"bernoulli"`` (binary cross-entropy).
        schedule: ``"cosine"`` (5 % warm-up, then decay to lr / 10) or ``"constant"`` (Adam at ``lr``
            throughout, as the lecture's loop and pytorch/examples do).

    Returns:
        History with per-image training losses for each finished epoch.
    """
    if cache:
        from .cache import cached_train

        folder = None if cache is True else cache
        settings = {"epochs": epochs, "batch_size": batch_size, "lr": lr, "test_data": test_data, "progress": progress,
                    "beta": beta, "likelihood": likelihood, "schedule": schedule}
        return cached_train(model, data, cache_dir=folder, **settings)
    device = model_device(model)
    images, labels = _tensors_on(model, data, device, "data")
    epochs = _epochs_for_size(len(images)) if epochs is None else epochs
    _check_positive("epochs", epochs, numbers.Integral)
    _check_positive("batch_size", batch_size, numbers.Integral)
    _check_positive("lr", lr, numbers.Real)
    _check_beta(beta)
    check_likelihood(likelihood)
    _check_schedule(schedule)
    # checked and moved once, before any training, rather than at each epoch's end
    test_data = None if test_data is None else _on_device(model, test_data, device, "test_data")
    steps = epochs * -(-len(images) // batch_size)
    # fused Adam runs one kernel for all parameters; it exists on CPU and CUDA only.
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, fused=device.type in ("cpu", "cuda"))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: lr_factor(step, steps, schedule))
    history, seconds = History(), 0.0
    bar = tqdm(total=steps, desc="training", unit="batch", disable=not progress, mininterval=PROGRESS_SECONDS)
    was_training = model.train().training
    try:
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            recon, kl = _train_epoch(model, (images, labels), batch_size, optimizer, scheduler, epoch, lr, bar, beta,
                                     likelihood)
            seconds += time.perf_counter() - start
            _record(history, recon, kl, len(images), seconds, beta)
            if test_data is not None:
                history.test.append(evaluate(model, test_data, beta=beta, likelihood=likelihood))
                model.train()
    except KeyboardInterrupt:
        history.interrupted = True
        warnings.warn(
            f"Training interrupted: returning the {len(history)} finished epochs; the model keeps its weights.",
            stacklevel=2,
        )
    finally:
        bar.close()
        model.train(was_training)
    return history


def _tensors_on(
    model: nn.Module, data: Split | Tensor, device: torch.device, name: str
) -> tuple[Tensor, Tensor | None]:
    """``data``'s checked images on ``device``, and its labels there if the model is conditional (else None)."""
    images, labels = images_of(data, name).to(device), labels_for(model, data, name)
    return images, None if labels is None else labels.to(device)


def _on_device(model: nn.Module, data: Split | Tensor, device: torch.device, name: str) -> Split | Tensor:
    """``data`` checked and moved to ``device``: its images, or a Split with the labels for a conditional model."""
    images, labels = _tensors_on(model, data, device, name)
    return images if labels is None else Split(images, labels)


@torch.no_grad()
def init_biases(model: nn.Module, data: Split | Tensor) -> nn.Module:
    """Set two biases of a fresh model so that training starts from a sensible place; returns the model.

    - The decoder's output bias b becomes logit(m) = log(m / (1 - m)), with m the mean
      training image (clamped to [0.001, 0.999]): then sigmoid(b) = m, and the untrained
      decoder draws the average digit instead of a grey 0.5 everywhere ("init well",
      Karpathy 2019, *A Recipe for Training Neural Networks*). A convolutional decoder,
      whose last bias is one number per channel, gets the mean pixel.
    - A VAE encoder's log sigma bias (``linear3.bias``) becomes ``LOG_SIGMA_INIT`` = 1, so
      every code starts with sigma ~ 2.7 instead of ~ 1. Found by trial
      (benchmarks/README.md): 0 and 2 were both slower; why 1 helps is not established.

    Neither changes the model or the loss, only where training starts. The 2-D VAE
    trained with ``train``'s defaults for 6 epochs reached a test loss of 38.47 with
    them and 39.59 without.

    Args:
        model: an untrained Autoencoder or VariationalAutoencoder (plain, conditional or convolutional).
        data: its training images, a ``Split`` or a tensor ``(N, 1, 28, 28)`` in [0, 1].
    """
    output = getattr(getattr(model, "decoder", None), "output_layer", None)
    if output is None:
        raise TypeError(
            f"init_biases needs a whole model with a decoder, such as VariationalAutoencoder(2), "
            f"got a {type(model).__name__}. Pass the model itself, not model.decoder or model.encoder."
        )
    mean = images_of(data).mean(dim=0).to(model_device(model))  # (1, 28, 28)
    if isinstance(output, nn.Linear):
        output.bias.copy_(torch.logit(mean.flatten().clamp(1e-3, 1 - 1e-3)))
    else:  # one bias per output channel
        output.bias.fill_(torch.logit(mean.mean().clamp(1e-3, 1 - 1e-3)).item())
    if hasattr(model.encoder, "linear3"):
        model.encoder.linear3.bias.fill_(LOG_SIGMA_INIT)
    return model


def _train_epoch(model, data, batch_size, optimizer, scheduler, epoch, lr, bar, beta, likelihood):
    """One pass over ``data = (images, labels or None)`` in a random order; returns the summed (recon, KL) floats."""
    images, labels = data
    recon_sum = kl_sum = 0.0
    order = torch.randperm(len(images), device=images.device)
    for batch, start in enumerate(range(0, len(images), batch_size), start=1):
        index = order[start : start + batch_size]
        # index_select copies whole rows; images[index] goes through the general indexing kernel
        x, y = images.index_select(0, index), None if labels is None else labels[index]
        recon, kl = loss_terms(model, x, likelihood, y)
        loss = recon + beta * kl
        if not torch.isfinite(loss):
            raise _diverged(loss.item(), epoch, batch, lr)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        recon_sum += recon.item()
        kl_sum += kl.item()
        if batch % PROGRESS_EVERY == 0:
            bar.update(PROGRESS_EVERY)
            seen = min(start + batch_size, len(images))
            # refresh=False: the loss is shown at the next redraw, which tqdm spaces by mininterval
            bar.set_postfix(epoch=epoch, loss=f"{(recon_sum + beta * kl_sum) / seen:.2f}", refresh=False)
    bar.update(batch % PROGRESS_EVERY)
    return recon_sum, kl_sum


def _record(history: History, recon: float, kl: float, n: int, seconds: float, beta: float) -> None:
    history.recon.append(recon / n)
    history.kl.append(kl / n)
    history.total.append((recon + beta * kl) / n)
    history.seconds.append(seconds)


@torch.no_grad()
def evaluate(
    model: nn.Module,
    data: Split | Tensor,
    batch_size: int = EVAL_BATCH_SIZE,
    beta: float = 1.0,
    likelihood: str = "gaussian",
) -> dict[str, float]:
    """Reconstruction, KL and total (reconstruction + beta KL) per image on ``data`` (no gradients).

    For a VAE each image's z is sampled, as in training, so the numbers are the
    ELBO's estimate and vary slightly from call to call.

    Returns:
        ``{"recon": ..., "kl": ..., "total": ...}``, each per image.
    """
    _check_positive("batch_size", batch_size, numbers.Integral)
    _check_beta(beta)
    check_likelihood(likelihood)
    images, labels = _tensors_on(model, data, model_device(model), "data")
    recon = kl = 0.0
    with evaluation_mode(model):
        for x, y in _labelled_batches(images, labels, batch_size):
            r, k = loss_terms(model, x, likelihood, y)
            recon, kl = recon + r.item(), kl + k.item()
    n = len(images)
    return {"recon": recon / n, "kl": kl / n, "total": (recon + beta * kl) / n}


@torch.no_grad()
def kl_per_dimension(model: nn.Module, data: Split | Tensor, batch_size: int = EVAL_BATCH_SIZE) -> Tensor:
    """A VAE's KL term for each latent dimension on its own, averaged over ``data``'s images.

    A dimension whose KL is near 0 is switched off: its mu stays at 0 and its sigma at 1
    for every image, so it carries nothing about the image. The entries sum to
    ``evaluate(model, data)["kl"]``.

    Returns:
        shape ``(latent_dims,)``, in nats per image, on the CPU.
    """
    _check_positive("batch_size", batch_size, numbers.Integral)
    if not hasattr(model.encoder, "log_sigma"):
        raise ValueError(f"kl_per_dimension needs a variational model (with a KL term), got a {type(model).__name__}.")
    images, labels = _tensors_on(model, data, model_device(model), "data")
    total = torch.zeros(model.latent_dims)
    with evaluation_mode(model):
        for x, y in _labelled_batches(images, labels, batch_size):
            model.encoder(*((x,) if y is None else (x, y)))
            mu, log_sigma = model.encoder.mu, model.encoder.log_sigma
            # kl_divergence sums over its columns: one column at a time gives each dimension's share
            total += torch.stack([kl_divergence(mu[:, [j]], log_sigma[:, [j]]).sum() for j in range(mu.shape[1])]).cpu()
    return total / len(images)
