"""Student copies of the notebooks: the solution cells removed, the outputs cleared.

A cell tagged ``solution`` (a worked answer, or the answers to the exercises) is
dropped. The exercise cells before it stay, and what comes after keeps working
because it uses the library's reference implementation, not the solution.

    python -m vae_lab.student_copies                 # notebooks/*.ipynb -> student/
    python -m vae_lab.student_copies SOURCE DEST
"""

from __future__ import annotations

import argparse
from pathlib import Path

SOLUTION_TAG = "solution"


def student_copy(notebook):
    """Return a copy of ``notebook`` (an nbformat NotebookNode) without solution cells or outputs."""
    import copy

    notebook = copy.deepcopy(notebook)
    notebook.cells = [cell for cell in notebook.cells if SOLUTION_TAG not in cell.get("metadata", {}).get("tags", [])]
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return notebook


def make_student_copies(source: str | Path, dest: str | Path) -> list[Path]:
    """Write a student copy of each ``*.ipynb`` in ``source`` into ``dest``; return the paths written."""
    import nbformat

    source, dest = Path(source), Path(dest)
    notebooks = sorted(source.glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"No notebooks (*.ipynb) in {source.resolve()}.")
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for path in notebooks:
        nbformat.write(student_copy(nbformat.read(path, as_version=4)), dest / path.name)
        written.append(dest / path.name)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", nargs="?", default="notebooks", help="folder of the notebooks (default: notebooks)")
    parser.add_argument("dest", nargs="?", default="student", help="folder for the copies (default: student)")
    args = parser.parse_args(argv)
    for path in make_student_copies(args.source, args.dest):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
