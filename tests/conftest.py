import matplotlib
import pytest
import torch

matplotlib.use("Agg")  # tests draw figures without a screen


@pytest.fixture
def images():
    """A batch of 16 synthetic images (B, 1, 28, 28) in [0, 1]."""
    generator = torch.Generator().manual_seed(0)
    return torch.rand(16, 1, 28, 28, generator=generator)


@pytest.fixture(autouse=True)
def no_seed_offset(monkeypatch):
    """Tests see the seeds they set, even where $VAE_LAB_SEED_OFFSET is exported for a notebook run."""
    monkeypatch.delenv("VAE_LAB_SEED_OFFSET", raising=False)


def pytest_collection_modifyitems(items):
    """The JupyterLab tests last: nbval has then filled the model cache, and Run All re-runs as in a class."""
    items.sort(key=lambda item: item.get_closest_marker("jupyterlab") is not None)
