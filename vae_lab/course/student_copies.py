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
command wrote last (its fingerprint is kept in the notebook's metadata; an empty file
counts as changed) is kept, and the command says so. ``--force`` replaces every changed
copy; ``--force 01`` (a number or a name, as ``python -m vae_lab.series`` takes them;
``vi/01`` for the Vietnamese edition's; repeat it for several) replaces only that notebook's.
Each changed copy it replaces is kept first as DEST/.backup/<name>.<yyyymmdd-hhmmss>.ipynb
(DEST/vi/.backup for the Vietnamese copies; a hidden folder: nbval and JupyterLab's file
browser leave it alone). A copy the student saves while its new one
is being written is kept, and the new one dropped (run the command again).

Nothing is written through a symbolic link: a copy's path that is a link is refused, even
with --force, as the link may lead to the complete notebook or to the student's work
elsewhere (replacing the link itself would quietly cut that work off). DEST may not be
SOURCE or inside it.

    python -m vae_lab.student_copies                 # notebooks/*.ipynb -> student/, notebooks/vi/ -> student/vi/
    python -m vae_lab.student_copies SOURCE DEST [--force [NOTEBOOK]]...
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import re
import sys
import time
from functools import partial
from pathlib import Path

from .._files import write_atomic
from .translations import LANGUAGES, editions

SOLUTION_TAG, EXERCISE_TAG, READING_TAG = "solution", "exercise", "reading-check"
BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
TYPE_ALONG = "# TYPE ALONG:"
# "# TYPE ALONG: Encoder" in the pre-work, "# TYPE ALONG: train — lecture 0:08:52–0:09:59" in the lecture notebook:
# the one place a lecture time is written (checks.take reads it back from the notebook's input history)
TYPE_ALONG_LINE = re.compile(r"# TYPE ALONG: (?P<name>\w+)(?: — lecture (?P<time>\d:\d\d:\d\d–\d:\d\d:\d\d))?$")
FINGERPRINT = "student_copy_sha256"  # key in the copy's metadata["vae_lab"]
BACKUPS = ".backup"  # DEST/.backup/<name>.<time>.ipynb: the changed copies --force replaced


class CopyError(ValueError):
    """A notebook whose student copy would leak an answer or lose a line: the message names it and the cell."""


class SavedMeanwhile(CopyError):
    """The copy's file changed while its new version was being written: the student's save is kept."""


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
        cell.metadata.pop("translation", None)  # a translated cell's English source: of no use to a student
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


def untouched(contents: bytes) -> bool:
    """Whether a copy's ``contents`` are as this command wrote them (an empty file or a non-notebook is not)."""
    import nbformat

    try:
        notebook = nbformat.reads(contents.decode("utf-8"), as_version=4)
    except Exception:  # not a notebook: perhaps a student's save cut short, so it is theirs to keep or --force
        return False
    return notebook.metadata.get("vae_lab", {}).get(FINGERPRINT) == fingerprint(notebook)


def read(path: Path):
    """The notebook at ``path``, or a CopyError naming it and saying what to do."""
    import nbformat

    try:
        return nbformat.read(path, as_version=4)
    except (OSError, ValueError) as error:  # nbformat's NotJSONError is a ValueError
        raise CopyError(f"{path} cannot be read as a notebook ({str(error)[:120]}): repair it (git restore {path}, or "
                        f"open it in JupyterLab) or move it out of {path.parent}. No copy was written.") from error


def chosen(names: list[str], notebooks: list[Path], source: Path) -> set[Path]:
    """The notebooks that ``names`` pick, by number or name as ``python -m vae_lab.series`` does (``vi/01`` for the
    Vietnamese edition's; a path such as ``student/01_lecture_vae.ipynb`` picks by its file name)."""
    picked = set()
    for name in names:
        stem = name.removesuffix(".ipynb").strip()
        matches = [path for path in notebooks if stem and path.relative_to(source).as_posix().startswith(stem)]
        if not matches and stem:  # a path, e.g. tab-completed: its folder (vi or not) and its file name
            given = Path(stem)
            language = given.parent.name if given.parent.name in LANGUAGES else ""
            matches = [path for path in notebooks if path.relative_to(source).parent.as_posix() == (language or ".")
                       and path.stem.startswith(given.name)]
        if not matches:
            raise CopyError(f"--force {name!r}: no notebook of {source} is called so; there are: "
                            + ", ".join(path.relative_to(source).with_suffix("").as_posix() for path in notebooks)
                            + ". (--force alone replaces every copy; SOURCE and DEST go before it.)")
        picked.update(matches)
    return picked


def identity(path: Path) -> tuple[int, int, int] | None:
    """The inode, size and modification time of the file at ``path`` (not following a link); None if none is there.

    A save changes one of them: JupyterLab's renames a new file (a new inode) over the old one."""
    try:
        found = os.lstat(path)
    except FileNotFoundError:
        return None
    return found.st_ino, found.st_size, found.st_mtime_ns


def refuse_link(path: Path) -> None:
    """Refuse a symbolic link where a copy or a backup is to be written: writing would replace what it points to."""
    if path.is_symlink():
        raise CopyError(f"{path} is a symbolic link (to {os.readlink(path)}): nothing is written through a link, so "
                        f"that the file it leads to is never replaced. Remove the link (rm {path}), or move it "
                        "elsewhere, and run the command again. No copy was written.")


def unchanged(path: Path, before: tuple[int, int, int] | None) -> None:
    """Raise SavedMeanwhile if the file at ``path`` is no longer the one inspected (``before``)."""
    if identity(path) != before:
        raise SavedMeanwhile(f"{path} was saved while its new copy was being written")


def back_up(path: Path, contents: bytes) -> Path:
    """Keep ``contents``, the copy at ``path`` about to be replaced, in DEST/.backup; return the backup's path."""
    folder = path.parent / BACKUPS
    folder.mkdir(exist_ok=True)
    stamp, number = time.strftime("%Y%m%d-%H%M%S"), 1
    backup = folder / f"{path.stem}.{stamp}.ipynb"
    while os.path.lexists(backup):  # a second --force within the same second
        number += 1
        backup = folder / f"{path.stem}.{stamp}-{number}.ipynb"
    return write_atomic(backup, contents)


def check_folders(source: Path, dest: Path) -> None:
    """Refuse a DEST that is SOURCE, lies inside it, or is a link to it: the copies would replace the notebooks."""
    source_real, dest_real = source.resolve(), dest.resolve()
    if dest_real == source_real or source_real in dest_real.parents:
        raise CopyError(f"DEST {dest} is {'SOURCE' if dest_real == source_real else 'inside SOURCE'} ({source}): the "
                        "student copies would replace or mix with the complete notebooks. Choose another folder, "
                        "e.g. student.")
    if dest.exists() and not dest.is_dir():
        raise CopyError(f"DEST {dest} is a file, not a folder: give a folder for the copies (made if missing), "
                        "e.g. student.")


def make_student_copies(source: str | Path, dest: str | Path,
                        force: bool | list[str] = False) -> list[tuple[Path, str, Path | None]]:
    """Write a student copy of each ``*.ipynb`` in ``source`` into ``dest``, and of each translated edition's
    (``source/vi/*.ipynb``) into ``dest/vi/``.

    ``force``: True replaces every copy the student changed, a list of numbers or names (``["01"]``) only those
    notebooks' copies; each one replaced is kept in ``dest/.backup`` first. Returns ``(path, what, backup)`` per
    notebook, ``what`` being "wrote", "replaced" (a changed copy, forced: ``backup`` is where it was kept), "kept"
    (a changed copy, not forced) or "saved meanwhile" (changed while its new copy was written: kept, the new one
    dropped). Every copy is made, and every path checked, before any is written.
    """
    import nbformat

    source, dest = Path(source), Path(dest)
    notebooks = sorted(source.glob("*.ipynb")) + editions(source)
    if not notebooks:
        raise FileNotFoundError(f"No notebooks (*.ipynb) in {source.resolve()}.")
    check_folders(source, dest)
    forced = set(notebooks) if force is True else chosen(force or [], notebooks, source)
    copies = [(dest / path.relative_to(source), student_copy(read(path), path.relative_to(source).as_posix()), path)
              for path in notebooks]
    # DEST itself may be a link (a folder kept elsewhere); a link inside it is refused
    for written in sorted({p for path, _, _ in copies for p in (path.parent, path.parent / BACKUPS, path)} - {dest}):
        refuse_link(written)
    done = []
    for path, notebook, original in copies:
        path.parent.mkdir(parents=True, exist_ok=True)
        before = identity(path)  # first, so that a save after it is seen below, even one before the read
        contents = path.read_bytes() if before is not None else None
        backup = None
        if contents is not None and not untouched(contents):
            if original not in forced:
                done.append((path, "kept", None))
                continue
            backup = back_up(path, contents)
        notebook.metadata.setdefault("vae_lab", {})[FINGERPRINT] = fingerprint(notebook)
        try:
            write_atomic(path, nbformat.writes(notebook), before_replace=partial(unchanged, path, before))
        except SavedMeanwhile:
            done.append((path, "saved meanwhile", backup))
            continue
        done.append((path, "replaced" if backup else "wrote", backup))
    return done


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", nargs="?", default="notebooks", help="folder of the notebooks (default: notebooks)")
    parser.add_argument("dest", nargs="?", default="student", help="folder for the copies (default: student)")
    parser.add_argument("--force", nargs="?", action="append", const=True, metavar="NOTEBOOK",
                        help="replace the copy of NOTEBOOK (a number such as 01, or a name) even if the student "
                             "changed it (vi/01: the Vietnamese copy); --force alone: every copy. Repeat it for "
                             "several. Each changed copy replaced is kept first as "
                             "DEST/.backup/<name>.<yyyymmdd-hhmmss>.ipynb (DEST/vi/.backup for vi/)")
    args = parser.parse_args(argv)
    folders = [name for name in args.force or [] if name is not True and Path(name).is_dir()]
    if folders:  # "--force notebooks student" was read as SOURCE DEST before --force took a notebook
        parser.error(f"--force {folders[0]}: --force takes a notebook (01, or a name), not a folder; write SOURCE and "
                     "DEST before it: python -m vae_lab.student_copies SOURCE DEST --force")
    force = True if args.force and True in args.force else args.force or []
    try:
        done = make_student_copies(args.source, args.dest, force=force)
    except (CopyError, OSError) as error:
        sys.exit(f"✗ {error}")
    for path, what, backup in done:
        if what == "kept":
            name = path.relative_to(args.dest).with_suffix("").as_posix()
            print(f"kept {path}: it has changed since it was made (your work?); --force {name} replaces it, "
                  f"keeping it in {path.parent / BACKUPS}")
        elif what == "saved meanwhile":
            print(f"kept {path}: it was saved while its new copy was being written, so the new copy was dropped; "
                  "run the command again to renew it")
        elif what == "replaced":
            print(f"replaced {path}: the changed copy is kept in {backup}")
        else:
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
