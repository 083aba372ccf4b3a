"""vae_lab: the library behind the vae-lab notebooks, from an autoencoder to a variational autoencoder on MNIST.

The notebooks write the lecture's code with you and then use this library, which holds
the same code made reusable, fast and safe. It is in three layers:

- **The core**, what the lecture teaches, in this folder: ``models`` (the lecture's
  ``Encoder``, ``Decoder``, ``Autoencoder``, ``VariationalEncoder``, ``VariationalAutoencoder``,
  with ``reparameterize`` and ``kl_divergence``), ``training`` (the lecture's loss ``vae_loss``,
  ``train``, ``evaluate``), ``data`` (``Split``, the door for data), ``mnist`` (``load_mnist``)
  and ``plots`` (``plot_latent``, ``plot_reconstructed``, ``interpolate``, ``interpolate_gif`` ...).
  Read it in this order: models, training, data.
- **Beyond the lecture**, ``vae_lab.beyond``: one module per idea (conditional and
  convolutional models, other decoders and likelihood bounds, posterior collapse, priors,
  gradient estimators), each importing only the core.
- **The course's machinery**, ``vae_lab.course``: checks of typed cells, student copies,
  the series runner and slides, the browser page and explorer, the model cache
  (``cached(train, ...)``) and checkpoints. Importing ``vae_lab`` does not import it.

Example::

    from vae_lab import VariationalAutoencoder, init_biases, load_mnist, plot_latent, set_seed, train
    set_seed(0)
    mnist = load_mnist()
    vae = init_biases(VariationalAutoencoder(latent_dims=2), mnist.train)
    history = train(vae, mnist.train)           # about 15 s on 2 CPU cores
    plot_latent(vae, mnist.test)                # a matplotlib Figure
"""

from .data import CLASSES, FULL_SIZE, IMAGE_SHAPE, IMAGE_SIZE, Split
from .mnist import MNIST, FallbackDataWarning, load_mnist
from .models import (
    HIDDEN,
    Autoencoder,
    Decoder,
    Encoder,
    VariationalAutoencoder,
    VariationalEncoder,
    kl_divergence,
    reparameterize,
)
from .plots import (
    decode,
    encode,
    interpolate,
    interpolate_codes,
    interpolate_gif,
    plot_digits_by_style,
    plot_images,
    plot_latent,
    plot_losses,
    plot_reconstructed,
    plot_reconstructions,
    plot_samples,
)
from .training import History, epochs_for, evaluate, get_device, init_biases, set_seed, train, vae_loss

__all__ = [
    "CLASSES", "FULL_SIZE", "HIDDEN", "IMAGE_SHAPE", "IMAGE_SIZE", "MNIST",
    "Autoencoder", "Decoder", "Encoder", "FallbackDataWarning", "History", "Split", "VariationalAutoencoder",
    "VariationalEncoder",
    "decode", "encode", "epochs_for", "evaluate", "get_device", "init_biases", "interpolate", "interpolate_codes",
    "interpolate_gif", "kl_divergence", "load_mnist", "plot_digits_by_style", "plot_images", "plot_latent",
    "plot_losses", "plot_reconstructed", "plot_reconstructions", "plot_samples", "reparameterize", "set_seed",
    "train", "vae_loss",
]
