"""Student copies of the notebooks: solutions taken out, outputs cleared.

The notebooks in ``notebooks/`` are complete, so that "Run All" never stops. In a
student copy, a cell tagged ``solution`` (the answers to the exercises) is dropped,
and in a cell tagged ``exercise`` the lines between ``# BEGIN SOLUTION`` and
``# END SOLUTION`` become ``raise NotImplementedError(...)``: defining the function
still works, its self-check prints ✗ with a hint, and the cells after it run on,
because they use the library, not the student's function.

    python -m vae_lab.student_copies                 # notebooks/*.ipynb -> student/
    python -m vae_lab.student_copies SOURCE DEST
"""

from __future__ import annotations

import argparse
from pathlib import Path

SOLUTION_TAG = "solution"
EXERCISE_TAG = "exercise"
BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"


def stub(source: str) -> str:
    """``source`` with each ``# BEGIN SOLUTION`` ... ``# END SOLUTION`` block replaced by a ``raise`` line."""
    lines, inside = [], False
    for line in source.splitlines():
        if line.strip() == BEGIN:
            inside = True
            lines.append(line[: len(line) - len(line.lstrip())] + 'raise NotImplementedError("your code here")')
        elif line.strip() == END:
            inside = False
        elif not inside:
            lines.append(line)
    return "\n".join(lines)


def student_copy(notebook):
    """Return a copy of ``notebook`` (an nbformat NotebookNode) without solution cells or outputs."""
    import copy

    notebook = copy.deepcopy(notebook)
    notebook.cells = [cell for cell in notebook.cells if SOLUTION_TAG not in cell.get("metadata", {}).get("tags", [])]
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        if EXERCISE_TAG in cell.get("metadata", {}).get("tags", []):
            cell.source = stub(cell.source)
            cell.metadata.get("jupyter", {}).pop("source_hidden", None)  # the student's cell is shown
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
