"""Beyond the lecture: a conditional VAE and a convolutional VAE (notebook 6).

Both keep the lecture's layer names where they do the same job (``linear2`` -> mu,
``linear3`` -> log sigma, ``encoder.kl``) and add ``encode(x, y)`` and ``decode(z, y)``,
which the plots use. The conditional model is told each image's digit y: train and
evaluate it with ``loss=conditional_loss`` and a ``Split`` that has labels. The
convolutional one is trained like the lecture's (its ``y`` is ignored).
"""

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .. import _checks as arguments
from ..data import CLASSES, IMAGE_SHAPE, IMAGE_SIZE
from ..models import HIDDEN, LOG_SIGMA_RANGE, kl_divergence, reparameterize
from ..training import whole

# The convolutional models' channels after the first and second stride-2 convolution
# (28x28 -> 14x14 -> 7x7); 16 and 32 keep a CPU epoch near 6 s (32 and 64 took 18 s).
CONV_CHANNELS = (16, 32)
CONV_HIDDEN = 256
CONV_FEATURES = CONV_CHANNELS[1] * (IMAGE_SHAPE[1] // 4) * (IMAGE_SHAPE[2] // 4)  # 32 maps of 7x7


def one_hot(y: Tensor, classes: int, like: Tensor) -> Tensor:
    """Labels ``(B,)`` as one-hot rows ``(B, classes)`` of ``like``'s dtype and device."""
    return F.one_hot(arguments.labels(y, len(like), classes).long(), classes).to(like)


def gaussian_code(module: nn.Module, h: Tensor) -> Tensor:
    """The lecture's two heads on features ``h``: keep mu, sigma, log sigma and the KL on ``module``; return z."""
    module.mu = module.linear2(h)
    module.log_sigma = module.linear3(h).clamp(*LOG_SIGMA_RANGE)
    module.sigma = torch.exp(module.log_sigma)
    module.kl = kl_divergence(module.mu, module.log_sigma).sum()
    return reparameterize(module.mu, module.sigma)


class VariantAutoencoder(nn.Module):
    """What the variants share: an encoder that keeps ``mu`` and a decoder, both given the digits ``y``.

    A conditional model's parts use ``y``; a convolutional model's ignore it.
    """

    def __init__(self, encoder: nn.Module, decoder: nn.Module):
        super().__init__()
        self.encoder, self.decoder = encoder, decoder
        self.latent_dims, self.hidden = encoder.latent_dims, encoder.hidden

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        """Images ``(B, 1, 28, 28)`` (and their digits ``y`` ``(B,)``) -> reconstructions through a sampled z."""
        return self.decoder(self.encoder(x, y), y)

    def encode(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        """The mean code mu of each image (given its digit, if conditional), ``(B, latent_dims)``."""
        self.encoder(x, y)
        return self.encoder.mu

    def decode(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        """Codes ``(B, latent_dims)`` (drawn as the digits ``y`` ``(B,)``) -> images ``(B, 1, 28, 28)``."""
        return self.decoder(z, y)


class ConditionalVariationalEncoder(nn.Module):
    """(image, digit) -> z: the one-hot digit is appended to the 784 pixels, so ``linear1`` takes 794 inputs.

    Knowing the digit, the code only has to carry what the label does not: the style
    (Sohn et al. 2015, "Learning Structured Output Representation using Deep Conditional
    Generative Models").
    """

    def __init__(self, latent_dims: int, hidden: int = HIDDEN, classes: int = CLASSES):
        super().__init__()
        self.latent_dims, self.hidden = latent_dims, hidden
        self.classes = whole("classes", classes, low=2, high=arguments.MAX_CLASSES)
        self.linear1 = nn.Linear(IMAGE_SIZE + self.classes, self.hidden)
        self.linear2 = nn.Linear(self.hidden, self.latent_dims)
        self.linear3 = nn.Linear(self.hidden, self.latent_dims)

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        """Images ``(B, 1, 28, 28)`` and their digits ``(B,)`` -> a sample z ``(B, latent_dims)``."""
        x = torch.flatten(x, start_dim=1)
        x = F.relu(self.linear1(torch.cat([x, one_hot(y, self.classes, x)], dim=1)))
        return gaussian_code(self, x)


class ConditionalDecoder(nn.Module):
    """(z, digit) -> image: the Decoder with the one-hot digit appended to the code."""

    def __init__(self, latent_dims: int, hidden: int = HIDDEN, classes: int = CLASSES):
        super().__init__()
        self.latent_dims, self.hidden = latent_dims, hidden
        self.classes = whole("classes", classes, low=2, high=arguments.MAX_CLASSES)
        self.linear1 = nn.Linear(self.latent_dims + self.classes, self.hidden)
        self.linear2 = nn.Linear(self.hidden, IMAGE_SIZE)

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        """Codes ``(B, latent_dims)`` and digits ``(B,)`` -> images ``(B, 1, 28, 28)``."""
        z = F.relu(self.linear1(torch.cat([z, one_hot(y, self.classes, z)], dim=1)))
        return torch.sigmoid(self.linear2(z)).reshape((-1, *IMAGE_SHAPE))


class ConditionalVariationalAutoencoder(VariantAutoencoder):
    """A VAE told the digit: ``model(x, y)`` returns ``x_hat``; ``model.decode(z, y)`` draws digit y in style z."""

    def __init__(self, latent_dims: int, hidden: int = HIDDEN, classes: int = CLASSES):
        super().__init__(ConditionalVariationalEncoder(latent_dims, hidden, classes),
                         ConditionalDecoder(latent_dims, hidden, classes))
        self.classes = self.encoder.classes


class ConvolutionalVariationalEncoder(nn.Module):
    """Image -> z: two stride-2 convolutions (``conv1``, ``conv2``), then ``linear1``..``linear3`` as in the lecture.

    A convolution applies one small filter at every position, so a stroke is
    recognised wherever it is; the MLP's ``linear1`` learns each position separately.
    """

    def __init__(self, latent_dims: int, hidden: int = CONV_HIDDEN):
        super().__init__()
        self.latent_dims, self.hidden = latent_dims, hidden
        self.conv1 = nn.Conv2d(IMAGE_SHAPE[0], CONV_CHANNELS[0], kernel_size=4, stride=2, padding=1)  # -> 14x14
        self.conv2 = nn.Conv2d(*CONV_CHANNELS, kernel_size=4, stride=2, padding=1)  # -> 7x7
        self.linear1 = nn.Linear(CONV_FEATURES, self.hidden)
        self.linear2 = nn.Linear(self.hidden, self.latent_dims)
        self.linear3 = nn.Linear(self.hidden, self.latent_dims)

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        """Images ``(B, 1, 28, 28)`` -> a sample z ``(B, latent_dims)``; ``y`` is ignored."""
        x = x.reshape(-1, *IMAGE_SHAPE)
        x = F.relu(self.conv2(F.relu(self.conv1(x))))
        x = F.relu(self.linear1(torch.flatten(x, start_dim=1)))
        return gaussian_code(self, x)


class ConvolutionalDecoder(nn.Module):
    """z -> image: ``linear1``, ``linear2`` to 32 maps of 7x7, then two stride-2 transposed convolutions."""

    def __init__(self, latent_dims: int, hidden: int = CONV_HIDDEN):
        super().__init__()
        self.latent_dims, self.hidden = latent_dims, hidden
        self.linear1 = nn.Linear(self.latent_dims, self.hidden)
        self.linear2 = nn.Linear(self.hidden, CONV_FEATURES)
        self.deconv1 = nn.ConvTranspose2d(*CONV_CHANNELS[::-1], kernel_size=4, stride=2, padding=1)  # -> 14x14
        self.deconv2 = nn.ConvTranspose2d(CONV_CHANNELS[0], IMAGE_SHAPE[0], kernel_size=4, stride=2, padding=1)

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        """Codes ``(B, latent_dims)`` -> images ``(B, 1, 28, 28)`` with pixels in (0, 1); ``y`` is ignored."""
        z = F.relu(self.linear1(z))
        z = F.relu(self.linear2(z)).reshape(-1, CONV_CHANNELS[1], IMAGE_SHAPE[1] // 4, IMAGE_SHAPE[2] // 4)
        return torch.sigmoid(self.deconv2(F.relu(self.deconv1(z))))  # -> 28x28, pixels in [0, 1]


class ConvolutionalVariationalAutoencoder(VariantAutoencoder):
    """The VAE with a convolutional encoder and decoder; same calls, same loss."""

    def __init__(self, latent_dims: int, hidden: int = CONV_HIDDEN):
        super().__init__(ConvolutionalVariationalEncoder(latent_dims, hidden),
                         ConvolutionalDecoder(latent_dims, hidden))


def conditional_loss(model: nn.Module, x: Tensor, y: Tensor, beta: float = 1.0) -> tuple[Tensor, Tensor, Tensor]:
    """``vae_loss`` for a conditional model, which is told each image's digit ``y`` ``(B,)``: give it to ``train`` and
    ``evaluate`` as ``loss=conditional_loss`` with a ``Split`` that has labels. Returns ``(loss, recon, kl)``."""
    x_hat = model(x, y)
    recon = F.mse_loss(x_hat, x, reduction="sum")  # = ((x - x_hat)**2).sum(), as in vae_loss
    return recon + beta * model.encoder.kl, recon, model.encoder.kl
