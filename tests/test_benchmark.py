"""benchmarks/train_speed.py runs end to end with tiny settings and prints its summary.

Only that it runs and reports is checked here; its numbers are for people to read
(benchmarks/README.md), not for a timed test.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from vae_lab.data import MNIST_FILES, default_data_dir

ROOT = Path(__file__).resolve().parents[1]
QUICK = ["--lecture-epochs", "1", "--epochs", "1", "--rounds", "1", "--pairs", "1", "--efficiency-batch-sizes", "512"]


@pytest.mark.slow  # ~25 s; `pytest -m 'not slow' tests` leaves it out, CI runs it
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
