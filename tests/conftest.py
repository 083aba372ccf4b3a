import matplotlib
import pytest
import torch

matplotlib.use("Agg")  # tests draw figures without a screen


@pytest.fixture
def images():
    """A batch of 16 synthetic images (B, 1, 28, 28) in [0, 1]."""
    generator = torch.Generator().manual_seed(0)
    return torch.rand(16, 1, 28, 28, generator=generator)
