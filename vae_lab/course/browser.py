"""A latent explorer in one HTML file: it runs in any browser, on a projector or a phone, with no Python.

``export_explorer(model, data, path)`` writes the scatter of the test codes and the
model's decoder, its weights embedded in the file, with the decoder rewritten in plain
JavaScript: the digit under the pointer (or the finger) is decoded in the page. Clicking
two points plays the interpolation between them; a conditional model gets a digit
selector. The page makes no network request of any kind.

For scripts and tests: opening the file with ``#z=a,b`` (and ``&y=digit`` for a
conditional model) at the end of its address puts the decoded 784 pixel intensities,
as a JSON list, into the element with id ``decoded``. Only a digit of the model (``0``..``classes - 1``) is
taken from the address; any other ``y`` draws digit 0, and the page says which digit it draws.
A model whose codes or decoded pixels are not finite gets no page (the old one stays), and the page's
own loops over the codes' range end whatever the codes hold.
"""

import base64
import json
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .. import _checks as arguments
from .._files import write_atomic
from ..beyond.variants import ConditionalDecoder
from ..data import Split
from ..models import Decoder
from ..plots import decode, encode
from .checkpoints import finite

MAX_BYTES = 3 * 10**6  # the page's size limit; weights go to float16 beyond it
PAGE = Path(__file__).with_name("explorer_page.html")  # the page, with /*CONFIG*/null where its data goes


def export_explorer(model: nn.Module, data: Split, path, max_points: int = 5000) -> Path:
    """Write a self-contained HTML explorer of ``model``'s 2-D latent space; return its path.

    Args:
        model: a 2-D ``VariationalAutoencoder`` or ``Autoencoder`` (the lecture's Decoder), or a 2-D
            ``ConditionalVariationalAutoencoder``.
        data: a ``Split``, e.g. ``mnist.test``: pixels in [0, 1] (or uint8), one digit 0..9 per image (a tensor,
            or a list of whole numbers); the codes of its first ``max_points`` images are drawn.
        path: an ``.html`` file in an existing folder; it is written whole or not at all (``files.write_atomic``).
    """
    arguments.device_of(model, "export_explorer")
    if arguments.latent_dims(model) != 2:
        raise ValueError("export_explorer draws a 2-D latent space; this model has "
                         f"latent_dims={arguments.latent_dims(model)}.")
    if not isinstance(model.decoder, (Decoder, ConditionalDecoder)):
        raise TypeError(f"export_explorer runs the lecture's Decoder (linear1, ReLU, linear2, sigmoid) in the page; "
                        f"this model's decoder is a {type(model.decoder).__name__}.")
    if not finite(model.state_dict()):
        raise ValueError("The model has NaN or infinite weights, so the page would show NaN codes and blank digits; "
                         "nothing was written. Train it again with a lower lr.")
    if not isinstance(data, Split):
        raise TypeError(f"data must be a vae_lab Split with images and labels, such as mnist.test; "
                        f"got {type(data).__name__}.")
    path = arguments.file_path("path", path, ".html")
    n = min(len(data), arguments.whole("max_points", max_points, high=20_000))
    images, labels = arguments.pixels(data.images[:n], "data.images"), arguments.digits(data.labels, len(data))[:n]
    codes = encode(model, Split(images, labels)).numpy().astype(np.float32)
    if not np.isfinite(codes).all():
        raise ValueError(f"The model encodes {int((~np.isfinite(codes)).any(axis=1).sum()):,} of the {n:,} images of "
                         "data to infinite or NaN codes (its weights are finite, but too large), so the page could "
                         "draw no scatter; nothing was written. Train it again with a lower lr.")
    classes = getattr(model, "classes", 0)
    if not torch.isfinite(decode(model, torch.from_numpy(codes), labels if classes else None)).all():
        raise ValueError("The model decodes the codes of data to NaN or infinite pixels (its weights are finite, but "
                         "too large), so the page would show blank digits; nothing was written. Train it again with "
                         "a lower lr.")
    config = {"classes": classes, "hidden": model.decoder.linear1.out_features,
              "codes": packed(codes), "labels": packed(labels.numpy().astype(np.uint8)),
              "title": f"{type(model).__name__}: {n:,} test codes"}
    layers = [model.decoder.linear1.weight, model.decoder.linear1.bias,
              model.decoder.linear2.weight, model.decoder.linear2.bias]
    weights = np.concatenate([t.detach().cpu().float().numpy().ravel() for t in layers])
    config["dtype"] = "float32" if 4 * weights.size * 4 / 3 < MAX_BYTES - 500_000 else "float16"
    if config["dtype"] == "float16" and np.abs(weights).max() > np.finfo(np.float16).max:  # 65,504
        raise ValueError(f"The decoder has weights up to {np.abs(weights).max():.3g}, beyond float16's 65,504, the "
                         "precision the page keeps them in to stay under its size limit; nothing was written. Use a "
                         "smaller hidden layer, or train with a lower lr.")
    config["weights"] = packed(weights.astype(config["dtype"]))
    page = PAGE.read_text(encoding="utf-8").replace("/*CONFIG*/null", script_safe(json.dumps(config)))
    if len(page) > MAX_BYTES:
        raise ValueError(f"The page would take {len(page) / 1e6:.1f} MB, over {MAX_BYTES / 1e6:.0f} MB: use a smaller "
                         "hidden layer or fewer max_points.")
    return write_atomic(path, page)


def script_safe(text: str) -> str:
    """JSON made safe inside an HTML ``<script>``: no ``</script>``, ``<!--`` or line separators can end or bend it.

    Inside JSON strings ``\\u003c`` is the same ``<`` to JavaScript; outside them these characters never appear.
    """
    for character in "<>&\u2028\u2029":
        text = text.replace(character, f"\\u{ord(character):04x}")
    return text


def packed(array: np.ndarray) -> str:
    """An array's little-endian bytes in base64, for the page to read back as a typed array."""
    return base64.b64encode(np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()).decode()
