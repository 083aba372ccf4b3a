"""Encoder, Decoder and the two autoencoders, with the lecture's names; then two variations.

``Autoencoder`` and ``VariationalAutoencoder`` share the ``Decoder`` and the
call ``model(x) -> x_hat``, so one training loop and one set of plots serve both.
Beyond the lecture: ``ConditionalVariationalAutoencoder`` (``model(x, y)``, the
digit y given to encoder and decoder) and ``ConvolutionalVariationalAutoencoder``
(convolutions instead of the first and last linear layers).
"""

from __future__ import annotations

import numbers

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .losses import kl_divergence, reparameterize

IMAGE_SHAPE = (1, 28, 28)  # MNIST: one grey channel, 28 x 28 pixels
IMAGE_SIZE = 28 * 28  # 784 pixels once flattened
HIDDEN = 512  # the lecture's hidden layer width (pytorch/examples' VAE uses 400)

# log sigma is clamped to this range: exp(10)^2 ~ 5e8 still fits in float32 and
# exp(-10) ~ 5e-5 is a far sharper code than MNIST needs, so the clamp never
# binds in healthy training, but an exploding linear3 cannot overflow sigma.
LOG_SIGMA_RANGE = (-10.0, 10.0)
CLASSES = 10  # the digits 0..9, the labels a conditional model is given
# The convolutional models' channels after the first and second stride-2 convolution
# (28x28 -> 14x14 -> 7x7). 16 and 32 keep an epoch near 6 s on 2 CPU cores; 32 and 64
# took 18 s with the same hidden width of 256.
CONV_CHANNELS = (16, 32)
CONV_HIDDEN = 256


def check_latent_dims(latent_dims: object) -> int:
    """Return ``latent_dims`` as an int, or raise if it is not a positive whole number."""
    if isinstance(latent_dims, bool) or not isinstance(latent_dims, numbers.Integral):
        raise TypeError(
            f"latent_dims must be a positive whole number such as 2, "
            f"got {latent_dims!r} of type {type(latent_dims).__name__}."
        )
    if latent_dims < 1:
        raise ValueError(f"latent_dims must be at least 1, got {latent_dims}.")
    return int(latent_dims)


def check_hidden(hidden: object) -> int:
    """Return ``hidden`` (the hidden layer's width) as an int, or raise if it is not a positive whole number."""
    if isinstance(hidden, bool) or not isinstance(hidden, numbers.Integral) or hidden < 1:
        raise ValueError(f"hidden must be a whole number >= 1 such as {HIDDEN}, got {hidden!r}.")
    return int(hidden)


def check_classes(classes: object) -> int:
    """Return ``classes`` (how many labels a conditional model knows) as an int >= 2, or raise."""
    if isinstance(classes, bool) or not isinstance(classes, numbers.Integral) or classes < 2:
        raise ValueError(f"classes must be a whole number >= 2 such as {CLASSES} (the digits), got {classes!r}.")
    return int(classes)


def one_hot(y: object, classes: int, batch_size: int) -> Tensor:
    """The labels ``y`` of a batch, shape ``(B,)`` of whole numbers in 0..classes-1, as floats ``(B, classes)``."""
    if not isinstance(y, Tensor):
        raise TypeError(
            "A conditional model needs the digit of each image: call model(x, y) with y a tensor of labels "
            f"such as mnist.train.labels[:B], got y={y!r}."
        )
    if y.dim() != 1 or len(y) != batch_size:
        raise ValueError(f"y must hold one label per image, shape ({batch_size},), got shape {tuple(y.shape)}.")
    if y.is_floating_point() or y.is_complex() or y.dtype == torch.bool:
        raise TypeError(f"y must hold whole-number labels (e.g. torch.long), got dtype {y.dtype}.")
    if y.min() < 0 or y.max() >= classes:
        low, high = y.min().item(), y.max().item()
        raise ValueError(f"y must hold labels in 0..{classes - 1}, got values from {low} to {high}.")
    return F.one_hot(y.long(), classes).float()


def as_images(x: object, name: str = "x") -> Tensor:
    """Check a batch of MNIST images and return it as floats in [0, 1].

    Accepts shapes ``(B, 1, 28, 28)``, ``(B, 28, 28)`` or ``(B, 784)``. A uint8
    batch (pixels 0..255, as stored on disk) is divided by 255.

    Args:
        x: the batch to check.
        name: the argument's name, for the error message.

    Returns:
        the batch as a floating tensor of the same shape.
    """
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{name} must be a torch.Tensor of images, got {type(x).__name__}. "
            "Use torch.as_tensor(...) first."
        )
    if x.dim() < 2 or x.shape[1:].numel() != IMAGE_SIZE:
        raise ValueError(
            f"{name} must be a batch of 28x28 images, shape (B, 1, 28, 28), "
            f"(B, 28, 28) or (B, 784); got shape {tuple(x.shape)}. "
            "For a single image, add a batch dimension: x.unsqueeze(0)."
        )
    if x.shape[0] == 0:
        raise ValueError(f"{name} is an empty batch (shape {tuple(x.shape)}); give at least one image.")
    if x.dtype == torch.uint8:
        return x.float() / 255
    if not x.is_floating_point():
        raise TypeError(f"{name} must hold floats in [0, 1] or uint8 pixels in 0..255, got dtype {x.dtype}.")
    return x


def _check_codes(z: object, latent_dims: int) -> Tensor:
    if not isinstance(z, Tensor) or z.dim() != 2 or z.shape[1] != latent_dims:
        got = tuple(z.shape) if isinstance(z, Tensor) else type(z).__name__
        raise ValueError(f"z must be a tensor of shape (B, {latent_dims}) for latent_dims={latent_dims}, got {got}.")
    if z.shape[0] == 0:
        raise ValueError("z is an empty batch; give at least one latent code.")
    return z


class Encoder(nn.Module):
    """Image -> latent code: flatten, ``linear1`` (784->hidden), ReLU, ``linear2`` (hidden->latent_dims)."""

    def __init__(self, latent_dims: int, hidden: int = HIDDEN):
        super().__init__()
        self.latent_dims, self.hidden = check_latent_dims(latent_dims), check_hidden(hidden)
        self.linear1 = nn.Linear(IMAGE_SIZE, self.hidden)
        self.linear2 = nn.Linear(self.hidden, self.latent_dims)

    def forward(self, x: Tensor) -> Tensor:
        """Map images ``(B, 1, 28, 28)`` to codes ``(B, latent_dims)``."""
        x = torch.flatten(as_images(x), start_dim=1)
        x = F.relu(self.linear1(x))
        return self.linear2(x)


class Decoder(nn.Module):
    """Latent code -> image: ``linear1`` (latent_dims->hidden), ReLU, ``linear2`` (hidden->784), sigmoid."""

    def __init__(self, latent_dims: int, hidden: int = HIDDEN):
        super().__init__()
        self.latent_dims, self.hidden = check_latent_dims(latent_dims), check_hidden(hidden)
        self.linear1 = nn.Linear(self.latent_dims, self.hidden)
        self.linear2 = nn.Linear(self.hidden, IMAGE_SIZE)

    def forward(self, z: Tensor) -> Tensor:
        """Map codes ``(B, latent_dims)`` to images ``(B, 1, 28, 28)`` with pixels in (0, 1)."""
        return self.generate(_check_codes(z, self.latent_dims))

    @property
    def output_layer(self) -> nn.Module:
        """The layer whose output the sigmoid turns into pixels."""
        return self.linear2

    def generate(self, z: Tensor) -> Tensor:
        """From inputs ``(B, linear1.in_features)`` (checked codes) to images ``(B, 1, 28, 28)``."""
        z = F.relu(self.linear1(z))
        z = torch.sigmoid(self.linear2(z))  # pixels are intensities in [0, 1]
        return z.reshape((-1, *IMAGE_SHAPE))


class Autoencoder(nn.Module):
    """Encoder then Decoder: ``model(x)`` returns ``x_hat`` of x's image shape."""

    def __init__(self, latent_dims: int, hidden: int = HIDDEN):
        super().__init__()
        self.latent_dims, self.hidden = check_latent_dims(latent_dims), check_hidden(hidden)
        self.encoder = Encoder(self.latent_dims, self.hidden)
        self.decoder = Decoder(self.latent_dims, self.hidden)

    def forward(self, x: Tensor) -> Tensor:
        """Reconstruct images ``(B, 1, 28, 28)`` -> ``(B, 1, 28, 28)``."""
        return self.decoder(self.encoder(x))

    def encode(self, x: Tensor) -> Tensor:
        """The code of each image, ``(B, 1, 28, 28)`` -> ``(B, latent_dims)``."""
        return self.encoder(x)


class VariationalEncoder(nn.Module):
    """Image -> sample z ~ N(mu, sigma^2), keeping mu, sigma and the batch's KL term.

    ``linear1`` (784->hidden, 512 by default) + ReLU is shared; ``linear2`` gives mu with no
    activation (a mean can be any real number); ``linear3`` gives log sigma, and
    sigma = exp(log sigma) is always positive. After each forward:

    - ``mu``, ``sigma``, ``log_sigma``: shape ``(B, latent_dims)``;
    - ``kl``: KL(N(mu, sigma^2) || N(0, I)) summed over the batch, a scalar.
    """

    def __init__(self, latent_dims: int, hidden: int = HIDDEN):
        super().__init__()
        self.latent_dims, self.hidden = check_latent_dims(latent_dims), check_hidden(hidden)
        self.linear1 = nn.Linear(IMAGE_SIZE, self.hidden)
        self.linear2 = nn.Linear(self.hidden, self.latent_dims)
        self.linear3 = nn.Linear(self.hidden, self.latent_dims)
        self.mu: Tensor | None = None
        self.log_sigma: Tensor | None = None
        self.sigma: Tensor | None = None
        self.kl: Tensor | None = None

    def forward(self, x: Tensor) -> Tensor:
        """Encode images ``(B, 1, 28, 28)`` and return a sample z ``(B, latent_dims)``."""
        return self.sample(torch.flatten(as_images(x), start_dim=1))

    def sample(self, x: Tensor) -> Tensor:
        """From flat inputs ``(B, linear1.in_features)``: keep mu, sigma and the KL, return z ``(B, latent_dims)``."""
        x = F.relu(self.linear1(x))
        self.mu = self.linear2(x)
        self.log_sigma = torch.clamp(self.linear3(x), *LOG_SIGMA_RANGE)
        self.sigma = torch.exp(self.log_sigma)
        self.kl = kl_divergence(self.mu, self.log_sigma).sum()
        return reparameterize(self.mu, self.sigma)


class VariationalAutoencoder(nn.Module):
    """VariationalEncoder then Decoder: ``model(x)`` returns ``x_hat``; ``model.encoder.kl`` the KL."""

    def __init__(self, latent_dims: int, hidden: int = HIDDEN):
        super().__init__()
        self.latent_dims, self.hidden = check_latent_dims(latent_dims), check_hidden(hidden)
        self.encoder = VariationalEncoder(self.latent_dims, self.hidden)
        self.decoder = Decoder(self.latent_dims, self.hidden)

    def forward(self, x: Tensor) -> Tensor:
        """Reconstruct images ``(B, 1, 28, 28)`` -> ``(B, 1, 28, 28)`` through a sampled z."""
        return self.decoder(self.encoder(x))

    def encode(self, x: Tensor) -> Tensor:
        """The mean code mu of each image, ``(B, 1, 28, 28)`` -> ``(B, latent_dims)``."""
        self.encoder(x)
        return self.encoder.mu


class ConditionalVariationalEncoder(VariationalEncoder):
    """(image, digit) -> z: the VariationalEncoder with the one-hot digit appended to the 784 pixels.

    Knowing the digit, the code z only has to carry what the label does not: the style
    (slant, thickness, width). Sohn et al. 2015, "Learning Structured Output Representation
    using Deep Conditional Generative Models".
    """

    def __init__(self, latent_dims: int, hidden: int = HIDDEN, classes: int = CLASSES):
        super().__init__(latent_dims, hidden)
        self.classes = check_classes(classes)
        self.linear1 = nn.Linear(IMAGE_SIZE + self.classes, self.hidden)

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        """Encode images ``(B, 1, 28, 28)`` with their labels ``(B,)``; return a sample z ``(B, latent_dims)``."""
        x = torch.flatten(as_images(x), start_dim=1)
        return self.sample(torch.cat([x, one_hot(y, self.classes, len(x)).to(x)], dim=1))


class ConditionalDecoder(Decoder):
    """(z, digit) -> image: the Decoder with the one-hot digit appended to the code."""

    def __init__(self, latent_dims: int, hidden: int = HIDDEN, classes: int = CLASSES):
        super().__init__(latent_dims, hidden)
        self.classes = check_classes(classes)
        self.linear1 = nn.Linear(self.latent_dims + self.classes, self.hidden)

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        """Map codes ``(B, latent_dims)`` and labels ``(B,)`` to images ``(B, 1, 28, 28)``."""
        z = _check_codes(z, self.latent_dims)
        return self.generate(torch.cat([z, one_hot(y, self.classes, len(z)).to(z)], dim=1))


class ConditionalVariationalAutoencoder(nn.Module):
    """A VAE told the digit: ``model(x, y)`` returns ``x_hat``; ``model.decoder(z, y)`` draws digit y in style z.

    ``train``, ``evaluate`` and the plots see ``conditional = True`` and pass the labels
    of a ``Split`` along with its images.
    """

    conditional = True

    def __init__(self, latent_dims: int, hidden: int = HIDDEN, classes: int = CLASSES):
        super().__init__()
        self.latent_dims, self.hidden = check_latent_dims(latent_dims), check_hidden(hidden)
        self.classes = check_classes(classes)
        self.encoder = ConditionalVariationalEncoder(self.latent_dims, self.hidden, self.classes)
        self.decoder = ConditionalDecoder(self.latent_dims, self.hidden, self.classes)

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        """Reconstruct images ``(B, 1, 28, 28)`` of digits ``y`` ``(B,)`` through a sampled z."""
        return self.decoder(self.encoder(x, y), y)

    def encode(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        """The mean code mu of each image given its digit, ``(B, 1, 28, 28)``, ``(B,)`` -> ``(B, latent_dims)``."""
        self.encoder(x, y)
        return self.encoder.mu


def _conv_features() -> int:
    return CONV_CHANNELS[1] * (IMAGE_SHAPE[1] // 4) * (IMAGE_SHAPE[2] // 4)  # two stride-2 halvings: 28 -> 7


class ConvolutionalVariationalEncoder(VariationalEncoder):
    """Image -> z through two stride-2 convolutions (``conv1``, ``conv2``), then ``linear1``..``linear3`` as before.

    A convolution applies the same small filter at every position, so a stroke is
    recognised wherever it is; the MLP has to learn each position separately.
    """

    def __init__(self, latent_dims: int, hidden: int = CONV_HIDDEN):
        super().__init__(latent_dims, hidden)
        c1, c2 = CONV_CHANNELS
        self.conv1 = nn.Conv2d(IMAGE_SHAPE[0], c1, kernel_size=4, stride=2, padding=1)  # 28x28 -> 14x14
        self.conv2 = nn.Conv2d(c1, c2, kernel_size=4, stride=2, padding=1)  # 14x14 -> 7x7
        self.linear1 = nn.Linear(_conv_features(), self.hidden)

    def forward(self, x: Tensor) -> Tensor:
        """Encode images ``(B, 1, 28, 28)`` and return a sample z ``(B, latent_dims)``."""
        x = as_images(x).reshape(-1, *IMAGE_SHAPE)
        x = F.relu(self.conv2(F.relu(self.conv1(x))))
        return self.sample(torch.flatten(x, start_dim=1))


class ConvolutionalDecoder(Decoder):
    """z -> image: ``linear1``, ``linear2`` to 7x7 feature maps, then two stride-2 transposed convolutions."""

    def __init__(self, latent_dims: int, hidden: int = CONV_HIDDEN):
        super().__init__(latent_dims, hidden)
        c1, c2 = CONV_CHANNELS
        self.linear2 = nn.Linear(self.hidden, _conv_features())
        self.deconv1 = nn.ConvTranspose2d(c2, c1, kernel_size=4, stride=2, padding=1)  # 7x7 -> 14x14
        self.deconv2 = nn.ConvTranspose2d(c1, IMAGE_SHAPE[0], kernel_size=4, stride=2, padding=1)  # -> 28x28

    def generate(self, z: Tensor) -> Tensor:
        """From checked codes ``(B, latent_dims)`` to images ``(B, 1, 28, 28)``."""
        z = F.relu(self.linear2(F.relu(self.linear1(z))))
        z = z.reshape(-1, CONV_CHANNELS[1], IMAGE_SHAPE[1] // 4, IMAGE_SHAPE[2] // 4)
        return torch.sigmoid(self.deconv2(F.relu(self.deconv1(z))))  # pixels are intensities in [0, 1]

    @property
    def output_layer(self) -> nn.Module:
        """The layer whose output the sigmoid turns into pixels."""
        return self.deconv2


class ConvolutionalVariationalAutoencoder(VariationalAutoencoder):
    """The VariationalAutoencoder with convolutional encoder and decoder; same calls, same loss."""

    def __init__(self, latent_dims: int, hidden: int = CONV_HIDDEN):
        super().__init__(latent_dims, hidden)
        self.encoder = ConvolutionalVariationalEncoder(self.latent_dims, self.hidden)
        self.decoder = ConvolutionalDecoder(self.latent_dims, self.hidden)
