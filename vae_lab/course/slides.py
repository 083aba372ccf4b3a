"""Pages that open from disk with no network, for a classroom without internet: each notebook as HTML and as slides.

    python -m vae_lab.series                  # runs the notebooks, then writes both
    python -m vae_lab.series --slides-only    # the slides of the notebooks as saved, nothing run (seconds)

Each notebook becomes ``outputs/<name>.html`` and ``outputs/<name>.slides.html`` (reveal.js). reveal.js comes
from the RISE package and MathJax from jupyter-server-mathjax, both copied beside the pages
(``outputs/reveal.js/``, ``outputs/mathjax/``), so the folder can be moved as a whole and nothing is fetched from
the web. A slide per section and a sub-slide per code cell and its figure, as in RISE: the notebooks' slide
metadata decides. Keys: → and ↓ (or Space) move on, Esc shows all slides, S opens the speaker view. Widgets show
their static picture in both.
"""

import copy
import importlib.util
import re
from pathlib import Path

from .._files import write_atomic

TEMPLATES = Path(__file__).resolve().parent / "templates"
WIDGET = "application/vnd.jupyter.widget-view+json"  # needs a live kernel and JavaScript from the web
# The configuration the packaged MathJax 2.7 has (nbconvert asks for TeX-AMS_CHTML-full, whose CommonHTML output
# jupyter-server-mathjax leaves out: every formula then stays raw $...$ offline).
MATHJAX_URL = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"
WEB_SCRIPT = re.compile(r'<script src="https?://[^"]*"[^>]*>\s*</script>\n?')  # scripts from the web (a CDN)
# nbconvert's import of mermaid (diagrams, which no notebook draws) from a CDN: a module script naming a web address
WEB_MODULE = re.compile(r'<script type="module">(?:(?!</script>).)*?from \'https?://(?:(?!</script>).)*</script>\n?',
                        re.S)
# reveal.js 3 as the RISE package ships it (its own layout) -> where nbconvert's reveal template looks (reveal.js 4's).
REVEAL_FILES = {"js/reveal.js": "dist/reveal.js", "css/reveal.css": "dist/reveal.css",
                "css/theme/white.css": "dist/theme/white.css", "plugin/notes/notes.js": "plugin/notes/notes.js",
                "plugin/notes/notes.html": "plugin/notes/notes.html", "LICENSE": "LICENSE"}
FONTS = "lib/font/source-sans-pro"  # the white theme's font, read by dist/theme/white.css


def copy_files(pairs, folder: Path) -> None:
    """Copy each ``(source file, path under folder)``, once: again only when the sizes differ (a copy cut short)."""
    for file, name in pairs:
        target = folder / name
        if not target.is_file() or target.stat().st_size != file.stat().st_size:
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(target, file.read_bytes())


def copy_mathjax(folder: Path) -> None:
    """MathJax (12 MB, from jupyter-server-mathjax) into ``folder``."""
    import jupyter_server_mathjax

    source = Path(jupyter_server_mathjax.__file__).parent / "static"
    copy_files(((file, file.relative_to(source)) for file in sorted(source.rglob("*")) if file.is_file()), folder)


NO_REVEAL = ("The slides need reveal.js from the RISE package, which is not installed. Install the instructor tools: "
             "pip install -e \".[instructor]\" (or: pip install rise).")


def reveal_source() -> Path | None:
    """reveal.js in the installed RISE package, or None (found without importing it: its ``__init__`` needs
    setuptools)."""
    spec = importlib.util.find_spec("rise")
    source = Path(spec.submodule_search_locations[0]) / "static" / "reveal.js" if spec else None
    return source if source is not None and (source / "js" / "reveal.js").is_file() else None


def copy_reveal(folder: Path) -> None:
    """The parts of reveal.js the slides use (0.7 MB) into ``folder``; a FileNotFoundError if RISE is missing."""
    source = reveal_source()
    if source is None:
        raise FileNotFoundError(NO_REVEAL)
    fonts = [(file, file.relative_to(source)) for file in sorted((source / FONTS).iterdir())
             if file.suffix in (".css", ".woff") or file.name == "LICENSE"]
    copy_files([(source / old, new) for old, new in REVEAL_FILES.items()] + fonts, folder)


def static_widgets(notebook):
    """A copy of ``notebook`` whose widgets show their static picture (a widget needs a live kernel)."""
    notebook = copy.deepcopy(notebook)
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if WIDGET in output.get("data", {}) and "image/png" in output["data"]:
                del output["data"][WIDGET]
    return notebook


def title(notebook, path: Path) -> dict:
    """nbconvert's resources naming the page: the notebook's first heading (else the file name), not "Notebook"."""
    heading = next((line.lstrip("#").strip() for cell in notebook.cells if cell.cell_type == "markdown"
                    for line in cell.source.splitlines() if line.startswith("# ")), "")
    return {"metadata": {"name": heading or path.name.split(".")[0]}}


def offline(page: str) -> str:
    """``page`` without the scripts it would fetch from the web: jQuery and require.js serve live widgets only,
    mermaid diagrams none of the notebooks draws."""
    return re.sub(WEB_MODULE, "", re.sub(WEB_SCRIPT, "", page))


def write_html(notebook, path: Path) -> Path:
    """An HTML version of ``notebook`` that needs no internet: local MathJax, widgets as their static picture."""
    from nbconvert import HTMLExporter

    copy_mathjax(path.parent / "mathjax")
    # The classic template writes each image's alt text from its cell's metadata ("alt").
    exporter = HTMLExporter(template_name="classic", mathjax_url=MATHJAX_URL)
    return write_atomic(path, offline(exporter.from_notebook_node(static_widgets(notebook), title(notebook, path))[0]))


def write_slides(notebook, path: Path) -> Path:
    """reveal.js slides of ``notebook`` at ``path`` (``….slides.html``), with reveal.js and MathJax beside it."""
    from nbconvert import SlidesExporter

    copy_reveal(path.parent / "reveal.js")
    copy_mathjax(path.parent / "mathjax")
    exporter = SlidesExporter(extra_template_basedirs=[str(TEMPLATES)], template_name="offline_slides",
                              reveal_url_prefix="reveal.js", reveal_theme="white", mathjax_url=MATHJAX_URL)
    return write_atomic(path, offline(exporter.from_notebook_node(static_widgets(notebook), title(notebook, path))[0]))
