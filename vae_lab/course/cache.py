"""``cached(train, model, data, ...)``: trained weights kept on disk, so that re-running a notebook takes seconds.

``cached(train, vae, mnist.train, epochs=6)`` runs ``train(vae, mnist.train, epochs=6)`` the
first time and keeps the result; the next time it loads it. It works for any training
function of that shape (``fn(model, data, ...) -> History``), a notebook's own included.
An entry is keyed by everything that decides what training returns:

- the training function (its source) and every argument, read from its signature (a new
  argument joins the key by itself), with the data and the test data by content and a
  loss function by its source and its settings;
- what the model computes: the source of its classes where Python can find it, and a
  fingerprint of the fresh model's loss and gradients on a few training images under a
  fixed seed, so that editing a class's ``forward`` (even in a notebook, under the same
  name) makes a new entry;
- the library's own training code, PyTorch's version, the initial weights and the state
  of the random number generator.

An entry is a checkpoint (``checkpoints.save_model``'s format: the class, sizes, weights
and their checksum) that also holds the History, the generator's state after training
(so that the cells after a cache hit draw the same random numbers as after real training)
and its key, with a second checksum over all of it. A damaged, edited or unreadable entry
is trained again with a warning; a cache that cannot be written (a full disk included)
warns and the trained model is kept. Entries are written whole or not at all
(``files.write_atomic``), readable by others under the usual umask, and only inside the
cache folder: the file name is sanitized, and a symbolic link at an entry's path is never
followed, neither read nor written through; the new entry replaces the link itself.
"""

import copy
import functools
import hashlib
import inspect
import numbers
import os
import warnings
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import torch
from torch import Tensor, nn

from .. import _checks as arguments
from .. import data, models, training
from ..beyond import collapse, likelihood, priors, variants
from ..data import Split
from ..mnist import default_folder
from .checkpoints import atomic_save, checksum, contents, finite, read_checkpoint

CACHE_ENV = "VAE_LAB_CACHE"  # environment variable: where the cache folder is
RETRAIN_ENV = "VAE_LAB_RETRAIN"  # set to 1 to ignore the cache and train again
RETRAIN_WORDS = {"true": True, "yes": True, "on": True,  # $VAE_LAB_RETRAIN, lower-cased (numbers: 0 or not)
                 "": False, "false": False, "no": False, "off": False}
ENTRY_CHECKSUM = "entry_checksum"  # an entry's field: the SHA-256 of all its other fields
NOT_IN_KEY = {"progress"}  # train's arguments that do not change its result
PROBE_IMAGES = 8  # images of the fingerprint's probe batch
# the modules a training run goes through
TRAINING_CODE = (data, models, training, collapse, likelihood, priors, variants)


class CacheWarning(UserWarning):
    """Warns that a cache entry could not be read or written; training goes on without it."""


def default_cache_dir() -> Path:
    """``$VAE_LAB_CACHE`` if set, else ``outputs/models/`` of this checkout, else ``~/.cache/vae_lab``."""
    return default_folder(CACHE_ENV, "outputs/models", Path.home() / ".cache" / "vae_lab")


def cached(train: Callable[..., training.History], model: nn.Module, data: Split | Tensor, *args,
           folder: str | Path | None = None, **kwargs) -> training.History:
    """``train(model, data, *args, **kwargs)``, or the result of the same training kept from an earlier run.

    The model's weights, the History and the random state after training are stored in ``folder``
    (``default_cache_dir()`` if None) and loaded when everything that decides the result is the
    same (this module's docstring lists it); ``$VAE_LAB_RETRAIN=1`` trains anyway. A run
    interrupted by Ctrl-C is not stored.
    """
    arguments.device_of(model, "cached")
    data = arguments.as_split(data)  # the lecture's DataLoader, read once (its order is random: the key needs tensors)
    folder = default_cache_dir() if folder is None else Path(folder)
    key = cache_key(train, model, data, args, kwargs)
    path = entry_path(folder, model, key)
    if (path.is_symlink() or path.is_file()) and not retrain_requested():  # a link: warned, never read
        history = load_entry(path, model, key)
        if history is not None:
            return history
    history = train(model, data, *args, **kwargs)
    if not history.interrupted:
        store_entry(path, model, history, key)
    return history


def entry_path(folder: Path, model: nn.Module, key: str) -> Path:
    """The entry's file, ``<class>-<latent_dims>d-<key>.pt`` in ``folder``, and never outside it: a notebook may
    name a class, or set a ``latent_dims``, with ../ or / in it, so the name is sanitized and the result checked."""
    name = f"{safe_name(f'{type(model).__name__}-{arguments.latent_dims(model)}d')}-{key}.pt"
    path = folder / name
    if path.parent != folder or path.name != name:  # safe_name rules it out; checked all the same
        raise ValueError(f"The cache entry name {name!r} would leave the cache folder {folder}.")
    return path


def safe_name(name: str) -> str:
    """A name as a file name: ASCII letters, digits, _ . and - only, and no leading dot (a name with ../ or /
    would leave the folder; one with a leading dot would be hidden)."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "_.-") else "_" for c in name)[:80].lstrip(".") or "model"


def retrain_requested() -> bool:
    """Whether ``$VAE_LAB_RETRAIN`` asks to train again: 1/true/yes/on, or 0/false/no/off (or unset, or 00)."""
    value = os.environ.get(RETRAIN_ENV, "").strip().lower()
    if value.isdigit():
        return int(value) != 0
    if value not in RETRAIN_WORDS:
        raise ValueError(f"${RETRAIN_ENV} must be 1 (or true, yes) to train again, or 0 (or false, no, or unset) to "
                         f"load cached models; got {os.environ[RETRAIN_ENV]!r}.")
    return RETRAIN_WORDS[value]


def cache_key(train: Callable, model: nn.Module, data: Split | Tensor, args: tuple, kwargs: dict) -> str:
    """A short hash of everything that decides ``train(model, data, *args, **kwargs)``'s result."""
    bound = inspect.signature(train).bind(model, data, *args, **kwargs)
    bound.apply_defaults()
    digest = hashlib.blake2b(digest_size=12)
    add(digest, train)
    for name, value in bound.arguments.items():
        if name not in NOT_IN_KEY:
            digest.update(f"|{name}=".encode())
            add(digest, value)
    for module in TRAINING_CODE:  # the code, and its constants as they are now (a notebook may have changed one)
        constants = [(k, v) for k, v in vars(module).items() if k.isupper() and isinstance(v, (int, float, str, tuple))]
        add(digest, inspect.getsource(module) + repr(constants))
    for part in (torch.__version__, *fingerprint(model, data), *rng_states(model)):
        add(digest, part)
    return digest.hexdigest()


def add(digest, value: object) -> None:
    """Feed ``value`` to ``digest``: tensors by content, models by classes, source and weights, numbers as floats."""
    if isinstance(value, Tensor):
        value = checksum({"tensor": value})  # its dtype, shape and bytes
    elif isinstance(value, Split):
        value = checksum({"images": value.images, **({} if value.labels is None else {"labels": value.labels})})
    elif isinstance(value, nn.Module):  # every layer's class and size, the source of its classes, its weights
        value = repr(value) + "".join(source(type(module)) for module in value.modules()) + checksum(value.state_dict())
    elif isinstance(value, numbers.Real) and not isinstance(value, bool):
        value = float(value)  # beta=1 and beta=1.0 train the same model
    elif isinstance(value, functools.partial):  # partial(likelihood_loss, likelihood="bernoulli")
        for part in (value.func, value.args, sorted(value.keywords.items())):
            add(digest, part)
        return
    elif isinstance(value, (tuple, list)):
        for part in value:
            add(digest, part)
        return
    elif inspect.isfunction(value) or inspect.ismethod(value):  # a loss or training function: its code
        value = code_of(value)
    elif callable(value) and not isinstance(value, type):  # a loss object such as FreeBits(2.0): its class and fields
        value = repr(value) + source(type(value))
    digest.update(repr(value).encode())


def source(cls: type) -> str:
    """The source of the methods of ``cls`` and its parents outside PyTorch (or their bytecode, if no source)."""
    own = [klass for klass in cls.__mro__ if klass.__module__.split(".")[0] not in ("torch", "builtins")]
    return "\n".join(code_of(member) for klass in own for member in vars(klass).values() if inspect.isfunction(member))


def code_of(function) -> str:
    """The source of ``function``, or its name and bytecode where Python cannot find the source."""
    try:
        return inspect.getsource(function)
    except (OSError, TypeError):
        return f"{function.__qualname__}:{function.__code__.co_code.hex()}"


def fingerprint(model: nn.Module, data: Split | Tensor) -> list[Tensor]:
    """The loss and gradients of ``model`` on the first few training images, on a forked, fixed random state."""
    device = arguments.device_of(model, "cached")
    x, y = next(training.labelled_batches(*training.on_device(data, device), PROBE_IMAGES))
    was_training = model.training
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(0)
        model.train()
        loss = training.vae_loss(model, x) if y is None or not hasattr(model, "classes") else \
            variants.conditional_loss(model, x, y)
        loss = loss[0]
        gradients = torch.autograd.grad(loss, [p for p in model.parameters() if p.requires_grad], allow_unused=True)
    model.train(was_training)
    return [loss.detach()] + [g for g in gradients if g is not None]


def rng_states(model: nn.Module) -> list[Tensor]:
    """PyTorch's CPU random state, and the CUDA one if the model is on a GPU."""
    device = next(model.parameters()).device
    return [torch.get_rng_state()] + ([torch.cuda.get_rng_state(device)] if device.type == "cuda" else [])


def set_rng_states(model: nn.Module, states: list[Tensor]) -> None:
    """Restore what ``rng_states`` returned."""
    torch.set_rng_state(states[0])
    if len(states) > 1:
        torch.cuda.set_rng_state(states[1], next(model.parameters()).device)


def entry_checksum(entry: dict) -> str:
    """SHA-256 of everything an entry holds but this checksum: class, sizes, weights, History, random state, key."""
    digest = hashlib.sha256()
    add_exactly(digest, {name: value for name, value in entry.items() if name != ENTRY_CHECKSUM})
    return digest.hexdigest()


def add_exactly(digest, value: object) -> None:
    """Feed dicts, lists, tensors, strings and numbers to ``digest`` as they are, each with its type and length (1 and
    1.0, or ["ab"] and ["a", "b"], differ; unlike ``add``, which feeds the key); anything else is a TypeError."""
    if isinstance(value, dict):
        digest.update(f"dict{len(value)}:".encode())
        for name, part in value.items():
            add_exactly(digest, name)
            add_exactly(digest, part)
    elif isinstance(value, (list, tuple)):
        digest.update(f"list{len(value)}:".encode())
        for part in value:
            add_exactly(digest, part)
    elif isinstance(value, Tensor):
        digest.update(checksum({"tensor": value}).encode())  # its dtype, shape and bytes
    elif value is None or isinstance(value, (str, bool, int, float)):
        text = repr(value)
        digest.update(f"{type(value).__name__}{len(text)}:{text}".encode())
    else:
        raise TypeError(f"a cache entry holds tensors, numbers, strings, lists and dicts, not a {type(value).__name__}")


def check_entry(entry: dict, path: Path, key: str) -> None:
    """A ValueError unless the entry's own checksum matches all it holds now, and it was stored under ``key``."""
    if ENTRY_CHECKSUM not in entry:
        raise ValueError(f"{path} was written by an older vae_lab, without a checksum of its History and random state.")
    if entry[ENTRY_CHECKSUM] != entry_checksum(entry):
        raise ValueError(f"{path} is damaged: what it holds does not match the checksum saved with it.")
    if entry.get("key") != key:
        raise ValueError(f"{path} holds the result of another training, stored under another key.")


def load_entry(path: Path, model: nn.Module, key: str):
    """Load a cache entry into ``model`` and return its History; on any problem, warn and return None unchanged.

    Nothing is changed (weights, random state) until the whole entry has been read and checked: its weights,
    History, random state and key (``check_entry``). A symbolic link is never read.
    """
    before, states = copy.deepcopy(model.state_dict()), rng_states(model)
    try:
        entry = read_checkpoint(path, follow_links=False)  # the weights' checksum verified; a link is refused
        check_entry(entry, path, key)
        history = training.History(**entry["history"], from_cache=True)
        if len(entry["rng"]) != len(states):
            raise ValueError("it was saved on another kind of device")
        model.load_state_dict(entry["state_dict"])
        set_rng_states(model, entry["rng"])
        return history
    except Exception as error:  # a truncated file, a flipped byte, another format: train instead
        model.load_state_dict(before)
        set_rng_states(model, states)
        warnings.warn(f"Could not read the cached model {path} ({unusable(error, path)}); training again: the new "
                      "result replaces it, so there is nothing to do.", CacheWarning, stacklevel=3)
        return None


def store_entry(path: Path, model: nn.Module, history, key: str) -> None:
    """Write a cache entry, checksummed whole; if that is impossible for any reason (a full disk, a read-only folder,
    an error while serialising), warn: the trained model stays in memory and ``cached`` returns its History.

    A symbolic link at ``path`` is replaced, never written through (on a shared cache folder anyone may aim one at
    another person's files). Replacing is safer than refusing: the rename replaces whatever is at ``path`` at that
    instant, a link made after any check included, and never opens it; a refusal would rest on a check made before
    the write, and the link would block the cache for good."""
    if not finite(model.state_dict()):
        warnings.warn("The trained model has NaN or infinite weights: not cached.", CacheWarning, stacklevel=3)
        return
    fields = {k: v for k, v in asdict(history).items() if k != "from_cache"}
    entry = {**contents(model), "history": fields, "rng": rng_states(model), "key": key}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_save({**entry, ENTRY_CHECKSUM: entry_checksum(entry)}, path, follow_links=False)
    except Exception as error:  # training took minutes: no failure to cache it may lose the result
        warnings.warn(f"Could not write the cache entry {path} ({described(error)}); the trained model is kept in "
                      "memory only.", CacheWarning, stacklevel=3)


def unusable(error: Exception, path: Path) -> str:
    """Why a cache entry cannot be used, in a few words: read_checkpoint's reason without the path it begins with
    and without its advice (to save with save_model), which is for files a student saved, not for the cache."""
    text, named = str(error), f"{path} "
    if isinstance(error, ValueError) and text.startswith(named):  # "<path> is damaged: its weights do not ..."
        return "it " + text[len(named):].split(":")[0].split(".")[0]
    return described(error)


def described(error: Exception) -> str:
    """An error in a few words: an OSError's reason ("No space left on device"), else its type and first line."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return arguments.first_line(error)
