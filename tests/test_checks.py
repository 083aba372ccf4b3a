"""vae_lab.course.checks: type-along cells (take) and exercise cells (check_*), one checker.

take: the video's code, typed as on screen, is checked and used; a wrong one gets a hint and the library's, with the
lecture time of its notebook's ``# TYPE ALONG`` line. check_*: ✓ for right answers, ✗ with a hint for wrong ones.
"""

import importlib.util
import json
import linecache
import os
import signal
import sys
import textwrap
import threading
import time
from pathlib import Path

import matplotlib
import nbformat
import pytest
import torch

matplotlib.use("Agg")

from conftest import says  # noqa: E402
from lecture_code import LECTURE, PREAMBLE, PREWORK, namespace  # noqa: E402

from vae_lab import Decoder, VariationalEncoder, kl_divergence, models, reparameterize  # noqa: E402
from vae_lab.course import checks  # noqa: E402
from vae_lab.course.checks import (  # noqa: E402
    TYPE_ALONG,
    check_interpolate,
    check_kl,
    check_reparameterize,
    check_sse,
    check_variational_encoder,
    lecture_time,
    take,
)
from vae_lab.course.messages import catalogue  # noqa: E402
from vae_lab.course.student_copies import TYPE_ALONG as MARKER  # noqa: E402
from vae_lab.course.student_copies import student_copy  # noqa: E402

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
PREWORK_NAMES = ["Encoder", "Decoder", "Autoencoder", "plot_latent", "plot_reconstructed"]
DECODER = Decoder(2)


def sse(x_hat, x):
    """The lecture's reconstruction term, written out: a right answer."""
    return ((x - x_hat) ** 2).sum()


def markers(notebook: str) -> dict[str, str]:
    """Each type-along cell's first line in ``notebook``, by name: where the lecture times are written."""
    cells = json.loads((NOTEBOOKS / notebook).read_text())["cells"]
    lines = ["".join(cell["source"]).split("\n")[0] for cell in cells if cell["cell_type"] == "code"]
    return {line.split()[3]: line for line in lines if line.startswith(MARKER)}


LECTURE_MARKERS, PREWORK_MARKERS = markers("01_lecture_vae.ipynb"), markers("00_prework_autoencoder.ipynb")


def taken(name, scope, capsys, **kwargs):
    """What take hands back, and the one line it printed."""
    result = take(name, scope, **kwargs)
    return result, capsys.readouterr().out.strip()


def fallback(name):
    return TYPE_ALONG[name].fallback


# ---- take: the type-along cells ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", [*PREWORK_NAMES, "train"])
def test_the_prework_typed_as_on_screen_is_used(name, capsys):
    scope = namespace(*PREWORK_NAMES)
    exec(PREWORK["train"], scope)  # the autoencoder's loop
    result, line = taken(name, scope, capsys, variational=False)
    assert result is scope[name] and line.startswith(f"✓ {name}") and "\n" not in line
    says(line, "yours is used")


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


@pytest.mark.parametrize("name", sorted(TYPE_ALONG))
def test_an_empty_cell_says_so_in_one_line_and_hands_the_library_version(name, capsys):
    result, line = taken(name, {"__name__": "__main__"}, capsys)
    assert result is fallback(name) and line.count("\n") == 0 and "not typed yet" in line
    assert "(lecture " not in line  # outside IPython (no In), no time


def test_a_name_taken_before_counts_as_not_typed(capsys):
    """Re-running a check cell after an empty type-along cell: the name holds the library's class, not the student's."""
    result, line = taken("Encoder", {"__name__": "__main__", "Encoder": models.Encoder}, capsys)
    assert result is models.Encoder and "not typed yet" in line


def typed_in_a_notebook(scope, name, source, marker):
    """``scope`` after a type-along cell ``marker`` + ``source`` ran in IPython: its source is in ``In``, and in
    ``linecache`` under the cell's file name (where ``inspect.getsource`` finds it, as in a kernel)."""
    filename = f"<typed cell {len(linecache.cache)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    exec(compile(source, filename, "exec"), scope)  # noqa: S102 - a notebook's cell, as IPython runs it
    scope.setdefault("In", [""]).extend([f"{marker}\n# Type it.\n{source}", f'{name} = take("{name}", globals())'])
    return scope


def replaced(scope_names, name, old, new, marker=""):
    """A namespace where the video's code for ``name`` has ``old`` replaced by ``new`` (a student's mistake), typed in
    the cell that ``marker`` starts."""
    scope = namespace(*[n for n in scope_names if n != name])
    original = LECTURE.get(name) if name in LECTURE else PREWORK[name]
    assert original.replace(old, new) != original, "the mistake was not made"
    return typed_in_a_notebook(scope, name, original.replace(old, new), marker or f"{MARKER} {name}")


MISTAKES = [  # (name, old, new, words the hint must hold)
    ("VariationalEncoder", "        self.kl = 0", "        self.kl = 0\n        self.N.loc = self.N.loc.cuda()",
     ".cuda()"),
    ("VariationalEncoder", "z = mu + sigma*self.N.sample(mu.shape)",
     "z = torch.distributions.Normal(mu, sigma).sample()", "no gradient"),
    ("VariationalEncoder", "z = mu + sigma*self.N.sample(mu.shape)", "z = mu + self.N.sample(mu.shape)",
     "no gradient reaches sigma"),
    ("VariationalEncoder", "z = mu + sigma*self.N.sample(mu.shape)", "z = mu + sigma*self.N.sample(mu.shape) * 2",
     "N(0, 1) noise"),
    ("VariationalEncoder", " - 1/2).sum()", " - 1/2)", "one number"),
    ("VariationalEncoder", "(sigma**2 + mu**2 - torch.log(sigma) - 1/2).sum()", "(sigma + mu - 1).sum()",
     "differs from the KL to N(0, 1)"),
    ("VariationalEncoder", "self.linear3 = nn.Linear(512, latent_dims)", "self.sigma = nn.Linear(512, latent_dims)",
     "linear3"),
    ("train", "((x - x_hat)**2).sum() + autoencoder.encoder.kl", "((x - x_hat)**2).sum()", "no KL"),
    ("train", "((x - x_hat)**2).sum() + autoencoder.encoder.kl", "((x - x_hat)**2).mean() + autoencoder.encoder.kl",
     "a mean"),
    ("train", "    return autoencoder", "", "return autoencoder"),
    ("train", "            opt.step()\n", "", "did not change"),
    ("interpolate", "img[:, i*w:(i+1)*w] = x_hat.reshape(28, 28)", "pass", "both ends"),
    ("interpolate", "np.linspace(0, 1, n)", "np.linspace(0, 1, n + 1)[:n]", "evenly spaced"),
    ("interpolate", "img = np.zeros((w, n*w))", "img = np.zeros((w, (n+1)*w))", "28 x 140 pixels"),
    ("interpolate_gif", "f'{filename}.gif'", "'/nonexistent/folder/x.gif'", "raised"),
    ("VariationalAutoencoder", "self.decoder = Decoder(latent_dims)", "self.dec = Decoder(latent_dims)",
     "self.decoder"),
    ("VariationalEncoder", "(sigma**2 + mu**2 - torch.log(sigma) - 1/2).sum()",
     "(sigma**2 + mu**2 - torch.log(sigma) - 1/2).sum().long()", "a real number"),
    ("VariationalEncoder", "return z", "return z.round().long()", "real numbers"),
    ("VariationalEncoder", "sigma = torch.exp(self.linear3(x))", "sigma = self.linear3(x)",
     "sigma must be positive"),
    ("interpolate_gif", "f'{filename}.gif'", "filename", "Add .gif"),
]


@pytest.mark.parametrize("name, old, new, hint", MISTAKES, ids=[f"{m[0]}-{m[3]}" for m in MISTAKES])
def test_a_mistake_gets_a_hint_the_lecture_time_and_the_library_version(name, old, new, hint, capsys):
    if hint == ".cuda()" and torch.cuda.is_available():
        pytest.skip("on a machine with CUDA the video's .cuda() lines run")
    scope = replaced(["Decoder", *LECTURE], name, old, new, LECTURE_MARKERS[name])
    result, line = taken(name, scope, capsys)
    if name == "VariationalAutoencoder":  # built from the student's own encoder and decoder, as the lecture builds it
        assert result is not scope[name] and type(result(2).encoder) is scope["VariationalEncoder"], line
    else:
        assert result is fallback(name), line
    assert line.startswith(f"✗ {name}") and hint in line and "vae_lab's version" in line
    time = LECTURE_MARKERS[name].split(" — lecture ")[1]
    assert line.count("(lecture ") == 1 and f"(lecture {time})" in line, line  # the notebook's time, once


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
def test_a_prework_mistake_gets_a_hint_and_no_time(name, old, new, hint, capsys):
    scope = replaced(PREWORK_NAMES, name, old, new, PREWORK_MARKERS[name])
    result, line = taken(name, scope, capsys, variational=False)
    assert result is fallback(name) and line.startswith(f"✗ {name}") and hint in line, line
    assert "(lecture " not in line  # the pre-work's cells carry no times


def test_the_lecture_time_is_the_notebooks_last_run_of_that_cell():
    history = ["", "# TYPE ALONG: interpolate_gif — lecture 0:13:30–0:13:46\n# Type it.\n",
               "# TYPE ALONG: interpolate — lecture 0:12:23–0:13:30\n# Type it.\n",
               "# TYPE ALONG: train\n# the pre-work's cell, no time\n"]
    assert lecture_time("interpolate", {"In": history}) == "0:12:23–0:13:30"  # not interpolate_gif's
    assert lecture_time("interpolate_gif", {"In": history}) == "0:13:30–0:13:46"
    assert lecture_time("train", {"In": history}) == ""
    history.append("# TYPE ALONG: interpolate — lecture 0:12:00–0:13:30\n# Type it.\n")  # the cell edited, run again
    assert lecture_time("interpolate", {"In": history}) == "0:12:00–0:13:30"
    assert lecture_time("interpolate", {}) == lecture_time("Encoder", {"In": history}) == ""


def test_in_ipython_take_reads_the_time_from_the_cells_run(capfd):
    """IPython keeps each run cell's source in ``In``, as a Jupyter kernel does: take finds its cell's time there."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = InteractiveShell(config=config)
    for cell in ("from vae_lab.course.checks import take", f"{LECTURE_MARKERS['interpolate']}\n# Type it.\n",
                 'interpolate = take("interpolate", globals())'):
        shell.run_cell(cell, store_history=True)
    time = LECTURE_MARKERS["interpolate"].split(" — lecture ")[1]
    says(capfd.readouterr().out, "interpolate", "not typed yet", f"(lecture {time})")


def test_every_type_along_cell_of_the_notebooks_has_a_registration_and_its_time_is_read(capsys):
    """The names come from the notebooks' markers; a name take does not know would stop Run All."""
    for notebook in ("00_prework_autoencoder.ipynb", "01_lecture_vae.ipynb"):
        for name, line in markers(notebook).items():
            assert name in TYPE_ALONG, (notebook, line)
            expected = line.split(" — lecture ")[1] if " — lecture " in line else ""
            assert lecture_time(name, {"In": ["", f"{line}\n# Type it.\n"]}) == expected
            take(name, {"__name__": "__main__", "In": ["", f"{line}\n# Type it.\n"]})
            assert ("(lecture " in capsys.readouterr().out) == bool(expected)
    assert set(LECTURE_MARKERS) == set(LECTURE) and set(PREWORK_MARKERS) == set(PREWORK)  # lecture_code.py types them


def test_a_class_that_raises_is_caught_and_named(capsys):
    scope = namespace()
    exec("class Encoder(torch.nn.Module):\n    def __init__(self, latent_dims):\n        raise KeyError('oops')", scope)
    result, line = taken("Encoder", scope, capsys)
    assert result is fallback("Encoder") and "KeyError" in line and "oops" in line


def test_a_stub_left_as_it_is_says_not_written_yet(capsys):
    scope = namespace()
    exec("def plot_latent_1d(autoencoder, data, num_batches):\n    raise NotImplementedError('your code here')", scope)
    result, line = taken("plot_latent_1d", scope, capsys)
    assert result is fallback("plot_latent_1d") and line.startswith("✗ plot_latent_1d")
    says(line, "not written yet")


def test_a_check_leaves_the_notebooks_random_numbers_as_they_were(capsys):
    scope = namespace("Decoder", *LECTURE)
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    for name in ("VariationalEncoder", "train", "interpolate"):
        take(name, scope)
    assert torch.equal(torch.rand(3), expected)


def test_an_unknown_name_is_refused():
    with pytest.raises(ValueError) as error:
        take("Encodr", {})
    says(error, "'Encodr'", "'Encoder'")  # the name given, and the names take knows


def test_the_library_takes_over_where_the_students_plots_are_missing(tmp_path):
    """The fallbacks take the lecture's own calls, on the student's lecture-written VAE."""
    scope = namespace("Decoder", "VariationalEncoder", "VariationalAutoencoder")
    vae = scope["VariationalAutoencoder"](2)
    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.rand(40, 1, 28, 28),
                                                                      torch.arange(40) % 10), batch_size=8)
    x, y = next(iter(data))
    assert fallback("train")(vae, data, 1) is vae
    with pytest.warns(UserWarning) as caught:
        fallback("plot_latent")(vae, data)
    says(caught, "no mu", "self.mu = mu")  # why the codes are random samples, and the line that keeps the mean
    fallback("plot_reconstructed")(vae, r0=(-3, 3), r1=(-3, 3))
    with pytest.warns(UserWarning) as caught:
        fallback("interpolate")(vae, x[y == 1][0], x[y == 0][0], 5)
    says(caught, "no mu", "self.mu = mu")
    with pytest.warns(UserWarning) as caught:
        path = fallback("interpolate_gif")(vae, str(tmp_path / "vae"), x[y == 1][0], x[y == 0][0], 4)
    says(caught, "no mu", "self.mu = mu")
    assert path.name == "vae.gif" and path.is_file()
    vae_1 = models.VariationalAutoencoder(1)
    assert len(fallback("plot_reconstructed_1d")(vae_1, n=4).axes[0].images) == 1


def test_an_untyped_autoencoder_is_built_from_the_students_encoder_and_decoder(capsys):
    """Typed the VariationalEncoder, left the VariationalAutoencoder empty: the student still trains their encoder."""
    scope = namespace("Decoder", "VariationalEncoder")
    result, line = taken("VariationalAutoencoder", scope, capsys)
    model = result(2)
    assert type(model.encoder) is scope["VariationalEncoder"] and type(model.decoder) is scope["Decoder"]
    says(line, "not typed yet", "VariationalEncoder", "Decoder")  # built from the student's encoder and decoder
    assert model(torch.rand(3, 1, 28, 28)).shape == (3, 1, 28, 28)
    scope = namespace("Encoder")  # only the encoder typed: the library's Decoder beside it
    model = taken("Autoencoder", scope, capsys)[0](2)
    assert type(model.encoder) is scope["Encoder"] and type(model.decoder) is models.Decoder


# The type-along copies run top to bottom, as a student with the video would: every cell typed as on screen, or none;
# the Vietnamese edition's copies too, whose check lines speak Vietnamese (the kernel runs in a folder named vi).
TYPE_ALONG_NOTEBOOKS = {"00_prework_autoencoder.ipynb": PREWORK, "01_lecture_vae.ipynb": LECTURE,
                        "vi/00_prework_autoencoder.ipynb": PREWORK, "vi/01_lecture_vae.ipynb": LECTURE}


def run_copy(tmp_path, name, fill):
    """Make the student copy of ``name``, fill each type-along cell by ``fill(name_typed)`` (None: leave it), run it
    in a fresh kernel from a folder like notebooks/ (notebooks/vi/ for the Vietnamese edition), and return the
    executed notebook."""
    from nbclient import NotebookClient

    folder = (tmp_path / "notebooks" / name).parent
    folder.mkdir(parents=True, exist_ok=True)
    notebook = student_copy(nbformat.read(NOTEBOOKS / name, as_version=4), Path(name).name)
    filled = 0
    for cell in notebook.cells:
        if cell.cell_type == "code" and cell.source.startswith(MARKER):
            typed = fill(cell.source.split()[3])
            if typed is not None:
                cell.source += typed
                filled += 1
    client = NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(folder)}})
    client.execute()
    return notebook, filled


def printed(notebook) -> str:
    return "".join(output.get("text", "") for cell in notebook.cells for output in cell.get("outputs", []))


def in_language(notebook: str, english: str, **blanks) -> str:
    """The check line ``english`` (a template of checks.py) as the copy of ``notebook`` prints it."""
    language = "vi" if notebook.startswith("vi/") else "en"
    return catalogue(language).get(english, english).format(**blanks)


@pytest.mark.full
@pytest.mark.parametrize("name", sorted(TYPE_ALONG_NOTEBOOKS))
def test_the_copy_typed_as_on_screen_runs_top_to_bottom_with_the_students_code(tmp_path, name):
    notebook, filled = run_copy(tmp_path, name, TYPE_ALONG_NOTEBOOKS[name].get)
    assert filled == len(TYPE_ALONG_NOTEBOOKS[name])  # every type-along cell, typed
    out = printed(notebook)
    not_typed = in_language(name, "{name} is not typed yet{at}: the cells below use vae_lab's version{made_of}.",
                            name="", at="", made_of="").split(":")[0].strip()
    assert not_typed not in out, out
    for typed in TYPE_ALONG_NOTEBOOKS[name]:  # each checked and used; the exercises (left as stubs) fall back
        assert f"✓ {typed}" in out or f"⚠ {typed}" in out, typed
        assert f"✗ {typed}" not in out, out
    if "✓ Encoder" in out:
        assert in_language(name, "✓ {name}: yours is used from here on.", name="Encoder") in out
    if name.endswith("01_lecture_vae.ipynb"):
        lecture_kl = in_language(name, checks.LECTURE_KL)[:40]
        assert f"⚠ VariationalEncoder: {lecture_kl}" in out    # the KL hint, and the student's model
        assert (tmp_path / "notebooks" / name).parent.joinpath("../outputs/vae.gif").is_file()  # the student's PIL


@pytest.mark.full
@pytest.mark.parametrize("name", sorted(name for name in TYPE_ALONG_NOTEBOOKS if not name.startswith("vi/")))
def test_the_copy_left_empty_runs_top_to_bottom_on_the_library(tmp_path, name):
    """(The Vietnamese copies left empty are run by nbval over student/vi/; tests/test_messages.py checks their
    "not typed yet" line.)"""
    notebook, filled = run_copy(tmp_path, name, lambda typed: None)
    out = printed(notebook)
    assert filled == 0
    lines = markers(name)
    for typed in TYPE_ALONG_NOTEBOOKS[name]:  # with the time of the notebook's own # TYPE ALONG line, read from In
        time = f" (lecture {lines[typed].split(' — lecture ')[1]})" if " — lecture " in lines[typed] else ""
        assert f"{typed} is not typed yet{time}:" in out, typed


# ---- check_*: the exercise cells -------------------------------------------------------------------------------

def not_written(*args):
    raise NotImplementedError


@pytest.mark.parametrize(
    "check, answer, expected, printed",
    [
        (check_kl, kl_divergence, True, "✓ KL matches"),
        (check_kl, lambda mu, ls: (torch.exp(ls) ** 2 + mu**2 - ls - 0.5).sum(1), False, "N(0, ½)"),
        (check_kl, lambda mu, ls: ((torch.exp(2 * ls) + mu**2 - 1) / 2 - ls).sum(), False, "one per row"),
        (check_kl, lambda mu, ls: ((torch.exp(ls) + mu**2 - 1) / 2 - ls).sum(1), False, "differs"),
        (check_kl, not_written, False, "Not written yet"),
        (check_kl, lambda mu, ls: mu.undefined, False, "raised AttributeError"),
        (check_reparameterize, reparameterize, True, "✓ z has mean mu"),
        (check_reparameterize, lambda mu, s: torch.normal(mu.detach(), s.detach()), False, "No gradient"),
        (check_reparameterize, lambda mu, s: mu + s * torch.rand_like(mu), False, "spread"),
        (check_reparameterize, not_written, False, "Not written yet"),
        (check_sse, sse, True, "✓ Sum of squared errors"),
        (check_sse, lambda a, b: ((a - b) ** 2).mean(), False, "mean squared error"),
        (check_sse, lambda a, b: ((a - b) ** 2).sum(dim=(1, 2, 3)), False, "one number"),
        (check_sse, lambda a, b: (a - b).abs().sum(), False, "Expected"),
    ],
)
def test_checks_pass_right_answers_and_hint_at_wrong_ones(capsys, check, answer, expected, printed):
    assert check(answer) is expected
    out = capsys.readouterr().out
    assert printed in out and out.startswith("✓" if expected else "✗") and out.count("\n") == 1


def drawing(answer):
    """``answer`` that also draws random numbers, as a student's function may."""
    return lambda *args: answer(*args) + 0 * torch.rand(())


@pytest.mark.parametrize("check, answer", [(check_kl, kl_divergence), (check_reparameterize, reparameterize),
                                           (check_sse, sse)])
def test_a_check_leaves_the_notebook_s_random_numbers_as_they_were(capsys, check, answer):
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    assert check(drawing(answer)) is True
    torch.testing.assert_close(torch.rand(3), expected)


def encoder_class(forward):
    """A VariationalEncoder whose forward is ``forward(self, x)``, as a student writes it."""
    return type("StudentEncoder", (VariationalEncoder,), {"forward": forward})


def lecture_forward(self, x, kl="true", mu_activation=lambda t: t, noise=torch.randn_like):
    x = torch.relu(self.linear1(torch.flatten(x, start_dim=1)))
    mu, sigma = mu_activation(self.linear2(x)), torch.exp(self.linear3(x))
    z = mu + sigma * noise(mu)
    true = ((sigma**2 + mu**2 - 1) / 2 - torch.log(sigma)).sum()
    self.kl = true if kl == "true" else (sigma**2 + mu**2 - torch.log(sigma) - 0.5).sum()
    return z


@pytest.mark.parametrize("forward, expected, printed", [
    (lecture_forward, True, "✓ forward computes z"),
    (lambda self, x: lecture_forward(self, x, noise=lambda mu: torch.distributions.Normal(0, 1).sample(mu.shape)),
     True, "✓ forward computes z"),  # the lecture's self.N.sample passes too
    (lambda self, x: lecture_forward(self, x, kl="blog"), False, "N(0, ½)"),
    (lambda self, x: lecture_forward(self, x, mu_activation=torch.relu), False, "no ReLU on mu"),
    (lambda self, x: lecture_forward(self, x)[:2], False, "one code per image"),
    (not_written, False, "Not written yet"),
])
def test_check_variational_encoder(capsys, forward, expected, printed):
    assert check_variational_encoder(encoder_class(forward)) is expected
    assert printed in capsys.readouterr().out


@pytest.mark.parametrize("answer, expected, printed", [
    (lambda z_1, z_2, n: torch.cat([DECODER(z_1 + (z_2 - z_1) * t) for t in torch.linspace(0, 1, n)]), True, "✓ 5"),
    (lambda z_1, z_2, n: torch.cat([DECODER(z_1 + (z_2 - z_1) * t) for t in torch.arange(n) / n]), False, "differ"),
    (lambda z_1, z_2, n: DECODER(z_1), False, "(5, 1, 28, 28)"),
    (not_written, False, "Not written yet"),
])
def test_check_interpolate(capsys, answer, expected, printed):
    assert check_interpolate(answer, DECODER, torch.zeros(1, 2), torch.ones(1, 2)) is expected
    assert printed in capsys.readouterr().out


def test_the_encoder_check_leaves_the_random_numbers_as_they_were(capsys):
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    assert check_variational_encoder(encoder_class(lecture_forward)) is True
    torch.testing.assert_close(torch.rand(3), expected)


def zeroing_inputs(mu, log_sigma):
    """A wrong answer that zeroes its inputs in place: it returns the KL of N(0, 1), 0, whatever it is given."""
    mu.zero_()
    log_sigma.zero_()
    return kl_divergence(mu, log_sigma)


def subtracting_in_place(z_1, z_2, n):
    """A right answer that reuses z_2 for the difference."""
    z_2 -= z_1
    return torch.cat([DECODER(z_1 + z_2 * t) for t in torch.linspace(0, 1, n)])


def test_a_kl_that_zeroes_its_inputs_is_judged_on_the_originals(capsys):
    assert check_kl(zeroing_inputs) is False
    assert "differs" in capsys.readouterr().out


def test_an_interpolation_that_changes_z_2_in_place_is_right(capsys):
    z_1, z_2 = torch.full((1, 2), -0.5), torch.ones(1, 2)
    assert check_interpolate(subtracting_in_place, DECODER, z_1, z_2) is True
    assert capsys.readouterr().out.startswith("✓") and torch.equal(z_2, torch.ones(1, 2))  # the caller's z_2 too


@pytest.mark.parametrize("answer, printed", [
    (lambda mu, sigma: mu + torch.randn_like(mu), "No gradient reaches sigma"),
    (lambda mu, sigma: sigma * torch.randn_like(mu), "No gradient reaches mu"),
    (lambda mu, sigma: mu.detach() + sigma * torch.randn_like(mu), "No gradient reaches mu"),
    (lambda mu, sigma: mu + sigma.detach() * torch.randn_like(mu), "No gradient reaches sigma"),
    (lambda mu, sigma: torch.randn(mu.shape) * 2, "No gradient reaches mu and sigma"),
    (lambda mu, sigma: torch.randn(mu.shape, requires_grad=True), "No gradient reaches mu"),
    (lambda mu, sigma: (mu + sigma * torch.randn_like(mu)).long(), "dtype torch.int64"),
    (lambda mu, sigma: [1.0, 2.0], "(100000, 2)"),
    (lambda mu, sigma: 2 * mu + sigma * torch.randn_like(mu), "mean"),
])
def test_the_commonest_wrong_reparameterizations_get_a_hint(capsys, answer, printed):
    assert check_reparameterize(answer) is False
    out = capsys.readouterr().out
    assert out.startswith("✗") and printed in out


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("check, answer", [(check_kl, kl_divergence), (check_sse, sse),
                                           (check_reparameterize, reparameterize)])
def test_a_right_answer_in_another_float_dtype_passes(capsys, check, answer, dtype):
    assert check(lambda *args: answer(*args).to(dtype)) is True
    assert capsys.readouterr().out.startswith("✓")


def test_a_right_interpolation_in_float64_passes(capsys):
    def in_float64(z_1, z_2, n):
        return torch.cat([DECODER(z_1 + (z_2 - z_1) * t) for t in torch.linspace(0, 1, n)]).double()

    assert check_interpolate(in_float64, DECODER, torch.zeros(1, 2), torch.ones(1, 2)) is True


@pytest.mark.parametrize("check, answer", [
    (check_kl, lambda mu, ls: kl_divergence(mu, ls).long()),
    (check_sse, lambda a, b: sse(a, b).long()),
    (check_interpolate, lambda z_1, z_2, n: torch.zeros(n, 1, 28, 28, dtype=torch.int64)),
])
def test_a_result_of_whole_numbers_is_told_its_dtype(capsys, check, answer):
    arguments = (DECODER, torch.zeros(1, 2), torch.ones(1, 2)) if check is check_interpolate else ()
    assert check(answer, *arguments) is False
    assert "has dtype torch.int64" in capsys.readouterr().out


def test_an_encoder_that_never_sets_kl_is_told_so(capsys):
    class NoKL(torch.nn.Module):
        def __init__(self, latent_dims):
            super().__init__()
            self.linear1, self.linear2, self.linear3 = (torch.nn.Linear(784, 512), torch.nn.Linear(512, latent_dims),
                                                        torch.nn.Linear(512, latent_dims))

        def forward(self, x):
            x = torch.relu(self.linear1(torch.flatten(x, start_dim=1)))
            mu, sigma = self.linear2(x), torch.exp(self.linear3(x))
            return mu + sigma * torch.randn_like(mu)

    assert check_variational_encoder(NoKL) is False
    assert "forward never set self.kl" in capsys.readouterr().out


@pytest.mark.parametrize("kl, printed", [("per row", "got shape (256,)"), ("float64", "✓"), ("int", "got 0")])
def test_the_encoder_s_kl_of_another_shape_or_dtype(capsys, kl, printed):
    def forward(self, x):
        z = lecture_forward(self, x)
        self.kl = {"per row": self.kl.expand(len(x)), "float64": self.kl.double(), "int": 0}[kl]
        return z

    assert check_variational_encoder(encoder_class(forward)) is (kl == "float64")
    assert printed in capsys.readouterr().out


def test_a_check_that_stumbles_prints_a_hint_instead_of_raising(capsys):
    class Shapeless(torch.Tensor):  # a result that breaks the check itself
        @property
        def shape(self):
            raise RuntimeError("no shape")

    assert check_kl(lambda mu, log_sigma: kl_divergence(mu, log_sigma).as_subclass(Shapeless)) is False
    out = capsys.readouterr().out
    assert out.startswith("✗")
    says(out, "could not judge", "RuntimeError", "no shape")


@pytest.mark.parametrize("answer, printed", [
    (lambda mu, sigma: None, "returned None"),
    (lambda mu, sigma: (mu + sigma * torch.randn_like(mu)).detach().numpy(), "NumPy array"),
    (lambda mu, sigma: (mu + sigma * torch.randn_like(mu))[:10], "got a tensor of shape (10, 2)"),
    (lambda mu, sigma: mu + sigma * torch.randn_like(mu) * float("nan"), "NaN"),
    (lambda mu, sigma: mu.add_(sigma * torch.randn_like(mu)), "in place"),
])
def test_more_wrong_reparameterizations_get_a_hint_of_their_own(capsys, answer, printed):
    assert check_reparameterize(answer) is False
    out = capsys.readouterr().out
    assert out.startswith("✗") and printed in out and "could not judge" not in out


def test_an_interpolation_stacked_instead_of_joined_is_told_so(capsys):
    decoder = Decoder(2)
    z_1, z_2 = torch.zeros(1, 2), torch.ones(1, 2)
    stacked = lambda a, b, n: torch.stack([decoder(a + (b - a) * t) for t in torch.linspace(0, 1, n).tolist()])  # noqa: E731
    assert check_interpolate(stacked, decoder, z_1, z_2) is False
    says(capsys.readouterr().out, "torch.cat", "torch.stack")


def test_an_encoder_given_as_an_object_or_with_wrong_layers_gets_a_hint(capsys):
    class Small(VariationalEncoder):
        def __init__(self, latent_dims):
            super().__init__(latent_dims)
            self.linear1 = torch.nn.Linear(3, 3)

    for given, printed in ((VariationalEncoder(2), "Give the class itself"), (Small, "nn.Linear(784, 512)")):
        assert check_variational_encoder(given) is False
        out = capsys.readouterr().out
        assert printed in out and "could not judge" not in out


def test_the_same_class_gets_the_same_verdict_from_take_and_from_its_exercise(capsys):
    """One rule for the VariationalEncoder: what take refuses, check_variational_encoder refuses with the same hint;
    the lecture's KL line is ⚠ in the type-along cell and ✗ in the exercise, which asks for the true KL."""
    for forward in (lecture_forward, lambda self, x: lecture_forward(self, x, mu_activation=torch.relu),
                    lambda self, x: lecture_forward(self, x, kl="blog")):
        cls = encoder_class(forward)
        scope = {"__name__": cls.__module__, "VariationalEncoder": cls}
        typed_line = taken("VariationalEncoder", scope, capsys)[1]
        passed = check_variational_encoder(cls)
        exercise_line = capsys.readouterr().out.strip()
        hint = exercise_line.removeprefix("✗ ").rstrip(".")
        assert passed is typed_line.startswith("✓"), (typed_line, exercise_line)
        assert passed or hint[1:] in typed_line, (typed_line, exercise_line)


# ---- The student's code that never returns, floods the output or exits; the user's Ctrl-C (issue #33, 9) ----------

@pytest.fixture
def signals_kept():
    """Asserts, after the test, that no alarm is left set and the SIGALRM and SIGINT handlers are the ones before."""
    before = signal.getsignal(signal.SIGALRM), signal.getsignal(signal.SIGINT)
    yield
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert (signal.getsignal(signal.SIGALRM), signal.getsignal(signal.SIGINT)) == before


def in_forward(code):
    """A namespace where the video's VariationalEncoder, with ``code`` at the start of its forward, was typed."""
    source = LECTURE["VariationalEncoder"].replace(
        "    def forward(self, x):\n", "    def forward(self, x):\n" + textwrap.indent(code, " " * 8) + "\n")
    scope = namespace()
    scope.update(sys=sys, time=time)
    return typed_in_a_notebook(scope, "VariationalEncoder", source, LECTURE_MARKERS["VariationalEncoder"])


def kl_after(code):
    """A right ``my_kl`` that runs ``code`` first."""
    scope = {"sys": sys, "time": time, "kl_divergence": kl_divergence}
    exec("def my_kl(mu, log_sigma):\n" + textwrap.indent(code, "    ") + "\n    return kl_divergence(mu, log_sigma)",
         scope)
    return scope["my_kl"]


@pytest.mark.parametrize("loop", ["while True:\n    pass",
                                  "while True:  # an except Exception does not swallow the time limit\n"
                                  "    try:\n        time.sleep(1)\n    except Exception:\n        pass"])
def test_code_that_never_returns_is_stopped_with_a_hint_and_the_library_takes_over(monkeypatch, capsys, loop,
                                                                                   signals_kept):
    monkeypatch.setattr(checks, "TIME_LIMIT", 0.5)
    start = time.monotonic()
    result, line = taken("VariationalEncoder", in_forward(loop), capsys)
    assert result is fallback("VariationalEncoder") and line.startswith("✗ VariationalEncoder"), line
    says(line, "your forward", "did not return within 0.5 s", "loop", "vae_lab's version")
    assert check_kl(kl_after(loop)) is False
    says(capsys.readouterr().out, "✗", "your my_kl", "did not return within 0.5 s")
    assert time.monotonic() - start < 10


def test_a_million_lines_printed_in_a_check_are_cut_to_twenty(monkeypatch, capsys, signals_kept):
    monkeypatch.setattr(checks, "TIME_LIMIT", 600)  # the output here, not the time: a busy machine prints slowly
    result, out = taken("VariationalEncoder", in_forward("for i in range(1_000_000):\n    print('line', i)"), capsys)
    lines = out.splitlines()
    assert result is not fallback("VariationalEncoder") and len(out) < 1000, out[:3000]  # ⚠ the lecture's KL line
    assert lines[:20] == [f"line {i}" for i in range(20)] and len(lines) == 22 and lines[-1].startswith("⚠")
    says(lines[20], "999,980 more lines", "left out")
    assert check_kl(kl_after("for i in range(100_000):\n    print('x' * 300, file=sys.stderr)")) is True
    out = capsys.readouterr().out  # stderr too, and at most 2,000 characters
    assert out.count("\n") <= 10 and len(out) < 2300 and out.splitlines()[-1].startswith("✓")
    says(out, "more lines", "left out")


@pytest.mark.parametrize("code, said", [("sys.exit()", "called sys.exit()"), ("sys.exit(1)", "called sys.exit()"),
                                        ("raise SystemExit('bye')", "called sys.exit()"),
                                        ("raise KeyboardInterrupt", "raised KeyboardInterrupt")])
def test_sys_exit_or_keyboard_interrupt_in_the_students_code_is_a_hint_and_run_all_goes_on(capsys, code, said,
                                                                                          signals_kept):
    scope = in_forward(code)
    result, line = taken("VariationalEncoder", scope, capsys)
    assert result is fallback("VariationalEncoder") and line.startswith("✗ VariationalEncoder"), line
    says(line, "your forward", said)
    assert check_variational_encoder(scope["VariationalEncoder"]) is False
    says(capsys.readouterr().out, "✗", "your forward", said)
    assert check_kl(kl_after(code)) is False
    says(capsys.readouterr().out, "✗", "your my_kl", said)


@pytest.mark.parametrize("check", ["take", "check_kl"])
def test_the_users_ctrl_c_during_a_check_still_stops_the_cell(monkeypatch, capsys, check, signals_kept):
    """A real SIGINT (the kernel's ■ button), sent from another thread while the student's code sleeps in a loop."""
    monkeypatch.setattr(checks, "TIME_LIMIT", 120)
    loop = "while True:\n    time.sleep(0.01)"
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            take("VariationalEncoder", in_forward(loop)) if check == "take" else check_kl(kl_after(loop))
    finally:
        timer.cancel()
        timer.join()
    assert "✗" not in capsys.readouterr().out  # no verdict: the cell stopped, as the user asked


def test_a_check_run_outside_the_main_thread_works_without_a_time_limit(capsys, signals_kept):
    """Signals reach only the main thread: elsewhere a check runs the student's code with no limit, and works."""
    results = []
    thread = threading.Thread(target=lambda: results.append((check_kl(kl_divergence),
                                                             take("VariationalEncoder", in_forward("pass")))))
    thread.start()
    thread.join()
    out = capsys.readouterr().out
    assert results and results[0][0] is True and out.startswith("✓") and "⚠ VariationalEncoder" in out, out


# ---- What was taken for "not typed yet", and the hints that named the wrong fault (issue #33, 13) -------------------

@pytest.mark.parametrize("old, new", [
    ("nn.Linear(784, 512)", "nn.Linear(784, 512, device='meta')"),
    ("        self.kl = 0\n", "        self.kl = 0\n        self.to('meta')\n"),
])
def test_a_model_built_on_the_meta_device_is_told_to_use_the_cpu(capsys, old, new):
    scope = replaced(["Decoder", *LECTURE], "VariationalEncoder", old, new, LECTURE_MARKERS["VariationalEncoder"])
    result, line = taken("VariationalEncoder", scope, capsys)
    assert result is fallback("VariationalEncoder") and line.startswith("✗ VariationalEncoder"), line
    says(line, "'meta' device", "no values", "CPU")
    assert check_variational_encoder(scope["VariationalEncoder"]) is False
    says(capsys.readouterr().out, "'meta' device", "CPU")


def test_a_notebook_whose_device_is_meta_is_told_so(capsys):
    scope = namespace("VariationalEncoder")
    scope["device"] = "meta"
    result, line = taken("VariationalEncoder", scope, capsys)
    assert result is fallback("VariationalEncoder") and line.startswith("✗ VariationalEncoder"), line
    says(line, "device", "'meta'", "no values", "'cpu'")


def imported(tmp_path, monkeypatch, name, source):
    """The module ``name``, a student's file ``name.py`` holding ``source``, imported (``from name import ...``)."""
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)  # removed after the test
    spec.loader.exec_module(module)
    return module


def test_a_class_imported_from_the_students_own_file_is_judged(tmp_path, monkeypatch, capsys):
    right = imported(tmp_path, monkeypatch, "my_vae", PREAMBLE + LECTURE["VariationalEncoder"])
    wrong = imported(tmp_path, monkeypatch, "my_other_vae", PREAMBLE + LECTURE["VariationalEncoder"].replace(
        "self.linear3 = nn.Linear(512, latent_dims)", "self.sigma = nn.Linear(512, latent_dims)"))
    for module, verdict in ((right, "⚠"), (wrong, "✗")):
        scope = namespace("Decoder")
        scope["VariationalEncoder"] = module.VariationalEncoder  # from my_vae import VariationalEncoder
        result, line = taken("VariationalEncoder", scope, capsys)
        assert line.startswith(f"{verdict} VariationalEncoder") and "not typed yet" not in line, line
        assert (result is module.VariationalEncoder) is (verdict == "⚠")
    for library in (models.VariationalEncoder, torch.nn.Linear):  # vae_lab's, an installed package's: not typed
        result, line = taken("VariationalEncoder", {"__name__": "__main__", "VariationalEncoder": library}, capsys)
        assert result is fallback("VariationalEncoder") and "not typed yet" in line, line


def half_kl_forward(dtype):
    """A right forward whose self.kl is computed in ``dtype`` from mu and sigma."""
    def forward(self, x):
        x = torch.relu(self.linear1(torch.flatten(x, start_dim=1)))
        mu, sigma = self.linear2(x), torch.exp(self.linear3(x))
        m, s = mu.to(dtype), sigma.to(dtype)
        self.kl = ((s**2 + m**2 - 1) / 2 - torch.log(s)).sum()
        return mu + sigma * torch.randn_like(mu)
    return forward


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_a_right_kl_computed_in_half_precision_passes_and_a_wrong_one_does_not(capsys, dtype):
    """A right formula, rounded by float16, is right (✓, with its precision named); the wrong ones stay wrong."""
    def computed_in(dtype, formula):
        return lambda mu, log_sigma: formula(mu.to(dtype), log_sigma.to(dtype))

    assert check_kl(computed_in(dtype, kl_divergence)) is True
    says(capsys.readouterr().out, "✓", f"{dtype}'s precision")
    assert check_kl(computed_in(dtype, lambda mu, ls: ((torch.exp(ls) + mu**2 - 1) / 2 - ls).sum(1))) is False
    says(capsys.readouterr().out, "✗", "differs")  # sigma where sigma² belongs
    assert check_kl(computed_in(dtype, lambda mu, ls: (torch.exp(ls) ** 2 + mu**2 - ls - 0.5).sum(1))) is False
    says(capsys.readouterr().out, "✗", "N(0, ½)")  # the lecture's line
    assert check_variational_encoder(encoder_class(half_kl_forward(dtype))) is True
    assert capsys.readouterr().out.startswith("✓")


@pytest.mark.parametrize("old, new, hint, not_said", [
    ("        super(Encoder, self).__init__()\n", "", "super().__init__()", "latent_dims"),
    ("def __init__(self, latent_dims)", "def __init__(self)", "def __init__(self, latent_dims)", "super()"),
])
def test_a_class_without_super_init_is_told_to_call_it(capsys, old, new, hint, not_said):
    scope = replaced(PREWORK_NAMES, "Encoder", old, new, PREWORK_MARKERS["Encoder"])
    result, line = taken("Encoder", scope, capsys, variational=False)
    assert result is fallback("Encoder") and line.startswith("✗ Encoder"), line
    says(line, hint)
    assert not_said not in line, line


# ---- Every common typing mistake gets a hint that names it and the code to write instead ----------------------------

KL_LINE = "(sigma**2 + mu**2 - torch.log(sigma) - 1/2).sum()"  # the lecture's self.kl line
SLIPS = [  # (name, old, new, what the hint must say): the video's code typed with a student's slip
    ("VariationalEncoder", "return z", "return z.detach()", (".detach()", "z = mu + sigma * eps")),
    ("VariationalEncoder", "sigma = torch.exp(self.linear3(x))", "sigma = torch.exp(self.linear2(x))",
     ("self.linear3", "sigma = torch.exp(self.linear3(x))")),
    ("VariationalEncoder", "mu =  self.linear2(x)", "mu =  self.linear3(x)", ("self.linear2", "mu = self.linear2(x)")),
    ("VariationalEncoder", "self.kl = (sigma", "kl = (sigma", ("never set self.kl", "got 0", "self.kl = (...).sum()",
                                                             "not kl =")),
    ("VariationalEncoder", KL_LINE, "-((sigma**2 + mu**2 - 1)/2 - torch.log(sigma)).sum()", ("minus the KL", "sign")),
    ("VariationalEncoder", KL_LINE, "(0.5 * (1 + torch.log(sigma**2) - mu**2 - sigma**2)).sum()", ("minus the KL",)),
    ("VariationalEncoder", KL_LINE, "((sigma**2 + mu**2 - 1)/2 - torch.log(sigma**2)).sum()",
     ("log sigma²", "2 * torch.log(sigma)", "(sigma**2 + mu**2 - 1) / 2 - torch.log(sigma)")),
    ("VariationalEncoder", KL_LINE, "(-0.5 * (1 + torch.log(sigma) - mu**2 - sigma**2)).sum()",
     ("half of log sigma", "log_var = log sigma² = 2 * torch.log(sigma)")),
    ("VariationalEncoder", " - 1/2).sum()", " - 1/2).mean()", ("a mean", "write .sum()", ".mean()")),
    ("VariationalEncoder", "        return z\n", "", ("returned None", "`return z`")),
    ("VariationalAutoencoder", "return self.decoder(z)", "self.decoder(z)",
     ("returned None", "`return self.decoder(z)`")),
    ("train", "            opt.zero_grad()\n", "", ("add up", "call opt.zero_grad()", "before loss.backward()")),
    ("train", "            opt.step()\n", "            opt.zero_grad()\n            opt.step()\n",
     ("did not change", "opt.zero_grad() before loss.backward()")),
    ("train", "+ autoencoder.encoder.kl", "- autoencoder.encoder.kl", ("subtracts the KL", "+ autoencoder.encoder.kl")),
    ("train", "+ autoencoder.encoder.kl", "+ autoencoder.encoder.kl.detach()",
     ("no KL term", ".detach()", "+ autoencoder.encoder.kl")),
    ("train", "((x - x_hat)**2).sum()", "F.mse_loss(x_hat, x)", ("a mean", "F.mse_loss", "((x - x_hat)**2).sum()")),
    ("train", "((x - x_hat)**2).sum()", "((x - x_hat)**2).mean()", ("a mean", "write .sum()", ".mean()")),
    ("VariationalEncoder", "sigma = torch.exp(self.linear3(x))", "sigma = F.relu(self.linear3(x))",
     ("relu", "is 0", "minus infinity", "0:05:20", "sigma = torch.exp(self.linear3(x))")),
    ("interpolate_gif", ".numpy()*255", ".numpy()", ("frames", "multiplied by 255", ".numpy()*255")),
    ("interpolate", ".to('cpu').detach().numpy()", ".to('cpu').numpy()", (".detach() before .numpy()",)),
]


@pytest.mark.parametrize("name, old, new, parts", SLIPS, ids=[f"{s[0]}-{s[3][0]}" for s in SLIPS])
def test_a_slip_in_the_lecture_gets_a_hint_that_names_it(name, old, new, parts, capsys):
    scope = replaced(["Decoder", *LECTURE], name, old, new, LECTURE_MARKERS[name])
    line = taken(name, scope, capsys)[1]
    assert line.startswith(f"✗ {name}"), line
    says(line, *parts)


PREWORK_SLIPS = [
    ("Encoder", "return self.linear2(x)", "self.linear2(x)", ("returned None", "`return self.linear2(x)`")),
    ("Decoder", "z = torch.sigmoid(self.linear2(z))", "z = F.relu(self.linear2(z))",
     ("[0, 1]", "z = torch.sigmoid(self.linear2(z))")),
    ("Decoder", "return z.reshape((-1, 1, 28, 28))", "return z", ("(8, 784)", "return z.reshape((-1, 1, 28, 28))")),
    ("Decoder", "return z.reshape((-1, 1, 28, 28))", "return z.reshape((-1, 28, 28))",
     ("(8, 28, 28)", "return z.reshape((-1, 1, 28, 28))")),
    ("Autoencoder", "return self.decoder(z)", "self.decoder(z)", ("returned None", "`return self.decoder(z)`")),
    ("train", "            opt.zero_grad()\n", "", ("add up", "call opt.zero_grad()")),
]


@pytest.mark.parametrize("name, old, new, parts", PREWORK_SLIPS, ids=[f"{s[0]}-{s[3][0]}" for s in PREWORK_SLIPS])
def test_a_slip_in_the_prework_gets_a_hint_that_names_it(name, old, new, parts, capsys):
    source = PREWORK[name].replace(old, new)  # the pre-work's own code (its train has no KL), not `replaced`'s
    assert source != PREWORK[name], "the mistake was not made"
    scope = typed_in_a_notebook(namespace(*[n for n in PREWORK_NAMES if n != name]), name, source,
                                PREWORK_MARKERS[name])
    line = taken(name, scope, capsys, variational=False)[1]
    assert line.startswith(f"✗ {name}"), line
    says(line, *parts)


def test_an_autoencoder_built_on_the_students_refused_encoder_gets_that_encoders_hint(capsys):
    """The VariationalEncoder's cell re-run with sigma left without exp, its check cell not: the VAE's says why."""
    scope = namespace("Decoder")
    exec(LECTURE["VariationalEncoder"].replace("torch.exp(self.linear3(x))", "self.linear3(x)"), scope)
    exec(LECTURE["VariationalAutoencoder"], scope)
    line = taken("VariationalAutoencoder", scope, capsys)[1]
    assert line.startswith("✗ VariationalAutoencoder"), line
    says(line, "self.encoder", "VariationalEncoder", "sigma must be positive", "sigma = torch.exp(self.linear3(x))")


def test_noise_of_torch_randn_of_mu_shape_is_fine_on_the_cpu(capsys):
    scope = replaced(["Decoder", *LECTURE], "VariationalEncoder", "self.N.sample(mu.shape)", "torch.randn(mu.shape)")
    result, line = taken("VariationalEncoder", scope, capsys)
    assert result is scope["VariationalEncoder"] and line.startswith("⚠ VariationalEncoder"), line  # the KL line only


TWO_DEVICES = "Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu!"


@pytest.mark.parametrize("who, error, parts, not_said", [
    ("forward", TWO_DEVICES, ("torch.randn_like(mu)", "torch.randn(mu.shape)"), "x = x.to(device)"),
    ("train", TWO_DEVICES, ("x = x.to(device)",), "randn_like"),
    ("plot_latent", "Placeholder storage has not been allocated on MPS device!", ("x = x.to(device)",), "randn_like"),
])
def test_two_devices_get_the_advice_of_the_code_that_met_them(who, error, parts, not_said):
    said = checks.sentence(RuntimeError(error), raised_by_student=True, who=who)
    says(said, *parts)
    assert not_said not in said, said


def forgetting_self_kl(self, x):
    x = torch.relu(self.linear1(torch.flatten(x, start_dim=1)))
    mu, sigma = self.linear2(x), torch.exp(self.linear3(x))
    kl = ((sigma**2 + mu**2 - 1) / 2 - torch.log(sigma)).sum()  # noqa: F841 - the slip: a name, not self.kl
    return mu + sigma * torch.randn_like(mu)


@pytest.mark.parametrize("check, answer, parts", [
    (check_kl, lambda mu, ls: ((ls**2 + mu**2 - 1) / 2 - torch.log(ls)).sum(1),
     ("NaN", "torch.log", "sigma = torch.exp(log_sigma)")),
    (check_kl, lambda mu, ls: ((ls**2 + mu**2 - 1) / 2 - ls).sum(1),
     ("log_sigma as sigma", "torch.exp(2 * log_sigma)")),
    (check_kl, lambda mu, ls: ((torch.exp(2 * ls) + mu**2 - 1) / 2 - ls).mean(1), ("a mean", "write .sum()")),
    (check_kl, lambda mu, ls: -kl_divergence(mu, ls), ("minus the KL", "sign")),
    (check_kl, lambda mu, ls: (-0.5 * (1 + ls - mu**2 - ls.exp())).sum(1), ("log_var", "torch.exp(2 * log_sigma)")),
    (check_kl, lambda mu, ls: ((torch.exp(2 * ls) + mu**2 - 1) / 2 - 2 * ls).sum(1),
     ("log sigma²", "2 * torch.log(sigma)")),
    (check_reparameterize, lambda mu, s: (mu + s * torch.randn_like(mu)).detach(), ("No gradient", ".detach()")),
    (check_variational_encoder, encoder_class(forgetting_self_kl), ("never set self.kl", "self.kl = (...).sum()")),
])
def test_a_slip_in_an_exercise_gets_a_hint_that_names_it(capsys, check, answer, parts):
    assert check(answer) is False
    out = capsys.readouterr().out
    assert out.startswith("✗"), out
    says(out, *parts)
