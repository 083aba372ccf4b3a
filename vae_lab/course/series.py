"""Run the notebook series headless, with progress, and say what it used and wrote.

    python -m vae_lab.series                  # every notebook in notebooks/
    python -m vae_lab.series 02 03            # some of them, by number or name
    python -m vae_lab.series --retrain 01     # train again instead of loading cached models
    python -m vae_lab.series --slides-only    # run nothing: slides of the notebooks as saved, for class

It says first which data and device the notebooks will use, runs each notebook in a
fresh kernel with a bar over its cells, writes the executed copy, an HTML version and
reveal.js slides to ``outputs/`` (both open offline: see ``slides.py``), and ends with
a table of what ran and was written.
Every failure ends the run with a ✗ line and exit status 1: a failing cell, a cell that
outlives ``--timeout``, a kernel that dies, a file that is not a notebook, a file that
cannot be written; the notebook and the cell are named, and the executed copy is kept
as far as it ran. An output folder that cannot be written is found before anything runs.
Every file is written whole or not at all (``files.write_atomic``).
"""

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

from .. import _checks as arguments
from .._files import writable_mode, write_atomic
from ..data import FULL_SIZE
from ..mnist import default_data_dir, files_present, how_to_get, load_sample
from .slides import NO_REVEAL, reveal_source, write_html, write_slides

CHECKOUT = Path(__file__).resolve().parents[2]
OUTPUTS_ENV = "VAE_LAB_OUTPUTS"  # --output-dir, for the notebooks that write a GIF or a page (01, 03)
FOLDER_ENVS = ("VAE_LAB_DATA", "VAE_LAB_CACHE", OUTPUTS_ENV)  # made absolute: the kernels start in notebooks/
# Escape sequences (colours, a cleared screen, a new window title) and other control characters: a cell's error
# message is printed, never obeyed by the terminal.
CONTROL = re.compile(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b.?|[\x00-\x08\x0b-\x1f\x7f]")
SOCKET_PATH_MAX = 100  # a Unix socket's path holds at most 107 bytes on Linux (104 on macOS)


def find(names: list[str], folder: Path) -> list[Path]:
    """The notebooks of ``folder`` whose file name starts with one of ``names`` (all of them if none is given)."""
    notebooks = sorted(folder.glob("*.ipynb"))
    if not notebooks:
        raise SystemExit(f"No notebooks (*.ipynb) in {folder}.")
    if any(not Path(name).name.removesuffix(".ipynb").strip() for name in names):
        raise SystemExit(f"✗ An empty notebook name would match every notebook; give numbers or names such as 01 "
                         f"02_variational, or none at all to run all {len(notebooks)}.")
    chosen = []
    for name in names or [""]:
        stem = Path(name).name.removesuffix(".ipynb")
        matches = [path for path in notebooks if path.stem.startswith(stem)]
        if not matches:
            raise SystemExit(f"No notebook in {folder} is called {name!r}; there are: "
                             + ", ".join(path.stem for path in notebooks))
        chosen += [path for path in matches if path not in chosen]
    return chosen


def describe_data() -> str:
    """Which MNIST the notebooks will load, and how to get the full set when it is missing."""
    raw = default_data_dir() / "MNIST" / "raw"
    if files_present(raw):
        return f"Data: the full MNIST ({FULL_SIZE:,} training images) in {raw}."
    try:
        sample = load_sample().source
    except OSError:
        sample = "nothing: the offline sample data/mnist_sample.npz is missing too, so the notebooks will stop"
    return (f"Data: MNIST is not in {raw}. The notebooks will try to download it; without internet they run on the "
            f"{sample} (FallbackDataWarning), and the results will be rougher.\nFor the full set: {how_to_get(raw)}")


def describe_device() -> str:
    """The device ``get_device`` will pick in the notebooks."""
    import torch

    from ..training import get_device

    device = get_device()
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"{os.cpu_count()} CPU cores"
    return f"Device: {device} ({name})."


def place_problem(notebooks: list[Path], notebook_dir: Path, folder: Path, in_place: bool) -> str | None:
    """The one rule for where a run writes, checked before anything runs: its results go to ``folder``, which is not
    the notebooks' folder nor inside it; the notebooks themselves are written only with ``--in-place``, and only if
    each of them may be replaced. None if the run may go ahead."""
    source, target = notebook_dir.resolve(), folder.resolve()
    if target == source or source in target.parents:
        return (f"--output-dir {folder} is the notebooks' folder or inside it: the executed copies, pages and "
                "MathJax would mix with the notebooks, and a failed run could replace one. Give another folder "
                "(the default is outputs/), and --in-place to update the notebooks themselves.")
    if in_place:
        for path in notebooks:
            try:
                writable_mode(path.resolve(), path)
            except OSError as error:
                return f"--in-place: {error}"
    return output_problem(folder)


def output_problem(folder: Path) -> str | None:
    """Why results cannot be written to ``folder``, or None if they can; found before any notebook runs."""
    if folder.exists() and not folder.is_dir():
        return f"--output-dir {folder} is a file, not a folder: give the name of a folder for the results."
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):  # the real test: permissions, a read-only disk, root's override
            pass
    except OSError as error:
        return f"--output-dir {folder} cannot be written ({error.strerror or error}): give a folder you may write to."
    return None


def read(path: Path):
    """The notebook at ``path``; a ValueError naming the file if it is not valid notebook JSON."""
    import nbformat

    try:
        return nbformat.read(path, as_version=4)
    except Exception as error:  # NotJSONError, a schema error, a missing key, bad UTF-8
        raise ValueError(f"{path} is not a valid notebook ({arguments.first_line(error)}). Open it in Jupyter to "
                         "see what is wrong, or restore it from git.") from None


def socket_folder() -> str | None:
    """A folder for the kernel's local sockets whose paths fit a Unix socket's (a long ``$TMPDIR`` does not), or
    None: TCP on this machine only, then."""
    for folder in (tempfile.gettempdir(), "/tmp"):
        if len(folder) + len("/vae-lab-xxxxxxxx/kernel-2") < SOCKET_PATH_MAX and os.access(folder, os.W_OK | os.X_OK):
            return folder
    return None


def run(path: Path, notebook, timeout: int, log: Path) -> tuple[int, str] | None:
    """Execute ``notebook`` (read from ``path``) in place in a fresh kernel, cell by cell, with a progress bar.

    The kernel's own messages (ZMQ's complaints when it is stopped mid-cell, C libraries' warnings) go to ``log``,
    not to the terminal. Returns:
        None if every cell ran, else ``(code cell number, message)``: the number is 0 if the kernel never started.
    """
    from nbclient import NotebookClient
    from tqdm import tqdm

    code = [i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
    # record_timing=False: no execution timestamps in the saved cells, so a re-run changes only what it changed
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    for cell in notebook.cells:  # timestamps an older run or JupyterLab left
        cell.metadata.pop("execution", None)
    number = 0  # the code cell running; 0 while the kernel starts
    folder = socket_folder()
    try:
        client.km = client.create_kernel_manager()
        with tqdm(total=len(code), desc=path.stem[:28].ljust(28), unit="cell", file=sys.stdout,
                  ascii=not utf8(sys.stdout)) as bar, tempfile.TemporaryDirectory(prefix="vae-lab-", dir=folder) as \
                sockets, open(log, "wb") as kernel_messages:
            if folder is not None:  # local sockets instead of TCP: no "Kernel is running over TCP" warning
                client.km.transport, client.km.ip = "ipc", str(Path(sockets) / "kernel")
            with client.setup_kernel(stderr=kernel_messages):
                for index in code:
                    number += 1
                    client.execute_cell(notebook.cells[index], index)
                    bar.update()
    except Exception as error:
        return number, failure(error, timeout)
    return None


def failure(error: Exception, timeout: int) -> str:
    """What went wrong in a cell or its kernel, in a line."""
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    if isinstance(error, CellExecutionError):
        return f"{error.ename}: {printable(error.evalue)}"
    if isinstance(error, CellTimeoutError):
        return (f"it ran longer than --timeout {timeout} s (CellTimeoutError) and was interrupted; give a longer "
                "--timeout if it needs more time")
    if isinstance(error, DeadKernelError):
        return ("the kernel died (DeadKernelError): the cell crashed Python or ran out of memory; run the notebook "
                "in Jupyter to see where")
    return f"the kernel failed ({printable(arguments.first_line(error, 300))})"


def printable(text: str) -> str:
    """``text`` without escape sequences or control characters (tabs and newlines kept)."""
    return CONTROL.sub("", str(text))


def utf8(stream) -> bool:
    return "utf" in (getattr(stream, "encoding", None) or "").lower()


STAND_INS = {"✗": "x", "✓": "v", "⚠": "!", "█": "#", "…": "...", "—": "-", "–": "-", "→": "->", "×": "x"}


def stand_in(error: UnicodeEncodeError) -> tuple[str, int]:
    """An encoding error handler: ✗ → x, ✓ → v, … → ..., any other character the console lacks → ?."""
    return "".join(STAND_INS.get(c, "?") for c in error.object[error.start:error.end]), error.end


def any_console() -> None:
    """Let stdout and stderr print on any console: where ✗ or a bar's █ cannot be encoded (an ASCII locale, cp1252
    on Windows), a stand-in is printed instead of a UnicodeEncodeError at the moment a failure is reported."""
    import codecs

    codecs.register_error("vae_lab.stand_in", stand_in)
    for stream in (sys.stdout, sys.stderr):
        if not utf8(stream) and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="vae_lab.stand_in")


def save(notebook, path: Path, outputs: Path, in_place: bool) -> tuple[Path, Path]:
    """Write the executed copy, its HTML and its slides to ``outputs`` (and the copy over ``path`` if ``in_place``).

    Returns:
        the executed copy and the HTML file; an OSError naming the file that could not be written.
    """
    import nbformat

    text = nbformat.writes(notebook)
    copy = write_atomic(outputs / path.name, text)
    if in_place:
        write_atomic(path, text)
    if reveal_source() is not None:  # the instructor tools are installed
        write_slides(notebook, outputs / f"{path.stem}.slides.html")
    return copy, write_html(notebook, outputs / f"{path.stem}.html")


def size(folder: Path) -> str:
    """The size of the files in ``folder``, e.g. ``"52 MB in 12 files"``."""
    files = [f for f in folder.glob("*") if f.is_file()] if folder.is_dir() else []
    return f"{sum(f.stat().st_size for f in files) / 1e6:.0f} MB in {len(files)} files"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", help="numbers or names, e.g. 01 02_variational (default: all)")
    parser.add_argument("--retrain", action="store_true", help="train every model again instead of loading it")
    parser.add_argument("--notebook-dir", type=Path, default=CHECKOUT / "notebooks", help="where the notebooks are")
    parser.add_argument("--output-dir", type=Path, default=CHECKOUT / "outputs", help="where results go")
    parser.add_argument("--timeout", type=int, default=900, help="seconds a cell may run (default 900)")
    parser.add_argument("--in-place", action="store_true", help="also write the executed notebooks back (maintainers)")
    parser.add_argument("--slides-only", action="store_true",
                        help="run nothing: write the slides of the notebooks as saved (for class, offline)")
    any_console()
    args = parser.parse_args(argv)
    from .cache import RETRAIN_ENV, default_cache_dir

    notebooks = find(args.notebooks, args.notebook_dir)
    problem = place_problem(notebooks, args.notebook_dir, args.output_dir, args.in_place)
    if problem:
        print(f"✗ {problem} No notebook was run.")
        return 1
    if args.slides_only:
        return write_all_slides(notebooks, args.output_dir)
    if args.retrain:
        os.environ[RETRAIN_ENV] = "1"  # the kernels inherit it
    os.environ[OUTPUTS_ENV] = str(args.output_dir)
    for name in FOLDER_ENVS:  # the kernels start in the notebooks' folder: a relative path would mean another place
        if os.environ.get(name):
            os.environ[name] = os.path.abspath(os.environ[name])
    slides = "" if reveal_source() else " (no slides: pip install -e \".[instructor]\" for them)"
    print(describe_data(), describe_device(), f"Notebooks: {len(notebooks)}, results in {args.output_dir}{slides}.",
          sep="\n", flush=True)
    rows, problems = [], []
    for path in notebooks:
        row, problems = run_and_save(path, args)
        rows.append(row)
        print(f"{path.stem}: {'failed' if problems else 'done'} in {row[1]}", flush=True)
        if problems:
            break
    gifs = sorted(args.output_dir.glob("*.gif"))
    print(table(rows, gifs, default_cache_dir()))
    if problems:
        ran, left = [row[0] for row in rows[:-1]], [p.stem for p in notebooks[len(rows):]]
        print("", *problems, f"  Ran before it: {', '.join(ran) or 'none'}. Not run: {', '.join(left) or 'none'}.",
              sep="\n")
        return 1
    return 0


def write_all_slides(notebooks: list[Path], folder: Path) -> int:
    """The slides of ``notebooks`` as saved, a line each; 1 at the first that cannot be written."""
    if reveal_source() is None:
        print(f"✗ {NO_REVEAL}")
        return 1
    for path in notebooks:
        try:
            slides = write_slides(read(path), folder / f"{path.stem}.slides.html")
        except (ValueError, OSError) as error:
            print(f"✗ {path.name}: {error}")
            return 1
        print(f"{path.stem}: {slides}")
    print("Open one in a browser, no network needed: → and ↓ (or Space) move on, Esc shows all slides, S the "
          "speaker view.")
    return 0


def run_and_save(path: Path, args: argparse.Namespace) -> tuple[tuple, list[str]]:
    """Run one notebook and write what it made (as far as it ran).

    Returns:
        its row of the table ``(name, time, status, executed copy, HTML)``, and the lines saying what failed (none if
        nothing did).
    """
    start, problems, written = time.perf_counter(), [], (None, None)
    try:
        notebook = read(path)
    except ValueError as error:
        return (path.stem, f"{time.perf_counter() - start:.0f} s", "✗ failed", None, None), [f"✗ {error}"]
    log = args.output_dir / f"{path.stem}.kernel.log"
    stopped = run(path, notebook, args.timeout, log)
    number, message = stopped or (None, None)
    if stopped:
        problems.append(f"✗ {path.name} stopped at its code cell {number}: {message}" if number else
                        f"✗ {path.name}: {message}")
        if log.is_file() and log.stat().st_size:
            problems.append(f"  The kernel's own messages: {log}")
    else:
        log.unlink(missing_ok=True)
    try:
        written = save(notebook, path, args.output_dir, args.in_place and not stopped)
        if number:
            problems.append(f"  The executed copy up to that cell: {written[0]}")
    except OSError as error:  # a full disk, a read-only file: write_atomic left the old file whole
        problems.append(f"✗ {path.name}: " + (f"could not write {error.filename} ({error.strerror}); the file there "
                                              "before, if any, is unchanged." if error.filename and error.strerror
                                              else str(error)))
    status = "✗ failed" if problems else "ok"
    return (path.stem, f"{time.perf_counter() - start:.0f} s", status, *written), problems


def table(rows: list[tuple], gifs: list[Path], cache: Path) -> str:
    """The closing table: one row per notebook, then the GIFs and the model cache."""
    def rel(path: Path | None) -> str:  # relative to the current folder when inside it
        if path is None:
            return "-"
        path = path.resolve()
        return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)

    width = max([36] + [len(row[0]) for row in rows])  # the longest name, so that the columns line up
    lines = ["", f"{'notebook':{width}} {'time':>6}  {'status':8} executed copy / HTML"]
    lines += [f"{name:{width}} {t:>6}  {status:8} {rel(copy)}  {rel(html)}" for name, t, status, copy, html in rows]
    lines.append(f"GIFs: {', '.join(rel(g) for g in gifs) or 'none'}")
    lines.append(f"Model cache: {rel(cache)} ({size(cache)}); delete it, or run with --retrain, to train anew.")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
