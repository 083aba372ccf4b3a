"""python -m vae_lab.series on a tiny notebook set: progress, the table, a failure named, offline HTML."""

import base64
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import says
from faults import file_size_limit, tiny_disk
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from vae_lab.course import series as series_module
from vae_lab.course.series import find
from vae_lab.course.slides import write_html

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
    executed = nbformat.read(series / "outputs" / "01_first.ipynb", 4)
    assert executed.cells[1].execution_count == 1  # it ran, and left no timestamps in the saved cells
    assert not any("execution" in cell.metadata for cell in executed.cells)
    html = (series / "outputs" / "01_first.html").read_text()
    assert 'alt="A white square."' in html  # the figure's description, for screen readers
    assert 'src="mathjax/MathJax.js' in html and "libs/mathjax" not in html  # formulas render offline
    assert (series / "outputs" / "mathjax" / "MathJax.js").is_file()
    slides = (series / "outputs" / "01_first.slides.html").read_text()  # and the offline slides
    assert 'src="reveal.js/dist/reveal.js"' in slides and (series / "outputs" / "reveal.js" / "dist").is_dir()


def test_slides_only_writes_the_slides_of_the_saved_notebooks_and_runs_nothing(series):
    result = run(series, "--slides-only")  # 02_second would fail if it ran
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(p.name for p in (series / "outputs").glob("*.html")) == [
        "01_first.slides.html", "02_second.slides.html", "03_third.slides.html"]
    assert "Data: " not in result.stdout  # nothing ran


def test_without_rise_the_series_runs_and_says_how_to_get_the_slides(series, monkeypatch, capsys):
    monkeypatch.setattr(series_module, "reveal_source", lambda: None)
    args = ["--notebook-dir", str(series / "notebooks"), "--output-dir", str(series / "outputs")]
    assert series_module.main([*args, "--slides-only"]) == 1
    assert 'pip install -e ".[instructor]"' in capsys.readouterr().out
    assert series_module.main([*args, "03"]) == 0
    assert 'no slides: pip install -e ".[instructor]"' in capsys.readouterr().out
    assert (series / "outputs" / "03_third.html").is_file()
    assert not (series / "outputs" / "03_third.slides.html").exists()


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
    with pytest.raises(SystemExit) as error:
        find(["07"], folder)
    says(error, "'07'", str(folder), "01_first", "02_second", "03_third")  # what was asked for, what there is


def mathjax_files():
    import jupyter_server_mathjax

    source = Path(jupyter_server_mathjax.__file__).parent / "static"
    return {str(f.relative_to(source)): f.stat().st_size for f in source.rglob("*") if f.is_file()}


def copied_sizes(outputs):
    folder = outputs / "mathjax"
    return {str(f.relative_to(folder)): f.stat().st_size for f in folder.rglob("*") if f.is_file()}


def test_a_cell_that_outlives_the_timeout_is_named_and_its_copy_kept(series):
    write(series / "notebooks", "02_second", new_code_cell("y = 2"), new_code_cell("import time\ntime.sleep(60)"))
    result = run(series, "--timeout", "3")
    assert result.returncode == 1
    out = result.stdout
    assert "✗ 02_second.ipynb stopped at its code cell 2: it ran longer than --timeout 3 s (CellTimeoutError)" in out
    assert re.search(r"02_second +\d+ s  ✗ failed", out) and "Not run: 03_third." in out
    executed = nbformat.read(series / "outputs" / "02_second.ipynb", 4)
    assert executed.cells[0].execution_count == 1  # kept as far as it ran


def test_a_cell_that_kills_its_kernel_is_named(series):
    write(series / "notebooks", "02_second", new_code_cell("y = 2"), new_code_cell("import os\nos._exit(1)"))
    result = run(series)
    assert result.returncode == 1
    assert "✗ 02_second.ipynb stopped at its code cell 2: the kernel died (DeadKernelError)" in result.stdout
    assert "Ran before it: 01_first. Not run: 03_third." in result.stdout
    assert nbformat.read(series / "outputs" / "02_second.ipynb", 4).cells[0].execution_count == 1


@pytest.mark.parametrize("content, error", [("{not json", "NotJSONError"), ('{"cells": 3}', ""), ("", "")])
def test_a_file_that_is_not_a_notebook_is_named(series, content, error):
    broken = series / "notebooks" / "02_second.ipynb"
    broken.write_text(content)
    result = run(series)
    assert result.returncode == 1
    assert f"✗ {broken} is not a valid notebook ({error}" in result.stdout
    assert re.search(r"02_second +\d+ s  ✗ failed +-  -\n", result.stdout)  # no executed copy, no HTML
    assert "Ran before it: 01_first. Not run: 03_third." in result.stdout
    assert broken.read_text() == content  # left as it was


@pytest.mark.parametrize("where, message", [("a-file", "is a file, not a folder"),
                                            ("a-file/outputs", "cannot be written")])
def test_an_output_folder_that_cannot_be_written_is_found_before_anything_runs(series, where, message):
    (series / "a-file").write_text("a file")
    command = [sys.executable, "-m", "vae_lab.series", "--notebook-dir", str(series / "notebooks"),
               "--output-dir", str(series / where)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=series)
    assert result.returncode == 1
    assert result.stdout.startswith(f"✗ --output-dir {series / where} {message}")
    assert "No notebook was run." in result.stdout and "Data:" not in result.stdout  # nothing ran


def test_a_read_only_output_folder_is_found_before_anything_runs(series):
    with tiny_disk(series / "outputs", read_only=True):
        result = run(series)
    assert result.returncode == 1
    assert "cannot be written (Read-only file system)" in result.stdout and "No notebook was run." in result.stdout


def test_an_empty_name_is_refused(series):
    with pytest.raises(SystemExit) as error:
        find([""], series / "notebooks")
    says(error, "empty notebook name", "every notebook", "02_variational")
    result = run(series, " ")
    assert result.returncode == 1
    says(result.stderr, "empty notebook name")


def test_a_full_disk_is_reported_and_the_mathjax_copy_is_repaired_on_the_next_run(series):
    (series / "outputs" / "mathjax").mkdir(parents=True)
    (series / "outputs" / "mathjax" / "MathJax.js").write_bytes(b"")  # what an earlier run on a full disk left
    command = [sys.executable, "-m", "vae_lab.series", "--notebook-dir", str(series / "notebooks"),
               "--output-dir", str(series / "outputs"), "01"]
    full = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=series,
                          preexec_fn=file_size_limit(300_000))
    assert full.returncode == 1
    assert re.search(r"✗ 01_first.ipynb: could not write .*mathjax/\S+ \(File too large\)", full.stdout)
    assert re.search(r"01_first +\d+ s  ✗ failed", full.stdout)
    expected, copied = mathjax_files(), copied_sizes(series / "outputs")
    assert all(copied[name] == expected[name] for name in copied)  # nothing cut short ...
    assert len(copied) < len(expected)  # ... though not all of it was copied
    assert run(series, "01").returncode == 0
    assert copied_sizes(series / "outputs") == expected  # repaired


def test_in_place_on_a_full_disk_keeps_the_source_notebook(series):
    with tiny_disk(series / "small", kib=16) as small:
        write(small, "01_big", new_code_cell("print('x' * 40_000)"))  # its executed copy will not fit
        source = small / "01_big.ipynb"
        before = source.read_bytes()
        command = [sys.executable, "-m", "vae_lab.series", "--notebook-dir", str(small), "--output-dir",
                   str(series / "outputs"), "--in-place"]
        result = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=series)
        assert result.returncode == 1
        assert f"✗ 01_big.ipynb: could not write {source} (No space left on device)" in result.stdout
        assert source.read_bytes() == before  # the source, whole
    assert "x" * 40_000 in (series / "outputs" / "01_big.ipynb").read_text()  # the executed copy, complete


def test_in_place_over_a_read_only_notebook_refuses_and_says_so(series):
    source = series / "notebooks" / "03_third.ipynb"
    before = source.read_bytes()
    source.chmod(0o444)
    result = run(series, "03", "--in-place")
    assert result.returncode == 1
    assert f"✗ --in-place: {source} is read-only (mode 444)" in result.stdout  # found before it ran
    assert "No notebook was run." in result.stdout and "03_third: done" not in result.stdout
    assert source.read_bytes() == before


@pytest.mark.browser
def test_the_html_typesets_every_formula_with_the_network_refused(chromium, tmp_path):
    """Opened from disk in headless Chromium with every host name unresolvable: MathJax (the packaged copy) typesets
    the inline and the display formula, no $...$ is left in the text, and no script is asked of the web."""
    notebook = new_notebook(cells=[new_markdown_cell("Inline $x^2 + \\mu$ and\n\n$$\\mathrm{KL} = \\sum \\sigma^2$$")])
    page = write_html(notebook, tmp_path / "page.html")
    assert not re.search(r'<script src="https?://', page.read_text())
    dom = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                          "--disable-background-networking", "--disable-component-update", "--disable-sync",
                          "--host-resolver-rules=MAP * ~NOTFOUND", "--virtual-time-budget=15000",
                          f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120).stdout
    assert dom.count('type="math/tex') == 2  # both formulas handed to MathJax ...
    assert 'class="MathJax' in dom           # ... and typeset
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)\b.*?</\1>", "", dom, flags=re.S))
    assert "$" not in text


@pytest.mark.parametrize("where", ["notebooks", "notebooks/results"])
def test_an_output_folder_among_the_notebooks_is_refused_before_anything_runs(series, where):
    """--output-dir equal to (or inside) the notebooks' folder would get round --in-place: a failed run would replace
    the source notebook, and mathjax/ and reveal.js/ would land among the notebooks."""
    before = {p.name: p.read_bytes() for p in (series / "notebooks").iterdir()}
    result = subprocess.run([sys.executable, "-m", "vae_lab.series", "--notebook-dir", "notebooks", "--output-dir",
                             where, "02"], capture_output=True, text=True, timeout=300, cwd=series)
    assert result.returncode == 1 and "No notebook was run." in result.stdout
    assert "notebooks' folder" in result.stdout and where in result.stdout
    assert {p.name: p.read_bytes() for p in (series / "notebooks").iterdir()} == before  # nothing added or changed


def test_the_notebooks_write_their_files_into_the_output_folder(series):
    """A notebook that saves a GIF or a page writes it where --output-dir says ($VAE_LAB_OUTPUTS in its kernel),
    never into the checkout's outputs/."""
    write(series / "notebooks", "04_fourth", new_code_cell(
        "import os\nfrom pathlib import Path\n"
        "outputs = Path(os.environ.get('VAE_LAB_OUTPUTS', '../outputs'))\n(outputs / 'made.gif').write_bytes(b'GIF')"))
    result = run(series, "04")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (series / "outputs" / "made.gif").read_bytes() == b"GIF"
    assert "GIFs: outputs/made.gif" in result.stdout


def test_a_timed_out_cell_puts_no_kernel_traceback_on_the_screen(series):
    write(series / "notebooks", "02_second", new_code_cell("import time\ntime.sleep(60)"))
    result = run(series, "02", "--timeout", "3")
    assert result.returncode == 1 and "CellTimeoutError" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr and "ZMQError" not in result.stderr
    log = series / "outputs" / "02_second.kernel.log"  # what the kernel said is kept, and named
    assert f"The kernel's own messages: {log}" in result.stdout or not log.exists()


def test_escape_sequences_in_an_error_reach_the_screen_as_text_only(series):
    """A cell's error message with escape sequences (clear the screen, retitle the terminal) is printed without them."""
    write(series / "notebooks", "02_second",
          new_code_cell("raise ValueError('bad \\x1b]0;HACKED\\x07 value \\x1b[2J here \\x07')"))
    result = run(series, "02")
    assert result.returncode == 1
    assert "ValueError: bad  value  here" in result.stdout
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout


@pytest.mark.parametrize("encoding", ["ascii", "cp1252"])
def test_a_console_that_is_not_utf8_gets_its_failure_report(series, encoding):
    """On an ASCII or cp1252 console the ✗ line and the bars are printed with stand-ins, not a UnicodeEncodeError."""
    command = [sys.executable, "-m", "vae_lab.series", "--notebook-dir", str(series / "notebooks"),
               "--output-dir", str(series / "outputs"), "02"]
    result = subprocess.run(command, capture_output=True, timeout=300, cwd=series,
                            env={**os.environ, "PYTHONIOENCODING": encoding, "LC_ALL": "C"})
    out = result.stdout.decode(encoding)
    assert result.returncode == 1 and "UnicodeEncodeError" not in result.stderr.decode(encoding, "replace")
    assert "x 02_second.ipynb stopped at its code cell 2: AssertionError: y is not 3" in out


def test_a_long_tmpdir_still_starts_the_kernel(series, tmp_path):
    """A Unix socket's path holds ~107 bytes: with a longer $TMPDIR the kernel's sockets go elsewhere."""
    long = tmp_path / ("d" * 100)
    long.mkdir()
    command = [sys.executable, "-m", "vae_lab.series", "--notebook-dir", str(series / "notebooks"),
               "--output-dir", str(series / "outputs"), "03"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=series,
                            env={**os.environ, "TMPDIR": str(long)})
    assert result.returncode == 0, result.stdout + result.stderr


def test_relative_data_and_cache_folders_mean_the_same_place_in_the_kernels(series):
    """The header describes $VAE_LAB_DATA from where the command runs; the kernels start in the notebooks' folder,
    so the series hands them absolute paths."""
    write(series / "notebooks", "04_fourth", new_code_cell(
        "import os\nprint(os.environ['VAE_LAB_DATA'], os.environ['VAE_LAB_CACHE'], sep='|')"))
    result = subprocess.run([sys.executable, "-m", "vae_lab.series", "--notebook-dir", "notebooks", "--output-dir",
                             "outputs", "04"], capture_output=True, text=True, timeout=300, cwd=series,
                            env={**os.environ, "VAE_LAB_DATA": "mydata", "VAE_LAB_CACHE": "mycache"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"MNIST is not in {series / 'mydata' / 'MNIST' / 'raw'}." in result.stdout  # where the kernels look
    printed = nbformat.read(series / "outputs" / "04_fourth.ipynb", 4).cells[0].outputs[0].text.strip()
    assert printed == f"{series / 'mydata'}|{series / 'mycache'}"
