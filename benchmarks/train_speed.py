"""Training speed of vae_lab against the lecture's loop, side by side in one run.

Prints: the machine's fp32 matmul peak; seconds per epoch and % of that peak for
the lecture-style loop (DataLoader over torchvision's MNIST with a per-image
ToTensor, batch 128, Adam 1e-3, 20 epochs) and for ``vae_lab.train``; the test
loss of both against elapsed training time; the time vae_lab takes to reach the
lecture loop's final test loss; and the peak memory of a vae_lab training run.

Run from the repository root (MNIST in data/MNIST/raw/ or $VAE_LAB_DATA):

    python benchmarks/train_speed.py            # the full comparison, about 6 minutes on 2 cores
    python benchmarks/train_speed.py --lecture-epochs 2 --epochs 2 --rounds 1 --pairs 2   # a quick look

On a shared (virtual) machine the speed of the CPU drifts by 10-20 % from minute
to minute, so the % of peak is measured in rounds: the peak, then one epoch,
close together in time; the script prints each round and their median. It is
measured a second way too, finer: 0.1-s matmul slices alternated with 16-step
training slices, so that both rates cover the same seconds.
"""

from __future__ import annotations

import argparse
import resource
import time

import torch

from vae_lab import (
    VariationalAutoencoder,
    evaluate,
    get_device,
    init_biases,
    load_mnist,
    set_seed,
    train,
)
from vae_lab.mnist import default_data_dir
from vae_lab.training import BATCH_SIZE, LEARNING_RATE

# One image's forward + backward through the two 784x512 matmuls, which dominate:
# the encoder's linear1 needs forward + weight gradient (2 matmuls, no input
# gradient), the decoder's linear2 forward + weight + input gradients (3).
# The 512 x latent_dims layers add under 1 %. 2 FLOP per multiply-add.
FLOP_PER_IMAGE = (2 + 3) * 2 * 784 * 512


SIZES = (512, 1024, 2048)  # square matmuls whose best rate is taken as the peak


def matmul_work(device: torch.device, seconds: float) -> dict[int, tuple[float, float]]:
    """FLOP done and seconds taken by repeated square fp32 matmuls of each size in SIZES, ~``seconds`` each."""
    work = {}
    for n in SIZES:
        a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
        a @ b
        _sync(device)
        reps, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            a @ b
            reps += 1
            _sync(device)
        work[n] = (2 * n**3 * reps, time.perf_counter() - start)
    return work


def matmul_peak(device: torch.device, seconds: float = 0.5) -> float:
    """Best fp32 GFLOP/s of square matmuls of a few sizes on ``device``."""
    return max(flop / elapsed for flop, elapsed in matmul_work(device, seconds).values()) / 1e9


def interleaved_rates(data, batch_size: int, lr: float, seed: int, device: torch.device, pairs: int,
                      block: int = 8192) -> tuple[float, float]:
    """Training and matmul GFLOP/s measured in alternation, so that both see the same machine speed.

    ``pairs`` times: 0.1 s of each matmul size, then ``train`` for one pass over a block
    of ``block`` training images (16 steps at batch 512). Returns the training rate over
    all blocks and the best size's rate over all its slices. Each ``train`` call starts a
    fresh Adam, whose state is allocated inside the timed first step: a slight handicap.
    """
    set_seed(seed)
    model = init_biases(VariationalAutoencoder(2).to(device), data.train)
    images = data.train.images  # consecutive blocks, as views: no copies to add to the memory measured later
    blocks = [images[i : i + block] for i in range(0, len(images) - block + 1, block)]
    train(model, blocks[0], 1, batch_size=batch_size, lr=lr, progress=False)  # first steps: allocations, kernel choice
    matmul = dict.fromkeys(SIZES, (0.0, 0.0))
    train_seconds = 0.0
    for k in range(pairs):
        for n, (flop, elapsed) in matmul_work(device, 0.1).items():
            matmul[n] = (matmul[n][0] + flop, matmul[n][1] + elapsed)
        history = train(model, blocks[k % len(blocks)], 1, batch_size=batch_size, lr=lr, progress=False)
        train_seconds += history.seconds[0]
    peak = max(flop / elapsed for flop, elapsed in matmul.values())
    return FLOP_PER_IMAGE * block * pairs / train_seconds / 1e9, peak / 1e9


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def lecture_loop(model, root, test, epochs: int, device: torch.device) -> list[tuple[float, float]]:
    """The lecture's loop, written from its description; returns (train seconds, test loss) per epoch."""
    from torchvision import datasets, transforms

    dataset = datasets.MNIST(root=str(root), train=True, transform=transforms.ToTensor(), download=False)
    loader = torch.utils.data.DataLoader(dataset, batch_size=128, shuffle=True)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    curve, seconds = [], 0.0
    for _ in range(epochs):
        start = time.perf_counter()
        for x, _y in loader:
            x = x.to(device)
            opt.zero_grad()
            x_hat = model(x)
            loss = ((x - x_hat) ** 2).sum() + model.encoder.kl  # the lecture's loss line
            loss.backward()
            opt.step()
        _sync(device)
        seconds += time.perf_counter() - start
        curve.append((seconds, evaluate(model, test)["total"]))
        print(f"  lecture epoch {len(curve):2d}: {seconds:6.1f} s  test loss {curve[-1][1]:.2f}", flush=True)
    return curve


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lecture-epochs", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=10, help="vae_lab epochs (its cosine schedule spans them)")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    parser.add_argument("--lr", type=float, default=LEARNING_RATE)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--efficiency-batch-sizes", type=int, nargs="*", default=[BATCH_SIZE, 256, 1024],
                        help="batch sizes at which to time vae_lab.train's epochs for the %% of peak")
    parser.add_argument("--rounds", type=int, default=5, help="(peak, epoch) measurements per batch size")
    parser.add_argument("--pairs", type=int, default=20,
                        help="(matmul slice, 16-step training slice) pairs per batch size for the interleaved "
                             "%% of peak; 0 skips it")
    args = parser.parse_args()
    for name in ("lecture_epochs", "epochs", "batch_size", "rounds"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be 1 or more, got {getattr(args, name)}")
    if args.pairs < 0:
        parser.error(f"--pairs must be 0 (skip the interleaved measurement) or more, got {args.pairs}")

    device = get_device()
    data = load_mnist(download=False, fallback=False)  # timings on the offline sample would mislead
    print(f"device: {device}, torch threads: {torch.get_num_threads()}, data: {data.source}")
    epoch_gflop = FLOP_PER_IMAGE * len(data.train) / 1e9
    peaks, medians, interleaved = [], {}, {}
    for batch_size in args.efficiency_batch_sizes:
        ratios = []
        for _ in range(args.rounds):
            peaks.append(matmul_peak(device))
            set_seed(args.seed)
            model = init_biases(VariationalAutoencoder(2).to(device), data.train)
            seconds = train(model, data.train, 1, batch_size=batch_size, lr=args.lr, progress=False).seconds[0]
            ratios.append(epoch_gflop / seconds / peaks[-1])
            print(f"  batch {batch_size:4d}: peak {peaks[-1]:.0f} GFLOP/s, epoch {seconds:.2f} s = "
                  f"{epoch_gflop / seconds:.0f} GFLOP/s = {100 * ratios[-1]:.0f} % of that peak", flush=True)
        medians[batch_size] = sorted(ratios)[len(ratios) // 2]
        print(f"vae_lab.train at batch {batch_size:4d}: median {100 * medians[batch_size]:.0f} % "
              f"of the matmul peak (rounds: {', '.join(f'{100 * r:.0f}' for r in ratios)})", flush=True)
        if args.pairs:
            rate, peak = interleaved_rates(data, batch_size, args.lr, args.seed, device, args.pairs)
            interleaved[batch_size] = rate / peak
            print(f"  interleaved ({args.pairs} pairs): training {rate:.0f} GFLOP/s, matmul peak {peak:.0f} GFLOP/s "
                  f"over the same seconds = {100 * rate / peak:.0f} %", flush=True)
    peak = max(peaks)
    print(f"fp32 matmul peak: {peak:.0f} GFLOP/s at best, {min(peaks):.0f} at worst ({len(peaks)} measurements)")

    set_seed(args.seed)
    model = init_biases(VariationalAutoencoder(2).to(device), data.train)
    print(f"vae_lab: init_biases, then train: batch {args.batch_size}, lr {args.lr:g} (5 % warm-up, cosine to lr/10), "
          f"{args.epochs} epochs")
    history = train(model, data.train, args.epochs, batch_size=args.batch_size, lr=args.lr, test_data=data.test,
                    progress=False)
    fast = [(s, t["total"]) for s, t in zip(history.seconds, history.test)]
    for i, (s, loss) in enumerate(fast, start=1):
        print(f"  vae_lab epoch {i:2d}: {s:6.1f} s  test loss {loss:.2f}", flush=True)
    if device.type == "cuda":
        print(f"peak GPU memory: {torch.cuda.max_memory_allocated() / 2**20:.0f} MiB")
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    print(f"peak memory of this process so far (data, model, training): {peak_rss:.0f} MiB")

    set_seed(args.seed)
    print("lecture loop: DataLoader + ToTensor, batch 128, Adam lr 1e-3")
    lecture_model = VariationalAutoencoder(2).to(device)
    slow = lecture_loop(lecture_model, default_data_dir(), data.test, args.lecture_epochs, device)

    report(fast, slow, epoch_gflop, peak, medians, interleaved)


def report(fast, slow, epoch_gflop: float, peak: float, medians: dict[int, float],
           interleaved: dict[int, float]) -> None:
    """Print seconds per epoch, % of peak, and the time-to-quality ratio."""
    def per_epoch(curve):  # the fastest epoch: the least disturbed by the rest of the machine
        times = [curve[0][0]] + [b[0] - a[0] for a, b in zip(curve, curve[1:])]
        return min(times), sum(times) / len(times)

    print("\nsummary")
    for batch_size, ratio in medians.items():
        print(f"  vae_lab.train at batch {batch_size:4d}: {100 * ratio:.0f} % of the matmul peak "
              f"(median of the rounds above; target: 70 % or more at the default batch, {BATCH_SIZE})")
        if batch_size in interleaved:
            print(f"  {'':29s}{100 * interleaved[batch_size]:.0f} % measured interleaved with the matmuls")
    for name, curve in (("lecture loop", slow), ("vae_lab", fast)):
        best, mean = per_epoch(curve)
        print(f"  {name:12s}: {mean:5.2f} s/epoch mean ({100 * epoch_gflop / mean / peak:3.0f} % of the best peak), "
              f"{best:5.2f} s best ({100 * epoch_gflop / best / peak:3.0f} %); final test loss {curve[-1][1]:.2f} "
              f"after {curve[-1][0]:.1f} s")
    target_s, target = slow[-1]
    reached = next(((s, loss) for s, loss in fast if loss <= target), None)
    if reached is None:
        best = min(loss for _, loss in fast)
        print(f"  vae_lab did not reach the lecture loop's final test loss {target:.2f} (best {best:.2f})")
    else:
        print(f"  time to the lecture loop's final test loss {target:.2f}: vae_lab {reached[0]:.1f} s vs "
              f"lecture {target_s:.1f} s = 1/{target_s / reached[0]:.1f} of the time (target: 1/6 or less)")
    print(f"  speed-up per epoch: {per_epoch(slow)[1] / per_epoch(fast)[1]:.1f}x")


if __name__ == "__main__":
    main()
