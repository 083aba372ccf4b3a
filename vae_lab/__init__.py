"""vae_lab: the library behind the vae-lab notebooks, from an autoencoder to a variational autoencoder on MNIST.

The notebooks (``notebooks/`` of the repository) write the lecture's code with you and
then use this library, which holds the same code made reusable, fast and safe:

- ``models``: the lecture's ``Encoder``, ``Decoder``, ``Autoencoder``, ``VariationalEncoder``
  and ``VariationalAutoencoder``; ``variants``: a conditional and a convolutional VAE; ``priors``:
  ``PriorVariationalAutoencoder`` with an N(0, I), mixture-of-Gaussians or VampPrior prior.
- ``losses``: ``reparameterize``, ``kl_divergence``, ``sse``, ``bce``, each formula once; ``effective_beta``.
- ``data``: ``load_mnist()`` -> ``MNIST(train, test, source)``, each split a ``Split(images, labels)``.
- ``training``: ``train``, ``evaluate``, ``init_biases``, ``History``, ``set_seed``, ``get_device``,
  ``kl_per_dimension``, ``latent_activity``, ``active_units``;
  ``train(..., cache=True)`` (from ``cache``) loads a result trained before; ``gradients``: the score
  function (REINFORCE) and the reparameterization trick, draw by draw.
- ``plots``: ``plot_latent``, ``plot_reconstructed``, ``interpolate``, ``interpolate_gif`` and more;
  ``likelihood``: an importance-weighted log p(x); ``explorer``: sliders over a 2-D latent space;
  ``browser``: ``export_explorer``, the same in one HTML file for any browser;
  ``checkpoints``: ``save_model``, ``load_model``; ``slides``: each notebook as HTML and reveal.js slides
  that open offline.

Example::

    from vae_lab import VariationalAutoencoder, init_biases, load_mnist, plot_latent, set_seed, train
    set_seed(0)
    mnist = load_mnist()
    vae = init_biases(VariationalAutoencoder(latent_dims=2), mnist.train)
    history = train(vae, mnist.train)           # about 15 s on 2 CPU cores
    plot_latent(vae, mnist.test)                # a matplotlib Figure
"""

from .course.browser import export_explorer
from .course.cache import train
from .course.checkpoints import load_model, load_weights, save_model
from .data import CLASSES, FULL_SIZE, IMAGE_SHAPE, IMAGE_SIZE, MNIST, FallbackDataWarning, Split, load_mnist
from .beyond.likelihood import bits_per_dim, iwae_estimate
from .losses import bce, effective_beta, kl_divergence, reparameterize, sse
from .models import HIDDEN, Autoencoder, Decoder, Encoder, VariationalAutoencoder, VariationalEncoder
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
from .beyond.priors import PriorVariationalAutoencoder
from .training import (
    History,
    active_units,
    epochs_for,
    evaluate,
    get_device,
    init_biases,
    kl_per_dimension,
    latent_activity,
    set_seed,
)
from .beyond.variants import ConditionalVariationalAutoencoder, ConvolutionalVariationalAutoencoder

__version__ = "0.2.0"

__all__ = [
    "CLASSES", "FULL_SIZE", "HIDDEN", "IMAGE_SHAPE", "IMAGE_SIZE", "MNIST",
    "Autoencoder", "ConditionalVariationalAutoencoder", "ConvolutionalVariationalAutoencoder", "Decoder", "Encoder",
    "FallbackDataWarning", "History", "PriorVariationalAutoencoder", "Split", "VariationalAutoencoder",
    "VariationalEncoder",
    "active_units", "bce", "bits_per_dim", "decode", "effective_beta", "encode", "epochs_for", "evaluate",
    "export_explorer", "get_device", "init_biases", "interpolate", "interpolate_codes", "interpolate_gif",
    "iwae_estimate", "kl_divergence", "kl_per_dimension", "latent_activity", "load_mnist", "load_model",
    "load_weights", "plot_digits_by_style", "plot_images", "plot_latent", "plot_losses", "plot_reconstructed",
    "plot_reconstructions", "plot_samples", "reparameterize", "save_model", "set_seed", "sse", "train",
]
