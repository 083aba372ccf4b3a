"""benchmarks/train_speed.py, burda_mnist.py and exact_likelihood.py run end to end with tiny settings and print
their summaries.

Only that it runs and reports is checked here; its numbers are for people to read
(benchmarks/README.md), not for a timed test.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from vae_lab.mnist import MNIST_FILES, default_data_dir

ROOT = Path(__file__).resolve().parents[1]
QUICK = ["--lecture-epochs", "1", "--epochs", "1", "--rounds", "1", "--pairs", "1", "--efficiency-batch-sizes", "512"]


@pytest.mark.full  # ~25 s: the full tier (`pytest --full`) runs it
def test_train_speed_runs_and_prints_its_summary():
    raw = default_data_dir() / "MNIST" / "raw"
    if not all((raw / name).exists() for pair in MNIST_FILES.values() for name in pair):
        pytest.skip(f"the benchmark needs the full MNIST in {raw}")
    run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "train_speed.py"), *QUICK],
                         capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert run.returncode == 0, run.stderr[-2000:]
    out = run.stdout
    assert re.search(r"fp32 matmul peak: \d+ GFLOP/s", out)
    assert re.search(r"vae_lab\.train at batch  512: \d+ % of the matmul peak", out)
    assert re.search(r"\d+ % measured interleaved with the matmuls", out)
    assert re.search(r"lecture epoch  1: +[\d.]+ s  test loss [\d.]+", out)
    assert re.search(r"vae_lab epoch  1: +[\d.]+ s  test loss [\d.]+", out)
    assert re.search(r"time to the lecture loop's final test loss|did not reach the lecture loop's", out)
    assert re.search(r"peak memory of this process so far .*: \d+ MiB", out)


@pytest.mark.full  # ~15 s: one epoch of the full MNIST, then 20 test images at k = 10
def test_burda_mnist_runs_and_prints_ours_beside_the_published_numbers(tmp_path):
    raw = default_data_dir() / "MNIST" / "raw"
    if not all((raw / name).exists() for pair in MNIST_FILES.values() for name in pair):
        pytest.skip(f"the benchmark needs the full MNIST in {raw}")
    plot = tmp_path / "curve.png"
    run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "burda_mnist.py"), "--epochs", "1",
                          "--test-images", "20", "--k", "10", "--plot", str(plot)],
                         capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert run.returncode == 0, run.stderr[-2000:]
    out = run.stdout
    assert re.search(r"test images for the k = 10 estimate: 20 \(binarized once", out)
    assert re.search(r"training: 1 epochs? in [\d.]+ minutes .*the paper trained 3280 epochs", out)
    ours, elbo = map(float, re.search(r"ours: -log p\(x\) ~ ([\d.]+) nats \(IWAE, k = 10\); -ELBO ([\d.]+) nats",
                                      out).groups())
    assert 60 < ours < 550  # between the best published models and 784 ln 2 (a coin per pixel)
    assert ours <= elbo + 0.01  # the mean of log w over k draws is below their log-mean-exp (to the 2 decimals shown)
    # the table: the published numbers, then ours, with its difference from the VAE's (the first row) worked out
    published = [float(nats) for nats in re.findall(r"published: +([\d.]+) nats", out)]
    row = re.search(r"ours: +([\d.]+) nats  this run, 1 epoch \(([+-][\d.]+) from the VAE's ([\d.]+)\)", out)
    assert row, out
    in_table, difference, vae = map(float, row.groups())
    assert in_table == ours and vae == published[0]  # the number it is compared with is the one listed
    assert difference == pytest.approx(ours - vae, abs=0.011)  # ours minus the VAE's, each rounded to 0.01
    assert re.search(r"epoch   1: +[\d.]+ min +[\d.]+ nats", out)
    assert plot.stat().st_size > 1000


def test_burda_mnist_takes_a_budget_in_epochs_or_minutes_not_both():
    run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "burda_mnist.py"), "--epochs", "1",
                          "--minutes", "1"], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert run.returncode == 2 and "not allowed with argument" in run.stderr


@pytest.mark.full  # ~10 s: one epoch (the offline sample where MNIST is missing), 50 images on a coarse grid
def test_exact_likelihood_runs_and_prints_time_answer_and_memory_per_step():
    run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "exact_likelihood.py"), "--images", "50",
                          "--steps", "0.5", "0.25", "--epochs", "1"], capture_output=True, text=True, timeout=600,
                         cwd=ROOT)
    assert run.returncode == 0, run.stderr[-2000:]
    rows = re.findall(r"step (0\.\d+): +([\d,]+) points, 50 images: +[\d.]+ s, -log p\(x\) = ([\d.]+) nats per image, "
                      r"edge mass <= [\d.e+-]+, peak memory [\d,]+ MiB", run.stdout)
    assert [(step, points) for step, points, _ in rows] == [("0.50", "400"), ("0.25", "1,600")]
    assert all(0 < float(nll) < 300 for _, _, nll in rows)  # a density of 784 pixels, in nats per image
