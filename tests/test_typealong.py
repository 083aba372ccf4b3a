"""take: the video's code, typed as on screen, is checked and used; a wrong one gets a hint and the library's."""

from pathlib import Path

import matplotlib
import nbformat
import pytest
import torch

matplotlib.use("Agg")

from lecture_code import LECTURE, PREWORK, namespace  # noqa: E402

from vae_lab import models, plots  # noqa: E402
from vae_lab.course.student_copies import TYPE_ALONG, student_copy  # noqa: E402
from vae_lab.course.typealong import FALLBACKS, take  # noqa: E402

PREWORK_NAMES = ["Encoder", "Decoder", "Autoencoder", "plot_latent", "plot_reconstructed"]


def taken(name, scope, capsys, **kwargs):
    """What take hands back, and the one line it printed."""
    result = take(name, scope, **kwargs)
    return result, capsys.readouterr().out.strip()


@pytest.mark.parametrize("name", [*PREWORK_NAMES, "train"])
def test_the_prework_typed_as_on_screen_is_used(name, capsys):
    scope = namespace(*PREWORK_NAMES)
    exec(PREWORK["train"], scope)  # the autoencoder's loop
    result, line = taken(name, scope, capsys, variational=False)
    assert result is scope[name] and line.startswith(f"✓ {name}")


@pytest.mark.parametrize("name", ["VariationalAutoencoder", "train", "interpolate", "interpolate_gif"])
def test_the_lecture_typed_as_on_screen_is_used(name, capsys):
    scope = namespace("Decoder", *LECTURE)
    result, line = taken(name, scope, capsys)
    assert result is scope[name] and line.startswith(f"✓ {name}")


def test_the_lectures_kl_line_is_flagged_and_the_students_encoder_kept(capsys):
    scope = namespace("VariationalEncoder")
    result, line = taken("VariationalEncoder", scope, capsys)
    assert result is scope["VariationalEncoder"]
    assert line.startswith("⚠ VariationalEncoder") and "N(0, ½)" in line and "notebook 02" in line


@pytest.mark.parametrize("name", [*PREWORK_NAMES, "train", "VariationalEncoder", "VariationalAutoencoder",
                                  "interpolate", "interpolate_gif", "plot_latent_1d", "plot_reconstructed_1d"])
def test_an_empty_cell_says_so_in_one_line_and_hands_the_library_version(name, capsys):
    result, line = taken(name, {"__name__": "__main__"}, capsys)
    assert result is FALLBACKS[name] and line.count("\n") == 0 and "not typed yet" in line


def test_a_name_taken_before_counts_as_not_typed(capsys):
    """Re-running a check cell after an empty type-along cell: the name holds the library's class, not the student's."""
    result, line = taken("Encoder", {"__name__": "__main__", "Encoder": models.Encoder}, capsys)
    assert result is models.Encoder and "not typed yet" in line


def replaced(scope_names, name, old, new):
    """A namespace where the video's code for ``name`` has ``old`` replaced by ``new`` (a student's mistake)."""
    scope = namespace(*[n for n in scope_names if n != name])
    source = (LECTURE.get(name) if name in LECTURE else PREWORK[name]).replace(old, new)
    assert source != (LECTURE.get(name) or PREWORK[name]), "the mistake was not made"
    exec(source, scope)
    return scope


MISTAKES = [  # (name, old, new, words the hint must hold)
    ("VariationalEncoder", "        self.kl = 0", "        self.kl = 0\n        self.N.loc = self.N.loc.cuda()",
     ".cuda()"),
    ("VariationalEncoder", "z = mu + sigma*self.N.sample(mu.shape)",
     "z = torch.distributions.Normal(mu, sigma).sample()", "no gradient"),
    ("VariationalEncoder", "z = mu + sigma*self.N.sample(mu.shape)", "z = mu + self.N.sample(mu.shape)",
     "N(0, 1) noise"),
    ("VariationalEncoder", " - 1/2).sum()", " - 1/2)", "one number"),
    ("VariationalEncoder", "(sigma**2 + mu**2 - torch.log(sigma) - 1/2).sum()", "(sigma + mu - 1).sum()",
     "KL to N(0, 1)"),
    ("VariationalEncoder", "self.linear3 = nn.Linear(512, latent_dims)", "self.sigma = nn.Linear(512, latent_dims)",
     "linear3"),
    ("train", "((x - x_hat)**2).sum() + autoencoder.encoder.kl", "((x - x_hat)**2).sum()", "no KL"),
    ("train", "((x - x_hat)**2).sum() + autoencoder.encoder.kl", "((x - x_hat)**2).mean() + autoencoder.encoder.kl",
     "a mean"),
    ("train", "    return autoencoder", "", "return autoencoder"),
    ("train", "            opt.step()\n", "", "did not change"),
    ("interpolate", "img[:, i*w:(i+1)*w] = x_hat.reshape(28, 28)", "pass", "start at x_1"),
    ("interpolate", "img = np.zeros((w, n*w))", "img = np.zeros((w, (n+1)*w))", "28 x 140 pixels"),
    ("interpolate_gif", "f'{filename}.gif'", "'/nonexistent/folder/x.gif'", "raised"),
    ("VariationalAutoencoder", "self.decoder = Decoder(latent_dims)", "self.dec = Decoder(latent_dims)",
     "self.decoder"),
    ("VariationalEncoder", "(sigma**2 + mu**2 - torch.log(sigma) - 1/2).sum()",
     "(sigma**2 + mu**2 - torch.log(sigma) - 1/2).sum().long()", "a real number"),
    ("VariationalEncoder", "return z", "return z.round().long()", "real numbers"),
]


@pytest.mark.parametrize("name, old, new, hint", MISTAKES, ids=[f"{m[0]}-{m[3]}" for m in MISTAKES])
def test_a_mistake_gets_a_hint_and_the_library_version(name, old, new, hint, capsys):
    if hint == ".cuda()" and torch.cuda.is_available():
        pytest.skip("on a machine with CUDA the video's .cuda() lines run")
    scope = replaced(["Decoder", *LECTURE], name, old, new)
    result, line = taken(name, scope, capsys)
    if name == "VariationalAutoencoder":  # built from the student's own encoder and decoder, as the lecture builds it
        assert result is not scope[name] and type(result(2).encoder) is scope["VariationalEncoder"], line
    else:
        assert result is FALLBACKS[name], line
    assert line.startswith(f"✗ {name}") and hint in line and "vae_lab's version" in line
    assert line.count("(lecture ") <= 1, line  # one lecture time, not the hint's and the definition's


PREWORK_MISTAKES = [
    ("Encoder", "self.linear2 = nn.Linear(512, latent_dims)", "self.linear2 = nn.Linear(512, 3)", "nn.Linear(512, 2)"),
    ("Decoder", "z = torch.sigmoid(self.linear2(z))", "z = self.linear2(z)", "[0, 1]"),
    ("Decoder", "return z.reshape((-1, 1, 28, 28))", "return z", "shape"),
    ("Decoder", "return z.reshape((-1, 1, 28, 28))", "return z.reshape((-1, 1, 28, 28)) * float('nan')", "NaN"),
    ("plot_latent", "plt.scatter(z[:, 0], z[:, 1]", "plt.scatter(z[:, 1], z[:, 0]", "encoder's codes"),
    ("plot_reconstructed", "img[(n-1-i)*w:(n-1-i+1)*w, j*w:(j+1)*w] = x_hat", "img[i*w:(i+1)*w, j*w:(j+1)*w] = x_hat",
     "top-left"),
]


@pytest.mark.parametrize("name, old, new, hint", PREWORK_MISTAKES, ids=[f"{m[0]}-{m[3]}" for m in PREWORK_MISTAKES])
def test_a_prework_mistake_gets_a_hint(name, old, new, hint, capsys):
    scope = replaced(PREWORK_NAMES, name, old, new)
    result, line = taken(name, scope, capsys, variational=False)
    assert result is FALLBACKS[name] and line.startswith(f"✗ {name}") and hint in line, line


def test_a_class_that_raises_is_caught_and_named(capsys):
    scope = namespace()
    exec("class Encoder(torch.nn.Module):\n    def __init__(self, latent_dims):\n        raise KeyError('oops')", scope)
    result, line = taken("Encoder", scope, capsys)
    assert result is FALLBACKS["Encoder"] and "KeyError" in line and "oops" in line


def test_a_check_leaves_the_notebooks_random_numbers_as_they_were(capsys):
    scope = namespace("Decoder", *LECTURE)
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    for name in ("VariationalEncoder", "train", "interpolate"):
        take(name, scope)
    assert torch.equal(torch.rand(3), expected)


def test_an_unknown_name_is_refused():
    with pytest.raises(ValueError, match="Encoder"):
        take("Encodr", {})


def test_the_library_takes_over_where_the_students_plots_are_missing(tmp_path):
    """The fallbacks take the lecture's own calls, on the student's lecture-written VAE."""
    scope = namespace("Decoder", "VariationalEncoder", "VariationalAutoencoder")
    vae = scope["VariationalAutoencoder"](2)
    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.rand(40, 1, 28, 28),
                                                                      torch.arange(40) % 10), batch_size=8)
    x, y = next(iter(data))
    vae = FALLBACKS["train"](vae, data, 1)
    with pytest.warns(UserWarning, match="keeps no mu"):
        FALLBACKS["plot_latent"](vae, data)
    FALLBACKS["plot_reconstructed"](vae, r0=(-3, 3), r1=(-3, 3))
    with pytest.warns(UserWarning, match="keeps no mu"):
        FALLBACKS["interpolate"](vae, x[y == 1][0], x[y == 0][0], 5)
    with pytest.warns(UserWarning, match="keeps no mu"):
        path = FALLBACKS["interpolate_gif"](vae, str(tmp_path / "vae"), x[y == 1][0], x[y == 0][0], 4)
    assert path.name == "vae.gif" and path.is_file()
    assert isinstance(plots.decode(vae, torch.zeros(3, 1, 2)), torch.Tensor)


# The type-along copies run top to bottom, as a student with the video would: every cell typed as on screen, or none.
NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
TYPE_ALONG_NOTEBOOKS = {"00_prework_autoencoder.ipynb": PREWORK, "01_lecture_vae.ipynb": LECTURE}


def run_copy(tmp_path, name, fill):
    """Make the student copy of ``name``, fill each type-along cell by ``fill(name_typed)`` (None: leave it), run it
    in a fresh kernel from a folder like notebooks/, and return the executed notebook."""
    from nbclient import NotebookClient

    folder = tmp_path / "notebooks"
    folder.mkdir(exist_ok=True)
    notebook = student_copy(nbformat.read(NOTEBOOKS / name, as_version=4), name)
    filled = 0
    for cell in notebook.cells:
        if cell.cell_type == "code" and cell.source.startswith(TYPE_ALONG):
            typed = fill(cell.source.split()[3])
            if typed is not None:
                cell.source += typed
                filled += 1
    client = NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(folder)}})
    client.execute()
    return notebook, filled


def printed(notebook) -> str:
    return "".join(output.get("text", "") for cell in notebook.cells for output in cell.get("outputs", []))


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TYPE_ALONG_NOTEBOOKS))
def test_the_copy_typed_as_on_screen_runs_top_to_bottom_with_the_students_code(tmp_path, name):
    notebook, filled = run_copy(tmp_path, name, TYPE_ALONG_NOTEBOOKS[name].get)
    assert filled == len(TYPE_ALONG_NOTEBOOKS[name])  # every type-along cell, typed
    out = printed(notebook)
    assert "not typed yet" not in out, out
    for typed in TYPE_ALONG_NOTEBOOKS[name]:  # each checked and used; the exercises (left as stubs) fall back
        assert f"✓ {typed}" in out or f"⚠ {typed}" in out, typed
        assert f"✗ {typed}" not in out, out
    if name.startswith("01"):
        assert "⚠ VariationalEncoder: self.kl is the lecture's line" in out   # the KL hint, and the student's model
        assert (tmp_path / "outputs" / "vae.gif").is_file()                  # written by the student's PIL code


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TYPE_ALONG_NOTEBOOKS))
def test_the_copy_left_empty_runs_top_to_bottom_on_the_library(tmp_path, name):
    notebook, filled = run_copy(tmp_path, name, lambda typed: None)
    out = printed(notebook)
    assert filled == 0
    for typed in TYPE_ALONG_NOTEBOOKS[name]:
        assert f"{typed} is not typed yet" in out, typed


def test_an_untyped_autoencoder_is_built_from_the_students_encoder_and_decoder(capsys):
    """Typed the VariationalEncoder, left the VariationalAutoencoder empty: the student still trains their encoder."""
    scope = namespace("Decoder", "VariationalEncoder")
    result, line = taken("VariationalAutoencoder", scope, capsys)
    model = result(2)
    assert type(model.encoder) is scope["VariationalEncoder"] and type(model.decoder) is scope["Decoder"]
    assert "not typed yet" in line and "built from this notebook's VariationalEncoder and Decoder" in line
    assert model(torch.rand(3, 1, 28, 28)).shape == (3, 1, 28, 28)
    scope = namespace("Encoder")  # only the encoder typed: the library's Decoder beside it
    model = taken("Autoencoder", scope, capsys)[0](2)
    assert type(model.encoder) is scope["Encoder"] and type(model.decoder) is models.Decoder
