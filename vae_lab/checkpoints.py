"""Save and load trained models, with the architecture stored beside the weights."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from .models import (
    HIDDEN,
    Autoencoder,
    ConditionalVariationalAutoencoder,
    ConvolutionalVariationalAutoencoder,
    VariationalAutoencoder,
)

MODEL_CLASSES = {
    cls.__name__: cls
    for cls in (
        Autoencoder, VariationalAutoencoder, ConditionalVariationalAutoencoder, ConvolutionalVariationalAutoencoder
    )
}
CHECKPOINT_KEYS = {"class", "latent_dims", "state_dict"}


def _describe(model: nn.Module) -> tuple[str, int | None, int | None]:
    return type(model).__name__, getattr(model, "latent_dims", None), getattr(model, "hidden", None)


def save_model(model: nn.Module, path: str | Path) -> Path:
    """Write the model's class, ``latent_dims``, ``hidden`` (and ``classes``) and weights to ``path``; return it."""
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"Cannot save the model to {path}: the folder {path.parent} does not exist.")
    name, latent_dims, hidden = _describe(model)
    checkpoint = {"class": name, "latent_dims": latent_dims, "hidden": hidden, "state_dict": model.state_dict()}
    if hasattr(model, "classes"):
        checkpoint["classes"] = model.classes
    torch.save(checkpoint, path)
    return path


def read_checkpoint(path: str | Path) -> dict:
    """Read a checkpoint written by ``save_model``; raise a clear error if it is not one."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No checkpoint at {path}.")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise ValueError(f"{path} is not a readable checkpoint ({type(error).__name__}: {error}).") from None
    if not isinstance(checkpoint, dict) or not CHECKPOINT_KEYS <= checkpoint.keys():
        raise ValueError(f"{path} is not a vae_lab checkpoint: save models with vae_lab.save_model.")
    return checkpoint


def load_model(path: str | Path, device: torch.device | str = "cpu") -> nn.Module:
    """Rebuild the model saved at ``path`` (its class and ``latent_dims``) on ``device``."""
    checkpoint = read_checkpoint(path)
    if checkpoint["class"] not in MODEL_CLASSES:
        raise ValueError(f"{path} holds a {checkpoint['class']}; load_model rebuilds only {sorted(MODEL_CLASSES)}.")
    model_class = MODEL_CLASSES[checkpoint["class"]]
    extra = {"classes": checkpoint["classes"]} if "classes" in checkpoint else {}
    model = model_class(checkpoint["latent_dims"], checkpoint.get("hidden") or HIDDEN, **extra)
    model.load_state_dict(checkpoint["state_dict"])
    return model.to(device)


def load_weights(model: nn.Module, path: str | Path) -> nn.Module:
    """Load the weights saved at ``path`` into ``model``, which must have the same architecture."""
    checkpoint = read_checkpoint(path)
    saved = (checkpoint["class"], checkpoint["latent_dims"], checkpoint.get("hidden") or HIDDEN)
    given = _describe(model)
    if saved != given:
        raise ValueError(
            f"{path} holds a {saved[0]} with latent_dims={saved[1]}, hidden={saved[2]}, but the model given is a "
            f"{given[0]} with latent_dims={given[1]}, hidden={given[2]}. "
            f"Build {saved[0]}({saved[1]}, hidden={saved[2]}) first, or use vae_lab.load_model({str(path)!r})."
        )
    try:
        model.load_state_dict(checkpoint["state_dict"])
    except RuntimeError as error:
        raise ValueError(f"The weights in {path} do not fit this model's layers: {error}") from None
    return model
