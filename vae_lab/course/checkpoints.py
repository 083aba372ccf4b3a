"""Save and load trained models: the architecture beside the weights, written whole and checksummed.

A file is written whole or not at all (``files.write_atomic``): a save killed halfway,
or stopped by a full disk, leaves the old file as it was; a read-only file is never
replaced, and a link is written through to its target. The SHA-256 of the
weights is stored with them; a file whose weights no longer match it is refused.
"""

import hashlib
import io
import os
import pickle
from pathlib import Path

import torch
from torch import Tensor, nn

from .. import _checks as arguments
from .._files import write_atomic
from ..beyond.variants import ConditionalVariationalAutoencoder, ConvolutionalVariationalAutoencoder
from ..models import Autoencoder, VariationalAutoencoder

MODEL_CLASSES = {cls.__name__: cls for cls in (Autoencoder, VariationalAutoencoder, ConditionalVariationalAutoencoder,
                                               ConvolutionalVariationalAutoencoder)}
SIZES = ("latent_dims", "hidden", "classes")  # the constructor arguments a checkpoint keeps


def checksum(state_dict: dict[str, Tensor]) -> str:
    """SHA-256 of a ``state_dict``: each tensor's name, dtype, shape and bytes, in order."""
    digest = hashlib.sha256()
    for name, tensor in state_dict.items():
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def finite(state_dict: dict[str, Tensor]) -> bool:
    """True if no weight is NaN or infinite."""
    return all(torch.isfinite(t).all() for t in state_dict.values() if t.is_floating_point())


def atomic_save(contents: dict, path: Path, *, follow_links: bool = True) -> None:
    """``torch.save`` into memory, then ``write_atomic`` to ``path``: the old file stays whole if either fails.

    Serialising first means a full disk is an ``OSError`` that names ``path``, not an error from inside torch.save.
    ``follow_links=False`` replaces a link at ``path`` instead of writing through it (``write_atomic``'s option).
    """
    buffer = io.BytesIO()
    torch.save(contents, buffer)
    write_atomic(path, buffer.getbuffer(), follow_links=follow_links)


def save_model(model: nn.Module, path: str | Path) -> Path:
    """Write the model's class, sizes and weights (with their checksum) to ``path``; return the path."""
    arguments.device_of(model, "save_model")
    path = arguments.file_path("path", path)
    if not finite(model.state_dict()):
        raise ValueError(f"The model has NaN or infinite weights; not saved to {path}. Train it again with a lower lr.")
    atomic_save(contents(model), path)
    return path


def contents(model: nn.Module) -> dict:
    """What a checkpoint holds: the model's class, its sizes, its weights and their checksum."""
    state_dict = model.state_dict()
    sizes = {name: getattr(model, name) for name in SIZES if hasattr(model, name)}
    return {"class": type(model).__name__, **sizes, "state_dict": state_dict, "checksum": checksum(state_dict)}


def read_checkpoint(path: str | Path, *, follow_links: bool = True) -> dict:
    """Read a checkpoint written by ``save_model``, its checksum verified; raise a clear error if it is not one.

    ``follow_links=False`` refuses a symbolic link at ``path`` (a ValueError), even one made while reading.
    """
    path = Path(path)
    if not follow_links and path.is_symlink():
        raise ValueError(f"{path} is a symbolic link, which is not followed: nothing was loaded.")
    if not path.is_file():
        raise FileNotFoundError(f"No checkpoint at {path}.")
    try:
        with open(path, "rb", opener=None if follow_links else open_no_follow) as file:
            checkpoint = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as error:
        raise ValueError(f"{path} is not a readable checkpoint: {unreadable(error)}. Nothing was loaded. Save models "
                         "with vae_lab.save_model and load them with vae_lab.load_model.") from None
    if not isinstance(checkpoint, dict) or not {"class", "state_dict", "checksum"} <= checkpoint.keys():
        raise ValueError(f"{path} is not a vae_lab checkpoint: save models with vae_lab.save_model.")
    state_dict = checkpoint["state_dict"]
    if not isinstance(state_dict, dict) or not all(isinstance(t, Tensor) for t in state_dict.values()):
        raise ValueError(f"{path} is not a vae_lab checkpoint: its weights are not a dict of tensors.")
    if checksum(state_dict) != checkpoint["checksum"]:
        raise ValueError(f"{path} is damaged: its weights do not match the checksum saved with them, so the file "
                         "changed after it was written. Nothing was loaded; use another copy or train again.")
    return checkpoint


def open_no_follow(path: str, flags: int) -> int:
    """``os.open`` that fails on a symbolic link (O_NOFOLLOW, where the system has it) instead of opening its target."""
    return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0))


def unreadable(error: Exception) -> str:
    """Why ``torch.load`` failed, in a sentence; never PyTorch's advice to unpickle with ``weights_only=False``,
    which would run any code a foreign file holds."""
    if isinstance(error, EOFError):
        return "the file is empty or cut short"
    if isinstance(error, pickle.UnpicklingError):
        return "it was not written by torch.save, or it holds objects other than tensors and numbers"
    return arguments.first_line(error).split(". ")[0]


def load_model(path: str | Path, device: torch.device | str = "cpu") -> nn.Module:
    """Rebuild the model saved at ``path`` (its class and sizes) on ``device``."""
    checkpoint = read_checkpoint(path)
    name = checkpoint["class"]
    if not isinstance(name, str) or name not in MODEL_CLASSES:
        raise ValueError(f"{path} holds a {name!r}; load_model rebuilds only {sorted(MODEL_CLASSES)}.")
    sizes = {key: checkpoint[key] for key in SIZES if key in checkpoint}
    highs = {"latent_dims": arguments.MAX_LATENT_DIMS, "hidden": arguments.MAX_HIDDEN, "classes": arguments.MAX_CLASSES}
    try:  # the models build whatever they are given: sizes are checked before any layer is allocated
        for key, value in sizes.items():
            arguments.whole(key, value, high=highs[key])
        model = MODEL_CLASSES[name](**sizes)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path} holds a {name} with sizes no MNIST model has: {error}") from None
    return fit(model, checkpoint, path).to(device)


def load_weights(model: nn.Module, path: str | Path) -> nn.Module:
    """Load the weights saved at ``path`` into ``model``, which must have the same class and sizes."""
    checkpoint = read_checkpoint(path)
    saved = checkpoint["class"], *(checkpoint.get(name) for name in SIZES)
    given = type(model).__name__, *(getattr(model, name, None) for name in SIZES)
    if saved != given:
        held, wanted = ("{} with latent_dims={}, hidden={}, classes={}".format(*kind) for kind in (saved, given))
        raise ValueError(f"{path} holds {held}, but the model given is {wanted}. "
                         f"Build that model first, or use vae_lab.load_model({str(path)!r}).")
    return fit(model, checkpoint, path)


def fit(model: nn.Module, checkpoint: dict, path: str | Path) -> nn.Module:
    """Copy the checkpoint's weights into ``model``; a ValueError if they do not fit its layers."""
    try:
        model.load_state_dict(checkpoint["state_dict"])
    except RuntimeError as error:
        raise ValueError(f"The weights in {path} do not fit the layers of {type(model).__name__}, so the file does not "
                         f"hold what its header says. {' '.join(str(error).splitlines()[1:]).strip()[:300]}") from None
    return model
