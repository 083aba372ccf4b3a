"""Student copies of the notebooks: type-along cells emptied, solutions taken out, outputs cleared.

The notebooks in ``notebooks/`` are complete, so that "Run All" never stops. In a
student copy:

- a **type-along** cell (one that starts ``# TYPE ALONG: <name>``: a class or function the
  lecture writes) keeps only its leading comment lines, so the student types the
  definition as the video plays; the check cell after it (``vae_lab.course.checks.take``)
  uses the library's version while the cell is empty;
- a cell tagged ``solution`` (the answers to the exercises) or ``reading-check`` (an assert
  that pins a reading of the saved run's figures) is dropped;
- in a cell tagged ``exercise`` the lines between ``# BEGIN SOLUTION`` and
  ``# END SOLUTION`` become ``raise NotImplementedError(...)``: defining the function still
  works, its self-check prints ✗ with a hint, and the cells after it run on.

A copy is never written over a student's work: a copy that differs from the one this
command wrote last (its fingerprint is kept in the notebook's metadata) is kept, and
the command says so (``--force`` replaces it). DEST may not be SOURCE or inside it.

    python -m vae_lab.student_copies                 # notebooks/*.ipynb -> student/
    python -m vae_lab.student_copies SOURCE DEST [--force]
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import re
import sys
from pathlib import Path

from .._files import write_atomic

SOLUTION_TAG, EXERCISE_TAG, READING_TAG = "solution", "exercise", "reading-check"
BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
TYPE_ALONG = "# TYPE ALONG:"
# "# TYPE ALONG: Encoder" in the pre-work, "# TYPE ALONG: train — lecture 0:08:52–0:09:59" in the lecture notebook:
# the one place a lecture time is written (checks.take reads it back from the notebook's input history)
TYPE_ALONG_LINE = re.compile(r"# TYPE ALONG: (?P<name>\w+)(?: — lecture (?P<time>\d:\d\d:\d\d–\d:\d\d:\d\d))?$")
FINGERPRINT = "student_copy_sha256"  # key in the copy's metadata["vae_lab"]


class CopyError(ValueError):
    """A notebook whose student copy would leak an answer or lose a line: the message names it and the cell."""


def stub(source: str, where: str = "an exercise cell") -> str:
    """``source`` with each ``# BEGIN SOLUTION`` ... ``# END SOLUTION`` block replaced by a ``raise`` line.

    A cell without the markers, or with a BEGIN and no END, raises ``CopyError`` naming ``where``.
    """
    lines, inside = [], False
    stripped = [line.strip() for line in source.splitlines()]
    if BEGIN not in stripped:
        raise CopyError(f"{where} is tagged '{EXERCISE_TAG}' but has no line '{BEGIN}' (exactly so, with its space): "
                        "its answer would reach the students.")
    for line in source.splitlines():
        if line.strip() == BEGIN:
            if inside:
                raise CopyError(f"{where}: '{BEGIN}' twice without '{END}' between them.")
            inside = True
            lines.append(line[: len(line) - len(line.lstrip())] + 'raise NotImplementedError("your code here")')
        elif line.strip() == END:
            inside = False
        elif not inside:
            lines.append(line)
    if inside:
        raise CopyError(f"{where}: '{BEGIN}' has no '{END}' after it: the rest of the cell would be dropped.")
    return "\n".join(lines)


def type_along(source: str, where: str = "a type-along cell") -> str:
    """A type-along cell's leading comment lines (the first ``# TYPE ALONG: <name>``), without the definition."""
    lines = source.splitlines()
    match = TYPE_ALONG_LINE.match(lines[0].strip()) if lines else None
    if match is None:
        raise CopyError(f"{where} starts {lines[0]!r}; a type-along cell starts '{TYPE_ALONG} <name>' with <name> a "
                        "Python name, optionally followed by ' — lecture h:mm:ss–h:mm:ss'.")
    comments = lines[: next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))]
    if len(comments) < 2:
        raise CopyError(f"{where}: a type-along cell needs a second comment line saying what to type.")
    return "\n".join(comments) + "\n"


def student_copy(notebook, name: str = "the notebook"):
    """Return a copy of ``notebook`` (an nbformat NotebookNode) for students; ``name`` is used in errors."""
    notebook = copy.deepcopy(notebook)
    dropped = (SOLUTION_TAG, READING_TAG)
    cells = []
    for index, cell in enumerate(notebook.cells):
        tags = cell.get("metadata", {}).get("tags", [])
        if any(tag in tags for tag in dropped):
            continue
        where = f"{name}, cell {index}"
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            if cell.source.lstrip().startswith(TYPE_ALONG):
                cell.source = type_along(cell.source.lstrip(), where)
        if EXERCISE_TAG in tags:
            cell.source = stub(cell.source, where)
            cell.metadata.get("jupyter", {}).pop("source_hidden", None)  # the student's cell is shown
        elif cell.cell_type == "code" and (BEGIN in cell.source or END in cell.source):
            raise CopyError(f"{where} holds '{BEGIN}' or '{END}' but is not tagged '{EXERCISE_TAG}': tag it, or its "
                            "answer would reach the students.")
        cells.append(cell)
    notebook.cells = cells
    return notebook


def fingerprint(notebook) -> str:
    """SHA-256 of a notebook's cells (sources and outputs): what a student changes when working in it."""
    cells = [{key: cell.get(key) for key in ("cell_type", "source", "outputs")} for cell in notebook.cells]
    return hashlib.sha256(json.dumps(cells, sort_keys=True).encode()).hexdigest()


def untouched(path: Path) -> bool:
    """Whether the copy at ``path`` is as this command wrote it (or cannot be a student's work: not a notebook)."""
    import nbformat

    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception:  # not a notebook at all: nothing a student could have worked in
        return path.stat().st_size == 0
    return notebook.metadata.get("vae_lab", {}).get(FINGERPRINT) == fingerprint(notebook)


def check_folders(source: Path, dest: Path) -> None:
    """Refuse a DEST that is SOURCE, lies inside it, or is a link to it: the copies would replace the notebooks."""
    source_real, dest_real = source.resolve(), dest.resolve()
    if dest_real == source_real or source_real in dest_real.parents:
        raise CopyError(f"DEST {dest} is {'SOURCE' if dest_real == source_real else 'inside SOURCE'} ({source}): the "
                        "student copies would replace or mix with the complete notebooks. Choose another folder, "
                        "e.g. student.")


def make_student_copies(source: str | Path, dest: str | Path, force: bool = False) -> list[tuple[Path, str]]:
    """Write a student copy of each ``*.ipynb`` in ``source`` into ``dest``.

    Returns ``(path, what)`` per notebook, ``what`` being "wrote" or "kept" (a copy the student changed,
    left as it is unless ``force``). Every copy is checked before any is written.
    """
    import nbformat

    source, dest = Path(source), Path(dest)
    notebooks = sorted(source.glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"No notebooks (*.ipynb) in {source.resolve()}.")
    check_folders(source, dest)
    copies = [(dest / path.name, student_copy(nbformat.read(path, as_version=4), path.name)) for path in notebooks]
    dest.mkdir(parents=True, exist_ok=True)
    done = []
    for path, notebook in copies:
        if path.exists() and not force and not untouched(path):
            done.append((path, "kept"))
            continue
        notebook.metadata.setdefault("vae_lab", {})[FINGERPRINT] = fingerprint(notebook)
        write_atomic(path, nbformat.writes(notebook))
        done.append((path, "wrote"))
    return done


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", nargs="?", default="notebooks", help="folder of the notebooks (default: notebooks)")
    parser.add_argument("dest", nargs="?", default="student", help="folder for the copies (default: student)")
    parser.add_argument("--force", action="store_true", help="replace copies that a student has changed")
    args = parser.parse_args(argv)
    try:
        done = make_student_copies(args.source, args.dest, force=args.force)
    except (CopyError, FileNotFoundError) as error:
        sys.exit(f"✗ {error}")
    for path, what in done:
        if what == "kept":
            print(f"kept {path}: it has changed since it was made (your work?); --force replaces it")
        else:
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
