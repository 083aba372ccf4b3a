"""The notebooks in the client students use: JupyterLab and its RISE slideshow, driven in headless Chromium.

nbval runs every notebook in a bare kernel already (the full tier); what these tests add is the client. They click
Run ▸ Run All Cells in a real JupyterLab on the two notebooks that prove what nbval cannot: the lecture notebook,
which students open beside the video (markdown, figures, the type-along checks' lines as JupyterLab shows them),
and notebook 3, whose explorer is an ipywidgets app drawn by the browser (its slider is dragged). Running the other
eight in JupyterLab would prove again what nbval proved. RISE's slides of every notebook are walked at 1280 × 720
(from the saved outputs: nothing runs). Every request to another machine is refused. They run after nbval
(conftest.py puts them last), so the model cache is filled and the Run All times are the ones of a class
re-running a prepared notebook. Screenshots and the times go to outputs/test-artefacts/ (not committed).
"""

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from lab import CHROMIUM, browser, errors, jupyter_lab, open_notebook, overflows, run_all, save, shut_down, slide_fits

CHECKOUT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((CHECKOUT / "notebooks").glob("*.ipynb")) + sorted((CHECKOUT / "notebooks").glob("vi/*.ipynb"))
ARTEFACTS = CHECKOUT / "outputs" / "test-artefacts" / "jupyterlab"
EXPLORER = "03_exploring_the_latent_space.ipynb"
LECTURE = CHECKOUT / "notebooks" / "01_lecture_vae.ipynb"

pytestmark = [
    pytest.mark.jupyterlab,
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium: install it with `apt-get install -y chromium` "
                       "(Debian) to test the notebooks in JupyterLab"),
]
pytest.importorskip("playwright", reason="playwright is not installed: pip install -e '.[dev]'")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab over a copy of notebooks/ (Run All saves into the copy, never into the committed notebooks)."""
    root = tmp_path_factory.mktemp("lab")
    shutil.copytree(CHECKOUT / "notebooks", root / "notebooks")
    shutil.copytree(CHECKOUT / "notebooks", root / "slides")  # with the saved outputs, as an instructor presents
    for path in (root / "notebooks").glob("*.ipynb"):  # no saved output: what the test reads back, Run All made
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        nbformat.write(notebook, path)
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    with jupyter_lab(root, ARTEFACTS / "jupyter-lab.log") as (base, token), browser() as page:
        yield root, base, token, page


def record(name: str, seconds: float) -> None:
    times = ARTEFACTS / "run_all_seconds.json"
    found = json.loads(times.read_text()) if times.is_file() else {}
    times.write_text(json.dumps({**found, name: round(seconds, 1)}, indent=1, sort_keys=True))


def test_run_all_of_the_lecture_notebook_from_the_menu_shows_no_error(lab):
    root, base, token, page = lab
    path = LECTURE
    name = f"notebooks/{path.name}"
    open_notebook(page, base, token, name)
    seconds = run_all(page, base, token, name)
    record(path.stem, seconds)
    page.screenshot(path=ARTEFACTS / f"{path.stem}.png")
    save(page)
    shut_down(base, token, name)
    assert errors(root / "notebooks" / path.name) == []
    assert page.refused == [], "a request left the machine"


PICTURE = "() => document.querySelector('.widget-output img')?.src ?? null"  # the explorer's decoded digit


def test_run_all_of_the_explorer_shows_no_error_and_dragging_its_slider_changes_the_decoded_digit(lab):
    root, base, token, page = lab
    name = f"notebooks/{EXPLORER}"
    open_notebook(page, base, token, name)
    record(Path(EXPLORER).stem, run_all(page, base, token, name))
    handle = page.locator(".widget-slider .noUi-handle").first
    before = page.evaluate(PICTURE)
    assert before is not None, "the explorer shows no picture"
    handle.hover()  # scrolls the notebook to it and puts the pointer on it
    box = handle.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.down()
    page.mouse.move(box["x"] + 120, y, steps=8)
    page.mouse.up()
    page.wait_for_function(f"(before) => ({PICTURE})() !== before", arg=before, timeout=60_000)
    page.screenshot(path=ARTEFACTS / "explorer_after_drag.png")
    assert float(handle.get_attribute("aria-valuenow")) > 0  # z₁ moved right, as dragged
    save(page)
    shut_down(base, token, name)
    assert errors(root / name) == []  # Run All reached the end with no error
    assert page.refused == [], "a request left the machine"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: ("vi/" if p.parent.name == "vi" else "") + p.stem[:2])
def test_rise_shows_every_slide_within_a_projectors_screen(lab, path):
    """RISE at 1280 × 720: each slide's text and figures inside the window, with no request off the machine; the
    Vietnamese edition's too (notebooks/vi/, with its rise.css)."""
    root, base, token, page = lab
    page.refused.clear()
    name = path.relative_to(CHECKOUT / "notebooks").as_posix()
    seen = slide_fits(page, base, token, f"slides/{name}")
    page.screenshot(path=ARTEFACTS / f"rise_{name.replace('/', '_')[:-6]}_last.png")
    sections = sum(cell.source.startswith("## ") for cell in nbformat.read(path, as_version=4).cells)
    assert len(seen) > sections  # the slides advance: every section, and sub-slides
    assert len({m["slide"] for m in seen}) == len(seen)
    assert [m["slide"] + " " + m["text"] for m in seen if overflows(m)] == []
    assert page.refused == []
