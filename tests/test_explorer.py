import base64

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from vae_lab.data import Split
from vae_lab.explorer import _make_panel, explorer_figure, latent_explorer
from vae_lab.models import ConditionalVariationalAutoencoder, VariationalAutoencoder


@pytest.fixture
def split(images):
    return Split(images, torch.arange(16) % 10)


def test_the_figure_marks_the_point_and_shows_its_digit(split):
    model = VariationalAutoencoder(2)
    fig = explorer_figure(model, split, z=(1.5, -0.5))
    scatter, digit = fig.axes[0], fig.axes[1]
    np.testing.assert_allclose(scatter.lines[-1].get_xydata(), [[1.5, -0.5]])
    with torch.no_grad():
        expected = model.decoder(torch.tensor([[1.5, -0.5]]))[0, 0].numpy()
    np.testing.assert_allclose(digit.images[0].get_array(), expected, rtol=1e-6)
    assert "(1.50, -0.50)" in digit.get_title()


def test_without_a_kernel_the_explorer_is_a_static_figure(split):
    fig = latent_explorer(VariationalAutoencoder(2), split)
    assert isinstance(fig, Figure)
    np.testing.assert_allclose(fig.axes[0].lines[-1].get_xydata(), [[0.0, 0.0]])


def test_the_panel_carries_a_png_for_static_viewers(split):
    widgets = pytest.importorskip("ipywidgets")
    panel = _make_panel([widgets.FloatSlider()], figure=explorer_figure(VariationalAutoencoder(2), split))
    bundle = panel._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")


@pytest.mark.parametrize("kwargs, message", [({"r0": (2, -2)}, "r0 must be a pair"), ({"r1": (0, 0)}, "r1 must be")])
def test_explorer_arguments_are_checked(split, kwargs, message):
    with pytest.raises(ValueError, match=message):
        latent_explorer(VariationalAutoencoder(2), split, **kwargs)


def test_the_explorer_needs_a_2d_latent_space(split):
    with pytest.raises(ValueError, match="latent_dims=3"):
        latent_explorer(VariationalAutoencoder(3), split)


@pytest.mark.parametrize("explore", [explorer_figure, latent_explorer])
def test_a_conditional_model_is_refused_with_what_to_use_instead(explore):
    data = Split(torch.rand(8, 1, 28, 28), torch.arange(8))
    with pytest.raises(ValueError, match=f"{explore.__name__} works with models that take images only.*digit="):
        explore(ConditionalVariationalAutoencoder(2), data)
