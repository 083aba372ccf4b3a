"""Synthetic data for the tests: small, fast, and with a known answer."""

import torch

from vae_lab.data import Split


def blobs(n: int = 512, seed: int = 0, contrast: float = 0.9) -> Split:
    """Synthetic digits: four fixed random patterns (labels 0..3) times ``contrast``, plus noise in [0, 0.1]."""
    generator = torch.Generator().manual_seed(seed)
    patterns = (torch.rand(4, 1, 28, 28, generator=generator) > 0.7).float()
    labels = torch.arange(n) % 4
    images = patterns[labels] * contrast + 0.1 * torch.rand(n, 1, 28, 28, generator=generator)
    return Split(images.clamp(0, 1), labels)


def patterns(seed: int = 0) -> torch.Tensor:
    """The four noise-free patterns behind ``blobs(seed=seed)``, shape (4, 1, 28, 28)."""
    return (torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(seed)) > 0.7).float()
