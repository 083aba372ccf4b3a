"""An interactive latent-space explorer: move a point with sliders, see the digit it decodes to.

In JupyterLab or Notebook 7 ``latent_explorer`` shows two sliders beside the
scatter and the decoded digit. Where no widget can be shown it still shows a
figure: without ipywidgets or a kernel it returns the static figure itself, and
the panel carries a PNG of its current figure for viewers that cannot run
widgets (a static web view of the notebook, nbconvert's HTML).
"""

import base64
import io

import torch
from matplotlib.figure import Figure
from torch import nn

from .. import _checks as arguments
from ..data import IMAGE_SHAPE, Split
from ..plots import TITLE_SIZE, decode, plot_latent


def two_dimensional(model: nn.Module, what: str) -> None:
    """Raise a ValueError naming ``what`` unless ``model`` is an unconditional model with a 2-D latent space."""
    arguments.device_of(model, what)
    if arguments.latent_dims(model) != 2 or hasattr(model, "classes"):
        raise ValueError(f"{what} explores the 2-D latent space of a model that takes images only; got a "
                         f"{type(model).__name__} with latent_dims={arguments.latent_dims(model)}.")


def explorer_figure(model: nn.Module, data: Split, z=(0.0, 0.0), max_points: int = 2000) -> Figure:
    """The scatter of ``data``'s codes with ``z`` marked, beside the digit decoded from ``z``."""
    two_dimensional(model, "explorer_figure")
    if not isinstance(z, (tuple, list)) or len(z) != 2:
        raise TypeError(f"z must be a pair (z_1, z_2) such as (0.0, 0.0), got {z!r}.")
    z = (arguments.real("z[0]", z[0]), arguments.real("z[1]", z[1]))
    fig = Figure(figsize=(12, 5.5), layout="constrained")
    ax_scatter, ax_digit = fig.subplots(1, 2, width_ratios=[1.5, 1])
    plot_latent(model, data, max_points=max_points, ax=ax_scatter)
    ax_scatter.plot([z[0]], [z[1]], marker="*", color="k", markersize=22, markeredgecolor="w")
    ax_digit.imshow(torch.zeros(IMAGE_SHAPE[1:]).numpy(), cmap="gray", vmin=0, vmax=1)
    ax_digit.axis("off")
    move(fig, model, z)
    return fig


def move(fig: Figure, model: nn.Module, z) -> None:
    """Mark ``z`` on ``explorer_figure``'s scatter and show the digit decoded from it, with its title."""
    fig.axes[0].lines[-1].set_data([z[0]], [z[1]])
    fig.axes[1].images[0].set_data(decode(model, torch.tensor([z], dtype=torch.float32))[0, 0].numpy())
    fig.axes[1].set_title(f"decoded from z = ({z[0]:.2f}, {z[1]:.2f})", fontsize=TITLE_SIZE)


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def latent_explorer(model: nn.Module, data: Split, r0=(-3, 3), r1=(-3, 3), max_points: int = 2000):
    """Sliders for z_1 and z_2 over r0 x r1; the marked point and its decoded digit follow them.

    Returns:
        an ipywidgets panel when a Jupyter kernel with ipywidgets runs this, else the static figure.
    """
    two_dimensional(model, "latent_explorer")
    (x0, x1), (y0, y1) = arguments.interval("r0", r0), arguments.interval("r1", r1)
    fig = explorer_figure(model, data, (0.0, 0.0), max_points)
    try:
        import ipywidgets as widgets
        from IPython import get_ipython
        from IPython.display import Image, display
    except ImportError:
        return fig
    if getattr(get_ipython(), "kernel", None) is None:  # plain Python or a terminal IPython: no widgets
        return fig
    sliders = [widgets.FloatSlider(0.0, min=lo, max=hi, step=0.05, description=name, continuous_update=True)
               for name, lo, hi in (("z₁", x0, x1), ("z₂", y0, y1))]
    output = widgets.Output()

    def redraw(_change=None) -> None:
        move(fig, model, (sliders[0].value, sliders[1].value))
        with output:
            output.clear_output(wait=True)
            display(Image(_png(fig)))

    for slider in sliders:
        slider.observe(redraw, names="value")
    redraw()
    return _make_panel([widgets.HBox(sliders), output], figure=fig)


def _make_panel(children, figure: Figure):
    """A VBox that also offers a PNG of ``figure``, for viewers that cannot show widgets."""
    import ipywidgets as widgets

    class Panel(widgets.VBox):
        def _repr_mimebundle_(self, **kwargs):
            bundle = super()._repr_mimebundle_(**kwargs) or {}
            bundle["image/png"] = base64.b64encode(_png(figure)).decode("ascii")
            return bundle

    return Panel(children)
