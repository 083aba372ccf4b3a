"""python -m vae_lab.series on a tiny notebook set: progress, the table, a failure named, offline HTML."""

import base64
import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from vae_lab.series import find

PNG = base64.b64decode(  # a 1x1 white PNG
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4//8/AAX+Av4N70a4AAAAAElFTkSuQmCC")


def write(folder, name, *cells):
    nbformat.write(new_notebook(cells=list(cells), metadata={"kernelspec": {"name": "python3", "language": "python",
                                                                           "display_name": "Python 3"}}),
                   folder / f"{name}.ipynb")


@pytest.fixture
def series(tmp_path):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    figure = new_code_cell(f"from IPython.display import Image\nImage(data={PNG!r})")
    figure.metadata["alt"] = "A white square."
    write(notebooks, "01_first", new_markdown_cell("# One\n\n$x^2$"), new_code_cell("x = 1"), figure)
    write(notebooks, "02_second", new_code_cell("y = 2"), new_code_cell("assert y == 3, 'y is not 3'"),
          new_code_cell("z = 3"))
    write(notebooks, "03_third", new_code_cell("pass"))
    return tmp_path


def run(series, *args):
    command = [sys.executable, "-m", "vae_lab.series", "--notebook-dir", str(series / "notebooks"),
               "--output-dir", str(series / "outputs"), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=series)


def test_a_run_says_what_it_used_shows_progress_and_ends_with_a_table(series):
    result = run(series, "01")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("Data: ") and "\nDevice: " in out and "Notebooks: 1" in out
    assert "01_first" in out and "2/2" in out  # the progress bar over the code cells
    assert "01_first: done in" in out and "Model cache:" in out
    assert "Kernel is running over TCP" not in result.stdout + result.stderr
    assert (series / "outputs" / "01_first.ipynb").is_file()
    html = (series / "outputs" / "01_first.html").read_text()
    assert 'alt="A white square."' in html  # the figure's description, for screen readers
    assert 'src="mathjax/MathJax.js' in html and "libs/mathjax" not in html  # formulas render offline
    assert (series / "outputs" / "mathjax" / "MathJax.js").is_file()


def test_a_failing_cell_is_named_and_the_rest_is_reported(series):
    result = run(series)
    assert result.returncode == 1
    out = result.stdout
    assert "✗ 02_second.ipynb stopped at its code cell 2: AssertionError: y is not 3" in out
    assert "Ran before it: 01_first. Not run: 03_third." in out
    executed = nbformat.read(series / "outputs" / "02_second.ipynb", 4)
    assert executed.cells[0].execution_count == 1 and executed.cells[1].outputs[0].output_type == "error"
    assert executed.cells[2].execution_count is None  # stopped there


def test_notebooks_are_found_by_number_or_name_and_an_unknown_one_is_explained(series):
    folder = series / "notebooks"
    assert [p.stem for p in find(["02", "01_first.ipynb"], folder)] == ["02_second", "01_first"]
    assert len(find([], folder)) == 3
    with pytest.raises(SystemExit, match="No notebook .* is called '07'; there are: 01_first, 02_second, 03_third"):
        find(["07"], folder)
