"""export_explorer: a page that decodes in plain JavaScript what PyTorch decodes, checked in headless Chromium."""

import json
import os
import re
import subprocess

import numpy as np
import pytest
import torch
from conftest import says
from faults import python_with_full_disk
from synthetic import blobs

from vae_lab import decode
from vae_lab.beyond.variants import ConditionalVariationalAutoencoder, ConvolutionalVariationalAutoencoder
from vae_lab.course.browser import MAX_BYTES, PAGE, export_explorer, packed
from vae_lab.data import Split
from vae_lab.models import VariationalAutoencoder
from vae_lab.training import set_seed

# Flags for a closed network and a container: no sandbox, no GPU, no background connections.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--virtual-time-budget=5000"]


@torch.no_grad()
def reference(model, z, digit=None) -> np.ndarray:
    """What the page should compute for ``z``: PyTorch's decoding, 784 intensities."""
    y = None if digit is None else torch.tensor([digit])
    return decode(model, torch.tensor([z], dtype=torch.float32), y).flatten().numpy()


def headless(chromium, page, tmp_path, *args, address=""):
    """What headless ``chromium`` prints for ``page`` (``--dump-dom``: the page after its script ran)."""
    result = subprocess.run([chromium, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args,
                             page.as_uri() + address], capture_output=True, text=True, timeout=120)
    return result.stdout


def decoded(chromium, page, tmp_path, address):
    dom = headless(chromium, page, tmp_path, "--dump-dom", address=address)
    return np.array(json.loads(re.search(r'<pre id="decoded">(.*?)</pre>', dom, flags=re.S).group(1)))


def model_and_page(tmp_path, cls=VariationalAutoencoder, **kwargs):
    set_seed(0)
    model = cls(2, **kwargs)
    with torch.no_grad():  # a decoder whose pixels are not all near 0.5, as a trained one
        model.decoder.linear2.weight.mul_(8)
    return model, export_explorer(model, blobs(300), tmp_path / "explorer.html")


@pytest.mark.browser
def test_the_page_decodes_what_pytorch_decodes(chromium, tmp_path):
    model, page = model_and_page(tmp_path)
    for z in [(0.0, 0.0), (1.5, -2.0), (-3.0, 0.25)]:
        pixels = decoded(chromium, page, tmp_path, f"#z={z[0]},{z[1]}")
        expected = reference(model, z)
        assert pixels.shape == (784,) and expected.std() > 0.05
        assert np.abs(pixels - expected).max() < 0.01


@pytest.mark.browser
def test_a_conditional_model_draws_the_digit_in_the_address(chromium, tmp_path):
    model, page = model_and_page(tmp_path, ConditionalVariationalAutoencoder, classes=4)
    for digit in (0, 3):
        pixels = decoded(chromium, page, tmp_path, f"#z=0.5,0.5&y={digit}")
        assert np.abs(pixels - reference(model, (0.5, 0.5), digit)).max() < 0.01
    assert "<button" in headless(chromium, page, tmp_path, "--dump-dom")  # the digit selector


def shown_digit(dom: str) -> int:
    """The digit the page says it draws, under the decoded image: ``z = (0.50, 0.50), digit 3``."""
    return int(re.search(r'<div id="z">z = \([^)]*\), digit (\d+)</div>', dom).group(1))


@pytest.mark.browser
def test_a_digit_in_the_address_that_the_model_has_not_draws_the_default_and_says_so(chromium, tmp_path):
    model, page = model_and_page(tmp_path, ConditionalVariationalAutoencoder)  # digits 0..9
    (tmp_path / "four").mkdir()
    four, four_page = model_and_page(tmp_path / "four", ConditionalVariationalAutoencoder, classes=4)  # 0..3
    for which, page_, y, expected in [(model, page, "99", 0), (model, page, "10", 0), (model, page, "-1", 0),
                                      (model, page, "1.5", 0), (model, page, "seven", 0), (model, page, "9", 9),
                                      (four, four_page, "7", 0)]:
        dom = headless(chromium, page_, tmp_path, "--dump-dom", address=f"#z=0.5,0.5&y={y}")
        digit = shown_digit(dom)
        assert digit == expected, f"#y={y}: the page says digit {digit}"
        pixels = np.array(json.loads(re.search(r'<pre id="decoded">(.*?)</pre>', dom, flags=re.S).group(1)))
        assert np.abs(pixels - reference(which, (0.5, 0.5), digit)).max() < 0.01  # it draws the digit it shows
        assert f'<button class="on">{digit}</button>' in dom  # and lights its button


@pytest.mark.browser
@pytest.mark.parametrize("codes", ["1e30 from the model", "inf, -inf and NaN in the page"])
def test_the_page_s_loops_end_whatever_the_codes_hold(chromium, tmp_path, codes):
    """Huge codes (1e30 + 1 == 1e30) once kept the ticks' loop going until the tab ran out of memory, with no digit
    drawn; the page's every loop over the codes' range now ends, and it still decodes the address's z."""
    set_seed(0)
    model = VariationalAutoencoder(2)
    with torch.no_grad():
        model.decoder.linear2.weight.mul_(8)
        if codes.startswith("1e30"):  # finite weights, every code (1e30, 1e30): a page is written
            model.encoder.linear2.bias.fill_(1e30)
    page = export_explorer(model, blobs(300), tmp_path / "explorer.html")
    if not codes.startswith("1e30"):  # what export_explorer refuses to write, written into the page by hand
        odd = np.resize(np.array([np.inf, -np.inf, np.nan, 1e30, -1e30, 0.5], dtype=np.float32), 600)
        page.write_text(page.read_text().replace(config(page)["codes"], packed(odd)))
    dom = headless(chromium, page, tmp_path, "--dump-dom", address="#z=0.5,-1")
    pixels = np.array(json.loads(re.search(r'<pre id="decoded">(.*?)</pre>', dom, flags=re.S).group(1)))
    assert np.abs(pixels - reference(model, (0.5, -1.0))).max() < 0.01
    assert '<div id="z">z = (0.50, -1.00)</div>' in dom


@pytest.mark.browser
def test_a_screenshot_at_projector_size_is_not_blank(chromium, tmp_path):
    import imageio.v3 as iio

    _, page = model_and_page(tmp_path)
    headless(chromium, page, tmp_path, "--window-size=1024,768", f"--screenshot={tmp_path / 'shot.png'}")
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


@pytest.mark.parametrize("change, error, parts", [
    ({"model": VariationalAutoencoder(3)}, ValueError, ["export_explorer", "2-D", "latent_dims=3"]),
    ({"model": ConvolutionalVariationalAutoencoder(2)}, TypeError, ["export_explorer", "Decoder",
                                                                    "ConvolutionalDecoder"]),
    ({"data": blobs(20).images}, TypeError, ["data", "Split", "mnist.test", "Tensor"]),
    ({"path": "missing-folder/page.html"}, FileNotFoundError, ["path", "missing-folder", "does not exist"]),
    ({"path": "page.htm"}, ValueError, ["path", ".html", "page.htm"]),
])
def test_bad_arguments_get_a_sentence(vae, tmp_path, change, error, parts):
    arguments = {"model": vae, "data": blobs(20), "path": tmp_path / "page.html"} | change
    if isinstance(arguments["path"], str):
        arguments["path"] = tmp_path / arguments["path"]
    with pytest.raises(error) as raised:
        export_explorer(**arguments)
    says(raised, *parts)


def test_data_that_are_not_images_are_named(vae, tmp_path):
    with pytest.raises(ValueError) as error:
        export_explorer(vae, Split(torch.rand(5, 3, 32, 32), torch.zeros(5, dtype=torch.long)), tmp_path / "page.html")
    says(error, "data.images", "(5, 3, 32, 32)", "(B, 1, 28, 28)")


def config(page):
    """The data the page's script reads: the JSON after ``const C =``."""
    return json.loads(re.search(r"const C = (.*);\n", page.read_text()).group(1))


def test_a_model_with_nan_weights_gets_no_page(vae, tmp_path):
    with torch.no_grad():
        vae.encoder.linear2.bias[0] = float("nan")
    with pytest.raises(ValueError) as error:
        export_explorer(vae, blobs(20), tmp_path / "page.html")
    says(error, "model", "NaN", "nothing was written", "lr")  # train again with a lower lr
    assert list(tmp_path.iterdir()) == []


def huge_encoder(model):  # finite weights whose codes overflow float32: every code is +inf
    model.encoder.linear2.weight.fill_(3e38)


def huge_decoder(model):  # finite codes (1, 1), a hidden unit 3e38 + 3e38 = inf, read with weight 0: NaN pixels
    model.encoder.linear2.weight.zero_()
    model.encoder.linear2.bias.fill_(1.0)
    model.decoder.linear1.weight[0], model.decoder.linear1.bias[0] = 3e38, 0
    model.decoder.linear2.weight[:, 0] = 0


def beyond_float16(model):  # a hidden layer large enough for float16 weights, one weight beyond 65,504
    model.decoder.linear1.weight[0, 0] = 1e5


@pytest.mark.parametrize("hidden, change, parts", [
    (32, huge_encoder, ["encodes", "300 of the 300 images", "infinite or NaN codes", "nothing was written", "lr"]),
    (32, huge_decoder, ["decodes", "NaN or infinite pixels", "nothing was written", "lr"]),
    (1024, beyond_float16, ["decoder", "1e+05", "float16", "65,504", "nothing was written", "hidden layer"]),
])
def test_a_model_with_finite_but_huge_weights_gets_no_page_and_the_old_page_stays(tmp_path, hidden, change, parts):
    path = tmp_path / "page.html"
    path.write_text("the good page")
    torch.manual_seed(0)
    model = VariationalAutoencoder(2, hidden=hidden)
    with torch.no_grad():
        change(model)
    assert all(torch.isfinite(p).all() for p in model.parameters())  # the NaN-weights check lets it through
    with pytest.raises(ValueError) as error:
        export_explorer(model, blobs(300), path)
    says(error, *parts)
    assert path.read_text() == "the good page" and [p.name for p in tmp_path.iterdir()] == ["page.html"]


@pytest.mark.parametrize("labels, error, parts", [
    (torch.arange(19) % 4, ValueError, ["(20,)", "(19,)"]),
    (torch.full((20,), 300), ValueError, ["0..9", "300"]),
    (-torch.ones(20, dtype=torch.long), ValueError, ["0..9", "-1"]),
    (torch.zeros(20), TypeError, ["whole-number", "torch.float32", "torch.long"]),
    ([0.5] * 20, TypeError, ["whole-number", "torch.float64", "torch.long"]),
    (["seven"] * 20, TypeError, ["0..9", "list"]),
    (None, TypeError, ["None", "tensor of 20 labels"]),
])
def test_labels_that_are_not_one_digit_per_image_get_a_sentence(vae, tmp_path, labels, error, parts):
    with pytest.raises(error) as raised:
        export_explorer(vae, Split(blobs(20).images, labels), tmp_path / "page.html")
    says(raised, "data.labels", *parts)
    assert list(tmp_path.iterdir()) == []


def test_labels_given_as_a_list_of_whole_numbers_are_taken(vae, tmp_path):
    data = blobs(20)
    page = export_explorer(vae, Split(data.images, data.labels.tolist()), tmp_path / "p.html")
    same = export_explorer(vae, data, tmp_path / "q.html")
    assert config(page)["labels"] == config(same)["labels"]


def test_pixels_in_0_to_255_are_refused(vae, tmp_path):
    data = blobs(20)
    with pytest.raises(ValueError) as error:
        export_explorer(vae, Split(data.images * 255, data.labels), tmp_path / "page.html")
    says(error, "data.images", f"{(data.images * 255).max().item():g}", "[0, 1]", "by 255")


def test_text_embedded_in_the_script_cannot_end_it(tmp_path):
    sneaky = type("</script><!--<script>alert(1)//", (VariationalAutoencoder,), {})  # a class name is in the title
    page = export_explorer(sneaky(2), blobs(20), tmp_path / "page.html")
    assert page.read_text().count("</script>") == PAGE.read_text().count("</script>")
    embedded = re.search(r"const C = (.*);\n", page.read_text()).group(1)
    assert "<" not in embedded and ">" not in embedded
    assert config(page)["title"] == "</script><!--<script>alert(1)//: 20 test codes"  # the same text, escaped


def test_an_existing_page_survives_a_failed_export(vae, tmp_path):
    path = tmp_path / "page.html"
    path.write_text("the good page")
    with torch.no_grad():
        vae.decoder.linear2.weight.fill_(float("inf"))
    with pytest.raises(ValueError):
        export_explorer(vae, blobs(20), path)
    path.chmod(0o444)
    with pytest.raises(PermissionError) as error:
        export_explorer(VariationalAutoencoder(2, hidden=32), blobs(20), path)
    says(error, str(path), "read-only", "chmod u+w")
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
