"""The lecture's loss, a fast training loop and the test-set evaluation; then the seed, the device and the checks.

The maths is the lecture's (summed squared error + KL, Adam). The speed comes from
holding the data as one tensor on the device and slicing large shuffled batches
from it; ``benchmarks/README.md`` has the measurements behind every default here.
``train`` and ``evaluate`` are doors: they check what a student passes, once.
"""

from __future__ import annotations

import math
import numbers
import os
import random
import time
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm.auto import tqdm

from .data import FULL_SIZE, Split, as_split, batches

BATCH_SIZE = 512  # large batches run the CPU's matmuls near their peak
LEARNING_RATE = 1e-2  # Adam's step size at the top of the schedule
WARMUP = 0.05  # fraction of the steps over which the step size rises linearly to lr
FLOOR = 0.1  # the step size ends at lr * FLOOR
LOG_SIGMA_INIT = 1.0  # init_biases starts a VAE's sigma at e ~ 2.7 (found by trial, see benchmarks/README.md)
EPOCHS = 6  # passes over the full MNIST: short enough to train live in a lecture
EVAL_BATCH_SIZE = 4096  # no gradients are kept, so evaluation can take larger batches
PROGRESS_SECONDS = 0.5  # between redraws: nbval loses a long cell's end when it queues ~1,000 widget messages
SEED_OFFSET_ENV = "VAE_LAB_SEED_OFFSET"  # set to e.g. 100 to re-run the notebooks with other seeds

# float64 sums of the batches' losses, except where the device has no float64 (Apple's MPS)
SUM_DTYPE = {"mps": torch.float32}
Loss = Callable[..., tuple[Tensor, Tensor, Tensor]]  # (model, x, y) -> (loss, reconstruction, kl), batch-summed


def vae_loss(model: nn.Module, x: Tensor, y: Tensor | None = None, beta: float = 1.0) -> tuple[Tensor, Tensor, Tensor]:
    """The lecture's loss of a batch ``x`` ``(B, 1, 28, 28)``: ``((x - x_hat)**2).sum() + autoencoder.encoder.kl``.

    Returns ``(loss, reconstruction, kl)``, each summed over the batch. An Autoencoder has no KL: it counts 0.
    ``beta`` weighs the KL term (a beta-VAE, Higgins et al. 2017: ``functools.partial(vae_loss, beta=4)``);
    ``y``, the digits, is for losses of conditional models and is not used here.
    """
    x_hat = model(x)
    recon = F.mse_loss(x_hat, x, reduction="sum")  # = ((x - x_hat)**2).sum(), with a one-kernel backward
    kl = getattr(model.encoder, "kl", None)
    kl = x_hat.new_zeros(()) if kl is None else kl
    return recon + beta * kl, recon, kl


def train(model: nn.Module, data: Split | Tensor, epochs: int | None = None, *, loss: Loss = vae_loss,
          test_data: Split | Tensor | None = None, batch_size: int = BATCH_SIZE, lr: float = LEARNING_RATE,
          progress: bool = True) -> History:
    """Train a model with Adam on the lecture's loss (or ``loss``); return its History.

    Each epoch takes the images in a new random order, in batches sliced from one tensor on the
    model's device. The step size rises linearly to ``lr`` over the first 5 % of the steps, then
    decays along a cosine to ``lr / 10`` (``lr_factor``). Call ``init_biases(model, data)`` on a
    fresh model first. Ctrl-C stops training, keeps the weights learnt so far and returns the history.

    Args:
        model: the model, already on its device (``model.to(get_device())``).
        data: training images: a ``Split`` (labels go to ``loss`` as y), a tensor ``(N, 1, 28, 28)`` in [0, 1],
            or the lecture's ``DataLoader`` (its images are taken once and batched as above).
        epochs: passes over the data; by default ``epochs_for(data)``, i.e. ``EPOCHS`` on the full MNIST.
        loss: ``loss(model, x, y) -> (loss, reconstruction, kl)`` of a batch, summed; ``vae_loss`` by default.
        test_data: if given, evaluated with ``loss`` after every epoch into ``history.test``.
        batch_size: images per step.
        lr: Adam's largest step size.
        progress: show a progress bar with the live loss.

    Returns:
        History with the per-image training losses of each finished epoch.
    """
    device, data = device_of(model, "train"), as_split(data)
    test_data = None if test_data is None else as_split(test_data, "test_data")
    epochs = epochs_for(data) if epochs is None else whole("epochs", epochs)
    batch_size, lr = whole("batch_size", batch_size), real("lr", lr, positive=True)
    images, labels = on_device(data, device)
    steps = epochs * -(-len(images) // batch_size)
    # fused Adam updates all parameters in one kernel; it exists on CPU and CUDA only
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, fused=device.type in ("cpu", "cuda"))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: lr_factor(step, steps))
    history, seconds = History(), 0.0
    bar = tqdm(total=steps, desc="training", unit="batch", disable=not progress, mininterval=PROGRESS_SECONDS)
    model.train()
    try:
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            sums = torch.zeros(3, dtype=SUM_DTYPE.get(device.type, torch.float64), device=device)
            for index in batches(torch.randperm(len(images), device=device), batch_size):
                # index_select copies whole rows; images[index] goes through the slower general indexing
                x, y = images.index_select(0, index), None if labels is None else labels[index]
                terms = loss(model, x, y)
                optimizer.zero_grad(set_to_none=True)
                terms[0].backward()
                optimizer.step()
                scheduler.step()
                sums += torch.stack(terms).detach()
                bar.update()
            seconds += time.perf_counter() - start
            total, recon, kl = (sums / len(images)).tolist()
            if not math.isfinite(total):
                raise FloatingPointError(f"The loss became {total} in epoch {epoch}: training diverged. Build a fresh "
                                         f"model and train again with a lower learning rate, e.g. lr={lr / 10:g}.")
            history.total.append(total)
            history.recon.append(recon)
            history.kl.append(kl)
            history.seconds.append(seconds)
            bar.set_postfix(epoch=epoch, loss=f"{total:.2f}")
            if test_data is not None:
                history.test.append(evaluate(model, test_data, loss=loss))
    except KeyboardInterrupt:
        history.interrupted = True
        warnings.warn(f"Training interrupted: returning the {len(history)} finished epochs; the model keeps its "
                      "weights.", stacklevel=2)
    finally:
        bar.close()
    return history


@torch.no_grad()
def evaluate(model: nn.Module, data: Split | Tensor, loss: Loss = vae_loss) -> dict[str, float]:
    """Reconstruction, KL and total loss per image on ``data``, without gradients.

    A VAE samples each image's z as in training (one z ~ q(z | x) per image, never z = mu), so
    ``total`` is a one-draw estimate of the negative ELBO, the lecture's loss, and varies slightly
    from call to call. Decoding mu instead reports a smaller number that is no bound on anything
    (pytorch/examples did so until Kingma's fix, pull request #419); notebook 8 compares the two
    with ``beyond.likelihood.iwae_estimate``, a tighter bound.

    Returns:
        ``{"recon": ..., "kl": ..., "total": ...}``, each per image.
    """
    device, data = device_of(model, "evaluate"), as_split(data)
    images, labels = on_device(data, device)
    sums = torch.zeros(3, dtype=SUM_DTYPE.get(device.type, torch.float64), device=device)
    with evaluation_mode(model):
        for x, y in labelled_batches(images, labels, EVAL_BATCH_SIZE):
            sums += torch.stack(loss(model, x, y))
    total, recon, kl = (sums / len(images)).tolist()
    return {"recon": recon, "kl": kl, "total": total}


@torch.no_grad()
def init_biases(model: nn.Module, data: Split | Tensor) -> nn.Module:
    """Start a fresh model from a sensible place (its weights, not its architecture or loss); return the model.

    - The bias of the decoder's last layer becomes logit(m), m the mean training image clamped to
      [0.001, 0.999]: the untrained decoder then draws the average digit instead of grey 0.5
      ("init well", Karpathy 2019, *A Recipe for Training Neural Networks*). A convolutional
      decoder, whose last bias is one number per channel, gets the mean pixel.
    - A VAE encoder's log sigma bias (``linear3.bias``) becomes ``LOG_SIGMA_INIT`` = 1, so every
      code starts with sigma ~ 2.7; found by trial, why it helps is not established.
    - A prior that starts from the data (a ``VampPrior``'s ``start_from``) takes its pseudo-images from ``data``.

    None of the three changes what the model computes or the loss, only where training starts.
    """
    device, images = device_of(model, "init_biases"), as_split(data).images
    mean = images.mean(dim=0).to(device)  # (1, 28, 28)
    output = [m for m in model.decoder.modules() if isinstance(m, (nn.Linear, nn.ConvTranspose2d))][-1]
    if output.bias.numel() != mean.numel():  # one bias per channel: the mean pixel
        mean = mean.mean().expand_as(output.bias)
    output.bias.copy_(torch.logit(mean.flatten().clamp(1e-3, 1 - 1e-3)))
    if hasattr(model.encoder, "linear3"):
        model.encoder.linear3.bias.fill_(LOG_SIGMA_INIT)
    if hasattr(getattr(model, "prior", None), "start_from"):
        model.prior.start_from(images)
    return model
@dataclass
class History:
    """Per-epoch training losses per image, and the training seconds elapsed at each epoch's end.

    ``test`` holds ``evaluate``'s results per epoch when ``train`` was given test data;
    ``interrupted`` is True when Ctrl-C stopped training early, ``from_cache`` when the
    result of an earlier run was loaded (``vae_lab.course.cache.cached``).
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


def lr_factor(step: int, steps: int) -> float:
    """The step size at step ``step`` (0-based) of ``steps``, as a fraction of ``lr``: a linear warm-up over the first
    ``WARMUP`` of the steps (Goyal et al. 2017), then half a cosine from 1 down to ``FLOOR`` (Loshchilov & Hutter
    2017, SGDR without restarts)."""
    warmup = max(1, round(WARMUP * steps))
    if step < warmup:
        return (step + 1) / warmup
    return FLOOR + (1 - FLOOR) * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup))) / 2


@contextmanager
def evaluation_mode(model: nn.Module):
    """``model.eval()`` inside the block; the model's own mode is restored after it, even on an error."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def labelled_batches(images: Tensor, labels: Tensor | None, batch_size: int):
    """Consecutive batches ``(x, y)`` of ``images`` and their ``labels``; y is None when ``labels`` is."""
    return zip(batches(images, batch_size), [None] * len(images) if labels is None else batches(labels, batch_size))


def on_device(split: Split, device: torch.device) -> tuple[Tensor, Tensor | None]:
    """A checked Split's images ``(N, 1, 28, 28)`` and labels ``(N,)`` (or None) on ``device``."""
    return split.images.to(device), None if split.labels is None else split.labels.to(device)


def set_seed(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's (CPU and CUDA) random number generators.

    With ``$VAE_LAB_SEED_OFFSET`` set (a whole number), ``seed + offset`` is used instead: the way
    to check that the notebooks' asserts, and so their readings, hold for other seeds too.
    """
    offset = os.environ.get(SEED_OFFSET_ENV, "0").strip() or "0"
    if not (offset.isascii() and offset.isdigit()) or len(offset) > 10:  # NumPy takes seeds below 2**32
        shown = offset if len(offset) <= 20 else f"{offset[:20]}... ({len(offset):,} characters)"
        raise ValueError(f"${SEED_OFFSET_ENV} must be a whole number from 0 to {2**32 - 1}, got {shown!r}.")
    seed = whole(f"seed + ${SEED_OFFSET_ENV}", whole("seed", seed, low=0) + int(offset), low=0, high=2**32 - 1)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def get_device() -> torch.device:
    """The fastest device present: CUDA, then Apple's MPS, then the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu")


def epochs_for(data: Split | Tensor, full_epochs: int = EPOCHS) -> int:
    """Epochs that show a model as many images as ``full_epochs`` passes over the full MNIST: ``full_epochs`` on the
    full training split, 15 times more on the 4,000-image offline sample."""
    n = len(data.images if isinstance(data, Split) else as_split(data).images)
    return max(whole("full_epochs", full_epochs), round(full_epochs * FULL_SIZE / n))



# The checks at the doors of train and evaluate (the plots and beyond use them too, through _checks).


def whole(name: str, value: object, low: int = 1, high: int | None = None) -> int:
    """``value`` as an int in ``low..high``: a TypeError if it is not a whole number, a ValueError if out of range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a whole number such as {low}, got {value!r} of type {type(value).__name__}.")
    if value < low or (high is not None and value > high):
        expected = f"from {low} to {high:,}" if high is not None else f">= {low}"
        raise ValueError(f"{name} must be a whole number {expected}, got {value}.")
    return int(value)


def real(name: str, value: object, low: float | None = None, positive: bool = False) -> float:
    """``value`` as a finite float (``>= low``, or ``> 0`` if ``positive``); TypeError or ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r} of type {type(value).__name__}.")
    if not math.isfinite(value) or (positive and value <= 0) or (low is not None and value < low):
        expected = " > 0" if positive else f" >= {low:g}" if low is not None else ""
        raise ValueError(f"{name} must be a finite number{expected}, got {float(value)!r}.")
    return float(value)


def device_of(model: object, what: str) -> torch.device:
    """The device of a whole model's weights, after checking that it is one (an encoder, a decoder, weights)."""
    if isinstance(model, History):
        raise TypeError(f"{what} needs the model, and got the History that train returned. Keep the model in its own "
                        "name: history = train(vae, data), then use vae.")
    if not isinstance(model, nn.Module) or not hasattr(model, "encoder") or not hasattr(model, "decoder"):
        raise TypeError(f"{what} needs a whole model with an encoder and a decoder, such as VariationalAutoencoder(2); "
                        f"got {type(model).__name__}. Pass the model itself, not model.encoder or model.decoder.")
    parameter = next(model.parameters(), None)
    if parameter is None:
        raise ValueError(f"{what} needs a model with weights; this {type(model).__name__} has none.")
    if parameter.device.type == "meta":
        raise ValueError(f"{what}: the model is on the 'meta' device (no values); build it without device='meta'.")
    return parameter.device
