"""Seed, device, the loss, a fast training loop and the test-set evaluation.

The maths is the lecture's (summed squared error + KL, Adam). The speed comes from
holding the data as one tensor on the device and slicing large shuffled batches
from it; ``benchmarks/README.md`` has the measurements behind every default here.
"""

import math
import os
import random
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from itertools import repeat

import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from . import _checks as arguments
from .data import FULL_SIZE, Split, batches
from .losses import RECONSTRUCTION, kl_terms, reconstruction_loss

BATCH_SIZE = 512  # large batches run the CPU's matmuls near their peak
LEARNING_RATE = 1e-2  # Adam's step size at the top of the schedule
WARMUP = 0.05  # fraction of the steps over which the "cosine" schedule rises linearly to lr
FLOOR = 0.1  # the "cosine" schedule ends at lr * FLOOR
SCHEDULES = ("cosine", "constant")
LOG_SIGMA_INIT = 1.0  # init_biases starts a VAE's sigma at e ~ 2.7 (found by trial, see benchmarks/README.md)
EPOCHS = 6  # passes over the full MNIST: short enough to train live in a lecture
EVAL_BATCH_SIZE = 4096  # no gradients are kept, so evaluation can take larger batches
PROGRESS_EVERY = 10  # batches between progress-bar updates: each update costs time
# Seconds between redraws: in Jupyter each is a few widget messages, and a test runner such as
# nbval loses a cell's end when a long cell queues ~1,000 of them.
PROGRESS_SECONDS = 0.5
MAX_FREE_BITS = 1000  # nats per dimension: more than an MNIST code can use (784 ln 2 = 543); far more overflows float32


SEED_OFFSET_ENV = "VAE_LAB_SEED_OFFSET"  # set to e.g. 100 to re-run the notebooks with other seeds


def set_seed(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's (CPU and CUDA) random number generators.

    With ``$VAE_LAB_SEED_OFFSET`` set (a whole number), ``seed + offset`` is used instead: the way
    to check that the notebooks' asserts, and so their readings, hold for other seeds too.
    """
    seed = arguments.whole("seed", seed, low=0)
    offset = os.environ.get(SEED_OFFSET_ENV, "0").strip() or "0"
    if not (offset.isascii() and offset.isdigit()) or len(offset) > 10:  # NumPy takes seeds below 2**32
        shown = offset if len(offset) <= 20 else f"{offset[:20]}... ({len(offset):,} characters)"
        raise ValueError(f"${SEED_OFFSET_ENV} must be a whole number from 0 to {2**32 - 1}, got {shown!r}.")
    seed = arguments.whole(f"seed + ${SEED_OFFSET_ENV}", seed + int(offset), low=0, high=2**32 - 1)  # NumPy's limit
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def get_device() -> torch.device:
    """The fastest device present: CUDA, then Apple's MPS, then the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu")


def epochs_for(data: Split | Tensor | DataLoader, full_epochs: int = EPOCHS) -> int:
    """Epochs that show a model as many images as ``full_epochs`` passes over the full MNIST.

    On the full training split this is ``full_epochs``; on the 4,000-image offline
    sample it is 15 times more, so that a model trained on it takes as many steps.
    """
    full_epochs, data = arguments.whole("full_epochs", full_epochs), arguments.split(data)
    n = len(data.images if isinstance(data, Split) else arguments.images(data, "data"))
    return max(full_epochs, round(full_epochs * FULL_SIZE / n))


@dataclass
class History:
    """Per-epoch training losses per image, and the training seconds elapsed at each epoch's end.

    ``test`` holds ``evaluate``'s results per epoch when ``train`` was given test data;
    ``interrupted`` is True when Ctrl-C stopped training early, ``from_cache`` when the
    result of an earlier run was loaded (``train(..., cache=True)``).
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
        """One line: the training loss per image after the first and the last epoch, and the time taken."""
        if not self.total:
            return "no finished epoch"
        where = "loaded from the cache" if self.from_cache else "trained"
        return (f"training loss per image: {self.total[0]:.1f} after epoch 1 -> {self.total[-1]:.1f} after epoch "
                f"{len(self)} ({self.seconds[-1]:.0f} s of training; {where})")


def loss_terms(model: nn.Module, x: Tensor, y: Tensor | None, beta: float, likelihood: str,
               free_bits: float = 0.0) -> tuple[Tensor, Tensor, Tensor]:
    """The loss of a batch: ``(total, reconstruction, kl)``, each summed over pixels and over the batch.

    total = reconstruction + beta * KL, the lecture's ``((x - x_hat)**2).sum() + autoencoder.encoder.kl``
    for beta = 1 and the Gaussian likelihood. An Autoencoder's encoder has no KL: it counts 0.
    With ``free_bits`` = λ > 0, each latent dimension's KL, averaged over the batch, counts as at
    least λ nats in the total ("free bits", Kingma et al. 2016, *Improved Variational Inference with
    Inverse Autoregressive Flow*, appendix C.8): below λ it costs nothing to use a dimension. The
    ``kl`` returned is always the true KL.

    Args:
        model: any model of the library (or one of yours with ``forward(x)``).
        x: images ``(B, 1, 28, 28)``; y: their digits ``(B,)``, or None.
        free_bits: λ in nats per latent dimension, 0 for the plain loss.
    """
    x_hat = model(x) if y is None or getattr(model, "classes", None) is None else model(x, y)  # y: conditional only
    recon = reconstruction_loss(x_hat, x, likelihood)
    kl = getattr(model.encoder, "kl", None)
    kl = x_hat.new_zeros(()) if kl is None else kl
    counted = kl
    if free_bits > 0:
        kl_dims = kl_terms(model.encoder.mu, model.encoder.log_sigma).sum(dim=0)  # (latent_dims,), batch-summed
        counted = kl_dims.clamp(min=free_bits * len(x)).sum()
    return recon + beta * counted, recon, kl


def kl_weight(step: int, warmup_steps: int, beta: float) -> float:
    """The KL term's weight at step ``step`` (0-based): rising linearly from beta / warmup_steps at the
    first step to beta at step ``warmup_steps - 1``, then beta. A linear "warm-up" (Sønderby et al.
    2016); Bowman et al. (2016) annealed the weight along a sigmoid. ``warmup_steps = 0``: beta throughout."""
    return beta * min(1.0, (step + 1) / warmup_steps) if warmup_steps > 0 else beta


def lr_factor(step: int, steps: int, schedule: str = "cosine") -> float:
    """The step size at step ``step`` (0-based) of ``steps``, as a fraction of ``lr``.

    ``"cosine"``: a linear warm-up over the first ``WARMUP`` of the steps (at least one; Goyal
    et al. 2017), then half a cosine from 1 down to ``FLOOR`` (Loshchilov & Hutter 2017, SGDR
    without restarts). ``"constant"``: 1 throughout.
    """
    if schedule == "constant":
        return 1.0
    warmup = max(1, round(WARMUP * steps))
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return FLOOR + (1 - FLOOR) * (1 + math.cos(math.pi * progress)) / 2


@contextmanager
def evaluation_mode(model: nn.Module):
    """``model.eval()`` inside the block; the model's own mode is restored after it, even on an error."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def on_device(data: Split | Tensor, device: torch.device, name: str = "data") -> tuple[Tensor, Tensor | None]:
    """``data``'s checked images ``(N, 1, 28, 28)`` and its labels ``(N,)`` (None for a bare tensor) on ``device``."""
    labels = data.labels if isinstance(data, Split) else None
    return arguments.pixels(data, name).to(device), None if labels is None else labels.to(device)


def labelled_batches(images: Tensor, labels: Tensor | None, batch_size: int):
    """Consecutive batches ``(x, y)`` of ``images`` and their ``labels``; y is None when ``labels`` is."""
    return zip(batches(images, batch_size), repeat(None) if labels is None else batches(labels, batch_size))


def train(model: nn.Module, data: Split | Tensor | DataLoader, epochs: int | None = None, batch_size: int = BATCH_SIZE,
          lr: float = LEARNING_RATE, test_data: Split | Tensor | DataLoader | None = None, progress: bool = True,
          beta: float = 1.0, likelihood: str = "gaussian", schedule: str = "cosine", kl_warmup: float = 0.0,
          free_bits: float = 0.0, binarize: bool = False) -> History:
    """Train a model with Adam on the lecture's loss, reconstruction + beta * KL; return its History.

    Each epoch takes the images in a new random order, in batches sliced from one tensor on
    the model's device. By default the step size rises linearly to ``lr`` over the first 5 %
    of the steps, then decays along a cosine to ``lr / 10`` (``lr_factor``). Call
    ``init_biases(model, data)`` on a fresh model first. Ctrl-C stops training, keeps the
    weights learnt so far and returns the history.

    Args:
        model: the model, already on its device (``model.to(get_device())``).
        data: training images, a ``Split`` (a conditional model is given its labels), a tensor
            ``(N, 1, 28, 28)`` in [0, 1], or the lecture's ``DataLoader`` (its images are taken once and
            batched as above: its own batch size and order are not used).
        epochs: passes over the data; by default ``epochs_for(data)``, i.e. ``EPOCHS`` on the full MNIST.
        batch_size: images per step.
        lr: Adam's largest step size.
        test_data: if given, evaluated after every epoch into ``history.test``.
        progress: show a progress bar with the live loss.
        beta: the KL term's weight: 1 is the VAE, other values a beta-VAE (Higgins et al. 2017).
        likelihood: ``"gaussian"`` (summed squared error, the lecture's), ``"bernoulli"`` (binary cross-entropy) or
            ``"optimal-sigma"`` (a Gaussian whose variance is each batch's mean squared error, ``optimal_sigma_nll``).
        schedule: ``"cosine"`` (warm-up, then decay) or ``"constant"`` (Adam at ``lr`` throughout, as the lecture).
        kl_warmup: epochs (may be fractional, at most ``epochs``) over which the KL weight rises linearly
            to ``beta`` (``kl_weight``); 0 for none. A cure for posterior collapse that starts early in training.
        free_bits: each latent dimension's KL counts as at least this many nats per image (``loss_terms``);
            0 for none. A cure for posterior collapse that changes the objective.
        binarize: train on black-and-white pixels drawn afresh for every batch, each pixel 1 with its grey value as
            probability ("dynamic binarization", Burda et al. 2016; with ``likelihood="bernoulli"``). The data's
            and ``test_data``'s own pixels are not changed.

    Returns:
        History with per-image training losses for each finished epoch; its ``total`` is reconstruction
        + beta * KL at the full beta, the loss ``evaluate`` reports, also during a KL warm-up or with free
        bits (where the loss minimised differs from it).
    """
    device, data = arguments.model(model, "train"), arguments.split(data)
    test_data = arguments.split(test_data, "test_data")
    epochs = epochs_for(data) if epochs is None else arguments.whole("epochs", epochs)
    batch_size, lr = arguments.whole("batch_size", batch_size), arguments.real("lr", lr, positive=True)
    beta, likelihood = arguments.real("beta", beta, low=0), arguments.choice("likelihood", likelihood, RECONSTRUCTION)
    arguments.choice("schedule", schedule, SCHEDULES)
    kl_warmup, free_bits = arguments.real("kl_warmup", kl_warmup, low=0), arguments.real("free_bits", free_bits, low=0)
    if not isinstance(binarize, bool):
        raise TypeError(f"binarize must be True or False, got {binarize!r}.")
    if kl_warmup > epochs:
        raise ValueError(f"kl_warmup={kl_warmup:g} is longer than the training (epochs={epochs}): the KL weight "
                         f"would never reach beta. Give kl_warmup <= epochs, e.g. kl_warmup={epochs / 2:g}.")
    if free_bits > MAX_FREE_BITS:
        raise ValueError(f"free_bits={free_bits:g} nats per dimension is more than any MNIST code can use (784 binary "
                         f"pixels hold 784 ln 2 = 543 nats); give at most {MAX_FREE_BITS}, e.g. free_bits=2.")
    if free_bits > 0:
        arguments.variational(model, "train with free_bits")
    images, labels = on_device(data, device)
    if test_data is not None:  # checked and moved once, before any step; a Split only where there are labels
        test_images, test_labels = on_device(test_data, device, "test_data")
        test_data = test_images if test_labels is None else Split(test_images, test_labels)
    steps_per_epoch = -(-len(images) // batch_size)
    steps, warmup_steps = epochs * steps_per_epoch, math.ceil(kl_warmup * steps_per_epoch)  # >= 1 if kl_warmup > 0
    weight = partial(kl_weight, warmup_steps=warmup_steps, beta=beta)  # weight(step): the KL term's weight
    # fused Adam updates all parameters in one kernel; it exists on CPU and CUDA only
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, fused=device.type in ("cpu", "cuda"))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: lr_factor(step, steps, schedule))
    history, seconds = History(), 0.0
    bar = tqdm(total=steps, desc="training", unit="batch", disable=not progress, mininterval=PROGRESS_SECONDS)
    model.train()
    try:
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            sums = train_epoch(model, images, labels, batch_size, optimizer, scheduler, weight, likelihood, bar, epoch,
                               free_bits, binarize)
            seconds += time.perf_counter() - start
            sums[0] = sums[1] + beta * sums[2]  # the loss at the full beta, not the warmed-up or free-bits one
            for name, value in zip(("total", "recon", "kl"), sums):
                getattr(history, name).append(value / len(images))
            history.seconds.append(seconds)
            if test_data is not None:
                history.test.append(evaluate(model, test_data, beta=beta, likelihood=likelihood))
    except KeyboardInterrupt:
        history.interrupted = True
        warnings.warn(f"Training interrupted: returning the {len(history)} finished epochs; the model keeps its "
                      "weights.", stacklevel=2)
    finally:
        bar.close()
    return history


def train_epoch(model, images, labels, batch_size, optimizer, scheduler, weight, likelihood, bar, epoch,
                free_bits=0.0, binarize=False) -> list[float]:
    """One pass over ``images`` (and ``labels``, or None) in a random order; returns the summed (total, recon, kl).
    ``weight(step)`` is the KL term's weight at the scheduler's step; ``binarize``: pixels drawn 0 or 1 per batch."""
    sums = [0.0, 0.0, 0.0]
    order = torch.randperm(len(images), device=images.device)
    for batch, index in enumerate(batches(order, batch_size), start=1):
        # index_select copies whole rows; images[index] goes through the slower general indexing
        x, y = images.index_select(0, index), None if labels is None else labels[index]
        if binarize:
            x = torch.bernoulli(x)
        loss, recon, kl = loss_terms(model, x, y, weight(scheduler.last_epoch), likelihood, free_bits)
        if not torch.isfinite(loss):
            raise FloatingPointError(
                f"The loss became {loss.item()} at epoch {epoch}, batch {batch}: training diverged. Build a fresh "
                f"model and train again with a lower learning rate, e.g. lr={optimizer.defaults['lr'] / 10:g}.")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        sums = [s + v for s, v in zip(sums, torch.stack([loss, recon, kl]).tolist())]
        if batch % PROGRESS_EVERY == 0:
            bar.update(PROGRESS_EVERY)  # refresh=False: shown at the next redraw, spaced by mininterval
            bar.set_postfix(epoch=epoch, loss=f"{sums[0] / min(batch * batch_size, len(images)):.2f}", refresh=False)
    bar.update(batch % PROGRESS_EVERY)
    return sums


@torch.no_grad()
def evaluate(model: nn.Module, data: Split | Tensor | DataLoader, batch_size: int = EVAL_BATCH_SIZE, beta: float = 1.0,
             likelihood: str = "gaussian") -> dict[str, float]:
    """Reconstruction, KL and total (reconstruction + beta KL) per image on ``data``, without gradients.

    A VAE samples each image's z as in training (one z ~ q(z | x) per image, never z = mu), so
    ``total`` is a one-draw estimate of the negative ELBO, the lecture's loss, and varies slightly
    from call to call. Decoding mu instead reports a smaller number that is no bound on anything
    (pytorch/examples did so from 2017 until Kingma's fix, pull request #419: "otherwise what is
    computed is not the ELBO"); ``likelihood.iwae_estimate`` gives a tighter bound. Notebook 8
    compares the three.

    Returns:
        ``{"recon": ..., "kl": ..., "total": ...}``, each per image.
    """
    device, data = arguments.model(model, "evaluate"), arguments.split(data)
    batch_size, beta = arguments.whole("batch_size", batch_size), arguments.real("beta", beta, low=0)
    arguments.choice("likelihood", likelihood, RECONSTRUCTION)
    images, labels = on_device(data, device)
    sums = [0.0, 0.0, 0.0]
    with evaluation_mode(model):
        for x, y in labelled_batches(images, labels, batch_size):
            sums = [s + v for s, v in zip(sums, torch.stack(loss_terms(model, x, y, beta, likelihood)).tolist())]
    return {"recon": sums[1] / len(images), "kl": sums[2] / len(images), "total": sums[0] / len(images)}


@torch.no_grad()
def init_biases(model: nn.Module, data: Split | Tensor | DataLoader) -> nn.Module:
    """Set two biases of a fresh model so that training starts from a sensible place; return the model.

    - The bias of the decoder's last layer becomes logit(m) = log(m / (1 - m)), m the mean
      training image clamped to [0.001, 0.999]: then sigmoid(bias) = m, and the untrained
      decoder draws the average digit instead of grey 0.5 everywhere ("init well", Karpathy
      2019, *A Recipe for Training Neural Networks*). A convolutional decoder, whose last bias
      is one number per channel, gets the mean pixel.
    - A VAE encoder's log sigma bias (``linear3.bias``) becomes ``LOG_SIGMA_INIT`` = 1, so every
      code starts with sigma ~ 2.7; found by trial, why it helps is not established.
    - A prior that starts from the data (a ``VampPrior``'s ``start_from``) takes its pseudo-images from ``data``.

    Neither changes the model or the loss, only where training starts.

    Args:
        model: an untrained model of the library.
        data: its training images, a ``Split`` or a tensor ``(N, 1, 28, 28)`` in [0, 1].
    """
    device = arguments.model(model, "init_biases")
    mean = arguments.pixels(arguments.split(data)).mean(dim=0).to(device)  # (1, 28, 28)
    output = [m for m in model.decoder.modules() if isinstance(m, (nn.Linear, nn.ConvTranspose2d))][-1]
    if output.bias.numel() != mean.numel():  # one bias per channel: the mean pixel
        mean = mean.mean().expand_as(output.bias)
    output.bias.copy_(torch.logit(mean.flatten().clamp(1e-3, 1 - 1e-3)))
    if hasattr(model.encoder, "linear3"):
        model.encoder.linear3.bias.fill_(LOG_SIGMA_INIT)
    if hasattr(getattr(model, "prior", None), "start_from"):
        model.prior.start_from(arguments.pixels(arguments.split(data)))
    return model


@torch.no_grad()
def kl_per_dimension(model: nn.Module, data: Split | Tensor, batch_size: int = EVAL_BATCH_SIZE) -> Tensor:
    """A VAE's KL term for each latent dimension on its own, averaged over ``data``'s images.

    A dimension whose KL is near 0 is switched off: its mu stays at 0 and its sigma at 1
    for every image, so it carries nothing about the image. The entries sum to
    ``evaluate(model, data)["kl"]``.

    Returns:
        shape ``(latent_dims,)``, in nats per image, on the CPU.
    """
    device = arguments.variational(model, "kl_per_dimension")
    batch_size = arguments.whole("batch_size", batch_size)
    images, labels = on_device(data, device)
    total = torch.zeros(model.latent_dims, dtype=torch.float64)
    with evaluation_mode(model):
        for x, y in labelled_batches(images, labels, batch_size):
            model.encode(x, y)
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
    device = arguments.variational(model, "latent_activity")
    batch_size = arguments.whole("batch_size", batch_size)
    images, labels = on_device(data, device)
    with evaluation_mode(model):
        mu = torch.cat([model.encode(x, y).double().cpu() for x, y in labelled_batches(images, labels, batch_size)])
    return mu.var(dim=0, correction=0).float()


def active_units(model: nn.Module, data: Split | Tensor, threshold: float = ACTIVE,
                 batch_size: int = EVAL_BATCH_SIZE) -> int:
    """How many latent dimensions are active on ``data``: ``latent_activity`` above ``threshold``."""
    threshold = arguments.real("threshold", threshold, low=0)
    return int((latent_activity(model, data, batch_size) > threshold).sum())
