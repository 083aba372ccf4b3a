"""The paper's setting, measured: Burda et al.'s MLP VAE on dynamically binarized MNIST, log p(x) at k = 5000.

Burda, Grosse & Salakhutdinov (2016, *Importance Weighted Autoencoders*, table 1) trained a VAE with two
deterministic hidden layers of 200 tanh units on each side and a 50-D code, a Bernoulli decoder, on MNIST
binarized afresh each time an image is used, for 3,280 epochs, and reported -log p(x) on the test set
estimated with k = 5000 importance samples: 86.76 nats (IWAE-trained: 85.54 at k = 5, 84.78 at k = 50).

This script trains that model with ``vae_lab.train`` and ``binarized_bernoulli_loss`` (below) for a
budget given in epochs or minutes, then estimates -log p(x) with ``vae_lab.iwae_estimate`` at k = 5000 on the
test images, binarized once with a fixed seed. It prints our number beside the published ones, the epochs and
minutes it took, and the test -ELBO after every epoch against the training minutes (the curve; ``--plot``
saves it as a PNG).

Run from the repository root (MNIST in data/MNIST/raw/ or $VAE_LAB_DATA):

    python benchmarks/burda_mnist.py --minutes 8 --test-images 1000 --threads 1
    python benchmarks/burda_mnist.py --epochs 1 --test-images 20 --k 10      # does it run?

The k = 5000 estimate decodes 5,000 codes per image: on 2 CPU cores about 0.1 s per image, so the full
10,000-image test set takes most of an hour there; ``--test-images`` takes the first n.
"""

from __future__ import annotations

import argparse
import copy
import time

import torch
from torch import Tensor, nn

from vae_lab import get_device, init_biases, load_mnist, set_seed, train
from vae_lab.beyond.likelihood import iwae_estimate, likelihood_loss
from vae_lab.data import IMAGE_SHAPE, IMAGE_SIZE
from vae_lab.models import LOG_SIGMA_RANGE, kl_divergence, reparameterize

HIDDEN = 200  # Burda et al. 2016, section 5: two deterministic layers of 200 tanh units, each side
LATENT_DIMS = 50  # their one-stochastic-layer model's code
PAPER_EPOCHS = 3280  # sum over i = 0..7 of 3^i passes (their schedule: lr 1e-3 * 10^(-i/7) for 3^i epochs)
PUBLISHED = (  # -log p(x) in nats on the test set, k = 5000 (lower is better)
    ("VAE, k = 1 (Burda et al. 2016, table 1)", 86.76),
    ("IWAE, k = 5 (Burda et al. 2016, table 1)", 85.54),
    ("IWAE, k = 50 (Burda et al. 2016, table 1)", 84.78),
    ("pythae's reproduction of Rezende & Mohamed's VAE (published 89.9)", 89.78),
)
BATCH_SIZE = 100  # smaller than vae_lab's 512: this model is small, and more steps per epoch help early on
LR = 3e-3  # Adam. Burda et al. began at 1e-3; in 4-epoch probes here 1e-3 reached 116.9 nats, 3e-3 103.4, 1e-2 101.1
TIMING_STEPS = 30  # steps timed on a copy of the model to turn --minutes into epochs


class BurdaEncoder(nn.Module):
    """Image -> z ~ N(mu, sigma^2): 784 -> 200 -> 200 (tanh), then ``linear2`` -> mu and ``linear3`` -> log sigma."""

    def __init__(self, latent_dims: int = LATENT_DIMS, hidden: int = HIDDEN):
        super().__init__()
        self.latent_dims = latent_dims
        self.linear1 = nn.Linear(IMAGE_SIZE, hidden)
        self.hidden = nn.Linear(hidden, hidden)
        self.linear2 = nn.Linear(hidden, latent_dims)
        self.linear3 = nn.Linear(hidden, latent_dims)
        self.kl = 0

    def forward(self, x: Tensor) -> Tensor:
        """Images ``(B, 1, 28, 28)`` -> z ``(B, latent_dims)``; sets ``mu``, ``sigma``, ``log_sigma``, ``kl``."""
        h = torch.tanh(self.hidden(torch.tanh(self.linear1(x.flatten(start_dim=1)))))
        self.mu, self.log_sigma = self.linear2(h), self.linear3(h).clamp(*LOG_SIGMA_RANGE)
        self.sigma = torch.exp(self.log_sigma)
        self.kl = kl_divergence(self.mu, self.log_sigma).sum()
        return reparameterize(self.mu, self.sigma)


class BurdaDecoder(nn.Module):
    """z -> pixel probabilities: latent_dims -> 200 -> 200 (tanh) -> 784, sigmoid (a Bernoulli decoder)."""

    def __init__(self, latent_dims: int = LATENT_DIMS, hidden: int = HIDDEN):
        super().__init__()
        self.linear1 = nn.Linear(latent_dims, hidden)
        self.hidden = nn.Linear(hidden, hidden)
        self.linear2 = nn.Linear(hidden, IMAGE_SIZE)

    def forward(self, z: Tensor) -> Tensor:
        """Codes ``(B, latent_dims)`` -> probabilities ``(B, 1, 28, 28)``."""
        h = torch.tanh(self.hidden(torch.tanh(self.linear1(z))))
        return torch.sigmoid(self.linear2(h)).reshape(-1, *IMAGE_SHAPE)


class BurdaVAE(nn.Module):
    """Burda et al.'s one-stochastic-layer VAE, with the calling convention of vae_lab's models."""

    def __init__(self, latent_dims: int = LATENT_DIMS, hidden: int = HIDDEN):
        super().__init__()
        self.latent_dims = latent_dims
        self.encoder, self.decoder = BurdaEncoder(latent_dims, hidden), BurdaDecoder(latent_dims, hidden)

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        return self.decoder(self.encoder(x))

    def encode(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        self.encoder(x)
        return self.encoder.mu

    def decode(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        return self.decoder(z)


def binarized_bernoulli_loss(model: nn.Module, x: Tensor, y: Tensor | None = None) -> tuple[Tensor, Tensor, Tensor]:
    """The Bernoulli VAE loss; in training, of black-and-white pixels drawn afresh for every batch, each pixel 1 with
    its grey value as probability ("dynamic binarization", Burda et al. 2016). ``evaluate`` (eval mode) takes the
    pixels as they are: the test images are binarized once, with a fixed seed."""
    return likelihood_loss(model, torch.bernoulli(x) if model.training else x, likelihood="bernoulli")


def binarized(images: Tensor, seed: int) -> Tensor:
    """Each pixel 1 with its grey value as probability, drawn once with a fixed seed (the test set's binarization)."""
    return torch.bernoulli(images, generator=torch.Generator(device=images.device).manual_seed(seed))


def seconds_per_epoch(model: nn.Module, images: Tensor, batch_size: int) -> float:
    """Seconds an epoch of ``train`` takes on this machine: ``TIMING_STEPS`` steps on a throwaway copy, timed as the
    difference between a run of 2 x and one of 1 x that many steps, so that ``train``'s start-up cost cancels (after
    a first, untimed run: the process's first steps pay one-time costs)."""
    seconds = []
    for steps in (TIMING_STEPS, TIMING_STEPS, 2 * TIMING_STEPS):
        start = time.perf_counter()
        train(copy.deepcopy(model), images[: steps * batch_size], epochs=1, batch_size=batch_size, lr=LR,
              progress=False, loss=binarized_bernoulli_loss)
        seconds.append(time.perf_counter() - start)
    return max(seconds[2] - seconds[1], 1e-3) * len(images) / (TIMING_STEPS * batch_size)


def report(args, history, result, epochs: int, minutes: float, n_test: int, seconds_iwae: float, source: str) -> None:
    """Print our number beside the published ones, the budget it took and the curve."""
    ours, passes = -result["log_px"], f"{epochs} epoch{'s' if epochs != 1 else ''}"
    print(f"\ndata: {source}; test images for the k = {args.k} estimate: {n_test} (binarized once, seed {args.seed})")
    print(f"training: {passes} in {minutes:.1f} minutes ({torch.get_num_threads()} torch threads); "
          f"the paper trained {PAPER_EPOCHS} epochs ({epochs / PAPER_EPOCHS:.2%} of it here)")
    print(f"ours: -log p(x) ~ {ours:.2f} nats (IWAE, k = {args.k}); -ELBO {-result['elbo']:.2f} nats "
          f"(k = {args.k} mean of log w); estimated in {seconds_iwae / 60:.1f} minutes")
    for name, nats in PUBLISHED:
        print(f"  published: {nats:6.2f} nats  {name}")
    print(f"  ours:      {ours:6.2f} nats  this run, {passes} ({ours - PUBLISHED[0][1]:+.2f} from the VAE's 86.76)")
    print("\ntest -ELBO (one code per image, all test images) against training minutes:")
    for epoch, (seconds, test) in enumerate(zip(history.seconds, history.test), start=1):
        print(f"  epoch {epoch:3d}: {seconds / 60:6.2f} min  {test['total']:7.2f} nats")


def plot_curve(history, path: str):
    """Save the test -ELBO against training minutes as a PNG; return the path."""
    import matplotlib  # only with --plot: the script runs without a display

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    ax.plot([s / 60 for s in history.seconds], [t["total"] for t in history.test], marker="o")
    ax.axhline(PUBLISHED[0][1], color="grey", linestyle="--", label="Burda et al. 2016, VAE, -log p(x) (k = 5000)")
    ax.set(xlabel="training minutes", ylabel="test -ELBO, nats", title="Burda et al.'s VAE on binarized MNIST")
    ax.legend()
    fig.savefig(path, dpi=100)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--epochs", type=int, help="passes over the training set (default: 10, or from --minutes)")
    budget.add_argument("--minutes", type=float, help="training budget in minutes, turned into whole epochs")
    parser.add_argument("--test-images", type=int, default=10_000, help="test images for the k-sample estimate")
    parser.add_argument("--k", type=int, default=5000, help="importance samples per test image")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    parser.add_argument("--lr", type=float, default=LR)
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's own choice)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", help="save the curve to this PNG file")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    set_seed(args.seed)
    device, mnist = get_device(), load_mnist()
    print(f"device: {device}, torch threads: {torch.get_num_threads()}, data: {mnist.source}")
    test = binarized(mnist.test.images.to(device), args.seed)
    model = init_biases(BurdaVAE().to(device), mnist.train)
    epochs = args.epochs
    if epochs is None and args.minutes is not None:
        per_epoch = seconds_per_epoch(model, mnist.train.images, args.batch_size)
        epochs = max(1, int(args.minutes * 60 / per_epoch))
        print(f"about {per_epoch:.1f} s per epoch: {epochs} epochs in {args.minutes:g} minutes")
    epochs = 10 if epochs is None else epochs
    history = train(model, mnist.train, epochs=epochs, batch_size=args.batch_size, lr=args.lr, test_data=test,
                    loss=binarized_bernoulli_loss, progress=False)
    n_test = min(args.test_images, len(test))
    start = time.perf_counter()
    result = iwae_estimate(model, test[:n_test], k=args.k, likelihood="bernoulli")
    report(args, history, result, epochs, history.seconds[-1] / 60, n_test, time.perf_counter() - start, mnist.source)
    if args.plot:
        print(f"curve saved to {plot_curve(history, args.plot)}")


if __name__ == "__main__":
    main()
