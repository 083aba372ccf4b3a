"""export_explorer: a page that decodes in plain JavaScript what PyTorch decodes, checked in headless Chromium."""

import json
import os
import re
import shutil
import subprocess

import numpy as np
import pytest
import torch
from faults import python_with_full_disk
from synthetic import blobs

from vae_lab import decode
from vae_lab.beyond.variants import ConditionalVariationalAutoencoder, ConvolutionalVariationalAutoencoder
from vae_lab.course.browser import MAX_BYTES, PAGE, export_explorer
from vae_lab.data import Split
from vae_lab.models import VariationalAutoencoder
from vae_lab.training import set_seed

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium: install it with `apt-get install -y "
                                    "chromium` (Debian) to test the page in a real browser")
# Flags for a closed network and a container: no sandbox, no GPU, no background connections.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--virtual-time-budget=5000"]


@torch.no_grad()
def reference(model, z, digit=None) -> np.ndarray:
    """What the page should compute for ``z``: PyTorch's decoding, 784 intensities."""
    y = None if digit is None else torch.tensor([digit])
    return decode(model, torch.tensor([z], dtype=torch.float32), y).flatten().numpy()


def chromium(page, tmp_path, *args, address=""):
    result = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args,
                             page.as_uri() + address], capture_output=True, text=True, timeout=120)
    return result.stdout


def decoded(page, tmp_path, address):
    dom = chromium(page, tmp_path, "--dump-dom", address=address)
    return np.array(json.loads(re.search(r'<pre id="decoded">(.*?)</pre>', dom, flags=re.S).group(1)))


def model_and_page(tmp_path, cls=VariationalAutoencoder, **kwargs):
    set_seed(0)
    model = cls(2, **kwargs)
    with torch.no_grad():  # a decoder whose pixels are not all near 0.5, as a trained one
        model.decoder.linear2.weight.mul_(8)
    return model, export_explorer(model, blobs(300), tmp_path / "explorer.html")


@needs_chromium
@pytest.mark.browser
def test_the_page_decodes_what_pytorch_decodes(tmp_path):
    model, page = model_and_page(tmp_path)
    for z in [(0.0, 0.0), (1.5, -2.0), (-3.0, 0.25)]:
        pixels = decoded(page, tmp_path, f"#z={z[0]},{z[1]}")
        expected = reference(model, z)
        assert pixels.shape == (784,) and expected.std() > 0.05
        assert np.abs(pixels - expected).max() < 0.01


@needs_chromium
@pytest.mark.browser
def test_a_conditional_model_draws_the_digit_in_the_address(tmp_path):
    model, page = model_and_page(tmp_path, ConditionalVariationalAutoencoder, classes=4)
    for digit in (0, 3):
        pixels = decoded(page, tmp_path, f"#z=0.5,0.5&y={digit}")
        assert np.abs(pixels - reference(model, (0.5, 0.5), digit)).max() < 0.01
    assert "<button" in chromium(page, tmp_path, "--dump-dom")  # the digit selector


@needs_chromium
@pytest.mark.browser
def test_a_screenshot_at_projector_size_is_not_blank(tmp_path):
    import imageio.v3 as iio

    _, page = model_and_page(tmp_path)
    chromium(page, tmp_path, "--window-size=1024,768", f"--screenshot={tmp_path / 'shot.png'}")
    shot = iio.imread(tmp_path / "shot.png")
    assert shot.shape[:2] == (768, 1024)
    colours = np.unique(shot[..., :3].reshape(-1, 3), axis=0)
    assert len(colours) > 20 and shot[..., :3].std() > 10  # the scatter's ten colours, the decoded digit, text


def test_the_page_is_self_contained_and_small(tmp_path):
    _, page = model_and_page(tmp_path)
    html = page.read_text()
    assert page.stat().st_size <= MAX_BYTES
    assert re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html) is None  # nothing loaded from elsewhere
    assert not any(call in html for call in ("fetch(", "XMLHttpRequest", "@import", "WebSocket", "import("))


@pytest.mark.parametrize("change, error, message", [
    ({"model": VariationalAutoencoder(3)}, ValueError, "latent_dims=3"),
    ({"model": ConvolutionalVariationalAutoencoder(2)}, TypeError, "ConvolutionalDecoder"),
    ({"data": blobs(20).images}, TypeError, "data must be a vae_lab Split"),
    ({"path": "missing-folder/page.html"}, FileNotFoundError, "does not exist"),
    ({"path": "page.htm"}, ValueError, r"path must end in \.html"),
])
def test_bad_arguments_get_a_sentence(tmp_path, change, error, message):
    arguments = {"model": VariationalAutoencoder(2), "data": blobs(20), "path": tmp_path / "page.html"} | change
    if isinstance(arguments["path"], str):
        arguments["path"] = tmp_path / arguments["path"]
    with pytest.raises(error, match=message):
        export_explorer(**arguments)


def test_data_that_are_not_images_are_named(tmp_path):
    with pytest.raises(ValueError, match="data"):
        export_explorer(VariationalAutoencoder(2), Split(torch.rand(5, 3, 32, 32), torch.zeros(5, dtype=torch.long)),
                        tmp_path / "page.html")


def config(page):
    """The data the page's script reads: the JSON after ``const C =``."""
    return json.loads(re.search(r"const C = (.*);\n", page.read_text()).group(1))


def test_a_model_with_nan_weights_gets_no_page(tmp_path):
    model = VariationalAutoencoder(2)
    with torch.no_grad():
        model.encoder.linear2.bias[0] = float("nan")
    with pytest.raises(ValueError, match="NaN or infinite weights"):
        export_explorer(model, blobs(20), tmp_path / "page.html")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("labels, error, message", [
    (torch.arange(19) % 4, ValueError, r"data.labels must hold one label per image, shape \(20,\), got shape \(19,\)"),
    (torch.full((20,), 300), ValueError, "data.labels must hold labels in 0..9, got values from 300 to 300"),
    (-torch.ones(20, dtype=torch.long), ValueError, "labels in 0..9, got values from -1"),
    (torch.zeros(20), TypeError, "whole-number labels .* got dtype torch.float32"),
    ([0.5] * 20, TypeError, "whole-number labels .* got dtype torch.float64"),
    (["seven"] * 20, TypeError, "data.labels must be whole numbers 0..9, one per image; got a list"),
    (None, TypeError, "give data.labels as a tensor of 20 labels"),
])
def test_labels_that_are_not_one_digit_per_image_get_a_sentence(tmp_path, labels, error, message):
    with pytest.raises(error, match=message):
        export_explorer(VariationalAutoencoder(2), Split(blobs(20).images, labels), tmp_path / "page.html")
    assert list(tmp_path.iterdir()) == []


def test_labels_given_as_a_list_of_whole_numbers_are_taken(tmp_path):
    data = blobs(20)
    page = export_explorer(VariationalAutoencoder(2), Split(data.images, data.labels.tolist()), tmp_path / "p.html")
    same = export_explorer(VariationalAutoencoder(2), data, tmp_path / "q.html")
    assert config(page)["labels"] == config(same)["labels"]


def test_pixels_in_0_to_255_are_refused(tmp_path):
    data = blobs(20)
    with pytest.raises(ValueError, match=r"data.images has pixel values from .* to 2\d\d.*Divide 0..255 pixels by 255"):
        export_explorer(VariationalAutoencoder(2), Split(data.images * 255, data.labels), tmp_path / "page.html")


def test_text_embedded_in_the_script_cannot_end_it(tmp_path):
    sneaky = type("</script><!--<script>alert(1)//", (VariationalAutoencoder,), {})  # a class name is in the title
    page = export_explorer(sneaky(2), blobs(20), tmp_path / "page.html")
    assert page.read_text().count("</script>") == PAGE.read_text().count("</script>")
    embedded = re.search(r"const C = (.*);\n", page.read_text()).group(1)
    assert "<" not in embedded and ">" not in embedded
    assert config(page)["title"] == "</script><!--<script>alert(1)//: 20 test codes"  # the same text, escaped


def test_an_existing_page_survives_a_failed_export(tmp_path):
    path = tmp_path / "page.html"
    path.write_text("the good page")
    model = VariationalAutoencoder(2)
    with torch.no_grad():
        model.decoder.linear2.weight.fill_(float("inf"))
    with pytest.raises(ValueError):
        export_explorer(model, blobs(20), path)
    path.chmod(0o444)
    with pytest.raises(PermissionError, match="read-only"):
        export_explorer(VariationalAutoencoder(2), blobs(20), path)
    assert path.read_text() == "the good page"


def test_a_full_disk_keeps_the_old_page(tmp_path):
    path = tmp_path / "page.html"
    path.write_text("the good page")
    code = ("import torch\nfrom vae_lab import VariationalAutoencoder\n"
            "from vae_lab.course.browser import export_explorer\n"
            "from vae_lab.data import Split\n"
            f"export_explorer(VariationalAutoencoder(2), Split(torch.rand(50, 1, 28, 28), torch.arange(50) % 10), "
            f"{str(path)!r})")
    result = python_with_full_disk(code, 100_000, cwd=os.getcwd())  # the page takes ~2 MB
    assert f"OSError: [Errno 27] File too large: '{path}'" in result.stderr
    assert path.read_text() == "the good page" and [p.name for p in tmp_path.iterdir()] == ["page.html"]
