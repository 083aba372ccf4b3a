import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from conftest import says
from matplotlib.figure import Figure
from PIL import Image
from synthetic import blobs
from torch import nn

from vae_lab import _checks as arguments
from vae_lab.data import IMAGE_SHAPE, Split
from vae_lab.models import Autoencoder, VariationalAutoencoder
from vae_lab.plots import (
    LABEL_GAP,
    decode,
    encode,
    interpolate,
    interpolate_codes,
    interpolate_gif,
    look_alike_distances,
    plot_digits_by_style,
    plot_images,
    plot_latent,
    plot_losses,
    plot_reconstructed,
    plot_reconstructions,
    plot_samples,
)
from vae_lab.training import History, set_seed, train


class Grey(nn.Module):
    """A stand-in model with a known answer: the code of an image is its mean pixel (in every dimension), the
    image decoded from z is uniformly grey at brightness z_1, and a reconstruction is the negative 1 - x.
    It records every code and digit it was asked to decode."""

    def __init__(self, latent_dims: int = 2, classes: int | None = None):
        super().__init__()
        self.latent_dims = latent_dims
        if classes is not None:
            self.classes = classes
        self.encoder, self.decoder = nn.Identity(), nn.Identity()
        self.weight = nn.Parameter(torch.zeros(1))
        self.codes, self.digits = [], []

    def forward(self, x, y=None):
        return 1 - x

    def encode(self, x, y=None):
        return x.flatten(start_dim=1).mean(dim=1, keepdim=True).expand(-1, self.latent_dims)

    def decode(self, z, y=None):
        self.codes.append(z)
        self.digits.append(y)
        return z[:, :1].clamp(0, 1).reshape(-1, 1, 1, 1).expand(-1, *IMAGE_SHAPE)


def constant_images(values) -> torch.Tensor:
    """One uniformly grey image per value, shape (N, 1, 28, 28)."""
    return torch.tensor(values, dtype=torch.float32).reshape(-1, 1, 1, 1).expand(-1, *IMAGE_SHAPE).clone()


def where(array: np.ndarray, value: float) -> tuple[int, int]:
    """Top-left corner (row, column) of the one 28x28 block of ``array`` holding ``value``."""
    rows, cols = np.nonzero(array == np.float32(value))
    assert len(rows) == 28 * 28 and np.ptp(rows) == 27 and np.ptp(cols) == 27, f"no single 28x28 tile of {value}"
    return rows.min(), cols.min()


def shown(fig: Figure) -> np.ndarray:
    """The array of the (first) image drawn in ``fig``'s first axes."""
    return np.asarray(fig.axes[0].images[0].get_array())


# The fixtures vae, conditional (2-D, hidden=32) and split (40 digits 0..3, ten of each) are in conftest.py.


HISTORY = History(recon=[50.0, 40.0], kl=[2.0, 4.0], total=[52.0, 44.0], seconds=[1.0, 2.0])
EVERY_PLOT = {
    "plot_images": lambda m, c, d, ax: plot_images(d.images[:6], nrow=3, ax=ax),
    "plot_latent": lambda m, c, d, ax: plot_latent(m, d, ax=ax),
    "plot_reconstructed": lambda m, c, d, ax: plot_reconstructed(m, n=3, ax=ax),
    "interpolate": lambda m, c, d, ax: interpolate(m, d.images[0], d.images[1], n=4, ax=ax),
    "plot_losses": lambda m, c, d, ax: plot_losses(HISTORY, ax=ax),
    "plot_reconstructions": lambda m, c, d, ax: plot_reconstructions(m, d, n=4, ax=ax),
    "plot_samples": lambda m, c, d, ax: plot_samples(m, n=4, ax=ax),
    "plot_digits_by_style": lambda m, c, d, ax: plot_digits_by_style(c, n_styles=2, ax=ax),
}


@pytest.mark.parametrize("plot", EVERY_PLOT.values(), ids=EVERY_PLOT.keys())
def test_every_plot_returns_a_figure_or_draws_into_the_given_axes(plot, vae, conditional, split):
    figures_before = plt.get_fignums()
    fig = plot(vae, conditional, split, None)
    assert isinstance(fig, Figure) and fig.axes[0].has_data()
    given = Figure()
    left, right = given.subplots(1, 2)
    assert plot(vae, conditional, split, right) is given
    assert right.has_data() and not left.has_data()
    assert plt.get_fignums() == figures_before  # pyplot keeps no copy that Jupyter would show a second time


def test_plot_images_tiles_in_reading_order_on_white():
    values = [(k + 1) / 32 for k in range(10)]  # exact in float32, none of them white
    array = shown(plot_images(constant_images(values), nrow=4))
    corners = [where(array, v) for v in values]
    for k, (row, col) in enumerate(corners):
        assert row == corners[4 * (k // 4)][0]  # the same row as the first of its row of tiles
        assert col == corners[k % 4][1]  # the same column as the tile above it
    assert corners[0] < corners[4] < corners[8] and corners[0][1] < corners[1][1] < corners[2][1] < corners[3][1]
    in_tiles = np.zeros(array.shape, bool)
    for row, col in corners:
        in_tiles[row : row + 28, col : col + 28] = True
    assert (array[~in_tiles] == 1).all()


def test_plot_images_refuses_more_than_a_figure_can_show():
    too_many = torch.zeros(1, *IMAGE_SHAPE).expand(arguments.MAX_IMAGES + 1, -1, -1, -1)
    with pytest.raises(ValueError) as error:
        plot_images(too_many)
    says(error, "images", f"{arguments.MAX_IMAGES + 1:,}", f"at most {arguments.MAX_IMAGES:,}")


def test_plot_latent_draws_each_image_at_its_mean_code_coloured_by_digit(vae, split):
    fig = plot_latent(vae, split, max_points=30)
    points = fig.axes[0].collections[0]
    with torch.no_grad():
        vae.encoder(split.images[:30])
    np.testing.assert_allclose(points.get_offsets(), vae.encoder.mu.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(points.get_array(), split.labels[:30].numpy())


def test_plot_latent_names_each_digit_present_at_the_median_of_its_codes(vae, split):
    ax = plot_latent(vae, split).axes[0]
    with torch.no_grad():
        vae.encoder(split.images)
    z, digits = vae.encoder.mu.numpy(), split.labels.numpy()
    texts = {text.get_text(): text.get_position() for text in ax.texts}
    assert sorted(texts) == ["0", "1", "2", "3"]  # the digits of the data, no others
    lines = {tuple(np.round(line.get_xydata()[1], 6)): line.get_xydata()[0] for line in ax.lines}
    for digit, position in texts.items():  # at its median, or joined to it by a line when moved off a neighbour
        median = np.median(z[digits == int(digit)], axis=0)
        at = lines.get(tuple(np.round(position, 6)), position)
        np.testing.assert_allclose(at, median, rtol=1e-5, atol=1e-6)


def test_digit_names_on_the_same_spot_are_moved_apart_and_joined_to_it():
    """Two digits whose codes have the same median (e.g. a conditional VAE's) get names that do not overlap."""
    split = Split(torch.cat([constant_images([0.2] * 20), constant_images([0.8] * 20)]), torch.arange(40) // 10)
    ax = plot_latent(Grey(), split).axes[0]  # Grey encodes an image to its mean pixel: digits 0/1 and 2/3 coincide
    assert min(name_gaps(ax)) >= LABEL_GAP * 0.999 and len(ax.lines) == 4  # the gap, up to float32 rounding


def name_gaps(ax) -> list[float]:
    """The distances between the digit names on ``ax``, as shares of the axes' width and height."""
    places = np.array([text.get_position() for text in ax.texts])
    view = np.array([np.ptp(ax.get_xlim()), np.ptp(ax.get_ylim())])
    return [np.hypot(*((a - b) / view)) for i, a in enumerate(places) for b in places[i + 1:]]


def test_the_names_of_a_tiny_cloud_stay_apart_on_wide_limits():
    """A collapsed model's codes (notebook 07: a cloud 0.05 wide) drawn on axes 40 times wider: the names are kept
    apart on the axes as drawn, not merely within the cloud, where they would pile up on one spot."""
    grey = [0.2, 0.21, 0.22, 0.23]  # four digits whose codes lie within 0.03 of each other
    split = Split(constant_images([g for g in grey for _ in range(10)]), torch.arange(40) // 10)
    ax = plot_latent(Grey(), split, limits=(-1, 1)).axes[0]
    assert ax.get_xlim() == (-1, 1) and ax.get_ylim() == (-1, 1)
    assert min(name_gaps(ax)) >= LABEL_GAP * 0.999


@pytest.mark.parametrize("limits, expected", [(2, (-2, 2)), ((0, 3), (0, 3)), ([-1, 0.5], (-1, 0.5))])
def test_limits_of_a_scatter_are_a_number_or_a_pair(vae, split, limits, expected):
    ax = plot_latent(vae, split, limits=limits).axes[0]
    assert ax.get_xlim() == expected and ax.get_ylim() == expected


@pytest.mark.parametrize("limits, error, parts", [((3, 1), ValueError, ["limits", "(3, 1)", "low < high"]),
                                                  (0, ValueError, ["limits", "0", "positive number"]),
                                                  ("wide", TypeError, ["limits", "'wide'", "str"]),
                                                  ((0, float("nan")), ValueError, ["limits[1]", "nan"])])
def test_wrong_limits_are_named(vae, split, limits, error, parts):
    with pytest.raises(error) as raised:
        plot_latent(vae, split, limits=limits)
    says(raised, *parts)


def test_limits_of_a_1d_scatter_set_the_code_axis_only(split):
    ax = plot_latent(VariationalAutoencoder(1, hidden=32), split, limits=4).axes[0]
    assert ax.get_xlim() == (-4, 4) and ax.get_ylim()[1] < 5


def test_plot_latent_takes_labels_as_a_list_like_a_tensor(vae, split):
    as_list = plot_latent(vae, Split(split.images, split.labels.tolist())).axes[0]
    as_tensor = plot_latent(vae, split).axes[0]
    np.testing.assert_array_equal(as_list.collections[0].get_array(), as_tensor.collections[0].get_array())
    assert [t.get_position() for t in as_list.texts] == [t.get_position() for t in as_tensor.texts]
    with pytest.raises(TypeError) as error:
        plot_latent(vae, Split(split.images, ["seven"] * len(split)))
    says(error, "data.labels", "0..9", "list")


def test_look_alike_distances_are_shares_of_the_median_distance_between_centres():
    # centres of digits 0..2 on a line at 0, 1 and 3 (two codes each, spread around the centre)
    centres = torch.tensor([0.0, 1.0, 3.0])
    z = torch.stack([torch.stack([centres + 0.5, centres - 0.5]).T.flatten(), torch.zeros(6)], dim=1)
    labels = torch.arange(3).repeat_interleave(2)
    typical = np.median([1, 3, 2])  # the distances of the three pairs
    shares = look_alike_distances(z, labels.tolist(), pairs=((0, 1), (1, 2), (0, 2)))
    assert shares == pytest.approx({(0, 1): 1 / typical, (1, 2): 2 / typical, (0, 2): 3 / typical})


def test_plot_latent_of_a_1d_model_puts_each_digit_on_its_own_row(split):
    ax = plot_latent(VariationalAutoencoder(1, hidden=32), split).axes[0]
    offsets, digits = ax.collections[0].get_offsets(), split.labels.numpy()
    assert np.abs(offsets[:, 1] - digits).max() < 0.5
    for text in ax.texts:
        assert abs(text.get_position()[1] - int(text.get_text())) < 0.5


def test_plot_latent_of_a_5d_model_draws_the_first_two_dimensions(split):
    model = VariationalAutoencoder(5, hidden=32)
    offsets = plot_latent(model, split).axes[0].collections[0].get_offsets()
    with torch.no_grad():
        model.encoder(split.images)
    np.testing.assert_allclose(offsets, model.encoder.mu[:, :2].numpy(), rtol=1e-5, atol=1e-6)


def test_plot_latent_of_a_conditional_model_gives_it_the_digits(conditional, split):
    offsets = plot_latent(conditional, split).axes[0].collections[0].get_offsets()
    with torch.no_grad():
        conditional.encoder(split.images, split.labels)
    np.testing.assert_allclose(offsets, conditional.encoder.mu.numpy(), rtol=1e-5, atol=1e-6)


def test_plot_latent_needs_the_labels(vae, split):
    with pytest.raises(TypeError) as error:
        plot_latent(vae, split.images)
    says(error, "data", "Split", "mnist.test", "DataLoader", "Tensor")


def test_each_cell_of_the_decoded_grid_shows_the_code_at_its_centre(vae):
    r0, r1, n = (-3.0, 3.0), (-2.0, 4.0), 5
    image = plot_reconstructed(vae, r0=r0, r1=r1, n=n).axes[0].images[0]
    array = np.asarray(image.get_array())
    (x0, x1, y0, y1), (height, width) = image.get_extent(), array.shape
    assert (x0, x1, y0, y1) == (*r0, *r1)  # the axes are in latent units
    cell_h, cell_w = height // n, width // n
    for i in range(n):
        for j in range(n):
            z = torch.tensor([[x0 + (j + 0.5) * (x1 - x0) / n, y0 + (i + 0.5) * (y1 - y0) / n]])
            row = round((y1 - z[0, 1].item()) / (y1 - y0) * height - cell_h / 2)  # imshow's row 0 is at the top
            col = round((z[0, 0].item() - x0) / (x1 - x0) * width - cell_w / 2)
            with torch.no_grad():
                expected = vae.decoder(z)[0, 0].numpy()
            np.testing.assert_allclose(array[row : row + cell_h, col : col + cell_w], expected, atol=1e-6)


def test_a_conditional_grid_draws_the_chosen_digit_everywhere():
    model = Grey(classes=10)
    plot_reconstructed(model, n=3, digit=7)
    assert torch.equal(torch.cat(model.digits), torch.full((9,), 7))


@pytest.mark.parametrize(
    "kwargs, error, parts",
    [  # the argument (or model) at fault, the value given, what to use instead
        ({"model": VariationalAutoencoder(3, hidden=8)}, ValueError, ["latent_dims=3", "plot_samples",
                                                                      "latent_dims=2"]),
        ({"model": Autoencoder(1, hidden=8)}, ValueError, ["latent_dims=1", "plot_samples", "latent_dims=2"]),
        ({"r0": (3, -3)}, ValueError, ["r0", "(3, -3)", "low < high"]),
        ({"r0": (0, math.inf)}, ValueError, ["r0[1]", "inf"]),
        ({"r1": (math.nan, 1)}, ValueError, ["r1[0]", "nan"]),
        ({"r1": (1,)}, TypeError, ["r1", "(1,)", "(-3, 3)"]),
        ({"n": 0}, ValueError, ["n", "0", f"{arguments.MAX_GRID}"]),
        ({"n": 2.5}, TypeError, ["n", "2.5", "float"]),
    ],
)
def test_decoded_grid_arguments_are_named(vae, kwargs, error, parts):
    with pytest.raises(error) as raised:
        plot_reconstructed(**({"model": vae} | kwargs))
    says(raised, *parts)


@pytest.mark.parametrize("n", [10_000, 10**9])
def test_a_huge_grid_is_refused_before_anything_is_allocated(vae, n):
    # 10**9 x 10**9 codes cannot be allocated: a ValueError, not a MemoryError, shows that n was checked first
    with pytest.raises(ValueError) as error:
        plot_reconstructed(vae, n=n)
    says(error, "n", str(n), f"{arguments.MAX_GRID}")


def test_encode_gives_each_image_s_mean_code_whatever_the_batch_size(vae, split):
    with torch.no_grad():
        vae.encoder(split.images)
    expected = vae.encoder.mu.clone()
    torch.testing.assert_close(encode(vae, split, batch_size=7), expected)  # 40 images: the last batch holds 5
    torch.testing.assert_close(encode(vae, split.images), expected)
    assert vae.training  # encode leaves the model in the mode it found it


def test_encode_gives_a_conditional_model_the_labels_of_a_split(conditional, split):
    with torch.no_grad():
        conditional.encoder(split.images, split.labels)
    expected = conditional.encoder.mu.clone()
    torch.testing.assert_close(encode(conditional, split, batch_size=16), expected)
    with pytest.raises(TypeError) as error:
        encode(conditional, split.images)
    says(error, "digit", "y=None", "tensor of 40 labels", "Split")


def test_encode_names_a_bad_batch_size(vae, split):
    with pytest.raises(ValueError) as error:
        encode(vae, split, batch_size=0)
    says(error, "batch_size", "0", ">= 1")


def test_decode_passes_the_digits_to_a_conditional_model(conditional):
    z, digits = torch.randn(3, 2), torch.tensor([7, 0, 7])
    with torch.no_grad():
        expected = conditional.decoder(z, digits)
    torch.testing.assert_close(decode(conditional, z, digits), expected)


def test_the_interpolation_runs_straight_from_one_code_to_the_other(vae, split):
    x_1, x_2 = split.images[0], split.images[1].reshape(28, 28)  # (1, 28, 28) and (28, 28): both one image
    z, decoded = interpolate_codes(vae, x_1, x_2, n=7)
    with torch.no_grad():
        vae.encoder(torch.stack([x_1, x_2.reshape(IMAGE_SHAPE)]))
        ends = vae.encoder.mu
        expected = ends[0] + torch.linspace(0, 1, 7).unsqueeze(1) * (ends[1] - ends[0])
        torch.testing.assert_close(z, expected)
        torch.testing.assert_close(decoded, vae.decoder(expected))


def test_the_interpolation_strip_shows_the_path_left_to_right():
    model = Grey(latent_dims=1)
    array = shown(interpolate(model, torch.zeros(784), torch.ones(784) / 2, n=5))
    corners = [where(array, v) for v in (0.0, 0.125, 0.25, 0.375, 0.5)]
    assert len({row for row, _ in corners}) == 1 and [col for _, col in corners] == sorted(c for _, c in corners)


@pytest.mark.parametrize(
    "x_2, n, error, parts",
    [
        (torch.rand(1, 28, 28), 1, ValueError, ["n", "1", "2", f"{arguments.MAX_IMAGES:,}"]),
        (torch.rand(2, 1, 28, 28), 5, ValueError, ["x_2", "one image", "(1, 28, 28)", "2"]),
        (torch.rand(27, 28), 5, ValueError, ["x_2", "(27, 28)", "(B, 1, 28, 28)"]),
        ([0.5] * 784, 5, TypeError, ["x_2", "list", "torch.as_tensor"]),
    ],
)
def test_interpolation_arguments_are_named(vae, x_2, n, error, parts):
    with pytest.raises(error) as raised:
        interpolate(vae, torch.rand(1, 28, 28), x_2, n=n)
    says(raised, *parts)


@pytest.mark.parametrize("end, value", [("x_2", float("nan")), ("x_1", float("inf")), ("x_2", -float("inf"))])
def test_images_that_are_not_numbers_are_named_not_their_codes(vae, end, value):
    broken = torch.rand(1, 28, 28)
    broken[0, 14, 14] = value
    ends = {"x_1": torch.rand(1, 28, 28), "x_2": torch.rand(1, 28, 28)} | {end: broken}
    with pytest.raises(ValueError) as caught:
        interpolate(vae, ends["x_1"], ends["x_2"])
    says(caught, end, "NaN", "infinite", "pixels")
    assert "z " not in str(caught.value) and "code" not in str(caught.value)


def test_a_model_that_encodes_to_nan_is_named_with_the_image_not_z(vae):
    with torch.no_grad():
        vae.encoder.linear2.bias[0] = float("nan")
    with pytest.raises(ValueError) as error:
        interpolate(vae, torch.rand(1, 28, 28), torch.rand(1, 28, 28))
    says(error, "x_1", "NaN", "code", "lr")  # the image whose code is not a number, and the fix: a lower lr


def test_the_gif_goes_there_and_back_in_large_frames_and_loops_forever(tmp_path):
    n = 6
    path = interpolate_gif(Grey(latent_dims=1), tmp_path / "path.gif", torch.zeros(1, 28, 28),
                           torch.ones(1, 28, 28), n=n)
    assert path == tmp_path / "path.gif"
    with Image.open(path) as gif:
        assert gif.info["loop"] == 0  # 0: forever
        assert gif.info["duration"] == 1000 / 25
        assert gif.size[0] == gif.size[1] >= 256  # large enough to see on a projector
        brightness = []
        for i in range(gif.n_frames):
            gif.seek(i)
            brightness.append(np.asarray(gif.convert("L"), dtype=float).mean())
    there = [255 * k / (n - 1) for k in range(n)]
    np.testing.assert_allclose(brightness, there + there[-2:0:-1], atol=1)  # no doubled frame at either end


def test_the_gif_plays_at_the_given_speed(tmp_path):
    path = interpolate_gif(Grey(latent_dims=1), tmp_path / "slow.gif", torch.zeros(784), torch.ones(784), n=3, fps=10)
    with Image.open(path) as gif:
        assert gif.info["duration"] == 100


@pytest.mark.parametrize(
    "name, error, parts",
    [
        ("path.png", ValueError, [".gif", "path.png"]),
        ("folder.gif", ValueError, ["folder.gif", "is a folder"]),
        ("missing/path.gif", FileNotFoundError, ["missing", "does not exist"]),
        ("", ValueError, [".gif"]),  # the folder itself
    ],
)
def test_gif_paths_are_checked_before_anything_is_written(tmp_path, name, error, parts):
    (tmp_path / "folder.gif").mkdir()
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(error) as raised:
        interpolate_gif(Grey(), tmp_path / name, torch.zeros(784), torch.ones(784), n=3)
    says(raised, "path", str(tmp_path / name), *parts)
    assert sorted(tmp_path.rglob("*")) == before


@pytest.fixture(scope="module")
def histories():
    """Two epochs of an Autoencoder and of a VAE on synthetic digits, each with test losses."""
    data, test = blobs(64), blobs(32, seed=1)
    set_seed(0)
    return {kind: train(kind(2, hidden=16), data, epochs=2, test_data=test, progress=False)
            for kind in (Autoencoder, VariationalAutoencoder)}


def key_of(label: str) -> str:
    """Which loss a line of plot_losses shows, from its legend label."""
    return "kl" if "KL" in label else "recon"


def test_loss_curves_of_a_vae_show_reconstruction_and_kl_train_and_test(histories):
    history = histories[VariationalAutoencoder]
    lines = {line.get_label(): line.get_ydata() for line in plot_losses(history).axes[0].lines}
    assert len(lines) == 4
    for key in ("recon", "kl"):
        train_line, = [y for label, y in lines.items() if key_of(label) == key and "train" in label]
        test_line, = [y for label, y in lines.items() if key_of(label) == key and "test" in label]
        np.testing.assert_allclose(train_line, getattr(history, key))
        np.testing.assert_allclose(test_line, [epoch[key] for epoch in history.test])


def test_loss_curves_of_an_autoencoder_have_no_kl_line(histories):
    history = histories[Autoencoder]
    assert not any(history.kl)
    ax = plot_losses(history).axes[0]
    assert len(ax.lines) == 2 and not any("KL" in line.get_label() for line in ax.lines)
    assert not any("KL" in text.get_text() for text in ax.get_legend().get_texts())


def test_loss_curves_need_a_history():
    for history, given in ((History(), "empty History"), ([50.0, 40.0], "list")):
        with pytest.raises(ValueError) as error:
            plot_losses(history)
        says(error, "history", given, "train()")


def test_reconstructions_sit_below_their_originals():
    values = [(k + 1) / 32 for k in range(6)]
    array = shown(plot_reconstructions(Grey(), constant_images(values + [0.75]), n=6))  # the 7th is left out
    for v in values:
        (row, col), (row_below, col_below) = where(array, v), where(array, 1 - v)  # Grey reconstructs 1 - x
        assert row_below > row and col_below == col
    assert not (array == np.float32(0.75)).any()
    assert [where(array, v)[1] for v in values] == sorted(where(array, v)[1] for v in values)


def test_reconstructions_of_a_conditional_model_need_the_labels(conditional, split):
    assert isinstance(plot_reconstructions(conditional, split, n=3), Figure)
    for data in (split.images, Split(split.images, None)):
        with pytest.raises(TypeError) as error:
            plot_reconstructions(conditional, data, n=3)
        says(error, "ConditionalVariationalAutoencoder", "digit", "data", "Split", "mnist.test")


@pytest.mark.parametrize("labels", [torch.arange(5) % 4, torch.arange(39) % 4, (torch.arange(41) % 4).tolist()])
def test_reconstructions_of_a_conditional_model_name_both_counts_of_a_wrong_number_of_labels(conditional, split,
                                                                                           labels):
    with pytest.raises(ValueError) as error:
        plot_reconstructions(conditional, Split(split.images, labels), n=3)
    says(error, "data.labels", f"{len(labels)} labels", "40 images")
    assert isinstance(plot_reconstructions(conditional, Split(split.images, split.labels.tolist()), n=3), Figure)


def test_samples_are_decoded_from_the_prior():
    model = Grey(latent_dims=3)
    set_seed(0)
    plot_samples(model, n=arguments.MAX_IMAGES, nrow=64)
    z = torch.cat(model.codes)
    assert z.shape == (arguments.MAX_IMAGES, 3) and all(digits is None for digits in model.digits)
    torch.testing.assert_close(z.mean(dim=0), torch.zeros(3), atol=5 / 64, rtol=0)  # 5 standard errors
    torch.testing.assert_close(z.std(dim=0), torch.ones(3), atol=0.05, rtol=0)
    assert torch.corrcoef(z.T).triu(diagonal=1).abs().max() < 0.07  # independent dimensions


def test_samples_of_a_conditional_model_are_all_the_chosen_digit():
    model = Grey(classes=10)
    plot_samples(model, n=8, digit=3)
    assert torch.equal(torch.cat(model.digits), torch.full((8,), 3))


@pytest.mark.parametrize(
    "call, error, parts",
    [
        (lambda vae, conditional: plot_samples(conditional, n=4), ValueError,
         ["ConditionalVariationalAutoencoder", "digit=0..9"]),
        (lambda vae, conditional: plot_samples(conditional, n=4, digit=10), ValueError, ["digit", "10", "9"]),
        (lambda vae, conditional: plot_samples(conditional, n=4, digit=2.0), TypeError, ["digit", "2.0", "float"]),
        (lambda vae, conditional: plot_reconstructed(conditional, n=2), ValueError,
         ["ConditionalVariationalAutoencoder", "digit=0..9"]),
        (lambda vae, conditional: plot_samples(vae, n=4, digit=3), ValueError,
         ["digit", "conditional model", "VariationalAutoencoder"]),
        (lambda vae, conditional: plot_reconstructed(vae, n=2, digit=3), ValueError,
         ["digit", "conditional model", "VariationalAutoencoder"]),
        (lambda vae, conditional: plot_digits_by_style(vae), ValueError,
         ["plot_digits_by_style", "conditional model", "VariationalAutoencoder"]),
        (lambda vae, conditional: plot_samples(vae, n=0), ValueError, ["n", "0", f"{arguments.MAX_IMAGES:,}"]),
        (lambda vae, conditional: plot_samples(vae, n=4, nrow=0), ValueError, ["nrow", "0", ">= 1"]),
        (lambda vae, conditional: plot_samples(vae.decoder, n=4), TypeError,
         ["plot_samples", "Decoder", "the model itself"]),
    ],
)
def test_sampling_arguments_are_checked(vae, conditional, call, error, parts):
    with pytest.raises(error) as raised:
        call(vae, conditional)
    says(raised, *parts)


def test_digits_by_style_keeps_z_along_columns_and_the_digit_along_rows():
    model = Grey(classes=10)
    plot_digits_by_style(model, n_styles=4)  # plot_images lays the 40 digits out 4 to a row, in reading order
    z, digits = torch.cat(model.codes), torch.cat(model.digits)
    assert torch.equal(digits, torch.arange(10).repeat_interleave(4))  # row r: the digit r
    assert torch.equal(z, z[:4].repeat(10, 1)) and len(z[:4].unique(dim=0)) == 4  # column c: one z in every row


def test_grids_name_their_rows_and_columns(images):
    fig = plot_images(images[:6], nrow=3, row_labels=["a", "b"], column_labels=["1", "2", "3"])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "3"]
    centres = ax.get_yticks()
    assert centres[0] == 15.5 and centres[1] - centres[0] == 30  # at the tiles' centres: 2 + 14 - 0.5, one tile on
    with pytest.raises(ValueError) as error:
        plot_images(images[:6], nrow=3, row_labels=["a"])
    says(error, "row_labels", "2 labels", "1")


def test_reconstructions_label_their_two_rows(vae, images):
    fig = plot_reconstructions(vae, images[:4])
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["original", "reconstructed"]


def test_the_interpolation_strip_names_its_two_ends(vae, images):
    fig = interpolate(vae, images[0], images[1], n=5)
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["$x_1$", "", "", "", "$x_2$"]


def test_a_gif_that_cannot_be_written_whole_leaves_the_old_one(tmp_path, monkeypatch):
    """A full disk mid-write (simulated: the write fails after the temporary file is made) keeps the old GIF."""
    import vae_lab._files

    path = interpolate_gif(Grey(), tmp_path / "walk.gif", torch.zeros(784), torch.ones(784), n=3)
    before = path.read_bytes()

    def full_disk(file, contents):
        file.write(b"GIF8")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(vae_lab._files, "write_contents", full_disk)
    with pytest.raises(OSError) as error:
        interpolate_gif(Grey(), tmp_path / "walk.gif", torch.ones(784), torch.zeros(784), n=5)
    says(error, str(tmp_path / "walk.gif"), "no space left")
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["walk.gif"]


def test_a_bare_name_gets_gif_added_as_the_lecture_writes_it(tmp_path):
    path = interpolate_gif(Grey(), str(tmp_path / "vae"), torch.zeros(784), torch.ones(784), n=3)
    assert path == tmp_path / "vae.gif" and path.is_file()


def test_labels_of_another_length_than_the_images_are_named():
    split = Split(torch.rand(10, *IMAGE_SHAPE), torch.arange(7))
    with pytest.raises(ValueError) as error:
        plot_latent(Grey(), split)
    says(error, "data", "10 images", "7 labels", "one label per image")
