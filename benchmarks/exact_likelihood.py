"""Time and memory of the exact log p(x) of a 2-D VAE on a grid (``vae_lab.beyond.exact.grid_log_px``).

Notebook 8 sums p(x | z) p(z) over a grid of [-5, 5]² for the 1,000 test images it scores. This script trains the
lecture's 2-D VAE with ``vae_lab.train`` (its defaults, about 15 s on 2 cores), then, for each grid step, prints
the number of grid points, the seconds the sum takes for the images, the answer (-log p(x) in nats per image, the
Gaussian decoder's constant included) and the process's peak resident memory so far. It prints numbers; nothing
is asserted.

    python benchmarks/exact_likelihood.py                 # steps 0.16, 0.08, 0.04, 0.02 on 1,000 test images
    python benchmarks/exact_likelihood.py --images 100 --steps 0.16 --epochs 1    # does it run?
"""

import argparse
import math
import resource
import time

import torch

from vae_lab import VariationalAutoencoder, init_biases, load_mnist, set_seed, train
from vae_lab.beyond.exact import GAUSSIAN_CONSTANT, grid_log_px


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1000, help="test images scored (default 1000)")
    parser.add_argument("--steps", type=float, nargs="+", default=[0.16, 0.08, 0.04, 0.02])
    parser.add_argument("--extent", type=float, default=5.0)
    parser.add_argument("--epochs", type=int, default=None, help="training epochs (default: train's)")
    args = parser.parse_args()
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads")
    set_seed(0)
    mnist = load_mnist()
    start = time.perf_counter()
    vae = init_biases(VariationalAutoencoder(latent_dims=2), mnist.train)
    train(vae, mnist.train, args.epochs, progress=False)
    print(f"trained the 2-D VAE in {time.perf_counter() - start:.1f} s ({mnist.source})")
    test = mnist.test.images[:args.images]
    for step in args.steps:
        start = time.perf_counter()
        result = grid_log_px(vae, test, extent=args.extent, step=step)
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        nll = -result["log_px"].mean().item() - GAUSSIAN_CONSTANT
        print(f"step {step:.2f}: {round(2 * args.extent / step) ** 2:>8,} points, {len(test):,} images: "
              f"{seconds:6.1f} s, -log p(x) = {nll:.4f} nats per image, edge mass <= "
              f"{result['edge_mass'].max():.0e}, peak memory {peak:,.0f} MiB")
    print(f"(the constant: (784/2) log pi = {784 / 2 * math.log(math.pi):.1f} nats)")


if __name__ == "__main__":
    main()
