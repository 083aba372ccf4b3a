"""Trained weights kept on disk, so that re-running a notebook mid-lecture takes seconds.

An entry is keyed by everything that decides the result of ``train``: the model's
class, ``latent_dims`` and initial weights, the training settings, the data, and
the state of PyTorch's random number generator. It also stores the generator's
state after training, so that the cells after a cache hit draw the same random
numbers as after real training.
"""

from __future__ import annotations

import copy
import hashlib
import numbers
import os
import warnings
from dataclasses import asdict
from pathlib import Path

import torch
from torch import Tensor, nn

CACHE_ENV = "VAE_LAB_CACHE"  # environment variable: where the cache folder is
RETRAIN_ENV = "VAE_LAB_RETRAIN"  # set to 1 to ignore the cache and train again


class CacheWarning(UserWarning):
    """Warns that a cache entry could not be read and the model is trained again."""


def default_cache_dir() -> Path:
    """``$VAE_LAB_CACHE`` if set, else ``outputs/models/`` of this checkout, else ``~/.cache/vae_lab``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "pyproject.toml").is_file():
        return checkout / "outputs" / "models"
    return Path.home() / ".cache" / "vae_lab"


def _rng_states(device: torch.device) -> list[Tensor]:
    states = [torch.get_rng_state()]
    if device.type == "cuda":
        states.append(torch.cuda.get_rng_state(device))
    return states


def _set_rng_states(states: list[Tensor], device: torch.device) -> None:
    torch.set_rng_state(states[0])
    if device.type == "cuda" and len(states) > 1:
        torch.cuda.set_rng_state(states[1], device)


def cache_key(model: nn.Module, tensors: list[Tensor], settings: dict) -> str:
    """A short hash of the model (class, size, weights), the data tensors, the settings and the RNG state."""
    device = next(model.parameters()).device
    digest = hashlib.blake2b(digest_size=12)
    names = (type(model).__name__, type(getattr(model, "encoder", None)).__name__, getattr(model, "latent_dims", None))
    digest.update(repr((names, sorted(settings.items()))).encode())
    for tensor in [*model.state_dict().values(), *tensors, *_rng_states(device)]:
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def cached_train(model: nn.Module, data, cache_dir: str | Path | None = None, retrain: bool | None = None, **settings):
    """``train(model, data, **settings)``, or load its result from ``cache_dir`` if it was trained before.

    Args:
        cache_dir: the cache folder; defaults to ``default_cache_dir()``.
        retrain: train even if a cached result exists; by default, when ``$VAE_LAB_RETRAIN`` is 1.
        settings: the other arguments of ``train``.

    Returns:
        the History, with ``from_cache`` True when it was loaded.
    """
    from .training import History, images_of, labels_for, train

    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    retrain = os.environ.get(RETRAIN_ENV, "") not in ("", "0") if retrain is None else retrain
    test = settings.get("test_data")
    tensors = [images_of(data)] + ([images_of(test, "test_data")] if test is not None else [])
    labels = labels_for(model, data)
    if labels is not None:  # a conditional model learns from the labels too
        tensors += [labels] + ([labels_for(model, test, "test_data")] if test is not None else [])
    key_settings = {k: v for k, v in settings.items() if k not in ("test_data", "progress")}
    for name in ("lr", "beta"):  # beta=1 and beta=1.0 train the same model: one entry
        if isinstance(key_settings.get(name), numbers.Real) and not isinstance(key_settings[name], bool):
            key_settings[name] = float(key_settings[name])
    path = cache_dir / f"{type(model).__name__}-{model.latent_dims}d-{cache_key(model, tensors, key_settings)}.pt"
    device = next(model.parameters()).device
    if path.is_file() and not retrain:
        initial = copy.deepcopy(model.state_dict())
        try:
            entry = torch.load(path, map_location="cpu", weights_only=True)
            model.load_state_dict(entry["state_dict"])
            _set_rng_states(entry["rng"], device)
            return History(**entry["history"], from_cache=True)
        except Exception as error:  # a truncated file, another format, a missing key: train instead
            model.load_state_dict(initial)
            problem = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"[:200]
            message = f"Could not read the cached model {path} ({problem}); training again."
            warnings.warn(message, CacheWarning, stacklevel=3)
    history = train(model, data, **settings)
    if not history.interrupted:
        _save(path, model, history, _rng_states(device))
    return history


def _save(path: Path, model: nn.Module, history, rng: list[Tensor]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fields = {k: v for k, v in asdict(history).items() if k != "from_cache"}
    partial = path.with_suffix(".partial")  # written whole, then renamed: an interrupted save leaves no entry
    torch.save({"state_dict": model.state_dict(), "history": fields, "rng": rng}, partial)
    os.replace(partial, path)
