"""The offline pages: each notebook as reveal.js slides that open from disk, checked in headless Chromium with every
request to another machine refused (formulas typeset by the local MathJax, the slides advance)."""

import re
from pathlib import Path

import nbformat
import pytest
from lab import MEASURE, NO_MOTION, browser, overflows
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from vae_lab.course.slides import REVEAL_FILES, reveal_source, write_html, write_slides

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
pytest.importorskip("playwright", reason="playwright is not installed: pip install -e '.[dev]'")

# The text the reader sees, formulas excluded once typeset: a $ left in it is a formula MathJax did not typeset.
SHOWN_TEXT = """() => { const copy = document.querySelector('.reveal .slides').cloneNode(true);
  copy.querySelectorAll('script, style, .MathJax, .MathJax_Display, .MathJax_Preview, pre, code')
      .forEach(e => e.remove());
  return copy.textContent; }"""


# The files of REVEAL_FILES the page itself loads (a <script src> or <link href>); the others are copied for other
# readers: notes.html is opened by notes.js, from its own folder, for the speaker view (S), and reveal.js's LICENSE
# travels with its code.
LOADED = {"dist/reveal.js", "dist/reveal.css", "dist/theme/white.css", "plugin/notes/notes.js"}
COPIED_FOR_OTHERS = {"plugin/notes/notes.html": "plugin/notes/notes.js", "LICENSE": None}


def test_the_slides_carry_reveal_js_and_mathjax_beside_them_and_name_no_web_address(tmp_path):
    notebook = new_notebook(cells=[new_markdown_cell("# A\n\n$x^2$"), new_code_cell("1 + 1")])
    page = write_slides(notebook, tmp_path / "a.slides.html")
    html = page.read_text()
    assert not re.search(r'<(?:script|link)[^>]+(?:src|href)="https?://', html)
    assert set(REVEAL_FILES.values()) == LOADED | set(COPIED_FOR_OTHERS)  # a new file: say which it is, above
    referenced = set(re.findall(r'<(?:script|link)[^>]+(?:src|href)="reveal\.js/([^"?#]+)"', html))
    assert referenced == LOADED  # each file the page needs is loaded from the copy beside it, and nothing else
    for name in REVEAL_FILES.values():
        assert (tmp_path / "reveal.js" / name).is_file(), name  # every file copied, whole
    assert all(f"reveal.js/{user}" in html for user in COPIED_FOR_OTHERS.values() if user)  # notes.html's reader
    theme = (tmp_path / "reveal.js" / "dist" / "theme" / "white.css")
    for url in re.findall(r"@import url\(([^)]+)\)", theme.read_text()):  # the theme's font, copied too
        assert (theme.parent / url).resolve().is_file(), url
    assert (tmp_path / "mathjax" / "MathJax.js").is_file() and "mathjax/MathJax.js" in html
    assert reveal_source().is_dir()


@pytest.mark.browser
@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.stem[:2])
def test_every_slide_typesets_its_formulas_fits_the_screen_and_is_reached_with_the_network_refused(chromium, tmp_path,
                                                                                                  path):
    """Each notebook's slides from disk at 1280 × 720: MathJax typesets every formula (no $ left in the text), Space
    reaches every slide, each slide's text and figures lie within the screen, and no request leaves the machine."""
    notebook = nbformat.read(path, as_version=4)
    page_path = write_slides(notebook, tmp_path / f"{path.stem}.slides.html")
    with browser(chromium) as page:
        page.goto(page_path.as_uri())
        page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=60_000)
        page.wait_for_function("() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0", timeout=60_000)
        page.add_style_tag(content=NO_MOTION)
        if any("$" in cell.source for cell in notebook.cells if cell.cell_type == "markdown"):
            assert page.evaluate("() => document.querySelectorAll('.MathJax, .MathJax_Display').length") > 0
        assert "$" not in page.evaluate(SHOWN_TEXT)
        total, shown = page.evaluate("() => Reveal.getTotalSlides()"), []
        while True:
            shown.append(page.evaluate(MEASURE))
            if page.evaluate("() => Reveal.isLastSlide()"):
                break
            page.keyboard.press("Space")  # as a presenter moves on
            page.wait_for_timeout(50)
        assert page.refused == []
    assert total > 10 and len({m["slide"] for m in shown}) == len(shown) == total
    assert [m["slide"] + " " + m["text"] for m in shown if overflows(m)] == []


def test_the_html_page_and_slides_fetch_nothing_from_the_web_and_are_titled_by_the_notebook(tmp_path):
    """nbconvert imports mermaid from a CDN in a module script and titles every page "Notebook"; ours do neither."""
    notebook = new_notebook(cells=[new_markdown_cell("# Exploring the latent space\n\n$x^2$"), new_code_cell("1 + 1")])
    for page in (write_html(notebook, tmp_path / "a.html"), write_slides(notebook, tmp_path / "a.slides.html")):
        html = page.read_text()
        assert not re.search(r"""(?:src|href)="https?://|from ['"]https?://""", html), page.name
        assert "<title>Exploring the latent space" in html, page.name
