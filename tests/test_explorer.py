import base64

import numpy as np
import pytest
import torch
from conftest import says
from matplotlib.figure import Figure

from vae_lab.beyond.variants import ConditionalVariationalAutoencoder
from vae_lab.course.explorer import explorer_figure, latent_explorer
from vae_lab.models import Autoencoder, VariationalAutoencoder

# vae (a 2-D VariationalAutoencoder) and split (40 synthetic digits): tests/conftest.py


def test_the_figure_marks_the_point_and_shows_its_digit(vae, split):
    fig = explorer_figure(vae, split, z=(1.5, -0.5))
    scatter, digit = fig.axes[0], fig.axes[1]
    assert len(scatter.collections[0].get_offsets()) == len(split)
    np.testing.assert_allclose(scatter.lines[-1].get_xydata(), [[1.5, -0.5]])
    with torch.no_grad():
        expected = vae.decoder(torch.tensor([[1.5, -0.5]]))[0, 0].numpy()
    np.testing.assert_allclose(digit.images[0].get_array(), expected, rtol=1e-6)
    assert "(1.50, -0.50)" in digit.get_title()


def test_without_a_kernel_the_explorer_is_the_static_figure(split):
    fig = latent_explorer(Autoencoder(2, hidden=32), split)
    assert isinstance(fig, Figure)
    np.testing.assert_allclose(fig.axes[0].lines[-1].get_xydata(), [[0.0, 0.0]])


class Kernel:
    """Stands in for IPython's shell inside a Jupyter kernel: what latent_explorer looks for."""

    kernel = object()


@pytest.fixture
def in_a_kernel(monkeypatch):
    pytest.importorskip("ipywidgets")
    import IPython

    monkeypatch.setattr(IPython, "get_ipython", lambda: Kernel())


def png_of(panel) -> bytes:
    bundle = panel._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle  # a live view for Jupyter
    png = base64.b64decode(bundle["image/png"])  # and a picture for viewers that cannot run widgets
    assert png.startswith(b"\x89PNG")
    return png


def test_in_a_kernel_the_sliders_span_the_ranges_and_move_the_picture(in_a_kernel, vae, split):
    panel = latent_explorer(vae, split, r0=(-2, 2), r1=(-1, 4))
    sliders = panel.children[0].children
    assert [(s.min, s.max, s.value) for s in sliders] == [(-2, 2, 0), (-1, 4, 0)]
    before = png_of(panel)
    sliders[1].value = 3.0  # each move redraws the figure: one is enough
    assert png_of(panel) != before


@pytest.mark.parametrize(
    "kwargs, error, parts",
    [  # the argument, the value given, what it must be
        ({"r0": (2, -2)}, ValueError, ["r0", "(2, -2)", "low < high"]),
        ({"r1": (0, 0)}, ValueError, ["r1", "(0, 0)", "low < high"]),
        ({"r1": (0, float("inf"))}, ValueError, ["r1[1]", "inf"]),
        ({"r0": 3}, TypeError, ["r0", "3", "(-3, 3)"]),
        ({"max_points": 0}, ValueError, ["max_points", "0", ">= 1"]),
    ],
)
def test_explorer_arguments_are_named(vae, split, kwargs, error, parts):
    with pytest.raises(error) as raised:
        latent_explorer(vae, split, **kwargs)
    says(raised, *parts)


@pytest.mark.parametrize("explore", [explorer_figure, latent_explorer])
@pytest.mark.parametrize(
    "model, error, parts",
    [
        (VariationalAutoencoder(3, hidden=8), ValueError, ["2-D", "latent_dims=3"]),
        (ConditionalVariationalAutoencoder(2, hidden=8), ValueError, ["images only",
                                                                      "ConditionalVariationalAutoencoder"]),
        (VariationalAutoencoder(2, hidden=8).decoder, TypeError, ["Decoder", "the model itself"]),
    ],
)
def test_the_explorer_needs_a_2d_model_of_images_only(split, explore, model, error, parts):
    with pytest.raises(error) as raised:
        explore(model, split)
    says(raised, explore.__name__, *parts)
