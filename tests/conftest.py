"""Shared fixtures, and the two tiers of tests.

``python -m pytest`` is the quick tier: the unit tests of ``tests/``, no notebook run, no browser, a few minutes.
``python -m pytest --full`` is the full tier, what CI runs: it adds nbval over ``notebooks/`` and ``student/``, and
the tests marked ``full`` (the type-along copies run whole, the benchmarks' smoke tests, the series on notebooks) or
``browser`` (Chromium: the explorer page, the offline slides, JupyterLab and RISE).
Naming a notebook or a test file on the command line runs it in either tier.
"""

import re
import warnings
from pathlib import Path

import matplotlib
import pytest
import torch
from synthetic import blobs

from vae_lab.beyond.variants import ConditionalVariationalAutoencoder
from vae_lab.models import VariationalAutoencoder

matplotlib.use("Agg")  # tests draw figures without a screen


@pytest.fixture
def images():
    """A batch of 16 synthetic images (B, 1, 28, 28) in [0, 1]."""
    generator = torch.Generator().manual_seed(0)
    return torch.rand(16, 1, 28, 28, generator=generator)


@pytest.fixture(autouse=True)
def no_seed_offset(monkeypatch):
    """Tests see the seeds they set, and the check lines in English (a test of Vietnamese says so), even where
    $VAE_LAB_SEED_OFFSET or $VAE_LAB_LANGUAGE is exported for a notebook run."""
    monkeypatch.delenv("VAE_LAB_SEED_OFFSET", raising=False)
    monkeypatch.delenv("VAE_LAB_LANGUAGE", raising=False)


@pytest.fixture
def split():
    """40 synthetic digits, labels 0..3, ten of each (``synthetic.blobs(40)``)."""
    return blobs(40)


@pytest.fixture
def vae():
    """A fresh, untrained 2-D VariationalAutoencoder, small (hidden=32) and the same in every test (seed 0)."""
    torch.manual_seed(0)
    return VariationalAutoencoder(2, hidden=32)


@pytest.fixture
def conditional():
    """A fresh, untrained 2-D ConditionalVariationalAutoencoder (ten digits), hidden=32, seed 0."""
    torch.manual_seed(0)
    return ConditionalVariationalAutoencoder(2, hidden=32)


def message_of(caught) -> str:
    """The text of what a test caught: ``pytest.raises``'s ExceptionInfo, an exception, the warnings that
    ``pytest.warns`` recorded (all of them, one a line), a single warning, or text (printed output)."""
    if isinstance(caught, pytest.ExceptionInfo):
        return str(caught.value)
    if isinstance(caught, warnings.WarningMessage):
        return str(caught.message)
    if isinstance(caught, (str, BaseException)):
        return str(caught)
    return "\n".join(map(message_of, caught))


def as_words(part: str) -> str:
    """A pattern for ``part`` as written, not continuing a longer word at either end."""
    before = r"(?<!\w)" if re.match(r"\w", part) else ""
    after = r"(?!\w)" if re.search(r"\w$", part) else ""
    return before + re.escape(part) + after


def says(caught, *parts: str) -> str:
    """Assert that a message names each of ``parts`` (and return its text): what helps a student, such as the
    argument or object at fault, the value given and the fix to make, not the wording around them, which may change.

        with pytest.raises(ValueError) as error:
            train(model, data, lr=math.inf)
        says(error, "lr", "inf")

    Case-insensitive; a part that begins (ends) with a letter, digit or _ must not continue a longer word there, so
    that ``"n"`` is not found in ``"an"`` nor ``"lr"`` in ``"lr_schedule"``. On failure, shows the whole message."""
    text = message_of(caught)
    missing = [part for part in parts if not re.search(as_words(part), text, flags=re.IGNORECASE)]
    assert not missing, f"the message does not say {', '.join(map(repr, missing))}; it reads:\n{text}"
    return text


def pytest_addoption(parser):
    parser.addoption("--full", action="store_true",
                     help="the full tier (CI): add nbval over notebooks/ and student/, and the tests marked full or "
                          "browser (the default is the quick tier: the unit tests only)")


FULL_MARKERS = ("full", "browser", "jupyterlab")


def named(config) -> list[Path]:
    """The paths named on the command line (none when pytest took its testpaths)."""
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        return []
    return [Path(config.invocation_params.dir, arg.split("::")[0]).resolve() for arg in config.args]


class QuickTier:
    """Registered as a plugin (not a conftest hook) so that it also sees notebooks/ and student/."""

    def pytest_ignore_collect(self, collection_path, config):
        if collection_path.suffix != ".ipynb":
            return None
        path = collection_path.resolve()
        if any(path == p or (p.is_dir() and p in path.parents and p != config.rootpath) for p in named(config)):
            return None  # a notebook, or its folder, named on the command line
        return True


def pytest_configure(config):
    if not config.getoption("--full"):
        config.pluginmanager.register(QuickTier(), "vae-lab-quick-tier")


def pytest_collection_modifyitems(config, items):
    """Quick tier: leave out the full tier's tests (unless their file is named). Full tier: the JupyterLab tests
    last, for nbval has then filled the model cache and Run All re-runs as in a class."""
    if not config.getoption("--full"):
        files = set(named(config))
        full = [item for item in items if item.path.resolve() not in files
                and any(item.get_closest_marker(name) for name in FULL_MARKERS)]
        if full:
            config.hook.pytest_deselected(items=full)
            kept = set(map(id, full))
            items[:] = [item for item in items if id(item) not in kept]
    items.sort(key=lambda item: item.get_closest_marker("jupyterlab") is not None)


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium (playwright drives it; its own browser download is not reachable), or a skip saying how
    to install it."""
    import shutil

    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("no Chromium: install it with `apt-get install -y chromium` (Debian) to run the browser tests")
    return path
