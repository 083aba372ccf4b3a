import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from PIL import Image

from vae_lab import plots
from vae_lab.data import Split
from vae_lab.models import Autoencoder, ConditionalVariationalAutoencoder, VariationalAutoencoder
from vae_lab.plots import (
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
from vae_lab.training import History


class Brightness(torch.nn.Module):
    """A stand-in 2-D model whose decoded image is uniformly grey, sigmoid(z_2); codes are pixel means."""

    latent_dims = 2

    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))
        self.decoder = lambda z: torch.sigmoid(z[:, 1]).reshape(-1, 1, 1, 1).expand(-1, 1, 28, 28)

    def encode(self, x):
        mean = x.flatten(1).mean(dim=1, keepdim=True)
        return torch.cat([mean, 2 * mean], dim=1)


@pytest.fixture
def split(images):
    return Split(images, torch.arange(16) % 10)


@pytest.mark.parametrize("latent_dims", [1, 2, 5])
def test_plot_latent_draws_one_point_per_image(split, latent_dims):
    fig = plot_latent(VariationalAutoencoder(latent_dims), split, max_points=12)
    assert isinstance(fig, Figure)
    points = fig.axes[0].collections[0]
    assert len(points.get_offsets()) == 12
    np.testing.assert_array_equal(points.get_array(), split.labels[:12].numpy())


def test_plot_latent_places_a_vae_at_its_means(split):
    model = VariationalAutoencoder(2)
    offsets = plot_latent(model, split).axes[0].collections[0].get_offsets()
    np.testing.assert_allclose(offsets, model.encode(split.images).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_plot_latent_needs_labels(images):
    with pytest.raises(TypeError, match="data must be a vae_lab Split"):
        plot_latent(Autoencoder(2), images)


def test_decoded_grid_is_n_by_n_in_latent_coordinates_with_z2_upwards():
    fig = plot_reconstructed(Brightness(), r0=(-3, 3), r1=(-2, 4), n=5)
    image = fig.axes[0].images[0]
    assert image.get_array().shape == (5 * 28, 5 * 28)
    assert tuple(image.get_extent()) == (-3, 3, -2, 4)
    rows = image.get_array()[::28, 0]  # one pixel per row of digits, top row first
    centres = 4 - (np.arange(5) + 0.5) * 6 / 5
    np.testing.assert_allclose(rows, 1 / (1 + np.exp(-centres)), rtol=1e-5)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"model": VariationalAutoencoder(3)}, ValueError, "latent_dims=3"),
        ({"model": Autoencoder(1)}, ValueError, "latent_dims=1"),
        ({"r0": (3, -3)}, ValueError, r"r0 must be a pair \(low, high\) with low < high.*\(3, -3\)"),
        ({"r1": (1, 1)}, ValueError, "r1 must be a pair"),
        ({"r1": (1,)}, ValueError, "r1 must be a pair"),
        ({"n": 0}, ValueError, "n must be a whole number >= 1, got 0"),
    ],
)
def test_decoded_grid_errors(kwargs, error, message):
    arguments = {"model": VariationalAutoencoder(2)} | kwargs
    with pytest.raises(error, match=message):
        plot_reconstructed(**arguments)


def test_interpolation_runs_from_one_code_to_the_other(images):
    model = VariationalAutoencoder(2)
    z, decoded = interpolate_codes(model, images[0], images[1], n=7)
    assert z.shape == (7, 2) and decoded.shape == (7, 1, 28, 28)
    torch.testing.assert_close(z[0], model.encode(images[:1])[0].detach())
    torch.testing.assert_close(z[-1], model.encode(images[1:2])[0].detach())
    torch.testing.assert_close(z[3], (z[0] + z[-1]) / 2)
    assert interpolate(model, images[0], images[1], n=7).axes[0].images[0].get_array().shape[1] == 7 * 30 + 2


@pytest.mark.parametrize(
    "x_2, n, message",
    [
        (torch.rand(28, 28), 5, r"same shape, got \(1, 28, 28\) and \(28, 28\)"),
        (torch.rand(1, 28, 28), 1, "n must be a whole number >= 2, got 1"),
        (torch.rand(2, 1, 28, 28), 5, "same shape"),
    ],
)
def test_interpolation_errors(images, x_2, n, message):
    with pytest.raises(ValueError, match=message):
        interpolate(VariationalAutoencoder(2), images[0], x_2, n=n)


def test_gif_goes_there_and_back_and_loops(tmp_path, images):
    path = interpolate_gif(Brightness(), tmp_path / "path.gif", images[0] * 0, images[1] * 0 + 1, n=6, scale=3)
    assert path == tmp_path / "path.gif"
    with Image.open(path) as gif:
        assert gif.n_frames == 2 * 6 - 2 and gif.size == (84, 84)
        assert gif.info["loop"] == 0 and gif.info["duration"] == 40
        brightness = []
        for i in range(gif.n_frames):
            gif.seek(i)
            brightness.append(np.asarray(gif.convert("L")).mean())
    assert brightness[:6] == sorted(brightness[:6]) and brightness[5] > brightness[0] + 50
    assert brightness[6:] == sorted(brightness[6:], reverse=True)


@pytest.mark.parametrize(
    "name, error, message",
    [
        ("path.png", ValueError, r"must end in .gif, got '.*path.png'"),
        ("missing/path.gif", FileNotFoundError, "folder .*missing does not exist"),
    ],
)
def test_gif_path_errors(tmp_path, images, name, error, message):
    with pytest.raises(error, match=message):
        interpolate_gif(VariationalAutoencoder(2), tmp_path / name, images[0], images[1])
    assert not (tmp_path / name).exists()


def test_gif_in_a_folder_that_cannot_be_written(tmp_path, images, monkeypatch):
    monkeypatch.setattr("vae_lab.plots.os.access", lambda path, mode: False)  # as root, every folder is writable
    with pytest.raises(PermissionError, match="no permission to write there"):
        interpolate_gif(VariationalAutoencoder(2), tmp_path / "path.gif", images[0], images[1])
    assert not (tmp_path / "path.gif").exists()


def test_loss_curves_show_reconstruction_and_kl_apart():
    history = History(recon=[50.0, 40.0, 38.0], kl=[2.0, 4.0, 5.0], total=[52.0, 44.0, 43.0], seconds=[1, 2, 3])
    history.test = [{"recon": 45.0, "kl": 4.0, "total": 49.0}] * 3
    fig = plot_losses(history)
    assert [ax.get_title() for ax in fig.axes] == ["Reconstruction (sum of squared errors)", "KL divergence"]
    np.testing.assert_array_equal(fig.axes[1].lines[0].get_ydata(), [2.0, 4.0, 5.0])
    assert len(fig.axes[0].lines) == 2
    with pytest.raises(ValueError, match="non-empty History"):
        plot_losses(History())


def test_reconstructions_samples_and_image_grids(images):
    model = Autoencoder(2)
    assert plot_reconstructions(model, images, n=5).axes[0].images[0].get_array().shape == (2 * 30 + 2, 5 * 30 + 2)
    assert plot_samples(model, n=12, nrow=4).axes[0].images[0].get_array().shape == (3 * 30 + 2, 4 * 30 + 2)
    assert plot_images(images, nrow=16).axes[0].images[0].get_array().shape == (32, 16 * 30 + 2)
    with pytest.raises(ValueError, match="n must be a whole number >= 1"):
        plot_samples(model, n=0)
    fig = Figure()
    axes = fig.subplots(2, 1)
    assert plot_reconstructions(model, images, n=5, ax=axes[1]) is fig and axes[1].images and not axes[0].images


@pytest.fixture
def conditional():
    torch.manual_seed(0)
    return ConditionalVariationalAutoencoder(2, hidden=32)


def test_plots_of_a_conditional_model_pass_the_digits(conditional, split):
    offsets = plot_latent(conditional, split).axes[0].collections[0].get_offsets()
    np.testing.assert_allclose(offsets, conditional.encode(split.images, split.labels).detach().numpy(), atol=1e-6)
    for fig in (plot_reconstructed(conditional, n=4, digit=3), plot_samples(conditional, n=8, digit=7),
                plot_reconstructions(conditional, split.images, n=5, labels=split.labels)):
        assert isinstance(fig, Figure)
    torch.manual_seed(1)
    z = torch.randn(3, 2)
    torch.testing.assert_close(decode(conditional, z, torch.tensor([7, 7, 7])),
                               conditional.decoder(z, torch.full((3,), 7)).detach())


def test_digits_by_style_keeps_z_along_columns_and_the_digit_along_rows(conditional, monkeypatch):
    calls = []
    def fake_decode(model, z, labels):
        calls.append((z, labels))
        return torch.rand(len(z), 1, 28, 28)

    monkeypatch.setattr(plots, "decode", fake_decode)
    fig = plot_digits_by_style(conditional, n_styles=4)
    (z, labels), = calls
    assert isinstance(fig, Figure) and z.shape == (40, 2)
    assert torch.equal(labels, torch.arange(10).repeat_interleave(4))  # row r: the digit r
    assert torch.equal(z[:4], z[36:]) and not torch.equal(z[0], z[1])  # column c: the same z in every row


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda m: plot_samples(m), r"draws a chosen digit: give digit=0\.\.9, got None"),
        (lambda m: plot_samples(m, digit=10), r"give digit=0\.\.9, got 10"),
        (lambda m: plot_reconstructed(m), r"give digit=0\.\.9, got None"),
        (lambda m: encode(m, torch.rand(3, 1, 28, 28)), "needs labels: a tensor of 3 digits"),
        (lambda m: plot_samples(VariationalAutoencoder(2), digit=3), "digit is for a conditional model"),
        (lambda m: encode(VariationalAutoencoder(2), torch.rand(3, 784), labels=torch.zeros(3)), "labels are for"),
        (lambda m: plot_digits_by_style(VariationalAutoencoder(2)), "needs a conditional model"),
    ],
)
def test_conditional_plot_errors(conditional, call, message):
    with pytest.raises(ValueError, match=message):
        call(conditional)
