"""vae_lab: the library behind the vae-lab notebooks, from an autoencoder to a VAE on MNIST."""

from .checkpoints import load_model, load_weights, save_model
from .data import MNIST, FallbackDataWarning, Split, default_data_dir, load_mnist
from .losses import bce, kl_divergence, reparameterize, sse
from .models import (
    HIDDEN,
    IMAGE_SHAPE,
    IMAGE_SIZE,
    LOG_SIGMA_RANGE,
    Autoencoder,
    Decoder,
    Encoder,
    VariationalAutoencoder,
    VariationalEncoder,
)
from .plots import (
    decode,
    encode,
    interpolate,
    interpolate_codes,
    interpolate_gif,
    plot_images,
    plot_latent,
    plot_losses,
    plot_reconstructed,
    plot_reconstructions,
    plot_samples,
)
from .training import History, epochs_for, evaluate, get_device, loss_terms, set_seed, train

__version__ = "0.1.0"

__all__ = [
    "bce",
    "Autoencoder",
    "Decoder",
    "Encoder",
    "FallbackDataWarning",
    "HIDDEN",
    "History",
    "IMAGE_SHAPE",
    "IMAGE_SIZE",
    "LOG_SIGMA_RANGE",
    "MNIST",
    "Split",
    "VariationalAutoencoder",
    "VariationalEncoder",
    "decode",
    "default_data_dir",
    "encode",
    "epochs_for",
    "evaluate",
    "get_device",
    "interpolate",
    "interpolate_codes",
    "interpolate_gif",
    "kl_divergence",
    "load_mnist",
    "load_model",
    "load_weights",
    "loss_terms",
    "plot_images",
    "plot_latent",
    "plot_losses",
    "plot_reconstructed",
    "plot_reconstructions",
    "plot_samples",
    "reparameterize",
    "save_model",
    "set_seed",
    "sse",
    "train",
]
